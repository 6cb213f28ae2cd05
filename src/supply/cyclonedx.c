/*
 * supply/cyclonedx.c: the CycloneDX JSON reader (specVersion 1.2 - 1.6).
 *
 * Flattens a BOM into an array of components: the subject
 * (metadata.component) first, then every component depth-first, each with
 * its path in the BOM ("parent@1 > child@2"). Only the fields a check
 * needs are read; everything else (licences, services, vulnerabilities,
 * formulation, unknown fields) is left alone, not rejected. Fields that
 * are read must have the right shape, and the error names their JSON path.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supply/internal.h"

#define PATH_TEXT_MAX 2048

struct supply_bom {
	struct tx_arena arena;
	struct supply_component *comps;   /* owned (malloc) */
	size_t n, cap;
	const char *category;
	const char *title;
	const char *serial;               /* serialNumber, or NULL */
};

struct bctx {
	supply_bom *bom;
	const char *name;                 /* for messages */
	struct tx_error *err;
};

static tx_err bad(struct bctx *c, const char *path, const char *why)
{
	return tx_error_set(c->err, TX_ERR_INVALID, "%s: %s: %s", c->name, path,
			    why);
}

static tx_err nomem(struct bctx *c)
{
	return tx_error_set(c->err, TX_ERR_NOMEM, "%s: out of memory", c->name);
}

/* An optional string member, copied; wrong type or too long is an error. */
static tx_err opt_str(struct bctx *c, const json_t *obj, const char *key,
		      const char *path, const char **out)
{
	const json_t *v = json_object_get(obj, key);
	char sub[PATH_TEXT_MAX];

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return TX_OK;
	snprintf(sub, sizeof(sub), "%s.%s", path, key);
	if (!json_is_string(v))
		return bad(c, sub, "must be a string");
	if (json_string_length(v) > SUPPLY_STR_MAX)
		return bad(c, sub, "too long");
	if ((*out = tx_arena_strdup(&c->bom->arena, json_string_value(v))) == NULL)
		return nomem(c);
	return TX_OK;
}

/* An organisational entity (supplier, manufacturer): its name. Some tools
 * write a plain string; both are read. */
static tx_err org_name(struct bctx *c, const json_t *obj, const char *key,
		       const char *path, const char **out)
{
	const json_t *v = json_object_get(obj, key);
	char sub[PATH_TEXT_MAX];

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return TX_OK;
	if (json_is_string(v))
		return opt_str(c, obj, key, path, out);
	snprintf(sub, sizeof(sub), "%s.%s", path, key);
	if (!json_is_object(v))
		return bad(c, sub, "must be an organizational entity object");
	return opt_str(c, v, "name", sub, out);
}

static tx_err read_props(struct bctx *c, const json_t *obj, const char *path,
			 struct supply_component *sc)
{
	const json_t *props = json_object_get(obj, "properties"), *p;
	char sub[PATH_TEXT_MAX];
	size_t i;

	if (props == NULL)
		return TX_OK;
	snprintf(sub, sizeof(sub), "%s.properties", path);
	if (!json_is_array(props))
		return bad(c, sub, "must be a list");
	json_array_foreach(props, i, p) {
		const char *name, *value, **dst = NULL;
		tx_err rc;

		snprintf(sub, sizeof(sub), "%s.properties[%zu]", path, i);
		if (!json_is_object(p))
			return bad(c, sub, "must be an object");
		if (supply_jstr(p, "name", &name) != 0 || name == NULL)
			return bad(c, sub, "name: required string missing");
		if (strcmp(name, "trilex:part-number") == 0)
			dst = &sc->part_number;
		else if (strcmp(name, "trilex:lot") == 0)
			dst = &sc->lot;
		else if (strcmp(name, "trilex:date-code") == 0)
			dst = &sc->date_code;
		else if (strcmp(name, "trilex:category") == 0)
			dst = &sc->category;
		if (dst == NULL)
			continue;
		if ((rc = opt_str(c, p, "value", sub, &value)) != TX_OK)
			return rc;
		if (value == NULL)
			return bad(c, sub, "value: required for a trilex: property");
		*dst = value;
	}
	return TX_OK;
}

static tx_err read_hashes(struct bctx *c, const json_t *obj, const char *path,
			  struct supply_component *sc)
{
	const json_t *hashes = json_object_get(obj, "hashes"), *h;
	char sub[PATH_TEXT_MAX];
	size_t i;

