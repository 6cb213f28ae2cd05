/*
 * supply/vex.c: VEX statements, from CycloneDX VEX and OpenVEX 0.2.
 *
 *   CycloneDX 1.4-1.6 (bomFormat "CycloneDX" with "vulnerabilities"):
 *     vulnerabilities[].id (and references[].id as aliases),
 *     .analysis.state (resolved, resolved_with_pedigree, exploitable,
 *     in_triage, false_positive, not_affected), .analysis.justification,
 *     .analysis.detail / .response, .affects[].ref (a bom-ref, a BOM-Link
 *     "urn:cdx:<serial>/<version>#<bom-ref>", or a purl) and
 *     .affects[].versions[] ({version} or {range}, with a status).
 *     Vulnerabilities without an analysis say nothing of applicability
 *     and are left aside.
 *   OpenVEX 0.2 ("@context" https://openvex.dev/ns/...): statements[] with
 *     vulnerability {name, @id, aliases} (or, as 0.0.x wrote, a string),
 *     products[] {@id, identifiers {purl, cpe23, cpe22}, subcomponents[]},
 *     status (not_affected, affected, fixed, under_investigation),
 *     justification, impact_statement, action_statement. A not_affected
 *     statement must carry a justification or an impact statement
 *     (OpenVEX spec, "Status Justifications").
 *
 * Each statement is indexed by its vulnerability id and aliases
 * (db->vex). check.c marks the findings a statement covers: same
 * vulnerability id (or alias), same product (purl, CPE or bom-ref), and
 * the version it names (a purl without a version names every version). A
 * finding is marked, never dropped. A document is validated whole before
 * any of it is indexed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "supply/internal.h"

#define VEX_MAX_STATEMENTS 100000 /* per document */

static tx_err bad(struct tx_error *err, const char *name, const char *path,
		  const char *why)
{
	return tx_error_set(err, TX_ERR_INVALID, "%s: %s: %s", name, path, why);
}

static tx_err nomem(struct tx_error *err)
{
	return tx_error_set(err, TX_ERR_NOMEM, "advisory database: out of memory "
			    "(or past its memory cap)");
}

int supply_vex_is_openvex(const json_t *doc)
{
	const char *ctx = json_string_value(json_object_get(doc, "@context"));

	return ctx != NULL && strncmp(ctx, "https://openvex.dev/ns", 22) == 0;
}

int supply_vex_is_cyclonedx(const json_t *doc)
{
	const char *fmt = json_string_value(json_object_get(doc, "bomFormat"));

	return fmt != NULL && strcmp(fmt, "CycloneDX") == 0 &&
	       json_object_get(doc, "vulnerabilities") != NULL;
}

struct vwalk {
	supply_db *db;
	const char *name;
	const char *source;     /* arena: the document's id */
	struct vex_stmt **stmts; /* owned array */
	size_t n, cap;
	struct tx_error *err;
};

static tx_err vstr(struct vwalk *w, const json_t *o, const char *key,
		   const char *path, int required, const char **out)
{
	char sub[512];

	snprintf(sub, sizeof(sub), "%s.%s", path, key);
	if (supply_jstr(o, key, out) != 0)
		return bad(w->err, w->name, sub, "must be a string");
	if (*out == NULL && required)
		return bad(w->err, w->name, sub, "required string missing");
	if (*out != NULL && (strlen(*out) > SUPPLY_STR_MAX ||
			     (required && (*out)[0] == '\0')))
		return bad(w->err, w->name, sub, "empty or too long");
	return TX_OK;
}

static char *adup(struct vwalk *w, const char *s)
{
	return s ? tx_arena_strdup(&w->db->arena, s) : NULL;
}

static tx_err push(struct vwalk *w, struct vex_stmt *s)
{
	if (w->n == VEX_MAX_STATEMENTS)
		return tx_error_set(w->err, TX_ERR_TOOBIG, "%s: more than %d VEX "
				    "statements", w->name, VEX_MAX_STATEMENTS);
	if (tx_grow(&w->stmts, &w->cap, w->n + 1, sizeof(*w->stmts), 32) != TX_OK)
		return nomem(w->err);
	w->stmts[w->n++] = s;
	return TX_OK;
}

