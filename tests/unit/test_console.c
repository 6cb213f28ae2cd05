/*
 * tests/unit/test_console.c: the console's escaping, page writer, labels,
 * form fields and CSRF tokens, and the store parts it stands on: the
 * search index (values, CIDR, ATT&CK ids, words, types, paging, what a
 * caller may read, FTS5 syntax never reaching the query, the backfill of
 * an older database) and sessions (expiry, idle end, sign-out, locks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "console/internal.h"

/* ---- escaping and the page writer ---- */

static char *escaped(const char *s, size_t n)
{
	struct tx_buf b;

	tx_buf_init(&b, 0);
	assert_int_equal(console_html_escape(&b, s, n), TX_OK);
	return b.data ? tx_buf_take(&b) : strdup("");
}

static void test_escape(void **state)
{
	char *e = escaped("<script>alert(\"x\")</script>", 27);
	assert_string_equal(e, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
	free(e);
	e = escaped("a'b`c&d", 7);
	assert_string_equal(e, "a&#39;b&#96;c&amp;d");
	free(e);
	/* NUL and control bytes never reach the page as they are */
	e = escaped("a\0b\x1b[31m\tc\n", 11);
	assert_string_equal(e, "a\xef\xbf\xbd" "b\xef\xbf\xbd[31m\tc\n");
	free(e);
	e = escaped("日本語 plain", strlen("日本語 plain"));
	assert_string_equal(e, "日本語 plain");
	free(e);
}

static void test_html_put(void **state)
{
	struct page p = { 0 };

	tx_buf_init(&p.b, 0);
	p.lang = CONSOLE_JA;
	console_html_put(&p, "<a href=\"/x?q=%u\">%s</a> %d %l %L 100%%", "a b&c/<",
		 "<b>\"x\"</b>", 7, (int64_t)1 << 40, L_SIGN_IN);
	assert_int_equal(p.rc, TX_OK);
	assert_string_equal(p.b.data, "<a href=\"/x?q=a%20b%26c%2F%3C\">&lt;b&gt;"
			    "&quot;x&quot;&lt;/b&gt;</a> 7 1099511627776"
			    " サインイン 100%");
	tx_buf_free(&p.b);
	/* a page past its cap is an error, not a truncated page */
	memset(&p, 0, sizeof(p));
	tx_buf_init(&p.b, 16);
	console_html_put(&p, "%s", "0123456789abcdefghijklmnop");
	assert_int_equal(p.rc, TX_ERR_TOOBIG);
	tx_buf_free(&p.b);
}

static void test_labels(void **state)
{
	assert_int_equal(console_label_missing(CONSOLE_EN), -1);
	assert_int_equal(console_label_missing(CONSOLE_JA), -1);
	assert_string_equal(console_label(CONSOLE_EN, L_SIGN_OUT), "Sign out");
	assert_string_equal(console_label(CONSOLE_JA, L_SIGN_OUT), "サインアウト");
	assert_string_equal(console_label(99, L_SIGN_OUT), "Sign out");
	assert_int_equal(console_lang_parse("ja"), CONSOLE_JA);
	assert_int_equal(console_lang_parse("fr"), -1);
}

static void test_form_field(void **state)
{
	const char *body = "user=Al%69ce+B&password=p%26ss%3D1&csrf=abc&empty=";
	char out[32];

	assert_int_equal(console_form_field(body, strlen(body), "user", out, sizeof(out)), 0);
	assert_string_equal(out, "Alice B");
	assert_int_equal(console_form_field(body, strlen(body), "password", out,
				    sizeof(out)), 0);
	assert_string_equal(out, "p&ss=1");
	assert_int_equal(console_form_field(body, strlen(body), "empty", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(console_form_field(body, strlen(body), "pass", out, sizeof(out)), -1);
	assert_int_equal(console_form_field("a=%zz", 5, "a", out, sizeof(out)), -1);
	assert_int_equal(console_form_field("a=%00", 5, "a", out, sizeof(out)), -1);
	assert_int_equal(console_form_field("a=0123456789", 12, "a", out, 8), -1);
	/* the body's length counts, not a NUL */
	assert_int_equal(console_form_field("a=12&b=3", 4, "b", out, sizeof(out)), -1);
}

static void test_csrf(void **state)
{
	char a[CONSOLE_CSRF_BUF], b[CONSOLE_CSRF_BUF], form[128];

	console_session_csrf("tx_cookie-one", a);
	console_session_csrf("tx_cookie-two", b);
	assert_int_equal(strlen(a), CONSOLE_CSRF_BUF - 1);
	assert_string_not_equal(a, b);
	snprintf(form, sizeof(form), "x=1&csrf=%s", a);
	assert_true(console_session_csrf_ok(form, strlen(form), "tx_cookie-one"));
	assert_false(console_session_csrf_ok(form, strlen(form), "tx_cookie-two"));
	assert_false(console_session_csrf_ok(form, strlen(form), NULL));
	assert_false(console_session_csrf_ok("x=1", 3, "tx_cookie-one"));
	form[strlen(form) - 1] ^= 1;
	assert_false(console_session_csrf_ok(form, strlen(form), "tx_cookie-one"));
}

/* ---- the store: search ---- */

struct fixture {
	char dir[64], path[96];
	tx_store *st;
	struct store_collection a, b;
};

static void put(struct fixture *f, int64_t pk, const char *json)
{
	struct tx_error err = { 0 };
	char sid[TX_UUID_BUF];
	json_t *o = json_loads(json, 0, NULL);
	struct store_item it = { 0 };

	assert_non_null(o);
	it.obj = o;
	it.id = json_string_value(json_object_get(o, "id"));
	assert_int_equal(store_put_objects(f->st, pk, NULL, &it, 1, sid, &err), TX_OK);
	json_decref(o);
}

#define OBJ(type, n, extra) "{\"type\":\"" type "\",\"spec_version\":\"2.1\"," \
	"\"id\":\"" type "--00000000-0000-4000-8000-00000000000" n "\"," \
	"\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":" \
	"\"2024-01-01T00:00:00.000Z\"," extra "}"
#define ID(type, n) type "--00000000-0000-4000-8000-00000000000" n

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tx_error err = { 0 };

	snprintf(f->dir, sizeof(f->dir), "/tmp/trilex-console-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	if (store_open(f->path, 1, &f->st, &err) != TX_OK ||
	    store_collection_ensure(f->st, "A", "", "a", &f->a, &err) != TX_OK ||
	    store_collection_ensure(f->st, "B", "", "b", &f->b, &err) != TX_OK)
		return -1;
	put(f, f->a.pk, OBJ("indicator", "1", "\"name\":\"Beacon host\","
	    "\"description\":\"Seen with the phishing kit of the campaign\","
	    "\"pattern\":\"[ipv4-addr:value = '203.0.113.7'] AND"
	    " [file:hashes.'SHA-256' = 'aa11bb22'] AND [x:y = t'2024-01-01T00:00:00Z']\","
	    "\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\""));
	put(f, f->a.pk, OBJ("attack-pattern", "2", "\"name\":\"Spearphishing\","
	    "\"external_references\":[{\"source_name\":\"mitre-attack\","
	    "\"external_id\":\"T0801\"}]"));
	put(f, f->a.pk, OBJ("relationship", "3", "\"relationship_type\":"
	    "\"indicates\",\"source_ref\":\"" ID("indicator", "1") "\","
	    "\"target_ref\":\"" ID("attack-pattern", "2") "\""));
	put(f, f->b.pk, OBJ("indicator", "4", "\"name\":\"Secret beacon\","
	    "\"description\":\"phishing, only in B\",\"pattern\":"
	    "\"[domain-name:value = 'evil.example']\",\"pattern_type\":\"stix\","
	    "\"valid_from\":\"2024-01-01T00:00:00Z\""));
	put(f, f->a.pk, OBJ("indicator", "5", "\"name\":\"Net\",\"pattern\":"
	    "\"[ipv4-addr:value = '198.51.100.0/24']\",\"pattern_type\":\"stix\","
	    "\"valid_from\":\"2024-01-01T00:00:00Z\""));
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

struct ids {
	char id[8][96];
	size_t n;
};

static int collect(void *ctx, const struct store_row *row)
{
	struct ids *ids = ctx;

	if (ids->n < 8)
		snprintf(ids->id[ids->n++], sizeof(ids->id[0]), "%s", row->id);
	return STORE_ROW_NEXT;
}

static size_t search(struct fixture *f, const char *text, const int64_t *colls,
		     size_t n_colls, struct ids *ids)
{
	struct store_search q = { .text = text, .colls = colls,
				  .n_colls = n_colls, .limit = 10 };
	struct store_search_page pg;
	struct tx_error err = { 0 };

	memset(ids, 0, sizeof(*ids));
	assert_int_equal(store_search(f->st, &q, collect, ids, &pg, &err), TX_OK);
	return ids->n;
}

static void test_search_values(void **state)
{
	struct fixture *f = *state;
	int64_t both[2] = { f->a.pk, f->b.pk }, only_a[1] = { f->a.pk };
	struct ids ids;

	assert_int_equal(search(f, "203.0.113.7", both, 2, &ids), 1);
	assert_string_equal(ids.id[0], ID("indicator", "1"));
	/* a value is a whole: .7 does not find .70, nor 113.7 alone a word */
	assert_int_equal(search(f, "203.0.113.70", both, 2, &ids), 0);
	assert_int_equal(search(f, "203.0.113.0/24", both, 2, &ids), 1);
	assert_int_equal(search(f, "198.51.100.0/16", both, 2, &ids), 1);
	assert_string_equal(ids.id[0], ID("indicator", "5"));
	assert_int_equal(search(f, "T0801", both, 2, &ids), 1);
	assert_string_equal(ids.id[0], ID("attack-pattern", "2"));
	assert_int_equal(search(f, "t0801", both, 2, &ids), 1);
	assert_int_equal(search(f, "AA11BB22", both, 2, &ids), 1);
	assert_int_equal(search(f, "evil.example", both, 2, &ids), 1);
	/* timestamps of a pattern are no values */
	assert_int_equal(search(f, "2024-01-01T00:00:00Z", both, 2, &ids), 0);
	/* words of names and descriptions, every word required */
	assert_int_equal(search(f, "phishing", both, 2, &ids), 2);
	assert_int_equal(search(f, "phishing campaign", both, 2, &ids), 1);
	assert_int_equal(search(f, "spearphishing", both, 2, &ids), 1);
	/* only the collections listed: B's object is not found from A */
	assert_int_equal(search(f, "phishing", only_a, 1, &ids), 1);
	assert_string_equal(ids.id[0], ID("indicator", "1"));
	assert_int_equal(search(f, "evil.example", only_a, 1, &ids), 0);
	assert_int_equal(search(f, "phishing", NULL, 0, &ids), 0);
}

static void test_search_syntax(void **state)
{
	struct fixture *f = *state;
	int64_t both[2] = { f->a.pk, f->b.pk };
	struct store_search q = { .colls = both, .n_colls = 2, .limit = 10 };
	struct store_search_page pg;
	struct tx_error err = { 0 };
	struct ids ids;
	char big[STORE_SEARCH_TEXT_MAX + 2];

	/* FTS5 operators are words like others, never syntax */
	assert_int_equal(search(f, "phishing OR nothing", both, 2, &ids), 0);
	assert_int_equal(search(f, "\"phishing\" NEAR( * ^ {name} : -", both, 2,
				&ids), 0);
	assert_int_equal(search(f, "beacon*", both, 2, &ids), 2);
	q.text = "   ";
	assert_int_equal(store_search(f->st, &q, collect, &ids, &pg, &err),
			 TX_ERR_INVALID);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	q.text = big;
	assert_int_equal(store_search(f->st, &q, collect, &ids, &pg, &err),
			 TX_ERR_TOOBIG);
	q.text = "a b c d e f g h i j k l m n o p q";
	assert_int_equal(store_search(f->st, &q, collect, &ids, &pg, &err),
			 TX_ERR_INVALID);
}

static void test_search_pages_types_refs(void **state)
{
	struct fixture *f = *state;
	int64_t both[2] = { f->a.pk, f->b.pk };
	struct store_search q = { .text = "beacon", .colls = both, .n_colls = 2,
				  .limit = 1 };
	struct store_search_page pg;
	struct store_search_type types[8];
	struct tx_error err = { 0 };
	struct ids ids = { 0 };
	size_t n = 0;

	assert_int_equal(store_search(f->st, &q, collect, &ids, &pg, &err), TX_OK);
	assert_int_equal(pg.n, 1);
	assert_true(pg.more);
	q.before = pg.next;
	assert_int_equal(store_search(f->st, &q, collect, &ids, &pg, &err), TX_OK);
	assert_int_equal(pg.n, 1);
	assert_false(pg.more);
	assert_string_not_equal(ids.id[0], ids.id[1]);
	q.text = "phishing";
	assert_int_equal(store_search_types(f->st, &q, 100, types, 8, &n, &err), TX_OK);
	assert_int_equal(n, 1);
	assert_string_equal(types[0].type, "indicator");
	assert_int_equal(types[0].count, 2);
	/* counts stop at the cap */
	assert_int_equal(store_search_types(f->st, &q, 1, types, 8, &n, &err), TX_OK);
	assert_int_equal(types[0].count, 1);
	/* what refers to an object */
	q.text = ID("attack-pattern", "2");
	q.before = 0;
	q.limit = 10;
	memset(&ids, 0, sizeof(ids));
	assert_int_equal(store_search_refs(f->st, &q, collect, &ids, &pg, &err), TX_OK);
	assert_int_equal(ids.n, 1);
	assert_string_equal(ids.id[0], ID("relationship", "3"));
}

static void test_search_delete_and_backfill(void **state)
{
	struct fixture *f = *state;
	int64_t both[2] = { f->a.pk, f->b.pk };
	struct store_query dq = { .collection_pk = f->b.pk };
	struct tx_error err = { 0 };
	struct ids ids;
	sqlite3 *db;

	assert_int_equal(store_delete_object(f->st, &dq, ID("indicator", "4"), &err),
			 TX_OK);
	assert_int_equal(search(f, "evil.example", both, 2, &ids), 0);
	/* A database from before the index: its objects are indexed at the
	 * next open. */
	store_close(f->st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM search_text;"
				      " DELETE FROM search_ip; DELETE FROM search_refs;"
				      " INSERT INTO search_todo VALUES (0);",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->path, 0, &f->st, &err), TX_OK);
	f->st = f->st;
	assert_int_equal(search(f, "203.0.113.7", both, 2, &ids), 1);
	assert_int_equal(search(f, "198.51.100.9", both, 2, &ids), 0);
	assert_int_equal(search(f, "198.51.100.0/24", both, 2, &ids), 1);
}

/* ---- the store: sessions ---- */

static void test_sessions(void **state)
{
	struct fixture *f = *state;
	struct tx_error err = { 0 };
	struct store_session s;
	struct store_user u;
	int64_t now = 1000000000000000LL, idle = 600LL * 1000000, prev = -1;

	assert_int_equal(store_user_add(f->st, "carol", "x", 0, &err), TX_OK);
	assert_int_equal(store_user_get(f->st, "carol", &u, NULL, 0), TX_OK);
	assert_int_equal(store_session_add(f->st, "h1", u.id, now, now + 3600000000LL,
					   &err), TX_OK);
	assert_int_equal(store_session_get(f->st, "h1", now + 1, idle, &s), TX_OK);
	assert_string_equal(s.user.name, "carol");
	assert_int_equal(store_session_get(f->st, "h2", now + 1, idle, &s),
			 TX_ERR_NOTFOUND);
	/* idle: used at now+1 (no write: within a minute), not after */
	assert_int_equal(store_session_get(f->st, "h1", now + idle + 2, idle, &s),
			 TX_ERR_NOTFOUND);
	/* used in time, it lives on until its end */
	assert_int_equal(store_session_get(f->st, "h1", now + idle - 1, idle, &s),
			 TX_OK);
	assert_int_equal(store_session_get(f->st, "h1", now + 2 * idle - 2, idle, &s),
			 TX_OK);
	assert_int_equal(store_session_get(f->st, "h1", now + 3600000000LL, 3600000000LL,
					   &s), TX_ERR_NOTFOUND);
	/* a locked account has no session */
	assert_int_equal(store_session_add(f->st, "h3", u.id, now, now + 3600000000LL,
					   &err), TX_OK);
	assert_int_equal(store_user_set_locked(f->st, "carol", 1, &err), TX_OK);
	assert_int_equal(store_session_get(f->st, "h3", now + 1, idle, &s),
			 TX_ERR_NOTFOUND);
	assert_int_equal(store_user_set_locked(f->st, "carol", 0, &err), TX_OK);
	assert_int_equal(store_session_get(f->st, "h3", now + 1, idle, &s), TX_OK);
	assert_int_equal(store_session_delete(f->st, "h3", &err), TX_OK);
	assert_int_equal(store_session_get(f->st, "h3", now + 1, idle, &s),
			 TX_ERR_NOTFOUND);
	/* language and visits */
	assert_int_equal(store_console_set_lang(f->st, u.id, "ja", &err), TX_OK);
	assert_int_equal(store_console_visit(f->st, u.id, 5, &prev, &err), TX_OK);
	assert_int_equal(prev, 0);
	assert_int_equal(store_console_visit(f->st, u.id, 9, &prev, &err), TX_OK);
	assert_int_equal(prev, 5);
	assert_int_equal(store_session_add(f->st, "h4", u.id, now, now + 3600000000LL,
					   &err), TX_OK);
	assert_int_equal(store_session_get(f->st, "h4", now + 1, idle, &s), TX_OK);
	assert_string_equal(s.lang, "ja");
	assert_int_equal(s.last_visit, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_html_put),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_form_field),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test_setup_teardown(test_search_values, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_search_syntax, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_search_pages_types_refs,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_search_delete_and_backfill,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_sessions, fixture_setup,
						fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
