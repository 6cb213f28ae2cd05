/*
 * The AOR and the watch list end to end: three real nodes (JP, UK, US)
 * paired on loopback; proposals and votes made with the binary on each
 * node travel by federation, and every node must compute the same state.
 * The clock is moved with TRILEX_NOW.
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
#include <time.h>

#include "federation/federation.h"
#include "harness.h"

static struct node JP, UK, US, XX; /* XX: paired with JP only, late */

#define ACTOR1 "threat-actor--0a000000-0000-4000-8000-000000000001"
#define SET2 "intrusion-set--0a000000-0000-4000-8000-000000000002"
#define ACTOR3 "threat-actor--0a000000-0000-4000-8000-000000000003"
#define VENDOR4 "identity--0a000000-0000-4000-8000-000000000004"
#define IND5 "indicator--0a000000-0000-4000-8000-000000000005"

static void at(const char *ts)
{
	setenv("TRILEX_NOW", ts, 1);
}

/* Run trilex; assert its exit code; return stdout (caller frees). */
static char *cli(int want, const char *const *args, char **err_out)
{
	char *out = NULL, *err = NULL, *text;
	int rc = run_trilex(args, NULL, &out, &err);

	if (rc != want)
		fprintf(stderr, "trilex %s %s: exit %d (wanted %d): %s\n", args[0],
			args[1], rc, want, err ? err : "");
	assert_int_equal(rc, want);
	if (err_out)
		*err_out = err;
	else
		free(err);
	/* A copy: once cli is inlined, a release build's -Wdangling-pointer
	 * takes out (whose address run_trilex had) for a pointer to itself. */
	text = out ? strdup(out) : NULL;
	assert_true(out == NULL || text != NULL);
	free(out);
	return text;
}

static void push_file(const struct node *n, const char *rel)
{
	char path[PATH_MAX];
	const char *args[] = { "push", "--dir", n->dir, "--collection", "main",
			       testdata_path(rel, path, sizeof(path)), NULL };
	free(cli(0, args, NULL));
}

static int holds(const struct node *n, void *arg)
{
	char q[200];

	snprintf(q, sizeof(q), "match[id]=%s", (const char *)arg);
	return count_objects(n, "inbox-JP", q) > 0;
}

static int setup(void **state)
{
	if (node_create_as(&JP, "JP", NULL) || node_create_as(&UK, "UK", NULL) ||
	    node_create_as(&US, "US", NULL) || node_create_as(&XX, "XX", NULL) ||
	    node_pair(&JP, &UK) || node_pair(&JP, &US) || node_pair(&UK, &US) ||
	    node_start(&JP) || node_start(&UK) || node_start(&US))
		return -1;
	at("2025-01-01T00:00:00Z");
	push_file(&JP, "watch/intel.json");
	const char *poc_jp[] = { "poc", "add", "--dir", JP.dir, "--org", "NISC",
				 "--name", "Kenji Sato", "--role", "duty-officer",
				 "--email", "duty@nisc.example", NULL };
	const char *poc_uk[] = { "poc", "add", "--dir", UK.dir, "--org", "NCSC",
				 "--name", "Alex Morgan", "--role", "duty-officer",
				 "--email", "duty@ncsc.example", NULL };
	const char *poc_us[] = { "poc", "add", "--dir", US.dir, "--org", "CISA",
				 "--name", "Sam Rivera", "--role", "duty-officer",
				 NULL };
	free(cli(0, poc_jp, NULL));
	free(cli(0, poc_uk, NULL));
	free(cli(0, poc_us, NULL));
	if (!wait_for(holds, &UK, (void *)IND5, 15000) ||
	    !wait_for(holds, &US, (void *)IND5, 15000))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	int rc = node_stop(&JP) | node_stop(&UK) | node_stop(&US);

	node_destroy(&JP);
	node_destroy(&UK);
	node_destroy(&US);
	node_destroy(&XX);
	return rc == 0 ? 0 : -1;
}

/* The id a propose command printed (caller frees). */
static char *propose(const char *const *args)
{
	char *out = cli(0, args, NULL);

	out[strcspn(out, "\n")] = '\0';
	assert_non_null(strstr(out, "x-trilex-watch-proposal--"));
	return out;
}

