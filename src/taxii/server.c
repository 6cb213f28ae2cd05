/*
 * taxii/server.c: the HTTPS server around the TAXII routes.
 *
 * Design: libmicrohttpd with GnuTLS (TLS 1.2 and 1.3 only) and a pool of
 * worker threads; each worker lazily opens its own SQLite connection, kept
 * in a thread-local and closed when the server stops. A request goes
 * through, in order: content negotiation (406), authentication (401), a
 * body capped at max_content_length (413) and the Content-Type check of
 * POSTs (415), then the routes. Every answer, errors included, is TAXII
 * JSON; the body of a request is never bigger in memory than the cap.
 *
 * Passwords and tokens are checked in taxii/auth.c (a cache of verified
 * passwords, bounded Argon2 concurrency, backoff and lockout).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <gnutls/gnutls.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto.h"
#include "taxii/internal.h"

struct tx_server {
	struct MHD_Daemon *daemon;
	struct tx_config cfg;
	char dir[PATH_MAX];
	const struct taxii_ext *exts;
	size_t n_exts;
	struct taxii_hooks hooks;
	char db_path[PATH_MAX];
	char *cert_pem;
	char *key_pem;
	pthread_mutex_t lock;          /* guards stores */
	tx_store **stores;             /* every connection opened, to close */
	size_t n_stores, cap_stores;
	struct taxii_auth *auth;       /* password checks (taxii/auth.c) */
	/* alert streams (server-sent events) */
	struct alert_stream *streams;  /* every open stream, under lock */
	pthread_t notifier;
	int notifier_running;
	int stopping;
};

/*
 * One client of /trilex/v1/alerts/stream. MHD asks stream_read for bytes;
 * with nothing to send it suspends the connection (no thread waits), and
 * the notifier resumes every suspended stream when objects arrive or a
 * heartbeat is due.
 */
struct alert_stream {
	struct alert_stream *next;
	tx_server *srv;
	struct MHD_Connection *conn;
	struct store_user user;        /* who asked: it sees what it may read */
	int64_t *readable;             /* pks of the collections it may read */
	size_t n_readable;
	int64_t after;                 /* date_added of the last alert sent */
	int64_t last_write;            /* us */
	int suspended;
	struct tx_buf pending;         /* formatted events not yet sent */
	size_t sent;                   /* of pending */
};

/* Per-connection state kept by libmicrohttpd between calls. */
struct conn_state {
	struct tx_buf body;
	struct store_user user;
	int too_big;
	int answered;
};

static __thread tx_store *thread_store;

/* The calling worker's store, opened on first use. */
static tx_store *worker_store(tx_server *srv, struct tx_error *err)
{
	tx_store *st = NULL;

	if (thread_store != NULL)
		return thread_store;
	if (store_open(srv->db_path, 0, &st, err) != TX_OK)
		return NULL;
	pthread_mutex_lock(&srv->lock);
	if (srv->n_stores == srv->cap_stores) {
		size_t cap = srv->cap_stores ? srv->cap_stores * 2 : 16;
		tx_store **p = realloc(srv->stores, cap * sizeof(*p));
		if (p == NULL) {
			pthread_mutex_unlock(&srv->lock);
			store_close(st);
			tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			return NULL;
		}
		srv->stores = p;
		srv->cap_stores = cap;
	}
	srv->stores[srv->n_stores++] = st;
	pthread_mutex_unlock(&srv->lock);
	thread_store = st;
	return st;
}

/* ---- replies ---- */

void reply_header(struct reply *rp, const char *name, const char *value)
{
	if (rp->n_headers >= REPLY_MAX_HEADERS)
		return;
	rp->headers[rp->n_headers].name = name;
	snprintf(rp->headers[rp->n_headers].value,
		 sizeof(rp->headers[0].value), "%s", value);
	rp->n_headers++;
}

void reply_json(struct reply *rp, unsigned status, const json_t *v)
{
	free(rp->body);
	rp->body = json_dumps(v, JSON_COMPACT);
	rp->len = rp->body ? strlen(rp->body) : 0;
	rp->status = rp->body ? status : 500;
}

