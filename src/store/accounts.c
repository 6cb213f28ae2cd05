/* store/accounts.c: users, token hashes, collections and grants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

static tx_err check_name(const char *name, struct tx_error *err)
{
	size_t n = strlen(name);

	if (n == 0 || n >= STORE_NAME_MAX)
		return tx_error_set(err, TX_ERR_INVALID,
				    "user name must be 1 to %d characters",
				    STORE_NAME_MAX - 1);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		      c == '@'))
			return tx_error_set(err, TX_ERR_INVALID,
					    "user name \"%s\": only letters, digits and -_.@",
					    name);
	}
	return TX_OK;
}

/* The columns read_user reads, first in every query of one user. */
#define USER_COLS "u.id, u.name, u.admin, COALESCE(u.peer, ''), u.role," \
	" u.disabled, u.locked"

static enum store_role role_of(const char *name)
{
	enum store_role r = STORE_ROLE_NONE;

	if (name != NULL)
		store_role_parse(name, &r, NULL);
	return r;
}

static void read_user(store_stmt *s, struct store_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = store_db_column_int64(s, 0);
	store_db_column_copy(s, 1, u->name, sizeof(u->name));
	store_db_column_copy(s, 3, u->peer, sizeof(u->peer));
	u->role = role_of((const char *)store_db_column_text(s, 4));
	u->admin = u->role == STORE_ROLE_ADMIN;
	u->disabled = store_db_column_int(s, 5);
	u->locked = store_db_column_int(s, 6);
}

tx_err store_accounts_insert(tx_store *st, const char *name, const char *pwhash,
		       enum store_role role, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = check_name(name, err)) != TX_OK)
		return rc;
	if (store_role_name(role) == NULL)
		return tx_error_set(err, TX_ERR_INVALID, "user \"%s\": no role",
				    name);
	/* Names differ in more than case: "alice" and "ALICE" are one user.
	 * (The UNIQUE constraint on name compares them as bytes.) */
	if ((rc = store_db_prepare(st, "SELECT 1 FROM users WHERE name = ?"
			     " COLLATE NOCASE", &s, err)) != TX_OK)
		return rc;
	store_db_bind_text(s, 1, name, -1, STORE_DB_STATIC);
	if (store_db_step(s) == STORE_DB_ROW)
		rc = tx_error_set(err, TX_ERR_EXISTS, "user \"%s\" already exists",
				  name);
	store_db_done(st, s);
	if (rc != TX_OK)
		return rc;
	if ((rc = store_db_prepare(st, "INSERT INTO users(name, pwhash, admin, created,"
			     " role) VALUES (?, ?, ?, ?, ?)", &s, err)) != TX_OK)
		return rc;
	store_db_bind_text(s, 1, name, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, pwhash, -1, STORE_DB_STATIC);
	store_db_bind_int(s, 3, role == STORE_ROLE_ADMIN);
	store_db_bind_int64(s, 4, tx_time_now_us());
	store_db_bind_text(s, 5, store_role_name(role), -1, STORE_DB_STATIC);
	if (store_db_step(s) != STORE_DB_DONE) {
		rc = store_db_error(st, err, "add user");
		if (rc == TX_ERR_EXISTS)
			tx_error_set(err, rc, "user \"%s\" already exists", name);
	}
	store_db_done(st, s);
	return rc;
}

tx_err store_user_add_role(tx_store *st, const char *name, const char *pwhash,
			   enum store_role role, struct tx_error *err)
{
	char folded[STORE_NAME_MAX];
	size_t n = strlen(name);
	tx_err rc;

