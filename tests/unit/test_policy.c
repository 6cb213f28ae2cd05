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

static policy *policy_file(const char *name)
{
	struct tx_error err = { 0 };
	policy *p = NULL;
	size_t len;
	char path[256];
	char *text;

	snprintf(path, sizeof(path), "../../policies/%s", name);
	text = slurp_path(path, &len);
	if (policy_parse(text, len, name, &p, NULL, &err) != TX_OK)
		fail_msg("%s: %s", name, err.msg);
	free(text);
	return p;
}

/* The ratified default, 2025.1 (the version partners approved). */
static policy *default_policy(void)
{
	return policy_file("trilateral-default.json");
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
					    "score", "score_range", "level_range",
					    "decision_range", "ranges", NULL };
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
	/* what an undetermined fact may still be: values, or min (and max) */
	json_object_foreach(json_object_get(e, "open_facts"), k, v) {
		const json_t *got = json_object_get(json_object_get(r, "open_facts"), k);
		int ok = got != NULL;
		if (ok && json_is_object(v)) {
			ok = same(json_object_get(v, "min"), json_object_get(got, "min")) &&
			     (json_object_get(v, "max") == NULL ?
			      json_object_get(got, "max") == NULL :
			      same(json_object_get(v, "max"), json_object_get(got, "max")));
		} else if (ok) {
			ok = json_equal(v, (json_t *)got);
		}
		if (!ok) {
			print_error("%s: open fact %s differs\n", name, k);
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

/* ---- facts left out: ranges worked out by hand, and properties ---- */

#define CORE_EXT "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
#define FACTS_EXT "extension-definition--0c8d2f6a-93b4-4e7a-b1d5-2e9f6a7c3b10"

/*
 * The objects of one incident: facts and core are the members of the
 * trilex facts and Incident Core extensions (JSON objects, stolen),
 * impacts a list of impact objects (stolen) or NULL.
 */
static json_t *incident_objects(json_t *facts, json_t *core, json_t *impacts)
{
	json_t *inc, *objs;

	json_object_set_new(facts, "extension_type",
			    json_string("property-extension"));
	json_object_set_new(core, "extension_type",
			    json_string("property-extension"));
	inc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:o, s:o}}",
			"type", "incident", "spec_version", "2.1",
			"id", "incident--0000a001-0000-4000-8000-000000000001",
			"created", "2025-03-01T00:00:00.000Z",
			"modified", "2025-03-01T00:00:00.000Z", "name", "t",
			"extensions", CORE_EXT, core, FACTS_EXT, facts);
	objs = json_pack("[o]", inc);
	if (impacts != NULL) {
		json_array_extend(objs, impacts);
		json_decref(impacts);
	}
	return objs;
}

static json_t *impact(const char *id, const char *category, json_t *ext,
		      json_t *extra)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:{s:s}, s:o}}",
			      "type", "impact", "spec_version", "2.1", "id", id,
			      "created", "2025-03-01T00:00:00.000Z",
			      "modified", "2025-03-01T00:00:00.000Z",
			      "impact_category", category, "extensions",
			      "extension-definition--7cc33dd6-f6a1-489b-98ea-522d351d71b9",
			      "extension_type", "new-sdo", category, ext);
	if (extra != NULL) {
		json_object_update(o, extra);
		json_decref(extra);
	}
	return o;
}

/* Assess the objects (taken) under p; the result is the caller's. */
static json_t *assess_objects(const policy *p, json_t *objs)
{
	struct policy_standing standing = { .ratified = 1 };
	struct tx_error err = { 0 };
	policy_incident *inc = NULL;
	json_t *r = NULL;

	if (policy_incident_from_objects(objs, NULL, &inc, &err) != TX_OK)
		fail_msg("incident: %s", err.msg);
	if (policy_assess(p, inc, &standing, &r, &err) != TX_OK)
		fail_msg("assess: %s", err.msg);
	policy_incident_free(inc);
	json_decref(objs);  /* taken */
	return r;
}