void reply_error(struct reply *rp, unsigned status, const char *title,
		 const char *fmt, ...)
{
	char desc[TX_ERROR_MSG_MAX], code[8];
	va_list ap;
	json_t *e;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	snprintf(code, sizeof(code), "%u", status);
	e = json_pack("{s:s, s:s, s:s, s:s}", "title", title, "description", desc,
		      "error_code", title, "http_status", code);
	free(rp->body);
	rp->body = NULL;
	if (e != NULL) {
		reply_json(rp, status, e);
		json_decref(e);
	}
	rp->status = status;
}

/* ---- content negotiation ---- */

/* Whether one media range (no surrounding spaces) is TAXII 2.1 JSON
 * (or any JSON, with json_ok). */
static int media_is_taxii(const char *s, size_t n, int allow_wild, int json_ok)
{
	char buf[256];
	char *params;

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	params = strchr(buf, ';');
	if (params)
		*params++ = '\0';
	for (char *e = buf + strlen(buf); e > buf && e[-1] == ' '; e--)
		e[-1] = '\0';
	if (allow_wild && (strcmp(buf, "*/*") == 0 ||
			   strcasecmp(buf, "application/*") == 0))
		return 1;
	if (json_ok && strcasecmp(buf, "application/json") == 0)
		return 1;
	if (strcasecmp(buf, "application/taxii+json") != 0)
		return 0;
	/* Parameters: version must be 2.1 when given; q=0 refuses. */
	while (params && *params) {
		char *next = strchr(params, ';');
		if (next)
			*next++ = '\0';
		while (*params == ' ')
			params++;
		if (strncasecmp(params, "version=", 8) == 0 &&
		    (strncmp(params + 8, "2.1", 3) != 0 ||
		     strspn(params + 11, " ") != strlen(params + 11)))
			return 0;
		if (strncasecmp(params, "q=0", 3) == 0 &&
		    strspn(params + 3, ".0") == strlen(params + 3))
			return 0;
		params = next;
	}
	return 1;
}

