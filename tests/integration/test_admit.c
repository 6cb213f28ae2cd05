/*
 * Growing the partnership (issue 14 item 8): four real nodes. JP, UK and
 * US are members, pinned to each other; CA has pinned the three (its own
 * side of joining) but none of them has pinned CA. UK proposes to admit
 * CA as an observer; JP and US vote; every member node then pins CA from
 * the card in the proposal, without `peer add`. CA receives GREEN but not
 * AMBER, and an AMBER alert that names it; it endorses the ratified
 * policy, and the members list the endorsement apart from the approvals.
 * A proposal forged by UK in US's name, and one whose card was altered
 * after UK signed it, are refused by every node. CA is removed again by
 * vote (first suspended: nothing of it is taken), then removed: every
 * member unpins it and it is refused from then on.
 * Then (issue 14 item 8's rest): a policy version proposed without
 * --parties names the members as its ratifiers, so it comes into force on
 * CA's node too; CA does not get it while it is a draft, and gets it once
 * it is ratified. CA, suspended, is reinstated by vote: what JP stored for
 * it meanwhile arrives once, and nothing it had is sent again.
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

static struct node JP, UK, US, CA;
static struct node *members[3] = { &JP, &UK, &US };
static char ca_card[PATH_MAX + 32];
static char admit_id[100];

static int run(const char *const *args, char **out, char **err)
{
	*out = *err = NULL;
	return run_trilex(args, NULL, out, err);
}

/* Run args; must succeed; its stdout (caller frees). */
static char *must_run(const char *const *args)
{
	char *out, *err;
	int rc = run(args, &out, &err);

	if (rc != 0)
		fail_msg("trilex %s %s: exit %d: %s", args[0], args[1], rc,
			 err ? err : "");
	free(err);
	return out;
}

/* Write n's card to path. */
static int export_card(const struct node *n, const char *path)
{
	const char *exp[] = { "peer", "export", "--dir", n->dir, NULL };
	char *out = NULL;
	FILE *f;

	if (run_trilex(exp, NULL, &out, NULL) != 0 || out == NULL)
		return -1;
	if ((f = fopen(path, "w")) == NULL) {
		free(out);
		return -1;
	}
	fputs(out, f);
	fclose(f);
	free(out);
	return 0;
}

