/* pattern/value.c: addresses, LIKE, binary constants, canonical paths. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>

#include "pattern/internal.h"

uint64_t pattern_path_hash(const char *path, size_t len)
{
	return tx_hash64(TX_HASH64_INIT, path, len);
}

void pattern_net_mask(struct px_net *n, int prefix)
{
	int bits = n->family == 4 ? 32 : 128;

	for (int i = prefix; i < bits; i++)
		n->addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

/* The common case, a plain dotted quad, without inet_pton: four decimal
 * parts of 1-3 digits, 0-255, no leading zero, three dots, nothing else. */
static bool quad(const char *s, size_t len, struct px_net *out)
{
	const char *p = s, *e = s + len;

	for (int k = 0; k < 4; k++) {
		if (p == e || *p < '0' || *p > '9')
			return false;
		unsigned v = (unsigned)(*p++ - '0');
		if (p < e && *p >= '0' && *p <= '9') {
			if (v == 0)
				return false;
			v = v * 10 + (unsigned)(*p++ - '0');
			if (p < e && *p >= '0' && *p <= '9') {
				v = v * 10 + (unsigned)(*p++ - '0');
				if (v > 255)
					return false;
			}
		}
		out->addr[k] = (uint8_t)v;
		if (k < 3) {
			if (p == e || *p != '.')
				return false;
			p++;
		}
	}
	return p == e;
}

bool pattern_net_parse(const char *s, size_t len, struct px_net *out)
{
	char buf[64];

	if (len >= 7 && len <= 15) {
		memset(out, 0, sizeof(*out));
		if (quad(s, len, out)) {
			out->family = 4;
			out->prefix = 32;
			return true;
		}
	}
	const char *slash;
	int prefix = -1;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strlen(buf) != len)
		return false;
	if ((slash = strchr(buf, '/')) != NULL) {
		const char *d = slash + 1;
		if (*d == '\0' || strlen(d) > 3 || (d[0] == '0' && d[1] != '\0'))
			return false;
		prefix = 0;
		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				return false;
			prefix = prefix * 10 + (*d - '0');
		}
		buf[slash - buf] = '\0';
	}
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		if (prefix > 32)
			return false;
		out->family = 4;
		out->prefix = prefix < 0 ? 32 : prefix;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		if (prefix > 128)
			return false;
		out->family = 6;
		out->prefix = prefix < 0 ? 128 : prefix;
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		/* ::ffff:a.b.c.d/n with n >= 96 is the IPv4 network a.b.c.d/(n-96) */
		if (memcmp(out->addr, mapped, 12) == 0 && out->prefix >= 96) {
			memmove(out->addr, out->addr + 12, 4);
			memset(out->addr + 4, 0, 12);
			out->family = 4;
			out->prefix -= 96;
		}
	} else {
		return false;
	}
	pattern_net_mask(out, out->prefix);
	return true;
}

int pattern_is_net(const char *s, size_t len)
{
	struct px_net n;

	return pattern_net_parse(s, len, &n);
}

void pattern_fact_ip(struct pattern_fact *f)
{
	struct px_net n;

	f->num = 0;
	if (!pattern_net_parse(f->s, f->len, &n)) {
		f->kind = PATTERN_FACT_STRING;
		return;
	}
	f->kind = PATTERN_FACT_IP;
	if (n.family == 4)
		f->num = PATTERN_FACT_NET4 | (int64_t)n.prefix << 32 |
			 (int64_t)((uint32_t)n.addr[0] << 24 | (uint32_t)n.addr[1] << 16 |
				   (uint32_t)n.addr[2] << 8 | n.addr[3]);
}

int pattern_net_within(const char *addr, size_t alen, const char *net, size_t nlen)
{
	struct px_net a, b;

	return pattern_net_parse(addr, alen, &a) && pattern_net_parse(net, nlen, &b) && pattern_net_subset(&a, &b);
}

bool pattern_net_subset(const struct px_net *a, const struct px_net *b)
{
	struct px_net m = *a;

	if (a->family != b->family || a->prefix < b->prefix)
		return false;
	pattern_net_mask(&m, b->prefix);
	return memcmp(m.addr, b->addr, 16) == 0;
}

