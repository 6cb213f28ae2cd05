/*
 * federation: partner nodes, signed objects, TLP 2.0 and delivery.
 *
 * Every object this node shares leaves it signed with the node's Ed25519
 * key over the RFC 8785 canonical JSON of the object without the
 * signature, in a property extension of ours (FED_SIG_EXT). A receiver
 * checks the signature of the object's origin, whoever relayed it. TLP
 * decides which partners are entitled to an object; TLP:RED content is
 * sealed to each named recipient's X25519 key. Delivery pushes each
 * partner's share to its inbox on the partner's node, and pulls the
 * partner's share for us as a backstop.
 */
#ifndef TRILEX_FEDERATION_FEDERATION_H
#define TRILEX_FEDERATION_FEDERATION_H

#include <jansson.h>

#include "core/core.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "taxii/taxii.h"

/* The extension-definition that carries trilex signatures. */
#define FED_SIG_EXT "extension-definition--3b5d0a4e-6f1c-4b8e-9d27-5c1f0e8a7b92"
/* What a peer card lists in "signatures" when its node checks batch
 * signatures (Merkle trees over BLAKE2b-256, see sign.c). */
#define FED_SIG_BATCH "ed25519-batch-blake2b-v1"
/* The wrapper type of sealed TLP:RED content. */
#define FED_SEALED_TYPE "x-trilex-sealed"
/* Property naming the recipient parties of TLP:RED objects. */
#define FED_RECIPIENTS "x_trilex_recipients"
/* Property (true) of an object that must stay on this node: no partner
 * is entitled to it, whatever its marking (fed_derive_marking sets it). */
#define FED_LOCAL "x_trilex_local"

enum fed_tlp {
	FED_TLP_CLEAR = 0,
	FED_TLP_GREEN,
	FED_TLP_AMBER,
	FED_TLP_AMBER_STRICT,
	FED_TLP_RED,
	FED_TLP_UNMARKED,      /* no TLP marking: the node's default applies */
};

/* "clear", "green", "amber", "amber+strict", "red"; -1 if none. */
int fed_tlp_parse(const char *name);
const char *fed_tlp_name(enum fed_tlp t);
/* The marking-definition id of a TLP 2.0 level. */
const char *fed_tlp_marking(enum fed_tlp t);
/* The most restrictive TLP (2.0, or 1.0 mapped) among obj's markings; a
 * marking ref that is not a TLP id this node knows (another marking, an
 * upper-case id, not a string) reads as RED, never as unmarked. */
enum fed_tlp fed_tlp_of(const json_t *obj);

/* A node's federation context: its identity and settings. Opaque. */
typedef struct tx_fed tx_fed;

/* Load DIR's identity and certificate for federation. */
tx_err fed_open(const char *dir, const struct tx_config *cfg, tx_fed **out,
		struct tx_error *err);
void fed_close(tx_fed *fed);
/* The node's own party code. */
const char *fed_party(const tx_fed *fed);

/*
 * Whether party may receive obj (made by origin, NULL meaning us):
 * CLEAR, GREEN and AMBER go to every partner; AMBER+STRICT stays with the
 * origin party; RED only to the parties listed in FED_RECIPIENTS. An
 * object that lists FED_RECIPIENTS goes only to them, whatever its TLP
 * (an alert's --to). An unmarked object takes the node's default (AMBER).
 * An object marked FED_LOCAL goes to no one. fed may be NULL (the
 * decision is the object's and the party's alone).
 */
int fed_entitled(const tx_fed *fed, const json_t *obj, const char *party);
/*
 * What delivery asks, by push and by pull alike (deliver.c's outgoing):
 * fed_entitled for p's party, narrowed by p's role in the partnership
 * (store_peer.role, decided by the partners' vote, watch/partners.c). A
 * member: fed_entitled. A suspended partner: nothing. An observer: CLEAR
 * and GREEN, the use-of-force policy's versions and approvals once the
 * version is in force (fed_policy_released; never a draft, whatever its
 * TLP), and whatever names it in x_trilex_recipients (an alert --to it,
 * at any TLP); never AMBER otherwise.
 */
int fed_partner_entitled(const tx_fed *fed, const json_t *obj,
			 const struct store_peer *p);
