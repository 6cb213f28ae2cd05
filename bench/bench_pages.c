/*
 * bench/bench_pages.c: concurrent paging through a collection over HTTPS.
 *
 *   bench_pages URL CAFILE TOKEN SECONDS CONNECTIONS LIMIT [REQUESTS]
 *
 * URL is a collection's objects/ endpoint. Each of CONNECTIONS threads has
 * its own easy handle (so its own keep-alive TLS connection) and walks the
 * collection with GET URL?limit=LIMIT[&next=TOKEN], following next tokens
 * and starting again at the beginning when more is false, until SECONDS
 * have passed, or (with REQUESTS) each thread has answered REQUESTS /
 * CONNECTIONS pages: a fixed load, for instruction counts (bench/run-audit). Objects are counted by a small JSON scanner (top-level
 * members of the "objects" list); the first page of each thread is also
 * parsed in full with jansson to check the scanner. Prints "key value"
 * lines: requests, objects, seconds, requests_per_s, objects_per_s,
 * mbytes_per_s, p50_ms, p99_ms, errors, walks, client_cpu_s.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/core.h"

#define TAXII_TYPE "application/taxii+json;version=2.1"
#define MAX_LAT 2000000

struct worker {
	pthread_t thread;
	const char *url, *cafile;
	struct curl_slist *hdrs;
	long limit;
	double deadline;
	long max_requests; /* 0: until the deadline */
	/* results */
	long requests, objects, errors, walks;
	double bytes;
	float *lat_ms;   /* owned; one latency per request, up to MAX_LAT */
	long n_lat;
	int bad_count;   /* scanner disagreed with jansson */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	return tx_buf_append(ctx, data, size * n) == TX_OK ? size * n : 0;
}

/*
 * The number of members of the list that is the value of a top-level key
 * (the page's "objects"): values that start at depth 2. Strings are
 * skipped with their escapes, so braces inside them do not count.
 */
static long count_objects(const char *s, size_t len)
{
	long n = 0;
	int depth = 0, in_str = 0, want_value = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			break;
		case '{':
		case '[':
			if (depth == 2 && want_value)
				n++;
			depth++;
			want_value = depth == 2 && c == '[';
			break;
		case '}':
		case ']':
			depth--;
			break;
		case ',':
			want_value = depth == 2;
			break;
		default:
			break;
		}
	}
	return n;
}

