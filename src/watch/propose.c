/*
 * watch/propose.c: reading the node's objects, and making proposals and
 * votes after checking them against the state the node holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"
#include "stix/stix.h"
#include "watch/internal.h"

/* TLP 2.0 AMBER: every partner, no one else. What a proposal or vote
 * starts with; fed_derive_marking then narrows it to what its target and
 * proposal allow. */
#define TLP_AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"

struct collect {
	json_t *out;
	const char *party;
	tx_err rc;
};

static int collect_row(void *ctx, const struct store_row *row)
{
	struct collect *c = ctx;
	unsigned long jf = tx_json_failures();
	json_t *o;

	if (json_array_size(c->out) >= WATCH_MAX_RECORDS) {
		c->rc = TX_ERR_TOOBIG;
		return STORE_ROW_FAIL;
	}
	/* a stored object that is not JSON is skipped; one that could not
	 * be read for want of memory is not */
	if ((o = tx_json_load(row->json, row->json_len, 0, NULL)) == NULL) {
		if (tx_json_failures() == jf)
			return 0;
		c->rc = TX_ERR_NOMEM;
		return STORE_ROW_FAIL;
	}
	/* a record lost to memory would change the state (a vote uncounted,
	 * a proposal unseen): no list rather than a part of it */
	if (json_array_append_new(c->out, json_pack("{s:s, s:o, s:I, s:b}", "party",
		row->origin ? row->origin : c->party, "object", o, "added",
		(json_int_t)row->date_added, "here", row->origin == NULL)) != 0) {
		c->rc = TX_ERR_NOMEM;
		return STORE_ROW_FAIL;
	}
	return 0;
}

