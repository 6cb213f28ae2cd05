/*
 * Unit tests of watch/: scopes and vocabularies, watch.json, the month
 * arithmetic, the checks of proposals and votes, and the consensus rule
 * on records made by hand (order independence, quorum, conflicts,
 * expiry, renewal, outsiders' votes, the expired-indicator hook).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watch/watch.h"

#define A1 "threat-actor--0a000000-0000-4000-8000-000000000001"
#define IND "indicator--0a000000-0000-4000-8000-000000000005"

static int64_t ts(const char *s)
{
	int64_t t = 0;

	assert_int_equal(tx_time_parse(s, &t, NULL), TX_OK);
	return t;
}

static void test_scopes(void **state)
{
	struct watch_scope sc;
	struct tx_error err = { 0 };
	char buf[WATCH_KEY_MAX];

	assert_int_equal(watch_scope_parse("sector:defense", &sc, &err), TX_OK);
	watch_scope_format(&sc, buf);
	assert_string_equal(buf, "sector:defense");
	assert_int_equal(watch_scope_parse("country:JP", &sc, &err), TX_OK);
	assert_int_equal(sc.kind, WATCH_SCOPE_COUNTRY);
	assert_int_equal(watch_scope_parse("region:eastern-asia", &sc, &err), TX_OK);
	assert_int_equal(watch_scope_parse("actor:" A1, &sc, &err), TX_OK);
	assert_int_equal(watch_scope_parse("country:UK", &sc, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "GB"));
	assert_int_equal(watch_scope_parse("country:jp", &sc, &err), TX_ERR_INVALID);
	assert_int_equal(watch_scope_parse("sector:defence", &sc, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "industry-sector"));
	assert_int_equal(watch_scope_parse("planet:mars", &sc, &err), TX_ERR_INVALID);
	assert_int_equal(watch_scope_parse("defense", &sc, &err), TX_ERR_INVALID);
	assert_int_equal(watch_scope_parse("actor:malware--0a000000-0000-4000-8000-"
					   "000000000001", &sc, &err), TX_ERR_INVALID);
	/* every ISO code is two letters and there are 249 of them */
	int n = 0;
	for (char a = 'A'; a <= 'Z'; a++)
		for (char b = 'A'; b <= 'Z'; b++) {
			char cc[3] = { a, b, 0 };
			n += watch_is_country(cc);
		}
	assert_int_equal(n, 249);
	assert_true(watch_is_country("GB") && watch_is_country("US"));
	assert_false(watch_is_country("UK") || watch_is_country("EU"));
}

static void test_settings_and_months(void **state)
{
	struct watch_settings s;
	struct tx_error err = { 0 };
	const char *good = "{\"quorum\": 2, \"grace_days\": 10}";

	assert_int_equal(watch_settings_parse(good, strlen(good), &s, &err), TX_OK);
	assert_int_equal(s.quorum, 2);
	assert_int_equal(s.grace_days, 10);
	assert_int_equal(s.review_months, 12);
	assert_int_equal(watch_settings_parse("{\"quorum\": 99}", 14, &s, &err),
			 TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "quorum"));
	assert_int_equal(watch_settings_parse("{\"colour\": 1}", 13, &s, &err),
			 TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "unknown setting"));
	assert_int_equal(watch_settings_parse("{", 1, &s, &err), TX_ERR_INVALID);
	assert_int_equal(watch_add_months(ts("2025-01-31T10:00:00.5Z"), 1),
			 ts("2025-02-28T10:00:00.5Z"));
	assert_int_equal(watch_add_months(ts("2024-02-29T00:00:00Z"), 12),
			 ts("2025-02-28T00:00:00Z"));
	assert_int_equal(watch_add_months(ts("2025-11-15T00:00:00Z"), 14),
			 ts("2027-01-15T00:00:00Z"));
	setenv(WATCH_CLOCK_ENV, "2030-01-01T00:00:00Z", 1);
	int64_t now;
	assert_int_equal(watch_now(&now, &err), TX_OK);
	assert_int_equal(now, ts("2030-01-01T00:00:00Z"));
	setenv(WATCH_CLOCK_ENV, "soon", 1);
	assert_int_equal(watch_now(&now, &err), TX_ERR_INVALID);
	unsetenv(WATCH_CLOCK_ENV);
}

static json_t *proposal(int n, const char *created, const char *change,
			const char *target, int quorum)
{
	char id[100];

	snprintf(id, sizeof(id), "x-trilex-watch-proposal--00000000-0000-4000-8000-"
		 "%012d", n);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
			      " s:s, s:[s,s,s], s:i}", "type", WATCH_PROPOSAL_TYPE,
			      "spec_version", "2.1", "id", id, "created", created,
			      "modified", created, "subject", "watch-list", "change",
			      change, "target_ref", target, "rationale", "r", "risk",
			      "high", "responsible_party", "JP", "parties", "JP", "UK",
			      "US", "quorum", quorum);
	assert_non_null(o);
	return o;
}

