/*
 * supply/lists.c: the vendor watch list, the counterfeit and suspect
 * parts list, the KEV catalogue and the equipment priority list.
 *
 * Vendor names are matched on a normal form (lower case, punctuation
 * gone, legal prefixes and suffixes dropped): an entry matches an
 * organisation when its normal form (or an alias's, or a subsidiary's) is
 * a run of whole words of the organisation's normal form. So "Huawei
 * Technologies Co., Ltd." and "Zhejiang Dahua Technology Co., Ltd." match
 * "Huawei Technologies Company" and "Dahua Technology Company", while
 * "Autelan Technology" does not match "Autel Robotics" (a word is never
 * matched by its prefix).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "supply/internal.h"

#define NAME_BUF 512
#define MAX_TOKENS 24
#define CSV_MAX_FIELDS 32

static tx_err nomem(struct tx_error *err)
{
	return tx_error_set(err, TX_ERR_NOMEM, "advisory database: out of memory "
			    "(or past its memory cap)");
}

/* ---- normal forms ---- */

static const char *const legal_suffixes[] = {
	"co", "company", "corp", "corporation", "inc", "incorporated", "ltd",
	"limited", "llc", "plc", "gmbh", "ag", "sa", "srl", "bv", "nv", "kk",
	"pte", "pty", "oy", "ab", "spa", "sas", "lp", "llp", "ltda", "sarl",
	"se", "kg", "gk", "jsc", "pjsc", "ojsc",
};
static const char *const legal_prefixes[] = {
	"ao", "oao", "ooo", "pao", "zao", "jsc", "pjsc", "the",
};

static int in_list(const char *w, size_t n, const char *const *list,
		   size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(list[i]) == n && memcmp(list[i], w, n) == 0)
			return 1;
	return 0;
}

/* Split a normal form into word offsets; returns the count. */
static size_t tokens(const char *s, size_t *start, size_t *len, size_t max)
{
	size_t n = 0, i = 0;

	while (s[i] && n < max) {
		while (s[i] == ' ')
			i++;
		if (!s[i])
			break;
		start[n] = i;
		while (s[i] && s[i] != ' ')
			i++;
		len[n] = i - start[n];
		n++;
	}
	return n;
}

void supply_vendor_normalise(const char *in, char *out, size_t n)
{
	char tmp[NAME_BUF];
	size_t o = 0, st[MAX_TOKENS], ln[MAX_TOKENS], nt, first = 0;

	if (n == 0)
		return;
	out[0] = '\0';
	for (const unsigned char *p = (const unsigned char *)in; *p &&
	     o + 1 < sizeof(tmp); p++) {
		unsigned char c = *p;

		if (c == '.' || c == '\'')
			continue; /* "Co." "S.A." "Macy's": join */
		if (c >= 0x80 || isalnum(c))
			tmp[o++] = (char)tolower(c);
		else if (o > 0 && tmp[o - 1] != ' ')
			tmp[o++] = ' ';
	}
	tmp[o] = '\0';
	nt = tokens(tmp, st, ln, MAX_TOKENS);
	while (nt > 1 && in_list(tmp + st[nt - 1], ln[nt - 1], legal_suffixes,
				 sizeof(legal_suffixes) / sizeof(legal_suffixes[0])))
		nt--;
	while (first + 1 < nt &&
	       in_list(tmp + st[first], ln[first], legal_prefixes,
		       sizeof(legal_prefixes) / sizeof(legal_prefixes[0])))
		first++;
	o = 0;
	for (size_t t = first; t < nt; t++) {
		if (o + ln[t] + 2 > n)
			break;
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, tmp + st[t], ln[t]);
		o += ln[t];
	}
	out[o] = '\0';
}

void supply_part_normalise(const char *in, char *out, size_t n)
{
	size_t o = 0;

	if (n == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < n;
	     p++)
		if (isalnum(*p))
			out[o++] = (char)toupper(*p);
	out[o] = '\0';
}

/* ---- vendors ---- */

