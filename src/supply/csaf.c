/*
 * supply/csaf.c: the CSAF 2.0 reader (OASIS Common Security Advisory
 * Framework 2.0, sections 3.1.2 product tree, 3.2.3 vulnerabilities).
 *
 * One document becomes products and what its vulnerabilities say of
 * them:
 *
 *   product_tree.branches        walked to their leaves; the vendor,
 *                                product_name (or product_family),
 *                                product_version and
 *                                product_version_range branches above a
 *                                product are kept with it
 *   product_tree.full_product_names and relationships[].full_product_name
 *                                products too (a relationship's product
 *                                takes the identity of its
 *                                product_reference)
 *   product_identification_helper  cpe, purl, model_numbers,
 *                                serial_numbers (sbom_urls, hashes, skus
 *                                are checked for shape only)
 *   vulnerabilities[]            cve, product_status lists, scores
 *                                (cvss_v3 vector or base score, cvss_v2
 *                                base score) per product, remediations
 *
 * Products are indexed by model number, product name, CPE and purl
 * (db->csaf_keys) for check.c. A document is validated whole before any
 * of it is indexed, so a bad document leaves nothing behind. Errors name
 * the document and the JSON path of the bad field.
 *
 * Versions: CSAF names product versions in free text or in a range
 * (product_version_range: "vers:..." or a vls such as "<V8.1" or
 * ">=R400-V0|<R400-V2"). supply_csaf_version_cmp orders them as firmware
 * versions are written; whatever cannot be ordered is reported by the
 * checker as uncertain, with the reason, never dropped.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "federation/federation.h"
#include "supply/internal.h"

#define CSAF_MAX_PRODUCTS 100000  /* per document */
#define CSAF_REMEDIATION_MAX 300  /* bytes of remediation text kept */

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

int supply_csaf_is(const json_t *doc)
{
	return json_is_object(doc) &&
	       json_is_string(json_object_get(json_object_get(doc, "document"),
					      "csaf_version"));
}

/* ---- keys ---- */

int supply_csaf_key(char *out, size_t n, char kind, const char *value)
{
	char norm[512];

	if (value == NULL || n < 4)
		return -1;
	switch (kind) {
	case 'm':
		supply_part_normalise(value, norm, sizeof(norm));
		break;
	case 'n':
		supply_vendor_normalise(value, norm, sizeof(norm));
		break;
	case 'c': {
		/* cpe:2.3:part:vendor:product:version... or cpe:/part:vendor:product */
		const char *p = value;
		size_t skip, o = 0;
		int field = 0;

		if (strncasecmp(p, "cpe:2.3:", 8) == 0)
			skip = 8;
		else if (strncasecmp(p, "cpe:/", 5) == 0)
			skip = 5;
		else
			return -1;
		p += skip;
		/* keep part:vendor:product */
		for (; *p && o + 1 < sizeof(norm); p++) {
			if (*p == ':' && ++field == 3)
				break;
			norm[o++] = (char)tolower((unsigned char)*p);
		}
		norm[o] = '\0';
		if (field < 2)
			return -1;
		break;
	}
	case 'p': {
		/* pkg:type/ns/name without @version, ?qualifiers, #subpath */
		size_t len = strcspn(value, "?#"), o = 0;
		const char *at = NULL;

		const char *slash = strchr(value + 4, '/');

		/* pkg:type/name at the least */
		if (strncmp(value, "pkg:", 4) != 0 || slash == NULL ||
		    slash == value + 4 || slash[1] == '\0' || slash[1] == '@')
			return -1;
		for (size_t i = 0; i < len; i++) {
			if (value[i] == '/')
				at = NULL;
			else if (value[i] == '@')
				at = value + i;
		}
		if (at != NULL)
			len = (size_t)(at - value);
		for (size_t i = 0; i < len && o + 1 < sizeof(norm); i++)
			norm[o++] = (char)tolower((unsigned char)value[i]);
		norm[o] = '\0';
		break;
	}
	default:
		return -1;
	}
	if (norm[0] == '\0' || strlen(norm) + 3 > n)
		return -1;
	snprintf(out, n, "%c\n%s", kind, norm);
	return 0;
}

/* ---- versions ---- */

static int version_like(const char *s, size_t n)
{
	int digit = 0;

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isdigit(c))
			digit = 1;
		else if (!isalpha(c) && c != '.' && c != '_' && c != '-' && c != '+')
			return 0;
		/* "V33.017_V34.014": several versions written as one */
		if (i > 0 && c == '_' && i + 2 < n &&
		    (s[i + 1] == 'V' || s[i + 1] == 'v') &&
		    isdigit((unsigned char)s[i + 2]))
			return 0;
	}
	return digit;
}

static int is_sep(int c)
{
	return c == '.' || c == '_' || c == '-' || c == '+';
}

