/*
 * policy/eval.c: the evaluator. Walks a validated policy over the facts of
 * one incident: factor scores (0-3, or undetermined), the weighted score
 * with its range over what is undetermined, the level, the rules in order
 * of precedence with three-valued logic (true, false, unknown), and the
 * result object. Integer arithmetic and ordered walks only, so the same
 * input gives byte-identical output.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"

enum tri { T_FALSE = 0, T_TRUE = 1, T_UNKNOWN = 2 };

/*
 * What is known of one fact: its value, or the values it may still take.
 * Numbers: [lo, hi] (hi may be INFINITY), whole numbers when integer.
 * Vocabularies and true/false: values, a list of the values still possible
 * (NULL: every value of the vocabulary, or both truth values). Sets: any.
 */
struct span {
	const struct fact_def *fd;
	const json_t *value;   /* borrowed; NULL when undetermined */
	double lo, hi;
	int integer;
	const json_t *values;  /* borrowed */
	const char *one;       /* set: the only value, as text (borrowed) */
};

static struct span span_of(const struct facts *f, const char *name)
{
	struct span sp = { .fd = policy_fact_find(name) };
	const json_t *p = json_object_get(f->possible, name);

	sp.value = json_object_get(f->facts, name);
	policy_fact_bounds(sp.fd, &sp.lo, &sp.hi, &sp.integer);
	if (sp.value != NULL && json_is_number(sp.value))
		sp.lo = sp.hi = json_number_value(sp.value);
	if (sp.value != NULL || p == NULL)
		return sp;
	if (json_is_array(p)) {
		sp.values = p;
	} else {
		const json_t *lo = json_object_get(p, "min");
		const json_t *hi = json_object_get(p, "max");
		if (lo != NULL && json_number_value(lo) > sp.lo)
			sp.lo = json_number_value(lo);
		if (hi != NULL && json_number_value(hi) < sp.hi)
			sp.hi = json_number_value(hi);
	}
	return sp;
}

/*
 * The n-th value an undetermined vocabulary or true/false fact may take, as
 * JSON (a new reference), or NULL past the last.
 */
static json_t *possible_value(const struct span *sp, size_t n)
{
	if (sp->values != NULL) {
		json_t *v = json_array_get(sp->values, n);
		return v ? json_incref(v) : NULL;
	}
	if (sp->fd != NULL && sp->fd->kind == FACT_BOOL)
		return n < 2 ? json_boolean(n == 1) : NULL;
	if (sp->fd != NULL && sp->fd->kind == FACT_STRING && sp->fd->values &&
	    n < 64) {
		for (size_t i = 0; i <= n; i++)
			if (sp->fd->values[i] == NULL)
				return NULL;
		return json_string(sp->fd->values[n]);
	}
	return NULL;
}

/*
 * The same as text without allocating: vocabulary values as they are,
 * truth values as "true" and "false" (the keys of a read's map).
 */
static const char *possible_str(const struct span *sp, size_t n)
{
	if (sp->one != NULL)
		return n == 0 ? sp->one : NULL;
	if (sp->values != NULL) {
		const json_t *v = json_array_get(sp->values, n);
		if (v == NULL)
			return NULL;
		if (json_is_boolean(v))
			return json_is_true(v) ? "true" : "false";
		return json_string_value(v);
	}
	if (sp->fd != NULL && sp->fd->kind == FACT_BOOL)
		return n == 0 ? "false" : n == 1 ? "true" : NULL;
	if (sp->fd != NULL && sp->fd->kind == FACT_STRING && sp->fd->values) {
		for (size_t i = 0; i <= n; i++)
			if (sp->fd->values[i] == NULL)
				return NULL;
		return sp->fd->values[n];
	}
	return NULL;
}

static int band_score(const json_t *bands, double v)
{
	size_t i;
	json_t *b;

	json_array_foreach(bands, i, b) {
		const json_t *lo = json_object_get(b, "min");
		const json_t *hi = json_object_get(b, "max");
		if (lo != NULL && v < json_number_value(lo))
			continue;
		if (hi != NULL && v > json_number_value(hi))
			continue;
		return (int)json_integer_value(json_object_get(b, "score"));
	}
	return 0;
}

/*
 * The least and greatest score bands give over [lo, hi]. The score only
 * changes where a value enters a band (its min) or leaves it (just past
 * its max), so it is enough to try lo and those points inside [lo, hi].
 */
static void band_range(const json_t *bands, const struct span *sp, int *smin,
		       int *smax)
{
	size_t i;
	json_t *b;

	*smin = *smax = band_score(bands, sp->lo);
	json_array_foreach(bands, i, b) {
		for (int end = 0; end < 2; end++) {
			const json_t *x = json_object_get(b, end ? "max" : "min");
			double v;
			int s;

			if (x == NULL)
				continue;
			v = json_number_value(x);
			if (end)
				v = sp->integer ? floor(v) + 1 : nextafter(v, INFINITY);
			else if (sp->integer)
				v = ceil(v);
			if (v < sp->lo || v > sp->hi)
				continue;
			s = band_score(bands, v);
			*smin = s < *smin ? s : *smin;
			*smax = s > *smax ? s : *smax;
		}
	}
}

/* The score one read gives a known value. */
static int read_score(const json_t *rd, const json_t *value)
{
	const json_t *bands = json_object_get(rd, "bands");
	const json_t *map = json_object_get(rd, "map");
	int best = 0;
	size_t i;
	json_t *m;

	if (bands != NULL)
		return band_score(bands, json_number_value(value));
	if (json_is_boolean(value))
		return (int)json_integer_value(json_object_get(
			map, json_is_true(value) ? "true" : "false"));
	if (json_is_string(value))
		return (int)json_integer_value(json_object_get(
			map, json_string_value(value)));
	json_array_foreach(value, i, m) {
		int s = (int)json_integer_value(json_object_get(
			map, json_string_value(m)));
		if (s > best)
			best = s;
	}
	return best;
}

/* The least and greatest score one read can give what sp allows. */
static void read_range(const json_t *rd, const struct span *sp, int *smin,
		       int *smax)
{
	const json_t *bands = json_object_get(rd, "bands");
	const json_t *map = json_object_get(rd, "map");
	const char *k;
	json_t *v;

	if (sp->value != NULL) {
		*smin = *smax = read_score(rd, sp->value);
		return;
	}
	if (bands != NULL) {
		band_range(bands, sp, smin, smax);
		return;
	}
	if (sp->fd != NULL && sp->fd->kind == FACT_SET) {
		/* any set, the empty one too: 0 up to the best mapped value */
		*smin = *smax = 0;
		json_object_foreach((json_t *)map, k, v)
			if (json_integer_value(v) > *smax)
				*smax = (int)json_integer_value(v);
		return;
	}
	*smin = 3;
	*smax = 0;
	{
		const char *t;
		for (size_t n = 0; (t = possible_str(sp, n)) != NULL; n++) {
			int s = (int)json_integer_value(json_object_get(map, t));
			*smin = s < *smin ? s : *smin;
			*smax = s > *smax ? s : *smax;
		}
	}
	if (*smin > *smax)  /* nothing possible: cannot happen, be safe */
		*smin = *smax = 0;
}

