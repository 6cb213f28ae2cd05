/*
 * watch/state.c: the AOR and the watch list computed from proposals and
 * votes.
 *
 * The rule, applied the same way on every node:
 *   1. A proposal counts as its proposer's approval. Votes are taken in
 *      (created, id) order; a vote counts for the party that signed it
 *      when that party is in the proposal's parties and has not voted on
 *      it yet, and the proposal is still open. With n parties and quorum
 *      q (0 meaning n), the proposal is approved when q parties approved,
 *      rejected when more than n - q rejected (under unanimity: one
 *      rejection), and lapses when still undecided vote_days after it was
 *      made. Its decision time is the created time of the deciding vote.
 *   2. Proposals on the same entry (the watch-list target, or the AOR
 *      scope) are taken in (created, id) order; one made while an earlier
 *      one on the same entry was still open conflicts with it and has no
 *      effect, whatever its votes.
 *   3. Approved proposals change their entries in (decision, created, id)
 *      order: add makes an entry active (ratified then, review date
 *      review_months later, expiry grace_days after that), amend changes
 *      its fields, renew moves its review date, remove removes it. An
 *      entry not renewed by its expiry is expired from then on; a change
 *      to an entry that is not active has no effect (and says so).
 *   4. At now, an active entry past its review date is under review, past
 *      its expiry expired.
 * Partner proposals (subject "partner", watch/partners.c) follow rules 1
 * and 2; their entries (one per party code) take each approved change in
 * decision order whatever their state: add admits the party with its
 * role and card, amend sets its role (suspended among them), remove
 * removes it. They never come under review or expire.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watch/internal.h"

enum pstate { P_OPEN, P_APPROVED, P_REJECTED, P_LAPSED, P_CONFLICT, P_INVALID };
static const char *const pstate_names[] = {
	"open", "approved", "rejected", "lapsed", "conflict", "invalid",
};

enum estate { E_PROPOSED, E_ACTIVE, E_REMOVED, E_EXPIRED };

struct prop {
	const json_t *obj;          /* borrowed from the state's keep list */
	const char *id;
	char party[TX_PARTY_MAX];
	int64_t created, deadline, decided;
	int aor, partner, change, n, quorum;
	int review_months, grace_days;
	char key[WATCH_KEY_MAX + 4]; /* "W|target" or "A|scope" */
	enum pstate st;
	json_t *approved, *rejected, *ignored, *comments; /* owned */
	char note[TX_ERROR_MSG_MAX];
};

struct vote {
	const json_t *obj;
	const char *id, *ref, *comment;
	char party[TX_PARTY_MAX];
	int64_t created;
	int approve;
};

struct entry {
	int aor, partner;
	const char *key;            /* borrowed: its first proposal's key + 2 */
	enum estate st;
	int64_t ratified, review, expires, ended, renewed;
	const struct prop *fields;  /* add proposal */
	json_t *values;             /* owned: current fields */
	json_t *history, *pending;  /* owned: proposal ids */
};

struct watch_state {
	int64_t now;
	json_t *keep;               /* owned: every object used */
	struct prop *p;
	size_t np;
	struct vote *v;
	size_t nv;
	struct entry *e;
	size_t ne;
	json_t *people;             /* party -> [individual, ...] by name */
	json_t *indicates;          /* target id -> [indicator ids] */
	json_t *json;               /* the result */
	json_t *prop_index;         /* id -> proposal JSON (borrowed from json) */
	json_t *expired;            /* sorted indicator ids */
	json_t *ind_entry;          /* live indicator id -> entry JSON */
};

static int64_t tget(const json_t *o, const char *k)
{
	int64_t t = 0;

	tx_time_parse(tx_json_str(o, k), &t, NULL);
	return t;
}

static json_t *tjson(int64_t t)
{
	char buf[TX_TIME_BUF];

	if (t == 0 || t == INT64_MAX)
		return json_null();
	tx_time_format_ms(t, buf);
	return json_string(buf);
}

static int set_has(const json_t *set, const char *s)
{
	size_t i;
	const json_t *x;

	json_array_foreach(set, i, x)
		if (strcmp(json_string_value(x), s) == 0)
			return 1;
	return 0;
}

