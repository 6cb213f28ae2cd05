/*
 * The TLP of what a node derives, end to end: three real nodes (JP, UK,
 * US) on loopback. JP holds a RED-to-UK, an AMBER+STRICT and a CLEAR
 * source; each producer of derived objects is run on JP (table
 * `producers` below: the command, and the function of federation/ that
 * decides its marking), the marking of its output is checked, and then
 * what reached UK and US. "Did not arrive" is checked only once a CLEAR
 * canary stored after the derived objects has reached both partners:
 * delivery keeps the store's order, so anything entitled would be there.
 * Also (issue 12.3) markings that cannot be resolved: upper-case TLP ids
 * are refused at ingest, unknown markings never leave as AMBER.
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

#include "federation/federation.h"
#include "harness.h"

static struct node JP, UK, US;
static char policy_file[PATH_MAX], incidents[PATH_MAX];
static int canary_no = 900;

#define TLP_CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define TLP_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define TLP_RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

#define IND_RED 201      /* RED to UK */
#define IND_STRICT 202   /* AMBER+STRICT */
#define IND_CLEAR 203
#define ACTOR_RED "threat-actor--0d000000-0000-4000-8000-000000000001"
#define AP_RED "attack-pattern--0d000000-0000-4000-8000-000000000002"

static int setup(void **state)
{
	char buf[PATH_MAX];

	testdata_path("policy/incidents.json", incidents, sizeof(incidents));
	testdata_path("../../policies/trilateral-default.json", buf, sizeof(buf));
	if (realpath(buf, policy_file) == NULL)
		return -1;
	if (node_create_as(&JP, "JP", NULL) || node_create_as(&UK, "UK", NULL) ||
	    node_create_as(&US, "US", NULL) || node_pair(&JP, &UK) ||
	    node_pair(&JP, &US) || node_pair(&UK, &US) || node_start(&JP) ||
	    node_start(&UK) || node_start(&US))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	int rc = node_stop(&JP) | node_stop(&UK) | node_stop(&US);

	node_destroy(&JP);
	node_destroy(&UK);
	node_destroy(&US);
	return rc == 0 ? 0 : -1;
}

static void mark(json_t *o, const char *marking, const char *to)
{
	json_object_set_new(o, "object_marking_refs", json_pack("[s]", marking));
	if (to)
		json_object_set_new(o, FED_RECIPIENTS, json_pack("[s]", to));
}

static void post(const struct node *n, const char *coll, json_t *objects)
{
	json_t *env = json_pack("{s:O}", "objects", objects);
	char *body = json_dumps(env, JSON_COMPACT), path[128];
	struct http_resp r;

	snprintf(path, sizeof(path), "/api/collections/%s/objects/", coll);
	assert_int_equal(http(n, "POST", path, "token", NULL, NULL, body,
			      strlen(body), &r), 0);
	assert_int_equal(r.status, 202);
	if (json_integer_value(json_object_get(r.json, "failure_count")) != 0)
		fail_msg("refused: %s", r.body);
	http_free(&r);
	free(body);
	json_decref(env);
}

/* Every object of type in coll of n (caller decrefs). */
static json_t *objects_of(const struct node *n, const char *coll,
			  const char *type)
{
	char path[256];
	struct http_resp r;
	json_t *out;

	snprintf(path, sizeof(path), "/api/collections/%s/objects/?match[type]=%s"
		 "&limit=1000", coll, type);
	assert_int_equal(http(n, "GET", path, "token", NULL, NULL, NULL, 0, &r), 0);
	if (r.status == 404) { /* no such collection (yet) */
		http_free(&r);
		return json_array();
	}
	assert_int_equal(r.status, 200);
	out = json_incref(json_object_get(r.json, "objects"));
	http_free(&r);
	return out ? out : json_array();
}

