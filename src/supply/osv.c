/*
 * supply/osv.c: the OSV reader (OSV schema 1.x).
 *
 * One advisory: id, aliases, severity (CVSS v3 vectors scored here, or a
 * database_specific / ecosystem_specific severity word), and affected
 * packages with ranges of type SEMVER, ECOSYSTEM (and GIT, kept but never
 * matched: a BOM has no commits) holding introduced, fixed, last_affected
 * and limit events, and explicit version lists. MAL- ids mark malicious
 * packages. Errors name the JSON path of the bad field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "supply/internal.h"

/* ---- CVSS v3.x base score ---- */

/* No libm: the values are small and positive, so rounding by hand is
 * exact enough (CVSS 3.1 appendix A's Roundup). */
static long round_pos(double x)
{
	return (long)(x + 0.5);
}

static double cvss_roundup(double x)
{
	long i = round_pos(x * 100000.0);

	if (i % 10000 == 0)
		return (double)i / 100000.0;
	return (double)(i / 10000 + 1) / 10.0;
}

static double pow15(double x)
{
	double r = 1.0;

	for (int k = 0; k < 15; k++)
		r *= x;
	return r;
}

static double min10(double x)
{
	return x < 10.0 ? x : 10.0;
}

/* The value of metric m ("AV") in a vector, or '\0'. */
static char cvss_metric(const char *v, const char *m)
{
	size_t n = strlen(m);

	for (const char *p = v; *p; p++) {
		if ((p == v || p[-1] == '/') && strncmp(p, m, n) == 0 &&
		    p[n] == ':' && p[n + 1] != '\0' &&
		    (p[n + 2] == '/' || p[n + 2] == '\0'))
			return p[n + 1];
	}
	return '\0';
}

int supply_cvss3_score10(const char *vector)
{
	char av, ac, pr, ui, s, c, i, a;
	double AV, AC, PR, UI, C, I, A, iss, impact, expl, base;

	if (vector == NULL || strncmp(vector, "CVSS:3.", 7) != 0)
		return -1;
	av = cvss_metric(vector, "AV");
	ac = cvss_metric(vector, "AC");
	pr = cvss_metric(vector, "PR");
	ui = cvss_metric(vector, "UI");
	s = cvss_metric(vector, "S");
	c = cvss_metric(vector, "C");
	i = cvss_metric(vector, "I");
	a = cvss_metric(vector, "A");
	switch (av) {
	case 'N': AV = 0.85; break;
	case 'A': AV = 0.62; break;
	case 'L': AV = 0.55; break;
	case 'P': AV = 0.2; break;
	default: return -1;
	}
	switch (ac) {
	case 'L': AC = 0.77; break;
	case 'H': AC = 0.44; break;
	default: return -1;
	}
	if (s != 'U' && s != 'C')
		return -1;
	switch (pr) {
	case 'N': PR = 0.85; break;
	case 'L': PR = s == 'C' ? 0.68 : 0.62; break;
	case 'H': PR = s == 'C' ? 0.5 : 0.27; break;
	default: return -1;
	}
	switch (ui) {
	case 'N': UI = 0.85; break;
	case 'R': UI = 0.62; break;
	default: return -1;
	}
	const char cia[3] = { c, i, a };
	double *out[3] = { &C, &I, &A };
	for (int k = 0; k < 3; k++) {
		switch (cia[k]) {
		case 'H': *out[k] = 0.56; break;
		case 'L': *out[k] = 0.22; break;
		case 'N': *out[k] = 0.0; break;
		default: return -1;
		}
	}
	iss = 1.0 - (1.0 - C) * (1.0 - I) * (1.0 - A);
	if (s == 'U')
		impact = 6.42 * iss;
	else
		impact = 7.52 * (iss - 0.029) - 3.25 * pow15(iss - 0.02);
	expl = 8.22 * AV * AC * PR * UI;
	if (impact <= 0)
		return 0;
	if (s == 'U')
		base = cvss_roundup(min10(impact + expl));
	else
		base = cvss_roundup(min10(1.08 * (impact + expl)));
	return (int)round_pos(base * 10.0);
}

static enum supply_severity sev_of_score10(int s)
{
	if (s >= 90)
		return SUPPLY_SEV_CRITICAL;
	if (s >= 70)
		return SUPPLY_SEV_HIGH;
	if (s >= 40)
		return SUPPLY_SEV_MEDIUM;
	if (s >= 1)
		return SUPPLY_SEV_LOW;
	return SUPPLY_SEV_UNKNOWN;
}