/* Aliases we know for names on the FCC Covered List, by normal form. */
static const struct {
	const char *key;
	const char *aliases[4];
} known_aliases[] = {
	{ "huawei technologies", { "Huawei", "HiSilicon" } },
	{ "zte", { "Zhongxing Telecommunication Equipment" } },
	{ "hytera communications", { "Hytera" } },
	{ "hangzhou hikvision digital technology", { "Hikvision", "EZVIZ" } },
	{ "dahua technology", { "Dahua" } },
	{ "kaspersky lab", { "Kaspersky" } },
	{ "china mobile international usa", { "China Mobile International" } },
	{ "china telecom americas", { "China Telecom Americas" } },
	{ "china unicom americas operations", { "China Unicom Americas" } },
	{ "sz dji technology", { "DJI", "Da-Jiang Innovations" } },
	{ "autel robotics", { "Autel Robotics" } },
};

static tx_err index_name(supply_db *db, const char *name, struct vendor *v,
			 struct tx_error *err)
{
	char key[NAME_BUF], *k;

	supply_vendor_normalise(name, key, sizeof(key));
	if (key[0] == '\0')
		return TX_OK;
	if (tx_htab_get(&db->vendors, key) != NULL)
		return TX_OK; /* first entry wins */
	if ((k = tx_arena_strdup(&db->arena, key)) == NULL ||
	    tx_htab_put(&db->vendors, k, v, NULL) != TX_OK)
		return nomem(err);
	return TX_OK;
}

static const char **copy_list(struct tx_arena *a, const char *const *in, size_t n)
{
	const char **out;

	if (n == 0)
		return NULL;
	out = tx_arena_alloc(a, n * sizeof(*out));
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((out[i] = tx_arena_strdup(a, in[i])) == NULL)
			return NULL;
	return out;
}

tx_err supply_vendor_add(supply_db *db, const struct vendor *in, struct tx_error *err)
{
	struct vendor *v;
	char key[NAME_BUF];
	tx_err rc = TX_OK;

	if (tx_htab_get(&db->vendor_names, in->name) != NULL)
		return TX_OK;
	v = tx_arena_alloc(&db->arena, sizeof(*v));
	if (v == NULL)
		return nomem(err);
	v->name = tx_arena_strdup(&db->arena, in->name);
	v->reason = tx_arena_strdup(&db->arena, in->reason);
	v->source = tx_arena_strdup(&db->arena, in->source);
	v->aliases = copy_list(&db->arena, in->aliases, in->n_aliases);
	v->n_aliases = in->n_aliases;
	v->subsidiaries = copy_list(&db->arena, in->subsidiaries, in->n_subsidiaries);
	v->n_subsidiaries = in->n_subsidiaries;
	v->countries = copy_list(&db->arena, in->countries, in->n_countries);
	v->n_countries = in->n_countries;
	if (v->name == NULL || (in->n_aliases && v->aliases == NULL) ||
	    (in->n_subsidiaries && v->subsidiaries == NULL) ||
	    (in->n_countries && v->countries == NULL))
		return nomem(err);
	if (tx_htab_put(&db->vendor_names, v->name, v, NULL) != TX_OK)
		return nomem(err);
	if ((rc = index_name(db, v->name, v, err)) != TX_OK)
		return rc;
	for (size_t i = 0; i < v->n_aliases; i++)
		if ((rc = index_name(db, v->aliases[i], v, err)) != TX_OK)
			return rc;
	for (size_t i = 0; i < v->n_subsidiaries; i++)
		if ((rc = index_name(db, v->subsidiaries[i], v, err)) != TX_OK)
			return rc;
	supply_vendor_normalise(v->name, key, sizeof(key));
	for (size_t i = 0; i < sizeof(known_aliases) / sizeof(known_aliases[0]); i++) {
		if (strcmp(key, known_aliases[i].key) != 0)
			continue;
		for (size_t k = 0; k < 4 && known_aliases[i].aliases[k]; k++)
			if ((rc = index_name(db, known_aliases[i].aliases[k], v,
					     err)) != TX_OK)
				return rc;
	}
	db->counts.vendors++;
	return supply_share_vendor(db, v, err);
}

