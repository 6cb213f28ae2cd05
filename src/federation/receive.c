/*
 * federation/receive.c: objects from a partner.
 *
 * Nothing from a partner is stored unless its origin's signature holds:
 * unsigned objects, objects signed by a key no partner pinned, and altered
 * objects are refused, logged and counted. TLP:RED arrives sealed for us;
 * it is opened and its inner object checked like any other. What a
 * partner was not entitled to send us (AMBER+STRICT of another party, RED
 * not addressed to us) is refused too, and so is anything but TLP:CLEAR
 * and GREEN that a partner passes on from another origin (relay.c).
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/internal.h"
#include <sodium.h>

#include "stix/stix.h"

tx_err fed_withdrawal_check(tx_store *st, const json_t *obj, const char *origin,
			    struct tx_error *err)
{
	const char *type = json_string_value(json_object_get(obj, "type"));
	const char *id = json_string_value(json_object_get(obj, "id"));
	const json_t *refs, *ref;
	int64_t n_versions = 0, n_by = 0;
	size_t i;
	tx_err rc;

	if (type == NULL || id == NULL)
		return TX_OK;
	if (json_is_true(json_object_get(obj, "revoked"))) {
		/* a revoked version of someone else's object: not theirs to
		 * withdraw (nor to version at all) */
		if ((rc = store_object_spoken(st, id, origin, 0, &n_versions,
					      &n_by)) != TX_OK)
			return tx_error_set(err, rc, "cannot read the versions of %s",
					    id);
		if (n_versions > n_by)
			return tx_error_set(err, TX_ERR_DENIED, "revoked version of an"
					    " object %s did not make: only its"
					    " origin can withdraw it", origin);
		return TX_OK;
	}
	if (strcmp(type, STORE_WITHDRAWAL_TYPE) != 0)
		return TX_OK;
	refs = json_object_get(obj, "object_refs");
	if (!json_is_array(refs) || json_array_size(refs) == 0 ||
	    json_array_size(refs) > STORE_WITHDRAWAL_REFS_MAX)
		return tx_error_set(err, TX_ERR_INVALID, "object_refs: a list of 1"
				    " to %d ids is required", STORE_WITHDRAWAL_REFS_MAX);
	json_array_foreach(refs, i, ref) {
		const char *r = json_string_value(ref);
		if (r == NULL || strstr(r, "--") == NULL)
			return tx_error_set(err, TX_ERR_INVALID, "object_refs[%zu]: not"
					    " an id", i);
		if ((rc = store_object_spoken(st, r, origin, 1, &n_versions,
					      &n_by)) != TX_OK)
			return tx_error_set(err, rc, "cannot read the versions of %s",
					    r);
		if (n_versions > 0 && n_by == 0)
			return tx_error_set(err, TX_ERR_DENIED, "object_refs[%zu]: %s"
					    " is not %s's (neither made nor passed on"
					    " by it): only its origin can withdraw it",
					    i, r, origin);
	}
	return TX_OK;
}

/* Open a sealed wrapper addressed to us; returns the inner object. */
static json_t *unseal(const tx_fed *fed, tx_store *st, const json_t *w,
		      const char *wrapper_origin, struct tx_error *err)
{
	const char *to = json_string_value(json_object_get(w, "recipient"));
	const char *b64 = json_string_value(json_object_get(w, "sealed_object"));
	unsigned char *ct = NULL, *pt = NULL;
	size_t ct_len = 0, pt_len = 0;
	char inner_origin[TX_PARTY_MAX] = "";
	json_t *inner = NULL;
	json_error_t jerr;

	if (to == NULL || strcmp(to, fed->cfg.party) != 0) {
		tx_error_set(err, TX_ERR_DENIED, "sealed for %s, not for %s",
			     to ? to : "nobody", fed->cfg.party);
		return NULL;
	}
	if (b64 == NULL || crypto_base64_decode(b64, &ct, &ct_len) != TX_OK ||
	    crypto_unseal(fed->id, ct, ct_len, &pt, &pt_len) != TX_OK) {
		tx_error_set(err, TX_ERR_CRYPTO, "sealed_object: cannot be opened"
			     " with our key");
		goto out;
	}
	if ((inner = tx_json_load((char *)pt, pt_len, JSON_REJECT_DUPLICATES,
				  &jerr)) == NULL || !json_is_object(inner)) {
		tx_error_set(err, TX_ERR_INVALID, "sealed_object: not a JSON object");
		json_decref(inner);
		inner = NULL;
		goto out;
	}
	if (fed_verify(fed, st, inner, inner_origin, err) != FED_SIGNED_OK ||
	    strcmp(inner_origin, wrapper_origin) != 0) {
		if (inner_origin[0] && strcmp(inner_origin, wrapper_origin) != 0)
			tx_error_set(err, TX_ERR_CRYPTO, "sealed by %s but signed by %s",
				     wrapper_origin, inner_origin);
		tx_error_prefix(err, "sealed object");
		json_decref(inner);
		inner = NULL;
	}
out:
	if (pt != NULL)
		sodium_memzero(pt, pt_len);
	free(pt);
	free(ct);
	return inner;
}