static int cmp_prop(const void *a, const void *b)
{
	const struct prop *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int cmp_vote(const void *a, const void *b)
{
	const struct vote *x = a, *y = b;
	int c;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	c = strcmp(x->id, y->id);
	return c ? c : strcmp(x->party, y->party);
}

/* Two records with one id: keep one, the same one everywhere. */
static int prefer(const char *pa, const json_t *a, const char *pb,
		  const json_t *b)
{
	char *ta, *tb;
	int c = strcmp(pa, pb);

	if (c != 0)
		return c < 0;
	ta = tx_json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	tb = tx_json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	c = ta && tb ? strcmp(ta, tb) : 0;
	free(ta);
	free(tb);
	return c <= 0;
}

static void prop_free(struct prop *p)
{
	json_decref(p->approved);
	json_decref(p->rejected);
	json_decref(p->ignored);
	json_decref(p->comments);
}

void watch_state_free(watch_state *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->np; i++)
		prop_free(&s->p[i]);
	for (size_t i = 0; i < s->ne; i++) {
		json_decref(s->e[i].values);
		json_decref(s->e[i].history);
		json_decref(s->e[i].pending);
	}
	free(s->p);
	free(s->v);
	free(s->e);
	json_decref(s->keep);
	json_decref(s->people);
	json_decref(s->indicates);
	json_decref(s->json);
	json_decref(s->prop_index);
	json_decref(s->expired);
	json_decref(s->ind_entry);
	free(s);
}

/* ---- step 0: sort the records ---- */

static tx_err add_prop(watch_state *s, const char *party, const json_t *o,
		       const char *refused, json_t *by_id)
{
	struct prop *p = &s->p[s->np];
	struct tx_error err = { 0 };
	const json_t *prev = json_object_get(by_id, tx_json_str(o, "id"));

	memset(p, 0, sizeof(*p));
	if (prev != NULL) {
		struct prop *q = &s->p[json_integer_value(prev)];
		if (prefer(q->party, q->obj, party, o))
			return TX_OK;
		prop_free(q);
		p = q;        /* replace it in place */
		memset(p, 0, sizeof(*p));
	} else {
		json_object_set_new(by_id, tx_json_str(o, "id"), json_integer((json_int_t)s->np));
		s->np++;
	}
	p->obj = o;
	p->id = tx_json_str(o, "id");
	snprintf(p->party, sizeof(p->party), "%s", party);
	p->approved = json_array();
	p->rejected = json_array();
	p->ignored = json_array();
	p->comments = json_array();
	if (!p->approved || !p->rejected || !p->ignored || !p->comments)
		return TX_ERR_NOMEM;
	p->created = tget(o, "created");
	if (watch_proposal_check(o, &err) != TX_OK) {
		p->st = P_INVALID;
		snprintf(p->note, sizeof(p->note), "%s", err.msg);
		if (p->id == NULL)
			p->id = "?";
		return TX_OK;
	}
	p->aor = strcmp(tx_json_str(o, "subject"), "aor") == 0;
	p->partner = strcmp(tx_json_str(o, "subject"), "partner") == 0;
	p->change = watch_change_parse(tx_json_str(o, "change"));
	snprintf(p->key, sizeof(p->key), "%c|%s", p->aor ? 'A' : p->partner ?
		 'P' : 'W', tx_json_str(o, p->aor ? "scope" : p->partner ?
					"party_code" : "target_ref"));
	p->n = (int)json_array_size(json_object_get(o, "parties"));
	p->quorum = (int)json_integer_value(json_object_get(o, "quorum"));
	if (p->quorum <= 0)
		p->quorum = p->n;
	p->review_months = json_object_get(o, "review_months") ?
		(int)json_integer_value(json_object_get(o, "review_months")) :
		WATCH_REVIEW_MONTHS;
	p->grace_days = json_object_get(o, "grace_days") ?
		(int)json_integer_value(json_object_get(o, "grace_days")) :
		WATCH_GRACE_DAYS;
	p->deadline = p->created + (json_object_get(o, "vote_days") ?
		json_integer_value(json_object_get(o, "vote_days")) :
		WATCH_VOTE_DAYS) * WATCH_DAY_US;
	if (refused != NULL) {
		p->st = P_INVALID;
		snprintf(p->note, sizeof(p->note), "%s", refused);
		return TX_OK;
	}
	if (!set_has(json_object_get(o, "parties"), party)) {
		p->st = P_INVALID;
		snprintf(p->note, sizeof(p->note), "its proposer %s is not among its"
			 " parties", party);
		return TX_OK;
	}
	json_array_append_new(p->approved, json_string(party));
	p->st = P_OPEN;
	if (p->quorum <= 1) {
		p->st = P_APPROVED;
		p->decided = p->created;
	}
	return TX_OK;
}

static void add_vote(watch_state *s, const char *party, const json_t *o,
		     json_t *by_id)
{
	struct tx_error err = { 0 };
	const json_t *prev;
	struct vote *v;

	if (watch_vote_check(o, &err) != TX_OK)
		return;   /* not a vote we can read: counted nowhere */
	prev = json_object_get(by_id, tx_json_str(o, "id"));
	if (prev != NULL) {
		v = &s->v[json_integer_value(prev)];
		if (prefer(v->party, v->obj, party, o))
			return;
	} else {
		json_object_set_new(by_id, tx_json_str(o, "id"), json_integer((json_int_t)s->nv));
		v = &s->v[s->nv++];
	}
	v->obj = o;
	v->id = tx_json_str(o, "id");
	v->ref = tx_json_str(o, "proposal_ref");
	v->comment = tx_json_str(o, "comment");
	v->approve = strcmp(tx_json_str(o, "decision"), "approve") == 0;
	v->created = tget(o, "created");
	snprintf(v->party, sizeof(v->party), "%s", party);
}

