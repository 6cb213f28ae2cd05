/*
 * store/feeds.c: outside TAXII feeds and where each stands.
 *
 * A feed row names a remote collection (API root URL and collection id),
 * how to authenticate to it, the local collection its objects go into,
 * its schedule and limits, the position of its next run (the
 * X-TAXII-Date-Added-Last of its last page, as the server wrote it) and
 * its counters. Counters only grow; rejections are counted by reason in a
 * small JSON object merged here, in the transaction that adds to them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#define FEED_COLUMNS \
	"f.name, f.url, f.collection, f.into_coll, f.auth, f.\"user\", f.secret," \
	" f.cacert, f.every_s, f.page_limit, f.max_pages, f.max_page_bytes," \
	" f.added_after, f.pages, f.received, f.added, f.present, f.rejected," \
	" f.reasons, f.last_run, f.last_ok, f.last_error, f.last_error_at," \
	" coalesce(c.alias, c.id), f.runs, f.errors, f.reshare"

static const char *const auth_names[] = { "", "basic", "bearer", "api-key" };

static enum store_feed_auth auth_of(const char *s)
{
	for (size_t i = 1; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
		if (s != NULL && strcmp(s, auth_names[i]) == 0)
			return (enum store_feed_auth)i;
	return STORE_FEED_AUTH_NONE;
}

static void read_feed(store_stmt *s, struct store_feed *f)
{
	memset(f, 0, sizeof(*f));
	store_db_column_copy(s, 0, f->name, sizeof(f->name));
	store_db_column_copy(s, 1, f->url, sizeof(f->url));
	store_db_column_copy(s, 2, f->collection, sizeof(f->collection));
	f->into_pk = store_db_column_int64(s, 3);
	f->auth = auth_of((const char *)store_db_column_text(s, 4));
	store_db_column_copy(s, 5, f->user, sizeof(f->user));
	store_db_column_copy(s, 6, f->secret, sizeof(f->secret));
	store_db_column_copy(s, 7, f->cacert, sizeof(f->cacert));
	f->every_s = store_db_column_int64(s, 8);
	f->page_limit = store_db_column_int64(s, 9);
	f->max_pages = store_db_column_int64(s, 10);
	f->max_page_bytes = store_db_column_int64(s, 11);
	store_db_column_copy(s, 12, f->added_after, sizeof(f->added_after));
	f->pages = store_db_column_int64(s, 13);
	f->received = store_db_column_int64(s, 14);
	f->added = store_db_column_int64(s, 15);
	f->present = store_db_column_int64(s, 16);
	f->rejected = store_db_column_int64(s, 17);
	store_db_column_copy(s, 18, f->reasons, sizeof(f->reasons));
	f->last_run = store_db_column_int64(s, 19);
	f->last_ok = store_db_column_int64(s, 20);
	store_db_column_copy(s, 21, f->last_error, sizeof(f->last_error));
	f->last_error_at = store_db_column_int64(s, 22);
	store_db_column_copy(s, 23, f->into, sizeof(f->into));
	f->runs = store_db_column_int64(s, 24);
	f->errors = store_db_column_int64(s, 25);
	f->reshare = store_db_column_int(s, 26) != 0;
}

tx_err store_feed_add(tx_store *st, const struct store_feed *f,
		      struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if (f->name[0] == '\0' || f->url[0] == '\0' || f->collection[0] == '\0')
		return tx_error_set(err, TX_ERR_INVALID, "a feed needs a name, a"
				    " URL and a collection");
	if (f->every_s < 1 || f->page_limit < 1 || f->max_pages < 1 ||
	    f->max_page_bytes < 1)
		return tx_error_set(err, TX_ERR_INVALID, "a feed's schedule and"
				    " limits must be positive");
	if ((rc = store_db_prepare(st, "SELECT 1 FROM collections WHERE pk = ? AND"
			     " substr(coalesce(alias, ''), 1, 6) = '" INBOX_PREFIX
			     "'", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, f->into_pk);
	int inbox = store_db_step(s) == STORE_DB_ROW;
	store_db_done(st, s);
	if (inbox)
		return tx_error_set(err, TX_ERR_DENIED, "a partner's inbox holds only"
				    " what that partner signed: a feed cannot go"
				    " there");
	if ((rc = store_db_prepare(st, "INSERT INTO feeds(name, url, collection,"
			     " into_coll, auth, \"user\", secret, cacert, every_s,"
			     " page_limit, max_pages, max_page_bytes, added_after,"
			     " created, reshare) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
			     " ?, ?, ?, ?, ?)", &s, err)))
		return rc;
	store_db_bind_text(s, 1, f->name, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 2, f->url, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 3, f->collection, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 4, f->into_pk);
	store_db_bind_text(s, 5, auth_names[f->auth], -1, STORE_DB_STATIC);
	store_db_bind_text(s, 6, f->user, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 7, f->secret, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 8, f->cacert, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 9, f->every_s);
	store_db_bind_int64(s, 10, f->page_limit);
	store_db_bind_int64(s, 11, f->max_pages);
	store_db_bind_int64(s, 12, f->max_page_bytes);
	store_db_bind_text(s, 13, f->added_after, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 14, tx_time_now_us());
	store_db_bind_int(s, 15, f->reshare != 0);
	store_db_write_lock();
	rc = store_db_step(s) == STORE_DB_DONE ? TX_OK : store_db_error(st, err, "add feed");
	store_db_write_unlock();
	store_db_done(st, s);
	if (rc == TX_ERR_EXISTS)
		tx_error_set(err, rc, "a feed named \"%s\" exists already", f->name);
	return rc;
}

tx_err store_feed_remove(tx_store *st, const char *name, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if ((rc = store_db_prepare(st, "DELETE FROM feeds WHERE name = ?", &s, err)))
		return rc;
	store_db_bind_text(s, 1, name, -1, STORE_DB_STATIC);
	store_db_write_lock();
	rc = store_db_step(s) == STORE_DB_DONE ? TX_OK :
					      store_db_error(st, err, "remove feed");
	if (rc == TX_OK && store_db_changes(st) == 0)
		rc = tx_error_set(err, TX_ERR_NOTFOUND, "no feed named \"%s\"", name);
	store_db_write_unlock();
	store_db_done(st, s);
	return rc;
}

tx_err store_feed_get(tx_store *st, const char *name, struct store_feed *f)
{
	store_stmt *s = NULL;
	tx_err rc;
	int r;

	if ((rc = store_db_prepare(st, "SELECT " FEED_COLUMNS " FROM feeds f LEFT JOIN"
			     " collections c ON c.pk = f.into_coll WHERE f.name = ?",
			     &s, NULL)))
		return rc;
	store_db_bind_text(s, 1, name, -1, STORE_DB_STATIC);
	if ((r = store_db_step(s)) == STORE_DB_ROW)
		read_feed(s, f);
	else
		rc = r == STORE_DB_DONE ? TX_ERR_NOTFOUND : TX_ERR_DB;
	store_db_done(st, s);
	return rc;
}

tx_err store_feed_list(tx_store *st, struct store_feed **out, size_t *n)
{
	struct store_feed *list = NULL, *grown;
	store_stmt *s = NULL;
	size_t cap = 0;
	tx_err rc;
	int r;

	*out = NULL;
	*n = 0;
	if ((rc = store_db_prepare(st, "SELECT " FEED_COLUMNS " FROM feeds f LEFT JOIN"
			     " collections c ON c.pk = f.into_coll ORDER BY f.name",
			     &s, NULL)))
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
		read_feed(s, &list[(*n)++]);
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

/* old {"reason": n} plus add, as text (caller frees); NULL: out of memory.
 * A stored value that is not such an object starts again from add. */
