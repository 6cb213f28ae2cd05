/*
 * federation/sign.c: signing and checking objects.
 *
 * The signature covers the RFC 8785 canonical JSON of the object without
 * our extension (and without "extensions" when ours was its only member),
 * so it survives any re-serialisation and any relay. The extension holds
 * the signer's party, its Ed25519 key (hex) and the signature (base64).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/internal.h"
#include "stix/stix.h"

/* A copy of obj without our extension; caller decrefs. */
static json_t *unsigned_copy(const json_t *obj)
{
	json_t *copy = json_deep_copy(obj), *ext;

	if (copy == NULL)
		return NULL;
	ext = json_object_get(copy, "extensions");
	if (json_is_object(ext)) {
		json_object_del(ext, FED_SIG_EXT);
		if (json_object_size(ext) == 0)
			json_object_del(copy, "extensions");
	}
	return copy;
}

const char *sig_signer(const json_t *obj)
{
	const json_t *e = json_object_get(json_object_get(obj, "extensions"),
					  FED_SIG_EXT);

	return json_string_value(json_object_get(e, "signer_key"));
}

tx_err sig_attach(const tx_fed *fed, json_t *obj, const char *b64,
		  struct tx_error *err)
{
	json_t *ext, *mine;

	mine = json_pack("{s:s, s:s, s:s, s:s}", "extension_type",
			 "property-extension", "signer_party", fed->cfg.party,
			 "signer_key", fed->pk_hex, "signature", b64);
	ext = json_object_get(obj, "extensions");
	if (mine == NULL || (!json_is_object(ext) &&
			     json_object_set_new(obj, "extensions",
						 ext = json_object()) != 0) ||
	    json_object_set_new(ext, FED_SIG_EXT, mine) != 0)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return TX_OK;
}

tx_err sig_make(const tx_fed *fed, json_t *obj, char b64_out[SIG_B64_BUF],
		struct tx_error *err)
{
	unsigned char sig[CRYPTO_SIG_BYTES];
	json_t *copy = unsigned_copy(obj);
	char *canon = NULL, *b64 = NULL;
	size_t len = 0;
	tx_err rc;

	if (copy == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = stix_canonicalize(copy, &canon, &len, err)) != TX_OK)
		goto out;
	if ((rc = crypto_sign_detached_id(fed->id, canon, len, sig)) != TX_OK ||
	    (rc = crypto_base64_encode(sig, sizeof(sig), &b64)) != TX_OK) {
		tx_error_set(err, rc, "cannot sign");
		goto out;
	}
	snprintf(b64_out, SIG_B64_BUF, "%s", b64);
out:
	json_decref(copy);
	free(canon);
	free(b64);
	return rc;
}

tx_err fed_sign(const tx_fed *fed, json_t *obj, struct tx_error *err)
{
	char b64[SIG_B64_BUF];
	tx_err rc;

	if ((rc = sig_make(fed, obj, b64, err)) != TX_OK)
		return rc;
	return sig_attach(fed, obj, b64, err);
}

enum fed_verdict fed_verify(const tx_fed *fed, tx_store *st, const json_t *obj,
			    char origin[TX_PARTY_MAX], struct tx_error *err)
{
	const json_t *e = json_object_get(json_object_get(obj, "extensions"),
					  FED_SIG_EXT);
	const char *key = json_string_value(json_object_get(e, "signer_key"));
	const char *sig64 = json_string_value(json_object_get(e, "signature"));
	unsigned char pk[CRYPTO_SIGN_PK_BYTES], *sig = NULL;
	struct store_peer *peer = NULL;
	enum fed_verdict v = FED_BAD_SIGNATURE;
	json_t *copy = NULL;
	char *canon = NULL;
	size_t len = 0, sig_len = 0;

	if (key == NULL || sig64 == NULL) {
		tx_error_set(err, TX_ERR_CRYPTO, "unsigned: no trilex signature");
		return FED_UNSIGNED;
	}
	if (crypto_hex_decode(key, pk, sizeof(pk)) != 0) {
		tx_error_set(err, TX_ERR_CRYPTO, "signer_key is not a key");
		return FED_UNKNOWN_KEY;
	}
	if (strcmp(key, fed->pk_hex) == 0) {
		snprintf(origin, TX_PARTY_MAX, "%s", fed->cfg.party);
	} else {
		if ((peer = malloc(sizeof(*peer))) == NULL ||
		    store_peer_find(st, NULL, NULL, key, peer) != TX_OK) {
			tx_error_set(err, TX_ERR_CRYPTO, "signed by a key no partner"
				     " pinned (ed25519:%.16s...)", key);
			v = FED_UNKNOWN_KEY;
			goto out;
		}
		snprintf(origin, TX_PARTY_MAX, "%s", peer->party);
	}
	/* The party named beside the signature is not covered by it: it must
	 * be the party whose key signed. */
	const char *named = json_string_value(json_object_get(e, "signer_party"));
	if (named == NULL || strcmp(named, origin) != 0) {
		tx_error_set(err, TX_ERR_CRYPTO, "signer_party \"%.8s\" is not the"
			     " party of the signing key (%s)", named ? named : "",
			     origin);
		goto out;
	}
	if (crypto_base64_decode(sig64, &sig, &sig_len) != TX_OK ||
	    sig_len != CRYPTO_SIG_BYTES) {
		tx_error_set(err, TX_ERR_CRYPTO, "signature is not base64 Ed25519");
		goto out;
	}
	if ((copy = unsigned_copy(obj)) == NULL ||
	    stix_canonicalize(copy, &canon, &len, err) != TX_OK)
		goto out;
	if (!crypto_verify(pk, canon, len, sig)) {
		tx_error_set(err, TX_ERR_CRYPTO, "signature of %s does not match the"
			     " content: altered", origin);
		goto out;
	}
	v = FED_SIGNED_OK;
out:
	free(peer);
	free(sig);
	free(canon);
	json_decref(copy);
	return v;
}
