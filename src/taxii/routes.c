/*
 * taxii/routes.c: the TAXII 2.1 endpoints (sections 4 and 5).
 *
 *   GET  /taxii2/                                     discovery
 *   GET  /{root}/                                     API root
 *   GET  /{root}/status/{id}/                         status
 *   GET  /{root}/collections/                         collections
 *   GET  /{root}/collections/{id}/                    collection
 *   GET  /{root}/collections/{id}/manifest/           manifest
 *   GET, POST /{root}/collections/{id}/objects/       objects
 *   GET, DELETE /{root}/collections/{id}/objects/{object-id}/
 *   GET  /{root}/collections/{id}/objects/{object-id}/versions/
 *
 * Collections a user may neither read nor write are answered 404, as if
 * absent; a visible collection without the right is 403. Pages are built
 * by copying stored JSON text, never by re-parsing it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stix/stix.h"
#include "taxii/internal.h"

#define MAX_SEGMENTS 8

struct route {
	char *seg[MAX_SEGMENTS];
	int n;
	char *copy;
};

static int split_path(const char *url, struct route *r)
{
	char *p;

	memset(r, 0, sizeof(*r));
	if ((r->copy = strdup(url)) == NULL)
		return -1;
	for (p = r->copy; *p;) {
		while (*p == '/')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (r->n == MAX_SEGMENTS)
			return -1;
		r->seg[r->n++] = p;
		p += strcspn(p, "/");
	}
	return 0;
}

static int method_listed(const char *list, const char *method);

static int method_is(const struct request *rq, const char *m)
{
	return strcmp(rq->method, m) == 0;
}

static void not_allowed(struct reply *rp, const struct request *rq,
			const char *allow)
{
	taxii_reply_error(rp, 405, "Method Not Allowed", "%s is not allowed here; use %s",
		    rq->method, allow);
	taxii_reply_header(rp, "Allow", allow);
}

static void api_root_url(const struct request *rq, char *out, size_t n)
{
	snprintf(out, n, "%s/%s/", rq->base_url, rq->cfg->api_root);
}

static void discovery(struct request *rq, struct reply *rp)
{
	char root[sizeof(rq->base_url) + 80], title[TX_NAME_MAX + 32];
	json_t *v;

	api_root_url(rq, root, sizeof(root));
	snprintf(title, sizeof(title), "trilex node %s", rq->cfg->party);
	v = json_pack("{s:s, s:s, s:s, s:[s]}", "title", title, "description",
		      rq->cfg->name, "default", root, "api_roots", root);
	if (v == NULL) {
		taxii_reply_error(rp, 500, "Internal Server Error", "out of memory");
		return;
	}
	taxii_reply_json(rp, 200, v);
	json_decref(v);
}

static void api_root(struct request *rq, struct reply *rp)
{
	json_t *v = json_pack("{s:s, s:s, s:[s], s:I}", "title", rq->cfg->name,
			      "description", "trilex TAXII 2.1 API root",
			      "versions", TAXII_MEDIA_TYPE, "max_content_length",
			      (json_int_t)rq->cfg->max_content_length);

	if (v == NULL) {
		taxii_reply_error(rp, 500, "Internal Server Error", "out of memory");
		return;
	}
	taxii_reply_json(rp, 200, v);
	json_decref(v);
}

static json_t *collection_json(const struct store_collection *c)
{
	json_t *v = json_pack("{s:s, s:s, s:s, s:b, s:b, s:[s]}", "id", c->id,
			      "title", c->title, "description", c->description,
			      "can_read", c->can_read, "can_write", c->can_write,
			      "media_types", STIX_MEDIA_TYPE);

	if (v != NULL && c->alias[0] &&
	    json_object_set_new(v, "alias", json_string(c->alias)) != 0) {
		json_decref(v); /* not a collection without its alias */
		return NULL;
	}
	return v;
}

static void collections(struct request *rq, struct reply *rp)
{
	struct store_collection *list = NULL;
	size_t n = 0;
	json_t *arr = NULL, *v = NULL;

	if (store_collection_list(rq->st, &rq->user, &list, &n) != TX_OK) {
		taxii_reply_error(rp, 500, "Internal Server Error",
			    "cannot list collections");
		return;
	}
	if ((v = json_object()) == NULL || (arr = json_array()) == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, collection_json(&list[i])) != 0)
			goto nomem;
	if (n > 0 && json_object_set(v, "collections", arr) != 0)
		goto nomem;
	taxii_reply_json(rp, 200, v);
	goto out;
nomem:
	taxii_reply_error(rp, 500, "Internal Server Error", "out of memory");
out:
	json_decref(arr);
	json_decref(v);
	free(list);
}

/* Reply with status resource id as the store has it (no parse and dump
 * of its details lists); 0, or -1 when there is no such resource. */
static int reply_status(struct request *rq, struct reply *rp, unsigned code,
			const char *id, int successes)
{
	struct tx_buf b;

	tx_buf_init(&b, 0);
	if (store_status_text(rq->st, &rq->user, id, successes, &b) != TX_OK) {
		tx_buf_free(&b);
		return -1;
	}
	free(rp->body);
	rp->len = b.len;
	rp->body = tx_buf_take(&b);
	rp->status = rp->body ? code : 500;
	return 0;
}

