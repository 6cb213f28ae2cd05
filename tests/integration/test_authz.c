/*
 * Who may call what, end to end: real nodes JP, UK and US on loopback,
 * JP paired with both. A partner (by its certificate) may not call the
 * node's own services that make objects, may not DELETE, and nothing it
 * or anyone else does makes an object in its inbox count as JP's own;
 * the pull backstop (/trilex/v1/sync) tells it nothing about what is
 * withheld from it; malformed HTTP gets TAXII errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "federation/federation.h"
#include "harness.h"

static struct node JP, UK, US;
static char incidents[PATH_MAX], policy_file[PATH_MAX];

#define TLP_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define TLP_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define TLP_RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

static int setup(void **state)
{
	char buf[PATH_MAX];

	testdata_path("policy/incidents.json", incidents, sizeof(incidents));
	testdata_path("../../policies/trilateral-default.json", buf, sizeof(buf));
	if (realpath(buf, policy_file) == NULL)
		return -1;
	/* UK is never started: its folder lends the tests its certificate
	 * and key, to speak to JP as UK's node would. */
	if (node_create_as(&JP, "JP", NULL) || node_create_as(&UK, "UK", NULL) ||
	    node_create_as(&US, "US", NULL) || node_pair(&JP, &UK) ||
	    node_pair(&JP, &US) || node_start(&JP) || node_start(&US))
		return -1;
	/* a proposed policy is enough for assess to answer (not ratified) */
	const char *propose[] = { "policy", "propose", "--dir", JP.dir,
				  "--parties", "JP,UK,US", policy_file, NULL };
	return run_trilex(propose, NULL, NULL, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	int rc = node_stop(&JP) | node_stop(&US);

	node_destroy(&JP);
	node_destroy(&UK);
	node_destroy(&US);
	return rc == 0 ? 0 : -1;
}

/* An incident bundle of incidents.json (caller frees). */
static char *incident_bundle(void)
{
	json_t *doc = json_load_file(incidents, 0, NULL);
	json_t *c = json_array_get(json_object_get(doc, "cases"), 0);
	json_t *b = json_pack("{s:s, s:s, s:O}", "type", "bundle", "id",
			      "bundle--6e1a2a3c-0f52-4d4d-8e34-5b6c2f1e9a01",
			      "objects", json_object_get(c, "objects"));
	char *text = json_dumps(b, JSON_COMPACT);

	assert_non_null(text);
	json_decref(b);
	json_decref(doc);
	return text;
}

