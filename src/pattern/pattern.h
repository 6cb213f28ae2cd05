/*
 * pattern: the STIX 2.1 patterning language (section 9).
 *
 * A parser with positioned errors, a plain reference evaluator over
 * observed-data (with the SCOs they reference), and an index of many
 * indicators that picks the few candidates an event could match, built off
 * the hot path and published with one atomic pointer swap. Never prints,
 * never stores.
 */
#ifndef TRILEX_PATTERN_PATTERN_H
#define TRILEX_PATTERN_PATTERN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Longest pattern text accepted (bytes). */
#define PATTERN_MAX_LEN 65536
/* Deepest nesting of parentheses and brackets accepted. */
#define PATTERN_MAX_DEPTH 64

/* A parsed pattern (its AST and a copy of its text). Opaque. */
typedef struct pattern pattern;

/*
 * Parse len bytes of text. On failure returns TX_ERR_INVALID (TX_ERR_NOMEM,
 * TX_ERR_TOOBIG) and fills err with "position N: expected X, found Y"
 * (N counts bytes from 1). *out is the caller's, freed with pattern_free.
 */
tx_err pattern_parse(const char *text, size_t len, pattern **out,
		     struct tx_error *err);
void pattern_free(pattern *p);

/* Parse and throw away: TX_OK when text is a valid STIX 2.1 pattern. */
tx_err pattern_validate(const char *text, size_t len, struct tx_error *err);

/* The parse tree as indented text, one node a line, into out (appended). */
tx_err pattern_dump(const pattern *p, struct tx_buf *out);

/* How many observation expressions (brackets) the pattern has. */
size_t pattern_n_observations(const pattern *p);

/*
 * A set of observations for the reference evaluator: observed-data objects
 * (first_observed, last_observed, number_observed, object_refs or the
 * older embedded objects) and the objects their references name (objects:
 * a JSON object id -> STIX object, may be NULL). Filled by hand (all
 * borrowed) or by pattern_obsset_from_json (then owned: free it with
 * pattern_obsset_free).
 */
struct pattern_obsset {
	const json_t **observed;
	size_t n_observed;
	json_t *objects;
	int owned;
};

/*
 * Collect the observed-data of a bundle, a list of bundles, a list of
 * objects or one observed-data object into set (lists and bundles nest, up
 * to 16 deep); every object with an id is indexed for references. Borrows
 * root, which must outlive set. TX_ERR_INVALID when no observed-data is
 * found (the message says what the input held instead) or the nesting is
 * too deep.
 */
tx_err pattern_obsset_from_json(const json_t *root, struct pattern_obsset *set,
				struct tx_error *err);
void pattern_obsset_free(struct pattern_obsset *set);

/* What the evaluator found: whether it matched and one binding. */
#define PATTERN_MAX_BOUND 64
struct pattern_result {
	int matched;
	size_t n_bound;                      /* observed-data in the binding */
	size_t bound[PATTERN_MAX_BOUND];     /* their positions in the set */
};

/*
 * The reference evaluator: does p match the observations of set, with
 * the semantics of STIX 2.1 section 9? Plain and slow on purpose; the
 * index below only narrows down which indicators it is asked about.
 * It searches for one binding and stops at the first; it never lists
 * every combination. TX_ERR_INVALID for a malformed observed-data
 * (message says which); TX_ERR_TOOBIG when the search tries more than
 * PATTERN_EVAL_STEPS observations (pattern_eval_limit: max_steps, 0 for
 * the default) or a binding would hold more than 4096: a refusal, never
 * a "no match".
 */
#define PATTERN_EVAL_STEPS 20000000
tx_err pattern_eval(const pattern *p, const struct pattern_obsset *set,
		    struct pattern_result *res, struct tx_error *err);
tx_err pattern_eval_limit(const pattern *p, const struct pattern_obsset *set, size_t max_steps,
			  struct pattern_result *res, struct tx_error *err);

/* ---- plain values (pattern/simple.c) ---- */

/* One (canonical path, string value) of a simple pattern; both borrowed
 * for the call. Return 0, or non-zero to stop (out of memory). */
typedef int (*pattern_value_fn)(void *ctx, const char *path, size_t path_len,
				const char *value, size_t len);

/*
 * When p is an OR of observations each of which is one '=' comparison, an
 * IN list or an OR of them, with string values and no qualifier, hand
 * every (path, value) to fn and return TX_OK. Otherwise TX_ERR_INVALID
 * with the reason in err (e.g. "an AND of comparisons (all in one
 * event)"); fn may have been called for values before the refusal.
 */
tx_err pattern_equalities(const pattern *p, pattern_value_fn fn, void *ctx,
			  struct tx_error *err);

/* ---- facts: what an event offers the index (pattern/facts.c) ---- */

/* Hash of a canonical object path such as "network-traffic:dst_ref.value"
 * (list indices written [*], keys that are not identifiers quoted). */
uint64_t pattern_path_hash(const char *path, size_t len);

/* True when s is an IPv4/IPv6 address or CIDR as ipv4-addr/ipv6-addr
 * values are compared (so a fact of it is PATTERN_FACT_IP). */
int pattern_is_net(const char *s, size_t len);

/* True when address addr lies within network net (both as above). */
int pattern_net_within(const char *addr, size_t alen, const char *net, size_t nlen);

enum pattern_fact_kind {
	PATTERN_FACT_STRING,   /* s, len */
	PATTERN_FACT_INT,      /* num */
	PATTERN_FACT_IP,       /* s, len: an IPv4/IPv6 address or CIDR of an
	                          ipv4-addr or ipv6-addr object's value */
};