static void status(struct request *rq, struct reply *rp, const char *id)
{
	if (!tx_uuid_valid(id, strlen(id)) || reply_status(rq, rp, 200, id, 1) != 0)
		taxii_reply_error(rp, 404, "Not Found", "no status resource %.64s", id);
}

/* ---- pages of objects, manifests and versions ---- */

enum page_kind { PAGE_OBJECTS, PAGE_MANIFEST, PAGE_VERSIONS };

#define PAGE_BODY_RESERVE (64 * 1024)

struct page_ctx {
	struct tx_buf buf;
	enum page_kind kind;
	size_t n;
	/* objects marked TLP:RED or AMBER+STRICT on the page: their number
	 * and the first ids, for the audit trail */
	size_t n_sensitive;
	char sensitive[512];
	size_t sensitive_len;
};

static int page_row(void *ctx, const struct store_row *row)
{
	struct page_ctx *pc = ctx;
	char added[TX_TIME_BUF];
	tx_err rc = TX_OK;

	if (pc->n++ > 0)
		rc = tx_buf_append(&pc->buf, ",", 1);
	if (rc)
		return -1;
	switch (pc->kind) {
	case PAGE_OBJECTS:
		rc = tx_buf_append(&pc->buf, row->json, row->json_len);
		if (row->restricted && pc->n_sensitive++ < 4) {
			size_t used = pc->sensitive_len, n = strlen(row->id);
			if (used + n + 2 < sizeof(pc->sensitive)) {
				if (used > 0)
					pc->sensitive[used++] = ' ';
				memcpy(pc->sensitive + used, row->id, n + 1);
				pc->sensitive_len = used + n;
			}
		}
		break;
	case PAGE_MANIFEST:
		/* id and version were validated on ingest: no escaping needed. */
		tx_time_format(row->date_added, added);
		rc = tx_buf_printf(&pc->buf, "{\"id\":\"%s\",\"date_added\":\"%s\","
				   "\"version\":\"%s\",\"media_type\":\""
				   "application/stix+json;version=%s\"}",
				   row->id, added, row->version,
				   row->spec_version ? row->spec_version : "2.1");
		break;
	case PAGE_VERSIONS:
		rc = tx_buf_printf(&pc->buf, "\"%s\"", row->version);
		break;
	}
	return rc == TX_OK ? 0 : -1;
}

/* Parse the query string into f; on error fill rp and return -1. */
struct args_ctx {
	struct filters *f;
	int64_t page_max;
	char msg[256];
	int bad;
};

static enum MHD_Result one_arg(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *value)
{
	struct args_ctx *a = cls;

	if (taxii_filters_add(a->f, key, value, a->page_max, a->msg, sizeof(a->msg))) {
		a->bad = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

static int parse_args(struct request *rq, struct reply *rp, struct filters *f)
{
	struct args_ctx a = { .f = f, .page_max = rq->cfg->page_max };

	taxii_filters_init(f, rq->cfg->page_default);
	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, one_arg, &a);
	if (a.bad) {
		taxii_reply_error(rp, 400, "Bad Request", "%s", a.msg);
		return -1;
	}
	return 0;
}

/*
 * Run a page query and answer it. With must_exist, an empty first page is
 * a 404 (the object does not exist, or not with these filters).
 */
/* a then b into out (size n > 0), cut to fit: snprintf's "%s%s" without
 * printf (600 instructions a call, on every page of RED objects). */
static void cat2(char *out, size_t n, const char *a, const char *b)
{
	size_t la = strnlen(a, n - 1), lb = strnlen(b, n - 1 - la);

	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	out[la + lb] = '\0';
}

/* The audit actor of a request: "user:NAME" or "partner:PARTY". */
void taxii_routes_actor(const struct store_user *u, char *out, size_t n)
{
	if (u->peer[0] != '\0')
		cat2(out, n, "partner:", u->peer);
	else
		cat2(out, n, "user:", u->name);
}

/* The client address of a request as text, or "". */
void taxii_routes_client_addr(struct MHD_Connection *conn, char out[64])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	taxii_auth_addr_text(ci ? ci->client_addr : NULL, out);
}

/* Record that a page held objects marked RED or AMBER+STRICT: who, from
 * where, which collection, how many and the first ids. */
static void audit_read(struct request *rq, const char *coll_id,
		       const struct page_ctx *pc)
{
	static const char marked[] = " objects TLP:RED or TLP:AMBER+STRICT: ";
	char actor[STORE_NAME_MAX + 16], addr[64], what[64], detail[700];
	char *p = detail;

	/* No printf here (it ran for every page recorded): the same text as
	 * "%zu of %zu objects TLP:RED or TLP:AMBER+STRICT: %s%s" */
	taxii_routes_actor(&rq->user, actor, sizeof(actor));
	taxii_routes_client_addr(rq->conn, addr);
	cat2(what, sizeof(what), "collection ", coll_id);
	p += tx_u64_text(pc->n_sensitive, p);
	memcpy(p, " of ", 4);
	p += 4;
	p += tx_u64_text(pc->n, p);
	memcpy(p, marked, sizeof(marked) - 1);
	p += sizeof(marked) - 1;
	memcpy(p, pc->sensitive, pc->sensitive_len); /* < 512: it fits */
	p += pc->sensitive_len;
	memcpy(p, pc->n_sensitive > 4 ? " ..." : "", pc->n_sensitive > 4 ? 5 : 1);
	taxii_auditq_put(rq->auditq, rq->st, actor, addr, "read", what, detail);
}

