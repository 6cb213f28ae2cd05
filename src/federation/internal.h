/* federation/internal.h: shared by the files of federation/; private. */
#ifndef TRILEX_FEDERATION_INTERNAL_H
#define TRILEX_FEDERATION_INTERNAL_H

#include <limits.h>
#include <pthread.h>

#include "federation/federation.h"

struct worker;

/* Signatures of our objects, shared by the delivery workers so that an
 * object going to several partners is signed once. Slot = rowid % size.
 * (Only the signature is shared: each worker has its own JSON values,
 * which jansson does not let two threads serialise at once.) */
#define SIG_CACHE_SLOTS 8192

/* An Ed25519 signature in base64 (88 characters) and its NUL. */
#define SIG_B64_BUF 96

struct sig_slot {
	int64_t rowid;
	int64_t date_added;
	char b64[SIG_B64_BUF];  /* "" when empty */
};

struct tx_fed {
	char dir[PATH_MAX];
	struct tx_config cfg;
	tx_identity *id;
	unsigned char pk[CRYPTO_SIGN_PK_BYTES];
	char pk_hex[65];
	char cert_path[PATH_MAX + 16];
	char key_path[PATH_MAX + 16];
	/* delivery */
	pthread_t supervisor;
	int running;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	uint64_t generation;         /* bumped by fed_deliver_kick */
	struct worker *workers;
	pthread_mutex_t cache_lock;
	struct sig_slot *cache;      /* SIG_CACHE_SLOTS, or NULL */
};

/* The object's signer key (hex) from our extension, or NULL. */
const char *sig_signer(const json_t *obj);
/* This node's signature of obj (as it is, without our extension). */
tx_err sig_make(const tx_fed *fed, json_t *obj, char b64_out[SIG_B64_BUF],
		struct tx_error *err);
/* Put this node's signature b64 on obj, in our extension. */
tx_err sig_attach(const tx_fed *fed, json_t *obj, const char *b64,
		  struct tx_error *err);

#endif
