/*
 * Unit tests of policy/: the default policy, the table of incidents in
 * tests/data/policy/incidents.json with their expected outcomes, incident
 * reading errors, an invalid policy with every problem listed, diff, and
 * ratification on a real store (one node; other parties' approvals are
 * made as they would arrive by replication).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <unistd.h>

#include "policy/policy.h"
#include "store/store.h"

static char data_dir[1024];

static char *slurp_path(const char *rel, size_t *len)
{
	char path[2048];
	char *text = NULL;
	struct tx_error err;

	snprintf(path, sizeof(path), "%s/%s", data_dir, rel);
	if (tx_read_file(path, 64 << 20, &text, len, &err) != TX_OK)
		fail_msg("%s", err.msg);
	return text;
}

static policy *default_policy(void)
{
	struct tx_error err = { 0 };
	policy *p = NULL;
	size_t len;
	char *text = slurp_path("../../policies/trilateral-default.json", &len);

	if (policy_parse(text, len, "trilateral-default.json", &p, NULL, &err) !=
	    TX_OK)
		fail_msg("default policy: %s", err.msg);
	free(text);
	return p;
}

static void test_default_policy(void **state)
{
	policy *p = default_policy(), *q = NULL;
	struct tx_error err;

	assert_string_equal(policy_version(p), "2025.1");
	assert_int_equal(strlen(policy_digest(p)), 64);
	/* The digest is of the content, not of the text's layout. */
	char *compact = json_dumps(policy_json(p), JSON_COMPACT);
	assert_int_equal(policy_parse(compact, strlen(compact), "x", &q, NULL,
				      &err), TX_OK);
	assert_string_equal(policy_digest(p), policy_digest(q));
	/* Eight Tallinn factors, six levels. */
	assert_int_equal(json_array_size(json_object_get(policy_json(p),
							 "criteria")), 8);
	assert_int_equal(json_array_size(json_object_get(policy_json(p),
							 "levels")), 6);
	free(compact);
	policy_free(q);
	policy_free(p);
}

/* Equal JSON values, where 72 and 72.0 are the same number. */
static int same(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal((json_t *)a, (json_t *)b);
}

/* Compare one result against a case's "expect"; returns problems found. */
static int check_case(const char *name, const json_t *r, const json_t *e)
{
	static const char *const keys[] = { "decision", "rule", "tier", "level",
					    "score", "score_range", NULL };
	const char *k;
	json_t *v;
	int bad = 0;
	size_t i;

	for (i = 0; keys[i]; i++) {
		const json_t *want = json_object_get(e, keys[i]);
		if (want && !json_equal((json_t *)want, json_object_get(r, keys[i]))) {
			char *got = json_dumps(json_object_get(r, keys[i]),
					       JSON_ENCODE_ANY);
			print_error("%s: %s is %s\n", name, keys[i], got);
			free(got);
			bad++;
		}
	}
	json_object_foreach(json_object_get(e, "factors"), k, v) {
		const json_t *f = NULL, *x;
		json_array_foreach(json_object_get(r, "factors"), i, x)
			if (strcmp(json_string_value(json_object_get(x, "id")), k) == 0)
				f = x;
		assert_non_null(f);
		if (json_is_string(v)) {
			if (!json_is_true(json_object_get(f, "undetermined")) ||
			    json_object_get(f, "score") != NULL) {
				print_error("%s: factor %s is determined\n", name, k);
				bad++;
			}
		} else if (!json_equal(v, json_object_get(f, "score"))) {
			print_error("%s: factor %s is %lld\n", name, k,
				    (long long)json_integer_value(json_object_get(f,
										 "score")));
			bad++;
		}
		/* Every determined factor shows its evidence. */
		if (json_is_integer(json_object_get(f, "score")))
			assert_true(json_array_size(json_object_get(f, "evidence")) > 0);
		else
			assert_true(json_array_size(json_object_get(f,
								   "would_change")) > 0);
	}
	json_object_foreach(json_object_get(e, "facts"), k, v) {
		const json_t *got = json_object_get(json_object_get(r, "facts"), k);
		if (json_is_null(v) ? got != NULL : !same(v, got)) {
			print_error("%s: fact %s differs\n", name, k);
			bad++;
		}
	}
	if ((v = json_object_get(e, "undetermined_rules")) != NULL) {
		const json_t *u = json_object_get(r, "undetermined");
		if (json_array_size(u) != json_array_size(v)) {
			print_error("%s: %zu undetermined rules\n", name,
				    json_array_size(u));
			bad++;
		} else {
			for (i = 0; i < json_array_size(v); i++) {
				const json_t *ur = json_array_get(u, i);
				if (strcmp(json_string_value(json_array_get(v, i)),
					   json_string_value(json_object_get(ur,
									     "rule"))) != 0) {
					print_error("%s: undetermined rule %zu\n",
						    name, i);
					bad++;
				}
				/* ...each saying which evidence would settle it */
				assert_true(json_array_size(json_object_get(
					ur, "would_change")) > 0);
			}
		}
	}
	if ((v = json_object_get(e, "contradictions")) != NULL &&
	    json_array_size(json_object_get(r, "contradictions")) !=
		    (size_t)json_integer_value(v)) {
		print_error("%s: %zu contradictions\n", name,
			    json_array_size(json_object_get(r, "contradictions")));
		bad++;
	}
	for (const char *const *list = (const char *const[]){ "gaps",
							      "contradictions",
							      NULL }; *list;
	     list++) {
		char key[64];
		const json_t *want, *x;
		int found = 0;

		snprintf(key, sizeof(key), "%s_contain",
			 strcmp(*list, "gaps") == 0 ? "gaps" : "contradiction");
		if ((want = json_object_get(e, key)) == NULL)
			continue;
		json_array_foreach(json_object_get(r, *list), i, x)
			found |= strstr(json_string_value(x),
					json_string_value(want)) != NULL;
		if (!found) {
			print_error("%s: no %s holds \"%s\"\n", name, *list,
				    json_string_value(want));
			bad++;
		}
	}
	return bad;
}

