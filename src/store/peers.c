/*
 * store/peers.c: partner nodes and what is shared with them.
 *
 * A partner is pinned by party code, certificate fingerprint and signing
 * key, each unique. It gets an account (so the TAXII server's normal
 * collection rights apply to it) whose password hash "!" no password
 * matches, and an inbox collection it may write. What we share with it is
 * tracked by one cursor over our own objects in (date_added, rowid) order:
 * the objects are the outbox, and the cursor only moves once the partner
 * has acknowledged, so nothing committed is ever skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#define PEER_COLUMNS \
	"party, name, url, cert_fp, cert_pem, sign_pk, seal_pk, user_id, inbox," \
	" push_added, push_rowid, pull_token, delivered, received, rejected," \
	" last_ok, last_error, last_error_at, batch_sig, duplicates," \
	" prio_added, prio_rowid, role, held_role"

static void read_peer(store_stmt *s, struct store_peer *p)
{
	store_db_column_copy(s, 0, p->party, sizeof(p->party));
	store_db_column_copy(s, 1, p->name, sizeof(p->name));
	store_db_column_copy(s, 2, p->url, sizeof(p->url));
	store_db_column_copy(s, 3, p->cert_fp, sizeof(p->cert_fp));
	store_db_column_copy(s, 4, p->cert_pem, sizeof(p->cert_pem));
	store_db_column_copy(s, 5, p->sign_pk, sizeof(p->sign_pk));
	store_db_column_copy(s, 6, p->seal_pk, sizeof(p->seal_pk));
	p->user_id = store_db_column_int64(s, 7);
	p->inbox_pk = store_db_column_int64(s, 8);
	p->push.date_added = store_db_column_int64(s, 9);
	p->push.rowid = store_db_column_int64(s, 10);
	store_db_column_copy(s, 11, p->pull_token, sizeof(p->pull_token));
	p->delivered = store_db_column_int64(s, 12);
	p->received = store_db_column_int64(s, 13);
	p->rejected = store_db_column_int64(s, 14);
	p->last_ok = store_db_column_int64(s, 15);
	store_db_column_copy(s, 16, p->last_error, sizeof(p->last_error));
	p->last_error_at = store_db_column_int64(s, 17);
	p->batch_sig = store_db_column_int(s, 18);
	p->duplicates = store_db_column_int64(s, 19);
	p->prio.date_added = store_db_column_int64(s, 20);
	p->prio.rowid = store_db_column_int64(s, 21);
	store_db_column_copy(s, 22, p->role, sizeof(p->role));
	if (p->role[0] == '\0')
		snprintf(p->role, sizeof(p->role), "%s", STORE_PARTY_MEMBER);
	store_db_column_copy(s, 23, p->held_role, sizeof(p->held_role));
}

/* Run one bound statement to completion inside the current transaction. */
static tx_err run(tx_store *st, store_stmt *s, struct tx_error *err,
		  const char *what)
{
	tx_err rc = store_db_step(s) == STORE_DB_DONE ? TX_OK :
						     store_db_error(st, err, what);
	store_db_done(st, s);
	return rc;
}

/* Run one bound write statement as its own transaction, taking turns
 * with the other writers of this process. */
static tx_err run_write(tx_store *st, store_stmt *s, struct tx_error *err,
			const char *what)
{
	tx_err rc;

	store_db_write_lock();
	rc = run(st, s, err, what);
	store_db_write_unlock();
	return rc;
}

