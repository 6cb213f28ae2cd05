/*
 * taxii/metrics.c: the server's counters, for GET /metrics.
 *
 * Design: one set of counters per process (a node serves from one
 * process), plain C11 atomics bumped with relaxed order: a request costs a
 * few atomic adds and no lock, no allocation. Requests are counted by
 * route and status, and their durations in a histogram per route. A
 * route is a fixed label ("/{api-root}/collections/{id}/objects/"), or an
 * extension row's own path; anything else is "other". Labels never hold a
 * path as a client sent it, so a scanner probing random paths cannot grow
 * the page (the set of series is fixed when the server starts).
 * Statuses outside the list below are counted under their class ("4xx").
 *
 * Also here: objects refused by ingest, by reason (taxii/ingest.c), the
 * alert stream clients connected now (taxii/server.c), and the exports
 * served (sensor formats and MISP feeds: requests, 304s, objects) by a
 * fixed set of format labels; and, with a read replica, where the GETs
 * that could go to it went (taxii/server.c's taxii_read_store).
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "taxii/internal.h"

enum {
	R_DISCOVERY,
	R_API_ROOT,
	R_COLLECTIONS,
	R_COLLECTION,
	R_OBJECTS,
	R_OBJECT,
	R_VERSIONS,
	R_MANIFEST,
	R_STATUS,
	R_STREAM,
	R_OTHER,
	R_FIXED
};

static const char *const fixed_labels[R_FIXED] = {
	"/taxii2/",
	"/{api-root}/",
	"/{api-root}/collections/",
	"/{api-root}/collections/{id}/",
	"/{api-root}/collections/{id}/objects/",
	"/{api-root}/collections/{id}/objects/{object-id}/",
	"/{api-root}/collections/{id}/objects/{object-id}/versions/",
	"/{api-root}/collections/{id}/manifest/",
	"/{api-root}/status/{id}/",
	"/trilex/v1/alerts/stream",
	"other",
};

/* The extension rows beyond this many share the label "other". */
#define EXT_ROUTES_MAX 64
#define N_ROUTES (R_FIXED + EXT_ROUTES_MAX)

static const unsigned codes[] = {
	200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 400, 401, 403, 404,
	405, 406, 409, 413, 415, 416, 422, 429, 431, 500, 501, 503,
};
#define N_CODES (sizeof(codes) / sizeof(codes[0]))
/* then one slot per class: 1xx .. 5xx */
#define N_STATUS (N_CODES + 5)

/* Upper bounds of the duration buckets, microseconds (+Inf after). */
static const int64_t bucket_us[] = {
	1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
	2500000, 5000000, 10000000, 30000000,
};
#define N_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct route_counts {
	atomic_uint_least64_t by_status[N_STATUS];
	atomic_uint_least64_t buckets[N_BUCKETS + 1]; /* not cumulative */
	atomic_uint_least64_t sum_us;
};

static struct route_counts routes[N_ROUTES];
static atomic_uint_least64_t rejects[TAXII_REJECT_N];
static atomic_int_least64_t stream_clients;
/* The extension rows of the server, for their labels (borrowed: they
 * outlive the server). */
static const struct taxii_ext *ext_rows;
static size_t n_ext_rows;

/* The export formats counted; any other name counts as "other". */
static const char *const export_names[] = {
	"suricata", "zeek", "csv", "iocs", "misp-feed", "other",
};
#define N_EXPORTS (sizeof(export_names) / sizeof(export_names[0]))

struct export_counts {
	atomic_uint_least64_t requests, not_modified, objects;
};
static struct export_counts exports[N_EXPORTS];

/* The export series of /metrics: one counter of struct export_counts each. */
static const struct {
	const char *name, *help;
	size_t offset;
} export_series[] = {
	{ "trilex_export_requests_total", "Export requests answered"
	  " (sensor formats, MISP feed files), by format.",
	  offsetof(struct export_counts, requests) },
	{ "trilex_export_not_modified_total", "Export requests answered 304"
	  " (the client's ETag was current), by format.",
	  offsetof(struct export_counts, not_modified) },
	{ "trilex_export_objects_total", "Objects in exports answered 200:"
	  " indicators for sensor formats, events for MISP feed event files,"
	  " by format.", offsetof(struct export_counts, objects) },
};
#define N_EXPORT_SERIES (sizeof(export_series) / sizeof(export_series[0]))