tx_err watch_collect(tx_store *st, const char *party, const char *const *types,
		     size_t n_types, json_t **objs, struct tx_error *err)
{
	struct store_query q = { .types = types, .n_types = n_types };
	struct collect c = { json_array(), party, TX_OK };
	tx_err rc;

	*objs = NULL;
	if (c.out == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	rc = store_query_every(st, &q, collect_row, &c, err);
	if (c.rc == TX_ERR_NOMEM)
		rc = tx_error_set(err, c.rc, "out of memory reading the watch list");
	else if (c.rc != TX_OK)
		rc = tx_error_set(err, c.rc, "more than %d objects of the watch list",
				  WATCH_MAX_RECORDS);
	if (rc != TX_OK) {
		json_decref(c.out);
		return rc;
	}
	*objs = c.out;
	return TX_OK;
}

tx_err watch_state_load(tx_store *st, const char *party, int64_t now_us,
			watch_state **out, struct tx_error *err)
{
	static const char *const types[] = {
		WATCH_PROPOSAL_TYPE, WATCH_VOTE_TYPE, "identity", "relationship",
	};
	struct watch_record *rec = NULL;
	json_t *objs = NULL, *x;
	size_t i;
	tx_err rc;

	*out = NULL;
	if ((rc = watch_collect(st, party, types, 4, &objs, err)) != TX_OK)
		return rc;
	rec = calloc(json_array_size(objs) + 1, sizeof(*rec));
	if (rec == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(objs, i, x) {
		const json_t *o = json_object_get(x, "object");
		rec[i].party = json_string_value(json_object_get(x, "party"));
		rec[i].obj = o;
		/* a partner proposal counts only when its signature and card
		 * hold, on every node alike (watch/partners.c) */
		if (tx_json_str(o, "type") && tx_json_str(o, "subject") &&
		    strcmp(tx_json_str(o, "type"), WATCH_PROPOSAL_TYPE) == 0 &&
		    strcmp(tx_json_str(o, "subject"), "partner") == 0) {
			struct tx_error perr = { 0 };
			if (watch_partner_fields_check(o, watch_change_parse(
					tx_json_str(o, "change")), &perr) == TX_OK &&
			    watch_partner_check(st, party, rec[i].party, o, &perr) !=
			    TX_OK) {
				if (tx_err_transient(perr.code)) {
					rc = tx_error_set(err, perr.code, "%s", perr.msg);
					goto out;
				}
				/* a refusal not written down would count
				 * the proposal */
				if (json_object_set_new(x, "refused",
							json_string(perr.msg)) != 0) {
					rc = tx_error_set(err, TX_ERR_NOMEM, "out of"
							  " memory");
					goto out;
				}
			}
			rec[i].refused = tx_json_str(x, "refused");
		}
	}
	rc = watch_state_build(rec, json_array_size(objs), now_us, out, err);
out:
	free(rec);
	json_decref(objs);
	return rc;
}

/* The "watch" collection, made when missing. */
static tx_err watch_coll(tx_store *st, struct store_collection *c,
			 struct tx_error *err)
{
	return store_collection_ensure(st, "Watch list", "proposals and votes on"
				       " the AOR and the watch list",
				       WATCH_COLLECTION, c, err);
}

/* Validate obj and store it in "watch", durably. */
tx_err watch_put(tx_store *st, const json_t *obj, struct tx_error *err)
{
	struct store_collection c;
	struct store_item item = { .obj = obj };
	char sid[TX_UUID_BUF];
	tx_err rc;

	item.id = json_string_value(json_object_get(obj, "id"));
	if ((rc = stix_validate(obj, err)) != TX_OK) {
		tx_error_prefix(err, "%s", item.id);
		return rc;
	}
	if ((rc = watch_coll(st, &c, err)) != TX_OK)
		return rc;
	return store_put_objects(st, c.pk, NULL, &item, 1, sid, err);
}

struct found {
	const char *id;
	json_t *obj;
};

static int found_row(void *ctx, const struct store_row *row)
{
	struct found *f = ctx;

	if (f->obj == NULL)
		f->obj = tx_json_load(row->json, row->json_len, 0, NULL);
	return 0;
}

/* Object id from any collection (caller frees), or NULL. */
static json_t *find_object(tx_store *st, const char *id)
{
	struct store_user admin = { .admin = 1 };
	struct store_collection *cols = NULL;
	struct found f = { id, NULL };
	const char *ids[1] = { id };
	size_t n = 0;

	if (store_collection_list(st, &admin, &cols, &n) != TX_OK)
		return NULL;
	for (size_t i = 0; i < n && f.obj == NULL; i++) {
		struct store_query q = { .collection_pk = cols[i].pk, .ids = ids,
					 .n_ids = 1, .limit = 1 };
		struct store_page pg;
		/* a store error reads as "not found": the caller refuses */
		if (store_query_objects(st, &q, found_row, &f, &pg, NULL) != TX_OK)
			break;
	}
	free(cols);
	return f.obj;
}

static int cmp_party(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* This node's party and every pinned partner that is a member (not an
 * observer, not suspended), sorted. */
tx_err watch_partnership(tx_store *st, const char *party, json_t **out,
			  struct tx_error *err)
{
	struct store_peer *peers = NULL;
	char (*codes)[TX_PARTY_MAX] = NULL;
	size_t n = 0, k = 0;
	tx_err rc;

	if ((rc = store_peer_list(st, &peers, &n)) != TX_OK)
		return tx_error_set(err, rc, "cannot list the partners");
	if ((codes = calloc(n + 1, sizeof(*codes))) == NULL) {
		free(peers);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	snprintf(codes[k++], TX_PARTY_MAX, "%s", party);
	for (size_t i = 0; i < n && k < WATCH_MAX_PARTIES; i++)
		if (strcmp(peers[i].party, party) != 0 &&
		    strcmp(peers[i].role, STORE_PARTY_MEMBER) == 0)
			snprintf(codes[k++], TX_PARTY_MAX, "%s", peers[i].party);
	tx_sort(codes, k, sizeof(*codes), cmp_party);
	/* a member left out would lower the quorum a proposal needs */
	rc = TX_OK;
	if ((*out = json_array()) == NULL)
		rc = TX_ERR_NOMEM;
	for (size_t i = 0; rc == TX_OK && i < k; i++)
		if (json_array_append_new(*out, json_string(codes[i])) != 0)
			rc = TX_ERR_NOMEM;
	free(codes);
	free(peers);
	if (rc != TX_OK) {
		json_decref(*out);
		*out = NULL;
		return tx_error_set(err, rc, "out of memory listing the partnership");
	}
	return TX_OK;
}

tx_err watch_proposal_ground(tx_store *st, const char *dir, const char *party,
			     int64_t now_us, int requested,
			     struct watch_settings *set, json_t **parties,
			     watch_state **ws, int *quorum, struct tx_error *err)
{
	tx_err rc;

	if ((rc = watch_settings_load(dir, set, err)) != TX_OK ||
	    (rc = watch_partnership(st, party, parties, err)) != TX_OK ||
	    (rc = watch_state_load(st, party, now_us, ws, err)) != TX_OK)
		return rc;
	*quorum = requested >= 0 ? requested : set->quorum;
	if (*quorum > (int)json_array_size(*parties))
		return tx_error_set(err, TX_ERR_INVALID, "quorum %d: the partnership"
				    " has only %zu members", *quorum,
				    json_array_size(*parties));
	return TX_OK;
}

static int in_set(const json_t *set, const char *s)
{
	size_t i;
	const json_t *x;

	json_array_foreach(set, i, x)
		if (s && strcmp(json_string_value(x), s) == 0)
			return 1;
	return 0;
}

static json_t *new_object(const char *type, int64_t now)
{
	char id[100], uuid[TX_UUID_BUF], when[TX_TIME_BUF];

	tx_uuid4(uuid);
	snprintf(id, sizeof(id), "%s--%s", type, uuid);
	tx_time_format_ms(now, when);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}", "type", type,
			 "spec_version", "2.1", "id", id, "created", when,
			 "modified", when, "object_marking_refs", TLP_AMBER);
}

static const json_t *entry_of(const json_t *state, int aor, const char *key)
{
	size_t i;
	const json_t *e;

	json_array_foreach(json_object_get(state, aor ? "aor" : "entries"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "key")), key) == 0)
			return e;
	return NULL;
}

