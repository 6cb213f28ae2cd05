/*
 * tests/integration/test_console.c: the console end to end over real
 * HTTPS, as a browser without JavaScript uses it: sign-in (a wrong
 * password, no CSRF token, a partner's certificate, a partner's account),
 * the cookie's flags and the pages' security headers, CSRF on every
 * form, sign-out ending the session, a session that sees only its user's
 * collections (objects and counts), markup in object fields shown as
 * text on every page, acknowledging an alert, the search API and CLI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "console_client.h"
#include "harness.h"

static struct node JP, UK;

/* Markup in every field a page shows. */
#define XSS "<script>alert(1)</script><img src=x onerror=alert(2)>\\\"'"
#define XSS_NEEDLE_1 "<script>alert(1)"
#define XSS_NEEDLE_2 "<img src=x"

static int setup(void **state)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* no periodic BOM re-check: test_supply_page records from the page */
	if (node_create_as(&JP, "JP", "\"recheck_s\": 86400") ||
	    node_create_as(&UK, "UK", NULL) ||
	    node_pair(&JP, &UK) || node_start(&JP))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	int rc = node_stop(&JP);

	node_destroy(&JP);
	node_destroy(&UK);
	return rc == 0 ? 0 : -1;
}

static void test_signin(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char cookie[160], v[128], line[512];

	/* a wrong password: 401, the form again with a message, no session */
	sign_in(&JP, "reader", "wrong password", cookie, r);
	assert_int_equal(r->status, 401);
	assert_string_equal(cookie, "");
	assert_non_null(strstr(r->body, "Wrong user name or password."));
	/* an unknown name answers the same */
	sign_in(&JP, "nosuchuser", "wrong password", cookie, r);
	assert_int_equal(r->status, 401);
	assert_non_null(strstr(r->body, "Wrong user name or password."));
	/* no CSRF token (a form from another site): 403 */
	req(&JP, "POST", "/console/signin", NULL,
	    "user=reader&password=reader+password+1", NULL, r);
	assert_int_equal(r->status, 403);
	assert_int_not_equal(set_cookie(r, "__Host-trilex", v, sizeof(v), NULL, 0), 0);
	/* the right password: a session cookie with every flag */
	sign_in(&JP, "reader", READER_PASSWORD, cookie, r);
	assert_int_equal(r->status, 303);
	assert_int_equal(set_cookie(r, "__Host-trilex", v, sizeof(v), line,
				    sizeof(line)), 0);
	assert_true(strlen(v) > 40);
	assert_non_null(strstr(line, "HttpOnly"));
	assert_non_null(strstr(line, "Secure"));
	assert_non_null(strstr(line, "SameSite=Strict"));
	assert_non_null(strstr(line, "Path=/"));
	assert_non_null(strstr(line, "Max-Age="));
	/* the store never holds the cookie itself */
	{
		char db[PATH_MAX + 16], cmd[PATH_MAX + 256];
		tx_strfmt(db, sizeof(db), "%s/trilex.db", JP.dir);
		tx_strfmt(cmd, sizeof(cmd), "grep -c '%s' '%s' '%s-wal' 2>/dev/null |"
			 " grep -v ':0$' | grep -q .", v, db, db);
		assert_int_not_equal(system(cmd), 0);
	}
	/* pages: CSP without inline script or eval, no framing, no caching */
	req(&JP, "GET", "/console/", cookie, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "reader"));
	assert_non_null(strcasestr(r->headers, "Content-Security-Policy: default-src"
				   " 'none'; script-src 'self';"));
	assert_null(strstr(r->headers, "unsafe-inline"));
	assert_null(strstr(r->headers, "unsafe-eval"));
	assert_non_null(strcasestr(r->headers, "X-Frame-Options: DENY"));
	assert_non_null(strcasestr(r->headers, "Cache-Control: no-store"));
	assert_non_null(strstr(r->body, "<script src=\"/console/static/app.js\""));
	assert_null(strstr(r->body, "<script>"));
	/* without a session: to the sign-in page */
	req(&JP, "GET", "/console/", NULL, NULL, NULL, r);
	assert_int_equal(r->status, 303);
	assert_non_null(strcasestr(r->headers, "Location: /console/signin"));
	req(&JP, "GET", "/console/", "__Host-trilex=tx_made-up", NULL, NULL, r);
	assert_int_equal(r->status, 303);
	free(r);
}

static void test_partners_cannot_sign_in(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char cookie[160];

	/* a partner node's certificate reaches no console page */
	req(&JP, "GET", "/console/signin", NULL, NULL, UK.dir, r);
	assert_int_equal(r->status, 403);
	req(&JP, "POST", "/console/signin", NULL, "user=peer-uk&password=x",
	    UK.dir, r);
	assert_int_equal(r->status, 403);
	/* nor does its account by name */
	sign_in(&JP, "peer-UK", "anything at all", cookie, r);
	assert_string_equal(cookie, "");
	assert_int_equal(r->status, 403);
	assert_non_null(strstr(r->body, "Partner nodes&#39; accounts cannot sign in."));
	free(r);
}

static void test_csrf_and_signout(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char cookie[160], csrf[80], form[256];

	sign_in(&JP, "reader", READER_PASSWORD, cookie, r);
	assert_int_equal(r->status, 303);
	req(&JP, "GET", "/console/", cookie, NULL, NULL, r);
	csrf_of(r, csrf);
	/* no token, a wrong one, another session's: refused */
	req(&JP, "POST", "/console/settings", cookie, "lang=ja", NULL, r);
	assert_int_equal(r->status, 403);
	req(&JP, "POST", "/console/settings", cookie,
	    "lang=ja&csrf=0000000000000000000000000000000000000000000000000000000000000000",
	    NULL, r);
	assert_int_equal(r->status, 403);
	req(&JP, "POST", "/console/signout", cookie, "", NULL, r);
	assert_int_equal(r->status, 403);
	req(&JP, "GET", "/console/", cookie, NULL, NULL, r);
	assert_int_equal(r->status, 200); /* still signed in */
	/* with it: Japanese sticks for the user */
	tx_strfmt(form, sizeof(form), "lang=ja&csrf=%s", csrf);
	req(&JP, "POST", "/console/settings", cookie, form, NULL, r);
	assert_int_equal(r->status, 303);
	req(&JP, "GET", "/console/", cookie, NULL, NULL, r);
	assert_non_null(strstr(r->body, "<html lang=\"ja\""));
	assert_non_null(strstr(r->body, "サインアウト"));
	tx_strfmt(form, sizeof(form), "lang=en&csrf=%s", csrf);
	req(&JP, "POST", "/console/settings", cookie, form, NULL, r);
	/* sign-out ends the session in the store, not only in the browser */
	tx_strfmt(form, sizeof(form), "csrf=%s", csrf);
	req(&JP, "POST", "/console/signout", cookie, form, NULL, r);
	assert_int_equal(r->status, 303);
	req(&JP, "GET", "/console/", cookie, NULL, NULL, r);
	assert_int_equal(r->status, 303);
	free(r);
}

