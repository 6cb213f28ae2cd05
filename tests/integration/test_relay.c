/*
 * tests/integration/test_relay.c: forwarding a partner's alert (issue 16,
 * item 3) between three real nodes on loopback. JP's alerts collection is
 * shared with UK only; UK forwards JP's GREEN alert (CLI, then console) to
 * US, which holds it with JP as origin under JP's signature; the forward
 * is in UK's audit trail. An AMBER alert is refused at UK by the CLI and
 * the console; a GREEN alert JP sent `--to UK` (named recipients) too; at
 * US, a relay UK altered, an AMBER object and a named-recipients object UK
 * passes on by hand are refused.
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

#include "console_client.h"
#include "federation/federation.h"
#include "harness.h"

static struct node JP, UK, US;

static int setup(void **state)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (node_create_as(&JP, "JP", NULL) || node_create_as(&UK, "UK", NULL) ||
	    node_create_as(&US, "US", NULL) || node_pair(&JP, &UK) ||
	    node_pair(&JP, &US) || node_pair(&UK, &US) || node_start(&JP) ||
	    node_start(&UK) || node_start(&US))
		return -1;
	/* what JP alerts goes to UK only, by its collection's sharing (no
	 * recipients named on the alerts themselves) */
	const char *share[] = { "collection", "add", "--dir", JP.dir, "--title",
				"Alerts", "--alias", "alerts", "--share", "UK", NULL };
	char *out = NULL, *err = NULL;
	int rc = run_trilex(share, NULL, &out, &err);
	free(out);
	free(err);
	return rc == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	int rc = node_stop(&JP) | node_stop(&UK) | node_stop(&US);

	node_destroy(&JP);
	node_destroy(&UK);
	node_destroy(&US);
	return rc == 0 ? 0 : -1;
}

struct want {
	const char *coll;
	char query[200];
};

static int reached(const struct node *n, void *arg)
{
	const struct want *w = arg;

	return count_objects(n, w->coll, w->query) >= 1;
}

/* JP's alert at tlp, which reaches UK only (by the collection's sharing;
 * with to, "UK", also by naming it as the only recipient): its id into
 * id. */
static void jp_alert(const char *tlp, const char *to, const char *title,
		     const char *ip, char id[96])
{
	char pattern[96], *out = NULL;
	const char *args[] = { "alert", "--dir", JP.dir, "--title", title, "--tlp",
			       tlp, "--indicator", pattern, to ? "--to" : NULL,
			       to, NULL };

	tx_strfmt(pattern, sizeof(pattern), "[ipv4-addr:value = '%s']", ip);
	assert_int_equal(run_trilex(args, NULL, &out, NULL), 0);
	tx_strfmt(id, 96, "%.*s", (int)strcspn(out, " "), out);
	free(out);
	struct want w = { "inbox-JP", "" };
	tx_strfmt(w.query, sizeof(w.query), "match[id]=%s", id);
	assert_true(wait_for(reached, &UK, &w, 15000));
}