/* Check the request against the node's objects and state. */
static tx_err check_request(tx_store *st, const watch_state *ws,
			    const struct watch_request *rq, const json_t *parties,
			    char key[WATCH_KEY_MAX], json_t **target,
			    struct tx_error *err)
{
	json_t *state = watch_state_json(ws);
	const json_t *e;
	const char *est;
	tx_err rc = TX_OK;

	if (rq->aor) {
		struct watch_scope sc;
		if (rq->scope == NULL) {
			rc = tx_error_set(err, TX_ERR_INVALID, "an AOR proposal needs a"
					  " scope (--sector, --country, --region or"
					  " --actor)");
			goto out;
		}
		if ((rc = watch_scope_parse(rq->scope, &sc, err)) != TX_OK)
			goto out;
		watch_scope_format(&sc, key);
		if (sc.kind == WATCH_SCOPE_ACTOR &&
		    (*target = find_object(st, sc.value)) == NULL) {
			rc = tx_error_set(err, TX_ERR_NOTFOUND, "unknown reference: no"
					  " %s on this node", sc.value);
			goto out;
		}
	} else {
		if (rq->target == NULL || !watch_target_id(rq->target)) {
			rc = tx_error_set(err, TX_ERR_INVALID, "--ref \"%.100s\": must be"
					  " the id of a threat-actor, intrusion-set,"
					  " identity, infrastructure or indicator",
					  rq->target ? rq->target : "");
			goto out;
		}
		snprintf(key, WATCH_KEY_MAX, "%s", rq->target);
		if ((*target = find_object(st, rq->target)) == NULL) {
			rc = tx_error_set(err, TX_ERR_NOTFOUND, "unknown reference: no"
					  " %s on this node", rq->target);
			goto out;
		}
	}
	if (rq->rationale && strlen(rq->rationale) > WATCH_RATIONALE_MAX) {
		rc = tx_error_set(err, TX_ERR_INVALID, "rationale: longer than %d"
				  " bytes", WATCH_RATIONALE_MAX);
		goto out;
	}
	if (rq->change == WATCH_ADD && (rq->rationale == NULL || !rq->rationale[0])) {
		rc = tx_error_set(err, TX_ERR_INVALID, "add needs a rationale");
		goto out;
	}
	if (rq->risk && !watch_risk_valid(rq->risk)) {
		rc = tx_error_set(err, TX_ERR_INVALID, "risk \"%.32s\": must be low,"
				  " medium, high or critical", rq->risk);
		goto out;
	}
	if (!rq->aor && rq->change == WATCH_ADD && rq->risk == NULL) {
		rc = tx_error_set(err, TX_ERR_INVALID, "add needs a risk rating"
				  " (low, medium, high, critical)");
		goto out;
	}
	if (rq->aor && rq->change == WATCH_ADD && rq->responsible == NULL) {
		rc = tx_error_set(err, TX_ERR_INVALID, "an AOR assignment needs a"
				  " responsible party");
		goto out;
	}
	const char *who[2] = { rq->responsible, rq->backup };
	for (int i = 0; i < 2; i++)
		if (who[i] && !in_set(parties, who[i])) {
			rc = tx_error_set(err, TX_ERR_INVALID, "%s party \"%.16s\" is"
					  " not in the partnership", i ? "backup" :
					  "responsible", who[i]);
			goto out;
		}
	if (rq->responsible && rq->backup && strcmp(rq->responsible, rq->backup) == 0) {
		rc = tx_error_set(err, TX_ERR_INVALID, "the backup party must differ"
				  " from the responsible party");
		goto out;
	}
	if (rq->duty) {
		json_t *d = watch_duty_of(ws, rq->responsible, rq->duty);
		int ok = d && strcmp(json_string_value(json_object_get(d, "id")),
				     rq->duty) == 0;
		json_decref(d);
		if (!ok) {
			rc = tx_error_set(err, TX_ERR_NOTFOUND, "unknown reference: %.100s"
					  " is not a duty officer of %s in the"
					  " directory (trilex poc list)", rq->duty,
					  rq->responsible ? rq->responsible : "(no"
					  " responsible party)");
			goto out;
		}
	}
	for (size_t i = 0; i < rq->n_sectors; i++)
		if (!watch_is_sector(rq->sectors[i])) {
			rc = tx_error_set(err, TX_ERR_INVALID, "sector \"%.64s\": not in"
					  " the STIX industry-sector vocabulary",
					  rq->sectors[i]);
			goto out;
		}
	for (size_t i = 0; i < rq->n_countries; i++)
		if (!watch_is_country(rq->countries[i]) &&
		    !watch_is_region(rq->countries[i])) {
			rc = tx_error_set(err, TX_ERR_INVALID, "country \"%.64s\": not"
					  " an ISO 3166-1 alpha-2 code or a STIX"
					  " region", rq->countries[i]);
			goto out;
		}
	if (rq->n_sectors + rq->n_countries > WATCH_MAX_SCOPES) {
		rc = tx_error_set(err, TX_ERR_TOOBIG, "more than %d sectors and"
				  " countries", WATCH_MAX_SCOPES);
		goto out;
	}
	if (!rq->aor && rq->change == WATCH_ADD && rq->responsible == NULL) {
		json_t *aw = watch_actor_id(key) ? watch_aor_who(ws, NULL, NULL, key) : NULL;
		for (size_t i = 0; aw == NULL && i < rq->n_sectors; i++)
			aw = watch_aor_who(ws, rq->sectors[i], NULL, NULL);
		for (size_t i = 0; aw == NULL && i < rq->n_countries; i++)
			aw = watch_aor_who(ws, NULL, rq->countries[i], NULL);
		if (aw == NULL) {
			rc = tx_error_set(err, TX_ERR_INVALID, "no AOR assignment"
					  " covers %s or its sectors and countries:"
					  " give --responsible PARTY (or --sector /"
					  " --country of an assignment)", key);
			goto out;
		}
		json_decref(aw);
	}
	e = entry_of(state, rq->aor, key);
	if (e && json_array_size(json_object_get(e, "pending")) > 0) {
		rc = tx_error_set(err, TX_ERR_EXISTS, "proposal %s on %s is still"
				  " open: vote on it, or wait until it closes",
				  json_string_value(json_array_get(
					  json_object_get(e, "pending"), 0)), key);
		goto out;
	}
	est = e ? json_string_value(json_object_get(e, "state")) : "absent";
	int live = strcmp(est, "active") == 0 || strcmp(est, "under-review") == 0;
	if (rq->change == WATCH_ADD && live) {
		rc = tx_error_set(err, TX_ERR_EXISTS, "%s is already %s: propose"
				  " amend or renew", key, est);
		goto out;
	}
	if (rq->change != WATCH_ADD && !live) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s is %s: only an active"
				  " entry can be amended, renewed or removed",
				  key, est);
		goto out;
	}
