/* Unit tests of core/: time, UUIDs, buffers, integers, node.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"

static void test_time_parse(void **state)
{
	int64_t us;
	int digits;
	char buf[TX_TIME_BUF];

	assert_int_equal(tx_time_parse("1970-01-01T00:00:00Z", &us, NULL), TX_OK);
	assert_int_equal(us, 0);
	assert_int_equal(tx_time_parse("2016-05-12T08:17:27.123Z", &us, &digits), 0);
	assert_int_equal(digits, 3);
	tx_time_format(us, buf);
	assert_string_equal(buf, "2016-05-12T08:17:27.123000Z");
	tx_time_format_ms(us, buf);
	assert_string_equal(buf, "2016-05-12T08:17:27.123Z");
	assert_int_equal(tx_time_parse("2016-05-12T08:17:27.123456789Z", &us, &digits), 0);
	assert_int_equal(digits, 9);
	tx_time_format(us, buf);
	assert_string_equal(buf, "2016-05-12T08:17:27.123456Z");
	assert_int_equal(tx_time_parse("2024-02-29T23:59:59Z", &us, NULL), 0);
	const char *bad[] = { "", "2016-05-12", "2016-05-12T08:17:27",
			      "2016-05-12T08:17:27+00:00", "2016-05-12 08:17:27Z",
			      "2016-13-12T08:17:27Z", "2023-02-29T00:00:00Z",
			      "2016-05-12T24:00:00Z", "2016-05-12T08:17:27.Z",
			      "2016-05-12T08:17:27.1234567890Z", "2016-05-12T08:17:27Zjunk",
			      "garbage", "2016-05-12t08:17:27z" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tx_time_parse(bad[i], &us, NULL), TX_ERR_INVALID);
	assert_int_equal(tx_time_parse(NULL, &us, NULL), TX_ERR_INVALID);
	/* order is preserved */
	int64_t a, b;
	tx_time_parse("2016-05-12T08:17:27.999Z", &a, NULL);
	tx_time_parse("2016-05-12T08:17:28Z", &b, NULL);
	assert_true(a < b);
}

static void test_uuid(void **state)
{
	char a[TX_UUID_BUF], b[TX_UUID_BUF];

	tx_uuid4(a);
	tx_uuid4(b);
	assert_true(tx_uuid_valid(a, strlen(a)));
	assert_string_not_equal(a, b);
	assert_int_equal(a[14], '4');
	assert_false(tx_uuid_valid("not-a-uuid", 10));
	assert_false(tx_uuid_valid("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3", 35));
	assert_false(tx_uuid_valid("8e2e2d2b-17d4-4cbf-938f_98ee46b3cd3f", 36));
}

/* What tx_time_format wrote before its digit-by-digit path: gmtime_r
 * and snprintf. */
static void time_format_ref(int64_t us, char *buf, size_t n, int ms)
{
	int64_t secs = us / 1000000, frac = us % 1000000;
	struct tm tm;
	time_t t;

	if (frac < 0)
		frac += 1000000, secs--;
	t = (time_t)secs;
	gmtime_r(&t, &tm);
	if (ms)
		snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(frac / 1000));
	else
		snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}

/* tx_time_format writes what gmtime_r and snprintf write, around the
 * epoch, leap days, the years 0 and 9999/10000 and far off. */
static void test_time_format(void **state)
{
	static const int64_t edge[] = {
		0, -1, 1, 999999, -999999, -1000000, 951782400000000LL /* 2000-02-29 */,
		-62167219200000000LL /* 0000-01-01 */, -62167219200000001LL,
		253402300799999999LL /* 9999-12-31T23:59:59.999999 */, 253402300800000000LL,
		-62135596800000000LL, 4102444800000000LL, -2208988800000000LL,
	};
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char got[TX_TIME_BUF], want[96];

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]) + 200000; i++) {
		int64_t us;
		if (i < sizeof(edge) / sizeof(edge[0])) {
			us = edge[i];
		} else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* +/- about 12,700 years, and often near the epoch */
			us = (int64_t)(x % 800000000000000000ULL) - 400000000000000000LL;
			if (i % 3 == 0)
				us /= 100000;
		}
		for (int ms = 0; ms < 2; ms++) {
			time_format_ref(us, want, sizeof(want), ms);
			want[TX_TIME_BUF - 1] = '\0';
			if (ms)
				tx_time_format_ms(us, got);
			else
				tx_time_format(us, got);
			if (strcmp(got, want) != 0)
				fail_msg("%lld: %s, gmtime %s", (long long)us, got, want);
		}
	}
}

