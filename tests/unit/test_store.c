/* Unit tests of store/: schema, accounts, versions, queries, cursors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "store/store.h"
#include "store/internal.h" /* the writers' turns */

static char dir[64];
static char path[128];
/* TRILEX_TEST_PG (tests/pg/with-postgres): the same tests on PostgreSQL,
 * each "file" a database of that server. NULL: SQLite. */
static const char *pg_base;
static char pg_conninfo[1024];

/* On PostgreSQL: an empty database name, and the store pointed at it. */
static int fresh_db(const char *name)
{
	char sql[160];
	PGconn *c;
	PGresult *res;
	int ok = 1;

	if (pg_base == NULL)
		return 0;
	if ((c = PQconnectdb(pg_base)) == NULL || PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "TRILEX_TEST_PG: %s\n", c ? PQerrorMessage(c) : "?");
		PQfinish(c);
		return -1;
	}
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	res = PQexec(c, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	res = PQexec(c, sql);
	ok = ok && PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	PQfinish(c);
	snprintf(pg_conninfo, sizeof(pg_conninfo), "%s dbname=%s", pg_base, name);
	return ok && store_configure("postgres", pg_conninfo, NULL) == TX_OK ? 0 : -1;
}

/* Change the audit table behind the store's back: sql_lite on SQLite,
 * sql_pg on PostgreSQL; 0 when it ran. */
static int tamper(const char *sql_lite, const char *sql_pg)
{
	if (pg_base == NULL) {
		sqlite3 *h = NULL;
		int rc = sqlite3_open(path, &h) == SQLITE_OK &&
			 sqlite3_exec(h, sql_lite, NULL, NULL, NULL) == SQLITE_OK;
		sqlite3_close(h);
		return rc ? 0 : -1;
	}
	PGconn *c = PQconnectdb(pg_conninfo);
	PGresult *res = PQexec(c, sql_pg);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	PQfinish(c);
	return ok ? 0 : -1;
}

/* PostgreSQL: the one integer sql returns, or -1. */
static int64_t pg_count(const char *sql)
{
	PGconn *c = PQconnectdb(pg_conninfo);
	PGresult *res = PQexec(c, sql);
	int64_t v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		fprintf(stderr, "pg_count: %s", PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
	return v;
}

static int setup(void **state)
{
	tx_store *st = NULL;

	snprintf(dir, sizeof(dir), "/tmp/trilex-store-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/t.db", dir);
	if (fresh_db("store_main") != 0)
		return -1;
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
	if (pg_base != NULL)
		return; /* no file on PostgreSQL */
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
	assert_int_equal(store_user_by_token(st, "abc123", &v, NULL, NULL), TX_OK);
	assert_int_equal(v.id, u.id);
	assert_int_equal(store_user_by_token(st, "nope", &v, NULL, NULL), TX_ERR_NOTFOUND);

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

/* Versions of one id, "first"/"last"/"all" (q: ids[0] in collection pk). */
static int count_versions(tx_store *st, int64_t pk, const char *oid, int first,
			  int last, struct collect *col)
{
	const char *ids[] = { oid };
	struct store_query q = { .collection_pk = pk, .limit = 16, .ids = ids,
				 .n_ids = 1 };
	struct store_page page;
	struct tx_error err = { 0 };

	q.versions.first = first;
	q.versions.last = last;
	q.versions.all = !first && !last;
	memset(col, 0, sizeof(*col));
	if (store_query_objects(st, &q, collect_row, col, &page, &err) != 0)
		return -1;
	return col->n;
}

/* One request that mixes everything a batch can hold (on PostgreSQL the
 * multi-row path of store/put_pg.c, on SQLite put_one per object; both
 * must give the same): new versions of a stored id before and after its
 * stored one, that stored version again in the middle, a version twice in
 * the request, an item refused by validation, one with no id, one with a
 * bad timestamp, an SCO twice and a searchable indicator with a
 * reference. Every valid version is kept once, the duplicates are
 * reported "already present" as successes, the refused ones as failures,
 * first/last flags hold, date_added follows the request's order, and
 * the search index has the new rows. */
static void test_batch_mixed_versions(void **state)
{
	tx_store *st = *state;
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	struct collect col;
	char id[TX_UUID_BUF], sid[TX_UUID_BUF];
	const char *x = "indicator--00000000-0000-4000-8000-000000000010";
	const char *y = "indicator--00000000-0000-4000-8000-000000000011";
	json_t *x2 = obj(10, "2021-02-01T00:00:00Z"), *x3 = obj(10, "2021-03-01T00:00:00Z");
	json_t *x1 = obj(10, "2021-01-01T00:00:00Z"), *y1 = obj(11, "2021-01-01T00:00:00Z");
	json_t *noid = json_pack("{s:s}", "type", "indicator");
	json_t *badts = obj(12, "not a time");
	json_t *ip = json_pack("{s:s, s:s, s:s}", "type", "ipv4-addr", "id",
			       "ipv4-addr--5d1c4d54-8b57-5f55-a1e6-2d1bb2c0a1d4",
			       "value", "203.0.113.77");
	json_t *named = obj(13, "2021-01-01T00:00:00Z");
	json_object_set_new(named, "name", json_string("Batchsearchword beacon"));
	json_object_set_new(named, "object_refs", json_pack("[s]", x));
	struct store_item first[] = { { .obj = x2, .id = x } };
	struct store_item items[] = {
		{ .obj = x3, .id = x }, { .obj = y1, .id = y },
		{ .obj = x2, .id = x },                 /* stored before */
		{ .obj = x1, .id = x },                 /* before the stored one */
		{ .id = "bad", .message = "broken" },
		{ .obj = y1, .id = y },                 /* twice in the batch */
		{ .obj = noid }, { .obj = badts, .id = "t" },
		{ .obj = ip }, { .obj = ip },           /* an SCO twice: one version */
		{ .obj = named, .id = "n" },
	};
	size_t n = sizeof(items) / sizeof(items[0]);

	assert_int_equal(store_collection_add(st, "B", NULL, "batch", id, &err), TX_OK);
	assert_int_equal(store_collection_get(st, &admin, "batch", &c), TX_OK);
	assert_int_equal(store_put_objects(st, c.pk, &admin, first, 1, sid, &err), TX_OK);
	assert_int_equal(store_put_objects(st, c.pk, &admin, items, n, sid, &err), TX_OK);
	json_t *status = NULL;
	assert_int_equal(store_status_get(st, &admin, sid, &status), TX_OK);
	assert_int_equal(json_integer_value(json_object_get(status, "success_count")), 8);
	assert_int_equal(json_integer_value(json_object_get(status, "failure_count")), 3);
	json_t *oks = json_object_get(status, "successes");
	assert_int_equal(json_array_size(oks), 8);
	/* the stored version (item 2), the repeat (item 5), the SCO again */
	const char *present[] = { NULL, NULL, "already present", NULL,
				  "already present", NULL, "already present", NULL };
	for (size_t i = 0; i < 8; i++) {
		json_t *m = json_object_get(json_array_get(oks, i), "message");
		if (present[i])
			assert_string_equal(json_string_value(m), present[i]);
		else
			assert_null(m);
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(oks, 2),
							      "version")),
			    "2021-02-01T00:00:00Z");
	json_t *fails = json_object_get(status, "failures");
	assert_int_equal(json_array_size(fails), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(fails, 2),
							      "message")),
			    "version: not a timestamp");
	json_decref(status);

	int64_t total = 0;
	assert_int_equal(store_count_objects(st, c.pk, &total), TX_OK);
	assert_int_equal(total, 3 + 1 + 1 + 1); /* x1-x3, y1, the SCO, named */
	assert_int_equal(count_versions(st, c.pk, x, 0, 0, &col), 3);
	/* in date_added order: x2 (first put), then x3 and x1 as sent */
	assert_string_equal(col.versions[0], "2021-02-01T00:00:00Z");
	assert_string_equal(col.versions[1], "2021-03-01T00:00:00Z");
	assert_string_equal(col.versions[2], "2021-01-01T00:00:00Z");
	assert_true(col.added[0] < col.added[1] && col.added[1] < col.added[2]);
	assert_int_equal(count_versions(st, c.pk, x, 1, 0, &col), 1);
	assert_string_equal(col.versions[0], "2021-01-01T00:00:00Z");
	assert_int_equal(count_versions(st, c.pk, x, 0, 1, &col), 1);
	assert_string_equal(col.versions[0], "2021-03-01T00:00:00Z");
	assert_int_equal(count_versions(st, c.pk, y, 0, 0, &col), 1);
	assert_int_equal(count_versions(st, c.pk, y, 1, 0, &col), 1);
	assert_int_equal(count_versions(st, c.pk, y, 0, 1, &col), 1);

	/* the index rows: a word of the name, the reference, the address
	 * (on PostgreSQL also counted in its tables) */
	if (pg_base != NULL) {
		assert_int_equal(pg_count("SELECT count(*) FROM search_text t JOIN"
					  " objects o ON o.rowid = t.rowid WHERE"
					  " t.name LIKE 'Batchsearchword%'"
					  " AND o.id LIKE '%000000000013'"), 1);
		assert_int_equal(pg_count("SELECT count(*) FROM search_refs r JOIN"
					  " objects o ON o.rowid = r.obj WHERE r.ref ="
					  " 'indicator--00000000-0000-4000-8000-000000000010'"
					  " AND r.type = 'indicator'"), 1);
		/* 203.0.113.77 */
		assert_int_equal(pg_count("SELECT count(*) FROM search_ip i JOIN"
					  " objects o ON o.rowid = i.obj WHERE i.lo = 3405803853"
					  " AND i.hi = 3405803853 AND o.type = 'ipv4-addr'"), 1);
	}
	{
		struct store_search sq = { .text = "batchsearchword", .colls = &c.pk,
					   .n_colls = 1, .limit = 10 };
		struct store_search_page sp;
		memset(&col, 0, sizeof(col));
		assert_int_equal(store_search(st, &sq, collect_row, &col, &sp, &err),
				 TX_OK);
		assert_int_equal(col.n, 1);
		sq.text = x;
		memset(&col, 0, sizeof(col));
		assert_int_equal(store_search_refs(st, &sq, collect_row, &col, &sp,
						   &err), TX_OK);
		assert_int_equal(col.n, 1);
		sq.text = "203.0.113.0/24";
		memset(&col, 0, sizeof(col));
		assert_int_equal(store_search(st, &sq, collect_row, &col, &sp, &err),
				 TX_OK);
		assert_int_equal(col.n, 1);
	}
	/* a second request: the SCO again (equal to its stored last
	 * version: present), and a revoked new version of x (a withdrawal) */
	json_t *x4 = obj(10, "2021-04-01T00:00:00Z");
	json_object_set_new(x4, "revoked", json_true());
	struct store_item again[] = { { .obj = ip }, { .obj = x4, .id = x } };
	assert_int_equal(store_put_objects(st, c.pk, &admin, again, 2, sid, &err), TX_OK);
	assert_int_equal(store_status_get(st, &admin, sid, &status), TX_OK);
	oks = json_object_get(status, "successes");
	assert_int_equal(json_array_size(oks), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(oks, 0),
							      "message")),
			    "already present");
	assert_null(json_object_get(json_array_get(oks, 1), "message"));
	json_decref(status);
	assert_int_equal(store_count_objects(st, c.pk, &total), TX_OK);
	assert_int_equal(total, 7);
	assert_int_equal(count_versions(st, c.pk, x, 0, 1, &col), 1);
	assert_string_equal(col.versions[0], "2021-04-01T00:00:00Z");
	assert_int_equal(count_versions(st, c.pk, x, 1, 0, &col), 1);
	assert_string_equal(col.versions[0], "2021-01-01T00:00:00Z");
	assert_int_equal(store_withdrawal_get(st, x, NULL), TX_OK);
	json_decref(x4);
	json_decref(x1);
	json_decref(x2);
	json_decref(x3);
	json_decref(y1);
	json_decref(noid);
	json_decref(badts);
	json_decref(ip);
	json_decref(named);
}

