/*
 * taxii: TAXII 2.1 over HTTPS, server and client.
 *
 * The server (libmicrohttpd with GnuTLS) serves discovery, the node's one
 * API root, collections, objects, object versions, manifests and status
 * resources, with HTTP Basic and Bearer authentication. Every error is a
 * TAXII error body. The client (libcurl) is what the CLI uses to push to
 * and get from a remote node.
 */
#ifndef TRILEX_TAXII_TAXII_H
#define TRILEX_TAXII_TAXII_H

#include <jansson.h>
#include <stddef.h>

#include "core/core.h"
#include "store/store.h"

#define TAXII_MEDIA_TYPE "application/taxii+json;version=2.1"
#define STIX_MEDIA_TYPE "application/stix+json;version=2.1"
/* The label of the STIX reports that are trilex alerts; the server streams
 * them as server-sent events at /trilex/v1/alerts/stream. */
#define TAXII_ALERT_LABEL "trilex-alert"

typedef struct tx_server tx_server;

/*
 * Extra endpoints beside TAXII, for services above taxii/ (policy
 * assessment, the console, feeds, metrics, ...): one struct taxii_ext row
 * each. They get the same TLS, authentication, body cap, connection limits
 * and error rules as TAXII; by default they speak application/json.
 */
struct taxii_ext_request {
	const char *method;
	const char *path;             /* the row's path, e.g. "assess" */
	const char *rest;             /* of a prefix row ("x/"): the URL's path
	                                 after "x/" ("" for "x" itself); else "" */
	const char *body;             /* NUL-terminated; NULL when none */
	size_t body_len;
	const struct store_user *user; /* id 0: none (TAXII_EXT_AUTH_OPTIONAL) */
	tx_store *st;                 /* the worker thread's store */
	const struct tx_config *cfg;
	const char *dir;              /* the node's folder */
	const char *client_addr;      /* the client's address as text */
	void *conn;                   /* for taxii_ext_arg and _header */
	void *req;                    /* private to taxii (taxii_ext_read_store) */
};

/*
 * The store for u's pure reads of objects in a GET (a page, a search): the
 * read replica when store_replica_check lets it serve u now, else xr->st.
 * Sessions, grants, statuses and writes stay on xr->st, the primary. And
 * for an extension that signs its users in itself (the console's
 * session), taxii_ext_writer: u writes on xr->st from now on
 * (store_set_writer: its write transactions bump its read-your-writes
 * mark; the server sets the caller it authenticated itself).
 */
void taxii_ext_writer(const struct taxii_ext_request *xr,
		      const struct store_user *u);
tx_store *taxii_ext_read_store(const struct taxii_ext_request *xr,
			       const struct store_user *u);

#define TAXII_EXT_HEADERS_MAX 8
#define TAXII_EXT_HEADER_MAX 512

/*
 * What an extension answers: json (ownership passes to the server) with
 * status, or status >= 400 with a message for a TAXII-style error body.
 * With content_type set, text is the body as it is (HTML, CSV, ...), with
 * any status. headers are added to the reply (taxii_ext_reply_header); a
 * Cache-Control among them replaces the server's "no-store".
 */
struct taxii_ext_reply {
	unsigned status;
	json_t *json;
	char *text;           /* or the JSON body as text (taken, freed) */
	size_t text_len;
	const char *content_type;     /* static; NULL: JSON */
	struct {
		const char *name;     /* static */
		char value[TAXII_EXT_HEADER_MAX];
	} headers[TAXII_EXT_HEADERS_MAX];
	int n_headers;
	char message[TX_ERROR_MSG_MAX];
};

typedef void (*taxii_ext_fn)(void *ctx, const struct taxii_ext_request *rq,
			     struct taxii_ext_reply *rp);

/* Flags of an extension row. */
enum {
	/*
	 * Credentials optional: a request that brings some (Authorization,
	 * a client certificate) is checked as always and refused when they
	 * are wrong; one without reaches fn with user->id 0, and fn decides
	 * (by a session cookie, by the client's address, or not at all).
	 */
	TAXII_EXT_AUTH_OPTIONAL = 1 << 0,
	/* Any Accept and Content-Type: fn answers HTML, CSV or text and
	 * takes form posts. */
	TAXII_EXT_ANY_MEDIA = 1 << 1,
};

