/*
 * sensor/sighting.c: matches folded into sightings, each stored once.
 *
 * A sighting is keyed by (indicator, sighting node, window): its id is a
 * name-based UUID of the three (and the window's length), so matching
 * the same events again names the same sighting. Each observation that
 * counts in it is remembered by a short key (x_trilex_observations: 16 hex
 * digits of a UUIDv5 over the indicator, the observation's time span, its
 * matched values and the observed-data id when there is one), so a run
 * over events already counted adds nothing, and a run with new events in
 * the same window makes a new version of the stored sighting (same id and
 * created, a later modified) whose count is that of every distinct
 * observation. At most SENSOR_SIGHTING_KEYS_MAX keys are kept per
 * sighting; observations past that are counted but not remembered
 * (x_trilex_observations_complete false), so a rerun can count them
 * again: the sighting says so.
 *
 * The aggregates are plain arrays walked linearly per match, as the CLI's
 * were: a run makes few sightings (indicator x window).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/sensor.h"

#define KEY_LEN 16

struct agg {
	char *indicator;
	int64_t window;
	int64_t first, last;
	int64_t unkept;          /* observations past the key cap */
	json_t *keys;            /* owned: object key -> true (distinct) */
	json_t *observed;        /* owned: observed-data ids from the input */
};

struct sensor_sightings {
	int64_t window_us;
	struct agg *aggs;
	size_t n, cap;
};

tx_err sensor_sightings_new(int64_t window_us, sensor_sightings **out,
			    struct tx_error *err)
{
	sensor_sightings *s;

	if (window_us < 1)
		return tx_error_set(err, TX_ERR_INVALID, "a sighting window of"
				    " at least 1 us");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	s->window_us = window_us;
	*out = s;
	return TX_OK;
}

void sensor_sightings_free(sensor_sightings *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->aggs[i].indicator);
		json_decref(s->aggs[i].keys);
		json_decref(s->aggs[i].observed);
	}
	free(s->aggs);
	free(s);
}

size_t sensor_sightings_count(const sensor_sightings *s)
{
	return s->n;
}

/* The key of one observation of m, into out (KEY_LEN + 1). */
static tx_err observation_key(const struct sensor_match *m, char out[KEY_LEN + 1])
{
	struct tx_sha1 h;
	char uuid[TX_UUID_BUF], span[64], *values;
	size_t k = 0;

	if ((values = tx_json_dumps(m->values, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return TX_ERR_NOMEM;
	snprintf(span, sizeof(span), "|%lld|%lld|", (long long)m->first,
		 (long long)m->last);
	tx_sha1_init(&h);
	tx_sha1_update(&h, tx_uuid_ns_trilex, 16);
	tx_sha1_update(&h, "observation|", 12);
	tx_sha1_update(&h, m->indicator_id, strlen(m->indicator_id));
	tx_sha1_update(&h, span, strlen(span));
	tx_sha1_update(&h, values, strlen(values));
	if (m->observed_id != NULL) {
		tx_sha1_update(&h, "|", 1);
		tx_sha1_update(&h, m->observed_id, strlen(m->observed_id));
	}
	free(values);
	tx_uuid5_final(&h, uuid);
	for (const char *p = uuid; *p && k < KEY_LEN; p++)
		if (*p != '-')
			out[k++] = *p;
	out[k] = '\0';
	return TX_OK;
}

/* Remember key in a (or count it past the cap). */
static tx_err keep_key(struct agg *a, const char *key)
{
	if (json_object_get(a->keys, key) != NULL)
		return TX_OK;
	if (json_object_size(a->keys) >= SENSOR_SIGHTING_KEYS_MAX) {
		a->unkept++;
		return TX_OK;
	}
	return json_object_set_new(a->keys, key, json_true()) ? TX_ERR_NOMEM : TX_OK;
}

tx_err sensor_sightings_add(sensor_sightings *s, const struct sensor_match *m,
			    struct tx_error *err)
{
	int64_t w = m->first / s->window_us;
	char key[KEY_LEN + 1];
	struct agg *a = NULL;

	if (observation_key(m, key) != TX_OK)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < s->n && a == NULL; i++)
		if (s->aggs[i].window == w &&
		    strcmp(s->aggs[i].indicator, m->indicator_id) == 0)
			a = &s->aggs[i];
	if (a == NULL) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			struct agg *v = realloc(s->aggs, cap * sizeof(*v));
			if (v == NULL)
				return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			s->aggs = v;
			s->cap = cap;
		}
		a = &s->aggs[s->n];
		memset(a, 0, sizeof(*a));
		a->indicator = strdup(m->indicator_id);
		a->keys = json_object();
		a->observed = json_array();
		if (a->indicator == NULL || a->keys == NULL || a->observed == NULL) {
			free(a->indicator);
			json_decref(a->keys);
			json_decref(a->observed);
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		}
		a->window = w;
		a->first = m->first;
		a->last = m->last;
		s->n++;
	}
	if (m->first < a->first)
		a->first = m->first;
	if (m->last > a->last)
		a->last = m->last;
	if (m->observed_id && json_array_size(a->observed) < 100 &&
	    json_array_append_new(a->observed, json_string(m->observed_id)) != 0)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if (keep_key(a, key) != TX_OK)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return TX_OK;
}

