/*
 * store/objects.c: object versions, keyset-paged queries, deletes and the
 * status resources of POSTs.
 *
 * Invariants: (coll, id, version_us) is unique; for each (coll, id) exactly
 * one row has is_first and one has is_last, kept true inside the same
 * transaction as every insert and delete; clock.last is the largest
 * date_added ever handed out, so date_added strictly increases even across
 * deletes and processes.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"
#include "store/internal.h"

/* The process's lane classifier (store_set_lane_classifier), set once
 * before any thread stores. */
static store_lane_fn lane_classifier;

void store_set_lane_classifier(store_lane_fn fn)
{
	lane_classifier = fn;
}

/* Statements of one put; given back together. */
struct put_stmts {
	store_stmt *last;   /* json of the last version */
	store_stmt *range;  /* min and max version of an id, and whether
	                         this version is stored */
	store_stmt *unlast, *unfirst;
	store_stmt *insert;
};

static void put_stmts_free(tx_store *st, struct put_stmts *p)
{
	store_db_done(st, p->last);
	store_db_done(st, p->range);
	store_db_done(st, p->unlast);
	store_db_done(st, p->unfirst);
	store_db_done(st, p->insert);
}

static tx_err put_stmts_prepare(tx_store *st, struct put_stmts *p,
				struct tx_error *err)
{
	tx_err rc;