static enum supply_severity sev_of_word(const char *w)
{
	if (w == NULL)
		return SUPPLY_SEV_UNKNOWN;
	if (strcasecmp(w, "critical") == 0)
		return SUPPLY_SEV_CRITICAL;
	if (strcasecmp(w, "high") == 0 || strcasecmp(w, "important") == 0)
		return SUPPLY_SEV_HIGH;
	if (strcasecmp(w, "moderate") == 0 || strcasecmp(w, "medium") == 0)
		return SUPPLY_SEV_MEDIUM;
	if (strcasecmp(w, "low") == 0)
		return SUPPLY_SEV_LOW;
	return SUPPLY_SEV_UNKNOWN;
}

/* severity[] (CVSS v3 vectors) first, then a severity word. */
enum supply_severity supply_osv_severity(const json_t *doc)
{
	const json_t *sv, *ds;
	size_t i;
	int best = -1;

	json_array_foreach(json_object_get(doc, "severity"), i, sv) {
		const char *score = json_string_value(json_object_get(sv, "score"));
		int s = supply_cvss3_score10(score);
		if (s > best)
			best = s;
	}
	if (best >= 0)
		return sev_of_score10(best);
	ds = json_object_get(doc, "database_specific");
	return sev_of_word(json_string_value(json_object_get(ds, "severity")));
}

/* ---- the reader ---- */

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

/* A list of strings member key into the arena. */
static tx_err str_list(supply_db *db, const json_t *obj, const char *key,
		       const char *name, const char *path, const char ***out,
		       size_t *n, struct tx_error *err)
{
	const json_t *arr = json_object_get(obj, key), *v;
	char sub[256];
	size_t i;

	*out = NULL;
	*n = 0;
	if (arr == NULL || json_is_null(arr))
		return TX_OK;
	snprintf(sub, sizeof(sub), "%s%s", path, key);
	if (!json_is_array(arr))
		return bad(err, name, sub, "must be a list of strings");
	if (json_array_size(arr) > SUPPLY_MAX_LIST)
		return bad(err, name, sub, "too many entries");
	if (json_array_size(arr) == 0)
		return TX_OK;
	*out = tx_arena_alloc(&db->arena, json_array_size(arr) * sizeof(char *));
	if (*out == NULL)
		return nomem(err);
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v)) {
			snprintf(sub, sizeof(sub), "%s%s[%zu]", path, key, i);
			return bad(err, name, sub, "must be a string");
		}
		if (((*out)[i] = tx_arena_strdup(&db->arena, json_string_value(v))) ==
		    NULL)
			return nomem(err);
	}
	*n = json_array_size(arr);
	return TX_OK;
}

static tx_err load_range(supply_db *db, const json_t *r, const char *name,
			 const char *path, struct adv_range *out,
			 struct tx_error *err)
{
	static const char *const kinds[] = { "introduced", "fixed",
					     "last_affected", "limit" };
	const char *type;
	const json_t *events, *e;
	char sub[256];
	size_t i;

	if (!json_is_object(r))
		return bad(err, name, path, "must be an object");
	tx_strfmt(sub, sizeof(sub), "%s.type", path);
	if (supply_jstr(r, "type", &type) != 0 || type == NULL)
		return bad(err, name, sub, "required string missing");
	if (strcmp(type, "SEMVER") == 0)
		out->type = RANGE_SEMVER;
	else if (strcmp(type, "ECOSYSTEM") == 0)
		out->type = RANGE_ECOSYSTEM;
	else if (strcmp(type, "GIT") == 0)
		out->type = RANGE_GIT;
	else
		return bad(err, name, sub, "not SEMVER, ECOSYSTEM or GIT");
	events = json_object_get(r, "events");
	tx_strfmt(sub, sizeof(sub), "%s.events", path);
	if (!json_is_array(events) || json_array_size(events) == 0)
		return bad(err, name, sub, "must be a non-empty list");
	if (json_array_size(events) > SUPPLY_MAX_EVENTS)
		return bad(err, name, sub, "too many events");
	out->ev = tx_arena_alloc(&db->arena, json_array_size(events) * sizeof(*out->ev));
	if (out->ev == NULL)
		return nomem(err);
	json_array_foreach(events, i, e) {
		int found = 0;

		tx_strfmt(sub, sizeof(sub), "%s.events[%zu]", path, i);
		if (!json_is_object(e))
			return bad(err, name, sub, "must be an object");
		for (int k = 0; k < 4; k++) {
			const char *v;

			if (supply_jstr(e, kinds[k], &v) != 0) {
				tx_strfmt(sub, sizeof(sub), "%s.events[%zu].%s", path,
					 i, kinds[k]);
				return bad(err, name, sub, "must be a string");
			}
			if (v == NULL)
				continue;
			if (found++)
				return bad(err, name, sub, "more than one of "
					   "introduced, fixed, last_affected, "
					   "limit");
			if (v[0] == '\0' || strlen(v) > 256) {
				tx_strfmt(sub, sizeof(sub), "%s.events[%zu].%s",
					 path, i, kinds[k]);
				return bad(err, name, sub, "empty or too long");
			}
			out->ev[out->n_ev].kind = (enum ev_kind)k;
			out->ev[out->n_ev].version = tx_arena_strdup(&db->arena, v);
			if (out->ev[out->n_ev].version == NULL)
				return nomem(err);
			out->n_ev++;
		}
		if (!found)
			return bad(err, name, sub, "needs introduced, fixed, "
				   "last_affected or limit");
	}
	return TX_OK;
}