/* The next token at the end of a page, copied into tok; 0 when none. */
static int find_next(const char *s, size_t len, char *tok, size_t toksz)
{
	static const char key[] = "\"more\":true,\"next\":\"";
	size_t from = len > 256 ? len - 256 : 0;
	const char *p = NULL, *q;

	for (const char *f = s + from; (f = strstr(f, key)) != NULL; f++)
		p = f;
	if (p == NULL)
		return 0;
	p += sizeof(key) - 1;
	if ((q = strchr(p, '"')) == NULL || (size_t)(q - p) >= toksz)
		return 0;
	memcpy(tok, p, (size_t)(q - p));
	tok[q - p] = '\0';
	return 1;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct tx_buf body;
	char url[2048], next[128] = "";
	int checked = 0;
	CURL *h = curl_easy_init();

	tx_buf_init(&body, 256 << 20);
	if (h == NULL) {
		w->errors++;
		return NULL;
	}
	curl_easy_setopt(h, CURLOPT_CAINFO, w->cafile);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, w->hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	while (now_s() < w->deadline &&
	       (w->max_requests == 0 || w->requests < w->max_requests)) {
		long code = 0, n;
		double t0 = now_s(), t1;

		if (next[0])
			snprintf(url, sizeof(url), "%s?limit=%ld&next=%s", w->url,
				 w->limit, next);
		else
			snprintf(url, sizeof(url), "%s?limit=%ld", w->url, w->limit);
		body.len = 0;
		curl_easy_setopt(h, CURLOPT_URL, url);
		if (curl_easy_perform(h) != CURLE_OK) {
			w->errors++;
			next[0] = '\0';
			continue;
		}
		t1 = now_s();
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (code != 200 || body.data == NULL) {
			if (w->errors++ == 0)
				fprintf(stderr, "GET %s: HTTP %ld: %.200s\n", url, code,
					body.data ? body.data : "");
			next[0] = '\0';
			continue;
		}
		n = count_objects(body.data, body.len);
		if (!checked) {
			json_t *v = json_loadb(body.data, body.len, 0, NULL);
			if ((long)json_array_size(json_object_get(v, "objects")) != n)
				w->bad_count = 1;
			json_decref(v);
			checked = 1;
		}
		w->requests++;
		w->objects += n;
		w->bytes += (double)body.len;
		if (w->n_lat < MAX_LAT)
			w->lat_ms[w->n_lat++] = (float)((t1 - t0) * 1000);
		if (!find_next(body.data, body.len, next, sizeof(next))) {
			next[0] = '\0';
			w->walks++;
		}
	}
	curl_easy_cleanup(h);
	tx_buf_free(&body);
	return NULL;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct curl_slist *hdrs = NULL;
	struct worker *w = NULL;
	struct rusage ru;
	int64_t seconds, conns, limit, max_requests = 0;
	long requests = 0, objects = 0, errors = 0, walks = 0, n_lat = 0;
	double bytes = 0, t0, t1;
	float *lat = NULL;
	char auth[512];
	int bad = 0, rc = 1;

	if ((argc != 7 && argc != 8) || tx_parse_int64(argv[4], 1, 3600, &seconds) ||
	    tx_parse_int64(argv[5], 1, 256, &conns) ||
	    tx_parse_int64(argv[6], 1, 100000, &limit) ||
	    (argc == 8 && tx_parse_int64(argv[7], 1, 100000000, &max_requests))) {
		fprintf(stderr, "usage: bench_pages URL CAFILE TOKEN SECONDS"
			" CONNECTIONS LIMIT\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", argv[3]);
	hdrs = curl_slist_append(hdrs, "Accept: " TAXII_TYPE);
	hdrs = curl_slist_append(hdrs, auth);
	if ((w = calloc((size_t)conns, sizeof(*w))) == NULL)
		goto out;
	t0 = now_s();
	for (int i = 0; i < conns; i++) {
		w[i].url = argv[1];
		w[i].cafile = argv[2];
		w[i].hdrs = hdrs;
		w[i].limit = (long)limit;
		w[i].deadline = t0 + (double)seconds;
		w[i].max_requests = (long)((max_requests + conns - 1) / conns);
		if ((w[i].lat_ms = malloc(MAX_LAT * sizeof(float))) == NULL ||
		    pthread_create(&w[i].thread, NULL, run, &w[i]) != 0) {
			fprintf(stderr, "cannot start thread %d\n", i);
			conns = i;
			break;
		}
	}
	for (int i = 0; i < conns; i++)
		pthread_join(w[i].thread, NULL);
	t1 = now_s();
	for (int i = 0; i < conns; i++) {
		requests += w[i].requests;
		objects += w[i].objects;
		errors += w[i].errors;
		walks += w[i].walks;
		bytes += w[i].bytes;
		n_lat += w[i].n_lat;
		bad |= w[i].bad_count;
	}
	if ((lat = malloc((size_t)(n_lat ? n_lat : 1) * sizeof(float))) == NULL)
		goto out;
	n_lat = 0;
	for (int i = 0; i < conns; i++) {
		memcpy(lat + n_lat, w[i].lat_ms, (size_t)w[i].n_lat * sizeof(float));
		n_lat += w[i].n_lat;
	}
	qsort(lat, (size_t)n_lat, sizeof(float), cmp_float);
	getrusage(RUSAGE_SELF, &ru);
	printf("connections %ld\nrequests %ld\nobjects %ld\nseconds %.3f\n"
	       "requests_per_s %.0f\nobjects_per_s %.0f\nmbytes_per_s %.1f\n"
	       "p50_ms %.2f\np99_ms %.2f\nerrors %ld\nwalks %ld\n"
	       "client_cpu_s %.2f\n", (long)conns, requests, objects, t1 - t0,
	       requests / (t1 - t0), objects / (t1 - t0), bytes / (t1 - t0) / 1e6,
	       n_lat ? lat[n_lat / 2] : 0.0, n_lat ? lat[n_lat * 99 / 100] : 0.0,
	       errors, walks,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	if (bad)
		fprintf(stderr, "warning: object counter disagrees with jansson\n");
	rc = errors || bad || requests == 0;
out:
	for (int i = 0; w && i < conns; i++)
		free(w[i].lat_ms);
	free(w);
	free(lat);
	curl_slist_free_all(hdrs);
	curl_global_cleanup();
	return rc;
}
