/*
 * fuzz_bundle: libFuzzer target for how `trilex push` reads a big bundle a
 * batch at a time: tx_json_array_spans on any input, tx_json_frame_valid,
 * then each element parsed on its own.
 *
 * Checked against a parse of the whole text:
 *   - what the batch-wise reading accepts (frame valid, every element
 *     valid) the whole parse accepts, with the same elements (json_equal);
 *   - what the whole parse accepts, with the list found by the scanner,
 *     the batch-wise reading accepts too.
 * Any disagreement aborts. Spans must lie inside the input.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *raw = (const char *)data;
	struct tx_span *spans = NULL;
	size_t n = 0;
	json_error_t jerr;
	json_t *whole, *parts = NULL;
	int ok = 0;

	whole = json_loadb(raw, size, JSON_REJECT_DUPLICATES, &jerr);
	if (tx_json_array_spans(raw, size, "objects", &spans, &n) != TX_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (spans[i].off + spans[i].len > size || spans[i].len == 0)
			abort();
	ok = tx_json_frame_valid(raw, size, spans, n, &jerr);
	if (ok && (parts = json_array()) != NULL) {
		for (size_t i = 0; ok && i < n; i++) {
			json_t *o = json_loadb(raw + spans[i].off, spans[i].len,
					       JSON_REJECT_DUPLICATES |
					       JSON_DECODE_ANY, &jerr);
			if (o == NULL)
				ok = 0;
			else
				json_array_append_new(parts, o);
		}
	}
	if (ok && whole == NULL) {
		fprintf(stderr, "fuzz_bundle: read in batches, refused whole\n");
		abort();
	}
	if (ok && !json_equal(json_object_get(whole, "objects"), parts)) {
		/* the scanner took another "objects" (a duplicate is refused,
		 * so only a nested one could be): it must not */
		fprintf(stderr, "fuzz_bundle: elements differ from the whole parse\n");
		abort();
	}
	if (!ok && whole != NULL && json_is_array(json_object_get(whole, "objects"))) {
		fprintf(stderr, "fuzz_bundle: accepted whole, refused in batches\n");
		abort();
	}
out:
	json_decref(parts);
	json_decref(whole);
	free(spans);
	return 0;
}
