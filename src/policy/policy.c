/*
 * policy/policy.c: the policy format, its loader and full validation.
 *
 * Design. A policy is data, not code: criteria (the Tallinn factors) read
 * named facts of the fact catalog (policy/incident.c) and score them 0-3
 * through bands (numbers) or maps (vocabulary values); a weighted sum
 * gives a score 0-100 and levels 0-5 by score band; rules, in order of
 * precedence, each a condition tree over facts, give the decision and the
 * response tier. The whole document is checked once, here, reporting every
 * problem with its JSON path; the evaluator (policy/eval.c) then walks the
 * validated JSON and trusts its shape. Invariants after policy_parse:
 * every id is unique in its list, every fact named exists and is used
 * with an operator of its kind, every rule names a tier that exists, the
 * last rule has no condition (the default), the six levels 0-5 come in
 * order with increasing score bounds starting at 0.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"

#define MAX_LIST 64
#define MAX_TEXT 4000
#define MAX_DEPTH 8
#define MAX_NODES 256

/* Validation state: the problems found so far. */
struct vctx {
	json_t *problems;    /* borrowed; may be NULL */
	size_t n;
	int lost;            /* a problem not listed (out of memory) */
	char first[TX_ERROR_MSG_MAX];
	int nodes;           /* condition nodes seen */
	const json_t *tiers; /* borrowed, for rule.tier lookups */
};

static void prob(struct vctx *v, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void prob(struct vctx *v, const char *path, const char *fmt, ...)
{
	char msg[TX_ERROR_MSG_MAX], line[TX_ERROR_MSG_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s", path[0] ? path : "(document)",
		 msg);
	if (v->n == 0)
		tx_strfmt(v->first, sizeof(v->first), "%s", line);
	if (v->problems != NULL && v->n < POLICY_PROBLEMS_MAX &&
	    json_array_append_new(v->problems, json_string(line)) != 0)
		v->lost = 1;
	v->n++;
}

/* Report members of obj not in the NULL-terminated list allowed. */
static void check_members(struct vctx *v, const char *path, const json_t *obj,
			  const char *const *allowed)
{
	const char *key;
	json_t *val;
	char p[512];

	json_object_foreach((json_t *)obj, key, val) {
		size_t i;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL) {
			snprintf(p, sizeof(p), "%s%s%.64s", path, path[0] ? "." : "",
				 key);
			prob(v, p, "unknown member");
		}
	}
}

static void join(char *out, size_t n, const char *path, const char *key)
{
	tx_strfmt(out, n, "%s%s%s", path, path[0] ? "." : "", key);
}

/* A required (or optional) string of 1..max characters. */
static const char *want_string(struct vctx *v, const char *path,
			       const json_t *obj, const char *key, size_t max,
			       int required)
{
	const json_t *s = json_object_get(obj, key);
	char p[512];

	join(p, sizeof(p), path, key);
	if (s == NULL) {
		if (required)
			prob(v, p, "required member missing");
		return NULL;
	}
	if (!json_is_string(s) || json_string_length(s) == 0 ||
	    json_string_length(s) > max) {
		prob(v, p, "must be a string of 1-%zu characters", max);
		return NULL;
	}
	if (strlen(json_string_value(s)) != json_string_length(s)) {
		prob(v, p, "must not hold NUL characters");
		return NULL;
	}
	return json_string_value(s);
}

/* A required integer in [min, max]; returns 1 when good. */
static int want_int(struct vctx *v, const char *path, const json_t *obj,
		    const char *key, long long min, long long max, int required,
		    long long *out)
{
	const json_t *x = json_object_get(obj, key);
	char p[512];

	join(p, sizeof(p), path, key);
	if (x == NULL) {
		if (required)
			prob(v, p, "required member missing");
		return 0;
	}
	if (!json_is_integer(x) || json_integer_value(x) < min ||
	    json_integer_value(x) > max) {
		prob(v, p, "must be an integer %lld-%lld", min, max);
		return 0;
	}
	if (out != NULL)
		*out = json_integer_value(x);
	return 1;
}

