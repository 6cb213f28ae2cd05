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

#include "core/core.h"
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
	tx_strfmt(script, sizeof(script), "%s/../integration/misp_feed_reader.py", td);
	tx_strfmt(cmd, sizeof(cmd), "python3 '%s' '%s' %s", script, where,
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

	tx_strfmt(path, sizeof(path), "%s/misp-push.json", N.dir);
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

	tx_strfmt(cmd, sizeof(cmd), "grep -rqF -- '%s' '%s'", s, dir);
	return system(cmd) == 0;
}

static void test_feed_folder(void **state)
{
	char out[4096], evpath[4200], *o, *before, *after;
	json_t *r, *ev, *a;

	push_objects(objects_list);
	tx_strfmt(out, sizeof(out), "%s/feed", N.dir);
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
	tx_strfmt(evpath, sizeof(evpath), "%s/" GREEN_EVENT ".json", out);
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

	tx_strfmt(out, sizeof(out), "%s/feed", N.dir);
	const char *exp[] = { "export", "misp", "--dir", N.dir, "--collection",
			      "main", out, NULL };
	r = read_feed(out, NULL, 0);
	assert_true((ts = latest(r)) > 0);
	json_decref(r);
	tx_strfmt(since, sizeof(since), "--since %lld", (long long)ts);
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
	tx_strfmt(since, sizeof(since), "--since %lld", (long long)ts);
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
	tx_strfmt(url, sizeof(url), "%s/trilex/v1/misp-feed/main", N.base);
	tx_strfmt(extra, sizeof(extra), "--cacert '%s' --user reader --password '%s'",
		 N.cacert, READER_PASSWORD);
	r = read_feed(url, extra, 0);
	assert_int_equal(json_array_size(json_object_get(r, "manifest")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "fetched")), 2);
	assert_non_null(json_object_get(json_object_get(r, "events"), GREEN_EVENT));
	json_decref(r);

	/* the event as served is the event as written */
	tx_strfmt(folder, sizeof(folder), "%s/feed/" GREEN_EVENT ".json", N.dir);
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

	/* a new event after a poll: the next poll has it (the kept manifest
	 * is not served once the store moved) */
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/main/manifest.json",
			      "reader", "", NULL, NULL, 0, &h), 0);
	assert_null(strstr(h.body, "22222222-2222-4222-8222-000000000005"));
	http_free(&h);
	push_objects("["
		OBJ_HEAD("report", "22222222-2222-4222-8222-000000000005")
		"\"name\": \"Third\", \"published\": \"2025-03-02T10:00:00Z\", "
		"\"object_refs\": [\"indicator--11111111-1111-4111-8111-000000000008\"]"
		MARK(GREEN) "}]");
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/main/manifest.json",
			      "reader", "", NULL, NULL, 0, &h), 0);
	assert_non_null(strstr(h.body, "22222222-2222-4222-8222-000000000005"));
	http_free(&h);

	/* polling the manifest again with its ETag: 304, no body */
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/main/manifest.json",
			      "reader", "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 200);
	assert_non_null(http_header(&h, "ETag", etag, sizeof(etag)));
	http_free(&h);
	tx_strfmt(path, sizeof(path), "curl -s -o /dev/null -w '%%{http_code}' "
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

/* ---- MISP in ---- */

/* Make collection alias (once) and return nothing. */
static void collection(const char *alias)
{
	const char *args[] = { "collection", "add", "--dir", N.dir, "--title",
			       alias, "--alias", alias, NULL };
	free(run_ok(args));
}

/* The objects of a collection (its last versions) as a list. */
static json_t *objects_of(const char *alias)
{
	const char *args[] = { "get", "--dir", N.dir, "--collection", alias, NULL };
	char *out = run_ok(args);
	json_t *b = json_loads(out, 0, NULL), *l;

	if (b == NULL)
		fail_msg("get: not JSON: %.200s", out);
	free(out);
	l = json_incref(json_object_get(b, "objects"));
	json_decref(b);
	return l;
}

static json_t *by_id(json_t *objs, const char *id)
{
	json_t *o;
	size_t i;

	json_array_foreach(objs, i, o)
		if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
			return o;
	return NULL;
}

static size_t count_type(json_t *objs, const char *type)
{
	json_t *o;
	size_t i, n = 0;

	json_array_foreach(objs, i, o)
		n += strcmp(json_string_value(json_object_get(o, "type")), type) == 0;
	return n;
}

/* An object of type with an external id, or NULL. */
static json_t *with_external_id(json_t *objs, const char *type, const char *ext)
{
	json_t *o, *r;
	size_t i, k;

	json_array_foreach(objs, i, o) {
		if (strcmp(json_string_value(json_object_get(o, "type")), type) != 0)
			continue;
		json_array_foreach(json_object_get(o, "external_references"), k, r)
			if (json_is_string(json_object_get(r, "external_id")) &&
			    strcmp(json_string_value(json_object_get(r, "external_id")),
				   ext) == 0)
				return o;
	}
	return NULL;
}

static int run_import(const char *alias, const char *path, char **out, char **err)
{
	const char *args[] = { "import", "misp", "--dir", N.dir, "--collection",
			       alias, path, NULL };
	return run_trilex(args, NULL, out, err);
}

/* PyMISP's test events: the Japanese one, one with an unmappable
 * attribute, one that is no event; to_ids decides indicator or observed
 * data; a second import adds nothing. */
static void test_import_shared(void **state)
{
	char jp[4096], ev[4096], mal[4096], gal[4096], xorist[4096];
	char *out = NULL, *err = NULL;
	json_t *objs, *o;

	if (shared_path("data/misp/japanese_test.json", jp, sizeof(jp)) == NULL) {
		skip();
		return;
	}
	shared_path("data/misp/misp_event.json", ev, sizeof(ev));
	shared_path("data/misp/malware.json", mal, sizeof(mal));
	shared_path("data/misp/galaxy.json", gal, sizeof(gal));
	shared_path("data/misp/57c4445b-c548-4654-af0b-4be3950d210f.json", xorist,
		    sizeof(xorist));
	collection("imported");
	assert_int_equal(run_import("imported", jp, &out, &err), 0);
	assert_non_null(strstr(out, "1 events"));
	free(out);
	free(err);
	objs = objects_of("imported");
	/* the Japanese text stays as it was, in a note on the report */
	assert_non_null(o = by_id(objs, "report--5c7cdc3b-2f40-4dca-8200-276c0a00020f"));
	assert_string_equal(json_string_value(json_object_get(o, "name")),
			    "Japanese Lorem Ipsum 条イ音態ぞゃご法説イシ技");
	assert_non_null(o = by_id(objs, "note--5c7cdc72-c9a4-4075-acb5-0e1b0a00020f"));
	assert_non_null(strstr(json_string_value(json_object_get(o, "content")),
			       "条イ音態ぞゃご法説イシ技"));
	assert_non_null(o = by_id(objs, "identity--5c6983c8-3af8-4304-869c-4800d6c1883c"));
	assert_string_equal(json_string_value(json_object_get(o, "name")),
			    "ORGNAME 条イ音態ぞゃご法説イシ技");
	/* galaxies by their ATT&CK ids */
	assert_non_null(o = with_external_id(objs, "intrusion-set", "G0050"));
	assert_string_equal(json_string_value(json_object_get(o, "name")), "APT32");
	assert_non_null(with_external_id(objs, "course-of-action", "T1182"));
	json_decref(objs);

	/* to_ids false: observed data of the URL, no indicator */
	assert_int_equal(run_import("imported", ev, &out, &err), 0);
	free(out);
	free(err);
	objs = objects_of("imported");
	assert_non_null(o = by_id(objs, "observed-data--575c8598-f1f0-4c16-a94a-0612c0a83866"));
	assert_null(by_id(objs, "indicator--575c8598-f1f0-4c16-a94a-0612c0a83866"));
	{
		json_t *sco = by_id(objs, json_string_value(json_array_get(
			json_object_get(o, "object_refs"), 0)));
		assert_non_null(sco);
		assert_string_equal(json_string_value(json_object_get(sco, "value")),
				    "http://fake.website.com/malware/is/here");
	}
	/* to_ids true: indicators with the pattern of their type */
	assert_int_equal(run_import("imported", xorist, &out, &err), 0);
	free(out);
	free(err);
	json_decref(objs);
	objs = objects_of("imported");
	assert_non_null(o = by_id(objs, "indicator--57c4448b-454c-4d17-90d1-4d2f950d210f"));
	assert_string_equal(json_string_value(json_object_get(o, "pattern")),
			    "[file:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628']");
	json_decref(objs);

	/* an attribute with no mapping: named with event, index and type;
	 * exit 3 */
	assert_int_equal(run_import("imported", mal, &out, &err), 3);
	assert_non_null(strstr(err, "Attribute[0] type malware-sample"));
	free(out);
	free(err);
	/* not an event at all: a clear error naming the file */
	assert_int_equal(run_import("imported", gal, &out, &err), 1);
	assert_non_null(strstr(err, "galaxy.json"));
	assert_non_null(strstr(err, "not a MISP event"));
	free(out);
	free(err);
	/* the same file again: the same ids, nothing new */
	assert_int_equal(run_import("imported", jp, &out, &err), 0);
	assert_non_null(strstr(out, "0 added"));
	free(out);
	free(err);
}

/* One event, some attributes mappable and some not, in a list with a
 * non-event: everything valid kept, each other attribute named; a newer
 * version of the event updates the same objects instead of adding. */
static void test_import_keeps_rest_and_updates(void **state)
{
	char path[4096], *out = NULL, *err = NULL;
	FILE *f;
	json_t *objs, *o;
	const char *ev =
		"[{\"Event\": {\"uuid\": \"6a0e4a8c-3b1f-4c2d-9e8f-7a6b5c4d3e2f\", "
		"\"info\": \"mixed\", \"date\": \"2025-01-02\", \"timestamp\": \"%s\", "
		"\"Orgc\": {\"name\": \"CERT-X\", \"uuid\": "
		"\"7b1f5a9d-4c2e-4d3f-8a9b-0c1d2e3f4a5b\"}, \"Tag\": [{\"name\": "
		"\"tlp:green\"}], \"Attribute\": ["
		"{\"uuid\": \"8C2F6B0E-5D3F-4E4A-9B0C-1D2E3F4A5B6C\", \"type\": "
		"\"ip-dst\", \"value\": \"%s\", \"to_ids\": true, \"timestamp\": \"%s\"},"
		"{\"uuid\": \"9d3a7c1f-6e4a-4f5b-8c1d-2e3f4a5b6c7d\", \"type\": "
		"\"malware-sample\", \"value\": \"x.exe|00\", \"to_ids\": true},"
		"{\"uuid\": \"ae4b8d2a-7f5b-4a6c-9d2e-3f4a5b6c7d8e\", \"type\": "
		"\"domain\", \"value\": \"a.example\", \"to_ids\": true, "
		"\"Tag\": [{\"name\": \"tlp:amber\"}]},"
		"{\"uuid\": \"bf5c9e3b-8a6c-4b7d-8e3f-4a5b6c7d8e9f\", \"type\": "
		"\"yara\", \"value\": \"rule x { condition: true }\", \"to_ids\": true}"
		"]}}, {\"foo\": 1}]";

	collection("mixed");
	tx_strfmt(path, sizeof(path), "%s/mixed.json", N.dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, ev, "1735800000", "198.51.100.20", "1735800000");
	fclose(f);
	assert_int_equal(run_import("mixed", path, &out, &err), 3);
	assert_non_null(strstr(err, "event 6a0e4a8c-3b1f-4c2d-9e8f-7a6b5c4d3e2f: "
			       "Attribute[1] type malware-sample"));
	assert_non_null(strstr(err, "events[1]"));
	free(out);
	free(err);
	objs = objects_of("mixed");
	/* the upper-case uuid lowered */
	assert_non_null(o = by_id(objs, "indicator--8c2f6b0e-5d3f-4e4a-9b0c-1d2e3f4a5b6c"));
	assert_string_equal(json_string_value(json_object_get(o, "pattern")),
			    "[ipv4-addr:value = '198.51.100.20']");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o,
		"object_marking_refs"), 0)), GREEN);
	assert_string_equal(json_string_value(json_object_get(o, "created_by_ref")),
			    "identity--7b1f5a9d-4c2e-4d3f-8a9b-0c1d2e3f4a5b");
	/* an attribute's own tag makes it stricter */
	assert_non_null(o = by_id(objs, "indicator--ae4b8d2a-7f5b-4a6c-9d2e-3f4a5b6c7d8e"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(o,
		"object_marking_refs"), 0)),
		"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421");
	assert_int_equal(count_type(objs, "indicator"), 3);
	assert_non_null(o = by_id(objs, "indicator--bf5c9e3b-8a6c-4b7d-8e3f-4a5b6c7d8e9f"));
	assert_string_equal(json_string_value(json_object_get(o, "pattern_type")),
			    "yara");
	json_decref(objs);

	/* the event revised in MISP: same ids, the new value */
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, ev, "1735900000", "198.51.100.21", "1735900000");
	fclose(f);
	assert_int_equal(run_import("mixed", path, &out, &err), 3);
	free(out);
	free(err);
	objs = objects_of("mixed");
	assert_int_equal(count_type(objs, "indicator"), 3);
	assert_int_equal(count_type(objs, "report"), 1);
	o = by_id(objs, "indicator--8c2f6b0e-5d3f-4e4a-9b0c-1d2e3f4a5b6c");
	assert_string_equal(json_string_value(json_object_get(o, "pattern")),
			    "[ipv4-addr:value = '198.51.100.21']");
	json_decref(objs);
}

