/*
 * taxii/auth.c: who is asking, and what guessing a password costs.
 *
 * Bearer tokens are looked up by their BLAKE2b hash. Basic passwords are
 * verified with Argon2id, slow on purpose, so:
 *  - a verified (user, password) pair is remembered for CACHE_TTL_US
 *    under a keyed hash: a client using Basic auth pays once, not on
 *    every request, and a flood of guesses cannot slow it down;
 *  - at most auth_verify_max verifications run at once; one more is
 *    refused at once (503) rather than queued, so that guesses hold no
 *    worker thread and no memory beyond that many Argon2 buffers;
 *  - failed passwords are counted per user name (known or not, so that
 *    the answers never tell the two apart) and per client address (an
 *    IPv6 client by its /64). Past auth_backoff_after failures a name
 *    waits auth_backoff_s (1 s) before its next try, then twice that, ... up to
 *    auth_backoff_max_s (429 with Retry-After, no verification); an
 *    address the same past auth_addr_backoff_after. A failure counts for
 *    auth_forget_s. These counts are in the store (store/authfail.c,
 *    scopes "taxii.name" and "taxii.addr"), so that every serve process
 *    of the node counts the same guesses and a restart forgets none; each
 *    failure is one statement that returns the new count.
 *  - past auth_lockout_after failures an account is locked in the
 *    database (it survives restarts) until `trilex user unlock`; a name
 *    no account has behaves the same (its count stays at the lockout).
 *  - a name no account has is verified against a dummy hash with the same
 *    parameters, so that a wrong name costs what a wrong password costs.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto/crypto.h"
#include "taxii/internal.h"

#define CACHE_SLOTS 64
#define CACHE_TTL_US (300LL * 1000000)
#define SCOPE_NAME "taxii.name"
#define SCOPE_ADDR "taxii.addr"
#define SECOND_US 1000000LL

struct cache_entry {
	char key[CRYPTO_TOKEN_HASH_BUF];
	struct store_user user;
	/* the password hash it was verified against: a new password (user
	 * passwd) makes the entry void at once */
	char pwhash[CRYPTO_PWHASH_BUF];
	int64_t expires;
};

struct taxii_auth {
	pthread_mutex_t lock;             /* guards everything below */
	struct cache_entry cache[CACHE_SLOTS];
	int64_t verifying;                /* Argon2 checks running now */
	/* the cache keys of those checks (verify_max slots, "" free), and
	 * a signal when one ends: a client that opens several connections
	 * at once with the same password waits for the one check rather
	 * than taking a slot per connection */
	char (*inflight)[CRYPTO_TOKEN_HASH_BUF];
	pthread_cond_t done;
	int64_t backoff_after, backoff_s, backoff_max_s, lockout_after, addr_after;
	int64_t forget_us, verify_max;
	char dummy_hash[CRYPTO_PWHASH_BUF];
	/* failed sign-ins audited in the current second, and those left out
	 * since the last one audited (said in the next entry) */
	int64_t audit_second, audit_n, audit_skipped;
};

/* Failed sign-ins recorded in the audit trail per second, node-wide: a
 * flood of bad tokens costs at most this many writes a second. */
#define AUDIT_FAILURES_PER_S 10

tx_err taxii_auth_new(const struct tx_config *cfg, struct taxii_auth **out,
		struct tx_error *err)
{
	unsigned char pw[32];
	struct taxii_auth *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->done, NULL);
	if ((a->inflight = calloc((size_t)cfg->auth_verify_max,
				  sizeof(*a->inflight))) == NULL) {
		taxii_auth_free(a);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	a->backoff_after = cfg->auth_backoff_after;
	a->backoff_s = cfg->auth_backoff_s;
	a->backoff_max_s = cfg->auth_backoff_max_s;
	a->lockout_after = cfg->auth_lockout_after;
	a->addr_after = cfg->auth_addr_backoff_after;
	a->forget_us = cfg->auth_forget_s * SECOND_US;
	a->verify_max = cfg->auth_verify_max;
	randombytes_buf(pw, sizeof(pw));
	if (crypto_password_hash((const char *)pw, sizeof(pw), a->dummy_hash) !=
	    TX_OK) {
		taxii_auth_free(a);
		return tx_error_set(err, TX_ERR_NOMEM, "cannot make the dummy"
				    " password hash (out of memory?)");
	}
	sodium_memzero(pw, sizeof(pw));
	*out = a;
	return TX_OK;
}