	if ((rc = store_db_prepare(st, "SELECT json FROM objects WHERE coll = ? AND"
			     " id = ? AND is_last = 1", &p->last, err)) ||
	    (rc = store_db_prepare(st, "SELECT min(version_us), max(version_us),"
			     " max(version_us = ?3) FROM objects"
			     " WHERE coll = ?1 AND id = ?2", &p->range, err)) ||
	    (rc = store_db_prepare(st, "UPDATE objects SET is_last = 0 WHERE coll = ?"
			     " AND id = ? AND is_last = 1", &p->unlast, err)) ||
	    (rc = store_db_prepare(st, "UPDATE objects SET is_first = 0 WHERE coll = ?"
			     " AND id = ? AND is_first = 1", &p->unfirst, err)) ||
	    (rc = store_db_prepare(st, "INSERT INTO objects(coll, id, type, spec_version,"
			     " version, version_us, date_added, is_first, is_last,"
			     " json, origin, via, restricted, lane) VALUES (?, ?, ?,"
			     " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &p->insert, err)))
		return rc;
	return TX_OK;
}

/* Run a statement that returns no rows; TX_ERR_DB on failure. */
static int step_done(store_stmt *s)
{
	int r = store_db_step(s);

	store_db_reset(s);
	return r == STORE_DB_DONE ? 0 : -1;
}

/*
 * The outcome of storing one valid object: a new version (1), a version
 * already there (0), or an error (< 0, err set).
 */
static int put_one(tx_store *st, struct put_stmts *p, int64_t coll,
		   const struct store_item *it, int lane, int64_t date_added,
		   char *version, size_t version_size, struct tx_error *err)
{
	const json_t *obj = it->obj;
	const char *id = tx_json_str(obj, "id");
	const char *type = tx_json_str(obj, "type");
	const char *spec = tx_json_str(obj, "spec_version");
	const char *ver = tx_json_str(obj, "modified");
	int64_t version_us, vmin = 0, vmax = 0;
	int has_range = 0, is_first, is_last, result = -1;
	char *dumped = NULL;
	const char *text = it->text;

	if (ver == NULL)
		ver = tx_json_str(obj, "created");
	if (id == NULL || type == NULL) {
		tx_error_set(err, TX_ERR_INVALID, "id and type are required");
		return -1;
	}
	if (it->held) { /* this very version and text is here (store_object_held) */
		snprintf(version, version_size, "%s", ver ? ver : "");
		return 0;
	}
	if (text == NULL && (text = dumped = tx_json_dumps(obj, JSON_COMPACT)) == NULL) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (ver != NULL) {
		if (tx_time_parse(ver, &version_us, NULL) != TX_OK) {
			tx_error_set(err, TX_ERR_INVALID, "version: not a timestamp");
			goto out;
		}
		snprintf(version, version_size, "%s", ver);
	} else {
		/* No modified or created (an SCO): the version is date_added,
		 * and content equal to the last version is not a new one. */
		store_db_bind_int64(p->last, 1, coll);
		store_db_bind_text(p->last, 2, id, -1, STORE_DB_STATIC);
		int r = store_db_step(p->last);
		int same = r == STORE_DB_ROW &&
			   store_same_content((const char *)store_db_column_text(p->last, 0),
					(size_t)store_db_column_bytes(p->last, 0),
					text, obj, it->ignore_ext);
		if (r != STORE_DB_ROW && r != STORE_DB_DONE) {
			store_db_error(st, err, "store object");
			store_db_reset(p->last);
			goto out;
		}
		store_db_reset(p->last);
		version_us = date_added;
		tx_time_format(date_added, version);
		if (same) {
			result = 0;
			goto out;
		}
	}
	store_db_bind_int64(p->range, 1, coll);
	store_db_bind_text(p->range, 2, id, -1, STORE_DB_STATIC);
	store_db_bind_int64(p->range, 3, version_us);
	int r = store_db_step(p->range);
	if (r != STORE_DB_ROW && r != STORE_DB_DONE) {
		/* not "no versions yet": the read itself failed */
		store_db_error(st, err, "store object");
		store_db_reset(p->range);
		goto out;
	}
	if (r == STORE_DB_ROW &&
	    store_db_column_type(p->range, 0) != STORE_DB_NULL) {
		has_range = 1;
		vmin = store_db_column_int64(p->range, 0);
		vmax = store_db_column_int64(p->range, 1);
		if (store_db_column_int(p->range, 2)) {
			store_db_reset(p->range);
			result = 0; /* this version is stored already */
			goto out;
		}
	}
	store_db_reset(p->range);
	is_first = !has_range || version_us < vmin;
	is_last = !has_range || version_us > vmax;
	if (has_range && is_last) {
		store_db_bind_int64(p->unlast, 1, coll);
		store_db_bind_text(p->unlast, 2, id, -1, STORE_DB_STATIC);
		if (step_done(p->unlast))
			goto dberr;
	}
	if (has_range && is_first) {
		store_db_bind_int64(p->unfirst, 1, coll);
		store_db_bind_text(p->unfirst, 2, id, -1, STORE_DB_STATIC);
		if (step_done(p->unfirst))
			goto dberr;
	}
	store_db_bind_int64(p->insert, 1, coll);
	store_db_bind_text(p->insert, 2, id, -1, STORE_DB_STATIC);
	store_db_bind_text(p->insert, 3, type, -1, STORE_DB_STATIC);
	store_db_bind_text(p->insert, 4, spec ? spec : "2.1", -1, STORE_DB_STATIC);
	store_db_bind_text(p->insert, 5, version, -1, STORE_DB_STATIC);
	store_db_bind_int64(p->insert, 6, version_us);
	store_db_bind_int64(p->insert, 7, date_added);
	store_db_bind_int(p->insert, 8, is_first);
	store_db_bind_int(p->insert, 9, is_last);
	store_db_bind_text(p->insert, 10, text, -1, STORE_DB_STATIC);
	if (it->origin)
		store_db_bind_text(p->insert, 11, it->origin, -1, STORE_DB_STATIC);
	else
		store_db_bind_null(p->insert, 11);
	if (it->via)
		store_db_bind_text(p->insert, 12, it->via, -1, STORE_DB_STATIC);
	else
		store_db_bind_null(p->insert, 12);
	store_db_bind_int(p->insert, 13, store_audit_sensitive(text, strlen(text)));
	/* the lane matters only for what leaves: our own objects */
	store_db_bind_int(p->insert, 14, it->via == NULL ? lane : STORE_LANE_BULK);
	if (step_done(p->insert))
		goto dberr;
	int64_t rowid = store_db_last_id(st);
	if (store_search_index_object(st, rowid, obj, err) != TX_OK ||
	    store_supply_index_object(st, rowid, coll, obj, err) != TX_OK ||
	    store_withdrawal_note(st, obj, it->origin, err) != TX_OK)
		goto out;
	result = 1;
	goto out;
dberr:
	store_db_error(st, err, "store object");
out:
	free(dumped);
	return result;
}

/* Whether the stored text last and the new object (text, obj) have the
 * same content: the same text, or, leaving out the member ignore_ext of
 * "extensions", the same canonical form (a signature made again differs
 * in its batch proof, not in what it signs). */
int store_same_content(const char *last, size_t last_len, const char *text,
		       const json_t *obj, const char *ignore_ext)
{
	struct tx_error e;
	char *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	json_t *old;
	int same;

	if (strcmp(last, text) == 0)
		return 1;
	if (ignore_ext == NULL ||
	    (old = tx_json_load(last, last_len, 0, NULL)) == NULL)
		return 0;
	same = stix_canonicalize_omit(old, ignore_ext, &a, &la, &e) == TX_OK &&
	       stix_canonicalize_omit(obj, ignore_ext, &b, &lb, &e) == TX_OK &&
	       la == lb && memcmp(a, b, la) == 0;
	json_decref(old);
	free(a);
	free(b);
	return same;
}

/* Append one status-details record to a JSON array being built. */
static tx_err add_detail(struct tx_buf *b, const char *id, const char *version,
			 const char *message)
{
	tx_err rc = tx_buf_puts(b, b->len > 1 ? ",{\"id\":" : "{\"id\":");

	if (!rc)
		rc = tx_buf_json_string(b, id ? id : "");
	if (!rc && version && *version) {
		rc = tx_buf_puts(b, ",\"version\":");
		if (!rc)
			rc = tx_buf_json_string(b, version);
	}
	if (!rc && message) {
		rc = tx_buf_puts(b, ",\"message\":");
		if (!rc)
			rc = tx_buf_json_string(b, message);
	}
	return rc ? rc : tx_buf_puts(b, "}");
}

static tx_err clock_read(tx_store *st, int64_t *last, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "SELECT last FROM clock", &s, err)))
		return rc;
	if (store_db_step(s) == STORE_DB_ROW)
		*last = store_db_column_int64(s, 0);
	else
		rc = store_db_error(st, err, "read clock");
	store_db_done(st, s);
	return rc;
}

