/*
 * Unit tests of supply/: version ordering per ecosystem, CVSS scores,
 * vendor name matching, the CycloneDX, OSV and parts readers' errors,
 * range evaluation and ranking, and the STIX round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "supply/supply.h"

/* Expect a < b under eco, and the reverse, and a == a. */
static void lt(enum supply_eco eco, const char *a, const char *b)
{
	int r = 0;

	if (supply_version_cmp(eco, a, b, &r) != TX_OK || r >= 0)
		fail_msg("eco %d: expected %s < %s (got %d)", eco, a, b, r);
	if (supply_version_cmp(eco, b, a, &r) != TX_OK || r <= 0)
		fail_msg("eco %d: expected %s > %s (got %d)", eco, b, a, r);
	assert_int_equal(supply_version_cmp(eco, a, a, &r), TX_OK);
	assert_int_equal(r, 0);
}

static void eq(enum supply_eco eco, const char *a, const char *b)
{
	int r = 1;

	if (supply_version_cmp(eco, a, b, &r) != TX_OK || r != 0)
		fail_msg("eco %d: expected %s == %s (got %d)", eco, a, b, r);
}

static void test_semver(void **state)
{
	lt(SUPPLY_ECO_NPM, "1.0.0-alpha", "1.0.0-alpha.1");
	lt(SUPPLY_ECO_NPM, "1.0.0-alpha.1", "1.0.0-alpha.beta");
	lt(SUPPLY_ECO_NPM, "1.0.0-alpha.beta", "1.0.0-beta");
	lt(SUPPLY_ECO_NPM, "1.0.0-beta.2", "1.0.0-beta.11");
	lt(SUPPLY_ECO_NPM, "1.0.0-rc.1", "1.0.0");
	lt(SUPPLY_ECO_NPM, "1.9.0", "1.10.0");
	lt(SUPPLY_ECO_NPM, "3.5.0-rc.1", "3.5.0");
	eq(SUPPLY_ECO_NPM, "1.0.0+build.1", "1.0.0+build.2");
	lt(SUPPLY_ECO_GO, "v1.0.4-0.20180125103619-43913f2f4fbd", "v1.0.4");
	lt(SUPPLY_ECO_GO, "v1.0.3", "1.0.4-0.20180125103619-43913f2f4fbd");
	eq(SUPPLY_ECO_GO, "v4.9.1+incompatible", "4.9.1+incompatible");
	lt(SUPPLY_ECO_SEMVER, "99999999999999999999.0.0", "100000000000000000000.0.0");
	int r;
	assert_int_equal(supply_version_cmp(SUPPLY_ECO_NPM, "1.0.0-", "1.0.0", &r),
			 TX_ERR_INVALID);
	assert_int_equal(supply_version_cmp(SUPPLY_ECO_NPM, "x1", "1.0.0", &r),
			 TX_ERR_INVALID);
}

static void test_pep440(void **state)
{
	lt(SUPPLY_ECO_PYPI, "1.0.dev0", "1.0a1");
	lt(SUPPLY_ECO_PYPI, "1.0a1", "1.0a2.dev1");
	lt(SUPPLY_ECO_PYPI, "1.0a2.dev1", "1.0a2");
	lt(SUPPLY_ECO_PYPI, "1.0b1", "1.0rc1");
	lt(SUPPLY_ECO_PYPI, "1.0rc1", "1.0");
	lt(SUPPLY_ECO_PYPI, "1.0", "1.0+local.1");
	lt(SUPPLY_ECO_PYPI, "1.0+abc", "1.0+5");
	lt(SUPPLY_ECO_PYPI, "1.0", "1.0.post1.dev0");
	lt(SUPPLY_ECO_PYPI, "1.0.post1.dev0", "1.0.post1");
	lt(SUPPLY_ECO_PYPI, "1.0.post1", "1.1.dev1");
	lt(SUPPLY_ECO_PYPI, "2.0", "1!0.1");
	lt(SUPPLY_ECO_PYPI, "3.2a1", "3.2rc1");
	eq(SUPPLY_ECO_PYPI, "1.0", "1.0.0");
	eq(SUPPLY_ECO_PYPI, "1.0-1", "1.0.post1");
	eq(SUPPLY_ECO_PYPI, "1.0alpha1", "1.0a1");
	eq(SUPPLY_ECO_PYPI, "1.0c1", "1.0rc1");
	eq(SUPPLY_ECO_PYPI, "v1.0", "1.0");
	int r;
	assert_int_equal(supply_version_cmp(SUPPLY_ECO_PYPI, "1.0x", "1.0", &r),
			 TX_ERR_INVALID);
}

static void test_maven(void **state)
{
	lt(SUPPLY_ECO_MAVEN, "1-alpha", "1-beta");
	lt(SUPPLY_ECO_MAVEN, "1-beta", "1-milestone");
	lt(SUPPLY_ECO_MAVEN, "1-milestone", "1-rc");
	lt(SUPPLY_ECO_MAVEN, "1-rc", "1-snapshot");
	lt(SUPPLY_ECO_MAVEN, "1-snapshot", "1");
	lt(SUPPLY_ECO_MAVEN, "1", "1-sp");
	lt(SUPPLY_ECO_MAVEN, "1-sp", "1-abc");
	lt(SUPPLY_ECO_MAVEN, "1-abc", "1-1");
	lt(SUPPLY_ECO_MAVEN, "1.0-beta9", "2.0-beta9");
	lt(SUPPLY_ECO_MAVEN, "2.0-beta9", "2.0");
	lt(SUPPLY_ECO_MAVEN, "2.14.1", "2.15.0");
	lt(SUPPLY_ECO_MAVEN, "2.15.0-rc1", "2.15.0");
	lt(SUPPLY_ECO_MAVEN, "1.0.9", "1.0.10");
	lt(SUPPLY_ECO_MAVEN, "1a1", "1b1");
	eq(SUPPLY_ECO_MAVEN, "1", "1.0.0");
	eq(SUPPLY_ECO_MAVEN, "1.0-ga", "1");
	eq(SUPPLY_ECO_MAVEN, "1-final", "1.0");
	eq(SUPPLY_ECO_MAVEN, "1cr1", "1-rc-1");
	eq(SUPPLY_ECO_MAVEN, "1.0.RELEASE", "1");
}

