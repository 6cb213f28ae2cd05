/*
 * fuzz/fuzz_form.c: the console's form bodies (application/x-www-form-
 * urlencoded, console_form_field) and the CSRF check on what they carry.
 *
 * A field found is NUL-terminated inside its buffer with no NUL before
 * the end (a %00 is refused), never longer than the buffer allows, and
 * the same when looked up twice; a buffer of one byte never holds a
 * value. The input is split: the first byte picks the field name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "csrf", "name", "password", "q",
					     "lang", "" };
	char *body, a[256], b[256], tiny[1];
	const char *name;
	size_t len;

	if (size == 0)
		return 0;
	name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
	len = size - 1;
	if ((body = malloc(len + 1)) == NULL)
		return 0;
	memcpy(body, data + 1, len);
	body[len] = '\0';
	if (console_form_field(body, len, name, a, sizeof(a)) == 0) {
		if (memchr(a, '\0', sizeof(a)) == NULL)
			abort();
		if (console_form_field(body, len, name, b, sizeof(b)) != 0 ||
		    strcmp(a, b) != 0)
			abort();
	}
	if (console_form_field(body, len, name, tiny, sizeof(tiny)) == 0 &&
	    tiny[0] != '\0')
		abort();
	free(body);
	return 0;
}
