/*
 * pattern/eval.c: the reference evaluator, plain and slow on purpose.
 *
 * It follows the binding semantics of STIX 2.1 section 9: an observed-data
 * with number_observed N is N observations sharing its first_observed and
 * last_observed. An observation expression [C] binds one observation
 * whose observed-data has a root SCO (listed in object_refs, or embedded)
 * of which C holds; comparisons joined by AND must hold of the same root
 * SCO, OR of any. AND, OR and FOLLOWEDBY between observation expressions
 * combine bindings that share no observation; FOLLOWEDBY also needs the
 * left side's latest first_observed not after the right side's earliest
 * last_observed. WITHIN n SECONDS keeps bindings whose observations can
 * all be placed in a half-open window of n seconds (9.5.1); START/STOP
 * those whose every observation overlaps [START, STOP); REPEATS n TIMES
 * takes n disjoint bindings.
 *
 * Values: a path step into a property ending in _ref or _refs follows the
 * reference, and a path ending on one names the referenced object (9.7);
 * references resolve only to the SCOs of the same observed-data (9.7.4).
 * An index outside the list, a negative one too, gives no value (9.7.2).
 * Values of properties ending in _hex or _bin are binary; LIKE and
 * MATCHES run over their bytes (9.6.4). The value of an ipv4-addr or
 * ipv6-addr is compared as a network with =, != and IN (1.2.3.4 equals
 * 1.2.3.4/32; ::ffff:1.2.3.4 equals 1.2.3.4); ISSUBSET and ISSUPERSET
 * take any string holding an address. LIKE and MATCHES compare NFC forms
 * (9.6.2). A string meets a t'...' constant as a timestamp, a b'...'
 * constant as bytes when every code point is below 256. A comparison of
 * values of other kinds than the constant is false ('!=' true), and NOT
 * negates it (9.6.1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/internal.h"

#define MAX_BINDINGS 200000
#define MAX_UNITS_PER_OD 4096

/* A list of bindings; each binding is a run of observation units in pool. */
struct blist {
	uint32_t *pool;
	size_t pool_len, pool_cap;
	size_t *off, *len;
	size_t n, cap;
};

struct ctx {
	const pattern *p;
	const struct pattern_obsset *set;
	int64_t *first, *last;
	size_t *od_units;      /* units of each od */
	uint32_t *unit_od;     /* od of each unit */
	size_t n_units;
	struct tx_error *err;
	tx_err rc;
};

static void bl_free(struct blist *b)
{
	free(b->pool);
	free(b->off);
	free(b->len);
	memset(b, 0, sizeof(*b));
}

static tx_err bl_add(struct ctx *c, struct blist *b, const uint32_t *u1, size_t n1,
		     const uint32_t *u2, size_t n2)
{
	if (b->n >= MAX_BINDINGS)
		return c->rc = tx_error_set(c->err, TX_ERR_TOOBIG,
					    "pattern evaluation: more than %d combinations of observations",
					    MAX_BINDINGS);
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		size_t *o = realloc(b->off, cap * sizeof(*o));
		if (o == NULL)
			goto nomem;
		b->off = o;
		size_t *l = realloc(b->len, cap * sizeof(*l));
		if (l == NULL)
			goto nomem;
		b->len = l;
		b->cap = cap;
	}
	if (b->pool_len + n1 + n2 > b->pool_cap) {
		size_t cap = b->pool_cap ? b->pool_cap * 2 : 64;
		while (cap < b->pool_len + n1 + n2)
			cap *= 2;
		uint32_t *p = realloc(b->pool, cap * sizeof(*p));
		if (p == NULL)
			goto nomem;
		b->pool = p;
		b->pool_cap = cap;
	}
	b->off[b->n] = b->pool_len;
	b->len[b->n] = n1 + n2;
	if (n1)
		memcpy(b->pool + b->pool_len, u1, n1 * sizeof(*u1));
	if (n2)
		memcpy(b->pool + b->pool_len + n1, u2, n2 * sizeof(*u2));
	b->pool_len += n1 + n2;
	b->n++;
	return TX_OK;