	if ((rc = check_name(name, err)) != TX_OK)
		return rc;
	for (size_t i = 0; i <= n; i++)
		folded[i] = (name[i] >= 'A' && name[i] <= 'Z') ?
			    (char)(name[i] - 'A' + 'a') : name[i];
	/* Partner accounts are "peer-<PARTY>"; a user holding such a name
	 * would stop `trilex peer add` of that party later. */
	if (strncmp(folded, STORE_PEER_PREFIX, strlen(STORE_PEER_PREFIX)) == 0)
		return tx_error_set(err, TX_ERR_INVALID,
				    "user name \"%s\": names beginning with \""
				    STORE_PEER_PREFIX "\" are reserved for partner"
				    " accounts (made by trilex peer add)", name);
	if (strncmp(folded, STORE_KEY_PREFIX, strlen(STORE_KEY_PREFIX)) == 0)
		return tx_error_set(err, TX_ERR_INVALID,
				    "user name \"%s\": names beginning with \""
				    STORE_KEY_PREFIX "\" are reserved for API keys"
				    " (made by trilex key create)", name);
	return store_accounts_insert(st, folded, pwhash, role, err);
}

tx_err store_user_add(tx_store *st, const char *name, const char *pwhash,
		      int admin, struct tx_error *err)
{
	return store_user_add_role(st, name, pwhash, admin ? STORE_ROLE_ADMIN :
				   STORE_ROLE_ANALYST, err);
}

tx_err store_user_get(tx_store *st, const char *name, struct store_user *u,
		      char *pwhash, size_t pwhash_size)
{
	store_stmt *s = NULL;
	tx_err rc;

	/* Case-blind, and an exact match first: two accounts made before
	 * names were folded may differ only in case, and each keeps its own
	 * password. */
	if ((rc = store_db_prepare(st, "SELECT " USER_COLS ", u.pwhash FROM users u"
			     " WHERE u.name = ?1 COLLATE NOCASE"
			     " ORDER BY u.name = ?1 DESC LIMIT 1",
			     &s, NULL)) != TX_OK)
		return rc;
	store_db_bind_text(s, 1, name, -1, STORE_DB_STATIC);
	if (store_db_step(s) == STORE_DB_ROW) {
		read_user(s, u);
		if (pwhash != NULL)
			store_db_column_copy(s, 7, pwhash, pwhash_size);
	} else {
		rc = TX_ERR_NOTFOUND;
	}
	store_db_done(st, s);
	return rc;
}

tx_err store_user_get_id(tx_store *st, int64_t id, struct store_user *u,
			 char *pwhash, size_t pwhash_size)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "SELECT " USER_COLS ", u.pwhash FROM users u"
			     " WHERE u.id = ?", &s, NULL)) != TX_OK)
		return rc;
	store_db_bind_int64(s, 1, id);
	int r = store_db_step(s);
	if (r == STORE_DB_ROW) {
		read_user(s, u);
		if (pwhash != NULL)
			store_db_column_copy(s, 7, pwhash, pwhash_size);
	} else {
		rc = r == STORE_DB_DONE ? TX_ERR_NOTFOUND : TX_ERR_DB;
	}
	store_db_done(st, s);
	return rc;
}

/* Look a user up for a change made by an administrator: this node's users
 * only (partner accounts change with `trilex peer`). */
static tx_err user_for_change(tx_store *st, const char *name,
			      struct store_user *u, struct tx_error *err)
{
	if (store_user_get(st, name, u, NULL, 0) != TX_OK)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no user \"%s\"", name);
	if (u->peer[0] != '\0')
		return tx_error_set(err, TX_ERR_DENIED, "\"%s\" is the account of"
				    " partner %s: use trilex peer remove", u->name,
				    u->peer);
	return TX_OK;
}

/* Run an UPDATE/DELETE of one user, id bound last (after n_text texts and
 * one optional integer). */
static tx_err user_write(tx_store *st, const char *sql, const char *text,
			 int has_int, int64_t v, int64_t id, const char *what,
			 struct tx_error *err)
{
	store_stmt *s = NULL;
	int i = 1;
	tx_err rc;

	if ((rc = store_db_prepare(st, sql, &s, err)) != TX_OK)
		return rc;
	if (text != NULL)
		store_db_bind_text(s, i++, text, -1, STORE_DB_STATIC);
	if (has_int)
		store_db_bind_int64(s, i++, v);
	store_db_bind_int64(s, i, id);
	store_db_write_lock();
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, what);
	store_db_write_unlock();
	store_db_done(st, s);
	return rc;
}