static tx_err load_affected(supply_db *db, struct advisory *adv,
			    const json_t *af, const char *name,
			    const char *path, struct adv_affected **out,
			    struct tx_error *err)
{
	const json_t *pkg, *ranges, *r;
	const char *eco, *pname;
	struct adv_affected *a;
	char sub[256];
	size_t i;

	*out = NULL;
	if (!json_is_object(af))
		return bad(err, name, path, "must be an object");
	pkg = json_object_get(af, "package");
	if (pkg == NULL)
		return TX_OK; /* GIT-only entries name no package */
	snprintf(sub, sizeof(sub), "%s.package", path);
	if (!json_is_object(pkg))
		return bad(err, name, sub, "must be an object");
	if (supply_jstr(pkg, "ecosystem", &eco) != 0 || eco == NULL) {
		snprintf(sub, sizeof(sub), "%s.package.ecosystem", path);
		return bad(err, name, sub, "required string missing");
	}
	if (supply_jstr(pkg, "name", &pname) != 0 || pname == NULL || pname[0] == '\0') {
		snprintf(sub, sizeof(sub), "%s.package.name", path);
		return bad(err, name, sub, "required string missing");
	}
	a = tx_arena_alloc(&db->arena, sizeof(*a));
	if (a == NULL)
		return nomem(err);
	a->adv = adv;
	a->eco = supply_ecosystem(eco);
	a->ecosystem = tx_arena_strdup(&db->arena, eco);
	a->name = tx_arena_strdup(&db->arena, pname);
	if (a->ecosystem == NULL || a->name == NULL)
		return nomem(err);
	ranges = json_object_get(af, "ranges");
	if (ranges != NULL) {
		snprintf(sub, sizeof(sub), "%s.ranges", path);
		if (!json_is_array(ranges))
			return bad(err, name, sub, "must be a list");
		if (json_array_size(ranges) > SUPPLY_MAX_EVENTS)
			return bad(err, name, sub, "too many ranges");
		a->ranges = tx_arena_alloc(&db->arena,
					json_array_size(ranges) * sizeof(*a->ranges) + 1);
		if (a->ranges == NULL)
			return nomem(err);
		json_array_foreach(ranges, i, r) {
			tx_err rc;

			snprintf(sub, sizeof(sub), "%s.ranges[%zu]", path, i);
			rc = load_range(db, r, name, sub, &a->ranges[i], err);
			if (rc != TX_OK)
				return rc;
		}
		a->n_ranges = json_array_size(ranges);
	}
	snprintf(sub, sizeof(sub), "%s.", path);
	{
		tx_err rc = str_list(db, af, "versions", name, sub, &a->versions,
				     &a->n_versions, err);
		if (rc != TX_OK)
			return rc;
	}
	a->sev = sev_of_word(json_string_value(json_object_get(
		json_object_get(af, "ecosystem_specific"), "severity")));
	if (a->sev == SUPPLY_SEV_UNKNOWN)
		a->sev = sev_of_word(json_string_value(json_object_get(
			json_object_get(af, "database_specific"), "severity")));
	*out = a;
	return TX_OK;
}

/* The ecosystem part of an entry's package key into out ("go"). */
static void eco_key(const struct adv_affected *a, char *out, size_t n)
{
	char buf[1024];

	out[0] = '\0';
	if (supply_pkg_key_buf(buf, sizeof(buf), a->eco, a->ecosystem, "") == 0)
		snprintf(out, n, "%.*s", (int)strcspn(buf, "\n"), buf);
}

