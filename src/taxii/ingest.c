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
#include "taxii/taxii.h"

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

tx_err taxii_check_object(const json_t *obj, struct tx_error *err)
{
	const char *type = json_string_value(json_object_get(obj, "type"));
	const char *pt = json_string_value(json_object_get(obj, "pattern_type"));
	const json_t *pat = json_object_get(obj, "pattern");
	tx_err rc;

	if ((rc = stix_validate(obj, err)) != TX_OK)
		return rc;
	if (too_deep(obj, NEST_MAX))
		return tx_error_set(err, TX_ERR_INVALID, "nested deeper than %d"
				    " levels", NEST_MAX);
	/* The pattern of a STIX indicator must parse ("pattern: <why>"). */
	if (type == NULL || strcmp(type, "indicator") != 0 || pt == NULL ||
	    strcmp(pt, "stix") != 0 || !json_is_string(pat))
		return TX_OK;
	if ((rc = pattern_validate(json_string_value(pat), json_string_length(pat),
				   err)) != TX_OK)
		tx_error_prefix(err, "pattern");
	return rc;
}

tx_err taxii_texts_init(struct taxii_texts *t, const char *raw,
			const struct tx_span *spans, size_t n)
{
	size_t total = 0;

	memset(t, 0, sizeof(*t));
	if (raw == NULL || spans == NULL)
		return TX_OK;
	for (size_t i = 0; i < n; i++)
		total += spans[i].len + 1;
	if (total > 0 && (t->buf = malloc(total)) == NULL)
		return TX_ERR_NOMEM;
	t->raw = raw;
	t->spans = spans;
	return TX_OK;
}

void taxii_texts_put(struct taxii_texts *t, size_t i, struct store_item *it)
{
	if (t->buf == NULL)
		return; /* the object is serialised instead */
	it->text = t->buf + t->used;
	it->text_len = tx_json_compact(t->raw + t->spans[i].off, t->spans[i].len,
				       t->buf + t->used);
	t->used += it->text_len + 1;
}

void taxii_texts_free(struct taxii_texts *t)
{
	free(t->buf);
	t->buf = NULL;
}

tx_err taxii_ingest(tx_store *st, int64_t collection_pk,
		    const struct store_user *u, const json_t *objects,
		    size_t first_index, char status_id[TX_UUID_BUF],
		    struct tx_error *err)
{
	return taxii_ingest_text(st, collection_pk, u, objects, NULL, NULL,
				 first_index, status_id, err);
}

tx_err taxii_ingest_text(tx_store *st, int64_t collection_pk,
			 const struct store_user *u, const json_t *objects,
			 const char *raw, const struct tx_span *spans,
			 size_t first_index, char status_id[TX_UUID_BUF],
			 struct tx_error *err)
{
	size_t n = json_array_size(objects);
	struct taxii_texts texts = { 0 };
	struct store_item *items = NULL;
	char **messages = NULL;
	struct tx_error verr;
	tx_err rc, crc = TX_OK;

	if (!json_is_array(objects))
		return tx_error_set(err, TX_ERR_INVALID, "objects: must be a list");
	items = calloc(n ? n : 1, sizeof(*items));
	messages = calloc(n ? n : 1, sizeof(*messages));
	if (items == NULL || messages == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (taxii_texts_init(&texts, raw, spans, n) != TX_OK) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *obj = json_array_get(objects, i);
		const char *id = json_string_value(json_object_get(obj, "id"));

		items[i].id = id;
		if (!json_is_object(obj)) {
			verr.code = TX_ERR_INVALID;
			snprintf(verr.msg, sizeof(verr.msg), "not a JSON object");
		} else if ((crc = taxii_check_object(obj, &verr)) == TX_OK) {
			items[i].obj = obj;
			taxii_texts_put(&texts, i, &items[i]);
			continue;
		} else if (tx_err_transient(crc)) {
			/* Not the object's fault (out of memory): nothing of the
			 * request is stored, so that the sender tries it again
			 * whole rather than taking a refusal for an answer. */
			rc = tx_error_set(err, crc, "objects[%zu]: %s", first_index + i,
					  verr.msg);
			goto out;
		}
		size_t len = strlen(verr.msg) + (id ? strlen(id) : 0) + 64;
		if ((messages[i] = malloc(len)) == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		snprintf(messages[i], len, "objects[%zu]%s%s: %s", first_index + i, id ? " " : "",
			 id ? id : "", verr.msg);
		items[i].message = messages[i];
	}
	rc = store_put_objects(st, collection_pk, u, items, n, status_id, err);
out:
	for (size_t i = 0; messages && i < n; i++)
		free(messages[i]);
	free(messages);
	free(items);
	taxii_texts_free(&texts);
	return rc;
}
