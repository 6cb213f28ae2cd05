/* store/internal.h: what the files of store/ share; private to the module. */
#ifndef TRILEX_STORE_INTERNAL_H
#define TRILEX_STORE_INTERNAL_H

#include "store/db.h"
#include "store/store.h"

/* Writers of this process take turns here rather than in SQLite's busy
 * handler, which sleeps in steps of milliseconds: two writers at once then
 * cost one commit's wait, not a nap. (Other processes still meet the
 * busy handler.) Held around every write transaction of the store.
 * A big write (store_db_write_lock_big: more than STORE_WRITE_BIG objects
 * at once, a bulk batch from a partner) lets every other writer waiting
 * go first, so that an alert stored behind a backlog waits for the one
 * big write under way at most, not for the next ones too. */
#define STORE_WRITE_BIG 32
void store_db_write_lock(void);
void store_db_write_lock_big(void);
void store_db_write_unlock(void);
/* Writers waiting for their turn, big and others (for tests). */
int store_db_write_waiting(void);

#define STMT_CACHE 32

/* A prepared statement kept for reuse; busy while a caller holds it. */
struct cached_stmt {
	char *sql;
	store_stmt *stmt;
	int busy;
	uint64_t used;
};

struct store_pg;

struct tx_store {
	enum store_backend backend;
	sqlite3 *db;             /* SQLite: the connection, else NULL */
	struct store_pg *pg;     /* PostgreSQL: the connection, else NULL */
	int schema_version;
	struct cached_stmt cache[STMT_CACHE];
	uint64_t clock;
	int64_t status_failures_max;  /* failures listed per status */
	int64_t status_ttl_us;        /* how long a status is kept */
	int notify_fd;                /* DB-notify, touched after each commit
	                                 (store/notify.c), or -1 */
	/* PostgreSQL: what COMMIT is sent as, with the NOTIFY that wakes
	 * other machines (store/pg_notify.c) */
	char commit_sql[64];
	/* Read replicas (store/replica.c): who writes on this connection
	 * ("" when no one: store_set_writer), whether the open transaction
	 * is a write (BEGIN IMMEDIATE), and whether this is a replica's
	 * connection (reads only) */
	char writer[STORE_NAME_MAX + 16];
	int tx_write;
	int replica;
};

/* The status policy of a connection until store_set_status_policy. */
#define STATUS_FAILURES_MAX_DEFAULT 1000
#define STATUS_TTL_S_DEFAULT (7LL * 86400)

/* Announce st's commits (store/notify.c): the WAL hook that touches
 * db_path's notify file and checkpoints as SQLite would. */
/* Open DB-notify beside the database (st->notify_fd, -1 without it). */
void store_notify_open(tx_store *st, const char *db_path);
/* Tell waiters that something was committed (PostgreSQL's COMMIT; on
 * SQLite the WAL hook does it). */
void store_notify_touch(tx_store *st);
void store_notify_install(tx_store *st, const char *db_path);

/* ---- PostgreSQL: commits announced to other machines (store/pg_notify.c) ---- */

#define STORE_PG_NOTIFY_ID_BUF 17
/* The name of db_path's notify file in NOTIFY payloads (16 hex digits). */
void store_pg_notify_id(const char *db_path, char out[STORE_PG_NOTIFY_ID_BUF]);
/* The text COMMIT is sent as: the commit, then its NOTIFY. */
void store_pg_notify_commit_sql(const char *id, char *out, size_t n);
/* Start (first call) or count a user of the process's listener, which
 * touches db_path's notify file for commits made elsewhere; nothing on
 * SQLite. Each start is ended by one stop. */
void store_pg_listen_start(const char *db_path);
void store_pg_listen_stop(void);
/* The conninfo store_configure set, or NULL on SQLite. */
const char *store_conninfo(void);
/* The replica's conninfo store_configure_replica set ("" when none), and
 * its lag bound in ms. */
const char *store_read_conninfo(void);
int64_t store_read_max_lag_ms(void);
/* Inside st's write transaction, before its COMMIT: bump the writer's
 * mark when a replica is configured and st has a writer (replica.c). */
tx_err store_replica_mark(tx_store *st, struct tx_error *err);

