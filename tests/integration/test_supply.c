/*
 * End-to-end tests of the supply-chain checks: `trilex sbom check` on the
 * shared SBOMs with our advisories and the shared Go OSV corpus, KEV and
 * FCC list; `trilex advisory import` into a real node (and the objects
 * seen over HTTPS); `trilex sbom add` and new findings after an import.
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

#include "harness.h"

static struct node N;
static char osv[4096], kev[4096], vendors[4096], parts[4096], prio[4096],
	mixed[4096];

static int setup(void **state)
{
	testdata_path("supply/osv", osv, sizeof(osv));
	testdata_path("supply/kev-test.json", kev, sizeof(kev));
	testdata_path("supply/vendors.json", vendors, sizeof(vendors));
	testdata_path("supply/parts.csv", parts, sizeof(parts));
	testdata_path("supply/priority.json", prio, sizeof(prio));
	testdata_path("supply/mixed.cdx.json", mixed, sizeof(mixed));
	/* re-check stored BOMs within a second of new objects (test pace) */
	return node_create(&N, "\"recheck_s\": 1") == 0 && node_start(&N) == 0 ?
		       0 : -1;
}

static int teardown(void **state)
{
	int rc = node_stop(&N);

	node_destroy(&N);
	return rc == 0 ? 0 : -1;
}

/* The finding of the report with this path and kind, or NULL. */
static json_t *finding(json_t *rep, const char *path, const char *kind)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		const char *p = json_string_value(json_object_get(
			json_object_get(f, "component"), "path"));
		const char *k = json_string_value(json_object_get(f, "kind"));
		if (p && k && strcmp(p, path) == 0 && strcmp(k, kind) == 0)
			return f;
	}
	return NULL;
}

static const char *fixed_of(json_t *f)
{
	return json_string_value(json_object_get(f, "fixed"));
}

static json_t *run_json(const char *const *args, int want_rc)
{
	char *out = NULL, *err = NULL;
	json_t *j;
	int rc = run_trilex(args, NULL, &out, &err);

	if (rc != want_rc)
		fail_msg("exit %d (wanted %d): %s", rc, want_rc, err);
	j = json_loads(out, 0, NULL);
	if (j == NULL)
		fail_msg("not JSON: %s", out);
	free(out);
	free(err);
	return j;
}

static void test_old_npm_json(void **state)
{
	char sbom[4096];
	json_t *rep, *f;
	size_t i;

	if (!shared_path("data/sbom/old-npm-versions.cdx.json", sbom, sizeof(sbom)))
		skip();
	const char *args[] = { "sbom", "check", "--advisories", osv, "--advisories",
			       kev, "--json", sbom, NULL };
	rep = run_json(args, 0);
	/* exactly the members the issue names */
	assert_int_equal(json_object_size(rep), 2);
	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		assert_int_equal(json_object_size(f), 6);
		assert_int_equal(json_object_size(json_object_get(f, "component")), 4);
		assert_int_equal(json_integer_value(json_object_get(f, "rank")),
				 (json_int_t)i + 1);
	}
	f = finding(rep, "lodash@4.17.4", "vulnerable");
	assert_non_null(f);
	assert_string_equal(fixed_of(f), "4.17.12");
	assert_string_equal(json_string_value(json_object_get(f, "severity")),
			    "critical");
	assert_string_equal(json_string_value(json_array_get(json_object_get(f,
		"advisories"), 1)), "CVE-2019-10744");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f,
		"component"), "purl")), "pkg:npm/lodash@4.17.4");
	assert_non_null(finding(rep, "window-size@0.1.0", "malicious"));
	assert_non_null(finding(rep, "minimist@0.0.8", "known-exploited"));
	assert_string_equal(fixed_of(finding(rep, "jquery@2.2.4", "vulnerable")),
			    "3.5.0");
	f = finding(rep, "handlebars@4.0.11", "vulnerable");
	assert_non_null(f);
	assert_null(fixed_of(f)); /* last_affected: no fixed version */
	assert_non_null(finding(rep, "marked@0.3.5", "vulnerable"));
	assert_string_equal(fixed_of(finding(rep, "axios@0.18.0", "vulnerable")),
			    "0.18.1");
	assert_string_equal(fixed_of(finding(rep, "ws@5.2.0", "vulnerable")), "5.2.3");
	assert_non_null(finding(rep, "finalhandler@1.0.6 > debug@2.6.9", "vulnerable"));
	assert_null(finding(rep, "debug@2.6.1", "vulnerable"));
	assert_null(finding(rep, "express@4.15.0", "vulnerable"));
	assert_int_equal(json_array_size(json_object_get(rep, "findings")), 9);
	json_t *sum = json_object_get(rep, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum, "components")), 82);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum,
		"by_kind"), "malicious")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum,
		"by_severity"), "critical")), 2);
	/* the malicious package ranks first (critical, then kind) */
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(rep, "findings"), 0), "kind")), "malicious");
	json_decref(rep);
}

