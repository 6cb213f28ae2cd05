/*
 * watch/partners.c: growing the partnership by vote (issue 14 item 8).
 *
 * Admitting, suspending and removing a party are proposals of the watch
 * list's kind (x-trilex-watch-proposal, subject "partner", one entry per
 * party code), voted on with x-trilex-watch-vote and counted by the same
 * rules (watch/state.c): quorum as configured, the proposer's approval
 * included, one open proposal per party at a time. What is particular
 * to them:
 *   - The proposal carries what is decided: party_code, role (member,
 *     observer; an amend may say suspended) and, to admit, the new
 *     party's card (federation/card.c: self-signed by the party's key).
 *   - The proposer signs the proposal itself (proposer_signature: party,
 *     key, Ed25519 over the RFC 8785 form of the object without that
 *     member and without "extensions", where the node signature travels),
 *     so what the partners vote on is bound to who proposed it whatever
 *     way it came. Every node checks, before counting anything
 *     (watch_partner_check): the signature holds, under the pinned key of
 *     the party the node counts the proposal for (its verified signer);
 *     the party it names is that party; the card's self-signature holds
 *     and the card is of party_code. A proposal failing any of it is
 *     invalid on every node: nobody can vote on it, nothing is pinned.
 *   - Once approved, each member node applies the decision itself
 *     (watch_partners_apply, run by `serve` after commits and by the CLI
 *     after a vote): it pins the admitted party from the card with its
 *     role (no `peer add`), sets a role, or unpins a removed party.
 * What a role entitles a party to is decided in one place, delivery's
 * fed_partner_entitled (federation.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "federation/federation.h"
#include "stix/stix.h"
#include "watch/internal.h"

#define PROPOSER_SIG "proposer_signature"
#define CARD_MAX_MEMBERS 32

static tx_err bad(struct tx_error *err, const char *path, const char *why)
{
	return tx_error_set(err, TX_ERR_INVALID, "%s: %s", path, why);
}

tx_err watch_partner_fields_check(const json_t *obj, int change,
				  struct tx_error *err)
{
	const char *role = tx_json_str(obj, "role");
	const json_t *card = json_object_get(obj, "card");
	const json_t *sig = json_object_get(obj, PROPOSER_SIG);

	if (!tx_party_valid(tx_json_str(obj, "party_code")))
		return bad(err, "party_code", "not a party code (2-7 upper-case"
			   " letters)");
	if (json_object_get(obj, "target_ref") || json_object_get(obj, "scope"))
		return bad(err, "target_ref", "not in a partner proposal");
	switch (change) {
	case WATCH_ADD:
		if (role == NULL || (strcmp(role, STORE_PARTY_MEMBER) != 0 &&
				     strcmp(role, STORE_PARTY_OBSERVER) != 0))
			return bad(err, "role", "must be member or observer");
		if (!json_is_object(card))
			return bad(err, "card", "the party's peer card is required");
		if (json_object_size(card) > CARD_MAX_MEMBERS)
			return bad(err, "card", "too many members for a peer card");
		break;
	case WATCH_AMEND:
		if (!store_peer_role_valid(role))
			return bad(err, "role", "must be member, observer or"
				   " suspended");
		if (card != NULL)
			return bad(err, "card", "only when admitting a party");
		break;
	case WATCH_REMOVE:
		if (role != NULL || card != NULL)
			return bad(err, "role", "a removal has no role or card");
		break;
	default:
		return bad(err, "change", "a partner proposal is add (admit),"
			   " amend (a new role) or remove");
	}
	if (!json_is_object(sig) || !tx_party_valid(tx_json_str(sig, "party")) ||
	    !json_is_string(json_object_get(sig, "key")) ||
	    !json_is_string(json_object_get(sig, "sig")))
		return bad(err, PROPOSER_SIG, "must be {\"party\", \"key\","
			   " \"sig\"}");
	return TX_OK;
}

/* The bytes proposer_signature is over (*out caller-freed). */
static tx_err signed_bytes(const json_t *obj, char **out, size_t *len,
			   struct tx_error *err)
{
	json_t *c = json_copy((json_t *)obj);
	tx_err rc;