int media_accept_ok(const char *accept, int json_ok)
{
	const char *p = accept;

	if (accept == NULL || *accept == '\0')
		return 1;
	while (*p) {
		size_t n = strcspn(p, ",");
		while (n && *p == ' ')
			p++, n--;
		if (media_is_taxii(p, n, 1, json_ok))
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int media_content_type_ok(const char *ctype, int json_ok)
{
	if (ctype == NULL)
		return 0;
	while (*ctype == ' ')
		ctype++;
	return media_is_taxii(ctype, strlen(ctype), 0, json_ok);
}

/* ---- authentication ---- */

/*
 * A partner node authenticates with its certificate. Returns 0 when the
 * client presented a pinned certificate (u is the partner's account), -1
 * when it presented one no partner has, 1 when it presented none.
 */
static int peer_auth(struct MHD_Connection *conn, tx_store *st,
		     struct store_user *u)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	const gnutls_datum_t *certs;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char fp[2 * crypto_hash_sha256_BYTES + 1], name[STORE_NAME_MAX];
	struct store_peer *p;
	unsigned n = 0;
	int rc = -1;

	if (ci == NULL || ci->tls_session == NULL)
		return 1;
	certs = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
	if (certs == NULL || n == 0)
		return 1;
	crypto_hash_sha256(hash, certs[0].data, certs[0].size);
	tx_hex(hash, sizeof(hash), fp);
	if ((p = malloc(sizeof(*p))) == NULL)
		return -1;
	if (store_peer_find(st, NULL, fp, NULL, p) == TX_OK) {
		snprintf(name, sizeof(name), "peer-%s", p->party);
		if (store_user_get(st, name, u, NULL, 0) == TX_OK && u->peer[0])
			rc = 0;
	} else {
		tx_log(TX_LOG_WARN, "refused a client certificate no partner has"
		       " (sha256:%s)", fp);
	}
	free(p);
	return rc;
}

/* ---- alert streams ---- */

#define STREAM_PATH "/trilex/v1/alerts/stream"
#define HEARTBEAT_US (15LL * 1000000)

static int stream_row(void *ctx, const struct store_row *row)
{
	struct alert_stream *a = ctx;
	char line[64];

	size_t i;

	if (row->date_added > a->after)
		a->after = row->date_added;
	for (i = 0; i < a->n_readable; i++)
		if (a->readable[i] == row->collection_pk)
			break;
	if (i == a->n_readable)
		return 0; /* in a collection this user may not read */
	if (strstr(row->json, "\"" TAXII_ALERT_LABEL "\"") == NULL)
		return 0;
	snprintf(line, sizeof(line), "id: %lld\nevent: alert\ndata: ",
		 (long long)row->date_added);
	if (tx_buf_puts(&a->pending, line) ||
	    tx_buf_append(&a->pending, row->json, row->json_len) ||
	    tx_buf_puts(&a->pending, "\n\n"))
		return -1;
	return 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct alert_stream *a = cls;
	tx_server *srv = a->srv;
	tx_store *st;
	size_t n;

	if (srv->stopping)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (a->sent == a->pending.len) {
		const char *types[] = { "report" };
		struct store_query q = { .types = types, .n_types = 1,
					 .has_added_after = 1, .added_after = a->after };
		struct store_collection *cols = NULL;
		size_t n_cols = 0;
		a->pending.len = a->sent = 0;
		if ((st = worker_store(srv, NULL)) == NULL ||
		    store_collection_list(st, &a->user, &cols, &n_cols) != TX_OK)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		a->n_readable = 0;
		free(a->readable);
		if ((a->readable = calloc(n_cols ? n_cols : 1,
					  sizeof(*a->readable))) == NULL) {
			free(cols);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		for (size_t i = 0; i < n_cols; i++)
			if (cols[i].can_read)
				a->readable[a->n_readable++] = cols[i].pk;
		free(cols);
		if (store_query_every(st, &q, stream_row, a, NULL) != TX_OK)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (a->pending.len == 0 &&
		    tx_time_now_us() - a->last_write >= HEARTBEAT_US)
			tx_buf_puts(&a->pending, ": keep-alive\n\n");
		if (a->pending.len == 0) {
			pthread_mutex_lock(&srv->lock);
			a->suspended = 1;
			MHD_suspend_connection(a->conn);
			pthread_mutex_unlock(&srv->lock);
			return 0;
		}
	}
	n = a->pending.len - a->sent;
	if (n > max)
		n = max;
	memcpy(buf, a->pending.data + a->sent, n);
	a->sent += n;
	a->last_write = tx_time_now_us();
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct alert_stream *a = cls, **pp;
	tx_server *srv = a->srv;

	pthread_mutex_lock(&srv->lock);
	for (pp = &srv->streams; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	pthread_mutex_unlock(&srv->lock);
	tx_buf_free(&a->pending);
	free(a->readable);
	free(a);
}

/* Resume every suspended stream (new objects, a heartbeat, or stopping). */
static void streams_resume(tx_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	for (struct alert_stream *a = srv->streams; a; a = a->next)
		if (a->suspended) {
			a->suspended = 0;
			MHD_resume_connection(a->conn);
		}
	pthread_mutex_unlock(&srv->lock);
}

/* Wakes the streams when something is stored (any process) and each
 * second, for heartbeats. */
static void *notify(void *arg)
{
	tx_server *srv = arg;
	tx_store *st = NULL;
	int64_t seen = -1, tick = 0;

	if (store_open(srv->db_path, 0, &st, NULL) != TX_OK)
		return NULL;
	while (!srv->stopping) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		int64_t last;
		nanosleep(&ts, NULL);
		if (srv->streams == NULL)
			continue;
		last = store_last_added(st);
		if (last != seen || ++tick % 100 == 0)
			streams_resume(srv);
		seen = last;
	}
	store_close(st);
	return NULL;
}

/* Open an alert stream: alerts stored after now (or after the client's
 * Last-Event-ID), as server-sent events. */
static enum MHD_Result stream_open(tx_server *srv, struct MHD_Connection *conn,
				   const struct store_user *u)
{
	const char *last = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       "Last-Event-ID");
	struct alert_stream *a = calloc(1, sizeof(*a));
	struct MHD_Response *r;
	enum MHD_Result ret;
	int64_t after;

	if (a == NULL)
		return MHD_NO;
	a->srv = srv;
	a->conn = conn;
	a->user = *u;
	a->last_write = tx_time_now_us();
	a->after = tx_time_now_us();
	if (last && tx_parse_int64(last, 0, INT64_MAX, &after) == TX_OK)
		a->after = after;
	tx_buf_init(&a->pending, 64u << 20);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
					      stream_read, a, stream_free);
	if (r == NULL) {
		tx_buf_free(&a->pending);
		free(a);
		return MHD_NO;
	}
	pthread_mutex_lock(&srv->lock);
	a->next = srv->streams;
	srv->streams = a;
	pthread_mutex_unlock(&srv->lock);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- the request handler ---- */

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct reply *rp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (rp->body == NULL) {
		rp->body = strdup("{}");
		rp->len = rp->body ? 2 : 0;
	}
	r = MHD_create_response_from_buffer(rp->len, rp->body,
					    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(rp->body);
		rp->body = NULL;
		return MHD_NO;
	}
	rp->body = NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				rp->plain_json ? "application/json" :
						 TAXII_MEDIA_TYPE);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	for (int i = 0; i < rp->n_headers; i++)
		MHD_add_response_header(r, rp->headers[i].name, rp->headers[i].value);
	ret = MHD_queue_response(conn, rp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The request's base URL from its Host header, when that is well-formed. */
static void base_url(struct MHD_Connection *conn, const struct tx_config *cfg,
		     char *out, size_t n)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_HOST);

	if (host && *host && strlen(host) < TX_HOST_MAX &&
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789.-:[]") == strlen(host)) {
		snprintf(out, n, "https://%s", host);
		return;
	}
	if (strchr(cfg->listen_host, ':'))
		snprintf(out, n, "https://[%s]:%d", cfg->listen_host, cfg->listen_port);
	else
		snprintf(out, n, "https://%s:%d", cfg->listen_host, cfg->listen_port);
}