/* A STIX alert exported as a MISP feed and imported again: the same
 * indicators (ids, patterns) and markings, and its ATT&CK technique. */
static void test_round_trip(void **state)
{
	char out_dir[4096], *out = NULL, *err = NULL;
	json_t *a, *b, *o, *x;
	size_t i, n = 0;

	const char *al[] = { "alert", "--dir", N.dir, "--title", "Round trip",
			     "--tlp", "amber", "--indicator",
			     "[ipv4-addr:value = '192.0.2.1']", "--indicator",
			     "[domain-name:value = 'rt.example']", "--indicator",
			     "[file:hashes.'SHA-256' = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb']",
			     "--indicator", "[url:value = 'http://rt.example/x']",
			     "--indicator", "[email-addr:value = 'bad@rt.example']",
			     "--indicator", "[file:name = 'it\\'s.exe']",
			     "--indicator", "[ipv4-addr:value = '192.0.2.2'] "
			     "REPEATS 3 TIMES", "--attack-pattern", "T1071",
			     "--allow-unknown-technique", NULL };
	free(run_ok(al));
	tx_strfmt(out_dir, sizeof(out_dir), "%s/rt-feed", N.dir);
	const char *exp[] = { "export", "misp", "--dir", N.dir, "--collection",
			      "alerts", out_dir, NULL };
	free(run_ok(exp));
	collection("rt");
	assert_int_equal(run_import("rt", out_dir, &out, &err), 0);
	free(out);
	free(err);
	a = objects_of("alerts");
	b = objects_of("rt");
	json_array_foreach(a, i, o) {
		if (strcmp(json_string_value(json_object_get(o, "type")), "indicator"))
			continue;
		x = by_id(b, json_string_value(json_object_get(o, "id")));
		if (x == NULL)
			fail_msg("%s did not come back", json_string_value(
				json_object_get(o, "id")));
		assert_string_equal(json_string_value(json_object_get(x, "pattern")),
				    json_string_value(json_object_get(o, "pattern")));
		assert_true(json_equal(json_object_get(x, "object_marking_refs"),
				       json_object_get(o, "object_marking_refs")));
		n++;
	}
	/* the alerts of the other tests too: at least these seven */
	assert_true(n >= 7);
	assert_int_equal(count_type(b, "indicator"), n);
	assert_non_null(with_external_id(b, "attack-pattern", "T1071"));
	json_decref(a);
	json_decref(b);
}

