/*
 * stix/canon.c: the RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * Design
 *   A signature over a STIX object is a signature over its canonical text,
 *   so two nodes must turn equal values into identical bytes. JCS fixes
 *   every choice a serialiser could make:
 *
 *     - no whitespace;
 *     - object members sorted by their names compared as arrays of UTF-16
 *       code units (so a name holding a character above U+FFFF sorts by
 *       its surrogates, below U+E000..U+FFFF), not by UTF-8 bytes;
 *     - strings escape only '"', '\\' and the control characters below
 *       0x20 (\b \f \n \r \t by name, the rest as \u00xx in lower-case
 *       hex); everything else is written as raw UTF-8;
 *     - numbers as ECMAScript's Number.prototype.toString writes them:
 *       the shortest decimal digits that read back as the same double,
 *       laid out in fixed notation when the decimal exponent n (with
 *       10^(n-1) <= |x| < 10^n) is in (-6, 21], else as d.ddde+/-x.
 *
 *   jansson integers are 64-bit; JCS numbers are doubles. Integers within
 *   +/-2^53 are exact doubles and print as plain integers; larger ones
 *   are converted to the nearest double and printed as one, as JavaScript
 *   would see them.
 *
 * Invariants
 *   The value is only read. Strings and names are checked to be UTF-8
 *   (no overlong forms, no surrogates, nothing above U+10FFFF) before they
 *   are written or compared; NaN and infinities are refused. Recursion is
 *   capped at MAX_DEPTH nested containers, so no value (not even one that
 *   contains itself) can drive it deeper. Output grows in one tx_buf; the
 *   only other allocation is one member array per object being written,
 *   freed before its function returns.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/internal.h"
#include "stix/stix.h"

#define MAX_DEPTH 512
/* Room for the property path in error messages, built from the leaf up. */
#define PATH_ROOM 200
/* Longest piece of a member name shown in a path. */
#define PATH_KEY_MAX 48
/* 2^53: integers up to this magnitude are exact doubles. */
#define EXACT_INT_MAX 9007199254740992LL

struct canon {
	struct tx_buf out;
	/* A member of the top-level "extensions" to leave out, or NULL. */
	const char *omit_ext;
	struct tx_error *err;
	/* The path of the failing value, filled from the end towards the
	 * front while the recursion unwinds: path[path_off..PATH_ROOM). */
	char path[PATH_ROOM];
	size_t path_off;
	int path_cut;
};

/* One member of an object; borrows the name and value from the object. */
struct member {
	const char *key;
	size_t len;
	const json_t *value;
};

static tx_err put_value(struct canon *c, const json_t *v, int depth);

/* ---- error paths ---- */

static void path_prepend(struct canon *c, const char *s, size_t n)
{
	if (c->path_cut)
		return;
	if (n + 3 > c->path_off) {
		/* Out of room: mark the front as cut and keep the tail, which
		 * names the failing value itself. */
		c->path_off -= 3;
		memcpy(c->path + c->path_off, "...", 3);
		c->path_cut = 1;
		return;
	}
	c->path_off -= n;
	memcpy(c->path + c->path_off, s, n);
}

static void path_prepend_index(struct canon *c, size_t i)
{
	char seg[32];
	int n = snprintf(seg, sizeof(seg), "[%zu]", i);

	path_prepend(c, seg, (size_t)n);
}

/* ".name", with bytes that are not printable ASCII shown as '?' (the name
 * may be the invalid UTF-8 being reported) and long names shortened. */
static void path_prepend_key(struct canon *c, const char *key, size_t len)
{
	char seg[PATH_KEY_MAX + 4];
	size_t n = 0, i;

	seg[n++] = '.';
	for (i = 0; i < len && i < PATH_KEY_MAX; i++) {
		unsigned char b = (unsigned char)key[i];
		seg[n++] = (b >= 0x20 && b < 0x7f) ? (char)b : '?';
	}
	if (i < len) {
		memcpy(seg + n, "...", 3);
		n += 3;
	}
	path_prepend(c, seg, n);
}

