/*
 * supply/share.c: advisories, vendors, parts, the priority list, BOMs and
 * findings as STIX 2.1 objects, and back.
 *
 *   OSV advisory       vulnerability (name = OSV id, external_references
 *                      for the id and its aliases) + our extension
 *                      {kind: "osv", osv: the OSV entry as received}
 *   KEV entry          vulnerability (name = CVE id) + {kind: "kev", ...}
 *   watch-list vendor  identity (organization) + {kind: "vendor", ...}
 *   suspect part       indicator (pattern on x-trilex-part) +
 *                      {kind: "part", ...}
 *   priority list      note + {kind: "priority-list", categories}
 *   BOM                x-trilex-sbom {name, category, bom: CycloneDX}
 *   finding            note about the BOM + {kind: "finding", ...}
 *
 * The extension is a property extension (SUPPLY_EXT_ID); the raw entry
 * rides inside it, so a partner's node reads exactly what we read. Ids
 * are derived from the entry's own key (BLAKE2b), so the same entry gets
 * the same id at every node and importing again adds no new object.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supply/internal.h"

#define EPOCH_TS "1970-01-01T00:00:00.000Z"

tx_err supply_vendor_load_ext(supply_db *db, const json_t *ext, const char *name,
		       struct tx_error *err);
tx_err supply_part_load_ext(supply_db *db, const json_t *ext, const char *name,
		     struct tx_error *err);
tx_err supply_kev_entry_from_json(const json_t *e, struct kev_entry *k,
			   const char *where, struct tx_error *err);

void supply_stix_id(const char *type, const char *key, char *out, size_t outsz)
{
	/* A real UUIDv5 in trilex's namespace over "TYPE\nKEY" (core's, the
	 * one derivation of content-derived ids; docs/ids.md). */
	char uuid[TX_UUID_BUF];
	struct tx_sha1 s;

	tx_sha1_init(&s);
	tx_sha1_update(&s, tx_uuid_ns_trilex, 16);
	tx_sha1_update(&s, type, strlen(type));
	tx_sha1_update(&s, "\n", 1);
	tx_sha1_update(&s, key, strlen(key));
	tx_uuid5_final(&s, uuid);
	snprintf(out, outsz, "%s--%s", type, uuid);
}

static void now_ts(char buf[TX_TIME_BUF])
{
	tx_time_format_ms(tx_time_now_us(), buf);
}

/* A STIX timestamp from an outside one, or NULL when unusable. */
static int ts_from(const char *in, char buf[TX_TIME_BUF])
{
	int64_t us;

	if (in == NULL || tx_time_parse(in, &us, NULL) != TX_OK || us < 0)
		return -1;
	tx_time_format_ms(us, buf);
	return 0;
}

/* The common properties and an extension object (returned borrowed). */
static json_t *base_object(const char *type, const char *key,
			   const char *created, const char *modified,
			   const struct supply_stix_opts *o, const char *kind,
			   json_t **ext)
{
	char id[128];
	json_t *obj, *exts;

	supply_stix_id(type, key, id, sizeof(id));
	obj = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", type,
			"spec_version", "2.1", "id", id, "created", created,
			"modified", modified);
	*ext = json_pack("{s:s, s:s}", "extension_type", "property-extension",
			 "kind", kind);
	exts = json_object();
	if (obj == NULL || *ext == NULL || exts == NULL) {
		json_decref(obj);
		json_decref(*ext);
		json_decref(exts);
		*ext = NULL;
		return NULL;
	}
	json_object_set_new(exts, SUPPLY_EXT_ID, *ext);
	json_object_set_new(obj, "extensions", exts);
	if (o != NULL && o->marking_ref != NULL)
		json_object_set_new(obj, "object_marking_refs",
				    json_pack("[s]", o->marking_ref));
	if (o != NULL && o->created_by_ref != NULL)
		json_object_set_new(obj, "created_by_ref",
				    json_string(o->created_by_ref));
	return obj;
}

/* Share obj (taken) when it is whole: no JSON allocation failed since the
 * emitter took mark (tx_json_failures), so an unchecked call that lost a
 * property or an element never gives a partial object to partners. */
static tx_err emit(supply_db *db, unsigned long mark, json_t *obj,
		   struct tx_error *err)
{
	obj = tx_json_whole(mark, obj);
	if (obj == NULL || json_array_append_new(db->emit, obj) != 0)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return TX_OK;
}

