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

/* The most observations one binding may hold (REPEATS 1000 TIMES of an
 * AND of four is 4000); the search's depth. */
#define PATTERN_MAX_BINDING 4096

struct nodeinfo;
struct cons;

struct ctx {
	const pattern *p;
	const struct pattern_obsset *set;
	int64_t *first, *last;
	size_t *od_units;      /* units of each od */
	uint32_t *unit_od;     /* od of each unit */
	size_t n_units;
	struct nodeinfo *info; /* per node of the pattern */
	size_t n_info, cap_info;
	uint32_t *stack;       /* the binding being built */
	size_t top;
	unsigned char *used;   /* per unit: in the binding */
	struct cons *cons;     /* constraints in force */
	size_t steps, max_steps;
	struct pattern_result *res;
	struct tx_error *err;
	tx_err rc;
};

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

/* ---- observation expressions: a search, not an enumeration ----
 *
 * The evaluator looks for one binding of the whole pattern, depth first,
 * and stops at the first. Each observation expression hands the bindings
 * it finds to a continuation (struct kont), so no list of combinations is
 * ever built. What a qualifier or FOLLOWEDBY asks of the observations is
 * pushed down as a constraint (struct cons) and checked as each
 * observation is added, so a branch that cannot fit is cut at once:
 * WITHIN bounds the span of the binding so far, START/STOP and the right
 * side of FOLLOWEDBY bound each observation's times. REPEATS takes its n
 * bindings in the order of their first observation (every observation of
 * the next one after the first of this one), so each set is tried once,
 * and stops as soon as fewer observations are left that could serve than
 * the repetitions still need. Every observation tried is a step; past
 * max_steps the evaluation is refused (TX_ERR_TOOBIG), never a silent "no
 * match".
 */

enum cons_kind { C_SPAN, C_WIN, C_LASTGE, C_GT };

struct cons {
	enum cons_kind kind;
	bool active;       /* off while the constrained binding's successors run */
	size_t depth;      /* C_SPAN: first stack slot of the binding */
	int64_t a, b;      /* C_SPAN: window; C_WIN: [a, b); C_LASTGE: a; C_GT: unit > a */
	struct cons *prev;
};

struct kont;
typedef int (*kont_fn)(struct ctx *c, const struct kont *k);

/* What to do with a binding found: 1 found (stop), 0 go on, -1 error. */
struct kont {
	kont_fn fn;
	const struct kont *next;
	const struct px_node *n;
	struct cons *cons;
	size_t depth;      /* stack slot where n's binding starts */
	int64_t left, m;   /* REPEATS: repetitions left, first unit of the last */
};

/* Units of a node's observation expressions (sorted), and how few units
 * one binding of it takes. */
struct nodeinfo {
	const struct px_node *n;
	uint32_t *units;
	size_t n_units;
	int64_t min_units;
};

static int find(struct ctx *c, const struct px_node *n, const struct kont *k);

static struct nodeinfo *info_of(const struct ctx *c, const struct px_node *n)
{
	for (size_t i = 0; i < c->n_info; i++)
		if (c->info[i].n == n)
			return &c->info[i];
	return NULL;
}

static int fail(struct ctx *c, tx_err code, const char *what)
{
	c->rc = tx_error_set(c->err, code, "%s", what);
	return -1;
}

/* Whether unit u may join the binding under the active constraints. */
static bool unit_ok(const struct ctx *c, uint32_t u)
{
	size_t od = c->unit_od[u];

	for (const struct cons *x = c->cons; x != NULL; x = x->prev) {
		if (!x->active)
			continue;
		switch (x->kind) {
		case C_GT:
			if ((int64_t)u <= x->a)
				return false;
			break;
		case C_LASTGE:
			if (c->last[od] < x->a)
				return false;
			break;
		case C_WIN:
			if (!(c->first[od] < x->b && c->last[od] >= x->a))
				return false;
			break;
		case C_SPAN: {
			int64_t max_first = c->first[od], min_last = c->last[od];
			for (size_t i = x->depth; i < c->top; i++) {
				size_t o = c->unit_od[c->stack[i]];
				if (c->first[o] > max_first)
					max_first = c->first[o];
				if (c->last[o] < min_last)
					min_last = c->last[o];
			}
			/* 9.5.1: the window is half-open, so the observations
			 * fit if the latest start is less than a after the
			 * earliest end */
			if (max_first - min_last >= x->a)
				return false;
			break;
		}
		}
	}
	return true;
}

