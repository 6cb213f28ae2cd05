/*
 * Unit tests of sensor/warn.c (warning lists: CIDRs by prefix, host names
 * by suffix, strings, substrings, regexes, matching_attributes, bad
 * entries and lists) and of pattern_equalities, which hands the lists the
 * values of a pattern. The 21 real lists of ../shared/data/warninglists
 * are checked when TRILEX_SHARED has them (skipped, saying so, when not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/pattern.h"
#include "sensor/sensor.h"

static sensor_warn *W;

static void add(const char *json, struct sensor_warn_info *info)
{
	struct tx_error err = { 0 };
	json_error_t jerr;
	json_t *l = json_loads(json, 0, &jerr);
	struct sensor_warn_info tmp;

	assert_non_null(l);
	if (sensor_warn_add(W, l, info ? info : &tmp, &err) != TX_OK)
		fail_msg("add: %s", err.msg);
	json_decref(l);
}

/* The names of the lists v hits, joined by "|" (a static buffer). */
static const char *hits(enum sensor_warn_kind kind, const char *v)
{
	static char out[1024];
	const char *names[16];
	size_t n = sensor_warn_check(W, kind, v, strlen(v), names, 16);

	out[0] = '\0';
	for (size_t i = 0; i < n && i < 16; i++) {
		if (i)
			strncat(out, "|", sizeof(out) - strlen(out) - 1);
		strncat(out, names[i], sizeof(out) - strlen(out) - 1);
	}
	return out;
}

static int setup(void **state)
{
	return sensor_warn_new(0, &W) == TX_OK ? 0 : -1;
}

static int teardown(void **state)
{
	sensor_warn_free(W);
	W = NULL;
	return 0;
}

static void test_cidr(void **state)
{
	add("{\"name\":\"private\",\"type\":\"cidr\",\"list\":[\"10.0.0.0/8\","
	    "\"192.168.0.0/16\",\"8.8.8.8\",\"fe80::/10\",\"2001:db8::1\"],"
	    "\"matching_attributes\":[\"ip-src\",\"ip-dst\"]}", NULL);
	assert_string_equal(hits(SENSOR_WARN_IP, "10.1.2.3"), "private");
	assert_string_equal(hits(SENSOR_WARN_IP, "10.0.0.0/16"), "private");
	assert_string_equal(hits(SENSOR_WARN_IP, "192.168.255.255"), "private");
	assert_string_equal(hits(SENSOR_WARN_IP, "8.8.8.8"), "private");
	assert_string_equal(hits(SENSOR_WARN_IP, "8.8.8.8/32"), "private");
	assert_string_equal(hits(SENSOR_WARN_IP, "::ffff:10.9.9.9"), "private");
	assert_string_equal(hits(SENSOR_WARN_IP, "fe80::1"), "private");
	assert_string_equal(hits(SENSOR_WARN_IP, "FEBF::1"), "private");
	assert_string_equal(hits(SENSOR_WARN_IP, "2001:db8:0:0::1"), "private");
	/* outside: a neighbour, a wider network, another address */
	assert_string_equal(hits(SENSOR_WARN_IP, "11.0.0.1"), "");
	assert_string_equal(hits(SENSOR_WARN_IP, "10.0.0.0/7"), "");
	assert_string_equal(hits(SENSOR_WARN_IP, "8.8.8.9"), "");
	assert_string_equal(hits(SENSOR_WARN_IP, "fec0::1"), "");
	assert_string_equal(hits(SENSOR_WARN_IP, "2001:db8::2"), "");
	assert_string_equal(hits(SENSOR_WARN_IP, "not an address"), "");
	/* an IP list says nothing about a domain */
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "10.1.2.3"), "");
	/* a URL's host is checked */
	add("{\"name\":\"ips for urls\",\"type\":\"cidr\",\"list\":[\"198.51.100.0/24\"],"
	    "\"matching_attributes\":[\"url\"]}", NULL);
	assert_string_equal(hits(SENSOR_WARN_URL, "http://198.51.100.7:8080/x"),
			    "ips for urls");
}