/* ---- UTF-8 and UTF-16 ---- */

/*
 * Decode the character at s[*i] (len bytes in all) into *cp and advance
 * *i. Returns -1 on anything that is not well-formed UTF-8 (RFC 3629):
 * stray continuation bytes, overlong forms, surrogates, values above
 * U+10FFFF, sequences cut short.
 */
static int utf8_next(const unsigned char *s, size_t len, size_t *i,
		     uint32_t *cp)
{
	unsigned char b = s[*i];
	size_t n, k;
	uint32_t v, min;

	if (b < 0x80) {
		*cp = b;
		*i += 1;
		return 0;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2;
		v = b & 0x1fu;
		min = 0x80;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		v = b & 0x0fu;
		min = 0x800;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		v = b & 0x07u;
		min = 0x10000;
	} else {
		return -1;
	}
	if (len - *i < n)
		return -1;
	for (k = 1; k < n; k++) {
		unsigned char t = s[*i + k];
		if ((t & 0xc0) != 0x80)
			return -1;
		v = (v << 6) | (t & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*cp = v;
	*i += n;
	return 0;
}

static int utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		/* ASCII, eight bytes at a time: most of what is signed. */
		while (len - i >= 8) {
			uint64_t w;
			memcpy(&w, u + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i < len && utf8_next(u, len, &i, &cp) != 0)
			return 0;
	}
	return 1;
}

/* Walks valid UTF-8 as UTF-16 code units. */
struct u16_iter {
	const unsigned char *s;
	size_t len;
	size_t i;
	unsigned pending; /* low surrogate still to give, or 0 */
};

/* The next code unit into *u; 0 at the end. The text must be valid. */
static int u16_next(struct u16_iter *it, unsigned *u)
{
	uint32_t cp;

	if (it->pending) {
		*u = it->pending;
		it->pending = 0;
		return 1;
	}
	if (it->i >= it->len || utf8_next(it->s, it->len, &it->i, &cp) != 0)
		return 0;
	if (cp < 0x10000) {
		*u = cp;
	} else {
		cp -= 0x10000;
		*u = 0xd800 + (cp >> 10);
		it->pending = 0xdc00 + (cp & 0x3ffu);
	}
	return 1;
}

static int member_cmp(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;
	const unsigned char *ka = (const unsigned char *)a->key;
	const unsigned char *kb = (const unsigned char *)b->key;
	size_t n = a->len < b->len ? a->len : b->len, k = 0;
	struct u16_iter ia = { ka, a->len, 0, 0 };
	struct u16_iter ib = { kb, b->len, 0, 0 };
	unsigned ua, ub;

	/* Equal bytes are equal code units. Where the first difference is
	 * between two ASCII bytes (each begins a character), or one name
	 * ends, bytes order as UTF-16 does: the usual case, no decoding. */
	while (k < n && ka[k] == kb[k])
		k++;
	if (k == n)
		return (a->len > n) - (b->len > n); /* a prefix sorts first */
	if (ka[k] < 0x80 && kb[k] < 0x80)
		return ka[k] < kb[k] ? -1 : 1;
	for (;;) {
		int more_a = u16_next(&ia, &ua);
		int more_b = u16_next(&ib, &ub);
		if (!more_a || !more_b)
			return more_a - more_b; /* a prefix sorts first */
		if (ua != ub)
			return ua < ub ? -1 : 1;
	}
}

/* ---- strings ---- */

size_t stix_jcs_escape(unsigned char b, char esc[6])
{
	static const char hx[] = "0123456789abcdef";

	esc[0] = '\\';
	switch (b) {
	case '"': esc[1] = '"'; return 2;
	case '\\': esc[1] = '\\'; return 2;
	case '\b': esc[1] = 'b'; return 2;
	case '\f': esc[1] = 'f'; return 2;
	case '\n': esc[1] = 'n'; return 2;
	case '\r': esc[1] = 'r'; return 2;
	case '\t': esc[1] = 't'; return 2;
	default:
		if (b >= 0x20)
			return 0;
		memcpy(esc + 1, "u00", 3);
		esc[4] = hx[b >> 4];
		esc[5] = hx[b & 15];
		return 6;
	}
}

static tx_err put_string(struct canon *c, const char *s, size_t len)
{
	tx_err rc;
	size_t i, run = 0;

	if (!utf8_valid(s, len))
		return tx_error_set(c->err, TX_ERR_INVALID, "invalid UTF-8");
	if ((rc = tx_buf_append(&c->out, "\"", 1)) != TX_OK)
		return rc;
	for (i = 0; i < len; i++) {
		char esc[6];
		size_t n = stix_jcs_escape((unsigned char)s[i], esc);

		if (n == 0)
			continue;
		if ((rc = tx_buf_append(&c->out, s + run, i - run)) != TX_OK ||
		    (rc = tx_buf_append(&c->out, esc, n)) != TX_OK)
			return rc;
		run = i + 1;
	}
	if ((rc = tx_buf_append(&c->out, s + run, len - run)) != TX_OK)
		return rc;
	return tx_buf_append(&c->out, "\"", 1);
}

/* ---- numbers ---- */

/* Split "d.ddde+xx" (from %.*e) into its digits (NUL-terminated) and
 * decimal exponent. */
static void split_e(const char *buf, char digits[20], int *exp10)
{
	const char *p = buf;
	size_t k = 0;
	int e = 0, neg = 0;

	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && k < 19)
			digits[k++] = *p;
	digits[k] = '\0';
	if (*p == 'e')
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; *p >= '0' && *p <= '9' && e < 10000; p++)
		e = e * 10 + (*p - '0');
	*exp10 = neg ? -e : e;
}