static tx_err clock_write(tx_store *st, int64_t last, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "UPDATE clock SET last = ?", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, last);
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "write clock");
	store_db_done(st, s);
	return rc;
}

static tx_err put_locked(tx_store *st, int64_t collection_pk,
			 const struct store_user *u, const struct store_item *items,
			 size_t n, int64_t n_unlisted,
			 const struct store_peer_tally *tally,
			 char status_id[TX_UUID_BUF], struct tx_error *err);

tx_err store_put_objects(tx_store *st, int64_t collection_pk,
			 const struct store_user *u, const struct store_item *items,
			 size_t n, char status_id[TX_UUID_BUF],
			 struct tx_error *err)
{
	return store_put_objects_tally(st, collection_pk, u, items, n, NULL,
				       status_id, err);
}

tx_err store_put_objects_tally(tx_store *st, int64_t collection_pk,
			       const struct store_user *u,
			       const struct store_item *items, size_t n,
			       const struct store_peer_tally *tally,
			       char status_id[TX_UUID_BUF], struct tx_error *err)
{
	return store_put_objects_counted(st, collection_pk, u, items, n, 0,
					 tally, status_id, err);
}

tx_err store_put_objects_counted(tx_store *st, int64_t collection_pk,
				 const struct store_user *u,
				 const struct store_item *items, size_t n,
				 int64_t n_unlisted,
				 const struct store_peer_tally *tally,
				 char status_id[TX_UUID_BUF],
				 struct tx_error *err)
{
	tx_err rc;

	if (n_unlisted < 0)
		return tx_error_set(err, TX_ERR_INVALID, "store: n_unlisted < 0");
	if ((rc = store_inbox_check(st, collection_pk, items, n, err)) != TX_OK)
		return rc;
	if (n > STORE_WRITE_BIG)
		store_db_write_lock_big();
	else
		store_db_write_lock();
	rc = put_locked(st, collection_pk, u, items, n, n_unlisted, tally,
			status_id, err);
	store_db_write_unlock();
	return rc;
}

/* Delete some of the status resources that have expired: a bounded
 * number per write, so that no write pays for a backlog at once. */
static tx_err status_purge(tx_store *st, int64_t now, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "DELETE FROM status WHERE id IN (SELECT id FROM"
			     " status WHERE expires <= ? LIMIT 1000)", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, now);
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "expire statuses");
	store_db_done(st, s);
	return rc;
}

/* A partner's counters: received is what is new here; what we had is a
 * duplicate (a resend, or a pull of what a push brought). */
static tx_err tally_update(tx_store *st, const struct store_peer_tally *tally,
			   int64_t n_new, int64_t n_dup, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "UPDATE peers SET received = received + ?,"
			     " duplicates = duplicates + ?,"
			     " rejected = rejected + ? WHERE party = ?", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, n_new);
	store_db_bind_int64(s, 2, n_dup);
	store_db_bind_int64(s, 3, tally->rejected);
	store_db_bind_text(s, 4, tally->party, -1, STORE_DB_STATIC);
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "partner counters");
	store_db_done(st, s);
	return rc;
}

/* put_one's return for an item of the PostgreSQL batch, with its
 * version and, when refused, its message in oerr (TX_ERR_INVALID). */
static int put_outcome(const struct store_put_outcome *o, char *version,
		       size_t version_size, struct tx_error *oerr)
{
	snprintf(version, version_size, "%s", o->version);
	if (o->r < 0)
		tx_error_set(oerr, TX_ERR_INVALID, "%s", o->msg ? o->msg : "refused");
	return o->r;
}

