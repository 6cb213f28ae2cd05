/*
 * Allocation failure, everywhere outside input is read: each parser is run
 * once to count its allocations, then once per allocation with that one
 * failing (failalloc). Every run must come back with an error or a result,
 * never crash, and leave nothing allocated; an ingest that fails must
 * store nothing of its batch, one that succeeds all of it. Skipped under
 * ASan, which has its own allocator (it finds leaks itself).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"
#include "pattern/pattern.h"
#include "policy/policy.h"
#include "sensor/sensor.h"
#include "stix/stix.h"
#include "store/store.h"
#include "supply/supply.h"
#include "taxii/taxii.h"

/* An operation under test: 0 done, 1 refused with a message in err. */
typedef int (*op_fn)(void *ctx, struct tx_error *err);

static char *read_file(const char *rel)
{
	const char *base = getenv("TRILEX_TESTDATA");
	char path[4096];
	char *text = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/%s", base ? base : "tests/data", rel);
	if (tx_read_file(path, 1 << 24, &text, &len, NULL) != TX_OK)
		return NULL;
	return text;
}

/* Run op with each of its allocations failing in turn. */
static void each_failure(const char *name, op_fn op, void *ctx, int leaks)
{
	struct tx_error err = { 0 };
	long n_allocs, live, refused = 0;

	if (!failalloc_available())
		skip();
	failalloc_start(0);
	int r = op(ctx, &err);
	n_allocs = failalloc_stop(&live);
	if (r != 0)
		fail_msg("%s: fails without a failed allocation: %s", name, err.msg);
	if (leaks && live != 0)
		fail_msg("%s: %ld allocations left", name, live);
	if (n_allocs == 0)
		skip(); /* the hooks are not in effect */
	for (long n = 1; n <= n_allocs; n++) {
		memset(&err, 0, sizeof(err));
		failalloc_start(n);
		r = op(ctx, &err);
		failalloc_stop(&live);
		if (r != 0) {
			refused++;
			if (err.msg[0] == '\0')
				fail_msg("%s: allocation %ld failed: refused without a"
					 " message", name, n);
		}
		if (leaks && live != 0)
			fail_msg("%s: allocation %ld failed: %ld allocations left",
				 name, n, live);
	}
	/* and afterwards it works as before */
	assert_int_equal(op(ctx, &err), 0);
	print_message("%s: %ld allocations, each failed once: %ld refused,"
		      " the rest absorbed\n", name, n_allocs, refused);
}

static int op_json_load(void *ctx, struct tx_error *err)
{
	const char *text = ctx;
	json_error_t jerr;
	json_t *v = tx_json_load(text, strlen(text), JSON_REJECT_DUPLICATES, &jerr);

	if (v == NULL) {
		tx_error_set(err, TX_ERR_NOMEM, "line %d: %s", jerr.line, jerr.text);
		return 1;
	}
	json_decref(v);
	return 0;
}

/* The JSON reader: containers, strings with and without escapes, a long
 * escaped key (kept apart from the decoding buffer), a long real. */
static void test_json_load(void **state)
{
	char key[60 * 7 + 1], text[1024];

	/* 60 times "k\u00e9": 180 bytes once decoded */
	for (size_t i = 0; i < 60; i++)
		memcpy(key + 7 * i, "k\\u00e9", 7);
	key[60 * 7] = '\0';
	snprintf(text, sizeof(text),
		 "{\"a\":[1,-2,3.5,true,false,null,\"plain\",\"esc\\n\\u00e9\"],"
		 "\"%s\":{\"b\\u0062\":\"\\ud83d\\ude00\"},"
		 "\"r\":1.00000000000000000000000000000000000000000000000000000000000000000001e2}",
		 key);
	each_failure("tx_json_load", op_json_load, text, 1);
}

static int op_validate(void *ctx, struct tx_error *err)
{
	json_error_t jerr;
	json_t *o = json_loads(ctx, 0, &jerr);
	int r;

	if (o == NULL) {
		tx_error_set(err, TX_ERR_NOMEM, "parse: %s", jerr.text);
		return 1;
	}
	r = stix_validate(o, err) != TX_OK;
	json_decref(o);
	return r;
}

