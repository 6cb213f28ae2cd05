/*
 * crypto/crypto.c: initialisation, the node identity, passwords, tokens.
 *
 * Design note
 * -----------
 * Job: every secret trilex handles passes through this module, so the rest
 * of the tree never touches key bytes. libsodium does the primitives
 * (Ed25519, Argon2id, BLAKE2b, randomness); GnuTLS does X.509 (tls.c).
 *
 * Data:
 *  - the Ed25519 identity: a 64-byte libsodium secret key, written raw to
 *    a file of mode 0600 and otherwise held only in sodium_malloc memory
 *    that is wiped (sodium_free wipes) before release;
 *  - password hashes: libsodium's "$argon2id$..." strings;
 *  - bearer tokens: "tx_" + base64url of 32 random bytes; only their
 *    BLAKE2b-256 hash is ever stored;
 *  - one per-process random key for crypto_cache_key, made once and kept
 *    read-only in secure memory for the life of the process.
 *
 * Invariants:
 *  - files holding secrets are created with O_CREAT|O_EXCL: an existing
 *    key is never overwritten (TX_ERR_EXISTS), and a half-written file is
 *    removed again;
 *  - every stack or heap copy of secret material is sodium_memzero'd on
 *    every path out of the function that made it;
 *  - crypto_init runs its work exactly once per process (pthread_once) and
 *    every later call returns the first call's result.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <sodium.h>

#include "crypto/crypto.h"

_Static_assert(CRYPTO_PWHASH_BUF >= crypto_pwhash_STRBYTES,
	       "CRYPTO_PWHASH_BUF too small for crypto_pwhash_str");
_Static_assert(CRYPTO_PUBHEX_BUF == 2 * crypto_sign_PUBLICKEYBYTES + 1,
	       "CRYPTO_PUBHEX_BUF must hold a hex Ed25519 public key");
_Static_assert(CRYPTO_TOKEN_HASH_BUF == 2 * 32 + 1,
	       "CRYPTO_TOKEN_HASH_BUF must hold a hex BLAKE2b-256");

/*
 * Argon2id cost. OWASP's password storage guidance gives m=19 MiB, t=2,
 * p=1 as the baseline Argon2id setting (libsodium always uses p=1). We do
 * not use libsodium's INTERACTIVE/MODERATE presets because the server
 * verifies passwords on request threads: each verification holds memlimit
 * bytes for its duration, so with N HTTP workers the worst case is about
 * N * 19 MiB (e.g. 16 workers, ~300 MiB), which keeps a node within its
 * memory target while still costing an attacker ~19 MiB per guess.
 */
#define PWHASH_OPSLIMIT 2ULL
#define PWHASH_MEMLIMIT ((size_t)19 * 1024 * 1024)

/*
 * Upper bounds on the cost a stored hash may ask for. A hash string comes
 * from our own store, but a damaged or tampered row must not make verify
 * allocate gigabytes or spin for minutes; such a hash simply never matches.
 * The bounds leave room to raise the parameters above later.
 */
#define PWHASH_VERIFY_MAX_MEM_KIB 262144UL /* 256 MiB */
#define PWHASH_VERIFY_MAX_T 16UL

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static tx_err init_rc = TX_ERR_INTERNAL;

static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;
/* Owned by the process, never freed: secure memory or the fallback below. */
static unsigned char *cache_key;
static unsigned char cache_key_fallback[crypto_generichash_KEYBYTES];

static void init_run(void)
{
	if (sodium_init() < 0) {
		init_rc = TX_ERR_CRYPTO;
		return;
	}
	/*
	 * gnutls_global_init is reference counted; we take one reference for
	 * the life of the process and never deinit, since other threads may
	 * still hold sessions at exit.
	 */
	if (gnutls_global_init() < 0) {
		init_rc = TX_ERR_CRYPTO;
		return;
	}
	init_rc = TX_OK;
}

/*
 * Initialise libsodium and GnuTLS. Safe to call any number of times from
 * any thread; the work happens once and later calls return its result.
 * Returns TX_ERR_CRYPTO when either library cannot start (for example no
 * usable source of randomness).
 */
tx_err crypto_init(void)
{
	if (pthread_once(&init_once, init_run) != 0)
		return TX_ERR_INTERNAL;
	return init_rc;
}

/*
 * Create path (which must not exist) with the given mode and write len
 * bytes of data to it, then fsync. Borrows data. On any failure after the
 * file was created, the file is removed so no partial key is left behind.
 * Returns TX_ERR_EXISTS when path exists, TX_ERR_IO on other failures.
 */
