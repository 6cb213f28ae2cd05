/*
 * taxii/conns.c: one client cannot stop the node.
 *
 * Design: every connection has an entry from accept to close, in accept
 * order. What a client may hold:
 *
 * - max_connections_per_address, enforced by libmicrohttpd at accept.
 * - max_pending_connections for connections not yet through their first
 *   request head (TLS handshake included). When they are all taken, the
 *   oldest pending connection is cut to admit the new one: a flood of idle
 *   or half-open connections then only ever holds the newest slots, and a
 *   real client, which gets through its handshake and head in
 *   milliseconds, is not the one cut.
 * - head_timeout_s for the TLS handshake plus each request head, counted
 *   from accept (or from the end of the previous request), however slowly
 *   the bytes come: libmicrohttpd's own timeout (idle_timeout_s) restarts
 *   on every byte, so a client sending a header line every few seconds
 *   would hold its slot for ever.
 * - min_upload_rate for bodies, after a grace of head_timeout_s.
 * - partner_reserved_connections that only partners' certificates take:
 *   once through its head a connection is a partner's or a client's, and
 *   clients (users, or anyone else) may hold at most max_connections less
 *   the pending and the reserve. A separate listener for partners would do
 *   the same but would need a second port in every partner's card and
 *   firewall; the reserve keeps one URL per node.
 *
 * A connection is cut by shutting its socket down: libmicrohttpd then sees
 * the end of the stream, closes it and notifies CLOSED. The reaper thread
 * sleeps until the earliest deadline of the open connections (the end of
 * a head's time, or the moment a body's bytes so far fall below
 * min_upload_rate), and with no connection open until one comes: an idle
 * node does not wake for it. Whatever sets an earlier deadline than the
 * one it sleeps for (a new connection, a new request head or body) wakes
 * it (arm).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "taxii/conns.h"
#include "taxii/internal.h"

#define LOG_EVERY_US (10LL * 1000000)

struct conn_entry {
	struct conn_entry *prev, *next;
	int fd;
	int64_t accepted;        /* us */
	int64_t phase_start;     /* us */
	uint64_t body_bytes;     /* of the current request */
	enum conn_class cls;
	enum conn_phase phase;
	int cut;                 /* shut down; waiting for MHD to close it */
};

/* The entry of conn, or NULL. */
static struct conn_entry *entry_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* Under lock: the reaper must look again at `at` (us) at the latest. */
static void arm(struct conns *c, int64_t at)
{
	if (at < c->next_reap_us) {
		c->next_reap_us = at;
		pthread_cond_signal(&c->wake);
	}
}

/* Under lock: the counters moved; the reaper's summary line is due. */
static void arm_log(struct conns *c)
{
	arm(c, c->log_due_us);
}

/* Cut e (under lock): its slot is free from now on. */
static void cut(struct conns *c, struct conn_entry *e, uint64_t *counter)
{
	if (e->cut)
		return;
	e->cut = 1;
	c->stats.open[e->cls]--;
	(*counter)++;
	shutdown(e->fd, SHUT_RDWR);
}

static void unlink_entry(struct conns *c, struct conn_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
}

void taxii_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		  enum MHD_ConnectionNotificationCode code)
{
	struct conns *c = cls;
	struct conn_entry *e = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (e == NULL)
			return;
		pthread_mutex_lock(&c->lock);
		if (!e->cut)
			c->stats.open[e->cls]--;
		unlink_entry(c, e);
		pthread_mutex_unlock(&c->lock);
		free(e);
		*socket_context = NULL;
		return;
	}
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL || (e = calloc(1, sizeof(*e))) == NULL) {
		/* Without an entry the connection is not tracked; cut it
		 * rather than let it escape every limit. */
		if (ci != NULL)
			shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	e->fd = ci->connect_fd;
	e->accepted = e->phase_start = tx_time_now_us();
	e->cls = CONN_PENDING;
	e->phase = PHASE_HEAD;
	pthread_mutex_lock(&c->lock);
	if ((int64_t)c->stats.open[CONN_PENDING] >= c->max_pending) {
		for (struct conn_entry *v = c->head; v; v = v->next)
			if (!v->cut && v->cls == CONN_PENDING) {
				cut(c, v, &c->stats.evicted);
				arm_log(c);
				break;
			}
	}
	e->prev = c->tail;
	if (c->tail)
		c->tail->next = e;
	else
		c->head = e;
	c->tail = e;
	c->stats.open[CONN_PENDING]++;
	c->stats.accepted++;
	arm(c, e->phase_start + c->head_timeout_us + 1);
	pthread_mutex_unlock(&c->lock);
	*socket_context = e;
}

