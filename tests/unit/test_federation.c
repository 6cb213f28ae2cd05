/*
 * Unit tests of federation/: the TLP reading of objects (fed_tlp_of,
 * unknown and unresolvable markings included), entitlement (fed_entitled,
 * FED_LOCAL) and the marking of derived objects (fed_derive_marking):
 * every pair of TLP levels, RED recipient intersections, an empty
 * intersection or an AMBER+STRICT source keeping the result local.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"

#define IND "indicator--0a000000-0000-4000-8000-000000000001"

/* An object at level t (FED_TLP_UNMARKED: no marking), RED to rcpt
 * ("UK,US"; NULL: no recipients property). */
static json_t *marked(enum fed_tlp t, const char *rcpt)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "indicator",
			      "spec_version", "2.1", "id", IND);

	assert_non_null(o);
	if (t != FED_TLP_UNMARKED)
		json_object_set_new(o, "object_marking_refs",
				    json_pack("[s]", fed_tlp_marking(t)));
	if (rcpt != NULL) {
		json_t *a = json_array();
		for (const char *p = rcpt; *p;) {
			size_t n = strcspn(p, ",");
			json_array_append_new(a, json_stringn(p, n));
			p += n + (p[n] == ',');
		}
		json_object_set_new(o, FED_RECIPIENTS, a);
	}
	return o;
}

static json_t *derived_obj(void)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "sighting",
			      "spec_version", "2.1", "id",
			      "sighting--0a000000-0000-4000-8000-000000000002");
	assert_non_null(o);
	return o;
}

/* The recipients of o as "A,B" (sorted as given), "" when none, "-" when
 * the property is absent. */
static void recipients(const json_t *o, char *out, size_t n)
{
	const json_t *a = json_object_get(o, FED_RECIPIENTS), *x;
	size_t i, k = 0;

	if (a == NULL) {
		snprintf(out, n, "-");
		return;
	}
	out[0] = '\0';
	json_array_foreach(a, i, x)
		k += (size_t)snprintf(out + k, n - k, "%s%s", i ? "," : "",
				      json_string_value(x));
}

static void test_tlp_of(void **state)
{
	json_t *o;

	for (int t = FED_TLP_CLEAR; t <= FED_TLP_RED; t++) {
		o = marked((enum fed_tlp)t, NULL);
		assert_int_equal(fed_tlp_of(o), t);
		json_decref(o);
	}
	o = marked(FED_TLP_UNMARKED, NULL);
	assert_int_equal(fed_tlp_of(o), FED_TLP_UNMARKED);
	json_decref(o);
	/* TLP 1.0 ids map onto 2.0 */
	o = json_pack("{s:[s]}", "object_marking_refs",
		      "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed");
	assert_int_equal(fed_tlp_of(o), FED_TLP_RED);
	json_decref(o);
}

/* A marking this node cannot resolve never reads as more shareable than
 * RED: not as unmarked (AMBER), whatever else the object carries. */
static void test_tlp_of_unknown(void **state)
{
	static const char *const unknown[] = {
		/* TLP:RED in upper case */
		"marking-definition--E828B379-4E03-4974-9AC4-E53A884C97C1",
		/* AMBER+STRICT in upper case */
		"marking-definition--939A9414-2DDD-4D32-A0CD-375EA402B003",
		/* a marking-definition this node does not know */
		"marking-definition--0a000000-0000-4000-8000-0000000000ff",
		"not-an-id",
	};
	json_t *o;

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		o = json_pack("{s:s, s:[s]}", "type", "indicator",
			      "object_marking_refs", unknown[i]);
		assert_int_equal(fed_tlp_of(o), FED_TLP_RED);
		assert_false(fed_entitled(NULL, o, "UK"));
		json_decref(o);
		/* with a shareable marking beside it */
		o = json_pack("{s:s, s:[s, s]}", "type", "indicator",
			      "object_marking_refs", fed_tlp_marking(FED_TLP_CLEAR),
			      unknown[i]);
		assert_int_equal(fed_tlp_of(o), FED_TLP_RED);
		assert_false(fed_entitled(NULL, o, "UK"));
		json_decref(o);
		/* as a granular marking */
		o = json_pack("{s:s, s:[{s:s, s:[s]}]}", "type", "indicator",
			      "granular_markings", "marking_ref", unknown[i],
			      "selectors", "name");
		assert_int_equal(fed_tlp_of(o), FED_TLP_RED);
		json_decref(o);
	}
	/* a marking ref that is not a string cannot be resolved either */
	o = json_pack("{s:s, s:[i]}", "type", "indicator", "object_marking_refs", 7);
	assert_int_equal(fed_tlp_of(o), FED_TLP_RED);
	json_decref(o);
	o = json_pack("{s:s, s:[{s:i}]}", "type", "indicator",
		      "granular_markings", "marking_ref", 7);
	assert_int_equal(fed_tlp_of(o), FED_TLP_RED);
	json_decref(o);
	/* a language marking is no restriction */
	o = json_pack("{s:s, s:[{s:s, s:[s]}]}", "type", "indicator",
		      "granular_markings", "lang", "en", "selectors", "name");
	assert_int_equal(fed_tlp_of(o), FED_TLP_UNMARKED);
	assert_true(fed_entitled(NULL, o, "UK"));
	json_decref(o);
	/* an unknown marking on a RED object with recipients: still theirs */
	o = json_pack("{s:s, s:[s], s:[s]}", "type", "indicator",
		      "object_marking_refs", unknown[2], FED_RECIPIENTS, "UK");
	assert_true(fed_entitled(NULL, o, "UK"));
	assert_false(fed_entitled(NULL, o, "US"));
	json_decref(o);
}