/* Push one bundle into a collection (alias) as admin. */
static void push(const char *coll, const char *json)
{
	char path[PATH_MAX + 16];
	FILE *f;

	tx_strfmt(path, sizeof(path), "%s/push.json", JP.dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(json, f);
	fclose(f);
	const char *args[] = { "push", "--dir", JP.dir, "--collection", coll, path,
			       NULL };
	assert_int_equal(run_trilex(args, NULL, NULL, NULL), 0);
}

#define IND(n, name, desc, ip) "{\"type\":\"indicator\",\"spec_version\":\"2.1\"," \
	"\"id\":\"indicator--00000000-0000-4000-8000-0000000000" n "\"," \
	"\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":" \
	"\"2024-01-01T00:00:00.000Z\",\"name\":\"" name "\",\"description\":\"" \
	desc "\",\"pattern\":\"[ipv4-addr:value = '" ip "']\",\"pattern_type\":" \
	"\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\"}"

static void test_grants_and_markup(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char cookie[160], nobody[160], path[256];

	{
		const char *a[] = { "collection", "add", "--dir", JP.dir, "--title",
				    "Secret " XSS, "--alias", "secret", NULL };
		assert_int_equal(run_trilex(a, NULL, NULL, NULL), 0);
	}
	push("main", "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-"
	     "000000000001\",\"objects\":[" IND("01", "Open " XSS, "seen in the"
	     " harbour campaign " XSS, "192.0.2.10") ",{\"type\":\"attack-pattern\","
	     "\"spec_version\":\"2.1\",\"id\":\"attack-pattern--00000000-0000-4000-"
	     "8000-000000000002\",\"created\":\"2024-01-01T00:00:00.000Z\","
	     "\"modified\":\"2024-01-01T00:00:00.000Z\",\"name\":\"ICS " XSS "\","
	     "\"external_references\":[{\"source_name\":\"mitre-attack\","
	     "\"external_id\":\"T0801\"}]},{\"type\":\"relationship\","
	     "\"spec_version\":\"2.1\",\"id\":\"relationship--00000000-0000-4000-"
	     "8000-000000000003\",\"created\":\"2024-01-01T00:00:00.000Z\","
	     "\"modified\":\"2024-01-01T00:00:00.000Z\",\"relationship_type\":"
	     "\"indicates\",\"source_ref\":\"indicator--00000000-0000-4000-8000-"
	     "000000000001\",\"target_ref\":\"attack-pattern--00000000-0000-4000-"
	     "8000-000000000002\"}]}");
	push("secret", "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-"
	     "000000000002\",\"objects\":[" IND("09", "Hidden " XSS, "harbour"
	     " secret", "192.0.2.99") "]}");
	sign_in(&JP, "reader", READER_PASSWORD, cookie, r);
	sign_in(&JP, "nobody", NOBODY_PASSWORD, nobody, r);
	assert_int_equal(r->status, 303);
	/* the reader: main's objects by IP, CIDR, ATT&CK id and word; never
	 * secret's, not even counted */
	const char *pages[] = {
		"/console/", "/console/alerts", "/console/search?q=192.0.2.10",
		"/console/search?q=192.0.2.0%2F24", "/console/search?q=T0801",
		"/console/search?q=harbour",
		"/console/object/indicator--00000000-0000-4000-8000-000000000001",
		"/console/object/attack-pattern--00000000-0000-4000-8000-000000000002",
		"/console/object/relationship--00000000-0000-4000-8000-000000000003",
	};
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		req(&JP, "GET", pages[i], cookie, NULL, NULL, r);
		assert_int_equal(r->status, 200);
		/* markup in any field is text */
		assert_null(strstr(r->body, XSS_NEEDLE_1));
		assert_null(strstr(r->body, XSS_NEEDLE_2));
		assert_null(strstr(r->body, "Hidden"));
		assert_null(strstr(r->body, "192.0.2.99"));
		assert_null(strstr(r->body, "Secret"));
	}
	req(&JP, "GET", "/console/search?q=192.0.2.10", cookie, NULL, NULL, r);
	assert_non_null(strstr(r->body, "indicator--00000000-0000-4000-8000-000000000001"));
	assert_non_null(strstr(r->body, "Open &lt;script&gt;alert(1)&lt;/script&gt;"));
	req(&JP, "GET", "/console/search?q=192.0.2.0%2F24", cookie, NULL, NULL, r);
	assert_non_null(strstr(r->body, "indicator--00000000-0000-4000-8000-000000000001"));
	req(&JP, "GET", "/console/search?q=T0801", cookie, NULL, NULL, r);
	assert_non_null(strstr(r->body, "attack-pattern--00000000-0000-4000-8000-000000000002"));
	req(&JP, "GET", "/console/search?q=harbour", cookie, NULL, NULL, r);
	assert_non_null(strstr(r->body, "(1)</li>"));
	req(&JP, "GET", "/console/object/indicator--00000000-0000-4000-8000-000000000001",
	    cookie, NULL, NULL, r);
	assert_non_null(strstr(r->body, "<em>indicates</em>"));
	/* the secret object's page does not exist for the reader */
	req(&JP, "GET", "/console/object/indicator--00000000-0000-4000-8000-000000000009",
	    cookie, NULL, NULL, r);
	assert_int_equal(r->status, 404);
	/* nobody (no grants) sees no object and no count */
	req(&JP, "GET", "/console/search?q=harbour", nobody, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "id=\"no-results\""));
	req(&JP, "GET", "/console/", nobody, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_null(strstr(r->body, "Open &lt;"));
	assert_null(strstr(r->body, "<td>Main</td>"));
	assert_non_null(strstr(r->body, "<table id=\"came-in\">"));
	/* while the reader sees main's counts */
	req(&JP, "GET", "/console/", cookie, NULL, NULL, r);
	assert_non_null(strstr(r->body, "<td>Main</td>"));
	/* the admin sees the secret one, escaped too */
	char admin[160];
	sign_in(&JP, "admin", "correct+horse+battery+staple", admin, r);
	assert_int_equal(r->status, 303);
	tx_strfmt(path, sizeof(path), "/console/search?q=harbour");
	req(&JP, "GET", path, admin, NULL, NULL, r);
	assert_non_null(strstr(r->body, "Hidden &lt;script&gt;"));
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	req(&JP, "GET", "/console/", admin, NULL, NULL, r);
	assert_non_null(strstr(r->body, "Secret &lt;script&gt;"));
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	free(r);
}

static void test_alert_ack(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char admin[160], reader[160], csrf[80], form[128], path[256], id[96];
	char *out = NULL;
	const char *args[] = { "alert", "--dir", JP.dir, "--title", "Harbour " XSS,
			       "--tlp", "amber", "--indicator",
			       "[ipv4-addr:value = '192.0.2.77']", NULL };

	assert_int_equal(run_trilex(args, NULL, &out, NULL), 0);
	tx_strfmt(id, sizeof(id), "%.*s", (int)strcspn(out, " "), out);
	free(out);
	sign_in(&JP, "admin", "correct+horse+battery+staple", admin, r);
	sign_in(&JP, "reader", READER_PASSWORD, reader, r);
	/* the reader has no grant on "alerts": neither list nor page */
	req(&JP, "GET", "/console/alerts", reader, NULL, NULL, r);
	assert_null(strstr(r->body, id));
	tx_strfmt(path, sizeof(path), "/console/alert/%s", id);
	req(&JP, "GET", path, reader, NULL, NULL, r);
	assert_int_equal(r->status, 404);
	req(&JP, "GET", "/console/alerts", admin, NULL, NULL, r);
	assert_non_null(strstr(r->body, id));
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	req(&JP, "GET", path, admin, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "tlp-amber"));
	assert_non_null(strstr(r->body, "192.0.2.77"));
	assert_non_null(strstr(r->body, "Sightings: 0</span>"));
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	csrf_of(r, csrf);
	tx_strfmt(path, sizeof(path), "/console/ack/%s", id);
	req(&JP, "POST", path, admin, "", NULL, r);
	assert_int_equal(r->status, 403);
	req(&JP, "POST", path, reader, "", NULL, r);
	assert_int_equal(r->status, 403);
	tx_strfmt(form, sizeof(form), "csrf=%s", csrf);
	req(&JP, "POST", path, admin, form, NULL, r);
	assert_int_equal(r->status, 303);
	tx_strfmt(path, sizeof(path), "/console/alert/%s", id);
	req(&JP, "GET", path, admin, NULL, NULL, r);
	assert_non_null(strstr(r->body, "id=\"ack-state\""));
	assert_non_null(strstr(r->body, "acknowledged by admin"));
	/* the acknowledgement is a STIX note, marked as the alert is */
	const char *s[] = { "search", "--dir", JP.dir, "--json", "--type", "note",
			    id, NULL };
	out = NULL;
	(void)s;
	const char *g[] = { "get", "--dir", JP.dir, "--collection", "alerts",
			    "--type", "note", NULL };
	assert_int_equal(run_trilex(g, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "trilex-ack"));
	assert_non_null(strstr(out, id));
	assert_non_null(strstr(out, "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"));
	free(out);
	free(r);
}

