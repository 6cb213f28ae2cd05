/*
 * Unit tests of misp/: the attribute <-> pattern table both ways, the
 * escaping of ' and \, composite values, and the reader's ids and
 * markings without a node.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "misp/misp.h"

static void out_of(const char *pattern, const char *type, const char *value)
{
	const char *t;
	char *v;

	misp_attr_of_pattern(pattern, &t, &v);
	assert_non_null(v);
	assert_string_equal(t, type);
	assert_string_equal(v, value);
	free(v);
}

static void test_pattern_to_attribute(void **state)
{
	out_of("[ipv4-addr:value = '198.51.100.7']", "ip-dst", "198.51.100.7");
	out_of("[ipv6-addr:value = '2001:db8::1']", "ip-dst", "2001:db8::1");
	out_of("[network-traffic:src_ref.value = '192.0.2.1']", "ip-src", "192.0.2.1");
	out_of("[domain-name:value = 'evil.example']", "domain", "evil.example");
	out_of("[file:hashes.'SHA-256' = 'ab']", "sha256", "ab");
	out_of("[file:hashes.MD5 = 'cd']", "md5", "cd");
	out_of("[ file:name = 'it\\'s \\\\ x.exe' ]", "filename", "it's \\ x.exe");
	out_of("[file:hashes.MD5 = 'aa' AND file:name = 'x.exe']", "filename|md5",
	       "x.exe|aa");
	/* anything else travels whole */
	out_of("[ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '1.2.3.5']",
	       "stix2-pattern",
	       "[ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '1.2.3.5']");
	out_of("[ipv4-addr:value ISSUBSET '10.0.0.0/8']", "stix2-pattern",
	       "[ipv4-addr:value ISSUBSET '10.0.0.0/8']");
	out_of("[x-custom:value = 'a']", "stix2-pattern", "[x-custom:value = 'a']");
	out_of("[url:value = 'a'] REPEATS 2 TIMES", "stix2-pattern",
	       "[url:value = 'a'] REPEATS 2 TIMES");
	out_of("[url:value = 'unterminated]", "stix2-pattern",
	       "[url:value = 'unterminated]");
}

static void test_attribute_to_pattern(void **state)
{
	const char *why;
	char *p;

	p = misp_pattern_of_attr("ip-dst", "2001:db8::1", &why);
	assert_string_equal(p, "[ipv6-addr:value = '2001:db8::1']");
	free(p);
	p = misp_pattern_of_attr("hostname", "a.example", &why);
	assert_string_equal(p, "[domain-name:value = 'a.example']");
	free(p);
	p = misp_pattern_of_attr("filename", "it's\\x", &why);
	assert_string_equal(p, "[file:name = 'it\\'s\\\\x']");
	free(p);
	p = misp_pattern_of_attr("filename|sha1", "a.exe|ff", &why);
	assert_string_equal(p, "[file:name = 'a.exe' AND file:hashes.'SHA-1' = 'ff']");
	free(p);
	assert_null(misp_pattern_of_attr("filename|sha1", "a.exe", &why));
	assert_non_null(strstr(why, "a|b"));
	assert_null(misp_pattern_of_attr("malware-sample", "x", &why));
	assert_non_null(why);
	assert_null(misp_pattern_of_attr("domain", "", &why));
}

static json_t *find(json_t *objs, const char *id)
{
	json_t *o;
	size_t i;

	json_array_foreach(objs, i, o)
		if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
			return o;
	return NULL;
}

struct seen {
	int n;
	char last[256];
};

static void told(void *ctx, const char *event, const char *what, size_t index,
		 const char *type, const char *why)
{
	struct seen *s = ctx;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s %s[%zu] %s", event, what, index, type);
}

/* An unknown tlp: tag reads as RED; a tag-less event takes the default;
 * the same text gives the same objects twice. */
