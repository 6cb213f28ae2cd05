/*
 * store/search.c: the search index and its queries.
 *
 * Every stored object version gets one row of the FTS5 table search_text
 * (rowid = objects.rowid) with three columns: its name (and aliases), its
 * description (and a note's content), and the values it names: the
 * literals of an indicator's pattern, an SCO's value and hashes, the
 * external ids of its references (ATT&CK T0801, CVE ids). The ids an
 * object points to (source_ref, target_ref, object_refs, sighting_of_ref,
 * ...) go to search_refs, one row each, so what refers to an object is
 * one index look-up (store_search_refs). IPv4 values
 * and networks also go to search_ip as [lo, hi] so that a CIDR finds the
 * addresses inside it. Rows are written in the same transaction as their
 * object (put_one calls store_search_index_object) and removed with it (the
 * trigger objects_unsearch). Queries join the objects table and keep only
 * last versions in collections the user may read: the index never says
 * more than a TAXII GET of the same user would.
 *
 * Costs: what is indexed of one object is capped (SEARCH_FIELD_MAX per
 * column), so an object costs the index a small multiple of its size.
 * Results come newest first (rowid order, which FTS5 walks without
 * sorting), so a page costs its size, not the number of matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* Most bytes of one column of one object's index row. */
#define SEARCH_FIELD_MAX (64 * 1024)
/* Objects of an older database indexed per transaction at open. */
#define SEARCH_BACKFILL_BATCH 2000

/* Nonzero when an append failed: below the cap, only for lack of memory. */
static int add_text(struct tx_buf *b, const char *s)
{
	size_t room;

	if (s == NULL || *s == '\0' || b->len >= b->max)
		return 0;
	room = b->max - b->len;
	if (b->len > 0) {
		if (room < 2)
			return 0;
		if (tx_buf_append(b, "\n", 1) != TX_OK)
			return 1;
		room--;
	}
	/* Past the cap the rest is left out, not the whole object. */
	return tx_buf_append(b, s, strlen(s) < room ? strlen(s) : room - 1) != TX_OK;
}

static int add_json_str(struct tx_buf *b, const json_t *v)
{
	return json_is_string(v) ? add_text(b, json_string_value(v)) : 0;
}

/* The quoted literals of a STIX pattern (not t'', h'' or b'' ones:
 * timestamps and binary say nothing a user searches for). */
static int add_pattern_literals(struct tx_buf *b, const char *pattern)
{
	char lit[1024];
	int bad = 0;

	for (const char *p = pattern; *p; p++) {
		size_t n = 0;
		int skip;

		if (*p != '\'')
			continue;
		skip = p > pattern && (p[-1] == 't' || p[-1] == 'h' ||
				       p[-1] == 'b');
		for (p++; *p && *p != '\''; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n + 1 < sizeof(lit))
				lit[n++] = *p;
		}
		lit[n] = '\0';
		if (!skip)
			bad |= add_text(b, lit);
		if (*p == '\0')
			break;
	}
	return bad;
}

/* a.b.c.d or a.b.c.d/n as a range; 0 when s is neither. */
int store_search_ipv4_range(const char *s, uint32_t *lo, uint32_t *hi)
{
	unsigned v[4], prefix = 32;
	int used = 0;
	char tail;

	if (sscanf(s, "%3u.%3u.%3u.%3u%n", &v[0], &v[1], &v[2], &v[3], &used) != 4)
		return 0;
	s += used;
	if (*s == '/') {
		if (sscanf(s, "/%2u%c", &prefix, &tail) != 1 || prefix > 32)
			return 0;
	} else if (*s != '\0') {
		return 0;
	}
	if (v[0] > 255 || v[1] > 255 || v[2] > 255 || v[3] > 255)
		return 0;
	uint32_t a = v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3];
	uint32_t mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
	*lo = a & mask;
	*hi = *lo | ~mask;
	return 1;
}

static tx_err index_ip(tx_store *st, int64_t rowid, const char *vals,
		       struct tx_error *err)
{
	store_stmt *s = NULL;
	char one[64];
	tx_err rc = TX_OK;