/* store_collection_ensure from two processes and two threads at once, all
 * released by one barrier (the close of a pipe): every one gets the same
 * collection and exactly one is made. Five rounds on fresh databases. */
static int barrier[2];

static int ensure_once(char id[TX_UUID_BUF])
{
	tx_store *st = NULL;
	struct store_collection c;
	struct tx_error err = { 0 };
	char b;

	if (store_open(path, 0, &st, &err) != TX_OK)
		return -1;
	while (read(barrier[0], &b, 1) > 0)
		;
	tx_err rc = store_collection_ensure(st, "Watch list", "", "watch", &c, &err);
	if (rc != TX_OK)
		fprintf(stderr, "ensure: %s\n", err.msg);
	else
		memcpy(id, c.id, TX_UUID_BUF);
	store_close(st);
	return rc == TX_OK ? 0 : -1;
}

static void *ensure_thread(void *arg)
{
	return (void *)(intptr_t)ensure_once(arg);
}

static void test_collection_ensure_races(void **state)
{
	for (int round = 0; round < 5; round++) {
		char db[160], ids[4][TX_UUID_BUF] = { { 0 } };
		int res[2];
		pid_t pid[2];
		pthread_t th[2];
		tx_store *fresh = NULL;

		snprintf(db, sizeof(db), "%s/race%d.db", dir, round);
		tx_strfmt(path, sizeof(path), "%s", db);
		snprintf(db, sizeof(db), "store_race%d", round);
		assert_int_equal(fresh_db(db), 0);
		assert_int_equal(store_open(path, 1, &fresh, NULL), TX_OK);
		store_close(fresh);
		assert_int_equal(pipe(barrier), 0);
		assert_int_equal(pipe(res), 0);
		for (int p = 0; p < 2; p++) {
			if ((pid[p] = fork()) == 0) {
				char id[TX_UUID_BUF] = { 0 };
				close(barrier[1]);
				int rc = ensure_once(id);
				if (write(res[1], id, TX_UUID_BUF) != TX_UUID_BUF)
					rc = -1;
				_exit(rc == 0 ? 0 : 1);
			}
			assert_true(pid[p] > 0);
		}
		for (int t = 0; t < 2; t++)
			assert_int_equal(pthread_create(&th[t], NULL, ensure_thread,
							ids[2 + t]), 0);
		usleep(20000);
		close(barrier[1]);
		for (int p = 0; p < 2; p++) {
			int status = 0;
			assert_int_equal(waitpid(pid[p], &status, 0), pid[p]);
			assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			assert_int_equal(read(res[0], ids[p], TX_UUID_BUF), TX_UUID_BUF);
		}
		for (int t = 0; t < 2; t++) {
			void *r;
			assert_int_equal(pthread_join(th[t], &r), 0);
			assert_int_equal((intptr_t)r, 0);
		}
		close(barrier[0]);
		close(res[0]);
		close(res[1]);
		for (int i = 1; i < 4; i++)
			assert_string_equal(ids[i], ids[0]);
		assert_int_equal(store_open(path, 0, &fresh, NULL), TX_OK);
		struct store_user admin = { .admin = 1 };
		struct store_collection *cs = NULL;
		size_t n = 0;
		assert_int_equal(store_collection_list(fresh, &admin, &cs, &n), TX_OK);
		assert_int_equal(n, 1);
		assert_string_equal(cs[0].id, ids[0]);
		free(cs);
		store_close(fresh);
	}
	snprintf(path, sizeof(path), "%s/t.db", dir);
	if (pg_base != NULL) {
		/* back to the group's database (store_main, still open) */
		snprintf(pg_conninfo, sizeof(pg_conninfo), "%s dbname=store_main",
			 pg_base);
		assert_int_equal(store_configure("postgres", pg_conninfo, NULL), TX_OK);
	}
}

/* A status lists at most failures_max failures (all counted, the rest
 * said), both as JSON and as text; it expires after ttl_s, and a later
 * write deletes it. */