bool pattern_net_equal(const struct px_net *a, const struct px_net *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

/* Length of the UTF-8 character at s (1 for a stray byte). */
static size_t u8len(const char *s, size_t left)
{
	unsigned char c = (unsigned char)s[0];
	size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

	return n > left ? left : n;
}

/* LIKE; bytes: '_' is one byte (binary values), else one code point. */
static bool like(const char *s, size_t len, const char *pat, size_t plen, bool bytes)
{
	/* Iterative wildcard matching with one backtrack point for '%'. */
	size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;

	while (si < len) {
		if (pi < plen && pat[pi] == '_') {
			si += bytes ? 1 : u8len(s + si, len - si);
			pi++;
		} else if (pi < plen && pat[pi] == '%') {
			star_p = pi++;
			star_s = si;
		} else if (pi < plen) {
			size_t cl = bytes ? 1 : u8len(pat + pi, plen - pi);
			if (si + cl <= len && memcmp(s + si, pat + pi, cl) == 0) {
				si += cl;
				pi += cl;
				continue;
			}
			goto back;
		} else {
			goto back;
		}
		continue;
back:
		if (star_p == (size_t)-1)
			return false;
		pi = star_p + 1;
		star_s += bytes ? 1 : u8len(s + star_s, len - star_s);
		si = star_s;
	}
	while (pi < plen && pat[pi] == '%')
		pi++;
	return pi == plen;
}

bool pattern_like(const char *s, size_t len, const char *pat, size_t plen)
{
	return like(s, len, pat, plen, false);
}

bool pattern_like_bytes(const char *s, size_t len, const char *pat, size_t plen)
{
	return like(s, len, pat, plen, true);
}

bool pattern_latin1(const char *s, size_t len, char *out, size_t *out_len)
{
	size_t n = 0;

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			out[n++] = (char)c;
			i++;
		} else if ((c & 0xe0) == 0xc0 && c <= 0xc3 && i + 1 < len &&
			   ((unsigned char)s[i + 1] & 0xc0) == 0x80) {
			out[n++] = (char)(((c & 0x1f) << 6) | ((unsigned char)s[i + 1] & 0x3f));
			i += 2;
		} else {
			return false;
		}
	}
	*out_len = n;
	return true;
}

const char *pattern_nfc(const char *s, size_t len, char *buf, size_t bufsz, size_t *out_len,
		   char **owned)
{
	size_t i = 0, n = bufsz;
	uint8_t *r;

	*owned = NULL;
	/* ASCII is its own NFC: most values take this exit, untouched; the
	 * index asks for every value of a LIKE/MATCHES path, so look at
	 * eight bytes a step */
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
	}
	while (i < len && (unsigned char)s[i] < 0x80)
		i++;
	if (i == len) {
		*out_len = len;
		return s;
	}
	r = u8_normalize(UNINORM_NFC, (const uint8_t *)s, len, (uint8_t *)buf, &n);
	if (r == NULL)
		return NULL;
	if ((char *)r != buf)
		*owned = (char *)r;
	*out_len = n;
	return (const char *)r;
}

pcre2_code *pattern_compile_re(enum px_op op, const char *src, size_t len, bool binary,
			  int *ec, size_t *eo)
{
	/* STIX 2.1 9.6.4: MATCHES is PCRE with DOTALL set; on binary values
	 * without the UTF flag, over the bytes the constant stands for */
	uint32_t opts = PCRE2_DOTALL | (binary ? 0 : PCRE2_UTF);
	char *rs = NULL, *bytes = NULL;
	pcre2_code *re = NULL;
	PCRE2_SIZE off = 0;

	if (binary) {
		size_t bl;
		if ((bytes = malloc(len + 1)) == NULL) {
			*ec = PCRE2_ERROR_NOMEMORY;
			return NULL;
		}
		if (!pattern_latin1(src, len, bytes, &bl)) {
			free(bytes);
			*ec = 0;   /* not convertible: the test is false */
			return NULL;
		}
		src = bytes;
		len = bl;
	}
	if (op == OP_LIKE) {
		if ((rs = pattern_like_to_regex(src, len, &len)) == NULL) {
			free(bytes);
			*ec = PCRE2_ERROR_NOMEMORY;
			return NULL;
		}
		src = rs;
	}
	re = pcre2_compile((PCRE2_SPTR)src, len, opts, ec, &off, NULL);
	*eo = off;
	free(rs);
	free(bytes);
	return re;
}

