/*
 * policy: the ratified use-of-force policy and incident assessment.
 *
 * A policy (JSON, docs/policy.md) scores the eight Tallinn Manual factors
 * 0-3 from facts read out of a STIX 2.1 incident (Incident Core extension,
 * impact objects, the trilex incident facts extension), turns the weighted
 * score into a level 0-5, and applies threshold rules in order of
 * precedence to reach one of four decisions. Policy versions and the
 * parties' approvals are STIX objects in the node's store; a version is in
 * force once every party of its partnership (or its quorum) approved it.
 * Nothing here prints; the CLI and the HTTPS endpoint present the results.
 */
#ifndef TRILEX_POLICY_POLICY_H
#define TRILEX_POLICY_POLICY_H

#include <jansson.h>
#include <stddef.h>

#include "core/core.h"
#include "store/store.h"
#include "taxii/taxii.h"

/* The four threshold decisions, as they appear in results. */
#define POLICY_BELOW "below-threshold"
#define POLICY_SIGNIFICANT "significant-incident"
#define POLICY_USE_OF_FORCE "use-of-force"
#define POLICY_ARMED_ATTACK "armed-attack-candidate"
/* The decision when the facts known still allow more than one of them. */
#define POLICY_UNDETERMINED "undetermined"

/* 0-3 for the four decisions from least to most severe, else -1. */
int policy_decision_rank(const char *decision);

/* STIX types and extension ids trilex defines for this module. */
#define POLICY_TYPE "x-trilex-policy"
#define POLICY_APPROVAL_TYPE "x-trilex-policy-approval"
/* A party outside a version's partnership (an observer) that endorses it
 * once it is in force (policy_registry_endorse). */
#define POLICY_ENDORSEMENT_TYPE "x-trilex-policy-endorsement"
#define POLICY_EXT_OBJECTS \
	"extension-definition--5f0b6c1e-2a57-4c1d-9a0e-7d3b8e6f4a21"
#define POLICY_EXT_FACTS \
	"extension-definition--0c8d2f6a-93b4-4e7a-b1d5-2e9f6a7c3b10"
#define POLICY_EXT_ASSESSMENT \
	"extension-definition--9a4e1b7c-6d2f-4c38-8e5a-1f0b3d7c9e62"
#define INCIDENT_CORE_EXT \
	"extension-definition--ef765651-680c-498d-9894-99799f2fa126"
#define IMPACT_EXT "extension-definition--7cc33dd6-f6a1-489b-98ea-522d351d71b9"

/* Caps on what is read from outside. */
#define POLICY_TEXT_MAX (1024 * 1024)         /* a policy file */
#define POLICY_INCIDENT_MAX (16 * 1024 * 1024) /* an incident bundle */
#define POLICY_PROBLEMS_MAX 100               /* problems listed */

typedef struct policy policy;
typedef struct policy_incident policy_incident;
typedef struct policy_registry policy_registry;

/*
 * Parse and fully validate a policy from text (name is the file name used
 * in messages). On success *out is a new policy (free with policy_free).
 * On invalid input returns TX_ERR_INVALID; problems (a JSON array the
 * caller owns, may be NULL) receives one string per problem, each starting
 * with its JSON path ("criteria[2].weight: must be an integer 1-100"), at
 * most POLICY_PROBLEMS_MAX; err holds the first and the count.
 */
tx_err policy_parse(const char *text, size_t len, const char *name,
		    policy **out, json_t *problems, struct tx_error *err);
/* The same from an already parsed document (borrowed; copied). */
tx_err policy_from_json(const json_t *doc, policy **out, json_t *problems,
			struct tx_error *err);
void policy_free(policy *p);
/* Borrowed views of a policy. */
const char *policy_version(const policy *p);
const char *policy_title(const policy *p);
const json_t *policy_json(const policy *p);
/* SHA-256 (hex) of the policy's canonical JSON (sorted keys, compact). */
const char *policy_digest(const policy *p);

/*
 * Read an incident from a STIX bundle (or a bare list of objects) in text.
 * incident_id selects one incident when the bundle holds several (NULL:
 * the bundle must hold exactly one). Every object is checked with the STIX
 * validator and every Incident Core, impact and trilex facts property the
 * assessment reads is checked for type and vocabulary; errors name the
 * object and the JSON path. *out is freed with policy_incident_free.
 */
tx_err policy_incident_parse(const char *text, size_t len, const char *name,
			     const char *incident_id, policy_incident **out,
			     struct tx_error *err);
/* The same from a JSON array of objects (borrowed; referenced, not copied). */
tx_err policy_incident_from_objects(const json_t *objects,
				    const char *incident_id,
				    policy_incident **out, struct tx_error *err);
void policy_incident_free(policy_incident *inc);
const char *policy_incident_id(const policy_incident *inc);

/* Whether the policy an assessment used is in force, and why. */
struct policy_standing {
	int ratified;
	char note[TX_ERROR_MSG_MAX];   /* "" or a sentence for the result */
};

/*
 * Assess an incident under a policy. *result (caller frees) is one JSON
 * object with decision, level, score, factors, tier, policy_version,
 * ratified and the details listed in docs/policy.md. The same incident and
 * policy always give the same result (no clock is read).
 */