void taxii_auth_free(struct taxii_auth *a)
{
	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->done);
	sodium_memzero(a->cache, sizeof(a->cache));
	free(a->inflight);
	free(a);
}

/* ---- the cache of verified passwords ---- */

/* Under a->lock. */
static int cache_lookup(struct taxii_auth *a, const char *key,
			struct store_user *u)
{
	int64_t now = tx_time_now_us();

	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (a->cache[i].expires > now &&
		    sodium_memcmp(a->cache[i].key, key, CRYPTO_TOKEN_HASH_BUF) == 0) {
			*u = a->cache[i].user;
			return 1;
		}
	}
	return 0;
}

/*
 * A verified password from the cache, if the account is still what it
 * was: removed, disabled, locked or given a new password since, and the
 * entry is dropped (the request is checked afresh). The account's role
 * and state are read again on every hit, so changes take effect at once.
 */
static int cache_find(struct taxii_auth *a, tx_store *st, const char *key,
		      struct store_user *u)
{
	char cached[CRYPTO_PWHASH_BUF], now_hash[CRYPTO_PWHASH_BUF];
	struct store_user fresh;
	int found, slot = -1;

	pthread_mutex_lock(&a->lock);
	found = cache_lookup(a, key, u);
	if (found)
		for (int i = 0; i < CACHE_SLOTS; i++)
			if (sodium_memcmp(a->cache[i].key, key,
					  CRYPTO_TOKEN_HASH_BUF) == 0 &&
			    a->cache[i].user.id == u->id) {
				slot = i;
				memcpy(cached, a->cache[i].pwhash, sizeof(cached));
				break;
			}
	pthread_mutex_unlock(&a->lock);
	if (!found)
		return 0;
	if (slot < 0 ||
	    store_user_get_id(st, u->id, &fresh, now_hash, sizeof(now_hash)) !=
		    TX_OK ||
	    fresh.disabled || fresh.locked || strcmp(now_hash, cached) != 0) {
		pthread_mutex_lock(&a->lock);
		if (slot >= 0 && a->cache[slot].user.id == u->id)
			a->cache[slot].expires = 0;
		pthread_mutex_unlock(&a->lock);
		sodium_memzero(cached, sizeof(cached));
		sodium_memzero(now_hash, sizeof(now_hash));
		return 0;
	}
	sodium_memzero(cached, sizeof(cached));
	sodium_memzero(now_hash, sizeof(now_hash));
	*u = fresh;
	return 1;
}

/* Under a->lock: the in-flight slot of key, or -1. */
static int64_t inflight_find(struct taxii_auth *a, const char *key)
{
	for (int64_t i = 0; i < a->verify_max; i++)
		if (strcmp(a->inflight[i], key) == 0)
			return i;
	return -1;
}

/* Under a->lock. */
static void cache_store(struct taxii_auth *a, const char *key,
			const struct store_user *u, const char *pwhash)
{
	int64_t now = tx_time_now_us();
	int slot = 0;

	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (a->cache[i].expires < a->cache[slot].expires)
			slot = i;
		if (a->cache[i].expires <= now) {
			slot = i;
			break;
		}
	}
	memcpy(a->cache[slot].key, key, CRYPTO_TOKEN_HASH_BUF);
	a->cache[slot].user = *u;
	snprintf(a->cache[slot].pwhash, sizeof(a->cache[slot].pwhash), "%s",
		 pwhash);
	a->cache[slot].expires = now + CACHE_TTL_US;
}

/* Forget every verified password of user id (it was locked). */
static void cache_drop_user(struct taxii_auth *a, int64_t id)
{
	pthread_mutex_lock(&a->lock);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (a->cache[i].user.id == id)
			a->cache[i].expires = 0;
	pthread_mutex_unlock(&a->lock);
}

/* ---- failure counts (in the store) ---- */

/* A stored count as it counts at now: none once its last failure is
 * older than forget_us, unless it had reached keep_from (0: never). */