static int has_role(const json_t *o, const char *role)
{
	size_t i;
	const json_t *r;

	json_array_foreach(json_object_get(o, "roles"), i, r)
		if (json_is_string(r) && strcmp(json_string_value(r), role) == 0)
			return 1;
	return 0;
}

static void add_person(watch_state *s, const char *party, const json_t *o,
		       json_t *seen)
{
	const char *claimed = tx_json_str(o, "x_trilex_party"), *id = tx_json_str(o, "id");
	const json_t *prev;

	/* a person counts for the party that signed it, and must say so */
	if (id == NULL || !json_is_string(json_object_get(o, "name")) ||
	    (claimed && strcmp(claimed, party) != 0) || !has_role(o, "duty-officer"))
		return;
	prev = json_object_get(seen, id);
	if (prev != NULL && strcmp(tx_json_str(prev, "modified") ? tx_json_str(prev, "modified") : "",
				   tx_json_str(o, "modified") ? tx_json_str(o, "modified") : "") >= 0)
		return;
	json_object_set_new(seen, id, json_pack("{s:s, s:O}", "party", party, "o", o));
}

/* ---- step 1: votes ---- */

static void ignore(struct prop *p, const struct vote *v, const char *why)
{
	json_array_append_new(p->ignored, json_pack("{s:s, s:s, s:s}", "vote", v->id,
						     "party", v->party, "reason", why));
}

static void tally(watch_state *s, struct prop *p, const struct vote *v)
{
	int n_ok, n_no;

	if (p->st == P_INVALID) {
		ignore(p, v, "the proposal is invalid");
		return;
	}
	if (!set_has(json_object_get(p->obj, "parties"), v->party)) {
		ignore(p, v, "not a party of the proposal's partnership");
		return;
	}
	if (set_has(p->approved, v->party) || set_has(p->rejected, v->party)) {
		ignore(p, v, "this party has already voted");
		return;
	}
	if (p->st == P_OPEN && v->created >= p->deadline) {
		p->st = P_LAPSED;
		p->decided = p->deadline;
	}
	if (p->st != P_OPEN) {
		ignore(p, v, "the proposal was already closed");
		return;
	}
	json_array_append_new(v->approve ? p->approved : p->rejected,
			      json_string(v->party));
	if (v->comment)
		json_array_append_new(p->comments, json_pack("{s:s, s:s, s:s}",
			"party", v->party, "decision", v->approve ? "approve" :
			"reject", "comment", v->comment));
	n_ok = (int)json_array_size(p->approved);
	n_no = (int)json_array_size(p->rejected);
	if (n_ok >= p->quorum)
		p->st = P_APPROVED;
	else if (n_no > p->n - p->quorum)
		p->st = P_REJECTED;
	if (p->st != P_OPEN)
		p->decided = v->created > p->created ? v->created : p->created;
}

static struct prop *find_prop(watch_state *s, json_t *index, const char *id)
{
	const json_t *i = json_object_get(index, id);

	return i ? &s->p[json_integer_value(i)] : NULL;
}

/* ---- step 3: entries ---- */

static struct entry *entry_of(watch_state *s, json_t *index, const struct prop *p)
{
	const json_t *i = json_object_get(index, p->key);
	struct entry *e;

	if (i != NULL)
		return &s->e[json_integer_value(i)];
	e = &s->e[s->ne];
	memset(e, 0, sizeof(*e));
	e->aor = p->aor;
	e->partner = p->partner;
	e->key = p->key + 2;
	e->st = E_PROPOSED;
	e->values = json_object();
	e->history = json_array();
	e->pending = json_array();
	json_object_set_new(index, p->key, json_integer((json_int_t)s->ne));
	s->ne++;
	return e;
}

/* The fields a proposal sets on its entry. */
static void take_fields(json_t *values, const json_t *o)
{
	static const char *const keys[] = {
		"target_name", "rationale", "risk", "responsible_party",
		"backup_party", "duty_ref", "sectors", "countries", "role",
		"card", NULL,
	};

	for (size_t i = 0; keys[i]; i++)
		if (json_object_get(o, keys[i]))
			json_object_set(values, keys[i], json_object_get(o, keys[i]));
}

static void settle(struct entry *e, int64_t t)
{
	if (e->st == E_ACTIVE && t >= e->expires) {
		e->st = E_EXPIRED;
		e->ended = e->expires;
	}
}