/* The first object of type in coll of n whose key is value, or NULL. */
static json_t *find_by(const struct node *n, const char *coll, const char *type,
		       const char *key, const char *value)
{
	json_t *all = objects_of(n, coll, type), *o, *found = NULL;
	size_t i;

	json_array_foreach(all, i, o) {
		const json_t *v = json_object_get(o, key);
		if (json_is_array(v))
			v = json_array_get(v, 0);
		if (json_is_string(v) && strcmp(json_string_value(v), value) == 0) {
			found = json_incref(o);
			break;
		}
	}
	json_decref(all);
	return found;
}

static const char *tlp_ref(const json_t *o)
{
	const char *r = json_string_value(json_array_get(json_object_get(o,
							  "object_marking_refs"), 0));

	return r ? r : "(unmarked)";
}

/* "A,B" from o's recipients, "-" without. */
static const char *rcpt(const json_t *o, char *buf, size_t n)
{
	const json_t *a = json_object_get(o, FED_RECIPIENTS), *x;
	size_t i, k = 0;

	if (a == NULL)
		return "-";
	buf[0] = '\0';
	json_array_foreach(a, i, x)
		k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? "," : "",
				      json_string_value(x));
	return buf;
}

struct want {
	const char *coll;
	const char *query;
};

static int reached(const struct node *n, void *arg)
{
	struct want *w = arg;

	return count_objects(n, w->coll, w->query) >= 1;
}

/* A CLEAR object stored on from now, awaited at a and b: what from
 * stored before it and was entitled to them has been delivered by then. */
static void canary_from(const struct node *from, const struct node *a,
			const struct node *b)
{
	json_t *o = make_indicator(++canary_no, NULL), *l = json_array();
	char q[128], inbox[32];

	mark(o, TLP_CLEAR, NULL);
	json_array_append_new(l, o);
	post(from, from->coll, l);
	json_decref(l);
	snprintf(q, sizeof(q), "match[id]=indicator--00000000-0000-4000-8000-%012d",
		 canary_no);
	snprintf(inbox, sizeof(inbox), "inbox-%s", from->party);
	struct want w = { inbox, q };
	assert_true(wait_for(reached, a, &w, 20000));
	assert_true(wait_for(reached, b, &w, 20000));
}

static void canary(void)
{
	canary_from(&JP, &UK, &US);
}

static char *write_tmp(const char *text)
{
	char *path = malloc(64);
	int fd;

	snprintf(path, 64, "/tmp/trilex-derived-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static char *run(int want, const char *const *args)
{
	char *out = NULL, *err = NULL;
	int rc = run_trilex(args, NULL, &out, &err);

	if (rc != want)
		fail_msg("trilex %s %s: exit %d, want %d\nstdout: %s\nstderr: %s",
			 args[0], args[1], rc, want, out, err);
	free(err);
	return out;
}

/* The sources on JP: three indicators, a RED threat actor and a RED
 * attack pattern. */
static void sources(void)
{
	json_t *l = json_array(), *o;

	o = make_indicator(IND_RED, NULL);
	mark(o, TLP_RED, "UK");
	json_array_append_new(l, o);
	o = make_indicator(IND_STRICT, NULL);
	mark(o, TLP_STRICT, NULL);
	json_array_append_new(l, o);
	o = make_indicator(IND_CLEAR, NULL);
	mark(o, TLP_CLEAR, NULL);
	json_array_append_new(l, o);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "threat-actor",
		      "spec_version", "2.1", "id", ACTOR_RED, "created",
		      "2024-01-01T00:00:00.000Z", "modified",
		      "2024-01-01T00:00:00.000Z", "name", "SECRET-NAME-OF-ACTOR");
	mark(o, TLP_RED, "UK");
	json_array_append_new(l, o);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "type",
		      "attack-pattern", "spec_version", "2.1", "id", AP_RED,
		      "created", "2024-01-01T00:00:00.000Z", "modified",
		      "2024-01-01T00:00:00.000Z", "name", "secret technique",
		      "external_references", "source_name", "mitre-attack",
		      "external_id", "T9999");
	mark(o, TLP_RED, "UK");
	json_array_append_new(l, o);
	post(&JP, JP.coll, l);
	json_decref(l);
}

