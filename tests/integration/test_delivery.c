/*
 * Delivery lanes and wake-ups (issue 14 items 4 and 6, and item 5's
 * `peer update`): alerts overtake a bulk backlog on their own lane, with
 * nothing lost, duplicated or reordered in either lane; an idle node does
 * not wake up; a CLI process's alert wakes a serving node; a partner's new
 * address is used at once, not after the old one's backoff.
 *
 * Bounds here are generous wall-clock limits on waiting, never on
 * latency: what is asserted is the order in which things landed, read
 * from the receiver's own date_added afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#include "harness.h"

#define N_BULK 100000
#define N_ALERTS 100
#define ALERT_BASE 5000000     /* numbers of the alerts' indicators */

static struct node JP, UK;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait_for with a bound in wall-clock time (wait_for counts its polls,
 * which take long under load). */
static int wait_ms(int (*fn)(const struct node *, void *), const struct node *n,
		   void *arg, int ms)
{
	int64_t end = mono_ms() + ms;
	int r;

	while ((r = fn(n, arg)) == 0 && mono_ms() < end) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return r;
}

static int setup(void **state)
{
	if (node_create_as(&JP, "JP", NULL) || node_create_as(&UK, "UK", NULL) ||
	    node_pair(&JP, &UK) || node_start(&UK))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	int rc = (JP.pid > 0 ? node_stop(&JP) : 0) | node_stop(&UK);

	node_destroy(&JP);
	node_destroy(&UK);
	return rc == 0 ? 0 : -1;
}

static int has_object(const struct node *n, void *id)
{
	char q[160];

	snprintf(q, sizeof(q), "match[id]=%s", (const char *)id);
	return count_objects(n, "inbox-JP", q) > 0;
}

/* Every manifest record of collection coll on n: id -> date_added (us),
 * in *ids / *added (n_out of them). */
static void manifest(const struct node *n, const char *coll, char ***ids,
		     int64_t **added, size_t *n_out)
{
	char path[512], next[256] = "";
	size_t cap = 0;

	*ids = NULL;
	*added = NULL;
	*n_out = 0;
	for (;;) {
		struct http_resp r;
		const json_t *e;
		size_t i;
		snprintf(path, sizeof(path), "/api/collections/%s/manifest/?limit=1000"
			 "&match[version]=all%s%s", coll, next[0] ? "&next=" : "", next);
		assert_int_equal(http(n, "GET", path, "token", NULL, NULL, NULL, 0,
				      &r), 0);
		assert_int_equal(r.status, 200);
		json_array_foreach(json_object_get(r.json, "objects"), i, e) {
			if (*n_out == cap) {
				cap = cap ? cap * 2 : 1024;
				*ids = realloc(*ids, cap * sizeof(**ids));
				*added = realloc(*added, cap * sizeof(**added));
				assert_non_null(*ids);
				assert_non_null(*added);
			}
			(*ids)[*n_out] = strdup(json_string_value(json_object_get(e, "id")));
			assert_int_equal(tx_time_parse(json_string_value(
				json_object_get(e, "date_added")), &(*added)[*n_out],
				NULL), TX_OK);
			(*n_out)++;
		}
		const char *nx = json_string_value(json_object_get(r.json, "next"));
		int more = json_is_true(json_object_get(r.json, "more"));
		if (more)
			snprintf(next, sizeof(next), "%s", nx ? nx : "");
		http_free(&r);
		if (!more)
			return;
	}
}

/* The number N in an id made by make_indicator, or -1. */
static long number_of(const char *id)
{
	const char *p = strrchr(id, '-');

	return strncmp(id, "indicator--00000000-0000-4000-8000-", 35) == 0 && p ?
		strtol(p + 1, NULL, 10) : -1;
}

/* The report of alert i: an alert (label trilex-alert) grouping indicator
 * ALERT_BASE + i, posted with it. */
static char *alert_body(int i, char report_id[80])
{
	json_t *ind = make_indicator(ALERT_BASE + i, NULL);
	char ref[80];

	snprintf(ref, 80, "%s", json_string_value(json_object_get(ind, "id")));
	snprintf(report_id, 80, "report--00000000-0000-4000-9000-%012d", i);
	json_t *rep = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s]}",
				"type", "report", "spec_version", "2.1", "id",
				report_id, "created", "2024-01-01T00:00:00.000Z",
				"modified", "2024-01-01T00:00:00.000Z", "name",
				"alert", "published", "2024-01-01T00:00:00Z",
				"labels", "trilex-alert", "object_refs", ref);
	json_t *env = json_pack("{s:[o, o]}", "objects", ind, rep);
	char *body = json_dumps(env, JSON_COMPACT);

	json_decref(env);
	return body;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* How many of the sorted times t (n) are before v. */
