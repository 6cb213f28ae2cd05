/*
 * store/audit.c: the audit trail, an append-only hash chain.
 *
 * Each entry (seq, time, actor, address, action, what, detail) holds the
 * BLAKE2b-256 hash of the entry before it (prev) and its own hash over
 * prev and its fields, each length-prefixed: changing or deleting any
 * entry breaks the chain from there on (store_audit_verify finds where).
 * Entries are appended in their own write transaction, the previous hash
 * read inside it, so writers in any process keep one chain. Triggers
 * refuse UPDATE and DELETE of the table (migration 8), so no code path of
 * trilex can rewrite it; someone with the database file can, and then
 * the chain, or the heads partners hold (the node's signed chain heads,
 * see docs/audit.md), tell.
 *
 * Fields are capped (the STORE_AUDIT_* sizes) and cut at a UTF-8
 * boundary; they are stored as given and escaped where they are shown.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#define HASH_BYTES 32
static const char genesis[2 * HASH_BYTES + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* Copy s into out (size n), cut at a UTF-8 boundary if too long. */
static void cap_copy(char *out, size_t n, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len >= n) {
		len = n - 1;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	if (len > 0)
		memcpy(out, s, len);
	out[len] = '\0';
}

static unsigned char *put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

static unsigned char *put_text(unsigned char *p, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	p = put_u64(p, n);
	memcpy(p, s, n);
	return p + n;
}

/*
 * The hash of entry e, whose predecessor's hash is prev (binary), into
 * out (binary). The message is laid out in one buffer and hashed in one
 * call: the same bytes as the format of docs/audit.md, for a third of the
 * instructions of an update per field (and no hex decoding of prev: the
 * writer and verify have it from the entry before).
 */
static void entry_hash(const struct store_audit_entry *e,
		       const unsigned char prev[HASH_BYTES],
		       unsigned char out[HASH_BYTES])
{
	static const char domain[] = "trilex audit v1";
	unsigned char msg[sizeof(domain) - 1 + HASH_BYTES + 7 * 8 +
			  sizeof(e->actor) + sizeof(e->address) + sizeof(e->action) +
			  sizeof(e->what) + sizeof(e->detail)];
	unsigned char *p = msg;

	memcpy(p, domain, sizeof(domain) - 1);
	p += sizeof(domain) - 1;
	memcpy(p, prev, HASH_BYTES);
	p += HASH_BYTES;
	p = put_u64(p, (uint64_t)e->seq);
	p = put_u64(p, (uint64_t)e->at);
	p = put_text(p, e->actor, sizeof(e->actor));
	p = put_text(p, e->address, sizeof(e->address));
	p = put_text(p, e->action, sizeof(e->action));
	p = put_text(p, e->what, sizeof(e->what));
	p = put_text(p, e->detail, sizeof(e->detail));
	crypto_generichash(out, HASH_BYTES, msg, (size_t)(p - msg), NULL, 0);
}

/* A hash from the table as binary (decoded as the writer always did). */
static void hash_bin(const char *hex, unsigned char out[HASH_BYTES])
{
	memset(out, 0, HASH_BYTES);
	sodium_hex2bin(out, HASH_BYTES, hex, strlen(hex), NULL, NULL, NULL);
}

void store_audit_entry_set(struct store_audit_entry *e, const char *actor,
			   const char *address, const char *action,
			   const char *what, const char *detail)
{
	/* every field is set (no memset of the 1.6 KB: this runs under the
	 * server's queue lock for every read recorded) */
	e->seq = e->at = 0;
	e->prev[0] = e->hash[0] = '\0';
	cap_copy(e->actor, sizeof(e->actor), actor);
	cap_copy(e->address, sizeof(e->address), address);
	cap_copy(e->action, sizeof(e->action), action);
	cap_copy(e->what, sizeof(e->what), what);
	cap_copy(e->detail, sizeof(e->detail), detail);
}

/* Rows per INSERT statement: a batch is inserted 32 rows at a time, the
 * rest 4 and then 1 at a time (three statements in the cache). One
 * statement of 32 rows costs less per row than 32 statements (each
 * statement's start, reset and end). */
#define INSERT_ROWS_MAX 32
#define INSERT_COLS 9

