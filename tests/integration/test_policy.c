/*
 * End-to-end tests of the use-of-force policy on one real node: policy
 * check/propose/sign/status/diff with the binary, approvals of the other
 * parties arriving as STIX objects (as replication would bring them),
 * a version not yet in force, `trilex assess` from a file and from the
 * store, and POST /trilex/v1/assess over HTTPS. Then three paired nodes
 * (JP, UK, US): a policy proposed on JP, signed on all three, in force
 * everywhere once federation has delivered the objects; an incident
 * assessed on UK gives the same result on JP and US, and UK's stored
 * assessment reaches the others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "federation/federation.h"
#include "harness.h"

static struct node N, PUK, PUS; /* PUK, PUS: partners, known by key only */
static char incidents[PATH_MAX], policy_file[PATH_MAX], invalid[PATH_MAX];

static int setup(void **state)
{
	char buf[PATH_MAX];

	testdata_path("policy/incidents.json", incidents, sizeof(incidents));
	testdata_path("policy/invalid-policy.json", invalid, sizeof(invalid));
	testdata_path("../../policies/trilateral-default.json", buf, sizeof(buf));
	if (realpath(buf, policy_file) == NULL)
		return -1;
	return node_create(&N, NULL) == 0 && node_create_as(&PUK, "UK", NULL) == 0 &&
	       node_create_as(&PUS, "US", NULL) == 0 && node_pair(&N, &PUK) == 0 &&
	       node_pair(&N, &PUS) == 0 && node_start(&N) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	int rc = node_stop(&N);

	node_destroy(&N);
	node_destroy(&PUK);
	node_destroy(&PUS);
	return rc == 0 ? 0 : -1;
}

static char *write_tmp(const char *text)
{
	char *path = malloc(64);
	int fd;

	snprintf(path, 64, "/tmp/trilex-policy-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* The bundle of the named case of incidents.json (caller frees). */
static char *case_bundle(const char *name)
{
	json_t *doc = json_load_file(incidents, 0, NULL), *c, *b;
	char *text = NULL;
	size_t i;

	assert_non_null(doc);
	json_array_foreach(json_object_get(doc, "cases"), i, c) {
		if (strcmp(json_string_value(json_object_get(c, "name")), name) != 0)
			continue;
		b = json_pack("{s:s, s:s, s:O}", "type", "bundle", "id",
			      "bundle--6e1a2a3c-0f52-4d4d-8e34-5b6c2f1e9a01",
			      "objects", json_object_get(c, "objects"));
		text = json_dumps(b, JSON_COMPACT);
		json_decref(b);
	}
	json_decref(doc);
	assert_non_null(text);
	return text;
}

/* Run trilex with args; assert the exit code; return stdout (caller frees). */
static char *run(int want, const char *const *args, char **err_out)
{
	char *out = NULL, *err = NULL;
	int rc = run_trilex(args, NULL, &out, &err);

	if (rc != want)
		fail_msg("trilex %s %s: exit %d, want %d\nstdout: %s\nstderr: %s",
			 args[0], args[1], rc, want, out, err);
	if (err_out)
		*err_out = err;
	else
		free(err);
	return out;
}

static json_t *run_json(const char *const *args)
{
	char *out = run(0, args, NULL);
	json_t *j = json_loads(out, 0, NULL);

	if (j == NULL)
		fail_msg("not JSON: %s", out);
	free(out);
	return j;
}

/* An approval by party as it arrives from that party's node: signed with
 * its key and posted by it, with its certificate, to its inbox here. And
 * the same approval made up locally, which must not count. */
static void push_approval(const char *party, const json_t *version)
{
	char id[80], *text, *path, *out, inbox[64];
	const struct node *from = strcmp(party, "UK") == 0 ? &PUK : &PUS;
	struct tx_config cfg;
	struct tx_error err = { 0 };
	struct http_resp r;
	tx_fed *fed = NULL;
	json_t *o;

	snprintf(id, sizeof(id), "x-trilex-policy-approval--%s-0000-4000-8000-0000000000%s",
		 strcmp(party, "UK") == 0 ? "aaaaaaaa" : "bbbbbbbb",
		 strcmp(party, "UK") == 0 ? "01" : "02");
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:s,"
		      " s:{s:{s:s}}}", "type", "x-trilex-policy-approval",
		      "spec_version", "2.1", "id", id, "created",
		      "2025-06-01T00:00:00.000Z", "modified",
		      "2025-06-01T00:00:00.000Z", "policy_ref",
		      json_string_value(json_object_get(version, "id")) ?
			      json_string_value(json_object_get(version, "id")) : "",
		      "policy_version", json_object_get(version, "version"),
		      "policy_digest", json_object_get(version, "digest"), "party",
		      party, "decision", "approve", "extensions",
		      "extension-definition--5f0b6c1e-2a57-4c1d-9a0e-7d3b8e6f4a21",
		      "extension_type", "new-sdo");
	assert_non_null(o);
	/* made up here in UK's name: stored, but no approval of UK's */
	text = json_dumps(o, JSON_COMPACT);
	path = write_tmp(text);
	const char *push[] = { "push", "--dir", N.dir, "--collection", "policies",
			       path, NULL };
	out = run(0, push, NULL);
	assert_non_null(strstr(out, "1 added"));
	free(out);
	unlink(path);
	free(path);
	free(text);
	const char *sj[] = { "policy", "status", "--dir", N.dir, "--json", NULL };
	json_t *st = run_json(sj);
	assert_null(json_string_value(json_object_get(st, "in_force")));
	json_decref(st);
	/* from the partner itself */
	assert_int_equal(tx_config_load(from->dir, &cfg, &err), TX_OK);
	assert_int_equal(fed_open(from->dir, &cfg, &fed, &err), TX_OK);
	json_object_set_new(o, "id", json_string(strcmp(party, "UK") == 0 ?
		"x-trilex-policy-approval--cccccccc-0000-4000-8000-000000000001" :
		"x-trilex-policy-approval--dddddddd-0000-4000-8000-000000000002"));
	assert_int_equal(fed_sign(fed, o, &err), TX_OK);
	fed_close(fed);
	json_t *env = json_pack("{s:[O]}", "objects", o);
	text = json_dumps(env, JSON_COMPACT);
	snprintf(inbox, sizeof(inbox), "/api/collections/inbox-%s/objects/", party);
	assert_int_equal(http_cert(&N, from->dir, "POST", inbox, text, &r), 0);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")),
			 1);
	http_free(&r);
	free(text);
	json_decref(env);
	json_decref(o);
}

