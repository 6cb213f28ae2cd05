/*
 * The receiving node (issue 14 item 4): a partner's big POST is checked
 * and stored by an ingest worker while its connection is suspended, so
 * the HTTP thread that holds it goes on answering the partner's alerts;
 * the queue of such POSTs is bounded (503 with Retry-After past it); a
 * node stops cleanly with POSTs suspended; each object's outcome is what
 * it was, in order.
 *
 * UK serves with one HTTP thread, one ingest worker and a queue of one,
 * so that "busy" is deterministic: the test hook TRILEX_TEST_INGEST_GATE
 * (a FIFO) holds the first big partner POST before its objects are
 * checked, until the test opens and closes the FIFO; opening it returns
 * only once the POST waits there. No timed assertion: every wait is for
 * a condition, with a generous bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "federation/federation.h"
#include "harness.h"

#define N_BULK 2000
#define UK_CONFIG "\"threads\": 1, \"ingest_workers\": 1, \"ingest_queue\": 1"
#define GATE_ENV "TRILEX_TEST_INGEST_GATE"

static struct node JP, UK;
static char gate[PATH_MAX + 16];
static int gate_fd = -1;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int wait_ms(int (*fn)(const struct node *, void *), const struct node *n,
		   void *arg, int ms)
{
	int64_t end = mono_ms() + ms;
	int r;

	while ((r = fn(n, arg)) == 0 && mono_ms() < end)
		pause_ms(20);
	return r;
}

/* Start UK with the gate armed (a fresh FIFO; the hook passes one POST
 * per process). */
static int start_uk_gated(void)
{
	int rc;

	snprintf(gate, sizeof(gate), "%s/gate", UK.dir);
	unlink(gate);
	if (mkfifo(gate, 0600) != 0)
		return -1;
	setenv(GATE_ENV, gate, 1);
	rc = node_start(&UK);
	unsetenv(GATE_ENV);
	return rc;
}

/* Open the gate's writing end once a POST waits at it (within ms): its
 * descriptor, or -1. */
static int gate_held(int ms)
{
	int64_t end = mono_ms() + ms;
	int fd;

	while ((fd = open(gate, O_WRONLY | O_NONBLOCK)) < 0 && errno == ENXIO &&
	       mono_ms() < end)
		pause_ms(20);
	return fd;
}

static void gate_release(void)
{
	if (gate_fd >= 0)
		close(gate_fd);
	gate_fd = -1;
}

static int setup(void **state)
{
	if (node_create_as(&JP, "JP", NULL) || node_create_as(&UK, "UK", UK_CONFIG) ||
	    node_pair(&JP, &UK) || start_uk_gated())
		return -1;
	return 0;
}

static int teardown(void **state)
{
	int rc;

	gate_release();
	rc = (JP.pid > 0 ? node_stop(&JP) : 0) | (UK.pid > 0 ? node_stop(&UK) : 0);
	node_destroy(&JP);
	node_destroy(&UK);
	return rc == 0 ? 0 : -1;
}

static int count_is(const struct node *n, void *want)
{
	return count_objects(n, "inbox-JP", NULL) >= *(int *)want;
}

/* The alert of the test: a report labelled trilex-alert and the
 * indicator it refers to. */
static char *alert_body(const char *report_id)
{
	json_t *ind = make_indicator(9000000, NULL);
	json_t *rep = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[O]}",
				"type", "report", "spec_version", "2.1", "id",
				report_id, "created", "2024-01-01T00:00:00.000Z",
				"modified", "2024-01-01T00:00:00.000Z", "name",
				"alert", "published", "2024-01-01T00:00:00Z",
				"labels", "trilex-alert", "object_refs",
				json_object_get(ind, "id"));
	json_t *env = json_pack("{s:[o, o]}", "objects", ind, rep);
	char *body = json_dumps(env, JSON_COMPACT);

	json_decref(env);
	return body;
}

static int has_report(const struct node *n, void *id)
{
	char q[160];

	snprintf(q, sizeof(q), "match[id]=%s", (const char *)id);
	return count_objects(n, "inbox-JP", q) > 0;
}