tx_err store_peer_add(tx_store *st, struct store_peer *p, struct tx_error *err)
{
	char user[STORE_NAME_MAX], alias[64], title[256];
	struct store_user u;
	struct store_collection c;
	store_stmt *s = NULL;
	tx_err rc;

	snprintf(user, sizeof(user), "peer-%s", p->party);
	snprintf(alias, sizeof(alias), "inbox-%s", p->party);
	/* A local account made before STORE_PEER_PREFIX was reserved may hold
	 * the name: say so, rather than that the partner is pinned. */
	if (store_user_get(st, user, &u, NULL, 0) == TX_OK && u.peer[0] == '\0')
		return tx_error_set(err, TX_ERR_EXISTS, "partner %s: its account"
				    " name \"%s\" is taken by a local user account"
				    " (made before names beginning with \"peer-\""
				    " were reserved); rename that account first",
				    p->party, u.name);
	snprintf(title, sizeof(title), "Inbox of partner %s (%s)", p->party,
		 p->name);
	if ((rc = store_db_begin(st, err)))
		return rc;
	if ((rc = store_collection_ensure(st, title, "objects shared by the"
					  " partner", alias, &c, err)))
		goto rollback;
	if ((rc = store_accounts_insert(st, user, "!", STORE_ROLE_ANALYST, err)) != TX_OK)
		goto rollback;
	if ((rc = store_user_get(st, user, &u, NULL, 0)) != TX_OK) {
		tx_error_set(err, rc, "partner %s: its account %s could not be"
			     " read back", p->party, user);
		goto rollback;
	}
	if ((rc = store_grant(st, user, alias, 0, 1, err)) != TX_OK)
		goto rollback;
	if ((rc = store_db_prepare(st, "UPDATE users SET peer = ? WHERE id = ?", &s,
			     err)))
		goto rollback;
	store_db_bind_text(s, 1, p->party, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 2, u.id);
	if ((rc = run(st, s, err, "peer account")))
		goto rollback;
	p->user_id = u.id;
	p->inbox_pk = c.pk;
	if ((rc = store_db_prepare(st, "INSERT INTO peers(party, name, url, cert_fp,"
			     " cert_pem, sign_pk, seal_pk, user_id, inbox, added,"
			     " batch_sig, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
			     " ?, ?)",
			     &s, err)))
		goto rollback;
	store_db_bind_text(s, 1, p->party, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, p->name, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 3, p->url, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 4, p->cert_fp, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 5, p->cert_pem, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 6, p->sign_pk, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 7, p->seal_pk, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 8, p->user_id);
	store_db_bind_int64(s, 9, p->inbox_pk);
	store_db_bind_int64(s, 10, tx_time_now_us());
	store_db_bind_int(s, 11, p->batch_sig != 0);
	store_db_bind_text(s, 12, p->role[0] ? p->role : STORE_PARTY_MEMBER, -1,
			   STORE_DB_STATIC);
	if ((rc = run(st, s, err, "add partner")) != TX_OK) {
		if (rc == TX_ERR_EXISTS)
			tx_error_set(err, rc, "partner %s, its certificate or its key"
				     " is already pinned", p->party);
		goto rollback;
	}
	return store_db_commit(st, err);
rollback:
	if (rc == TX_ERR_EXISTS && strstr(err ? err->msg : "", "user"))
		tx_error_set(err, rc, "partner %s is already pinned", p->party);
	store_db_rollback(st, NULL);
	return rc;
}

const char *store_inbox_party(const struct store_collection *c)
{
	size_t n = strlen(INBOX_PREFIX);

	if (strncmp(c->alias, INBOX_PREFIX, n) != 0 || c->alias[n] == '\0')
		return NULL;
	return c->alias + n;
}

tx_err store_inbox_check(tx_store *st, int64_t pk, const struct store_item *items,
		   size_t n, struct tx_error *err)
{
	struct store_collection c = { .pk = pk };
	const char *party;
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "SELECT COALESCE(alias, '') FROM collections"
			     " WHERE pk = ?", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, pk);
	if (store_db_step(s) == STORE_DB_ROW)
		store_db_column_copy(s, 0, c.alias, sizeof(c.alias));
	store_db_done(st, s);
	if ((party = store_inbox_party(&c)) == NULL)
		return TX_OK;
	/* Whatever the way in (a user's POST, push, an assessment's note),
	 * an object in a partner's inbox would be read as that partner's:
	 * only what the partner itself sent, checked, goes there. */
	for (size_t i = 0; i < n; i++)
		if (items[i].obj != NULL &&
		    (items[i].via == NULL || strcmp(items[i].via, party) != 0))
			return tx_error_set(err, TX_ERR_DENIED, "collection %s is"
					    " the inbox of partner %s: only %s's"
					    " signed objects go there", c.alias,
					    party, party);
	return TX_OK;
}

tx_err store_peer_remove(tx_store *st, const char *party, struct tx_error *err)
{
	struct store_peer *p = NULL;
	store_stmt *s = NULL;
	tx_err rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return TX_ERR_NOMEM;
	if (store_peer_find(st, party, NULL, NULL, p) != TX_OK) {
		free(p);
		return tx_error_set(err, TX_ERR_NOTFOUND, "no partner %s", party);
	}
	if ((rc = store_db_begin(st, err)))
		goto out;
	if ((rc = store_db_prepare(st, "DELETE FROM peers WHERE party = ?", &s, err)))
		goto rollback;
	store_db_bind_text(s, 1, party, -1, STORE_DB_STATIC);
	if ((rc = run(st, s, err, "remove partner")))
		goto rollback;
	if ((rc = store_db_prepare(st, "DELETE FROM users WHERE id = ?", &s, err)))
		goto rollback;
	store_db_bind_int64(s, 1, p->user_id);
	if ((rc = run(st, s, err, "remove partner account")))
		goto rollback;
	rc = store_db_commit(st, err);
	goto out;
rollback:
	store_db_rollback(st, NULL);
out:
	free(p);
	return rc;
}