/* A partner entry takes every approved change (see the rules above). */
static void apply_partner(struct entry *e, struct prop *p)
{
	switch (p->change) {
	case WATCH_ADD:
		if (e->st == E_ACTIVE && json_object_get(e->values, "card")) {
			snprintf(p->note, sizeof(p->note), "no effect: already"
				 " admitted");
			return;
		}
		json_object_clear(e->values);
		take_fields(e->values, p->obj);
		json_object_set_new(e->values, "admitted_by", json_string(p->id));
		break;
	case WATCH_AMEND:
		if (e->st == E_REMOVED) {
			snprintf(p->note, sizeof(p->note), "no effect: the party was"
				 " removed; propose its admission");
			return;
		}
		json_object_set(e->values, "role", json_object_get(p->obj, "role"));
		break;
	case WATCH_REMOVE:
		if (e->st == E_REMOVED) {
			snprintf(p->note, sizeof(p->note), "no effect: already removed");
			return;
		}
		e->st = E_REMOVED;
		e->ended = p->decided;
		json_array_append_new(e->history, json_string(p->id));
		return;
	default:
		snprintf(p->note, sizeof(p->note), "no effect: not a partner change");
		return;
	}
	e->st = E_ACTIVE;
	e->ratified = p->decided;
	e->ended = 0;
	e->review = e->expires = INT64_MAX;
	json_array_append_new(e->history, json_string(p->id));
}

static void apply(struct entry *e, struct prop *p)
{
	int64_t t = p->decided;
	char when[TX_TIME_BUF];

	if (e->partner) {
		apply_partner(e, p);
		return;
	}
	settle(e, t);
	if (p->change != WATCH_ADD && e->st != E_ACTIVE) {
		if (e->st == E_EXPIRED) {
			tx_time_format_ms(e->ended, when);
			snprintf(p->note, sizeof(p->note), "no effect: the entry expired"
				 " on %s, before this was ratified; propose add", when);
		} else {
			snprintf(p->note, sizeof(p->note), "no effect: the entry is not"
				 " active");
		}
		return;
	}
	switch (p->change) {
	case WATCH_ADD:
		if (e->st == E_ACTIVE) {
			snprintf(p->note, sizeof(p->note), "no effect: already active");
			return;
		}
		json_object_clear(e->values);
		take_fields(e->values, p->obj);
		e->st = E_ACTIVE;
		e->ratified = t;
		e->renewed = 0;
		e->ended = 0;
		e->review = watch_add_months(t, p->review_months);
		e->expires = e->review + p->grace_days * WATCH_DAY_US;
		e->fields = p;
		break;
	case WATCH_AMEND:
		take_fields(e->values, p->obj);
		break;
	case WATCH_RENEW: {
		int64_t grace = e->expires - e->review;
		e->renewed = t;
		e->review = watch_add_months(t, p->review_months);
		e->expires = e->review + grace;
		take_fields(e->values, p->obj);
		break;
	}
	case WATCH_REMOVE:
		e->st = E_REMOVED;
		e->ended = t;
		break;
	}
	json_array_append_new(e->history, json_string(p->id));
}

static int cmp_decided(const void *a, const void *b)
{
	const struct prop *x = *(const struct prop *const *)a;
	const struct prop *y = *(const struct prop *const *)b;

	if (x->decided != y->decided)
		return x->decided < y->decided ? -1 : 1;
	return cmp_prop(x, y);
}

/* ---- the result ---- */

static int cmp_name(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(tx_json_str(x, "name"), tx_json_str(y, "name"));

	return c ? c : strcmp(tx_json_str(x, "id"), tx_json_str(y, "id"));
}

/* people: party -> individuals sorted by (name, id) */
static tx_err index_people(watch_state *s, json_t *seen)
{
	const char *k;
	json_t *v, *list;

	json_object_foreach(seen, k, v) {
		const json_t *o = json_object_get(v, "o");
		const char *party = tx_json_str(v, "party");
		if (json_is_true(json_object_get(o, "revoked")))
			continue;
		if ((list = json_object_get(s->people, party)) == NULL) {
			json_object_set_new(s->people, party, json_array());
			list = json_object_get(s->people, party);
		}
		json_array_append_new(list, json_pack("{s:O, s:O, s:O?}", "id",
			json_object_get(o, "id"), "name", json_object_get(o, "name"),
			"contact", json_object_get(o, "contact_information")));
	}
	json_object_foreach(s->people, k, list) {
		size_t n = json_array_size(list);
		json_t **a = malloc((n ? n : 1) * sizeof(*a));
		if (a == NULL)
			return TX_ERR_NOMEM;
		for (size_t i = 0; i < n; i++)
			a[i] = json_incref(json_array_get(list, i));
		tx_sort(a, n, sizeof(*a), cmp_name);
		json_array_clear(list);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, a[i]);
		free(a);
	}
	return TX_OK;
}

json_t *watch_duty_of(const watch_state *s, const char *party,
		      const char *duty_ref)
{
	const json_t *list = json_object_get(s->people, party ? party : ""), *x;
	size_t i;

	if (duty_ref)
		json_array_foreach(list, i, x)
			if (strcmp(tx_json_str(x, "id"), duty_ref) == 0)
				return json_deep_copy(x);
	x = json_array_get(list, 0);
	return x ? json_deep_copy(x) : NULL;
}

