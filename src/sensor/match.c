/*
 * sensor/match.c: events against the index of indicators.
 *
 * Per event: the index names the candidates (no allocation); only then is
 * the event turned into STIX and each candidate evaluated by the reference
 * evaluator, so what matches is exactly what the specification says.
 * Patterns of several observations (AND, FOLLOWEDBY, REPEATS between
 * brackets) keep a window of the last WINDOW observations that were
 * candidates for them, and are evaluated over the window; after a match
 * the window starts afresh, so one combination is reported once.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/sensor.h"

#define MAX_CANDIDATES 4096
#define WINDOW 16
#define MAX_VALUES 16

struct window {
	uint32_t ind;          /* UINT32_MAX: free slot */
	size_t n, head;
	json_t *entries[WINDOW]; /* each a list of objects: observed-data first */
};

struct sensor_engine {
	pattern_index *ix;
	uint32_t cands[MAX_CANDIDATES];
	struct sensor_stats st;
	struct window *win;
	size_t win_cap, win_used;
};

tx_err sensor_engine_new(pattern_index *ix, sensor_engine **out)
{
	sensor_engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return TX_ERR_NOMEM;
	e->ix = ix;
	*out = e;
	return TX_OK;
}

void sensor_engine_free(sensor_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->win_cap; i++)
		for (size_t k = 0; k < e->win[i].n; k++)
			json_decref(e->win[i].entries[k]);
	free(e->win);
	free(e);
}

const struct sensor_stats *sensor_engine_stats(const sensor_engine *e)
{
	return &e->st;
}

void sensor_engine_malformed(sensor_engine *e)
{
	e->st.malformed++;
}

static struct window *window_of(sensor_engine *e, uint32_t ind)
{
	if (e->win_used * 2 >= e->win_cap) {
		size_t cap = e->win_cap ? e->win_cap * 2 : 64;
		struct window *w = calloc(cap, sizeof(*w));
		if (w == NULL)
			return NULL;
		for (size_t i = 0; i < cap; i++)
			w[i].ind = UINT32_MAX;
		for (size_t i = 0; i < e->win_cap; i++) {
			if (e->win[i].ind == UINT32_MAX)
				continue;
			size_t s = (e->win[i].ind * 2654435761u) & (cap - 1);
			while (w[s].ind != UINT32_MAX)
				s = (s + 1) & (cap - 1);
			w[s] = e->win[i];
		}
		free(e->win);
		e->win = w;
		e->win_cap = cap;
	}
	size_t s = (ind * 2654435761u) & (e->win_cap - 1);
	while (e->win[s].ind != UINT32_MAX && e->win[s].ind != ind)
		s = (s + 1) & (e->win_cap - 1);
	if (e->win[s].ind == UINT32_MAX) {
		e->win[s].ind = ind;
		e->win_used++;
	}
	return &e->win[s];
}

static void window_clear(struct window *w)
{
	for (size_t k = 0; k < w->n; k++)
		json_decref(w->entries[(w->head + k) % WINDOW]);
	w->n = w->head = 0;
}

/* Whether the pattern text names value s as a constant (not as the object
 * type before a ':'), or, for an address, has a CIDR constant holding it. */
static int named(const char *text, size_t tl, const struct pattern_fact *f)
{
	for (const char *p = text; (p = memmem(p, tl - (size_t)(p - text), f->s, f->len)) != NULL; p++) {
		size_t end = (size_t)(p - text) + f->len;
		if (end >= tl || text[end] != ':')
			return 1;
	}
	if (f->kind != PATTERN_FACT_IP)
		return 0;
	/* quoted constants that are networks */
	for (size_t i = 0; i < tl; i++) {
		if (text[i] != '\'')
			continue;
		size_t j = i + 1;
		while (j < tl && text[j] != '\'')
			j++;
		if (j < tl && pattern_net_within(f->s, f->len, text + i + 1, j - i - 1))
			return 1;
		i = j;
	}
	return 0;
}

/* The values of the event that the pattern names (see named). */
static json_t *matched_values(const pattern_index *ix, uint32_t ind,
			      const struct pattern_fact *facts, size_t n)
{
	size_t tl;
	const char *text = pattern_index_text(ix, ind, &tl);
	json_t *v = json_array();

	for (size_t i = 0; v && i < n && json_array_size(v) < MAX_VALUES; i++) {
		const struct pattern_fact *f = &facts[i];
		if (f->kind == PATTERN_FACT_INT || f->len < 3 || !named(text, tl, f))
			continue;
		int dup = 0;
		for (size_t k = 0; k < json_array_size(v) && !dup; k++) {
			json_t *x = json_array_get(v, k);
			dup = json_string_length(x) == f->len && memcmp(json_string_value(x), f->s, f->len) == 0;
		}
		/* a sighting that names some of the values it matched would
		 * read as naming them all */
		if (!dup && json_array_append_new(v, json_stringn(f->s, f->len)) != 0) {
			json_decref(v);
			return NULL;
		}
	}
	return v;
}

static int64_t od_time(const json_t *od, const char *key)
{
	int64_t us = 0;
	const char *s = json_string_value(json_object_get(od, key));

	if (s)
		tx_time_parse(s, &us, NULL);
	return us;
}

/*
 * Evaluate the candidates of one observation. entry: [observed-data,
 * SCOs...] with their final ids, made once for all the candidates (a new
 * reference is taken for windows); single: its obsset.
 */