static int eco_same(const struct adv_affected *a, const struct adv_affected *b)
{
	char ka[64], kb[64];

	eco_key(a, ka, sizeof(ka));
	eco_key(b, kb, sizeof(kb));
	return strcmp(ka, kb) == 0;
}

static tx_err count_eco(supply_db *db, const struct adv_affected *a,
			struct tx_error *err)
{
	char key[64];
	struct eco_count *e;

	eco_key(a, key, sizeof(key));
	if (key[0] == '\0')
		return TX_OK;
	if ((e = tx_htab_get(&db->ecos, key)) == NULL) {
		size_t nl = strcspn(a->ecosystem, ":");

		if ((e = tx_arena_alloc(&db->arena, sizeof(*e))) == NULL ||
		    (e->key = tx_arena_strdup(&db->arena, key)) == NULL ||
		    (e->name = tx_arena_strndup(&db->arena, a->ecosystem, nl)) == NULL ||
		    tx_htab_put(&db->ecos, e->key, e, NULL) != TX_OK)
			return nomem(err);
	}
	e->n++;
	return TX_OK;
}

/* Index an advisory's affected entries, once the whole entry is valid. */
static tx_err index_affected(supply_db *db, struct adv_affected *a,
			     struct tx_error *err)
{
	char *key = supply_pkg_key(&db->arena, a->eco, a->ecosystem, a->name);
	void *old = NULL;

	if (key == NULL)
		return nomem(err);
	if (tx_htab_put(&db->packages, key, a, &old) != TX_OK)
		return nomem(err);
	a->next = old;
	return TX_OK;
}

tx_err supply_osv_load(supply_db *db, const json_t *doc, const char *name,
		struct tx_error *err)
{
	const char *id;
	const json_t *affected, *af;
	struct advisory *adv;
	struct adv_affected **pending = NULL;
	char sub[64];
	size_t i;
	tx_err rc = TX_OK;

	if (!json_is_object(doc))
		return bad(err, name, "(top)", "an OSV entry must be an object");
	if (supply_jstr(doc, "id", &id) != 0 || id == NULL || id[0] == '\0' ||
	    strlen(id) > 256)
		return bad(err, name, "id", "required string missing");
	if (tx_htab_get(&db->advisories, id) != NULL)
		return TX_OK; /* already loaded: the first copy wins */
	adv = tx_arena_alloc(&db->arena, sizeof(*adv));
	if (adv == NULL || (adv->id = tx_arena_strdup(&db->arena, id)) == NULL)
		return nomem(err);
	if ((rc = str_list(db, doc, "aliases", name, "", &adv->aliases,
			   &adv->n_aliases, err)) != TX_OK)
		return rc;
	adv->malicious = strncmp(id, "MAL-", 4) == 0;
	adv->sev = adv->malicious ? SUPPLY_SEV_CRITICAL : supply_osv_severity(doc);
	affected = json_object_get(doc, "affected");
	if (affected != NULL && !json_is_array(affected))
		return bad(err, name, "affected", "must be a list");
	if (json_array_size(affected) > SUPPLY_MAX_LIST)
		return bad(err, name, "affected", "too many entries");
	if (json_array_size(affected) > 0 &&
	    (pending = calloc(json_array_size(affected), sizeof(*pending))) ==
	    NULL)
		return nomem(err);
	/* nothing is indexed before the whole entry is read: a bad entry
	 * that is skipped leaves nothing behind */
	json_array_foreach(affected, i, af) {
		snprintf(sub, sizeof(sub), "affected[%zu]", i);
		if ((rc = load_affected(db, adv, af, name, sub, &pending[i],
					err)) != TX_OK)
			goto out;
	}
	for (i = 0; i < json_array_size(affected); i++)
		if (pending[i] != NULL &&
		    (rc = index_affected(db, pending[i], err)) != TX_OK)
			goto out;
	/* one count per ecosystem the entry names */
	for (i = 0; i < json_array_size(affected); i++) {
		int seen = 0;

		if (pending[i] == NULL)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = pending[j] != NULL &&
			       eco_same(pending[i], pending[j]);
		if (!seen && (rc = count_eco(db, pending[i], err)) != TX_OK)
			goto out;
	}
	free(pending);
	pending = NULL;
	if (tx_htab_put(&db->advisories, adv->id, adv, NULL) != TX_OK)
		return nomem(err);
	db->counts.advisories++;
	if (adv->malicious)
		db->counts.malicious++;
	return supply_share_osv(db, doc, adv, err);
out:
	free(pending);
	return rc;
}