	if (hashes == NULL)
		return TX_OK;
	snprintf(sub, sizeof(sub), "%s.hashes", path);
	if (!json_is_array(hashes))
		return bad(c, sub, "must be a list");
	json_array_foreach(hashes, i, h) {
		const char *content;
		char *low;

		snprintf(sub, sizeof(sub), "%s.hashes[%zu]", path, i);
		if (!json_is_object(h))
			return bad(c, sub, "must be an object");
		if (supply_jstr(h, "content", &content) != 0 || content == NULL)
			return bad(c, sub, "content: required string missing");
		if (strlen(content) > 256)
			return bad(c, sub, "content: too long");
		if (sc->n_hashes == SUPPLY_MAX_HASHES)
			continue;
		if ((low = tx_arena_strdup(&c->bom->arena, content)) == NULL)
			return nomem(c);
		for (char *q = low; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		sc->hashes[sc->n_hashes++] = low;
	}
	return TX_OK;
}

static tx_err push_comp(struct bctx *c, struct supply_component **out)
{
	supply_bom *b = c->bom;

	if (b->n == SUPPLY_MAX_COMPONENTS)
		return tx_error_set(c->err, TX_ERR_TOOBIG, "%s: more than %d "
				    "components", c->name, SUPPLY_MAX_COMPONENTS);
	if (tx_grow(&b->comps, &b->cap, b->n + 1, sizeof(*b->comps), 256) != TX_OK)
		return nomem(c);
	*out = &b->comps[b->n++];
	memset(*out, 0, sizeof(**out));
	return TX_OK;
}

/* Read one component object at JSON path `path` into a new slot. */
static tx_err read_component(struct bctx *c, const json_t *obj,
			     const char *path, const char *parent,
			     const char *category, size_t *slot)
{
	struct supply_component *sc = NULL;
	char text[PATH_TEXT_MAX];
	tx_err rc;

	if (!json_is_object(obj))
		return bad(c, path, "must be an object");
	if ((rc = push_comp(c, &sc)) != TX_OK)
		return rc;
	*slot = c->bom->n - 1;
	if ((rc = opt_str(c, obj, "type", path, &sc->type)) != TX_OK ||
	    (rc = opt_str(c, obj, "name", path, &sc->name)) != TX_OK ||
	    (rc = opt_str(c, obj, "group", path, &sc->group)) != TX_OK ||
	    (rc = opt_str(c, obj, "version", path, &sc->version)) != TX_OK ||
	    (rc = opt_str(c, obj, "purl", path, &sc->purl)) != TX_OK ||
	    (rc = opt_str(c, obj, "cpe", path, &sc->cpe)) != TX_OK ||
	    (rc = opt_str(c, obj, "bom-ref", path, &sc->bom_ref)) != TX_OK ||
	    (rc = opt_str(c, obj, "publisher", path, &sc->publisher)) != TX_OK ||
	    (rc = org_name(c, obj, "supplier", path, &sc->supplier)) != TX_OK ||
	    (rc = org_name(c, obj, "manufacturer", path, &sc->manufacturer)) ||
	    (rc = read_props(c, obj, path, sc)) != TX_OK ||
	    (rc = read_hashes(c, obj, path, sc)) != TX_OK)
		return rc;
	/* author: a string up to 1.5, a list of contacts in 1.6's authors */
	if (json_is_string(json_object_get(obj, "author")) &&
	    (rc = opt_str(c, obj, "author", path, &sc->author)) != TX_OK)
		return rc;
	if (sc->name == NULL) {
		snprintf(text, sizeof(text), "%s.name", path);
		return bad(c, text, "required string missing");
	}
	if (sc->type == NULL) {
		snprintf(text, sizeof(text), "%s.type", path);
		return bad(c, text, "required string missing");
	}
	if (sc->part_number == NULL)
		sc->part_number = sc->name;
	if (sc->category == NULL)
		sc->category = category;
	{
		/* without a version, a bom-ref tells same-named parts apart */
		const char *ref = json_string_value(json_object_get(obj, "bom-ref"));
		int show_ref = sc->version == NULL && ref != NULL &&
			       strcmp(ref, sc->name) != 0 && strlen(ref) < 256;

		snprintf(text, sizeof(text), "%s%s%s%s%s%s%s%s", parent ? parent : "",
			 parent ? " > " : "", sc->name, sc->version ? "@" : "",
			 sc->version ? sc->version : "", show_ref ? " (" : "",
			 show_ref ? ref : "", show_ref ? ")" : "");
	}
	if ((sc->path = tx_arena_strdup(&c->bom->arena, text)) == NULL)
		return nomem(c);
	return TX_OK;
}

static tx_err read_list(struct bctx *c, const json_t *arr, const char *path,
			const char *parent, const char *category, int depth)
{
	const json_t *e;
	char sub[PATH_TEXT_MAX];
	size_t i;
	tx_err rc;

	if (arr == NULL)
		return TX_OK;
	if (!json_is_array(arr))
		return bad(c, path, "must be a list");
	if (depth > SUPPLY_MAX_DEPTH)
		return bad(c, path, "components nested too deep");
	json_array_foreach(arr, i, e) {
		size_t slot;
		const char *cpath, *ccat;

		tx_strfmt(sub, sizeof(sub), "%s[%zu]", path, i);
		if ((rc = read_component(c, e, sub, parent, category, &slot)))
			return rc;
		/* the array may move: take what the children need first */
		cpath = c->bom->comps[slot].path;
		ccat = c->bom->comps[slot].category;
		tx_strfmt(sub, sizeof(sub), "%s[%zu].components", path, i);
		if ((rc = read_list(c, json_object_get(e, "components"), sub,
				    cpath, ccat, depth + 1)) != TX_OK)
			return rc;
	}
	return TX_OK;
}

tx_err supply_bom_from_json(const json_t *doc, const char *name,
			    supply_bom **out, struct tx_error *err)
{
	supply_bom *bom = calloc(1, sizeof(*bom));
	struct bctx c = { bom, name, err };
	const json_t *meta, *v;
	const char *fmt, *serial, *msupplier = NULL, *mmanu = NULL;
	char title[PATH_TEXT_MAX];
	tx_err rc = TX_OK;

	*out = NULL;
	if (bom == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	tx_arena_init(&bom->arena, 0, 0, (size_t)1 << 30);
	if (!json_is_object(doc)) {
		rc = bad(&c, "(top)", "a CycloneDX BOM must be a JSON object");
		goto out;
	}
	if (supply_jstr(doc, "bomFormat", &fmt) != 0 || fmt == NULL ||
	    strcmp(fmt, "CycloneDX") != 0) {
		rc = bad(&c, "bomFormat", "must be \"CycloneDX\"");
		goto out;
	}
	v = json_object_get(doc, "specVersion");
	if (v != NULL && (!json_is_string(v) ||
			  strncmp(json_string_value(v), "1.", 2) != 0)) {
		rc = bad(&c, "specVersion", "must be \"1.x\"");
		goto out;
	}
	meta = json_object_get(doc, "metadata");
	if (meta != NULL && !json_is_object(meta)) {
		rc = bad(&c, "metadata", "must be an object");
		goto out;
	}
	if (meta != NULL) {
		struct supply_component mprops = { 0 };

		if ((rc = read_props(&c, meta, "metadata", &mprops)) != TX_OK ||
		    (rc = org_name(&c, meta, "supplier", "metadata",
				   &msupplier)) != TX_OK ||
		    (rc = org_name(&c, meta, "manufacturer", "metadata",
				   &mmanu)) != TX_OK)
			goto out;
		if (mmanu == NULL &&
		    (rc = org_name(&c, meta, "manufacture", "metadata", &mmanu)))
			goto out;
		bom->category = mprops.category;
		v = json_object_get(meta, "component");
		if (v != NULL) {
			size_t slot;
			struct supply_component *sc;

			if ((rc = read_component(&c, v, "metadata.component", NULL,
						 bom->category, &slot)) != TX_OK)
				goto out;
			sc = &bom->comps[slot];
			if (sc->supplier == NULL)
				sc->supplier = msupplier;
			if (sc->manufacturer == NULL)
				sc->manufacturer = mmanu;
			snprintf(title, sizeof(title), "%s", sc->path);
			bom->title = tx_arena_strdup(&bom->arena, title);
			if ((rc = read_list(&c, json_object_get(v, "components"),
					    "metadata.component.components",
					    sc->path, sc->category, 1)) != TX_OK)
				goto out;
		}
	}
	if ((rc = read_list(&c, json_object_get(doc, "components"), "components",
			    NULL, bom->category, 0)) != TX_OK)
		goto out;
	if (supply_jstr(doc, "serialNumber", &serial) == 0 && serial != NULL &&
	    (bom->serial = tx_arena_strdup(&bom->arena, serial)) == NULL) {
		rc = nomem(&c);
		goto out;
	}
	if (bom->title == NULL) {
		if (supply_jstr(doc, "serialNumber", &serial) != 0 || serial == NULL)
			serial = name;
		bom->title = tx_arena_strdup(&bom->arena, serial);
		if (bom->title == NULL)
			rc = nomem(&c);
	}
out:
	if (rc != TX_OK) {
		supply_bom_free(bom);
		bom = NULL;
	}
	*out = bom;
	return rc;
}

tx_err supply_bom_parse(const char *data, size_t len, const char *name,
			supply_bom **out, struct tx_error *err)
{
	json_error_t jerr;
	json_t *doc;
	tx_err rc;

	*out = NULL;
	doc = tx_json_load(data, len, 0, &jerr);
	if (doc == NULL)
		return tx_error_set(err, TX_ERR_INVALID, "%s:%d:%d: %s", name,
				    jerr.line, jerr.column, jerr.text);
	rc = supply_bom_from_json(doc, name, out, err);
	json_decref(doc);
	return rc;
}

void supply_bom_free(supply_bom *bom)
{
	if (bom == NULL)
		return;
	free(bom->comps);
	tx_arena_free(&bom->arena);
	free(bom);
}

size_t supply_bom_count(const supply_bom *bom)
{
	return bom->n;
}

const struct supply_component *supply_bom_component(const supply_bom *bom,
						    size_t i)
{
	return i < bom->n ? &bom->comps[i] : NULL;
}

const char *supply_bom_category(const supply_bom *bom)
{
	return bom->category;
}

const char *supply_bom_serial(const supply_bom *bom)
{
	return bom->serial;
}

const char *supply_bom_title(const supply_bom *bom)
{
	return bom->title;
}