static tx_err put_locked(tx_store *st, int64_t collection_pk,
			 const struct store_user *u, const struct store_item *items,
			 size_t n, int64_t n_unlisted,
			 const struct store_peer_tally *tally,
			 char status_id[TX_UUID_BUF], struct tx_error *err)
{
	struct put_stmts p = { 0 };
	struct store_put_outcome *outs = NULL;  /* owned: PostgreSQL's batch */
	struct tx_buf oks, fails;
	store_stmt *s = NULL;
	unsigned char *lanes = NULL;  /* owned; NULL: all bulk */
	int64_t last = 0, now = tx_time_now_us(), next;
	int64_t n_ok = 0, n_fail = 0, n_listed = 0, n_new = 0, n_dup = 0;
	char version[64];
	struct tx_error oerr;
	tx_err rc;

	tx_buf_init(&oks, 0);
	tx_buf_init(&fails, 0);
	if (tx_buf_puts(&oks, "[") || tx_buf_puts(&fails, "["))
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");

	if (lane_classifier != NULL && n > 0) {
		if ((lanes = calloc(n, 1)) == NULL) {
			tx_buf_free(&oks);
			tx_buf_free(&fails);
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		}
		lane_classifier(items, n, lanes);
	}
	if ((rc = store_db_begin(st, err)) != TX_OK) {
		free(lanes);
		tx_buf_free(&oks);
		tx_buf_free(&fails);
		return rc;
	}
	if ((rc = clock_read(st, &last, err)))
		goto out;
	next = now > last ? now : last + 1;
	/* PostgreSQL: the whole batch in a few round trips (put_pg.c) */
	if (st->backend == STORE_BACKEND_POSTGRES && n > 0) {
		if ((outs = calloc(n, sizeof(*outs))) == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = store_put_batch_pg(st, collection_pk, items, n, lanes,
					     &next, outs, err)))
			goto out;
	} else if ((rc = put_stmts_prepare(st, &p, err))) {
		goto out;
	}
	tx_uuid4(status_id);
	for (size_t i = 0; i < n; i++) {
		const struct store_item *it = &items[i];
		int ok = 0, r;
		const char *msg = it->message;

		version[0] = '\0';
		if (it->obj != NULL) {
			r = outs ? put_outcome(&outs[i], version, sizeof(version), &oerr) :
			    put_one(st, &p, collection_pk, it,
				    lanes ? lanes[i] : STORE_LANE_BULK, next,
				    version, sizeof(version), &oerr);
			if (r > 0 && outs == NULL)
				next++;
			n_new += r > 0;
			n_dup += r == 0;
			if (r < 0 && oerr.code != TX_ERR_INVALID) {
				rc = tx_error_set(err, oerr.code, "%s", oerr.msg);
				goto out;
			}
			/* SQLite may end a transaction itself on some errors
			 * (out of memory, I/O): what follows would then commit
			 * row by row. All of the batch or none of it. */
			if (store_db_autocommit(st)) {
				rc = tx_error_set(err, TX_ERR_DB, "store: the"
						  " transaction was rolled back");
				goto out;
			}
			ok = r >= 0;
			msg = r < 0 ? oerr.msg : r == 0 ? "already present" : NULL;
		}
		if (ok)
			n_ok++;
		else
			n_fail++;
		/* Every failure is counted; only the first ones are listed, so
		 * that a body of many small bad objects makes a small status. */
		int listed = ok || n_listed < st->status_failures_max;
		if (!ok && listed)
			n_listed++;
		if ((listed &&
		     add_detail(ok ? &oks : &fails, it->id, version, msg)) ||
		    (i + 1 == n && (tx_buf_puts(&oks, "]") ||
				    tx_buf_puts(&fails, "]")))) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = clock_write(st, next - 1 > last ? next - 1 : last, err)))
		goto out;
	if (n == 0 && (tx_buf_puts(&oks, "]") || tx_buf_puts(&fails, "]"))) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	n_fail += n_unlisted;
	if ((rc = status_purge(st, now, err)))
		goto out;
	if ((rc = store_db_prepare(st, "INSERT INTO status(id, user_id, coll, request_ts,"
			     " total, success, failure, successes, failures,"
			     " expires, unlisted)"
			     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s, err)))
		goto out;
	store_db_bind_text(s, 1, status_id, -1, STORE_DB_STATIC);
	if (u)
		store_db_bind_int64(s, 2, u->id);
	else
		store_db_bind_null(s, 2);
	store_db_bind_int64(s, 3, collection_pk);
	store_db_bind_int64(s, 4, now);
	store_db_bind_int64(s, 5, (int64_t)n + n_unlisted);
	store_db_bind_int64(s, 6, n_ok);
	store_db_bind_int64(s, 7, n_fail);
	store_db_bind_text(s, 8, oks.data, (int)oks.len, STORE_DB_STATIC);
	store_db_bind_text(s, 9, fails.data, (int)fails.len, STORE_DB_STATIC);
	store_db_bind_int64(s, 10, now + st->status_ttl_us);
	store_db_bind_int64(s, 11, n_fail - n_listed);
	if (store_db_step(s) != STORE_DB_DONE) {
		rc = store_db_error(st, err, "status");
		goto out;
	}
	/* A partner's counters go in the same commit (one fsync, not two). */
	if (tally != NULL && (rc = tally_update(st, tally, n_new, n_dup, err)))
		goto out;
	rc = store_db_commit(st, err);