static json_t *vote(int n, const char *created, int p, const char *d)
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

static void test_checks(void **state)
{
	static const struct {
		const char *key;
		const char *json;   /* the value set; NULL deletes */
		const char *want;
	} cases[] = {
		{ "subject", "\"nothing\"", "subject: must be" },
		{ "change", "\"edit\"", "change: must be" },
		{ "target_ref", "\"malware--0a000000-0000-4000-8000-000000000001\"",
		  "target_ref: must name" },
		{ "target_ref", NULL, "target_ref: required" },
		{ "risk", "\"extreme\"", "risk: must be" },
		{ "risk", NULL, "risk: required" },
		{ "rationale", NULL, "rationale: required" },
		{ "parties", "[\"JP\", \"jp\"]", "parties[1]: not a party" },
		{ "parties", "[\"JP\", \"JP\"]", "parties[1]: named twice" },
		{ "parties", "[]", "parties: must be" },
		{ "quorum", "4", "quorum: must be an integer 0-3" },
		{ "sectors", "[\"defense\", \"defence\"]", "sectors[1]" },
		{ "countries", "[\"GB\", \"UK\"]", "countries[1]" },
		{ "backup_party", "\"JP\"", "the same as responsible_party" },
		{ "created", "\"yesterday\"", "created: not an RFC 3339" },
		{ "id", "\"x-trilex-watch-proposal--nope\"", "id: must be" },
		{ "scope", "\"sector:defense\"", "scope: only in an AOR" },
	};
	struct tx_error err = { 0 };
	json_t *p = proposal(1, "2025-01-01T00:00:00Z", "add", A1, 0);

	assert_int_equal(watch_proposal_check(p, &err), TX_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *q = json_deep_copy(p);
		if (cases[i].json)
			json_object_set_new(q, cases[i].key, json_loads(cases[i].json,
				JSON_DECODE_ANY, NULL));
		else
			json_object_del(q, cases[i].key);
		assert_int_equal(watch_proposal_check(q, &err), TX_ERR_INVALID);
		if (strstr(err.msg, cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].want);
		json_decref(q);
	}
	json_t *v = vote(1, "2025-01-01T00:00:00Z", 1, "approve");
	assert_int_equal(watch_vote_check(v, &err), TX_OK);
	json_object_set_new(v, "decision", json_string("abstain"));
	assert_int_equal(watch_vote_check(v, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "decision"));
	json_decref(v);
	json_decref(p);
}

/* Build a state from (party, object) pairs in the given order. */
static watch_state *build(json_t *const *objs, const char *const *parties,
			  size_t n, const size_t *order, const char *now)
{
	struct watch_record rec[32] = { { 0 } };
	struct tx_error err = { 0 };
	watch_state *s = NULL;

	for (size_t i = 0; i < n; i++) {
		rec[i].obj = objs[order ? order[i] : i];
		rec[i].party = parties[order ? order[i] : i];
	}
	assert_int_equal(watch_state_build(rec, n, ts(now), &s, &err), TX_OK);
	return s;
}

static const char *state_of(watch_state *s, const char *id)
{
	return json_string_value(json_object_get(watch_state_proposal(s, id), "state"));
}

static const char *entry_state(watch_state *s, const char *key)
{
	json_t *j = watch_state_json(s), *e;
	const char *st = "absent";
	size_t i;

	json_array_foreach(json_object_get(j, "entries"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "key")), key) == 0)
			st = json_string_value(json_object_get(e, "state"));
	json_decref(j);
	return st;
}

#define P(n) "x-trilex-watch-proposal--00000000-0000-4000-8000-00000000000" #n

