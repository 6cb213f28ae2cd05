/*
 * End-to-end: the whole ICS ATT&CK bundle in and out again, and nothing
 * acknowledged lost when the server is killed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Push the 1,826-object bundle in one POST; page it back 100 at a time. */
static void test_ics_bundle_round_trip(void **state)
{
	char path[4096], q[1024], next[128] = "";
	struct http_resp r;
	json_t *bundle, *objs, *byid, *o;
	size_t i, n, got = 0, pages = 0;
	char *body;

	if (shared_path("data/stix/ics-attack-18.1.json", path, sizeof(path)) == NULL)
		skip();
	byid = json_object();
	assert_non_null(bundle = json_load_file(path, 0, NULL));
	objs = json_object_get(bundle, "objects");
	n = json_array_size(objs);
	assert_int_equal(n, 1826);
	json_array_foreach(objs, i, o)
		json_object_set(byid, json_string_value(json_object_get(o, "id")), o);
	json_t *env = json_pack("{s:O}", "objects", objs);
	body = json_dumps(env, JSON_COMPACT);
	assert_int_equal(http(&N, "POST", "/api/collections/main/objects/", "token",
			      NULL, NULL, body, strlen(body), &r), 0);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")),
			 1826);
	assert_int_equal(json_integer_value(json_object_get(r.json, "failure_count")), 0);
	http_free(&r);
	free(body);
	json_decref(env);

	for (;;) {
		snprintf(q, sizeof(q), "/api/collections/main/objects/?limit=100%s%s",
			 next[0] ? "&next=" : "", next);
		assert_int_equal(http(&N, "GET", q, "reader", NULL, NULL, NULL, 0, &r), 0);
		assert_int_equal(r.status, 200);
		pages++;
		json_array_foreach(json_object_get(r.json, "objects"), i, o) {
			const char *id = json_string_value(json_object_get(o, "id"));
			json_t *sent = json_object_get(byid, id);
			assert_non_null(sent);          /* sent, and only once */
			assert_true(json_equal(sent, o)); /* equal in content */
			json_object_del(byid, id);
			got++;
		}
		if (!json_is_true(json_object_get(r.json, "more"))) {
			http_free(&r);
			break;
		}
		snprintf(next, sizeof(next), "%s",
			 json_string_value(json_object_get(r.json, "next")));
		http_free(&r);
	}
	assert_int_equal(got, 1826);
	assert_int_equal(pages, 19);
	assert_int_equal(json_object_size(byid), 0);
	json_decref(byid);
	json_decref(bundle);
}

/* Concurrent writers: every 202 is stored, date_added strictly rising. */
struct writer {
	int base;
	int ok;
};

static void *write_batches(void *arg)
{
	struct writer *w = arg;

	for (int b = 0; b < 10; b++) {
		json_t *objs = json_array();
		for (int i = 0; i < 20; i++)
			json_array_append_new(objs, make_indicator(w->base + b * 20 + i,
								   NULL));
		json_t *env = json_pack("{s:o}", "objects", objs);
		char *body = json_dumps(env, JSON_COMPACT);
		struct http_resp r;
		if (http(&N, "POST", "/api/collections/main/objects/", "admin", NULL,
			 NULL, body, strlen(body), &r) == 0 && r.status == 202 &&
		    json_integer_value(json_object_get(r.json, "success_count")) == 20)
			w->ok += 20;
		http_free(&r);
		free(body);
		json_decref(env);
	}
	return NULL;
}

static void test_concurrent_writers_then_kill(void **state)
{
	pthread_t t[4];
	struct writer w[4];
	struct http_resp r;
	char q[256], prev[64] = "";

	for (int i = 0; i < 4; i++) {
		w[i].base = 500000 + i * 1000;
		w[i].ok = 0;
		pthread_create(&t[i], NULL, write_batches, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 200);
	}
	/* kill -9: what was acknowledged must survive */
	node_kill(&N);
	assert_int_equal(node_start(&N), 0);
	snprintf(q, sizeof(q), "/api/collections/main/manifest/?limit=1000"
		 "&match[type]=indicator");
	assert_int_equal(http(&N, "GET", q, "token", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	json_t *m, *objs = json_object_get(r.json, "objects");
	size_t i, found = 0;
	json_array_foreach(objs, i, m) {
		const char *id = json_string_value(json_object_get(m, "id"));
		const char *added = json_string_value(json_object_get(m, "date_added"));
		assert_true(strcmp(prev, added) < 0); /* strictly increasing */
		snprintf(prev, sizeof(prev), "%s", added);
		if (strncmp(id, "indicator--00000000-0000-4000-8000-0000005", 42) == 0)
			found++;
	}
	assert_int_equal(found, 800);
	http_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ics_bundle_round_trip),
		cmocka_unit_test(test_concurrent_writers_then_kill),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