static size_t before(const int64_t *t, size_t n, int64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * 100,000 objects queued for UK (pushed while JP was down); JP starts and
 * drains them; 100 alerts posted during the drain each land on UK at
 * most a few bulk batches after the moment it was posted, never behind
 * the backlog (the first while most of it is still to come). Afterwards, from
 * UK's own manifest: every object once, each lane in JP's order.
 */
static void test_alerts_first(void **state)
{
	char path[PATH_MAX + 32], nb[16], rid[N_ALERTS][80];
	json_t *objs = json_array(), *bundle;
	char *out = NULL, *err = NULL;
	char last_bulk[80];

	for (int i = 0; i < N_BULK; i++)
		json_array_append_new(objs, make_indicator(i, NULL));
	bundle = json_pack("{s:s, s:s, s:o}", "type", "bundle", "id",
			   "bundle--00000000-0000-4000-8000-000000000001",
			   "objects", objs);
	snprintf(path, sizeof(path), "%s/bulk.json", JP.dir);
	assert_int_equal(json_dump_file(bundle, path, JSON_COMPACT), 0);
	json_decref(bundle);
	snprintf(nb, sizeof(nb), "%d", 5000);
	const char *push[] = { "push", "--dir", JP.dir, "--collection", "main",
			       "--batch", nb, path, NULL };
	assert_int_equal(run_trilex(push, NULL, &out, &err), 0);
	free(out);
	free(err);
	assert_int_equal(node_start(&JP), 0);
	/* the drain has begun: the alerts, one after the other */
	for (int i = 0; i < N_ALERTS; i++) {
		char *body = alert_body(i, rid[i]);
		struct http_resp r;
		assert_int_equal(http(&JP, "POST", "/api/collections/main/objects/",
				      "token", NULL, NULL, body, strlen(body), &r), 0);
		assert_int_equal(r.status, 202);
		assert_int_equal(json_integer_value(json_object_get(r.json,
						    "success_count")), 2);
		http_free(&r);
		free(body);
	}
	snprintf(last_bulk, sizeof(last_bulk),
		 "indicator--00000000-0000-4000-8000-%012d", N_BULK - 1);
	assert_true(wait_ms(has_object, &UK, rid[N_ALERTS - 1], 300000));
	assert_true(wait_ms(has_object, &UK, last_bulk, 300000));

	/* what landed when, by UK's date_added; when posted, by JP's */
	char **uk_ids, **jp_ids;
	int64_t *uk_t, *jp_t;
	size_t n_uk, n_jp;
	manifest(&UK, "inbox-JP", &uk_ids, &uk_t, &n_uk);
	manifest(&JP, "main", &jp_ids, &jp_t, &n_jp);
	/* every object exactly once */
	assert_int_equal(n_uk, N_BULK + 2 * N_ALERTS);
	int64_t *bulk = calloc(N_BULK, sizeof(*bulk));
	int64_t alert_uk[N_ALERTS], alert_ind_uk[N_ALERTS], alert_jp[N_ALERTS];
	assert_non_null(bulk);
	for (int i = 0; i < N_ALERTS; i++)
		alert_uk[i] = alert_ind_uk[i] = alert_jp[i] = -1;
	for (size_t k = 0; k < n_uk; k++) {
		long num = number_of(uk_ids[k]);
		if (num >= 0 && num < N_BULK) {
			assert_int_equal(bulk[num], 0); /* once */
			bulk[num] = uk_t[k];
		} else if (num >= ALERT_BASE && num < ALERT_BASE + N_ALERTS) {
			assert_int_equal(alert_ind_uk[num - ALERT_BASE], -1);
			alert_ind_uk[num - ALERT_BASE] = uk_t[k];
		} else {
			int i = atoi(strrchr(uk_ids[k], '-') + 1);
			assert_true(strncmp(uk_ids[k], "report--", 8) == 0 && i >= 0 &&
				    i < N_ALERTS);
			assert_int_equal(alert_uk[i], -1);
			alert_uk[i] = uk_t[k];
		}
	}
	for (size_t k = 0; k < n_jp; k++)
		if (strncmp(jp_ids[k], "report--", 8) == 0)
			alert_jp[atoi(strrchr(jp_ids[k], '-') + 1)] = jp_t[k];
	/* Order kept within each lane. The bulk lane has two batches (500)
	 * in flight on two connections, which UK may commit in either order:
	 * an object is stored after every one two batches before it, and out
	 * of order with the one just before it at most once a batch. The
	 * priority lane has one in flight: its order is UK's. */
	size_t inversions = 0;
	for (int i = 1; i < N_BULK; i++) {
		inversions += bulk[i] < bulk[i - 1];
		if (i >= 1000)
			assert_true(bulk[i] > bulk[i - 1000]);
	}
	print_message("bulk: %zu batches landed before the one before them\n",
		      inversions);
	assert_true(inversions <= N_BULK / 500);
	for (int i = 0; i < N_ALERTS; i++) {
		assert_true(alert_uk[i] > 0 && alert_jp[i] > 0);
		assert_true(alert_ind_uk[i] < alert_uk[i]);
		if (i > 0)
			assert_true(alert_uk[i] > alert_uk[i - 1]);
	}
	/* each alert overtook the backlog: UK's received count when it landed
	 * is what it had when the alert was posted plus a few batches, and
	 * far short of the whole backlog */
	int64_t lat[N_ALERTS];
	size_t worst_overtaken = 0, worst_count = 0;
	for (int i = 0; i < N_ALERTS; i++) {
		size_t at_land = before(bulk, N_BULK, alert_uk[i]);
		size_t at_post = before(bulk, N_BULK, alert_jp[i]);
		if (at_land - at_post > worst_overtaken)
			worst_overtaken = at_land - at_post;
		if (at_land > worst_count)
			worst_count = at_land;
		lat[i] = alert_uk[i] - alert_jp[i];
	}
	qsort(lat, N_ALERTS, sizeof(*lat), cmp_i64);
	print_message("alerts: UK held at most %zu of the %d bulk objects when"
		      " one landed; at most %zu landed between an alert's post and"
		      " its arrival; latency p50 %.1f ms, p99 %.1f ms\n",
		      worst_count, N_BULK, worst_overtaken, lat[N_ALERTS / 2] / 1e3,
		      lat[N_ALERTS * 99 / 100] / 1e3);
	assert_true(worst_overtaken <= 5000);       /* ten bulk batches */
	/* the first was posted while most of the backlog was unsent (how
	 * far the drain got by the last depends on how fast the machine
	 * takes POSTs, not on delivery) */
	assert_true(before(bulk, N_BULK, alert_jp[0]) < N_BULK / 2);
	for (size_t k = 0; k < n_uk; k++)
		free(uk_ids[k]);
	for (size_t k = 0; k < n_jp; k++)
		free(jp_ids[k]);
	free(uk_ids);
	free(jp_ids);
	free(uk_t);
	free(jp_t);
	free(bulk);
}

/* JP's trilex_delivery_wakeups_total, from /metrics. */
static long long wakeups(void)
{
	struct http_resp r;
	long long v = -1;
	const char *p;

	assert_int_equal(http(&JP, "GET", "/metrics", "token", "", NULL, NULL, 0,
			      &r), 0);
	assert_int_equal(r.status, 200);
	p = r.body ? strstr(r.body, "\ntrilex_delivery_wakeups_total ") : NULL;
	assert_non_null(p);
	v = strtoll(p + strlen("\ntrilex_delivery_wakeups_total "), NULL, 10);
	http_free(&r);
	return v;
}

static int reports_on_uk(const struct node *n, void *want)
{
	return count_objects(n, "inbox-JP", "match[type]=report") >= *(int *)want;
}

/*
 * Idle, JP's delivery does not wake up (it polled every 2 ms before: some
 * 1,500 times in 3 s); a `trilex alert` in another process wakes it and
 * reaches UK.
 */
static void test_idle_and_cli_alert(void **state)
{
	struct timespec settle = { 2, 0 }, idle = { 3, 0 };
	char *out = NULL, *err = NULL;
	long long w0, w1;
	int want;

	nanosleep(&settle, NULL);
	w0 = wakeups();
	nanosleep(&idle, NULL);
	w1 = wakeups();
	print_message("idle: %lld delivery wake-ups in 3 s\n", w1 - w0);
	/* the /metrics request itself (its token's use is a commit) may
	 * wake the threads once or twice */
	assert_true(w1 - w0 <= 10);

	want = count_objects(&UK, "inbox-JP", "match[type]=report") + 1;
	const char *alert[] = { "alert", "--dir", JP.dir, "--title",
				"from another process", "--tlp", "green", NULL };
	assert_int_equal(run_trilex(alert, NULL, &out, &err), 0);
	free(out);
	free(err);
	/* far within the next pull (5 minutes): it was woken */
	assert_true(wait_ms(reports_on_uk, &UK, &want, 60000));
	nanosleep(&settle, NULL);
	w0 = wakeups();
	nanosleep(&idle, NULL);
	w1 = wakeups();
	assert_true(w1 - w0 <= 10);
}

/* n's `peer status --json` entry for party (a reference), or NULL. */
static json_t *peer_entry(const struct node *n, const char *party)
{
	const char *args[] = { "peer", "status", "--dir", n->dir, "--json", NULL };
	char *out = NULL, *err = NULL;
	json_t *all, *e, *found = NULL;
	size_t i;

	if (run_trilex(args, NULL, &out, &err) == 0 &&
	    (all = json_loads(out, 0, NULL)) != NULL) {
		json_array_foreach(all, i, e)
			if (strcmp(json_string_value(json_object_get(e, "party")),
				   party) == 0)
				found = json_incref(e);
		json_decref(all);
	}
	free(out);
	free(err);
	return found;
}

static int error_current(const struct node *n, void *party)
{
	json_t *e = peer_entry(n, party);
	int on = e && json_string_value(json_object_get(e, "last_error"))[0] != '\0';

	json_decref(e);
	return on;
}

/* n's log says a push to DE failed and waits out a backoff. */
static int push_failed(const struct node *n, void *unused)
{
	char path[PATH_MAX + 16], *log;
	int yes;

	snprintf(path, sizeof(path), "%s/serve.log", n->dir);
	log = slurp(path, NULL);
	yes = log && strstr(log, "delivery to DE failed (retry in 60000 ms)");
	free(log);
	return yes;
}

static void post_indicator(const struct node *n, int i)
{
	json_t *env = json_pack("{s:[o]}", "objects", make_indicator(i, NULL));
	char *body = json_dumps(env, JSON_COMPACT);
	struct http_resp r;

	assert_int_equal(http(n, "POST", "/api/collections/main/objects/", "token",
			      NULL, NULL, body, strlen(body), &r), 0);
	assert_int_equal(r.status, 202);
	http_free(&r);
	free(body);
	json_decref(env);
}

/*
 * peer update takes effect at once: a partner whose old address is dead
 * with a long backoff (a minute after one failure) gets what waits as
 * soon as its new address is set, not when the backoff ends.
 */
static void test_peer_update_at_once(void **state)
{
	struct node A, B;
	char url[256];
	char *out = NULL, *err = NULL;

	assert_int_equal(node_create_as(&A, "FR", "\"delivery_backoff_max_ms\": 600000, \"delivery_backoff_min_ms\":"
					" 60000"), 0);
	assert_int_equal(node_create_as(&B, "DE", NULL), 0);
	assert_int_equal(node_pair(&A, &B), 0);
	assert_int_equal(node_start(&A), 0);
	assert_int_equal(node_start(&B), 0);
	snprintf(url, sizeof(url), "%s/api/", B.base);
	const char *away[] = { "peer", "update", "--dir", A.dir, "DE", "--url",
			       "https://127.0.0.1:1/api/", NULL };
	assert_int_equal(run_trilex(away, NULL, &out, &err), 0);
	free(out);
	free(err);
	post_indicator(&A, 1);
	/* one failed push: the next try is a minute away */
	if (!wait_ms(push_failed, &A, NULL, 60000)) {
		char path[PATH_MAX + 16], *log;
		snprintf(path, sizeof(path), "%s/serve.log", A.dir);
		log = slurp(path, NULL);
		print_message("%s\n", log ? log : "(no log)");
		free(log);
		fail();
	}
	assert_true(error_current(&A, "DE"));
	const char *back[] = { "peer", "update", "--dir", A.dir, "DE", "--url",
			       url, NULL };
	int64_t t0 = mono_ms();
	assert_int_equal(run_trilex(back, NULL, &out, &err), 0);
	free(out);
	free(err);
	int ok = 0;
	while (!ok && mono_ms() - t0 < 30000) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		ok = count_objects(&B, "inbox-FR", "match[id]=indicator--00000000"
				   "-0000-4000-8000-000000000001") > 0;
		if (!ok)
			nanosleep(&ts, NULL);
	}
	print_message("peer update: arrived %s %lld ms after the new address\n",
		      ok ? "" : "not", (long long)(mono_ms() - t0));
	assert_true(ok); /* well before the minute's backoff ends */
	assert_false(error_current(&A, "DE"));
	assert_int_equal(node_stop(&A), 0);
	assert_int_equal(node_stop(&B), 0);
	node_destroy(&A);
	node_destroy(&B);
}