tx_err store_user_set_locked(tx_store *st, const char *name, int locked,
			     struct tx_error *err)
{
	struct store_user u;

	if (store_user_get(st, name, &u, NULL, 0) != TX_OK)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no user \"%s\"", name);
	return user_write(st, "UPDATE users SET locked = ? WHERE id = ?", NULL, 1,
			  locked ? 1 : 0, u.id, "lock user", err);
}

tx_err store_user_set_disabled(tx_store *st, const char *name, int disabled,
			       struct tx_error *err)
{
	struct store_user u;
	tx_err rc;

	if ((rc = user_for_change(st, name, &u, err)) != TX_OK)
		return rc;
	return user_write(st, "UPDATE users SET disabled = ? WHERE id = ?", NULL,
			  1, disabled ? 1 : 0, u.id, "disable user", err);
}

tx_err store_user_set_password(tx_store *st, const char *name,
			       const char *pwhash, struct tx_error *err)
{
	struct store_user u;
	tx_err rc;

	if ((rc = user_for_change(st, name, &u, err)) != TX_OK)
		return rc;
	return user_write(st, "UPDATE users SET pwhash = ? WHERE id = ?", pwhash,
			  0, 0, u.id, "change password", err);
}

tx_err store_user_set_role(tx_store *st, const char *name, enum store_role role,
			   struct tx_error *err)
{
	struct store_user u;
	tx_err rc;

	if (store_role_name(role) == NULL)
		return tx_error_set(err, TX_ERR_INVALID, "no such role");
	if ((rc = user_for_change(st, name, &u, err)) != TX_OK)
		return rc;
	return user_write(st, "UPDATE users SET role = ?, admin = ? WHERE id = ?",
			  store_role_name(role), 1, role == STORE_ROLE_ADMIN, u.id,
			  "set role", err);
}

tx_err store_user_remove(tx_store *st, const char *name, struct tx_error *err)
{
	struct store_user u;
	tx_err rc;

	if ((rc = user_for_change(st, name, &u, err)) != TX_OK)
		return rc;
	/* Its tokens and grants go with it (ON DELETE CASCADE). */
	return user_write(st, "DELETE FROM users WHERE id = ?", NULL, 0, 0, u.id,
			  "remove user", err);
}

tx_err store_user_list(tx_store *st, struct store_user_info **out, size_t *n)
{
	struct store_user_info *list = NULL, *p;
	size_t count = 0, cap = 0;
	store_stmt *s = NULL;
	tx_err rc;
	int r;

	if ((rc = store_db_prepare(st, "SELECT " USER_COLS ", u.created,"
			     " (SELECT count(*) FROM tokens t WHERE t.user_id = u.id)"
			     " FROM users u ORDER BY u.name", &s, NULL)) != TX_OK)
		return rc;
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = realloc(list, cap * sizeof(*list))) == NULL) {
				rc = TX_ERR_NOMEM;
				goto out;
			}
			list = p;
		}
		read_user(s, &list[count].user);
		list[count].created = store_db_column_int64(s, 7);
		list[count].n_tokens = store_db_column_int64(s, 8);
		count++;
	}
	if (r != STORE_DB_DONE)
		rc = TX_ERR_DB;
out:
	store_db_done(st, s);
	if (rc != TX_OK) {
		free(list);
		return rc;
	}
	*out = list;
	*n = count;
	return TX_OK;
}

/* ---- tokens ---- */

static tx_err check_token_name(const char *name, struct tx_error *err)
{
	size_t n = strlen(name);

	if (n == 0 || n >= STORE_NAME_MAX)
		return tx_error_set(err, TX_ERR_INVALID, "token name must be 1 to"
				    " %d characters", STORE_NAME_MAX - 1);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return tx_error_set(err, TX_ERR_INVALID, "token name"
					    " \"%s\": only letters, digits and -_.",
					    name);
	}
	return TX_OK;
}

