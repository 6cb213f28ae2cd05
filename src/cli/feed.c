/*
 * cli/feed.c: outside TAXII feeds, `trilex feed add|list|remove|run`.
 *
 * A feed polls a collection of another TAXII 2.1 server (an ISAC's, a
 * vendor's, another trilex node) into a local collection; `trilex serve`
 * runs each on its schedule, `feed run` once now. The polling is
 * taxii_feed_poll's; this file is arguments and printing.
 */
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "taxii/taxii.h"

/* A duration such as "90s", "15m", "6h", "1d" (a bare number: seconds)
 * into *s, within [min_s, max_s]; 0, or 1 after saying what is wrong. */
static int parse_every(const char *v, int64_t min_s, int64_t max_s, int64_t *s)
{
	char num[32];
	size_t n = strlen(v);
	int64_t unit = 1, x;

	if (n == 0 || n >= sizeof(num))
		return cli_fail("--every: \"%s\" is not a duration (15m, 1h, 1d)", v);
	memcpy(num, v, n + 1);
	switch (num[n - 1]) {
	case 's': unit = 1; num[n - 1] = '\0'; break;
	case 'm': unit = 60; num[n - 1] = '\0'; break;
	case 'h': unit = 3600; num[n - 1] = '\0'; break;
	case 'd': unit = 86400; num[n - 1] = '\0'; break;
	default: break;
	}
	if (tx_parse_int64(num, 1, max_s, &x) != TX_OK || x > max_s / unit ||
	    x * unit < min_s || x * unit > max_s)
		return cli_fail("--every: \"%s\" must be a duration from %llds to"
				" %lldd (e.g. 15m)", v, (long long)min_s,
				(long long)(max_s / 86400));
	*s = x * unit;
	return 0;
}

static const struct cli_opt add_opts[] = {
	{ "name", "NAME", CLI_REQ, "the feed's name (a-z, 0-9, - and _)" },
	{ "url", "API_ROOT", CLI_REQ, "the server's TAXII 2.1 API root (https://)" },
	{ "collection", "ID", CLI_REQ, "the remote collection's id" },
	{ "into", "LOCAL", CLI_REQ, "the local collection (id or alias) it goes"
	  " into" },
	{ "user", "NAME", 0, "HTTP Basic user (password in TRILEX_PASSWORD)" },
	{ "token", "T", 0, "send Authorization: Bearer T" },
	{ "api-key", "K", 0, "send X-API-Key: K" },
	{ "cacert", "PEM", 0, "the server's certificate or CA (copied into the"
	  " node); default: the system's" },
	{ "every", "DURATION", 0, "how often serve polls it (default 15m)" },
	{ "limit", "N", 0, "objects asked per page (default 1000)" },
	{ "max-pages", "N", 0, "pages per run at most (default 10000)" },
	{ "max-page-bytes", "N", 0, "bytes of one page at most (default 64 MiB)" },
	{ "reshare", NULL, 0, "let its objects leave the node like the node's own"
	  " when LOCAL is shared (TLP still applies; origin stays feed:NAME);"
	  " default: never" },
	{ 0 },
};

