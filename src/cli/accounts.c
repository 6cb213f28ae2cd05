/* cli/accounts.c: users, tokens, collections and grants. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "crypto/crypto.h"

/*
 * The password policy of `user add`: 8 characters or more, not one
 * character repeated, not the user's name, not one of the commonest
 * passwords (data/common-passwords.txt, compared without case). NULL
 * when pw passes, else why not.
 */
static const char *password_refused(const char *pw, const char *name)
{
	size_t n = strlen(pw);

	if (n < 8)
		return "the password must have at least 8 characters";
	if (strspn(pw, (char[]){ pw[0], '\0' }) == n)
		return "the password is one character repeated; choose another";
	if (strcasecmp(pw, name) == 0)
		return "the password is the user name; choose another";
	for (size_t i = 0; cli_common_passwords[i] != NULL; i++)
		if (strcasecmp(pw, cli_common_passwords[i]) == 0)
			return "the password is one of the commonest passwords"
			       " (data/common-passwords.txt); choose another";
	return NULL;
}

/*
 * Read a password from standard input, check it against the policy for
 * user name and hash it into hash. 0, or 1 after saying why not.
 */
static int read_password(const char *name, char hash[CRYPTO_PWHASH_BUF])
{
	char pw[1024];
	const char *why;

	if (cli_read_secret(pw, sizeof(pw)) != 0)
		return cli_fail("--password-stdin: no password (or over %zu bytes)"
				" on standard input", sizeof(pw) - 1);
	if ((why = password_refused(pw, name)) != NULL) {
		sodium_memzero(pw, sizeof(pw));
		return cli_fail("%s", why);
	}
	if (crypto_password_hash(pw, strlen(pw), hash) != TX_OK) {
		sodium_memzero(pw, sizeof(pw));
		return cli_fail("cannot hash the password (out of memory?)");
	}
	sodium_memzero(pw, sizeof(pw));
	return 0;
}

static const struct cli_opt user_add_opts[] = {
	{ "name", "NAME", CLI_REQ, "the user name (stored lower-cased)" },
	{ "password-stdin", NULL, CLI_REQ, "read the password from standard"
	  " input (one line)" },
	{ "role", "ROLE", 0, "reader, analyst (the default), duty-officer or"
	  " admin (trilex role list)" },
	{ "admin", NULL, 0, "the same as --role admin" },
	{ 0 },
};

