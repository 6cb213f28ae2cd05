/*
 * Outside TAXII feeds (`trilex feed`): polled from another trilex node (a
 * plain TAXII server to the feed: Basic and Bearer), from a small TAXII
 * server of the test's own (tests/integration/feed_server.py, TLS on
 * 127.0.0.1) that answers "more" without "next", and one that gives many
 * objects the same date_added; the client never sends added_after and
 * next together, sends each kind of credential, and keeps its counters;
 * a feed's objects keep their origin and stay out of the outbox; serve
 * polls a feed on its schedule; a client that pages as taxii2-client does
 * reads a collection with Basic auth. Loopback only, bounded counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "store/store.h"

#define REMOTE_COLL "91a7b528-80eb-42ed-a74d-c6fbd5a26116"

/* Post indicators [first, first + n) to collection main of nd. */
static void post_indicators(const struct node *nd, int first, int n)
{
	for (int done = 0; done < n;) {
		int batch = n - done < 500 ? n - done : 500;
		json_t *objs = json_array();
		for (int i = 0; i < batch; i++)
			json_array_append_new(objs, make_indicator(first + done + i, NULL));
		json_t *env = json_pack("{s:o}", "objects", objs);
		char *body = json_dumps(env, JSON_COMPACT);
		struct http_resp r;
		assert_int_equal(http(nd, "POST", "/api/collections/main/objects/",
				      "token", NULL, NULL, body, strlen(body), &r), 0);
		assert_int_equal(r.status, 202);
		assert_int_equal(json_integer_value(json_object_get(r.json,
							"success_count")), batch);
		http_free(&r);
		free(body);
		json_decref(env);
		done += batch;
	}
}

/* `trilex feed list --json` of nd: the feed named name (owned), or NULL. */
static json_t *feed_state(const struct node *nd, const char *name)
{
	const char *args[] = { "feed", "list", "--dir", nd->dir, "--json", NULL };
	char *out = NULL;
	json_t *all, *f, *found = NULL;
	size_t i;

	assert_int_equal(run_trilex(args, NULL, &out, NULL), 0);
	all = json_loads(out, 0, NULL);
	assert_non_null(all);
	json_array_foreach(all, i, f)
		if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
			found = json_incref(f);
	json_decref(all);
	free(out);
	return found;
}

static long long feed_int(const json_t *f, const char *key)
{
	return (long long)json_integer_value(json_object_get(f, key));
}

/* `trilex feed run NAME`: its exit status; out gets its stdout. */
static int feed_run(const struct node *nd, const char *name, char **out,
		    char **err)
{
	const char *args[] = { "feed", "run", "--dir", nd->dir, name, NULL };

	return run_trilex(args, NULL, out, err);
}

/* The folder of this test's scripts (tests/integration). */
static void script_dir(char *dir, size_t n)
{
	const char *data = getenv("TRILEX_TESTDATA");

	assert_non_null(data);
	snprintf(dir, n, "%s/../integration", data);
}

/* Start feed_server.py with the certificate of node cert_of; its pid.
 * extra: more arguments (NULL-terminated). */
