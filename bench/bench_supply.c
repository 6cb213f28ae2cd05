/*
 * bench/bench_supply.c: loading advisories and checking a large SBOM.
 *
 *   bench_supply ADVISORIES_TAR_GZ SBOM N REPS
 *
 * Writes N minus the archive's advisories synthetic OSV entries (npm,
 * half of them naming packages of the SBOM, with several ranges each) to
 * a temporary file, then REPS times: loads the archive and that file into
 * a fresh database (timed), and checks the SBOM against it (timed, after
 * loading; best and median of 20 checks). Prints "key value" lines.
 *
 *   bench_supply csaf CSAF_TAR_GZ BOM REPS
 *
 * REPS times: reads every CSAF document of the archive into a fresh
 * database, with the STIX copies `advisory import` makes (timed); then
 * checks BOM against it (best of 20).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "supply/supply.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static _Noreturn void die(const char *what, const struct tx_error *err)
{
	fprintf(stderr, "bench_supply: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static int csaf_bench(int argc, char **argv)
{
	struct tx_error err = { 0 };
	struct supply_counts cn = { 0 };
	struct supply_report rep;
	supply_bom *bom = NULL;
	char *text = NULL;
	size_t len, objs = 0, findings = 0;
	double load[16], check = 1e9, t0;
	long reps;

	if (argc != 5 || (reps = strtol(argv[4], NULL, 10)) <= 0 || reps > 16) {
		fprintf(stderr, "usage: bench_supply csaf CSAF_TAR_GZ BOM REPS\n");
		return 2;
	}
	if (tx_read_file(argv[3], (size_t)1 << 30, &text, &len, &err) != TX_OK ||
	    supply_bom_parse(text, len, argv[3], &bom, &err) != TX_OK)
		die(argv[3], &err);
	for (long r = 0; r < reps; r++) {
		supply_db *db = NULL;
		json_t *emit = json_array();
		struct supply_stix_opts o = { 0 };

		t0 = now_s();
		if (emit == NULL || supply_db_new(0, &db, &err) != TX_OK)
			die("database", &err);
		supply_db_set_emit(db, emit, &o);
		if (supply_db_load_path(db, argv[2], &err) != TX_OK)
			die(argv[2], &err);
		load[r] = now_s() - t0;
		objs = json_array_size(emit);
		supply_db_counts(db, &cn);
		if (r == reps - 1) {
			for (int k = 0; k < 20; k++) {
				t0 = now_s();
				if (supply_check(db, bom, NULL, &rep, &err) != TX_OK)
					die("check", &err);
				if (now_s() - t0 < check)
					check = now_s() - t0;
				findings = rep.n;
				supply_report_free(&rep);
			}
		}
		json_decref(emit);
		supply_db_free(db);
	}
	qsort(load, (size_t)reps, sizeof(load[0]), dcmp);
	printf("csaf_documents %zu\n", cn.csaf);
	printf("csaf_products %zu\n", cn.csaf_products);
	printf("stix_objects %zu\n", objs);
	printf("components %zu\n", supply_bom_count(bom));
	printf("findings %zu\n", findings);
	printf("csaf_load_best_ms %.1f\n", load[0] * 1e3);
	printf("csaf_load_median_ms %.1f\n", load[reps / 2] * 1e3);
	printf("csaf_check_best_ms %.3f\n", check * 1e3);
	free(text);
	supply_bom_free(bom);
	return 0;
}

int main(int argc, char **argv)
{
	struct tx_error err = { 0 };
	struct supply_counts cn;
	supply_db *db = NULL;
	supply_bom *bom = NULL;
	char *text = NULL, gen[] = "/tmp/trilex-bench-osv-XXXXXX.json";
	size_t len, n_names = 0, corpus = 0;
	long n, reps;
	double load[16], check[20], t0;
	const char **names;
	FILE *f = NULL;
	int fd;

	if (argc > 1 && strcmp(argv[1], "csaf") == 0)
		return csaf_bench(argc, argv);
	if (argc != 5 || (n = strtol(argv[3], NULL, 10)) <= 0 ||
	    (reps = strtol(argv[4], NULL, 10)) <= 0 || reps > 16) {
		fprintf(stderr, "usage: bench_supply ADVISORIES_TAR_GZ SBOM N REPS\n");
		return 2;
	}
	if (tx_read_file(argv[2], (size_t)1 << 30, &text, &len, &err) != TX_OK ||
	    supply_bom_parse(text, len, argv[2], &bom, &err) != TX_OK)
		die(argv[2], &err);
	names = calloc(supply_bom_count(bom), sizeof(*names));
	for (size_t i = 0; i < supply_bom_count(bom); i++) {
		const char *p = supply_bom_component(bom, i)->purl;
		if (p && strncmp(p, "pkg:npm/", 8) == 0)
			names[n_names++] = supply_bom_component(bom, i)->name;
	}
	/* how many the archive holds */
	if (supply_db_new(0, &db, &err) != TX_OK ||
	    supply_db_load_path(db, argv[1], &err) != TX_OK)
		die(argv[1], &err);
	supply_db_counts(db, &cn);
	corpus = cn.advisories;
	supply_db_free(db);

	fd = mkstemps(gen, 5);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		die("temporary file", NULL);
	fputc('[', f);
	for (long i = 0; i < n - (long)corpus; i++) {
		const char *pkg = i % 2 == 0 && n_names ? names[(size_t)i / 2 % n_names] : NULL;
		char other[64];

		if (pkg == NULL) {
			snprintf(other, sizeof(other), "synthetic-pkg-%ld", i);
			pkg = other;
		}
		fprintf(f, "%s{\"schema_version\": \"1.6.0\", \"id\": \"BENCH-%ld\", "
			"\"modified\": \"2024-01-01T00:00:00Z\", \"aliases\": "
			"[\"CVE-2099-%ld\"], \"summary\": \"synthetic advisory %ld\", "
			"\"database_specific\": {\"severity\": \"%s\"}, \"affected\": "
			"[{\"package\": {\"ecosystem\": \"npm\", \"name\": \"%s\"}, "
			"\"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\":"
			" \"%ld.0.0\"}, {\"fixed\": \"%ld.2.%ld\"}, {\"introduced\": "
			"\"%ld.0.0-rc.1\"}, {\"last_affected\": \"%ld.1.0\"}]}]}]}",
			i ? ",\n" : "", i, i, i, i % 3 ? "HIGH" : "LOW", pkg,
			i % 7, i % 7, i % 13, i % 7 + 20, i % 7 + 20);
	}
	fputs("]\n", f);
	fclose(f);

	for (long r = 0; r < reps; r++) {
		struct supply_report rep;

		t0 = now_s();
		if (supply_db_new(0, &db, &err) != TX_OK ||
		    supply_db_load_path(db, argv[1], &err) != TX_OK ||
		    supply_db_load_path(db, gen, &err) != TX_OK)
			die("load", &err);
		load[r] = now_s() - t0;
		if (r == reps - 1) {
			for (int k = 0; k < 20; k++) {
				t0 = now_s();
				if (supply_check(db, bom, NULL, &rep, &err) != TX_OK)
					die("check", &err);
				check[k] = now_s() - t0;
				if (k == 0)
					printf("findings %zu\n", rep.n);
				supply_report_free(&rep);
			}
		}
		supply_db_counts(db, &cn);
		supply_db_free(db);
	}
	unlink(gen);
	qsort(load, (size_t)reps, sizeof(load[0]), dcmp);
	qsort(check, 20, sizeof(check[0]), dcmp);
	printf("advisories %zu\n", cn.advisories);
	printf("corpus %zu\n", corpus);
	printf("components %zu\n", supply_bom_count(bom));
	printf("load_best_ms %.1f\n", load[0] * 1e3);
	printf("load_median_ms %.1f\n", load[reps / 2] * 1e3);
	printf("check_best_ms %.3f\n", check[0] * 1e3);
	printf("check_median_ms %.3f\n", check[10] * 1e3);
	free(names);
	free(text);
	supply_bom_free(bom);
	return 0;
}