/* Compare [a, a+na) with [b, b+nb). */
static int cmp_n(const char *a, size_t na, const char *b, size_t nb, int *res)
{
	size_t i = 0, j = 0;

	*res = 0;
	if (!version_like(a, na) || !version_like(b, nb))
		return -1;
	if (na > 1 && (a[0] == 'v' || a[0] == 'V') && isdigit((unsigned char)a[1]))
		i = 1;
	if (nb > 1 && (b[0] == 'v' || b[0] == 'V') && isdigit((unsigned char)b[1]))
		j = 1;
	for (;;) {
		while (i < na && is_sep(a[i]))
			i++;
		while (j < nb && is_sep(b[j]))
			j++;
		if (i == na || j == nb) {
			/* what is left of the longer one: zeros only is equal */
			const char *r = i == na ? b : a;
			size_t k = i == na ? j : i, rn = i == na ? nb : na;
			int zeros = 1;

			for (; k < rn; k++)
				if (!is_sep(r[k]) && r[k] != '0')
					zeros = 0;
			if (i == na && j == nb)
				*res = 0;
			else
				*res = zeros ? 0 : (i == na ? -1 : 1);
			return 0;
		}
		int da = isdigit((unsigned char)a[i]), db = isdigit((unsigned char)b[j]);
		size_t si = i, sj = j;

		if (da != db)
			return -1; /* letters against digits: no order */
		if (da) {
			while (si < na && a[si] == '0' && si + 1 < na &&
			       isdigit((unsigned char)a[si + 1]))
				si++;
			while (sj < nb && b[sj] == '0' && sj + 1 < nb &&
			       isdigit((unsigned char)b[sj + 1]))
				sj++;
			i = si;
			j = sj;
			while (i < na && isdigit((unsigned char)a[i]))
				i++;
			while (j < nb && isdigit((unsigned char)b[j]))
				j++;
			if (i - si != j - sj) {
				*res = i - si < j - sj ? -1 : 1;
				return 0;
			}
			int c = memcmp(a + si, b + sj, i - si);
			if (c != 0) {
				*res = c < 0 ? -1 : 1;
				return 0;
			}
		} else {
			while (i < na && isalpha((unsigned char)a[i]))
				i++;
			while (j < nb && isalpha((unsigned char)b[j]))
				j++;
			size_t la = i - si, lb = j - sj;
			int c = strncasecmp(a + si, b + sj, la < lb ? la : lb);
			if (c == 0 && la != lb)
				c = la < lb ? -1 : 1;
			if (c != 0) {
				*res = c < 0 ? -1 : 1;
				return 0;
			}
		}
	}
}

int supply_csaf_version_cmp(const char *a, const char *b, int *res)
{
	return cmp_n(a, strlen(a), b, strlen(b), res);
}

static const char *trim(const char *s, const char *end, const char **out_end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*out_end = end;
	return s;
}

enum op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE };

static enum csaf_vmatch in_range(const char *r, const char *v,
				 const char **why)
{
	const char *end = r + strlen(r), *p;
	int lower = -1; /* pending lower bound result: -1 none, 0/1 */
	int any = 0, excluded = 0;

	if (strncmp(r, "vers:", 5) == 0) {
		const char *slash = strchr(r + 5, '/');
		if (slash == NULL) {
			*why = "the version range is not a vers range "
			       "(no scheme/)";
			return CSAF_V_UNSURE;
		}
		r = slash + 1;
	} else if (strncasecmp(r, "all versions", 12) == 0) {
		r += 12; /* "All versions < V5.20", as some vendors write */
	}
	r = trim(r, end, &end);
	if (r == end || (end - r == 1 && *r == '*'))
		return CSAF_V_YES;
	if (v == NULL || v[0] == '\0') {
		*why = "the component has no version and the advisory names a "
		       "range";
		return CSAF_V_UNSURE;
	}
	for (p = r; p < end;) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		const char *ce = bar ? bar : end, *ve;
		enum op op;
		int c;

		p = trim(p, ce, &ce);
		if (ce - p >= 2 && p[0] == '<' && p[1] == '=')
			op = OP_LE, p += 2;
		else if (ce - p >= 2 && p[0] == '>' && p[1] == '=')
			op = OP_GE, p += 2;
		else if (ce - p >= 2 && p[0] == '!' && p[1] == '=')
			op = OP_NE, p += 2;
		else if (p < ce && p[0] == '<')
			op = OP_LT, p++;
		else if (p < ce && p[0] == '>')
			op = OP_GT, p++;
		else if (p < ce && p[0] == '=')
			op = OP_EQ, p++;
		else
			op = OP_EQ;
		p = trim(p, ce, &ve);
		if (cmp_n(v, strlen(v), p, (size_t)(ve - p), &c) != 0) {
			*why = version_like(p, (size_t)(ve - p)) ?
			       "the component's version cannot be ordered against "
			       "the advisory's range" :
			       "the advisory's version range is not machine-readable";
			return CSAF_V_UNSURE;
		}
		switch (op) {
		case OP_LT:
		case OP_LE:
			if ((op == OP_LT ? c < 0 : c <= 0) && lower != 0)
				any = 1;
			lower = -1;
			break;
		case OP_GT:
		case OP_GE:
			if (lower == 1)
				any = 1; /* a lone lower bound before this one */
			lower = op == OP_GT ? c > 0 : c >= 0;
			break;
		case OP_EQ:
			if (lower == 1)
				any = 1;
			lower = -1;
			if (c == 0)
				any = 1;
			break;
		case OP_NE:
			if (c == 0)
				excluded = 1;
			break;
		}
		p = bar ? bar + 1 : end;
	}
	if (lower == 1)
		any = 1;
	return any && !excluded ? CSAF_V_YES : CSAF_V_NO;
}

