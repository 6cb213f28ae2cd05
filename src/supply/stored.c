/*
 * supply/stored.c: the BOMs and advisories a node stores. Advisory
 * objects, finding notes and BOMs (x-trilex-sbom) are read back from every
 * collection (supply_node_load) through the store's index of them
 * (store_supply_rows, store/supplyidx.c); stored BOMs are re-checked against the
 * advisories, and each finding not recorded before becomes a STIX note and
 * an alert (a report labelled trilex-alert), marked with the most
 * restrictive marking of the BOM and the advisories it names
 * (fed_derive_stored), stored with the BOM, or, for a partner's BOM, in
 * this node's "alerts" collection (supply_node_recheck). serve re-checks
 * after partners' advisories arrive (supply_recheck_stored); the CLI's
 * `sbom add`, `sbom recheck` and `advisory import` print what these find.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"
#include "supply/internal.h"
#include "taxii/taxii.h"

#define SUPPLY_STORE_BATCH 1000

struct stored_bom {
	int64_t pk;             /* its collection */
	json_t *obj;            /* owned */
	int in_inbox;           /* that collection is a partner's inbox */
};

struct supply_node {
	supply_db *db;
	json_t *finding_ids;    /* set: id -> true */
	struct stored_bom *boms;
	size_t n_boms, cap_boms;
	int64_t pk;
	int in_inbox;           /* pk is a partner's inbox */
	size_t bad;             /* objects of ours that did not load */
	size_t rows;
	supply_warn_fn warn;
	void *ctx;
};

static int load_row(void *vctx, const struct store_row *row)
{
	struct supply_node *c = vctx;
	struct tx_error err = { 0 };
	json_t *obj;
	const char *type;
	const json_t *ext;

	c->rows++;
	if ((obj = tx_json_load(row->json, row->json_len, 0, NULL)) == NULL)
		return 0;
	type = json_string_value(json_object_get(obj, "type"));
	if (type != NULL && strcmp(type, SUPPLY_SBOM_TYPE) == 0) {
		if (tx_grow(&c->boms, &c->cap_boms, c->n_boms + 1,
			    sizeof(*c->boms), 16) != TX_OK) {
			json_decref(obj);
			return STORE_ROW_FAIL;
		}
		c->boms[c->n_boms++] = (struct stored_bom){ c->pk, obj, c->in_inbox };
		return 0;
	}
	ext = json_object_get(json_object_get(obj, "extensions"), SUPPLY_EXT_ID);
	if (type != NULL && strcmp(type, "note") == 0 && ext != NULL &&
	    json_is_string(json_object_get(ext, "kind")) &&
	    strcmp(json_string_value(json_object_get(ext, "kind")), "finding") == 0) {
		/* a finding not remembered would be alerted on again */
		if (json_object_set_new(c->finding_ids, row->id, json_true()) != 0) {
			json_decref(obj);
			return STORE_ROW_FAIL;
		}
	} else if (supply_db_load_stix(c->db, obj, &err) != TX_OK) {
		if (c->bad++ < 10 && c->warn != NULL)
			c->warn(c->ctx, row->id, err.msg);
	}
	json_decref(obj);
	return 0;
}

tx_err supply_node_load(tx_store *st, supply_db *db, supply_warn_fn warn,
			void *ctx, supply_node **out, struct tx_error *err)
{
	return supply_node_load_in(st, NULL, 0, db, warn, ctx, out, err);
}

static int pk_listed(const int64_t *pks, size_t n, int64_t pk)
{
	for (size_t i = 0; i < n; i++)
		if (pks[i] == pk)
			return 1;
	return 0;
}

