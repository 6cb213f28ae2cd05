/*
 * cli/push.c: `trilex push` and `trilex get`, locally or against a remote
 * node over TAXII.
 */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "taxii/taxii.h"

#define FILE_MAX ((size_t)2 << 30)
#define RESPONSE_MAX ((size_t)1 << 30)
#define GET_TYPES_MAX 64

struct tally {
	size_t added, present, failed;
	size_t malformed;        /* of those failed: not JSON (reported) */
};

/* Count a status resource's outcomes; print each failure. */
static void tally_status(const json_t *status, struct tally *t)
{
	const json_t *d;
	size_t i;

	json_array_foreach(json_object_get(status, "successes"), i, d) {
		const char *m = json_string_value(json_object_get(d, "message"));
		if (m && strcmp(m, "already present") == 0)
			t->present++;
		else
			t->added++;
	}
	json_array_foreach(json_object_get(status, "failures"), i, d) {
		const char *m = json_string_value(json_object_get(d, "message"));
		t->failed++;
		fprintf(stderr, "failed: %s\n", m ? m : "(no reason given)");
	}
}

static void progress(size_t done, size_t total)
{
	int width = 40, fill = total ? (int)((double)done / total * width) : width;

	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r[%.*s%*s] %zu/%zu", fill,
		"########################################", width - fill, "", done,
		total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Line and column (1-based) of offset off in text. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
	const char *nl = text;

	*line = 1;
	for (const char *p = text; p < text + off; p++)
		if (*p == '\n') {
			(*line)++;
			nl = p + 1;
		}
	*col = (int)(text + off - nl) + 1;
}

/* objects[from, to) of the file, each parsed from its span; one that does
 * not parse is reported with its place and stands as null (the store then
 * refuses it, and goes on with the others). */
static json_t *batch_from_spans(const char *file, const char *text,
				const struct tx_span *spans, size_t from,
				size_t to, size_t *bad)
{
	json_t *b = json_array();

	for (size_t k = from; b && k < to; k++) {
		json_error_t jerr;
		json_t *o = tx_json_load(text + spans[k].off, spans[k].len,
					 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
					 &jerr);
		if (o == NULL) {
			int line, col;
			line_col(text, spans[k].off + (size_t)(jerr.position > 0 ?
				 jerr.position - 1 : 0), &line, &col);
			fprintf(stderr, "trilex: %s:%d:%d: objects[%zu]: %s\n", file,
				line, col, k, jerr.text);
			(*bad)++;
			o = json_null();
		}
		if (json_array_append_new(b, o) != 0) {
			json_decref(b);
			return NULL;
		}
	}
	return b;
}

static int remote_setup(const struct remote_opts *ro, struct taxii_client *c,
			char *pw, size_t pwsz)
{
	const char *env = getenv("TRILEX_PASSWORD");

	memset(c, 0, sizeof(*c));
	c->url = ro->url;
	c->cacert = ro->cacert;
	c->token = ro->token;
	c->api_key = ro->api_key;
	if ((ro->token != NULL) + (ro->api_key != NULL) + (ro->user != NULL) > 1)
		return cli_fail("give one of --user, --token and --api-key");
	if (ro->token == NULL && ro->api_key == NULL) {
		if (ro->user == NULL)
			return cli_fail("--url needs --user NAME (password in"
					" TRILEX_PASSWORD), --token TOKEN or"
					" --api-key KEY");
		if (env == NULL)
			return cli_fail("--user: set the password in TRILEX_PASSWORD");
		snprintf(pw, pwsz, "%s", env);
		c->user = ro->user;
		c->password = pw;
	}
	return 0;
}

