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

/* The finding of this component path, kind and advisory, or NULL. */
static json_t *finding_adv(json_t *rep, const char *path, const char *kind,
			   const char *adv)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		const char *p = json_string_value(json_object_get(
			json_object_get(f, "component"), "path"));
		const char *k = json_string_value(json_object_get(f, "kind"));
		json_t *ids = json_object_get(f, "advisories");
		int has = 0;

		for (size_t j = 0; j < json_array_size(ids); j++)
			has |= strcmp(json_string_value(json_array_get(ids, j)), adv) == 0;
		if (p && k && has && strcmp(p, path) == 0 && strcmp(k, kind) == 0)
			return f;
	}
	return NULL;
}

static size_t findings_of(json_t *rep, const char *path)
{
	json_t *f;
	size_t i, n = 0;

	json_array_foreach(json_object_get(rep, "findings"), i, f)
		n += strcmp(json_string_value(json_object_get(json_object_get(f,
			"component"), "path")), path) == 0;
	return n;
}

static const char *str_at(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	return json_string_value(b ? json_object_get(v, b) : v);
}

/* CSAF 2.0: our own advisory (ranges, exact versions, model numbers, purl,
 * an unreadable range), with one bad document beside it in an archive. */
static void test_csaf_own_documents(void **state)
{
	char tar[4096], bom[4096], *out = NULL, *err = NULL;
	json_t *rep, *f;

	testdata_path("supply/csaf-mixed.tar.gz", tar, sizeof(tar));
	testdata_path("supply/ot.cdx.json", bom, sizeof(bom));
	const char *args[] = { "sbom", "check", "--advisories", tar, "--json", bom,
			       NULL };
	assert_int_equal(run_trilex(args, NULL, &out, &err), 0);
	/* the bad member is named, with the field; the good one still counts */
	assert_non_null(strstr(err, "csaf-mixed.tar.gz:csaf/bad.json: "
			       "vulnerabilities[0].product_status.known_affected[2]: "
			       "product id \"P9\" is not defined"));
	assert_non_null(strstr(err, "1 advisory documents were not valid"));
	rep = json_loads(out, 0, NULL);
	assert_non_null(rep);
	free(out);
	free(err);
	/* inside >=2.0|<2.4.1, by product name and vendor (legal suffix) */
	f = finding_adv(rep, "PLC-5000@2.3.9", "vulnerable",
			"CVE-2024-90001");
	assert_non_null(f);
	assert_string_equal(str_at(f, "severity", NULL), "critical");
	assert_string_equal(str_at(f, "product", "matched_by"), "product name");
	assert_string_equal(str_at(f, "remediation", NULL),
			    "vendor_fix: Update to 2.4.1");
	/* 2.4.1 is the fixed version: nothing */
	assert_int_equal(findings_of(rep, "PLC-5000@2.4.1"), 0);
	/* by its part number as a model number */
	f = finding_adv(rep, "controller@2.1", "vulnerable",
			"ACME-SA-2024-001");
	assert_non_null(f);
	assert_string_equal(str_at(f, "product", "matched_by"), "model number");
	/* by purl, vers range */
	f = finding_adv(rep, "edgegate-firmware@3.0.2", "vulnerable",
			"CVE-2024-90002");
	assert_non_null(f);
	assert_string_equal(str_at(f, "product", "matched_by"), "purl");
	assert_string_equal(str_at(f, "severity", NULL), "medium");
	assert_int_equal(findings_of(rep, "edgegate-firmware@3.1.0"),
			 0);
	/* a range in words: uncertain, and said why */
	f = finding_adv(rep, "HMI Panel@1.0", "unverified", "CVE-2024-90001");
	assert_non_null(f);
	assert_non_null(strstr(str_at(f, "reason", NULL), "not machine-readable"));
	json_decref(rep);
}