	for (const char *p = vals; *p;) {
		size_t n = strcspn(p, "\n");
		uint32_t lo, hi;

		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (store_search_ipv4_range(one, &lo, &hi)) {
				if (s == NULL && (rc = store_db_prepare(st, "INSERT INTO"
						  " search_ip(lo, hi, obj) VALUES"
						  " (?, ?, ?)", &s, err)))
					return rc;
				store_db_bind_int64(s, 1, lo);
				store_db_bind_int64(s, 2, hi);
				store_db_bind_int64(s, 3, rowid);
				if (store_db_step(s) != STORE_DB_DONE) {
					rc = store_db_error(st, err, "search index");
					break;
				}
				store_db_reset(s);
			}
		}
		p += n;
		if (*p)
			p++;
	}
	store_db_done(st, s);
	return rc;
}

static tx_err index_refs(tx_store *st, int64_t rowid, const char *type,
			 const char *refs, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "INSERT INTO search_refs(ref, type, obj)"
			     " VALUES (?, ?, ?)", &s, err)))
		return rc;
	for (const char *p = refs; *p;) {
		size_t n = strcspn(p, "\n");
		store_db_bind_text(s, 1, p, (int)n, STORE_DB_STATIC);
		store_db_bind_text(s, 2, type, -1, STORE_DB_STATIC);
		store_db_bind_int64(s, 3, rowid);
		if (store_db_step(s) != STORE_DB_DONE) {
			rc = store_db_error(st, err, "search index");
			break;
		}
		store_db_reset(s);
		p += n;
		if (*p)
			p++;
	}
	store_db_done(st, s);
	return rc;
}

void store_search_fields_get(const json_t *obj, struct store_search_fields *f)
{
	static const char *const ref_keys[] = { "source_ref", "target_ref",
		"sighting_of_ref", "object_refs", "where_sighted_refs",
		"observed_data_refs", "sample_refs" };
	const char *key;
	json_t *v;
	size_t i;
	int bad = 0;

	tx_buf_init(&f->name, SEARCH_FIELD_MAX);
	tx_buf_init(&f->desc, SEARCH_FIELD_MAX);
	tx_buf_init(&f->vals, SEARCH_FIELD_MAX);
	tx_buf_init(&f->refs, SEARCH_FIELD_MAX);
	for (size_t k = 0; k < sizeof(ref_keys) / sizeof(ref_keys[0]); k++) {
		json_t *r = json_object_get(obj, ref_keys[k]);
		bad |= add_json_str(&f->refs, r);
		json_array_foreach(r, i, v)
			bad |= add_json_str(&f->refs, v);
	}
	bad |= add_json_str(&f->name, json_object_get(obj, "name"));
	json_array_foreach(json_object_get(obj, "aliases"), i, v)
		bad |= add_json_str(&f->name, v);
	bad |= add_json_str(&f->desc, json_object_get(obj, "description"));
	bad |= add_json_str(&f->desc, json_object_get(obj, "content"));
	bad |= add_json_str(&f->desc, json_object_get(obj, "abstract"));
	if (json_is_string(json_object_get(obj, "pattern")))
		bad |= add_pattern_literals(&f->vals, json_string_value(
					     json_object_get(obj, "pattern")));
	bad |= add_json_str(&f->vals, json_object_get(obj, "value"));
	bad |= add_json_str(&f->vals, json_object_get(obj, "x_mitre_id"));
	json_object_foreach(json_object_get(obj, "hashes"), key, v)
		bad |= add_json_str(&f->vals, v);
	json_array_foreach(json_object_get(obj, "external_references"), i, v)
		bad |= add_json_str(&f->vals, json_object_get(v, "external_id"));
	f->nomem = bad;
}

void store_search_fields_free(struct store_search_fields *f)
{
	tx_buf_free(&f->name);
	tx_buf_free(&f->desc);
	tx_buf_free(&f->vals);
	tx_buf_free(&f->refs);
}

tx_err store_search_index_object(tx_store *st, int64_t rowid, const json_t *obj,
			   struct tx_error *err)
{
	struct store_search_fields f;
	store_stmt *s = NULL;
	const char *type = tx_json_str(obj, "type");
	tx_err rc;