/* The trilex facts of the table's base incident (see test_facts_left_out). */
static json_t *base_facts(void)
{
	return json_pack("{s:i, s:i, s:s, s:b, s:b, s:s, s:f, s:{s:i}}",
			 "deaths", 3, "injuries", 2, "causation", "direct",
			 "critical_infrastructure", 0, "national_importance", 0,
			 "military_nexus", "none", "onset_hours", 0.5,
			 "state_attribution", "confidence", 50);
}

static json_t *base_core(void)
{
	return json_pack("{s:s, s:s, s:s, s:[]}", "determination", "confirmed",
			 "investigation_status", "closed", "recoverability",
			 "regular", "impact_refs");
}

static int ints_are(const json_t *a, int lo, int hi)
{
	return json_array_size(a) == 2 &&
	       json_integer_value(json_array_get(a, 0)) == lo &&
	       json_integer_value(json_array_get(a, 1)) == hi;
}

/* decisions: the expected decision_range, comma-separated. */
static void expect_ranges(const char *name, const json_t *r, const char *decision,
			  const char *decisions, int s_lo, int s_hi, int l_lo,
			  int l_hi)
{
	char got[256] = "";
	size_t i, used = 0;
	json_t *d;

	json_array_foreach(json_object_get(r, "decision_range"), i, d)
		used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s",
					 i ? "," : "", json_string_value(d));
	if (strcmp(json_string_value(json_object_get(r, "decision")), decision) ||
	    strcmp(got, decisions) ||
	    !ints_are(json_object_get(r, "score_range"), s_lo, s_hi) ||
	    !ints_are(json_object_get(r, "level_range"), l_lo, l_hi) ||
	    json_integer_value(json_object_get(r, "score")) != s_lo ||
	    json_integer_value(json_object_get(r, "level")) != l_lo) {
		char *dump = json_dumps(r, JSON_COMPACT);
		fail_msg("%s: got %s", name, dump);
	}
}

/*
 * Incidents with facts left out, under the default policy. Weights:
 * severity 3, directness 2, state involvement 2, the five others 1: 36
 * points in all; score = round(100 x points / 36); levels from 0, 15, 30,
 * 45, 60, 80. The base incident: confirmed, 3 deaths and 2 injuries caused
 * directly, onset 0.5 h, state confidence 50, no critical infrastructure,
 * military nexus none, impact_refs [] (every impact category none).
 */