/* The 344 CISA ICS advisories of 2024 against a BOM of real products. */
static void test_csaf_cisa_2024(void **state)
{
	char tar[4096], bom[4096], hbom[4096];
	json_t *rep, *f;

	if (!shared_path("data/advisories/cisa-csaf-ot-2024.tar.gz", tar,
			 sizeof(tar)))
		skip();
	testdata_path("supply/ot.cdx.json", bom, sizeof(bom));
	const char *args[] = { "sbom", "check", "--advisories", tar, "--json", bom,
			       NULL };
	rep = run_json(args, 0);
	/* Siemens SCALANCE SC622-2C V3.0.5 (ICSA-24-046-09): < V3.1 and all
	 * versions, not < V3.0.2 */
	f = finding_adv(rep, "SCALANCE SC622-2C@V3.0.5", "vulnerable",
			"CVE-2023-44319");
	assert_non_null(f);
	assert_string_equal(str_at(f, "product", "name"),
			    "SCALANCE SC622-2C (6GK5622-2GS00-2AC2)");
	assert_non_null(finding_adv(rep, "SCALANCE SC622-2C@V3.0.5", "vulnerable",
				    "CVE-2024-3596"));
	/* the same order number without a vendor: uncertain, with the reason */
	f = finding_adv(rep, "6GK5622-2GS00-2AC2@V3.0.5", "unverified",
			"CVE-2023-44319");
	assert_non_null(f);
	assert_non_null(strstr(str_at(f, "reason", NULL), "no supplier or "
			       "manufacturer"));
	/* ... and under another vendor's name: not that product */
	assert_int_equal(findings_of(rep, "6GK5622-2GS00-2AC2@V3.0.6"), 0);
	/* Yokogawa PC2CKM (ICSA-24-261-03, >=R1.01.00|<R2.03.00) */
	assert_non_null(finding_adv(rep, "Dual-redundant Platform for Computer "
				    "(PC2CKM)@R1.02.00", "vulnerable",
				    "CVE-2024-8110"));
	assert_int_equal(findings_of(rep, "Dual-redundant Platform for Computer "
				     "(PC2CKM)@R2.03.00"), 0);
	json_decref(rep);

	/* the shared HBOM's connectors and chips are in no ICS advisory */
	if (!shared_path("data/sbom/pcie-sata-adapter-board.hbom.cdx.json", hbom,
			 sizeof(hbom)))
		skip();
	const char *h[] = { "sbom", "check", "--advisories", tar, "--json", hbom,
			    NULL };
	rep = run_json(h, 0);
	assert_int_equal(json_array_size(json_object_get(rep, "findings")), 0);
	json_decref(rep);
}

/* Imported into a node: shared as STIX under the stricter of --tlp and
 * the document's own TLP, and read back to the same findings. */
static void test_csaf_import(void **state)
{
	char tar[4096], bom[4096], cisa[4096], *out = NULL, *err = NULL;
	struct http_resp r;
	json_t *a, *b, *o;
	size_t i;
	int seen = 0;

	testdata_path("supply/csaf-mixed.tar.gz", tar, sizeof(tar));
	testdata_path("supply/ot.cdx.json", bom, sizeof(bom));
	const char *imp[] = { "advisory", "import", "--dir", N.dir, "--collection",
			      "main", tar, NULL };
	/* one document was bad: named, skipped, exit 3; the other stored */
	assert_int_equal(run_trilex(imp, NULL, &out, &err), 3);
	assert_non_null(strstr(out, "1 CSAF documents (4 products)"));
	assert_non_null(strstr(err, "csaf/bad.json: vulnerabilities[0]"));
	free(out);
	free(err);
	assert_int_equal(http(&N, "GET", "/api/collections/main/objects/?match[type]="
			      "vulnerability&limit=500", "reader", NULL, NULL, NULL,
			      0, &r), 0);
	assert_int_equal(r.status, 200);
	json_array_foreach(json_object_get(r.json, "objects"), i, o) {
		if (strcmp(str_at(o, "name", NULL), "ACME-SA-2024-001") != 0)
			continue;
		seen = 1;
		/* TLP:AMBER in the document beats the default TLP:GREEN */
		assert_string_equal(json_string_value(json_array_get(json_object_get(
			o, "object_marking_refs"), 0)),
			"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82");
	}
	assert_true(seen);
	http_free(&r);
	if (!shared_path("data/advisories/cisa-csaf-ot-2024.tar.gz", cisa,
			 sizeof(cisa)))
		skip();
	const char *imp2[] = { "advisory", "import", "--dir", N.dir, "--collection",
			       "main", cisa, NULL };
	assert_int_equal(run_trilex(imp2, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "344 CSAF documents"));
	assert_non_null(strstr(out, "0 failed"));
	free(out);
	free(err);
	const char *from_dir[] = { "sbom", "check", "--dir", N.dir, "--json", bom,
				   NULL };
	const char *from_files[] = { "sbom", "check", "--advisories", tar,
				     "--advisories", cisa, "--json", bom, NULL };
	a = run_json(from_dir, 0);
	b = run_json(from_files, 0);
	assert_true(json_array_size(json_object_get(a, "findings")) > 10);
	assert_true(json_equal(json_object_get(a, "findings"),
			       json_object_get(b, "findings")));
	json_decref(a);
	json_decref(b);
}