int store_peer_role_valid(const char *role)
{
	return role != NULL && (strcmp(role, STORE_PARTY_MEMBER) == 0 ||
				strcmp(role, STORE_PARTY_OBSERVER) == 0 ||
				strcmp(role, STORE_PARTY_SUSPENDED) == 0);
}

tx_err store_peer_set_role(tx_store *st, const char *party, const char *role,
			   struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if (!store_peer_role_valid(role))
		return tx_error_set(err, TX_ERR_INVALID, "role \"%.16s\": must be"
				    " member, observer or suspended", role ? role : "");
	/* Suspending keeps where the partner's cursors and role were;
	 * reinstating rewinds the cursors there, so that what was held back
	 * meanwhile (the cursors passed over it) is sent now, and nothing it
	 * had before. held_role '' : not suspended here by this code (before
	 * migration 23), so nothing to rewind to. Every right-hand side
	 * reads the row as it was. */
#define HOLD(H, C) \
	" " H " = CASE WHEN ?1 = 'suspended' AND role <> 'suspended' THEN " C \
	" WHEN ?1 = 'suspended' THEN " H " ELSE 0 END,"
#define BACK(C, H) \
	" " C " = CASE WHEN ?1 <> 'suspended' AND role = 'suspended' AND" \
	" held_role <> '' THEN " H " ELSE " C " END,"
	if ((rc = store_db_prepare(st, "UPDATE peers SET"
				   HOLD("held_added", "push_added")
				   HOLD("held_rowid", "push_rowid")
				   HOLD("held_prio_added", "prio_added")
				   HOLD("held_prio_rowid", "prio_rowid")
				   BACK("push_added", "held_added")
				   BACK("push_rowid", "held_rowid")
				   BACK("prio_added", "held_prio_added")
				   BACK("prio_rowid", "held_prio_rowid")
				   " held_role = CASE WHEN ?1 = 'suspended' AND"
				   " role <> 'suspended' THEN role WHEN ?1 ="
				   " 'suspended' THEN held_role ELSE '' END,"
				   " role = ?1 WHERE party = ?2", &s, err)))
		return rc;
#undef HOLD
#undef BACK
	store_db_bind_text(s, 1, role, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, party, -1, STORE_DB_STATIC);
	return run_write(st, s, err, "partner role");
}

/* The one value of sql (no parameters), -1 on error. */
static int64_t last_of(tx_store *st, const char *sql)
{
	store_stmt *s = NULL;
	int64_t last = -1;

	if (store_db_prepare(st, sql, &s, NULL) != TX_OK)
		return -1;
	if (store_db_step(s) == STORE_DB_ROW)
		last = store_db_column_int64(s, 0);
	store_db_done(st, s);
	return last;
}

int64_t store_last_vote_added(tx_store *st)
{
	/* the same WHERE as the partial index objects_votes (migration 18) */
	return last_of(st, "SELECT COALESCE(MAX(date_added), 0) FROM objects"
		       " WHERE type IN ('x-trilex-watch-proposal',"
		       " 'x-trilex-watch-vote')");
}

int64_t store_last_policy_added(tx_store *st)
{
	/* the same WHERE as the partial index objects_policies (migration 23) */
	return last_of(st, "SELECT COALESCE(MAX(date_added), 0) FROM objects"
		       " WHERE type IN ('x-trilex-policy',"
		       " 'x-trilex-policy-approval')");
}

/* The earliest of this node's own rows of ids, per lane (date_added 0:
 * none on that lane), inside the caller's transaction. */
