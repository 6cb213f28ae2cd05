/* cli/peer.c: `trilex peer export|add|list|remove|status|update`. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "federation/federation.h"

static const struct cli_opt add_opts[] = {
	{ "url", "URL", 0, "the partner's TAXII address (overrides the card's)" },
	{ "allow-unsigned", NULL, 0, "take a card without card_signature (an"
	  " older trilex's), its fingerprint checked with its owner" },
	{ 0 },
};
static const struct cli_opt export_opts[] = {
	{ "url", "URL", 0, "the address partners reach this node at (default:"
	  " the listen address)" },
	{ 0 },
};
static const struct cli_opt json_opt[] = {
	{ "json", NULL, 0, "print JSON" },
	{ 0 },
};

/* Whether the host of an https:// URL is a listen-anywhere address
 * (0.0.0.0, ::, [::]), which no partner can reach. */
static int wildcard_url(const char *url)
{
	const char *h = strncmp(url, "https://", 8) == 0 ? url + 8 : url;
	size_t n = strcspn(h, "/");
	char host[64];

	if (n >= sizeof(host))
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	if (host[0] == '[') {
		char *close = strchr(host, ']');
		if (close)
			close[1] = '\0';
	} else if (strchr(host, ':') == strrchr(host, ':') && strchr(host, ':')) {
		*strchr(host, ':') = '\0';
	}
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0 ||
	       strcmp(host, "::") == 0 || strcmp(host, "[0:0:0:0:0:0:0:0]") == 0;
}

