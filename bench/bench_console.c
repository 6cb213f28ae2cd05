/*
 * bench/bench_console.c: console page times.
 *
 *   bench_console fill DIR N      store N synthetic objects in DIR's node
 *                                 (indicators with a unique IP and words,
 *                                 1 in 100 an attack pattern, 1 in 1000 an
 *                                 alert) straight through the store, in
 *                                 batches of 1000
 *   bench_console time BASE CACERT USER PASSWORD REPS
 *                                 sign in, then GET home, search (an IP, an
 *                                 ATT&CK id, a word), an object page, its
 *                                 graph, the supply-chain page and the
 *                                 alert list REPS times each over one
 *                                 keep-alive connection; print p50 and p99
 *                                 of each answer's time from the request
 *                                 sent to the last byte read (server time
 *                                 plus loopback transfer), in ms
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static int fill(const char *dir, long n)
{
	char path[4096], sid[TX_UUID_BUF], id[96], name[128], desc[256], pat[128];
	struct store_collection c;
	struct tx_error err = { 0 };
	struct store_item *items = calloc(1000, sizeof(*items));
	json_t **objs = calloc(1000, sizeof(*objs));
	tx_store *st = NULL;

	snprintf(path, sizeof(path), "%s/trilex.db", dir);
	if (store_open(path, 0, &st, &err) != TX_OK ||
	    store_collection_ensure(st, "Intel", "", "intel", &c, &err) != TX_OK) {
		fprintf(stderr, "bench_console: %s\n", err.msg);
		return 1;
	}
	static const char *const words[] = { "harbour", "crane", "beacon",
		"turbine", "substation", "pipeline", "rail", "water" };
	for (long done = 0; done < n;) {
		size_t k = 0;
		for (; k < 1000 && done < n; k++, done++) {
			json_t *o;
			snprintf(id, sizeof(id), "indicator--00000000-0000-4000-8000-%012ld", done);
			if (done % 1000 == 999) {
				snprintf(id, sizeof(id), "report--00000000-0000-4000-8000-%012ld", done);
				o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s], s:[s]}",
					      "type", "report", "spec_version", "2.1", "id", id,
					      "created", "2024-01-01T00:00:00.000Z", "modified",
					      "2024-01-01T00:00:00.000Z", "name", "Alert", "published",
					      "2024-01-01T00:00:00.000Z", "report_types", "threat-report",
					      "labels", "trilex-alert", "object_refs",
					      "indicator--00000000-0000-4000-8000-000000000001");
			} else if (done % 100 == 50) {
				snprintf(id, sizeof(id), "attack-pattern--00000000-0000-4000-8000-%012ld", done);
				snprintf(name, sizeof(name), "T%04ld", done % 10000);
				o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "type",
					      "attack-pattern", "spec_version", "2.1", "id", id,
					      "created", "2024-01-01T00:00:00.000Z", "modified",
					      "2024-01-01T00:00:00.000Z", "name", name,
					      "external_references", "source_name", "mitre-attack",
					      "external_id", name);
			} else {
				snprintf(name, sizeof(name), "Indicator %ld %s", done, words[done % 8]);
				snprintf(desc, sizeof(desc), "Seen near the %s and the %s, case %ld",
					 words[(done / 8) % 8], words[(done / 64) % 8], done);
				snprintf(pat, sizeof(pat), "[ipv4-addr:value = '10.%ld.%ld.%ld']",
					 (done >> 16) & 255, (done >> 8) & 255, done & 255);
				o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
					      "type", "indicator", "spec_version", "2.1", "id", id,
					      "created", "2024-01-01T00:00:00.000Z", "modified",
					      "2024-01-01T00:00:00.000Z", "name", name, "description",
					      desc, "pattern", pat, "pattern_type", "stix",
					      "valid_from", "2024-01-01T00:00:00Z");
			}
			objs[k] = o;
			memset(&items[k], 0, sizeof(items[k]));
			items[k].obj = o;
			items[k].id = json_string_value(json_object_get(o, "id"));
		}
		if (store_put_objects(st, c.pk, NULL, items, k, sid, &err) != TX_OK) {
			fprintf(stderr, "bench_console: %s\n", err.msg);
			return 1;
		}
		for (size_t i = 0; i < k; i++)
			json_decref(objs[i]);
	}
	store_close(st);
	free(items);
	free(objs);
	return 0;
}

struct sink {
	char *p;
	size_t len;
	char cookie[256];
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	char *q = realloc(s->p, s->len + size * n + 1);

	if (q == NULL)
		return 0;
	memcpy(q + s->len, p, size * n);
	s->len += size * n;
	q[s->len] = '\0';
	s->p = q;
	return size * n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char csrf[80];

static double get(CURL *c, const char *base, const char *path, const char *post,
		  long *status)
{
	struct sink s = { 0 };
	char url[1024];
	double pre = 0, first = 0;

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	if (post)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	else
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_getinfo(c, CURLINFO_PRETRANSFER_TIME, &pre);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &first);
	if (s.p) {
		const char *f = strstr(s.p, "name=\"csrf\" value=\"");
		if (f)
			snprintf(csrf, sizeof(csrf), "%.64s", f + 19);
	}
	free(s.p);
	return (first - pre) * 1000.0;
}

static int timing(const char *base, const char *cacert, const char *user,
		  const char *pw, int reps)
{
	static const char *const pages[][2] = {
		{ "home", "/console/" },
		{ "alert list", "/console/alerts" },
		{ "search IP", "/console/search?q=10.1.2.3" },
		{ "search ATT&CK id", "/console/search?q=T0050" },
		{ "search word", "/console/search?q=harbour+crane" },
		{ "object page", "/console/object/indicator--00000000-0000-4000-8000-000000000001" },
		{ "graph", "/console/graph/indicator--00000000-0000-4000-8000-000000000001" },
		{ "supply chain", "/console/supply" },
	};
	CURL *c = curl_easy_init();
	double *t = calloc((size_t)reps, sizeof(double));
	char form[512];
	long status = 0;

	curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
	get(c, base, "/console/signin", NULL, &status);
	snprintf(form, sizeof(form), "csrf=%s&user=%s&password=%s", csrf, user, pw);
	get(c, base, "/console/signin", form, &status);
	if (status != 303) {
		fprintf(stderr, "bench_console: sign-in answered %ld\n", status);
		return 1;
	}
	for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
		/* every page as often: the supply page reads the store's index
		 * of supply objects (store/supplyidx.c), no longer every
		 * indicator (seconds at 1M before it) */
		int n = reps;
		for (int i = 0; i < n; i++) {
			t[i] = get(c, base, pages[p][1], NULL, &status);
			if (status != 200 || t[i] < 0) {
				fprintf(stderr, "bench_console: %s answered %ld\n",
					pages[p][1], status);
				return 1;
			}
		}
		qsort(t, (size_t)n, sizeof(double), cmp);
		printf("%-18s p50 %7.2f ms  p99 %7.2f ms%s\n", pages[p][0],
		       t[n / 2], t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1],
		       n < reps ? " (fewer requests)" : "");
	}
	free(t);
	curl_easy_cleanup(c);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "fill") == 0)
		return fill(argv[2], strtol(argv[3], NULL, 10));
	if (argc == 7 && strcmp(argv[1], "time") == 0) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		return timing(argv[2], argv[3], argv[4], argv[5], atoi(argv[6]));
	}
	fprintf(stderr, "usage: bench_console fill DIR N | time BASE CACERT USER"
		" PASSWORD REPS\n");
	return 2;
}