const struct vendor *supply_vendor_match(const supply_db *db, const char *org)
{
	char norm[NAME_BUF], span[NAME_BUF];
	size_t st[MAX_TOKENS], ln[MAX_TOKENS], nt;

	if (org == NULL || db->vendors.n == 0)
		return NULL;
	supply_vendor_normalise(org, norm, sizeof(norm));
	nt = tokens(norm, st, ln, MAX_TOKENS);
	/* every run of whole words, longest first */
	for (size_t len = nt; len >= 1; len--) {
		for (size_t i = 0; i + len <= nt; i++) {
			size_t a = st[i], b = st[i + len - 1] + ln[i + len - 1];
			const struct vendor *v;

			memcpy(span, norm + a, b - a);
			span[b - a] = '\0';
			if ((v = tx_htab_get(&db->vendors, span)) != NULL)
				return v;
		}
	}
	return NULL;
}

static tx_err bad(struct tx_error *err, const char *name, const char *path,
		  const char *why)
{
	return tx_error_set(err, TX_ERR_INVALID, "%s: %s: %s", name, path, why);
}

/* A list of strings member into a caller array of borrowed pointers. */
static tx_err json_strs(const json_t *obj, const char *key, const char *name,
			const char *path, const char **out, size_t max,
			size_t *n, struct tx_error *err)
{
	const json_t *arr = json_object_get(obj, key), *v;
	char sub[256];
	size_t i;

	*n = 0;
	if (arr == NULL || json_is_null(arr))
		return TX_OK;
	snprintf(sub, sizeof(sub), "%s.%s", path, key);
	if (!json_is_array(arr))
		return bad(err, name, sub, "must be a list of strings");
	if (json_array_size(arr) > max)
		return bad(err, name, sub, "too many entries");
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0) {
			snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, key, i);
			return bad(err, name, sub, "must be a non-empty string");
		}
		out[i] = json_string_value(v);
	}
	*n = json_array_size(arr);
	return TX_OK;
}

#define VENDOR_MAX_NAMES 64

/* One vendor object (our list format, or the STIX extension's). */
static tx_err vendor_from_json(supply_db *db, const json_t *e, const char *name,
			       const char *path, struct tx_error *err)
{
	const char *aliases[VENDOR_MAX_NAMES], *subs[VENDOR_MAX_NAMES],
		*countries[VENDOR_MAX_NAMES];
	struct vendor v = { 0 };
	char sub[256];
	tx_err rc;

	if (!json_is_object(e))
		return bad(err, name, path, "must be an object");
	snprintf(sub, sizeof(sub), "%s.name", path);
	if (supply_jstr(e, "name", &v.name) != 0 || v.name == NULL || v.name[0] == '\0')
		return bad(err, name, sub, "required string missing");
	if (strlen(v.name) >= NAME_BUF)
		return bad(err, name, sub, "too long");
	snprintf(sub, sizeof(sub), "%s.reason", path);
	if (supply_jstr(e, "reason", &v.reason) != 0)
		return bad(err, name, sub, "must be a string");
	snprintf(sub, sizeof(sub), "%s.source", path);
	if (supply_jstr(e, "source", &v.source) != 0)
		return bad(err, name, sub, "must be a string");
	if ((rc = json_strs(e, "aliases", name, path, aliases, VENDOR_MAX_NAMES,
			    &v.n_aliases, err)) != TX_OK ||
	    (rc = json_strs(e, "subsidiaries", name, path, subs, VENDOR_MAX_NAMES,
			    &v.n_subsidiaries, err)) != TX_OK ||
	    (rc = json_strs(e, "countries", name, path, countries,
			    VENDOR_MAX_NAMES, &v.n_countries, err)) != TX_OK)
		return rc;
	v.aliases = aliases;
	v.subsidiaries = subs;
	v.countries = countries;
	return supply_vendor_add(db, &v, err);
}

tx_err supply_vendors_load_json(supply_db *db, const json_t *doc, const char *name,
			 struct tx_error *err)
{
	const json_t *e;
	char path[64];
	size_t i;
	tx_err rc;