static void test_stix_validate(void **state)
{
	const char *obj =
		"{\"type\":\"indicator\",\"spec_version\":\"2.1\","
		"\"id\":\"indicator--00000000-0000-4000-8000-000000000001\","
		"\"created\":\"2024-01-01T00:00:00.000Z\","
		"\"modified\":\"2024-01-01T00:00:00.000Z\",\"name\":\"n\","
		"\"pattern\":\"[ipv4-addr:value = '10.0.0.1']\",\"pattern_type\":\"stix\","
		"\"valid_from\":\"2024-01-01T00:00:00Z\",\"labels\":[\"a\",\"b\"],"
		"\"kill_chain_phases\":[{\"kill_chain_name\":\"k\",\"phase_name\":\"p\"}],"
		"\"external_references\":[{\"source_name\":\"mitre-attack\","
		"\"external_id\":\"T0801\",\"url\":\"https://attack.mitre.org/\"}],"
		"\"granular_markings\":[{\"marking_ref\":\"marking-definition--"
		"94868c89-83c2-464b-929b-a1a8aa3c8487\",\"selectors\":[\"name\"]}]}";

	each_failure("stix_validate", op_validate, (void *)obj, 1);
}

static int op_pattern(void *ctx, struct tx_error *err)
{
	const char *p = ctx;

	return pattern_validate(p, strlen(p), err) != TX_OK;
}

static void test_pattern(void **state)
{
	const char *p = "([ipv4-addr:value ISSUBSET '10.0.0.0/8' AND "
		"network-traffic:dst_ref.value = '10.1.2.3'] FOLLOWEDBY "
		"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f'"
		" OR url:value MATCHES '^https?://[a-z]+\\\\.example/'] ) WITHIN 300 SECONDS"
		" AND [domain-name:value LIKE '%.evil.example'] REPEATS 3 TIMES"
		" START t'2024-01-01T00:00:00Z' STOP t'2025-01-01T00:00:00Z'";

	each_failure("pattern_validate", op_pattern, (void *)p, 1);
}

static int op_eve(void *ctx, struct tx_error *err)
{
	const char *line = ctx;
	struct sensor_event ev = { .line = 1 };
	sensor_eve *r = NULL;
	int rc;

	if (sensor_eve_new(&r) != TX_OK) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return 1;
	}
	rc = sensor_eve_parse(r, line, strlen(line), &ev, err) != TX_OK;
	sensor_eve_free(r);
	return rc;
}

static void test_eve(void **state)
{
	const char *line = "{\"timestamp\":\"2026-11-26T10:00:00.000000+0000\","
		"\"event_type\":\"tls\",\"src_ip\":\"10.0.0.1\",\"src_port\":5555,"
		"\"dest_ip\":\"2001:db8::1\",\"dest_port\":443,\"proto\":\"TCP\","
		"\"tls\":{\"subject\":\"CN=evil.example\",\"issuerdn\":\"CN=ca\","
		"\"serial\":\"01:02\",\"fingerprint\":\"aa:bb\",\"sni\":\"evil.example\","
		"\"version\":\"TLS 1.2\"}}";

	each_failure("sensor_eve_parse", op_eve, (void *)line, 1);
}

/*
 * STIX tree building: with an allocation failing, the object is either
 * refused (NULL) or complete, equal to the one built without a failure,
 * never a partial one.
 */
struct tree_ctx {
	const char *line;
	json_t *want;   /* built once without a failure */
};

static json_t *eve_stix(const char *line, struct tx_error *err)
{
	struct sensor_event ev = { .line = 1 };
	sensor_eve *r = NULL;
	json_t *o = NULL;

	if (sensor_eve_new(&r) != TX_OK) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (sensor_eve_parse(r, line, strlen(line), &ev, err) == TX_OK &&
	    (o = sensor_event_to_stix(&ev)) == NULL)
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	sensor_eve_free(r);
	return o;
}