/* A fact's value as text. */
static void value_text(const json_t *v, char *out, size_t n)
{
	if (json_is_string(v)) {
		snprintf(out, n, "%s", json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(out, n, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		snprintf(out, n, "%g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		snprintf(out, n, "%s", json_is_true(v) ? "true" : "false");
	} else {
		char *d = tx_json_dumps(v, JSON_COMPACT);
		snprintf(out, n, "%s", d ? d : "?");
		free(d);
	}
}

/* What an undetermined fact may still be, as text ("0 or more", "one of"). */
static void span_text(const struct span *sp, char *out, size_t n)
{
	size_t used = 0, i;
	json_t *v;

	if (sp->fd != NULL && sp->fd->kind == FACT_NUMBER) {
		if (isinf(sp->hi))
			snprintf(out, n, "%g or more", sp->lo);
		else
			snprintf(out, n, "%g-%g", sp->lo, sp->hi);
		return;
	}
	if (sp->fd != NULL && sp->fd->kind == FACT_SET) {
		snprintf(out, n, "any set");
		return;
	}
	used = (size_t)snprintf(out, n, "one of");
	for (i = 0; (v = possible_value(sp, i)) != NULL && used < n; i++) {
		char t[64];
		value_text(v, t, sizeof(t));
		used += (size_t)snprintf(out + used, n - used, "%s %s", i ? "," : "",
					 t);
		json_decref(v);
	}
}

/* JSON for what an undetermined fact may still be (for "open_facts"). */
static json_t *span_json(const struct span *sp)
{
	json_t *out, *v;

	if (sp->fd != NULL && sp->fd->kind == FACT_NUMBER) {
		out = json_object();
		json_object_set_new(out, "min", sp->integer ? json_integer(
			(json_int_t)sp->lo) : json_real(sp->lo));
		if (!isinf(sp->hi))
			json_object_set_new(out, "max", sp->integer ? json_integer(
				(json_int_t)sp->hi) : json_real(sp->hi));
		return out;
	}
	if (sp->fd != NULL && sp->fd->kind == FACT_SET)
		return json_string("any");
	out = json_array();
	for (size_t i = 0; (v = possible_value(sp, i)) != NULL; i++)
		json_array_append_new(out, v);
	return out;
}

static void add_line(json_t *list, const char *line)
{
	size_t i;
	json_t *x;

	json_array_foreach(list, i, x)
		if (strcmp(json_string_value(x), line) == 0)
			return;
	json_array_append_new(list, json_string(line));
}

static void would_change(json_t *list, const char *fact)
{
	const struct fact_def *fd = policy_fact_find(fact);
	char line[TX_ERROR_MSG_MAX];

	snprintf(line, sizeof(line), "%s: %s", fact, fd ? fd->evidence : "?");
	add_line(list, line);
}

/*
 * "fact: evidence; tips" for an undetermined read that could raise its
 * factor above floor: the bands or values that would (what tips it).
 */
static void would_raise(json_t *list, const json_t *rd, const struct span *sp,
			int floor_)
{
	const json_t *bands = json_object_get(rd, "bands");
	const json_t *map = json_object_get(rd, "map");
	char line[TX_ERROR_MSG_MAX];
	size_t used, i;
	const char *sep = "; ";
	json_t *b;

	used = (size_t)snprintf(line, sizeof(line), "%s: %s", sp->fd->name,
				sp->fd->evidence);
	if (bands != NULL) {
		json_array_foreach(bands, i, b) {
			const json_t *lo = json_object_get(b, "min");
			const json_t *hi = json_object_get(b, "max");
			long long s = json_integer_value(json_object_get(b, "score"));
			/* only bands the fact can still reach */
			if (s <= floor_ || used >= sizeof(line) ||
			    (lo != NULL && json_number_value(lo) > sp->hi) ||
			    (hi != NULL && json_number_value(hi) < sp->lo))
				continue;
			if (lo != NULL && hi != NULL)
				used += (size_t)snprintf(line + used, sizeof(line) - used,
					"%s%g-%g -> %lld", sep, json_number_value(lo),
					json_number_value(hi), s);
			else if (lo != NULL)
				used += (size_t)snprintf(line + used, sizeof(line) - used,
					"%s%g or more -> %lld", sep,
					json_number_value(lo), s);
			else if (hi != NULL)
				used += (size_t)snprintf(line + used, sizeof(line) - used,
					"%s%g or less -> %lld", sep,
					json_number_value(hi), s);
			sep = ", ";
		}
	} else {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)map, k, v) {
			int reachable = sp->fd->kind == FACT_SET;
			json_t *pv;
			for (size_t n = 0; !reachable &&
			     (pv = possible_value(sp, n)) != NULL; n++) {
				char t[64];
				value_text(pv, t, sizeof(t));
				reachable = strcmp(t, k) == 0;
				json_decref(pv);
			}
			if (!reachable || json_integer_value(v) <= floor_ ||
			    used >= sizeof(line))
				continue;
			used += (size_t)snprintf(line + used, sizeof(line) - used,
						 "%s%s -> %lld", sep, k,
						 (long long)json_integer_value(v));
			sep = ", ";
		}
	}
	add_line(list, line);
}

/*
 * One factor: the least and greatest score it can have (equal when it is
 * determined), evidence, and which unknown facts would change it and how.
 * A criterion scores the best of its reads, so its range is the best of
 * its reads' least scores up to the best of their greatest.
 */
static void factor_range(const json_t *c, const struct facts *f, int *fmin,
			 int *fmax)
{
	size_t i;
	json_t *rd;

	*fmin = *fmax = 0;
	json_array_foreach(json_object_get(c, "reads"), i, rd) {
		struct span sp = span_of(f, json_string_value(json_object_get(rd,
								       "fact")));
		int a, b;
		read_range(rd, &sp, &a, &b);
		*fmin = a > *fmin ? a : *fmin;
		*fmax = b > *fmax ? b : *fmax;
	}
}

static json_t *factor(const json_t *c, const struct facts *f, int *fmin,
		      int *fmax)
{
	const json_t *reads = json_object_get(c, "reads");
	json_t *out = json_object(), *evidence = json_array(), *open = json_array();
	int lo = 0, hi = 0, ra[64], rb[64];   /* validation: at most 64 reads */
	struct span spans[64];
	size_t i;
	json_t *rd;

	if (out == NULL || evidence == NULL || open == NULL ||
	    json_array_size(reads) > 64) {
		json_decref(out);
		json_decref(evidence);
		json_decref(open);
		return NULL;
	}
	json_array_foreach(reads, i, rd) {
		spans[i] = span_of(f, json_string_value(json_object_get(rd, "fact")));
		read_range(rd, &spans[i], &ra[i], &rb[i]);
		lo = ra[i] > lo ? ra[i] : lo;
		hi = rb[i] > hi ? rb[i] : hi;
	}
	json_array_foreach(reads, i, rd) {
		const char *name = json_string_value(json_object_get(rd, "fact"));
		struct span sp = spans[i];
		const json_t *src = json_object_get(f->sources, name);
		char val[200], line[TX_ERROR_MSG_MAX];
		size_t j, used;
		json_t *s;
		int a = ra[i], b = rb[i];

		if (sp.value == NULL && b > lo)
			would_raise(open, rd, &sp, lo);
		if (sp.value == NULL && src == NULL)
			continue;
		if (sp.value != NULL) {
			value_text(sp.value, val, sizeof(val));
			used = (size_t)snprintf(line, sizeof(line), "%s = %s -> %d",
						name, val, a);
		} else {
			span_text(&sp, val, sizeof(val));
			used = (size_t)snprintf(line, sizeof(line),
						"%s undetermined, %s -> %d-%d", name,
						val, a, b);
		}
		/* Where the value came from, unless that is the value itself. */
		json_array_foreach(src, j, s) {
			const char *t = json_string_value(s);
			size_t nl = strlen(name);
			if (j >= 4 || used >= sizeof(line))
				break;
			if (strncmp(t, name, nl) == 0 && strncmp(t + nl, " = ", 3) == 0)
				continue;
			used += (size_t)snprintf(line + used, sizeof(line) - used,
						 "%s%s", j && strchr(line, '(') ?
						 "; " : " (", t);
		}
		if (strchr(line, '(') && used < sizeof(line) - 1)
			snprintf(line + used, sizeof(line) - used, ")");
		json_array_append_new(evidence, json_string(line));
	}
	json_object_set_new(out, "id", json_string(json_string_value(
					json_object_get(c, "id"))));
	if (lo == hi) {
		json_object_set_new(out, "score", json_integer(lo));
	} else {
		json_object_set_new(out, "undetermined", json_true());
		json_object_set_new(out, "score_range", json_pack("[i,i]", lo, hi));
	}
	json_object_set_new(out, "weight", json_integer(json_integer_value(
					json_object_get(c, "weight"))));
	json_object_set_new(out, "evidence", evidence);
	json_object_set_new(out, "would_change", open);
	*fmin = lo;
	*fmax = hi;
	return out;
}

/* Whether every (all) or no (none) value of sp satisfies leaf c. */
static enum tri leaf(const json_t *c, const struct span *sp)
{
	const json_t *x, *e;
	size_t i, n_yes = 0, n_all = 0;
	json_t *v;

	if ((x = json_object_get(c, "equals")) != NULL ||
	    (x = json_object_get(c, "in")) != NULL) {
		int is_in = json_object_get(c, "in") != NULL;
		if (sp->fd != NULL && sp->fd->kind == FACT_SET)
			return json_array_size(x) ? T_UNKNOWN : T_FALSE;
		const char *t;
		(void)v;
		for (i = 0; (t = possible_str(sp, i)) != NULL; i++) {
			int yes = 0;
			size_t j;
			n_all++;
			if (!is_in)
				yes = json_is_true(x) == (strcmp(t, "true") == 0);
			else
				json_array_foreach(x, j, e)
					yes |= strcmp(json_string_value(e), t) == 0;
			n_yes += (size_t)yes;
		}
		return n_yes == 0 ? T_FALSE : n_yes == n_all ? T_TRUE : T_UNKNOWN;
	}
	{
		const json_t *mn = json_object_get(c, "min");
		const json_t *mx = json_object_get(c, "max");
		double a = mn ? json_number_value(mn) : -INFINITY;
		double b = mx ? json_number_value(mx) : INFINITY;
		if (sp->hi < a || sp->lo > b || a > b)
			return T_FALSE;
		if (sp->lo >= a && sp->hi <= b)
			return T_TRUE;
		return T_UNKNOWN;
	}
}

/* A leaf as text, for "when": "deaths >= 1", "causation in (direct, ...)". */
static void leaf_text(const json_t *c, char *out, size_t n)
{
	const char *name = json_string_value(json_object_get(c, "fact"));
	const json_t *x, *mn = json_object_get(c, "min"), *mx = json_object_get(c, "max");
	size_t used, i;
	json_t *e;

	if ((x = json_object_get(c, "equals")) != NULL) {
		snprintf(out, n, "%s = %s", name, json_is_true(x) ? "true" : "false");
	} else if ((x = json_object_get(c, "in")) != NULL) {
		used = (size_t)snprintf(out, n, "%s in (", name);
		json_array_foreach(x, i, e)
			if (used < n)
				used += (size_t)snprintf(out + used, n - used, "%s%s",
							 i ? ", " : "",
							 json_string_value(e));
		if (used < n)
			snprintf(out + used, n - used, ")");
	} else if (mn != NULL && mx != NULL) {
		snprintf(out, n, "%g <= %s <= %g", json_number_value(mn), name,
			 json_number_value(mx));
	} else if (mn != NULL) {
		snprintf(out, n, "%s >= %g", name, json_number_value(mn));
	} else {
		snprintf(out, n, "%s <= %g", name, json_number_value(mx));
	}
}

/*
 * Three-valued evaluation of a condition over what is known. When it is
 * unknown, missing receives the facts whose values would settle it and
 * residual (n bytes) the part of the condition still open, as text (none
 * when n is 0: the combinations tried need only the verdict).
 */
static enum tri cond(const json_t *c, const struct facts *f, json_t *missing,
		     char *residual, size_t n)
{
	const json_t *all = json_object_get(c, "all");
	const json_t *any = json_object_get(c, "any");
	const char *name;
	struct span sp;
	enum tri r;
	size_t i, used = 0, parts = 0;
	json_t *e;

	if (n > 0)
		residual[0] = '\0';
	if (all != NULL || any != NULL) {
		int seen_unknown = 0;
		json_array_foreach(all ? all : any, i, e) {
			char sub[TX_ERROR_MSG_MAX];
			r = cond(e, f, missing, n > 0 ? sub : NULL, n > 0 ? sizeof(sub) : 0);
			if (r == T_UNKNOWN && n == 0) {
				seen_unknown = 1;
			} else if (r == T_UNKNOWN) {
				/* parentheses only around a part that joins
				 * several */
				int compound = strstr(sub, " and ") != NULL ||
					       strstr(sub, " or ") != NULL;
				seen_unknown = 1;
				if (used < n)
					used += (size_t)snprintf(residual + used,
						n - used, "%s%s%s%s",
						parts++ ? (all ? " and " : " or ") : "",
						compound ? "(" : "", sub,
						compound ? ")" : "");
			} else if (all != NULL && r == T_FALSE) {
				return T_FALSE;
			} else if (any != NULL && r == T_TRUE) {
				return T_TRUE;
			}
		}
		if (seen_unknown)
			return T_UNKNOWN;
		return all != NULL ? T_TRUE : T_FALSE;
	}
	name = json_string_value(json_object_get(c, "fact"));
	sp = span_of(f, name);
	if (sp.value != NULL && !json_is_number(sp.value)) {
		/* a known vocabulary value, truth value or set */
		sp.values = NULL;
		if (json_is_array(sp.value) && json_object_get(c, "in")) {
			size_t j;
			json_t *m, *x = json_object_get(c, "in");
			json_array_foreach(x, i, e)
				json_array_foreach(sp.value, j, m)
					if (strcmp(json_string_value(e),
						   json_string_value(m)) == 0)
						return T_TRUE;
			return T_FALSE;
		}
		/* judge the one value, whatever the kind */
		sp.one = json_is_boolean(sp.value) ?
			 (json_is_true(sp.value) ? "true" : "false") :
			 json_string_value(sp.value);
		sp.fd = NULL;
		r = sp.one ? leaf(c, &sp) : T_FALSE;
	} else {
		r = leaf(c, &sp);
	}
	if (r == T_UNKNOWN) {
		if (missing != NULL)
			would_change(missing, name);
		if (n > 0)
			leaf_text(c, residual, n);
	}
	return r;
}

/* round(100 * num / den), half up, in integers. */
static long long pct(long long num, long long den)
{
	return den > 0 ? (200 * num + den) / (2 * den) : 0;
}

static int level_of(const json_t *levels, long long score)
{
	int lv = 0;
	size_t i;
	json_t *l;

	json_array_foreach(levels, i, l)
		if (score >= json_integer_value(json_object_get(l, "min")))
			lv = (int)i;
	return lv;
}

static const json_t *tier_of(const json_t *doc, const char *id)
{
	size_t i;
	json_t *t;

	json_array_foreach(json_object_get(doc, "tiers"), i, t)
		if (strcmp(json_string_value(json_object_get(t, "id")), id) == 0)
			return t;
	return NULL;
}

/* The decisions from least to most severe; -1 for none of them. */
static const char *const decisions[] = { POLICY_BELOW, POLICY_SIGNIFICANT,
	POLICY_USE_OF_FORCE, POLICY_ARMED_ATTACK, NULL };

int policy_decision_rank(const char *decision)
{
	return decision ? policy_vocab_index(decisions, decision) : -1;
}

/* ---- exact ranges by enumeration ---- */

/* Caps on the combinations of undetermined facts tried one by one: at
 * most SCENARIOS_MAX, and at most SCENARIO_WORK reads and conditions
 * evaluated in all, so that a large policy costs a bounded multiple of
 * one assessment. */
#define SCENARIOS_MAX 2048
#define SCENARIO_WORK (1 << 17)

/* Reads and condition nodes of a policy: the work of one combination
 * (counted once, when the policy is read). */
size_t policy_doc_work(const json_t *doc)
{
	size_t n = 0, i;
	json_t *c;

	json_array_foreach(json_object_get(doc, "criteria"), i, c)
		n += json_array_size(json_object_get(c, "reads"));
	json_array_foreach(json_object_get(doc, "rules"), i, c) {
		char *d = tx_json_dumps(json_object_get(c, "when"), JSON_COMPACT);
		/* a node per "fact" (leaves) is close enough, and bounded */
		for (const char *q = d; q && (q = strstr(q, "\"fact\"")) != NULL; q++)
			n++;
		n++;
		free(d);
	}
	return n ? n : 1;
}

/* Add to names the fact of every leaf of c that is still unknown. */
static void open_leaves(const json_t *c, const struct facts *f, json_t *names)
{
	const json_t *sub = json_object_get(c, "all");
	size_t i;
	json_t *e;

	if (sub == NULL)
		sub = json_object_get(c, "any");
	if (sub != NULL) {
		json_array_foreach(sub, i, e)
			open_leaves(e, f, names);
		return;
	}
	if (cond(c, f, NULL, NULL, 0) == T_UNKNOWN)
		json_object_set_new(names, json_string_value(json_object_get(c, "fact")),
				    json_true());
}

/* Add to pts the value where a bound (min or max) of name starts to hold
 * or stops holding (see band_range). */
static void add_point(json_t *pts, const struct span *sp, const json_t *x,
		      int is_max)
{
	double v;
	size_t i;
	json_t *e;

	if (x == NULL)
		return;
	v = json_number_value(x);
	if (is_max)
		v = sp->integer ? floor(v) + 1 : nextafter(v, INFINITY);
	else if (sp->integer)
		v = ceil(v);
	if (v < sp->lo || v > sp->hi)
		return;
	json_array_foreach(pts, i, e)
		if (json_number_value(e) == v)
			return;
	json_array_append_new(pts, sp->integer ? json_integer((json_int_t)v) :
				   json_real(v));
}

static void cond_points(const json_t *c, const char *name,
			const struct span *sp, json_t *pts)
{
	const json_t *sub = json_object_get(c, "all");
	size_t i;
	json_t *e;

	if (sub == NULL)
		sub = json_object_get(c, "any");
	if (sub != NULL) {
		json_array_foreach(sub, i, e)
			cond_points(e, name, sp, pts);
		return;
	}
	if (strcmp(json_string_value(json_object_get(c, "fact")), name) != 0)
		return;
	add_point(pts, sp, json_object_get(c, "min"), 0);
	add_point(pts, sp, json_object_get(c, "max"), 1);
}

/* Whether a leaf on name of the policy's rules holds for v, appended to
 * sig as one character per leaf. */
static void cond_signature(const json_t *c, const char *name, const json_t *v,
			   char *sig, size_t n)
{
	const json_t *sub = json_object_get(c, "all");
	struct span sp = { 0 };
	size_t i, len;
	json_t *e, *one;

	if (sub == NULL)
		sub = json_object_get(c, "any");
	if (sub != NULL) {
		json_array_foreach(sub, i, e)
			cond_signature(e, name, v, sig, n);
		return;
	}
	if (strcmp(json_string_value(json_object_get(c, "fact")), name) != 0)
		return;
	if ((one = json_pack("[O]", v)) == NULL)
		return;
	sp.values = one;
	len = strlen(sig);
	if (len + 1 < n) {
		sig[len] = (char)('0' + leaf(c, &sp));
		sig[len + 1] = '\0';
	}
	json_decref(one);
}

/*
 * What the policy makes of one value of a vocabulary or truth-value fact:
 * the score of every read of it, whether every condition on it holds, and
 * (for effect_class's inputs) its position as effect_class sees it. Two
 * values with the same signature give the same assessment.
 */
static void value_signature(const json_t *doc, const char *name,
			    const struct fact_def *fd, const json_t *v,
			    char *sig, size_t n)
{
	size_t i, j, len;
	json_t *c, *rd;

	sig[0] = '\0';
	json_array_foreach(json_object_get(doc, "criteria"), i, c)
		json_array_foreach(json_object_get(c, "reads"), j, rd) {
			len = strlen(sig);
			if (strcmp(json_string_value(json_object_get(rd, "fact")),
				   name) == 0 && len + 1 < n) {
				sig[len] = (char)('0' + read_score(rd, v));
				sig[len + 1] = '\0';
			}
		}
	json_array_foreach(json_object_get(doc, "rules"), i, c)
		if (json_object_get(c, "when") != NULL)
			cond_signature(json_object_get(c, "when"), name, v, sig, n);
	if (json_is_string(v) && fd->values != NULL &&
	    policy_vocab_index(policy_effect_inputs, name) >= 0) {
		/* the thresholds policy_facts_derive_effect_class applies */
		int k = policy_vocab_index(fd->values, json_string_value(v));
		int bucket = strcmp(name, "physical_damage") == 0 ? (k >= 2 ? 2 : k) :
			     strcmp(name, "confidentiality") == 0 ? k >= 2 : k > 0;
		len = strlen(sig);
		if (len + 2 < n)
			snprintf(sig + len, n - len, "e%d", bucket);
	}
}

/*
 * The values worth trying for an undetermined fact: for a number, the
 * least it may be and every point inside its span where a band or a
 * condition on it changes; for a vocabulary or truth value, each value
 * still possible. NULL for a set (not enumerated).
 */
static json_t *representatives(const json_t *doc, const struct facts *f,
			       const char *name)
{
	struct span sp = span_of(f, name);
	json_t *pts, *c, *rd, *b, *v;
	size_t i, j, k;

	if (sp.fd == NULL || sp.fd->kind == FACT_SET)
		return NULL;
	if ((pts = json_array()) == NULL)
		return NULL;
	if (sp.fd->kind != FACT_NUMBER) {
		json_t *sigs = json_object();
		for (i = 0; sigs != NULL && (v = possible_value(&sp, i)) != NULL;
		     i++) {
			char sig[512];
			value_signature(doc, name, sp.fd, v, sig, sizeof(sig));
			if (json_object_get(sigs, sig) == NULL) {
				json_object_set_new(sigs, sig, json_true());
				json_array_append(pts, v);
			}
			json_decref(v);
		}
		json_decref(sigs);
		return pts;
	}
	json_array_append_new(pts, sp.integer ? json_integer((json_int_t)sp.lo) :
				   json_real(sp.lo));
	{	/* above zero: what effect_class asks of its inputs */
		json_t *zero = json_integer(0);
		add_point(pts, &sp, zero, 1);
		json_decref(zero);
	}
	json_array_foreach(json_object_get(doc, "criteria"), i, c)
		json_array_foreach(json_object_get(c, "reads"), j, rd) {
			if (strcmp(json_string_value(json_object_get(rd, "fact")),
				   name) != 0)
				continue;
			json_array_foreach(json_object_get(rd, "bands"), k, b) {
				add_point(pts, &sp, json_object_get(b, "min"), 0);
				add_point(pts, &sp, json_object_get(b, "max"), 1);
			}
		}
	json_array_foreach(json_object_get(doc, "rules"), i, c)
		if (json_object_get(c, "when") != NULL)
			cond_points(json_object_get(c, "when"), name, &sp, pts);
	return pts;
}

/* What the enumeration found: bounds, and which rules decided. */
struct reach {
	long long smin, smax;
	int lmin, lmax;
	int oom;         /* memory ran out: the findings are incomplete */
	json_t *rules;   /* rule id -> [level min, level max] */
};

/*
 * Assess one combination s of the facts the rules read (the facts only
 * factors read keep their spans): the score's bounds, and every rule that
 * can decide, with its level range, into out.
 */
static void scenario(const json_t *doc, struct facts *s, int derive_effect,
		     struct reach *out)
{
	const json_t *levels = json_object_get(doc, "levels");
	long long lo_sum = 0, hi_sum = 0, w_all = 0, smin, smax;
	int lmin, lmax;
	const json_t *c;
	json_t *lr;
	size_t i;

	if (derive_effect) {
		json_object_del(s->facts, "effect_class");
		json_object_del(s->possible, "effect_class");
		policy_facts_derive_effect_class(s);
	}
	json_array_foreach(json_object_get(doc, "criteria"), i, c) {
		long long w = json_integer_value(json_object_get(c, "weight"));
		int lo, hi;
		factor_range(c, s, &lo, &hi);
		lo_sum += w * lo;
		hi_sum += w * hi;
		w_all += w;
	}
	smin = pct(lo_sum, 3 * w_all);
	smax = pct(hi_sum, 3 * w_all);
	lmin = level_of(levels, smin);
	lmax = level_of(levels, smax);
	out->smin = smin < out->smin ? smin : out->smin;
	out->smax = smax > out->smax ? smax : out->smax;
	if (lmin == lmax)
		json_object_set_new(s->facts, "level", json_integer(lmin));
	else
		json_object_set_new(s->possible, "level", json_pack("{s:i, s:i}",
				    "min", lmin, "max", lmax));
	json_array_foreach(json_object_get(doc, "rules"), i, c) {
		const json_t *when = json_object_get(c, "when");
		const char *id = json_string_value(json_object_get(c, "id"));
		enum tri r = when ? cond(when, s, NULL, NULL, 0) : T_TRUE;
		int ml, lo, hi;

		if (r == T_FALSE)
			continue;
		ml = (int)json_integer_value(json_object_get(c, "min_level"));
		lo = lmin > ml ? lmin : ml;
		hi = lmax > ml ? lmax : ml;
		out->lmin = lo < out->lmin ? lo : out->lmin;
		out->lmax = hi > out->lmax ? hi : out->lmax;
		if ((lr = json_object_get(out->rules, id)) == NULL) {
			if (json_object_set_new(out->rules, id, json_pack("[i,i]", lo,
									  hi)) != 0)
				out->oom = 1;
		} else {
			if (lo < json_integer_value(json_array_get(lr, 0)))
				json_array_set_new(lr, 0, json_integer(lo));
			if (hi > json_integer_value(json_array_get(lr, 1)))
				json_array_set_new(lr, 1, json_integer(hi));
		}
		if (r == T_TRUE)
			break;
	}
}

/*
 * Try every combination of the representative values of the undetermined
 * facts the policy reads, when there are at most SCENARIOS_MAX. Returns 1
 * with out filled (out->rules caller-owned); 2 when no rule is left open
 * (the bounds are exact); 0 when there are too many or memory ran out
 * (the caller keeps the bounds).
 */
static int enumerate(const json_t *doc, size_t work, const struct facts *f,
		     struct reach *out)
{
	json_t *names = json_object(), *axes = json_array();
	struct facts s = { 0 };
	size_t i, n_axes, idx[64] = { 0 };
	unsigned long long total = 1;
	int derive_effect = 0, ok = 0;
	const char *k;
	json_t *c, *v;

	out->rules = NULL;
	if (names == NULL || axes == NULL)
		goto out;
	/* Only the facts of the conditions still unknown, in the rules that
	 * may decide (before the first that holds), need trying one by one:
	 * a condition already true or false stays so whatever is learnt, the
	 * facts only factors read keep exact ranges per factor, and the score
	 * enters the rules only through level thresholds, judged per
	 * combination from those ranges. */
	json_array_foreach(json_object_get(doc, "rules"), i, c) {
		const json_t *when = json_object_get(c, "when");
		enum tri r = when ? cond(when, f, NULL, NULL, 0) : T_TRUE;
		if (r == T_TRUE)
			break;
		if (r == T_UNKNOWN)
			open_leaves(when, f, names);
	}
	json_object_del(names, "level");
	for (i = 0; policy_effect_inputs[i] != NULL; i++)
		if (json_object_get(names, policy_effect_inputs[i]) != NULL)
			json_object_set_new(names, "effect_class", json_true());
	if (json_object_get(names, "effect_class") != NULL &&
	    json_object_get(f->facts, "effect_class") == NULL) {
		/* derived per combination from what it is made of */
		derive_effect = 1;
		json_object_del(names, "effect_class");
		for (i = 0; policy_effect_inputs[i] != NULL; i++)
			json_object_set_new(names, policy_effect_inputs[i],
					    json_true());
	}
	if (json_object_size(names) == 0) {
		/* no rule left open: the bounds are the answer */
		ok = 2;
		goto out;
	}
	json_object_foreach(names, k, v) {
		json_t *reps;
		if (json_object_get(f->facts, k) != NULL)
			continue;
		if ((reps = representatives(doc, f, k)) == NULL)
			goto out;
		if (json_array_size(reps) == 0) {  /* nothing to try: keep bounds */
			json_decref(reps);
			goto out;
		}
		if (json_array_append_new(axes, json_pack("{s:s, s:o}", "name", k,
							  "values", reps)) != 0)
			goto out;
		total *= json_array_size(reps);
		if (total > SCENARIOS_MAX || json_array_size(axes) > 64)
			goto out;
	}
	if (total * work > SCENARIO_WORK)
		goto out;
	n_axes = json_array_size(axes);
	out->smin = 100;
	out->smax = 0;
	out->lmin = 5;
	out->lmax = 0;
	if ((out->rules = json_object()) == NULL)
		goto out;
	/* one scratch copy, each combination written over the last */
	s.facts = json_copy(f->facts);
	s.possible = json_copy(f->possible);
	s.sources = json_object();
	s.contradictions = json_array();
	s.gaps = json_array();
	if (!s.facts || !s.possible || !s.sources || !s.contradictions || !s.gaps)
		goto out;
	for (unsigned long long t = 0; t < total; t++) {
		json_object_del(s.facts, "level");
		json_object_del(s.possible, "level");
		for (i = 0; i < n_axes; i++) {
			const json_t *ax = json_array_get(axes, i);
			const char *name = json_string_value(json_object_get(ax,
									     "name"));
			json_object_set(s.facts, name, json_array_get(
				json_object_get(ax, "values"), idx[i]));
			json_object_del(s.possible, name);
		}
		scenario(doc, &s, derive_effect, out);
		if (out->oom)
			goto out;
		for (i = 0; i < n_axes; i++) {  /* the next combination */
			const json_t *ax = json_array_get(axes, i);
			if (++idx[i] < json_array_size(json_object_get(ax, "values")))
				break;
			idx[i] = 0;
		}
	}
	ok = 1;
out:
	if (ok != 1) {
		json_decref(out->rules);
		out->rules = NULL;
	}
	policy_facts_free(&s);
	json_decref(names);
	json_decref(axes);
	return ok;
}

/* What assess has found so far, phase by phase: the factors and the score
 * they bound, the outcomes of the rules, what is still open. The json_t
 * members are owned until moved into the result. */
struct verdict {
	json_t *factors, *undetermined, *outcomes, *range, *open;
	const json_t *rule;  /* the first rule that must hold */
	long long smin, smax;
	int lmin, lmax;      /* the levels the score bounds give */
	int out_lo, out_hi;  /* the levels of the possible outcomes */
	int exact;           /* enumerate's answer: 1 every combination tried */
	unsigned seen;       /* bit k: decisions[k] is a possible outcome */
};

/* Phase 1: one factor per criterion, and the score's bounds from theirs. */
static tx_err score_factors(const json_t *doc, const struct facts *f,
			    struct verdict *v, struct tx_error *err)
{
	long long sum_lo = 0, sum_hi = 0, w_all = 0;
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(doc, "criteria"), i, c) {
		long long w = json_integer_value(json_object_get(c, "weight"));
		int lo = 0, hi = 0;
		json_t *fj = factor(c, f, &lo, &hi);

		if (fj == NULL)
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		json_array_append_new(v->factors, fj);
		w_all += w;
		sum_lo += w * lo;
		sum_hi += w * hi;
	}
	/* The score is monotone in each factor, so its bounds are those of
	 * the factors; rounding is monotone too. */
	v->smin = pct(sum_lo, 3 * w_all);
	v->smax = pct(sum_hi, 3 * w_all);
	return TX_OK;
}