static void test_facts_left_out(void **state)
{
	policy *p = default_policy();
	json_t *f, *r;

	/* Everything known: severity 3 (9) + immediacy 3 (3) + directness 3
	 * (6) + state 2 (4) + legality destructive 3 (3) = 25 -> 69, level 4;
	 * casualties holds: use-of-force, level 4. */
	r = assess_objects(p, incident_objects(base_facts(), base_core(), NULL));
	expect_ranges("known", r, "use-of-force", "use-of-force", 69, 69, 4, 4);
	assert_string_equal(json_string_value(json_object_get(r, "ranges")), "exact");
	json_decref(r);

	/* deaths left out, 2 injuries: severity at least 2 (injuries >= 1),
	 * 3 with a death: 22-25 -> 61-69, level 4 either way; the injuries
	 * alone make casualties hold: use-of-force, settled. */
	f = base_facts();
	json_object_del(f, "deaths");
	r = assess_objects(p, incident_objects(f, base_core(), NULL));
	expect_ranges("deaths-out", r, "use-of-force", "use-of-force", 61, 69, 4, 4);
	json_decref(r);

	/* deaths left out, 0 injuries (the case): 0 deaths gives
	 * severity 0 and effect class none (legality 0): 3 + 6 + 4 = 13 -> 36,
	 * level 2, default: below-threshold; a death gives 25 -> 69 and
	 * casualties: use-of-force, level 4. Never significant-incident. */
	f = base_facts();
	json_object_del(f, "deaths");
	json_object_set_new(f, "injuries", json_integer(0));
	r = assess_objects(p, incident_objects(f, base_core(), NULL));
	expect_ranges("deaths-out-no-injuries", r, "undetermined",
		      "below-threshold,use-of-force", 36, 69, 2, 4);
	/* ...and says which evidence settles it and which values tip it */
	assert_int_equal(json_array_size(json_object_get(r, "undetermined")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(r, "undetermined"), 0), "when")), "deaths >= 1");
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(
		json_array_get(json_object_get(r, "undetermined"), 0),
		"would_change"), 0)), "deaths"));
	json_decref(r);

	/* causation left out, 3 deaths: 9 + 3 + 4 + 3 = 19 plus directness
	 * 0-6: remote 19 -> 53, indirect 21 -> 58 (level 3, significant);
	 * proximate 23 -> 64, direct 25 -> 69 (casualties, level 4). */
	f = base_facts();
	json_object_del(f, "causation");
	r = assess_objects(p, incident_objects(f, base_core(), NULL));
	expect_ranges("causation-out", r, "undetermined",
		      "significant-incident,use-of-force", 53, 69, 3, 4);
	json_decref(r);

	/* state attribution left out, 12 deaths: 9 + 3 + 6 + 3 = 21 plus
	 * state 0-6: 21 -> 58 up to 27 -> 75; confidence >= 70 makes
	 * armed-attack hold (level 5), anything less leaves casualties
	 * (level 4). */
	f = base_facts();
	json_object_del(f, "state_attribution");
	json_object_set_new(f, "deaths", json_integer(12));
	r = assess_objects(p, incident_objects(f, base_core(), NULL));
	expect_ranges("state-out", r, "undetermined",
		      "use-of-force,armed-attack-candidate", 58, 75, 4, 5);
	json_decref(r);

	/* critical_infrastructure left out, one asset destroyed (physical
	 * impact, destruction, 1 counted), no casualties, causation remote,
	 * onset 500 h, confidence 0: severity 3 (9) + measurability 1 +
	 * legality destructive 3 = 13, invasiveness 0-2: 13-15 -> 36-42,
	 * level 2; critical infrastructure makes ci-destruction hold
	 * (use-of-force, level 4), none leaves default (level 2). */
	f = json_pack("{s:i, s:i, s:s, s:b, s:s, s:i, s:{s:i}}", "deaths", 0,
		      "injuries", 0, "causation", "remote", "national_importance", 0,
		      "military_nexus", "none", "onset_hours", 500,
		      "state_attribution", "confidence", 0);
	json_t *core = base_core();
	json_object_set_new(core, "impact_refs", json_pack("[s]",
		"impact--0000a002-0000-4000-8000-000000000002"));
	r = assess_objects(p, incident_objects(f, core, json_pack("[o]", impact(
		"impact--0000a002-0000-4000-8000-000000000002", "physical",
		json_pack("{s:s, s:s}", "impact_type", "destruction", "asset_type",
			  "ics-component"),
		json_pack("{s:{s:i}}", "impacted_entity_counts", "ics", 1)))));
	expect_ranges("ci-out", r, "undetermined", "below-threshold,use-of-force",
		      36, 42, 2, 4);
	json_decref(r);

	/* One referenced impact missing; the one provided: availability 50,
	 * no times. Availability is at least 50 (severity at least 2); the
	 * missing impact could be anything: severity 2-3, invasiveness 0-3
	 * (classified material), measurability 0-1, legality disruptive or
	 * destructive 2-3; no casualties, causation remote, no critical
	 * infrastructure, confidence 0: 6 + 2 = 8 -> 22 up to 9 + 3 + 1 + 3 =
	 * 16 -> 44, level 1-2: below 45, no rule but default can hold:
	 * below-threshold, settled. */
	f = json_pack("{s:i, s:i, s:s, s:b, s:b, s:s, s:i, s:{s:i}}", "deaths", 0,
		      "injuries", 0, "causation", "remote", "critical_infrastructure",
		      0, "national_importance", 0, "military_nexus", "none",
		      "onset_hours", 500, "state_attribution", "confidence", 0);
	core = base_core();
	json_object_set_new(core, "impact_refs", json_pack("[s,s]",
		"impact--0000a003-0000-4000-8000-000000000003",
		"impact--0000a004-0000-4000-8000-000000000004"));
	r = assess_objects(p, incident_objects(f, core, json_pack("[o]", impact(
		"impact--0000a003-0000-4000-8000-000000000003", "availability",
		json_pack("{s:i}", "availability_impact", 50), NULL))));
	expect_ranges("impact-missing", r, "below-threshold", "below-threshold",
		      22, 44, 1, 2);
	json_decref(r);
	policy_free(p);
}

