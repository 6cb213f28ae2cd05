/*
 * pattern/simple.c: the values of a pattern that is nothing but equalities,
 * for exports to sensors and for warning-list checks. A sensor's list
 * (a Suricata dataset, a Zeek Intel file) can say "this value", not
 * "this value and that one in the same event" nor "five times within a
 * minute": only a pattern that is an OR of such values becomes entries.
 */
#include <string.h>

#include "pattern/internal.h"

static tx_err refuse(struct tx_error *err, const char *why)
{
	return tx_error_set(err, TX_ERR_INVALID, "%s", why);
}

static tx_err hand(const struct px_test *t, const struct px_lit *lit,
		   struct tx_buf *path, pattern_value_fn fn, void *ctx,
		   struct tx_error *err)
{
	if (lit->kind != LIT_STR)
		return refuse(err, "a comparison with a value that is not a string");
	return fn(ctx, path->data, path->len, lit->s, lit->len) == 0
	       ? TX_OK : tx_error_set(err, TX_ERR_NOMEM, "out of memory");
}

static tx_err walk_cmp(const struct px_node *n, pattern_value_fn fn, void *ctx,
		       struct tx_error *err)
{
	struct tx_buf path;
	const struct px_test *t;
	tx_err rc;

	if (n->kind == PX_OR) {
		if ((rc = walk_cmp(n->a, fn, ctx, err)) != TX_OK)
			return rc;
		return walk_cmp(n->b, fn, ctx, err);
	}
	if (n->kind == PX_AND)
		return refuse(err, "an AND of comparisons (all in one event)");
	if (n->kind != PX_TEST)
		return refuse(err, "not a comparison");
	t = n->t;
	if (t->negated)
		return refuse(err, "a negated comparison");
	if (t->op != OP_EQ && t->op != OP_IN)
		return refuse(err, "an operator other than = and IN");
	tx_buf_init(&path, 4096);
	if ((rc = pattern_path_canon(&t->path, 1, &path)) != TX_OK) {
		tx_buf_free(&path);
		return tx_error_set(err, rc, "path too long");
	}
	if (t->op == OP_EQ) {
		rc = hand(t, &t->lit, &path, fn, ctx, err);
	} else {
		rc = TX_OK;
		for (size_t i = 0; i < t->n_set && rc == TX_OK; i++)
			rc = hand(t, &t->set[i], &path, fn, ctx, err);
	}
	tx_buf_free(&path);
	return rc;
}

static tx_err walk_obs(const struct px_node *n, pattern_value_fn fn, void *ctx,
		       struct tx_error *err)
{
	tx_err rc;

	switch (n->kind) {
	case PX_OBS_OR:
		if ((rc = walk_obs(n->a, fn, ctx, err)) != TX_OK)
			return rc;
		return walk_obs(n->b, fn, ctx, err);
	case PX_OBS:
		return walk_cmp(n->a, fn, ctx, err);
	case PX_FOLLOWEDBY:
		return refuse(err, "FOLLOWEDBY (a sequence of observations)");
	case PX_OBS_AND:
		return refuse(err, "an AND of observations");
	case PX_STARTSTOP:
	case PX_WITHIN:
	case PX_REPEATS:
		return refuse(err, "a qualifier (START/STOP, WITHIN, REPEATS)");
	default:
		return refuse(err, "not an observation expression");
	}
}

tx_err pattern_equalities(const pattern *p, pattern_value_fn fn, void *ctx,
			  struct tx_error *err)
{
	if (p == NULL || p->root == NULL)
		return refuse(err, "no pattern");
	return walk_obs(p->root, fn, ctx, err);
}