static json_t *json_of(const char *const *args)
{
	char *out = cli(0, args, NULL);
	json_t *v = json_loads(out, 0, NULL);

	assert_non_null(v);
	free(out);
	return v;
}

/* The proposal id's JSON on node n (new reference) or NULL. */
static json_t *proposal_on(const struct node *n, const char *id)
{
	const char *args[] = { "watch", "proposals", "--dir", n->dir, "--json", NULL };
	json_t *l = json_of(args), *p, *found = NULL;
	size_t i;

	json_array_foreach(l, i, p)
		if (strcmp(json_string_value(json_object_get(p, "id")), id) == 0)
			found = json_incref(p);
	json_decref(l);
	return found;
}

static int has_proposal(const struct node *n, void *id)
{
	json_t *p = proposal_on(n, id);

	json_decref(p);
	return p != NULL;
}

struct want_prop {
	const char *id, *state;
};

static int proposal_is(const struct node *n, void *arg)
{
	struct want_prop *w = arg;
	json_t *p = proposal_on(n, w->id);
	int ok = p && strcmp(json_string_value(json_object_get(p, "state")),
			     w->state) == 0;

	json_decref(p);
	return ok;
}

/* Entry key of the watch list (aor: of the AOR) on n, or NULL. */
static json_t *entry_on(const struct node *n, int aor, const char *key)
{
	const char *wl[] = { "watch", "list", "--dir", n->dir, "--all", "--json", NULL };
	const char *ao[] = { "aor", "show", "--dir", n->dir, "--all", "--json", NULL };
	json_t *l = json_of(aor ? ao : wl), *e, *found = NULL;
	size_t i;

	json_array_foreach(l, i, e)
		if (strcmp(json_string_value(json_object_get(e, "key")), key) == 0)
			found = json_incref(e);
	json_decref(l);
	return found;
}

struct want_entry {
	int aor;
	const char *key, *state;
};

static int entry_is(const struct node *n, void *arg)
{
	struct want_entry *w = arg;
	json_t *e = entry_on(n, w->aor, w->key);
	int ok = e && strcmp(json_string_value(json_object_get(e, "state")),
			     w->state) == 0;

	json_decref(e);
	return ok;
}

static void vote(const struct node *n, const char *id, const char *how, int want,
		 const char *err_has)
{
	const char *args[] = { "vote", "--dir", n->dir, id, how, "--comment",
			       "checked by the duty desk", NULL };
	char *err = NULL;

	assert_true(wait_for(has_proposal, n, (void *)id, 15000));
	free(cli(want, args, &err));
	if (err_has) {
		if (strstr(err, err_has) == NULL)
			fprintf(stderr, "stderr: %s\n", err);
		assert_non_null(strstr(err, err_has));
	}
	free(err);
}

static void everywhere(int aor, const char *key, const char *state_)
{
	struct want_entry w = { aor, key, state_ };

	assert_true(wait_for(entry_is, &JP, &w, 15000));
	assert_true(wait_for(entry_is, &UK, &w, 15000));
	assert_true(wait_for(entry_is, &US, &w, 15000));
}