static json_t *finding_path(json_t *rep, const char *path)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(rep, "findings"), i, f)
		if (strcmp(str_at(f, "component", "path"), path) == 0)
			return f;
	return NULL;
}

/* VEX: OpenVEX 0.2 (statements, products with @id purls and
 * subcomponents, status and justification) and CycloneDX 1.5 VEX
 * (vulnerabilities[].analysis, affects[].ref as BOM-Link or purl, with
 * versions) mark the findings they cover, for the products and versions
 * they name only; nothing is dropped. */
static void test_vex_marks_findings(void **state)
{
	char bom[4096], ovex[4096], cvex[4096], *out = NULL, *err = NULL;
	json_t *rep, *f, *a, *b;

	testdata_path("supply/vex/app.cdx.json", bom, sizeof(bom));
	testdata_path("supply/vex/app.openvex.json", ovex, sizeof(ovex));
	testdata_path("supply/vex/app.vex.cdx.json", cvex, sizeof(cvex));
	const char *args[] = { "sbom", "check", "--advisories", osv,
			       "--advisories", ovex, "--advisories", cvex,
			       "--json", bom, NULL };
	rep = run_json(args, 0);
	/* every finding is still there */
	assert_int_equal(json_array_size(json_object_get(rep, "findings")), 5);
	/* OpenVEX not_affected for log4j-core@2.14.1 by purl with version */
	f = finding_path(rep, "log4j-core@2.14.1");
	assert_non_null(f);
	assert_string_equal(str_at(f, "vex", "state"), "not_affected");
	assert_string_equal(str_at(f, "vex", "justification"),
			    "vulnerable_code_not_in_execute_path");
	assert_string_equal(str_at(f, "vex", "source"),
			    "https://csirt.example/vex/ops-portal-2024-001");
	assert_true(json_is_true(json_object_get(json_object_get(f, "vex"),
						 "cleared")));
	/* 2.14.0 is not the version named: CycloneDX's range (>=2.0|<2.14.1)
	 * says exploitable, which clears nothing */
	f = finding_path(rep, "log4j-core@2.14.0");
	assert_string_equal(str_at(f, "vex", "state"), "exploitable");
	assert_true(json_is_false(json_object_get(json_object_get(f, "vex"),
						  "cleared")));
	/* a statement on Django 3.2.4, and one on another BOM's "django"
	 * (BOM-Link serial): neither is about this Django 3.2rc1 */
	f = finding_path(rep, "Django@3.2rc1");
	assert_non_null(f);
	assert_null(json_object_get(f, "vex"));
	/* BOM-Link to this BOM's bom-ref, state resolved with its detail */
	f = finding_path(rep, "openssl@1.1.1n-0+deb11u3");
	assert_string_equal(str_at(f, "vex", "state"), "resolved");
	assert_string_equal(str_at(f, "vex", "detail"),
			    "rebuilt with the upstream patch (deb11u3+ops1)");
	/* OpenVEX subcomponent purl without version: every version */
	f = finding_path(rep, "smallvec@1.6.0");
	assert_string_equal(str_at(f, "vex", "state"), "under_investigation");
	f = json_object_get(json_object_get(rep, "summary"), "vex");
	assert_int_equal(json_integer_value(json_object_get(f, "marked")), 4);
	assert_int_equal(json_integer_value(json_object_get(f, "cleared")), 2);
	json_decref(rep);

	/* the text table says it too */
	const char *text[] = { "sbom", "check", "--advisories", osv,
			       "--advisories", ovex, "--advisories", cvex, bom, NULL };
	assert_int_equal(run_trilex(text, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "5 findings (4 covered by VEX statements, 2 of "
			       "them not applicable)"));
	assert_non_null(strstr(out, "VEX not_affected: "
			       "vulnerable_code_not_in_execute_path \"JndiLookup"));
	free(out);
	free(err);

	/* imported into the node: notes, and the same marks from there */
	const char *imp[] = { "advisory", "import", "--dir", N.dir, "--collection",
			      "main", ovex, cvex, NULL };
	assert_int_equal(run_trilex(imp, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "6 VEX statements"));
	free(out);
	free(err);
	const char *from_dir[] = { "sbom", "check", "--dir", N.dir, "--json", bom,
				   NULL };
	const char *from_files[] = { "sbom", "check", "--advisories", osv,
				     "--advisories", kev, "--advisories", ovex,
				     "--advisories", cvex, "--json", bom, NULL };
	a = run_json(from_dir, 0);
	b = run_json(from_files, 0);
	assert_string_equal(str_at(finding_path(a, "log4j-core@2.14.1"), "vex",
				   "state"), "not_affected");
	assert_true(json_equal(json_object_get(a, "findings"),
			       json_object_get(b, "findings")));
	json_decref(a);
	json_decref(b);
}

