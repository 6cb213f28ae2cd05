/*
 * supply/check.c: checking a BOM against the database, and ranking.
 *
 * Per component: its purl gives (ecosystem, package, version); the
 * package's affected entries come from one hash look-up and each range is
 * evaluated as the OSV specification says (events in version order;
 * introduced opens, fixed and last_affected close, limit bounds). Its
 * supplier (or publisher) and manufacturer go through the vendor watch
 * list, its manufacturer + part number and hashes through the parts list.
 * Nothing here allocates per comparison; findings grow one array.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "supply/internal.h"

#define PURL_MAX 1024

static const char *const kind_names[SUPPLY_KIND_COUNT] = {
	"vulnerable", "known-exploited", "malicious", "unverified",
	"watch-listed-supplier", "watch-listed-manufacturer", "counterfeit",
	"suspect",
};
static const char *const sev_names[SUPPLY_SEV_COUNT] = {
	"unknown", "low", "medium", "high", "critical",
};

const char *supply_kind_name(enum supply_kind k)
{
	return k < SUPPLY_KIND_COUNT ? kind_names[k] : "?";
}

const char *supply_severity_name(enum supply_severity s)
{
	return s < SUPPLY_SEV_COUNT ? sev_names[s] : "?";
}

int supply_severity_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "any") == 0)
		return SUPPLY_SEV_UNKNOWN;
	for (int i = SUPPLY_SEV_LOW; i < SUPPLY_SEV_COUNT; i++)
		if (strcmp(s, sev_names[i]) == 0)
			return i;
	return -1;
}

enum supply_severity supply_severity_effective(enum supply_severity s)
{
	return s == SUPPLY_SEV_UNKNOWN ? SUPPLY_SEV_HIGH : s;
}

/* ---- purl ---- */

