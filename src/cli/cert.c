/*
 * cli/cert.c: `trilex cert renew` and `trilex cert import`: the node's TLS
 * certificate (DIR/tls/cert.pem, key DIR/tls/key.pem).
 *
 * Both replace the two files atomically (each written beside the old one
 * and renamed over it), the key first: a key is never left without its
 * certificate for longer than one rename. Partners pin the certificate by
 * its SHA-256, so both print the new fingerprint and what partners must
 * do; a running `serve` keeps the old certificate until it is restarted.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "federation/federation.h"

/* Where cert renew writes the card that hands the partnership over. */
#define HANDOVER_CARD "handover-card.json"

/* Certificates whose end is nearer than this are warned about. */
#define CERT_WARN_DAYS 30

/* Read DIR/tls/NAME (at most 1 MiB) into *out. */
static tx_err read_tls(const char *dir, const char *name, char **out,
		       size_t *len, struct tx_error *err)
{
	char path[PATH_MAX], rel[32];

	snprintf(rel, sizeof(rel), "tls/%s", name);
	if (tx_path_join(path, sizeof(path), dir, rel) != TX_OK)
		return tx_error_set(err, TX_ERR_TOOBIG, "%s: path too long", dir);
	return tx_read_file(path, 1 << 20, out, len, err);
}

int cli_cert_expiry_check(const char *pem, size_t len, const char *what,
			  int64_t now, int *warned)
{
	struct crypto_cert_info *ci = malloc(sizeof(*ci));
	struct tx_error err = { 0 };
	int rc = 0;

	*warned = 0;
	if (ci == NULL)
		return cli_fail("out of memory");
	if (crypto_cert_info(pem, len, ci, &err) != TX_OK) {
		rc = cli_fail("%s: %s", what, err.msg);
	} else if (ci->not_after <= now) {
		rc = cli_fail("%s: expired %lld days ago: trilex cert renew (or"
			      " cert import) makes a new one", what,
			      (long long)((now - ci->not_after) / 86400));
	} else if (ci->not_after - now < (int64_t)CERT_WARN_DAYS * 86400) {
		char day[16];
		time_t t = (time_t)ci->not_after;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		printf("warning: %s expires on %s (in %lld days): trilex cert renew"
		       " (or cert import), then give partners the new card\n",
		       what, day, (long long)((ci->not_after - now) / 86400));
		*warned = 1;
	}
	free(ci);
	return rc;
}

