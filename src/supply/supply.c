/*
 * supply/supply.c: the advisory database and how documents get into it.
 *
 * Design
 *   A supply_db holds every advisory source in one arena (strings and
 *   small structs, freed at once, with a memory cap) and a few hash tables
 *   built as entries arrive, so there is no separate indexing pass:
 *
 *     advisories   OSV id -> advisory (first one wins: files before store)
 *     packages     "<ecosystem>\n<package>" -> chain of affected entries
 *     vendors      normalised organisation name (names, aliases,
 *                  subsidiaries) -> watch-list entry
 *     parts_pn     normalised part number -> counterfeit/suspect entries
 *     parts_hash   hash -> entries
 *     kev          CVE id -> KEV entry
 *
 *   and the priority list (categories with tiers), built in until a list
 *   is loaded. Checking a BOM (check.c) is then a handful of hash look-ups
 *   per component and a version comparison per range event.
 *
 *   Documents come from files, folders, .tar.gz archives (tar.c) or STIX
 *   objects (share.c); their kind is told by their shape (load_doc). When
 *   emitting, every loaded entry is also turned into a STIX object for
 *   `trilex advisory import`.
 *
 * Invariants
 *   The database is only read after loading; a const supply_db can be
 *   checked against from several threads. Nothing prints.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "supply/internal.h"

/* ---- small helpers ---- */

