/*
 * federation/federation.c: the federation context, TLP and entitlement.
 *
 * TLP 2.0 in STIX (the OASIS common objects' TLP 2.0 marking definitions)
 * is the vocabulary; the STIX 2.1 built-in TLP 1.0 markings are mapped
 * (WHITE to CLEAR). Entitlement follows FIRST's TLP 2.0 for a partnership
 * of national agencies: CLEAR, GREEN and AMBER may go to every partner;
 * AMBER+STRICT stays in the origin's own organisation; RED only to the
 * named recipients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "federation/internal.h"

static const struct {
	const char *name;
	const char *v2;   /* TLP 2.0 marking-definition */
	const char *v1;   /* STIX 2.1 built-in TLP 1.0, or NULL */
} tlps[] = {
	[FED_TLP_CLEAR] = { "clear",
			    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
			    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" },
	[FED_TLP_GREEN] = { "green",
			    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
			    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" },
	[FED_TLP_AMBER] = { "amber",
			    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
			    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" },
	[FED_TLP_AMBER_STRICT] = { "amber+strict",
				   "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
				   NULL },
	[FED_TLP_RED] = { "red",
			  "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
			  "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" },
};

#define N_TLPS ((int)(sizeof(tlps) / sizeof(tlps[0])))

int fed_tlp_parse(const char *name)
{
	for (int i = 0; i < N_TLPS; i++)
		if (strcasecmp(name, tlps[i].name) == 0)
			return i;
	if (strcasecmp(name, "white") == 0)
		return FED_TLP_CLEAR;
	return -1;
}

const char *fed_tlp_name(enum fed_tlp t)
{
	return t < N_TLPS ? tlps[t].name : "unmarked";
}

const char *fed_tlp_marking(enum fed_tlp t)
{
	return t < N_TLPS ? tlps[t].v2 : NULL;
}

/*
 * The more restrictive of best and the TLP level of marking id. A marking
 * that is not one of the TLP ids above (NULL: not even a string) cannot
 * be resolved here: it might be any restriction, so it reads as the most
 * restrictive, RED. Ids are compared byte for byte; validation refuses
 * ids that are not lower case, and one stored before that still reads as
 * RED, never as unmarked.
 */
static int tlp_max(int best, const char *id)
{
	int level = FED_TLP_RED;

	for (int k = 0; id != NULL && k < N_TLPS; k++)
		if (strcmp(id, tlps[k].v2) == 0 ||
		    (tlps[k].v1 && strcmp(id, tlps[k].v1) == 0)) {
			level = k;
			break;
		}
	return level > best ? level : best;
}

enum fed_tlp fed_tlp_of(const json_t *obj)
{
	const json_t *refs = json_object_get(obj, "object_marking_refs"), *r;
	int best = -1;
	size_t i;

	/* Present but not a list: unreadable, so the most restrictive. */
	if (refs != NULL && !json_is_array(refs))
		best = FED_TLP_RED;
	json_array_foreach(refs, i, r)
		best = tlp_max(best, json_string_value(r));
	/* A TLP marking on part of the object governs the whole object: it
	 * travels whole. A language marking (lang, no marking_ref) is none. */
	refs = json_object_get(obj, "granular_markings");
	if (refs != NULL && !json_is_array(refs))
		best = FED_TLP_RED;
	json_array_foreach(refs, i, r) {
		const json_t *m = json_object_get(r, "marking_ref");
		if (m == NULL && json_is_string(json_object_get(r, "lang")))
			continue;
		best = tlp_max(best, json_string_value(m));
	}
	return best < 0 ? FED_TLP_UNMARKED : (enum fed_tlp)best;
}

int fed_entitled(const tx_fed *fed, const json_t *obj, const char *party)
{
	enum fed_tlp t = fed_tlp_of(obj);
	const json_t *to, *p;
	size_t i;

	/* Derived from what no partner may have (fed_derive_marking). */
	if (json_object_get(obj, FED_LOCAL) != NULL &&
	    !json_is_false(json_object_get(obj, FED_LOCAL)))
		return 0;
	/* A TLP marking-definition is public by nature. */
	if (t == FED_TLP_UNMARKED)
		t = strcmp(json_string_value(json_object_get(obj, "type")) ?
			   json_string_value(json_object_get(obj, "type")) : "",
			   "marking-definition") == 0 ? FED_TLP_CLEAR :
							FED_TLP_AMBER;
	/* Named recipients restrict any TLP: an alert to UK goes to UK. */
	to = json_object_get(obj, FED_RECIPIENTS);
	switch (t) {
	case FED_TLP_CLEAR:
	case FED_TLP_GREEN:
	case FED_TLP_AMBER:
		if (to == NULL)
			return 1;
		/* fall through */
	case FED_TLP_RED:
		json_array_foreach(to, i, p)
			if (json_is_string(p) && strcmp(json_string_value(p), party) == 0)
				return 1;
		return 0;
	default:
		return 0;
	}
}

static int released(const tx_fed *fed, const char *digest);

/* Whether obj names party in x_trilex_recipients. */
static int names(const json_t *obj, const char *party)
{
	const json_t *p;
	size_t i;

	json_array_foreach(json_object_get(obj, FED_RECIPIENTS), i, p)
		if (json_is_string(p) && strcmp(json_string_value(p), party) == 0)
			return 1;
	return 0;
}

int fed_partner_entitled(const tx_fed *fed, const json_t *obj,
			 const struct store_peer *p)
{
	/* the ratified use-of-force policy: its versions and approvals
	 * (policy/ratify.c), which an observer checks for itself */
	static const char *const policy_types[] = {
		"x-trilex-policy", "x-trilex-policy-approval",
	};
	const char *type = tx_json_str(obj, "type");
	enum fed_tlp t;

	if (!fed_entitled(fed, obj, p->party))
		return 0;
	if (p->role[0] == '\0' || strcmp(p->role, STORE_PARTY_MEMBER) == 0)
		return 1;
	if (strcmp(p->role, STORE_PARTY_OBSERVER) != 0)
		return 0; /* suspended, or a role this node does not know */
	/* of the policy, what is in force and nothing else (no draft,
	 * whatever its TLP or recipients) */
	for (size_t i = 0; type && i < 2; i++)
		if (strcmp(type, policy_types[i]) == 0)
			return released(fed, tx_json_str(obj, "policy_digest"));
	t = fed_tlp_of(obj);
	if (t == FED_TLP_CLEAR || t == FED_TLP_GREEN || names(obj, p->party))
		return 1;
	if (t == FED_TLP_UNMARKED && type && strcmp(type, "marking-definition") == 0)
		return 1;
	return 0;
}

/* Whether the policy version of digest is in force (fed_policy_released). */
static int released(const tx_fed *fed, const char *digest)
{
	tx_fed *f = (tx_fed *)fed; /* the lock only */
	int yes = 0;

	if (fed == NULL || digest == NULL)
		return 0;
	pthread_mutex_lock(&f->released_lock);
	for (size_t i = 0; !yes && i < f->n_released; i++)
		yes = strcmp(f->released[i], digest) == 0;
	pthread_mutex_unlock(&f->released_lock);
	return yes;
}

tx_err fed_policy_released(tx_fed *fed, const char *const *digests, size_t n)
{
	char (*set)[FED_DIGEST_BUF] = calloc(n ? n : 1, sizeof(*set));

	if (set == NULL)
		return TX_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		snprintf(set[i], sizeof(set[i]), "%s", digests[i] ? digests[i] : "");
	pthread_mutex_lock(&fed->released_lock);
	free(fed->released);
	fed->released = set;
	fed->n_released = n;
	pthread_mutex_unlock(&fed->released_lock);
	return TX_OK;
}

tx_err fed_open(const char *dir, const struct tx_config *cfg, tx_fed **out,
		struct tx_error *err)
{
	char path[PATH_MAX + 16];
	tx_fed *fed;
	tx_err rc;

	if ((fed = calloc(1, sizeof(*fed))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	snprintf(fed->dir, sizeof(fed->dir), "%s", dir);
	fed->cfg = *cfg;
	pthread_mutex_init(&fed->lock, NULL);
	pthread_mutex_init(&fed->cache_lock, NULL);
	pthread_mutex_init(&fed->released_lock, NULL);
	/* delivery's timed waits are deadlines on the monotonic clock */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&fed->wake, &ca);
	pthread_condattr_destroy(&ca);
	fed->cache = calloc(SIG_CACHE_SLOTS, sizeof(*fed->cache)); /* optional */
	if (fed_recv_helper_new(fed) != TX_OK) {
		fed_close(fed);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	snprintf(path, sizeof(path), "%s/identity.key", dir);
	snprintf(fed->cert_path, sizeof(fed->cert_path), "%s/tls/cert.pem", dir);
	snprintf(fed->key_path, sizeof(fed->key_path), "%s/tls/key.pem", dir);
	if ((rc = crypto_identity_load(path, &fed->id, err)) != TX_OK) {
		fed_close(fed);
		return rc;
	}
	crypto_identity_public(fed->id, fed->pk);
	tx_hex(fed->pk, sizeof(fed->pk), fed->pk_hex);
	*out = fed;
	return TX_OK;
}

void fed_close(tx_fed *fed)
{
	if (fed == NULL)
		return;
	fed_deliver_stop(fed);
	fed_recv_helper_free(fed);
	crypto_identity_free(fed->id);
	free(fed->cache);
	free(fed->released);
	pthread_mutex_destroy(&fed->released_lock);
	pthread_mutex_destroy(&fed->cache_lock);
	pthread_mutex_destroy(&fed->lock);
	pthread_cond_destroy(&fed->wake);
	free(fed);
}

const char *fed_party(const tx_fed *fed)
{
	return fed->cfg.party;
}
