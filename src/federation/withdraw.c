/*
 * federation/withdraw.c: taking back what this node shared.
 *
 * An object this node made (no other party's signature on it, and a
 * "modified" to move: an SDO or SRO) is withdrawn by a new version with
 * "revoked": true and the reason in STORE_WITHDRAWAL_REASON. Anything else
 * that this node passed on (an SCO, which has no versions; an object
 * signed by another party that was posted here and left signed as it
 * came) is withdrawn by a notice of ours, STORE_WITHDRAWAL_TYPE, naming
 * it in object_refs. Either is stored beside the object, in each
 * collection that holds it, and carries the object's marking (the
 * revoked version is the object; the notice is marked from it by
 * fed_derive_marking): so it leaves by the same sharing policy and TLP,
 * to the partners that received the object and to no one else, and it is
 * signed on its way out like every object of ours. What a partner sent
 * us is not ours to take back: only its origin can. The receiving side is
 * in receive.c (fed_withdrawal_check) and store/withdrawals.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/internal.h"

/* A copy of this node's holding of the object, one per collection. */
#define HELD_MAX 64

struct held {
	int64_t pk;
	char origin[TX_PARTY_MAX];   /* "" made here */
	char via[TX_PARTY_MAX];      /* "" not from a partner */
	json_t *obj;
};

struct held_list {
	struct held v[HELD_MAX];
	size_t n;
	int nomem;
};

static int held_row(void *ctx, const struct store_row *row)
{
	struct held_list *h = ctx;
	struct held *x;

	if (h->n == HELD_MAX)
		return STORE_ROW_STOP;
	x = &h->v[h->n];
	if ((x->obj = tx_json_load(row->json, row->json_len, 0, NULL)) == NULL) {
		h->nomem = 1;
		return STORE_ROW_FAIL;
	}
	x->pk = row->collection_pk;
	snprintf(x->origin, sizeof(x->origin), "%s", row->origin ? row->origin : "");
	snprintf(x->via, sizeof(x->via), "%s", row->via ? row->via : "");
	h->n++;
	return STORE_ROW_NEXT;
}

/* The party whose signature obj carries, or NULL. */
static const char *signer_party(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(
		json_object_get(obj, "extensions"), FED_SIG_EXT), "signer_party"));
}

/* The revoked version of obj (ours, with "modified"), reason may be NULL. */
static json_t *revoked_version(const json_t *obj, const char *reason,
			       int64_t now_us, struct tx_error *err)
{
	const char *mod = json_string_value(json_object_get(obj, "modified"));
	char ts[TX_TIME_BUF];
	int64_t old_us = 0;
	json_t *v, *ext;

	if (mod == NULL || tx_time_parse(mod, &old_us, NULL) != TX_OK) {
		tx_error_set(err, TX_ERR_INVALID, "modified: not a timestamp");
		return NULL;
	}
	/* A new version must be later than the last, at STIX's milliseconds. */
	if (now_us <= old_us + 999)
		now_us = old_us - old_us % 1000 + 1000;
	tx_time_format_ms(now_us, ts);
	if ((v = json_deep_copy(obj)) == NULL)
		goto nomem;
	/* our old signature is not the new version's: it is signed anew */
	if ((ext = json_object_get(v, "extensions")) != NULL) {
		json_object_del(ext, FED_SIG_EXT);
		if (json_object_size(ext) == 0)
			json_object_del(v, "extensions");
	}
	if (json_object_set_new(v, "modified", json_string(ts)) ||
	    json_object_set_new(v, "revoked", json_true()) ||
	    (reason && json_object_set_new(v, STORE_WITHDRAWAL_REASON,
					   json_string(reason))))
		goto nomem;
	return v;
nomem:
	json_decref(v);
	tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return NULL;
}

/*
 * The notice of a forwarded object (signed by party sp) goes to those
 * that got the object from us: pinned partners its collection pk shares
 * with and its TLP entitles, but not sp itself (delivery never sends a
 * party its own objects). As explicit recipients on n.
 */
static tx_err forwarded_recipients(tx_store *st, int64_t pk, const json_t *obj,
				   const char *sp, json_t *n, struct tx_error *err)
{
	struct store_peer *peers = NULL;
	char share[STORE_SHARE_BUF];
	size_t np = 0;
	json_t *to = json_array();
	tx_err rc;

	if (to == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = store_collection_share(st, pk, share)) != TX_OK ||
	    (rc = store_peer_list(st, &peers, &np)) != TX_OK) {
		json_decref(to);
		return tx_error_set(err, rc, "cannot read the partners or the"
				    " collection's sharing");
	}
	for (size_t i = 0; i < np; i++)
		if (strcmp(peers[i].party, sp) != 0 &&
		    store_share_allows(share, peers[i].party) &&
		    fed_entitled(NULL, obj, peers[i].party) &&
		    json_array_append_new(to, json_string(peers[i].party))) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			break;
		}
	free(peers);
	if (rc == TX_OK && json_array_size(to) == 0 &&
	    json_object_set_new(n, FED_LOCAL, json_true()))
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if (rc == TX_OK && json_object_set(n, FED_RECIPIENTS, to))
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	json_decref(to);
	return rc;
}