/* The public_key of node.json in dir, into out. */
static void public_key(const char *dir, char *out, size_t n)
{
	char path[4096];
	json_t *cfg;

	tx_strfmt(path, sizeof(path), "%s/node.json", dir);
	assert_non_null(cfg = json_load_file(path, 0, NULL));
	tx_strfmt(out, n, "%s", json_string_value(json_object_get(cfg, "public_key")));
	json_decref(cfg);
}

static int inbox_has(const struct node *n, void *arg)
{
	const char *args[] = { "get", "--dir", n->dir, "--collection", "inbox-UK",
			       "--type", "report", NULL };
	char *out = NULL;
	int found = run_trilex(args, NULL, &out, NULL) == 0 && out &&
		    strstr(out, (const char *)arg) != NULL;

	free(out);
	return found;
}

/* A partner's report in our inbox: its Orgc is the partner whose verified
 * signature it bears, even when its created_by_ref names us. */
static void test_feed_partner_orgc(void **state)
{
	struct node jp, uk;
	char out[4096], key[256], uk_uuid[64], jp_ident[96], list[2048];
	char *o;
	json_t *r, *ev;

	assert_int_equal(node_create_as(&jp, "JP", NULL), 0);
	assert_int_equal(node_create_as(&uk, "UK", NULL), 0);
	assert_int_equal(node_pair(&jp, &uk), 0);
	assert_int_equal(node_start(&jp), 0);
	assert_int_equal(node_start(&uk), 0);
	/* UK's report will claim to be made by JP: JP's identity id, from
	 * JP's own alert */
	const char *al[] = { "alert", "--dir", jp.dir, "--title", "mine", "--tlp",
			     "green", "--indicator", "[domain-name:value = 'jp.example']",
			     NULL };
	{
		char *x = NULL, *e = NULL;
		assert_int_equal(run_trilex(al, NULL, &x, &e), 0);
		free(x);
		free(e);
		json_t *objs;
		const char *ga[] = { "get", "--dir", jp.dir, "--collection", "alerts",
				     "--type", "identity", NULL };
		x = run_ok(ga);
		objs = json_loads(x, 0, NULL);
		free(x);
		tx_strfmt(jp_ident, sizeof(jp_ident), "%s", json_string_value(
			json_object_get(json_array_get(json_object_get(objs,
				"objects"), 0), "id")));
		json_decref(objs);
	}
	tx_strfmt(list, sizeof(list), "[" INDICATOR("33333333-3333-4333-8333-000000000001",
		 "[domain-name:value = 'uk.example']", MARK(GREEN)) ","
		 OBJ_HEAD("report", "33333333-3333-4333-8333-000000000002")
		 "\"name\": \"From UK\", \"published\": \"2025-03-01T10:00:00Z\", "
		 "\"created_by_ref\": \"%s\", \"object_refs\": "
		 "[\"indicator--33333333-3333-4333-8333-000000000001\"]" MARK(GREEN) "}]",
		 jp_ident);
	{
		char path[4096];
		FILE *f;
		tx_strfmt(path, sizeof(path), "%s/uk.json", uk.dir);
		assert_non_null(f = fopen(path, "w"));
		fprintf(f, "{\"type\": \"bundle\", \"id\": \"bundle--5a1d2b8e-1f0c-4e5d-"
			   "9a7b-3c2d1e0f9a8c\", \"objects\": %s}", list);
		fclose(f);
		const char *pa[] = { "push", "--dir", uk.dir, "--collection", "main",
				     path, NULL };
		free(run_ok(pa));
	}
	assert_true(wait_for(inbox_has, &jp, "33333333-3333-4333-8333-000000000002",
			     30000));
	tx_strfmt(out, sizeof(out), "%s/feed", jp.dir);
	const char *exp[] = { "export", "misp", "--dir", jp.dir, "--collection",
			      "inbox-UK", out, NULL };
	o = run_ok(exp);
	free(o);
	r = read_feed(out, NULL, 0);
	ev = json_object_get(json_object_get(r, "events"),
			     "33333333-3333-4333-8333-000000000002");
	assert_non_null(ev);
	/* UK's identity: the UUIDv5 of UK's key, not JP's */
	public_key(uk.dir, key, sizeof(key));
	{
		char u[64];
		tx_uuid5(tx_uuid_ns_trilex, key, strlen(key), u);
		tx_strfmt(uk_uuid, sizeof(uk_uuid), "%s", u);
	}
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev,
		"orgc"), "uuid")), uk_uuid);
	assert_string_not_equal(json_string_value(json_object_get(json_object_get(ev,
		"orgc"), "uuid")), jp_ident + strlen("identity--"));
	json_decref(r);
	node_stop(&jp);
	node_stop(&uk);
	node_destroy(&jp);
	node_destroy(&uk);
}