	store_search_fields_get(obj, &f);
	if (f.nomem) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "search index: out of memory");
		goto out;
	}
	if (f.refs.len > 0 && (rc = index_refs(st, rowid, type ? type : "",
					       f.refs.data, err)))
		goto out;
	if (f.name.len == 0 && f.desc.len == 0 && f.vals.len == 0) {
		rc = TX_OK;
		goto out;
	}
	if ((rc = store_db_prepare(st, "INSERT INTO search_text(rowid, name,"
			     " description, vals) VALUES (?, ?, ?, ?)", &s, err)))
		goto out;
	store_db_bind_int64(s, 1, rowid);
	store_db_bind_text(s, 2, f.name.data ? f.name.data : "", -1, STORE_DB_STATIC);
	store_db_bind_text(s, 3, f.desc.data ? f.desc.data : "", -1, STORE_DB_STATIC);
	store_db_bind_text(s, 4, f.vals.data ? f.vals.data : "", -1, STORE_DB_STATIC);
	if (store_db_step(s) != STORE_DB_DONE) {
		rc = store_db_error(st, err, "search index");
		goto out;
	}
	if (f.vals.len > 0)
		rc = index_ip(st, rowid, f.vals.data, err);
out:
	store_db_done(st, s);
	store_search_fields_free(&f);
	return rc;
}

/* One batch of the backfill; *done when nothing is left. */
static tx_err backfill_batch(tx_store *st, int *done, struct tx_error *err)
{
	store_stmt *todo = NULL, *rows = NULL, *mark = NULL;
	int64_t next = 0, last = 0;
	int n = 0, step;
	tx_err rc;

	*done = 1;
	if ((rc = store_db_begin(st, err)))
		return rc;
	if ((rc = store_db_prepare(st, "SELECT next FROM search_todo", &todo, err)))
		goto rollback;
	if ((step = store_db_step(todo)) != STORE_DB_ROW) {
		/* nothing to do, or a failed step (an error, not "done") */
		if (step != STORE_DB_DONE) {
			rc = store_db_error(st, err, "search backfill");
			goto rollback;
		}
		rc = store_db_commit(st, err);
		goto out;
	}
	next = store_db_column_int64(todo, 0);
	if ((rc = store_db_prepare(st, "SELECT rowid, json FROM objects WHERE rowid > ?"
			     " ORDER BY rowid LIMIT ?", &rows, err)))
		goto rollback;
	store_db_bind_int64(rows, 1, next);
	store_db_bind_int(rows, 2, SEARCH_BACKFILL_BATCH);
	while ((step = store_db_step(rows)) == STORE_DB_ROW) {
		unsigned long jf = tx_json_failures();
		/* tx_json_load: jansson 2.14's json_loadb can abort (an assert
		 * in lex_scan_string) when an allocation fails */
		json_t *obj = tx_json_load((const char *)store_db_column_text(rows, 1),
					   (size_t)store_db_column_bytes(rows, 1), 0,
					   NULL);
		last = store_db_column_int64(rows, 0);
		n++;
		if (obj == NULL && tx_json_failures() != jf) {
			/* not read for lack of memory: not "nothing to index" */
			rc = tx_error_set(err, TX_ERR_NOMEM, "search backfill: out of"
					  " memory");
			goto rollback;
		}
		if (obj == NULL)
			continue; /* stored objects are JSON; nothing to index */
		rc = store_search_index_object(st, last, obj, err);
		json_decref(obj);
		if (rc)
			goto rollback;
	}
	/* a step that failed is not the end of the objects: marking the
	 * batch done would leave the rest unindexed for good */
	if (step != STORE_DB_DONE) {
		rc = store_db_error(st, err, "search backfill");
		goto rollback;
	}
	if ((rc = store_db_prepare(st, n == SEARCH_BACKFILL_BATCH ?
			     "UPDATE search_todo SET next = ?" :
			     "DELETE FROM search_todo WHERE next <= ?", &mark, err)))
		goto rollback;
	store_db_bind_int64(mark, 1, n == SEARCH_BACKFILL_BATCH ? last : INT64_MAX);
	if (store_db_step(mark) != STORE_DB_DONE) {
		rc = store_db_error(st, err, "search backfill");
		goto rollback;
	}
	*done = n < SEARCH_BACKFILL_BATCH;
	rc = store_db_commit(st, err);
	goto out;
rollback:
	store_db_rollback(st, NULL);
out:
	store_db_done(st, todo);
	store_db_done(st, rows);
	store_db_done(st, mark);
	return rc;
}