struct purl {
	enum supply_eco eco;
	char ecosystem[32];
	char name[PURL_MAX];
	char version[256];
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode [s, s+n) into out (size cap); -1 when it won't fit. */
static int pct_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

static const struct {
	const char *type;
	enum supply_eco eco;
	const char *ecosystem;
} purl_types[] = {
	{ "npm", SUPPLY_ECO_NPM, "npm" },
	{ "golang", SUPPLY_ECO_GO, "Go" },
	{ "pypi", SUPPLY_ECO_PYPI, "PyPI" },
	{ "maven", SUPPLY_ECO_MAVEN, "Maven" },
	{ "cargo", SUPPLY_ECO_UNKNOWN, "crates.io" },
	{ "gem", SUPPLY_ECO_UNKNOWN, "RubyGems" },
	{ "nuget", SUPPLY_ECO_UNKNOWN, "NuGet" },
	{ "composer", SUPPLY_ECO_UNKNOWN, "Packagist" },
	{ "hex", SUPPLY_ECO_UNKNOWN, "Hex" },
	{ "pub", SUPPLY_ECO_UNKNOWN, "Pub" },
	{ "swift", SUPPLY_ECO_UNKNOWN, "SwiftURL" },
};

/* Parse "pkg:type/namespace/name@version?q#sub"; -1 when not a purl. */
static int purl_parse(const char *s, struct purl *p)
{
	const char *t, *slash, *end, *at, *rest;
	char type[32], ns_name[PURL_MAX];
	size_t n;

	memset(p, 0, sizeof(*p));
	if (s == NULL || strncmp(s, "pkg:", 4) != 0)
		return -1;
	t = s + 4;
	while (*t == '/')
		t++;
	slash = strchr(t, '/');
	if (slash == NULL || (size_t)(slash - t) >= sizeof(type) || slash == t)
		return -1;
	for (n = 0; t + n < slash; n++)
		type[n] = (char)tolower((unsigned char)t[n]);
	type[n] = '\0';
	rest = slash + 1;
	end = rest + strcspn(rest, "?#");
	/* the version follows the last '@' after the last '/' */
	at = NULL;
	for (const char *q = rest; q < end; q++) {
		if (*q == '/')
			at = NULL;
		else if (*q == '@' && q != rest && q[-1] != '/')
			at = q;
	}
	if (at != NULL) {
		if (pct_decode(at + 1, (size_t)(end - at - 1), p->version,
			       sizeof(p->version)) != 0)
			return -1;
		end = at;
	}
	while (end > rest && end[-1] == '/')
		end--;
	if (end == rest || pct_decode(rest, (size_t)(end - rest), ns_name,
				      sizeof(ns_name)) != 0)
		return -1;
	snprintf(p->ecosystem, sizeof(p->ecosystem), "%s", type);
	p->eco = SUPPLY_ECO_UNKNOWN;
	for (size_t i = 0; i < sizeof(purl_types) / sizeof(purl_types[0]); i++) {
		if (strcmp(type, purl_types[i].type) == 0) {
			p->eco = purl_types[i].eco;
			snprintf(p->ecosystem, sizeof(p->ecosystem), "%s",
				 purl_types[i].ecosystem);
		}
	}
	if (strcmp(type, "maven") == 0) {
		/* namespace/name -> group:artifact */
		char *last = strrchr(ns_name, '/');
		if (last != NULL)
			*last = ':';
		for (char *q = ns_name; *q; q++)
			if (*q == '/')
				*q = '.';
	} else if (strcmp(type, "deb") == 0) {
		char *last = strrchr(ns_name, '/');
		if (last != NULL && strncmp(ns_name, "debian/", 7) == 0) {
			p->eco = SUPPLY_ECO_DEBIAN;
			snprintf(p->ecosystem, sizeof(p->ecosystem), "Debian");
		} else if (last != NULL) {
			size_t vl = (size_t)(last - ns_name);
			snprintf(p->ecosystem, sizeof(p->ecosystem), "%.*s",
				 (int)(vl < 31 ? vl : 31), ns_name);
			p->ecosystem[0] = (char)toupper((unsigned char)p->ecosystem[0]);
		}
		if (last != NULL)
			memmove(ns_name, last + 1, strlen(last + 1) + 1);
	} else if (strcmp(type, "pypi") == 0 || strcmp(type, "gem") == 0 ||
		   strcmp(type, "cargo") == 0) {
		/* no namespace */
	}
	snprintf(p->name, sizeof(p->name), "%s", ns_name);
	return 0;
}

/* ---- OSV range evaluation ---- */

enum match { MATCH_NO, MATCH_YES, MATCH_UNVERIFIED };

/* Compare event versions for sorting: "0" (introduced) is the lowest. */
static int ev_cmp(enum supply_eco eco, const struct adv_event *a,
		  const struct adv_event *b, int *res)
{
	int za = a->kind == EV_INTRODUCED && strcmp(a->version, "0") == 0;
	int zb = b->kind == EV_INTRODUCED && strcmp(b->version, "0") == 0;

	if (za || zb) {
		*res = za && zb ? 0 : za ? -1 : 1;
		return 0;
	}
	if (a->kind == EV_LIMIT && strcmp(a->version, "*") == 0) {
		*res = 1;
		return 0;
	}
	if (b->kind == EV_LIMIT && strcmp(b->version, "*") == 0) {
		*res = -1;
		return 0;
	}
	return supply_version_cmp(eco, a->version, b->version, res) == TX_OK ?
	       0 : -1;
}

#define EV_SORT_MAX 64

static enum match eval_range(const struct adv_range *r, enum supply_eco eco,
			     const char *v, const char **fixed)
{
	const struct adv_event *ev[EV_SORT_MAX];
	size_t n = r->n_ev;
	int vulnerable = 0, has_limit = 0, under_limit = 0, c;

	*fixed = NULL;
	if (n > EV_SORT_MAX)
		return MATCH_UNVERIFIED;
	/* insertion sort (stable; ranges are short) */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		ev[i] = &r->ev[i];
		while (j > 0) {
			if (ev_cmp(eco, ev[j - 1], ev[j], &c) != 0)
				return MATCH_UNVERIFIED;
			if (c <= 0)
				break;
			const struct adv_event *t = ev[j - 1];
			ev[j - 1] = ev[j];
			ev[j] = t;
			j--;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct adv_event *e = ev[i];

		if (e->kind == EV_LIMIT) {
			has_limit = 1;
			if (strcmp(e->version, "*") == 0)
				under_limit = 1;
			else if (supply_version_cmp(eco, v, e->version, &c) != TX_OK)
				return MATCH_UNVERIFIED;
			else if (c < 0)
				under_limit = 1;
		}
	}
	if (has_limit && !under_limit)
		return MATCH_NO;
	for (size_t i = 0; i < n; i++) {
		const struct adv_event *e = ev[i];

		if (e->kind == EV_INTRODUCED) {
			if (strcmp(e->version, "0") == 0) {
				vulnerable = 1;
				continue;
			}
			if (supply_version_cmp(eco, v, e->version, &c) != TX_OK)
				return MATCH_UNVERIFIED;
			if (c >= 0)
				vulnerable = 1;
		} else if (e->kind == EV_FIXED) {
			if (supply_version_cmp(eco, v, e->version, &c) != TX_OK)
				return MATCH_UNVERIFIED;
			if (c >= 0)
				vulnerable = 0;
		} else if (e->kind == EV_LAST_AFFECTED) {
			if (supply_version_cmp(eco, v, e->version, &c) != TX_OK)
				return MATCH_UNVERIFIED;
			if (c > 0)
				vulnerable = 0;
		}
	}
	if (!vulnerable)
		return MATCH_NO;
	for (size_t i = 0; i < n; i++) {
		if (ev[i]->kind == EV_FIXED &&
		    supply_version_cmp(eco, v, ev[i]->version, &c) == TX_OK &&
		    c < 0) {
			*fixed = ev[i]->version;
			break;
		}
	}
	return MATCH_YES;
}

static enum match eval_affected(const struct adv_affected *a, const char *v,
				const char **fixed)
{
	enum match m = MATCH_NO;
	int listed = 0;

	*fixed = NULL;
	for (size_t i = 0; i < a->n_versions; i++) {
		if (strcmp(a->versions[i], v) == 0 ||
		    (v[0] == 'v' && strcmp(a->versions[i], v + 1) == 0)) {
			listed = 1;
			break;
		}
	}
	for (size_t i = 0; i < a->n_ranges; i++) {
		const struct adv_range *r = &a->ranges[i];
		enum supply_eco eco;
		const char *fx = NULL;
		enum match rm;

		if (r->type == RANGE_GIT)
			continue;
		eco = r->type == RANGE_SEMVER ? SUPPLY_ECO_SEMVER : a->eco;
		if (eco == SUPPLY_ECO_UNKNOWN) {
			if (m == MATCH_NO)
				m = MATCH_UNVERIFIED;
			continue;
		}
		rm = eval_range(r, eco, v, &fx);
		if (rm == MATCH_YES) {
			m = MATCH_YES;
			if (*fixed == NULL)
				*fixed = fx;
		} else if (rm == MATCH_UNVERIFIED && m == MATCH_NO) {
			m = MATCH_UNVERIFIED;
		}
	}
	if (listed)
		return MATCH_YES;
	return m;
}

/* ---- findings ---- */

struct ck {
	const supply_db *db;
	struct supply_report *rep;
	size_t cap;
	struct tx_error *err;
};

static tx_err add_finding(struct ck *k, const struct supply_finding *f)
{
	struct supply_report *r = k->rep;

	if (tx_grow(&r->findings, &k->cap, r->n + 1, sizeof(*r->findings), 64) != TX_OK)
		return tx_error_set(k->err, TX_ERR_NOMEM, "out of memory");
	r->findings[r->n++] = *f;
	return TX_OK;
}

static int adv_exploited(const supply_db *db, const struct advisory *a)
{
	if (db->kev.n == 0)
		return 0;
	if (tx_htab_get(&db->kev, a->id) != NULL)
		return 1;
	for (size_t i = 0; i < a->n_aliases; i++)
		if (tx_htab_get(&db->kev, a->aliases[i]) != NULL)
			return 1;
	return 0;
}

static tx_err check_vulns(struct ck *k, const struct supply_component *c,
			  struct supply_finding *base)
{
	struct purl p;
	char key[PURL_MAX + 64];
	const char *version;
	const struct adv_affected *a;
	size_t first;