/* SHA-1 against the test vectors of RFC 3174 section 7.3. */
static void test_sha1(void **state)
{
	static const struct { const char *in; int repeat; const char *hex; } v[] = {
		{ "abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
		{ "a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
		{ "0123456701234567012345670123456701234567012345670123456701234567", 10,
		  "dea356a2cddd90c7a7ecedc5ebb563934f460452" },
		{ "", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tx_sha1 s;
		unsigned char h[20];
		char hex[41];
		tx_sha1_init(&s);
		for (int r = 0; r < v[i].repeat; r++)
			tx_sha1_update(&s, v[i].in, strlen(v[i].in));
		tx_sha1_final(&s, h);
		for (int k = 0; k < 20; k++)
			snprintf(hex + 2 * k, 3, "%02x", h[k]);
		assert_string_equal(hex, v[i].hex);
	}
	/* fed in odd pieces, the same digest */
	struct tx_sha1 s;
	unsigned char a[20], b[20];
	const char *t = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	tx_sha1_init(&s);
	for (size_t i = 0, n = strlen(t); i < n; i += 3)
		tx_sha1_update(&s, t + i, n - i < 3 ? n - i : 3);
	tx_sha1_final(&s, a);
	tx_sha1_init(&s);
	tx_sha1_update(&s, t, strlen(t));
	tx_sha1_final(&s, b);
	assert_memory_equal(a, b, 20);
}

/* Version 5 UUIDs as Python's uuid.uuid5 makes them. */
static void test_uuid5(void **state)
{
	static const unsigned char ns_dns[16] = { 0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad,
		0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
	char u[TX_UUID_BUF];

	tx_uuid5(ns_dns, "python.org", 10, u);
	assert_string_equal(u, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
	/* trilex's namespace: ids derived before stay the same */
	tx_uuid5(tx_uuid_ns_trilex, "poc|JP|a|b", 10, u);
	assert_string_equal(u, "d9958ab3-0502-5cc7-a152-59d9fa40be88");
	/* the STIX SCO namespace (section 2.9): ipv4-addr 1.2.3.4 */
	tx_uuid5(tx_uuid_ns_stix_sco, "{\"value\":\"1.2.3.4\"}", 19, u);
	assert_string_equal(u, "0198f97b-e65d-5025-87e5-58bc39d4bdb4");
}

/* The arena: zeroed, aligned, capped; big blocks do not waste the chunk. */
static void test_arena(void **state)
{
	struct tx_arena a;
	char *s, *t, *big;

	tx_arena_init(&a, 64, 256, 2000);
	s = tx_arena_strdup(&a, "abc");
	assert_string_equal(s, "abc");
	assert_int_equal((uintptr_t)s % _Alignof(max_align_t), 0);
	big = tx_arena_alloc(&a, 1000); /* over a quarter: its own block */
	assert_non_null(big);
	assert_int_equal(big[999], 0);
	t = tx_arena_strndup(&a, "xyz123", 3);
	assert_string_equal(t, "xyz");
	assert_null(tx_arena_alloc(&a, 1500)); /* past the cap */
	assert_null(tx_arena_strdup(&a, NULL));
	assert_null(tx_arena_alloc(&a, SIZE_MAX));
	tx_arena_free(&a);
	assert_int_equal(a.used, 0);
}

static void test_grow(void **state)
{
	int *v = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < 100; i++) {
		assert_int_equal(tx_grow(&v, &cap, i + 1, sizeof(*v), 4), TX_OK);
		assert_true(cap >= i + 1);
		v[i] = (int)i;
	}
	assert_int_equal(cap, 128);
	assert_int_equal(v[99], 99);
	/* an impossible size changes nothing */
	assert_int_equal(tx_grow(&v, &cap, SIZE_MAX / 2, sizeof(*v), 4), TX_ERR_NOMEM);
	assert_int_equal(cap, 128);
	assert_int_equal(v[50], 50);
	free(v);
}

static void test_htab(void **state)
{
	struct tx_htab t = { 0 };
	char keys[500][8];
	void *old = &t;

	assert_null(tx_htab_get(&t, "none"));
	for (int i = 0; i < 500; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		assert_int_equal(tx_htab_put(&t, keys[i], keys[i], &old), TX_OK);
		assert_null(old);
	}
	assert_int_equal(t.n, 500);
	for (int i = 0; i < 500; i++)
		assert_ptr_equal(tx_htab_get(&t, keys[i]), keys[i]);
	assert_int_equal(tx_htab_put(&t, "k7", keys[8], &old), TX_OK);
	assert_ptr_equal(old, keys[7]);
	assert_ptr_equal(tx_htab_get(&t, "k7"), keys[8]);
	assert_int_equal(t.n, 500);
	assert_null(tx_htab_get(&t, "k500"));
	/* FNV-1a 64 of "a" (the published test vector) */
	assert_true(tx_hash64(TX_HASH64_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
	tx_htab_free(&t);
}

/* The one party-code check every module uses. */
static void test_party_valid(void **state)
{
	assert_true(tx_party_valid("JP"));
	assert_true(tx_party_valid("ABCDEFG"));
	assert_false(tx_party_valid("ABCDEFGH"));
	assert_false(tx_party_valid("J"));
	assert_false(tx_party_valid(""));
	assert_false(tx_party_valid(NULL));
	assert_false(tx_party_valid("jp"));
	assert_false(tx_party_valid("J P"));
	assert_false(tx_party_valid("\xc3\x89U")); /* not ASCII */
}

/* A cut that is expected ends in "...", on a character boundary. */
static void test_strfmt(void **state)
{
	char b[8];

	assert_int_equal(tx_strfmt(b, sizeof(b), "%s.%d", "ab", 1), 0);
	assert_string_equal(b, "ab.1");
	assert_int_equal(tx_strfmt(b, sizeof(b), "%s", "abcdefg"), 0);
	assert_string_equal(b, "abcdefg");
	assert_int_equal(tx_strfmt(b, sizeof(b), "%s[%zu]", "abcdef", (size_t)12), 1);
	assert_string_equal(b, "abcd...");
	/* "ab" then a 3-byte character cut in the middle: it goes whole */
	assert_int_equal(tx_strfmt(b, sizeof(b), "ab\xe6\x97\xa5\xe6\x9c\xac"), 1);
	assert_string_equal(b, "ab...");
	assert_int_equal(tx_strfmt(b, 3, "%s", "abcdef"), 1);
	assert_string_equal(b, "ab");
}

static void test_buf_cap(void **state)
{
	struct tx_buf b;

	tx_buf_init(&b, 10);
	assert_int_equal(tx_buf_puts(&b, "12345"), TX_OK);
	assert_int_equal(tx_buf_printf(&b, "%d", 6789), TX_OK);
	assert_string_equal(b.data, "123456789");
	assert_int_equal(tx_buf_puts(&b, "ab"), TX_ERR_TOOBIG);
	assert_int_equal(tx_buf_puts(&b, "a"), TX_OK);
	assert_int_equal(b.len, 10);
	char *p = tx_buf_take(&b);
	assert_string_equal(p, "123456789a");
	free(p);
	tx_buf_free(&b);
}

static void test_parse_int(void **state)
{
	int64_t v;

	assert_int_equal(tx_parse_int64("42", 0, 100, &v), TX_OK);
	assert_int_equal(v, 42);
	assert_int_equal(tx_parse_int64("-1", 0, 100, &v), TX_ERR_INVALID);
	assert_int_equal(tx_parse_int64("101", 0, 100, &v), TX_ERR_INVALID);
	assert_int_equal(tx_parse_int64("4x", 0, 100, &v), TX_ERR_INVALID);
	assert_int_equal(tx_parse_int64("", 0, 100, &v), TX_ERR_INVALID);
	assert_int_equal(tx_parse_int64(" 4", 0, 100, &v), TX_ERR_INVALID);
	assert_int_equal(tx_parse_int64("99999999999999999999", 0, INT64_MAX, &v),
			 TX_ERR_INVALID);
}

static void write_text(const char *dir, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/node.json", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void test_config(void **state)
{
	char dir[] = "/tmp/trilex-cfg-XXXXXX";
	struct tx_config cfg, back;
	struct tx_error err = { 0 };

	assert_non_null(mkdtemp(dir));
	tx_config_defaults(&cfg);
	snprintf(cfg.party, sizeof(cfg.party), "UK");
	assert_int_equal(tx_config_set_listen(&cfg, "[::1]:9443", &err), TX_OK);
	assert_string_equal(cfg.listen_host, "::1");
	assert_int_equal(cfg.listen_port, 9443);
	assert_int_equal(tx_config_save(dir, &cfg, &err), TX_OK);
	assert_int_equal(tx_config_load(dir, &back, &err), TX_OK);
	assert_memory_equal(&cfg, &back, sizeof(cfg));

	assert_int_equal(tx_config_set_listen(&cfg, "8080", &err), TX_OK);
	assert_int_equal(cfg.listen_port, 8080);
	assert_int_equal(tx_config_set_listen(&cfg, "::1:80", &err), TX_ERR_INVALID);
	assert_int_equal(tx_config_set_listen(&cfg, "host:99999", &err), TX_ERR_INVALID);

	write_text(dir, "{\"listen_port\": 0}");
	assert_int_equal(tx_config_load(dir, &back, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "listen_port"));
	write_text(dir, "{\"listen_prot\": 80}");
	assert_int_equal(tx_config_load(dir, &back, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "unknown setting"));
	write_text(dir, "{\"party\": \"uk\"}");
	assert_int_equal(tx_config_load(dir, &back, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "party"));
	write_text(dir, "{\"name\": 5}");
	assert_int_equal(tx_config_load(dir, &back, &err), TX_ERR_INVALID);
	write_text(dir, "{\"page_default\": 500, \"page_max\": 100}");
	assert_int_equal(tx_config_load(dir, &back, &err), TX_ERR_INVALID);
	/* the request limits (issue 12.7, 12.8) */
	assert_int_equal(back.max_envelope_objects, 100000);
	assert_int_equal(back.status_failures_max, 1000);
	assert_int_equal(back.status_ttl_s, 7 * 86400);
	assert_int_equal(back.max_bodies_in_flight, 256LL << 20);
	write_text(dir, "{\"max_content_length\": 8388608,"
		   " \"max_bodies_in_flight\": 4194304}");
	assert_int_equal(tx_config_load(dir, &back, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "max_bodies_in_flight"));
	write_text(dir, "{\"max_envelope_objects\": 0}");
	assert_int_equal(tx_config_load(dir, &back, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "max_envelope_objects"));
	write_text(dir, "{\"status_ttl_s\": 60, \"status_failures_max\": 0,"
		   " \"body_memory_factor\": 4, \"log_repeat_max\": 3}");
	assert_int_equal(tx_config_load(dir, &back, &err), TX_OK);
	assert_int_equal(back.status_ttl_s, 60);
	assert_int_equal(back.status_failures_max, 0);
	assert_int_equal(back.body_memory_factor, 4);
	assert_int_equal(back.log_repeat_max, 3);
	write_text(dir, "{\"party\": ");
	assert_int_equal(tx_config_load(dir, &back, &err), TX_ERR_IO);
	assert_non_null(strstr(err.msg, "node.json:1"));
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_json_spans(void **state)
{
	const char *doc = "{ \"type\": \"bundle\", \"x\": [1, {\"objects\": 2}],\n"
			  "  \"objects\" : [ {\"a\": \"b ]\\\" }\"} ,\n [ 1, 2 ] , \"s\", 3 ] }";
	struct tx_span *sp = NULL;
	size_t n = 0;
	char out[64];

	assert_int_equal(tx_json_array_spans(doc, strlen(doc), "objects", &sp, &n),
			 TX_OK);
	assert_int_equal(n, 4);
	assert_int_equal(tx_json_compact(doc + sp[0].off, sp[0].len, out), 15);
	assert_string_equal(out, "{\"a\":\"b ]\\\" }\"}");
	tx_json_compact(doc + sp[1].off, sp[1].len, out);
	assert_string_equal(out, "[1,2]");
	tx_json_compact(doc + sp[2].off, sp[2].len, out);
	assert_string_equal(out, "\"s\"");
	tx_json_compact(doc + sp[3].off, sp[3].len, out);
	assert_string_equal(out, "3");
	free(sp);
	assert_int_equal(tx_json_array_spans("[1]", 3, "objects", &sp, &n),
			 TX_ERR_INVALID);
	assert_int_equal(tx_json_array_spans("{\"objects\": 5}", 14, "objects", &sp,
					     &n), TX_ERR_NOTFOUND);
	assert_int_equal(tx_json_array_spans("{\"objects\": [\"abc", 17, "objects",
					     &sp, &n), TX_ERR_NOTFOUND);
	assert_int_equal(tx_json_array_spans("{\"objects\": []}", 15, "objects", &sp,
					     &n), TX_OK);
	assert_int_equal(n, 0);
	free(sp);
}

/* tx_json_load against json_loadb: the same verdict and equal values on
 * texts chosen for the corners of RFC 8259 and of jansson (the fuzz
 * target fuzz_jparse explores the rest). */
static void test_json_load(void **state)
{
	static const struct {
		const char *text;
		size_t flags;
		int ok;
	} cases[] = {
		{ "{}", 0, 1 },
		{ "[]", 0, 1 },
		{ " {\"a\" : [1, -0, 2.5e3, 1E-2, -12.0, true, false, null]} \n", 0, 1 },
		{ "\"x\"", 0, 0 },			/* a scalar needs DECODE_ANY */
		{ "\"x\"", JSON_DECODE_ANY, 1 },
		{ "12", JSON_DECODE_ANY, 1 },
		{ "", 0, 0 },
		{ "   ", JSON_DECODE_ANY, 0 },
		{ "{\"a\":1,}", 0, 0 },
		{ "[1,]", 0, 0 },
		{ "[1 2]", 0, 0 },
		{ "{\"a\" 1}", 0, 0 },
		{ "{\"a\":1,\"a\":2}", JSON_REJECT_DUPLICATES, 0 },
		{ "{\"a\":1,\"a\":2}", 0, 1 },		/* the last one wins */
		{ "[01]", 0, 0 },
		{ "[-]", 0, 0 },
		{ "[1.]", 0, 0 },
		{ "[.5]", 0, 0 },
		{ "[1e]", 0, 0 },
		{ "[1e+]", 0, 0 },
		{ "[+1]", 0, 0 },
		{ "[9223372036854775807, -9223372036854775808]", 0, 1 },
		{ "[9223372036854775808]", 0, 0 },	/* too big an integer */
		{ "[-9223372036854775809]", 0, 0 },
		{ "[1e400]", 0, 0 },			/* real overflow */
		{ "[1e-400]", 0, 1 },			/* underflow is 0 */
		{ "[12]", JSON_DECODE_INT_AS_REAL, 1 },
		{ "[tru]", 0, 0 },
		{ "[truex]", 0, 0 },
		{ "[nul]", 0, 0 },
		{ "[\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\"]", 0, 1 },
		{ "[\"\\u0000\"]", 0, 0 },		/* no U+0000 */
		{ "[\"\\ud800\"]", 0, 0 },		/* a lone high surrogate */
		{ "[\"\\udc00\"]", 0, 0 },		/* a lone low one */
		{ "[\"\\ud800\\u0041\"]", 0, 0 },
		{ "[\"\\x\"]", 0, 0 },
		{ "[\"\\u12\"]", 0, 0 },
		{ "[\"a\tb\"]", 0, 0 },			/* a raw control character */
		{ "[\"caf\xc3\xa9\"]", 0, 1 },
		{ "[\"\xc3\"]", 0, 0 },			/* a cut sequence */
		{ "[\"\xc0\xaf\"]", 0, 0 },		/* overlong */
		{ "[\"\xed\xa0\x80\"]", 0, 0 },		/* an encoded surrogate */
		{ "[\"\xf4\x90\x80\x80\"]", 0, 0 },	/* above U+10FFFF */
		{ "[\"\xf0\x9f\x98\x80\"]", 0, 1 },
		{ "[\"abc", 0, 0 },
		{ "[\"abc\\", 0, 0 },
		{ "[\"a\\nb", 0, 0 },
		{ "{\"k\\u00e9y\":{\"k\\u00e9y\":\"v\\u00e9\"}}", 0, 1 },
		{ "{} x", 0, 0 },
		{ "[1]]", 0, 0 },
		{ "{\"a\":1} ", JSON_DISABLE_EOF_CHECK, 1 },
		{ "{\"a\":1} junk", JSON_DISABLE_EOF_CHECK, 1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_error_t e1, e2;
		const char *t = cases[i].text;
		json_t *a = json_loadb(t, strlen(t), cases[i].flags, &e1);
		json_t *b = tx_json_load(t, strlen(t), cases[i].flags, &e2);

		if ((a != NULL) != cases[i].ok || (b != NULL) != cases[i].ok)
			fail_msg("case %zu %s: expected %s, jansson %s, ours %s", i, t,
				 cases[i].ok ? "accepted" : "refused",
				 a ? "accepts" : e1.text, b ? "accepts" : e2.text);
		if (a != NULL)
			assert_true(json_equal(a, b));
		else
			assert_true(e2.line >= 1 && e2.position >= 0 && e2.text[0]);
		json_decref(a);
		json_decref(b);
	}
	/* Deep nesting: 2048 levels are read, 2049 are not (as jansson). */
	for (int depth = 2048; depth <= 2049; depth++) {
		char *t = malloc(2 * (size_t)depth + 1);
		json_error_t e;
		json_t *v;
		memset(t, '[', (size_t)depth);
		memset(t + depth, ']', (size_t)depth);
		v = tx_json_load(t, 2 * (size_t)depth, 0, &e);
		assert_int_equal(v != NULL, depth == 2048);
		json_decref(v);
		free(t);
	}
	/* Scalars count as a level too: 2047 lists around a number are read,
	 * 2048 are not (as jansson). */
	for (int depth = 2047; depth <= 2048; depth++) {
		char *t = malloc(2 * (size_t)depth + 2);
		json_error_t e1, e2;
		json_t *a, *b;
		memset(t, '[', (size_t)depth);
		t[depth] = '1';
		memset(t + depth + 1, ']', (size_t)depth);
		a = json_loadb(t, 2 * (size_t)depth + 1, 0, &e1);
		b = tx_json_load(t, 2 * (size_t)depth + 1, 0, &e2);
		assert_int_equal(a != NULL, depth == 2047);
		assert_int_equal(b != NULL, depth == 2047);
		if (b == NULL)
			assert_int_equal(json_error_code(&e2),
					 json_error_stack_overflow);
		json_decref(a);
		json_decref(b);
		free(t);
	}
	/* A word is all its letters, also where nothing has to follow. */
	json_error_t ew;
	assert_null(tx_json_load("truex", 5, JSON_DECODE_ANY |
				 JSON_DISABLE_EOF_CHECK, &ew));
	json_t *w = tx_json_load("true,", 5, JSON_DECODE_ANY |
				 JSON_DISABLE_EOF_CHECK, &ew);
	assert_true(json_is_true(w));
	assert_int_equal(ew.position, 4);
	/* Error codes as jansson's. */
	assert_null(tx_json_load("{\"a\":1,\"a\":2}", 13, JSON_REJECT_DUPLICATES,
				 &ew));
	assert_int_equal(json_error_code(&ew), json_error_duplicate_key);
	assert_null(tx_json_load("[1", 2, 0, &ew));
	assert_int_equal(json_error_code(&ew), json_error_premature_end_of_input);
	/* A control character is placed where it is (a newline in a string
	 * is on the line the string began). */
	assert_null(tx_json_load("[\"a\nb\"]", 7, 0, &ew));
	assert_int_equal(ew.line, 1);
	assert_int_equal(ew.column, 3);
	/* Where an error is: the line and column (in characters) of the end
	 * of the offending token. */
	json_error_t e;
	const char *two_lines = "{\n  \"\xc3\xa9\": 1,\n  \"b\" 2}";
	assert_null(tx_json_load(two_lines, strlen(two_lines), 0, &e));
	assert_int_equal(e.line, 3);
	assert_int_equal(e.column, 7);
	/* Key order is kept, and the length given is all that is read. */
	json_t *v = tx_json_load("{\"b\":1,\"a\":2}xyz", 13, 0, &e);
	assert_non_null(v);
	assert_string_equal(json_object_iter_key(json_object_iter(v)), "b");
	json_decref(v);
}

/* tx_read_file: a file as long as the cap is read whole, one byte more is
 * "file too large"; an empty file is empty; a pipe is read to its end. */
static void test_read_file(void **state)
{
	char path[] = "/tmp/trilex-read-XXXXXX";
	struct tx_error err = { 0 };
	size_t size = 200000, len = 0;
	char *data = malloc(size), *back = NULL;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0 && data != NULL);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)('a' + i % 26);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);
	assert_int_equal(tx_read_file(path, size, &back, &len, &err), TX_OK);
	assert_int_equal(len, size);
	assert_memory_equal(back, data, size);
	assert_int_equal(back[len], '\0');
	free(back);
	back = NULL;
	assert_int_equal(tx_read_file(path, size - 1, &back, &len, &err),
			 TX_ERR_TOOBIG);
	assert_non_null(strstr(err.msg, "file too large"));
	assert_null(back);
	/* a pipe: no size known in advance */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "cat %s", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	int saved = dup(0);
	assert_int_equal(dup2(fileno(p), 0), 0);
	clearerr(stdin);
	assert_int_equal(tx_read_file("-", size, &back, &len, &err), TX_OK);
	assert_int_equal(len, size);
	assert_memory_equal(back, data, size);
	free(back);
	back = NULL;
	dup2(saved, 0);
	close(saved);
	pclose(p);
	/* empty */
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(tx_read_file(path, size, &back, &len, &err), TX_OK);
	assert_int_equal(len, 0);
	free(back);
	unlink(path);
	free(data);
}

/* Count the lines of text that contain needle. */
static int count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Repeated lines of one kind are capped per interval and the rest told in
 * one "suppressed" line; other kinds are not held back by them. */
static void test_log_repeat(void **state)
{
	char path[] = "/tmp/trilex-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *text = NULL;
	size_t len = 0;
	struct tx_error err = { 0 };

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	tx_log_set_repeat(5, 3600);
	for (int i = 0; i < 1000; i++)
		tx_log(TX_LOG_WARN, "refused objects[%d]: bad", i);
	tx_log(TX_LOG_INFO, "another kind %d", 1);
	tx_log(TX_LOG_INFO, "another kind %d", 2);
	tx_log_flush();
	/* a new interval (1 s) starts the count again */
	tx_log_set_repeat(2, 1);
	for (int i = 0; i < 3; i++)
		tx_log(TX_LOG_WARN, "second run %d", i);
	sleep(1);
	tx_log(TX_LOG_WARN, "second run %d", 9);
	tx_log_flush();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	tx_log_set_repeat(10, 60);
	assert_int_equal(tx_read_file(path, 1 << 20, &text, &len, &err), TX_OK);
	unlink(path);
	assert_int_equal(count_lines(text, "]: bad\n"), 5);
	assert_non_null(strstr(text, "refused objects[4]: bad"));
	assert_null(strstr(text, "refused objects[5]: bad"));
	assert_int_equal(count_lines(text, "995 similar lines suppressed"), 1);
	assert_int_equal(count_lines(text, "another kind"), 2);
	/* 2 of the first interval (1 suppressed), then 1 of the next */
	assert_int_equal(count_lines(text, "second run %d"), 1);
	assert_int_equal(count_lines(text, "second run "), 3 + 1);
	assert_non_null(strstr(text, "second run 9"));
	assert_int_equal(count_lines(text, "1 similar lines suppressed"), 1);
	assert_int_equal(count_lines(text, "\n"), 5 + 1 + 2 + 3 + 1);
	free(text);
}

/* Outside text in log lines: escaped, cut to fit; tx_log keeps a line
 * one line of printable ASCII whatever its arguments hold. */
static void test_log_escape(void **state)
{
	char out[64], path[] = "/tmp/trilex-log-XXXXXX", text[256];
	const char *evil = "a\nb\r\x1b[31m\"q\"\\\x9b\x7f\xc3\xa9";
	int fd, saved;
	FILE *f;
	size_t n;

	assert_string_equal(tx_log_escape(evil, strlen(evil), out, sizeof(out)),
			    "a\\nb\\r\\x1b[31m\\\"q\\\"\\\\\\x9b\\x7f\\xc3\\xa9");
	assert_string_equal(tx_log_escape("plain", 5, out, sizeof(out)), "plain");
	/* Cut: what fits, then "..." */
	assert_string_equal(tx_log_escape("abcdefghij", 10, out, 8), "abcd...");
	assert_string_equal(tx_log_escape("abcdefg", 7, out, 8), "abcdefg");
	assert_string_equal(tx_log_escape("\n\n\n\n", 4, out, 8), "\\n\\n...");
	/* A NUL inside len is escaped too. */
	assert_string_equal(tx_log_escape("a\0b", 3, out, sizeof(out)), "a\\x00b");

	/* tx_log itself: stderr into a file for one call. */
	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	tx_log(TX_LOG_WARN, "user \"%s\" said %s", "x\ny", "\x1b[2J\r\x9b");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_non_null(f = fdopen(fd, "r"));
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	unlink(path);
	assert_non_null(strstr(text, "warn user \"x\\ny\" said \\x1b[2J\\r\\x9b\n"));
	assert_int_equal(strchr(text, '\n') - text, (long)n - 1); /* one line */
}

/* In a child: after tx_sandbox_restrict with one folder, a file outside
 * it cannot be opened, one inside can be made, written and read. */
static void test_sandbox(void **state)
{
	char dir[] = "/tmp/trilex-sandbox-XXXXXX", inside[64], cmd[80];
	const char *outside = access("/etc/hostname", R_OK) == 0 ?
			      "/etc/hostname" : "/etc/passwd";
	int status = 0;
	pid_t pid;

	if (!tx_sandbox_available()) {
		print_message("Landlock is not available in this kernel: skipped\n");
		skip();
	}
	assert_int_equal(access(outside, R_OK), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(inside, sizeof(inside), "%s/file", dir);
	if ((pid = fork()) == 0) {
		struct tx_sandbox_path paths[] = { { dir, 1 }, { "/nonexistent", 0 } };
		struct tx_error err = { 0 };
		int fd;
		if (tx_sandbox_restrict(paths, 2, &err) != TX_OK)
			_exit(10);
		if ((fd = open(outside, O_RDONLY)) >= 0 || errno != EACCES)
			_exit(11);
		if ((fd = open("/tmp", O_RDONLY | O_DIRECTORY)) >= 0)
			_exit(12);
		if ((fd = open(inside, O_WRONLY | O_CREAT, 0600)) < 0 ||
		    write(fd, "x", 1) != 1)
			_exit(13);
		close(fd);
		if ((fd = open(inside, O_RDONLY)) < 0)
			_exit(14);
		close(fd);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("sandboxed child failed at step %d", WEXITSTATUS(status));
	/* The parent is not limited. */
	assert_int_equal(access(outside, R_OK), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_sha1),
		cmocka_unit_test(test_uuid5),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_htab),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_party_valid),
		cmocka_unit_test(test_strfmt),
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_json_spans),
		cmocka_unit_test(test_json_load),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_log_repeat),
		cmocka_unit_test(test_log_escape),
		cmocka_unit_test(test_sandbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