static int64_t live_failures(const struct store_auth_fail *f, int64_t now,
			     int64_t forget_us, int64_t keep_from)
{
	if (now - f->last_us > forget_us &&
	    (keep_from == 0 || f->failures < keep_from))
		return 0;
	return f->failures;
}

/* Microseconds still to wait after failures failed tries, the last at
 * last_us: none below after, then first_s doubling up to max_s. */
static int64_t wait_left(int64_t failures, int64_t last_us, int64_t after,
			 int64_t first_s, int64_t max_s, int64_t now)
{
	int64_t shift, wait;

	if (after == 0 || failures < after)
		return 0;
	shift = failures - after;
	wait = shift >= 24 ? max_s * SECOND_US : ((first_s * SECOND_US) << shift);
	if (wait > max_s * SECOND_US)
		wait = max_s * SECOND_US;
	return last_us + wait > now ? last_us + wait - now : 0;
}

/* The bytes an address is counted under: IPv4 whole, IPv6 by /64;
 * their length. */
static size_t addr_bytes(const struct sockaddr *sa, unsigned char b[17])
{
	size_t n = 1;

	memset(b, 0, 17);
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
		b[0] = 4;
		memcpy(b + 1, &v4->sin_addr, 4);
		n = 5;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
			b[0] = 4;
			memcpy(b + 1, v6->sin6_addr.s6_addr + 12, 4);
			n = 5;
		} else {
			b[0] = 6;
			memcpy(b + 1, v6->sin6_addr.s6_addr, 8);
			n = 9;
		}
	}
	return n;
}

/* Round microseconds up to whole seconds, at least 1. */
static int64_t to_seconds(int64_t us)
{
	int64_t s = (us + SECOND_US - 1) / SECOND_US;

	return s < 1 ? 1 : s;
}

/* ---- the audit trail ---- */

void taxii_auth_addr_text(const struct sockaddr *sa, char out[64])
{
	out[0] = '\0';
	if (sa != NULL && sa->sa_family == AF_INET) {
		/* dotted quad without inet_ntop's printf: this runs for every
		 * page of RED objects recorded */
		const unsigned char *b = (const unsigned char *)
			&((const struct sockaddr_in *)sa)->sin_addr;
		char *p = out;
		for (int i = 0; i < 4; i++) {
			if (i > 0)
				*p++ = '.';
			p += tx_u64_text(b[i], p);
		}
	} else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  out, 64);
}

/* Record a sign-in (ok) or a failed one of actor from addr. Failures
 * past AUDIT_FAILURES_PER_S in a second are counted, and the next one
 * recorded says how many were left out. */
static void audit_signin(struct taxii_auth *a, tx_store *st,
			 const struct sockaddr *addr, const char *actor, int ok,
			 const char *detail)
{
	char where[64], more[1100];
	struct tx_error err = { 0 };
	int64_t skipped = 0, second = tx_time_now_us() / SECOND_US;

	if (!ok) {
		pthread_mutex_lock(&a->lock);
		if (second != a->audit_second) {
			a->audit_second = second;
			a->audit_n = 0;
		}
		if (a->audit_n >= AUDIT_FAILURES_PER_S) {
			a->audit_skipped++;
			pthread_mutex_unlock(&a->lock);
			return;
		}
		a->audit_n++;
		skipped = a->audit_skipped;
		a->audit_skipped = 0;
		pthread_mutex_unlock(&a->lock);
	}
	taxii_auth_addr_text(addr, where);
	if (skipped > 0)
		snprintf(more, sizeof(more), "%s; %lld more failed sign-ins not"
			 " recorded one by one before this", detail,
			 (long long)skipped);
	else
		snprintf(more, sizeof(more), "%s", detail);
	if (store_audit_from(st, actor, where, ok ? "signin" : "signin.failed",
			     NULL, more, &err) != TX_OK)
		tx_log(TX_LOG_ERROR, "audit: %s", err.msg);
}

/* ---- verification ---- */

enum verdict { V_OK, V_OK_WAITED, V_BAD, V_BUSY };

/*
 * Verify pw against hash (Argon2id), at most verify_max at once; the
 * same name and password already being checked: wait for that check
 * (bounded), then its result is in the cache (V_OK_WAITED, found is the
 * cached account) or it failed (V_BAD, without Argon2).
 */
