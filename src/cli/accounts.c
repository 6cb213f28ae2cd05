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

static const struct cli_opt user_add_opts[] = {
	{ "name", "NAME", CLI_REQ, "the user name (stored lower-cased)" },
	{ "password-stdin", NULL, CLI_REQ, "read the password from standard"
	  " input (one line)" },
	{ "admin", NULL, 0, "may do everything" },
	{ NULL },
};

static int user_add_run(const struct cli_args *a)
{
	const char *dir = a->dir, *name = cli_opt(a, "name"), *why;
	char pw[1024], hash[CRYPTO_PWHASH_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int admin = cli_flag(a, "admin"), rc = 1;

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
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (store_user_add(st, name, hash, admin, &err) != TX_OK) {
		cli_fail("%s", err.msg);
	} else {
		/* Names are stored lower-cased; say which one was made. */
		struct store_user u;
		rc = 0;
		printf("user %s added%s\n",
		       store_user_get(st, name, &u, NULL, 0) == TX_OK ? u.name : name,
		       admin ? " (admin)" : "");
	}
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
	{ NULL },
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
		rc = 0, printf("user %s unlocked%s\n", u.name,
			       u.locked ? "" : " (it was not locked)");
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

static const struct cli_opt user_opt[] = {
	{ "user", "NAME", CLI_REQ, "whose token it is" },
	{ NULL },
};

static int token_create_run(const struct cli_args *a)
{
	const char *dir = a->dir, *user = cli_opt(a, "user");
	char tok[CRYPTO_TOKEN_BUF], hash[CRYPTO_TOKEN_HASH_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc = 1;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (crypto_token_new(tok) != TX_OK) {
		store_close(st);
		return cli_fail("cannot make a token");
	}
	crypto_token_hash(tok, strlen(tok), hash);
	if (store_token_add(st, user, hash, &err) != TX_OK)
		cli_fail("%s", err.msg);
	else
		rc = 0, printf("%s\n", tok);
	sodium_memzero(tok, sizeof(tok));
	store_close(st);
	return rc;
}

const struct cmd cmd_token_create = {
	.name = "token create",
	.summary = "print a new bearer token for a user (shown once; only its hash"
		   " is kept)",
	.opts = user_opt,
	.flags = CMD_DIR,
	.main = token_create_run,
};

static const struct cli_opt collection_add_opts[] = {
	{ "title", "TITLE", CLI_REQ, "its title" },
	{ "alias", "A", 0, "a short name to use instead of its id" },
	{ "description", "D", 0, "what it holds" },
	{ "share", "local|partners|CODE,...", 0, "what of it leaves the node"
	  " (default local: nothing)" },
	{ NULL },
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
		store_count_objects(st, list[i].pk, &count);
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
	{ NULL },
};

static int grant_run(const struct cli_args *a)
{
	const char *dir = a->dir, *user = cli_opt(a, "user");
	const char *coll = cli_opt(a, "collection");
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rd = cli_flag(a, "read"), wr = cli_flag(a, "write"), rc = 1;

	if (!rd && !wr)
		return cli_fail("grant: --read, --write or both");
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (store_grant(st, user, coll, rd, wr, &err) != TX_OK)
		cli_fail("%s", err.msg);
	else
		rc = 0, printf("user %s may %s%s%s collection %s\n", user,
			       rd ? "read" : "", rd && wr ? " and " : "",
			       wr ? "write" : "", coll);
	store_close(st);
	return rc;
}

const struct cmd cmd_grant = {
	.name = "grant",
	.summary = "let a user read and/or write a collection",
	.opts = grant_opts,
	.flags = CMD_DIR,
	.main = grant_run,
};