/* A list of 1..max entries; returns it or NULL. */
static const json_t *want_list(struct vctx *v, const char *path,
			       const json_t *obj, const char *key, size_t max)
{
	const json_t *a = json_object_get(obj, key);
	char p[512];

	join(p, sizeof(p), path, key);
	if (a == NULL) {
		prob(v, p, "required member missing");
		return NULL;
	}
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > max) {
		prob(v, p, "must be a list of 1-%zu entries", max);
		return NULL;
	}
	return a;
}

/* An id: 1-64 of [a-z0-9-], unique among the first i entries of list. */
static const char *want_id(struct vctx *v, const char *path, const json_t *obj,
			   const json_t *list, size_t i)
{
	const char *id = want_string(v, path, obj, "id", 64, 1);
	char p[512];

	if (id == NULL)
		return NULL;
	join(p, sizeof(p), path, "id");
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      *c == '-')) {
			prob(v, p, "must hold only a-z, 0-9 and '-'");
			return NULL;
		}
	for (size_t j = 0; j < i; j++) {
		const char *o = json_string_value(
			json_object_get(json_array_get(list, j), "id"));
		if (o != NULL && strcmp(o, id) == 0) {
			prob(v, p, "\"%s\" is used twice", id);
			return NULL;
		}
	}
	return id;
}

static int is_number(const json_t *x)
{
	return json_is_integer(x) || json_is_real(x);
}

/* One scorer of a criterion: {"fact", "bands"} or {"fact", "map"}. */
static void check_read(struct vctx *v, const char *path, const json_t *rd)
{
	static const char *const members[] = { "fact", "bands", "map", "note",
					       NULL };
	const struct fact_def *fd;
	const json_t *bands, *map;
	const char *name, *key;
	json_t *val;
	char p[512];

	if (!json_is_object(rd)) {
		prob(v, path, "must be an object");
		return;
	}
	check_members(v, path, rd, members);
	want_string(v, path, rd, "note", MAX_TEXT, 0);
	if ((name = want_string(v, path, rd, "fact", 64, 1)) == NULL)
		return;
	join(p, sizeof(p), path, "fact");
	if ((fd = policy_fact_find(name)) == NULL) {
		prob(v, p, "no fact \"%s\" (see docs/policy.md for the catalog)",
		     name);
		return;
	}
	bands = json_object_get(rd, "bands");
	map = json_object_get(rd, "map");
	if ((bands == NULL) == (map == NULL)) {
		prob(v, path, "needs exactly one of \"bands\" and \"map\"");
		return;
	}
	if (bands != NULL) {
		if (fd->kind != FACT_NUMBER) {
			join(p, sizeof(p), path, "bands");
			prob(v, p, "fact \"%s\" is not a number: use \"map\"",
			     name);
			return;
		}
		if ((bands = want_list(v, path, rd, "bands", 16)) == NULL)
			return;
		for (size_t i = 0; i < json_array_size(bands); i++) {
			static const char *const bm[] = { "min", "max", "score",
							  NULL };
			const json_t *b = json_array_get(bands, i);
			const json_t *lo, *hi;
			char bp[512];

			tx_strfmt(bp, sizeof(bp), "%s.bands[%zu]", path, i);
			if (!json_is_object(b)) {
				prob(v, bp, "must be an object");
				continue;
			}
			check_members(v, bp, b, bm);
			want_int(v, bp, b, "score", 0, 3, 1, NULL);
			lo = json_object_get(b, "min");
			hi = json_object_get(b, "max");
			if (lo == NULL && hi == NULL)
				prob(v, bp, "needs \"min\", \"max\" or both");
			if (lo != NULL && !is_number(lo)) {
				join(p, sizeof(p), bp, "min");
				prob(v, p, "must be a number");
			}
			if (hi != NULL && !is_number(hi)) {
				join(p, sizeof(p), bp, "max");
				prob(v, p, "must be a number");
			}
			if (is_number(lo) && is_number(hi) &&
			    json_number_value(lo) > json_number_value(hi))
				prob(v, bp, "min is above max");
		}
		return;
	}
	join(p, sizeof(p), path, "map");
	if (fd->kind == FACT_NUMBER) {
		prob(v, p, "fact \"%s\" is a number: use \"bands\"", name);
		return;
	}
	if (!json_is_object(map) || json_object_size(map) == 0 ||
	    json_object_size(map) > 32) {
		prob(v, p, "must be an object of 1-32 value: score members");
		return;
	}
	json_object_foreach((json_t *)map, key, val) {
		char mp[512];

		tx_strfmt(mp, sizeof(mp), "%s.%.64s", p, key);
		if (fd->kind == FACT_BOOL && strcmp(key, "true") != 0 &&
		    strcmp(key, "false") != 0)
			prob(v, mp, "fact \"%s\" is true or false", name);
		if (fd->kind == FACT_STRING && policy_vocab_index(fd->values, key) < 0)
			prob(v, mp, "not a value of fact \"%s\"", name);
		if (!json_is_integer(val) || json_integer_value(val) < 0 ||
		    json_integer_value(val) > 3)
			prob(v, mp, "must be an integer 0-3");
	}
}