tx_err supply_node_load_in(tx_store *st, const int64_t *pks, size_t n_pks,
			   supply_db *db, supply_warn_fn warn, void *ctx,
			   supply_node **out, struct tx_error *err)
{
	struct store_user all = { .admin = 1, .name = "local" };
	struct store_collection *list = NULL;
	struct supply_node *c;
	size_t n = 0;
	tx_err rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->finding_ids = json_object()) == NULL) {
		free(c);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	c->db = db;
	c->warn = warn;
	c->ctx = ctx;
	if ((rc = store_collection_list(st, &all, &list, &n)) != TX_OK) {
		tx_error_set(err, rc, "cannot list the node's collections");
		goto out;
	}
	/* only the objects the store indexed as ours (store/supplyidx.c),
	 * not every indicator of the node */
	for (size_t i = 0; i < n; i++) {
		if (pks != NULL && !pk_listed(pks, n_pks, list[i].pk))
			continue;
		c->pk = list[i].pk;
		c->in_inbox = store_inbox_party(&list[i]) != NULL;
		if ((rc = store_supply_rows(st, list[i].pk, load_row, c,
					    err)) != TX_OK) {
			tx_error_prefix(err, "reading collection %s", list[i].id);
			goto out;
		}
	}
	if (c->bad > 0 && warn != NULL) {
		char msg[96];
		snprintf(msg, sizeof(msg), "%zu stored objects could not be read"
			 " as advisories", c->bad);
		warn(ctx, NULL, msg);
	}
out:
	free(list);
	if (rc != TX_OK) {
		supply_node_free(c);
		return rc;
	}
	*out = c;
	return TX_OK;
}

size_t supply_node_boms(const supply_node *c)
{
	return c->n_boms;
}

const json_t *supply_node_bom(const supply_node *c, size_t i,
			      int64_t *collection_pk, int *in_inbox)
{
	if (i >= c->n_boms)
		return NULL;
	if (collection_pk != NULL)
		*collection_pk = c->boms[i].pk;
	if (in_inbox != NULL)
		*in_inbox = c->boms[i].in_inbox;
	return c->boms[i].obj;
}

int supply_node_recorded(const supply_node *c, const char *note_id)
{
	return note_id != NULL && json_object_get(c->finding_ids, note_id) != NULL;
}

tx_err supply_node_only(supply_node *c, int64_t collection_pk,
			const json_t *bom_obj, int in_inbox)
{
	json_t *copy = json_deep_copy(bom_obj);

	if (copy == NULL ||
	    tx_grow(&c->boms, &c->cap_boms, 1, sizeof(*c->boms), 16) != TX_OK) {
		json_decref(copy);
		return TX_ERR_NOMEM;
	}
	for (size_t i = 0; i < c->n_boms; i++)
		json_decref(c->boms[i].obj);
	c->boms[0] = (struct stored_bom){ collection_pk, copy, in_inbox };
	c->n_boms = 1;
	return TX_OK;
}

void supply_node_free(supply_node *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_boms; i++)
		json_decref(c->boms[i].obj);
	free(c->boms);
	json_decref(c->finding_ids);
	free(c);
}

tx_err supply_store_objects(tx_store *st, int64_t pk, const json_t *objs,
			    struct supply_store_counts *n, supply_warn_fn failed,
			    void *ctx, struct tx_error *err)
{
	struct store_user local = { .admin = 1, .name = "local" };
	size_t total = json_array_size(objs);

	for (size_t i = 0; i < total; i += SUPPLY_STORE_BATCH) {
		size_t end = i + SUPPLY_STORE_BATCH < total ? i + SUPPLY_STORE_BATCH
							    : total;
		char status_id[TX_UUID_BUF];
		json_t *batch = json_array(), *status = NULL, *d;
		size_t k;
		tx_err rc;

		if (batch == NULL)
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		for (k = i; k < end; k++)
			if (json_array_append(batch, json_array_get(objs, k)) != 0) {
				json_decref(batch);
				return tx_error_set(err, TX_ERR_NOMEM,
						    "out of memory");
			}
		rc = taxii_ingest(st, pk, &local, batch, i, status_id, err);
		json_decref(batch);
		if (rc != TX_OK) {
			tx_error_prefix(err, "storing");
			return rc;
		}
		if (store_status_get(st, &local, status_id, &status) != TX_OK)
			continue;
		json_array_foreach(json_object_get(status, "successes"), k, d) {
			const char *m = tx_json_str(d, "message");
			if (m && strcmp(m, "already present") == 0)
				n->present++;
			else
				n->added++;
		}
		json_array_foreach(json_object_get(status, "failures"), k, d) {
			const char *m = tx_json_str(d, "message");
			n->failed++;
			if (failed != NULL)
				failed(ctx, tx_json_str(d, "id"),
				       m ? m : "(no reason given)");
		}
		json_decref(status);
	}
	return TX_OK;
}

