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
#include <unistd.h>

#include <microhttpd.h>

#include "console/console.h"
#include "console/internal.h" /* CONSOLE_COOKIE */
#include "crypto/crypto.h"
#include "engine_case.h"
#include "failalloc.h"
#include "federation/federation.h"
#include "misp/misp.h"
#include "pattern/pattern.h"
#include "policy/policy.h"
#include "sensor/sensor.h"
#include "stix/stix.h"
#include "store/internal.h" /* store_db_autocommit: no transaction left open */
#include "store/store.h"
#include "supply/supply.h"
#include "taxii/taxii.h"
#include "watch/internal.h" /* the proposal and vote builders */

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

/* tx_json_dumps: the whole text or NULL, never a text with a part left
 * out (jansson 2.14's json_dumps ignores a failure to write a key and gave
 * "nested":{:1}). Each flag set that trilex uses, on a signed, marked
 * object with nested objects, arrays and escapes. */
struct dumps_sweep {
	json_t *obj;
	size_t flags;
	char *want; /* dumped with no failure */
};

static int op_json_dumps(void *ctx, struct tx_error *err)
{
	struct dumps_sweep *d = ctx;
	char *got = tx_json_dumps(d->obj, d->flags);

	if (got == NULL) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return 1;
	}
	if (strcmp(got, d->want) != 0)
		fail_msg("tx_json_dumps (flags %#zx): an allocation failed and a"
			 " partial text came back: %.600s", d->flags, got);
	free(got);
	return 0;
}

static void test_json_dumps(void **state)
{
	static const size_t flags[] = {
		JSON_COMPACT, JSON_COMPACT | JSON_SORT_KEYS, JSON_INDENT(2),
		JSON_INDENT(2) | JSON_SORT_KEYS, JSON_COMPACT | JSON_ENSURE_ASCII,
	};
	json_error_t jerr;
	struct dumps_sweep d = { .obj = json_loads(
		"{\"type\":\"indicator\",\"spec_version\":\"2.1\","
		"\"id\":\"indicator--00000000-0000-4000-8000-000000000001\","
		"\"object_marking_refs\":[\"marking-definition--e828b379-4e03-4974-"
		"9ac4-e53a884c97c1\"],\"pattern\":\"[url:value = 'http://a.example/\\u00e9\\n']\","
		"\"x_trilex_signature\":{\"alg\":\"ed25519\",\"key\":\"k1\","
		"\"sig\":\"c2lnbmF0dXJlIG9mIHRoZSBvYmplY3QgYWJvdXQgc2l4dHkgYnl0ZXM\"},"
		"\"granular_markings\":[{\"marking_ref\":\"marking-definition--1\","
		"\"selectors\":[\"pattern\",\"name\"]}],\"confidence\":80,\"r\":1.5,"
		"\"e\":{},\"a\":[],\"n\":null,\"t\":true}", 0, &jerr) };

	assert_non_null(d.obj);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		d.flags = flags[i];
		d.want = json_dumps(d.obj, d.flags);
		assert_non_null(d.want);
		each_failure("tx_json_dumps", op_json_dumps, &d, 1);
		free(d.want);
	}
	json_decref(d.obj);
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

/* supply/share.c and its csaf/vex twins: what a load shares (supply_db_set_emit)
 * is whole objects only; a load may be refused, but nothing it shared before
 * is missing a part (issue 19 item 6). */
static const char *const share_files[] = {
	"supply/vendors.json", "supply/parts.csv", "supply/kev-test.json",
	"supply/osv/npm-lodash.json", "supply/csaf/acme-plc.json",
	"supply/vex/app.openvex.json", "supply/priority.json",
};

struct share {
	json_t *want; /* id -> the object shared with no failure, no "modified" */
};