static void test_fail_on_and_table(void **state)
{
	char sbom[4096], *out = NULL, *err = NULL;

	if (!shared_path("data/sbom/old-npm-versions.cdx.json", sbom, sizeof(sbom)))
		skip();
	const char *crit[] = { "sbom", "check", "--advisories", osv, "--fail-on",
			       "critical", sbom, NULL };
	assert_int_equal(run_trilex(crit, NULL, &out, &err), 3);
	assert_non_null(strstr(out, "rank"));
	assert_non_null(strstr(out, "malicious"));
	free(out);
	free(err);
	/* the hardware BOM has no finding against these */
	char hbom[4096];
	shared_path("data/sbom/pcie-sata-adapter-board.hbom.cdx.json", hbom,
		    sizeof(hbom));
	const char *none[] = { "sbom", "check", "--advisories", osv, "--fail-on",
			       "any", hbom, NULL };
	assert_int_equal(run_trilex(none, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "0 findings"));
	free(out);
	free(err);
	const char *bad[] = { "sbom", "check", "--advisories", osv, "--fail-on",
			      "severe", hbom, NULL };
	assert_int_equal(run_trilex(bad, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "--fail-on"));
	free(out);
	free(err);
	const char *usage[] = { "sbom", "check", hbom, NULL };
	assert_int_equal(run_trilex(usage, NULL, &out, &err), 2);
	free(out);
	free(err);
	/* a broken BOM: file, line and column */
	char tmp[] = "/tmp/trilex-bom-XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"bomFormat\": \"CycloneDX\",\n \"components\": [,]}",
			       46), 46);
	close(fd);
	const char *broken[] = { "sbom", "check", "--advisories", osv, tmp, NULL };
	assert_int_equal(run_trilex(broken, NULL, &out, &err), 1);
	assert_non_null(strstr(err, ":2:"));
	free(out);
	free(err);
	unlink(tmp);
}

static void test_hbom_counterfeit(void **state)
{
	char hbom[4096];
	json_t *rep;

	if (!shared_path("data/sbom/pcie-sata-adapter-board.hbom.cdx.json", hbom,
			 sizeof(hbom)))
		skip();
	const char *args[] = { "sbom", "check", "--advisories", parts, "--json",
			       hbom, NULL };
	rep = run_json(args, 0);
	assert_non_null(finding(rep, "47155-4001 (molex-47155-4001)", "counterfeit"));
	assert_int_equal(json_array_size(json_object_get(rep, "findings")), 1);
	json_decref(rep);
}