static int suspended(tx_store *st, const char *party)
{
	struct store_peer *p = calloc(1, sizeof(*p));
	int yes = p != NULL &&
		  store_peer_find(st, party, NULL, NULL, p) == TX_OK &&
		  strcmp(p->role, STORE_PARTY_SUSPENDED) == 0;

	free(p);
	return yes;
}

/*
 * What a partner sends again (a batch resent after a failure, or the
 * push of what our own pull brought a moment before: after an outage
 * both carry the partner's backlog) is known before its signature is
 * checked again: the inbox holds that version of that object with the
 * very text sent (signature and all), come from that partner, so it was
 * checked when it was stored, and storing it again would change nothing
 * (put_one takes a version once). Nothing is stored on the strength of
 * it, so it cannot launder anything: whatever differs is checked.
 * Looked up for one object in HELD_STRIDE while none is held, and for
 * each one after one is (what is sent again comes in runs).
 */
#define HELD_STRIDE 32

/* objects from partners whose signature was checked, and those known
 * held instead (trilex_federation_checked_total, _held_total) */
static uint64_t n_checked, n_held;

void fed_receive_counts(uint64_t *checked, uint64_t *held)
{
	*checked = __atomic_load_n(&n_checked, __ATOMIC_RELAXED);
	*held = __atomic_load_n(&n_held, __ATOMIC_RELAXED);
}

static int held_already(tx_store *st, int64_t coll, const json_t *obj,
			const char *text, size_t len, const char *from)
{
	const char *id = tx_json_str(obj, "id");
	const char *type = tx_json_str(obj, "type");
	const char *ver = tx_json_str(obj, "modified");
	int64_t us;

	if (ver == NULL)
		ver = tx_json_str(obj, "created");
	if (id == NULL || type == NULL || ver == NULL || text == NULL ||
	    strcmp(type, FED_SEALED_TYPE) == 0 || fed_tlp_of(obj) == FED_TLP_RED ||
	    tx_time_parse(ver, &us, NULL) != TX_OK)
		return 0;
	return store_object_held(st, coll, id, us, text, len, from) == 1;
}

/* The text of objects[i] as it will be stored, for held_already: the
 * text as sent, compacted, or (from a pull, parsed) obj serialised, in
 * *dump (the caller frees it); none for a sealed wrapper (its inner
 * object is stored). */
static tx_err held_text(struct taxii_texts *texts, size_t i, const json_t *obj,
			struct store_item *it, char **dump)
{
	const char *type = tx_json_str(obj, "type");

	if (type == NULL || strcmp(type, FED_SEALED_TYPE) == 0)
		return TX_OK;
	if (texts->buf != NULL) {
		taxii_texts_put(texts, i, it);
		return TX_OK;
	}
	if ((*dump = tx_json_dumps(obj, JSON_COMPACT)) == NULL)
		return TX_ERR_NOMEM;
	it->text = *dump;
	it->text_len = strlen(*dump);
	return TX_OK;
}

/* Whether objects[i] (obj) is sent again exactly as held: 1, and *it is
 * then its duplicate; 0; -1 when memory ran out. */