/* Phase 2: the level as a fact (or the span of levels), after enumerate
 * has narrowed the score where it could. */
static void level_fact(const policy *p, struct facts *f, struct reach *reach,
		       struct verdict *v)
{
	const json_t *levels = json_object_get(p->doc, "levels");

	v->lmin = level_of(levels, v->smin);
	v->lmax = level_of(levels, v->smax);
	/* Bounds factor by factor and rule by rule can admit combinations
	 * no values give (a score reached only by the value that also makes
	 * an earlier rule hold); trying every combination removes them. */
	v->exact = enumerate(p->doc, p->work, f, reach);
	if (v->exact == 1) {
		v->smin = reach->smin;
		v->smax = reach->smax;
	}
	if (v->lmin == v->lmax)
		json_object_set_new(f->facts, "level", json_integer(v->lmin));
	else
		json_object_set_new(f->possible, "level", json_pack("{s:i, s:i}",
				    "min", v->lmin, "max", v->lmax));
	json_object_set_new(f->sources, "level", json_pack("[s]", "the score"));
}

/* Phase 3: rules in order of precedence: every rule that may hold before
 * the first that must is a possible outcome. */
static tx_err rule_outcomes(const json_t *doc, struct facts *f,
			    const struct reach *reach, struct verdict *v,
			    struct tx_error *err)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(doc, "rules"), i, c) {
		const json_t *when = json_object_get(c, "when");
		char residual[TX_ERROR_MSG_MAX];
		json_t *missing = json_array();
		enum tri r = when ? cond(when, f, missing, residual,
					 sizeof(residual)) : T_TRUE;
		int ml = (int)json_integer_value(json_object_get(c, "min_level"));
		int lo = v->lmin > ml ? v->lmin : ml, hi = v->lmax > ml ? v->lmax : ml;
		const char *d = json_string_value(json_object_get(c, "decision"));

		if (v->exact == 1 && r != T_FALSE) {
			const json_t *lr = json_object_get(reach->rules,
				json_string_value(json_object_get(c, "id")));
			if (lr == NULL && r == T_UNKNOWN) {
				r = T_FALSE;  /* no combination of values reaches it */
			} else if (lr != NULL) {
				lo = (int)json_integer_value(json_array_get(lr, 0));
				hi = (int)json_integer_value(json_array_get(lr, 1));
			}
		}
		if (r == T_FALSE) {
			json_decref(missing);
			continue;
		}
		v->out_lo = lo < v->out_lo ? lo : v->out_lo;
		v->out_hi = hi > v->out_hi ? hi : v->out_hi;
		v->seen |= 1u << policy_decision_rank(d);
		json_array_append_new(v->outcomes, json_pack("{s:s, s:s, s:s, s:[i,i], s:b}",
			"rule", json_string_value(json_object_get(c, "id")),
			"decision", d,
			"tier", json_string_value(json_object_get(c, "tier")),
			"level_range", lo, hi, "holds", r == T_TRUE));
		if (r == T_TRUE) {
			v->rule = c;
			json_decref(missing);
			break;
		}
		json_array_append_new(v->undetermined, json_pack("{s:s, s:s, s:s, s:o}",
			"rule", json_string_value(json_object_get(c, "id")),
			"decision", d, "when", residual, "would_change", missing));
	}
	if (v->rule == NULL) /* validation guarantees a default rule */
		return tx_error_set(err, TX_ERR_INTERNAL, "no rule applied");
	for (int k = 0; decisions[k] != NULL; k++)
		if (v->seen >> k & 1)
			json_array_append_new(v->range, json_string(decisions[k]));
	for (i = 0; i < policy_n_facts; i++) {
		struct span sp = span_of(f, policy_facts[i].name);
		if (sp.value == NULL && strcmp(policy_facts[i].name, "level") != 0)
			json_object_set_new(v->open, policy_facts[i].name, span_json(&sp));
	}
	return TX_OK;
}