enum csaf_vmatch supply_csaf_version_in(const struct csaf_product *p, const char *v,
				 const char **why)
{
	int c;

	*why = NULL;
	if (p->range != NULL)
		return in_range(p->range, v, why);
	if (p->version == NULL)
		return CSAF_V_YES; /* the product, all its versions */
	if (v == NULL || v[0] == '\0') {
		*why = "the component has no version and the advisory names one";
		return CSAF_V_UNSURE;
	}
	if (strcasecmp(p->version, v) == 0)
		return CSAF_V_YES;
	if (supply_csaf_version_cmp(p->version, v, &c) != 0) {
		*why = "the advisory's version and the component's cannot be "
		       "compared";
		return CSAF_V_UNSURE;
	}
	return c == 0 ? CSAF_V_YES : CSAF_V_NO;
}

/* ---- the reader ---- */

struct walk {
	supply_db *db;
	const char *name;       /* for messages */
	const char *doc_id;     /* arena */
	struct tx_htab ids;        /* product_id -> csaf_product (this doc) */
	struct csaf_product **prods; /* owned array, in tree order */
	size_t n, cap;
	struct tx_error *err;
};

/* branch context: borrowed strings of the document */
struct bctx {
	const char *vendor, *name, *version, *range;
};

static tx_err wstr(struct walk *w, const json_t *obj, const char *key,
		   const char *path, int required, const char **out)
{
	char sub[512];

	snprintf(sub, sizeof(sub), "%s.%s", path, key);
	if (supply_jstr(obj, key, out) != 0)
		return bad(w->err, w->name, sub, "must be a string");
	if (*out == NULL && required)
		return bad(w->err, w->name, sub, "required string missing");
	if (*out != NULL && (strlen(*out) > SUPPLY_STR_MAX ||
			     (required && (*out)[0] == '\0')))
		return bad(w->err, w->name, sub, "empty or too long");
	return TX_OK;
}

/* A list of strings into the arena (NULL when absent). */
static tx_err wlist(struct walk *w, const json_t *obj, const char *key,
		    const char *path, const char ***out, size_t *n)
{
	const json_t *arr = json_object_get(obj, key), *v;
	char sub[512];
	size_t i;

	*out = NULL;
	*n = 0;
	if (arr == NULL)
		return TX_OK;
	snprintf(sub, sizeof(sub), "%s.%s", path, key);
	if (!json_is_array(arr))
		return bad(w->err, w->name, sub, "must be a list of strings");
	if (json_array_size(arr) > SUPPLY_MAX_LIST)
		return bad(w->err, w->name, sub, "too many entries");
	if (json_array_size(arr) == 0)
		return TX_OK;
	*out = tx_arena_alloc(&w->db->arena, json_array_size(arr) * sizeof(char *));
	if (*out == NULL)
		return nomem(w->err);
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || json_string_length(v) > SUPPLY_STR_MAX) {
			snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, key, i);
			return bad(w->err, w->name, sub, "must be a string "
				   "(of at most 4096 bytes)");
		}
		if (((*out)[i] = tx_arena_strdup(&w->db->arena,
					      json_string_value(v))) == NULL)
			return nomem(w->err);
	}
	*n = json_array_size(arr);
	return TX_OK;
}

static tx_err push(struct walk *w, struct csaf_product *p)
{
	if (w->n == CSAF_MAX_PRODUCTS)
		return tx_error_set(w->err, TX_ERR_TOOBIG, "%s: product_tree: more "
				    "than %d products", w->name, CSAF_MAX_PRODUCTS);
	if (tx_grow(&w->prods, &w->cap, w->n + 1, sizeof(*w->prods), 32) != TX_OK)
		return nomem(w->err);
	w->prods[w->n++] = p;
	return TX_OK;
}