static int sent_again(tx_store *st, int64_t inbox_pk, struct taxii_texts *texts,
		      size_t i, const json_t *obj, const char *from,
		      struct store_item *it, char **dump)
{
	if (held_text(texts, i, obj, it, dump) != TX_OK)
		return -1;
	if (!held_already(st, inbox_pk, obj, it->text, it->text_len, from))
		return 0;
	__atomic_add_fetch(&n_held, 1, __ATOMIC_RELAXED);
	it->obj = obj;
	it->via = from;
	it->held = 1;
	return 1;
}

/*
 * What checking the objects of one call takes, shared by the threads that
 * check parts of it (check_range): each writes only the entries of its
 * own indexes, and reads the store through its own connection. What is
 * kept or refused, and why, does not depend on how the objects were
 * split; refusals are then logged and listed by one thread, in order.
 */
struct recv_batch {
	tx_fed *fed;
	const char *from;
	int64_t inbox_pk;
	const json_t *objects;
	struct taxii_texts *texts;
	struct store_item *items;
	json_t **owned;                /* owned: an unsealed inner object */
	char (*origins)[TX_PARTY_MAX];
	char **dumps;                  /* owned: held_text's serialisations */
	struct tx_error **errs;        /* owned: why objects[i] was refused */
};

/* Check objects[i]: 0 kept (or known held), 1 refused (errs[i] says why,
 * and whether transient), -1 out of memory. *hit: held_already's run. */
static int check_one(struct recv_batch *b, tx_store *st, size_t i,
		     struct verify_memo *memo, int *hit)
{
	tx_fed *fed = b->fed;
	const json_t *obj = json_array_get(b->objects, i);
	const char *id = json_string_value(json_object_get(obj, "id"));
	const char *type = json_string_value(json_object_get(obj, "type"));
	struct store_item *it = &b->items[i];
	struct tx_error oerr = { 0 };
	char *origin = b->origins[i];

	it->id = id;
	if (!json_is_object(obj)) {
		tx_error_set(&oerr, TX_ERR_INVALID, "not a JSON object");
		goto refuse;
	}
	if (*hit || i % HELD_STRIDE == 0) {
		if ((*hit = sent_again(st, b->inbox_pk, b->texts, i, obj, b->from,
				       it, &b->dumps[i])) < 0)
			return -1;
		if (*hit)
			return 0;
	}
	__atomic_add_fetch(&n_checked, 1, __ATOMIC_RELAXED);
	if (fed_verify_memo(fed, st, obj, memo, origin, &oerr) != FED_SIGNED_OK)
		goto refuse;
	if (type && strcmp(type, FED_SEALED_TYPE) == 0) {
		if ((b->owned[i] = unseal(fed, st, obj, origin, &oerr)) == NULL)
			goto refuse;
		obj = b->owned[i];
		it->text = NULL; /* the wrapper's: the inner one is dumped */
		it->text_len = 0;
		it->id = json_string_value(json_object_get(obj, "id"));
	} else if (fed_tlp_of(obj) == FED_TLP_RED) {
		tx_error_set(&oerr, TX_ERR_DENIED, "TLP:RED must arrive sealed");
		goto refuse;
	}
	if (taxii_check_object(obj, &oerr) != TX_OK)
		goto refuse;
	if (strcmp(origin, fed->cfg.party) == 0) {
		tx_error_set(&oerr, TX_ERR_INVALID, "made by this node: not"
			     " taken back from a partner");
		goto refuse;
	}
	if (fed_withdrawal_check(st, obj, origin, &oerr) != TX_OK)
		goto refuse;
	/* passed on by a partner that did not make it: only what TLP lets a
	 * recipient share, and never past the recipients its origin named
	 * (relay.c) */
	if (strcmp(origin, b->from) != 0) {
		if (fed_relay_check(obj, origin, b->from, fed->cfg.party,
				    &oerr) != TX_OK)
			goto refuse;
	} else if (!fed_entitled(fed, obj, fed->cfg.party)) {
		tx_error_set(&oerr, TX_ERR_DENIED, "TLP:%s: %s may not have it",
			     fed_tlp_name(fed_tlp_of(obj)), fed->cfg.party);
		goto refuse;
	}
	it->obj = obj;
	it->origin = origin;
	it->via = b->from;
	it->ignore_ext = FED_SIG_EXT; /* a new signature is no new version */
	if (b->owned[i] == NULL && it->text == NULL)
		taxii_texts_put(b->texts, i, it); /* the text as sent */
	return 0;
refuse:
	if ((b->errs[i] = malloc(sizeof(oerr))) == NULL)
		return -1;
	*b->errs[i] = oerr;
	return 1;
}