static int add_run(const struct cli_args *a)
{
	const char *user = cli_opt(a, "user"), *token = cli_opt(a, "token");
	const char *key = cli_opt(a, "api-key"), *cacert = cli_opt(a, "cacert");
	const char *url = cli_opt(a, "url"), *every = cli_opt(a, "every");
	const char *name = cli_opt(a, "name"), *into = cli_opt(a, "into");
	const char *coll = cli_opt(a, "collection"), *secret = NULL;
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct store_feed *f = NULL;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	char *pem = NULL;
	size_t pem_len = 0;
	int rc = 1;

	if ((user != NULL) + (token != NULL) + (key != NULL) > 1)
		return cli_fail("give one of --user, --token and --api-key");
	if (!taxii_feed_name_valid(name))
		return cli_fail("--name: \"%s\" must be 1 to 63 of a-z, 0-9, - and _",
				name);
	if (strncmp(url, "https://", 8) != 0)
		return cli_fail("--url: \"%s\" must be an https:// API root", url);
	if (strlen(url) >= STORE_URL_MAX || strlen(coll) >= sizeof(f->collection))
		return cli_fail("--url or --collection is too long");
	if (user != NULL) {
		if ((secret = getenv("TRILEX_PASSWORD")) == NULL)
			return cli_fail("--user: set the password in TRILEX_PASSWORD");
		if (strlen(user) >= sizeof(f->user))
			return cli_fail("--user is too long");
	} else {
		secret = token ? token : key;
	}
	if (secret != NULL && strlen(secret) >= STORE_FEED_SECRET_MAX)
		return cli_fail("the password, token or key is longer than %d bytes",
				STORE_FEED_SECRET_MAX - 1);
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return cli_fail("out of memory");
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->url, sizeof(f->url), "%s", url);
	snprintf(f->collection, sizeof(f->collection), "%s", coll);
	f->auth = user ? STORE_FEED_AUTH_BASIC : token ? STORE_FEED_AUTH_BEARER :
		  key ? STORE_FEED_AUTH_API_KEY : STORE_FEED_AUTH_NONE;
	snprintf(f->user, sizeof(f->user), "%s", user ? user : "");
	snprintf(f->secret, sizeof(f->secret), "%s", secret ? secret : "");
	f->every_s = 15 * 60;
	f->page_limit = 1000;
	f->max_pages = 10000;
	f->max_page_bytes = 64 << 20;
	f->reshare = cli_flag(a, "reshare");
	if ((every && parse_every(every, 1, 30 * 86400, &f->every_s)) ||
	    cli_opt_int(a, "limit", 1, TAXII_FEED_LIMIT_MAX, &f->page_limit) ||
	    cli_opt_int(a, "max-pages", 1, 10000000, &f->max_pages) ||
	    cli_opt_int(a, "max-page-bytes", 4096, (int64_t)1 << 31,
			&f->max_page_bytes))
		goto out;
	if (cacert != NULL) {
		if (tx_read_file(cacert, STORE_FEED_PEM_MAX - 1, &pem, &pem_len,
				 &err) != TX_OK) {
			cli_fail("--cacert: %s", err.msg);
			goto out;
		}
		if (strstr(pem, "-----BEGIN CERTIFICATE-----") == NULL) {
			cli_fail("--cacert: %s: no PEM certificate in it", cacert);
			goto out;
		}
		memcpy(f->cacert, pem, pem_len + 1);
	}
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		goto out;
	if (store_collection_get(st, &admin, into, &c) != TX_OK) {
		cli_fail("--into: no collection \"%s\" in %s (make it with `trilex"
			 " collection add`)", into, a->dir);
		goto out;
	}
	f->into_pk = c.pk;
	if (store_feed_add(st, f, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("feed %s: %s collection %s into %s, every %llds\n", f->name,
	       f->url, f->collection, c.alias[0] ? c.alias : c.id,
	       (long long)f->every_s);
	rc = 0;
out:
	if (f != NULL)
		sodium_memzero(f->secret, sizeof(f->secret));
	free(f);
	free(pem);
	store_close(st);
	return rc;
}

const struct cmd cmd_feed_add = {
	.name = "feed add",
	.summary = "poll a collection of an outside TAXII 2.1 server into a local"
		   " one",
	.usage = "--dir DIR --name NAME --url API_ROOT --collection ID"
		 " [--user NAME | --token T | --api-key K] [--cacert PEM]"
		 " [--every 15m] [--limit N] [--max-pages N] [--max-page-bytes N]"
		 " [--reshare]"
		 " --into LOCAL",
	.opts = add_opts,
	.flags = CMD_DIR,
	.main = add_run,
};

static const char *const auth_words[] = { "none", "basic", "bearer",
					  "api-key" };

static void when(int64_t us, char out[TX_TIME_BUF])
{
	if (us == 0)
		snprintf(out, TX_TIME_BUF, "never");
	else
		tx_time_format_ms(us, out);
}

static json_t *feed_json(const struct store_feed *f)
{
	json_t *reasons = json_loads(f->reasons, 0, NULL);

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s,"
			 " s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:s, s:I, s:I, s:I, s:b}",
			 "name", f->name, "url", f->url, "collection", f->collection,
			 "into", f->into, "auth", auth_words[f->auth], "user", f->user,
			 "every_s", (json_int_t)f->every_s, "limit",
			 (json_int_t)f->page_limit, "max_pages",
			 (json_int_t)f->max_pages, "added_after", f->added_after,
			 "pages", (json_int_t)f->pages, "received",
			 (json_int_t)f->received, "added", (json_int_t)f->added,
			 "already_present", (json_int_t)f->present, "rejected",
			 (json_int_t)f->rejected, "rejected_by_reason",
			 json_is_object(reasons) ? reasons : json_object(),
			 "last_run", (json_int_t)f->last_run, "last_ok",
			 (json_int_t)f->last_ok, "last_error", f->last_error,
			 "last_error_at", (json_int_t)f->last_error_at,
			 "runs", (json_int_t)f->runs, "errors", (json_int_t)f->errors,
			 "reshare", f->reshare);
}

