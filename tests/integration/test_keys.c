/*
 * Read-only API keys for SIEMs, end to end on a real node: a key works as
 * Authorization: Bearer, as X-API-Key and as the password of HTTP Basic
 * with any user name; it reads only its collections and writes nothing;
 * its last use is listed, the key never; revoked, it stops at once.
 * Pages read with it carry X-TAXII-Date-Added-First/-Last when they hold
 * objects, and an empty page is still a TAXII envelope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"

static struct node N;
static char key[128], other[40];

struct resp {
	long status;
	char body[1 << 16];
	size_t len;
	char headers[4096];
	size_t hlen;
};

static size_t on_body(char *d, size_t sz, size_t nm, void *cls)
{
	struct resp *r = cls;
	size_t n = sz * nm;

	if (r->len + n < sizeof(r->body)) {
		memcpy(r->body + r->len, d, n);
		r->len += n;
		r->body[r->len] = '\0';
	}
	return n;
}

static size_t on_header(char *d, size_t sz, size_t nm, void *cls)
{
	struct resp *r = cls;
	size_t n = sz * nm;

	if (r->hlen + n < sizeof(r->headers)) {
		memcpy(r->headers + r->hlen, d, n);
		r->hlen += n;
		r->headers[r->hlen] = '\0';
	}
	return n;
}

/* how: "bearer", "x-api-key", "basic" (user "splunk"); secret the key */
static struct resp *req(const char *method, const char *path, const char *how,
			const char *secret, const char *body)
{
	static struct resp r;
	char url[512], line[256];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();

	memset(&r, 0, sizeof(r));
	r.status = -1;
	snprintf(url, sizeof(url), "%s%s", N.base, path);
	h = curl_slist_append(h, "Accept: application/taxii+json;version=2.1");
	if (body)
		h = curl_slist_append(h, "Content-Type: application/taxii+json;"
				      "version=2.1");
	if (strcmp(how, "bearer") == 0) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", secret);
		h = curl_slist_append(h, line);
	} else if (strcmp(how, "x-api-key") == 0) {
		snprintf(line, sizeof(line), "X-API-Key: %s", secret);
		h = curl_slist_append(h, line);
	} else {
		curl_easy_setopt(c, CURLOPT_USERNAME, "splunk");
		curl_easy_setopt(c, CURLOPT_PASSWORD, secret);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, N.cacert);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return &r;
}

static int has_header(const struct resp *r, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = r->headers; p && *p;) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return 1;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

static int setup(void **state)
{
	char *out = NULL;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (node_create(&N, NULL) != 0)
		return -1;
	const char *add[] = { "collection", "add", "--dir", N.dir, "--title", "Other",
			      "--alias", "other", NULL };
	const char *mk[] = { "key", "create", "--dir", N.dir, "--name", "splunk",
			     "--collection", "main", "--expires", "90d", NULL };
	if (run_trilex(add, NULL, &out, NULL) != 0)
		return -1;
	sscanf(out, "%39s", other);
	free(out);
	if (run_trilex(mk, NULL, &out, NULL) != 0)
		return -1;
	sscanf(out, "%127s", key);
	free(out);
	if (node_start(&N) != 0)
		return -1;
	/* 250 indicators in main, one in other */
	json_t *objs = json_array();
	for (int i = 0; i < 250; i++)
		json_array_append_new(objs, make_indicator(i, NULL));
	json_t *env = json_pack("{s:o}", "objects", objs);
	char *body = json_dumps(env, JSON_COMPACT);
	struct http_resp r;
	int rc = http(&N, "POST", "/api/collections/main/objects/", "token", NULL,
		      NULL, body, strlen(body), &r);
	rc |= r.status != 202;
	http_free(&r);
	free(body);
	json_decref(env);
	return rc ? -1 : 0;
}

static int teardown(void **state)
{
	int rc = node_stop(&N);

	node_destroy(&N);
	return rc == 0 ? 0 : -1;
}

static void test_three_ways(void **state)
{
	const char *p = "/api/collections/main/objects/?limit=5";
	const char *hows[] = { "bearer", "x-api-key", "basic" };

	assert_true(strncmp(key, "tx_", 3) == 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(req("GET", p, hows[i], key, NULL)->status, 200);
		assert_int_equal(req("GET", p, hows[i], "tx_not-the-key", NULL)->status,
				 401);
	}
	/* read-only: no POST, even to its own collection */
	assert_int_equal(req("POST", "/api/collections/main/objects/", "x-api-key",
			     key, "{\"objects\":[]}")->status, 403);
	/* only its collections */
	char path[160];
	snprintf(path, sizeof(path), "/api/collections/%s/objects/", other);
	assert_int_equal(req("GET", path, "bearer", key, NULL)->status, 404);
	struct resp *r = req("GET", "/api/collections/", "basic", key, NULL);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, N.coll));
	assert_null(strstr(r->body, other));
	assert_non_null(strstr(r->body, "\"can_write\":false"));
}