static tx_err first_own(tx_store *st, const char *const *ids, size_t n,
			struct store_cursor first[2], struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;
	int r;

	memset(first, 0, 2 * sizeof(*first));
	for (size_t i = 0; i < n; i++) {
		if ((rc = store_db_prepare(st, "SELECT date_added, rowid, lane FROM"
					   " objects WHERE id = ? AND via IS NULL",
					   &s, err)))
			return rc;
		store_db_bind_text(s, 1, ids[i], -1, STORE_DB_STATIC);
		while ((r = store_db_step(s)) == STORE_DB_ROW) {
			struct store_cursor c = { store_db_column_int64(s, 0),
						  store_db_column_int64(s, 1) };
			int lane = store_db_column_int(s, 2) == 1;
			if (first[lane].date_added == 0 ||
			    c.date_added < first[lane].date_added ||
			    (c.date_added == first[lane].date_added &&
			     c.rowid < first[lane].rowid))
				first[lane] = c;
		}
		rc = r == STORE_DB_DONE ? TX_OK :
		     store_db_error(st, err, "first own version");
		store_db_done(st, s);
		if (rc != TX_OK)
			return rc;
	}
	return TX_OK;
}

/* Observers' cursors on lane (and a suspended observer's held ones)
 * back to just before c, where they are past it. */
static tx_err rewind_observers(tx_store *st, int lane,
			       const struct store_cursor *c, struct tx_error *err)
{
	static const char *const sql[2][2] = {
		{ "UPDATE peers SET push_added = ?1, push_rowid = ?2 WHERE role ="
		  " 'observer' AND (push_added > ?1 OR (push_added = ?1 AND"
		  " push_rowid > ?2))",
		  "UPDATE peers SET held_added = ?1, held_rowid = ?2 WHERE role ="
		  " 'suspended' AND held_role = 'observer' AND (held_added > ?1 OR"
		  " (held_added = ?1 AND held_rowid > ?2))" },
		{ "UPDATE peers SET prio_added = ?1, prio_rowid = ?2 WHERE role ="
		  " 'observer' AND (prio_added > ?1 OR (prio_added = ?1 AND"
		  " prio_rowid > ?2))",
		  "UPDATE peers SET held_prio_added = ?1, held_prio_rowid = ?2 WHERE"
		  " role = 'suspended' AND held_role = 'observer' AND"
		  " (held_prio_added > ?1 OR (held_prio_added = ?1 AND"
		  " held_prio_rowid > ?2))" },
	};
	store_stmt *s = NULL;
	tx_err rc;

	for (int k = 0; k < 2; k++) {
		if ((rc = store_db_prepare(st, sql[lane][k], &s, err)))
			return rc;
		store_db_bind_int64(s, 1, c->date_added);
		store_db_bind_int64(s, 2, c->rowid - 1); /* just before it */
		if ((rc = run(st, s, err, "rewind observers")))
			return rc;
	}
	return TX_OK;
}

tx_err store_policy_release(tx_store *st, const char *digest,
			    const char *const *ids, size_t n, int *done,
			    struct tx_error *err)
{
	struct store_cursor first[2];
	store_stmt *s = NULL;
	int known; /* the step: STORE_DB_ROW when released before */
	tx_err rc;

	*done = 0;
	if ((rc = store_db_begin(st, err)))
		return rc;
	if ((rc = store_db_prepare(st, "SELECT 1 FROM policy_released WHERE"
				   " digest = ?", &s, err)))
		goto rollback;
	store_db_bind_text(s, 1, digest, -1, STORE_DB_STATIC);
	known = store_db_step(s);
	/* a failed step is not "not released yet": SQLite may have rolled
	 * the transaction back, and the rewinds would each commit alone */
	rc = known == STORE_DB_ROW || known == STORE_DB_DONE ? TX_OK :
	     store_db_error(st, err, "policy release");
	store_db_done(st, s);
	if (rc != TX_OK)
		goto rollback;
	if (known == STORE_DB_ROW)
		return store_db_commit(st, err);
	if ((rc = first_own(st, ids, n, first, err)))
		goto rollback;
	for (int lane = 0; lane < 2; lane++)
		if (first[lane].date_added != 0 &&
		    (rc = rewind_observers(st, lane, &first[lane], err)))
			goto rollback;
	if ((rc = store_db_prepare(st, "INSERT INTO policy_released(digest, at)"
				   " VALUES (?, ?)", &s, err)))
		goto rollback;
	store_db_bind_text(s, 1, digest, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 2, tx_time_now_us());
	if ((rc = run(st, s, err, "policy released")))
		goto rollback;
	if ((rc = store_db_commit(st, err)) == TX_OK)
		*done = 1;
	return rc;
rollback:
	store_db_rollback(st, NULL);
	return rc;
}

