/* core/buf.c: a growable byte buffer that refuses to grow past its cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

void tx_buf_init(struct tx_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : SIZE_MAX / 2;
}

static tx_err grow(struct tx_buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (need > b->max || need < b->len)
		return TX_ERR_TOOBIG;
	if (need + 1 <= b->cap)
		return TX_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need + 1)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->data, cap);
	if (p == NULL)
		return TX_ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	return TX_OK;
}

tx_err tx_buf_reserve(struct tx_buf *b, size_t len)
{
	return grow(b, b->len + len);
}

tx_err tx_buf_append(struct tx_buf *b, const void *data, size_t len)
{
	tx_err rc = grow(b, b->len + len);

	if (rc != TX_OK)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return TX_OK;
}

tx_err tx_buf_puts(struct tx_buf *b, const char *s)
{
	return tx_buf_append(b, s, strlen(s));
}

tx_err tx_buf_printf(struct tx_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	tx_err rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return TX_ERR_INVALID;
	if ((rc = grow(b, b->len + (size_t)n)) != TX_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return TX_OK;
}

int tx_strfmt(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (n == 0)
		return 1;
	va_start(ap, fmt);
	len = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	if (len < 0) {
		out[0] = '\0';
		return 1;
	}
	if ((size_t)len < n)
		return 0;
	if (n > 3) {
		/* back to a character boundary, so the cut is valid UTF-8 */
		size_t end = n - 4;
		while (end > 0 && ((unsigned char)out[end] & 0xC0) == 0x80)
			end--;
		memcpy(out + end, "...", 4);
	}
	return 1;
}

char *tx_buf_take(struct tx_buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void tx_buf_free(struct tx_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

tx_err tx_buf_json_string(struct tx_buf *b, const char *s)
{
	static const char hx[] = "0123456789abcdef";
	tx_err rc = tx_buf_append(b, "\"", 1);
	const char *run = s;

	for (; rc == TX_OK && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7];
		size_t n = 0;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			n = 2;
		} else if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hx[c >> 4];
			esc[5] = hx[c & 15];
			n = 6;
		} else {
			continue;
		}
		if ((rc = tx_buf_append(b, run, (size_t)(s - run))) == TX_OK)
			rc = tx_buf_append(b, esc, n);
		run = s + 1;
	}
	if (rc == TX_OK)
		rc = tx_buf_append(b, run, (size_t)(s - run));
	return rc == TX_OK ? tx_buf_append(b, "\"", 1) : rc;
}
