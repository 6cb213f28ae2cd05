/*
 * store/authfail.c: failed passwords, counted in the store.
 *
 * The guards against guessing (taxii/auth.c for HTTP Basic, console/
 * session.c for the console's sign-in) count failed passwords per user
 * name and per client address. The counts are rows of auth_failures
 * (migration 26), so that every serve process of a node (several behind a
 * load balancer, on one PostgreSQL database or one SQLite folder) counts
 * the same guesses, and a restart forgets none.
 *
 * Invariants:
 *  - a row is (scope, hash): the guard's scope ("taxii.name",
 *    "taxii.addr", "console.name") and the BLAKE2b of scope, a NUL and
 *    the name or address bytes; no name or address is stored as such;
 *  - a failure is one statement (an upsert that returns the new count),
 *    so two processes failing at once both count, and exactly one of
 *    them sees any given count (the one that locks at auth_lockout_after);
 *  - a failure older than forget_us counts as none, unless its row had
 *    reached keep_from (a lockout's count, which does not fade);
 *  - bounded: whenever a failure makes a new row, the scope's faded rows
 *    are deleted and, past STORE_AUTH_FAIL_ROWS rows, the least recently
 *    failed ones, so a flood of names or addresses keeps at most
 *    STORE_AUTH_FAIL_ROWS rows a scope (plus one per writer at that
 *    moment).
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "core/core.h"
#include "store/internal.h"

/* The hex BLAKE2b of scope, NUL and data. */
static void fail_hash(const char *scope, const void *data, size_t len,
		      char out[65])
{
	crypto_generichash_state g;
	unsigned char h[32];

	crypto_generichash_init(&g, NULL, 0, sizeof(h));
	crypto_generichash_update(&g, (const unsigned char *)scope,
				  strlen(scope) + 1);
	crypto_generichash_update(&g, data, len);
	crypto_generichash_final(&g, h, sizeof(h));
	tx_hex(h, sizeof(h), out);
	sodium_memzero(h, sizeof(h));
	sodium_memzero(&g, sizeof(g));
}

tx_err store_auth_fail_get(tx_store *st, const char *scope, const void *data,
			   size_t len, struct store_auth_fail *out,
			   struct tx_error *err)
{
	store_stmt *s = NULL;
	char hash[65];
	tx_err rc;
	int r;

	memset(out, 0, sizeof(*out));
	fail_hash(scope, data, len, hash);
	if ((rc = store_db_prepare(st, "SELECT failures, last_us FROM auth_failures"
				   " WHERE scope = ?1 AND hash = ?2", &s, err)))
		return rc;
	store_db_bind_text(s, 1, scope, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, hash, -1, STORE_DB_STATIC);
	if ((r = store_db_step(s)) == STORE_DB_ROW) {
		out->failures = store_db_column_int64(s, 0);
		out->last_us = store_db_column_int64(s, 1);
	} else if (r != STORE_DB_DONE) {
		rc = store_db_error(st, err, "read failed passwords");
	}
	store_db_done(st, s);
	return rc;
}

/* The scope's faded rows, and its least recently failed past the cap:
 * two statements, so that SQLite walks the age index for each (one with
 * an OR scanned the whole scope: 12.7 M instructions a prune at the cap,
 * 4.1 M now, callgrind, sqlite3 3.40). */
static tx_err fail_prune(tx_store *st, const char *scope, int64_t faded_before,
			 int64_t keep_from, struct tx_error *err)
{
	store_stmt *faded = NULL, *over = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "DELETE FROM auth_failures WHERE scope = ?1"
				   " AND last_us < ?2 AND failures < ?3", &faded,
				   err)) ||
	    (rc = store_db_prepare(st, "DELETE FROM auth_failures WHERE scope = ?1"
				   " AND last_us <= (SELECT last_us FROM auth_failures"
				   " WHERE scope = ?1 ORDER BY last_us DESC"
				   " LIMIT 1 OFFSET ?2)", &over, err)))
		goto out;
	store_db_bind_text(faded, 1, scope, -1, STORE_DB_STATIC);
	store_db_bind_int64(faded, 2, faded_before);
	store_db_bind_int64(faded, 3, keep_from);
	store_db_bind_text(over, 1, scope, -1, STORE_DB_STATIC);
	store_db_bind_int64(over, 2, STORE_AUTH_FAIL_ROWS);
	store_db_write_lock();
	if (store_db_step(faded) != STORE_DB_DONE || store_db_step(over) != STORE_DB_DONE)
		rc = store_db_error(st, err, "prune failed passwords");
	store_db_write_unlock();
out:
	store_db_done(st, faded);
	store_db_done(st, over);
	return rc;
}

tx_err store_auth_fail_add(tx_store *st, const char *scope, const void *data,
			   size_t len, int64_t now, int64_t forget_us,
			   int64_t keep_from, int64_t *failures,
			   struct tx_error *err)
{
	store_stmt *s = NULL;
	char hash[65];
	tx_err rc;
	int r;

	*failures = 0;
	if (keep_from <= 0)
		keep_from = INT64_MAX;
	fail_hash(scope, data, len, hash);
	if ((rc = store_db_prepare(st, "INSERT INTO auth_failures(scope, hash,"
				   " failures, last_us) VALUES (?1, ?2, 1, ?3)"
				   " ON CONFLICT(scope, hash) DO UPDATE SET failures ="
				   " CASE WHEN auth_failures.last_us < ?4 AND"
				   " auth_failures.failures < ?5 THEN 1 ELSE"
				   " auth_failures.failures + 1 END, last_us = ?3"
				   " RETURNING failures", &s, err)))
		return rc;
	store_db_bind_text(s, 1, scope, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, hash, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 3, now);
	store_db_bind_int64(s, 4, now - forget_us);
	store_db_bind_int64(s, 5, keep_from);
	store_db_write_lock();
	r = store_db_step(s);
	if (r == STORE_DB_ROW) {
		*failures = store_db_column_int64(s, 0);
		r = store_db_step(s);
	}
	if (r != STORE_DB_DONE)
		rc = store_db_error(st, err, "count a failed password");
	store_db_write_unlock();
	store_db_done(st, s);
	/* a new row (or one begun afresh): keep the table bounded */
	if (rc == TX_OK && *failures == 1)
		rc = fail_prune(st, scope, now - forget_us, keep_from, err);
	return rc;
}

tx_err store_auth_fail_clear(tx_store *st, const char *scope, const void *data,
			     size_t len, struct tx_error *err)
{
	store_stmt *s = NULL;
	char hash[65];
	tx_err rc;

	fail_hash(scope, data, len, hash);
	if ((rc = store_db_prepare(st, "DELETE FROM auth_failures WHERE scope = ?1"
				   " AND hash = ?2", &s, err)))
		return rc;
	store_db_bind_text(s, 1, scope, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, hash, -1, STORE_DB_STATIC);
	store_db_write_lock();
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "forget failed passwords");
	store_db_write_unlock();
	store_db_done(st, s);
	return rc;
}