nomem:
	return c->rc = tx_error_set(c->err, TX_ERR_NOMEM, "out of memory");
}

static bool disjoint(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (a[i] == b[j])
				return false;
	return true;
}

/* ---- values ---- */

enum vkind { V_NONE, V_STR, V_INT, V_FLOAT, V_BOOL, V_BIN };

struct val {
	enum vkind kind;
	const char *s;
	size_t len;
	int64_t i;
	double f;
	char *owned;       /* decoded _hex/_bin bytes */
	bool ip;           /* value of an ipv4-addr/ipv6-addr */
};

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static void to_val(const json_t *j, const char *holder, const char *key, size_t klen,
		   struct val *v)
{
	memset(v, 0, sizeof(*v));
	if (json_is_string(j)) {
		v->kind = V_STR;
		v->s = json_string_value(j);
		v->len = json_string_length(j);
		if (key && ends_with(key, klen, "_hex") &&
		    pattern_hex_decode(v->s, v->len, &v->owned, &v->len)) {
			v->kind = V_BIN;
			v->s = v->owned;
		} else if (key && ends_with(key, klen, "_bin") &&
			   pattern_base64_decode(v->s, v->len, &v->owned, &v->len)) {
			v->kind = V_BIN;
			v->s = v->owned;
		} else if (holder && key && klen == 5 && memcmp(key, "value", 5) == 0 &&
			   (strcmp(holder, "ipv4-addr") == 0 || strcmp(holder, "ipv6-addr") == 0)) {
			v->ip = true;
		}
	} else if (json_is_integer(j)) {
		v->kind = V_INT;
		v->i = json_integer_value(j);
	} else if (json_is_real(j)) {
		v->kind = V_FLOAT;
		v->f = json_real_value(j);
	} else if (json_is_boolean(j)) {
		v->kind = V_BOOL;
		v->i = json_is_true(j);
	}
}

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int r = memcmp(a, b, al < bl ? al : bl);

	if (r != 0)
		return r < 0 ? -1 : 1;
	return al < bl ? -1 : al > bl ? 1 : 0;
}

/* Compare value v with literal l: 0 when comparable (*cmp set), -1 if not. */
static int compare(const struct val *v, const struct px_lit *l, int *cmp)
{
	switch (l->kind) {
	case LIT_STR:
		if (v->kind == V_STR) {
			*cmp = cmp_bytes(v->s, v->len, l->s, l->len);
			return 0;
		}
		if (v->kind == V_BIN) {
			char *tmp = malloc(l->len + 1);
			size_t n;
			int ok = tmp && pattern_latin1(l->s, l->len, tmp, &n);
			if (ok)
				*cmp = cmp_bytes(v->s, v->len, tmp, n);
			free(tmp);
			return ok ? 0 : -1;
		}
		return -1;
	case LIT_BIN:
		if (v->kind == V_BIN) {
			*cmp = cmp_bytes(v->s, v->len, l->s, l->len);
			return 0;
		}
		if (v->kind == V_STR) {
			char *tmp = malloc(v->len + 1);
			size_t n;
			int ok = tmp && pattern_latin1(v->s, v->len, tmp, &n);
			if (ok)
				*cmp = cmp_bytes(tmp, n, l->s, l->len);
			free(tmp);
			return ok ? 0 : -1;
		}
		return -1;
	case LIT_INT:
		if (v->kind == V_INT) {
			*cmp = v->i < l->i ? -1 : v->i > l->i;
			return 0;
		}
		if (v->kind == V_FLOAT) {
			double d = (double)l->i;
			*cmp = v->f < d ? -1 : v->f > d;
			return 0;
		}
		return -1;
	case LIT_FLOAT:
		if (v->kind == V_INT || v->kind == V_FLOAT) {
			double d = v->kind == V_INT ? (double)v->i : v->f;
			*cmp = d < l->f ? -1 : d > l->f;
			return 0;
		}
		return -1;
	case LIT_BOOL:
		if (v->kind == V_BOOL) {
			*cmp = v->i == l->i ? 0 : 1;
			return 0;
		}
		return -1;
	case LIT_TS:
		if (v->kind == V_STR && v->len < 64) {
			char buf[64];
			int64_t us;
			memcpy(buf, v->s, v->len);
			buf[v->len] = '\0';
			if (strlen(buf) == v->len && tx_time_parse(buf, &us, NULL) == TX_OK) {
				*cmp = us < l->i ? -1 : us > l->i;
				return 0;
			}
		}
		return -1;
	}
	return -1;
}