struct taxii_ext {
	/*
	 * The path after /trilex/v1/ ("assess"), or, starting with '/', a
	 * path of its own ("/metrics"). Ending in '/', a prefix: the row
	 * serves that path and everything below it ("misp-feed/" serves
	 * /trilex/v1/misp-feed and /trilex/v1/misp-feed/x/y.json).
	 */
	const char *path;
	taxii_ext_fn fn;
	void *ctx;
	/* The methods partner nodes' accounts may call, comma-separated
	 * (e.g. "GET"); NULL: none, the endpoint is for this node's users
	 * only. Partners never reach fn with any other method (403). */
	const char *partner_methods;
	unsigned flags;               /* TAXII_EXT_* */
};

/*
 * The TAXII routes, for documentation (`trilex help --endpoints`): row i's
 * path (segments; "{root}" the API root), the methods it allows and what it
 * does. Returns the number of rows; fills nothing when i is past them.
 */
size_t taxii_route_doc(size_t i, const char **path, const char **methods,
		       const char **doc);

/* A query parameter of an extension request, or NULL. */
const char *taxii_ext_arg(const struct taxii_ext_request *rq, const char *key);
/* A request header, or NULL. */
const char *taxii_ext_header(const struct taxii_ext_request *rq,
			     const char *name);
/* A cookie of the request, or NULL. */
const char *taxii_ext_cookie(const struct taxii_ext_request *rq,
			     const char *name);
/* Add a header to an extension's reply (name static; the value formatted
 * and truncated to TAXII_EXT_HEADER_MAX); past TAXII_EXT_HEADERS_MAX,
 * TX_ERR_TOOBIG and nothing added. */
