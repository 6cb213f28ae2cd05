/*
 * crypto/identity.c: using the node's Ed25519 identity.
 *
 * The secret key is read once into sodium secure memory (guarded pages,
 * read-only between uses) and wiped when released. The same key pair,
 * converted to X25519, is the node's sealing key: a partner seals TLP:RED
 * content to it with a libsodium sealed box, and only this node can open it.
 */
#include <gnutls/crypto.h>
#include <sodium.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

struct tx_identity {
	unsigned char *sk;                           /* secure memory, 64 bytes */
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
};

tx_err crypto_identity_load(const char *path, tx_identity **out,
			    struct tx_error *err)
{
	tx_identity *id = NULL;
	char *raw = NULL;
	size_t len = 0;
	tx_err rc;

	if ((rc = crypto_init()) != TX_OK)
		return tx_error_set(err, rc, "cannot initialise libsodium");
	if ((rc = tx_read_file(path, 4096, &raw, &len, err)) != TX_OK)
		return rc;
	if (len != crypto_sign_SECRETKEYBYTES) {
		rc = tx_error_set(err, TX_ERR_CRYPTO, "%s: not an Ed25519 secret key"
				  " (%zu bytes)", path, len);
		goto out;
	}
	if ((id = calloc(1, sizeof(*id))) == NULL ||
	    (id->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(id->sk, raw, len);
	crypto_sign_ed25519_sk_to_pk(id->pk, id->sk);
	sodium_mprotect_readonly(id->sk);
	*out = id;
	id = NULL;
out:
	if (raw != NULL) {
		sodium_memzero(raw, len);
		free(raw);
	}
	crypto_identity_free(id);
	return rc;
}

void crypto_identity_free(tx_identity *id)
{
	if (id == NULL)
		return;
	sodium_free(id->sk); /* wipes */
	free(id);
}

void crypto_identity_public(const tx_identity *id,
			    unsigned char pk[CRYPTO_SIGN_PK_BYTES])
{
	memcpy(pk, id->pk, CRYPTO_SIGN_PK_BYTES);
}

tx_err crypto_sign_detached_id(const tx_identity *id, const void *msg,
			       size_t len, unsigned char sig[CRYPTO_SIG_BYTES])
{
	int r;

	sodium_mprotect_readonly(id->sk);
	r = crypto_sign_detached(sig, NULL, msg, len, id->sk);
	return r == 0 ? TX_OK : TX_ERR_CRYPTO;
}

int crypto_verify(const unsigned char pk[CRYPTO_SIGN_PK_BYTES], const void *msg,
		  size_t len, const unsigned char sig[CRYPTO_SIG_BYTES])
{
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

tx_err crypto_seal_key(const unsigned char sign_pk[CRYPTO_SIGN_PK_BYTES],
		       unsigned char seal_pk[CRYPTO_SEAL_PK_BYTES])
{
	return crypto_sign_ed25519_pk_to_curve25519(seal_pk, sign_pk) == 0 ?
		       TX_OK : TX_ERR_CRYPTO;
}

tx_err crypto_seal(const unsigned char seal_pk[CRYPTO_SEAL_PK_BYTES],
		   const void *msg, size_t len, unsigned char **out,
		   size_t *out_len)
{
	unsigned char *ct;

	if (len > SIZE_MAX - crypto_box_SEALBYTES)
		return TX_ERR_TOOBIG;
	if ((ct = malloc(len + crypto_box_SEALBYTES)) == NULL)
		return TX_ERR_NOMEM;
	if (crypto_box_seal(ct, msg, len, seal_pk) != 0) {
		free(ct);
		return TX_ERR_CRYPTO;
	}
	*out = ct;
	*out_len = len + crypto_box_SEALBYTES;
	return TX_OK;
}

tx_err crypto_unseal(const tx_identity *id, const unsigned char *ct, size_t len,
		     unsigned char **out, size_t *out_len)
{
	unsigned char *xsk = NULL, xpk[crypto_box_PUBLICKEYBYTES], *pt = NULL;
	tx_err rc = TX_ERR_CRYPTO;

	if (len < crypto_box_SEALBYTES)
		return TX_ERR_CRYPTO;
	if ((xsk = sodium_malloc(crypto_box_SECRETKEYBYTES)) == NULL ||
	    (pt = malloc(len - crypto_box_SEALBYTES + 1)) == NULL) {
		rc = TX_ERR_NOMEM;
		goto out;
	}
	sodium_mprotect_readonly(id->sk);
	if (crypto_sign_ed25519_sk_to_curve25519(xsk, id->sk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(xpk, id->pk) != 0 ||
	    crypto_box_seal_open(pt, ct, len, xpk, xsk) != 0)
		goto out;
	pt[len - crypto_box_SEALBYTES] = '\0';
	*out = pt;
	*out_len = len - crypto_box_SEALBYTES;
	pt = NULL;
	rc = TX_OK;
out:
	sodium_free(xsk);
	free(pt);
	return rc;
}

int crypto_hex_decode(const char *hex, unsigned char *out, size_t n)
{
	size_t len = 0;

	if (hex == NULL || strlen(hex) != 2 * n)
		return -1;
	return sodium_hex2bin(out, n, hex, 2 * n, NULL, &len, NULL) == 0 &&
			       len == n ? 0 : -1;
}

tx_err crypto_base64_encode(const unsigned char *in, size_t len, char **out)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *b = malloc(n);

	if (b == NULL)
		return TX_ERR_NOMEM;
	sodium_bin2base64(b, n, in, len, sodium_base64_VARIANT_ORIGINAL);
	*out = b;
	return TX_OK;
}

tx_err crypto_base64_decode(const char *in, unsigned char **out, size_t *len)
{
	size_t n = strlen(in), max = n / 4 * 3 + 3;
	unsigned char *b = malloc(max ? max : 1);

	if (b == NULL)
		return TX_ERR_NOMEM;
	if (sodium_base642bin(b, max, in, n, NULL, len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(b);
		return TX_ERR_INVALID;
	}
	*out = b;
	return TX_OK;
}

/* The value of each base64 character (RFC 4648 table 1); 255 for the
 * rest, '=' included. */
static const unsigned char b64_value[256] = {
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
	 52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255, 255, 255, 255,
	255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
	 15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
	255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
	 41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

int crypto_base64_encode_public(const unsigned char *in, size_t n, char *out,
				size_t out_size)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i = 0;

	if (out_size < (n + 2) / 3 * 4 + 1)
		return -1;
	for (; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = digits[w >> 18];
		out[o++] = digits[(w >> 12) & 63];
		out[o++] = digits[(w >> 6) & 63];
		out[o++] = digits[w & 63];
	}
	if (i < n) {
		uint32_t w = (uint32_t)in[i] << 16 |
			     (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = digits[w >> 18];
		out[o++] = digits[(w >> 12) & 63];
		out[o++] = i + 1 < n ? digits[(w >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

int crypto_base64_decode_exact(const char *in, size_t len, unsigned char *out,
			       size_t n)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	if (len != (n + 2) / 3 * 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		uint32_t w;
		for (int k = 0; k < 4; k++) {
			v[k] = b64_value[s[i + k]];
			if (v[k] == 255) {
				/* '=' only at the end, as many as n leaves. */
				if (s[i + k] != '=' || i + 4 != len || k < 2)
					return -1;
				v[k] = 0;
				pad++;
			} else if (pad) {
				return -1;
			}
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		    (uint32_t)v[2] << 6 | (uint32_t)v[3];
		if ((size_t)(3 - pad) != (n - o < 3 ? n - o : 3))
			return -1;
		/* Bits beyond the last byte must be zero (one encoding). */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -1;
		out[o++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)w;
	}
	return o == n ? 0 : -1;
}

/* ---- opaque position tokens ---- */

#define POSITION_TAG_BYTES 8

/* The tag and stream keys of context, from the identity's secret seed
 * (the first 32 bytes of libsodium's Ed25519 secret key). */
static void position_keys(const tx_identity *id, const char *context,
			  unsigned char tag_key[32], unsigned char enc_key[32])
{
	crypto_generichash_state h;

	for (int k = 0; k < 2; k++) {
		const char *label = k ? "trilex position enc v1" :
					"trilex position tag v1";
		crypto_generichash_init(&h, id->sk, 32, 32);
		/* with its NUL: label and context cannot run into each other */
		crypto_generichash_update(&h, (const unsigned char *)label,
					  strlen(label) + 1);
		crypto_generichash_update(&h, (const unsigned char *)context,
					  strlen(context));
		crypto_generichash_final(&h, k ? enc_key : tag_key, 32);
	}
	sodium_memzero(&h, sizeof(h));
}

/* The tag of pos (the first POSITION_TAG_BYTES of a keyed BLAKE2b). */
static void position_tag(const unsigned char tag_key[32],
			 const unsigned char pos[CRYPTO_POSITION_BYTES],
			 unsigned char tag[POSITION_TAG_BYTES])
{
	unsigned char h[crypto_generichash_BYTES_MIN];

	crypto_generichash(h, sizeof(h), pos, CRYPTO_POSITION_BYTES, tag_key, 32);
	memcpy(tag, h, POSITION_TAG_BYTES);
}

/* XOR n bytes of in with the ChaCha20 stream of (enc_key, tag) into out. */
static void position_xor(const unsigned char enc_key[32],
			 const unsigned char tag[POSITION_TAG_BYTES],
			 const unsigned char *in, unsigned char *out, size_t n)
{
	unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = { 0 };

	memcpy(nonce, tag, POSITION_TAG_BYTES);
	crypto_stream_chacha20_ietf_xor(out, in, n, nonce, enc_key);
}

void crypto_position_seal(const tx_identity *id, const char *context,
			  const unsigned char pos[CRYPTO_POSITION_BYTES],
			  char out[CRYPTO_POSITION_TOKEN_BUF])
{
	unsigned char tag_key[32], enc_key[32];
	unsigned char raw[POSITION_TAG_BYTES + CRYPTO_POSITION_BYTES];

	position_keys(id, context, tag_key, enc_key);
	position_tag(tag_key, pos, raw);
	position_xor(enc_key, raw, pos, raw + POSITION_TAG_BYTES,
		     CRYPTO_POSITION_BYTES);
	sodium_bin2base64(out, CRYPTO_POSITION_TOKEN_BUF, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(tag_key, sizeof(tag_key));
	sodium_memzero(enc_key, sizeof(enc_key));
}

int crypto_position_open(const tx_identity *id, const char *context,
			 const char *token,
			 unsigned char pos[CRYPTO_POSITION_BYTES])
{
	unsigned char tag_key[32], enc_key[32], tag[POSITION_TAG_BYTES];
	unsigned char raw[POSITION_TAG_BYTES + CRYPTO_POSITION_BYTES];
	size_t len = 0;
	int ok;

	if (token == NULL || strlen(token) != CRYPTO_POSITION_TOKEN_LEN ||
	    sodium_base642bin(raw, sizeof(raw), token, CRYPTO_POSITION_TOKEN_LEN,
			      NULL, &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof(raw))
		return -1;
	position_keys(id, context, tag_key, enc_key);
	position_xor(enc_key, raw, raw + POSITION_TAG_BYTES, pos,
		     CRYPTO_POSITION_BYTES);
	position_tag(tag_key, pos, tag);
	ok = sodium_memcmp(tag, raw, POSITION_TAG_BYTES) == 0;
	sodium_memzero(tag_key, sizeof(tag_key));
	sodium_memzero(enc_key, sizeof(enc_key));
	if (!ok)
		sodium_memzero(pos, CRYPTO_POSITION_BYTES);
	return ok ? 0 : -1;
}