static void test_search_api_and_cli(void **state)
{
	struct http_resp h;
	char *out = NULL;

	assert_int_equal(http(&JP, "GET", "/trilex/v1/search?q=192.0.2.10", "reader",
			      "application/json", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 200);
	assert_non_null(h.json);
	assert_int_equal(json_array_size(json_object_get(h.json, "results")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(h.json, "results"), 0), "id")),
		"indicator--00000000-0000-4000-8000-000000000001");
	http_free(&h);
	assert_int_equal(http(&JP, "GET", "/trilex/v1/search?q=harbour", "nobody",
			      "application/json", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 200);
	assert_int_equal(json_array_size(json_object_get(h.json, "results")), 0);
	assert_int_equal(json_object_size(json_object_get(h.json, "types")), 0);
	http_free(&h);
	assert_int_equal(http(&JP, "GET", "/trilex/v1/search", "reader",
			      "application/json", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 400);
	http_free(&h);
	assert_int_equal(http(&JP, "GET", "/trilex/v1/search?q=harbour&limit=0",
			      "reader", "application/json", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 400);
	http_free(&h);
	/* partners may not search this node */
	assert_int_equal(http_cert(&JP, UK.dir, "GET", "/trilex/v1/search?q=x",
				   NULL, &h), 0);
	assert_int_equal(h.status, 403);
	http_free(&h);
	const char *a[] = { "search", "--dir", JP.dir, "--json", "T0801", NULL };
	assert_int_equal(run_trilex(a, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "attack-pattern--00000000-0000-4000-8000-000000000002"));
	free(out);
	const char *b[] = { "search", "--dir", JP.dir, "--user", "reader", "harbour",
			    NULL };
	assert_int_equal(run_trilex(b, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "indicator--00000000-0000-4000-8000-000000000001"));
	assert_null(strstr(out, "000000000009"));
	free(out);
}

/* Guessing: past auth_backoff_after (5) failures of one name, each try
 * waits (here auth_backoff_s is 60 s, so the test does not race the
 * clock), the right password too (429 with Retry-After), as over HTTP
 * Basic; another name is not slowed. */
static void test_guessing_backs_off(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	struct node G;
	char cookie[160];

	assert_int_equal(node_create_as(&G, "JP", "\"auth_backoff_s\": 60"), 0);
	assert_int_equal(node_start(&G), 0);
	for (int i = 0; i < 5; i++) {
		sign_in(&G, "nobody", "wrong guess", cookie, r);
		assert_int_equal(r->status, 401);
	}
	sign_in(&G, "nobody", "nobody+password+1", cookie, r);
	assert_int_equal(r->status, 429);
	assert_string_equal(cookie, "");
	assert_non_null(strcasestr(r->headers, "Retry-After: "));
	sign_in(&G, "reader", READER_PASSWORD, cookie, r);
	assert_int_equal(r->status, 303);
	assert_int_equal(node_stop(&G), 0);
	node_destroy(&G);
	free(r);
}

/* The directory: UK's card fingerprints; TAXII settings with the
 * reader's collections only. */
/* An indicator whose value a warning list names is flagged on its page
 * with the list's name (issue 18: "wherever it shows"); one no list names
 * is not. */
static void test_warned_indicator(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char cookie[160], path[PATH_MAX + 16];
	FILE *f;

	tx_strfmt(path, sizeof(path), "%s/wl.json", JP.dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"name\": \"Test documentation ranges\", \"type\": \"cidr\","
	      " \"description\": \"test\", \"version\": 1, \"list\":"
	      " [\"198.51.100.0/24\"], \"matching_attributes\": [\"ip-dst\","
	      " \"ip-src\"]}", f);
	fclose(f);
	const char *imp[] = { "warninglist", "import", "--dir", JP.dir, path, NULL };
	assert_int_equal(run_trilex(imp, NULL, NULL, NULL), 0);
	push("main", "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-"
	     "000000000077\",\"objects\":[" IND("77", "Doc range", "a test address",
	     "198.51.100.7") "," IND("78", "Other", "not listed", "203.0.113.9") "]}");
	sign_in(&JP, "reader", READER_PASSWORD, cookie, r);
	req(&JP, "GET", "/console/object/indicator--00000000-0000-4000-8000-000000000077",
	    cookie, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "id=\"warnings\""));
	assert_non_null(strstr(r->body, "Test documentation ranges"));
	req(&JP, "GET", "/console/object/indicator--00000000-0000-4000-8000-000000000078",
	    cookie, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_null(strstr(r->body, "id=\"warnings\""));
	free(r);
}

/* "sha256:HEX" of n's certificate, as `trilex info` gives it. */
static void cert_fp_of(const struct node *n, char out[80])
{
	const char *a[] = { "info", "--dir", n->dir, NULL };
	char *text = NULL;

	assert_int_equal(run_trilex(a, NULL, &text, NULL), 0);
	const char *fp = strstr(text, "sha256:");
	assert_non_null(fp);
	tx_strfmt(out, 80, "%.71s", fp);
	free(text);
}

static void test_partners_page(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char cookie[160];

	sign_in(&JP, "reader", READER_PASSWORD, cookie, r);
	req(&JP, "GET", "/console/partners", cookie, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	char want[80];
	cert_fp_of(&UK, want);
	assert_non_null(strstr(r->body, want));
	assert_non_null(strstr(r->body, JP.coll));
	assert_non_null(strstr(r->body, "/api/"));
	assert_null(strstr(r->body, "alias secret"));
	free(r);
}

/* An incident with markup in its name and description, TLP:AMBER, whose
 * causation is not known: the decision is undetermined between
 * below-threshold and use-of-force. */
#define INCIDENT_ID "incident--00005005-0000-4000-8000-000000000005"
#define AMBER_ID "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define INCIDENT_JSON "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-" \
	"8000-000000000055\",\"objects\":[{\"type\":\"incident\",\"spec_version\":" \
	"\"2.1\",\"id\":\"" INCIDENT_ID "\",\"created\":\"2025-03-01T00:00:00.000Z\"," \
	"\"modified\":\"2025-03-01T00:00:00.000Z\",\"name\":\"Dam " XSS "\"," \
	"\"description\":\"spillway " XSS "\",\"object_marking_refs\":[\"" \
	AMBER_ID "\"],\"extensions\":{\"extension-definition--ef765651-680c-498d-" \
	"9894-99799f2fa126\":{\"extension_type\":\"property-extension\"," \
	"\"determination\":\"confirmed\",\"investigation_status\":\"closed\"," \
	"\"recoverability\":\"regular\",\"impact_refs\":[]},\"extension-definition--" \
	"0c8d2f6a-93b4-4e7a-b1d5-2e9f6a7c3b10\":{\"extension_type\":" \
	"\"property-extension\",\"deaths\":1,\"injuries\":0," \
	"\"critical_infrastructure\":false,\"national_importance\":false," \
	"\"military_nexus\":\"none\",\"onset_hours\":500,\"state_attribution\":" \
	"{\"confidence\":0}}}}]}"

/* How many times needle is in s. */
static size_t count_in(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_incident_assessment(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char admin[160], reader[160], nobody[160], csrf[80], form[1024];
	char policy_file[PATH_MAX];
	char *out = NULL;
	const char *path = "/console/incident/" INCIDENT_ID;

	testdata_path("../../policies/trilateral-default.json", policy_file,
		      sizeof(policy_file));
	const char *propose[] = { "policy", "propose", "--dir", JP.dir, "--parties",
				  "JP", policy_file, NULL };
	const char *sign[] = { "policy", "sign", "--dir", JP.dir, "2025.1", NULL };
	assert_int_equal(run_trilex(propose, NULL, NULL, NULL), 0);
	assert_int_equal(run_trilex(sign, NULL, NULL, NULL), 0);
	push("main", INCIDENT_JSON);
	sign_in(&JP, "admin", "correct+horse+battery+staple", admin, r);
	sign_in(&JP, "reader", READER_PASSWORD, reader, r);
	sign_in(&JP, "nobody", NOBODY_PASSWORD, nobody, r);

	/* the list and the page, the markup as text */
	req(&JP, "GET", "/console/incidents", reader, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, INCIDENT_ID));
	assert_non_null(strstr(r->body, "Dam &lt;script&gt;"));
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	assert_null(strstr(r->body, XSS_NEEDLE_2));
	req(&JP, "GET", path, reader, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	assert_null(strstr(r->body, XSS_NEEDLE_2));
	assert_non_null(strstr(r->body, "spillway &lt;script&gt;"));
	/* undetermined, the decisions still possible, each factor's score
	 * and evidence, what would settle the open one, the policy */
	assert_non_null(strstr(r->body, "<strong id=\"decision\">undetermined</strong>"));
	assert_non_null(strstr(r->body, "below-threshold, use-of-force"));
	assert_non_null(strstr(r->body, "<li>deaths = 1 -&gt; 3</li>"));
	assert_non_null(strstr(r->body, "id=\"factor-directness\""));
	assert_non_null(strstr(r->body, "undetermined: 0 - 3"));
	assert_non_null(strstr(r->body, "causation: how directly the operation"));
	assert_non_null(strstr(r->body, "causation in (direct, proximate)"));
	assert_non_null(strstr(r->body, "id=\"open-facts\""));
	assert_non_null(strstr(r->body, "2025.1"));
	assert_non_null(strstr(r->body, "ratified, in force"));
	/* a reader may not assess: no form, and a post is refused */
	assert_non_null(strstr(r->body, "id=\"no-form\""));
	assert_null(strstr(r->body, "id=\"f-causation\""));
	csrf_of(r, csrf);
	tx_strfmt(form, sizeof(form), "csrf=%s&causation=direct", csrf);
	req(&JP, "POST", path, reader, form, NULL, r);
	assert_int_equal(r->status, 403);
	/* a user without a grant sees neither the incident nor the list's row */
	req(&JP, "GET", path, nobody, NULL, NULL, r);
	assert_int_equal(r->status, 404);
	req(&JP, "GET", "/console/incidents", nobody, NULL, NULL, r);
	assert_null(strstr(r->body, INCIDENT_ID));

	/* the admin: the form, CSRF required, a bad fact stores nothing */
	req(&JP, "GET", path, admin, NULL, NULL, r);
	assert_non_null(strstr(r->body, "id=\"f-causation\""));
	assert_non_null(strstr(r->body, "name=\"deaths\" type=\"number\" min=\"0\""
			       " step=\"1\" value=\"1\""));
	csrf_of(r, csrf);
	req(&JP, "POST", path, admin, "causation=direct", NULL, r);
	assert_int_equal(r->status, 403);
	tx_strfmt(form, sizeof(form), "csrf=%s&deaths=two&causation=direct", csrf);
	req(&JP, "POST", path, admin, form, NULL, r);
	assert_int_equal(r->status, 400);
	assert_non_null(strstr(r->body, "deaths: &quot;two&quot; is not a whole number"));
	tx_strfmt(form, sizeof(form), "csrf=%s&deaths=1&causation=sideways", csrf);
	req(&JP, "POST", path, admin, form, NULL, r);
	assert_int_equal(r->status, 400);
	assert_non_null(strstr(r->body, "causation"));
	req(&JP, "GET", "/console/object/" INCIDENT_ID, admin, NULL, NULL, r);
	assert_int_equal(count_in(strstr(r->body, "id=\"versions\""), "<li><code>"), 1);

	/* causation known: a new version, assessed again, use-of-force */
	tx_strfmt(form, sizeof(form), "csrf=%s&deaths=1&injuries=0&causation=direct"
		  "&critical_infrastructure=false&national_importance=false"
		  "&military_nexus=none&onset_hours=500&state=&confidence=0", csrf);
	req(&JP, "POST", path, admin, form, NULL, r);
	assert_int_equal(r->status, 303);
	req(&JP, "GET", path, admin, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "<strong id=\"decision\">use-of-force</strong>"));
	assert_non_null(strstr(r->body, "<li>causation = direct -&gt; 3</li>"));
	assert_null(strstr(r->body, "id=\"decision-range\""));
	assert_non_null(strstr(r->body, "<option value=\"direct\" selected>"));
	/* the stored assessment is listed, for the reader too */
	req(&JP, "GET", path, reader, NULL, NULL, r);
	assert_non_null(strstr(strstr(r->body, "id=\"assessments\""), "<td>use-of-force</td>"));
	req(&JP, "GET", "/console/incidents", reader, NULL, NULL, r);
	assert_non_null(strstr(r->body, "<td>use-of-force</td>"));
	req(&JP, "GET", "/console/object/" INCIDENT_ID, admin, NULL, NULL, r);
	assert_int_equal(count_in(strstr(r->body, "id=\"versions\""), "<li><code>"), 2);
	/* both stored, both TLP:AMBER as their source */
	const char *g[] = { "get", "--dir", JP.dir, "--collection", "main",
			    "--type", "incident,note", NULL };
	assert_int_equal(run_trilex(g, NULL, &out, NULL), 0);
	json_t *b = json_loads(out, 0, NULL), *o;
	size_t i, n_inc = 0, n_note = 0;
	assert_non_null(b);
	json_array_foreach(json_object_get(b, "objects"), i, o) {
		const char *t = json_string_value(json_object_get(o, "type"));
		json_t *m = json_object_get(o, "object_marking_refs");
		assert_int_equal(json_array_size(m), 1);
		assert_string_equal(json_string_value(json_array_get(m, 0)), AMBER_ID);
		if (strcmp(t, "incident") == 0) {
			n_inc++;
			assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_object_get(o, "extensions"),
				"extension-definition--0c8d2f6a-93b4-4e7a-b1d5-2e9f6a7c3b10"),
				"causation")), "direct");
		} else if (strcmp(t, "note") == 0) {
			n_note++;
			assert_non_null(strstr(json_string_value(json_object_get(o,
					"abstract")), "use-of-force"));
		}
	}
	assert_int_equal(n_inc, 1);
	assert_int_equal(n_note, 1);
	json_decref(b);
	free(out);
	free(r);
}