/* Phase 4: the result, its parts moved out of v (v's members set NULL). */
static void result_json(const policy *p, const policy_incident *inc,
			const struct policy_standing *standing,
			struct facts *f, struct verdict *v, json_t *res)
{
	const json_t *levels = json_object_get(p->doc, "levels");
	const json_t *tier = tier_of(p->doc, tx_json_str(v->rule, "tier"));

	json_object_set_new(res, "incident", json_string(inc->id));
	json_object_set_new(res, "decision", json_string(json_array_size(v->range) == 1 ?
		json_string_value(json_array_get(v->range, 0)) : POLICY_UNDETERMINED));
	json_object_set_new(res, "decision_range", v->range);
	v->range = NULL;
	json_object_set_new(res, "outcomes", v->outcomes);
	v->outcomes = NULL;
	json_object_set_new(res, "rule", json_string(tx_json_str(v->rule, "id")));
	json_object_set_new(res, "explanation", json_string(
				    tx_json_str(v->rule, "explanation")));
	json_object_set_new(res, "level", json_integer(v->out_lo));
	json_object_set_new(res, "level_name", json_string(tx_json_str(
		json_array_get(levels, (size_t)v->out_lo), "name")));
	json_object_set_new(res, "level_range", json_pack("[i,i]", v->out_lo, v->out_hi));
	json_object_set_new(res, "score", json_integer(v->smin));
	json_object_set_new(res, "score_range", json_pack("[I,I]", v->smin, v->smax));
	json_object_set_new(res, "ranges", json_string(v->exact ? "exact" : "bounds"));
	json_object_set_new(res, "factors", v->factors);
	v->factors = NULL;
	json_object_set_new(res, "undetermined", v->undetermined);
	v->undetermined = NULL;
	json_object_set(res, "contradictions", f->contradictions);
	json_object_set(res, "gaps", f->gaps);
	json_object_del(f->facts, "level");
	json_object_set(res, "facts", f->facts);
	json_object_set_new(res, "open_facts", v->open);
	v->open = NULL;
	json_object_set_new(res, "tier", json_string(tx_json_str(tier, "id")));
	json_object_set_new(res, "tier_title", json_string(tx_json_str(tier, "title")));
	json_object_set_new(res, "tier_text", json_string(tx_json_str(tier, "text")));
	json_object_set_new(res, "policy_version", json_string(p->version));
	json_object_set_new(res, "policy_digest", json_string(p->digest));
	json_object_set_new(res, "ratified", json_boolean(standing && standing->ratified));
	json_object_set_new(res, "policy_note", json_string(
		standing && standing->note[0] ? standing->note : ""));
}