static pid_t feed_server(const struct node *cert_of, int port, const char *log,
			 const char *const *extra)
{
	char dir[PATH_MAX], script[PATH_MAX + 32], cert[PATH_MAX + 16];
	char key[PATH_MAX + 16], ready[PATH_MAX + 16], portbuf[16];
	const char *argv[40];
	int k = 0;
	pid_t pid;

	script_dir(dir, sizeof(dir));
	snprintf(script, sizeof(script), "%s/feed_server.py", dir);
	snprintf(cert, sizeof(cert), "%s/tls/cert.pem", cert_of->dir);
	snprintf(key, sizeof(key), "%s/tls/key.pem", cert_of->dir);
	snprintf(ready, sizeof(ready), "%s.ready", log);
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	unlink(ready);
	argv[k++] = "python3";
	argv[k++] = script;
	argv[k++] = "--port";
	argv[k++] = portbuf;
	argv[k++] = "--cert";
	argv[k++] = cert;
	argv[k++] = "--key";
	argv[k++] = key;
	argv[k++] = "--log";
	argv[k++] = log;
	argv[k++] = "--ready";
	argv[k++] = ready;
	for (; extra && *extra && k < 38; extra++)
		argv[k++] = *extra;
	argv[k] = NULL;
	if ((pid = fork()) == 0) {
		char errlog[PATH_MAX + 16];
		snprintf(errlog, sizeof(errlog), "%s.err", log);
		int fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		/* not the test's stdout (meson waits for it to close), and
		 * gone with the test whatever becomes of it */
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	/* bounded: 15 s for python to start listening */
	for (int i = 0; i < 750 && access(ready, F_OK) != 0; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			fail_msg("feed_server.py exited before listening");
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	assert_int_equal(access(ready, F_OK), 0);
	return pid;
}

static void server_stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

/* The requests feed_server.py logged (a JSON array, owned). */
static json_t *server_log(const char *log)
{
	FILE *f = fopen(log, "r");
	char line[16384];
	json_t *all = json_array();

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		json_array_append_new(all, json_loads(line, 0, NULL));
	fclose(f);
	return all;
}

/* No logged request has both added_after and next. */
static void never_both(const json_t *log)
{
	const json_t *e;
	size_t i;

	json_array_foreach(log, i, e) {
		const json_t *q = json_object_get(e, "query");
		assert_false(json_object_get(q, "added_after") != NULL &&
			     json_object_get(q, "next") != NULL);
	}
}

/* Add feed name to nd from a feed_server on port; more: its options. */
static void add_pyfeed(const struct node *nd, const char *name, int port,
		       const char *const *more)
{
	char url[64];
	const char *args[40] = { "feed", "add", "--dir", nd->dir, "--name", name,
				 "--url", url, "--collection", REMOTE_COLL,
				 "--cacert", NULL, "--into", "main" };
	char cacert[PATH_MAX + 16], *err = NULL;
	int k = 14;

	snprintf(url, sizeof(url), "https://127.0.0.1:%d/api/", port);
	snprintf(cacert, sizeof(cacert), "%s/tls/cert.pem", nd->dir);
	args[11] = cacert;
	for (; more && *more && k < 38; more++)
		args[k++] = *more;
	args[k] = NULL;
	if (run_trilex(args, NULL, NULL, &err) != 0)
		fail_msg("feed add: %s", err);
	free(err);
}

/* Rows whose origin and via are "feed:jp". */
static int count_row(void *ctx, const struct store_row *row)
{
	if (row->origin && row->via && strcmp(row->origin, "feed:jp") == 0 &&
	    strcmp(row->via, "feed:jp") == 0)
		(*(int *)ctx)++;
	return STORE_ROW_NEXT;
}

static void test_feed_from_trilex(void **state)
{
	struct node a, b;
	char url[128], *out = NULL, *err = NULL;

	assert_int_equal(node_create(&a, NULL), 0);
	assert_int_equal(node_create_as(&b, "UK", NULL), 0);
	assert_int_equal(node_start(&a), 0);
	post_indicators(&a, 0, 2500);
	snprintf(url, sizeof(url), "%s/api/", a.base);

	/* Basic, with the password from TRILEX_PASSWORD */
	setenv("TRILEX_PASSWORD", ADMIN_PASSWORD, 1);
	const char *add[] = { "feed", "add", "--dir", b.dir, "--name", "jp",
			      "--url", url, "--collection", a.coll, "--user", "admin",
			      "--cacert", a.cacert, "--limit", "1000", "--into",
			      "main", NULL };
	assert_int_equal(run_trilex(add, NULL, NULL, NULL), 0);
	unsetenv("TRILEX_PASSWORD");
	assert_int_equal(feed_run(&b, "jp", &out, &err), 0);
	assert_non_null(strstr(out, "3 pages, 2500 received, 2500 added"));
	free(out);
	free(err);
	json_t *f = feed_state(&b, "jp");
	assert_int_equal(feed_int(f, "pages"), 3);
	assert_int_equal(feed_int(f, "received"), 2500);
	assert_int_equal(feed_int(f, "added"), 2500);
	assert_int_equal(feed_int(f, "already_present"), 0);
	assert_true(feed_int(f, "last_ok") > 0);
	assert_string_equal(json_string_value(json_object_get(f, "auth")), "basic");
	/* the secret is never shown */
	char *shown = json_dumps(f, 0);
	assert_null(strstr(shown, ADMIN_PASSWORD));
	free(shown);
	char pos[64];
	snprintf(pos, sizeof(pos), "%s",
		 json_string_value(json_object_get(f, "added_after")));
	assert_true(strlen(pos) > 20);
	json_decref(f);

	/* the next run asks from there: only what is new */
	post_indicators(&a, 5000, 300);
	assert_int_equal(feed_run(&b, "jp", &out, NULL), 0);
	assert_non_null(strstr(out, "1 pages, 300 received, 300 added, 0 already"
				    " present"));
	free(out);
	f = feed_state(&b, "jp");
	assert_int_equal(feed_int(f, "received"), 2800);
	assert_int_equal(feed_int(f, "added"), 2800);
	assert_string_not_equal(json_string_value(json_object_get(f,
				"added_after")), pos);
	json_decref(f);

	/* Bearer */
	const char *add2[] = { "feed", "add", "--dir", b.dir, "--name", "jp-token",
			       "--url", url, "--collection", a.coll, "--token",
			       a.token, "--cacert", a.cacert, "--into", "main",
			       NULL };
	assert_int_equal(run_trilex(add2, NULL, NULL, NULL), 0);
	assert_int_equal(feed_run(&b, "jp-token", &out, NULL), 0);
	assert_non_null(strstr(out, "2800 received, 0 added, 2800 already"
				    " present"));
	free(out);

	/* a wrong password: the error is the feed's last error */
	setenv("TRILEX_PASSWORD", "not the password", 1);
	const char *add3[] = { "feed", "add", "--dir", b.dir, "--name", "jp-bad",
			       "--url", url, "--collection", a.coll, "--user",
			       "admin", "--cacert", a.cacert, "--into", "main", NULL };
	assert_int_equal(run_trilex(add3, NULL, NULL, NULL), 0);
	unsetenv("TRILEX_PASSWORD");
	assert_int_not_equal(feed_run(&b, "jp-bad", NULL, &err), 0);
	assert_non_null(strstr(err, "HTTP 401"));
	free(err);
	f = feed_state(&b, "jp-bad");
	assert_non_null(strstr(json_string_value(json_object_get(f, "last_error")),
			       "HTTP 401"));
	assert_int_equal(feed_int(f, "last_ok"), 0);
	assert_true(feed_int(f, "last_error_at") > 0);
	json_decref(f);

	/* the feed's objects keep their origin and are not in the outbox */
	char db[PATH_MAX + 16];
	snprintf(db, sizeof(db), "%s/trilex.db", b.dir);
	tx_store *st = NULL;
	struct tx_error e = { 0 };
	assert_int_equal(store_open(db, 0, &st, &e), TX_OK);
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	assert_int_equal(store_collection_get(st, &admin, "main", &c), TX_OK);
	struct store_query q = { .collection_pk = c.pk, .limit = 5000 };
	struct store_page pg;
	int from_feed = 0, other = 0;
	assert_int_equal(store_query_objects(st, &q, count_row, &from_feed, &pg,
					     &e), TX_OK);
	other = (int)pg.n - from_feed;
	assert_int_equal(from_feed, 2800);
	assert_int_equal(other, 0);
	struct store_cursor zero = { 0 };
	assert_int_equal(store_query_outgoing(st, &zero, 10, NULL, NULL, &pg, &e),
			 TX_OK);
	assert_int_equal(pg.n, 0);
	store_close(st);

	/* remove: the feed goes (and its copy of the CA), what it brought stays */
	char ca[PATH_MAX + 32];
	snprintf(ca, sizeof(ca), "%s/tls/feed-jp.pem", b.dir);
	assert_int_equal(access(ca, F_OK), 0);
	const char *rm[] = { "feed", "remove", "--dir", b.dir, "jp", NULL };
	assert_int_equal(run_trilex(rm, NULL, NULL, NULL), 0);
	assert_int_not_equal(access(ca, F_OK), 0);
	assert_null(feed_state(&b, "jp"));
	assert_int_not_equal(run_trilex(rm, NULL, NULL, NULL), 0);
	assert_int_equal(node_versions(b.dir), 2800);
	node_stop(&a);
	node_destroy(&a);
	node_destroy(&b);
}

static void test_feed_more_without_next(void **state)
{
	struct node b;
	char log[PATH_MAX + 16], *out = NULL, *err = NULL;
	int port = harness_port();

	assert_int_equal(node_create_as(&b, "UK", NULL), 0);
	snprintf(log, sizeof(log), "%s/server.log", b.dir);
	const char *extra[] = { "--mode", "no-next", "--objects", "250", "--cap",
				"40", "--bad", "3", "--require", "X-API-Key: k-123",
				NULL };
	pid_t srv = feed_server(&b, port, log, extra);
	const char *more[] = { "--api-key", "k-123", "--limit", "100", NULL };
	add_pyfeed(&b, "nonext", port, more);
	int rc = feed_run(&b, "nonext", &out, &err);
	if (rc != 0)
		fail_msg("feed run: %s", err);
	/* 250 objects in pages of at most 40, each page after the first
	 * asking from one microsecond before the last one's date_added */
	assert_non_null(strstr(out, "247 added"));
	assert_non_null(strstr(out, "3 rejected"));
	free(out);
	free(err);
	json_t *f = feed_state(&b, "nonext");
	assert_int_equal(feed_int(f, "added"), 247);
	assert_int_equal(feed_int(f, "rejected"), 3);
	assert_int_equal(feed_int(f, "received") - feed_int(f, "already_present") -
			 feed_int(f, "rejected"), 247);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f,
				"rejected_by_reason"), "pattern")), 3);
	assert_string_equal(json_string_value(json_object_get(f, "added_after")),
			    "2025-03-01T00:00:01.249000Z");
	json_decref(f);
	json_t *l = server_log(log);
	never_both(l);
	/* every request carried the key; none had next (the server gave none) */
	const json_t *e;
	size_t i;
	json_array_foreach(l, i, e) {
		assert_string_equal(json_string_value(json_object_get(json_object_get(e,
					"headers"), "x-api-key")), "k-123");
		assert_null(json_object_get(json_object_get(e, "query"), "next"));
	}
	assert_true(json_array_size(l) >= 7 && json_array_size(l) <= 9);
	json_decref(l);

	/* again: from the last page's date, nothing new (an empty "{}") */
	assert_int_equal(feed_run(&b, "nonext", &out, NULL), 0);
	assert_non_null(strstr(out, "0 received"));
	free(out);

	/* an answer longer than --max-page-bytes: refused, said, nothing kept
	 * of it, the node's count unchanged */
	const char *small[] = { "--api-key", "k-123", "--max-page-bytes", "4096",
				NULL };
	add_pyfeed(&b, "small", port, small);
	assert_int_not_equal(feed_run(&b, "small", NULL, &err), 0);
	assert_non_null(strstr(err, "longer than 4096 bytes"));
	free(err);
	f = feed_state(&b, "small");
	assert_int_equal(feed_int(f, "received"), 0);
	assert_non_null(strstr(json_string_value(json_object_get(f, "last_error")),
			       "max_page_bytes"));
	json_decref(f);

	/* a wrong key: 401, recorded */
	const char *bad[] = { "--api-key", "wrong", NULL };
	add_pyfeed(&b, "badkey", port, bad);
	assert_int_not_equal(feed_run(&b, "badkey", NULL, &err), 0);
	assert_non_null(strstr(err, "HTTP 401"));
	free(err);
	server_stop(srv);

	/* an HTML page where an envelope should be: an error, no crash */
	port = harness_port();
	unlink(log);
	const char *garbage[] = { "--mode", "garbage", NULL };
	srv = feed_server(&b, port, log, garbage);
	add_pyfeed(&b, "garbage", port, NULL);
	assert_int_not_equal(feed_run(&b, "garbage", NULL, &err), 0);
	assert_non_null(strstr(err, "not JSON"));
	free(err);
	server_stop(srv);
	node_destroy(&b);
}