/* --fail-on leaves out what a VEX statement says does not apply. */
static void test_vex_fail_on(void **state)
{
	char ovex[4096], tmp[] = "/tmp/trilex-bom-XXXXXX.json";
	const char *bomtext = "{\"bomFormat\": \"CycloneDX\", \"specVersion\": "
		"\"1.5\", \"components\": [{\"type\": \"library\", \"name\": "
		"\"log4j-core\", \"version\": \"2.14.1\", \"purl\": "
		"\"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1\"}]}";
	char *out = NULL, *err = NULL;
	int fd = mkstemps(tmp, 5);

	testdata_path("supply/vex/app.openvex.json", ovex, sizeof(ovex));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bomtext, strlen(bomtext)),
			 (ssize_t)strlen(bomtext));
	close(fd);
	const char *without[] = { "sbom", "check", "--advisories", osv,
				  "--fail-on", "high", tmp, NULL };
	const char *with[] = { "sbom", "check", "--advisories", osv,
			       "--advisories", ovex, "--fail-on", "high", tmp, NULL };
	assert_int_equal(run_trilex(without, NULL, &out, &err), 3);
	free(out);
	free(err);
	assert_int_equal(run_trilex(with, NULL, &out, &err), 0);
	/* still listed */
	assert_non_null(strstr(out, "log4j-core@2.14.1"));
	assert_non_null(strstr(out, "1 findings (1 covered by VEX"));
	free(out);
	free(err);
	unlink(tmp);
}

static json_t *eco_row(json_t *rep, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(rep, "summary"),
					   "ecosystems"), i, e)
		if (strcmp(str_at(e, "ecosystem", NULL), name) == 0)
			return e;
	return NULL;
}

static int has_warning(json_t *rep, const char *needle)
{
	json_t *w;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(rep, "summary"),
					   "warnings"), i, w)
		if (strstr(json_string_value(w), needle) != NULL)
			return 1;
	return 0;
}