static void test_entitled_local(void **state)
{
	json_t *o = marked(FED_TLP_CLEAR, NULL);

	assert_true(fed_entitled(NULL, o, "UK"));
	json_object_set_new(o, FED_LOCAL, json_true());
	assert_false(fed_entitled(NULL, o, "UK"));
	/* any value but false keeps it here */
	json_object_set_new(o, FED_LOCAL, json_string("yes"));
	assert_false(fed_entitled(NULL, o, "UK"));
	json_object_set_new(o, FED_LOCAL, json_false());
	assert_true(fed_entitled(NULL, o, "UK"));
	json_decref(o);
}

/* The derived TLP is the more restrictive of two sources, for every pair
 * of levels (unmarked counting as AMBER); AMBER+STRICT keeps it local. */
static void test_derive_pairs(void **state)
{
	static const enum fed_tlp levels[] = {
		FED_TLP_CLEAR, FED_TLP_GREEN, FED_TLP_AMBER, FED_TLP_AMBER_STRICT,
		FED_TLP_RED, FED_TLP_UNMARKED,
	};
	const size_t n = sizeof(levels) / sizeof(levels[0]);
	struct tx_error err = { 0 };

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			enum fed_tlp a = levels[i], b = levels[j];
			enum fed_tlp ra = a == FED_TLP_UNMARKED ? FED_TLP_AMBER : a;
			enum fed_tlp rb = b == FED_TLP_UNMARKED ? FED_TLP_AMBER : b;
			enum fed_tlp want = ra > rb ? ra : rb;
			json_t *sa = marked(a, a == FED_TLP_RED ? "UK,US" : NULL);
			json_t *sb = marked(b, b == FED_TLP_RED ? "UK,US" : NULL);
			const json_t *src[2] = { sa, sb };
			json_t *d = derived_obj();
			struct fed_derivation out;
			int strict = a == FED_TLP_AMBER_STRICT ||
				     b == FED_TLP_AMBER_STRICT;

			assert_int_equal(fed_derive_marking(src, 2, "JP", d, &out,
							    &err), TX_OK);
			assert_int_equal(out.tlp, want);
			assert_int_equal(fed_tlp_of(d), want);
			assert_int_equal(json_array_size(json_object_get(
				d, "object_marking_refs")), 1);
			assert_int_equal(out.local, strict);
			assert_int_equal(json_is_true(json_object_get(d, FED_LOCAL)),
					 strict);
			/* who may have it: never anyone a source excludes */
			for (int k = 0; k < 3; k++) {
				const char *p = k == 0 ? "UK" : k == 1 ? "US" : "FR";
				int may = fed_entitled(NULL, sa, p) &&
					  fed_entitled(NULL, sb, p);
				if (fed_entitled(NULL, d, p))
					assert_true(may);
				/* and, unless it must stay here, everyone both allow */
				if (!strict)
					assert_int_equal(fed_entitled(NULL, d, p), may);
			}
			if (want == FED_TLP_RED)
				assert_non_null(json_object_get(d, FED_RECIPIENTS));
			else
				assert_null(json_object_get(d, FED_RECIPIENTS));
			json_decref(sa);
			json_decref(sb);
			json_decref(d);
		}
}