	if (c == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	json_object_del(c, PROPOSER_SIG);
	json_object_del(c, "extensions");
	rc = stix_canonicalize(c, out, len, err);
	json_decref(c);
	return rc;
}

/* Sign obj as party's proposal with id. */
static tx_err sign_proposal(json_t *obj, const tx_identity *id,
			    const char *party, struct tx_error *err)
{
	unsigned char pk[CRYPTO_SIGN_PK_BYTES], sig[CRYPTO_SIG_BYTES];
	char hex[65], *bytes = NULL, *b64 = NULL;
	size_t len = 0;
	tx_err rc;

	if ((rc = signed_bytes(obj, &bytes, &len, err)) != TX_OK)
		return rc;
	crypto_identity_public(id, pk);
	tx_hex(pk, sizeof(pk), hex);
	if ((rc = crypto_sign_detached_id(id, bytes, len, sig)) != TX_OK ||
	    (rc = crypto_base64_encode(sig, sizeof(sig), &b64)) != TX_OK) {
		tx_error_set(err, rc, "cannot sign the proposal");
		goto out;
	}
	if (json_object_set_new(obj, PROPOSER_SIG, json_pack("{s:s, s:s, s:s}",
				"party", party, "key", hex, "sig", b64)))
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
out:
	free(bytes);
	free(b64);
	return rc;
}

tx_err watch_partner_check(tx_store *st, const char *own, const char *party,
			   const json_t *obj, struct tx_error *err)
{
	const json_t *sig = json_object_get(obj, PROPOSER_SIG);
	const char *named = tx_json_str(sig, "party"), *key = tx_json_str(sig, "key");
	const char *b64 = tx_json_str(sig, "sig");
	unsigned char pk[CRYPTO_SIGN_PK_BYTES], s[CRYPTO_SIG_BYTES];
	struct store_peer *p = calloc(1, sizeof(*p));
	char *bytes = NULL;
	size_t len = 0;
	tx_err rc = TX_OK;

	if (p == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if (named == NULL || strcmp(named, party) != 0) {
		rc = tx_error_set(err, TX_ERR_DENIED, "proposed in %s's name but"
				  " made by %s: refused", named ? named : "no",
				  party);
		goto out;
	}
	/* The key: the one pinned for that party; this node's own proposals
	 * were signed here (the CLI signs with the identity key). */
	if (strcmp(party, own) != 0 &&
	    (store_peer_find(st, party, NULL, NULL, p) != TX_OK ||
	     strcmp(p->party, party) != 0 || key == NULL ||
	     strcmp(p->sign_pk, key) != 0)) {
		rc = tx_error_set(err, TX_ERR_CRYPTO, "%s: not signed by the key"
				  " pinned for %s", PROPOSER_SIG, party);
		goto out;
	}
	if (key == NULL || strlen(key) != 64 ||
	    crypto_hex_decode(key, pk, sizeof(pk)) != 0 || b64 == NULL ||
	    crypto_base64_decode_exact(b64, strlen(b64), s, sizeof(s)) != 0) {
		rc = bad(err, PROPOSER_SIG, "not a key and signature");
		goto out;
	}
	if ((rc = signed_bytes(obj, &bytes, &len, err)) != TX_OK)
		goto out;
	if (!crypto_verify(pk, bytes, len, s)) {
		rc = tx_error_set(err, TX_ERR_CRYPTO, "%s does not hold: the"
				  " proposal (or its card) was altered after %s"
				  " signed it", PROPOSER_SIG, party);
		goto out;
	}
	if (json_object_get(obj, "card") != NULL) {
		struct tx_error cerr = { 0 };
		memset(p, 0, sizeof(*p));
		if (fed_card_parse(json_object_get(obj, "card"), NULL, p, &cerr) !=
		    TX_OK) {
			rc = tx_error_set(err, TX_ERR_CRYPTO, "card: %s", cerr.msg);
			goto out;
		}
		if (strcmp(p->party, tx_json_str(obj, "party_code")) != 0) {
			rc = tx_error_set(err, TX_ERR_INVALID, "card: of party %s,"
					  " not of %s", p->party,
					  tx_json_str(obj, "party_code"));
			goto out;
		}
	}
out:
	free(bytes);
	free(p);
	return rc;
}

/* The pinned partner of party into p (TX_ERR_NOTFOUND when none). */
static tx_err pinned(tx_store *st, const char *party, struct store_peer *p)
{
	if (store_peer_find(st, party, NULL, NULL, p) != TX_OK ||
	    strcmp(p->party, party) != 0)
		return TX_ERR_NOTFOUND;
	return TX_OK;
}

static const json_t *entry_of(const json_t *state, const char *party)
{
	size_t i;
	const json_t *e;

	json_array_foreach(json_object_get(state, "partners"), i, e)
		if (strcmp(tx_json_str(e, "party_code"), party) == 0)
			return e;
	return NULL;
}

json_t *watch_partner_proposal_object(const struct watch_partner_request *rq,
				      const char *code, const char *role,
				      const char *name, json_t *parties,
				      int quorum, int vote_days, int64_t now_us)
{
	unsigned long jf = tx_json_failures();
	json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "type",
			WATCH_PROPOSAL_TYPE, "spec_version", "2.1", "id", "",
			"created", "", "modified", "", "subject", "partner",
			"object_marking_refs", fed_tlp_marking(FED_TLP_AMBER));
	{
		char oid[100], uuid[TX_UUID_BUF], when[TX_TIME_BUF];
		tx_uuid4(uuid);
		snprintf(oid, sizeof(oid), "%s--%s", WATCH_PROPOSAL_TYPE, uuid);
		tx_time_format_ms(now_us, when);
		json_object_set_new(obj, "id", json_string(oid));
		json_object_set_new(obj, "created", json_string(when));
		json_object_set_new(obj, "modified", json_string(when));
	}
	json_object_set_new(obj, "change", json_string(watch_change_name(rq->change)));
	json_object_set_new(obj, "party_code", json_string(code));
	if (role != NULL && rq->change != WATCH_REMOVE)
		json_object_set_new(obj, "role", json_string(role));
	if (rq->change == WATCH_ADD) {
		json_object_set(obj, "card", (json_t *)rq->card);
		json_object_set_new(obj, "target_name", json_sprintf("%.200s",
				    name));
	}
	if (rq->rationale && rq->rationale[0])
		json_object_set_new(obj, "rationale", json_string(rq->rationale));
	else
		json_object_set_new(obj, "rationale", json_sprintf("%s %s%s%s",
			rq->change == WATCH_ADD ? "admit" : rq->change ==
			WATCH_REMOVE ? "remove" : "set the role of", code,
			role && rq->change != WATCH_REMOVE ? " as " : "",
			role && rq->change != WATCH_REMOVE ? role : ""));
	json_object_set(obj, "parties", parties);
	json_object_set_new(obj, "quorum", json_integer(quorum));
	json_object_set_new(obj, "vote_days", json_integer(vote_days));
	return tx_json_whole(jf, obj);
}

tx_err watch_partner_propose(tx_store *st, const char *dir,
			     const tx_identity *id, const char *party,
			     int64_t now_us,
			     const struct watch_partner_request *rq,
			     char id_out[100], struct tx_error *err)
{
	struct watch_settings set;
	struct store_peer *p = calloc(1, sizeof(*p));
	watch_state *ws = NULL;
	json_t *parties = NULL, *state = NULL, *obj = NULL;
	const json_t *e;
	const char *code = rq->party, *role = rq->role;
	int quorum, is_pinned;
	char why[200];
	tx_err rc;

	if (p == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if (rq->change == WATCH_ADD) {
		if (rq->card == NULL) {
			rc = tx_error_set(err, TX_ERR_INVALID, "admitting a party"
					  " needs its peer card");
			goto out;
		}
		if ((rc = fed_card_parse(rq->card, NULL, p, err)) != TX_OK)
			goto out;
		code = p->party;
		if (role == NULL)
			role = STORE_PARTY_MEMBER;
	}
	if (!tx_party_valid(code)) {
		rc = tx_error_set(err, TX_ERR_INVALID, "\"%.16s\": not a party code",
				  code ? code : "");
		goto out;
	}
	if (strcmp(code, party) == 0) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s is this node's own party",
				  code);
		goto out;
	}
	if (rq->rationale && strlen(rq->rationale) > WATCH_RATIONALE_MAX) {
		rc = tx_error_set(err, TX_ERR_INVALID, "rationale: longer than %d"
				  " bytes", WATCH_RATIONALE_MAX);
		goto out;
	}
	if ((rc = watch_proposal_ground(st, dir, party, now_us, rq->quorum, &set,
					&parties, &ws, &quorum, err)) != TX_OK)
		goto out;
	if ((state = watch_state_json(ws)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	e = entry_of(state, code);
	if (e && json_array_size(json_object_get(e, "pending")) > 0) {
		rc = tx_error_set(err, TX_ERR_EXISTS, "proposal %s on %s is still"
				  " open: vote on it, or wait until it closes",
				  json_string_value(json_array_get(
					  json_object_get(e, "pending"), 0)), code);
		goto out;
	}
	is_pinned = pinned(st, code, p) == TX_OK;
	snprintf(why, sizeof(why), "%s", "");
	if (rq->change == WATCH_ADD && is_pinned)
		rc = tx_error_set(err, TX_ERR_EXISTS, "%s is already pinned here"
				  " (as %s)", code, p->role);
	else if (rq->change != WATCH_ADD && !is_pinned)
		rc = tx_error_set(err, TX_ERR_NOTFOUND, "%s is not a pinned partner"
				  " of this node", code);
	else if (rq->change == WATCH_AMEND && strcmp(p->role, role) == 0)
		rc = tx_error_set(err, TX_ERR_EXISTS, "%s is already %s", code, role);
	if (rc != TX_OK)
		goto out;
	if ((obj = watch_partner_proposal_object(rq, code, role, p->name, parties,
						 quorum, set.vote_days,
						 now_us)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory building the"
				  " proposal");
		goto out;
	}
	if ((rc = sign_proposal(obj, id, party, err)) != TX_OK ||
	    (rc = watch_proposal_check(obj, err)) != TX_OK ||
	    (rc = watch_put(st, obj, err)) != TX_OK)
		goto out;
	snprintf(id_out, 100, "%s", tx_json_str(obj, "id"));
out:
	watch_state_free(ws);
	json_decref(state);
	json_decref(parties);
	json_decref(obj);
	free(p);
	return rc;
}

/* Record one action (for the caller's log and audit) before it is taken:
 * a change the store made is never missing from the list. */
static tx_err did(json_t *actions, const char *action, const char *party,
		  const char *role, const char *proposal, const char *reason,
		  struct tx_error *err)
{
	if (actions != NULL &&
	    json_array_append_new(actions, json_pack("{s:s, s:s, s:s?, s:s?,"
			" s:s?}", "action", action, "party", party, "role", role,
			"proposal", proposal, "reason", reason)) != 0)
		return tx_error_set(err, TX_ERR_NOMEM, "partner %s: out of memory"
				    " (nothing changed for it)", party);
	return TX_OK;
}

/* The action recorded last was not taken after all. */
static void undid(json_t *actions)
{
	if (actions != NULL)
		json_array_remove(actions, json_array_size(actions) - 1);
}

tx_err watch_partners_apply(tx_store *st, const char *party, int64_t now_us,
			    json_t *actions, struct tx_error *err)
{
	struct store_peer *p = calloc(1, sizeof(*p));
	watch_state *ws = NULL;
	json_t *state = NULL;
	const json_t *e;
	size_t i;
	tx_err rc;

	if (p == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = watch_state_load(st, party, now_us, &ws, err)) != TX_OK)
		goto out;
	/* no state is not "no partner to act on" */
	if ((state = watch_state_json(ws)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(json_object_get(state, "partners"), i, e) {
		const char *code = tx_json_str(e, "party_code");
		const char *st_name = tx_json_str(e, "state");
		const char *role = tx_json_str(e, "role");
		const json_t *hist = json_object_get(e, "proposals");
		const char *last = json_string_value(json_array_get(hist,
					json_array_size(hist) - 1));
		int here = pinned(st, code, p) == TX_OK;
		struct tx_error oerr = { 0 };

		if (strcmp(code, party) == 0)
			continue; /* about this node: its partners act on it */
		if (strcmp(st_name, "removed") == 0) {
			if (here) {
				if ((rc = did(actions, "removed", code, NULL, last,
					      NULL, err)) != TX_OK)
					goto out;
				if (store_peer_remove(st, code, &oerr) != TX_OK) {
					undid(actions);
					if (oerr.code == TX_ERR_NOTFOUND)
						continue; /* unpinned meanwhile */
					goto failed;
				}
			}
			continue;
		}
		if (strcmp(st_name, "active") != 0 || !store_peer_role_valid(role))
			continue;
		if (here) {
			if (strcmp(p->role, role) != 0) {
				if ((rc = did(actions, "role", code, role, last, NULL,
					      err)) != TX_OK)
					goto out;
				if (store_peer_set_role(st, code, role, &oerr) != TX_OK) {
					undid(actions);
					goto failed;
				}
			}
			continue;
		}
		if (json_object_get(e, "card") == NULL)
			continue; /* a role for a party never pinned here */
		memset(p, 0, sizeof(*p));
		/* checked when the proposal was read (watch_partner_check) */
		if (fed_card_parse(json_object_get(e, "card"), NULL, p, &oerr) != TX_OK)
			goto failed;
		snprintf(p->role, sizeof(p->role), "%s", role);
		if ((rc = did(actions, "pinned", code, role, last, NULL, err)) != TX_OK)
			goto out;
		if (store_peer_add(st, p, &oerr) != TX_OK) {
			undid(actions);
			/* pinned meanwhile by another process of this node (a
			 * vote's CLI and serve's keeper both act on it) */
			if (oerr.code == TX_ERR_EXISTS && pinned(st, code, p) == TX_OK &&
			    strcmp(p->role, role) == 0)
				continue;
			goto failed;
		}
		continue;
failed:
		if (tx_err_transient(oerr.code)) {
			rc = tx_error_set(err, oerr.code, "partner %s: %s", code,
					  oerr.msg);
			goto out;
		}
		if ((rc = did(actions, "failed", code, role, last, oerr.msg,
			      err)) != TX_OK)
			goto out;
	}
out:
	watch_state_free(ws);
	json_decref(state);
	free(p);
	return rc;
}