static int user_add_run(const struct cli_args *a)
{
	const char *dir = a->dir, *name = cli_opt(a, "name");
	const char *role_name = cli_opt(a, "role");
	char hash[CRYPTO_PWHASH_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	enum store_role role = STORE_ROLE_ANALYST;
	tx_store *st = NULL;
	int rc = 1;

	if (role_name != NULL && store_role_parse(role_name, &role, &err) != TX_OK)
		return cli_fail("--role: %s", err.msg);
	if (cli_flag(a, "admin")) {
		if (role_name != NULL && role != STORE_ROLE_ADMIN)
			return cli_fail("--admin and --role %s contradict each"
					" other", role_name);
		role = STORE_ROLE_ADMIN;
	}
	if (read_password(name, hash) != 0)
		return 1;
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (store_user_add_role(st, name, hash, role, &err) != TX_OK) {
		cli_fail("%s", err.msg);
	} else {
		/* Names are stored lower-cased; say which one was made. */
		struct store_user u;
		const char *made = store_user_get(st, name, &u, NULL, 0) == TX_OK ?
				   u.name : name;
		printf("user %s added (%s)\n", made, store_role_name(role));
		rc = cli_audit(st, "user.add", made, "role %s",
			       store_role_name(role));
	}
	sodium_memzero(hash, sizeof(hash));
	store_close(st);
	return rc;
}

const struct cmd cmd_user_add = {
	.name = "user add",
	.summary = "add an account; the password is read from standard input",
	.opts = user_add_opts,
	.flags = CMD_DIR,
	.main = user_add_run,
};

static const struct cli_opt name_opt[] = {
	{ "name", "NAME", CLI_REQ, "the user name" },
	{ 0 },
};

static int user_unlock_run(const struct cli_args *a)
{
	const char *dir = a->dir, *name = cli_opt(a, "name");
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct store_user u;
	tx_store *st = NULL;
	int rc = 1;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (store_user_get(st, name, &u, NULL, 0) != TX_OK)
		cli_fail("no user \"%s\"", name);
	else if (store_user_set_locked(st, name, 0, &err) != TX_OK)
		cli_fail("%s", err.msg);
	else
		printf("user %s unlocked%s\n", u.name,
		       u.locked ? "" : " (it was not locked)"),
		rc = cli_audit(st, "user.unlock", u.name, NULL);
	store_close(st);
	return rc;
}

const struct cmd cmd_user_unlock = {
	.name = "user unlock",
	.summary = "let a user locked after failed passwords log in again",
	.opts = name_opt,
	.flags = CMD_DIR,
	.main = user_unlock_run,
};

static int user_list_run(const struct cli_args *a)
{
	struct store_user_info *list = NULL;
	struct tx_config cfg;
	tx_store *st = NULL;
	size_t n = 0;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_user_list(st, &list, &n) != TX_OK) {
		store_close(st);
		return cli_fail("cannot list users");
	}
	printf("%-24s %-13s %-9s %-20s %s\n", "NAME", "ROLE", "STATE", "CREATED",
	       "TOKENS");
	for (size_t i = 0; i < n; i++) {
		const struct store_user *u = &list[i].user;
		char when[TX_TIME_BUF];
		tx_time_format(list[i].created, when);
		when[19] = '\0'; /* to the second */
		printf("%-24s %-13s %-9s %-20s %lld\n", u->name,
		       u->peer[0] ? "partner" : store_role_name(u->role) ?
		       store_role_name(u->role) : "-",
		       u->disabled ? "disabled" : u->locked ? "locked" : "active",
		       when, (long long)list[i].n_tokens);
	}
	free(list);
	store_close(st);
	return 0;
}

const struct cmd cmd_user_list = {
	.name = "user list",
	.summary = "list accounts: name, role, state, created, tokens",
	.flags = CMD_DIR,
	.main = user_list_run,
};

/* The user commands that take only --name: what they do to the store. */
enum user_change { USER_REMOVE, USER_DISABLE, USER_ENABLE };

static int user_change(const struct cli_args *a, enum user_change what)
{
	const char *name = cli_opt(a, "name");
	static const char *const done[] = { "removed", "disabled", "enabled" };
	static const char *const actions[] = { "user.remove", "user.disable",
					       "user.enable" };
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct store_user u;
	tx_store *st = NULL;
	tx_err r;
	int rc = 1;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_user_get(st, name, &u, NULL, 0) != TX_OK) {
		store_close(st);
		return cli_fail("no user \"%s\" (trilex user list)", name);
	}
	if (what == USER_REMOVE)
		r = store_user_remove(st, u.name, &err);
	else
		r = store_user_set_disabled(st, u.name, what == USER_DISABLE, &err);
	if (r != TX_OK)
		cli_fail("%s", err.msg);
	else
		printf("user %s %s\n", u.name, done[what]),
		rc = cli_audit(st, actions[what], u.name, NULL);
	store_close(st);
	return rc;
}

static int user_remove_run(const struct cli_args *a)
{
	return user_change(a, USER_REMOVE);
}

static int user_disable_run(const struct cli_args *a)
{
	return user_change(a, USER_DISABLE);
}

static int user_enable_run(const struct cli_args *a)
{
	return user_change(a, USER_ENABLE);
}

const struct cmd cmd_user_remove = {
	.name = "user remove",
	.summary = "remove an account with its tokens and grants (at once, also"
		   " for its open streams)",
	.opts = name_opt,
	.flags = CMD_DIR,
	.main = user_remove_run,
};

