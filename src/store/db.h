/*
 * store/db.h: the one statement API of store/, over two backends (private
 * to the module; included by internal.h).
 *
 * The calls have the shapes of SQLite's (sqlite3_bind_text(s, i, t, n, d)
 * is store_db_bind_text(s, i, t, n, d), SQLITE_ROW is STORE_DB_ROW), so
 * that scripts/store-port can move store code written against SQLite onto
 * this API by renaming alone. A statement is prepared from SQL text with
 * ? or ?NNN placeholders: on SQLite it is that text; on PostgreSQL
 * (store/pg.c) the text goes through store_pg_sql (store/pg_sql.c: ? ->
 * $n and the documented dialect fragments) and becomes a server-side
 * prepared statement, values always travel as parameters.
 *
 * Each call dispatches on the statement: lite is set on SQLite, pg on
 * PostgreSQL. The SQLite path is one test and SQLite's own call.
 */
#ifndef TRILEX_STORE_DB_H
#define TRILEX_STORE_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include "core/core.h"

typedef struct tx_store tx_store;
struct store_pg_stmt;

/* One statement of either backend. */
typedef struct store_stmt {
	sqlite3_stmt *lite;          /* SQLite: the statement, else NULL */
	struct store_pg_stmt *pg;    /* PostgreSQL: the statement, else NULL */
} store_stmt;

/* Result codes: SQLite's values, which PostgreSQL's results are mapped to. */
enum {
	STORE_DB_OK = SQLITE_OK,
	STORE_DB_ERROR = SQLITE_ERROR,
	STORE_DB_BUSY = SQLITE_BUSY,
	STORE_DB_LOCKED = SQLITE_LOCKED,
	STORE_DB_NOMEM = SQLITE_NOMEM,
	STORE_DB_CONSTRAINT = SQLITE_CONSTRAINT,
	STORE_DB_ROW = SQLITE_ROW,
	STORE_DB_DONE = SQLITE_DONE,
	/* PostgreSQL only: the connection to the server is gone */
	STORE_DB_UNAVAILABLE = 1000,
};
/* Column types (store_db_column_type). */
enum {
	STORE_DB_INTEGER = SQLITE_INTEGER,
	STORE_DB_FLOAT = SQLITE_FLOAT,
	STORE_DB_TEXT = SQLITE_TEXT,
	STORE_DB_BLOB = SQLITE_BLOB,
	STORE_DB_NULL = SQLITE_NULL,
};
/* Bound text and blobs: kept by the caller until the statement is reset
 * (STATIC), or copied (TRANSIENT). */
#define STORE_DB_STATIC SQLITE_STATIC
#define STORE_DB_TRANSIENT SQLITE_TRANSIENT

enum store_backend { STORE_BACKEND_SQLITE = 0, STORE_BACKEND_POSTGRES = 1 };
/* Which backend the store runs on. */
enum store_backend store_db_backend(const tx_store *st);

/* The PostgreSQL side (store/pg.c); called through the inlines below. */
int store_pg_bind_int64(struct store_pg_stmt *s, int i, int64_t v);
int store_pg_bind_double(struct store_pg_stmt *s, int i, double v);
int store_pg_bind_text(struct store_pg_stmt *s, int i, const char *t, int n,
		       void (*d)(void *));
int store_pg_bind_blob(struct store_pg_stmt *s, int i, const void *p, int n,
		       void (*d)(void *));
int store_pg_bind_null(struct store_pg_stmt *s, int i);
int store_pg_step(struct store_pg_stmt *s);
int store_pg_reset(struct store_pg_stmt *s);
int store_pg_clear_bindings(struct store_pg_stmt *s);
int64_t store_pg_column_int64(struct store_pg_stmt *s, int i);
double store_pg_column_double(struct store_pg_stmt *s, int i);
const unsigned char *store_pg_column_text(struct store_pg_stmt *s, int i);
const void *store_pg_column_blob(struct store_pg_stmt *s, int i);
int store_pg_column_bytes(struct store_pg_stmt *s, int i);
int store_pg_column_type(struct store_pg_stmt *s, int i);
int store_pg_column_count(struct store_pg_stmt *s);

#define STORE_DB_CALL(s, lite_call, pg_call) \
	((s)->lite != NULL ? (lite_call) : (pg_call))

static inline int store_db_bind_int64(store_stmt *s, int i, int64_t v)
{
	return STORE_DB_CALL(s, sqlite3_bind_int64(s->lite, i, v),
			     store_pg_bind_int64(s->pg, i, v));
}

