/*
 * store/recent.c: what the console lists: the newest objects (of a type,
 * with a word in them), counts of what came in to a collection since a
 * time, and every version of one object, each over
 * the collections the caller lists (its readable ones). Every scan is
 * bounded by a limit the caller gives: counts stop at their cap.
 */
#include <stdio.h>
#include <string.h>

#include "store/internal.h"

/* The caller's collections as a JSON array for json_each. */
static tx_err colls_json(const int64_t *colls, size_t n, struct tx_buf *b,
			 struct tx_error *err)
{
	tx_err rc = tx_buf_puts(b, "[");

	for (size_t i = 0; i < n && rc == TX_OK; i++)
		rc = tx_buf_printf(b, "%s%lld", i ? "," : "", (long long)colls[i]);
	if (rc == TX_OK)
		rc = tx_buf_puts(b, "]");
	return rc ? tx_error_set(err, rc, "out of memory") : TX_OK;
}

#define RECENT_COLS "rowid, date_added, id, version, spec_version, json," \
	" origin, via, coll"

static int row_out(store_stmt *s, store_row_fn fn, void *ctx)
{
	struct store_row row = { 0 };

	row.rowid = store_db_column_int64(s, 0);
	row.date_added = store_db_column_int64(s, 1);
	row.id = (const char *)store_db_column_text(s, 2);
	row.version = (const char *)store_db_column_text(s, 3);
	row.spec_version = (const char *)store_db_column_text(s, 4);
	row.json = (const char *)store_db_column_text(s, 5);
	row.json_len = (size_t)store_db_column_bytes(s, 5);
	row.origin = (const char *)store_db_column_text(s, 6);
	row.via = (const char *)store_db_column_text(s, 7);
	row.collection_pk = store_db_column_int64(s, 8);
	return fn(ctx, &row);
}

static tx_err run_rows(tx_store *st, store_stmt *s, store_row_fn fn,
		       void *ctx, size_t *n, struct tx_error *err)
{
	int r;

	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		int v = row_out(s, fn, ctx);
		if (v == STORE_ROW_STOP)
			return TX_OK;
		if (v != STORE_ROW_NEXT)
			return tx_error_set(err, TX_ERR_INTERNAL, "a row was refused");
		if (n)
			(*n)++;
	}
	return r == STORE_DB_DONE ? TX_OK : store_db_error(st, err, "list objects");
}

/* The newest last versions, by index idx, of the objects where holds. */
#define RECENT_SQL(idx, where) "SELECT " RECENT_COLS " FROM objects INDEXED" \
	" BY " idx " WHERE " where " AND is_last = 1" \
	" AND coll IN (SELECT value FROM json_each(?1))" \
	" AND (?2 IS NULL OR instr(json, ?2) > 0)" \
	" AND (?5 IS NULL OR via = ?5)" \
	" ORDER BY date_added DESC LIMIT ?3"

tx_err store_recent(tx_store *st, const struct store_recent *q,
		    store_row_fn fn, void *ctx, size_t *n, struct tx_error *err)
{
	struct tx_buf cl;
	store_stmt *s = NULL;
	const char *sql = NULL;
	tx_err rc;

	if (n)
		*n = 0;
	tx_buf_init(&cl, 0);
	if ((rc = colls_json(q->colls, q->n_colls, &cl, err)))
		goto out;
	/* Reports and incidents by their partial indexes; every type by
	 * date_added's. Other types would walk every object: refused. */
	if (q->type == NULL)
		sql = RECENT_SQL("objects_global", "TRUE"); /* "1": not a boolean on PG */
	else if (strcmp(q->type, "report") == 0)
		sql = RECENT_SQL("objects_reports", "type = 'report'");
	else if (strcmp(q->type, "incident") == 0)
		sql = RECENT_SQL("objects_incidents", "type = 'incident'");
	if (sql == NULL) {
		rc = tx_error_set(err, TX_ERR_INVALID, "store_recent lists reports,"
				  " incidents or every type, not %.40s", q->type);
		goto out;
	}
	if ((rc = store_db_prepare(st, sql, &s, err)))
		goto out;
	store_db_bind_text(s, 1, cl.data, -1, STORE_DB_STATIC);
	if (q->contains)
		store_db_bind_text(s, 2, q->contains, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 3, q->limit);
	if (q->via)
		store_db_bind_text(s, 5, q->via, -1, STORE_DB_STATIC);
	rc = run_rows(st, s, fn, ctx, n, err);
out:
	store_db_done(st, s);
	tx_buf_free(&cl);
	return rc;
}

tx_err store_count_added(tx_store *st, int64_t coll, int64_t since,
			 int64_t cap, int64_t *n, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	/* The (coll, date_added) index alone, at most cap entries of it: a
	 * burst of a million costs cap index entries, not a million rows.
	 * (PostgreSQL 15 wants the subquery's alias.) */
	*n = 0;
	if ((rc = store_db_prepare(st, "SELECT count(*) FROM (SELECT 1 FROM objects"
			     " INDEXED BY objects_added WHERE coll = ?1 AND"
			     " date_added > ?2 LIMIT ?3) AS t", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, coll);
	store_db_bind_int64(s, 2, since);
	store_db_bind_int64(s, 3, cap);
	if (store_db_step(s) == STORE_DB_ROW)
		*n = store_db_column_int64(s, 0);
	else
		rc = store_db_error(st, err, "count objects");
	store_db_done(st, s);
	return rc;
}

tx_err store_object_versions(tx_store *st, const int64_t *colls,
			     size_t n_colls, const char *id, int all,
			     store_row_fn fn, void *ctx, size_t *n,
			     struct tx_error *err)
{
	struct tx_buf cl;
	store_stmt *s = NULL;
	tx_err rc;

	if (n)
		*n = 0;
	tx_buf_init(&cl, 0);
	if ((rc = colls_json(colls, n_colls, &cl, err)))
		goto out;
	if ((rc = store_db_prepare(st, "SELECT " RECENT_COLS " FROM objects WHERE"
			     " coll IN (SELECT value FROM json_each(?1)) AND"
			     " id = ?2 AND (?3 <> 0 OR is_last = 1)"
			     " ORDER BY version_us DESC, coll LIMIT 1000", &s, err)))
		goto out;
	store_db_bind_text(s, 1, cl.data, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, id, -1, STORE_DB_STATIC);
	store_db_bind_int(s, 3, all ? 1 : 0);
	rc = run_rows(st, s, fn, ctx, n, err);
out:
	store_db_done(st, s);
	tx_buf_free(&cl);
	return rc;
}

tx_err store_count_after(tx_store *st, const struct store_cursor *c,
			 int64_t cap, int64_t *n, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	*n = 0;
	if ((rc = store_db_prepare(st, "SELECT count(*) FROM (SELECT 1 FROM objects"
			     " INDEXED BY objects_own WHERE via IS NULL AND"
			     " (date_added, rowid) > (?1, ?2) LIMIT ?3)", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, c->date_added);
	store_db_bind_int64(s, 2, c->rowid);
	store_db_bind_int64(s, 3, cap);
	if (store_db_step(s) == STORE_DB_ROW)
		*n = store_db_column_int64(s, 0);
	else
		rc = store_db_error(st, err, "count objects");
	store_db_done(st, s);
	return rc;
}
