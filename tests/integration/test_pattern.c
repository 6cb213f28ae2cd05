/*
 * End-to-end tests of STIX patterning: indicators with bad patterns are
 * refused on ingest over HTTPS; `trilex pattern check/match` exit codes and
 * output; `trilex match` against a running node's indicators, with
 * sightings recorded and then read back over TAXII.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static struct node N;

static int setup(void **state)
{
	return node_create(&N, NULL) == 0 && node_start(&N) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	int rc = node_stop(&N);

	node_destroy(&N);
	return rc == 0 ? 0 : -1;
}

static json_t *indicator(const char *uuid_tail, const char *pattern, const char *type)
{
	char id[80];

	snprintf(id, sizeof(id), "indicator--00000000-0000-4000-8000-%s", uuid_tail);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "indicator",
			 "spec_version", "2.1", "id", id, "created", "2024-01-01T00:00:00.000Z",
			 "modified", "2024-01-01T00:00:00.000Z", "name", "t", "pattern", pattern,
			 "pattern_type", type, "valid_from", "2024-01-01T00:00:00Z");
}

static void post(json_t *objs, struct http_resp *r)
{
	char path[128];
	json_t *env = json_pack("{s:o}", "objects", objs);
	char *body = json_dumps(env, 0);

	snprintf(path, sizeof(path), "/api/collections/%s/objects/", N.coll);
	assert_int_equal(http(&N, "POST", path, "token", NULL, NULL, body, strlen(body), r), 0);
	free(body);
	json_decref(env);
}

static void test_ingest_validates_patterns(void **state)
{
	struct http_resp r;
	json_t *objs = json_array();

	json_array_append_new(objs, indicator("000000000101", "[domain-name:value = 'c2.evil.example']", "stix"));
	json_array_append_new(objs, indicator("000000000102", "[domain-name:value = 'x' AND]", "stix"));
	json_array_append_new(objs, indicator("000000000103", "[file:name LIKE 'x'] WITHIN 0 SECONDS", "stix"));
	json_array_append_new(objs, indicator("000000000104", "title:evil AND not a stix pattern", "sigma"));
	json_array_append_new(objs, indicator("000000000105",
					      "([ipv4-addr:value ISSUBSET '198.51.100.0/24'] FOLLOWEDBY "
					      "[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']) WITHIN 3600 SECONDS",
					      "stix"));
	/* a pattern past the parser's size cap is that object's fault, not
	 * a reason to refuse the whole request */
	size_t big_len = 70000;
	char *big = malloc(big_len + 64);
	assert_non_null(big);
	strcpy(big, "[domain-name:value = '");
	memset(big + strlen(big), 'a', big_len);
	strcpy(big + 22 + big_len, "']");
	json_array_append_new(objs, indicator("000000000106", big, "stix"));
	free(big);
	post(objs, &r);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")), 3);
	assert_int_equal(json_integer_value(json_object_get(r.json, "failure_count")), 3);
	json_t *fails = json_object_get(r.json, "failures");
	assert_int_equal(json_array_size(fails), 3);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(fails, 2),
								  "message")),
			       "objects[5] indicator--00000000-0000-4000-8000-000000000106: pattern:"));
	const char *m0 = json_string_value(json_object_get(json_array_get(fails, 0), "message"));
	const char *m1 = json_string_value(json_object_get(json_array_get(fails, 1), "message"));
	assert_non_null(m0);
	assert_non_null(m1);
	assert_non_null(strstr(m0, "objects[1] indicator--00000000-0000-4000-8000-000000000102: pattern: position 29: expected an object path"));
	assert_non_null(strstr(m1, "objects[2] indicator--00000000-0000-4000-8000-000000000103: pattern: position"));
	assert_non_null(strstr(m1, "WITHIN needs a positive number"));
	http_free(&r);

	/* the good ones are kept, the bad ones are not */
	char path[256];
	snprintf(path, sizeof(path), "/api/collections/%s/objects/?match[type]=indicator", N.coll);
	assert_int_equal(http(&N, "GET", path, "token", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "000000000101"));
	assert_non_null(strstr(r.body, "000000000104"));
	assert_non_null(strstr(r.body, "000000000105"));
	assert_null(strstr(r.body, "000000000102"));
	assert_null(strstr(r.body, "000000000103"));
	http_free(&r);
}