static void test_debian(void **state)
{
	lt(SUPPLY_ECO_DEBIAN, "1.0~rc1", "1.0");
	lt(SUPPLY_ECO_DEBIAN, "1.0~~", "1.0~");
	lt(SUPPLY_ECO_DEBIAN, "1.0", "1.0+b1");
	lt(SUPPLY_ECO_DEBIAN, "1.0-1", "1.0-2");
	lt(SUPPLY_ECO_DEBIAN, "9.9", "1:0.1");
	lt(SUPPLY_ECO_DEBIAN, "1.1.1n-0+deb11u3", "1.1.1n-0+deb11u4");
	lt(SUPPLY_ECO_DEBIAN, "1.2.3-1", "1.2.10-1");
	lt(SUPPLY_ECO_DEBIAN, "1.0a", "1.0+");
	eq(SUPPLY_ECO_DEBIAN, "0:1.0", "1.0");
	eq(SUPPLY_ECO_DEBIAN, "1.01", "1.1");
	int r;
	assert_int_equal(supply_version_cmp(SUPPLY_ECO_DEBIAN, "a1", "1", &r),
			 TX_ERR_INVALID);
	assert_int_equal(supply_ecosystem("Debian:11"), SUPPLY_ECO_DEBIAN);
	assert_int_equal(supply_ecosystem("crates.io"), SUPPLY_ECO_UNKNOWN);
	assert_int_equal(supply_version_cmp(SUPPLY_ECO_UNKNOWN, "1", "2", &r),
			 TX_ERR_INVALID);
}

/* A database of in-memory documents. */
static supply_db *db_of(const char *const *names, const char *const *docs,
			size_t n)
{
	struct tx_error err = { 0 };
	supply_db *db = NULL;

	assert_int_equal(supply_db_new(0, &db, &err), TX_OK);
	for (size_t i = 0; i < n; i++)
		if (supply_db_load_buffer(db, names[i], docs[i], strlen(docs[i]),
					  &err) != TX_OK)
			fail_msg("%s: %s", names[i], err.msg);
	return db;
}

static supply_bom *bom_of(const char *text)
{
	struct tx_error err = { 0 };
	supply_bom *bom = NULL;

	if (supply_bom_parse(text, strlen(text), "t.cdx.json", &bom, &err) != TX_OK)
		fail_msg("%s", err.msg);
	return bom;
}

static const struct supply_finding *find(const struct supply_report *r,
					 const char *path, enum supply_kind k)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->findings[i].comp->path, path) == 0 &&
		    r->findings[i].kind == k)
			return &r->findings[i];
	return NULL;
}

static void test_vendor_matching(void **state)
{
	const char *names[] = { "fcc.csv", "v.json" };
	const char *docs[] = {
		"Covered Equipment or Services;Date of Inclusion on Covered List;"
		"Entity Name;Subsidiary Names\n"
		"Telecom gear;March 12, 2021;Huawei Technologies Company;\n"
		"\"Video; surveillance\";March 12, 2021;Dahua Technology Company;\n"
		"Services;2022;AO Kaspersky Lab;\n"
		"Services;2022;Pacific Networks Corp;ComNet (USA) LLC\n",
		"{\"vendors\": [{\"name\": \"Autel Robotics\", \"reason\": \"drones\"}]}",
	};
	supply_db *db = db_of(names, docs, 2);
	struct supply_report rep;
	struct tx_error err = { 0 };
	supply_bom *bom = bom_of(
		"{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"components\": ["
		"{\"type\": \"device\", \"name\": \"a\", \"supplier\": {\"name\": \"HUAWEI TECHNOLOGIES CO., LTD.\"}},"
		"{\"type\": \"device\", \"name\": \"b\", \"supplier\": {\"name\": \"Zhejiang Dahua Technology Co., Ltd.\"}},"
		"{\"type\": \"device\", \"name\": \"c\", \"supplier\": {\"name\": \"Autelan Technology\"}},"
		"{\"type\": \"device\", \"name\": \"d\", \"manufacturer\": {\"name\": \"Autel Robotics Co Ltd\"}},"
		"{\"type\": \"device\", \"name\": \"e\", \"supplier\": {\"name\": \"Autel Intelligent Technology\"}},"
		"{\"type\": \"application\", \"name\": \"f\", \"publisher\": \"Kaspersky\"},"
		"{\"type\": \"device\", \"name\": \"g\", \"supplier\": {\"name\": \"ComNet (USA), L.L.C.\"}},"
		"{\"type\": \"device\", \"name\": \"h\", \"supplier\": {\"name\": \"Huaweisoft\"}}"
		"]}");

	assert_int_equal(supply_check(db, bom, NULL, &rep, &err), TX_OK);
	assert_non_null(find(&rep, "a", SUPPLY_KIND_WATCH_SUPPLIER));
	assert_non_null(find(&rep, "b", SUPPLY_KIND_WATCH_SUPPLIER));
	assert_null(find(&rep, "c", SUPPLY_KIND_WATCH_SUPPLIER));
	assert_non_null(find(&rep, "d", SUPPLY_KIND_WATCH_MANUFACTURER));
	assert_null(find(&rep, "e", SUPPLY_KIND_WATCH_SUPPLIER));
	assert_non_null(find(&rep, "f", SUPPLY_KIND_WATCH_SUPPLIER));
	assert_non_null(find(&rep, "g", SUPPLY_KIND_WATCH_SUPPLIER));
	assert_null(find(&rep, "h", SUPPLY_KIND_WATCH_SUPPLIER));
	assert_int_equal(rep.n, 5);
	assert_string_equal(find(&rep, "g", SUPPLY_KIND_WATCH_SUPPLIER)->advisories[0],
			    "Pacific Networks Corp");
	supply_report_free(&rep);
	supply_bom_free(bom);
	supply_db_free(db);
}