static bool equal(const struct val *v, const struct px_lit *l)
{
	int c;

	if (v->ip && l->kind == LIT_STR) {
		struct px_net a, b;
		if (pattern_net_parse(v->s, v->len, &a) && pattern_net_parse(l->s, l->len, &b))
			return pattern_net_equal(&a, &b);
	}
	return compare(v, l, &c) == 0 && c == 0;
}

/* MATCHES: does re find a match in s (len bytes)? */
static bool re_search(const pcre2_code *re, const char *s, size_t len)
{
	pcre2_match_data *md;
	bool r;

	if (re == NULL || (md = pcre2_match_data_create_from_pattern(re, NULL)) == NULL)
		return false;
	r = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL) >= 0;
	pcre2_match_data_free(md);
	return r;
}

/* LIKE and MATCHES on a string: both sides in NFC (9.6.2; the constant
 * was normalised when the pattern was parsed). */
static bool text_test(const struct px_test *t, const struct val *v)
{
	char buf[1024], *owned = NULL;
	size_t n = 0;
	const char *s = pattern_nfc(v->s, v->len, buf, sizeof(buf), &n, &owned);
	bool r;

	if (s == NULL) {
		s = v->s;
		n = v->len;
	}
	r = t->op == OP_LIKE ? pattern_like(s, n, t->lit.s, t->lit.len) : re_search(t->re, s, n);
	free(owned);
	return r;
}

/*
 * Does comparison t hold of value v? Section 9.6.1: a comparison whose
 * operand types do not fit is false, and NOT negates whatever the
 * comparison gave, so NOT makes it true. (A missing value never gets here:
 * walk finds nothing, and every comparison on it is false.)
 */
static bool test_value(const struct px_test *t, const struct val *v)
{
	bool r = false;
	int c;

	switch (t->op) {
	case OP_EQ: r = equal(v, &t->lit); break;
	case OP_NE: r = !equal(v, &t->lit); break;
	case OP_LT: case OP_LE: case OP_GT: case OP_GE:
		if (compare(v, &t->lit, &c) == 0)
			r = t->op == OP_LT ? c < 0 : t->op == OP_LE ? c <= 0
			    : t->op == OP_GT ? c > 0 : c >= 0;
		break;
	case OP_IN:
		for (size_t i = 0; i < t->n_set && !r; i++)
			r = equal(v, &t->set[i]);
		break;
	case OP_LIKE:
		if (v->kind == V_STR)
			r = text_test(t, v);
		else if (v->kind == V_BIN)   /* 9.6.4: over the bytes */
			r = t->bin && t->bin_ok && pattern_like_bytes(v->s, v->len, t->bin, t->bin_len);
		break;
	case OP_MATCHES:
		if (v->kind == V_STR)
			r = text_test(t, v);
		else if (v->kind == V_BIN)
			r = t->bin_ok && re_search(t->re_bin, v->s, v->len);
		break;
	case OP_ISSUBSET:
	case OP_ISSUPERSET: {
		/* any string holding an address or CIDR; others are false */
		struct px_net a, b;
		if (v->kind == V_STR && pattern_net_parse(v->s, v->len, &a) &&
		    pattern_net_parse(t->lit.s, t->lit.len, &b))
			r = t->op == OP_ISSUBSET ? pattern_net_subset(&a, &b) : pattern_net_subset(&b, &a);
		break;
	}
	case OP_EXISTS:
		return true;
	default:
		return false;
	}
	return t->negated ? !r : r;
}

