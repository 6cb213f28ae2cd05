/*
 * Unit tests of stix_canonicalize (RFC 8785, JSON Canonicalization
 * Scheme): the RFC's own examples (member sorting by UTF-16 code units,
 * the main example of section 3.2.3, the number table of appendix B),
 * integers past 2^53, string escapes, nesting and the depth cap, that
 * key order never matters, refusal of invalid UTF-8 with the path of the
 * value, and (outside sanitizer builds) that every allocation failure is
 * reported as TX_ERR_NOMEM without a leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"

#include "failalloc.h"

/* ---- helpers ---- */

/* Canonical text of the JSON text in; fails the test when in does not
 * parse or canonicalisation fails. Caller frees. */
static char *canon_text(const char *in)
{
	json_error_t jerr;
	struct tx_error err;
	json_t *v;
	char *out = NULL;
	size_t len = 0;
	tx_err rc;

	v = json_loads(in, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (v == NULL)
		fail_msg("parse %s: %s", in, jerr.text);
	rc = stix_canonicalize(v, &out, &len, &err);
	if (rc != TX_OK)
		fail_msg("canonicalize %s: %s", in, err.msg);
	json_decref(v);
	assert_int_equal(strlen(out), len);
	return out;
}

static void text_is(const char *in, const char *want)
{
	char *got = canon_text(in);

	assert_string_equal(got, want);
	free(got);
}

/* Canonicalize v (taking its reference) and compare. */
static void canon_is(json_t *v, const char *want)
{
	struct tx_error err;
	char *out = NULL;
	size_t len = 0;

	assert_non_null(v);
	if (stix_canonicalize(v, &out, &len, &err) != TX_OK)
		fail_msg("canonicalize: %s", err.msg);
	assert_string_equal(out, want);
	assert_int_equal(strlen(want), len);
	free(out);
	json_decref(v);
}

/* Expect TX_ERR_INVALID with message msg (when not NULL); takes v. */
static void refused(json_t *v, const char *msg)
{
	struct tx_error err;
	char *out = (char *)"untouched";
	size_t len = 99;

	assert_non_null(v);
	assert_int_equal(stix_canonicalize(v, &out, &len, &err), TX_ERR_INVALID);
	assert_int_equal(err.code, TX_ERR_INVALID);
	assert_null(out);
	assert_int_equal(len, 0);
	if (msg != NULL)
		assert_string_equal(err.msg, msg);
	json_decref(v);
}

static json_t *real_from_bits(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof(d));
	return json_real(d);
}

/* ---- RFC 8785 examples ---- */

/* Section 3.2.3: sorting by UTF-16 code units. Sorting by UTF-8 bytes
 * would put U+1F600 (F0 ..) after U+FB33 (EF ..); as UTF-16 it is
 * D83D DE00, before FB33. */
