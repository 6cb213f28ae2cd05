/*
 * cli/export.c: `trilex export suricata|zeek|csv|iocs` and the same over
 * HTTPS (GET /trilex/v1/export/{format}[/{file}], with ETag and
 * If-None-Match), from the node's active indicators: valid now, not
 * revoked, their watch-list entry not expired, in the collections the
 * caller may read, filtered by collection, TLP, partner, age and
 * confidence. The formats are sensor/export.c's; values on the node's
 * warning lists are left out unless asked for.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "federation/federation.h"
#include "taxii/taxii.h"
#include "watch/watch.h"

#define EXPORT_OUT_MAX ((size_t)2 << 30)
#define MAX_REPORTED_SKIPS 20

/* What to export. */
struct export_filter {
	const char *const *collections; /* ids or aliases; NULL: every one */
	enum fed_tlp max_tlp;           /* default AMBER+STRICT: RED on request */
	const char *partner;            /* origin party; "local": this node's */
	int64_t max_age_us;             /* 0: any; else modified within */
	int64_t min_confidence;         /* -1: any */
	int include_warned;
	uint32_t sid_base;
};

struct build_ctx {
	sensor_export *e;
	const struct export_filter *f;
	const watch_state *ws;
	tx_store *st;            /* borrowed: for withdrawals */
	int64_t now;
	size_t n_active, n_filtered;
	tx_err rc;
	struct tx_error why;     /* what the callback failed on (the store
	                            says only that a callback failed) */
};

static int take_row(void *vctx, const struct store_row *row)
{
	struct build_ctx *c = vctx;
	json_t *o = tx_json_load(row->json, row->json_len, 0, NULL);
	const char *pt, *pat, *vf, *vu, *mod;
	int64_t t_from, t_until = INT64_MAX, t_mod = 0;
	const json_t *conf;
	enum fed_tlp tlp;
	int rc = 0;

	if (o == NULL)
		return 0;
	pt = json_string_value(json_object_get(o, "pattern_type"));
	pat = json_string_value(json_object_get(o, "pattern"));
	vf = json_string_value(json_object_get(o, "valid_from"));
	vu = json_string_value(json_object_get(o, "valid_until"));
	mod = json_string_value(json_object_get(o, "modified"));
	conf = json_object_get(o, "confidence");
	if (pt == NULL || strcmp(pt, "stix") != 0 || pat == NULL || vf == NULL ||
	    tx_time_parse(vf, &t_from, NULL) != TX_OK ||
	    (vu && tx_time_parse(vu, &t_until, NULL) != TX_OK))
		goto out;
	/* active: valid now, not revoked, not expired on the watch list */
	if (t_from > c->now || t_until <= c->now ||
	    json_is_true(json_object_get(o, "revoked")) ||
	    (c->ws && watch_indicator_expired(c->ws, row->id)))
		goto out;
	/* nor withdrawn; a lookup that fails exports nothing (fail closed) */
	if ((c->rc = store_withdrawal_get(c->st, row->id, NULL)) == TX_OK) {
		goto out;
	} else if (c->rc != TX_ERR_NOTFOUND) {
		tx_error_set(&c->why, c->rc, "%s: cannot tell whether it is"
			     " withdrawn (store error)", row->id);
		rc = STORE_ROW_FAIL;
		goto out;
	}
	c->rc = TX_OK;
	c->n_active++;
	tlp = fed_tlp_of(o);
	if (tlp == FED_TLP_UNMARKED)
		tlp = FED_TLP_AMBER; /* the node's default for unmarked content */
	if (tlp > c->f->max_tlp ||
	    (c->f->partner && strcmp(c->f->partner, "local") == 0 && row->origin) ||
	    (c->f->partner && strcmp(c->f->partner, "local") != 0 &&
	     (row->origin == NULL || strcmp(row->origin, c->f->partner) != 0)) ||
	    (c->f->max_age_us && (mod == NULL || tx_time_parse(mod, &t_mod, NULL) != TX_OK ||
				  c->now - t_mod > c->f->max_age_us)) ||
	    (c->f->min_confidence >= 0 && (!json_is_integer(conf) ||
					   json_integer_value(conf) < c->f->min_confidence))) {
		c->n_filtered++;
		goto out;
	}
	struct sensor_export_ind in = {
		.id = row->id, .pattern = pat,
		.name = json_string_value(json_object_get(o, "name")),
		.source = row->origin, .tlp = fed_tlp_name(tlp),
		.confidence = json_is_integer(conf) ? json_integer_value(conf) : -1,
	};
	if ((c->rc = sensor_export_add(c->e, &in, &c->why)) != TX_OK)
		rc = STORE_ROW_FAIL;
out:
	json_decref(o);
	return rc;
}