	json_array_foreach(json_object_get(doc, "vendors"), i, e) {
		snprintf(path, sizeof(path), "vendors[%zu]", i);
		if ((rc = vendor_from_json(db, e, name, path, err)) != TX_OK)
			return rc;
	}
	return TX_OK;
}

/* Exported for share.c through load_stix: a vendor extension object. */
tx_err supply_vendor_load_ext(supply_db *db, const json_t *ext, const char *name,
		       struct tx_error *err);
tx_err supply_vendor_load_ext(supply_db *db, const json_t *ext, const char *name,
		       struct tx_error *err)
{
	return vendor_from_json(db, ext, name, "vendor", err);
}

/* ---- CSV ---- */

struct csv {
	const char *p, *end;
	int line;
	char *fields[CSV_MAX_FIELDS];
	size_t n;
	char buf[SUPPLY_STR_MAX * 4];
};

/*
 * Read one record (RFC 4180: quotes, doubled quotes, separators and line
 * breaks inside quotes). Returns 1 with a record, 0 at the end, -1 on an
 * error (err filled).
 */
static int csv_next(struct csv *c, char sep, const char *name,
		    struct tx_error *err)
{
	size_t o = 0;
	int quoted = 0, start_line;

	c->n = 0;
	while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
		if (*c->p == '\n')
			c->line++;
		c->p++;
	}
	if (c->p >= c->end)
		return 0;
	start_line = c->line;
	c->fields[c->n++] = c->buf;
	for (;;) {
		char ch;

		if (c->p >= c->end) {
			if (quoted) {
				tx_error_set(err, TX_ERR_INVALID, "%s:%d: unterminated "
					     "quoted field", name, start_line);
				return -1;
			}
			break;
		}
		ch = *c->p++;
		if (o + 2 >= sizeof(c->buf)) {
			tx_error_set(err, TX_ERR_INVALID, "%s:%d: record too long",
				     name, start_line);
			return -1;
		}
		if (quoted) {
			if (ch == '"') {
				if (c->p < c->end && *c->p == '"') {
					c->buf[o++] = '"';
					c->p++;
				} else {
					quoted = 0;
				}
			} else {
				if (ch == '\n')
					c->line++;
				c->buf[o++] = ch;
			}
			continue;
		}
		if (ch == '"') {
			quoted = 1;
		} else if (ch == sep) {
			if (c->n == CSV_MAX_FIELDS) {
				tx_error_set(err, TX_ERR_INVALID, "%s:%d: more than "
					     "%d fields", name, start_line,
					     CSV_MAX_FIELDS);
				return -1;
			}
			c->buf[o++] = '\0';
			c->fields[c->n++] = c->buf + o;
		} else if (ch == '\n') {
			c->line++;
			break;
		} else if (ch == '\r') {
			continue;
		} else if (ch == '\0') {
			tx_error_set(err, TX_ERR_INVALID, "%s:%d: NUL byte", name,
				     start_line);
			return -1;
		} else {
			c->buf[o++] = ch;
		}
	}
	c->buf[o] = '\0';
	/* trim spaces around each field */
	for (size_t i = 0; i < c->n; i++) {
		char *f = c->fields[i];
		size_t l;

		while (*f == ' ' || *f == '\t')
			f++;
		l = strlen(f);
		while (l > 0 && (f[l - 1] == ' ' || f[l - 1] == '\t'))
			f[--l] = '\0';
		c->fields[i] = f;
	}
	return 1;
}