/* A new statement for product identifier id (purl, cpe, bom-ref or a
 * BOM-Link), copying the shared fields of tmpl. */
static tx_err add_stmt(struct vwalk *w, const struct vex_stmt *tmpl,
		       const char *id, const char *version, const char *range)
{
	struct vex_stmt *s = tx_arena_alloc(&w->db->arena, sizeof(*s));
	char key[600];

	if (s == NULL)
		return nomem(w->err);
	*s = *tmpl;
	s->next = NULL;
	if (strncmp(id, "pkg:", 4) == 0) {
		const char *at = NULL;
		size_t len = strcspn(id, "?#");

		s->match = VEX_BY_PURL;
		if (supply_csaf_key(key, sizeof(key), 'p', id) != 0)
			return TX_OK; /* checked by the caller */
		for (size_t i = 0; i < len; i++) {
			if (id[i] == '/')
				at = NULL;
			else if (id[i] == '@')
				at = id + i;
		}
		if (at != NULL && version == NULL)
			version = tx_arena_strndup(&w->db->arena, at + 1,
						len - (size_t)(at - id) - 1);
		if ((s->product = adup(w, key)) == NULL)
			return nomem(w->err);
	} else if (strncasecmp(id, "cpe:", 4) == 0) {
		s->match = VEX_BY_CPE;
		if (supply_csaf_key(key, sizeof(key), 'c', id) != 0)
			return TX_OK;
		if ((s->product = adup(w, key)) == NULL)
			return nomem(w->err);
		/* cpe:2.3:part:vendor:product:version:... */
		if (version == NULL && strncasecmp(id, "cpe:2.3:", 8) == 0) {
			const char *p = id + 8;
			int field = 0;

			for (; *p && field < 3; p++)
				field += *p == ':';
			size_t vl = strcspn(p, ":");
			if (field == 3 && vl > 0 && !(vl == 1 && (*p == '*' ||
								  *p == '-')))
				version = tx_arena_strndup(&w->db->arena, p, vl);
		}
	} else if (strncmp(id, "urn:cdx:", 8) == 0) {
		/* urn:cdx:<serial uuid>/<version>#<bom-ref> */
		const char *slash = strchr(id + 8, '/');
		const char *hash = strchr(id + 8, '#');
		char serial[128];

		if (slash == NULL || hash == NULL || hash < slash ||
		    (size_t)(slash - (id + 8)) >= sizeof(serial) - 9)
			return TX_OK;
		snprintf(serial, sizeof(serial), "urn:uuid:%.*s",
			 (int)(slash - (id + 8)), id + 8);
		s->match = VEX_BY_REF;
		if ((s->bom_serial = adup(w, serial)) == NULL ||
		    (s->product = adup(w, hash + 1)) == NULL)
			return nomem(w->err);
	} else {
		s->match = VEX_BY_REF;
		if ((s->product = adup(w, id)) == NULL)
			return nomem(w->err);
	}
	if (version != NULL && version[0] != '\0' &&
	    (s->version = adup(w, version)) == NULL)
		return nomem(w->err);
	if (range != NULL && (s->range = adup(w, range)) == NULL)
		return nomem(w->err);
	return push(w, s);
}

static int one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* A product identifier must be one we can match. */
static tx_err check_id(struct vwalk *w, const char *id, const char *path)
{
	char key[600];

	if (strncmp(id, "pkg:", 4) == 0 && supply_csaf_key(key, sizeof(key), 'p', id) != 0)
		return bad(w->err, w->name, path, "not a package URL");
	if (strncasecmp(id, "cpe:", 4) == 0 &&
	    supply_csaf_key(key, sizeof(key), 'c', id) != 0)
		return bad(w->err, w->name, path, "not a CPE name");
	if (strncmp(id, "urn:cdx:", 8) == 0 &&
	    (strchr(id, '/') == NULL || strchr(id, '#') == NULL))
		return bad(w->err, w->name, path, "not a BOM-Link "
			   "(urn:cdx:serial/version#bom-ref)");
	return TX_OK;
}