/*
 * The export of what user u may read under filter f (warning lists w),
 * into *out (the caller frees it). TX_ERR_NOTFOUND when a collection of
 * the filter is not one u may read.
 */
static tx_err export_build(tx_store *st, const struct store_user *u, const char *party,
			   const struct export_filter *f, const sensor_warn *w,
			   sensor_export **out, size_t *n_active, struct tx_error *err)
{
	static const char *const types[] = { "indicator" };
	struct sensor_export_opts eo = { .warn = w, .include_warned = f->include_warned,
					 .sid_base = f->sid_base };
	struct build_ctx c = { .f = f, .st = st };
	struct store_collection *list = NULL;
	watch_state *ws = NULL;
	size_t n = 0;
	tx_err rc;

	if (watch_now(&c.now, NULL) != TX_OK)
		c.now = tx_time_now_us();
	/* without the watch list, expired entries would be exported */
	if ((rc = watch_state_load(st, party, c.now, &ws, err)) != TX_OK)
		goto out;
	c.ws = ws;
	if ((rc = sensor_export_new(&eo, &c.e)) != TX_OK) {
		tx_error_set(err, rc, "out of memory");
		goto out;
	}
	if ((rc = store_collection_list(st, u, &list, &n)) != TX_OK) {
		tx_error_set(err, rc, "cannot list the collections");
		goto out;
	}
	for (const char *const *want = f->collections; want && *want; want++) {
		size_t i;
		for (i = 0; i < n; i++)
			if (list[i].can_read && (strcmp(list[i].id, *want) == 0 ||
						 strcmp(list[i].alias, *want) == 0))
				break;
		if (i == n) {
			rc = tx_error_set(err, TX_ERR_NOTFOUND, "collection %s: none that"
					  " you may read", *want);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct store_query q = { .types = types, .n_types = 1, .limit = 1000 };
		struct store_page page;
		int wanted = f->collections == NULL;
		if (!list[i].can_read)
			continue;
		for (const char *const *want = f->collections; want && *want; want++)
			if (strcmp(list[i].id, *want) == 0 || strcmp(list[i].alias, *want) == 0)
				wanted = 1;
		if (!wanted)
			continue;
		q.collection_pk = list[i].pk;
		for (;;) {
			memset(&page, 0, sizeof(page));
			if ((rc = store_query_objects(st, &q, take_row, &c, &page, err)) != TX_OK) {
				if (c.rc != TX_OK) {
					rc = c.rc;
					*err = c.why;
				}
				goto out;
			}
			if (!page.more)
				break;
			q.has_cursor = 1;
			q.cursor = page.next;
		}
	}
	*n_active = c.n_active;
	*out = c.e;
	c.e = NULL;
out:
	free(list);
	sensor_export_free(c.e);
	watch_state_free(ws);
	return rc;
}

/* ---- the commands ---- */

static const struct cli_opt export_opts[] = {
	{ "collection", "ID", CLI_MANY, "only these collections (id or alias)" },
	{ "tlp", "LEVEL", 0, "the most restrictive TLP to include (default"
	  " amber+strict: TLP:RED only when asked for)" },
	{ "partner", "PARTY", 0, "only indicators from this partner (\"local\": this"
	  " node's own)" },
	{ "max-age", "DAYS", 0, "only indicators modified within this many days" },
	{ "min-confidence", "N", 0, "only indicators of at least this confidence"
	  " (0-100)" },
	{ "include-warned", NULL, 0, "keep values that warning lists hold" },
	{ "sid-base", "N", 0, "Suricata sids from N+1 (default 4180000)" },
	{ 0 },
};

static int filter_of(const struct cli_args *a, struct export_filter *f)
{
	int64_t v;

	memset(f, 0, sizeof(*f));
	f->max_tlp = FED_TLP_AMBER_STRICT;
	f->min_confidence = -1;
	if (cli_opts(a, "collection")[0] != NULL)
		f->collections = cli_opts(a, "collection");
	if (cli_opt(a, "tlp")) {
		int t = fed_tlp_parse(cli_opt(a, "tlp"));
		if (t < 0)
			return cli_fail("--tlp: clear, green, amber, amber+strict or red, not"
					" \"%s\"", cli_opt(a, "tlp"));
		f->max_tlp = (enum fed_tlp)t;
	}
	f->partner = cli_opt(a, "partner");
	v = 0;
	if (cli_opt_int(a, "max-age", 1, 36500, &v) != 0)
		return 1;
	f->max_age_us = v * 86400 * INT64_C(1000000);
	if (cli_opt_int(a, "min-confidence", 0, 100, &f->min_confidence) != 0)
		return 1;
	v = 0;
	if (cli_opt_int(a, "sid-base", 1, UINT32_MAX - SENSOR_EXPORT_URL_SID_OFFSET -
			SENSOR_EXPORT_URL_SIDS - 1, &v) != 0)
		return 1;
	f->sid_base = (uint32_t)v;
	f->include_warned = cli_flag(a, "include-warned");
	return 0;
}

struct skip_ctx {
	size_t n;
	FILE *to;   /* every skip, or NULL */
};

static void print_skip(void *vctx, const char *ind, const char *value, const char *reason)
{
	struct skip_ctx *c = vctx;

	if (c->to)
		fprintf(c->to, "%s\t%s\t%s\n", ind, value ? value : "-", reason);
	if (c->n++ < MAX_REPORTED_SKIPS)
		fprintf(stderr, "trilex: skipped %s%s%s%s: %s\n", ind, value ? " (" : "",
			value ? value : "", value ? ")" : "", reason);
}

static int write_out(const char *path, const struct tx_buf *b)
{
	struct tx_error err = { 0 };

	if (strcmp(path, "-") == 0) {
		if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len)
			return cli_fail("stdout: write error");
		return 0;
	}
	if (tx_write_file(path, b->data ? b->data : "", b->len, 0644, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	return 0;
}

static int export_run(const struct cli_args *a, enum sensor_export_format fmt)
{
	const char *out = a->argv[0];
	struct store_user local = { .admin = 1, .name = "local" };
	struct export_filter f;
	struct sensor_export_counts cn;
	struct skip_ctx sk = { 0 };
	struct tx_config cfg;
	struct tx_error err = { 0 };
	sensor_warn *w = NULL;
	sensor_export *e = NULL;
	tx_store *st = NULL;
	size_t n_active = 0, n_files = 0;
	char path[PATH_MAX];
	int rc = 1;

	if (filter_of(a, &f) != 0)
		return 1;
	if (fmt == SENSOR_EXPORT_SURICATA && strcmp(out, "-") == 0)
		return cli_fail("export suricata: OUT is a folder (it writes several files)");
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (cli_warn_load_own(st, &w) != 0)
		goto out;
	if (export_build(st, &local, cfg.party, &f, w, &e, &n_active, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (fmt == SENSOR_EXPORT_SURICATA) {
		char sub[PATH_MAX];
		if ((mkdir(out, 0755) != 0 && errno != EEXIST) ||
		    tx_path_join(sub, sizeof(sub), out, "iprep") != TX_OK ||
		    (mkdir(sub, 0755) != 0 && errno != EEXIST)) {
			cli_fail("%s: cannot make the folder", out);
			goto out;
		}
		if (tx_path_join(path, sizeof(path), out, "trilex-skipped.tsv") != TX_OK ||
		    (sk.to = fopen(path, "w")) == NULL) {
			cli_fail("%s: cannot write", path);
			goto out;
		}
	}
	for (const char *file; (file = sensor_export_file(fmt, n_files)) != NULL; n_files++) {
		struct tx_buf b;
		tx_buf_init(&b, EXPORT_OUT_MAX);
		if (sensor_export_write(e, fmt, file, &b, &err) != TX_OK) {
			tx_buf_free(&b);
			cli_fail("%s", err.msg);
			goto out;
		}
		if (fmt == SENSOR_EXPORT_SURICATA &&
		    tx_path_join(path, sizeof(path), out, file) != TX_OK) {
			tx_buf_free(&b);
			cli_fail("%s: path too long", out);
			goto out;
		}
		int wrc = write_out(fmt == SENSOR_EXPORT_SURICATA ? path : out, &b);
		tx_buf_free(&b);
		if (wrc != 0)
			goto out;
	}
	sensor_export_skips(e, fmt, print_skip, &sk);
	if (sk.n > MAX_REPORTED_SKIPS)
		fprintf(stderr, "trilex: %zu skipped in all (the first %d shown%s)\n", sk.n,
			MAX_REPORTED_SKIPS, sk.to ? "; all in trilex-skipped.tsv" : "");
	sensor_export_counts(e, &cn);
	fprintf(stderr, "trilex: %zu active indicators, %zu through the filters: %zu"
		" entries; %zu values left out as warning-listed; %zu skipped in all\n",
		n_active, cn.indicators, cn.entries, cn.warned, sk.n);
	rc = 0;
out:
	if (sk.to)
		fclose(sk.to);
	sensor_export_free(e);
	sensor_warn_free(w);
	store_close(st);
	return rc;
}

static int suricata_run(const struct cli_args *a)
{
	return export_run(a, SENSOR_EXPORT_SURICATA);
}

static int zeek_run(const struct cli_args *a)
{
	return export_run(a, SENSOR_EXPORT_ZEEK);
}

static int csv_run(const struct cli_args *a)
{
	return export_run(a, SENSOR_EXPORT_CSV);
}

static int iocs_run(const struct cli_args *a)
{
	return export_run(a, SENSOR_EXPORT_IOCS);
}

const struct cmd cmd_export_suricata = {
	.name = "export suricata",
	.summary = "write Suricata datasets, the rules that use them and iprep files of"
		   " the node's active indicators into a folder",
	.opts = export_opts,
	.operands = "OUT/",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = suricata_run,
};

const struct cmd cmd_export_zeek = {
	.name = "export zeek",
	.summary = "write a Zeek Intel framework file of the node's active indicators",
	.opts = export_opts,
	.operands = "OUT|-",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = zeek_run,
};

const struct cmd cmd_export_csv = {
	.name = "export csv",
	.summary = "write the node's active indicators' values as CSV (RFC 4180)",
	.opts = export_opts,
	.operands = "OUT|-",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = csv_run,
};

const struct cmd cmd_export_iocs = {
	.name = "export iocs",
	.summary = "write the node's active indicators' values one a line, per type",
	.opts = export_opts,
	.operands = "OUT|-",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = iocs_run,
};

/* ---- GET /trilex/v1/export/{format}[/{file}] ---- */

static void fail(struct taxii_ext_reply *rp, unsigned status, const char *msg)
{
	rp->status = status;
	snprintf(rp->message, sizeof(rp->message), "%s", msg);
}

void cli_http_export(void *ctx, const struct taxii_ext_request *rq,
		     struct taxii_ext_reply *rp)
{
	struct export_filter f = { .max_tlp = FED_TLP_AMBER_STRICT, .min_confidence = -1 };
	struct tx_error err = { 0 };
	const char *v, *collections[2] = { NULL, NULL };
	char fmt_name[16], file[64] = "", etag[48], msg[TX_ERROR_MSG_MAX];
	unsigned char digest[20];
	sensor_export *e = NULL;
	sensor_warn *w = NULL;
	struct tx_buf b;
	struct tx_sha1 sh;
	size_t n_active = 0, flen;
	int fmt;
	int64_t n;

	(void)ctx;
	fmt_name[0] = '\0';
	tx_buf_init(&b, EXPORT_OUT_MAX);
	if (strcmp(rq->method, "GET") != 0) {
		fail(rp, 405, "export: GET only");
		goto out;
	}
	flen = strcspn(rq->rest, "/");
	if (flen == 0 || flen >= sizeof(fmt_name)) {
		fail(rp, 404, "export: /trilex/v1/export/{suricata|zeek|csv|iocs}");
		goto out;
	}
	memcpy(fmt_name, rq->rest, flen);
	fmt_name[flen] = '\0';
	if ((fmt = sensor_export_format_parse(fmt_name)) < 0) {
		fail(rp, 404, "export: no such format (suricata, zeek, csv, iocs)");
		goto out;
	}
	if (rq->rest[flen] == '/')
		snprintf(file, sizeof(file), "%s", rq->rest + flen + 1);
	if (file[0] == '\0' && fmt != SENSOR_EXPORT_SURICATA)
		snprintf(file, sizeof(file), "%s", sensor_export_file((enum sensor_export_format)fmt, 0));
	if ((v = taxii_ext_arg(rq, "collection")) != NULL) {
		collections[0] = v;
		f.collections = collections;
	}
	if ((v = taxii_ext_arg(rq, "tlp")) != NULL) {
		int t = fed_tlp_parse(v);
		if (t < 0) {
			fail(rp, 400, "tlp: clear, green, amber, amber+strict or red");
			goto out;
		}
		f.max_tlp = (enum fed_tlp)t;
	}
	f.partner = taxii_ext_arg(rq, "partner");
	if ((v = taxii_ext_arg(rq, "max_age")) != NULL) {
		if (tx_parse_int64(v, 1, 36500, &n) != TX_OK) {
			fail(rp, 400, "max_age: days from 1 to 36500");
			goto out;
		}
		f.max_age_us = n * 86400 * INT64_C(1000000);
	}
	if ((v = taxii_ext_arg(rq, "min_confidence")) != NULL &&
	    tx_parse_int64(v, 0, 100, &f.min_confidence) != TX_OK) {
		fail(rp, 400, "min_confidence: 0 to 100");
		goto out;
	}
	if ((v = taxii_ext_arg(rq, "sid_base")) != NULL) {
		if (tx_parse_int64(v, 1, UINT32_MAX - SENSOR_EXPORT_URL_SID_OFFSET -
				   SENSOR_EXPORT_URL_SIDS - 1, &n) != TX_OK) {
			fail(rp, 400, "sid_base: a positive number");
			goto out;
		}
		f.sid_base = (uint32_t)n;
	}
	f.include_warned = (v = taxii_ext_arg(rq, "include_warned")) != NULL &&
			   strcmp(v, "true") == 0;
	if (cli_warn_load_own(rq->st, &w) != 0) {
		fail(rp, 500, "export: cannot read the warning lists");
		goto out;
	}
	if (export_build(rq->st, rq->user, rq->cfg->party, &f, w, &e, &n_active,
			 &err) != TX_OK) {
		fail(rp, err.code == TX_ERR_NOTFOUND ? 404 : 500, err.msg);
		goto out;
	}
	if (file[0] == '\0') {
		/* the files of the Suricata export */
		json_t *files = json_array();
		for (size_t i = 0; files && sensor_export_file(SENSOR_EXPORT_SURICATA, i); i++)
			json_array_append_new(files, json_string(sensor_export_file(
						      SENSOR_EXPORT_SURICATA, i)));
		rp->status = 200;
		rp->json = json_pack("{s:s,s:o}", "format", "suricata", "files", files);
		goto out;
	}
	if (sensor_export_write(e, (enum sensor_export_format)fmt, file, &b, &err) != TX_OK) {
		tx_strfmt(msg, sizeof(msg), "export: %s", err.msg);
		fail(rp, err.code == TX_ERR_NOTFOUND ? 404 : 500, msg);
		goto out;
	}
	/* the ETag is the content's: the same indicators, the same tag */
	tx_sha1_init(&sh);
	tx_sha1_update(&sh, b.data ? b.data : "", b.len);
	tx_sha1_final(&sh, digest);
	etag[0] = '"';
	for (int i = 0; i < 20; i++)
		snprintf(etag + 1 + 2 * i, 3, "%02x", digest[i]);
	etag[41] = '"';
	etag[42] = '\0';
	taxii_ext_reply_header(rp, "ETag", "%s", etag);
	taxii_ext_reply_header(rp, "Cache-Control", "no-cache");
	if ((v = taxii_ext_header(rq, "If-None-Match")) != NULL && strstr(v, etag) != NULL) {
		/* unchanged: no body (the server wants a text, an empty one) */
		rp->status = 304;
		rp->content_type = "text/plain";
		rp->text_len = 0;
		if ((rp->text = strdup("")) == NULL)
			fail(rp, 500, "out of memory");
		goto out;
	}
	rp->status = 200;
	rp->content_type = fmt == SENSOR_EXPORT_CSV ? "text/csv; charset=utf-8"
						    : "text/plain; charset=utf-8";
	rp->text_len = b.len;
	rp->text = b.data ? tx_buf_take(&b) : strdup("");
	if (rp->text == NULL)
		fail(rp, 500, "out of memory");
out:
	taxii_metrics_export(fmt_name, rp->status, file[0] ? (int64_t)n_active : 0);
	tx_buf_free(&b);
	sensor_export_free(e);
	sensor_warn_free(w);
}