out:
	store_db_done(st, s);
	put_stmts_free(st, &p);
	free(outs);
	free(lanes);
	tx_buf_free(&oks);
	tx_buf_free(&fails);
	if (rc != TX_OK)
		store_db_rollback(st, NULL);
	return rc;
}

/* ---- queries ---- */

/* Append " AND col IN (?,?,...)" for n values. */
static tx_err add_in(struct tx_buf *sql, const char *col, size_t n)
{
	tx_err rc = tx_buf_printf(sql, " AND %s IN (", col);

	for (size_t i = 0; rc == TX_OK && i < n; i++)
		rc = tx_buf_puts(sql, i ? ",?" : "?");
	return rc ? rc : tx_buf_puts(sql, ")");
}

/* The WHERE clause of q (after "WHERE coll = ?"), in bind order. */
static tx_err build_where(struct tx_buf *sql, const struct store_query *q,
			  int with_cursor)
{
	const struct store_versions *v = &q->versions;
	tx_err rc = TX_OK;

	if (with_cursor && q->has_cursor)
		rc = tx_buf_puts(sql, " AND date_added >= ? AND (date_added > ?"
				 " OR rowid > ?)");
	if (!rc && q->has_added_after)
		rc = tx_buf_puts(sql, " AND date_added > ?");
	if (!rc && q->n_ids)
		rc = add_in(sql, "id", q->n_ids);
	if (!rc && q->n_types)
		rc = add_in(sql, "type", q->n_types);
	if (!rc && q->n_spec_versions)
		rc = add_in(sql, "spec_version", q->n_spec_versions);
	if (!rc && !v->all) {
		int none = !v->first && !v->last && v->n_at == 0;
		rc = tx_buf_puts(sql, " AND (1 = 0");
		if (!rc && (v->last || none))
			rc = tx_buf_puts(sql, " OR is_last = 1");
		if (!rc && v->first)
			rc = tx_buf_puts(sql, " OR is_first = 1");
		if (!rc && v->n_at) {
			rc = tx_buf_puts(sql, " OR version_us IN (");
			for (size_t i = 0; !rc && i < v->n_at; i++)
				rc = tx_buf_puts(sql, i ? ",?" : "?");
			if (!rc)
				rc = tx_buf_puts(sql, ")");
		}
		if (!rc)
			rc = tx_buf_puts(sql, ")");
	}
	return rc;
}

static int bind_where(store_stmt *s, int i, const struct store_query *q,
		      int with_cursor)
{
	if (with_cursor && q->has_cursor) {
		store_db_bind_int64(s, i++, q->cursor.date_added);
		store_db_bind_int64(s, i++, q->cursor.date_added);
		store_db_bind_int64(s, i++, q->cursor.rowid);
	}
	if (q->has_added_after)
		store_db_bind_int64(s, i++, q->added_after);
	for (size_t k = 0; k < q->n_ids; k++)
		store_db_bind_text(s, i++, q->ids[k], -1, STORE_DB_STATIC);
	for (size_t k = 0; k < q->n_types; k++)
		store_db_bind_text(s, i++, q->types[k], -1, STORE_DB_STATIC);
	for (size_t k = 0; k < q->n_spec_versions; k++)
		store_db_bind_text(s, i++, q->spec_versions[k], -1, STORE_DB_STATIC);
	if (!q->versions.all)
		for (size_t k = 0; k < q->versions.n_at; k++)
			store_db_bind_int64(s, i++, q->versions.at[k]);
	return i;
}

void store_row_columns(store_stmt *s, struct store_row *row)
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
	row->restricted = store_db_column_int(s, 8);
}

tx_err store_query_objects(tx_store *st, const struct store_query *q,
			   store_row_fn fn, void *ctx, struct store_page *page,
			   struct tx_error *err)
{
	struct tx_buf sql;
	store_stmt *s = NULL;
	struct store_row row;
	tx_err rc;
	int r, i;