static void test_pattern_commands(void **state)
{
	char file[4096], *out = NULL, *err = NULL;

	const char *ok[] = { "pattern", "check", "[a:b = 1] FOLLOWEDBY [c:d IN ('x')] WITHIN 5 SECONDS", NULL };
	assert_int_equal(run_trilex(ok, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "FOLLOWEDBY"));
	assert_non_null(strstr(out, "comparison c:d IN ('x')"));
	free(out);
	free(err);
	const char *bad[] = { "pattern", "check", "[a:b = ]", NULL };
	assert_int_equal(run_trilex(bad, NULL, &out, &err), 2);
	assert_non_null(strstr(err, "position 8: expected a constant"));
	free(out);
	free(err);

	assert_non_null(testdata_path("pattern/observed.json", file, sizeof(file)));
	const char *m1[] = { "pattern", "match", "[ipv4-addr:value ISSUBSET '198.51.100.0/24'] REPEATS 2 TIMES", file, NULL };
	assert_int_equal(run_trilex(m1, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"));
	free(out);
	free(err);
	const char *m2[] = { "pattern", "match",
			     "[domain-name:value = 'example.com'] FOLLOWEDBY [file:name = 'payload.exe']", file, NULL };
	assert_int_equal(run_trilex(m2, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "observed-data--7a3c1a3e-1b4f-4d4b-9b3a-2f8a5b6c7d8e"));
	free(out);
	free(err);
	const char *m3[] = { "pattern", "match",
			     "[file:name = 'payload.exe'] FOLLOWEDBY [domain-name:value = 'example.com']", file, NULL };
	assert_int_equal(run_trilex(m3, NULL, &out, &err), 1);
	assert_non_null(strstr(out, "no match"));
	free(out);
	free(err);
	const char *m4[] = { "pattern", "match", "[file:name = ", file, NULL };
	assert_int_equal(run_trilex(m4, NULL, &out, &err), 2);
	assert_non_null(strstr(err, "invalid pattern"));
	free(out);
	free(err);
	const char *m5[] = { "pattern", "match", "[file:name = 'x']", "/nonexistent/file.json", NULL };
	assert_int_equal(run_trilex(m5, NULL, &out, &err), 2);
	free(out);
	free(err);
	const char *m6[] = { "pattern", "match", "[file:name = 'x']", "-", NULL };
	assert_int_equal(run_trilex(m6, "{\"type\": \"bundle\", ", &out, &err), 2);
	assert_non_null(strstr(err, "line"));
	free(out);
	free(err);
}

/*
 * Issue 13 item 1: a bundle, a list of bundles (the OASIS matcher's input
 * form) and a list of objects are read alike by `pattern match` and by
 * `match --format stix`; a file without observed-data is an error that
 * says why, never a silent "no match" or "events: 0".
 */
static void test_input_forms(void **state)
{
	static const char *forms[] = { "pattern/forms-bundle.json", "pattern/forms-bundles.json",
				       "pattern/forms-objects.json" };
	char file[4096], none[4096], *out = NULL, *err = NULL;
	struct http_resp r;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		assert_non_null(testdata_path(forms[i], file, sizeof(file)));
		const char *m[] = { "pattern", "match",
				    "[domain-name:value = 'forms.example'] FOLLOWEDBY [ipv4-addr:value = '203.0.113.6']",
				    file, NULL };
		int rc = run_trilex(m, NULL, &out, &err);
		if (rc != 0)
			fail_msg("%s: exit %d: %s", forms[i], rc, err);
		assert_non_null(strstr(out, "match: 2 observed-data bound"));
		assert_non_null(strstr(out, "observed-data--3c0d1c6e-5f4a-4b7e-9a10-000000000a01"));
		assert_non_null(strstr(out, "observed-data--3c0d1c6e-5f4a-4b7e-9a10-000000000a02"));
		free(out);
		free(err);
	}
	assert_non_null(testdata_path("pattern/forms-none.json", none, sizeof(none)));
	const char *m0[] = { "pattern", "match", "[domain-name:value = 'forms.example']", none, NULL };
	assert_int_equal(run_trilex(m0, NULL, &out, &err), 2);
	assert_non_null(strstr(err, "no observed-data found: 2 object(s) read (type indicator, domain-name)"));
	free(out);
	free(err);
	const char *m1[] = { "pattern", "match", "[domain-name:value = 'forms.example']", "-", NULL };
	assert_int_equal(run_trilex(m1, "[[], {\"type\": \"bundle\", \"objects\": []}]", &out, &err), 2);
	assert_non_null(strstr(err, "no observed-data found: 1 bundle(s) and 2 list(s) hold no STIX object"));
	free(out);
	free(err);

	json_t *ind = json_array();
	json_array_append_new(ind, indicator("000000000301", "[ipv4-addr:value = '203.0.113.6']", "stix"));
	post(ind, &r);
	assert_int_equal(r.status, 202);
	http_free(&r);
	assert_non_null(testdata_path("pattern/forms-bundles.json", file, sizeof(file)));
	const char *a1[] = { "match", "--dir", N.dir, "--format", "stix", file, NULL };
	assert_int_equal(run_trilex(a1, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "\"events\":2"));
	assert_non_null(strstr(out, "\"observed_data\":\"observed-data--3c0d1c6e-5f4a-4b7e-9a10-000000000a02\""));
	assert_non_null(strstr(out, "000000000301"));
	free(out);
	free(err);
	const char *a2[] = { "match", "--dir", N.dir, "--format", "stix", none, NULL };
	assert_int_equal(run_trilex(a2, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "forms-none.json: no observed-data found"));
	assert_null(strstr(out, "\"events\":0"));
	free(out);
	free(err);
}

/*
 * Issue 13 item 2: an IN set of mixed types (STIX 2.1 9.6.1) and a second
 * qualifier of a kind (9.5) are invalid patterns: refused on ingest, with
 * the others of the request kept, and by `pattern check`.
 */
static void test_ingest_refuses_section9(void **state)
{
	struct http_resp r;
	char *out = NULL, *err = NULL;
	json_t *objs = json_array();

	json_array_append_new(objs, indicator("000000000401", "[file:size IN (1, 'a')]", "stix"));
	json_array_append_new(objs, indicator("000000000402", "[file:size IN (1, 2.5)]", "stix"));
	json_array_append_new(objs, indicator("000000000403",
					      "[file:name = 'x'] WITHIN 5 SECONDS WITHIN 6 SECONDS", "stix"));
	post(objs, &r);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")), 1);
	assert_int_equal(json_integer_value(json_object_get(r.json, "failure_count")), 2);
	json_t *fails = json_object_get(r.json, "failures");
	const char *m0 = json_string_value(json_object_get(json_array_get(fails, 0), "message"));
	const char *m1 = json_string_value(json_object_get(json_array_get(fails, 1), "message"));
	assert_non_null(m0);
	assert_non_null(m1);
	assert_non_null(strstr(m0, "objects[0] indicator--00000000-0000-4000-8000-000000000401: pattern: position 19: "
				   "an IN list must hold constants of one type: a string after a number"));
	assert_non_null(strstr(m1, "objects[2] indicator--00000000-0000-4000-8000-000000000403: pattern: position 36: "
				   "a second WITHIN qualifier"));
	http_free(&r);

	const char *c1[] = { "pattern", "check", "[a:b IN (1, true)]", NULL };
	assert_int_equal(run_trilex(c1, NULL, &out, &err), 2);
	assert_non_null(strstr(err, "an IN list must hold constants of one type: a boolean after a number"));
	free(out);
	free(err);
	const char *c2[] = { "pattern", "check", "[a:b = 1] REPEATS 2 TIMES REPEATS 3 TIMES", NULL };
	assert_int_equal(run_trilex(c2, NULL, &out, &err), 2);
	assert_non_null(strstr(err, "position 27: a second REPEATS qualifier"));
	free(out);
	free(err);
}

static void test_match_and_sightings(void **state)
{
	char file[4096], *out = NULL, *err = NULL, path[256];
	struct http_resp r;

	assert_non_null(testdata_path("pattern/eve-sample.jsonl", file, sizeof(file)));
	const char *args[] = { "match", "--dir", N.dir, "--sightings", file, NULL };
	assert_int_equal(run_trilex(args, NULL, &out, &err), 0);
	/* malformed lines are reported with their numbers, matching goes on */
	assert_non_null(strstr(err, "eve-sample.jsonl:9: malformed event: column"));
	assert_non_null(strstr(err, "eve-sample.jsonl:10: malformed event"));
	/* one JSON line per match, then the summary */
	size_t n_101 = 0, n_105 = 0, lines = 0;
	json_t *summary = NULL;
	for (char *l = out, *nl; l && *l; l = nl) {
		if ((nl = strchr(l, '\n')) != NULL)
			*nl++ = '\0';
		json_t *j = json_loads(l, 0, NULL);
		assert_non_null(j);
		lines++;
		if (json_object_get(j, "summary")) {
			summary = json_incref(json_object_get(j, "summary"));
		} else {
			const char *id = json_string_value(json_object_get(j, "indicator"));
			assert_non_null(id);
			n_101 += strstr(id, "000000000101") != NULL;
			n_105 += strstr(id, "000000000105") != NULL;
			if (strstr(id, "000000000101"))
				assert_string_equal(json_string_value(json_array_get(json_object_get(j, "values"), 0)),
						    "c2.evil.example");
		}
		json_decref(j);
	}
	free(out);
	free(err);
	assert_int_equal(n_101, 3);   /* lines 1, 2 and 13 */
	assert_int_equal(n_105, 1);   /* the address at 10:00:01.5, the file at 10:00:03.25 */
	assert_non_null(summary);
	assert_int_equal(json_integer_value(json_object_get(summary, "events")), 9);
	assert_int_equal(json_integer_value(json_object_get(summary, "malformed")), 4);
	assert_int_equal(json_integer_value(json_object_get(summary, "matches")), 4);
	/* what was stored: two sightings (not the identity with them) */
	assert_int_equal(json_integer_value(json_object_get(summary, "sightings")), 2);
	json_decref(summary);

	/* the sightings, read back over TAXII */
	snprintf(path, sizeof(path), "/api/collections/%s/objects/?match[type]=sighting", N.coll);
	assert_int_equal(http(&N, "GET", path, "token", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	json_t *objs = json_object_get(r.json, "objects");
	assert_int_equal(json_array_size(objs), 2);
	const char *ident = NULL;
	for (size_t i = 0; i < 2; i++) {
		json_t *s = json_array_get(objs, i);
		const char *of = json_string_value(json_object_get(s, "sighting_of_ref"));
		json_t *where = json_object_get(s, "where_sighted_refs");
		assert_int_equal(json_array_size(where), 1);
		ident = json_string_value(json_array_get(where, 0));
		assert_true(strncmp(ident, "identity--", 10) == 0);
		assert_int_equal(ident[10 + 14], '5'); /* a version-5 UUID */
		if (strstr(of, "000000000101")) {
			assert_int_equal(json_integer_value(json_object_get(s, "count")), 3);
			assert_string_equal(json_string_value(json_object_get(s, "first_seen")),
					    "2024-05-01T10:00:00.000001Z");
			assert_string_equal(json_string_value(json_object_get(s, "last_seen")),
					    "2024-05-01T10:00:09.000000Z");
		} else {
			assert_non_null(strstr(of, "000000000105"));
			assert_int_equal(json_integer_value(json_object_get(s, "count")), 1);
		}
	}
	char want_ident[80];
	snprintf(want_ident, sizeof(want_ident), "%s", ident);
	http_free(&r);
	snprintf(path, sizeof(path), "/api/collections/%s/objects/%s/", N.coll, want_ident);
	assert_int_equal(http(&N, "GET", path, "token", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"identity_class\""));
	http_free(&r);

	/* the same events again add nothing: no sighting, no version */
	assert_int_equal(run_trilex(args, NULL, &out, &err), 0);
	char *sum = strstr(out, "{\"summary\"");
	assert_non_null(sum);
	summary = json_loads(sum, 0, NULL);
	assert_non_null(summary);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(summary,
		"summary"), "sightings")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(summary,
		"summary"), "sightings_unchanged")), 2);
	json_decref(summary);
	free(out);
	free(err);
	assert_int_equal(count_objects(&N, "main", "match[type]=sighting&match[version]=all"), 2);
	/* one new event in the same window: a new version of that sighting,
	 * counting 4, the other untouched */
	char extra[PATH_MAX];
	tx_strfmt(extra, sizeof(extra), "%s/extra.jsonl", N.dir);
	FILE *xf = fopen(extra, "w");
	assert_non_null(xf);
	fputs("{\"timestamp\":\"2024-05-01T10:00:20.000000+0000\",\"flow_id\":99,"
	      "\"event_type\":\"dns\",\"src_ip\":\"10.0.0.6\",\"src_port\":53212,"
	      "\"dest_ip\":\"10.0.0.1\",\"dest_port\":53,\"proto\":\"UDP\",\"dns\":"
	      "{\"type\":\"query\",\"id\":2,\"rrname\":\"c2.evil.example\","
	      "\"rrtype\":\"A\",\"tx_id\":0}}\n", xf);
	fclose(xf);
	const char *again[] = { "match", "--dir", N.dir, "--sightings", extra, NULL };
	assert_int_equal(run_trilex(again, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "\"sightings\":1,"));
	free(out);
	free(err);
	assert_int_equal(count_objects(&N, "main", "match[type]=sighting&match[version]=all"), 3);
	snprintf(path, sizeof(path), "/api/collections/%s/objects/?match[type]=sighting", N.coll);
	assert_int_equal(http(&N, "GET", path, "token", NULL, NULL, NULL, 0, &r), 0);
	objs = json_object_get(r.json, "objects");
	assert_int_equal(json_array_size(objs), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *s = json_array_get(objs, i);
		int is101 = strstr(json_string_value(json_object_get(s, "sighting_of_ref")),
				   "000000000101") != NULL;
		assert_int_equal(json_integer_value(json_object_get(s, "count")), is101 ? 4 : 1);
		if (is101)
			assert_string_equal(json_string_value(json_object_get(s, "last_seen")),
					    "2024-05-01T10:00:20.000000Z");
	}
	http_free(&r);
	/* and that file again: nothing */
	assert_int_equal(run_trilex(again, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "\"sightings\":0,"));
	free(out);
	free(err);

	/* STIX input; the identity is the same on a second run */
	char obs[4096];
	assert_non_null(testdata_path("pattern/observed.json", obs, sizeof(obs)));
	json_t *more = json_array();
	json_array_append_new(more, indicator("000000000106", "[ipv4-addr:value = '198.51.100.3'] REPEATS 2 TIMES", "stix"));
	post(more, &r);
	assert_int_equal(r.status, 202);
	http_free(&r);
	const char *a2[] = { "match", "--dir", N.dir, "--format", "stix", "--sightings", "--collection", "main", obs, NULL };
	assert_int_equal(run_trilex(a2, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "\"observed_data\":\"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf\""));
	assert_non_null(strstr(out, "000000000106"));
	assert_null(strstr(out, "000000000105")); /* no MD5 in that file */
	free(out);
	free(err);
	snprintf(path, sizeof(path), "/api/collections/%s/objects/?match[type]=sighting", N.coll);
	assert_int_equal(http(&N, "GET", path, "token", NULL, NULL, NULL, 0, &r), 0);
	objs = json_object_get(r.json, "objects");
	int found = 0;
	for (size_t i = 0; i < json_array_size(objs); i++) {
		json_t *s = json_array_get(objs, i);
		if (!strstr(json_string_value(json_object_get(s, "sighting_of_ref")), "000000000106"))
			continue;
		found = 1;
		assert_string_equal(json_string_value(json_array_get(json_object_get(s, "where_sighted_refs"), 0)),
				    want_ident);
		assert_string_equal(json_string_value(json_array_get(json_object_get(s, "observed_data_refs"), 0)),
				    "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf");
	}
	assert_true(found);
	http_free(&r);

	/* bad arguments */
	const char *a3[] = { "match", "--dir", N.dir, "--format", "pcap", obs, NULL };
	assert_int_equal(run_trilex(a3, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "--format"));
	free(out);
	free(err);
	const char *a4[] = { "match", "--dir", N.dir, NULL };
	assert_int_equal(run_trilex(a4, NULL, &out, &err), 2);
	free(out);
	free(err);
}