static int setup(void **state)
{
	char card[PATH_MAX + 32];

	if (node_create_as(&JP, "JP", NULL) || node_create_as(&UK, "UK", NULL) ||
	    node_create_as(&US, "US", NULL) || node_create_as(&CA, "CA", NULL) ||
	    node_pair(&JP, &UK) || node_pair(&JP, &US) || node_pair(&UK, &US))
		return -1;
	/* CA's side of joining: it pins the three members itself */
	for (int i = 0; i < 3; i++) {
		snprintf(card, sizeof(card), "%s/../card-%s-for-CA.json", CA.dir,
			 members[i]->party);
		const char *add[] = { "peer", "add", "--dir", CA.dir, card, NULL };
		char *out, *err;
		if (export_card(members[i], card) != 0 || run(add, &out, &err) != 0)
			return -1;
		free(out);
		free(err);
	}
	snprintf(ca_card, sizeof(ca_card), "%s/../card-CA.json", CA.dir);
	if (export_card(&CA, ca_card) != 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (node_start(members[i]))
			return -1;
	return node_start(&CA);
}

static int teardown(void **state)
{
	int rc = node_stop(&JP) | node_stop(&UK) | node_stop(&US) | node_stop(&CA);

	node_destroy(&JP);
	node_destroy(&UK);
	node_destroy(&US);
	node_destroy(&CA);
	return rc == 0 ? 0 : -1;
}

static void post(const struct node *n, json_t *obj)
{
	json_t *env = json_pack("{s:[o]}", "objects", obj);
	char *body = json_dumps(env, JSON_COMPACT);
	struct http_resp r;

	assert_int_equal(http(n, "POST", "/api/collections/main/objects/", "token",
			      NULL, NULL, body, strlen(body), &r), 0);
	assert_int_equal(r.status, 202);
	if (json_integer_value(json_object_get(r.json, "success_count")) != 1)
		fail_msg("not stored: %s", r.body);
	http_free(&r);
	free(body);
	json_decref(env);
}

struct want {
	const char *coll, *id;
};

static int has(const struct node *n, void *arg)
{
	struct want *w = arg;
	char q[256];

	snprintf(q, sizeof(q), "match[id]=%s", w->id);
	return count_objects(n, w->coll, q) > 0;
}

static void wait_has(const struct node *n, const char *coll, const char *id)
{
	struct want w = { coll, id };

	if (!wait_for(has, n, &w, 30000))
		fail_msg("%s: %s never came to %s", n->party, id, coll);
}

/* n's role for party in `peer list --json`, "" when not pinned. */
static void role_of(const struct node *n, const char *party, char out[16])
{
	const char *a[] = { "peer", "list", "--dir", n->dir, "--json", NULL };
	char *o = must_run(a);
	json_t *l = json_loads(o, 0, NULL), *x;
	size_t i;

	out[0] = '\0';
	json_array_foreach(l, i, x)
		if (strcmp(json_string_value(json_object_get(x, "party")), party) == 0)
			snprintf(out, 16, "%s", json_string_value(json_object_get(x,
				 "role")));
	json_decref(l);
	free(o);
}

static int ca_is(const struct node *n, void *arg)
{
	char role[16];

	role_of(n, "CA", role);
	return strcmp(role, (const char *)arg) == 0;
}

/* A proposal's state at n (partner list --json), or "" (caller frees). */
static char *proposal_state(const struct node *n, const char *id)
{
	const char *a[] = { "partner", "list", "--dir", n->dir, "--json", NULL };
	char *o = must_run(a), *st = NULL;
	json_t *j = json_loads(o, 0, NULL), *x;
	size_t i;

	json_array_foreach(json_object_get(j, "proposals"), i, x)
		if (strcmp(json_string_value(json_object_get(x, "id")), id) == 0) {
			const char *note = json_string_value(json_object_get(x, "note"));
			size_t len = 64 + (note ? strlen(note) : 0);
			st = malloc(len);
			snprintf(st, len, "%s: %s", json_string_value(json_object_get(x,
				 "state")), note ? note : "");
		}
	json_decref(j);
	free(o);
	return st ? st : strdup("");
}

/* The genuine proposal's JSON as UK stored it (caller decrefs). */
static json_t *stored_proposal(const char *id)
{
	char path[256];
	struct http_resp r;
	json_t *o;

	snprintf(path, sizeof(path), "/api/collections/watch/objects/?match[id]=%s",
		 id);
	assert_int_equal(http(&UK, "GET", path, "token", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	o = json_deep_copy(json_array_get(json_object_get(r.json, "objects"), 0));
	assert_non_null(o);
	http_free(&r);
	return o;
}

static void new_id(json_t *o, const char *uuid_tail)
{
	char id[100];

	snprintf(id, sizeof(id), "x-trilex-watch-proposal--00000000-0000-4000-8000-%s",
		 uuid_tail);
	json_object_set_new(o, "id", json_string(id));
}

/*
 * UK proposes CA as an observer. A copy with CA's card altered, and a
 * copy in US's name, are refused by every member; after JP and US vote,
 * every member pins CA as an observer from the card.
 */
static void test_admit_observer(void **state)
{
	const char *prop[] = { "partner", "propose-admit", "--dir", UK.dir, ca_card,
			       "--role", "observer", "--rationale", "an ally", NULL };
	char *out = must_run(prop), *s;
	json_t *genuine, *altered, *forged, *card;

	snprintf(admit_id, sizeof(admit_id), "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	assert_non_null(strstr(admit_id, "x-trilex-watch-proposal--"));
	genuine = stored_proposal(admit_id);
	/* the card altered after UK signed the proposal: another URL */
	altered = json_deep_copy(genuine);
	new_id(altered, "00000000a1e7");
	card = json_object_get(altered, "card");
	json_object_set_new(card, "url", json_string("https://127.0.0.1:9/taxii2/"));
	post(&UK, altered);
	/* UK writes a proposal in US's name: US's key, no signature of US's */
	forged = json_deep_copy(genuine);
	new_id(forged, "0000000f0e9d");
	json_object_set_new(json_object_get(forged, "proposer_signature"), "party",
			    json_string("US"));
	post(&UK, forged);
	json_decref(genuine);
	for (int i = 0; i < 3; i++) {
		const struct node *n = members[i];
		const char *coll = n == &UK ? "watch" : "inbox-UK";
		if (n != &UK) {
			wait_has(n, coll, admit_id);
			wait_has(n, coll, "x-trilex-watch-proposal--00000000-0000-4000-8000-00000000a1e7");
			wait_has(n, coll, "x-trilex-watch-proposal--00000000-0000-4000-8000-0000000f0e9d");
		}
		s = proposal_state(n, "x-trilex-watch-proposal--00000000-0000-4000-8000-00000000a1e7");
		if (strncmp(s, "invalid", 7) != 0 || strstr(s, "altered") == NULL)
			fail_msg("%s: altered card: %s", n->party, s);
		free(s);
		s = proposal_state(n, "x-trilex-watch-proposal--00000000-0000-4000-8000-0000000f0e9d");
		if (strncmp(s, "invalid", 7) != 0 || strstr(s, "US's name") == NULL)
			fail_msg("%s: forged proposal: %s", n->party, s);
		free(s);
	}
	/* nobody can vote on them */
	const char *v1[] = { "vote", "--dir", JP.dir,
		"x-trilex-watch-proposal--00000000-0000-4000-8000-0000000f0e9d",
		"approve", NULL };
	char *err;
	assert_int_not_equal(run(v1, &out, &err), 0);
	free(out);
	free(err);
	/* the genuine one: JP and US approve, every member pins CA */
	const char *vj[] = { "vote", "--dir", JP.dir, admit_id, "approve", NULL };
	const char *vu[] = { "vote", "--dir", US.dir, admit_id, "approve", NULL };
	free(must_run(vj));
	free(must_run(vu));
	for (int i = 0; i < 3; i++)
		if (!wait_for(ca_is, members[i], "observer", 30000))
			fail_msg("%s did not pin CA as an observer", members[i]->party);
}

static json_t *indicator(const char *id, const char *tlp_ref)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}",
			 "type", "indicator", "spec_version", "2.1", "id", id,
			 "created", "2024-05-01T00:00:00.000Z", "modified",
			 "2024-05-01T00:00:00.000Z", "name", id, "pattern",
			 "[ipv4-addr:value = '198.51.100.7']", "pattern_type", "stix",
			 "valid_from", "2024-05-01T00:00:00Z", "object_marking_refs",
			 tlp_ref);
}

static int has_report(const struct node *n, void *arg)
{
	return count_objects(n, "inbox-JP", "match[type]=report") > 0;
}

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define IND_AMBER "indicator--00000000-0000-4000-8000-0000000a3be2"
#define IND_GREEN "indicator--00000000-0000-4000-8000-00000006ee11"
#define IND_LATE "indicator--00000000-0000-4000-8000-000000001a7e"

/* CA gets GREEN, not AMBER (the AMBER one went first, on the same lane),
 * and an AMBER alert to CA. */
static void test_observer_receives(void **state)
{
	post(&JP, indicator(IND_AMBER, AMBER));
	post(&JP, indicator(IND_GREEN, GREEN));
	wait_has(&CA, "inbox-JP", IND_GREEN);
	/* UK and US, members, have both */
	wait_has(&UK, "inbox-JP", IND_AMBER);
	wait_has(&US, "inbox-JP", IND_AMBER);
	assert_int_equal(count_objects(&CA, "inbox-JP", "match[id]=" IND_AMBER), 0);
	/* and by pull: JP's sync page for CA holds no AMBER either */
	struct http_resp r;
	assert_int_equal(http_cert(&JP, CA.dir, "GET", "/trilex/v1/sync?limit=1000",
				   NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, IND_AMBER));
	assert_non_null(strstr(r.body, IND_GREEN));
	http_free(&r);
	/* an AMBER alert naming CA arrives */
	const char *al[] = { "alert", "--dir", JP.dir, "--title", "Ally alert",
			     "--tlp", "amber", "--to", "CA", "--indicator",
			     "[ipv4-addr:value = '203.0.113.77']", NULL };
	free(must_run(al));
	if (!wait_for(has_report, &CA, NULL, 30000))
		fail_msg("the AMBER alert to CA did not reach CA");
	assert_int_equal(count_objects(&CA, "inbox-JP", "match[type]=report"), 1);
}

static int endorsed(const struct node *n, void *arg)
{
	const char *a[] = { "policy", "status", "--dir", n->dir, "--json", NULL };
	char *o = must_run(a);
	json_t *j = json_loads(o, 0, NULL), *v;
	size_t i;
	int yes = 0;

	json_array_foreach(json_object_get(j, "versions"), i, v) {
		const json_t *e = json_object_get(v, "endorsed_by");
		if (json_array_size(e) == 1 &&
		    strcmp(json_string_value(json_array_get(e, 0)), "CA") == 0)
			yes = 1;
		if (arg != NULL && json_array_size(e) > 0)
			yes = -1; /* someone listed where no one may be */
	}
	json_decref(j);
	free(o);
	return yes;
}

static int in_force(const struct node *n, void *arg)
{
	const char *a[] = { "policy", "status", "--dir", n->dir, "--json", NULL };
	char *o = must_run(a);
	json_t *j = json_loads(o, 0, NULL);
	int yes = json_is_string(json_object_get(j, "in_force"));

	json_decref(j);
	free(o);
	return yes;
}

/* CA endorses the ratified policy; members list it apart; an endorsement
 * UK makes in CA's name, or for itself, is listed nowhere. */
static void test_observer_endorses(void **state)
{
	char file[PATH_MAX], *out, *err, digest[80] = "";
	testdata_path("../../policies/trilateral-default.json", file, sizeof(file));
	const char *pp[] = { "policy", "propose", "--dir", JP.dir, "--parties",
			     "JP,UK,US", file, NULL };
	free(must_run(pp));
	for (int i = 0; i < 3; i++) {
		const char *sg[] = { "policy", "sign", "--dir", members[i]->dir,
				     "2025.1", NULL };
		/* the version reaches UK and US first */
		int rc = 1;
		for (int t = 0; t < 1500 && rc != 0; t++) {
			if ((rc = run(sg, &out, &err)) != 0)
				usleep(20000);
			free(out);
			free(err);
		}
		assert_int_equal(rc, 0);
	}
	if (!wait_for(in_force, &CA, NULL, 30000))
		fail_msg("the policy never came into force at CA");
	/* a member cannot endorse: it approves */
	const char *ue[] = { "policy", "endorse", "--dir", UK.dir, "2025.1", NULL };
	assert_int_not_equal(run(ue, &out, &err), 0);
	assert_non_null(strstr(err, "approves it"));
	free(out);
	free(err);
	/* UK writes an endorsement in CA's name, and one for itself */
	const char *us[] = { "policy", "status", "--dir", UK.dir, "--json", NULL };
	out = must_run(us);
	json_t *j = json_loads(out, 0, NULL);
	snprintf(digest, sizeof(digest), "%s", json_string_value(json_object_get(
		 json_array_get(json_object_get(j, "versions"), 0), "digest")));
	json_decref(j);
	free(out);
	const char *as[2] = { "CA", "UK" };
	for (int k = 0; k < 2; k++) {
		char id[100];
		snprintf(id, sizeof(id), "x-trilex-policy-endorsement--00000000-0000-"
			 "4000-8000-00000000f0e%d", k);
		post(&UK, json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:{s:s}}, s:s, s:s,"
			" s:s, s:s}", "type", "x-trilex-policy-endorsement",
			"spec_version", "2.1", "id", id, "created",
			"2026-01-01T00:00:00.000Z", "modified", "2026-01-01T00:00:00.000Z",
			"extensions", "extension-definition--5f0b6c1e-2a57-4c1d-9a0e-"
			"7d3b8e6f4a21", "extension_type", "new-sdo", "policy_version",
			"2025.1", "policy_digest", digest, "party", as[k], "decision",
			"endorse"));
		wait_has(&JP, "inbox-UK", id);
	}
	/* listed nowhere: not CA's (UK made it), and UK ratifies */
	assert_int_equal(endorsed(&JP, ""), 0);
	assert_int_equal(endorsed(&UK, ""), 0);
	/* CA endorses */
	const char *ce[] = { "policy", "endorse", "--dir", CA.dir, "2025.1", NULL };
	out = must_run(ce);
	assert_non_null(strstr(out, "CA endorsed policy 2025.1"));
	free(out);
	for (int i = 0; i < 3; i++)
		if (wait_for(endorsed, members[i], NULL, 30000) != 1)
			fail_msg("%s does not list CA's endorsement", members[i]->party);
	/* and apart from the approvals */
	const char *st[] = { "policy", "status", "--dir", JP.dir, NULL };
	out = must_run(st);
	assert_non_null(strstr(out, "endorsed by CA"));
	free(out);
}