static void check_criterion(struct vctx *v, const char *path, const json_t *c,
			    const json_t *list, size_t i)
{
	static const char *const members[] = { "id", "title", "weight",
					       "explanation", "anchor", "reads",
					       NULL };
	const json_t *reads;

	if (!json_is_object(c)) {
		prob(v, path, "must be an object");
		return;
	}
	check_members(v, path, c, members);
	want_id(v, path, c, list, i);
	want_string(v, path, c, "title", 200, 0);
	want_int(v, path, c, "weight", 1, 100, 1, NULL);
	want_string(v, path, c, "explanation", MAX_TEXT, 1);
	want_string(v, path, c, "anchor", MAX_TEXT, 0);
	if ((reads = want_list(v, path, c, "reads", 16)) == NULL)
		return;
	for (size_t j = 0; j < json_array_size(reads); j++) {
		char p[512];
		snprintf(p, sizeof(p), "%s.reads[%zu]", path, j);
		check_read(v, p, json_array_get(reads, j));
	}
}

/* A condition: {"all"|"any": [...]} or {"fact", "min"|"max"|"in"|"equals"}. */
static void check_cond(struct vctx *v, const char *path, const json_t *c,
		       int depth)
{
	static const char *const leaf[] = { "fact", "min", "max", "in", "equals",
					    NULL };
	const json_t *all = json_object_get(c, "all");
	const json_t *any = json_object_get(c, "any");
	const struct fact_def *fd;
	const char *name;
	char p[512];
	int ops = 0;

	if (++v->nodes > MAX_NODES) {
		if (v->nodes == MAX_NODES + 1)
			prob(v, path, "more than %d condition nodes", MAX_NODES);
		return;
	}
	if (!json_is_object(c)) {
		prob(v, path, "must be an object");
		return;
	}
	if (depth > MAX_DEPTH) {
		prob(v, path, "conditions nested deeper than %d", MAX_DEPTH);
		return;
	}
	if (all != NULL || any != NULL) {
		const char *key = all != NULL ? "all" : "any";
		const json_t *list = all != NULL ? all : any;

		if (json_object_size(c) != 1) {
			prob(v, path, "\"%s\" must stand alone", key);
			return;
		}
		join(p, sizeof(p), path, key);
		if (!json_is_array(list) || json_array_size(list) == 0 ||
		    json_array_size(list) > 32) {
			prob(v, p, "must be a list of 1-32 conditions");
			return;
		}
		for (size_t i = 0; i < json_array_size(list); i++) {
			char cp[512];
			tx_strfmt(cp, sizeof(cp), "%s[%zu]", p, i);
			check_cond(v, cp, json_array_get(list, i), depth + 1);
		}
		return;
	}
	check_members(v, path, c, leaf);
	if ((name = want_string(v, path, c, "fact", 64, 1)) == NULL)
		return;
	if ((fd = policy_fact_find(name)) == NULL) {
		join(p, sizeof(p), path, "fact");
		prob(v, p, "no fact \"%s\" (see docs/policy.md for the catalog)",
		     name);
		return;
	}
	for (const char *const *op = (const char *const[]){ "min", "max", "in",
							    "equals", NULL };
	     *op; op++) {
		const json_t *x = json_object_get(c, *op);
		if (x == NULL)
			continue;
		ops++;
		join(p, sizeof(p), path, *op);
		if (strcmp(*op, "min") == 0 || strcmp(*op, "max") == 0) {
			if (fd->kind != FACT_NUMBER)
				prob(v, p, "fact \"%s\" is not a number", name);
			else if (!is_number(x))
				prob(v, p, "must be a number");
		} else if (strcmp(*op, "in") == 0) {
			if (fd->kind != FACT_STRING && fd->kind != FACT_SET) {
				prob(v, p, "fact \"%s\" is not a vocabulary", name);
				continue;
			}
			if (!json_is_array(x) || json_array_size(x) == 0 ||
			    json_array_size(x) > 32) {
				prob(v, p, "must be a list of 1-32 values");
				continue;
			}
			for (size_t i = 0; i < json_array_size(x); i++) {
				const json_t *s = json_array_get(x, i);
				char ip[512];
				tx_strfmt(ip, sizeof(ip), "%s[%zu]", p, i);
				if (!json_is_string(s))
					prob(v, ip, "must be a string");
				else if (fd->kind == FACT_STRING &&
					 policy_vocab_index(fd->values,
						     json_string_value(s)) < 0)
					prob(v, ip, "not a value of fact \"%s\"",
					     name);
			}
		} else {
			if (fd->kind != FACT_BOOL)
				prob(v, p, "fact \"%s\" is not true/false: use "
					   "\"in\", \"min\" or \"max\"", name);
			else if (!json_is_boolean(x))
				prob(v, p, "must be true or false");
		}
	}
	if (ops == 0)
		prob(v, path, "needs one of \"min\", \"max\", \"in\", \"equals\"");
	if (json_object_get(c, "in") != NULL && ops > 1)
		prob(v, path, "\"in\" must stand alone with its fact");
	if (json_object_get(c, "equals") != NULL && ops > 1)
		prob(v, path, "\"equals\" must stand alone with its fact");
}