/* xorshift64*, seeded: the same incidents on every run. */
static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static const char *const r_det[] = { "false-positive", "blocked",
	"failed-attempt", "suspected", "confirmed", NULL };
static const char *const r_cause[] = { "remote", "indirect", "proximate",
	"direct", NULL };
static const char *const r_mil[] = { "none", "dual-use", "military-target",
	"military-operation", NULL };
static const char *const r_phys[] = { "none", "damaged-functional",
	"damaged-nonfunctional", "destruction", NULL };
static const char *const r_integ[] = { "none", "potential-modification",
	"partial-modification", "full-destruction", NULL };
static const char *const r_conf[] = { "none", "contained", "suspected-loss",
	"confirmed-loss", "exploited-loss", NULL };
static const char *const r_rec[] = { "regular", "supplemented", "extended",
	"not-recoverable", NULL };

/*
 * A random incident as a small state: every fact of the facts extension
 * and the Incident Core, known or not, and up to four impacts, each
 * provided or not. Values are positions in the lists above (or counts).
 */
struct rinc {
	int det, deaths, injuries, cause, ci, ni, mil, onset, conf;
	int n_imp, has_refs;
	struct { int cat, val, hours, provided; } imp[4];
};

#define UNK (-1)

static void rinc_random(struct rinc *x)
{
	static const int counts[] = { 0, 1, 2, 9, 10, 30 };
	static const int onsets[] = { 0, 1, 2, 24, 100, 500 };
	static const int confs[] = { 0, 10, 30, 69, 70, 95 };

	x->det = rnd(5) ? (int)rnd(5) : UNK;
	x->deaths = rnd(3) ? counts[rnd(6)] : UNK;
	x->injuries = rnd(3) ? counts[rnd(6)] : UNK;
	x->cause = rnd(3) ? (int)rnd(4) : UNK;
	x->ci = rnd(3) ? (int)rnd(2) : UNK;
	x->ni = x->ci == 1 && rnd(3) ? (int)rnd(2) : x->ci == 0 ? 0 : UNK;
	x->mil = rnd(3) ? (int)rnd(4) : UNK;
	x->onset = rnd(3) ? onsets[rnd(6)] : UNK;
	x->conf = rnd(3) ? confs[rnd(6)] : UNK;
	x->has_refs = rnd(5) != 0;
	x->n_imp = x->has_refs ? (int)rnd(5) : 0;
	for (int i = 0; i < x->n_imp; i++) {
		x->imp[i].cat = (int)rnd(6);
		x->imp[i].val = (int)rnd(4);
		x->imp[i].hours = (int)rnd(200);
		x->imp[i].provided = rnd(6) != 0;
	}
}