/* Put cert and key (PEM) in DIR/tls/, key first, each atomically. */
static int install(const char *dir, const char *cert, size_t cert_len,
		   const char *key, size_t key_len)
{
	struct tx_error err = { 0 };
	char path[PATH_MAX];

	tx_path_join(path, sizeof(path), dir, "tls/key.pem");
	if (tx_write_file(path, key, key_len, 0600, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	tx_path_join(path, sizeof(path), dir, "tls/cert.pem");
	if (tx_write_file(path, cert, cert_len, 0600, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	return 0;
}

static void tell_partners(const char *old_fp, const char *new_fp)
{
	printf("certificate: sha256:%s (was sha256:%s)\n", new_fp, old_fp);
	printf("restart serve to use it. Partners pin the old one: give them"
	       " the handover card (what trilex peer export prints from now on,"
	       " signed by the key they pinned), and each runs trilex peer"
	       " update --dir DIR --card CARD YOURCODE: no re-pinning by hand\n");
}

/*
 * Write DIR/HANDOVER_CARD: this node's card as it is now (certificate and
 * identity key), self-signed, and with old_id (NULL: the key did not
 * change, the self-signature is the old key's) signed as its handover.
 */
static int write_handover(const char *dir, const struct tx_config *cfg,
			  const tx_identity *old_id)
{
	struct tx_error err = { 0 };
	char url[sizeof(cfg->public_url) + 80], path[PATH_MAX];
	tx_fed *fed = NULL;
	json_t *card = NULL;
	char *text = NULL;
	int rc = 1;

	if (cfg->public_url[0] != '\0')
		snprintf(url, sizeof(url), "%s/%s/", cfg->public_url, cfg->api_root);
	if (fed_open(dir, cfg, &fed, &err) != TX_OK ||
	    fed_card_export(fed, cfg->public_url[0] ? url : NULL, &card,
			    &err) != TX_OK ||
	    (old_id != NULL && fed_card_handover_sign(card, old_id, &err) != TX_OK)) {
		cli_fail("the handover card: %s", err.msg);
		goto out;
	}
	if ((text = tx_json_dumps(card, JSON_INDENT(2))) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	tx_path_join(path, sizeof(path), dir, HANDOVER_CARD);
	if (tx_write_file(path, text, strlen(text), 0644, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("handover card: %s\n", path);
	rc = 0;
out:
	free(text);
	json_decref(card);
	fed_close(fed);
	return rc;
}

/*
 * A new identity key for the node: the old one is kept as
 * identity.key.old, loaded into *old (to sign the handover). On failure
 * nothing changed.
 */
static int new_identity(const char *dir, tx_identity **old)
{
	char cur[PATH_MAX], tmp[PATH_MAX], keep[PATH_MAX], hex[CRYPTO_PUBHEX_BUF];
	struct tx_error err = { 0 };

	tx_path_join(cur, sizeof(cur), dir, "identity.key");
	tx_path_join(tmp, sizeof(tmp), dir, "identity.key.new");
	tx_path_join(keep, sizeof(keep), dir, "identity.key.old");
	unlink(tmp);
	if (crypto_identity_load(cur, old, &err) != TX_OK ||
	    crypto_identity_create(tmp, hex, &err) != TX_OK) {
		crypto_identity_free(*old);
		*old = NULL;
		return cli_fail("identity key: %s", err.msg);
	}
	if (rename(cur, keep) != 0 || rename(tmp, cur) != 0) {
		rename(keep, cur);
		unlink(tmp);
		crypto_identity_free(*old);
		*old = NULL;
		return cli_fail("identity key: cannot replace %s", cur);
	}
	printf("identity key: ed25519:%s (the old one kept in %s)\n", hex, keep);
	return 0;
}

static const struct cli_opt renew_opts[] = {
	{ "new-key", NULL, 0, "make a new key too (default: keep the key)" },
	{ "new-identity", NULL, 0, "make the node a new Ed25519 identity key"
	  " too; the handover card is signed by the old one" },
	{ "san", "NAME", CLI_MANY, "DNS name or address the certificate is for"
	  " (default: the names of the current one)" },
	{ 0 },
};

static int renew_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	const char *const *sans = cli_opts(a, "san");
	char tmp_cert[PATH_MAX], tmp_key[PATH_MAX], fp[CRYPTO_FP_BUF];
	char *old = NULL, *key = NULL, *cert = NULL, *nkey = NULL;
	const char *hosts[CRYPTO_CERT_NAMES_MAX + 1];
	struct crypto_cert_info *ci = calloc(1, sizeof(*ci));
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_identity *old_id = NULL;
	size_t old_len = 0, key_len = 0, cert_len = 0, nkey_len = 0, n = 0;
	int rc = 1;

	if (ci == NULL)
		return cli_fail("out of memory");
	if (cli_open_node(dir, &cfg, NULL) != 0)
		goto out;
	if (read_tls(dir, "cert.pem", &old, &old_len, &err) != TX_OK ||
	    crypto_cert_info(old, old_len, ci, &err) != TX_OK ||
	    read_tls(dir, "key.pem", &key, &key_len, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	hosts[n++] = cfg.listen_host;
	if (sans[0] != NULL) {
		for (size_t i = 0; sans[i] && n < CRYPTO_CERT_NAMES_MAX; i++)
			hosts[n++] = sans[i];
	} else {
		for (size_t i = 0; i < ci->n_names && n < CRYPTO_CERT_NAMES_MAX; i++)
			hosts[n++] = ci->names[i];
	}
	/* Made beside the old files (never over them), then moved. */
	tx_path_join(tmp_cert, sizeof(tmp_cert), dir, "tls/cert.pem.new");
	tx_path_join(tmp_key, sizeof(tmp_key), dir, "tls/key.pem.new");
	unlink(tmp_cert);
	unlink(tmp_key);
	if (crypto_tls_create_for(tmp_cert, tmp_key, hosts, n, cfg.name,
				  cli_flag(a, "new-key") ? NULL : key,
				  key_len, fp, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (tx_read_file(tmp_cert, 1 << 20, &cert, &cert_len, &err) != TX_OK ||
	    tx_read_file(tmp_key, 1 << 20, &nkey, &nkey_len, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (install(dir, cert, cert_len, nkey, nkey_len) != 0)
		goto out;
	printf("renewed %s/tls/cert.pem for ten years (%s key)\n", dir,
	       cli_flag(a, "new-key") ? "a new" : "the same");
	if (cli_flag(a, "new-identity") && new_identity(dir, &old_id) != 0)
		goto out;
	if (write_handover(dir, &cfg, old_id) != 0)
		goto out;
	tell_partners(ci->fp, fp);
	rc = 0;
out:
	crypto_identity_free(old_id);
	unlink(tmp_cert);
	unlink(tmp_key);
	if (key)
		sodium_memzero(key, key_len);
	if (nkey)
		sodium_memzero(nkey, nkey_len);
	free(key);
	free(nkey);
	free(old);
	free(cert);
	free(ci);
	return rc;
}

const struct cmd cmd_cert_renew = {
	.name = "cert renew",
	.summary = "make the node a new TLS certificate (same key unless"
		   " --new-key)",
	.opts = renew_opts,
	.flags = CMD_DIR,
	.main = renew_run,
};

static const struct cli_opt import_opts[] = {
	{ "cert", "PEM", CLI_REQ, "the certificate (the agency's own; a chain"
	  " may follow it)" },
	{ "key", "PEM", CLI_REQ, "its private key (unencrypted PEM)" },
	{ 0 },
};

static int import_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	char *cert = NULL, *key = NULL, *old = NULL, old_fp[CRYPTO_FP_BUF] = "-";
	char fp[CRYPTO_FP_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	size_t cert_len = 0, key_len = 0, old_len = 0;
	int warned = 0, rc = 1;

	if (cli_open_node(dir, &cfg, NULL) != 0)
		return 1;
	if (tx_read_file(cli_opt(a, "cert"), 1 << 20, &cert, &cert_len, &err) != TX_OK ||
	    tx_read_file(cli_opt(a, "key"), 1 << 20, &key, &key_len, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (crypto_cert_fingerprint(cert, cert_len, fp, &err) != TX_OK) {
		cli_fail("%s: %s", cli_opt(a, "cert"), err.msg);
		goto out;
	}
	if (crypto_tls_check_pair(cert, cert_len, key, key_len, &err) != TX_OK) {
		cli_fail("%s, %s: %s", cli_opt(a, "cert"), cli_opt(a, "key"), err.msg);
		goto out;
	}
	if (cli_cert_expiry_check(cert, cert_len, cli_opt(a, "cert"),
				  (int64_t)time(NULL), &warned) != 0)
		goto out;
	if (read_tls(dir, "cert.pem", &old, &old_len, &err) == TX_OK)
		crypto_cert_fingerprint(old, old_len, old_fp, &err);
	if (install(dir, cert, cert_len, key, key_len) != 0)
		goto out;
	printf("imported %s as %s/tls/cert.pem\n", cli_opt(a, "cert"), dir);
	tell_partners(old_fp, fp);
	rc = 0;
out:
	if (key)
		sodium_memzero(key, key_len);
	free(key);
	free(cert);
	free(old);
	return rc;
}

const struct cmd cmd_cert_import = {
	.name = "cert import",
	.summary = "use an agency's own certificate and key for TLS (partners"
		   " still pin it)",
	.opts = import_opts,
	.flags = CMD_DIR,
	.main = import_run,
};