static const struct cli_opt list_opts[] = {
	{ "json", NULL, 0, "print the feeds as JSON" },
	{ 0 },
};

static int list_run(const struct cli_args *a)
{
	struct store_feed *list = NULL;
	struct tx_config cfg;
	tx_store *st = NULL;
	size_t n = 0;
	json_t *all = NULL;
	int rc = 1;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_feed_list(st, &list, &n) != TX_OK) {
		cli_fail("cannot list the feeds");
		goto out;
	}
	if (cli_flag(a, "json")) {
		if ((all = json_array()) == NULL)
			goto out;
		for (size_t i = 0; i < n; i++)
			json_array_append_new(all, feed_json(&list[i]));
		json_dumpf(all, stdout, JSON_INDENT(2));
		putchar('\n');
		rc = 0;
		goto out;
	}
	if (n == 0)
		printf("no feeds (add one with `trilex feed add`)\n");
	for (size_t i = 0; i < n; i++) {
		const struct store_feed *f = &list[i];
		char ok[TX_TIME_BUF], run[TX_TIME_BUF], at[TX_TIME_BUF];
		when(f->last_ok, ok);
		when(f->last_run, run);
		when(f->last_error_at, at);
		printf("%s: %s collection %s -> %s, every %llds, auth %s%s%s%s\n",
		       f->name, f->url, f->collection, f->into,
		       (long long)f->every_s, auth_words[f->auth],
		       f->user[0] ? " as " : "", f->user,
		       f->reshare ? ", reshared" : "");
		printf("  position: %s\n", f->added_after[0] ? f->added_after :
		       "from the start");
		printf("  runs %lld (%lld with an error), pages %lld, received %lld, added %lld, already present"
		       " %lld, rejected %lld", (long long)f->runs,
		       (long long)f->errors, (long long)f->pages,
		       (long long)f->received, (long long)f->added,
		       (long long)f->present, (long long)f->rejected);
		if (f->rejected > 0)
			printf(" %s", f->reasons);
		printf("\n  last run %s, last success %s\n", run, ok);
		if (f->last_error[0])
			printf("  last error (%s): %s\n", at, f->last_error);
	}
	rc = 0;
out:
	json_decref(all);
	if (list != NULL)
		for (size_t i = 0; i < n; i++)
			sodium_memzero(list[i].secret, sizeof(list[i].secret));
	free(list);
	store_close(st);
	return rc;
}

const struct cmd cmd_feed_list = {
	.name = "feed list",
	.summary = "show the feeds, where each stands and its counters",
	.opts = list_opts,
	.flags = CMD_DIR,
	.main = list_run,
};

static int remove_run(const struct cli_args *a)
{
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	rc = store_feed_remove(st, a->argv[0], &err) == TX_OK ? 0 :
		cli_fail("%s", err.msg);
	if (rc == 0) {
		char rel[96], path[PATH_MAX];
		/* the copy of its CA that runs wrote, if any */
		snprintf(rel, sizeof(rel), "tls/feed-%s.pem", a->argv[0]);
		if (taxii_feed_name_valid(a->argv[0]) &&
		    tx_path_join(path, sizeof(path), a->dir, rel) == TX_OK)
			unlink(path);
		printf("feed %s removed (what it brought stays)\n", a->argv[0]);
	}
	store_close(st);
	return rc;
}

const struct cmd cmd_feed_remove = {
	.name = "feed remove",
	.summary = "stop polling a feed (the objects it brought stay)",
	.operands = "NAME",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = remove_run,
};

static int run_run(const struct cli_args *a)
{
	struct taxii_feed_result r;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	tx_err rc;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	rc = taxii_feed_poll(st, a->dir, a->argv[0], NULL, NULL, &r, &err);
	store_close(st);
	printf("feed %s: %lld pages, %lld received, %lld added, %lld already"
	       " present, %lld rejected\n", a->argv[0], (long long)r.pages,
	       (long long)r.received, (long long)r.added, (long long)r.present,
	       (long long)r.rejected);
	if (r.ties_skipped > 0)
		fprintf(stderr, "trilex: feed %s: the server gave more than %d"
			" objects of one date_added without next: some may have"
			" been left\n", a->argv[0], TAXII_FEED_LIMIT_MAX);
	if (rc != TX_OK)
		return cli_fail("feed %s: %s", a->argv[0], err.msg);
	return 0;
}

const struct cmd cmd_feed_run = {
	.name = "feed run",
	.summary = "poll a feed once now",
	.operands = "NAME",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = run_run,
};