static void test_status_policy(void **state)
{
	tx_store *st = *state;
	struct store_user admin = { .id = 0, .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	char id[TX_UUID_BUF], sid[TX_UUID_BUF], sid2[TX_UUID_BUF];
	struct store_item items[10];
	json_t *good = obj(90, "2020-01-01T00:00:00Z"), *status = NULL;
	struct tx_buf tb;

	memset(items, 0, sizeof(items));
	for (int i = 0; i < 9; i++)
		items[i].message = "broken";
	items[9].obj = good;
	items[9].id = "g";
	assert_int_equal(store_collection_add(st, "P", NULL, "p", id, &err), TX_OK);
	assert_int_equal(store_collection_get(st, &admin, "p", &c), TX_OK);
	assert_int_equal(store_status_failures_max(st), 1000);
	store_set_status_policy(st, 3, 1);
	assert_int_equal(store_status_failures_max(st), 3);
	/* 9 refused in items, 100 more refused by the caller, 1 good */
	assert_int_equal(store_put_objects_counted(st, c.pk, &admin, items, 10, 100,
						   NULL, sid, &err), TX_OK);
	assert_int_equal(store_status_get(st, &admin, sid, &status), TX_OK);
	assert_int_equal(json_integer_value(json_object_get(status, "total_count")), 110);
	assert_int_equal(json_integer_value(json_object_get(status, "success_count")), 1);
	assert_int_equal(json_integer_value(json_object_get(status, "failure_count")), 109);
	assert_int_equal(json_array_size(json_object_get(status, "failures")), 3);
	assert_int_equal(json_integer_value(json_object_get(
				 status, "x_trilex_failures_unlisted")), 106);
	json_decref(status);
	tx_buf_init(&tb, 0);
	assert_int_equal(store_status_text(st, &admin, sid, 1, &tb), TX_OK);
	status = json_loadb(tb.data, tb.len, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(status);
	assert_int_equal(json_integer_value(json_object_get(
				 status, "x_trilex_failures_unlisted")), 106);
	assert_int_equal(json_array_size(json_object_get(status, "failures")), 3);
	json_decref(status);
	tx_buf_free(&tb);
	/* no failure left out: no such member */
	assert_int_equal(store_put_objects(st, c.pk, &admin, &items[9], 1, sid2,
					   &err), TX_OK);
	assert_int_equal(store_status_get(st, &admin, sid2, &status), TX_OK);
	assert_null(json_object_get(status, "x_trilex_failures_unlisted"));
	json_decref(status);
	/* a second later both have expired */
	sleep(1);
	usleep(100 * 1000);
	assert_int_equal(store_status_get(st, &admin, sid, &status), TX_ERR_NOTFOUND);
	tx_buf_init(&tb, 0);
	assert_int_equal(store_status_text(st, &admin, sid2, 1, &tb), TX_ERR_NOTFOUND);
	tx_buf_free(&tb);
	/* a write with the default policy deletes expired rows, keeps its own */
	store_set_status_policy(st, 1000, 7 * 86400);
	assert_int_equal(store_put_objects(st, c.pk, &admin, &items[9], 1, sid,
					   &err), TX_OK);
	assert_int_equal(store_status_get(st, &admin, sid, &status), TX_OK);
	json_decref(status);
	assert_int_equal(store_put_objects_counted(st, c.pk, &admin, items, 1, -1,
						   NULL, sid2, &err), TX_ERR_INVALID);
	json_decref(good);
}

/* A row callback that has what it wants stops the query without an error
 * (before, any non-zero return was TX_ERR_INTERNAL, so callers ignored the
 * store's errors); one that fails fails it. */
struct stopper {
	int calls, stop_at, fail;
};

static int stop_row(void *ctx, const struct store_row *row)
{
	struct stopper *s = ctx;

	(void)row;
	if (++s->calls == s->stop_at)
		return s->fail ? STORE_ROW_FAIL : STORE_ROW_STOP;
	return STORE_ROW_NEXT;
}

static void test_row_callback_stop(void **state)
{
	tx_store *st = *state;
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	char sid[TX_UUID_BUF];

	assert_int_equal(store_collection_ensure(st, "Stops", "", "stops", &c, &err),
			 TX_OK);
	struct store_item items[5];
	json_t *objs[5];
	for (int i = 0; i < 5; i++) {
		objs[i] = obj(7000 + i, "2020-01-01T00:00:00Z");
		items[i] = (struct store_item){ .obj = objs[i] };
	}
	assert_int_equal(store_put_objects(st, c.pk, &admin, items, 5, sid, &err),
			 TX_OK);
	struct store_query q = { .collection_pk = c.pk, .limit = 100 };
	struct store_page pg;
	struct stopper s = { .stop_at = 3 };
	assert_int_equal(store_query_objects(st, &q, stop_row, &s, &pg, &err), TX_OK);
	assert_int_equal(s.calls, 3);
	assert_true(pg.stopped);
	assert_false(pg.more);
	assert_int_equal(pg.n, 2); /* the stopping row is not taken */
	struct stopper e = { .stop_at = 2 };
	assert_int_equal(store_query_every(st, &q, stop_row, &e, &err), TX_OK);
	assert_int_equal(e.calls, 2);
	struct stopper f = { .stop_at = 2, .fail = 1 };
	assert_int_equal(store_query_objects(st, &q, stop_row, &f, &pg, &err),
			 TX_ERR_INTERNAL);
	for (int i = 0; i < 5; i++)
		json_decref(objs[i]);
}

/* ---- the supply-chain objects (store/supplyidx.c) ---- */

static json_t *supply_obj(const char *type, int i, const char *modified,
			  int ext, int revoked)
{
	char id[96];
	json_t *o;

	snprintf(id, sizeof(id), "%s--00000000-0000-4000-8000-%012d", type, i);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type,
		      "spec_version", "2.1", "id", id, "created",
		      "2020-01-01T00:00:00Z", "modified", modified, "name", "x");
	if (ext)
		json_object_set_new(o, "extensions", json_pack("{s:{s:s}}",
				    STORE_SUPPLY_EXT_ID, "kind", "osv"));
	if (revoked)
		json_object_set_new(o, "revoked", json_true());
	return o;
}

struct supply_seen {
	char ids[8][96];
	char versions[8][40];
	int revoked[8];
	size_t n;
};

static int supply_row(void *ctx, const struct store_row *row)
{
	struct supply_seen *s = ctx;

	if (s->n < 8) {
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", row->id);
		snprintf(s->versions[s->n], sizeof(s->versions[0]), "%s", row->version);
		s->revoked[s->n] = strstr(row->json, "\"revoked\":true") != NULL;
	}
	s->n++;
	return STORE_ROW_NEXT;
}

static size_t supply_rows(tx_store *st, int64_t pk, struct supply_seen *s)
{
	struct tx_error err = { 0 };

	memset(s, 0, sizeof(*s));
	assert_int_equal(store_supply_rows(st, pk, supply_row, s, &err), TX_OK);
	return s->n;
}

static void put1(tx_store *st, int64_t pk, json_t *o)
{
	struct store_user admin = { .admin = 1 };
	struct store_item it = { .obj = o };
	struct tx_error err = { 0 };
	char sid[TX_UUID_BUF];

	assert_int_equal(store_put_objects(st, pk, &admin, &it, 1, sid, &err), TX_OK);
	json_decref(o);
}

/* The index of supply objects is kept as objects are stored (BOMs and
 * objects with the supply extension, nothing else), follows new versions
 * and withdrawals (a revoked version is the one read), forgets deleted
 * objects, and is filled for an older database by migration 22. */
static void test_supply_index(void **state)
{
	tx_store *st = *state, *again = NULL;
	struct store_collection c, d;
	struct tx_error err = { 0 };
	struct supply_seen s;
	const char *adv = "vulnerability--00000000-0000-4000-8000-000000000002";

	assert_int_equal(store_collection_ensure(st, "Sup", "", "sup", &c, &err), TX_OK);
	assert_int_equal(store_collection_ensure(st, "Sup2", "", "sup2", &d, &err), TX_OK);
	put1(st, c.pk, supply_obj(STORE_SUPPLY_SBOM_TYPE, 1, "2020-01-01T00:00:00Z", 0, 0));
	put1(st, c.pk, supply_obj("vulnerability", 2, "2020-01-01T00:00:00Z", 1, 0));
	put1(st, c.pk, supply_obj("vulnerability", 3, "2020-01-01T00:00:00Z", 0, 0));
	put1(st, c.pk, supply_obj("indicator", 4, "2020-01-01T00:00:00Z", 0, 0));
	put1(st, c.pk, supply_obj("note", 5, "2020-01-01T00:00:00Z", 1, 0));
	put1(st, c.pk, supply_obj("report", 6, "2020-01-01T00:00:00Z", 1, 0));
	put1(st, d.pk, supply_obj("indicator", 7, "2020-01-01T00:00:00Z", 1, 0));
	assert_int_equal(supply_rows(st, c.pk, &s), 3);
	assert_string_equal(s.ids[0], "x-trilex-sbom--00000000-0000-4000-8000-000000000001");
	assert_string_equal(s.ids[1], adv);
	assert_string_equal(s.ids[2], "note--00000000-0000-4000-8000-000000000005");
	assert_int_equal(supply_rows(st, d.pk, &s), 1);

	/* a new version is read instead of the old one */
	put1(st, c.pk, supply_obj("vulnerability", 2, "2020-02-01T00:00:00Z", 1, 0));
	assert_int_equal(supply_rows(st, c.pk, &s), 3);
	assert_string_equal(s.ids[2], adv);
	assert_string_equal(s.versions[2], "2020-02-01T00:00:00Z");
	/* withdrawn: the revoked version is what supply/ reads (and ignores) */
	put1(st, c.pk, supply_obj("vulnerability", 2, "2020-03-01T00:00:00Z", 1, 1));
	assert_int_equal(supply_rows(st, c.pk, &s), 3);
	assert_string_equal(s.ids[2], adv);
	assert_true(s.revoked[2]);
	/* a version without the extension is no longer a supply object */
	put1(st, c.pk, supply_obj("note", 5, "2020-02-01T00:00:00Z", 0, 0));
	assert_int_equal(supply_rows(st, c.pk, &s), 2);
	/* deleted: gone; the last version deleted, the one before is read */
	struct store_query dq = { .collection_pk = c.pk };
	dq.versions.last = 1;
	assert_int_equal(store_delete_object(st, &dq, adv, &err), TX_OK);
	assert_int_equal(supply_rows(st, c.pk, &s), 2);
	assert_string_equal(s.versions[1], "2020-02-01T00:00:00Z");
	assert_false(s.revoked[1]);
	memset(&dq.versions, 0, sizeof(dq.versions));
	assert_int_equal(store_delete_object(st, &dq, adv, &err), TX_OK);
	assert_int_equal(supply_rows(st, c.pk, &s), 1);

	/* an older database: migration 22 fills the index (and 23, of
	 * peers and policy_released, 24, write_marks, 25 and 26,
	 * auth_failures, are applied again after it) */
#define UNDO_23 "ALTER TABLE peers DROP COLUMN held_added; ALTER TABLE peers" \
	" DROP COLUMN held_rowid; ALTER TABLE peers DROP COLUMN held_prio_added;" \
	" ALTER TABLE peers DROP COLUMN held_prio_rowid; ALTER TABLE peers DROP" \
	" COLUMN held_role; DROP TABLE policy_released; DROP INDEX objects_policies;" \
	" DROP TABLE write_marks; DROP TABLE auth_failures;"
	assert_int_equal(tamper(UNDO_23 " DROP TRIGGER objects_unsupply; DROP TABLE"
				" supply_objects; PRAGMA user_version = 21;",
				UNDO_23 " DROP TRIGGER objects_unsupply ON objects; DROP"
				" TABLE supply_objects; DROP FUNCTION trilex_unsupply();"
				" UPDATE trilex_schema SET version = 21;"), 0);
#undef UNDO_23
	assert_int_equal(store_open(path, 0, &again, &err), TX_OK);
	assert_int_equal(supply_rows(again, c.pk, &s), 1);
	assert_string_equal(s.ids[0], "x-trilex-sbom--00000000-0000-4000-8000-000000000001");
	assert_int_equal(supply_rows(again, d.pk, &s), 1);
	store_close(again);
}

static int outgoing_row(void *ctx, const struct store_row *row)
{
	int64_t *pk = ctx;

	*pk = row->collection_pk;
	return STORE_ROW_NEXT;
}

/* Sharing policies: parsed strictly; a local collection is left out of
 * the outbox; widening it re-queues what it holds after everything. */
static void test_collection_sharing(void **state)
{
	tx_store *st = *state;
	struct store_user admin = { .admin = 1 };
	struct store_collection loc, ens;
	struct tx_error err = { 0 };
	char id[TX_UUID_BUF], sid[TX_UUID_BUF], share[STORE_SHARE_BUF];
	int64_t n = -1, seen = 0;

	assert_int_equal(store_share_parse("FR,UK,FR", share, &err), TX_OK);
	assert_string_equal(share, "FR,UK");
	assert_true(store_share_allows(share, "UK"));
	assert_false(store_share_allows(share, "U"));
	assert_false(store_share_allows(share, "US"));
	assert_false(store_share_allows("local", "UK"));
	assert_true(store_share_allows("partners", "UK"));
	assert_int_equal(store_share_parse("fr", share, &err), TX_ERR_INVALID);
	assert_int_equal(store_share_parse("FR,", share, &err), TX_ERR_INVALID);
	assert_int_equal(store_share_parse("", share, &err), TX_ERR_INVALID);
	assert_int_equal(store_share_parse("everyone", share, &err), TX_ERR_INVALID);

	assert_int_equal(store_collection_add(st, "Local", "", "sh-local", id, &err),
			 TX_OK);
	assert_int_equal(store_collection_get(st, &admin, "sh-local", &loc), TX_OK);
	assert_int_equal(store_collection_share(st, loc.pk, share), TX_OK);
	assert_string_equal(share, "local");
	assert_int_equal(store_collection_ensure(st, "Work", "", "sh-work", &ens,
						 &err), TX_OK);
	assert_int_equal(store_collection_share(st, ens.pk, share), TX_OK);
	assert_string_equal(share, "partners");

	/* after what the earlier tests stored */
	struct store_cursor c = { store_last_added(st), INT64_MAX }, z = c;
	json_t *a = obj(8001, "2020-01-01T00:00:00Z"), *b = obj(8002,
		"2020-01-01T00:00:00Z");
	struct store_item ia = { .obj = a }, ib = { .obj = b };
	assert_int_equal(store_put_objects(st, loc.pk, &admin, &ia, 1, sid, &err),
			 TX_OK);
	assert_int_equal(store_put_objects(st, ens.pk, &admin, &ib, 1, sid, &err),
			 TX_OK);
	struct store_page pg;
	assert_int_equal(store_query_outgoing(st, &c, 100, outgoing_row, &seen,
					      &pg, &err), TX_OK);
	assert_int_equal(pg.n, 1);
	assert_int_equal(seen, ens.pk);
	c = pg.next;
	/* shared: the local one's object comes after the cursor */
	assert_int_equal(store_collection_set_share(st, loc.pk, "UK", &n, &err),
			 TX_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_query_outgoing(st, &c, 100, outgoing_row, &seen,
					      &pg, &err), TX_OK);
	assert_int_equal(pg.n, 1);
	assert_int_equal(seen, loc.pk);
	/* narrowing re-queues nothing; local hides it again */
	assert_int_equal(store_collection_set_share(st, ens.pk, "UK", &n, &err),
			 TX_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_collection_set_share(st, loc.pk, "local", &n, &err),
			 TX_OK);
	assert_int_equal(store_query_outgoing(st, &z, 100, NULL, NULL, &pg, &err),
			 TX_OK);
	assert_int_equal(pg.n, 1);
	assert_int_equal(store_collection_set_share(st, loc.pk, "uk", &n, &err),
			 TX_ERR_INVALID);
	json_decref(a);
	json_decref(b);
}

/* Feeds: never into an inbox, names unique, counters add up (reasons
 * merged), the position moves only when told, remove. */
static void test_feeds(void **state)
{
	tx_store *st = *state;
	struct store_feed *f = calloc(1, sizeof(*f)), *list = NULL;
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	char id[TX_UUID_BUF];
	size_t n = 0;

	assert_non_null(f);
	assert_int_equal(store_collection_add(st, "inbox", "", "inbox-XX", id, &err),
			 TX_OK);
	assert_int_equal(store_collection_add(st, "isac", "", "isac", id, &err),
			 TX_OK);
	snprintf(f->name, sizeof(f->name), "isac");
	snprintf(f->url, sizeof(f->url), "https://taxii.example/api/");
	snprintf(f->collection, sizeof(f->collection), "c1");
	snprintf(f->secret, sizeof(f->secret), "s3cret");
	f->auth = STORE_FEED_AUTH_API_KEY;
	f->every_s = 60;
	f->page_limit = 100;
	f->max_pages = 10;
	f->max_page_bytes = 1 << 20;
	assert_int_equal(store_collection_get(st, &admin, "inbox-XX", &c), TX_OK);
	f->into_pk = c.pk;
	assert_int_equal(store_feed_add(st, f, &err), TX_ERR_DENIED);
	assert_int_equal(store_collection_get(st, &admin, "isac", &c), TX_OK);
	f->into_pk = c.pk;
	assert_int_equal(store_feed_add(st, f, &err), TX_OK);
	assert_int_equal(store_feed_add(st, f, &err), TX_ERR_EXISTS);
	assert_non_null(strstr(err.msg, "exists"));

	struct store_feed_tally t1 = { .pages = 1, .received = 10, .added = 7,
				       .present = 1, .rejected = 2,
				       .reasons = "{\"pattern\":2}",
				       .added_after = "2025-01-01T00:00:00.5Z" };
	struct store_feed_tally t2 = { .pages = 2, .received = 5, .added = 2,
				       .rejected = 3, .reasons =
				       "{\"pattern\":1,\"modified\":2}", .ok = 1 };
	struct store_feed_tally t3 = { .error = "HTTP 401" };
	assert_int_equal(store_feed_record(st, "isac", &t1, &err), TX_OK);
	assert_int_equal(store_feed_record(st, "isac", &t2, &err), TX_OK);
	assert_int_equal(store_feed_record(st, "isac", &t3, &err), TX_OK);
	assert_int_equal(store_feed_record(st, "nosuch", &t3, &err), TX_ERR_NOTFOUND);
	memset(f, 0, sizeof(*f));
	assert_int_equal(store_feed_get(st, "isac", f), TX_OK);
	assert_int_equal(f->pages, 3);
	assert_int_equal(f->received, 15);
	assert_int_equal(f->added, 9);
	assert_int_equal(f->present, 1);
	assert_int_equal(f->rejected, 5);
	assert_string_equal(f->reasons, "{\"modified\":2,\"pattern\":3}");
	assert_string_equal(f->added_after, "2025-01-01T00:00:00.5Z");
	assert_string_equal(f->into, "isac");
	assert_string_equal(f->secret, "s3cret");
	assert_int_equal(f->auth, STORE_FEED_AUTH_API_KEY);
	assert_true(f->last_ok > 0 && f->last_error_at >= f->last_ok);
	assert_string_equal(f->last_error, "HTTP 401");
	assert_int_equal(store_feed_list(st, &list, &n), TX_OK);
	assert_int_equal(n, 1);
	free(list);
	assert_int_equal(store_feed_remove(st, "isac", &err), TX_OK);
	assert_int_equal(store_feed_remove(st, "isac", &err), TX_ERR_NOTFOUND);
	assert_int_equal(store_feed_get(st, "isac", f), TX_ERR_NOTFOUND);
	free(f);
}

/* Roles: each holds every right of the one below it; a reader's write
 * grant writes nothing; a disabled account and an expired token open
 * nothing. */
/* Saved filters: add, a name taken (EXISTS), none without collections
 * (INVALID), get and list give back what was added, remove (then
 * NOTFOUND); on both backends (migration 19 and its PostgreSQL twin). */
static void test_saved_filters(void **state)
{
	tx_store *st = *state;
	struct store_filter f = { 0 }, got, *list = NULL;
	struct tx_error err = { 0 };
	size_t n = 0;

	snprintf(f.name, sizeof(f.name), "community");
	assert_int_equal(store_filter_add(st, &f, &err), TX_ERR_INVALID);
	f.n_colls = 2;
	snprintf(f.colls[0], TX_UUID_BUF, "11111111-1111-4111-8111-111111111111");
	snprintf(f.colls[1], TX_UUID_BUF, "22222222-2222-4222-8222-222222222222");
	f.n_labels = 1;
	snprintf(f.labels[0], STORE_FILTER_LABEL_MAX, "ics \"quoted\"");
	snprintf(f.tlp, sizeof(f.tlp), "green");
	assert_int_equal(store_filter_add(st, &f, &err), TX_OK);
	assert_int_equal(store_filter_add(st, &f, &err), TX_ERR_EXISTS);
	assert_non_null(strstr(err.msg, "community"));
	assert_int_equal(store_filter_get(st, "community", &got), TX_OK);
	assert_int_equal(got.n_colls, 2);
	assert_string_equal(got.colls[1], f.colls[1]);
	assert_int_equal(got.n_labels, 1);
	assert_string_equal(got.labels[0], "ics \"quoted\"");
	assert_string_equal(got.tlp, "green");
	assert_true(got.created > 0);
	assert_int_equal(store_filter_list(st, &list, &n), TX_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "community");
	free(list);
	assert_int_equal(store_filter_get(st, "other", &got), TX_ERR_NOTFOUND);
	assert_int_equal(store_filter_remove(st, "community", &err), TX_OK);
	assert_int_equal(store_filter_remove(st, "community", &err), TX_ERR_NOTFOUND);
	assert_int_equal(store_filter_list(st, &list, &n), TX_OK);
	assert_int_equal(n, 0);
	free(list);
}

static void test_roles_and_tokens(void **state)
{
	tx_store *st = *state;
	struct store_user u, v, node = { .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	struct store_token_info *toks = NULL;
	char id[TX_UUID_BUF];
	enum store_role r;
	size_t n = 0;

	for (int role = STORE_ROLE_READER + 1; role < STORE_ROLE_COUNT; role++)
		for (int right = 0; right < TX_RIGHT_COUNT; right++)
			if (store_role_has((enum store_role)(role - 1), (enum tx_right)right))
				assert_true(store_role_has((enum store_role)role,
							   (enum tx_right)right));
	assert_true(store_user_may(&node, TX_RIGHT_ACCOUNTS));
	assert_int_equal(store_role_parse("duty-officer", &r, &err), TX_OK);
	assert_int_equal(r, STORE_ROLE_DUTY_OFFICER);
	assert_int_equal(store_role_parse("root", &r, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "reader, analyst"));

	assert_int_equal(store_user_add_role(st, "rhea", "$h", STORE_ROLE_READER,
					     &err), TX_OK);
	assert_int_equal(store_collection_add(st, "R", "", "rcoll", id, &err), TX_OK);
	assert_int_equal(store_grant(st, "rhea", "rcoll", 1, 1, &err), TX_OK);
	assert_int_equal(store_user_get(st, "rhea", &u, NULL, 0), TX_OK);
	assert_int_equal(u.role, STORE_ROLE_READER);
	assert_int_equal(store_collection_get(st, &u, "rcoll", &c), TX_OK);
	assert_true(c.can_read);
	assert_false(c.can_write);
	assert_int_equal(store_user_set_role(st, "rhea", STORE_ROLE_ANALYST, &err),
			 TX_OK);
	assert_int_equal(store_user_get(st, "rhea", &u, NULL, 0), TX_OK);
	assert_int_equal(store_collection_get(st, &u, "rcoll", &c), TX_OK);
	assert_true(c.can_write);
	assert_false(store_user_may(&u, TX_RIGHT_ACK));

	/* tokens: expired, disabled, revoked */
	assert_int_equal(store_token_add_named(st, "rhea", "h-old", "old",
					       tx_time_now_us() - 1, &err), TX_OK);
	assert_int_equal(store_token_add_named(st, "rhea", "h-new", "new",
					       tx_time_now_us() + 60000000, &err),
			 TX_OK);
	assert_int_equal(store_token_add_named(st, "rhea", "h-dup", "new", 0, &err),
			 TX_ERR_EXISTS);
	assert_int_equal(store_token_add_named(st, "rhea", "h-bad", "a b", 0, &err),
			 TX_ERR_INVALID);
	assert_int_equal(store_user_by_token(st, "h-old", &v, NULL, NULL), TX_ERR_NOTFOUND);
	assert_int_equal(store_user_by_token(st, "h-new", &v, NULL, NULL), TX_OK);
	assert_int_equal(store_token_list(st, "RHEA", &toks, &n), TX_OK);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		if (strcmp(toks[i].name, "new") == 0)
			assert_true(toks[i].last_used > 0);
	free(toks);
	assert_int_equal(store_user_set_disabled(st, "rhea", 1, &err), TX_OK);
	assert_int_equal(store_user_by_token(st, "h-new", &v, NULL, NULL), TX_ERR_NOTFOUND);
	assert_int_equal(store_user_get(st, "rhea", &u, NULL, 0), TX_OK);
	assert_false(store_user_may(&u, TX_RIGHT_READ));
	assert_int_equal(store_collection_get(st, &u, "rcoll", &c), TX_OK);
	assert_false(c.can_read);
	assert_int_equal(store_user_set_disabled(st, "rhea", 0, &err), TX_OK);
	assert_int_equal(store_token_revoke(st, "rhea", "new", &err), TX_OK);
	assert_int_equal(store_user_by_token(st, "h-new", &v, NULL, NULL), TX_ERR_NOTFOUND);
	assert_int_equal(store_token_revoke(st, "rhea", "new", &err),
			 TX_ERR_NOTFOUND);
	assert_int_equal(store_grant_revoke(st, "rhea", "rcoll", &err), TX_OK);
	assert_int_equal(store_collection_get(st, &u, "rcoll", &c), TX_ERR_NOTFOUND);
	assert_int_equal(store_grant_revoke(st, "rhea", "rcoll", &err),
			 TX_ERR_NOTFOUND);
	assert_int_equal(store_user_remove(st, "rhea", &err), TX_OK);
	assert_int_equal(store_user_get(st, "rhea", &u, NULL, 0), TX_ERR_NOTFOUND);
	assert_int_equal(store_user_remove(st, "rhea", &err), TX_ERR_NOTFOUND);
}

static int count_entry(void *ctx, const struct store_audit_entry *e)
{
	(*(int *)ctx)++;
	return 0;
}

/* The audit chain: appended, listed by actor and time, verified; a long
 * field cut at a UTF-8 boundary; a changed or deleted entry named by
 * verify; TLP:RED and AMBER+STRICT told from the rest. */
static void test_audit_chain(void **state)
{
	tx_store *st = *state;
	struct tx_error err = { 0 };
	struct store_audit_entry e, e2;
	struct store_audit_query q = { 0 };
	char long_actor[400];
	int64_t n = 0;
	int count = 0;

	assert_int_equal(store_audit(st, "cli:root", "user.add", "ann", "role reader",
				     &err), TX_OK);
	assert_int_equal(store_audit_from(st, "user:ann", "192.0.2.7", "signin",
					  NULL, "password", &err), TX_OK);
	for (size_t i = 0; i + 2 < sizeof(long_actor); i += 2)
		memcpy(long_actor + i, "\xc3\xa9", 2); /* é */
	long_actor[sizeof(long_actor) - 2] = '\0';
	assert_int_equal(store_audit(st, long_actor, "read", "x", NULL, &err), TX_OK);
	assert_int_equal(store_audit(st, "cli:root", "", "x", NULL, &err),
			 TX_ERR_INVALID);
	assert_int_equal(store_audit_get(st, 0, &e), TX_OK);
	assert_int_equal(e.seq, 3);
	assert_true(strlen(e.actor) < sizeof(e.actor));
	assert_int_equal(strlen(e.actor) % 2, 0); /* no half character */
	assert_int_equal(store_audit_get(st, 2, &e2), TX_OK);
	assert_string_equal(e.prev, e2.hash);
	assert_string_equal(e2.address, "192.0.2.7");
	assert_int_equal(store_audit_verify(st, &n, &err), TX_OK);
	assert_int_equal(n, 3);
	q.actor = "USER:ANN";
	assert_int_equal(store_audit_list(st, &q, count_entry, &count, &err), TX_OK);
	assert_int_equal(count, 1);
	q.actor = NULL;
	q.since = e.at;
	count = 0;
	assert_int_equal(store_audit_list(st, &q, count_entry, &count, &err), TX_OK);
	assert_int_equal(count, 1);
	assert_int_equal(store_audit_last(st, "user.add", &e), TX_OK);
	assert_int_equal(e.seq, 1);

	const char *red = "{\"object_marking_refs\":[\"marking-definition--"
			  "e828b379-4e03-4974-9ac4-e53a884c97c1\"]}";
	const char *green = "{\"object_marking_refs\":[\"marking-definition--"
			    "bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"]}";
	assert_true(store_audit_sensitive(red, strlen(red)));
	assert_false(store_audit_sensitive(green, strlen(green)));

	/* the store itself refuses to change or delete an entry */
	assert_int_not_equal(tamper("UPDATE audit SET detail = 'x'",
				    "UPDATE audit SET detail = 'x'"), 0);
	assert_int_equal(tamper("DROP TRIGGER audit_no_update;"
				" UPDATE audit SET what = 'bob' WHERE seq = 1",
				"ALTER TABLE audit DISABLE TRIGGER audit_no_update;"
				" UPDATE audit SET what = 'bob' WHERE seq = 1"), 0);
	assert_int_equal(store_audit_verify(st, &n, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "entry 1: its content"));
	assert_int_equal(n, 0);
	assert_int_equal(tamper("UPDATE audit SET what = 'ann' WHERE seq = 1;"
				" DROP TRIGGER audit_no_delete;"
				" DELETE FROM audit WHERE seq = 2",
				"UPDATE audit SET what = 'ann' WHERE seq = 1;"
				" DELETE FROM audit WHERE seq = 2"), 0);
	assert_int_equal(store_audit_verify(st, &n, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "entry 3 follows entry 1"));
	assert_int_equal(n, 1);
}

