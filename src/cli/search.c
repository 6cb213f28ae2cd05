/*
 * cli/search.c: `trilex search`, the console's search on the command line:
 * values (IP, CIDR, domain, URL, hash, email), ATT&CK ids, names and words
 * of descriptions, over the collections the operator (or --user) may read.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "console/console.h"

static const struct cli_opt search_opts[] = {
	{ "user", "NAME", 0, "search as this user (its read grants); default:"
	  " every collection" },
	{ "type", "T", 0, "only objects of this STIX type" },
	{ "limit", "N", 0, "results to show (default 50, at most 10000)" },
	{ "json", NULL, 0, "one JSON object per result" },
	{ 0 },
};

struct show_ctx {
	int json;
};

static int show_row(void *ctx, const struct store_row *row)
{
	struct show_ctx *c = ctx;
	json_t *o = tx_json_load(row->json, row->json_len, 0, NULL);
	const char *name;

	if (o == NULL)
		return STORE_ROW_NEXT;
	name = json_string_value(json_object_get(o, "name"));
	if (name == NULL)
		name = json_string_value(json_object_get(o, "value"));
	if (c->json) {
		json_t *out = json_pack("{s:s, s:O, s:s?, s:s?, s:O}", "id", row->id,
					"type", json_object_get(o, "type"), "name",
					name, "origin", row->origin, "object", o);
		if (out) {
			json_dumpf(out, stdout, JSON_COMPACT);
			fputc('\n', stdout);
		}
		json_decref(out);
	} else {
		char esc[512];
		/* a name is data: no control bytes reach the terminal */
		tx_log_escape(name ? name : "", name ? strlen(name) : 0, esc,
			      sizeof(esc));
		printf("%-16s %s  %s\n", json_string_value(json_object_get(o, "type")),
		       row->id, esc);
	}
	json_decref(o);
	return STORE_ROW_NEXT;
}

static int search_run(const struct cli_args *a)
{
	const char *user = cli_opt(a, "user"), *lim = cli_opt(a, "limit");
	struct store_user u = { .admin = 1 };
	struct store_search q = { 0 };
	struct store_search_page pg;
	struct show_ctx c = { cli_flag(a, "json") };
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct tx_buf text;
	tx_store *st = NULL;
	int64_t *pks = NULL, limit = 50;
	size_t n = 0;
	int rc = 1;

	if (lim && tx_parse_int64(lim, 1, 10000, &limit) != TX_OK)
		return cli_fail("--limit: \"%s\" is not a number from 1 to 10000", lim);
	tx_buf_init(&text, STORE_SEARCH_TEXT_MAX + 1);
	for (int i = 0; i < a->argc; i++)
		if ((i && tx_buf_puts(&text, " ")) || tx_buf_puts(&text, a->argv[i])) {
			tx_buf_free(&text);
			return cli_fail("the query is longer than %d bytes",
					STORE_SEARCH_TEXT_MAX);
		}
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		goto out;
	if (user && store_user_get(st, user, &u, NULL, 0) != TX_OK) {
		cli_fail("--user: no user \"%s\"", user);
		goto out;
	}
	if (console_readable_pks(st, &u, &pks, &n) != TX_OK) {
		cli_fail("cannot list the collections");
		goto out;
	}
	q.text = text.data ? text.data : "";
	q.type = cli_opt(a, "type");
	q.colls = pks;
	q.n_colls = n;
	q.limit = limit;
	if (store_search(st, &q, show_row, &c, &pg, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (pg.more && !c.json)
		fprintf(stderr, "trilex: more than %lld results; --limit shows more\n",
			(long long)limit);
	rc = 0;
out:
	free(pks);
	tx_buf_free(&text);
	store_close(st);
	return rc;
}

const struct cmd cmd_search = {
	.name = "search",
	.summary = "search the node's objects for a value, an ATT&CK id, a name"
		   " or words of a description",
	.opts = search_opts,
	.operands = "QUERY...",
	.min_args = 1,
	.max_args = -1,
	.flags = CMD_DIR,
	.main = search_run,
};