tx_err store_token_add_named(tx_store *st, const char *user,
			     const char *token_hash, const char *name,
			     int64_t expires, struct tx_error *err)
{
	char auto_name[STORE_NAME_MAX];
	struct store_user u;
	store_stmt *s = NULL;
	tx_err rc;

	if (store_user_get(st, user, &u, NULL, 0) != TX_OK)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no user \"%s\"", user);
	if (name == NULL || *name == '\0') {
		/* Unnamed: named by the start of its hash (never the token). */
		snprintf(auto_name, sizeof(auto_name), "token-%.8s", token_hash);
		name = auto_name;
	}
	if ((rc = check_token_name(name, err)) != TX_OK)
		return rc;
	if ((rc = store_db_prepare(st, "INSERT INTO tokens(hash, user_id, created, name,"
			     " expires) VALUES (?, ?, ?, ?, ?)", &s, err)) != TX_OK)
		return rc;
	store_db_bind_text(s, 1, token_hash, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 2, u.id);
	store_db_bind_int64(s, 3, tx_time_now_us());
	store_db_bind_text(s, 4, name, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 5, expires > 0 ? expires : 0);
	if (store_db_step(s) != STORE_DB_DONE) {
		rc = store_db_error(st, err, "add token");
		if (rc == TX_ERR_EXISTS)
			tx_error_set(err, rc, "user %s already has a token named"
				     " \"%s\"", u.name, name);
	}
	store_db_done(st, s);
	return rc;
}

tx_err store_token_add(tx_store *st, const char *user, const char *token_hash,
		       struct tx_error *err)
{
	return store_token_add_named(st, user, token_hash, NULL, 0, err);
}

tx_err store_token_revoke(tx_store *st, const char *user, const char *name,
			  struct tx_error *err)
{
	struct store_user u;
	store_stmt *s = NULL;
	tx_err rc;

	if (store_user_get(st, user, &u, NULL, 0) != TX_OK)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no user \"%s\"", user);
	if ((rc = store_db_prepare(st, "DELETE FROM tokens WHERE user_id = ? AND name = ?",
			     &s, err)) != TX_OK)
		return rc;
	store_db_bind_int64(s, 1, u.id);
	store_db_bind_text(s, 2, name, -1, STORE_DB_STATIC);
	store_db_write_lock();
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "revoke token");
	else if (store_db_changes(st) == 0)
		rc = tx_error_set(err, TX_ERR_NOTFOUND, "user %s has no token named"
				  " \"%s\" (trilex token list)", u.name, name);
	store_db_write_unlock();
	store_db_done(st, s);
	return rc;
}

tx_err store_token_list(tx_store *st, const char *user,
			struct store_token_info **out, size_t *n)
{
	struct store_token_info *list = NULL, *p;
	size_t count = 0, cap = 0;
	store_stmt *s = NULL;
	tx_err rc;
	int r;

	if ((rc = store_db_prepare(st, "SELECT u.name, t.name, t.created, t.last_used,"
			     " t.expires FROM tokens t JOIN users u ON u.id = t.user_id"
			     " WHERE ?1 IS NULL OR u.name = ?1 COLLATE NOCASE"
			     " ORDER BY u.name, t.created", &s, NULL)) != TX_OK)
		return rc;
	if (user != NULL)
		store_db_bind_text(s, 1, user, -1, STORE_DB_STATIC);
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = realloc(list, cap * sizeof(*list))) == NULL) {
				rc = TX_ERR_NOMEM;
				goto out;
			}
			list = p;
		}
		store_db_column_copy(s, 0, list[count].user, sizeof(list[count].user));
		store_db_column_copy(s, 1, list[count].name, sizeof(list[count].name));
		list[count].created = store_db_column_int64(s, 2);
		list[count].last_used = store_db_column_int64(s, 3);
		list[count].expires = store_db_column_int64(s, 4);
		count++;
	}
	if (r != STORE_DB_DONE)
		rc = TX_ERR_DB;
out:
	store_db_done(st, s);
	if (rc != TX_OK) {
		free(list);
		return rc;
	}
	*out = list;
	*n = count;
	return TX_OK;
}

/* How stale a token's last use may be before it is written again: one
 * write per token and minute, not one per request. */