out:
	json_decref(state);
	return rc;
}

static json_t *strings_of(const char *const *v, size_t n)
{
	json_t *l = json_array();

	for (size_t i = 0; l != NULL && i < n; i++)
		json_array_append_new(l, json_string(v[i]));
	return l;
}

static json_t *proposal_object(const struct watch_request *rq, const char *key,
			       const json_t *target, json_t *parties,
			       int quorum, const struct watch_settings *set,
			       int64_t now_us)
{
	json_t *obj = new_object(WATCH_PROPOSAL_TYPE, now_us);

	if (obj == NULL)
		return NULL;
	json_object_set_new(obj, "subject", json_string(rq->aor ? "aor" : "watch-list"));
	json_object_set_new(obj, "change", json_string(watch_change_name(rq->change)));
	json_object_set_new(obj, rq->aor ? "scope" : "target_ref", json_string(key));
	if (target && json_is_string(json_object_get(target, "name")))
		json_object_set_new(obj, "target_name", json_sprintf("%.200s",
			json_string_value(json_object_get(target, "name"))));
	if (rq->rationale)
		json_object_set_new(obj, "rationale", json_string(rq->rationale));
	if (rq->risk)
		json_object_set_new(obj, "risk", json_string(rq->risk));
	if (rq->responsible)
		json_object_set_new(obj, "responsible_party", json_string(rq->responsible));
	if (rq->backup)
		json_object_set_new(obj, "backup_party", json_string(rq->backup));
	if (rq->duty)
		json_object_set_new(obj, "duty_ref", json_string(rq->duty));
	if (rq->n_sectors) {
		json_object_set_new(obj, "sectors", strings_of(rq->sectors,
							       rq->n_sectors));
	} else if (target && json_is_array(json_object_get(target, "sectors"))) {
		/* an identity's own sectors route its alerts */
		json_t *l = json_array(), *x;
		size_t i;
		json_array_foreach(json_object_get(target, "sectors"), i, x)
			if (watch_is_sector(json_string_value(x)) &&
			    json_array_size(l) < WATCH_MAX_SCOPES / 2)
				json_array_append(l, x);
		json_object_set_new(obj, "sectors", l);
	}
	if (rq->n_countries)
		json_object_set_new(obj, "countries", strings_of(rq->countries,
								 rq->n_countries));
	json_object_set(obj, "parties", parties);
	json_object_set_new(obj, "quorum", json_integer(quorum));
	json_object_set_new(obj, "review_months", json_integer(
		rq->review_months > 0 ? rq->review_months : set->review_months));
	json_object_set_new(obj, "grace_days", json_integer(set->grace_days));
	json_object_set_new(obj, "vote_days", json_integer(set->vote_days));
	return obj;
}