	memset(page, 0, sizeof(*page));
	if (q->limit < 1)
		return tx_error_set(err, TX_ERR_INVALID, "limit must be positive");
	tx_buf_init(&sql, 0);
	/* With ids, the (coll, id) index: without statistics SQLite would
	 * rather walk the whole collection in date_added order to save the
	 * sort of a handful of rows. */
	if ((rc = tx_buf_puts(&sql, "SELECT rowid, date_added, id, version,"
			      " spec_version, json, origin, via, restricted"
			      " FROM objects")) ||
	    (q->n_ids && (rc = tx_buf_puts(&sql, " INDEXED BY objects_version"))) ||
	    (rc = tx_buf_puts(&sql, " WHERE coll = ?")) ||
	    (rc = build_where(&sql, q, 1)) ||
	    (rc = tx_buf_puts(&sql, " ORDER BY date_added, rowid LIMIT ?"))) {
		tx_error_set(err, rc, "query: %s", tx_err_str(rc));
		goto out;
	}
	if ((rc = store_db_prepare(st, sql.data, &s, err)))
		goto out;
	store_db_bind_int64(s, 1, q->collection_pk);
	i = bind_where(s, 2, q, 1);
	store_db_bind_int64(s, i, q->limit + 1);
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		row.rowid = store_db_column_int64(s, 0);
		row.date_added = store_db_column_int64(s, 1);
		if ((int64_t)page->n == q->limit) {
			page->more = 1;
			break;
		}
		store_row_columns(s, &row);
		row.collection_pk = q->collection_pk;
		if (row.id == NULL || row.version == NULL || row.json == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (fn != NULL && (r = fn(ctx, &row)) != STORE_ROW_NEXT) {
			if (r == STORE_ROW_STOP) {
				page->stopped = 1;
				page->more = 0;
				r = STORE_DB_DONE;
				break;
			}
			rc = tx_error_set(err, TX_ERR_INTERNAL, "query stopped by a"
					  " failing row callback");
			goto out;
		}
		if (page->n == 0)
			page->first_added = row.date_added;
		page->last_added = row.date_added;
		page->next.date_added = row.date_added;
		page->next.rowid = row.rowid;
		page->n++;
	}
	if (r != STORE_DB_ROW && r != STORE_DB_DONE)
		rc = store_db_error(st, err, "query");
out:
	store_db_done(st, s);
	tx_buf_free(&sql);
	return rc;
}

tx_err store_query_every(tx_store *st, const struct store_query *q,
			 store_row_fn fn, void *ctx, struct tx_error *err)
{
	struct store_user all = { .admin = 1 };
	struct store_collection *cols = NULL;
	size_t n = 0;
	tx_err rc;

	/* One read transaction: every collection is seen at the same instant,
	 * so a caller that resumes after the newest date_added it saw cannot
	 * miss an object committed meanwhile in a collection read earlier. */
	int snapshot = store_db_autocommit(st) &&
		       store_db_begin_read(st, NULL) == TX_OK;

	if ((rc = store_collection_list(st, &all, &cols, &n)) != TX_OK) {
		if (snapshot)
			store_db_end_read(st);
		return tx_error_set(err, rc, "cannot list the collections");
	}
	for (size_t i = 0; i < n && rc == TX_OK; i++) {
		struct store_query cq = *q;
		struct store_page pg;
		cq.collection_pk = cols[i].pk;
		cq.limit = 1000;
		cq.has_cursor = 0;
		do {
			if ((rc = store_query_objects(st, &cq, fn, ctx, &pg, err)))
				break;
			cq.has_cursor = 1;
			cq.cursor = pg.next;
		} while (pg.more);
		if (rc == TX_OK && pg.stopped)
			break;
	}
	if (snapshot)
		store_db_end_read(st);
	free(cols);
	return rc;
}

static tx_err delete_locked(tx_store *st, const struct store_query *q,
			    const char *id, struct tx_error *err);

tx_err store_delete_object(tx_store *st, const struct store_query *q,
			   const char *id, struct tx_error *err)
{
	tx_err rc;

	store_db_write_lock();
	rc = delete_locked(st, q, id, err);
	store_db_write_unlock();
	return rc;
}