static void test_feed_one_date_added(void **state)
{
	struct node b;
	char log[PATH_MAX + 16], *out = NULL, *err = NULL;
	int port = harness_port();

	assert_int_equal(node_create_as(&b, "UK", NULL), 0);
	snprintf(log, sizeof(log), "%s/server.log", b.dir);
	const char *extra[] = { "--mode", "same-date", "--objects", "300", "--cap",
				"1000", "--require", "Authorization: Bearer tok-1",
				NULL };
	pid_t srv = feed_server(&b, port, log, extra);
	const char *more[] = { "--token", "tok-1", "--limit", "100", NULL };
	add_pyfeed(&b, "samedate", port, more);
	if (feed_run(&b, "samedate", &out, &err) != 0)
		fail_msg("feed run: %s", err);
	/* no stall and nothing lost: the page grows until it holds them */
	assert_non_null(strstr(out, "300 added"));
	free(out);
	free(err);
	json_t *l = server_log(log);
	never_both(l);
	const char *limits[] = { "100", "100", "200", "400" };
	assert_int_equal(json_array_size(l), 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(json_string_value(json_object_get(json_object_get(
			json_array_get(l, i), "query"), "limit")), limits[i]);
	json_decref(l);
	server_stop(srv);

	/* with next tokens: followed, added_after never beside them */
	unlink(log);
	port = harness_port();
	const char *extra2[] = { "--mode", "next", "--objects", "120", "--cap", "50",
				 NULL };
	srv = feed_server(&b, port, log, extra2);
	add_pyfeed(&b, "withnext", port, NULL);
	assert_int_equal(feed_run(&b, "withnext", &out, NULL), 0);
	/* (the same ids as the server before: already present) */
	assert_non_null(strstr(out, "3 pages, 120 received, 0 added, 120 already"
				    " present"));
	free(out);
	l = server_log(log);
	never_both(l);
	assert_int_equal(json_array_size(l), 3);
	assert_null(json_object_get(json_object_get(json_array_get(l, 0), "query"),
				    "next"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_array_get(l, 2), "query"), "next")), "100");
	json_decref(l);
	server_stop(srv);
	node_destroy(&b);
}