tx_err supply_vendors_load_fcc_csv(supply_db *db, const char *data, size_t len,
			    const char *name, struct tx_error *err)
{
	struct csv *c = calloc(1, sizeof(*c));
	tx_err rc = TX_OK;
	int r, first = 1;

	if (c == NULL)
		return nomem(err);
	c->p = data;
	c->end = data + len;
	c->line = 1;
	while ((r = csv_next(c, ';', name, err)) == 1) {
		struct vendor v = { 0 };
		const char *subs[1];
		char reason[SUPPLY_STR_MAX];
		int line = c->line - 1;

		if (first) {
			first = 0;
			continue; /* the header */
		}
		if (c->n < 3 || c->fields[2][0] == '\0') {
			rc = tx_error_set(err, TX_ERR_INVALID, "%s:%d: Entity Name: "
					  "missing", name, line);
			goto out;
		}
		if (strlen(c->fields[2]) >= NAME_BUF) {
			rc = tx_error_set(err, TX_ERR_INVALID, "%s:%d: Entity Name: "
					  "too long", name, line);
			goto out;
		}
		v.name = c->fields[2];
		snprintf(reason, sizeof(reason), "FCC Covered List (%s): %s",
			 c->fields[1], c->fields[0]);
		v.reason = reason;
		v.source = "FCC Covered List, https://www.fcc.gov/supplychain/coveredlist";
		if (c->n >= 4 && c->fields[3][0] != '\0') {
			subs[0] = c->fields[3];
			v.subsidiaries = subs;
			v.n_subsidiaries = 1;
		}
		v.countries = NULL;
		if ((rc = supply_vendor_add(db, &v, err)) != TX_OK)
			goto out;
	}
	if (r < 0)
		rc = err ? err->code : TX_ERR_INVALID;
out:
	free(c);
	return rc;
}

/* ---- parts ---- */

tx_err supply_part_add(supply_db *db, const struct part *in, struct tx_error *err)
{
	struct part *p;
	char key[NAME_BUF], seen[NAME_BUF * 4];
	void *old = NULL;

	snprintf(seen, sizeof(seen), "%s|%s|%s|%s|%s|%s|%s|%d", in->manufacturer,
		 in->part_number ? in->part_number : "",
		 in->lot_from ? in->lot_from : "", in->lot_to ? in->lot_to : "",
		 in->date_from ? in->date_from : "", in->date_to ? in->date_to : "",
		 in->hash ? in->hash : "", (int)in->status);
	if (tx_htab_get(&db->parts_seen, seen) != NULL)
		return TX_OK;
	p = tx_arena_alloc(&db->arena, sizeof(*p));
	if (p == NULL)
		return nomem(err);
	*p = *in;
	p->next = p->next_hash = NULL;
	p->manufacturer = tx_arena_strdup(&db->arena, in->manufacturer);
	p->part_number = tx_arena_strdup(&db->arena, in->part_number);
	p->lot_from = tx_arena_strdup(&db->arena, in->lot_from);
	p->lot_to = tx_arena_strdup(&db->arena, in->lot_to);
	p->date_from = tx_arena_strdup(&db->arena, in->date_from);
	p->date_to = tx_arena_strdup(&db->arena, in->date_to);
	p->reason = tx_arena_strdup(&db->arena, in->reason);
	p->source = tx_arena_strdup(&db->arena, in->source);
	supply_vendor_normalise(in->manufacturer, key, sizeof(key));
	p->mfr_key = tx_arena_strdup(&db->arena, key);
	if (p->manufacturer == NULL || p->mfr_key == NULL)
		return nomem(err);
	if (in->hash != NULL) {
		char h[160];
		size_t i;

		for (i = 0; in->hash[i] && i + 1 < sizeof(h); i++)
			h[i] = (char)tolower((unsigned char)in->hash[i]);
		h[i] = '\0';
		if ((p->hash = tx_arena_strdup(&db->arena, h)) == NULL ||
		    tx_htab_put(&db->parts_hash, p->hash, p, &old) != TX_OK)
			return nomem(err);
		p->next_hash = old;
	}
	if (in->part_number != NULL) {
		supply_part_normalise(in->part_number, key, sizeof(key));
		if ((p->pn_key = tx_arena_strdup(&db->arena, key)) == NULL ||
		    tx_htab_put(&db->parts_pn, p->pn_key, p, &old) != TX_OK)
			return nomem(err);
		p->next = old;
	}
	{
		char *k = tx_arena_strdup(&db->arena, seen);
		if (k == NULL || tx_htab_put(&db->parts_seen, k, p, NULL) != TX_OK)
			return nomem(err);
	}
	db->counts.parts++;
	return supply_share_part(db, p, err);
}