tx_err crypto_write_new_file(const char *path, const void *data, size_t len,
			     unsigned mode, struct tx_error *err)
{
	const unsigned char *p = data;
	tx_err rc = TX_OK;
	int fd = -1;
	int created = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  (mode_t)mode);
	if (fd < 0) {
		rc = tx_error_set(err, errno == EEXIST ? TX_ERR_EXISTS : TX_ERR_IO,
				  "%s: %s", path,
				  errno == EEXIST ? "already exists, not overwriting" :
						    strerror(errno));
		goto out;
	}
	created = 1;
	/* The umask may have cleared bits we asked for (or we want fewer). */
	if (fchmod(fd, (mode_t)mode) != 0) {
		rc = tx_error_set(err, TX_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = tx_error_set(err, TX_ERR_IO, "%s: %s", path,
					  strerror(errno));
			goto out;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0) {
		rc = tx_error_set(err, TX_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
out:
	if (fd >= 0 && close(fd) != 0 && rc == TX_OK)
		rc = tx_error_set(err, TX_ERR_IO, "%s: %s", path, strerror(errno));
	if (rc != TX_OK && created)
		unlink(path);
	return rc;
}

/*
 * Make a new Ed25519 key pair. The 64-byte secret key is written raw to
 * path (mode 0600, created exclusively: TX_ERR_EXISTS if path exists) and
 * never leaves secure memory otherwise; pub_hex receives the 32-byte
 * public key as lower-case hex. Returns TX_ERR_NOMEM when secure memory
 * cannot be had, TX_ERR_CRYPTO when key generation fails, TX_ERR_IO on
 * write errors.
 */
tx_err crypto_identity_create(const char *path, char pub_hex[CRYPTO_PUBHEX_BUF],
			      struct tx_error *err)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char *sk = NULL; /* owned, secure memory */
	tx_err rc = TX_OK;

	if (path == NULL || *path == '\0') {
		rc = tx_error_set(err, TX_ERR_INVALID, "identity key: no path");
		goto out;
	}
	if ((rc = crypto_init()) != TX_OK) {
		tx_error_set(err, rc, "identity key: crypto library init failed");
		goto out;
	}
	sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (sk == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM,
				  "identity key: no secure memory");
		goto out;
	}
	if (crypto_sign_keypair(pk, sk) != 0) {
		rc = tx_error_set(err, TX_ERR_CRYPTO,
				  "identity key: key generation failed");
		goto out;
	}
	rc = crypto_write_new_file(path, sk, crypto_sign_SECRETKEYBYTES, 0600,
				   err);
	if (rc != TX_OK)
		goto out;
	tx_hex(pk, sizeof(pk), pub_hex);
out:
	sodium_free(sk); /* wipes before releasing */
	return rc;
}

/* Parse a decimal unsigned field of a hash string; advances *s. */
static int parse_param(const char **s, const char *name, unsigned long max,
		       unsigned long *out)
{
	size_t nlen = strlen(name);
	unsigned long v = 0;
	const char *p = *s;

	if (strncmp(p, name, nlen) != 0)
		return -1;
	p += nlen;
	if (*p < '0' || *p > '9')
		return -1;
	/* Hand-rolled so an absurd value is refused, not wrapped. */
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -1;
		p++;
	}
	*s = p;
	*out = v;
	return 0;
}

