/*
 * taxii/auditq.c: the server's queue of audit entries for reads.
 *
 * A page of TLP:RED or AMBER+STRICT objects is recorded in the audit
 * trail; one durable commit per page would cost more than the page (the
 * bench measured 90%). So reads are queued here and a thread writes them
 * in one transaction (store_audit_batch), in the order they were queued,
 * each with the time of the read: AUDITQ_FLUSH_MS after the first entry
 * of a batch was queued, or at once when AUDITQ_EARLY are waiting. The
 * queue holds at most AUDITQ_MAX entries: a request that finds it full
 * (the writer is behind) writes the queue itself before it answers, so
 * nothing is dropped and memory stays bounded. Stopping the server writes
 * what is left. A crash of the process loses at most the last
 * AUDITQ_FLUSH_MS of read records (sign-ins and every change are written
 * at once, not queued). With nothing queued the writer sleeps until a
 * request queues something: an idle node does not wake for it.
 *
 * Two buffers: requests fill one while the writer writes the other, so
 * taking a batch is a swap under the lock, and no request waits for a
 * commit unless the queue is full.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "taxii/internal.h"

#define AUDITQ_MAX 1024
#define AUDITQ_EARLY 512
#define AUDITQ_FLUSH_MS 100
/* A benchmark's knob (bench/run-audit): the writer's delay in ms instead
 * of AUDITQ_FLUSH_MS. Under callgrind the node runs ~50x slower; with the
 * delay 50x longer, the writer's batches are as large as at full speed,
 * so its instructions per entry are those of a node at full speed. */
#define AUDITQ_FLUSH_ENV "TRILEX_BENCH_AUDIT_FLUSH_MS"

struct auditq {
	pthread_mutex_t lock;          /* guards buf, n, first_us, stop */
	pthread_mutex_t write;         /* one batch written at a time, in order;
	                                * the holder owns spare */
	pthread_cond_t wake;           /* the writer's */
	struct store_audit_entry *buf; /* AUDITQ_MAX, n used */
	struct store_audit_entry *spare; /* AUDITQ_MAX, the batch being written */
	size_t n;
	int64_t first_us;              /* when buf[0] was queued */
	int64_t flush_us;              /* the writer's delay */
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
	mine = q->buf;
	q->buf = q->spare;
	q->spare = mine;
	q->n = 0;
	pthread_mutex_unlock(&q->lock);
	if (n > 0 && store_audit_batch(st, mine, n, &err) != TX_OK)
		tx_log(TX_LOG_ERROR, "audit: %zu read records not written: %s", n,
		       err.msg);
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
	/* read records concern no waiter (delivery, alert streams) */
	store_notify_quiet(st);
	pthread_mutex_lock(&q->lock);
	while (!q->stop) {
		if (q->n == 0) {
			pthread_cond_wait(&q->wake, &q->lock);
			taxii_metrics_wakeup(TAXII_THREAD_AUDIT);
			continue;
		}
		int64_t due = q->first_us + q->flush_us;
		if (q->n < AUDITQ_EARLY && tx_time_now_us() < due) {
			struct timespec until = { .tv_sec = (time_t)(due / 1000000),
						  .tv_nsec = (long)(due % 1000000) * 1000 };
			pthread_cond_timedwait(&q->wake, &q->lock, &until);
			taxii_metrics_wakeup(TAXII_THREAD_AUDIT);
			continue;
		}
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
	const char *env;

	if (q == NULL || (q->buf = calloc(AUDITQ_MAX, sizeof(*q->buf))) == NULL ||
	    (q->spare = calloc(AUDITQ_MAX, sizeof(*q->spare))) == NULL) {
		if (q != NULL)
			free(q->buf);
		free(q);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	snprintf(q->db_path, sizeof(q->db_path), "%s", db_path);
	q->flush_us = AUDITQ_FLUSH_MS * 1000;
	if ((env = getenv(AUDITQ_FLUSH_ENV)) != NULL && atol(env) > 0 &&
	    atol(env) <= 60000) {
		q->flush_us = (int64_t)atol(env) * 1000;
		tx_log(TX_LOG_WARN, "audit: %s=%ld, a benchmark's setting: a crash"
		       " can lose that many ms of read records", AUDITQ_FLUSH_ENV,
		       atol(env));
	}
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
	free(q->spare);
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
			int64_t at = tx_time_now_us();
			store_audit_entry_set(&q->buf[q->n], actor, address, action,
					      what, detail);
			q->buf[q->n].at = at;
			if (q->n == 0)
				q->first_us = at;
			/* the writer sleeps until the first entry, then until
			 * it is due or AUDITQ_EARLY are queued */
			if (++q->n == 1 || q->n == AUDITQ_EARLY)
				pthread_cond_signal(&q->wake);
		}
		pthread_mutex_unlock(&q->lock);
		if (!full)
			return;
		flush(q, st); /* full: this request writes the queue */
	}
}