/* Check objects[lo, hi) with st (lo a multiple of HELD_STRIDE, so that
 * held_already looks where it would in one run); TX_ERR_NOMEM or TX_OK. */
static tx_err check_range(struct recv_batch *b, tx_store *st, size_t lo,
			  size_t hi)
{
	struct verify_memo *memo = calloc(1, sizeof(*memo));
	tx_err rc = memo ? TX_OK : TX_ERR_NOMEM;
	int hit = 0;

	for (size_t i = lo; i < hi && rc == TX_OK; i++)
		if (check_one(b, st, i, memo, &hit) < 0)
			rc = TX_ERR_NOMEM;
	free(memo);
	return rc;
}

/* ---- a second thread for the checks of a big batch ---- */

/*
 * The signatures, STIX checks and store look-ups of a batch of 500
 * objects take one core some tens of milliseconds; a batch of at least
 * RECV_SPLIT_MIN objects is checked in two halves, the first by this
 * helper thread (its own store connection, opened on first use) while
 * the caller checks the second. There is one helper: a call that finds
 * it busy with another batch checks all of its own objects itself, so no
 * call ever waits for another.
 */
#define RECV_SPLIT_MIN 128

struct recv_helper {
	pthread_mutex_t lock;
	pthread_cond_t cv;             /* a job, its end, or stopping */
	pthread_t thread;
	int started, stopping;
	int busy;                      /* claimed by a call of fed_receive */
	int has_job, done;
	struct recv_batch *b;
	size_t lo, hi;
	tx_err rc;
	char db_path[PATH_MAX + 16];
};

static void *helper_run(void *arg)
{
	struct recv_helper *h = arg;
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	int warned = 0;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->has_job && !h->stopping)
			pthread_cond_wait(&h->cv, &h->lock);
		if (!h->has_job)
			break;
		pthread_mutex_unlock(&h->lock);
		tx_err rc = TX_ERR_DB; /* no connection (logged once) */
		if (st == NULL && store_open(h->db_path, 0, &st, &err) != TX_OK &&
		    !warned++)
			tx_log(TX_LOG_WARN, "receive helper: %s; batches are"
			       " checked on one thread", err.msg);
		if (st != NULL)
			rc = check_range(h->b, st, h->lo, h->hi);
		pthread_mutex_lock(&h->lock);
		h->rc = rc;
		h->has_job = 0;
		h->done = 1;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->lock);
	store_close(st);
	return NULL;
}

tx_err fed_recv_helper_new(tx_fed *fed)
{
	struct recv_helper *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return TX_ERR_NOMEM;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cv, NULL);
	snprintf(h->db_path, sizeof(h->db_path), "%s/trilex.db", fed->dir);
	fed->helper = h;
	return TX_OK;
}

void fed_recv_helper_free(tx_fed *fed)
{
	struct recv_helper *h = fed->helper;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->lock);
	if (h->started)
		pthread_join(h->thread, NULL);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->lock);
	free(h);
	fed->helper = NULL;
}

/* Give objects[0, mid) to the helper: 1, or 0 when it is busy (or cannot
 * start). */
static int helper_give(struct recv_helper *h, struct recv_batch *b, size_t mid)
{
	int ok;

	if (h == NULL)
		return 0;
	pthread_mutex_lock(&h->lock);
	if (!h->started && !h->stopping)
		h->started = pthread_create(&h->thread, NULL, helper_run, h) == 0;
	ok = h->started && !h->stopping && !h->busy;
	if (ok) {
		h->busy = h->has_job = 1;
		h->done = 0;
		h->b = b;
		h->lo = 0;
		h->hi = mid;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->lock);
	return ok;
}

/* Wait for the helper's part and free it for the next call. */
static tx_err helper_wait(struct recv_helper *h)
{
	tx_err rc;

	pthread_mutex_lock(&h->lock);
	while (!h->done)
		pthread_cond_wait(&h->cv, &h->lock);
	rc = h->rc;
	h->busy = 0;
	h->b = NULL;
	pthread_mutex_unlock(&h->lock);
	return rc;
}