/*
 * A failed delivery is tried again when its backoff ends, by the timer
 * alone: here nothing else happens on the sender (the partner comes back
 * without contacting it: its own address for the sender is dead).
 */
static void test_retry_after_backoff(void **state)
{
	struct node A, B;
	char *out = NULL, *err = NULL;

	assert_int_equal(node_create_as(&A, "IT", "\"delivery_backoff_min_ms\":"
					" 2000, \"delivery_backoff_max_ms\": 2000"), 0);
	assert_int_equal(node_create_as(&B, "ES", NULL), 0);
	assert_int_equal(node_pair(&A, &B), 0);
	const char *deaf[] = { "peer", "update", "--dir", B.dir, "IT", "--url",
			       "https://127.0.0.1:1/api/", NULL };
	assert_int_equal(run_trilex(deaf, NULL, &out, &err), 0);
	free(out);
	free(err);
	assert_int_equal(node_start(&A), 0);
	post_indicator(&A, 7);
	/* B is down: the push fails and waits 2 s */
	char path[PATH_MAX + 16], *log = NULL;
	snprintf(path, sizeof(path), "%s/serve.log", A.dir);
	int64_t t0 = mono_ms();
	while (mono_ms() - t0 < 60000 &&
	       ((log = slurp(path, NULL)) == NULL ||
		strstr(log, "delivery to ES failed") == NULL)) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		free(log);
		log = NULL;
		nanosleep(&ts, NULL);
	}
	assert_non_null(log);
	free(log);
	assert_int_equal(node_start(&B), 0);
	int ok = 0;
	t0 = mono_ms();
	while (!ok && mono_ms() - t0 < 30000) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		ok = count_objects(&B, "inbox-IT", "match[id]=indicator--00000000"
				   "-0000-4000-8000-000000000007") > 0;
		if (!ok)
			nanosleep(&ts, NULL);
	}
	print_message("retry: arrived %s %lld ms after the partner was back\n",
		      ok ? "" : "not", (long long)(mono_ms() - t0));
	assert_true(ok);
	assert_int_equal(node_stop(&A), 0);
	assert_int_equal(node_stop(&B), 0);
	node_destroy(&A);
	node_destroy(&B);
}

