/*
 * Accounts and roles end to end: a real node on loopback, changed with
 * the CLI while it serves. Every change (role, password, disable, remove,
 * token revoke, grant revoke) must hold at the very next request, also
 * for a password the node had cached and for an alert stream already
 * open; tokens are listed without ever showing the token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static struct node N;

#define PW1 "first password 11"
#define PW2 "second password 22"

static int setup(void **state)
{
	return node_create(&N, NULL) || node_start(&N) ? -1 : 0;
}

static int teardown(void **state)
{
	int rc = node_stop(&N);

	node_destroy(&N);
	return rc == 0 ? 0 : -1;
}

static size_t sink(char *d, size_t sz, size_t nm, void *cls)
{
	return sz * nm;
}

/*
 * One request as user:password (Basic) or with a bearer token (user
 * NULL); the status, or -1 when the request itself failed.
 */
static long req(const char *method, const char *path, const char *user,
		const char *secret, const char *body)
{
	char url[256], line[256];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	long status = -1;

	snprintf(url, sizeof(url), "%s%s", N.base, path);
	h = curl_slist_append(h, "Accept: application/taxii+json;version=2.1");
	if (body)
		h = curl_slist_append(h, "Content-Type: application/taxii+json;"
				      "version=2.1");
	if (user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, secret);
	} else {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", secret);
		h = curl_slist_append(h, line);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, N.cacert);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

/* Run trilex with these words after the command and --dir; its exit
 * status, its stdout in *out (may be NULL; caller frees). */
static int cli(const char *stdin_text, char **out, const char *w0,
	       const char *w1, ...)
{
	const char *args[24] = { w0, w1 };
	size_t n = 2;
	va_list ap;
	const char *w;
	int rc;

	if (strcmp(w0, "grant") == 0)
		n = 1, args[1] = NULL;
	args[n++] = "--dir";
	args[n++] = N.dir;
	if (strcmp(w0, "grant") == 0)
		args[n++] = w1;
	va_start(ap, w1);
	while ((w = va_arg(ap, const char *)) != NULL && n < 23)
		args[n++] = w;
	va_end(ap);
	args[n] = NULL;
	rc = run_trilex(args, stdin_text, out, NULL);
	return rc;
}

static char objects_path[128], one_object[1024];

static void paths(void)
{
	json_t *env = json_pack("{s:[o]}", "objects", make_indicator(77, NULL));
	char *text = json_dumps(env, JSON_COMPACT);

	snprintf(objects_path, sizeof(objects_path),
		 "/api/collections/%s/objects/", N.coll);
	snprintf(one_object, sizeof(one_object), "%s", text);
	free(text);
	json_decref(env);
}

/* A reader may not write, whatever it was granted; a new role holds at
 * the next request (the password stays cached). */
static void test_roles(void **state)
{
	char *out = NULL;

	paths();
	assert_int_equal(cli(PW1 "\n", NULL, "user", "add", "--name", "rita",
			     "--password-stdin", "--role", "reader", NULL), 0);
	assert_int_equal(cli(NULL, NULL, "grant", "--user", "rita", "--collection",
			     "main", "--read", "--write", NULL), 0);
	assert_int_equal(req("GET", objects_path, "rita", PW1, NULL), 200);
	assert_int_equal(req("POST", objects_path, "rita", PW1, one_object), 403);
	assert_int_equal(req("POST", "/trilex/v1/assess", "rita", PW1, "{}"), 403);
	assert_int_equal(cli(NULL, NULL, "user", "role", "--name", "rita",
			     "--role", "analyst", NULL), 0);
	assert_int_equal(req("POST", objects_path, "rita", PW1, one_object), 202);
	assert_int_equal(cli(NULL, NULL, "user", "role", "--name", "rita",
			     "--role", "reader", NULL), 0);
	assert_int_equal(req("POST", objects_path, "rita", PW1, one_object), 403);
	assert_int_equal(cli(NULL, &out, "user", "list", NULL), 0);
	assert_non_null(strstr(out, "rita"));
	assert_non_null(strstr(out, "reader"));
	assert_non_null(strstr(out, "admin "));
	free(out);
	/* a role that does not exist is named as such */
	assert_int_equal(cli(NULL, NULL, "user", "role", "--name", "rita",
			     "--role", "boss", NULL), 1);
}

