/*
 * bench/bench_ingest.c: ingest throughput through the store, and the
 * synthetic bundles the other benchmarks load.
 *
 *   bench_ingest ingest FILE DIR REPS
 *       Load the bundle (or envelope) FILE once, then REPS times: make a
 *       fresh database DIR/ingest-N.db with one collection and time only
 *       taxii_ingest() over batches of 1000 objects (each batch is one
 *       durable transaction: WAL, synchronous=FULL). Prints one line per
 *       repetition and "best" / "median" lines in objects per second,
 *       and the median CPU time per object ("cpu_us_per_obj").
 *   bench_ingest gen N FILE
 *       Write a bundle of N valid STIX 2.1 objects with unique ids (four
 *       indicators to one attack-pattern) to FILE.
 *   bench_ingest load N START DB ALIAS
 *       Add N synthetic objects (numbers START.., the same salt on every
 *       call, so calls with other STARTs add other objects) to the
 *       collection ALIAS of the store DB, made on the fly, in durable
 *       batches of 1000 through the store (taxii_ingest); prints
 *       "objects_per_s" and "cpu_us_per_obj" of this process.
 *   bench_ingest revise N START DB ALIAS
 *       As load, but a new version (modified one day later) of each of
 *       the objects START.. that load added: every item then clears its
 *       id's stored is_last (the flag UPDATE of store/put_pg.c).
 *
 * PostgreSQL (bench/run-store): with BENCH_PG_CONNINFO set the store is
 * the server it names: ingest makes a fresh database bench_ingest_N on it
 * for each repetition, load uses the database of the conninfo as it is.
 *
 * Output lines are "key value ..." so bench/run can pick them with awk.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store/store.h"
#include "taxii/taxii.h"

#define BATCH 1000

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The file's text and the spans of its objects, as `trilex push` keeps them. */
static char *raw_text;
static struct tx_span *raw_spans;