/* The hash of docs/audit.md's format, written here with one update per
 * field (as the writer did before it laid the message out in one buffer):
 * what the writer stores must be this, so chains written before and
 * after the change verify alike. */
static void ref_hash(const struct store_audit_entry *e, char out[STORE_AUDIT_HASH_BUF])
{
	const char *fields[] = { e->actor, e->address, e->action, e->what, e->detail };
	unsigned char prev[32] = { 0 }, h[32], b[8];
	crypto_generichash_state hs;
	uint64_t v[2] = { (uint64_t)e->seq, (uint64_t)e->at };

	sodium_hex2bin(prev, sizeof(prev), e->prev, strlen(e->prev), NULL, NULL, NULL);
	crypto_generichash_init(&hs, NULL, 0, sizeof(h));
	crypto_generichash_update(&hs, (const unsigned char *)"trilex audit v1", 15);
	crypto_generichash_update(&hs, prev, sizeof(prev));
	for (int k = 0; k < 7; k++) {
		uint64_t x = k < 2 ? v[k] : strlen(fields[k - 2]);
		for (int i = 0; i < 8; i++)
			b[i] = (unsigned char)(x >> (8 * i));
		crypto_generichash_update(&hs, b, sizeof(b));
		if (k >= 2)
			crypto_generichash_update(&hs, (const unsigned char *)fields[k - 2],
						  strlen(fields[k - 2]));
	}
	crypto_generichash_final(&hs, h, sizeof(h));
	sodium_bin2hex(out, STORE_AUDIT_HASH_BUF, h, sizeof(h));
}

