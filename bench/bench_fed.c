/*
 * bench/bench_fed.c: how fast alerts cross the partnership.
 *
 *   bench_fed latency N SENDER RECEIVER...   each NODE is BASE,CAFILE,TOKEN
 *       posts N one-object envelopes to the sender's collection "main",
 *       one every 2 ms, then reads when each arrived in every receiver's
 *       inbox-JP (its date_added there) and prints p50, p99 and max of
 *       (arrival - moment the POST started), per receiver.
 *   bench_fed alerts N GAP_MS SENDER RECEIVER...
 *       the same with alerts (a report labelled trilex-alert and the
 *       indicator it groups, GREEN), one every GAP_MS: the priority lane.
 *   bench_fed count NODE COLLECTION
 *       prints the number of object versions in a collection.
 *   bench_fed wait NODE COLLECTION ID TIMEOUT_S
 *       waits until object ID is in the collection; prints the seconds.
 *       Delivery keeps date_added order, so the last object sent arriving
 *       means all have (check with count afterwards); polling one object
 *       keeps the probe from loading the receiver.
 *
 *   bench_fed probe
 *       the machine's speed: for each CPU in turn, the milliseconds it
 *       takes for a fixed piece of work (BLAKE2b over 32 MB), best of
 *       three. On this VM one virtual CPU is often 30-100% slower than the
 *       other for minutes at a time (its host core is shared), and the
 *       federation figures move with it: the probe says which state a
 *       run met.
 *
 * Sender and receivers run on this machine, so their clocks are one.
 */
#include <curl/curl.h>
#include <sched.h>
#include <sodium.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"

struct node {
	char base[256], ca[1024], token[128];
};

