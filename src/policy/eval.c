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
		char *d = json_dumps(v, JSON_COMPACT);
		snprintf(out, n, "%s", d ? d : "?");
		free(d);
	}
}

static void would_change(json_t *list, const char *fact)
{
	const struct fact_def *fd = fact_find(fact);
	char line[TX_ERROR_MSG_MAX];
	size_t i;
	json_t *x;

	snprintf(line, sizeof(line), "%s: %s", fact, fd ? fd->evidence : "?");
	json_array_foreach(list, i, x)
		if (strcmp(json_string_value(x), line) == 0)
			return;
	json_array_append_new(list, json_string(line));
}

/* One factor: score, evidence, what would change it. */
static json_t *factor(const json_t *c, const struct facts *f, int *score)
{
	const json_t *reads = json_object_get(c, "reads");
	json_t *out = json_object(), *evidence = json_array(), *open = json_array();
	int best = -1;
	size_t i;
	json_t *rd;

	if (out == NULL || evidence == NULL || open == NULL) {
		json_decref(out);
		json_decref(evidence);
		json_decref(open);
		return NULL;
	}
	json_array_foreach(reads, i, rd) {
		const char *name = json_string_value(json_object_get(rd, "fact"));
		const json_t *v = json_object_get(f->facts, name);
		const json_t *src = json_object_get(f->sources, name);
		char val[200], line[TX_ERROR_MSG_MAX];
		size_t j, used;
		json_t *s;
		int sc;

		if (v == NULL) {
			would_change(open, name);
			continue;
		}
		sc = read_score(rd, v);
		if (sc > best)
			best = sc;
		value_text(v, val, sizeof(val));
		used = (size_t)snprintf(line, sizeof(line), "%s = %s -> %d", name,
					val, sc);
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
	if (best >= 0) {
		json_object_set_new(out, "score", json_integer(best));
	} else {
		json_object_set_new(out, "undetermined", json_true());
	}
	json_object_set_new(out, "weight", json_integer(json_integer_value(
					json_object_get(c, "weight"))));
	json_object_set_new(out, "evidence", evidence);
	json_object_set_new(out, "would_change", open);
	*score = best;
	return out;
}

static enum tri cond(const json_t *c, const json_t *facts, json_t *missing)
{
	const json_t *all = json_object_get(c, "all");
	const json_t *any = json_object_get(c, "any");
	const json_t *v, *x;
	const char *name;
	enum tri r;
	size_t i;
	json_t *e;

	if (all != NULL || any != NULL) {
		int seen_unknown = 0;
		json_array_foreach(all ? all : any, i, e) {
			r = cond(e, facts, missing);
			if (r == T_UNKNOWN)
				seen_unknown = 1;
			else if (all != NULL && r == T_FALSE)
				return T_FALSE;
			else if (any != NULL && r == T_TRUE)
				return T_TRUE;
		}
		if (seen_unknown)
			return T_UNKNOWN;
		return all != NULL ? T_TRUE : T_FALSE;
	}
	name = json_string_value(json_object_get(c, "fact"));
	v = json_object_get(facts, name);
	if (v == NULL) {
		if (missing != NULL)
			would_change(missing, name);
		return T_UNKNOWN;
	}
	if ((x = json_object_get(c, "equals")) != NULL)
		return json_is_true(x) == json_is_true(v) ? T_TRUE : T_FALSE;
	if ((x = json_object_get(c, "in")) != NULL) {
		json_array_foreach(x, i, e) {
			if (json_is_string(v) &&
			    strcmp(json_string_value(e), json_string_value(v)) == 0)
				return T_TRUE;
			if (json_is_array(v)) {
				size_t j;
				json_t *m;
				json_array_foreach(v, j, m)
					if (strcmp(json_string_value(e),
						   json_string_value(m)) == 0)
						return T_TRUE;
			}
		}
		return T_FALSE;
	}
	if ((x = json_object_get(c, "min")) != NULL &&
	    json_number_value(v) < json_number_value(x))
		return T_FALSE;
	if ((x = json_object_get(c, "max")) != NULL &&
	    json_number_value(v) > json_number_value(x))
		return T_FALSE;
	return T_TRUE;
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

tx_err policy_assess(const policy *p, const policy_incident *inc,
		     const struct policy_standing *standing, json_t **result,
		     struct tx_error *err)
{
	const json_t *doc = p->doc;
	const json_t *params = json_object_get(doc, "parameters");
	const json_t *oos_j = json_object_get(params, "out_of_service_availability");
	const json_t *levels = json_object_get(doc, "levels");
	const json_t *rule = NULL, *tier, *c;
	long long sum = 0, w_det = 0, w_all = 0, w_undet = 0;
	long long score, smin, smax;
	json_t *res = NULL, *factors = NULL, *undetermined = NULL;
	struct facts f = { 0 };
	int level, lmin, lmax, final;
	size_t i;
	tx_err rc;

	*result = NULL;
	if ((rc = incident_facts(inc, oos_j ? (double)json_integer_value(oos_j) : 80,
				 &f, err)) != TX_OK)
		return rc;
	res = json_object();
	factors = json_array();
	undetermined = json_array();
	if (res == NULL || factors == NULL || undetermined == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(json_object_get(doc, "criteria"), i, c) {
		long long w = json_integer_value(json_object_get(c, "weight"));
		int s = -1;
		json_t *fj = factor(c, &f, &s);

		if (fj == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		json_array_append_new(factors, fj);
		w_all += w;
		if (s >= 0) {
			sum += w * s;
			w_det += w;
		} else {
			w_undet += w;
		}
	}
	score = pct(sum, 3 * w_det);
	smin = pct(sum, 3 * w_all);
	smax = pct(sum + 3 * w_undet, 3 * w_all);
	level = level_of(levels, score);
	lmin = level_of(levels, smin);
	lmax = level_of(levels, smax);
	json_object_set_new(f.facts, "level", json_integer(level));
	json_object_set_new(f.sources, "level", json_pack("[s]", "the score"));

	json_array_foreach(json_object_get(doc, "rules"), i, c) {
		const json_t *when = json_object_get(c, "when");
		json_t *missing = json_array();
		enum tri r = when ? cond(when, f.facts, missing) : T_TRUE;

		if (r == T_TRUE) {
			rule = c;
			json_decref(missing);
			break;
		}
		if (r == T_UNKNOWN) {
			json_array_append_new(undetermined, json_pack("{s:s, s:s, s:o}",
				"rule", json_string_value(json_object_get(c, "id")),
				"decision", json_string_value(json_object_get(c, "decision")),
				"would_change", missing));
		} else {
			json_decref(missing);
		}
	}
	if (rule == NULL) { /* validation guarantees a default rule */
		rc = tx_error_set(err, TX_ERR_INTERNAL, "no rule applied");
		goto out;
	}
	/* The rule that applied holds whatever the unknowns turn out to be:
	 * its minimum level bounds the range too. */
	{
		int ml = (int)json_integer_value(json_object_get(rule, "min_level"));
		final = level > ml ? level : ml;
		lmin = lmin > ml ? lmin : ml;
		lmax = lmax > ml ? lmax : ml;
	}
	tier = tier_of(doc, json_string_value(json_object_get(rule, "tier")));

	json_object_set_new(res, "incident", json_string(inc->id));
	json_object_set_new(res, "decision", json_string(json_string_value(
					json_object_get(rule, "decision"))));
	json_object_set_new(res, "rule", json_string(json_string_value(
					json_object_get(rule, "id"))));
	json_object_set_new(res, "explanation", json_string(json_string_value(
					json_object_get(rule, "explanation"))));
	json_object_set_new(res, "level", json_integer(final));
	json_object_set_new(res, "level_name", json_string(json_string_value(
		json_object_get(json_array_get(levels, (size_t)final), "name"))));
	json_object_set_new(res, "level_range", json_pack("[i,i]", lmin, lmax));
	json_object_set_new(res, "score", json_integer(score));
	json_object_set_new(res, "score_range", json_pack("[I,I]", smin, smax));
	json_object_set_new(res, "factors", factors);
	factors = NULL;
	json_object_set_new(res, "undetermined", undetermined);
	undetermined = NULL;
	json_object_set(res, "contradictions", f.contradictions);
	json_object_set(res, "gaps", f.gaps);
	json_object_del(f.facts, "level");
	json_object_set(res, "facts", f.facts);
	json_object_set_new(res, "tier", json_string(json_string_value(
					json_object_get(tier, "id"))));
	json_object_set_new(res, "tier_title", json_string(json_string_value(
					json_object_get(tier, "title"))));
	json_object_set_new(res, "tier_text", json_string(json_string_value(
					json_object_get(tier, "text"))));
	json_object_set_new(res, "policy_version", json_string(p->version));
	json_object_set_new(res, "policy_digest", json_string(p->digest));
	json_object_set_new(res, "ratified", json_boolean(standing && standing->ratified));
	json_object_set_new(res, "policy_note", json_string(
		standing && standing->note[0] ? standing->note : ""));
	*result = res;
	res = NULL;
	rc = TX_OK;
out:
	json_decref(res);
	json_decref(factors);
	json_decref(undetermined);
	facts_free(&f);
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
	tx_buf_printf(&b, "%s: %s (rule %s)\n",
		      json_string_value(json_object_get(r, "incident")), upper,
		      json_string_value(json_object_get(r, "rule")));
	tx_buf_printf(&b, "  %s\n", json_string_value(json_object_get(r,
								   "explanation")));
	x = json_object_get(r, "score_range");
	tx_buf_printf(&b, "level %lld (%s), score %lld (range %lld-%lld with the"
		      " undetermined factors at 0 and at 3)\n",
		      (long long)json_integer_value(json_object_get(r, "level")),
		      json_string_value(json_object_get(r, "level_name")),
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
			tx_buf_printf(&b, "  %-22s undetermined\n",
				      json_string_value(json_object_get(e, "id")));
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
			tx_buf_printf(&b, "  %s (%s) would need:\n",
				      json_string_value(json_object_get(e, "rule")),
				      json_string_value(json_object_get(e, "decision")));
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