/* A notice of ours withdrawing obj, marked from it. */
static json_t *notice_for(const json_t *obj, const char *id, const char *self,
			  const char *reason, int64_t now_us, struct tx_error *err)
{
	char ts[TX_TIME_BUF], uuid[TX_UUID_BUF], nid[STORE_WITHDRAWAL_ID_BUF];
	const json_t *src[1] = { obj };
	json_t *n;

	tx_time_format_ms(now_us, ts);
	tx_uuid4(uuid);
	snprintf(nid, sizeof(nid), STORE_WITHDRAWAL_TYPE "--%s", uuid);
	n = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}", "type",
		      STORE_WITHDRAWAL_TYPE, "spec_version", "2.1", "id", nid,
		      "created", ts, "modified", ts, "object_refs", id);
	if (n == NULL || (reason && json_object_set_new(n, "reason",
							 json_string(reason)))) {
		json_decref(n);
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (fed_derive_marking(src, 1, self, n, NULL, err) != TX_OK) {
		json_decref(n);
		return NULL;
	}
	return n;
}

tx_err fed_withdraw(tx_store *st, const char *self, const char *id,
		    const char *reason, int64_t now_us, struct fed_withdrawn *out,
		    struct tx_error *err)
{
	const char *ids[1] = { id };
	struct store_query q = { .ids = ids, .n_ids = 1 };
	struct store_user local = { .admin = 1 };
	struct held_list *h = calloc(1, sizeof(*h));
	struct store_withdrawal w;
	char status[TX_UUID_BUF];
	tx_err rc = TX_OK;

	memset(out, 0, sizeof(*out));
	if (h == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if (reason && strlen(reason) >= STORE_WITHDRAWAL_REASON_MAX) {
		rc = tx_error_set(err, TX_ERR_INVALID, "--reason: at most %d bytes",
				  STORE_WITHDRAWAL_REASON_MAX - 1);
		goto out;
	}
	if ((rc = store_query_every(st, &q, held_row, h, err)) != TX_OK) {
		if (h->nomem)
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (h->n == 0) {
		rc = tx_error_set(err, TX_ERR_NOTFOUND, "%s: not in this node's"
				  " store", id);
		goto out;
	}
	for (size_t i = 0; i < h->n; i++) {
		struct held *x = &h->v[i];
		const char *sp = signer_party(x->obj);
		int ours, sco = json_object_get(x->obj, "modified") == NULL;
		struct store_item it = { 0 };
		json_t *v;

		if (x->via[0] != '\0' || x->origin[0] != '\0') {
			/* sent to us: its origin's to withdraw, not ours */
			snprintf(out->from, sizeof(out->from), "%s",
				 x->origin[0] ? x->origin : x->via);
			continue;
		}
		ours = sp == NULL || (self != NULL && strcmp(sp, self) == 0);
		if (ours && !sco &&
		    json_is_true(json_object_get(x->obj, "revoked"))) {
			out->already++;
			continue;
		}
		v = ours && !sco ? revoked_version(x->obj, reason, now_us, err) :
				   notice_for(x->obj, id, self, reason, now_us, err);
		if (v == NULL) {
			rc = err->code ? err->code : TX_ERR_NOMEM;
			goto out;
		}
		if (!ours && (rc = forwarded_recipients(st, x->pk, x->obj, sp, v,
							err)) != TX_OK) {
			json_decref(v);
			goto out;
		}
		it.obj = v;
		it.id = json_string_value(json_object_get(v, "id"));
		rc = store_put_objects(st, x->pk, &local, &it, 1, status, err);
		if (rc == TX_OK) {
			if (ours && !sco)
				out->revoked++;
			else
				out->notices++;
			if (out->n_notice_ids < FED_WITHDRAW_NOTICES)
				snprintf(out->notice_ids[out->n_notice_ids++],
					 sizeof(out->notice_ids[0]), "%s", it.id);
		}
		json_decref(v);
		if (rc != TX_OK)
			goto out;
	}
	if (out->revoked + out->notices == 0) {
		if (out->already)
			rc = tx_error_set(err, TX_ERR_EXISTS, "%s: withdrawn already",
					  id);
		else
			rc = tx_error_set(err, TX_ERR_DENIED, "%s came from %s: only"
					  " its origin can withdraw it (DELETE removes"
					  " this node's copy only)", id, out->from);
		goto out;
	}
	/* what was stored must now read as withdrawn here (unless a partner
	 * sent a copy too: that one still stands for what its origin says) */
	if (out->from[0] == '\0' && store_withdrawal_get(st, id, &w) != TX_OK)
		rc = tx_error_set(err, TX_ERR_INTERNAL, "%s: stored, but not read"
				  " back as withdrawn", id);
out:
	for (size_t i = 0; i < h->n; i++)
		json_decref(h->v[i].obj);
	free(h);
	return rc;
}