/* The stored version of sighting id with the latest modified, or NULL. */
struct latest {
	json_t *obj;
	int64_t modified;
	int nomem;
};

static int latest_row(void *ctx, const struct store_row *row)
{
	struct latest *l = ctx;
	json_t *o = tx_json_load(row->json, row->json_len, 0, NULL);
	int64_t m = 0;

	if (o == NULL) {
		l->nomem = 1;
		return STORE_ROW_FAIL;
	}
	tx_time_parse(json_string_value(json_object_get(o, "modified")), &m, NULL);
	if (l->obj == NULL || m > l->modified) {
		json_decref(l->obj);
		l->obj = o;
		l->modified = m;
	} else {
		json_decref(o);
	}
	return STORE_ROW_NEXT;
}

/* Add the keys of the stored sighting prior to a; *grew: whether a has
 * any the prior has not. */
static tx_err merge_prior(struct agg *a, const json_t *prior, int *grew)
{
	const json_t *keys = json_object_get(prior, "x_trilex_observations"), *k;
	int64_t pf = 0, pl = 0, pcount;
	size_t i;
	json_t *merged = json_object();
	const char *key;
	json_t *v;

	if (merged == NULL)
		return TX_ERR_NOMEM;
	*grew = 0;
	json_array_foreach(keys, i, k)
		if (json_is_string(k) &&
		    json_object_size(merged) < SENSOR_SIGHTING_KEYS_MAX &&
		    json_object_set_new(merged, json_string_value(k), json_true())) {
			json_decref(merged);
			return TX_ERR_NOMEM;
		}
	json_object_foreach(a->keys, key, v) {
		if (json_object_get(merged, key) != NULL)
			continue;
		*grew = 1;
		if (json_object_size(merged) >= SENSOR_SIGHTING_KEYS_MAX) {
			a->unkept++;
			continue;
		}
		if (json_object_set_new(merged, key, json_true())) {
			json_decref(merged);
			return TX_ERR_NOMEM;
		}
	}
	if (a->unkept > 0)
		*grew = 1;
	/* what the prior counted beyond its keys stays counted */
	pcount = json_integer_value(json_object_get(prior, "count"));
	if (pcount > (int64_t)json_array_size(keys))
		a->unkept += pcount - (int64_t)json_array_size(keys);
	json_decref(a->keys);
	a->keys = merged;
	if (tx_time_parse(json_string_value(json_object_get(prior, "first_seen")),
			  &pf, NULL) == TX_OK && pf < a->first)
		a->first = pf;
	if (tx_time_parse(json_string_value(json_object_get(prior, "last_seen")),
			  &pl, NULL) == TX_OK && pl > a->last)
		a->last = pl;
	return TX_OK;
}

