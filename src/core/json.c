/*
 * core/json.c: finding values in JSON text without building a tree.
 *
 * Used to keep each object of a POST or a file exactly as it was sent
 * (minus insignificant whitespace) instead of serialising the parsed tree
 * again, which was about a third of the cost of ingest. They take any
 * text and never read past len; what they find means something only for
 * text a parser accepts (tx_json_frame_valid, in core/jparse.c, checks a
 * whole bundle around the spans found here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define MAX_DEPTH 512

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
			   s[i] == '\r'))
		i++;
	return i;
}

/* Index just past the string starting at s[i] == '"', or len on error. */
static size_t skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len + 1;
}

/* Index just past the value starting at s[i], or > len on error. */
static size_t skip_value(const char *s, size_t len, size_t i)
{
	int depth = 0;

	if (i >= len)
		return len + 1;
	if (s[i] == '"')
		return skip_string(s, len, i);
	if (s[i] != '{' && s[i] != '[') {
		while (i < len && !strchr(",}] \t\r\n", s[i]))
			i++;
		return i;
	}
	for (; i < len; i++) {
		char c = s[i];
		if (c == '"') {
			i = skip_string(s, len, i) - 1;
		} else if (c == '{' || c == '[') {
			if (++depth > MAX_DEPTH)
				return len + 1;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return len + 1;
}

tx_err tx_json_array_spans(const char *s, size_t len, const char *key,
			   struct tx_span **out, size_t *n_out)
{
	return tx_json_array_spans_max(s, len, key, SIZE_MAX, out, n_out);
}

tx_err tx_json_array_spans_max(const char *s, size_t len, const char *key,
			       size_t max, struct tx_span **out, size_t *n_out)
{
	size_t klen = strlen(key), i = skip_ws(s, len, 0), n = 0, cap = 0;
	struct tx_span *spans = NULL, *p;

	if (i >= len || s[i] != '{')
		return TX_ERR_INVALID;
	i = skip_ws(s, len, i + 1);
	while (i < len && s[i] == '"') {
		size_t kend = skip_string(s, len, i);
		int match;
		if (kend > len)
			break;
		match = kend - i - 2 == klen && memcmp(s + i + 1, key, klen) == 0;
		i = skip_ws(s, len, kend);
		if (i >= len || s[i] != ':')
			break;
		i = skip_ws(s, len, i + 1);
		if (match && i < len && s[i] == '[') {
			i = skip_ws(s, len, i + 1);
			while (i < len && s[i] != ']') {
				size_t end = skip_value(s, len, i);
				/* on text no parser accepted, a value may be
				 * empty: no progress is no list */
				if (end > len || end == i)
					goto bad;
				if (n == max) {
					free(spans);
					*n_out = n + 1;
					return TX_ERR_TOOBIG;
				}
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					if ((p = realloc(spans, cap * sizeof(*p))) == NULL) {
						free(spans);
						return TX_ERR_NOMEM;
					}
					spans = p;
				}
				spans[n].off = i;
				spans[n].len = end - i;
				n++;
				i = skip_ws(s, len, end);
				if (i < len && s[i] == ',')
					i = skip_ws(s, len, i + 1);
				else if (i < len && s[i] != ']')
					goto bad;
			}
			*out = spans;
			*n_out = n;
			return TX_OK;
		}
		i = skip_value(s, len, i);
		if (i > len)
			break;
		i = skip_ws(s, len, i);
		if (i < len && s[i] == ',')
			i = skip_ws(s, len, i + 1);
	}
bad:
	free(spans);
	return TX_ERR_NOTFOUND;
}

size_t tx_json_compact(const char *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '"') {
			size_t end = skip_string(in, len, i);
			if (end > len)
				end = len;
			memcpy(out + o, in + i, end - i);
			o += end - i;
			i = end - 1;
		} else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			out[o++] = c;
		}
	}
	out[o] = '\0';
	return o;
}

const char *tx_json_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- allocation failures of JSON values ---- */

static _Thread_local unsigned long json_failures;

static void *guard_malloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		json_failures++;
	return p;
}

void tx_json_guard_install(void)
{
	json_set_alloc_funcs(guard_malloc, free);
}

unsigned long tx_json_failures(void)
{
	return json_failures;
}

void tx_json_failure_note(void)
{
	json_failures++;
}

json_t *tx_json_whole(unsigned long mark, json_t *v)
{
	if (json_failures == mark)
		return v;
	json_decref(v);
	return NULL;
}

/* ---- serialising a tree whole or not at all ---- */

struct dump_sink {
	struct tx_buf b;
	int failed; /* sticky: jansson ignores some of the callback's refusals */
};

static int dump_append(const char *text, size_t len, void *data)
{
	struct dump_sink *s = data;

	if (s->failed || tx_buf_append(&s->b, text, len) != TX_OK) {
		s->failed = 1;
		return -1;
	}
	return 0;
}

char *tx_json_dumps(const json_t *v, size_t flags)
{
	struct dump_sink s = { .failed = 0 };

	tx_buf_init(&s.b, 0);
	if (v == NULL || json_dump_callback(v, dump_append, &s, flags) != 0 ||
	    s.failed) {
		/* a text that could not be had counts as a JSON allocation
		 * failure, as json_dumps's own (jansson's allocator) did */
		if (s.failed)
			tx_json_failure_note();
		tx_buf_free(&s.b);
		return NULL;
	}
	return tx_buf_take(&s.b);
}