const struct cmd cmd_user_disable = {
	.name = "user disable",
	.summary = "refuse an account everywhere (passwords, tokens, open"
		   " streams) until enabled",
	.opts = name_opt,
	.flags = CMD_DIR,
	.main = user_disable_run,
};

const struct cmd cmd_user_enable = {
	.name = "user enable",
	.summary = "let a disabled account in again",
	.opts = name_opt,
	.flags = CMD_DIR,
	.main = user_enable_run,
};

static const struct cli_opt user_passwd_opts[] = {
	{ "name", "NAME", CLI_REQ, "the user name" },
	{ "password-stdin", NULL, CLI_REQ, "read the new password from standard"
	  " input (one line)" },
	{ 0 },
};

static int user_passwd_run(const struct cli_args *a)
{
	const char *name = cli_opt(a, "name");
	char hash[CRYPTO_PWHASH_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct store_user u;
	tx_store *st = NULL;
	int rc = 1;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_user_get(st, name, &u, NULL, 0) != TX_OK) {
		store_close(st);
		return cli_fail("no user \"%s\" (trilex user list)", name);
	}
	if (read_password(u.name, hash) != 0) {
		store_close(st);
		return 1;
	}
	if (store_user_set_password(st, u.name, hash, &err) != TX_OK)
		cli_fail("%s", err.msg);
	else
		printf("user %s: password changed\n", u.name),
		rc = cli_audit(st, "user.passwd", u.name, NULL);
	sodium_memzero(hash, sizeof(hash));
	store_close(st);
	return rc;
}

const struct cmd cmd_user_passwd = {
	.name = "user passwd",
	.summary = "give a user a new password, read from standard input (the old"
		   " one stops working at once)",
	.opts = user_passwd_opts,
	.flags = CMD_DIR,
	.main = user_passwd_run,
};

static const struct cli_opt user_role_opts[] = {
	{ "name", "NAME", CLI_REQ, "the user name" },
	{ "role", "ROLE", CLI_REQ, "reader, analyst, duty-officer or admin" },
	{ 0 },
};

static int user_role_run(const struct cli_args *a)
{
	const char *name = cli_opt(a, "name");
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct store_user u;
	enum store_role role;
	tx_store *st = NULL;
	int rc = 1;

	if (store_role_parse(cli_opt(a, "role"), &role, &err) != TX_OK)
		return cli_fail("--role: %s", err.msg);
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_user_get(st, name, &u, NULL, 0) != TX_OK)
		cli_fail("no user \"%s\" (trilex user list)", name);
	else if (store_user_set_role(st, u.name, role, &err) != TX_OK)
		cli_fail("%s", err.msg);
	else
		printf("user %s is now %s\n", u.name, store_role_name(role)),
		rc = cli_audit(st, "user.role", u.name, "from %s to %s",
			       u.peer[0] ? "partner" : store_role_name(u.role) ?
			       store_role_name(u.role) : "none",
			       store_role_name(role));
	store_close(st);
	return rc;
}

const struct cmd cmd_user_role = {
	.name = "user role",
	.summary = "give a user another role (at once)",
	.opts = user_role_opts,
	.flags = CMD_DIR,
	.main = user_role_run,
};

static const struct cli_opt role_list_opts[] = {
	{ "markdown", NULL, 0, "as the README's table" },
	{ 0 },
};

static int role_list_run(const struct cli_args *a)
{
	int md = cli_flag(a, "markdown");

	if (md) {
		printf("| right | what it allows |");
		for (int r = 1; r < STORE_ROLE_COUNT; r++)
			printf(" %s |", store_role_name((enum store_role)r));
		printf("\n|---|---|");
		for (int r = 1; r < STORE_ROLE_COUNT; r++)
			printf(":-:|");
		printf("\n");
	} else {
		printf("%-16s", "RIGHT");
		for (int r = 1; r < STORE_ROLE_COUNT; r++)
			printf(" %-13s", store_role_name((enum store_role)r));
		printf(" WHAT IT ALLOWS\n");
	}
	for (int i = 0; i < TX_RIGHT_COUNT; i++) {
		enum tx_right right = (enum tx_right)i;
		if (md)
			printf("| %s | %s |", store_right_name(right),
			       store_right_summary(right));
		else
			printf("%-16s", store_right_name(right));
		for (int r = 1; r < STORE_ROLE_COUNT; r++) {
			int has = store_role_has((enum store_role)r, right);
			if (md)
				printf(" %s |", has ? "yes" : "");
			else
				printf(" %-13s", has ? "yes" : "-");
		}
		if (!md)
			printf(" %s", store_right_summary(right));
		printf("\n");
	}
	return 0;
}