static void test_derive_red(void **state)
{
	static const struct {
		const char *a, *b;   /* recipients of two RED sources ("" none) */
		const char *want;
		int local;
	} cases[] = {
		{ "UK", "UK", "UK", 0 },
		{ "UK,US", "US,UK", "UK,US", 0 },
		{ "UK,US", "US", "US", 0 },
		{ "UK", "US", "", 1 },          /* empty intersection */
		{ "UK,US", "", "", 1 },         /* a RED source naming no one */
		{ "JP", "JP,UK", "JP", 1 },     /* only this node is left */
		{ "JP,UK", "UK,JP", "JP,UK", 0 },
	};
	struct tx_error err = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *sa = marked(FED_TLP_RED, cases[i].a);
		json_t *sb = marked(FED_TLP_RED, cases[i].b);
		json_t *c = marked(FED_TLP_CLEAR, NULL);
		const json_t *src[3] = { sa, c, sb };
		json_t *d = derived_obj();
		struct fed_derivation out;
		char got[64];

		assert_int_equal(fed_derive_marking(src, 3, "JP", d, &out, &err),
				 TX_OK);
		assert_int_equal(out.tlp, FED_TLP_RED);
		recipients(d, got, sizeof(got));
		assert_string_equal(got, cases[i].want);
		assert_int_equal(out.local, cases[i].local);
		assert_int_equal(json_is_true(json_object_get(d, FED_LOCAL)),
				 cases[i].local);
		if (cases[i].local) {
			assert_false(fed_entitled(NULL, d, "UK"));
			assert_false(fed_entitled(NULL, d, "US"));
		}
		json_decref(sa);
		json_decref(sb);
		json_decref(c);
		json_decref(d);
	}
	/* RED with AMBER+STRICT: no recipients, local */
	{
		json_t *sa = marked(FED_TLP_RED, "UK");
		json_t *sb = marked(FED_TLP_AMBER_STRICT, NULL);
		const json_t *src[2] = { sa, sb };
		json_t *d = derived_obj();
		char got[64];

		assert_int_equal(fed_derive_marking(src, 2, "JP", d, NULL, &err),
				 TX_OK);
		recipients(d, got, sizeof(got));
		assert_string_equal(got, "");
		assert_true(json_is_true(json_object_get(d, FED_LOCAL)));
		assert_false(fed_entitled(NULL, d, "UK"));
		json_decref(sa);
		json_decref(sb);
		json_decref(d);
	}
}

static void test_derive_floor_and_defaults(void **state)
{
	struct tx_error err = { 0 };
	struct fed_derivation out;
	json_t *d = derived_obj(), *s, *local;
	const json_t *src[1];

	/* no sources, no marking: the node's default */
	assert_int_equal(fed_derive_marking(NULL, 0, "JP", d, &out, &err), TX_OK);
	assert_int_equal(out.tlp, FED_TLP_AMBER);
	assert_false(out.local);
	json_decref(d);
	/* what the producer asked for is a floor: CLEAR sources do not lower
	 * a RED alert, and its recipients are kept */
	d = marked(FED_TLP_RED, "UK");
	s = marked(FED_TLP_CLEAR, NULL);
	src[0] = s;
	assert_int_equal(fed_derive_marking(src, 1, "JP", d, &out, &err), TX_OK);
	assert_int_equal(out.tlp, FED_TLP_RED);
	assert_true(fed_entitled(NULL, d, "UK"));
	assert_false(fed_entitled(NULL, d, "US"));
	json_decref(d);
	/* and a GREEN request about an AMBER object becomes AMBER */
	d = marked(FED_TLP_GREEN, NULL);
	json_decref(s);
	s = marked(FED_TLP_AMBER, NULL);
	src[0] = s;
	assert_int_equal(fed_derive_marking(src, 1, "JP", d, &out, &err), TX_OK);
	assert_int_equal(fed_tlp_of(d), FED_TLP_AMBER);
	json_decref(d);
	/* recipients the producer named on a derived object that is not RED
	 * are a floor too: they restrict it (an alert's --to) */
	d = derived_obj();
	json_object_set_new(d, FED_RECIPIENTS, json_pack("[s]", "US"));
	assert_int_equal(fed_derive_marking(src, 1, "JP", d, &out, &err), TX_OK);
	assert_int_equal(fed_tlp_of(d), FED_TLP_AMBER);
	assert_int_equal(json_array_size(json_object_get(d, FED_RECIPIENTS)), 1);
	assert_true(fed_entitled(NULL, d, "US"));
	assert_false(fed_entitled(NULL, d, "UK"));
	json_decref(d);
	/* derived from a derived object that stays here: stays here */
	local = marked(FED_TLP_CLEAR, NULL);
	json_object_set_new(local, FED_LOCAL, json_true());
	src[0] = local;
	d = derived_obj();
	assert_int_equal(fed_derive_marking(src, 1, "JP", d, &out, &err), TX_OK);
	assert_true(out.local);
	assert_false(fed_entitled(NULL, d, "UK"));
	json_decref(d);
	/* an upper-case RED marking on a source: RED, no one named: local */
	json_decref(s);
	s = json_pack("{s:s, s:[s]}", "type", "indicator", "object_marking_refs",
		      "marking-definition--E828B379-4E03-4974-9AC4-E53A884C97C1");
	src[0] = s;
	d = derived_obj();
	assert_int_equal(fed_derive_marking(src, 1, "JP", d, &out, &err), TX_OK);
	assert_int_equal(out.tlp, FED_TLP_RED);
	assert_true(out.local);
	json_decref(d);
	/* a source that is not an object: unreadable, so local */
	src[0] = json_string("x");
	d = derived_obj();
	assert_int_equal(fed_derive_marking(src, 1, "JP", d, &out, &err), TX_OK);
	assert_true(out.local);
	json_decref((json_t *)src[0]);
	json_decref(d);
	/* the derived object must be an object */
	assert_int_equal(fed_derive_marking(NULL, 0, "JP", NULL, &out, &err),
			 TX_ERR_INVALID);
	json_decref(s);
	json_decref(local);
}