tx_err taxii_ext_reply_header(struct taxii_ext_reply *rp, const char *name,
			      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * What a service above TAXII does for the server: objects a partner's
 * account posts go to peer_ingest (which checks signatures) instead of the
 * plain ingest, with the body (raw) and each object's span of it when
 * found (else NULL); stored() is told after every successful POST of a
 * user (not of a partner). Any may be
 * NULL.
 */
struct taxii_hooks {
	tx_err (*peer_ingest)(void *ctx, tx_store *st,
			      const struct store_user *from, int64_t inbox_pk,
			      const json_t *objects, const char *raw,
			      const struct tx_span *spans,
			      char status_id[TX_UUID_BUF], struct tx_error *err);
	void (*stored)(void *ctx);
	void *ctx;
	/* The user of a console session cookie (TAXII_SESSION_COOKIE, NULL
	 * when absent): 0 with u filled, else -1. Used only for GET of the
	 * alert stream without other credentials. May be NULL. */
	int (*session_user)(void *session_ctx, tx_store *st, const char *cookie,
			    struct store_user *u);
	void *session_ctx;
};

/* The cookie of a console session (console/). */
#define TAXII_SESSION_COOKIE "__Host-trilex"

/*
 * Start serving the node in dir (its node.json settings in cfg, its
 * database DIR/trilex.db and certificate DIR/tls/), with n_exts extra
 * endpoints (the array must outlive the server) and hooks (may be NULL).
 * A client presenting a certificate is a partner node: it must be pinned
 * (by its certificate's SHA-256) and acts as that partner's account; a
 * client without one authenticates with HTTP Basic or Bearer. Returns once
 * the socket listens; requests are served on the server's own threads.
 */
tx_err taxii_server_start(const char *dir, const struct tx_config *cfg,
			  const struct taxii_ext *exts, size_t n_exts,
			  const struct taxii_hooks *hooks, tx_server **out,
			  struct tx_error *err);
/* Stop accepting, finish the requests in flight, free everything. */
void taxii_server_stop(tx_server *srv);

/*
 * What every object is checked with before it is stored, whoever sent it:
 * STIX 2.1 validation, and the pattern of a STIX indicator must parse.
 */
tx_err taxii_check_object(const json_t *obj, struct tx_error *err);

/*
 * Validate the objects of an envelope (or bundle) and store the valid ones
 * in collection_pk, in one transaction, recording a status resource.
 * Objects refused by validation are listed in the status with
 * "objects[i] <id>: <reason>", i counted from first_index (so a caller
 * sending a big file in batches can name the object in the file). Returns
 * the status id. Used by the server's
 * POST and by `trilex push`.
 */
tx_err taxii_ingest(tx_store *st, int64_t collection_pk,
		    const struct store_user *u, const json_t *objects,
		    size_t first_index, char status_id[TX_UUID_BUF],
		    struct tx_error *err);
/*
 * The same, keeping each object as the text it was sent in: raw is the
 * JSON document objects was parsed from and spans[i] (from
 * tx_json_array_spans) the text of objects[i]. Stored objects are then
 * that text without insignificant whitespace, not a re-serialisation.
 */
tx_err taxii_ingest_text(tx_store *st, int64_t collection_pk,
			 const struct store_user *u, const json_t *objects,
			 const char *raw, const struct tx_span *spans,
			 size_t first_index, char status_id[TX_UUID_BUF],
			 struct tx_error *err);

/*
 * The same for an envelope not parsed yet: objects[i] is the JSON text at
 * spans[i] of raw (from tx_json_array_spans), parsed one at a time, and a
 * refused one is let go at once: memory is that of the valid objects, not
 * of the whole list. Refusals past the store's failures_max are counted,
 * not listed. An element that is not JSON fails the whole request
 * (TX_ERR_INVALID, nothing stored).
 */
tx_err taxii_ingest_spans(tx_store *st, int64_t collection_pk,
			  const struct store_user *u, const char *raw,
			  const struct tx_span *spans, size_t n,
			  char status_id[TX_UUID_BUF], struct tx_error *err);

/*
 * taxii_ingest_spans for objects that came from outside (a feed): each
 * stored object's origin and via are source (e.g. "feed:NAME"), so that
 * it is never taken for this node's own nor any partner's, and is not in
 * the outbox shared with partners. No user: the status has none.
 */
tx_err taxii_ingest_from(tx_store *st, int64_t collection_pk,
			 const char *source, const char *raw,
			 const struct tx_span *spans, size_t n,
			 char status_id[TX_UUID_BUF], struct tx_error *err);
/* As taxii_ingest_from, but with no via: the objects keep source as their
 * origin and may enter the outbox (a feed added with --reshare), where the
 * collection's sharing and TLP decide what leaves. */
tx_err taxii_ingest_reshared(tx_store *st, int64_t collection_pk,
			     const char *source, const char *raw,
			     const struct tx_span *spans, size_t n,
			     char status_id[TX_UUID_BUF], struct tx_error *err);

/*
 * Objects kept as the text they were sent in: room for the compacted text
 * of every span of raw (nothing when raw or spans is NULL), then span i's
 * text put into store item it. Used by both ingests (users', partners').
 */
struct taxii_texts {
	const char *raw;
	const struct tx_span *spans;
	char *buf;
	size_t *slots;   /* owned: where span i's text goes in buf, so that
	                    threads may put different spans at once */
};
tx_err taxii_texts_init(struct taxii_texts *t, const char *raw,
			const struct tx_span *spans, size_t n);
void taxii_texts_put(struct taxii_texts *t, size_t i, struct store_item *it);
void taxii_texts_free(struct taxii_texts *t);

/*
 * The counters of this process's server in the Prometheus text format
 * (version 0.0.4), appended to out: requests by route and status, their
 * durations by route (histograms), objects refused by ingest by reason,
 * alert stream clients. TX_ERR_TOOBIG past out's cap.
 */
tx_err taxii_metrics_text(struct tx_buf *out);
/* Count one export request answered with status (format: "suricata",
 * "zeek", "csv", "iocs", "misp-feed"; others count as "other"), and, when
 * 200, the objects it held. Lock-free; any thread. */
void taxii_metrics_export(const char *format, unsigned status, int64_t objects);

/* ---- client (taxii/client.c) ---- */

/*
 * One HTTPS client set-up for everything that calls out (the CLI, feeds,
 * partner delivery): TLS 1.2 or later, always verified, HTTPS only, every
 * answer capped. Plain data; what is not set keeps its default.
 */
struct taxii_client {
	const char *url;       /* API root URL, e.g. https://host:8443/api/ */
	const char *user;      /* Basic auth, with password */
	const char *password;
	const char *token;     /* Bearer auth instead */
	const char *api_key;   /* or X-API-Key: api_key */
	const char *cacert;    /* PEM file to trust; NULL: system store */
	long timeout_s;        /* whole transfer; 0: 120 s */
	/* A partner's set-up: cacert is its own pinned certificate, whose
	 * name need not match the URL (set pinned), and we present ours. */
	int pinned;
	const char *client_cert, *client_key; /* PEM files, or NULL */
	long connect_timeout_ms;              /* 0: libcurl's */
	const char *accept;    /* Accept header; NULL: the TAXII media type */
	/* Polled during a transfer: non-zero aborts it (serve stopping). */
	int (*cancelled)(void *ctx);
	void *cancel_ctx;
	/* borrowed: a libcurl easy handle to reuse (its connections and TLS
	 * sessions stay open between requests), from taxii_client_open; NULL:
	 * one per request */
	void *handle;
};

/* Make c->handle for reuse; TX_ERR_NOMEM. Close with taxii_client_close. */
tx_err taxii_client_open(struct taxii_client *c, struct tx_error *err);
void taxii_client_close(struct taxii_client *c);

#define TAXII_HEADER_MAX 64

/* A response: status and body (owned, NUL-terminated), and the headers a
 * TAXII client reads ("" when absent). */
struct taxii_response {
	long status;
	char *body;
	size_t len;
	char date_added_first[TAXII_HEADER_MAX]; /* X-TAXII-Date-Added-First */
	char date_added_last[TAXII_HEADER_MAX];  /* X-TAXII-Date-Added-Last */
	char content_type[128];
};

/*
 * One request being set up on a libcurl easy handle by
 * taxii_client_setup: its header list (owned, freed by taxii_call_done),
 * where the body goes and where the headers are read into (borrowed).
 */
struct taxii_call {
	void *headers;
	struct tx_buf *body;
	struct taxii_response *resp;   /* may be NULL */
	const struct taxii_client *client;
	int toobig;                    /* the answer went past out's cap */
};

/*
 * Set up curl (a libcurl easy handle, fresh or reset by the caller) for
 * method on the absolute url with c's TLS, credentials, timeouts and
 * cancel callback; body (may be NULL) is sent as TAXII JSON; the answer
 * is appended to out (its cap applies) and, when resp is not NULL, its
 * TAXII headers are read into resp. After curl_easy_perform, call
 * taxii_call_done. TX_ERR_NOMEM.
 */
tx_err taxii_client_setup(void *curl, const struct taxii_client *c,
			  const char *method, const char *url, const char *body,
			  size_t len, struct tx_buf *out,
			  struct taxii_response *resp, struct taxii_call *call,
			  struct tx_error *err);
void taxii_call_done(struct taxii_call *call);

/*
 * One request to path (relative to the API root, e.g.
 * "collections/ID/objects/?limit=100"). body may be NULL. The response
 * body is capped at max bytes (TX_ERR_TOOBIG past it).
 */
tx_err taxii_client_request(const struct taxii_client *c, const char *method,
			    const char *path, const char *body, size_t len,
			    size_t max, struct taxii_response *resp,
			    struct tx_error *err);
void taxii_response_free(struct taxii_response *resp);

/* ---- outside TAXII feeds (taxii/feed.c) ---- */

/* Objects a feed run asks for per page at most, whatever page_limit
 * grows to while it works through many objects of one date_added. */
#define TAXII_FEED_LIMIT_MAX 10000

/* What one run of a feed came to. */
struct taxii_feed_result {
	int64_t pages, received, added, present, rejected;
	int64_t limit_raised;   /* times the page size was doubled to get past
	                           one date_added without next */
	int64_t ties_skipped;   /* pages after which objects of one date_added
	                           may have been left (limit at its maximum) */
};

/* Whether name can name a feed: 1 to 63 of a-z, 0-9, '-', '_'. */
int taxii_feed_name_valid(const char *name);

/*
 * Poll feed name once: GET its remote collection's objects from where it
 * stands (added_after from the last page's X-TAXII-Date-Added-Last),
 * following next while more; when more comes without next, going on
 * from that page's X-TAXII-Date-Added-Last (added_after and next are
 * never sent together); each page stored through the validation of any
 * POST (taxii_ingest_from, source "feed:NAME") and counted, with the
 * feed's position, in the store, page by page. dir is the node's folder
 * (the feed's CA is written to DIR/tls/feed-NAME.pem for libcurl).
 * cancelled (may be NULL) is polled during transfers. The run's error is
 * recorded as the feed's last error and returned in err; out has what
 * came before it.
 */
tx_err taxii_feed_poll(tx_store *st, const char *dir, const char *name,
		       int (*cancelled)(void *ctx), void *ctx,
		       struct taxii_feed_result *out, struct tx_error *err);

/*
 * What `trilex serve` runs: a thread that polls each feed of the node in
 * dir when its every_s has passed since its last run (feeds added or
 * removed while it runs are seen within look_s seconds), logging each
 * run. Stopping ends a transfer in flight.
 */
typedef struct taxii_feeds taxii_feeds;
tx_err taxii_feeds_start(const char *dir, int64_t look_s, taxii_feeds **out,
			 struct tx_error *err);
void taxii_feeds_stop(taxii_feeds *fs);
/* Percent-encode s for a query string into out (caller frees). */
char *taxii_url_escape(const char *s);

#endif
