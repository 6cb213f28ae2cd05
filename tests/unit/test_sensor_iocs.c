/*
 * Unit tests of sensor/iocs.c: the values found in lines of plain lists,
 * CSV and prose, the defanged forms, what is not taken for an IOC, and
 * the patterns made of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/pattern.h"
#include "sensor/sensor.h"

struct found {
	char text[2048];
};

static int collect(void *ctx, const struct sensor_ioc *ioc)
{
	struct found *f = ctx;
	size_t n = strlen(f->text);

	snprintf(f->text + n, sizeof(f->text) - n, "%s%s=%.*s%s", n ? " " : "",
		 sensor_ioc_type_name(ioc->type), (int)ioc->len, ioc->value,
		 ioc->defanged ? "!" : "");
	return 0;
}

/* "type=value" of each value found ("!" after a defanged one). */
static const char *scan(const char *line)
{
	static struct found f;
	size_t n = 0;

	f.text[0] = '\0';
	assert_int_equal(sensor_iocs_scan(line, strlen(line), collect, &f, &n), TX_OK);
	return f.text;
}

static void test_plain_values(void **state)
{
	assert_string_equal(scan("198.51.100.7"), "ipv4-addr=198.51.100.7");
	assert_string_equal(scan("203.0.113.0/24"), "ipv4-net=203.0.113.0/24");
	assert_string_equal(scan("2001:DB8::dead"), "ipv6-addr=2001:DB8::dead");
	assert_string_equal(scan("2001:db8::/32"), "ipv6-net=2001:db8::/32");
	assert_string_equal(scan("Evil.Example.NET"), "domain-name=evil.example.net");
	assert_string_equal(scan("http://Evil.Example.net/Path?A=B"),
			    "url=http://evil.example.net/Path?A=B");
	assert_string_equal(scan("bad@Evil.example.net"), "email-addr=bad@evil.example.net");
	assert_string_equal(scan("D41D8CD98F00B204E9800998ECF8427E"),
			    "md5=d41d8cd98f00b204e9800998ecf8427e");
	assert_string_equal(scan("da39a3ee5e6b4b0d3255bfef95601890afd80709"),
			    "sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_string_equal(scan("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
			    "sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(scan("cve-2024-3400"), "cve=CVE-2024-3400");
	assert_string_equal(scan("T1566.001 t1190"), "attack-pattern=T1566.001 attack-pattern=T1190");
}

static void test_defanged(void **state)
{
	assert_string_equal(scan("hxxp://evil[.]example[.]net/a"),
			    "url=http://evil.example.net/a!");
	assert_string_equal(scan("hxxps[:]//x(.)example{.}org/p"), "url=https://x.example.org/p!");
	assert_string_equal(scan("1.2.3[.]4"), "ipv4-addr=1.2.3.4!");
	assert_string_equal(scan("example[.]com"), "domain-name=example.com!");
	assert_string_equal(scan("user[@]example[dot]com"), "email-addr=user@example.com!");
	assert_string_equal(scan("a(at)b(dot)example"), "email-addr=a@b.example!");
	assert_string_equal(scan("HXXP://UPPER[.]EXAMPLE/X"), "url=http://upper.example/X!");
}

static void test_prose_and_csv(void **state)
{
	assert_string_equal(scan("C2 at 198.51.100.23:443, then evil.example.net."),
			    "ipv4-addr=198.51.100.23 domain-name=evil.example.net");
	assert_string_equal(scan("See (http://a.example/x), \"b.example\"; and <c.example>!"),
			    "url=http://a.example/x domain-name=b.example domain-name=c.example");
	assert_string_equal(scan("domain,bad.example.org,\"2024-01-01\""),
			    "domain-name=bad.example.org");
	assert_string_equal(scan("ip|10.0.0.1|port|80"), "ipv4-addr=10.0.0.1");
	/* a URL's dots and names are not taken again as domains */
	assert_string_equal(scan("https://x.example/y.example"), "url=https://x.example/y.example");
}

static void test_not_iocs(void **state)
{
	static const char *const none[] = {
		"dropper.exe report.pdf invoice.docx run.ps1 setup.sh",
		"version 1.2.3 at 12:30 on 2024-01-02",
		"e.g. i.e. etc.", "::", "T12345 T123 CVE-24-1 CVE-2024-12",
		"0123456789abcdef0123456789abcde", /* 31 hex digits */
		"http:// https:///x", "a..b.example", "-bad.example", "just some words",
		"999.1.1.1", "10.0.0.0/33",
		/* a prefix longer than a buffer of the scanner (found by
		 * fuzz_iocs: it was copied before its length was checked) */
		"10.0.0.0/0000000000000000000000000000000000000000000000000000000000000000000000000024",
		"2001:db8::/0000000000000000000000000000000000000000000000000000000000000000000000000064",
	};

	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (strcmp(scan(none[i]), "") != 0)
			fail_msg("\"%s\" gave %s", none[i], scan(none[i]));
}

static void test_patterns(void **state)
{
	static const struct {
		enum sensor_ioc_type t;
		const char *v, *want;
	} k[] = {
		{ SENSOR_IOC_IPV4, "1.2.3.4", "[ipv4-addr:value = '1.2.3.4']" },
		{ SENSOR_IOC_NET6, "2001:db8::/32", "[ipv6-addr:value = '2001:db8::/32']" },
		{ SENSOR_IOC_URL, "http://x.example/a'b\\c", "[url:value = 'http://x.example/a\\'b\\\\c']" },
		{ SENSOR_IOC_SHA256, "ab", "[file:hashes.'SHA-256' = 'ab']" },
		{ SENSOR_IOC_SHA1, "ab", "[file:hashes.'SHA-1' = 'ab']" },
		{ SENSOR_IOC_MD5, "ab", "[file:hashes.MD5 = 'ab']" },
		{ SENSOR_IOC_EMAIL, "a@b.example", "[email-addr:value = 'a@b.example']" },
	};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct sensor_ioc ioc = { k[i].t, k[i].v, strlen(k[i].v), 0 };
		struct tx_buf b;
		struct tx_error err;
		tx_buf_init(&b, 0);
		assert_int_equal(sensor_ioc_pattern(&ioc, &b), TX_OK);
		assert_string_equal(b.data, k[i].want);
		/* and every one is a valid STIX pattern */
		assert_int_equal(pattern_validate(b.data, b.len, &err), TX_OK);
		tx_buf_free(&b);
	}
	struct sensor_ioc cve = { SENSOR_IOC_CVE, "CVE-2024-1", 10, 0 };
	struct tx_buf b;
	tx_buf_init(&b, 0);
	assert_int_equal(sensor_ioc_pattern(&cve, &b), TX_ERR_INVALID);
	tx_buf_free(&b);
}

/* A line longer than the scanner's stack buffer. */
static void test_long_line(void **state)
{
	size_t n = 100000;
	char *line = malloc(n + 64);
	size_t found = 0;
	struct found f = { "" };

	assert_non_null(line);
	memset(line, 'a', n);
	memcpy(line + n, " 192.0.2.1 ", 12);
	assert_int_equal(sensor_iocs_scan(line, strlen(line), collect, &f, &found), TX_OK);
	assert_int_equal(found, 1);
	assert_string_equal(f.text, "ipv4-addr=192.0.2.1");
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_values),
		cmocka_unit_test(test_defanged),
		cmocka_unit_test(test_prose_and_csv),
		cmocka_unit_test(test_not_iocs),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_long_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