static enum verdict verify(struct taxii_auth *a, const char *cache_key,
			   const char *hash, const char *pw, int known,
			   struct store_user *found)
{
	enum verdict v;
	int64_t slot;
	int ok;

	pthread_mutex_lock(&a->lock);
	if (inflight_find(a, cache_key) >= 0) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 10;
		while (inflight_find(a, cache_key) >= 0 &&
		       pthread_cond_timedwait(&a->done, &a->lock, &until) == 0)
			;
		if (cache_lookup(a, cache_key, found))
			v = V_OK_WAITED; /* the check it waited for recorded it */
		else
			v = inflight_find(a, cache_key) >= 0 ? V_BUSY : V_BAD;
		pthread_mutex_unlock(&a->lock);
		return v;
	}
	if (a->verifying >= a->verify_max ||
	    (slot = inflight_find(a, "")) < 0) {
		pthread_mutex_unlock(&a->lock);
		return V_BUSY;
	}
	a->verifying++;
	memcpy(a->inflight[slot], cache_key, CRYPTO_TOKEN_HASH_BUF);
	pthread_mutex_unlock(&a->lock);

	ok = crypto_password_verify(hash, pw, strlen(pw)) && known &&
	     found->peer[0] == '\0' && !found->disabled;

	pthread_mutex_lock(&a->lock);
	a->verifying--;
	a->inflight[slot][0] = '\0';
	if (ok)
		cache_store(a, cache_key, found, hash); /* before the waiters look */
	pthread_cond_broadcast(&a->done);
	pthread_mutex_unlock(&a->lock);
	return ok ? V_OK : V_BAD;
}

/*
 * Before a check: whether the address or the name must wait (AUTH_WAIT,
 * *retry_s), is locked (AUTH_LOCKED) or may try (AUTH_OK); *nf gets the
 * name's count as it counts now. A count that cannot be read: AUTH_BUSY.
 */
static enum auth_result may_try(struct taxii_auth *a, tx_store *st,
				const char *name, const unsigned char *ab,
				size_t alen, int known, const struct store_user *found,
				struct store_auth_fail *nf, int64_t *retry_s)
{
	struct store_auth_fail af;
	struct tx_error err = { 0 };
	int64_t now = tx_time_now_us(), left;
	int locked;

	if (store_auth_fail_get(st, SCOPE_ADDR, ab, alen, &af, &err) != TX_OK ||
	    store_auth_fail_get(st, SCOPE_NAME, name, strlen(name), nf, &err) !=
		    TX_OK) {
		tx_log(TX_LOG_ERROR, "failed passwords: %s", err.msg);
		*retry_s = 1;
		return AUTH_BUSY;
	}
	af.failures = live_failures(&af, now, a->forget_us, 0);
	nf->failures = live_failures(nf, now, a->forget_us, a->lockout_after);
	if ((left = wait_left(af.failures, af.last_us, a->addr_after,
			      a->backoff_s, a->backoff_max_s, now)) > 0) {
		*retry_s = to_seconds(left);
		return AUTH_WAIT;
	}
	locked = a->lockout_after > 0 && nf->failures >= a->lockout_after;
	if (locked && known && !found->locked) {
		/* Locked by its count, unlocked in the database: an
		 * administrator ran `trilex user unlock`. */
		if (store_auth_fail_clear(st, SCOPE_NAME, name, strlen(name),
					  &err) != TX_OK)
			tx_log(TX_LOG_ERROR, "failed passwords: %s", err.msg);
		nf->failures = 0;
		locked = 0;
	}
	if ((known && found->locked) || locked)
		return AUTH_LOCKED;
	if ((left = wait_left(nf->failures, nf->last_us, a->backoff_after,
			      a->backoff_s, a->backoff_max_s, now)) > 0) {
		*retry_s = to_seconds(left);
		return AUTH_WAIT;
	}
	return AUTH_OK;
}

/* Count a failed password of name from the address ab; *lock_now: this
 * failure is the one that reaches auth_lockout_after (across every
 * process: the count comes back from the statement that made it). */