	if (purl_parse(c->purl, &p) != 0)
		return TX_OK;
	version = p.version[0] ? p.version : c->version;
	if (version == NULL || version[0] == '\0')
		return TX_OK;
	if (supply_pkg_key_buf(key, sizeof(key), p.eco, p.ecosystem, p.name) != 0)
		return TX_OK;
	first = k->rep->n; /* this component's findings start here */
	for (a = tx_htab_get(&k->db->packages, key); a != NULL; a = a->next) {
		struct supply_finding f = *base;
		const struct advisory *adv = a->adv;
		enum match m = eval_affected(a, version, &f.fixed);
		tx_err rc;

		if (m == MATCH_NO)
			continue;
		/* the same advisory may name the package twice */
		int dup = 0;
		for (size_t i = first; i < k->rep->n; i++) {
			struct supply_finding *o = &k->rep->findings[i];
			if (o->comp == c && o->n_advisories > 0 &&
			    o->advisories[0] == adv->id) {
				dup = 1;
				if (m == MATCH_YES && o->kind == SUPPLY_KIND_UNVERIFIED)
					o->kind = SUPPLY_KIND_VULNERABLE;
				break;
			}
		}
		if (dup)
			continue;
		f.advisories[f.n_advisories++] = adv->id;
		for (size_t i = 0; i < adv->n_aliases &&
		     f.n_advisories < SUPPLY_MAX_ADV_IDS; i++)
			f.advisories[f.n_advisories++] = adv->aliases[i];
		f.severity = adv->sev > a->sev ? adv->sev : a->sev;
		f.exploited = adv_exploited(k->db, adv);
		if (adv->malicious)
			f.kind = SUPPLY_KIND_MALICIOUS;
		else if (m == MATCH_UNVERIFIED)
			f.kind = SUPPLY_KIND_UNVERIFIED;
		else if (f.exploited)
			f.kind = SUPPLY_KIND_KNOWN_EXPLOITED;
		else
			f.kind = SUPPLY_KIND_VULNERABLE;
		if (f.kind == SUPPLY_KIND_KNOWN_EXPLOITED &&
		    f.severity < SUPPLY_SEV_HIGH)
			f.severity = SUPPLY_SEV_HIGH;
		if ((rc = add_finding(k, &f)) != TX_OK)
			return rc;
	}
	return TX_OK;
}

static tx_err check_vendor(struct ck *k, const char *org, enum supply_kind kind,
			   struct supply_finding *base)
{
	const struct vendor *v = supply_vendor_match(k->db, org);
	struct supply_finding f = *base;

	if (v == NULL)
		return TX_OK;
	f.kind = kind;
	f.advisories[f.n_advisories++] = v->name;
	f.severity = SUPPLY_SEV_HIGH;
	f.reason = v->reason;
	return add_finding(k, &f);
}

/* Natural order for lot numbers: digit runs compare as numbers. */
static int natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *sa = a, *sb = b;
			while (*sa == '0' && isdigit((unsigned char)sa[1]))
				sa++;
			while (*sb == '0' && isdigit((unsigned char)sb[1]))
				sb++;
			a = sa, b = sb;
			size_t na = 0, nb = 0;
			while (isdigit((unsigned char)a[na]))
				na++;
			while (isdigit((unsigned char)b[nb]))
				nb++;
			if (na != nb)
				return na < nb ? -1 : 1;
			int c = memcmp(a, b, na);
			if (c != 0)
				return c < 0 ? -1 : 1;
			a += na, b += nb;
			continue;
		}
		int ca = toupper((unsigned char)*a), cb = toupper((unsigned char)*b);
		if (ca != cb)
			return ca < cb ? -1 : 1;
		a++, b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