struct batch_check {
	int64_t n, last_seq;
	char last_hash[STORE_AUDIT_HASH_BUF];
	int bad;
};

static int check_entry(void *ctx, const struct store_audit_entry *e)
{
	struct batch_check *c = ctx;
	char want[STORE_AUDIT_HASH_BUF];

	ref_hash(e, want);
	if (strcmp(want, e->hash) != 0 || e->seq != c->last_seq + 1 ||
	    strcmp(e->prev, c->last_hash) != 0)
		c->bad++;
	c->last_seq = e->seq;
	memcpy(c->last_hash, e->hash, sizeof(c->last_hash));
	c->n++;
	return 0;
}

/* A batch of 45 read records (inserted 32, 4, 4, 4 and 1 rows at a time)
 * and one of 3: seq without gaps, each prev the hash before it, each hash
 * that of the documented format; a field at its cap hashed whole. */
static void test_audit_batch(void **state)
{
	tx_store *st = *state;
	struct tx_error err = { 0 };
	struct store_audit_entry *e = calloc(48, sizeof(*e)), last;
	struct store_audit_query q = { 0 };
	struct batch_check c = { 0 };
	char detail[2000], what[64];

	assert_non_null(e);
	memset(detail, 'd', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	assert_int_equal(store_audit_get(st, 0, &last), TX_OK);
	for (int i = 0; i < 48; i++) {
		snprintf(what, sizeof(what), "collection c%d", i);
		store_audit_entry_set(&e[i], "user:ann", i % 2 ? "192.0.2.7" : "",
				      "read", what, i == 7 ? detail : "1 of 100 objects");
		e[i].at = 1700000000000000 + i;
	}
	assert_int_equal(store_audit_batch(st, e, 45, &err), TX_OK);
	assert_int_equal(store_audit_batch(st, e + 45, 3, &err), TX_OK);
	assert_int_equal(e[0].seq, last.seq + 1);
	assert_int_equal(e[47].seq, last.seq + 48);
	assert_int_equal(strlen(e[7].detail), sizeof(e[7].detail) - 1);
	q.after_seq = last.seq;
	c.last_seq = last.seq;
	memcpy(c.last_hash, last.hash, sizeof(c.last_hash));
	assert_int_equal(store_audit_list(st, &q, check_entry, &c, &err), TX_OK);
	assert_int_equal(c.n, 48);
	assert_int_equal(c.bad, 0);
	assert_string_equal(c.last_hash, e[47].hash);
	free(e);
}

/* node.json's store.conninfo never holds a password; a bad backend or
 * conninfo is refused with the field named, and nothing changes. */
static void test_configure_refuses(void **state)
{
	struct tx_error err = { 0 };
	const char *before = store_backend_name();

	(void)state;
	assert_int_equal(store_configure("postgres", "host=/tmp dbname=x"
					 " password=secret", &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "password"));
	assert_int_equal(store_configure("postgres", "postgresql://u:secret@h/db",
					 &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "password"));
	assert_int_equal(store_configure("postgres", "host='unclosed", &err),
			 TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "store.conninfo"));
	assert_int_equal(store_configure("mysql", "x", &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "store.backend"));
	assert_string_equal(store_backend_name(), before);
}

/* A test classifier: reports on the priority lane. */
static void reports_first(const struct store_item *items, size_t n,
			  unsigned char *lanes)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].obj != NULL &&
		    strcmp(tx_json_str(items[i].obj, "type"), "report") == 0)
			lanes[i] = STORE_LANE_PRIORITY;
}

/* Commits are announced to a watch; lanes are kept per row and read
 * apart; each lane's cursor moves alone. */
