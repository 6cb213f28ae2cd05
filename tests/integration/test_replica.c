/*
 * Reads from a streaming replica (issue 20 item 3; run through
 * tests/pg/with-postgres as replica-pg, skipped without TRILEX_TEST_PG).
 *
 * The test makes a real replica of with-postgres's server: pg_basebackup
 * -R into TRILEX_TEST_PG_DIR/replica, a second postmaster on its own
 * socket folder (TRILEX_TEST_PG_DIR/rsock); with-postgres stops it and
 * removes both at the end, whatever happened here. No timed assertions:
 * replay is paused with pg_wal_replay_pause() to make the replica lag on
 * purpose, and every wait polls a condition with a bound.
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
#include <libpq-fe.h>
#include <unistd.h>

#include "console_client.h"
#include "harness.h"

#define OBJECTS "/api/collections/main/objects/"

static int skip_without_pg(void)
{
	if (getenv("TRILEX_TEST_PG") == NULL || getenv("TRILEX_TEST_PG_DIR") == NULL) {
		printf("skip: TRILEX_TEST_PG is not set (run through tests/pg/with-postgres:"
		       " meson test replica-pg)\n");
		return 1;
	}
	return 0;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Run a shell command with PostgreSQL's binaries (BIN), the server folder
 * (D) and RUN (runuser to postgres when root) set; 0 on success. */
static int pg_sh(const char *fmt, ...)
{
	char cmd[2048], body[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V"
		 " | tail -1); D='%s'; RUN=; [ \"$(id -u)\" = 0 ] && RUN='runuser"
		 " -u postgres --'; %s >>\"$D/replica-test.log\" 2>&1",
		 getenv("TRILEX_TEST_PG_DIR"), body);
	return system(cmd) == 0 ? 0 : -1;
}

static int replica_start(void)
{
	return pg_sh("$RUN $BIN/pg_ctl -D $D/replica -l $D/replica.log -w -t 60 -o"
		     " \"-k $D/rsock -c listen_addresses= -c fsync=off"
		     " -c max_connections=200\" start");
}

static int replica_stop(void)
{
	return pg_sh("$RUN $BIN/pg_ctl -D $D/replica -w -t 60 -m fast stop");
}

/* Replay resumed, as a test that failed while it was paused left it. */
static void replica_resume(void)
{
	char ci[PATH_MAX + 64];
	PGconn *c;

	snprintf(ci, sizeof(ci), "host=%s/rsock user=postgres dbname=postgres",
		 getenv("TRILEX_TEST_PG_DIR"));
	if ((c = PQconnectdb(ci)) != NULL && PQstatus(c) == CONNECTION_OK)
		PQclear(PQexec(c, "SELECT pg_wal_replay_resume()"));
	PQfinish(c);
}

/* The replica of with-postgres's server, made once for the whole run
 * (each test finds it replaying). */
static int replica_make(void)
{
	static int made;

	if (made) {
		replica_resume();
		return 0;
	}
	if (pg_sh("mkdir -p $D/rsock && { [ -z \"$RUN\" ] || chown postgres $D/rsock; }"
		  " && $RUN $BIN/pg_basebackup -D $D/replica -R -h $D -U postgres"
		  " -X stream -c fast --no-sync") != 0 || replica_start() != 0)
		return -1;
	made = 1;
	return 0;
}

/* The node's database (from its node.json conninfo) on the replica. */
static void replica_conninfo(const struct node *n, char *out, size_t len)
{
	char path[PATH_MAX + 16];
	json_t *cfg;
	const char *c, *db;

	snprintf(path, sizeof(path), "%s/node.json", n->dir);
	cfg = json_load_file(path, 0, NULL);
	assert_non_null(cfg);
	c = json_string_value(json_object_get(json_object_get(cfg, "store"),
					      "conninfo"));
	assert_non_null(c);
	assert_non_null(db = strstr(c, "dbname="));
	snprintf(out, len, "host=%s/rsock user=postgres %s",
		 getenv("TRILEX_TEST_PG_DIR"), db);
	json_decref(cfg);
}

/* A node started with its reads pointed at the replica (made when
 * missing), with that lag bound. */
static void node_on_replica(struct node *n, long long max_lag_ms)
{
	char path[PATH_MAX + 16], ci[1024];
	json_t *cfg, *store;

	assert_int_equal(replica_make(), 0);
	assert_int_equal(node_create(n, NULL), 0);
	replica_conninfo(n, ci, sizeof(ci));
	snprintf(path, sizeof(path), "%s/node.json", n->dir);
	assert_non_null(cfg = json_load_file(path, 0, NULL));
	store = json_object_get(cfg, "store");
	json_object_set_new(store, "read_conninfo", json_string(ci));
	json_object_set_new(store, "read_max_lag_ms", json_integer(max_lag_ms));
	assert_int_equal(json_dump_file(cfg, path, JSON_INDENT(2)), 0);
	json_decref(cfg);
	assert_int_equal(node_start(n), 0);
}

