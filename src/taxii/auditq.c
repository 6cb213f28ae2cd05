/*
 * taxii/auditq.c: the server's queue of audit entries for reads.
 *
 * A page of TLP:RED or AMBER+STRICT objects is recorded in the audit
 * trail; one durable commit per page would cost more than the page (the
 * bench measured 90%). So reads are queued here and a thread writes what
 * is queued every AUDITQ_FLUSH_MS in one transaction (store_audit_batch),
 * in the order they were queued, each with the time of the read. The
 * queue holds at most AUDITQ_MAX entries: a request that finds it full
 * writes the queue itself before it answers, so nothing is dropped and
 * memory stays bounded. Stopping the server writes what is left. A crash
 * of the process loses at most the last AUDITQ_FLUSH_MS of read records
 * (sign-ins and every change are written at once, not queued).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "taxii/internal.h"

#define AUDITQ_MAX 256
#define AUDITQ_FLUSH_MS 100

struct auditq {
	pthread_mutex_t lock;          /* guards everything below */
	pthread_mutex_t write;         /* one batch written at a time, in order */
	pthread_cond_t wake;
	struct store_audit_entry *buf; /* AUDITQ_MAX, n used */
	size_t n;
	int stop;
	pthread_t thread;
	int running;
	char db_path[4096];
};

/* Write what is queued with st (the caller's connection). */
static void flush(struct auditq *q, tx_store *st)
{
	struct store_audit_entry *mine;
	struct tx_error err = { 0 };
	size_t n;

	pthread_mutex_lock(&q->write);
	pthread_mutex_lock(&q->lock);
	n = q->n;
	if (n == 0 || (mine = malloc(n * sizeof(*mine))) == NULL) {
		/* out of memory: the entries stay queued for the next try */
		pthread_mutex_unlock(&q->lock);
		pthread_mutex_unlock(&q->write);
		return;
	}
	memcpy(mine, q->buf, n * sizeof(*mine));
	q->n = 0;
	pthread_mutex_unlock(&q->lock);
	if (store_audit_batch(st, mine, n, &err) != TX_OK)
		tx_log(TX_LOG_ERROR, "audit: %zu read records not written: %s", n,
		       err.msg);
	free(mine);
	pthread_mutex_unlock(&q->write);
}

static void *run(void *arg)
{
	struct auditq *q = arg;
	tx_store *st = NULL;
	struct tx_error err = { 0 };

	if (store_open(q->db_path, 0, &st, &err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "audit queue: %s", err.msg);
		return NULL;
	}
	pthread_mutex_lock(&q->lock);
	while (!q->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += AUDITQ_FLUSH_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&q->wake, &q->lock, &until);
		if (q->n == 0)
			continue;
		pthread_mutex_unlock(&q->lock);
		flush(q, st);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	flush(q, st);
	store_close(st);
	return NULL;
}

tx_err taxii_auditq_start(const char *db_path, struct auditq **out,
		    struct tx_error *err)
{
	struct auditq *q = calloc(1, sizeof(*q));

	if (q == NULL || (q->buf = calloc(AUDITQ_MAX, sizeof(*q->buf))) == NULL) {
		free(q);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	snprintf(q->db_path, sizeof(q->db_path), "%s", db_path);
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->write, NULL);
	pthread_cond_init(&q->wake, NULL);
	if (pthread_create(&q->thread, NULL, run, q) != 0) {
		taxii_auditq_stop(q);
		return tx_error_set(err, TX_ERR_INTERNAL, "cannot start the audit"
				    " queue's thread");
	}
	q->running = 1;
	*out = q;
	return TX_OK;
}

void taxii_auditq_stop(struct auditq *q)
{
	if (q == NULL)
		return;
	if (q->running) {
		pthread_mutex_lock(&q->lock);
		q->stop = 1;
		pthread_cond_signal(&q->wake);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->thread, NULL);
	}
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->write);
	pthread_cond_destroy(&q->wake);
	free(q->buf);
	free(q);
}

void taxii_auditq_put(struct auditq *q, tx_store *st, const char *actor,
		const char *address, const char *action, const char *what,
		const char *detail)
{
	struct tx_error err = { 0 };
	int full;

#ifdef TRILEX_NO_AUDIT
	(void)q, (void)st, (void)actor, (void)address, (void)action;
	(void)what, (void)detail, (void)err, (void)full;
	return; /* a benchmark build without the audit trail */
#endif

	if (q == NULL) {
		/* no queue (a test's server, a failed start): at once */
		if (store_audit_from(st, actor, address, action, what, detail,
				     &err) != TX_OK)
			tx_log(TX_LOG_ERROR, "audit: %s", err.msg);
		return;
	}
	for (;;) {
		pthread_mutex_lock(&q->lock);
		if ((full = q->n == AUDITQ_MAX) == 0) {
			store_audit_entry_set(&q->buf[q->n], actor, address, action,
					      what, detail);
			q->buf[q->n].at = tx_time_now_us();
			q->n++;
		}
		pthread_mutex_unlock(&q->lock);
		if (!full)
			return;
		flush(q, st); /* full: this request writes the queue */
	}
}