static int is_hex(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]))
			return 0;
	return n >= 32 && n <= 128;
}

/* Check and add one part given as field strings (NULL or "" = absent). */
static tx_err part_from_fields(supply_db *db, const char *const f[10],
			       const char *where, struct tx_error *err)
{
	/* manufacturer, part_number, lot_from, lot_to, date_code_from,
	 * date_code_to, hash, status, reason, source */
	struct part p = { 0 };
	const char *v[10];

	for (int i = 0; i < 10; i++) {
		v[i] = f[i] && f[i][0] ? f[i] : NULL;
		if (v[i] && strlen(v[i]) >= NAME_BUF && i != 8)
			return tx_error_set(err, TX_ERR_INVALID, "%s: field %d too "
					    "long", where, i + 1);
	}
	if (v[0] == NULL)
		return tx_error_set(err, TX_ERR_INVALID, "%s: manufacturer: "
				    "required", where);
	if (v[1] == NULL && v[6] == NULL)
		return tx_error_set(err, TX_ERR_INVALID, "%s: part_number: "
				    "required (or a hash)", where);
	if (v[7] == NULL || strcasecmp(v[7], "counterfeit") == 0)
		p.status = PART_COUNTERFEIT;
	else if (strcasecmp(v[7], "suspect") == 0)
		p.status = PART_SUSPECT;
	else
		return tx_error_set(err, TX_ERR_INVALID, "%s: status: \"%s\" is "
				    "not counterfeit or suspect", where, v[7]);
	if ((v[2] == NULL) != (v[3] == NULL))
		return tx_error_set(err, TX_ERR_INVALID, "%s: lot_from and lot_to:"
				    " give both or neither", where);
	if ((v[4] == NULL) != (v[5] == NULL))
		return tx_error_set(err, TX_ERR_INVALID, "%s: date_code_from and "
				    "date_code_to: give both or neither", where);
	for (int i = 4; i <= 5; i++) {
		if (v[i] && (strlen(v[i]) != 4 || strspn(v[i], "0123456789") != 4))
			return tx_error_set(err, TX_ERR_INVALID, "%s: %s: not a "
					    "YYWW date code", where,
					    i == 4 ? "date_code_from" : "date_code_to");
	}
	if (v[6] && !is_hex(v[6]))
		return tx_error_set(err, TX_ERR_INVALID, "%s: hash: not a hex "
				    "digest", where);
	p.manufacturer = v[0];
	p.part_number = v[1];
	p.lot_from = v[2];
	p.lot_to = v[3];
	p.date_from = v[4];
	p.date_to = v[5];
	p.hash = v[6];
	p.reason = v[8];
	p.source = v[9];
	return supply_part_add(db, &p, err);
}

static const char *const part_columns[10] = {
	"manufacturer", "part_number", "lot_from", "lot_to", "date_code_from",
	"date_code_to", "hash", "status", "reason", "source",
};

tx_err supply_parts_load_csv(supply_db *db, const char *data, size_t len,
		      const char *name, struct tx_error *err)
{
	struct csv *c = calloc(1, sizeof(*c));
	int col[10], r;
	tx_err rc = TX_OK;

	if (c == NULL)
		return nomem(err);
	c->p = data;
	c->end = data + len;
	c->line = 1;
	r = csv_next(c, ',', name, err);
	if (r <= 0) {
		rc = r < 0 ? TX_ERR_INVALID :
		     tx_error_set(err, TX_ERR_INVALID, "%s: empty parts list", name);
		goto out;
	}
	for (int k = 0; k < 10; k++) {
		col[k] = -1;
		for (size_t i = 0; i < c->n; i++)
			if (strcasecmp(c->fields[i], part_columns[k]) == 0 ||
			    (k == 6 && strcasecmp(c->fields[i], "sha256") == 0))
				col[k] = (int)i;
	}
	if (col[0] < 0 || (col[1] < 0 && col[6] < 0)) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s:1: the header needs "
				  "manufacturer and part_number (or hash) columns",
				  name);
		goto out;
	}
	while ((r = csv_next(c, ',', name, err)) == 1) {
		const char *f[10];
		char where[600];

		snprintf(where, sizeof(where), "%s:%d", name, c->line - 1);
		for (int k = 0; k < 10; k++)
			f[k] = col[k] >= 0 && (size_t)col[k] < c->n ?
			       c->fields[col[k]] : NULL;
		if ((rc = part_from_fields(db, f, where, err)) != TX_OK)
			goto out;
	}
	if (r < 0)
		rc = TX_ERR_INVALID;