/* ---- paths ---- */

/*
 * The object a reference of observed-data od names: one of its embedded
 * objects (STIX 2.0), or one its object_refs lists (9.7.4: a reference is
 * followed only to SCOs of the same observed-data; others of the file are
 * not found). NULL when there is none.
 */
static const json_t *lookup(const struct ctx *c, size_t od, const char *id)
{
	const json_t *o = c->set->observed[od];
	const json_t *local = json_object_get(o, "objects");
	const json_t *refs = json_object_get(o, "object_refs");
	const json_t *x = local && id ? json_object_get(local, id) : NULL;

	if (x == NULL && id && c->set->objects) {
		for (size_t i = 0; i < json_array_size(refs); i++) {
			const char *r = json_string_value(json_array_get(refs, i));
			if (r && strcmp(r, id) == 0) {
				x = json_object_get(c->set->objects, id);
				break;
			}
		}
	}
	return json_is_object(x) ? x : NULL;
}

static bool is_ref_key(const char *key, size_t klen)
{
	return key && (ends_with(key, klen, "_ref") || ends_with(key, klen, "_refs"));
}

static void walk(const struct ctx *c, size_t od, const json_t *cur, const struct px_test *t,
		 size_t step, const char *holder, const char *key, size_t klen, bool *hit)
{
	if (*hit || cur == NULL)
		return;
	if (step == t->path.n_steps) {
		struct val v;
		/* 9.7: a path ending on a reference names the object it
		 * references, not the id (a reference that does not resolve
		 * is no value at all) */
		if (json_is_string(cur) && is_ref_key(key, klen)) {
			if ((cur = lookup(c, od, json_string_value(cur))) == NULL)
				return;
			holder = json_string_value(json_object_get(cur, "type"));
			key = NULL;
			klen = 0;
		}
		to_val(cur, holder, key, klen, &v);
		if (t->op == OP_EXISTS || test_value(t, &v))
			*hit = true;
		free(v.owned);
		return;
	}
	const struct px_step *st = &t->path.steps[step];
	if (st->kind == STEP_KEY) {
		if (json_is_string(cur) && is_ref_key(key, klen)) {
			cur = lookup(c, od, json_string_value(cur));
			if (cur == NULL)
				return;
			holder = json_string_value(json_object_get(cur, "type"));
		}
		if (!json_is_object(cur))
			return;
		walk(c, od, json_object_getn(cur, st->key, st->len), t, step + 1, holder,
		     st->key, st->len, hit);
	} else if (json_is_array(cur)) {
		size_t n = json_array_size(cur);
		if (st->kind == STEP_STAR) {
			for (size_t i = 0; i < n && !*hit; i++)
				walk(c, od, json_array_get(cur, i), t, step + 1, holder, key, klen, hit);
		} else if (st->index >= 0 && (uint64_t)st->index < n) {
			/* 9.7.2: an index past either end (a negative one
			 * included) is out of range: no value */
			walk(c, od, json_array_get(cur, (size_t)st->index), t, step + 1, holder,
			     key, klen, hit);
		}
	}
}

/* The root SCOs of observed-data od, into a new array (caller frees). */
static const json_t **roots_of(const struct ctx *c, size_t od, size_t *n)
{
	const json_t *o = c->set->observed[od];
	const json_t *refs = json_object_get(o, "object_refs");
	const json_t *objs = json_object_get(o, "objects");
	size_t cap = json_array_size(refs) + json_object_size(objs), k = 0;
	const json_t **r = malloc((cap ? cap : 1) * sizeof(*r));
	const char *key;
	json_t *v;

	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < json_array_size(refs); i++) {
		const json_t *x = c->set->objects
			? json_object_get(c->set->objects, json_string_value(json_array_get(refs, i)))
			: NULL;
		if (json_is_object(x))
			r[k++] = x;
	}
	json_object_foreach((json_t *)objs, key, v)
		if (json_is_object(v))
			r[k++] = v;
	*n = k;
	return r;
}

