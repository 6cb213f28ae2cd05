/*
 * cli/misp.c: `trilex export misp` writes a collection as a MISP feed
 * folder (manifest.json, {uuid}.json, hashes.csv) for air-gapped
 * transfer; `trilex import misp` stores MISP events as STIX.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "federation/federation.h"
#include "misp/misp.h"
#include "taxii/taxii.h"

/* The node's own Orgc: its name, and the UUID of its identity. */
static int self_org(const struct tx_config *cfg, char uuid[TX_UUID_BUF])
{
	char ident[64];

	if (tx_node_identity_id(cfg, ident) != 0)
		return cli_fail("node.json: public_key is missing");
	if (strlen(ident) != strlen("identity--") + TX_UUID_BUF - 1)
		return cli_fail("node.json: the identity id %s is no STIX id", ident);
	memcpy(uuid, ident + strlen("identity--"), TX_UUID_BUF);
	return 0;
}

/* ---- export misp ---- */

static const struct cli_opt export_opts[] = {
	{ "collection", "ID", 0, "the collection (id or alias) to publish" },
	{ "filter", "NAME", 0, "or the saved filter (`trilex filter add`) to"
	  " publish" },
	{ 0 },
};

static int export_misp_run(const struct cli_args *a)
{
	struct store_user admin = { .admin = 1, .name = "local" };
	const char *coll = cli_opt(a, "collection"), *out = a->argv[0];
	struct misp_feed_opts o = { 0 };
	struct misp_write_stats ws;
	struct store_collection col;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	char uuid[TX_UUID_BUF];
	tx_store *st = NULL;
	const char *flt_name = cli_opt(a, "filter");
	struct store_filter flt;
	int64_t pks[MISP_FEED_COLLS_MAX];
	const char *labels[STORE_FILTER_LABELS_MAX];
	int rc = 1;

	if ((coll != NULL) == (flt_name != NULL))
		return cli_fail("give --collection or --filter (one of them)");
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (self_org(&cfg, uuid) != 0)
		goto out;
	if (flt_name != NULL) {
		if (store_filter_get(st, flt_name, &flt) != TX_OK) {
			cli_fail("--filter: no saved filter \"%s\" in %s", flt_name,
				 a->dir);
			goto out;
		}
		if (misp_filter_opts(st, &admin, &flt, pks, labels, &o,
				     &err) != TX_OK) {
			cli_fail("--filter: %s", err.msg);
			goto out;
		}
	} else if (store_collection_get(st, &admin, coll, &col) != TX_OK) {
		cli_fail("no collection \"%s\" in %s", coll, a->dir);
		goto out;
	} else {
		o.collection_pk = col.pk;
	}
	o.self_name = cfg.name;
	o.self_uuid = uuid;
	if (misp_feed_write_dir(st, &o, out, &ws, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("%zu events (%zu attributes) in %s: %zu written, %zu unchanged, "
	       "%zu removed\n", ws.feed.events, ws.feed.attributes, out,
	       ws.written, ws.unchanged, ws.removed);
	if (ws.feed.withheld_events || ws.feed.withheld_objects)
		printf("withheld (TLP:RED, AMBER+STRICT or local): %zu reports, "
		       "%zu objects of other reports\n", ws.feed.withheld_events,
		       ws.feed.withheld_objects);
	rc = 0;
out:
	store_close(st);
	return rc;
}

const struct cmd cmd_export_misp = {
	.name = "export misp",
	.summary = "write a collection's (or saved filter's) reports as a MISP feed"
		   " folder (manifest.json, {uuid}.json, hashes.csv); TLP:RED and"
		   " AMBER+STRICT left out",
	.usage = "--dir DIR (--collection ID | --filter NAME) OUT",
	.opts = export_opts,
	.operands = "OUT",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = export_misp_run,
};

/* ---- import misp ---- */

#define INGEST_BATCH 1000
#define PROBLEMS_SHOWN 200

struct told {
	size_t n;
	tx_store *st;
	int64_t pk;
	size_t added, present, failed, stored;
};

static int store_all(tx_store *st, int64_t pk, json_t *objs, size_t *added,
		     size_t *present, size_t *failed);

/* Store what a feed folder gave so far and let it go. */
static tx_err flush(void *ctx, json_t *objs, struct tx_error *err)
{
	struct told *t = ctx;

	t->stored += json_array_size(objs);
	if (store_all(t->st, t->pk, objs, &t->added, &t->present, &t->failed) != 0)
		return tx_error_set(err, TX_ERR_IO, "storing failed");
	json_array_clear(objs);
	return TX_OK;
}

/* An attribute that could not be mapped: named, left out. */
static void told_problem(void *ctx, const char *event, const char *what,
			 size_t index, const char *type, const char *why)
{
	struct told *t = ctx;

	if (t->n++ < PROBLEMS_SHOWN)
		fprintf(stderr, "trilex: event %s: %s[%zu] type %s: %s (left out)\n",
			event, what, index, type, why);
	else if (t->n == PROBLEMS_SHOWN + 1)
		fprintf(stderr, "trilex: more attributes left out; counted below\n");
}

/* Store objs in batches; count what the statuses say. */
static int store_all(tx_store *st, int64_t pk, json_t *objs, size_t *added,
		     size_t *present, size_t *failed)
{
	struct store_user local = { .admin = 1, .name = "local" };
	size_t n = json_array_size(objs);

	for (size_t i = 0; i < n; i += INGEST_BATCH) {
		size_t end = i + INGEST_BATCH < n ? i + INGEST_BATCH : n, k;
		struct tx_error err = { 0 };
		char sid[TX_UUID_BUF];
		json_t *batch = json_array(), *status = NULL, *d;

		if (batch == NULL)
			return cli_fail("out of memory");
		for (k = i; k < end; k++)
			json_array_append(batch, json_array_get(objs, k));
		if (taxii_ingest(st, pk, &local, batch, i, sid, &err) != TX_OK) {
			json_decref(batch);
			return cli_fail("storing: %s", err.msg);
		}
		json_decref(batch);
		if (store_status_get(st, &local, sid, &status) != TX_OK)
			return cli_fail("storing: no status %s", sid);
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
			fprintf(stderr, "trilex: failed: %s\n", m ? m : "(no reason)");
		}
		json_decref(status);
	}
	return 0;
}

static const struct cli_opt import_opts[] = {
	{ "collection", "ID", CLI_REQ, "the collection (id or alias) to store in" },
	{ "tlp", "LEVEL", 0, "the marking of events without a tlp: tag (default"
	  " amber)" },
	{ 0 },
};

static int import_misp_run(const struct cli_args *a)
{
	struct store_user admin = { .admin = 1, .name = "local" };
	const char *coll = cli_opt(a, "collection");
	const char *tlp = cli_opt(a, "tlp") ? cli_opt(a, "tlp") : "amber";
	struct misp_import_opts o = { 0 };
	struct misp_import_stats s = { 0 };
	struct store_collection col;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct told told = { 0 };
	json_t *objs = NULL;
	tx_store *st = NULL;
	int rc = 1, t = fed_tlp_parse(tlp);

	if (t < 0)
		return cli_fail("--tlp: \"%s\" is not clear, green, amber, "
				"amber+strict or red", tlp);
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_collection_get(st, &admin, coll, &col) != TX_OK) {
		cli_fail("no collection \"%s\" in %s", coll, a->dir);
		goto out;
	}
	o.default_tlp = tlp;
	o.problem = told_problem;
	o.ctx = &told;
	o.flush = flush;
	told.st = st;
	told.pk = col.pk;
	if ((objs = json_array()) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	for (int i = 0; i < a->argc; i++) {
		if (misp_import_path(a->argv[i], 0, &o, objs, &s, &err) != TX_OK) {
			cli_fail("%s", err.msg);
			goto out;
		}
	}
	if (flush(&told, objs, &err) != TX_OK)
		goto out;
	printf("%zu events, %zu attributes: %zu indicators, %zu observed, %zu "
	       "notes, %zu relationships, %zu galaxy clusters\n", s.events,
	       s.attributes, s.indicators, s.observed, s.notes, s.relationships,
	       s.galaxies);
	printf("%zu objects: %zu added, %zu already present, %zu failed "
	       "(collection %s)\n", told.stored, told.added, told.present,
	       told.failed,
	       col.alias[0] ? col.alias : col.id);
	if (s.unmapped > 0)
		fprintf(stderr, "trilex: %zu attributes or events could not be mapped "
			"and were left out; everything else was imported\n", s.unmapped);
	rc = s.unmapped > 0 || told.failed > 0 ? 3 : 0;
out:
	json_decref(objs);
	store_close(st);
	return rc;
}

const struct cmd cmd_import_misp = {
	.name = "import misp",
	.summary = "store MISP events (a file of one or a list, or a feed folder) as "
		   "STIX; ids from the MISP uuids; unmappable attributes named and "
		   "left out (exit 3)",
	.opts = import_opts,
	.operands = "FILE|DIR...",
	.min_args = 1,
	.max_args = -1,
	.flags = CMD_DIR,
	.main = import_misp_run,
};
