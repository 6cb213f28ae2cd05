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
