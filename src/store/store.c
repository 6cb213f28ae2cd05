/*
 * store/store.c: opening the database and the helpers every store file uses.
 *
 * Design: one SQLite file in WAL mode with synchronous=FULL, so that a
 * commit is on disk before we acknowledge anything; a busy timeout instead
 * of failing when another connection (a CLI push beside the server) holds
 * the write lock. All SQL uses prepared statements with bound values.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store/internal.h"

tx_err store_db_error(tx_store *st, struct tx_error *err, const char *what)
{
	int code = store_db_errcode(st);

	if (code == STORE_DB_CONSTRAINT)
		return tx_error_set(err, TX_ERR_EXISTS, "%s: %s", what,
				    store_db_errmsg(st));
	if (code == STORE_DB_NOMEM)
		return tx_error_set(err, TX_ERR_NOMEM, "%s: out of memory", what);
	if (code == STORE_DB_UNAVAILABLE)
		return tx_error_set(err, TX_ERR_UNAVAILABLE, "%s: %s", what,
				    store_db_errmsg(st));
	return tx_error_set(err, TX_ERR_DB, "%s: %s", what, store_db_errmsg(st));
}

enum store_backend store_db_backend(const tx_store *st)
{
	return st->backend;
}

/* A new statement of the store's backend, uncached; STORE_DB_OK or an
 * error code (the connection's error says which). */
static int prepare_new(tx_store *st, const char *sql, store_stmt **out)
{
	store_stmt *w;

	if (st->backend == STORE_BACKEND_POSTGRES)
		return store_pg_prepare(st, sql, out);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return STORE_DB_NOMEM;
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &w->lite, NULL) != SQLITE_OK || w->lite == NULL) {
		sqlite3_finalize(w->lite);
		free(w);
		return STORE_DB_ERROR;
	}
	*out = w;
	return STORE_DB_OK;
}

int store_db_finalize(store_stmt *s)
{
	if (s == NULL)
		return STORE_DB_OK;
	if (s->lite != NULL) {
		sqlite3_finalize(s->lite);
		free(s);
	} else {
		store_pg_finalize(s);
	}
	return STORE_DB_OK;
}

int store_db_prepare_v2(tx_store *st, const char *sql, int n, store_stmt **out,
			const char **tail)
{
	(void)n;
	if (tail != NULL)
		*tail = NULL;
	*out = NULL;
	return prepare_new(st, sql, out);
}

/* Why the statement sql could not be prepared (code: prepare_new's),
 * naming it: the connection's own error says "not an error" when the
 * failure was ours (the wrapper's allocation) or the SQL held nothing. */
static tx_err prepare_error(tx_store *st, int code, const char *sql,
			    struct tx_error *err)
{
	char head[64];

	tx_strfmt(head, sizeof(head), "%s", sql);
	if (code == STORE_DB_NOMEM || store_db_errcode(st) == STORE_DB_NOMEM)
		return tx_error_set(err, TX_ERR_NOMEM, "prepare \"%s\": out of"
				    " memory", head);
	if (store_db_errcode(st) == STORE_DB_OK)
		return tx_error_set(err, TX_ERR_DB, "prepare \"%s\": no statement"
				    " was made", head);
	return tx_error_set(err, store_db_errcode(st) == STORE_DB_UNAVAILABLE ?
			    TX_ERR_UNAVAILABLE : TX_ERR_DB, "prepare \"%s\": %s",
			    head, store_db_errmsg(st));
}

/*
 * Statements are cached per connection: preparing is a large part of a
 * small request's cost (about 30% of a page GET when measured). A cached
 * statement is marked busy while handed out, so a nested use of the same
 * SQL gets a fresh one rather than a statement that is mid-step.
 */
tx_err store_db_prepare(tx_store *st, const char *sql, store_stmt **stmt,
		  struct tx_error *err)
{
	struct cached_stmt *slot = NULL;
	char *copy;
	int code;