static const char *estate_name(const struct entry *e, int64_t now)
{
	switch (e->st) {
	case E_PROPOSED: return "proposed";
	case E_REMOVED: return "removed";
	case E_EXPIRED: return "expired";
	case E_ACTIVE: return now >= e->review ? "under-review" : "active";
	}
	return "?";
}

static json_t *entry_json(const watch_state *s, const struct entry *e)
{
	json_t *o = json_deep_copy(e->values);

	json_object_set_new(o, "key", json_string(e->key));
	if (e->partner) {
		json_object_set_new(o, "party_code", json_string(e->key));
	} else if (!e->aor) {
		char type[64];
		const char *dd = strstr(e->key, "--");
		snprintf(type, sizeof(type), "%.*s", dd ? (int)(dd - e->key) : 0,
			 e->key);
		json_object_set_new(o, "target_ref", json_string(e->key));
		json_object_set_new(o, "target_type", json_string(type));
	}
	json_object_set_new(o, "state", json_string(estate_name(e, s->now)));
	json_object_set_new(o, "ratified", tjson(e->ratified));
	json_object_set_new(o, "renewed", tjson(e->renewed));
	json_object_set_new(o, "review", tjson(e->review));
	json_object_set_new(o, "expires", tjson(e->expires));
	json_object_set_new(o, "ended", tjson(e->ended));
	json_object_set(o, "proposals", e->history);
	json_object_set(o, "pending", e->pending);
	if (e->aor) {
		json_t *d = watch_duty_of(s, tx_json_str(o, "responsible_party"),
					  tx_json_str(o, "duty_ref"));
		json_object_set_new(o, "duty", d ? d : json_null());
		d = watch_duty_of(s, tx_json_str(o, "backup_party"), NULL);
		json_object_set_new(o, "backup_duty", d ? d : json_null());
	}
	return o;
}

static json_t *prop_json(const struct prop *p)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:O, s:O, s:O, s:O, s:o,"
			      " s:o, s:i, s:i}",
		"id", p->id, "proposer", p->party, "state", pstate_names[p->st],
		"created", tjson(p->created), "subject", p->aor ? "aor" :
		p->partner ? "partner" : "watch-list",
		"approved_by", p->approved, "rejected_by", p->rejected,
		"ignored_votes", p->ignored, "comments", p->comments,
		"decided", p->st == P_OPEN || p->st == P_INVALID ||
			   p->st == P_CONFLICT ? json_null() : tjson(p->decided),
		"vote_until", tjson(p->deadline), "quorum", p->quorum,
		"parties_count", p->n);

	if (o == NULL)
		return NULL;
	if (p->st != P_INVALID) {
		json_object_set_new(o, "change", json_string(watch_change_name(p->change)));
		json_object_set_new(o, "key", json_string(p->key + 2));
		json_object_set(o, "parties", json_object_get(p->obj, "parties"));
		take_fields(o, p->obj);
	}
	json_object_set_new(o, "note", p->note[0] ? json_string(p->note) : json_null());
	return o;
}

