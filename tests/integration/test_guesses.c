/*
 * Failed passwords counted in the store (issue 20 item 2's leftover): two
 * `trilex serve` processes of one node (one folder, two ports, as behind
 * a load balancer) share the guessing limits of TAXII Basic auth and of
 * the console's sign-in, and a restart of both forgets no failure.
 *
 * Run as `guesses` on SQLite (two processes on one trilex.db) and as
 * `guesses-pg` on PostgreSQL (tests/pg/with-postgres: node.json's store
 * is the private server, so both processes use one database).
 *
 * No timed assertions: every limit here is a count, and the waits are an
 * hour long, far beyond the test's run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_client.h"
#include "harness.h"

/* Serve n on n->port: node.json's listen_port is set to it first (the two
 * processes share one folder and so one node.json, read at start). */
static void start_at(struct node *n)
{
	char path[PATH_MAX + 16];
	json_t *cfg;

	snprintf(path, sizeof(path), "%s/node.json", n->dir);
	cfg = json_load_file(path, 0, NULL);
	assert_non_null(cfg);
	assert_int_equal(json_object_set_new(cfg, "listen_port",
					     json_integer(n->port)), 0);
	assert_int_equal(json_dump_file(cfg, path, JSON_INDENT(2)), 0);
	json_decref(cfg);
	assert_int_equal(node_start(n), 0);
}

/* The store backend of n's node.json ("sqlite" when it names none). */
static const char *backend(const struct node *n)
{
	static char out[32];
	char path[PATH_MAX + 16];
	json_t *cfg;
	const char *b;

	snprintf(path, sizeof(path), "%s/node.json", n->dir);
	cfg = json_load_file(path, 0, NULL);
	b = json_string_value(json_object_get(json_object_get(cfg, "store"),
					      "backend"));
	snprintf(out, sizeof(out), "%s", b ? b : "sqlite");
	json_decref(cfg);
	return out;
}

/* GET /taxii2/ as "user:password": the status; *locked: the answer says
 * the account is locked. */
static long try_pw(const struct node *n, const char *auth, int *locked)
{
	struct http_resp r;
	long status;

	assert_int_equal(http(n, "GET", "/taxii2/", auth, NULL, NULL, NULL, 0, &r), 0);
	status = r.status;
	if (locked != NULL)
		*locked = r.body != NULL && strstr(r.body, "locked") != NULL;
	http_free(&r);
	return status;
}

/* lock after 4 failures of a name; an address waits (an hour) after 12;
 * names never wait (so that only the counts decide) */
#define LIMITS "\"auth_backoff_after\": 0, \"auth_lockout_after\": 4," \
	" \"auth_addr_backoff_after\": 12, \"auth_backoff_s\": 3600," \
	" \"auth_backoff_max_s\": 3600"

/* Node a served twice from its one folder: a, and b on another port. */
static void two_processes(struct node *a, struct node *b)
{
	assert_int_equal(node_create(a, LIMITS), 0);
	*b = *a;
	b->pid = 0;
	b->port = harness_port();
	snprintf(b->base, sizeof(b->base), "https://127.0.0.1:%d", b->port);
	start_at(a);
	start_at(b);
	print_message("store: %s\n", backend(a));
	if (getenv("TRILEX_TEST_PG") != NULL)
		assert_string_equal(backend(a), "postgres");
}

static void stop_both(struct node *a, struct node *b)
{
	assert_int_equal(node_stop(b), 0);
	assert_int_equal(node_stop(a), 0);
	node_destroy(a);
}

/* TAXII: 4 wrong passwords of reader, to A and B in turn: locked at the
 * 4th, and the right one is refused by either (each process counting
 * alone had 2 and let it in). A name no account has the same. */
static void test_taxii_shared(void **state)
{
	struct node a, b, *ab[2] = { &a, &b };
	int locked = 0;

	two_processes(&a, &b);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(try_pw(ab[i % 2], "reader:wrong", &locked), 401);
		assert_int_equal(locked, i == 3);
	}
	assert_int_equal(try_pw(&b, "reader:" READER_PASSWORD, &locked), 401);
	assert_true(locked);
	assert_int_equal(try_pw(&a, "reader:" READER_PASSWORD, &locked), 401);
	assert_true(locked);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(try_pw(ab[i % 2], "ghost:wrong", &locked), 401);
		assert_int_equal(locked, i == 3);
	}
	assert_int_equal(try_pw(&a, "ghost:wrong", &locked), 401);
	assert_true(locked);
	stop_both(&a, &b);
}

/* A restart forgets no failure: 2 wrong passwords, the process
 * restarted, 2 more: locked (one process only, so that sharing does not
 * decide). */
static void test_restart_keeps(void **state)
{
	struct node a;
	int locked = 0;

	assert_int_equal(node_create(&a, LIMITS), 0);
	start_at(&a);
	assert_int_equal(try_pw(&a, "ghost:wrong", &locked), 401);
	assert_int_equal(try_pw(&a, "ghost:wrong", &locked), 401);
	assert_false(locked);
	assert_int_equal(node_stop(&a), 0);
	start_at(&a);
	assert_int_equal(try_pw(&a, "ghost:wrong", &locked), 401);
	assert_false(locked);
	assert_int_equal(try_pw(&a, "ghost:wrong", &locked), 401);
	assert_true(locked);
	assert_int_equal(node_stop(&a), 0);
	node_destroy(&a);
}

/* The console: 4 wrong passwords of nobody, to A and B in turn: the
 * right one is refused, the account locked. */
static void test_console_shared(void **state)
{
	struct node a, b, *ab[2] = { &a, &b };
	struct resp *cr = malloc(sizeof(*cr));
	char cookie[160];

	assert_non_null(cr);
	two_processes(&a, &b);
	for (int i = 0; i < 4; i++) {
		sign_in(ab[i % 2], "nobody", "wrong", cookie, cr);
		assert_int_equal(cr->status, 401);
		assert_string_equal(cookie, "");
	}
	sign_in(&b, "nobody", NOBODY_PASSWORD, cookie, cr);
	assert_int_equal(cr->status, 401);
	assert_string_equal(cookie, "");
	assert_non_null(strstr(cr->body, "This account is locked"));
	stop_both(&a, &b);
	free(cr);
}

/* The address: 12 wrong passwords of new names, to A and B in turn: the
 * address waits, at either process, even with a right password (each
 * process counting alone had 6). */
static void test_address_shared(void **state)
{
	struct node a, b, *ab[2] = { &a, &b };
	char name[32];

	two_processes(&a, &b);
	for (int i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "guess%d:wrong", i);
		assert_int_equal(try_pw(ab[i % 2], name, NULL), 401);
	}
	assert_int_equal(try_pw(&a, "admin:" ADMIN_PASSWORD, NULL), 429);
	assert_int_equal(try_pw(&b, "admin:" ADMIN_PASSWORD, NULL), 429);
	/* a bearer token needs no password */
	assert_int_equal(try_pw(&b, "token", NULL), 200);
	stop_both(&a, &b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_taxii_shared),
		cmocka_unit_test(test_restart_keeps),
		cmocka_unit_test(test_console_shared),
		cmocka_unit_test(test_address_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
