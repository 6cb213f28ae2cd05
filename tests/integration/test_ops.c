/*
 * Operations: GET /metrics (who may read it, and its counters move with
 * requests, objects, refusals and deliveries to a partner), /healthz and
 * /readyz; one log line per request in each format, to a file reopened on
 * SIGHUP, escaped, with no password or token in it. Bounded: a handful of
 * objects, loopback, waits of at most 30 s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "harness.h"

#define OBJECTS "/api/collections/main/objects/"

/* The value of the series line that starts with series (name and labels,
 * exactly) in a metrics page, or -1 when there is none. */
static double series(const char *page, const char *name)
{
	size_t n = strlen(name);
	const char *p = page;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == page || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return -1;
}

/* GET /metrics as auth; the page (caller frees) or NULL unless 200. */
static char *scrape(const struct node *n, const char *auth)
{
	struct http_resp r;
	char ct[128];
	char *page = NULL;

	if (http(n, "GET", "/metrics", auth, "", NULL, NULL, 0, &r) == 0 &&
	    r.status == 200 && http_header(&r, "Content-Type", ct, sizeof(ct)) &&
	    strncmp(ct, "text/plain; version=0.0.4", 25) == 0) {
		page = r.body;
		r.body = NULL;
	}
	http_free(&r);
	return page;
}

static long post(const struct node *n, const char *body)
{
	struct http_resp r;
	long status;

	assert_int_equal(http(n, "POST", OBJECTS, "token", NULL, NULL, body,
			      strlen(body), &r), 0);
	status = r.status;
	http_free(&r);
	return status;
}