const struct cmd cmd_role_list = {
	.name = "role list",
	.summary = "print the roles and the rights each has",
	.opts = role_list_opts,
	.main = role_list_run,
};

/*
 * An expiry: a duration from now ("90d", "12h", "30m", "600s") or an RFC
 * 3339 time; *us the time it ends. 0, or 1 after saying what is wrong.
 */
int cli_parse_expiry(const char *opt, const char *v, int64_t *us)
{
	static const struct { char unit; int64_t us; } units[] = {
		{ 's', 1000000LL }, { 'm', 60LL * 1000000 },
		{ 'h', 3600LL * 1000000 }, { 'd', 86400LL * 1000000 },
	};
	size_t n = strlen(v);
	char num[24];
	int64_t count;

	if (tx_time_parse(v, us, NULL) == TX_OK) {
		if (*us <= tx_time_now_us())
			return cli_fail("--%s %s: that time has passed", opt, v);
		return 0;
	}
	if (n >= 2 && n < sizeof(num)) {
		memcpy(num, v, n - 1);
		num[n - 1] = '\0';
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (v[n - 1] == units[i].unit &&
			    tx_parse_int64(num, 1, INT64_MAX / units[i].us / 2,
					   &count) == TX_OK &&
			    count <= 100LL * 366 * 86400 * 1000000 / units[i].us) {
				*us = tx_time_now_us() + count * units[i].us;
				return 0;
			}
	}
	return cli_fail("--%s %s: a duration such as 90d, 12h, 30m or 600s (at"
			" most 100 years), or an RFC 3339 time", opt, v);
}

static const struct cli_opt token_create_opts[] = {
	{ "user", "NAME", CLI_REQ, "whose token it is" },
	{ "name", "N", 0, "what to call it (letters, digits, -_.); default"
	  " token- and the start of its hash" },
	{ "expires", "WHEN", 0, "when it stops working: 90d, 12h, 30m, 600s or"
	  " an RFC 3339 time; default never" },
	{ 0 },
};

