/*
 * watch/directory.c: the partnership's directory of points of contact as
 * it is read: every current individual (identity objects with
 * x_trilex_party) that its own party signed, or this node made, once
 * each, sorted by party and name. Used by `trilex poc list` and the
 * console's partners page.
 */
#include <stdlib.h>
#include <string.h>

#include "watch/watch.h"

struct people {
	json_t *list;
	const char *party;      /* only this party's, or NULL: all */
	const char *own_party;  /* this node's */
};

static int person_row(void *ctx, const struct store_row *row)
{
	struct people *p = ctx;
	json_t *o;

	if (strstr(row->json, "\"individual\"") == NULL)
		return 0;
	if ((o = tx_json_load(row->json, row->json_len, 0, NULL)) == NULL)
		return 0;
	const char *party = json_string_value(json_object_get(o, "x_trilex_party"));
	/* A party's contacts are those it signed (or we made): a name inside
	 * the object counts only when it is its verified origin's. */
	const char *made_by = row->origin ? row->origin : p->own_party;
	if (party && strcmp(party, made_by) == 0 &&
	    !json_is_true(json_object_get(o, "revoked")) &&
	    (p->party == NULL || strcmp(party, p->party) == 0) &&
	    json_array_append(p->list, o) != 0) {
		json_decref(o);
		return STORE_ROW_FAIL; /* watch_directory_people: out of memory */
	}
	json_decref(o);
	return 0;
}

static int by_party_name(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "x_trilex_party")),
		       json_string_value(json_object_get(y, "x_trilex_party")));

	return c ? c : strcmp(json_string_value(json_object_get(x, "name")),
			      json_string_value(json_object_get(y, "name")));
}

/* One entry per id (a person seen via two partners is one person), by
 * party and name; NULL when out of memory. */
static json_t *people_sorted(json_t *list)
{
	json_t *uniq = json_object(), *o, *out = json_array(), **v = NULL;
	const char *k;
	size_t i, cnt = 0;

	if (uniq == NULL || out == NULL)
		goto fail;
	json_array_foreach(list, i, o)
		if (json_object_set(uniq, json_string_value(json_object_get(o, "id")),
				    o) != 0)
			goto fail;
	if ((v = malloc((json_object_size(uniq) + 1) * sizeof(*v))) == NULL)
		goto fail;
	json_object_foreach(uniq, k, o)
		v[cnt++] = o;
	tx_sort(v, cnt, sizeof(*v), by_party_name);
	for (i = 0; i < cnt; i++)
		if (json_array_append(out, v[i]) != 0)
			goto fail;
	free(v);
	json_decref(uniq);
	return out;
fail:
	free(v);
	json_decref(uniq);
	json_decref(out);
	return NULL;
}

tx_err watch_directory_people(tx_store *st, const char *party, const char *own,
			      json_t **out_list, struct tx_error *err)
{
	const char *types[] = { "identity" };
	struct store_query q = { .types = types, .n_types = 1 };
	unsigned long jf = tx_json_failures();
	struct people p = { json_array(), party, own };
	tx_err rc;

	*out_list = NULL;
	if (p.list == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	/* What was read before a failure of the store is still given, with
	 * the error; an allocation failure gives no list (a contact lost to
	 * it would read as not there). */
	rc = store_query_every(st, &q, person_row, &p, err);
	*out_list = people_sorted(p.list);
	json_decref(p.list);
	if (*out_list == NULL || tx_json_failures() != jf || rc == TX_ERR_NOMEM) {
		json_decref(*out_list);
		*out_list = NULL;
		return rc == TX_ERR_NOMEM ? rc : tx_error_set(err, TX_ERR_NOMEM,
							      "out of memory");
	}
	return rc;
}

