/*
 * taxii/server.c: the HTTPS server around the TAXII routes.
 *
 * Design: libmicrohttpd with GnuTLS (TLS 1.2 and 1.3 only) and a pool of
 * worker threads; each worker lazily opens its own SQLite connection, kept
 * in a thread-local and closed when the server stops. A request goes
 * through, in order: content negotiation (406), authentication (401), a
 * body capped at max_content_length (413), the Content-Type check of
 * POSTs (415), the route's permission (404/403: may this account write to
 * this collection?) and the node-wide budget of bodies in flight (503),
 * all decided on the first call, before any byte of the body is read;
 * then the body, then the routes. Every answer, errors included, is TAXII
 * JSON; the body of a request is never bigger in memory than the cap, and
 * all bodies held at once never more than max_bodies_in_flight.
 *
 * Passwords and tokens are checked in taxii/auth.c (a cache of verified
 * passwords, bounded Argon2 concurrency, backoff and lockout).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <gnutls/gnutls.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto.h"
#include "taxii/conns.h"
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
	int64_t bodies_in_flight;      /* bytes reserved by bodies, under lock */
	/* alert streams (server-sent events) */
	struct alert_stream *streams;  /* every open stream, under lock */
	pthread_t notifier;
	int notifier_running;
	store_watch *watch;            /* commits, for the notifier; or NULL */
	int stopping;
	struct conns conns;            /* who holds the connections */
	int conns_running;
	struct auditq *auditq;         /* reads to record (taxii/auditq.c) */
	struct taxii_accept *accept;   /* the accept path (taxii/accept.c) */
	struct ingestq *ingestq;       /* partners' big POSTs (taxii/ingestq.c) */
};

/*
 * One client of /trilex/v1/alerts/stream. MHD asks stream_read for bytes;
 * it reads the next few alerts from the store only when what it holds is
 * sent (a window of at most stream_window bytes, or one alert), so a
 * client that does not read costs that window and no more, and a client
 * resuming from any Last-Event-ID catches up window by window. With
 * nothing to send it suspends the connection (no thread waits), and the
 * notifier resumes every suspended stream when objects arrive or a
 * heartbeat is due.
 */
struct alert_stream {
	struct alert_stream *next;
	tx_server *srv;
	struct MHD_Connection *conn;
	struct store_user user;        /* who asked: it sees what it may read */
	int64_t after;                 /* every alert up to this date_added is
	                                  in pending or sent */
	int64_t last_write;            /* us */
	int suspended;
	struct tx_buf pending;         /* formatted events not yet sent */
	size_t sent;                   /* of pending */
};

/* Per-connection state kept by libmicrohttpd between calls. */
struct conn_state {
	struct tx_buf body;
	struct store_user user;
	int64_t reserved;       /* bytes of the bodies budget it holds */
	int want_body;          /* 0: what comes is dropped unread */
	int too_big;
	int over_budget;        /* the budget ran out while it came */
	int answered;
	struct offload *job;    /* owned: its work on an ingest worker */
	/* for the request's log line and counters (taxii/metrics.c) */
	int64_t t0;             /* us: when its head came */
	int route;
	unsigned status;        /* 0: not answered */
	int64_t bytes;          /* of the answer; -1: a stream */
	char method[16];
	char path[512];         /* cut to fit */
};

static void request_begin(tx_server *srv, struct conn_state *cs,
			  const char *url, const char *method);

static __thread tx_store *thread_store;

/* List st among the connections closed when the server stops; 0, or -1
 * (st closed) when memory ran out. */
static int keep_store(tx_server *srv, tx_store *st)
{
	pthread_mutex_lock(&srv->lock);
	if (srv->n_stores == srv->cap_stores) {
		size_t cap = srv->cap_stores ? srv->cap_stores * 2 : 16;
		tx_store **p = realloc(srv->stores, cap * sizeof(*p));
		if (p == NULL) {
			pthread_mutex_unlock(&srv->lock);
			store_close(st);
			return -1;
		}
		srv->stores = p;
		srv->cap_stores = cap;
	}
	srv->stores[srv->n_stores++] = st;
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

/* The calling worker's store, opened on first use. */
static tx_store *worker_store(tx_server *srv, struct tx_error *err)
{
	tx_store *st = NULL;

	if (thread_store != NULL)
		return thread_store;
	if (store_open(srv->db_path, 0, &st, err) != TX_OK)
		return NULL;
	if (keep_store(srv, st) != 0) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return NULL;
	}
	store_set_status_policy(st, srv->cfg.status_failures_max,
				srv->cfg.status_ttl_s);
	thread_store = st;
	return st;
}

/* ---- the read replica (store/replica.c) ---- */

static __thread tx_store *thread_replica;
/* us: no replica connection is tried before this, in any thread, after
 * one was found down (a replica that is gone costs one try a second, not
 * one a request) */
static _Atomic int64_t replica_retry_at;
#define REPLICA_RETRY_US 1000000

/* The calling worker's replica connection, opened on first use; NULL
 * (why says) when it cannot be. */
static tx_store *worker_replica(tx_server *srv, char *why, size_t n)
{
	struct tx_error err = { 0 };
	tx_store *st = NULL;

	if (thread_replica != NULL)
		return thread_replica;
	if (store_open_replica(&st, &err) != TX_OK) {
		snprintf(why, n, "%s", err.msg);
		return NULL;
	}
	if (keep_store(srv, st) != 0) {
		snprintf(why, n, "out of memory");
		return NULL;
	}
	thread_replica = st;
	return st;
}

