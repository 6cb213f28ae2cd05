/* Unit tests of core/: time, UUIDs, buffers, integers, node.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_json_spans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