/* The objects list of a bundle or envelope in path; caller decrefs root. */
static json_t *load_objects(const char *path, json_t **root)
{
	struct tx_error err = { 0 };
	json_error_t jerr;
	json_t *objects;
	size_t len = 0, n_spans = 0;

	if (tx_read_file(path, (size_t)1 << 31, &raw_text, &len, &err) != TX_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	*root = json_loadb(raw_text, len, 0, &jerr);
	if (*root == NULL) {
		fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
		return NULL;
	}
	objects = json_object_get(*root, "objects");
	if (!json_is_array(objects)) {
		fprintf(stderr, "%s: no \"objects\" list\n", path);
		return NULL;
	}
	if (tx_json_array_spans(raw_text, len, "objects", &raw_spans, &n_spans) !=
		    TX_OK || n_spans != json_array_size(objects)) {
		free(raw_spans);
		raw_spans = NULL; /* fall back to serialising each object */
	}
	return objects;
}

/* BENCH_PG_CONNINFO, or NULL: SQLite. */
static const char *pg_base;

/* PostgreSQL: an empty database bench_ingest_N, and the store pointed at
 * it; 0 when done (nothing on SQLite). */
static int fresh_pg_db(int n)
{
	char sql[128], conninfo[1200];
	PGconn *c;
	int ok;

	if (pg_base == NULL)
		return 0;
	if ((c = PQconnectdb(pg_base)) == NULL || PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "BENCH_PG_CONNINFO: %s", c ? PQerrorMessage(c) : "?");
		PQfinish(c);
		return -1;
	}
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS bench_ingest_%d", n);
	PQclear(PQexec(c, sql));
	snprintf(sql, sizeof(sql), "CREATE DATABASE bench_ingest_%d", n);
	PGresult *res = PQexec(c, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "%s", PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
	snprintf(conninfo, sizeof(conninfo), "%s dbname=bench_ingest_%d", pg_base, n);
	return ok && store_configure("postgres", conninfo, NULL) == TX_OK ? 0 : -1;
}

static void remove_db(const char *path)
{
	char p[4200];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/*
 * One repetition: fresh database, timed ingest. Returns objects/s or < 0;
 * *cpu_us receives the CPU time per object (user + system, this process),
 * which a busy machine disturbs less than the wall clock.
 */
static double ingest_once(const char *path, int rep, json_t *const *batches,
			  size_t n_batches, size_t n_objects, double *cpu_us)
{
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	struct store_user admin = { .id = 1, .admin = 1 };
	struct store_collection c;
	char coll_id[TX_UUID_BUF], status[TX_UUID_BUF];
	int64_t stored = 0;
	double t0, t1, c0, c1, rate = -1;

	remove_db(path);
	if (fresh_pg_db(rep) != 0)
		goto out;
	if (store_open(path, 1, &st, &err) != TX_OK ||
	    store_collection_add(st, "bench", "", "bench", coll_id, &err) != TX_OK ||
	    store_collection_get(st, &admin, coll_id, &c) != TX_OK) {
		fprintf(stderr, "%s: %s\n", path, err.msg);
		goto out;
	}
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t b = 0; b < n_batches; b++) {
		if (taxii_ingest_text(st, c.pk, NULL, batches[b],
				      raw_spans ? raw_text : NULL,
				      raw_spans ? raw_spans + b * BATCH : NULL,
				      b * BATCH, status, &err) != TX_OK) {
			fprintf(stderr, "ingest batch %zu: %s\n", b, err.msg);
			goto out;
		}
	}
	t1 = clock_s(CLOCK_MONOTONIC);
	c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	if (store_count_objects(st, c.pk, &stored) != TX_OK) {
		fprintf(stderr, "count failed\n");
		goto out;
	}
	if ((size_t)stored != n_objects)
		fprintf(stderr, "warning: %" PRId64 " of %zu objects stored"
			" (the others were refused by validation)\n", stored,
			n_objects);
	rate = (double)n_objects / (t1 - t0);
	*cpu_us = (c1 - c0) * 1e6 / (double)n_objects;
	printf("rep stored=%" PRId64 " seconds=%.4f objects_per_s=%.0f"
	       " cpu_us_per_obj=%.1f\n", stored, t1 - t0, rate, *cpu_us);
out:
	store_close(st);
	remove_db(path);
	return rate;
}

static int cmd_ingest(const char *file, const char *dir, int reps)
{
	json_t *root = NULL, *objects, **batches = NULL;
	double *rates = NULL, *cpus = NULL;
	size_t n, n_batches;
	char path[4096];
	int rc = 1;

	if ((objects = load_objects(file, &root)) == NULL)
		goto out;
	n = json_array_size(objects);
	n_batches = (n + BATCH - 1) / BATCH;
	batches = calloc(n_batches ? n_batches : 1, sizeof(*batches));
	rates = calloc((size_t)reps, sizeof(*rates));
	cpus = calloc((size_t)reps, sizeof(*cpus));
	if (batches == NULL || rates == NULL || cpus == NULL)
		goto out;
	/* The batches share the objects (incref), built outside the timing. */
	for (size_t b = 0; b < n_batches; b++) {
		if ((batches[b] = json_array()) == NULL)
			goto out;
		for (size_t i = b * BATCH; i < n && i < (b + 1) * BATCH; i++)
			json_array_append(batches[b], json_array_get(objects, i));
	}
	snprintf(path, sizeof(path), "%s/ingest.db", dir);
	for (int r = 0; r < reps; r++) {
		if ((rates[r] = ingest_once(path, r, batches, n_batches, n,
					    &cpus[r])) < 0)
			goto out;
		fflush(stdout);
	}
	qsort(rates, (size_t)reps, sizeof(*rates), cmp_double);
	qsort(cpus, (size_t)reps, sizeof(*cpus), cmp_double);
	printf("objects %zu\n", n);
	printf("best %.0f\n", rates[reps - 1]);
	printf("median %.0f\n", reps % 2 ? rates[reps / 2] :
	       (rates[reps / 2 - 1] + rates[reps / 2]) / 2);
	printf("cpu_us_per_obj %.1f\n", cpus[reps / 2]);
	rc = 0;
out:
	for (size_t b = 0; batches && b < n_batches; b++)
		json_decref(batches[b]);
	free(batches);
	free(rates);
	free(cpus);
	json_decref(root);
	free(raw_spans);
	free(raw_text);
	return rc;
}

/* A STIX id "type--uuid4" built from the counter and a per-run salt. */
static void make_id(char *out, size_t n, const char *type, uint32_t salt,
		    uint64_t i)
{
	snprintf(out, n, "%s--%08" PRIx32 "-%04x-4%03x-8%03x-%012" PRIx64, type,
		 salt, (unsigned)(i >> 48) & 0xffff, (unsigned)(i >> 36) & 0xfff,
		 (unsigned)(i >> 24) & 0xfff, (uint64_t)(i & 0xffffffffffffULL));
}

/* revise: modified is this much after created (0: the same) */
static int64_t modified_shift_us;

static json_t *make_object(uint32_t salt, uint64_t i)
{
	char id[128], ts[TX_TIME_BUF], mod[TX_TIME_BUF], name[64], pattern[128];
	/* Spread created/modified over a year so versions differ. */
	int64_t t = 1704067200000000LL + (int64_t)(i % 31536000) * 1000000;

	tx_time_format_ms(t, ts);
	tx_time_format_ms(t + modified_shift_us, mod);
	if (i % 5 == 4) {
		make_id(id, sizeof(id), "attack-pattern", salt, i);
		snprintf(name, sizeof(name), "Synthetic technique %" PRIu64, i);
		return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
				 " s:[{s:s, s:s}]}",
				 "type", "attack-pattern", "spec_version", "2.1",
				 "id", id, "created", ts, "modified", mod,
				 "name", name, "description",
				 "A synthetic attack pattern made by bench_ingest"
				 " to fill a collection for paging benchmarks.",
				 "kill_chain_phases", "kill_chain_name",
				 "mitre-attack", "phase_name", "execution");
	}
	make_id(id, sizeof(id), "indicator", salt, i);
	snprintf(name, sizeof(name), "Synthetic indicator %" PRIu64, i);
	snprintf(pattern, sizeof(pattern),
		 "[ipv4-addr:value = '10.%u.%u.%u']", (unsigned)(i >> 16) & 255,
		 (unsigned)(i >> 8) & 255, (unsigned)i & 255);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:s, s:s,"
			 " s:s}",
			 "type", "indicator", "spec_version", "2.1", "id", id,
			 "created", ts, "modified", mod, "name", name,
			 "description", "Synthetic indicator for benchmarks.",
			 "indicator_types", "malicious-activity",
			 "pattern", pattern, "pattern_type", "stix",
			 "valid_from", ts);
}

