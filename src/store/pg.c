/*
 * store/pg.c: the PostgreSQL side of store/db.h, over libpq.
 *
 * Design: one PGconn per tx_store (one per thread, as with SQLite). Every
 * statement is a named server-side prepared statement (PQprepare, then
 * PQexecPrepared with the bound values as parameters: values never enter
 * SQL text). Parameters travel in text format (integers printed, text as
 * is), blobs in binary; results come in text format and are parsed by the
 * column_* calls. A step runs the statement on its first call and walks
 * the result's rows after; reset drops the result.
 *
 * Errors map to SQLite's codes: SQLSTATE class 23 is STORE_DB_CONSTRAINT,
 * 40001/40P01 STORE_DB_BUSY, a lost connection (class 08, 57P01-57P03, or
 * the connection's status) STORE_DB_UNAVAILABLE, which store_db_error
 * turns into TX_ERR_UNAVAILABLE (TAXII: 503 with Retry-After). A lost
 * connection is reset at the next statement outside a transaction; the
 * server statements are then prepared again (a generation count says
 * which statements predate the reset). A connection that died while idle
 * (the server restarted) is found dead only by its next statement: a read
 * or a BEGIN is then sent again once on the new connection (may_retry).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/internal.h"

/* Type OIDs of the results we read (pg_type.h is not a client header). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

struct store_pg {
	PGconn *conn;
	unsigned next_name;     /* names the server statements */
	unsigned generation;    /* bumped at each reconnect */
	int64_t changes;
	int in_tx;              /* a transaction was begun and not ended */
	int errcode;            /* STORE_DB_ code of the last failure */
	char errmsg[512];
};

struct store_pg_stmt {
	store_stmt w;           /* w.pg points back here; w.lite is NULL */
	tx_store *st;           /* borrowed */
	char name[24];
	unsigned generation;    /* of the connection it was prepared on */
	char *sql;              /* owned: the PostgreSQL text */
	int n_params;
	int typed;              /* prepared with the bound values' types */
	unsigned *types;        /* owned: per parameter, INT8/TEXT/BYTEA or 0 */
	char **vals;            /* owned array; values borrowed or in owned[] */
	int *lens, *fmts;
	char **owned;           /* copies (TRANSIENT, counted text, numbers) */
	PGresult *res;
	int row, n_rows;
	unsigned char *blob;    /* the last column_blob, unescaped */
	size_t blob_len;
};

static void set_error(struct store_pg *pg, int code, const char *msg)
{
	size_t n;

	pg->errcode = code;
	snprintf(pg->errmsg, sizeof(pg->errmsg), "%s", msg ? msg : "postgres error");
	n = strlen(pg->errmsg);
	while (n > 0 && (pg->errmsg[n - 1] == '\n' || pg->errmsg[n - 1] == ' '))
		pg->errmsg[--n] = '\0';
}

/* The STORE_DB_ code of a failed result (res may be NULL). */
static int result_code(struct store_pg *pg, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(pg->conn) == CONNECTION_BAD)
		return STORE_DB_UNAVAILABLE;
	if (state == NULL)
		return res == NULL ? STORE_DB_UNAVAILABLE : STORE_DB_ERROR;
	if (strncmp(state, "23", 2) == 0)
		return STORE_DB_CONSTRAINT;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return STORE_DB_BUSY;
	if (strcmp(state, "53200") == 0)
		return STORE_DB_NOMEM;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0 ||
	    strcmp(state, "53300") == 0)
		return STORE_DB_UNAVAILABLE;
	return STORE_DB_ERROR;
}

static void fail_result(struct store_pg *pg, const PGresult *res)
{
	set_error(pg, result_code(pg, res),
		  res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
}

/*
 * Bring a lost connection back; 0 when usable. Never inside a
 * transaction the caller began: what follows would run outside it, row by
 * row; the caller's ROLLBACK ends it first (store_pg_exec).
 */
static int ensure_conn(struct store_pg *pg)
{
	if (PQstatus(pg->conn) == CONNECTION_OK)
		return 0;
	if (pg->in_tx) {
		set_error(pg, STORE_DB_UNAVAILABLE, "the connection to the"
			  " database was lost inside a transaction");
		return -1;
	}
	PQreset(pg->conn);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		set_error(pg, STORE_DB_UNAVAILABLE, PQerrorMessage(pg->conn));
		return -1;
	}
	pg->generation++;
	return 0;
}