static json_t *rinc_objects(const struct rinc *x)
{
	json_t *facts = json_object(), *core = json_object(), *imps = json_array();
	json_t *refs = json_array();
	char id[80];

	if (x->det != UNK)
		json_object_set_new(core, "determination", json_string(r_det[x->det]));
	else
		json_object_set_new(core, "determination", json_string("suspected"));
	json_object_set_new(core, "investigation_status", json_string("open"));
	if (x->deaths != UNK)
		json_object_set_new(facts, "deaths", json_integer(x->deaths));
	if (x->injuries != UNK)
		json_object_set_new(facts, "injuries", json_integer(x->injuries));
	if (x->cause != UNK)
		json_object_set_new(facts, "causation", json_string(r_cause[x->cause]));
	if (x->ci != UNK)
		json_object_set_new(facts, "critical_infrastructure",
				    json_boolean(x->ci));
	if (x->ni != UNK)
		json_object_set_new(facts, "national_importance", json_boolean(x->ni));
	if (x->mil != UNK)
		json_object_set_new(facts, "military_nexus", json_string(r_mil[x->mil]));
	if (x->onset != UNK)
		json_object_set_new(facts, "onset_hours", json_integer(x->onset));
	if (x->conf != UNK)
		json_object_set_new(facts, "state_attribution", json_pack("{s:s, s:i}",
				    "state", "XX", "confidence", x->conf));
	for (int i = 0; i < x->n_imp; i++) {
		static const char *const cats[] = { "availability", "physical",
			"integrity", "confidentiality", "monetary", "availability" };
		const char *cat = cats[x->imp[i].cat];
		int v = x->imp[i].val;
		json_t *ext;

		snprintf(id, sizeof(id), "impact--0000b%03d-0000-4000-8000-000000000001",
			 i);
		json_array_append_new(refs, json_string(id));
		if (!x->imp[i].provided)
			continue;
		switch (x->imp[i].cat) {
		case 0: case 5:
			ext = json_pack("{s:i}", "availability_impact",
					(int[]){ 0, 30, 79, 100 }[v]);
			break;
		case 1:
			ext = json_pack("{s:s}", "impact_type", r_phys[v]);
			break;
		case 2:
			ext = json_pack("{s:s}", "alteration", r_integ[v]);
			break;
		case 3:
			ext = json_pack("{s:s, s:s}", "loss_type", r_conf[v],
					"information_type", "classified-material");
			break;
		default:
			ext = json_pack("{s:s, s:s, s:f}", "variety", "ransom-demand",
					"currency", "usd", "max_amount",
					(double[]){ 0, 2e6, 2e8, 2e9 }[v]);
			break;
		}
		json_array_append_new(imps, impact(id, cat, ext, json_pack(
			"{s:s, s:s, s:s, s:{s:i}}", "start_time",
			"2025-03-01T00:00:00Z", "end_time",
			(const char *[]){ "2025-03-01T01:00:00Z", "2025-03-02T00:00:00Z",
					  "2025-03-04T01:00:00Z",
					  "2025-03-09T00:00:00Z" }[x->imp[i].hours % 4],
			"recoverability", r_rec[x->imp[i].hours % 4],
			"impacted_entity_counts", "asset", x->imp[i].hours % 12)));
	}
	if (x->has_refs)
		json_object_set_new(core, "impact_refs", refs);
	else
		json_decref(refs);
	return incident_objects(facts, core, imps);
}

static int in_range(const json_t *range, long long v)
{
	return v >= json_integer_value(json_array_get(range, 0)) &&
	       v <= json_integer_value(json_array_get(range, 1));
}

static int within(const json_t *inner, const json_t *outer)
{
	return in_range(outer, json_integer_value(json_array_get(inner, 0))) &&
	       in_range(outer, json_integer_value(json_array_get(inner, 1)));
}

static int decision_in(const json_t *range, const char *d)
{
	size_t i;
	json_t *x;

	json_array_foreach(range, i, x)
		if (strcmp(json_string_value(x), d) == 0)
			return 1;
	return 0;
}

/* Lowest and highest rank of a decision_range. */
static void ranks(const json_t *r, int *lo, int *hi)
{
	const json_t *d = json_object_get(r, "decision_range");
	*lo = policy_decision_rank(json_string_value(json_array_get(d, 0)));
	*hi = policy_decision_rank(json_string_value(json_array_get(d,
		json_array_size(d) - 1)));
}

