/* Unit tests of store/: schema, accounts, versions, queries, cursors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	tx_store *st = NULL;

	snprintf(dir, sizeof(dir), "/tmp/trilex-store-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/t.db", dir);
	if (store_open(path, 1, &st, NULL) != TX_OK)
		return -1;
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	store_close(*state);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static json_t *obj(int i, const char *modified)
{
	char id[80];

	snprintf(id, sizeof(id), "indicator--00000000-0000-4000-8000-%012d", i);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "indicator",
			 "spec_version", "2.1", "id", id, "created",
			 "2020-01-01T00:00:00Z", "modified", modified);
}

static void test_schema_and_reopen(void **state)
{
	tx_store *st = *state, *again = NULL;
	struct tx_error err = { 0 };

	assert_true(store_schema_version(st) >= 1);
	assert_int_equal(store_open(path, 1, &again, &err), TX_ERR_EXISTS);
	assert_int_equal(store_open(path, 0, &again, &err), TX_OK);
	assert_int_equal(store_schema_version(again), store_schema_version(st));
	store_close(again);
	assert_int_equal(store_open("/nonexistent/x.db", 0, &again, &err),
			 TX_ERR_NOTFOUND);
}

static void test_accounts_and_grants(void **state)
{
	tx_store *st = *state;
	struct store_user u, v;
	struct store_collection c, *list = NULL;
	struct tx_error err = { 0 };
	char id[TX_UUID_BUF], hash[128];
	size_t n;

	assert_int_equal(store_user_add(st, "alice", "$hash$", 0, &err), TX_OK);
	assert_int_equal(store_user_add(st, "alice", "$hash$", 0, &err), TX_ERR_EXISTS);
	assert_int_equal(store_user_add(st, "bad name", "$h", 0, &err), TX_ERR_INVALID);
	assert_int_equal(store_user_get(st, "alice", &u, hash, sizeof(hash)), TX_OK);
	assert_string_equal(hash, "$hash$");
	assert_int_equal(store_token_add(st, "alice", "abc123", &err), TX_OK);
	assert_int_equal(store_user_by_token(st, "abc123", &v), TX_OK);
	assert_int_equal(v.id, u.id);
	assert_int_equal(store_user_by_token(st, "nope", &v), TX_ERR_NOTFOUND);

	assert_int_equal(store_collection_add(st, "T", "D", "alias1", id, &err), TX_OK);
	assert_int_equal(store_collection_add(st, "T2", NULL, "alias1", id, &err),
			 TX_ERR_EXISTS);
	assert_int_equal(store_collection_add(st, "", NULL, NULL, id, &err),
			 TX_ERR_INVALID);
	assert_int_equal(store_collection_get(st, &u, "alias1", &c), TX_ERR_NOTFOUND);
	assert_int_equal(store_collection_list(st, &u, &list, &n), TX_OK);
	assert_int_equal(n, 0);
	free(list);
	assert_int_equal(store_grant(st, "alice", "alias1", 1, 0, &err), TX_OK);
	assert_int_equal(store_collection_get(st, &u, "alias1", &c), TX_OK);
	assert_true(c.can_read);
	assert_false(c.can_write);
	assert_int_equal(store_grant(st, "alice", "alias1", 0, 1, &err), TX_OK);
	assert_int_equal(store_collection_get(st, &u, c.id, &c), TX_OK);
	assert_false(c.can_read);
	assert_true(c.can_write);
	assert_int_equal(store_grant(st, "bob", "alias1", 1, 0, &err), TX_ERR_NOTFOUND);
}

struct collect {
	int n;
	char versions[16][40];
	int64_t added[16];
};

static int collect_row(void *ctx, const struct store_row *row)
{
	struct collect *c = ctx;

	if (c->n < 16) {
		snprintf(c->versions[c->n], 40, "%s", row->version);
		c->added[c->n] = row->date_added;
	}
	c->n++;
	return 0;
}

/* User names: stored lower-cased, found in any case, "peer-" reserved;
 * locking and unlocking. */
