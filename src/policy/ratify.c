/*
 * policy/ratify.c: policy versions and their approvals.
 *
 * A proposal is a STIX object of the extension-defined type
 * x-trilex-policy holding the whole policy document, its version, the
 * SHA-256 of its canonical JSON, the proposing party and the partnership
 * that must approve it (parties, quorum). An approval is an
 * x-trilex-policy-approval naming the proposal, the version, the digest
 * and the approving party. Both carry an "extensions" dictionary, so the
 * node signature extension (federation) can be added to them unchanged;
 * until then a party's approval is recorded by its party code. A version
 * is in force when the distinct parties of its partnership that approved
 * that exact digest reach its quorum. The registry is rebuilt from the
 * store each time: replication only has to copy objects. An
 * x-trilex-policy-endorsement is the same shape as an approval, by a party
 * outside the version's partnership (an observer), of a version in force:
 * listed apart ("endorsed_by"), never counted towards the quorum.
 *
 * Who ratifies: the parties a proposal names. A proposal made without
 * naming them names the partnership's members as the proposing node
 * knows them (this node and the partners pinned as members: not
 * observers, not suspended parties), so every node counts the same
 * parties, an observer's included. A proposal stored before that, naming
 * none, is counted by every party seen proposing or approving and this
 * node, less the parties pinned here as anything but members.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "stix/stix.h"

#define MAX_VERSIONS 1000
#define MAX_APPROVALS 10000

struct entry {
	const json_t *obj;        /* borrowed from the registry's list */
	const char *id, *version, *digest, *proposer, *created;
	int valid;
	char problem[TX_ERROR_MSG_MAX];
	json_t *parties;          /* owned: the partnership, sorted */
	int quorum;
};

struct approval {
	const char *version, *digest, *party, *created;
	const char *id;
};

struct policy_registry {
	json_t *objects;          /* owned: the scanned objects */
	struct entry *e;
	size_t n;
	struct approval *a;
	size_t na;
	struct approval *en;      /* endorsements */
	size_t nen;
	char party[TX_PARTY_MAX];
	json_t *members;          /* owned: this node and the member partners */
	json_t *others;           /* owned: partners pinned as non-members */
};


static void set_add(json_t *set, const char *p)
{
	size_t i;
	json_t *x;

	if (!tx_party_valid(p))
		return;
	json_array_foreach(set, i, x)
		if (strcmp(json_string_value(x), p) == 0)
			return;
	json_array_append_new(set, json_string(p));
}

