/*
 * policy/storage.c: what policy/ reads from and writes to the node's store:
 * scans of every collection for objects of some types or ids, incident
 * look-up by id, and storing one object through taxii_ingest (so it gets
 * the same validation, status and durability as a TAXII POST).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "federation/federation.h"
#include "stix/stix.h"

struct scan_ctx {
	json_t *out;       /* array of {"pk": n, "obj": {...}, "origin"} */
	size_t max;
	int nomem;         /* a row lost to memory: no list, not a part */
};

static int scan_row(void *ctx, const struct store_row *row)
{
	struct scan_ctx *s = ctx;
	unsigned long jf = tx_json_failures();
	json_t *o;

	if (json_array_size(s->out) >= s->max)
		return STORE_ROW_FAIL;
	o = tx_json_load(row->json, row->json_len, 0, NULL);
	if (o == NULL && tx_json_failures() == jf)
		return 0; /* the store only holds valid JSON; skip if not */
	/* origin: the party whose signature the store verified (absent for
	 * objects made on this node). */
	if (o == NULL ||
	    json_array_append_new(s->out, json_pack("{s:I, s:o, s:s?}", "pk",
						    (json_int_t)row->collection_pk,
						    "obj", o, "origin",
						    row->origin)) != 0) {
		s->nomem = 1;
		return STORE_ROW_FAIL;
	}
	return 0;
}

tx_err policy_storage_scan(tx_store *st, const char *const *types, size_t n_types,
		    const char *const *ids, size_t n_ids, size_t max,
		    json_t **out, struct tx_error *err)
{
	struct store_query q = { .types = types, .n_types = n_types, .ids = ids,
				 .n_ids = n_ids };
	struct scan_ctx s = { .max = max };
	tx_err rc;

	*out = NULL;
	if ((s.out = json_array()) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = store_query_every(st, &q, scan_row, &s, err)) != TX_OK) {
		if (s.nomem)
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		else if (json_array_size(s.out) >= max)
			rc = tx_error_set(err, TX_ERR_TOOBIG, "more than %zu objects",
					  max);
		json_decref(s.out);
		return rc;
	}
	*out = s.out;
	return TX_OK;
}

tx_err policy_store_find_incident(tx_store *st, const char *id,
				  json_t **objects, int64_t *collection_pk,
				  struct tx_error *err)
{
	const char *ids[1] = { id };
	const char **refs = NULL;
	json_t *found = NULL, *impacts = NULL, *list = NULL, *inc, *r;
	const json_t *core;
	size_t n_refs = 0, i;
	tx_err rc;

	*objects = NULL;
	if (!stix_id_valid(id, "incident"))
		return tx_error_set(err, TX_ERR_INVALID, "%s: not an incident id",
				    id);
	if ((rc = policy_storage_scan(st, NULL, 0, ids, 1, 64, &found, err)) != TX_OK)
		return rc;
	if (json_array_size(found) == 0) {
		rc = tx_error_set(err, TX_ERR_NOTFOUND, "no incident %s in any"
				  " collection of this node", id);
		goto out;
	}
	/* The same incident may be in several collections: take the newest
	 * version (the largest modified), the first collection on a tie. */
	inc = json_array_get(found, 0);
	json_array_foreach(found, i, r) {
		const char *m1 = json_string_value(json_object_get(
			json_object_get(inc, "obj"), "modified"));
		const char *m2 = json_string_value(json_object_get(
			json_object_get(r, "obj"), "modified"));
		if (m1 && m2 && strcmp(m2, m1) > 0)
			inc = r;
	}
	*collection_pk = json_integer_value(json_object_get(inc, "pk"));
	if ((list = json_array()) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (json_array_append(list, json_object_get(inc, "obj")) != 0) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	core = json_object_get(json_object_get(json_object_get(inc, "obj"),
					       "extensions"), INCIDENT_CORE_EXT);
	n_refs = json_array_size(json_object_get(core, "impact_refs"));
	if (n_refs > 1000)
		n_refs = 1000;
	if (n_refs > 0) {
		if ((refs = calloc(n_refs, sizeof(*refs))) == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < n_refs; i++) {
			refs[i] = json_string_value(json_array_get(
				json_object_get(core, "impact_refs"), i));
			if (refs[i] == NULL)
				refs[i] = "";
		}
		if ((rc = policy_storage_scan(st, NULL, 0, refs, n_refs, 10000, &impacts,
				       err)) != TX_OK)
			goto out;
		/* One version per impact: the incident's collection first. */
		for (i = 0; i < n_refs; i++) {
			const json_t *best = NULL;
			size_t j;
			json_t *x;
			json_array_foreach(impacts, j, x) {
				const json_t *o = json_object_get(x, "obj");
				if (strcmp(json_string_value(json_object_get(o, "id")),
					   refs[i]) != 0)
					continue;
				if (best == NULL || json_integer_value(json_object_get(
					    x, "pk")) == *collection_pk)
					best = o;
			}
			/* an impact left out would be assessed as missing */
			if (best != NULL &&
			    json_array_append(list, (json_t *)best) != 0) {
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
				goto out;
			}
		}
	}
	*objects = list;
	list = NULL;
	rc = TX_OK;
out:
	free(refs);
	json_decref(found);
	json_decref(impacts);
	json_decref(list);
	return rc;
}

tx_err policy_store_object(tx_store *st, int64_t collection_pk,
			   const struct store_user *u, const json_t *obj,
			   struct tx_error *err)
{
	char status_id[TX_UUID_BUF];
	struct tx_error verr;
	json_t *list;
	tx_err rc;

	if (stix_validate(obj, &verr) != TX_OK)
		return tx_error_set(err, TX_ERR_INVALID, "%s: %s",
				    json_string_value(json_object_get(obj, "id")),
				    verr.msg);
	if ((list = json_pack("[O]", obj)) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	rc = taxii_ingest(st, collection_pk, u, list, 0, status_id, err);
	json_decref(list);
	return rc;
}

tx_err policy_note_mark(tx_store *st, const policy_incident *inc,
			const char *self, json_t *note, struct tx_error *err)
{
	size_t n = json_array_size(inc->objects), n_ids = 0, i;
	const json_t **srcs = calloc(n + 1, sizeof(*srcs));
	const char **ids = calloc(n + 1, sizeof(*ids));
	const json_t *o;
	tx_err rc;

	if (srcs == NULL || ids == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* The note embeds the facts read from all of them. */
	json_array_foreach(inc->objects, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		srcs[i] = o;
		if (id != NULL)
			ids[n_ids++] = id;
	}
	rc = fed_derive_stored(st, ids, n_ids, srcs, n, self, note, NULL, err);
out:
	free(srcs);
	free(ids);
	return rc;
}
