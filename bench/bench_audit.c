/*
 * bench/bench_audit.c: the audit writer's cost per entry.
 *
 *   bench_audit DB ENTRIES BATCH
 *
 * Creates the store DB (a new file) and appends ENTRIES read records like
 * those of a page of 100 AMBER+STRICT objects (taxii/routes.c audit_read)
 * with store_audit_batch, BATCH at a time (the server's audit writer
 * writes ~300 at a time at full speed), then verifies the chain. Prints
 * entries, seconds, us_per_entry. Run under callgrind with
 * --toggle-collect=store_audit_batch for the writer's instructions per
 * entry, a figure that does not depend on the machine's load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct store_audit_entry *e;
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	int64_t n, batch, checked = 0;
	char detail[512];
	double t0, t1;

	if (argc != 4 || tx_parse_int64(argv[2], 1, 100000000, &n) ||
	    tx_parse_int64(argv[3], 1, 100000, &batch)) {
		fprintf(stderr, "usage: bench_audit DB ENTRIES BATCH\n");
		return 2;
	}
	if (store_open(argv[1], 1, &st, &err) != TX_OK) {
		fprintf(stderr, "bench_audit: %s\n", err.msg);
		return 1;
	}
	if ((e = calloc((size_t)batch, sizeof(*e))) == NULL)
		return 1;
	t0 = now_s();
	for (int64_t done = 0; done < n;) {
		int64_t k = n - done < batch ? n - done : batch;
		for (int64_t i = 0; i < k; i++) {
			snprintf(detail, sizeof(detail), "100 of 100 objects TLP:RED or"
				 " TLP:AMBER+STRICT: indicator--3ea025fd-0000-4000-8000-"
				 "%012lld indicator--3ea025fd-0000-4000-8000-000000000001"
				 " indicator--3ea025fd-0000-4000-8000-000000000002"
				 " indicator--3ea025fd-0000-4000-8000-000000000003 ...",
				 (long long)(done + i));
			store_audit_entry_set(&e[i], "user:bench", "127.0.0.1", "read",
					      "collection 2f3c1d6e-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
					      detail);
			e[i].at = tx_time_now_us();
		}
		if (store_audit_batch(st, e, (size_t)k, &err) != TX_OK) {
			fprintf(stderr, "bench_audit: %s\n", err.msg);
			return 1;
		}
		done += k;
	}
	t1 = now_s();
	if (store_audit_verify(st, &checked, &err) != TX_OK || checked != n) {
		fprintf(stderr, "bench_audit: verify: %s (%lld checked)\n", err.msg,
			(long long)checked);
		return 1;
	}
	printf("entries %lld\nseconds %.3f\nus_per_entry %.2f\n", (long long)n,
	       t1 - t0, (t1 - t0) * 1e6 / (double)n);
	free(e);
	store_close(st);
	return 0;
}