tx_err store_peer_list(tx_store *st, struct store_peer **out, size_t *n)
{
	struct store_peer *list = NULL, *q;
	size_t count = 0, cap = 0;
	store_stmt *s = NULL;
	tx_err rc;
	int r;

	if ((rc = store_db_prepare(st, "SELECT " PEER_COLUMNS " FROM peers ORDER BY party",
			     &s, NULL)))
		return rc;
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 4;
			if ((q = realloc(list, cap * sizeof(*q))) == NULL) {
				rc = TX_ERR_NOMEM;
				break;
			}
			list = q;
		}
		read_peer(s, &list[count++]);
	}
	/* a step that failed is not the last row: no list, not a part */
	if (rc == TX_OK && r != STORE_DB_DONE)
		rc = TX_ERR_DB;
	store_db_done(st, s);
	if (rc != TX_OK) {
		free(list);
		return rc;
	}
	*out = list;
	*n = count;
	return TX_OK;
}

tx_err store_peer_find(tx_store *st, const char *party, const char *cert_fp,
		       const char *sign_pk, struct store_peer *p)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "SELECT " PEER_COLUMNS " FROM peers WHERE"
			     " party = ?1 OR cert_fp = ?2 OR sign_pk = ?3", &s,
			     NULL)))
		return rc;
	store_db_bind_text(s, 1, party ? party : "", -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, cert_fp ? cert_fp : "", -1, STORE_DB_STATIC);
	store_db_bind_text(s, 3, sign_pk ? sign_pk : "", -1, STORE_DB_STATIC);
	int r = store_db_step(s);
	if (r == STORE_DB_ROW)
		read_peer(s, p);
	else
		rc = r == STORE_DB_DONE ? TX_ERR_NOTFOUND : TX_ERR_DB;
	store_db_done(st, s);
	return rc;
}

/* The cursor of lane (-1: both) forward to c, n objects delivered;
 * contact: the partner answered (last_ok moves), else the rows were only
 * passed over. from: where the rows began; a cursor moved back behind it
 * meanwhile (a rewind: a partner reinstated, a policy version released
 * to observers) stays where it was put, so the rewound rows go again.
 * holder (NULL: anyone): only while it holds the lease named party; a
 * process that lost it (another took over while its batch flew) moves
 * and counts nothing, so that each batch is counted by one process. */
static tx_err move_cursor(tx_store *st, const char *party, int lane,
			  const char *holder, const struct store_cursor *from,
			  const struct store_cursor *c, int64_t n, int contact)
{
	store_stmt *s = NULL;
	tx_err rc;

	/* A cursor only moves forward: a partner's pull may have moved it
	 * past a batch that was in flight meanwhile. (Every right-hand side
	 * reads the row as it was.) */
#define NOT_BEHIND(A, R) \
	" AND (" A " > ?9 OR (" A " = ?9 AND " R " >= ?10))"
#define FORWARD(A, R) \
	" " R " = CASE WHEN ?7 <> 0 AND (?1 > " A " OR (?1 = " A " AND ?2 > " R "))" \
	NOT_BEHIND(A, R) "  THEN ?2 ELSE " R " END," \
	" " A " = CASE WHEN ?7 <> 0 AND (?1 > " A " OR (?1 = " A " AND ?2 > " R "))" \
	NOT_BEHIND(A, R) "  THEN ?1 ELSE " A " END,"
#define FORWARD_P(A, R) \
	" " R " = CASE WHEN ?8 <> 0 AND (?1 > " A " OR (?1 = " A " AND ?2 > " R "))" \
	NOT_BEHIND(A, R) "  THEN ?2 ELSE " R " END," \
	" " A " = CASE WHEN ?8 <> 0 AND (?1 > " A " OR (?1 = " A " AND ?2 > " R "))" \
	NOT_BEHIND(A, R) "  THEN ?1 ELSE " A " END,"
	/* A batch that left before the partner was suspended, acknowledged
	 * after: it has it, so reinstating need not send it again. */
#define FORWARD_H(A, R, F) \
	" " R " = CASE WHEN " F " <> 0 AND ?3 > 0 AND role = 'suspended' AND" \
	" held_role <> '' AND (?1 > " A " OR (?1 = " A " AND ?2 > " R "))" \
	"  THEN ?2 ELSE " R " END," \
	" " A " = CASE WHEN " F " <> 0 AND ?3 > 0 AND role = 'suspended' AND" \
	" held_role <> '' AND (?1 > " A " OR (?1 = " A " AND ?2 > " R "))" \
	"  THEN ?1 ELSE " A " END,"
	if ((rc = store_db_prepare(st, "UPDATE peers SET"
			     FORWARD_H("held_added", "held_rowid", "?7")
			     FORWARD_H("held_prio_added", "held_prio_rowid", "?8")
			     FORWARD("push_added", "push_rowid")
			     FORWARD_P("prio_added", "prio_rowid")
			     " delivered = delivered + ?3,"
			     " last_ok = CASE WHEN ?6 <> 0 THEN ?4 ELSE last_ok END"
			     " WHERE party = ?5 AND (?11 = '' OR EXISTS (SELECT 1"
			     " FROM leases WHERE name = ?5 AND holder = ?11))",
			     &s, NULL)))
		return rc;
#undef NOT_BEHIND
#undef FORWARD
#undef FORWARD_P
#undef FORWARD_H
	store_db_bind_int64(s, 1, c->date_added);
	store_db_bind_int64(s, 2, c->rowid);
	store_db_bind_int64(s, 3, n);
	store_db_bind_int64(s, 4, tx_time_now_us());
	store_db_bind_text(s, 5, party, -1, STORE_DB_STATIC);
	store_db_bind_int(s, 6, contact != 0);
	store_db_bind_int(s, 7, lane != STORE_LANE_PRIORITY);
	store_db_bind_int(s, 8, lane != STORE_LANE_BULK);
	store_db_bind_int64(s, 9, from->date_added);
	store_db_bind_int64(s, 10, from->rowid);
	store_db_bind_text(s, 11, holder ? holder : "", -1, STORE_DB_STATIC);
	return run_write(st, s, NULL, "delivered");
}

