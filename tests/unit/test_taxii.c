/*
 * Unit tests of taxii/: which extension row serves a URL (exact rows under
 * /trilex/v1/, rows with paths of their own, prefix rows and the rest of
 * the path they are given), and that a reply header never carries a
 * second header in its value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "taxii/internal.h"

static void fn(void *ctx, const struct taxii_ext_request *rq,
	       struct taxii_ext_reply *rp)
{
}

static const struct taxii_ext rows[] = {
	{ "assess", fn, NULL, NULL, 0 },
	{ "misp-feed/", fn, NULL, "GET", 0 },
	{ "export/*", fn, NULL, NULL, 0 },
	{ "/console/", fn, NULL, NULL, TAXII_EXT_AUTH_OPTIONAL },
	{ "/metrics", fn, NULL, NULL, TAXII_EXT_AUTH_OPTIONAL },
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

/* The index of the row serving url (-1: none) and the rest it is given. */
static int which(const char *url, const char **rest)
{
	const struct taxii_ext *x = taxii_routes_ext_find(rows, N_ROWS, url, rest);

	return x == NULL ? -1 : (int)(x - rows);
}

static void test_ext_find(void **state)
{
	const char *rest = "unset";

	assert_int_equal(which("/trilex/v1/assess", &rest), 0);
	assert_string_equal(rest, "");
	assert_int_equal(which("/trilex/v1/assess/", &rest), 0);
	assert_int_equal(which("/trilex/v1/assessx", &rest), -1);
	assert_int_equal(which("/trilex/v1/assess/more", &rest), -1);
	/* a row under /trilex/v1/ is not served at the top */
	assert_int_equal(which("/assess", &rest), -1);

	assert_int_equal(which("/trilex/v1/misp-feed", &rest), 1);
	assert_string_equal(rest, "");
	assert_int_equal(which("/trilex/v1/misp-feed/", &rest), 1);
	assert_string_equal(rest, "");
	assert_int_equal(which("/trilex/v1/misp-feed/c1/manifest.json", &rest), 1);
	assert_string_equal(rest, "c1/manifest.json");
	assert_int_equal(which("/trilex/v1/misp-feedx/a", &rest), -1);

	/* "x/" followed by a star is the same prefix */
	assert_int_equal(which("/trilex/v1/export/suricata", &rest), 2);
	assert_string_equal(rest, "suricata");

	assert_int_equal(which("/console/", &rest), 3);
	assert_string_equal(rest, "");
	assert_int_equal(which("/console/alerts/a1", &rest), 3);
	assert_string_equal(rest, "alerts/a1");
	assert_int_equal(which("/trilex/v1/console/", &rest), -1);
	assert_int_equal(which("/metrics", &rest), 4);
	assert_int_equal(which("/metrics/x", &rest), -1);
	/* TAXII's own paths are no extension's */
	assert_int_equal(which("/taxii2/", &rest), -1);
	assert_int_equal(which("/", &rest), -1);
	assert_string_equal(rest, "");

	assert_true(taxii_routes_is_ext(rows, N_ROWS, "/console/x"));
	assert_true(taxii_routes_is_ext(rows, N_ROWS, "/trilex/v1/unknown"));
	assert_false(taxii_routes_is_ext(rows, N_ROWS, "/api1/collections/"));
}

static void test_reply_header(void **state)
{
	struct reply rp = { 0 };
	struct taxii_ext_reply xp = { 0 };

	taxii_reply_header(&rp, "ETag", "\"abc\"");
	taxii_reply_header(&rp, "X-Bad", "a\r\nSet-Cookie: s=1");
	taxii_reply_header(&rp, "X-Bad", "a\nb");
	assert_int_equal(rp.n_headers, 1);
	assert_string_equal(rp.headers[0].value, "\"abc\"");

	for (int i = 0; i < TAXII_EXT_HEADERS_MAX; i++)
		assert_int_equal(taxii_ext_reply_header(&xp, "X-N", "%d", i), TX_OK);
	assert_int_equal(taxii_ext_reply_header(&xp, "X-N", "over"), TX_ERR_TOOBIG);
	assert_int_equal(xp.n_headers, TAXII_EXT_HEADERS_MAX);
	assert_string_equal(xp.headers[3].value, "3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ext_find),
		cmocka_unit_test(test_reply_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