/* Authenticate a client without a certificate; 0 fills u, else 1 with
 * the refusal in rp. */
static int auth_refused(tx_server *srv, struct MHD_Connection *conn,
			tx_store *st, struct store_user *u, struct reply *rp)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const char *hdr = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	char retry[24];
	int64_t retry_s = 0;

	switch (auth_check(srv->auth, st, ci ? ci->client_addr : NULL, hdr, u,
			   &retry_s)) {
	case AUTH_OK:
		return 0;
	case AUTH_WAIT:
		snprintf(retry, sizeof(retry), "%lld", (long long)retry_s);
		reply_error(rp, 429, "Too Many Requests", "too many failed"
			    " passwords from this address or for this user; try"
			    " again in %lld s", (long long)retry_s);
		reply_header(rp, "Retry-After", retry);
		return 1;
	case AUTH_BUSY:
		reply_error(rp, 503, "Service Unavailable", "too many password"
			    " checks at once; try again shortly (a bearer token"
			    " needs none)");
		reply_header(rp, "Retry-After", "1");
		return 1;
	case AUTH_LOCKED:
		reply_error(rp, 401, "Unauthorized", "too many failed passwords:"
			    " the account is locked until an administrator"
			    " unlocks it (trilex user unlock)");
		break;
	default:
		reply_error(rp, 401, "Unauthorized",
			    "valid HTTP Basic or Bearer credentials are required");
		break;
	}
	reply_header(rp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		     "Basic realm=\"trilex\", charset=\"UTF-8\"");
	reply_header(rp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		     "Bearer realm=\"trilex\"");
	return 1;
}

/*
 * Checks made on the first call, before any of the body is read, so that
 * an unauthenticated or oversized request never costs its body's memory.
 * Returns 0 when the request may go on, else fills rp.
 */