static void test_incident_table(void **state)
{
	struct policy_standing standing = { .ratified = 1 };
	struct tx_error err = { 0 };
	json_error_t jerr;
	size_t len, i;
	char *text = slurp_path("policy/incidents.json", &len);
	json_t *doc = json_loadb(text, len, 0, &jerr), *c;
	policy *p = default_policy();
	int bad = 0;
	const char *decisions[4] = { POLICY_BELOW, POLICY_SIGNIFICANT,
				     POLICY_USE_OF_FORCE, POLICY_ARMED_ATTACK };
	int seen[4] = { 0 };

	assert_non_null(doc);
	assert_true(json_array_size(json_object_get(doc, "cases")) >= 30);
	json_array_foreach(json_object_get(doc, "cases"), i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		policy_incident *inc = NULL;
		json_t *r1 = NULL, *r2 = NULL;
		char *d1, *d2;

		if (policy_incident_from_objects(json_object_get(c, "objects"),
						 NULL, &inc, &err) != TX_OK)
			fail_msg("%s: %s", name, err.msg);
		assert_int_equal(policy_assess(p, inc, &standing, &r1, &err), TX_OK);
		assert_int_equal(policy_assess(p, inc, &standing, &r2, &err), TX_OK);
		/* deterministic, byte for byte */
		d1 = json_dumps(r1, JSON_COMPACT);
		d2 = json_dumps(r2, JSON_COMPACT);
		assert_string_equal(d1, d2);
		bad += check_case(name, r1, json_object_get(c, "expect"));
		for (int j = 0; j < 4; j++)
			seen[j] |= strcmp(decisions[j], json_string_value(
						  json_object_get(r1, "decision"))) == 0;
		assert_true(json_is_true(json_object_get(r1, "ratified")));
		assert_string_equal(json_string_value(json_object_get(r1,
								      "policy_version")),
				    "2025.1");
		free(d1);
		free(d2);
		json_decref(r1);
		json_decref(r2);
		policy_incident_free(inc);
	}
	for (int j = 0; j < 4; j++)
		assert_true(seen[j]); /* every decision is reached by some case */
	assert_int_equal(bad, 0);
	json_decref(doc);
	free(text);
	policy_free(p);
}