static void test_ranges_and_rank(void **state)
{
	const char *names[] = { "a.json", "kev.json", "p.json" };
	const char *docs[] = {
		"[{\"id\": \"A-1\", \"aliases\": [\"CVE-1\"], \"affected\": [{\"package\": "
		"{\"ecosystem\": \"npm\", \"name\": \"x\"}, \"ranges\": [{\"type\": "
		"\"SEMVER\", \"events\": [{\"introduced\": \"1.0.0\"}, {\"fixed\": \"1.2.0\"},"
		"{\"introduced\": \"2.0.0\"}, {\"last_affected\": \"2.1.0\"}]}]}]},"
		"{\"id\": \"A-2\", \"database_specific\": {\"severity\": \"LOW\"},"
		"\"affected\": [{\"package\": {\"ecosystem\": \"PyPI\", \"name\": "
		"\"Foo.Bar\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": "
		"[{\"introduced\": \"0\"}, {\"fixed\": \"2.0\"}, {\"limit\": \"1.5\"}]}]}]},"
		"{\"id\": \"A-3\", \"affected\": [{\"package\": {\"ecosystem\": "
		"\"RubyGems\", \"name\": \"r\"}, \"versions\": [\"1.0\"], \"ranges\": "
		"[{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}]}]}]}]",
		"{\"catalogVersion\": \"t\", \"vulnerabilities\": [{\"cveID\": \"CVE-1\"}]}",
		"{\"categories\": [{\"id\": \"weapons\", \"tier\": 1}, {\"id\": \"it\", "
		"\"tier\": 3}]}",
	};
	supply_db *db = db_of(names, docs, 3);
	struct supply_report rep;
	struct tx_error err = { 0 };
	const struct supply_finding *f;
	supply_bom *bom = bom_of(
		"{\"bomFormat\": \"CycloneDX\", \"metadata\": {\"properties\": "
		"[{\"name\": \"trilex:category\", \"value\": \"it\"}]}, \"components\": ["
		"{\"type\": \"library\", \"name\": \"x\", \"purl\": \"pkg:npm/x@1.1.9\"},"
		"{\"type\": \"library\", \"name\": \"x\", \"purl\": \"pkg:npm/x@1.2.0\", \"bom-ref\": \"b\"},"
		"{\"type\": \"library\", \"name\": \"x2\", \"purl\": \"pkg:npm/x@2.1.0\"},"
		"{\"type\": \"library\", \"name\": \"x3\", \"purl\": \"pkg:npm/x@2.1.1\"},"
		"{\"type\": \"library\", \"name\": \"foo\", \"purl\": \"pkg:pypi/foo-bar@1.4\","
		" \"properties\": [{\"name\": \"trilex:category\", \"value\": \"weapons\"}]},"
		"{\"type\": \"library\", \"name\": \"foo2\", \"purl\": \"pkg:pypi/foo_bar@1.6\"},"
		"{\"type\": \"library\", \"name\": \"r\", \"purl\": \"pkg:gem/r@1.0\"},"
		"{\"type\": \"library\", \"name\": \"r2\", \"purl\": \"pkg:gem/r@1.1\","
		" \"components\": [{\"type\": \"library\", \"name\": \"in\", \"purl\": \"pkg:npm/x@2.0.5\"}]}"
		"]}");

	assert_int_equal(supply_check(db, bom, NULL, &rep, &err), TX_OK);
	f = find(&rep, "x", SUPPLY_KIND_KNOWN_EXPLOITED);
	assert_non_null(f);
	assert_string_equal(f->fixed, "1.2.0");
	assert_true(f->exploited);
	assert_int_equal(f->tier, 3);
	assert_null(find(&rep, "x (b)", SUPPLY_KIND_KNOWN_EXPLOITED));
	f = find(&rep, "x2", SUPPLY_KIND_KNOWN_EXPLOITED);
	assert_non_null(f);
	assert_null(f->fixed);
	assert_null(find(&rep, "x3", SUPPLY_KIND_KNOWN_EXPLOITED));
	f = find(&rep, "foo", SUPPLY_KIND_VULNERABLE);
	assert_non_null(f);
	assert_int_equal(f->tier, 1);
	assert_int_equal(f->rank, 1); /* tier 1 first, though only low */
	assert_null(find(&rep, "foo2", SUPPLY_KIND_VULNERABLE)); /* past limit */
	assert_non_null(find(&rep, "r", SUPPLY_KIND_VULNERABLE)); /* listed */
	assert_non_null(find(&rep, "r2", SUPPLY_KIND_UNVERIFIED));
	assert_non_null(find(&rep, "r2 > in", SUPPLY_KIND_KNOWN_EXPLOITED));
	assert_int_equal(rep.n, 6);
	json_t *j = supply_report_json(&rep);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		json_object_get(j, "summary"), "by_kind"), "known-exploited")), 3);
	json_decref(j);
	supply_report_free(&rep);

	/* --category overrides the BOM's; an unknown one is an error */
	assert_int_equal(supply_check(db, bom, "weapons", &rep, &err), TX_OK);
	assert_int_equal(find(&rep, "x", SUPPLY_KIND_KNOWN_EXPLOITED)->tier, 1);
	supply_report_free(&rep);
	assert_int_equal(supply_check(db, bom, "nope", &rep, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "\"nope\""));
	supply_report_free(&rep);
	supply_bom_free(bom);
	supply_db_free(db);
}