/* Load share_files into a db that shares into *objs. */
static int share_load(json_t **objs, struct tx_error *err)
{
	const char *base = getenv("TRILEX_TESTDATA");
	const struct supply_stix_opts o = { .marking_ref =
		"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" };
	supply_db *db = NULL;
	int r = 0;

	if ((*objs = json_array()) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory"), 1;
	if (supply_db_new(0, &db, err) != TX_OK)
		return 1;
	supply_db_set_emit(db, *objs, &o);
	for (size_t i = 0; r == 0 && i < sizeof(share_files) / sizeof(share_files[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", base ? base : "tests/data", share_files[i]);
		if (supply_db_load_path(db, path, err) != TX_OK)
			r = 1;
	}
	supply_db_free(db);
	return r;
}

static int op_share(void *ctx, struct tx_error *err)
{
	struct share *sh = ctx;
	json_t *objs = NULL, *v;
	size_t i;
	int r = share_load(&objs, err);

	json_array_foreach(objs, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		json_t *c = json_deep_copy(v);
		int same;
		if (c == NULL) /* the copy is the test's own */
			continue;
		json_object_del(c, "modified");
		same = id != NULL && json_equal(c, json_object_get(sh->want, id));
		json_decref(c);
		if (!same)
			fail_msg("supply share: an allocation failed and a partial %s"
				 " was shared", id ? id : "object without an id");
	}
	if (r == 0 && json_array_size(objs) != json_object_size(sh->want))
		fail_msg("supply share: %zu objects shared, %zu without a failure",
			 json_array_size(objs), json_object_size(sh->want));
	json_decref(objs);
	return r;
}

static void test_supply_share(void **state)
{
	struct share sh = { 0 };
	struct tx_error err = { 0 };
	json_t *objs = NULL, *v;
	size_t i;

	if (!failalloc_available())
		skip();
	assert_non_null(sh.want = json_object());
	assert_int_equal(share_load(&objs, &err), 0);
	json_array_foreach(objs, i, v) {
		json_object_del(v, "modified");
		assert_int_equal(json_object_set(sh.want, json_string_value(
			json_object_get(v, "id")), v), 0);
	}
	/* every emitter's kind: vendor, part, kev, osv, csaf, vex, priority */
	assert_true(json_object_size(sh.want) >= sizeof(share_files) / sizeof(share_files[0]));
	json_decref(objs);
	each_failure("supply share (osv, kev, vendor, part, priority, csaf, vex)",
		     op_share, &sh, 1);
	json_decref(sh.want);
}

/* supply_report_json: a report of the mixed BOM against the test
 * advisories and lists, whole or NULL (issue 19 item 6). */
struct report_sweep {
	struct supply_report rep;
	json_t *want;
};

static int op_report_json(void *ctx, struct tx_error *err)
{
	struct report_sweep *w = ctx;
	json_t *v = supply_report_json(&w->rep);

	if (v == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory"), 1;
	if (!json_equal(v, w->want))
		fail_msg("supply_report_json: an allocation failed and a partial"
			 " report came back");
	json_decref(v);
	return 0;
}

static void test_report_json(void **state)
{
	const char *base = getenv("TRILEX_TESTDATA");
	struct report_sweep w = { 0 };
	struct tx_error err = { 0 };
	supply_db *db = NULL;
	supply_bom *bom = NULL;
	char *text;

	if (!failalloc_available())
		skip();
	assert_int_equal(supply_db_new(0, &db, &err), TX_OK);
	for (size_t i = 0; i < sizeof(share_files) / sizeof(share_files[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", base ? base : "tests/data", share_files[i]);
		assert_int_equal(supply_db_load_path(db, path, &err), TX_OK);
	}
	assert_non_null(text = read_file("supply/mixed.cdx.json"));
	assert_int_equal(supply_bom_parse(text, strlen(text), "mixed.cdx.json", &bom, &err), TX_OK);
	free(text);
	assert_int_equal(supply_check(db, bom, NULL, &w.rep, &err), TX_OK);
	assert_true(w.rep.n > 0);
	assert_non_null(w.want = supply_report_json(&w.rep));
	each_failure("supply_report_json", op_report_json, &w, 1);
	json_decref(w.want);
	supply_report_free(&w.rep);
	supply_bom_free(bom);
	supply_db_free(db);
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

/* policy/ratify.c: a proposal, a diff and a status are whole or refused
 * (issue 19 remainder item 6). */
struct ratify {
	policy *a, *b;
	policy_registry *reg;
	json_t *diff;          /* policy_diff(a, b) with no failure */
	size_t proposal_keys;  /* members of a whole proposal */
};

static int op_ratify(void *ctx, struct tx_error *err)
{
	struct ratify *r = ctx;
	const char *parties[] = { "UK", "US" };
	json_t *obj = NULL, *d, *st;

	if (policy_registry_propose(r->reg, r->b, "JP", parties, 2, 3, &obj, err) != TX_OK)
		return 1;
	if (obj == NULL || json_object_size(obj) != r->proposal_keys ||
	    !json_equal(json_object_get(obj, "policy"), (json_t *)policy_json(r->b)) ||
	    json_array_size(json_object_get(obj, "parties")) != 3)
		fail_msg("policy_registry_propose: a partial proposal");
	json_decref(obj);
	if ((d = policy_diff(policy_json(r->a), policy_json(r->b))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "policy_diff: out of memory"), 1;
	if (!json_equal(d, r->diff))
		fail_msg("policy_diff: a partial diff");
	json_decref(d);
	if ((st = policy_registry_status(r->reg)) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "status: out of memory"), 1;
	if (json_object_get(st, "versions") == NULL || json_object_get(st, "party") == NULL)
		fail_msg("policy_registry_status: a partial status");
	json_decref(st);
	return 0;
}

static void test_policy_ratify(void **state)
{
	char dir[] = "/tmp/trilex-alloc-XXXXXX", path[128];
	const char *parties[] = { "UK", "US" };
	struct ratify r = { 0 };
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	json_t *obj = NULL;
	char *ta, *tb;

	if (!failalloc_available())
		skip();
	ta = read_file("../../policies/trilateral-default.json");
	tb = read_file("../../policies/trilateral-default-2026.1.json");
	assert_non_null(ta);
	assert_non_null(tb);
	assert_int_equal(policy_parse(ta, strlen(ta), "a", &r.a, NULL, &err), TX_OK);
	assert_int_equal(policy_parse(tb, strlen(tb), "b", &r.b, NULL, &err), TX_OK);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/trilex.db", dir);
	assert_int_equal(store_open(path, 1, &st, &err), TX_OK);
	assert_int_equal(policy_registry_load(st, "JP", &r.reg, &err), TX_OK);
	assert_non_null(r.diff = policy_diff(policy_json(r.a), policy_json(r.b)));
	assert_int_equal(policy_registry_propose(r.reg, r.b, "JP", parties, 2, 3, &obj, &err), TX_OK);
	r.proposal_keys = json_object_size(obj);
	json_decref(obj);
	each_failure("policy_registry_propose + policy_diff + status", op_ratify, &r, 1);
	json_decref(r.diff);
	policy_registry_free(r.reg);
	policy_free(r.a);
	policy_free(r.b);
	store_close(st);
	free(ta);
	free(tb);
	char x[160];
	unlink(path);
	snprintf(x, sizeof(x), "%s-wal", path);
	unlink(x);
	snprintf(x, sizeof(x), "%s-shm", path);
	unlink(x);
	rmdir(dir);
}

/* watch_state_build: the consensus over proposals, votes and indicators
 * is whole or refused (its guard: issue 19 item 6). */
#define WATCH_A1 "threat-actor--0a000000-0000-4000-8000-000000000001"

static json_t *w_proposal(int n, const char *created, const char *change, int quorum)
{
	char id[100];

	snprintf(id, sizeof(id), "x-trilex-watch-proposal--00000000-0000-4000-8000-"
		 "%012d", n);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
			 " s:s, s:[s,s,s], s:i, s:[s], s:[s]}", "type", WATCH_PROPOSAL_TYPE,
			 "spec_version", "2.1", "id", id, "created", created,
			 "modified", created, "subject", "watch-list", "change",
			 change, "target_ref", WATCH_A1, "rationale", "r", "risk",
			 "high", "responsible_party", "JP", "parties", "JP", "UK",
			 "US", "quorum", quorum, "sectors", "defense", "countries", "GB");
}

static json_t *w_vote(int n, const char *created, int p, const char *d)
{
	char id[100], ref[100];

	snprintf(id, sizeof(id), "x-trilex-watch-vote--00000000-0000-4000-8000-%012d", n);
	snprintf(ref, sizeof(ref), "x-trilex-watch-proposal--00000000-0000-4000-"
		 "8000-%012d", p);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type",
			 WATCH_VOTE_TYPE, "spec_version", "2.1", "id", id, "created",
			 created, "modified", created, "proposal_ref", ref,
			 "decision", d);
}

struct watch_sweep {
	struct watch_record rec[10];
	size_t n;
	json_t *want; /* the state's JSON with no failure */
};

static int op_watch_state(void *ctx, struct tx_error *err)
{
	struct watch_sweep *w = ctx;
	watch_state *s = NULL;
	int64_t now = 0;
	json_t *j;

	tx_time_parse("2025-06-01T00:00:00Z", &now, NULL);
	if (watch_state_build(w->rec, w->n, now, &s, err) != TX_OK)
		return 1;
	if (s == NULL || (j = watch_state_json(s)) == NULL)
		fail_msg("watch_state_build: done without a state");
	/* compared as values: json_dumps here would run under the same
	 * failing allocations */
	if (!json_equal(j, w->want)) {
		char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("watch_state_build: an allocation failed and a partial"
			 " state came back: %.2000s", got ? got : "?");
	}
	json_decref(j);
	watch_state_free(s);
	return 0;
}

static void test_watch_state(void **state)
{
	json_t *objs[] = {
		w_proposal(1, "2025-01-01T00:00:00Z", "add", 0),
		w_vote(1, "2025-01-01T01:00:00Z", 1, "approve"),
		w_vote(2, "2025-01-01T02:00:00Z", 1, "reject"),
		w_vote(3, "2025-01-01T03:00:00Z", 1, "approve"),
		w_proposal(2, "2025-02-01T00:00:00Z", "amend", 2),
		w_proposal(3, "2025-02-01T00:05:00Z", "remove", 2),
		w_vote(5, "2025-02-01T01:00:00Z", 2, "approve"),
		w_vote(6, "2025-02-01T01:00:00Z", 3, "approve"),
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "relationship",
			  "id", "relationship--0a000000-0000-4000-8000-000000000006",
			  "relationship_type", "indicates", "source_ref",
			  "indicator--0a000000-0000-4000-8000-000000000005",
			  "target_ref", WATCH_A1, "spec_version", "2.1"),
	};
	const char *parties[] = { "JP", "UK", "XX", "US", "UK", "JP", "US", "US", "JP" };
	struct watch_sweep w = { .n = sizeof(objs) / sizeof(objs[0]) };
	struct tx_error err = { 0 };
	watch_state *s = NULL;
	int64_t now = 0;

	if (!failalloc_available())
		skip();
	for (size_t i = 0; i < w.n; i++) {
		assert_non_null(objs[i]);
		w.rec[i].obj = objs[i];
		w.rec[i].party = parties[i];
	}
	assert_int_equal(tx_time_parse("2025-06-01T00:00:00Z", &now, NULL), TX_OK);
	assert_int_equal(watch_state_build(w.rec, w.n, now, &s, &err), TX_OK);
	w.want = watch_state_json(s);
	char *text = json_dumps(w.want, JSON_COMPACT);
	/* the records say something: an entry, and proposals in three states */
	assert_non_null(text);
	print_message("%s\n", text);
	assert_non_null(strstr(text, "\"approved\""));
	assert_non_null(strstr(text, "\"conflict\""));
	assert_non_null(strstr(text, "\"active\""));
	free(text);
	watch_state_free(s);
	each_failure("watch_state_build", op_watch_state, &w, 1);
	json_decref(w.want);
	for (size_t i = 0; i < w.n; i++)
		json_decref(objs[i]);
}

/* watch_proposal_object, watch_vote_object: what watch_propose and
 * watch_vote sign and store is whole or not made (issue 19 item 6); a
 * proposal that lost its rationale, risk or sectors to memory was stored. */
static int same_shape(const json_t *a, const json_t *b);

struct wobj_sweep {
	struct watch_request rq;
	struct watch_partner_request prq;
	json_t *target, *parties, *card;
	json_t *want_p, *want_v, *want_pp; /* built with no failure */
};

static int op_watch_objects(void *ctx, struct tx_error *err)
{
	const struct watch_settings set = { .quorum = 2, .review_months = 12,
					    .grace_days = 30, .vote_days = 14 };
	struct wobj_sweep *w = ctx;
	json_t *p, *v, *pp;

	p = watch_proposal_object(&w->rq, WATCH_A1, w->target, w->parties, 2,
				  &set, 1700000000000000LL);
	v = watch_vote_object("x-trilex-watch-proposal--00000000-0000-4000-8000-"
			      "000000000001", 1, "fine", 1700000000000000LL);
	pp = watch_partner_proposal_object(&w->prq, "DE", "observer", "DE node",
					   w->parties, 2, 14, 1700000000000000LL);
	/* the ids are random: compared in shape (strings as strings) */
	if ((p && w->want_p && !same_shape(p, w->want_p)) ||
	    (v && w->want_v && !same_shape(v, w->want_v)) ||
	    (pp && w->want_pp && !same_shape(pp, w->want_pp)))
		fail_msg("watch_%s_object: an allocation failed and a partial"
			 " object came back", p && !same_shape(p, w->want_p) ?
			 "proposal" : v && !same_shape(v, w->want_v) ? "vote" :
			 "partner_proposal");
	if (w->want_p == NULL) {
		w->want_p = p;
		w->want_v = v;
		w->want_pp = pp;
		return p == NULL || v == NULL || pp == NULL;
	}
	json_decref(p);
	json_decref(v);
	json_decref(pp);
	if (p == NULL || v == NULL || pp == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory"), 1;
	return 0;
}

static void test_watch_objects(void **state)
{
	const char *sectors[] = { "defense", "energy" }, *countries[] = { "GB" };
	struct wobj_sweep w = { .rq = {
		.change = WATCH_ADD, .target = WATCH_A1, .rationale = "seen twice",
		.risk = "high", .responsible = "JP", .backup = "UK",
		.sectors = sectors, .n_sectors = 2, .countries = countries,
		.n_countries = 1 } };
	struct tx_error err = { 0 };

	if (!failalloc_available())
		skip();
	assert_non_null(w.target = json_pack("{s:s, s:s}", "id", WATCH_A1, "name",
					     "APT Example"));
	assert_non_null(w.parties = json_pack("[s,s,s]", "JP", "UK", "US"));
	/* the card is copied, not read: any object stands for it */
	assert_non_null(w.card = json_pack("{s:s, s:s}", "party", "DE", "name",
					   "DE node"));
	w.prq = (struct watch_partner_request){ .change = WATCH_ADD,
		.card = w.card, .role = "observer", .quorum = -1 };
	assert_int_equal(op_watch_objects(&w, &err), 0);
	/* every member the request names is there */
	assert_int_equal(json_object_size(w.want_p), 21);
	assert_string_equal(tx_json_str(w.want_p, "target_name"), "APT Example");
	assert_int_equal(json_array_size(json_object_get(w.want_p, "sectors")), 2);
	assert_string_equal(tx_json_str(w.want_v, "comment"), "fine");
	assert_non_null(json_object_get(w.want_pp, "card"));
	assert_string_equal(tx_json_str(w.want_pp, "role"), "observer");
	each_failure("watch_proposal_object + vote + partner proposal",
		     op_watch_objects, &w, 1);
	json_decref(w.want_p);
	json_decref(w.want_v);
	json_decref(w.want_pp);
	json_decref(w.card);
	json_decref(w.target);
	json_decref(w.parties);
}

/* misp_import_text: every object it appends is whole; a refused import
 * takes back the objects of the event it was converting (issue 19 item 6). */
struct misp_sweep {
	char *text;
	json_t *want; /* the objects converted with no failure */
};

static int op_misp(void *ctx, struct tx_error *err)
{
	struct misp_sweep *m = ctx;
	const struct misp_import_opts o = { .default_tlp = "amber" };
	json_t *objs = json_array(), *v;
	size_t i;
	int r;

	if (objs == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory"), 1;
	r = misp_import_text(m->text, strlen(m->text), &o, objs, NULL, err) != TX_OK;
	json_array_foreach(objs, i, v)
		if (!json_equal(v, json_array_get(m->want, i))) {
			/* dumped only to say what differs (under failure too) */
			char *got = json_dumps(v, JSON_COMPACT);
			char *want = json_dumps(json_array_get(m->want, i), JSON_COMPACT);
			fail_msg("misp_import_text (%s): an allocation failed and"
				 " objects[%zu] is partial or another's: %.400s, not"
				 " %.400s", r ? "refused" : "done", i, got ? got : "?",
				 want ? want : "nothing");
		}
	if (!r && json_array_size(objs) != json_array_size(m->want))
		fail_msg("misp_import_text: %zu objects, %zu without a failure",
			 json_array_size(objs), json_array_size(m->want));
	json_decref(objs);
	return r;
}

static void test_misp_import(void **state)
{
	const struct misp_import_opts o = { .default_tlp = "amber" };
	struct misp_sweep m = { 0 };
	struct tx_error err = { 0 };

	if (!failalloc_available())
		skip();
	assert_non_null(m.text = read_file("../../fuzz/corpus/misp/event.json"));
	assert_non_null(m.want = json_array());
	assert_int_equal(misp_import_text(m.text, strlen(m.text), &o, m.want, NULL, &err), TX_OK);
	/* identity, indicators, observed data, a note, a relationship, a
	 * galaxy's cluster and the report */
	assert_true(json_array_size(m.want) >= 7);
	each_failure("misp_import_text", op_misp, &m, 1);
	json_decref(m.want);
	free(m.text);
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

/*
 * Store writes under allocation failure: each write of a partner (which
 * makes its account, inbox and grant in one transaction), an audit entry
 * and a collection's sharing, with each allocation failing in turn (the
 * database's own too), refused with a message that says what failed or
 * done, and never leaving
 * its transaction open: a connection left inside BEGIN takes every later
 * write into a transaction that is never committed.
 */
/* A folder for a sweep's store: in memory where there is one (each run
 * commits, and a commit on disk waits for its fsync). */
static char *sweep_dir(char buf[64])
{
	snprintf(buf, 64, "%s/trilex-alloc-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	return mkdtemp(buf);
}

struct store_sweep {
	tx_store *st;
	int64_t coll;
	int run;
	const char *path;
	int fresh; /* a new connection for each run: nothing prepared yet */
};

static void store_reopen(struct store_sweep *w)
{
	struct tx_error err = { 0 };

	if (!w->fresh)
		return;
	store_close(w->st);
	w->st = NULL;
	if (store_open(w->path, 0, &w->st, &err) != TX_OK)
		fail_msg("store_open: %s", err.msg);
}

static int op_store_peer(void *ctx, struct tx_error *err)
{
	struct store_sweep *w = ctx;
	struct store_peer *p = calloc(1, sizeof(*p));
	tx_err rc;

	if (p == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory"), 1;
	snprintf(p->party, sizeof(p->party), "PA");
	snprintf(p->name, sizeof(p->name), "node");
	snprintf(p->cert_fp, sizeof(p->cert_fp), "%064d", 1);
	snprintf(p->cert_pem, sizeof(p->cert_pem), "pem");
	snprintf(p->sign_pk, sizeof(p->sign_pk), "%064d", 2);
	snprintf(p->seal_pk, sizeof(p->seal_pk), "%064d", 3);
	rc = store_peer_add(w->st, p, err);
	free(p);
	return rc != TX_OK;
}

static int op_store_audit(void *ctx, struct tx_error *err)
{
	struct store_sweep *w = ctx;
	char what[32];

	snprintf(what, sizeof(what), "run %d", w->run++);
	return store_audit(w->st, "admin", "test.sweep", what, "a detail", err) != TX_OK;
}

static int op_store_share(void *ctx, struct tx_error *err)
{
	struct store_sweep *w = ctx;
	int64_t requeued = 0;

	return store_collection_set_share(w->st, w->coll, w->run++ % 2 ? "UK" : "partners",
					  &requeued, err) != TX_OK;
}

/* Run op with each allocation failing; after each run no transaction is
 * open, and undo (may be NULL) puts the store back. */
static void store_failures(const char *name, struct store_sweep *w, op_fn op,
			   void (*undo)(struct store_sweep *))
{
	struct tx_error err = { 0 };
	long n_allocs, refused = 0;

	store_reopen(w);
	failalloc_start(0);
	int r = op(w, &err);
	n_allocs = failalloc_stop(NULL);
	if (r != 0)
		fail_msg("%s: fails without a failed allocation: %s", name, err.msg);
	if (undo)
		undo(w);
	for (long n = 1; n <= n_allocs; n++) {
		memset(&err, 0, sizeof(err));
		store_reopen(w);
		failalloc_start(n);
		r = op(w, &err);
		failalloc_stop(NULL);
		if (!store_db_autocommit(w->st))
			fail_msg("%s: allocation %ld failed (%s): the transaction"
				 " is still open", name, n, r ? err.msg : "done");
		if (r != 0) {
			refused++;
			if (err.msg[0] == '\0' || strstr(err.msg, "not an error"))
				fail_msg("%s: allocation %ld failed: refused without a"
					 " message: \"%s\"", name, n, err.msg);
		}
		if (undo)
			undo(w);
	}
	assert_int_equal(op(w, &err), 0);
	if (undo)
		undo(w);
	print_message("%s: %ld allocations, each failed once: %ld refused, no"
		      " transaction left open\n", name, n_allocs, refused);
}

static void undo_peer(struct store_sweep *w)
{
	struct tx_error err = { 0 };
	tx_err rc = store_peer_remove(w->st, "PA", &err);

	if (rc != TX_OK && rc != TX_ERR_NOTFOUND)
		fail_msg("peer remove: %s", err.msg);
}

static void test_store_writes(void **state)
{
	char dir[64], path[128], id[TX_UUID_BUF];
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct store_sweep w = { 0 };
	struct tx_error err = { 0 };

	if (!failalloc_available())
		skip();
	assert_non_null(sweep_dir(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(store_open(path, 1, &w.st, &err), TX_OK);
	assert_int_equal(store_collection_add(w.st, "t", "", "t", id, &err), TX_OK);
	assert_int_equal(store_collection_get(w.st, &admin, "t", &c), TX_OK);
	w.coll = c.pk;
	store_failures("store_peer_add", &w, op_store_peer, undo_peer);
	store_failures("store_audit", &w, op_store_audit, NULL);
	store_failures("store_collection_set_share", &w, op_store_share, NULL);
	/* on a new connection each time: its statements are prepared under
	 * the failures too (a prepare that failed said "not an error") */
	w.path = path;
	w.fresh = 1;
	store_failures("store_audit (new connection)", &w, op_store_audit, NULL);
	store_close(w.st);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * supply_node_recheck (supply/stored.c) under allocation failure: a stored
 * BOM re-checked against a stored advisory gives one finding, a note and
 * an alert stored under the BOM's marking; with any allocation failing,
 * both are stored, marked, or neither is, and the re-check fails.
 */
#define RECHECK_AMBER "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
struct recheck_sweep {
	struct store_sweep w; /* first: store_failures hands this over */
	supply_db *db;
	supply_node *node;
	char ids[4][128];     /* the note's and the alert's, once stored */
	size_t n_ids;
};

static int recheck_row(void *ctx, const struct store_row *row)
{
	struct recheck_sweep *r = ctx;
	json_t *o = tx_json_load(row->json, row->json_len, 0, NULL);
	const char *m = json_string_value(json_array_get(
		json_object_get(o, "object_marking_refs"), 0));

	if (o == NULL)
		return STORE_ROW_FAIL;
	/* the BOM's TLP:AMBER, as given or as TLP 2.0 names it */
	if (m == NULL || (strcmp(m, RECHECK_AMBER) != 0 &&
			  strcmp(m, "marking-definition--55d920b0-5e8b-4f79-9ee9-"
				 "91f868d9b421") != 0))
		fail_msg("supply_node_recheck: %s stored without the BOM's marking:"
			 " %.3000s", row->id, row->json);
	if (r->n_ids < 4)
		snprintf(r->ids[r->n_ids++], sizeof(r->ids[0]), "%s", row->id);
	json_decref(o);
	return STORE_ROW_NEXT;
}

/* The notes and reports stored, each checked for its marking. */
static size_t recheck_stored(struct recheck_sweep *r)
{
	const char *types[] = { "note", "report" };
	struct store_query q = { .types = types, .n_types = 2, .limit = 10,
				 .collection_pk = r->w.coll };
	struct store_page page = { 0 };
	struct tx_error err = { 0 };

	r->n_ids = 0;
	if (store_query_objects(r->w.st, &q, recheck_row, r, &page, &err) != TX_OK)
		fail_msg("query: %s", err.msg);
	return page.n;
}

static int op_recheck(void *ctx, struct tx_error *err)
{
	struct recheck_sweep *r = ctx;
	size_t n_new = 0, n;
	tx_err rc = supply_node_recheck(r->w.st, r->db, r->node, NULL, NULL, NULL,
					NULL, &n_new, err);

	r->w.run++;

	failalloc_stop(NULL); /* what follows only looks */
	n = recheck_stored(r);
	if (rc == TX_OK && (n_new != 1 || n != 2))
		fail_msg("supply_node_recheck (run %d): done with %zu new, %zu stored (not 1"
			 " finding, a note and an alert)", r->w.run, n_new, n);
	if (rc != TX_OK && n != 0)
		fail_msg("supply_node_recheck: failed (%s) and stored %zu", err->msg, n);
	return rc != TX_OK;
}

/* The store and the node as before the re-check. */
static void undo_recheck(struct store_sweep *w)
{
	struct recheck_sweep *r = (struct recheck_sweep *)w;
	struct store_query dq = { .collection_pk = w->coll };
	struct tx_error err = { 0 };

	recheck_stored(r);
	for (size_t i = 0; i < r->n_ids; i++)
		if (store_delete_object(w->st, &dq, r->ids[i], &err) != TX_OK)
			fail_msg("delete %s: %s", r->ids[i], err.msg);
	supply_node_free(r->node);
	r->node = NULL;
	if (supply_node_load(w->st, r->db, NULL, NULL, &r->node, &err) != TX_OK)
		fail_msg("supply_node_load: %s", err.msg);
}

static void test_supply_recheck(void **state)
{
	const char *osv = "{\"id\": \"R-7\", \"modified\": \"2024-01-01T00:00:00Z\","
			  " \"affected\": [{\"package\": {\"ecosystem\": \"Go\", \"name\":"
			  " \"example.com/m\"}, \"ranges\": [{\"type\": \"SEMVER\","
			  " \"events\": [{\"introduced\": \"0\"}, {\"fixed\": \"1.2.3\"}]}]}]}";
	const char *cdx = "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\","
			  " \"components\": [{\"type\": \"library\", \"name\": \"example.com/m\","
			  " \"version\": \"1.0.0\", \"purl\": \"pkg:golang/example.com/m@1.0.0\"}]}";
	struct supply_stix_opts o = { .marking_ref = RECHECK_AMBER };
	struct supply_store_counts n = { 0 };
	struct recheck_sweep r = { 0 };
	struct store_collection c;
	struct tx_error err = { 0 };
	char dir[64], path[128];
	supply_db *db = NULL;
	json_t *objs = json_array(), *doc = json_loads(cdx, 0, NULL);

	if (!failalloc_available())
		skip();
	assert_non_null(sweep_dir(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(store_open(path, 1, &r.w.st, &err), TX_OK);
	assert_int_equal(store_collection_ensure(r.w.st, "Work", "", "work", &c, &err), TX_OK);
	r.w.coll = c.pk;
	assert_int_equal(supply_db_new(0, &db, &err), TX_OK);
	supply_db_set_emit(db, objs, &o);
	assert_int_equal(supply_db_load_buffer(db, "r.json", osv, strlen(osv), &err), TX_OK);
	json_array_append_new(objs, supply_bom_to_stix(doc, "app", NULL, &o));
	assert_int_equal(supply_store_objects(r.w.st, c.pk, objs, &n, NULL, NULL, &err), TX_OK);
	assert_int_equal(n.added, 2);
	assert_int_equal(supply_db_new(0, &r.db, &err), TX_OK);
	undo_recheck(&r.w);
	assert_int_equal(supply_node_boms(r.node), 1);
	store_failures("supply_node_recheck", &r.w, op_recheck, undo_recheck);
	supply_node_free(r.node);
	supply_db_free(r.db);
	supply_db_free(db);
	json_decref(objs);
	json_decref(doc);
	store_close(r.w.st);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A MISP warning list read, indexed, checked and made STIX. */
static int op_warninglist(void *ctx, struct tx_error *err)
{
	const char *text = ctx;
	struct sensor_warn_info info;
	const char *names[4];
	sensor_warn *w = NULL;
	json_t *l = tx_json_load(text, strlen(text), 0, NULL), *o = NULL;
	int rc = 1;

	if (l == NULL) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return 1;
	}
	if (sensor_warn_new(0, &w) != TX_OK) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (sensor_warn_add(w, l, &info, err) != TX_OK)
		goto out;
	sensor_warn_check(w, SENSOR_WARN_DOMAIN, "a.bit.ly", 8, names, 4);
	sensor_warn_check(w, SENSOR_WARN_IP, "10.1.2.3", 8, names, 4);
	if ((o = sensor_warn_stix(l, "marking-definition--x", err)) == NULL)
		goto out;
	rc = 0;
out:
	json_decref(o);
	json_decref(l);
	sensor_warn_free(w);
	return rc;
}

static void test_warninglist(void **state)
{
	const char *text = "{\"name\":\"x\",\"type\":\"hostname\",\"version\":2,\"list\":"
		"[\"bit.ly\",\".t.co\",\"example.org\",\"x.example\",\"y.example\"],"
		"\"matching_attributes\":[\"domain\",\"url\"]}";
	const char *nets = "{\"name\":\"n\",\"type\":\"cidr\",\"list\":[\"10.0.0.0/8\","
		"\"192.168.0.0/16\",\"2001:db8::/32\",\"1.2.3.4\"]}";
	const char *re = "{\"name\":\"r\",\"type\":\"regex\",\"list\":[\"^a\",\"b$\"]}";

	struct tx_error err;
	/* once before counting: the first time formatting (gmtime_r) reads
	 * the time zone into memory glibc keeps for the process */
	assert_int_equal(op_warninglist((void *)text, &err), 0);
	each_failure("sensor_warn_add (hostname)", op_warninglist, (void *)text, 1);
	each_failure("sensor_warn_add (cidr)", op_warninglist, (void *)nets, 1);
	each_failure("sensor_warn_add (regex)", op_warninglist, (void *)re, 1);
}

static int count_ioc(void *ctx, const struct sensor_ioc *ioc)
{
	struct tx_buf b;
	int rc = 0;

	(*(size_t *)ctx)++;
	tx_buf_init(&b, 0);
	if (ioc->type < SENSOR_IOC_CVE && sensor_ioc_pattern(ioc, &b) != TX_OK)
		rc = 1;
	tx_buf_free(&b);
	return rc;
}

/* IOCs found in a line longer than the scanner's stack buffer. */
static int op_iocs(void *ctx, struct tx_error *err)
{
	const char *line = ctx;
	size_t n = 0, found = 0;

	if (sensor_iocs_scan(line, strlen(line), count_ioc, &n, &found) != TX_OK) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return 1;
	}
	return 0;
}

static void test_iocs(void **state)
{
	char *line = malloc(8192);

	assert_non_null(line);
	memset(line, ' ', 8000);
	snprintf(line + 8000, 192, "hxxp://a[.]example/x 1.2.3[.]4 d41d8cd98f00b204e9800998ecf8427e"
		 " CVE-2024-1 T1566");
	each_failure("sensor_iocs_scan", op_iocs, line, 1);
	free(line);
}

/* An export built from indicators and written in every format. */
static int op_export(void *ctx, struct tx_error *err)
{
	static const char *const pats[] = {
		"[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'a.example']",
		"[url:value = 'http://a.example/x'] OR [file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
		"[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']",
		"[url:value = 'https://b.example/']",
	};
	sensor_export *e = NULL;
	int rc = 1;

	(void)ctx;
	if (sensor_export_new(NULL, &e) != TX_OK) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return 1;
	}
	for (size_t i = 0; i < 4; i++) {
		char id[64];
		snprintf(id, sizeof(id), "indicator--00000000-0000-4000-8000-00000000000%zu", i);
		struct sensor_export_ind in = { .id = id, .pattern = pats[i], .confidence = -1 };
		if (sensor_export_add(e, &in, err) != TX_OK)
			goto out;
	}
	for (int f = SENSOR_EXPORT_SURICATA; f <= SENSOR_EXPORT_IOCS; f++)
		for (size_t i = 0; sensor_export_file((enum sensor_export_format)f, i); i++) {
			struct tx_buf b;
			tx_buf_init(&b, 0);
			tx_err wrc = sensor_export_write(e, (enum sensor_export_format)f,
							 sensor_export_file((enum sensor_export_format)f, i),
							 &b, err);
			tx_buf_free(&b);
			if (wrc != TX_OK)
				goto out;
		}
	rc = 0;
out:
	sensor_export_free(e);
	return rc;
}

static void test_export(void **state)
{
	each_failure("sensor_export", op_export, NULL, 1);
}

/* ---- builders that read the store (issue 19 item 7) ---- */

/* Whether a and b are the same tree but for the text of their strings
 * (ids and times are made afresh on each run). */
static int same_shape(const json_t *a, const json_t *b)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v)
			if (!same_shape(v, json_object_get(b, k)))
				return 0;
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, v)
			if (!same_shape(v, json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_is_string(a) || json_equal(a, b);
}

/* A store in a new folder dir with the objects of data file rel in
 * collection "K" (its pk into *pk), and partner UK pinned. */
static tx_store *store_with(char dir[64], const char *rel, int64_t *pk)
{
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct store_peer *p = calloc(1, sizeof(*p));
	struct tx_error err = { 0 };
	char path[128], sid[TX_UUID_BUF], *text = read_file(rel);
	json_t *objs = text ? json_loads(text, 0, NULL) : NULL;
	struct store_item items[16];
	tx_store *st = NULL;
	size_t n = json_array_size(objs);

	assert_non_null(objs);
	assert_non_null(p);
	assert_true(n > 0 && n <= 16);
	snprintf(dir, 64, "/tmp/trilex-alloc-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(store_open(path, 1, &st, &err), TX_OK);
	assert_int_equal(store_collection_ensure(st, "K", "", "kb", &c, &err), TX_OK);
	for (size_t i = 0; i < n; i++)
		items[i] = (struct store_item){ .obj = json_array_get(objs, i) };
	assert_int_equal(store_put_objects(st, c.pk, &admin, items, n, sid, &err), TX_OK);
	snprintf(p->party, sizeof(p->party), "UK");
	snprintf(p->name, sizeof(p->name), "UK node");
	snprintf(p->cert_fp, sizeof(p->cert_fp), "%064d", 1);
	snprintf(p->cert_pem, sizeof(p->cert_pem), "pem");
	snprintf(p->sign_pk, sizeof(p->sign_pk), "%064d", 2);
	snprintf(p->seal_pk, sizeof(p->seal_pk), "%064d", 3);
	assert_int_equal(store_peer_add(st, p, &err), TX_OK);
	free(p);
	json_decref(objs);
	free(text);
	*pk = c.pk;
	return st;
}

static void store_done(tx_store *st, const char *dir)
{
	char cmd[96];

	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* misp/feed.c build (through misp_feed_walk): every event handed on is
 * whole (its text, manifest entry and hashes as with no failure), or the
 * walk is refused. */
struct feed_sweep {
	tx_store *st;
	struct misp_feed_opts o;
	char *json, *hashes;          /* the event with no failure */
	json_t *manifest;
	struct misp_feed_stats stats;
	size_t seen;
};

static int feed_event(void *ctx, const struct misp_feed_event *ev)
{
	struct feed_sweep *f = ctx;

	f->seen++;
	if (f->json == NULL) { /* the run without a failure */
		f->json = strndup(ev->json, ev->json_len);
		f->hashes = strndup(ev->hashes, ev->hashes_len);
		f->manifest = json_deep_copy(ev->manifest);
		return 0;
	}
	if (ev->json_len != strlen(f->json) || memcmp(ev->json, f->json, ev->json_len) != 0 ||
	    ev->hashes_len != strlen(f->hashes) ||
	    memcmp(ev->hashes, f->hashes, ev->hashes_len) != 0 ||
	    !json_equal(ev->manifest, f->manifest)) {
		if (getenv("TRILEX_DEBUG_ALLOC"))
			fprintf(stderr, "got:  %.*s\nwant: %s\nhashes: %.*s\nwant: %s\n",
				(int)ev->json_len, ev->json, f->json,
				(int)ev->hashes_len, ev->hashes, f->hashes);
		fail_msg("misp feed build: an allocation failed and a partial event"
			 " came back: %.*s", (int)(ev->json_len > 2000 ? 2000 : ev->json_len),
			 ev->json);
	}
	return 0;
}

static int op_feed(void *ctx, struct tx_error *err)
{
	struct feed_sweep *f = ctx;
	struct misp_feed_stats stats;

	f->seen = 0;
	if (misp_feed_walk(f->st, &f->o, feed_event, f, &stats, err) != TX_OK)
		return 1;
	if (f->seen != 1 || memcmp(&stats, &f->stats, sizeof(stats)) != 0)
		fail_msg("misp_feed_walk: done, but with %zu events (%zu attributes,"
			 " %zu withheld)", f->seen, stats.attributes,
			 stats.withheld_objects);
	return 0;
}

static void test_misp_feed(void **state)
{
	struct feed_sweep f = { .o = { .self_name = "JP node",
		.self_uuid = "0a000000-0000-4000-8000-000000000009" } };
	struct tx_error err = { 0 };
	char dir[64];

	if (!failalloc_available())
		skip();
	f.st = store_with(dir, "misp/feed-report.json", &f.o.collection_pk);
	assert_int_equal(misp_feed_walk(f.st, &f.o, feed_event, &f, &f.stats, &err), TX_OK);
	assert_int_equal(f.seen, 1);
	assert_non_null(f.json);
	assert_non_null(f.manifest);
	/* what the event holds: the green indicators, the observed SCO, the
	 * ATT&CK tag; the RED indicator left out */
	assert_non_null(strstr(f.json, "198.51.100.7"));
	assert_non_null(strstr(f.json, "192.0.2.44"));
	assert_non_null(strstr(f.json, "T1566"));
	assert_null(strstr(f.json, "203.0.113.66"));
	assert_int_equal(f.stats.withheld_objects, 1);
	each_failure("misp feed build", op_feed, &f, 0);
	free(f.json);
	free(f.hashes);
	json_decref(f.manifest);
	store_done(f.st, dir);
}

/* fed_alert_build: the objects and the report are whole (the same tree but
 * for ids and times) or the alert is refused. */
struct alert_sweep {
	tx_store *st;
	struct fed_alert a;
	json_t *want;                 /* the objects with no failure */
};

static int op_alert(void *ctx, struct tx_error *err)
{
	struct alert_sweep *s = ctx;
	struct fed_alert_built b;

	if (fed_alert_build(s->st, &s->a, &b, err) != TX_OK)
		return 1;
	if (!same_shape(b.objects, s->want) || b.report == NULL ||
	    json_array_size(b.stubs) != 1 || b.derivation.tlp != FED_TLP_AMBER)
		fail_msg("fed_alert_build: an allocation failed and a partial alert"
			 " came back");
	fed_alert_clear(&b);
	return 0;
}

static void test_alert_build(void **state)
{
	const char *inds[] = { "[ipv4-addr:value = '192.0.2.1']",
			       "[domain-name:value = 'x.example']" };
	const char *techs[] = { "T1566", "T9999" }, *sectors[] = { "energy" };
	const char *countries[] = { "GB", "JP" };
	struct alert_sweep s = { .a = {
		.title = "Wave", .description = "a wave", .tlp = FED_TLP_AMBER,
		.to = "UK", .indicators = inds, .n_indicators = 2,
		.techniques = techs, .n_techniques = 2, .allow_unknown_technique = 1,
		.sectors = sectors, .n_sectors = 1, .countries = countries,
		.n_countries = 2, .self_party = "JP", .self_name = "JP node",
		.identity_id = "identity--0a000000-0000-4000-8000-000000000009",
		.now_us = 1700000000000000LL } };
	struct fed_alert_built b;
	struct tx_error err = { 0 };
	int64_t pk;
	char dir[64];

	if (!failalloc_available())
		skip();
	s.st = store_with(dir, "misp/feed-report.json", &pk);
	assert_int_equal(fed_alert_build(s.st, &s.a, &b, &err), TX_OK);
	/* identity, two indicators, a stub, the report */
	assert_int_equal(json_array_size(b.objects), 5);
	s.want = json_incref(b.objects);
	fed_alert_clear(&b);
	each_failure("fed_alert_build", op_alert, &s, 0);
	json_decref(s.want);
	store_done(s.st, dir);
}

/* watch_partnership and watch_state_load read the partnership and every
 * record from the store: a member or a record lost to memory changed the
 * quorum or the state (a vote uncounted); now the whole state or
 * TX_ERR_NOMEM (issue 19 item 6). Read only: one store for every run. */
struct wload_sweep {
	tx_store *st;
	json_t *want_parties, *want_state;
};

static int op_watch_load(void *ctx, struct tx_error *err)
{
	struct wload_sweep *w = ctx;
	watch_state *ws = NULL;
	json_t *parties = NULL, *j;

	if (watch_partnership(w->st, "JP", &parties, err) != TX_OK)
		return 1;
	if (!json_equal(parties, w->want_parties))
		fail_msg("watch_partnership: an allocation failed and a partial"
			 " partnership came back: %zu members",
			 json_array_size(parties));
	json_decref(parties);
	if (watch_state_load(w->st, "JP", 1748736000000000LL, &ws, err) != TX_OK)
		return 1;
	if ((j = watch_state_json(ws)) == NULL || !json_equal(j, w->want_state))
		fail_msg("watch_state_load: an allocation failed and a partial"
			 " state came back");
	json_decref(j);
	watch_state_free(ws);
	return 0;
}

static void test_watch_load(void **state)
{
	struct wload_sweep w = { 0 };
	struct tx_error err = { 0 };
	watch_state *ws = NULL;
	int64_t pk;
	char dir[64], *text;

	if (!failalloc_available())
		skip();
	w.st = store_with(dir, "watch/records.json", &pk);
	assert_int_equal(watch_partnership(w.st, "JP", &w.want_parties, &err), TX_OK);
	assert_int_equal(json_array_size(w.want_parties), 2); /* JP, UK */
	assert_int_equal(watch_state_load(w.st, "JP", 1748736000000000LL, &ws, &err),
			 TX_OK);
	w.want_state = watch_state_json(ws);
	watch_state_free(ws);
	/* the records say something: two proposals (lapsed: one party alone
	 * voted), each with its votes, repeated ones ignored */
	assert_int_equal(json_array_size(json_object_get(w.want_state, "proposals")), 2);
	assert_non_null(text = json_dumps(w.want_state, JSON_COMPACT));
	assert_non_null(strstr(text, "\"lapsed\""));
	assert_non_null(strstr(text, "this party has already voted"));
	free(text);
	/* 0: the store keeps its page and statement caches */
	each_failure("watch_partnership + watch_state_load", op_watch_load, &w, 0);
	json_decref(w.want_parties);
	json_decref(w.want_state);
	store_done(w.st, dir);
}

/* policy_registry_load: the registry read from the store is whole or
 * TX_ERR_NOMEM; a party lost from a version's partnership lowered the
 * quorum the version needs (issue 19 item 6). Read only: one store. */
struct registry_sweep {
	tx_store *st;
	json_t *want; /* policy_registry_status with no failure */
};

static int op_registry(void *ctx, struct tx_error *err)
{
	struct registry_sweep *w = ctx;
	policy_registry *reg = NULL;
	json_t *j;

	if (policy_registry_load(w->st, "JP", &reg, err) != TX_OK)
		return 1;
	j = policy_registry_status(reg);
	policy_registry_free(reg);
	if (j == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "status: out of memory"), 1;
	if (!json_equal(j, w->want)) {
		char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("policy_registry_load: an allocation failed and a partial"
			 " registry came back: %.1500s", got ? got : "?");
	}
	json_decref(j);
	return 0;
}

static void test_policy_registry(void **state)
{
	const char *parties[] = { "UK", "US" };
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct registry_sweep w = { 0 };
	struct tx_error err = { 0 };
	policy_registry *reg = NULL;
	struct store_item item;
	policy *pol = NULL;
	json_t *obj = NULL;
	char dir[64], sid[TX_UUID_BUF], *text;
	int64_t pk;

	if (!failalloc_available())
		skip();
	w.st = store_with(dir, "watch/records.json", &pk);
	assert_non_null(text = read_file("../../policies/trilateral-default.json"));
	assert_int_equal(policy_parse(text, strlen(text), "a", &pol, NULL, &err), TX_OK);
	assert_int_equal(policy_registry_load(w.st, "JP", &reg, &err), TX_OK);
	/* a version for JP, UK and US, quorum 3, stored */
	assert_int_equal(policy_registry_propose(reg, pol, "JP", parties, 2, 3, &obj,
						 &err), TX_OK);
	policy_registry_free(reg);
	assert_int_equal(store_collection_ensure(w.st, "P", "", "policies", &c, &err),
			 TX_OK);
	item = (struct store_item){ .obj = obj };
	assert_int_equal(store_put_objects(w.st, c.pk, &admin, &item, 1, sid, &err),
			 TX_OK);
	assert_int_equal(policy_registry_load(w.st, "JP", &reg, &err), TX_OK);
	w.want = policy_registry_status(reg);
	policy_registry_free(reg);
	assert_non_null(w.want);
	assert_non_null(text = json_dumps(w.want, JSON_COMPACT));
	assert_non_null(strstr(text, "\"US\""));
	free(text);
	/* 0: the store keeps its page and statement caches */
	each_failure("policy_registry_load", op_registry, &w, 0);
	json_decref(w.want);
	json_decref(obj);
	policy_free(pol);
	store_done(w.st, dir);
}

/* policy_registry_select: the version in force, as with no failure, or
 * an error. Before, in_force and standing_of built JSON lists: a failed
 * allocation made 2025.2 (in force) read as not in force, and the node
 * assessed under 2025.1 as ratified, or gave a note "approved by none". */
struct select_sweep {
	tx_store *st;
	int64_t pk;
	char note[TX_ERROR_MSG_MAX];  /* the note with no failure */
};

static void select_put(struct select_sweep *w, json_t *obj, const char *party)
{
	struct store_user admin = { .admin = 1 };
	struct store_item it = { .obj = obj };
	struct tx_error err = { 0 };
	char sid[TX_UUID_BUF];

	assert_non_null(obj);
	it.id = json_string_value(json_object_get(obj, "id"));
	if (strcmp(party, "JP") != 0)
		it.origin = it.via = party; /* verified as that party's */
	if (store_put_objects(w->st, w->pk, &admin, &it, 1, sid, &err) != TX_OK)
		fail_msg("%s", err.msg);
	json_decref(obj);
}

/* Propose doc as version ver (quorum q of JP, UK, US) by JP; approve it
 * by each of the NULL-ended approvers. */
static void select_version_in(struct select_sweep *w, const json_t *doc,
			      const char *ver, int q, const char *const *approvers)
{
	const char *parties[] = { "UK", "US" };
	struct tx_error err = { 0 };
	policy_registry *reg = NULL;
	json_t *d = json_deep_copy(doc), *obj = NULL;
	policy *pol = NULL;

	json_object_set_new(d, "version", json_string(ver));
	json_object_set_new(d, "title", json_string(ver));
	assert_int_equal(policy_from_json(d, &pol, NULL, &err), TX_OK);
	assert_int_equal(policy_registry_load(w->st, "JP", &reg, &err), TX_OK);
	assert_int_equal(policy_registry_propose(reg, pol, "JP", parties, 2, q, &obj,
						 &err), TX_OK);
	policy_registry_free(reg);
	select_put(w, obj, "JP");
	for (; *approvers; approvers++) {
		assert_int_equal(policy_registry_load(w->st, "JP", &reg, &err), TX_OK);
		assert_int_equal(policy_registry_approve(reg, ver, *approvers, &obj,
							 &err), TX_OK);
		policy_registry_free(reg);
		select_put(w, obj, *approvers);
	}
	policy_free(pol);
	json_decref(d);
}

static int op_select(void *ctx, struct tx_error *err)
{
	struct select_sweep *w = ctx;
	struct policy_standing sd;
	policy_registry *reg = NULL;
	policy *p = NULL;
	tx_err rc;

	if (policy_registry_load(w->st, "JP", &reg, err) != TX_OK)
		return 1;
	rc = policy_registry_select(reg, NULL, &p, &sd, err);
	policy_registry_free(reg);
	if (rc != TX_OK)
		return 1;
	if (strcmp(policy_version(p), "2025.2") != 0 || !sd.ratified ||
	    strcmp(sd.note, w->note) != 0)
		fail_msg("policy_registry_select: an allocation failed and it chose"
			 " %s (ratified %d, \"%s\")", policy_version(p), sd.ratified,
			 sd.note);
	policy_free(p);
	return 0;
}

static void test_policy_select(void **state)
{
	static const char *const all[] = { "JP", "UK", "US", NULL };
	static const char *const two[] = { "UK", "US", NULL };
	static const char *const one[] = { "UK", NULL };
	struct select_sweep w = { 0 };
	struct tx_error err = { 0 };
	json_t *doc;
	char dir[64], *text;

	if (!failalloc_available())
		skip();
	w.st = store_with(dir, "watch/records.json", &w.pk);
	assert_non_null(text = read_file("../../policies/trilateral-default.json"));
	assert_non_null(doc = json_loads(text, 0, NULL));
	free(text);
	select_version_in(&w, doc, "2025.1", 3, all);  /* in force */
	select_version_in(&w, doc, "2025.2", 2, two);  /* in force, later */
	select_version_in(&w, doc, "2025.3", 3, one);  /* pending */
	json_decref(doc);
	{
		struct policy_standing sd;
		policy_registry *reg = NULL;
		policy *p = NULL;
		assert_int_equal(policy_registry_load(w.st, "JP", &reg, &err), TX_OK);
		assert_int_equal(policy_registry_select(reg, NULL, &p, &sd, &err), TX_OK);
		assert_string_equal(policy_version(p), "2025.2");
		assert_true(sd.ratified);
		assert_non_null(strstr(sd.note, "approved by UK; 3 of 3 needed (missing"
				       " JP, US)"));
		snprintf(w.note, sizeof(w.note), "%s", sd.note);
		policy_free(p);
		policy_registry_free(reg);
	}
	/* 0: the store keeps its page and statement caches */
	each_failure("policy_registry_load + select", op_select, &w, 0);
	store_done(w.st, dir);
}

/* The sensor matcher (sensor/match.c): EVE events and a STIX bundle
 * matched against an index of single and multi-observation patterns.
 * Each run gives the matches of a run with no failure (same indicator,
 * line, span and values) or an error: never a match missed (an
 * observation left out of a window) nor one with a value lost. */
struct match_sweep {
	pattern_index *ix;
	char got[2048], want[2048];
};

static void match_note(void *ctx, const struct sensor_match *m)
{
	struct match_sweep *w = ctx;
	size_t n = strlen(w->got), i;
	const json_t *v;

	snprintf(w->got + n, sizeof(w->got) - n, "%s@%zu+%lld[", m->indicator_id +
		 strlen(m->indicator_id) - 2, m->line, (long long)(m->last - m->first));
	json_array_foreach(m->values, i, v) {
		n = strlen(w->got);
		snprintf(w->got + n, sizeof(w->got) - n, "%s,", json_string_value(v));
	}
	n = strlen(w->got);
	snprintf(w->got + n, sizeof(w->got) - n, "] ");
}

static int op_match(void *ctx, struct tx_error *err)
{
	static const char *const lines[] = {
		ENGINE_CASE_EVENTS,
	};
	static const char bundle[] = "{\"type\":\"bundle\",\"objects\":[{\"type\":"
		"\"observed-data\",\"id\":\"observed-data--00000000-0000-4000-8000-"
		"000000000001\",\"first_observed\":\"2024-01-01T00:00:00Z\","
		"\"last_observed\":\"2024-01-01T00:00:00Z\",\"number_observed\":3,"
		"\"object_refs\":[\"ipv4-addr--00000000-0000-4000-8000-000000000002\"]},"
		"{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--00000000-0000-4000-8000-"
		"000000000002\",\"value\":\"198.51.100.77\"}]}";
	struct match_sweep *w = ctx;
	sensor_engine *e = NULL;
	sensor_eve *r = NULL;
	json_t *root = NULL;
	int rc = 1;

	w->got[0] = '\0';
	if (sensor_eve_new(&r) != TX_OK || sensor_engine_new(w->ix, &e) != TX_OK) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < 5; i++) {
		struct sensor_event ev = { .line = i + 1 };
		if (sensor_eve_parse(r, lines[i], strlen(lines[i]), &ev, err) != TX_OK ||
		    sensor_engine_eve(e, &ev, match_note, w, err) != TX_OK)
			goto out;
	}
	sensor_engine_free(e);
	e = NULL;
	if ((root = json_loads(bundle, 0, NULL)) == NULL) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (sensor_engine_new(w->ix, &e) != TX_OK) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (sensor_engine_stix(e, root, match_note, w, err) != TX_OK)
		goto out;
	rc = 0;
	if (w->want[0] && strcmp(w->got, w->want) != 0)
		fail_msg("sensor matcher: an allocation failed and other matches"
			 " came back: %s (want %s)", w->got, w->want);
out:
	json_decref(root);
	sensor_engine_free(e);
	sensor_eve_free(r);
	return rc;
}

static void test_sensor_match(void **state)
{
	struct pattern_indicator inds[] = {
		ENGINE_CASE_INDICATORS,
	};
	struct match_sweep w = { 0 };
	struct tx_error err = { 0 };

	assert_int_equal(pattern_index_build(inds, 3, 1, &w.ix, NULL, &err), TX_OK);
	assert_int_equal(op_match(&w, &err), 0);
	/* as test_sensor's test_engine: 4 EVE matches, 1 from the bundle */
	snprintf(w.want, sizeof(w.want), "%s", w.got);
	assert_non_null(strstr(w.want, "02@5+10000000["));
	assert_non_null(strstr(w.want, "03@5+100000000["));
	assert_non_null(strstr(w.want, "198.51.100.77"));
	each_failure("sensor_engine_eve + sensor_engine_stix", op_match, &w, 1);
	pattern_index_free(w.ix);
}

/* watch_directory_people: every point of contact, or NOMEM with no list
 * (before, a contact whose append failed was left out and the call
 * succeeded: a party's duty officer read as not there). */
struct people_sweep {
	tx_store *st;
	json_t *want;
};

static int op_people(void *ctx, struct tx_error *err)
{
	struct people_sweep *w = ctx;
	json_t *list = NULL;

	tx_err rc = watch_directory_people(w->st, NULL, "JP", &list, err);

	if (rc == TX_ERR_NOMEM && list != NULL)
		fail_msg("watch_directory_people: out of memory, and a list");
	if (rc != TX_OK) { /* a store error: what was read, said as partial */
		json_decref(list);
		return 1;
	}
	if (!json_equal(list, w->want))
		fail_msg("watch_directory_people: an allocation failed and %zu of"
			 " %zu contacts came back", json_array_size(list),
			 json_array_size(w->want));
	json_decref(list);
	return 0;
}

static void test_watch_directory(void **state)
{
	struct people_sweep w = { 0 };
	struct tx_error err = { 0 };
	char dir[64];
	int64_t pk;

	if (!failalloc_available())
		skip();
	w.st = store_with(dir, "watch/people.json", &pk);
	assert_int_equal(watch_directory_people(w.st, NULL, "JP", &w.want, &err), TX_OK);
	assert_int_equal(json_array_size(w.want), 3); /* the individuals, by name */
	assert_string_equal(tx_json_str(json_array_get(w.want, 0), "name"), "Aiko Sato");
	/* 0: the store keeps its page and statement caches */
	each_failure("watch_directory_people", op_people, &w, 0);
	json_decref(w.want);
	store_done(w.st, dir);
}

/* ---- the store reads mended in issue 19: a failure is an error ---- */

static int64_t sql_int(tx_store *st, const char *sql)
{
	store_stmt *s = NULL;
	struct tx_error err = { 0 };
	int64_t v;

	if (store_db_prepare(st, sql, &s, &err) != TX_OK ||
	    store_db_step(s) != STORE_DB_ROW)
		fail_msg("%s: %s", sql, err.msg);
	v = store_db_column_int64(s, 0);
	store_db_done(st, s);
	return v;
}

static void sql_do(tx_store *st, const char *sql)
{
	struct tx_error err = { 0 };

	if (store_db_exec(st, sql, &err) != TX_OK)
		fail_msg("%s: %s", sql, err.msg);
}

/* store_peer_list: every partner, or an error (it took a failed step
 * for the last row and gave a part of the list). */
struct peers_sweep {
	tx_store *st;
};

static int op_peer_list(void *ctx, struct tx_error *err)
{
	struct peers_sweep *w = ctx;
	struct store_peer *list = NULL;
	size_t n = 0;

	if (store_peer_list(w->st, &list, &n) != TX_OK)
		return tx_error_set(err, TX_ERR_DB, "cannot list the partners"), 1;
	if (n != 2 || strcmp(list[0].party, "UK") || strcmp(list[1].party, "US"))
		fail_msg("store_peer_list: an allocation failed and %zu partners"
			 " came back", n);
	free(list);
	return 0;
}

#define INDEX_COUNT "SELECT (SELECT count(*) FROM search_text) * 1000000 +" \
	" (SELECT count(*) FROM search_ip) * 1000 + (SELECT count(*) FROM" \
	" search_refs)"
#define INDEX_RESET "DELETE FROM search_text; DELETE FROM search_ip;" \
	" DELETE FROM search_refs; DELETE FROM search_todo;" \
	" INSERT INTO search_todo VALUES (0)"

/* The search backfill (store_search_backfill, search.c): with each
 * allocation failing in turn it either indexes every object, or fails
 * and leaves its work to do, so that the next run (the next open) indexes
 * them all. Before, a failed step or a stored object not read for lack of
 * memory counted as the end of the objects: the batch was marked done and
 * the rest never found by the search. Store unchanged by a failed run. */
static void test_search_backfill(void **state)
{
	struct tx_error err = { 0 };
	struct peers_sweep pw;
	struct store_peer *p = calloc(1, sizeof(*p));
	long n_allocs, refused = 0;
	int64_t want, pk;
	char dir[64];
	tx_store *st;

	if (!failalloc_available())
		skip();
	st = store_with(dir, "misp/feed-report.json", &pk);
	/* a second partner, for store_peer_list */
	assert_non_null(p);
	snprintf(p->party, sizeof(p->party), "US");
	snprintf(p->name, sizeof(p->name), "US node");
	snprintf(p->cert_fp, sizeof(p->cert_fp), "%064d", 4);
	snprintf(p->cert_pem, sizeof(p->cert_pem), "pem");
	snprintf(p->sign_pk, sizeof(p->sign_pk), "%064d", 5);
	snprintf(p->seal_pk, sizeof(p->seal_pk), "%064d", 6);
	assert_int_equal(store_peer_add(st, p, &err), TX_OK);
	free(p);
	pw.st = st;
	each_failure("store_peer_list", op_peer_list, &pw, 0);

	sql_do(st, INDEX_RESET);
	assert_int_equal(store_search_backfill(st, &err), TX_OK);
	want = sql_int(st, INDEX_COUNT);
	assert_true(want > 1000000); /* words of the objects indexed */
	sql_do(st, INDEX_RESET);
	failalloc_start(0);
	assert_int_equal(store_search_backfill(st, &err), TX_OK);
	n_allocs = failalloc_stop(NULL);
	assert_true(n_allocs > 0);
	for (long n = 1; n <= n_allocs; n++) {
		tx_err rc;

		sql_do(st, INDEX_RESET);
		memset(&err, 0, sizeof(err));
		failalloc_start(n);
		rc = store_search_backfill(st, &err);
		failalloc_stop(NULL);
		if (rc == TX_OK && (sql_int(st, INDEX_COUNT) != want ||
				    sql_int(st, "SELECT count(*) FROM search_todo")))
			fail_msg("search backfill: allocation %ld failed and it"
				 " gave TX_OK with the index at %lld of %lld", n,
				 (long long)sql_int(st, INDEX_COUNT), (long long)want);
		if (rc != TX_OK) {
			refused++;
			if (err.msg[0] == '\0')
				fail_msg("search backfill: allocation %ld: no message", n);
			assert_int_equal(store_search_backfill(st, &err), TX_OK);
			if (sql_int(st, INDEX_COUNT) != want)
				fail_msg("search backfill: allocation %ld failed and"
					 " the index stays at %lld of %lld for good",
					 n, (long long)sql_int(st, INDEX_COUNT),
					 (long long)want);
		}
	}
	print_message("store_search_backfill: %ld allocations, each failed once:"
		      " %ld refused and done by the next run, the rest whole\n",
		      n_allocs, refused);
	store_done(st, dir);
}

/* store_policy_release: the observers' cursors go back before this node's
 * own objects of the version and the release is recorded, or nothing
 * changes (first_own took a failed step for "no own object": released,
 * and the observer never sent the version). */
static void test_policy_release(void **state)
{
	struct tx_error err = { 0 };
	const char *ids[8];
	json_t *objs;
	char dir[64], *text;
	long n_allocs, refused = 0;
	int64_t pk, want;
	size_t n = 0;
	tx_store *st;
	int done;

	if (!failalloc_available())
		skip();
	st = store_with(dir, "misp/feed-report.json", &pk);
	assert_non_null(text = read_file("misp/feed-report.json"));
	assert_non_null(objs = json_loads(text, 0, NULL));
	free(text);
	for (n = 0; n < 3; n++)
		ids[n] = tx_json_str(json_array_get(objs, n + 4), "id");
#define RELEASE_RESET "DELETE FROM policy_released; UPDATE peers SET role =" \
	" 'observer', push_added = 9000000000000000, push_rowid = 1000000," \
	" prio_added = 9000000000000000, prio_rowid = 1000000"
#define CURSORS "SELECT (SELECT count(*) FROM policy_released) +" \
	" (SELECT sum(push_added) + sum(prio_added) FROM peers) % 1000000007"
	sql_do(st, RELEASE_RESET);
	assert_int_equal(store_policy_release(st, "d1", ids, n, &done, &err), TX_OK);
	assert_int_equal(done, 1);
	want = sql_int(st, CURSORS);
	sql_do(st, RELEASE_RESET);
	int64_t before = sql_int(st, CURSORS);
	assert_true(want != before);
	failalloc_start(0);
	assert_int_equal(store_policy_release(st, "d1", ids, n, &done, &err), TX_OK);
	n_allocs = failalloc_stop(NULL);
	for (long k = 1; k <= n_allocs; k++) {
		tx_err rc;
		sql_do(st, RELEASE_RESET);
		memset(&err, 0, sizeof(err));
		failalloc_start(k);
		rc = store_policy_release(st, "d1", ids, n, &done, &err);
		failalloc_stop(NULL);
		if (rc == TX_OK ? sql_int(st, CURSORS) != want :
				  sql_int(st, CURSORS) != before)
			fail_msg("store_policy_release: allocation %ld failed (%s):"
				 " cursors and release %lld, want %lld", k,
				 rc == TX_OK ? "TX_OK" : err.msg,
				 (long long)sql_int(st, CURSORS),
				 (long long)(rc == TX_OK ? want : before));
		refused += rc != TX_OK;
	}
	print_message("store_policy_release: %ld allocations, each failed once:"
		      " %ld refused with nothing changed, the rest whole\n",
		      n_allocs, refused);
	json_decref(objs);
	store_done(st, dir);
}

/* ---- console pages ---- */

/*
 * The console reads a request's cookie and query through libmicrohttpd
 * (taxii_ext_cookie, _arg, _header). A page swept here has no connection:
 * this program answers those look-ups itself (the linker binds the
 * console's calls to this definition before the library's).
 */
struct fake_conn {
	const char *cookie;
	const char *q;           /* the query's "q", or NULL */
};

const char *MHD_lookup_connection_value(struct MHD_Connection *connection,
					enum MHD_ValueKind kind, const char *key)
{
	const struct fake_conn *c = (const struct fake_conn *)connection;

	if (c == NULL)
		return NULL;
	if (kind == MHD_COOKIE_KIND && strcmp(key, CONSOLE_COOKIE) == 0)
		return c->cookie;
	if (kind == MHD_GET_ARGUMENT_KIND && strcmp(key, "q") == 0)
		return c->q;
	return NULL;
}

struct page_sweep {
	tx_store *st;
	struct tx_config cfg;
	struct fake_conn conn;
	const char *path;         /* after /console/ */
	unsigned want_status;
	char *want;               /* the page with no failure */
	long served, failed;      /* answers: the page whole, an error page */
};

/* One GET of the page; the body (caller frees) and status. */
static char *page_get(struct page_sweep *w, unsigned *status)
{
	struct taxii_ext_request rq = { .method = "GET", .path = "console",
					.rest = w->path, .st = w->st, .cfg = &w->cfg,
					.dir = "/nonexistent", .client_addr = "127.0.0.1",
					.conn = &w->conn };
	struct taxii_ext_reply rp = { 0 };
	char *text;

	console_http(NULL, &rq, &rp);
	*status = rp.status;
	json_decref(rp.json);
	text = rp.text;
	if (text == NULL)
		text = strdup(rp.message);
	return text;
}

static int op_page(void *ctx, struct tx_error *err)
{
	struct page_sweep *w = ctx;
	unsigned status;
	char *got = page_get(w, &status);

	if (got == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "no page"), 1;
	if (status == w->want_status && strcmp(got, w->want) == 0) {
		w->served++;
		free(got);
		return 0;
	}
	if (status == 500 || status == 503) {
		w->failed++;
		tx_error_set(err, TX_ERR_NOMEM, "%u", status);
		free(got);
		return 1;
	}
	size_t d = 0;
	while (got[d] && got[d] == w->want[d])
		d++;
	d = d > 200 ? d - 200 : 0;
	fail_msg("console %s: an allocation failed and it answered %u (want %u"
		 " as with no failure, or 500/503); from byte %zu: %.600s\n"
		 "want: %.600s", w->path, status, w->want_status, d, got + d,
		 w->want + d);
	return 1;
}

/* The pages that show store data (home, alerts, an alert, search,
 * incidents, an object), each GET with every allocation failing in turn:
 * the page as with no failure, or an error page (500/503); never a page
 * with a part left out, nor a "not found" for an object that is there. */
static void test_console_pages(void **state)
{
	static const char *const pages[] = {
		"", "alerts", "search", "incidents", "partners",
		"object/indicator--11111111-1111-4111-8111-000000000001",
		"alert/report--22222222-2222-4222-8222-000000000001",
	};
	struct page_sweep w = { 0 };
	struct tx_error err = { 0 };
	struct store_user u;
	char dir[64], hash[CRYPTO_TOKEN_HASH_BUF], token[CRYPTO_TOKEN_BUF];
	int64_t pk, now = tx_time_now_us();

	if (!failalloc_available())
		skip();
	w.st = store_with(dir, "misp/feed-report.json", &pk);
	tx_config_defaults(&w.cfg);
	snprintf(w.cfg.party, sizeof(w.cfg.party), "JP");
	assert_int_equal(store_user_add(w.st, "ana", "x", 1, &err), TX_OK);
	assert_int_equal(store_user_get(w.st, "ana", &u, NULL, 0), TX_OK);
	assert_int_equal(crypto_token_new(token), TX_OK);
	crypto_token_hash(token, strlen(token), hash);
	assert_int_equal(store_session_add(w.st, hash, u.id, now, now + 3600000000LL,
					   &err), TX_OK);
	w.conn.cookie = token;
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		char name[160], *again;
		unsigned st2;

		w.path = pages[i];
		w.conn.q = strcmp(pages[i], "search") == 0 ? "192.0.2.44" : NULL;
		w.want = page_get(&w, &w.want_status);
		assert_non_null(w.want);
		print_message("console %s: %u, %zu bytes\n", w.path, w.want_status,
			      strlen(w.want));
		/* the same page twice: nothing in it that moves by itself */
		again = page_get(&w, &st2);
		assert_int_equal(st2, w.want_status);
		assert_string_equal(again, w.want);
		free(again);
		w.served = w.failed = 0;
		snprintf(name, sizeof(name), "console GET /console/%s", w.path);
		each_failure(name, op_page, &w, 0);
		free(w.want);
	}
	store_done(w.st, dir);
}

/* fed_derive_marking: the derived object carries the whole marking (as
 * with no failure) or the derivation is refused. */
struct derive_sweep {
	json_t *src[3];
	json_t *derived;              /* before marking */
	json_t *want;                 /* after, with no failure */
};

static int op_derive(void *ctx, struct tx_error *err)
{
	struct derive_sweep *d = ctx;
	json_t *o = json_deep_copy(d->derived);
	struct fed_derivation out;
	int r = 1;

	if (o == NULL) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return 1;
	}
	if (fed_derive_marking((const json_t *const *)d->src, 3, "JP", o, &out,
			       err) == TX_OK) {
		if (!json_equal(o, d->want))
			fail_msg("fed_derive_marking: an allocation failed and a"
				 " partial marking came back");
		r = 0;
	}
	json_decref(o);
	return r;
}

static void test_derive(void **state)
{
	struct derive_sweep d = { 0 };
	struct tx_error err = { 0 };

	/* RED to UK and US, AMBER to UK and DE, and GREEN: RED to UK */
	d.src[0] = json_pack("{s:s, s:s, s:[s], s:[s,s]}", "type", "indicator", "id",
			     "indicator--0a000000-0000-4000-8000-000000000001",
			     "object_marking_refs", fed_tlp_marking(FED_TLP_RED),
			     FED_RECIPIENTS, "UK", "US");
	d.src[1] = json_pack("{s:s, s:s, s:[s], s:[s,s]}", "type", "indicator", "id",
			     "indicator--0a000000-0000-4000-8000-000000000002",
			     "object_marking_refs", fed_tlp_marking(FED_TLP_AMBER),
			     FED_RECIPIENTS, "UK", "DE");
	d.src[2] = json_pack("{s:s, s:s, s:[s]}", "type", "indicator", "id",
			     "indicator--0a000000-0000-4000-8000-000000000003",
			     "object_marking_refs", fed_tlp_marking(FED_TLP_GREEN));
	d.derived = json_pack("{s:s, s:s}", "type", "sighting", "id",
			      "sighting--0a000000-0000-4000-8000-000000000004");
	for (int i = 0; i < 3; i++)
		assert_non_null(d.src[i]);
	assert_non_null(d.want = json_deep_copy(d.derived));
	assert_int_equal(fed_derive_marking((const json_t *const *)d.src, 3, "JP",
					    d.want, NULL, &err), TX_OK);
	assert_int_equal(fed_tlp_of(d.want), FED_TLP_RED);
	assert_int_equal(json_array_size(json_object_get(d.want, FED_RECIPIENTS)), 1);
	each_failure("fed_derive_marking", op_derive, &d, 1);
	for (int i = 0; i < 3; i++)
		json_decref(d.src[i]);
	json_decref(d.derived);
	json_decref(d.want);
}

/* policy_assess (policy/eval.c assess): the result is whole or refused,
 * on incidents of tests/data/policy/incidents.json whose rules are
 * decided, left open with exact ranges, and left open with bounds. */
struct assess_sweep {
	policy *p;
	policy_incident *inc;
	json_t *want;
};

static int op_assess(void *ctx, struct tx_error *err)
{
	struct assess_sweep *a = ctx;
	const struct policy_standing standing = { .ratified = 1 };
	json_t *r = NULL;

	if (policy_assess(a->p, a->inc, &standing, &r, err) != TX_OK)
		return 1;
	if (!json_equal(r, a->want))
		fail_msg("policy_assess: an allocation failed and a partial result"
			 " came back");
	json_decref(r);
	return 0;
}

static void test_policy_assess(void **state)
{
	const char *cases[] = { "death-direct", "death-causation-unknown",
				"no-facts-extension" };
	const struct policy_standing standing = { .ratified = 1 };
	char *ptext = read_file("../../policies/trilateral-default.json");
	char *itext = read_file("policy/incidents.json");
	json_t *all = itext ? json_loads(itext, 0, NULL) : NULL;
	struct assess_sweep a = { 0 };
	struct tx_error err = { 0 };
	const json_t *c;
	size_t i, done = 0;

	if (!failalloc_available())
		skip();
	assert_non_null(ptext);
	assert_non_null(all);
	assert_int_equal(policy_parse(ptext, strlen(ptext), "trilateral-default.json",
				      &a.p, NULL, &err), TX_OK);
	json_array_foreach(json_object_get(all, "cases"), i, c) {
		char name[96];
		size_t k;
		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
			if (strcmp(tx_json_str(c, "name"), cases[k]) == 0)
				break;
		if (k == sizeof(cases) / sizeof(cases[0]))
			continue;
		assert_int_equal(policy_incident_from_objects(json_object_get(c, "objects"),
							      NULL, &a.inc, &err), TX_OK);
		assert_int_equal(policy_assess(a.p, a.inc, &standing, &a.want, &err), TX_OK);
		assert_string_equal(tx_json_str(a.want, "decision"),
				    tx_json_str(json_object_get(c, "expect"), "decision"));
		snprintf(name, sizeof(name), "policy_assess %s", cases[k]);
		each_failure(name, op_assess, &a, 1);
		json_decref(a.want);
		policy_incident_free(a.inc);
		done++;
	}
	assert_int_equal(done, sizeof(cases) / sizeof(cases[0]));
	policy_free(a.p);
	json_decref(all);
	free(itext);
	free(ptext);
}

/* sensor_sightings_build: the sightings are whole (as with no failure) or
 * refused, also when they merge with one stored before. */
#define SIGHT_IDENTITY "identity--0a000000-0000-4000-8000-000000000009"
#define SIGHT_T0 1740823200000000LL /* 2025-03-01T10:00:00Z */

struct sighting_sweep {
	tx_store *st;
	json_t *want;                 /* the sightings with no failure */
	size_t unchanged;
};

/* The sightings of n matches (of two indicators, one with an observed
 * data id) built against st at now. */
static tx_err sightings_of(tx_store *st, const char *const *values, size_t n,
			   json_t *out, size_t *unchanged, struct tx_error *err)
{
	sensor_sightings *s = NULL;
	tx_err rc = sensor_sightings_new(3600000000LL, &s, err);

	for (size_t i = 0; rc == TX_OK && i < n; i++) {
		json_t *v = json_pack("[s]", values[i]);
		struct sensor_match m = {
			.indicator_id = i % 2 ? "indicator--11111111-1111-4111-8111-000000000002" :
					"indicator--11111111-1111-4111-8111-000000000001",
			.line = i + 1, .first = SIGHT_T0 + (int64_t)i * 1000000,
			.last = SIGHT_T0 + (int64_t)i * 1000000, .values = v,
			.observed_id = i == 0 ? "observed-data--11111111-1111-4111-8111-000000000006" : NULL };
		rc = v == NULL ? tx_error_set(err, TX_ERR_NOMEM, "out of memory")
			       : sensor_sightings_add(s, &m, err);
		json_decref(v);
	}
	if (rc == TX_OK)
		rc = sensor_sightings_build(s, st, SIGHT_IDENTITY, SIGHT_T0 + 7200000000LL,
					    out, unchanged, err);
	sensor_sightings_free(s);
	return rc;
}

static const char *const sight_new[] = { "198.51.100.7", "x.example", "198.51.100.8" };

static int op_sightings(void *ctx, struct tx_error *err)
{
	struct sighting_sweep *w = ctx;
	json_t *out = json_array();
	size_t unchanged = 0;
	int r = 1;

	if (out == NULL) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return 1;
	}
	if (sightings_of(w->st, sight_new, 3, out, &unchanged, err) == TX_OK) {
		if (!json_equal(out, w->want) || unchanged != w->unchanged)
			fail_msg("sensor_sightings_build: an allocation failed and a"
				 " partial sighting came back");
		r = 0;
	}
	json_decref(out);
	return r;
}

static void test_sightings(void **state)
{
	const char *const before[] = { "198.51.100.7", "x.example" };
	struct store_user admin = { .admin = 1 };
	struct sighting_sweep w = { 0 };
	struct tx_error err = { 0 };
	json_t *first = json_array();
	char dir[64], sid[TX_UUID_BUF];
	int64_t pk;

	if (!failalloc_available())
		skip();
	w.st = store_with(dir, "misp/feed-report.json", &pk);
	/* two sightings stored; the sweep's matches add to the first, not to
	 * the second */
	assert_int_equal(sightings_of(w.st, before, 2, first, &w.unchanged, &err), TX_OK);
	assert_int_equal(json_array_size(first), 2);
	for (size_t i = 0; i < 2; i++) {
		struct store_item it = { .obj = json_array_get(first, i) };
		assert_int_equal(store_put_objects(w.st, pk, &admin, &it, 1, sid, &err), TX_OK);
	}
	assert_non_null(w.want = json_array());
	assert_int_equal(sightings_of(w.st, sight_new, 3, w.want, &w.unchanged, &err), TX_OK);
	assert_int_equal(json_array_size(w.want), 1);
	assert_int_equal(w.unchanged, 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(w.want, 0),
							   "count")), 2);
	each_failure("sensor_sightings_build", op_sightings, &w, 0);
	json_decref(first);
	json_decref(w.want);
	store_done(w.st, dir);
}

/* fed_withdraw: a fresh object of ours each run, withdrawn with the Nth
 * allocation failing: when it says done, the revoked version stored is
 * whole (the object, revoked, with the reason and a later modified); a
 * revoked version stored by a refused run is whole too. SQLite keeps
 * pages cached, so allocations left are not counted here. */
struct last_version {
	json_t *obj;
	int not_json;  /* the stored text does not parse */
};

static int last_row(void *ctx, const struct store_row *row)
{
	struct last_version *l = ctx;

	json_decref(l->obj);
	l->obj = json_loadb(row->json, row->json_len, 0, NULL);
	l->not_json = l->obj == NULL;
	return STORE_ROW_NEXT;
}

/* Runs left out: the stored text was cut by json_dumps (below). */
static long wd_cut;

static json_t *wd_object(int run)
{
	char id[80];

	snprintf(id, sizeof(id), "indicator--0b000000-0000-4000-8000-%012d", run);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s]}",
			 "type", "indicator", "spec_version", "2.1", "id", id,
			 "created", "2025-03-01T10:00:00.000Z", "modified",
			 "2025-03-01T10:00:00.000Z", "pattern",
			 "[ipv4-addr:value = '198.51.100.9']", "pattern_type", "stix",
			 "valid_from", "2025-03-01T10:00:00Z", "object_marking_refs",
			 fed_tlp_marking(FED_TLP_GREEN), "labels", "withdraw-me");
}

/* Withdraw a fresh object with allocation n failing (0: none): 0 done,
 * 1 refused; fails the test on a partial revoked version. */
static int wd_run(tx_store *st, int64_t pk, int run, long n, long *n_allocs)
{
	struct store_user admin = { .admin = 1 };
	json_t *obj = wd_object(run), *last;
	struct last_version lv = { 0 };
	const char *id = tx_json_str(obj, "id");
	struct store_item it = { .obj = obj };
	struct store_query q = { .collection_pk = pk, .ids = &id, .n_ids = 1,
				 .limit = 10 };
	struct store_page page;
	struct fed_withdrawn out;
	struct tx_error err = { 0 };
	char sid[TX_UUID_BUF];
	long seen;
	tx_err rc;

	if (store_put_objects(st, pk, &admin, &it, 1, sid, &err) != TX_OK)
		fail_msg("fed_withdraw: after allocation %ld failed before, the store"
			 " refuses a new object: %s", n - 1, err.msg);
	failalloc_start(n);
	rc = fed_withdraw(st, "JP", id, "a mistake", SIGHT_T0 + 3600000000LL, &out, &err);
	seen = failalloc_stop(NULL);
	if (n_allocs != NULL)
		*n_allocs = seen;
	if (rc != TX_OK && err.msg[0] == '\0')
		fail_msg("fed_withdraw: allocation %ld failed: refused without a"
			 " message", n);
	if (store_query_objects(st, &q, last_row, &lv, &page, &err) != TX_OK)
		fail_msg("fed_withdraw: allocation %ld failed: the object cannot be"
			 " read after: %s", n, err.msg);
	/* Left out of the sweep: store_put_objects (put_one, store/objects.c)
	 * makes the text it stores with jansson's json_dumps, which under a
	 * failed allocation can return a text cut short instead of NULL; the
	 * revoked version is then stored as text that is not JSON. Guarding
	 * json_dumps is another branch's (issue 19 item 6). */
	if (lv.not_json) {
		wd_cut++;
		json_decref(obj);
		return rc != TX_OK;
	}
	if ((last = lv.obj) == NULL)
		fail_msg("fed_withdraw: allocation %ld failed: the object is gone", n);
	if (rc == TX_OK && !json_is_true(json_object_get(last, "revoked")))
		fail_msg("fed_withdraw: allocation %ld failed: done, but not revoked", n);
	if (json_is_true(json_object_get(last, "revoked"))) {
		json_object_set(obj, "modified", json_object_get(last, "modified"));
		json_object_set_new(obj, "revoked", json_true());
		json_object_set_new(obj, STORE_WITHDRAWAL_REASON, json_string("a mistake"));
		if (!json_equal(obj, last)) {
			char *t = json_dumps(last, JSON_COMPACT | JSON_SORT_KEYS);
			fail_msg("fed_withdraw: allocation %ld failed: a partial revoked"
				 " version was stored: %.2000s", n, t ? t : "?");
		}
	}
	json_decref(last);
	json_decref(obj);
	return rc != TX_OK;
}

static void test_withdraw(void **state)
{
	long n_allocs = 0, refused = 0;
	int64_t pk;
	char dir[64];
	tx_store *st;
	int run = 0;

	if (!failalloc_available())
		skip();
	st = store_with(dir, "misp/feed-report.json", &pk);
	assert_int_equal(wd_run(st, pk, run++, 0, &n_allocs), 0);
	assert_true(n_allocs > 0);
	for (long n = 1; n <= n_allocs + 20; n++)
		refused += wd_run(st, pk, run++, n, NULL);
	assert_int_equal(wd_run(st, pk, run++, 0, NULL), 0);
	print_message("fed_withdraw: %ld allocations, each failed once: %ld refused,"
		      " every revoked version whole (%ld left out: json_dumps cut"
		      " the stored text)\n", n_allocs, refused, wd_cut);
	store_done(st, dir);
}

int main(void)
{
	/* as every program of trilex does: JSON allocation failures counted */
	tx_json_guard_install();
	/* Under ASan the sanitizer owns malloc, so the hooks are not built
	 * in; every case would skip() after it allocated, leaking what it
	 * had. Say so once and skip the whole program (77: meson's skip). */
	if (!failalloc_available()) {
		printf("skipping: the allocation failure hooks are not in this"
		       " build (a sanitizer build replaces malloc)\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_load),
		cmocka_unit_test(test_json_dumps),
		cmocka_unit_test(test_stix_validate),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_eve),
		cmocka_unit_test(test_eve_stix),
		cmocka_unit_test(test_bom_stix),
		cmocka_unit_test(test_supply_share),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_warninglist),
		cmocka_unit_test(test_iocs),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_cyclonedx),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_policy_ratify),
		cmocka_unit_test(test_watch_state),
		cmocka_unit_test(test_watch_objects),
		cmocka_unit_test(test_misp_import),
		cmocka_unit_test(test_ingest),
		cmocka_unit_test(test_store_writes),
		cmocka_unit_test(test_supply_recheck),
		cmocka_unit_test(test_misp_feed),
		cmocka_unit_test(test_alert_build),
		cmocka_unit_test(test_watch_load),
		cmocka_unit_test(test_policy_registry),
		cmocka_unit_test(test_policy_select),
		cmocka_unit_test(test_sensor_match),
		cmocka_unit_test(test_search_backfill),
		cmocka_unit_test(test_policy_release),
		cmocka_unit_test(test_watch_directory),
		cmocka_unit_test(test_console_pages),
		cmocka_unit_test(test_derive),
		cmocka_unit_test(test_policy_assess),
		cmocka_unit_test(test_sightings),
		cmocka_unit_test(test_withdraw),
	};

	/* TRILEX_ALLOC_ONLY=test_sensor_match: one case (the whole takes long) */
	if (getenv("TRILEX_ALLOC_ONLY") != NULL)
		cmocka_set_test_filter(getenv("TRILEX_ALLOC_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
