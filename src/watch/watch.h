/*
 * watch: the partnership's area of responsibility (AOR) and its
 * counter-espionage watch list, changed only by consensus and reviewed
 * yearly.
 *
 * Every change is a proposal (STIX custom object x-trilex-watch-proposal)
 * that the partners vote on (x-trilex-watch-vote). Both live in the
 * collection "watch", marked TLP:AMBER, so federation carries them,
 * signed, to every partner. The state of the AOR and of the watch list is
 * a pure function of the proposals and votes a node holds (with the party
 * that signed each, never a party written inside it) and of the clock, so
 * every node that holds the same objects computes the same state.
 * Nothing here prints; src/cli/watch.c presents the results.
 */
#ifndef TRILEX_WATCH_WATCH_H
#define TRILEX_WATCH_WATCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define WATCH_PROPOSAL_TYPE "x-trilex-watch-proposal"
#define WATCH_VOTE_TYPE "x-trilex-watch-vote"
/* The alias of the collection proposals and votes are made in. */
#define WATCH_COLLECTION "watch"
/* The environment variable of the injectable clock (RFC 3339, UTC). */
#define WATCH_CLOCK_ENV "TRILEX_NOW"

/* Defaults of the partnership settings (DIR/watch.json). */
#define WATCH_REVIEW_MONTHS 12
#define WATCH_GRACE_DAYS 30
#define WATCH_VOTE_DAYS 30

/* Caps on what is read from outside. */
#define WATCH_MAX_PARTIES 16
#define WATCH_RATIONALE_MAX 4096
#define WATCH_COMMENT_MAX 1024
#define WATCH_NAME_MAX 256
#define WATCH_MAX_SCOPES 64         /* sectors + countries of one entry */
#define WATCH_MAX_RECORDS 200000    /* proposals + votes + directory */
#define WATCH_SETTINGS_MAX 4096     /* bytes of watch.json */
#define WATCH_KEY_MAX 128           /* "sector:defense", "actor:<id>" */

/* ---- the clock and the settings (watch/watch.c) ---- */

/*
 * Now, in microseconds since the epoch: TRILEX_NOW when set (an RFC 3339
 * UTC timestamp), else the real clock. TX_ERR_INVALID when TRILEX_NOW is
 * set but not a timestamp.
 */
tx_err watch_now(int64_t *now_us, struct tx_error *err);

/* Add months (calendar months, day clamped to the month's end) to t. */
int64_t watch_add_months(int64_t t_us, int months);

/* What a node proposes with unless told otherwise. */
struct watch_settings {
	int quorum;         /* approvals needed; 0: every party */
	int review_months;  /* ratification to review date */
	int grace_days;     /* review date to expiry */
	int vote_days;      /* a proposal lapses when undecided this long */
};

void watch_settings_defaults(struct watch_settings *s);
/* Parse the text of a watch.json ({"quorum": N, "review_months": N,
 * "grace_days": N, "vote_days": N}, all optional; unknown keys refused). */
tx_err watch_settings_parse(const char *text, size_t len,
			    struct watch_settings *s, struct tx_error *err);
/* Load DIR/watch.json when it exists, defaults otherwise. */
tx_err watch_settings_load(const char *dir, struct watch_settings *s,
			   struct tx_error *err);

/* ---- scopes and objects (watch/parse.c) ---- */

enum watch_scope_kind {
	WATCH_SCOPE_SECTOR = 0,   /* STIX 2.1 industry-sector-ov */
	WATCH_SCOPE_COUNTRY,      /* ISO 3166-1 alpha-2 */
	WATCH_SCOPE_REGION,       /* STIX 2.1 region-ov (UN M49 regions) */
	WATCH_SCOPE_ACTOR,        /* a threat-actor or intrusion-set id */
};

struct watch_scope {
	enum watch_scope_kind kind;
	char value[100];
};

/*
 * Parse "sector:S", "country:CC", "region:R" or "actor:ID" (kind given
 * by the prefix). The value must be of its vocabulary: err says which
 * vocabulary it is not in.
 */
tx_err watch_scope_parse(const char *s, struct watch_scope *out,
			 struct tx_error *err);
