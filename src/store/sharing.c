/*
 * store/sharing.c: what of a collection may leave the node.
 *
 * Each collection has a sharing policy (collections.share, text):
 * "local" (nothing of it leaves the node), "partners" (every partner its
 * TLP entitles) or a list of party codes "FR,UK" (those of them its TLP
 * entitles). Collections made by store_collection_add are local; those
 * trilex makes for shared work (store_collection_ensure) are "partners";
 * those from before the policy existed kept "partners" (migration 7).
 *
 * Widening a policy re-enters the collection's objects into the outbox:
 * their date_added moves to the time of the change (keeping their order
 * and the store's strictly increasing clock), so that every delivery
 * cursor and every partner's pull finds them after its position. The
 * rows and the policy change in one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* A party code as node.json has it (tx_party_valid), len bytes of a list. */
static int party_valid(const char *p, size_t len)
{
	char code[TX_PARTY_MAX];

	if (len >= sizeof(code))
		return 0;
	memcpy(code, p, len);
	code[len] = '\0';
	return tx_party_valid(code);
}

tx_err store_share_parse(const char *text, char out[STORE_SHARE_BUF],
			 struct tx_error *err)
{
	char buf[STORE_SHARE_BUF];
	size_t len = 0;

	if (text == NULL || *text == '\0')
		return tx_error_set(err, TX_ERR_INVALID, "share: give local,"
				    " partners or a list of party codes (FR,UK)");
	if (strcmp(text, STORE_SHARE_LOCAL) == 0 ||
	    strcmp(text, STORE_SHARE_PARTNERS) == 0) {
		snprintf(out, STORE_SHARE_BUF, "%s", text);
		return TX_OK;
	}
	buf[0] = '\0';
	for (const char *p = text; *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		int dup = 0;

		if (!party_valid(p, n))
			return tx_error_set(err, TX_ERR_INVALID, "share: \"%.*s\""
					    " is not a party code (2-7 upper-case"
					    " letters); give local, partners or"
					    " codes separated by commas",
					    (int)(n > 16 ? 16 : n), p);
		/* the same party twice is one party */
		for (const char *q = buf; *q != '\0';) {
			const char *qe = strchr(q, ',');
			size_t qn = qe ? (size_t)(qe - q) : strlen(q);
			if (qn == n && memcmp(q, p, n) == 0)
				dup = 1;
			q += qn + (qe ? 1 : 0);
		}
		if (!dup) {
			if (len + n + 2 > sizeof(buf))
				return tx_error_set(err, TX_ERR_TOOBIG, "share: at"
						    " most %d characters of"
						    " party codes",
						    STORE_SHARE_BUF - 1);
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%s%.*s", len ? "," : "", (int)n,
						p);
		}
		p += n;
		if (*p == ',') {
			p++;
			if (*p == '\0')
				return tx_error_set(err, TX_ERR_INVALID,
						    "share: a comma ends the list");
		}
	}
	snprintf(out, STORE_SHARE_BUF, "%s", buf);
	return TX_OK;
}

int store_share_allows(const char *share, const char *party)
{
	size_t n = strlen(party);

	if (share == NULL || strcmp(share, STORE_SHARE_LOCAL) == 0)
		return 0;
	if (strcmp(share, STORE_SHARE_PARTNERS) == 0)
		return 1;
	for (const char *p = share; *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && memcmp(p, party, n) == 0)
			return 1;
		p += len + (end ? 1 : 0);
	}
	return 0;
}

tx_err store_collection_share(tx_store *st, int64_t pk,
			      char out[STORE_SHARE_BUF])
{
	store_stmt *s = NULL;
	tx_err rc;

	out[0] = '\0';
	if ((rc = store_db_prepare(st, "SELECT share FROM collections WHERE pk = ?",
			     &s, NULL)))
		return rc;
	store_db_bind_int64(s, 1, pk);
	if (store_db_step(s) == STORE_DB_ROW)
		store_db_column_copy(s, 0, out, STORE_SHARE_BUF);
	else
		rc = TX_ERR_NOTFOUND;
	store_db_done(st, s);
	return rc;
}

/* Whether going from share old to share new lets a party have what it
 * could not have before. */