/* AOR and watch-list proposals approved by all three take effect on all. */
static void test_approved_by_all(void **state)
{
	at("2025-01-01T01:00:00Z");
	const char *aor[] = { "aor", "propose", "add", "--dir", JP.dir, "--sector",
			      "defense", "--responsible", "JP", "--backup", "UK",
			      "--rationale", "aircraft and defence primes", NULL };
	char *p1 = propose(aor);
	at("2025-01-01T01:01:00Z");
	vote(&UK, p1, "approve", 0, NULL);
	/* not yet: US has not voted */
	struct want_prop open = { p1, "open" };
	assert_true(wait_for(proposal_is, &JP, &open, 15000));
	at("2025-01-01T01:02:00Z");
	vote(&US, p1, "approve", 0, NULL);
	everywhere(1, "sector:defense", "active");

	at("2025-01-01T01:03:00Z");
	const char *add[] = { "watch", "propose", "add", "--dir", JP.dir, "--ref",
			      ACTOR1, "--rationale", "theft of F-35 design data",
			      "--risk", "critical", "--sector", "defense", NULL };
	char *p2 = propose(add);
	at("2025-01-01T01:04:00Z");
	vote(&UK, p2, "approve", 0, NULL);
	at("2025-01-01T01:05:00Z");
	vote(&US, p2, "approve", 0, NULL);
	everywhere(0, ACTOR1, "active");

	at("2025-01-01T01:06:00Z");
	const char *gb[] = { "aor", "propose", "add", "--dir", UK.dir, "--country",
			     "GB", "--responsible", "UK", "--backup", "US",
			     "--rationale", "home", NULL };
	char *p3 = propose(gb);
	at("2025-01-01T01:07:00Z");
	vote(&JP, p3, "approve", 0, NULL);
	vote(&US, p3, "approve", 0, NULL);
	everywhere(1, "country:GB", "active");

	/* the same entry on every node: responsible from the AOR, the
	 * ratification date is the deciding vote's */
	const struct node *all[] = { &JP, &UK, &US };
	for (int i = 0; i < 3; i++) {
		json_t *e = entry_on(all[i], 0, ACTOR1);
		assert_string_equal(json_string_value(json_object_get(e,
				    "responsible_party")), "JP");
		assert_string_equal(json_string_value(json_object_get(e, "ratified")),
				    "2025-01-01T01:05:00.000Z");
		assert_string_equal(json_string_value(json_object_get(e, "review")),
				    "2026-01-01T01:05:00.000Z");
		assert_string_equal(json_string_value(json_object_get(e, "risk")),
				    "critical");
		json_decref(e);
	}
	const char *who[] = { "aor", "who", "--dir", US.dir, "--sector", "defense",
			      "--country", "GB", "--json", NULL };
	json_t *w = json_of(who);
	assert_string_equal(json_string_value(json_object_get(w, "responsible")), "JP");
	assert_string_equal(json_string_value(json_object_get(w, "backup")), "UK");
	assert_string_equal(json_string_value(json_object_get(json_object_get(w,
			    "duty"), "name")), "Kenji Sato");
	assert_string_equal(json_string_value(json_object_get(json_object_get(w,
			    "backup_duty"), "name")), "Alex Morgan");
	assert_int_equal(json_array_size(json_object_get(w, "matched")), 2);
	json_decref(w);
	free(p1);
	free(p2);
	free(p3);
}

/* One rejection under unanimity ends a proposal everywhere. */
static void test_rejection(void **state)
{
	at("2025-01-02T00:00:00Z");
	const char *add[] = { "watch", "propose", "add", "--dir", JP.dir, "--ref",
			      SET2, "--rationale", "machine tools", "--risk", "high",
			      "--responsible", "JP", NULL };
	char *p = propose(add);
	at("2025-01-02T00:01:00Z");
	vote(&UK, p, "reject", 0, NULL);
	struct want_prop w = { p, "rejected" };
	assert_true(wait_for(proposal_is, &JP, &w, 15000));
	assert_true(wait_for(proposal_is, &US, &w, 15000));
	at("2025-01-02T00:02:00Z");
	vote(&US, p, "approve", 1, "is closed: rejected");
	json_t *e = entry_on(&JP, 0, SET2);
	assert_null(e);
	json_t *pj = proposal_on(&US, p);
	assert_string_equal(json_string_value(json_array_get(json_object_get(pj,
			    "rejected_by"), 0)), "UK");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
			    json_object_get(pj, "comments"), 0), "comment")),
			    "checked by the duty desk");
	json_decref(pj);
	free(p);
}

/* With a quorum of two, two approvals are enough; a late vote is refused. */
static void test_quorum_two_of_three(void **state)
{
	at("2025-01-03T00:00:00Z");
	const char *add[] = { "watch", "propose", "add", "--dir", JP.dir, "--ref",
			      ACTOR3, "--rationale", "chemical formulae",
			      "--risk", "high", "--responsible", "US", "--quorum",
			      "2", NULL };
	char *p = propose(add);
	at("2025-01-03T00:01:00Z");
	vote(&UK, p, "approve", 0, NULL);
	everywhere(0, ACTOR3, "active");
	at("2025-01-03T00:02:00Z");
	vote(&US, p, "reject", 1, "is closed: approved");
	free(p);
}

