/* cli/peer.c: `trilex peer export|add|list|remove|status`. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "federation/federation.h"

static const struct option dir_opts[] = {
	{ "dir", required_argument, NULL, 'd' },
	{ "url", required_argument, NULL, 'u' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct peer_args {
	const char *dir, *url;
	int json;
};

static int parse(int argc, char **argv, const struct cmd *cmd,
		 struct peer_args *a, int positional)
{
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "", dir_opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->dir = optarg; break;
		case 'u': a->url = optarg; break;
		case 'j': a->json = 1; break;
		default: return cli_usage(cmd);
		}
	}
	if (a->dir == NULL || argc - optind != positional)
		return cli_usage(cmd);
	return 0;
}

static int export_run(int argc, char **argv)
{
	struct peer_args a;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_fed *fed = NULL;
	json_t *card = NULL;
	int rc;

	if ((rc = parse(argc, argv, &cmd_peer_export, &a, 0)) != 0)
		return rc;
	if (cli_open_node(a.dir, &cfg, NULL) != 0)
		return 1;
	if (fed_open(a.dir, &cfg, &fed, &err) != TX_OK ||
	    fed_card_export(fed, a.url, &card, &err) != TX_OK) {
		fed_close(fed);
		return cli_fail("%s", err.msg);
	}
	json_dumpf(card, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(card);
	fed_close(fed);
	return 0;
}

const struct cmd cmd_peer_export = {
	.name = "peer export",
	.usage = "--dir DIR [--url URL]",
	.summary = "print this node's peer card (give it to partners out of band)",
	.run = export_run,
};

static int add_run(int argc, char **argv)
{
	struct peer_args a;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct store_peer *p = calloc(1, sizeof(*p));
	json_error_t jerr;
	json_t *card = NULL;
	tx_store *st = NULL;
	int rc;

	if (p == NULL)
		return cli_fail("out of memory");
	if ((rc = parse(argc, argv, &cmd_peer_add, &a, 1)) != 0)
		goto out;
	rc = 1;
	if ((card = json_load_file(argv[optind], JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		cli_fail("%s:%d:%d: %s", argv[optind], jerr.line, jerr.column,
			 jerr.text);
		goto out;
	}
	if (fed_card_parse(card, a.url, p, &err) != TX_OK) {
		cli_fail("%s: %s", argv[optind], err.msg);
		goto out;
	}
	if (cli_open_node(a.dir, &cfg, &st) != 0)
		goto out;
	if (strcmp(p->party, cfg.party) == 0) {
		cli_fail("%s: that is this node's own party (%s)", argv[optind],
			 cfg.party);
		goto out;
	}
	if (store_peer_add(st, p, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("partner %s (%s) pinned: certificate sha256:%s, key ed25519:%s\n"
	       "its inbox here: collection alias inbox-%s\n", p->party, p->name,
	       p->cert_fp, p->sign_pk, p->party);
	rc = 0;
out:
	store_close(st);
	json_decref(card);
	free(p);
	return rc;
}

const struct cmd cmd_peer_add = {
	.name = "peer add",
	.usage = "--dir DIR CARD [--url URL]",
	.summary = "pin a partner node from its peer card",
	.run = add_run,
};

static int remove_run(int argc, char **argv)
{
	struct peer_args a;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc;

	if ((rc = parse(argc, argv, &cmd_peer_remove, &a, 1)) != 0)
		return rc;
	if (cli_open_node(a.dir, &cfg, &st) != 0)
		return 1;
	rc = store_peer_remove(st, argv[optind], &err) == TX_OK ? 0 :
	     cli_fail("%s", err.msg);
	if (rc == 0)
		printf("partner %s unpinned; its inbox stays\n", argv[optind]);
	store_close(st);
	return rc;
}

const struct cmd cmd_peer_remove = {
	.name = "peer remove",
	.usage = "--dir DIR PARTY",
	.summary = "unpin a partner (its inbox and objects stay)",
	.run = remove_run,
};

/* Objects of ours after the partner's cursor: what it has yet to get. */
static int64_t depth(tx_store *st, const struct store_peer *p)
{
	struct store_page pg;
	struct store_cursor c = p->push;
	int64_t n = 0;

	for (;;) {
		if (store_query_outgoing(st, &c, 10000, NULL, NULL, &pg, NULL) !=
			    TX_OK)
			break;
		n += (int64_t)pg.n;
		if (!pg.more)
			break;
		c = pg.next;
	}
	return n;
}

static int list_or_status(int argc, char **argv, const struct cmd *cmd,
			  int status)
{
	struct peer_args a;
	struct tx_config cfg;
	struct store_peer *peers = NULL;
	tx_store *st = NULL;
	json_t *out = json_array();
	size_t n = 0;
	int rc;

	if ((rc = parse(argc, argv, cmd, &a, 0)) != 0)
		return rc;
	if (cli_open_node(a.dir, &cfg, &st) != 0)
		return 1;
	if (store_peer_list(st, &peers, &n) != TX_OK) {
		store_close(st);
		return cli_fail("cannot list partners");
	}
	if (!a.json && !status)
		printf("%-6s %-28s %-40s %s\n", "PARTY", "NAME", "URL", "CERTIFICATE");
	if (!a.json && status)
		printf("%-6s %8s %10s %9s %9s  %-24s %s\n", "PARTY", "OUTBOX",
		       "DELIVERED", "RECEIVED", "REJECTED", "LAST DELIVERY",
		       "LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		struct store_peer *p = &peers[i];
		char ok[TX_TIME_BUF] = "never", errat[TX_TIME_BUF] = "";
		int64_t d = status ? depth(st, p) : 0;
		if (p->last_ok)
			tx_time_format_ms(p->last_ok, ok);
		if (p->last_error_at)
			tx_time_format_ms(p->last_error_at, errat);
		if (a.json) {
			json_array_append_new(out, json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s,"
				" s:s}", "party", p->party, "name", p->name, "url", p->url,
				"tls_fingerprint", p->cert_fp, "signing_key", p->sign_pk,
				"outbox", (json_int_t)d, "delivered",
				(json_int_t)p->delivered, "received",
				(json_int_t)p->received, "rejected",
				(json_int_t)p->rejected, "last_delivery", ok,
				"last_error", p->last_error, "last_error_at", errat));
		} else if (status) {
			printf("%-6s %8lld %10lld %9lld %9lld  %-24s %s%s%s\n", p->party,
			       (long long)d, (long long)p->delivered,
			       (long long)p->received, (long long)p->rejected, ok,
			       errat, errat[0] ? " " : "", p->last_error);
		} else {
			printf("%-6s %-28.28s %-40.40s sha256:%.16s...\n", p->party,
			       p->name, p->url[0] ? p->url : "(key only)", p->cert_fp);
		}
	}
	if (a.json) {
		json_dumpf(out, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	json_decref(out);
	free(peers);
	store_close(st);
	return 0;
}

static int list_run(int argc, char **argv)
{
	return list_or_status(argc, argv, &cmd_peer_list, 0);
}

static int status_run(int argc, char **argv)
{
	return list_or_status(argc, argv, &cmd_peer_status, 1);
}

const struct cmd cmd_peer_list = {
	.name = "peer list",
	.usage = "--dir DIR [--json]",
	.summary = "list pinned partners",
	.run = list_run,
};

const struct cmd cmd_peer_status = {
	.name = "peer status",
	.usage = "--dir DIR [--json]",
	.summary = "per partner: objects still to deliver, last delivery, last"
		   " error",
	.run = status_run,
};