static tx_err assess(const policy *p, const policy_incident *inc,
		     const struct policy_standing *standing, json_t **result,
		     struct tx_error *err)
{
	const json_t *oos_j = json_object_get(json_object_get(p->doc, "parameters"),
					      "out_of_service_availability");
	struct verdict v = { .out_lo = 5, .out_hi = 0 };
	struct facts f = { 0 };
	struct reach reach = { 0 };
	json_t *res = NULL;
	tx_err rc;

	*result = NULL;
	if ((rc = policy_incident_facts(inc, oos_j ? (double)json_integer_value(oos_j) : 80,
				 &f, err)) != TX_OK)
		return rc;
	res = json_object();
	v.factors = json_array();
	v.undetermined = json_array();
	v.outcomes = json_array();
	v.range = json_array();
	v.open = json_object();
	if (res == NULL || v.factors == NULL || v.undetermined == NULL ||
	    v.outcomes == NULL || v.range == NULL || v.open == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = score_factors(p->doc, &f, &v, err)) != TX_OK)
		goto out;
	level_fact(p, &f, &reach, &v);
	if ((rc = rule_outcomes(p->doc, &f, &reach, &v, err)) != TX_OK)
		goto out;
	result_json(p, inc, standing, &f, &v, res);
	*result = res;
	res = NULL;