#define LAST_USED_STEP_US (60LL * 1000000)

tx_err store_user_by_token(tx_store *st, const char *token_hash,
			   struct store_user *u, int *first, char *name)
{
	store_stmt *s = NULL;
	int64_t now = tx_time_now_us(), last_used = 0;
	tx_err rc;

	if (first != NULL)
		*first = 0;
	/* A disabled account's tokens and an expired token open nothing. */
	if ((rc = store_db_prepare(st, "SELECT " USER_COLS ", t.last_used, t.name FROM tokens t"
			     " JOIN users u ON u.id = t.user_id WHERE t.hash = ?"
			     " AND u.disabled = 0 AND (t.expires = 0 OR t.expires > ?)",
			     &s, NULL)) != TX_OK)
		return rc;
	store_db_bind_text(s, 1, token_hash, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 2, now);
	if (store_db_step(s) == STORE_DB_ROW) {
		read_user(s, u);
		last_used = store_db_column_int64(s, 7);
		if (name != NULL)
			store_db_column_copy(s, 8, name, STORE_NAME_MAX);
	} else {
		rc = TX_ERR_NOTFOUND;
	}
	store_db_done(st, s);
	if (rc == TX_OK && now - last_used >= LAST_USED_STEP_US &&
	    store_db_prepare(st, "UPDATE tokens SET last_used = ?1 WHERE hash = ?2"
		       " AND last_used <= ?1 - ?3", &s, NULL) == TX_OK) {
		store_db_bind_int64(s, 1, now);
		store_db_bind_text(s, 2, token_hash, -1, STORE_DB_STATIC);
		store_db_bind_int64(s, 3, LAST_USED_STEP_US);
		store_db_write_lock();
		/* a busy database only delays the record; of requests at once,
		 * the one whose update changed the row is the sign-in */
		if (store_db_step(s) == STORE_DB_DONE && first != NULL)
			*first = store_db_changes(st) > 0;
		store_db_write_unlock();
		store_db_done(st, s);
	}
	return rc;
}

static tx_err check_len(const char *what, const char *v, size_t max,
			int required, struct tx_error *err)
{
	size_t n = v ? strlen(v) : 0;

	if ((required && n == 0) || n >= max)
		return tx_error_set(err, TX_ERR_INVALID,
				    "%s must be %d to %zu characters", what,
				    required ? 1 : 0, max - 1);
	return TX_OK;
}

/* Insert a collection row; with ensure, an existing alias is no error and
 * nothing is inserted (one statement, so racing writers agree). */
static tx_err insert_collection(tx_store *st, const char *title,
				const char *description, const char *alias,
				int ensure, char id_out[TX_UUID_BUF],
				struct tx_error *err)
{
	struct store_collection c;
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = check_len("title", title, sizeof(c.title), 1, err)) ||
	    (rc = check_len("description", description, sizeof(c.description), 0,
			    err)) ||
	    (rc = check_len("alias", alias, sizeof(c.alias), ensure, err)))
		return rc;
	if (alias != NULL && *alias != '\0' && tx_uuid_valid(alias, strlen(alias)))
		return tx_error_set(err, TX_ERR_INVALID,
				    "alias must not look like a collection id");
	if ((rc = store_db_prepare(st, ensure ?
			     /* made by trilex for shared work: shared (a
			      * partner's inbox never leaves: store/sharing.c) */
			     "INSERT INTO collections(id, title, description, alias,"
			     " created, share) VALUES (?, ?, ?, ?, ?, CASE WHEN"
			     " substr(?4, 1, 6) = 'inbox-' THEN 'local' ELSE"
			     " 'partners' END) ON CONFLICT(alias) DO NOTHING" :
			     "INSERT INTO collections(id, title, description, alias,"
			     " created) VALUES (?, ?, ?, ?, ?)", &s, err)))
		return rc;
	tx_uuid4(id_out);
	store_db_bind_text(s, 1, id_out, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, title, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 3, description ? description : "", -1, STORE_DB_STATIC);
	if (alias != NULL && *alias != '\0')
		store_db_bind_text(s, 4, alias, -1, STORE_DB_STATIC);
	else
		store_db_bind_null(s, 4);
	store_db_bind_int64(s, 5, tx_time_now_us());
	if (store_db_step(s) != STORE_DB_DONE) {
		rc = store_db_error(st, err, "add collection");
		if (rc == TX_ERR_EXISTS)
			tx_error_set(err, rc, "alias \"%s\" is already taken", alias);
	}
	store_db_done(st, s);
	return rc;
}