static int decision_valid(const char *d)
{
	return strcmp(d, POLICY_BELOW) == 0 || strcmp(d, POLICY_SIGNIFICANT) == 0 ||
	       strcmp(d, POLICY_USE_OF_FORCE) == 0 ||
	       strcmp(d, POLICY_ARMED_ATTACK) == 0;
}

static void check_rule(struct vctx *v, const char *path, const json_t *r,
		       const json_t *list, size_t i)
{
	static const char *const members[] = { "id", "decision", "tier",
					       "min_level", "when", "explanation",
					       "anchor", NULL };
	const char *d, *tier;
	const json_t *when;
	char p[512];

	if (!json_is_object(r)) {
		prob(v, path, "must be an object");
		return;
	}
	check_members(v, path, r, members);
	want_id(v, path, r, list, i);
	if ((d = want_string(v, path, r, "decision", 64, 1)) != NULL &&
	    !decision_valid(d)) {
		join(p, sizeof(p), path, "decision");
		prob(v, p, "must be one of below-threshold, significant-incident,"
			   " use-of-force, armed-attack-candidate");
	}
	if ((tier = want_string(v, path, r, "tier", 64, 1)) != NULL &&
	    json_is_array(v->tiers)) {
		size_t j;
		for (j = 0; j < json_array_size(v->tiers); j++) {
			const char *t = json_string_value(json_object_get(
				json_array_get(v->tiers, j), "id"));
			if (t != NULL && strcmp(t, tier) == 0)
				break;
		}
		if (j == json_array_size(v->tiers)) {
			join(p, sizeof(p), path, "tier");
			prob(v, p, "no tier \"%s\" in tiers", tier);
		}
	}
	want_int(v, path, r, "min_level", 0, 5, 0, NULL);
	want_string(v, path, r, "explanation", MAX_TEXT, 1);
	want_string(v, path, r, "anchor", MAX_TEXT, 0);
	when = json_object_get(r, "when");
	if (when != NULL) {
		join(p, sizeof(p), path, "when");
		check_cond(v, p, when, 1);
	}
	if (i + 1 == json_array_size(list) && when != NULL)
		prob(v, path, "the last rule is the default: it must have no"
			      " \"when\"");
	if (i + 1 < json_array_size(list) && when == NULL)
		prob(v, path, "only the last rule may have no \"when\"");
}

