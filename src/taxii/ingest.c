/*
 * taxii/ingest.c: from a list of objects to stored versions and a status.
 *
 * Every object is validated on its own; a bad one is reported and never
 * stops the good ones that came with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/pattern.h"
#include "stix/stix.h"
#include "taxii/internal.h"

/* Deeper than this, an object could not be signed (RFC 8785 form, capped
 * at 512 levels) and so could never leave the node: refused on the way in. */
#define NEST_MAX 100

/* Whether v nests containers deeper than max levels. */
static int too_deep(const json_t *v, int max)
{
	const json_t *x;
	const char *k;
	size_t i;

	if (!json_is_object(v) && !json_is_array(v))
		return 0;
	if (max <= 0)
		return 1;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (too_deep(x, max - 1))
				return 1;
		return 0;
	}
	json_object_foreach((json_t *)v, k, x)
		if (too_deep(x, max - 1))
			return 1;
	return 0;
}

/* taxii_check_object, also saying why it refused (*why). */
static tx_err check_object(const json_t *obj, enum taxii_reject *why,
			   struct tx_error *err)
{
	const char *type = json_string_value(json_object_get(obj, "type"));
	const char *pt = json_string_value(json_object_get(obj, "pattern_type"));
	const json_t *pat = json_object_get(obj, "pattern");
	tx_err rc;

	*why = TAXII_REJECT_INVALID;
	if ((rc = stix_validate(obj, err)) != TX_OK)
		return rc;
	if (too_deep(obj, NEST_MAX)) {
		*why = TAXII_REJECT_TOO_DEEP;
		return tx_error_set(err, TX_ERR_INVALID, "nested deeper than %d"
				    " levels", NEST_MAX);
	}
	/* The pattern of a STIX indicator must parse ("pattern: <why>"). */
	if (type == NULL || strcmp(type, "indicator") != 0 || pt == NULL ||
	    strcmp(pt, "stix") != 0 || !json_is_string(pat))
		return TX_OK;
	*why = TAXII_REJECT_PATTERN;
	if ((rc = pattern_validate(json_string_value(pat), json_string_length(pat),
				   err)) != TX_OK)
		tx_error_prefix(err, "pattern");
	return rc;
}

tx_err taxii_check_object(const json_t *obj, struct tx_error *err)
{
	enum taxii_reject why;

	return check_object(obj, &why, err);
}

tx_err taxii_texts_init(struct taxii_texts *t, const char *raw,
			const struct tx_span *spans, size_t n)
{
	size_t total = 0;

	memset(t, 0, sizeof(*t));
	if (raw == NULL || spans == NULL)
		return TX_OK;
	if ((t->slots = malloc((n ? n : 1) * sizeof(*t->slots))) == NULL)
		return TX_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		t->slots[i] = total;
		total += spans[i].len + 1;
	}
	if (total > 0 && (t->buf = malloc(total)) == NULL) {
		free(t->slots);
		t->slots = NULL;
		return TX_ERR_NOMEM;
	}
	t->raw = raw;
	t->spans = spans;
	return TX_OK;
}

void taxii_texts_put(struct taxii_texts *t, size_t i, struct store_item *it)
{
	if (t->buf == NULL)
		return; /* the object is serialised instead */
	it->text = t->buf + t->slots[i];
	it->text_len = tx_json_compact(t->raw + t->spans[i].off, t->spans[i].len,
				       t->buf + t->slots[i]);
}

void taxii_texts_free(struct taxii_texts *t)
{
	free(t->buf);
	free(t->slots);
	t->buf = NULL;
	t->slots = NULL;
}

tx_err taxii_ingest(tx_store *st, int64_t collection_pk,
		    const struct store_user *u, const json_t *objects,
		    size_t first_index, char status_id[TX_UUID_BUF],
		    struct tx_error *err)
{
	return taxii_ingest_text(st, collection_pk, u, objects, NULL, NULL,
				 first_index, status_id, err);
}