/* "kind:value" of a scope into out. */
void watch_scope_format(const struct watch_scope *s, char out[WATCH_KEY_MAX]);
/* Whether s is a term of the STIX industry-sector vocabulary / an ISO
 * 3166-1 alpha-2 code / a STIX region. */
int watch_is_sector(const char *s);
int watch_is_country(const char *s);
int watch_is_region(const char *s);

/*
 * Check a proposal or a vote object as it came from anywhere: every
 * property trilex reads, with its JSON path in err ("parties[2]: not a
 * party code"). Takes no ownership.
 */
tx_err watch_proposal_check(const json_t *obj, struct tx_error *err);
tx_err watch_vote_check(const json_t *obj, struct tx_error *err);

/* ---- the state (watch/state.c) ---- */

typedef struct watch_state watch_state;

/* One object with the party it counts for (its verified signer, or this
 * node's party when made here). Borrowed. */
struct watch_record {
	const char *party;
	const json_t *obj;
	const char *refused;   /* NULL, or why this node refuses the proposal
	                          (a partner proposal whose signature or card
	                          does not hold: watch/partners.c) */
};

/*
 * Compute the state from records (proposals, votes, directory individuals
 * and "indicates" relationships; anything else is ignored) as at now.
 * The result depends on nothing else: not the order of records, not
 * which node computes it. *out is freed with watch_state_free.
 */
tx_err watch_state_build(const struct watch_record *records, size_t n,
			 int64_t now_us, watch_state **out, struct tx_error *err);
/*
 * The same from every collection of st (party: this node's party, for
 * objects made here).
 */
tx_err watch_state_load(tx_store *st, const char *party, int64_t now_us,
			watch_state **out, struct tx_error *err);
void watch_state_free(watch_state *s);

/*
 * The state as JSON (caller frees):
 * {"now", "entries": [...], "aor": [...], "proposals": [...]}; entries
 * and assignments carry key, state (proposed, active, under-review,
 * expired, removed), responsible, backup, ratified, review, expires and
 * their proposals; proposals their tally. Documented in docs/watch-list.md.
 */
json_t *watch_state_json(const watch_state *s);
/* One proposal's JSON (borrowed from s), or NULL when s holds none. */
const json_t *watch_state_proposal(const watch_state *s, const char *id);

/*
 * Who is responsible for a sector, a country (or region) or an actor (any
 * may be NULL): {"responsible", "backup", "duty", "backup_duty",
 * "matched": [keys]} (caller frees), or NULL when no active assignment
 * covers them. Actor scopes come first, then sector, then country.
 */
json_t *watch_aor_who(const watch_state *s, const char *sector,
		      const char *country, const char *actor);

/*
 * Whether an indicator must stay out of the matching index: it is (or
 * "indicates" the target of) a watch-list entry that expired or was
 * removed, and no live entry claims it.
 */
int watch_indicator_expired(const watch_state *s, const char *indicator_id);
/* Those indicator ids, sorted (caller frees). */
json_t *watch_expired_indicators(const watch_state *s);

/* ---- making proposals and votes (watch/propose.c) ---- */

enum watch_change {
	WATCH_ADD = 0,
	WATCH_AMEND,
	WATCH_REMOVE,
	WATCH_RENEW,
};

/* What a party asks for; strings borrowed. */
struct watch_request {
	int aor;                       /* 1: an AOR assignment, 0: the list */
	enum watch_change change;
	const char *target;            /* watch list: the object id */
	const char *scope;             /* AOR: "kind:value" */
	const char *rationale;
	const char *risk;              /* low, medium, high, critical */
	const char *responsible;       /* party code or NULL */
	const char *backup;            /* AOR: backup party or NULL */
	const char *duty;              /* AOR: duty officer identity or NULL */
	const char *const *sectors;    /* watch list: routing context */
	size_t n_sectors;
	const char *const *countries;
	size_t n_countries;
	int quorum;                    /* -1: the settings' */
	int review_months;             /* 0: the settings' */
};

/*
 * Make and store (in the "watch" collection, made when missing) a
 * proposal of request rq by party, dated now, for the partnership
 * (party and every pinned partner). Checked first: references known to
 * this node and of the right type, scopes, parties, and that no proposal
 * on the same entry is open. *id_out receives the proposal's id.
 */
