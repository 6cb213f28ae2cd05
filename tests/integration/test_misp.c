/*
 * End-to-end tests of MISP feeds: `trilex export misp` on a real node,
 * read back by an independent reader written from the MISP core format
 * (tests/integration/misp_feed_reader.py, Python: not trilex's importer);
 * what is withheld (TLP:RED, AMBER+STRICT) never appears; a second
 * export rewrites nothing and a consumer polling with the last timestamp
 * fetches only events that moved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

static struct node N;

static int setup(void **state)
{
	return node_create(&N, NULL);
}

static int teardown(void **state)
{
	node_destroy(&N);
	return 0;
}

/* Run the independent reader on a folder or URL (extra: more words);
 * its JSON summary. */
static json_t *read_feed(const char *where, const char *extra, int want_rc)
{
	char script[4096], cmd[8192];
	const char *td = getenv("TRILEX_TESTDATA");
	struct tx_buf_ { char *p; size_t n, cap; } b = { 0 };
	json_t *j;
	FILE *f;
	int rc;

	assert_non_null(td);
	snprintf(script, sizeof(script), "%s/../integration/misp_feed_reader.py", td);
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s' %s", script, where,
		 extra ? extra : "");
	assert_non_null(f = popen(cmd, "r"));
	for (;;) {
		if (b.n + 4096 + 1 > b.cap) {
			b.cap = b.cap ? b.cap * 2 : 65536;
			assert_non_null(b.p = realloc(b.p, b.cap));
		}
		size_t k = fread(b.p + b.n, 1, 4096, f);
		if (k == 0)
			break;
		b.n += k;
	}
	b.p[b.n] = '\0';
	rc = pclose(f);
	if (!WIFEXITED(rc) || WEXITSTATUS(rc) != want_rc)
		fail_msg("reader exit %d (wanted %d): %s", WEXITSTATUS(rc), want_rc, b.p);
	j = json_loads(b.p, 0, NULL);
	if (j == NULL)
		fail_msg("reader output is not JSON: %s", b.p);
	free(b.p);
	return j;
}

static char *run_ok(const char *const *args)
{
	char *out = NULL, *err = NULL;
	int rc = run_trilex(args, NULL, &out, &err);

	if (rc != 0)
		fail_msg("trilex %s %s: exit %d: %s", args[0], args[1], rc, err);
	free(err);
	return out;
}

/* Store objects (a JSON list text) in collection main with push. */
static void push_objects(const char *list)
{
	char path[4096], *out;
	FILE *f;

	snprintf(path, sizeof(path), "%s/misp-push.json", N.dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "{\"type\": \"bundle\", \"id\": \"bundle--5a1d2b8e-1f0c-4e5d-9a7b-"
		   "3c2d1e0f9a8b\", \"objects\": %s}", list);
	fclose(f);
	const char *args[] = { "push", "--dir", N.dir, "--collection", "main",
			       path, NULL };
	out = run_ok(args);
	free(out);
}

#define OBJ_HEAD(type, uuid) "{\"type\": \"" type "\", \"spec_version\": \"2.1\"," \
	" \"id\": \"" type "--" uuid "\", \"created\": \"2025-03-01T10:00:00.000Z\"," \
	" \"modified\": \"2025-03-01T10:00:00.000Z\", "
#define INDICATOR(uuid, pattern, marking) OBJ_HEAD("indicator", uuid) \
	"\"name\": \"ind " uuid "\", \"pattern\": \"" pattern "\", \"pattern_type\":" \
	" \"stix\", \"valid_from\": \"2025-03-01T10:00:00Z\"" marking "}"
#define MARK(m) ", \"object_marking_refs\": [\"" m "\"]"

/* A green report naming: green indicators (simple, composite, complex),
 * a RED and an AMBER+STRICT indicator, green observed data, an ATT&CK
 * attack pattern; a RED report; an AMBER+STRICT report. */