static tx_err evaluate(sensor_engine *e, size_t n_cands, json_t *entry,
		       const struct pattern_obsset *single, size_t line,
		       const struct pattern_fact *facts, size_t n_facts,
		       sensor_match_fn fn, void *ctx, struct tx_error *err)
{
	const json_t *od0 = single->observed[0];

	for (size_t k = 0; k < n_cands && k < MAX_CANDIDATES; k++) {
		uint32_t ind = e->cands[k];
		const pattern *p = pattern_index_pattern(e->ix, ind);
		struct pattern_result res;
		struct pattern_obsset multi = { 0 };
		const struct pattern_obsset *set = single;
		struct window *w = NULL;
		json_t *all = NULL;
		char id[300];
		tx_err rc;

		if (p == NULL)
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		e->st.evaluated++;
		if (pattern_index_multi(e->ix, ind)) {
			if ((w = window_of(e, ind)) == NULL)
				return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			if (w->n == WINDOW) {
				json_decref(w->entries[w->head]);
				w->head = (w->head + 1) % WINDOW;
				w->n--;
			}
			w->entries[(w->head + w->n) % WINDOW] = json_incref(entry);
			w->n++;
			if ((all = json_array()) == NULL)
				return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			/* an observation left out of the window would miss
			 * the match it completes */
			for (size_t j = 0; j < w->n; j++)
				if (json_array_append(all, w->entries[(w->head + j) %
								      WINDOW]) != 0) {
					json_decref(all);
					return tx_error_set(err, TX_ERR_NOMEM,
							    "out of memory");
				}
			if ((rc = pattern_obsset_from_json(all, &multi, err)) != TX_OK) {
				json_decref(all);
				return rc;
			}
			set = &multi;
		}
		rc = pattern_eval(p, set, &res, err);
		if (rc == TX_OK && res.matched) {
			struct sensor_match m = { .ind = ind, .line = line };
			int64_t first = INT64_MAX, last = INT64_MIN;
			for (size_t b = 0; b < res.n_bound; b++) {
				const json_t *od = set->observed[res.bound[b]];
				int64_t f = od_time(od, "first_observed"), l = od_time(od, "last_observed");
				first = f < first ? f : first;
				last = l > last ? l : last;
			}
			m.first = first;
			m.last = last;
			m.indicator_id = pattern_index_id(e->ix, ind, id, sizeof(id));
			m.observed = w ? set->observed[res.bound[0]] : od0;
			m.observed_id = json_string_value(json_object_get(m.observed, "id"));
			json_t *values = matched_values(e->ix, ind, facts, n_facts);
			if (values == NULL) {
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			} else {
				m.values = values;
				e->st.matches++;
				fn(ctx, &m);
				json_decref(values);
				if (w)
					window_clear(w);
			}
		}
		pattern_obsset_free(&multi);
		json_decref(all);
		if (rc != TX_OK)
			return rc;
	}
	return TX_OK;
}

tx_err sensor_engine_eve(sensor_engine *e, struct sensor_event *ev,
			 sensor_match_fn fn, void *ctx, struct tx_error *err)
{
	struct pattern_obsset set = { 0 };
	size_t nc = 0;
	json_t *entry = NULL;
	tx_err rc;

	e->st.events++;
	pattern_index_candidates(e->ix, ev->facts, ev->n_facts, e->cands, MAX_CANDIDATES, &nc);
	if (nc == 0)
		return TX_OK;
	e->st.candidates += nc;
	if ((entry = sensor_event_to_stix(ev)) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = pattern_obsset_from_json(entry, &set, err)) == TX_OK)
		rc = evaluate(e, nc, entry, &set, ev->line, ev->facts, ev->n_facts, fn, ctx, err);
	pattern_obsset_free(&set);
	json_decref(entry);
	return rc;
}

#define MAX_FACTS 1024

tx_err sensor_engine_stix(sensor_engine *e, const json_t *root,
			  sensor_match_fn fn, void *ctx, struct tx_error *err)
{
	struct pattern_obsset set = { 0 };
	struct pattern_fact *facts = malloc(MAX_FACTS * sizeof(*facts));
	tx_err rc;

	if (facts == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = pattern_obsset_from_json(root, &set, err)) != TX_OK)
		goto out;
	for (size_t i = 0; i < set.n_observed; i++) {
		struct pattern_obsset one = { .observed = &set.observed[i], .n_observed = 1,
					      .objects = set.objects };
		size_t nc = 0, n_facts;
		e->st.events++;
		n_facts = pattern_facts_collect(&set, i, facts, MAX_FACTS, NULL);
		pattern_index_candidates(e->ix, facts, n_facts, e->cands, MAX_CANDIDATES, &nc);
		if (nc == 0)
			continue;
		e->st.candidates += nc;
		/* the observation with the objects it references, for windows */
		json_t *entry = json_array();
		const json_t *refs = json_object_get(set.observed[i], "object_refs");
		if (entry == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		int lost = json_array_append(entry, (json_t *)set.observed[i]) != 0;
		for (size_t r = 0; !lost && r < json_array_size(refs); r++) {
			json_t *o = json_object_get(set.objects, json_string_value(json_array_get(refs, r)));
			if (o)
				lost = json_array_append(entry, o) != 0;
		}
		if (lost) {
			json_decref(entry);
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		rc = evaluate(e, nc, entry, &one, i + 1, facts, n_facts, fn, ctx, err);
		json_decref(entry);
		if (rc != TX_OK)
			goto out;
	}
out:
	pattern_obsset_free(&set);
	free(facts);
	return rc;
}

void sensor_engine_set_index(sensor_engine *e, pattern_index *ix)
{
	/* The windows of multi-observation patterns name positions in the
	 * old index: they start afresh with the new one. */
	for (size_t i = 0; i < e->win_cap; i++) {
		window_clear(&e->win[i]);
		e->win[i].ind = UINT32_MAX;
	}
	e->win_used = 0;
	e->ix = ix;
}
