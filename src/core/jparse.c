/*
 * core/jparse.c: a JSON reader that builds jansson values.
 *
 * jansson's own reader takes its input a byte at a time through a stream
 * and copies every string twice; on the ingest paths (a partner's batch,
 * a pushed bundle, delivery reading its rows back) it was the largest
 * single cost. This one reads the text in place and hands jansson whole
 * strings, numbers and keys. It accepts exactly what json_loadb accepts
 * with the same flags (RFC 8259, strict UTF-8, no U+0000, depth 2048,
 * integers that fit json_int_t, finite reals) and builds equal values:
 * fuzz/fuzz_jparse.c checks both, byte for byte, against json_loadb.
 * One difference: jansson skips a NUL byte straight after a number or a
 * literal ("[1\0]" reads as [1]); here a NUL byte outside a string is an
 * error, as RFC 8259 says.
 * Error texts are its own, and so is where an error is placed: line,
 * column (in characters) and position point at or just past the
 * offending byte, which is near, not always at, where jansson would point.
 * json_error_code() works on the errors as on jansson's.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/jscan.h"

#define JP_MAX_DEPTH 2048

struct jp {
	const unsigned char *s;
	size_t len, i;
	size_t flags;
	int depth;
	json_error_t *err;
	char *buf; /* strings with escapes are decoded here */
	size_t cap;
	int failed;
	/* Values read as null without looking, for tx_json_frame_valid. */
	const struct tx_span *skip;
	size_t n_skip, k;
};