static void test_commit_watch_and_lanes(void **state)
{
	tx_store *st = *state;
	struct store_user admin = { .id = 0, .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	struct store_page pg;
	struct store_watch *w = NULL;
	char id[TX_UUID_BUF], sid[TX_UUID_BUF];
	json_t *ind = obj(900, "2020-01-01T00:00:00Z");
	json_t *rep = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}", "type",
				"report", "spec_version", "2.1", "id",
				"report--00000000-0000-4000-8000-000000000900",
				"created", "2020-01-01T00:00:00Z", "modified",
				"2020-01-01T00:00:00Z", "object_refs",
				"indicator--00000000-0000-4000-8000-000000000900");
	struct store_item items[] = { { .obj = ind, .id = "i" }, { .obj = rep, .id = "r" } };
	struct store_cursor start = { 0, 0 };

	assert_int_equal(store_watch_open(path, &w, &err), TX_OK);
	assert_false(store_watch_polls(w));
	assert_int_equal(store_watch_wait(w, 0), 0);      /* nothing yet */
	store_watch_interrupt(w);
	assert_int_equal(store_watch_wait(w, 10000), 0);  /* interrupted */
	store_set_lane_classifier(reports_first);
	assert_int_equal(store_collection_add(st, "Lanes", NULL, "lanes", id, &err),
			 TX_OK);
	assert_int_equal(store_collection_get(st, &admin, "lanes", &c), TX_OK);
	assert_int_equal(store_collection_set_share(st, c.pk, "partners", NULL,
						    &err), TX_OK);
	assert_int_equal(store_put_objects(st, c.pk, &admin, items, 2, sid, &err),
			 TX_OK);
	store_set_lane_classifier(NULL);
	assert_int_equal(store_watch_wait(w, 10000), 1);  /* the commits */
	assert_int_equal(store_query_lane(st, STORE_LANE_PRIORITY, &start, 10,
					  NULL, NULL, &pg, &err), TX_OK);
	assert_int_equal(pg.n, 1);
	assert_int_equal(store_query_lane(st, STORE_LANE_BULK, &start, 100000,
					  NULL, NULL, &pg, &err), TX_OK);
	int64_t n_bulk = (int64_t)pg.n;
	assert_int_equal(store_query_outgoing(st, &start, 100000, NULL, NULL, &pg,
					      &err), TX_OK);
	assert_int_equal((int64_t)pg.n, n_bulk + 1);
	store_watch_close(w);
	json_decref(ind);
	json_decref(rep);
}

/*
 * A cursor moved back (here: a policy version released to observers)
 * while a batch was in flight stays back when that batch is acknowledged:
 * the batch began past where the cursor now is, and moving the cursor to
 * its end would skip the rewound rows (store_peer_lane_moved's from).
 */
static void test_rewind_holds_in_flight(void **state)
{
	tx_store *st = *state;
	struct store_user admin = { .id = 0, .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	struct store_peer *p = calloc(1, sizeof(*p)), *q = calloc(1, sizeof(*q));
	char id[TX_UUID_BUF], sid[TX_UUID_BUF];
	json_t *o = obj(950, "2020-01-01T00:00:00Z");
	struct store_item items[] = { { .obj = o, .id = "o" } };
	const char *ids[] = { "indicator--00000000-0000-4000-8000-000000000950" };
	struct store_cursor start = { 0, 0 }, ahead, past;
	struct store_page pg;
	int done = 0;

	assert_non_null(p);
	assert_non_null(q);
	snprintf(p->party, sizeof(p->party), "OB");
	snprintf(p->name, sizeof(p->name), "observer node");
	snprintf(p->role, sizeof(p->role), "%s", STORE_PARTY_OBSERVER);
	snprintf(p->cert_fp, sizeof(p->cert_fp), "%064d", 7);
	snprintf(p->cert_pem, sizeof(p->cert_pem), "pem");
	snprintf(p->sign_pk, sizeof(p->sign_pk), "%064d", 8);
	snprintf(p->seal_pk, sizeof(p->seal_pk), "%064d", 9);
	assert_int_equal(store_peer_add(st, p, &err), TX_OK);
	assert_int_equal(store_collection_add(st, "Rewind", NULL, "rewind", id, &err),
			 TX_OK);
	assert_int_equal(store_collection_get(st, &admin, "rewind", &c), TX_OK);
	assert_int_equal(store_collection_set_share(st, c.pk, "partners", NULL,
						    &err), TX_OK);
	assert_int_equal(store_put_objects(st, c.pk, &admin, items, 1, sid, &err),
			 TX_OK);
	/* the observer's bulk cursor is past o (o went by as a draft) */
	assert_int_equal(store_query_lane(st, STORE_LANE_BULK, &start, 100000,
					  NULL, NULL, &pg, &err), TX_OK);
	ahead = pg.next;
	assert_int_equal(store_peer_lane_moved(st, "OB", STORE_LANE_BULK, NULL, &start,
					       &ahead, 1, 1), TX_OK);
	/* a batch leaves from there; o is released to observers meanwhile */
	past = (struct store_cursor){ ahead.date_added + 1000, ahead.rowid + 10 };
	assert_int_equal(store_policy_release(st, "digest-rewind", ids, 1, &done,
					      &err), TX_OK);
	assert_int_equal(store_peer_find(st, "OB", NULL, NULL, q), TX_OK);
	assert_true(q->push.date_added < ahead.date_added ||
		    q->push.rowid < ahead.rowid);
	struct store_cursor rewound = q->push;
	/* the batch is acknowledged: the cursor stays where the rewind put it */
	assert_int_equal(store_peer_lane_moved(st, "OB", STORE_LANE_BULK, NULL, &ahead,
					       &past, 3, 1), TX_OK);
	assert_int_equal(store_peer_find(st, "OB", NULL, NULL, q), TX_OK);
	assert_int_equal(q->push.date_added, rewound.date_added);
	assert_int_equal(q->push.rowid, rewound.rowid);
	/* a batch from the rewound cursor moves it on */
	assert_int_equal(store_peer_lane_moved(st, "OB", STORE_LANE_BULK, NULL, &rewound,
					       &past, 3, 1), TX_OK);
	assert_int_equal(store_peer_find(st, "OB", NULL, NULL, q), TX_OK);
	assert_int_equal(q->push.date_added, past.date_added);
	assert_int_equal(q->push.rowid, past.rowid);

	/* Fenced by the lease: a process whose lease was taken over while
	 * its batch flew moves and counts nothing; the holder does. */
	int held = 0;
	int64_t delivered = q->delivered, now = tx_time_now_us();
	struct store_cursor later = { past.date_added + 1000, past.rowid + 10 };
	assert_int_equal(store_lease_claim(st, "OB", "process-b", NULL, now,
					   60000000, &held, NULL, NULL, &err), TX_OK);
	assert_int_equal(held, 1);
	assert_int_equal(store_peer_lane_moved(st, "OB", STORE_LANE_BULK,
					       "process-a", &past, &later, 5, 1),
			 TX_OK);
	assert_int_equal(store_peer_find(st, "OB", NULL, NULL, q), TX_OK);
	assert_int_equal(q->push.rowid, past.rowid);
	assert_int_equal(q->delivered, delivered);
	assert_int_equal(store_peer_lane_moved(st, "OB", STORE_LANE_BULK,
					       "process-b", &past, &later, 5, 1),
			 TX_OK);
	assert_int_equal(store_peer_find(st, "OB", NULL, NULL, q), TX_OK);
	assert_int_equal(q->push.rowid, later.rowid);
	assert_int_equal(q->delivered, delivered + 5);
	json_decref(o);
	free(p);
	free(q);
}

/* Leases (store/leases.c): one holder at a time, until it lapses; a
 * holder known dead can be taken over at once; released on request. */
static void test_leases(void **state)
{
	tx_store *st = *state;
	struct tx_error err = { 0 };
	char cur[STORE_LEASE_HOLDER_MAX];
	int64_t until = 0, now = 1000000000;
	int held = -1;

	assert_int_equal(store_lease_claim(st, "UK", "a", NULL, now, 1000, &held,
					   cur, &until, &err), TX_OK);
	assert_int_equal(held, 1);
	assert_int_equal(until, now + 1000);
	/* b: refused while a's lease runs, told who has it until when */
	assert_int_equal(store_lease_claim(st, "UK", "b", NULL, now + 10, 1000, &held,
					   cur, &until, &err), TX_OK);
	assert_int_equal(held, 0);
	assert_string_equal(cur, "a");
	assert_int_equal(until, now + 1000);
	/* another name is another lease */
	assert_int_equal(store_lease_claim(st, "US", "b", NULL, now, 1000, &held,
					   NULL, NULL, &err), TX_OK);
	assert_int_equal(held, 1);
	/* a renews; b is still refused after a's first term */
	assert_int_equal(store_lease_claim(st, "UK", "a", NULL, now + 900, 1000, &held,
					   NULL, &until, &err), TX_OK);
	assert_int_equal(held, 1);
	assert_int_equal(store_lease_claim(st, "UK", "b", NULL, now + 1500, 1000,
					   &held, cur, NULL, &err), TX_OK);
	assert_int_equal(held, 0);
	/* ... and gets it once a has not renewed for a lease time */
	assert_int_equal(store_lease_claim(st, "UK", "b", NULL, now + 1900, 1000,
					   &held, cur, NULL, &err), TX_OK);
	assert_int_equal(held, 1);
	assert_int_equal(store_lease_claim(st, "UK", "a", NULL, now + 1901, 1000,
					   &held, cur, NULL, &err), TX_OK);
	assert_int_equal(held, 0);
	assert_string_equal(cur, "b");
	/* c takes over from b, known dead, at once; a wrong name does not */
	assert_int_equal(store_lease_claim(st, "UK", "c", "a", now + 1902, 1000,
					   &held, cur, NULL, &err), TX_OK);
	assert_int_equal(held, 0);
	assert_int_equal(store_lease_claim(st, "UK", "c", "b", now + 1902, 1000,
					   &held, cur, NULL, &err), TX_OK);
	assert_int_equal(held, 1);
	assert_int_equal(store_lease_get(st, "UK", cur, &until), TX_OK);
	assert_string_equal(cur, "c");
	assert_int_equal(until, now + 2902);
	/* released: free for anyone; b's other lease stays */
	assert_int_equal(store_lease_release(st, NULL, "c", &err), TX_OK);
	assert_int_equal(store_lease_get(st, "UK", cur, &until), TX_ERR_NOTFOUND);
	assert_int_equal(store_lease_get(st, "US", cur, &until), TX_OK);
	assert_string_equal(cur, "b");
	assert_int_equal(store_lease_claim(st, "UK", "a", NULL, now + 1903, 1000,
					   &held, NULL, NULL, &err), TX_OK);
	assert_int_equal(held, 1);
	/* renewals in one commit (serve's lease keeper): a's UK is renewed,
	 * b's US is not a's, and FR was never claimed */
	const char names[3][TX_PARTY_MAX] = { "UK", "US", "FR" };
	int hv[3] = { -1, -1, -1 };
	assert_int_equal(store_lease_renew(st, "a", names, 3, now + 2500, 1000,
					   hv, &err), TX_OK);
	assert_int_equal(hv[0], 1);
	assert_int_equal(hv[1], 0);
	assert_int_equal(hv[2], 0);
	assert_int_equal(store_lease_get(st, "UK", cur, &until), TX_OK);
	assert_string_equal(cur, "a");
	assert_int_equal(until, now + 3500);
	assert_int_equal(store_lease_get(st, "US", cur, &until), TX_OK);
	assert_string_equal(cur, "b");
	assert_int_equal(store_lease_get(st, "FR", cur, &until), TX_ERR_NOTFOUND);
}

/* PostgreSQL: a commit through another folder's path (another machine,
 * as far as notify files go) wakes a watch here, by LISTEN/NOTIFY
 * (store/pg_notify.c); on SQLite two paths are two databases: skipped. */
static void test_commit_wakes_other_machine(void **state)
{
	struct store_user admin = { .id = 0, .admin = 1 };
	struct tx_error err = { 0 };
	struct store_watch *w = NULL;
	char other[PATH_MAX], id[TX_UUID_BUF];
	tx_store *st2 = NULL;

	(void)state;
	if (pg_base == NULL) {
		print_message("skip: PostgreSQL only (TRILEX_TEST_PG)\n");
		skip();
	}
	snprintf(other, sizeof(other), "%s/other", dir);
	assert_int_equal(mkdir(other, 0700), 0);
	snprintf(other, sizeof(other), "%s/other/t.db", dir);
	assert_int_equal(store_watch_open(path, &w, &err), TX_OK);
	assert_int_equal(store_open(other, 0, &st2, &err), TX_OK);
	/* the listener is up (it touches the file once connected) */
	(void)store_watch_wait(w, 10000);
	while (store_watch_wait(w, 200) == 1)
		;
	assert_int_equal(store_collection_add(st2, "Elsewhere", NULL, "elsewhere",
					      id, &err), TX_OK);
	{
		json_t *o = obj(950, "2020-01-01T00:00:00Z");
		struct store_item it = { .obj = o, .id = "x" };
		struct store_collection c;
		char sid[TX_UUID_BUF];
		assert_int_equal(store_collection_get(st2, &admin, "elsewhere", &c),
				 TX_OK);
		assert_int_equal(store_put_objects(st2, c.pk, &admin, &it, 1, sid,
						   &err), TX_OK);
		json_decref(o);
	}
	assert_int_equal(store_watch_wait(w, 10000), 1);
	store_close(st2);
	store_watch_close(w);
}

/* Writers' turns: a writer that is not big, waiting, goes before a big
 * one that waited first (an alert is not stored behind the next bulk
 * batch too). The turns are taken in an order the test fixes by waiting
 * until each thread waits; no timing is asserted. */
static char turn_order[4];
static pthread_mutex_t turn_mu = PTHREAD_MUTEX_INITIALIZER;

static void took_turn(char who)
{
	pthread_mutex_lock(&turn_mu);
	turn_order[strlen(turn_order)] = who;
	pthread_mutex_unlock(&turn_mu);
}

static void *big_writer(void *arg)
{
	(void)arg;
	store_db_write_lock_big();
	took_turn('B');
	store_db_write_unlock();
	return NULL;
}

static void *small_writer(void *arg)
{
	(void)arg;
	store_db_write_lock();
	took_turn('s');
	store_db_write_unlock();
	return NULL;
}

static void wait_waiting(int n)
{
	while (store_db_write_waiting() < n)
		usleep(1000);
}

static void test_write_turns_small_first(void **state)
{
	pthread_t big, small;

	(void)state;
	memset(turn_order, 0, sizeof(turn_order));
	store_db_write_lock();
	assert_int_equal(pthread_create(&big, NULL, big_writer, NULL), 0);
	wait_waiting(1);
	assert_int_equal(pthread_create(&small, NULL, small_writer, NULL), 0);
	wait_waiting(2);
	store_db_write_unlock();
	assert_int_equal(pthread_join(big, NULL), 0);
	assert_int_equal(pthread_join(small, NULL), 0);
	assert_string_equal(turn_order, "sB");
	/* a big writer alone still has its turn */
	memset(turn_order, 0, sizeof(turn_order));
	assert_int_equal(pthread_create(&big, NULL, big_writer, NULL), 0);
	assert_int_equal(pthread_join(big, NULL), 0);
	assert_string_equal(turn_order, "B");
}

/* Every table of a new database is in schema.c's list (copied by `trilex
 * migrate` or excluded with a reason): a migration that adds a table and
 * forgets the list fails here. */
/* Failed passwords (store/authfail.c): a count fades after forget_us
 * unless it reached keep_from; clear forgets it; scopes are apart. */
static void test_auth_failures(void **state)
{
	tx_store *st = *state;
	struct tx_error err = { 0 };
	struct store_auth_fail f;
	int64_t n = 0, t = 1000000000, forget = 1000;

	assert_int_equal(store_auth_fail_get(st, "taxii.name", "eve", 3, &f, &err),
			 TX_OK);
	assert_int_equal(f.failures, 0);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(store_auth_fail_add(st, "taxii.name", "eve", 3, t + i,
						     forget, 3, &n, &err), TX_OK);
		assert_int_equal(n, i);
	}
	assert_int_equal(store_auth_fail_get(st, "taxii.name", "eve", 3, &f, &err),
			 TX_OK);
	assert_int_equal(f.failures, 3);
	assert_int_equal(f.last_us, t + 3);
	/* another scope, another count */
	assert_int_equal(store_auth_fail_get(st, "console.name", "eve", 3, &f, &err),
			 TX_OK);
	assert_int_equal(f.failures, 0);
	/* at keep_from (a lockout's count) it does not fade ... */
	assert_int_equal(store_auth_fail_add(st, "taxii.name", "eve", 3,
					     t + 3 + forget + 1, forget, 3, &n, &err),
			 TX_OK);
	assert_int_equal(n, 4);
	/* ... below it, it does */
	assert_int_equal(store_auth_fail_add(st, "taxii.name", "bob", 3, t, forget,
					     3, &n, &err), TX_OK);
	assert_int_equal(store_auth_fail_add(st, "taxii.name", "bob", 3,
					     t + forget + 1, forget, 3, &n, &err),
			 TX_OK);
	assert_int_equal(n, 1);
	/* a right password forgets the count */
	assert_int_equal(store_auth_fail_clear(st, "taxii.name", "bob", 3, &err),
			 TX_OK);
	assert_int_equal(store_auth_fail_get(st, "taxii.name", "bob", 3, &f, &err),
			 TX_OK);
	assert_int_equal(f.failures, 0);
	/* a new row prunes the faded ones (not eve's, at keep_from) */
	assert_int_equal(store_auth_fail_add(st, "taxii.name", "old", 3, t, forget,
					     3, &n, &err), TX_OK);
	assert_int_equal(store_auth_fail_add(st, "taxii.name", "new", 3,
					     t + 10 * forget, forget, 3, &n, &err),
			 TX_OK);
	assert_int_equal(store_auth_fail_get(st, "taxii.name", "old", 3, &f, &err),
			 TX_OK);
	assert_int_equal(f.last_us, 0);
	assert_int_equal(store_auth_fail_get(st, "taxii.name", "eve", 3, &f, &err),
			 TX_OK);
	assert_int_equal(f.failures, 4);
}