tx_store *taxii_read_store(struct request *rq)
{
	return taxii_read_store_as(rq, &rq->user);
}

tx_store *taxii_read_store_as(struct request *rq, const struct store_user *u)
{
	char actor[STORE_NAME_MAX + 16], why[TX_ERROR_MSG_MAX + 64];
	enum store_replica_verdict v = STORE_REPLICA_DOWN;
	tx_store *rs;

	if (rq->read_st != NULL)
		return rq->read_st;
	rq->read_st = rq->st;
	if (!store_replica_configured() || rq->srv == NULL ||
	    strcmp(rq->method, "GET") != 0)
		return rq->st;
	if (tx_time_now_us() < replica_retry_at) {
		taxii_metrics_replica(STORE_REPLICA_DOWN);
		return rq->st;
	}
	taxii_routes_actor(u, actor, sizeof(actor));
	if ((rs = worker_replica(rq->srv, why, sizeof(why))) != NULL)
		v = store_replica_check(rq->st, rs, actor, why, sizeof(why));
	taxii_metrics_replica(v);
	if (v == STORE_REPLICA_OK)
		return rq->read_st = rs;
	if (v == STORE_REPLICA_DOWN)
		replica_retry_at = tx_time_now_us() + REPLICA_RETRY_US;
	/* a reader's own recent write is the normal case: not a warning */
	tx_log(v == STORE_REPLICA_OWN_WRITES ? TX_LOG_DEBUG : TX_LOG_WARN,
	       "read from the primary, not the replica: %s", why);
	return rq->st;
}

/* ---- replies ---- */

void taxii_reply_header(struct reply *rp, const char *name, const char *value)
{
	if (rp->n_headers >= REPLY_MAX_HEADERS || strpbrk(value, "\r\n"))
		return; /* never a second header smuggled in a value */
	rp->headers[rp->n_headers].name = name;
	snprintf(rp->headers[rp->n_headers].value,
		 sizeof(rp->headers[0].value), "%s", value);
	rp->n_headers++;
}

void taxii_reply_json(struct reply *rp, unsigned status, const json_t *v)
{
	free(rp->body);
	rp->body = tx_json_dumps(v, JSON_COMPACT);
	rp->len = rp->body ? strlen(rp->body) : 0;
	rp->status = rp->body ? status : 500;
}