/* 0 when hash is an Argon2id string whose cost is within our bounds. */
static int check_hash_cost(const char *hash)
{
	static const char prefix[] = "$argon2id$v=19$";
	const char *p = hash;
	unsigned long m, t, par;

	if (strncmp(p, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	p += sizeof(prefix) - 1;
	if (parse_param(&p, "m=", PWHASH_VERIFY_MAX_MEM_KIB, &m) != 0 ||
	    parse_param(&p, ",t=", PWHASH_VERIFY_MAX_T, &t) != 0 ||
	    parse_param(&p, ",p=", 1, &par) != 0 || *p != '$')
		return -1;
	return 0;
}

/*
 * Hash a password with Argon2id (opslimit 2, memlimit 19 MiB; see
 * PWHASH_* above) into out as libsodium's NUL-terminated string form,
 * which carries its own salt and parameters. Borrows pw (len bytes, need
 * not be NUL-terminated). Returns TX_ERR_NOMEM when the 19 MiB cannot be
 * allocated, TX_ERR_TOOBIG for an over-long password.
 */
tx_err crypto_password_hash(const char *pw, size_t len,
			    char out[CRYPTO_PWHASH_BUF])
{
	tx_err rc = TX_OK;

	if (pw == NULL && len > 0) {
		rc = TX_ERR_INVALID;
		goto out;
	}
	if ((unsigned long long)len > crypto_pwhash_PASSWD_MAX) {
		rc = TX_ERR_TOOBIG;
		goto out;
	}
	if ((rc = crypto_init()) != TX_OK)
		goto out;
	if (crypto_pwhash_str_alg(out, pw == NULL ? "" : pw, len,
				  PWHASH_OPSLIMIT, PWHASH_MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		/* libsodium's only run-time failure here is allocation. */
		rc = TX_ERR_NOMEM;
		goto out;
	}
out:
	return rc;
}

/*
 * 1 when pw (len bytes) matches hash, 0 otherwise. A NULL, unterminated
 * (no NUL within CRYPTO_PWHASH_BUF bytes), non-Argon2id or malformed hash,
 * or one asking for a cost past our bounds, gives 0 without hashing.
 */
int crypto_password_verify(const char *hash, const char *pw, size_t len)
{
	int ok = 0;

	if (hash == NULL || (pw == NULL && len > 0))
		goto out;
	if (strnlen(hash, CRYPTO_PWHASH_BUF) >= CRYPTO_PWHASH_BUF)
		goto out;
	if (check_hash_cost(hash) != 0)
		goto out;
	if (crypto_init() != TX_OK)
		goto out;
	ok = crypto_pwhash_str_verify(hash, pw == NULL ? "" : pw, len) == 0;
out:
	return ok;
}

/*
 * A new bearer token: "tx_" followed by the unpadded base64url encoding
 * of 32 random bytes (43 characters), NUL-terminated in out. The random
 * bytes are wiped; the caller owns the token and should wipe it too once
 * it is shown to the user. Returns TX_ERR_CRYPTO if the library cannot
 * start.
 */
tx_err crypto_token_new(char out[CRYPTO_TOKEN_BUF])
{
	unsigned char raw[32];
	tx_err rc = TX_OK;

	if ((rc = crypto_init()) != TX_OK)
		goto out;
	randombytes_buf(raw, sizeof(raw));
	memcpy(out, "tx_", 3);
	if (sodium_bin2base64(out + 3, CRYPTO_TOKEN_BUF - 3, raw, sizeof(raw),
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) == NULL) {
		rc = TX_ERR_INTERNAL;
		goto out;
	}
out:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

/*
 * BLAKE2b-256 of a token (len bytes), as lower-case hex in out: the form
 * the store keeps, so a leaked database does not leak usable tokens. The
 * token has 256 bits of entropy, so an unsalted fast hash is enough.
 */
void crypto_token_hash(const char *token, size_t len,
		       char out[CRYPTO_TOKEN_HASH_BUF])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)token, len,
			   NULL, 0);
	tx_hex(h, sizeof(h), out);
	sodium_memzero(h, sizeof(h));
}

static void cache_key_make(void)
{
	unsigned char *k;

	/*
	 * sodium_init is idempotent and thread-safe; called here because this
	 * function returns void and cannot report a missed crypto_init. Its
	 * failure is ignored on purpose: randombytes_buf below opens the
	 * system random source itself (and libsodium aborts if it cannot),
	 * so the key is random either way.
	 */
	if (sodium_init() < 0) {
		/* nothing to do; see above */
	}
	k = sodium_malloc(crypto_generichash_KEYBYTES);
	if (k == NULL) {
		/* Still a fine key, just not in guarded pages. */
		k = cache_key_fallback;
		(void)sodium_mlock(k, crypto_generichash_KEYBYTES);
	}
	randombytes_buf(k, crypto_generichash_KEYBYTES);
	if (k != cache_key_fallback)
		(void)sodium_mprotect_readonly(k);
	cache_key = k;
}

/*
 * BLAKE2b-256 of data (len bytes) keyed with a random key made once per
 * process, as lower-case hex in out. Equal inputs give equal outputs
 * within one process and unrelated outputs across processes, so cache
 * keys derived from secrets reveal nothing outside the process.
 */
void crypto_cache_key(const void *data, size_t len,
		      char out[CRYPTO_TOKEN_HASH_BUF])
{
	unsigned char h[32];

	/* pthread_once cannot fail with a valid control and routine. */
	(void)pthread_once(&cache_key_once, cache_key_make);
	crypto_generichash(h, sizeof(h), data, len, cache_key,
			   crypto_generichash_KEYBYTES);
	tx_hex(h, sizeof(h), out);
	sodium_memzero(h, sizeof(h));
}