/* Does digits x 10^(exp10 - k + 1) read back as exactly x? */
static int reads_back(const char *digits, int exp10, double x)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%c.%se%d", digits[0], digits + 1, exp10);
	return strtod(buf, NULL) == x;
}

/* Step the last digit of a k-digit decimal by one unit, up or down,
 * keeping k digits (10..0 - 1 becomes 99..9 one exponent lower, and
 * 99..9 + 1 becomes 10..0 one higher). */
static void step_digits(char *d, size_t k, int *exp10, int up)
{
	size_t i;

	if (up) {
		for (i = k; i-- > 0;) {
			if (d[i] != '9') {
				d[i]++;
				return;
			}
			d[i] = '0';
		}
		d[0] = '1';
		(*exp10)++;
		return;
	}
	for (i = k; i-- > 0;) {
		if (d[i] != '0') {
			d[i]--;
			break;
		}
		d[i] = '9';
	}
	if (d[0] == '0') {
		/* was 10..0 */
		memset(d, '9', k);
		(*exp10)--;
	}
}

/*
 * The shortest digits that read back as x (finite, > 0) and their
 * exponent: x ~ 0.d1d2... x 10^n, with n = exp10 + 1 as ECMAScript counts.
 * The correctly rounded k digits are the closest k-digit decimal; when
 * they miss, the decimal one unit away on the other side of x may still
 * hit, since the interval of decimals that read back as x is lopsided at
 * powers of two. ECMAScript asks for the fewest digits, and among those
 * the closest.
 */
static void shortest(double x, char digits[20], int *exp10)
{
	char buf[40];
	int p;

	for (p = 1; p <= 17; p++) {
		double y;
		snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
		split_e(buf, digits, exp10);
		y = strtod(buf, NULL);
		if (y == x)
			break;
		if (p == 17)
			break; /* 17 digits always read back */
		step_digits(digits, (size_t)p, exp10, y < x);
		if (reads_back(digits, *exp10, x))
			break;
	}
	/* Trailing zeros are not significant digits. */
	for (p = (int)strlen(digits); p > 1 && digits[p - 1] == '0'; p--)
		digits[p - 1] = '\0';
}