static enum auth_result count_failure(struct taxii_auth *a, tx_store *st,
				      const char *name, const unsigned char *ab,
				      size_t alen, int *lock_now)
{
	struct tx_error err = { 0 };
	int64_t now = tx_time_now_us(), n = 0, m = 0;

	if (store_auth_fail_add(st, SCOPE_NAME, name, strlen(name), now,
				a->forget_us, a->lockout_after, &n, &err) != TX_OK)
		tx_log(TX_LOG_ERROR, "cannot count a failed password: %s", err.msg);
	if (store_auth_fail_add(st, SCOPE_ADDR, ab, alen, now, a->forget_us, 0,
				&m, &err) != TX_OK)
		tx_log(TX_LOG_ERROR, "cannot count a failed password: %s", err.msg);
	*lock_now = a->lockout_after > 0 && n == a->lockout_after;
	return *lock_now ? AUTH_LOCKED : AUTH_BAD;
}

/* The log, audit and lock that follow a password check's result. */
static void check_done(struct taxii_auth *a, tx_store *st,
		       const struct sockaddr *addr, const char *name,
		       enum auth_result res, int known,
		       const struct store_user *found, int lock_now,
		       int ok_from_wait)
{
	char actor[STORE_NAME_MAX + 8], shown[2 * STORE_NAME_MAX + 8];

	tx_log_escape(name, strlen(name), shown, sizeof(shown));
	snprintf(actor, sizeof(actor), "user:%s", name);
	switch (res) {
	case AUTH_OK:
		if (!ok_from_wait)
			audit_signin(a, st, addr, actor, 1, "password");
		break;
	case AUTH_BAD:
		tx_log(TX_LOG_WARN, "authentication failed for user \"%s\"", shown);
		audit_signin(a, st, addr, actor, 0, known && found->disabled ?
			     "password; the account is disabled" : "password");
		break;
	case AUTH_LOCKED:
		if (!lock_now)
			break;
		if (known) {
			struct tx_error err = { 0 };
			if (store_user_set_locked(st, found->name, 1, &err) != TX_OK)
				tx_log(TX_LOG_ERROR, "cannot lock user \"%s\": %s",
				       shown, err.msg);
			cache_drop_user(a, found->id);
		}
		tx_log(TX_LOG_WARN, "user \"%s\" locked after %lld failed passwords"
		       " (trilex user unlock --dir DIR --name NAME)", shown,
		       (long long)a->lockout_after);
		audit_signin(a, st, addr, actor, 0, "password; the account is now"
			     " locked");
		break;
	default:
		break;
	}
}

static enum auth_result check_password(struct taxii_auth *a, tx_store *st,
				       const struct sockaddr *addr,
				       const char *name, const char *pw,
				       const char *cache_key,
				       struct store_user *u, int64_t *retry_s)
{
	char hash[CRYPTO_PWHASH_BUF];
	unsigned char ab[17];
	size_t alen = addr_bytes(addr, ab);
	struct store_user found = { 0 };
	struct store_auth_fail nf = { 0 };
	struct tx_error err = { 0 };
	int known, lock_now = 0, ok_from_wait = 0;
	enum auth_result res;

	/* Same lookup, known or not: the answer's time must not tell. */
	known = store_user_get(st, name, &found, hash, sizeof(hash)) == TX_OK;
	if (!known || strncmp(hash, "$argon2", 7) != 0)
		snprintf(hash, sizeof(hash), "%s", a->dummy_hash);
	res = may_try(a, st, name, ab, alen, known, &found, &nf, retry_s);
	if (res != AUTH_OK)
		goto out;
	switch (verify(a, cache_key, hash, pw, known, &found)) {
	case V_BUSY:
		*retry_s = 1;
		res = AUTH_BUSY;
		break;
	case V_OK_WAITED:
		ok_from_wait = 1;
		break;
	case V_OK:
		if (nf.failures > 0 &&
		    store_auth_fail_clear(st, SCOPE_NAME, name, strlen(name),
					  &err) != TX_OK)
			tx_log(TX_LOG_ERROR, "failed passwords: %s", err.msg);
		break;
	case V_BAD:
		res = count_failure(a, st, name, ab, alen, &lock_now);
		break;
	}
out:
	sodium_memzero(hash, sizeof(hash));
	if (res == AUTH_OK)
		*u = found;
	check_done(a, st, addr, name, res, known, &found, lock_now, ok_from_wait);
	return res;
}