/*
 * What one ingest hands the store: the valid objects, and the refused
 * ones with their reasons up to the store's failures_max; the refused
 * past that are only counted (unlisted), so that a body of many small
 * bad objects costs neither memory nor a status row per object.
 */
struct kept {
	struct store_item *items;
	json_t **owned;          /* owned: the value of items[i], or NULL */
	char **messages;         /* owned: items[i].message, or NULL */
	size_t n, cap;
	int64_t listed_max;      /* refusals listed at most */
	int64_t listed;          /* refusals in items */
	int64_t unlisted;        /* refusals only counted */
};

static void kept_free(struct kept *k)
{
	for (size_t i = 0; i < k->n; i++) {
		json_decref(k->owned[i]);
		free(k->messages[i]);
	}
	free(k->items);
	free(k->owned);
	free(k->messages);
	memset(k, 0, sizeof(*k));
}

/* A new zeroed entry at the end, or NULL (out of memory). */
static struct store_item *kept_add(struct kept *k)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct store_item *it = realloc(k->items, cap * sizeof(*it));
		if (it != NULL)
			k->items = it;
		json_t **ow = realloc(k->owned, cap * sizeof(*ow));
		if (ow != NULL)
			k->owned = ow;
		char **ms = realloc(k->messages, cap * sizeof(*ms));
		if (ms != NULL)
			k->messages = ms;
		if (it == NULL || ow == NULL || ms == NULL)
			return NULL;
		k->cap = cap;
	}
	memset(&k->items[k->n], 0, sizeof(k->items[0]));
	k->owned[k->n] = NULL;
	k->messages[k->n] = NULL;
	return &k->items[k->n++];
}

/*
 * Check objects[i] (obj; owned, taken even on failure, when own is set)
 * and keep it, or keep or count its refusal. A failure that is not the
 * object's fault (out of memory) is returned: nothing is stored then.
 */
static tx_err keep_one(struct kept *k, json_t *obj, int own, size_t i,
		       size_t first_index, struct taxii_texts *texts,
		       struct tx_error *err)
{
	const char *id = json_string_value(json_object_get(obj, "id"));
	struct store_item *it;
	struct tx_error verr = { 0 };
	enum taxii_reject why = TAXII_REJECT_NOT_OBJECT;
	tx_err crc = TX_OK;

	if (!json_is_object(obj)) {
		verr.code = TX_ERR_INVALID;
		snprintf(verr.msg, sizeof(verr.msg), "not a JSON object");
	} else if ((crc = check_object(obj, &why, &verr)) == TX_OK) {
		if ((it = kept_add(k)) == NULL)
			goto nomem;
		it->id = id;
		it->obj = obj;
		if (own)
			k->owned[k->n - 1] = obj;
		taxii_texts_put(texts, i, it);
		return TX_OK;
	} else if (tx_err_transient(crc)) {
		/* Not the object's fault (out of memory): nothing of the
		 * request is stored, so that the sender tries it again
		 * whole rather than taking a refusal for an answer. */
		if (own)
			json_decref(obj);
		return tx_error_set(err, crc, "objects[%zu]: %s", first_index + i,
				    verr.msg);
	}
	taxii_metrics_reject(why);
	if (k->listed >= k->listed_max) {
		k->unlisted++;
		if (own)
			json_decref(obj);
		return TX_OK;
	}
	size_t len = strlen(verr.msg) + (id ? strlen(id) : 0) + 64;
	char *msg = malloc(len);
	if (msg == NULL || (it = kept_add(k)) == NULL) {
		free(msg);
		goto nomem;
	}
	snprintf(msg, len, "objects[%zu]%s%s: %s", first_index + i, id ? " " : "",
		 id ? id : "", verr.msg);
	/* the id is the object's: it stays while the item does */
	it->id = id;
	it->message = k->messages[k->n - 1] = msg;
	if (own)
		k->owned[k->n - 1] = obj;
	k->listed++;
	return TX_OK;
nomem:
	if (own)
		json_decref(obj);
	return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
}

