/*
 * pattern/facts.c: every scalar an observed-data holds, by canonical path.
 *
 * The index looks events up by (path, value) facts. This walker makes them
 * from the same JSON the reference evaluator reads, so the two cannot
 * disagree about what an observation holds: "type:a.b[*].c", references
 * (_ref, _refs) followed as the evaluator follows them.
 */
#include <math.h>
#include <string.h>

#include "pattern/internal.h"

#define PATH_MAX_LEN 512
#define MAX_DEREF 3

struct fwalk {
	const struct pattern_obsset *set;
	size_t od;
	pattern_fact_fn fn;
	void *ctx;
	char path[PATH_MAX_LEN];
};

static const json_t *lookup(const struct fwalk *w, const char *id)
{
	const json_t *local = json_object_get(w->set->observed[w->od], "objects");
	const json_t *o = local && id ? json_object_get(local, id) : NULL;

	/* only SCOs of the same observed-data, as the evaluator (9.7.4) */
	const json_t *refs = json_object_get(w->set->observed[w->od], "object_refs");
	for (size_t i = 0; o == NULL && id && w->set->objects && i < json_array_size(refs); i++) {
		const char *r = json_string_value(json_array_get(refs, i));
		if (r && strcmp(r, id) == 0)
			o = json_object_get(w->set->objects, id);
	}
	return json_is_object(o) ? o : NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void emit(struct fwalk *w, size_t plen, const json_t *v, const char *holder,
		 const char *key)
{
	struct pattern_fact f = { .path = pattern_path_hash(w->path, plen) };

	if (json_is_string(v)) {
		f.s = json_string_value(v);
		f.len = json_string_length(v);
		f.kind = PATTERN_FACT_STRING;
		if (holder && key && strcmp(key, "value") == 0 &&
		    (strcmp(holder, "ipv4-addr") == 0 || strcmp(holder, "ipv6-addr") == 0))
			pattern_fact_ip(&f);
	} else if (json_is_integer(v)) {
		f.kind = PATTERN_FACT_INT;
		f.num = json_integer_value(v);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d != floor(d) || fabs(d) > 9e18)
			return;
		f.kind = PATTERN_FACT_INT;
		f.num = (int64_t)d;
	} else {
		return;
	}
	w->fn(w->ctx, &f);
}

static void rec(struct fwalk *w, const json_t *v, size_t plen, const char *holder,
		const char *key, int derefs);

static void rec_object(struct fwalk *w, const json_t *o, size_t plen, int first,
		       int derefs)
{
	const char *k;
	json_t *v;
	const char *holder = json_string_value(json_object_get(o, "type"));

	json_object_foreach((json_t *)o, k, v) {
		size_t n = plen, klen = strlen(k);
		if (!first)
			w->path[n++] = '.';
		if (pattern_ident(k, klen)) {
			if (n + klen >= PATH_MAX_LEN)
				continue;
			memcpy(w->path + n, k, klen);
			n += klen;
		} else {
			if (n + 2 * klen + 2 >= PATH_MAX_LEN)
				continue;
			w->path[n++] = '\'';
			for (size_t i = 0; i < klen; i++) {
				if (k[i] == '\'' || k[i] == '\\')
					w->path[n++] = '\\';
				w->path[n++] = k[i];
			}
			w->path[n++] = '\'';
		}
		rec(w, v, n, holder, k, derefs);
	}
}

static void rec(struct fwalk *w, const json_t *v, size_t plen, const char *holder,
		const char *key, int derefs)
{
	if (json_is_object(v)) {
		rec_object(w, v, plen, 0, derefs);
	} else if (json_is_array(v)) {
		if (plen + 3 >= PATH_MAX_LEN)
			return;
		memcpy(w->path + plen, "[*]", 3);
		for (size_t i = 0; i < json_array_size(v); i++)
			rec(w, json_array_get(v, i), plen + 3, holder, key, derefs);
	} else {
		emit(w, plen, v, holder, key);
		if (json_is_string(v) && key && derefs < MAX_DEREF &&
		    (ends_with(key, "_ref") || ends_with(key, "_refs"))) {
			const json_t *o = lookup(w, json_string_value(v));
			if (o != NULL)
				rec_object(w, o, plen, 0, derefs + 1);
		}
	}
}

tx_err pattern_facts_walk(const struct pattern_obsset *set, size_t i,
			  pattern_fact_fn fn, void *ctx)
{
	struct fwalk w = { .set = set, .od = i, .fn = fn, .ctx = ctx };
	const json_t *o = set->observed[i];
	const json_t *refs = json_object_get(o, "object_refs");
	const json_t *objs = json_object_get(o, "objects");
	const char *k;
	json_t *v;

	for (size_t r = 0; r < json_array_size(refs); r++) {
		const json_t *x = set->objects
			? json_object_get(set->objects, json_string_value(json_array_get(refs, r)))
			: NULL;
		const char *type = json_string_value(json_object_get(x, "type"));
		size_t tl;
		if (!json_is_object(x) || type == NULL || (tl = strlen(type)) + 2 >= PATH_MAX_LEN)
			continue;
		memcpy(w.path, type, tl);
		w.path[tl] = ':';
		rec_object(&w, x, tl + 1, 1, 0);
	}
	json_object_foreach((json_t *)objs, k, v) {
		const char *type = json_string_value(json_object_get(v, "type"));
		size_t tl;
		if (!json_is_object(v) || type == NULL || (tl = strlen(type)) + 2 >= PATH_MAX_LEN)
			continue;
		memcpy(w.path, type, tl);
		w.path[tl] = ':';
		rec_object(&w, v, tl + 1, 1, 0);
	}
	return TX_OK;
}

struct fcollect {
	struct pattern_fact *out;
	size_t n, cap, all;
};

static void collect_one(void *ctx, const struct pattern_fact *f)
{
	struct fcollect *c = ctx;

	if (c->n < c->cap)
		c->out[c->n++] = *f;
	c->all++;
}

size_t pattern_facts_collect(const struct pattern_obsset *set, size_t i,
			     struct pattern_fact *out, size_t cap, size_t *left_out)
{
	struct fcollect c = { .out = out, .cap = cap };

	pattern_facts_walk(set, i, collect_one, &c);
	if (left_out != NULL)
		*left_out = c.all - c.n;
	return c.n;
}