/* Two proposals on one entry made while partitioned: the earlier wins on
 * every node, the later conflicts. */
static void test_conflict(void **state)
{
	assert_int_equal(node_stop(&UK), 0);
	at("2025-01-04T00:00:00Z");
	const char *uk[] = { "watch", "propose", "add", "--dir", UK.dir, "--ref",
			     VENDOR4, "--rationale", "drones with covert uplink",
			     "--risk", "critical", "--responsible", "UK", NULL };
	char *puk = propose(uk);
	at("2025-01-04T00:10:00Z");
	const char *jp[] = { "watch", "propose", "add", "--dir", JP.dir, "--ref",
			     VENDOR4, "--rationale", "vendor on the FCC list",
			     "--risk", "medium", "--responsible", "JP", NULL };
	char *pjp = propose(jp);
	/* JP itself refuses a second one while its own is open */
	char *err = NULL;
	free(cli(1, jp, &err));
	assert_non_null(strstr(err, "still open"));
	free(err);
	assert_int_equal(node_start(&UK), 0);
	assert_true(wait_for(has_proposal, &JP, puk, 30000));
	assert_true(wait_for(has_proposal, &US, puk, 30000));
	assert_true(wait_for(has_proposal, &UK, pjp, 30000));
	struct want_prop c = { pjp, "conflict" };
	assert_true(wait_for(proposal_is, &JP, &c, 15000));
	assert_true(wait_for(proposal_is, &UK, &c, 15000));
	assert_true(wait_for(proposal_is, &US, &c, 15000));
	at("2025-01-04T01:00:00Z");
	vote(&US, pjp, "approve", 1, "is closed: conflict");
	vote(&JP, puk, "approve", 0, NULL);
	vote(&US, puk, "approve", 0, NULL);
	everywhere(0, VENDOR4, "active");
	/* the same list, to the byte, on every node */
	const char *l1[] = { "watch", "list", "--dir", JP.dir, "--all", "--json", NULL };
	const char *l2[] = { "watch", "list", "--dir", UK.dir, "--all", "--json", NULL };
	const char *l3[] = { "watch", "list", "--dir", US.dir, "--all", "--json", NULL };
	char *a = cli(0, l1, NULL), *b = cli(0, l2, NULL), *d = cli(0, l3, NULL);
	assert_string_equal(a, b);
	assert_string_equal(a, d);
	json_t *e = entry_on(&US, 0, VENDOR4);
	assert_string_equal(json_string_value(json_object_get(e, "risk")), "critical");
	assert_string_equal(json_string_value(json_object_get(e,
			    "responsible_party")), "UK");
	json_decref(e);
	free(a);
	free(b);
	free(d);
	free(puk);
	free(pjp);
}

struct want_route {
	const char *id, *party;
};

static int routed(const struct node *n, void *arg)
{
	struct want_route *w = arg;
	const char *args[] = { "route", "--dir", n->dir, "--json", NULL };
	char *out = NULL, *line, *save = NULL;
	int ok = 0;

	if (run_trilex(args, NULL, &out, NULL) != 0 || out == NULL) {
		free(out);
		return 0;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *r = json_loads(line, 0, NULL);
		const char *resp = json_string_value(json_object_get(r, "responsible"));
		if (r && strcmp(json_string_value(json_object_get(r, "id")), w->id) == 0)
			ok = w->party ? resp && strcmp(resp, w->party) == 0 : resp == NULL;
		json_decref(r);
	}
	free(out);
	return ok;
}