static int export_run(const struct cli_args *a)
{
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_fed *fed = NULL;
	json_t *card = NULL;
	const char *url = cli_opt(a, "url");
	char pub[sizeof(cfg.public_url) + 80];

	if (cli_open_node(a->dir, &cfg, NULL) != 0)
		return 1;
	/* The address partners reach: --url, else public_url, else listen. */
	if (url == NULL && cfg.public_url[0] != '\0') {
		snprintf(pub, sizeof(pub), "%s/%s/", cfg.public_url, cfg.api_root);
		url = pub;
	}
	if (url != NULL ? wildcard_url(url) :
	    (strcmp(cfg.listen_host, "0.0.0.0") == 0 ||
	     strcmp(cfg.listen_host, "::") == 0))
		return cli_fail("peer export: the card's URL would be %s%s, an"
				" address for listening on every interface that no"
				" partner can reach: set public_url in node.json to"
				" the address partners use (\"https://HOST:PORT\"),"
				" or give --url", url ? url : cfg.listen_host,
				url ? "" : " (listen_host)");
	if (fed_open(a->dir, &cfg, &fed, &err) != TX_OK ||
	    fed_card_export(fed, url, &card, &err) != TX_OK) {
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
	.summary = "print this node's peer card (give it to partners out of band)",
	.opts = export_opts,
	.flags = CMD_DIR,
	.main = export_run,
};

static int add_run(const struct cli_args *a)
{
	const char *path = a->argv[0];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct store_peer *p = calloc(1, sizeof(*p));
	json_error_t jerr;
	json_t *card = NULL;
	tx_store *st = NULL;
	int rc;

	if (p == NULL)
		return cli_fail("out of memory");
	rc = 1;
	if ((card = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		cli_fail("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if ((cli_flag(a, "allow-unsigned") ?
	     fed_card_parse_unsigned(card, cli_opt(a, "url"), p, &err) :
	     fed_card_parse(card, cli_opt(a, "url"), p, &err)) != TX_OK) {
		cli_fail("%s: %s", path, err.msg);
		goto out;
	}
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		goto out;
	if (strcmp(p->party, cfg.party) == 0) {
		cli_fail("%s: that is this node's own party (%s)", path, cfg.party);
		goto out;
	}
	if (store_peer_add(st, p, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("partner %s (%s) pinned: certificate sha256:%s, key ed25519:%s\n"
	       "its inbox here: collection alias inbox-%s\n", p->party, p->name,
	       p->cert_fp, p->sign_pk, p->party);
	rc = cli_audit(st, "partner.add", p->party, "%s; certificate sha256:%s;"
		       " key ed25519:%s", p->name, p->cert_fp, p->sign_pk);
out:
	store_close(st);
	json_decref(card);
	free(p);
	return rc;
}

const struct cmd cmd_peer_add = {
	.name = "peer add",
	.summary = "pin a partner node from its peer card",
	.opts = add_opts,
	.operands = "CARD",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = add_run,
};

static int remove_run(const struct cli_args *a)
{
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	rc = store_peer_remove(st, a->argv[0], &err) == TX_OK ? 0 :
	     cli_fail("%s", err.msg);
	if (rc == 0) {
		printf("partner %s unpinned; its inbox stays\n", a->argv[0]);
		rc = cli_audit(st, "partner.remove", a->argv[0], NULL);
	}
	store_close(st);
	return rc;
}

const struct cmd cmd_peer_remove = {
	.name = "peer remove",
	.summary = "unpin a partner (its inbox and objects stay)",
	.operands = "PARTY",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = remove_run,
};

static int list_or_status(const struct cli_args *args, int status)
{
	struct tx_config cfg;
	struct store_peer *peers = NULL;
	tx_store *st = NULL;
	json_t *out;
	size_t n = 0;
	int as_json = cli_flag(args, "json");

	if (cli_open_node(args->dir, &cfg, &st) != 0)
		return 1;
	if (store_peer_list(st, &peers, &n) != TX_OK) {
		store_close(st);
		return cli_fail("cannot list partners");
	}
	out = json_array();
	if (!as_json && !status)
		printf("%-6s %-28s %-40s %s\n", "PARTY", "NAME", "URL", "CERTIFICATE");
	if (!as_json && status)
		printf("%-6s %8s %8s %10s %9s %9s %9s  %-24s %s\n", "PARTY", "LAG",
		       "LAG S", "DELIVERED", "RECEIVED", "DUPLICATE", "REJECTED",
		       "LAST OK", "ERROR (SINCE)");
	for (size_t i = 0; i < n; i++) {
		struct store_peer *p = &peers[i];
		char ok[TX_TIME_BUF] = "never", errat[TX_TIME_BUF] = "";
		int64_t d = 0, oldest = 0, lag_s = 0, now = tx_time_now_us();
		/* An error is shown while it is current: until something
		 * worked after it. */
		int current = p->last_error[0] && p->last_error_at > p->last_ok;
		if (status && store_peer_lag(st, p, &d, &oldest) == TX_OK && oldest)
			lag_s = now > oldest ? (now - oldest) / 1000000 : 0;
		if (p->last_ok)
			tx_time_format_ms(p->last_ok, ok);
		if (current)
			tx_time_format_ms(p->last_error_at, errat);
		if (as_json) {
			json_array_append_new(out, json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I,"
				" s:I, s:s, s:s, s:s, s:s}", "party", p->party, "name", p->name,
				"role", p->role,
				"url", p->url, "tls_fingerprint", p->cert_fp,
				"signing_key", p->sign_pk, "outbox", (json_int_t)d,
				"lag_seconds", (json_int_t)lag_s, "delivered",
				(json_int_t)p->delivered, "received",
				(json_int_t)p->received, "duplicates",
				(json_int_t)p->duplicates, "rejected",
				(json_int_t)p->rejected, "last_ok", ok,
				"last_delivery", ok, "last_error",
				current ? p->last_error : "", "last_error_at", errat));
		} else if (status) {
			printf("%-6s %8lld %8lld %10lld %9lld %9lld %9lld  %-24s %s%s%s%s\n",
			       p->party, (long long)d, (long long)lag_s,
			       (long long)p->delivered, (long long)p->received,
			       (long long)p->duplicates, (long long)p->rejected, ok,
			       current ? p->last_error : "-", current ? " (since " : "",
			       current ? errat : "", current ? ")" : "");
		} else {
			printf("%-6s %-28.28s %-40.40s sha256:%.16s...\n", p->party,
			       p->name, p->url[0] ? p->url : "(key only)", p->cert_fp);
		}
	}
	if (as_json) {
		json_dumpf(out, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	json_decref(out);
	free(peers);
	store_close(st);
	return 0;
}

static int list_run(const struct cli_args *a)
{
	return list_or_status(a, 0);
}

static int status_run(const struct cli_args *a)
{
	return list_or_status(a, 1);
}

const struct cmd cmd_peer_list = {
	.name = "peer list",
	.summary = "list pinned partners",
	.opts = json_opt,
	.flags = CMD_DIR,
	.main = list_run,
};

static const struct cli_opt update_opts[] = {
	{ "url", "URL", 0, "the partner's new TAXII address" },
	{ "card", "FILE", 0, "the partner's new card, signed by the key pinned"
	  " here (its new certificate or key, at once)" },
	{ 0 },
};

/* peer update --card: the partner's new card replaces its pin when the
 * key pinned here signed it. */
static int update_card(const char *dir, const char *party, const char *path,
		       const char *url)
{
	struct store_peer *p = calloc(1, sizeof(*p)), *old = calloc(1, sizeof(*old));
	struct tx_error err = { 0 };
	struct tx_config cfg;
	json_error_t jerr;
	json_t *card = NULL;
	tx_store *st = NULL;
	int rc = 1;

	if (p == NULL || old == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	if ((card = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		cli_fail("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (fed_card_parse(card, url, p, &err) != TX_OK) {
		cli_fail("%s: %s", path, err.msg);
		goto out;
	}
	if (strcmp(p->party, party) != 0) {
		cli_fail("%s: a card of %s, not of %s", path, p->party, party);
		goto out;
	}
	if (cli_open_node(dir, &cfg, &st) != 0)
		goto out;
	if (store_peer_find(st, party, NULL, NULL, old) != TX_OK) {
		cli_fail("%s is not pinned here (trilex peer add CARD pins a new"
			 " partner)", party);
		goto out;
	}
	if (fed_card_handover_check(card, old, &err) != TX_OK) {
		cli_fail("%s: %s", path, err.msg);
		cli_audit(st, "partner.repin.refused", party, "%s", err.msg);
		goto out;
	}
	if (store_peer_repin(st, p, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("partner %s re-pinned from its card, signed by the key pinned"
	       " here: certificate sha256:%s, key ed25519:%s (a running node"
	       " uses them at once)\n", party, p->cert_fp, p->sign_pk);
	rc = cli_audit(st, "partner.repin", party, "certificate sha256:%s (was"
		       " %s); key ed25519:%s (was %s)", p->cert_fp, old->cert_fp,
		       p->sign_pk, old->sign_pk);
out:
	store_close(st);
	json_decref(card);
	free(p);
	free(old);
	return rc;
}

static int update_run(const struct cli_args *a)
{
	const char *party = a->argv[0], *url = cli_opt(a, "url");
	const char *card = cli_opt(a, "card");
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc = 1;

	if (url == NULL && card == NULL)
		return cli_fail("peer update: give --url URL (it moved) or --card"
				" FILE (its new card)");
	if (url != NULL && (strncmp(url, "https://", 8) != 0 || url[8] == '\0'))
		return cli_fail("--url: \"%s\" is not an https:// address", url);
	if (card != NULL || url == NULL)
		return update_card(a->dir, party, card, url);
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_peer_set_url(st, party, url, &err) != TX_OK)
		cli_fail("%s", err.msg);
	else
		rc = 0, printf("partner %s is at %s from now on (a running node"
			       " delivers there at once)\n", party, url);
	store_close(st);
	return rc;
}

const struct cmd cmd_peer_update = {
	.name = "peer update",
	.summary = "a partner moved (--url: its new URL) or changed its"
		   " certificate or key (--card: its new card, signed by the key"
		   " pinned here): used at once",
	.opts = update_opts,
	.operands = "CODE",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = update_run,
};

const struct cmd cmd_peer_status = {
	.name = "peer status",
	.summary = "per partner: lag (objects, seconds), delivered, received"
		   " new and duplicate, rejected, last success, current error",
	.opts = json_opt,
	.flags = CMD_DIR,
	.main = status_run,
};
