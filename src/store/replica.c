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
 *
 * How far behind: a replica not level with the primary's WAL holds every
 * commit up to its last replayed one (so it is at most that commit's age
 * behind) and everything the primary had written when an earlier check
 * of this process read an LSN it has replayed since (so at most that
 * check's age behind). It serves when either bound is within
 * read_max_lag_ms. The second is what keeps a replica just back from an
 * idle spell (its last commit long ago) from counting as lagging while it
 * replays the first new write, and one that replays a long transaction's
 * WAL as it comes.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* The primary's WAL insert positions read by this process's checks, with
 * when (monotonic us, taken before the read): a ring spanning about twice
 * read_max_lag_ms. */
#define LSN_SAMPLES 64

static struct {
	pthread_mutex_t mu;
	int64_t at[LSN_SAMPLES], lsn[LSN_SAMPLES];
	int n, next;
} seen = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void lsn_seen(int64_t at, int64_t lsn, int64_t max_ms)
{
	int64_t every = max_ms * 1000 / (LSN_SAMPLES / 2);

	pthread_mutex_lock(&seen.mu);
	int last = (seen.next + LSN_SAMPLES - 1) % LSN_SAMPLES;
	if (seen.n == 0 || at - seen.at[last] >= every) {
		seen.at[seen.next] = at;
		seen.lsn[seen.next] = lsn;
		seen.next = (seen.next + 1) % LSN_SAMPLES;
		if (seen.n < LSN_SAMPLES)
			seen.n++;
	}
	pthread_mutex_unlock(&seen.mu);
}

/* How long ago (us) the primary had written no more than lsn, as far as
 * the samples tell; -1 when none tells. */
static int64_t lsn_age(int64_t now, int64_t lsn)
{
	int64_t best = -1;

	pthread_mutex_lock(&seen.mu);
	for (int i = 0; i < seen.n; i++)
		if (seen.lsn[i] <= lsn && seen.at[i] > best)
			best = seen.at[i];
	pthread_mutex_unlock(&seen.mu);
	return best < 0 ? -1 : now - best;
}

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
	int64_t max_ms = store_read_max_lag_ms(), asked = mono_us(), behind_us;

	why[0] = '\0';
	if (principal == NULL)
		principal = "";
	if (row_of(primary, PRIMARY_SQL, principal, p, 2, "the primary", why, n))
		return STORE_REPLICA_DOWN;
	lsn_seen(asked, p[0], max_ms);
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
	behind_us = lsn_age(mono_us(), r[1]);
	if (max_ms > 0 && behind_us >= 0 && behind_us <= max_ms * 1000)
		return STORE_REPLICA_OK; /* holds what the primary had then */
	if (r[2] < 0 || r[2] > max_ms) {
		snprintf(why, n, "the replica is %lld bytes of WAL behind, its"
			 " last commit replayed %lld ms ago, level with the primary"
			 " %lld ms ago or longer (read_max_lag_ms %lld)",
			 (long long)(p[0] - r[1]), (long long)r[2],
			 (long long)(behind_us < 0 ? -1 : behind_us / 1000),
			 (long long)max_ms);
		return STORE_REPLICA_LAGGING;
	}
	return STORE_REPLICA_OK;
}