tx_err store_search_backfill(tx_store *st, struct tx_error *err)
{
	int done = 0;
	tx_err rc = TX_OK;

	while (!done && rc == TX_OK) {
		store_db_write_lock();
		rc = backfill_batch(st, &done, err);
		store_db_write_unlock();
	}
	return rc;
}

/* ---- queries ---- */

/*
 * The FTS5 query for the user's words: each one a quoted string (which
 * FTS5 splits into a phrase, so 10.1.2.3 matches those four numbers in
 * that order and nothing else), all of them required. Nothing the user
 * types is FTS5 syntax.
 */
static tx_err fts_query(const char *text, struct tx_buf *q,
			struct tx_error *err)
{
	size_t terms = 0;

	if (tx_buf_puts(q, "{name description vals} : ("))
		goto toobig;

	for (const char *p = text; *p;) {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, " \t\r\n");
		if (++terms > STORE_SEARCH_TERMS_MAX)
			return tx_error_set(err, TX_ERR_INVALID, "more than %d"
					    " words", STORE_SEARCH_TERMS_MAX);
		if (terms > 1 && tx_buf_puts(q, " "))
			goto toobig;
		if (tx_buf_puts(q, "\""))
			goto toobig;
		for (size_t i = 0; i < n; i++)
			if ((p[i] == '"' && tx_buf_puts(q, "\"\"")) ||
			    (p[i] != '"' && tx_buf_append(q, p + i, 1)))
				goto toobig;
		if (tx_buf_puts(q, "\""))
			goto toobig;
		p += n;
	}
	if (terms == 0)
		return tx_error_set(err, TX_ERR_INVALID, "nothing to search for");
	if (tx_buf_puts(q, ")"))
		goto toobig;
	return TX_OK;
toobig:
	return tx_error_set(err, TX_ERR_TOOBIG, "the query is too long");
}

/* Whether text (spaces around it aside) is one IPv4 address or network. */
static int ip_query(const char *text, uint32_t *lo, uint32_t *hi)
{
	char one[64];
	size_t n;

	while (*text == ' ')
		text++;
	n = strcspn(text, " \t\r\n");
	if (n == 0 || n >= sizeof(one) || text[n + strspn(text + n, " ")] != '\0')
		return 0;
	memcpy(one, text, n);
	one[n] = '\0';
	return store_search_ipv4_range(one, lo, hi);
}

#define SEARCH_COLS "o.rowid, o.date_added, o.id, o.version, o.spec_version," \
	" o.json, o.origin, o.via, o.coll, o.type"
/* Only in the collections the caller lists (?1: a JSON array of pks). */
#define SEARCH_READABLE " AND o.coll IN (SELECT value FROM json_each(?1))"

static const char *const sql_text =
	"SELECT " SEARCH_COLS " FROM search_text f JOIN objects o"
	" ON o.rowid = f.rowid WHERE search_text MATCH ?3 AND o.is_last = 1"
	SEARCH_READABLE
	" AND (?4 IS NULL OR o.type = ?4) AND (?5 = 0 OR f.rowid < ?5)"
	" ORDER BY f.rowid DESC LIMIT ?6";
static const char *const sql_ip =
	"SELECT " SEARCH_COLS " FROM objects o WHERE o.rowid IN"
	" (SELECT obj FROM search_ip WHERE lo BETWEEN ?3 AND ?7)"
	" AND o.is_last = 1" SEARCH_READABLE
	" AND (?4 IS NULL OR o.type = ?4) AND (?5 = 0 OR o.rowid < ?5)"
	" ORDER BY o.rowid DESC LIMIT ?6";
/* the subqueries are named (AS t): PostgreSQL 15 wants it */
static const char *const sql_types_text =
	"SELECT type, count(*) FROM (SELECT o.type AS type FROM search_text f"
	" JOIN objects o ON o.rowid = f.rowid WHERE search_text MATCH ?3"
	" AND o.is_last = 1" SEARCH_READABLE " LIMIT ?6) AS t GROUP BY type"
	" ORDER BY type";
static const char *const sql_types_ip =
	"SELECT type, count(*) FROM (SELECT o.type AS type FROM objects o WHERE"
	" o.rowid IN (SELECT obj FROM search_ip WHERE lo BETWEEN ?3 AND ?7)"
	" AND o.is_last = 1" SEARCH_READABLE " LIMIT ?6) AS t GROUP BY type"
	" ORDER BY type";