/* "Open an incident assessment" on a RED alert: a new incident of this
 * node about it, RED with the alert's recipients, in "incidents". */
static void test_incident_from_alert(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char admin[160], csrf[80], form[128], path[256], id[96], inc[96];
	char *out = NULL;
	const char *args[] = { "alert", "--dir", JP.dir, "--title", "Sluice " XSS,
			       "--tlp", "red", "--to", "UK", "--indicator",
			       "[ipv4-addr:value = '192.0.2.78']", NULL };

	assert_int_equal(run_trilex(args, NULL, &out, NULL), 0);
	tx_strfmt(id, sizeof(id), "%.*s", (int)strcspn(out, " "), out);
	free(out);
	sign_in(&JP, "admin", "correct+horse+battery+staple", admin, r);
	tx_strfmt(path, sizeof(path), "/console/alert/%s", id);
	req(&JP, "GET", path, admin, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "action=\"/console/incident-from/"));
	csrf_of(r, csrf);
	tx_strfmt(path, sizeof(path), "/console/incident-from/%s", id);
	req(&JP, "POST", path, admin, "", NULL, r);
	assert_int_equal(r->status, 403);
	tx_strfmt(form, sizeof(form), "csrf=%s", csrf);
	req(&JP, "POST", "/console/incident-from/report--00000000-0000-4000-8000-"
	    "000000000999", admin, form, NULL, r);
	assert_int_equal(r->status, 404);
	req(&JP, "POST", path, admin, form, NULL, r);
	assert_int_equal(r->status, 303);
	const char *loc = strcasestr(r->headers, "Location: /console/incident/");
	assert_non_null(loc);
	loc += strlen("Location: /console/incident/");
	tx_strfmt(inc, sizeof(inc), "%.*s", (int)strcspn(loc, "\r\n"), loc);
	tx_strfmt(path, sizeof(path), "/console/incident/%s", inc);
	req(&JP, "GET", path, admin, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "Sluice &lt;script&gt;"));
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	assert_non_null(strstr(r->body, "tlp-red"));
	assert_non_null(strstr(r->body, "id=\"f-causation\""));
	assert_non_null(strstr(r->body, "<strong id=\"decision\">undetermined</strong>"));
	/* stored in "incidents", RED to the alert's recipients only */
	const char *g[] = { "get", "--dir", JP.dir, "--collection", "incidents",
			    "--type", "incident", NULL };
	assert_int_equal(run_trilex(g, NULL, &out, NULL), 0);
	json_t *b = json_loads(out, 0, NULL);
	json_t *o = json_array_get(json_object_get(b, "objects"), 0);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "id")), inc);
	assert_string_equal(json_string_value(json_object_get(o, "x_trilex_alert_ref")), id);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o,
		"object_marking_refs"), 0)),
		"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1");
	json_t *to = json_object_get(o, "x_trilex_recipients");
	assert_int_equal(json_array_size(to), 1);
	assert_string_equal(json_string_value(json_array_get(to, 0)), "UK");
	json_decref(b);
	free(out);
	free(r);
}

#define WATCHED_ID "intrusion-set--00000000-0000-4000-8000-000000000072"
#define OLD_ID "intrusion-set--00000000-0000-4000-8000-000000000073"
#define WATCHED_JSON(id, name) "{\"type\":\"bundle\",\"id\":\"bundle--00000000-" \
	"0000-4000-8000-000000000071\",\"objects\":[{\"type\":\"intrusion-set\"," \
	"\"spec_version\":\"2.1\",\"id\":\"" id "\",\"created\":" \
	"\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\"," \
	"\"name\":\"" name "\"}]}"

/* Whether the proposal id's state on node n (`watch proposals`) has want. */
static int proposal_has(const struct node *n, void *arg)
{
	const char **w = arg;
	const char *a[] = { "watch", "proposals", "--dir", n->dir, "--json", NULL };
	char *out = NULL;
	int ok;

	if (run_trilex(a, NULL, &out, NULL) != 0) {
		free(out);
		return 0;
	}
	const char *at = out ? strstr(out, w[0]) : NULL;
	ok = at && strstr(at, w[1]) != NULL;
	free(out);
	return ok;
}

/* The watch page: names, risk, responsible, an overdue review in red; a
 * proposal from UK voted on JP's page, and the tally on UK. */