static void test_user_names_and_lock(void **state)
{
	tx_store *st = *state;
	struct store_user u;
	struct tx_error err = { 0 };

	assert_int_equal(store_user_add(st, "Bob.Smith", "$h1", 0, &err), TX_OK);
	assert_int_equal(store_user_get(st, "bob.smith", &u, NULL, 0), TX_OK);
	assert_string_equal(u.name, "bob.smith");
	assert_int_equal(store_user_get(st, "BOB.SMITH", &u, NULL, 0), TX_OK);
	assert_int_equal(store_user_add(st, "BOB.smith", "$h2", 0, &err),
			 TX_ERR_EXISTS);
	assert_non_null(strstr(err.msg, "already exists"));
	assert_int_equal(store_user_add(st, "peer-UK", "$h", 0, &err),
			 TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "reserved for partner accounts"));
	assert_int_equal(store_user_add(st, "PEER-uk", "$h", 0, &err),
			 TX_ERR_INVALID);
	assert_int_equal(store_user_add(st, "peerless", "$h", 0, &err), TX_OK);

	assert_false(u.locked);
	assert_int_equal(store_user_set_locked(st, "Bob.Smith", 1, &err), TX_OK);
	assert_int_equal(store_user_get(st, "bob.smith", &u, NULL, 0), TX_OK);
	assert_true(u.locked);
	assert_int_equal(store_user_set_locked(st, "bob.smith", 0, &err), TX_OK);
	assert_int_equal(store_user_get(st, "bob.smith", &u, NULL, 0), TX_OK);
	assert_false(u.locked);
	assert_int_equal(store_user_set_locked(st, "nobody", 0, &err),
			 TX_ERR_NOTFOUND);
}