static const char *const reject_names[TAXII_REJECT_N] = {
	"not_object", "invalid", "pattern", "too_deep",
};

void taxii_metrics_init(const struct taxii_ext *exts, size_t n_exts)
{
	ext_rows = exts;
	n_ext_rows = n_exts < EXT_ROUTES_MAX ? n_exts : EXT_ROUTES_MAX;
}

/* Segments of path (between slashes, empty ones skipped): up to max of
 * them, as offsets and lengths; returns how many there are in all. */
static size_t segments(const char *path, size_t off[], size_t len[], size_t max)
{
	size_t n = 0, i = 0;

	while (path[i] != '\0') {
		size_t l;
		while (path[i] == '/')
			i++;
		if (path[i] == '\0')
			break;
		l = strcspn(path + i, "/");
		if (n < max) {
			off[n] = i;
			len[n] = l;
		}
		n++;
		i += l;
	}
	return n;
}

static int seg_is(const char *path, size_t off, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(path + off, s, len) == 0;
}

int taxii_metrics_route(const char *url, const char *api_root)
{
	size_t off[6], len[6], n;

	const struct taxii_ext *e = taxii_routes_ext_find(ext_rows, n_ext_rows, url,
						    NULL);

	if (e != NULL)
		return R_FIXED + (int)(e - ext_rows);
	if (strcmp(url, "/trilex/v1/alerts/stream") == 0)
		return R_STREAM;
	n = segments(url, off, len, 6);
	if (n == 1 && seg_is(url, off[0], len[0], "taxii2"))
		return R_DISCOVERY;
	if (n == 0 || n > 6 || !seg_is(url, off[0], len[0], api_root))
		return R_OTHER;
	if (n == 1)
		return R_API_ROOT;
	if (n == 3 && seg_is(url, off[1], len[1], "status"))
		return R_STATUS;
	if (!seg_is(url, off[1], len[1], "collections"))
		return R_OTHER;
	switch (n) {
	case 2: return R_COLLECTIONS;
	case 3: return R_COLLECTION;
	case 4:
		if (seg_is(url, off[3], len[3], "objects"))
			return R_OBJECTS;
		if (seg_is(url, off[3], len[3], "manifest"))
			return R_MANIFEST;
		return R_OTHER;
	case 5:
		return seg_is(url, off[3], len[3], "objects") ? R_OBJECT : R_OTHER;
	default:
		return seg_is(url, off[3], len[3], "objects") &&
		       seg_is(url, off[5], len[5], "versions") ? R_VERSIONS :
								  R_OTHER;
	}
}

void taxii_metrics_request(int route, unsigned status, int64_t duration_us)
{
	struct route_counts *r;
	size_t s = N_CODES + 4, b = 0;

	if (route < 0 || route >= N_ROUTES)
		route = R_OTHER;
	r = &routes[route];
	for (size_t i = 0; i < N_CODES; i++)
		if (codes[i] == status) {
			s = i;
			goto found;
		}
	if (status >= 100 && status < 600)
		s = N_CODES + status / 100 - 1;
found:
	if (duration_us < 0)
		duration_us = 0;
	while (b < N_BUCKETS && duration_us > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&r->by_status[s], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->sum_us, (uint_least64_t)duration_us,
				  memory_order_relaxed);
}

void taxii_metrics_reject(enum taxii_reject reason)
{
	if ((unsigned)reason < TAXII_REJECT_N)
		atomic_fetch_add_explicit(&rejects[reason], 1, memory_order_relaxed);
}

void taxii_metrics_export(const char *format, unsigned status, int64_t objects)
{
	size_t i = 0;

	while (i + 1 < N_EXPORTS && (format == NULL ||
				     strcmp(format, export_names[i]) != 0))
		i++;
	atomic_fetch_add_explicit(&exports[i].requests, 1, memory_order_relaxed);
	if (status == 304)
		atomic_fetch_add_explicit(&exports[i].not_modified, 1,
					  memory_order_relaxed);
	if (status == 200 && objects > 0)
		atomic_fetch_add_explicit(&exports[i].objects, (uint_least64_t)objects,
					  memory_order_relaxed);
}

