/*
 * store/migrate.c: the copy of a store into an empty store of another
 * backend (`trilex migrate`, cli/migrate.c), and the check of a copy.
 *
 * Design: the tables are those of store/schema.c's list (store_tables),
 * walked in its order (foreign keys first); the columns of each are read
 * from the catalog of both sides and must be the same set, and every row
 * is copied with its values as they are (ids, rowids, date_added in
 * microseconds, cursors), so the keyset order (date_added, rowid) is the
 * source's exactly. The source is read in one snapshot; the destination
 * is written in transactions of about MIG_BATCH rows, each of which also
 * records how far its table got (table trilex_migrate on the destination),
 * so a copy killed at any point resumes after its last commit, without a
 * row twice. Tables with an integer key go in batches by it (a batch ends
 * at a whole key: search_refs has several rows per obj); the others, all
 * small, in one transaction each. On PostgreSQL the identity sequences are
 * then set past the copied ids.
 *
 * The check: per table, the rows and a digest of their content (an
 * order-free sum of the BLAKE2b of each row's values, as text); per
 * collection, the object versions and a BLAKE2b over each one's rowid,
 * date_added and JSON text in (date_added, rowid) order; both sides, each
 * in one snapshot.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#define MIG_BATCH 2000        /* rows per destination transaction */
#define MIG_ROWS 64           /* rows per INSERT statement */
#define MIG_COLS 40
#define MIG_NAME 64

/* The columns of one table, as read from a catalog. */
struct cols {
	char name[MIG_COLS][MIG_NAME];
	int n;
	char sql[MIG_COLS * (MIG_NAME + 4)];   /* "a", "b", ... */
};

/* One value of a row, owned (text and blobs copied). */
struct val {
	int type;
	int64_t i;
	double d;
	char *t;
	int len;
};

/* Rows waiting for their INSERT. */
struct pending {
	tx_store *dst;
	const struct store_table *t;
	const struct cols *c;
	int n;
	int64_t copied;
	struct tx_error *err;
	struct val v[MIG_ROWS * MIG_COLS];
};

static const char *const create_progress =
	"CREATE TABLE IF NOT EXISTS trilex_migrate (tbl TEXT PRIMARY KEY,"
	" last BIGINT NOT NULL, done BIGINT NOT NULL)";

/* The tables of st's catalog, each given to fn (nonzero stops). */
static tx_err catalog(tx_store *st, int (*fn)(void *, const char *), void *arg,
		      struct tx_error *err)
{
	const char *sql = store_db_backend(st) == STORE_BACKEND_POSTGRES ?
		"SELECT table_name::text FROM information_schema.tables WHERE"
		" table_schema = current_schema() AND table_type = 'BASE TABLE'"
		" ORDER BY 1" :
		"SELECT name FROM sqlite_master WHERE type = 'table' AND"
		" substr(name, 1, 7) <> 'sqlite_' ORDER BY 1";
	store_stmt *s;
	tx_err rc;
	int step;

	if ((rc = store_db_prepare(st, sql, &s, err)) != TX_OK)
		return rc;
	while ((step = store_db_step(s)) == STORE_DB_ROW)
		if (fn(arg, (const char *)store_db_column_text(s, 0)))
			break;
	rc = step == STORE_DB_ROW || step == STORE_DB_DONE ? TX_OK :
	     store_db_error(st, err, "catalog");
	store_db_done(st, s);
	return rc;
}

static const struct store_table *listed(const char *name)
{
	for (size_t i = 0; i < store_n_tables; i++)
		if (strcmp(store_tables[i].name, name) == 0)
			return &store_tables[i];
	return NULL;
}

struct unlisted {
	char *out;
	size_t n;
};

static int note_unlisted(void *arg, const char *name)
{
	struct unlisted *u = arg;
	size_t len = strlen(u->out);

	if (name != NULL && listed(name) == NULL)
		snprintf(u->out + len, u->n - len, "%s%s", len ? ", " : "", name);
	return 0;
}

tx_err store_migrate_unlisted(tx_store *st, char *out, size_t n,
			      struct tx_error *err)
{
	struct unlisted u = { out, n };

	out[0] = '\0';
	return catalog(st, note_unlisted, &u, err);
}

