/*
 * store/filters.c: saved filters over collections.
 *
 * A saved filter names one or more collections (by id: an alias may
 * change, the id does not), and what of their reports it keeps: those
 * with one of its labels (none: any), and of what they hold only what is
 * marked no more restrictive than its TLP ("": what the collections would
 * feed anyway). It is plain data; who may read it is decided where it is
 * served (every collection it names must be readable), and what it
 * publishes there (misp/feed.c). The row keeps the filter as JSON text,
 * so a new criterion needs no migration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* The JSON text of f's criteria (caller frees), or NULL. */
static char *spec_of(const struct store_filter *f)
{
	json_t *j = json_object(), *colls = json_array(), *labels = json_array();
	char *text = NULL;

	if (j == NULL || colls == NULL || labels == NULL)
		goto out;
	for (size_t i = 0; i < f->n_colls; i++)
		if (json_array_append_new(colls, json_string(f->colls[i])) != 0)
			goto out;
	for (size_t i = 0; i < f->n_labels; i++)
		if (json_array_append_new(labels, json_string(f->labels[i])) != 0)
			goto out;
	if (json_object_set(j, "collections", colls) != 0 ||
	    json_object_set(j, "labels", labels) != 0 ||
	    json_object_set_new(j, "tlp", json_string(f->tlp)) != 0)
		goto out;
	text = tx_json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(j);
	json_decref(colls);
	json_decref(labels);
	return text;
}

/* f's criteria from the row's text; a text that is not what spec_of
 * wrote leaves the filter naming nothing (so it feeds nothing). */
static void read_filter(store_stmt *s, struct store_filter *f)
{
	json_t *j = tx_json_load((const char *)store_db_column_text(s, 1),
				 (size_t)store_db_column_bytes(s, 1), 0, NULL);
	const json_t *x;
	size_t i;

	memset(f, 0, sizeof(*f));
	store_db_column_copy(s, 0, f->name, sizeof(f->name));
	f->created = store_db_column_int64(s, 2);
	json_array_foreach(json_object_get(j, "collections"), i, x) {
		if (f->n_colls == STORE_FILTER_COLLS_MAX || !json_is_string(x))
			break;
		snprintf(f->colls[f->n_colls++], TX_UUID_BUF, "%s",
			 json_string_value(x));
	}
	json_array_foreach(json_object_get(j, "labels"), i, x) {
		if (f->n_labels == STORE_FILTER_LABELS_MAX || !json_is_string(x))
			break;
		snprintf(f->labels[f->n_labels++], STORE_FILTER_LABEL_MAX, "%s",
			 json_string_value(x));
	}
	x = json_object_get(j, "tlp");
	snprintf(f->tlp, sizeof(f->tlp), "%s", json_is_string(x) ?
		 json_string_value(x) : "");
	json_decref(j);
}

tx_err store_filter_add(tx_store *st, const struct store_filter *f,
			struct tx_error *err)
{
	store_stmt *s = NULL;
	char *spec;
	tx_err rc;

	if (f->name[0] == '\0' || f->n_colls == 0 ||
	    f->n_colls > STORE_FILTER_COLLS_MAX ||
	    f->n_labels > STORE_FILTER_LABELS_MAX)
		return tx_error_set(err, TX_ERR_INVALID, "a saved filter needs a name"
				    " and 1 to %d collections (at most %d labels)",
				    STORE_FILTER_COLLS_MAX, STORE_FILTER_LABELS_MAX);
	if ((spec = spec_of(f)) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = store_db_prepare(st, "INSERT INTO saved_filters(name, spec,"
				   " created) VALUES (?, ?, ?)", &s, err))) {
		free(spec);
		return rc;
	}
	store_db_bind_text(s, 1, f->name, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, spec, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 3, tx_time_now_us());
	store_db_write_lock();
	rc = store_db_step(s) == STORE_DB_DONE ? TX_OK :
	     store_db_error(st, err, "add saved filter");
	store_db_write_unlock();
	store_db_done(st, s);
	free(spec);
	if (rc == TX_ERR_EXISTS)
		tx_error_set(err, rc, "a saved filter named \"%s\" exists already",
			     f->name);
	return rc;
}

tx_err store_filter_remove(tx_store *st, const char *name, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "DELETE FROM saved_filters WHERE name = ?",
				   &s, err)))
		return rc;
	store_db_bind_text(s, 1, name, -1, STORE_DB_STATIC);
	store_db_write_lock();
	rc = store_db_step(s) == STORE_DB_DONE ? TX_OK :
	     store_db_error(st, err, "remove saved filter");
	if (rc == TX_OK && store_db_changes(st) == 0)
		rc = tx_error_set(err, TX_ERR_NOTFOUND, "no saved filter named"
				  " \"%s\"", name);
	store_db_write_unlock();
	store_db_done(st, s);
	return rc;
}

tx_err store_filter_get(tx_store *st, const char *name, struct store_filter *f)
{
	store_stmt *s = NULL;
	tx_err rc;
	int r;

	if ((rc = store_db_prepare(st, "SELECT name, spec, created FROM"
				   " saved_filters WHERE name = ?", &s, NULL)))
		return rc;
	store_db_bind_text(s, 1, name, -1, STORE_DB_STATIC);
	if ((r = store_db_step(s)) == STORE_DB_ROW)
		read_filter(s, f);
	else
		rc = r == STORE_DB_DONE ? TX_ERR_NOTFOUND : TX_ERR_DB;
	store_db_done(st, s);
	return rc;
}

tx_err store_filter_list(tx_store *st, struct store_filter **out, size_t *n)
{
	struct store_filter *list = NULL, *grown;
	store_stmt *s = NULL;
	size_t cap = 0;
	tx_err rc;
	int r;

	*out = NULL;
	*n = 0;
	if ((rc = store_db_prepare(st, "SELECT name, spec, created FROM"
				   " saved_filters ORDER BY name", &s, NULL)))
		return rc;
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			if ((grown = realloc(list, cap * sizeof(*list))) == NULL) {
				rc = TX_ERR_NOMEM;
				break;
			}
			list = grown;
		}
		read_filter(s, &list[(*n)++]);
	}
	if (rc == TX_OK && r != STORE_DB_DONE)
		rc = TX_ERR_DB;
	store_db_done(st, s);
	if (rc != TX_OK) {
		free(list);
		*n = 0;
		return rc;
	}
	*out = list;
	return TX_OK;
}
