/*
 * fuzz_jparse: libFuzzer target for tx_json_load (core/jparse.c), checked
 * against jansson's json_loadb on the same text with the same flags (the
 * first byte chooses them): both accept or both refuse, and what both
 * accept serialises to the same bytes (values, types, key order) and,
 * without the end-of-input check, ends at the same position. Any
 * disagreement aborts. One difference is allowed: jansson skips a NUL
 * byte that directly follows a number or a literal ("[1\0]" is [1] to
 * it), tx_json_load refuses every NUL byte outside strings and in them.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t flag_sets[] = {
	JSON_REJECT_DUPLICATES,
	JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	0,
	JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
	JSON_DISABLE_EOF_CHECK,
	JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK,
	JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK,
	JSON_DECODE_ANY,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t e1, e2;
	json_t *a, *b;
	size_t flags;

	if (size == 0)
		return 0;
	flags = flag_sets[data[0] % 8];
	data++;
	size--;
	a = json_loadb((const char *)data, size, flags, &e1);
	b = tx_json_load((const char *)data, size, flags, &e2);
	if (a != NULL && b == NULL && memchr(data, 0, size) != NULL) {
		json_decref(a);
		return 0; /* jansson's NUL quirk, above */
	}
	if ((a == NULL) != (b == NULL)) {
		fprintf(stderr, "jansson %s, tx_json_load %s (%s)\n",
			a ? "accepts" : e1.text, b ? "accepts" : "refuses",
			b ? "" : e2.text);
		abort();
	}
	if (a != NULL) {
		size_t f = JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17);
		char *sa = json_dumps(a, f), *sb = json_dumps(b, f);
		if (sa == NULL || sb == NULL || strcmp(sa, sb) != 0 ||
		    !json_equal(a, b)) {
			fprintf(stderr, "different values:\n%s\n%s\n", sa, sb);
			abort();
		}
		free(sa);
		free(sb);
		/* Without the end check, both say where the value ended. */
		if ((flags & JSON_DISABLE_EOF_CHECK) && e1.position != e2.position) {
			fprintf(stderr, "value ends at %d for jansson, %d for us\n",
				e1.position, e2.position);
			abort();
		}
	} else if (e2.line < 1 || e2.position < 0 || (size_t)e2.position > size) {
		abort(); /* an error must say where */
	}
	json_decref(a);
	json_decref(b);
	return 0;
}