static int find_name(void *arg, const char *name)
{
	return name != NULL && strcmp(name, (const char *)arg) == 0 ?
	       (*(char *)arg = '\0', 1) : 0;
}

/* 1 when st's catalog has the table (0 also on error). */
static int has_table(tx_store *st, const char *name)
{
	char buf[MIG_NAME];

	snprintf(buf, sizeof(buf), "%s", name);
	return catalog(st, find_name, buf, NULL) == TX_OK && buf[0] == '\0';
}

/* The columns of t in st (generated ones left out); t's key is added
 * where the catalog does not list it (SQLite's rowid of search_text). */
static tx_err columns(tx_store *st, const struct store_table *t, struct cols *c,
		      struct tx_error *err)
{
	const char *sql = store_db_backend(st) == STORE_BACKEND_POSTGRES ?
		"SELECT column_name::text FROM information_schema.columns WHERE"
		" table_schema = current_schema() AND table_name::text = ?1 AND"
		" is_generated = 'NEVER' ORDER BY ordinal_position" :
		"SELECT name FROM pragma_table_info(?1) ORDER BY cid";
	store_stmt *s;
	int step, has_key = t->key == NULL;
	tx_err rc;

	c->n = 0;
	if ((rc = store_db_prepare(st, sql, &s, err)) != TX_OK)
		return rc;
	store_db_bind_text(s, 1, t->name, -1, STORE_DB_STATIC);
	while ((step = store_db_step(s)) == STORE_DB_ROW && c->n < MIG_COLS) {
		store_db_column_copy(s, 0, c->name[c->n], MIG_NAME);
		if (t->key != NULL && strcmp(c->name[c->n], t->key) == 0)
			has_key = 1;
		c->n++;
	}
	rc = step == STORE_DB_ROW || step == STORE_DB_DONE ? TX_OK :
	     store_db_error(st, err, t->name);
	store_db_done(st, s);
	if (rc != TX_OK)
		return rc;
	if (c->n == 0)
		return tx_error_set(err, TX_ERR_NOTFOUND, "table %s: not in the"
				    " %s database", t->name,
				    store_db_backend(st) == STORE_BACKEND_POSTGRES ?
				    "postgres" : "sqlite");
	if (!has_key && c->n < MIG_COLS) {
		memmove(c->name[1], c->name[0], (size_t)c->n * MIG_NAME);
		snprintf(c->name[0], MIG_NAME, "%s", t->key);
		c->n++;
	}
	c->sql[0] = '\0';
	for (int i = 0; i < c->n; i++) {
		size_t len = strlen(c->sql);
		snprintf(c->sql + len, sizeof(c->sql) - len, "%s\"%s\"",
			 i ? ", " : "", c->name[i]);
	}
	return TX_OK;
}

/* The columns of t in src, after checking dst has the same ones. */
static tx_err same_columns(tx_store *src, tx_store *dst,
			   const struct store_table *t, struct cols *c,
			   struct tx_error *err)
{
	struct cols *d = malloc(sizeof(*d));
	tx_err rc;

	if (d == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = columns(src, t, c, err)) == TX_OK &&
	    (rc = columns(dst, t, d, err)) == TX_OK) {
		int same = c->n == d->n;
		for (int i = 0; same && i < c->n; i++) {
			int found = 0;
			for (int j = 0; j < d->n && !found; j++)
				found = strcmp(c->name[i], d->name[j]) == 0;
			same = found;
		}
		if (!same)
			rc = tx_error_set(err, TX_ERR_INVALID, "table %s: the two"
					  " databases have other columns (%s; %s)",
					  t->name, c->sql, d->sql);
	}
	free(d);
	return rc;
}

/*
 * One batch of t's rows in st after key last, each given to fn: with a
 * key, about MIG_BATCH rows up to a whole key, *next the batch's last key
 * and *more set when rows may follow; without one, every row.
 */
static tx_err walk_batch(tx_store *st, const struct store_table *t,
			 const struct cols *c, int64_t last, int64_t *next,
			 int *more, tx_err (*fn)(void *, store_stmt *), void *arg,
			 struct tx_error *err)
{
	char sql[sizeof(c->sql) + 256];
	int64_t hi = INT64_MAX;
	store_stmt *s;
	int step;
	tx_err rc = TX_OK;