/*
 * Whether a statement that failed on a connection found dead may run again
 * on a new one. The server restarted while this connection was idle (it
 * learns that only at its next statement): a statement outside any
 * transaction that cannot have changed anything (a read, or the BEGIN
 * that opens one) is sent once more after the reset. A write outside a
 * transaction is not: the server may have run it before the connection
 * broke.
 */
static int may_retry(struct store_pg *pg, int was_idle, const char *sql)
{
	if (!was_idle || PQstatus(pg->conn) != CONNECTION_BAD)
		return 0;
	while (*sql == ' ' || *sql == '\t' || *sql == '\n')
		sql++;
	if (strncmp(sql, "BEGIN", 5) == 0)
		return 1;
	if (strncmp(sql, "SELECT", 6) != 0)
		return 0;
	/* SELECT ... a data-changing function would be a write: none are
	 * used, but "FOR UPDATE" takes locks only inside a transaction */
	return strstr(sql, "nextval") == NULL;
}

tx_err store_pg_connect(tx_store *st, const char *conninfo, struct tx_error *err)
{
	struct store_pg *pg;
	PGresult *res;

	if ((pg = calloc(1, sizeof(*pg))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	st->pg = pg;
	st->backend = STORE_BACKEND_POSTGRES;
	pg->conn = PQconnectdb(conninfo);
	if (pg->conn == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "postgres: out of memory");
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		set_error(pg, STORE_DB_UNAVAILABLE, PQerrorMessage(pg->conn));
		return tx_error_set(err, TX_ERR_UNAVAILABLE, "postgres: %s",
				    pg->errmsg);
	}
	/* Notices (NOTICE: relation exists...) are not ours to print. */
	PQsetNoticeProcessor(pg->conn, NULL, NULL);
	res = PQexec(pg->conn, "SET client_min_messages = warning");
	PQclear(res);
	return TX_OK;
}

void store_pg_close(tx_store *st)
{
	if (st->pg == NULL)
		return;
	PQfinish(st->pg->conn);
	free(st->pg);
	st->pg = NULL;
}

/* The highest $n of a PostgreSQL text. */
static int count_params(const char *sql)
{
	int max = 0;

	for (const char *p = sql; *p; p++) {
		if (*p == '\'') {
			while (*++p && *p != '\'')
				;
			if (!*p)
				break;
		} else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
			int v = 0;
			while (p[1] >= '0' && p[1] <= '9' && v < 100000)
				v = v * 10 + (*++p - '0');
			if (v > max)
				max = v;
		}
	}
	return max;
}

/* Whether a failed prepare only lacked the parameters' types: SQLite
 * takes "? IS NULL" or "? - ?" as they come, PostgreSQL wants types. */
static int wants_types(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return state != NULL && (strcmp(state, "42P18") == 0 ||
				 strcmp(state, "42P08") == 0 ||
				 strcmp(state, "42725") == 0 ||
				 strcmp(state, "42883") == 0);
}

/*
 * Prepare on the server: first with no parameter types (the server infers
 * them from the SQL, as SQLite's affinities would); where it cannot, the
 * statement is prepared at its first step with the types of the values
 * bound then (integer: int8, text: text, blob: bytea).
 */
static int server_prepare(struct store_pg_stmt *s)
{
	struct store_pg *pg = s->st->pg;
	PGresult *res;
	int ok;

	/* a parameter only ever bound to NULL: text (SQLite's "? IS NULL"
	 * tests are on optional text filters) */
	for (int i = 0; s->typed && i < s->n_params; i++)
		if (s->types[i] == 0)
			s->types[i] = OID_TEXT;
	snprintf(s->name, sizeof(s->name), "t%u", ++pg->next_name);
	/* inside a transaction, a failed prepare would end it: a savepoint
	 * takes the failure instead */
	int in_tx = !s->typed && PQtransactionStatus(pg->conn) == PQTRANS_INTRANS;
	if (in_tx)
		PQclear(PQexec(pg->conn, "SAVEPOINT trilex_prepare"));
	res = PQprepare(pg->conn, s->name, s->sql, s->typed ? s->n_params : 0,
			s->typed ? (const Oid *)s->types : NULL);
	if (in_tx)
		PQclear(PQexec(pg->conn, res != NULL && PQresultStatus(res) ==
			       PGRES_COMMAND_OK ? "RELEASE trilex_prepare" :
			       "ROLLBACK TO trilex_prepare"));
	if (!s->typed && wants_types(res)) {
		PQclear(res);
		s->typed = 1;
		s->name[0] = '\0'; /* prepared at the first step */
		s->generation = pg->generation;
		return STORE_DB_OK;
	}
	ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok) {
		/* the statement's text says where (it holds no values) */
		size_t n;
		fail_result(pg, res);
		n = strlen(pg->errmsg);
		if (n + 16 < sizeof(pg->errmsg))
			snprintf(pg->errmsg + n, sizeof(pg->errmsg) - n, " (in: %s)",
				 s->sql);
	}
	PQclear(res);
	s->generation = pg->generation;
	return ok ? STORE_DB_OK : pg->errcode;
}