static const char *objects_list =
	"["
	INDICATOR("11111111-1111-4111-8111-000000000001",
		  "[ipv4-addr:value = '198.51.100.7']", MARK(GREEN)) ","
	INDICATOR("11111111-1111-4111-8111-000000000002",
		  "[file:name = 'dropper.exe' AND file:hashes.MD5 = "
		  "'0123456789abcdef0123456789abcdef']", MARK(GREEN)) ","
	INDICATOR("11111111-1111-4111-8111-000000000003",
		  "[url:value = 'http://x.example/a'] FOLLOWEDBY "
		  "[domain-name:value = 'y.example']", MARK(GREEN)) ","
	INDICATOR("11111111-1111-4111-8111-000000000004",
		  "[ipv4-addr:value = '203.0.113.66']", MARK(RED)
		  ", \"x_trilex_recipients\": [\"DE\"]") ","
	INDICATOR("11111111-1111-4111-8111-000000000005",
		  "[domain-name:value = 'strict.example']", MARK(AMBER_STRICT)) ","
	"{\"type\": \"ipv4-addr\", \"spec_version\": \"2.1\", \"id\": "
	"\"ipv4-addr--2b5d7a6c-0f4e-5e2a-9d43-6c7a1f0b9e21\", \"value\": \"192.0.2.44\"},"
	OBJ_HEAD("observed-data", "11111111-1111-4111-8111-000000000006")
	"\"first_observed\": \"2025-03-01T09:00:00Z\", \"last_observed\": "
	"\"2025-03-01T09:00:00Z\", \"number_observed\": 1, \"object_refs\": "
	"[\"ipv4-addr--2b5d7a6c-0f4e-5e2a-9d43-6c7a1f0b9e21\"]" MARK(GREEN) "},"
	OBJ_HEAD("attack-pattern", "11111111-1111-4111-8111-000000000007")
	"\"name\": \"Phishing\", \"external_references\": [{\"source_name\": "
	"\"mitre-attack\", \"external_id\": \"T1566\"}]" MARK(GREEN) "},"
	OBJ_HEAD("report", "22222222-2222-4222-8222-000000000001")
	"\"name\": \"Green wave\", \"published\": \"2025-03-01T10:00:00Z\", "
	"\"object_refs\": [\"indicator--11111111-1111-4111-8111-000000000001\", "
	"\"indicator--11111111-1111-4111-8111-000000000002\", "
	"\"indicator--11111111-1111-4111-8111-000000000003\", "
	"\"indicator--11111111-1111-4111-8111-000000000004\", "
	"\"indicator--11111111-1111-4111-8111-000000000005\", "
	"\"observed-data--11111111-1111-4111-8111-000000000006\", "
	"\"attack-pattern--11111111-1111-4111-8111-000000000007\"]" MARK(GREEN) "},"
	OBJ_HEAD("report", "22222222-2222-4222-8222-000000000002")
	"\"name\": \"Red report\", \"published\": \"2025-03-01T10:00:00Z\", "
	"\"object_refs\": [\"indicator--11111111-1111-4111-8111-000000000004\"]"
	MARK(RED) ", \"x_trilex_recipients\": [\"DE\"]},"
	OBJ_HEAD("report", "22222222-2222-4222-8222-000000000003")
	"\"name\": \"Strict report\", \"published\": \"2025-03-01T10:00:00Z\", "
	"\"object_refs\": [\"indicator--11111111-1111-4111-8111-000000000005\"]"
	MARK(AMBER_STRICT) "}"
	"]";

#define GREEN_EVENT "22222222-2222-4222-8222-000000000001"

static json_t *attr_of(json_t *ev, const char *type)
{
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(ev, "attributes"), i, a)
		if (strcmp(json_string_value(json_object_get(a, "type")), type) == 0)
			return a;
	return NULL;
}

static int has_string(json_t *list, const char *s)
{
	json_t *x;
	size_t i;

	json_array_foreach(list, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
			return 1;
	return 0;
}

/* Whether any file of folder dir holds s. */
static int folder_holds(const char *dir, const char *s)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "grep -rqF -- '%s' '%s'", s, dir);
	return system(cmd) == 0;
}