static tx_err delete_locked(tx_store *st, const struct store_query *q,
			    const char *id, struct tx_error *err)
{
	struct store_query dq = *q;
	struct tx_buf sql;
	store_stmt *s = NULL;
	const char *ids[1] = { id };
	int changes = 0;
	tx_err rc;

	/* Without a match[version], DELETE removes every version. */
	if (!dq.versions.first && !dq.versions.last && dq.versions.n_at == 0)
		dq.versions.all = 1;
	dq.ids = ids;
	dq.n_ids = 1;
	dq.has_added_after = 0;
	dq.n_types = 0;
	tx_buf_init(&sql, 0);
	if ((rc = tx_buf_puts(&sql, "DELETE FROM objects INDEXED BY"
			      " objects_version WHERE coll = ?")) ||
	    (rc = build_where(&sql, &dq, 0))) {
		tx_error_set(err, rc, "delete: %s", tx_err_str(rc));
		goto out;
	}
	if ((rc = store_db_begin(st, err)))
		goto out;
	if ((rc = store_db_prepare(st, sql.data, &s, err)))
		goto rollback;
	store_db_bind_int64(s, 1, dq.collection_pk);
	bind_where(s, 2, &dq, 0);
	if (store_db_step(s) != STORE_DB_DONE) {
		rc = store_db_error(st, err, "delete");
		goto rollback;
	}
	changes = store_db_changes(st);
	store_db_done(st, s);
	s = NULL;
	if (changes == 0) {
		rc = tx_error_set(err, TX_ERR_NOTFOUND, "no such object");
		goto rollback;
	}
	/* Mend the first/last marks of the versions that are left. */
	if ((rc = store_db_prepare(st, "UPDATE objects SET"
			     " is_first = CASE WHEN version_us = (SELECT min(version_us)"
			     "  FROM objects WHERE coll = ?1 AND id = ?2) THEN 1 ELSE 0 END,"
			     " is_last = CASE WHEN version_us = (SELECT max(version_us)"
			     "  FROM objects WHERE coll = ?1 AND id = ?2) THEN 1 ELSE 0 END"
			     " WHERE coll = ?1 AND id = ?2", &s, err)))
		goto rollback;
	store_db_bind_int64(s, 1, dq.collection_pk);
	store_db_bind_text(s, 2, id, -1, STORE_DB_STATIC);
	if (store_db_step(s) != STORE_DB_DONE) {
		rc = store_db_error(st, err, "delete");
		goto rollback;
	}
	store_db_done(st, s);
	s = NULL;
	/* The clock moves on a delete too: it is what watchers of the store
	 * (the alert stream, `match --follow`) poll for "anything changed". */
	int64_t last = 0, now = tx_time_now_us();
	if ((rc = clock_read(st, &last, err)) ||
	    (rc = clock_write(st, now > last ? now : last + 1, err)))
		goto rollback;
	rc = store_db_commit(st, err);
	if (rc == TX_OK)
		goto out;
rollback:
	store_db_rollback(st, NULL);
out:
	store_db_done(st, s);
	tx_buf_free(&sql);
	return rc;
}

tx_err store_count_objects(tx_store *st, int64_t collection_pk, int64_t *n)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, collection_pk ?
			     "SELECT count(*) FROM objects WHERE coll = ?" :
			     "SELECT count(*) FROM objects", &s, NULL)))
		return rc;
	if (collection_pk)
		store_db_bind_int64(s, 1, collection_pk);
	if (store_db_step(s) == STORE_DB_ROW)
		*n = store_db_column_int64(s, 0);
	else
		rc = TX_ERR_DB;
	store_db_done(st, s);
	return rc;
}

/* ---- status resources ---- */

void store_set_status_policy(tx_store *st, int64_t failures_max, int64_t ttl_s)
{
	if (failures_max >= 0)
		st->status_failures_max = failures_max;
	if (ttl_s >= 1 && ttl_s <= INT64_MAX / 1000000)
		st->status_ttl_us = ttl_s * 1000000;
}

int64_t store_status_failures_max(const tx_store *st)
{
	return st->status_failures_max;
}

/* The row of status id that u may see and that has not expired, in *s
 * (caller store_db_done()s it, also on TX_ERR_NOTFOUND). Columns: request_ts,
 * total, success, failure, successes, failures, unlisted. */
static tx_err status_row(tx_store *st, const struct store_user *u,
			 const char *id, store_stmt **s)
{
	tx_err rc;

	if ((rc = store_db_prepare(st, "SELECT request_ts, total, success, failure,"
			     " successes, failures, unlisted FROM status"
			     " WHERE id = ?1 AND (?2 <> 0 OR user_id = ?3)"
			     " AND expires > ?4", s, NULL)))
		return rc;
	store_db_bind_text(*s, 1, id, -1, STORE_DB_STATIC);
	store_db_bind_int(*s, 2, u->admin);
	store_db_bind_int64(*s, 3, u->id);
	store_db_bind_int64(*s, 4, tx_time_now_us());
	return store_db_step(*s) == STORE_DB_ROW ? TX_OK : TX_ERR_NOTFOUND;
}

