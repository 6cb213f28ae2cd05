/*
 * fuzz/fuzz_misp.c: the MISP JSON reader (misp_import_text) and the
 * attribute <-> pattern mapping. Properties checked, beyond not crashing:
 * the same input gives the same objects twice (ids and times come from
 * the input, never from the clock or chance); and for the input as a
 * value of a simple type, the pattern made from it reads back as the same
 * type and value (the escaping of ' and \ is right).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misp/misp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void nothing(void *ctx, const char *event, const char *what,
		    size_t index, const char *type, const char *why)
{
	(void)ctx; (void)event; (void)what; (void)index; (void)type; (void)why;
}

static void value_round_trip(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "domain", "url", "filename",
					     "filename|md5" };
	char *v = malloc(size + 1);

	if (v == NULL || memchr(data, '\0', size) != NULL) {
		free(v);
		return;
	}
	memcpy(v, data, size);
	v[size] = '\0';
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		const char *why, *type;
		char *pattern = misp_pattern_of_attr(types[t], v, &why), *back = NULL;

		if (pattern == NULL)
			continue;
		misp_attr_of_pattern(pattern, &type, &back);
		if (back == NULL || strcmp(type, types[t]) != 0 ||
		    strcmp(back, v) != 0) {
			fprintf(stderr, "fuzz_misp: %s %s -> %s -> %s %s\n", types[t],
				v, pattern, type, back ? back : "(null)");
			abort();
		}
		free(back);
		free(pattern);
	}
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct misp_import_opts o = { .problem = nothing, .max_events = 1000,
				      .max_attributes = 10000 };
	struct tx_error err = { 0 };
	json_t *a = json_array(), *b = json_array();
	tx_err ra, rb;

	ra = misp_import_text((const char *)data, size, &o, a, NULL, &err);
	rb = misp_import_text((const char *)data, size, &o, b, NULL, &err);
	if (ra != rb || !json_equal(a, b)) {
		fprintf(stderr, "fuzz_misp: two imports of one input differ\n");
		abort();
	}
	json_decref(a);
	json_decref(b);
	value_round_trip(data, size);
	return 0;
}
