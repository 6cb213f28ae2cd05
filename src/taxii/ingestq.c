/*
 * taxii/ingestq.c: the queue of partners' big POSTs and the threads that
 * store them.
 *
 * Design: an HTTP thread of libmicrohttpd polls and answers every
 * connection it was given; a partner's POST of 500 objects keeps it busy
 * for as long as their signatures take to check and their transaction to
 * commit, and any other connection of that thread (a partner's alert on
 * its priority connection) waits that long. So server.c suspends the
 * connection of such a POST once its body is in and puts the work here:
 * ingest_workers threads take it in order, each with its own store
 * connection (the server's worker_store), and resume the connection
 * with its answer. At most ingest_queue jobs wait; past that
 * taxii_ingestq_reserve says no (server.c answers 503 with Retry-After),
 * so no HTTP thread ever waits here.
 *
 * Invariants: a job is reserved before its connection is suspended and
 * put after, so a worker never resumes a connection not yet suspended;
 * every job put is run or failed exactly once (run(job, 0) or run(job,
 * 1)), and taxii_ingestq_stop returns only when all are, so that no
 * connection stays suspended when MHD stops; the queue itself is freed
 * after MHD (taxii_ingestq_free), as an HTTP thread may still ask for a
 * reservation (and be refused) until then.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <stdatomic.h>

#include "taxii/internal.h"

struct ingest_job {
	struct ingest_job *next;
	void (*run)(void *arg, int failed);
	void *arg;
};

struct ingestq {
	pthread_mutex_t lock;
	pthread_cond_t work;               /* a job was put, or stopping */
	pthread_cond_t idle;               /* a reservation was failed */
	struct ingest_job *head, *tail;    /* put, not yet taken */
	int64_t n_reserved;                /* reserved and not yet taken */
	int64_t n_running;
	int64_t queue_max;
	pthread_t *threads;
	size_t n_threads;
	int stopping;
};

static void *work(void *arg)
{
	struct ingestq *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct ingest_job *j;
		while (q->head == NULL && !q->stopping)
			pthread_cond_wait(&q->work, &q->lock);
		if ((j = q->head) == NULL)
			break; /* stopping, and nothing left */
		if ((q->head = j->next) == NULL)
			q->tail = NULL;
		q->n_reserved--;
		q->n_running++;
		pthread_mutex_unlock(&q->lock);
		taxii_metrics_ingest(-1, 1);
		j->run(j->arg, 0);
		free(j);
		taxii_metrics_ingest(0, -1);
		pthread_mutex_lock(&q->lock);
		q->n_running--;
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

tx_err taxii_ingestq_start(int64_t workers, int64_t queue_max,
			   struct ingestq **out, struct tx_error *err)
{
	struct ingestq *q = calloc(1, sizeof(*q));

	*out = NULL;
	if (q == NULL || (q->threads = calloc((size_t)workers,
					      sizeof(*q->threads))) == NULL) {
		free(q);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->idle, NULL);
	q->queue_max = queue_max;
	for (; q->n_threads < (size_t)workers; q->n_threads++)
		if (pthread_create(&q->threads[q->n_threads], NULL, work, q) != 0)
			break;
	if (q->n_threads == 0) {
		taxii_ingestq_free(q);
		return tx_error_set(err, TX_ERR_IO, "cannot start the ingest threads");
	}
	*out = q;
	return TX_OK;
}

int taxii_ingestq_reserve(struct ingestq *q)
{
	int ok;

	pthread_mutex_lock(&q->lock);
	ok = !q->stopping && q->n_reserved < q->queue_max;
	if (ok)
		q->n_reserved++;
	pthread_mutex_unlock(&q->lock);
	if (ok)
		taxii_metrics_ingest(1, 0);
	return ok ? 0 : -1;
}

void taxii_ingestq_put(struct ingestq *q, void (*run)(void *arg, int failed),
		       void *arg)
{
	struct ingest_job *j = malloc(sizeof(*j));
	int fail;

	pthread_mutex_lock(&q->lock);
	/* the queue was stopped after the reservation, or no memory: the
	 * job is failed here, still exactly once */
	fail = j == NULL || q->stopping;
	if (!fail) {
		j->next = NULL;
		j->run = run;
		j->arg = arg;
		if (q->tail)
			q->tail->next = j;
		else
			q->head = j;
		q->tail = j;
		pthread_cond_signal(&q->work);
	} else {
		q->n_reserved--;
		pthread_cond_broadcast(&q->idle);
	}
	pthread_mutex_unlock(&q->lock);
	if (fail) {
		free(j);
		taxii_metrics_ingest(-1, 0);
		run(arg, 1);
	}
}

void taxii_ingestq_stop(struct ingestq *q)
{
	struct ingest_job *j;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	j = q->head;
	q->head = q->tail = NULL;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->lock);
	/* What waits is failed (the partner sends it again); what runs
	 * finishes. */
	while (j != NULL) {
		struct ingest_job *next = j->next;
		taxii_metrics_ingest(-1, 0);
		j->run(j->arg, 1);
		free(j);
		pthread_mutex_lock(&q->lock);
		q->n_reserved--;
		pthread_mutex_unlock(&q->lock);
		j = next;
	}
	/* a reservation of an HTTP thread is put (and so failed) at once */
	pthread_mutex_lock(&q->lock);
	while (q->n_reserved > 0)
		pthread_cond_wait(&q->idle, &q->lock);
	pthread_mutex_unlock(&q->lock);
	for (size_t i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
	q->n_threads = 0;
}

void taxii_ingestq_free(struct ingestq *q)
{
	if (q == NULL)
		return;
	taxii_ingestq_stop(q);
	free(q->threads);
	pthread_cond_destroy(&q->idle);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* The test hook: see taxii_ingestq_test_gate. */
static atomic_int gate_passed;

void taxii_ingestq_test_gate(size_t body_len)
{
	const char *path = getenv(TAXII_INGEST_GATE_ENV);
	char c;
	int fd;

	if (path == NULL || path[0] == '\0' || body_len < TAXII_INGEST_INLINE_MAX ||
	    atomic_exchange(&gate_passed, 1))
		return;
	/* blocks until the test opens the FIFO to write: then it knows this
	 * POST is held here; it goes on when the test closes its end */
	tx_log(TX_LOG_INFO, "%s: a partner's POST of %zu bytes waits at %s",
	       TAXII_INGEST_GATE_ENV, body_len, path);
	if ((fd = open(path, O_RDONLY)) < 0)
		return;
	while (read(fd, &c, 1) > 0)
		;
	close(fd);
}