static void test_watch_vote(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char admin[160], reader[160], csrf[80], form[512], path[PATH_MAX + 16];
	char *out = NULL, pid[128];
	FILE *f;

	/* an entry of JP's made two years ago: its review is past */
	push("main", WATCHED_JSON(OLD_ID, "Old Panda " XSS));
	setenv("TRILEX_NOW", "2024-06-01T00:00:00Z", 1);
	const char *old[] = { "watch", "propose", "add", "--dir", JP.dir, "--ref",
			      OLD_ID, "--risk", "critical", "--responsible", "JP",
			      "--quorum", "1", "--rationale", "old case", NULL };
	assert_int_equal(run_trilex(old, NULL, NULL, NULL), 0);
	unsetenv("TRILEX_NOW");
	/* UK proposes; JP (pinned) must vote */
	tx_strfmt(path, sizeof(path), "%s/watched.json", UK.dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(WATCHED_JSON(WATCHED_ID, "Harbour Panda " XSS), f);
	fclose(f);
	const char *p[] = { "push", "--dir", UK.dir, "--collection", "main", path, NULL };
	assert_int_equal(run_trilex(p, NULL, NULL, NULL), 0);
	const char *prop[] = { "watch", "propose", "add", "--dir", UK.dir, "--ref",
			       WATCHED_ID, "--risk", "high", "--responsible", "UK",
			       "--rationale", "targets ports " XSS, NULL };
	assert_int_equal(run_trilex(prop, NULL, &out, NULL), 0);
	tx_strfmt(pid, sizeof(pid), "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	/* UK's duty officer in the directory; and a contact JP made that
	 * claims to be UK's, which must not show as UK's */
	const char *poc[] = { "poc", "add", "--dir", UK.dir, "--org", "NCSC " XSS,
			      "--name", "Ann Duty " XSS, "--role", "duty-officer",
			      "--email", "duty@ncsc.example", NULL };
	assert_int_equal(run_trilex(poc, NULL, NULL, NULL), 0);
	push("main", "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-"
	     "8000-000000000081\",\"objects\":[{\"type\":\"identity\","
	     "\"spec_version\":\"2.1\",\"id\":\"identity--00000000-0000-4000-8000-"
	     "000000000082\",\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":"
	     "\"2024-01-01T00:00:00.000Z\",\"name\":\"Forged Contact\","
	     "\"identity_class\":\"individual\",\"x_trilex_party\":\"UK\"}]}");
	assert_int_equal(node_start(&UK), 0);
	const char *open_on[] = { pid, "\"state\": \"open\"" };
	assert_true(wait_for(proposal_has, &JP, open_on, 30000));

	sign_in(&JP, "admin", "correct+horse+battery+staple", admin, r);
	sign_in(&JP, "reader", READER_PASSWORD, reader, r);
	req(&JP, "GET", "/console/watch", admin, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	assert_null(strstr(r->body, XSS_NEEDLE_2));
	/* the old entry by name, critical, JP, its review overdue in red */
	const char *row = strstr(r->body, "Old Panda &lt;script&gt;");
	assert_non_null(row);
	assert_non_null(strstr(row, "<td>critical</td><td>JP"));
	assert_non_null(strstr(row, "class=\"overdue\""));
	/* UK's open proposal: name, rationale, tally, a vote form */
	tx_strfmt(form, sizeof(form), "id=\"p-%s\"", pid);
	const char *sec = strstr(r->body, form);
	assert_non_null(sec);
	assert_non_null(strstr(sec, "Harbour Panda &lt;script&gt;"));
	assert_non_null(strstr(sec, "targets ports &lt;script&gt;"));
	assert_non_null(strstr(sec, "Approve: 1 / 2 approvals needed (UK)"));
	assert_non_null(strstr(sec, "action=\"/console/vote/"));
	csrf_of(r, csrf);
	/* "reader" is an analyst: sees the proposal, may not vote for the
	 * party; no token, no vote */
	req(&JP, "GET", "/console/watch", reader, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	sec = strstr(r->body, "targets ports &lt;script&gt;");
	assert_non_null(sec);
	assert_non_null(strstr(sec, "Only duty officers and administrators may vote"));
	assert_null(strstr(r->body, "action=\"/console/vote/"));
	tx_strfmt(path, sizeof(path), "/console/vote/%s", pid);
	tx_strfmt(form, sizeof(form), "csrf=%s&decision=approve", csrf);
	req(&JP, "POST", path, reader, form, NULL, r);
	assert_int_equal(r->status, 403);
	req(&JP, "POST", path, admin, "decision=approve", NULL, r);
	assert_int_equal(r->status, 403);
	tx_strfmt(form, sizeof(form), "csrf=%s&decision=maybe", csrf);
	req(&JP, "POST", path, admin, form, NULL, r);
	assert_int_equal(r->status, 400);
	tx_strfmt(form, sizeof(form), "csrf=%s&decision=approve&comment=seen+"
		  "%%3Cscript%%3E+at+the+port", csrf);
	req(&JP, "POST", path, admin, form, NULL, r);
	assert_int_equal(r->status, 303);
	/* a second vote is refused with watch/'s reason */
	req(&JP, "POST", path, admin, form, NULL, r);
	assert_int_equal(r->status, 409);
	assert_non_null(strstr(r->body, "id=\"vote-error\""));
	/* approved by both: the entry is on JP's list; UK counts JP's vote */
	req(&JP, "GET", "/console/watch", admin, NULL, NULL, r);
	row = strstr(r->body, "Harbour Panda &lt;script&gt;");
	assert_non_null(row);
	assert_non_null(strstr(row, "<td>high</td><td>UK"));
	const char *approved_on[] = { pid, "\"state\": \"approved\"" };
	assert_true(wait_for(proposal_has, &UK, approved_on, 30000));
	/* the partners page: UK's own contact beside UK, not the forged one */
	const char *pl[] = { "poc", "list", "--dir", JP.dir, "--party", "UK", NULL };
	for (int i = 0; i < 300; i++) {
		out = NULL;
		assert_int_equal(run_trilex(pl, NULL, &out, NULL), 0);
		int got = strstr(out, "Ann Duty") != NULL;
		free(out);
		if (got)
			break;
		usleep(100000);
	}
	req(&JP, "GET", "/console/partners", reader, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	row = strstr(r->body, "(UK)</td>");
	assert_non_null(row);
	assert_non_null(strstr(row, "<strong>Ann Duty &lt;script&gt;"));
	assert_non_null(strstr(row, "duty-officer; NCSC &lt;script&gt;"));
	assert_non_null(strstr(row, "duty@ncsc.example"));
	assert_null(strstr(r->body, "Forged Contact"));
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	assert_int_equal(node_stop(&UK), 0);
	free(r);
}

/* A partner proposal id is open on n (partner list --json). */
static int partner_open(const struct node *n, void *arg)
{
	const char *a[] = { "partner", "list", "--dir", n->dir, "--json", NULL };
	char *out = NULL, want[200];
	int ok;

	if (run_trilex(a, NULL, &out, NULL) != 0) {
		free(out);
		return 0;
	}
	tx_strfmt(want, sizeof(want), "\"id\": \"%s\"", (const char *)arg);
	ok = out && strstr(out, want) != NULL;
	free(out);
	return ok;
}

/* GET /console/partners as cookie holds needle. */
struct page_want {
	const char *cookie, *needle;
};

static int partners_page_has(const struct node *n, void *arg)
{
	const struct page_want *w = arg;
	struct resp *r = malloc(sizeof(*r));
	int ok;

	req(n, "GET", "/console/partners", w->cookie, NULL, NULL, r);
	ok = r->status == 200 && strstr(r->body, w->needle) != NULL;
	free(r);
	return ok;
}

/* UK proposes, and JP's duty officer approves on the partners page. */
static void vote_on_partners_page(const char *pid, const char *admin,
				  const char *reader, const char *role)
{
	struct resp *r = malloc(sizeof(*r));
	char csrf[80], form[512], path[256], want[200];

	assert_true(wait_for(partner_open, &JP, (void *)pid, 30000));
	req(&JP, "GET", "/console/partners", admin, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	tx_strfmt(want, sizeof(want), "id=\"p-%s\"", pid);
	const char *sec = strstr(r->body, want);
	assert_non_null(sec);
	tx_strfmt(want, sizeof(want), "<dt>Role</dt><dd>%s</dd>", role);
	assert_non_null(strstr(sec, want));
	assert_non_null(strstr(sec, "Approve: 1 / 2 approvals needed (UK)"));
	assert_non_null(strstr(sec, "name=\"back\" value=\"partners\""));
	csrf_of(r, csrf);
	/* an analyst sees it, may not vote */
	req(&JP, "GET", "/console/partners", reader, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, pid));
	assert_non_null(strstr(r->body, "Only duty officers and administrators may vote"));
	assert_null(strstr(r->body, "action=\"/console/vote/"));
	tx_strfmt(path, sizeof(path), "/console/vote/%s", pid);
	req(&JP, "POST", path, admin, "decision=approve&back=partners", NULL, r);
	assert_int_equal(r->status, 403); /* no CSRF token */
	tx_strfmt(form, sizeof(form), "csrf=%s&decision=approve&back=partners", csrf);
	req(&JP, "POST", path, reader, form, NULL, r);
	assert_int_equal(r->status, 403);
	req(&JP, "POST", path, admin, form, NULL, r);
	assert_int_equal(r->status, 303);
	tx_strfmt(want, sizeof(want), "Location: /console/partners#p-%s", pid);
	assert_non_null(strcasestr(r->headers, want));
	free(r);
}

/* The partnership on the partners page: JP and UK members; UK proposes
 * to admit CA as an observer, JP's duty officer approves on the page, and
 * JP pins CA (its role and card fingerprint shown); then CA is suspended
 * the same way and shown suspended, with the role it had. In Japanese
 * too. */
static void test_partnership_page(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	struct node CA;
	char admin[160], reader[160], card[PATH_MAX + 32], pid[128], want[200];
	char csrf[80], form[200], *out = NULL;
	FILE *f;

	assert_int_equal(node_create_as(&CA, "CA", NULL), 0);
	const char *exp[] = { "peer", "export", "--dir", CA.dir, NULL };
	assert_int_equal(run_trilex(exp, NULL, &out, NULL), 0);
	tx_strfmt(card, sizeof(card), "%s/../card-CA.json", CA.dir);
	assert_non_null(f = fopen(card, "w"));
	fputs(out, f);
	fclose(f);
	free(out);
	char ca_fp[80];
	cert_fp_of(&CA, ca_fp);
	assert_int_equal(node_start(&UK), 0);
	sign_in(&JP, "admin", "correct+horse+battery+staple", admin, r);
	sign_in(&JP, "reader", READER_PASSWORD, reader, r);
	req(&JP, "GET", "/console/partners", reader, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	const char *row = strstr(r->body, "<tr id=\"party-UK\">");
	assert_non_null(row);
	assert_non_null(strstr(row, "<td>member</td>"));
	assert_non_null(strstr(r->body, "<tr id=\"party-JP\"><td>JP</td><td>this node"));
	/* admit CA as an observer */
	const char *adm[] = { "partner", "propose-admit", "--dir", UK.dir, card,
			      "--role", "observer", NULL };
	assert_int_equal(run_trilex(adm, NULL, &out, NULL), 0);
	tx_strfmt(pid, sizeof(pid), "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	vote_on_partners_page(pid, admin, reader, "observer");
	struct page_want pinned = { reader, "<tr id=\"party-CA\"><td>CA</td>" };
	assert_true(wait_for(partners_page_has, &JP, &pinned, 30000));
	req(&JP, "GET", "/console/partners", reader, NULL, NULL, r);
	row = strstr(r->body, "<tr id=\"party-CA\">");
	assert_non_null(row);
	assert_non_null(strstr(row, "<td>observer</td>"));
	tx_strfmt(want, sizeof(want), "<code>%s</code>", ca_fp);
	assert_non_null(strstr(row, want));
	/* suspend CA (UK pins CA once it has JP's vote) */
	const char *sus[] = { "partner", "propose-suspend", "--dir", UK.dir, "CA",
			      NULL };
	int rc = 1;
	for (int i = 0; i < 300 && rc != 0; i++) {
		out = NULL;
		if ((rc = run_trilex(sus, NULL, &out, NULL)) != 0) {
			free(out);
			usleep(100000);
		}
	}
	assert_int_equal(rc, 0);
	tx_strfmt(pid, sizeof(pid), "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	vote_on_partners_page(pid, admin, reader, "suspended");
	struct page_want suspended = { reader, "<td>suspended (before: observer)</td>" };
	assert_true(wait_for(partners_page_has, &JP, &suspended, 30000));
	/* in Japanese */
	req(&JP, "GET", "/console/partners", admin, NULL, NULL, r);
	csrf_of(r, csrf);
	tx_strfmt(form, sizeof(form), "lang=ja&csrf=%s", csrf);
	req(&JP, "POST", "/console/settings", admin, form, NULL, r);
	assert_int_equal(r->status, 303);
	req(&JP, "GET", "/console/partners", admin, NULL, NULL, r);
	assert_non_null(strstr(r->body, "パートナーシップ"));
	assert_non_null(strstr(r->body, "資格停止中（停止前: オブザーバー）") ||
			strstr(r->body, "資格停止中 (停止前: オブザーバー)"));
	tx_strfmt(form, sizeof(form), "lang=en&csrf=%s", csrf);
	req(&JP, "POST", "/console/settings", admin, form, NULL, r);
	assert_int_equal(node_stop(&UK), 0);
	node_destroy(&CA);
	free(r);
}

/* Run trilex on JP; its exit code (its output dropped). */
static int trilex_rc(const char *const *args)
{
	char *out = NULL, *err = NULL;
	int rc = run_trilex(args, NULL, &out, &err);

	free(out);
	free(err);
	return rc;
}

/* /console/feeds: an outside feed into a collection the reader reads,
 * after a run that failed (nothing listens on its port), with its runs,
 * errors and last error; one into a collection it may not read is not
 * there. The MISP feed of collection main with what this server answered
 * of it (a request, its events), a saved filter over main, and none over
 * a collection the reader may not read. */
static void test_feeds_page(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	struct http_resp h;
	char cookie[160], url[128], *p;

	tx_strfmt(url, sizeof(url), "https://127.0.0.1:%d/api/", harness_port());
	const char *coll[] = { "collection", "add", "--dir", JP.dir, "--title",
			       "Hidden feeds", "--alias", "hidden-feeds", NULL };
	assert_int_equal(trilex_rc(coll), 0);
	const char *add[] = { "feed", "add", "--dir", JP.dir, "--name", "isac",
			      "--url", url, "--collection", "isac-coll", "--into",
			      "main", NULL };
	const char *add2[] = { "feed", "add", "--dir", JP.dir, "--name",
			       "secret-vendor", "--url", url, "--collection", "v",
			       "--into", "hidden-feeds", NULL };
	assert_int_equal(trilex_rc(add), 0);
	assert_int_equal(trilex_rc(add2), 0);
	const char *run[] = { "feed", "run", "--dir", JP.dir, "isac", NULL };
	assert_int_not_equal(trilex_rc(run), 0);
	const char *f1[] = { "filter", "add", "--dir", JP.dir, "--name", "jp-green",
			     "--collection", "main", "--tlp", "green", NULL };
	const char *f2[] = { "filter", "add", "--dir", JP.dir, "--name", "jp-hidden",
			     "--collection", "main", "--collection", "hidden-feeds",
			     NULL };
	assert_int_equal(trilex_rc(f1), 0);
	assert_int_equal(trilex_rc(f2), 0);
	/* a MISP instance polls main's feed */
	assert_int_equal(http(&JP, "GET", "/trilex/v1/misp-feed/main/manifest.json",
			      "reader", "", NULL, NULL, 0, &h), 0);
	assert_int_equal(h.status, 200);
	http_free(&h);

	sign_in(&JP, "reader", READER_PASSWORD, cookie, r);
	req(&JP, "GET", "/console/feeds", cookie, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(p = strstr(r->body, "<tr id=\"feed-isac\">"));
	assert_non_null(strstr(p, url));
	/* runs (feed run's, and serve's own polls of a new feed) that all
	 * ended in an error, and the error said */
	{
		long runs = 0, errors = 0;
		char *q = strstr(p, "</td><td>-</td><td>");   /* never a success */
		assert_non_null(q);
		assert_int_equal(sscanf(q, "</td><td>-</td><td>%ld</td><td class="
					"\"error\">%ld</td>", &runs, &errors), 2);
		assert_true(runs >= 1);
		assert_int_equal(errors, runs);
	}
	assert_non_null(strstr(r->body, "<tr class=\"error\">"));
	assert_null(strstr(r->body, "secret-vendor"));
	/* MISP feeds: main with its request, the filter over it only */
	assert_non_null(p = strstr(r->body, "id=\"misp-feeds\""));
	assert_non_null(strstr(p, "/trilex/v1/misp-feed/main/manifest.json"));
	assert_non_null(strstr(p, "<td>1 (304: 0)</td>"));
	assert_non_null(strstr(p, "jp-green"));
	assert_null(strstr(p, "jp-hidden"));
	assert_null(strstr(r->body, "hidden-feeds"));
	/* the admin sees both */
	sign_in(&JP, "admin", ADMIN_PASSWORD, cookie, r);
	req(&JP, "GET", "/console/feeds", cookie, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "secret-vendor"));
	assert_non_null(strstr(r->body, "jp-hidden"));
	free(r);
}

/* Write text to a new temporary file named like tmpl ("...XXXXXX.json"). */
static void write_tmp(char *tmpl, int suffix, const char *text)
{
	int fd = mkstemps(tmpl, suffix);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

#define OSV(id, pkg, fixed) "{\"id\": \"" id "\", \"modified\": " \
	"\"2024-02-01T00:00:00Z\", \"summary\": \"test " XSS "\", " \
	"\"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"" pkg \
	"\"}, \"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": " \
	"\"0\"}, {\"fixed\": \"" fixed "\"}]}]}]}"

#define COMP(name, v) "{\"type\":\"library\",\"name\":\"" name "\",\"version\":\"" \
	v "\",\"purl\":\"pkg:npm/" name "@" v "\"}"

#define SBOM(uuid, name, category, tlp) "{\"type\":\"x-trilex-sbom\"," \
	"\"spec_version\":\"2.1\",\"id\":\"x-trilex-sbom--" uuid "\"," \
	"\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":" \
	"\"2024-01-01T00:00:00.000Z\",\"name\":\"" name "\",\"category\":\"" \
	category "\",\"object_marking_refs\":[\"" tlp "\"],\"bom\":{\"bomFormat\":" \
	"\"CycloneDX\",\"specVersion\":\"1.6\",\"version\":1,\"metadata\":" \
	"{\"component\":{\"type\":\"application\",\"name\":\"plant-hmi\"," \
	"\"version\":\"1.0\"}},\"components\":[" COMP("lodash", "4.17.11") "," \
	COMP("minimist", "1.2.0") "," COMP("ms", "2.0.0") "]}}"

#define TLP_GREEN "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
#define BOM_ID "x-trilex-sbom--00000000-0000-4000-8000-0000000000b1"

/* The row of the findings table naming advisory adv, into out. */
static int finding_row(const char *body, const char *adv, char *out, size_t n)
{
	const char *a = strstr(body, adv), *start, *end;

	if (a == NULL)
		return -1;
	for (start = a; start > body && strncmp(start, "<tr", 3) != 0; start--)
		;
	if ((end = strstr(a, "</tr>")) == NULL)
		return -1;
	tx_strfmt(out, n, "%.*s", (int)(end - start), start);
	return 0;
}

/* Item 8: stored BOMs checked against the advisories the user may read,
 * findings ranked with their advisories and TLP, recorded and shared from
 * the page by who may. */
static void test_supply_page(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char admin[160], reader[160], nobody[160], csrf[80], form[128], row[4096];
	char osv_green[] = "/tmp/trilex-osv-XXXXXX.json";
	char osv_red[] = "/tmp/trilex-osv-XXXXXX.json";
	char osv_hidden[] = "/tmp/trilex-osv-XXXXXX.json";

	write_tmp(osv_green, 5, OSV("TRILEX-TEST-0400", "lodash", "4.17.12"));
	write_tmp(osv_red, 5, OSV("TRILEX-TEST-0401", "minimist", "1.2.6"));
	write_tmp(osv_hidden, 5, OSV("TRILEX-TEST-0402", "ms", "2.0.1"));
	{
		const char *c[] = { "collection", "add", "--dir", JP.dir, "--title",
				    "Supply secret", "--alias", "supply-secret", NULL };
		const char *g[] = { "advisory", "import", "--dir", JP.dir,
				    "--collection", "main", "--tlp", "green",
				    osv_green, NULL };
		const char *rd[] = { "advisory", "import", "--dir", JP.dir,
				     "--collection", "main", "--tlp", "red",
				     osv_red, NULL };
		const char *h[] = { "advisory", "import", "--dir", JP.dir,
				    "--collection", "supply-secret", osv_hidden, NULL };
		assert_int_equal(run_trilex(c, NULL, NULL, NULL), 0);
		assert_int_equal(run_trilex(g, NULL, NULL, NULL), 0);
		assert_int_equal(run_trilex(rd, NULL, NULL, NULL), 0);
		assert_int_equal(run_trilex(h, NULL, NULL, NULL), 0);
	}
	unlink(osv_green);
	unlink(osv_red);
	unlink(osv_hidden);
	/* stored as objects, so that no re-check has recorded anything yet
	 * (serve's re-check waits recheck_s, a day here); one BOM cannot be
	 * checked: its category is not on the priority list */
	push("main", "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-"
	     "0000000000b0\",\"objects\":[" SBOM("00000000-0000-4000-8000-0000000000b1",
	     "Plant HMI " XSS, "government-it", TLP_GREEN) "," SBOM(
	     "00000000-0000-4000-8000-0000000000b2", "Odd", "nowhere " XSS,
	     TLP_GREEN) "]}");
	sign_in(&JP, "admin", "correct+horse+battery+staple", admin, r);
	sign_in(&JP, "reader", READER_PASSWORD, reader, r);
	sign_in(&JP, "nobody", NOBODY_PASSWORD, nobody, r);

	/* the reader: main's BOMs and advisories, never supply-secret's */
	req(&JP, "GET", "/console/supply", reader, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	assert_null(strstr(r->body, XSS_NEEDLE_2));
	assert_non_null(strstr(r->body, "Plant HMI &lt;script&gt;"));
	assert_non_null(strstr(r->body, "id=\"bom-" BOM_ID "\""));
	/* the odd BOM: shown with why it was not checked, as text */
	assert_non_null(strstr(r->body, "nowhere &lt;script&gt;"));
	assert_null(strstr(r->body, "TRILEX-TEST-0402"));
	/* each finding with its advisory (linked to it), its TLP: the most
	 * restrictive of the BOM's and the advisory's; nothing recorded yet */
	assert_int_equal(finding_row(r->body, "TRILEX-TEST-0400", row, sizeof(row)), 0);
	assert_non_null(strstr(row, "lodash@4.17.11"));
	assert_non_null(strstr(row, "4.17.12"));
	assert_non_null(strstr(row, "TLP:green"));
	assert_non_null(strstr(row, "<a href=\"/console/object/vulnerability--"));
	assert_non_null(strstr(row, "not recorded yet"));
	assert_non_null(strstr(row, "class=\"new\""));
	assert_int_equal(finding_row(r->body, "TRILEX-TEST-0401", row, sizeof(row)), 0);
	assert_non_null(strstr(row, "minimist@1.2.0"));
	assert_non_null(strstr(row, "TLP:red"));
	assert_non_null(strstr(r->body, "Advisories per ecosystem"));
	assert_non_null(strstr(r->body, "<strong>npm</strong>: advisories 2"));
	/* it may not write main: no form, and the post is refused */
	assert_null(strstr(r->body, "action=\"/console/supply/record/"));
	assert_non_null(strstr(r->body, "Recording findings needs"));
	csrf_of(r, csrf);
	tx_strfmt(form, sizeof(form), "csrf=%s", csrf);
	req(&JP, "POST", "/console/supply/record/" BOM_ID, reader, form, NULL, r);
	assert_int_equal(r->status, 403);
	/* nobody sees no BOM, no advisory, no count */
	req(&JP, "GET", "/console/supply", nobody, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "id=\"no-boms\""));
	assert_null(strstr(r->body, "Plant HMI"));
	assert_null(strstr(r->body, "TRILEX-TEST"));
	assert_non_null(strstr(r->body, "<td>OSV advisories</td><td>0</td>"));
	req(&JP, "POST", "/console/supply/record/" BOM_ID, nobody, form, NULL, r);
	assert_int_equal(r->status, 403); /* another session's token */

	/* the admin reads every collection: three findings, a form */
	req(&JP, "GET", "/console/supply", admin, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	assert_int_equal(finding_row(r->body, "TRILEX-TEST-0402", row, sizeof(row)), 0);
	assert_non_null(strstr(row, "ms@2.0.0"));
	assert_non_null(strstr(r->body, "action=\"/console/supply/record/"
			       "x-trilex-sbom--00000000-0000-4000-8000-0000000000b1\""));
	/* CSRF: without the token, refused */
	req(&JP, "POST", "/console/supply/record/" BOM_ID, admin, "", NULL, r);
	assert_int_equal(r->status, 403);
	req(&JP, "GET", "/console/supply", admin, NULL, NULL, r);
	csrf_of(r, csrf);
	tx_strfmt(form, sizeof(form), "csrf=%s", csrf);
	req(&JP, "POST", "/console/supply/record/" BOM_ID, admin, form, NULL, r);
	assert_int_equal(r->status, 303);
	assert_non_null(strcasestr(r->headers, "Location: /console/supply?recorded=3"));
	/* recorded: notes (and alerts) in the BOM's collection, shared as it
	 * is; the page links each finding to its note */
	req(&JP, "GET", "/console/supply?recorded=3", admin, NULL, NULL, r);
	assert_non_null(strstr(r->body, "id=\"recorded\""));
	assert_int_equal(finding_row(r->body, "TRILEX-TEST-0400", row, sizeof(row)), 0);
	assert_null(strstr(row, "not recorded yet"));
	assert_non_null(strstr(row, "<a href=\"/console/object/note--"));
	/* the reader sees main's recorded notes; the RED finding's note is
	 * marked RED */
	req(&JP, "GET", "/console/supply", reader, NULL, NULL, r);
	assert_int_equal(finding_row(r->body, "TRILEX-TEST-0401", row, sizeof(row)), 0);
	assert_non_null(strstr(row, "<a href=\"/console/object/note--"));
	assert_non_null(strstr(row, "TLP:red"));
	{
		char *out = NULL;
		const char *ls[] = { "alerts", "--dir", JP.dir, "--json", NULL };
		assert_int_equal(run_trilex(ls, NULL, &out, NULL), 0);
		assert_non_null(strstr(out, "Supply chain: vulnerable lodash@4.17.11"));
		free(out);
	}
	/* once more: nothing new to record */
	req(&JP, "POST", "/console/supply/record/" BOM_ID, admin, form, NULL, r);
	assert_int_equal(r->status, 303);
	assert_non_null(strcasestr(r->headers, "Location: /console/supply?recorded=0"));
	free(r);
}

#define HUB "attack-pattern--00000000-0000-4000-8003-000000000001"
#define N_CROWD 150
#define N_HIDDEN 5

static void bundle_add(char **b, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*cap - *len < 4096) {
		*cap = *cap * 2 + 65536;
		assert_non_null(*b = realloc(*b, *cap));
	}
	va_start(ap, fmt);
	n = vsnprintf(*b + *len, *cap - *len, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < *cap - *len);
	*len += (size_t)n;
}

#define IND_FMT "{\"type\":\"indicator\",\"spec_version\":\"2.1\"," \
	"\"id\":\"indicator--00000000-0000-4000-8001-%012d\",\"created\":" \
	"\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\"," \
	"\"name\":\"%s %03d " XSS "\",\"pattern\":\"[ipv4-addr:value = " \
	"'198.18.%d.%d']\",\"pattern_type\":\"stix\",\"valid_from\":" \
	"\"2024-01-01T00:00:00Z\"}"
#define REL_FMT "{\"type\":\"relationship\",\"spec_version\":\"2.1\"," \
	"\"id\":\"relationship--00000000-0000-4000-8002-%012d\",\"created\":" \
	"\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\"," \
	"\"relationship_type\":\"%s\",\"source_ref\":\"%s%012d\",\"target_ref\":" \
	"\"%s%s\"}"

/* The part of body from the element with id="name" to the next </div>. */
static const char *section_of(const char *body, const char *name, char *out,
			      size_t n)
{
	char want[64];
	const char *a, *e;

	tx_strfmt(want, sizeof(want), "id=\"%s\"", name);
	if ((a = strstr(body, want)) == NULL || (e = strstr(a, "</div>")) == NULL)
		return NULL;
	tx_strfmt(out, n, "%.*s", (int)(e - a), a);
	return out;
}

/* Item 5's neighbours with hundreds of them: grouped by relationship
 * type, capped, with a paged list of all and an SVG graph of the direct
 * neighbours, only objects the user may read. */
static void test_neighbours(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char reader[160], path[512], *sec = malloc(1 << 20);
	char *b = NULL;
	size_t len = 0, cap = 0, seen = 0, hidden_said = 0;

	{
		const char *c[] = { "collection", "add", "--dir", JP.dir, "--title",
				    "Graph secret", "--alias", "graph-secret", NULL };
		assert_int_equal(run_trilex(c, NULL, NULL, NULL), 0);
	}
	/* the hub, 150 indicators that indicate it, 3 tools it uses */
	bundle_add(&b, &len, &cap, "{\"type\":\"bundle\",\"id\":\"bundle--00000000-"
		   "0000-4000-8000-0000000000c0\",\"objects\":[{\"type\":"
		   "\"attack-pattern\",\"spec_version\":\"2.1\",\"id\":\"" HUB "\","
		   "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":"
		   "\"2024-01-01T00:00:00.000Z\",\"name\":\"Hub " XSS "\"}");
	for (int i = 0; i < N_CROWD; i++)
		bundle_add(&b, &len, &cap, "," IND_FMT, i, "Crowd", i, i / 100, i % 100);
	for (int i = 0; i < N_CROWD + N_HIDDEN; i++)
		bundle_add(&b, &len, &cap, "," REL_FMT, i, "indicates",
			   "indicator--00000000-0000-4000-8001-", i, "", HUB);
	for (int i = 0; i < 3; i++)
		bundle_add(&b, &len, &cap, ",{\"type\":\"tool\",\"spec_version\":"
			   "\"2.1\",\"id\":\"tool--00000000-0000-4000-8004-%012d\","
			   "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":"
			   "\"2024-01-01T00:00:00.000Z\",\"name\":\"Tool %d\"},"
			   "{\"type\":\"relationship\",\"spec_version\":\"2.1\","
			   "\"id\":\"relationship--00000000-0000-4000-8002-%012d\","
			   "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":"
			   "\"2024-01-01T00:00:00.000Z\",\"relationship_type\":\"uses\","
			   "\"source_ref\":\"" HUB "\",\"target_ref\":\"tool--00000000-"
			   "0000-4000-8004-%012d\"}", i, i, 1000 + i, i);
	bundle_add(&b, &len, &cap, "]}");
	push("main", b);
	/* five of the indicators are in a collection the reader may not read */
	len = 0;
	bundle_add(&b, &len, &cap, "{\"type\":\"bundle\",\"id\":\"bundle--00000000-"
		   "0000-4000-8000-0000000000c1\",\"objects\":[");
	for (int i = N_CROWD; i < N_CROWD + N_HIDDEN; i++)
		bundle_add(&b, &len, &cap, "%s" IND_FMT, i > N_CROWD ? "," : "", i,
			   "Secret crowd", i, i / 100, i % 100);
	bundle_add(&b, &len, &cap, "]}");
	push("graph-secret", b);
	free(b);
	sign_in(&JP, "reader", READER_PASSWORD, reader, r);

	/* the object page: one group per type and direction, its count, ten
	 * neighbours named, a link to all of them */
	req(&JP, "GET", "/console/object/" HUB, reader, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	assert_null(strstr(r->body, "Secret crowd"));
	assert_non_null(section_of(r->body, "rel-in", sec, 1 << 20));
	assert_non_null(strstr(sec, "<em>indicates</em> (155)"));
	assert_true(count_in(sec, ">Crowd ") <= 10);
	assert_true(count_in(sec, ">Crowd ") >= 5);
	assert_non_null(strstr(sec, "href=\"/console/neighbours/" HUB
			       "?dir=in&amp;rel=indicates\""));
	assert_non_null(section_of(r->body, "rel-out", sec, 1 << 20));
	assert_non_null(strstr(sec, "<em>uses</em> (3)"));
	assert_int_equal(count_in(sec, ">Tool "), 3);
	assert_null(strstr(sec, "class=\"more\""));
	assert_non_null(strstr(r->body, "href=\"/console/graph/" HUB "\""));

	/* all of them, a hundred a page; never the hidden ones' names */
	tx_strfmt(path, sizeof(path), "/console/neighbours/%s?dir=in&rel=indicates", HUB);
	for (int pages = 0; pages < 5; pages++) {
		const char *next, *e;
		req(&JP, "GET", path, reader, NULL, NULL, r);
		assert_int_equal(r->status, 200);
		assert_null(strstr(r->body, XSS_NEEDLE_1));
		assert_null(strstr(r->body, "Secret crowd"));
		seen += count_in(r->body, ">Crowd ");
		hidden_said += strstr(r->body, "5 more whose object you may not"
				      " read") != NULL;
		assert_true(count_in(r->body, ">Crowd ") <= 100);
		if ((next = strstr(r->body, "rel=\"next\" href=\"")) == NULL)
			break;
		next += strlen("rel=\"next\" href=\"");
		e = strchr(next, '"');
		tx_strfmt(path, sizeof(path), "%.*s", (int)(e - next), next);
		for (char *amp; (amp = strstr(path, "&amp;")) != NULL;)
			memmove(amp + 1, amp + 5, strlen(amp + 5) + 1);
	}
	assert_int_equal(seen, N_CROWD);
	assert_int_equal(hidden_said, 1);
	req(&JP, "GET", "/console/neighbours/" HUB "?dir=sideways&rel=indicates",
	    reader, NULL, NULL, r);
	assert_int_equal(r->status, 400);

	/* the graph: SVG drawn on the server, capped, each node a link */
	req(&JP, "GET", "/console/graph/" HUB, reader, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_null(strstr(r->body, XSS_NEEDLE_1));
	assert_null(strstr(r->body, XSS_NEEDLE_2));
	assert_null(strstr(r->body, "Secret crowd"));
	assert_non_null(strstr(r->body, "<svg id=\"graph\""));
	assert_true(count_in(r->body, "<circle") <= 41);
	assert_true(count_in(r->body, "<circle") >= 10);
	assert_non_null(strstr(r->body, "<a href=\"/console/object/tool--00000000-"
			       "0000-4000-8004-000000000000\">"));
	assert_non_null(strstr(r->body, "Not every neighbour is drawn"));
	/* an object the reader may not read has no graph */
	req(&JP, "GET", "/console/graph/indicator--00000000-0000-4000-8001-000000000150",
	    reader, NULL, NULL, r);
	assert_int_equal(r->status, 404);
	free(sec);
	free(r);
}

#define GREEN_REF "[\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"]"
#define AMBER_REF "[\"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421\"]"
#define SIGHTING(n, count, first, last, marking) "{\"type\":\"sighting\"," \
	"\"spec_version\":\"2.1\",\"id\":\"sighting--00000000-0000-4000-8000-" \
	"0000000005" n "\",\"created\":\"2024-02-01T00:00:00.000Z\",\"modified\":" \
	"\"2024-02-01T00:00:00.000Z\",\"count\":" count ",\"first_seen\":\"" first \
	"\",\"last_seen\":\"" last "\",\"sighting_of_ref\":\"indicator--00000000-" \
	"0000-4000-8000-000000000050\",\"object_marking_refs\":" marking "}"

/* The alert page's sightings: each with count, first and last seen and
 * source, only those in collections the user may read, and the section
 * marked with the most restrictive TLP of them and the alert. */
static void test_alert_sightings(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char admin[160], reader[160], sec[8192];
	const char *path = "/console/alert/report--00000000-0000-4000-8000-000000000052";
	const char *mk[] = { "collection", "add", "--dir", JP.dir, "--title",
			     "Sightings kept apart", "--alias", "apart", NULL };

	assert_int_equal(run_trilex(mk, NULL, NULL, NULL), 0);
	push("main", "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-"
	     "000000000050\",\"objects\":[{\"type\":\"indicator\",\"spec_version\":"
	     "\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000050\","
	     "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":"
	     "\"2024-01-01T00:00:00.000Z\",\"name\":\"Crane C2\",\"pattern\":"
	     "\"[ipv4-addr:value = '192.0.2.150']\",\"pattern_type\":\"stix\","
	     "\"valid_from\":\"2024-01-01T00:00:00Z\",\"object_marking_refs\":"
	     GREEN_REF "},{\"type\":\"report\",\"spec_version\":\"2.1\",\"id\":"
	     "\"report--00000000-0000-4000-8000-000000000052\",\"created\":"
	     "\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
	     "\"name\":\"Crane C2 alert\",\"published\":\"2024-01-01T00:00:00Z\","
	     "\"labels\":[\"trilex-alert\"],\"object_refs\":[\"indicator--00000000-"
	     "0000-4000-8000-000000000050\"],\"object_marking_refs\":" GREEN_REF "},"
	     SIGHTING("01", "3", "2024-02-01T08:00:00Z", "2024-02-03T09:30:00Z",
		      GREEN_REF) "]}");
	push("apart", "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-"
	     "000000000051\",\"objects\":[" SIGHTING("02", "41",
	     "2024-02-05T00:00:00Z", "2024-02-06T00:00:00Z", AMBER_REF) "]}");
	sign_in(&JP, "admin", "correct+horse+battery+staple", admin, r);
	sign_in(&JP, "reader", READER_PASSWORD, reader, r);
	req(&JP, "GET", path, admin, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(section_of(r->body, "sightings-section", sec, sizeof(sec)));
	assert_non_null(strstr(sec, "Sightings: 2</p>"));
	assert_non_null(strstr(sec, "<td>3</td>"));
	assert_non_null(strstr(sec, "<td>41</td>"));
	assert_non_null(strstr(sec, "2024-02-01T08:00:00"));
	assert_non_null(strstr(sec, "2024-02-03T09:30:00"));
	assert_non_null(strstr(sec, "this node"));
	assert_non_null(strstr(sec, ">Crane C2</a>")); /* the indicator, by name */
	/* the AMBER sighting makes the section AMBER */
	assert_non_null(strstr(sec, "<h2 id=\"h-sightings\">Sightings on this node"
			       " <span class=\"tlp tlp-amber\">"));
	/* the reader may read "main", not "apart": one sighting, GREEN */
	req(&JP, "GET", path, reader, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_non_null(section_of(r->body, "sightings-section", sec, sizeof(sec)));
	assert_non_null(strstr(sec, "Sightings: 1</p>"));
	assert_non_null(strstr(sec, "<td>3</td>"));
	assert_null(strstr(sec, "<td>41</td>"));
	assert_null(strstr(r->body, "sighting--00000000-0000-4000-8000-000000000502"));
	assert_non_null(strstr(sec, "<span class=\"tlp tlp-green\">"));
	assert_null(strstr(sec, "tlp-amber"));
	/* a partner's alert of this node's own: no forward section */
	assert_null(strstr(r->body, "forward-section"));
	free(r);
}

/* A watch list that cannot be read (here: more records than
 * WATCH_MAX_RECORDS) fails the alert page, 500 with the reason, and
 * `trilex alerts`, with the reason; before, both showed the alert with
 * nobody responsible, as if the AOR named no one (issue 19 item 6). */
static void test_alert_watch_unreadable(void **state)
{
	struct resp *r = malloc(sizeof(*r));
	char admin[160], path[256], id[96];
	char *out = NULL, *err = NULL;
	const char *mk[] = { "alert", "--dir", JP.dir, "--title", "Unroutable",
			     "--tlp", "amber", "--indicator",
			     "[ipv4-addr:value = '192.0.2.91']", NULL };
	const char *ls[] = { "alerts", "--dir", JP.dir, NULL };

	assert_non_null(r);
	assert_int_equal(run_trilex(mk, NULL, &out, NULL), 0);
	tx_strfmt(id, sizeof(id), "%.*s", (int)strcspn(out, " "), out);
	free(out);
	out = NULL;
	sign_in(&JP, "admin", "correct+horse+battery+staple", admin, r);
	tx_strfmt(path, sizeof(path), "/console/alert/%s", id);
	req(&JP, "GET", path, admin, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	/* 200,001 votes, one more than the state may hold */
	assert_int_equal(node_sql(&JP, "INSERT INTO objects (coll, id, type,"
		" spec_version, version, version_us, date_added, is_first, is_last,"
		" json) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1"
		" FROM c WHERE x < 200001) SELECT (SELECT MIN(pk) FROM collections),"
		" 'x-trilex-watch-vote--junk-' || x, 'x-trilex-watch-vote', '2.1',"
		" '2024-01-01T00:00:00Z', 1, 1, 1, 1, '{}' FROM c"), 0);
	req(&JP, "GET", path, admin, NULL, NULL, r);
	assert_int_equal(r->status, 500);
	assert_non_null(strstr(r->body, "The watch list could not be read"));
	assert_non_null(strstr(r->body, "more than 200000 objects of the watch list"));
	assert_int_not_equal(run_trilex(ls, NULL, &out, &err), 0);
	assert_non_null(err);
	assert_non_null(strstr(err, "cannot read the watch list to route the alerts"));
	assert_non_null(strstr(err, "more than 200000 objects"));
	/* and nothing of the alert was printed as if unrouted */
	assert_null(out ? strstr(out, "Unroutable") : NULL);
	free(out);
	free(err);
	out = err = NULL;
	assert_int_equal(node_sql(&JP, "DELETE FROM objects WHERE id LIKE"
				  " 'x-trilex-watch-vote--junk-%'"), 0);
	req(&JP, "GET", path, admin, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_int_equal(run_trilex(ls, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "Unroutable"));
	free(out);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signin),
		cmocka_unit_test(test_partners_cannot_sign_in),
		cmocka_unit_test(test_csrf_and_signout),
		cmocka_unit_test(test_grants_and_markup),
		cmocka_unit_test(test_alert_ack),
		cmocka_unit_test(test_search_api_and_cli),
		cmocka_unit_test(test_partners_page),
		cmocka_unit_test(test_feeds_page),
		cmocka_unit_test(test_warned_indicator),
		cmocka_unit_test(test_incident_assessment),
		cmocka_unit_test(test_incident_from_alert),
		cmocka_unit_test(test_watch_vote),
		cmocka_unit_test(test_partnership_page),
		cmocka_unit_test(test_supply_page),
		cmocka_unit_test(test_neighbours),
		cmocka_unit_test(test_alert_sightings),
		cmocka_unit_test(test_alert_watch_unreadable),
		cmocka_unit_test(test_guessing_backs_off),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