static int has_objects(const struct node *n, void *arg)
{
	return count_objects(n, "main", NULL) >= *(int *)arg;
}

static void test_feed_serve_schedule(void **state)
{
	struct node b;
	char log[PATH_MAX + 16];
	int port = harness_port(), want = 120;

	assert_int_equal(node_create_as(&b, "UK", NULL), 0);
	snprintf(log, sizeof(log), "%s/server.log", b.dir);
	const char *extra[] = { "--mode", "next", "--objects", "120", "--cap", "50",
				NULL };
	pid_t srv = feed_server(&b, port, log, extra);
	const char *more[] = { "--every", "1s", NULL };
	add_pyfeed(&b, "scheduled", port, more);
	assert_int_equal(node_start(&b), 0);
	/* serve polls it without anyone running `feed run` */
	assert_true(wait_for(has_objects, &b, &want, 20000));
	json_t *f = feed_state(&b, "scheduled");
	assert_int_equal(feed_int(f, "added"), 120);
	json_decref(f);
	/* and again on its schedule: the second run's empty page */
	json_t *l;
	for (int i = 0; i < 150; i++) {
		l = server_log(log);
		size_t n = json_array_size(l);
		json_decref(l);
		if (n >= 4)
			break;
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
	l = server_log(log);
	assert_true(json_array_size(l) >= 4);
	json_decref(l);
	assert_int_equal(node_stop(&b), 0);
	server_stop(srv);
	node_destroy(&b);
}

/* `trilex get --url --added-after` pages with next: added_after only on
 * the first request (a server may refuse both, as feed_server.py does);
 * --api-key is sent as X-API-Key. */
static void test_get_never_both(void **state)
{
	struct node b;
	char log[PATH_MAX + 16], url[64], cacert[PATH_MAX + 16];
	char *out = NULL, *err = NULL;
	int port = harness_port();

	assert_int_equal(node_create_as(&b, "UK", NULL), 0);
	snprintf(log, sizeof(log), "%s/server.log", b.dir);
	const char *extra[] = { "--mode", "next", "--objects", "120", "--cap", "50",
				"--require", "X-API-Key: g-1", NULL };
	pid_t srv = feed_server(&b, port, log, extra);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/api/", port);
	snprintf(cacert, sizeof(cacert), "%s/tls/cert.pem", b.dir);
	const char *get[] = { "get", "--url", url, "--api-key", "g-1", "--cacert",
			      cacert, "--collection", REMOTE_COLL, "--added-after",
			      "2025-03-01T00:00:00Z", NULL };
	int rc = run_trilex(get, NULL, &out, &err);
	json_t *l = server_log(log);
	never_both(l);
	assert_int_equal(json_array_size(l), 3);
	json_decref(l);
	if (rc != 0)
		fail_msg("get: %s", err);
	json_t *bundle = json_loads(out, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(bundle, "objects")), 120);
	json_decref(bundle);
	free(out);
	free(err);
	server_stop(srv);
	node_destroy(&b);
}

