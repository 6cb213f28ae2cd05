/*
 * federation/card.c: peer cards, what partners exchange out of band to pin
 * each other: party, name, node URL, certificate (and its SHA-256), the
 * Ed25519 signing key and the X25519 sealing key derived from it.
 *
 * A card is signed by the node's identity key: "card_signature" is
 * {"key": "ed25519:HEX", "sig": BASE64}, an Ed25519 signature over the
 * RFC 8785 canonical JSON of the card without its CARD_SIG_MEMBERS. A card
 * that hands a partnership over to a new identity key also carries
 * "handover_signature", the same over the same bytes by the OLD key: a
 * partner that pinned the old key takes the new card on that word alone
 * (fed_card_handover_check). A card is refused unless its self-signature
 * holds, so nobody can alter one on its way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "federation/internal.h"
#include "stix/stix.h"

#define CARD_TYPE "trilex-peer-card"
#define CARD_SIG "card_signature"
#define CARD_HANDOVER "handover_signature"

/* The bytes a card's signatures are over: its canonical JSON without the
 * signature members (*out caller-freed). */
static tx_err card_bytes(const json_t *card, char **out, size_t *len,
			 struct tx_error *err)
{
	json_t *c = json_copy((json_t *)card);
	tx_err rc;

	if (c == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	json_object_del(c, CARD_SIG);
	json_object_del(c, CARD_HANDOVER);
	rc = stix_canonicalize(c, out, len, err);
	json_decref(c);
	return rc;
}

/* {"key": "ed25519:HEX", "sig": BASE64} of id over card, set as member. */
static tx_err card_sign(json_t *card, const tx_identity *id, const char *member,
			struct tx_error *err)
{
	unsigned char pk[CRYPTO_SIGN_PK_BYTES], sig[CRYPTO_SIG_BYTES];
	char hex[65], key[80], *bytes = NULL, *b64 = NULL;
	size_t len = 0;
	tx_err rc;

	if ((rc = card_bytes(card, &bytes, &len, err)) != TX_OK)
		return rc;
	crypto_identity_public(id, pk);
	tx_hex(pk, sizeof(pk), hex);
	snprintf(key, sizeof(key), "ed25519:%s", hex);
	if ((rc = crypto_sign_detached_id(id, bytes, len, sig)) != TX_OK ||
	    (rc = crypto_base64_encode(sig, sizeof(sig), &b64)) != TX_OK) {
		tx_error_set(err, rc, "cannot sign the card");
		goto out;
	}
	if (json_object_set_new(card, member, json_pack("{s:s, s:s}", "key", key,
							"sig", b64)))
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
out:
	free(bytes);
	free(b64);
	return rc;
}

/*
 * Whether member (a signature object of card) holds; its key into
 * key_hex (lower-case). TX_ERR_NOTFOUND when the card has no such
 * member, TX_ERR_INVALID when malformed, TX_ERR_CRYPTO when it does not
 * hold.
 */
static tx_err card_sig_check(const json_t *card, const char *member,
			     char key_hex[65], struct tx_error *err)
{
	const json_t *m = json_object_get(card, member);
	const char *key = json_string_value(json_object_get(m, "key"));
	const char *b64 = json_string_value(json_object_get(m, "sig"));
	unsigned char pk[CRYPTO_SIGN_PK_BYTES], sig[CRYPTO_SIG_BYTES];
	char *bytes = NULL;
	size_t len = 0;
	tx_err rc;

	if (m == NULL)
		return tx_error_set(err, TX_ERR_NOTFOUND, "peer card: %s: missing",
				    member);
	if (key == NULL || strncmp(key, "ed25519:", 8) != 0 || strlen(key) != 72 ||
	    crypto_hex_decode(key + 8, pk, sizeof(pk)) != 0)
		return tx_error_set(err, TX_ERR_INVALID, "peer card: %s.key: not"
				    " ed25519:<64 hex>", member);
	if (b64 == NULL || crypto_base64_decode_exact(b64, strlen(b64), sig,
						      sizeof(sig)) != 0)
		return tx_error_set(err, TX_ERR_INVALID, "peer card: %s.sig: not"
				    " the base64 of a 64-byte signature", member);
	if ((rc = card_bytes(card, &bytes, &len, err)) != TX_OK)
		return tx_error_set(err, TX_ERR_INVALID, "peer card: no canonical"
				    " form: %s", err->msg);
	rc = crypto_verify(pk, bytes, len, sig) ? TX_OK :
	     tx_error_set(err, TX_ERR_CRYPTO, "peer card: %s does not hold: the"
			  " card was altered after it was signed, or forged",
			  member);
	free(bytes);
	tx_hex(pk, sizeof(pk), key_hex);
	return rc;
}

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
	else if ((rc = card_sign(*out, fed->id, CARD_SIG, err)) != TX_OK) {
		json_decref(*out);
		*out = NULL;
	}
out:
	free(pem);
	return rc;
}

