/*
 * The audit trail end to end: nodes JP and UK on loopback, paired. What
 * is recorded (sign-ins and failures with the address, account changes,
 * reads of AMBER+STRICT objects, exports), that `audit verify` finds a
 * changed entry, and that JP's heads reach UK signed and expose a chain
 * whose end was cut off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct node JP, UK;

#define TLP_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define TLP_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"

static int setup(void **state)
{
	if (node_create_as(&JP, "JP", NULL) || node_create_as(&UK, "UK", NULL) ||
	    node_pair(&JP, &UK) || node_start(&JP) || node_start(&UK))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	int rc = node_stop(&JP) | node_stop(&UK);

	node_destroy(&JP);
	node_destroy(&UK);
	return rc == 0 ? 0 : -1;
}

/* `trilex audit list --json` of n, optionally for one action (caller
 * frees). */
static char *audit_json(const struct node *n, const char *action)
{
	const char *a[] = { "audit", "list", "--dir", n->dir, "--json",
			    action ? "--action" : NULL, action, NULL };
	char *out = NULL;

	assert_int_equal(run_trilex(a, NULL, &out, NULL), 0);
	return out;
}

/* Lines of text holding every needle. */
static int lines_with(const char *text, const char *n1, const char *n2)
{
	int count = 0;

	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (memmem(p, len, n1, strlen(n1)) &&
		    (n2 == NULL || memmem(p, len, n2, strlen(n2))))
			count++;
		p = eol ? eol + 1 : NULL;
	}
	return count;
}