/* The one integer sql returns on either backend, or -1. */
static int64_t db_count(const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	int64_t v = -1;

	if (pg_base != NULL)
		return pg_count(sql);
	if (sqlite3_open(path, &h) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return v;
}

/* A flood of names keeps STORE_AUTH_FAIL_ROWS rows a scope: the least
 * recently failed make room. (The table is filled to the cap by one
 * statement from outside; the flood's last 50 go through the store.) */
static void test_auth_failures_bounded(void **state)
{
	tx_store *st = *state;
	struct tx_error err = { 0 };
	struct store_auth_fail f;
	int64_t n = 0, t = 2000000000;
	const int extra = 50;
	char name[32], sql[256];

	_Static_assert(STORE_AUTH_FAIL_ROWS == 10000, "the fill below makes 10000");
	assert_int_equal(tamper("WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT"
				" i + 1 FROM c WHERE i < 9999) INSERT INTO auth_failures"
				" SELECT 'taxii.addr', 'seed' || i, 1, 2000000000 + i"
				" FROM c",
				"INSERT INTO auth_failures SELECT 'taxii.addr', 'seed'"
				" || i, 1, 2000000000 + i FROM generate_series(0, 9999)"
				" i"), 0);
	for (int i = 0; i < extra; i++) {
		snprintf(name, sizeof(name), "flood%d", i);
		assert_int_equal(store_auth_fail_add(st, "taxii.addr", name,
						     strlen(name), t + 10000 + i,
						     1000000000, 0, &n, &err), TX_OK);
		assert_int_equal(n, 1);
		assert_int_equal(store_auth_fail_get(st, "taxii.addr", name,
						     strlen(name), &f, &err), TX_OK);
		assert_int_equal(f.failures, 1);
	}
	assert_int_equal(db_count("SELECT count(*) FROM auth_failures WHERE"
				  " scope = 'taxii.addr'"), STORE_AUTH_FAIL_ROWS);
	/* the oldest 50 went, the 51st stayed */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM auth_failures WHERE hash"
		 " IN ('seed%d', 'seed%d')", extra - 1, extra);
	assert_int_equal(db_count(sql), 1);
	assert_int_equal(db_count("SELECT count(*) FROM auth_failures WHERE hash ="
				  " 'seed50'"), 1);
}

#define RACERS 2
#define RACE_ADDS 150

/* Two processes counting one name's failures at once: every failure
 * counts, and each count is returned to exactly one of them. */
