/*
 * console/search.c: GET /trilex/v1/search, the console's search for
 * scripts: {"results": [{"id", "type", "name", "collection", "origin",
 * "added", "object"}...], "types": {"indicator": 3, ...}, "more", "next"}
 * over the collections the caller may read.
 */
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"

#define API_LIMIT_DEFAULT 50
#define API_LIMIT_MAX 1000
#define API_COUNT_CAP 1000

struct api_ctx {
	json_t *results;
	const struct readable *r;
};

static int api_row(void *ctx, const struct store_row *row)
{
	struct api_ctx *c = ctx;
	const struct store_collection *coll = console_readable_find(c->r, row->collection_pk);
	json_t *o = tx_json_load(row->json, row->json_len, 0, NULL);
	char added[TX_TIME_BUF];
	const char *name;

	if (o == NULL)
		return STORE_ROW_NEXT;
	name = json_string_value(json_object_get(o, "name"));
	tx_time_format(row->date_added, added);
	json_array_append_new(c->results, json_pack(
		"{s:s, s:O, s:s?, s:s, s:s?, s:s, s:o}", "id", row->id, "type",
		json_object_get(o, "type"), "name", name, "collection",
		coll ? coll->id : "", "origin", row->origin, "added", added,
		"object", o));
	return STORE_ROW_NEXT;
}

void console_http_search(void *ctx, const struct taxii_ext_request *rq,
			 struct taxii_ext_reply *rp)
{
	const char *q = taxii_ext_arg(rq, "q"), *type = taxii_ext_arg(rq, "type");
	const char *lim = taxii_ext_arg(rq, "limit"), *next = taxii_ext_arg(rq, "next");
	struct store_search sq = { 0 };
	struct store_search_page pg;
	struct store_search_type types[64];
	struct tx_error err = { 0 };
	struct readable r = { 0 };
	struct api_ctx c = { 0 };
	size_t n_types = 0;
	int64_t limit = API_LIMIT_DEFAULT, before = 0;
	tx_store *rs;
	json_t *tj;

	if (strcmp(rq->method, "GET") != 0) {
		rp->status = 405;
		snprintf(rp->message, sizeof(rp->message), "search is GET only");
		return;
	}
	if (q == NULL || *q == '\0') {
		rp->status = 400;
		snprintf(rp->message, sizeof(rp->message), "q: what to search for"
			 " is missing");
		return;
	}
	if ((lim && tx_parse_int64(lim, 1, API_LIMIT_MAX, &limit) != TX_OK) ||
	    (next && tx_parse_int64(next, 1, INT64_MAX, &before) != TX_OK)) {
		rp->status = 400;
		snprintf(rp->message, sizeof(rp->message), "%s", lim &&
			 tx_parse_int64(lim, 1, API_LIMIT_MAX, &limit) != TX_OK ?
			 "limit: not a number from 1 to 1000" :
			 "next: not a token of an earlier page");
		return;
	}
	if (console_readable_load(rq->st, rq->user, &r) != TX_OK) {
		rp->status = 500;
		snprintf(rp->message, sizeof(rp->message), "cannot list collections");
		return;
	}
	/* the answer is whole or a 500: a result without its object or a
	 * type count missing would read as what the node holds */
	unsigned long jf = tx_json_failures();
	sq.text = q;
	sq.type = type && *type ? type : NULL;
	sq.colls = r.pks;
	sq.n_colls = r.n;
	sq.limit = limit;
	sq.before = before;
	c.results = json_array();
	c.r = &r;
	/* the grants above from the primary; the search may be the replica's */
	rs = taxii_ext_read_store(rq, rq->user);
	if (store_search_types(rs, &sq, API_COUNT_CAP, types, 64, &n_types,
			       &err) != TX_OK ||
	    store_search(rs, &sq, api_row, &c, &pg, &err) != TX_OK) {
		rp->status = err.code == TX_ERR_INVALID || err.code == TX_ERR_TOOBIG ?
			     400 : 500;
		tx_strfmt(rp->message, sizeof(rp->message), "q: %s", err.msg);
		json_decref(c.results);
		console_readable_free(&r);
		return;
	}
	tj = json_object();
	for (size_t i = 0; i < n_types; i++)
		json_object_set_new(tj, types[i].type, json_integer(types[i].count));
	rp->json = json_pack("{s:o, s:o, s:b, s:I}", "results", c.results,
			     "types", tj, "more", pg.more, "count_cap",
			     (json_int_t)API_COUNT_CAP);
	if (rp->json && pg.more)
		json_object_set_new(rp->json, "next", json_sprintf("%lld",
				    (long long)pg.next));
	rp->json = tx_json_whole(jf, rp->json);
	rp->status = rp->json ? 200 : 500;
	if (rp->json == NULL)
		snprintf(rp->message, sizeof(rp->message), "out of memory");
	console_readable_free(&r);
}