	st->clock++;
	for (int i = 0; i < STMT_CACHE; i++) {
		struct cached_stmt *c = &st->cache[i];
		if (c->sql != NULL && !c->busy && strcmp(c->sql, sql) == 0) {
			c->busy = 1;
			c->used = st->clock;
			*stmt = c->stmt;
			return TX_OK;
		}
		/* Remember an empty slot, else the least recently used idle one. */
		if (!c->busy && (slot == NULL || (slot->sql != NULL &&
						  (c->sql == NULL || c->used < slot->used))))
			slot = c;
	}
	if ((code = prepare_new(st, sql, stmt)) != STORE_DB_OK) {
		*stmt = NULL;
		return prepare_error(st, code, sql, err);
	}
	if (slot == NULL || (copy = strdup(sql)) == NULL)
		return TX_OK; /* uncached: store_db_done finalizes it */
	if (slot->sql != NULL) {
		store_db_finalize(slot->stmt);
		free(slot->sql);
	}
	slot->sql = copy;
	slot->stmt = *stmt;
	slot->busy = 1;
	slot->used = st->clock;
	return TX_OK;
}

void store_db_done(tx_store *st, store_stmt *stmt)
{
	if (stmt == NULL)
		return;
	for (int i = 0; i < STMT_CACHE; i++) {
		if (st->cache[i].stmt == stmt && st->cache[i].busy) {
			store_db_reset(stmt);
			store_db_clear_bindings(stmt);
			st->cache[i].busy = 0;
			return;
		}
	}
	store_db_finalize(stmt);
}

tx_err store_db_exec(tx_store *st, const char *sql, struct tx_error *err)
{
	char *msg = NULL;

	if (st->backend == STORE_BACKEND_POSTGRES) {
		tx_err rc;
		if (strncmp(sql, "BEGIN", 5) == 0)
			st->tx_write = strncmp(sql, "BEGIN IMMEDIATE", 15) == 0;
		else if (strcmp(sql, "COMMIT") == 0 && st->tx_write &&
			 (rc = store_replica_mark(st, err)) != TX_OK)
			return rc; /* store_db_commit rolls the transaction back */
		rc = store_pg_exec(st, strcmp(sql, "COMMIT") == 0 &&
					  st->commit_sql[0] ? st->commit_sql : sql,
					  err);
		if (strncmp(sql, "COMMIT", 6) == 0 || strncmp(sql, "ROLLBACK", 8) == 0)
			st->tx_write = 0;
		if (rc == TX_OK && strncmp(sql, "COMMIT", 6) == 0)
			store_notify_touch(st);
		return rc;
	}
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		tx_err rc = sqlite3_errcode(st->db) == SQLITE_NOMEM ? TX_ERR_NOMEM
								    : TX_ERR_DB;
		tx_error_set(err, rc, "%s: %s", sql, msg ? msg : rc == TX_ERR_NOMEM ?
			     "out of memory" : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return rc;
	}
	return TX_OK;
}

tx_err store_db_begin(tx_store *st, struct tx_error *err)
{
	return store_db_exec(st, "BEGIN IMMEDIATE", err);
}

tx_err store_db_begin_read(tx_store *st, struct tx_error *err)
{
	/* SQLite's deferred BEGIN reads one snapshot; so does this */
	if (st->backend == STORE_BACKEND_POSTGRES)
		return store_db_exec(st, "BEGIN ISOLATION LEVEL REPEATABLE READ", err);
	return store_db_exec(st, "BEGIN", err);
}

/* A COMMIT that fails (out of memory before it ran, a busy database)
 * leaves SQLite's transaction open, and the connection's next writes
 * would go into it and never be committed: end it here, so that every
 * caller's failed commit ends its transaction. */
tx_err store_db_commit(tx_store *st, struct tx_error *err)
{
	tx_err rc = store_db_exec(st, "COMMIT", err);

	if (rc != TX_OK && !store_db_autocommit(st))
		store_db_exec(st, "ROLLBACK", NULL);
	return rc;
}

tx_err store_db_rollback(tx_store *st, struct tx_error *err)
{
	return store_db_exec(st, "ROLLBACK", err);
}

void store_db_end_read(tx_store *st)
{
	/* COMMIT is parsed too, and that can run out of memory: then the
	 * connection would stay inside the read, and refuse every BEGIN */
	if (store_db_commit(st, NULL) != TX_OK && !store_db_autocommit(st))
		store_db_rollback(st, NULL);
}

int64_t store_db_changes(tx_store *st)
{
	if (st->backend == STORE_BACKEND_POSTGRES)
		return store_pg_changes(st);
	return sqlite3_changes(st->db);
}

