/* federation/internal.h: shared by the files of federation/; private. */
#ifndef TRILEX_FEDERATION_INTERNAL_H
#define TRILEX_FEDERATION_INTERNAL_H

#include <limits.h>
#include <pthread.h>

#include "federation/federation.h"

struct worker;

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
};

/* The object's signer key (hex) from our extension, or NULL. */
const char *sig_signer(const json_t *obj);

#endif
