/*
 * cli/sbom.c: supply-chain checks. `trilex sbom check`, `trilex sbom add`,
 * `trilex sbom recheck` and `trilex advisory import`.
 *
 * Advisory sources are imported into a node as STIX objects (supply/
 * share.c) through taxii_ingest, so they travel to partners like any
 * other object; `sbom check --dir` reads them back from every collection.
 * Stored BOMs (x-trilex-sbom) are re-checked after each import and by
 * `sbom recheck` (for advisories that came from partners); each finding
 * not recorded before becomes a STIX note in the BOM's collection and is
 * printed as "new finding: ...". The commands are rows of option tables
 * (cli/args.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "federation/federation.h"
#include "supply/supply.h"
#include "taxii/taxii.h"

#define BOM_FILE_MAX ((size_t)256 << 20)
#define MAX_ADVISORY_PATHS 256
#define INGEST_BATCH 1000
#define EXIT_FAIL_ON 3

static const struct {
	const char *name;
	const char *id;
} tlp_markings[] = {
	{ "clear", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" },
	{ "white", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" },
	{ "green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" },
	{ "amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" },
	{ "red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" },
};

static const char *tlp_ref(const char *name)
{
	for (size_t i = 0; i < sizeof(tlp_markings) / sizeof(tlp_markings[0]); i++)
		if (strcmp(name, tlp_markings[i].name) == 0)
			return tlp_markings[i].id;
	return NULL;
}

/* ---- reading the node ---- */

struct stored_bom {
	int64_t pk;             /* its collection */
	json_t *obj;            /* owned */
	int in_inbox;           /* that collection is a partner's inbox */
};

struct load_ctx {
	supply_db *db;
	json_t *finding_ids;    /* set: id -> true */
	struct stored_bom *boms;
	size_t n_boms, cap_boms;
	int64_t pk;
	int in_inbox;           /* pk is a partner's inbox */
	size_t bad;             /* objects of ours that did not load */
	size_t rows;
};

static int load_row(void *vctx, const struct store_row *row)
{
	struct load_ctx *c = vctx;
	struct tx_error err = { 0 };
	json_t *obj = tx_json_load(row->json, row->json_len, 0, NULL);
	const char *type;
	const json_t *ext;

	c->rows++;
	if (obj == NULL)
		return 0;
	type = json_string_value(json_object_get(obj, "type"));
	if (type != NULL && strcmp(type, SUPPLY_SBOM_TYPE) == 0) {
		if (c->n_boms == c->cap_boms) {
			size_t ncap = c->cap_boms ? c->cap_boms * 2 : 16;
			struct stored_bom *nb = realloc(c->boms, ncap * sizeof(*nb));
			if (nb == NULL) {
				json_decref(obj);
				return STORE_ROW_FAIL;
			}
			c->boms = nb;
			c->cap_boms = ncap;
		}
		c->boms[c->n_boms++] = (struct stored_bom){ c->pk, obj, c->in_inbox };
		return 0;
	}
	ext = json_object_get(json_object_get(obj, "extensions"), SUPPLY_EXT_ID);
	if (type != NULL && strcmp(type, "note") == 0 && ext != NULL &&
	    json_is_string(json_object_get(ext, "kind")) &&
	    strcmp(json_string_value(json_object_get(ext, "kind")), "finding") == 0) {
		json_object_set_new(c->finding_ids, row->id, json_true());
	} else if (supply_db_load_stix(c->db, obj, &err) != TX_OK) {
		if (c->bad++ < 10)
			fprintf(stderr, "trilex: skipped %s: %s\n", row->id, err.msg);
	}
	json_decref(obj);
	return 0;
}