void taxii_metrics_stream(int delta)
{
	atomic_fetch_add_explicit(&stream_clients, delta, memory_order_relaxed);
}

static atomic_uint_least64_t replica_reads[STORE_REPLICA_N];

void taxii_metrics_replica(int verdict)
{
	if (verdict >= 0 && verdict < STORE_REPLICA_N)
		atomic_fetch_add_explicit(&replica_reads[verdict], 1,
					  memory_order_relaxed);
}

static atomic_int_least64_t ingest_queued, ingest_running;

void taxii_metrics_ingest(int queued, int running)
{
	atomic_fetch_add_explicit(&ingest_queued, queued, memory_order_relaxed);
	atomic_fetch_add_explicit(&ingest_running, running, memory_order_relaxed);
}

static atomic_uint_least64_t wakeups[TAXII_THREAD_N];
static const char *const thread_names[TAXII_THREAD_N] = { "reaper", "audit" };

void taxii_metrics_wakeup(enum taxii_thread t)
{
	atomic_fetch_add_explicit(&wakeups[t], 1, memory_order_relaxed);
}

/* The label of route i; NULL for an extension slot without a row. */
static const char *route_label(size_t i, char *buf, size_t n)
{
	const char *p;

	if (i < R_FIXED)
		return fixed_labels[i];
	if (i - R_FIXED >= n_ext_rows)
		return NULL;
	p = ext_rows[i - R_FIXED].path;
	snprintf(buf, n, "%s%s", p[0] == '/' ? "" : EXT_PREFIX, p);
	return buf;
}

static void status_label(size_t s, char out[8])
{
	if (s < N_CODES)
		snprintf(out, 8, "%u", codes[s]);
	else
		/* a class digit 1-5 (s is below N_STATUS) */
		snprintf(out, 8, "%uxx", (unsigned)(s - N_CODES + 1) % 10u);
}

