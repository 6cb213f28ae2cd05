/*
 * fuzz/fuzz_pattern.c: the STIX pattern parser, evaluator and index.
 *
 * Any input either parses or is refused with a "position N: ..." message.
 * A pattern that parses is dumped, evaluated against a fixed observation,
 * and indexed: when the evaluator says it matches, the index must name it
 * as a candidate for that observation's facts (the index may only narrow
 * the search, never lose a match).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *observed =
	"[{\"type\":\"observed-data\",\"id\":\"observed-data--00000000-0000-4000-8000-000000000001\","
	"\"first_observed\":\"2024-01-01T00:00:00Z\",\"last_observed\":\"2024-01-01T00:00:01Z\","
	"\"number_observed\":2,\"object_refs\":[\"ipv4-addr--00000000-0000-4000-8000-000000000002\","
	"\"network-traffic--00000000-0000-4000-8000-000000000003\",\"domain-name--00000000-0000-4000-8000-000000000004\","
	"\"file--00000000-0000-4000-8000-000000000005\"]},"
	"{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--00000000-0000-4000-8000-000000000002\",\"value\":\"10.0.0.1\"},"
	"{\"type\":\"network-traffic\",\"id\":\"network-traffic--00000000-0000-4000-8000-000000000003\","
	"\"dst_ref\":\"ipv4-addr--00000000-0000-4000-8000-000000000002\",\"dst_port\":443,\"protocols\":[\"tcp\"]},"
	"{\"type\":\"domain-name\",\"id\":\"domain-name--00000000-0000-4000-8000-000000000004\",\"value\":\"a.example\"},"
	"{\"type\":\"file\",\"id\":\"file--00000000-0000-4000-8000-000000000005\",\"name\":\"x.exe\",\"size\":3,"
	"\"hashes\":{\"MD5\":\"abc\"},\"magic_number_hex\":\"4d5a\"}]";

struct factv {
	struct pattern_fact v[128];
	size_t n;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *root;
	static struct pattern_obsset set;
	static struct factv fv;
	struct tx_error err = { 0 };
	pattern *p = NULL;
	char *text;

	if (root == NULL) {
		root = json_loads(observed, 0, NULL);
		if (root == NULL || pattern_obsset_from_json(root, &set, &err) != TX_OK)
			abort();
		fv.n = pattern_facts_collect(&set, 0, fv.v, sizeof(fv.v) / sizeof(fv.v[0]), NULL);
	}
	if (size > 4096)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	tx_err rc = pattern_parse(text, size, &p, &err);
	if (rc != TX_OK) {
		if (rc == TX_ERR_INVALID && strncmp(err.msg, "position ", 9) != 0) {
			fprintf(stderr, "fuzz_pattern: message without a position: %s\n", err.msg);
			abort();
		}
		free(text);
		return 0;
	}
	struct tx_buf b;
	tx_buf_init(&b, 0);
	if (pattern_dump(p, &b) != TX_OK)
		abort();
	tx_buf_free(&b);
	struct pattern_result res;
	if (pattern_eval(p, &set, &res, &err) == TX_OK && res.matched && memchr(text, '\0', size) == NULL) {
		struct pattern_indicator in = { "indicator--00000000-0000-4000-8000-000000000009", text,
						0, INT64_MAX, 0 };
		pattern_index *ix = NULL;
		uint32_t c[4];
		size_t nc = 0;
		if (pattern_index_build(&in, 1, 1, &ix, NULL, &err) == TX_OK) {
			pattern_index_candidates(ix, fv.v, fv.n, c, 4, &nc);
			if (pattern_index_count(ix) == 1 && nc == 0 && pattern_n_observations(p) == 1) {
				fprintf(stderr, "fuzz_pattern: the index lost a match: %s\n", text);
				abort();
			}
			pattern_index_free(ix);
		}
	}
	pattern_free(p);
	free(text);
	return 0;
}