/* Aliases of a vulnerability into the arena. */
static tx_err aliases(struct vwalk *w, const json_t *arr, const char *key,
		      const char *path, struct vex_stmt *t)
{
	const json_t *v;
	char sub[512];
	size_t i, n = json_array_size(arr);

	if (arr == NULL)
		return TX_OK;
	if (!json_is_array(arr) || n > 64)
		return bad(w->err, w->name, path, "must be a list (of at most 64)");
	t->aliases = tx_arena_alloc(&w->db->arena, (n ? n : 1) * sizeof(char *));
	if (t->aliases == NULL)
		return nomem(w->err);
	json_array_foreach(arr, i, v) {
		const char *a = key ? json_string_value(json_object_get(v, key)) :
				json_string_value(v);

		snprintf(sub, sizeof(sub), "%s[%zu]%s%s", path, i, key ? "." : "",
			 key ? key : "");
		if (a == NULL || strlen(a) > 256)
			return bad(w->err, w->name, sub, "must be a string");
		if ((t->aliases[t->n_aliases++] = adup(w, a)) == NULL)
			return nomem(w->err);
	}
	return TX_OK;
}

static tx_err cdx_load(struct vwalk *w, const json_t *doc)
{
	static const char *const states[] = { "resolved",
		"resolved_with_pedigree", "exploitable", "in_triage",
		"false_positive", "not_affected", NULL };
	static const char *const justs[] = { "code_not_present",
		"code_not_reachable", "requires_configuration",
		"requires_dependency", "requires_environment",
		"protected_by_compiler", "protected_at_runtime",
		"protected_at_perimeter", "protected_by_mitigating_control", NULL };
	const json_t *vulns = json_object_get(doc, "vulnerabilities"), *v;
	char path[256], sub[512];
	size_t i;
	tx_err rc;

	if (!json_is_array(vulns))
		return bad(w->err, w->name, "vulnerabilities", "must be a list");
	json_array_foreach(vulns, i, v) {
		struct vex_stmt t = { 0 };
		const json_t *an, *affects, *af;
		const char *id, *state, *just, *detail;
		size_t j;

		snprintf(path, sizeof(path), "vulnerabilities[%zu]", i);
		if (!json_is_object(v))
			return bad(w->err, w->name, path, "must be an object");
		an = json_object_get(v, "analysis");
		if (an == NULL)
			continue; /* vulnerability data, not a VEX statement */
		if ((rc = vstr(w, v, "id", path, 1, &id)) != TX_OK)
			return rc;
		snprintf(sub, sizeof(sub), "%s.analysis", path);
		if (!json_is_object(an))
			return bad(w->err, w->name, sub, "must be an object");
		if ((rc = vstr(w, an, "state", sub, 1, &state)) != TX_OK ||
		    (rc = vstr(w, an, "justification", sub, 0, &just)) != TX_OK ||
		    (rc = vstr(w, an, "detail", sub, 0, &detail)) != TX_OK)
			return rc;
		if (!one_of(state, states)) {
			snprintf(sub, sizeof(sub), "%s.analysis.state", path);
			return bad(w->err, w->name, sub, "not resolved, "
				   "resolved_with_pedigree, exploitable, in_triage, "
				   "false_positive or not_affected");
		}
		if (just != NULL && !one_of(just, justs)) {
			snprintf(sub, sizeof(sub), "%s.analysis.justification", path);
			return bad(w->err, w->name, sub, "not a CycloneDX "
				   "justification");
		}
		snprintf(sub, sizeof(sub), "%s.references", path);
		if ((rc = aliases(w, json_object_get(v, "references"), "id", sub,
				  &t)) != TX_OK)
			return rc;
		t.vuln = adup(w, id);
		t.state = adup(w, state);
		t.justification = adup(w, just);
		t.detail = adup(w, detail);
		t.source = w->source;
		t.format = "cyclonedx";
		if (t.vuln == NULL || t.state == NULL || (just && !t.justification) ||
		    (detail && !t.detail))
			return nomem(w->err);
		affects = json_object_get(v, "affects");
		snprintf(sub, sizeof(sub), "%s.affects", path);
		if (!json_is_array(affects) || json_array_size(affects) == 0)
			return bad(w->err, w->name, sub, "a VEX statement needs a "
				   "non-empty list of affected refs");
		json_array_foreach(affects, j, af) {
			const json_t *vers, *ve;
			const char *ref;
			char apath[600];
			size_t k;

			snprintf(apath, sizeof(apath), "%s.affects[%zu]", path, j);
			if (!json_is_object(af))
				return bad(w->err, w->name, apath, "must be an object");
			if ((rc = vstr(w, af, "ref", apath, 1, &ref)) != TX_OK)
				return rc;
			tx_strfmt(sub, sizeof(sub), "%s.ref", apath);
			if ((rc = check_id(w, ref, sub)) != TX_OK)
				return rc;
			vers = json_object_get(af, "versions");
			if (vers == NULL) {
				if ((rc = add_stmt(w, &t, ref, NULL, NULL)) != TX_OK)
					return rc;
				continue;
			}
			tx_strfmt(sub, sizeof(sub), "%s.versions", apath);
			if (!json_is_array(vers))
				return bad(w->err, w->name, sub, "must be a list");
			json_array_foreach(vers, k, ve) {
				const char *ver, *range, *status;
				char vpath[700];

				snprintf(vpath, sizeof(vpath), "%s.versions[%zu]", apath,
					 k);
				if (!json_is_object(ve))
					return bad(w->err, w->name, vpath,
						   "must be an object");
				if ((rc = vstr(w, ve, "version", vpath, 0, &ver)) ||
				    (rc = vstr(w, ve, "range", vpath, 0, &range)) ||
				    (rc = vstr(w, ve, "status", vpath, 0, &status)))
					return rc;
				if ((ver == NULL) == (range == NULL))
					return bad(w->err, w->name, vpath, "needs one "
						   "of version and range");
				/* the analysis is of the affected versions */
				if (status != NULL && strcmp(status, "affected") != 0)
					continue;
				if ((rc = add_stmt(w, &t, ref, ver, range)) != TX_OK)
					return rc;
			}
		}
	}
	return TX_OK;
}