static void test_import_markings_and_ids(void **state)
{
	const char *text =
		"[{\"uuid\": \"0a0e4a8c-3b1f-4c2d-9e8f-7a6b5c4d3e2f\", \"info\": \"a\","
		" \"timestamp\": \"1700000000\", \"Tag\": [{\"name\": \"tlp:ex:chr\"}],"
		" \"Orgc\": {\"name\": \"O\", \"uuid\": \"1b1f5a9d-4c2e-4d3f-8a9b-0c1d2e3f4a5b\"},"
		" \"Attribute\": [{\"uuid\": \"2c2f6b0e-5d3f-4e4a-9b0c-1d2e3f4a5b6c\","
		" \"type\": \"md5\", \"value\": \"00\", \"to_ids\": \"1\"}]},"
		" {\"info\": \"b\", \"Attribute\": [{\"type\": \"url\", \"value\":"
		" \"http://b/\", \"to_ids\": true}, {\"type\": \"attachment\", \"value\":"
		" \"x\"}]}]";
	struct seen s = { 0 };
	struct misp_import_opts o = { .default_tlp = "green", .problem = told,
				      .ctx = &s };
	struct tx_error err = { 0 };
	json_t *a = json_array(), *b = json_array(), *x;

	assert_int_equal(misp_import_text(text, strlen(text), &o, a, NULL, &err),
			 TX_OK);
	assert_int_equal(misp_import_text(text, strlen(text), &o, b, NULL, &err),
			 TX_OK);
	assert_true(json_equal(a, b));
	x = find(a, "indicator--2c2f6b0e-5d3f-4e4a-9b0c-1d2e3f4a5b6c");
	assert_non_null(x);
	assert_string_equal(json_string_value(json_array_get(json_object_get(x,
		"object_marking_refs"), 0)),
		"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1");
	/* each import named the attachment, by its event's place */
	assert_int_equal(s.n, 2);
	assert_string_equal(s.last, "events[1] Attribute[1] attachment");
	/* the second event: no uuid, no tag: the default TLP */
	{
		json_t *obj;
		size_t i;
		int urls = 0;
		json_array_foreach(a, i, obj) {
			const char *p = json_string_value(json_object_get(obj, "pattern"));
			if (p == NULL || strcmp(p, "[url:value = 'http://b/']") != 0)
				continue;
			urls++;
			assert_string_equal(json_string_value(json_array_get(
				json_object_get(obj, "object_marking_refs"), 0)),
				"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb");
			assert_null(json_object_get(obj, "created_by_ref"));
		}
		assert_int_equal(urls, 1);
	}
	json_decref(a);
	json_decref(b);
}

/* Objects seen (to_ids false) whose SCO has none of the properties its
 * STIX id is made of (an email known by its message id and recipient, a
 * certificate by its issuer, a file by its size) still get the same ids
 * on every import: never a random UUID. */
static void test_object_ids_repeat(void **state)
{
	const char *text =
		"{\"uuid\": \"3d3a7c1f-6e4a-4f5b-8c1d-2e3f4a5b6c7d\", \"info\": \"o\","
		" \"timestamp\": \"1700000000\", \"Object\": ["
		"{\"name\": \"email\", \"uuid\": \"4e4b8d2a-7f5b-4a6c-9d2e-3f4a5b6c7d8e\","
		" \"Attribute\": [{\"object_relation\": \"message-id\", \"type\":"
		" \"email-message-id\", \"value\": \"<a@b>\"}, {\"object_relation\":"
		" \"to\", \"type\": \"email-dst\", \"value\": \"c@d.example\"}]},"
		"{\"name\": \"x509\", \"uuid\": \"5f5c9e3b-8a6c-4b7d-8e3f-4a5b6c7d8e9f\","
		" \"Attribute\": [{\"object_relation\": \"issuer\", \"type\": \"text\","
		" \"value\": \"CN=x\"}]},"
		"{\"name\": \"file\", \"uuid\": \"6a6d0f4c-9b7d-4c8e-9f4a-5b6c7d8e9fa0\","
		" \"Attribute\": [{\"object_relation\": \"size-in-bytes\", \"type\":"
		" \"size-in-bytes\", \"value\": \"12\"}, {\"object_relation\": \"mimetype\","
		" \"type\": \"mime-type\", \"value\": \"text/plain\"}]}]}";
	struct misp_import_opts o = { 0 };
	struct tx_error err = { 0 };
	json_t *a = json_array(), *b = json_array();

	assert_int_equal(misp_import_text(text, strlen(text), &o, a, NULL, &err),
			 TX_OK);
	assert_int_equal(misp_import_text(text, strlen(text), &o, b, NULL, &err),
			 TX_OK);
	assert_true(json_array_size(a) >= 7);
	if (!json_equal(a, b)) {
		char *x = json_dumps(a, 0), *y = json_dumps(b, 0);
		fail_msg("two imports differ:\n%s\n%s", x, y);
	}
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_to_attribute),
		cmocka_unit_test(test_attribute_to_pattern),
		cmocka_unit_test(test_import_markings_and_ids),
		cmocka_unit_test(test_object_ids_repeat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
