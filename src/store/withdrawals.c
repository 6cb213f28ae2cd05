/*
 * store/withdrawals.c: what was taken back, and by whom.
 *
 * A withdrawal is a row (object id, party, reason, notice) written in the
 * same transaction as the object version that makes it: a version with
 * "revoked": true withdraws its own id for its origin; an
 * STORE_WITHDRAWAL_TYPE notice withdraws each of its object_refs for the
 * party that signed it. Party '' is this node. A row only counts while
 * some stored version of the object has that party as its origin or as
 * the partner it came through, and the object is withdrawn only when
 * every copy of it here (its last version in each collection) is
 * withdrawn by the party it came from or through (store_withdrawal_get;
 * a copy another party still stands by keeps it in use): so a notice that
 * arrives before the object it names (withdrawals travel ahead of bulk)
 * still applies, and one from a party that never spoke for the object
 * withdraws nothing, whatever the order. Federation refuses such notices
 * on arrival (store_object_spoken); this is the second line.
 */
#include <stdio.h>
#include <string.h>

#include "store/internal.h"

/* The reason given, cut to what is kept. */
static const char *reason_of(const json_t *obj, const char *key)
{
	const char *r = json_string_value(json_object_get(obj, key));

	return r ? r : "";
}

static tx_err put_row(tx_store *st, const char *object_id, const char *party,
		      const char *reason, const char *notice, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;
	int r;

	if ((rc = store_db_prepare(st, "INSERT INTO withdrawals"
				   " (object_id, party, reason, notice, at)"
				   " VALUES (?, ?, substr(?, 1, ?), ?, ?)"
				   " ON CONFLICT (object_id, party) DO UPDATE SET"
				   " reason = excluded.reason, notice = excluded.notice,"
				   " at = excluded.at", &s, err)))
		return rc;
	store_db_bind_text(s, 1, object_id, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, party, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 3, reason, -1, STORE_DB_STATIC);
	store_db_bind_int(s, 4, STORE_WITHDRAWAL_REASON_MAX - 1);
	store_db_bind_text(s, 5, notice, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 6, tx_time_now_us());
	r = store_db_step(s);
	if (r != STORE_DB_DONE)
		rc = store_db_error(st, err, "record withdrawal");
	store_db_done(st, s);
	return rc;
}

tx_err store_withdrawal_note(tx_store *st, const json_t *obj, const char *origin,
			     struct tx_error *err)
{
	const char *type = json_string_value(json_object_get(obj, "type"));
	const char *id = json_string_value(json_object_get(obj, "id"));
	const char *party = origin ? origin : "";
	const json_t *refs, *ref;
	size_t i;
	tx_err rc = TX_OK;

	if (type == NULL || id == NULL)
		return TX_OK;
	if (json_is_true(json_object_get(obj, "revoked")))
		return put_row(st, id, party, reason_of(obj, STORE_WITHDRAWAL_REASON),
			       id, err);
	if (strcmp(type, STORE_WITHDRAWAL_TYPE) != 0)
		return TX_OK;
	refs = json_object_get(obj, "object_refs");
	json_array_foreach(refs, i, ref) {
		if (i == STORE_WITHDRAWAL_REFS_MAX)
			break;
		if (json_is_string(ref) &&
		    (rc = put_row(st, json_string_value(ref), party,
				  reason_of(obj, "reason"), id, err)) != TX_OK)
			break;
	}
	return rc;
}

tx_err store_withdrawal_get(tx_store *st, const char *id,
			    struct store_withdrawal *w)
{
	store_stmt *s = NULL;
	tx_err rc;
	int r;

	/* withdrawn by a party that spoke for a copy, and no copy left that
	 * a party still speaks for (a copy an origin still stands by is not
	 * withdrawn by another's notice) */
	if ((rc = store_db_prepare(st, "SELECT w.party, w.reason, w.notice, w.at"
				   " FROM withdrawals w WHERE w.object_id = ?1 AND"
				   " EXISTS (SELECT 1 FROM objects o WHERE o.id = ?1"
				   " AND (coalesce(o.origin, '') = w.party OR"
				   " o.via = w.party)) AND NOT EXISTS (SELECT 1 FROM"
				   " objects o WHERE o.id = ?1 AND o.is_last = 1 AND NOT"
				   " EXISTS (SELECT 1 FROM withdrawals x WHERE"
				   " x.object_id = ?1 AND (x.party = coalesce(o.origin,"
				   " '') OR x.party = o.via))) ORDER BY w.at LIMIT 1",
				   &s, NULL)))
		return rc;
	store_db_bind_text(s, 1, id, -1, STORE_DB_STATIC);
	r = store_db_step(s);
	if (r == STORE_DB_ROW) {
		if (w != NULL) {
			store_db_column_copy(s, 0, w->party, sizeof(w->party));
			store_db_column_copy(s, 1, w->reason, sizeof(w->reason));
			store_db_column_copy(s, 2, w->notice, sizeof(w->notice));
			w->at = store_db_column_int64(s, 3);
		}
	} else {
		rc = r == STORE_DB_DONE ? TX_ERR_NOTFOUND : TX_ERR_DB;
	}
	store_db_done(st, s);
	return rc;
}

tx_err store_object_spoken(tx_store *st, const char *id, const char *party,
			   int or_via, int64_t *n_versions, int64_t *n_by)
{
	store_stmt *s = NULL;
	tx_err rc;

	*n_versions = *n_by = 0;
	if ((rc = store_db_prepare(st, "SELECT count(*), coalesce(sum(CASE WHEN coalesce(origin,"
				   " '') = ?2 OR (?3 <> 0 AND via IS NOT NULL AND via = ?2)"
				   " THEN 1 ELSE 0 END), 0)"
				   " FROM objects WHERE id = ?1", &s, NULL)))
		return rc;
	store_db_bind_text(s, 1, id, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, party ? party : "", -1, STORE_DB_STATIC);
	store_db_bind_int(s, 3, or_via);
	if (store_db_step(s) == STORE_DB_ROW) {
		*n_versions = store_db_column_int64(s, 0);
		*n_by = store_db_column_int64(s, 1);
	} else {
		rc = TX_ERR_DB;
	}
	store_db_done(st, s);
	return rc;
}
