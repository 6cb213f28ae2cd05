/*
 * End-to-end tests of the CLI: init, accounts, tokens, push and get, both
 * on the node's folder and against the running server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static struct node N;

static int setup(void **state)
{
	return node_create(&N, NULL) == 0 && node_start(&N) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	int rc = node_stop(&N);

	node_destroy(&N);
	return rc == 0 ? 0 : -1; /* graceful shutdown, no sanitizer report */
}

static void test_init_files_and_refusal(void **state)
{
	char path[4096 + 32], *out = NULL, *err = NULL;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/identity.key", N.dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 64);
	snprintf(path, sizeof(path), "%s/tls/key.pem", N.dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/node.json", N.dir);
	json_t *cfg = json_load_file(path, 0, NULL);
	assert_non_null(cfg);
	assert_string_equal(json_string_value(json_object_get(cfg, "party")), "JP");
	assert_int_equal(strlen(json_string_value(json_object_get(cfg,
								  "public_key"))), 64);
	json_decref(cfg);

	const char *again[] = { "init", "--dir", N.dir, "--party", "UK", "--name",
				"x", NULL };
	assert_int_equal(run_trilex(again, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "refusing to overwrite"));
	free(out);
	free(err);

	const char *bad[] = { "init", "--dir", "/tmp/trilex-never", "--party", "jp",
			      "--name", "x", NULL };
	assert_int_equal(run_trilex(bad, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "--party"));
	free(out);
	free(err);
	const char *check[] = { "check-config", "--dir", N.dir, NULL };
	assert_int_equal(run_trilex(check, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "trilex.db: ok"));
	free(out);
	free(err);
	const char *check_bad[] = { "check-config", "--dir", "/tmp/trilex-no-such-node",
				    NULL };
	assert_int_equal(run_trilex(check_bad, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "node.json"));
	free(out);
	free(err);
	const char *usage[] = { "init", "--dir", N.dir, NULL };
	assert_int_equal(run_trilex(usage, NULL, &out, &err), 2);
	assert_non_null(strstr(err, "usage:"));
	free(out);
	free(err);
}

static void test_accounts(void **state)
{
	char *out = NULL, *err = NULL;

	const char *dup[] = { "user", "add", "--dir", N.dir, "--name", "admin",
			      "--password-stdin", NULL };
	assert_int_equal(run_trilex(dup, "another password\n", &out, &err), 1);
	assert_non_null(strstr(err, "already exists"));
	free(out);
	free(err);
	const char *shortpw[] = { "user", "add", "--dir", N.dir, "--name", "eve",
				  "--password-stdin", NULL };
	assert_int_equal(run_trilex(shortpw, "short\n", &out, &err), 1);
	assert_non_null(strstr(err, "at least 8"));
	free(out);
	free(err);
	const char *tok[] = { "token", "create", "--dir", N.dir, "--user", "ghost",
			      NULL };
	assert_int_equal(run_trilex(tok, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "no user"));
	free(out);
	free(err);
	const char *grant[] = { "grant", "--dir", N.dir, "--user", "reader",
				"--collection", "nope", "--read", NULL };
	assert_int_equal(run_trilex(grant, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "no collection"));
	free(out);
	free(err);

	/* a new token works at once over HTTPS, and only its hash is kept */
	const char *tok2[] = { "token", "create", "--dir", N.dir, "--user", "reader",
			       NULL };
	assert_int_equal(run_trilex(tok2, NULL, &out, &err), 0);
	out[strcspn(out, "\n")] = '\0';
	assert_int_equal(strlen(out), 46);
	struct node copy = N;
	snprintf(copy.token, sizeof(copy.token), "%s", out);
	struct http_resp r;
	assert_int_equal(http(&copy, "GET", "/api/collections/main/", "token", NULL,
			      NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(json_is_false(json_object_get(r.json, "can_write")));
	http_free(&r);
	char db[4096 + 16];
	snprintf(db, sizeof(db), "%s/trilex.db", N.dir);
	size_t len;
	char *raw = slurp(db, &len);
	assert_non_null(raw);
	assert_null(memmem(raw, len, out, strlen(out)));
	free(raw);
	free(out);
	free(err);

	const char *add[] = { "collection", "add", "--dir", N.dir, "--title",
			      "Second", "--alias", "main", NULL };
	assert_int_equal(run_trilex(add, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "already taken"));
	free(out);
	free(err);
}

static char *write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/trilex-push-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_push_and_get_local_and_remote(void **state)
{
	char *out = NULL, *err = NULL;
	json_t *bundle = json_pack("{s:s, s:s, s:[o,o,{s:s}]}", "type", "bundle",
				   "id", "bundle--6e1a2a3c-0f52-4d4d-8e34-5b6c2f1e9a00",
				   "objects", make_indicator(1, NULL),
				   make_indicator(2, NULL), "type", "indicator");
	char *text = json_dumps(bundle, 0);
	char *file = write_tmp(text);

	const char *push[] = { "push", "--dir", N.dir, "--collection", "main", file,
			       NULL };
	assert_int_equal(run_trilex(push, NULL, &out, &err), 3);
	assert_non_null(strstr(out, "3 objects: 2 added, 0 already present, 1 failed"));
	assert_non_null(strstr(err, "objects[2]"));
	free(out);
	free(err);
	/* again: already present */
	assert_int_equal(run_trilex(push, NULL, &out, &err), 3);
	assert_non_null(strstr(out, "0 added, 2 already present, 1 failed"));
	free(out);
	free(err);

	/* malformed file: a clear message with line and column */
	char *bad = write_tmp("{\"objects\": [\n  {\"type\": }\n]");
	const char *push_bad[] = { "push", "--dir", N.dir, "--collection", "main",
				   bad, NULL };
	assert_int_equal(run_trilex(push_bad, NULL, &out, &err), 1);
	assert_non_null(strstr(err, ":3:"));
	free(out);
	free(err);
	unlink(bad);
	/* a malformed object in a sound file: reported with its line and
	 * column, and the valid one beside it is stored */
	json_t *good = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type",
				 "identity", "spec_version", "2.1", "id",
				 "identity--00000000-0000-4000-8000-000000000077",
				 "created", "2024-01-01T00:00:00.000Z", "modified",
				 "2024-01-01T00:00:00.000Z", "name", "half",
				 "identity_class", "organization");
	char *gtext = json_dumps(good, JSON_COMPACT), doc[4096];
	snprintf(doc, sizeof(doc), "{\"type\": \"bundle\", \"id\": \"bundle--"
		 "00000000-0000-4000-8000-000000000077\", \"objects\": [\n"
		 "  {\"type\": },\n  %s\n]}", gtext);
	free(gtext);
	json_decref(good);
	bad = write_tmp(doc);
	const char *push_half[] = { "push", "--dir", N.dir, "--collection", "main",
				    bad, NULL };
	assert_int_equal(run_trilex(push_half, NULL, &out, &err), 3);
	assert_non_null(strstr(err, ":2:12: objects[0]:"));
	assert_non_null(strstr(out, "2 objects: 1 added, 0 already present, 1 failed"));
	free(out);
	free(err);
	unlink(bad);

	/* get locally: a bundle of exactly what is there */
	const char *get[] = { "get", "--dir", N.dir, "--collection", "main",
			      "--type", "indicator", NULL };
	assert_int_equal(run_trilex(get, NULL, &out, &err), 0);
	json_t *got = json_loads(out, 0, NULL);
	assert_non_null(got);
	assert_string_equal(json_string_value(json_object_get(got, "type")), "bundle");
	assert_int_equal(json_array_size(json_object_get(got, "objects")), 2);
	json_decref(got);
	free(out);
	free(err);

	/* remote with a token, then with a user and TRILEX_PASSWORD */
	char url[128];
	snprintf(url, sizeof(url), "%s/api/", N.base);
	json_t *b2 = json_pack("{s:[o]}", "objects", make_indicator(3, NULL));
	char *t2 = json_dumps(b2, 0);
	char *f2 = write_tmp(t2);
	const char *rpush[] = { "push", "--url", url, "--token", N.token,
				"--cacert", N.cacert, "--collection", "main", f2,
				NULL };
	assert_int_equal(run_trilex(rpush, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "1 objects: 1 added"));
	free(out);
	free(err);
	setenv("TRILEX_PASSWORD", READER_PASSWORD, 1);
	const char *rget[] = { "get", "--url", url, "--user", "reader", "--cacert",
			       N.cacert, "--collection", "main", "--id",
			       "indicator--00000000-0000-4000-8000-000000000003",
			       NULL };
	assert_int_equal(run_trilex(rget, NULL, &out, &err), 0);
	got = json_loads(out, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(got, "objects")), 1);
	json_decref(got);
	free(out);
	free(err);
	/* reader may not push: the server's reason is shown */
	const char *rpush2[] = { "push", "--url", url, "--user", "reader",
				 "--cacert", N.cacert, "--collection", "main", f2,
				 NULL };
	assert_int_equal(run_trilex(rpush2, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "403"));
	free(out);
	free(err);
	setenv("TRILEX_PASSWORD", "wrong password", 1);
	assert_int_equal(run_trilex(rget, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "401"));
	free(out);
	free(err);
	unsetenv("TRILEX_PASSWORD");
	unlink(f2);
	unlink(file);
	free(t2);
	json_decref(b2);
	free(text);
	json_decref(bundle);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_files_and_refusal),
		cmocka_unit_test(test_accounts),
		cmocka_unit_test(test_push_and_get_local_and_remote),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
