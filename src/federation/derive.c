/*
 * federation/derive.c: the TLP of what the node derives from objects.
 *
 * Whatever the node makes out of objects (a sighting of an indicator, the
 * note of an assessment, a watch-list proposal about a target, an alert
 * about attack patterns, a supply-chain finding about a BOM) may tell its
 * readers what those objects say. So it may have no reader that a source
 * does not have: it carries the most restrictive TLP of its sources (an
 * unmarked source counts as the node's default, AMBER; a marking this node
 * cannot resolve counts as RED, see fed_tlp_of), for TLP:RED at most the
 * intersection of their recipients (and so for sources of any TLP that
 * name recipients, which restrict them; a stored source's verified origin,
 * the partner that made it, counting as one of them), and when that leaves
 * no partner entitled it stays on this node: it is marked FED_LOCAL, which
 * fed_entitled (and so every push and every /trilex/v1/sync page) obeys.
 *
 * fed_derive_marking is the one place that decides; every producer calls
 * it (or fed_derive_stored, which reads the sources from the store first)
 * before the derived object is stored. tests/integration/test_derived.c
 * lists the producers and runs each; tests/unit/test_federation.c checks
 * the rule itself.
 */
#include <stdlib.h>
#include <string.h>

#include "federation/internal.h"

/* The TLP that source counts as: the node's default for unmarked. */
static enum fed_tlp reading_of(const json_t *source)
{
	enum fed_tlp t = fed_tlp_of(source);
	const char *type = json_string_value(json_object_get(source, "type"));

	if (t != FED_TLP_UNMARKED)
		return t;
	/* As in fed_entitled: a TLP marking-definition is public by nature. */
	return type && strcmp(type, "marking-definition") == 0 ? FED_TLP_CLEAR :
								FED_TLP_AMBER;
}

/* Whether o carries a marking of its own (then it is a floor). */
static int has_marking(const json_t *o)
{
	return json_object_get(o, "object_marking_refs") != NULL ||
	       json_object_get(o, "granular_markings") != NULL ||
	       json_object_get(o, FED_RECIPIENTS) != NULL ||
	       json_object_get(o, FED_LOCAL) != NULL;
}