static int cmp_key(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The keys of a, sorted (the same set, the same object). */
static json_t *sorted_keys(const struct agg *a)
{
	size_t n = json_object_size(a->keys), k = 0;
	const char **v = calloc(n + 1, sizeof(*v));
	json_t *out = json_array(), *x;
	const char *key;

	if (v == NULL || out == NULL) {
		free(v);
		json_decref(out);
		return NULL;
	}
	json_object_foreach(a->keys, key, x)
		v[k++] = key;
	tx_sort(v, k, sizeof(*v), cmp_key);
	for (size_t i = 0; i < k; i++)
		if (json_array_append_new(out, json_string(v[i])) != 0) {
			json_decref(out);
			out = NULL;
			break;
		}
	free(v);
	return out;
}

tx_err sensor_sightings_build(sensor_sightings *s, tx_store *st,
			      const char *identity_id, int64_t now_us,
			      json_t *out, size_t *n_unchanged,
			      struct tx_error *err)
{
	tx_err rc = TX_OK;

	*n_unchanged = 0;
	for (size_t i = 0; i < s->n && rc == TX_OK; i++) {
		struct agg *a = &s->aggs[i];
		char name[512], uuid[TX_UUID_BUF], id[64], f[TX_TIME_BUF],
			l[TX_TIME_BUF], created[TX_TIME_BUF], modified[TX_TIME_BUF];
		const char *ids[1] = { id };
		struct store_query q = { .ids = ids, .n_ids = 1,
					 .versions = { .all = 1 } };
		struct latest prior = { 0 };
		int64_t mod = now_us - now_us % 1000; /* ms, as it is written */
		json_t *sg = NULL, *keys = NULL;
		int grew = 1;

		snprintf(name, sizeof(name), "sighting|%s|%s|%lld|%lld", a->indicator,
			 identity_id, (long long)a->window, (long long)s->window_us);
		tx_uuid5(tx_uuid_ns_trilex, name, strlen(name), uuid);
		snprintf(id, sizeof(id), "sighting--%s", uuid);
		if ((rc = store_query_every(st, &q, latest_row, &prior, err)) != TX_OK) {
			if (prior.nomem)
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			json_decref(prior.obj);
			break;
		}
		tx_time_format_ms(mod, created);
		if (prior.obj != NULL) {
			if (merge_prior(a, prior.obj, &grew) != TX_OK) {
				json_decref(prior.obj);
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
				break;
			}
			snprintf(created, sizeof(created), "%s", json_string_value(
				json_object_get(prior.obj, "created")) ?
				json_string_value(json_object_get(prior.obj, "created")) :
				created);
			/* a new version is later than the last, always */
			if (mod <= prior.modified)
				mod = prior.modified + 1000;
			json_decref(prior.obj);
		}
		if (!grew) {
			(*n_unchanged)++;
			continue;
		}
		tx_time_format_ms(mod, modified);
		tx_time_format(a->first, f);
		tx_time_format(a->last, l);
		if ((keys = sorted_keys(a)) == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			break;
		}
		sg = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:[s],s:o?,s:b}",
			       "type", "sighting", "spec_version", "2.1", "id", id,
			       "created", created, "modified", modified,
			       "sighting_of_ref", a->indicator, "count",
			       (json_int_t)(json_array_size(keys) + (size_t)a->unkept),
			       "first_seen", f, "last_seen", l, "where_sighted_refs",
			       identity_id, "x_trilex_observations", keys,
			       "x_trilex_observations_complete", a->unkept == 0);
		if (sg != NULL && json_array_size(a->observed) > 0 &&
		    json_object_set(sg, "observed_data_refs", a->observed) != 0) {
			json_decref(sg);
			sg = NULL;
		}
		if (sg == NULL || json_array_append_new(out, sg) != 0)
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	return rc;
}