/* product (full_product_name_t) at path, named under ctx. */
static tx_err product(struct walk *w, const json_t *o, const char *path,
		      const struct bctx *ctx, struct csaf_product **out)
{
	struct tx_arena *a = &w->db->arena;
	struct csaf_product *p;
	const json_t *h;
	const char *pid, *name, *cpe = NULL, *purl = NULL;
	char sub[512], key[600];
	tx_err rc;

	if (out)
		*out = NULL;
	if (!json_is_object(o))
		return bad(w->err, w->name, path, "must be an object");
	if ((rc = wstr(w, o, "product_id", path, 1, &pid)) != TX_OK ||
	    (rc = wstr(w, o, "name", path, 1, &name)) != TX_OK)
		return rc;
	if ((p = tx_arena_alloc(a, sizeof(*p))) == NULL)
		return nomem(w->err);
	h = json_object_get(o, "product_identification_helper");
	snprintf(sub, sizeof(sub), "%s.product_identification_helper", path);
	if (h != NULL) {
		const char **skip;
		size_t n_skip;

		if (!json_is_object(h))
			return bad(w->err, w->name, sub, "must be an object");
		if ((rc = wstr(w, h, "cpe", sub, 0, &cpe)) != TX_OK ||
		    (rc = wstr(w, h, "purl", sub, 0, &purl)) != TX_OK ||
		    (rc = wlist(w, h, "model_numbers", sub, &p->models,
				&p->n_models)) != TX_OK ||
		    (rc = wlist(w, h, "serial_numbers", sub, &p->serials,
				&p->n_serials)) != TX_OK ||
		    (rc = wlist(w, h, "sbom_urls", sub, &skip, &n_skip)) != TX_OK ||
		    (rc = wlist(w, h, "skus", sub, &skip, &n_skip)) != TX_OK)
			return rc;
		if (cpe != NULL && supply_csaf_key(key, sizeof(key), 'c', cpe) != 0) {
			snprintf(sub, sizeof(sub), "%s.product_identification_helper"
				 ".cpe", path);
			return bad(w->err, w->name, sub, "not a CPE 2.2 or 2.3 name");
		}
		if (purl != NULL && supply_csaf_key(key, sizeof(key), 'p', purl) != 0) {
			snprintf(sub, sizeof(sub), "%s.product_identification_helper"
				 ".purl", path);
			return bad(w->err, w->name, sub, "not a package URL");
		}
	}
	p->doc_id = w->doc_id;
	if ((p->product_id = tx_arena_strdup(a, pid)) == NULL ||
	    (p->full_name = tx_arena_strdup(a, name)) == NULL)
		return nomem(w->err);
	if ((ctx->vendor && (p->vendor = tx_arena_strdup(a, ctx->vendor)) == NULL) ||
	    (ctx->name && (p->name = tx_arena_strdup(a, ctx->name)) == NULL) ||
	    (ctx->version && (p->version = tx_arena_strdup(a, ctx->version)) == NULL) ||
	    (ctx->range && (p->range = tx_arena_strdup(a, ctx->range)) == NULL) ||
	    (cpe && (p->cpe = tx_arena_strdup(a, cpe)) == NULL) ||
	    (purl && (p->purl = tx_arena_strdup(a, purl)) == NULL))
		return nomem(w->err);
	if (p->vendor != NULL) {
		char norm[512];

		supply_vendor_normalise(p->vendor, norm, sizeof(norm));
		if ((p->vendor_key = tx_arena_strdup(a, norm)) == NULL)
			return nomem(w->err);
	}
	if (tx_htab_get(&w->ids, p->product_id) != NULL) {
		snprintf(sub, sizeof(sub), "%s.product_id", path);
		return bad(w->err, w->name, sub, "defined twice in the product tree");
	}
	if (tx_htab_put(&w->ids, p->product_id, p, NULL) != TX_OK)
		return nomem(w->err);
	if (out)
		*out = p;
	return push(w, p);
}

static tx_err branch(struct walk *w, const json_t *b, const char *path,
		     struct bctx ctx, int depth)
{
	const char *cat, *name;
	const json_t *sub, *v;
	char spath[512];
	size_t i;
	tx_err rc;

	if (depth > SUPPLY_MAX_DEPTH)
		return bad(w->err, w->name, path, "branches nested too deep");
	if (!json_is_object(b))
		return bad(w->err, w->name, path, "must be an object");
	if ((rc = wstr(w, b, "category", path, 1, &cat)) != TX_OK ||
	    (rc = wstr(w, b, "name", path, 1, &name)) != TX_OK)
		return rc;
	if (strcmp(cat, "vendor") == 0)
		ctx.vendor = name;
	else if (strcmp(cat, "product_name") == 0)
		ctx.name = name;
	else if (strcmp(cat, "product_family") == 0 && ctx.name == NULL)
		ctx.name = name;
	else if (strcmp(cat, "product_version") == 0)
		ctx.version = name;
	else if (strcmp(cat, "product_version_range") == 0)
		ctx.range = name;
	/* architecture, host_name, language, legacy, patch_level,
	 * service_pack, specification: not used for matching */
	if ((v = json_object_get(b, "product")) != NULL) {
		snprintf(spath, sizeof(spath), "%s.product", path);
		if ((rc = product(w, v, spath, &ctx, NULL)) != TX_OK)
			return rc;
	}
	sub = json_object_get(b, "branches");
	if (sub == NULL)
		return TX_OK;
	snprintf(spath, sizeof(spath), "%s.branches", path);
	if (!json_is_array(sub))
		return bad(w->err, w->name, spath, "must be a list");
	json_array_foreach(sub, i, v) {
		snprintf(spath, sizeof(spath), "%s.branches[%zu]", path, i);
		if ((rc = branch(w, v, spath, ctx, depth + 1)) != TX_OK)
			return rc;
	}
	return TX_OK;
}