/* A check says what it had per ecosystem, and warns when the BOM holds
 * components of an ecosystem it had no advisories for. */
static void test_ecosystem_counts_and_warnings(void **state)
{
	char *out = NULL, *err = NULL;
	json_t *rep, *e;

	const char *args[] = { "sbom", "check", "--advisories", osv, "--json",
			       mixed, NULL };
	assert_int_equal(run_trilex(args, NULL, &out, &err), 0);
	rep = json_loads(out, 0, NULL);
	assert_non_null(rep);
	e = eco_row(rep, "Go");
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "components")), 2);
	assert_int_equal(json_integer_value(json_object_get(e, "advisories")), 0);
	e = eco_row(rep, "npm");
	assert_int_equal(json_integer_value(json_object_get(e, "components")), 0);
	assert_true(json_integer_value(json_object_get(e, "advisories")) > 0);
	assert_true(has_warning(rep, "2 Go components but no Go advisories "
				"loaded: not checked for vulnerabilities"));
	assert_false(has_warning(rep, "PyPI"));
	assert_non_null(strstr(err, "warning: 2 Go components but no Go"));
	json_decref(rep);
	free(out);
	free(err);

	/* CSAF: devices are checked; firmware with a purl that a CSAF product
	 * names is not "unchecked" though no OSV advisory has its ecosystem */
	char csaf_dir[4096], ot[4096];

	testdata_path("supply/csaf", csaf_dir, sizeof(csaf_dir));
	testdata_path("supply/ot.cdx.json", ot, sizeof(ot));
	const char *hw[] = { "sbom", "check", "--advisories", csaf_dir, "--json",
			     ot, NULL };
	rep = run_json(hw, 0);
	e = eco_row(rep, "generic");
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "advisories")), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "unchecked")), 0);
	assert_false(has_warning(rep, "generic"));
	assert_false(has_warning(rep, "device/firmware"));
	json_decref(rep);
	const char *none[] = { "sbom", "check", "--advisories", osv, "--json", ot,
			       NULL };
	rep = run_json(none, 0);
	assert_true(has_warning(rep, "10 device/firmware components but no CSAF "
				"advisories loaded"));
	assert_true(has_warning(rep, "2 generic components but no generic "
				"advisories"));
	json_decref(rep);

	/* the three shared BOMs against the Go corpus: none is "clean" */
	static const char *const boms[] = {
		"data/sbom/old-npm-versions.cdx.json",
		"data/sbom/react-scripts-5.0.1.cdx.json",
		"data/sbom/pcie-sata-adapter-board.hbom.cdx.json",
	};
	static const char *const warns[] = {
		"82 npm components but no npm advisories",
		"npm components but no npm advisories",
		"7 device/firmware components but no CSAF advisories",
	};
	char go[4096], b[4096];

	if (!shared_path("data/advisories/go-vulndb-osv.tar.gz", go, sizeof(go)))
		skip();
	for (int i = 0; i < 3; i++) {
		if (!shared_path(boms[i], b, sizeof(b)))
			skip();
		const char *text[] = { "sbom", "check", "--advisories", go, b, NULL };
		assert_int_equal(run_trilex(text, NULL, &out, &err), 0);
		assert_non_null(strstr(out, "0 findings"));
		assert_non_null(strstr(out, "advisories by ecosystem:"));
		assert_non_null(strstr(out, " Go "));
		if (strstr(out, warns[i]) == NULL)
			fail_msg("%s: no warning \"%s\" in:\n%s", boms[i], warns[i],
				 out);
		free(out);
		free(err);
	}
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
		cmocka_unit_test(test_csaf_own_documents),
		cmocka_unit_test(test_csaf_cisa_2024),
		cmocka_unit_test(test_csaf_import),
		cmocka_unit_test(test_vex_marks_findings),
		cmocka_unit_test(test_vex_fail_on),
		cmocka_unit_test(test_ecosystem_counts_and_warnings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