/* A new password: the old one (cached by the node) fails at once. */
static void test_passwd(void **state)
{
	assert_int_equal(cli(PW1 "\n", NULL, "user", "add", "--name", "paul",
			     "--password-stdin", NULL), 0);
	assert_int_equal(cli(NULL, NULL, "grant", "--user", "paul", "--collection",
			     "main", "--read", NULL), 0);
	assert_int_equal(req("GET", objects_path, "paul", PW1, NULL), 200);
	assert_int_equal(req("GET", objects_path, "paul", PW1, NULL), 200);
	/* the policy applies to a new password too */
	assert_int_equal(cli("short\n", NULL, "user", "passwd", "--name", "paul",
			     "--password-stdin", NULL), 1);
	assert_int_equal(cli(PW2 "\n", NULL, "user", "passwd", "--name", "paul",
			     "--password-stdin", NULL), 0);
	assert_int_equal(req("GET", objects_path, "paul", PW1, NULL), 401);
	assert_int_equal(req("GET", objects_path, "paul", PW2, NULL), 200);
}

/* Disabled: refused by password (cached) and by token, until enabled;
 * removed: refused, gone from the list, its tokens with it. */
static void test_disable_remove(void **state)
{
	char tok[128] = "", *out = NULL;

	assert_int_equal(cli(PW1 "\n", NULL, "user", "add", "--name", "dora",
			     "--password-stdin", NULL), 0);
	assert_int_equal(cli(NULL, NULL, "grant", "--user", "dora", "--collection",
			     "main", "--read", NULL), 0);
	assert_int_equal(cli(NULL, &out, "token", "create", "--user", "dora",
			     "--name", "laptop", NULL), 0);
	sscanf(out, "%127s", tok);
	free(out);
	assert_int_equal(req("GET", objects_path, "dora", PW1, NULL), 200);
	assert_int_equal(req("GET", objects_path, NULL, tok, NULL), 200);
	assert_int_equal(cli(NULL, NULL, "user", "disable", "--name", "dora", NULL), 0);
	assert_int_equal(req("GET", objects_path, "dora", PW1, NULL), 401);
	assert_int_equal(req("GET", objects_path, NULL, tok, NULL), 401);
	assert_int_equal(cli(NULL, &out, "user", "list", NULL), 0);
	assert_non_null(strstr(out, "disabled"));
	free(out);
	assert_int_equal(cli(NULL, NULL, "user", "enable", "--name", "dora", NULL), 0);
	assert_int_equal(req("GET", objects_path, NULL, tok, NULL), 200);
	assert_int_equal(req("GET", objects_path, "dora", PW1, NULL), 200);
	assert_int_equal(cli(NULL, NULL, "user", "remove", "--name", "dora", NULL), 0);
	assert_int_equal(req("GET", objects_path, "dora", PW1, NULL), 401);
	assert_int_equal(req("GET", objects_path, NULL, tok, NULL), 401);
	assert_int_equal(cli(NULL, &out, "user", "list", NULL), 0);
	assert_null(strstr(out, "dora"));
	free(out);
	assert_int_equal(cli(NULL, &out, "token", "list", NULL), 0);
	assert_null(strstr(out, "laptop"));
	free(out);
	assert_int_equal(cli(NULL, NULL, "user", "remove", "--name", "dora", NULL), 1);
}

/* Tokens: named, listed with their last use and never shown; revoked at
 * once; a duplicate name or a bad expiry refused. */
static void test_tokens(void **state)
{
	char tok[128] = "", *out = NULL;

	assert_int_equal(cli(NULL, &out, "token", "create", "--user", "reader",
			     "--name", "siem-1", "--expires", "90d", NULL), 0);
	sscanf(out, "%127s", tok);
	free(out);
	assert_true(strlen(tok) > 20);
	assert_int_equal(cli(NULL, &out, "token", "list", "--user", "reader", NULL),
			 0);
	assert_non_null(strstr(out, "siem-1"));
	assert_non_null(strstr(out, "never")); /* not used yet */
	free(out);
	assert_int_equal(req("GET", objects_path, NULL, tok, NULL), 200);
	assert_int_equal(cli(NULL, &out, "token", "list", NULL), 0);
	assert_non_null(strstr(out, "siem-1"));
	assert_null(strstr(out, tok));
	{
		/* its line: last used is set now, the expiry is a time */
		const char *line = strstr(out, "siem-1");
		char name[64], created[32], used[32], expires[32];
		assert_int_equal(sscanf(line, "%63s %31s %31s %31s", name, created,
					used, expires), 4);
		assert_string_not_equal(used, "never");
		assert_string_not_equal(expires, "never");
	}
	free(out);
	assert_int_equal(cli(NULL, NULL, "token", "create", "--user", "reader",
			     "--name", "siem-1", NULL), 1);
	assert_int_equal(cli(NULL, NULL, "token", "create", "--user", "reader",
			     "--expires", "soon", NULL), 1);
	assert_int_equal(cli(NULL, NULL, "token", "create", "--user", "reader",
			     "--expires", "2001-01-01T00:00:00Z", NULL), 1);
	assert_int_equal(cli(NULL, NULL, "token", "revoke", "--user", "reader",
			     "--name", "siem-1", NULL), 0);
	assert_int_equal(req("GET", objects_path, NULL, tok, NULL), 401);
	assert_int_equal(cli(NULL, NULL, "token", "revoke", "--user", "reader",
			     "--name", "siem-1", NULL), 1);
	/* the admin's token, made without a name, has one */
	assert_int_equal(cli(NULL, &out, "token", "list", "--user", "admin", NULL),
			 0);
	assert_non_null(strstr(out, "token-"));
	free(out);
}