static void test_versions_pages_and_delete(void **state)
{
	tx_store *st = *state;
	struct store_user admin = { .id = 0, .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	struct store_page pg;
	char id[TX_UUID_BUF], sid[TX_UUID_BUF];
	json_t *a = obj(1, "2020-03-01T00:00:00Z"), *b = obj(1, "2020-01-01T00:00:00Z");
	json_t *d = obj(1, "2020-02-01T00:00:00Z"), *e = obj(2, "2020-01-01T00:00:00Z");
	struct store_item items[] = {
		{ .obj = a, .id = "x" }, { .obj = b, .id = "x" },
		{ .id = "bad", .message = "broken" }, { .obj = d, .id = "x" },
		{ .obj = e, .id = "y" }, { .obj = a, .id = "x" },
	};

	assert_int_equal(store_collection_add(st, "V", NULL, "v", id, &err), TX_OK);
	assert_int_equal(store_collection_get(st, &admin, "v", &c), TX_OK);
	assert_int_equal(store_put_objects(st, c.pk, &admin, items, 6, sid, &err), TX_OK);
	json_t *status = NULL;
	assert_int_equal(store_status_get(st, &admin, sid, &status), TX_OK);
	assert_int_equal(json_integer_value(json_object_get(status, "success_count")), 5);
	assert_int_equal(json_integer_value(json_object_get(status, "failure_count")), 1);
	/* the status as text (what the server sends) is the same resource */
	struct tx_buf tb;
	tx_buf_init(&tb, 0);
	assert_int_equal(store_status_text(st, &admin, sid, 1, &tb), TX_OK);
	json_t *as_text = json_loadb(tb.data, tb.len, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(as_text);
	assert_true(json_equal(as_text, status));
	json_decref(as_text);
	tx_buf_free(&tb);
	/* without the successes (what a partner is sent): the same but for
	 * that one list */
	tx_buf_init(&tb, 0);
	assert_int_equal(store_status_text(st, &admin, sid, 0, &tb), TX_OK);
	as_text = json_loadb(tb.data, tb.len, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(as_text);
	assert_null(json_object_get(as_text, "successes"));
	assert_int_equal(json_object_del(status, "successes"), 0);
	assert_true(json_equal(as_text, status));
	json_decref(as_text);
	tx_buf_free(&tb);
	json_decref(status);

	struct store_query q = { .collection_pk = c.pk, .limit = 10 };
	struct collect col = { 0 };
	/* default: the last version of each object, in date_added order */
	assert_int_equal(store_query_objects(st, &q, collect_row, &col, &pg, &err), 0);
	assert_int_equal(col.n, 2);
	assert_string_equal(col.versions[0], "2020-03-01T00:00:00Z");
	q.versions.first = 1;
	memset(&col, 0, sizeof(col));
	store_query_objects(st, &q, collect_row, &col, &pg, &err);
	assert_int_equal(col.n, 2); /* the first version of 1, and 2 (its only one) */
	q.versions.first = 0;
	q.versions.all = 1;
	q.limit = 2;
	memset(&col, 0, sizeof(col));
	store_query_objects(st, &q, collect_row, &col, &pg, &err);
	assert_int_equal(col.n, 2);
	assert_true(pg.more);
	assert_true(col.added[0] < col.added[1]);
	/* the cursor resumes exactly after the page */
	char tok[STORE_TOKEN_BUF];
	store_cursor_encode(&pg.next, tok);
	assert_int_equal(store_cursor_decode(tok, &q.cursor), TX_OK);
	q.has_cursor = 1;
	store_query_objects(st, &q, collect_row, &col, &pg, &err);
	assert_int_equal(col.n, 4);
	assert_false(pg.more);
	assert_true(col.added[1] < col.added[2]);
	assert_int_equal(store_cursor_decode("zz", &q.cursor), TX_ERR_INVALID);
	assert_int_equal(store_cursor_decode("1.", &q.cursor), TX_ERR_INVALID);
	assert_int_equal(store_cursor_decode(".1", &q.cursor), TX_ERR_INVALID);

	/* delete the last version: the middle one becomes last */
	struct store_query dq = { .collection_pk = c.pk };
	dq.versions.last = 1;
	int64_t clock_before = store_last_added(st);
	assert_int_equal(store_delete_object(st, &dq,
			 "indicator--00000000-0000-4000-8000-000000000001", &err), TX_OK);
	/* a delete moves the clock watchers poll ("anything changed?") */
	assert_true(store_last_added(st) > clock_before);
	struct store_query lq = { .collection_pk = c.pk, .limit = 10 };
	memset(&col, 0, sizeof(col));
	store_query_objects(st, &lq, collect_row, &col, &pg, &err);
	assert_int_equal(col.n, 2);
	assert_string_equal(col.versions[0], "2020-02-01T00:00:00Z");
	memset(&dq.versions, 0, sizeof(dq.versions));
	assert_int_equal(store_delete_object(st, &dq,
			 "indicator--00000000-0000-4000-8000-000000000001", &err), TX_OK);
	assert_int_equal(store_delete_object(st, &dq,
			 "indicator--00000000-0000-4000-8000-000000000001", &err),
			 TX_ERR_NOTFOUND);
	int64_t count = 0;
	assert_int_equal(store_count_objects(st, c.pk, &count), TX_OK);
	assert_int_equal(count, 1);
	json_decref(a);
	json_decref(b);
	json_decref(d);
	json_decref(e);
}

static void test_sco_without_version(void **state)
{
	tx_store *st = *state;
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	char id[TX_UUID_BUF], sid[TX_UUID_BUF];
	json_t *ip = json_pack("{s:s, s:s, s:s}", "type", "ipv4-addr", "id",
			       "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
			       "value", "198.51.100.3");
	json_t *ip2 = json_pack("{s:s, s:s, s:s}", "type", "ipv4-addr", "id",
				"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
				"value", "198.51.100.4");
	struct store_item items[] = { { .obj = ip }, { .obj = ip },
				      { .obj = ip2 } };

	assert_int_equal(store_collection_add(st, "S", NULL, "s", id, &err), TX_OK);
	assert_int_equal(store_collection_get(st, &admin, "s", &c), TX_OK);
	assert_int_equal(store_put_objects(st, c.pk, &admin, items, 3, sid, &err), 0);
	int64_t n = 0;
	store_count_objects(st, c.pk, &n);
	assert_int_equal(n, 2); /* the same content twice is one version */
	json_decref(ip);
	json_decref(ip2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_and_reopen),
		cmocka_unit_test(test_accounts_and_grants),
		cmocka_unit_test(test_user_names_and_lock),
		cmocka_unit_test(test_versions_pages_and_delete),
		cmocka_unit_test(test_sco_without_version),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
