/*
 * fuzz_stix: libFuzzer target for stix_validate.
 *
 * The input is parsed as JSON (any value, NUL bytes inside strings
 * allowed, so the validator sees strings C would cut short). The value is
 * validated, and when it is an object with an "objects" array (a bundle),
 * so is every element. Seed with OASIS example bundles and ATT&CK.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "stix/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_error err;
	json_error_t jerr;
	json_t *root, *objects, *o;
	size_t i;

	root = json_loadb((const char *)data, size,
			  JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (root == NULL)
		return 0;
	(void)stix_validate(root, &err);
	objects = json_object_get(root, "objects");
	if (json_is_array(objects)) {
		json_array_foreach(objects, i, o)
			(void)stix_validate(o, &err);
	}
	json_decref(root);
	return 0;
}