/* Size of a policy digest (SHA-256, hex) with its NUL. */
#define FED_DIGEST_BUF 65
/*
 * The policy versions in force (their policy_digest values, n of them)
 * replace the set fed_partner_entitled gives observers: a version's
 * proposal and approvals leave for an observer only once its digest is
 * here. serve sets it before delivery starts and after each commit of a
 * policy object (cli/partner.c's keeper); the objects of a version that
 * came into force are then sent again to observers whose cursors had
 * passed them (store_policy_release). TX_ERR_NOMEM leaves the set as it
 * was.
 */
tx_err fed_policy_released(tx_fed *fed, const char *const *digests, size_t n);

/* ---- derived objects (federation/derive.c) ---- */

/* The most stored versions fed_derive_stored reads as sources. */
#define FED_DERIVE_SOURCES_MAX 10000

/* What fed_derive_marking decided for a derived object. */
struct fed_derivation {
	enum fed_tlp tlp;     /* the most restrictive TLP of the sources */
	int local;            /* 1: no partner is entitled: it stays here */
	size_t n_recipients;  /* how many parties FED_RECIPIENTS names (TLP:RED,
	                         or sources restricted to named recipients) */
};

/*
 * Mark derived, an object the node makes from the n objects sources (all
 * borrowed), with what its sources allow: object_marking_refs becomes the
 * most restrictive TLP among them and derived's own marking, if it has one
 * (an unmarked source counts as AMBER, an unresolvable marking as RED);
 * for TLP:RED, FED_RECIPIENTS becomes the intersection of the RED sources'
 * recipients (and of the recipients any source names at any TLP, which
 * restrict it: then at any TLP); FED_LOCAL is set when no partner other than self (this
 * node's party, may be NULL) is entitled: an AMBER+STRICT or local source,
 * or an empty intersection. With no sources and no marking of its own,
 * derived is AMBER. out (may be NULL) says what was decided. Every
 * producer of derived objects calls this before storing them.
 */
tx_err fed_derive_marking(const json_t *const *sources, size_t n,
			  const char *self, json_t *derived,
			  struct fed_derivation *out, struct tx_error *err);

/*
 * fed_derive_marking with, as sources, the n objects sources (may be
 * NULL when n is 0) and every stored version, in any collection, of the
 * n_ids objects ids. An id the store does not hold adds nothing (nothing
 * of it is here to pass on). A stored RED source's verified origin (the
 * partner that made it) reads it too: it counts among its recipients.
 * TX_ERR_TOOBIG past FED_DERIVE_SOURCES_MAX.
 */
tx_err fed_derive_stored(tx_store *st, const char *const *ids, size_t n_ids,
			 const json_t *const *sources, size_t n,
			 const char *self, json_t *derived,
			 struct fed_derivation *out, struct tx_error *err);

/* ---- alerts (federation/alert.c) ---- */

/* The most indicators, techniques, sectors and countries of one alert. */
#define FED_ALERT_ITEMS_MAX 64
#define FED_ALERT_ID_BUF 96

/* What an alert is to say; every pointer borrowed. */
struct fed_alert {
	const char *title;
	const char *description;          /* may be NULL */
	enum fed_tlp tlp;                 /* CLEAR to RED */
	const char *to;                   /* "UK,US": its only recipients, or NULL */
	const char *const *indicators;    /* STIX patterns */
	size_t n_indicators;
	const char *const *techniques;    /* ATT&CK ids (T1234) */
	size_t n_techniques;
	int allow_unknown_technique;      /* a technique not stored: a stub */
	const char *const *sectors;
	size_t n_sectors;
	const char *const *countries;
	size_t n_countries;
	const char *self_party, *self_name;
	const char *identity_id;          /* this node's identity object id */
	int64_t now_us;
};

/* An alert built: every object of it, report last. */
struct fed_alert_built {
	json_t *objects;          /* owned: identity, indicators, stubs, report */
	json_t *report;           /* borrowed from objects */
	json_t *stubs;            /* owned: the ATT&CK ids made as stubs */
	struct fed_derivation derivation; /* the report's marking, decided */
};

/*
 * Build alert a (nothing is stored): its objects all carry a's TLP and,
 * with a->to, its recipients, which restrict delivery whatever the TLP.
 * Refused (TX_ERR_INVALID, TX_ERR_NOTFOUND, err says which and why): RED
 * without recipients, AMBER+STRICT with them, a recipient that is not a
 * pinned partner (or is this node), an ATT&CK id that no stored
 * attack-pattern names unless a->allow_unknown_technique. The report then
 * carries at least the marking of the stored objects it refers to
 * (out->derivation says what was decided). out is cleared on failure;
 * fed_alert_clear frees it.
 */
