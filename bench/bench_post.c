/*
 * bench/bench_post.c: ingest over HTTPS, and a readiness probe.
 *
 *   bench_post post URL CAFILE TOKEN FILE BATCH
 *       Split the objects of FILE into envelopes of BATCH objects (made
 *       before the clock starts), POST them one after the other on one
 *       keep-alive connection to URL (a collection's objects/ endpoint),
 *       and check every answer is 202 with no failures. One GET before
 *       the clock starts opens the connection (TLS handshake untimed).
 *       Prints objects, seconds, objects_per_s, posts, successes,
 *       failures.
 *   bench_post probe URL CAFILE TOKEN
 *       Exit 0 when a GET of URL answers 200.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"

#define TAXII_TYPE "application/taxii+json;version=2.1"

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

/* An easy handle set up for URL with the bench's TLS and headers. */
static CURL *make_handle(const char *url, const char *cafile,
			 struct curl_slist *hdrs, struct tx_buf *body)
{
	CURL *h = curl_easy_init();

	if (h == NULL)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, cafile);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	return h;
}

static struct curl_slist *headers(const char *token)
{
	char auth[512];
	struct curl_slist *h = NULL;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	h = curl_slist_append(h, "Accept: " TAXII_TYPE);
	h = curl_slist_append(h, "Content-Type: " TAXII_TYPE);
	h = curl_slist_append(h, "Expect:");
	return curl_slist_append(h, auth);
}

static int cmd_probe(const char *url, const char *cafile, const char *token)
{
	struct curl_slist *hdrs = headers(token);
	struct tx_buf body;
	long code = 0;
	CURL *h;

	tx_buf_init(&body, 1 << 20);
	if ((h = make_handle(url, cafile, hdrs, &body)) == NULL)
		return 1;
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	tx_buf_free(&body);
	return code == 200 ? 0 : 1;
}

static int cmd_post(const char *url, const char *cafile, const char *token,
		    const char *file, size_t batch)
{
	struct curl_slist *hdrs = headers(token);
	struct tx_buf resp;
	json_error_t jerr;
	json_t *root = NULL, *objects;
	char **bodies = NULL;
	size_t n = 0, n_env = 0, failures = 0, successes = 0;
	double t0, t1;
	CURL *h = NULL;
	int rc = 1;

	tx_buf_init(&resp, 64 << 20);
	if ((root = json_load_file(file, 0, &jerr)) == NULL) {
		fprintf(stderr, "%s:%d: %s\n", file, jerr.line, jerr.text);
		goto out;
	}
	objects = json_object_get(root, "objects");
	n = json_array_size(objects);
	n_env = (n + batch - 1) / batch;
	if ((bodies = calloc(n_env ? n_env : 1, sizeof(*bodies))) == NULL)
		goto out;
	for (size_t e = 0; e < n_env; e++) {
		json_t *arr = json_array(), *env;
		for (size_t i = e * batch; i < n && i < (e + 1) * batch; i++)
			json_array_append(arr, json_array_get(objects, i));
		env = json_pack("{s:o}", "objects", arr);
		bodies[e] = env ? json_dumps(env, JSON_COMPACT) : NULL;
		json_decref(env);
		if (bodies[e] == NULL)
			goto out;
	}
	if ((h = make_handle(url, cafile, hdrs, &resp)) == NULL)
		goto out;
	/* One GET first, so the TLS handshake is not in the timing: the
	 * figure is for a client that keeps its connection open. */
	if (curl_easy_perform(h) != CURLE_OK) {
		fprintf(stderr, "GET %s: cannot connect\n", url);
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	t0 = now_s();
	for (size_t e = 0; e < n_env; e++) {
		long code = 0;
		CURLcode cc;
		json_t *st;

		resp.len = 0;
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, bodies[e]);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(bodies[e]));
		if ((cc = curl_easy_perform(h)) != CURLE_OK) {
			fprintf(stderr, "POST %zu: %s\n", e, curl_easy_strerror(cc));
			goto out;
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		st = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
		if (code != 202 || st == NULL) {
			fprintf(stderr, "POST %zu: HTTP %ld: %.300s\n", e, code,
				resp.data ? resp.data : "");
			json_decref(st);
			goto out;
		}
		successes += (size_t)json_integer_value(json_object_get(st, "success_count"));
		failures += (size_t)json_integer_value(json_object_get(st, "failure_count"));
		if (failures && json_array_size(json_object_get(st, "failures")))
			fprintf(stderr, "POST %zu: first failure: %.300s\n", e,
				json_string_value(json_object_get(json_array_get(
					json_object_get(st, "failures"), 0), "message")));
		json_decref(st);
	}
	t1 = now_s();
	printf("objects %zu\nseconds %.4f\nobjects_per_s %.0f\nposts %zu\n"
	       "successes %zu\nfailures %zu\n", n, t1 - t0, (double)n / (t1 - t0),
	       n_env, successes, failures);
	rc = failures ? 1 : 0;
out:
	for (size_t e = 0; bodies && e < n_env; e++)
		free(bodies[e]);
	free(bodies);
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	tx_buf_free(&resp);
	json_decref(root);
	return rc;
}

int main(int argc, char **argv)
{
	int64_t batch;
	int rc = 2;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (argc == 7 && strcmp(argv[1], "post") == 0 &&
	    tx_parse_int64(argv[6], 1, 1000000, &batch) == TX_OK)
		rc = cmd_post(argv[2], argv[3], argv[4], argv[5], (size_t)batch);
	else if (argc == 5 && strcmp(argv[1], "probe") == 0)
		rc = cmd_probe(argv[2], argv[3], argv[4]);
	else
		fprintf(stderr, "usage: bench_post post URL CAFILE TOKEN FILE BATCH\n"
			"       bench_post probe URL CAFILE TOKEN\n");
	curl_global_cleanup();
	return rc;
}
