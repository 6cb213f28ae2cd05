/*
 * sensor/eve.c: Suricata EVE JSON lines -> facts and STIX observables.
 *
 * The scanner validates the whole line as JSON (RFC 8259: structure,
 * strings with their escapes and UTF-8, numbers) but keeps only the
 * fields it maps, borrowing strings from the line when they hold no
 * escape and decoding into the reader's fixed scratch space when they do.
 * No allocation per line, nesting capped.
 *
 * Mapping (Suricata field -> STIX):
 *   src_ip, dest_ip          ipv4-addr / ipv6-addr, network-traffic src_ref/dst_ref
 *   src_port, dest_port, proto   network-traffic src_port, dst_port, protocols
 *   dns.rrname, dns.queries[].rrname, http.hostname, tls.sni   domain-name
 *   http.hostname + http.url url (http://host/url); http-request-ext method,
 *                            request_value, Host and User-Agent headers
 *   tls.subject, issuerdn, serial, fingerprint   x509-certificate
 *                            (subject, issuer, serial_number, hashes.SHA-1)
 *   fileinfo.filename, size, md5, sha1, sha256   file
 *   smtp.mail_from, rcpt_to[], email.from, to[], subject   email-message
 *                            from_ref / to_refs -> email-addr
 *   timestamp                first_observed = last_observed
 * sensor_event_to_stix writes exactly the properties the facts name, so
 * the index and the evaluator see the same event (tests check it).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"
#include "sensor/sensor.h"
#include "stix/stix.h"

#define SCRATCH 65536
#define MAX_DEPTH 64

/* Where a value sits: a context (an object we look into) or a field. */
enum role {
	R_SKIP = 0,
	C_TOP, C_DNS, C_DNS_QUERY, C_HTTP, C_TLS, C_FILEINFO, C_SMTP, C_EMAIL,
	F_TS, F_EVTYPE, F_SRC_IP, F_DEST_IP, F_SRC_PORT, F_DEST_PORT, F_PROTO,
	F_DOMAIN, F_HTTP_HOST, F_HTTP_URL, F_HTTP_METHOD, F_HTTP_UA, F_TLS_SNI,
	F_TLS_SUBJECT, F_TLS_ISSUER, F_TLS_SERIAL, F_TLS_FP, F_FILENAME, F_MD5,
	F_SHA1, F_SHA256, F_SIZE, F_MAIL_FROM, F_MAIL_TO, F_SUBJECT,
	A_DNS_QUERIES, /* array of C_DNS_QUERY */
	A_MAIL_TO,     /* array of F_MAIL_TO */
};

/* Path hashes of every fact the reader makes. */
enum path {
	P_IP4_VALUE, P_IP4_TYPE, P_IP6_VALUE, P_IP6_TYPE,
	P_NT_TYPE, P_NT_SRC_VALUE, P_NT_SRC_TYPE, P_NT_DST_VALUE, P_NT_DST_TYPE,
	P_NT_SRC_PORT, P_NT_DST_PORT, P_NT_PROTOCOLS,
	P_NT_HTTP_METHOD, P_NT_HTTP_VALUE, P_NT_HTTP_HOST, P_NT_HTTP_UA,
	P_DOMAIN_VALUE, P_DOMAIN_TYPE, P_URL_VALUE, P_URL_TYPE,
	P_FILE_TYPE, P_FILE_NAME, P_FILE_SIZE, P_FILE_MD5, P_FILE_SHA1, P_FILE_SHA256,
	P_X509_TYPE, P_X509_SUBJECT, P_X509_ISSUER, P_X509_SERIAL, P_X509_SHA1,
	P_EM_TYPE, P_EM_SUBJECT, P_EM_FROM_VALUE, P_EM_FROM_TYPE, P_EM_TO_VALUE,
	P_EM_TO_TYPE, P_EA_VALUE, P_EA_TYPE,
	P_COUNT,
};

static const char *const path_text[P_COUNT] = {
	"ipv4-addr:value", "ipv4-addr:type", "ipv6-addr:value", "ipv6-addr:type",
	"network-traffic:type", "network-traffic:src_ref.value", "network-traffic:src_ref.type",
	"network-traffic:dst_ref.value", "network-traffic:dst_ref.type",
	"network-traffic:src_port", "network-traffic:dst_port", "network-traffic:protocols[*]",
	"network-traffic:extensions.'http-request-ext'.request_method",
	"network-traffic:extensions.'http-request-ext'.request_value",
	"network-traffic:extensions.'http-request-ext'.request_header.Host",
	"network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
	"domain-name:value", "domain-name:type", "url:value", "url:type",
	"file:type", "file:name", "file:size", "file:hashes.MD5", "file:hashes.'SHA-1'",
	"file:hashes.'SHA-256'",
	"x509-certificate:type", "x509-certificate:subject", "x509-certificate:issuer",
	"x509-certificate:serial_number", "x509-certificate:hashes.'SHA-1'",
	"email-message:type", "email-message:subject", "email-message:from_ref.value",
	"email-message:from_ref.type", "email-message:to_refs[*].value",
	"email-message:to_refs[*].type", "email-addr:value", "email-addr:type",
};

struct sensor_eve {
	uint64_t path[P_COUNT];
	char scratch[SCRATCH];
	size_t used;
	char proto_lc[16];
};

struct scan {
	sensor_eve *r;
	const char *s;
	size_t n, i;
	int depth;
	struct sensor_event *ev;
	struct tx_error *err;
	tx_err rc;
};

tx_err sensor_eve_new(sensor_eve **out)
{
	sensor_eve *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return TX_ERR_NOMEM;
	for (int p = 0; p < P_COUNT; p++)
		r->path[p] = pattern_path_hash(path_text[p], strlen(path_text[p]));
	*out = r;
	return TX_OK;
}

void sensor_eve_free(sensor_eve *r)
{
	free(r);
}

static tx_err bad(struct scan *sc, const char *what)
{
	if (sc->rc == TX_OK)
		sc->rc = tx_error_set(sc->err, TX_ERR_INVALID, "column %zu: %s", sc->i + 1, what);
	return sc->rc;
}

static inline void ws(struct scan *sc)
{
	while (sc->i < sc->n) {
		unsigned char c = (unsigned char)sc->s[sc->i];
		/* one compare for the usual case, a byte that is no space */
		if (c > ' ' || (c != ' ' && c != '\t' && c != '\n' && c != '\r'))
			break;
		sc->i++;
	}
}

static int hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p[k];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		*v = *v << 4 | (uint32_t)d;
	}
	return 0;
}

/*
 * The rest of a string that holds an escape, a control or a non-ASCII
 * byte: sc->i is at that byte, start just after the opening quote.
 * Kept out of line so that the plain case below stays small.
 */