static void test_metrics_access_and_counters(void **state)
{
	struct node n;
	struct http_resp r;
	char *page;
	double before, after;

	assert_int_equal(node_create(&n, NULL), 0);
	assert_int_equal(node_start(&n), 0);

	/* health: no account needed */
	assert_int_equal(http(&n, "GET", "/healthz", NULL, "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	http_free(&r);
	assert_int_equal(http(&n, "GET", "/readyz", NULL, "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);

	/* /metrics: no account 401, a reader 403, wrong password 401 */
	assert_int_equal(http(&n, "GET", "/metrics", NULL, "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 401);
	assert_null(strstr(r.body, "trilex_http_requests_total"));
	http_free(&r);
	assert_int_equal(http(&n, "GET", "/metrics", "reader", "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 403);
	http_free(&r);
	assert_int_equal(http(&n, "GET", "/metrics", "bad", "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 401);
	http_free(&r);

	assert_non_null(page = scrape(&n, "token"));
	before = series(page, "trilex_http_requests_total{route=\"/taxii2/\",status=\"200\"}");
	assert_true(series(page, "trilex_objects{collection=\"main\"}") == 0);
	assert_true(series(page, "trilex_ingest_rejected_objects_total{reason=\"invalid\"}") == 0);
	assert_true(series(page, "trilex_db_bytes") > 0);
	assert_true(series(page, "trilex_alert_stream_clients") == 0);
	free(page);

	/* three GETs of discovery, one valid object, one invalid, one bad pattern */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(http(&n, "GET", "/taxii2/", "token", NULL, NULL,
				      NULL, 0, &r), 0);
		assert_int_equal(r.status, 200);
		http_free(&r);
	}
	json_t *good = make_indicator(1, "2026-01-01T00:00:00.000Z");
	json_t *bad = make_indicator(2, "2026-01-01T00:00:00.000Z");
	json_t *pat = make_indicator(3, "2026-01-01T00:00:00.000Z");
	json_object_set_new(bad, "valid_from", json_string("yesterday"));
	json_object_set_new(pat, "pattern", json_string("[file:name = "));
	json_t *env = json_pack("{s:[o,o,o]}", "objects", good, bad, pat);
	char *body = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	assert_true(post(&n, body) < 300);
	free(body);

	assert_non_null(page = scrape(&n, "token"));
	after = series(page, "trilex_http_requests_total{route=\"/taxii2/\",status=\"200\"}");
	/* node_start's own probe is a GET of /taxii2/ too */
	assert_true(after - (before < 0 ? 0 : before) >= 3);
	assert_true(series(page, "trilex_http_request_duration_seconds_count"
			   "{route=\"/taxii2/\"}") >= 3);
	assert_true(series(page, "trilex_http_request_duration_seconds_bucket"
			   "{route=\"/taxii2/\",le=\"+Inf\"}") >= 3);
	assert_true(series(page, "trilex_http_requests_total{route="
			   "\"/{api-root}/collections/{id}/objects/\",status=\"202\"}") == 1);
	assert_true(series(page, "trilex_objects{collection=\"main\"}") == 1);
	assert_true(series(page, "trilex_ingest_rejected_objects_total{reason=\"invalid\"}") == 1);
	assert_true(series(page, "trilex_ingest_rejected_objects_total{reason=\"pattern\"}") == 1);
	assert_true(series(page, "trilex_http_requests_total{route=\"/metrics\",status=\"401\"}") == 2);
	assert_true(series(page, "trilex_http_requests_total{route=\"/metrics\",status=\"403\"}") == 1);
	/* a path nobody serves is "other", never the path itself */
	free(page);
	assert_int_equal(http(&n, "GET", "/no/such/path-123", "token", NULL, NULL,
			      NULL, 0, &r), 0);
	http_free(&r);
	assert_non_null(page = scrape(&n, "token"));
	assert_null(strstr(page, "path-123"));
	assert_true(series(page, "trilex_http_requests_total{route=\"other\",status=\"404\"}") == 1);
	free(page);

	/* readyz: a damaged identity key makes the node not ready */
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/identity.key", n.dir);
	size_t klen = 0;
	char *key = slurp(path, &klen);
	assert_non_null(key);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(http(&n, "GET", "/readyz", NULL, "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 503);
	http_free(&r);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(key, 1, klen, f);
	fclose(f);
	free(key);
	assert_int_equal(http(&n, "GET", "/readyz", NULL, "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);

	assert_int_equal(node_stop(&n), 0);
	node_destroy(&n);
}

/* metrics_allow: a listed address reads /metrics without an account; an
 * unlisted one does not. */
static void test_metrics_allow(void **state)
{
	struct node n;
	struct http_resp r;
	char *page;

	assert_int_equal(node_create(&n, "\"metrics_allow\": \"192.0.2.0/24, 127.0.0.0/8\""), 0);
	assert_int_equal(node_start(&n), 0);
	assert_non_null(page = scrape(&n, NULL));
	assert_non_null(strstr(page, "trilex_db_bytes"));
	free(page);
	/* credentials given are still checked: a wrong password is refused */
	assert_int_equal(http(&n, "GET", "/metrics", "bad", "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 401);
	http_free(&r);
	assert_int_equal(node_stop(&n), 0);
	node_destroy(&n);

	assert_int_equal(node_create(&n, "\"metrics_allow\": \"192.0.2.7\""), 0);
	assert_int_equal(node_start(&n), 0);
	assert_int_equal(http(&n, "GET", "/metrics", NULL, "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 401);
	http_free(&r);
	assert_int_equal(node_stop(&n), 0);
	node_destroy(&n);

	/* a bad entry: check-config names it */
	assert_int_equal(node_create(&n, "\"metrics_allow\": \"10.0.0.0/8, nonsense\""), 0);
	const char *check[] = { "check-config", "--dir", n.dir, NULL };
	char *err = NULL;
	assert_int_not_equal(run_trilex(check, NULL, NULL, &err), 0);
	assert_non_null(strstr(err, "metrics_allow: \"nonsense\""));
	free(err);
	node_destroy(&n);
}

struct delivered {
	double min;
};

static int partner_delivered(const struct node *n, void *arg)
{
	struct delivered *d = arg;
	char *page = scrape(n, "token");
	int ok;

	if (page == NULL)
		return 0;
	ok = series(page, "trilex_partner_delivered_objects_total{party=\"UK\"}") >= d->min &&
	     series(page, "trilex_partner_backlog_objects{party=\"UK\"}") == 0 &&
	     series(page, "trilex_partner_last_success_timestamp_seconds{party=\"UK\"}") > 0;
	free(page);
	return ok;
}

/* Partner series: backlog and lag while the partner is down, delivered
 * and last success once it is up. */
/* GET path of n as its admin (bearer token), with If-None-Match when
 * if_none is not NULL; the status, and the ETag in etag (or ""). */
static long get_as_admin(const struct node *n, const char *path,
			 const char *if_none, char *etag, size_t etag_n)
{
	struct curl_slist *h = NULL;
	char url[512], line[256], hdrs[4096] = "";
	long status = 0;
	FILE *sink = fopen("/dev/null", "w");
	FILE *hf = fmemopen(hdrs, sizeof(hdrs) - 1, "w");
	CURL *c = curl_easy_init();
	const char *e;

	assert_non_null(c);
	assert_non_null(sink);
	assert_non_null(hf);
	snprintf(url, sizeof(url), "%s%s", n->base, path);
	snprintf(line, sizeof(line), "Authorization: Bearer %s", n->token);
	h = curl_slist_append(h, line);
	if (if_none) {
		snprintf(line, sizeof(line), "If-None-Match: %s", if_none);
		h = curl_slist_append(h, line);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, n->cacert);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, hf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	fclose(hf);
	fclose(sink);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	etag[0] = '\0';
	if ((e = strcasestr(hdrs, "\nETag: ")) != NULL)
		snprintf(etag, etag_n, "%.*s", (int)strcspn(e + 7, "\r\n"), e + 7);
	return status;
}

/* The feed and export counters of /metrics move: a feed's polls, pages,
 * objects by result, errors and last success (a feed from the node to
 * itself, and one with a wrong token); an export format's requests, 304s
 * and objects, and the MISP feed's. */
static void test_metrics_feeds_and_exports(void **state)
{
	struct node n;
	char url[128], etag[128], etag2[128], *page, *out = NULL;
	json_t *objs = json_array(), *env;

	assert_int_equal(node_create(&n, NULL), 0);
	assert_int_equal(node_start(&n), 0);
	for (int i = 0; i < 5; i++)
		json_array_append_new(objs, make_indicator(700 + i, NULL));
	env = json_pack("{s:o}", "objects", objs);
	char *body = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	assert_int_equal(post(&n, body), 202);
	free(body);
	assert_int_equal(count_objects(&n, "main", NULL), 5);

	assert_non_null(page = scrape(&n, "token"));
	assert_true(series(page, "trilex_export_requests_total{format=\"csv\"}") == 0);
	assert_true(series(page, "trilex_feed_polls_total{feed=\"self\"}") == -1);
	free(page);

	/* a feed from this node to itself, and one that fails */
	snprintf(url, sizeof(url), "%s/api/", n.base);
	const char *add[] = { "feed", "add", "--dir", n.dir, "--name", "self",
			      "--url", url, "--collection", n.coll, "--token",
			      n.token, "--cacert", n.cacert, "--into", "main", NULL };
	assert_int_equal(run_trilex(add, NULL, NULL, NULL), 0);
	const char *bad[] = { "feed", "add", "--dir", n.dir, "--name", "bad-one",
			      "--url", url, "--collection", n.coll, "--token",
			      "not-a-token", "--cacert", n.cacert, "--into", "main",
			      NULL };
	assert_int_equal(run_trilex(bad, NULL, NULL, NULL), 0);
	const char *run[] = { "feed", "run", "--dir", n.dir, "self", NULL };
	assert_int_equal(run_trilex(run, NULL, &out, NULL), 0);
	free(out);
	out = NULL;
	assert_int_equal(run_trilex(run, NULL, &out, NULL), 0);
	free(out);
	const char *run_bad[] = { "feed", "run", "--dir", n.dir, "bad-one", NULL };
	assert_int_not_equal(run_trilex(run_bad, NULL, NULL, NULL), 0);

	/* an export, again with its ETag (304), and a MISP feed file */
	assert_int_equal(get_as_admin(&n, "/trilex/v1/export/csv", NULL, etag,
				      sizeof(etag)), 200);
	assert_true(etag[0] != '\0');
	assert_int_equal(get_as_admin(&n, "/trilex/v1/export/csv", etag, etag2,
				      sizeof(etag2)), 304);
	assert_int_equal(get_as_admin(&n, "/trilex/v1/misp-feed/main/manifest.json",
				      NULL, etag2, sizeof(etag2)), 200);

	assert_non_null(page = scrape(&n, "token"));
	printf("# %s\n", strstr(page, "# HELP trilex_feed_polls_total"));
	/* two by `feed run`; serve's own schedule may have polled too */
	assert_true(series(page, "trilex_feed_polls_total{feed=\"self\"}") >= 2);
	assert_true(series(page, "trilex_feed_errors_total{feed=\"self\"}") == 0);
	assert_true(series(page, "trilex_feed_pages_total{feed=\"self\"}") >= 2);
	/* serve polls a new feed at once; when that poll and the first
	 * `feed run` overlap, both start from the empty cursor and each
	 * receives the 5 (seen under make sanitize): every object received
	 * is counted, and every one was present */
	double received = series(page, "trilex_feed_objects_total{feed=\"self\",result=\"received\"}");
	assert_true(received >= 5 && fmod(received, 5) == 0);
	assert_true(series(page, "trilex_feed_objects_total{feed=\"self\",result=\"present\"}") == received);
	assert_true(series(page, "trilex_feed_objects_total{feed=\"self\",result=\"added\"}") == 0);
	assert_true(series(page, "trilex_feed_last_success_timestamp_seconds{feed=\"self\"}") >
		    (double)time(NULL) - 3600);
	/* the failed feed: its poll counted, and as an error */
	double bad_polls = series(page, "trilex_feed_polls_total{feed=\"bad-one\"}");
	assert_true(bad_polls >= 1);
	assert_true(series(page, "trilex_feed_errors_total{feed=\"bad-one\"}") == bad_polls);
	assert_true(series(page, "trilex_feed_last_success_timestamp_seconds{feed=\"bad-one\"}") == 0);
	assert_true(series(page, "trilex_export_requests_total{format=\"csv\"}") == 2);
	assert_true(series(page, "trilex_export_not_modified_total{format=\"csv\"}") == 1);
	assert_true(series(page, "trilex_export_objects_total{format=\"csv\"}") == 5);
	assert_true(series(page, "trilex_export_requests_total{format=\"misp-feed\"}") == 1);
	assert_true(series(page, "trilex_export_requests_total{format=\"zeek\"}") == 0);
	free(page);
	assert_int_equal(node_stop(&n), 0);
	node_destroy(&n);
}

static void test_metrics_partner(void **state)
{
	struct node jp, uk;
	struct delivered d = { 1 };
	char *page;

	assert_int_equal(node_create(&jp, NULL), 0);
	assert_int_equal(node_create_as(&uk, "UK", NULL), 0);
	assert_int_equal(node_pair(&jp, &uk), 0);
	assert_int_equal(node_start(&jp), 0);

	json_t *o = make_indicator(7, "2026-01-01T00:00:00.000Z");
	json_t *env = json_pack("{s:[o]}", "objects", o);
	char *body = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	assert_true(post(&jp, body) < 300);
	free(body);

	/* UK is not serving: the object waits */
	assert_non_null(page = scrape(&jp, "token"));
	assert_true(series(page, "trilex_partner_backlog_objects{party=\"UK\"}") == 1);
	assert_true(series(page, "trilex_partner_lag_seconds{party=\"UK\"}") >= 0);
	assert_true(series(page, "trilex_partner_delivered_objects_total{party=\"UK\"}") == 0);
	free(page);

	assert_int_equal(node_start(&uk), 0);
	assert_true(wait_for(partner_delivered, &jp, &d, 30000));
	assert_int_equal(node_stop(&uk), 0);
	assert_int_equal(node_stop(&jp), 0);
	node_destroy(&uk);
	node_destroy(&jp);
}

/* The request lines of a log text. */
static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Syslog output (log_output "syslog:PATH", the same code as "syslog",
 * which sends to /dev/log): the test binds the datagram socket and reads
 * what serve sent. Each line is one RFC 3164 message of facility daemon
 * (<30> is daemon.info), tagged trilex[PID]; a request's values are
 * escaped (a newline and an escape in the path stay one line) and no
 * password or token is in any of them. */
static void test_request_log_syslog(void **state)
{
	struct node n;
	struct http_resp r;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 1, 0 };
	char tmpl[] = "/tmp/trilex-syslog-XXXXXX", conf[256], tag[64];
	char msg[8192], all[65536] = "";
	size_t used = 0;
	int fd, n_msgs = 0, found = 0;

	assert_non_null(mkdtemp(tmpl));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/log", tmpl);
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(conf, sizeof(conf), "\"log_output\": \"syslog:%s\"", sa.sun_path);
	assert_int_equal(node_create(&n, conf), 0);
	assert_int_equal(node_start(&n), 0);
	assert_int_equal(http(&n, "GET", "/api/collections/", "admin", NULL, NULL,
			      NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	assert_int_equal(http(&n, "GET", "/api/collections/", "token", NULL, NULL,
			      NULL, 0, &r), 0);
	http_free(&r);
	assert_int_equal(http(&n, "GET", "/taxii2/%0aforged%1b[31m", "bad", NULL,
			      NULL, NULL, 0, &r), 0);
	http_free(&r);
	snprintf(tag, sizeof(tag), " trilex[%d]: ", (int)n.pid);
	/* until the escaped line came, or 10 quiet reads (10 s) */
	for (int quiet = 0; quiet < 10 && !found;) {
		ssize_t k = recv(fd, msg, sizeof(msg) - 1, 0);
		if (k <= 0) {
			quiet++;
			continue;
		}
		msg[k] = '\0';
		n_msgs++;
		printf("# syslog: %s\n", msg);
		/* one message is one line: "<PRI>Mmm dd hh:mm:ss trilex[PID]: ..." */
		assert_true(msg[0] == '<');
		assert_non_null(strstr(msg, tag));
		assert_null(strchr(msg, '\n'));
		assert_null(strchr(msg, '\x1b'));
		if (used + (size_t)k + 2 < sizeof(all)) {
			memcpy(all + used, msg, (size_t)k);
			used += (size_t)k;
			all[used++] = '\n';
			all[used] = '\0';
		}
		if (strstr(msg, "path=\"/taxii2/\\nforged\\x1b[31m\" status=400"))
			found = 1;
	}
	assert_int_equal(node_stop(&n), 0);
	close(fd);
	unlink(sa.sun_path);
	rmdir(tmpl);
	assert_true(found);
	assert_non_null(strstr(all, "<30>"));
	assert_non_null(strstr(all, " info request addr=127.0.0.1 user=admin"
			       " method=GET path=/api/collections/ status=200 bytes="));
	/* never a password or a token */
	assert_null(strstr(all, ADMIN_PASSWORD));
	assert_null(strstr(all, n.token));
	assert_null(strstr(all, "wrong password"));
	node_destroy(&n);
}

static void test_request_log_text(void **state)
{
	struct node n;
	struct http_resp r;
	char path[PATH_MAX + 32];
	char *log;

	assert_int_equal(node_create(&n, NULL), 0);
	assert_int_equal(node_start(&n), 0);
	assert_int_equal(http(&n, "GET", "/api/collections/", "admin", NULL, NULL,
			      NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	assert_int_equal(http(&n, "GET", "/api/collections/", "token", NULL, NULL,
			      NULL, 0, &r), 0);
	http_free(&r);
	/* a path with a newline and an escape: one line, escaped */
	assert_int_equal(http(&n, "GET", "/taxii2/%0aforged%1b[31m", NULL, NULL,
			      NULL, NULL, 0, &r), 0);
	http_free(&r);
	assert_int_equal(node_stop(&n), 0);
	snprintf(path, sizeof(path), "%s/serve.log", n.dir);
	assert_non_null(log = slurp(path, NULL));
	assert_non_null(strstr(log, " info request addr=127.0.0.1 user=admin"
			       " method=GET path=/api/collections/ status=200 bytes="));
	assert_non_null(strstr(log, "duration_ms="));
	assert_non_null(strstr(log, "path=\"/taxii2/\\nforged\\x1b[31m\" status=400"));
	assert_null(strstr(log, "\nforged"));
	assert_null(strstr(log, "\x1b"));
	/* never a password or a token */
	assert_null(strstr(log, ADMIN_PASSWORD));
	assert_null(strstr(log, n.token));
	free(log);
	node_destroy(&n);

	/* log_requests 0: none */
	assert_int_equal(node_create(&n, "\"log_requests\": 0"), 0);
	assert_int_equal(node_start(&n), 0);
	assert_int_equal(node_stop(&n), 0);
	snprintf(path, sizeof(path), "%s/serve.log", n.dir);
	assert_non_null(log = slurp(path, NULL));
	assert_int_equal(count(log, " request addr="), 0);
	free(log);
	node_destroy(&n);
}

/* Every line of text parses as a JSON object; the request lines (msg
 * "request") are counted in *n_requests. */
static int json_lines(char *text, int *n_requests, const char *want_path)
{
	int found = 0;

	*n_requests = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		json_t *j = json_loads(line, 0, NULL);
		if (!json_is_object(j)) {
			fprintf(stderr, "not a JSON line: %s\n", line);
			return -1;
		}
		if (json_object_get(j, "time") == NULL ||
		    json_object_get(j, "level") == NULL)
			return -1;
		if (strcmp(json_string_value(json_object_get(j, "msg")), "request") == 0) {
			(*n_requests)++;
			if (want_path && strcmp(json_string_value(json_object_get(j, "path")),
						want_path) == 0 &&
			    json_integer_value(json_object_get(j, "status")) > 0 &&
			    json_object_get(j, "duration_ms") != NULL &&
			    json_object_get(j, "bytes") != NULL &&
			    json_object_get(j, "addr") != NULL)
				found = 1;
		}
		json_decref(j);
	}
	return found;
}

static int file_exists(const struct node *n, void *arg)
{
	return access(arg, F_OK) == 0;
}

struct file_needle {
	const char *path;
	const char *needle;
};

/* The request line is written when the answer has gone out, so a client
 * can hold the answer before the line is in the file. */
static int file_has(const struct node *n, void *arg)
{
	const struct file_needle *fn = arg;
	char *text = slurp(fn->path, NULL);
	int found = text && strstr(text, fn->needle) != NULL;

	free(text);
	return found;
}

static void test_request_log_json_file_and_sighup(void **state)
{
	struct node n;
	struct http_resp r;
	char path[PATH_MAX + 32], moved[PATH_MAX + 32];
	char *log;
	int reqs = 0;

	assert_int_equal(node_create(&n, "\"log_format\": \"json\","
				     " \"log_output\": \"trilex.log\""), 0);
	assert_int_equal(node_start(&n), 0);
	snprintf(path, sizeof(path), "%s/trilex.log", n.dir);
	snprintf(moved, sizeof(moved), "%s/trilex.log.1", n.dir);
	/* a quote and a backslash in a path, and bytes past ASCII */
	assert_int_equal(http(&n, "GET", "/a%22b%5cc%c3%a9", NULL, NULL, NULL,
			      NULL, 0, &r), 0);
	http_free(&r);
	/* the odd path's line is in the file before it is moved away */
	assert_true(wait_for(file_has, &n, &(struct file_needle){
		path, "\"path\":\"/a\\\"b\\\\c\\u00c3\\u00a9\""}, 10000));
	/* rotation: move the file away, SIGHUP, the next lines go to a new one */
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(kill(n.pid, SIGHUP), 0);
	assert_true(wait_for(file_exists, &n, path, 10000));
	assert_int_equal(http(&n, "GET", "/after-rotation", NULL, NULL, NULL,
			      NULL, 0, &r), 0);
	http_free(&r);
	assert_int_equal(node_stop(&n), 0);

	assert_non_null(log = slurp(moved, NULL));
	/* each byte past ASCII is one \u00XX: é (c3 a9) reads back as two */
	assert_int_equal(json_lines(log, &reqs, "/a\"b\\c\xc3\x83\xc2\xa9"), 1);
	free(log);
	assert_non_null(log = slurp(moved, NULL));
	/* the escaped form, as a JSON string holds it */
	assert_non_null(strstr(log, "\"path\":\"/a\\\"b\\\\c\\u00c3\\u00a9\""));
	assert_int_equal(json_lines(log, &reqs, NULL), 0);
	assert_true(reqs >= 2); /* node_start's probe and the odd path */
	free(log);
	assert_non_null(log = slurp(path, NULL));
	assert_non_null(strstr(log, "SIGHUP: log file opened again"));
	assert_int_equal(json_lines(log, &reqs, "/after-rotation"), 1);
	free(log);
	node_destroy(&n);
}

static void test_request_log_logfmt(void **state)
{
	struct node n;
	struct http_resp r;
	char path[PATH_MAX + 32];
	char *log;

	assert_int_equal(node_create(&n, "\"log_format\": \"logfmt\""), 0);
	assert_int_equal(node_start(&n), 0);
	assert_int_equal(http(&n, "GET", "/taxii2/", "reader", NULL, NULL, NULL, 0,
			      &r), 0);
	http_free(&r);
	assert_int_equal(node_stop(&n), 0);
	snprintf(path, sizeof(path), "%s/serve.log", n.dir);
	assert_non_null(log = slurp(path, NULL));
	assert_non_null(strstr(log, " level=info msg=request addr=127.0.0.1"
			       " user=reader method=GET path=/taxii2/ status=200"));
	assert_non_null(strstr(log, "level=info msg=\"node JP serving"));
	assert_int_equal(strncmp(log, "time=", 5), 0);
	assert_null(strstr(log, READER_PASSWORD));
	free(log);
	node_destroy(&n);
}

static int log_has(const struct node *n, void *arg)
{
	char path[PATH_MAX + 32];
	char *log;
	int found;

	snprintf(path, sizeof(path), "%s/serve.log", n->dir);
	if ((log = slurp(path, NULL)) == NULL)
		return 0;
	found = strstr(log, arg) != NULL;
	free(log);
	return found;
}

/* The first hour's mistakes get messages that say what to do. */
/* A TCP connection to n's port (-1 on failure). */
static int tcp_connect(const struct node *n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd;

	sa.sin_port = htons((unsigned short)n->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send req in plain text to n's HTTPS port and read the whole answer
 * (at most n - 1 bytes, NUL-terminated; the node closes after it). */
static size_t plain_request(const struct node *n, const char *req, char *buf,
			    size_t cap)
{
	struct timeval tv = { 20, 0 };
	size_t got = 0;
	ssize_t k;
	int fd = tcp_connect(n);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (got + 1 < cap && (k = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)k;
	buf[got] = '\0';
	close(fd);
	return got;
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Plain HTTP on the HTTPS port gets one plain 400 with a TAXII error body
 * naming the https:// address (the request's Host when it is a plain
 * host, never anything else it sent); HTTPS is served as before; silent
 * clients do not hold the accept path: with plain_http_peek_ms at 8 s and
 * four silent connections open, plain HTTP and HTTPS are answered within
 * 6 s (a peek of one socket at a time would take 32 s). */
static void test_plain_http_on_https_port(void **state)
{
	struct node n;
	struct http_resp r;
	char buf[2048], want[128];
	int silent[4];

	assert_int_equal(node_create(&n, "\"plain_http_peek_ms\": 8000"), 0);
	assert_int_equal(node_start(&n), 0);

	assert_true(plain_request(&n, "GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1:"
				  "1\r\n\r\n", buf, sizeof(buf)) > 0);
	printf("# plain HTTP answer:\n%s\n", buf);
	assert_int_equal(strncmp(buf, "HTTP/1.1 400 ", 13), 0);
	assert_non_null(strstr(buf, "Content-Type: application/taxii+json;version=2.1\r\n"));
	assert_non_null(strstr(buf, "\"this port speaks HTTPS: use https://127.0.0.1:1/\""));
	assert_non_null(strstr(buf, "\"http_status\":\"400\""));
	/* a Host with a port of none: the node's; with a quote: not echoed */
	assert_true(plain_request(&n, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n",
				  buf, sizeof(buf)) > 0);
	snprintf(want, sizeof(want), "use https://localhost:%d/\"", n.port);
	assert_non_null(strstr(buf, want));
	assert_true(plain_request(&n, "GET / HTTP/1.1\r\nHost: a\"b<c>\r\n\r\n",
				  buf, sizeof(buf)) > 0);
	snprintf(want, sizeof(want), "use https://127.0.0.1:%d/\"", n.port);
	assert_non_null(strstr(buf, want));
	assert_null(strstr(buf, "a\"b"));
	assert_null(strstr(buf, "<c>"));
	assert_true(wait_for(log_has, &n, "a client speaking plain HTTP to this"
			     " HTTPS port (addr=127.0.0.1) was answered 400", 5000));

	/* silent clients, then plain HTTP and HTTPS at once */
	for (int i = 0; i < 4; i++)
		assert_true((silent[i] = tcp_connect(&n)) >= 0);
	int64_t t0 = ms_now();
	assert_true(plain_request(&n, "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
				  buf, sizeof(buf)) > 0);
	long plain_ms = (long)(ms_now() - t0);
	assert_int_equal(strncmp(buf, "HTTP/1.1 400 ", 13), 0);
	t0 = ms_now();
	assert_int_equal(http(&n, "GET", "/taxii2/", "token", NULL, NULL, NULL, 0,
			      &r), 0);
	long tls_ms = (long)(ms_now() - t0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	fprintf(stderr, "plain http: with 4 silent connections held, plain"
		" HTTP answered in %ld ms, HTTPS in %ld ms (peek 8000 ms)\n",
		plain_ms, tls_ms);
	assert_true(plain_ms < 6000);
	assert_true(tls_ms < 6000);
	for (int i = 0; i < 4; i++)
		close(silent[i]);
	assert_int_equal(node_stop(&n), 0);
	node_destroy(&n);
}

static void test_first_hour_messages(void **state)
{
	struct node n;
	char url[128], *err = NULL;

	assert_int_equal(node_create(&n, NULL), 0);
	assert_int_equal(node_start(&n), 0);

	/* trilex's own client: http:// and an untrusted certificate */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/", n.port);
	const char *get_http[] = { "get", "--url", url, "--token", n.token,
				   "--collection", "main", NULL };
	assert_int_not_equal(run_trilex(get_http, NULL, NULL, &err), 0);
	assert_non_null(strstr(err, "must start with https://"));
	free(err);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/api/", n.port);
	const char *get_tls[] = { "get", "--url", url, "--token", n.token,
				  "--collection", "main", NULL };
	err = NULL;
	assert_int_not_equal(run_trilex(get_tls, NULL, NULL, &err), 0);
	assert_non_null(strstr(err, "--cacert"));
	free(err);
	assert_int_equal(node_stop(&n), 0);

	/* no node in the folder: say init; a missing option: name it */
	char none[PATH_MAX + 16];
	snprintf(none, sizeof(none), "%s.none", n.dir);
	const char *info[] = { "info", "--dir", none, NULL };
	err = NULL;
	assert_int_not_equal(run_trilex(info, NULL, NULL, &err), 0);
	assert_non_null(strstr(err, "trilex init --dir"));
	free(err);
	const char *init[] = { "init", "--dir", none, "--party", "JP", NULL };
	err = NULL;
	assert_int_not_equal(run_trilex(init, NULL, NULL, &err), 0);
	assert_non_null(strstr(err, "--name NAME is required"));
	free(err);
	node_destroy(&n);
}

/*
 * Idle, the server's background threads sleep: the connection reaper until
 * a connection's deadline (none open), the audit writer until a read is
 * queued. Before, each woke every 100 ms (some 30 times in 3 s each).
 */
static void test_idle_wakeups(void **state)
{
	struct timespec settle = { 1, 0 }, idle = { 3, 0 };
	const char *reaper = "trilex_server_wakeups_total{thread=\"reaper\"}";
	const char *audit = "trilex_server_wakeups_total{thread=\"audit\"}";
	double r0, r1, a0, a1;
	struct node n;
	char *page;

	assert_int_equal(node_create(&n, "\"metrics_allow\": \"127.0.0.0/8\""), 0);
	assert_int_equal(node_start(&n), 0);
	nanosleep(&settle, NULL);
	assert_non_null(page = scrape(&n, NULL));
	r0 = series(page, reaper);
	a0 = series(page, audit);
	free(page);
	assert_true(r0 >= 0 && a0 >= 0);
	nanosleep(&idle, NULL);
	assert_non_null(page = scrape(&n, NULL));
	r1 = series(page, reaper);
	a1 = series(page, audit);
	free(page);
	print_message("idle 3 s: reaper woke %.0f times, audit writer %.0f\n",
		      r1 - r0, a1 - a0);
	/* the scrapes' own connections wake the reaper once or twice */
	assert_true(r1 - r0 <= 5);
	assert_true(a1 - a0 <= 2);
	node_destroy(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_access_and_counters),
		cmocka_unit_test(test_metrics_allow),
		cmocka_unit_test(test_metrics_partner),
		cmocka_unit_test(test_metrics_feeds_and_exports),
		cmocka_unit_test(test_request_log_text),
		cmocka_unit_test(test_request_log_syslog),
		cmocka_unit_test(test_request_log_json_file_and_sighup),
		cmocka_unit_test(test_request_log_logfmt),
		cmocka_unit_test(test_plain_http_on_https_port),
		cmocka_unit_test(test_first_hour_messages),
		cmocka_unit_test(test_idle_wakeups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