/* ---- saved filters ---- */

/* Store objects (a JSON list text) in collection alias with push. */
static void push_into(const char *alias, const char *list)
{
	char path[4096];
	FILE *f;

	tx_strfmt(path, sizeof(path), "%s/misp-push-%s.json", N.dir, alias);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "{\"type\": \"bundle\", \"id\": \"bundle--5a1d2b8e-1f0c-4e5d-9a7b-"
		   "3c2d1e0f9a8c\", \"objects\": %s}", list);
	fclose(f);
	const char *args[] = { "push", "--dir", N.dir, "--collection", alias,
			       path, NULL };
	free(run_ok(args));
}

#define LABELS(l) ", \"labels\": [\"" l "\"]"
#define F_MAIN "33333333-3333-4333-8333-000000000001"
#define F_SIDE "33333333-3333-4333-8333-000000000002"
#define F_NOLABEL "33333333-3333-4333-8333-000000000003"

static int manifest_has(json_t *r, const char *uuid)
{
	return has_string(json_object_get(r, "manifest"), uuid);
}

static int event_has_value(json_t *r, const char *uuid, const char *value)
{
	json_t *a, *ev = json_object_get(json_object_get(r, "events"), uuid);
	size_t i;

	json_array_foreach(json_object_get(ev, "attributes"), i, a)
		if (strcmp(json_string_value(json_object_get(a, "value")), value) == 0)
			return 1;
	return 0;
}