/* Named recipients restrict every TLP, not only RED; a derived object of
 * a restricted source is restricted the same way. */
static void test_recipients_restrict_any_tlp(void **state)
{
	static const enum fed_tlp levels[] = { FED_TLP_CLEAR, FED_TLP_GREEN,
					       FED_TLP_AMBER, FED_TLP_UNMARKED };
	struct fed_derivation out;
	struct tx_error err = { 0 };
	char r[64];

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		json_t *o = marked(levels[i], "UK");
		assert_true(fed_entitled(NULL, o, "UK"));
		assert_false(fed_entitled(NULL, o, "US"));
		json_decref(o);
		o = marked(levels[i], NULL);
		assert_true(fed_entitled(NULL, o, "US"));
		json_decref(o);
	}
	const json_t *src[2] = { marked(FED_TLP_GREEN, "UK,US"),
				 marked(FED_TLP_AMBER, "US,FR") };
	json_t *d = derived_obj();
	assert_int_equal(fed_derive_marking(src, 2, "JP", d, &out, &err), TX_OK);
	assert_int_equal(out.tlp, FED_TLP_AMBER);
	recipients(d, r, sizeof(r));
	assert_string_equal(r, "US");
	assert_true(fed_entitled(NULL, d, "US"));
	assert_false(fed_entitled(NULL, d, "UK"));
	assert_false(out.local);
	json_decref(d);
	/* no party in common: it stays here */
	json_decref((json_t *)src[1]);
	src[1] = marked(FED_TLP_AMBER, "FR");
	d = derived_obj();
	assert_int_equal(fed_derive_marking(src, 2, "JP", d, &out, &err), TX_OK);
	assert_true(out.local);
	assert_false(fed_entitled(NULL, d, "FR"));
	json_decref(d);
	json_decref((json_t *)src[0]);
	json_decref((json_t *)src[1]);
}

