/* taxii/internal.h: shared by the server files; private to taxii/. */
#ifndef TRILEX_TAXII_INTERNAL_H
#define TRILEX_TAXII_INTERNAL_H

#include <microhttpd.h>

#include "taxii/taxii.h"

#define REPLY_MAX_HEADERS 4

/* What a route answers; body is owned (malloc). */
struct reply {
	unsigned status;
	int plain_json;              /* Content-Type application/json */
	char *body;
	size_t len;
	struct {
		const char *name;
		char value[96];
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
};

#define EXT_PREFIX "/trilex/v1/"

/* Route a request to its handler and fill the reply. */
void routes_dispatch(struct request *rq, struct reply *rp);

/* A TAXII error reply with the given HTTP status. */
void reply_error(struct reply *rp, unsigned status, const char *title,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A JSON reply, serialising v (not consumed). */
void reply_json(struct reply *rp, unsigned status, const json_t *v);
/* Add a header to a reply (value copied, truncated to fit). */
void reply_header(struct reply *rp, const char *name, const char *value);

/* Whether the Accept header allows TAXII 2.1 JSON (a missing one does);
 * with json_ok, plain application/json is fine too. */
int media_accept_ok(const char *accept, int json_ok);
/* Whether a Content-Type is TAXII 2.1 JSON (or, with json_ok, JSON). */
int media_content_type_ok(const char *ctype, int json_ok);
/* Serve an extension endpoint (rq->url starts with EXT_PREFIX). */
void routes_ext(struct request *rq, struct reply *rp);

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

/* Make the state from cfg's auth_ settings; auth_free frees it. */
tx_err auth_new(const struct tx_config *cfg, struct taxii_auth **out,
		struct tx_error *err);
void auth_free(struct taxii_auth *a);
/*
 * Check an Authorization header (may be NULL) of a client at addr (may
 * be NULL): a Bearer token or Basic user name and password. AUTH_OK fills
 * u; AUTH_WAIT and AUTH_BUSY set retry_s. Thread-safe.
 */
enum auth_result auth_check(struct taxii_auth *a, tx_store *st,
			    const struct sockaddr *addr, const char *hdr,
			    struct store_user *u, int64_t *retry_s);

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
void filters_init(struct filters *f, int64_t page_default);
/*
 * Take one query parameter. Unknown keys are ignored; a bad value of a
 * known one fills msg and returns -1. limit is clamped to page_max.
 */
int filters_add(struct filters *f, const char *key, const char *value,
		int64_t page_max, char *msg, size_t msgsz);
void filters_free(struct filters *f);