/* key is a run of whole words of the normal form norm. */
static int words_in(const char *norm, const char *key)
{
	size_t n = strlen(key);

	if (n == 0)
		return 0;
	for (const char *p = norm; (p = strstr(p, key)) != NULL; p++) {
		if ((p == norm || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return 1;
	}
	return 0;
}

/* 1 in range, 0 outside, -1 unknown (the component does not say). */
static int in_range(const char *v, const char *from, const char *to)
{
	if (from == NULL)
		return 1;
	if (v == NULL || v[0] == '\0')
		return -1;
	return natcmp(v, from) >= 0 && natcmp(v, to) <= 0;
}

static tx_err part_finding(struct ck *k, const struct part *p,
			   const struct supply_component *c,
			   struct supply_finding *base, int by_hash)
{
	struct supply_finding f = *base;
	int lot = by_hash ? 1 : in_range(c->lot, p->lot_from, p->lot_to);
	int dc = by_hash ? 1 : in_range(c->date_code, p->date_from, p->date_to);

	if (lot == 0 || dc == 0)
		return TX_OK;
	f.kind = p->status == PART_COUNTERFEIT && lot == 1 && dc == 1 ?
		 SUPPLY_KIND_COUNTERFEIT : SUPPLY_KIND_SUSPECT;
	f.severity = f.kind == SUPPLY_KIND_COUNTERFEIT ? SUPPLY_SEV_CRITICAL :
		     SUPPLY_SEV_HIGH;
	f.advisories[f.n_advisories++] = p->part_number ? p->part_number : p->hash;
	f.advisories[f.n_advisories++] = p->manufacturer;
	f.reason = p->reason;
	for (size_t i = 0; i < k->rep->n; i++) {
		const struct supply_finding *o = &k->rep->findings[i];
		if (o->comp == c && (o->kind == SUPPLY_KIND_COUNTERFEIT ||
				     o->kind == SUPPLY_KIND_SUSPECT) &&
		    o->advisories[0] == f.advisories[0])
			return TX_OK;
	}
	return add_finding(k, &f);
}

static tx_err check_parts(struct ck *k, const struct supply_component *c,
			  struct supply_finding *base)
{
	const char *org = c->manufacturer ? c->manufacturer : c->supplier;
	char pn[512], norm[512];
	const struct part *p;
	tx_err rc;

	for (size_t i = 0; i < c->n_hashes; i++)
		for (p = tx_htab_get(&k->db->parts_hash, c->hashes[i]); p;
		     p = p->next_hash)
			if ((rc = part_finding(k, p, c, base, 1)) != TX_OK)
				return rc;
	if (org == NULL || c->part_number == NULL || k->db->parts_pn.n == 0)
		return TX_OK;
	supply_part_normalise(c->part_number, pn, sizeof(pn));
	if (pn[0] == '\0')
		return TX_OK;
	supply_vendor_normalise(org, norm, sizeof(norm));
	for (p = tx_htab_get(&k->db->parts_pn, pn); p; p = p->next) {
		if (!words_in(norm, p->mfr_key))
			continue;
		if ((rc = part_finding(k, p, c, base, 0)) != TX_OK)
			return rc;
	}
	return TX_OK;
}

/* ---- CSAF products ---- */

#define CSAF_CAND_MAX 256

/* The component's organisation (manufacturer, supplier, publisher). */
static const char *comp_org(const struct supply_component *c)
{
	return c->manufacturer ? c->manufacturer :
	       c->supplier ? c->supplier : c->publisher;
}

/* 1 the organisation names the product's vendor, 0 it names another,
 * -1 one of them is not known. */
static int vendor_agrees(const struct supply_component *c,
			 const struct csaf_product *p)
{
	const char *org = comp_org(c);
	char norm[512];

	if (org == NULL || p->vendor_key == NULL || p->vendor_key[0] == '\0')
		return -1;
	supply_vendor_normalise(org, norm, sizeof(norm));
	if (norm[0] == '\0')
		return -1;
	return words_in(norm, p->vendor_key) || words_in(p->vendor_key, norm);
}

struct cand {
	const struct csaf_product *p;
	const char *by;      /* strongest evidence */
	int strength;        /* 3 purl/cpe, 2 model number, 1 name */
};

static void cand_add(struct cand *cs, size_t *n, const struct csaf_product *p,
		     const char *by, int strength)
{
	for (size_t i = 0; i < *n; i++) {
		if (cs[i].p == p) {
			if (strength > cs[i].strength) {
				cs[i].by = by;
				cs[i].strength = strength;
			}
			return;
		}
	}
	if (*n < CSAF_CAND_MAX)
		cs[(*n)++] = (struct cand){ p, by, strength };
}

static void cand_lookup(const supply_db *db, struct cand *cs, size_t *n,
			char kind, const char *value, const char *by,
			int strength)
{
	char key[600];

	if (value == NULL || supply_csaf_key(key, sizeof(key), kind, value) != 0)
		return;
	for (const struct csaf_ref *r = tx_htab_get(&db->csaf_keys, key); r != NULL;
	     r = r->next)
		cand_add(cs, n, r->p, by, strength);
}

static tx_err csaf_finding(struct ck *k, const struct supply_component *c,
			   const struct supply_finding *base,
			   const struct cand *cd, const struct csaf_hit *h,
			   const char *why)
{
	struct supply_finding f = *base;

	if (h->status != CSAF_AFFECTED && h->status != CSAF_INVESTIGATING)
		return TX_OK; /* fixed, not affected, recommended */
	if (h->status == CSAF_INVESTIGATING && why == NULL)
		why = "the advisory says the product is under investigation";
	/* one finding per component and vulnerability of a document; a
	 * certain match replaces an uncertain one */
	for (size_t i = 0; i < k->rep->n; i++) {
		struct supply_finding *o = &k->rep->findings[i];

		if (o->comp != c || o->product == NULL ||
		    strcmp(o->advisories[0], h->doc_id) != 0)
			continue;
		if (h->cve ? o->n_advisories < 2 ||
			     strcmp(o->advisories[1], h->cve) != 0 :
			     o->n_advisories != 1)
			continue;
		if (why == NULL && o->kind == SUPPLY_KIND_UNVERIFIED) {
			o->kind = o->exploited ? SUPPLY_KIND_KNOWN_EXPLOITED :
				  SUPPLY_KIND_VULNERABLE;
			o->reason = NULL;
			o->product = cd->p->full_name;
			o->matched_by = cd->by;
			o->remediation = h->remediation;
		}
		if (h->sev > o->severity)
			o->severity = h->sev;
		return TX_OK;
	}
	f.advisories[f.n_advisories++] = h->doc_id;
	if (h->cve != NULL)
		f.advisories[f.n_advisories++] = h->cve;
	f.severity = h->sev;
	f.exploited = h->cve != NULL && k->db->kev.n > 0 &&
		      tx_htab_get(&k->db->kev, h->cve) != NULL;
	if (why != NULL)
		f.kind = SUPPLY_KIND_UNVERIFIED;
	else if (f.exploited)
		f.kind = SUPPLY_KIND_KNOWN_EXPLOITED;
	else
		f.kind = SUPPLY_KIND_VULNERABLE;
	if (f.exploited && f.severity < SUPPLY_SEV_HIGH)
		f.severity = SUPPLY_SEV_HIGH;
	f.reason = why;
	f.product = cd->p->full_name;
	f.matched_by = cd->by;
	f.remediation = h->remediation;
	return add_finding(k, &f);
}

/*
 * A component against the products of CSAF documents. Candidates come
 * from the index: its purl and CPE, its part number and name as model
 * numbers, its name as a product name. Then:
 *   purl or CPE equal                        the product
 *   model number or product name equal,
 *     and the vendor agrees                  the product
 *     and a vendor is not known              uncertain (said so)
 *     and the vendor differs                 not this product
 * and the version decides (supply_csaf_version_in): in, out, or uncertain.
 */
static tx_err check_csaf(struct ck *k, const struct supply_component *c,
			 const struct supply_finding *base)
{
	struct cand cs[CSAF_CAND_MAX];
	struct purl pu;
	const char *version = c->version;
	size_t n = 0;
	tx_err rc;

	if (k->db->csaf_keys.n == 0)
		return TX_OK;
	cand_lookup(k->db, cs, &n, 'p', c->purl, "purl", 3);
	cand_lookup(k->db, cs, &n, 'c', c->cpe, "cpe", 3);
	cand_lookup(k->db, cs, &n, 'm', c->part_number, "model number", 2);
	if (c->part_number != c->name)
		cand_lookup(k->db, cs, &n, 'm', c->name, "model number", 2);
	cand_lookup(k->db, cs, &n, 'n', c->name, "product name", 1);
	if (n == 0)
		return TX_OK;
	if ((version == NULL || version[0] == '\0') &&
	    purl_parse(c->purl, &pu) == 0 && pu.version[0] != '\0')
		version = pu.version;
	for (size_t i = 0; i < n; i++) {
		const struct cand *cd = &cs[i];
		const char *why = NULL, *vwhy = NULL;

		if (cd->strength < 3) {
			int va = vendor_agrees(c, cd->p);

			if (va == 0)
				continue;
			if (va < 0)
				why = comp_org(c) == NULL ?
				      "the component names no supplier or "
				      "manufacturer to confirm the vendor" :
				      "the advisory names no vendor to confirm";
		}
		switch (supply_csaf_version_in(cd->p, version, &vwhy)) {
		case CSAF_V_NO:
			continue;
		case CSAF_V_UNSURE:
			if (why == NULL)
				why = vwhy;
			break;
		case CSAF_V_YES:
			break;
		}
		for (const struct csaf_hit *h = cd->p->hits; h != NULL; h = h->next)
			if ((rc = csaf_finding(k, c, base, cd, h, why)) != TX_OK)
				return rc;
	}
	return TX_OK;
}

/* ---- VEX ---- */

static int same_version(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	if (a[0] == 'v' && b[0] != 'v')
		a++;
	if (b[0] == 'v' && a[0] != 'v')
		b++;
	return strcmp(a, b) == 0;
}

/* Statement s speaks of component c (of bom) at its version. */
static int vex_covers(const struct vex_stmt *s, const struct supply_component *c,
		      const supply_bom *bom)
{
	char key[600];
	const char *version = c->version;
	struct purl pu;

	switch (s->match) {
	case VEX_BY_PURL:
		if (c->purl == NULL || supply_csaf_key(key, sizeof(key), 'p', c->purl) != 0 ||
		    strcmp(key, s->product) != 0)
			return 0;
		if (purl_parse(c->purl, &pu) == 0 && pu.version[0] != '\0')
			version = pu.version;
		break;
	case VEX_BY_CPE:
		if (c->cpe == NULL || supply_csaf_key(key, sizeof(key), 'c', c->cpe) != 0 ||
		    strcmp(key, s->product) != 0)
			return 0;
		break;
	case VEX_BY_REF:
		if (c->bom_ref == NULL || strcmp(c->bom_ref, s->product) != 0)
			return 0;
		if (s->bom_serial != NULL && (supply_bom_serial(bom) == NULL ||
		    strcmp(s->bom_serial, supply_bom_serial(bom)) != 0))
			return 0;
		break;
	}
	if (s->version != NULL)
		return same_version(s->version, version);
	if (s->range != NULL) {
		struct csaf_product p = { .range = s->range };
		const char *why;

		/* only a version surely inside: an uncertain one stays open */
		return supply_csaf_version_in(&p, version, &why) == CSAF_V_YES;
	}
	return 1; /* the product, every version */
}

static int vex_clears(const char *state)
{
	static const char *const cleared[] = { "not_affected", "false_positive",
		"resolved", "resolved_with_pedigree", "fixed", NULL };

	for (size_t i = 0; cleared[i]; i++)
		if (strcmp(state, cleared[i]) == 0)
			return 1;
	return 0;
}

/* Mark the findings that VEX statements cover; never remove one. A
 * statement naming a version beats one naming the whole product; among
 * equals the last loaded wins (OpenVEX: later statements supersede). */
static void apply_vex(const supply_db *db, const supply_bom *bom,
		      struct supply_report *rep)
{
	if (db->vex.n == 0)
		return;
	for (size_t i = 0; i < rep->n; i++) {
		struct supply_finding *f = &rep->findings[i];
		const struct vex_stmt *best = NULL;

		if (f->kind != SUPPLY_KIND_VULNERABLE &&
		    f->kind != SUPPLY_KIND_KNOWN_EXPLOITED &&
		    f->kind != SUPPLY_KIND_UNVERIFIED)
			continue;
		for (size_t a = 0; a < f->n_advisories; a++) {
			for (const struct vex_ref *r = tx_htab_get(&db->vex,
							       f->advisories[a]);
			     r != NULL; r = r->next) {
				const struct vex_stmt *s = r->s;

				if (!vex_covers(s, f->comp, bom))
					continue;
				/* chains are newest first */
				if (best == NULL || (best->version == NULL &&
						     best->range == NULL &&
						     (s->version || s->range)))
					best = s;
			}
		}
		if (best == NULL)
			continue;
		f->vex_state = best->state;
		f->vex_justification = best->justification;
		f->vex_detail = best->detail;
		f->vex_source = best->source;
		f->vex_cleared = vex_clears(best->state);
		rep->vex_marked++;
		rep->vex_cleared += f->vex_cleared != 0;
	}
}

/* ---- what the check had to go on ---- */

/* A CSAF product names the component's package (purl) or CPE. */
static int csaf_names(const supply_db *db, const struct supply_component *c)
{
	char key[600];

	if (db->csaf_keys.n == 0)
		return 0;
	return (c->purl && supply_csaf_key(key, sizeof(key), 'p', c->purl) == 0 &&
		tx_htab_get(&db->csaf_keys, key) != NULL) ||
	       (c->cpe && supply_csaf_key(key, sizeof(key), 'c', c->cpe) == 0 &&
		tx_htab_get(&db->csaf_keys, key) != NULL);
}

static void eco_tally(const supply_db *db, const struct supply_component *c,
		      struct supply_report *rep)
{
	struct purl p;
	char key[PURL_MAX + 64], name[32];
	size_t adv = 0;
	struct supply_eco_summary *e = NULL;

	if (c->purl != NULL && purl_parse(c->purl, &p) == 0 &&
	    supply_pkg_key_buf(key, sizeof(key), p.eco, p.ecosystem, "") == 0) {
		const struct eco_count *ec;

		key[strcspn(key, "\n")] = '\0';
		ec = tx_htab_get(&db->ecos, key);
		adv = ec ? ec->n : 0;
		snprintf(name, sizeof(name), "%s", p.ecosystem);
	} else if (c->type != NULL && (strcmp(c->type, "device") == 0 ||
				       strcmp(c->type, "firmware") == 0)) {
		adv = db->counts.csaf;
		snprintf(name, sizeof(name), "hardware/firmware");
	} else {
		snprintf(name, sizeof(name), "no purl");
	}
	for (size_t i = 0; i < rep->n_ecosystems && e == NULL; i++)
		if (strcmp(rep->ecosystems[i].name, name) == 0)
			e = &rep->ecosystems[i];
	if (e == NULL && rep->n_ecosystems == SUPPLY_MAX_ECOSYSTEMS) {
		/* the last row gathers what does not fit, as unchecked */
		e = &rep->ecosystems[SUPPLY_MAX_ECOSYSTEMS - 1];
		snprintf(e->name, sizeof(e->name), "other");
		e->advisories = 0;
		adv = 0;
	} else if (e == NULL) {
		e = &rep->ecosystems[rep->n_ecosystems++];
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->advisories = adv;
	}
	e->components++;
	if (adv == 0 && !csaf_names(db, c))
		e->unchecked++;
}

static int eco_row_cmp(const void *pa, const void *pb)
{
	const struct supply_eco_summary *a = pa, *b = pb;

	return strcmp(a->name, b->name);
}

/* Ecosystems with advisories but no component in the BOM: listed too, so
 * that the report says everything the check had. */
static void eco_loaded(const supply_db *db, struct supply_report *rep)
{
	size_t first = rep->n_ecosystems;

	for (size_t i = 0; i < db->ecos.cap; i++) {
		const struct eco_count *e = db->ecos.e[i].val;
		int found = 0;

		if (db->ecos.e[i].h == 0)
			continue;
		for (size_t j = 0; j < rep->n_ecosystems && !found; j++)
			found = strcasecmp(rep->ecosystems[j].name, e->name) == 0;
		if (found || rep->n_ecosystems == SUPPLY_MAX_ECOSYSTEMS)
			continue;
		snprintf(rep->ecosystems[rep->n_ecosystems].name,
			 sizeof(rep->ecosystems[0].name), "%s", e->name);
		rep->ecosystems[rep->n_ecosystems].components = 0;
		rep->ecosystems[rep->n_ecosystems].unchecked = 0;
		rep->ecosystems[rep->n_ecosystems++].advisories = e->n;
	}
	if (db->counts.csaf > 0 && rep->n_ecosystems < SUPPLY_MAX_ECOSYSTEMS) {
		int found = 0;

		for (size_t j = 0; j < rep->n_ecosystems && !found; j++)
			found = strcmp(rep->ecosystems[j].name,
				       "hardware/firmware") == 0;
		if (!found) {
			struct supply_eco_summary *r =
				&rep->ecosystems[rep->n_ecosystems++];
			snprintf(r->name, sizeof(r->name), "hardware/firmware");
			r->components = 0;
			r->unchecked = 0;
			r->advisories = db->counts.csaf;
		}
	}
	/* hash order is not an order: sort what was added */
	if (rep->n_ecosystems - first > 1)
		tx_sort(rep->ecosystems + first, rep->n_ecosystems - first,
		      sizeof(rep->ecosystems[0]), eco_row_cmp);
}

static int tier_key(int tier)
{
	return tier == 0 ? 100 : tier;
}

static int finding_cmp(const void *pa, const void *pb)
{
	const struct supply_finding *a = pa, *b = pb;
	int sa = supply_severity_effective(a->severity);
	int sb = supply_severity_effective(b->severity);
	int c;

	if (tier_key(a->tier) != tier_key(b->tier))
		return tier_key(a->tier) < tier_key(b->tier) ? -1 : 1;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	if (a->exploited != b->exploited)
		return a->exploited ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind == SUPPLY_KIND_MALICIOUS ? -1 :
		       b->kind == SUPPLY_KIND_MALICIOUS ? 1 :
		       a->kind < b->kind ? -1 : 1;
	if ((c = strcmp(a->comp->path, b->comp->path)) != 0)
		return c;
	return strcmp(a->advisories[0], b->advisories[0]);
}

tx_err supply_check(const supply_db *db, const supply_bom *bom,
		    const char *category, struct supply_report *rep,
		    struct tx_error *err)
{
	struct ck k = { db, rep, 0, err };
	const char *bomcat = supply_bom_category(bom);
	tx_err rc = TX_OK;

	memset(rep, 0, sizeof(*rep));
	rep->components = supply_bom_count(bom);
	for (size_t i = 0; i < supply_bom_count(bom); i++) {
		const struct supply_component *c = supply_bom_component(bom, i);
		struct supply_finding base = { 0 };
		const struct category *cat = NULL;
		const char *cid = c->category;

		/* --category replaces the BOM's own; a component's own
		 * property (not inherited) still wins */
		if (category != NULL && (cid == NULL || cid == bomcat))
			cid = category;
		if (cid != NULL && (cat = supply_category_find(db, cid)) == NULL) {
			rc = tx_error_set(err, TX_ERR_INVALID, "%s: category \"%s\" "
					  "is not on the priority list", c->path,
					  cid);
			goto out;
		}
		eco_tally(db, c, rep);
		base.comp = c;
		base.category = cat ? cat->id : NULL;
		base.tier = cat ? cat->tier : 0;
		if ((rc = check_vulns(&k, c, &base)) != TX_OK)
			goto out;
		if (c->supplier || c->publisher) {
			rc = check_vendor(&k, c->supplier ? c->supplier :
					  c->publisher, SUPPLY_KIND_WATCH_SUPPLIER,
					  &base);
			if (rc != TX_OK)
				goto out;
		}
		if (c->manufacturer &&
		    (rc = check_vendor(&k, c->manufacturer,
				       SUPPLY_KIND_WATCH_MANUFACTURER, &base)))
			goto out;
		if ((rc = check_parts(&k, c, &base)) != TX_OK)
			goto out;
		if ((rc = check_csaf(&k, c, &base)) != TX_OK)
			goto out;
	}
	apply_vex(db, bom, rep);
	eco_loaded(db, rep);
	for (size_t i = 0; i < rep->n_ecosystems; i++)
		rep->eco_unchecked += rep->ecosystems[i].unchecked;
	if (rep->n > 1)
		tx_sort(rep->findings, rep->n, sizeof(rep->findings[0]), finding_cmp);
	for (size_t i = 0; i < rep->n; i++) {
		rep->findings[i].rank = i + 1;
		rep->by_kind[rep->findings[i].kind]++;
		rep->by_severity[rep->findings[i].severity]++;
	}
out:
	return rc;
}

char *supply_eco_warning(const struct supply_eco_summary *e)
{
	char buf[256];
	size_t n = e->unchecked;

	if (n == 0)
		return NULL;
	if (strcmp(e->name, "no purl") == 0)
		snprintf(buf, sizeof(buf), "%zu component%s without a purl (and "
			 "not a device or firmware): no advisory names %s by "
			 "package, %s not checked for vulnerabilities", n,
			 n == 1 ? "" : "s", n == 1 ? "it" : "them",
			 n == 1 ? "it was" : "they were");
	else if (strcmp(e->name, "hardware/firmware") == 0)
		snprintf(buf, sizeof(buf), "%zu device/firmware component%s but no "
			 "CSAF advisories loaded: not checked for vulnerabilities",
			 n, n == 1 ? "" : "s");
	else
		snprintf(buf, sizeof(buf), "%zu %s component%s but no %s advisories "
			 "loaded: not checked for vulnerabilities", n, e->name,
			 n == 1 ? "" : "s", e->name);
	return strdup(buf);
}

void supply_report_free(struct supply_report *rep)
{
	free(rep->findings);
	memset(rep, 0, sizeof(*rep));
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *build_report_json(const struct supply_report *rep)
{
	json_t *root = json_object(), *list = json_array(), *sum = json_object();
	json_t *kinds = json_object(), *sevs = json_object();

	if (!root || !list || !sum || !kinds || !sevs)
		goto fail;
	for (size_t i = 0; i < rep->n; i++) {
		const struct supply_finding *f = &rep->findings[i];
		json_t *ids = json_array();
		json_t *o;

		for (size_t j = 0; ids && j < f->n_advisories; j++)
			json_array_append_new(ids, json_string(f->advisories[j]));
		o = json_pack("{s:{s:s?, s:o, s:o, s:s}, s:s, s:o, s:s, s:o, s:I}",
			      "component", "name", f->comp->name,
			      "version", str_or_null(f->comp->version),
			      "purl", str_or_null(f->comp->purl),
			      "path", f->comp->path,
			      "kind", supply_kind_name(f->kind),
			      "advisories", ids ? ids : json_array(),
			      "severity", supply_severity_name(f->severity),
			      "fixed", str_or_null(f->fixed),
			      "rank", (json_int_t)f->rank);
		if (o != NULL && f->reason != NULL)
			json_object_set_new(o, "reason", json_string(f->reason));
		if (o != NULL && f->product != NULL)
			json_object_set_new(o, "product", json_pack("{s:s, s:s}",
				"name", f->product, "matched_by",
				f->matched_by ? f->matched_by : "?"));
		if (o != NULL && f->remediation != NULL)
			json_object_set_new(o, "remediation",
					    json_string(f->remediation));
		if (o != NULL && f->vex_state != NULL)
			json_object_set_new(o, "vex", json_pack(
				"{s:s, s:o, s:o, s:s, s:b}", "state", f->vex_state,
				"justification", str_or_null(f->vex_justification),
				"detail", str_or_null(f->vex_detail), "source",
				f->vex_source, "cleared", f->vex_cleared));
		if (o == NULL || json_array_append_new(list, o) != 0)
			goto fail;
	}
	for (int k = 0; k < SUPPLY_KIND_COUNT; k++)
		json_object_set_new(kinds, kind_names[k],
				    json_integer((json_int_t)rep->by_kind[k]));
	for (int s = 0; s < SUPPLY_SEV_COUNT; s++)
		json_object_set_new(sevs, sev_names[s],
				    json_integer((json_int_t)rep->by_severity[s]));
	json_object_set_new(sum, "components",
			    json_integer((json_int_t)rep->components));
	json_object_set_new(sum, "findings", json_integer((json_int_t)rep->n));
	json_object_set_new(sum, "by_kind", kinds);
	json_object_set_new(sum, "by_severity", sevs);
	{
		json_t *ecos = json_array(), *warn = json_array();

		for (size_t i = 0; ecos && warn && i < rep->n_ecosystems; i++) {
			const struct supply_eco_summary *e = &rep->ecosystems[i];
			char *w = supply_eco_warning(e);

			json_array_append_new(ecos, json_pack("{s:s, s:I, s:I, s:I}",
				"ecosystem", e->name, "components",
				(json_int_t)e->components, "advisories",
				(json_int_t)e->advisories, "unchecked",
				(json_int_t)e->unchecked));
			if (w != NULL)
				json_array_append_new(warn, json_string(w));
			else if (e->unchecked > 0)
				tx_json_failure_note(); /* lost to ENOMEM */
			free(w);
		}
		json_object_set_new(sum, "ecosystems", ecos ? ecos : json_null());
		json_object_set_new(sum, "warnings", warn ? warn : json_null());
	}
	if (rep->vex_marked > 0)
		json_object_set_new(sum, "vex", json_pack("{s:I, s:I}", "marked",
			(json_int_t)rep->vex_marked, "cleared",
			(json_int_t)rep->vex_cleared));
	json_object_set_new(root, "findings", list);
	json_object_set_new(root, "summary", sum);
	return root;
fail:
	json_decref(root);
	json_decref(list);
	json_decref(sum);
	json_decref(kinds);
	json_decref(sevs);
	return NULL;
}

/* whole or NULL: a finding or a count an unchecked call lost is no report */
json_t *supply_report_json(const struct supply_report *rep)
{
	unsigned long jf = tx_json_failures();

	return tx_json_whole(jf, build_report_json(rep));
}