/* A store with partners UK and US (key only) and one attack-pattern. */
static tx_store *alert_store(char dir[64])
{
	char path[128];
	tx_store *st = NULL;
	struct tx_error err = { 0 };

	snprintf(dir, 64, "/tmp/trilex-alert-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(store_open(path, 1, &st, &err), TX_OK);
	for (int i = 0; i < 2; i++) {
		struct store_peer *p = calloc(1, sizeof(*p));
		assert_non_null(p);
		snprintf(p->party, sizeof(p->party), "%s", i ? "US" : "UK");
		snprintf(p->name, sizeof(p->name), "node %d", i);
		snprintf(p->cert_fp, sizeof(p->cert_fp), "%064d", i);
		snprintf(p->cert_pem, sizeof(p->cert_pem), "pem %d", i);
		snprintf(p->sign_pk, sizeof(p->sign_pk), "%064d", i + 10);
		snprintf(p->seal_pk, sizeof(p->seal_pk), "%064d", i + 20);
		assert_int_equal(store_peer_add(st, p, &err), TX_OK);
		free(p);
	}
	struct store_collection c;
	struct store_user admin = { .admin = 1 };
	char sid[TX_UUID_BUF];
	assert_int_equal(store_collection_ensure(st, "K", "", "kb", &c, &err), TX_OK);
	json_t *ap = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:[s]}",
			       "type", "attack-pattern", "spec_version", "2.1", "id",
			       "attack-pattern--0a000000-0000-4000-8000-000000000801",
			       "created", "2020-01-01T00:00:00Z", "modified",
			       "2020-01-01T00:00:00Z", "name", "Spearphishing",
			       "external_references", "source_name", "mitre-attack",
			       "external_id", "T1566", "object_marking_refs",
			       fed_tlp_marking(FED_TLP_GREEN));
	struct store_item it = { .obj = ap };
	assert_int_equal(store_put_objects(st, c.pk, &admin, &it, 1, sid, &err), TX_OK);
	json_decref(ap);
	return st;
}

/* fed_alert_build: flags mean what they say. */
static void test_alert_build(void **state)
{
	char dir[64], cmd[96];
	tx_store *st = alert_store(dir);
	const char *inds[] = { "[ipv4-addr:value = '192.0.2.1']" };
	const char *known[] = { "T1566" }, *unknown[] = { "T9999" };
	struct fed_alert a = { .title = "Wave", .tlp = FED_TLP_AMBER, .to = "UK",
			       .indicators = inds, .n_indicators = 1,
			       .techniques = known, .n_techniques = 1,
			       .self_party = "JP", .self_name = "JP node",
			       .identity_id = "identity--0a000000-0000-4000-8000-000000000009",
			       .now_us = 1700000000000000LL };
	struct fed_alert_built b;
	struct tx_error err = { 0 };
	const json_t *x;
	size_t i;
	char r[64];

	/* AMBER to UK: every object says so, and UK alone may have them */
	assert_int_equal(fed_alert_build(st, &a, &b, &err), TX_OK);
	assert_int_equal(json_array_size(b.objects), 3); /* identity, indicator, report */
	assert_int_equal(json_array_size(b.stubs), 0);
	json_array_foreach(b.objects, i, x) {
		const char *type = json_string_value(json_object_get(x, "type"));
		if (strcmp(type, "identity") == 0)
			continue;
		recipients(x, r, sizeof(r));
		assert_string_equal(r, "UK");
		assert_true(fed_entitled(NULL, x, "UK"));
		assert_false(fed_entitled(NULL, x, "US"));
	}
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		b.report, "object_refs"), 1)),
		"attack-pattern--0a000000-0000-4000-8000-000000000801");
	assert_int_equal(fed_tlp_of(b.report), FED_TLP_AMBER);
	fed_alert_clear(&b);
	/* GREEN with no recipients: every partner */
	a.tlp = FED_TLP_GREEN;
	a.to = NULL;
	assert_int_equal(fed_alert_build(st, &a, &b, &err), TX_OK);
	assert_true(fed_entitled(NULL, b.report, "US"));
	assert_null(json_object_get(b.report, FED_RECIPIENTS));
	fed_alert_clear(&b);
	/* a recipient that is not pinned, or this node */
	a.tlp = FED_TLP_RED;
	a.to = "UK,FR";
	assert_int_equal(fed_alert_build(st, &a, &b, &err), TX_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "FR is not a pinned partner"));
	assert_null(b.objects);
	a.to = "JP";
	assert_int_equal(fed_alert_build(st, &a, &b, &err), TX_ERR_INVALID);
	a.to = "uk";
	assert_int_equal(fed_alert_build(st, &a, &b, &err), TX_ERR_INVALID);
	a.to = NULL;
	assert_int_equal(fed_alert_build(st, &a, &b, &err), TX_ERR_INVALID);
	/* AMBER+STRICT cannot go to anyone */
	a.tlp = FED_TLP_AMBER_STRICT;
	a.to = "UK";
	assert_int_equal(fed_alert_build(st, &a, &b, &err), TX_ERR_INVALID);
	/* an unknown technique is an error, unless a stub is allowed */
	a.tlp = FED_TLP_GREEN;
	a.to = NULL;
	a.techniques = unknown;
	assert_int_equal(fed_alert_build(st, &a, &b, &err), TX_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "T9999"));
	a.allow_unknown_technique = 1;
	assert_int_equal(fed_alert_build(st, &a, &b, &err), TX_OK);
	assert_int_equal(json_array_size(b.stubs), 1);
	assert_int_equal(json_array_size(b.objects), 4);
	fed_alert_clear(&b);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The lane table (federation/lanes.c): what is priority, and what an
 * alert refers to among what is stored with it. */