static int parse_node(const char *spec, struct node *n)
{
	const char *c1 = strchr(spec, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;

	if (!c2)
		return -1;
	snprintf(n->base, sizeof(n->base), "%.*s", (int)(c1 - spec), spec);
	snprintf(n->ca, sizeof(n->ca), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
	snprintf(n->token, sizeof(n->token), "%s", c2 + 1);
	return 0;
}

static size_t sink(char *d, size_t s, size_t m, void *cls)
{
	return tx_buf_append(cls, d, s * m) == TX_OK ? s * m : 0;
}

static long call(CURL *h, const struct node *n, const char *method,
		 const char *path, const char *body, struct tx_buf *out)
{
	struct curl_slist *hd = NULL;
	char url[2048], auth[256];
	long code = 0;

	snprintf(url, sizeof(url), "%s%s", n->base, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", n->token);
	hd = curl_slist_append(hd, auth);
	hd = curl_slist_append(hd, "Accept: application/taxii+json;version=2.1");
	hd = curl_slist_append(hd, "Content-Type: application/taxii+json;version=2.1");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_CAINFO, n->ca);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	if (body == NULL)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	out->len = 0;
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hd);
	return code;
}

/* id -> date_added (us) of every object in a collection's manifest. */
static json_t *manifest(CURL *h, const struct node *n, const char *coll)
{
	json_t *map = json_object();
	struct tx_buf b;
	char path[512], next[128] = "";

	tx_buf_init(&b, 0);
	for (;;) {
		snprintf(path, sizeof(path), "/api/collections/%s/manifest/?limit=1000"
			 "&match[version]=all%s%s", coll, next[0] ? "&next=" : "", next);
		if (call(h, n, "GET", path, NULL, &b) != 200)
			break;
		json_t *env = json_loadb(b.data, b.len, 0, NULL), *m;
		size_t i;
		json_array_foreach(json_object_get(env, "objects"), i, m) {
			int64_t us = 0;
			tx_time_parse(json_string_value(json_object_get(m, "date_added")),
				      &us, NULL);
			json_object_set_new(map, json_string_value(json_object_get(m, "id")),
					    json_integer(us));
		}
		int more = json_is_true(json_object_get(env, "more"));
		if (more)
			snprintf(next, sizeof(next), "%s",
				 json_string_value(json_object_get(env, "next")));
		json_decref(env);
		if (!more)
			break;
	}
	tx_buf_free(&b);
	return map;
}

/* The date_added (us) of object id in coll on n, or -1. */
static int64_t added_at(CURL *h, const struct node *n, const char *coll,
			const char *id)
{
	struct tx_buf b;
	char path[512];
	int64_t us = -1;

	tx_buf_init(&b, 0);
	snprintf(path, sizeof(path), "/api/collections/%s/manifest/?match[id]=%s",
		 coll, id);
	if (call(h, n, "GET", path, NULL, &b) == 200) {
		json_t *env = json_loadb(b.data, b.len, 0, NULL);
		const char *t = json_string_value(json_object_get(json_array_get(
			json_object_get(env, "objects"), 0), "date_added"));
		if (t == NULL || tx_time_parse(t, &us, NULL) != TX_OK)
			us = -1;
		json_decref(env);
	}
	tx_buf_free(&b);
	return us;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* alerts: each envelope an alert (a report labelled trilex-alert and the
 * indicator it groups), one every gap_ms, its report's arrival timed. */
static int latency(int n, int alerts, int gap_ms, int argc, char **argv)
{
	struct node s, r;
	CURL *h = curl_easy_init();
	struct tx_buf b;
	int64_t *t0 = calloc((size_t)n, sizeof(*t0));
	uint32_t salt;
	char body[2048], id[96], ind[96];
	const char *probe_id = alerts ? "report--%08x-0000-4000-8000-%012d" :
		"indicator--%08x-0000-4000-8000-%012d";

	if (parse_node(argv[0], &s) != 0 || t0 == NULL)
		return 2;
	tx_buf_init(&b, 0);
	salt = (uint32_t)tx_time_now_us();
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "indicator--%08x-0000-4000-8000-%012d", salt, i);
		snprintf(body, sizeof(body), "{\"objects\":[{\"type\":\"indicator\","
			 "\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":"
			 "\"2026-01-01T00:00:00.000Z\",\"modified\":"
			 "\"2026-01-01T00:00:00.000Z\",\"name\":\"latency probe\","
			 "\"pattern\":\"[ipv4-addr:value = '10.9.%d.%d']\","
			 "\"pattern_type\":\"stix\",\"valid_from\":"
			 "\"2026-01-01T00:00:00Z\",\"object_marking_refs\":"
			 "[\"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421\"]}]}",
			 id, (i >> 8) & 255, i & 255);
		if (alerts) {
			snprintf(ind, sizeof(ind), "indicator--%08x-0000-4000-9000-%012d",
				 salt, i);
			snprintf(id, sizeof(id), probe_id, salt, i);
			snprintf(body, sizeof(body), "{\"objects\":[{\"type\":\"indicator\","
				 "\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":"
				 "\"2026-01-01T00:00:00.000Z\",\"modified\":"
				 "\"2026-01-01T00:00:00.000Z\",\"name\":\"alert probe\","
				 "\"pattern\":\"[ipv4-addr:value = '10.8.%d.%d']\","
				 "\"pattern_type\":\"stix\",\"valid_from\":"
				 "\"2026-01-01T00:00:00Z\",\"object_marking_refs\":"
				 "[\"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421\"]},"
				 "{\"type\":\"report\",\"spec_version\":\"2.1\",\"id\":\"%s\","
				 "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":"
				 "\"2026-01-01T00:00:00.000Z\",\"name\":\"alert probe\","
				 "\"published\":\"2026-01-01T00:00:00Z\",\"labels\":"
				 "[\"trilex-alert\"],\"object_refs\":[\"%s\"],"
				 "\"object_marking_refs\":"
				 "[\"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421\"]}]}",
				 ind, (i >> 8) & 255, i & 255, id, ind);
		}
		t0[i] = tx_time_now_us();
		if (call(h, &s, "POST", "/api/collections/main/objects/", body, &b) !=
		    202) {
			fprintf(stderr, "POST %d failed\n", i);
			return 1;
		}
		sleep_ms(gap_ms);
	}
	for (int k = 1; k < argc; k++) {
		int64_t *lat = calloc((size_t)n, sizeof(*lat));
		json_t *map = NULL;
		int got = 0;
		if (parse_node(argv[k], &r) != 0 || lat == NULL)
			return 2;
		for (int tries = 0; tries < 300; tries++) {
			json_decref(map);
			map = manifest(h, &r, "inbox-JP");
			got = 0;
			for (int i = 0; i < n; i++) {
				snprintf(id, sizeof(id), probe_id, salt, i);
				json_t *v = json_object_get(map, id);
				if (v)
					lat[got++] = json_integer_value(v) - t0[i];
			}
			if (got == n)
				break;
			sleep_ms(100);
		}
		qsort(lat, (size_t)got, sizeof(*lat), cmp64);
		printf("receiver %d arrived %d of %d p50_ms %.2f p99_ms %.2f max_ms %.2f\n",
		       k, got, n, got ? lat[got / 2] / 1000.0 : -1,
		       got ? lat[(int)(got * 0.99)] / 1000.0 : -1,
		       got ? lat[got - 1] / 1000.0 : -1);
		json_decref(map);
		free(lat);
	}
	tx_buf_free(&b);
	curl_easy_cleanup(h);
	free(t0);
	return 0;
}