static int in_list(const json_t *list, const char *s)
{
	const json_t *x;
	size_t i;

	json_array_foreach(list, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
			return 1;
	return 0;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

/* rcpt's parties in byte order (so the same sources give the same object
 * whatever their order); NULL when memory runs out. */
static json_t *sorted(const json_t *rcpt)
{
	size_t n = json_array_size(rcpt), i;
	json_t **v = calloc(n + 1, sizeof(*v)), *out = json_array();

	if (v == NULL || out == NULL) {
		free(v);
		json_decref(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(rcpt, i);
	tx_sort(v, n, sizeof(*v), cmp_json_str);
	for (i = 0; i < n; i++)
		if (json_array_append(out, v[i]) != 0) {
			json_decref(out);
			out = NULL;
			break;
		}
	free(v);
	return out;
}

/* Append party p to set unless it is empty, already there, or (when
 * within is not NULL) not in within. */
static int add_party(json_t *set, const char *p, const json_t *within)
{
	if (p == NULL || p[0] == '\0' || in_list(set, p))
		return 0;
	if (within != NULL && !in_list(within, p))
		return 0;
	return json_array_append_new(set, json_string(p));
}

/* Fold one source into the running result: *tlp, *local and, for RED,
 * *rcpt (NULL until the first RED source; then owned). origin (may be
 * NULL): the partner whose verified signature the stored source bears;
 * it made the source, so it reads it as much as any recipient. */
static tx_err fold(const json_t *src, const char *origin, enum fed_tlp *tlp,
		   int *local, json_t **rcpt, struct tx_error *err)
{
	enum fed_tlp t = reading_of(src);
	const json_t *to = json_object_get(src, FED_RECIPIENTS), *x;
	json_t *keep;
	size_t i;

	if (t > *tlp)
		*tlp = t;
	if (json_is_true(json_object_get(src, FED_LOCAL)))
		*local = 1;
	/* AMBER+STRICT stays with its origin's organisation: what we derive
	 * from it stays with us. */
	if (t == FED_TLP_AMBER_STRICT)
		*local = 1;
	/* Named recipients narrow the readers at any TLP (fed_entitled). */
	if (t != FED_TLP_RED && to == NULL)
		return TX_OK;
	if ((keep = json_array()) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	/* The first RED source gives the set, each further one narrows it;
	 * a RED source naming no recipients leaves it empty. */
	json_array_foreach(to, i, x)
		if (add_party(keep, json_string_value(x), *rcpt) != 0) {
			json_decref(keep);
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		}
	if (add_party(keep, origin, *rcpt) != 0) {
		json_decref(keep);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	json_decref(*rcpt);
	*rcpt = keep;
	return TX_OK;
}

/* fed_derive_marking, with origins[i] (origins or it may be NULL) the
 * verified origin of sources[i]. */
static tx_err derive(const json_t *const *sources, const char *const *origins,
		     size_t n, const char *self, json_t *derived,
		     struct fed_derivation *out, struct tx_error *err)
{
	enum fed_tlp tlp = FED_TLP_CLEAR;
	json_t *rcpt = NULL, *refs = NULL;
	size_t shared = 0, i;
	const json_t *x;
	int local = 0;
	tx_err rc = TX_OK;

	if (!json_is_object(derived))
		return tx_error_set(err, TX_ERR_INVALID, "derived object: not a"
				    " JSON object");
	/* Derived from nothing that says otherwise: the node's default. */
	if (n == 0 && !has_marking(derived))
		tlp = FED_TLP_AMBER;
	/* What the producer asked for is a floor too (an alert's --tlp). */
	if (has_marking(derived) &&
	    (rc = fold(derived, NULL, &tlp, &local, &rcpt, err)) != TX_OK)
		goto out;
	for (i = 0; i < n; i++) {
		/* A source that is not an object cannot be read: we cannot say
		 * who may see it, so what comes of it stays here. */
		if (!json_is_object(sources[i])) {
			local = 1;
			if (tlp < FED_TLP_RED)
				tlp = FED_TLP_RED;
			continue;
		}
		if ((rc = fold(sources[i], origins ? origins[i] : NULL, &tlp,
			       &local, &rcpt, err)) != TX_OK)
			goto out;
	}
	if (tlp == FED_TLP_RED || rcpt != NULL) {
		if (rcpt == NULL && (rcpt = json_array()) == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		/* A RED derived object that is also to stay here names no one,
		 * so that no reading of it lets it out. */
		if (local)
			json_array_clear(rcpt);
		json_array_foreach(rcpt, i, x)
			if (self == NULL || strcmp(json_string_value(x), self) != 0)
				shared++;
		if (shared == 0)
			local = 1;
	}
	if ((refs = json_pack("[s]", fed_tlp_marking(tlp))) == NULL ||
	    json_object_set_new(derived, "object_marking_refs", refs) != 0) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (tlp == FED_TLP_RED || rcpt != NULL) {
		if (json_object_set_new(derived, FED_RECIPIENTS,
					sorted(rcpt)) != 0) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
	} else {
		json_object_del(derived, FED_RECIPIENTS);
	}
	if (local) {
		if (json_object_set_new(derived, FED_LOCAL, json_true()) != 0) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
	} else {
		json_object_del(derived, FED_LOCAL);
	}
	if (out != NULL) {
		out->tlp = tlp;
		out->local = local;
		out->n_recipients = rcpt != NULL ? json_array_size(rcpt) : 0;
	}
out:
	json_decref(rcpt);
	return rc;
}

tx_err fed_derive_marking(const json_t *const *sources, size_t n,
			  const char *self, json_t *derived,
			  struct fed_derivation *out, struct tx_error *err)
{
	return derive(sources, NULL, n, self, derived, out, err);
}

/* ---- sources read from the store ---- */

struct gather {
	json_t *list;     /* owned: every stored version of the ids */
	json_t *origins;  /* owned: the origin party of each, or null */
	size_t max;
	int nomem;
};

static int gather_row(void *ctx, const struct store_row *row)
{
	struct gather *g = ctx;
	json_t *o;

	if (json_array_size(g->list) >= g->max)
		return STORE_ROW_FAIL;
	/* The store holds valid JSON: a row that will not load means memory
	 * ran out, and a source left out could make the result too open. */
	if ((o = tx_json_load(row->json, row->json_len, 0, NULL)) == NULL ||
	    json_array_append_new(g->list, o) != 0 ||
	    json_array_append_new(g->origins, row->origin ?
				  json_string(row->origin) : json_null()) != 0) {
		g->nomem = 1;
		return STORE_ROW_FAIL;
	}
	return 0;
}

tx_err fed_derive_stored(tx_store *st, const char *const *ids, size_t n_ids,
			 const json_t *const *sources, size_t n,
			 const char *self, json_t *derived,
			 struct fed_derivation *out, struct tx_error *err)
{
	struct store_query q = { .ids = ids, .n_ids = n_ids,
				 .versions = { .all = 1 } };
	struct gather g = { json_array(), json_array(), FED_DERIVE_SOURCES_MAX,
			    0 };
	const json_t **all = NULL;
	const char **origins = NULL;
	size_t n_all = 0, i;
	json_t *x;
	tx_err rc;

	if (g.list == NULL || g.origins == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (n_ids > FED_DERIVE_SOURCES_MAX) {
		rc = tx_error_set(err, TX_ERR_TOOBIG, "derived from more than %d"
				  " objects", FED_DERIVE_SOURCES_MAX);
		goto out;
	}
	if (n_ids > 0 &&
	    (rc = store_query_every(st, &q, gather_row, &g, err)) != TX_OK) {
		if (g.nomem)
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		else if (json_array_size(g.list) >= g.max)
			rc = tx_error_set(err, TX_ERR_TOOBIG, "derived from more"
					  " than %d stored versions",
					  FED_DERIVE_SOURCES_MAX);
		goto out;
	}
	if ((all = calloc(json_array_size(g.list) + n + 1, sizeof(*all))) == NULL ||
	    (origins = calloc(json_array_size(g.list) + n + 1,
			      sizeof(*origins))) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* A source given that is exactly a stored version is taken as
	 * stored, with its origin; any other has no known origin. */
	for (i = 0; i < n; i++) {
		size_t k;
		json_t *y;
		int stored = 0;
		const char *sid = json_string_value(json_object_get(sources[i],
								    "id"));
		json_array_foreach(g.list, k, y) {
			const char *yid = json_string_value(json_object_get(y, "id"));
			if (sid != NULL && yid != NULL && strcmp(sid, yid) == 0 &&
			    json_equal((json_t *)sources[i], y)) {
				stored = 1;
				break;
			}
		}
		if (!stored)
			all[n_all++] = sources[i];
	}
	json_array_foreach(g.list, i, x) {
		origins[n_all] = json_string_value(json_array_get(g.origins, i));
		all[n_all++] = x;
	}
	rc = derive(all, origins, n_all, self, derived, out, err);
out:
	free(all);
	free(origins);
	json_decref(g.list);
	json_decref(g.origins);
	return rc;
}