/* A saved filter over two collections, published as a MISP feed: only
 * reports with its label, only what its TLP allows (an unmarked, so
 * AMBER, indicator of a green report is left out), the first collection
 * speaking for a report both hold; written to a folder and served over
 * HTTPS to those who may read both collections (a reader granted one
 * of them gets 404, as for an unknown collection), and gone once
 * removed. The name of a collection cannot be a filter's. */
static void test_filter_feed(void **state)
{
	char out[4096], url[256], extra[4096], *o, *err = NULL;
	struct http_resp h;
	json_t *r;

	collection("side");
	push_objects("["
		OBJ_HEAD("report", F_MAIN)
		"\"name\": \"Main community\", \"published\": \"2025-03-03T10:00:00Z\", "
		"\"object_refs\": [\"indicator--11111111-1111-4111-8111-000000000001\"]"
		MARK(GREEN) LABELS("community") "}]");
	push_into("side", "["
		INDICATOR("44444444-4444-4444-8444-000000000001",
			  "[ipv4-addr:value = '198.51.100.90']", MARK(GREEN)) ","
		INDICATOR("44444444-4444-4444-8444-000000000002",
			  "[domain-name:value = 'amber-only.example']", "") ","
		OBJ_HEAD("report", F_SIDE)
		"\"name\": \"Side community\", \"published\": \"2025-03-03T10:00:00Z\", "
		"\"object_refs\": [\"indicator--44444444-4444-4444-8444-000000000001\", "
		"\"indicator--44444444-4444-4444-8444-000000000002\"]"
		MARK(GREEN) LABELS("community") "},"
		OBJ_HEAD("report", F_NOLABEL)
		"\"name\": \"Side other\", \"published\": \"2025-03-03T10:00:00Z\", "
		"\"object_refs\": [\"indicator--44444444-4444-4444-8444-000000000001\"]"
		MARK(GREEN) "},"
		OBJ_HEAD("report", F_MAIN)
		"\"name\": \"Side copy\", \"published\": \"2025-03-03T10:00:00Z\", "
		"\"object_refs\": [\"indicator--44444444-4444-4444-8444-000000000001\"]"
		MARK(GREEN) LABELS("community") "}]");

	/* a collection's alias is not a filter's name */
	{
		const char *bad[] = { "filter", "add", "--dir", N.dir, "--name", "side",
				      "--collection", "main", NULL };
		assert_int_not_equal(run_trilex(bad, NULL, NULL, &err), 0);
		assert_non_null(strstr(err, "collection"));
		free(err);
	}
	const char *add[] = { "filter", "add", "--dir", N.dir, "--name", "community",
			      "--collection", "main", "--collection", "side",
			      "--label", "community", "--tlp", "green", NULL };
	free(run_ok(add));
	const char *list[] = { "filter", "list", "--dir", N.dir, "--json", NULL };
	o = run_ok(list);
	r = json_loads(o, 0, NULL);
	free(o);
	assert_int_equal(json_array_size(r), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0),
							      "tlp")), "green");
	assert_int_equal(json_array_size(json_object_get(json_array_get(r, 0),
							 "collections")), 2);
	json_decref(r);

	/* to a folder, read back by the independent reader */
	tx_strfmt(out, sizeof(out), "%s/filter-feed", N.dir);
	const char *exp[] = { "export", "misp", "--dir", N.dir, "--filter",
			      "community", out, NULL };
	free(run_ok(exp));
	r = read_feed(out, NULL, 0);
	assert_int_equal(json_array_size(json_object_get(r, "manifest")), 2);
	assert_true(manifest_has(r, F_MAIN));
	assert_true(manifest_has(r, F_SIDE));
	assert_false(manifest_has(r, F_NOLABEL));
	assert_false(manifest_has(r, GREEN_EVENT));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(r, "events"), F_MAIN), "info")), "Main community");
	assert_true(event_has_value(r, F_MAIN, "198.51.100.8"));
	assert_true(event_has_value(r, F_SIDE, "198.51.100.90"));
	assert_false(folder_holds(out, "amber-only.example"));
	json_decref(r);

	/* over HTTPS: whole or not at all */
	assert_int_equal(node_start(&N), 0);
	tx_strfmt(url, sizeof(url), "%s/trilex/v1/misp-feed/community", N.base);
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/community/"
			      "manifest.json", "reader", "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 404);
	assert_null(strstr(h.body, "Side community"));
	http_free(&h);
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/community/" F_SIDE
			      ".json", "reader", "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 404);
	http_free(&h);
	const char *grant[] = { "grant", "--dir", N.dir, "--user", "reader",
				"--collection", "side", "--read", NULL };
	free(run_ok(grant));
	tx_strfmt(extra, sizeof(extra), "--cacert '%s' --user reader --password '%s'",
		 N.cacert, READER_PASSWORD);
	r = read_feed(url, extra, 0);
	assert_int_equal(json_array_size(json_object_get(r, "manifest")), 2);
	assert_true(manifest_has(r, F_SIDE));
	assert_false(event_has_value(r, F_SIDE, "amber-only.example"));
	json_decref(r);
	/* an event of a collection that is not the filter's first holder is
	 * the first one's; one without the label is not there */
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/community/" F_MAIN
			      ".json", "reader", "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 200);
	assert_non_null(strstr(h.body, "Main community"));
	http_free(&h);
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/community/" F_NOLABEL
			      ".json", "reader", "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 404);
	http_free(&h);
	const char *rm[] = { "filter", "remove", "--dir", N.dir, "community", NULL };
	free(run_ok(rm));
	assert_int_equal(http(&N, "GET", "/trilex/v1/misp-feed/community/"
			      "manifest.json", "admin", "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 404);
	http_free(&h);
	assert_int_equal(node_stop(&N), 0);
}

/* ---- MISP objects ---- */

#define OBJ_FILE "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define OBJ_CONN "7b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
#define OBJ_EMAIL "8c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
#define OBJ_X509 "9d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f7a"
#define OBJ_EVENT "5e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"

/* An event with a file (several hashes, a size, a relation STIX has no
 * property for), a network connection and an x509 certificate seen
 * (to_ids false), and an email to detect. */
static const char *objects_event =
	"{\"Event\": {\"uuid\": \"" OBJ_EVENT "\", \"info\": \"objects\", "
	"\"date\": \"2025-04-01\", \"timestamp\": \"1743500000\", "
	"\"Tag\": [{\"name\": \"tlp:green\"}], \"Orgc\": {\"name\": \"CIRCL\", "
	"\"uuid\": \"55f6ea5e-2c60-40e5-964f-47a8950d210f\"}, \"Object\": ["
	"{\"name\": \"file\", \"uuid\": \"" OBJ_FILE "\", \"Attribute\": ["
	"{\"object_relation\": \"filename\", \"type\": \"filename\", \"value\": "
	"\"invoice.exe\", \"to_ids\": false},"
	"{\"object_relation\": \"md5\", \"type\": \"md5\", \"value\": "
	"\"0123456789abcdef0123456789abcdef\", \"to_ids\": true},"
	"{\"object_relation\": \"sha256\", \"type\": \"sha256\", \"value\": "
	"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
	"\"to_ids\": true},"
	"{\"object_relation\": \"size-in-bytes\", \"type\": \"size-in-bytes\", "
	"\"value\": \"73802\", \"to_ids\": false},"
	"{\"object_relation\": \"entropy\", \"type\": \"float\", \"value\": \"7.9\", "
	"\"to_ids\": false}]},"
	"{\"name\": \"network-connection\", \"uuid\": \"" OBJ_CONN "\", "
	"\"Attribute\": [{\"object_relation\": \"ip-dst\", \"type\": \"ip-dst\", "
	"\"value\": \"203.0.113.9\", \"to_ids\": false},"
	"{\"object_relation\": \"dst-port\", \"type\": \"port\", \"value\": \"8443\", "
	"\"to_ids\": false},"
	"{\"object_relation\": \"layer4-protocol\", \"type\": \"text\", \"value\": "
	"\"TCP\", \"to_ids\": false}]},"
	"{\"name\": \"email\", \"uuid\": \"" OBJ_EMAIL "\", \"Attribute\": ["
	"{\"object_relation\": \"from\", \"type\": \"email-src\", \"value\": "
	"\"billing@bad.example\", \"to_ids\": true},"
	"{\"object_relation\": \"subject\", \"type\": \"email-subject\", \"value\": "
	"\"Your invoice\", \"to_ids\": false}]},"
	"{\"name\": \"x509\", \"uuid\": \"" OBJ_X509 "\", \"Attribute\": ["
	"{\"object_relation\": \"x509-fingerprint-sha1\", \"type\": \"sha1\", "
	"\"value\": \"1111111111111111111111111111111111111111\", \"to_ids\": false},"
	"{\"object_relation\": \"issuer\", \"type\": \"text\", \"value\": "
	"\"CN=Bad CA\", \"to_ids\": false}]}]}}";

static json_t *reader_object(json_t *r, const char *event, const char *uuid)
{
	json_t *o, *ev = json_object_get(json_object_get(r, "events"), event);
	size_t i;

	json_array_foreach(json_object_get(ev, "objects"), i, o)
		if (strcmp(json_string_value(json_object_get(o, "uuid")), uuid) == 0)
			return o;
	fail_msg("event %s has no object %s", event, uuid);
	return NULL;
}

/* The value of relation rel in a reader object, or NULL. */
static const char *relation_value(json_t *o, const char *rel)
{
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(o, "attributes"), i, a)
		if (strcmp(json_string_value(json_object_get(a, "relation")), rel) == 0)
			return json_string_value(json_object_get(a, "value"));
	return NULL;
}