static void test_feed_folder(void **state)
{
	char out[4096], evpath[4200], *o, *before, *after;
	json_t *r, *ev, *a;

	push_objects(objects_list);
	snprintf(out, sizeof(out), "%s/feed", N.dir);
	const char *exp[] = { "export", "misp", "--dir", N.dir, "--collection",
			      "main", out, NULL };
	o = run_ok(exp);
	assert_non_null(strstr(o, "1 events (4 attributes)"));
	assert_non_null(strstr(o, "2 reports, 2 objects"));
	free(o);

	r = read_feed(out, NULL, 0);
	assert_int_equal(json_array_size(json_object_get(r, "manifest")), 1);
	ev = json_object_get(json_object_get(r, "events"), GREEN_EVENT);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "info")),
			    "Green wave");
	assert_true(has_string(json_object_get(ev, "tags"), "tlp:green"));
	assert_true(has_string(json_object_get(ev, "tags"),
			       "misp-galaxy:mitre-attack-pattern=\"Phishing - T1566\""));
	/* our own report: the node is the Orgc */
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(ev, "orgc"), "name")), "test node");
	assert_int_equal(json_array_size(json_object_get(ev, "attributes")), 4);
	assert_non_null(a = attr_of(ev, "ip-dst"));
	assert_true(json_is_true(json_object_get(a, "to_ids")));
	assert_string_equal(json_string_value(json_object_get(a, "value")),
			    "198.51.100.7");
	assert_string_equal(json_string_value(json_object_get(a, "uuid")),
			    "11111111-1111-4111-8111-000000000001");
	assert_non_null(a = attr_of(ev, "filename|md5"));
	assert_string_equal(json_string_value(json_object_get(a, "value")),
			    "dropper.exe|0123456789abcdef0123456789abcdef");
	assert_non_null(a = attr_of(ev, "stix2-pattern"));
	assert_non_null(strstr(json_string_value(json_object_get(a, "value")),
			       "FOLLOWEDBY"));
	/* the observed address: not for detection */
	assert_non_null(a = attr_of(ev, "ip-dst"));
	{
		json_t *x;
		size_t i;
		int seen = 0;
		json_array_foreach(json_object_get(ev, "attributes"), i, x)
			if (strcmp(json_string_value(json_object_get(x, "value")),
				   "192.0.2.44") == 0) {
				assert_true(json_is_false(json_object_get(x, "to_ids")));
				seen = 1;
			}
		assert_true(seen);
	}
	json_decref(r);
	/* nothing withheld is anywhere in the folder */
	assert_false(folder_holds(out, "203.0.113.66"));
	assert_false(folder_holds(out, "strict.example"));
	assert_false(folder_holds(out, "22222222-2222-4222-8222-000000000002"));
	assert_false(folder_holds(out, "22222222-2222-4222-8222-000000000003"));

	/* again: nothing rewritten, the same bytes */
	snprintf(evpath, sizeof(evpath), "%s/" GREEN_EVENT ".json", out);
	assert_non_null(before = slurp(evpath, NULL));
	o = run_ok(exp);
	assert_non_null(strstr(o, "0 written, 1 unchanged"));
	free(o);
	assert_non_null(after = slurp(evpath, NULL));
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* The largest event timestamp a reader saw. */
static int64_t latest(json_t *r)
{
	const char *k;
	json_t *ev;
	int64_t ts = 0;

	json_object_foreach(json_object_get(r, "events"), k, ev)
		if (json_integer_value(json_object_get(ev, "timestamp")) > ts)
			ts = json_integer_value(json_object_get(ev, "timestamp"));
	return ts;
}

#define SECOND_EVENT "22222222-2222-4222-8222-000000000004"

/* A consumer that polls again with the last timestamp it saw fetches
 * only the events that moved: a new event, then the old one once an
 * object of it has a new version. */