/* "INSERT INTO audit(...) VALUES (?, ...), ..." for rows rows, into out. */
static void insert_sql(size_t rows, char *out, size_t n)
{
	static const char head[] = "INSERT INTO audit(seq, at, actor, address,"
				   " action, what, detail, prev, hash) VALUES ";
	static const char row[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
	size_t len = sizeof(head) - 1;

	memcpy(out, head, len);
	for (size_t i = 0; i < rows && len + sizeof(row) + 1 < n; i++) {
		if (i > 0)
			out[len++] = ',';
		memcpy(out + len, row, sizeof(row) - 1);
		len += sizeof(row) - 1;
	}
	out[len] = '\0';
}

/* Insert rows entries (hashed) with one statement. */
static tx_err insert_rows(tx_store *st, const struct store_audit_entry *e,
			  size_t rows, struct tx_error *err)
{
	char sql[128 + INSERT_ROWS_MAX * 32];
	store_stmt *s = NULL;
	tx_err rc;

	insert_sql(rows, sql, sizeof(sql));
	if ((rc = store_db_prepare(st, sql, &s, err)) != TX_OK)
		return rc;
	for (size_t i = 0; i < rows; i++) {
		int c = (int)(i * INSERT_COLS);
		store_db_bind_int64(s, c + 1, e[i].seq);
		store_db_bind_int64(s, c + 2, e[i].at);
		store_db_bind_text(s, c + 3, e[i].actor, -1, STORE_DB_STATIC);
		store_db_bind_text(s, c + 4, e[i].address, -1, STORE_DB_STATIC);
		store_db_bind_text(s, c + 5, e[i].action, -1, STORE_DB_STATIC);
		store_db_bind_text(s, c + 6, e[i].what, -1, STORE_DB_STATIC);
		store_db_bind_text(s, c + 7, e[i].detail, -1, STORE_DB_STATIC);
		store_db_bind_text(s, c + 8, e[i].prev, -1, STORE_DB_STATIC);
		store_db_bind_text(s, c + 9, e[i].hash, -1, STORE_DB_STATIC);
	}
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "audit");
	store_db_done(st, s);
	return rc;
}

tx_err store_audit_batch(tx_store *st, struct store_audit_entry *entries,
			 size_t n, struct tx_error *err)
{
	unsigned char prev[HASH_BYTES], h[HASH_BYTES];
	char prev_hex[STORE_AUDIT_HASH_BUF];
	store_stmt *s = NULL;
	int64_t seq = 0, now = tx_time_now_us();
	tx_err rc;

	for (size_t i = 0; i < n; i++)
		if (entries[i].action[0] == '\0')
			return tx_error_set(err, TX_ERR_INVALID, "audit: no action");
	if (n == 0)
		return TX_OK;
	store_db_write_lock();
	if ((rc = store_db_begin(st, err)) != TX_OK)
		goto unlock;
	if ((rc = store_db_prepare(st, "SELECT seq, hash FROM audit ORDER BY seq DESC"
			     " LIMIT 1", &s, err)) != TX_OK)
		goto rollback;
	if (store_db_step(s) == STORE_DB_ROW) {
		seq = store_db_column_int64(s, 0);
		store_db_column_copy(s, 1, prev_hex, sizeof(prev_hex));
	} else {
		memcpy(prev_hex, genesis, sizeof(genesis));
	}
	store_db_done(st, s);
	hash_bin(prev_hex, prev);
	for (size_t i = 0; i < n; i++) {
		struct store_audit_entry *e = &entries[i];
		e->seq = ++seq;
		if (e->at <= 0 || e->at > now)
			e->at = now;
		memcpy(e->prev, prev_hex, sizeof(prev_hex));
		entry_hash(e, prev, h);
		tx_hex(h, sizeof(h), e->hash);
		memcpy(prev, h, sizeof(prev));
		memcpy(prev_hex, e->hash, sizeof(prev_hex));
	}
	for (size_t i = 0; i < n && rc == TX_OK;) {
		size_t rows = n - i >= INSERT_ROWS_MAX ? INSERT_ROWS_MAX :
			      n - i >= 4 ? 4 : 1;
		rc = insert_rows(st, entries + i, rows, err);
		i += rows;
	}
	if (rc != TX_OK)
		goto rollback;
	rc = store_db_commit(st, err);
	if (rc == TX_OK)
		goto unlock;
rollback:
	store_db_rollback(st, NULL);
unlock:
	store_db_write_unlock();
	return rc;
}