int64_t store_db_last_id(tx_store *st)
{
	if (st->backend == STORE_BACKEND_POSTGRES)
		return store_pg_last_id(st);
	return sqlite3_last_insert_rowid(st->db);
}

int store_db_autocommit(tx_store *st)
{
	if (st->backend == STORE_BACKEND_POSTGRES)
		return store_pg_autocommit(st);
	return sqlite3_get_autocommit(st->db);
}

const char *store_db_errmsg(tx_store *st)
{
	if (st->backend == STORE_BACKEND_POSTGRES)
		return store_pg_errmsg(st);
	return sqlite3_errmsg(st->db);
}

int store_db_errcode(tx_store *st)
{
	if (st->backend == STORE_BACKEND_POSTGRES)
		return store_pg_errcode(st);
	return sqlite3_errcode(st->db);
}

void store_db_column_copy(store_stmt *s, int i, char *buf, size_t n)
{
	const unsigned char *t = store_db_column_text(s, i);

	snprintf(buf, n, "%s", t ? (const char *)t : "");
}

static pthread_mutex_t write_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t write_cv = PTHREAD_COND_INITIALIZER;
static int write_held;          /* under write_mu: a writer has its turn */
static int small_waiting, big_waiting;

void store_db_write_lock(void)
{
	pthread_mutex_lock(&write_mu);
	small_waiting++;
	while (write_held)
		pthread_cond_wait(&write_cv, &write_mu);
	small_waiting--;
	write_held = 1;
	pthread_mutex_unlock(&write_mu);
}

void store_db_write_lock_big(void)
{
	pthread_mutex_lock(&write_mu);
	big_waiting++;
	while (write_held || small_waiting > 0)
		pthread_cond_wait(&write_cv, &write_mu);
	big_waiting--;
	write_held = 1;
	pthread_mutex_unlock(&write_mu);
}

void store_db_write_unlock(void)
{
	pthread_mutex_lock(&write_mu);
	write_held = 0;
	pthread_cond_broadcast(&write_cv);
	pthread_mutex_unlock(&write_mu);
}

int store_db_write_waiting(void)
{
	int n;

	pthread_mutex_lock(&write_mu);
	n = small_waiting + big_waiting;
	pthread_mutex_unlock(&write_mu);
	return n;
}

/* What store_configure set: read by every store_open after it. */
static enum store_backend conf_backend = STORE_BACKEND_SQLITE;
static char conf_conninfo[1024];
/* What store_configure_replica set. */
static char conf_read_conninfo[1024];
static int64_t conf_read_max_lag_ms = 5000;

/* The backend named (NULL: sqlite), and for postgres a conninfo libpq
 * parses, of at most 1023 bytes, without a password. */
static tx_err check_backend(const char *backend, const char *conninfo,
			    enum store_backend *out, struct tx_error *err)
{
	PQconninfoOption *opts;
	char *msg = NULL;

	if (backend == NULL || strcmp(backend, "sqlite") == 0) {
		*out = STORE_BACKEND_SQLITE;
		return TX_OK;
	}
	if (strcmp(backend, "postgres") != 0)
		return tx_error_set(err, TX_ERR_INVALID, "store.backend: \"%s\""
				    " must be \"sqlite\" or \"postgres\"", backend);
	if (conninfo == NULL || strlen(conninfo) >= sizeof(conf_conninfo))
		return tx_error_set(err, TX_ERR_INVALID, "store.conninfo: missing"
				    " or longer than %zu", sizeof(conf_conninfo) - 1);
	if ((opts = PQconninfoParse(conninfo, &msg)) == NULL) {
		tx_error_set(err, TX_ERR_INVALID, "store.conninfo: %s",
			     msg ? msg : "out of memory");
		PQfreemem(msg);
		return TX_ERR_INVALID;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL) {
			PQconninfoFree(opts);
			return tx_error_set(err, TX_ERR_INVALID, "store.conninfo:"
					    " holds a password; put it in a libpq"
					    " service file, PGPASSFILE or a"
					    " passfile=PATH (mode 0600) instead");
		}
	}
	PQconninfoFree(opts);
	*out = STORE_BACKEND_POSTGRES;
	return TX_OK;
}