/* n's `policy status --json` (caller decrefs). */
static json_t *policy_status(const struct node *n)
{
	const char *a[] = { "policy", "status", "--dir", n->dir, "--json", NULL };
	char *o = must_run(a);
	json_t *j = json_loads(o, 0, NULL);

	free(o);
	assert_non_null(j);
	return j;
}

static int in_force_2(const struct node *n, void *arg)
{
	json_t *j = policy_status(n);
	const char *f = json_string_value(json_object_get(j, "in_force"));
	int yes = f && strcmp(f, "2025.2") == 0;

	json_decref(j);
	return yes;
}

#define IND_AFTER_DRAFT "indicator--00000000-0000-4000-8000-0000000d4af7"

/* JP proposes 2025.2 without --parties: the proposal names JP, UK and US
 * (not CA, an observer). CA is not sent the draft (a GREEN indicator
 * stored after it, on the same lane, arrives; the draft does not); once
 * the three have signed, CA gets it and has it in force. */
static void test_policy_default_ratifiers(void **state)
{
	char file[PATH_MAX], tmp[PATH_MAX + 32], pid[100];
	testdata_path("../../policies/trilateral-default.json", file, sizeof(file));
	json_t *doc = json_load_file(file, 0, NULL);
	assert_non_null(doc);
	json_object_set_new(doc, "version", json_string("2025.2"));
	snprintf(tmp, sizeof(tmp), "%s/../policy-2025.2.json", JP.dir);
	assert_int_equal(json_dump_file(doc, tmp, JSON_INDENT(1)), 0);
	json_decref(doc);
	const char *pp[] = { "policy", "propose", "--dir", JP.dir, tmp, NULL };
	char *out = must_run(pp), *at = strstr(out, " as x-trilex-policy--");
	assert_non_null(at);
	/* gcc 12 at -O3 takes at for a pointer to must_run's local out (a
	 * false -Wdangling-pointer): at points into the heap text. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
	snprintf(pid, sizeof(pid), "%.*s", (int)strcspn(at + 4, "\n"), at + 4);
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic pop
#endif
	free(out);
	/* named in the proposal: the members, not CA */
	json_t *j = policy_status(&JP), *v, *x;
	size_t i;
	char parties[64] = "";
	json_array_foreach(json_object_get(j, "versions"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "version")),
			   "2025.2") == 0) {
			size_t k;
			json_array_foreach(json_object_get(v, "parties"), k, x)
				snprintf(parties + strlen(parties), sizeof(parties) -
					 strlen(parties), "%s%s", k ? "," : "",
					 json_string_value(x));
		}
	json_decref(j);
	assert_string_equal(parties, "JP,UK,US");
	/* the draft stays with the members */
	post(&JP, indicator(IND_AFTER_DRAFT, GREEN));
	wait_has(&CA, "inbox-JP", IND_AFTER_DRAFT);
	wait_has(&UK, "inbox-JP", pid);
	assert_int_equal(count_objects(&CA, "inbox-JP", "match[id]=" IND_AFTER_DRAFT), 1);
	char q[160];
	snprintf(q, sizeof(q), "match[id]=%s", pid);
	assert_int_equal(count_objects(&CA, "inbox-JP", q), 0);
	/* ratified by the three: then it reaches CA, in force there too */
	for (int m = 0; m < 3; m++) {
		const char *sg[] = { "policy", "sign", "--dir", members[m]->dir,
				     "2025.2", NULL };
		int rc = 1;
		char *err;
		for (int t = 0; t < 1500 && rc != 0; t++) {
			if ((rc = run(sg, &out, &err)) != 0)
				usleep(20000);
			free(out);
			free(err);
		}
		assert_int_equal(rc, 0);
	}
	wait_has(&CA, "inbox-JP", pid);
	if (!wait_for(in_force_2, &CA, NULL, 30000))
		fail_msg("2025.2 never came into force at CA");
	assert_int_equal(count_objects(&CA, "inbox-JP", q), 1);
}

