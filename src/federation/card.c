/*
 * federation/card.c: peer cards, what partners exchange out of band to pin
 * each other: party, name, node URL, certificate (and its SHA-256), the
 * Ed25519 signing key and the X25519 sealing key derived from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "federation/internal.h"

#define CARD_TYPE "trilex-peer-card"

tx_err fed_card_export(const tx_fed *fed, const char *url, json_t **out,
		       struct tx_error *err)
{
	unsigned char seal[CRYPTO_SEAL_PK_BYTES];
	char fp[CRYPTO_FP_BUF], seal_hex[65], sk[80], xk[80], fps[80], u[600];
	char *pem = NULL;
	size_t len = 0;
	const struct tx_config *c = &fed->cfg;
	tx_err rc;

	if ((rc = tx_read_file(fed->cert_path, STORE_PEM_MAX - 1, &pem, &len, err)))
		return rc;
	if ((rc = crypto_cert_fingerprint(pem, len, fp, err)) != TX_OK ||
	    (rc = crypto_seal_key(fed->pk, seal)) != TX_OK)
		goto out;
	tx_hex(seal, sizeof(seal), seal_hex);
	snprintf(sk, sizeof(sk), "ed25519:%s", fed->pk_hex);
	snprintf(xk, sizeof(xk), "x25519:%s", seal_hex);
	snprintf(fps, sizeof(fps), "sha256:%s", fp);
	if (url)
		snprintf(u, sizeof(u), "%s", url);
	else
		snprintf(u, sizeof(u), "https://%s%s%s:%d/%s/",
			 strchr(c->listen_host, ':') ? "[" : "", c->listen_host,
			 strchr(c->listen_host, ':') ? "]" : "", c->listen_port,
			 c->api_root);
	/* signatures: what this node checks; a partner signs in batches
	 * for it only when "batch" is listed (older nodes check each object's
	 * own signature only). */
	*out = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s,s]}",
			 "type", CARD_TYPE, "version", 1, "party", c->party, "name",
			 c->name, "url", u, "tls_fingerprint", fps, "tls_certificate",
			 pem, "signing_key", sk, "sealing_key", xk, "signatures",
			 "ed25519", FED_SIG_BATCH);
	if (*out == NULL)
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
out:
	free(pem);
	return rc;
}

static const char *field(const json_t *card, const char *name, size_t max,
			 struct tx_error *err)
{
	const char *v = json_string_value(json_object_get(card, name));

	if (v == NULL || *v == '\0' || strlen(v) >= max) {
		tx_error_set(err, TX_ERR_INVALID, "peer card: %s: %s", name,
			     v == NULL ? "missing or not a string" : "bad length");
		return NULL;
	}
	return v;
}

tx_err fed_card_parse(const json_t *card, const char *url, struct store_peer *p,
		      struct tx_error *err)
{
	const char *party, *name, *u, *fp, *pem, *sk, *xk;
	unsigned char spk[CRYPTO_SIGN_PK_BYTES], xpk[CRYPTO_SEAL_PK_BYTES];
	unsigned char want[CRYPTO_SEAL_PK_BYTES];
	char real_fp[CRYPTO_FP_BUF];

	memset(p, 0, sizeof(*p));
	if (!json_is_object(card) ||
	    strcmp(json_string_value(json_object_get(card, "type")) ?
		   json_string_value(json_object_get(card, "type")) : "",
		   CARD_TYPE) != 0)
		return tx_error_set(err, TX_ERR_INVALID, "peer card: type: not a"
				    " \"" CARD_TYPE "\"");
	if (!(party = field(card, "party", sizeof(p->party), err)) ||
	    !(name = field(card, "name", sizeof(p->name), err)) ||
	    !(u = url ? url : field(card, "url", sizeof(p->url), err)) ||
	    !(fp = field(card, "tls_fingerprint", 80, err)) ||
	    !(pem = field(card, "tls_certificate", sizeof(p->cert_pem), err)) ||
	    !(sk = field(card, "signing_key", 80, err)) ||
	    !(xk = field(card, "sealing_key", 80, err)))
		return TX_ERR_INVALID;
	if (!tx_party_valid(party))
		return tx_error_set(err, TX_ERR_INVALID, "peer card: party:"
				    " \"%s\" is not 2-7 upper-case letters",
				    party);
	if (strncmp(u, "https://", 8) != 0 || strlen(u) >= sizeof(p->url))
		return tx_error_set(err, TX_ERR_INVALID, "peer card: url: \"%s\" is"
				    " not an https:// URL", u);
	if (strncmp(fp, "sha256:", 7) != 0 || strlen(fp + 7) != 64)
		return tx_error_set(err, TX_ERR_INVALID, "peer card: tls_fingerprint:"
				    " not sha256:<64 hex>");
	if (crypto_cert_fingerprint(pem, strlen(pem), real_fp, err) != TX_OK)
		return tx_error_set(err, TX_ERR_INVALID, "peer card: tls_certificate:"
				    " not a PEM certificate");
	if (strcasecmp(real_fp, fp + 7) != 0)
		return tx_error_set(err, TX_ERR_INVALID, "peer card: tls_fingerprint"
				    " does not match tls_certificate");
	if (strncmp(sk, "ed25519:", 8) != 0 ||
	    crypto_hex_decode(sk + 8, spk, sizeof(spk)) != 0)
		return tx_error_set(err, TX_ERR_INVALID, "peer card: signing_key:"
				    " not ed25519:<64 hex>");
	if (strncmp(xk, "x25519:", 7) != 0 ||
	    crypto_hex_decode(xk + 7, xpk, sizeof(xpk)) != 0 ||
	    crypto_seal_key(spk, want) != TX_OK || memcmp(want, xpk, 32) != 0)
		return tx_error_set(err, TX_ERR_INVALID, "peer card: sealing_key:"
				    " not the x25519 key of signing_key");
	snprintf(p->party, sizeof(p->party), "%s", party);
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->url, sizeof(p->url), "%s%s", u,
		 u[strlen(u) - 1] == '/' ? "" : "/");
	snprintf(p->cert_fp, sizeof(p->cert_fp), "%s", real_fp);
	snprintf(p->cert_pem, sizeof(p->cert_pem), "%s", pem);
	snprintf(p->sign_pk, sizeof(p->sign_pk), "%s", sk + 8);
	snprintf(p->seal_pk, sizeof(p->seal_pk), "%s", xk + 7);
	for (char *c = p->sign_pk; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'F' ? *c + 32 : *c);
	const json_t *sigs = json_object_get(card, "signatures"), *v;
	size_t i;
	if (sigs != NULL && !json_is_array(sigs))
		return tx_error_set(err, TX_ERR_INVALID, "peer card: signatures:"
				    " not a list");
	json_array_foreach(sigs, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v),
						FED_SIG_BATCH) == 0)
			p->batch_sig = 1;
	return TX_OK;
}