static void test_hostname(void **state)
{
	add("{\"name\":\"short\",\"type\":\"hostname\",\"list\":[\"bit.ly\",\".t.co.\"],"
	    "\"matching_attributes\":[\"domain\",\"hostname\",\"url\"]}", NULL);
	add("{\"name\":\"tlds\",\"type\":\"string\",\"list\":[\"COM\",\"co.uk\"],"
	    "\"matching_attributes\":[\"domain\"]}", NULL);
	add("{\"name\":\"goog\",\"type\":\"string\",\"list\":[\".google.com\"],"
	    "\"matching_attributes\":[\"domain\"]}", NULL);
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "bit.ly"), "short");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "x.y.BIT.ly."), "short");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "t.co"), "short");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "a.t.co"), "short");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "notbit.ly"), "");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "bit.ly.evil.net"), "");
	/* string entries are exact ... */
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "com"), "tlds");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "co.uk"), "tlds");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "example.com"), "");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "bbc.co.uk"), "");
	/* ... unless written with a leading dot */
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "mail.google.com"), "goog");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "google.com"), "goog");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "evilgoogle.com"), "");
	/* URLs by their host; e-mail addresses by their domain */
	assert_string_equal(hits(SENSOR_WARN_URL, "https://user@x.bit.ly:443/a?b"), "short");
	assert_string_equal(hits(SENSOR_WARN_URL, "https://example.net/bit.ly"), "");
	assert_string_equal(hits(SENSOR_WARN_EMAIL, "a@bit.ly"), "");  /* not for e-mail */
	/* both lists when both hold it */
	add("{\"name\":\"both\",\"type\":\"hostname\",\"list\":[\"ly\"]}", NULL);
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "x.bit.ly"), "short|both");
	assert_string_equal(hits(SENSOR_WARN_EMAIL, "a@bit.ly"), "both");
}

static void test_strings_substrings_regex(void **state)
{
	add("{\"name\":\"empty\",\"type\":\"string\",\"list\":"
	    "[\"D41D8CD98F00B204E9800998ECF8427E\"],\"matching_attributes\":[\"md5\"]}", NULL);
	add("{\"name\":\"sub\",\"type\":\"substring\",\"list\":[\"windowsupdate\"],"
	    "\"matching_attributes\":[\"hostname\"]}", NULL);
	add("{\"name\":\"re\",\"type\":\"regex\",\"list\":[\"^ns[0-9]+\\\\.\"],"
	    "\"matching_attributes\":[\"domain\"]}", NULL);
	assert_string_equal(hits(SENSOR_WARN_HASH, "d41d8cd98f00b204e9800998ecf8427e"), "empty");
	assert_string_equal(hits(SENSOR_WARN_HASH, "d41d8cd98f00b204e9800998ecf8427f"), "");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "d41d8cd98f00b204e9800998ecf8427e"), "");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "dl.WindowsUpdate.example"), "sub");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "ns12.example.org"), "re");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "xns12.example.org"), "");
	assert_int_equal(sensor_warn_count(W), 3);
	assert_int_equal(sensor_warn_entries(W), 3);
	/* a regex that backtracks without end gives up at the match limit:
	 * no hit, and the lookup returns */
	add("{\"name\":\"redos\",\"type\":\"regex\",\"list\":[\"^(a+)+$\"]}", NULL);
	char v[64];
	memset(v, 'a', 40);
	strcpy(v + 40, "!");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, v), "");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "aaaa"), "redos");
}

static void test_bad_input(void **state)
{
	struct sensor_warn_info info;
	struct tx_error err = { 0 };
	static const struct {
		const char *json, *msg;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ "{\"type\":\"cidr\",\"list\":[]}", "name: missing or not a string" },
		{ "{\"name\":\"x\",\"list\":[]}", "type: missing or not a string" },
		{ "{\"name\":\"x\",\"type\":\"glob\",\"list\":[]}", "type: \"glob\" is none of" },
		{ "{\"name\":\"x\",\"type\":\"cidr\"}", "list: missing or not an array" },
		{ "{\"name\":\"x\",\"type\":\"cidr\",\"list\":[],\"matching_attributes\":1}",
		  "matching_attributes: not an array" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *l = json_loads(bad[i].json, 0, NULL);
		assert_non_null(l);
		assert_int_equal(sensor_warn_add(W, l, &info, &err), TX_ERR_INVALID);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("%s: got \"%s\"", bad[i].json, err.msg);
		json_decref(l);
	}
	/* bad entries are left out and counted; the good ones are kept */
	add("{\"name\":\"mixed\",\"type\":\"cidr\",\"list\":[\"10.0.0.0/8\",\"10.0.0.0/33\","
	    "7,\"\",\"example.com\",\"192.0.2.1\"]}", &info);
	assert_int_equal(info.n_entries, 2);
	assert_int_equal(info.n_bad, 4);
	assert_string_equal(info.first_bad, "list[1]: not an IPv4 or IPv6 address or CIDR");
	assert_string_equal(hits(SENSOR_WARN_IP, "192.0.2.1"), "mixed");
	/* the same name twice */
	json_t *l = json_loads("{\"name\":\"mixed\",\"type\":\"cidr\",\"list\":[]}", 0, NULL);
	assert_int_equal(sensor_warn_add(W, l, &info, &err), TX_ERR_EXISTS);
	json_decref(l);
	/* a bad regex entry is left out, not the list */
	add("{\"name\":\"badre\",\"type\":\"regex\",\"list\":[\"(\",\"^a$\"]}", &info);
	assert_int_equal(info.n_entries, 1);
	assert_int_equal(info.n_bad, 1);
}

