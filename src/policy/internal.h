/* policy/internal.h: what the files of policy/ share; private to it. */
#ifndef TRILEX_POLICY_INTERNAL_H
#define TRILEX_POLICY_INTERNAL_H

#include <jansson.h>

#include "policy/policy.h"

/* The kind of value a fact holds. */
enum fact_kind {
	FACT_NUMBER,
	FACT_STRING,   /* one value of a closed, ordered vocabulary */
	FACT_BOOL,
	FACT_SET,      /* a list of values of an open vocabulary */
};

/* One row of the fact catalog: what policies may read. */
struct fact_def {
	const char *name;
	enum fact_kind kind;
	const char *const *values; /* FACT_STRING: allowed values, worst last */
	const char *source;        /* where it is read from, for evidence */
	const char *evidence;      /* what evidence would set it */
};

extern const struct fact_def policy_facts[];
extern const size_t policy_n_facts;
/* The catalog row of a fact name, or NULL. */
const struct fact_def *policy_fact_find(const char *name);
/* Index of v in a NULL-terminated vocabulary, or -1. */
int policy_vocab_index(const char *const *values, const char *v);
/*
 * The values a number fact can take at all: [*lo, *hi] (hi may be
 * INFINITY), whole numbers only when *integer. What an undetermined number
 * may still be is this domain unless the facts narrow it (facts.possible).
 */
void policy_fact_bounds(const struct fact_def *fd, double *lo, double *hi,
		 int *integer);

struct policy {
	json_t *doc;          /* owned; validated */
	char version[40];
	char digest[65];
	size_t work;          /* policy_doc_work(doc) */
};

/* Reads and condition nodes of a validated policy document. */
size_t policy_doc_work(const json_t *doc);

/* An incident as read: the objects (owned reference) and the incident. */
struct policy_incident {
	json_t *objects;
	const json_t *incident;  /* borrowed from objects */
	char id[128];
};

/*
 * The facts derived from an incident: facts maps a fact name to its value
 * and sources the same name to a list of evidence strings; a fact absent
 * from facts is undetermined. possible narrows what an undetermined fact
 * may still be: numbers {"min": x, "max": y} (either may be absent: the
 * fact's domain), vocabularies and true/false a list of the values still
 * possible; a fact in neither may be anything its catalog row allows.
 * contradictions and gaps list what was found wrong or missing while
 * reading. All owned; free with policy_facts_free.
 */
struct facts {
	json_t *facts;
	json_t *possible;
	json_t *sources;
	json_t *contradictions;
	json_t *gaps;
};

/*
 * Derive the facts of inc; out_of_service is the availability_impact from
 * which an availability impact counts as an outage (policy/incident.c).
 */
tx_err policy_incident_facts(const policy_incident *inc, double out_of_service,
		      struct facts *f, struct tx_error *err);
void policy_facts_free(struct facts *f);
/*
 * (Re)derive effect_class from deaths, injuries and the impact facts of f,
 * over every combination they still allow (policy/incident.c).
 */
void policy_facts_derive_effect_class(struct facts *f);
/* The facts effect_class is derived from, NULL-terminated. */
extern const char *const policy_effect_inputs[];

/* SHA-256 hex of the canonical JSON of doc into out[65]. */
tx_err policy_canon_digest(const json_t *doc, char out[65],
			   struct tx_error *err);

/*
 * Every object of the given types and/or ids (last versions) in every
 * collection, as a list of {"pk": collection, "obj": object}; at most max
 * (TX_ERR_TOOBIG past it). *out caller-owned (policy/storage.c).
 */
tx_err policy_storage_scan(tx_store *st, const char *const *types, size_t n_types,
		    const char *const *ids, size_t n_ids, size_t max,
		    json_t **out, struct tx_error *err);

#endif