tx_err policy_assess(const policy *p, const policy_incident *inc,
		     const struct policy_standing *standing, json_t **result,
		     struct tx_error *err);
/* A human-readable rendering of a result (caller frees), or NULL. */
char *policy_result_text(const json_t *result);
/*
 * A STIX note referring to the assessed incident that carries the result
 * (in the trilex assessment extension) and its text; *note caller-owned.
 * created_by names the assessing party.
 */
tx_err policy_result_note(const json_t *result, const char *party,
			  json_t **note, struct tx_error *err);
/*
 * Give note (made from inc's assessment) the marking its sources allow
 * (federation's fed_derive_marking): the incident and every object it
 * brought, as given and as stored in any collection. self is this node's
 * party. Call it before storing the note.
 */
tx_err policy_note_mark(tx_store *st, const policy_incident *inc,
			const char *self, json_t *note, struct tx_error *err);

/* ---- ratification (policy/ratify.c) ---- */

/*
 * Load every policy version and approval held in any collection of st.
 * party is this node's party code; the partnership's members are this
 * node and the partners pinned as members (a proposal naming no parties
 * names them).
 */
tx_err policy_registry_load(tx_store *st, const char *party,
			    policy_registry **out, struct tx_error *err);
void policy_registry_free(policy_registry *reg);
/*
 * The status of every version, oldest proposal first, as a JSON object
 * {"versions": [...], "in_force": VERSION|null, "latest": VERSION|null}
 * (caller frees).
 */
json_t *policy_registry_status(const policy_registry *reg);
/*
 * The versions in force (ratified), as [{"version", "digest", "ids":
 * [the proposal's id, its approvals' ids]}] (caller frees; NULL when out
 * of memory): what observers may be given (fed_policy_released).
 */
json_t *policy_registry_ratified(const policy_registry *reg);
/*
 * The policy assessments use: version (NULL: the latest proposal if it is
 * in force, else the last version in force, else the latest proposal,
 * unratified). standing says which and why. TX_ERR_NOTFOUND when the node
 * holds no policy (or not that version).
 */
tx_err policy_registry_select(const policy_registry *reg, const char *version,
			      policy **out, struct policy_standing *standing,
			      struct tx_error *err);
/* The stored document of a version (borrowed), or NULL. */
const json_t *policy_registry_document(const policy_registry *reg,
				       const char *version);
/*
 * A new proposal object for p by party. parties (n of them; 0: the
 * partnership's members as this node has them pinned, named in the
 * object) must approve; quorum (0: all of them) how many.
 * TX_ERR_EXISTS when the version is already proposed with other content;
 * TX_OK with *obj NULL when it is already proposed with the same.
 */
tx_err policy_registry_propose(const policy_registry *reg, const policy *p,
			       const char *party, const char *const *parties,
			       size_t n_parties, int quorum, json_t **obj,
			       struct tx_error *err);
/*
 * A new approval object of version by party (after checking the stored
 * policy again). TX_OK with *obj NULL when party already approved it.
 */
tx_err policy_registry_approve(const policy_registry *reg, const char *version,
			       const char *party, json_t **obj,
			       struct tx_error *err);

/*
 * A new endorsement object of version (in force) by party, a party
 * outside its ratifying partnership: an advocate's signed word that it
 * stands by the version (the node signs it when it leaves). Refused: a
 * version not in force, a party of its partnership (it approves with
 * policy_registry_approve instead). TX_OK with *obj NULL when party has
 * endorsed that version already. Endorsements are listed in the status
 * ("endorsed_by"), apart from the approvals, and count only for the
 * party that signed them, and only when that party is not of the
 * partnership.
 */
tx_err policy_registry_endorse(const policy_registry *reg, const char *version,
			       const char *party, json_t **obj,
			       struct tx_error *err);

/*
 * The differences between two policy documents, one string a line
 * ("~ criteria[severity].weight: 3 -> 4", "+ rules[x]: {...}",
 * "- tiers[y]"), entries of id-keyed lists matched by id. Caller frees.
 */
json_t *policy_diff(const json_t *a, const json_t *b);

/*
 * Find incident id in the node's collections (any the admin sees) with the
 * impacts it refers to. *objects (caller frees) is a list of objects;
 * collection_pk receives the incident's collection.
 */
tx_err policy_store_find_incident(tx_store *st, const char *id,
				  json_t **objects, int64_t *collection_pk,
				  struct tx_error *err);

/*
 * Validate obj as STIX and store it in collection_pk as user u (one
 * durable transaction). TX_ERR_INVALID with the validator's message when
 * it is refused.
 */
tx_err policy_store_object(tx_store *st, int64_t collection_pk,
			   const struct store_user *u, const json_t *obj,
			   struct tx_error *err);

/*
 * POST /trilex/v1/assess: the body is an incident bundle; the answer the
 * assessment under the policy in force. With ?collection=ID the result is
 * also stored there as a note (the user must be allowed to write it).
 */
void policy_http_assess(void *ctx, const struct taxii_ext_request *rq,
			struct taxii_ext_reply *rp);

#endif