static const json_t *version_of(const json_t *status, const char *v)
{
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(status, "versions"), i, x)
		if (strcmp(json_string_value(json_object_get(x, "version")), v) == 0)
			return x;
	fail_msg("no version %s in status", v);
	return NULL;
}

static void test_ratification_on_one_node(void **state)
{
	char *out, *err, *bundle = case_bundle("death-direct");
	char *inc = write_tmp(bundle);
	json_t *st, *r;

	/* an invalid policy: every problem listed, nothing changed */
	const char *check[] = { "policy", "check", invalid, NULL };
	out = run(1, check, &err);
	assert_non_null(strstr(err, "criteria[0].weight: must be an integer 1-100"));
	assert_non_null(strstr(err, "rules[1].tier: no tier \"panic\""));
	assert_non_null(strstr(err, "15 problem(s); nothing changed"));
	free(out);
	free(err);
	const char *bad[] = { "policy", "propose", "--dir", N.dir, invalid, NULL };
	free(run(1, bad, NULL));
	const char *status[] = { "policy", "status", "--dir", N.dir, NULL };
	out = run(0, status, NULL);
	assert_non_null(strstr(out, "no policy proposed"));
	free(out);
	/* no policy at all: assess says how to get one */
	const char *none[] = { "assess", "--dir", N.dir, "--no-store", inc, NULL };
	free(run(1, none, &err));
	assert_non_null(strstr(err, "trilex policy propose"));
	free(err);

	/* propose for JP, UK, US; sign here */
	const char *propose[] = { "policy", "propose", "--dir", N.dir, "--parties",
				  "JP,UK,US", policy_file, NULL };
	out = run(0, propose, NULL);
	assert_non_null(strstr(out, "proposed policy 2025.1"));
	assert_non_null(strstr(out, "JP,UK,US"));
	free(out);
	const char *sign[] = { "policy", "sign", "--dir", N.dir, "2025.1", NULL };
	out = run(0, sign, NULL);
	assert_non_null(strstr(out, "JP approved policy 2025.1"));
	free(out);
	out = run(0, sign, NULL);
	assert_non_null(strstr(out, "already approved"));
	free(out);

	/* not in force yet: assessed under it, but not ratified, and said so */
	const char *as_json[] = { "assess", "--dir", N.dir, "--json", "--no-store",
				  inc, NULL };
	r = run_json(as_json);
	assert_string_equal(json_string_value(json_object_get(r, "decision")),
			    "use-of-force");
	assert_true(json_is_false(json_object_get(r, "ratified")));
	assert_non_null(strstr(json_string_value(json_object_get(r, "policy_note")),
			       "missing UK, US"));
	json_decref(r);

	/* UK's and US's approvals arrive */
	const char *sj[] = { "policy", "status", "--dir", N.dir, "--json", NULL };
	st = run_json(sj);
	assert_true(json_is_null(json_object_get(st, "in_force")) ||
		    json_object_get(st, "in_force") == NULL);
	const json_t *v1 = version_of(st, "2025.1");
	assert_int_equal(json_array_size(json_object_get(v1, "missing")), 2);
	push_approval("UK", v1);
	push_approval("US", v1);
	json_decref(st);
	st = run_json(sj);
	assert_string_equal(json_string_value(json_object_get(st, "in_force")),
			    "2025.1");
	json_decref(st);
	r = run_json(as_json);
	assert_true(json_is_true(json_object_get(r, "ratified")));
	assert_string_equal(json_string_value(json_object_get(r, "policy_note")), "");
	json_decref(r);

	/* a new version proposed and signed here only: 2025.1 stays in force */
	json_t *doc = json_load_file(policy_file, 0, NULL);
	json_object_set_new(doc, "version", json_string("2025.2"));
	json_object_set_new(json_array_get(json_object_get(doc, "criteria"), 0),
			    "weight", json_integer(4));
	char *t2 = json_dumps(doc, JSON_INDENT(1));
	char *p2 = write_tmp(t2);
	const char *propose2[] = { "policy", "propose", "--dir", N.dir, "--parties",
				   "JP,UK,US", p2, NULL };
	free(run(0, propose2, NULL));
	const char *sign2[] = { "policy", "sign", "--dir", N.dir, "2025.2", NULL };
	free(run(0, sign2, NULL));
	r = run_json(as_json);
	assert_string_equal(json_string_value(json_object_get(r, "policy_version")),
			    "2025.1");
	assert_true(json_is_true(json_object_get(r, "ratified")));
	assert_non_null(strstr(json_string_value(json_object_get(r, "policy_note")),
			       "2025.2 is not yet in force"));
	json_decref(r);
	const char *as_v2[] = { "assess", "--dir", N.dir, "--json", "--no-store",
				"--policy", "2025.2", inc, NULL };
	r = run_json(as_v2);
	assert_string_equal(json_string_value(json_object_get(r, "policy_version")),
			    "2025.2");
	assert_true(json_is_false(json_object_get(r, "ratified")));
	json_decref(r);
	out = run(0, status, NULL);
	assert_non_null(strstr(out, "2025.1       ratified"));
	assert_non_null(strstr(out, "2025.2       pending"));
	assert_non_null(strstr(out, "assessments use 2025.1"));
	free(out);

	/* diff between the stored versions, and refusal of a changed 2025.1 */
	const char *diff[] = { "policy", "diff", "--dir", N.dir, "2025.1", "2025.2",
			       NULL };
	out = run(0, diff, NULL);
	assert_non_null(strstr(out, "~ version: \"2025.1\" -> \"2025.2\""));
	assert_non_null(strstr(out, "~ criteria[severity].weight: 3 -> 4"));
	free(out);
	json_object_set_new(doc, "version", json_string("2025.1"));
	free(t2);
	t2 = json_dumps(doc, JSON_INDENT(1));
	char *p3 = write_tmp(t2);
	const char *propose3[] = { "policy", "propose", "--dir", N.dir, p3, NULL };
	free(run(1, propose3, &err));
	assert_non_null(strstr(err, "already proposed"));
	free(err);

	unlink(p2);
	unlink(p3);
	unlink(inc);
	free(p2);
	free(p3);
	free(t2);
	json_decref(doc);
	free(inc);
	free(bundle);
}