tx_err store_audit_from(tx_store *st, const char *actor, const char *address,
			const char *action, const char *what,
			const char *detail, struct tx_error *err)
{
	struct store_audit_entry *e;
	tx_err rc;

#ifdef TRILEX_NO_AUDIT
	/* a benchmark build only (bench/run-audit): the node without its
	 * audit trail, to measure what the trail costs */
	(void)st, (void)actor, (void)address, (void)action, (void)what;
	(void)detail, (void)err;
	return TX_OK;
#endif
	if ((e = malloc(sizeof(*e))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	store_audit_entry_set(e, actor, address, action, what, detail);
	rc = store_audit_batch(st, e, 1, err);
	free(e);
	return rc;
}

tx_err store_audit(tx_store *st, const char *actor, const char *action,
		   const char *what, const char *detail, struct tx_error *err)
{
	return store_audit_from(st, actor, NULL, action, what, detail, err);
}

static void read_entry(store_stmt *s, struct store_audit_entry *e)
{
	e->seq = store_db_column_int64(s, 0);
	e->at = store_db_column_int64(s, 1);
	store_db_column_copy(s, 2, e->actor, sizeof(e->actor));
	store_db_column_copy(s, 3, e->address, sizeof(e->address));
	store_db_column_copy(s, 4, e->action, sizeof(e->action));
	store_db_column_copy(s, 5, e->what, sizeof(e->what));
	store_db_column_copy(s, 6, e->detail, sizeof(e->detail));
	store_db_column_copy(s, 7, e->prev, sizeof(e->prev));
	store_db_column_copy(s, 8, e->hash, sizeof(e->hash));
}

#define ENTRY_COLS "seq, at, actor, address, action, what, detail, prev, hash"

tx_err store_audit_list(tx_store *st, const struct store_audit_query *q,
			store_audit_fn fn, void *ctx, struct tx_error *err)
{
	struct store_audit_entry *e = NULL;
	store_stmt *s = NULL;
	int64_t n = 0;
	tx_err rc;
	int r;

	if ((e = malloc(sizeof(*e))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = store_db_prepare(st, "SELECT " ENTRY_COLS " FROM audit"
			     " WHERE at >= ?1 AND seq > ?2"
			     " AND (?3 IS NULL OR actor = ?3 COLLATE NOCASE)"
			     " AND (?4 IS NULL OR action = ?4)"
			     " ORDER BY seq", &s, err)) != TX_OK)
		goto out;
	store_db_bind_int64(s, 1, q->since);
	store_db_bind_int64(s, 2, q->after_seq);
	if (q->actor != NULL)
		store_db_bind_text(s, 3, q->actor, -1, STORE_DB_STATIC);
	if (q->action != NULL)
		store_db_bind_text(s, 4, q->action, -1, STORE_DB_STATIC);
	while ((q->limit <= 0 || n < q->limit) &&
	       (r = store_db_step(s)) == STORE_DB_ROW) {
		read_entry(s, e);
		n++;
		if (fn(ctx, e) != 0)
			break;
	}
	if (rc == TX_OK && (q->limit <= 0 || n < q->limit) && r != STORE_DB_DONE &&
	    r != STORE_DB_ROW)
		rc = store_db_error(st, err, "audit list");
	store_db_done(st, s);
out:
	free(e);
	return rc;
}

tx_err store_audit_get(tx_store *st, int64_t seq, struct store_audit_entry *e)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, seq > 0 ?
			     "SELECT " ENTRY_COLS " FROM audit WHERE seq = ?" :
			     "SELECT " ENTRY_COLS " FROM audit WHERE ? = ?"
			     " ORDER BY seq DESC LIMIT 1", &s, NULL)) != TX_OK)
		return rc;
	store_db_bind_int64(s, 1, seq);
	if (seq <= 0)
		store_db_bind_int64(s, 2, seq);
	if (store_db_step(s) == STORE_DB_ROW)
		read_entry(s, e);
	else
		rc = TX_ERR_NOTFOUND;
	store_db_done(st, s);
	return rc;
}