json_t *watch_proposal_object(const struct watch_request *rq, const char *key,
			      const json_t *target, json_t *parties,
			      int quorum, const struct watch_settings *set,
			      int64_t now_us)
{
	unsigned long jf = tx_json_failures();

	return tx_json_whole(jf, proposal_object(rq, key, target, parties, quorum,
						 set, now_us));
}

json_t *watch_vote_object(const char *proposal, int approve, const char *comment,
			  int64_t now_us)
{
	unsigned long jf = tx_json_failures();
	json_t *obj = new_object(WATCH_VOTE_TYPE, now_us);

	json_object_set_new(obj, "proposal_ref", json_string(proposal));
	json_object_set_new(obj, "decision", json_string(approve ? "approve" : "reject"));
	if (comment)
		json_object_set_new(obj, "comment", json_string(comment));
	return tx_json_whole(jf, obj);
}

tx_err watch_propose(tx_store *st, const char *dir, const char *party,
		     int64_t now_us, const struct watch_request *rq,
		     char id_out[100], struct tx_error *err)
{
	struct watch_settings set;
	watch_state *ws = NULL;
	json_t *parties = NULL, *target = NULL, *obj = NULL;
	char key[WATCH_KEY_MAX];
	int quorum;
	tx_err rc;

	if ((rc = watch_proposal_ground(st, dir, party, now_us, rq->quorum, &set,
					&parties, &ws, &quorum, err)) != TX_OK)
		goto out;
	if ((rc = check_request(st, ws, rq, parties, key, &target, err)) != TX_OK)
		goto out;
	if ((obj = watch_proposal_object(rq, key, target, parties, quorum, &set,
					 now_us)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory building the"
				  " proposal");
		goto out;
	}
	/* It names its target (and copies its name): it may have no reader
	 * the target, or the duty officer it names, does not have. */
	const char *src[2];
	size_t n_src = 0;
	if (target && json_is_string(json_object_get(target, "id")))
		src[n_src++] = json_string_value(json_object_get(target, "id"));
	if (rq->duty)
		src[n_src++] = rq->duty;
	if ((rc = fed_derive_stored(st, src, n_src, (const json_t *const *)&target,
				    target ? 1 : 0, party, obj, NULL, err)) != TX_OK ||
	    (rc = watch_proposal_check(obj, err)) != TX_OK ||
	    (rc = watch_put(st, obj, err)) != TX_OK)
		goto out;
	snprintf(id_out, 100, "%s", json_string_value(json_object_get(obj, "id")));
out:
	watch_state_free(ws);
	json_decref(parties);
	json_decref(target);
	json_decref(obj);
	return rc;
}

