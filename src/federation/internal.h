/* federation/internal.h: shared by the files of federation/; private. */
#ifndef TRILEX_FEDERATION_INTERNAL_H
#define TRILEX_FEDERATION_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include <curl/curl.h>

#include "federation/federation.h"

struct worker;

/* An Ed25519 signature in base64 (88 characters) and its NUL. */
#define SIG_B64_BUF 96
/* Batch signatures (sign.c): tree hashes are BLAKE2b-256. */
#define SIG_HASH_BYTES 32
#define SIG_BATCH_MAX 1024       /* the biggest tree a receiver takes */
#define SIG_PATH_MAX 10          /* ceil(log2(SIG_BATCH_MAX)) */
#define SIG_TREE_LEAVES 128      /* the trees this node makes */

/* How one object is signed: the signature, and for a batch (size > 1)
 * the object's place in it and its audit path, leaf to root. */
struct sig_proof {
	char b64[SIG_B64_BUF];
	uint32_t size;
	uint32_t index;
	uint32_t n_path;
	unsigned char path[SIG_PATH_MAX][SIG_HASH_BYTES];
};

/* What one request has already checked: the last signing key looked up,
 * and the last batch roots whose signature held. Lives for one call of
 * fed_receive only, so an unpinned key is never trusted from it. */
#define VERIFY_MEMO_ROOTS 4
struct verified_root {
	unsigned char pk[CRYPTO_SIGN_PK_BYTES];
	unsigned char sig[CRYPTO_SIG_BYTES];
	unsigned char root[SIG_HASH_BYTES];
	uint64_t size;
};
struct verify_memo {
	char key[65];
	char party[TX_PARTY_MAX];
	struct verified_root roots[VERIFY_MEMO_ROOTS];
	unsigned next;
	/* the last signer_key and signature decoded: the objects of one
	 * tree carry the same ones */
	char pk_hex[65];
	unsigned char pk[CRYPTO_SIGN_PK_BYTES];
	char sig64[SIG_B64_BUF];
	unsigned char sig[CRYPTO_SIG_BYTES];
};

/* Signatures of our objects, shared by the delivery workers so that an
 * object going to several partners is signed once, and the same way.
 * Slot = rowid % size. (Only the signature is shared: each worker has its
 * own JSON values, which jansson does not let two threads serialise at
 * once.) */
#define SIG_CACHE_SLOTS 8192

struct sig_slot {
	int64_t rowid;
	int64_t date_added;
	struct sig_proof proof;  /* proof.b64 "" when empty */
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
	pthread_cond_t wake;         /* on CLOCK_MONOTONIC */
	uint64_t generation;         /* bumped by fed_deliver_kick */
	store_watch *watch;          /* commits by any process */
	pthread_t watcher;           /* waits on watch, kicks */
	struct worker *workers;
	pthread_mutex_t cache_lock;
	struct sig_slot *cache;      /* SIG_CACHE_SLOTS, or NULL */
	/* the name this process holds delivery leases under, and the
	 * thread that renews them (federation/lease.c, store/leases.c) */
	char holder[STORE_LEASE_HOLDER_MAX];
	pthread_t keeper;
	/* the policy versions in force, by digest, that observers may be
	 * given (fed_policy_released); released_lock guards them */
	pthread_mutex_t released_lock;
	char (*released)[FED_DIGEST_BUF];
	size_t n_released;
	/* the second thread checking a big batch received (receive.c) */
	struct recv_helper *helper;
};

/* The receiving helper of fed (receive.c): made by fed_open, its thread
 * started on first use; freed (the thread joined) by fed_close, after
 * the last fed_receive. */
tx_err fed_recv_helper_new(tx_fed *fed);
void fed_recv_helper_free(tx_fed *fed);

/* A new lease holder name for this process (federation/lease.c). */
void fed_lease_holder_make(char out[STORE_LEASE_HOLDER_MAX]);
/* Whether holder is a process of this machine (and PID namespace) that
 * has ended: its leases can be taken at once. */
int fed_lease_holder_dead(const char *holder);

/* The object's signer key (hex) from our extension, or NULL. */
const char *fed_sig_signer(const json_t *obj);
/* Sign n objects in trees of up to SIG_TREE_LEAVES: out[i] for objs[i]. */
tx_err fed_sig_make_batch(const tx_fed *fed, json_t *const *objs, size_t n,
		      struct sig_proof *out, struct tx_error *err);
/* Put this node's signature p on obj, in our extension. */
tx_err fed_sig_attach(const tx_fed *fed, json_t *obj, const struct sig_proof *p,
		  struct tx_error *err);
/* Partner party was heard from: its delivery worker retries at once. */
void fed_partner_alive(tx_fed *fed, const char *party);
/* Our extension carrying p, as JSON text, appended to out (what
 * fed_sig_attach puts on an object, member for member). */
tx_err fed_sig_ext_text(const tx_fed *fed, const struct sig_proof *p,
		    struct tx_buf *out);
/* The batch root that e's audit path leads to from the object whose
 * canonical JSON (without our extension) is canon: 1 and *size, root;
 * 0 when e has no batch members (the object was signed alone); -1 when
 * they are malformed; -2 when the path does not fit its place. Reads
 * outside input: fuzzed (fuzz/fuzz_sigpath.c). */
int fed_sig_batch_root(const json_t *e, const char *canon, size_t len,
		   uint64_t *size, unsigned char root[SIG_HASH_BYTES]);
/* One HTTPS request to a partner (deliver.c): pinned to the certificate
 * in ca_path, ours presented; *status the HTTP status, resp the body. */
tx_err fed_call(CURL *h, const tx_fed *fed, const char *ca_path,
		const char *method, const char *url, const char *body,
		long *status, struct tx_buf *resp, struct tx_error *err);
/* Whether obj is an alert: a report labelled TAXII_ALERT_LABEL. */
int fed_is_alert(const json_t *obj);
/* Whether obj, made by origin, may be taken by self from from, a partner
 * that is not its origin: TLP:CLEAR or GREEN only, never FED_LOCAL, and
 * never when origin named recipients without self (relay.c). */
tx_err fed_relay_check(const json_t *obj, const char *origin, const char *from,
		       const char *self, struct tx_error *err);
/* fed_verify remembering, in memo (may be NULL), what it has checked. */
enum fed_verdict fed_verify_memo(const tx_fed *fed, tx_store *st,
				 const json_t *obj, struct verify_memo *memo,
				 char origin[TX_PARTY_MAX], struct tx_error *err);

#endif