tx_err store_peer_delivered(tx_store *st, const char *party,
			    const struct store_cursor *c, int64_t n)
{
	static const struct store_cursor start = { 0, 0 };

	return move_cursor(st, party, -1, NULL, &start, c, n, 1);
}

tx_err store_peer_passed(tx_store *st, const char *party,
			 const struct store_cursor *c)
{
	static const struct store_cursor start = { 0, 0 };

	return move_cursor(st, party, -1, NULL, &start, c, 0, 0);
}

tx_err store_peer_lane_moved(tx_store *st, const char *party, int lane,
			     const char *holder,
			     const struct store_cursor *from,
			     const struct store_cursor *c, int64_t n,
			     int contact)
{
	if (lane != STORE_LANE_BULK && lane != STORE_LANE_PRIORITY)
		return TX_ERR_INVALID;
	return move_cursor(st, party, lane, holder, from, c, n, contact);
}

tx_err store_peer_repin(tx_store *st, const struct store_peer *p,
			struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "UPDATE peers SET name = ?, url ="
			     " coalesce(nullif(?, ''), url), cert_fp = ?, cert_pem = ?,"
			     " sign_pk = ?, seal_pk = ?, batch_sig = ?, last_error = '',"
			     " last_error_at = 0 WHERE party = ?", &s, err)))
		return rc;
	store_db_bind_text(s, 1, p->name, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, p->url, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 3, p->cert_fp, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 4, p->cert_pem, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 5, p->sign_pk, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 6, p->seal_pk, -1, STORE_DB_STATIC);
	store_db_bind_int(s, 7, p->batch_sig != 0);
	store_db_bind_text(s, 8, p->party, -1, STORE_DB_STATIC);
	if ((rc = run_write(st, s, err, "re-pin partner")) != TX_OK) {
		if (rc == TX_ERR_EXISTS)
			tx_error_set(err, rc, "another partner has that certificate"
				     " or key pinned");
		return rc;
	}
	if (store_db_changes(st) == 0)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no partner %s (peer list)",
				    p->party);
	return TX_OK;
}

tx_err store_peer_set_url(tx_store *st, const char *party, const char *url,
			  struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if (strlen(url) >= STORE_URL_MAX)
		return tx_error_set(err, TX_ERR_INVALID, "url: at most %d"
				    " characters", STORE_URL_MAX - 1);
	/* A new address is a fresh start: the old one's error is not its. */
	if ((rc = store_db_prepare(st, "UPDATE peers SET url = ?, last_error = '',"
			     " last_error_at = 0 WHERE party = ?", &s, err)))
		return rc;
	store_db_bind_text(s, 1, url, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, party, -1, STORE_DB_STATIC);
	if ((rc = run_write(st, s, err, "update partner")) != TX_OK)
		return rc;
	if (store_db_changes(st) == 0)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no partner %s (peer list)",
				    party);
	return TX_OK;
}

