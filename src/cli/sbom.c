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

/* What the CLI prints of the supply module's work. */
static void warn_cb(void *ctx, const char *id, const char *msg)
{
	if (id != NULL)
		fprintf(stderr, "trilex: skipped %s: %s\n", id, msg);
	else
		fprintf(stderr, "trilex: %s\n", msg);
}

static void failed_cb(void *ctx, const char *id, const char *msg)
{
	fprintf(stderr, "failed: %s\n", msg);
}

static void found_cb(void *ctx, const supply_bom *bom,
		     const struct supply_finding *f)
{
	printf("new finding: %s: %s %s (%s)%s%s\n", supply_bom_title(bom),
	       supply_kind_name(f->kind), f->comp->path,
	       supply_severity_name(f->severity), f->n_advisories ? " " : "",
	       f->n_advisories ? f->advisories[0] : "");
}

/* Re-check every stored BOM, printing each new finding; 0 or 1. */
static int recheck_all(tx_store *st, size_t *n_boms, size_t *n_new)
{
	supply_node *node = NULL;
	struct tx_error err = { 0 };
	supply_db *db = NULL;
	int rc = 1;

	*n_boms = *n_new = 0;
	if (supply_db_new(0, &db, &err) != TX_OK)
		return cli_fail("out of memory");
	if (supply_node_load(st, db, warn_cb, NULL, &node, &err) == TX_OK) {
		*n_boms = supply_node_boms(node);
		if (supply_node_recheck(st, db, node, NULL, found_cb, warn_cb, NULL,
					n_new, &err) == TX_OK)
			rc = 0;
	}
	if (rc != 0)
		cli_fail("%s", err.msg);
	supply_node_free(node);
	supply_db_free(db);
	return rc;
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
	{ 0 },
};

static int sbom_check_run(const struct cli_args *a)
{
	const char *dir = a->dir, *category = cli_opt(a, "category");
	const char *const *paths = cli_opts(a, "advisories");
	supply_node *node = NULL;
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
		if (supply_node_load(st, db, warn_cb, NULL, &node, &err) !=
		    TX_OK) {
			cli_fail("%s", err.msg);
			goto out;
		}
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
	supply_node_free(node);
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
	{ 0 },
};

static int advisory_import_run(const struct cli_args *a)
{
	const char *dir = a->dir, *coll = cli_opt(a, "collection");
	const char *tlp = cli_opt(a, "tlp") ? cli_opt(a, "tlp") : "green";
	struct supply_stix_opts so = { 0 };
	struct supply_counts cn;
	struct supply_store_counts counts = { 0 };
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
	if (supply_store_objects(st, col.pk, objs, &counts, failed_cb, NULL,
				 &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	added = counts.added;
	present = counts.present;
	failed = counts.failed;
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
	if (recheck_all(st, &n_boms, &n_new) != 0)
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
	{ 0 },
};

static int sbom_add_run(const struct cli_args *a)
{
	const char *dir = a->dir, *coll = cli_opt(a, "collection");
	const char *category = cli_opt(a, "category"), *name = cli_opt(a, "name");
	const char *tlp = cli_opt(a, "tlp") ? cli_opt(a, "tlp") : "amber";
	const char *bom_path = a->argv[0];
	struct supply_stix_opts so = { 0 };
	struct store_collection col;
	supply_node *node = NULL;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	supply_db *db = NULL;
	supply_bom *bom = NULL;
	json_t *doc = NULL, *obj = NULL, *one = NULL;
	json_error_t jerr;
	tx_store *st = NULL;
	char *text = NULL;
	struct supply_store_counts counts = { 0 };
	size_t len, n_new = 0;
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
	if (supply_node_load(st, db, warn_cb, NULL, &node, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
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
	if (supply_store_objects(st, col.pk, one, &counts, failed_cb, NULL,
				 &err) != TX_OK || counts.failed) {
		cli_fail("the BOM was not stored%s%s", counts.failed ? "" : ": ",
			 counts.failed ? "" : err.msg);
		goto out;
	}
	printf("%s\n", json_string_value(json_object_get(obj, "id")));
	/* record today's findings; later imports report only new ones */
	if (supply_node_only(node, col.pk, obj, store_inbox_party(&col) != NULL) !=
	    TX_OK) {
		cli_fail("out of memory");
		goto out;
	}
	if (supply_node_recheck(st, db, node, NULL, found_cb, warn_cb, NULL,
				&n_new, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
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
	supply_node_free(node);
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

static int sbom_recheck_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	struct tx_config cfg;
	tx_store *st = NULL;
	size_t n_boms = 0, n_new = 0;
	int rc = 1;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (recheck_all(st, &n_boms, &n_new) == 0) {
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