static void test_incident_errors(void **state)
{
	json_error_t jerr;
	size_t len, i;
	char *text = slurp_path("policy/incidents.json", &len);
	json_t *doc = json_loadb(text, len, 0, &jerr), *c;
	struct tx_error err = { 0 };
	policy_incident *inc = NULL;

	json_array_foreach(json_object_get(doc, "errors"), i, c) {
		const char *want = json_string_value(json_object_get(c,
								     "error_contains"));
		assert_int_not_equal(policy_incident_from_objects(
					     json_object_get(c, "objects"), NULL,
					     &inc, &err), TX_OK);
		assert_null(inc);
		if (strstr(err.msg, want) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"",
				 json_string_value(json_object_get(c, "name")),
				 err.msg, want);
	}
	/* JSON syntax errors name the line and column */
	assert_int_equal(policy_incident_parse("{\n \"type\": \"bundle\",\n x}", 25,
					       "in.json", NULL, &inc, &err),
			 TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "in.json:3:"));
	/* not a bundle */
	assert_int_equal(policy_incident_parse("42", 2, "n.json", NULL, &inc, &err),
			 TX_ERR_INVALID);
	json_decref(doc);
	free(text);
}

static void test_invalid_policy(void **state)
{
	size_t len, elen, i;
	char *text = slurp_path("policy/invalid-policy.json", &len);
	char *expect = slurp_path("policy/invalid-policy.expect", &elen);
	json_t *problems = json_array();
	struct tx_error err = { 0 };
	policy *p = NULL;
	char *line, *nl;

	assert_int_equal(policy_parse(text, len, "invalid-policy.json", &p,
				      problems, &err), TX_ERR_INVALID);
	assert_null(p);
	assert_non_null(strstr(err.msg, "and 14 more problems"));
	i = 0;
	for (line = expect; *line; line = nl + 1, i++) {
		if ((nl = strchr(line, '\n')) == NULL)
			fail_msg("invalid-policy.expect must end with a newline");
		*nl = '\0';
		assert_true(i < json_array_size(problems));
		assert_string_equal(json_string_value(json_array_get(problems, i)),
				    line);
	}
	assert_int_equal(i, json_array_size(problems));
	assert_int_equal(i, 15);
	/* syntax errors: file, line, column */
	json_array_clear(problems);
	assert_int_equal(policy_parse("{\"a\": }", 7, "p.json", &p, problems, &err),
			 TX_ERR_INVALID);
	assert_non_null(strstr(json_string_value(json_array_get(problems, 0)),
			       "p.json:1:"));
	/* duplicate keys are refused, not silently merged */
	assert_int_equal(policy_parse("{\"version\": \"1\", \"version\": \"2\"}", 32,
				      "d.json", &p, NULL, &err), TX_ERR_INVALID);
	json_decref(problems);
	free(text);
	free(expect);
}

static void test_diff(void **state)
{
	policy *p = default_policy();
	json_t *a = json_deep_copy(policy_json(p)), *b = json_deep_copy(a), *d;
	json_t *crit = json_array_get(json_object_get(b, "criteria"), 0);

	json_object_set_new(b, "version", json_string("2025.2"));
	json_object_set_new(crit, "weight", json_integer(4));
	json_array_remove(json_object_get(b, "tiers"), 1);
	d = policy_diff(a, b);
	assert_int_equal(json_array_size(d), 3);
	assert_string_equal(json_string_value(json_array_get(d, 0)),
			    "~ version: \"2025.1\" -> \"2025.2\"");
	assert_string_equal(json_string_value(json_array_get(d, 1)),
			    "~ criteria[severity].weight: 3 -> 4");
	assert_string_equal(json_string_value(json_array_get(d, 2)),
			    "- tiers[counter-espionage]");
	json_decref(d);
	d = policy_diff(a, a);
	assert_int_equal(json_array_size(d), 0);
	json_decref(d);
	json_decref(a);
	json_decref(b);
	policy_free(p);
}

/* ---- ratification on a real store ---- */

static void put(tx_store *st, int64_t pk, json_t *obj)
{
	struct store_user u = { .admin = 1, .name = "t" };
	struct tx_error err = { 0 };

	assert_non_null(obj);
	if (policy_store_object(st, pk, &u, obj, &err) != TX_OK)
		fail_msg("%s", err.msg);
	json_decref(obj);
}