static void test_assess_over_https(void **state)
{
	char *bundle = case_bundle("death-direct"), *inc = write_tmp(bundle);
	char path[256];
	struct http_resp r;
	json_t *cli;

	const char *as_json[] = { "assess", "--dir", N.dir, "--json", "--no-store",
				  inc, NULL };
	cli = run_json(as_json);
	assert_int_equal(http(&N, "POST", "/trilex/v1/assess", "token",
			      "application/json", "application/json", bundle,
			      strlen(bundle), &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(r.json);
	/* the same answer as the command line, field for field */
	assert_true(json_equal(r.json, cli));
	assert_string_equal(json_string_value(json_object_get(r.json, "decision")),
			    "use-of-force");
	assert_int_equal(json_integer_value(json_object_get(r.json, "level")), 4);
	assert_true(json_is_true(json_object_get(r.json, "ratified")));
	assert_int_equal(json_array_size(json_object_get(r.json, "factors")), 8);
	/* every fact known: one possible decision, ranges of one value */
	assert_int_equal(json_array_size(json_object_get(r.json, "decision_range")), 1);
	assert_string_equal(json_string_value(json_object_get(r.json, "ranges")),
			    "exact");
	http_free(&r);

	/* stored as a note on the incident in a collection the caller writes */
	snprintf(path, sizeof(path), "/trilex/v1/assess?collection=%s", N.coll);
	assert_int_equal(http(&N, "POST", path, "admin", "application/json",
			      "application/json", bundle, strlen(bundle), &r), 0);
	assert_int_equal(r.status, 200);
	const char *note = json_string_value(json_object_get(r.json, "stored_as"));
	assert_non_null(note);
	assert_int_equal(strncmp(note, "note--", 6), 0);
	char npath[256];
	snprintf(npath, sizeof(npath), "/api/collections/%s/objects/%s/", N.coll,
		 note);
	struct http_resp g;
	assert_int_equal(http(&N, "GET", npath, "token", NULL, NULL, NULL, 0, &g), 0);
	assert_int_equal(g.status, 200);
	json_t *obj = json_array_get(json_object_get(g.json, "objects"), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(obj,
		"object_refs"), 0)), json_string_value(json_object_get(r.json,
								       "incident")));
	json_t *a = json_object_get(json_object_get(json_object_get(obj,
		"extensions"),
		"extension-definition--9a4e1b7c-6d2f-4c38-8e5a-1f0b3d7c9e62"),
		"assessment");
	assert_string_equal(json_string_value(json_object_get(a, "decision")),
			    "use-of-force");
	http_free(&g);
	http_free(&r);

	/* the reader may assess but not store in main */
	assert_int_equal(http(&N, "POST", "/trilex/v1/assess", "reader",
			      "application/json", "application/json", bundle,
			      strlen(bundle), &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	assert_int_equal(http(&N, "POST", path, "reader", "application/json",
			      "application/json", bundle, strlen(bundle), &r), 0);
	assert_int_equal(r.status, 403);
	http_free(&r);
	assert_int_equal(http(&N, "POST", path, "nobody", "application/json",
			      "application/json", bundle, strlen(bundle), &r), 0);
	assert_int_equal(r.status, 404);
	http_free(&r);
	assert_int_equal(http(&N, "POST", "/trilex/v1/assess", NULL,
			      "application/json", "application/json", bundle,
			      strlen(bundle), &r), 0);
	assert_int_equal(r.status, 401);
	http_free(&r);
	assert_int_equal(http(&N, "GET", "/trilex/v1/assess", "token",
			      "application/json", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 405);
	http_free(&r);
	/* bad input: a clear 400 naming the object and the property */
	const char *broken = "{\"type\":\"bundle\",\"id\":\"bundle--6e1a2a3c-0f52-"
		"4d4d-8e34-5b6c2f1e9a02\",\"objects\":[{\"type\":\"incident\","
		"\"spec_version\":\"2.1\",\"id\":\"incident--6e1a2a3c-0f52-4d4d-"
		"8e34-5b6c2f1e9a03\",\"created\":\"2025-01-01T00:00:00Z\","
		"\"modified\":\"2025-01-01T00:00:00Z\",\"name\":\"x\",\"extensions\":"
		"{\"extension-definition--ef765651-680c-498d-9894-99799f2fa126\":"
		"{\"extension_type\":\"property-extension\",\"determination\":"
		"\"confirmed\",\"investigation_status\":\"open\",\"criticality\":"
		"\"high\"}}}]}";
	assert_int_equal(http(&N, "POST", "/trilex/v1/assess", "token",
			      "application/json", "application/json", broken,
			      strlen(broken), &r), 0);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "objects[0]"));
	assert_non_null(strstr(r.body, "criticality: must be an integer 0-100"));
	http_free(&r);
	assert_int_equal(http(&N, "POST", "/trilex/v1/assess", "token",
			      "application/json", "application/json", "{nope", 5,
			      &r), 0);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "body:1:"));
	http_free(&r);

	/* a fact left out: the command line and HTTPS both say the decision
	 * is undetermined, which decisions remain, and what would settle it */
	char *open_bundle = case_bundle("death-causation-unknown");
	char *open_inc = write_tmp(open_bundle);
	const char *as_open[] = { "assess", "--dir", N.dir, "--json", "--no-store",
				  open_inc, NULL };
	json_t *cli_open = run_json(as_open);
	assert_int_equal(http(&N, "POST", "/trilex/v1/assess", "token",
			      "application/json", "application/json", open_bundle,
			      strlen(open_bundle), &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(json_equal(r.json, cli_open));
	assert_string_equal(json_string_value(json_object_get(r.json, "decision")),
			    "undetermined");
	assert_int_equal(json_array_size(json_object_get(r.json, "decision_range")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		r.json, "decision_range"), 1)), "use-of-force");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(
		r.json, "level_range"), 1)), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(r.json, "undetermined"), 0), "when")),
		"causation in (direct, proximate)");
	assert_non_null(json_object_get(json_object_get(r.json, "open_facts"),
					"causation"));
	http_free(&r);
	const char *as_open_text[] = { "assess", "--dir", N.dir, "--no-store",
				       open_inc, NULL };
	char *text_out = run(0, as_open_text, NULL);
	assert_non_null(strstr(text_out, "UNDETERMINED: possibly below-threshold,"
				  " use-of-force"));
	assert_non_null(strstr(text_out, "casualties (use-of-force) holds if"
				  " causation in (direct, proximate)"));
	free(text_out);
	json_decref(cli_open);
	unlink(open_inc);
	free(open_inc);
	free(open_bundle);

	json_decref(cli);
	unlink(inc);
	free(inc);
	free(bundle);
}