tx_err store_configure(const char *backend, const char *conninfo,
		       struct tx_error *err)
{
	enum store_backend b = STORE_BACKEND_SQLITE;
	tx_err rc;

	if ((rc = check_backend(backend, conninfo, &b, err)) != TX_OK)
		return rc;
	conf_backend = b;
	snprintf(conf_conninfo, sizeof(conf_conninfo), "%s",
		 b == STORE_BACKEND_POSTGRES ? conninfo : "");
	return TX_OK;
}

tx_err store_configure_replica(const char *read_conninfo, int64_t max_lag_ms,
				struct tx_error *err)
{
	enum store_backend b = STORE_BACKEND_SQLITE;
	tx_err rc;

	conf_read_conninfo[0] = '\0';
	conf_read_max_lag_ms = max_lag_ms;
	if (read_conninfo == NULL || read_conninfo[0] == '\0')
		return TX_OK;
	if (conf_backend != STORE_BACKEND_POSTGRES)
		return tx_error_set(err, TX_ERR_INVALID, "store.read_conninfo:"
				    " a read replica needs the postgres backend");
	if ((rc = check_backend("postgres", read_conninfo, &b, err)) != TX_OK) {
		/* check_backend names store.conninfo: say which one */
		if (err != NULL && strncmp(err->msg, "store.conninfo", 14) == 0) {
			char msg[TX_ERROR_MSG_MAX];
			snprintf(msg, sizeof(msg), "%s", err->msg + 14);
			tx_error_set(err, rc, "store.read_conninfo%s", msg);
		}
		return rc;
	}
	snprintf(conf_read_conninfo, sizeof(conf_read_conninfo), "%s", read_conninfo);
	return TX_OK;
}

int store_replica_configured(void)
{
	return conf_read_conninfo[0] != '\0';
}

const char *store_read_conninfo(void)
{
	return conf_read_conninfo;
}

int64_t store_read_max_lag_ms(void)
{
	return conf_read_max_lag_ms;
}

tx_err store_open_replica(tx_store **out, struct tx_error *err)
{
	tx_store *st;
	tx_err rc;

	*out = NULL;
	if (!store_replica_configured())
		return tx_error_set(err, TX_ERR_INVALID, "no read replica is"
				    " configured (store.read_conninfo)");
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	st->notify_fd = -1;
	st->replica = 1;
	st->status_failures_max = STATUS_FAILURES_MAX_DEFAULT;
	st->status_ttl_us = STATUS_TTL_S_DEFAULT * 1000000;
	/* no migrations: the replica has the primary's schema by replay */
	if ((rc = store_pg_connect(st, conf_read_conninfo, err)) != TX_OK) {
		store_close(st);
		return rc;
	}
	*out = st;
	return TX_OK;
}

int store_unavailable(tx_store *st)
{
	return st != NULL && st->backend == STORE_BACKEND_POSTGRES &&
	       store_pg_unavailable(st);
}

const char *store_conninfo(void)
{
	return conf_backend == STORE_BACKEND_POSTGRES ? conf_conninfo : NULL;
}

const char *store_backend_name(void)
{
	return conf_backend == STORE_BACKEND_POSTGRES ? "postgres" : "sqlite";
}

/* store_open on PostgreSQL: connect, then the migrations; with create, a
 * database that holds a store already is refused as a file would be. */
static tx_err open_pg(tx_store *st, const char *conninfo, int create,
		      struct tx_error *err)
{
	store_stmt *s = NULL;
	int exists = 0;
	tx_err rc;

	if ((rc = store_pg_connect(st, conninfo, err)) != TX_OK)
		return rc;
	if (create) {
		if (store_db_prepare_v2(st, "SELECT to_regclass('trilex_schema')"
					" IS NOT NULL", -1, &s, NULL) == STORE_DB_OK &&
		    store_db_step(s) == STORE_DB_ROW)
			exists = store_db_column_int(s, 0);
		store_db_finalize(s);
		s = NULL;
		if (exists && store_db_prepare_v2(st, "SELECT version FROM"
						  " trilex_schema WHERE version > 0",
						  -1, &s, NULL) == STORE_DB_OK)
			exists = store_db_step(s) == STORE_DB_ROW;
		store_db_finalize(s);
		if (exists)
			return tx_error_set(err, TX_ERR_EXISTS, "postgres: the"
					    " database already holds a trilex store");
	}
	if ((rc = store_schema_migrate_pg(st, err)) != TX_OK)
		return rc;
	return store_search_backfill(st, err);
}