void taxii_reply_error(struct reply *rp, unsigned status, const char *title,
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
		taxii_reply_json(rp, status, e);
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

int taxii_media_accept_ok(const char *accept, int json_ok)
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

int taxii_media_content_type_ok(const char *ctype, int json_ok)
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

/* Rows read from each collection per refill: the window is at most this
 * many alerts per collection the user may read (and stream_window). */
#define STREAM_ROWS 8

/* One alert read for a stream, until it is formatted into pending. */
struct stream_item {
	int64_t date_added;
	char *json;                    /* owned; NULL: not an alert */
	size_t json_len;
};

struct stream_batch {
	struct stream_item *items;
	size_t n, cap;
};

static int stream_row(void *ctx, const struct store_row *row)
{
	struct stream_batch *b = ctx;
	struct stream_item *it;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		struct stream_item *p = realloc(b->items, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		b->items = p;
		b->cap = cap;
	}
	it = &b->items[b->n];
	it->date_added = row->date_added;
	it->json = NULL;
	it->json_len = 0;
	if (strstr(row->json, "\"" TAXII_ALERT_LABEL "\"") != NULL) {
		if ((it->json = malloc(row->json_len + 1)) == NULL)
			return -1;
		memcpy(it->json, row->json, row->json_len + 1);
		it->json_len = row->json_len;
	}
	b->n++;
	return 0;
}

static int item_cmp(const void *x, const void *y)
{
	const struct stream_item *a = x, *b = y;

	return (a->date_added > b->date_added) - (a->date_added < b->date_added);
}

/*
 * Fill a->pending with the next alerts after a->after, in date_added order
 * across every collection the user may read: STREAM_ROWS rows from each,
 * merged, and only up to the smallest last row of a collection that has
 * more (beyond it another collection may hold an earlier one). Stops at
 * stream_window bytes (always taking one alert). a->after moves past what
 * was taken or skipped; *more says whether rows are left after it.
 */
static tx_err stream_refill(struct alert_stream *a, tx_store *st, int *more)
{
	const char *types[] = { "report" };
	struct store_collection *cols = NULL;
	struct stream_batch b = { 0 };
	size_t n_cols = 0;
	int64_t cutoff = INT64_MAX, upto = a->after;
	size_t window = (size_t)a->srv->cfg.stream_window, n_sensitive = 0;
	tx_err rc;

	*more = 0;
	if ((rc = store_collection_list(st, &a->user, &cols, &n_cols)) != TX_OK)
		return rc;
	for (size_t i = 0; i < n_cols && rc == TX_OK; i++) {
		struct store_query q = { .types = types, .n_types = 1,
					 .has_added_after = 1, .added_after = a->after,
					 .collection_pk = cols[i].pk,
					 .limit = STREAM_ROWS };
		struct store_page pg;
		if (!cols[i].can_read)
			continue;
		if ((rc = store_query_objects(st, &q, stream_row, &b, &pg, NULL)) == TX_OK &&
		    pg.more && pg.last_added < cutoff)
			cutoff = pg.last_added;
	}
	free(cols);
	if (rc == TX_OK) {
		if (b.n > 1)
			tx_sort(b.items, b.n, sizeof(*b.items), item_cmp);
		for (size_t i = 0; i < b.n && b.items[i].date_added <= cutoff; i++) {
			struct stream_item *it = &b.items[i];
			char line[64];
			if (it->json != NULL) {
				if (a->pending.len > 0 &&
				    a->pending.len + it->json_len > window) {
					*more = 1; /* the rest next time */
					break;
				}
				snprintf(line, sizeof(line), "id: %lld\nevent: alert\ndata: ",
					 (long long)it->date_added);
				if ((rc = tx_buf_puts(&a->pending, line)) ||
				    (rc = tx_buf_append(&a->pending, it->json,
							it->json_len)) ||
				    (rc = tx_buf_puts(&a->pending, "\n\n")))
					break;
				n_sensitive += store_audit_sensitive(it->json,
								     it->json_len);
			}
			upto = it->date_added;
		}
	}
	for (size_t i = 0; i < b.n; i++)
		free(b.items[i].json);
	free(b.items);
	if (rc == TX_OK && n_sensitive > 0) {
		/* alerts marked RED or AMBER+STRICT sent: a read to record */
		char actor[STORE_NAME_MAX + 16], addr[64], detail[96];
		taxii_routes_actor(&a->user, actor, sizeof(actor));
		taxii_routes_client_addr(a->conn, addr);
		snprintf(detail, sizeof(detail), "%zu alerts TLP:RED or"
			 " TLP:AMBER+STRICT sent", n_sensitive);
		taxii_auditq_put(a->srv->auditq, st, actor, addr, "read", "alert stream",
			   detail);
	}
	if (rc == TX_OK)
		a->after = upto;
	if (cutoff != INT64_MAX)
		*more = 1;
	return rc;
}

/* Whether the client of a stream has closed its end. A suspended
 * connection is not polled, so without this a gone client would hold its
 * slot until the next heartbeat; the notifier resumes every stream each
 * second, and this check ends it then. */
static int stream_peer_gone(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd p;

	if (ci == NULL)
		return 0;
	p.fd = ci->connect_fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	return poll(&p, 1, 0) == 1 &&
	       (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
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
		struct store_user now;
		int more = 0;
		a->pending.len = a->sent = 0;
		if ((st = worker_store(srv, NULL)) == NULL)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		/* The account as it is now: removed, disabled or no longer
		 * allowed to read, and the stream ends (within a second: the
		 * notifier resumes suspended streams that often). */
		if (store_user_get_id(st, a->user.id, &now, NULL, 0) != TX_OK ||
		    !store_user_may(&now, TX_RIGHT_READ))
			return MHD_CONTENT_READER_END_OF_STREAM;
		a->user = now;
		/* Every refill moves on by at least STREAM_ROWS rows, so
		 * reports that are not alerts are passed over in a few turns. */
		do {
			if (stream_refill(a, st, &more) != TX_OK)
				return MHD_CONTENT_READER_END_WITH_ERROR;
		} while (a->pending.len == 0 && more);
		if (a->pending.len == 0 &&
		    tx_time_now_us() - a->last_write >= HEARTBEAT_US)
			tx_buf_puts(&a->pending, ": keep-alive\n\n");
		if (a->pending.len == 0 && stream_peer_gone(a->conn))
			return MHD_CONTENT_READER_END_OF_STREAM;
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
	taxii_metrics_stream(-1);
	tx_buf_free(&a->pending);
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

/* Wakes the streams when something is committed (any process: the
 * store's commit watch) and each second while streams are open, for
 * heartbeats; with no stream open it sleeps until a commit or a new
 * stream. (Without a watch, it looks at the store every 10 ms.) */
static void *notify(void *arg)
{
	tx_server *srv = arg;
	tx_store *st = NULL;
	int64_t seen = -1, tick = 0;

	if (srv->watch == NULL && store_open(srv->db_path, 0, &st, NULL) != TX_OK)
		return NULL;
	while (!srv->stopping) {
		if (srv->watch != NULL) {
			int r = store_watch_wait(srv->watch,
						 srv->streams ? 1000 : -1);
			if (r < 0) {
				struct timespec ts = { 0, 100 * 1000 * 1000 };
				nanosleep(&ts, NULL);
			}
			if (srv->streams != NULL && !srv->stopping)
				streams_resume(srv);
			continue;
		}
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
	/* The window, one alert (as big as a body may be) and its framing. */
	tx_buf_init(&a->pending, (size_t)srv->cfg.stream_window +
				 (size_t)srv->cfg.max_content_length + 128);
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
	/* the notifier waits without a limit while no stream is open: from
	 * now on it wakes each second, for heartbeats */
	store_watch_interrupt(srv->watch);
	taxii_metrics_stream(1);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- the request handler ---- */

/* A failure while the database cannot be reached (through st) is no
 * answer about the request (a 500, or a 401 for a token that could not
 * be looked up): the client is told to try again. */
static void reply_db_down(struct reply *rp, tx_store *st)
{
	if (rp->status >= 400 && rp->status != 503 && store_unavailable(st)) {
		rp->n_headers = 0;
		taxii_reply_error(rp, 503, "Service Unavailable", "the database"
			    " cannot be reached; try again shortly");
		taxii_reply_header(rp, "Retry-After", "2");
	}
}

static enum MHD_Result send_reply(struct conn_state *cs,
				  struct MHD_Connection *conn, struct reply *rp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	int i;

	reply_db_down(rp, thread_store);
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
	cs->status = rp->status;
	cs->bytes = (int64_t)rp->len;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				rp->content_type ? rp->content_type :
				rp->plain_json ? "application/json" :
						 TAXII_MEDIA_TYPE);
	for (i = 0; i < rp->n_headers; i++)
		if (strcasecmp(rp->headers[i].name, "Cache-Control") == 0)
			break;
	if (i == rp->n_headers)
		MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	for (i = 0; i < rp->n_headers; i++)
		MHD_add_response_header(r, rp->headers[i].name, rp->headers[i].value);
	ret = MHD_queue_response(conn, rp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The node's base URL: public_url from node.json, else the listen
 * address. Never the request's Host header, which the client chooses. */
static void base_url(const struct tx_config *cfg, char *out, size_t n)
{
	if (cfg->public_url[0] != '\0') {
		snprintf(out, n, "%s", cfg->public_url);
		return;
	}
	if (strchr(cfg->listen_host, ':'))
		snprintf(out, n, "https://[%s]:%d", cfg->listen_host, cfg->listen_port);
	else
		snprintf(out, n, "https://%s:%d", cfg->listen_host, cfg->listen_port);
}

/* ---- the budget of bodies in flight ---- */

/* Take n more bytes of the node's budget for cs's body; 0, or -1 when
 * that would pass max_bodies_in_flight. */
static int budget_take(tx_server *srv, struct conn_state *cs, int64_t n)
{
	int ok;

	pthread_mutex_lock(&srv->lock);
	ok = srv->bodies_in_flight + n <= srv->cfg.max_bodies_in_flight;
	if (ok) {
		srv->bodies_in_flight += n;
		cs->reserved += n;
	}
	pthread_mutex_unlock(&srv->lock);
	return ok ? 0 : -1;
}

/* Give back all cs holds. */
static void budget_give(tx_server *srv, struct conn_state *cs)
{
	if (cs->reserved == 0)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->bodies_in_flight -= cs->reserved;
	pthread_mutex_unlock(&srv->lock);
	cs->reserved = 0;
}

/* 503 for a body of n bytes (-1: of unknown length) over the budget. */
static void reply_busy(tx_server *srv, struct reply *rp, int64_t n)
{
	char size[48] = "";

	if (n >= 0)
		snprintf(size, sizeof(size), " of %lld bytes", (long long)n);
	taxii_reply_error(rp, 503, "Service Unavailable", "the bodies of requests in"
		    " flight leave no room for this body%s (max_bodies_in_flight"
		    " %lld); try again shortly", size,
		    (long long)srv->cfg.max_bodies_in_flight);
	taxii_reply_header(rp, "Retry-After", "2");
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
	const char *api_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							  "X-API-Key");
	char retry[24], bearer[160];
	int64_t retry_s = 0;

	/* X-API-Key: KEY is Authorization: Bearer KEY (what SIEMs send) */
	if (hdr == NULL && api_key != NULL && strlen(api_key) < 128) {
		snprintf(bearer, sizeof(bearer), "Bearer %s", api_key);
		hdr = bearer;
	}

	switch (taxii_auth_check(srv->auth, st, ci ? ci->client_addr : NULL, hdr, u,
			   &retry_s)) {
	case AUTH_OK:
		return 0;
	case AUTH_WAIT:
		snprintf(retry, sizeof(retry), "%lld", (long long)retry_s);
		taxii_reply_error(rp, 429, "Too Many Requests", "too many failed"
			    " passwords from this address or for this user; try"
			    " again in %lld s", (long long)retry_s);
		taxii_reply_header(rp, "Retry-After", retry);
		return 1;
	case AUTH_BUSY:
		taxii_reply_error(rp, 503, "Service Unavailable", "too many password"
			    " checks at once; try again shortly (a bearer token"
			    " needs none)");
		taxii_reply_header(rp, "Retry-After", "1");
		return 1;
	case AUTH_LOCKED:
		taxii_reply_error(rp, 401, "Unauthorized", "too many failed passwords:"
			    " the account is locked until an administrator"
			    " unlocks it (trilex user unlock)");
		break;
	default:
		taxii_reply_error(rp, 401, "Unauthorized",
			    "valid HTTP Basic or Bearer credentials are required");
		break;
	}
	taxii_reply_header(rp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		     "Basic realm=\"trilex\", charset=\"UTF-8\"");
	taxii_reply_header(rp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		     "Bearer realm=\"trilex\"");
	return 1;
}

/* What every request of conn carries, before its body (precheck) or
 * with it (route). */
static void request_init(struct request *rq, tx_server *srv,
			 struct MHD_Connection *conn, const struct conn_state *cs,
			 const char *url, const char *method, tx_store *st)
{
	rq->conn = conn;
	rq->method = method;
	rq->url = url;
	rq->cfg = &srv->cfg;
	rq->dir = srv->dir;
	rq->exts = srv->exts;
	rq->n_exts = srv->n_exts;
	rq->hooks = &srv->hooks;
	rq->auditq = srv->auditq;
	rq->st = st;
	rq->user = cs->user;
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
	struct request rq = { 0 };
	tx_store *st;
	int64_t n = -1;
	const struct taxii_ext *x = taxii_routes_ext_find(srv->exts, srv->n_exts, url,
						    NULL);
	int ext = taxii_routes_is_ext(srv->exts, srv->n_exts, url);
	int any_media = x != NULL && (x->flags & TAXII_EXT_ANY_MEDIA);
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	const char *authz = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	rp->plain_json = ext;
	if (taxii_routes_check(conn, url, rp) != 0)
		return -1;
	if (strcmp(url, STREAM_PATH) == 0 && accept &&
	    strstr(accept, "text/event-stream") != NULL)
		accept = NULL; /* an event stream is what it asks for */
	if (!any_media && !taxii_media_accept_ok(accept, ext)) {
		taxii_reply_error(rp, 406, "Not Acceptable",
			    "this server answers only with " TAXII_MEDIA_TYPE);
		return -1;
	}
	if ((st = worker_store(srv, &err)) == NULL) {
		tx_log(TX_LOG_ERROR, "open database: %s", err.msg);
		taxii_reply_error(rp, 503, "Service Unavailable",
			    "the database is not available");
		taxii_reply_header(rp, "Retry-After", "2");
		return -1;
	}
	switch (peer_auth(conn, st, &cs->user)) {
	case 0:
		break;
	case -1:
		taxii_reply_error(rp, 403, "Forbidden", "the client certificate is not"
			    " pinned by this node (trilex peer add)");
		return -1;
	default:
		if (x != NULL && (x->flags & TAXII_EXT_AUTH_OPTIONAL) &&
		    authz == NULL) {
			memset(&cs->user, 0, sizeof(cs->user));
			break; /* no credentials: the extension decides */
		}
		/* A console page's script: the alert stream by the session
		 * cookie of the browser it runs in (GET only, read-only). */
		if (authz == NULL && strcmp(url, STREAM_PATH) == 0 &&
		    strcmp(method, "GET") == 0 && srv->hooks.session_user &&
		    srv->hooks.session_user(srv->hooks.session_ctx, st,
					    MHD_lookup_connection_value(
						    conn, MHD_COOKIE_KIND,
						    TAXII_SESSION_COOKIE),
					    &cs->user) == 0)
			break;
		if (auth_refused(srv, conn, st, &cs->user, rp))
			return -1;
	}
	if (taxii_routes_permit(srv->exts, srv->n_exts, method, url, &cs->user, rp) != 0)
		return -1;
	clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen && tx_parse_int64(clen, 0, INT64_MAX, &n) != TX_OK)
		n = -1;
	if (n > srv->cfg.max_content_length) {
		taxii_reply_error(rp, 413, "Request Entity Too Large",
			    "the body has %lld bytes; max_content_length is %lld",
			    (long long)n, (long long)srv->cfg.max_content_length);
		return -1;
	}
	if (strcmp(method, "POST") == 0 && !any_media &&
	    !taxii_media_content_type_ok(MHD_lookup_connection_value(
					   conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_CONTENT_TYPE),
				   ext)) {
		taxii_reply_error(rp, 415, "Unsupported Media Type",
			    "the body must be " TAXII_MEDIA_TYPE);
		return -1;
	}
	/* May this caller send this route a body at all? */
	request_init(&rq, srv, conn, cs, url, method, st);
	if (strcmp(url, STREAM_PATH) == 0)
		return 0; /* GET only (405 otherwise): no body */
	switch (taxii_routes_precheck(&rq, rp)) {
	case ROUTE_ANSWERED:
		return -1;
	case ROUTE_NO_BODY:
		return 0; /* whatever body comes is dropped unread */
	default:
		break;
	}
	cs->want_body = 1;
	if (n >= 0) {
		/* The whole body's room, now: never more, never grown. */
		if (budget_take(srv, cs, n + 1) != 0) {
			reply_busy(srv, rp, n);
			return -1;
		}
		tx_buf_init(&cs->body, (size_t)(n > 0 ? n : 1));
		if (n > 0 && tx_buf_reserve(&cs->body, (size_t)n) != TX_OK) {
			taxii_reply_error(rp, 503, "Service Unavailable", "out of memory");
			return -1;
		}
	}
	return 0;
}

/* Add a piece of the body; past the cap or the budget, drop it all (the
 * answer, 413 or 503, is given when the request is complete). */
static void take_body(tx_server *srv, struct conn_state *cs, const char *data,
		      size_t len)
{
	if (tx_buf_append(&cs->body, data, len) != TX_OK) {
		cs->too_big = 1;
		tx_buf_free(&cs->body);
		budget_give(srv, cs);
		return;
	}
	/* A body of unknown length holds the budget as its buffer grows. */
	if ((int64_t)cs->body.cap > cs->reserved &&
	    budget_take(srv, cs, (int64_t)cs->body.cap - cs->reserved) != 0) {
		cs->over_budget = 1;
		tx_buf_free(&cs->body);
		budget_give(srv, cs);
	}
}

/* Route a request whose body is in (not the alert stream) with store st,
 * on whichever thread calls: an HTTP thread, or an ingest worker. */
static void route(tx_server *srv, struct MHD_Connection *conn,
		  struct conn_state *cs, const char *url, const char *method,
		  tx_store *st, struct reply *rp)
{
	struct request rq = { 0 };

	request_init(&rq, srv, conn, cs, url, method, st);
	rq.body = cs->body.data;
	rq.body_len = cs->body.len;
	rq.srv = srv;
	base_url(&srv->cfg, rq.base_url, sizeof(rq.base_url));
	/* its write transactions bump its mark (read-your-writes) */
	if (store_replica_configured()) {
		char actor[STORE_NAME_MAX + 16];
		taxii_routes_actor(&cs->user, actor, sizeof(actor));
		store_set_writer(st, cs->user.name[0] || cs->user.peer[0] ?
				 actor : NULL);
	}
	if (taxii_routes_is_ext(srv->exts, srv->n_exts, url)) {
		rp->plain_json = 1;
		taxii_routes_ext(&rq, rp);
	} else {
		taxii_routes_dispatch(&rq, rp);
	}
	store_set_writer(st, NULL);
}

/* ---- partners' big POSTs, off the HTTP threads ---- */

/* One request handed to an ingest worker; owned by its conn_state. The
 * worker touches it (and the connection) only until it resumes the
 * connection, after which the HTTP thread sends rp. */
struct offload {
	tx_server *srv;
	struct MHD_Connection *conn;
	struct conn_state *cs;
	const char *url, *method;      /* MHD's, valid while the request is */
	struct reply rp;
	int done;
};

/* Whether this request (its body in) goes to an ingest worker. */
static int offload_wanted(const tx_server *srv, const struct conn_state *cs,
			  const char *url, const char *method)
{
	return srv->ingestq != NULL && cs->user.peer[0] != '\0' &&
	       strcmp(method, "POST") == 0 && cs->body.len >= TAXII_INGEST_INLINE_MAX &&
	       !taxii_routes_is_ext(srv->exts, srv->n_exts, url);
}

/* An ingest worker's job: route the request (failed: the node is
 * stopping, 503), then give the connection back to its HTTP thread. */
static void offload_run(void *arg, int failed)
{
	struct offload *j = arg;
	tx_server *srv = j->srv;
	struct tx_error err = { 0 };
	tx_store *st = NULL;

	if (failed) {
		taxii_reply_error(&j->rp, 503, "Service Unavailable", "this node is"
			    " stopping; send it again later");
		taxii_reply_header(&j->rp, MHD_HTTP_HEADER_RETRY_AFTER, "2");
	} else if ((st = worker_store(srv, &err)) == NULL) {
		tx_log(TX_LOG_ERROR, "open database: %s", err.msg);
		taxii_reply_error(&j->rp, 503, "Service Unavailable",
			    "the database is not available");
		taxii_reply_header(&j->rp, MHD_HTTP_HEADER_RETRY_AFTER, "2");
	} else {
		route(srv, j->conn, j->cs, j->url, j->method, st, &j->rp);
		reply_db_down(&j->rp, st);
	}
	/* the last touch: from here on the HTTP thread owns j */
	pthread_mutex_lock(&srv->lock);
	j->done = 1;
	MHD_resume_connection(j->conn);
	pthread_mutex_unlock(&srv->lock);
}

/* Hand the request to an ingest worker and suspend its connection; or,
 * with every place of the queue taken, answer 503 at once. */
static enum MHD_Result offload(tx_server *srv, struct MHD_Connection *conn,
			       struct conn_state *cs, const char *url,
			       const char *method)
{
	struct reply rp = { 0 };

	if ((cs->job = calloc(1, sizeof(*cs->job))) == NULL ||
	    taxii_ingestq_reserve(srv->ingestq) != 0) {
		free(cs->job);
		cs->job = NULL;
		taxii_reply_error(&rp, 503, "Service Unavailable", "this node has"
			    " %lld partners' POSTs waiting to be stored (ingest_queue)"
			    " or is stopping; send it again shortly",
			    (long long)srv->cfg.ingest_queue);
		taxii_reply_header(&rp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
		return send_reply(cs, conn, &rp);
	}
	cs->job->srv = srv;
	cs->job->conn = conn;
	cs->job->cs = cs;
	cs->job->url = url;
	cs->job->method = method;
	pthread_mutex_lock(&srv->lock);
	MHD_suspend_connection(conn);
	pthread_mutex_unlock(&srv->lock);
	taxii_ingestq_put(srv->ingestq, offload_run, cs->job);
	return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	tx_server *srv = cls;
	struct conn_state *cs = *con_cls;
	struct reply rp = { 0 };

	if (cs == NULL) {
		if ((cs = calloc(1, sizeof(*cs))) == NULL)
			return MHD_NO;
		tx_buf_init(&cs->body, (size_t)srv->cfg.max_content_length);
		*con_cls = cs;
		request_begin(srv, cs, url, method);
		if (precheck(srv, conn, url, method, cs, &rp) != 0) {
			cs->answered = 1;
			return send_reply(cs, conn, &rp);
		}
		return MHD_YES;
	}
	if (cs->job != NULL) {
		/* resumed by its ingest worker: the answer is made */
		enum MHD_Result ret;
		if (!cs->job->done)
			return MHD_YES; /* not resumed by it (never so) */
		ret = send_reply(cs, conn, &cs->job->rp);
		free(cs->job->rp.body);
		free(cs->job);
		cs->job = NULL;
		return ret;
	}
	if (cs->answered) {
		/* Answered already; drop whatever body still arrives. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (cs->want_body && !cs->too_big && !cs->over_budget)
			take_body(srv, cs, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	cs->answered = 1;
	if (cs->over_budget) {
		reply_busy(srv, &rp, -1);
		return send_reply(cs, conn, &rp);
	}
	if (cs->too_big) {
		taxii_reply_error(&rp, 413, "Request Entity Too Large",
			    "the body is larger than max_content_length (%lld bytes)",
			    (long long)srv->cfg.max_content_length);
		return send_reply(cs, conn, &rp);
	}
	if (offload_wanted(srv, cs, url, method))
		return offload(srv, conn, cs, url, method);
	if (strcmp(url, STREAM_PATH) == 0) {
		rp.plain_json = 1;
		if (cs->user.peer[0] != '\0') {
			/* partners get what TLP entitles them to by delivery */
			taxii_reply_error(&rp, 403, "Forbidden", "the alert stream is for"
				    " this node's users, not for partners");
		} else if (!store_user_may(&cs->user, TX_RIGHT_READ)) {
			taxii_reply_error(&rp, 403, "Forbidden", "this account may not"
				    " read alerts");
		} else if (strcmp(method, "GET") == 0) {
			cs->status = 200;
			cs->bytes = -1;
			return stream_open(srv, conn, &cs->user);
		} else {
			taxii_reply_error(&rp, 405, "Method Not Allowed", "use GET");
			taxii_reply_header(&rp, "Allow", "GET");
		}
		return send_reply(cs, conn, &rp);
	}
	route(srv, conn, cs, url, method, thread_store, &rp);
	return send_reply(cs, conn, &rp);
}

/* What the log line and counters of a request need, kept from its head
 * (MHD does not give the path again when the request ends). */
static void request_begin(tx_server *srv, struct conn_state *cs,
			  const char *url, const char *method)
{
	cs->t0 = tx_time_now_us();
	cs->route = taxii_metrics_route(url, srv->cfg.api_root);
	snprintf(cs->method, sizeof(cs->method), "%s", method);
	snprintf(cs->path, sizeof(cs->path), "%s", url);
}

/* Count an answered request and log its line (log_requests). */
static void request_end(tx_server *srv, struct MHD_Connection *conn,
			struct conn_state *cs)
{
	const union MHD_ConnectionInfo *ci;
	struct tx_log_request lr = { 0 };
	char addr[INET6_ADDRSTRLEN + 8] = "-";
	int64_t took = tx_time_now_us() - cs->t0;

	if (cs->status == 0)
		return; /* never answered (the client went away) */
	taxii_metrics_request(cs->route, cs->status, took);
	if (!srv->cfg.log_requests)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		getnameinfo(ci->client_addr, ci->client_addr->sa_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
			    addr, sizeof(addr), NULL, 0, NI_NUMERICHOST);
	lr.addr = addr;
	lr.user = cs->user.name;
	lr.method = cs->method;
	lr.path = cs->path;
	lr.status = cs->status;
	lr.bytes = cs->bytes;
	lr.duration_us = took;
	tx_log_request(&lr);
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_state *cs = *con_cls;

	if (cs != NULL) {
		request_end(cls, conn, cs);
		if (cs->job != NULL) /* resumed, but never answered */
			free(cs->job->rp.body);
		free(cs->job);
		tx_buf_free(&cs->body);
		budget_give(cls, cs);
		free(cs);
		*con_cls = NULL;
	}
}

/*
 * What MHD calls for each request: the connection accounting of conns.c
 * (which class a connection is, which phase its request is in), then
 * handle. A connection that would take more than the clients' share is
 * answered 503 and closed, so that partners always find a slot.
 */
static enum MHD_Result serve(void *cls, struct MHD_Connection *conn,
			     const char *url, const char *method,
			     const char *version, const char *upload_data,
			     size_t *upload_data_size, void **con_cls)
{
	tx_server *srv = cls;

	if (*con_cls == NULL) {
		enum MHD_Result ret;
		int partner = 0;
		taxii_conns_head_in(&srv->conns, conn);
		if (taxii_conns_class(&srv->conns, conn) == CONN_PENDING) {
			struct store_user u;
			tx_store *st = worker_store(srv, NULL);
			partner = st != NULL && peer_auth(conn, st, &u) == 0;
		}
		if (taxii_conns_head_done(&srv->conns, conn, partner) != TX_OK) {
			struct reply rp = { 0 };
			struct conn_state *cs = calloc(1, sizeof(*cs));
			if (cs == NULL)
				return MHD_NO;
			cs->answered = 1;
			*con_cls = cs;
			request_begin(srv, cs, url, method);
			rp.plain_json = taxii_routes_is_ext(srv->exts, srv->n_exts, url);
			taxii_reply_error(&rp, 503, "Service Unavailable", "this node's"
				    " connections for clients are all taken; retry"
				    " later");
			taxii_reply_header(&rp, MHD_HTTP_HEADER_CONNECTION, "close");
			taxii_reply_header(&rp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
			return send_reply(cs, conn, &rp);
		}
		ret = handle(cls, conn, url, method, version, upload_data,
			     upload_data_size, con_cls);
		taxii_conns_body_clock(&srv->conns, conn);
		return ret;
	}
	taxii_conns_body(&srv->conns, conn, *upload_data_size);
	return handle(cls, conn, url, method, version, upload_data,
		      upload_data_size, con_cls);
}

static void serve_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		       enum MHD_RequestTerminationCode toe)
{
	tx_server *srv = cls;

	request_done(cls, conn, con_cls, toe);
	taxii_conns_request_done(&srv->conns, conn);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	/* A client speaking plain HTTP to this port fails the TLS handshake
	 * at its first bytes, as GnuTLS puts it "received handshake message
	 * out of context" or "unexpected packet": the hint is for the
	 * operator, who sees only a refused connection otherwise. */
	if (strstr(line, "handshake message out of context") != NULL ||
	    strstr(line, "unexpected TLS packet") != NULL ||
	    strstr(line, "unsupported version packet") != NULL)
		tx_log(TX_LOG_INFO, "http: %s (a client speaking plain HTTP to"
		       " this HTTPS port? it must use https://)", line);
	else
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
	taxii_memcap_install();
	pthread_mutex_init(&srv->lock, NULL);
	srv->cfg = *cfg;
	srv->exts = exts;
	srv->n_exts = n_exts;
	taxii_metrics_init(exts, n_exts);
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
	    (rc = taxii_auth_new(cfg, &srv->auth, err)) != TX_OK ||
	    (rc = taxii_auditq_start(srv->db_path, &srv->auditq, err)) != TX_OK)
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
	/* A socket per connection, plus the database, the log and the
	 * federation's clients: raise the soft limit if it is lower. */
	if (taxii_conns_raise_nofile(cfg->max_connections + 256) <
	    cfg->max_connections + 64)
		tx_log(TX_LOG_WARN, "the open-file limit (ulimit -n) is below"
		       " max_connections (%lld) + 64: connections past it are"
		       " refused", (long long)cfg->max_connections);
	if ((rc = taxii_conns_init(&srv->conns, cfg, err)) != TX_OK) {
		freeaddrinfo(ai);
		goto fail;
	}
	srv->conns_running = 1;
	if ((rc = taxii_ingestq_start(cfg->ingest_workers, cfg->ingest_queue,
				      &srv->ingestq, err)) != TX_OK) {
		freeaddrinfo(ai);
		goto fail;
	}
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, serve, srv,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		MHD_OPTION_HTTPS_MEM_CERT, srv->cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, srv->key_pem,
		/* A trust list makes the server ask for client certificates;
		 * partners are then pinned by fingerprint (peer_auth). */
		MHD_OPTION_HTTPS_MEM_TRUST, srv->cert_pem,
		MHD_OPTION_HTTPS_PRIORITIES,
		"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)cfg->max_connections_per_address,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_NOTIFY_CONNECTION, taxii_conns_notify, &srv->conns,
		MHD_OPTION_NOTIFY_COMPLETED, serve_done, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
		MHD_OPTION_UNESCAPE_CALLBACK, taxii_routes_unescape, NULL,
		MHD_OPTION_END);
	freeaddrinfo(ai);
	if (srv->daemon == NULL) {
		rc = tx_error_set(err, TX_ERR_IO,
				  "cannot listen on %s:%d (in use, or not an address"
				  " of this machine?)", cfg->listen_host,
				  cfg->listen_port);
		goto fail;
	}
	if ((rc = taxii_accept_start(srv->daemon, cfg, &srv->accept, err)) != TX_OK)
		goto fail;
	struct tx_error werr = { 0 };
	if (store_watch_open(srv->db_path, &srv->watch, &werr) != TX_OK)
		tx_log(TX_LOG_WARN, "alert streams: %s; looking for new alerts"
		       " every 10 ms instead", werr.msg);
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
	/* No new connection, then streams end: MHD must not stop with
	 * suspended connections. */
	taxii_accept_stop(srv->accept);
	srv->accept = NULL;
	srv->stopping = 1;
	/* partners' POSTs suspended for the ingest workers: those waiting
	 * are answered 503, those being stored finish; every connection is
	 * resumed before MHD stops */
	taxii_ingestq_stop(srv->ingestq);
	store_watch_interrupt(srv->watch);
	if (srv->notifier_running)
		pthread_join(srv->notifier, NULL);
	store_watch_close(srv->watch);
	streams_resume(srv);
	if (srv->daemon != NULL) {
		for (int i = 0; i < 100 && srv->streams != NULL; i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			streams_resume(srv);
			nanosleep(&ts, NULL);
		}
		MHD_stop_daemon(srv->daemon);
	}
	taxii_ingestq_free(srv->ingestq);
	if (srv->conns_running)
		taxii_conns_fini(&srv->conns);
	taxii_auditq_stop(srv->auditq); /* after the last request: writes the rest */
	for (size_t i = 0; i < srv->n_stores; i++)
		store_close(srv->stores[i]);
	free(srv->stores);
	if (srv->key_pem)
		sodium_memzero(srv->key_pem, strlen(srv->key_pem));
	free(srv->key_pem);
	free(srv->cert_pem);
	taxii_auth_free(srv->auth);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