static tx_err openvex_load(struct vwalk *w, const json_t *doc)
{
	static const char *const statuses[] = { "not_affected", "affected",
		"fixed", "under_investigation", NULL };
	static const char *const justs[] = { "component_not_present",
		"vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
		"vulnerable_code_cannot_be_controlled_by_adversary",
		"inline_mitigations_already_exist", NULL };
	const json_t *stmts = json_object_get(doc, "statements"), *st;
	char path[256], sub[512];
	size_t i;
	tx_err rc;

	if (!json_is_array(stmts))
		return bad(w->err, w->name, "statements", "must be a list");
	json_array_foreach(stmts, i, st) {
		struct vex_stmt t = { 0 };
		const json_t *vu, *prods, *p;
		const char *vname = NULL, *status, *just, *impact, *action;
		size_t j;

		snprintf(path, sizeof(path), "statements[%zu]", i);
		if (!json_is_object(st))
			return bad(w->err, w->name, path, "must be an object");
		vu = json_object_get(st, "vulnerability");
		snprintf(sub, sizeof(sub), "%s.vulnerability", path);
		if (json_is_string(vu)) {
			vname = json_string_value(vu); /* OpenVEX 0.0.x */
		} else if (json_is_object(vu)) {
			if ((rc = vstr(w, vu, "name", sub, 0, &vname)) != TX_OK)
				return rc;
			if (vname == NULL &&
			    (rc = vstr(w, vu, "@id", sub, 0, &vname)) != TX_OK)
				return rc;
			char apath[600];
			snprintf(apath, sizeof(apath), "%s.aliases", sub);
			if ((rc = aliases(w, json_object_get(vu, "aliases"), NULL,
					  apath, &t)) != TX_OK)
				return rc;
		}
		if (vname == NULL || vname[0] == '\0' || strlen(vname) > 256)
			return bad(w->err, w->name, sub, "needs a name");
		if ((rc = vstr(w, st, "status", path, 1, &status)) != TX_OK ||
		    (rc = vstr(w, st, "justification", path, 0, &just)) != TX_OK ||
		    (rc = vstr(w, st, "impact_statement", path, 0, &impact)) ||
		    (rc = vstr(w, st, "action_statement", path, 0, &action)))
			return rc;
		if (!one_of(status, statuses)) {
			snprintf(sub, sizeof(sub), "%s.status", path);
			return bad(w->err, w->name, sub, "not not_affected, affected, "
				   "fixed or under_investigation");
		}
		if (just != NULL && !one_of(just, justs)) {
			snprintf(sub, sizeof(sub), "%s.justification", path);
			return bad(w->err, w->name, sub, "not an OpenVEX "
				   "justification");
		}
		if (strcmp(status, "not_affected") == 0 && just == NULL &&
		    impact == NULL)
			return bad(w->err, w->name, path, "not_affected needs a "
				   "justification or an impact_statement");
		t.vuln = adup(w, vname);
		t.state = adup(w, status);
		t.justification = adup(w, just);
		t.detail = adup(w, impact ? impact : action);
		t.source = w->source;
		t.format = "openvex";
		if (t.vuln == NULL || t.state == NULL)
			return nomem(w->err);
		prods = json_object_get(st, "products");
		snprintf(sub, sizeof(sub), "%s.products", path);
		if (!json_is_array(prods) || json_array_size(prods) == 0)
			return bad(w->err, w->name, sub, "must be a non-empty list");
		json_array_foreach(prods, j, p) {
			const json_t *subs = json_object_get(p, "subcomponents");
			const json_t *list[1] = { NULL };
			char ppath[600];

			snprintf(ppath, sizeof(ppath), "%s.products[%zu]", path, j);
			if (json_is_string(p)) {
				/* 0.0.x: products as plain identifiers */
				if ((rc = check_id(w, json_string_value(p), ppath)) ||
				    (rc = add_stmt(w, &t, json_string_value(p), NULL,
						   NULL)))
					return rc;
				continue;
			}
			if (!json_is_object(p))
				return bad(w->err, w->name, ppath, "must be an object");
			/* the statement speaks of the subcomponents inside the
			 * product when it names them, else of the product */
			if (json_is_array(subs) && json_array_size(subs) > 0)
				list[0] = subs;
			json_t *self = json_array();
			if (self == NULL)
				return nomem(w->err);
			if (list[0] == NULL) {
				if (json_array_append(self, (json_t *)p) != 0) {
					json_decref(self);
					return nomem(w->err);
				}
				list[0] = self;
			}
			size_t k;
			const json_t *c;
			json_array_foreach(list[0], k, c) {
				const json_t *ids = json_object_get(c, "identifiers");
				const char *ids_v[4] = {
					json_string_value(json_object_get(c, "@id")),
					json_string_value(json_object_get(ids, "purl")),
					json_string_value(json_object_get(ids, "cpe23")),
					json_string_value(json_object_get(ids, "cpe22")),
				};
				int any = 0;
				char cpath[700];

				if (list[0] == self)
					snprintf(cpath, sizeof(cpath), "%s", ppath);
				else
					snprintf(cpath, sizeof(cpath), "%s.subcomponents"
						 "[%zu]", ppath, k);
				for (int q = 0; q < 4; q++) {
					if (ids_v[q] == NULL)
						continue;
					if ((rc = check_id(w, ids_v[q], cpath)) != TX_OK ||
					    (rc = add_stmt(w, &t, ids_v[q], NULL, NULL))) {
						json_decref(self);
						return rc;
					}
					any = 1;
				}
				if (!any) {
					json_decref(self);
					return bad(w->err, w->name, cpath, "names no "
						   "@id, purl or cpe");
				}
			}
			json_decref(self);
		}
	}
	return TX_OK;
}