static void test_rfc_sorting(void **state)
{
	text_is(
		"{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\","
		" \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\", \"1\": \"One\","
		" \"\\ud83d\\ude00\": \"Emoji: Grinning Face\","
		" \"\\u0080\": \"Control\","
		" \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}",
		"{\"\\r\":\"Carriage Return\",\"1\":\"One\","
		"\"\xc2\x80\":\"Control\","
		"\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		"\"\xe2\x82\xac\":\"Euro Sign\","
		"\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		"\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/* Section 3.2.2 / 3.2.3: the main example. */
static void test_rfc_main_example(void **state)
{
	text_is(
		"{\n  \"numbers\": [333333333.33333329, 1E30, 4.50,\n"
		"                2e-3, 0.000000000000000000000000001],\n"
		"  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022"
		"\\u005c\\\\\\\"\\/\",\n"
		"  \"literals\": [null, true, false]\n}",
		"{\"literals\":[null,true,false],"
		"\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
		"\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

/* Appendix B: IEEE 754 bit patterns and their JCS text. */
static void test_rfc_number_table(void **state)
{
	static const struct {
		uint64_t bits;
		const char *want;
	} t[] = {
		{ 0x0000000000000000ULL, "0" },
		{ 0x8000000000000000ULL, "0" }, /* minus zero */
		{ 0x0000000000000001ULL, "5e-324" },
		{ 0x8000000000000001ULL, "-5e-324" },
		{ 0x7fefffffffffffffULL, "1.7976931348623157e+308" },
		{ 0xffefffffffffffffULL, "-1.7976931348623157e+308" },
		{ 0x4340000000000000ULL, "9007199254740992" },
		{ 0xc340000000000000ULL, "-9007199254740992" },
		{ 0x4430000000000000ULL, "295147905179352830000" },
		{ 0x44b52d02c7e14af5ULL, "9.999999999999997e+22" },
		{ 0x44b52d02c7e14af6ULL, "1e+23" },
		{ 0x44b52d02c7e14af7ULL, "1.0000000000000001e+23" },
		{ 0x444b1ae4d6e2ef4eULL, "999999999999999700000" },
		{ 0x444b1ae4d6e2ef4fULL, "999999999999999900000" },
		{ 0x444b1ae4d6e2ef50ULL, "1e+21" },
		{ 0x3eb0c6f7a0b5ed8cULL, "9.999999999999997e-7" },
		{ 0x3eb0c6f7a0b5ed8dULL, "0.000001" },
		{ 0x41b3de4355555553ULL, "333333333.3333332" },
		{ 0x41b3de4355555554ULL, "333333333.33333325" },
		{ 0x41b3de4355555555ULL, "333333333.3333333" },
		{ 0x41b3de4355555556ULL, "333333333.3333334" },
		{ 0x41b3de4355555557ULL, "333333333.33333343" },
		{ 0xbecbf647612f3696ULL, "-0.0000033333333333333333" },
		{ 0x43143ff3c1cb0959ULL, "1424953923781206.2" },
		/* Powers of two, where the digits correctly rounded to k places
		 * miss but the k-digit decimal on the other side reads back. */
		{ 0x0060000000000000ULL, "7.120236347223045e-307" },
		{ 0x0100000000000000ULL, "7.291122019556398e-304" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		canon_is(real_from_bits(t[i].bits), t[i].want);
}

/* The values the brief lists, written as JSON text (reals in jansson). */
static void test_number_layout(void **state)
{
	static const struct {
		double x;
		const char *want;
	} t[] = {
		{ 0.0, "0" },
		{ -0.0, "0" },
		{ 1e-7, "1e-7" },
		{ -1e-7, "-1e-7" },
		{ 1.5e-7, "1.5e-7" },
		{ 1e-6, "0.000001" },
		{ 1e21, "1e+21" },
		{ 1.5e21, "1.5e+21" },
		{ 1e20, "100000000000000000000" },
		{ 123456789012345680000.0, "123456789012345680000" },
		{ 333333333.3333333, "333333333.3333333" },
		{ 4.5, "4.5" },
		{ 4.0, "4" },
		{ 1.5, "1.5" },
		{ 0.002, "0.002" },
		{ 0.1, "0.1" },
		{ 100.0, "100" },
		{ 9007199254740991.0, "9007199254740991" },
		{ 5e-324, "5e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 1e300, "1e+300" },
		{ 1.2345e-300, "1.2345e-300" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		canon_is(json_real(t[i].x), t[i].want);
	/* Through the parser: 1E30 and 2e-3 are reals, -0 an integer. */
	text_is("[1E30, 2e-3, -0, -0.0, 1e-7, 1e21, 0.000001]",
		     "[1e+30,0.002,0,0,1e-7,1e+21,0.000001]");
}

/* jansson integers: exact within 2^53, else the nearest double. */
static void test_integers(void **state)
{
	canon_is(json_integer(0), "0");
	canon_is(json_integer(-1), "-1");
	canon_is(json_integer(9007199254740991LL), "9007199254740991");
	canon_is(json_integer(9007199254740992LL), "9007199254740992");
	canon_is(json_integer(-9007199254740992LL), "-9007199254740992");
	/* 2^53 + 1 is not a double: ties to even, 2^53. */
	canon_is(json_integer(9007199254740993LL), "9007199254740992");
	canon_is(json_integer(-9007199254740993LL), "-9007199254740992");
	canon_is(json_integer(9007199254740995LL), "9007199254740996");
	canon_is(json_integer(INT64_MAX), "9223372036854776000");
	canon_is(json_integer(INT64_MIN), "-9223372036854776000");
	canon_is(json_integer(1000000000000000000LL), "1000000000000000000");
}

/* NaN and infinities cannot come from the parser, and jansson refuses to
 * make reals of them; when a build of jansson does, JCS refuses them. */
static void test_nonfinite(void **state)
{
	const double bad[] = { NAN, INFINITY, -INFINITY };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *v = json_real(bad[i]);
		if (v != NULL)
			refused(v, "NaN or infinite number");
	}
}

/* Section 3.2.2.2: only '"', '\\' and controls are escaped. */
static void test_strings(void **state)
{
	text_is("\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u000e\\u001f\"",
		     "\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u000e\\u001f\"");
	text_is("\"\\u0020\\u007f\\/<>&'\\u2028\\u2029\"",
		     "\" \x7f/<>&'\xe2\x80\xa8\xe2\x80\xa9\"");
	text_is("\"\\\"\\\\\"", "\"\\\"\\\\\"");
	text_is("\"\\u00e9\\uD834\\uDD1E\"", "\"\xc3\xa9\xf0\x9d\x84\x9e\"");
	text_is("\"\"", "\"\"");
	/* A NUL inside a string is written, not cut at. */
	canon_is(json_stringn("a\0b", 3), "\"a\\u0000b\"");
	/* So is one inside a member name. */
	json_t *o = json_object();
	assert_int_equal(json_object_setn_new(o, "k\0z", 3, json_true()), 0);
	assert_int_equal(json_object_set_new(o, "k", json_false()), 0);
	canon_is(o, "{\"k\":false,\"k\\u0000z\":true}");
	text_is("[true,false,null]", "[true,false,null]");
	text_is("null", "null");
}

static void test_nested(void **state)
{
	text_is("{ \"b\" : [ 1 , { \"z\" : {}, \"a\" : [] } , [ [ ] ] ],"
		     "  \"a\" : { \"y\" : { \"c\" : 2.50, \"b\" : null } } }",
		     "{\"a\":{\"y\":{\"b\":null,\"c\":2.5}},"
		     "\"b\":[1,{\"a\":[],\"z\":{}},[[]]]}");
	text_is("{}", "{}");
	text_is("[]", "[]");
	/* A prefix sorts first; upper case before lower (code units). */
	text_is("{\"ab\":1,\"a\":2,\"B\":3,\"\":4}",
		     "{\"\":4,\"B\":3,\"a\":2,\"ab\":1}");
	/* U+FFFF sorts after a surrogate pair, U+D7FF before it. */
	text_is("{\"\\uffff\":1,\"\\ud800\\udc00\":2,\"\\ud7ff\":3}",
		     "{\"\xed\x9f\xbf\":3,\"\xf0\x90\x80\x80\":2,"
		     "\"\xef\xbf\xbf\":1}");
}

/* The same STIX object, members in any order, has one canonical form. */
static void test_key_order(void **state)
{
	static const char *const forms[] = {
		"{\"type\":\"indicator\",\"spec_version\":\"2.1\","
		"\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
		"\"created\":\"2016-04-06T20:03:48.000Z\","
		"\"modified\":\"2016-04-06T20:03:48.000Z\","
		"\"indicator_types\":[\"malicious-activity\"],"
		"\"name\":\"Poison Ivy Malware\","
		"\"pattern\":\"[file:hashes.'SHA-256' = 'ef53']\","
		"\"pattern_type\":\"stix\","
		"\"valid_from\":\"2016-01-01T00:00:00Z\","
		"\"x_score\":{\"value\":87.50,\"max\":100,\"\\u00e9\":true}}",

		"{\"x_score\":{\"\\u00e9\":true,\"max\":100,\"value\":8.75e1},"
		"\"valid_from\":\"2016-01-01T00:00:00Z\","
		"\"pattern_type\":\"stix\","
		"\"pattern\":\"[file:hashes.'SHA-256' = 'ef53']\","
		"\"name\":\"Poison Ivy Malware\","
		"\"modified\":\"2016-04-06T20:03:48.000Z\","
		"\"indicator_types\":[\"malicious-activity\"],"
		"\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
		"\"created\":\"2016-04-06T20:03:48.000Z\","
		"\"spec_version\":\"2.1\",\"type\":\"indicator\"}",

		"  {\n  \"name\" : \"Poison Ivy Malware\",\n"
		"  \"type\" : \"indicator\",\n"
		"  \"x_score\" : { \"max\" : 100, \"value\" : 875e-1,"
		" \"\xc3\xa9\" : true },\n"
		"  \"id\" : \"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\",\n"
		"  \"pattern_type\" : \"stix\", \"spec_version\" : \"2.1\",\n"
		"  \"created\" : \"2016-04-06T20:03:48.000Z\",\n"
		"  \"valid_from\" : \"2016-01-01T00:00:00Z\",\n"
		"  \"indicator_types\" : [ \"malicious-activity\" ],\n"
		"  \"modified\" : \"2016-04-06T20:03:48.000Z\",\n"
		"  \"pattern\" : \"[file:hashes.'SHA-256' = 'ef53']\" }\n",
	};
	const char *want =
		"{\"created\":\"2016-04-06T20:03:48.000Z\","
		"\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
		"\"indicator_types\":[\"malicious-activity\"],"
		"\"modified\":\"2016-04-06T20:03:48.000Z\","
		"\"name\":\"Poison Ivy Malware\","
		"\"pattern\":\"[file:hashes.'SHA-256' = 'ef53']\","
		"\"pattern_type\":\"stix\",\"spec_version\":\"2.1\","
		"\"type\":\"indicator\","
		"\"valid_from\":\"2016-01-01T00:00:00Z\","
		"\"x_score\":{\"max\":100,\"value\":87.5,\"\xc3\xa9\":true}}";

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		text_is(forms[i], want);
}

/* Strings and names that are not UTF-8 are refused, with their path. */
static void test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\xff", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", /* overlong */
		"\xed\xa0\x80", "\xed\xbf\xbf",                 /* surrogates */
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80",         /* > U+10FFFF */
		"\x80", "a\xbf", "\xc3", "\xe2\x82", "\xf0\x9f\x98", /* cut */
		"\xc3\x28", "\xe2\x28\xa1", "\xf0\x28\x8c\xbc",
		/* after runs of ASCII read eight bytes at a time */
		"abcdefgh\xff", "abcdefghijklmnop\xc3", "abcdefg\xe2\x82",
		"abcdefgh\xc3\xa9ijklmnop\xed\xa0\x80",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]);
		json_t *o;

		refused(json_stringn_nocheck(bad[i], n), "invalid UTF-8");
		o = json_object();
		assert_int_equal(json_object_setn_new_nocheck(o, bad[i], n,
							      json_null()), 0);
		refused(o, NULL);
	}
	/* The largest and smallest of each length are fine. */
	canon_is(json_stringn("\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"
				  "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 19),
		     "\"\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"
		     "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");

	/* The message names the value. */
	json_t *v = json_pack("{s:[i,{s:o}]}", "objects", 0, "name",
			      json_stringn_nocheck("x\xff", 2));
	refused(v, "objects[1].name: invalid UTF-8");
	v = json_pack("[i,{s:{}}]", 0, "a");
	json_object_setn_new_nocheck(json_object_get(json_array_get(v, 1), "a"),
				     "b\xff", 2, json_null());
	refused(v, "[1].a.b?: invalid UTF-8 in member name");
	v = json_array();
	json_array_append_new(v, json_stringn_nocheck("\xc3", 1));
	refused(v, "[0]: invalid UTF-8");
}

static json_t *nest(int levels)
{
	json_t *v = json_integer(1);

	for (int i = 0; i < levels; i++) {
		json_t *a = (i % 2) ? json_array() : json_object();
		if (json_is_array(a))
			json_array_append_new(a, v);
		else
			json_object_set_new(a, "k", v);
		v = a;
	}
	return v;
}

/* 512 nested containers are fine, 513 are not; nor is a cycle. */
static void test_depth(void **state)
{
	struct tx_error err;
	char *out;
	size_t len;
	json_t *v, *a, *b;

	v = nest(512);
	assert_int_equal(stix_canonicalize(v, &out, &len, &err), TX_OK);
	/* 256 of {"k":...} and 256 of [...] around the 1 */
	assert_int_equal(len, 256 * 6 + 256 * 2 + 1);
	free(out);
	json_decref(v);

	v = nest(513);
	assert_int_equal(stix_canonicalize(v, &out, &len, &err), TX_ERR_INVALID);
	assert_null(out);
	assert_non_null(strstr(err.msg, "nested deeper than 512 levels"));
	assert_true(strncmp(err.msg, "...", 3) == 0); /* the path was cut */
	json_decref(v);

	a = json_array();
	b = json_array();
	json_array_append(a, b);
	json_array_append(b, a);
	assert_int_equal(stix_canonicalize(a, &out, &len, &err), TX_ERR_INVALID);
	assert_null(out);
	json_array_clear(b); /* break the cycle so both can be freed */
	json_decref(a);
	json_decref(b);

	assert_int_equal(stix_canonicalize(NULL, &out, &len, &err),
			 TX_ERR_INVALID);
}

/* Every allocation of a call, made to fail in turn, gives TX_ERR_NOMEM,
 * no output and nothing left allocated. */
/* Leaving one member of "extensions" out is the canonical form of a copy
 * without it (and without "extensions" when it was the only member). */
static void test_omit_extension(void **state)
{
	const char *cases[][2] = {
		{ "{\"b\":1,\"extensions\":{\"x\":{\"s\":\"sig\"}},\"a\":[{\"extensions\":{\"x\":1}}]}",
		  "{\"a\":[{\"extensions\":{\"x\":1}}],\"b\":1}" },
		{ "{\"extensions\":{\"y\":{\"k\":2},\"x\":{}},\"id\":\"o\"}",
		  "{\"extensions\":{\"y\":{\"k\":2}},\"id\":\"o\"}" },
		{ "{\"extensions\":{},\"id\":\"o\"}", "{\"extensions\":{},\"id\":\"o\"}" },
		{ "{\"extensions\":{\"y\":1},\"id\":\"o\"}",
		  "{\"extensions\":{\"y\":1},\"id\":\"o\"}" },
		{ "{\"extensions\":\"x\",\"x\":1}", "{\"extensions\":\"x\",\"x\":1}" },
		{ "[{\"extensions\":{\"x\":1}}]", "[{\"extensions\":{\"x\":1}}]" },
	};
	struct tx_error err = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = json_loads(cases[i][0], 0, NULL);
		char *out = NULL;
		size_t len = 0;
		assert_non_null(v);
		assert_int_equal(stix_canonicalize_omit(v, "x", &out, &len, &err), TX_OK);
		assert_string_equal(out, cases[i][1]);
		assert_int_equal(len, strlen(cases[i][1]));
		free(out);
		json_decref(v);
	}
}

static void test_alloc_failure(void **state)
{
	struct tx_error err;
	json_t *v;
	char *out;
	size_t len;
	long n, n_allocs, live;
	tx_err rc;
	char big[4096];

	if (!failalloc_available())
		skip();
	/* Enough text that the output buffer grows more than once. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	v = json_pack("{s:[i,f,{s:s,s:s}],s:{s:[]},s:s}", "b", 1, 2.5, "z",
		      "\xc3\xa9", "y", "q", "a", "c", "d", big);
	assert_non_null(v);
	/* A dry run counts the allocations. None seen means the hooks are not
	 * in effect (under valgrind, say): nothing to test then. */
	failalloc_start(0);
	rc = stix_canonicalize(v, &out, &len, &err);
	n_allocs = failalloc_stop(NULL);
	assert_int_equal(rc, TX_OK);
	free(out);
	if (n_allocs == 0) {
		json_decref(v);
		skip();
	}
	assert_true(n_allocs > 3);
	for (n = 1; n <= n_allocs; n++) {
		failalloc_start(n);
		rc = stix_canonicalize(v, &out, &len, &err);
		failalloc_stop(&live);
		assert_int_equal(rc, TX_ERR_NOMEM);
		assert_int_equal(err.code, TX_ERR_NOMEM);
		assert_null(out);
		assert_int_equal(len, 0);
		assert_int_equal(live, 0);
	}
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_sorting),
		cmocka_unit_test(test_rfc_main_example),
		cmocka_unit_test(test_rfc_number_table),
		cmocka_unit_test(test_number_layout),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_nonfinite),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_omit_extension),
		cmocka_unit_test(test_alloc_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
