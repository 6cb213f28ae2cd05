/*
 * fuzz/fuzz_accept.c: the accept path's reading of a plain-HTTP request
 * (taxii_accept_https_url, src/taxii/accept.c), the bytes a client sends
 * to the HTTPS port before it is answered 400.
 *
 * The address is always NUL-terminated within its buffer, starts with
 * "https://", ends with "/" when it fits, and holds no byte outside the
 * allowed set (letters, digits, ".-:[]/"): nothing else of the request is
 * ever echoed. The first byte picks the buffer size (small ones cut).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taxii/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[300], *head;
	size_t n;

	if (size == 0)
		return 0;
	n = 1 + data[0] % sizeof(out);
	if ((head = malloc(size)) == NULL)
		return 0;
	memcpy(head, data + 1, size - 1);
	head[size - 1] = '\0';
	memset(out, 'X', sizeof(out));
	taxii_accept_https_url(head, 8443, out, n);
	if (memchr(out, '\0', n) == NULL)
		abort();
	if (n > 9 && strncmp(out, "https://", 8) != 0)
		abort();
	for (const char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(".-:[]/", *p) != NULL))
			abort();
	if (strlen(out) + 1 < n && out[strlen(out) - 1] != '/')
		abort();
	free(head);
	return 0;
}