/* Store obj as the store keeps what arrived from party with a verified
 * signature (origin = party); party "JP", this node, makes it here. */
static void put_from(tx_store *st, int64_t pk, json_t *obj, const char *party)
{
	struct store_user u = { .admin = 1, .name = "t" };
	struct store_item it = { .obj = obj };
	struct tx_error err = { 0 };
	char sid[TX_UUID_BUF];

	assert_non_null(obj);
	it.id = json_string_value(json_object_get(obj, "id"));
	if (strcmp(party, "JP") != 0) {
		it.origin = party;
		it.via = party;
	}
	if (store_put_objects(st, pk, &u, &it, 1, sid, &err) != TX_OK)
		fail_msg("%s", err.msg);
	json_decref(obj);
}

static void approve(tx_store *st, int64_t pk, const char *version,
		    const char *party)
{
	struct tx_error err = { 0 };
	policy_registry *reg = NULL;
	json_t *obj = NULL;

	assert_int_equal(policy_registry_load(st, "JP", &reg, &err), TX_OK);
	assert_int_equal(policy_registry_approve(reg, version, party, &obj, &err),
			 TX_OK);
	put_from(st, pk, obj, party);
	policy_registry_free(reg);
}

static int select_version(tx_store *st, const char *version, char *out,
			  struct policy_standing *sd)
{
	struct tx_error err = { 0 };
	policy_registry *reg = NULL;
	policy *p = NULL;
	tx_err rc;

	assert_int_equal(policy_registry_load(st, "JP", &reg, &err), TX_OK);
	rc = policy_registry_select(reg, version, &p, sd, &err);
	if (rc == TX_OK)
		snprintf(out, 40, "%s", policy_version(p));
	policy_free(p);
	policy_registry_free(reg);
	return rc;
}