static void test_lanes(void **state)
{
	static const char *const prio[] = {
		"{\"type\":\"x-trilex-watch-vote\",\"id\":\"x-trilex-watch-vote--1\"}",
		"{\"type\":\"x-trilex-watch-proposal\",\"id\":\"a\"}",
		"{\"type\":\"x-trilex-partner-admission-vote\",\"id\":\"a\"}",
		"{\"type\":\"x-trilex-policy-approval\",\"id\":\"a\"}",
		"{\"type\":\"x-trilex-withdrawal\",\"id\":\"a\"}",
		"{\"type\":\"indicator\",\"id\":\"a\",\"revoked\":true}",
		"{\"type\":\"report\",\"id\":\"a\",\"labels\":[\"x\",\"trilex-alert\"]}",
	};
	static const char *const bulk[] = {
		"{\"type\":\"indicator\",\"id\":\"a\",\"revoked\":false}",
		"{\"type\":\"report\",\"id\":\"a\",\"labels\":[\"threat-report\"]}",
		"{\"type\":\"x-trilex-partner\",\"id\":\"a\"}",
		"{\"type\":\"x-trilex-watch-votes\",\"id\":\"a\"}",
		"{\"type\":\"x-trilex-policy\",\"id\":\"a\"}",
		"{\"id\":\"a\"}",
	};
	for (size_t i = 0; i < sizeof(prio) / sizeof(*prio); i++) {
		json_t *o = json_loads(prio[i], 0, NULL);
		assert_non_null(o);
		assert_int_equal(fed_lane_of(o), STORE_LANE_PRIORITY);
		json_decref(o);
	}
	for (size_t i = 0; i < sizeof(bulk) / sizeof(*bulk); i++) {
		json_t *o = json_loads(bulk[i], 0, NULL);
		assert_non_null(o);
		assert_int_equal(fed_lane_of(o), STORE_LANE_BULK);
		json_decref(o);
	}
	/* a batch: an alert's indicator and author go with it (both versions
	 * of the indicator), an unrelated indicator does not, a refused item
	 * is skipped */
	json_t *objs[6] = {
		json_loads("{\"type\":\"indicator\",\"id\":\"indicator--b\"}", 0, NULL),
		json_loads("{\"type\":\"indicator\",\"id\":\"indicator--a\"}", 0, NULL),
		json_loads("{\"type\":\"identity\",\"id\":\"identity--me\"}", 0, NULL),
		json_loads("{\"type\":\"indicator\",\"id\":\"indicator--a\","
			   "\"modified\":\"x\"}", 0, NULL),
		NULL,
		json_loads("{\"type\":\"report\",\"id\":\"report--r\",\"labels\":"
			   "[\"trilex-alert\"],\"created_by_ref\":\"identity--me\","
			   "\"object_refs\":[\"indicator--a\",\"indicator--gone\"]}",
			   0, NULL),
	};
	struct store_item items[6] = { { 0 } };
	unsigned char lanes[6] = { 0 };
	for (int i = 0; i < 6; i++)
		items[i].obj = objs[i];
	fed_store_lanes(items, 6, lanes);
	assert_int_equal(lanes[0], STORE_LANE_BULK);
	assert_int_equal(lanes[1], STORE_LANE_PRIORITY);
	assert_int_equal(lanes[2], STORE_LANE_PRIORITY);
	assert_int_equal(lanes[3], STORE_LANE_PRIORITY);
	assert_int_equal(lanes[4], STORE_LANE_BULK);
	assert_int_equal(lanes[5], STORE_LANE_PRIORITY);
	for (int i = 0; i < 6; i++)
		json_decref(objs[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlp_of),
		cmocka_unit_test(test_tlp_of_unknown),
		cmocka_unit_test(test_entitled_local),
		cmocka_unit_test(test_derive_pairs),
		cmocka_unit_test(test_derive_red),
		cmocka_unit_test(test_derive_floor_and_defaults),
		cmocka_unit_test(test_recipients_restrict_any_tlp),
		cmocka_unit_test(test_alert_build),
		cmocka_unit_test(test_lanes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