static void test_entry_cap(void **state)
{
	struct sensor_warn_info info;
	struct tx_error err = { 0 };
	sensor_warn *w = NULL;
	json_t *l = json_loads("{\"name\":\"x\",\"type\":\"string\",\"list\":"
			       "[\"a\",\"b\",\"c\"]}", 0, NULL);

	assert_int_equal(sensor_warn_new(2, &w), TX_OK);
	assert_int_equal(sensor_warn_add(w, l, &info, &err), TX_ERR_TOOBIG);
	assert_non_null(strstr(err.msg, "more than 2 entries"));
	sensor_warn_free(w);
	json_decref(l);
}

/* The STIX form reads back as the same list. */
static void test_stix_round_trip(void **state)
{
	struct sensor_warn_info info;
	struct tx_error err = { 0 };
	json_t *l = json_loads("{\"name\":\"List of RFC 1918 CIDR blocks\",\"type\":\"cidr\","
			       "\"version\":5,\"list\":[\"10.0.0.0/8\"],"
			       "\"matching_attributes\":[\"ip-dst\"]}", 0, NULL);
	json_t *o = sensor_warn_stix(l, "marking-definition--x", &err);
	json_t *o2 = sensor_warn_stix(l, NULL, &err);

	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "type")), SENSOR_WARN_STIX_TYPE);
	assert_string_equal(json_string_value(json_object_get(o, "id")),
			    json_string_value(json_object_get(o2, "id")));
	assert_string_equal(json_string_value(json_object_get(o, "modified")),
			    "1970-01-01T00:00:05.000Z");
	assert_int_equal(sensor_warn_add(W, o, &info, &err), TX_OK);
	assert_string_equal(info.type, "cidr");
	assert_string_equal(hits(SENSOR_WARN_IP, "10.2.3.4"), "List of RFC 1918 CIDR blocks");
	json_decref(o);
	json_decref(o2);
	json_decref(l);
}

/* The kind of each STIX path an export or a check meets. */
static void test_kind_of(void **state)
{
	static const struct {
		const char *path;
		enum sensor_warn_kind kind;
	} k[] = {
		{ "ipv4-addr:value", SENSOR_WARN_IP },
		{ "ipv6-addr:value", SENSOR_WARN_IP },
		{ "domain-name:value", SENSOR_WARN_DOMAIN },
		{ "url:value", SENSOR_WARN_URL },
		{ "email-addr:value", SENSOR_WARN_EMAIL },
		{ "file:hashes.MD5", SENSOR_WARN_HASH },
		{ "file:hashes.'SHA-256'", SENSOR_WARN_HASH },
		{ "file:name", SENSOR_WARN_NONE },
		{ "ipv4-addr:valuex", SENSOR_WARN_NONE },
	};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		assert_int_equal(sensor_warn_kind_of(k[i].path, strlen(k[i].path)), k[i].kind);
}

struct vals {
	char got[1024];
};

static int collect(void *ctx, const char *path, size_t path_len, const char *v,
		   size_t len)
{
	struct vals *c = ctx;
	size_t n = strlen(c->got);

	snprintf(c->got + n, sizeof(c->got) - n, "%s%.*s=%.*s", n ? " " : "",
		 (int)path_len, path, (int)len, v);
	return 0;
}