/* Apply list[v..n-1] after the version version_of reads (v), each in its
 * own write transaction with "bump_prefix" v+1 run after it (backend is
 * added to the error's "migration N" prefix). */
tx_err store_schema_apply(tx_store *st, const char *const *list, int n,
			  int (*version_of)(tx_store *), const char *bump_prefix,
			  const char *backend, struct tx_error *err);
/* Apply the migrations after the database's current user_version. */
tx_err store_schema_migrate(tx_store *st, struct tx_error *err);
/* Tests only: when > 0, store_open applies at most this many migrations
 * (a database as an older trilex made it, to test the next one on). */
extern int store_schema_limit;
/* TX_OK unless collection pk is a partner's inbox and some item to be
 * stored did not come from that partner (TX_ERR_DENIED, err says). */
tx_err store_inbox_check(tx_store *st, int64_t pk, const struct store_item *items,
		   size_t n, struct tx_error *err);
/* The SQL condition "column coll is no partner's inbox". */
#define SQL_NOT_INBOX "coll NOT IN (SELECT pk FROM collections" \
	" WHERE substr(alias, 1, 6) = 'inbox-')"
#define INBOX_PREFIX "inbox-"
/* The SQL condition "column coll is no local collection" (sharing.c). */
#define SQL_SHARED "coll NOT IN (SELECT pk FROM collections" \
	" WHERE share = 'local')"

/* Set err from the connection's last error, prefixed with what failed. */
tx_err store_db_error(tx_store *st, struct tx_error *err, const char *what);
/*
 * A prepared statement for sql, from the connection's cache when one is
 * there and not in use. Give it back with store_db_done, never sqlite3_finalize.
 */
tx_err store_db_prepare(tx_store *st, const char *sql, store_stmt **stmt,
		  struct tx_error *err);
/* Give a statement from store_db_prepare back (reset for reuse or finalized). */
void store_db_done(tx_store *st, store_stmt *stmt);
/* Run SQL with no result rows and no values (one statement or several;
 * on PostgreSQL through store_pg_sql's fragments). */
tx_err store_db_exec(tx_store *st, const char *sql, struct tx_error *err);
/* Open a write transaction (SQLite: BEGIN IMMEDIATE), a read transaction
 * (SQLite: BEGIN; PostgreSQL: REPEATABLE READ, one snapshot), commit it
 * or roll it back (err may be NULL). */
tx_err store_db_begin(tx_store *st, struct tx_error *err);
tx_err store_db_begin_read(tx_store *st, struct tx_error *err);
tx_err store_db_commit(tx_store *st, struct tx_error *err);
tx_err store_db_rollback(tx_store *st, struct tx_error *err);
/* End a read transaction of store_db_begin_read: commit it, or roll it
 * back when the commit fails, so that the connection is left outside. */
void store_db_end_read(tx_store *st);
/* Insert an account without the checks of store_user_add on its name
 * (store_peer_add makes the partner accounts, STORE_PEER_PREFIX...). */
tx_err store_accounts_insert(tx_store *st, const char *name, const char *pwhash,
		       enum store_role role, struct tx_error *err);
/* Index one stored object version (rowid) for search (store/search.c),
 * inside the caller's transaction. */
tx_err store_search_index_object(tx_store *st, int64_t rowid, const json_t *obj,
			   struct tx_error *err);
/* Fill row from s's columns 0-8, in store_query_objects' order: rowid,
 * date_added, id, version, spec_version, json, origin, via, restricted
 * (objects.c; the pointers are s's until its next step). */
void store_row_columns(store_stmt *s, struct store_row *row);
/* Index one stored object version (rowid, in coll) as a supply object
 * when it is one (store/supplyidx.c), inside the caller's transaction. */
tx_err store_supply_index_object(tx_store *st, int64_t rowid, int64_t coll,
				 const json_t *obj, struct tx_error *err);
/* Record the withdrawals that object version obj makes (a revoked
 * version, or a STORE_WITHDRAWAL_TYPE notice), signed by origin (NULL:
 * this node), inside the caller's transaction (store/withdrawals.c). */
tx_err store_withdrawal_note(tx_store *st, const json_t *obj, const char *origin,
			     struct tx_error *err);