static int log_says(const struct node *n, void *arg)
{
	char path[PATH_MAX + 16], *text;
	size_t len = 0;
	int yes;

	snprintf(path, sizeof(path), "%s/serve.log", n->dir);
	if ((text = slurp(path, &len)) == NULL)
		return 0;
	yes = strstr(text, (const char *)arg) != NULL;
	free(text);
	return yes;
}

#define IND_CA "indicator--00000000-0000-4000-8000-0000000000ca"

/* UK proposes (args, run on UK's node); JP and US approve; every member
 * then has CA as role ("": unpinned). */
static void decided(const char *const *args, const char *role)
{
	char *out = must_run(args), id[100];

	snprintf(id, sizeof(id), "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	wait_has(&JP, "inbox-UK", id);
	wait_has(&US, "inbox-UK", id);
	const char *vj[] = { "vote", "--dir", JP.dir, id, "approve", NULL };
	const char *vu[] = { "vote", "--dir", US.dir, id, "approve", NULL };
	free(must_run(vj));
	free(must_run(vu));
	for (int i = 0; i < 3; i++)
		if (!wait_for(ca_is, members[i], (void *)role, 30000))
			fail_msg("%s does not have CA as \"%s\"", members[i]->party,
				 role);
}

/* CA is suspended by vote: every member has it suspended; what CA sends
 * is refused, its pulls are answered 403. */
static void test_suspend(void **state)
{
	const char *ps[] = { "partner", "propose-suspend", "--dir", UK.dir, "CA", NULL };
	struct http_resp r;

	decided(ps, "suspended");
	assert_int_equal(http_cert(&JP, CA.dir, "GET", "/trilex/v1/sync?limit=10",
				   NULL, &r), 0);
	assert_int_equal(r.status, 403);
	http_free(&r);
	post(&CA, indicator(IND_CA, GREEN));
	if (!wait_for(log_says, &JP, "partner CA is suspended by the partnership",
		      30000))
		fail_msg("JP did not refuse what suspended CA sent");
	assert_int_equal(count_objects(&JP, "inbox-CA", "match[id]=" IND_CA), 0);
}

/* One number of n's `peer status --json` for party. */
static long long peer_num(const struct node *n, const char *party,
			  const char *key)
{
	const char *a[] = { "peer", "status", "--dir", n->dir, "--json", NULL };
	char *o = must_run(a);
	json_t *l = json_loads(o, 0, NULL), *x;
	long long v = -1;
	size_t i;

	json_array_foreach(l, i, x)
		if (strcmp(json_string_value(json_object_get(x, "party")), party) == 0)
			v = (long long)json_integer_value(json_object_get(x, key));
	json_decref(l);
	free(o);
	return v;
}

/* JP's outbox for CA is empty: its cursors are past everything. */
static int jp_passed_ca(const struct node *n, void *arg)
{
	return peer_num(&JP, "CA", "outbox") == 0;
}

#define IND_HELD "indicator--00000000-0000-4000-8000-000000004e1d"

/* Suspended CA is reinstated by vote, as the observer it was: the GREEN
 * indicator JP stored while CA was suspended (JP's cursor for CA passed
 * it) reaches CA once, and nothing CA had before is sent again. */
static void test_reinstate(void **state)
{
	char *out, *err, q[160];

	post(&JP, indicator(IND_HELD, GREEN));
	wait_has(&UK, "inbox-JP", IND_HELD);
	if (!wait_for(jp_passed_ca, &JP, NULL, 30000))
		fail_msg("JP's cursor for suspended CA did not pass what it stored");
	assert_int_equal(count_objects(&CA, "inbox-JP", "match[id]=" IND_HELD), 0);
	long long rec = peer_num(&CA, "JP", "received");
	long long dup = peer_num(&CA, "JP", "duplicates");
	/* not for a partner that is not suspended; and a bad role */
	const char *bad[] = { "partner", "propose-reinstate", "--dir", UK.dir, "JP",
			      NULL };
	assert_int_not_equal(run(bad, &out, &err), 0);
	assert_non_null(strstr(err, "not suspended"));
	free(out);
	free(err);
	const char *badr[] = { "partner", "propose-reinstate", "--dir", UK.dir, "CA",
			       "--role", "suspended", NULL };
	assert_int_not_equal(run(badr, &out, &err), 0);
	assert_non_null(strstr(err, "must be member or observer"));
	free(out);
	free(err);
	const char *pr[] = { "partner", "propose-reinstate", "--dir", UK.dir, "CA",
			     NULL };
	decided(pr, "observer"); /* the role it had */
	wait_has(&CA, "inbox-JP", IND_HELD);
	if (!wait_for(jp_passed_ca, &JP, NULL, 30000))
		fail_msg("JP did not finish delivering to CA");
	snprintf(q, sizeof(q), "match[id]=%s", IND_HELD);
	assert_int_equal(count_objects(&CA, "inbox-JP", q), 1);
	/* the held indicator is all that came; nothing came twice */
	assert_int_equal(peer_num(&CA, "JP", "received"), rec + 1);
	assert_int_equal(peer_num(&CA, "JP", "duplicates"), dup);
}

/* CA is removed by vote: every member unpins it; CA's pulls are refused;
 * nothing more reaches it. */
static void test_remove(void **state)
{
	const char *pr[] = { "partner", "propose-remove", "--dir", UK.dir, "CA", NULL };
	struct http_resp r;

	decided(pr, "");
	post(&JP, indicator(IND_LATE, GREEN));
	assert_int_equal(http_cert(&JP, CA.dir, "GET", "/trilex/v1/sync?limit=1000",
				   NULL, &r), 0);
	assert_int_equal(r.status, 403);
	http_free(&r);
	wait_has(&UK, "inbox-JP", IND_LATE);
	assert_int_equal(count_objects(&CA, "inbox-JP", "match[id]=" IND_LATE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admit_observer),
		cmocka_unit_test(test_observer_receives),
		cmocka_unit_test(test_observer_endorses),
		cmocka_unit_test(test_policy_default_ratifiers),
		cmocka_unit_test(test_suspend),
		cmocka_unit_test(test_reinstate),
		cmocka_unit_test(test_remove),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