/* Send one batch to a remote node; count its status. */
static int push_remote_batch(const struct taxii_client *c, const char *coll,
			     const json_t *batch, struct tally *t)
{
	struct taxii_response resp;
	struct tx_error err = { 0 };
	json_t *env = json_pack("{s:O}", "objects", batch), *status = NULL;
	char path[128], *body = NULL;
	int rc = 1;

	if (env == NULL || (body = tx_json_dumps(env, JSON_COMPACT)) == NULL) {
		json_decref(env);
		return cli_fail("out of memory");
	}
	snprintf(path, sizeof(path), "collections/%s/objects/", coll);
	if (taxii_client_request(c, "POST", path, body, strlen(body), RESPONSE_MAX,
				 &resp, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	status = tx_json_load(resp.body, resp.len, 0, NULL);
	if (resp.status != 202 || status == NULL) {
		const char *d = json_string_value(json_object_get(status, "description"));
		cli_fail("%s: HTTP %ld: %s", c->url, resp.status, d ? d : resp.body);
	} else {
		tally_status(status, t);
		rc = 0;
	}
	taxii_response_free(&resp);
out:
	json_decref(status);
	json_decref(env);
	free(body);
	return rc;
}

/* Options of a command that works on a node or on a remote TAXII server. */
static void remote_of(const struct cli_args *a, struct remote_opts *ro)
{
	ro->url = cli_opt(a, "url");
	ro->user = cli_opt(a, "user");
	ro->token = cli_opt(a, "token");
	ro->api_key = cli_opt(a, "api-key");
	ro->cacert = cli_opt(a, "cacert");
}

/* The options of a command that may work on a remote TAXII server. */
#define REMOTE_OPTS \
	{ "url", "URL", 0, "a TAXII API root (instead of --dir)" }, \
	{ "user", "NAME", 0, "HTTP Basic user (password in TRILEX_PASSWORD)" }, \
	{ "token", "T", 0, "bearer token" }, \
	{ "api-key", "K", 0, "API key (sent as X-API-Key)" }, \
	{ "cacert", "PEM", 0, "the server's CA certificate" }

static const struct cli_opt push_opts[] = {
	{ "collection", "ID", CLI_REQ, "the collection (id or alias)" },
	{ "batch", "N", 0, "objects per request or transaction (default 1000)" },
	REMOTE_OPTS,
	{ 0 },
};

/* What push reads: the file, and either the spans of its objects (a
 * bundle or envelope, parsed a batch at a time) or its objects parsed. */
struct push_input {
	const char *path;
	char *text;
	size_t len;
	struct tx_span *spans;   /* owned, or NULL */
	size_t n_spans;
	json_t *root;            /* owned, when parsed whole */
	const json_t *objects;   /* in root, or NULL with spans */
	size_t n;                /* objects in all */
};

static void input_free(struct push_input *in)
{
	json_decref(in->root);
	free(in->spans);
	free(in->text);
}

/* Read path: a bundle or envelope a batch at a time (memory for one
 * batch, not ten times the file); anything else whole. 0 or 1 (said). */
static int read_input(const char *path, struct push_input *in)
{
	struct tx_error err = { 0 };
	json_error_t jerr;
	json_t *objects;

	memset(in, 0, sizeof(*in));
	in->path = path;
	if (tx_read_file(path, FILE_MAX, &in->text, &in->len, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	if (tx_json_array_spans(in->text, in->len, "objects", &in->spans,
				&in->n_spans) == TX_OK) {
		if (!tx_json_frame_valid(in->text, in->len, in->spans, in->n_spans,
					 &jerr))
			return cli_fail("%s:%d:%d: %s", path, jerr.line, jerr.column,
					jerr.text);
		in->n = in->n_spans;
		return 0;
	}
	free(in->spans);
	in->spans = NULL;
	if ((in->root = tx_json_load(in->text, in->len, JSON_REJECT_DUPLICATES,
				     &jerr)) == NULL)
		return cli_fail("%s:%d:%d: %s", path, jerr.line, jerr.column,
				jerr.text);
	objects = json_object_get(in->root, "objects");
	if (json_is_object(in->root) && objects == NULL &&
	    json_is_string(json_object_get(in->root, "type"))) {
		/* A single STIX object: a list of one. */
		objects = json_pack("[O]", in->root);
		json_decref(in->root);
		in->root = json_pack("{s:o}", "objects", objects);
		objects = json_object_get(in->root, "objects");
	} else if (tx_json_array_spans(in->text, in->len, "objects", &in->spans,
				       &in->n_spans) != TX_OK ||
		   in->n_spans != json_array_size(objects)) {
		free(in->spans);
		in->spans = NULL;
	}
	if (!json_is_array(objects))
		return cli_fail("%s: not a STIX object, bundle or TAXII envelope (no"
				" \"objects\" list)", path);
	in->objects = objects;
	in->n = json_array_size(objects);
	return 0;
}

/* Where push sends: a remote TAXII server or this node's collection. */
struct push_target {
	const char *coll;
	int remote;
	struct taxii_client client;
	tx_store *st;
	struct store_collection col;
};

/* objects[from, to) of the input as a list (owned), or NULL. */
static json_t *input_batch(const struct push_input *in, size_t from, size_t to,
			   size_t *malformed)
{
	json_t *b;

	if (in->objects == NULL)
		return batch_from_spans(in->path, in->text, in->spans, from, to,
					malformed);
	b = json_array();
	for (size_t k = from; b && k < to; k++)
		json_array_append(b, json_array_get(in->objects, k));
	return b;
}

/* Store or send one batch, counting its status. 0, or 1 (said). */
static int push_batch(struct push_target *tg, const struct push_input *in,
		      const json_t *b, size_t from, struct tally *t)
{
	struct store_user local = { .admin = 1, .name = "local" };
	struct tx_error err = { 0 };
	char sid[TX_UUID_BUF];
	json_t *status = NULL;
	int bad;

	if (tg->remote)
		return push_remote_batch(&tg->client, tg->coll, b, t);
	bad = taxii_ingest_text(tg->st, tg->col.pk, NULL, b,
				in->spans ? in->text : NULL,
				in->spans ? in->spans + from : NULL, from, sid,
				&err) != TX_OK ||
	      store_status_get(tg->st, &local, sid, &status) != TX_OK;
	if (bad)
		cli_fail("%s", err.msg[0] ? err.msg : "cannot store");
	else
		tally_status(status, t);
	json_decref(status);
	return bad;
}

/* Ctrl-C (or SIGTERM) during push: the batch in flight is finished, the
 * summary so far printed, and the rest left for a rerun. */
static volatile sig_atomic_t push_stop;

static void on_stop(int sig)
{
	push_stop = sig;
}

static void catch_stop(int on)
{
	struct sigaction sa = { .sa_flags = SA_RESTART };

	sa.sa_handler = on ? on_stop : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int push_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	struct remote_opts ro = { 0 };
	struct push_target tg = { .coll = cli_opt(a, "collection") };
	struct store_user local = { .admin = 1, .name = "local" };
	struct tx_config cfg;
	struct tally t = { 0 };
	struct push_input in = { 0 };
	int64_t batch = 1000;
	char pw[1024] = "";
	int rc = 1;

	remote_of(a, &ro);
	if (cli_opt_int(a, "batch", 1, 100000, &batch) != 0)
		return 1;
	if (dir == NULL && ro.url == NULL)
		return cli_fail("push: give --dir DIR (this node) or --url URL (a"
				" TAXII server)");
	if (read_input(a->argv[0], &in) != 0)
		goto out;
	tg.remote = ro.url != NULL;
	if (tg.remote) {
		if (remote_setup(&ro, &tg.client, pw, sizeof(pw)) != 0)
			goto out;
	} else {
		if (cli_open_node(dir, &cfg, &tg.st) != 0)
			goto out;
		if (store_collection_get(tg.st, &local, tg.coll, &tg.col) != TX_OK) {
			cli_fail("no collection \"%s\" in %s", tg.coll, dir);
			goto out;
		}
	}
	size_t done = 0;
	push_stop = 0;
	catch_stop(1);
	for (size_t i = 0; i < in.n && !push_stop; i += (size_t)batch) {
		size_t end = i + (size_t)batch < in.n ? i + (size_t)batch : in.n;
		json_t *b = input_batch(&in, i, end, &t.malformed);
		int bad;
		if (b == NULL) {
			cli_fail("out of memory");
			goto out;
		}
		bad = push_batch(&tg, &in, b, i, &t);
		json_decref(b);
		if (bad)
			goto out;
		done = end;
		progress(end, in.n);
	}
	if (push_stop && done < in.n) {
		if (isatty(STDERR_FILENO))
			fputc('\n', stderr);
		printf("interrupted after %zu of %zu objects: %zu added, %zu already"
		       " present, %zu failed\n", done, in.n, t.added, t.present,
		       t.failed);
		fprintf(stderr, "trilex: push stopped by a signal after a whole batch;"
			" what is stored stays, and running the same push again"
			" skips it (\"already present\")\n");
		rc = 128 + (int)push_stop;
		goto out;
	}
	printf("%zu objects: %zu added, %zu already present, %zu failed\n", in.n,
	       t.added, t.present, t.failed);
	rc = t.failed ? 3 : 0;
out:
	catch_stop(0);
	sodium_memzero(pw, sizeof(pw));
	store_close(tg.st);
	input_free(&in);
	return rc;
}

const struct cmd cmd_push = {
	.name = "push",
	.usage = "(--dir DIR | --url URL (--user NAME | --token T | --api-key K) [--cacert PEM])"
		 " --collection ID [--batch N] FILE",
	.summary = "store a STIX bundle or TAXII envelope in a collection"
		   " (exit 3 if some objects failed)",
	.opts = push_opts,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR_OPT,
	.main = push_run,
};

/* ---- get ---- */

struct out_ctx {
	FILE *out;                 /* the bundle so far, a spool file */
	size_t n;
	const sensor_warn *warn;   /* --warn: the node's lists, or NULL */
	size_t n_warned;
	tx_store *st;              /* borrowed, --dir: to tell what is withdrawn */
	struct tx_error why;       /* what print_row failed on */
};

/*
 * Print one object of the bundle; with --warn, an indicator whose values
 * a warning list holds gets x_trilex_warnings ([{value, lists}]) in the
 * output (not in the store) and a line on stderr.
 */
static int print_object(struct out_ctx *o, const char *json, size_t len)
{
	json_t *obj = NULL, *hits = NULL;
	const char *type;
	char *text;

	if (o->n++ > 0)
		fputc(',', o->out);
	if (o->warn == NULL || memmem(json, len, "\"indicator\"", 11) == NULL ||
	    (obj = tx_json_load(json, len, 0, NULL)) == NULL ||
	    (type = json_string_value(json_object_get(obj, "type"))) == NULL ||
	    strcmp(type, "indicator") != 0 ||
	    (hits = cli_warn_pattern(o->warn, json_string_value(json_object_get(
					     obj, "pattern")))) == NULL) {
		fwrite(json, 1, len, o->out);
		json_decref(obj);
		return 0;
	}
	for (size_t i = 0; i < json_array_size(hits); i++) {
		json_t *h = json_array_get(hits, i), *l = json_object_get(h, "lists");
		for (size_t k = 0; k < json_array_size(l); k++)
			fprintf(stderr, "trilex: warning: %s: \"%s\" is on the warning"
				" list \"%s\"\n", json_string_value(json_object_get(obj, "id")),
				json_string_value(json_object_get(h, "value")),
				json_string_value(json_array_get(l, k)));
	}
	o->n_warned++;
	/* an indicator printed without its warnings would read as clean */
	if (json_object_set_new(obj, "x_trilex_warnings", hits) != 0 ||
	    (text = tx_json_dumps(obj, JSON_COMPACT)) == NULL) {
		tx_error_set(&o->why, TX_ERR_NOMEM, "%s: out of memory",
			     json_string_value(json_object_get(obj, "id")));
		json_decref(obj);
		return -1;
	}
	fputs(text, o->out);
	free(text);
	json_decref(obj);
	return 0;
}

static int print_row(void *cls, const struct store_row *row)
{
	struct out_ctx *o = cls;
	struct store_withdrawal *w = NULL;
	tx_err rc = TX_ERR_NOTFOUND;

	/* A withdrawn object is still listed (as TAXII lists it), and said
	 * to be withdrawn, by whom and why; one that cannot be told apart
	 * (a store error) is not listed as if it were in use. */
	if (o->st != NULL &&
	    ((w = malloc(sizeof(*w))) == NULL ||
	     ((rc = store_withdrawal_get(o->st, row->id, w)) != TX_OK &&
	      rc != TX_ERR_NOTFOUND))) {
		tx_error_set(&o->why, w ? rc : TX_ERR_NOMEM, "%s: cannot tell"
			     " whether it is withdrawn (%s)", row->id,
			     w ? "store error" : "out of memory");
		free(w);
		return STORE_ROW_FAIL;
	}
	if (print_object(cls, row->json, row->json_len) != 0) {
		free(w);
		return STORE_ROW_FAIL;
	}
	if (rc == TX_OK)
		fprintf(stderr, "trilex: %s: withdrawn by %s%s%s\n", row->id,
			w->party[0] ? w->party : "this node",
			w->reason[0] ? ": " : "", w->reason);
	free(w);
	return 0;
}

static int get_local(const char *dir, const char *coll, struct store_query *q,
		     struct out_ctx *o)
{
	struct store_user local = { .admin = 1 };
	struct store_collection col;
	struct store_page pg;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int64_t n_out = 0;
	int rc = 0;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (store_collection_get(st, &local, coll, &col) != TX_OK) {
		store_close(st);
		return cli_fail("no collection \"%s\" in %s", coll, dir);
	}
	q->collection_pk = col.pk;
	q->limit = 1000;
	o->st = st;
	do {
		if (store_query_objects(st, q, print_row, o, &pg, &err) != TX_OK) {
			rc = cli_fail("%s", o->why.msg[0] ? o->why.msg : err.msg);
			break;
		}
		n_out += (int64_t)pg.n;
		q->has_cursor = 1;
		q->cursor = pg.next;
	} while (pg.more);
	/* an export of the node's objects by whoever runs this */
	if (rc == 0)
		rc = cli_audit(st, "export", col.id, "trilex get: %lld objects",
			       (long long)n_out);
	store_close(st);
	return rc;
}

/* query: the match filters of every page; after: "&added_after=..." or
 * "", for the first page only (the next token says where the others
 * start: a server may refuse both, and TAXII 2.1 means neither). */
static int get_remote(const struct remote_opts *ro, const char *coll,
		      const char *query, const char *after, struct out_ctx *o)
{
	struct taxii_client client;
	struct taxii_response resp;
	struct tx_error err = { 0 };
	char pw[1024] = "", *next = NULL;
	struct tx_buf path;
	int rc = 1;

	if (remote_setup(ro, &client, pw, sizeof(pw)) != 0)
		return 1;
	tx_buf_init(&path, 0);
	for (;;) {
		json_t *env, *v;
		size_t i;

		path.len = 0;
		if (tx_buf_printf(&path, "collections/%s/objects/?limit=1000%s%s%s",
				  coll, query, next ? "&next=" : after,
				  next ? next : ""))
			break;
		free(next);
		next = NULL;
		if (taxii_client_request(&client, "GET", path.data, NULL, 0,
					 RESPONSE_MAX, &resp, &err) != TX_OK) {
			cli_fail("%s", err.msg);
			break;
		}
		env = tx_json_load(resp.body, resp.len, 0, NULL);
		if (resp.status != 200 || env == NULL) {
			const char *d = json_string_value(json_object_get(env,
									  "description"));
			cli_fail("%s: HTTP %ld: %s", ro->url, resp.status,
				 d ? d : resp.body);
			json_decref(env);
			taxii_response_free(&resp);
			break;
		}
		taxii_response_free(&resp);
		int failed = 0;
		json_array_foreach(json_object_get(env, "objects"), i, v) {
			char *text = tx_json_dumps(v, JSON_COMPACT);
			failed = text == NULL || print_object(o, text, strlen(text)) != 0;
			free(text);
			if (failed)
				break;
		}
		if (failed) {
			/* the next page would have made it a bundle with a
			 * hole in it */
			cli_fail("%s", o->why.msg[0] ? o->why.msg : "out of memory");
			json_decref(env);
			break;
		}
		if (json_is_true(json_object_get(env, "more")) &&
		    json_is_string(json_object_get(env, "next")))
			next = taxii_url_escape(json_string_value(
				json_object_get(env, "next")));
		json_decref(env);
		if (next == NULL) {
			rc = 0;
			break;
		}
	}
	free(next);
	tx_buf_free(&path);
	sodium_memzero(pw, sizeof(pw));
	return rc;
}

/* Copy the spool (from its start) to out; 0, or 1 with the reason said. */
static int spool_copy(FILE *spool, FILE *out)
{
	char buf[65536];
	size_t n;

	if (fflush(spool) != 0 || ferror(spool) || fseek(spool, 0, SEEK_SET) != 0)
		return cli_fail("cannot write the bundle to its spool file: %s",
				strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), spool)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			return cli_fail("cannot write the bundle: %s", strerror(errno));
	if (ferror(spool))
		return cli_fail("cannot read the bundle back from its spool file");
	if (fflush(out) != 0)
		return cli_fail("cannot write the bundle: %s", strerror(errno));
	return 0;
}

static const struct cli_opt get_opts[] = {
	{ "collection", "ID", CLI_REQ, "the collection (id or alias)" },
	{ "type", "T[,T...]", CLI_MANY, "only objects of these types" },
	{ "id", "ID", 0, "only this object" },
	{ "added-after", "TS", 0, "only objects added after this time" },
	{ "warn", NULL, 0, "flag indicators whose values the node's warning lists"
	  " hold (lists of --dir)" },
	REMOTE_OPTS,
	{ 0 },
};

static int get_run(const struct cli_args *a)
{
	const char *dir = a->dir, *coll = cli_opt(a, "collection");
	const char *id = cli_opt(a, "id"), *after = cli_opt(a, "added-after");
	const char *types[GET_TYPES_MAX];
	char typebuf[2048] = "";
	size_t n_types = 0, used = 0;
	struct remote_opts ro = { 0 };
	struct store_query q = { 0 };
	struct tx_buf query;
	char bundle[TX_UUID_BUF];
	struct out_ctx o = { 0 };
	sensor_warn *warn = NULL;
	int rc;

	/* --type a,b and --type a --type b alike, as match[type] takes them */
	for (const char *const *t = cli_opts(a, "type"); *t; t++) {
		size_t len = strlen(*t);
		if (used + len + 1 > sizeof(typebuf))
			return cli_fail("--type: too long");
		memcpy(typebuf + used, *t, len + 1);
		for (char *s = typebuf + used, *e; *s; s = e) {
			e = s + strcspn(s, ",");
			if (*e)
				*e++ = '\0';
			if (*s == '\0')
				continue;
			if (n_types == GET_TYPES_MAX)
				return cli_fail("--type: at most %d types", GET_TYPES_MAX);
			types[n_types++] = s;
		}
		used += len + 1;
	}

	remote_of(a, &ro);
	if (dir == NULL && ro.url == NULL)
		return cli_fail("get: give --dir DIR (this node) or --url URL (a"
				" TAXII server)");
	if (after && tx_time_parse(after, &q.added_after, NULL) != TX_OK)
		return cli_fail("--added-after: \"%s\" is not an RFC 3339 timestamp",
				after);
	q.has_added_after = after != NULL;
	if (n_types) {
		q.types = types;
		q.n_types = n_types;
	}
	if (id) {
		q.ids = &id;
		q.n_ids = 1;
	}
	if (cli_flag(a, "warn")) {
		struct tx_config cfg;
		tx_store *wst = NULL;
		if (dir == NULL)
			return cli_fail("--warn: give --dir DIR, the node whose warning"
					" lists to use");
		if (cli_open_node(dir, &cfg, &wst) != 0)
			return 1;
		rc = cli_warn_load(wst, &warn);
		store_close(wst);
		if (rc != 0)
			return rc;
		o.warn = warn;
	}
	/* The bundle goes to a spool file and out only whole: a failure half
	 * way (a page refused, a store error) prints nothing of it, not a
	 * bundle that parses as the first objects. */
	if ((o.out = tmpfile()) == NULL) {
		sensor_warn_free(warn);
		return cli_fail("cannot make a spool file for the bundle: %s",
				strerror(errno));
	}
	tx_uuid4(bundle);
	fprintf(o.out, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[",
		bundle);
	if (ro.url != NULL) {
		char *e;
		tx_buf_init(&query, 0);
		for (size_t i = 0; i < n_types; i++)
			if ((e = taxii_url_escape(types[i]))) {
				tx_buf_printf(&query, "%s%s", i ? "," : "&match%5Btype%5D=",
					      e);
				free(e);
			}
		if (id && (e = taxii_url_escape(id)))
			tx_buf_printf(&query, "&match%%5Bid%%5D=%s", e), free(e);
		struct tx_buf aq;
		tx_buf_init(&aq, 0);
		if (after && (e = taxii_url_escape(after)))
			tx_buf_printf(&aq, "&added_after=%s", e), free(e);
		rc = get_remote(&ro, coll, query.data ? query.data : "",
				aq.data ? aq.data : "", &o);
		tx_buf_free(&aq);
		tx_buf_free(&query);
	} else {
		rc = get_local(dir, coll, &q, &o);
	}
	fputs("]}\n", o.out);
	if (rc == 0)
		rc = spool_copy(o.out, stdout);
	fclose(o.out);
	if (warn != NULL)
		fprintf(stderr, "trilex: %zu indicators flagged by %zu warning lists\n",
			o.n_warned, sensor_warn_count(warn));
	sensor_warn_free(warn);
	return rc;
}

const struct cmd cmd_get = {
	.name = "get",
	.usage = "(--dir DIR | --url URL (--user NAME | --token T | --api-key K) [--cacert PEM])"
		 " --collection ID [--type T[,T...]]... [--id ID] [--added-after TS] [--warn]",
	.summary = "print the objects of a collection as a STIX bundle",
	.opts = get_opts,
	.flags = CMD_DIR_OPT,
	.main = get_run,
};
