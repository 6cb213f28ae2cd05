/*
 * fuzz_canon: libFuzzer target for stix_canonicalize (RFC 8785).
 *
 * The input is parsed as JSON (any value, NUL bytes in strings allowed)
 * and canonicalised. The canonical text must then
 *   - parse again, to a value equal to the original under JCS's reading
 *     of numbers (below), and
 *   - canonicalise to exactly the same bytes (idempotence).
 * Any failure aborts.
 *
 * Why not plain json_equal: JCS numbers are IEEE doubles. The real 4.0 is
 * written "4" and reads back as the integer 4; the integer 2^53 + 1 is
 * written as the double 2^53. So numbers are compared as the doubles JCS
 * makes of them, and everything else exactly. Also, the reals from 2^63
 * up to 1e21 are written as plain digits ("100000000000000000000"), which
 * jansson refuses to read back as an integer that overflows; for those
 * inputs only canonicalisation itself is checked.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOAD_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

static double jcs_number(const json_t *v)
{
	return json_is_integer(v) ? (double)json_integer_value(v)
				  : json_real_value(v);
}

/* a and b equal as JCS sees them; depth bounded by the parser's cap. */
static int jcs_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return jcs_number(a) == jcs_number(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_array(a)) {
		size_t i, n = json_array_size(a);
		if (n != json_array_size(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!jcs_equal(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	if (json_is_object(a)) {
		const char *key;
		size_t key_len;
		json_t *va;
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_keylen_foreach((json_t *)a, key, key_len, va) {
			json_t *vb = json_object_getn(b, key, key_len);
			if (vb == NULL || !jcs_equal(va, vb))
				return 0;
		}
		return 1;
	}
	return json_equal(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_error err;
	json_error_t jerr;
	json_t *root, *again = NULL;
	char *c1 = NULL, *c2 = NULL;
	size_t n1, n2;
	tx_err rc;

	root = json_loadb((const char *)data, size, LOAD_FLAGS, &jerr);
	if (root == NULL)
		return 0;
	rc = stix_canonicalize(root, &c1, &n1, &err);
	if (rc != TX_OK) {
		/* jansson only makes valid UTF-8 and finite reals, and nests no
		 * deeper than its own cap of 2048, so the depth cap is the
		 * one refusal a parsed value can meet. */
		if (rc != TX_ERR_INVALID || c1 != NULL ||
		    strstr(err.msg, "nested deeper") == NULL)
			abort();
		goto out;
	}
	if (c1 == NULL || strlen(c1) != n1)
		abort();
	again = json_loadb(c1, n1, LOAD_FLAGS, &jerr);
	if (again == NULL) {
		if (json_error_code(&jerr) == json_error_numeric_overflow)
			goto out;
		abort();
	}
	if (!jcs_equal(root, again))
		abort();
	if (stix_canonicalize(again, &c2, &n2, &err) != TX_OK)
		abort();
	if (n1 != n2 || memcmp(c1, c2, n1) != 0)
		abort();
out:
	free(c1);
	free(c2);
	json_decref(again);
	json_decref(root);
	return 0;
}