static void row_from(store_stmt *s, struct store_row *row)
{
	row->rowid = store_db_column_int64(s, 0);
	row->date_added = store_db_column_int64(s, 1);
	row->id = (const char *)store_db_column_text(s, 2);
	row->version = (const char *)store_db_column_text(s, 3);
	row->spec_version = (const char *)store_db_column_text(s, 4);
	row->json = (const char *)store_db_column_text(s, 5);
	row->json_len = (size_t)store_db_column_bytes(s, 5);
	row->origin = (const char *)store_db_column_text(s, 6);
	row->via = (const char *)store_db_column_text(s, 7);
	row->collection_pk = store_db_column_int64(s, 8);
}

/* Prepare the statement of q (text or IP form) and bind what is shared. */
static tx_err search_prepare(tx_store *st, const int64_t *colls,
			     size_t n_colls, const char *text, int counts,
			     struct tx_buf *fq, struct tx_buf *cl,
			     store_stmt **s, struct tx_error *err)
{
	uint32_t lo, hi;
	int ip = ip_query(text, &lo, &hi);
	tx_err rc;

	if (strlen(text) > STORE_SEARCH_TEXT_MAX)
		return tx_error_set(err, TX_ERR_TOOBIG, "the query is longer than"
				    " %d bytes", STORE_SEARCH_TEXT_MAX);
	if (!ip && (rc = fts_query(text, fq, err)))
		return rc;
	if ((rc = tx_buf_puts(cl, "[")))
		return tx_error_set(err, rc, "out of memory");
	for (size_t i = 0; i < n_colls; i++)
		if ((rc = tx_buf_printf(cl, "%s%lld", i ? "," : "",
					(long long)colls[i])))
			return tx_error_set(err, rc, "out of memory");
	if ((rc = tx_buf_puts(cl, "]")))
		return tx_error_set(err, rc, "out of memory");
	if ((rc = store_db_prepare(st, ip ? (counts ? sql_types_ip : sql_ip) :
			     (counts ? sql_types_text : sql_text), s, err)))
		return rc;
	store_db_bind_text(*s, 1, cl->data, -1, STORE_DB_STATIC);
	if (ip) {
		store_db_bind_int64(*s, 3, lo);
		store_db_bind_int64(*s, 7, hi);
	} else {
		store_db_bind_text(*s, 3, fq->data, -1, STORE_DB_STATIC);
	}
	return TX_OK;
}

/* Bind ?4 (type), ?5 (before) and ?6 (limit + 1) of a prepared search
 * and hand its rows to fn, filling page (more, next, n). */
static tx_err search_rows(tx_store *st, store_stmt *s,
			  const struct store_search *q, store_row_fn fn,
			  void *ctx, struct store_search_page *page,
			  struct tx_error *err)
{
	int64_t limit = q->limit < 1 ? 1 : q->limit;
	int r;

	if (q->type)
		store_db_bind_text(s, 4, q->type, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 5, q->before > 0 ? q->before : 0);
	store_db_bind_int64(s, 6, limit + 1);
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		struct store_row row = { 0 };

		if ((int64_t)page->n == limit) {
			page->more = 1;
			break;
		}
		row_from(s, &row);
		page->next = row.rowid;
		if (fn != NULL) {
			int v = fn(ctx, &row);
			if (v == STORE_ROW_STOP)
				break;
			if (v != STORE_ROW_NEXT) {
				return tx_error_set(err, TX_ERR_INTERNAL,
						    "search: a row was refused");
			}
		}
		page->n++;
	}
	if (r != STORE_DB_ROW && r != STORE_DB_DONE)
		return store_db_error(st, err, "search");
	return TX_OK;
}

tx_err store_search(tx_store *st, const struct store_search *q,
		    store_row_fn fn, void *ctx, struct store_search_page *page,
		    struct tx_error *err)
{
	struct tx_buf fq, cl;
	store_stmt *s = NULL;
	tx_err rc;

