/*
 * sensor/reload.c: the index reloader of `trilex match --follow`. A thread
 * with a store connection of its own watches the store's clock
 * (store_last_added) and, when indicators were stored or deleted, or at
 * least every max_s seconds (indicators start and stop being valid with
 * time), builds a new index with the caller's function and publishes it
 * to the matcher. Readers tell a new index by the generation, bumped
 * before each publish, not by its address (a freed index may hand its
 * address on).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sensor/sensor.h"

struct sensor_reloader {
	char *db_path;
	pattern_matcher *m;
	sensor_index_fn build;
	void *ctx;
	int check_ms, max_s;
	int64_t seen;              /* store_last_added when last built */
	_Atomic unsigned long generation;
	_Atomic size_t reloads, active;
	int stop;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
};

static void reload_once(sensor_reloader *r, tx_store *st, int64_t last)
{
	struct tx_error err = { 0 };
	pattern_index *ix = NULL;
	size_t active = 0;

	if (r->build(r->ctx, st, &ix, &active, &err) == TX_OK) {
		/* readers switch at their next event; the old index is freed
		 * once none uses it */
		atomic_fetch_add(&r->generation, 1);
		pattern_matcher_publish(r->m, ix);
		r->seen = last;
		atomic_fetch_add(&r->reloads, 1);
		atomic_store(&r->active, active);
		fprintf(stderr, "trilex: index reloaded: %zu active indicators\n", active);
	} else {
		fprintf(stderr, "trilex: index not reloaded: %s\n", err.msg);
	}
}

static void *reload_main(void *arg)
{
	sensor_reloader *r = arg;
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	int64_t built = tx_time_now_us();

	if (store_open(r->db_path, 0, &st, &err) != TX_OK) {
		fprintf(stderr, "trilex: --follow: the index will not be reloaded: %s\n", err.msg);
		return NULL;
	}
	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += r->check_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&r->wake, &r->lock, &until);
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->lock);
		int64_t last = store_last_added(st), now = tx_time_now_us();
		if (last != r->seen || now - built >= r->max_s * INT64_C(1000000)) {
			reload_once(r, st, last);
			built = now;
		}
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	store_close(st);
	return NULL;
}

tx_err sensor_reloader_start(const char *db_path, pattern_matcher *m, int64_t seen,
			     int check_ms, int max_s, sensor_index_fn build, void *ctx,
			     sensor_reloader **out, struct tx_error *err)
{
	sensor_reloader *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL || (r->db_path = strdup(db_path)) == NULL) {
		free(r);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	r->m = m;
	r->seen = seen;
	r->build = build;
	r->ctx = ctx;
	r->check_ms = check_ms > 0 ? check_ms : SENSOR_RELOAD_CHECK_MS;
	r->max_s = max_s > 0 ? max_s : SENSOR_RELOAD_MAX_S;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (pthread_create(&r->thread, NULL, reload_main, r) != 0) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->wake);
		free(r->db_path);
		free(r);
		return tx_error_set(err, TX_ERR_INTERNAL, "cannot start the index reloader");
	}
	*out = r;
	return TX_OK;
}

unsigned long sensor_reloader_generation(const sensor_reloader *r)
{
	return atomic_load(&((sensor_reloader *)r)->generation);
}

size_t sensor_reloader_reloads(const sensor_reloader *r, size_t *active)
{
	if (active != NULL)
		*active = atomic_load(&((sensor_reloader *)r)->active);
	return atomic_load(&((sensor_reloader *)r)->reloads);
}

void sensor_reloader_stop(sensor_reloader *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = 1;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r->db_path);
	free(r);
}