static int op_eve_stix(void *ctx, struct tx_error *err)
{
	struct tree_ctx *t = ctx;
	json_t *o = eve_stix(t->line, err);
	int same;

	if (o == NULL)
		return 1;
	same = t->want == NULL || json_equal(o, t->want);
	if (!same && getenv("TRILEX_DEBUG_ALLOC")) {
		char *a = json_dumps(o, JSON_SORT_KEYS), *b = json_dumps(t->want, JSON_SORT_KEYS);
		fprintf(stderr, "got:  %s\nwant: %s\n", a, b);
		free(a);
		free(b);
	}
	json_decref(o);
	if (!same)
		fail_msg("sensor_event_to_stix: an allocation failed and a"
			 " partial object came back");
	return 0;
}

static void test_eve_stix(void **state)
{
	struct tree_ctx t = { .line = "{\"timestamp\":\"2026-11-26T10:00:00.000000+0000\","
		"\"event_type\":\"tls\",\"src_ip\":\"10.0.0.1\",\"src_port\":5555,"
		"\"dest_ip\":\"2001:db8::1\",\"dest_port\":443,\"proto\":\"TCP\","
		"\"tls\":{\"subject\":\"CN=evil.example\",\"serial\":\"01:02\","
		"\"fingerprint\":\"aa:bb\",\"sni\":\"evil.example\"},"
		"\"fileinfo\":{\"filename\":\"a.exe\",\"sha256\":\"" 
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\","
		"\"size\":4}}" };
	struct tx_error err = { 0 };

	t.want = eve_stix(t.line, &err);
	assert_non_null(t.want);
	each_failure("sensor_event_to_stix", op_eve_stix, &t, 0);
	json_decref(t.want);
}

/* supply_bom_to_stix: whole (but for its "modified", the time) or NULL. */
struct bom_ctx {
	json_t *doc;
	json_t *want;
};

static int op_bom_stix(void *ctx, struct tx_error *err)
{
	struct bom_ctx *b = ctx;
	const struct supply_stix_opts o = { .marking_ref =
		"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" };
	json_t *v = supply_bom_to_stix(b->doc, "app", "software", &o);
	int same;

	if (v == NULL) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return 1;
	}
	json_object_del(v, "modified");
	same = b->want == NULL || json_equal(v, b->want);
	json_decref(v);
	if (!same)
		fail_msg("supply_bom_to_stix: an allocation failed and a partial"
			 " object came back");
	return 0;
}