tx_err taxii_ingest_text(tx_store *st, int64_t collection_pk,
			 const struct store_user *u, const json_t *objects,
			 const char *raw, const struct tx_span *spans,
			 size_t first_index, char status_id[TX_UUID_BUF],
			 struct tx_error *err)
{
	size_t n = json_array_size(objects);
	struct taxii_texts texts = { 0 };
	struct kept k = { .listed_max = store_status_failures_max(st) };
	tx_err rc;

	if (!json_is_array(objects))
		return tx_error_set(err, TX_ERR_INVALID, "objects: must be a list");
	if (taxii_texts_init(&texts, raw, spans, n) != TX_OK) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = keep_one(&k, json_array_get(objects, i), 0, i,
				   first_index, &texts, err)) != TX_OK)
			goto out;
	rc = store_put_objects_counted(st, collection_pk, u, k.items, k.n,
				       k.unlisted, NULL, status_id, err);
out:
	kept_free(&k);
	taxii_texts_free(&texts);
	return rc;
}

static tx_err ingest_spans(tx_store *st, int64_t collection_pk,
			   const struct store_user *u, const char *source,
			   const char *via, const char *raw,
			   const struct tx_span *spans, size_t n,
			   char status_id[TX_UUID_BUF], struct tx_error *err);

tx_err taxii_ingest_spans(tx_store *st, int64_t collection_pk,
			  const struct store_user *u, const char *raw,
			  const struct tx_span *spans, size_t n,
			  char status_id[TX_UUID_BUF], struct tx_error *err)
{
	return ingest_spans(st, collection_pk, u, NULL, NULL, raw, spans, n,
			    status_id, err);
}

tx_err taxii_ingest_from(tx_store *st, int64_t collection_pk,
			 const char *source, const char *raw,
			 const struct tx_span *spans, size_t n,
			 char status_id[TX_UUID_BUF], struct tx_error *err)
{
	return ingest_spans(st, collection_pk, NULL, source, source, raw, spans,
			    n, status_id, err);
}

tx_err taxii_ingest_reshared(tx_store *st, int64_t collection_pk,
			     const char *source, const char *raw,
			     const struct tx_span *spans, size_t n,
			     char status_id[TX_UUID_BUF], struct tx_error *err)
{
	return ingest_spans(st, collection_pk, NULL, source, NULL, raw, spans,
			    n, status_id, err);
}

/* source (may be NULL): the origin of every valid object; via (may be
 * NULL: it may enter the outbox) where it came from. */
static tx_err ingest_spans(tx_store *st, int64_t collection_pk,
			   const struct store_user *u, const char *source,
			   const char *via, const char *raw,
			   const struct tx_span *spans, size_t n,
			   char status_id[TX_UUID_BUF], struct tx_error *err)
{
	struct taxii_texts texts = { 0 };
	struct kept k = { .listed_max = store_status_failures_max(st) };
	tx_err rc;

	if (taxii_texts_init(&texts, raw, spans, n) != TX_OK) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_error_t jerr;
		json_t *obj = tx_json_load(raw + spans[i].off, spans[i].len,
					   JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
					   &jerr);
		if (obj == NULL) {
			rc = json_error_code(&jerr) == json_error_out_of_memory ?
				TX_ERR_NOMEM : TX_ERR_INVALID;
			tx_error_set(err, rc, "objects[%zu] (byte %zu of the body):"
				     " %s", i, spans[i].off + (size_t)(jerr.position > 0 ?
				     jerr.position - 1 : 0), jerr.text);
			goto out;
		}
		if ((rc = keep_one(&k, obj, 1, i, 0, &texts, err)) != TX_OK)
			goto out;
	}
	for (size_t j = 0; source != NULL && j < k.n; j++)
		if (k.items[j].obj != NULL) {
			k.items[j].origin = source;
			k.items[j].via = via;
		}
	rc = store_put_objects_counted(st, collection_pk, u, k.items, k.n,
				       k.unlisted, NULL, status_id, err);
out:
	kept_free(&k);
	taxii_texts_free(&texts);
	return rc;
}