static void check_levels(struct vctx *v, const json_t *doc)
{
	static const char *const members[] = { "level", "name", "min", "anchor",
					       NULL };
	const json_t *levels = json_object_get(doc, "levels");
	long long prev = -1;

	if (levels == NULL) {
		prob(v, "levels", "required member missing");
		return;
	}
	if (!json_is_array(levels) || json_array_size(levels) != 6) {
		prob(v, "levels", "must be a list of the six levels 0-5");
		return;
	}
	for (size_t i = 0; i < 6; i++) {
		const json_t *l = json_array_get(levels, i);
		long long lv = -1, min = -1;
		char p[64];

		snprintf(p, sizeof(p), "levels[%zu]", i);
		if (!json_is_object(l)) {
			prob(v, p, "must be an object");
			continue;
		}
		check_members(v, p, l, members);
		if (want_int(v, p, l, "level", 0, 5, 1, &lv) && lv != (long long)i) {
			char lp[80];
			snprintf(lp, sizeof(lp), "%s.level", p);
			prob(v, lp, "must be %zu (levels come in order)", i);
		}
		want_string(v, p, l, "name", 64, 1);
		want_string(v, p, l, "anchor", MAX_TEXT, 0);
		if (want_int(v, p, l, "min", 0, 100, 1, &min)) {
			char lp[80];
			snprintf(lp, sizeof(lp), "%s.min", p);
			if (i == 0 && min != 0)
				prob(v, lp, "level 0 must start at score 0");
			else if (i > 0 && min <= prev)
				prob(v, lp, "must be above the previous level's"
					    " min (%lld)", prev);
			prev = min;
		}
	}
}

static void check_tiers(struct vctx *v, const json_t *doc)
{
	static const char *const members[] = { "id", "title", "text", NULL };
	const json_t *tiers = want_list(v, "", doc, "tiers", 16);

	v->tiers = tiers;
	for (size_t i = 0; tiers != NULL && i < json_array_size(tiers); i++) {
		const json_t *t = json_array_get(tiers, i);
		char p[64];

		snprintf(p, sizeof(p), "tiers[%zu]", i);
		if (!json_is_object(t)) {
			prob(v, p, "must be an object");
			continue;
		}
		check_members(v, p, t, members);
		want_id(v, p, t, tiers, i);
		want_string(v, p, t, "title", 200, 1);
		want_string(v, p, t, "text", MAX_TEXT, 1);
	}
}

static void check_document(struct vctx *v, const json_t *doc)
{
	static const char *const members[] = { "trilex_policy", "version",
		"title", "effective", "description", "parameters", "criteria",
		"levels", "rules", "tiers", NULL };
	const json_t *list, *params;
	const char *s;
	int64_t us;

	if (!json_is_object(doc)) {
		prob(v, "", "a policy must be a JSON object");
		return;
	}
	check_members(v, "", doc, members);
	want_int(v, "", doc, "trilex_policy", 1, 1, 1, NULL);
	if ((s = want_string(v, "", doc, "version", 32, 1)) != NULL) {
		for (const char *c = s; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			      (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' ||
			      *c == '_')) {
				prob(v, "version", "must hold only letters, digits,"
						   " '.', '-' and '_'");
				break;
			}
	}
	want_string(v, "", doc, "title", 200, 1);
	want_string(v, "", doc, "description", MAX_TEXT, 0);
	if ((s = want_string(v, "", doc, "effective", 40, 1)) != NULL &&
	    tx_time_parse(s, &us, NULL) != TX_OK)
		prob(v, "effective", "not an RFC 3339 UTC timestamp");
	params = json_object_get(doc, "parameters");
	if (params != NULL) {
		static const char *const pm[] = { "out_of_service_availability",
						  NULL };
		if (!json_is_object(params)) {
			prob(v, "parameters", "must be an object");
		} else {
			check_members(v, "parameters", params, pm);
			want_int(v, "parameters", params,
				 "out_of_service_availability", 1, 100, 0, NULL);
		}
	}
	if ((list = want_list(v, "", doc, "criteria", 32)) != NULL)
		for (size_t i = 0; i < json_array_size(list); i++) {
			char p[64];
			snprintf(p, sizeof(p), "criteria[%zu]", i);
			check_criterion(v, p, json_array_get(list, i), list, i);
		}
	check_levels(v, doc);
	check_tiers(v, doc);
	if ((list = want_list(v, "", doc, "rules", MAX_LIST)) != NULL)
		for (size_t i = 0; i < json_array_size(list); i++) {
			char p[64];
			snprintf(p, sizeof(p), "rules[%zu]", i);
			check_rule(v, p, json_array_get(list, i), list, i);
		}
}