/* Record the first error: where (byte at), jansson's code for it, text. */
static void jp_error(struct jp *p, size_t at, enum json_error_code code,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void jp_error(struct jp *p, size_t at, enum json_error_code code,
		     const char *fmt, ...)
{
	va_list ap;
	int line = 1, column = 0;

	if (p->failed)
		return;
	p->failed = 1;
	if (p->err == NULL)
		return;
	if (at > p->len)
		at = p->len;
	/* Columns count characters (UTF-8 lead bytes), as jansson's do. */
	for (size_t k = 0; k < at; k++) {
		if (p->s[k] == '\n') {
			line++;
			column = 0;
		} else if ((p->s[k] & 0xc0) != 0x80) {
			column++;
		}
	}
	p->err->line = line;
	p->err->column = column;
	p->err->position = (int)at;
	snprintf(p->err->source, sizeof(p->err->source), "%s", "<buffer>");
	va_start(ap, fmt);
	vsnprintf(p->err->text, sizeof(p->err->text) - 1, fmt, ap);
	va_end(ap);
	/* jansson keeps the json_error_code in the last byte of text. */
	p->err->text[sizeof(p->err->text) - 1] = (char)code;
}

static void skip_ws(struct jp *p)
{
	while (p->i < p->len) {
		unsigned char c = p->s[p->i];
		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			break;
		p->i++;
	}
}

static int hex4(const unsigned char *s, unsigned *out)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++) {
		unsigned char c = s[k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int buf_reserve(struct jp *p, size_t need)
{
	char *b;
	size_t cap = p->cap ? p->cap : 256;

	if (need <= p->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if ((b = realloc(p->buf, cap)) == NULL) {
		jp_error(p, p->i, json_error_out_of_memory, "out of memory");
		return -1;
	}
	p->buf = b;
	p->cap = cap;
	return 0;
}

/* The string starting at s[i] == '"': its decoded bytes in *out (either
 * in the text or in p->buf) and their length; p->i moves past it. */
static int read_string(struct jp *p, const char **out, size_t *out_len)
{
	const unsigned char *s = p->s;
	size_t i = p->i + 1, start = i, n = 0;

	/* Fast path: no escapes. */
	for (;;) {
		i = tx_json_plain_run(s, i, p->len);
		if (i >= p->len) {
			jp_error(p, p->len, json_error_premature_end_of_input,
				 "premature end of input in a string");
			return -1;
		}
		if (s[i] == '"') {
			*out = (const char *)s + start;
			*out_len = i - start;
			p->i = i + 1;
			return 0;
		}
		if (s[i] >= 0x80) {
			size_t k = tx_utf8_len(s + i, p->len - i);
			if (k == 0) {
				jp_error(p, i + 1, json_error_invalid_utf8,
					 "invalid UTF-8 byte 0x%02x in a string",
					 s[i]);
				return -1;
			}
			i += k;
			continue;
		}
		if (s[i] < 0x20) {
			jp_error(p, i, json_error_invalid_syntax,
				 "control character 0x%x in a string", s[i]);
			return -1;
		}
		break; /* a backslash */
	}
	/* Slow path: decode from start into p->buf. */
	if (buf_reserve(p, i - start + 64) != 0)
		return -1;
	memcpy(p->buf, s + start, i - start);
	n = i - start;
	while (i < p->len && s[i] != '"') {
		unsigned char c = s[i];
		if (buf_reserve(p, n + 8) != 0)
			return -1;
		if (c >= 0x80) {
			size_t k = tx_utf8_len(s + i, p->len - i);
			if (k == 0) {
				jp_error(p, i + 1, json_error_invalid_utf8,
					 "invalid UTF-8 byte 0x%02x in a string",
					 c);
				return -1;
			}
			memcpy(p->buf + n, s + i, k);
			n += k;
			i += k;
			continue;
		}
		if (c < 0x20) {
			jp_error(p, i, json_error_invalid_syntax,
				 "control character 0x%x in a string", c);
			return -1;
		}
		if (c != '\\') {
			p->buf[n++] = (char)c;
			i++;
			continue;
		}
		if (i + 1 >= p->len) {
			i = p->len; /* a backslash at the very end */
			break;
		}
		c = s[i + 1];
		i += 2;
		switch (c) {
		case '"': case '\\': case '/':
			p->buf[n++] = (char)c;
			continue;
		case 'b': p->buf[n++] = '\b'; continue;
		case 'f': p->buf[n++] = '\f'; continue;
		case 'n': p->buf[n++] = '\n'; continue;
		case 'r': p->buf[n++] = '\r'; continue;
		case 't': p->buf[n++] = '\t'; continue;
		case 'u':
			break;
		default:
			jp_error(p, i, json_error_invalid_syntax,
				 "invalid escape '\\%c' in a string",
				 c >= 0x20 && c < 0x7f ? c : '?');
			return -1;
		}
		unsigned cp, lo;
		if (i + 4 > p->len || hex4(s + i, &cp) != 0) {
			jp_error(p, i, json_error_invalid_syntax,
				 "invalid \\u escape in a string");
			return -1;
		}
		i += 4;
		if (cp >= 0xdc00 && cp <= 0xdfff) {
			jp_error(p, i, json_error_invalid_syntax,
				 "invalid Unicode '\\u%04X': a low surrogate"
				 " alone", cp);
			return -1;
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 6 > p->len || s[i] != '\\' || s[i + 1] != 'u' ||
			    hex4(s + i + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
				jp_error(p, i, json_error_invalid_syntax,
					 "invalid Unicode '\\u%04X': a high"
					 " surrogate without its low half", cp);
				return -1;
			}
			i += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (cp == 0) {
			jp_error(p, i, json_error_null_character,
				 "\\u0000 is not allowed in a string");
			return -1;
		}
		if (cp < 0x80) {
			p->buf[n++] = (char)cp;
		} else if (cp < 0x800) {
			p->buf[n++] = (char)(0xc0 | (cp >> 6));
			p->buf[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			p->buf[n++] = (char)(0xe0 | (cp >> 12));
			p->buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			p->buf[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			p->buf[n++] = (char)(0xf0 | (cp >> 18));
			p->buf[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			p->buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			p->buf[n++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	if (i >= p->len) {
		jp_error(p, p->len, json_error_premature_end_of_input,
			 "premature end of input in a string");
		return -1;
	}
	*out = p->buf;
	*out_len = n;
	p->i = i + 1;
	return 0;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static json_t *read_number(struct jp *p)
{
	const unsigned char *s = p->s;
	size_t i = p->i, start = i;
	int real = 0;
	json_t *v;

	if (i < p->len && s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(s[i]))
		goto bad;
	if (s[i] == '0') {
		i++;
		if (i < p->len && is_digit(s[i]))
			goto bad;
	} else {
		while (i < p->len && is_digit(s[i]))
			i++;
	}
	if (i < p->len && s[i] == '.') {
		real = 1;
		if (++i >= p->len || !is_digit(s[i]))
			goto bad;
		while (i < p->len && is_digit(s[i]))
			i++;
	}
	if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
		real = 1;
		if (++i < p->len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(s[i]))
			goto bad;
		while (i < p->len && is_digit(s[i]))
			i++;
	}
	p->i = i;
	if (!real && !(p->flags & JSON_DECODE_INT_AS_REAL)) {
		/* Exact integer arithmetic: what strtoll would give. */
		int neg = s[start] == '-';
		uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		uint64_t u = 0;
		for (size_t k = start + (size_t)neg; k < i; k++) {
			unsigned d = s[k] - '0';
			if (u > (limit - d) / 10) {
				jp_error(p, i, json_error_numeric_overflow,
					 "too big %sinteger", neg ? "negative " : "");
				return NULL;
			}
			u = u * 10 + d;
		}
		v = json_integer(neg ? (json_int_t)(0 - u) : (json_int_t)u);
	} else {
		char small[64], *t = small;
		double d;
		if (i - start >= sizeof(small)) {
			if ((t = malloc(i - start + 1)) == NULL) {
				jp_error(p, i, json_error_out_of_memory,
					 "out of memory");
				return NULL;
			}
		}
		memcpy(t, s + start, i - start);
		t[i - start] = '\0';
		errno = 0;
		d = strtod(t, NULL);
		if (t != small)
			free(t);
		if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE) {
			jp_error(p, i, json_error_numeric_overflow,
				 "real number overflow");
			return NULL;
		}
		v = json_real(d);
	}
	if (v == NULL)
		jp_error(p, i, json_error_out_of_memory, "out of memory");
	return v;
bad:
	jp_error(p, i + 1 <= p->len ? i + 1 : p->len, json_error_invalid_syntax,
		 "invalid number");
	return NULL;
}

static json_t *read_value(struct jp *p);
static json_t *read_value_at_depth(struct jp *p);

/* After a member of a list or an object: 1 at a ',' (passed, with the
 * space after it), 0 at close (passed), -1 at anything else. */
static int after_member(struct jp *p, char close)
{
	skip_ws(p);
	if (p->i >= p->len) {
		jp_error(p, p->len, json_error_premature_end_of_input,
			 "premature end of input: '%c' expected", close);
		return -1;
	}
	if (p->s[p->i] == (unsigned char)close) {
		p->i++;
		return 0;
	}
	if (p->s[p->i] != ',') {
		jp_error(p, p->i + 1, json_error_invalid_syntax,
			 "'%c' or ',' expected", close);
		return -1;
	}
	p->i++;
	skip_ws(p);
	return 1;
}

/* Past the opening bracket of container c (just made): -1 when c is
 * NULL (out of memory), 0 when it closes at once (passed), 1 when members
 * follow. */
static int open_container(struct jp *p, const json_t *c, char close)
{
	if (c == NULL) {
		jp_error(p, p->i, json_error_out_of_memory, "out of memory");
		return -1;
	}
	p->i++;
	skip_ws(p);
	if (p->i < p->len && p->s[p->i] == (unsigned char)close) {
		p->i++;
		return 0;
	}
	return 1;
}

static json_t *read_array(struct jp *p)
{
	json_t *a = json_array(), *v;
	int r;

	if ((r = open_container(p, a, ']')) <= 0)
		return r == 0 ? a : NULL;
	for (;;) {
		if ((v = read_value(p)) == NULL)
			goto fail;
		if (json_array_append_new(a, v) != 0) {
			jp_error(p, p->i, json_error_out_of_memory,
				 "out of memory");
			goto fail;
		}
		if ((r = after_member(p, ']')) < 0)
			goto fail;
		if (r == 0)
			return a;
	}
fail:
	json_decref(a);
	return NULL;
}

static json_t *read_object(struct jp *p)
{
	json_t *o = json_object(), *v;
	const char *key;
	size_t key_len;
	int r;

	if ((r = open_container(p, o, '}')) <= 0)
		return r == 0 ? o : NULL;
	for (;;) {
		char small[128], *k = small;
		size_t before = json_object_size(o);
		int rc;

		if (p->i >= p->len || p->s[p->i] != '"') {
			jp_error(p, p->i + 1 <= p->len ? p->i + 1 : p->len,
				 json_error_invalid_syntax,
				 "string or '}' expected");
			goto fail;
		}
		if (read_string(p, &key, &key_len) != 0)
			goto fail;
		if (key == p->buf) {
			/* The value may reuse p->buf: keep the key apart. */
			if (key_len >= sizeof(small) &&
			    (k = malloc(key_len + 1)) == NULL) {
				jp_error(p, p->i, json_error_out_of_memory,
					 "out of memory");
				goto fail;
			}
			memcpy(k, key, key_len);
			key = k;
		}
		skip_ws(p);
		if (p->i >= p->len || p->s[p->i] != ':') {
			jp_error(p, p->i + 1 <= p->len ? p->i + 1 : p->len,
				 json_error_invalid_syntax,
				 "':' expected");
			if (k != small)
				free(k);
			goto fail;
		}
		p->i++;
		skip_ws(p);
		if ((v = read_value(p)) == NULL) {
			if (k != small)
				free(k);
			goto fail;
		}
		rc = json_object_setn_new_nocheck(o, key, key_len, v);
		if (k != small)
			free(k);
		if (rc != 0) {
			jp_error(p, p->i, json_error_out_of_memory,
				 "out of memory");
			goto fail;
		}
		if ((p->flags & JSON_REJECT_DUPLICATES) &&
		    json_object_size(o) == before) {
			jp_error(p, p->i, json_error_duplicate_key,
				 "duplicate object key");
			goto fail;
		}
		if ((r = after_member(p, '}')) < 0)
			goto fail;
		if (r == 0)
			return o;
	}
fail:
	json_decref(o);
	return NULL;
}

static json_t *literal(struct jp *p, const char *word, size_t n, json_t *v)
{
	size_t end = p->i + n;

	/* A word is all the letters in a row ("truex" is one, and wrong). */
	if (p->len - p->i < n || memcmp(p->s + p->i, word, n) != 0 ||
	    (end < p->len && (p->s[end] | 0x20) >= 'a' &&
	     (p->s[end] | 0x20) <= 'z')) {
		jp_error(p, p->i + 1, json_error_invalid_syntax,
			 "invalid token");
		return NULL;
	}
	p->i = end;
	return v;
}

static json_t *read_value(struct jp *p)
{
	json_t *v;

	if (p->i >= p->len) {
		jp_error(p, p->len, json_error_premature_end_of_input,
			 "premature end of input");
		return NULL;
	}
	/* Every value counts, scalars too, as in jansson. */
	if (p->depth + 1 > JP_MAX_DEPTH) {
		jp_error(p, p->i + 1, json_error_stack_overflow,
			 "maximum parsing depth reached");
		return NULL;
	}
	if (p->k < p->n_skip && p->i == p->skip[p->k].off) {
		p->i += p->skip[p->k++].len; /* an element read on its own */
		return json_null();
	}
	p->depth++;
	v = read_value_at_depth(p);
	p->depth--;
	return v;
}

static json_t *read_value_at_depth(struct jp *p)
{
	json_t *v = NULL;
	const char *str;
	size_t n;

	switch (p->s[p->i]) {
	case '{':
		return read_object(p);
	case '[':
		return read_array(p);
	case '"':
		if (read_string(p, &str, &n) != 0)
			return NULL;
		if ((v = json_stringn_nocheck(str, n)) == NULL)
			jp_error(p, p->i, json_error_out_of_memory,
				 "out of memory");
		return v;
	case 't':
		return literal(p, "true", 4, json_true());
	case 'f':
		return literal(p, "false", 5, json_false());
	case 'n':
		return literal(p, "null", 4, json_null());
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return read_number(p);
	default:
		if (p->s[p->i] >= 0x80 &&
		    tx_utf8_len(p->s + p->i, p->len - p->i) == 0)
			jp_error(p, p->i + 1, json_error_invalid_utf8,
				 "invalid UTF-8 byte 0x%02x",
				 p->s[p->i]);
		else
			jp_error(p, p->i + 1, json_error_invalid_syntax,
				 "invalid token");
		return NULL;
	}
}

static json_t *load(struct jp *p)
{
	json_t *v = NULL;

	if (p->err != NULL) {
		memset(p->err, 0, sizeof(*p->err));
		p->err->line = p->err->column = p->err->position = -1;
	}
	if (p->s == NULL) {
		jp_error(p, 0, json_error_invalid_argument, "no text");
		return NULL;
	}
	skip_ws(p);
	if (!(p->flags & JSON_DECODE_ANY) && p->i < p->len &&
	    p->s[p->i] != '{' && p->s[p->i] != '[') {
		jp_error(p, p->i + 1, json_error_invalid_syntax,
			 "'[' or '{' expected");
		return NULL;
	}
	if ((v = read_value(p)) != NULL && (p->flags & JSON_DISABLE_EOF_CHECK)) {
		if (p->err != NULL)
			p->err->position = (int)p->i; /* where the value ended */
	} else if (v != NULL) {
		skip_ws(p);
		if (p->i < p->len) {
			jp_error(p, p->i + 1, json_error_end_of_input_expected,
				 "end of file expected");
			json_decref(v);
			v = NULL;
		}
	}
	free(p->buf);
	p->buf = NULL;
	return v;
}

json_t *tx_json_load(const char *text, size_t len, size_t flags,
		     json_error_t *err)
{
	struct jp p = { .s = (const unsigned char *)text, .len = len,
			.flags = flags, .err = err };

	return load(&p);
}

int tx_json_frame_valid(const char *text, size_t len, const struct tx_span *spans,
			size_t n, json_error_t *jerr)
{
	struct jp p = { .s = (const unsigned char *)text, .len = len,
			.flags = JSON_REJECT_DUPLICATES, .err = jerr,
			.skip = spans, .n_skip = n };
	json_t *frame;

	for (size_t i = 0; i < n; i++) {
		if (spans[i].len == 0 || spans[i].off + spans[i].len > len ||
		    (i > 0 && spans[i].off < spans[i - 1].off + spans[i - 1].len)) {
			jp_error(&p, 0, json_error_invalid_syntax, "bad span");
			return 0;
		}
	}
	if ((frame = load(&p)) == NULL)
		return 0;
	json_decref(frame);
	if (p.k != n) {
		/* An element was not where a value is: the list is not what
		 * the scanner took it for. */
		p.failed = 0;
		jp_error(&p, spans[p.k].off, json_error_invalid_syntax,
			 "objects[%zu] is not an element of"
			 " the list", p.k);
		return 0;
	}
	return 1;
}