static int k_unscope(struct ctx *c, const struct kont *k)
{
	int r;

	k->cons->active = false;
	r = k->next->fn(c, k->next);
	k->cons->active = true;
	return r;
}

/* Find bindings of n under constraint x (pushed for n's search only). */
static int find_under(struct ctx *c, const struct px_node *n, struct cons *x,
		      const struct kont *k)
{
	struct kont kw = { .fn = k_unscope, .next = k, .cons = x };
	int r;

	x->active = true;
	x->prev = c->cons;
	c->cons = x;
	r = find(c, n, &kw);
	c->cons = x->prev;
	return r;
}

static int k_then(struct ctx *c, const struct kont *k)
{
	return find(c, k->n, k->next);
}

/* FOLLOWEDBY: every observation of the right side ends no earlier than
 * the latest start on the left. */
static int k_followed(struct ctx *c, const struct kont *k)
{
	struct cons x = { .kind = C_LASTGE, .a = INT64_MIN };

	for (size_t i = k->depth; i < c->top; i++)
		if (c->first[c->unit_od[c->stack[i]]] > x.a)
			x.a = c->first[c->unit_od[c->stack[i]]];
	return find_under(c, k->n, &x, k->next);
}

static int k_repeat(struct ctx *c, const struct kont *k);

static int k_repeat_done(struct ctx *c, const struct kont *k)
{
	struct kont kr = { .fn = k_repeat, .next = k->next, .n = k->n, .left = k->left - 1,
			   .m = INT64_MAX };
	int r;

	for (size_t i = k->depth; i < c->top; i++)
		if ((int64_t)c->stack[i] < kr.m)
			kr.m = c->stack[i];
	k->cons->active = false;
	r = k_repeat(c, &kr);
	k->cons->active = true;
	return r;
}

/* The next of REPEATS' bindings: all its units after the first unit of
 * the one before (k->m), so each set of bindings is tried in one order. */
static int k_repeat(struct ctx *c, const struct kont *k)
{
	const struct nodeinfo *ni = info_of(c, k->n->a);
	int64_t want, have = 0;

	if (k->left == 0)
		return k->next->fn(c, k->next);
	/* cut: fewer units left that could serve than the rest need */
	want = ni->min_units > INT64_MAX / k->left ? INT64_MAX : ni->min_units * k->left;
	for (size_t i = 0; i < ni->n_units && have < want; i++) {
		uint32_t u = ni->units[i];
		if ((int64_t)u > k->m && !c->used[u] && unit_ok(c, u))
			have++;
	}
	c->steps += ni->n_units / 8 + 1;
	if (have < want)
		return 0;
	struct cons x = { .kind = C_GT, .a = k->m };
	struct kont kd = { .fn = k_repeat_done, .next = k->next, .n = k->n, .left = k->left,
			   .depth = c->top, .cons = &x };
	x.active = true;
	x.prev = c->cons;
	c->cons = &x;
	int r = find(c, k->n->a, &kd);
	c->cons = x.prev;
	return r;
}