static json_t *strs(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, json_string(v));
}

json_t *supply_share_object(const char *type, const char *key, const char *created,
		     const char *modified, const struct supply_stix_opts *o,
		     const char *kind, json_t **ext)
{
	char c[TX_TIME_BUF], m[TX_TIME_BUF];

	if (ts_from(modified, m) != 0)
		snprintf(m, sizeof(m), "%s", EPOCH_TS);
	if (ts_from(created, c) != 0 || strcmp(c, m) > 0)
		snprintf(c, sizeof(c), "%s", m);
	return base_object(type, key, c, m, o, kind, ext);
}

tx_err supply_share_emit(supply_db *db, unsigned long mark, json_t *obj,
			 struct tx_error *err)
{
	return emit(db, mark, obj, err);
}

tx_err supply_share_osv(supply_db *db, const json_t *doc, const struct advisory *a,
		 struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	char created[TX_TIME_BUF], modified[TX_TIME_BUF], key[300];
	const char *summary = NULL;
	json_t *obj, *ext, *refs;

	if (db->emit == NULL)
		return TX_OK;
	if (ts_from(json_string_value(json_object_get(doc, "modified")),
		    modified) != 0)
		snprintf(modified, sizeof(modified), "%s", EPOCH_TS);
	if (ts_from(json_string_value(json_object_get(doc, "published")),
		    created) != 0 || strcmp(created, modified) > 0)
		snprintf(created, sizeof(created), "%s", modified);
	snprintf(key, sizeof(key), "osv:%s", a->id);
	obj = base_object("vulnerability", key, created, modified, &db->emit_opts,
			  "osv", &ext);
	if (obj == NULL)
		return emit(db, jf, NULL, err);
	json_object_set_new(obj, "name", json_string(a->id));
	supply_jstr(doc, "summary", &summary);
	if (summary != NULL && summary[0] != '\0')
		json_object_set_new(obj, "description", json_string(summary));
	refs = json_pack("[{s:s, s:s}]", "source_name", "osv", "external_id",
			 a->id);
	for (size_t i = 0; refs && i < a->n_aliases; i++) {
		const char *al = a->aliases[i];
		json_array_append_new(refs, json_pack("{s:s, s:s}", "source_name",
			strncmp(al, "CVE-", 4) == 0 ? "cve" : "alias",
			"external_id", al));
	}
	json_object_set_new(obj, "external_references", refs);
	if (a->malicious)
		json_object_set_new(obj, "labels", json_pack("[s]",
							     "malicious-package"));
	json_object_set_new(ext, "osv", json_deep_copy(doc));
	return emit(db, jf, obj, err);
}

tx_err supply_share_kev(supply_db *db, const struct kev_entry *k, struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	char ts[TX_TIME_BUF], key[128], day[40];
	json_t *obj, *ext;

	if (db->emit == NULL)
		return TX_OK;
	snprintf(day, sizeof(day), "%.10sT00:00:00Z",
		 k->date_added ? k->date_added : "");
	if (ts_from(day, ts) != 0)
		snprintf(ts, sizeof(ts), "%s", EPOCH_TS);
	snprintf(key, sizeof(key), "kev:%s", k->cve);
	obj = base_object("vulnerability", key, ts, ts, &db->emit_opts, "kev",
			  &ext);
	if (obj == NULL)
		return emit(db, jf, NULL, err);
	json_object_set_new(obj, "name", json_string(k->cve));
	json_object_set_new(obj, "external_references",
			    json_pack("[{s:s, s:s}]", "source_name", "cve",
				      "external_id", k->cve));
	json_object_set_new(obj, "labels", json_pack("[s]", "known-exploited"));
	set_str(ext, "cveID", k->cve);
	set_str(ext, "vendorProject", k->vendor);
	set_str(ext, "product", k->product);
	set_str(ext, "dateAdded", k->date_added);
	set_str(ext, "knownRansomwareCampaignUse", k->ransomware);
	return emit(db, jf, obj, err);
}