static inline int store_db_bind_int(store_stmt *s, int i, int v)
{
	return STORE_DB_CALL(s, sqlite3_bind_int(s->lite, i, v),
			     store_pg_bind_int64(s->pg, i, v));
}

static inline int store_db_bind_double(store_stmt *s, int i, double v)
{
	return STORE_DB_CALL(s, sqlite3_bind_double(s->lite, i, v),
			     store_pg_bind_double(s->pg, i, v));
}

static inline int store_db_bind_text(store_stmt *s, int i, const char *t, int n,
				     void (*d)(void *))
{
	return STORE_DB_CALL(s, sqlite3_bind_text(s->lite, i, t, n, d),
			     store_pg_bind_text(s->pg, i, t, n, d));
}

static inline int store_db_bind_blob(store_stmt *s, int i, const void *p, int n,
				     void (*d)(void *))
{
	return STORE_DB_CALL(s, sqlite3_bind_blob(s->lite, i, p, n, d),
			     store_pg_bind_blob(s->pg, i, p, n, d));
}

static inline int store_db_bind_null(store_stmt *s, int i)
{
	return STORE_DB_CALL(s, sqlite3_bind_null(s->lite, i),
			     store_pg_bind_null(s->pg, i));
}

/* STORE_DB_ROW, STORE_DB_DONE or an error code. */
static inline int store_db_step(store_stmt *s)
{
	return STORE_DB_CALL(s, sqlite3_step(s->lite), store_pg_step(s->pg));
}

static inline int store_db_reset(store_stmt *s)
{
	return STORE_DB_CALL(s, sqlite3_reset(s->lite), store_pg_reset(s->pg));
}

static inline int store_db_clear_bindings(store_stmt *s)
{
	return STORE_DB_CALL(s, sqlite3_clear_bindings(s->lite),
			     store_pg_clear_bindings(s->pg));
}

static inline int64_t store_db_column_int64(store_stmt *s, int i)
{
	return STORE_DB_CALL(s, sqlite3_column_int64(s->lite, i),
			     store_pg_column_int64(s->pg, i));
}

static inline int store_db_column_int(store_stmt *s, int i)
{
	return STORE_DB_CALL(s, sqlite3_column_int(s->lite, i),
			     (int)store_pg_column_int64(s->pg, i));
}

static inline double store_db_column_double(store_stmt *s, int i)
{
	return STORE_DB_CALL(s, sqlite3_column_double(s->lite, i),
			     store_pg_column_double(s->pg, i));
}

static inline const unsigned char *store_db_column_text(store_stmt *s, int i)
{
	return STORE_DB_CALL(s, sqlite3_column_text(s->lite, i),
			     store_pg_column_text(s->pg, i));
}

static inline const void *store_db_column_blob(store_stmt *s, int i)
{
	return STORE_DB_CALL(s, sqlite3_column_blob(s->lite, i),
			     store_pg_column_blob(s->pg, i));
}

static inline int store_db_column_bytes(store_stmt *s, int i)
{
	return STORE_DB_CALL(s, sqlite3_column_bytes(s->lite, i),
			     store_pg_column_bytes(s->pg, i));
}

static inline int store_db_column_type(store_stmt *s, int i)
{
	return STORE_DB_CALL(s, sqlite3_column_type(s->lite, i),
			     store_pg_column_type(s->pg, i));
}

static inline int store_db_column_count(store_stmt *s)
{
	return STORE_DB_CALL(s, sqlite3_column_count(s->lite),
			     store_pg_column_count(s->pg));
}

/*
 * An uncached statement, sqlite3_prepare_v2's shape (n and tail are
 * ignored: sql is one NUL-terminated statement). Returns STORE_DB_OK or an
 * error code; free it with store_db_finalize.
 */
int store_db_prepare_v2(tx_store *st, const char *sql, int n, store_stmt **out,
			const char **tail);
/* Free a statement from store_db_prepare_v2 (NULL is fine). */
int store_db_finalize(store_stmt *s);
/* Rows changed by the last INSERT, UPDATE or DELETE of the connection. */
int64_t store_db_changes(tx_store *st);
/* The rowid (SQLite) or the id column (PostgreSQL: lastval() of the
 * table's sequence) of the last row inserted. */
int64_t store_db_last_id(tx_store *st);
/* 1 when no transaction is open on the connection. */
int store_db_autocommit(tx_store *st);
/* The connection's last error message. */
const char *store_db_errmsg(tx_store *st);
/* The connection's last error as a STORE_DB_ code. */
int store_db_errcode(tx_store *st);

#endif