tx_err fed_alert_build(tx_store *st, const struct fed_alert *a,
		       struct fed_alert_built *out, struct tx_error *err);
void fed_alert_clear(struct fed_alert_built *b);

/* ---- withdrawal (federation/withdraw.c) ---- */

#define FED_WITHDRAW_NOTICES 8

/* What fed_withdraw did for one object. */
struct fed_withdrawn {
	int revoked;        /* revoked versions stored (one per collection) */
	int notices;        /* withdrawal notices stored */
	int already;        /* copies withdrawn before */
	char from[TX_PARTY_MAX]; /* a copy came from this partner: not ours */
	char notice_ids[FED_WITHDRAW_NOTICES][STORE_WITHDRAWAL_ID_BUF];
	size_t n_notice_ids;
};

/*
 * Withdraw object id, stored on this node (self: its party), with reason
 * (may be NULL): in every collection that holds a copy this node made or
 * passed on, a revoked version (an object of ours with "modified") or a
 * STORE_WITHDRAWAL_TYPE notice of ours (SCOs, objects signed by another
 * party), marked like the object so that it reaches the partners that
 * received the object and no one else. Errors: TX_ERR_NOTFOUND (not
 * stored), TX_ERR_DENIED (every copy came from a partner: only its origin
 * can withdraw it), TX_ERR_EXISTS (withdrawn already), TX_ERR_INVALID
 * (reason too long), store errors.
 */
tx_err fed_withdraw(tx_store *st, const char *self, const char *id,
		    const char *reason, int64_t now_us, struct fed_withdrawn *out,
		    struct tx_error *err);

/*
 * Whether obj, signed by origin, may withdraw what it names: a revoked
 * version only of an object origin made (every stored version is
 * origin's), a STORE_WITHDRAWAL_TYPE notice only of objects origin made or
 * passed on to us (object_refs: a non-empty list of at most
 * STORE_WITHDRAWAL_REFS_MAX ids). An object not stored here yet is not
 * refused (the notice counts only if it comes from its origin, see
 * store_withdrawal_get). TX_OK for anything else; TX_ERR_DENIED or
 * TX_ERR_INVALID with err saying why.
 */
tx_err fed_withdrawal_check(tx_store *st, const json_t *obj, const char *origin,
			    struct tx_error *err);

/* ---- signatures (federation/sign.c) ---- */

/* Sign obj in place as this node (replacing any signature of ours). */
tx_err fed_sign(const tx_fed *fed, json_t *obj, struct tx_error *err);

/* ---- forwarding a partner's alert (relay.c) ---- */

struct fed_forwarded {
	char origin[TX_PARTY_MAX];   /* the party that made and signed it */
	size_t objects;              /* sent: the report and what it names */
};
/*
 * Forward the partner's alert id, as stored in one of the collections
 * pks (the actor's readable ones), to partner to: unchanged, its origin's
 * signature kept, with the objects it refers to that the same origin
 * signed and that may be forwarded, POSTed to to's inbox for this node
 * (dir and cfg: this node's, for its identity). Only TLP:CLEAR and GREEN
 * (TX_ERR_DENIED otherwise: AMBER and RED are the origin's to share); not
 * to this node, to the origin, or to a recipient the origin named
 * (TX_ERR_EXISTS); to must be a pinned partner with an address, not
 * suspended. On success the audit trail records it (actor, "alert.forward",
 * id, to whom). TX_ERR_DENIED also when the partner refused it.
 */
tx_err fed_forward(const char *dir, const struct tx_config *cfg, tx_store *st,
		   const int64_t *pks, size_t n_pks, const char *id,
		   const char *to, const char *actor, struct fed_forwarded *out,
		   struct tx_error *err);

enum fed_verdict {
	FED_SIGNED_OK = 0,
	FED_UNSIGNED,
	FED_UNKNOWN_KEY,
	FED_BAD_SIGNATURE,
};

/*
 * Check obj's signature against the pinned partners' keys and our own;
 * origin receives the signer's party. err says why when not OK.
 */
enum fed_verdict fed_verify(const tx_fed *fed, tx_store *st, const json_t *obj,
			    char origin[TX_PARTY_MAX], struct tx_error *err);

/*
 * The STIX objects that define our signature extension: the
 * extension-definition FED_SIG_EXT (its schema says, in plain text, how to
 * check a signature) and the identity that made it, as {"objects": [...]}.
 * Served at /trilex/v1/extension-definition (fed_http_extension).
 */