static tx_err tree(struct walk *w, const json_t *t)
{
	const json_t *arr, *v;
	char path[512];
	size_t i;
	tx_err rc;

	if (t == NULL)
		return TX_OK;
	if (!json_is_object(t))
		return bad(w->err, w->name, "product_tree", "must be an object");
	arr = json_object_get(t, "branches");
	if (arr != NULL && !json_is_array(arr))
		return bad(w->err, w->name, "product_tree.branches", "must be a list");
	json_array_foreach(arr, i, v) {
		struct bctx ctx = { 0 };

		snprintf(path, sizeof(path), "product_tree.branches[%zu]", i);
		if ((rc = branch(w, v, path, ctx, 0)) != TX_OK)
			return rc;
	}
	arr = json_object_get(t, "full_product_names");
	if (arr != NULL && !json_is_array(arr))
		return bad(w->err, w->name, "product_tree.full_product_names",
			   "must be a list");
	json_array_foreach(arr, i, v) {
		struct bctx ctx = { 0 };

		snprintf(path, sizeof(path), "product_tree.full_product_names[%zu]",
			 i);
		if ((rc = product(w, v, path, &ctx, NULL)) != TX_OK)
			return rc;
	}
	arr = json_object_get(t, "relationships");
	if (arr != NULL && !json_is_array(arr))
		return bad(w->err, w->name, "product_tree.relationships",
			   "must be a list");
	json_array_foreach(arr, i, v) {
		struct bctx ctx = { 0 };
		struct csaf_product *ref, *p;
		const char *cat, *pref, *rel;
		char sub[512];

		snprintf(path, sizeof(path), "product_tree.relationships[%zu]", i);
		if (!json_is_object(v))
			return bad(w->err, w->name, path, "must be an object");
		if ((rc = wstr(w, v, "category", path, 1, &cat)) != TX_OK ||
		    (rc = wstr(w, v, "product_reference", path, 1, &pref)) != TX_OK ||
		    (rc = wstr(w, v, "relates_to_product_reference", path, 1,
				&rel)) != TX_OK)
			return rc;
		if ((ref = tx_htab_get(&w->ids, pref)) == NULL) {
			tx_strfmt(sub, sizeof(sub), "%s.product_reference", path);
			return bad(w->err, w->name, sub, "not a product id of the "
				   "product tree");
		}
		if (tx_htab_get(&w->ids, rel) == NULL) {
			tx_strfmt(sub, sizeof(sub), "%s.relates_to_product_reference",
				 path);
			return bad(w->err, w->name, sub, "not a product id of the "
				   "product tree");
		}
		/* the component (product_reference) is what a BOM would list */
		ctx.vendor = ref->vendor;
		ctx.name = ref->name;
		ctx.version = ref->version;
		ctx.range = ref->range;
		tx_strfmt(sub, sizeof(sub), "%s.full_product_name", path);
		if ((rc = product(w, json_object_get(v, "full_product_name"), sub,
				  &ctx, &p)) != TX_OK)
			return rc;
		if (p->cpe == NULL)
			p->cpe = ref->cpe;
		if (p->purl == NULL)
			p->purl = ref->purl;
		if (p->n_models == 0) {
			p->models = ref->models;
			p->n_models = ref->n_models;
		}
	}
	return TX_OK;
}

static enum supply_severity sev_of_score(double s)
{
	if (s >= 9.0)
		return SUPPLY_SEV_CRITICAL;
	if (s >= 7.0)
		return SUPPLY_SEV_HIGH;
	if (s >= 4.0)
		return SUPPLY_SEV_MEDIUM;
	if (s > 0.0)
		return SUPPLY_SEV_LOW;
	return SUPPLY_SEV_UNKNOWN;
}

/* The severity of one score entry; UNKNOWN when it has none. */
static enum supply_severity score_sev(const json_t *s)
{
	const json_t *c3 = json_object_get(s, "cvss_v3");
	const json_t *c2 = json_object_get(s, "cvss_v2");
	const char *vec = json_string_value(json_object_get(c3, "vectorString"));
	int s10 = supply_cvss3_score10(vec);

	if (s10 >= 0)
		return sev_of_score(s10 / 10.0);
	if (json_is_number(json_object_get(c3, "baseScore")))
		return sev_of_score(json_number_value(json_object_get(c3,
								    "baseScore")));
	if (json_is_number(json_object_get(c2, "baseScore")))
		return sev_of_score(json_number_value(json_object_get(c2,
								    "baseScore")));
	return SUPPLY_SEV_UNKNOWN;
}

static const struct {
	const char *key;
	enum csaf_status status;
} status_lists[] = {
	{ "known_affected", CSAF_AFFECTED },
	{ "first_affected", CSAF_AFFECTED },
	{ "last_affected", CSAF_AFFECTED },
	{ "under_investigation", CSAF_INVESTIGATING },
	{ "fixed", CSAF_FIXED },
	{ "first_fixed", CSAF_FIXED },
	{ "known_not_affected", CSAF_NOT_AFFECTED },
	{ "recommended", CSAF_RECOMMENDED },
};