/* A client that pages as taxii2-client's as_pages does (discovery, API
 * root, collection, then objects with limit and next), with Basic auth. */
static void test_taxii2_client_paging(void **state)
{
	struct node a;
	char dir[PATH_MAX], cmd[4 * PATH_MAX], line[256] = "";

	assert_int_equal(node_create(&a, NULL), 0);
	assert_int_equal(node_start(&a), 0);
	post_indicators(&a, 0, 1234);
	script_dir(dir, sizeof(dir));
	setenv("TAXII_PASSWORD", READER_PASSWORD, 1);
	snprintf(cmd, sizeof(cmd), "python3 '%s/taxii2_paging.py' --url '%s/taxii2/'"
		 " --cacert '%s' --user reader --collection main --per-request 100",
		 dir, a.base, a.cacert);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	/* every object once: 1234 distinct ids in 13 pages */
	assert_string_equal(line, "objects 1234 distinct 1234 pages 13\n");
	node_stop(&a);
	node_destroy(&a);
}

/* The ids of the objects node from (a pinned partner of nd) pulls from
 * nd's outbox, as JSON text (caller frees). */
static char *pulled_from(const struct node *nd, const struct node *as)
{
	struct http_resp r;
	char *text;

	assert_int_equal(http_cert(nd, as->dir, "GET", "/trilex/v1/sync?limit=1000",
				   NULL, &r), 0);
	assert_int_equal(r.status, 200);
	text = json_dumps(json_object_get(r.json, "objects"), JSON_COMPACT);
	http_free(&r);
	assert_non_null(text);
	return text;
}