/* The first value of sql on the replica's copy of n's database, as a
 * number (-1: no answer, e.g. the database is not replayed yet). */
static long long replica_value(const struct node *n, const char *sql)
{
	char ci[1024];
	PGconn *c;
	PGresult *res;
	long long v = -1;

	replica_conninfo(n, ci, sizeof(ci));
	c = PQconnectdb(ci);
	if (c != NULL && PQstatus(c) == CONNECTION_OK) {
		res = PQexec(c, sql);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		    !PQgetisnull(res, 0, 0))
			v = strcmp(PQgetvalue(res, 0, 0), "paused") == 0 ? 1 :
			    strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	PQfinish(c);
	return v;
}

/* Wait (at most 60 s) until sql on the replica gives want. */
static int replica_wait(const struct node *n, const char *sql, long long want)
{
	for (int i = 0; i < 600; i++) {
		if (replica_value(n, sql) == want)
			return 1;
		nap_ms(100);
	}
	return 0;
}

static void post(const struct node *n, int first, int count)
{
	json_t *objs = json_array(), *env;
	struct http_resp r;
	char *body;

	for (int i = first; i < first + count; i++)
		json_array_append_new(objs, make_indicator(i, NULL));
	env = json_pack("{s:o}", "objects", objs);
	body = json_dumps(env, JSON_COMPACT);
	assert_int_equal(http(n, "POST", OBJECTS, "token", NULL, NULL, body,
			      strlen(body), &r), 0);
	assert_int_equal(r.status, 202);
	http_free(&r);
	free(body);
	json_decref(env);
}