	*more = 0;
	if (t->key != NULL) {
		snprintf(sql, sizeof(sql), "SELECT \"%s\" FROM \"%s\" WHERE \"%s\" > ?1"
			 " ORDER BY \"%s\" LIMIT 1 OFFSET ?2", t->key, t->name,
			 t->key, t->key);
		if ((rc = store_db_prepare(st, sql, &s, err)) != TX_OK)
			return rc;
		store_db_bind_int64(s, 1, last);
		store_db_bind_int64(s, 2, MIG_BATCH - 1);
		if ((step = store_db_step(s)) == STORE_DB_ROW) {
			hi = store_db_column_int64(s, 0);
			*more = 1;
		} else if (step != STORE_DB_DONE) {
			rc = store_db_error(st, err, t->name);
		}
		store_db_done(st, s);
		if (rc != TX_OK)
			return rc;
		snprintf(sql, sizeof(sql), "SELECT %s FROM \"%s\" WHERE \"%s\" > ?1"
			 " AND \"%s\" <= ?2 ORDER BY \"%s\"", c->sql, t->name,
			 t->key, t->key, t->key);
	} else {
		snprintf(sql, sizeof(sql), "SELECT %s FROM \"%s\"", c->sql, t->name);
	}
	if ((rc = store_db_prepare(st, sql, &s, err)) != TX_OK)
		return rc;
	if (t->key != NULL) {
		store_db_bind_int64(s, 1, last);
		store_db_bind_int64(s, 2, hi);
	}
	while (rc == TX_OK && (step = store_db_step(s)) == STORE_DB_ROW)
		rc = fn(arg, s);
	if (rc == TX_OK && step != STORE_DB_DONE)
		rc = store_db_error(st, err, t->name);
	store_db_done(st, s);
	*next = hi;
	return rc;
}

static void pending_clear(struct pending *p)
{
	for (int i = 0; i < p->n * p->c->n; i++) {
		free(p->v[i].t);
		p->v[i].t = NULL;
	}
	p->n = 0;
}

/* INSERT the pending rows, in one statement. */
static tx_err flush(struct pending *p, struct tx_error *err)
{
	struct tx_buf sql;
	store_stmt *s;
	int step, nc = p->c->n;
	tx_err rc;

	if (p->n == 0)
		return TX_OK;
	tx_buf_init(&sql, 0);
	tx_buf_printf(&sql, "INSERT INTO \"%s\" (%s) VALUES ", p->t->name, p->c->sql);
	for (int r = 0; r < p->n; r++)
		for (int i = 0; i < nc; i++)
			tx_buf_printf(&sql, "%s?%d%s", i ? "" : r ? ", (" : "(",
				      r * nc + i + 1, i == nc - 1 ? ")" : ", ");
	rc = sql.data == NULL ? tx_error_set(err, TX_ERR_NOMEM, "out of memory") :
	     store_db_prepare(p->dst, sql.data, &s, err);
	tx_buf_free(&sql);
	if (rc != TX_OK)
		return rc;
	for (int i = 0; i < p->n * nc; i++) {
		const struct val *v = &p->v[i];
		if (v->type == STORE_DB_NULL)
			store_db_bind_null(s, i + 1);
		else if (v->type == STORE_DB_INTEGER)
			store_db_bind_int64(s, i + 1, v->i);
		else if (v->type == STORE_DB_FLOAT)
			store_db_bind_double(s, i + 1, v->d);
		else if (v->type == STORE_DB_BLOB)
			store_db_bind_blob(s, i + 1, v->t, v->len, STORE_DB_STATIC);
		else
			store_db_bind_text(s, i + 1, v->t, v->len, STORE_DB_STATIC);
	}
	step = store_db_step(s);
	rc = step == STORE_DB_DONE ? TX_OK : store_db_error(p->dst, err, p->t->name);
	store_db_done(p->dst, s);
	p->copied += p->n;
	pending_clear(p);
	return rc;
}