int supply_jstr(const json_t *obj, const char *key, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

static const char *eco_key_name(enum supply_eco eco)
{
	switch (eco) {
	case SUPPLY_ECO_NPM: return "npm";
	case SUPPLY_ECO_GO: return "go";
	case SUPPLY_ECO_PYPI: return "pypi";
	case SUPPLY_ECO_MAVEN: return "maven";
	case SUPPLY_ECO_DEBIAN: return "debian";
	default: return NULL;
	}
}

int supply_pkg_key_buf(char *out, size_t n, enum supply_eco eco,
		const char *ecosystem, const char *name)
{
	const char *e = eco_key_name(eco);
	size_t o = 0, en;

	if (e == NULL) {
		e = ecosystem ? ecosystem : "";
		en = strcspn(e, ":");
	} else {
		en = strlen(e);
	}
	if (en + 1 >= n)
		return -1;
	for (size_t i = 0; i < en; i++) {
		char c = e[i];
		out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[o++] = '\n';
	for (const char *p = name; *p; p++) {
		char c = *p;

		if (o + 1 >= n)
			return -1;
		if (eco == SUPPLY_ECO_PYPI) {
			/* PEP 503: runs of - _ . are one -, case-insensitive */
			if (c == '_' || c == '.' || c == '-') {
				if (o > 0 && out[o - 1] == '-')
					continue;
				c = '-';
			}
			if (c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
		} else if (eco == SUPPLY_ECO_NPM || eco == SUPPLY_ECO_MAVEN ||
			   eco == SUPPLY_ECO_DEBIAN) {
			if (c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

char *supply_pkg_key(struct tx_arena *a, enum supply_eco eco, const char *ecosystem,
	      const char *name)
{
	char buf[1024];

	if (supply_pkg_key_buf(buf, sizeof(buf), eco, ecosystem, name) != 0)
		return NULL;
	return tx_arena_strdup(a, buf);
}

/* ---- the database ---- */

static const struct category builtin_cats[] = {
	{ "weapons", "Weapons and military systems", 1 },
	{ "ics", "Industrial control systems of critical infrastructure", 1 },
	{ "telecom", "Telecommunications network equipment", 2 },
	{ "government-it", "Government IT", 2 },
	{ "commercial-it", "Commercial IT", 3 },
};

tx_err supply_db_new(size_t mem_cap, supply_db **out, struct tx_error *err)
{
	supply_db *db = calloc(1, sizeof(*db));

	*out = NULL;
	if (db == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	tx_arena_init(&db->arena, 0, 0, mem_cap ? mem_cap : (size_t)4 << 30);
	for (size_t i = 0; i < sizeof(builtin_cats) / sizeof(builtin_cats[0]); i++)
		db->cats[db->n_cats++] = builtin_cats[i];
	db->counts.categories = db->n_cats;
	*out = db;
	return TX_OK;
}

void supply_db_free(supply_db *db)
{
	if (db == NULL)
		return;
	tx_htab_free(&db->advisories);
	tx_htab_free(&db->packages);
	tx_htab_free(&db->vendors);
	tx_htab_free(&db->vendor_names);
	tx_htab_free(&db->parts_pn);
	tx_htab_free(&db->parts_hash);
	tx_htab_free(&db->parts_seen);
	tx_htab_free(&db->kev);
	tx_htab_free(&db->csaf_docs);
	tx_htab_free(&db->csaf_keys);
	tx_htab_free(&db->vex);
	tx_htab_free(&db->vex_docs);
	tx_htab_free(&db->ecos);
	tx_arena_free(&db->arena);
	free(db);
}

void supply_db_set_emit(supply_db *db, json_t *arr,
			const struct supply_stix_opts *opts)
{
	db->emit = arr;
	memset(&db->emit_opts, 0, sizeof(db->emit_opts));
	if (opts != NULL)
		db->emit_opts = *opts;
}

void supply_db_counts(const supply_db *db, struct supply_counts *c)
{
	*c = db->counts;
	c->categories = db->n_cats;
}

const struct category *supply_category_find(const supply_db *db, const char *id)
{
	for (size_t i = 0; i < db->n_cats; i++)
		if (strcmp(db->cats[i].id, id) == 0)
			return &db->cats[i];
	return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static tx_err load_json_doc(supply_db *db, const json_t *doc, const char *name,
			    struct tx_error *err)
{
	const json_t *v;
	size_t i;
	tx_err rc = TX_OK;

	if (supply_csaf_is(doc))
		return supply_csaf_load(db, doc, name, err);
	if (json_is_object(doc) && (supply_vex_is_openvex(doc) || supply_vex_is_cyclonedx(doc)))
		return supply_vex_load(db, doc, name, err);
	if (json_is_object(doc) && json_object_get(doc, "vulnerabilities") &&
	    (json_object_get(doc, "catalogVersion") ||
	     json_object_get(doc, "count")))
		return supply_kev_load(db, doc, name, err);
	if (json_is_object(doc) && json_is_array(json_object_get(doc, "vendors")))
		return supply_vendors_load_json(db, doc, name, err);
	if (json_is_object(doc) && json_is_array(json_object_get(doc, "parts")))
		return supply_parts_load_json(db, doc, name, err);
	if (json_is_object(doc) &&
	    json_is_array(json_object_get(doc, "categories")))
		return supply_priority_load(db, doc, name, err);
	if (json_is_object(doc) && json_is_array(json_object_get(doc, "objects"))) {
		/* a STIX bundle (or TAXII envelope) of our objects */
		json_array_foreach(json_object_get(doc, "objects"), i, v) {
			if ((rc = supply_db_load_stix(db, v, err)) != TX_OK) {
				tx_error_prefix(err, "%s: objects[%zu]", name, i);
				return rc;
			}
		}
		return TX_OK;
	}
	if (json_is_array(doc)) {
		/* a list of OSV entries (as some exports are) */
		json_array_foreach(doc, i, v) {
			char sub[512];

			snprintf(sub, sizeof(sub), "%s[%zu]", name, i);
			if ((rc = supply_osv_load(db, v, sub, err)) != TX_OK)
				return rc;
		}
		return TX_OK;
	}
	if (json_is_object(doc) && json_object_get(doc, "id") &&
	    (json_object_get(doc, "affected") ||
	     json_object_get(doc, "schema_version") ||
	     json_object_get(doc, "modified")))
		return supply_osv_load(db, doc, name, err);
	return tx_error_set(err, TX_ERR_INVALID, "%s: not a known advisory "
			    "source (OSV, CSAF 2.0, CycloneDX VEX, OpenVEX, KEV, "
			    "vendor, parts or priority list, STIX bundle)", name);
}

static size_t skip_ws(const char *d, size_t len, size_t i)
{
	while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' ||
			   d[i] == '\r'))
		i++;
	return i;
}

static int line_of(const char *d, size_t pos)
{
	int line = 1;

	for (size_t i = 0; i < pos; i++)
		line += d[i] == '\n';
	return line;
}

/*
 * A top-level list of OSV entries, one element at a time: a tree of the
 * whole list would cost millions of small allocations that the checker
 * never needs at once (100,000 entries: 4x slower).
 */
static tx_err load_array(supply_db *db, const char *name, const char *data,
			 size_t len, size_t pos, struct tx_error *err)
{
	tx_err rc = TX_OK;

	pos = skip_ws(data, len, pos);
	if (pos < len && data[pos] == ']')
		return skip_ws(data, len, pos + 1) == len ? TX_OK :
		       tx_error_set(err, TX_ERR_INVALID, "%s:%d: text after the "
				    "list", name, line_of(data, pos));
	for (size_t i = 0;; i++) {
		json_error_t jerr;
		json_t *el;
		char sub[512];

		el = tx_json_load(data + pos, len - pos, JSON_DISABLE_EOF_CHECK |
				  JSON_REJECT_DUPLICATES, &jerr);
		if (el == NULL)
			return tx_error_set(err, TX_ERR_INVALID, "%s:%d: [%zu]: %s",
					    name, line_of(data, pos) + jerr.line - 1,
					    i, jerr.text);
		snprintf(sub, sizeof(sub), "%s[%zu]", name, i);
		rc = supply_osv_load(db, el, sub, err);
		json_decref(el);
		if (rc != TX_OK)
			return rc;
		pos = skip_ws(data, len, pos + (size_t)jerr.position);
		if (pos < len && data[pos] == ',') {
			pos = skip_ws(data, len, pos + 1);
			continue;
		}
		if (pos < len && data[pos] == ']' &&
		    skip_ws(data, len, pos + 1) == len)
			return TX_OK;
		return tx_error_set(err, TX_ERR_INVALID, "%s:%d: expected ',' or "
				    "']' after element %zu", name,
				    line_of(data, pos), i);
	}
}

static tx_err load_buffer(supply_db *db, const char *name,
			     const char *data, size_t len,
			     struct tx_error *err)
{
	json_error_t jerr;
	json_t *doc = NULL;
	tx_err rc = TX_OK;

	if (ends_with(name, ".csv")) {
		/* The FCC list has its own header; anything else is ours. */
		if (len >= 29 && memcmp(data, "Covered Equipment or Services", 29) == 0)
			rc = supply_vendors_load_fcc_csv(db, data, len, name, err);
		else
			rc = supply_parts_load_csv(db, data, len, name, err);
		goto out;
	}
	{
		size_t i = 0;

		while (i < len && (data[i] == ' ' || data[i] == '\t' ||
				   data[i] == '\n' || data[i] == '\r'))
			i++;
		if (i < len && data[i] == '[') {
			rc = load_array(db, name, data, len, i + 1, err);
			goto out;
		}
	}
	doc = tx_json_load(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s:%d:%d: %s", name,
				  jerr.line, jerr.column, jerr.text);
		goto out;
	}
	rc = load_json_doc(db, doc, name, err);
out:
	json_decref(doc);
	return rc;
}

tx_err supply_db_load_buffer(supply_db *db, const char *name,
			     const char *data, size_t len,
			     struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	tx_err rc = load_buffer(db, name, data, len, err);

	/* a part of an object made from it could not be allocated (an
	 * unchecked call): the document counts as not read */
	if (rc == TX_OK && tx_json_failures() != jf) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "%s: out of memory", name);
	}
	return rc;
}

void supply_db_on_problem(supply_db *db, supply_problem_fn fn, void *ctx)
{
	db->problem_fn = fn;
	db->problem_ctx = ctx;
}

/* A bad document is reported and skipped when the caller asked so. */
static tx_err load_one(supply_db *db, const char *name, const char *data,
		       size_t len, struct tx_error *err)
{
	tx_err rc = supply_db_load_buffer(db, name, data, len, err);

	if ((rc == TX_ERR_INVALID || rc == TX_ERR_TOOBIG) &&
	    db->problem_fn != NULL) {
		db->problem_fn(db->problem_ctx, err);
		db->counts.skipped++;
		rc = TX_OK;
	}
	return rc;
}

static tx_err load_member(void *ctx, const char *name, const char *data,
			  size_t len, struct tx_error *err)
{
	return load_one(ctx, name, data, len, err);
}

static tx_err load_file(supply_db *db, const char *path, struct tx_error *err)
{
	char *data = NULL;
	size_t len = 0;
	tx_err rc;

	if (ends_with(path, ".tar.gz") || ends_with(path, ".tgz"))
		return supply_tar_gz_each(path, load_member, db, err);
	rc = tx_read_file(path, SUPPLY_FILE_MAX, &data, &len, err);
	if (rc != TX_OK)
		goto out;
	rc = load_one(db, path, data, len, err);
out:
	free(data);
	return rc;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder: its files in name order (for reproducible results), then its
 * sub-folders; depth-capped. */
static tx_err load_dir(supply_db *db, const char *path, int depth,
		       struct tx_error *err)
{
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	tx_err rc = TX_OK;

	if (depth > 16) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s: folders nested too "
				  "deep", path);
		goto out;
	}
	d = opendir(path);
	if (d == NULL) {
		rc = tx_error_set(err, TX_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (tx_grow(&names, &cap, n + 1, sizeof(*names), 64) != TX_OK) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	tx_sort(names, n, sizeof(*names), entry_cmp);
	for (size_t i = 0; i < n && rc == TX_OK; i++) {
		char sub[4096];
		struct stat sb;

		if (tx_path_join(sub, sizeof(sub), path, names[i]) != TX_OK) {
			rc = tx_error_set(err, TX_ERR_TOOBIG, "%s/%s: path too long",
					  path, names[i]);
			break;
		}
		if (stat(sub, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			rc = load_dir(db, sub, depth + 1, err);
		else if (ends_with(sub, ".json") || ends_with(sub, ".csv") ||
			 ends_with(sub, ".tar.gz") || ends_with(sub, ".tgz"))
			rc = load_file(db, sub, err);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d != NULL)
		closedir(d);
	return rc;
}

static tx_err load_path(supply_db *db, const char *path,
			   struct tx_error *err)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return tx_error_set(err, TX_ERR_IO, "%s: %s", path, strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return load_dir(db, path, 0, err);
	return load_file(db, path, err);
}

tx_err supply_db_load_path(supply_db *db, const char *path,
			   struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	tx_err rc = load_path(db, path, err);

	/* a part of an object made from it could not be allocated (an
	 * unchecked call): the document counts as not read */
	if (rc == TX_OK && tx_json_failures() != jf) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "%s: out of memory", path);
	}
	return rc;
}