/* Lines of file that hold needle (0 if the file cannot be read). */
static int count_in(const char *file, const char *needle)
{
	char *text = slurp(file, NULL), *p;
	int n = 0;

	for (p = text; p && (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(text);
	return n;
}

struct seen_arg {
	const char *file, *needle;
};

static int file_has(const struct node *n, void *arg)
{
	const struct seen_arg *a = arg;

	return count_in(a->file, a->needle) > 0;
}

static void append(const char *file, const char *line)
{
	FILE *f = fopen(file, "a");

	assert_non_null(f);
	fputs(line, f);
	fclose(f);
}

/* `trilex match --follow` reads a growing EVE file as a sensor writes it,
 * and an indicator stored while it runs is matched from then on: the index
 * is rebuilt off the reading path and swapped in. SIGTERM ends it with its
 * summary. */
static void test_match_follow(void **state)
{
	char eve[PATH_MAX], out[PATH_MAX], err[PATH_MAX];
	struct http_resp r;
	int status = 0;
	const char *ev_a = "{\"timestamp\":\"2026-11-26T10:00:00.000000+0000\","
		"\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":1,"
		"\"dest_ip\":\"198.51.100.77\",\"dest_port\":443,\"proto\":\"TCP\"}\n";
	const char *ev_b = "{\"timestamp\":\"2026-11-26T10:00:01.000000+0000\","
		"\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":1,"
		"\"dest_ip\":\"203.0.113.77\",\"dest_port\":443,\"proto\":\"TCP\"}\n";

	tx_strfmt(eve, sizeof(eve), "%s/../follow-eve.jsonl", N.dir);
	tx_strfmt(out, sizeof(out), "%s/../follow.out", N.dir);
	tx_strfmt(err, sizeof(err), "%s/../follow.err", N.dir);
	post(json_pack("[o]", indicator("0000000f0a01", "[ipv4-addr:value = '198.51.100.77']",
					"stix")), &r);
	assert_int_equal(r.status, 202);
	http_free(&r);
	append(eve, ""); /* the sensor's file exists, empty */
	const char *args[] = { "match", "--dir", N.dir, "--follow", eve, NULL };
	pid_t pid = spawn_trilex(args, out, err);
	assert_true(pid > 0);
	/* the first event matches the indicator stored before */
	append(eve, ev_a);
	struct seen_arg a = { out, "0000000f0a01" };
	assert_true(wait_for(file_has, &N, &a, 10000));
	/* an indicator stored now: the event for it does not match yet... */
	append(eve, ev_b);
	struct seen_arg l2 = { out, "\"position\":2" };
	assert_false(wait_for(file_has, &N, &l2, 700));
	post(json_pack("[o]", indicator("0000000f0a02", "[ipv4-addr:value = '203.0.113.77']",
					"stix")), &r);
	assert_int_equal(r.status, 202);
	http_free(&r);
	struct seen_arg re = { err, "index reloaded" };
	assert_true(wait_for(file_has, &N, &re, 10000));
	/* ...but the same event once the new index is in */
	append(eve, ev_b);
	struct seen_arg b = { out, "0000000f0a02" };
	assert_true(wait_for(file_has, &N, &b, 10000));
	assert_int_equal(count_in(out, "0000000f0a01"), 1);
	assert_int_equal(count_in(out, "0000000f0a02"), 1);
	/* a line being written is read whole once it is */
	append(eve, "{\"timestamp\":\"2026-11-26T10:00:02.000000+0000\",\"event_type\":\"flow\",");
	struct timespec ts = { 0, 300 * 1000000L };
	nanosleep(&ts, NULL);
	append(eve, "\"src_ip\":\"10.0.0.2\",\"src_port\":1,\"dest_ip\":\"198.51.100.77\","
		    "\"dest_port\":443,\"proto\":\"TCP\"}\n");
	struct seen_arg l4 = { out, "\"position\":4" };
	assert_true(wait_for(file_has, &N, &l4, 10000));
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(count_in(out, "\"summary\""), 1);
	assert_int_equal(count_in(out, "\"events\":4"), 1);
	assert_int_equal(count_in(out, "\"matches\":3"), 1);
	assert_int_equal(count_in(err, "malformed"), 0);
	unlink(eve);
	unlink(out);
	unlink(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_validates_patterns),
		cmocka_unit_test(test_pattern_commands),
		cmocka_unit_test(test_input_forms),
		cmocka_unit_test(test_ingest_refuses_section9),
		cmocka_unit_test(test_match_and_sightings),
		cmocka_unit_test(test_match_follow),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