/* Keep one source row for the next INSERT (fn of walk_batch). */
static tx_err add_row(void *arg, store_stmt *s)
{
	struct pending *p = arg;
	struct val *row = &p->v[p->n * p->c->n];

	for (int i = 0; i < p->c->n; i++) {
		struct val *v = &row[i];
		v->type = store_db_column_type(s, i);
		if (v->type == STORE_DB_INTEGER) {
			v->i = store_db_column_int64(s, i);
		} else if (v->type == STORE_DB_FLOAT) {
			v->d = store_db_column_double(s, i);
		} else if (v->type != STORE_DB_NULL) {
			const void *b = v->type == STORE_DB_BLOB ?
				store_db_column_blob(s, i) : store_db_column_text(s, i);
			v->len = store_db_column_bytes(s, i);
			if ((v->t = malloc((size_t)v->len + 1)) == NULL) {
				p->n++; /* freed with the others */
				return tx_error_set(p->err, TX_ERR_NOMEM, "out of memory");
			}
			memcpy(v->t, b, (size_t)v->len);
			v->t[v->len] = '\0';
		}
	}
	p->n++;
	return p->n == MIG_ROWS ? flush(p, p->err) : TX_OK;
}

/* How far t got in an earlier run (0 and 0 when it did not start). */
static tx_err progress(tx_store *dst, const char *name, int64_t *last, int *done,
		       struct tx_error *err)
{
	store_stmt *s;
	int step;
	tx_err rc;

	*last = INT64_MIN;
	*done = 0;
	if ((rc = store_db_prepare(dst, "SELECT last, done FROM trilex_migrate"
				   " WHERE tbl = ?1", &s, err)) != TX_OK)
		return rc;
	store_db_bind_text(s, 1, name, -1, STORE_DB_STATIC);
	if ((step = store_db_step(s)) == STORE_DB_ROW) {
		*last = store_db_column_int64(s, 0);
		*done = store_db_column_int(s, 1);
	}
	rc = step == STORE_DB_ROW || step == STORE_DB_DONE ? TX_OK :
	     store_db_error(dst, err, "trilex_migrate");
	store_db_done(dst, s);
	return rc;
}

static tx_err set_progress(tx_store *dst, const char *name, int64_t last,
			   int done, struct tx_error *err)
{
	store_stmt *s;
	tx_err rc;

	if ((rc = store_db_prepare(dst, "INSERT INTO trilex_migrate (tbl, last, done)"
				   " VALUES (?1, ?2, ?3) ON CONFLICT (tbl) DO UPDATE"
				   " SET last = excluded.last, done = excluded.done",
				   &s, err)) != TX_OK)
		return rc;
	store_db_bind_text(s, 1, name, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 2, last);
	store_db_bind_int64(s, 3, done);
	rc = store_db_step(s) == STORE_DB_DONE ? TX_OK :
	     store_db_error(dst, err, "trilex_migrate");
	store_db_done(dst, s);
	return rc;
}

/* One batch of t into dst, in one transaction with its progress. */
static tx_err copy_batch(tx_store *src, struct pending *p, int64_t *last,
			 int *more, struct tx_error *err)
{
	int64_t next;
	tx_err rc;

	if ((rc = store_db_begin(p->dst, err)) != TX_OK)
		return rc;
	if (p->t->how == STORE_TABLE_REPLACE) {
		char sql[MIG_NAME + 32];
		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"", p->t->name);
		rc = store_db_exec(p->dst, sql, err);
	}
	if (rc == TX_OK)
		rc = walk_batch(src, p->t, p->c, *last, &next, more, add_row, p, err);
	if (rc == TX_OK)
		rc = flush(p, err);
	if (rc == TX_OK)
		rc = set_progress(p->dst, p->t->name, next, !*more, err);
	if (rc == TX_OK)
		rc = store_db_commit(p->dst, err);
	if (rc != TX_OK) {
		pending_clear(p);
		store_db_rollback(p->dst, NULL);
		if (err != NULL && err->msg[0] == '\0')
			tx_error_set(err, rc, "table %s: copy failed", p->t->name);
		return rc;
	}
	*last = next;
	return TX_OK;
}

