/*
 * store/sessions.c: the console's sign-in sessions and per-user settings.
 *
 * A session row is keyed by the hash of its cookie (the cookie itself is
 * never stored), belongs to one user (and goes with the account), and
 * ends at `expires` or after `idle` without use, whichever comes first.
 * Expired rows are deleted by later sign-ins.
 */
#include <stdio.h>
#include <string.h>

#include "store/internal.h"

/* last_seen is written at most this often (us): a page view is a read. */
#define SESSION_TOUCH_US (60LL * 1000000)

tx_err store_session_add(tx_store *st, const char *hash, int64_t user_id,
			 int64_t now, int64_t expires, struct tx_error *err)
{
	store_stmt *s = NULL, *purge = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "DELETE FROM sessions WHERE expires <= ?",
			     &purge, err)) ||
	    (rc = store_db_prepare(st, "INSERT INTO sessions(hash, user_id, created,"
			     " expires, last_seen) VALUES (?, ?, ?, ?, ?)", &s,
			     err)))
		goto out;
	store_db_bind_int64(purge, 1, now);
	store_db_bind_text(s, 1, hash, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 2, user_id);
	store_db_bind_int64(s, 3, now);
	store_db_bind_int64(s, 4, expires);
	store_db_bind_int64(s, 5, now);
	store_db_write_lock();
	if (store_db_step(purge) != STORE_DB_DONE || store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "add session");
	store_db_write_unlock();
out:
	store_db_done(st, purge);
	store_db_done(st, s);
	return rc;
}

tx_err store_session_get(tx_store *st, const char *hash, int64_t now,
			 int64_t idle, struct store_session *out)
{
	store_stmt *s = NULL, *touch = NULL;
	tx_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_db_prepare(st, "SELECT u.id, u.name, u.admin, COALESCE(u.peer,"
			     " ''), u.locked, s.created, s.expires, s.last_seen,"
			     " COALESCE(c.lang, ''), COALESCE(c.last_visit, 0)"
			     " FROM sessions s JOIN users u ON u.id = s.user_id"
			     " LEFT JOIN console_users c ON c.user_id = u.id"
			     " WHERE s.hash = ? AND s.expires > ? AND"
			     " s.last_seen + ? > ?", &s, NULL)))
		return rc;
	store_db_bind_text(s, 1, hash, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 2, now);
	store_db_bind_int64(s, 3, idle);
	store_db_bind_int64(s, 4, now);
	int r = store_db_step(s);
	if (r != STORE_DB_ROW) {
		/* a failed step is not "no session": the console would sign
		 * its user out for a moment's lack of memory */
		rc = r == STORE_DB_DONE ? TX_ERR_NOTFOUND : TX_ERR_DB;
		goto out;
	}
	out->user.id = store_db_column_int64(s, 0);
	store_db_column_copy(s, 1, out->user.name, sizeof(out->user.name));
	out->user.admin = store_db_column_int(s, 2);
	store_db_column_copy(s, 3, out->user.peer, sizeof(out->user.peer));
	out->user.locked = store_db_column_int(s, 4);
	out->created = store_db_column_int64(s, 5);
	out->expires = store_db_column_int64(s, 6);
	out->last_seen = store_db_column_int64(s, 7);
	store_db_column_copy(s, 8, out->lang, sizeof(out->lang));
	out->last_visit = store_db_column_int64(s, 9);
	/* The account as it is now (its role, whether disabled): a change
	 * takes effect at the next request of an open session. */
	if ((rc = store_user_get_id(st, out->user.id, &out->user, NULL, 0)) !=
	    TX_OK)
		goto out; /* TX_ERR_NOTFOUND: the account is gone */
	/* A locked, disabled or partner's account has no session, even an
	 * old one. */
	if (out->user.locked || out->user.disabled || out->user.peer[0] != '\0') {
		rc = TX_ERR_NOTFOUND;
		goto out;
	}
	if (now - out->last_seen >= SESSION_TOUCH_US &&
	    store_db_prepare(st, "UPDATE sessions SET last_seen = ? WHERE hash = ?",
		       &touch, NULL) == TX_OK) {
		store_db_bind_int64(touch, 1, now);
		store_db_bind_text(touch, 2, hash, -1, STORE_DB_STATIC);
		store_db_write_lock();
		store_db_step(touch); /* best effort: the session stays valid */
		store_db_write_unlock();
	}
out:
	store_db_done(st, s);
	store_db_done(st, touch);
	return rc;
}

tx_err store_session_delete(tx_store *st, const char *hash,
			    struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "DELETE FROM sessions WHERE hash = ?", &s, err)))
		return rc;
	store_db_bind_text(s, 1, hash, -1, STORE_DB_STATIC);
	store_db_write_lock();
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "delete session");
	store_db_write_unlock();
	store_db_done(st, s);
	return rc;
}

tx_err store_console_set_lang(tx_store *st, int64_t user_id, const char *lang,
			      struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "INSERT INTO console_users(user_id, lang)"
			     " VALUES (?1, ?2) ON CONFLICT(user_id) DO UPDATE"
			     " SET lang = ?2", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, user_id);
	store_db_bind_text(s, 2, lang, -1, STORE_DB_STATIC);
	store_db_write_lock();
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "console settings");
	store_db_write_unlock();
	store_db_done(st, s);
	return rc;
}

tx_err store_console_visit(tx_store *st, int64_t user_id, int64_t now,
			   int64_t *previous, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	/* last_visit is where the visit before this one began. The old
	 * row's column is named with its table: a bare this_visit is
	 * ambiguous on PostgreSQL (it could be excluded's), which failed
	 * every console sign-in there. */
	*previous = 0;
	if ((rc = store_db_prepare(st, "INSERT INTO console_users(user_id, last_visit,"
			     " this_visit) VALUES (?1, 0, ?2) ON CONFLICT(user_id)"
			     " DO UPDATE SET last_visit = console_users.this_visit,"
			     " this_visit = ?2"
			     " RETURNING last_visit", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, user_id);
	store_db_bind_int64(s, 2, now);
	store_db_write_lock();
	int r = store_db_step(s);
	if (r == STORE_DB_ROW)
		*previous = store_db_column_int64(s, 0);
	if (r == STORE_DB_ROW)
		r = store_db_step(s);
	if (r != STORE_DB_DONE)
		rc = store_db_error(st, err, "console visit");
	store_db_write_unlock();
	store_db_done(st, s);
	return rc;
}