static void test_mixed_with_shared_corpus(void **state)
{
	char go[4096], fcc[4096], rkev[4096];
	json_t *rep, *f;

	if (!shared_path("data/advisories/go-vulndb-osv.tar.gz", go, sizeof(go)) ||
	    !shared_path("data/advisories/fcc-covered-list.csv", fcc, sizeof(fcc)) ||
	    !shared_path("data/advisories/cisa-kev.json", rkev, sizeof(rkev)))
		skip();
	const char *args[] = { "sbom", "check", "--advisories", osv,
			       "--advisories", vendors, "--advisories", parts,
			       "--advisories", fcc, "--advisories", go,
			       "--advisories", rkev, "--advisories", prio, "--json",
			       mixed, NULL };
	rep = run_json(args, 0);
	/* Go corpus: pseudo-version fixed, nested component */
	f = finding(rep, "controller@3 > github.com/miekg/dns@v1.0.3", "vulnerable");
	assert_non_null(f);
	assert_non_null(finding(rep, "controller@3 > github.com/wazuh/wazuh@"
				"v4.5.0+incompatible", "known-exploited"));
	/* Maven + real KEV */
	f = finding(rep, "log4j-core@2.14.1", "known-exploited");
	assert_non_null(f);
	assert_string_equal(fixed_of(f), "2.15.0");
	assert_null(finding(rep, "log4j-core@2.15.0", "known-exploited"));
	/* PEP 440, dpkg, unknown ordering */
	assert_non_null(finding(rep, "Django@3.2rc1", "vulnerable"));
	assert_string_equal(fixed_of(finding(rep, "openssl@1.1.1n-0+deb11u3",
					     "vulnerable")), "1.1.1n-0+deb11u4");
	assert_non_null(finding(rep, "smallvec@1.6.0", "unverified"));
	/* vendors: FCC name with legal suffix, our list, a false friend */
	assert_non_null(finding(rep, "border-router@2.1", "watch-listed-manufacturer"));
	assert_non_null(finding(rep, "gimbal-camera@1", "watch-listed-manufacturer"));
	assert_null(finding(rep, "router-fw@2.1", "watch-listed-supplier"));
	/* parts: by lot, outside the lots, lot unknown, date code, hash */
	assert_non_null(finding(rep, "SN74LVC1G14DBVR", "counterfeit"));
	assert_null(finding(rep, "sn74lvc1g14-dbvr (other-lot)", "counterfeit"));
	assert_null(finding(rep, "sn74lvc1g14-dbvr (other-lot)", "suspect"));
	assert_non_null(finding(rep, "SN74LVC1G14DBVR (no-lot)", "suspect"));
	assert_non_null(finding(rep, "STM32F407VGT6", "suspect"));
	assert_non_null(finding(rep, "fpga-bitstream@7", "counterfeit"));
	/* tier 1 (its own category) ranks first */
	f = json_array_get(json_object_get(rep, "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(f,
		"component"), "name")), "Django");
	json_decref(rep);
}

static void test_import_check_dir_and_taxii(void **state)
{
	char sbom[4096], *out = NULL, *err = NULL, path[512];
	struct http_resp r;
	json_t *a, *b;

	const char *imp[] = { "advisory", "import", "--dir", N.dir, "--collection",
			      "main", osv, kev, vendors, parts, prio, NULL };
	assert_int_equal(run_trilex(imp, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "16 advisories (1 malicious), 1 KEV entries, "
			       "2 vendors, 4 parts, a priority list"));
	assert_non_null(strstr(out, "24 objects: 24 added, 0 already present, 0 failed"));
	free(out);
	free(err);
	/* again: nothing new for the advisories and the KEV entry */
	assert_int_equal(run_trilex(imp, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "0 failed"));
	assert_non_null(strstr(out, "17 already present"));
	free(out);
	free(err);

	/* what partners see over TAXII: STIX vulnerabilities, TLP:GREEN */
	snprintf(path, sizeof(path), "/api/collections/main/objects/?match[type]="
		 "vulnerability&limit=100");
	assert_int_equal(http(&N, "GET", path, "reader", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "objects")), 17);
	json_t *o = json_array_get(json_object_get(r.json, "objects"), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o,
		"object_marking_refs"), 0)),
		"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da");
	http_free(&r);

	if (!shared_path("data/sbom/old-npm-versions.cdx.json", sbom, sizeof(sbom)))
		skip();
	/* the node's copy gives the same findings as the files */
	const char *from_dir[] = { "sbom", "check", "--dir", N.dir, "--json", sbom,
				   NULL };
	const char *from_files[] = { "sbom", "check", "--advisories", osv,
				     "--advisories", kev, "--json", sbom, NULL };
	a = run_json(from_dir, 0);
	b = run_json(from_files, 0);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
}