/* The responsible party of a watch-list entry that names none: the AOR. */
static void route_entry(watch_state *s, json_t *ent)
{
	const json_t *l, *x;
	json_t *who = NULL;
	size_t i;

	if (tx_json_str(ent, "responsible_party") == NULL) {
		const char *t = tx_json_str(ent, "target_ref");
		if (watch_actor_id(t))
			who = watch_aor_who(s, NULL, NULL, t);
		l = json_object_get(ent, "sectors");
		json_array_foreach(l, i, x)
			if (who == NULL)
				who = watch_aor_who(s, json_string_value(x), NULL, NULL);
		l = json_object_get(ent, "countries");
		json_array_foreach(l, i, x)
			if (who == NULL)
				who = watch_aor_who(s, NULL, json_string_value(x), NULL);
		if (who) {
			json_object_set(ent, "responsible_party",
					json_object_get(who, "responsible"));
			json_object_set_new(ent, "responsible_from",
					    json_pack("s", "aor"));
			json_object_set(ent, "backup_party", json_object_get(who, "backup"));
		}
		json_decref(who);
	}
	json_t *d = watch_duty_of(s, tx_json_str(ent, "responsible_party"), NULL);
	json_object_set_new(ent, "duty", d ? d : json_null());
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

static json_t *sorted(json_t *set)
{
	size_t n = json_array_size(set);
	json_t **a = malloc((n ? n : 1) * sizeof(*a)), *out = json_array();

	if (a == NULL || out == NULL) {
		free(a);
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = json_array_get(set, i);
	tx_sort(a, n, sizeof(*a), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(json_string_value(a[i]), json_string_value(a[i - 1])))
			json_array_append(out, a[i]);
	free(a);
	return out;
}

/* Indicators of dead entries that no live entry claims. */
static tx_err indicators(watch_state *s)
{
	json_t *live = json_object(), *dead = json_array(), *ent;
	const json_t *l, *x;
	size_t i, j;

	if (live == NULL || dead == NULL) {
		json_decref(live);
		json_decref(dead);
		return TX_ERR_NOMEM;
	}
	json_array_foreach(json_object_get(s->json, "entries"), i, ent) {
		const char *t = tx_json_str(ent, "target_ref"), *st = tx_json_str(ent, "state");
		if (t == NULL || st == NULL) {
			/* an entry whose making lost a part to a failed
			 * allocation (the caller refuses the whole state) */
			json_decref(live);
			json_decref(dead);
			return TX_ERR_NOMEM;
		}
		int alive = strcmp(st, "active") == 0 || strcmp(st, "under-review") == 0;
		int gone = strcmp(st, "expired") == 0 || strcmp(st, "removed") == 0;
		json_t *mine = json_array();
		if (strncmp(t, "indicator--", 11) == 0)
			json_array_append_new(mine, json_string(t));
		l = json_object_get(s->indicates, t);
		json_array_foreach(l, j, x)
			json_array_append(mine, (json_t *)x);
		json_array_foreach(mine, j, x) {
			if (alive)
				json_object_set(live, json_string_value(x), ent);
			else if (gone)
				json_array_append(dead, (json_t *)x);
		}
		json_object_set_new(ent, "indicators", mine);
	}
	json_t *out = json_array();
	json_array_foreach(dead, i, x)
		if (json_object_get(live, json_string_value(x)) == NULL)
			json_array_append(out, (json_t *)x);
	s->expired = sorted(out);
	s->ind_entry = live;
	json_decref(out);
	json_decref(dead);
	return s->expired ? TX_OK : TX_ERR_NOMEM;
}

static int cmp_entry_json(const void *a, const void *b)
{
	return strcmp(tx_json_str(*(json_t *const *)a, "key"), tx_json_str(*(json_t *const *)b, "key"));
}

static json_t *sort_by_key(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **a = malloc((n ? n : 1) * sizeof(*a)), *out = json_array();

	/* NULL when out of memory, also when an entry lost its key to a
	 * failed allocation: never fewer entries than there are */
	for (size_t i = 0; a && i < n; i++)
		if (tx_json_str(a[i] = json_array_get(list, i), "key") == NULL) {
			free(a);
			a = NULL;
		}
	if (a == NULL || out == NULL) {
		free(a);
		json_decref(out);
		json_decref(list);
		return NULL;
	}
	tx_sort(a, n, sizeof(*a), cmp_entry_json);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, a[i]);
	free(a);
	json_decref(list);
	return out;
}

/* Phase 0: room for the proposals and votes among the records. */
static tx_err alloc_records(watch_state *s, const struct watch_record *records,
			    size_t n, struct prop ***order)
{
	size_t n_props = 0, n_votes = 0;

	for (size_t i = 0; i < n; i++) {
		const char *t = tx_json_str(records[i].obj, "type");
		if (t && strcmp(t, WATCH_PROPOSAL_TYPE) == 0)
			n_props++;
		else if (t && strcmp(t, WATCH_VOTE_TYPE) == 0)
			n_votes++;
	}
	s->keep = json_array();
	s->people = json_object();
	s->indicates = json_object();
	s->p = calloc(n_props ? n_props : 1, sizeof(*s->p));
	s->v = calloc(n_votes ? n_votes : 1, sizeof(*s->v));
	s->e = calloc(n_props ? n_props : 1, sizeof(*s->e));
	*order = calloc(n_props ? n_props : 1, sizeof(**order));
	if (!s->p || !s->v || !s->e || !*order || !s->keep || !s->people ||
	    !s->indicates)
		return TX_ERR_NOMEM;
	return TX_OK;
}

/* An "indicates" relationship from an indicator: kept by its target. */
static void add_indicates(watch_state *s, const json_t *o)
{
	const char *src = tx_json_str(o, "source_ref"), *dst = tx_json_str(o, "target_ref");
	json_t *l;

	if (!src || !dst || strncmp(src, "indicator--", 11) != 0)
		return;
	if ((l = json_object_get(s->indicates, dst)) == NULL) {
		json_object_set_new(s->indicates, dst, json_array());
		l = json_object_get(s->indicates, dst);
	}
	if (!set_has(l, src))
		json_array_append_new(l, json_string(src));
}

/* Phase 0: each record by its type (of a valid party only). */
static tx_err read_records(watch_state *s, const struct watch_record *records,
			   size_t n, json_t *pby, json_t *vby, json_t *seen)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *o = records[i].obj;
		const char *t = tx_json_str(o, "type"), *party = records[i].party;
		if (t == NULL || !tx_party_valid(party))
			continue;
		json_array_append(s->keep, (json_t *)o);
		if (strcmp(t, WATCH_PROPOSAL_TYPE) == 0 && tx_json_str(o, "id")) {
			if (add_prop(s, party, o, records[i].refused, pby) != TX_OK)
				return TX_ERR_NOMEM;
		} else if (strcmp(t, WATCH_VOTE_TYPE) == 0) {
			add_vote(s, party, o, vby);
		} else if (strcmp(t, "identity") == 0) {
			add_person(s, party, o, seen);
		} else if (strcmp(t, "relationship") == 0 &&
			   json_is_string(json_object_get(o, "relationship_type")) &&
			   strcmp(tx_json_str(o, "relationship_type"), "indicates") == 0 &&
			   !json_is_true(json_object_get(o, "revoked"))) {
			add_indicates(s, o);
		}
	}
	return index_people(s, seen);
}