/* ---- the producers ---- */

static void sighting_id(int i, char *out, size_t n)
{
	snprintf(out, n, "indicator--00000000-0000-4000-8000-%012d", i);
}

/* trilex match --sightings: one sighting per indicator. */
static void produce_sightings(void)
{
	char *eve = NULL, *path, *out;
	size_t len = 0;
	const int ips[] = { IND_RED, IND_STRICT, IND_CLEAR };

	for (int k = 0; k < 3; k++) {
		char line[400];
		int n = snprintf(line, sizeof(line), "{\"timestamp\":\"2024-05-01T10:"
				 "00:0%d.000000+0000\",\"flow_id\":%d,\"event_type\":"
				 "\"flow\",\"src_ip\":\"192.0.2.5\",\"src_port\":5000,"
				 "\"dest_ip\":\"10.0.0.%d\",\"dest_port\":443,\"proto\":"
				 "\"TCP\"}\n", k, k + 1, ips[k]);
		eve = realloc(eve, len + (size_t)n + 1);
		memcpy(eve + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	path = write_tmp(eve);
	const char *args[] = { "match", "--dir", JP.dir, "--sightings",
			       "--collection", JP.coll, path, NULL };
	out = run(0, args);
	free(out);
	unlink(path);
	free(path);
	free(eve);
}

static void check_sightings(void)
{
	char id[80], b[64];
	json_t *s;

	/* on JP: the marking of each */
	sighting_id(IND_RED, id, sizeof(id));
	s = find_by(&JP, JP.coll, "sighting", "sighting_of_ref", id);
	assert_non_null(s);
	assert_string_equal(tlp_ref(s), TLP_RED);
	assert_string_equal(rcpt(s, b, sizeof(b)), "UK");
	assert_null(json_object_get(s, FED_LOCAL));
	json_decref(s);
	sighting_id(IND_STRICT, id, sizeof(id));
	s = find_by(&JP, JP.coll, "sighting", "sighting_of_ref", id);
	assert_non_null(s);
	assert_string_equal(tlp_ref(s), TLP_STRICT);
	assert_true(json_is_true(json_object_get(s, FED_LOCAL)));
	json_decref(s);
	sighting_id(IND_CLEAR, id, sizeof(id));
	s = find_by(&JP, JP.coll, "sighting", "sighting_of_ref", id);
	assert_non_null(s);
	assert_string_equal(tlp_ref(s), TLP_CLEAR);
	json_decref(s);
}

static void check_sightings_delivered(void)
{
	char id[80];
	json_t *s;

	/* RED to UK: UK has it, US not */
	sighting_id(IND_RED, id, sizeof(id));
	s = find_by(&UK, "inbox-JP", "sighting", "sighting_of_ref", id);
	assert_non_null(s);
	assert_string_equal(tlp_ref(s), TLP_RED);
	json_decref(s);
	assert_null(find_by(&US, "inbox-JP", "sighting", "sighting_of_ref", id));
	/* AMBER+STRICT: no one */
	sighting_id(IND_STRICT, id, sizeof(id));
	assert_null(find_by(&UK, "inbox-JP", "sighting", "sighting_of_ref", id));
	assert_null(find_by(&US, "inbox-JP", "sighting", "sighting_of_ref", id));
	/* CLEAR: both (the control) */
	sighting_id(IND_CLEAR, id, sizeof(id));
	s = find_by(&UK, "inbox-JP", "sighting", "sighting_of_ref", id);
	assert_non_null(s);
	json_decref(s);
	s = find_by(&US, "inbox-JP", "sighting", "sighting_of_ref", id);
	assert_non_null(s);
	json_decref(s);
}

/* The bundle of incidents.json's death-direct, every object marked. */
static char *incident_bundle(const char *marking, const char *to,
			     const char **incident_id)
{
	json_t *doc = json_load_file(incidents, 0, NULL), *c, *b = NULL, *o;
	char *text;
	size_t i, k;
	static char id[128];

	assert_non_null(doc);
	json_array_foreach(json_object_get(doc, "cases"), i, c) {
		if (strcmp(json_string_value(json_object_get(c, "name")),
			   "death-direct") != 0)
			continue;
		b = json_pack("{s:s, s:s, s:O}", "type", "bundle", "id",
			      "bundle--6e1a2a3c-0f52-4d4d-8e34-5b6c2f1e9a01",
			      "objects", json_object_get(c, "objects"));
	}
	assert_non_null(b);
	json_array_foreach(json_object_get(b, "objects"), k, o) {
		mark(o, marking, to);
		if (strcmp(json_string_value(json_object_get(o, "type")),
			   "incident") == 0)
			snprintf(id, sizeof(id), "%s",
				 json_string_value(json_object_get(o, "id")));
	}
	*incident_id = id;
	text = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	json_decref(doc);
	return text;
}

/* The assessment notes on JP's main whose object_refs name id, by the
 * stored_as ids below. */
static char note_cli[128], note_http_strict[128], note_http_red[128];

static void produce_notes(void)
{
	const char *inc_id;
	char *bundle = incident_bundle(TLP_STRICT, NULL, &inc_id), *path, *out;
	char q[256];
	struct http_resp r;

	/* trilex assess, from a file, stored in main */
	path = write_tmp(bundle);
	const char *as[] = { "assess", "--dir", JP.dir, "--policy-file",
			     policy_file, "--collection", JP.coll, "--json", path,
			     NULL };
	out = run(0, as);
	json_t *res = json_loads(out, 0, NULL);
	assert_non_null(res);
	snprintf(note_cli, sizeof(note_cli), "%s",
		 json_string_value(json_object_get(res, "stored_as")));
	json_decref(res);
	free(out);
	unlink(path);
	free(path);

	/* POST /trilex/v1/assess needs a policy in force on JP (JP's
	 * alone: without --parties its members UK and US would ratify too) */
	const char *propose[] = { "policy", "propose", "--dir", JP.dir,
				  "--parties", "JP", policy_file, NULL };
	free(run(0, propose));
	json_t *pol = json_load_file(policy_file, 0, NULL);
	const char *sign[] = { "policy", "sign", "--dir", JP.dir,
			       json_string_value(json_object_get(pol, "version")),
			       NULL };
	free(run(0, sign));
	json_decref(pol);
	snprintf(q, sizeof(q), "/trilex/v1/assess?collection=%s", JP.coll);
	assert_int_equal(http(&JP, "POST", q, "admin", "application/json",
			      "application/json", bundle, strlen(bundle), &r), 0);
	assert_int_equal(r.status, 200);
	snprintf(note_http_strict, sizeof(note_http_strict), "%s",
		 json_string_value(json_object_get(r.json, "stored_as")));
	http_free(&r);
	free(bundle);
	bundle = incident_bundle(TLP_RED, "UK", &inc_id);
	assert_int_equal(http(&JP, "POST", q, "admin", "application/json",
			      "application/json", bundle, strlen(bundle), &r), 0);
	assert_int_equal(r.status, 200);
	snprintf(note_http_red, sizeof(note_http_red), "%s",
		 json_string_value(json_object_get(r.json, "stored_as")));
	http_free(&r);
	free(bundle);
}

static void check_notes(void)
{
	char b[64];
	json_t *n;

	assert_int_equal(strncmp(note_cli, "note--", 6), 0);
	n = find_by(&JP, JP.coll, "note", "id", note_cli);
	assert_non_null(n);
	assert_string_equal(tlp_ref(n), TLP_STRICT);
	assert_true(json_is_true(json_object_get(n, FED_LOCAL)));
	json_decref(n);
	n = find_by(&JP, JP.coll, "note", "id", note_http_strict);
	assert_non_null(n);
	assert_string_equal(tlp_ref(n), TLP_STRICT);
	assert_true(json_is_true(json_object_get(n, FED_LOCAL)));
	json_decref(n);
	n = find_by(&JP, JP.coll, "note", "id", note_http_red);
	assert_non_null(n);
	assert_string_equal(tlp_ref(n), TLP_RED);
	assert_string_equal(rcpt(n, b, sizeof(b)), "UK");
	json_decref(n);
}

static void check_notes_delivered(void)
{
	json_t *n;

	assert_null(find_by(&UK, "inbox-JP", "note", "id", note_cli));
	assert_null(find_by(&US, "inbox-JP", "note", "id", note_cli));
	assert_null(find_by(&UK, "inbox-JP", "note", "id", note_http_strict));
	assert_null(find_by(&US, "inbox-JP", "note", "id", note_http_strict));
	n = find_by(&UK, "inbox-JP", "note", "id", note_http_red);
	assert_non_null(n);
	json_decref(n);
	assert_null(find_by(&US, "inbox-JP", "note", "id", note_http_red));
}

/* trilex watch propose add --ref ACTOR_RED */
static void produce_proposal(void)
{
	const char *add[] = { "watch", "propose", "add", "--dir", JP.dir, "--ref",
			      ACTOR_RED, "--rationale", "test", "--risk", "high",
			      "--responsible", "JP", NULL };
	free(run(0, add));
}

static void check_proposal(void)
{
	char b[64];
	json_t *p = find_by(&JP, "watch", "x-trilex-watch-proposal", "target_ref",
			    ACTOR_RED);

	assert_non_null(p);
	assert_string_equal(tlp_ref(p), TLP_RED);
	assert_string_equal(rcpt(p, b, sizeof(b)), "UK");
	json_decref(p);
}

static void check_proposal_delivered(void)
{
	json_t *p = find_by(&UK, "inbox-JP", "x-trilex-watch-proposal",
			    "target_ref", ACTOR_RED);

	assert_non_null(p);
	json_decref(p);
	/* US is no recipient: it sees neither the proposal nor the name */
	assert_null(find_by(&US, "inbox-JP", "x-trilex-watch-proposal",
			    "target_ref", ACTOR_RED));
	json_t *all = objects_of(&US, "inbox-JP", "x-trilex-watch-proposal");
	char *text = json_dumps(all, 0);
	assert_null(strstr(text, "SECRET-NAME-OF-ACTOR"));
	free(text);
	json_decref(all);
}

/* trilex alert --tlp clear about the RED attack pattern */
static void produce_alert(void)
{
	const char *args[] = { "alert", "--dir", JP.dir, "--title",
			       "derived-alert", "--tlp", "clear",
			       "--attack-pattern", "T9999", NULL };
	free(run(0, args));
}

static void check_alert(void)
{
	char b[64];
	json_t *r = find_by(&JP, "alerts", "report", "name", "derived-alert");

	assert_non_null(r);
	assert_string_equal(tlp_ref(r), TLP_RED);
	assert_string_equal(rcpt(r, b, sizeof(b)), "UK");
	json_decref(r);
}

static void check_alert_delivered(void)
{
	json_t *r = find_by(&UK, "inbox-JP", "report", "name", "derived-alert");

	assert_non_null(r);
	json_decref(r);
	assert_null(find_by(&US, "inbox-JP", "report", "name", "derived-alert"));
}

/* trilex advisory import --tlp red, then sbom add --tlp green: the
 * finding names the RED advisory */
#define ADV_ID "TRILEX-DERIVED-0300"
static void produce_finding(void)
{
	const char *adv = "{\"id\": \"" ADV_ID "\", \"modified\": "
			  "\"2024-02-01T00:00:00Z\", \"affected\": [{\"package\": "
			  "{\"ecosystem\": \"npm\", \"name\": \"ms\"}, \"ranges\": "
			  "[{\"type\": \"SEMVER\", \"events\": [{\"introduced\": "
			  "\"0\"}, {\"fixed\": \"2.0.1\"}]}]}]}";
	const char *bom = "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\","
			  "\"serialNumber\":\"urn:uuid:0d000000-0000-4000-8000-"
			  "000000000777\",\"version\":1,\"metadata\":{\"component\":"
			  "{\"type\":\"application\",\"name\":\"derived-app\","
			  "\"version\":\"1\"}},\"components\":[{\"type\":\"library\","
			  "\"name\":\"ms\",\"version\":\"1.0.0\",\"purl\":"
			  "\"pkg:npm/ms@1.0.0\"}]}";
	char *a = write_tmp(adv), *b = write_tmp(bom);
	const char *imp[] = { "advisory", "import", "--dir", JP.dir, "--collection",
			      JP.coll, "--tlp", "red", a, NULL };
	const char *add[] = { "sbom", "add", "--dir", JP.dir, "--collection",
			      JP.coll, "--tlp", "green", "--category",
			      "government-it", b, NULL };

	free(run(0, imp));
	free(run(0, add));
	unlink(a);
	unlink(b);
	free(a);
	free(b);
}

/* The finding's note and alert (the note's abstract names the advisory). */
static json_t *finding_of(const struct node *n, const char *coll,
			  const char *type)
{
	json_t *all = objects_of(n, coll, type), *o, *found = NULL;
	size_t i;

	json_array_foreach(all, i, o) {
		const char *t = json_string_value(json_object_get(o,
			strcmp(type, "note") == 0 ? "abstract" : "name"));
		if (t != NULL && strstr(t, ADV_ID) != NULL) {
			found = json_incref(o);
			break;
		}
	}
	json_decref(all);
	return found;
}

static void check_finding(void)
{
	json_t *f = finding_of(&JP, JP.coll, "note");

	assert_non_null(f);
	assert_string_equal(tlp_ref(f), TLP_RED);
	assert_true(json_is_true(json_object_get(f, FED_LOCAL)));
	json_decref(f);
	f = finding_of(&JP, JP.coll, "report");
	assert_non_null(f);
	assert_string_equal(tlp_ref(f), TLP_RED);
	assert_true(json_is_true(json_object_get(f, FED_LOCAL)));
	json_decref(f);
}

static void check_finding_delivered(void)
{
	assert_null(finding_of(&UK, "inbox-JP", "note"));
	assert_null(finding_of(&US, "inbox-JP", "note"));
	assert_null(finding_of(&UK, "inbox-JP", "report"));
	assert_null(finding_of(&US, "inbox-JP", "report"));
}

/* Every producer of derived objects, what decides its marking, and how
 * it is run and checked here. */
static const struct {
	const char *producer;
	const char *decided_by;
	void (*produce)(void);
	void (*check)(void);       /* the marking of its output, on JP */
	void (*delivered)(void);   /* what reached UK and US */
} producers[] = {
	{ "trilex match --sightings (cli/match.c)", "fed_derive_stored",
	  produce_sightings, check_sightings, check_sightings_delivered },
	{ "trilex assess and POST /trilex/v1/assess (policy_note_mark)",
	  "fed_derive_stored", produce_notes, check_notes, check_notes_delivered },
	{ "trilex watch propose (watch/propose.c)", "fed_derive_stored",
	  produce_proposal, check_proposal, check_proposal_delivered },
	{ "trilex alert (cli/alert.c)", "fed_derive_stored", produce_alert,
	  check_alert, check_alert_delivered },
	{ "trilex sbom add / recheck findings (cli/sbom.c mark_finding)",
	  "fed_derive_stored", produce_finding, check_finding,
	  check_finding_delivered },
	/* watch votes (watch/propose.c) and policy approvals (cli/policy.c)
	 * call fed_derive_stored too, with their proposal as the source. */
};

static void run_producer(size_t i)
{
	print_message("producer: %s -> %s\n", producers[i].producer,
		      producers[i].decided_by);
	producers[i].produce();
	producers[i].check();
}

static void test_sources(void **state) { sources(); }
static void test_sightings(void **state) { run_producer(0); }
static void test_notes(void **state) { run_producer(1); }
static void test_proposal(void **state) { run_producer(2); }
static void test_alert(void **state) { run_producer(3); }
static void test_finding(void **state) { run_producer(4); }

static void test_delivered(void **state)
{
	canary();
	for (size_t i = 0; i < sizeof(producers) / sizeof(producers[0]); i++)
		producers[i].delivered();
}

/* What UK derives from JP's RED-to-UK objects may go back to JP, which
 * made them, and to no one else: UK's sighting of JP's indicator, and
 * UK's vote on JP's proposal about a RED target. */
static void test_back_to_origin(void **state)
{
	char id[80], b[64], *eve, *path;
	json_t *s, *p, *v;

	/* UK sights JP's RED indicator */
	eve = malloc(400);
	snprintf(eve, 400, "{\"timestamp\":\"2024-05-01T11:00:00.000000+0000\","
		 "\"flow_id\":9,\"event_type\":\"flow\",\"src_ip\":"
		 "\"192.0.2.9\",\"src_port\":5000,\"dest_ip\":\"10.0.0.%d\","
		 "\"dest_port\":443,\"proto\":\"TCP\"}\n", IND_RED);
	path = write_tmp(eve);
	const char *m[] = { "match", "--dir", UK.dir, "--sightings", "--collection",
			    UK.coll, path, NULL };
	free(run(0, m));
	unlink(path);
	free(path);
	free(eve);
	sighting_id(IND_RED, id, sizeof(id));
	s = find_by(&UK, UK.coll, "sighting", "sighting_of_ref", id);
	assert_non_null(s);
	assert_string_equal(tlp_ref(s), TLP_RED);
	assert_string_equal(rcpt(s, b, sizeof(b)), "JP,UK");
	assert_null(json_object_get(s, FED_LOCAL));
	json_decref(s);
	/* UK votes on JP's proposal */
	p = find_by(&UK, "inbox-JP", "x-trilex-watch-proposal", "target_ref",
		    ACTOR_RED);
	assert_non_null(p);
	const char *vote[] = { "vote", "--dir", UK.dir,
			       json_string_value(json_object_get(p, "id")), "approve",
			       NULL };
	free(run(0, vote));
	v = find_by(&UK, "watch", "x-trilex-watch-vote", "proposal_ref",
		    json_string_value(json_object_get(p, "id")));
	assert_non_null(v);
	assert_string_equal(tlp_ref(v), TLP_RED);
	assert_string_equal(rcpt(v, b, sizeof(b)), "JP,UK");
	json_decref(v);

	canary_from(&UK, &JP, &US);
	s = find_by(&JP, "inbox-UK", "sighting", "sighting_of_ref", id);
	assert_non_null(s);
	json_decref(s);
	assert_null(find_by(&US, "inbox-UK", "sighting", "sighting_of_ref", id));
	v = find_by(&JP, "inbox-UK", "x-trilex-watch-vote", "proposal_ref",
		    json_string_value(json_object_get(p, "id")));
	assert_non_null(v);
	json_decref(v);
	assert_null(find_by(&US, "inbox-UK", "x-trilex-watch-vote", "proposal_ref",
			    json_string_value(json_object_get(p, "id"))));
	json_decref(p);
}

/* The /trilex/v1/sync pull obeys FED_LOCAL too: nothing local in UK's
 * share, however it asks. */
static void test_sync_keeps_local(void **state)
{
	char next[128] = "", path[256];
	struct http_resp r;
	int pages = 0;

	assert_int_equal(strncmp(note_cli, "note--", 6), 0);
	assert_int_equal(strncmp(note_http_strict, "note--", 6), 0);
	for (;;) {
		snprintf(path, sizeof(path), "/trilex/v1/sync?limit=1000%s%s",
			 next[0] ? "&after=" : "", next);
		assert_int_equal(http_cert(&JP, UK.dir, "GET", path, NULL, &r), 0);
		assert_int_equal(r.status, 200);
		assert_non_null(strstr(r.body, "\"objects\""));
		/* sealed RED is opaque here; what is in clear must not be local */
		assert_null(strstr(r.body, FED_LOCAL));
		assert_null(strstr(r.body, note_cli));
		assert_null(strstr(r.body, note_http_strict));
		int more = json_is_true(json_object_get(r.json, "more"));
		snprintf(next, sizeof(next), "%s",
			 json_string_value(json_object_get(r.json, "next")));
		http_free(&r);
		if (!more || ++pages > 50)
			break;
	}
}

/* 12.3: an upper-case TLP id is refused at ingest, naming the property;
 * the valid objects of the same POST are kept; and an object whose
 * marking this node cannot resolve does not go to partners as AMBER. */
static void test_unresolvable_markings(void **state)
{
	static const struct {
		int i;
		const char *marking, *to;
		const char *message;   /* NULL: accepted */
	} cases[] = {
		{ 301, "marking-definition--E828B379-4E03-4974-9AC4-E53A884C97C1", "UK",
		  "object_marking_refs[0]: upper-case letters in the UUID" },
		{ 302, "marking-definition--939A9414-2DDD-4D32-A0CD-375EA402B003", NULL,
		  "object_marking_refs[0]: upper-case letters in the UUID" },
		{ 303, TLP_CLEAR, NULL, NULL },
		/* lower case, but no marking this node knows */
		{ 304, "marking-definition--0d000000-0000-4000-8000-0000000000ff", NULL,
		  NULL },
	};
	const size_t n = sizeof(cases) / sizeof(cases[0]);
	json_t *l = json_array(), *env, *x;
	char *body, path[128], q[128];
	struct http_resp r;
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *o = make_indicator(cases[i].i, NULL);
		mark(o, cases[i].marking, cases[i].to);
		json_array_append_new(l, o);
	}
	env = json_pack("{s:o}", "objects", l);
	body = json_dumps(env, JSON_COMPACT);
	snprintf(path, sizeof(path), "/api/collections/%s/objects/", JP.coll);
	assert_int_equal(http(&JP, "POST", path, "token", NULL, NULL, body,
			      strlen(body), &r), 0);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")), 2);
	assert_int_equal(json_integer_value(json_object_get(r.json, "failure_count")), 2);
	for (i = 0; i < n; i++) {
		char id[80];
		const char *msg = NULL;
		size_t k;

		snprintf(id, sizeof(id), "indicator--00000000-0000-4000-8000-%012d",
			 cases[i].i);
		json_array_foreach(json_object_get(r.json, "failures"), k, x)
			if (strcmp(json_string_value(json_object_get(x, "id")), id) == 0)
				msg = json_string_value(json_object_get(x, "message"));
		if (cases[i].message == NULL) {
			assert_null(msg);
		} else {
			assert_non_null(msg);
			assert_non_null(strstr(msg, cases[i].message));
		}
	}
	http_free(&r);
	free(body);
	json_decref(env);
	canary();
	/* the CLEAR one reached both; the unresolvable one neither */
	snprintf(q, sizeof(q), "match[id]=indicator--00000000-0000-4000-8000-%012d", 303);
	assert_int_equal(count_objects(&UK, "inbox-JP", q), 1);
	assert_int_equal(count_objects(&US, "inbox-JP", q), 1);
	for (int k = 301; k <= 304; k++) {
		if (k == 303)
			continue;
		snprintf(q, sizeof(q), "match[id]=indicator--00000000-0000-4000-"
			 "8000-%012d", k);
		assert_int_equal(count_objects(&UK, "inbox-JP", q), 0);
		assert_int_equal(count_objects(&US, "inbox-JP", q), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_sightings),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_proposal),
		cmocka_unit_test(test_alert),
		cmocka_unit_test(test_finding),
		cmocka_unit_test(test_delivered),
		cmocka_unit_test(test_back_to_origin),
		cmocka_unit_test(test_sync_keeps_local),
		cmocka_unit_test(test_unresolvable_markings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