static void test_signins(void **state)
{
	struct http_resp r;
	char *out;

	/* a good password, a wrong one, a bad token: each recorded with
	 * the address; the good one once, not per request (cached) */
	assert_int_equal(http(&JP, "GET", "/api/collections/", "reader", NULL, NULL,
			      NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	assert_int_equal(http(&JP, "GET", "/api/collections/", "reader", NULL, NULL,
			      NULL, 0, &r), 0);
	http_free(&r);
	assert_int_equal(http(&JP, "GET", "/api/collections/", "bad", NULL, NULL,
			      NULL, 0, &r), 0);
	assert_int_equal(r.status, 401);
	http_free(&r);
	struct node fake = JP;
	snprintf(fake.token, sizeof(fake.token), "tx_not-a-real-token");
	assert_int_equal(http(&fake, "GET", "/api/collections/", "token", NULL,
			      NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 401);
	http_free(&r);
	out = audit_json(&JP, NULL);
	assert_int_equal(lines_with(out, "\"action\":\"signin\"",
				    "\"actor\":\"user:reader\""), 1);
	assert_int_equal(lines_with(out, "\"action\":\"signin\"",
				    "\"actor\":\"user:reader\",\"address\":"
				    "\"127.0.0.1\""), 1);
	assert_int_equal(lines_with(out, "\"action\":\"signin.failed\"",
				    "\"address\":\"127.0.0.1\""), 2);
	assert_int_equal(lines_with(out, "\"action\":\"signin.failed\"",
				    "\"actor\":\"user:admin\""), 1);
	assert_int_equal(lines_with(out, "\"action\":\"signin.failed\"",
				    "\"actor\":\"token:unknown\""), 1);
	/* the admin token's use is recorded once a minute, not per request */
	int before = lines_with(out, "\"action\":\"signin\"", "token token-");
	assert_true(before >= 1);
	free(out);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(http(&JP, "GET", "/api/collections/", "token", NULL,
				      NULL, NULL, 0, &r), 0);
		assert_int_equal(r.status, 200);
		http_free(&r);
	}
	out = audit_json(&JP, NULL);
	assert_true(lines_with(out, "\"action\":\"signin\"", "token token-") <=
		    before + 1);
	/* the accounts the harness made are in it */
	assert_int_equal(lines_with(out, "\"action\":\"user.add\"", NULL), 3);
	assert_int_equal(lines_with(out, "\"action\":\"grant\"", NULL), 1);
	assert_int_equal(lines_with(out, "\"action\":\"partner.add\"", "UK"), 1);
	free(out);
	/* --actor filters */
	const char *a[] = { "audit", "list", "--dir", JP.dir, "--actor",
			    "token:unknown", NULL };
	assert_int_equal(run_trilex(a, NULL, &out, NULL), 0);
	assert_int_equal(lines_with(out, "signin.failed", NULL), 1);
	assert_int_equal(lines_with(out, "user.add", NULL), 0);
	free(out);
}

/* A read of AMBER+STRICT objects is recorded (who, where, how many, the
 * ids); one of GREEN objects is not. So is a local export. */
static void test_reads_and_exports(void **state)
{
	json_t *strict = make_indicator(501, NULL), *green = make_indicator(502, NULL);
	json_object_set_new(strict, "object_marking_refs", json_pack("[s]", TLP_STRICT));
	json_object_set_new(green, "object_marking_refs", json_pack("[s]", TLP_GREEN));
	json_t *env = json_pack("{s:[o,o]}", "objects", strict, green);
	char *body = json_dumps(env, JSON_COMPACT), path[256], *out;
	struct http_resp r;

	json_decref(env);
	assert_int_equal(http(&JP, "POST", "/api/collections/main/objects/", "token",
			      NULL, NULL, body, strlen(body), &r), 0);
	assert_int_equal(r.status, 202);
	http_free(&r);
	free(body);
	snprintf(path, sizeof(path), "/api/collections/main/objects/"
		 "?match[id]=indicator--00000000-0000-4000-8000-000000000502");
	assert_int_equal(http(&JP, "GET", path, "reader", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	assert_int_equal(http(&JP, "GET", "/api/collections/main/objects/", "reader",
			      NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	/* reads are written by the server's audit queue within 100 ms */
	for (int i = 0; i < 100; i++) {
		out = audit_json(&JP, "read");
		if (lines_with(out, "\"action\":\"read\"", NULL) > 0)
			break;
		free(out);
		out = NULL;
		usleep(50 * 1000);
	}
	assert_non_null(out);
	assert_int_equal(lines_with(out, "\"actor\":\"user:reader\"",
				    "indicator--00000000-0000-4000-8000-000000000501"), 1);
	assert_int_equal(lines_with(out, "1 of 2 objects", "127.0.0.1"), 1);
	/* the whole detail, as audit_read writes it (without printf) */
	assert_int_equal(lines_with(out, "\"detail\":\"1 of 2 objects TLP:RED or"
				    " TLP:AMBER+STRICT: indicator--00000000-0000-"
				    "4000-8000-000000000501\"", "\"what\":\"collection "),
			 1);
	/* the queue keeps order: the GREEN read before it made no entry */
	assert_int_equal(lines_with(out, "\"action\":\"read\"", NULL), 1);
	assert_int_equal(lines_with(out, "000000000502", NULL), 0);
	free(out);
	const char *get[] = { "get", "--dir", JP.dir, "--collection", "main", NULL };
	assert_int_equal(run_trilex(get, NULL, &out, NULL), 0);
	free(out);
	out = audit_json(&JP, "export");
	assert_int_equal(lines_with(out, "trilex get: 2 objects", NULL), 1);
	free(out);
}

/* Changing an entry (with the trigger that forbids it dropped, as only
 * someone with the file could) is found and named. */
static void tamper(const struct node *n, const char *sql)
{
	assert_int_equal(node_sql(n, sql), 0);
}

static int has_heads(const struct node *n, void *arg)
{
	return count_objects(n, "inbox-JP", "match[type]=note") >= *(int *)arg;
}

static void test_heads_and_tampering(void **state)
{
	char heads[PATH_MAX + 16], *out = NULL, *err = NULL;
	const char *head[] = { "audit", "head", "--dir", JP.dir, NULL };
	const char *verify[] = { "audit", "verify", "--dir", JP.dir, NULL };
	const char *verify_h[] = { "audit", "verify", "--dir", JP.dir, "--heads",
				   heads, NULL };
	int want = 1;
	FILE *f;

	/* the node refuses to rewrite its own trail */
	char db[PATH_MAX + 16];
	sqlite3 *h = NULL;
	snprintf(db, sizeof(db), "%s/trilex.db", JP.dir);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 10000);
	assert_int_not_equal(sqlite3_exec(h, "DELETE FROM audit WHERE seq = 1",
					  NULL, NULL, NULL), SQLITE_OK);
	assert_non_null(strstr(sqlite3_errmsg(h), "append-only"));
	sqlite3_close(h);

	assert_int_equal(run_trilex(verify, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "audit trail intact"));
	free(out);
	assert_int_equal(run_trilex(head, NULL, &out, NULL), 0);
	free(out);
	assert_true(wait_for(has_heads, &UK, &want, 20000));
	snprintf(heads, sizeof(heads), "%s/heads.json", UK.dir);
	const char *get_heads[] = { "audit", "heads", "--dir", UK.dir, "--party",
				    "JP", NULL };
	assert_int_equal(run_trilex(get_heads, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "x_trilex_audit_head"));
	assert_non_null((f = fopen(heads, "w")));
	fputs(out, f);
	fclose(f);
	free(out);
	assert_int_equal(run_trilex(verify_h, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "1 heads held by partners match"));
	free(out);

	/* the end cut off after the head was shared: the chain alone still
	 * verifies, the partner's head does not */
	tamper(&JP, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq >="
		    " (SELECT max(seq) - 1 FROM audit);");
	assert_int_equal(run_trilex(verify, NULL, &out, NULL), 0);
	free(out);
	assert_int_equal(run_trilex(verify_h, NULL, NULL, &err), 1);
	assert_non_null(strstr(err, "cut off"));
	free(err);
	/* an entry changed: found by the chain alone, by its number */
	tamper(&JP, "DROP TRIGGER audit_no_update; UPDATE audit SET detail ="
		    " 'role admin' WHERE seq = 2;");
	assert_int_equal(run_trilex(verify, NULL, NULL, &err), 1);
	assert_non_null(strstr(err, "audit entry 2: its content does not match"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signins),
		cmocka_unit_test(test_reads_and_exports),
		cmocka_unit_test(test_heads_and_tampering),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