/* A trilex alert (a STIX report) on one new finding: it refers to the
 * finding's note and the stored BOM; the same finding gives the same id. */
static json_t *finding_alert(const struct supply_finding *f,
			     const supply_bom *bom, const char *sbom_id,
			     const char *note_id, const struct supply_stix_opts *o)
{
	char id[96], title[512], now[TX_TIME_BUF];
	json_t *r;

	supply_stix_id("report", note_id, id, sizeof(id));
	tx_time_format_ms(tx_time_now_us(), now);
	snprintf(title, sizeof(title), "Supply chain: %s %s in %s (%s)%s%s",
		 supply_kind_name(f->kind), f->comp->path, supply_bom_title(bom),
		 supply_severity_name(f->severity), f->n_advisories ? ", " : "",
		 f->n_advisories ? f->advisories[0] : "");
	r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s, s],"
		      " s:[s, s]}", "type", "report", "spec_version", "2.1", "id",
		      id, "created", now, "modified", now, "name", title,
		      "published", now, "report_types", "threat-report", "labels",
		      "trilex-alert", "supply-chain", "object_refs", note_id, sbom_id);
	/* an alert that lost its marking is no alert */
	if (r != NULL && o->marking_ref != NULL &&
	    json_object_set_new(r, "object_marking_refs",
				json_pack("[s]", o->marking_ref)) != 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

static tx_err mark_finding(tx_store *st, const json_t *bom_obj,
			   const struct supply_finding *f, json_t *note,
			   json_t *alert, struct tx_error *err);

tx_err supply_finding_mark(tx_store *st, const json_t *bom_obj,
			   const struct supply_finding *f, json_t *derived,
			   struct tx_error *err)
{
	return mark_finding(st, bom_obj, f, derived, NULL, err);
}

/* Mark a finding's note and alert (may be NULL) with what their sources
 * allow: the BOM (as loaded and as stored) and the advisories it names,
 * as stored. */
static tx_err mark_finding(tx_store *st, const json_t *bom_obj,
			   const struct supply_finding *f, json_t *note,
			   json_t *alert, struct tx_error *err)
{
	size_t n = 0, max = 1 + 2 * f->n_advisories;
	const char **ids = calloc(max, sizeof(*ids));
	char (*vid)[128] = calloc(max, sizeof(*vid));
	tx_err rc;

	if (ids == NULL || vid == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	ids[n++] = json_string_value(json_object_get(bom_obj, "id"));
	for (size_t i = 0; i < f->n_advisories; i++) {
		char key[300];
		/* the ids supply/share.c gives OSV and KEV entries */
		snprintf(key, sizeof(key), "osv:%s", f->advisories[i]);
		supply_stix_id("vulnerability", key, vid[n], sizeof(vid[n]));
		ids[n] = vid[n];
		n++;
		snprintf(key, sizeof(key), "kev:%s", f->advisories[i]);
		supply_stix_id("vulnerability", key, vid[n], sizeof(vid[n]));
		ids[n] = vid[n];
		n++;
	}
	if ((rc = fed_derive_stored(st, ids, n, &bom_obj, 1, NULL, note, NULL,
				    err)) == TX_OK && alert != NULL)
		rc = fed_derive_stored(st, ids, n, &bom_obj, 1, NULL, alert, NULL,
				       err);
out:
	free(ids);
	free(vid);
	return rc;
}

tx_err supply_node_recheck(tx_store *st, const supply_db *db, supply_node *c,
			   const char *only_id, supply_found_fn found,
			   supply_warn_fn warn, void *ctx, size_t *n_new,
			   struct tx_error *err)
{
	*n_new = 0;
	for (size_t i = 0; i < c->n_boms; i++) {
		const json_t *obj = c->boms[i].obj;
		const char *id = json_string_value(json_object_get(obj, "id"));
		const char *cat = NULL;
		struct supply_stix_opts o = { 0 };
		struct supply_report rep = { 0 };
		struct tx_error e = { 0 };
		struct supply_store_counts counts = { 0 };
		supply_bom *bom = NULL;
		json_t *notes = json_array();
		tx_err rc = TX_OK;

		if (notes == NULL)
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		if (id == NULL || (only_id != NULL && strcmp(id, only_id) != 0)) {
			json_decref(notes);
			continue;
		}
		o.marking_ref = json_string_value(json_array_get(
			json_object_get(obj, "object_marking_refs"), 0));
		if (supply_bom_from_stix(obj, &bom, &cat, &e) != TX_OK ||
		    supply_check(db, bom, cat, &rep, &e) != TX_OK) {
			/* a BOM that cannot be read is told and passed over;
			 * one that memory or the store failed is not checked,
			 * and that is an error, not a BOM without findings */
			int transient = tx_err_transient(e.code);
			if (transient)
				tx_error_set(err, e.code, "%s: %s", id, e.msg);
			else if (warn != NULL)
				warn(ctx, id, e.msg);
			supply_bom_free(bom);
			supply_report_free(&rep);
			json_decref(notes);
			if (transient)
				return e.code;
			continue;
		}
		for (size_t k = 0; k < rep.n; k++) {
			const struct supply_finding *f = &rep.findings[k];
			json_t *note = supply_finding_to_stix(f, id, &o);
			const char *nid = json_string_value(json_object_get(note, "id"));

			if (note == NULL) {
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
				break;
			}
			if (json_object_get(c->finding_ids, nid) != NULL) {
				json_decref(note);
				continue;
			}
			if (json_object_set_new(c->finding_ids, nid, json_true()) != 0) {
				json_decref(note);
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
				break;
			}
			if (found != NULL)
				found(ctx, bom, f);
			/* ... and an alert on it, under the BOM's marking, that
			 * `trilex alerts` shows and partners receive. */
			json_t *alert = finding_alert(f, bom, id, nid, &o);
			if (alert == NULL) {
				json_decref(note);
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
				break;
			}
			if ((rc = mark_finding(st, obj, f, note, alert, err)) != TX_OK) {
				json_decref(note);
				json_decref(alert);
				tx_error_prefix(err, "finding on %s", id);
				break;
			}
			/* both stored or neither: a failed append fails the
			 * re-check of this BOM (nothing of it is stored) */
			int lost = json_array_append(notes, note) != 0 ||
				   json_array_append(notes, alert) != 0;
			if (lost)
				json_object_del(c->finding_ids, nid);
			json_decref(note);
			json_decref(alert);
			if (lost) {
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
				break;
			}
			(*n_new)++;
		}
		/* With the BOM, unless it is a partner's: a partner's inbox holds
		 * only what it signed, so our findings on its BOM are ours, in
		 * our "alerts" collection (marked from the BOM, as above). */
		int64_t into = c->boms[i].pk;
		if (rc == TX_OK && json_array_size(notes) > 0 && c->boms[i].in_inbox) {
			struct store_collection ac;
			rc = store_collection_ensure(st, "Alerts", "alerts this node"
						     " published", "alerts", &ac, err);
			into = ac.pk;
		}
		if (rc == TX_OK && json_array_size(notes) > 0)
			rc = supply_store_objects(st, into, notes, &counts, warn,
						  ctx, err);
		supply_report_free(&rep);
		supply_bom_free(bom);
		json_decref(notes);
		if (rc != TX_OK)
			return rc;
	}
	return TX_OK;
}

tx_err supply_recheck_stored(tx_store *st, size_t *n_boms, size_t *n_new,
			     struct tx_error *err)
{
	supply_db *db = NULL;
	supply_node *node = NULL;
	tx_err rc;

	*n_boms = *n_new = 0;
	if ((rc = supply_db_new(0, &db, err)) != TX_OK)
		return rc;
	rc = supply_node_load(st, db, NULL, NULL, &node, err);
	if (rc == TX_OK) {
		*n_boms = node->n_boms;
		if (node->n_boms > 0)
			rc = supply_node_recheck(st, db, node, NULL, NULL, NULL,
						 NULL, n_new, err);
	}
	supply_node_free(node);
	supply_db_free(db);
	return rc;
}