static tx_err copy_table(tx_store *src, tx_store *dst, const struct store_table *t,
			 int64_t *copied, struct tx_error *err)
{
	struct pending *p;
	struct cols c;
	int64_t last;
	int done, more = 1;
	tx_err rc;

	if ((rc = progress(dst, t->name, &last, &done, err)) != TX_OK || done)
		return rc;
	if ((rc = same_columns(src, dst, t, &c, err)) != TX_OK)
		return rc;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	p->dst = dst;
	p->t = t;
	p->c = &c;
	p->err = err;
	while (rc == TX_OK && more)
		rc = copy_batch(src, p, &last, &more, err);
	*copied = p->copied;
	free(p);
	return rc;
}

/* A new copy needs a destination whose tables are empty; one with
 * trilex_migrate is an earlier copy's, which goes on. */
static tx_err start(tx_store *dst, int *resumed, struct tx_error *err)
{
	char sql[MIG_NAME + 48];
	store_stmt *s;
	int rows = 0;
	tx_err rc;

	if ((*resumed = has_table(dst, "trilex_migrate")))
		return TX_OK;
	for (size_t i = 0; i < store_n_tables && !rows; i++) {
		if (store_tables[i].how != STORE_TABLE_COPY)
			continue;
		snprintf(sql, sizeof(sql), "SELECT 1 FROM \"%s\" LIMIT 1",
			 store_tables[i].name);
		if ((rc = store_db_prepare(dst, sql, &s, err)) != TX_OK)
			return rc;
		rows = store_db_step(s) == STORE_DB_ROW;
		store_db_done(dst, s);
		if (rows)
			return tx_error_set(err, TX_ERR_EXISTS, "the destination"
					    " holds a store already (table %s has"
					    " rows): migrate copies into an empty one",
					    store_tables[i].name);
	}
	return store_db_exec(dst, create_progress, err);
}

/* PostgreSQL: the identity sequences past the ids copied. */
static tx_err set_sequences(tx_store *dst, struct tx_error *err)
{
	char sql[3 * MIG_NAME + 160];
	store_stmt *s;
	tx_err rc = TX_OK;

	if (store_db_backend(dst) != STORE_BACKEND_POSTGRES)
		return TX_OK;
	for (size_t i = 0; i < store_n_tables && rc == TX_OK; i++) {
		const struct store_table *t = &store_tables[i];
		if (t->how == STORE_TABLE_SKIP || t->key == NULL)
			continue;
		snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence(?1, ?2),"
			 " coalesce((SELECT max(\"%s\") FROM \"%s\"), 0) + 1, false)",
			 t->key, t->name);
		if ((rc = store_db_prepare(dst, sql, &s, err)) != TX_OK)
			return rc;
		store_db_bind_text(s, 1, t->name, -1, STORE_DB_STATIC);
		store_db_bind_text(s, 2, t->key, -1, STORE_DB_STATIC);
		if (store_db_step(s) != STORE_DB_ROW)
			rc = store_db_error(dst, err, "setval");
		store_db_done(dst, s);
	}
	return rc;
}

static struct store_migrate_row *report_tables(struct store_migrate_report *r)
{
	if (r->tables != NULL)
		return r->tables;
	if ((r->tables = calloc(store_n_tables, sizeof(*r->tables))) == NULL)
		return NULL;
	r->n_tables = 0;
	for (size_t i = 0; i < store_n_tables; i++)
		if (store_tables[i].how != STORE_TABLE_SKIP)
			snprintf(r->tables[r->n_tables++].name, STORE_MIGRATE_NAME,
				 "%s", store_tables[i].name);
	return r->tables;
}

tx_err store_migrate_copy(tx_store *src, tx_store *dst,
			  struct store_migrate_report *r, struct tx_error *err)
{
	size_t row = 0;
	tx_err rc;