static int has_at_least(const struct node *n, void *want)
{
	return count_objects(n, "inbox-NL", NULL) >= *(int *)want;
}

#define ROUNDS 6
#define PER_ROUND 400

/*
 * Objects written by another process while delivery is busy all leave,
 * with no later write to wake the worker again: each round ends with the
 * writer's last commit, and the partner must have everything long before
 * the next pull (5 minutes). Two lost wake-ups failed here: a bulk window
 * whose "no more" was learned before the newest rows were stored, and a
 * kick taken by the wait for a batch that had already landed.
 */
static void test_last_write_leaves(void **state)
{
	struct node A, B;
	int want = 0;

	assert_int_equal(node_create_as(&A, "NL", NULL), 0);
	assert_int_equal(node_create_as(&B, "DK", NULL), 0);
	assert_int_equal(node_pair(&A, &B), 0);
	assert_int_equal(node_start(&B), 0);
	assert_int_equal(node_start(&A), 0);
	for (int round = 0; round < ROUNDS; round++) {
		int status = -1;
		pid_t pid = push_started(&A, 700000 + round * PER_ROUND, PER_ROUND,
					 20, node_versions(A.dir));
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		want += PER_ROUND;
		int ok = wait_ms(has_at_least, &B, &want, 60000);
		print_message("round %d: %d of %d at the partner\n", round,
			      count_objects(&B, "inbox-NL", NULL), want);
		assert_true(ok);
	}
	assert_int_equal(node_stop(&A), 0);
	assert_int_equal(node_stop(&B), 0);
	node_destroy(&A);
	node_destroy(&B);
}

