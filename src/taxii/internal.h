/* taxii/internal.h: shared by the server files; private to taxii/. */
#ifndef TRILEX_TAXII_INTERNAL_H
#define TRILEX_TAXII_INTERNAL_H

#include <microhttpd.h>

#include "taxii/taxii.h"

#define REPLY_MAX_HEADERS (4 + TAXII_EXT_HEADERS_MAX)

/* What a route answers; body is owned (malloc). */
struct reply {
	unsigned status;
	int plain_json;              /* Content-Type application/json */
	const char *content_type;    /* static; overrides both JSON types */
	char *body;
	size_t len;
	struct {
		const char *name;
		char value[TAXII_EXT_HEADER_MAX];
	} headers[REPLY_MAX_HEADERS];
	int n_headers;
};

/* One request as the routes see it. Every pointer is borrowed. */
struct request {
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	const char *body;
	size_t body_len;
	const struct tx_config *cfg;
	const char *dir;
	tx_store *st;
	struct store_user user;
	const struct taxii_ext *exts;
	size_t n_exts;
	const struct taxii_hooks *hooks;
	char base_url[TX_HOST_MAX + 32]; /* "https://host:port" */
	struct auditq *auditq;           /* where reads are recorded */
	tx_server *srv;                  /* the server (taxii_read_store) */
	tx_store *read_st;               /* taxii_read_store's choice, or NULL */
};

/*
 * The store a GET's pure reads of objects go to (taxii/server.c): the
 * streaming replica when one is configured and store_replica_check says
 * it may serve this client now, else rq->st (the primary), which stays
 * the store of everything else: authentication, grants, status, writes,
 * the audit trail. Decided once per request; counted in /metrics.
 */
tx_store *taxii_read_store(struct request *rq);
/* The same for reads on behalf of u (an extension's own sign-in). */
tx_store *taxii_read_store_as(struct request *rq, const struct store_user *u);

#define EXT_PREFIX "/trilex/v1/"

/* What taxii_routes_precheck decided. */
enum route_body {
	ROUTE_BODY,        /* read the body: the route takes it */
	ROUTE_NO_BODY,     /* go on, dropping any body unread */
	ROUTE_ANSWERED,    /* answered already (rp filled), body unread */
};
/*
 * Before any byte of the body is read (rq has no body yet): whether this
 * caller's request may send its route a body. A POST of objects needs a
 * collection the caller may write (else 404 or 403 at once); a POST to an
 * extension needs the extension to exist (else 404). Other requests take
 * no body.
 */
enum route_body taxii_routes_precheck(struct request *rq, struct reply *rp);

/* The audit trail's name of an account: "user:NAME" or "partner:PARTY". */
void taxii_routes_actor(const struct store_user *u, char *out, size_t n);
/* A connection's client address as text ("" when unknown). */
void taxii_routes_client_addr(struct MHD_Connection *conn, char out[64]);

/* Route a request to its handler and fill the reply. */
void taxii_routes_dispatch(struct request *rq, struct reply *rp);

