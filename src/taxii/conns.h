/* taxii/conns.h: who holds the server's connections; private to taxii/. */
#ifndef TRILEX_TAXII_CONNS_H
#define TRILEX_TAXII_CONNS_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

#include "core/core.h"

/* What a connection is known to be; it only ever moves up this list. */
enum conn_class {
	CONN_PENDING,   /* not through its first request head yet */
	CONN_CLIENT,    /* a user, or anyone without a partner's certificate */
	CONN_PARTNER,   /* a pinned partner certificate */
	CONN_N_CLASSES
};

/* Where a connection is in its current request. */
enum conn_phase {
	PHASE_HEAD,     /* TLS handshake and request head (or waiting for one) */
	PHASE_BODY,     /* the head is in; the body is arriving */
	PHASE_REPLY     /* the request is in; the answer is being made or sent */
};

struct conn_entry;

/* What conns_* counted, for the log and the tests. */
struct conns_stats {
	uint64_t accepted;
	uint64_t evicted;       /* oldest pending, closed to admit a new one */
	uint64_t cut_head;      /* past head_timeout_s in PHASE_HEAD */
	uint64_t cut_rate;      /* a body slower than min_upload_rate */
	uint64_t busy;          /* a client refused: clients' share full */
	size_t open[CONN_N_CLASSES];
};

/*
 * The accounting of one server. Every connection MHD opens has an entry
 * (its socket context) from MHD_CONNECTION_NOTIFY_STARTED until
 * MHD_CONNECTION_NOTIFY_CLOSED, which MHD sends before it closes the
 * socket; so under lock an entry's fd is always still that connection's,
 * and shutting it down is how a connection is cut from outside MHD.
 */
struct conns {
	pthread_mutex_t lock;
	struct conn_entry *head, *tail;  /* in order of accept */
	int64_t max_pending;
	int64_t max_clients;             /* max - pending - partners' reserve */
	int64_t head_timeout_us;
	int64_t min_rate;                /* bytes/s */
	struct conns_stats stats;
	pthread_t reaper;
	pthread_cond_t wake;             /* the reaper's: an earlier deadline */
	int64_t next_reap_us;            /* when it looks next; INT64_MAX: when woken */
	int64_t log_due_us;              /* when its next summary line may go out */
	int reaper_running;
	volatile int stopping;
};

/* Set c up from cfg and start its reaper thread. */
tx_err taxii_conns_init(struct conns *c, const struct tx_config *cfg,
		  struct tx_error *err);
/* Stop the reaper; call after MHD_stop_daemon. */
void taxii_conns_fini(struct conns *c);
/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the struct conns. */
void taxii_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		  enum MHD_ConnectionNotificationCode code);
/* The class of conn so far. */
enum conn_class taxii_conns_class(struct conns *c, struct MHD_Connection *conn);
/* A request head of conn is in: its head clock stops, the body's starts. */
void taxii_conns_head_in(struct conns *c, struct MHD_Connection *conn);
/* Restart the body's clock of conn: what the server itself took before it
 * began to read the body is not the client's. */
void taxii_conns_body_clock(struct conns *c, struct MHD_Connection *conn);
/*
 * After taxii_conns_head_in, the class of conn: a pending connection becomes a partner's
 * (partner != 0) or a client's. TX_ERR_TOOBIG when it would be a client's
 * and clients already hold their whole share (max_connections less the
 * pending and the partners' reserve): answer 503 and close it.
 */
tx_err taxii_conns_head_done(struct conns *c, struct MHD_Connection *conn,
		       int partner);
/* n more bytes of body arrived on conn; n == 0: the body is complete. */
void taxii_conns_body(struct conns *c, struct MHD_Connection *conn, size_t n);
/* A request of conn is answered; the next head's clock starts. */
void taxii_conns_request_done(struct conns *c, struct MHD_Connection *conn);
/* A copy of the counters. */
void taxii_conns_stats_get(struct conns *c, struct conns_stats *out);
/* Raise this process's soft RLIMIT_NOFILE to at least want, as far as the
 * hard limit allows; returns the soft limit now in force. */
int64_t taxii_conns_raise_nofile(int64_t want);

#endif