static void test_assess_from_store(void **state)
{
	json_t *doc = json_load_file(incidents, 0, NULL), *c, *objs = NULL;
	char *text, *path, *out, *err;
	const char *id;
	size_t i;

	/* casualties without impacts (the store's STIX validator does not
	 * accept the Incident Core impact category extensions yet) */
	json_array_foreach(json_object_get(doc, "cases"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")),
			   "armed-attack-deaths") == 0)
			objs = json_object_get(c, "objects");
	assert_non_null(objs);
	id = json_string_value(json_object_get(json_array_get(objs, 0), "id"));
	text = json_dumps(json_array_get(objs, 0), JSON_COMPACT);
	path = write_tmp(text);
	const char *push[] = { "push", "--dir", N.dir, "--collection", N.coll, path,
			       NULL };
	free(run(0, push, NULL));

	const char *as[] = { "assess", "--dir", N.dir, id, NULL };
	out = run(0, as, NULL);
	assert_non_null(strstr(out, "ARMED ATTACK CANDIDATE (rule armed-attack)"));
	assert_non_null(strstr(out, "level 5 (emergency)"));
	assert_non_null(strstr(out, "tier: collective-defence"));
	assert_non_null(strstr(out, "stored as note--"));
	free(out);
	/* the note is in the incident's collection for every partner to see */
	char q[256];
	struct http_resp r;
	snprintf(q, sizeof(q), "/api/collections/%s/objects/?match[type]=note",
		 N.coll);
	assert_int_equal(http(&N, "GET", q, "token", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	int found = 0;
	json_t *o;
	json_array_foreach(json_object_get(r.json, "objects"), i, o)
		found |= strcmp(json_string_value(json_array_get(json_object_get(
					o, "object_refs"), 0)), id) == 0 &&
			 strstr(json_string_value(json_object_get(o, "abstract")),
				"armed-attack-candidate") != NULL;
	assert_true(found);
	http_free(&r);

	const char *missing[] = { "assess", "--dir", N.dir,
				  "incident--00000000-0000-4000-8000-000000000000",
				  NULL };
	free(run(1, missing, &err));
	assert_non_null(strstr(err, "no incident"));
	free(err);
	const char *neither[] = { "assess", "--dir", N.dir, "/no/such/file", NULL };
	free(run(1, neither, &err));
	assert_non_null(strstr(err, "no such file, and not an incident id"));
	free(err);
	const char *usage[] = { "assess", "--dir", N.dir, NULL };
	free(run(2, usage, NULL));

	unlink(path);
	free(path);
	free(text);
	json_decref(doc);
}

/* The version in force on node n, per `policy status --json`, or "". */
static void in_force(const struct node *n, char *out, size_t len)
{
	const char *st[] = { "policy", "status", "--dir", n->dir, "--json", NULL };
	char *o = NULL;
	json_t *j;

	out[0] = '\0';
	if (run_trilex(st, NULL, &o, NULL) == 0 && (j = json_loads(o, 0, NULL))) {
		const char *v = json_string_value(json_object_get(j, "in_force"));
		snprintf(out, len, "%s", v ? v : "");
		json_decref(j);
	}
	free(o);
}

static int has_type(const struct node *n, void *arg)
{
	char q[128];

	snprintf(q, sizeof(q), "match[type]=%s", (const char *)arg);
	return count_objects(n, "inbox-JP", q) >= 1;
}

static int policy_in_force(const struct node *n, void *arg)
{
	char v[40];

	in_force(n, v, sizeof(v));
	return strcmp(v, (const char *)arg) == 0;
}

struct from { const char *inbox, *query; };

static int arrived(const struct node *n, void *arg)
{
	const struct from *f = arg;
	return count_objects(n, f->inbox, f->query) >= 1;
}

static void test_three_nodes(void **state)
{
	struct node JP, UK, US;
	struct node *all[3] = { &JP, &UK, &US };
	char *bundle = case_bundle("ci-lasting-168"), *inc = write_tmp(bundle);
	json_t *res[3];

	assert_int_equal(node_create_as(&JP, "JP", NULL), 0);
	assert_int_equal(node_create_as(&UK, "UK", NULL), 0);
	assert_int_equal(node_create_as(&US, "US", NULL), 0);
	assert_int_equal(node_pair(&JP, &UK), 0);
	assert_int_equal(node_pair(&JP, &US), 0);
	assert_int_equal(node_pair(&UK, &US), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(node_start(all[i]), 0);

	const char *propose[] = { "policy", "propose", "--dir", JP.dir, "--parties",
				  "JP,UK,US", policy_file, NULL };
	free(run(0, propose, NULL));
	assert_true(wait_for(has_type, &UK, "x-trilex-policy", 20000));
	assert_true(wait_for(has_type, &US, "x-trilex-policy", 20000));
	for (int i = 0; i < 3; i++) {
		const char *sign[] = { "policy", "sign", "--dir", all[i]->dir,
				       "2025.1", NULL };
		free(run(0, sign, NULL));
	}
	for (int i = 0; i < 3; i++)
		assert_true(wait_for(policy_in_force, all[i], "2025.1", 30000));

	/* the same incident, the same assessment on every node */
	for (int i = 0; i < 3; i++) {
		const char *as[] = { "assess", "--dir", all[i]->dir, "--json",
				     "--no-store", inc, NULL };
		res[i] = run_json(as);
		assert_true(json_is_true(json_object_get(res[i], "ratified")));
		assert_string_equal(json_string_value(json_object_get(res[i],
								      "decision")),
				    "use-of-force");
	}
	assert_true(json_equal(res[0], res[1]));
	assert_true(json_equal(res[1], res[2]));

	/* UK's stored assessment reaches JP and US */
	char path[256];
	struct http_resp r;
	snprintf(path, sizeof(path), "/trilex/v1/assess?collection=%s", UK.coll);
	assert_int_equal(http(&UK, "POST", path, "token", "application/json",
			      "application/json", bundle, strlen(bundle), &r), 0);
	assert_int_equal(r.status, 200);
	char q[128];
	snprintf(q, sizeof(q), "match[id]=%s",
		 json_string_value(json_object_get(r.json, "stored_as")));
	http_free(&r);
	struct from f = { "inbox-UK", q };
	assert_true(wait_for(arrived, &JP, &f, 20000));
	assert_true(wait_for(arrived, &US, &f, 20000));

	for (int i = 0; i < 3; i++) {
		json_decref(res[i]);
		assert_int_equal(node_stop(all[i]), 0);
		node_destroy(all[i]);
	}
	unlink(inc);
	free(inc);
	free(bundle);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratification_on_one_node),
		cmocka_unit_test(test_assess_over_https),
		cmocka_unit_test(test_assess_from_store),
		cmocka_unit_test(test_three_nodes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