tx_err policy_canon_digest(const json_t *doc, char out[65],
			   struct tx_error *err)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char *canon;

	canon = tx_json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS |
					JSON_REAL_PRECISION(17));
	if (canon == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	crypto_hash_sha256(h, (const unsigned char *)canon, strlen(canon));
	free(canon);
	tx_hex(h, sizeof(h), out);
	return TX_OK;
}

tx_err policy_from_json(const json_t *doc, policy **out, json_t *problems,
			struct tx_error *err)
{
	struct vctx v = { .problems = problems };
	policy *p = NULL;
	tx_err rc = TX_OK;

	*out = NULL;
	check_document(&v, doc);
	if (v.lost) {
		/* a list with a problem left out reads as fewer problems */
		json_array_clear(problems);
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory listing the"
				  " problems (the first: %s)", v.first);
		goto out;
	}
	if (v.n > 0) {
		if (v.n == 1)
			rc = tx_error_set(err, TX_ERR_INVALID, "%s", v.first);
		else
			rc = tx_error_set(err, TX_ERR_INVALID,
					  "%s (and %zu more problems)", v.first,
					  v.n - 1);
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->doc = json_deep_copy(doc)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(p->version, sizeof(p->version), "%s",
		 json_string_value(json_object_get(doc, "version")));
	if ((rc = policy_canon_digest(p->doc, p->digest, err)) != TX_OK)
		goto out;
	p->work = policy_doc_work(p->doc);
	*out = p;
	p = NULL;
out:
	policy_free(p);
	return rc;
}

tx_err policy_parse(const char *text, size_t len, const char *name,
		    policy **out, json_t *problems, struct tx_error *err)
{
	json_error_t jerr;
	json_t *doc;
	tx_err rc;

	*out = NULL;
	if (len > POLICY_TEXT_MAX)
		return tx_error_set(err, TX_ERR_TOOBIG, "%s: over %d bytes", name,
				    POLICY_TEXT_MAX);
	doc = tx_json_load(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		char line[TX_ERROR_MSG_MAX];
		snprintf(line, sizeof(line), "%s:%d:%d: %s", name, jerr.line,
			 jerr.column, jerr.text);
		/* one problem: listed, or the list stays empty and the
		 * caller shows err (cli/policy.c) */
		if (problems != NULL &&
		    json_array_append_new(problems, json_string(line)) != 0)
			json_array_clear(problems);
		return tx_error_set(err, TX_ERR_INVALID, "%s", line);
	}
	rc = policy_from_json(doc, out, problems, err);
	json_decref(doc);
	return rc;
}

void policy_free(policy *p)
{
	if (p == NULL)
		return;
	json_decref(p->doc);
	free(p);
}

const char *policy_version(const policy *p)
{
	return p->version;
}

const char *policy_title(const policy *p)
{
	return json_string_value(json_object_get(p->doc, "title"));
}

const json_t *policy_json(const policy *p)
{
	return p->doc;
}

const char *policy_digest(const policy *p)
{
	return p->digest;
}