out:
	free(c);
	return rc;
}

static tx_err part_from_json(supply_db *db, const json_t *e, const char *where,
			     struct tx_error *err)
{
	const char *f[10];

	if (!json_is_object(e))
		return tx_error_set(err, TX_ERR_INVALID, "%s: must be an object",
				    where);
	for (int k = 0; k < 10; k++) {
		if (supply_jstr(e, part_columns[k], &f[k]) != 0)
			return tx_error_set(err, TX_ERR_INVALID, "%s.%s: must be a "
					    "string", where, part_columns[k]);
	}
	/* "lot" and "date_code": one exact value */
	{
		const char *lot, *dc;
		if (supply_jstr(e, "lot", &lot) != 0 || supply_jstr(e, "date_code", &dc) != 0)
			return tx_error_set(err, TX_ERR_INVALID, "%s.lot: must be "
					    "a string", where);
		if (lot && !f[2] && !f[3])
			f[2] = f[3] = lot;
		if (dc && !f[4] && !f[5])
			f[4] = f[5] = dc;
	}
	return part_from_fields(db, f, where, err);
}

tx_err supply_parts_load_json(supply_db *db, const json_t *doc, const char *name,
		       struct tx_error *err)
{
	const json_t *e;
	char where[600];
	size_t i;
	tx_err rc;

	json_array_foreach(json_object_get(doc, "parts"), i, e) {
		snprintf(where, sizeof(where), "%s: parts[%zu]", name, i);
		if ((rc = part_from_json(db, e, where, err)) != TX_OK)
			return rc;
	}
	return TX_OK;
}

tx_err supply_part_load_ext(supply_db *db, const json_t *ext, const char *name,
		     struct tx_error *err);
tx_err supply_part_load_ext(supply_db *db, const json_t *ext, const char *name,
		     struct tx_error *err)
{
	char where[600];

	snprintf(where, sizeof(where), "%s: part", name);
	return part_from_json(db, ext, where, err);
}

/* ---- KEV ---- */

tx_err supply_kev_add(supply_db *db, const struct kev_entry *in, struct tx_error *err)
{
	struct kev_entry *k;

	if (tx_htab_get(&db->kev, in->cve) != NULL)
		return TX_OK;
	k = tx_arena_alloc(&db->arena, sizeof(*k));
	if (k == NULL)
		return nomem(err);
	k->cve = tx_arena_strdup(&db->arena, in->cve);
	k->vendor = tx_arena_strdup(&db->arena, in->vendor);
	k->product = tx_arena_strdup(&db->arena, in->product);
	k->date_added = tx_arena_strdup(&db->arena, in->date_added);
	k->ransomware = tx_arena_strdup(&db->arena, in->ransomware);
	if (k->cve == NULL || tx_htab_put(&db->kev, k->cve, k, NULL) != TX_OK)
		return nomem(err);
	db->counts.kev++;
	return supply_share_kev(db, k, err);
}

tx_err supply_kev_entry_from_json(const json_t *e, struct kev_entry *k,
			   const char *where, struct tx_error *err);