/* Check the shape of vulnerabilities[i] (no product id left undefined). */
static tx_err vuln_check(struct walk *w, const json_t *v, const char *path)
{
	const json_t *ps, *arr, *e;
	char sub[512];
	const char *cve;
	size_t i;
	tx_err rc;

	if (!json_is_object(v))
		return bad(w->err, w->name, path, "must be an object");
	if ((rc = wstr(w, v, "cve", path, 0, &cve)) != TX_OK)
		return rc;
	if (cve != NULL && (strncmp(cve, "CVE-", 4) != 0 || strlen(cve) > 64)) {
		snprintf(sub, sizeof(sub), "%s.cve", path);
		return bad(w->err, w->name, sub, "not a CVE id");
	}
	ps = json_object_get(v, "product_status");
	if (ps != NULL && !json_is_object(ps)) {
		snprintf(sub, sizeof(sub), "%s.product_status", path);
		return bad(w->err, w->name, sub, "must be an object");
	}
	for (size_t k = 0; ps && k < sizeof(status_lists) / sizeof(status_lists[0]);
	     k++) {
		arr = json_object_get(ps, status_lists[k].key);
		if (arr == NULL)
			continue;
		snprintf(sub, sizeof(sub), "%s.product_status.%s", path,
			 status_lists[k].key);
		if (!json_is_array(arr))
			return bad(w->err, w->name, sub, "must be a list of product "
				   "ids");
		json_array_foreach(arr, i, e) {
			snprintf(sub, sizeof(sub), "%s.product_status.%s[%zu]", path,
				 status_lists[k].key, i);
			if (!json_is_string(e))
				return bad(w->err, w->name, sub, "must be a string");
			if (tx_htab_get(&w->ids, json_string_value(e)) == NULL)
				return tx_error_set(w->err, TX_ERR_INVALID, "%s: %s: "
						    "product id \"%.64s\" is not "
						    "defined in the product tree",
						    w->name, sub,
						    json_string_value(e));
		}
	}
	static const char *const lists[] = { "scores", "remediations" };
	for (int k = 0; k < 2; k++) {
		arr = json_object_get(v, lists[k]);
		if (arr == NULL)
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", path, lists[k]);
		if (!json_is_array(arr))
			return bad(w->err, w->name, sub, "must be a list");
		json_array_foreach(arr, i, e) {
			const json_t *ids = json_object_get(e, k == 0 ? "products" :
							    "product_ids");

			snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, lists[k], i);
			if (!json_is_object(e))
				return bad(w->err, w->name, sub, "must be an object");
			if (ids != NULL && !json_is_array(ids)) {
				snprintf(sub, sizeof(sub), "%s.%s[%zu].%s", path,
					 lists[k], i, k == 0 ? "products" :
					 "product_ids");
				return bad(w->err, w->name, sub, "must be a list");
			}
			if (k == 1) {
				const char *cat, *details;
				if ((rc = wstr(w, e, "category", sub, 1, &cat)) != TX_OK ||
				    (rc = wstr(w, e, "details", sub, 0, &details)) !=
				    TX_OK)
					return rc;
			}
		}
	}
	return TX_OK;
}

/* The product named by id e, its per-vulnerability fields reset when this
 * vulnerability (stamp) first meets it; NULL for an unknown id. */
static struct csaf_product *stamped(struct walk *w, const json_t *e,
				    size_t stamp)
{
	struct csaf_product *p = tx_htab_get(&w->ids, json_string_value(e) ?
					  json_string_value(e) : "");

	if (p != NULL && p->v_stamp != stamp) {
		p->v_stamp = stamp;
		p->v_scored = 0;
		p->v_sev = SUPPLY_SEV_UNKNOWN;
		p->v_rem = NULL;
	}
	return p;
}

/*
 * Record what vulnerability v (the stamp-th of the document) says of its
 * products. Scores and remediations are spread over their products first
 * (p->v_*, valid while p->v_stamp is this vulnerability's), so the work
 * is linear in the lists, whatever the document's shape.
 */