static void test_ratification(void **state)
{
	static const char *const parties[] = { "JP", "UK", "US" };
	char dir[64], path[128], cid[TX_UUID_BUF], used[40], cmd[128];
	struct store_collection col;
	struct store_user admin = { .admin = 1 };
	struct policy_standing sd;
	struct tx_error err = { 0 };
	policy_registry *reg = NULL;
	tx_store *st = NULL;
	json_t *obj = NULL, *status, *v;
	policy *p1 = default_policy(), *p2 = NULL;

	snprintf(dir, sizeof(dir), "/tmp/trilex-policy-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(store_open(path, 1, &st, &err), TX_OK);
	assert_int_equal(store_collection_add(st, "policies", NULL, "policies",
					      cid, &err), TX_OK);
	assert_int_equal(store_collection_get(st, &admin, cid, &col), TX_OK);

	/* no policy yet */
	assert_int_equal(select_version(st, NULL, used, &sd), TX_ERR_NOTFOUND);

	assert_int_equal(policy_registry_load(st, "JP", &reg, &err), TX_OK);
	assert_int_equal(policy_registry_propose(reg, p1, "JP", parties, 3, 0,
						 &obj, &err), TX_OK);
	put(st, col.pk, obj);
	policy_registry_free(reg);

	/* proposed, not approved: used, but not ratified, and said so */
	assert_int_equal(select_version(st, NULL, used, &sd), TX_OK);
	assert_string_equal(used, "2025.1");
	assert_false(sd.ratified);
	assert_non_null(strstr(sd.note, "no version is in force"));

	approve(st, col.pk, "2025.1", "JP");
	approve(st, col.pk, "2025.1", "UK");
	assert_int_equal(select_version(st, NULL, used, &sd), TX_OK);
	assert_false(sd.ratified);
	assert_non_null(strstr(sd.note, "missing US"));
	/* an approval from outside the partnership does not count */
	approve(st, col.pk, "2025.1", "FR");
	assert_int_equal(select_version(st, NULL, used, &sd), TX_OK);
	assert_false(sd.ratified);
	/* nor one made here in another party's name */
	{
		policy_registry *r2 = NULL;
		json_t *forged = NULL;
		assert_int_equal(policy_registry_load(st, "JP", &r2, &err), TX_OK);
		assert_int_equal(policy_registry_approve(r2, "2025.1", "US", &forged,
							 &err), TX_OK);
		policy_registry_free(r2);
		put_from(st, col.pk, forged, "JP");
		assert_int_equal(select_version(st, NULL, used, &sd), TX_OK);
		assert_false(sd.ratified);
	}
	approve(st, col.pk, "2025.1", "US");
	assert_int_equal(select_version(st, NULL, used, &sd), TX_OK);
	assert_true(sd.ratified);
	assert_string_equal(sd.note, "");

	/* approving again changes nothing */
	assert_int_equal(policy_registry_load(st, "JP", &reg, &err), TX_OK);
	assert_int_equal(policy_registry_approve(reg, "2025.1", "JP", &obj, &err),
			 TX_OK);
	assert_null(obj);
	assert_int_equal(policy_registry_approve(reg, "1999.9", "JP", &obj, &err),
			 TX_ERR_NOTFOUND);
	/* the same version again: same content is a no-op, other content refused */
	assert_int_equal(policy_registry_propose(reg, p1, "UK", NULL, 0, 0, &obj,
						 &err), TX_OK);
	assert_null(obj);
	json_t *d2 = json_deep_copy(policy_json(p1));
	json_object_set_new(json_array_get(json_object_get(d2, "criteria"), 0),
			    "weight", json_integer(4));
	assert_int_equal(policy_from_json(d2, &p2, NULL, &err), TX_OK);
	assert_int_equal(policy_registry_propose(reg, p2, "UK", NULL, 0, 0, &obj,
						 &err), TX_ERR_EXISTS);
	policy_free(p2);
	/* a new version, pending: assessments keep the last ratified one */
	json_object_set_new(d2, "version", json_string("2025.2"));
	assert_int_equal(policy_from_json(d2, &p2, NULL, &err), TX_OK);
	assert_int_equal(policy_registry_propose(reg, p2, "UK", parties, 3, 2,
						 &obj, &err), TX_OK);
	put_from(st, col.pk, obj, "UK");
	policy_registry_free(reg);
	assert_int_equal(select_version(st, NULL, used, &sd), TX_OK);
	assert_string_equal(used, "2025.1");
	assert_true(sd.ratified);
	assert_non_null(strstr(sd.note, "2025.2 is not yet in force"));
	assert_int_equal(select_version(st, "2025.2", used, &sd), TX_OK);
	assert_false(sd.ratified);
	/* quorum 2 of 3 */
	approve(st, col.pk, "2025.2", "US");
	assert_int_equal(select_version(st, NULL, used, &sd), TX_OK);
	assert_string_equal(used, "2025.1");
	approve(st, col.pk, "2025.2", "UK");
	assert_int_equal(select_version(st, NULL, used, &sd), TX_OK);
	assert_string_equal(used, "2025.2");
	assert_true(sd.ratified);

	assert_int_equal(policy_registry_load(st, "JP", &reg, &err), TX_OK);
	status = policy_registry_status(reg);
	assert_string_equal(json_string_value(json_object_get(status, "in_force")),
			    "2025.2");
	v = json_array_get(json_object_get(status, "versions"), 0);
	assert_int_equal(json_array_size(json_object_get(v, "approved_by")), 3);
	assert_int_equal(json_array_size(json_object_get(v, "outside_partnership")),
			 1);
	v = json_array_get(json_object_get(status, "versions"), 1);
	assert_int_equal(json_integer_value(json_object_get(v, "quorum")), 2);
	assert_int_equal(json_array_size(json_object_get(v, "missing")), 1);
	json_decref(status);
	policy_registry_free(reg);

	json_decref(d2);
	policy_free(p2);
	policy_free(p1);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const char *td = getenv("TRILEX_TESTDATA");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_policy),
		cmocka_unit_test(test_incident_table),
		cmocka_unit_test(test_incident_errors),
		cmocka_unit_test(test_invalid_policy),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_ratification),
	};

	if (sodium_init() < 0)
		return 1;
	snprintf(data_dir, sizeof(data_dir), "%s", td ? td : "tests/data");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