static int find(struct ctx *c, const struct px_node *n, const struct kont *k)
{
	int r;

	switch (n->kind) {
	case PX_OBS: {
		const struct nodeinfo *ni = info_of(c, n);
		for (size_t i = 0; i < ni->n_units; i++) {
			uint32_t u = ni->units[i];
			if (c->used[u])
				continue;
			if (++c->steps > c->max_steps) {
				c->rc = tx_error_set(c->err, TX_ERR_TOOBIG,
						     "pattern evaluation: more than %zu steps (observations tried),"
						     " the evaluator's limit", c->max_steps);
				return -1;
			}
			if (!unit_ok(c, u))
				continue;
			if (c->top >= PATTERN_MAX_BINDING)
				{
				c->rc = tx_error_set(c->err, TX_ERR_TOOBIG,
						     "pattern evaluation: a binding of more than %d observations",
						     PATTERN_MAX_BINDING);
				return -1;
			}
			c->stack[c->top++] = u;
			c->used[u] = 1;
			r = k->fn(c, k);
			c->used[u] = 0;
			c->top--;
			if (r != 0)
				return r;
		}
		return 0;
	}
	case PX_OBS_OR:
		if ((r = find(c, n->a, k)) != 0)
			return r;
		return find(c, n->b, k);
	case PX_OBS_AND:
	case PX_FOLLOWEDBY: {
		struct kont k1 = { .fn = n->kind == PX_FOLLOWEDBY ? k_followed : k_then,
				   .next = k, .n = n->b, .depth = c->top };
		return find(c, n->a, &k1);
	}
	case PX_WITHIN: {
		struct cons x = { .kind = C_SPAN, .depth = c->top, .a = n->within_us };
		return find_under(c, n->a, &x, k);
	}
	case PX_STARTSTOP: {
		struct cons x = { .kind = C_WIN, .a = n->start, .b = n->stop };
		if (!(n->start < n->stop))
			return 0;
		return find_under(c, n->a, &x, k);
	}
	case PX_REPEATS: {
		struct kont kr = { .fn = k_repeat, .next = k, .n = n, .left = n->repeats, .m = -1 };
		return k_repeat(c, &kr);
	}
	default:
		return fail(c, TX_ERR_INTERNAL, "pattern: bad node");
	}
}