/*
 * JP drains a backlog to UK; the first bulk batch is held at UK's gate
 * (its one ingest worker busy with it, the next batch queued behind it).
 * An alert posted on JP meanwhile is answered and stored by UK before
 * any of the bulk: UK's single HTTP thread is not the one checking the
 * batch. (Before: the batch was checked on the HTTP thread, and the
 * alert waited for it.) Then all of the backlog lands, once each.
 */
static void test_alert_while_big_post_held(void **state)
{
	char path[PATH_MAX + 32], nb[16];
	const char *rid = "report--00000000-0000-4000-9000-000000000001";
	json_t *objs = json_array(), *bundle;
	char *out = NULL, *err = NULL, *body;
	struct http_resp r;

	for (int i = 0; i < N_BULK; i++)
		json_array_append_new(objs, make_indicator(i, NULL));
	bundle = json_pack("{s:s, s:s, s:o}", "type", "bundle", "id",
			   "bundle--00000000-0000-4000-8000-000000000001",
			   "objects", objs);
	snprintf(path, sizeof(path), "%s/bulk.json", JP.dir);
	assert_int_equal(json_dump_file(bundle, path, JSON_COMPACT), 0);
	json_decref(bundle);
	snprintf(nb, sizeof(nb), "%d", N_BULK);
	const char *push[] = { "push", "--dir", JP.dir, "--collection", "main",
			       "--batch", nb, path, NULL };
	assert_int_equal(run_trilex(push, NULL, &out, &err), 0);
	free(out);
	free(err);
	assert_int_equal(node_start(&JP), 0);
	/* a bulk batch is held, unchecked, at UK */
	assert_true((gate_fd = gate_held(120000)) >= 0);
	assert_int_equal(count_objects(&UK, "inbox-JP", NULL), 0);
	body = alert_body(rid);
	assert_int_equal(http(&JP, "POST", "/api/collections/main/objects/", "token",
			      NULL, NULL, body, strlen(body), &r), 0);
	free(body);
	assert_int_equal(r.status, 202);
	http_free(&r);
	/* the alert lands while the batch is still held: nothing of the
	 * bulk is there, the gate is shut */
	assert_true(wait_ms(has_report, &UK, (void *)rid, 60000));
	assert_int_equal(count_objects(&UK, "inbox-JP", NULL), 2);
	gate_release();
	int all = N_BULK + 2;
	assert_true(wait_ms(count_is, &UK, &all, 300000));
	pause_ms(200); /* anything sent twice would show now */
	assert_int_equal(count_objects(&UK, "inbox-JP", NULL), N_BULK + 2);
	assert_int_equal(count_objects(&UK, "inbox-JP", "match[type]=report"), 1);
	assert_int_equal(node_stop(&JP), 0);
}

static json_t *signed_by(const struct node *n, json_t *obj)
{
	struct tx_config cfg;
	struct tx_error err = { 0 };
	tx_fed *fed = NULL;

	assert_int_equal(tx_config_load(n->dir, &cfg, &err), TX_OK);
	assert_int_equal(fed_open(n->dir, &cfg, &fed, &err), TX_OK);
	assert_int_equal(fed_sign(fed, obj, &err), TX_OK);
	fed_close(fed);
	return obj;
}

/* The number N of an id made by make_indicator, or -1. */
static long number_of(const char *id)
{
	const char *p = strrchr(id, '-');

	return strncmp(id, "indicator--00000000-0000-4000-8000-", 35) == 0 && p ?
		strtol(p + 1, NULL, 10) : -1;
}

/* Whether UK's manifest of inbox-JP, in its date_added order, holds the
 * indicators numbered first.. (those of kept, n of them) once each and in
 * the order of kept. */