/* The object id as UK stored it (the text JP signed), caller frees. */
static char *stored_at_uk(const char *id)
{
	struct http_resp r;
	char path[256];
	char *text;

	tx_strfmt(path, sizeof(path), "/api/collections/inbox-JP/objects/%s/", id);
	assert_int_equal(http(&UK, "GET", path, "token", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	text = json_dumps(json_array_get(json_object_get(r.json, "objects"), 0),
			  JSON_COMPACT);
	http_free(&r);
	assert_non_null(text);
	return text;
}

/* Post objects to US as UK does: the first failure's message ("" when
 * none), caller frees. */
static char *uk_posts_to_us(const char *objects_json)
{
	struct http_resp r;
	char *body = malloc(strlen(objects_json) + 32), *m;

	assert_non_null(body);
	sprintf(body, "{\"objects\":[%s]}", objects_json);
	assert_int_equal(http_cert(&US, UK.dir, "POST",
				   "/api/collections/inbox-UK/objects/", body, &r), 0);
	assert_int_equal(r.status, 202);
	const char *msg = json_string_value(json_object_get(json_array_get(
		json_object_get(r.json, "failures"), 0), "message"));
	m = strdup(msg ? msg : "");
	http_free(&r);
	free(body);
	return m;
}

static void test_forward_green(void **state)
{
	char id[96], *out = NULL, *err = NULL;
	const char *fwd[] = { "alert", "forward", "--dir", UK.dir, id, "--to", "US",
			      NULL };
	const char *back[] = { "alert", "forward", "--dir", UK.dir, id, "--to", "JP",
			       NULL };

	jp_alert("green", NULL, "Beacon on harbour cranes", "198.51.100.23", id);
	assert_int_equal(count_objects(&US, "inbox-JP", "match[type]=report"), 0);
	/* not to its origin */
	assert_int_equal(run_trilex(back, NULL, &out, &err), 1);
	assert_non_null(strstr(err, "JP made it"));
	free(out);
	free(err);
	assert_int_equal(run_trilex(fwd, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "forwarded to US: 2 objects as JP signed them"));
	free(out);
	/* US holds it from UK, made and signed by JP, with its indicator */
	struct want w = { "inbox-UK", "" };
	tx_strfmt(w.query, sizeof(w.query), "match[id]=%s", id);
	assert_true(wait_for(reached, &US, &w, 15000));
	assert_int_equal(count_objects(&US, "inbox-UK", "match[type]=indicator"), 1);
	const char *ls[] = { "alerts", "--dir", US.dir, "--json", NULL };
	assert_int_equal(run_trilex(ls, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "Beacon on harbour cranes"));
	assert_non_null(strstr(out, "\"origin\":\"JP\""));
	assert_null(strstr(out, "\"origin\":\"UK\""));
	free(out);
	struct http_resp r;
	char path[256];
	tx_strfmt(path, sizeof(path), "/api/collections/inbox-UK/objects/%s/", id);
	assert_int_equal(http(&US, "GET", path, "token", NULL, NULL, NULL, 0, &r), 0);
	json_t *sig = json_object_get(json_object_get(json_array_get(json_object_get(
		r.json, "objects"), 0), "extensions"), FED_SIG_EXT);
	assert_string_equal(json_string_value(json_object_get(sig, "signer_party")),
			    "JP");
	http_free(&r);
	/* UK's audit trail says who forwarded what to whom */
	const char *audit[] = { "audit", "list", "--dir", UK.dir, NULL };
	assert_int_equal(run_trilex(audit, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "alert.forward"));
	assert_non_null(strstr(out, "to US; origin JP, TLP:green"));
	free(out);

	/* the console on UK offers US (not JP, which made it) and forwards */
	struct resp *cr = malloc(sizeof(*cr));
	char cookie[160], csrf[80], form[200];
	sign_in(&UK, "admin", "correct+horse+battery+staple", cookie, cr);
	tx_strfmt(path, sizeof(path), "/console/alert/%s", id);
	req(&UK, "GET", path, cookie, NULL, NULL, cr);
	assert_int_equal(cr->status, 200);
	assert_non_null(strstr(cr->body, "<option value=\"US\">"));
	assert_null(strstr(cr->body, "<option value=\"JP\">"));
	csrf_of(cr, csrf);
	tx_strfmt(path, sizeof(path), "/console/forward/%s", id);
	req(&UK, "POST", path, cookie, "to=US", NULL, cr);
	assert_int_equal(cr->status, 403); /* no CSRF token */
	tx_strfmt(form, sizeof(form), "csrf=%s&to=US", csrf);
	req(&UK, "POST", path, cookie, form, NULL, cr);
	assert_int_equal(cr->status, 303);
	assert_non_null(strstr(cr->headers, "forwarded=US"));
	assert_int_equal(run_trilex(audit, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "user:admin"));
	free(out);
	free(cr);
}

/*
 * UK may not pass JP's alert id on to US: `alert forward` fails saying
 * cli_why; the console's alert page shows the line hint (an element id)
 * and no form, and a POST anyway is refused with post_why (as HTML); and
 * the text UK passes on by hand is refused at US, saying us_why.
 */
static void refused_everywhere(const char *id, const char *cli_why,
			       const char *hint, const char *post_why,
			       const char *us_why)
{
	char *out = NULL, *err = NULL, path[256], csrf[80], form[200], cookie[160];
	const char *fwd[] = { "alert", "forward", "--dir", UK.dir, id, "--to", "US",
			      NULL };
	struct resp *cr = malloc(sizeof(*cr));

	assert_int_equal(run_trilex(fwd, NULL, &out, &err), 1);
	assert_non_null(strstr(err, cli_why));
	free(out);
	free(err);
	sign_in(&UK, "admin", "correct+horse+battery+staple", cookie, cr);
	tx_strfmt(path, sizeof(path), "/console/alert/%s", id);
	req(&UK, "GET", path, cookie, NULL, NULL, cr);
	assert_int_equal(cr->status, 200);
	tx_strfmt(form, sizeof(form), "id=\"%s\"", hint);
	assert_non_null(strstr(cr->body, form));
	assert_null(strstr(cr->body, "action=\"/console/forward/"));
	csrf_of(cr, csrf);
	tx_strfmt(path, sizeof(path), "/console/forward/%s", id);
	tx_strfmt(form, sizeof(form), "csrf=%s&to=US", csrf);
	req(&UK, "POST", path, cookie, form, NULL, cr);
	assert_int_equal(cr->status, 403);
	assert_non_null(strstr(cr->body, post_why));
	free(cr);

	char *text = stored_at_uk(id);
	char *m = uk_posts_to_us(text);
	assert_non_null(strstr(m, us_why));
	free(m);
	free(text);
	struct want w = { "inbox-UK", "" };
	tx_strfmt(w.query, sizeof(w.query), "match[id]=%s", id);
	assert_int_equal(count_objects(&US, w.coll, w.query), 0);
}

static void test_forward_amber_refused(void **state)
{
	char id[96];

	jp_alert("amber", NULL, "Loader in rail signalling", "198.51.100.24", id);
	refused_everywhere(id, "TLP:amber: only TLP:CLEAR and TLP:GREEN alerts may"
			   " be forwarded; AMBER and RED are JP's to share",
			   "forward-tlp", "AMBER and RED are JP&#39;s to share",
			   "relayed by UK, made by JP");
}

/* A relay UK altered does not hold JP's signature: refused at US. */
static void test_forged_relay_refused(void **state)
{
	char id[96];

	jp_alert("green", NULL, "Scanner on water utilities", "198.51.100.25", id);
	char *text = stored_at_uk(id);
	json_t *o = json_loads(text, 0, NULL);
	json_object_set_new(o, "name", json_string("Nothing to see (UK says)"));
	char *forged = json_dumps(o, JSON_COMPACT);
	char *m = uk_posts_to_us(forged);
	assert_true(m[0] != '\0');
	assert_non_null(strstr(m, "altered"));
	free(m);
	struct want w = { "inbox-UK", "" };
	tx_strfmt(w.query, sizeof(w.query), "match[id]=%s", id);
	assert_int_equal(count_objects(&US, w.coll, w.query), 0);
	json_decref(o);
	free(forged);
	free(text);
}

/*
 * JP names UK as the only recipient of a GREEN alert: the named recipients
 * bind UK too. UK's CLI and console refuse to forward it (no form, the
 * reason instead), and US refuses the text UK passes on by hand.
 */
static void test_named_recipients_bind(void **state)
{
	char id[96];

	jp_alert("green", "UK", "Beacon in port logistics", "198.51.100.26", id);
	refused_everywhere(id, "JP sent it to UK only (its named recipients): ask"
			   " JP to send it to US", "forward-named",
			   "JP sent it to UK only",
			   "relayed by UK, made by JP for UK only");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_green),
		cmocka_unit_test(test_forward_amber_refused),
		cmocka_unit_test(test_forged_relay_refused),
		cmocka_unit_test(test_named_recipients_bind),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