/* n's counters for party (peer status --json): received new, duplicates,
 * and the outbox left for it; 0 when peer status failed. */
static int partner_counts(const struct node *n, const char *party,
			  long long c[3])
{
	json_t *e = peer_entry(n, party);

	if (e == NULL)
		return 0;
	c[0] = json_integer_value(json_object_get(e, "received"));
	c[1] = json_integer_value(json_object_get(e, "duplicates"));
	c[2] = json_integer_value(json_object_get(e, "outbox"));
	json_decref(e);
	return 1;
}

static int has_at_least_se(const struct node *n, void *want)
{
	return count_objects(n, "inbox-SE", NULL) >= *(int *)want;
}

static int outbox_empty(const struct node *n, void *party)
{
	long long c[3];

	return partner_counts(n, party, c) && c[2] == 0;
}

static int log_says(const struct node *n, void *what)
{
	char path[PATH_MAX + 16], *log;
	int yes;

	snprintf(path, sizeof(path), "%s/serve.log", n->dir);
	log = slurp(path, NULL);
	yes = log && strstr(log, what);
	free(log);
	return yes;
}

#define N_OUTAGE 4000

/*
 * After an outage the backlog is received once: the partner that comes
 * back pulls it (its start-up pull) while the sender's worker, woken by
 * that pull, would push the same objects; before, the receiver checked
 * and stored every one of them twice (4,000 duplicates for 4,000). Now
 * the bulk push holds off while the partner pulls, and what still comes
 * twice (the last page: the pull's last page is acknowledged only by the
 * next pull) is recognised. Nothing is lost, and the push then resumes
 * (the sender's outbox for the partner empties).
 */