/* Paged as taxii2-client does (follow next while more); every page with
 * objects has the date headers; an empty page is {} without them. */
static void test_pages(void **state)
{
	char path[512], next[128] = "";
	int total = 0, pages = 0;

	for (;;) {
		snprintf(path, sizeof(path), "/api/collections/main/objects/?limit=100%s%s",
			 next[0] ? "&next=" : "", next);
		struct resp *r = req("GET", path, "basic", key, NULL);
		assert_int_equal(r->status, 200);
		json_t *env = json_loads(r->body, 0, NULL);
		assert_non_null(env);
		size_t n = json_array_size(json_object_get(env, "objects"));
		assert_true(n > 0);
		assert_true(has_header(r, "X-TAXII-Date-Added-First"));
		assert_true(has_header(r, "X-TAXII-Date-Added-Last"));
		total += (int)n;
		pages++;
		const char *nx = json_string_value(json_object_get(env, "next"));
		int more = json_is_true(json_object_get(env, "more"));
		if (more) {
			assert_non_null(nx);
			snprintf(next, sizeof(next), "%s", nx);
		}
		json_decref(env);
		if (!more)
			break;
		assert_true(pages < 10);
	}
	assert_int_equal(total, 250);
	assert_int_equal(pages, 3);
	struct resp *r = req("GET", "/api/collections/main/objects/?added_after="
			     "2100-01-01T00:00:00Z", "x-api-key", key, NULL);
	assert_int_equal(r->status, 200);
	json_t *env = json_loads(r->body, 0, NULL);
	assert_true(json_is_object(env));
	assert_int_equal(json_array_size(json_object_get(env, "objects")), 0);
	assert_false(json_is_true(json_object_get(env, "more")));
	json_decref(env);
	assert_false(has_header(r, "X-TAXII-Date-Added-First"));
}

static void test_list_and_revoke(void **state)
{
	const char *ls[] = { "key", "list", "--dir", N.dir, NULL };
	const char *rv[] = { "key", "revoke", "--dir", N.dir, "--name", "splunk", NULL };
	const char *bad[] = { "key", "create", "--dir", N.dir, "--name", "x",
			      "--collection", "nowhere", NULL };
	const char *name[] = { "user", "add", "--dir", N.dir, "--name", "key-x",
			       "--password-stdin", NULL };
	const char *audit[] = { "audit", "list", "--dir", N.dir, "--action",
				"key.create", NULL };
	char *out = NULL, *err = NULL;

	assert_int_equal(run_trilex(ls, NULL, &out, NULL), 0);
	const char *line = strstr(out, "splunk");
	assert_non_null(line);
	assert_null(strstr(out, key));
	{
		char nm[32], created[32], used[32], expires[32], colls[64];
		assert_int_equal(sscanf(line, "%31s %31s %31s %31s %63s", nm, created,
					used, expires, colls), 5);
		assert_string_not_equal(used, "never");
		assert_string_not_equal(expires, "never");
		assert_string_equal(colls, "main");
	}
	free(out);
	assert_int_equal(run_trilex(bad, NULL, NULL, &err), 1);
	assert_non_null(strstr(err, "nowhere"));
	free(err);
	assert_int_equal(run_trilex(name, "a fine password 1\n", NULL, &err), 1);
	assert_non_null(strstr(err, "reserved for API keys"));
	free(err);
	assert_int_equal(run_trilex(audit, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "splunk"));
	assert_null(strstr(out, key));
	free(out);
	assert_int_equal(run_trilex(rv, NULL, &out, NULL), 0);
	free(out);
	const char *p = "/api/collections/main/objects/?limit=1";
	assert_int_equal(req("GET", p, "bearer", key, NULL)->status, 401);
	assert_int_equal(req("GET", p, "x-api-key", key, NULL)->status, 401);
	assert_int_equal(req("GET", p, "basic", key, NULL)->status, 401);
	assert_int_equal(run_trilex(rv, NULL, NULL, &err), 1);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_ways),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_list_and_revoke),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