static void test_pattern_equalities(void **state)
{
	static const struct {
		const char *pattern, *want; /* want: the values, or "!" + reason */
	} k[] = {
		{ "[ipv4-addr:value = '1.2.3.4']", "ipv4-addr:value=1.2.3.4" },
		{ "[domain-name:value IN ('a.example', 'b.example')]",
		  "domain-name:value=a.example domain-name:value=b.example" },
		{ "[file:hashes.'SHA-256' = 'ab' OR file:hashes.MD5 = 'cd']",
		  "file:hashes.'SHA-256'=ab file:hashes.MD5=cd" },
		{ "[url:value = 'http://x/'] OR [ipv6-addr:value = '::1']",
		  "url:value=http://x/ ipv6-addr:value=::1" },
		{ "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '5.6.7.8']",
		  "!an AND of comparisons (all in one event)" },
		{ "[ipv4-addr:value != '1.2.3.4']", "!an operator other than = and IN" },
		{ "[domain-name:value LIKE '%.example']", "!an operator other than = and IN" },
		{ "[ipv4-addr:value NOT = '1.2.3.4']", "!a negated comparison" },
		{ "[a:x = 1]", "!a comparison with a value that is not a string" },
		{ "[a:x = 'y'] FOLLOWEDBY [a:x = 'z']", "!FOLLOWEDBY (a sequence of observations)" },
		{ "[a:x = 'y'] AND [a:x = 'z']", "!an AND of observations" },
		{ "[a:x = 'y'] REPEATS 2 TIMES", "!a qualifier (START/STOP, WITHIN, REPEATS)" },
	};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct tx_error err = { 0 };
		struct vals c = { "" };
		pattern *p = NULL;
		tx_err rc;

		if (pattern_parse(k[i].pattern, strlen(k[i].pattern), &p, &err) != TX_OK)
			fail_msg("%s: %s", k[i].pattern, err.msg);
		rc = pattern_equalities(p, collect, &c, &err);
		if (k[i].want[0] == '!') {
			assert_int_equal(rc, TX_ERR_INVALID);
			assert_string_equal(err.msg, k[i].want + 1);
		} else {
			assert_int_equal(rc, TX_OK);
			assert_string_equal(c.got, k[i].want);
		}
		pattern_free(p);
	}
}

/* The 21 lists MISP ships that ../shared/data/warninglists holds. */
static void test_real_lists(void **state)
{
	const char *shared = getenv("TRILEX_SHARED");
	char dir[PATH_MAX];
	struct dirent *e;
	size_t n_lists = 0;
	DIR *d;

	if (shared == NULL) {
		print_message("TRILEX_SHARED not set: the real warning lists are not checked\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/data/warninglists", shared);
	if ((d = opendir(dir)) == NULL) {
		print_message("%s is absent: the real warning lists are not checked\n", dir);
		skip();
	}
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX * 2], *text = NULL;
		size_t len = 0;
		struct sensor_warn_info info;
		struct tx_error err = { 0 };
		json_t *l;

		if (strstr(e->d_name, ".json") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_int_equal(tx_read_file(path, 64 << 20, &text, &len, &err), TX_OK);
		l = json_loadb(text, len, 0, NULL);
		free(text);
		assert_non_null(l);
		if (sensor_warn_add(W, l, &info, &err) != TX_OK)
			fail_msg("%s: %s", e->d_name, err.msg);
		assert_int_equal(info.n_bad, 0);
		json_decref(l);
		n_lists++;
	}
	closedir(d);
	assert_int_equal(n_lists, 21);
	assert_non_null(strstr(hits(SENSOR_WARN_IP, "8.8.8.8"), "public DNS resolvers"));
	assert_non_null(strstr(hits(SENSOR_WARN_IP, "2001:4860:4860::8888"),
			       "IPv6 public DNS resolvers"));
	assert_non_null(strstr(hits(SENSOR_WARN_IP, "192.168.10.1"), "RFC 1918"));
	assert_non_null(strstr(hits(SENSOR_WARN_IP, "224.0.0.251"), "multicast"));
	assert_non_null(strstr(hits(SENSOR_WARN_IP, "fe80::1"), "link local"));
	assert_non_null(strstr(hits(SENSOR_WARN_DOMAIN, "www.google.com"), "google"));
	assert_non_null(strstr(hits(SENSOR_WARN_DOMAIN, "x.bit.ly"), "URL Shorteners"));
	assert_non_null(strstr(hits(SENSOR_WARN_DOMAIN, "example.org"), "RFC 6761"));
	assert_non_null(strstr(hits(SENSOR_WARN_DOMAIN, "com"), "TLDs as known by IANA"));
	assert_non_null(strstr(hits(SENSOR_WARN_HASH,
				    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
			       "empty files"));
	/* what none of them holds */
	assert_string_equal(hits(SENSOR_WARN_IP, "203.0.114.9"), "");
	assert_string_equal(hits(SENSOR_WARN_DOMAIN, "c2.trilex-test.invalid-tld-x"), "");
	assert_string_equal(hits(SENSOR_WARN_HASH, "0123456789abcdef0123456789abcdef"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cidr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostname, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strings_substrings_regex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test(test_entry_cap),
		cmocka_unit_test_setup_teardown(test_stix_round_trip, setup, teardown),
		cmocka_unit_test(test_kind_of),
		cmocka_unit_test(test_pattern_equalities),
		cmocka_unit_test_setup_teardown(test_real_lists, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