static void test_auth_failures_two_processes(void **state)
{
	int fds[2], seen[RACERS * RACE_ADDS + 1] = { 0 };
	pid_t kids[RACERS];
	int64_t v;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	for (int k = 0; k < RACERS; k++) {
		if ((kids[k] = fork()) == 0) {
			tx_store *own = NULL;
			int64_t n = 0;
			int bad = store_open(path, 0, &own, NULL) != TX_OK;
			for (int i = 0; i < RACE_ADDS && !bad; i++) {
				bad = store_auth_fail_add(own, "console.name", "race", 4,
							  3000000000LL + i, 1000000000,
							  0, &n, NULL) != TX_OK ||
				      write(fds[1], &n, sizeof(n)) != sizeof(n);
			}
			store_close(own);
			_exit(bad);
		}
		assert_true(kids[k] > 0);
	}
	close(fds[1]);
	for (int i = 0; i < RACERS * RACE_ADDS; i++) {
		assert_int_equal(read(fds[0], &v, sizeof(v)), sizeof(v));
		assert_true(v >= 1 && v <= RACERS * RACE_ADDS);
		assert_int_equal(seen[v]++, 0);
	}
	assert_int_equal(read(fds[0], &v, sizeof(v)), 0);
	close(fds[0]);
	for (int k = 0; k < RACERS; k++) {
		int status = -1;
		assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

static void test_table_list(void **state)
{
	tx_store *st = *state;
	struct tx_error err = { 0 };
	char out[512];

	assert_int_equal(store_migrate_unlisted(st, out, sizeof(out), &err), TX_OK);
	assert_string_equal(out, "");
	/* a table the list does not know is named */
	assert_int_equal(tamper("CREATE TABLE forgotten (x INTEGER)",
				"CREATE TABLE forgotten (x BIGINT)"), 0);
	assert_int_equal(store_migrate_unlisted(st, out, sizeof(out), &err), TX_OK);
	assert_string_equal(out, "forgotten");
	assert_int_equal(tamper("DROP TABLE forgotten", "DROP TABLE forgotten"), 0);
}

static int count_row(void *ctx, const struct store_row *r)
{
	(void)r;
	++*(int *)ctx;
	return STORE_ROW_NEXT;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A put into a collection that does not exist fails and stores nothing
 * (SQLite: the foreign key on objects.coll; PostgreSQL: the check of
 * store/put_pg.c that replaced it in migration 25). */
static void test_put_needs_collection(void **state)
{
	tx_store *st = *state;
	struct store_user admin = { .admin = 1 };
	struct store_query q = { .collection_pk = 987654, .limit = 10 };
	struct tx_error err = { 0 };
	struct store_page pg;
	json_t *o = obj(960, "2020-01-01T00:00:00Z");
	struct store_item it = { .obj = o };
	char sid[TX_UUID_BUF];
	int n = 0;

	assert_int_not_equal(store_put_objects(st, 987654, &admin, &it, 1, sid, &err),
			     TX_OK);
	q.versions.all = 1;
	assert_int_equal(store_query_objects(st, &q, count_row, &n, &pg, &err), TX_OK);
	assert_int_equal(n, 0);
	if (pg_base != NULL)
		assert_int_equal(pg_count("SELECT count(*) FROM objects WHERE coll = 987654"
					  " OR id = 'indicator--00000000-0000-4000-8000-"
					  "000000000960'"), 0);
	json_decref(o);
}

static int dump_row(void *ctx, const struct store_row *r)
{
	tx_buf_printf(ctx, "%" PRId64 " %" PRId64 " %s %s %.*s\n", r->rowid,
		      r->date_added, r->id, r->version, (int)r->json_len, r->json);
	return STORE_ROW_NEXT;
}

/* The rows of collection pk that the versions select (all, first or
 * last), walked by next tokens of 7, as text; the caller frees it. */
static char *dump_coll(tx_store *st, int64_t pk, int all, int first)
{
	struct store_query q = { .collection_pk = pk, .limit = 7 };
	struct tx_error err = { 0 };
	struct store_page pg;
	struct tx_buf b;

	tx_buf_init(&b, 0);
	q.versions.all = all;
	q.versions.first = first;
	q.versions.last = !all && !first;
	do {
		assert_int_equal(store_query_objects(st, &q, dump_row, &b, &pg, &err),
				 TX_OK);
		q.has_cursor = 1;
		q.cursor = pg.next;
	} while (pg.more);
	assert_true(b.len > 0);
	return tx_buf_take(&b);
}

/* Batch k of the migration test: ids from..to-1 at version v. */
static void put_range(tx_store *st, int64_t pk, int from, int to, const char *v)
{
	struct store_user admin = { .admin = 1 };
	struct store_item items[40] = { { 0 } };
	json_t *o[40];
	struct tx_error err = { 0 };
	char sid[TX_UUID_BUF];
	int n = 0;

	for (int i = from; i < to && n < 40; i++) {
		o[n] = obj(2500 + i, v);
		items[n].obj = o[n];
		n++;
	}
	assert_int_equal(store_put_objects(st, pk, &admin, items, (size_t)n, sid,
					   &err), TX_OK);
	for (int i = 0; i < n; i++)
		json_decref(o[i]);
}

/* Migration 25 on a database that schema 24 made and filled (on
 * PostgreSQL: objects.coll's foreign key gives way to put_pg.c's check
 * and the collections_kept trigger, and objects gets fillfactor 70; on
 * SQLite nothing): every object and version is kept, with its rowid,
 * date_added and first/last flags; new versions after it are flagged
 * right; and on PostgreSQL a collection holding objects still cannot be
 * deleted, renumbered or truncated, while an empty one can be deleted. */
static void test_migration_25(void **state)
{
	struct store_collection a, b;
	struct tx_error err = { 0 };
	char p24[160], saved[1024], *all, *first, *last, *x;
	tx_store *st = NULL;

	(void)state;
	snprintf(saved, sizeof(saved), "%s", pg_conninfo);
	snprintf(p24, sizeof(p24), "%s/m24.db", dir);
	assert_int_equal(fresh_db("store_m24"), 0);
	store_schema_limit = 24;
	assert_int_equal(store_open(p24, 1, &st, &err), TX_OK);
	store_schema_limit = 0;
	assert_int_equal(store_schema_version(st), 24);
	if (pg_base != NULL)
		assert_int_equal(pg_count("SELECT count(*) FROM pg_constraint WHERE"
					  " conname = 'objects_coll_fkey'"), 1);
	assert_int_equal(store_collection_ensure(st, "M24", "", "m24", &a, &err), TX_OK);
	assert_int_equal(store_collection_ensure(st, "Empty", "", "m24e", &b, &err),
			 TX_OK);
	put_range(st, a.pk, 0, 30, "2021-01-01T00:00:00Z");
	put_range(st, a.pk, 0, 15, "2021-02-01T00:00:00Z");  /* new last */
	put_range(st, a.pk, 15, 25, "2020-12-01T00:00:00Z"); /* new first */
	put_range(st, a.pk, 20, 30, "2021-01-01T00:00:00Z"); /* present */
	all = dump_coll(st, a.pk, 1, 0);
	first = dump_coll(st, a.pk, 0, 1);
	last = dump_coll(st, a.pk, 0, 0);
	store_close(st);

	assert_int_equal(store_open(p24, 0, &st, &err), TX_OK);
	assert_true(store_schema_version(st) >= 25);
	x = dump_coll(st, a.pk, 1, 0);
	assert_string_equal(x, all);
	free(x);
	x = dump_coll(st, a.pk, 0, 1);
	assert_string_equal(x, first);
	free(x);
	x = dump_coll(st, a.pk, 0, 0);
	assert_string_equal(x, last);
	free(x);
	/* after it: a new last version of 0..14 (HOT-updated flags on PG) */
	put_range(st, a.pk, 0, 15, "2021-03-01T00:00:00Z");
	x = dump_coll(st, a.pk, 0, 0);
	assert_non_null(strstr(x, "000000002500 2021-03-01T00:00:00Z"));
	assert_null(strstr(x, "000000002500 2021-02-01T00:00:00Z"));
	assert_non_null(strstr(x, "000000002515 2021-01-01T00:00:00Z"));
	free(x);
	x = dump_coll(st, a.pk, 1, 0);
	assert_int_equal(lines(x), lines(all) + 15);
	assert_int_equal(strncmp(x, all, strlen(all)), 0); /* the new ones last */
	free(x);
	if (pg_base != NULL) {
		char sql[160];
		assert_int_equal(pg_count("SELECT count(*) FROM pg_constraint WHERE"
					  " conname = 'objects_coll_fkey'"), 0);
		assert_int_equal(pg_count("SELECT count(*) FROM pg_class WHERE relname ="
					  " 'objects' AND 'fillfactor=70' = ANY(reloptions)"), 1);
		assert_int_equal(pg_count("SELECT count(*) FROM objects"), 30 + 15 + 10 + 15);
		snprintf(sql, sizeof(sql), "DELETE FROM collections WHERE pk = %" PRId64, a.pk);
		assert_int_equal(tamper(NULL, sql), -1);
		snprintf(sql, sizeof(sql), "UPDATE collections SET pk = pk + 1000 WHERE"
			 " pk = %" PRId64, a.pk);
		assert_int_equal(tamper(NULL, sql), -1);
		assert_int_equal(tamper(NULL, "TRUNCATE collections CASCADE"), -1);
		assert_int_equal(pg_count("SELECT count(*) FROM collections"), 2);
		snprintf(sql, sizeof(sql), "DELETE FROM collections WHERE pk = %" PRId64, b.pk);
		assert_int_equal(tamper(NULL, sql), 0);
		assert_int_equal(pg_count("SELECT count(*) FROM collections"), 1);
	}
	store_close(st);
	free(all);
	free(first);
	free(last);
	if (pg_base != NULL) {
		snprintf(pg_conninfo, sizeof(pg_conninfo), "%s", saved);
		assert_int_equal(store_configure("postgres", saved, NULL), TX_OK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_and_reopen),
		cmocka_unit_test(test_collection_ensure_races),
		cmocka_unit_test(test_write_turns_small_first),
		cmocka_unit_test(test_accounts_and_grants),
		cmocka_unit_test(test_user_names_and_lock),
		cmocka_unit_test(test_versions_pages_and_delete),
		cmocka_unit_test(test_sco_without_version),
		cmocka_unit_test(test_batch_mixed_versions),
		cmocka_unit_test(test_status_policy),
		cmocka_unit_test(test_row_callback_stop),
		cmocka_unit_test(test_supply_index),
		cmocka_unit_test(test_saved_filters),
		cmocka_unit_test(test_collection_sharing),
		cmocka_unit_test(test_feeds),
		cmocka_unit_test(test_roles_and_tokens),
		cmocka_unit_test(test_audit_chain),
		cmocka_unit_test(test_audit_batch),
		cmocka_unit_test(test_commit_watch_and_lanes),
		cmocka_unit_test(test_rewind_holds_in_flight),
		cmocka_unit_test(test_leases),
		cmocka_unit_test(test_commit_wakes_other_machine),
		cmocka_unit_test(test_configure_refuses),
		cmocka_unit_test(test_table_list),
		cmocka_unit_test(test_put_needs_collection),
		cmocka_unit_test(test_migration_25),
		cmocka_unit_test(test_auth_failures),
		cmocka_unit_test(test_auth_failures_bounded),
		cmocka_unit_test(test_auth_failures_two_processes),
	};

	pg_base = getenv("TRILEX_TEST_PG");
	if (pg_base != NULL && *pg_base == '\0')
		pg_base = NULL;
	if (pg_base != NULL)
		printf("store tests on PostgreSQL (%s)\n", pg_base);
	return cmocka_run_group_tests(tests, setup, teardown);
}