static char *reasons_merge(const char *old, const char *add)
{
	unsigned long jf = tx_json_failures();
	json_t *a = old ? tx_json_load(old, strlen(old), 0, NULL) : json_object();
	json_t *b = add ? tx_json_load(add, strlen(add), 0, NULL) : NULL, *v;
	const char *k;
	char *text = NULL;

	if (!json_is_object(a)) {
		json_decref(a);
		a = json_object();
	}
	if (a == NULL)
		goto out;
	if (json_is_object(b))
		json_object_foreach(b, k, v) {
			json_int_t was = json_integer_value(json_object_get(a, k));
			if (json_is_integer(v) &&
			    json_object_set_new(a, k, json_integer(was +
					json_integer_value(v))) != 0)
				goto out;
		}
	text = tx_json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
out:
	/* a text not read for lack of memory is not "start again from add" */
	if (tx_json_failures() != jf) {
		free(text);
		text = NULL;
	}
	json_decref(a);
	json_decref(b);
	return text;
}

tx_err store_feed_record(tx_store *st, const char *name,
			 const struct store_feed_tally *t, struct tx_error *err)
{
	store_stmt *s = NULL;
	char *merged = NULL;
	int64_t now = tx_time_now_us();
	tx_err rc;

	store_db_write_lock();
	if ((rc = store_db_begin(st, err)))
		goto unlock;
	if (t->reasons != NULL) {
		if ((rc = store_db_prepare(st, "SELECT reasons FROM feeds WHERE name = ?",
				     &s, err)))
			goto rollback;
		store_db_bind_text(s, 1, name, -1, STORE_DB_STATIC);
		int r = store_db_step(s);
		if (r != STORE_DB_ROW && r != STORE_DB_DONE) {
			/* a failed step is not "no counts yet" */
			rc = store_db_error(st, err, "reading the feed's reasons");
			store_db_done(st, s);
			s = NULL;
			goto rollback;
		}
		merged = reasons_merge(r == STORE_DB_ROW ?
				       (const char *)store_db_column_text(s, 0) :
				       NULL, t->reasons);
		store_db_done(st, s);
		s = NULL;
		if (merged == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto rollback;
		}
	}
	if ((rc = store_db_prepare(st, "UPDATE feeds SET pages = pages + ?1,"
			     " received = received + ?2, added = added + ?3,"
			     " present = present + ?4, rejected = rejected + ?5,"
			     " reasons = coalesce(?6, reasons),"
			     " added_after = coalesce(?7, added_after),"
			     " last_run = ?8,"
			     " last_ok = CASE WHEN ?9 <> 0 THEN ?8 ELSE last_ok END,"
			     " last_error = coalesce(?10, last_error),"
			     " last_error_at = CASE WHEN ?10 IS NULL THEN"
			     " last_error_at ELSE ?8 END,"
			     " runs = runs + ?12,"
			     " errors = errors + CASE WHEN ?10 IS NOT NULL THEN 1 ELSE 0 END"
			     " WHERE name = ?11", &s, err)))
		goto rollback;
	store_db_bind_int64(s, 1, t->pages);
	store_db_bind_int64(s, 2, t->received);
	store_db_bind_int64(s, 3, t->added);
	store_db_bind_int64(s, 4, t->present);
	store_db_bind_int64(s, 5, t->rejected);
	if (merged)
		store_db_bind_text(s, 6, merged, -1, STORE_DB_STATIC);
	if (t->added_after)
		store_db_bind_text(s, 7, t->added_after, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 8, now);
	store_db_bind_int(s, 9, t->ok != 0);
	if (t->error)
		store_db_bind_text(s, 10, t->error, -1, STORE_DB_STATIC);
	store_db_bind_text(s, 11, name, -1, STORE_DB_STATIC);
	store_db_bind_int64(s, 12, t->runs);
	if (store_db_step(s) != STORE_DB_DONE) {
		rc = store_db_error(st, err, "feed counters");
		goto rollback;
	}
	if (store_db_changes(st) == 0) {
		rc = tx_error_set(err, TX_ERR_NOTFOUND, "no feed named \"%s\"", name);
		goto rollback;
	}
	store_db_done(st, s);
	s = NULL;
	rc = store_db_commit(st, err);
	goto unlock;
rollback:
	store_db_done(st, s);
	store_db_rollback(st, NULL);
unlock:
	store_db_write_unlock();
	free(merged);
	return rc;
}