static int stored_in_order(json_t *kept, long first, long last)
{
	char path[512], next[256] = "";
	size_t k = 0;
	int ok = 1, more = 1;

	while (more) {
		struct http_resp r;
		const json_t *e;
		size_t i;
		snprintf(path, sizeof(path), "/api/collections/inbox-JP/manifest/"
			 "?limit=1000&match[type]=indicator%s%s",
			 next[0] ? "&next=" : "", next);
		assert_int_equal(http(&UK, "GET", path, "token", NULL, NULL, NULL, 0,
				      &r), 0);
		assert_int_equal(r.status, 200);
		json_array_foreach(json_object_get(r.json, "objects"), i, e) {
			const char *id = json_string_value(json_object_get(e, "id"));
			long num = number_of(id);
			if (num < first || num > last)
				continue;
			if (k >= json_array_size(kept) ||
			    strcmp(id, json_string_value(json_object_get(
					    json_array_get(kept, k), "id"))) != 0)
				ok = 0;
			k++;
		}
		const char *nx = json_string_value(json_object_get(r.json, "next"));
		more = json_is_true(json_object_get(r.json, "more"));
		snprintf(next, sizeof(next), "%s", nx ? nx : "");
		http_free(&r);
	}
	return ok && k == json_array_size(kept);
}

/*
 * A big POST (through an ingest worker) with bad objects among good ones:
 * each refused with its reason at its index, the rest stored, in order.
 */
static void test_refusals_per_object(void **state)
{
	json_t *objs = json_array(), *kept = json_array();
	const int n = 400, unsigned_at = 7, altered_at = 250;

	assert_int_equal(count_objects(&UK, "inbox-JP", NULL), N_BULK + 2);
	for (int i = 0; i < n; i++) {
		json_t *o = make_indicator(100000 + i, NULL);
		if (i != unsigned_at)
			signed_by(&JP, o);
		if (i == altered_at)
			json_object_set_new(o, "pattern", json_string(
				"[ipv4-addr:value = '10.9.9.9']"));
		json_array_append_new(objs, o);
		if (i != unsigned_at && i != altered_at)
			json_array_append(kept, o);
	}
	json_t *env = json_pack("{s:o}", "objects", objs);
	char *body = json_dumps(env, JSON_COMPACT);
	struct http_resp r;
	assert_true(strlen(body) > 64 * 1024); /* an ingest worker's */
	assert_int_equal(http_cert(&UK, JP.dir, "POST",
				   "/api/collections/inbox-JP/objects/", body, &r), 0);
	free(body);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")),
			 n - 2);
	json_t *f = json_object_get(r.json, "failures");
	assert_int_equal(json_array_size(f), 2);
	const char *m0 = json_string_value(json_object_get(json_array_get(f, 0),
							   "message"));
	const char *m1 = json_string_value(json_object_get(json_array_get(f, 1),
							   "message"));
	assert_non_null(m0);
	assert_non_null(m1);
	assert_non_null(strstr(m0, "objects[7] "));
	assert_non_null(strstr(m0, "unsigned"));
	assert_non_null(strstr(m1, "objects[250] "));
	assert_non_null(strstr(m1, "altered"));
	http_free(&r);
	json_decref(env);
	assert_int_equal(count_objects(&UK, "inbox-JP", NULL), N_BULK + 2 + n - 2);
	assert_true(stored_in_order(kept, 100000, 100000 + n - 1));
	json_decref(kept);
}

/* A POST as partner JP (its certificate) to UK, on a thread of its own
 * (http_cert is not thread-safe). */
struct post {
	pthread_t t;
	char *body;
	long status;
	int transport_ok;
	char headers[4096];
};

static size_t drop(char *d, size_t s, size_t m, void *cls)
{
	return s * m;
}

static size_t keep_header(char *d, size_t s, size_t m, void *cls)
{
	char *h = cls;
	size_t have = strlen(h), n = s * m;

	if (have + n < 4095) {
		memcpy(h + have, d, n);
		h[have + n] = '\0';
	}
	return n;
}

