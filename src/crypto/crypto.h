/*
 * crypto: everything secret, through libsodium and GnuTLS.
 *
 * The node's Ed25519 identity key, its self-signed TLS certificate,
 * password hashes (crypto_pwhash, Argon2id) and bearer tokens (random,
 * stored only as a BLAKE2b hash). Secret keys live in sodium secure memory
 * and are wiped when released.
 */
#ifndef TRILEX_CRYPTO_CRYPTO_H
#define TRILEX_CRYPTO_CRYPTO_H

#include <stddef.h>

#include "core/core.h"

/* Call once before anything else here (sodium_init, gnutls_global_init). */
tx_err crypto_init(void);

/*
 * Create path, which must not exist (O_CREAT|O_EXCL: TX_ERR_EXISTS), with
 * the given mode, write len bytes of data and fsync. Borrows data. On a
 * failure after creation the file is removed. TX_ERR_IO on other errors.
 * For key and certificate files; tx_write_file would overwrite.
 */
tx_err crypto_write_new_file(const char *path, const void *data, size_t len,
			     unsigned mode, struct tx_error *err);

/* ---- node identity (Ed25519) ---- */

#define CRYPTO_PUBHEX_BUF 65

/*
 * Make a new Ed25519 key pair; write the secret key to path (mode 0600,
 * refusing to overwrite) and the public key, hex, to pub_hex.
 */
tx_err crypto_identity_create(const char *path, char pub_hex[CRYPTO_PUBHEX_BUF],
			      struct tx_error *err);

/* Loaded identity (secret key in secure memory). Opaque. */
typedef struct tx_identity tx_identity;

#define CRYPTO_SIGN_PK_BYTES 32
#define CRYPTO_SEAL_PK_BYTES 32
#define CRYPTO_SIG_BYTES 64

/* Read the secret key at path (DIR/identity.key) into secure memory. */
tx_err crypto_identity_load(const char *path, tx_identity **out,
			    struct tx_error *err);
/* Wipe and free; NULL is fine. */
void crypto_identity_free(tx_identity *id);
/* The identity's Ed25519 public key. */
void crypto_identity_public(const tx_identity *id,
			    unsigned char pk[CRYPTO_SIGN_PK_BYTES]);
/* Ed25519 signature of msg. */
tx_err crypto_sign_detached_id(const tx_identity *id, const void *msg,
			       size_t len, unsigned char sig[CRYPTO_SIG_BYTES]);
/* 1 when sig is pk's signature of msg. */
int crypto_verify(const unsigned char pk[CRYPTO_SIGN_PK_BYTES], const void *msg,
		  size_t len, const unsigned char sig[CRYPTO_SIG_BYTES]);
/* The X25519 sealing key that belongs to an Ed25519 signing key. */
tx_err crypto_seal_key(const unsigned char sign_pk[CRYPTO_SIGN_PK_BYTES],
		       unsigned char seal_pk[CRYPTO_SEAL_PK_BYTES]);
/* A libsodium sealed box of msg for seal_pk; *out is caller-freed. */
tx_err crypto_seal(const unsigned char seal_pk[CRYPTO_SEAL_PK_BYTES],
		   const void *msg, size_t len, unsigned char **out,
		   size_t *out_len);
/* Open a sealed box made for this identity; *out (NUL-terminated) freed by
 * the caller. TX_ERR_CRYPTO when it was not made for us or was altered. */
tx_err crypto_unseal(const tx_identity *id, const unsigned char *ct, size_t len,
		     unsigned char **out, size_t *out_len);
/* Decode exactly n bytes of hex; -1 on anything else. */
int crypto_hex_decode(const char *hex, unsigned char *out, size_t n);
/* Standard base64 with padding; *out caller-freed. */
tx_err crypto_base64_encode(const unsigned char *in, size_t len, char **out);
tx_err crypto_base64_decode(const char *in, unsigned char **out, size_t *len);
/* Decode exactly n bytes from standard, padded base64 of len characters
 * (the one canonical encoding, nothing else: no whitespace, no non-zero
 * spare bits) into out; 0, or -1. Not constant-time: for public values
 * (signatures, hashes), several times faster than libsodium's decoder. */
int crypto_base64_decode_exact(const char *in, size_t len, unsigned char *out,
			       size_t n);
/* Standard, padded base64 of the n bytes in, NUL-terminated, into out of
 * out_size; 0, or -1 when it does not fit. Not constant-time, like the
 * decoder above: for public values (signatures, hashes, public keys),
 * about twenty times fewer instructions than libsodium's encoder. */
int crypto_base64_encode_public(const unsigned char *in, size_t n, char *out,
				size_t out_size);

/* ---- opaque position tokens ---- */

#define CRYPTO_POSITION_BYTES 16
#define CRYPTO_POSITION_TOKEN_LEN 32   /* base64url characters */
#define CRYPTO_POSITION_TOKEN_BUF 33