out:
	json_decref(res);
	json_decref(v.factors);
	json_decref(v.undetermined);
	json_decref(v.outcomes);
	json_decref(v.range);
	json_decref(v.open);
	json_decref(reach.rules);
	policy_facts_free(&f);
	return rc;
}

tx_err policy_assess(const policy *p, const policy_incident *inc,
		     const struct policy_standing *standing, json_t **result,
		     struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	tx_err rc = assess(p, inc, standing, result, err);

	/* a result missing a part that could not be allocated is no result */
	if (rc == TX_OK && (*result = tx_json_whole(jf, *result)) == NULL)
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return rc;
}

/* ---- presentation ---- */

char *policy_result_text(const json_t *r)
{
	struct tx_buf b;
	const json_t *x;
	size_t i;
	json_t *e;
	char upper[64];
	const char *d = json_string_value(json_object_get(r, "decision"));

	if (d == NULL)
		return NULL;
	tx_buf_init(&b, 1024 * 1024);
	for (i = 0; d[i] && i + 1 < sizeof(upper); i++)
		upper[i] = d[i] == '-' ? ' ' :
			   (d[i] >= 'a' && d[i] <= 'z') ? (char)(d[i] - 32) : d[i];
	upper[i] = '\0';
	if (strcmp(d, POLICY_UNDETERMINED) == 0) {
		tx_buf_printf(&b, "%s: %s: possibly",
			      json_string_value(json_object_get(r, "incident")), upper);
		json_array_foreach(json_object_get(r, "decision_range"), i, e)
			tx_buf_printf(&b, "%s %s", i ? "," : "", json_string_value(e));
		tx_buf_printf(&b, "\n  if the undetermined rules below do not hold: rule %s\n",
			      json_string_value(json_object_get(r, "rule")));
	} else {
		tx_buf_printf(&b, "%s: %s (rule %s)\n",
			      json_string_value(json_object_get(r, "incident")), upper,
			      json_string_value(json_object_get(r, "rule")));
	}
	tx_buf_printf(&b, "  %s\n", json_string_value(json_object_get(r,
								   "explanation")));
	x = json_object_get(r, "score_range");
	e = json_object_get(r, "level_range");
	tx_buf_printf(&b, "level %lld (%s), range %lld-%lld; score %lld, range"
		      " %lld-%lld (over every value the undetermined facts can"
		      " take)\n",
		      (long long)json_integer_value(json_object_get(r, "level")),
		      json_string_value(json_object_get(r, "level_name")),
		      (long long)json_integer_value(json_array_get(e, 0)),
		      (long long)json_integer_value(json_array_get(e, 1)),
		      (long long)json_integer_value(json_object_get(r, "score")),
		      (long long)json_integer_value(json_array_get(x, 0)),
		      (long long)json_integer_value(json_array_get(x, 1)));
	tx_buf_printf(&b, "tier: %s - %s\n  %s\n",
		      json_string_value(json_object_get(r, "tier")),
		      json_string_value(json_object_get(r, "tier_title")),
		      json_string_value(json_object_get(r, "tier_text")));
	tx_buf_printf(&b, "policy %s, %s%s%s\n",
		      json_string_value(json_object_get(r, "policy_version")),
		      json_is_true(json_object_get(r, "ratified")) ? "ratified"
								   : "NOT RATIFIED",
		      json_string_length(json_object_get(r, "policy_note")) ? ": " : "",
		      json_string_value(json_object_get(r, "policy_note")));
	tx_buf_puts(&b, "\nfactors (0-3):\n");
	json_array_foreach(json_object_get(r, "factors"), i, e) {
		const json_t *ev = json_object_get(e, "evidence");
		const json_t *wc = json_object_get(e, "would_change");
		size_t j;
		json_t *s;

		if (json_is_true(json_object_get(e, "undetermined")))
			tx_buf_printf(&b, "  %-22s undetermined, %lld-%lld\n",
				      json_string_value(json_object_get(e, "id")),
				      (long long)json_integer_value(json_array_get(
					      json_object_get(e, "score_range"), 0)),
				      (long long)json_integer_value(json_array_get(
					      json_object_get(e, "score_range"), 1)));
		else
			tx_buf_printf(&b, "  %-22s %lld\n",
				      json_string_value(json_object_get(e, "id")),
				      (long long)json_integer_value(
					      json_object_get(e, "score")));
		json_array_foreach(ev, j, s)
			tx_buf_printf(&b, "      %s\n", json_string_value(s));
		json_array_foreach(wc, j, s)
			tx_buf_printf(&b, "      unknown: %s\n", json_string_value(s));
	}
	x = json_object_get(r, "undetermined");
	if (json_array_size(x) > 0) {
		tx_buf_puts(&b, "\nrules of higher precedence left undetermined:\n");
		json_array_foreach(x, i, e) {
			size_t j;
			json_t *s;
			tx_buf_printf(&b, "  %s (%s) holds if %s; would need:\n",
				      json_string_value(json_object_get(e, "rule")),
				      json_string_value(json_object_get(e, "decision")),
				      json_string_value(json_object_get(e, "when")));
			json_array_foreach(json_object_get(e, "would_change"), j, s)
				tx_buf_printf(&b, "      %s\n", json_string_value(s));
		}
	}
	x = json_object_get(r, "contradictions");
	if (json_array_size(x) > 0) {
		tx_buf_puts(&b, "\ncontradictions:\n");
		json_array_foreach(x, i, e)
			tx_buf_printf(&b, "  %s\n", json_string_value(e));
	}
	x = json_object_get(r, "gaps");
	if (json_array_size(x) > 0) {
		tx_buf_puts(&b, "\ngaps:\n");
		json_array_foreach(x, i, e)
			tx_buf_printf(&b, "  %s\n", json_string_value(e));
	}
	tx_buf_puts(&b, "\ndecision support only: trilex never acts by itself.\n");
	return tx_buf_take(&b);
}

