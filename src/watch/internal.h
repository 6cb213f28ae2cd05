/* watch/internal.h: what the files of watch/ share; private to watch/. */
#ifndef TRILEX_WATCH_INTERNAL_H
#define TRILEX_WATCH_INTERNAL_H

#include "watch/watch.h"

#define WATCH_DAY_US (86400LL * 1000000LL)

int watch_actor_id(const char *id);
int watch_target_id(const char *id);
int watch_risk_valid(const char *s);
const char *watch_change_name(int c);
int watch_change_parse(const char *s);

/* The duty officer of party as JSON {"id","name","contact"} (new
 * reference) or NULL: the named one (duty_ref) when it is that party's,
 * else the first by name. */
json_t *watch_duty_of(const watch_state *s, const char *party,
		      const char *duty_ref);
/* The live (active or under-review) watch-list entry of target, or NULL
 * (borrowed JSON of the entry). */
const json_t *watch_live_entry(const watch_state *s, const char *target);
/* The live watch-list entry an indicator belongs to (itself or through
 * an "indicates" relationship), or NULL. */
const json_t *watch_indicator_entry(const watch_state *s, const char *indicator);
/*
 * The proposal of rq on key (the target's id or the AOR scope), with its
 * target's name and sectors when target is given, for parties (borrowed,
 * referenced) and quorum; or the vote on proposal. Unsigned and unmarked
 * (AMBER; fed_derive_stored narrows it). New reference, whole or NULL
 * (out of memory): never an object with a member left out.
 */
json_t *watch_proposal_object(const struct watch_request *rq, const char *key,
			      const json_t *target, json_t *parties,
			      int quorum, const struct watch_settings *set,
			      int64_t now_us);
json_t *watch_vote_object(const char *proposal, int approve, const char *comment,
			  int64_t now_us);
/* The unsigned partner proposal rq on party code (role; name, the card's),
 * for parties (borrowed, referenced); whole or NULL, as above: one that
 * lost its card, role or parties would be signed and sent. */
json_t *watch_partner_proposal_object(const struct watch_partner_request *rq,
				      const char *code, const char *role,
				      const char *name, json_t *parties,
				      int quorum, int vote_days, int64_t now_us);
/* Collect every record of the given types from every collection of st
 * into *objs (a list of {"party", "object"}; caller frees). */
tx_err watch_collect(tx_store *st, const char *party, const char *const *types,
		     size_t n_types, json_t **objs, struct tx_error *err);

/* The properties of a partner proposal (subject "partner") as they
 * came from anywhere (watch/partners.c); change as watch_change_parse. */
tx_err watch_partner_fields_check(const json_t *obj, int change,
				  struct tx_error *err);

/* This node's party and its member partners, sorted (*out caller-freed). */
tx_err watch_partnership(tx_store *st, const char *party, json_t **out,
			 struct tx_error *err);
/* What a new proposal of party stands on: the node's watch settings,
 * the partnership (*parties, caller-freed), the watch state at now_us
 * (*ws, caller-freed) and the quorum: requested (or the settings' when
 * below 0), at most the size of the partnership; TX_ERR_INVALID naming
 * both otherwise. */
tx_err watch_proposal_ground(tx_store *st, const char *dir, const char *party,
			     int64_t now_us, int requested,
			     struct watch_settings *set, json_t **parties,
			     watch_state **ws, int *quorum, struct tx_error *err);
/* Validate obj and store it in the "watch" collection. */
tx_err watch_put(tx_store *st, const json_t *obj, struct tx_error *err);

#endif