static int token_create_run(const struct cli_args *a)
{
	const char *dir = a->dir, *user = cli_opt(a, "user");
	const char *expires = cli_opt(a, "expires");
	char tok[CRYPTO_TOKEN_BUF], hash[CRYPTO_TOKEN_HASH_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int64_t until = 0;
	int rc = 1;

	if (expires != NULL && cli_parse_expiry("expires", expires, &until) != 0)
		return 1;
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (crypto_token_new(tok) != TX_OK) {
		store_close(st);
		return cli_fail("cannot make a token");
	}
	crypto_token_hash(tok, strlen(tok), hash);
	if (store_token_add_named(st, user, hash, cli_opt(a, "name"), until,
				  &err) != TX_OK) {
		cli_fail("%s", err.msg);
	} else {
		char exp[TX_TIME_BUF] = "never";
		printf("%s\n", tok);
		fflush(stdout);
		if (until > 0)
			tx_time_format(until, exp);
		/* the name, never the token or its hash */
		rc = cli_audit(st, "token.create", user, "token %s, expires %s",
			       cli_opt(a, "name") ? cli_opt(a, "name") :
			       "(unnamed)", exp);
	}
	sodium_memzero(tok, sizeof(tok));
	store_close(st);
	return rc;
}

const struct cmd cmd_token_create = {
	.name = "token create",
	.summary = "print a new bearer token for a user (shown once; only its hash"
		   " is kept)",
	.opts = token_create_opts,
	.flags = CMD_DIR,
	.main = token_create_run,
};

static const struct cli_opt token_list_opts[] = {
	{ "user", "NAME", 0, "only this user's tokens" },
	{ 0 },
};

/* A time for a listing: to the second, or "never". */
static void when(int64_t us, char buf[TX_TIME_BUF])
{
	if (us == 0) {
		snprintf(buf, TX_TIME_BUF, "never");
		return;
	}
	tx_time_format(us, buf);
	buf[19] = 'Z';
	buf[20] = '\0';
}

static int token_list_run(const struct cli_args *a)
{
	struct store_token_info *list = NULL;
	struct tx_config cfg;
	tx_store *st = NULL;
	size_t n = 0;
	int64_t now = tx_time_now_us();

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_token_list(st, cli_opt(a, "user"), &list, &n) != TX_OK) {
		store_close(st);
		return cli_fail("cannot list tokens");
	}
	printf("%-24s %-24s %-21s %-21s %s\n", "USER", "NAME", "CREATED",
	       "LAST USED", "EXPIRES");
	for (size_t i = 0; i < n; i++) {
		char c[TX_TIME_BUF], u[TX_TIME_BUF], e[TX_TIME_BUF];
		when(list[i].created, c);
		when(list[i].last_used, u);
		when(list[i].expires, e);
		printf("%-24s %-24s %-21s %-21s %s%s\n", list[i].user, list[i].name,
		       c, u, e, list[i].expires && list[i].expires <= now ?
		       " (expired)" : "");
	}
	free(list);
	store_close(st);
	return 0;
}

const struct cmd cmd_token_list = {
	.name = "token list",
	.summary = "list tokens: user, name, created, last used (to the minute),"
		   " expiry; never the token",
	.opts = token_list_opts,
	.flags = CMD_DIR,
	.main = token_list_run,
};

static const struct cli_opt token_revoke_opts[] = {
	{ "user", "NAME", CLI_REQ, "whose token it is" },
	{ "name", "N", CLI_REQ, "its name (trilex token list)" },
	{ 0 },
};

static int token_revoke_run(const struct cli_args *a)
{
	const char *user = cli_opt(a, "user"), *name = cli_opt(a, "name");
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc = 1;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_token_revoke(st, user, name, &err) != TX_OK)
		cli_fail("%s", err.msg);
	else
		printf("token %s of user %s revoked\n", name, user),
		rc = cli_audit(st, "token.revoke", user, "token %s", name);
	store_close(st);
	return rc;
}

const struct cmd cmd_token_revoke = {
	.name = "token revoke",
	.summary = "make a user's token stop working (at once)",
	.opts = token_revoke_opts,
	.flags = CMD_DIR,
	.main = token_revoke_run,
};

static const struct cli_opt collection_add_opts[] = {
	{ "title", "TITLE", CLI_REQ, "its title" },
	{ "alias", "A", 0, "a short name to use instead of its id" },
	{ "description", "D", 0, "what it holds" },
	{ "share", "local|partners|CODE,...", 0, "what of it leaves the node"
	  " (default local: nothing)" },
	{ 0 },
};