json_t *fed_extension_definition(void);
void fed_http_extension(void *ctx, const struct taxii_ext_request *rq,
			struct taxii_ext_reply *rp);

/* ---- peer cards (federation/card.c) ---- */

/* This node's peer card (caller decrefs). */
tx_err fed_card_export(const tx_fed *fed, const char *url, json_t **out,
		       struct tx_error *err);
/* Check a card (its fields and its self-signature, card_signature) and
 * fill p from it; url (may be NULL) overrides its URL. TX_ERR_INVALID
 * (err names the field), TX_ERR_CRYPTO (the signature does not hold). */
tx_err fed_card_parse(const json_t *card, const char *url, struct store_peer *p,
		      struct tx_error *err);
/* fed_card_parse taking a card with no card_signature (an older node's);
 * a signature that is there must still hold. */
tx_err fed_card_parse_unsigned(const json_t *card, const char *url,
			       struct store_peer *p, struct tx_error *err);
/* Sign card (a card of this node's, with its new key) as its handover
 * from old_id, the identity key partners pinned. */
tx_err fed_card_handover_sign(json_t *card, const tx_identity *old_id,
			      struct tx_error *err);
/*
 * Whether card (parsed by fed_card_parse already) may replace the pin of
 * partner pinned: it names the pinned signing key (its self-signature is
 * then that key's), or carries a handover_signature by the pinned key.
 * TX_ERR_DENIED otherwise, err saying what to do.
 */
tx_err fed_card_handover_check(const json_t *card, const struct store_peer *pinned,
			       struct tx_error *err);

/* ---- receiving (federation/receive.c) ---- */

/*
 * Objects posted by, or pulled from, partner from->peer (from is the
 * partner's account, the status's owner): each is checked
 * (STIX, origin signature, TLP, sealing) and the good ones are stored in
 * the partner's inbox with their origin. Refusals are logged, counted and
 * listed in the status. raw and spans (may be NULL): the document objects
 * was parsed from and each object's text in it, which is what is stored
 * (compacted), signature included. The shape of taxii's peer-ingest hook.
 */
tx_err fed_receive(void *fed, tx_store *st, const struct store_user *from,
		   int64_t inbox_pk, const json_t *objects, const char *raw,
		   const struct tx_span *spans, char status_id[TX_UUID_BUF],
		   struct tx_error *err);

/* ---- delivery (federation/deliver.c) ---- */

/*
 * One batch of what partner p is entitled to after cursor *c, signed
 * (and sealed where RED), appended to out as JSON objects separated by
 * commas (the inside of a list); *count says how many. *c moves past
 * every row looked at; *more tells whether rows remain.
 */
tx_err fed_outgoing(const tx_fed *fed, tx_store *st, const struct store_peer *p,
		    struct store_cursor *c, int64_t limit, struct tx_buf *out,
		    size_t *count, int *more, struct tx_error *err);

/*
 * The delivery lane of obj, one of ours (federation/lanes.c):
 * STORE_LANE_PRIORITY for alerts, watch proposals and votes, partner
 * admission (x-trilex-partner-*), policy approvals and withdrawals
 * ("revoked": true, x-trilex-withdrawal); STORE_LANE_BULK otherwise.
 */
int fed_lane_of(const json_t *obj);
/*
 * The store's lane classifier (store_set_lane_classifier): each item by
 * fed_lane_of, and what an alert refers to among the items stored with it
 * (its indicators, stubs, identity) on the alert's lane.
 */
void fed_store_lanes(const struct store_item *items, size_t n,
		     unsigned char *lanes);

/* Start the delivery workers (one per partner with a URL). */
tx_err fed_deliver_start(tx_fed *fed, struct tx_error *err);
/* Stop them, letting a delivery in flight finish. */
void fed_deliver_stop(tx_fed *fed);
/* Wake the workers: something new was stored. */
void fed_deliver_kick(void *fed);
/* How many times the delivery threads of this process went round their
 * loops (a wake-up each): an idle node's stays still. */
uint64_t fed_deliver_wakeups(void);
/* Objects from partners (pushed or pulled) whose signature this process
 * checked, and those it knew it held already, exactly as sent, so did
 * not check again (fed_receive). */
void fed_receive_counts(uint64_t *checked, uint64_t *held);

/* The /trilex/v1/sync endpoint (partners pull their share). */
void fed_http_sync(void *fed, const struct taxii_ext_request *rq,
		   struct taxii_ext_reply *rp);

#endif