int store_pg_prepare(tx_store *st, const char *sql, store_stmt **out)
{
	struct store_pg *pg = st->pg;
	struct store_pg_stmt *s;
	int rc = STORE_DB_NOMEM;

	*out = NULL;
	if (ensure_conn(pg))
		return pg->errcode;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	s->w.pg = s;
	s->st = st;
	if ((s->sql = store_pg_sql(sql)) == NULL)
		goto fail;
	s->n_params = count_params(s->sql);
	if (s->n_params > 0 &&
	    ((s->vals = calloc((size_t)s->n_params, sizeof(*s->vals))) == NULL ||
	     (s->lens = calloc((size_t)s->n_params, sizeof(*s->lens))) == NULL ||
	     (s->fmts = calloc((size_t)s->n_params, sizeof(*s->fmts))) == NULL ||
	     (s->owned = calloc((size_t)s->n_params, sizeof(*s->owned))) == NULL ||
	     (s->types = calloc((size_t)s->n_params, sizeof(*s->types))) == NULL))
		goto fail;
	if ((rc = server_prepare(s)) != STORE_DB_OK)
		goto fail;
	*out = &s->w;
	return STORE_DB_OK;
fail:
	if (rc == STORE_DB_NOMEM)
		set_error(pg, STORE_DB_NOMEM, "out of memory");
	if (s != NULL) {
		s->name[0] = '\0';
		store_pg_finalize(&s->w);
	}
	return rc;
}

static void drop_result(struct store_pg_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->n_rows = 0;
	free(s->blob);
	s->blob = NULL;
}

void store_pg_finalize(store_stmt *w)
{
	struct store_pg_stmt *s = w->pg;
	struct store_pg *pg = s->st->pg;
	char sql[48];

	drop_result(s);
	/* Free the server's statement unless the connection it lived on is
	 * gone (or in a failed transaction, where the server frees nothing:
	 * it then stays until the session ends, named uniquely). */
	if (s->name[0] && s->generation == pg->generation &&
	    PQstatus(pg->conn) == CONNECTION_OK &&
	    PQtransactionStatus(pg->conn) != PQTRANS_INERROR) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		PQclear(PQexec(pg->conn, sql));
	}
	for (int i = 0; i < s->n_params; i++)
		free(s->owned[i]);
	free(s->owned);
	free(s->types);
	free(s->vals);
	free(s->lens);
	free(s->fmts);
	free(s->sql);
	free(s);
}

static int param(struct store_pg_stmt *s, int i)
{
	if (i < 1 || i > s->n_params)
		return -1;
	i--;
	free(s->owned[i]);
	s->owned[i] = NULL;
	s->vals[i] = NULL;
	s->lens[i] = 0;
	s->fmts[i] = 0;
	return i;
}

int store_pg_bind_int64(struct store_pg_stmt *s, int i, int64_t v)
{
	char buf[24];

	if ((i = param(s, i)) < 0)
		return STORE_DB_ERROR;
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	if ((s->owned[i] = strdup(buf)) == NULL)
		return STORE_DB_NOMEM;
	s->vals[i] = s->owned[i];
	s->types[i] = OID_INT8;
	return STORE_DB_OK;
}

int store_pg_bind_double(struct store_pg_stmt *s, int i, double v)
{
	char buf[40];

	if ((i = param(s, i)) < 0)
		return STORE_DB_ERROR;
	snprintf(buf, sizeof(buf), "%.17g", v);
	if ((s->owned[i] = strdup(buf)) == NULL)
		return STORE_DB_NOMEM;
	s->vals[i] = s->owned[i];
	s->types[i] = OID_FLOAT8;
	return STORE_DB_OK;
}

