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

static int user_add_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "admin", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *name = NULL, *why;
	char pw[1024], hash[CRYPTO_PWHASH_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int c, from_stdin = 0, admin = 0, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': name = optarg; break;
		case 'p': from_stdin = 1; break;
		case 'a': admin = 1; break;
		default: return cli_usage(&cmd_user_add);
		}
	}
	if (dir == NULL || name == NULL || !from_stdin || optind != argc)
		return cli_usage(&cmd_user_add);
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
	.usage = "--dir DIR --name NAME --password-stdin [--admin]",
	.summary = "add an account; the password is read from standard input",
	.run = user_add_run,
};

static int user_unlock_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *name = NULL;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct store_user u;
	tx_store *st = NULL;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': name = optarg; break;
		default: return cli_usage(&cmd_user_unlock);
		}
	}
	if (dir == NULL || name == NULL || optind != argc)
		return cli_usage(&cmd_user_unlock);
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
	.usage = "--dir DIR --name NAME",
	.summary = "let a user locked after failed passwords log in again",
	.run = user_unlock_run,
};

static int token_create_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *user = NULL;
	char tok[CRYPTO_TOKEN_BUF], hash[CRYPTO_TOKEN_HASH_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'u': user = optarg; break;
		default: return cli_usage(&cmd_token_create);
		}
	}
	if (dir == NULL || user == NULL || optind != argc)
		return cli_usage(&cmd_token_create);
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
	.usage = "--dir DIR --user NAME",
	.summary = "print a new bearer token for a user (shown once; only its hash"
		   " is kept)",
	.run = token_create_run,
};

static int collection_add_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "title", required_argument, NULL, 't' },
		{ "alias", required_argument, NULL, 'a' },
		{ "description", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *title = NULL, *alias = NULL, *desc = NULL;
	char id[TX_UUID_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 't': title = optarg; break;
		case 'a': alias = optarg; break;
		case 'D': desc = optarg; break;
		default: return cli_usage(&cmd_collection_add);
		}
	}
	if (dir == NULL || title == NULL || optind != argc)
		return cli_usage(&cmd_collection_add);
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (store_collection_add(st, title, desc, alias, id, &err) != TX_OK)
		cli_fail("%s", err.msg);
	else
		rc = 0, printf("%s\n", id);
	store_close(st);
	return rc;
}

const struct cmd cmd_collection_add = {
	.name = "collection add",
	.usage = "--dir DIR --title TITLE [--alias A] [--description D]",
	.summary = "make a collection and print its id",
	.run = collection_add_run,
};

static int collection_list_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	struct store_user all = { .admin = 1 };
	struct store_collection *list = NULL;
	struct tx_config cfg;
	tx_store *st = NULL;
	size_t n = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else
			return cli_usage(&cmd_collection_list);
	}
	if (dir == NULL || optind != argc)
		return cli_usage(&cmd_collection_list);
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (store_collection_list(st, &all, &list, &n) != TX_OK) {
		store_close(st);
		return cli_fail("cannot list collections");
	}
	for (size_t i = 0; i < n; i++) {
		int64_t count = 0;
		store_count_objects(st, list[i].pk, &count);
		printf("%s  %-16s %8lld  %s\n", list[i].id,
		       list[i].alias[0] ? list[i].alias : "-", (long long)count,
		       list[i].title);
	}
	free(list);
	store_close(st);
	return 0;
}

const struct cmd cmd_collection_list = {
	.name = "collection list",
	.usage = "--dir DIR",
	.summary = "list collections: id, alias, object versions, title",
	.run = collection_list_run,
};

static int grant_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "collection", required_argument, NULL, 'c' },
		{ "read", no_argument, NULL, 'r' },
		{ "write", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *user = NULL, *coll = NULL;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int c, rd = 0, wr = 0, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'u': user = optarg; break;
		case 'c': coll = optarg; break;
		case 'r': rd = 1; break;
		case 'w': wr = 1; break;
		default: return cli_usage(&cmd_grant);
		}
	}
	if (dir == NULL || user == NULL || coll == NULL || optind != argc ||
	    (!rd && !wr))
		return cli_usage(&cmd_grant);
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
	.usage = "--dir DIR --user NAME --collection ID [--read] [--write]",
	.summary = "let a user read and/or write a collection",
	.run = grant_run,
};