static int widens(const char *old, const char *new)
{
	if (strcmp(new, STORE_SHARE_LOCAL) == 0 || strcmp(old, new) == 0)
		return 0;
	if (strcmp(old, STORE_SHARE_PARTNERS) == 0)
		return 0; /* nothing goes further than every partner */
	if (strcmp(new, STORE_SHARE_PARTNERS) == 0 ||
	    strcmp(old, STORE_SHARE_LOCAL) == 0)
		return 1;
	for (const char *p = new; *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char party[TX_PARTY_MAX];
		snprintf(party, sizeof(party), "%.*s", (int)len, p);
		if (!store_share_allows(old, party))
			return 1;
		p += len + (end ? 1 : 0);
	}
	return 0;
}

/* Move the date_added of collection pk's own objects past the clock, in
 * their order; *n: how many moved. Inside the caller's transaction. */
static tx_err requeue(tx_store *st, int64_t pk, int64_t *n,
		      struct tx_error *err)
{
	store_stmt *sel = NULL, *upd = NULL, *clk = NULL;
	int64_t last = 0, now = tx_time_now_us(), next;
	int64_t *ids = NULL, cap = 0, count = 0;
	tx_err rc;
	int r;

	*n = 0;
	if ((rc = store_db_prepare(st, "SELECT last FROM clock", &clk, err)))
		return rc;
	if (store_db_step(clk) == STORE_DB_ROW)
		last = store_db_column_int64(clk, 0);
	store_db_done(st, clk);
	next = now > last ? now : last + 1;
	/* Read every rowid first: the update moves rows within the order
	 * the select walks. */
	if ((rc = store_db_prepare(st, "SELECT rowid FROM objects WHERE coll = ?"
			     " AND via IS NULL ORDER BY date_added, rowid", &sel,
			     err)))
		return rc;
	store_db_bind_int64(sel, 1, pk);
	while ((r = store_db_step(sel)) == STORE_DB_ROW) {
		if (count == cap) {
			int64_t *grown;
			cap = cap ? cap * 2 : 256;
			if ((grown = realloc(ids, (size_t)cap * sizeof(*ids))) == NULL) {
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
				break;
			}
			ids = grown;
		}
		ids[count++] = store_db_column_int64(sel, 0);
	}
	if (rc == TX_OK && r != STORE_DB_DONE)
		rc = store_db_error(st, err, "read the collection");
	store_db_done(st, sel);
	if (rc != TX_OK)
		goto out;
	if ((rc = store_db_prepare(st, "UPDATE objects SET date_added = ? WHERE rowid = ?",
			     &upd, err)))
		goto out;
	for (int64_t i = 0; i < count; i++) {
		store_db_bind_int64(upd, 1, next++);
		store_db_bind_int64(upd, 2, ids[i]);
		if (store_db_step(upd) != STORE_DB_DONE) {
			rc = store_db_error(st, err, "re-queue an object");
			break;
		}
		store_db_reset(upd);
	}
	store_db_done(st, upd);
	if (rc != TX_OK)
		goto out;
	if (count > 0) {
		if ((rc = store_db_prepare(st, "UPDATE clock SET last = ?", &clk, err)))
			goto out;
		store_db_bind_int64(clk, 1, next - 1);
		if (store_db_step(clk) != STORE_DB_DONE)
			rc = store_db_error(st, err, "write clock");
		store_db_done(st, clk);
	}
	*n = count;
out:
	free(ids);
	return rc;
}

tx_err store_collection_set_share(tx_store *st, int64_t pk, const char *share,
				  int64_t *requeued, struct tx_error *err)
{
	char norm[STORE_SHARE_BUF], old[STORE_SHARE_BUF];
	store_stmt *s = NULL;
	int64_t n = 0;
	tx_err rc;

	if (requeued != NULL)
		*requeued = 0;
	if ((rc = store_share_parse(share, norm, err)))
		return rc;
	store_db_write_lock();
	if ((rc = store_db_begin(st, err)))
		goto unlock;
	if ((rc = store_collection_share(st, pk, old)) != TX_OK) {
		tx_error_set(err, rc, "no collection %lld", (long long)pk);
		goto rollback;
	}
	if (widens(old, norm) && (rc = requeue(st, pk, &n, err)))
		goto rollback;
	if ((rc = store_db_prepare(st, "UPDATE collections SET share = ? WHERE pk = ?",
			     &s, err)))
		goto rollback;
	store_db_bind_text(s, 1, norm, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 2, pk);
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "set sharing");
	store_db_done(st, s);
	if (rc != TX_OK)
		goto rollback;
	if ((rc = store_db_commit(st, err)))
		goto rollback;
	if (requeued != NULL)
		*requeued = n;
	goto unlock;
rollback:
	store_db_rollback(st, NULL);
unlock:
	store_db_write_unlock();
	return rc;
}