static __attribute__((noinline)) tx_err string_slow(struct scan *sc, struct sensor_str *out, int keep,
						    size_t start)
{
	const unsigned char *s = (const unsigned char *)sc->s;
	size_t esc = 0;

	for (;;) {
		sc->i = tx_json_plain_run(s, sc->i, sc->n);
		if (sc->i >= sc->n)
			return bad(sc, "unterminated string");
		unsigned char c = s[sc->i];
		if (c == '"')
			break;
		if (c == '\\') {
			esc = 1;
			if (sc->i + 1 >= sc->n)
				return bad(sc, "unterminated string");
			char e = (char)s[sc->i + 1];
			if (e == 'u') {
				uint32_t v;
				if (sc->i + 6 > sc->n || hex4(sc->s + sc->i + 2, &v) != 0)
					return bad(sc, "bad \\u escape");
				if (v == 0)
					return bad(sc, "\\u0000 in string");
				if (v >= 0xdc00 && v <= 0xdfff)
					return bad(sc, "lone surrogate in \\u escape");
				if (v >= 0xd800 && v <= 0xdbff) {
					uint32_t lo;
					if (sc->i + 12 > sc->n || s[sc->i + 6] != '\\' || s[sc->i + 7] != 'u' ||
					    hex4(sc->s + sc->i + 8, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
						return bad(sc, "lone surrogate in \\u escape");
					sc->i += 6;
				}
				sc->i += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", e) || e == '\0')
				return bad(sc, "bad escape in string");
			sc->i += 2;
			continue;
		}
		if (c < 0x20)
			return bad(sc, "control character in string");
		/* c >= 0x80 */
		size_t l = tx_utf8_len(s + sc->i, sc->n - sc->i);
		if (l == 0)
			return bad(sc, "invalid UTF-8 in string");
		sc->i += l;
	}
	size_t end = sc->i++;
	if (!keep)
		return TX_OK;
	if (!esc) {
		out->s = sc->s + start;
		out->len = end - start;
		return TX_OK;
	}
	/* decode into scratch (at most as long as the source) */
	sensor_eve *r = sc->r;
	if (r->used + (end - start) + 1 > SCRATCH)
		return bad(sc, "too many escaped strings on one line");
	char *d = r->scratch + r->used;
	size_t n = 0;
	for (size_t k = start; k < end;) {
		if (sc->s[k] != '\\') {
			d[n++] = sc->s[k++];
			continue;
		}
		char e = sc->s[k + 1];
		uint32_t cp;
		switch (e) {
		case 'b': d[n++] = '\b'; k += 2; continue;
		case 'f': d[n++] = '\f'; k += 2; continue;
		case 'n': d[n++] = '\n'; k += 2; continue;
		case 'r': d[n++] = '\r'; k += 2; continue;
		case 't': d[n++] = '\t'; k += 2; continue;
		case 'u': break;
		default: d[n++] = e; k += 2; continue;
		}
		hex4(sc->s + k + 2, &cp);
		k += 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			uint32_t lo;
			if (k + 6 <= end && sc->s[k] == '\\' && sc->s[k + 1] == 'u' &&
			    hex4(sc->s + k + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				k += 6;
			} else {
				return bad(sc, "lone surrogate in \\u escape");
			}
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			return bad(sc, "lone surrogate in \\u escape");
		}
		if (cp == 0)
			return bad(sc, "\\u0000 in string");
		/* a \u escape (6 bytes) never encodes to more than 4 */
		if (cp < 0x80) {
			d[n++] = (char)cp;
		} else if (cp < 0x800) {
			d[n++] = (char)(0xc0 | cp >> 6);
			d[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			d[n++] = (char)(0xe0 | cp >> 12);
			d[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			d[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			d[n++] = (char)(0xf0 | cp >> 18);
			d[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			d[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			d[n++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	d[n] = '\0';
	r->used += n + 1;
	out->s = d;
	out->len = n;
	return TX_OK;
}

/* A string at sc->i (the opening quote); out borrows or points to scratch.
 * The usual string, plain bytes up to the closing quote, is done here. */
static inline tx_err string(struct scan *sc, struct sensor_str *out, int keep)
{
	size_t start = sc->i + 1, i = tx_json_plain_run((const unsigned char *)sc->s, start, sc->n);

	if (i < sc->n && sc->s[i] == '"') {
		sc->i = i + 1;
		if (keep) {
			out->s = sc->s + start;
			out->len = i - start;
		}
		return TX_OK;
	}
	sc->i = i;
	return string_slow(sc, out, keep, start);
}

/* Whether the real number from sc->i to end is finite as a double (out of
 * line: its buffer would weigh on every integer). */
static __attribute__((noinline)) tx_err real_ok(struct scan *sc, size_t end)
{
	char buf[400];

	if (end - sc->i >= sizeof(buf))
		return bad(sc, "number too long");
	memcpy(buf, sc->s + sc->i, end - sc->i);
	buf[end - sc->i] = '\0';
	double d = strtod(buf, NULL);
	if (!isfinite(d))
		return bad(sc, "real number overflow");
	return TX_OK;
}

static inline tx_err number(struct scan *sc, int *is_int, int64_t *v)
{
	const char *s = sc->s;
	size_t i = sc->i, n = sc->n;
	int neg = 0, ovf = 0;
	int64_t x = 0;

	*is_int = 1;
	if (i < n && s[i] == '-')
		neg = 1, i++;
	if (i >= n || s[i] < '0' || s[i] > '9')
		return bad(sc, "bad number");
	if (s[i] == '0') {
		i++;
	} else {
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (x > (INT64_MAX - 9) / 10)
				ovf = 1;
			else
				x = x * 10 + (s[i] - '0');
			i++;
		}
	}
	if (i < n && s[i] == '.') {
		*is_int = 0;
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return bad(sc, "bad number");
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		*is_int = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return bad(sc, "bad number");
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	/* what jansson (and so the rest of trilex) refuses, refuse too */
	if (ovf && *is_int)
		return bad(sc, "integer too big");
	if (!*is_int && real_ok(sc, i) != TX_OK)
		return sc->rc;
	*v = neg ? -x : x;
	sc->i = i;
	return TX_OK;
}

static int key_is(const struct sensor_str *k, const char *lit, size_t n)
{
	return k->len == n && memcmp(k->s, lit, n) == 0;
}
#define KEY(k, lit) key_is(k, lit, sizeof(lit) - 1)

static enum role child(enum role ctx, const struct sensor_str *k)
{
	switch (ctx) {
	case C_TOP:
		if (KEY(k, "timestamp")) return F_TS;
		if (KEY(k, "event_type")) return F_EVTYPE;
		if (KEY(k, "src_ip")) return F_SRC_IP;
		if (KEY(k, "dest_ip")) return F_DEST_IP;
		if (KEY(k, "src_port")) return F_SRC_PORT;
		if (KEY(k, "dest_port")) return F_DEST_PORT;
		if (KEY(k, "proto")) return F_PROTO;
		if (KEY(k, "dns")) return C_DNS;
		if (KEY(k, "http")) return C_HTTP;
		if (KEY(k, "tls")) return C_TLS;
		if (KEY(k, "fileinfo")) return C_FILEINFO;
		if (KEY(k, "smtp")) return C_SMTP;
		if (KEY(k, "email")) return C_EMAIL;
		return R_SKIP;
	case C_DNS:
		if (KEY(k, "rrname")) return F_DOMAIN;
		if (KEY(k, "queries")) return A_DNS_QUERIES;
		return R_SKIP;
	case C_DNS_QUERY:
		return KEY(k, "rrname") ? F_DOMAIN : R_SKIP;
	case C_HTTP:
		if (KEY(k, "hostname")) return F_HTTP_HOST;
		if (KEY(k, "url")) return F_HTTP_URL;
		if (KEY(k, "http_method")) return F_HTTP_METHOD;
		if (KEY(k, "http_user_agent")) return F_HTTP_UA;
		return R_SKIP;
	case C_TLS:
		if (KEY(k, "sni")) return F_TLS_SNI;
		if (KEY(k, "subject")) return F_TLS_SUBJECT;
		if (KEY(k, "issuerdn")) return F_TLS_ISSUER;
		if (KEY(k, "serial")) return F_TLS_SERIAL;
		if (KEY(k, "fingerprint")) return F_TLS_FP;
		return R_SKIP;
	case C_FILEINFO:
		if (KEY(k, "filename")) return F_FILENAME;
		if (KEY(k, "md5")) return F_MD5;
		if (KEY(k, "sha1")) return F_SHA1;
		if (KEY(k, "sha256")) return F_SHA256;
		if (KEY(k, "size")) return F_SIZE;
		return R_SKIP;
	case C_SMTP:
		if (KEY(k, "mail_from")) return F_MAIL_FROM;
		if (KEY(k, "rcpt_to")) return A_MAIL_TO;
		return R_SKIP;
	case C_EMAIL:
		if (KEY(k, "from")) return F_MAIL_FROM;
		if (KEY(k, "to")) return A_MAIL_TO;
		if (KEY(k, "subject")) return F_SUBJECT;
		return R_SKIP;
	default:
		return R_SKIP;
	}
}

/* An e-mail address out of "Name <a@b>" or "<a@b>"; as is otherwise. */
static struct sensor_str addr_of(struct sensor_str s)
{
	const char *lt = memchr(s.s, '<', s.len);

	if (lt != NULL) {
		const char *gt = memchr(lt, '>', s.len - (size_t)(lt - s.s));
		if (gt != NULL && gt > lt + 1) {
			s.len = (size_t)(gt - lt - 1);
			s.s = lt + 1;
		}
	}
	return s;
}

static void add_domain(struct sensor_event *ev, struct sensor_str s)
{
	if (s.len == 0)
		return;
	for (size_t i = 0; i < ev->n_domains; i++)
		if (ev->domains[i].len == s.len && memcmp(ev->domains[i].s, s.s, s.len) == 0)
			return;
	if (ev->n_domains < SENSOR_MAX_LIST)
		ev->domains[ev->n_domains++] = s;
}

static void record_str(struct sensor_event *ev, enum role f, struct sensor_str s)
{
	switch (f) {
	case F_EVTYPE: ev->event_type = s; break;
	case F_SRC_IP: ev->src_ip = s; break;
	case F_DEST_IP: ev->dest_ip = s; break;
	case F_PROTO: ev->proto = s; break;
	case F_DOMAIN: add_domain(ev, s); break;
	case F_HTTP_HOST: ev->http_host = s; add_domain(ev, s); break;
	case F_HTTP_URL: ev->http_url = s; break;
	case F_HTTP_METHOD: ev->http_method = s; break;
	case F_HTTP_UA: ev->http_ua = s; break;
	case F_TLS_SNI: add_domain(ev, s); break;
	case F_TLS_SUBJECT: ev->tls_subject = s; break;
	case F_TLS_ISSUER: ev->tls_issuer = s; break;
	case F_TLS_SERIAL: ev->tls_serial = s; break;
	case F_TLS_FP: ev->tls_sha1 = s; break;
	case F_FILENAME: ev->file_name = s; break;
	case F_MD5: ev->md5 = s; break;
	case F_SHA1: ev->sha1 = s; break;
	case F_SHA256: ev->sha256 = s; break;
	case F_MAIL_FROM: if (s.len) ev->mail_from = addr_of(s); break;
	case F_MAIL_TO:
		s = addr_of(s);
		if (s.len && ev->n_mail_to < SENSOR_MAX_LIST)
			ev->mail_to[ev->n_mail_to++] = s;
		break;
	case F_SUBJECT: ev->subject = s; break;
	default: break;
	}
}

/* Two decimal digits at p, or -1. */
static inline int dig2(const char *p)
{
	unsigned a = (unsigned)(unsigned char)p[0] - '0', b = (unsigned)(unsigned char)p[1] - '0';

	return a <= 9 && b <= 9 ? (int)(a * 10 + b) : -1;
}

/* "2024-01-15T10:00:00.123456+0000" (Suricata) or with Z / +00:00. */
static int eve_time(const char *s, size_t n, int64_t *us)
{
	int v[6];
	size_t i;

	if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	/* every line has one: the fields at their fixed places, unrolled */
	int hi = dig2(s), lo = dig2(s + 2);
	v[1] = dig2(s + 5);
	v[2] = dig2(s + 8);
	v[3] = dig2(s + 11);
	v[4] = dig2(s + 14);
	v[5] = dig2(s + 17);
	if ((hi | lo | v[1] | v[2] | v[3] | v[4] | v[5]) < 0)
		return -1;
	v[0] = hi * 100 + lo;
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return -1;
	int64_t frac = 0;
	i = 19;
	if (i < n && s[i] == '.') {
		int digits = 0;
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
			if (digits < 6)
				frac = frac * 10 + (s[i] - '0');
		if (digits == 0)
			return -1;
		for (; digits < 6; digits++)
			frac *= 10;
	}
	int64_t off = 0;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1, hh, mm;
		size_t rest = n - i - 1;
		const char *o = s + i + 1;
		if (rest == 4 && o[0] >= '0' && o[0] <= '9' && o[1] >= '0' && o[1] <= '9' &&
		    o[2] >= '0' && o[2] <= '9' && o[3] >= '0' && o[3] <= '9') {
			hh = (o[0] - '0') * 10 + (o[1] - '0');
			mm = (o[2] - '0') * 10 + (o[3] - '0');
		} else if (rest == 5 && o[2] == ':' && o[0] >= '0' && o[0] <= '9' && o[1] >= '0' &&
			   o[1] <= '9' && o[3] >= '0' && o[3] <= '9' && o[4] >= '0' && o[4] <= '9') {
			hh = (o[0] - '0') * 10 + (o[1] - '0');
			mm = (o[3] - '0') * 10 + (o[4] - '0');
		} else {
			return -1;
		}
		off = sign * (int64_t)(hh * 3600 + mm * 60);
		i = n;
	} else if (i < n && s[i] == 'Z') {
		i++;
	}
	if (i != n)
		return -1;
	/* days from civil (proleptic Gregorian) */
	int y = v[0] - (v[1] <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (v[1] + (v[1] > 2 ? -3 : 9)) + 2) / 5 + v[2] - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + doe - 719468;
	*us = ((days * 86400 + v[3] * 3600 + v[4] * 60 + v[5]) - off) * 1000000 + frac;
	return 0;
}

static tx_err value(struct scan *sc, enum role role);

static tx_err object(struct scan *sc, enum role ctx)
{
	struct sensor_str k;

	sc->i++; /* { */
	if (++sc->depth > MAX_DEPTH)
		return bad(sc, "nested too deep");
	ws(sc);
	if (sc->i < sc->n && sc->s[sc->i] == '}') {
		sc->i++;
		sc->depth--;
		return TX_OK;
	}
	for (;;) {
		ws(sc);
		if (sc->i >= sc->n || sc->s[sc->i] != '"')
			return bad(sc, "expected a member name");
		if (string(sc, &k, ctx != R_SKIP) != TX_OK)
			return sc->rc;
		ws(sc);
		if (sc->i >= sc->n || sc->s[sc->i] != ':')
			return bad(sc, "expected ':'");
		sc->i++;
		ws(sc);
		if (value(sc, ctx == R_SKIP ? R_SKIP : child(ctx, &k)) != TX_OK)
			return sc->rc;
		ws(sc);
		if (sc->i < sc->n && sc->s[sc->i] == ',') {
			sc->i++;
			continue;
		}
		if (sc->i < sc->n && sc->s[sc->i] == '}') {
			sc->i++;
			sc->depth--;
			return TX_OK;
		}
		return bad(sc, "expected ',' or '}'");
	}
}

static tx_err array(struct scan *sc, enum role elem)
{
	sc->i++; /* [ */
	if (++sc->depth > MAX_DEPTH)
		return bad(sc, "nested too deep");
	ws(sc);
	if (sc->i < sc->n && sc->s[sc->i] == ']') {
		sc->i++;
		sc->depth--;
		return TX_OK;
	}
	for (;;) {
		ws(sc);
		if (value(sc, elem) != TX_OK)
			return sc->rc;
		ws(sc);
		if (sc->i < sc->n && sc->s[sc->i] == ',') {
			sc->i++;
			continue;
		}
		if (sc->i < sc->n && sc->s[sc->i] == ']') {
			sc->i++;
			sc->depth--;
			return TX_OK;
		}
		return bad(sc, "expected ',' or ']'");
	}
}

static tx_err value(struct scan *sc, enum role role)
{
	struct sensor_str str;
	int is_int = 0;
	int64_t v = 0;

	if (sc->i >= sc->n)
		return bad(sc, "expected a value");
	switch (sc->s[sc->i]) {
	case '{':
		return object(sc, role >= C_TOP && role <= C_EMAIL ? role : R_SKIP);
	case '[':
		return array(sc, role == A_DNS_QUERIES ? C_DNS_QUERY : role == A_MAIL_TO ? F_MAIL_TO : R_SKIP);
	case '"':
		if (string(sc, &str, role >= F_TS) != TX_OK)
			return sc->rc;
		if (role == F_TS) {
			if (eve_time(str.s, str.len, &sc->ev->ts) != 0)
				return bad(sc, "timestamp: not a date and time");
		} else if (role > F_TS) {
			record_str(sc->ev, role, str);
		}
		return TX_OK;
	case 't':
		if (sc->n - sc->i >= 4 && memcmp(sc->s + sc->i, "true", 4) == 0) {
			sc->i += 4;
			return TX_OK;
		}
		return bad(sc, "bad literal");
	case 'f':
		if (sc->n - sc->i >= 5 && memcmp(sc->s + sc->i, "false", 5) == 0) {
			sc->i += 5;
			return TX_OK;
		}
		return bad(sc, "bad literal");
	case 'n':
		if (sc->n - sc->i >= 4 && memcmp(sc->s + sc->i, "null", 4) == 0) {
			sc->i += 4;
			return TX_OK;
		}
		return bad(sc, "bad literal");
	default:
		if (sc->s[sc->i] != '-' && (sc->s[sc->i] < '0' || sc->s[sc->i] > '9'))
			return bad(sc, "expected a value");
		if (number(sc, &is_int, &v) != TX_OK)
			return sc->rc;
		if (is_int && role == F_SRC_PORT)
			sc->ev->src_port = v;
		else if (is_int && role == F_DEST_PORT)
			sc->ev->dest_port = v;
		else if (is_int && role == F_SIZE)
			sc->ev->file_size = v;
		return TX_OK;
	}
}

/* ---- facts ---- */

static void fact(struct sensor_event *ev, uint64_t path, enum pattern_fact_kind kind,
		 const char *s, size_t len, int64_t num)
{
	if (ev->n_facts >= SENSOR_MAX_FACTS)
		return;
	struct pattern_fact *f = &ev->facts[ev->n_facts++];
	f->path = path;
	f->kind = kind;
	f->s = s;
	f->len = len;
	f->num = num;
}

#define FSTR(p, str) fact(ev, r->path[p], PATTERN_FACT_STRING, (str).s, (str).len, 0)
#define FLIT(p, lit) fact(ev, r->path[p], PATTERN_FACT_STRING, lit, sizeof(lit) - 1, 0)

static int is_v6(struct sensor_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.s[i] == ':')
			return 1;
	return 0;
}

static void ip_facts(sensor_eve *r, struct sensor_event *ev, struct sensor_str ip,
		     enum path nt_value, enum path nt_type)
{
	int v6 = is_v6(ip);
	struct pattern_fact f = { .s = ip.s, .len = ip.len };

	/* parsed once here; the index reads the network from num */
	pattern_fact_ip(&f);
	fact(ev, r->path[v6 ? P_IP6_VALUE : P_IP4_VALUE], f.kind, ip.s, ip.len, f.num);
	fact(ev, r->path[nt_value], f.kind, ip.s, ip.len, f.num);
	if (v6) {
		FLIT(P_IP6_TYPE, "ipv6-addr");
		FLIT(nt_type, "ipv6-addr");
	} else {
		FLIT(P_IP4_TYPE, "ipv4-addr");
		FLIT(nt_type, "ipv4-addr");
	}
}

/* Whether the event has a network-traffic object (it needs an address). */
static int has_nt(const struct sensor_event *ev)
{
	return ev->src_ip.len > 0 || ev->dest_ip.len > 0;
}

static void make_facts(sensor_eve *r, struct sensor_event *ev)
{
	ev->n_facts = 0;
	if (has_nt(ev)) {
		FLIT(P_NT_TYPE, "network-traffic");
		if (ev->src_ip.len)
			ip_facts(r, ev, ev->src_ip, P_NT_SRC_VALUE, P_NT_SRC_TYPE);
		if (ev->dest_ip.len)
			ip_facts(r, ev, ev->dest_ip, P_NT_DST_VALUE, P_NT_DST_TYPE);
		if (ev->src_port >= 0)
			fact(ev, r->path[P_NT_SRC_PORT], PATTERN_FACT_INT, NULL, 0, ev->src_port);
		if (ev->dest_port >= 0)
			fact(ev, r->path[P_NT_DST_PORT], PATTERN_FACT_INT, NULL, 0, ev->dest_port);
		if (ev->proto.len > 0 && ev->proto.len < sizeof(r->proto_lc)) {
			for (size_t i = 0; i < ev->proto.len; i++) {
				char c = ev->proto.s[i];
				r->proto_lc[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
			}
			fact(ev, r->path[P_NT_PROTOCOLS], PATTERN_FACT_STRING, r->proto_lc, ev->proto.len, 0);
		}
		if (ev->http_method.len)
			FSTR(P_NT_HTTP_METHOD, ev->http_method);
		if (ev->http_url.len)
			FSTR(P_NT_HTTP_VALUE, ev->http_url);
		if (ev->http_host.len)
			FSTR(P_NT_HTTP_HOST, ev->http_host);
		if (ev->http_ua.len)
			FSTR(P_NT_HTTP_UA, ev->http_ua);
	}
	for (size_t i = 0; i < ev->n_domains; i++)
		FSTR(P_DOMAIN_VALUE, ev->domains[i]);
	if (ev->n_domains)
		FLIT(P_DOMAIN_TYPE, "domain-name");
	ev->url_len = 0;
	if (ev->http_host.len && ev->http_url.len &&
	    ev->http_host.len + ev->http_url.len + 8 < sizeof(ev->url)) {
		int slash = ev->http_url.s[0] == '/';
		memcpy(ev->url, "http://", 7);
		memcpy(ev->url + 7, ev->http_host.s, ev->http_host.len);
		ev->url_len = 7 + ev->http_host.len;
		if (!slash)
			ev->url[ev->url_len++] = '/';
		memcpy(ev->url + ev->url_len, ev->http_url.s, ev->http_url.len);
		ev->url_len += ev->http_url.len;
		ev->url[ev->url_len] = '\0';
		fact(ev, r->path[P_URL_VALUE], PATTERN_FACT_STRING, ev->url, ev->url_len, 0);
		FLIT(P_URL_TYPE, "url");
	}
	if (ev->file_name.len || ev->md5.len || ev->sha1.len || ev->sha256.len) {
		FLIT(P_FILE_TYPE, "file");
		if (ev->file_name.len)
			FSTR(P_FILE_NAME, ev->file_name);
		if (ev->file_size >= 0)
			fact(ev, r->path[P_FILE_SIZE], PATTERN_FACT_INT, NULL, 0, ev->file_size);
		if (ev->md5.len)
			FSTR(P_FILE_MD5, ev->md5);
		if (ev->sha1.len)
			FSTR(P_FILE_SHA1, ev->sha1);
		if (ev->sha256.len)
			FSTR(P_FILE_SHA256, ev->sha256);
	}
	/* The fingerprint without colons, ASCII lowered. One that does not
	 * fit (a SHA-1 is 40 hex digits) is no SHA-1 and is left out whole:
	 * cut, it could end inside a UTF-8 sequence, invalid text that the
	 * index would look up while the STIX could not carry it (fuzz_eve,
	 * issue 12), and cut or not it is not the certificate's hash. The
	 * facts and sensor_event_to_stix read the same sha1_hex. */
	ev->sha1_hex_len = 0;
	for (size_t i = 0; i < ev->tls_sha1.len; i++) {
		char c = ev->tls_sha1.s[i];
		if (c == ':')
			continue;
		if (ev->sha1_hex_len + 1 >= sizeof(ev->sha1_hex)) {
			ev->sha1_hex_len = 0;
			break;
		}
		ev->sha1_hex[ev->sha1_hex_len++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	ev->sha1_hex[ev->sha1_hex_len] = '\0';
	if (ev->tls_subject.len || ev->tls_issuer.len || ev->tls_serial.len || ev->sha1_hex_len) {
		FLIT(P_X509_TYPE, "x509-certificate");
		if (ev->tls_subject.len)
			FSTR(P_X509_SUBJECT, ev->tls_subject);
		if (ev->tls_issuer.len)
			FSTR(P_X509_ISSUER, ev->tls_issuer);
		if (ev->tls_serial.len)
			FSTR(P_X509_SERIAL, ev->tls_serial);
		if (ev->sha1_hex_len)
			fact(ev, r->path[P_X509_SHA1], PATTERN_FACT_STRING, ev->sha1_hex, ev->sha1_hex_len, 0);
	}
	if (ev->mail_from.len || ev->n_mail_to || ev->subject.len) {
		FLIT(P_EM_TYPE, "email-message");
		if (ev->subject.len)
			FSTR(P_EM_SUBJECT, ev->subject);
		if (ev->mail_from.len) {
			FSTR(P_EM_FROM_VALUE, ev->mail_from);
			FLIT(P_EM_FROM_TYPE, "email-addr");
			FSTR(P_EA_VALUE, ev->mail_from);
		}
		for (size_t i = 0; i < ev->n_mail_to; i++) {
			FSTR(P_EM_TO_VALUE, ev->mail_to[i]);
			FSTR(P_EA_VALUE, ev->mail_to[i]);
		}
		if (ev->n_mail_to)
			FLIT(P_EM_TO_TYPE, "email-addr");
		if (ev->mail_from.len || ev->n_mail_to)
			FLIT(P_EA_TYPE, "email-addr");
	}
}

tx_err sensor_eve_parse(sensor_eve *r, const char *line, size_t len,
			struct sensor_event *ev, struct tx_error *err)
{
	struct scan sc = { .r = r, .s = line, .n = len, .ev = ev, .err = err };
	size_t lineno = ev->line;

	memset(ev, 0, offsetof(struct sensor_event, url));
	ev->line = lineno;
	ev->ts = INT64_MIN;
	ev->src_port = ev->dest_port = ev->file_size = -1;
	ev->n_facts = 0;
	ev->url_len = ev->sha1_hex_len = 0;
	r->used = 0;
	if (len > SENSOR_LINE_MAX)
		return tx_error_set(err, TX_ERR_INVALID, "line longer than %u bytes", SENSOR_LINE_MAX);
	ws(&sc);
	if (sc.i >= sc.n || sc.s[sc.i] != '{')
		return bad(&sc, "expected a JSON object");
	if (object(&sc, C_TOP) != TX_OK)
		return sc.rc;
	ws(&sc);
	if (sc.i != sc.n)
		return bad(&sc, "text after the JSON object");
	if (ev->ts == INT64_MIN)
		return tx_error_set(err, TX_ERR_INVALID, "timestamp: missing");
	make_facts(r, ev);
	return TX_OK;
}

/* ---- the event as STIX ---- */

/*
 * Every object gets its final id as it is made, once per event: an SCO
 * the id of STIX 2.1 section 2.9 (what stix_sco_id gives, python-stix2's),
 * hashed by the id writer (stix_idw_*) straight from the event's fields
 * as the canonical JSON of its ID-contributing properties, with no tree
 * and no canonicalizer; the observed-data trilex's own (docs/ids.md). The
 * members are written in JCS order (byte order of the names, all ASCII):
 *   network-traffic  dst_port dst_ref extensions protocols src_port src_ref
 *     (extensions: http-request-ext with request_header {Host,
 *     User-Agent}, request_method, request_value)
 *   file             hashes (one: MD5, else SHA-1, else SHA-256) name
 *   x509-certificate hashes {SHA-1} serial_number
 *   email-message    from_ref subject
 *   the others       value
 * An object with none of them present, or a value the writer does not
 * do, goes through stix_sco_id on the object made (a random id for the
 * first, as before). test_sco_ids_eve checks the ids against
 * python-stix2's, test_eve_ids_streamed against stix_sco_id over the
 * objects.
 */
#define ID_BUF 128

/*
 * The tree is made without jansson's UTF-8 checks: the scanner has
 * checked every string of the line (UTF-8, no NUL), and what is made from
 * them (addresses cut at '<' '>', the URL, the lowered protocol and
 * fingerprint) stays so; names are ASCII literals. fuzz_eve reads the
 * result's text back with jansson's checks.
 */
#define SET(o, lit, v) json_object_setn_new_nocheck(o, lit, sizeof(lit) - 1, v)
#define SETREF(o, lit, v) json_object_setn_new_nocheck(o, lit, sizeof(lit) - 1, json_incref(v))
#define LIT(lit) json_stringn_nocheck(lit, sizeof(lit) - 1)
#define TEXT(s, n) json_stringn_nocheck(s, n)
#define PUT(o, lit, str) SET(o, lit, TEXT((str).s, (str).len))

/* The writer's members: a comma before all but the first. */
struct idm {
	struct stix_idw w;
	int n;            /* members written */
};

static void idm_init(struct idm *m)
{
	stix_idw_init(&m->w);
	stix_idw_raw(&m->w, "{", 1);
	m->n = 0;
}

/* name: the member's name with its quotes and colon, "\"name\":". */
static void idm_name(struct idm *m, const char *name, size_t len)
{
	if (m->n++)
		stix_idw_raw(&m->w, ",", 1);
	stix_idw_raw(&m->w, name, len);
}
#define NAME(m, lit) idm_name(m, "\"" lit "\":", sizeof(lit) + 2)

static void idm_str(struct idm *m, const char *name, size_t nlen, struct sensor_str s)
{
	idm_name(m, name, nlen);
	stix_idw_str(&m->w, s.s, s.len);
}
#define MSTR(m, lit, s) idm_str(m, "\"" lit "\":", sizeof(lit) + 2, s)

/*
 * Set o's id: from the writer when it has members, else (or when the
 * writer cannot) by stix_sco_id over o. -1 when out of memory.
 */
static int set_id(json_t *o, const char *type, struct idm *m)
{
	char id[ID_BUF];
	struct tx_error err;

	if (o == NULL)
		return -1;
	stix_idw_raw(&m->w, "}", 1);
	if (m->n == 0 || stix_idw_id(&m->w, type, id, sizeof(id)) != 0) {
		if (stix_sco_id(o, id, sizeof(id), &err) != TX_OK)
			return -1;
	}
	return SET(o, "id", json_string_nocheck(id));
}

/* A new SCO of type with its one contributing property "value". */
static json_t *value_obj(const char *type, const char *s, size_t len)
{
	json_t *o = json_object();
	struct idm m;

	idm_init(&m);
	MSTR(&m, "value", ((struct sensor_str){ s, len }));
	if (o == NULL || SET(o, "type", json_string_nocheck(type)) != 0 ||
	    SET(o, "value", TEXT(s, len)) != 0 || set_id(o, type, &m) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* trilex's own derived id: TYPE--UUIDv5 in trilex's namespace over
 * "TYPE|a|b" (docs/ids.md). */
static json_t *own_id(const char *type, const char *a, const char *b)
{
	size_t tl = strlen(type);
	char id[ID_BUF];
	struct tx_sha1 h;

	if (tl + 2 + TX_UUID_BUF > sizeof(id))
		return NULL;
	tx_sha1_init(&h);
	tx_sha1_update(&h, tx_uuid_ns_trilex, 16);
	tx_sha1_update(&h, type, tl);
	tx_sha1_update(&h, "|", 1);
	tx_sha1_update(&h, a, strlen(a));
	tx_sha1_update(&h, "|", 1);
	tx_sha1_update(&h, b, strlen(b));
	memcpy(id, type, tl);
	id[tl] = id[tl + 1] = '-';
	tx_uuid5_final(&h, id + tl + 2);
	return json_string_nocheck(id);
}

/* A new object {key: v} (v's reference taken, even on failure), or NULL. */
static json_t *wrap1(const char *key, size_t kl, json_t *v)
{
	json_t *o = json_object();

	if (o == NULL || v == NULL) {
		json_decref(v);
		json_decref(o);
		return NULL;
	}
	if (json_object_setn_new_nocheck(o, key, kl, v) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A new list [v] (v's reference taken, even on failure), or NULL. */
static json_t *list1(json_t *v)
{
	json_t *l = json_array();

	if (l == NULL || v == NULL || json_array_append_new(l, v) != 0) {
		if (l == NULL || v == NULL)
			json_decref(v);
		json_decref(l);
		return NULL;
	}
	return l;
}

static int add_obj(json_t *objs, json_t *refs, json_t *o)
{
	if (o == NULL)
		return -1;
	if (json_array_append(refs, json_object_get(o, "id")) != 0) {
		json_decref(o);
		return -1;
	}
	return json_array_append_new(objs, o);
}

static json_t *ip_obj(struct sensor_str ip)
{
	return value_obj(is_v6(ip) ? "ipv6-addr" : "ipv4-addr", ip.s, ip.len);
}

/* A reference member: the id of o (made before) as a string. */
static void idm_ref(struct idm *m, const char *name, size_t nlen, const json_t *o)
{
	const json_t *id = json_object_get(o, "id");

	idm_name(m, name, nlen);
	stix_idw_str(&m->w, json_string_value(id), json_string_length(id));
}
#define MREF(m, lit, o) idm_ref(m, "\"" lit "\":", sizeof(lit) + 2, o)

/* A string member inside a member (no comma logic): "name": then s. */
static void idw_pair(struct stix_idw *w, const char *name, size_t nlen, const char *v, size_t len)
{
	stix_idw_raw(w, name, nlen);
	stix_idw_str(w, v, len);
}
#define PAIR(w, lit, v, len) idw_pair(w, lit, sizeof(lit) - 1, v, len)

/* The network-traffic's id members: see the table above. */
static void nt_id(struct idm *m, const struct sensor_event *ev, const json_t *src,
		  const json_t *dst, const char *lc, size_t lcn)
{
	if (ev->dest_port >= 0) {
		NAME(m, "dst_port");
		stix_idw_num(&m->w, ev->dest_port);
	}
	if (dst)
		MREF(m, "dst_ref", dst);
	if (ev->http_method.len || ev->http_url.len || ev->http_host.len || ev->http_ua.len) {
		int more = 0;
		NAME(m, "extensions");
		stix_idw_raw(&m->w, "{\"http-request-ext\":{", 21);
		if (ev->http_host.len || ev->http_ua.len) {
			stix_idw_raw(&m->w, "\"request_header\":{", 18);
			if (ev->http_host.len)
				PAIR(&m->w, "\"Host\":", ev->http_host.s, ev->http_host.len);
			if (ev->http_host.len && ev->http_ua.len)
				stix_idw_raw(&m->w, ",", 1);
			if (ev->http_ua.len)
				PAIR(&m->w, "\"User-Agent\":", ev->http_ua.s, ev->http_ua.len);
			stix_idw_raw(&m->w, "}", 1);
			more = 1;
		}
		if (ev->http_method.len) {
			if (more)
				stix_idw_raw(&m->w, ",", 1);
			PAIR(&m->w, "\"request_method\":", ev->http_method.s, ev->http_method.len);
			more = 1;
		}
		if (ev->http_url.len) {
			if (more)
				stix_idw_raw(&m->w, ",", 1);
			PAIR(&m->w, "\"request_value\":", ev->http_url.s, ev->http_url.len);
		}
		stix_idw_raw(&m->w, "}}", 2);
	}
	if (lcn) {
		NAME(m, "protocols");
		stix_idw_raw(&m->w, "[", 1);
		stix_idw_str(&m->w, lc, lcn);
		stix_idw_raw(&m->w, "]", 1);
	}
	if (ev->src_port >= 0) {
		NAME(m, "src_port");
		stix_idw_num(&m->w, ev->src_port);
	}
	if (src)
		MREF(m, "src_ref", src);
}

static json_t *nt_obj(const struct sensor_event *ev, const json_t *src, const json_t *dst)
{
	json_t *nt = json_object();
	int bad = nt == NULL;
	char lc[16];
	size_t lcn = ev->proto.len > 0 && ev->proto.len < 16 ? ev->proto.len : 0;
	struct idm m;

	for (size_t i = 0; i < lcn; i++) {
		char c = ev->proto.s[i];
		lc[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	idm_init(&m);
	nt_id(&m, ev, src, dst, lc, lcn);
	bad |= SET(nt, "type", LIT("network-traffic")) != 0;
	if (src)
		bad |= SETREF(nt, "src_ref", json_object_get(src, "id")) != 0;
	if (dst)
		bad |= SETREF(nt, "dst_ref", json_object_get(dst, "id")) != 0;
	if (ev->src_port >= 0)
		bad |= SET(nt, "src_port", json_integer(ev->src_port)) != 0;
	if (ev->dest_port >= 0)
		bad |= SET(nt, "dst_port", json_integer(ev->dest_port)) != 0;
	if (lcn)
		bad |= SET(nt, "protocols", list1(TEXT(lc, lcn))) != 0;
	if (ev->http_method.len || ev->http_url.len || ev->http_host.len || ev->http_ua.len) {
		json_t *ext = json_object(), *hdr = json_object();
		bad |= ext == NULL || hdr == NULL;
		if (ev->http_method.len)
			bad |= PUT(ext, "request_method", ev->http_method) != 0;
		if (ev->http_url.len)
			bad |= PUT(ext, "request_value", ev->http_url) != 0;
		if (ev->http_host.len)
			bad |= PUT(hdr, "Host", ev->http_host) != 0;
		if (ev->http_ua.len)
			bad |= PUT(hdr, "User-Agent", ev->http_ua) != 0;
		if (json_object_size(hdr))
			bad |= SETREF(ext, "request_header", hdr) != 0;
		json_decref(hdr);
		bad |= SET(nt, "extensions", wrap1("http-request-ext", 16, ext)) != 0;
	}
	if (bad || set_id(nt, "network-traffic", &m) != 0) {
		json_decref(nt);
		return NULL;
	}
	return nt;
}

static json_t *file_obj(const struct sensor_event *ev)
{
	json_t *hashes = json_object(), *o = json_object();
	int bad = hashes == NULL || o == NULL;
	struct idm m;

	idm_init(&m);
	if (ev->md5.len || ev->sha1.len || ev->sha256.len) {
		/* the one hash stix_sco_id takes */
		NAME(&m, "hashes");
		if (ev->md5.len)
			PAIR(&m.w, "{\"MD5\":", ev->md5.s, ev->md5.len);
		else if (ev->sha1.len)
			PAIR(&m.w, "{\"SHA-1\":", ev->sha1.s, ev->sha1.len);
		else
			PAIR(&m.w, "{\"SHA-256\":", ev->sha256.s, ev->sha256.len);
		stix_idw_raw(&m.w, "}", 1);
	}
	if (ev->file_name.len)
		MSTR(&m, "name", ev->file_name);
	bad |= SET(o, "type", LIT("file")) != 0;
	if (ev->file_name.len)
		bad |= PUT(o, "name", ev->file_name) != 0;
	if (ev->file_size >= 0)
		bad |= SET(o, "size", json_integer(ev->file_size)) != 0;
	if (ev->md5.len)
		bad |= PUT(hashes, "MD5", ev->md5) != 0;
	if (ev->sha1.len)
		bad |= PUT(hashes, "SHA-1", ev->sha1) != 0;
	if (ev->sha256.len)
		bad |= PUT(hashes, "SHA-256", ev->sha256) != 0;
	if (json_object_size(hashes))
		bad |= SETREF(o, "hashes", hashes) != 0;
	json_decref(hashes);
	if (bad || set_id(o, "file", &m) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *x509_obj(const struct sensor_event *ev)
{
	json_t *o = json_object();
	int bad = o == NULL;
	struct idm m;

	idm_init(&m);
	if (ev->sha1_hex_len) {
		NAME(&m, "hashes");
		PAIR(&m.w, "{\"SHA-1\":", ev->sha1_hex, ev->sha1_hex_len);
		stix_idw_raw(&m.w, "}", 1);
	}
	if (ev->tls_serial.len)
		MSTR(&m, "serial_number", ev->tls_serial);
	bad |= SET(o, "type", LIT("x509-certificate")) != 0;
	if (ev->tls_subject.len)
		bad |= PUT(o, "subject", ev->tls_subject) != 0;
	if (ev->tls_issuer.len)
		bad |= PUT(o, "issuer", ev->tls_issuer) != 0;
	if (ev->tls_serial.len)
		bad |= PUT(o, "serial_number", ev->tls_serial) != 0;
	if (ev->sha1_hex_len)
		bad |= SET(o, "hashes", wrap1("SHA-1", 5, TEXT(ev->sha1_hex, ev->sha1_hex_len))) != 0;
	if (bad || set_id(o, "x509-certificate", &m) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The e-mail addresses, then the message (its from_ref first). */
static int add_email(json_t *objs, json_t *refs, const struct sensor_event *ev)
{
	json_t *em = json_object(), *to = json_array(), *from = NULL, *o;
	int bad = em == NULL || to == NULL;
	struct idm m;

	bad |= SET(em, "type", LIT("email-message")) != 0;
	bad |= SET(em, "is_multipart", json_false()) != 0;
	if (ev->subject.len)
		bad |= PUT(em, "subject", ev->subject) != 0;
	if (ev->mail_from.len) {
		from = value_obj("email-addr", ev->mail_from.s, ev->mail_from.len);
		bad |= from == NULL || SETREF(em, "from_ref", json_object_get(from, "id")) != 0;
		bad |= add_obj(objs, refs, from) != 0;
	}
	for (size_t i = 0; i < ev->n_mail_to; i++) {
		o = value_obj("email-addr", ev->mail_to[i].s, ev->mail_to[i].len);
		bad |= o == NULL || json_array_append(to, json_object_get(o, "id")) != 0;
		bad |= add_obj(objs, refs, o) != 0;
	}
	if (json_array_size(to))
		bad |= SETREF(em, "to_refs", to) != 0;
	json_decref(to);
	idm_init(&m);
	if (from != NULL && !bad)
		MREF(&m, "from_ref", from);
	if (ev->subject.len)
		MSTR(&m, "subject", ev->subject);
	if (bad || set_id(em, "email-message", &m) != 0) {
		json_decref(em);
		return -1;
	}
	return add_obj(objs, refs, em);
}

json_t *sensor_event_to_stix(const struct sensor_event *ev)
{
	json_t *objs = json_array(), *refs = json_array(), *od = json_object(), *ts;
	char t[TX_TIME_BUF], line[24], *l = line + sizeof(line);
	size_t n = ev->line;
	int bad = 0;   /* an allocation failed: nothing is returned */

	if (objs == NULL || refs == NULL || od == NULL)
		goto fail;
	*--l = '\0';
	do
		*--l = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	tx_time_format(ev->ts, t);
	/* one string for the four times (never changed in place) */
	if ((ts = TEXT(t, strlen(t))) == NULL)
		goto fail;
	bad |= SET(od, "type", LIT("observed-data")) != 0;
	bad |= SET(od, "spec_version", LIT("2.1")) != 0;
	bad |= SET(od, "id", own_id("observed-data", t, l)) != 0;
	bad |= SETREF(od, "created", ts) != 0;
	bad |= SETREF(od, "modified", ts) != 0;
	bad |= SETREF(od, "first_observed", ts) != 0;
	bad |= SETREF(od, "last_observed", ts) != 0;
	json_decref(ts);
	bad |= SET(od, "number_observed", json_integer(1)) != 0;
	bad |= json_array_append_new(objs, od) != 0;
	if (has_nt(ev)) {
		json_t *src = NULL, *dst = NULL;
		if (ev->src_ip.len)
			bad |= add_obj(objs, refs, src = ip_obj(ev->src_ip)) != 0;
		if (ev->dest_ip.len)
			bad |= add_obj(objs, refs, dst = ip_obj(ev->dest_ip)) != 0;
		if (!bad)
			bad |= add_obj(objs, refs, nt_obj(ev, src, dst)) != 0;
	}
	for (size_t i = 0; i < ev->n_domains; i++)
		bad |= add_obj(objs, refs, value_obj("domain-name", ev->domains[i].s, ev->domains[i].len)) != 0;
	if (ev->url_len)
		bad |= add_obj(objs, refs, value_obj("url", ev->url, ev->url_len)) != 0;
	if (ev->file_name.len || ev->md5.len || ev->sha1.len || ev->sha256.len)
		bad |= add_obj(objs, refs, file_obj(ev)) != 0;
	if (ev->tls_subject.len || ev->tls_issuer.len || ev->tls_serial.len || ev->sha1_hex_len)
		bad |= add_obj(objs, refs, x509_obj(ev)) != 0;
	if (ev->mail_from.len || ev->n_mail_to || ev->subject.len)
		bad |= add_email(objs, refs, ev) != 0;
	bad |= SET(od, "object_refs", refs) != 0;
	if (bad) {
		json_decref(objs);
		return NULL;
	}
	return objs;
fail:
	json_decref(objs);
	json_decref(refs);
	json_decref(od);
	return NULL;
}