tx_err supply_share_vendor(supply_db *db, const struct vendor *v, struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	char ts[TX_TIME_BUF], key[600];
	json_t *obj, *ext;

	if (db->emit == NULL)
		return TX_OK;
	now_ts(ts);
	snprintf(key, sizeof(key), "vendor:%s", v->name);
	obj = base_object("identity", key, EPOCH_TS, ts, &db->emit_opts,
			  "vendor", &ext);
	if (obj == NULL)
		return emit(db, jf, NULL, err);
	json_object_set_new(obj, "name", json_string(v->name));
	json_object_set_new(obj, "identity_class", json_string("organization"));
	if (v->reason != NULL)
		json_object_set_new(obj, "description", json_string(v->reason));
	set_str(ext, "name", v->name);
	json_object_set_new(ext, "aliases", strs(v->aliases, v->n_aliases));
	json_object_set_new(ext, "subsidiaries",
			    strs(v->subsidiaries, v->n_subsidiaries));
	json_object_set_new(ext, "countries", strs(v->countries, v->n_countries));
	set_str(ext, "reason", v->reason);
	set_str(ext, "source", v->source);
	return emit(db, jf, obj, err);
}

/* A STIX pattern string literal: ' and \ escaped. */
static void pattern_lit(const char *s, char *out, size_t n)
{
	size_t o = 0;

	for (; s && *s && o + 3 < n; s++) {
		if (*s == '\'' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
}

tx_err supply_share_part(supply_db *db, const struct part *p, struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	char ts[TX_TIME_BUF], key[2048], m[600], pn[600], pattern[1400], name[700];
	json_t *obj, *ext;

	if (db->emit == NULL)
		return TX_OK;
	now_ts(ts);
	snprintf(key, sizeof(key), "part:%s|%s|%s|%s|%s|%s|%s", p->manufacturer,
		 p->part_number ? p->part_number : "",
		 p->lot_from ? p->lot_from : "", p->lot_to ? p->lot_to : "",
		 p->date_from ? p->date_from : "", p->date_to ? p->date_to : "",
		 p->hash ? p->hash : "");
	obj = base_object("indicator", key, EPOCH_TS, ts, &db->emit_opts, "part",
			  &ext);
	if (obj == NULL)
		return emit(db, jf, NULL, err);
	pattern_lit(p->manufacturer, m, sizeof(m));
	if (p->part_number != NULL) {
		pattern_lit(p->part_number, pn, sizeof(pn));
		snprintf(pattern, sizeof(pattern), "[x-trilex-part:manufacturer = "
			 "'%s' AND x-trilex-part:part_number = '%s']", m, pn);
	} else {
		snprintf(pattern, sizeof(pattern), "[x-trilex-part:hashes.'SHA-256'"
			 " = '%s']", p->hash);
	}
	snprintf(name, sizeof(name), "%s part: %s %s",
		 p->status == PART_COUNTERFEIT ? "Counterfeit" : "Suspect",
		 p->manufacturer, p->part_number ? p->part_number : p->hash);
	json_object_set_new(obj, "name", json_string(name));
	json_object_set_new(obj, "indicator_types", json_pack("[s]", "compromised"));
	json_object_set_new(obj, "pattern", json_string(pattern));
	json_object_set_new(obj, "pattern_type", json_string("stix"));
	json_object_set_new(obj, "valid_from", json_string(EPOCH_TS));
	set_str(ext, "manufacturer", p->manufacturer);
	set_str(ext, "part_number", p->part_number);
	set_str(ext, "lot_from", p->lot_from);
	set_str(ext, "lot_to", p->lot_to);
	set_str(ext, "date_code_from", p->date_from);
	set_str(ext, "date_code_to", p->date_to);
	set_str(ext, "hash", p->hash);
	set_str(ext, "status", p->status == PART_COUNTERFEIT ? "counterfeit" :
		"suspect");
	set_str(ext, "reason", p->reason);
	set_str(ext, "source", p->source);
	return emit(db, jf, obj, err);
}

tx_err supply_share_priority(supply_db *db, struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	char ts[TX_TIME_BUF];
	json_t *obj, *ext, *cats = json_array();
	struct tx_buf text;

	if (db->emit == NULL) {
		json_decref(cats);
		return TX_OK;
	}
	tx_buf_init(&text, 1 << 16);
	/* a text that memory cut short is no list (past its cap it is cut,
	 * as always: the extension's categories stay whole) */
	int short_of_memory = tx_buf_puts(&text, "Equipment priority list:") ==
			      TX_ERR_NOMEM;
	for (size_t i = 0; cats && i < db->n_cats; i++) {
		json_array_append_new(cats, json_pack("{s:s, s:s, s:i}", "id",
			db->cats[i].id, "name", db->cats[i].name, "tier",
			db->cats[i].tier));
		if (tx_buf_printf(&text, " %s (tier %d);", db->cats[i].name,
				  db->cats[i].tier) == TX_ERR_NOMEM)
			short_of_memory = 1;
	}
	now_ts(ts);
	obj = base_object("note", "priority-list", EPOCH_TS, ts, &db->emit_opts,
			  "priority-list", &ext);
	if (obj == NULL || cats == NULL || text.data == NULL || short_of_memory) {
		json_decref(obj);
		json_decref(cats);
		tx_buf_free(&text);
		return emit(db, jf, NULL, err);
	}
	json_object_set_new(obj, "abstract", json_string("trilex equipment "
							 "priority list"));
	json_object_set_new(obj, "content", json_string(text.data));
	json_object_set_new(obj, "object_refs", json_pack("[s]", SUPPLY_EXT_ID));
	json_object_set_new(ext, "categories", cats);
	tx_buf_free(&text);
	return emit(db, jf, obj, err);
}

tx_err supply_db_load_stix(supply_db *db, const json_t *obj,
			   struct tx_error *err)
{
	const json_t *ext = json_object_get(json_object_get(obj, "extensions"),
					    SUPPLY_EXT_ID);
	const char *kind = NULL, *id = NULL;
	json_t *saved = db->emit;
	tx_err rc = TX_OK;

	if (!json_is_object(ext) || json_is_true(json_object_get(obj, "revoked"))) {
		db->counts.stix_ignored++;
		return TX_OK;
	}
	supply_jstr(obj, "id", &id);
	if (id == NULL)
		id = "(no id)";
	if (supply_jstr(ext, "kind", &kind) != 0 || kind == NULL)
		return tx_error_set(err, TX_ERR_INVALID, "%s: extensions.%s.kind: "
				    "required string missing", id, SUPPLY_EXT_ID);
	db->emit = NULL; /* what comes from STIX is not shared again */
	if (strcmp(kind, "osv") == 0) {
		rc = supply_osv_load(db, json_object_get(ext, "osv"), id, err);
	} else if (strcmp(kind, "kev") == 0) {
		struct kev_entry k;
		if ((rc = supply_kev_entry_from_json(ext, &k, id, err)) == TX_OK)
			rc = supply_kev_add(db, &k, err);
	} else if (strcmp(kind, "vendor") == 0) {
		rc = supply_vendor_load_ext(db, ext, id, err);
	} else if (strcmp(kind, "part") == 0) {
		rc = supply_part_load_ext(db, ext, id, err);
	} else if (strcmp(kind, "priority-list") == 0) {
		rc = supply_priority_load(db, ext, id, err);
	} else if (strcmp(kind, "csaf") == 0) {
		rc = supply_csaf_load(db, json_object_get(ext, "csaf"), id, err);
	} else if (strcmp(kind, "vex") == 0) {
		rc = supply_vex_load(db, json_object_get(ext, "vex"), id, err);
	} else {
		db->counts.stix_ignored++; /* findings and future kinds */
	}
	db->emit = saved;
	return rc;
}

static json_t *build_bom_to_stix(const json_t *doc, const char *name,
			   const char *category,
			   const struct supply_stix_opts *opts)
{
	char ts[TX_TIME_BUF], id[128];
	const char *serial = json_string_value(json_object_get(doc, "serialNumber"));
	char *text = NULL;
	json_t *obj;

	if (serial == NULL) {
		text = tx_json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
		if (text == NULL)
			return NULL;
	}
	supply_stix_id(SUPPLY_SBOM_TYPE, serial ? serial : text, id, sizeof(id));
	free(text);
	now_ts(ts);
	obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "type",
			SUPPLY_SBOM_TYPE, "spec_version", "2.1", "id", id,
			"created", EPOCH_TS, "modified", ts, "name", name, "bom",
			doc);
	if (obj == NULL)
		return NULL;
	if (category != NULL)
		json_object_set_new(obj, "category", json_string(category));
	if (opts != NULL && opts->marking_ref != NULL)
		json_object_set_new(obj, "object_marking_refs",
				    json_pack("[s]", opts->marking_ref));
	if (opts != NULL && opts->created_by_ref != NULL)
		json_object_set_new(obj, "created_by_ref",
				    json_string(opts->created_by_ref));
	return obj;
}

json_t *supply_bom_to_stix(const json_t *doc, const char *name,
			   const char *category,
			   const struct supply_stix_opts *opts)
{
	unsigned long jf = tx_json_failures();

	return tx_json_whole(jf, build_bom_to_stix(doc, name, category, opts));
}

tx_err supply_bom_from_stix(const json_t *obj, supply_bom **out,
			    const char **category, struct tx_error *err)
{
	const char *type = NULL, *name = NULL, *id = NULL;

	*out = NULL;
	if (category)
		*category = NULL;
	if (supply_jstr(obj, "type", &type) != 0 || type == NULL ||
	    strcmp(type, SUPPLY_SBOM_TYPE) != 0)
		return tx_error_set(err, TX_ERR_INVALID, "not an %s object",
				    SUPPLY_SBOM_TYPE);
	supply_jstr(obj, "id", &id);
	supply_jstr(obj, "name", &name);
	if (category && supply_jstr(obj, "category", category) != 0)
		return tx_error_set(err, TX_ERR_INVALID, "%s: category: must be a "
				    "string", id ? id : "?");
	return supply_bom_from_json(json_object_get(obj, "bom"),
				    name ? name : id ? id : "?", out, err);
}

static json_t *build_finding_to_stix(const struct supply_finding *f,
			       const char *sbom_id,
			       const struct supply_stix_opts *opts)
{
	char ts[TX_TIME_BUF], key[8192], abstract[1024];
	struct tx_buf content;
	json_t *obj, *ext, *ids;
	size_t o;

	o = (size_t)snprintf(key, sizeof(key), "%s|%s|%s", sbom_id, f->comp->path,
			     supply_kind_name(f->kind));
	for (size_t i = 0; i < f->n_advisories && o < sizeof(key); i++)
		o += (size_t)snprintf(key + o, sizeof(key) - o, "|%s",
				      f->advisories[i]);
	now_ts(ts);
	obj = base_object("note", key, ts, ts, opts, "finding", &ext);
	if (obj == NULL)
		return NULL;
	snprintf(abstract, sizeof(abstract), "%s: %s (%s)",
		 supply_kind_name(f->kind), f->comp->path,
		 f->n_advisories ? f->advisories[0] : "-");
	tx_buf_init(&content, 1 << 16);
	tx_buf_printf(&content, "Supply-chain finding: component %s is %s "
		      "(severity %s)", f->comp->path, supply_kind_name(f->kind),
		      supply_severity_name(f->severity));
	if (f->n_advisories)
		tx_buf_printf(&content, "; advisories:");
	for (size_t i = 0; i < f->n_advisories; i++)
		tx_buf_printf(&content, " %s", f->advisories[i]);
	if (f->fixed)
		tx_buf_printf(&content, "; fixed in %s", f->fixed);
	if (f->reason)
		tx_buf_printf(&content, "; reason: %s", f->reason);
	if (content.data == NULL) {
		json_decref(obj);
		return NULL;
	}
	json_object_set_new(obj, "abstract", json_string(abstract));
	json_object_set_new(obj, "content", json_string(content.data));
	tx_buf_free(&content);
	json_object_set_new(obj, "object_refs", json_pack("[s]", sbom_id));
	ids = strs(f->advisories, f->n_advisories);
	json_object_set_new(ext, "component",
			    json_pack("{s:s, s:s?, s:s?, s:s}", "name",
				      f->comp->name, "version", f->comp->version,
				      "purl", f->comp->purl, "path", f->comp->path));
	set_str(ext, "finding_kind", supply_kind_name(f->kind));
	json_object_set_new(ext, "advisories", ids);
	set_str(ext, "severity", supply_severity_name(f->severity));
	set_str(ext, "fixed", f->fixed);
	set_str(ext, "category", f->category);
	json_object_set_new(ext, "tier", json_integer(f->tier));
	json_object_set_new(ext, "exploited", json_boolean(f->exploited));
	return obj;
}

json_t *supply_finding_to_stix(const struct supply_finding *f,
			       const char *sbom_id,
			       const struct supply_stix_opts *opts)
{
	unsigned long jf = tx_json_failures();

	return tx_json_whole(jf, build_finding_to_stix(f, sbom_id, opts));
}