enum conn_class taxii_conns_class(struct conns *c, struct MHD_Connection *conn)
{
	struct conn_entry *e = entry_of(conn);
	enum conn_class cls;

	if (e == NULL)
		return CONN_CLIENT;
	pthread_mutex_lock(&c->lock);
	cls = e->cls;
	pthread_mutex_unlock(&c->lock);
	return cls;
}

void taxii_conns_head_in(struct conns *c, struct MHD_Connection *conn)
{
	struct conn_entry *e = entry_of(conn);

	if (e == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	e->phase = PHASE_BODY;
	e->phase_start = tx_time_now_us();
	e->body_bytes = 0;
	if (c->min_rate > 0)
		arm(c, e->phase_start + c->head_timeout_us + 1);
	pthread_mutex_unlock(&c->lock);
}

void taxii_conns_body_clock(struct conns *c, struct MHD_Connection *conn)
{
	struct conn_entry *e = entry_of(conn);

	if (e == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	if (e->phase == PHASE_BODY)
		e->phase_start = tx_time_now_us();
	pthread_mutex_unlock(&c->lock);
}

tx_err taxii_conns_head_done(struct conns *c, struct MHD_Connection *conn,
		       int partner)
{
	struct conn_entry *e = entry_of(conn);
	tx_err rc = TX_OK;

	if (e == NULL)
		return TX_OK;
	pthread_mutex_lock(&c->lock);
	if (e->cls == CONN_PENDING && !e->cut) {
		enum conn_class to = partner ? CONN_PARTNER : CONN_CLIENT;
		if (to == CONN_CLIENT &&
		    (int64_t)c->stats.open[CONN_CLIENT] >= c->max_clients) {
			c->stats.busy++;
			arm_log(c);
			rc = TX_ERR_TOOBIG;
		} else {
			c->stats.open[CONN_PENDING]--;
			c->stats.open[to]++;
			e->cls = to;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void taxii_conns_body(struct conns *c, struct MHD_Connection *conn, size_t n)
{
	struct conn_entry *e = entry_of(conn);

	if (e == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	if (n == 0)
		e->phase = PHASE_REPLY;
	else
		e->body_bytes += n;
	pthread_mutex_unlock(&c->lock);
}

void taxii_conns_request_done(struct conns *c, struct MHD_Connection *conn)
{
	struct conn_entry *e = entry_of(conn);

	if (e == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	e->phase = PHASE_HEAD;
	e->phase_start = tx_time_now_us();
	arm(c, e->phase_start + c->head_timeout_us + 1);
	pthread_mutex_unlock(&c->lock);
}

void taxii_conns_stats_get(struct conns *c, struct conns_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}

/* Whether e has outstayed its phase at now (under lock). */
static uint64_t *overdue(struct conns *c, const struct conn_entry *e,
			 int64_t now)
{
	int64_t t = now - e->phase_start;

	if (e->cut)
		return NULL;
	if (e->phase == PHASE_HEAD && t > c->head_timeout_us)
		return &c->stats.cut_head;
	/* After the grace, the body so far must average min_rate over the
	 * time past the grace. */
	if (e->phase == PHASE_BODY && c->min_rate > 0 &&
	    t > c->head_timeout_us &&
	    (double)e->body_bytes <
		    (double)c->min_rate * (double)(t - c->head_timeout_us) / 1e6)
		return &c->stats.cut_rate;
	return NULL;
}

/* When overdue(e) can first hold (us; under lock), INT64_MAX if never
 * as things stand: the body's clock moves it only later. */
static int64_t deadline(const struct conns *c, const struct conn_entry *e)
{
	if (e->cut)
		return INT64_MAX;
	if (e->phase == PHASE_HEAD)
		return e->phase_start + c->head_timeout_us + 1;
	if (e->phase == PHASE_BODY && c->min_rate > 0)
		return e->phase_start + c->head_timeout_us + 1 +
		       (int64_t)((double)e->body_bytes * 1e6 / (double)c->min_rate);
	return INT64_MAX;
}

static void *reap(void *arg)
{
	struct conns *c = arg;
	struct conns_stats logged = { 0 };
	int64_t last_log = 0;

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		int64_t now = tx_time_now_us(), next = INT64_MAX;
		taxii_metrics_wakeup(TAXII_THREAD_REAPER);
		for (struct conn_entry *e = c->head; e; e = e->next) {
			uint64_t *why = overdue(c, e, now);
			int64_t d;
			if (why)
				cut(c, e, why);
			else if ((d = deadline(c, e)) < next)
				next = d;
		}
		struct conns_stats s = c->stats;
		/* One line per LOG_EVERY_US at most, when something was cut. */
		if (s.evicted != logged.evicted || s.cut_head != logged.cut_head ||
		    s.cut_rate != logged.cut_rate || s.busy != logged.busy) {
			if (now - last_log >= LOG_EVERY_US) {
				c->log_due_us = now + LOG_EVERY_US;
				pthread_mutex_unlock(&c->lock);
				tx_log(TX_LOG_WARN, "connections: %llu cut past head_timeout_s,"
				       " %llu below min_upload_rate, %llu pending closed to"
				       " admit new ones, %llu refused (clients' share full)"
				       " in the last %llds; open: %zu pending, %zu clients,"
				       " %zu partners",
				       (unsigned long long)(s.cut_head - logged.cut_head),
				       (unsigned long long)(s.cut_rate - logged.cut_rate),
				       (unsigned long long)(s.evicted - logged.evicted),
				       (unsigned long long)(s.busy - logged.busy),
				       (long long)(last_log ? (now - last_log) / 1000000 : 0),
				       s.open[CONN_PENDING], s.open[CONN_CLIENT],
				       s.open[CONN_PARTNER]);
				logged = s;
				last_log = now;
				pthread_mutex_lock(&c->lock);
				continue; /* entries came and went meanwhile: look again */
			}
			if (last_log + LOG_EVERY_US < next)
				next = last_log + LOG_EVERY_US;
		}
		c->next_reap_us = next;
		if (next == INT64_MAX) {
			pthread_cond_wait(&c->wake, &c->lock);
		} else {
			struct timespec until = { .tv_sec = (time_t)(next / 1000000),
						  .tv_nsec = (long)(next % 1000000) * 1000 };
			pthread_cond_timedwait(&c->wake, &c->lock, &until);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

tx_err taxii_conns_init(struct conns *c, const struct tx_config *cfg,
		  struct tx_error *err)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	c->next_reap_us = INT64_MAX;
	c->max_pending = cfg->max_pending_connections;
	c->max_clients = cfg->max_connections - cfg->max_pending_connections -
			 cfg->partner_reserved_connections;
	if (c->max_clients < 1)
		c->max_clients = 1;
	c->head_timeout_us = cfg->head_timeout_s * 1000000;
	c->min_rate = cfg->min_upload_rate;
	if (pthread_create(&c->reaper, NULL, reap, c) != 0)
		return tx_error_set(err, TX_ERR_INTERNAL,
				    "cannot start the connection reaper: %s",
				    strerror(errno));
	c->reaper_running = 1;
	return TX_OK;
}

void taxii_conns_fini(struct conns *c)
{
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	if (c->reaper_running)
		pthread_join(c->reaper, NULL);
	c->reaper_running = 0;
	/* MHD has closed every connection and freed every entry by now. */
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
}

int64_t taxii_conns_raise_nofile(int64_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur != RLIM_INFINITY && (int64_t)rl.rlim_cur < want) {
		rlim_t to = (rl.rlim_max == RLIM_INFINITY ||
			     (int64_t)rl.rlim_max > want) ? (rlim_t)want : rl.rlim_max;
		if (to > rl.rlim_cur) {
			rl.rlim_cur = to;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0 &&
			    getrlimit(RLIMIT_NOFILE, &rl) != 0)
				return -1;
		}
	}
	return rl.rlim_cur == RLIM_INFINITY ? INT64_MAX : (int64_t)rl.rlim_cur;
}