/*
 * Seal a position (CRYPTO_POSITION_BYTES, e.g. a cursor into the store)
 * into a token that only this identity can open: base64url of a 64-bit
 * tag and the position encrypted with a key derived from the identity's
 * secret key and context (a SIV construction: BLAKE2b tag, ChaCha20 with
 * the tag as nonce). The same position gives the same token; to anyone
 * without the key a token says nothing of the position, and an altered or
 * made-up token does not open.
 */
void crypto_position_seal(const tx_identity *id, const char *context,
			  const unsigned char pos[CRYPTO_POSITION_BYTES],
			  char out[CRYPTO_POSITION_TOKEN_BUF]);
/* Open a token of crypto_position_seal with the same context: 0 with
 * pos filled, -1 when it is not such a token. */
int crypto_position_open(const tx_identity *id, const char *context,
			 const char *token,
			 unsigned char pos[CRYPTO_POSITION_BYTES]);

/* ---- TLS certificate ---- */

#define CRYPTO_FP_BUF 65

/*
 * Make a self-signed certificate (ECDSA P-256, 10 years) and its key, in PEM,
 * at cert_path and key_path (key mode 0600). The subjectAltName covers
 * host (a DNS name or an IPv4/IPv6 address), 127.0.0.1, ::1 and localhost;
 * the subject CN is common_name. fp_hex receives the SHA-256 fingerprint of
 * the DER certificate, lower-case hex.
 */
tx_err crypto_tls_create(const char *cert_path, const char *key_path,
			 const char *host, const char *common_name,
			 char fp_hex[CRYPTO_FP_BUF], struct tx_error *err);

/*
 * The same for n_hosts names (DNS names or addresses) beside the
 * loopbacks; with key_in (key_in_len bytes of PEM, borrowed) the
 * certificate is made for that key (written to key_path again), else for
 * a new one. Neither path may exist (TX_ERR_EXISTS).
 */
tx_err crypto_tls_create_for(const char *cert_path, const char *key_path,
			     const char *const *hosts, size_t n_hosts,
			     const char *common_name, const char *key_in,
			     size_t key_in_len, char fp_hex[CRYPTO_FP_BUF],
			     struct tx_error *err);

#define CRYPTO_CERT_NAMES_MAX 32
#define CRYPTO_CERT_NAME_MAX 256

/* What a certificate says: validity (unix seconds), subjectAltName DNS
 * names and addresses (as text; the first CRYPTO_CERT_NAMES_MAX), and its
 * SHA-256 fingerprint. */
struct crypto_cert_info {
	int64_t not_before, not_after;
	char names[CRYPTO_CERT_NAMES_MAX][CRYPTO_CERT_NAME_MAX];
	size_t n_names;
	char fp[CRYPTO_FP_BUF];
};
/* Read the first certificate of a PEM buffer. TX_ERR_INVALID if none. */
tx_err crypto_cert_info(const char *pem, size_t len, struct crypto_cert_info *ci,
			struct tx_error *err);
/* TX_OK when key_pem is the private key of cert_pem (both PEM), else
 * TX_ERR_CRYPTO saying so. */
tx_err crypto_tls_check_pair(const char *cert_pem, size_t cert_len,
			     const char *key_pem, size_t key_len,
			     struct tx_error *err);

/* SHA-256 fingerprint (hex) of the first certificate in a PEM buffer. */
tx_err crypto_cert_fingerprint(const char *pem, size_t len,
			       char fp_hex[CRYPTO_FP_BUF], struct tx_error *err);

/* ---- passwords ---- */

#define CRYPTO_PWHASH_BUF 128

/* Hash a password (Argon2id, libsodium string form) into out. */
tx_err crypto_password_hash(const char *pw, size_t len,
			    char out[CRYPTO_PWHASH_BUF]);
/* 1 when pw matches hash, 0 otherwise (also on a malformed hash). */
int crypto_password_verify(const char *hash, const char *pw, size_t len);

/* ---- bearer tokens ---- */

#define CRYPTO_TOKEN_BUF 64
#define CRYPTO_TOKEN_HASH_BUF 65

/* A new random token: "tx_" + 43 base64url characters (256 bits). */
tx_err crypto_token_new(char out[CRYPTO_TOKEN_BUF]);
/* BLAKE2b-256 of a token, hex: what the store keeps. */
void crypto_token_hash(const char *token, size_t len,
		       char out[CRYPTO_TOKEN_HASH_BUF]);

/* ---- name-based identifiers ---- */

/* ---- keyed hash, for in-memory caches ---- */

/* BLAKE2b-256 of data keyed with a per-process random key, hex. */
void crypto_cache_key(const void *data, size_t len,
		      char out[CRYPTO_TOKEN_HASH_BUF]);

#endif