tx_err supply_kev_entry_from_json(const json_t *e, struct kev_entry *k,
			   const char *where, struct tx_error *err)
{
	memset(k, 0, sizeof(*k));
	if (!json_is_object(e))
		return tx_error_set(err, TX_ERR_INVALID, "%s: must be an object",
				    where);
	if (supply_jstr(e, "cveID", &k->cve) != 0 || k->cve == NULL ||
	    strncmp(k->cve, "CVE-", 4) != 0 || strlen(k->cve) > 64)
		return tx_error_set(err, TX_ERR_INVALID, "%s.cveID: not a CVE id",
				    where);
	if (supply_jstr(e, "vendorProject", &k->vendor) != 0 ||
	    supply_jstr(e, "product", &k->product) != 0 ||
	    supply_jstr(e, "dateAdded", &k->date_added) != 0 ||
	    supply_jstr(e, "knownRansomwareCampaignUse", &k->ransomware) != 0)
		return tx_error_set(err, TX_ERR_INVALID, "%s: vendorProject, "
				    "product, dateAdded and "
				    "knownRansomwareCampaignUse must be strings",
				    where);
	return TX_OK;
}

tx_err supply_kev_load(supply_db *db, const json_t *doc, const char *name,
		struct tx_error *err)
{
	const json_t *list = json_object_get(doc, "vulnerabilities"), *e;
	char where[600];
	size_t i;
	tx_err rc;

	if (!json_is_array(list))
		return tx_error_set(err, TX_ERR_INVALID, "%s: vulnerabilities: "
				    "must be a list", name);
	json_array_foreach(list, i, e) {
		struct kev_entry k;

		snprintf(where, sizeof(where), "%s: vulnerabilities[%zu]", name, i);
		if ((rc = supply_kev_entry_from_json(e, &k, where, err)) != TX_OK ||
		    (rc = supply_kev_add(db, &k, err)) != TX_OK)
			return rc;
	}
	return TX_OK;
}

/* ---- priority list ---- */

tx_err supply_priority_load(supply_db *db, const json_t *doc, const char *name,
		     struct tx_error *err)
{
	const json_t *list = json_object_get(doc, "categories"), *e;
	struct category cats[SUPPLY_MAX_CATEGORIES];
	size_t i, n = 0;

	if (json_array_size(list) == 0)
		return tx_error_set(err, TX_ERR_INVALID, "%s: categories: must be "
				    "a non-empty list", name);
	if (json_array_size(list) > SUPPLY_MAX_CATEGORIES)
		return tx_error_set(err, TX_ERR_INVALID, "%s: categories: more "
				    "than %d", name, SUPPLY_MAX_CATEGORIES);
	json_array_foreach(list, i, e) {
		const char *id, *cname;
		json_int_t tier;

		if (!json_is_object(e))
			return tx_error_set(err, TX_ERR_INVALID, "%s: categories[%zu]:"
					    " must be an object", name, i);
		if (supply_jstr(e, "id", &id) != 0 || id == NULL || id[0] == '\0' ||
		    strlen(id) > 64)
			return tx_error_set(err, TX_ERR_INVALID, "%s: categories[%zu]"
					    ".id: required string (1-64)", name, i);
		if (supply_jstr(e, "name", &cname) != 0)
			return tx_error_set(err, TX_ERR_INVALID, "%s: categories[%zu]"
					    ".name: must be a string", name, i);
		if (!json_is_integer(json_object_get(e, "tier")) ||
		    (tier = json_integer_value(json_object_get(e, "tier"))) < 1 ||
		    tier > 9)
			return tx_error_set(err, TX_ERR_INVALID, "%s: categories[%zu]"
					    ".tier: must be an integer 1-9", name, i);
		for (size_t k = 0; k < n; k++)
			if (strcmp(cats[k].id, id) == 0)
				return tx_error_set(err, TX_ERR_INVALID, "%s: "
						    "categories[%zu].id: \"%s\" "
						    "given twice", name, i, id);
		cats[n].id = tx_arena_strdup(&db->arena, id);
		cats[n].name = tx_arena_strdup(&db->arena, cname ? cname : id);
		cats[n].tier = (int)tier;
		if (cats[n].id == NULL || cats[n].name == NULL)
			return nomem(err);
		n++;
	}
	memcpy(db->cats, cats, n * sizeof(cats[0]));
	db->n_cats = n;
	db->cats_loaded = 1;
	return supply_share_priority(db, err);
}