static tx_err put_double(struct canon *c, double x)
{
	char digits[20];
	char buf[64];
	int exp10, n, k, len = 0;

	if (!isfinite(x))
		return tx_error_set(c->err, TX_ERR_INVALID,
				    "NaN or infinite number");
	if (x == 0)
		return tx_buf_append(&c->out, "0", 1); /* also -0 */
	if (x < 0)
		buf[len++] = '-';
	shortest(fabs(x), digits, &exp10);
	k = (int)strlen(digits);
	n = exp10 + 1;
	/* The longest result is 21 digits or "-0.000000" + 17 digits; every
	 * write below stays well inside buf. */
	if (k <= n && n <= 21) {
		memcpy(buf + len, digits, (size_t)k);
		len += k;
		memset(buf + len, '0', (size_t)(n - k));
		len += n - k;
	} else if (0 < n && n <= 21) {
		memcpy(buf + len, digits, (size_t)n);
		len += n;
		buf[len++] = '.';
		memcpy(buf + len, digits + n, (size_t)(k - n));
		len += k - n;
	} else if (-6 < n && n <= 0) {
		buf[len++] = '0';
		buf[len++] = '.';
		memset(buf + len, '0', (size_t)-n);
		len += -n;
		memcpy(buf + len, digits, (size_t)k);
		len += k;
	} else {
		buf[len++] = digits[0];
		if (k > 1) {
			buf[len++] = '.';
			memcpy(buf + len, digits + 1, (size_t)(k - 1));
			len += k - 1;
		}
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "e%c%d",
				n - 1 >= 0 ? '+' : '-', abs(n - 1));
	}
	return tx_buf_append(&c->out, buf, (size_t)len);
}

static tx_err put_integer(struct canon *c, json_int_t i)
{
	if (i >= -EXACT_INT_MAX && i <= EXACT_INT_MAX)
		return tx_buf_printf(&c->out, "%" JSON_INTEGER_FORMAT, i);
	return put_double(c, (double)i);
}

/* ---- containers ---- */

static tx_err put_array(struct canon *c, const json_t *v, int depth)
{
	tx_err rc;
	size_t i, n = json_array_size(v);

	if ((rc = tx_buf_append(&c->out, "[", 1)) != TX_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (i > 0 && (rc = tx_buf_append(&c->out, ",", 1)) != TX_OK)
			return rc;
		if ((rc = put_value(c, json_array_get(v, i), depth + 1)) != TX_OK) {
			path_prepend_index(c, i);
			return rc;
		}
	}
	return tx_buf_append(&c->out, "]", 1);
}

/* v, without its member skip (NULL: none); when depth is 0, without the
 * member c->omit_ext of "extensions", and without "extensions" if that
 * was its only member. */