tx_err store_status_get(tx_store *st, const struct store_user *u,
			const char *id, json_t **out)
{
	store_stmt *s = NULL;
	json_t *res = NULL, *ok = NULL, *bad = NULL;
	char ts[TX_TIME_BUF];
	tx_err rc;

	if ((rc = status_row(st, u, id, &s)) != TX_OK)
		goto out;
	tx_time_format(store_db_column_int64(s, 0), ts);
	ok = tx_json_load((const char *)store_db_column_text(s, 4),
			  (size_t)store_db_column_bytes(s, 4), 0, NULL);
	bad = tx_json_load((const char *)store_db_column_text(s, 5),
			   (size_t)store_db_column_bytes(s, 5), 0, NULL);
	res = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o?, s:I, s:o?, s:I, s:[]}",
			"id", id, "status", "complete", "request_timestamp", ts,
			"total_count", (json_int_t)store_db_column_int64(s, 1),
			"success_count", (json_int_t)store_db_column_int64(s, 2),
			"successes", ok,
			"failure_count", (json_int_t)store_db_column_int64(s, 3),
			"failures", bad, "pending_count", (json_int_t)0, "pendings");
	ok = bad = NULL; /* json_pack's o took them, also on failure */
	if (res == NULL) {
		rc = TX_ERR_NOMEM;
		goto out;
	}
	if (store_db_column_int64(s, 6) > 0 &&
	    json_object_set_new(res, "x_trilex_failures_unlisted",
				json_integer(store_db_column_int64(s, 6))) != 0) {
		json_decref(res);
		rc = TX_ERR_NOMEM;
		goto out;
	}
	*out = res;
out:
	store_db_done(st, s);
	return rc;
}

tx_err store_status_text(tx_store *st, const struct store_user *u,
			 const char *id, int successes, struct tx_buf *out)
{
	store_stmt *s = NULL;
	char ts[TX_TIME_BUF];
	tx_err rc;

	if ((rc = status_row(st, u, id, &s)) != TX_OK)
		goto out;
	tx_time_format(store_db_column_int64(s, 0), ts);
	/* the details are stored as the JSON lists they are */
	if ((rc = tx_buf_puts(out, "{\"id\":")) ||
	    (rc = tx_buf_json_string(out, id)) ||
	    (rc = tx_buf_printf(out, ",\"status\":\"complete\",\"request_timestamp\":"
				"\"%s\",\"total_count\":%lld,\"success_count\":%lld",
				ts, (long long)store_db_column_int64(s, 1),
				(long long)store_db_column_int64(s, 2))) ||
	    (successes &&
	     ((rc = tx_buf_puts(out, ",\"successes\":")) ||
	      (rc = tx_buf_append(out, store_db_column_text(s, 4),
				  (size_t)store_db_column_bytes(s, 4))))) ||
	    (rc = tx_buf_printf(out, ",\"failure_count\":%lld,\"failures\":",
				(long long)store_db_column_int64(s, 3))) ||
	    (rc = tx_buf_append(out, store_db_column_text(s, 5),
				(size_t)store_db_column_bytes(s, 5))) ||
	    (store_db_column_int64(s, 6) > 0 &&
	     (rc = tx_buf_printf(out, ",\"x_trilex_failures_unlisted\":%lld",
				 (long long)store_db_column_int64(s, 6)))) ||
	    (rc = tx_buf_puts(out, ",\"pending_count\":0,\"pendings\":[]}")))
		goto out;
out:
	store_db_done(st, s);
	return rc;
}

/* ---- next tokens: "<date_added hex>.<rowid hex>" ---- */

void store_cursor_encode(const struct store_cursor *c, char out[STORE_TOKEN_BUF])
{
	snprintf(out, STORE_TOKEN_BUF, "%" PRIx64 ".%" PRIx64,
		 (uint64_t)c->date_added, (uint64_t)c->rowid);
}

static int hex_field(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 15)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + (uint64_t)d;
	}
	*out = (int64_t)v;
	return 0;
}

tx_err store_cursor_decode(const char *token, struct store_cursor *c)
{
	const char *dot = token ? strchr(token, '.') : NULL;

	if (dot == NULL ||
	    hex_field(token, (size_t)(dot - token), &c->date_added) ||
	    hex_field(dot + 1, strlen(dot + 1), &c->rowid))
		return TX_ERR_INVALID;
	return TX_OK;
}

int store_object_held(tx_store *st, int64_t coll, const char *id,
		      int64_t version_us, const char *text, size_t len,
		      const char *via)
{
	store_stmt *s = NULL;
	int held = 0, r;

	if (store_db_prepare(st, "SELECT json FROM objects WHERE coll = ?1 AND"
			     " id = ?2 AND version_us = ?3 AND via = ?4", &s,
			     NULL) != TX_OK)
		return -1;
	store_db_bind_int64(s, 1, coll);
	store_db_bind_text(s, 2, id, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 3, version_us);
	store_db_bind_text(s, 4, via, -1, STORE_DB_STATIC);
	if ((r = store_db_step(s)) == STORE_DB_ROW)
		held = (size_t)store_db_column_bytes(s, 0) == len &&
		       memcmp(store_db_column_text(s, 0), text, len) == 0;
	else if (r != STORE_DB_DONE)
		held = -1;
	store_db_done(st, s);
	return held;
}