static void test_bom_stix(void **state)
{
	struct bom_ctx b = { 0 };
	struct tx_error err = { 0 };
	char *text;

	if (!failalloc_available())
		skip();
	text = read_file("supply/mixed.cdx.json");
	assert_non_null(text);
	b.doc = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(b.doc);
	assert_int_equal(op_bom_stix(&b, &err), 0);
	b.want = supply_bom_to_stix(b.doc, "app", "software", &(const struct supply_stix_opts){
		.marking_ref = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" });
	assert_non_null(b.want);
	json_object_del(b.want, "modified");
	each_failure("supply_bom_to_stix", op_bom_stix, &b, 0);
	json_decref(b.want);
	json_decref(b.doc);
}

static int op_bom(void *ctx, struct tx_error *err)
{
	const char *text = ctx;
	supply_bom *bom = NULL;

	if (supply_bom_parse(text, strlen(text), "mixed.cdx.json", &bom, err) != TX_OK)
		return 1;
	supply_bom_free(bom);
	return 0;
}

/* each_failure of op on the text of the test-data file rel. */
static void each_failure_on_file(const char *name, op_fn op, const char *rel)
{
	char *text;

	if (!failalloc_available())
		skip(); /* before anything is allocated: skip() jumps out */
	text = read_file(rel);
	assert_non_null(text);
	each_failure(name, op, text, 1);
	free(text);
}

static void test_cyclonedx(void **state)
{
	each_failure_on_file("supply_bom_parse", op_bom, "supply/mixed.cdx.json");
}

static int op_policy(void *ctx, struct tx_error *err)
{
	const char *text = ctx;
	policy *p = NULL;

	if (policy_parse(text, strlen(text), "trilateral-default.json", &p, NULL,
			 err) != TX_OK)
		return 1;
	policy_free(p);
	return 0;
}

static void test_policy(void **state)
{
	each_failure_on_file("policy_parse", op_policy,
			     "../../policies/trilateral-default.json");
}

/* Ingest: three new objects per run, all stored or none. */
struct ingest {
	tx_store *st;
	int64_t coll;
	int run;
};

static json_t *three(int run)
{
	json_t *list = json_array();

	for (int k = 0; k < 3; k++) {
		char id[80], pat[64];
		snprintf(id, sizeof(id), "indicator--00000000-0000-4000-8000-%012d",
			 run * 3 + k);
		snprintf(pat, sizeof(pat), "[ipv4-addr:value = '10.%d.%d.%d']",
			 run / 250, run % 250, k);
		json_array_append_new(list, json_pack(
			"{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "indicator",
			"spec_version", "2.1", "id", id, "created",
			"2024-01-01T00:00:00.000Z", "modified", "2024-01-01T00:00:00.000Z",
			"pattern", pat, "pattern_type", "stix", "valid_from",
			"2024-01-01T00:00:00Z"));
	}
	return list;
}

/* The nth allocation inside taxii_ingest fails (SQLite's too), with new
 * objects each time: the batch must be stored whole or not at all. SQLite
 * keeps pages cached, so allocations left are not counted here. */
static void test_ingest(void **state)
{
	char dir[] = "/tmp/trilex-alloc-XXXXXX", path[128], id[TX_UUID_BUF];
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct ingest in = { 0 };
	struct tx_error err = { 0 };
	char sid[TX_UUID_BUF];
	long n_allocs, refused = 0;

	if (!failalloc_available())
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(store_open(path, 1, &in.st, &err), TX_OK);
	assert_int_equal(store_collection_add(in.st, "t", "", "t", id, &err), TX_OK);
	assert_int_equal(store_collection_get(in.st, &admin, "t", &c), TX_OK);
	in.coll = c.pk;
	json_t *objs = three(0);
	failalloc_start(0);
	int r = taxii_ingest(in.st, in.coll, &admin, objs, 0, sid, &err);
	n_allocs = failalloc_stop(NULL);
	json_decref(objs);
	assert_int_equal(r, TX_OK);
	for (long n = 1; n <= n_allocs + 20; n++) {
		int64_t before = 0, after = 0;
		objs = three(++in.run);
		assert_int_equal(store_count_objects(in.st, in.coll, &before), TX_OK);
		memset(&err, 0, sizeof(err));
		failalloc_start(n);
		r = taxii_ingest(in.st, in.coll, &admin, objs, 0, sid, &err);
		failalloc_stop(NULL);
		assert_int_equal(store_count_objects(in.st, in.coll, &after), TX_OK);
		if (r == TX_OK && after != before + 3)
			fail_msg("allocation %ld failed: ingest said yes, stored %lld"
				 " of 3", n, (long long)(after - before));
		if (r != TX_OK) {
			refused++;
			if (after != before)
				fail_msg("allocation %ld failed: ingest failed (%s) but"
					 " stored %lld", n, err.msg,
					 (long long)(after - before));
			if (err.msg[0] == '\0')
				fail_msg("allocation %ld failed: no message", n);
		}
		json_decref(objs);
	}
	/* and afterwards it works */
	objs = three(++in.run);
	assert_int_equal(taxii_ingest(in.st, in.coll, &admin, objs, 0, sid, &err), TX_OK);
	json_decref(objs);
	print_message("taxii_ingest: %ld allocations, each failed once: %ld"
		      " refused, every batch whole or absent\n", n_allocs, refused);
	store_close(in.st);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	/* as every program of trilex does: JSON allocation failures counted */
	tx_json_guard_install();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_load),
		cmocka_unit_test(test_stix_validate),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_eve),
		cmocka_unit_test(test_eve_stix),
		cmocka_unit_test(test_bom_stix),
		cmocka_unit_test(test_cyclonedx),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_ingest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