static void test_parts(void **state)
{
	const char *names[] = { "parts.csv", "parts.json" };
	const char *docs[] = {
		"manufacturer,part_number,lot_from,lot_to,status,reason\n"
		"Texas Instruments,SN74-LVC1G14,L9,L12,counterfeit,\"remarked, X-ray\"\n",
		"{\"parts\": [{\"manufacturer\": \"Acme\", \"part_number\": \"Q1\","
		" \"date_code\": \"2214\", \"status\": \"suspect\"}]}",
	};
	supply_db *db = db_of(names, docs, 2);
	struct supply_report rep;
	struct tx_error err = { 0 };
	supply_bom *bom = bom_of(
		"{\"bomFormat\": \"CycloneDX\", \"components\": ["
		"{\"type\": \"device\", \"name\": \"sn74lvc1g14\", \"bom-ref\": \"in\", \"manufacturer\": {\"name\": \"Texas Instruments Inc.\"},"
		" \"properties\": [{\"name\": \"trilex:lot\", \"value\": \"L10\"}]},"
		"{\"type\": \"device\", \"name\": \"SN74LVC1G14\", \"bom-ref\": \"out\", \"supplier\": {\"name\": \"Texas Instruments\"},"
		" \"properties\": [{\"name\": \"trilex:lot\", \"value\": \"L13\"}]},"
		"{\"type\": \"device\", \"name\": \"SN74LVC1G14\", \"bom-ref\": \"unknown\", \"supplier\": {\"name\": \"Texas Instruments\"}},"
		"{\"type\": \"device\", \"name\": \"SN74LVC1G14\", \"bom-ref\": \"other\", \"supplier\": {\"name\": \"Other Co\"}},"
		"{\"type\": \"device\", \"name\": \"Q1\", \"bom-ref\": \"q\", \"manufacturer\": {\"name\": \"ACME\"},"
		" \"properties\": [{\"name\": \"trilex:date-code\", \"value\": \"2214\"}]}"
		"]}");

	assert_int_equal(supply_check(db, bom, NULL, &rep, &err), TX_OK);
	assert_non_null(find(&rep, "sn74lvc1g14 (in)", SUPPLY_KIND_COUNTERFEIT));
	assert_non_null(find(&rep, "SN74LVC1G14 (unknown)", SUPPLY_KIND_SUSPECT));
	assert_non_null(find(&rep, "Q1 (q)", SUPPLY_KIND_SUSPECT));
	assert_int_equal(rep.n, 3);
	supply_report_free(&rep);
	supply_bom_free(bom);
	supply_db_free(db);
}

static void expect_error(const char *name, const char *doc, const char *msg)
{
	struct tx_error err = { 0 };
	supply_db *db = NULL;

	assert_int_equal(supply_db_new(0, &db, &err), TX_OK);
	assert_int_not_equal(supply_db_load_buffer(db, name, doc, strlen(doc), &err),
			     TX_OK);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", msg, err.msg);
	supply_db_free(db);
}

static void test_errors(void **state)
{
	struct tx_error err = { 0 };
	supply_bom *bom = NULL;
	const char *b1 = "{\"bomFormat\": \"CycloneDX\", \"components\": [{\"type\": "
			 "\"library\", \"name\": \"a\", \"components\": [{\"type\": "
			 "\"library\", \"name\": \"b\", \"purl\": 5}]}]}";

	assert_int_equal(supply_bom_parse(b1, strlen(b1), "b.json", &bom, &err),
			 TX_ERR_INVALID);
	assert_string_equal(err.msg, "b.json: components[0].components[0].purl: "
			    "must be a string");
	assert_int_equal(supply_bom_parse("{\n\"a\": }", 9, "c.json", &bom, &err),
			 TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "c.json:2:"));
	assert_int_equal(supply_bom_parse("{\"bomFormat\": \"SPDX\"}", 21, "d", &bom,
					  &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "bomFormat"));

	expect_error("o.json", "{\"id\": \"X\", \"affected\": [{\"package\": {\"ecosystem\":"
		     " \"npm\", \"name\": \"a\"}, \"ranges\": [{\"type\": \"SEMVER\", "
		     "\"events\": [{\"introduced\": 1}]}]}]}",
		     "o.json: affected[0].ranges[0].events[0].introduced: must be a string");
	expect_error("o.json", "{\"id\": \"X\", \"affected\": [{\"package\": {\"ecosystem\":"
		     " \"npm\", \"name\": \"a\"}, \"ranges\": [{\"type\": \"FOO\", "
		     "\"events\": [{\"introduced\": \"0\"}]}]}]}",
		     "affected[0].ranges[0].type: not SEMVER");
	expect_error("p.csv", "manufacturer,part_number,status\nAcme,Q1,fake\n",
		     "p.csv:2: status");
	expect_error("p.csv", "manufacturer,part_number\nAcme,\"Q1\n", "unterminated");
	expect_error("p.csv", "foo,bar\n", "p.csv:1: the header");
	expect_error("p.json", "{\"parts\": [{\"manufacturer\": \"A\", \"part_number\": "
		     "\"B\", \"date_code_from\": \"22\", \"date_code_to\": \"2301\"}]}",
		     "parts[0]: date_code_from: not a YYWW");
	expect_error("x.json", "{\"hello\": 1}", "not a known advisory source");
	expect_error("l.json", "{\"categories\": [{\"id\": \"a\", \"tier\": 10}]}",
		     "categories[0].tier");
}