/* Check every object of b (n), in two halves on two threads when it is
 * big and the helper is free. */
static tx_err check_all(struct recv_batch *b, tx_store *st, size_t n)
{
	size_t mid = n / 2 / HELD_STRIDE * HELD_STRIDE;
	tx_err rc, hrc;

	if (n < RECV_SPLIT_MIN || !helper_give(b->fed->helper, b, mid))
		return check_range(b, st, 0, n);
	rc = check_range(b, st, mid, n);
	hrc = helper_wait(b->fed->helper);
	/* the helper has no store connection: it checked nothing */
	if (hrc == TX_ERR_DB && rc == TX_OK)
		hrc = check_range(b, st, 0, mid);
	return rc != TX_OK ? rc : hrc;
}

tx_err fed_receive(void *ctx, tx_store *st, const struct store_user *user,
		   int64_t inbox_pk, const json_t *objects, const char *raw,
		   const struct tx_span *spans, char status_id[TX_UUID_BUF],
		   struct tx_error *err)
{
	tx_fed *fed = ctx;
	const char *from = user->peer;
	size_t n = json_array_size(objects);
	struct store_item *items = calloc(n ? n : 1, sizeof(*items));
	json_t **owned = calloc(n ? n : 1, sizeof(*owned));
	char (*origins)[TX_PARTY_MAX] = calloc(n ? n : 1, TX_PARTY_MAX);
	char **messages = calloc(n ? n : 1, sizeof(*messages));
	char **dumps = calloc(n ? n : 1, sizeof(*dumps));
	struct tx_error **errs = calloc(n ? n : 1, sizeof(*errs));
	struct taxii_texts texts = { 0 };
	struct recv_batch b = { fed, from, inbox_pk, objects, &texts, items, owned,
				origins, dumps, errs };
	int64_t refused = 0;
	tx_err rc = TX_OK;

	if (items == NULL || owned == NULL || origins == NULL || messages == NULL ||
	    dumps == NULL || errs == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* A partner the partnership suspended (watch/partners.c) is heard
	 * no more: nothing of it is taken, by its pushes or by our pulls. */
	if (suspended(st, from)) {
		rc = tx_error_set(err, TX_ERR_DENIED, "partner %s is suspended by"
				  " the partnership: nothing of it is taken", from);
		goto out;
	}
	/* What is stored is the text as sent (signature and all), compacted:
	 * no re-serialisation. */
	if (taxii_texts_init(&texts, raw, spans, n) != TX_OK ||
	    check_all(&b, st, n) != TX_OK) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tx_error *oerr = errs[i];
		const char *id = items[i].id;
		if (oerr == NULL)
			continue;
		if (tx_err_transient(oerr->code)) {
			/* Not the object's fault: nothing of the request is
			 * stored and the partner sends it all again (a refusal
			 * would move its cursor past the object for good). */
			rc = tx_error_set(err, oerr->code, "objects[%zu]: %s", i,
					  oerr->msg);
			goto out;
		}
		refused++;
		tx_log(TX_LOG_WARN, "refused from %s: objects[%zu] %s: %s", from, i,
		       id ? id : "", oerr->msg);
		size_t len = strlen(oerr->msg) + (id ? strlen(id) : 0) + 64;
		if ((messages[i] = malloc(len)) == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		snprintf(messages[i], len, "objects[%zu]%s%s: %s", i, id ? " " : "",
			 id ? id : "", oerr->msg);
		items[i].message = messages[i];
	}
	fed_partner_alive(fed, from); /* whatever came, it is up */
	struct store_peer_tally tally = { from, (int64_t)n - refused, refused };
	rc = store_put_objects_tally(st, inbox_pk, user, items, n, &tally,
				     status_id, err);
out:
	for (size_t i = 0; i < n; i++) {
		if (owned)
			json_decref(owned[i]);
		if (messages)
			free(messages[i]);
		if (dumps)
			free(dumps[i]);
		if (errs)
			free(errs[i]);
	}
	free(items);
	free(owned);
	free(origins);
	free(messages);
	free(dumps);
	free(errs);
	taxii_texts_free(&texts);
	return rc;
}