tx_err store_audit_verify(tx_store *st, int64_t *n_checked,
			  struct tx_error *err)
{
	struct store_audit_entry *e = NULL;
	char prev[STORE_AUDIT_HASH_BUF], want[STORE_AUDIT_HASH_BUF];
	unsigned char prev_bin[HASH_BYTES], h[HASH_BYTES];
	store_stmt *s = NULL;
	int64_t expect = 1;
	tx_err rc;
	int r;

	*n_checked = 0;
	if ((e = malloc(sizeof(*e))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	memcpy(prev, genesis, sizeof(genesis));
	memset(prev_bin, 0, sizeof(prev_bin));
	/* One read transaction: a consistent view while writers go on. */
	if ((rc = store_db_begin_read(st, err)) != TX_OK)
		goto out;
	if ((rc = store_db_prepare(st, "SELECT " ENTRY_COLS " FROM audit ORDER BY seq",
			     &s, err)) != TX_OK)
		goto end;
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		read_entry(s, e);
		if (e->seq != expect) {
			rc = tx_error_set(err, TX_ERR_INVALID, "audit entry %lld"
					  " follows entry %lld: entries in between"
					  " were deleted", (long long)e->seq,
					  (long long)(expect - 1));
			break;
		}
		if (strcmp(e->prev, prev) != 0) {
			rc = tx_error_set(err, TX_ERR_INVALID, "audit entry %lld:"
					  " its link to entry %lld does not match"
					  " (an entry was replaced)",
					  (long long)e->seq, (long long)(e->seq - 1));
			break;
		}
		/* e->prev is the hash of the entry before, prev_bin */
		entry_hash(e, prev_bin, h);
		tx_hex(h, sizeof(h), want);
		if (strcmp(want, e->hash) != 0) {
			rc = tx_error_set(err, TX_ERR_INVALID, "audit entry %lld:"
					  " its content does not match its hash"
					  " (it was changed)", (long long)e->seq);
			break;
		}
		memcpy(prev, e->hash, sizeof(prev));
		memcpy(prev_bin, h, sizeof(prev_bin));
		expect++;
		(*n_checked)++;
	}
	if (rc == TX_OK && r != STORE_DB_DONE)
		rc = store_db_error(st, err, "audit verify");
	store_db_done(st, s);
end:
	store_db_end_read(st);
out:
	free(e);
	return rc;
}

int store_audit_sensitive(const char *json, size_t len)
{
#ifdef TRILEX_NO_AUDIT
	(void)json, (void)len;
	return 0; /* a benchmark build: no read is one to record */
#endif
	/* TLP:RED and TLP:AMBER+STRICT of TLP 2.0, and RED of STIX's TLP 1.0:
	 * a reference to them anywhere in the object (its own markings or
	 * granular ones) makes a read of it one to record. One pass over the
	 * text: each "marking-definition--" found is compared with the ids
	 * (this runs for every row of every page). */
	static const char prefix[] = "marking-definition--";
	static const char *const ids[] = {
		"e828b379-4e03-4974-9ac4-e53a884c97c1",
		"939a9414-2ddd-4d32-a0cd-375ea402b003",
		"5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
	};
	const size_t plen = sizeof(prefix) - 1, idlen = 36;
	const char *p = json, *end = json + len;

	if (json == NULL)
		return 0;
	while ((p = memmem(p, (size_t)(end - p), prefix, plen)) != NULL) {
		p += plen;
		if ((size_t)(end - p) < idlen)
			break;
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			if (memcmp(p, ids[i], idlen) == 0)
				return 1;
	}
	return 0;
}

tx_err store_audit_last(tx_store *st, const char *action,
			struct store_audit_entry *e)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "SELECT " ENTRY_COLS " FROM audit WHERE action = ?"
			     " ORDER BY seq DESC LIMIT 1", &s, NULL)) != TX_OK)
		return rc;
	store_db_bind_text(s, 1, action, -1, STORE_DB_STATIC);
	if (store_db_step(s) == STORE_DB_ROW)
		read_entry(s, e);
	else
		rc = TX_ERR_NOTFOUND;
	store_db_done(st, s);
	return rc;
}