	memset(page, 0, sizeof(*page));
	tx_buf_init(&fq, 4 * STORE_SEARCH_TEXT_MAX);
	tx_buf_init(&cl, 0);
	if ((rc = search_prepare(st, q->colls, q->n_colls, q->text, 0, &fq, &cl,
				 &s, err)))
		goto out;
	rc = search_rows(st, s, q, fn, ctx, page, err);
out:
	store_db_done(st, s);
	tx_buf_free(&fq);
	tx_buf_free(&cl);
	return rc;
}

tx_err store_search_types(tx_store *st, const struct store_search *q,
			  int64_t scan_max, struct store_search_type *types,
			  size_t max, size_t *n, struct tx_error *err)
{
	struct tx_buf fq, cl;
	store_stmt *s = NULL;
	tx_err rc;
	int r;

	*n = 0;
	tx_buf_init(&fq, 4 * STORE_SEARCH_TEXT_MAX);
	tx_buf_init(&cl, 0);
	if ((rc = search_prepare(st, q->colls, q->n_colls, q->text, 1, &fq, &cl,
				 &s, err)))
		goto out;
	store_db_bind_int64(s, 6, scan_max);
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		if (*n == max)
			continue;
		store_db_column_copy(s, 0, types[*n].type, sizeof(types[*n].type));
		types[*n].count = store_db_column_int64(s, 1);
		(*n)++;
	}
	if (r != STORE_DB_DONE)
		rc = store_db_error(st, err, "search");
out:
	store_db_done(st, s);
	tx_buf_free(&fq);
	tx_buf_free(&cl);
	return rc;
}

/* With a type, the (ref, type, obj) index finds only that type's rows. */
static const char *const sql_refs_type =
	"SELECT " SEARCH_COLS " FROM search_refs r INDEXED BY search_refs_ref"
	" JOIN objects o ON o.rowid = r.obj WHERE r.ref = ?3 AND r.type = ?4"
	" AND o.is_last = 1" SEARCH_READABLE " AND (?5 = 0 OR r.obj < ?5)"
	" ORDER BY r.obj DESC LIMIT ?6";
static const char *const sql_refs =
	"SELECT " SEARCH_COLS " FROM search_refs r INDEXED BY search_refs_any"
	" JOIN objects o ON o.rowid = r.obj WHERE r.ref = ?3 AND o.is_last = 1"
	SEARCH_READABLE " AND (?5 = 0 OR r.obj < ?5)"
	" ORDER BY r.obj DESC LIMIT ?6";

tx_err store_search_refs(tx_store *st, const struct store_search *q,
			 store_row_fn fn, void *ctx,
			 struct store_search_page *page, struct tx_error *err)
{
	struct tx_buf cl;
	store_stmt *s = NULL;
	tx_err rc;

	memset(page, 0, sizeof(*page));
	tx_buf_init(&cl, 0);
	if ((rc = tx_buf_puts(&cl, "[")))
		goto nomem;
	for (size_t i = 0; i < q->n_colls; i++)
		if ((rc = tx_buf_printf(&cl, "%s%lld", i ? "," : "",
					(long long)q->colls[i])))
			goto nomem;
	if ((rc = tx_buf_puts(&cl, "]")))
		goto nomem;
	if ((rc = store_db_prepare(st, q->type ? sql_refs_type : sql_refs, &s, err)))
		goto out;
	store_db_bind_text(s, 1, cl.data, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 3, q->text, -1, STORE_DB_STATIC);
	rc = search_rows(st, s, q, fn, ctx, page, err);
	goto out;
nomem:
	rc = tx_error_set(err, rc, "out of memory");
out:
	store_db_done(st, s);
	tx_buf_free(&cl);
	return rc;
}

int store_object_values(const json_t *obj, char *out, size_t size)
{
	struct tx_buf vals;
	const char *key;
	json_t *v;

	int bad = 0;

	if (size == 0)
		return 0;
	tx_buf_init(&vals, size);
	if (json_is_string(json_object_get(obj, "pattern")))
		bad |= add_pattern_literals(&vals, json_string_value(
					     json_object_get(obj, "pattern")));
	bad |= add_json_str(&vals, json_object_get(obj, "value"));
	json_object_foreach(json_object_get(obj, "hashes"), key, v)
		bad |= add_json_str(&vals, v);
	snprintf(out, size, "%s", vals.data && !bad ? vals.data : "");
	tx_buf_free(&vals);
	return bad ? -1 : 1;
}