static tx_err vuln_hits(struct walk *w, const json_t *v, size_t stamp)
{
	struct tx_arena *a = &w->db->arena;
	const char *cve = json_string_value(json_object_get(v, "cve"));
	const json_t *ps = json_object_get(v, "product_status");
	const json_t *scores = json_object_get(v, "scores");
	const json_t *rems = json_object_get(v, "remediations");
	const char *acve = cve ? tx_arena_strdup(a, cve) : NULL;
	enum supply_severity any = SUPPLY_SEV_UNKNOWN;
	const json_t *s, *arr, *e, *r;
	size_t i, j;

	if (cve != NULL && acve == NULL)
		return nomem(w->err);
	json_array_foreach(scores, i, s) {
		enum supply_severity x = score_sev(s);

		if (x > any)
			any = x;
		json_array_foreach(json_object_get(s, "products"), j, e) {
			struct csaf_product *p = stamped(w, e, stamp);
			if (p == NULL)
				continue;
			p->v_scored = 1;
			if (x > p->v_sev)
				p->v_sev = x;
		}
	}
	/* the vendor's fix first, else the first remediation */
	json_array_foreach(rems, i, r) {
		const char *cat = json_string_value(json_object_get(r, "category"));

		json_array_foreach(json_object_get(r, "product_ids"), j, e) {
			struct csaf_product *p = stamped(w, e, stamp);
			if (p == NULL)
				continue;
			if (p->v_rem == NULL ||
			    (cat && strcmp(cat, "vendor_fix") == 0 &&
			     strcmp(json_string_value(json_object_get(p->v_rem,
					"category")), "vendor_fix") != 0))
				p->v_rem = r;
		}
	}
	for (size_t k = 0; ps && k < sizeof(status_lists) / sizeof(status_lists[0]);
	     k++) {
		arr = json_object_get(ps, status_lists[k].key);
		json_array_foreach(arr, i, e) {
			struct csaf_product *p = tx_htab_get(&w->ids,
							  json_string_value(e));
			int mine;
			struct csaf_hit *h;

			if (p == NULL)
				continue; /* vuln_check said no */
			mine = p->v_stamp == stamp;
			if ((h = tx_arena_alloc(a, sizeof(*h))) == NULL)
				return nomem(w->err);
			h->sev = mine && p->v_scored ? p->v_sev : any;
			h->doc_id = w->doc_id;
			h->cve = acve;
			h->status = status_lists[k].status;
			if (mine && p->v_rem != NULL) {
				char text[CSAF_REMEDIATION_MAX];
				const char *d = json_string_value(json_object_get(
					p->v_rem, "details"));

				snprintf(text, sizeof(text), "%s: %s",
					 json_string_value(json_object_get(p->v_rem,
									   "category")),
					 d ? d : "");
				if ((h->remediation = tx_arena_strdup(a, text)) == NULL)
					return nomem(w->err);
			}
			h->next = p->hits;
			p->hits = h;
		}
	}
	return TX_OK;
}

static tx_err index_key(supply_db *db, char kind, const char *value,
			struct csaf_product *p, struct tx_error *err)
{
	char key[600], *k;
	struct csaf_ref *r, *old;

	if (supply_csaf_key(key, sizeof(key), kind, value) != 0)
		return TX_OK; /* nothing to index by */
	old = tx_htab_get(&db->csaf_keys, key);
	for (struct csaf_ref *o = old; o != NULL; o = o->next)
		if (o->p == p)
			return TX_OK;
	if ((r = tx_arena_alloc(&db->arena, sizeof(*r))) == NULL)
		return nomem(err);
	r->p = p;
	r->next = old;
	/* an existing entry keeps its key; a new one needs a lasting copy */
	if (old == NULL && (k = tx_arena_strdup(&db->arena, key)) == NULL)
		return nomem(err);
	if (tx_htab_put(&db->csaf_keys, old ? key : k, r, NULL) != TX_OK)
		return nomem(err);
	return TX_OK;
}

/* ---- sharing ---- */

/* The marking a CSAF document's TLP label asks for (CSAF 2.0 writes TLP
 * 1.0 labels: WHITE, GREEN, AMBER, RED), or -1. The STIX 1.0 ids are the
 * ones `advisory import --tlp` uses; AMBER+STRICT has only a 2.0 one. */
static int doc_tlp(const char *label, const char **id)
{
	static const struct {
		const char *label;
		enum fed_tlp tlp;
		const char *v1;
	} labels[] = {
		{ "WHITE", FED_TLP_CLEAR,
		  "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" },
		{ "CLEAR", FED_TLP_CLEAR,
		  "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" },
		{ "GREEN", FED_TLP_GREEN,
		  "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" },
		{ "AMBER", FED_TLP_AMBER,
		  "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" },
		{ "AMBER+STRICT", FED_TLP_AMBER_STRICT, NULL },
		{ "RED", FED_TLP_RED,
		  "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" },
	};

	for (size_t i = 0; label && i < sizeof(labels) / sizeof(labels[0]); i++) {
		if (strcasecmp(labels[i].label, label) == 0) {
			*id = labels[i].v1 ? labels[i].v1 :
			      fed_tlp_marking(labels[i].tlp);
			return (int)labels[i].tlp;
		}
	}
	return -1;
}

/* The TLP level of a marking-definition id; -1 for none or another. */
static int ref_tlp(const char *ref)
{
	json_t *o;
	enum fed_tlp t;

	if (ref == NULL || (o = json_pack("{s:[s]}", "object_marking_refs",
					   ref)) == NULL)
		return -1;
	t = fed_tlp_of(o);
	json_decref(o);
	return t == FED_TLP_UNMARKED ? -1 : (int)t;
}