static void test_severity(void **state)
{
	/* CVSS 3.1 base scores: 9.8 critical, 2.6 low, 10.0 (scope changed) */
	const char *names[] = { "s.json" };
	const char *docs[] = {
		"[{\"id\": \"S-1\", \"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
		"\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}], \"affected\": "
		"[{\"package\": {\"ecosystem\": \"npm\", \"name\": \"a\"}, \"versions\": [\"1.0.0\"]}]},"
		"{\"id\": \"S-2\", \"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
		"\"CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N\"}], \"affected\": "
		"[{\"package\": {\"ecosystem\": \"npm\", \"name\": \"b\"}, \"versions\": [\"1.0.0\"]}]},"
		"{\"id\": \"S-3\", \"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
		"\"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H\"}], \"affected\": "
		"[{\"package\": {\"ecosystem\": \"npm\", \"name\": \"c\"}, \"versions\": [\"1.0.0\"]}]}]",
	};
	supply_db *db = db_of(names, docs, 1);
	struct supply_report rep;
	struct tx_error err = { 0 };
	supply_bom *bom = bom_of(
		"{\"bomFormat\": \"CycloneDX\", \"components\": ["
		"{\"type\": \"library\", \"name\": \"a\", \"purl\": \"pkg:npm/a@1.0.0\"},"
		"{\"type\": \"library\", \"name\": \"b\", \"purl\": \"pkg:npm/b@1.0.0\"},"
		"{\"type\": \"library\", \"name\": \"c\", \"purl\": \"pkg:npm/c@1.0.0\"}]}");

	assert_int_equal(supply_check(db, bom, NULL, &rep, &err), TX_OK);
	assert_int_equal(find(&rep, "a", SUPPLY_KIND_VULNERABLE)->severity,
			 SUPPLY_SEV_CRITICAL);
	assert_int_equal(find(&rep, "b", SUPPLY_KIND_VULNERABLE)->severity,
			 SUPPLY_SEV_LOW);
	assert_int_equal(find(&rep, "c", SUPPLY_KIND_VULNERABLE)->severity,
			 SUPPLY_SEV_CRITICAL);
	supply_report_free(&rep);
	supply_bom_free(bom);
	supply_db_free(db);
}

static void test_stix_round_trip(void **state)
{
	const char *doc = "{\"id\": \"R-1\", \"modified\": \"2024-01-01T00:00:00Z\","
			  " \"aliases\": [\"CVE-9\"], \"affected\": [{\"package\": "
			  "{\"ecosystem\": \"Go\", \"name\": \"example.com/m\"}, \"ranges\": "
			  "[{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"}, "
			  "{\"fixed\": \"1.2.3\"}]}]}]}";
	const char *vend = "{\"vendors\": [{\"name\": \"Bad Corp\", \"aliases\": [\"BC\"]}]}";
	struct supply_stix_opts o = { .marking_ref =
		"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" };
	struct tx_error err = { 0 };
	struct supply_counts cn;
	supply_db *a = NULL, *b = NULL;
	json_t *objs = json_array();
	char id1[128], id2[128];

	assert_int_equal(supply_db_new(0, &a, &err), TX_OK);
	supply_db_set_emit(a, objs, &o);
	assert_int_equal(supply_db_load_buffer(a, "r.json", doc, strlen(doc), &err), TX_OK);
	assert_int_equal(supply_db_load_buffer(a, "v.json", vend, strlen(vend), &err), TX_OK);
	assert_int_equal(json_array_size(objs), 2);
	json_t *v = json_array_get(objs, 0);
	assert_string_equal(json_string_value(json_object_get(v, "type")), "vulnerability");
	assert_string_equal(json_string_value(json_object_get(v, "modified")),
			    "2024-01-01T00:00:00.000Z");
	supply_stix_id("vulnerability", "osv:R-1", id1, sizeof(id1));
	assert_string_equal(json_string_value(json_object_get(v, "id")), id1);
	/* a real UUIDv5 in trilex's namespace over "TYPE\nKEY" (Python:
	 * uuid.uuid5(UUID('6f1c2a3e-7b4d-4e8f-9a0b-1c2d3e4f5a6b'),
	 * 'vulnerability\nosv:R-1')) */
	assert_string_equal(id1, "vulnerability--02a04d9c-493f-5955-8de9-d78e2e83814f");
	supply_stix_id("vulnerability", "osv:R-2", id2, sizeof(id2));
	assert_string_not_equal(id1, id2);

	assert_int_equal(supply_db_new(0, &b, &err), TX_OK);
	for (size_t i = 0; i < json_array_size(objs); i++)
		assert_int_equal(supply_db_load_stix(b, json_array_get(objs, i), &err), TX_OK);
	json_t *other = json_pack("{s:s}", "type", "indicator");
	assert_int_equal(supply_db_load_stix(b, other, &err), TX_OK);
	json_decref(other);
	supply_db_counts(b, &cn);
	assert_int_equal(cn.advisories, 1);
	assert_int_equal(cn.vendors, 1);
	assert_int_equal(cn.stix_ignored, 1);

	supply_bom *bom = bom_of("{\"bomFormat\": \"CycloneDX\", \"components\": ["
		"{\"type\": \"library\", \"name\": \"m\", \"purl\": \"pkg:golang/example.com/m@v1.2.2\"},"
		"{\"type\": \"device\", \"name\": \"d\", \"supplier\": {\"name\": \"BC\"}}]}");
	struct supply_report rep;
	assert_int_equal(supply_check(b, bom, NULL, &rep, &err), TX_OK);
	assert_int_equal(rep.n, 2);
	json_t *note = supply_finding_to_stix(&rep.findings[0], id1, &o);
	json_t *again = supply_finding_to_stix(&rep.findings[0], id1, &o);
	assert_non_null(note);
	assert_string_equal(json_string_value(json_object_get(note, "id")),
			    json_string_value(json_object_get(again, "id")));
	json_decref(note);
	json_decref(again);
	supply_report_free(&rep);
	supply_bom_free(bom);
	supply_db_free(a);
	supply_db_free(b);
	json_decref(objs);
}