/* The first binding found: its observed-data, into c->res. */
static int k_found(struct ctx *c, const struct kont *k)
{
	struct pattern_result *res = c->res;

	(void)k;
	res->matched = 1;
	for (size_t i = 0; i < c->top; i++) {
		size_t od = c->unit_od[c->stack[i]];
		bool seen = false;
		for (size_t j = 0; j < res->n_bound; j++)
			seen = seen || res->bound[j] == od;
		if (!seen && res->n_bound < PATTERN_MAX_BOUND)
			res->bound[res->n_bound++] = od;
	}
	return 1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The units each observation expression binds (comparisons evaluated once
 * per observed-data), and for every node the units under it. */
static tx_err prepare(struct ctx *c, const struct px_node *n)
{
	struct nodeinfo ni = { .n = n };

	switch (n->kind) {
	case PX_OBS: {
		size_t unit = 0;
		if ((ni.units = malloc((c->n_units ? c->n_units : 1) * sizeof(*ni.units))) == NULL)
			goto nomem;
		for (size_t od = 0; od < c->set->n_observed; od++) {
			size_t n_roots = 0;
			const json_t **roots = roots_of(c, od, &n_roots);
			unsigned char *hits = malloc(n_roots ? n_roots : 1);
			bool any = false;
			if (roots == NULL || hits == NULL) {
				free(roots);
				free(hits);
				free(ni.units);
				goto nomem;
			}
			comp_eval(c, od, n->a, roots, n_roots, hits);
			for (size_t i = 0; i < n_roots; i++)
				any = any || hits[i];
			free(roots);
			free(hits);
			for (size_t u = 0; any && u < c->od_units[od]; u++)
				ni.units[ni.n_units++] = (uint32_t)(unit + u);
			unit += c->od_units[od];
		}
		ni.min_units = 1;
		break;
	}
	case PX_OBS_OR:
	case PX_OBS_AND:
	case PX_FOLLOWEDBY: {
		tx_err rc;
		if ((rc = prepare(c, n->a)) != TX_OK || (rc = prepare(c, n->b)) != TX_OK)
			return rc;
		const struct nodeinfo *a = info_of(c, n->a), *b = info_of(c, n->b);
		size_t cap = a->n_units + b->n_units;
		if ((ni.units = malloc((cap ? cap : 1) * sizeof(*ni.units))) == NULL)
			goto nomem;
		memcpy(ni.units, a->units, a->n_units * sizeof(*ni.units));
		memcpy(ni.units + a->n_units, b->units, b->n_units * sizeof(*ni.units));
		tx_sort(ni.units, cap, sizeof(*ni.units), cmp_u32);
		for (size_t i = 0; i < cap; i++)
			if (ni.n_units == 0 || ni.units[ni.n_units - 1] != ni.units[i])
				ni.units[ni.n_units++] = ni.units[i];
		if (n->kind == PX_OBS_OR)
			ni.min_units = a->min_units < b->min_units ? a->min_units : b->min_units;
		else
			ni.min_units = a->min_units + b->min_units;
		break;
	}
	case PX_WITHIN:
	case PX_STARTSTOP:
	case PX_REPEATS: {
		tx_err rc;
		if ((rc = prepare(c, n->a)) != TX_OK)
			return rc;
		const struct nodeinfo *a = info_of(c, n->a);
		if ((ni.units = malloc((a->n_units ? a->n_units : 1) * sizeof(*ni.units))) == NULL)
			goto nomem;
		memcpy(ni.units, a->units, a->n_units * sizeof(*ni.units));
		ni.n_units = a->n_units;
		ni.min_units = a->min_units;
		if (n->kind == PX_REPEATS)
			ni.min_units = a->min_units > INT64_MAX / n->repeats
				? INT64_MAX : a->min_units * n->repeats;
		break;
	}
	default:
		return c->rc = tx_error_set(c->err, TX_ERR_INTERNAL, "pattern: bad node");
	}
	if (c->n_info == c->cap_info) {
		size_t cap = c->cap_info ? c->cap_info * 2 : 8;
		struct nodeinfo *p = realloc(c->info, cap * sizeof(*p));
		if (p == NULL) {
			free(ni.units);
			goto nomem;
		}
		c->info = p;
		c->cap_info = cap;
	}
	c->info[c->n_info++] = ni;
	return TX_OK;
nomem:
	return c->rc = tx_error_set(c->err, TX_ERR_NOMEM, "out of memory");
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
		return a > PATTERN_MAX_BINDING ? PATTERN_MAX_BINDING : a;
	case PX_REPEATS:
		a = need(n->a) * n->repeats;
		return a > PATTERN_MAX_BINDING ? PATTERN_MAX_BINDING : a;
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

tx_err pattern_eval_limit(const pattern *p, const struct pattern_obsset *set, size_t max_steps,
			  struct pattern_result *res, struct tx_error *err)
{
	struct ctx c = { .p = p, .set = set, .err = err, .res = res,
			 .max_steps = max_steps ? max_steps : PATTERN_EVAL_STEPS };
	struct kont top = { .fn = k_found };
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
	c.unit_od = malloc((c.n_units ? c.n_units : 1) * sizeof(*c.unit_od));
	c.used = calloc(c.n_units ? c.n_units : 1, 1);
	c.stack = malloc(PATTERN_MAX_BINDING * sizeof(*c.stack));
	if (c.unit_od == NULL || c.used == NULL || c.stack == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0, u = 0; i < n; i++)
		for (size_t k = 0; k < c.od_units[i]; k++)
			c.unit_od[u++] = (uint32_t)i;
	if ((rc = prepare(&c, p->root)) != TX_OK)
		goto out;
	if (find(&c, p->root, &top) < 0) {
		memset(res, 0, sizeof(*res));
		rc = c.rc;
	}
out:
	for (size_t i = 0; i < c.n_info; i++)
		free(c.info[i].units);
	free(c.info);
	free(c.first);
	free(c.last);
	free(c.od_units);
	free(c.unit_od);
	free(c.used);
	free(c.stack);
	return rc;
}

tx_err pattern_eval(const pattern *p, const struct pattern_obsset *set,
		    struct pattern_result *res, struct tx_error *err)
{
	return pattern_eval_limit(p, set, 0, res, err);
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
	/* the key is a jansson string's text, UTF-8 already: not checked again */
	if (id && json_object_set_nocheck(set->objects, id, (json_t *)v) != 0)
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