tx_err store_collection_add(tx_store *st, const char *title,
			    const char *description, const char *alias,
			    char id_out[TX_UUID_BUF], struct tx_error *err)
{
	return insert_collection(st, title, description, alias, 0, id_out, err);
}

tx_err store_collection_ensure(tx_store *st, const char *title,
			       const char *description, const char *alias,
			       struct store_collection *c, struct tx_error *err)
{
	struct store_user admin = { .admin = 1 };
	char id[TX_UUID_BUF];
	tx_err rc;

	if (alias == NULL || *alias == '\0')
		return tx_error_set(err, TX_ERR_INVALID,
				    "a collection made when missing needs an alias");
	if (store_collection_get(st, &admin, alias, c) == TX_OK)
		return TX_OK;
	/* Of two writers (processes or threads) that both found it missing,
	 * the second inserts nothing and reads the first's. */
	if ((rc = insert_collection(st, title, description, alias, 1, id, err)))
		return rc;
	if (store_collection_get(st, &admin, alias, c) != TX_OK)
		return tx_error_set(err, TX_ERR_INTERNAL,
				    "collection \"%s\" vanished after it was made",
				    alias);
	return TX_OK;
}

static int64_t collection_pk(tx_store *st, const char *id)
{
	store_stmt *s = NULL;
	int64_t pk = 0;

	if (store_db_prepare_v2(st, "SELECT pk FROM collections WHERE id = ?1"
			       " OR alias = ?1", -1, &s, NULL) != STORE_DB_OK)
		return 0;
	store_db_bind_text(s, 1, id, -1, STORE_DB_STATIC);
	if (store_db_step(s) == STORE_DB_ROW)
		pk = store_db_column_int64(s, 0);
	store_db_done(st, s);
	return pk;
}

tx_err store_grant(tx_store *st, const char *user, const char *collection,
		   int can_read, int can_write, struct tx_error *err)
{
	struct store_user u;
	store_stmt *s = NULL;
	int64_t pk;
	tx_err rc;

	if (store_user_get(st, user, &u, NULL, 0) != TX_OK)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no user \"%s\"", user);
	if ((pk = collection_pk(st, collection)) == 0)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no collection \"%s\"",
				    collection);
	if ((rc = store_db_prepare(st, "INSERT INTO grants(user_id, coll,"
			     " can_read, can_write) VALUES (?, ?, ?, ?)"
			     " ON CONFLICT(user_id, coll) DO UPDATE SET"
			     " can_read = excluded.can_read,"
			     " can_write = excluded.can_write", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, u.id);
	store_db_bind_int64(s, 2, pk);
	store_db_bind_int(s, 3, can_read ? 1 : 0);
	store_db_bind_int(s, 4, can_write ? 1 : 0);
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "grant");
	store_db_done(st, s);
	return rc;
}

tx_err store_grant_revoke(tx_store *st, const char *user,
			  const char *collection, struct tx_error *err)
{
	struct store_user u;
	store_stmt *s = NULL;
	int64_t pk;
	tx_err rc;

	if (store_user_get(st, user, &u, NULL, 0) != TX_OK)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no user \"%s\"", user);
	if ((pk = collection_pk(st, collection)) == 0)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no collection \"%s\"",
				    collection);
	if ((rc = store_db_prepare(st, "DELETE FROM grants WHERE user_id = ? AND coll = ?",
			     &s, err)))
		return rc;
	store_db_bind_int64(s, 1, u.id);
	store_db_bind_int64(s, 2, pk);
	store_db_write_lock();
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "revoke grant");
	else if (store_db_changes(st) == 0)
		rc = tx_error_set(err, TX_ERR_NOTFOUND, "user %s has no grant on"
				  " collection %s", u.name, collection);
	store_db_write_unlock();
	store_db_done(st, s);
	return rc;
}