tx_err taxii_metrics_text(struct tx_buf *out)
{
	char label[600], st[8];
	tx_err rc = TX_OK;

	rc = tx_buf_puts(out,
		"# HELP trilex_http_requests_total HTTP requests answered, by route"
		" and status.\n"
		"# TYPE trilex_http_requests_total counter\n");
	for (size_t i = 0; i < N_ROUTES && rc == TX_OK; i++) {
		const char *l = route_label(i, label, sizeof(label));
		if (l == NULL)
			continue;
		for (size_t s = 0; s < N_STATUS && rc == TX_OK; s++) {
			uint_least64_t v = atomic_load_explicit(
				&routes[i].by_status[s], memory_order_relaxed);
			if (v == 0)
				continue;
			status_label(s, st);
			rc = tx_buf_printf(out, "trilex_http_requests_total{route=\"%s\","
					   "status=\"%s\"} %llu\n", l, st,
					   (unsigned long long)v);
		}
	}
	if (rc == TX_OK)
		rc = tx_buf_puts(out,
			"# HELP trilex_http_request_duration_seconds Time from a"
			" request's head to its answer, by route.\n"
			"# TYPE trilex_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < N_ROUTES && rc == TX_OK; i++) {
		const char *l = route_label(i, label, sizeof(label));
		uint_least64_t cum = 0, all = 0;
		for (size_t b = 0; b <= N_BUCKETS; b++)
			all += atomic_load_explicit(&routes[i].buckets[b],
						    memory_order_relaxed);
		if (l == NULL || all == 0)
			continue; /* a route never called has no series */
		for (size_t b = 0; b <= N_BUCKETS && rc == TX_OK; b++) {
			char le[24];
			cum += atomic_load_explicit(&routes[i].buckets[b],
						    memory_order_relaxed);
			if (b < N_BUCKETS)
				snprintf(le, sizeof(le), "%g",
					 (double)bucket_us[b] / 1e6);
			else
				snprintf(le, sizeof(le), "+Inf");
			rc = tx_buf_printf(out, "trilex_http_request_duration_seconds_bucket"
					   "{route=\"%s\",le=\"%s\"} %llu\n", l, le,
					   (unsigned long long)cum);
		}
		if (rc == TX_OK)
			rc = tx_buf_printf(out,
				"trilex_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
				"trilex_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
				l, (double)atomic_load_explicit(&routes[i].sum_us,
								memory_order_relaxed) / 1e6,
				l, (unsigned long long)cum);
	}
	if (rc == TX_OK)
		rc = tx_buf_puts(out,
			"# HELP trilex_ingest_rejected_objects_total Objects refused"
			" by ingest (users' POSTs and pushes), by reason.\n"
			"# TYPE trilex_ingest_rejected_objects_total counter\n");
	for (size_t i = 0; i < TAXII_REJECT_N && rc == TX_OK; i++)
		rc = tx_buf_printf(out, "trilex_ingest_rejected_objects_total"
				   "{reason=\"%s\"} %llu\n", reject_names[i],
				   (unsigned long long)atomic_load_explicit(
					   &rejects[i], memory_order_relaxed));
	for (size_t k = 0; k < N_EXPORT_SERIES && rc == TX_OK; k++) {
		rc = tx_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n",
				   export_series[k].name, export_series[k].help,
				   export_series[k].name);
		for (size_t i = 0; i < N_EXPORTS && rc == TX_OK; i++) {
			const atomic_uint_least64_t *v = (const atomic_uint_least64_t *)
				((const char *)&exports[i] + export_series[k].offset);
			rc = tx_buf_printf(out, "%s{format=\"%s\"} %llu\n",
					   export_series[k].name, export_names[i],
					   (unsigned long long)atomic_load_explicit(
						   v, memory_order_relaxed));
		}
	}
	if (rc == TX_OK)
		rc = tx_buf_printf(out,
			"# HELP trilex_alert_stream_clients Alert stream clients"
			" connected now.\n"
			"# TYPE trilex_alert_stream_clients gauge\n"
			"trilex_alert_stream_clients %lld\n",
			(long long)atomic_load_explicit(&stream_clients,
							memory_order_relaxed));
	if (rc == TX_OK)
		rc = tx_buf_puts(out, "# HELP trilex_server_wakeups_total Times the"
				 " server's background threads woke up (the"
				 " connection reaper for a deadline, the audit writer"
				 " for a batch); an idle node's stay still.\n"
				 "# TYPE trilex_server_wakeups_total counter\n");
	for (size_t i = 0; i < TAXII_THREAD_N && rc == TX_OK; i++)
		rc = tx_buf_printf(out, "trilex_server_wakeups_total{thread=\"%s\"}"
				   " %llu\n", thread_names[i],
				   (unsigned long long)atomic_load_explicit(
					   &wakeups[i], memory_order_relaxed));
	if (rc == TX_OK)
		rc = tx_buf_printf(out,
			"# HELP trilex_ingest_queued Partners' big POSTs waiting"
			" for an ingest worker (ingest_queue at most).\n"
			"# TYPE trilex_ingest_queued gauge\n"
			"trilex_ingest_queued %lld\n"
			"# HELP trilex_ingest_running Partners' big POSTs being"
			" checked and stored by the ingest workers now.\n"
			"# TYPE trilex_ingest_running gauge\n"
			"trilex_ingest_running %lld\n",
			(long long)atomic_load_explicit(&ingest_queued,
							memory_order_relaxed),
			(long long)atomic_load_explicit(&ingest_running,
							memory_order_relaxed));
	if (rc == TX_OK && store_replica_configured())
		rc = tx_buf_puts(out, "# HELP trilex_replica_reads_total GET reads"
				 " that could go to the read replica, by where they"
				 " went: the replica, or the primary because the"
				 " replica lacked the client's own write, lagged past"
				 " read_max_lag_ms, or was down.\n"
				 "# TYPE trilex_replica_reads_total counter\n");
	for (int i = 0; i < STORE_REPLICA_N && rc == TX_OK &&
	     store_replica_configured(); i++)
		rc = tx_buf_printf(out, "trilex_replica_reads_total{served=\"%s\"}"
				   " %llu\n", store_replica_verdict_name(i),
				   (unsigned long long)atomic_load_explicit(
					   &replica_reads[i], memory_order_relaxed));
	return rc;
}