tx_err policy_result_note(const json_t *result, const char *party,
			  json_t **note, struct tx_error *err)
{
	char uuid[TX_UUID_BUF], id[64], now[TX_TIME_BUF], abstract[300];
	char *text = policy_result_text(result);
	json_t *n;

	*note = NULL;
	if (text == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	tx_uuid4(uuid);
	snprintf(id, sizeof(id), "note--%s", uuid);
	tx_time_format_ms(tx_time_now_us(), now);
	snprintf(abstract, sizeof(abstract),
		 "trilex use-of-force assessment by %s: %s, level %lld, policy %s%s",
		 party, json_string_value(json_object_get(result, "decision")),
		 (long long)json_integer_value(json_object_get(result, "level")),
		 json_string_value(json_object_get(result, "policy_version")),
		 json_is_true(json_object_get(result, "ratified")) ? "" :
		 " (not ratified)");
	n = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s], s:{s:{s:s, s:s, s:O}}}",
		      "type", "note", "spec_version", "2.1", "id", id,
		      "created", now, "modified", now, "abstract", abstract,
		      "content", text, "authors", party, "object_refs",
		      json_string_value(json_object_get(result, "incident")),
		      "extensions", POLICY_EXT_ASSESSMENT, "extension_type",
		      "property-extension", "party", party, "assessment", result);
	free(text);
	if (n == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "cannot make the note");
	*note = n;
	return TX_OK;
}