bool pattern_key_binary(const char *key, size_t len)
{
	return (len >= 4 && memcmp(key + len - 4, "_hex", 4) == 0) ||
	       (len >= 4 && memcmp(key + len - 4, "_bin", 4) == 0);
}

bool pattern_path_binary(const struct px_path *path)
{
	const struct px_step *last = NULL;

	for (size_t i = 0; i < path->n_steps; i++)
		if (path->steps[i].kind == STEP_KEY)
			last = &path->steps[i];
	return last && pattern_key_binary(last->key, last->len);
}

char *pattern_like_to_regex(const char *pat, size_t plen, size_t *out_len)
{
	struct tx_buf b;

	tx_buf_init(&b, 0);
	if (tx_buf_puts(&b, "\\A(?s)") != TX_OK)
		goto fail;
	for (size_t i = 0; i < plen; i++) {
		char c = pat[i];
		tx_err rc;
		if (c == '%')
			rc = tx_buf_puts(&b, ".*");
		else if (c == '_')
			rc = tx_buf_puts(&b, ".");
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || (unsigned char)c >= 0x80)
			rc = tx_buf_append(&b, &c, 1);
		else if (c == '\0')
			rc = tx_buf_puts(&b, "\\x{0}");
		else {
			char e[2] = { '\\', c };
			rc = tx_buf_append(&b, e, 2);
		}
		if (rc != TX_OK)
			goto fail;
	}
	if (tx_buf_puts(&b, "\\z") != TX_OK)
		goto fail;
	*out_len = b.len;
	return tx_buf_take(&b);
fail:
	tx_buf_free(&b);
	return NULL;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

bool pattern_base64_decode(const char *s, size_t len, char **out, size_t *out_len)
{
	char *d;
	size_t n = 0;

	if (len % 4 != 0)
		return false;
	if ((d = malloc(len / 4 * 3 + 1)) == NULL)
		return false;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0, pad++;
				continue;
			}
			if (pad || (v[k] = b64val(s[i + k])) < 0) {
				free(d);
				return false;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		d[n++] = (char)(w >> 16);
		if (pad < 2)
			d[n++] = (char)(w >> 8);
		if (pad < 1)
			d[n++] = (char)w;
	}
	*out = d;
	*out_len = n;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

bool pattern_hex_decode(const char *s, size_t len, char **out, size_t *out_len)
{
	char *d;

	if (len % 2 != 0 || (d = malloc(len / 2 + 1)) == NULL)
		return false;
	for (size_t i = 0; i < len; i += 2) {
		int a = hexval(s[i]), b = hexval(s[i + 1]);
		if (a < 0 || b < 0) {
			free(d);
			return false;
		}
		d[i / 2] = (char)(a << 4 | b);
	}
	*out = d;
	*out_len = len / 2;
	return true;
}

bool pattern_ident(const char *key, size_t len)
{
	if (len == 0 || !((key[0] >= 'a' && key[0] <= 'z') ||
			  (key[0] >= 'A' && key[0] <= 'Z') || key[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static tx_err put_key(struct tx_buf *b, const char *key, size_t len)
{
	tx_err rc = TX_OK;

	if (pattern_ident(key, len))
		return tx_buf_append(b, key, len);
	rc = tx_buf_puts(b, "'");
	for (size_t i = 0; rc == TX_OK && i < len; i++) {
		if (key[i] == '\'' || key[i] == '\\')
			rc = tx_buf_puts(b, "\\");
		if (rc == TX_OK)
			rc = tx_buf_append(b, key + i, 1);
	}
	return rc == TX_OK ? tx_buf_puts(b, "'") : rc;
}

tx_err pattern_path_canon(const struct px_path *path, int canon, struct tx_buf *b)
{
	tx_err rc = tx_buf_append(b, path->type, path->type_len);

	if (rc == TX_OK)
		rc = tx_buf_puts(b, ":");
	for (size_t i = 0; rc == TX_OK && i < path->n_steps; i++) {
		const struct px_step *st = &path->steps[i];
		if (st->kind == STEP_KEY) {
			if (i > 0)
				rc = tx_buf_puts(b, ".");
			if (rc == TX_OK)
				rc = put_key(b, st->key, st->len);
		} else if (st->kind == STEP_STAR || canon) {
			rc = tx_buf_puts(b, "[*]");
		} else {
			rc = tx_buf_printf(b, "[%lld]", (long long)st->index);
		}
	}
	return rc;
}