/* Phase 1: votes, in (created, id) order; open proposals past their
 * deadline lapse. */
static void count_votes(watch_state *s, json_t *pidx, int64_t now_us)
{
	tx_sort(s->p, s->np, sizeof(*s->p), cmp_prop);
	for (size_t i = 0; i < s->np; i++)
		json_object_set_new(pidx, s->p[i].id, json_integer((json_int_t)i));
	tx_sort(s->v, s->nv, sizeof(*s->v), cmp_vote);
	for (size_t i = 0; i < s->nv; i++) {
		struct prop *p = find_prop(s, pidx, s->v[i].ref);
		if (p != NULL)
			tally(s, p, &s->v[i]);
	}
	for (size_t i = 0; i < s->np; i++)
		if (s->p[i].st == P_OPEN && now_us >= s->p[i].deadline) {
			s->p[i].st = P_LAPSED;
			s->p[i].decided = s->p[i].deadline;
		}
}

/* Phase 2: conflicts: one open proposal per entry at a time. */
static void mark_conflicts(watch_state *s)
{
	json_t *busy = json_object();

	for (size_t i = 0; i < s->np; i++) {
		struct prop *p = &s->p[i];
		const json_t *b;
		if (p->st == P_INVALID)
			continue;
		b = json_object_get(busy, p->key);
		if (b && p->created < json_integer_value(json_array_get(b, 0))) {
			snprintf(p->note, sizeof(p->note), "conflicts with %s, made"
				 " earlier on the same entry and still open then",
				 json_string_value(json_array_get(b, 1)));
			p->st = P_CONFLICT;
			continue;
		}
		json_object_set_new(busy, p->key, json_pack("[I, s]",
			(json_int_t)(p->st == P_OPEN ? p->deadline : p->decided), p->id));
	}
	json_decref(busy);
}

/* Phase 3: approved proposals change their entries in decision order;
 * open ones are listed as pending on theirs. */
static void apply_decisions(watch_state *s, json_t *eidx, struct prop **order)
{
	size_t n = 0;

	for (size_t i = 0; i < s->np; i++) {
		if (s->p[i].st == P_APPROVED)
			order[n++] = &s->p[i];
		if (s->p[i].st == P_APPROVED || s->p[i].st == P_OPEN)
			entry_of(s, eidx, &s->p[i]);
	}
	tx_sort(order, n, sizeof(*order), cmp_decided);
	for (size_t i = 0; i < n; i++)
		apply(entry_of(s, eidx, order[i]), order[i]);
	for (size_t i = 0; i < s->np; i++) {
		struct prop *p = &s->p[i];
		if (p->st != P_OPEN)
			continue;
		struct entry *e = entry_of(s, eidx, p);
		json_array_append_new(e->pending, json_string(p->id));
		if (e->st == E_PROPOSED && json_object_size(e->values) == 0)
			take_fields(e->values, p->obj);
	}
}

/* Phase 4: every entry as at now, and the state as JSON. */
static tx_err settle_all(watch_state *s, int64_t now_us)
{
	json_t *entries = json_array(), *aor = json_array(), *props = json_array();
	json_t *partners = json_array();
	json_t *ent;
	size_t i;

	for (i = 0; i < s->ne; i++)
		settle(&s->e[i], now_us);
	for (i = 0; i < s->ne; i++)
		json_array_append_new(s->e[i].aor ? aor : s->e[i].partner ?
				      partners : entries, entry_json(s, &s->e[i]));
	for (i = 0; i < s->np; i++) {
		json_t *pj = prop_json(&s->p[i]);
		json_array_append_new(props, pj);
		json_object_set(s->prop_index ? s->prop_index :
				(s->prop_index = json_object()), s->p[i].id, pj);
	}
	if (s->prop_index == NULL)
		s->prop_index = json_object();
	s->json = json_pack("{s:o, s:o, s:o, s:o, s:o}", "now", tjson(now_us),
			    "entries", sort_by_key(entries), "aor", sort_by_key(aor),
			    "partners", sort_by_key(partners), "proposals", props);
	if (s->json == NULL || s->prop_index == NULL)
		return TX_ERR_NOMEM;
	json_array_foreach(json_object_get(s->json, "entries"), i, ent)
		route_entry(s, ent);
	return indicators(s);
}

