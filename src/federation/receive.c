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
	struct verify_memo *memo = calloc(1, sizeof(*memo));
	struct taxii_texts texts = { 0 };
	int64_t refused = 0;
	int hit = 0;
	tx_err rc = TX_OK;

	if (items == NULL || owned == NULL || origins == NULL || messages == NULL ||
	    dumps == NULL || memo == NULL) {
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
	if (taxii_texts_init(&texts, raw, spans, n) != TX_OK) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *obj = json_array_get(objects, i);
		const char *id = json_string_value(json_object_get(obj, "id"));
		const char *type = json_string_value(json_object_get(obj, "type"));
		struct tx_error oerr = { 0 };
		char *origin = origins[i];

		items[i].id = id;
		if (!json_is_object(obj)) {
			tx_error_set(&oerr, TX_ERR_INVALID, "not a JSON object");
			goto refuse;
		}
		if (hit || i % HELD_STRIDE == 0) {
			if ((hit = sent_again(st, inbox_pk, &texts, i, obj, from,
					      &items[i], &dumps[i])) < 0) {
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
				goto out;
			}
			if (hit)
				continue;
		}
		__atomic_add_fetch(&n_checked, 1, __ATOMIC_RELAXED);
		if (fed_verify_memo(fed, st, obj, memo, origin, &oerr) != FED_SIGNED_OK)
			goto refuse;
		if (type && strcmp(type, FED_SEALED_TYPE) == 0) {
			if ((owned[i] = unseal(fed, st, obj, origin, &oerr)) == NULL)
				goto refuse;
			obj = owned[i];
			items[i].text = NULL; /* the wrapper's: the inner one is dumped */
			items[i].text_len = 0;
			items[i].id = id = json_string_value(json_object_get(obj, "id"));
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
		/* passed on by a partner that did not make it: only what
		 * TLP lets a recipient share, and never past the recipients
		 * its origin named (relay.c) */
		if (strcmp(origin, from) != 0) {
			if (fed_relay_check(obj, origin, from, fed->cfg.party,
					    &oerr) != TX_OK)
				goto refuse;
		} else if (!fed_entitled(fed, obj, fed->cfg.party)) {
			tx_error_set(&oerr, TX_ERR_DENIED, "TLP:%s: %s may not have it",
				     fed_tlp_name(fed_tlp_of(obj)), fed->cfg.party);
			goto refuse;
		}
		items[i].obj = obj;
		items[i].origin = origin;
		items[i].via = from;
		items[i].ignore_ext = FED_SIG_EXT; /* a new signature is no new version */
		if (owned[i] == NULL && items[i].text == NULL)
			taxii_texts_put(&texts, i, &items[i]); /* the text as sent */
		continue;
refuse:
		if (tx_err_transient(oerr.code)) {
			/* Not the object's fault: nothing of the request is
			 * stored and the partner sends it all again (a refusal
			 * would move its cursor past the object for good). */
			rc = tx_error_set(err, oerr.code, "objects[%zu]: %s", i,
					  oerr.msg);
			goto out;
		}
		refused++;
		tx_log(TX_LOG_WARN, "refused from %s: objects[%zu] %s: %s", from, i,
		       id ? id : "", oerr.msg);
		size_t len = strlen(oerr.msg) + (id ? strlen(id) : 0) + 64;
		if ((messages[i] = malloc(len)) == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		snprintf(messages[i], len, "objects[%zu]%s%s: %s", i, id ? " " : "",
			 id ? id : "", oerr.msg);
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
	}
	free(items);
	free(owned);
	free(origins);
	free(messages);
	free(dumps);
	free(memo);
	taxii_texts_free(&texts);
	return rc;
}