static void test_feed_incremental(void **state)
{
	char out[4096], since[32], *o;
	const char *k;
	json_t *r, *ev;
	int64_t ts;

	snprintf(out, sizeof(out), "%s/feed", N.dir);
	const char *exp[] = { "export", "misp", "--dir", N.dir, "--collection",
			      "main", out, NULL };
	r = read_feed(out, NULL, 0);
	assert_true((ts = latest(r)) > 0);
	json_decref(r);
	snprintf(since, sizeof(since), "--since %lld", (long long)ts);
	r = read_feed(out, since, 0);
	assert_int_equal(json_integer_value(json_object_get(r, "fetched")), 0);
	json_decref(r);

	/* a second on (timestamps are seconds), a new event */
	sleep(1);
	push_objects("["
		INDICATOR("11111111-1111-4111-8111-000000000008",
			  "[domain-name:value = 'second.example']", MARK(GREEN)) ","
		OBJ_HEAD("report", "22222222-2222-4222-8222-000000000004")
		"\"name\": \"Second wave\", \"published\": \"2025-03-02T10:00:00Z\", "
		"\"object_refs\": [\"indicator--11111111-1111-4111-8111-000000000008\"]"
		MARK(GREEN) "}]");
	o = run_ok(exp);
	assert_non_null(strstr(o, "2 events (5 attributes)"));
	assert_non_null(strstr(o, "1 written, 1 unchanged, 0 removed"));
	free(o);
	r = read_feed(out, since, 0);
	assert_int_equal(json_integer_value(json_object_get(r, "fetched")), 1);
	assert_int_equal(json_array_size(json_object_get(r, "manifest")), 2);
	json_object_foreach(json_object_get(r, "events"), k, ev)
		assert_string_equal(k, SECOND_EVENT);
	ts = latest(r);
	json_decref(r);

	/* a new version of an indicator of the first event moves it */
	sleep(1);
	push_objects("[{\"type\": \"indicator\", \"spec_version\": \"2.1\", \"id\": "
		"\"indicator--11111111-1111-4111-8111-000000000001\", \"created\": "
		"\"2025-03-01T10:00:00.000Z\", \"modified\": \"2025-03-05T10:00:00.000Z\", "
		"\"name\": \"revised\", \"pattern\": \"[ipv4-addr:value = '198.51.100.8']\", "
		"\"pattern_type\": \"stix\", \"valid_from\": \"2025-03-01T10:00:00Z\""
		MARK(GREEN) "}]");
	o = run_ok(exp);
	assert_non_null(strstr(o, "1 written, 1 unchanged"));
	free(o);
	snprintf(since, sizeof(since), "--since %lld", (long long)ts);
	r = read_feed(out, since, 0);
	assert_int_equal(json_integer_value(json_object_get(r, "fetched")), 1);
	ev = json_object_get(json_object_get(r, "events"), GREEN_EVENT);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(attr_of(ev, "ip-dst"),
		"value")), "198.51.100.8");
	json_decref(r);
}

/* The same feed over HTTPS, with the node's accounts: the reader reads
 * it with a read-only user; the bytes are those of the folder; a user
 * without read access, a withheld event and a POST are refused; a
 * client holding the manifest's ETag gets 304. */
static void test_feed_https(void **state)
{
	char url[256], extra[4096], path[512], etag[128], folder[4096];
	char *disk;
	struct http_resp h;
	json_t *r;
	size_t len;

	assert_int_equal(node_start(&N), 0);
	snprintf(url, sizeof(url), "%s/trilex/v1/misp-feed/main", N.base);
	snprintf(extra, sizeof(extra), "--cacert '%s' --user reader --password '%s'",
		 N.cacert, READER_PASSWORD);
	r = read_feed(url, extra, 0);
	assert_int_equal(json_array_size(json_object_get(r, "manifest")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "fetched")), 2);
	assert_non_null(json_object_get(json_object_get(r, "events"), GREEN_EVENT));
	json_decref(r);

	/* the event as served is the event as written */
	snprintf(folder, sizeof(folder), "%s/feed/" GREEN_EVENT ".json", N.dir);
	assert_non_null(disk = slurp(folder, &len));
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/main/" GREEN_EVENT
			      ".json", "reader", "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.len, len);
	assert_memory_equal(h.body, disk, len);
	free(disk);
	http_free(&h);

	/* no read grant: not found, as if there were no collection */
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/main/manifest.json",
			      "nobody", "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 404);
	assert_null(strstr(h.body, "Green wave"));
	http_free(&h);
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/main/manifest.json",
			      NULL, "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 401);
	http_free(&h);
	/* withheld events are not there, even asked for by uuid */
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/main/"
			      "22222222-2222-4222-8222-000000000002.json", "admin",
			      "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 404);
	assert_null(strstr(h.body, "203.0.113.66"));
	http_free(&h);
	assert_int_equal(http(&N, "POST", "/trilex/v1/misp-feed/main/manifest.json",
			      "admin", "", "application/json", "{}", 2, &h), 0);
	assert_int_equal(h.status, 405);
	http_free(&h);

	/* polling the manifest again with its ETag: 304, no body */
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/main/manifest.json",
			      "reader", "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 200);
	assert_non_null(http_header(&h, "ETag", etag, sizeof(etag)));
	http_free(&h);
	snprintf(path, sizeof(path), "curl -s -o /dev/null -w '%%{http_code}' "
		 "--cacert '%s' -u 'reader:%s' -H 'If-None-Match: %s' "
		 "'%s/manifest.json'", N.cacert, READER_PASSWORD, etag, url);
	{
		char code[8] = { 0 };
		FILE *f = popen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(code, sizeof(code), f));
		pclose(f);
		assert_string_equal(code, "304");
	}
	assert_int_equal(node_stop(&N), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_folder),
		cmocka_unit_test(test_feed_incremental),
		cmocka_unit_test(test_feed_https),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