int store_pg_bind_text(struct store_pg_stmt *s, int i, const char *t, int n,
		       void (*d)(void *))
{
	if ((i = param(s, i)) < 0)
		return STORE_DB_ERROR;
	s->types[i] = OID_TEXT;
	if (t == NULL)
		return STORE_DB_OK; /* NULL, as SQLite binds it */
	/* Text parameters must end with their NUL: counted and TRANSIENT
	 * ones are copied (a counted one's t[n] may be past its buffer). */
	if (d != STORE_DB_STATIC || n >= 0) {
		size_t len = n >= 0 ? (size_t)n : strlen(t);
		if ((s->owned[i] = malloc(len + 1)) == NULL)
			return STORE_DB_NOMEM;
		memcpy(s->owned[i], t, len);
		s->owned[i][len] = '\0';
		t = s->owned[i];
	}
	s->vals[i] = (char *)t;
	return STORE_DB_OK;
}

int store_pg_bind_blob(struct store_pg_stmt *s, int i, const void *p, int n,
		       void (*d)(void *))
{
	if ((i = param(s, i)) < 0 || n < 0)
		return STORE_DB_ERROR;
	s->types[i] = OID_BYTEA;
	if (p == NULL)
		return STORE_DB_OK;
	if (d != STORE_DB_STATIC) {
		if ((s->owned[i] = malloc((size_t)n + 1)) == NULL)
			return STORE_DB_NOMEM;
		memcpy(s->owned[i], p, (size_t)n);
		p = s->owned[i];
	}
	s->vals[i] = (char *)p;
	s->lens[i] = n;
	s->fmts[i] = 1;
	return STORE_DB_OK;
}

int store_pg_bind_null(struct store_pg_stmt *s, int i)
{
	return param(s, i) < 0 ? STORE_DB_ERROR : STORE_DB_OK;
}

int store_pg_step(struct store_pg_stmt *s)
{
	struct store_pg *pg = s->st->pg;
	ExecStatusType status;
	int was_idle;

	if (s->res != NULL) {
		free(s->blob);
		s->blob = NULL;
		return ++s->row < s->n_rows ? STORE_DB_ROW : STORE_DB_DONE;
	}
	was_idle = !pg->in_tx && PQstatus(pg->conn) == CONNECTION_OK &&
		   PQtransactionStatus(pg->conn) == PQTRANS_IDLE;
	for (int attempt = 0;; attempt++) {
		if (ensure_conn(pg))
			return pg->errcode;
		if ((s->generation != pg->generation || s->name[0] == '\0') &&
		    server_prepare(s) != STORE_DB_OK)
			return pg->errcode;
		s->res = PQexecPrepared(pg->conn, s->name, s->n_params,
					(const char *const *)s->vals, s->lens,
					s->fmts, 0);
		status = s->res ? PQresultStatus(s->res) : PGRES_FATAL_ERROR;
		if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
			break;
		fail_result(pg, s->res);
		drop_result(s);
		if (attempt > 0 || !may_retry(pg, was_idle, s->sql))
			return pg->errcode;
	}
	{
		const char *n = PQcmdTuples(s->res);
		if (n != NULL && *n)
			pg->changes = strtoll(n, NULL, 10);
	}
	s->n_rows = status == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
	s->row = 0;
	return s->row < s->n_rows ? STORE_DB_ROW : STORE_DB_DONE;
}

int store_pg_reset(struct store_pg_stmt *s)
{
	drop_result(s);
	return STORE_DB_OK;
}

int store_pg_clear_bindings(struct store_pg_stmt *s)
{
	for (int i = 1; i <= s->n_params; i++)
		param(s, i);
	return STORE_DB_OK;
}

/* Whether column i of the current row exists and is not NULL. */
static int has_value(struct store_pg_stmt *s, int i)
{
	return s->res != NULL && s->row >= 0 && s->row < s->n_rows && i >= 0 &&
	       i < PQnfields(s->res) && !PQgetisnull(s->res, s->row, i);
}

int64_t store_pg_column_int64(struct store_pg_stmt *s, int i)
{
	const char *v;

	if (!has_value(s, i))
		return 0;
	v = PQgetvalue(s->res, s->row, i);
	if (PQftype(s->res, i) == OID_BOOL)
		return v[0] == 't';
	if (PQftype(s->res, i) == OID_FLOAT4 || PQftype(s->res, i) == OID_FLOAT8 ||
	    PQftype(s->res, i) == OID_NUMERIC)
		return (int64_t)strtod(v, NULL);
	return strtoll(v, NULL, 10);
}

double store_pg_column_double(struct store_pg_stmt *s, int i)
{
	if (!has_value(s, i))
		return 0;
	if (PQftype(s->res, i) == OID_BOOL)
		return PQgetvalue(s->res, s->row, i)[0] == 't';
	return strtod(PQgetvalue(s->res, s->row, i), NULL);
}

