/*
 * fuzz/fuzz_query.c: the query string and headers of a TAXII GET.
 *
 * The input is split on '&' into key=value pairs (raw bytes, no
 * percent-decoding, each copied to its own NUL-terminated buffer so the
 * sanitizers see the exact extent) and fed to taxii_filters_add. The first line
 * of the input also goes to the Accept and Content-Type checks and to the
 * next-token decoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "taxii/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

/* A NUL-terminated copy of n bytes; caller frees. */
static char *copy(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void check_filters(const struct filters *f)
{
	const struct store_query *q = &f->q;

	/* The clamp and the list caps hold whatever came in. */
	if (q->limit < 1 || q->limit > (f->has_limit ? PAGE_MAX : PAGE_DEFAULT))
		abort();
	if (q->n_ids > FILTER_LIST_MAX || q->n_types > FILTER_LIST_MAX ||
	    q->n_spec_versions > FILTER_LIST_MAX ||
	    q->versions.n_at > FILTER_LIST_MAX)
		abort();
	/* Every listed value is a non-empty string. */
	for (size_t i = 0; i < q->n_ids; i++)
		if (q->ids[i][0] == '\0')
			abort();
	for (size_t i = 0; i < q->n_types; i++)
		if (q->types[i][0] == '\0')
			abort();
	for (size_t i = 0; i < q->n_spec_versions; i++)
		if (q->spec_versions[i][0] == '\0')
			abort();
}

/*
 * Like the server: parameters in order, and the first refusal ends the
 * request (a 400), so the filters are only checked when all were taken.
 */
static void fuzz_filters(const uint8_t *data, size_t size)
{
	struct filters f;
	const uint8_t *p = data, *end = data + size;
	char msg[256];
	int r = 0;

	taxii_filters_init(&f, PAGE_DEFAULT);
	for (;;) {
		const uint8_t *amp = memchr(p, '&', (size_t)(end - p));
		const uint8_t *stop = amp ? amp : end;
		const uint8_t *eq = memchr(p, '=', (size_t)(stop - p));
		char *key, *value = NULL;

		key = copy(p, (size_t)((eq ? eq : stop) - p));
		if (eq)
			value = copy(eq + 1, (size_t)(stop - eq - 1));
		msg[0] = '\0';
		r = taxii_filters_add(&f, key, value, PAGE_MAX, msg, sizeof(msg));
		/* A refusal always says why (it becomes the 400's message). */
		if (r != 0 && (r != -1 || msg[0] == '\0' ||
			       memchr(msg, '\0', sizeof(msg)) == NULL))
			abort();
		free(key);
		free(value);
		if (r != 0 || amp == NULL)
			break;
		p = amp + 1;
	}
	if (r == 0)
		check_filters(&f);
	taxii_filters_free(&f);
}

static void fuzz_line(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *line = copy(data, nl ? (size_t)(nl - data) : size);
	struct store_cursor c, c2;
	char token[STORE_TOKEN_BUF];

	(void)taxii_media_accept_ok(line, 0);
	(void)taxii_media_accept_ok(line, 1);
	(void)taxii_media_content_type_ok(line, 0);
	(void)taxii_media_content_type_ok(line, 1);
	/* A token that decodes encodes back to one that decodes the same. */
	if (store_cursor_decode(line, &c) == TX_OK) {
		store_cursor_encode(&c, token);
		if (store_cursor_decode(token, &c2) != TX_OK ||
		    c2.date_added != c.date_added || c2.rowid != c.rowid)
			abort();
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_filters(data, size);
	fuzz_line(data, size);
	return 0;
}