/* Objects of collection main that a GET as auth sees (one page). */
static int seen(const struct node *n, const char *auth)
{
	struct http_resp r;
	int count;

	assert_int_equal(http(n, "GET", OBJECTS "?limit=1000", auth, NULL, NULL,
			      NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	count = (int)json_array_size(json_object_get(r.json, "objects"));
	http_free(&r);
	return count;
}

/* trilex_replica_reads_total{served="what"} of n's /metrics. */
static long long served(const struct node *n, const char *what)
{
	struct http_resp r;
	char key[96];
	const char *p;
	long long v = -1;

	assert_int_equal(http(n, "GET", "/metrics", "admin", "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	snprintf(key, sizeof(key), "trilex_replica_reads_total{served=\"%s\"} ", what);
	if (r.body != NULL && (p = strstr(r.body, key)) != NULL)
		v = strtoll(p + strlen(key), NULL, 10);
	http_free(&r);
	return v;
}

/* What a search for the address of indicator 6 finds: /trilex/v1/search
 * as auth (the JSON API), or the console's search page with a session. */
#define SEARCH_Q "10.0.0.6"
#define ID_6 "indicator--00000000-0000-4000-8000-000000000006"
static int search_hits(const struct node *n, const char *auth)
{
	struct http_resp r;
	int hits;

	assert_int_equal(http(n, "GET", "/trilex/v1/search?q=" SEARCH_Q, auth, "",
			      NULL, NULL, 0, &r), 0);
	if (r.status != 200)
		printf("search: %ld %s\n", r.status, r.body ? r.body : "");
	assert_int_equal(r.status, 200);
	hits = (int)json_array_size(json_object_get(r.json, "results"));
	http_free(&r);
	return hits;
}

static int console_hits(const struct node *n, const char *cookie)
{
	static struct resp r;

	req(n, "GET", "/console/search?q=" SEARCH_Q, cookie, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	return strstr(r.body, ID_6) != NULL;
}

/* The console page path as cookie's user: its status; *has: the page
 * names object id (NULL: not asked). */
static long console_page(const struct node *n, const char *path,
			 const char *cookie, const char *id, int *has)
{
	static struct resp r;

	req(n, "GET", path, cookie, NULL, NULL, &r);
	if (has != NULL)
		*has = strstr(r.body, id) != NULL;
	return r.status;
}

#define ID_7 "indicator--00000000-0000-4000-8000-000000000007"
#define ID_3 "indicator--00000000-0000-4000-8000-000000000003"

/*
 * The console's read pages with replay paused (objects 5-7 on the
 * primary only): the writer (admin) sees them, the reader is served the
 * replica's copy (home's newest objects, the object page, its graph);
 * every page sent to the replica answers there (no write on a standby).
 */
static void console_pages_paused(const struct node *n, const char *admin,
				 const char *reader)
{
	static const char *const pages[] = { "/console/", "/console/alerts",
		"/console/incidents", "/console/watch", "/console/supply",
		"/console/object/" ID_3, "/console/graph/" ID_3,
		"/console/neighbours/" ID_3 "?dir=out&rel=indicates" };
	long long before = served(n, "replica");
	int has = -1;

	assert_int_equal(console_page(n, "/console/", admin, ID_7, &has), 200);
	assert_true(has);
	assert_int_equal(console_page(n, "/console/", reader, ID_7, &has), 200);
	assert_false(has);
	assert_int_equal(console_page(n, "/console/object/" ID_6, admin, ID_6, &has),
			 200);
	assert_true(has);
	assert_int_equal(console_page(n, "/console/object/" ID_6, reader, ID_6, NULL),
			 404);
	assert_int_equal(console_page(n, "/console/graph/" ID_6, admin, ID_6, NULL),
			 200);
	assert_int_equal(console_page(n, "/console/graph/" ID_6, reader, ID_6, NULL),
			 404);
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		long st = console_page(n, pages[i], reader, ID_3, NULL);
		print_message("reader %s: %ld\n", pages[i], st);
		assert_true(st == 200 || st == 403);
	}
	/* each of the reader's pages (4 above, the list) came from the replica */
	assert_true(served(n, "replica") >= before + 3 +
		    (long long)(sizeof(pages) / sizeof(pages[0])));
}

static int reader_sees(const struct node *n, void *want)
{
	return seen(n, "reader") == *(int *)want;
}

#define COUNT_OBJECTS "SELECT count(*) FROM objects"
#define PAUSED "SELECT pg_get_wal_replay_pause_state()"

/*
 * A GET served by the replica, and read-your-writes: with replay paused,
 * the writer (admin's token) reads its own new objects, from the
 * primary; the reader, who wrote nothing, gets the replica's older page
 * (which proves the replica served it); after resume the reader catches up.
 */
static void test_replica_reads(void **state)
{
	static struct resp cr;
	struct node n;
	char admin_cookie[160], reader_cookie[160];
	int want = 8;

	(void)state;
	if (skip_without_pg())
		skip();
	node_on_replica(&n, 600000);
	sign_in(&n, "admin", ADMIN_PASSWORD, admin_cookie, &cr);
	sign_in(&n, "reader", READER_PASSWORD, reader_cookie, &cr);
	assert_true(admin_cookie[0] != '\0' && reader_cookie[0] != '\0');
	post(&n, 0, 5);
	assert_int_equal(seen(&n, "token"), 5);   /* its own write, at once */
	assert_true(replica_wait(&n, COUNT_OBJECTS, 5));
	assert_int_equal(seen(&n, "reader"), 5);
	assert_true(served(&n, "replica") >= 1);

	assert_int_equal(replica_value(&n, "SELECT 1 FROM pg_wal_replay_pause()"), 1);
	assert_true(replica_wait(&n, PAUSED, 1));
	post(&n, 5, 3);
	assert_int_equal(seen(&n, "token"), 8);   /* the writer: from the primary */
	assert_int_equal(seen(&n, "reader"), 5);  /* the others: the replica, behind */
	assert_true(served(&n, "own_writes") >= 1);
	/* search, by the API and the console's page: the same (admin's
	 * session is the same writer as its token) */
	assert_int_equal(search_hits(&n, "token"), 1);
	assert_int_equal(search_hits(&n, "reader"), 0);
	assert_int_equal(console_hits(&n, admin_cookie), 1);
	assert_int_equal(console_hits(&n, reader_cookie), 0);
	console_pages_paused(&n, admin_cookie, reader_cookie);

	assert_int_equal(replica_value(&n, "SELECT 1 FROM pg_wal_replay_resume()"), 1);
	assert_true(wait_for(reader_sees, &n, &want, 60000));
	assert_int_equal(seen(&n, "token"), 8);
	assert_int_equal(search_hits(&n, "reader"), 1);
	assert_int_equal(console_hits(&n, reader_cookie), 1);
	assert_int_equal(node_stop(&n), 0);
	node_destroy(&n);
}

/*
 * A replica further behind than read_max_lag_ms (0 here: only a replica
 * level with the primary) is not used: with replay paused, the reader
 * gets the new objects from the primary, and /metrics says why.
 */
static void test_replica_lagging(void **state)
{
	struct node n;
	int want = 3;

	(void)state;
	if (skip_without_pg())
		skip();
	node_on_replica(&n, 0);
	assert_true(replica_wait(&n, "SELECT count(*) FROM write_marks", 0));
	assert_int_equal(replica_value(&n, "SELECT 1 FROM pg_wal_replay_pause()"), 1);
	assert_true(replica_wait(&n, PAUSED, 1));
	post(&n, 0, 3);
	assert_true(wait_for(reader_sees, &n, &want, 60000));
	assert_true(served(&n, "lagging") >= 1);
	assert_int_equal(replica_value(&n, COUNT_OBJECTS), 0); /* still paused */
	assert_int_equal(replica_value(&n, "SELECT 1 FROM pg_wal_replay_resume()"), 1);
	assert_int_equal(node_stop(&n), 0);
	node_destroy(&n);
}

/* The first value of sql on n's primary database, as a number (-1: none). */
static long long primary_value(const struct node *n, const char *sql)
{
	char path[PATH_MAX + 16];
	json_t *cfg;
	PGconn *c;
	PGresult *res;
	long long v = -1;

	snprintf(path, sizeof(path), "%s/node.json", n->dir);
	assert_non_null(cfg = json_load_file(path, 0, NULL));
	c = PQconnectdb(json_string_value(json_object_get(json_object_get(cfg,
						"store"), "conninfo")));
	json_decref(cfg);
	res = PQexec(c, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !PQgetisnull(res, 0, 0))
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(c);
	return v;
}

#define IDLE_LAG_MS 15000
#define LSN_NOW "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"
#define REPLAYED "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint"

/*
 * A replica just back from an idle spell is not lagging: its last
 * replayed commit is older than read_max_lag_ms, but a check moments ago
 * found it level with the primary, so it lacks at most what was written
 * since. Replay paused after that check, one object written: the reader
 * is still served by the replica (the age of the last commit alone sent
 * it to the primary, which has the new object).
 */
static void test_replica_idle(void **state)
{
	struct node n;
	char sql[160];
	long long lsn = -1;
	int level = 0;

	(void)state;
	if (skip_without_pg())
		skip();
	node_on_replica(&n, IDLE_LAG_MS);
	post(&n, 0, 5);
	assert_true(replica_wait(&n, COUNT_OBJECTS, 5));
	assert_int_equal(seen(&n, "reader"), 5); /* its password checked once */
	/* the idle spell: no commit replayed for longer than the bound */
	snprintf(sql, sizeof(sql), "SELECT (extract(epoch FROM clock_timestamp() -"
		 " pg_last_xact_replay_timestamp()) * 1000 > %d)::int", IDLE_LAG_MS);
	for (int i = 0; i < 600 && replica_value(&n, sql) != 1; i++)
		nap_ms(100);
	assert_int_equal(replica_value(&n, sql), 1);
	/* a read while the replica is level (no WAL written around it) */
	for (int i = 0; i < 100 && !level; i++) {
		lsn = primary_value(&n, LSN_NOW);
		for (int j = 0; j < 600 && replica_value(&n, REPLAYED) < lsn; j++)
			nap_ms(100);
		assert_int_equal(seen(&n, "reader"), 5);
		level = primary_value(&n, LSN_NOW) == lsn;
	}
	assert_true(level);
	assert_int_equal(replica_value(&n, "SELECT 1 FROM pg_wal_replay_pause()"), 1);
	assert_true(replica_wait(&n, PAUSED, 1));
	post(&n, 5, 1);
	assert_int_equal(seen(&n, "token"), 6);
	assert_int_equal(seen(&n, "reader"), 5); /* the replica's, not lagging */
	assert_int_equal(replica_value(&n, "SELECT 1 FROM pg_wal_replay_resume()"), 1);
	assert_int_equal(node_stop(&n), 0);
	node_destroy(&n);
}

/* The replica stopped: reads fall back to the primary (200, every
 * object), counted as "down"; started again, it serves again. */
static void test_replica_down(void **state)
{
	struct node n;
	int want = 4;
	long long before;

	(void)state;
	if (skip_without_pg())
		skip();
	node_on_replica(&n, 600000);
	post(&n, 0, 2);
	assert_true(replica_wait(&n, COUNT_OBJECTS, 2));
	assert_int_equal(seen(&n, "reader"), 2);
	assert_int_equal(replica_stop(), 0);
	post(&n, 2, 2);
	assert_int_equal(seen(&n, "reader"), 4);
	assert_int_equal(seen(&n, "token"), 4);
	assert_true(served(&n, "down") >= 1);
	assert_int_equal(replica_start(), 0);
	/* back (after the one-second pause between tries): served again */
	before = served(&n, "replica");
	for (int i = 0; i < 600 && served(&n, "replica") == before; i++) {
		assert_true(wait_for(reader_sees, &n, &want, 1000));
		nap_ms(100);
	}
	assert_true(served(&n, "replica") > before);
	assert_int_equal(node_stop(&n), 0);
	node_destroy(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replica_reads),
		cmocka_unit_test(test_replica_lagging),
		cmocka_unit_test(test_replica_down),
		cmocka_unit_test(test_replica_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