/* One scalar value an event holds at a path. Borrows s. */
struct pattern_fact {
	uint64_t path;         /* pattern_path_hash of the canonical path */
	enum pattern_fact_kind kind;
	const char *s;
	size_t len;
	int64_t num;           /* PATTERN_FACT_INT: the value; PATTERN_FACT_IP:
	                          0, or the IPv4 network parsed (see below) */
};

/* num of a PATTERN_FACT_IP whose s is an IPv4 address or network, parsed
 * once by pattern_fact_ip so that lookups need not parse it again:
 * PATTERN_FACT_NET4 | prefix << 32 | address (host order, host bits
 * clear). Facts made another way leave num 0 and are parsed when used. */
#define PATTERN_FACT_NET4 (INT64_C(1) << 40)

/*
 * Set f->kind (and f->num) for a value of an ipv4-addr or ipv6-addr
 * object, f->s and f->len set: PATTERN_FACT_IP when it is an address or
 * CIDR as pattern_is_net says, else PATTERN_FACT_STRING (num 0).
 */
void pattern_fact_ip(struct pattern_fact *f);

/*
 * Walk the SCOs of one observed-data (as the evaluator sees them) and hand
 * every scalar at every path, references followed, to fn. Paths are built
 * in a buffer of the walker's; the fact borrows from the JSON.
 */
typedef void (*pattern_fact_fn)(void *ctx, const struct pattern_fact *f);
tx_err pattern_facts_walk(const struct pattern_obsset *set, size_t i,
			  pattern_fact_fn fn, void *ctx);
/*
 * The facts of observed-data i, the first cap of them into out (they
 * borrow from the JSON); returns how many were stored and, in *left_out
 * (may be NULL), how many did not fit. The one collector of facts.
 */
size_t pattern_facts_collect(const struct pattern_obsset *set, size_t i,
			     struct pattern_fact *out, size_t cap, size_t *left_out);

/* ---- the index of active indicators (pattern/index.c) ---- */

/* One indicator as handed to the index builder (borrowed). */
struct pattern_indicator {
	const char *id;        /* "indicator--UUID" */
	const char *pattern;   /* STIX pattern text */
	int64_t valid_from;    /* us */
	int64_t valid_until;   /* us; INT64_MAX when open */
	int revoked;
};

typedef struct pattern_index pattern_index;

/* What a build did. */
struct pattern_index_stats {
	size_t n_input;        /* indicators handed in */
	size_t n_active;       /* kept: valid now, not revoked, valid pattern */
	size_t n_invalid;      /* dropped for a bad pattern */
	size_t n_keys;         /* distinct exact keys */
	size_t n_postings;
	size_t n_scan;         /* always evaluated (nothing to index on) */
	size_t n_regex_scan;   /* LIKE/MATCHES run on every value of a path */
	size_t n_multi;        /* with more than one observation */
	size_t text_bytes;     /* pattern texts and ids kept */
	size_t index_bytes;    /* everything else the index holds */
};

/*
 * Build an index of the indicators active at now (us): valid_from passed,
 * valid_until not passed, not revoked, pattern valid. Copies what it
 * keeps. Off the hot path: allocates freely, takes about a second per
 * million indicators.
 */
tx_err pattern_index_build(const struct pattern_indicator *inds, size_t n,
			   int64_t now, pattern_index **out,
			   struct pattern_index_stats *stats,
			   struct tx_error *err);
void pattern_index_free(pattern_index *ix);
size_t pattern_index_size(const pattern_index *ix);

/*
 * The indicators that an event with these facts could match (plus those
 * that can only be decided by evaluating every event), as positions in
 * the index, into out (at most max; *n_out receives how many were found,
 * which may exceed max). Takes no locks and allocates nothing, except to
 * put a non-ASCII string longer than 4 KiB in NFC for LIKE/MATCHES keys;
 * safe from any number of threads. A candidate still needs pattern_eval.
 */
void pattern_index_candidates(const pattern_index *ix,
			      const struct pattern_fact *facts, size_t n_facts,
			      uint32_t *out, size_t max, size_t *n_out);

/* The id and pattern text of indicator i of the index (borrowed). */
const char *pattern_index_id(const pattern_index *ix, uint32_t i, char *buf,
			     size_t n);
const char *pattern_index_text(const pattern_index *ix, uint32_t i,
			       size_t *len);
/* Whether indicator i needs more than one observation (FOLLOWEDBY, ...). */
int pattern_index_multi(const pattern_index *ix, uint32_t i);
size_t pattern_index_count(const pattern_index *ix);

/*
 * The parsed pattern of indicator i, parsed once and cached (thread-safe:
 * a racing parse loses and is freed). NULL on allocation failure.
 */
const pattern *pattern_index_pattern(pattern_index *ix, uint32_t i);

/* ---- publishing an index to readers (pattern/matcher.c) ---- */

#define PATTERN_MAX_READERS 64

/*
 * The current index, swapped atomically. Readers take it with
 * pattern_matcher_enter (a hazard slot of their own, no lock, no
 * allocation) and drop it with pattern_matcher_leave; a writer publishes a
 * new index with pattern_matcher_publish, which waits until no reader
 * holds the old one and frees it.
 */
typedef struct pattern_matcher pattern_matcher;

tx_err pattern_matcher_new(pattern_matcher **out);
/* Frees the matcher and its current index (no reader may remain). */
void pattern_matcher_free(pattern_matcher *m);
/* Take over ix (may be NULL); frees the old index once no reader uses it. */
void pattern_matcher_publish(pattern_matcher *m, pattern_index *ix);
/* Reader slot 0..PATTERN_MAX_READERS-1, one per thread. */
pattern_index *pattern_matcher_enter(pattern_matcher *m, unsigned slot);
void pattern_matcher_leave(pattern_matcher *m, unsigned slot);

#endif