static int precheck(tx_server *srv, struct MHD_Connection *conn,
		    const char *url, const char *method, struct conn_state *cs,
		    struct reply *rp)
{
	const char *clen;
	struct tx_error err = { 0 };
	tx_store *st;
	int64_t n;
	int ext = strncmp(url, EXT_PREFIX, strlen(EXT_PREFIX)) == 0;
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);

	rp->plain_json = ext;
	if (strcmp(url, STREAM_PATH) == 0 && accept &&
	    strstr(accept, "text/event-stream") != NULL)
		accept = NULL; /* an event stream is what it asks for */
	if (!media_accept_ok(accept, ext)) {
		reply_error(rp, 406, "Not Acceptable",
			    "this server answers only with " TAXII_MEDIA_TYPE);
		return -1;
	}
	if ((st = worker_store(srv, &err)) == NULL) {
		tx_log(TX_LOG_ERROR, "open database: %s", err.msg);
		reply_error(rp, 503, "Service Unavailable",
			    "the database is not available");
		return -1;
	}
	switch (peer_auth(conn, st, &cs->user)) {
	case 0:
		break;
	case -1:
		reply_error(rp, 403, "Forbidden", "the client certificate is not"
			    " pinned by this node (trilex peer add)");
		return -1;
	default:
		if (auth_refused(srv, conn, st, &cs->user, rp))
			return -1;
	}
	clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen && tx_parse_int64(clen, 0, INT64_MAX, &n) == TX_OK &&
	    n > srv->cfg.max_content_length) {
		reply_error(rp, 413, "Request Entity Too Large",
			    "the body has %lld bytes; max_content_length is %lld",
			    (long long)n, (long long)srv->cfg.max_content_length);
		return -1;
	}
	if (strcmp(method, "POST") == 0 &&
	    !media_content_type_ok(MHD_lookup_connection_value(
					   conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_CONTENT_TYPE),
				   ext)) {
		reply_error(rp, 415, "Unsupported Media Type",
			    "the body must be " TAXII_MEDIA_TYPE);
		return -1;
	}
	return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	tx_server *srv = cls;
	struct conn_state *cs = *con_cls;
	struct reply rp = { 0 };
	struct request rq = { 0 };

	if (cs == NULL) {
		if ((cs = calloc(1, sizeof(*cs))) == NULL)
			return MHD_NO;
		tx_buf_init(&cs->body, (size_t)srv->cfg.max_content_length);
		*con_cls = cs;
		if (precheck(srv, conn, url, method, cs, &rp) != 0) {
			cs->answered = 1;
			return send_reply(conn, &rp);
		}
		return MHD_YES;
	}
	if (cs->answered) {
		/* Answered already; drop whatever body still arrives. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (!cs->too_big &&
		    tx_buf_append(&cs->body, upload_data, *upload_data_size) != TX_OK) {
			cs->too_big = 1;
			tx_buf_free(&cs->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	cs->answered = 1;
	if (cs->too_big) {
		reply_error(&rp, 413, "Request Entity Too Large",
			    "the body is larger than max_content_length (%lld bytes)",
			    (long long)srv->cfg.max_content_length);
		return send_reply(conn, &rp);
	}
	rq.conn = conn;
	rq.method = method;
	rq.url = url;
	rq.body = cs->body.data;
	rq.body_len = cs->body.len;
	rq.cfg = &srv->cfg;
	rq.dir = srv->dir;
	rq.exts = srv->exts;
	rq.n_exts = srv->n_exts;
	rq.hooks = &srv->hooks;
	rq.st = thread_store;
	rq.user = cs->user;
	base_url(conn, &srv->cfg, rq.base_url, sizeof(rq.base_url));
	if (strcmp(url, STREAM_PATH) == 0) {
		rp.plain_json = 1;
		if (cs->user.peer[0] != '\0') {
			/* partners get what TLP entitles them to by delivery */
			reply_error(&rp, 403, "Forbidden", "the alert stream is for"
				    " this node's users, not for partners");
		} else if (strcmp(method, "GET") == 0) {
			return stream_open(srv, conn, &cs->user);
		} else {
			reply_error(&rp, 405, "Method Not Allowed", "use GET");
			reply_header(&rp, "Allow", "GET");
		}
	} else if (strncmp(url, EXT_PREFIX, strlen(EXT_PREFIX)) == 0) {
		rp.plain_json = 1;
		routes_ext(&rq, &rp);
	} else {
		routes_dispatch(&rq, &rp);
	}
	return send_reply(conn, &rp);
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_state *cs = *con_cls;

	if (cs != NULL) {
		tx_buf_free(&cs->body);
		free(cs);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	tx_log(TX_LOG_DEBUG, "http: %s", line);
}

/* ---- start and stop ---- */

