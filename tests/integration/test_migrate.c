/*
 * `trilex migrate` (issue 20 item 4), run by tests/pg/with-postgres as
 * migrate-pg (skipped, saying so, without TRILEX_TEST_PG): a SQLite node
 * with objects in several collections and versions, accounts, the ICS
 * bundle (when ../shared has it) and a partner whose cursor moved is
 * copied into PostgreSQL, served from there (the same pages and `next`
 * tokens, new writes), copied back into SQLite and served again; and a
 * copy killed with SIGKILL in the middle goes on when run again, to a
 * verified copy without a row twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <libpq-fe.h>
#include <unistd.h>

#include "harness.h"

static char pg_base[1024];

/* An empty database of the test server; its conninfo into out. */
static int new_database(const char *name, char *out, size_t n)
{
	char sql[128];
	PGconn *c = PQconnectdb(pg_base);
	PGresult *res;
	int ok;

	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	res = PQexec(c, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	PQfinish(c);
	snprintf(out, n, "%s dbname=%s", pg_base, name);
	return ok ? 0 : -1;
}

/* The one number sql answers in database conninfo, or -1. */
static long long pg_number(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *res = PQexec(c, sql);
	long long v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(c);
	return v;
}

/* Nodes made here are on SQLite (the harness would put them on the test
 * server while TRILEX_TEST_PG is set). */
static int sqlite_node(struct node *n, const char *party)
{
	int rc;

	unsetenv("TRILEX_TEST_PG");
	rc = node_create_as(n, party, NULL);
	setenv("TRILEX_TEST_PG", pg_base, 1);
	return rc;
}

static int skip_without_pg(void)
{
	const char *b = getenv("TRILEX_TEST_PG");

	if (b == NULL || *b == '\0') {
		printf("skip: TRILEX_TEST_PG is not set (run through tests/pg/with-postgres:"
		       " meson test migrate-pg)\n");
		return 1;
	}
	snprintf(pg_base, sizeof(pg_base), "%s", b);
	return 0;
}

static void post(struct node *n, const char *coll, json_t *env)
{
	char path[128], *body = json_dumps(env, JSON_COMPACT);
	struct http_resp r;

	snprintf(path, sizeof(path), "/api/collections/%s/objects/", coll);
	assert_int_equal(http(n, "POST", path, "token", NULL, NULL, body,
			      strlen(body), &r), 0);
	assert_int_equal(r.status, 202);
	http_free(&r);
	free(body);
	json_decref(env);
}

/* Every page of a collection (limit 7, by `next`), as text: each page's
 * date-added headers, then each object's id and modified. */
static char *pages(struct node *n, const char *coll)
{
	struct tx_buf out;
	char q[512], next[256] = "", first[64], last[64];
	struct http_resp r;
	json_t *o;
	size_t i;

	tx_buf_init(&out, 0);
	for (int guard = 0; guard < 10000; guard++) {
		snprintf(q, sizeof(q), "/api/collections/%s/objects/?limit=7%s%s", coll,
			 next[0] ? "&next=" : "", next);
		assert_int_equal(http(n, "GET", q, "reader", NULL, NULL, NULL, 0, &r), 0);
		assert_int_equal(r.status, 200);
		tx_buf_printf(&out, "page %s %s\n",
			      http_header(&r, "X-TAXII-Date-Added-First", first,
					  sizeof(first)) ? first : "-",
			      http_header(&r, "X-TAXII-Date-Added-Last", last,
					  sizeof(last)) ? last : "-");
		json_array_foreach(json_object_get(r.json, "objects"), i, o)
			tx_buf_printf(&out, "%s %s\n",
				      json_string_value(json_object_get(o, "id")),
				      json_string_value(json_object_get(o, "modified")));
		const char *nx = json_string_value(json_object_get(r.json, "next"));
		int more = json_is_true(json_object_get(r.json, "more"));
		snprintf(next, sizeof(next), "%s", nx ? nx : "");
		http_free(&r);
		if (!more)
			break;
		assert_true(next[0] != '\0');
	}
	return tx_buf_take(&out);
}

static int migrate(struct node *n, const char *to, const char *conninfo,
		   int check, char **out)
{
	const char *args[10] = { "migrate", "--dir", n->dir, "--to", to };
	char *err = NULL;
	int rc, k = 5;

	if (conninfo != NULL) {
		args[k++] = "--conninfo";
		args[k++] = conninfo;
	}
	if (check)
		args[k++] = "--check";
	args[k] = NULL;
	rc = run_trilex(args, NULL, out, &err);
	if (rc != 0)
		print_message("migrate: %s\n%s\n", err ? err : "", out && *out ? *out : "");
	free(err);
	return rc;
}

static int inbox_has(const struct node *n, void *want)
{
	return count_objects(n, "inbox-JP", "match[version]=all") >= *(int *)want;
}

/* The node's data: two collections, versions, the ICS bundle, a partner
 * that got everything shared (its cursor moved). */
static void fill(struct node *jp, struct node *uk)
{
	const char *add[] = { "collection", "add", "--dir", jp->dir, "--title",
			      "Second", "--alias", "second", "--share", "partners",
			      NULL };
	const char *grant[] = { "grant", "--dir", jp->dir, "--user", "reader",
				"--collection", "second", "--read", NULL };
	char path[4096];
	json_t *objs = json_array();
	int want;

	assert_int_equal(run_trilex(add, NULL, NULL, NULL), 0);
	assert_int_equal(run_trilex(grant, NULL, NULL, NULL), 0);
	assert_int_equal(node_start(uk), 0);
	assert_int_equal(node_start(jp), 0);
	for (int i = 0; i < 40; i++)
		json_array_append_new(objs, make_indicator(i, NULL));
	post(jp, "main", json_pack("{s:o}", "objects", objs));
	/* later versions of ten of them */
	for (int v = 1; v <= 2; v++) {
		char mod[40];
		snprintf(mod, sizeof(mod), "2024-0%d-01T00:00:00.000Z", v + 1);
		objs = json_array();
		for (int i = 0; i < 10; i++)
			json_array_append_new(objs, make_indicator(i, mod));
		post(jp, "main", json_pack("{s:o}", "objects", objs));
	}
	objs = json_array();
	for (int i = 1000; i < 1015; i++)
		json_array_append_new(objs, make_indicator(i, NULL));
	post(jp, "second", json_pack("{s:o}", "objects", objs));
	if (shared_path("data/stix/ics-attack-18.1.json", path, sizeof(path)) != NULL) {
		json_t *bundle = json_load_file(path, 0, NULL);
		assert_non_null(bundle);
		post(jp, "second", json_pack("{s:O}", "objects",
					     json_object_get(bundle, "objects")));
		json_decref(bundle);
	} else {
		print_message("skip of the ICS bundle: ../shared/data/stix is absent\n");
	}
	/* the indicators delivered (what UK keeps of the ICS bundle, made by
	 * MITRE, not JP, is not this test's point) */
	want = 40 + 20 + 15;
	assert_true(wait_for(inbox_has, uk, &want, 60000));
	assert_int_equal(node_stop(jp), 0);
}

static void test_migrate_both_ways(void **state)
{
	struct node jp, uk;
	char conninfo[1200], *before[2], *after[2], *out = NULL, path[PATH_MAX + 32];
	const char *colls[2] = { "main", "second" };

	(void)state;
	if (skip_without_pg())
		skip();
	assert_int_equal(sqlite_node(&jp, "JP"), 0);
	assert_int_equal(sqlite_node(&uk, "UK"), 0);
	assert_int_equal(node_pair(&jp, &uk), 0);
	fill(&jp, &uk);
	assert_int_equal(node_start(&jp), 0);
	for (int i = 0; i < 2; i++)
		before[i] = pages(&jp, colls[i]);
	assert_int_equal(node_stop(&jp), 0);

	/* into PostgreSQL, then served from there */
	assert_int_equal(new_database("migrate_jp", conninfo, sizeof(conninfo)), 0);
	assert_int_equal(migrate(&jp, "postgres", conninfo, 0, &out), 0);
	assert_non_null(strstr(out, "verified: "));
	print_message("%s", out);
	free(out);
	snprintf(path, sizeof(path), "%s/node.json", jp.dir);
	{
		char *cfg = slurp(path, NULL);
		assert_non_null(strstr(cfg, "\"postgres\""));
		free(cfg);
	}
	assert_int_equal(node_start(&jp), 0);
	for (int i = 0; i < 2; i++) {
		after[i] = pages(&jp, colls[i]);
		assert_string_equal(before[i], after[i]);
		free(before[i]);
	}
	/* new writes after the copied ids (the identity sequences moved) */
	post(&jp, "main", json_pack("{s:[o]}", "objects", make_indicator(5000, NULL)));
	{
		const char *a[] = { "user", "add", "--dir", jp.dir, "--name", "carol",
				    "--password-stdin", NULL };
		assert_int_equal(run_trilex(a, "carol password 1\n", NULL, NULL), 0);
	}
	for (int i = 0; i < 2; i++) {
		free(after[i]);
		before[i] = pages(&jp, colls[i]);
	}
	assert_int_equal(node_stop(&jp), 0);

	/* back into SQLite: refused while trilex.db holds the old store */
	assert_int_equal(migrate(&jp, "sqlite", NULL, 1, &out), 1);
	free(out);
	assert_int_not_equal(migrate(&jp, "sqlite", NULL, 0, &out), 0);
	free(out);
	{
		char cmd[2 * PATH_MAX];
		snprintf(cmd, sizeof(cmd), "cd '%s' && mv trilex.db trilex.db.old &&"
			 " rm -f trilex.db-wal trilex.db-shm", jp.dir);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(migrate(&jp, "sqlite", NULL, 0, &out), 0);
	assert_non_null(strstr(out, "verified: "));
	free(out);
	assert_int_equal(migrate(&jp, "sqlite", conninfo, 1, &out), 0);
	free(out);
	assert_int_equal(node_start(&jp), 0);
	for (int i = 0; i < 2; i++) {
		after[i] = pages(&jp, colls[i]);
		assert_string_equal(before[i], after[i]);
		free(before[i]);
		free(after[i]);
	}
	node_stop(&jp);
	node_stop(&uk);
	node_destroy(&jp);
	node_destroy(&uk);
}

/* A copy killed with SIGKILL in the middle of the objects goes on. */
static void test_migrate_resume(void **state)
{
	enum { N = 30000 };
	struct node jp;
	char conninfo[1200], file[PATH_MAX + 32], log[PATH_MAX + 32], *out = NULL;
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	long long at_kill = -1;
	pid_t pid;
	int status;

	(void)state;
	if (skip_without_pg())
		skip();
	assert_int_equal(sqlite_node(&jp, "JP"), 0);
	{
		json_t *objs = json_array(), *b;
		for (int i = 0; i < N; i++)
			json_array_append_new(objs, make_indicator(i, NULL));
		b = json_pack("{s:s, s:s, s:o}", "type", "bundle", "id",
			      "bundle--00000000-0000-4000-8000-000000000001", "objects",
			      objs);
		snprintf(file, sizeof(file), "%s/bundle.json", jp.dir);
		assert_int_equal(json_dump_file(b, file, JSON_COMPACT), 0);
		json_decref(b);
		const char *push[] = { "push", "--dir", jp.dir, "--collection", "main",
				       file, NULL };
		assert_int_equal(run_trilex(push, NULL, NULL, NULL), 0);
	}
	assert_int_equal(new_database("migrate_resume", conninfo, sizeof(conninfo)), 0);
	{
		const char *args[] = { "migrate", "--dir", jp.dir, "--to", "postgres",
				       "--conninfo", conninfo, NULL };
		snprintf(log, sizeof(log), "%s/migrate.out", jp.dir);
		pid = spawn_trilex(args, log, log);
		assert_true(pid > 0);
	}
	/* killed once some objects are in, and far from all */
	for (int i = 0; i < 24000; i++) {
		long long n = pg_number(conninfo, "SELECT count(*) FROM objects");
		if (n > 0) {
			kill(pid, SIGKILL);
			break;
		}
		nanosleep(&tick, NULL);
	}
	waitpid(pid, &status, 0);
	assert_true(WIFSIGNALED(status));
	at_kill = pg_number(conninfo, "SELECT count(*) FROM objects");
	print_message("killed with %lld of %d object versions copied\n", at_kill, N);
	assert_true(at_kill > 0 && at_kill < N);
	assert_true(pg_number(conninfo, "SELECT count(*) FROM trilex_migrate") > 0);

	assert_int_equal(migrate(&jp, "postgres", conninfo, 0, &out), 0);
	assert_non_null(strstr(out, "went on from an interrupted copy"));
	assert_non_null(strstr(out, "verified: "));
	free(out);
	assert_int_equal(pg_number(conninfo, "SELECT count(*) FROM objects"), N);
	assert_int_equal(pg_number(conninfo, "SELECT count(DISTINCT (coll, id,"
				   " version_us)) FROM objects"), N);
	assert_int_equal(pg_number(conninfo, "SELECT count(*) FROM"
				   " information_schema.tables WHERE table_name ="
				   " 'trilex_migrate'"), 0);
	assert_int_equal(node_start(&jp), 0);
	assert_int_equal(node_versions(jp.dir), N);
	node_stop(&jp);
	node_destroy(&jp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_both_ways),
		cmocka_unit_test(test_migrate_resume),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