tx_err store_peer_lag(tx_store *st, const struct store_peer *p, int64_t *objects,
		      int64_t *oldest_added)
{
	struct store_page pg;
	tx_err rc;

	*objects = 0;
	*oldest_added = 0;
	for (int lane = STORE_LANE_BULK; lane <= STORE_LANE_PRIORITY; lane++) {
		struct store_cursor c = lane == STORE_LANE_BULK ? p->push : p->prio;
		if ((rc = store_query_lane(st, lane, &c, 1, NULL, NULL, &pg,
					   NULL)) != TX_OK)
			return rc;
		if (pg.n == 0)
			continue;
		if (*oldest_added == 0 || pg.first_added < *oldest_added)
			*oldest_added = pg.first_added;
		for (;;) {
			if ((rc = store_query_lane(st, lane, &c, 10000, NULL, NULL,
						   &pg, NULL)) != TX_OK)
				return rc;
			*objects += (int64_t)pg.n;
			if (!pg.more)
				break;
			c = pg.next;
		}
	}
	return TX_OK;
}

tx_err store_peer_failed(tx_store *st, const char *party, const char *error)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "UPDATE peers SET last_error = ?, last_error_at = ?"
			     " WHERE party = ?", &s, NULL)))
		return rc;
	store_db_bind_text(s, 1, error, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 2, tx_time_now_us());
	store_db_bind_text(s, 3, party, -1, STORE_DB_STATIC);
	return run_write(st, s, NULL, "failed");
}

tx_err store_peer_pulled(tx_store *st, const char *party, const char *token,
			 int64_t received, int64_t rejected)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "UPDATE peers SET pull_token = ?, received ="
			     " received + ?, rejected = rejected + ?, last_ok = ?"
			     " WHERE party = ?", &s, NULL)))
		return rc;
	store_db_bind_text(s, 1, token, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 2, received);
	store_db_bind_int64(s, 3, rejected);
	store_db_bind_int64(s, 4, tx_time_now_us());
	store_db_bind_text(s, 5, party, -1, STORE_DB_STATIC);
	return run_write(st, s, NULL, "pulled");
}

tx_err store_peer_count(tx_store *st, const char *party, int64_t received,
			int64_t rejected)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "UPDATE peers SET received = received + ?,"
			     " rejected = rejected + ? WHERE party = ?", &s, NULL)))
		return rc;
	store_db_bind_int64(s, 1, received);
	store_db_bind_int64(s, 2, rejected);
	store_db_bind_text(s, 3, party, -1, STORE_DB_STATIC);
	return run_write(st, s, NULL, "count");
}

/* The outbox rows after ?1/?2, of one lane or of both: each lane's
 * condition names its partial index's terms (objects_own,
 * objects_own_priority) so that SQLite can walk it. */
#define OUTBOX_AFTER " date_added >= ?1 AND (date_added > ?1 OR rowid > ?2)" \
	" AND via IS NULL AND " SQL_NOT_INBOX
static tx_err count_lane(tx_store *st, int lane, const struct store_cursor *c,
			 int64_t *n, int64_t *first)
{
	static const char *const sql[] = {
		"SELECT count(*), min(date_added) FROM objects WHERE" OUTBOX_AFTER
		" AND lane = 0",
		"SELECT count(*), min(date_added) FROM objects WHERE" OUTBOX_AFTER
		" AND lane = 1",
		"SELECT count(*), min(date_added) FROM objects WHERE" OUTBOX_AFTER,
	};
	store_stmt *s = NULL;
	tx_err rc;

	*n = 0;
	*first = 0;
	if ((rc = store_db_prepare(st, sql[lane == STORE_LANE_BULK ? 0 :
					   lane == STORE_LANE_PRIORITY ? 1 : 2],
				   &s, NULL)))
		return rc;
	store_db_bind_int64(s, 1, c->date_added);
	store_db_bind_int64(s, 2, c->rowid);
	if (store_db_step(s) == STORE_DB_ROW) {
		*n = store_db_column_int64(s, 0);
		*first = store_db_column_int64(s, 1);
	} else {
		rc = TX_ERR_DB;
	}
	store_db_done(st, s);
	return rc;
}

tx_err store_count_outgoing(tx_store *st, const struct store_cursor *c,
			    int64_t *n, int64_t *first)
{
	return count_lane(st, -1, c, n, first);
}