static tx_err index_stmt(supply_db *db, const char *key, struct vex_stmt *s,
			 struct tx_error *err)
{
	struct vex_ref *old = tx_htab_get(&db->vex, key);
	struct vex_ref *r = tx_arena_alloc(&db->arena, sizeof(*r));

	if (r == NULL)
		return nomem(err);
	r->s = s;
	r->next = old;
	return tx_htab_put(&db->vex, key, r, NULL) == TX_OK ? TX_OK : nomem(err);
}

tx_err supply_vex_load(supply_db *db, const json_t *doc, const char *name,
		struct tx_error *err)
{
	struct vwalk w = { 0 };
	const char *id = NULL;
	char buf[300];
	tx_err rc = TX_OK;
	int openvex = supply_vex_is_openvex(doc);

	w.db = db;
	w.name = name;
	w.err = err;
	if (openvex) {
		if ((rc = vstr(&w, doc, "@id", "(top)", 1, &id)) != TX_OK)
			goto out;
	} else {
		const char *serial = json_string_value(json_object_get(doc,
								      "serialNumber"));
		json_int_t ver = json_integer_value(json_object_get(doc, "version"));

		if (serial != NULL) {
			snprintf(buf, sizeof(buf), "%.250s/%lld", serial,
				 (long long)(ver ? ver : 1));
		} else {
			/* no serial: an id from the content, the same at every
			 * node and from the file or its STIX copy */
			char *text = tx_json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);

			if (text == NULL) {
				rc = nomem(err);
				goto out;
			}
			supply_stix_id("vex", text, buf, sizeof(buf));
			free(text);
		}
		id = buf;
	}
	if (strlen(id) > 256) {
		rc = bad(err, name, openvex ? "@id" : "serialNumber", "too long");
		goto out;
	}
	if (tx_htab_get(&db->vex_docs, id) != NULL)
		goto out; /* the first copy wins */
	if ((w.source = tx_arena_strdup(&db->arena, id)) == NULL) {
		rc = nomem(err);
		goto out;
	}
	rc = openvex ? openvex_load(&w, doc) : cdx_load(&w, doc);
	if (rc != TX_OK)
		goto out;
	for (size_t i = 0; i < w.n && rc == TX_OK; i++) {
		struct vex_stmt *s = w.stmts[i];

		rc = index_stmt(db, s->vuln, s, err);
		for (size_t k = 0; k < s->n_aliases && rc == TX_OK; k++)
			if (strcmp(s->aliases[k], s->vuln) != 0)
				rc = index_stmt(db, s->aliases[k], s, err);
	}
	if (rc != TX_OK)
		goto out;
	if (tx_htab_put(&db->vex_docs, w.source, (void *)w.source, NULL) != TX_OK) {
		rc = nomem(err);
		goto out;
	}
	db->counts.vex += w.n;
	rc = supply_share_vex(db, doc, w.source, w.n, err);
out:
	free(w.stmts);
	return rc;
}

tx_err supply_share_vex(supply_db *db, const json_t *doc, const char *source,
		 size_t n, struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	char key[320], text[400];
	json_t *obj, *ext;
	const char *ts = json_string_value(json_object_get(doc, "timestamp"));

	if (db->emit == NULL)
		return TX_OK;
	if (ts == NULL)
		ts = json_string_value(json_object_get(json_object_get(doc,
						"metadata"), "timestamp"));
	snprintf(key, sizeof(key), "vex:%s", source);
	obj = supply_share_object("note", key, ts, ts, &db->emit_opts, "vex", &ext);
	if (obj == NULL)
		return supply_share_emit(db, jf, NULL, err);
	snprintf(text, sizeof(text), "VEX %s: %zu statements on the "
		 "applicability of vulnerabilities", source, n);
	json_object_set_new(obj, "abstract", json_string("trilex VEX document"));
	json_object_set_new(obj, "content", json_string(text));
	json_object_set_new(obj, "object_refs", json_pack("[s]", SUPPLY_EXT_ID));
	json_object_set_new(ext, "vex", json_deep_copy(doc));
	return supply_share_emit(db, jf, obj, err);
}