/* CSAF 2.0: version ranges as the CISA ICS advisories of 2024 write them
 * (vls and vers, section 3.1.2.3.2 of CSAF 2.0), one product per range. */
static const struct {
	const char *range;
	const char *version;
	int want; /* 1 vulnerable, 0 nothing, -1 unverified */
} csaf_cases[] = {
	{ "<V8.1", "V8.0.9", 1 },
	{ "<V8.1", "V8.1", 0 },
	{ "<V8.1", "V8.10", 0 },
	{ "<V8.1", "8.0", 1 },
	{ ">=R400-V0|<R400-V2", "R400-V1", 1 },
	{ ">=R400-V0|<R400-V2", "R400-V2", 0 },
	{ ">=R1.01.00|<R2.03.00", "R2.02.99", 1 },
	{ ">=R1.01.00|<R2.03.00", "R1.00.00", 0 },
	{ "vers:all/<V2406.5000", "V2406.4999", 1 },
	{ "vers:all/<V2406.5000", "V2406.5000", 0 },
	{ "vers:all/*", "anything at all", 1 },
	{ "All versions < V05.20", "V05.19", 1 },
	{ "<=1.4.1", "1.4.1", 1 },
	{ "<=1.4.1", "1.4.2", 0 },
	{ "<IP8_SR4", "IP8", 1 },
	{ "<V33.017_V34.014_V35.013_V36.011", "V33.016", -1 },
	{ "<=The_first_5_digits_of_serial_No._\"26061\"", "1.0", -1 },
	{ "<V2.4", "R2.0", -1 },
	{ "<V2.4", NULL, -1 },
};

static void test_csaf_ranges(void **state)
{
	size_t n = sizeof(csaf_cases) / sizeof(csaf_cases[0]);
	json_t *doc = json_pack("{s:{s:s, s:s, s:{s:s}}, s:{s:[{s:s, s:s, s:[]}]},"
				" s:[{s:s, s:{s:[]}}]}", "document", "csaf_version",
				"2.0", "title", "ranges", "tracking", "id", "T-1",
				"product_tree", "branches", "category", "vendor",
				"name", "Acme", "branches", "vulnerabilities", "cve",
				"CVE-2024-0001", "product_status", "known_affected");
	json_t *bomj = json_pack("{s:s, s:[]}", "bomFormat", "CycloneDX",
				 "components");
	json_t *vendor = json_array_get(json_object_get(json_object_get(doc,
		"product_tree"), "branches"), 0);
	json_t *ka = json_object_get(json_object_get(json_array_get(
		json_object_get(doc, "vulnerabilities"), 0), "product_status"),
		"known_affected");
	struct supply_report rep;
	struct tx_error err = { 0 };
	supply_db *db = NULL;
	supply_bom *bom = NULL;
	char *text;

	for (size_t i = 0; i < n; i++) {
		char name[32], pid[32];

		snprintf(name, sizeof(name), "Product %zu", i);
		snprintf(pid, sizeof(pid), "CSAFPID-%zu", i);
		json_array_append_new(json_object_get(vendor, "branches"), json_pack(
			"{s:s, s:s, s:[{s:s, s:s, s:{s:s, s:s}}]}", "category",
			"product_name", "name", name, "branches", "category",
			"product_version_range", "name", csaf_cases[i].range,
			"product", "name", name, "product_id", pid));
		json_array_append_new(ka, json_string(pid));
		json_t *c = json_pack("{s:s, s:s, s:{s:s}, s:s}", "type", "firmware",
				      "name", name, "manufacturer", "name",
				      "ACME Inc.", "bom-ref", pid);
		if (csaf_cases[i].version)
			json_object_set_new(c, "version",
					    json_string(csaf_cases[i].version));
		json_array_append_new(json_object_get(bomj, "components"), c);
	}
	text = json_dumps(doc, 0);
	assert_int_equal(supply_db_new(0, &db, &err), TX_OK);
	if (supply_db_load_buffer(db, "ranges.json", text, strlen(text), &err) !=
	    TX_OK)
		fail_msg("%s", err.msg);
	free(text);
	assert_int_equal(supply_bom_from_json(bomj, "b", &bom, &err), TX_OK);
	assert_int_equal(supply_check(db, bom, NULL, &rep, &err), TX_OK);
	for (size_t i = 0; i < n; i++) {
		const struct supply_finding *f = NULL;

		for (size_t j = 0; j < rep.n; j++)
			if (strcmp(rep.findings[j].comp->bom_ref,
				   json_string_value(json_array_get(ka, i))) == 0)
				f = &rep.findings[j];
		int got = f == NULL ? 0 : f->kind == SUPPLY_KIND_UNVERIFIED ? -1 :
			  f->kind == SUPPLY_KIND_VULNERABLE ? 1 : 9;
		if (got != csaf_cases[i].want)
			fail_msg("range \"%s\", version %s: got %d, wanted %d",
				 csaf_cases[i].range, csaf_cases[i].version ?
				 csaf_cases[i].version : "(none)", got,
				 csaf_cases[i].want);
		if (got == -1)
			assert_non_null(f->reason);
		if (f != NULL)
			assert_string_equal(f->advisories[0], "T-1");
	}
	supply_report_free(&rep);
	supply_bom_free(bom);
	supply_db_free(db);
	json_decref(doc);
	json_decref(bomj);
}