/* MISP objects both ways: in, a file object with several hashes is one
 * indicator ANDing them (its id the object's), a network connection seen
 * is one observed-data of a network-traffic and its address, an email
 * one indicator, an x509 one observed certificate; a relation without a
 * STIX property is named and left out. Out, the same STIX gives the
 * same objects (uuids, relations, values) read by the independent
 * reader, with their values in hashes.csv. PyMISP's event with objects
 * (shared data): one indicator per object, the reference between them. */
static void test_objects_both_ways(void **state)
{
	char path[4096], folder[4096], shared[4096], *out = NULL, *err = NULL;
	json_t *objs, *o, *r, *x;
	FILE *f;

	collection("objs");
	tx_strfmt(path, sizeof(path), "%s/objects-event.json", N.dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(objects_event, f);
	fclose(f);
	/* 3: imported, with what could not be mapped named */
	assert_int_equal(run_import("objs", path, &out, &err), 3);
	assert_non_null(strstr(err, "Object[0].Attribute[4]"));
	assert_non_null(strstr(err, "entropy"));
	free(out);
	free(err);
	objs = objects_of("objs");
	o = by_id(objs, "indicator--" OBJ_FILE);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "pattern")),
		"[file:name = 'invoice.exe' AND file:hashes.MD5 = "
		"'0123456789abcdef0123456789abcdef' AND file:hashes.'SHA-256' = "
		"'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
		"AND file:size = 73802]");
	assert_int_equal(count_type(objs, "indicator"), 2);
	o = by_id(objs, "indicator--" OBJ_EMAIL);
	assert_non_null(o);
	assert_non_null(strstr(json_string_value(json_object_get(o, "pattern")),
			       "email-message:subject = 'Your invoice'"));
	o = by_id(objs, "observed-data--" OBJ_CONN);
	assert_non_null(o);
	x = by_id(objs, json_string_value(json_array_get(json_object_get(o,
							 "object_refs"), 0)));
	assert_non_null(x);
	assert_string_equal(json_string_value(json_object_get(x, "type")),
			    "network-traffic");
	assert_int_equal(json_integer_value(json_object_get(x, "dst_port")), 8443);
	assert_string_equal(json_string_value(json_array_get(json_object_get(x,
						"protocols"), 0)), "tcp");
	x = by_id(objs, json_string_value(json_object_get(x, "dst_ref")));
	assert_non_null(x);
	assert_string_equal(json_string_value(json_object_get(x, "value")),
			    "203.0.113.9");
	assert_non_null(by_id(objs, "observed-data--" OBJ_X509));
	json_decref(objs);

	/* out again: the same objects */
	tx_strfmt(folder, sizeof(folder), "%s/objs-feed", N.dir);
	const char *exp[] = { "export", "misp", "--dir", N.dir, "--collection",
			      "objs", folder, NULL };
	free(run_ok(exp));
	r = read_feed(folder, NULL, 0);
	o = reader_object(r, OBJ_EVENT, OBJ_FILE);
	assert_string_equal(json_string_value(json_object_get(o, "name")), "file");
	assert_int_equal(json_array_size(json_object_get(o, "attributes")), 4);
	assert_string_equal(relation_value(o, "md5"),
			    "0123456789abcdef0123456789abcdef");
	assert_string_equal(relation_value(o, "size-in-bytes"), "73802");
	o = reader_object(r, OBJ_EVENT, OBJ_CONN);
	assert_string_equal(json_string_value(json_object_get(o, "name")),
			    "network-connection");
	assert_string_equal(relation_value(o, "ip-dst"), "203.0.113.9");
	assert_string_equal(relation_value(o, "dst-port"), "8443");
	o = reader_object(r, OBJ_EVENT, OBJ_EMAIL);
	assert_string_equal(relation_value(o, "from"), "billing@bad.example");
	o = reader_object(r, OBJ_EVENT, OBJ_X509);
	assert_string_equal(relation_value(o, "issuer"), "CN=Bad CA");
	/* nothing of them left as loose attributes */
	assert_int_equal(json_array_size(json_object_get(json_object_get(
		json_object_get(r, "events"), OBJ_EVENT), "attributes")), 0);
	json_decref(r);

	/* PyMISP's event with a file and a url object and a reference */
	if (shared_path("data/misp/event_obj_attr_tag.json", shared,
			sizeof(shared)) == NULL)
		return;
	collection("objs-shared");
	assert_int_equal(run_import("objs-shared", shared, &out, &err), 0);
	free(out);
	free(err);
	objs = objects_of("objs-shared");
	assert_int_equal(count_type(objs, "indicator"), 2);
	{
		json_t *fi = NULL, *ui = NULL, *rel = NULL;
		size_t i;
		json_array_foreach(objs, i, o) {
			const char *p = json_string_value(json_object_get(o, "pattern"));
			const char *t = json_string_value(json_object_get(o, "type"));
			if (p && strcmp(p, "[file:name = 'bar']") == 0)
				fi = o;
			if (p && strcmp(p, "[url:value = 'https://www.circl.lu']") == 0)
				ui = o;
			if (strcmp(t, "relationship") == 0)
				rel = o;
		}
		assert_non_null(fi);
		assert_non_null(ui);
		assert_non_null(rel);
		/* named after the object, not the attribute */
		assert_string_equal(json_string_value(json_object_get(fi, "name")),
				    "file: bar");
		assert_string_equal(json_string_value(json_object_get(rel, "source_ref")),
				    json_string_value(json_object_get(fi, "id")));
		assert_string_equal(json_string_value(json_object_get(rel, "target_ref")),
				    json_string_value(json_object_get(ui, "id")));
	}
	json_decref(objs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_folder),
		cmocka_unit_test(test_feed_incremental),
		cmocka_unit_test(test_feed_https),
		cmocka_unit_test(test_import_shared),
		cmocka_unit_test(test_import_keeps_rest_and_updates),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_feed_partner_orgc),
		cmocka_unit_test(test_filter_feed),
		cmocka_unit_test(test_objects_both_ways),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