static void page(struct request *rq, struct reply *rp, struct filters *f,
		 enum page_kind kind, int must_exist, const char *coll_id)
{
	struct page_ctx pc = { .kind = kind };
	struct store_page pg;
	struct tx_error err = { 0 };
	char tok[STORE_TOKEN_BUF], ts[TX_TIME_BUF];
	const char *key = kind == PAGE_VERSIONS ? "versions" : "objects";

	tx_buf_init(&pc.buf, 0);
	/* Room for a typical page at once (100 objects of ~600 bytes): grown
	 * from 256 bytes by doubling, the body took 8 reallocs a page, and
	 * whenever the thread's heap was fragmented (SQLite refills its page
	 * cache after every commit by another connection, e.g. the audit
	 * writer's) each one copied: callgrind counted 880 instructions a
	 * row in page_row with audit, 270 without. */
	if (tx_buf_reserve(&pc.buf, PAGE_BODY_RESERVE) != TX_OK)
		goto nomem;
	if (tx_buf_printf(&pc.buf, "{\"%s\":[", key) != TX_OK)
		goto nomem;
	/* the objects may come from the read replica (the collection and the
	 * caller's grant were read from the primary) */
	if (store_query_objects(taxii_read_store(rq), &f->q, page_row, &pc, &pg,
				&err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "query: %s", err.msg);
		taxii_reply_error(rp, 500, "Internal Server Error", "the query failed");
		goto out;
	}
	if (pg.n == 0) {
		if (must_exist && !f->q.has_cursor) {
			taxii_reply_error(rp, 404, "Not Found", "no such object in this"
				    " collection (with these filters)");
			goto out;
		}
		tx_buf_free(&pc.buf);
		if ((rp->body = strdup("{}")) == NULL)
			goto nomem;
		rp->len = 2;
		rp->status = 200;
		goto out;
	}
	if (pg.more) {
		store_cursor_encode(&pg.next, tok);
		if (tx_buf_printf(&pc.buf, "],\"more\":true,\"next\":\"%s\"}", tok))
			goto nomem;
	} else if (tx_buf_puts(&pc.buf, "],\"more\":false}")) {
		goto nomem;
	}
	if (pc.n_sensitive > 0)
		audit_read(rq, coll_id, &pc);
	tx_time_format(pg.first_added, ts);
	taxii_reply_header(rp, "X-TAXII-Date-Added-First", ts);
	tx_time_format(pg.last_added, ts);
	taxii_reply_header(rp, "X-TAXII-Date-Added-Last", ts);
	rp->status = 200;
	rp->len = pc.buf.len;
	rp->body = tx_buf_take(&pc.buf);
	goto out;
nomem:
	taxii_reply_error(rp, 500, "Internal Server Error", "out of memory");
out:
	tx_buf_free(&pc.buf);
}

/* Outside its list of objects an envelope has "more" and "next": a body
 * with more than this around the list is no envelope, and is not parsed. */
#define ENVELOPE_FRAME_MAX (64 * 1024)
/* A body that is not an envelope is parsed whole, to say where its JSON
 * is wrong, only when it is at most this long. */
#define BAD_BODY_PARSE_MAX (64 * 1024)

/* Answer a body without a list of objects where an envelope has it. */
static void not_envelope(struct request *rq, struct reply *rp)
{
	json_error_t jerr;
	json_t *v;

	if (rq->body_len > BAD_BODY_PARSE_MAX) {
		taxii_reply_error(rp, 400, "Bad Request", "the body must be a"
			    " TAXII envelope: a JSON object with an"
			    " \"objects\" list");
		return;
	}
	v = tx_json_load(rq->body ? rq->body : "", rq->body_len,
			 JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL) {
		taxii_reply_error(rp, 400, "Bad Request",
			    "malformed JSON at line %d, column %d: %s",
			    jerr.line, jerr.column, jerr.text);
		return;
	}
	json_decref(v);
	taxii_reply_error(rp, 400, "Bad Request", "the body must be a TAXII envelope:"
		    " an object with an \"objects\" list");
}

/*
 * The objects of an envelope, parsed one by one from their spans: for a
 * partner's hook, which takes a list. NULL with msg filled when one is
 * not JSON (or memory ran out: see taxii_memcap_hit).
 */
static json_t *objects_from_spans(const char *body, const struct tx_span *spans,
				  size_t n, char *msg, size_t msgsz)
{
	json_t *list = json_array();

	for (size_t i = 0; list != NULL && i < n; i++) {
		json_error_t jerr;
		json_t *o = tx_json_load(body + spans[i].off, spans[i].len,
					 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
					 &jerr);
		if (o == NULL) {
			snprintf(msg, msgsz, "objects[%zu] (byte %zu of the body):"
				 " %s", i, spans[i].off + (size_t)(jerr.position > 0 ?
				 jerr.position - 1 : 0), jerr.text);
			json_decref(list);
			return NULL;
		}
		if (json_array_append_new(list, o) != 0) {
			snprintf(msg, msgsz, "out of memory");
			json_decref(list);
			return NULL;
		}
	}
	if (list == NULL)
		snprintf(msg, msgsz, "out of memory");
	return list;
}