static int cmd_gen(long n, const char *file)
{
	json_t *objects = json_array(), *bundle = NULL;
	uint32_t salt = randombytes_random();
	char bid[TX_UUID_BUF + 16], uuid[TX_UUID_BUF];
	int rc = 1;

	if (objects == NULL)
		goto out;
	for (long i = 0; i < n; i++)
		if (json_array_append_new(objects, make_object(salt, (uint64_t)i)))
			goto out;
	tx_uuid4(uuid);
	snprintf(bid, sizeof(bid), "bundle--%s", uuid);
	bundle = json_pack("{s:s, s:s, s:O}", "type", "bundle", "id", bid,
			   "objects", objects);
	if (bundle == NULL || json_dump_file(bundle, file, JSON_COMPACT) != 0)
		goto out;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "gen: cannot write %s\n", file);
	json_decref(bundle);
	json_decref(objects);
	return rc;
}

/* bench_ingest load: N objects from START into collection alias of db. */
static int cmd_load(int64_t n, int64_t start, const char *db, const char *alias)
{
	struct tx_error err = { 0 };
	struct store_user admin = { .id = 1, .admin = 1 };
	struct store_collection c;
	char status[TX_UUID_BUF];
	tx_store *st = NULL;
	double t0, c0;
	int rc = 1;

	if (pg_base != NULL && store_configure("postgres", pg_base, &err) != TX_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (store_open(db, 0, &st, &err) != TX_OK ||
	    store_collection_get(st, &admin, alias, &c) != TX_OK) {
		fprintf(stderr, "%s: %s\n", db, err.msg[0] ? err.msg : "no collection");
		goto out;
	}
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (int64_t b = 0; b < n; b += BATCH) {
		json_t *batch = json_array();
		for (int64_t i = b; batch != NULL && i < n && i < b + BATCH; i++)
			json_array_append_new(batch, make_object(0x7e57c0de,
								 (uint64_t)(start + i)));
		if (batch == NULL || taxii_ingest(st, c.pk, NULL, batch, 0, status,
						  &err) != TX_OK) {
			fprintf(stderr, "load at %" PRId64 ": %s\n", start + b, err.msg);
			json_decref(batch);
			goto out;
		}
		json_decref(batch);
	}
	double t = clock_s(CLOCK_MONOTONIC) - t0;
	double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("objects %" PRId64 "\nseconds %.2f\nobjects_per_s %.0f\n"
	       "cpu_us_per_obj %.1f\n", n, t, (double)n / t, cpu * 1e6 / (double)n);
	rc = 0;
out:
	store_close(st);
	return rc;
}

int main(int argc, char **argv)
{
	int64_t n;

	if (sodium_init() < 0)
		return 1;
	pg_base = getenv("BENCH_PG_CONNINFO");
	if (pg_base != NULL && *pg_base == '\0')
		pg_base = NULL;
	if (argc == 6 && (strcmp(argv[1], "load") == 0 ||
			  strcmp(argv[1], "revise") == 0)) {
		int64_t start;
		if (argv[1][0] == 'r')
			modified_shift_us = 86400000000LL;
		if (tx_parse_int64(argv[2], 1, 100000000, &n) == TX_OK &&
		    tx_parse_int64(argv[3], 0, 1000000000, &start) == TX_OK)
			return cmd_load(n, start, argv[4], argv[5]);
	}
	if (argc == 5 && strcmp(argv[1], "ingest") == 0 &&
	    tx_parse_int64(argv[4], 1, 1000, &n) == TX_OK)
		return cmd_ingest(argv[2], argv[3], (int)n);
	if (argc == 4 && strcmp(argv[1], "gen") == 0 &&
	    tx_parse_int64(argv[2], 1, 100000000, &n) == TX_OK)
		return cmd_gen((long)n, argv[3]);
	fprintf(stderr, "usage: bench_ingest ingest FILE DIR REPS\n"
		"       bench_ingest gen N FILE\n"
		"       bench_ingest load N START DB ALIAS\n"
		"       bench_ingest revise N START DB ALIAS\n");
	return 2;
}