static tx_err build_state(const struct watch_record *records, size_t n,
			 int64_t now_us, watch_state **out, struct tx_error *err)
{
	watch_state *s = calloc(1, sizeof(*s));
	json_t *pby = json_object(), *vby = json_object(), *seen = json_object();
	json_t *eidx = json_object(), *pidx = json_object();
	struct prop **order = NULL;
	tx_err rc = TX_OK;

	*out = NULL;
	if (s == NULL || !pby || !vby || !seen || !eidx || !pidx) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (n > WATCH_MAX_RECORDS) {
		rc = tx_error_set(err, TX_ERR_TOOBIG, "more than %d proposals, votes"
				  " and contacts", WATCH_MAX_RECORDS);
		goto out;
	}
	s->now = now_us;
	if ((rc = alloc_records(s, records, n, &order)) != TX_OK ||
	    (rc = read_records(s, records, n, pby, vby, seen)) != TX_OK) {
		tx_error_set(err, rc, "out of memory");
		goto out;
	}
	count_votes(s, pidx, now_us);
	mark_conflicts(s);
	apply_decisions(s, eidx, order);
	if ((rc = settle_all(s, now_us)) != TX_OK) {
		tx_error_set(err, rc, "out of memory");
		goto out;
	}
	*out = s;
	s = NULL;
out:
	watch_state_free(s);
	free(order);
	json_decref(pby);
	json_decref(vby);
	json_decref(seen);
	json_decref(eidx);
	json_decref(pidx);
	return rc;
}

tx_err watch_state_build(const struct watch_record *records, size_t n,
			 int64_t now_us, watch_state **out, struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	tx_err rc = build_state(records, n, now_us, out, err);

	/* a part of what was built could not be allocated (an unchecked
	 * call): nothing of it is kept */
	if (rc == TX_OK && tx_json_failures() != jf) {
		watch_state_free(*out);
		*out = NULL;
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	return rc;
}

json_t *watch_state_json(const watch_state *s)
{
	return json_incref(s->json);
}

const json_t *watch_state_proposal(const watch_state *s, const char *id)
{
	return id ? json_object_get(s->prop_index, id) : NULL;
}

json_t *watch_aor_who(const watch_state *s, const char *sector,
		      const char *country, const char *actor)
{
	const char *want[4][2] = {
		{ "actor", actor }, { "sector", sector }, { "country", country },
		{ "region", country },
	};
	json_t *matched = json_array(), *best = NULL, *out = NULL, *a;
	size_t i;

	for (int k = 0; k < 4; k++) {
		char key[WATCH_KEY_MAX];
		if (want[k][1] == NULL)
			continue;
		snprintf(key, sizeof(key), "%s:%s", want[k][0], want[k][1]);
		json_array_foreach(json_object_get(s->json, "aor"), i, a) {
			const char *st = tx_json_str(a, "state");
			if (strcmp(tx_json_str(a, "key"), key) != 0 ||
			    (strcmp(st, "active") && strcmp(st, "under-review")))
				continue;
			if (json_array_append_new(matched, json_string(key)) != 0) {
				json_decref(matched); /* counted: the caller's mark */
				return NULL;
			}
			if (best == NULL)
				best = a;
		}
	}
	if (best != NULL)
		out = json_pack("{s:O, s:O?, s:O, s:O, s:O, s:O}",
			"responsible", json_object_get(best, "responsible_party"),
			"backup", json_object_get(best, "backup_party"),
			"duty", json_object_get(best, "duty"),
			"backup_duty", json_object_get(best, "backup_duty"),
			"scope", json_object_get(best, "key"), "matched", matched);
	json_decref(matched);
	return out;
}

int watch_indicator_expired(const watch_state *s, const char *indicator_id)
{
	size_t lo = 0, hi = json_array_size(s->expired);

	while (indicator_id && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(json_string_value(json_array_get(s->expired, mid)),
			       indicator_id);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

json_t *watch_expired_indicators(const watch_state *s)
{
	return json_deep_copy(s->expired);
}

const json_t *watch_live_entry(const watch_state *s, const char *target)
{
	size_t i;
	const json_t *e;

	json_array_foreach(json_object_get(s->json, "entries"), i, e) {
		const char *st = tx_json_str(e, "state");
		if (strcmp(tx_json_str(e, "key"), target) == 0 &&
		    (strcmp(st, "active") == 0 || strcmp(st, "under-review") == 0))
			return e;
	}
	return NULL;
}

const json_t *watch_indicator_entry(const watch_state *s, const char *indicator)
{
	return indicator ? json_object_get(s->ind_entry, indicator) : NULL;
}