static void test_csaf_errors_and_stix(void **state)
{
	const char *head = "{\"document\": {\"csaf_version\": \"2.0\", \"title\": \"t\","
			   " \"tracking\": {\"id\": \"E-1\"}}, ";
	char doc[2048];

	snprintf(doc, sizeof(doc), "%s\"product_tree\": {\"branches\": [{\"category\":"
		 " \"vendor\", \"name\": \"A\", \"branches\": [{\"category\": 7}]}]}}",
		 head);
	expect_error("e.json", doc, "e.json: product_tree.branches[0].branches[0]"
		     ".category: must be a string");
	snprintf(doc, sizeof(doc), "%s\"product_tree\": {\"full_product_names\": "
		 "[{\"name\": \"x\", \"product_id\": \"P\", "
		 "\"product_identification_helper\": {\"cpe\": \"nope\"}}]}}", head);
	expect_error("e.json", doc, "full_product_names[0]."
		     "product_identification_helper.cpe: not a CPE");
	snprintf(doc, sizeof(doc), "%s\"vulnerabilities\": [{\"product_status\": "
		 "{\"fixed\": [\"Q\"]}}]}", head);
	expect_error("e.json", doc, "vulnerabilities[0].product_status.fixed[0]: "
		     "product id \"Q\" is not defined");
	expect_error("e.json", "{\"document\": {\"csaf_version\": \"2.0\", \"title\":"
		     " \"t\"}}", "e.json: document.tracking: required object");
	expect_error("e.json", "{\"document\": {\"csaf_version\": \"2.1\", \"title\":"
		     " \"t\", \"tracking\": {\"id\": \"x\"}}}", "only CSAF 2.0");

	/* shared as one STIX vulnerability, read back the same */
	const char *ok = "{\"document\": {\"csaf_version\": \"2.0\", \"title\": \"t\","
		" \"distribution\": {\"tlp\": {\"label\": \"RED\"}},"
		" \"tracking\": {\"id\": \"S-1\", \"current_release_date\": "
		"\"2024-05-01T10:00:00Z\"}}, \"product_tree\": {\"full_product_names\":"
		" [{\"name\": \"Box 9\", \"product_id\": \"P\", "
		"\"product_identification_helper\": {\"purl\": \"pkg:generic/box9\"}}]},"
		" \"vulnerabilities\": [{\"cve\": \"CVE-2024-1\", \"product_status\": "
		"{\"known_affected\": [\"P\"]}}]}";
	struct supply_stix_opts o = { .marking_ref =
		"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" };
	struct tx_error err = { 0 };
	struct supply_counts cn;
	struct supply_report rep;
	supply_db *a = NULL, *b = NULL;
	json_t *objs = json_array();

	assert_int_equal(supply_db_new(0, &a, &err), TX_OK);
	supply_db_set_emit(a, objs, &o);
	assert_int_equal(supply_db_load_buffer(a, "s.json", ok, strlen(ok), &err),
			 TX_OK);
	assert_int_equal(json_array_size(objs), 1);
	json_t *v = json_array_get(objs, 0);
	assert_string_equal(json_string_value(json_object_get(v, "name")), "S-1");
	/* the document's TLP:RED beats the GREEN asked for */
	assert_string_equal(json_string_value(json_array_get(json_object_get(v,
		"object_marking_refs"), 0)),
		"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed");
	assert_int_equal(supply_db_new(0, &b, &err), TX_OK);
	assert_int_equal(supply_db_load_stix(b, v, &err), TX_OK);
	supply_db_counts(b, &cn);
	assert_int_equal(cn.csaf, 1);
	assert_int_equal(cn.csaf_products, 1);
	supply_bom *bom = bom_of("{\"bomFormat\": \"CycloneDX\", \"components\": ["
		"{\"type\": \"device\", \"name\": \"box\", \"purl\": \"pkg:generic/box9@1\"}]}");
	assert_int_equal(supply_check(b, bom, NULL, &rep, &err), TX_OK);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.findings[0].kind, SUPPLY_KIND_VULNERABLE);
	assert_string_equal(rep.findings[0].matched_by, "purl");
	supply_report_free(&rep);
	supply_bom_free(bom);
	supply_db_free(a);
	supply_db_free(b);
	json_decref(objs);
}

/* VEX documents that are not valid: the JSON path and what is wrong. */
static void test_vex_errors(void **state)
{
	expect_error("v.json", "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", "
		     "\"@id\": \"x\", \"statements\": [{\"vulnerability\": {\"name\": "
		     "\"CVE-1\"}, \"products\": [{\"@id\": \"pkg:npm/a@1\"}], "
		     "\"status\": \"not_affected\"}]}",
		     "v.json: statements[0]: not_affected needs a justification or "
		     "an impact_statement");
	expect_error("v.json", "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", "
		     "\"@id\": \"x\", \"statements\": [{\"vulnerability\": {\"name\": "
		     "\"CVE-1\"}, \"products\": [{\"@id\": \"pkg:npm/a@1\"}], "
		     "\"status\": \"maybe\"}]}", "statements[0].status: not "
		     "not_affected, affected");
	expect_error("v.json", "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", "
		     "\"@id\": \"x\", \"statements\": [{\"vulnerability\": {\"name\": "
		     "\"CVE-1\"}, \"products\": [{\"identifiers\": {}}], "
		     "\"status\": \"affected\"}]}", "statements[0].products[0]: "
		     "names no @id, purl or cpe");
	expect_error("c.json", "{\"bomFormat\": \"CycloneDX\", \"vulnerabilities\": "
		     "[{\"id\": \"CVE-1\", \"analysis\": {\"state\": \"fine\"}, "
		     "\"affects\": [{\"ref\": \"a\"}]}]}",
		     "c.json: vulnerabilities[0].analysis.state: not resolved");
	expect_error("c.json", "{\"bomFormat\": \"CycloneDX\", \"vulnerabilities\": "
		     "[{\"id\": \"CVE-1\", \"analysis\": {\"state\": \"not_affected\"}}]}",
		     "vulnerabilities[0].affects: a VEX statement needs");
	expect_error("c.json", "{\"bomFormat\": \"CycloneDX\", \"vulnerabilities\": "
		     "[{\"id\": \"CVE-1\", \"analysis\": {\"state\": \"not_affected\"}, "
		     "\"affects\": [{\"ref\": \"pkg:\"}]}]}",
		     "vulnerabilities[0].affects[0].ref: not a package URL");
	expect_error("c.json", "{\"bomFormat\": \"CycloneDX\", \"vulnerabilities\": "
		     "[{\"id\": \"CVE-1\", \"analysis\": {\"state\": \"not_affected\"}, "
		     "\"affects\": [{\"ref\": \"a\", \"versions\": [{\"status\": "
		     "\"affected\"}]}]}]}", "affects[0].versions[0]: needs one of "
		     "version and range");
}