/*
 * POST of an envelope. What it costs is bounded before anything is
 * parsed: the objects are counted by a scan (max_envelope_objects), the
 * text around them is capped, each object is parsed on its own, and the
 * JSON values of the whole request may take at most body_memory_factor
 * times the body (memcap): past that, 413 and nothing stored.
 */
static void post_objects(struct request *rq, struct reply *rp,
			 const struct store_collection *c)
{
	json_error_t jerr;
	json_t *objects = NULL;
	struct tx_span *spans = NULL;
	size_t n_spans = 0, outside;
	char status_id[TX_UUID_BUF], msg[TX_ERROR_MSG_MAX] = "";
	const char *body = rq->body ? rq->body : "";
	int64_t cap = rq->cfg->body_memory_factor * (int64_t)rq->body_len +
		      (1 << 20);
	tx_err rc;
	struct tx_error err = { 0 };

	if (!c->can_write) {
		taxii_reply_error(rp, 403, "Forbidden",
			    "you may not write to collection %s", c->id);
		return;
	}
	if (rq->user.peer[0] == '\0' && store_inbox_party(c) != NULL) {
		taxii_reply_error(rp, 403, "Forbidden", "collection %s is the"
			    " inbox of partner %s: only its signed objects"
			    " go there", c->alias, store_inbox_party(c));
		return;
	}
	rc = tx_json_array_spans_max(body, rq->body_len, "objects",
				     (size_t)rq->cfg->max_envelope_objects,
				     &spans, &n_spans);
	if (rc == TX_ERR_TOOBIG) {
		taxii_reply_error(rp, 413, "Request Entity Too Large",
			    "the envelope has more than %lld objects"
			    " (max_envelope_objects); send them in"
			    " several requests",
			    (long long)rq->cfg->max_envelope_objects);
		return;
	}
	if (rc == TX_ERR_NOMEM) {
		taxii_reply_error(rp, 500, "Internal Server Error",
			    "out of memory");
		return;
	}
	if (rc != TX_OK) {
		not_envelope(rq, rp);
		return;
	}
	/* Around the list: before its first element and after its last (what
	 * is between elements is commas and spaces, no values). */
	outside = n_spans == 0 ? rq->body_len :
		  spans[0].off + (rq->body_len - spans[n_spans - 1].off -
				  spans[n_spans - 1].len);
	if (outside > ENVELOPE_FRAME_MAX) {
		taxii_reply_error(rp, 400, "Bad Request", "the envelope has %zu bytes"
			    " outside its \"objects\" list; at most %d",
			    outside, ENVELOPE_FRAME_MAX);
		goto out;
	}
	taxii_memcap_begin(cap);
	/* The text around the objects (each taken as a null unseen). */
	if (!tx_json_frame_valid(body, rq->body_len, spans, n_spans, &jerr)) {
		if (taxii_memcap_hit())
			goto too_costly;
		taxii_reply_error(rp, 400, "Bad Request",
			    "malformed JSON at line %d, column %d: %s",
			    jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (rq->user.peer[0] != '\0') {
		/* A partner: only through the hook that checks signatures. */
		if (rq->hooks->peer_ingest == NULL) {
			taxii_reply_error(rp, 403, "Forbidden", "this node takes no objects"
				    " from partners");
			goto out;
		}
		taxii_ingestq_test_gate(rq->body_len);
		if ((objects = objects_from_spans(body, spans, n_spans, msg,
						  sizeof(msg))) == NULL) {
			if (taxii_memcap_hit())
				goto too_costly;
			taxii_reply_error(rp, strcmp(msg, "out of memory") ? 400 : 500,
				    strcmp(msg, "out of memory") ? "Bad Request" :
				    "Internal Server Error", "malformed JSON: %s", msg);
			goto out;
		}
		rc = rq->hooks->peer_ingest(rq->hooks->ctx, rq->st, &rq->user,
					    c->pk, objects, body, spans,
					    status_id, &err);
	} else {
		rc = taxii_ingest_spans(rq->st, c->pk, &rq->user, body, spans,
					n_spans, status_id, &err);
	}
	if (rc != TX_OK && taxii_memcap_hit())
		goto too_costly;
	if (rc == TX_ERR_INVALID && rq->user.peer[0] == '\0') {
		taxii_reply_error(rp, 400, "Bad Request", "malformed JSON: %s", err.msg);
		goto out;
	}
	if (rc != TX_OK) {
		tx_log(TX_LOG_ERROR, "ingest: %s", err.msg);
		if (err.code == TX_ERR_DENIED) {
			taxii_reply_error(rp, 403, "Forbidden", "nothing was stored: %s",
				    err.msg);
			goto out;
		}
		taxii_reply_error(rp, err.code == TX_ERR_DB ? 503 : 500,
			    "Internal Server Error",
			    "nothing was stored: %s", tx_err_str(err.code));
		goto out;
	}
	taxii_memcap_end(NULL);
	/* What partners send is not passed on: no need to wake delivery. */
	if (rq->hooks->stored && rq->user.peer[0] == '\0')
		rq->hooks->stored(rq->hooks->ctx);
	/* A partner's delivery reads only the failures: its 202 leaves the
	 * successes out (500 ids a batch); GET of the status has them. */
	if (reply_status(rq, rp, 202, status_id, rq->user.peer[0] == '\0') != 0)
		taxii_reply_error(rp, 500, "Internal Server Error",
			    "stored, but the status %s cannot be read", status_id);
	goto out;
too_costly:
	taxii_reply_error(rp, 413, "Request Entity Too Large", "these objects would"
		    " take more than %lld bytes of memory (body_memory_factor"
		    " %lld times the body, plus 1 MiB); nothing was stored",
		    (long long)cap, (long long)rq->cfg->body_memory_factor);
out:
	taxii_memcap_end(NULL);
	free(spans);
	json_decref(objects);
}

static void delete_object(struct request *rq, struct reply *rp,
			  struct filters *f, const struct store_collection *c,
			  const char *oid)
{
	struct tx_error err = { 0 };
	tx_err rc;

	if (!c->can_write) {
		taxii_reply_error(rp, 403, "Forbidden",
			    "you may not delete from collection %s", c->id);
		return;
	}
	f->q.collection_pk = c->pk;
	rc = store_delete_object(rq->st, &f->q, oid, &err);
	if (rc == TX_ERR_NOTFOUND) {
		taxii_reply_error(rp, 404, "Not Found", "no object %s", oid);
		return;
	}
	if (rc != TX_OK) {
		taxii_reply_error(rp, 500, "Internal Server Error", "delete failed");
		return;
	}
	rp->status = 200;
}

/* Everything under /{root}/collections/{id}/. */
/* ---- the TAXII routes, one row each ---- */

/* The parameters of a route's path, resolved before its handler runs. */
struct route_params {
	const char *status;          /* {status}: as given */
	const char *collection;      /* {collection}: as given, then */
	struct store_collection c;   /* the one the caller sees */
	const char *object;          /* {object}: a valid STIX id */
};

typedef void (*route_fn)(struct request *rq, struct reply *rp,
			 struct route_params *p);

struct taxii_route {
	/* Segments; "{root}" is the API root, "{status}", "{collection}"
	 * (404 unless the caller may read or write it) and "{object}" (404
	 * unless a STIX id) are parameters. */
	const char *path;
	const char *methods;         /* what Allow says on a 405 */
	route_fn fn;
	const char *doc;             /* the README's line (help --endpoints) */
};

static void r_discovery(struct request *rq, struct reply *rp,
			struct route_params *p)
{
	discovery(rq, rp);
}

static void r_api_root(struct request *rq, struct reply *rp,
		       struct route_params *p)
{
	api_root(rq, rp);
}

static void r_status(struct request *rq, struct reply *rp,
		     struct route_params *p)
{
	status(rq, rp, p->status);
}

static void r_collections(struct request *rq, struct reply *rp,
			  struct route_params *p)
{
	collections(rq, rp);
}

static void r_collection(struct request *rq, struct reply *rp,
			 struct route_params *p)
{
	json_t *v = collection_json(&p->c);

	if (v == NULL) {
		taxii_reply_error(rp, 500, "Internal Server Error", "no memory");
		return;
	}
	taxii_reply_json(rp, 200, v);
	json_decref(v);
}

/* A GET of a page: the collection must be readable; object (may be NULL)
 * narrows it to one object's versions. */
static void read_page(struct request *rq, struct reply *rp,
		      struct route_params *p, enum page_kind kind)
{
	struct filters f;
	const char *id[1] = { p->object };

	if (!p->c.can_read) {
		taxii_reply_error(rp, 403, "Forbidden",
			    "you may not read collection %s", p->c.id);
		return;
	}
	if (parse_args(rq, rp, &f) != 0)
		goto out;
	f.q.collection_pk = p->c.pk;
	if (p->object == NULL) {
		page(rq, rp, &f, kind, 0, p->c.id);
		goto out;
	}
	/* One object: match[id] is the path's; versions lists them all. */
	f.q.ids = id;
	f.q.n_ids = 1;
	f.q.n_types = 0;
	if (kind == PAGE_VERSIONS) {
		memset(&f.q.versions, 0, sizeof(f.q.versions));
		f.q.versions.all = 1;
	}
	page(rq, rp, &f, kind, 1, p->c.id);
out:
	taxii_filters_free(&f);
}

static void r_objects(struct request *rq, struct reply *rp,
		      struct route_params *p)
{
	if (method_is(rq, "POST"))
		post_objects(rq, rp, &p->c);
	else
		read_page(rq, rp, p, PAGE_OBJECTS);
}

static void r_object(struct request *rq, struct reply *rp,
		     struct route_params *p)
{
	struct filters f;

	if (!method_is(rq, "DELETE")) {
		read_page(rq, rp, p, PAGE_OBJECTS);
		return;
	}
	if (parse_args(rq, rp, &f) == 0)
		delete_object(rq, rp, &f, &p->c, p->object);
	taxii_filters_free(&f);
}

static void r_versions(struct request *rq, struct reply *rp,
		       struct route_params *p)
{
	read_page(rq, rp, p, PAGE_VERSIONS);
}

static void r_manifest(struct request *rq, struct reply *rp,
		       struct route_params *p)
{
	read_page(rq, rp, p, PAGE_MANIFEST);
}

static const struct taxii_route taxii_routes[] = {
	{ "taxii2", "GET", r_discovery, "GET discovery" },
	{ "{root}", "GET", r_api_root,
	  "GET API root (`max_content_length` included)" },
	{ "{root}/status/{status}", "GET", r_status,
	  "GET the status of a POST (only its author and admins see it)" },
	{ "{root}/collections", "GET", r_collections,
	  "GET the collections you may read or write" },
	{ "{root}/collections/{collection}", "GET", r_collection,
	  "GET one collection (its id or alias)" },
	{ "{root}/collections/{collection}/objects", "GET, POST", r_objects,
	  "GET a page of objects, POST an envelope" },
	{ "{root}/collections/{collection}/objects/{object}", "GET, DELETE",
	  r_object, "GET an object, DELETE it on this node only (all versions,"
	  " or those `match[version]` selects)" },
	{ "{root}/collections/{collection}/objects/{object}/versions", "GET",
	  r_versions, "GET its versions" },
	{ "{root}/collections/{collection}/manifest", "GET", r_manifest,
	  "GET a page of manifest records" },
};
#define N_TAXII_ROUTES (sizeof(taxii_routes) / sizeof(taxii_routes[0]))

size_t taxii_route_doc(size_t i, const char **path, const char **methods,
		       const char **doc)
{
	if (i >= N_TAXII_ROUTES)
		return N_TAXII_ROUTES;
	*path = taxii_routes[i].path;
	*methods = taxii_routes[i].methods;
	*doc = taxii_routes[i].doc;
	return N_TAXII_ROUTES;
}

/* Whether the path segments of r fit row t's pattern; fills p's texts. */
static int route_fits(const struct taxii_route *t, const struct route *r,
		      const char *api_root, struct route_params *p)
{
	const char *s = t->path;
	int i = 0;

	for (; *s; i++) {
		size_t len = strcspn(s, "/");
		if (i >= r->n)
			return 0;
		if (len == 6 && strncmp(s, "{root}", 6) == 0) {
			if (strcmp(r->seg[i], api_root) != 0)
				return 0;
		} else if (len == 8 && strncmp(s, "{status}", 8) == 0) {
			p->status = r->seg[i];
		} else if (len == 8 && strncmp(s, "{object}", 8) == 0) {
			p->object = r->seg[i];
		} else if (len == 12 && strncmp(s, "{collection}", 12) == 0) {
			p->collection = r->seg[i]; /* looked up once found */
		} else if (strlen(r->seg[i]) != len ||
			   strncmp(s, r->seg[i], len) != 0) {
			return 0;
		}
		s += len;
		if (*s == '/')
			s++;
	}
	return i == r->n;
}

void taxii_routes_dispatch(struct request *rq, struct reply *rp)
{
	struct route r;
	struct route_params p;
	const struct taxii_route *t = NULL;

	if (split_path(rq->url, &r) != 0) {
		taxii_reply_error(rp, 404, "Not Found", "no such endpoint");
		goto out;
	}
	for (size_t i = 0; i < N_TAXII_ROUTES && t == NULL; i++) {
		memset(&p, 0, sizeof(p));
		if (route_fits(&taxii_routes[i], &r, rq->cfg->api_root, &p))
			t = &taxii_routes[i];
	}
	if (t == NULL) {
		if (r.n == 0 || (strcmp(r.seg[0], rq->cfg->api_root) != 0 &&
				 strcmp(r.seg[0], "taxii2") != 0))
			taxii_reply_error(rp, 404, "Not Found", "no API root %.64s",
				    r.n ? r.seg[0] : "/");
		else
			taxii_reply_error(rp, 404, "Not Found", "no such endpoint");
		goto out;
	}
	/* The path's parameters first (404), then the method (405). */
	if (p.collection != NULL &&
	    store_collection_get(rq->st, &rq->user, p.collection, &p.c) != TX_OK) {
		taxii_reply_error(rp, 404, "Not Found", "no collection %.64s",
			    p.collection);
		goto out;
	}
	if (p.object != NULL && !stix_id_valid(p.object, NULL)) {
		taxii_reply_error(rp, 404, "Not Found", "%.100s is not a STIX identifier",
			    p.object);
		goto out;
	}
	if (!method_listed(t->methods, rq->method)) {
		not_allowed(rp, rq, t->methods);
		goto out;
	}
	t->fn(rq, rp, &p);
out:
	free(r.copy);
}

enum route_body taxii_routes_precheck(struct request *rq, struct reply *rp)
{
	struct store_collection c;
	struct route r;
	enum route_body rb = ROUTE_NO_BODY;

	if (!method_is(rq, "POST"))
		return ROUTE_NO_BODY;
	if (taxii_routes_is_ext(rq->exts, rq->n_exts, rq->url)) {
		if (taxii_routes_ext_find(rq->exts, rq->n_exts, rq->url, NULL) != NULL)
			return ROUTE_BODY;
		rp->plain_json = 1;
		taxii_reply_error(rp, 404, "Not Found", "no endpoint %.100s", rq->url);
		return ROUTE_ANSWERED;
	}
	/* POST /{root}/collections/{id}/objects/ is the one TAXII route
	 * with a body; any other answers without it (405, 404). */
	if (split_path(rq->url, &r) != 0)
		goto out;
	if (r.n != 4 || strcmp(r.seg[0], rq->cfg->api_root) != 0 ||
	    strcmp(r.seg[1], "collections") != 0 ||
	    strcmp(r.seg[3], "objects") != 0)
		goto out;
	rb = ROUTE_ANSWERED;
	if (store_collection_get(rq->st, &rq->user, r.seg[2], &c) != TX_OK)
		taxii_reply_error(rp, 404, "Not Found", "no collection %.64s", r.seg[2]);
	else if (!c.can_write)
		taxii_reply_error(rp, 403, "Forbidden",
			    "you may not write to collection %s", c.id);
	else
		rb = ROUTE_BODY;
out:
	free(r.copy);
	return rb;
}

/* ---- requests refused before anything else ---- */

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

size_t taxii_routes_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		int hi, lo;
		if (r[0] == '%' && (hi = hex_digit(r[1])) >= 0 &&
		    (lo = hex_digit(r[2])) >= 0) {
			/* %00 would end the string here and cut the path or
			 * value short: it becomes DEL, which taxii_routes_check
			 * refuses in a path and no argument accepts. */
			char c = (char)(hi * 16 + lo);
			*w++ = c != '\0' ? c : '\x7f';
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

struct header_count {
	unsigned content_length;
	unsigned transfer_encoding;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind,
				    const char *key, const char *value)
{
	struct header_count *h = cls;

	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		h->content_length++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		h->transfer_encoding++;
	return MHD_YES;
}

int taxii_routes_check(struct MHD_Connection *conn, const char *url, struct reply *rp)
{
	struct header_count h = { 0, 0 };

	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			taxii_reply_error(rp, 400, "Bad Request", "the path holds a control"
				    " character (such as %%00)");
			goto refuse;
		}
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &h);
	/* Two lengths, or a length beside chunks, is how a request is
	 * smuggled past a proxy that reads the other one (RFC 9112, 6.3). */
	if (h.content_length > 1 || (h.content_length && h.transfer_encoding)) {
		taxii_reply_error(rp, 400, "Bad Request", "%s", h.content_length > 1 ?
			    "more than one Content-Length" :
			    "both Content-Length and Transfer-Encoding");
		goto refuse;
	}
	return 0;
refuse:
	taxii_reply_header(rp, MHD_HTTP_HEADER_CONNECTION, "close");
	return -1;
}

/* ---- who may call what ---- */

/* Whether method is one of list ("GET" or "GET, POST"); NULL: none. */
static int method_listed(const char *list, const char *method)
{
	size_t n = strlen(method);

	for (const char *p = list; p != NULL && *p;) {
		size_t len;
		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, ", ");
		if (len == n && strncmp(p, method, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

/* Whether path (len bytes, no trailing '/') is served by row p; *rest is
 * what follows a prefix row's prefix. */
static int ext_path_is(const char *p, const char *path, size_t len,
		       const char **rest)
{
	size_t plen = strlen(p);

	if (plen >= 2 && strcmp(p + plen - 2, "/*") == 0)
		plen -= 2; /* "x/" followed by a star: the same as "x/" */
	else if (plen >= 2 && p[plen - 1] == '/')
		plen--;
	else
		plen = 0;
	if (plen > 0) {
		if (len < plen || strncmp(path, p, plen) != 0)
			return 0;
		if (len == plen) {
			*rest = "";
			return 1;
		}
		if (path[plen] != '/')
			return 0;
		*rest = path + plen + 1;
		return 1;
	}
	*rest = "";
	return strlen(p) == len && strncmp(p, path, len) == 0;
}

const struct taxii_ext *taxii_routes_ext_find(const struct taxii_ext *exts,
					size_t n_exts, const char *url,
					const char **rest)
{
	size_t pre = strlen(EXT_PREFIX);
	int under = strncmp(url, EXT_PREFIX, pre) == 0;
	size_t len = strlen(url);
	const char *r = "";

	while (len > 1 && url[len - 1] == '/')
		len--;
	for (size_t i = 0; i < n_exts; i++) {
		const char *p = exts[i].path;
		int ok;
		if (p == NULL)
			continue;
		if (p[0] == '/')
			ok = ext_path_is(p, url, len, &r);
		else
			ok = under && len >= pre &&
			     ext_path_is(p, url + pre, len - pre, &r);
		if (ok) {
			if (rest != NULL)
				*rest = r;
			return &exts[i];
		}
	}
	if (rest != NULL)
		*rest = "";
	return NULL;
}

int taxii_routes_is_ext(const struct taxii_ext *exts, size_t n_exts, const char *url)
{
	return strncmp(url, EXT_PREFIX, strlen(EXT_PREFIX)) == 0 ||
	taxii_routes_ext_find(exts, n_exts, url, NULL) != NULL;
}

int taxii_routes_permit(const struct taxii_ext *exts, size_t n_exts,
		  const char *method, const char *url,
		  const struct store_user *u, struct reply *rp)
{
	const struct taxii_ext *x;

	if (u->peer[0] == '\0')
		return 0; /* users: grants decide, route by route */
	if (strcmp(method, "DELETE") == 0) {
		taxii_reply_error(rp, 403, "Forbidden", "partner %s may not delete: a"
			    " partner withdraws an object by sending a signed"
			    " revocation of it", u->peer);
		return -1;
	}
	x = taxii_routes_ext_find(exts, n_exts, url, NULL);
	if (x == NULL && strncmp(url, EXT_PREFIX, strlen(EXT_PREFIX)) != 0)
		return 0; /* TAXII: a partner's POST goes to its signed ingest */
	if (x != NULL && method_listed(x->partner_methods, method))
		return 0;
	/* Anything else under /trilex/ is the node's own service to its
	 * users (it may make objects the node signs as its own), or
	 * unknown: refused to partners either way. */
	taxii_reply_error(rp, 403, "Forbidden", "%s %.100s is for this node's users,"
		    " not for partner nodes", method, url);
	return -1;
}

/* ---- extension endpoints under /trilex/v1/ ---- */

const char *taxii_ext_arg(const struct taxii_ext_request *rq, const char *key)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *taxii_ext_header(const struct taxii_ext_request *rq,
			     const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *taxii_ext_cookie(const struct taxii_ext_request *rq,
			     const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, name);
}

tx_err taxii_ext_reply_header(struct taxii_ext_reply *rp, const char *name,
			      const char *fmt, ...)
{
	va_list ap;

	if (rp->n_headers >= TAXII_EXT_HEADERS_MAX)
		return TX_ERR_TOOBIG;
	rp->headers[rp->n_headers].name = name;
	va_start(ap, fmt);
	vsnprintf(rp->headers[rp->n_headers].value, TAXII_EXT_HEADER_MAX, fmt, ap);
	va_end(ap);
	rp->n_headers++;
	return TX_OK;
}

/* The client's address as text ("" when unknown). */
static void client_addr(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	out[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  out, (socklen_t)n);
}

void taxii_ext_writer(const struct taxii_ext_request *xr,
		      const struct store_user *u)
{
	char actor[STORE_NAME_MAX + 16];

	if (!store_replica_configured())
		return;
	taxii_routes_actor(u, actor, sizeof(actor));
	store_set_writer(xr->st, actor);
}

tx_store *taxii_ext_read_store(const struct taxii_ext_request *xr,
			       const struct store_user *u)
{
	struct request *rq = xr->req;

	if (rq == NULL || !store_replica_configured())
		return xr->st;
	return taxii_read_store_as(rq, u);
}

void taxii_routes_ext(struct request *rq, struct reply *rp)
{
	const char *rest = "";
	const struct taxii_ext *x = taxii_routes_ext_find(rq->exts, rq->n_exts,
						    rq->url, &rest);
	struct taxii_ext_request xr = { 0 };
	struct taxii_ext_reply xp = { 0 };
	char addr[INET6_ADDRSTRLEN] = "";

	/* The server checked this before reading the body; checked again
	 * here so that no way into an extension skips it. */
	if (taxii_routes_permit(rq->exts, rq->n_exts, rq->method, rq->url, &rq->user,
			  rp) != 0)
		return;
	if (x != NULL) {
		client_addr(rq->conn, addr, sizeof(addr));
		xr.method = rq->method;
		xr.path = x->path;
		xr.rest = rest;
		xr.body = rq->body;
		xr.body_len = rq->body_len;
		xr.user = &rq->user;
		xr.st = rq->st;
		xr.cfg = rq->cfg;
		xr.dir = rq->dir;
		xr.client_addr = addr;
		xr.conn = rq->conn;
		xr.req = rq;
		x->fn(x->ctx, &xr, &xp);
		for (int i = 0; i < xp.n_headers; i++)
			taxii_reply_header(rp, xp.headers[i].name, xp.headers[i].value);
		if (xp.content_type != NULL && xp.text != NULL) {
			json_decref(xp.json);
			free(rp->body);
			rp->body = xp.text;
			rp->len = xp.text_len;
			rp->status = xp.status ? xp.status : 200;
			rp->content_type = xp.content_type;
			return;
		}
		if (xp.status < 400 && xp.json == NULL && xp.text != NULL) {
			free(rp->body);
			rp->body = xp.text;
			rp->len = xp.text_len;
			rp->status = xp.status ? xp.status : 200;
			return;
		}
		free(xp.text);
		if (xp.status >= 400 || xp.json == NULL) {
			json_decref(xp.json);
			taxii_reply_error(rp, xp.status >= 400 ? xp.status : 500,
				    xp.status == 400 ? "Bad Request" :
				    xp.status == 403 ? "Forbidden" :
				    xp.status == 404 ? "Not Found" :
				    xp.status == 405 ? "Method Not Allowed" :
				    xp.status == 422 ? "Unprocessable Entity" :
						       "Error",
				    "%s", xp.message[0] ? xp.message : "failed");
			return;
		}
		taxii_reply_json(rp, xp.status ? xp.status : 200, xp.json);
		json_decref(xp.json);
		return;
	}
	taxii_reply_error(rp, 404, "Not Found", "no endpoint %.100s", rq->url);
}