static void test_sbom_add_then_new_advisory(void **state)
{
	char sbom[4096], *out = NULL, *err = NULL;
	struct http_resp r;

	if (!shared_path("data/sbom/old-npm-versions.cdx.json", sbom, sizeof(sbom)))
		skip();
	const char *add[] = { "sbom", "add", "--dir", N.dir, "--collection", "main",
			      "--category", "government-it", sbom, NULL };
	assert_int_equal(run_trilex(add, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "x-trilex-sbom--"));
	assert_non_null(strstr(err, "9 findings recorded"));
	free(out);
	free(err);

	/* a new advisory for a nested package: one new finding, once */
	char tmp[] = "/tmp/trilex-osv-XXXXXX.json";
	int fd = mkstemps(tmp, 5);
	const char *adv = "{\"id\": \"TRILEX-TEST-0200\", \"modified\": "
			  "\"2024-02-01T00:00:00Z\", \"affected\": [{\"package\": "
			  "{\"ecosystem\": \"npm\", \"name\": \"ms\"}, \"ranges\": "
			  "[{\"type\": \"SEMVER\", \"events\": [{\"introduced\": "
			  "\"0\"}, {\"fixed\": \"2.0.1\"}]}]}]}";
	assert_true(fd >= 0);
	assert_int_equal(write(fd, adv, strlen(adv)), (ssize_t)strlen(adv));
	close(fd);
	const char *imp[] = { "advisory", "import", "--dir", N.dir, tmp, NULL };
	assert_int_equal(run_trilex(imp, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "new finding: proj-vuln@1.0.0: vulnerable "
			       "finalhandler@1.0.6 > ms@2.0.0"));
	assert_non_null(strstr(out, "1 stored BOMs re-checked: 2 new findings"));
	free(out);
	free(err);
	const char *again[] = { "sbom", "recheck", "--dir", N.dir, NULL };
	assert_int_equal(run_trilex(again, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "1 stored BOMs re-checked: 0 new findings"));
	free(out);
	free(err);
	unlink(tmp);

	/* the findings are notes in the node, readable over TAXII */
	assert_int_equal(http(&N, "GET", "/api/collections/main/objects/?match[type]"
			      "=note&limit=100", "reader", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	/* 9 + 2 findings and the priority list */
	assert_int_equal(json_array_size(json_object_get(r.json, "objects")), 12);
	http_free(&r);
	/* and each new finding raised an alert */
	const char *ls[] = { "alerts", "--dir", N.dir, "--json", NULL };
	assert_int_equal(run_trilex(ls, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "Supply chain: vulnerable finalhandler@1.0.6 > "
			       "ms@2.0.0"));
	free(out);
}

static int has_alert(const struct node *n, void *needle)
{
	char *out = NULL;
	const char *ls[] = { "alerts", "--dir", n->dir, "--json", NULL };
	int found = run_trilex(ls, NULL, &out, NULL) == 0 && out &&
		    strstr(out, needle) != NULL;

	free(out);
	return found;
}

/* An advisory a partner imports reaches this node, which re-checks its
 * stored BOMs by itself and raises an alert on the new finding. */
static void test_partner_advisory_rechecks(void **state)
{
	struct node uk;
	char sbom[4096], tmp[] = "/tmp/trilex-osv-XXXXXX.json", *out = NULL;

	if (!shared_path("data/sbom/old-npm-versions.cdx.json", sbom, sizeof(sbom)))
		skip();
	assert_int_equal(node_create_as(&uk, "UK", NULL), 0);
	assert_int_equal(node_pair(&N, &uk), 0);
	assert_int_equal(node_start(&uk), 0);
	int fd = mkstemps(tmp, 5);
	const char *adv = "{\"id\": \"TRILEX-TEST-0300\", \"modified\": "
			  "\"2024-03-01T00:00:00Z\", \"affected\": [{\"package\": "
			  "{\"ecosystem\": \"npm\", \"name\": \"debug\"}, \"ranges\": "
			  "[{\"type\": \"SEMVER\", \"events\": [{\"introduced\": "
			  "\"2.0.0\"}, {\"fixed\": \"2.6.10\"}]}]}]}";
	assert_true(fd >= 0);
	assert_int_equal(write(fd, adv, strlen(adv)), (ssize_t)strlen(adv));
	close(fd);
	const char *imp[] = { "advisory", "import", "--dir", uk.dir, tmp, NULL };
	char *err = NULL;
	int rc = run_trilex(imp, NULL, &out, &err);
	if (rc != 0)
		fprintf(stderr, "advisory import: exit %d\n%s%s", rc, out, err);
	assert_int_equal(rc, 0);
	free(out);
	free(err);
	unlink(tmp);
	assert_true(wait_for(has_alert, &N, "TRILEX-TEST-0300", 20000));
	assert_int_equal(node_stop(&uk), 0);
	node_destroy(&uk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_npm_json),
		cmocka_unit_test(test_fail_on_and_table),
		cmocka_unit_test(test_hbom_counterfeit),
		cmocka_unit_test(test_mixed_with_shared_corpus),
		cmocka_unit_test(test_import_check_dir_and_taxii),
		cmocka_unit_test(test_sbom_add_then_new_advisory),
		cmocka_unit_test(test_partner_advisory_rechecks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