/* Received sightings and reports go to the responsible party. */
static void test_routing(void **state)
{
	push_file(&JP, "watch/route.json");
	struct want_route s = { "sighting--0b000000-0000-4000-8000-000000000001", "JP" };
	struct want_route r = { "report--0b000000-0000-4000-8000-000000000002", "UK" };
	struct want_route v = { "report--0b000000-0000-4000-8000-000000000003", "UK" };
	struct want_route none = { "report--0b000000-0000-4000-8000-000000000004", NULL };
	assert_true(wait_for(routed, &US, &s, 15000));
	assert_true(wait_for(routed, &US, &r, 15000));
	assert_true(wait_for(routed, &US, &v, 15000));
	assert_true(wait_for(routed, &US, &none, 15000));
	const char *args[] = { "route", "--dir", US.dir, NULL };
	char *out = cli(0, args, NULL);
	assert_non_null(strstr(out, "Kenji Sato"));   /* JP's duty officer */
	assert_non_null(strstr(out, "Alex Morgan"));  /* UK's */
	assert_non_null(strstr(out, "watch-list " ACTOR1));
	free(out);
	/* `trilex alerts` shows the same routing for an alert on a sector */
	const char *alert[] = { "alert", "--dir", JP.dir, "--title",
				"Implant at a defence prime", "--tlp", "amber",
				"--sector", "defense", NULL };
	free(cli(0, alert, NULL));
	const char *ls[] = { "alerts", "--dir", US.dir, "--json", NULL };
	for (int i = 0; i < 750; i++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		out = cli(0, ls, NULL);
		if (strstr(out, "Implant at a defence prime"))
			break;
		free(out);
		out = NULL;
		nanosleep(&ts, NULL);
	}
	assert_non_null(out);
	char *at_alert = strstr(out, "Implant at a defence prime");
	char *start = at_alert;
	while (start > out && start[-1] != '\n')
		start--;
	json_t *alert_json = json_loads(start, JSON_DISABLE_EOF_CHECK, NULL);
	json_t *routing = json_object_get(alert_json, "routing");
	assert_string_equal(json_string_value(json_object_get(routing, "responsible")),
			    "JP");
	char *text = json_dumps(routing, 0);
	assert_non_null(text);
	assert_non_null(strstr(text, "Kenji Sato")); /* JP's duty officer */
	free(text);
	json_decref(alert_json);
	free(out);
}

/* Not renewed by its review date + grace, an entry expires everywhere and
 * its indicators leave the matching index; a renewed one stays. */
static void test_expiry(void **state)
{
	at("2025-12-20T00:00:00Z");
	const char *rev[] = { "watch", "review", "--dir", US.dir, "--within", "30",
			      "--json", NULL };
	json_t *due = json_of(rev);
	/* actors 1 and 3, the vendor, defense and GB */
	assert_int_equal(json_array_size(due), 5);
	json_decref(due);
	const char *renew[] = { "aor", "propose", "renew", "--dir", UK.dir,
				"--sector", "defense", NULL };
	char *p = propose(renew);
	at("2025-12-21T00:00:00Z");
	vote(&JP, p, "approve", 0, NULL);
	vote(&US, p, "approve", 0, NULL);
	struct want_prop ok = { p, "approved" };
	assert_true(wait_for(proposal_is, &UK, &ok, 15000));
	assert_true(wait_for(proposal_is, &JP, &ok, 15000));

	at("2026-01-15T00:00:00Z");   /* past review, within grace */
	everywhere(0, ACTOR1, "under-review");
	const char *x[] = { "watch", "list", "--dir", JP.dir, "--expired-indicators",
			    NULL };
	char *out = cli(0, x, NULL);
	assert_string_equal(out, "");
	free(out);
	/* still matched by sensors while under review */
	char eve[] = "/tmp/trilex-watch-eve-XXXXXX";
	int fd = mkstemp(eve);
	const char *line = "{\"timestamp\":\"2026-01-14T10:00:00.000000+0000\","
			   "\"event_type\":\"flow\",\"src_ip\":\"10.1.1.1\","
			   "\"src_port\":4444,\"dest_ip\":\"198.51.100.77\","
			   "\"dest_port\":443,\"proto\":\"TCP\"}\n";
	assert_true(fd >= 0);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	const char *m[] = { "match", "--dir", JP.dir, eve, NULL };
	out = cli(0, m, NULL);
	assert_non_null(strstr(out, IND5));
	free(out);

	at("2026-02-01T00:00:00Z");   /* past review + 30 days */
	everywhere(0, ACTOR1, "expired");
	everywhere(1, "sector:defense", "active");
	everywhere(1, "country:GB", "expired");
	const struct node *all[] = { &JP, &UK, &US };
	for (int i = 0; i < 3; i++) {
		const char *xi[] = { "watch", "list", "--dir", all[i]->dir,
				     "--expired-indicators", NULL };
		out = cli(0, xi, NULL);
		assert_string_equal(out, IND5 "\n");
		free(out);
	}
	/* ... and once expired it has left the matching index */
	char *merr = NULL;
	out = cli(0, m, &merr);
	assert_null(strstr(out, IND5));
	assert_non_null(strstr(merr, "left out"));
	free(out);
	free(merr);
	unlink(eve);
	/* a renewal after expiry is refused: it must be added again */
	const char *late[] = { "watch", "propose", "renew", "--dir", JP.dir,
			       "--ref", ACTOR1, NULL };
	char *err = NULL;
	free(cli(1, late, &err));
	assert_non_null(strstr(err, "is expired"));
	free(err);
	free(p);
	at("2025-01-05T00:00:00Z");
}