/* What store_search_index_object indexes of one object: name, description
 * and values (each "\n"-separated, capped), and the ids it refers to
 * (store/search.c; the PostgreSQL batch of store/put_pg.c writes the same
 * rows for many objects at once). Free with store_search_fields_free. */
struct store_search_fields {
	struct tx_buf name, desc, vals, refs;
	int nomem;        /* a value left out for lack of memory: not whole */
};
void store_search_fields_get(const json_t *obj, struct store_search_fields *f);
void store_search_fields_free(struct store_search_fields *f);
/* Whether the stored text last and the new object (text, obj) have the
 * same content (objects.c: an SCO sent again is not a new version). */
int store_same_content(const char *last, size_t last_len, const char *text,
		       const json_t *obj, const char *ignore_ext);
/* The outcome of storing one item (store/put_pg.c, read by objects.c). */
struct store_put_outcome {
	int r;               /* 1: a new version, 0: stored already, -1: refused */
	const char *msg;     /* r < 0: why (static text) */
	char version[64];    /* the version reported ("" when none) */
};
/*
 * PostgreSQL: what put_one does for each item of items[0..n-1] with obj
 * set, in the caller's write transaction, in a fixed number of round trips
 * (one look-up, the sequence, two flag updates, one multi-row INSERT per
 * table) instead of several per object. lanes[i] (NULL: bulk) as put_one
 * takes it; *next is the date_added of the first new version and is
 * advanced past the last, so versions get date_added in item order, as
 * put_one's loop gives them. out[i] gets each item's outcome. An error
 * return fails the whole batch (the caller rolls back).
 */
tx_err store_put_batch_pg(tx_store *st, int64_t coll,
			  const struct store_item *items, size_t n,
			  const unsigned char *lanes, int64_t *next,
			  struct store_put_outcome *out, struct tx_error *err);
/* Index the objects stored before the index existed (search_todo), in
 * batches of one transaction each. */
tx_err store_search_backfill(tx_store *st, struct tx_error *err);
/* a.b.c.d or a.b.c.d/n as the range [lo, hi]; 0 when s is neither. */
int store_search_ipv4_range(const char *s, uint32_t *lo, uint32_t *hi);
/* Copy column i as text into buf of size n (empty when NULL). */
void store_db_column_copy(store_stmt *s, int i, char *buf, size_t n);


/* PostgreSQL (store/pg.c): connect with conninfo, prepare (named server
 * statements), finalize, run SQL without values, close. */
tx_err store_pg_connect(tx_store *st, const char *conninfo, struct tx_error *err);
void store_pg_close(tx_store *st);
int store_pg_prepare(tx_store *st, const char *sql, store_stmt **out);
void store_pg_finalize(store_stmt *s);
tx_err store_pg_exec(tx_store *st, const char *sql, struct tx_error *err);
int64_t store_pg_changes(tx_store *st);
int64_t store_pg_last_id(tx_store *st);
int store_pg_autocommit(tx_store *st);
const char *store_pg_errmsg(tx_store *st);
int store_pg_errcode(tx_store *st);
int store_pg_unavailable(tx_store *st);
/* The PostgreSQL text of a statement written for SQLite (store/pg_sql.c):
 * ? and ?NNN become $n, and the fragments of its table are replaced.
 * Returns a malloc'd string or NULL (out of memory). */
char *store_pg_sql(const char *sql);
/* The migrations on PostgreSQL (store/schema_pg.c). */
tx_err store_schema_migrate_pg(tx_store *st, struct tx_error *err);

/* The schema's tables and what `trilex migrate` does with each
 * (store/schema.c's list, store/migrate.c). */
enum store_table_how {
	STORE_TABLE_COPY,     /* every row copied into an empty table */
	STORE_TABLE_REPLACE,  /* the destination's rows (the clock) replaced */
	STORE_TABLE_SKIP,     /* not copied: reason says why */
};
struct store_table {
	const char *name;
	const char *key;      /* integer column for batches, or NULL */
	enum store_table_how how;
	const char *reason;   /* STORE_TABLE_SKIP: why */
};
extern const struct store_table store_tables[];
extern const size_t store_n_tables;

#endif