tx_err supply_share_csaf(supply_db *db, const json_t *doc, const char *doc_id,
		  struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	const json_t *d = json_object_get(doc, "document");
	const json_t *tr = json_object_get(d, "tracking"), *v;
	const char *label = json_string_value(json_object_get(json_object_get(
		json_object_get(d, "distribution"), "tlp"), "label"));
	struct supply_stix_opts o = db->emit_opts;
	const char *want_id = NULL;
	char key[300];
	json_t *obj, *ext, *refs;
	size_t i;
	int want;

	if (db->emit == NULL)
		return TX_OK;
	/* never share a document under a marking less strict than its own */
	want = doc_tlp(label, &want_id);
	if (want > ref_tlp(o.marking_ref) &&
	    (o.marking_ref != NULL || want > FED_TLP_CLEAR))
		o.marking_ref = want_id;
	snprintf(key, sizeof(key), "csaf:%s", doc_id);
	obj = supply_share_object("vulnerability", key,
			   json_string_value(json_object_get(tr,
							     "initial_release_date")),
			   json_string_value(json_object_get(tr,
							     "current_release_date")),
			   &o, "csaf", &ext);
	if (obj == NULL)
		return supply_share_emit(db, jf, NULL, err);
	json_object_set_new(obj, "name", json_string(doc_id));
	json_object_set_new(obj, "description", json_string(json_string_value(
		json_object_get(d, "title"))));
	refs = json_pack("[{s:s, s:s}]", "source_name", "csaf", "external_id",
			 doc_id);
	json_array_foreach(json_object_get(doc, "vulnerabilities"), i, v) {
		const char *cve = json_string_value(json_object_get(v, "cve"));
		if (refs != NULL && cve != NULL)
			json_array_append_new(refs, json_pack("{s:s, s:s}",
				"source_name", "cve", "external_id", cve));
	}
	json_object_set_new(obj, "external_references", refs);
	json_object_set_new(ext, "csaf", json_deep_copy(doc));
	return supply_share_emit(db, jf, obj, err);
}

tx_err supply_csaf_load(supply_db *db, const json_t *doc, const char *name,
		 struct tx_error *err)
{
	struct walk w = { 0 };
	const json_t *d = json_object_get(doc, "document"), *vulns, *v;
	const char *ver, *id, *title;
	const json_t *tracking;
	char path[64];
	size_t i;
	tx_err rc = TX_OK;

	w.db = db;
	w.name = name;
	w.err = err;
	if (!json_is_object(d)) {
		rc = bad(err, name, "document", "required object missing");
		goto out;
	}
	if ((rc = wstr(&w, d, "csaf_version", "document", 1, &ver)) != TX_OK ||
	    (rc = wstr(&w, d, "title", "document", 1, &title)) != TX_OK)
		goto out;
	if (strcmp(ver, "2.0") != 0) {
		rc = bad(err, name, "document.csaf_version", "only CSAF 2.0 is read");
		goto out;
	}
	tracking = json_object_get(d, "tracking");
	if (!json_is_object(tracking)) {
		rc = bad(err, name, "document.tracking", "required object missing");
		goto out;
	}
	if ((rc = wstr(&w, tracking, "id", "document.tracking", 1, &id)) != TX_OK)
		goto out;
	if (strlen(id) > 256) {
		rc = bad(err, name, "document.tracking.id", "too long");
		goto out;
	}
	if (tx_htab_get(&db->csaf_docs, id) != NULL)
		goto out; /* already loaded: the first copy wins */
	if ((w.doc_id = tx_arena_strdup(&db->arena, id)) == NULL) {
		rc = nomem(err);
		goto out;
	}
	if ((rc = tree(&w, json_object_get(doc, "product_tree"))) != TX_OK)
		goto out;
	vulns = json_object_get(doc, "vulnerabilities");
	if (vulns != NULL && !json_is_array(vulns)) {
		rc = bad(err, name, "vulnerabilities", "must be a list");
		goto out;
	}
	json_array_foreach(vulns, i, v) {
		snprintf(path, sizeof(path), "vulnerabilities[%zu]", i);
		if ((rc = vuln_check(&w, v, path)) != TX_OK)
			goto out;
	}
	/* valid: now it may touch the indexes */
	json_array_foreach(vulns, i, v)
		if ((rc = vuln_hits(&w, v, i + 1)) != TX_OK)
			goto out;
	for (i = 0; i < w.n; i++) {
		struct csaf_product *p = w.prods[i];

		for (size_t k = 0; k < p->n_models && rc == TX_OK; k++)
			rc = index_key(db, 'm', p->models[k], p, err);
		if (rc == TX_OK)
			rc = index_key(db, 'n', p->name ? p->name : p->full_name, p,
				       err);
		if (rc == TX_OK && p->cpe)
			rc = index_key(db, 'c', p->cpe, p, err);
		if (rc == TX_OK && p->purl)
			rc = index_key(db, 'p', p->purl, p, err);
		if (rc != TX_OK)
			goto out;
	}
	if (tx_htab_put(&db->csaf_docs, w.doc_id, (void *)w.doc_id, NULL) != TX_OK) {
		rc = nomem(err);
		goto out;
	}
	db->counts.csaf++;
	db->counts.csaf_products += w.n;
	rc = supply_share_csaf(db, doc, w.doc_id, err);
out:
	tx_htab_free(&w.ids);
	free(w.prods);
	return rc;
}