static json_t *signed_by(const struct node *n, json_t *obj)
{
	struct tx_config cfg;
	struct tx_error err = { 0 };
	tx_fed *fed = NULL;

	assert_int_equal(tx_config_load(n->dir, &cfg, &err), TX_OK);
	assert_int_equal(fed_open(n->dir, &cfg, &fed, &err), TX_OK);
	assert_int_equal(fed_sign(fed, obj, &err), TX_OK);
	fed_close(fed);
	return obj;
}

static json_t *vote_object(const char *uuid_tail, const char *proposal,
			   const char *decision)
{
	char id[100];

	snprintf(id, sizeof(id), "x-trilex-watch-vote--0c000000-0000-4000-8000-%s",
		 uuid_tail);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "type",
			 "x-trilex-watch-vote", "spec_version", "2.1", "id", id,
			 "created", "2025-01-05T00:01:00.000Z", "modified",
			 "2025-01-05T00:01:00.000Z", "proposal_ref", proposal,
			 "decision", decision, "object_marking_refs",
			 "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421");
}

/* A vote with a bad signature is refused; a vote by a party outside the
 * proposal's partnership is stored but not counted. */
static void test_bad_votes(void **state)
{
	at("2025-01-05T00:00:00Z");
	const char *add[] = { "aor", "propose", "add", "--dir", JP.dir, "--actor",
			      ACTOR3, "--responsible", "US", "--rationale",
			      "they target US chemical firms", NULL };
	char *p = propose(add);
	/* altered after UK signed it, and signed by a key no one pinned */
	json_t *altered = signed_by(&UK, vote_object("000000000001", p, "reject"));
	json_object_set_new(altered, "decision", json_string("approve"));
	json_t *env = json_pack("{s:[o, o]}", "objects", altered,
				signed_by(&XX, vote_object("000000000002", p, "reject")));
	char *body = json_dumps(env, JSON_COMPACT);
	struct http_resp r;
	assert_int_equal(http_cert(&JP, UK.dir, "POST",
				   "/api/collections/inbox-UK/objects/", body, &r), 0);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")), 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "failure_count")), 2);
	http_free(&r);
	free(body);
	json_decref(env);
	assert_int_equal(count_objects(&JP, "inbox-UK", "match[type]=x-trilex-watch-vote"
				       "&match[id]=x-trilex-watch-vote--0c000000-0000-"
				       "4000-8000-000000000001"), 0);
	/* XX becomes JP's partner after the proposal was made: its vote
	 * arrives verified but XX is not of the proposal's partnership */
	assert_int_equal(node_pair(&JP, &XX), 0);
	env = json_pack("{s:[o]}", "objects",
			signed_by(&XX, vote_object("000000000003", p, "reject")));
	body = json_dumps(env, JSON_COMPACT);
	assert_int_equal(http_cert(&JP, XX.dir, "POST",
				   "/api/collections/inbox-XX/objects/", body, &r), 0);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")), 1);
	http_free(&r);
	free(body);
	json_decref(env);
	json_t *pj = proposal_on(&JP, p);
	assert_string_equal(json_string_value(json_object_get(pj, "state")), "open");
	json_t *ig = json_array_get(json_object_get(pj, "ignored_votes"), 0);
	assert_string_equal(json_string_value(json_object_get(ig, "party")), "XX");
	assert_non_null(strstr(json_string_value(json_object_get(ig, "reason")),
			       "not a party"));
	json_decref(pj);
	/* XX may not vote from its own node either */
	const char *xv[] = { "vote", "--dir", XX.dir, p, "approve", NULL };
	char *err = NULL;
	free(cli(1, xv, &err));
	assert_non_null(strstr(err, "unknown reference: no proposal"));
	free(err);
	at("2025-01-05T00:02:00Z");
	vote(&UK, p, "approve", 0, NULL);
	vote(&US, p, "approve", 0, NULL);
	struct want_prop ok = { p, "approved" };
	assert_true(wait_for(proposal_is, &JP, &ok, 15000));
	/* a second vote of the same party is refused */
	vote(&UK, p, "reject", 1, "is closed");
	free(p);
}