static int set_has(const json_t *set, const char *p)
{
	size_t i;
	json_t *x;

	json_array_foreach(set, i, x)
		if (strcmp(json_string_value(x), p) == 0)
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

static json_t *set_sorted(const json_t *set)
{
	size_t n = json_array_size(set);
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array();

	if (v == NULL || out == NULL) {
		free(v);
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(set, i);
	tx_sort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

/* The partnership as this node has it pinned: its members (this node
 * among them), and the parties pinned in another role. */
static tx_err partnership(tx_store *st, policy_registry *reg,
			  struct tx_error *err)
{
	struct store_peer *peers = NULL;
	json_t *m = json_array();
	size_t n = 0;

	reg->others = json_array();
	if (m == NULL || reg->others == NULL) {
		json_decref(m);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	if (store_peer_list(st, &peers, &n) != TX_OK) {
		json_decref(m);
		return tx_error_set(err, TX_ERR_DB, "cannot list the partners");
	}
	set_add(m, reg->party);
	for (size_t i = 0; i < n; i++)
		set_add(strcmp(peers[i].role, STORE_PARTY_MEMBER) == 0 ? m :
			reg->others, peers[i].party);
	free(peers);
	reg->members = set_sorted(m);
	json_decref(m);
	return reg->members ? TX_OK : tx_error_set(err, TX_ERR_NOMEM,
						    "out of memory");
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->created, y->created);
	return c ? c : strcmp(x->id, y->id);
}

/* Check a stored proposal; fills e->problem when it is not usable. */
static tx_err check_proposal(struct entry *e, struct tx_error *out_err)
{
	const json_t *doc = json_object_get(e->obj, "policy");
	struct tx_error err = { 0 };
	policy *p = NULL;

	if (e->version == NULL || e->digest == NULL || !json_is_object(doc)) {
		snprintf(e->problem, sizeof(e->problem), "%s: lacks policy_version,"
			 " policy_digest or policy", e->id);
		return TX_OK;
	}
	if (policy_from_json(doc, &p, NULL, &err) != TX_OK) {
		/* out of memory says nothing of the proposal: no registry,
		 * not a version judged invalid */
		if (tx_err_transient(err.code))
			return tx_error_set(out_err, err.code, "%s: %s", e->id,
					    err.msg);
		tx_strfmt(e->problem, sizeof(e->problem), "%s: invalid policy: %s",
			 e->id, err.msg);
		return TX_OK;
	}
	if (strcmp(policy_version(p), e->version) != 0)
		snprintf(e->problem, sizeof(e->problem), "%s: policy_version %s"
			 " differs from the document's %s", e->id, e->version,
			 policy_version(p));
	else if (strcmp(policy_digest(p), e->digest) != 0)
		snprintf(e->problem, sizeof(e->problem), "%s: policy_digest does"
			 " not match the document", e->id);
	else
		e->valid = 1;
	policy_free(p);
	return TX_OK;
}

tx_err policy_registry_load(tx_store *st, const char *party,
			    policy_registry **out, struct tx_error *err)
{
	static const char *const types[] = { POLICY_TYPE, POLICY_APPROVAL_TYPE,
					     POLICY_ENDORSEMENT_TYPE };
	unsigned long jf = tx_json_failures();
	policy_registry *reg = NULL;
	json_t *all = NULL, *x, *everyone = NULL;
	size_t i;
	tx_err rc;

	*out = NULL;
	if ((rc = policy_storage_scan(st, types, 3, NULL, 0,
			       MAX_VERSIONS + MAX_APPROVALS, &all, err)) != TX_OK)
		return rc;
	if ((reg = calloc(1, sizeof(*reg))) == NULL ||
	    (reg->e = calloc(json_array_size(all) + 1, sizeof(*reg->e))) == NULL ||
	    (reg->a = calloc(json_array_size(all) + 1, sizeof(*reg->a))) == NULL ||
	    (reg->en = calloc(json_array_size(all) + 1, sizeof(*reg->en))) == NULL ||
	    (everyone = json_array()) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	reg->objects = all;
	all = NULL;
	snprintf(reg->party, sizeof(reg->party), "%s", party);
	if ((rc = partnership(st, reg, err)) != TX_OK)
		goto out;
	set_add(everyone, party);
	json_array_foreach(reg->objects, i, x) {
		const json_t *o = json_object_get(x, "obj");
		const char *type = tx_json_str(o, "type"), *id = tx_json_str(o, "id");
		/* Who really made it: the verified signer, or this node. A party
		 * named inside the object counts only when it is that party. */
		const char *actual = tx_json_str(x, "origin") ? tx_json_str(x, "origin") : party;
		size_t j;
		int dup = 0;

		if (type == NULL || id == NULL)
			continue;
		if (strcmp(type, POLICY_TYPE) == 0) {
			struct entry *e;
			for (j = 0; j < reg->n; j++)
				dup |= strcmp(reg->e[j].id, id) == 0;
			if (dup)
				continue; /* the same object in two collections */
			if (tx_json_str(o, "proposed_by") == NULL ||
			    strcmp(tx_json_str(o, "proposed_by"), actual) != 0)
				continue; /* proposed in another party's name */
			e = &reg->e[reg->n++];
			e->obj = o;
			e->id = id;
			e->version = tx_json_str(o, "policy_version");
			e->digest = tx_json_str(o, "policy_digest");
			e->proposer = tx_json_str(o, "proposed_by");
			e->created = tx_json_str(o, "created") ? tx_json_str(o, "created") : "";
			if (!set_has(reg->others, e->proposer))
				set_add(everyone, e->proposer);
			if ((rc = check_proposal(e, err)) != TX_OK)
				goto out;
		} else if (strcmp(type, POLICY_ENDORSEMENT_TYPE) == 0) {
			struct approval a = { tx_json_str(o, "policy_version"),
					      tx_json_str(o, "policy_digest"),
					      tx_json_str(o, "party"), tx_json_str(o, "created"),
					      id };
			if (!a.version || !a.digest || !tx_party_valid(a.party) ||
			    strcmp(a.party, actual) != 0)
				continue; /* a party endorses for itself only */
			for (j = 0; j < reg->nen; j++)
				dup |= strcmp(reg->en[j].version, a.version) == 0 &&
				       strcmp(reg->en[j].digest, a.digest) == 0 &&
				       strcmp(reg->en[j].party, a.party) == 0;
			if (!dup)
				reg->en[reg->nen++] = a;
		} else {
			struct approval a = { tx_json_str(o, "policy_version"),
					      tx_json_str(o, "policy_digest"),
					      tx_json_str(o, "party"), tx_json_str(o, "created"),
					      id };
			if (!a.version || !a.digest || !tx_party_valid(a.party) ||
			    strcmp(a.party, actual) != 0)
				continue; /* not that party's own approval */
			for (j = 0; j < reg->na; j++)
				dup |= strcmp(reg->a[j].version, a.version) == 0 &&
				       strcmp(reg->a[j].digest, a.digest) == 0 &&
				       strcmp(reg->a[j].party, a.party) == 0;
			if (!dup)
				reg->a[reg->na++] = a;
			if (!set_has(reg->others, a.party))
				set_add(everyone, a.party);
		}
	}
	tx_sort(reg->e, reg->n, sizeof(*reg->e), cmp_entry);
	/* A version proposed twice with different content: the first stands. */
	for (i = 0; i < reg->n; i++) {
		struct entry *e = &reg->e[i];
		const json_t *parties = json_object_get(e->obj, "parties");
		json_t *set;
		size_t j;

		for (j = 0; e->valid && j < i; j++)
			if (reg->e[j].valid &&
			    strcmp(reg->e[j].version, e->version) == 0) {
				e->valid = 0;
				snprintf(e->problem, sizeof(e->problem), "%s: version"
					 " %s was proposed before by %s with other"
					 " content; the first proposal stands",
					 e->id, e->version, reg->e[j].id);
			}
		if (json_array_size(parties) > 0) {
			set = json_array();
			json_array_foreach(parties, j, x)
				set_add(set, json_string_value(x));
			set_add(set, e->proposer);
		} else {
			set = json_deep_copy(everyone);
		}
		e->parties = set_sorted(set);
		json_decref(set);
		if (e->parties == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		e->quorum = (int)json_integer_value(json_object_get(e->obj, "quorum"));
		if (e->quorum <= 0 || e->quorum > (int)json_array_size(e->parties))
			e->quorum = (int)json_array_size(e->parties);
	}
	/* a party lost to memory from a version's partnership would lower
	 * the quorum it needs (capped at the partnership's size) */
	if (tx_json_failures() != jf) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = reg;
	reg = NULL;
	rc = TX_OK;
out:
	json_decref(all);
	json_decref(everyone);
	policy_registry_free(reg);
	return rc;
}

void policy_registry_free(policy_registry *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i < reg->n; i++)
		json_decref(reg->e[i].parties);
	free(reg->e);
	free(reg->a);
	free(reg->en);
	json_decref(reg->members);
	json_decref(reg->others);
	json_decref(reg->objects);
	free(reg);
}

/* Who of the partnership approved e, who is missing, who is outside. */
static void tally(const policy_registry *reg, const struct entry *e,
		  json_t *approved, json_t *missing, json_t *outside)
{
	size_t i;
	json_t *p;

	for (i = 0; i < reg->na; i++) {
		const struct approval *a = &reg->a[i];
		if (strcmp(a->version, e->version) != 0 ||
		    strcmp(a->digest, e->digest) != 0)
			continue;
		if (set_has(e->parties, a->party))
			set_add(approved, a->party);
		else if (outside != NULL)
			set_add(outside, a->party);
	}
	json_array_foreach(e->parties, i, p)
		if (!set_has(approved, json_string_value(p)))
			json_array_append(missing, p);
}

/* The parties outside e's partnership that endorsed e, sorted. */
static json_t *endorsers(const policy_registry *reg, const struct entry *e)
{
	json_t *set = json_array(), *out;

	for (size_t i = 0; set && i < reg->nen; i++)
		if (strcmp(reg->en[i].version, e->version) == 0 &&
		    strcmp(reg->en[i].digest, e->digest) == 0 &&
		    !set_has(e->parties, reg->en[i].party))
			set_add(set, reg->en[i].party);
	out = set ? set_sorted(set) : NULL;
	json_decref(set);
	return out;
}

/* Whether a partner of e approved e (this version, this digest). */
static int approved(const policy_registry *reg, const struct entry *e,
		    const char *party)
{
	for (size_t i = 0; i < reg->na; i++)
		if (strcmp(reg->a[i].version, e->version) == 0 &&
		    strcmp(reg->a[i].digest, e->digest) == 0 &&
		    strcmp(reg->a[i].party, party) == 0)
			return 1;
	return 0;
}

/* Counted without allocating: a failed allocation here made a version in
 * force read as not in force, and policy_registry_select assess under an
 * older version, as ratified (issue 19 item 6). */
static int in_force(const policy_registry *reg, const struct entry *e)
{
	size_t i;
	json_t *p;
	int n = 0;

	json_array_foreach(e->parties, i, p)
		n += approved(reg, e, json_string_value(p));
	return e->valid && n >= e->quorum;
}

static json_t *status_of(const policy_registry *reg)
{
	json_t *versions = json_array(), *res;
	const char *force = NULL, *latest = NULL;

	for (size_t i = 0; versions != NULL && i < reg->n; i++) {
		const struct entry *e = &reg->e[i];
		json_t *ap = json_array(), *mi = json_array(), *ou = json_array();
		const json_t *doc = json_object_get(e->obj, "policy");
		int f;

		tally(reg, e, ap, mi, ou);
		f = e->valid && (int)json_array_size(ap) >= e->quorum;
		if (f)
			force = e->version;
		if (e->valid)
			latest = e->version;
		json_array_append_new(versions, json_pack(
			"{s:s?, s:s?, s:s?, s:s?, s:s, s:s?, s:s?, s:O, s:i, s:o, s:o,"
			" s:o, s:b, s:b, s:s}",
			"version", e->version, "title", tx_json_str(doc, "title"),
			"effective", tx_json_str(doc, "effective"), "digest", e->digest,
			"id", e->id, "proposed_by", e->proposer, "proposed",
			e->created, "parties", e->parties, "quorum", e->quorum,
			"approved_by", ap, "missing", mi, "outside_partnership", ou,
			"in_force", f, "valid", e->valid, "problem", e->problem));
		json_object_set_new(json_array_get(versions, json_array_size(versions)
						   - 1), "endorsed_by", f ?
				    endorsers(reg, e) : json_array());
	}
	res = json_pack("{s:o, s:s?, s:s?, s:s}", "versions", versions,
			"in_force", force, "latest", latest, "party", reg->party);
	return res;
}

static json_t *ratified_of(const policy_registry *reg)
{
	json_t *out = json_array(), *ids;

	for (size_t i = 0; out != NULL && i < reg->n; i++) {
		const struct entry *e = &reg->e[i];
		if (!in_force(reg, e))
			continue;
		if ((ids = json_pack("[s]", e->id)) == NULL) {
			json_decref(out);
			return NULL;
		}
		for (size_t k = 0; k < reg->na; k++)
			if (strcmp(reg->a[k].version, e->version) == 0 &&
			    strcmp(reg->a[k].digest, e->digest) == 0)
				json_array_append_new(ids, json_string(reg->a[k].id));
		json_array_append_new(out, json_pack("{s:s, s:s, s:o}", "version",
				      e->version, "digest", e->digest, "ids", ids));
	}
	return out;
}

json_t *policy_registry_ratified(const policy_registry *reg)
{
	unsigned long jf = tx_json_failures();

	return tx_json_whole(jf, ratified_of(reg));
}

/* The JSON trees below are whole or not made: a part that could not be
 * allocated (tx_json_failures moved) makes the call fail, never a
 * smaller object. */
json_t *policy_registry_status(const policy_registry *reg)
{
	unsigned long jf = tx_json_failures();

	return tx_json_whole(jf, status_of(reg));
}

static const struct entry *find_version(const policy_registry *reg,
					const char *version)
{
	for (size_t i = 0; i < reg->n; i++)
		if (reg->e[i].valid && strcmp(reg->e[i].version, version) == 0)
			return &reg->e[i];
	return NULL;
}

const json_t *policy_registry_document(const policy_registry *reg,
				       const char *version)
{
	const struct entry *e = find_version(reg, version);
	return e ? json_object_get(e->obj, "policy") : NULL;
}

/* "approved by A, B; 2 of 3 needed (missing C)", without allocating:
 * the approvals in the order they were read, the missing in e's order. */
static void standing_of(const policy_registry *reg, const struct entry *e,
			char *buf, size_t n)
{
	char a[200] = "", m[200] = "";
	size_t na = 0, nm = 0, i;
	json_t *p;

	for (i = 0; i < reg->na; i++) { /* one approval per party (the load) */
		const struct approval *x = &reg->a[i];
		if (strcmp(x->version, e->version) == 0 &&
		    strcmp(x->digest, e->digest) == 0 && set_has(e->parties, x->party))
			na += (size_t)snprintf(a + na, na < sizeof(a) ? sizeof(a) - na : 0,
					       "%s%s", na ? ", " : "", x->party);
	}
	json_array_foreach(e->parties, i, p)
		if (!approved(reg, e, json_string_value(p)))
			nm += (size_t)snprintf(m + nm, nm < sizeof(m) ? sizeof(m) - nm : 0,
					       "%s%s", nm ? ", " : "",
					       json_string_value(p));
	snprintf(buf, n, "approved by %s; %d of %zu needed (missing %s)",
		 na ? a : "none", e->quorum, json_array_size(e->parties),
		 nm ? m : "none");
}

tx_err policy_registry_select(const policy_registry *reg, const char *version,
			      policy **out, struct policy_standing *standing,
			      struct tx_error *err)
{
	const struct entry *use = NULL, *latest = NULL, *force = NULL;
	char why[300];

	*out = NULL;
	memset(standing, 0, sizeof(*standing));
	for (size_t i = 0; i < reg->n; i++) {
		if (!reg->e[i].valid)
			continue;
		latest = &reg->e[i];
		if (in_force(reg, latest))
			force = latest;
	}
	if (version != NULL) {
		if ((use = find_version(reg, version)) == NULL)
			return tx_error_set(err, TX_ERR_NOTFOUND, "no policy version"
					    " %s on this node", version);
		standing->ratified = in_force(reg, use);
		if (!standing->ratified) {
			standing_of(reg, use, why, sizeof(why));
			snprintf(standing->note, sizeof(standing->note),
				 "version %s is not in force: %s", use->version,
				 why);
		}
	} else if (latest == NULL) {
		return tx_error_set(err, TX_ERR_NOTFOUND, "no policy on this node:"
				    " propose one with `trilex policy propose`, or"
				    " assess under a policy file (--policy-file"
				    " policies/trilateral-default.json)");
	} else if (force == latest) {
		use = latest;
		standing->ratified = 1;
	} else if (force != NULL) {
		use = force;
		standing->ratified = 1;
		standing_of(reg, latest, why, sizeof(why));
		snprintf(standing->note, sizeof(standing->note),
			 "version %s is not yet in force (%s): assessed under %s,"
			 " the last version in force", latest->version, why,
			 force->version);
	} else {
		use = latest;
		standing_of(reg, latest, why, sizeof(why));
		snprintf(standing->note, sizeof(standing->note),
			 "no version is in force yet: assessed under the latest"
			 " proposal %s (%s); this result is not ratified",
			 latest->version, why);
	}
	return policy_from_json(json_object_get(use->obj, "policy"), out, NULL,
				err);
}

static json_t *base_object(const char *type)
{
	char uuid[TX_UUID_BUF], id[80], now[TX_TIME_BUF];

	tx_uuid4(uuid);
	snprintf(id, sizeof(id), "%s--%s", type, uuid);
	tx_time_format_ms(tx_time_now_us(), now);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:{s:s}}}", "type", type,
			 "spec_version", "2.1", "id", id, "created", now,
			 "modified", now, "extensions", POLICY_EXT_OBJECTS,
			 "extension_type", "new-sdo");
}

static tx_err propose(const policy_registry *reg, const policy *p,
		      const char *party, const char *const *parties,
		      size_t n_parties, int quorum, json_t **obj,
		      struct tx_error *err)
{
	json_t *o, *set;

	*obj = NULL;
	for (size_t i = 0; i < reg->n; i++) {
		const struct entry *e = &reg->e[i];
		if (!e->valid || strcmp(e->version, policy_version(p)) != 0)
			continue;
		if (strcmp(e->digest, policy_digest(p)) == 0)
			return TX_OK;
		return tx_error_set(err, TX_ERR_EXISTS, "version %s is already"
				    " proposed (%s) with other content: give the"
				    " new text a new version", e->version, e->id);
	}
	if ((set = json_array()) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n_parties; i++) {
		if (!tx_party_valid(parties[i])) {
			json_decref(set);
			return tx_error_set(err, TX_ERR_INVALID, "party \"%s\": 2-7"
					    " upper-case letters", parties[i]);
		}
		set_add(set, parties[i]);
	}
	if (n_parties > 0)
		set_add(set, party);
	else /* the members, named, so that every node counts the same */
		json_array_extend(set, reg->members);
	if (quorum < 0 || (size_t)quorum > json_array_size(set)) {
		json_decref(set);
		return tx_error_set(err, TX_ERR_INVALID, "quorum %d: between 1 and"
				    " the number of parties", quorum);
	}
	if ((o = base_object(POLICY_TYPE)) == NULL) {
		json_decref(set);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	json_object_set_new(o, "name", json_sprintf("use-of-force policy %s",
						    policy_version(p)));
	json_object_set_new(o, "policy_version", json_string(policy_version(p)));
	json_object_set_new(o, "policy_digest", json_string(policy_digest(p)));
	json_object_set_new(o, "proposed_by", json_string(party));
	if (json_array_size(set) > 0)
		json_object_set(o, "parties", set);
	if (quorum > 0)
		json_object_set_new(o, "quorum", json_integer(quorum));
	json_object_set(o, "policy", (json_t *)policy_json(p));
	json_decref(set);
	*obj = o;
	return TX_OK;
}

tx_err policy_registry_propose(const policy_registry *reg, const policy *p,
			       const char *party, const char *const *parties,
			       size_t n_parties, int quorum, json_t **obj,
			       struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	tx_err rc = propose(reg, p, party, parties, n_parties, quorum, obj, err);

	if (rc == TX_OK && *obj != NULL && (*obj = tx_json_whole(jf, *obj)) == NULL)
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return rc;
}

static tx_err approve(const policy_registry *reg, const char *version,
		      const char *party, json_t **obj, struct tx_error *err)
{
	const struct entry *e = find_version(reg, version);
	json_t *o;

	*obj = NULL;
	if (e == NULL) {
		for (size_t i = 0; i < reg->n; i++)
			if (reg->e[i].version &&
			    strcmp(reg->e[i].version, version) == 0)
				return tx_error_set(err, TX_ERR_INVALID,
						    "cannot approve: %s",
						    reg->e[i].problem);
		return tx_error_set(err, TX_ERR_NOTFOUND, "no policy version %s"
				    " on this node", version);
	}
	for (size_t i = 0; i < reg->na; i++)
		if (strcmp(reg->a[i].version, version) == 0 &&
		    strcmp(reg->a[i].digest, e->digest) == 0 &&
		    strcmp(reg->a[i].party, party) == 0)
			return TX_OK;
	if ((o = base_object(POLICY_APPROVAL_TYPE)) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	json_object_set_new(o, "policy_ref", json_string(e->id));
	json_object_set_new(o, "policy_version", json_string(e->version));
	json_object_set_new(o, "policy_digest", json_string(e->digest));
	json_object_set_new(o, "party", json_string(party));
	json_object_set_new(o, "decision", json_string("approve"));
	*obj = o;
	return TX_OK;
}

tx_err policy_registry_approve(const policy_registry *reg, const char *version,
			       const char *party, json_t **obj,
			       struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	tx_err rc = approve(reg, version, party, obj, err);

	if (rc == TX_OK && *obj != NULL && (*obj = tx_json_whole(jf, *obj)) == NULL)
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return rc;
}

static tx_err endorse(const policy_registry *reg, const char *version,
		      const char *party, json_t **obj, struct tx_error *err)
{
	const struct entry *e = find_version(reg, version);
	json_t *o;

	*obj = NULL;
	if (e == NULL)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no policy version %s"
				    " on this node", version);
	if (!in_force(reg, e))
		return tx_error_set(err, TX_ERR_INVALID, "policy %s is not in force:"
				    " only a ratified version can be endorsed",
				    version);
	if (set_has(e->parties, party))
		return tx_error_set(err, TX_ERR_INVALID, "%s is of the partnership"
				    " that ratifies policy %s: it approves it"
				    " (trilex policy sign), it does not endorse it",
				    party, version);
	for (size_t i = 0; i < reg->nen; i++)
		if (strcmp(reg->en[i].version, version) == 0 &&
		    strcmp(reg->en[i].digest, e->digest) == 0 &&
		    strcmp(reg->en[i].party, party) == 0)
			return TX_OK;
	if ((o = base_object(POLICY_ENDORSEMENT_TYPE)) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	json_object_set_new(o, "policy_ref", json_string(e->id));
	json_object_set_new(o, "policy_version", json_string(e->version));
	json_object_set_new(o, "policy_digest", json_string(e->digest));
	json_object_set_new(o, "party", json_string(party));
	json_object_set_new(o, "decision", json_string("endorse"));
	*obj = o;
	return TX_OK;
}

tx_err policy_registry_endorse(const policy_registry *reg, const char *version,
			       const char *party, json_t **obj,
			       struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	tx_err rc = endorse(reg, version, party, obj, err);

	if (rc == TX_OK && *obj != NULL && (*obj = tx_json_whole(jf, *obj)) == NULL)
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return rc;
}

/* ---- diff ---- */

static void show(const json_t *v, char *out, size_t n)
{
	char *d = tx_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (d != NULL && strlen(d) > 160)
		snprintf(out, n, "%.157s...", d);
	else
		snprintf(out, n, "%s", d ? d : "?");
	free(d);
}

static int id_list(const json_t *a)
{
	size_t i;
	json_t *x;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return 0;
	json_array_foreach(a, i, x)
		if (!json_is_string(json_object_get(x, "id")))
			return 0;
	return 1;
}

static const json_t *by_id(const json_t *list, const char *id)
{
	size_t i;
	json_t *x;

	json_array_foreach(list, i, x)
		if (strcmp(tx_json_str(x, "id"), id) == 0)
			return x;
	return NULL;
}

/* The ids of list that other holds too, in list's order, as "a, b, c". */
static void common_ids(const json_t *list, const json_t *other, char *buf, size_t n)
{
	size_t i, used = 0;
	json_t *x;

	buf[0] = '\0';
	json_array_foreach(list, i, x) {
		const char *id = tx_json_str(x, "id");
		if (by_id(other, id) == NULL || used >= n)
			continue;
		used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", id);
	}
}

/* An id-keyed list whose common entries changed places: the order of
 * rules is their precedence, so it is a change of its own. */
static void diff_order(const char *path, const json_t *a, const json_t *b, json_t *out)
{
	char oa[400], ob[400];

	common_ids(a, b, oa, sizeof(oa));
	common_ids(b, a, ob, sizeof(ob));
	if (strcmp(oa, ob) != 0)
		json_array_append_new(out, json_sprintf("~ %s order: %s -> %s",
							path[0] ? path : "(document)", oa, ob));
}

static void diff_rec(const char *path, const json_t *a, const json_t *b,
		     json_t *out, int depth)
{
	char p[600], sa[200], sb[200];
	size_t i;
	json_t *x;
	const char *k;

	if (json_array_size(out) >= 1000 || json_equal((json_t *)a, (json_t *)b))
		return;
	if (depth < 16 && json_is_object(a) && json_is_object(b)) {
		json_object_foreach((json_t *)a, k, x) {
			snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", k);
			if (json_object_get(b, k) == NULL) {
				show(x, sa, sizeof(sa));
				json_array_append_new(out, json_sprintf("- %s: %s", p, sa));
			} else {
				diff_rec(p, x, json_object_get(b, k), out, depth + 1);
			}
		}
		json_object_foreach((json_t *)b, k, x) {
			if (json_object_get(a, k) != NULL)
				continue;
			snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", k);
			show(x, sb, sizeof(sb));
			json_array_append_new(out, json_sprintf("+ %s: %s", p, sb));
		}
		return;
	}
	if (depth < 16 && id_list(a) && id_list(b)) {
		json_array_foreach(a, i, x) {
			const json_t *y = by_id(b, tx_json_str(x, "id"));
			snprintf(p, sizeof(p), "%s[%s]", path, tx_json_str(x, "id"));
			if (y == NULL) {
				json_array_append_new(out, json_sprintf("- %s", p));
			} else {
				diff_rec(p, x, y, out, depth + 1);
			}
		}
		json_array_foreach(b, i, x) {
			if (by_id(a, tx_json_str(x, "id")) != NULL)
				continue;
			snprintf(p, sizeof(p), "%s[%s]", path, tx_json_str(x, "id"));
			show(x, sb, sizeof(sb));
			json_array_append_new(out, json_sprintf("+ %s: %s", p, sb));
		}
		diff_order(path, a, b, out);
		return;
	}
	if (depth < 16 && json_is_array(a) && json_is_array(b) &&
	    json_array_size(a) == json_array_size(b)) {
		json_array_foreach(a, i, x) {
			snprintf(p, sizeof(p), "%s[%zu]", path, i);
			diff_rec(p, x, json_array_get(b, i), out, depth + 1);
		}
		return;
	}
	show(a, sa, sizeof(sa));
	show(b, sb, sizeof(sb));
	json_array_append_new(out, json_sprintf("~ %s: %s -> %s",
						path[0] ? path : "(document)", sa, sb));
}

json_t *policy_diff(const json_t *a, const json_t *b)
{
	unsigned long jf = tx_json_failures();
	json_t *out = json_array();

	if (out != NULL)
		diff_rec("", a, b, out, 0);
	return tx_json_whole(jf, out);
}