static int espionage_among(const json_t *r)
{
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(r, "outcomes"), i, o)
		if (strcmp(json_string_value(json_object_get(o, "rule")),
			   "espionage") == 0)
			return 1;
	return 0;
}

static void fail_pair(const char *what, const struct rinc *a, const json_t *ra,
		      const json_t *rb)
{
	char *da = json_dumps(ra, JSON_COMPACT), *db = json_dumps(rb, JSON_COMPACT);
	fail_msg("%s (det %d deaths %d inj %d cause %d ci %d conf %d, %d impacts):"
		 "\nbefore %s\nafter %s", what, a->det, a->deaths, a->injuries,
		 a->cause, a->ci, a->conf, a->n_imp, da, db);
}

/* Learn one unknown fact (or a missing impact) of x; 0 when none is left. */
static int learn_one(struct rinc *x)
{
	for (int tries = 0; tries < 20; tries++) {
		switch (rnd(8)) {
		case 0: if (x->deaths == UNK) { x->deaths = (int)rnd(12); return 1; } break;
		case 1: if (x->injuries == UNK) { x->injuries = (int)rnd(12); return 1; } break;
		case 2: if (x->cause == UNK) { x->cause = (int)rnd(4); return 1; } break;
		case 3: if (x->ci == UNK) { x->ci = (int)rnd(2); return 1; } break;
		case 4: if (x->conf == UNK) { x->conf = (int)rnd(101); return 1; } break;
		case 5: if (x->onset == UNK) { x->onset = (int)rnd(300); return 1; } break;
		case 6: if (x->mil == UNK) { x->mil = (int)rnd(4); return 1; } break;
		default:
			for (int i = 0; i < x->n_imp; i++)
				if (!x->imp[i].provided) {
					x->imp[i].provided = 1;
					return 1;
				}
		}
	}
	return 0;
}

/* Make one known fact of x worse; 0 when none could be. */
static int worsen_one(struct rinc *x)
{
	for (int tries = 0; tries < 20; tries++) {
		switch (rnd(8)) {
		case 0: if (x->deaths != UNK) { x->deaths += 1 + (int)rnd(10); return 1; } break;
		case 1: if (x->injuries != UNK) { x->injuries += 1 + (int)rnd(10); return 1; } break;
		case 2: if (x->cause != UNK && x->cause < 3) { x->cause++; return 1; } break;
		case 3: if (x->ci == 0) { x->ci = 1; x->ni = UNK; return 1; } break;
		case 4: if (x->conf != UNK && x->conf < 100) { x->conf += 1 + (int)rnd(100 - x->conf); return 1; } break;
		case 5: if (x->onset != UNK && x->onset > 0) { x->onset = (int)rnd((unsigned)x->onset); return 1; } break;
		case 6: if (x->det != UNK && x->det < 4) { x->det++; return 1; } break;
		default:
			for (int i = 0; i < x->n_imp; i++)
				if (x->imp[i].provided && x->imp[i].val < 3) {
					x->imp[i].val++;
					return 1;
				}
		}
	}
	return 0;
}

/*
 * Over random incidents (seeded, bounded): learning a fact never leaves
 * the ranges given before; a worse fact never lowers the score's bounds,
 * the level's bounds or the decisions possible. exempt_espionage: the
 * default policy 2025.1's own exception, its espionage rule (before
 * significant) sending a confidentiality loss to counter-espionage
 * (below-threshold) even at level 3, so a decision that involves it is
 * not compared; 2026.1 corrects the rule and is held to it without
 * exception (docs/policy.md). Returns the decisions a worse fact lowered.
 */