/* Stored BOMs re-checked against stored advisories: a finding is
 * recorded once (a note and an alert, marked like the BOM), and a second
 * re-check finds nothing new (supply/stored.c). */
static void found(void *ctx, const supply_bom *bom, const struct supply_finding *f)
{
	(*(int *)ctx)++;
}

static int report_row(void *ctx, const struct store_row *row)
{
	json_t *o = json_loadb(row->json, row->json_len, 0, NULL);
	const char *m = json_string_value(json_array_get(
		json_object_get(o, "object_marking_refs"), 0));

	assert_non_null(m);
	assert_string_equal(m, (const char *)ctx);
	json_decref(o);
	return STORE_ROW_NEXT;
}

static void test_stored_recheck(void **state)
{
	const char *osv = "{\"id\": \"R-7\", \"modified\": \"2024-01-01T00:00:00Z\","
			  " \"affected\": [{\"package\": {\"ecosystem\": \"Go\", \"name\":"
			  " \"example.com/m\"}, \"ranges\": [{\"type\": \"SEMVER\","
			  " \"events\": [{\"introduced\": \"0\"}, {\"fixed\": \"1.2.3\"}]}]}]}";
	const char *cdx = "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\","
			  " \"components\": [{\"type\": \"library\", \"name\": \"example.com/m\","
			  " \"version\": \"1.0.0\", \"purl\": \"pkg:golang/example.com/m@1.0.0\"}]}";
	const char *amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
	struct supply_stix_opts o = { .marking_ref = amber };
	struct supply_store_counts n = { 0 };
	struct store_collection c;
	struct tx_error err = { 0 };
	char dir[] = "/tmp/trilex-stored-XXXXXX", path[64];
	supply_db *db = NULL, *db2 = NULL;
	supply_node *node = NULL;
	supply_bom *bom = NULL;
	tx_store *st = NULL;
	json_t *objs = json_array(), *doc = json_loads(cdx, 0, NULL), *one;
	size_t n_boms = 0, n_new = 0;
	int seen = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/trilex.db", dir);
	assert_int_equal(store_open(path, 1, &st, &err), TX_OK);
	assert_int_equal(store_collection_ensure(st, "Work", "", "work", &c, &err), TX_OK);
	/* an advisory and a BOM, stored as STIX like the CLI stores them */
	assert_int_equal(supply_db_new(0, &db, &err), TX_OK);
	supply_db_set_emit(db, objs, &o);
	assert_int_equal(supply_db_load_buffer(db, "r.json", osv, strlen(osv), &err), TX_OK);
	assert_int_equal(supply_bom_from_json(doc, "app.cdx.json", &bom, &err), TX_OK);
	one = supply_bom_to_stix(doc, "app", NULL, &o);
	assert_non_null(one);
	json_array_append_new(objs, one);
	assert_int_equal(supply_store_objects(st, c.pk, objs, &n, NULL, NULL, &err), TX_OK);
	assert_int_equal(n.added, 2);
	assert_int_equal(n.failed, 0);

	/* loaded back: one BOM; re-checked: one finding, once */
	assert_int_equal(supply_db_new(0, &db2, &err), TX_OK);
	assert_int_equal(supply_node_load(st, db2, NULL, NULL, &node, &err), TX_OK);
	assert_int_equal(supply_node_boms(node), 1);
	assert_int_equal(supply_node_recheck(st, db2, node, NULL, found, NULL, &seen,
					     &n_new, &err), TX_OK);
	assert_int_equal(n_new, 1);
	assert_int_equal(seen, 1);
	assert_int_equal(supply_recheck_stored(st, &n_boms, &n_new, &err), TX_OK);
	assert_int_equal(n_boms, 1);
	assert_int_equal(n_new, 0);
	/* the note and the alert are stored, under the BOM's marking */
	{
		struct store_query q = { 0 };
		const char *types[] = { "report" };
		struct store_page page = { 0 };
		q.collection_pk = c.pk;
		q.types = types;
		q.n_types = 1;
		q.limit = 10;
		/* AMBER as TLP 2.0 names it: what the derived marking gives */
		assert_int_equal(store_query_objects(st, &q, report_row, (void *)
						     "marking-definition--55d920b0-"
						     "5e8b-4f79-9ee9-91f868d9b421",
						     &page, &err), TX_OK);
		assert_int_equal(page.n, 1);
	}
	supply_node_free(node);
	supply_db_free(db);
	supply_db_free(db2);
	supply_bom_free(bom);
	json_decref(objs);
	json_decref(doc);
	store_close(st);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stored_recheck),
		cmocka_unit_test(test_semver),
		cmocka_unit_test(test_pep440),
		cmocka_unit_test(test_maven),
		cmocka_unit_test(test_debian),
		cmocka_unit_test(test_vendor_matching),
		cmocka_unit_test(test_ranges_and_rank),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_stix_round_trip),
		cmocka_unit_test(test_csaf_ranges),
		cmocka_unit_test(test_csaf_errors_and_stix),
		cmocka_unit_test(test_vex_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