/* Load every advisory object, finding note and BOM of every collection. */
static int load_node(tx_store *st, struct load_ctx *c)
{
	static const char *const types[] = {
		"vulnerability", "identity", "indicator", "note", SUPPLY_SBOM_TYPE,
	};
	struct store_user all = { .admin = 1, .name = "local" };
	struct store_collection *list = NULL;
	struct tx_error err = { 0 };
	size_t n = 0;
	int rc = 1;

	if (store_collection_list(st, &all, &list, &n) != TX_OK) {
		cli_fail("cannot list the node's collections");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct store_query q = { 0 };
		struct store_page page;

		q.collection_pk = list[i].pk;
		q.types = types;
		q.n_types = sizeof(types) / sizeof(types[0]);
		q.limit = 1000;
		c->pk = list[i].pk;
		c->in_inbox = store_inbox_party(&list[i]) != NULL;
		for (;;) {
			memset(&page, 0, sizeof(page));
			if (store_query_objects(st, &q, load_row, c, &page, &err) !=
			    TX_OK) {
				cli_fail("reading collection %s: %s", list[i].id,
					 err.msg);
				goto out;
			}
			if (!page.more)
				break;
			q.has_cursor = 1;
			q.cursor = page.next;
		}
	}
	if (c->bad > 0)
		fprintf(stderr, "trilex: %zu stored objects could not be read as "
			"advisories\n", c->bad);
	rc = 0;
out:
	free(list);
	return rc;
}

static void load_ctx_free(struct load_ctx *c)
{
	for (size_t i = 0; i < c->n_boms; i++)
		json_decref(c->boms[i].obj);
	free(c->boms);
	json_decref(c->finding_ids);
}

/* Ingest objs into collection pk in batches; count failures. */
static int ingest(tx_store *st, int64_t pk, json_t *objs, size_t *added,
		  size_t *present, size_t *failed)
{
	struct store_user local = { .admin = 1, .name = "local" };
	size_t n = json_array_size(objs);

	for (size_t i = 0; i < n; i += INGEST_BATCH) {
		size_t end = i + INGEST_BATCH < n ? i + INGEST_BATCH : n;
		struct tx_error err = { 0 };
		char status_id[TX_UUID_BUF];
		json_t *batch = json_array(), *status = NULL, *d;
		size_t k;

		if (batch == NULL)
			return cli_fail("out of memory");
		for (k = i; k < end; k++)
			json_array_append(batch, json_array_get(objs, k));
		if (taxii_ingest(st, pk, &local, batch, i, status_id, &err) != TX_OK) {
			json_decref(batch);
			return cli_fail("storing: %s", err.msg);
		}
		json_decref(batch);
		if (store_status_get(st, &local, status_id, &status) != TX_OK)
			continue;
		json_array_foreach(json_object_get(status, "successes"), k, d) {
			const char *m = json_string_value(json_object_get(d, "message"));
			if (m && strcmp(m, "already present") == 0)
				(*present)++;
			else
				(*added)++;
		}
		json_array_foreach(json_object_get(status, "failures"), k, d) {
			const char *m = json_string_value(json_object_get(d, "message"));
			(*failed)++;
			fprintf(stderr, "failed: %s\n", m ? m : "(no reason given)");
		}
		json_decref(status);
	}
	return 0;
}

/* A trilex alert (a STIX report) on one new finding: it refers to the
 * finding's note and the stored BOM; the same finding gives the same id. */
static json_t *finding_alert(const struct supply_finding *f,
			     const supply_bom *bom, const char *sbom_id,
			     const char *note_id, const struct supply_stix_opts *o)
{
	char id[96], title[512], now[TX_TIME_BUF];
	json_t *r;

	supply_stix_id("report", note_id, id, sizeof(id));
	tx_time_format_ms(tx_time_now_us(), now);
	snprintf(title, sizeof(title), "Supply chain: %s %s in %s (%s)%s%s",
		 supply_kind_name(f->kind), f->comp->path, supply_bom_title(bom),
		 supply_severity_name(f->severity), f->n_advisories ? ", " : "",
		 f->n_advisories ? f->advisories[0] : "");
	r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s, s],"
		      " s:[s, s]}", "type", "report", "spec_version", "2.1", "id",
		      id, "created", now, "modified", now, "name", title,
		      "published", now, "report_types", "threat-report", "labels",
		      "trilex-alert", "supply-chain", "object_refs", note_id, sbom_id);
	if (r != NULL && o->marking_ref != NULL)
		json_object_set_new(r, "object_marking_refs",
				    json_pack("[s]", o->marking_ref));
	return r;
}