static tx_err open_backend(enum store_backend backend, const char *conninfo,
			   const char *path, int create, tx_store **out,
			   struct tx_error *err);

tx_err store_open(const char *path, int create, tx_store **out,
		  struct tx_error *err)
{
	return open_backend(conf_backend, conf_conninfo, path, create, out, err);
}

tx_err store_open_as(const char *backend, const char *conninfo,
		     const char *path, int create, tx_store **out,
		     struct tx_error *err)
{
	enum store_backend b = STORE_BACKEND_SQLITE;
	tx_err rc;

	if ((rc = check_backend(backend, conninfo, &b, err)) != TX_OK)
		return rc;
	return open_backend(b, conninfo, path, create, out, err);
}

static tx_err open_backend(enum store_backend backend, const char *conninfo,
			   const char *path, int create, tx_store **out,
			   struct tx_error *err)
{
	struct stat sb;
	tx_store *st = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	tx_err rc = TX_OK;

	if (backend == STORE_BACKEND_POSTGRES) {
		if ((st = calloc(1, sizeof(*st))) == NULL)
			return TX_ERR_NOMEM;
		/* Commits touch DIR/trilex.db-notify as on SQLite (where the
		 * WAL hook does it), so that waiters on this machine wake,
		 * and NOTIFY those of other machines (store/pg_notify.c). */
		store_notify_open(st, path);
		{
			char id[STORE_PG_NOTIFY_ID_BUF];
			store_pg_notify_id(path, id);
			store_pg_notify_commit_sql(id, st->commit_sql,
						   sizeof(st->commit_sql));
		}
		st->status_failures_max = STATUS_FAILURES_MAX_DEFAULT;
		st->status_ttl_us = STATUS_TTL_S_DEFAULT * 1000000;
		if ((rc = open_pg(st, conninfo, create, err)) != TX_OK) {
			store_close(st);
			return rc;
		}
		*out = st;
		return TX_OK;
	}
	if (create) {
		if (stat(path, &sb) == 0)
			return tx_error_set(err, TX_ERR_EXISTS,
					    "%s: database already exists", path);
		flags |= SQLITE_OPEN_CREATE;
	} else if (stat(path, &sb) != 0) {
		return tx_error_set(err, TX_ERR_NOTFOUND, "%s: %s", path,
				    strerror(errno));
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return TX_ERR_NOMEM;
	st->notify_fd = -1;
	st->status_failures_max = STATUS_FAILURES_MAX_DEFAULT;
	st->status_ttl_us = STATUS_TTL_S_DEFAULT * 1000000;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		rc = tx_error_set(err, TX_ERR_DB, "%s: %s", path,
				  st->db ? sqlite3_errmsg(st->db) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(st->db, 10000);
	sqlite3_extended_result_codes(st->db, 0);
	if ((rc = store_db_exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			  "PRAGMA foreign_keys=ON; PRAGMA cache_size=-2000;"
			  "PRAGMA temp_store=MEMORY;", err)) != TX_OK)
		goto out;
	store_notify_install(st, path);
	if ((rc = store_schema_migrate(st, err)) != TX_OK ||
	    (rc = store_search_backfill(st, err)) != TX_OK)
		goto out;
	*out = st;
	st = NULL;
out:
	if (st != NULL)
		store_close(st);
	return rc;
}

void store_close(tx_store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < STMT_CACHE; i++) {
		store_db_finalize(st->cache[i].stmt);
		free(st->cache[i].sql);
	}
	if (st->backend == STORE_BACKEND_POSTGRES)
		store_pg_close(st);
	else
		sqlite3_close_v2(st->db);
	if (st->notify_fd >= 0)
		close(st->notify_fd);
	free(st);
}

int store_schema_version(tx_store *st)
{
	return st->schema_version;
}

void store_relax_durability(tx_store *st)
{
	if (st->backend == STORE_BACKEND_POSTGRES)
		store_db_exec(st, "SET synchronous_commit = off", NULL);
	else
		store_db_exec(st, "PRAGMA synchronous=NORMAL", NULL);
}