/* Collections with u's rights: admins get all with read and write. */
#define COLLECTION_SELECT \
	"SELECT c.pk, c.id, c.title, c.description, COALESCE(c.alias, '')," \
	" CASE WHEN ?1 <> 0 THEN 1 ELSE COALESCE(g.can_read, 0) END," \
	" CASE WHEN ?1 <> 0 THEN 1 ELSE COALESCE(g.can_write, 0) END" \
	" FROM collections c LEFT JOIN grants g" \
	"  ON g.coll = c.pk AND g.user_id = ?2" \
	" WHERE (?1 <> 0 OR g.can_read <> 0 OR g.can_write <> 0)"

static void read_collection(store_stmt *s, const struct store_user *u,
			    struct store_collection *c)
{
	c->pk = store_db_column_int64(s, 0);
	store_db_column_copy(s, 1, c->id, sizeof(c->id));
	store_db_column_copy(s, 2, c->title, sizeof(c->title));
	store_db_column_copy(s, 3, c->description, sizeof(c->description));
	store_db_column_copy(s, 4, c->alias, sizeof(c->alias));
	/* A grant gives what the role allows, no more. */
	c->can_read = store_db_column_int(s, 5) && store_user_may(u, TX_RIGHT_READ);
	c->can_write = store_db_column_int(s, 6) &&
		       store_user_may(u, TX_RIGHT_WRITE);
}

tx_err store_collection_get(tx_store *st, const struct store_user *u,
			    const char *id, struct store_collection *c)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, COLLECTION_SELECT " AND (c.id = ?3 OR c.alias = ?3)",
			     &s, NULL)) != TX_OK)
		return rc;
	store_db_bind_int(s, 1, store_user_may(u, TX_RIGHT_ALL_COLLECTIONS));
	store_db_bind_int64(s, 2, u->id);
	store_db_bind_text(s, 3, id, -1, STORE_DB_STATIC);
	if (store_db_step(s) == STORE_DB_ROW)
		read_collection(s, u, c);
	else
		rc = TX_ERR_NOTFOUND;
	store_db_done(st, s);
	return rc;
}

tx_err store_collection_list(tx_store *st, const struct store_user *u,
			     struct store_collection **out, size_t *n)
{
	struct store_collection *list = NULL, *p;
	size_t count = 0, cap = 0;
	store_stmt *s = NULL;
	tx_err rc;
	int r;

	if ((rc = store_db_prepare(st, COLLECTION_SELECT " ORDER BY c.pk", &s, NULL)))
		return rc;
	store_db_bind_int(s, 1, store_user_may(u, TX_RIGHT_ALL_COLLECTIONS));
	store_db_bind_int64(s, 2, u->id);
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			if ((p = realloc(list, cap * sizeof(*list))) == NULL) {
				rc = TX_ERR_NOMEM;
				goto out;
			}
			list = p;
		}
		read_collection(s, u, &list[count++]);
	}
	if (r != STORE_DB_DONE)
		rc = TX_ERR_DB;
out:
	store_db_done(st, s);
	if (rc != TX_OK) {
		free(list);
		return rc;
	}
	*out = list;
	*n = count;
	return TX_OK;
}

/* ---- read-only API keys ---- */

int store_user_is_key(const struct store_user *u)
{
	return u->peer[0] == '\0' &&
	       strncmp(u->name, STORE_KEY_PREFIX, strlen(STORE_KEY_PREFIX)) == 0;
}