static tx_err put_object(struct canon *c, const json_t *v, int depth,
			 const char *skip)
{
	tx_err rc = TX_OK;
	struct member *m = NULL;
	size_t n = json_object_size(v), i = 0;
	const char *key;
	size_t key_len;
	json_t *value;

	if (n > 0 && (m = calloc(n, sizeof(*m))) == NULL) {
		rc = tx_error_set(c->err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* json_object_keylen_foreach wants a non-const object; it only reads. */
	json_object_keylen_foreach((json_t *)v, key, key_len, value) {
		if (i == n)
			break;
		if (!utf8_valid(key, key_len)) {
			rc = tx_error_set(c->err, TX_ERR_INVALID,
					  "invalid UTF-8 in member name");
			path_prepend_key(c, key, key_len);
			goto out;
		}
		if (skip != NULL && strcmp(key, skip) == 0)
			continue;
		if (depth == 0 && c->omit_ext != NULL && json_is_object(value) &&
		    strcmp(key, "extensions") == 0 &&
		    json_object_get(value, c->omit_ext) != NULL &&
		    json_object_size(value) == 1)
			continue;
		m[i].key = key;
		m[i].len = key_len;
		m[i].value = value;
		i++;
	}
	n = i;
	if (n > 1)
		tx_sort(m, n, sizeof(*m), member_cmp);
	if ((rc = tx_buf_append(&c->out, "{", 1)) != TX_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if (i > 0 && (rc = tx_buf_append(&c->out, ",", 1)) != TX_OK)
			goto out;
		if ((rc = put_string(c, m[i].key, m[i].len)) != TX_OK ||
		    (rc = tx_buf_append(&c->out, ":", 1)) != TX_OK)
			goto out;
		if (depth == 0 && c->omit_ext != NULL &&
		    json_is_object(m[i].value) &&
		    strcmp(m[i].key, "extensions") == 0)
			rc = put_object(c, m[i].value, 1, c->omit_ext);
		else
			rc = put_value(c, m[i].value, depth + 1);
		if (rc != TX_OK) {
			path_prepend_key(c, m[i].key, m[i].len);
			goto out;
		}
	}
	rc = tx_buf_append(&c->out, "}", 1);
out:
	free(m);
	return rc;
}

static tx_err put_value(struct canon *c, const json_t *v, int depth)
{
	if (v == NULL)
		return tx_error_set(c->err, TX_ERR_INVALID, "no value");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth >= MAX_DEPTH)
			return tx_error_set(c->err, TX_ERR_INVALID,
					    "nested deeper than %d levels",
					    MAX_DEPTH);
		return json_is_object(v) ? put_object(c, v, depth, NULL)
					 : put_array(c, v, depth);
	case JSON_STRING:
		return put_string(c, json_string_value(v),
				  json_string_length(v));
	case JSON_INTEGER:
		return put_integer(c, json_integer_value(v));
	case JSON_REAL:
		return put_double(c, json_real_value(v));
	case JSON_TRUE:
		return tx_buf_append(&c->out, "true", 4);
	case JSON_FALSE:
		return tx_buf_append(&c->out, "false", 5);
	case JSON_NULL:
		return tx_buf_append(&c->out, "null", 4);
	}
	return tx_error_set(c->err, TX_ERR_INTERNAL, "unknown JSON type");
}

/*
 * The RFC 8785 canonical form of v. Takes no ownership of v. On success
 * *out is a NUL-terminated string the caller frees, *len its length. On
 * failure *out is NULL and err says why: TX_ERR_INVALID (with the path of
 * the value) for NaN or infinite reals, strings or member names that are
 * not valid UTF-8, or nesting deeper than 512 containers; TX_ERR_NOMEM.
 */
tx_err stix_canonicalize(const json_t *v, char **out, size_t *len,
			 struct tx_error *err)
{
	return stix_canonicalize_omit(v, NULL, out, len, err);
}

tx_err stix_canonicalize_omit(const json_t *v, const char *ext, char **out,
			      size_t *len, struct tx_error *err)
{
	struct canon *c;
	tx_err rc;

	*out = NULL;
	*len = 0;
	/* On the heap: the path buffer needn't sit on a deep caller's stack. */
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	tx_buf_init(&c->out, 0);
	c->err = err;
	c->omit_ext = ext;
	c->path_off = sizeof(c->path);
	rc = put_value(c, v, 0);
	if (rc == TX_ERR_NOMEM || rc == TX_ERR_TOOBIG) {
		/* tx_buf reports these without a message. */
		tx_error_set(err, rc, "canonical form: %s", tx_err_str(rc));
	} else if (rc != TX_OK && c->path_off < sizeof(c->path)) {
		/* Drop the leading '.' of a top-level member name. */
		size_t off = c->path_off;
		if (!c->path_cut && c->path[off] == '.')
			off++;
		tx_error_prefix(err, "%.*s", (int)(sizeof(c->path) - off),
				c->path + off);
	}
	if (rc == TX_OK) {
		*len = c->out.len;
		if ((*out = tx_buf_take(&c->out)) == NULL) {
			*len = 0;
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		}
	}
	tx_buf_free(&c->out);
	free(c);
	return rc;
}