const unsigned char *store_pg_column_text(struct store_pg_stmt *s, int i)
{
	if (!has_value(s, i))
		return NULL;
	return (const unsigned char *)PQgetvalue(s->res, s->row, i);
}

/* One blob column at a time: the pointer of the previous call is freed. */
const void *store_pg_column_blob(struct store_pg_stmt *s, int i)
{
	if (!has_value(s, i))
		return NULL;
	if (PQftype(s->res, i) != OID_BYTEA) {
		s->blob_len = (size_t)PQgetlength(s->res, s->row, i);
		return PQgetvalue(s->res, s->row, i);
	}
	free(s->blob);
	s->blob = PQunescapeBytea((const unsigned char *)PQgetvalue(s->res, s->row, i),
				  &s->blob_len);
	return s->blob;
}

int store_pg_column_bytes(struct store_pg_stmt *s, int i)
{
	if (!has_value(s, i))
		return 0;
	if (PQftype(s->res, i) == OID_BYTEA) {
		if (store_pg_column_blob(s, i) == NULL)
			return 0;
		return (int)s->blob_len;
	}
	return PQgetlength(s->res, s->row, i);
}

int store_pg_column_type(struct store_pg_stmt *s, int i)
{
	if (!has_value(s, i))
		return STORE_DB_NULL;
	switch (PQftype(s->res, i)) {
	case OID_BOOL: case OID_INT2: case OID_INT4: case OID_INT8:
		return STORE_DB_INTEGER;
	case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC:
		return STORE_DB_FLOAT;
	case OID_BYTEA:
		return STORE_DB_BLOB;
	}
	return STORE_DB_TEXT;
}

int store_pg_column_count(struct store_pg_stmt *s)
{
	return s->res ? PQnfields(s->res) : 0;
}

tx_err store_pg_exec(tx_store *st, const char *sql, struct tx_error *err)
{
	struct store_pg *pg = st->pg;
	PGresult *res;
	ExecStatusType status;
	char *text;
	int was_idle;
	tx_err rc = TX_OK;

	if (PQstatus(pg->conn) != CONNECTION_OK &&
	    (strncmp(sql, "ROLLBACK", 8) == 0 || strncmp(sql, "COMMIT", 6) == 0)) {
		/* the transaction died with the connection: it is over */
		pg->in_tx = 0;
		set_error(pg, STORE_DB_UNAVAILABLE, "the connection to the"
			  " database was lost");
		return tx_error_set(err, TX_ERR_UNAVAILABLE, "postgres: %s",
				    pg->errmsg);
	}
	if (ensure_conn(pg))
		return tx_error_set(err, TX_ERR_UNAVAILABLE, "postgres: %s",
				    pg->errmsg);
	if ((text = store_pg_sql(sql)) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	was_idle = !pg->in_tx && PQtransactionStatus(pg->conn) == PQTRANS_IDLE;
	res = PQexec(pg->conn, text);
	status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
	    may_retry(pg, was_idle, text) && ensure_conn(pg) == 0) {
		PQclear(res);
		res = PQexec(pg->conn, text);
		status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	}
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		fail_result(pg, res);
		rc = tx_error_set(err, pg->errcode == STORE_DB_UNAVAILABLE ?
				  TX_ERR_UNAVAILABLE : TX_ERR_DB, "%s", pg->errmsg);
	}
	PQclear(res);
	free(text);
	if (PQstatus(pg->conn) == CONNECTION_OK)
		pg->in_tx = PQtransactionStatus(pg->conn) != PQTRANS_IDLE;
	else if (strncmp(sql, "ROLLBACK", 8) == 0 || strncmp(sql, "COMMIT", 6) == 0)
		pg->in_tx = 0;
	return rc;
}

int store_pg_unavailable(tx_store *st)
{
	return PQstatus(st->pg->conn) != CONNECTION_OK ||
	       st->pg->errcode == STORE_DB_UNAVAILABLE;
}

int64_t store_pg_changes(tx_store *st)
{
	return st->pg->changes;
}

int64_t store_pg_last_id(tx_store *st)
{
	PGresult *res = PQexec(st->pg->conn, "SELECT lastval()");
	int64_t id = 0;

	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1)
		id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return id;
}

int store_pg_autocommit(tx_store *st)
{
	return PQtransactionStatus(st->pg->conn) == PQTRANS_IDLE;
}

const char *store_pg_errmsg(tx_store *st)
{
	return st->pg->errmsg;
}

int store_pg_errcode(tx_store *st)
{
	return st->pg->errcode;
}