/* For each root, whether comparison expression n holds of it. */
static void comp_eval(const struct ctx *c, size_t od, const struct px_node *n,
		      const json_t **roots, size_t n_roots, unsigned char *out)
{
	if (n->kind == PX_TEST) {
		const struct px_test *t = n->t;
		for (size_t i = 0; i < n_roots; i++) {
			const char *type = json_string_value(json_object_get(roots[i], "type"));
			bool hit = false;
			out[i] = 0;
			if (type == NULL || strlen(type) != t->path.type_len ||
			    memcmp(type, t->path.type, t->path.type_len) != 0)
				continue;
			walk(c, od, roots[i], t, 0, type, NULL, 0, &hit);
			out[i] = hit;
		}
		return;
	}
	unsigned char *b = malloc(n_roots ? n_roots : 1);
	if (b == NULL) {
		memset(out, 0, n_roots);
		return;
	}
	comp_eval(c, od, n->a, roots, n_roots, out);
	comp_eval(c, od, n->b, roots, n_roots, b);
	for (size_t i = 0; i < n_roots; i++)
		out[i] = n->kind == PX_AND ? (out[i] && b[i]) : (out[i] || b[i]);
	free(b);
}

/* ---- observation expressions ---- */

static tx_err obs_eval(struct ctx *c, const struct px_node *n, struct blist *out);

static tx_err combine(struct ctx *c, const struct blist *l, const struct blist *r,
		      bool followedby, struct blist *out)
{
	for (size_t i = 0; i < l->n; i++) {
		const uint32_t *a = l->pool + l->off[i];
		int64_t latest_first = INT64_MIN;
		for (size_t k = 0; k < l->len[i]; k++)
			if (c->first[c->unit_od[a[k]]] > latest_first)
				latest_first = c->first[c->unit_od[a[k]]];
		for (size_t j = 0; j < r->n; j++) {
			const uint32_t *b = r->pool + r->off[j];
			if (!disjoint(a, l->len[i], b, r->len[j]))
				continue;
			if (followedby) {
				int64_t earliest_last = INT64_MAX;
				for (size_t k = 0; k < r->len[j]; k++)
					if (c->last[c->unit_od[b[k]]] < earliest_last)
						earliest_last = c->last[c->unit_od[b[k]]];
				if (latest_first > earliest_last)
					continue;
			}
			if (bl_add(c, out, a, l->len[i], b, r->len[j]) != TX_OK)
				return c->rc;
		}
	}
	return TX_OK;
}

/* All combinations of k pairwise disjoint bindings of in, in index order. */
static tx_err repeats(struct ctx *c, const struct blist *in, size_t k, size_t from,
		      uint32_t *acc, size_t acc_len, size_t acc_cap, struct blist *out)
{
	if (k == 0)
		return bl_add(c, out, acc, acc_len, NULL, 0);
	for (size_t i = from; i < in->n; i++) {
		const uint32_t *b = in->pool + in->off[i];
		if (acc_len + in->len[i] > acc_cap || !disjoint(acc, acc_len, b, in->len[i]))
			continue;
		memcpy(acc + acc_len, b, in->len[i] * sizeof(*b));
		if (repeats(c, in, k - 1, i + 1, acc, acc_len + in->len[i], acc_cap, out) != TX_OK)
			return c->rc;
	}
	return TX_OK;
}

