/*
 * The PostgreSQL store under a running node (run by tests/pg/with-postgres
 * as pg-restart; skipped, saying so, without TRILEX_TEST_PG): the database
 * server stops under a serving node, requests get a TAXII 503 with
 * Retry-After (never a 500 or a 401), and once the server is back the
 * node answers again without a restart.
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
#include <unistd.h>

#include "harness.h"

#define OBJECTS "/api/collections/main/objects/"

/* pg_ctl stop|start on the private server of with-postgres; 0 on success. */
static int pg_ctl(const char *what)
{
	const char *dir = getenv("TRILEX_TEST_PG_DIR");
	char cmd[1024], bin[256] = "";
	FILE *f;

	f = popen("ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1",
		  "r");
	if (f == NULL || fgets(bin, sizeof(bin), f) == NULL) {
		if (f)
			pclose(f);
		return -1;
	}
	pclose(f);
	bin[strcspn(bin, "\n")] = '\0';
	snprintf(cmd, sizeof(cmd), "%s %s/pg_ctl -D %s/data -l %s/server.log -w -t 60"
		 " -m fast -o \"-k %s -c listen_addresses= -c fsync=off"
		 " -c max_connections=200\" %s >/dev/null 2>&1",
		 getuid() == 0 ? "runuser -u postgres --" : "", bin, dir, dir, dir,
		 what);
	return system(cmd) == 0 ? 0 : -1;
}

static json_t *envelope(int first, int n)
{
	json_t *objs = json_array();

	for (int i = first; i < first + n; i++)
		json_array_append_new(objs, make_indicator(i, NULL));
	return json_pack("{s:o}", "objects", objs);
}

static long post(struct node *n, json_t *env, char *retry, size_t retry_len)
{
	struct http_resp r;
	char *body = json_dumps(env, JSON_COMPACT);
	long status;

	assert_non_null(body);
	assert_int_equal(http(n, "POST", OBJECTS, "token", NULL, NULL, body,
			      strlen(body), &r), 0);
	status = r.status;
	if (retry != NULL && http_header(&r, "Retry-After", retry, retry_len) == NULL)
		retry[0] = '\0';
	http_free(&r);
	free(body);
	return status;
}

static void test_database_restart(void **state)
{
	struct node n;
	struct http_resp r;
	char retry[32];
	json_t *env;
	int back = 0;

	if (getenv("TRILEX_TEST_PG") == NULL || getenv("TRILEX_TEST_PG_DIR") == NULL) {
		printf("skip: TRILEX_TEST_PG is not set (run through tests/pg/with-postgres:"
		       " meson test pg-restart)\n");
		skip();
	}
	assert_int_equal(node_create(&n, NULL), 0);
	assert_int_equal(node_start(&n), 0);
	env = envelope(0, 5);
	assert_int_equal(post(&n, env, NULL, 0), 202);
	json_decref(env);

	assert_int_equal(pg_ctl("stop"), 0);
	/* reads (bearer token and objects) and writes: 503, Retry-After */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(http(&n, "GET", OBJECTS, "token", NULL, NULL, NULL, 0,
				      &r), 0);
		assert_int_equal(r.status, 503);
		assert_non_null(http_header(&r, "Retry-After", retry, sizeof(retry)));
		assert_non_null(r.json);
		assert_string_equal(json_string_value(json_object_get(r.json,
								     "http_status")),
				    "503");
		http_free(&r);
	}
	assert_int_equal(http(&n, "GET", OBJECTS, "admin", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 503);
	http_free(&r);
	env = envelope(5, 5);
	assert_int_equal(post(&n, env, retry, sizeof(retry)), 503);
	assert_true(retry[0] != '\0');

	/* back: the node answers again, with what it held and the new writes */
	assert_int_equal(pg_ctl("start"), 0);
	for (int i = 0; i < 50 && !back; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		assert_int_equal(http(&n, "GET", OBJECTS, "token", NULL, NULL, NULL, 0,
				      &r), 0);
		back = r.status == 200;
		http_free(&r);
		if (!back)
			nanosleep(&ts, NULL);
	}
	assert_true(back);
	assert_int_equal(post(&n, env, NULL, 0), 202);
	json_decref(env);
	assert_int_equal(count_objects(&n, "main", NULL), 10);
	assert_int_equal(node_stop(&n), 0);
	node_destroy(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_database_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