tx_err store_key_add(tx_store *st, const char *name, const char *key_hash,
		     const char *const *collections, size_t n_collections,
		     int64_t expires, struct tx_error *err)
{
	char account[STORE_NAME_MAX];
	struct store_user u;
	tx_err rc;

	if (n_collections == 0)
		return tx_error_set(err, TX_ERR_INVALID, "a key needs at least one"
				    " collection");
	if (strlen(name) + strlen(STORE_KEY_PREFIX) >= sizeof(account) ||
	    (rc = check_token_name(name, err)) != TX_OK)
		return tx_error_set(err, TX_ERR_INVALID, "key name \"%.64s\": 1 to"
				    " %zu letters, digits and -_.", name,
				    sizeof(account) - strlen(STORE_KEY_PREFIX) - 1);
	for (size_t i = 0; i < n_collections; i++)
		if (collection_pk(st, collections[i]) == 0)
			return tx_error_set(err, TX_ERR_NOTFOUND, "no collection"
					    " \"%s\"", collections[i]);
	snprintf(account, sizeof(account), STORE_KEY_PREFIX "%s", name);
	for (char *p = account; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (store_user_get(st, account, &u, NULL, 0) == TX_OK)
		return tx_error_set(err, TX_ERR_EXISTS, "a key named \"%s\" exists"
				    " (trilex key list)", name);
	/* "!" is no Argon2 hash: no password opens the account */
	if ((rc = store_accounts_insert(st, account, "!", STORE_ROLE_READER, err)))
		return rc;
	for (size_t i = 0; i < n_collections && rc == TX_OK; i++)
		rc = store_grant(st, account, collections[i], 1, 0, err);
	if (rc == TX_OK)
		rc = store_token_add_named(st, account, key_hash, "key", expires, err);
	if (rc != TX_OK)
		store_user_remove(st, account, NULL); /* leave nothing half made */
	return rc;
}

tx_err store_key_remove(tx_store *st, const char *name, struct tx_error *err)
{
	char account[STORE_NAME_MAX];
	struct store_user u;

	snprintf(account, sizeof(account), STORE_KEY_PREFIX "%s", name);
	if (store_user_get(st, account, &u, NULL, 0) != TX_OK || !store_user_is_key(&u))
		return tx_error_set(err, TX_ERR_NOTFOUND, "no key \"%s\" (trilex key"
				    " list)", name);
	return store_user_remove(st, u.name, err);
}

tx_err store_key_list(tx_store *st, struct store_key_info **out, size_t *n)
{
	struct store_key_info *list = NULL, *p;
	size_t count = 0, cap = 0;
	store_stmt *s = NULL;
	tx_err rc;
	int r;

	if ((rc = store_db_prepare(st, "SELECT substr(u.name, ?1), u.created,"
			     " COALESCE(t.last_used, 0), COALESCE(t.expires, 0),"
			     " (SELECT group_concat(COALESCE(c.alias, c.id), ',')"
			     "  FROM grants g JOIN collections c ON c.pk = g.coll"
			     "  WHERE g.user_id = u.id)"
			     " FROM users u LEFT JOIN tokens t ON t.user_id = u.id"
			     " WHERE u.peer IS NULL AND substr(u.name, 1, ?2) = ?3"
			     " ORDER BY u.name", &s, NULL)) != TX_OK)
		return rc;
	store_db_bind_int(s, 1, (int)strlen(STORE_KEY_PREFIX) + 1);
	store_db_bind_int(s, 2, (int)strlen(STORE_KEY_PREFIX));
	store_db_bind_text(s, 3, STORE_KEY_PREFIX, -1, STORE_DB_STATIC);
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = realloc(list, cap * sizeof(*list))) == NULL) {
				rc = TX_ERR_NOMEM;
				goto out;
			}
			list = p;
		}
		store_db_column_copy(s, 0, list[count].name, sizeof(list[count].name));
		list[count].created = store_db_column_int64(s, 1);
		list[count].last_used = store_db_column_int64(s, 2);
		list[count].expires = store_db_column_int64(s, 3);
		store_db_column_copy(s, 4, list[count].collections,
			       sizeof(list[count].collections));
		count++;
	}
	if (r != STORE_DB_DONE)
		rc = TX_ERR_DB;
out:
	store_db_done(st, s);
	if (rc != TX_OK) {
		free(list);
		return rc;
	}
	*out = list;
	*n = count;
	return TX_OK;
}