static tx_err obs_eval(struct ctx *c, const struct px_node *n, struct blist *out)
{
	struct blist l = { 0 }, r = { 0 };
	tx_err rc = TX_OK;

	switch (n->kind) {
	case PX_OBS: {
		size_t unit = 0;
		for (size_t od = 0; od < c->set->n_observed; od++) {
			size_t n_roots = 0;
			const json_t **roots = roots_of(c, od, &n_roots);
			unsigned char *hits = malloc(n_roots ? n_roots : 1);
			bool any = false;
			if (roots == NULL || hits == NULL) {
				free(roots);
				free(hits);
				rc = c->rc = tx_error_set(c->err, TX_ERR_NOMEM, "out of memory");
				goto out;
			}
			comp_eval(c, od, n->a, roots, n_roots, hits);
			for (size_t i = 0; i < n_roots; i++)
				any = any || hits[i];
			free(roots);
			free(hits);
			for (size_t u = 0; any && u < c->od_units[od]; u++) {
				uint32_t id = (uint32_t)(unit + u);
				if ((rc = bl_add(c, out, &id, 1, NULL, 0)) != TX_OK)
					goto out;
			}
			unit += c->od_units[od];
		}
		break;
	}
	case PX_OBS_OR:
		if ((rc = obs_eval(c, n->a, out)) != TX_OK || (rc = obs_eval(c, n->b, &r)) != TX_OK)
			goto out;
		for (size_t j = 0; j < r.n; j++)
			if ((rc = bl_add(c, out, r.pool + r.off[j], r.len[j], NULL, 0)) != TX_OK)
				goto out;
		break;
	case PX_OBS_AND:
	case PX_FOLLOWEDBY:
		if ((rc = obs_eval(c, n->a, &l)) != TX_OK || (rc = obs_eval(c, n->b, &r)) != TX_OK)
			goto out;
		rc = combine(c, &l, &r, n->kind == PX_FOLLOWEDBY, out);
		break;
	case PX_WITHIN:
	case PX_STARTSTOP:
		if ((rc = obs_eval(c, n->a, &l)) != TX_OK)
			goto out;
		for (size_t i = 0; i < l.n; i++) {
			const uint32_t *a = l.pool + l.off[i];
			bool ok = true;
			if (n->kind == PX_WITHIN) {
				int64_t max_first = INT64_MIN, min_last = INT64_MAX;
				for (size_t k = 0; k < l.len[i]; k++) {
					size_t od = c->unit_od[a[k]];
					if (c->first[od] > max_first)
						max_first = c->first[od];
					if (c->last[od] < min_last)
						min_last = c->last[od];
				}
				/* 9.5.1: the window is half-open, so the
				 * observations fit if the latest start is less
				 * than within_us after the earliest end */
				ok = l.len[i] == 0 || max_first - min_last < n->within_us;
			} else {
				ok = n->start < n->stop;
				for (size_t k = 0; ok && k < l.len[i]; k++) {
					size_t od = c->unit_od[a[k]];
					ok = c->first[od] < n->stop && c->last[od] >= n->start;
				}
			}
			if (ok && (rc = bl_add(c, out, a, l.len[i], NULL, 0)) != TX_OK)
				goto out;
		}
		break;
	case PX_REPEATS: {
		if ((rc = obs_eval(c, n->a, &l)) != TX_OK)
			goto out;
		size_t cap = 0;
		for (size_t i = 0; i < l.n; i++)
			cap += l.len[i];
		uint32_t *acc = malloc((cap ? cap : 1) * sizeof(*acc));
		if (acc == NULL) {
			rc = c->rc = tx_error_set(c->err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		rc = repeats(c, &l, (size_t)n->repeats, 0, acc, 0, cap, out);
		free(acc);
		break;
	}
	default:
		rc = c->rc = tx_error_set(c->err, TX_ERR_INTERNAL, "pattern: bad node");
	}
out:
	bl_free(&l);
	bl_free(&r);
	return rc;
}

/* How many observations one binding of n can hold at most. */
static int64_t need(const struct px_node *n)
{
	int64_t a, b;

	switch (n->kind) {
	case PX_OBS: return 1;
	case PX_OBS_OR:
		a = need(n->a), b = need(n->b);
		return a > b ? a : b;
	case PX_OBS_AND:
	case PX_FOLLOWEDBY:
		a = need(n->a) + need(n->b);
		return a > MAX_UNITS_PER_OD ? MAX_UNITS_PER_OD : a;
	case PX_REPEATS:
		a = need(n->a) * n->repeats;
		return a > MAX_UNITS_PER_OD ? MAX_UNITS_PER_OD : a;
	default:
		return need(n->a);
	}
}

static tx_err od_time(const json_t *od, size_t i, const char *name, int64_t *us,
		      struct tx_error *err)
{
	const char *s = json_string_value(json_object_get(od, name));

	if (s == NULL || tx_time_parse(s, us, NULL) != TX_OK)
		return tx_error_set(err, TX_ERR_INVALID,
				    "observed-data %zu: %s: missing or not an RFC 3339 timestamp", i, name);
	return TX_OK;
}

tx_err pattern_eval(const pattern *p, const struct pattern_obsset *set,
		    struct pattern_result *res, struct tx_error *err)
{
	struct ctx c = { .p = p, .set = set, .err = err };
	struct blist out = { 0 };
	size_t n = set->n_observed;
	int64_t cap = need(p->root);
	tx_err rc = TX_OK;

	memset(res, 0, sizeof(*res));
	c.first = calloc(n ? n : 1, sizeof(*c.first));
	c.last = calloc(n ? n : 1, sizeof(*c.last));
	c.od_units = calloc(n ? n : 1, sizeof(*c.od_units));
	if (c.first == NULL || c.last == NULL || c.od_units == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *od = set->observed[i];
		const json_t *no = json_object_get(od, "number_observed");
		if ((rc = od_time(od, i, "first_observed", &c.first[i], err)) != TX_OK ||
		    (rc = od_time(od, i, "last_observed", &c.last[i], err)) != TX_OK)
			goto out;
		if (!json_is_integer(no) || json_integer_value(no) < 1) {
			rc = tx_error_set(err, TX_ERR_INVALID,
					  "observed-data %zu: number_observed: must be an integer of at least 1", i);
			goto out;
		}
		c.od_units[i] = json_integer_value(no) < cap ? (size_t)json_integer_value(no) : (size_t)cap;
		c.n_units += c.od_units[i];
	}
	if (c.n_units > UINT32_MAX / 2) {
		rc = tx_error_set(err, TX_ERR_TOOBIG, "too many observations");
		goto out;
	}
	if ((c.unit_od = malloc((c.n_units ? c.n_units : 1) * sizeof(*c.unit_od))) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0, u = 0; i < n; i++)
		for (size_t k = 0; k < c.od_units[i]; k++)
			c.unit_od[u++] = (uint32_t)i;
	if ((rc = obs_eval(&c, p->root, &out)) != TX_OK)
		goto out;
	if (out.n > 0) {
		res->matched = 1;
		for (size_t k = 0; k < out.len[0]; k++) {
			size_t od = c.unit_od[out.pool[out.off[0] + k]];
			bool seen = false;
			for (size_t j = 0; j < res->n_bound; j++)
				seen = seen || res->bound[j] == od;
			if (!seen && res->n_bound < PATTERN_MAX_BOUND)
				res->bound[res->n_bound++] = od;
		}
	}
out:
	bl_free(&out);
	free(c.first);
	free(c.last);
	free(c.od_units);
	free(c.unit_od);
	return rc;
}

/* ---- sets of observations from JSON ---- */

/* Deepest nesting of lists and bundles gather follows (a list of lists of
 * bundles is 3); deeper input is refused, never walked without end. */
#define GATHER_MAX_DEPTH 16

/* What gather saw, to say why no observed-data was found. */
struct seen {
	size_t n_bundles, n_lists, n_objects, n_other;
	const char *types[4];   /* the first distinct object types (borrowed) */
	size_t n_types;
};

static void seen_type(struct seen *s, const char *type)
{
	if (type == NULL)
		type = "(no type)";
	for (size_t i = 0; i < s->n_types; i++)
		if (strcmp(s->types[i], type) == 0)
			return;
	if (s->n_types < sizeof(s->types) / sizeof(s->types[0]))
		s->types[s->n_types++] = type;
}

/*
 * Walk v: a bundle, an observed-data or another object, or a list of any
 * of these (lists and bundles nest, so a list of bundles, the form the
 * OASIS matcher reads, and a list of lists of objects are read alike).
 */
static tx_err gather(const json_t *v, struct pattern_obsset *set, size_t *cap, int depth,
		     struct seen *seen, struct tx_error *err)
{
	if (depth > GATHER_MAX_DEPTH)
		return tx_error_set(err, TX_ERR_INVALID,
				    "lists and bundles nested more than %d deep", GATHER_MAX_DEPTH);
	if (json_is_array(v)) {
		seen->n_lists++;
		for (size_t i = 0; i < json_array_size(v); i++) {
			tx_err rc = gather(json_array_get(v, i), set, cap, depth + 1, seen, err);
			if (rc != TX_OK)
				return rc;
		}
		return TX_OK;
	}
	if (!json_is_object(v)) {
		seen->n_other++;
		return TX_OK;
	}
	const char *type = json_string_value(json_object_get(v, "type"));
	const char *id = json_string_value(json_object_get(v, "id"));
	if (type && strcmp(type, "bundle") == 0) {
		const json_t *objs = json_object_get(v, "objects");
		seen->n_bundles++;
		if (objs == NULL)
			return TX_OK;
		if (!json_is_array(objs))
			return tx_error_set(err, TX_ERR_INVALID, "a bundle's objects is not a list");
		for (size_t i = 0; i < json_array_size(objs); i++) {
			tx_err rc = gather(json_array_get(objs, i), set, cap, depth + 1, seen, err);
			if (rc != TX_OK)
				return rc;
		}
		return TX_OK;
	}
	seen->n_objects++;
	seen_type(seen, type);
	if (id && json_object_set(set->objects, id, (json_t *)v) != 0)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if (type && strcmp(type, "observed-data") == 0) {
		if (set->n_observed == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			const json_t **o = realloc(set->observed, nc * sizeof(*o));
			if (o == NULL)
				return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			set->observed = o;
			*cap = nc;
		}
		set->observed[set->n_observed++] = v;
	}
	return TX_OK;
}

/* "no observed-data found: ..." with what the input held instead. */
static tx_err none_found(const json_t *root, const struct seen *s, struct tx_error *err)
{
	char types[200] = "";
	size_t off = 0;

	if (!json_is_array(root) && !json_is_object(root))
		return tx_error_set(err, TX_ERR_INVALID,
				    "no observed-data found: the input is a JSON %s, not a bundle, "
				    "a list or an object",
				    json_is_string(root) ? "string" : json_is_null(root) ? "null"
				    : json_is_boolean(root) ? "boolean" : "number");
	if (s->n_objects == 0)
		return tx_error_set(err, TX_ERR_INVALID,
				    "no observed-data found: %zu bundle(s) and %zu list(s) hold no "
				    "STIX object%s", s->n_bundles, s->n_lists,
				    s->n_other ? " (only values that are not objects)" : "");
	for (size_t i = 0; i < s->n_types && off < sizeof(types); i++) {
		int n = snprintf(types + off, sizeof(types) - off, "%s%s", i ? ", " : "",
				 s->types[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return tx_error_set(err, TX_ERR_INVALID,
			    "no observed-data found: %zu object(s) read (type %s%s), none of "
			    "type observed-data", s->n_objects, types,
			    s->n_types == sizeof(s->types) / sizeof(s->types[0]) ? ", ..." : "");
}

tx_err pattern_obsset_from_json(const json_t *root, struct pattern_obsset *set,
				struct tx_error *err)
{
	struct seen seen = { 0 };
	size_t cap = 0;
	tx_err rc;

	memset(set, 0, sizeof(*set));
	set->owned = 1;
	if ((set->objects = json_object()) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	rc = gather(root, set, &cap, 0, &seen, err);
	if (rc == TX_OK && set->n_observed == 0)
		rc = none_found(root, &seen, err);
	if (rc != TX_OK)
		pattern_obsset_free(set);
	return rc;
}

void pattern_obsset_free(struct pattern_obsset *set)
{
	if (set == NULL || !set->owned)
		return;
	free(set->observed);
	json_decref(set->objects);
	memset(set, 0, sizeof(*set));
}