tx_err store_peer_backlog(tx_store *st, const struct store_peer *p, int64_t *n,
			  int64_t *first)
{
	int64_t nb = 0, fb = 0, np = 0, fp = 0;
	tx_err rc;

	*n = 0;
	*first = 0;
	if ((rc = count_lane(st, STORE_LANE_BULK, &p->push, &nb, &fb)) != TX_OK ||
	    (rc = count_lane(st, STORE_LANE_PRIORITY, &p->prio, &np, &fp)) != TX_OK)
		return rc;
	*n = nb + np;
	*first = fb == 0 ? fp : fp == 0 ? fb : fb < fp ? fb : fp;
	return TX_OK;
}

tx_err store_query_outgoing(tx_store *st, const struct store_cursor *c,
			    int64_t limit, store_row_fn fn, void *ctx,
			    struct store_page *page, struct tx_error *err)
{
	return store_query_lane(st, -1, c, limit, fn, ctx, page, err);
}

tx_err store_query_lane(tx_store *st, int lane, const struct store_cursor *c,
			int64_t limit, store_row_fn fn, void *ctx,
			struct store_page *page, struct tx_error *err)
{
	static const char *const sql[] = {
		"SELECT rowid, date_added, id, version, spec_version, json, coll"
		" FROM objects WHERE" OUTBOX_AFTER " AND lane = 0 AND " SQL_SHARED
		" ORDER BY date_added, rowid LIMIT ?3",
		"SELECT rowid, date_added, id, version, spec_version, json, coll"
		" FROM objects WHERE" OUTBOX_AFTER " AND lane = 1 AND " SQL_SHARED
		" ORDER BY date_added, rowid LIMIT ?3",
		"SELECT rowid, date_added, id, version, spec_version, json, coll"
		" FROM objects WHERE" OUTBOX_AFTER " AND " SQL_SHARED
		" ORDER BY date_added, rowid LIMIT ?3",
	};
	store_stmt *s = NULL;
	struct store_row row;
	tx_err rc;
	int r;

	memset(page, 0, sizeof(*page));
	if ((rc = store_db_prepare(st, sql[lane == STORE_LANE_BULK ? 0 :
					   lane == STORE_LANE_PRIORITY ? 1 : 2],
				   &s, err)))
		return rc;
	store_db_bind_int64(s, 1, c->date_added);
	store_db_bind_int64(s, 2, c->rowid);
	store_db_bind_int64(s, 3, limit + 1);
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		if ((int64_t)page->n == limit) {
			page->more = 1;
			break;
		}
		row.rowid = store_db_column_int64(s, 0);
		row.date_added = store_db_column_int64(s, 1);
		row.id = (const char *)store_db_column_text(s, 2);
		row.version = (const char *)store_db_column_text(s, 3);
		row.spec_version = (const char *)store_db_column_text(s, 4);
		row.json = (const char *)store_db_column_text(s, 5);
		row.json_len = (size_t)store_db_column_bytes(s, 5);
		row.origin = NULL;
		row.via = NULL;
		row.restricted = 0;
		row.collection_pk = store_db_column_int64(s, 6);
		if (row.id == NULL || row.json == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			break;
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
			break;
		}
		if (page->n == 0)
			page->first_added = row.date_added;
		page->last_added = row.date_added;
		page->next.date_added = row.date_added;
		page->next.rowid = row.rowid;
		page->n++;
	}
	if (rc == TX_OK && r != STORE_DB_ROW && r != STORE_DB_DONE)
		rc = store_db_error(st, err, "outgoing");
	store_db_done(st, s);
	return rc;
}

int64_t store_last_own_added(tx_store *st)
{
	store_stmt *s = NULL;
	int64_t v = 0;

	if (store_db_prepare(st, "SELECT date_added FROM objects WHERE via IS NULL"
		       " ORDER BY date_added DESC LIMIT 1", &s, NULL) != TX_OK)
		return 0;
	if (store_db_step(s) == STORE_DB_ROW)
		v = store_db_column_int64(s, 0);
	store_db_done(st, s);
	return v;
}

int64_t store_last_added(tx_store *st)
{
	store_stmt *s = NULL;
	int64_t v = 0;

	if (store_db_prepare(st, "SELECT last FROM clock", &s, NULL) != TX_OK)
		return 0;
	if (store_db_step(s) == STORE_DB_ROW)
		v = store_db_column_int64(s, 0);
	store_db_done(st, s);
	return v;
}