/* Mark a finding's note and alert with what their sources allow: the BOM
 * (as loaded and as stored) and the advisories it names, as stored. */
static tx_err mark_finding(tx_store *st, const json_t *bom_obj,
			   const struct supply_finding *f, json_t *note,
			   json_t *alert, struct tx_error *err)
{
	size_t n = 0, max = 1 + 2 * f->n_advisories;
	const char **ids = calloc(max, sizeof(*ids));
	char (*vid)[128] = calloc(max, sizeof(*vid));
	tx_err rc;

	if (ids == NULL || vid == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	ids[n++] = json_string_value(json_object_get(bom_obj, "id"));
	for (size_t i = 0; i < f->n_advisories; i++) {
		char key[300];
		/* the ids supply/share.c gives OSV and KEV entries */
		snprintf(key, sizeof(key), "osv:%s", f->advisories[i]);
		supply_stix_id("vulnerability", key, vid[n], sizeof(vid[n]));
		ids[n] = vid[n];
		n++;
		snprintf(key, sizeof(key), "kev:%s", f->advisories[i]);
		supply_stix_id("vulnerability", key, vid[n], sizeof(vid[n]));
		ids[n] = vid[n];
		n++;
	}
	if ((rc = fed_derive_stored(st, ids, n, &bom_obj, 1, NULL, note, NULL,
				    err)) == TX_OK)
		rc = fed_derive_stored(st, ids, n, &bom_obj, 1, NULL, alert, NULL,
				       err);
out:
	free(ids);
	free(vid);
	return rc;
}

/*
 * Check stored BOMs (all, or only the one with id only_id) against db;
 * record each finding not recorded before as a note in the BOM's
 * collection and print it. Returns 0, or 1 on an error.
 */
static int recheck(tx_store *st, const supply_db *db, struct load_ctx *c,
		   const char *only_id, size_t *n_new)
{
	*n_new = 0;
	for (size_t i = 0; i < c->n_boms; i++) {
		const json_t *obj = c->boms[i].obj;
		const char *id = json_string_value(json_object_get(obj, "id"));
		const char *cat = NULL;
		struct supply_stix_opts o = { 0 };
		struct supply_report rep = { 0 };
		struct tx_error err = { 0 };
		supply_bom *bom = NULL;
		json_t *notes = json_array();
		size_t added = 0, present = 0, failed = 0;
		int rc = 0;

		if (id == NULL || (only_id != NULL && strcmp(id, only_id) != 0) ||
		    notes == NULL) {
			json_decref(notes);
			continue;
		}
		o.marking_ref = json_string_value(json_array_get(
			json_object_get(obj, "object_marking_refs"), 0));
		if (supply_bom_from_stix(obj, &bom, &cat, &err) != TX_OK ||
		    supply_check(db, bom, cat, &rep, &err) != TX_OK) {
			fprintf(stderr, "trilex: stored BOM %s: %s\n", id, err.msg);
			supply_bom_free(bom);
			supply_report_free(&rep);
			json_decref(notes);
			continue;
		}
		for (size_t k = 0; k < rep.n; k++) {
			const struct supply_finding *f = &rep.findings[k];
			json_t *note = supply_finding_to_stix(f, id, &o);
			const char *nid = json_string_value(json_object_get(note, "id"));

			if (note == NULL) {
				rc = cli_fail("out of memory");
				break;
			}
			if (json_object_get(c->finding_ids, nid) != NULL) {
				json_decref(note);
				continue;
			}
			json_object_set_new(c->finding_ids, nid, json_true());
			printf("new finding: %s: %s %s (%s)%s%s\n",
			       supply_bom_title(bom), supply_kind_name(f->kind),
			       f->comp->path, supply_severity_name(f->severity),
			       f->n_advisories ? " " : "",
			       f->n_advisories ? f->advisories[0] : "");
			/* ... and an alert on it, under the BOM's marking, that
			 * `trilex alerts` shows and partners receive. */
			json_t *alert = finding_alert(f, bom, id, nid, &o);
			if (alert == NULL) {
				json_decref(note);
				rc = cli_fail("out of memory");
				break;
			}
			if (mark_finding(st, obj, f, note, alert, &err) != TX_OK) {
				json_decref(note);
				json_decref(alert);
				rc = cli_fail("finding on %s: %s", id, err.msg);
				break;
			}
			json_array_append_new(notes, note);
			json_array_append_new(notes, alert);
			(*n_new)++;
		}
		/* With the BOM, unless it is a partner's: a partner's inbox holds
		 * only what it signed, so our findings on its BOM are ours, in
		 * our "alerts" collection (marked from the BOM, as above). */
		int64_t into = c->boms[i].pk;
		if (rc == 0 && json_array_size(notes) > 0 && c->boms[i].in_inbox) {
			struct store_collection ac;
			if (store_collection_ensure(st, "Alerts", "alerts this node"
						    " published", "alerts", &ac, &err) !=
			    TX_OK)
				rc = cli_fail("%s", err.msg);
			into = ac.pk;
		}
		if (rc == 0 && json_array_size(notes) > 0)
			rc = ingest(st, into, notes, &added, &present, &failed);
		supply_report_free(&rep);
		supply_bom_free(bom);
		json_decref(notes);
		if (rc != 0)
			return 1;
	}
	return 0;
}

static int pick_collection(tx_store *st, const char *dir, const char *coll,
			   struct store_collection *col)
{
	struct store_user all = { .admin = 1, .name = "local" };
	struct store_collection *list = NULL;
	size_t n = 0;

	if (coll != NULL) {
		if (store_collection_get(st, &all, coll, col) != TX_OK)
			return cli_fail("no collection \"%s\" in %s", coll, dir);
		return 0;
	}
	if (store_collection_list(st, &all, &list, &n) != TX_OK || n == 0) {
		free(list);
		return cli_fail("%s has no collection: make one with `trilex "
				"collection add`", dir);
	}
	*col = list[0];
	free(list);
	return 0;
}

/* A bad advisory document: said, skipped; the rest still loads. */
static void advisory_problem(void *ctx, const struct tx_error *err)
{
	size_t *n = ctx;

	if ((*n)++ < 20)
		fprintf(stderr, "trilex: skipped %s\n", err->msg);
}

/* ---- sbom check ---- */

static void print_table(const struct supply_report *rep, const char *title)
{
	printf("%s: %zu components, %zu findings", title, rep->components, rep->n);
	if (rep->vex_marked > 0)
		printf(" (%zu covered by VEX statements, %zu of them not "
		       "applicable)", rep->vex_marked, rep->vex_cleared);
	putchar('\n');
	/* what the check had to go on: 0 findings is not "clean" when no
	 * advisory could have named the components */
	printf("advisories by ecosystem:");
	for (size_t i = 0; i < rep->n_ecosystems; i++)
		printf("%s %s %zu (%zu components)", i ? "," : "",
		       rep->ecosystems[i].name, rep->ecosystems[i].advisories,
		       rep->ecosystems[i].components);
	putchar('\n');
	for (size_t i = 0; i < rep->n_ecosystems; i++) {
		char *w = supply_eco_warning(&rep->ecosystems[i]);

		if (w != NULL)
			printf("warning: %s\n", w);
		free(w);
	}
	if (rep->n > 0) {
		printf("\n%-5s %-4s %-9s %-26s %-44s %-28s %s\n", "rank", "tier",
		       "severity", "kind", "component", "advisories", "fixed");
		for (size_t i = 0; i < rep->n; i++) {
			const struct supply_finding *f = &rep->findings[i];
			char adv[64] = "-", comp[64], tier[12];
			const char *path = f->comp->path;
			size_t len = strlen(path);

			if (len > 44)
				snprintf(comp, sizeof(comp), "...%s", path + len - 41);
			else
				snprintf(comp, sizeof(comp), "%s", path);
			if (f->n_advisories > 1)
				snprintf(adv, sizeof(adv), "%s,%s", f->advisories[0],
					 f->advisories[1]);
			else if (f->n_advisories == 1)
				snprintf(adv, sizeof(adv), "%s", f->advisories[0]);
			if (f->tier > 0)
				snprintf(tier, sizeof(tier), "%d", f->tier);
			else
				snprintf(tier, sizeof(tier), "-");
			printf("%-5zu %-4s %-9s %-26s %-44s %-28s %s\n", f->rank, tier,
			       supply_severity_name(f->severity),
			       supply_kind_name(f->kind), comp, adv,
			       f->fixed ? f->fixed : "-");
		}
	}
	/* what a table row cannot hold: why a match is uncertain, which
	 * CSAF product it is */
	for (size_t i = 0; i < rep->n; i++) {
		const struct supply_finding *f = &rep->findings[i];

		if (f->product == NULL && f->vex_state == NULL &&
		    !(f->kind == SUPPLY_KIND_UNVERIFIED && f->reason != NULL))
			continue;
		const char *sep = " ";

		printf("  %zu:", f->rank);
		if (f->product != NULL) {
			printf("%sproduct \"%s\" (by %s)", sep, f->product,
			       f->matched_by ? f->matched_by : "?");
			sep = "; ";
		}
		if (f->kind == SUPPLY_KIND_UNVERIFIED && f->reason != NULL) {
			printf("%suncertain: %s", sep, f->reason);
			sep = "; ";
		}
		if (f->vex_state != NULL)
			printf("%sVEX %s%s%s%s%s%s (%s)%s", sep, f->vex_state,
			       f->vex_justification ? ": " : "",
			       f->vex_justification ? f->vex_justification : "",
			       f->vex_detail ? " \"" : "",
			       f->vex_detail ? f->vex_detail : "",
			       f->vex_detail ? "\"" : "", f->vex_source,
			       f->vex_cleared ? ", not counted for --fail-on" : "");
		putchar('\n');
	}
	printf("\n%-26s %6s\n", "kind", "count");
	for (int k = 0; k < SUPPLY_KIND_COUNT; k++)
		if (rep->by_kind[k] > 0)
			printf("%-26s %6zu\n", supply_kind_name(k), rep->by_kind[k]);
	printf("\n%-26s %6s\n", "severity", "count");
	for (int s = SUPPLY_SEV_COUNT - 1; s >= 0; s--)
		printf("%-26s %6zu\n", supply_severity_name(s), rep->by_severity[s]);
}

static int fail_on_met(const struct supply_report *rep, int level)
{
	for (size_t i = 0; i < rep->n; i++)
		if (!rep->findings[i].vex_cleared &&
		    (int)supply_severity_effective(rep->findings[i].severity) >= level)
			return 1;
	return 0;
}

static const struct cli_opt check_opts[] = {
	{ "advisories", "PATH", CLI_MANY, "an advisory file, folder or .tar.gz "
	  "(OSV, CSAF 2.0, VEX, KEV, vendor, parts or priority list)" },
	{ "category", "C", 0, "the BOM's category on the priority list" },
	{ "json", NULL, 0, "print JSON" },
	{ "fail-on", "LEVEL", 0, "exit 3 when a finding is at least low, medium, "
	  "high, critical (or any)" },
	{ NULL },
};

static int sbom_check_run(const struct cli_args *a)
{
	const char *dir = a->dir, *category = cli_opt(a, "category");
	const char *const *paths = cli_opts(a, "advisories");
	struct load_ctx lc = { 0 };
	struct supply_report rep = { 0 };
	struct tx_error err = { 0 };
	struct tx_config cfg;
	supply_db *db = NULL;
	supply_bom *bom = NULL;
	tx_store *st = NULL;
	char *text = NULL;
	const char *bom_path = a->argv[0];
	size_t len, n_paths = 0, n_skipped = 0;
	int json = cli_flag(a, "json"), fail_on = -1, rc = 1;

	while (paths[n_paths] != NULL)
		n_paths++;
	if (n_paths > MAX_ADVISORY_PATHS)
		return cli_fail("--advisories: at most %d", MAX_ADVISORY_PATHS);
	if (cli_opt(a, "fail-on") != NULL &&
	    (fail_on = supply_severity_parse(cli_opt(a, "fail-on"))) < 0)
		return cli_fail("--fail-on: low, medium, high, critical or any");
	if (dir == NULL && n_paths == 0) {
		cli_fail("sbom check needs --dir DIR or --advisories PATH");
		return cli_usage(&cmd_sbom_check);
	}
	if (tx_read_file(bom_path, BOM_FILE_MAX, &text, &len, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (supply_bom_parse(text, len, bom_path, &bom, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (supply_db_new(0, &db, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	supply_db_on_problem(db, advisory_problem, &n_skipped);
	/* files first: where both hold an advisory, the file's copy wins */
	for (size_t i = 0; i < n_paths; i++) {
		if (supply_db_load_path(db, paths[i], &err) != TX_OK) {
			cli_fail("%s", err.msg);
			goto out;
		}
	}
	if (dir != NULL) {
		if (cli_open_node(dir, &cfg, &st) != 0)
			goto out;
		lc.db = db;
		lc.finding_ids = json_object();
		if (lc.finding_ids == NULL || load_node(st, &lc) != 0)
			goto out;
	}
	if (supply_check(db, bom, category, &rep, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (n_skipped > 0)
		fprintf(stderr, "trilex: warning: %zu advisory documents were not "
			"valid and were left out of this check\n", n_skipped);
	if (json) {
		json_t *o = supply_report_json(&rep);

		/* the same warnings, where a person reads */
		for (size_t i = 0; i < rep.n_ecosystems; i++) {
			char *w = supply_eco_warning(&rep.ecosystems[i]);

			if (w != NULL)
				fprintf(stderr, "trilex: warning: %s\n", w);
			free(w);
		}
		if (o == NULL || json_dumpf(o, stdout, JSON_INDENT(2)) != 0) {
			json_decref(o);
			cli_fail("out of memory");
			goto out;
		}
		putchar('\n');
		json_decref(o);
	} else {
		print_table(&rep, supply_bom_title(bom));
	}
	rc = fail_on >= 0 && fail_on_met(&rep, fail_on) ? EXIT_FAIL_ON : 0;
out:
	supply_report_free(&rep);
	supply_bom_free(bom);
	supply_db_free(db);
	load_ctx_free(&lc);
	store_close(st);
	free(text);
	return rc;
}

const struct cmd cmd_sbom_check = {
	.name = "sbom check",
	.summary = "check a CycloneDX BOM against the node's advisories and/or "
		   "advisory files; exit 3 when --fail-on is met",
	.opts = check_opts,
	.operands = "BOM",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR_OPT,
	.main = sbom_check_run,
};

/* ---- advisory import ---- */

static const struct cli_opt import_opts[] = {
	{ "collection", "ID", 0, "the collection (default: the first)" },
	{ "tlp", "clear|green|amber|red", 0, "the marking (default green; a "
	  "CSAF document's own TLP when stricter)" },
	{ NULL },
};

static int advisory_import_run(const struct cli_args *a)
{
	const char *dir = a->dir, *coll = cli_opt(a, "collection");
	const char *tlp = cli_opt(a, "tlp") ? cli_opt(a, "tlp") : "green";
	struct supply_stix_opts so = { 0 };
	struct supply_counts cn;
	struct store_collection col;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	supply_db *db = NULL;
	json_t *objs = NULL;
	tx_store *st = NULL;
	size_t added = 0, present = 0, failed = 0, n_boms = 0, n_new = 0;
	size_t n_skipped = 0;
	int rc = 1;

	if ((so.marking_ref = tlp_ref(tlp)) == NULL)
		return cli_fail("--tlp: clear, white, green, amber or red");
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (pick_collection(st, dir, coll, &col) != 0)
		goto out;
	if (supply_db_new(0, &db, &err) != TX_OK || (objs = json_array()) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	supply_db_set_emit(db, objs, &so);
	supply_db_on_problem(db, advisory_problem, &n_skipped);
	for (int i = 0; i < a->argc; i++) {
		if (supply_db_load_path(db, a->argv[i], &err) != TX_OK) {
			cli_fail("%s", err.msg);
			goto out;
		}
	}
	supply_db_counts(db, &cn);
	if (ingest(st, col.pk, objs, &added, &present, &failed) != 0)
		goto out;
	printf("%zu advisories (%zu malicious), %zu KEV entries, %zu vendors, "
	       "%zu parts%s\n", cn.advisories, cn.malicious, cn.kev, cn.vendors,
	       cn.parts, json_array_size(objs) > cn.advisories + cn.kev +
	       cn.vendors + cn.parts + cn.csaf + cn.vex ? ", a priority list" : "");
	if (cn.csaf > 0)
		printf("%zu CSAF documents (%zu products)\n", cn.csaf,
		       cn.csaf_products);
	if (cn.vex > 0)
		printf("%zu VEX statements\n", cn.vex);
	if (n_skipped > 0)
		fprintf(stderr, "trilex: %zu documents were not valid and were "
			"skipped; everything else was imported\n", n_skipped);
	printf("%zu objects: %zu added, %zu already present, %zu failed "
	       "(collection %s, TLP:%s)\n", json_array_size(objs), added, present,
	       failed, col.alias[0] ? col.alias : col.id, tlp);
	/* re-check the stored BOMs against everything the node now has */
	if (cli_sbom_recheck(st, &n_boms, &n_new) != 0)
		goto out;
	printf("%zu stored BOMs re-checked: %zu new findings\n", n_boms, n_new);
	rc = failed > 0 || n_skipped > 0 ? 3 : 0;
out:
	json_decref(objs);
	supply_db_free(db);
	store_close(st);
	return rc;
}

const struct cmd cmd_advisory_import = {
	.name = "advisory import",
	.opts = import_opts,
	.operands = "PATH...",
	.min_args = 1,
	.max_args = -1,
	.flags = CMD_DIR,
	.main = advisory_import_run,
	.summary = "store OSV, CSAF 2.0, VEX, KEV, vendor, parts and priority lists "
		   "(files, folders, .tar.gz) as STIX; re-check stored BOMs; "
		   "bad documents are named and skipped (exit 3)",
};

/* ---- sbom add / recheck ---- */

static const struct cli_opt add_opts[] = {
	{ "collection", "ID", 0, "the collection (default: the first)" },
	{ "category", "C", 0, "the BOM's category on the priority list" },
	{ "name", "NAME", 0, "the BOM's name (default: its subject)" },
	{ "tlp", "clear|green|amber|red", 0, "the marking (default amber)" },
	{ NULL },
};

static int sbom_add_run(const struct cli_args *a)
{
	const char *dir = a->dir, *coll = cli_opt(a, "collection");
	const char *category = cli_opt(a, "category"), *name = cli_opt(a, "name");
	const char *tlp = cli_opt(a, "tlp") ? cli_opt(a, "tlp") : "amber";
	const char *bom_path = a->argv[0];
	struct supply_stix_opts so = { 0 };
	struct store_collection col;
	struct load_ctx lc = { 0 };
	struct tx_error err = { 0 };
	struct tx_config cfg;
	supply_db *db = NULL;
	supply_bom *bom = NULL;
	json_t *doc = NULL, *obj = NULL, *one = NULL;
	json_error_t jerr;
	tx_store *st = NULL;
	char *text = NULL;
	size_t len, added = 0, present = 0, failed = 0, n_new = 0;
	int rc = 1;

	if ((so.marking_ref = tlp_ref(tlp)) == NULL)
		return cli_fail("--tlp: clear, white, green, amber or red");
	if (tx_read_file(bom_path, BOM_FILE_MAX, &text, &len, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	doc = tx_json_load(text, len, 0, &jerr);
	if (doc == NULL) {
		cli_fail("%s:%d:%d: %s", bom_path, jerr.line, jerr.column,
			 jerr.text);
		goto out;
	}
	if (supply_bom_from_json(doc, bom_path, &bom, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (supply_db_new(0, &db, &err) != TX_OK) {
		cli_fail("out of memory");
		goto out;
	}
	if (cli_open_node(dir, &cfg, &st) != 0 ||
	    pick_collection(st, dir, coll, &col) != 0)
		goto out;
	/* the category must be on the node's priority list */
	lc.db = db;
	lc.finding_ids = json_object();
	if (lc.finding_ids == NULL || load_node(st, &lc) != 0)
		goto out;
	{
		struct supply_report rep = { 0 };
		if (supply_check(db, bom, category, &rep, &err) != TX_OK) {
			supply_report_free(&rep);
			cli_fail("%s", err.msg);
			goto out;
		}
		supply_report_free(&rep);
	}
	obj = supply_bom_to_stix(doc, name ? name : supply_bom_title(bom),
				 category ? category : supply_bom_category(bom),
				 &so);
	if (obj == NULL || (one = json_array()) == NULL ||
	    json_array_append(one, obj) != 0) {
		cli_fail("out of memory");
		goto out;
	}
	if (ingest(st, col.pk, one, &added, &present, &failed) != 0 || failed) {
		cli_fail("the BOM was not stored");
		goto out;
	}
	printf("%s\n", json_string_value(json_object_get(obj, "id")));
	/* record today's findings; later imports report only new ones */
	for (size_t i = 0; i < lc.n_boms; i++)
		json_decref(lc.boms[i].obj);
	lc.n_boms = 0;
	{
		struct stored_bom sb = { col.pk, json_incref(obj),
					 store_inbox_party(&col) != NULL };
		free(lc.boms);
		lc.boms = malloc(sizeof(sb));
		if (lc.boms == NULL) {
			json_decref(sb.obj);
			cli_fail("out of memory");
			goto out;
		}
		lc.boms[0] = sb;
		lc.n_boms = lc.cap_boms = 1;
	}
	if (recheck(st, db, &lc, NULL, &n_new) != 0)
		goto out;
	fprintf(stderr, "BOM %s stored (%zu components, collection %s, TLP:%s);"
		" %zu findings recorded\n", supply_bom_title(bom),
		supply_bom_count(bom), col.alias[0] ? col.alias : col.id, tlp,
		n_new);
	rc = 0;
out:
	json_decref(one);
	json_decref(obj);
	json_decref(doc);
	supply_bom_free(bom);
	supply_db_free(db);
	load_ctx_free(&lc);
	store_close(st);
	free(text);
	return rc;
}

const struct cmd cmd_sbom_add = {
	.name = "sbom add",
	.opts = add_opts,
	.operands = "BOM",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = sbom_add_run,
	.summary = "keep a BOM in the node (x-trilex-sbom) so that new "
		   "advisories re-check it; prints its id",
};

int cli_sbom_recheck(tx_store *st, size_t *n_boms, size_t *n_new)
{
	struct load_ctx lc = { 0 };
	struct tx_error err = { 0 };
	supply_db *db = NULL;
	int rc = 1;

	*n_boms = *n_new = 0;
	if (supply_db_new(0, &db, &err) != TX_OK)
		return cli_fail("out of memory");
	lc.db = db;
	lc.finding_ids = json_object();
	if (lc.finding_ids != NULL && load_node(st, &lc) == 0) {
		*n_boms = lc.n_boms;
		rc = lc.n_boms == 0 ? 0 : recheck(st, db, &lc, NULL, n_new);
	}
	supply_db_free(db);
	load_ctx_free(&lc);
	return rc;
}

static int sbom_recheck_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	struct tx_config cfg;
	tx_store *st = NULL;
	size_t n_boms = 0, n_new = 0;
	int rc = 1;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (cli_sbom_recheck(st, &n_boms, &n_new) == 0) {
		printf("%zu stored BOMs re-checked: %zu new findings\n", n_boms,
		       n_new);
		rc = 0;
	}
	store_close(st);
	return rc;
}

const struct cmd cmd_sbom_recheck = {
	.name = "sbom recheck",
	.flags = CMD_DIR,
	.main = sbom_recheck_run,
	.summary = "re-check every stored BOM against the node's advisories "
		   "(also those from partners); record and print new findings",
};