	if (report_tables(r) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if (store_schema_version(src) != store_schema_version(dst))
		return tx_error_set(err, TX_ERR_INVALID, "schema %d against %d",
				    store_schema_version(src),
				    store_schema_version(dst));
	if ((rc = start(dst, &r->resumed, err)) != TX_OK)
		return rc;
	/* one snapshot of the source for the whole copy */
	if ((rc = store_db_begin_read(src, err)) != TX_OK)
		return rc;
	for (size_t i = 0; i < store_n_tables && rc == TX_OK; i++) {
		if (store_tables[i].how == STORE_TABLE_SKIP)
			continue;
		rc = copy_table(src, dst, &store_tables[i], &r->tables[row++].copied,
				err);
	}
	store_db_rollback(src, NULL);
	if (rc == TX_OK)
		rc = set_sequences(dst, err);
	return rc;
}

tx_err store_migrate_finish(tx_store *dst, struct tx_error *err)
{
	return store_db_exec(dst, "DROP TABLE IF EXISTS trilex_migrate", err);
}

/* ---- the check ---- */

/* Feed one value, as text (NULL apart), to h. */
static void hash_value(crypto_generichash_state *h, store_stmt *s, int i)
{
	unsigned char tag = store_db_column_type(s, i) == STORE_DB_NULL ? 0 : 1;
	const unsigned char *t = tag ? store_db_column_text(s, i) : NULL;
	uint32_t len = tag ? (uint32_t)store_db_column_bytes(s, i) : 0;
	unsigned char n[5] = { tag, (unsigned char)(len >> 24),
			       (unsigned char)(len >> 16), (unsigned char)(len >> 8),
			       (unsigned char)len };

	crypto_generichash_update(h, n, sizeof(n));
	if (t != NULL)
		crypto_generichash_update(h, t, len);
}

struct digest {
	int ncols;
	int64_t rows;
	uint64_t sum[4];
};

/* Add one row's BLAKE2b to the digest (fn of walk_batch). */
static tx_err digest_row(void *arg, store_stmt *s)
{
	struct digest *d = arg;
	crypto_generichash_state h;
	unsigned char out[32];

	crypto_generichash_init(&h, NULL, 0, sizeof(out));
	for (int i = 0; i < d->ncols; i++)
		hash_value(&h, s, i);
	crypto_generichash_final(&h, out, sizeof(out));
	for (int k = 0; k < 4; k++) {
		uint64_t v = 0;
		for (int b = 0; b < 8; b++)
			v = v << 8 | out[k * 8 + b];
		d->sum[k] += v;
	}
	d->rows++;
	return TX_OK;
}

static void digest_hex(const struct digest *d, char out[STORE_MIGRATE_HASH])
{
	unsigned char b[32], h[8];

	for (int k = 0; k < 4; k++)
		for (int i = 0; i < 8; i++)
			b[k * 8 + i] = (unsigned char)(d->sum[k] >> (56 - 8 * i));
	crypto_generichash(h, sizeof(h), b, sizeof(b), NULL, 0);
	tx_hex(h, sizeof(h), out);
}

static tx_err digest_table(tx_store *st, const struct store_table *t,
			   const struct cols *c, int64_t *rows,
			   char hash[STORE_MIGRATE_HASH], struct tx_error *err)
{
	struct digest d = { .ncols = c->n };
	int64_t last = INT64_MIN;
	int more = 1;
	tx_err rc = TX_OK;

	while (rc == TX_OK && more)
		rc = walk_batch(st, t, c, last, &last, &more, digest_row, &d, err);
	*rows = d.rows;
	digest_hex(&d, hash);
	return rc;
}

/* The object versions of collection pk and the BLAKE2b over their
 * rowid, date_added and text in (date_added, rowid) order. */
static tx_err digest_collection(tx_store *st, int64_t pk, int64_t *rows,
				char hash[STORE_MIGRATE_HASH], struct tx_error *err)
{
	crypto_generichash_state h;
	unsigned char out[8];
	int64_t added = INT64_MIN, rowid = INT64_MIN, got;
	store_stmt *s;
	tx_err rc = TX_OK;
	int step;

	*rows = 0;
	crypto_generichash_init(&h, NULL, 0, sizeof(out));
	do {
		if ((rc = store_db_prepare(st, "SELECT rowid, date_added, json FROM"
					   " objects WHERE coll = ?1 AND date_added >= ?2"
					   " AND (date_added > ?2 OR rowid > ?3)"
					   " ORDER BY date_added, rowid LIMIT ?4",
					   &s, err)) != TX_OK)
			return rc;
		store_db_bind_int64(s, 1, pk);
		store_db_bind_int64(s, 2, added);
		store_db_bind_int64(s, 3, rowid);
		store_db_bind_int64(s, 4, MIG_BATCH);
		got = 0;
		while ((step = store_db_step(s)) == STORE_DB_ROW) {
			for (int i = 0; i < 3; i++)
				hash_value(&h, s, i);
			rowid = store_db_column_int64(s, 0);
			added = store_db_column_int64(s, 1);
			got++;
		}
		if (step != STORE_DB_DONE)
			rc = store_db_error(st, err, "objects");
		store_db_done(st, s);
		*rows += got;
	} while (rc == TX_OK && got == MIG_BATCH);
	crypto_generichash_final(&h, out, sizeof(out));
	tx_hex(out, sizeof(out), hash);
	return rc;
}

/* The collections of src: name (alias, else id) and pk. */
static tx_err list_collections(tx_store *src, struct store_migrate_report *r,
			       int64_t **pks, struct tx_error *err)
{
	store_stmt *s;
	size_t cap = 0;
	tx_err rc;
	int step;

	if ((rc = store_db_prepare(src, "SELECT pk, coalesce(alias, id) FROM"
				   " collections ORDER BY pk", &s, err)) != TX_OK)
		return rc;
	while ((step = store_db_step(s)) == STORE_DB_ROW) {
		if (r->n_colls == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			void *a = realloc(r->colls, ncap * sizeof(*r->colls));
			void *b = a ? realloc(*pks, ncap * sizeof(**pks)) : NULL;
			if (a != NULL)
				r->colls = a;
			if (b == NULL) {
				store_db_done(src, s);
				return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			}
			*pks = b;
			cap = ncap;
		}
		memset(&r->colls[r->n_colls], 0, sizeof(r->colls[0]));
		(*pks)[r->n_colls] = store_db_column_int64(s, 0);
		store_db_column_copy(s, 1, r->colls[r->n_colls].name, STORE_MIGRATE_NAME);
		r->n_colls++;
	}
	rc = step == STORE_DB_DONE ? TX_OK : store_db_error(src, err, "collections");
	store_db_done(src, s);
	return rc;
}

static tx_err check_tables(tx_store *src, tx_store *dst,
			   struct store_migrate_report *r, struct tx_error *err)
{
	size_t row = 0;
	tx_err rc = TX_OK;
	struct cols c;