static int has_indicator(const char *text, int i)
{
	char id[64];

	snprintf(id, sizeof(id), "indicator--00000000-0000-4000-8000-%012d", i);
	return strstr(text, id) != NULL;
}

/*
 * A feed into a shared collection: without --reshare (the default) none
 * of its objects leaves the node; with --reshare they enter the outbox
 * (a partner pulls them), TLP still applies (a RED one does not leave),
 * and the feed's name stays their origin in `feed list`.
 */
static void test_feed_reshare(void **state)
{
	struct node a, b, uk;
	struct http_resp r;
	char url[128], *pulled, *out = NULL;

	assert_int_equal(node_create(&a, NULL), 0);
	assert_int_equal(node_create_as(&b, "FR", NULL), 0);
	assert_int_equal(node_create_as(&uk, "UK", NULL), 0);
	assert_int_equal(node_pair(&b, &uk), 0);
	assert_int_equal(node_start(&a), 0);
	post_indicators(&a, 0, 5);
	snprintf(url, sizeof(url), "%s/api/", a.base);
	const char *add[] = { "feed", "add", "--dir", b.dir, "--name", "plain",
			      "--url", url, "--collection", a.coll, "--token", a.token,
			      "--cacert", a.cacert, "--into", "main", NULL };
	assert_int_equal(run_trilex(add, NULL, NULL, NULL), 0);
	assert_int_equal(feed_run(&b, "plain", &out, NULL), 0);
	free(out);
	/* then new ones, one of them RED, through a feed with --reshare */
	post_indicators(&a, 100, 5);
	json_t *red = make_indicator(200, NULL);
	json_object_set_new(red, "object_marking_refs", json_pack("[s]",
		"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"));
	json_t *env = json_pack("{s:[o]}", "objects", red);
	char *body = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	assert_int_equal(http(&a, "POST", "/api/collections/main/objects/", "token",
			      NULL, NULL, body, strlen(body), &r), 0);
	assert_int_equal(r.status, 202);
	http_free(&r);
	free(body);
	const char *add2[] = { "feed", "add", "--dir", b.dir, "--name", "re",
			       "--url", url, "--collection", a.coll, "--token", a.token,
			       "--cacert", a.cacert, "--into", "main", "--reshare", NULL };
	assert_int_equal(run_trilex(add2, NULL, NULL, NULL), 0);
	out = NULL;
	assert_int_equal(feed_run(&b, "re", &out, NULL), 0);
	assert_non_null(strstr(out, "11 received, 6 added, 5 already present"));
	free(out);
	json_t *f = feed_state(&b, "re");
	assert_true(json_is_true(json_object_get(f, "reshare")));
	json_decref(f);
	f = feed_state(&b, "plain");
	assert_true(json_is_false(json_object_get(f, "reshare")));
	json_decref(f);
	assert_int_equal(node_stop(&a), 0);

	assert_int_equal(node_start(&b), 0);
	pulled = pulled_from(&b, &uk);
	printf("# UK pulled from FR: %s\n", pulled);
	for (int i = 0; i < 5; i++) {
		assert_false(has_indicator(pulled, i));      /* feed "plain" */
		assert_true(has_indicator(pulled, 100 + i)); /* feed "re" */
	}
	assert_false(has_indicator(pulled, 200));            /* RED */
	free(pulled);
	assert_int_equal(node_stop(&b), 0);
	node_destroy(&a);
	node_destroy(&b);
	node_destroy(&uk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_from_trilex),
		cmocka_unit_test(test_feed_more_without_next),
		cmocka_unit_test(test_feed_one_date_added),
		cmocka_unit_test(test_feed_serve_schedule),
		cmocka_unit_test(test_taxii2_client_paging),
		cmocka_unit_test(test_get_never_both),
		cmocka_unit_test(test_feed_reshare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