/* A token (a bearer token, or an API key given as a Basic password):
 * AUTH_OK filling u, else AUTH_BAD. keys_only: only API keys' accounts.
 * A use is audited once a minute; a refusal (unless keys_only, where the
 * password path comes next) as a failed sign-in. */
static enum auth_result token_check(struct taxii_auth *a, tx_store *st,
				    const struct sockaddr *addr, const char *tok,
				    int keys_only, struct store_user *u)
{
	char key[CRYPTO_TOKEN_HASH_BUF], name[STORE_NAME_MAX],
	     actor[STORE_NAME_MAX + 8], what[STORE_NAME_MAX + 8];
	struct store_user found;
	int first = 0;

	crypto_token_hash(tok, strlen(tok), key);
	if (store_user_by_token(st, key, &found, &first, name) != TX_OK ||
	    (keys_only && !store_user_is_key(&found))) {
		if (!keys_only)
			audit_signin(a, st, addr, "token:unknown", 0, "bearer token"
				     " unknown, revoked, expired or of a disabled"
				     " account");
		return AUTH_BAD;
	}
	/* A token's use is recorded once a minute, not per request. */
	if (first) {
		snprintf(actor, sizeof(actor), "user:%s", found.name);
		snprintf(what, sizeof(what), "%s %s", store_user_is_key(&found) ?
			 "API key" : "token", name);
		audit_signin(a, st, addr, actor, 1, what);
	}
	*u = found;
	return AUTH_OK;
}

static enum auth_result key_check(struct taxii_auth *a, tx_store *st,
				  const struct sockaddr *addr, const char *pw,
				  struct store_user *u)
{
	/* keys look like tokens; anything else is a password, not looked up */
	if (strncmp(pw, "tx_", 3) != 0) /* crypto_token_new's prefix */
		return AUTH_BAD;
	return token_check(a, st, addr, pw, 1, u);
}

enum auth_result taxii_auth_check(struct taxii_auth *a, tx_store *st,
			    const struct sockaddr *addr, const char *hdr,
			    struct store_user *u, int64_t *retry_s)
{
	char key[CRYPTO_TOKEN_HASH_BUF];
	unsigned char decoded[512];
	size_t len = 0;
	char *colon;
	enum auth_result res;

	*retry_s = 0;
	if (hdr == NULL)
		return AUTH_BAD;
	if (strncasecmp(hdr, "Bearer ", 7) == 0) {
		const char *tok = hdr + 7;
		while (*tok == ' ')
			tok++;
		return token_check(a, st, addr, tok, 0, u);
	}
	if (strncasecmp(hdr, "Basic ", 6) != 0)
		return AUTH_BAD;
	hdr += 6;
	while (*hdr == ' ')
		hdr++;
	if (sodium_base642bin(decoded, sizeof(decoded) - 1, hdr, strlen(hdr), NULL,
			      &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return AUTH_BAD;
	decoded[len] = '\0';
	colon = memchr(decoded, ':', len);
	if (colon == NULL || memchr(decoded, '\0', len) != NULL) {
		sodium_memzero(decoded, sizeof(decoded));
		return AUTH_BAD;
	}
	/* User names are case-blind: "ALICE" is alice, and shares her
	 * cache entry and her failure count. */
	for (unsigned char *p = decoded; p < (unsigned char *)colon; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (unsigned char)(*p - 'A' + 'a');
	crypto_cache_key(decoded, len, key);
	*colon = '\0';
	if (cache_find(a, st, key, u)) {
		sodium_memzero(decoded, sizeof(decoded));
		return AUTH_OK;
	}
	/* An API key as the password, whatever the user name: what most
	 * TAXII clients and SIEMs send. Only keys' accounts open this way. */
	if ((res = key_check(a, st, addr, colon + 1, u)) == AUTH_OK) {
		sodium_memzero(decoded, sizeof(decoded));
		return AUTH_OK;
	}
	res = check_password(a, st, addr, (char *)decoded, colon + 1, key, u,
			     retry_s);
	sodium_memzero(decoded, sizeof(decoded));
	return res;
}