static tx_err load_tls(tx_server *srv, const char *dir, struct tx_error *err)
{
	char path[PATH_MAX];
	tx_err rc;

	if ((rc = tx_path_join(path, sizeof(path), dir, "tls/cert.pem")) ||
	    (rc = tx_read_file(path, 1 << 20, &srv->cert_pem, NULL, err)))
		return rc ? rc : tx_error_set(err, TX_ERR_TOOBIG, "path too long");
	if ((rc = tx_path_join(path, sizeof(path), dir, "tls/key.pem")) ||
	    (rc = tx_read_file(path, 1 << 20, &srv->key_pem, NULL, err)))
		return rc;
	return TX_OK;
}

tx_err taxii_server_start(const char *dir, const struct tx_config *cfg,
			  const struct taxii_ext *exts, size_t n_exts,
			  const struct taxii_hooks *hooks, tx_server **out,
			  struct tx_error *err)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	char port[16];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS |
			 MHD_USE_ERROR_LOG | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME;
	tx_server *srv;
	tx_store *st = NULL;
	tx_err rc;
	int gai;

	if ((rc = crypto_init()) != TX_OK)
		return tx_error_set(err, rc, "cannot initialise libsodium/GnuTLS");
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return TX_ERR_NOMEM;
	pthread_mutex_init(&srv->lock, NULL);
	srv->cfg = *cfg;
	srv->exts = exts;
	srv->n_exts = n_exts;
	if (hooks)
		srv->hooks = *hooks;
	snprintf(srv->dir, sizeof(srv->dir), "%s", dir);
	if ((rc = tx_path_join(srv->db_path, sizeof(srv->db_path), dir,
			       "trilex.db"))) {
		tx_error_set(err, rc, "%s: path too long", dir);
		goto fail;
	}
	/* Open (and migrate) once here, so a bad database fails the start. */
	if ((rc = store_open(srv->db_path, 0, &st, err)) != TX_OK)
		goto fail;
	store_close(st);
	if ((rc = load_tls(srv, dir, err)) != TX_OK ||
	    (rc = auth_new(cfg, &srv->auth, err)) != TX_OK)
		goto fail;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", cfg->listen_port);
	if ((gai = getaddrinfo(cfg->listen_host, port, &hints, &ai)) != 0) {
		rc = tx_error_set(err, TX_ERR_INVALID, "listen_host \"%s\": %s",
				  cfg->listen_host, gai_strerror(gai));
		goto fail;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, srv,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		MHD_OPTION_HTTPS_MEM_CERT, srv->cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, srv->key_pem,
		/* A trust list makes the server ask for client certificates;
		 * partners are then pinned by fingerprint (peer_auth). */
		MHD_OPTION_HTTPS_MEM_TRUST, srv->cert_pem,
		MHD_OPTION_HTTPS_PRIORITIES,
		"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
		MHD_OPTION_END);
	freeaddrinfo(ai);
	if (srv->daemon == NULL) {
		rc = tx_error_set(err, TX_ERR_IO,
				  "cannot listen on %s:%d (in use, or not an address"
				  " of this machine?)", cfg->listen_host,
				  cfg->listen_port);
		goto fail;
	}
	srv->notifier_running = pthread_create(&srv->notifier, NULL, notify,
					       srv) == 0;
	*out = srv;
	return TX_OK;
fail:
	taxii_server_stop(srv);
	return rc;
}

void taxii_server_stop(tx_server *srv)
{
	if (srv == NULL)
		return;
	/* Streams end first: MHD must not stop with suspended connections. */
	srv->stopping = 1;
	if (srv->notifier_running)
		pthread_join(srv->notifier, NULL);
	streams_resume(srv);
	if (srv->daemon != NULL) {
		for (int i = 0; i < 100 && srv->streams != NULL; i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			streams_resume(srv);
			nanosleep(&ts, NULL);
		}
		MHD_stop_daemon(srv->daemon);
	}
	for (size_t i = 0; i < srv->n_stores; i++)
		store_close(srv->stores[i]);
	free(srv->stores);
	if (srv->key_pem)
		sodium_memzero(srv->key_pem, strlen(srv->key_pem));
	free(srv->key_pem);
	free(srv->cert_pem);
	auth_free(srv->auth);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