static int assessment_properties(policy *p, int exempt_espionage)
{
	int lowered = 0;
	const char *seed_env = getenv("TRILEX_POLICY_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : 20251201;
	int learnt = 0, worsened = 0, undetermined = 0;

	rng_state = seed ? seed : 1;
	print_message("seed %llu (TRILEX_POLICY_SEED)\n", (unsigned long long)seed);
	for (int n = 0; n < 300; n++) {
		struct rinc a, b;
		json_t *ra, *rb;

		rinc_random(&a);
		ra = assess_objects(p, rinc_objects(&a));
		undetermined += strcmp(json_string_value(json_object_get(ra,
							"decision")),
				       POLICY_UNDETERMINED) == 0;
		/* learning: stays within what was said before */
		b = a;
		if (learn_one(&b)) {
			rb = assess_objects(p, rinc_objects(&b));
			if (!in_range(json_object_get(ra, "score_range"),
				      json_integer_value(json_object_get(rb, "score"))) ||
			    !within(json_object_get(rb, "score_range"),
				    json_object_get(ra, "score_range")))
				fail_pair("learning left the score range", &a, ra, rb);
			if (!in_range(json_object_get(ra, "level_range"),
				      json_integer_value(json_object_get(rb, "level"))) ||
			    !within(json_object_get(rb, "level_range"),
				    json_object_get(ra, "level_range")))
				fail_pair("learning left the level range", &a, ra, rb);
			for (size_t i = 0; i < json_array_size(json_object_get(
						     rb, "decision_range")); i++)
				if (!decision_in(json_object_get(ra, "decision_range"),
						 json_string_value(json_array_get(
							 json_object_get(rb,
									 "decision_range"),
							 i))))
					fail_pair("learning made a decision possible"
						  " that was not", &a, ra, rb);
			learnt++;
			json_decref(rb);
		}
		/* worse: never lower */
		b = a;
		if (worsen_one(&b)) {
			const json_t *sa, *sb, *la, *lb;
			int alo, ahi, blo, bhi;
			rb = assess_objects(p, rinc_objects(&b));
			sa = json_object_get(ra, "score_range");
			sb = json_object_get(rb, "score_range");
			la = json_object_get(ra, "level_range");
			lb = json_object_get(rb, "level_range");
			for (size_t i = 0; i < 2; i++) {
				if (json_integer_value(json_array_get(sb, i)) <
				    json_integer_value(json_array_get(sa, i)))
					fail_pair("a worse fact lowered the score", &a,
						  ra, rb);
				if (json_integer_value(json_array_get(lb, i)) <
				    json_integer_value(json_array_get(la, i)))
					fail_pair("a worse fact lowered the level", &a,
						  ra, rb);
			}
			ranks(ra, &alo, &ahi);
			ranks(rb, &blo, &bhi);
			if ((blo < alo || bhi < ahi) && exempt_espionage &&
			    (espionage_among(ra) || espionage_among(rb)))
				lowered++;
			else if (blo < alo || bhi < ahi)
				fail_pair("a worse fact lowered the decision", &a, ra,
					  rb);
			worsened++;
			json_decref(rb);
		}
		json_decref(ra);
	}
	/* the run exercised what it claims to */
	assert_true(learnt > 150);
	assert_true(worsened > 150);
	assert_true(undetermined > 20);
	return lowered;
}

static void test_assessment_properties(void **state)
{
	policy *p = default_policy();

	/* 2025.1 keeps its exception */
	assessment_properties(p, 1);
	policy_free(p);
}

/*
 * The default policy 2026.1 (issue 13 remainder, item 4): espionage after
 * significant, so a worse fact never lowers the decision, with no rule
 * exempt; and the one incident docs/policy.md names, a theft at level 3
 * or above: significant-incident under 2026.1, where 2025.1 (unchanged,
 * as ratified) lowers it to below-threshold.
 */
static void test_default_policy_2026(void **state)
{
	policy *old = default_policy(), *p = policy_file("trilateral-default-2026.1.json");
	struct rinc x;
	int found = 0, lowered_before = 0;

	assert_string_equal(policy_version(p), "2026.1");
	assert_string_equal(policy_version(old), "2025.1");
	assert_int_equal(assessment_properties(p, 0), 0);
	/* incidents whose one effect is a confidentiality loss (and money
	 * lost), over every
	 * determination, infrastructure, military nexus, onset and
	 * attribution: where 2025.1 gives counter-espionage at level 3 or
	 * above, 2026.1 gives significant-incident */
	for (int n = 0; n < 5 * 3 * 4 * 6 * 6; n++) {
		static const int onsets[] = { 0, 1, 2, 24, 100, 500 };
		static const int confs[] = { 0, 10, 30, 69, 70, 95 };
		x = (struct rinc){ .det = n % 5, .deaths = 0, .injuries = 0, .cause = UNK,
				   .ci = n / 5 % 3 == 0 ? 0 : 1, .ni = n / 5 % 3 == 2,
				   .mil = n / 15 % 4, .onset = onsets[n / 60 % 6],
				   .conf = confs[n / 360 % 6], .n_imp = 2, .has_refs = 1 };
		x.imp[0].cat = 3;       /* confidentiality */
		x.imp[0].val = 3;
		x.imp[0].provided = 1;
		x.imp[1].cat = 4;       /* monetary: not an effect of its own */
		x.imp[1].val = 3;
		x.imp[1].hours = 100;
		x.imp[1].provided = 1;
		json_t *ra = assess_objects(old, rinc_objects(&x));
		json_t *rb = assess_objects(p, rinc_objects(&x));
		int alo, ahi, blo, bhi;
		ranks(ra, &alo, &ahi);
		ranks(rb, &blo, &bhi);
		/* the new version never decides lower than the old one here */
		assert_true(blo >= alo && bhi >= ahi);
		if (strcmp(json_string_value(json_object_get(ra, "rule")), "espionage") == 0 &&
		    json_integer_value(json_object_get(ra, "level")) >= 3 &&
		    strcmp(json_string_value(json_object_get(rb, "rule")), "significant") == 0) {
			assert_string_equal(json_string_value(json_object_get(ra, "decision")),
					    POLICY_BELOW);
			assert_string_equal(json_string_value(json_object_get(rb, "decision")),
					    POLICY_SIGNIFICANT);
			found++;
		}
		/* the confidentiality loss is a worse fact: without it the
		 * incident may be significant; under 2026.1 adding it never
		 * lowers the decision, under 2025.1 it did */
		struct rinc y = x;
		y.imp[0] = y.imp[1];
		y.n_imp = 1;
		json_t *ya = assess_objects(old, rinc_objects(&y));
		json_t *yb = assess_objects(p, rinc_objects(&y));
		int ylo, yhi;
		ranks(yb, &ylo, &yhi);
		if (blo < ylo || bhi < yhi)
			fail_msg("2026.1: a confidentiality loss lowered the decision (n %d)", n);
		ranks(ya, &ylo, &yhi);
		lowered_before += alo < ylo || ahi < yhi;
		json_decref(ya);
		json_decref(yb);
		json_decref(ra);
		json_decref(rb);
	}
	assert_true(found > 0);
	assert_true(lowered_before > 0);   /* what 2025.1 did, and 2026.1 corrects */
	/* policy diff names the move: the order of rules is their precedence */
	json_t *d = policy_diff(policy_json(old), policy_json(p));
	int moved = 0;
	for (size_t i = 0; i < json_array_size(d); i++)
		moved |= strcmp(json_string_value(json_array_get(d, i)),
				"~ rules order: armed-attack, casualties, ci-destruction, ci-lasting-loss,"
				" espionage, significant, default -> armed-attack, casualties,"
				" ci-destruction, ci-lasting-loss, significant, espionage, default") == 0;
	assert_true(moved);
	json_decref(d);
	policy_free(old);
	policy_free(p);
}

int main(void)
{
	const char *td = getenv("TRILEX_TESTDATA");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_policy),
		cmocka_unit_test(test_default_policy_2026),
		cmocka_unit_test(test_incident_table),
		cmocka_unit_test(test_facts_left_out),
		cmocka_unit_test(test_assessment_properties),
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