tx_err fed_card_handover_sign(json_t *card, const tx_identity *old_id,
			      struct tx_error *err)
{
	return card_sign(card, old_id, CARD_HANDOVER, err);
}

tx_err fed_card_handover_check(const json_t *card, const struct store_peer *pinned,
			       struct tx_error *err)
{
	const char *sk = json_string_value(json_object_get(card, "signing_key"));
	char key[65] = "";
	struct tx_error herr = { 0 };
	tx_err rc;

	/* the same identity key: its self-signature is the pinned key's */
	if (sk != NULL && strlen(sk) == 72 && strncasecmp(sk + 8, pinned->sign_pk,
							  64) == 0)
		return TX_OK;
	rc = card_sig_check(card, CARD_HANDOVER, key, &herr);
	if (rc == TX_OK && strcmp(key, pinned->sign_pk) == 0)
		return TX_OK;
	return tx_error_set(err, TX_ERR_DENIED, "the card for %s is not signed by"
			    " %s's pinned key ed25519:%.16s... (%s): refused; a"
			    " new key comes in a card signed by the old one (trilex"
			    " cert renew writes it), or check it with %s out of"
			    " band and run peer remove and peer add", pinned->party,
			    pinned->party, pinned->sign_pk,
			    rc == TX_OK ? "its handover_signature is by another"
					  " key" : herr.msg, pinned->party);
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

static tx_err card_parse(const json_t *card, const char *url,
			 struct store_peer *p, int may_be_unsigned,
			 struct tx_error *err);

tx_err fed_card_parse(const json_t *card, const char *url, struct store_peer *p,
		      struct tx_error *err)
{
	return card_parse(card, url, p, 0, err);
}

tx_err fed_card_parse_unsigned(const json_t *card, const char *url,
			       struct store_peer *p, struct tx_error *err)
{
	return card_parse(card, url, p, 1, err);
}

static tx_err card_parse(const json_t *card, const char *url,
			 struct store_peer *p, int may_be_unsigned,
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
	/* signed by the key it names: nobody altered it on its way */
	char key[65] = "";
	tx_err rc = card_sig_check(card, CARD_SIG, key, err);
	if (rc == TX_ERR_NOTFOUND && may_be_unsigned)
		return TX_OK; /* an older node's: its fingerprint checked by hand */
	if (rc == TX_ERR_NOTFOUND)
		return tx_error_set(err, TX_ERR_INVALID, "peer card: card_signature:"
				    " missing: the card is not signed (export a"
				    " new one with trilex peer export; a card of an"
				    " older trilex: peer add --allow-unsigned after"
				    " checking its tls_fingerprint with its owner)");
	if (rc != TX_OK)
		return TX_ERR_INVALID == rc ? rc : TX_ERR_CRYPTO;
	if (strcmp(key, p->sign_pk) != 0)
		return tx_error_set(err, TX_ERR_CRYPTO, "peer card: card_signature:"
				    " by ed25519:%.16s..., not by the card's"
				    " signing_key", key);
	return TX_OK;
}