static void *post_run(void *arg)
{
	struct post *p = arg;
	struct curl_slist *h = NULL;
	char url[128], cert[PATH_MAX + 32], key[PATH_MAX + 32];
	CURL *c = curl_easy_init();

	if (c == NULL)
		return NULL;
	snprintf(url, sizeof(url), "%s/api/collections/inbox-JP/objects/", UK.base);
	snprintf(cert, sizeof(cert), "%s/tls/cert.pem", JP.dir);
	snprintf(key, sizeof(key), "%s/tls/key.pem", JP.dir);
	h = curl_slist_append(h, "Accept: application/taxii+json;version=2.1");
	h = curl_slist_append(h, "Content-Type: application/taxii+json;version=2.1");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, UK.cacert);
	curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, p->body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, p->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 180L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	p->transport_ok = curl_easy_perform(c) == CURLE_OK;
	if (p->transport_ok)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

/* A big envelope (unsigned objects: refused, but checked by a worker). */
static char *big_body(int first)
{
	json_t *objs = json_array();

	for (int i = 0; i < 400; i++)
		json_array_append_new(objs, make_indicator(first + i, NULL));
	json_t *env = json_pack("{s:o}", "objects", objs);
	char *body = json_dumps(env, JSON_COMPACT);

	json_decref(env);
	return body;
}

static long long ingest_queued(void)
{
	struct http_resp r;
	long long v = -1;
	const char *p;

	if (http(&UK, "GET", "/metrics", "token", "", NULL, NULL, 0, &r) != 0)
		return -1;
	p = r.body ? strstr(r.body, "\ntrilex_ingest_queued ") : NULL;
	if (p != NULL)
		v = strtoll(p + strlen("\ntrilex_ingest_queued "), NULL, 10);
	http_free(&r);
	return v;
}

static int one_queued(const struct node *n, void *unused)
{
	return ingest_queued() == 1;
}

/* Wait at most ms for pid to end: its exit status, or -1 (killed). */
static int exit_within(pid_t pid, int ms)
{
	int64_t end = mono_ms() + ms;
	int status = 0;
	pid_t w;

	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && mono_ms() < end)
		pause_ms(20);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return w == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * One big POST held by UK's only worker, one waiting in its queue of
 * one: a third is refused at once with 503 and Retry-After. Then UK is
 * stopped with both suspended: the waiting one is answered 503 (send it
 * again), the running one finishes, and UK exits cleanly (no sanitizer
 * report, no hang).
 */
static void test_queue_full_and_stop(void **state)
{
	struct post a = { 0 }, b = { 0 };
	struct http_resp r;
	char buf[32];

	assert_int_equal(node_stop(&UK), 0);
	assert_int_equal(start_uk_gated(), 0);
	a.body = big_body(200000);
	b.body = big_body(300000);
	assert_int_equal(pthread_create(&a.t, NULL, post_run, &a), 0);
	assert_true((gate_fd = gate_held(120000)) >= 0);
	assert_int_equal(pthread_create(&b.t, NULL, post_run, &b), 0);
	assert_true(wait_ms(one_queued, &UK, NULL, 60000));
	char *c = big_body(400000);
	assert_int_equal(http_cert(&UK, JP.dir, "POST",
				   "/api/collections/inbox-JP/objects/", c, &r), 0);
	free(c);
	assert_int_equal(r.status, 503);
	assert_non_null(http_header(&r, "Retry-After", buf, sizeof(buf)));
	assert_non_null(strstr(r.body, "ingest_queue"));
	http_free(&r);
	/* stop with both suspended: the waiting one is told to come back */
	pid_t pid = UK.pid;
	UK.pid = 0;
	kill(pid, SIGTERM);
	pthread_join(b.t, NULL);
	assert_true(b.transport_ok);
	assert_int_equal(b.status, 503);
	assert_non_null(strstr(b.headers, "Retry-After"));
	gate_release();
	pthread_join(a.t, NULL); /* answered, or closed as UK stopped */
	assert_int_equal(exit_within(pid, 120000), 0);
	char log[PATH_MAX + 16];
	snprintf(log, sizeof(log), "%s/serve.log", UK.dir);
	char *text = slurp(log, NULL);
	assert_non_null(text);
	assert_null(strstr(text, "Sanitizer"));
	assert_null(strstr(text, "runtime error:"));
	free(text);
	free(a.body);
	free(b.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_while_big_post_held),
		cmocka_unit_test(test_refusals_per_object),
		cmocka_unit_test(test_queue_full_and_stop),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