tx_err watch_vote(tx_store *st, const char *party, int64_t now_us,
		  const char *proposal, int approve, const char *comment,
		  char id_out[100], struct tx_error *err)
{
	watch_state *ws = NULL;
	const json_t *p;
	json_t *obj = NULL;
	const char *state;
	tx_err rc;

	if (comment && strlen(comment) > WATCH_COMMENT_MAX)
		return tx_error_set(err, TX_ERR_INVALID, "--comment: longer than %d"
				    " bytes", WATCH_COMMENT_MAX);
	if ((rc = watch_state_load(st, party, now_us, &ws, err)) != TX_OK)
		goto out;
	if ((p = watch_state_proposal(ws, proposal)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOTFOUND, "unknown reference: no"
				  " proposal %.100s on this node (trilex watch"
				  " proposals lists them)", proposal);
		goto out;
	}
	state = json_string_value(json_object_get(p, "state"));
	if (strcmp(state, "open") != 0) {
		const char *when = json_string_value(json_object_get(p, "decided"));
		const char *note = json_string_value(json_object_get(p, "note"));
		rc = tx_error_set(err, TX_ERR_DENIED, "proposal %s is closed: %s%s%s%s%s",
				  proposal, state, when ? " on " : "", when ? when : "",
				  note ? "; " : "", note ? note : "");
		goto out;
	}
	if (!in_set(json_object_get(p, "parties"), party)) {
		rc = tx_error_set(err, TX_ERR_DENIED, "party %s is not in the"
				  " partnership of proposal %s", party, proposal);
		goto out;
	}
	if (in_set(json_object_get(p, "approved_by"), party) ||
	    in_set(json_object_get(p, "rejected_by"), party)) {
		rc = tx_error_set(err, TX_ERR_EXISTS, "party %s has already voted on"
				  " %s%s", party, proposal,
				  strcmp(json_string_value(json_object_get(p,
					"proposer")), party) == 0 ? " (a proposal"
				  " counts as its proposer's approval)" : "");
		goto out;
	}
	if ((obj = watch_vote_object(proposal, approve, comment, now_us)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory building the"
				  " vote");
		goto out;
	}
	/* A vote goes where its proposal went, no further. */
	const char *src[1] = { proposal };
	if ((rc = fed_derive_stored(st, src, 1, NULL, 0, party, obj, NULL,
				    err)) != TX_OK ||
	    (rc = watch_vote_check(obj, err)) != TX_OK ||
	    (rc = watch_put(st, obj, err)) != TX_OK)
		goto out;
	snprintf(id_out, 100, "%s", json_string_value(json_object_get(obj, "id")));
out:
	watch_state_free(ws);
	json_decref(obj);
	return rc;
}
