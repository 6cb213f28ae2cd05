/*
 * cli/misp.c: `trilex export misp` writes a collection as a MISP feed
 * folder (manifest.json, {uuid}.json, hashes.csv) for air-gapped
 * transfer; `trilex import misp` stores MISP events as STIX.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "misp/misp.h"
#include "taxii/taxii.h"

/* The node's own Orgc: its name, and the UUID of its identity. */
static int self_org(const struct tx_config *cfg, char uuid[TX_UUID_BUF])
{
	char ident[64];

	if (cli_node_identity_id(cfg, ident) != 0)
		return cli_fail("node.json: public_key is missing");
	snprintf(uuid, TX_UUID_BUF, "%s", ident + strlen("identity--"));
	return 0;
}

/* ---- export misp ---- */

static const struct cli_opt export_opts[] = {
	{ "collection", "ID", CLI_REQ, "the collection (id or alias) to publish" },
	{ NULL },
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
	int rc = 1;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (self_org(&cfg, uuid) != 0)
		goto out;
	if (store_collection_get(st, &admin, coll, &col) != TX_OK) {
		cli_fail("no collection \"%s\" in %s", coll, a->dir);
		goto out;
	}
	o.collection_pk = col.pk;
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
	.summary = "write a collection's reports as a MISP feed folder (manifest.json,"
		   " {uuid}.json, hashes.csv); TLP:RED and AMBER+STRICT left out",
	.opts = export_opts,
	.operands = "OUT",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = export_misp_run,
};
