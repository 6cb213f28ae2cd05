/*
 * bench_policy: use-of-force assessment throughput.
 *
 *   bench_policy POLICY INCIDENTS_JSON SECONDS
 *
 * Loads and validates the policy (timed, best of 100), reads every case of
 * tests/data/policy/incidents.json once, then assesses them round-robin
 * for SECONDS and prints "key value" lines: policy_load_us,
 * assessments_per_s, us_per_assessment, cases, and parse_us (reading and
 * checking one incident bundle, mean over the cases).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

int main(int argc, char **argv)
{
	struct policy_standing sd = { .ratified = 1 };
	struct tx_error err = { 0 };
	policy_incident **incs = NULL;
	json_t *doc, *c;
	char *text = NULL, **bundles = NULL;
	size_t len, n, i;
	policy *p = NULL;
	int64_t t0, best = -1, done = 0, parse_total = 0;
	double secs;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_policy POLICY INCIDENTS_JSON SECONDS\n");
		return 2;
	}
	secs = strtod(argv[3], NULL);
	if (tx_read_file(argv[1], POLICY_TEXT_MAX, &text, &len, &err) != TX_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	for (int r = 0; r < 100; r++) {
		policy_free(p);
		t0 = tx_time_now_us();
		if (policy_parse(text, len, argv[1], &p, NULL, &err) != TX_OK) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		t0 = tx_time_now_us() - t0;
		if (best < 0 || t0 < best)
			best = t0;
	}
	free(text);
	if ((doc = json_load_file(argv[2], 0, NULL)) == NULL) {
		fprintf(stderr, "%s: cannot read\n", argv[2]);
		return 1;
	}
	n = json_array_size(json_object_get(doc, "cases"));
	incs = calloc(n, sizeof(*incs));
	bundles = calloc(n, sizeof(*bundles));
	if (n == 0 || incs == NULL || bundles == NULL)
		return 1;
	json_array_foreach(json_object_get(doc, "cases"), i, c) {
		json_t *b = json_pack("{s:s, s:s, s:O}", "type", "bundle", "id",
				      "bundle--11111111-1111-4111-8111-111111111111",
				      "objects", json_object_get(c, "objects"));
		bundles[i] = json_dumps(b, JSON_COMPACT);
		json_decref(b);
		t0 = tx_time_now_us();
		if (policy_incident_parse(bundles[i], strlen(bundles[i]), "case",
					  NULL, &incs[i], &err) != TX_OK) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		parse_total += tx_time_now_us() - t0;
	}
	t0 = tx_time_now_us();
	while (tx_time_now_us() - t0 < (int64_t)(secs * 1e6)) {
		for (i = 0; i < n; i++) {
			json_t *r = NULL;
			if (policy_assess(p, incs[i], &sd, &r, &err) != TX_OK) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
			json_decref(r);
		}
		done += (int64_t)n;
	}
	t0 = tx_time_now_us() - t0;
	printf("cases %zu\n", n);
	printf("policy_load_us %lld\n", (long long)best);
	printf("parse_us %.1f\n", (double)parse_total / (double)n);
	printf("assessments %lld\n", (long long)done);
	printf("assessments_per_s %.0f\n", (double)done * 1e6 / (double)t0);
	printf("us_per_assessment %.1f\n", (double)t0 / (double)done);
	for (i = 0; i < n; i++) {
		policy_incident_free(incs[i]);
		free(bundles[i]);
	}
	free(incs);
	free(bundles);
	json_decref(doc);
	policy_free(p);
	return 0;
}