/* r is a TAXII error body with HTTP status want. */
static void assert_taxii_error(const struct http_resp *r, long want)
{
	char code[8];

	if (r->status != want)
		fail_msg("HTTP %ld, want %ld: %.300s", r->status, want,
			 r->body ? r->body : "");
	snprintf(code, sizeof(code), "%ld", want);
	assert_non_null(r->json);
	assert_non_null(json_string_value(json_object_get(r->json, "title")));
	assert_non_null(json_string_value(json_object_get(r->json, "description")));
	assert_string_equal(json_string_value(json_object_get(r->json,
							      "http_status")),
			    code);
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

static json_t *indicator(int i, const char *marking)
{
	json_t *o = make_indicator(i, NULL);

	if (marking)
		json_object_set_new(o, "object_marking_refs", json_pack("[s]", marking));
	return o;
}

/* Item 12.2: a partner calls none of JP's services that make objects. */
static void test_partner_may_not_make_objects(void **state)
{
	static const char *const paths[] = {
		"/trilex/v1/assess", "/trilex/v1/assess?collection=inbox-UK",
		"/trilex/v1/alerts/stream", "/trilex/v1/extension-definition",
		"/trilex/v1/sync", "/trilex/v1/no-such-service",
	};
	static const char *const methods[] = { "POST", "PUT", "PATCH", "DELETE" };
	char *bundle = incident_bundle();
	struct http_resp r;

	/* the laundering of the issue: UK's incident assessed and stored in
	 * its own inbox, to be signed and shared by JP as JP's */
	assert_int_equal(http_cert(&JP, UK.dir, "POST",
				   "/trilex/v1/assess?collection=inbox-UK", bundle,
				   &r), 0);
	assert_taxii_error(&r, 403);
	http_free(&r);
	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++)
		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
			assert_int_equal(http_cert(&JP, UK.dir, methods[m], paths[p],
						   bundle, &r), 0);
			if (r.status != 403)
				fprintf(stderr, "%s %s: %ld\n", methods[m], paths[p],
					r.status);
			assert_taxii_error(&r, 403);
			http_free(&r);
		}
	/* even without a body, and reading assess is no way in either */
	assert_int_equal(http_cert(&JP, UK.dir, "GET", "/trilex/v1/assess", NULL,
				   &r), 0);
	assert_taxii_error(&r, 403);
	http_free(&r);
	/* what partners may do still works */
	assert_int_equal(http_cert(&JP, UK.dir, "GET",
				   "/trilex/v1/extension-definition", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	assert_int_equal(http_cert(&JP, UK.dir, "GET", "/trilex/v1/sync", NULL, &r),
			 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	/* and JP's users still assess */
	assert_int_equal(http(&JP, "POST", "/trilex/v1/assess", "token",
			      "application/json", "application/json", bundle,
			      strlen(bundle), &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	/* nothing was stored */
	assert_int_equal(count_objects(&JP, "inbox-UK", "match[type]=note"), 0);
	free(bundle);
}

static int notes_in(const struct node *n, void *arg)
{
	return count_objects(n, "inbox-JP", "match[type]=note") >= *(int *)arg;
}

/* Item 12.2: nothing enters a partner's inbox but what it signed, so
 * nothing there is ever JP's own, signed and shared as JP's. */
static void test_inbox_is_the_partners(void **state)
{
	char *bundle = incident_bundle(), path[256], *out = NULL, *err = NULL;
	struct http_resp r;

	/* a user of JP (admin) cannot launder either: assess into inbox-UK */
	assert_int_equal(http(&JP, "POST", "/trilex/v1/assess?collection=inbox-UK",
			      "token", "application/json", "application/json",
			      bundle, strlen(bundle), &r), 0);
	assert_taxii_error(&r, 403);
	assert_non_null(strstr(r.body, "inbox"));
	http_free(&r);
	/* nor POST to it */
	json_t *env = json_pack("{s:[o]}", "objects", indicator(9001, TLP_GREEN));
	char *text = json_dumps(env, JSON_COMPACT);
	assert_int_equal(http(&JP, "POST", "/api/collections/inbox-UK/objects/",
			      "token", NULL, NULL, text, strlen(text), &r), 0);
	assert_taxii_error(&r, 403);
	http_free(&r);
	/* nor push into it from the command line (the store refuses) */
	char file[] = "/tmp/trilex-authz-XXXXXX";
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	const char *push[] = { "push", "--dir", JP.dir, "--collection", "inbox-UK",
			       file, NULL };
	assert_int_not_equal(run_trilex(push, NULL, &out, &err), 0);
	assert_non_null(strstr(err, "inbox of partner UK"));
	free(out);
	free(err);
	unlink(file);
	assert_int_equal(count_objects(&JP, "inbox-UK", NULL), 0);
	/* what UK itself signed and sent does go in */
	json_decref(env);
	free(text);
	env = json_pack("{s:[o]}", "objects", signed_by(&UK, indicator(9002,
								       TLP_GREEN)));
	text = json_dumps(env, JSON_COMPACT);
	assert_int_equal(http_cert(&JP, UK.dir, "POST",
				   "/api/collections/inbox-UK/objects/", text, &r), 0);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")),
			 1);
	http_free(&r);
	/* JP's own assessment, stored in JP's collection, reaches US: the
	 * only note there, so none came out of UK's inbox before it */
	snprintf(path, sizeof(path), "/trilex/v1/assess?collection=%s", JP.coll);
	assert_int_equal(http(&JP, "POST", path, "token", "application/json",
			      "application/json", bundle, strlen(bundle), &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	int one = 1;
	assert_true(wait_for(notes_in, &US, &one, 20000));
	assert_int_equal(count_objects(&US, "inbox-JP", "match[type]=note"), 1);
	/* and UK's indicator is not passed on as JP's */
	assert_int_equal(count_objects(&US, "inbox-JP", "match[id]=indicator--"
				       "00000000-0000-4000-8000-000000009002"), 0);
	json_decref(env);
	free(text);
	free(bundle);
}

static void post_main(json_t *objs)
{
	json_t *env = json_pack("{s:o}", "objects", objs);
	char *text = json_dumps(env, JSON_COMPACT), path[128];
	struct http_resp r;

	snprintf(path, sizeof(path), "/api/collections/%s/objects/", JP.coll);
	assert_int_equal(http(&JP, "POST", path, "token", NULL, NULL, text,
			      strlen(text), &r), 0);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "failure_count")),
			 0);
	http_free(&r);
	free(text);
	json_decref(env);
}

static int has_9401(const struct node *n, void *arg)
{
	return count_objects(n, "inbox-JP", "match[id]=indicator--"
			     "00000000-0000-4000-8000-000000009401") == 1;
}

/* Item 12.2: a row in a partner's inbox that claims to be made here (as
 * one stored before inboxes were closed would) is still never signed nor
 * delivered as JP's own. */
static void test_old_inbox_rows_stay_the_partners(void **state)
{
	char db_path[PATH_MAX + 16], *emsg = NULL;
	sqlite3 *db = NULL;

	/* a GREEN indicator of JP's, copied into inbox-UK as made here
	 * (via NULL), with the store's next date_added */
	post_main(json_pack("[o]", indicator(9400, TLP_GREEN)));
	snprintf(db_path, sizeof(db_path), "%s/trilex.db", JP.dir);
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	int rc = sqlite3_exec(db,
		"BEGIN IMMEDIATE;"
		"UPDATE clock SET last = last + 1;"
		"INSERT INTO objects(coll, id, type, spec_version, version,"
		" version_us, date_added, is_first, is_last, json)"
		" SELECT (SELECT pk FROM collections WHERE alias = 'inbox-UK'),"
		" replace(id, '9400', '9402'), type, spec_version, version,"
		" version_us, (SELECT last FROM clock), 1, 1,"
		" replace(json, '9400', '9402') FROM objects"
		" WHERE id = 'indicator--00000000-0000-4000-8000-000000009400';"
		"COMMIT;", NULL, NULL, &emsg);
	if (rc != SQLITE_OK)
		fail_msg("sqlite: %s", emsg);
	sqlite3_close(db);
	/* then one more of JP's own: once US has it, it has everything
	 * JP delivers that was stored before it (delivery keeps order) */
	post_main(json_pack("[o]", indicator(9401, TLP_GREEN)));
	assert_true(wait_for(has_9401, &US, NULL, 20000));
	assert_int_equal(count_objects(&US, "inbox-JP", "match[id]=indicator--"
				       "00000000-0000-4000-8000-000000009400"), 1);
	assert_int_equal(count_objects(&US, "inbox-JP", "match[id]=indicator--"
				       "00000000-0000-4000-8000-000000009402"), 0);
}

/* Item 12.5: a partner may not DELETE, not even in its own inbox. */
static void test_partner_may_not_delete(void **state)
{
	const char *obj = "/api/collections/inbox-UK/objects/indicator--"
			  "00000000-0000-4000-8000-000000009003/";
	json_t *env = json_pack("{s:[o]}", "objects", signed_by(&UK, indicator(9003,
								       TLP_GREEN)));
	char *text = json_dumps(env, JSON_COMPACT);
	struct http_resp r;

	assert_int_equal(http_cert(&JP, UK.dir, "POST",
				   "/api/collections/inbox-UK/objects/", text, &r), 0);
	assert_int_equal(r.status, 202);
	http_free(&r);
	assert_int_equal(http_cert(&JP, UK.dir, "DELETE", obj, NULL, &r), 0);
	assert_taxii_error(&r, 403);
	assert_non_null(strstr(r.body, "revocation"));
	http_free(&r);
	assert_int_equal(http_cert(&JP, UK.dir, "DELETE",
				   "/api/collections/main/objects/indicator--"
				   "00000000-0000-4000-8000-000000009003/", NULL, &r), 0);
	assert_taxii_error(&r, 403);
	http_free(&r);
	/* still there; JP's admin may still tidy up */
	assert_int_equal(http_cert(&JP, UK.dir, "GET", obj, NULL, &r), 0);
	assert_int_equal(r.status, 403); /* the inbox is write-only for UK */
	http_free(&r);
	assert_int_equal(count_objects(&JP, "inbox-UK", "match[id]=indicator--"
				       "00000000-0000-4000-8000-000000009003"), 1);
	assert_int_equal(http(&JP, "DELETE", obj, "token", NULL, NULL, NULL, 0, &r),
			 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	assert_int_equal(count_objects(&JP, "inbox-UK", "match[id]=indicator--"
				       "00000000-0000-4000-8000-000000009003"), 0);
	json_decref(env);
	free(text);
}

/* One page of /trilex/v1/sync as UK; its objects' ids go to ids (may be
 * NULL), its token to next. Returns the number of objects; *more set. */
static size_t sync_as_uk(int limit, const char *after, json_t *ids,
			 char *next, size_t next_size, int *more)
{
	char path[256], hdr[64];
	struct http_resp r;
	json_t *o;
	size_t i, n;

	snprintf(path, sizeof(path), "/trilex/v1/sync?limit=%d%s%s", limit,
		 after && *after ? "&after=" : "", after ? after : "");
	assert_int_equal(http_cert(&JP, UK.dir, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	/* nothing about positions or times in the headers */
	assert_null(http_header(&r, "X-TAXII-Date-Added-First", hdr, sizeof(hdr)));
	assert_null(http_header(&r, "X-TAXII-Date-Added-Last", hdr, sizeof(hdr)));
	n = json_array_size(json_object_get(r.json, "objects"));
	json_array_foreach(json_object_get(r.json, "objects"), i, o)
		if (ids)
			json_array_append(ids, json_object_get(o, "id"));
	*more = json_is_true(json_object_get(r.json, "more"));
	assert_non_null(json_string_value(json_object_get(r.json, "next")));
	snprintf(next, next_size, "%s",
		 json_string_value(json_object_get(r.json, "next")));
	http_free(&r);
	return n;
}

/* Item 12.4: paging the pull backstop with limit=1 tells a partner nothing
 * of what is withheld from it. */
static void test_sync_tokens_reveal_nothing(void **state)
{
	enum { WITHHELD = 7 };
	char tok[128] = "", start[128], first[128];
	json_t *ids = json_array(), *objs = json_array();
	int more = 1, pages = 0;
	size_t n;

	/* where UK's share stands now */
	for (int i = 0; i < 100 && more; i++)
		sync_as_uk(1000, tok, NULL, tok, sizeof(tok), &more);
	assert_false(more);
	snprintf(start, sizeof(start), "%s", tok);
	/* E1, 7 withheld, E2, 7 withheld, E3, 7 withheld: AMBER+STRICT and
	 * RED for US are not UK's */
	for (int e = 0; e < 3; e++) {
		json_array_append_new(objs, indicator(9100 + e, TLP_GREEN));
		for (int w = 0; w < WITHHELD; w++) {
			json_t *o = indicator(9200 + e * 10 + w,
					      w % 2 ? TLP_STRICT : TLP_RED);
			if (w % 2 == 0)
				json_object_set_new(o, FED_RECIPIENTS,
						    json_pack("[s]", "US"));
			json_array_append_new(objs, o);
		}
	}
	post_main(objs);
	/* page by page: exactly the three entitled objects, one a page,
	 * no empty page with more; the last says there is no more */
	more = 1;
	while (more) {
		n = sync_as_uk(1, tok, ids, tok, sizeof(tok), &more);
		pages++;
		assert_true(pages <= 4);
		if (more)
			assert_int_equal(n, 1);
		/* opaque: not the store's "hex.hex" position, one length */
		assert_null(strchr(tok, '.'));
		assert_int_equal(strlen(tok), strlen(start));
		if (pages == 1)
			snprintf(first, sizeof(first), "%s", tok);
	}
	assert_int_equal(json_array_size(ids), 3);
	assert_true(pages == 3 || (pages == 4 && n == 0));
	for (int e = 0; e < 3; e++) {
		char want[80];
		snprintf(want, sizeof(want),
			 "indicator--00000000-0000-4000-8000-%012d", 9100 + e);
		assert_string_equal(json_string_value(json_array_get(ids, e)), want);
	}
	/* More withheld objects after the last entitled one change nothing:
	 * the same empty answer, the same token. */
	char again[128];
	objs = json_array();
	for (int w = 0; w < WITHHELD; w++)
		json_array_append_new(objs, indicator(9300 + w, TLP_STRICT));
	post_main(objs);
	n = sync_as_uk(1, tok, NULL, again, sizeof(again), &more);
	assert_int_equal(n, 0);
	assert_false(more);
	assert_string_equal(again, tok);
	/* the same page asked again gives the same token: it is the
	 * position of what UK was given, whatever lies between */
	n = sync_as_uk(1, start, NULL, again, sizeof(again), &more);
	assert_int_equal(n, 1);
	assert_true(more);
	assert_string_equal(again, first);
	/* a made-up or altered token is refused */
	struct http_resp r;
	char bad[160];
	snprintf(bad, sizeof(bad), "/trilex/v1/sync?limit=1&after=%s", first);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
	assert_int_equal(http_cert(&JP, UK.dir, "GET", bad, NULL, &r), 0);
	assert_taxii_error(&r, 400);
	http_free(&r);
	json_decref(ids);
}

/*
 * Send req (raw bytes) to n over TLS, verifying its certificate, and read
 * the answer until the server closes or 5 s pass. Returns the HTTP status
 * (0 when none came); the body (after the head) into body.
 */
static long raw_https(const struct node *n, const char *req, char *body,
		      size_t body_size)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t ses;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { 5, 0 };
	char buf[16384];
	size_t len = 0;
	long status = 0;
	int fd, r;

	body[0] = '\0';
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	sa.sin_port = htons((uint16_t)n->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
	assert_true(gnutls_certificate_set_x509_trust_file(cred, n->cacert,
							   GNUTLS_X509_FMT_PEM) > 0);
	assert_int_equal(gnutls_init(&ses, GNUTLS_CLIENT), 0);
	assert_int_equal(gnutls_set_default_priority(ses), 0);
	gnutls_credentials_set(ses, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_session_set_verify_cert(ses, "127.0.0.1", 0);
	gnutls_transport_set_int(ses, fd);
	do
		r = gnutls_handshake(ses);
	while (r < 0 && !gnutls_error_is_fatal(r));
	assert_int_equal(r, 0);
	for (size_t off = 0, rl = strlen(req); off < rl; off += (size_t)r)
		assert_true((r = (int)gnutls_record_send(ses, req + off,
							 rl - off)) > 0);
	while (len + 1 < sizeof(buf)) {
		r = (int)gnutls_record_recv(ses, buf + len, sizeof(buf) - 1 - len);
		if (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (strncmp(buf, "HTTP/1.", 7) == 0)
		status = strtol(buf + 9, NULL, 10);
	const char *b = strstr(buf, "\r\n\r\n");
	if (b)
		snprintf(body, body_size, "%s", b + 4);
	gnutls_bye(ses, GNUTLS_SHUT_RDWR);
	gnutls_deinit(ses);
	gnutls_certificate_free_credentials(cred);
	close(fd);
	return status;
}

/* A raw answer's body is a TAXII error with status want. */
static void assert_raw_taxii_error(const char *body, long want)
{
	json_t *j = json_loads(body, 0, NULL);
	char code[8];

	if (j == NULL)
		fail_msg("not a TAXII error body: %.300s", body);
	snprintf(code, sizeof(code), "%ld", want);
	assert_non_null(json_string_value(json_object_get(j, "title")));
	assert_string_equal(json_string_value(json_object_get(j, "http_status")),
			    code);
	json_decref(j);
}

/* Issue 12, low: %00 never cuts a path or an argument short. */
static void test_nul_in_path(void **state)
{
	char path[256];
	struct http_resp r;

	/* %00 never cuts a path short: 400, not the discovery it would
	 * have been cut to */
	assert_int_equal(http(&JP, "GET", "/taxii2/%00", "token", NULL, NULL,
			      NULL, 0, &r), 0);
	assert_taxii_error(&r, 400);
	http_free(&r);
	snprintf(path, sizeof(path), "/api/collections/%s%%00junk/objects/", JP.coll);
	assert_int_equal(http(&JP, "GET", path, "token", NULL, NULL, NULL, 0, &r), 0);
	assert_taxii_error(&r, 400);
	http_free(&r);
	/* nor an argument: the collection is not found, not cut to main */
	snprintf(path, sizeof(path), "/api/collections/%s/objects/?match[id]="
		 "indicator--00000000-0000-4000-8000-000000009100%%00x", JP.coll);
	assert_int_equal(http(&JP, "GET", path, "token", NULL, NULL, NULL, 0, &r), 0);
	assert_int_not_equal(r.status, 200);
	assert_non_null(r.json);
	http_free(&r);
	/* an encoded character that is no NUL still works */
	assert_int_equal(http(&JP, "GET", "/%61pi/", "token", NULL, NULL, NULL, 0,
			      &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
}

/* Issue 12, low: a doubled Content-Length is refused, whatever the two say. */
static void test_double_content_length(void **state)
{
	char req[1024], body[8192];
	long st;

	snprintf(req, sizeof(req),
		 "POST /api/collections/%s/objects/ HTTP/1.1\r\n"
		 "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
		 "Content-Type: application/taxii+json;version=2.1\r\n"
		 "Content-Length: 14\r\nContent-Length: 14\r\n"
		 "Connection: close\r\n\r\n{\"objects\":[]}", JP.coll, JP.token);
	st = raw_https(&JP, req, body, sizeof(body));
	assert_int_equal(st, 400);
	assert_raw_taxii_error(body, 400);
	assert_non_null(strstr(body, "Content-Length"));
	/* one is fine */
	snprintf(req, sizeof(req),
		 "POST /api/collections/%s/objects/ HTTP/1.1\r\n"
		 "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
		 "Content-Type: application/taxii+json;version=2.1\r\n"
		 "Content-Length: 14\r\nConnection: close\r\n\r\n"
		 "{\"objects\":[]}", JP.coll, JP.token);
	assert_int_equal(raw_https(&JP, req, body, sizeof(body)), 202);
}

/* Issue 12, low: the errors of our code (404, 405, 400) are TAXII
 * errors, to any client. */
static void test_errors_are_taxii(void **state)
{
	char req[1024], body[8192];

	snprintf(req, sizeof(req), "PUT /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		 "Authorization: Bearer %s\r\nConnection: close\r\n\r\n",
		 JP.token);
	assert_int_equal(raw_https(&JP, req, body, sizeof(body)), 405);
	assert_raw_taxii_error(body, 405);
	snprintf(req, sizeof(req), "GET /no/such/thing HTTP/1.1\r\nHost: 127.0.0.1"
		 "\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n",
		 JP.token);
	assert_int_equal(raw_https(&JP, req, body, sizeof(body)), 404);
	assert_raw_taxii_error(body, 404);
}

/* Issue 12, low: discovery names the node by its listen address (JP has
 * no public_url), never by the Host the client sent. */
static void test_host_not_echoed(void **state)
{
	char req[1024], body[8192];

	snprintf(req, sizeof(req), "GET /taxii2/ HTTP/1.1\r\n"
		 "Host: evil.example:1\r\nAuthorization: Bearer %s\r\n"
		 "Connection: close\r\n\r\n", JP.token);
	assert_int_equal(raw_https(&JP, req, body, sizeof(body)), 200);
	assert_null(strstr(body, "evil.example"));
	char want[128];
	snprintf(want, sizeof(want), "\"default\":\"%s/api/\"", JP.base);
	assert_non_null(strstr(body, want));
}

/* public_url names the node in discovery; it is checked like every
 * setting. */
static void test_public_url_setting(void **state)
{
	struct node X;
	char *out = NULL, *err = NULL, req[512], body[8192];

	assert_int_equal(node_create_as(&X, "CA", "\"public_url\":"
					" \"https://ca.example:9443/\""), 0);
	const char *check[] = { "check-config", "--dir", X.dir, NULL };
	assert_int_equal(run_trilex(check, NULL, &out, &err), 0);
	free(out);
	free(err);
	assert_int_equal(node_start(&X), 0);
	snprintf(req, sizeof(req), "GET /taxii2/ HTTP/1.1\r\n"
		 "Host: evil.example:1\r\nAuthorization: Bearer %s\r\n"
		 "Connection: close\r\n\r\n", X.token);
	assert_int_equal(raw_https(&X, req, body, sizeof(body)), 200);
	assert_null(strstr(body, "evil.example"));
	assert_non_null(strstr(body, "\"api_roots\":[\"https://ca.example:9443/api/\"]"));
	assert_int_equal(node_stop(&X), 0);
	node_destroy(&X);
	/* not https, or with a path: refused, naming the setting */
	assert_int_equal(node_create_as(&X, "CA", "\"public_url\":"
					" \"http://ca.example/path\""), 0);
	const char *check2[] = { "check-config", "--dir", X.dir, NULL };
	assert_int_not_equal(run_trilex(check2, NULL, &out, &err), 0);
	assert_non_null(strstr(err, "public_url"));
	assert_non_null(strstr(err, "https://HOST"));
	free(out);
	free(err);
	node_destroy(&X);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partner_may_not_make_objects),
		cmocka_unit_test(test_inbox_is_the_partners),
		cmocka_unit_test(test_partner_may_not_delete),
		cmocka_unit_test(test_old_inbox_rows_stay_the_partners),
		cmocka_unit_test(test_sync_tokens_reveal_nothing),
		cmocka_unit_test(test_nul_in_path),
		cmocka_unit_test(test_double_content_length),
		cmocka_unit_test(test_errors_are_taxii),
		cmocka_unit_test(test_host_not_echoed),
		cmocka_unit_test(test_public_url_setting),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