static long count(CURL *h, const struct node *n, const char *coll)
{
	json_t *m = manifest(h, n, coll);
	long c = (long)json_object_size(m);

	json_decref(m);
	return c;
}

static double probe_ms(void)
{
	static unsigned char buf[65536];
	unsigned char h[32] = { 0 };
	double best = 1e9;

	for (int r = 0; r < 3; r++) {
		int64_t t0 = tx_time_now_us();
		for (int k = 0; k < 512; k++) {
			buf[0] = h[0];
			crypto_generichash(h, sizeof(h), buf, sizeof(buf), NULL, 0);
		}
		double ms = (double)(tx_time_now_us() - t0) / 1e3;
		if (ms < best)
			best = ms;
	}
	return best;
}

int main(int argc, char **argv)
{
	struct node n;
	CURL *h;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	if (argc == 2 && strcmp(argv[1], "probe") == 0) {
		cpu_set_t all, one;
		const char *sep = "";
		if (sched_getaffinity(0, sizeof(all), &all) != 0)
			return 1;
		for (int c = 0; c < CPU_SETSIZE; c++) {
			if (!CPU_ISSET(c, &all))
				continue;
			CPU_ZERO(&one);
			CPU_SET(c, &one);
			if (sched_setaffinity(0, sizeof(one), &one) != 0)
				continue;
			printf("%scpu%d %.1f ms", sep, c, probe_ms());
			sep = ", ";
		}
		printf("\n");
		sched_setaffinity(0, sizeof(all), &all);
		return 0;
	}
	if (argc >= 5 && strcmp(argv[1], "latency") == 0)
		return latency(atoi(argv[2]), 0, 2, argc - 3, argv + 3);
	if (argc >= 6 && strcmp(argv[1], "alerts") == 0)
		return latency(atoi(argv[2]), 1, atoi(argv[3]), argc - 4, argv + 4);
	if (argc == 4 && strcmp(argv[1], "count") == 0 && parse_node(argv[2], &n) == 0) {
		printf("%ld\n", count(h, &n, argv[3]));
		return 0;
	}
	if (argc == 6 && strcmp(argv[1], "wait") == 0 && parse_node(argv[2], &n) == 0) {
		long timeout = atol(argv[5]);
		int64_t t0 = tx_time_now_us();
		struct tx_buf b;
		char path[512];
		tx_buf_init(&b, 0);
		snprintf(path, sizeof(path), "/api/collections/%s/objects/%s/", argv[3],
			 argv[4]);
		while (call(h, &n, "GET", path, NULL, &b) != 200) {
			if (tx_time_now_us() - t0 > timeout * 1000000LL) {
				printf("timeout\n");
				return 1;
			}
			sleep_ms(50);
		}
		printf("%.3f\n", (tx_time_now_us() - t0) / 1e6);
		tx_buf_free(&b);
		return 0;
	}
	if (argc == 8 && strcmp(argv[1], "span") == 0) {
		/* seconds from FIRST's date_added on node A to LAST's on B */
		struct node b;
		if (parse_node(argv[2], &n) != 0 || parse_node(argv[4], &b) != 0)
			return 2;
		int64_t t0 = added_at(h, &n, argv[3], argv[6]);
		int64_t t1 = added_at(h, &b, argv[5], argv[7]);
		if (t0 < 0 || t1 < 0)
			return 1;
		printf("%.3f\n", (t1 - t0) / 1e6);
		return 0;
	}
	fprintf(stderr, "usage: bench_fed latency N SENDER RECEIVER... |"
		" alerts N GAP_MS SENDER RECEIVER... |"
		" probe | count NODE COLL | wait NODE COLL ID TIMEOUT_S |"
		" span NODE_A COLL_A NODE_B COLL_B FIRST_ID LAST_ID\n");
	return 2;
}