	for (size_t i = 0; i < store_n_tables && rc == TX_OK; i++) {
		const struct store_table *t = &store_tables[i];
		struct store_migrate_row *m;
		if (t->how == STORE_TABLE_SKIP)
			continue;
		m = &r->tables[row++];
		if ((rc = same_columns(src, dst, t, &c, err)) != TX_OK ||
		    (rc = digest_table(src, t, &c, &m->src, m->src_hash, err)) != TX_OK ||
		    (rc = digest_table(dst, t, &c, &m->dst, m->dst_hash, err)) != TX_OK)
			break;
		if (m->src != m->dst || strcmp(m->src_hash, m->dst_hash) != 0)
			r->differ++;
	}
	return rc;
}

tx_err store_migrate_check(tx_store *src, tx_store *dst,
			   struct store_migrate_report *r, struct tx_error *err)
{
	int64_t *pks = NULL;
	tx_err rc;

	if (report_tables(r) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	r->differ = 0;
	r->n_colls = 0;
	if ((rc = store_db_begin_read(src, err)) != TX_OK)
		return rc;
	if ((rc = store_db_begin_read(dst, err)) != TX_OK) {
		store_db_rollback(src, NULL);
		return rc;
	}
	rc = check_tables(src, dst, r, err);
	if (rc == TX_OK)
		rc = list_collections(src, r, &pks, err);
	for (size_t i = 0; rc == TX_OK && i < r->n_colls; i++) {
		struct store_migrate_row *m = &r->colls[i];
		if ((rc = digest_collection(src, pks[i], &m->src, m->src_hash,
					    err)) != TX_OK ||
		    (rc = digest_collection(dst, pks[i], &m->dst, m->dst_hash,
					    err)) != TX_OK)
			break;
		if (m->src != m->dst || strcmp(m->src_hash, m->dst_hash) != 0)
			r->differ++;
	}
	free(pks);
	store_db_rollback(dst, NULL);
	store_db_rollback(src, NULL);
	return rc;
}

void store_migrate_report_free(struct store_migrate_report *r)
{
	free(r->tables);
	free(r->colls);
	memset(r, 0, sizeof(*r));
}