static void test_consensus(void **state)
{
	json_t *ind = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type",
				"relationship", "id", "relationship--0a000000-0000-"
				"4000-8000-000000000006", "relationship_type",
				"indicates", "source_ref", IND, "target_ref", A1,
				"spec_version", "2.1");
	json_t *objs[] = {
		proposal(1, "2025-01-01T00:00:00Z", "add", A1, 0),       /* JP */
		vote(1, "2025-01-01T01:00:00Z", 1, "approve"),           /* UK */
		vote(2, "2025-01-01T02:00:00Z", 1, "reject"),            /* XX: outsider */
		vote(3, "2025-01-01T03:00:00Z", 1, "approve"),           /* US */
		vote(4, "2025-01-01T04:00:00Z", 1, "reject"),            /* US again */
		/* two proposals on one entry: 2 first, 3 conflicts */
		proposal(2, "2025-02-01T00:00:00Z", "amend", A1, 2),     /* UK */
		proposal(3, "2025-02-01T00:05:00Z", "remove", A1, 2),    /* JP */
		vote(5, "2025-02-01T01:00:00Z", 2, "approve"),           /* US */
		vote(6, "2025-02-01T01:00:00Z", 3, "approve"),           /* US */
		ind,
	};
	const char *parties[] = { "JP", "UK", "XX", "US", "US", "UK", "JP", "US",
				  "US", "JP" };
	size_t n = sizeof(objs) / sizeof(objs[0]);
	json_object_set_new(objs[5], "risk", json_string("critical"));

	watch_state *s = build(objs, parties, n, NULL, "2025-06-01T00:00:00Z");
	assert_string_equal(state_of(s, P(1)), "approved");
	assert_string_equal(state_of(s, P(2)), "approved");
	assert_string_equal(state_of(s, P(3)), "conflict");
	const json_t *p1 = watch_state_proposal(s, P(1));
	assert_int_equal(json_array_size(json_object_get(p1, "ignored_votes")), 2);
	assert_string_equal(json_string_value(json_object_get(p1, "decided")),
			    "2025-01-01T03:00:00.000Z");
	assert_string_equal(entry_state(s, A1), "active");
	assert_false(watch_indicator_expired(s, IND));
	json_t *j0 = watch_state_json(s);
	char *first = json_dumps(j0, JSON_COMPACT);
	json_decref(j0);
	watch_state_free(s);

	/* the same records in any order give the same state */
	size_t order[10];
	for (size_t k = 0; k < 20; k++) {
		for (size_t i = 0; i < n; i++)
			order[i] = (i * (k + 3) + k) % n;
		/* make it a permutation when gcd(k+3, n) > 1 */
		int seen[10] = { 0 }, ok = 1;
		for (size_t i = 0; i < n; i++)
			ok &= !seen[order[i]]++;
		if (!ok)
			continue;
		s = build(objs, parties, n, order, "2025-06-01T00:00:00Z");
		json_t *j = watch_state_json(s);
		char *again = json_dumps(j, JSON_COMPACT);
		assert_string_equal(first, again);
		free(again);
		json_decref(j);
		watch_state_free(s);
	}
	free(first);

	/* under review after 12 months; expired 30 days later */
	s = build(objs, parties, n, NULL, "2026-01-02T00:00:00Z");
	assert_string_equal(entry_state(s, A1), "under-review");
	watch_state_free(s);
	s = build(objs, parties, n, NULL, "2026-02-01T00:00:00Z");
	assert_string_equal(entry_state(s, A1), "expired");
	assert_true(watch_indicator_expired(s, IND));
	assert_false(watch_indicator_expired(s, A1));
	watch_state_free(s);
	for (size_t i = 0; i < n; i++)
		json_decref(objs[i]);
}

static void test_rejection_and_lapse(void **state)
{
	json_t *objs[] = {
		proposal(1, "2025-01-01T00:00:00Z", "add", A1, 0),
		vote(1, "2025-01-01T01:00:00Z", 1, "reject"),
		vote(2, "2025-01-01T02:00:00Z", 1, "approve"),
	};
	const char *parties[] = { "JP", "UK", "US" };
	watch_state *s = build(objs, parties, 3, NULL, "2025-01-02T00:00:00Z");

	assert_string_equal(state_of(s, P(1)), "rejected");
	assert_string_equal(entry_state(s, A1), "absent");
	watch_state_free(s);
	/* undecided for 30 days: lapsed */
	s = build(objs, parties, 1, NULL, "2025-03-01T00:00:00Z");
	assert_string_equal(state_of(s, P(1)), "lapsed");
	watch_state_free(s);
	/* quorum 2: one other approval is enough */
	json_object_set_new(objs[0], "quorum", json_integer(2));
	s = build(objs + 0, parties, 1, NULL, "2025-01-02T00:00:00Z");
	assert_string_equal(state_of(s, P(1)), "open");
	watch_state_free(s);
	json_t *two[] = { objs[0], objs[2] };
	s = build(two, parties, 2, NULL, "2025-01-02T00:00:00Z");
	assert_string_equal(state_of(s, P(1)), "approved");
	assert_string_equal(entry_state(s, A1), "active");
	watch_state_free(s);
	/* a proposal whose proposer is not among its parties is invalid */
	const char *xx[] = { "XX" };
	s = build(objs, xx, 1, NULL, "2025-01-02T00:00:00Z");
	assert_string_equal(state_of(s, P(1)), "invalid");
	watch_state_free(s);
	for (size_t i = 0; i < 3; i++)
		json_decref(objs[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_settings_and_months),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_consensus),
		cmocka_unit_test(test_rejection_and_lapse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