/* Clear errors for bad scopes, unknown references, bad votes. */
static void test_errors(void **state)
{
	static const struct {
		const char *args[16];
		const char *want;
	} cases[] = {
		{ { "aor", "propose", "add", "--sector", "defence", "--responsible",
		    "JP", NULL }, "not in the STIX industry-sector vocabulary" },
		{ { "aor", "propose", "add", "--country", "UK", "--responsible", "UK",
		    NULL }, "the United Kingdom is GB" },
		{ { "aor", "propose", "add", "--actor", "malware--0a000000-0000-4000-"
		    "8000-000000000009", "--responsible", "UK", NULL },
		  "not a threat-actor or intrusion-set id" },
		{ { "aor", "propose", "add", "--actor", "threat-actor--0a000000-0000-"
		    "4000-8000-000000000099", "--responsible", "UK", NULL },
		  "unknown reference" },
		{ { "watch", "propose", "add", "--ref", "threat-actor--0a000000-0000-"
		    "4000-8000-000000000099", "--rationale", "x", "--risk", "high",
		    NULL }, "unknown reference" },
		{ { "watch", "propose", "add", "--ref", SET2, "--rationale", "x",
		    "--risk", "extreme", "--responsible", "JP", NULL },
		  "must be low, medium, high or critical" },
		{ { "watch", "propose", "add", "--ref", SET2, "--rationale", "x",
		    "--risk", "high", "--responsible", "FR", NULL },
		  "not in the partnership" },
		{ { "watch", "propose", "add", "--ref", ACTOR1, "--rationale", "x",
		    "--risk", "high", "--quorum", "9", NULL }, "quorum 9" },
		{ { "watch", "propose", "remove", "--ref", SET2, NULL },
		  "only an active entry" },
		{ { "vote", "x-trilex-watch-proposal--0d000000-0000-4000-8000-"
		    "000000000001", "approve", NULL }, "unknown reference" },
		{ { "vote", "x-trilex-watch-proposal--0d000000-0000-4000-8000-"
		    "000000000001", "maybe", NULL }, "approve or reject" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[24];
		size_t n = 0, k = 0;
		/* "--dir JP" after the command words */
		args[n++] = cases[i].args[k++];
		if (strcmp(args[0], "vote") != 0)
			args[n++] = cases[i].args[k++];
		if (strcmp(args[0], "vote") != 0)
			args[n++] = cases[i].args[k++];
		args[n++] = "--dir";
		args[n++] = JP.dir;
		while (cases[i].args[k])
			args[n++] = cases[i].args[k++];
		args[n] = NULL;
		char *err = NULL;
		free(cli(1, args, &err));
		if (strstr(err, cases[i].want) == NULL)
			fprintf(stderr, "case %zu: %s", i, err);
		assert_non_null(strstr(err, cases[i].want));
		free(err);
	}
	setenv("TRILEX_NOW", "yesterday", 1);
	const char *ls[] = { "watch", "list", "--dir", JP.dir, NULL };
	char *err = NULL;
	free(cli(1, ls, &err));
	assert_non_null(strstr(err, "TRILEX_NOW"));
	free(err);
	at("2025-01-05T00:00:00Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_approved_by_all),
		cmocka_unit_test(test_rejection),
		cmocka_unit_test(test_quorum_two_of_three),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_bad_votes),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