/* A TAXII error reply with the given HTTP status. */
void taxii_reply_error(struct reply *rp, unsigned status, const char *title,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A JSON reply, serialising v (not consumed). */
void taxii_reply_json(struct reply *rp, unsigned status, const json_t *v);
/* Add a header to a reply (value copied, truncated to fit). */
void taxii_reply_header(struct reply *rp, const char *name, const char *value);

/* Whether the Accept header allows TAXII 2.1 JSON (a missing one does);
 * with json_ok, plain application/json is fine too. */
int taxii_media_accept_ok(const char *accept, int json_ok);
/* Whether a Content-Type is TAXII 2.1 JSON (or, with json_ok, JSON). */
int taxii_media_content_type_ok(const char *ctype, int json_ok);
/*
 * MHD's unescaper for paths and arguments: %HH decoded, except that %00
 * becomes DEL (0x7f) instead of ending the string early.
 */
size_t taxii_routes_unescape(void *cls, struct MHD_Connection *conn, char *s);
/*
 * Refuse malformed requests before anything else: a control character in
 * the (unescaped) path, more than one Content-Length, Content-Length with
 * Transfer-Encoding. 0 when fine; else rp holds a 400 and -1 is returned.
 */
int taxii_routes_check(struct MHD_Connection *conn, const char *url, struct reply *rp);
/*
 * Whether account u may call method on url at all, decided from the
 * route alone (before any body is read): partner accounts may not
 * DELETE, and under /trilex/ may use only the methods an extension row
 * lists in partner_methods (none by default: the node's services that
 * make objects are for its users). 0 when u may go on; else rp holds a
 * 403 and -1 is returned. Collection grants are checked by the routes.
 */
int taxii_routes_permit(const struct taxii_ext *exts, size_t n_exts,
		  const char *method, const char *url,
		  const struct store_user *u, struct reply *rp);
/*
 * The extension row serving url, or NULL; *rest (may be NULL) is set to
 * the part of the path after a prefix row's prefix ("" otherwise).
 */
const struct taxii_ext *taxii_routes_ext_find(const struct taxii_ext *exts,
					size_t n_exts, const char *url,
					const char **rest);
/* Whether url is an extension's: a row serves it, or it is under
 * EXT_PREFIX (then an unknown one: 404). */
int taxii_routes_is_ext(const struct taxii_ext *exts, size_t n_exts, const char *url);
/* Serve an extension endpoint (taxii_routes_is_ext). */
void taxii_routes_ext(struct request *rq, struct reply *rp);

/* ---- memory of a request's JSON values (taxii/memcap.c) ---- */

/* Count jansson's allocations per thread (once, before serving). */
void taxii_memcap_install(void);
/* From now on, the calling thread's new JSON values may take at most
 * limit bytes more (0: no cap) until taxii_memcap_end. */
void taxii_memcap_begin(int64_t limit);
/* Whether an allocation was refused since taxii_memcap_begin (the cap stays). */
int taxii_memcap_hit(void);
/* Lift the cap; whether it refused an allocation; *peak_bytes (may be
 * NULL) the most the thread's values took over the start. */
int taxii_memcap_end(int64_t *peak_bytes);

/* ---- the accept path (taxii/accept.c) ---- */

/* What the accept path did, for the log, /metrics and the tests. */
struct taxii_accept_stats {
	uint64_t accepted;    /* sockets accepted */
	uint64_t handed;      /* given to MHD (a TLS handshake, or silent) */
	uint64_t refused;     /* MHD would not take them (its limits) */
	uint64_t silent;      /* nothing within plain_http_peek_ms: to MHD */
	uint64_t plain_http;  /* plain HTTP: answered 400 and closed */
	uint64_t closed;      /* closed by the client before a byte */
};
struct taxii_accept;
/* Take the listening socket of daemon (which is quiesced: it accepts
 * nothing itself from now on) and accept on it in a thread of ours: TLS
 * goes to MHD, plain HTTP gets a 400 naming the https:// address. */
tx_err taxii_accept_start(struct MHD_Daemon *daemon, const struct tx_config *cfg,
			  struct taxii_accept **out, struct tx_error *err);
/* Stop accepting and close what is held; before MHD_stop_daemon. */
void taxii_accept_stop(struct taxii_accept *a);
/*
 * The https:// address a plain-HTTP client is told to use: from head (the
 * NUL-terminated bytes it sent, outside input) its Host header when that
 * is a plain host[:port] (letters, digits, ".-:[]", at most 255 bytes),
 * with port when it names none; else https://127.0.0.1:PORT/. Into out (n
 * bytes, cut to fit, always NUL-terminated).
 */
void taxii_accept_https_url(const char *head, int port, char *out, size_t n);
/* A copy of the counters (zeros for NULL). */
void taxii_accept_stats_get(struct taxii_accept *a, struct taxii_accept_stats *out);

/* ---- partners' big POSTs off the HTTP threads (taxii/ingestq.c) ---- */

/*
 * A partner's POST of a body this big or bigger (a bulk batch: 500
 * objects are some 600 KB) is checked and stored by an ingest worker
 * while its connection is suspended, so that the HTTP thread goes on
 * answering its other connections (a partner's alerts come in batches of
 * a few objects, a few KB, and are answered at once, on that thread).
 */
#define TAXII_INGEST_INLINE_MAX (64 * 1024)
/* Tests only: the path of a FIFO. The first partner POST of at least
 * TAXII_INGEST_INLINE_MAX bytes waits, before its objects are checked,
 * until a writer has opened the FIFO and closed it again. */
#define TAXII_INGEST_GATE_ENV "TRILEX_TEST_INGEST_GATE"
void taxii_ingestq_test_gate(size_t body_len);

struct ingestq;
/* Start workers threads taking jobs in order, at most queue_max waiting. */
tx_err taxii_ingestq_start(int64_t workers, int64_t queue_max,
			   struct ingestq **out, struct tx_error *err);
/* Room for one job: 0, or -1 when queue_max wait already (or stopping).
 * A reservation must be followed by taxii_ingestq_put, soon. */
int taxii_ingestq_reserve(struct ingestq *q);
/* Queue run(arg, 0) for a worker, on a reservation; when the queue stops
 * before a worker takes it, run(arg, 1) is called instead (here or by
 * taxii_ingestq_stop). Either way, exactly once. */
void taxii_ingestq_put(struct ingestq *q, void (*run)(void *arg, int failed),
		       void *arg);
/* Refuse new jobs, fail the waiting ones, let the running ones finish and
 * join the workers; q stays valid (reservations are refused). */
void taxii_ingestq_stop(struct ingestq *q);
/* Stop (if not yet) and free q (may be NULL); after MHD has stopped. */
void taxii_ingestq_free(struct ingestq *q);

/* ---- counters for GET /metrics (taxii/metrics.c) ---- */

/* Why ingest refused an object. */
enum taxii_reject {
	TAXII_REJECT_NOT_OBJECT,   /* not a JSON object */
	TAXII_REJECT_INVALID,      /* STIX 2.1 validation */
	TAXII_REJECT_PATTERN,      /* an indicator's pattern does not parse */
	TAXII_REJECT_TOO_DEEP,     /* nested past what can be signed */
	TAXII_REJECT_N
};

/* The server's extension rows, for route labels (borrowed). */
void taxii_metrics_init(const struct taxii_ext *exts, size_t n_exts);
/* The route (an index of the counters) of a request's path. */
int taxii_metrics_route(const char *url, const char *api_root);
/* Count one answered request of route with status, taking duration_us. */
void taxii_metrics_request(int route, unsigned status, int64_t duration_us);
/* Count one object refused by ingest. */
void taxii_metrics_reject(enum taxii_reject reason);
/* An alert stream client came (+1) or went (-1). */
void taxii_metrics_stream(int delta);
/* One decision of taxii_read_store (enum store_replica_verdict). */
void taxii_metrics_replica(int verdict);
/* Partners' big POSTs that came to wait for (queued +1, -1 when taken
 * or failed) and run on (running) the ingest workers. */
void taxii_metrics_ingest(int queued, int running);
/* The server's own background threads, whose wake-ups an idle node must
 * keep few (trilex_server_wakeups_total). */
enum taxii_thread {
	TAXII_THREAD_REAPER, /* taxii/conns.c */
	TAXII_THREAD_AUDIT,  /* taxii/auditq.c */
	TAXII_THREAD_N
};
/* Count one wake-up of thread t. */
void taxii_metrics_wakeup(enum taxii_thread t);

/* ---- authentication (taxii/auth.c) ---- */

/* The state of password checking of one server (settings, counts). */
struct taxii_auth;

enum auth_result {
	AUTH_OK,       /* u is filled */
	AUTH_BAD,      /* no or wrong credentials: 401 */
	AUTH_LOCKED,   /* too many failed passwords for this name: 401 */
	AUTH_WAIT,     /* this name or address must wait retry_s: 429 */
	AUTH_BUSY,     /* every password check slot is taken: 503 */
};

/* Make the state from cfg's auth_ settings; taxii_auth_free frees it. */
tx_err taxii_auth_new(const struct tx_config *cfg, struct taxii_auth **out,
		struct tx_error *err);
void taxii_auth_free(struct taxii_auth *a);
/*
 * Check an Authorization header (may be NULL) of a client at addr (may
 * be NULL): a Bearer token or Basic user name and password. AUTH_OK fills
 * u; AUTH_WAIT and AUTH_BUSY set retry_s. Thread-safe.
 */
enum auth_result taxii_auth_check(struct taxii_auth *a, tx_store *st,
			    const struct sockaddr *addr, const char *hdr,
			    struct store_user *u, int64_t *retry_s);
/* ---- the queue of read records (taxii/auditq.c) ---- */

struct auditq;
/* Start the queue and its writer (its own connection to db_path). */
tx_err taxii_auditq_start(const char *db_path, struct auditq **out,
		    struct tx_error *err);
/* Write what is queued and stop (q may be NULL). */
void taxii_auditq_stop(struct auditq *q);
/* Queue an audit entry (q NULL: write it at once with st); a full queue
 * is written by the caller, with st, before this returns. */
void taxii_auditq_put(struct auditq *q, tx_store *st, const char *actor,
		const char *address, const char *action, const char *what,
		const char *detail);

/* A client address as text ("" when sa is NULL or not IP). */
void taxii_auth_addr_text(const struct sockaddr *sa, char out[64]);

#endif

/* ---- filters of a GET (taxii/filters.c) ---- */

#define FILTER_LIST_MAX 100

/* The parsed query parameters of one request; owns its strings. */
struct filters {
	struct store_query q;
	char *ids[FILTER_LIST_MAX];
	char *types[FILTER_LIST_MAX];
	char *spec_versions[FILTER_LIST_MAX];
	int64_t at[FILTER_LIST_MAX];
	char *copies[8];        /* the strings the lists point into */
	int n_copies;
	int has_limit;
};

/* Start with no filters; page_default rows. */
void taxii_filters_init(struct filters *f, int64_t page_default);
/*
 * Take one query parameter. Unknown keys are ignored; a bad value of a
 * known one fills msg and returns -1. limit is clamped to page_max.
 */
int taxii_filters_add(struct filters *f, const char *key, const char *value,
		int64_t page_max, char *msg, size_t msgsz);
void taxii_filters_free(struct filters *f);
