/*
 * store/leases.c: one holder at a time for a named task, across every
 * process that shares the database.
 *
 * A lease is a row (name, holder, expires): a holder has it until
 * `expires` (microseconds, wall clock) and keeps it by claiming it again
 * before then. The claim is one statement on both backends, an upsert
 * whose update is conditional (the row is free, expired, already the
 * claimer's, or held by a holder the caller knows to be dead): the row
 * lock the statement takes orders claims that race, and the loser sees
 * the winner's row (PostgreSQL re-reads it under READ COMMITTED; SQLite
 * has one writer). The machines that share a database must keep their
 * clocks within a small part of a lease time (NTP).
 */
#include <stdio.h>
#include <string.h>

#include "store/internal.h"

tx_err store_lease_claim(tx_store *st, const char *name, const char *holder,
			 const char *steal_from, int64_t now_us, int64_t ttl_us,
			 int *held, char cur[STORE_LEASE_HOLDER_MAX],
			 int64_t *expires, struct tx_error *err)
{
	store_stmt *s = NULL, *q = NULL;
	tx_err rc;

	*held = 0;
	if (cur)
		cur[0] = '\0';
	if (expires)
		*expires = 0;
	if (strlen(holder) >= STORE_LEASE_HOLDER_MAX || holder[0] == '\0')
		return tx_error_set(err, TX_ERR_INVALID, "lease holder: 1 to %d"
				    " characters", STORE_LEASE_HOLDER_MAX - 1);
	if ((rc = store_db_prepare(st, "INSERT INTO leases(name, holder, expires)"
				   " VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE"
				   " SET holder = excluded.holder,"
				   " expires = excluded.expires"
				   " WHERE leases.holder = excluded.holder"
				   " OR leases.expires <= ?4 OR leases.holder = ?5",
				   &s, err)) ||
	    (rc = store_db_prepare(st, "SELECT holder, expires FROM leases"
				   " WHERE name = ?", &q, err)))
		goto out;
	store_db_bind_text(s, 1, name, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, holder, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 3, now_us + ttl_us);
	store_db_bind_int64(s, 4, now_us);
	/* '' is no holder's name: nobody to take over from */
	store_db_bind_text(s, 5, steal_from ? steal_from : "", -1, STORE_DB_STATIC);
	store_db_write_lock();
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "claim lease");
	else
		*held = store_db_changes(st) == 1;
	store_db_write_unlock();
	if (rc != TX_OK)
		goto out;
	if (*held) {
		if (cur)
			snprintf(cur, STORE_LEASE_HOLDER_MAX, "%s", holder);
		if (expires)
			*expires = now_us + ttl_us;
		goto out;
	}
	store_db_bind_text(q, 1, name, -1, STORE_DB_STATIC);
	switch (store_db_step(q)) {
	case STORE_DB_ROW:
		if (cur)
			store_db_column_copy(q, 0, cur, STORE_LEASE_HOLDER_MAX);
		if (expires)
			*expires = store_db_column_int64(q, 1);
		break;
	case STORE_DB_DONE: /* released meanwhile: free at the next claim */
		break;
	default:
		rc = store_db_error(st, err, "read lease");
	}
out:
	store_db_done(st, s);
	store_db_done(st, q);
	return rc;
}

tx_err store_lease_renew(tx_store *st, const char *holder,
			 const char (*names)[TX_PARTY_MAX], size_t n,
			 int64_t now_us, int64_t ttl_us, int *held,
			 struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	for (size_t i = 0; i < n; i++)
		held[i] = 0;
	if (n == 0)
		return TX_OK;
	if ((rc = store_db_prepare(st, "UPDATE leases SET expires = ?3"
				   " WHERE name = ?1 AND holder = ?2", &s, err)))
		return rc;
	store_db_write_lock();
	if ((rc = store_db_begin(st, err)) != TX_OK)
		goto out;
	for (size_t i = 0; i < n && rc == TX_OK; i++) {
		store_db_bind_text(s, 1, names[i], -1, STORE_DB_STATIC);
		store_db_bind_text(s, 2, holder, -1, STORE_DB_STATIC);
		store_db_bind_int64(s, 3, now_us + ttl_us);
		if (store_db_step(s) != STORE_DB_DONE)
			rc = store_db_error(st, err, "renew lease");
		else
			held[i] = store_db_changes(st) == 1;
		store_db_reset(s);
	}
	if (rc == TX_OK)
		rc = store_db_commit(st, err);
	if (rc != TX_OK) {
		store_db_rollback(st, NULL);
		for (size_t i = 0; i < n; i++)
			held[i] = 0;
	}
out:
	store_db_write_unlock();
	store_db_done(st, s);
	return rc;
}

tx_err store_lease_get(tx_store *st, const char *name,
		       char holder[STORE_LEASE_HOLDER_MAX], int64_t *expires)
{
	store_stmt *q = NULL;
	tx_err rc;

	holder[0] = '\0';
	*expires = 0;
	if ((rc = store_db_prepare(st, "SELECT holder, expires FROM leases"
				   " WHERE name = ?", &q, NULL)))
		return rc;
	store_db_bind_text(q, 1, name, -1, STORE_DB_STATIC);
	switch (store_db_step(q)) {
	case STORE_DB_ROW:
		store_db_column_copy(q, 0, holder, STORE_LEASE_HOLDER_MAX);
		*expires = store_db_column_int64(q, 1);
		break;
	case STORE_DB_DONE:
		rc = TX_ERR_NOTFOUND;
		break;
	default:
		rc = store_db_error(st, NULL, "read lease");
	}
	store_db_done(st, q);
	return rc;
}

tx_err store_lease_release(tx_store *st, const char *name, const char *holder,
			   struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	/* name NULL: every lease of holder */
	if ((rc = store_db_prepare(st, "DELETE FROM leases WHERE holder = ?1"
				   " AND (?2 IS NULL OR name = ?2)", &s, err)))
		return rc;
	store_db_bind_text(s, 1, holder, -1, STORE_DB_STATIC);
	if (name)
		store_db_bind_text(s, 2, name, -1, STORE_DB_STATIC);
	else
		store_db_bind_null(s, 2);
	store_db_write_lock();
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "release lease");
	store_db_write_unlock();
	store_db_done(st, s);
	return rc;
}
