/*
 * store/replica.c: reads from a streaming replica of the PostgreSQL store,
 * with read-your-writes (issue 20 item 3; docs/store-postgres.md).
 *
 * Design: a writer's mark is a count in write_marks, bumped inside each of
 * its write transactions (store_replica_mark, called by store_db_exec
 * before the COMMIT of a BEGIN IMMEDIATE). The mark commits with the data,
 * so a replica whose row for the writer holds the primary's count has
 * replayed the writer's last commit, and everything it wrote before: no
 * clock, no LSN arithmetic, and it holds across any number of serve
 * processes, since the count is in the database. store_replica_check asks
 * the primary (its WAL insert position and the reader's count) and the
 * replica (standby or not, streaming or not, its replay position and
 * replay age, and its copy of the count), one statement each.
 */
#include <stdio.h>
#include <string.h>

#include "store/internal.h"

#define MARK_SQL "INSERT INTO write_marks(principal, n) VALUES (?1, 1)" \
	" ON CONFLICT(principal) DO UPDATE SET n = write_marks.n + 1"
#define PRIMARY_SQL "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint," \
	" coalesce((SELECT n FROM write_marks WHERE principal = ?1), 0)"
#define REPLICA_SQL "SELECT pg_is_in_recovery()," \
	" coalesce((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, -1)," \
	" coalesce((extract(epoch FROM clock_timestamp() -" \
	" pg_last_xact_replay_timestamp()) * 1000)::bigint, -1)," \
	" (SELECT count(*) FROM pg_stat_wal_receiver)," \
	" coalesce((SELECT n FROM write_marks WHERE principal = ?1), 0)"

void store_set_writer(tx_store *st, const char *principal)
{
	if (st != NULL)
		snprintf(st->writer, sizeof(st->writer), "%s",
			 principal ? principal : "");
}

tx_err store_replica_mark(tx_store *st, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if (!store_replica_configured() || st->writer[0] == '\0' || st->replica)
		return TX_OK;
	if ((rc = store_db_prepare(st, MARK_SQL, &s, err)) != TX_OK)
		return rc;
	store_db_bind_text(s, 1, st->writer, -1, STORE_DB_STATIC);
	rc = store_db_step(s) == STORE_DB_DONE ? TX_OK :
	     store_db_error(st, err, "write mark");
	store_db_done(st, s);
	return rc;
}

const char *store_replica_verdict_name(enum store_replica_verdict v)
{
	static const char *const names[STORE_REPLICA_N] = {
		"replica", "own_writes", "lagging", "down",
	};

	return v < STORE_REPLICA_N ? names[v] : "down";
}

/* One row of sql (principal as ?1) into out[0..n-1]; 0, or -1 with why. */
static int row_of(tx_store *st, const char *sql, const char *principal,
		  int64_t *out, int n, const char *who, char *why, size_t why_n)
{
	struct tx_error err = { 0 };
	store_stmt *s = NULL;
	int ok;

	if (store_db_prepare(st, sql, &s, &err) != TX_OK) {
		snprintf(why, why_n, "%s: %s", who, err.msg);
		return -1;
	}
	store_db_bind_text(s, 1, principal, -1, STORE_DB_STATIC);
	ok = store_db_step(s) == STORE_DB_ROW;
	for (int i = 0; ok && i < n; i++)
		out[i] = store_db_column_int64(s, i);
	if (!ok)
		snprintf(why, why_n, "%s: %s", who, store_db_errmsg(st));
	store_db_done(st, s);
	return ok ? 0 : -1;
}

enum store_replica_verdict store_replica_check(tx_store *primary,
					       tx_store *replica,
					       const char *principal,
					       char *why, size_t n)
{
	int64_t p[2], r[5];  /* p: lsn, mark; r: standby, replay lsn, age ms,
	                        receivers, mark */
	int64_t max_ms = store_read_max_lag_ms();

	why[0] = '\0';
	if (principal == NULL)
		principal = "";
	if (row_of(primary, PRIMARY_SQL, principal, p, 2, "the primary", why, n))
		return STORE_REPLICA_DOWN;
	if (row_of(replica, REPLICA_SQL, principal, r, 5, "the replica", why, n))
		return STORE_REPLICA_DOWN;
	if (!r[0]) {
		snprintf(why, n, "the replica is not a standby (promoted?)");
		return STORE_REPLICA_DOWN;
	}
	if (r[3] == 0) {
		snprintf(why, n, "the replica is not streaming from the primary");
		return STORE_REPLICA_DOWN;
	}
	if (r[4] < p[1]) {
		snprintf(why, n, "the replica lacks %s's last write (mark %lld of"
			 " %lld)", principal, (long long)r[4], (long long)p[1]);
		return STORE_REPLICA_OWN_WRITES;
	}
	if (r[1] >= p[0])
		return STORE_REPLICA_OK; /* level with the primary's WAL */
	if (r[2] < 0 || r[2] > max_ms) {
		snprintf(why, n, "the replica is %lld bytes of WAL behind, its"
			 " last commit replayed %lld ms ago (read_max_lag_ms %lld)",
			 (long long)(p[0] - r[1]), (long long)r[2],
			 (long long)max_ms);
		return STORE_REPLICA_LAGGING;
	}
	return STORE_REPLICA_OK;
}