tx_err watch_propose(tx_store *st, const char *dir, const char *party,
		     int64_t now_us, const struct watch_request *rq,
		     char id_out[100], struct tx_error *err);
/*
 * Make and store party's vote on proposal (approve or reject). Refused:
 * an unknown proposal, a closed one, a party outside its partnership, a
 * second vote.
 */
tx_err watch_vote(tx_store *st, const char *party, int64_t now_us,
		  const char *proposal, int approve, const char *comment,
		  char id_out[100], struct tx_error *err);

/* ---- growing the partnership (watch/partners.c) ---- */

/* A proposal to admit a party (change WATCH_ADD, with its card), to set
 * its role (WATCH_AMEND: member, observer or suspended) or to remove it
 * (WATCH_REMOVE). Strings and card borrowed. */
struct watch_partner_request {
	enum watch_change change;
	const json_t *card;        /* add: the party's signed peer card */
	const char *party;         /* amend, remove: the party code */
	const char *role;          /* add: member (NULL) or observer; amend */
	const char *rationale;     /* NULL: says what is proposed */
	int quorum;                /* -1: the settings' */
};

/*
 * Make, sign with id (this node's identity key) and store party's
 * partner proposal rq, for the members of the partnership (party and
 * every pinned partner that is a member). Refused: a card that does not
 * hold, this node's own party, an admission of a pinned party, a change
 * to one not pinned, an open proposal on the same party.
 */
tx_err watch_partner_propose(tx_store *st, const char *dir,
			     const tx_identity *id, const char *party,
			     int64_t now_us,
			     const struct watch_partner_request *rq,
			     char id_out[100], struct tx_error *err);
/*
 * Whether obj, a partner proposal counted for party (its verified signer;
 * own: this node's party), holds: its proposer_signature names party and
 * holds under party's pinned key, and its card (when admitting) holds and
 * is of its party_code. TX_ERR_DENIED, TX_ERR_CRYPTO or TX_ERR_INVALID
 * with the reason otherwise.
 */
tx_err watch_partner_check(tx_store *st, const char *own, const char *party,
			   const json_t *obj, struct tx_error *err);
/*
 * Carry out what the partnership decided, as at now: pin each admitted
 * party from its card with its role, set the roles voted, unpin removed
 * parties. Idempotent. Each change made (or refused by the store) is
 * appended to actions (may be NULL) as {"action": pinned|role|removed|
 * failed, "party", "role", "proposal", "reason"}.
 */
tx_err watch_partners_apply(tx_store *st, const char *party, int64_t now_us,
			    json_t *actions, struct tx_error *err);

/* ---- the directory (watch/directory.c) ---- */

/*
 * Every current individual of the directory (identity objects with
 * x_trilex_party, not revoked), each counted for a party only when that
 * party signed it (own: this node's party, for what was made here); only
 * party's when party is not NULL; one per id, by party and name. *list
 * (caller frees) holds what was read, also when the scan failed part way
 * (then the error is returned too); out of memory: TX_ERR_NOMEM and no
 * list (a contact lost to it would read as not there).
 */
tx_err watch_directory_people(tx_store *st, const char *party, const char *own,
			      json_t **list, struct tx_error *err);

/* ---- routing (watch/route.c) ---- */

/*
 * Who an alert (report), sighting or incident goes to: its references to
 * watch-listed objects and indicators, and the sectors, countries and
 * regions of the identities and locations it names (or of its own
 * x_trilex_sectors / x_trilex_countries). objects maps ids to objects for
 * the look-ups (may be NULL). {"responsible", "duty", "backup",
 * "backup_duty", "reasons": [...]} (caller frees); "responsible" is null
 * when nothing matched.
 */
json_t *watch_route_object(const watch_state *s, const json_t *obj,
			   const json_t *objects);
/*
 * Route every report, sighting and incident of st (all collections): a
 * list of {"id", "type", "name", "origin", "received", "responsible",
 * "duty", "backup", "backup_duty", "reasons"} (caller frees), oldest
 * first. party: this node's party.
 */
tx_err watch_route_all(tx_store *st, const watch_state *s, const char *party,
		       json_t **out, struct tx_error *err);

#endif