static void test_backlog_once(void **state)
{
	struct node A, B;
	long long c[3] = { 0, 0, 0 };
	int want = N_OUTAGE, status = -1;

	assert_int_equal(node_create_as(&A, "SE", "\"delivery_backoff_min_ms\":"
					" 60000, \"delivery_backoff_max_ms\": 600000"), 0);
	assert_int_equal(node_create_as(&B, "FI", NULL), 0);
	assert_int_equal(node_pair(&A, &B), 0);
	assert_int_equal(node_start(&A), 0);
	pid_t pid = push_started(&A, 800000, N_OUTAGE, 500, node_versions(A.dir));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* FI is down: SE's push fails and waits a minute */
	assert_true(wait_ms(log_says, &A, "delivery to FI failed", 60000));
	assert_int_equal(node_start(&B), 0);
	assert_true(wait_ms(has_at_least_se, &B, &want, 300000));
	assert_true(wait_ms(outbox_empty, &A, "FI", 120000));
	assert_true(partner_counts(&B, "SE", c));
	print_message("backlog of %d after an outage: received %lld new, %lld"
		      " duplicates\n", N_OUTAGE, c[0], c[1]);
	assert_int_equal(c[0], N_OUTAGE);
	assert_true(c[1] < N_OUTAGE / 2);
	assert_int_equal(count_objects(&B, "inbox-SE", NULL), N_OUTAGE);
	assert_int_equal(node_stop(&A), 0);
	assert_int_equal(node_stop(&B), 0);
	node_destroy(&A);
	node_destroy(&B);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alerts_first),
		cmocka_unit_test(test_idle_and_cli_alert),
		cmocka_unit_test(test_peer_update_at_once),
		cmocka_unit_test(test_retry_after_backoff),
		cmocka_unit_test(test_last_write_leaves),
		cmocka_unit_test(test_backlog_once),
	};
	const char *only = getenv("TEST_ONLY");  /* one test, by name */

	for (size_t i = 0; only != NULL && i < sizeof(tests) / sizeof(*tests); i++)
		if (strcmp(tests[i].name, only) == 0)
			return _cmocka_run_group_tests("delivery", &tests[i], 1,
						       setup, teardown);
	return cmocka_run_group_tests(tests, setup, teardown);
}