static int collection_add_run(const struct cli_args *a)
{
	const char *dir = a->dir, *title = cli_opt(a, "title");
	const char *alias = cli_opt(a, "alias"), *desc = cli_opt(a, "description");
	const char *share = cli_opt(a, "share");
	char id[TX_UUID_BUF], norm[STORE_SHARE_BUF];
	struct store_user all = { .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc = 1;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (share != NULL && cli_share_resolve(st, share, norm) != 0)
		goto out;
	if (store_collection_add(st, title, desc, alias, id, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	/* new and empty: nothing to confirm */
	if (share != NULL &&
	    (store_collection_get(st, &all, id, &c) != TX_OK ||
	     store_collection_set_share(st, c.pk, norm, NULL, &err) != TX_OK)) {
		cli_fail("collection %s made, but it is local: %s", id, err.msg);
		goto out;
	}
	rc = 0;
	printf("%s\n", id);
out:
	store_close(st);
	return rc;
}

const struct cmd cmd_collection_add = {
	.name = "collection add",
	.summary = "make a collection and print its id",
	.opts = collection_add_opts,
	.flags = CMD_DIR,
	.main = collection_add_run,
};

static int collection_list_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	struct store_user all = { .admin = 1 };
	struct store_collection *list = NULL;
	struct tx_config cfg;
	tx_store *st = NULL;
	size_t n = 0;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (store_collection_list(st, &all, &list, &n) != TX_OK) {
		store_close(st);
		return cli_fail("cannot list collections");
	}
	for (size_t i = 0; i < n; i++) {
		int64_t count = 0;
		if (store_count_objects(st, list[i].pk, &count) != TX_OK) {
			cli_fail("%s: cannot count its objects (database error)",
				 list[i].id);
			free(list);
			store_close(st);
			return 1;
		}
		char share[STORE_SHARE_BUF];
		if (store_inbox_party(&list[i]) != NULL)
			snprintf(share, sizeof(share), "inbox");
		else if (store_collection_share(st, list[i].pk, share) != TX_OK)
			snprintf(share, sizeof(share), "?");
		printf("%s  %-16s %8lld  %-9s %s\n", list[i].id,
		       list[i].alias[0] ? list[i].alias : "-", (long long)count,
		       share, list[i].title);
	}
	free(list);
	store_close(st);
	return 0;
}

const struct cmd cmd_collection_list = {
	.name = "collection list",
	.summary = "list collections: id, alias, object versions, sharing"
		   " (local, partners, party codes or inbox), title",
	.flags = CMD_DIR,
	.main = collection_list_run,
};

static const struct cli_opt grant_opts[] = {
	{ "user", "NAME", CLI_REQ, "the user" },
	{ "collection", "ID", CLI_REQ, "the collection (id or alias)" },
	{ "read", NULL, 0, "may read it" },
	{ "write", NULL, 0, "may write it" },
	{ "revoke", NULL, 0, "take the user's grant on it away instead" },
	{ 0 },
};

static int grant_run(const struct cli_args *a)
{
	const char *dir = a->dir, *user = cli_opt(a, "user");
	const char *coll = cli_opt(a, "collection");
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rd = cli_flag(a, "read"), wr = cli_flag(a, "write"), rc = 1;

	if (cli_flag(a, "revoke")) {
		if (rd || wr)
			return cli_fail("grant: --revoke takes the whole grant"
					" away; without --read or --write");
		if (cli_open_node(dir, &cfg, &st) != 0)
			return 1;
		if (store_grant_revoke(st, user, coll, &err) != TX_OK)
			cli_fail("%s", err.msg);
		else
			printf("user %s may no longer read or write"
			       " collection %s\n", user, coll),
			rc = cli_audit(st, "grant.revoke", user, "collection %s",
				       coll);
		store_close(st);
		return rc;
	}
	if (!rd && !wr)
		return cli_fail("grant: --read, --write or both (or --revoke)");
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (store_grant(st, user, coll, rd, wr, &err) != TX_OK)
		cli_fail("%s", err.msg);
	else
		printf("user %s may %s%s%s collection %s\n", user,
		       rd ? "read" : "", rd && wr ? " and " : "",
		       wr ? "write" : "", coll),
		rc = cli_audit(st, "grant", user, "collection %s:%s%s", coll,
			       rd ? " read" : "", wr ? " write" : "");
	store_close(st);
	return rc;
}

const struct cmd cmd_grant = {
	.name = "grant",
	.summary = "let a user read and/or write a collection, or take that"
		   " away (--revoke)",
	.opts = grant_opts,
	.flags = CMD_DIR,
	.main = grant_run,
};

/* ---- read-only API keys ---- */

static const struct cli_opt key_create_opts[] = {
	{ "name", "N", CLI_REQ, "what the key is for (splunk, sentinel, ...)" },
	{ "collection", "ID", CLI_REQ | CLI_MANY, "a collection it may read (id"
	  " or alias); repeat for more" },
	{ "expires", "WHEN", 0, "when it stops working: 90d, 12h, 30m, 600s or"
	  " an RFC 3339 time; default never" },
	{ 0 },
};

static int key_create_run(const struct cli_args *a)
{
	const char *name = cli_opt(a, "name"), *expires = cli_opt(a, "expires");
	const char *const *colls = cli_opts(a, "collection");
	char tok[CRYPTO_TOKEN_BUF], hash[CRYPTO_TOKEN_HASH_BUF], list[1024] = "";
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int64_t until = 0;
	size_t n = 0;
	int rc = 1;

	while (colls[n] != NULL)
		n++;
	if (expires != NULL && cli_parse_expiry("expires", expires, &until) != 0)
		return 1;
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (crypto_token_new(tok) != TX_OK) {
		store_close(st);
		return cli_fail("cannot make a key");
	}
	crypto_token_hash(tok, strlen(tok), hash);
	if (store_key_add(st, name, hash, colls, n, until, &err) != TX_OK) {
		cli_fail("%s", err.msg);
	} else {
		char exp[TX_TIME_BUF] = "never";
		printf("%s\n", tok);
		fflush(stdout);
		if (until > 0)
			tx_time_format(until, exp);
		for (size_t i = 0; i < n; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s", i ? "," : "", colls[i]);
		rc = cli_audit(st, "key.create", name, "read-only on %s; expires %s",
			       list, exp);
	}
	sodium_memzero(tok, sizeof(tok));
	store_close(st);
	return rc;
}

const struct cmd cmd_key_create = {
	.name = "key create",
	.summary = "print a new read-only API key for some collections (shown"
		   " once; only its hash is kept)",
	.opts = key_create_opts,
	.flags = CMD_DIR,
	.main = key_create_run,
};

static int key_list_run(const struct cli_args *a)
{
	struct store_key_info *list = NULL;
	struct tx_config cfg;
	tx_store *st = NULL;
	int64_t now = tx_time_now_us();
	size_t n = 0;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_key_list(st, &list, &n) != TX_OK) {
		store_close(st);
		return cli_fail("cannot list keys");
	}
	printf("%-20s %-21s %-21s %-21s %s\n", "NAME", "CREATED", "LAST USED",
	       "EXPIRES", "COLLECTIONS");
	for (size_t i = 0; i < n; i++) {
		char c[TX_TIME_BUF], u[TX_TIME_BUF], e[TX_TIME_BUF];
		when(list[i].created, c);
		when(list[i].last_used, u);
		when(list[i].expires, e);
		printf("%-20s %-21s %-21s %-21s %s%s\n", list[i].name, c, u, e,
		       list[i].collections, list[i].expires &&
		       list[i].expires <= now ? " (expired)" : "");
	}
	free(list);
	store_close(st);
	return 0;
}

const struct cmd cmd_key_list = {
	.name = "key list",
	.summary = "list API keys: name, created, last used (to the minute),"
		   " expiry, collections; never the key",
	.flags = CMD_DIR,
	.main = key_list_run,
};

static const struct cli_opt key_revoke_opts[] = {
	{ "name", "N", CLI_REQ, "the key's name (trilex key list)" },
	{ 0 },
};

static int key_revoke_run(const struct cli_args *a)
{
	const char *name = cli_opt(a, "name");
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc = 1;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_key_remove(st, name, &err) != TX_OK)
		cli_fail("%s", err.msg);
	else
		printf("key %s revoked\n", name),
		rc = cli_audit(st, "key.revoke", name, NULL);
	store_close(st);
	return rc;
}

const struct cmd cmd_key_revoke = {
	.name = "key revoke",
	.summary = "make an API key stop working (at once)",
	.opts = key_revoke_opts,
	.flags = CMD_DIR,
	.main = key_revoke_run,
};