/* grant --revoke: the collection is gone for the user at once. */
static void test_grant_revoke(void **state)
{
	assert_int_equal(cli(PW1 "\n", NULL, "user", "add", "--name", "gina",
			     "--password-stdin", NULL), 0);
	assert_int_equal(cli(NULL, NULL, "grant", "--user", "gina", "--collection",
			     "main", "--read", NULL), 0);
	assert_int_equal(req("GET", objects_path, "gina", PW1, NULL), 200);
	assert_int_equal(cli(NULL, NULL, "grant", "--user", "gina", "--collection",
			     "main", "--revoke", NULL), 0);
	assert_int_equal(req("GET", objects_path, "gina", PW1, NULL), 404);
	assert_int_equal(cli(NULL, NULL, "grant", "--user", "gina", "--collection",
			     "main", "--revoke", NULL), 1);
	assert_int_equal(cli(NULL, NULL, "grant", "--user", "gina", "--collection",
			     "main", "--revoke", "--read", NULL), 1);
}

struct stream {
	const char *token;
	volatile int ready;
	CURLcode cc;
	long status;
};

static size_t stream_header(char *d, size_t sz, size_t nm, void *cls)
{
	struct stream *s = cls;

	if (sz * nm > 12 && strncasecmp(d, "Content-Type", 12) == 0 &&
	    memmem(d, sz * nm, "text/event-stream", 17))
		s->ready = 1;
	return sz * nm;
}

static void *stream_run(void *arg)
{
	struct stream *s = arg;
	char url[128], auth[200];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();

	snprintf(url, sizeof(url), "%s/trilex/v1/alerts/stream", N.base);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Accept: text/event-stream");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, N.cacert);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, stream_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	/* the bound: without the change the stream would run this long */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	s->cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

/* An open alert stream ends when its user is disabled (and one of a
 * removed user too), rather than running on. */
static void stream_ends_after(const char *name, const char *verb)
{
	char tok[128] = "", *out = NULL;
	struct stream s = { 0 };
	pthread_t t;

	assert_int_equal(cli(NULL, NULL, "grant", "--user", name, "--collection",
			     "main", "--read", NULL), 0);
	assert_int_equal(cli(NULL, &out, "token", "create", "--user", name, NULL), 0);
	sscanf(out, "%127s", tok);
	free(out);
	s.token = tok;
	assert_int_equal(pthread_create(&t, NULL, stream_run, &s), 0);
	for (int i = 0; i < 500 && !s.ready; i++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	assert_true(s.ready);
	assert_int_equal(cli(NULL, NULL, "user", verb, "--name", name, NULL), 0);
	pthread_join(t, NULL);
	/* it ended by the server's doing, not by the client's timeout */
	assert_int_equal(s.status, 200);
	assert_int_equal(s.cc, CURLE_OK);
}

static void test_stream_ends(void **state)
{
	assert_int_equal(cli(PW1 "\n", NULL, "user", "add", "--name", "sam",
			     "--password-stdin", "--role", "reader", NULL), 0);
	stream_ends_after("sam", "disable");
	assert_int_equal(cli(PW1 "\n", NULL, "user", "add", "--name", "sue",
			     "--password-stdin", "--role", "reader", NULL), 0);
	stream_ends_after("sue", "remove");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_passwd),
		cmocka_unit_test(test_disable_remove),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_grant_revoke),
		cmocka_unit_test(test_stream_ends),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
