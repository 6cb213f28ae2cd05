/*
 * sensor/export.c: indicators as what sensors load: Suricata datasets,
 * rules and IP reputation, a Zeek Intel file, CSV and plain IOC lists.
 *
 * Only an indicator whose pattern is an OR of '=' and IN comparisons
 * (pattern_equalities) gives entries; any other is skipped with the
 * reason. Each value is checked and normalised for its type (an IPv4
 * address must parse, a hash must be hex of its length, names are lower
 * case); a value a sensor could not use, or that a warning list holds,
 * is skipped with the reason too. Entries are kept sorted by type and
 * value, so that the same indicators always give the same bytes (the
 * HTTPS export's ETag depends on it) and Suricata's sids stay put.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sensor/sensor.h"

struct ind {
	char *id, *name, *source, *tlp;
	int64_t confidence;
};

struct entry {
	enum sensor_ioc_type type;
	uint32_t ind;
	char *value;
};

struct skip {
	uint32_t ind;
	char *value;          /* NULL: the whole indicator */
	const char *reason;   /* static, or owned when owned_reason */
	char *owned_reason;
	unsigned formats;     /* bit per format the skip is for; ~0: all */
};

struct sensor_export {
	struct sensor_export_opts o;
	struct ind *inds;
	size_t n_inds, cap_inds;
	struct entry *entries;
	size_t n_entries, cap_entries;
	struct skip *skips;
	size_t n_skips, cap_skips;
	int sorted;
	size_t n_warned;
};

static const struct {
	const char *name;     /* the iocs heading and CSV type */
	const char *zeek;     /* Intel:: type, NULL: none */
	int suricata;         /* whether a Suricata file takes it */
} types[] = {
	[SENSOR_IOC_IPV4] = { "ipv4-addr", "Intel::ADDR", 1 },
	[SENSOR_IOC_IPV6] = { "ipv6-addr", "Intel::ADDR", 1 },
	[SENSOR_IOC_NET4] = { "ipv4-net", "Intel::SUBNET", 1 },
	[SENSOR_IOC_NET6] = { "ipv6-net", "Intel::SUBNET", 1 },
	[SENSOR_IOC_DOMAIN] = { "domain-name", "Intel::DOMAIN", 1 },
	[SENSOR_IOC_URL] = { "url", "Intel::URL", 1 },
	[SENSOR_IOC_EMAIL] = { "email-addr", "Intel::EMAIL", 0 },
	[SENSOR_IOC_MD5] = { "md5", "Intel::FILE_HASH", 1 },
	[SENSOR_IOC_SHA1] = { "sha1", "Intel::FILE_HASH", 0 },
	[SENSOR_IOC_SHA256] = { "sha256", "Intel::FILE_HASH", 1 },
	[SENSOR_IOC_FILENAME] = { "file-name", "Intel::FILE_NAME", 0 },
	[SENSOR_IOC_CVE] = { "cve", NULL, 0 },
	[SENSOR_IOC_ATTACK] = { "attack-pattern", NULL, 0 },
};

const char *sensor_ioc_type_name(enum sensor_ioc_type t)
{
	return t < SENSOR_IOC_N_TYPES ? types[t].name : "?";
}

tx_err sensor_export_new(const struct sensor_export_opts *o, sensor_export **out)
{
	sensor_export *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return TX_ERR_NOMEM;
	if (o)
		e->o = *o;
	if (e->o.sid_base == 0)
		e->o.sid_base = SENSOR_EXPORT_SID_BASE;
	*out = e;
	return TX_OK;
}

void sensor_export_free(sensor_export *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n_inds; i++) {
		free(e->inds[i].id);
		free(e->inds[i].name);
		free(e->inds[i].source);
		free(e->inds[i].tlp);
	}
	for (size_t i = 0; i < e->n_entries; i++)
		free(e->entries[i].value);
	for (size_t i = 0; i < e->n_skips; i++) {
		free(e->skips[i].value);
		free(e->skips[i].owned_reason);
	}
	free(e->inds);
	free(e->entries);
	free(e->skips);
	free(e);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 256;
	void *nv = realloc(*v, nc * size);
	if (nv == NULL)
		return -1;
	*v = nv;
	*cap = nc;
	return 0;
}

static int add_skip(sensor_export *e, uint32_t ind, const char *value, size_t len,
		    const char *reason, const char *owned, unsigned formats)
{
	struct skip *s;

	if (grow((void **)&e->skips, &e->cap_skips, e->n_skips, sizeof(*s)) != 0)
		return -1;
	s = &e->skips[e->n_skips];
	memset(s, 0, sizeof(*s));
	s->ind = ind;
	s->reason = reason;
	s->formats = formats;
	if (value && (s->value = strndup(value, len)) == NULL)
		return -1;
	if (owned && (s->owned_reason = strdup(owned)) == NULL) {
		free(s->value);
		return -1;
	}
	e->n_skips++;
	return 0;
}

static int is_hex(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)v[i]))
			return 0;
	return 1;
}

/* A name a sensor can compare: letters, digits, '-', '_', '.', no
 * leading or doubled dot, at most 253 bytes. */
static int good_name(const char *v, size_t len)
{
	if (len == 0 || len > 253 || v[0] == '.' || v[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (!(isalnum(c) || c == '-' || c == '_' || c == '.' || c >= 0x80))
			return 0;
		if (c == '.' && i + 1 < len && v[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* Any byte a line-based file cannot hold (control characters). */
static int has_control(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 1;
	return 0;
}

/*
 * The type of value v at path, normalised into out (lower case where
 * case does not matter); SENSOR_IOC_N_TYPES with *why when no sensor type
 * takes it.
 */
static enum sensor_ioc_type classify(const char *path, size_t plen, const char *v,
				     size_t len, char *out, size_t outsz,
				     const char **why)
{
#define PATH_IS(s) (plen == sizeof(s) - 1 && memcmp(path, s, plen) == 0)
	char buf[128];
	unsigned char addr[16];

	*why = NULL;
	if (len == 0 || len >= outsz) {
		*why = len ? "longer than a sensor takes" : "an empty value";
		return SENSOR_IOC_N_TYPES;
	}
	if (has_control(v, len)) {
		*why = "a value with control characters";
		return SENSOR_IOC_N_TYPES;
	}
	memcpy(out, v, len);
	out[len] = '\0';
	if (PATH_IS("ipv4-addr:value") || PATH_IS("ipv6-addr:value")) {
		int six = path[3] == '6';
		const char *slash = memchr(v, '/', len);
		size_t alen = slash ? (size_t)(slash - v) : len;
		int64_t prefix = six ? 128 : 32;
		if (alen >= sizeof(buf))
			goto bad_ip;
		memcpy(buf, v, alen);
		buf[alen] = '\0';
		if (inet_pton(six ? AF_INET6 : AF_INET, buf, addr) != 1)
			goto bad_ip;
		if (slash && tx_parse_int64(slash + 1, 0, six ? 128 : 32, &prefix) != TX_OK)
			goto bad_ip;
		/* written back the canonical way: a sensor compares text */
		if (inet_ntop(six ? AF_INET6 : AF_INET, addr, out, (socklen_t)outsz) == NULL)
			goto bad_ip;
		if (prefix == (six ? 128 : 32))
			return six ? SENSOR_IOC_IPV6 : SENSOR_IOC_IPV4;
		size_t n = strlen(out);
		snprintf(out + n, outsz - n, "/%d", (int)prefix);
		return six ? SENSOR_IOC_NET6 : SENSOR_IOC_NET4;
	bad_ip:
		*why = six ? "not an IPv6 address or CIDR" : "not an IPv4 address or CIDR";
		return SENSOR_IOC_N_TYPES;
	}
	if (PATH_IS("domain-name:value")) {
		while (len > 1 && out[len - 1] == '.')
			out[--len] = '\0';
		if (!good_name(out, len)) {
			*why = "not a domain name";
			return SENSOR_IOC_N_TYPES;
		}
		for (size_t i = 0; i < len; i++)
			out[i] = (char)tolower((unsigned char)out[i]);
		return SENSOR_IOC_DOMAIN;
	}
	if (PATH_IS("url:value")) {
		if (strncasecmp(out, "http://", 7) != 0 && strncasecmp(out, "https://", 8) != 0) {
			*why = "a URL that is not http:// or https://";
			return SENSOR_IOC_N_TYPES;
		}
		if (strchr(out, ' ') != NULL) {
			*why = "a URL with a space";
			return SENSOR_IOC_N_TYPES;
		}
		return SENSOR_IOC_URL;
	}
	if (PATH_IS("email-addr:value") || PATH_IS("email-message:from_ref.value") ||
	    PATH_IS("email-message:sender_ref.value")) {
		const char *at = memchr(out, '@', len);
		if (at == NULL || at == out || !good_name(at + 1, len - (size_t)(at + 1 - out)) ||
		    strchr(out, ' ') || strchr(out, ',')) {
			*why = "not an e-mail address";
			return SENSOR_IOC_N_TYPES;
		}
		for (size_t i = 0; i < len; i++)
			out[i] = (char)tolower((unsigned char)out[i]);
		return SENSOR_IOC_EMAIL;
	}
	if (plen > 12 && memcmp(path, "file:hashes.", 12) == 0) {
		const char *h = path + 12;
		size_t hl = plen - 12;
		enum sensor_ioc_type t = SENSOR_IOC_N_TYPES;
		size_t want = 0;
		if (hl == 3 && memcmp(h, "MD5", 3) == 0)
			t = SENSOR_IOC_MD5, want = 32;
		else if (hl == 7 && memcmp(h, "'SHA-1'", 7) == 0)
			t = SENSOR_IOC_SHA1, want = 40;
		else if (hl == 9 && memcmp(h, "'SHA-256'", 9) == 0)
			t = SENSOR_IOC_SHA256, want = 64;
		if (t == SENSOR_IOC_N_TYPES) {
			*why = "a hash other than MD5, SHA-1 and SHA-256";
			return t;
		}
		if (len != want || !is_hex(out, len)) {
			*why = "not a hash of its type (hex digits of its length)";
			return SENSOR_IOC_N_TYPES;
		}
		for (size_t i = 0; i < len; i++)
			out[i] = (char)tolower((unsigned char)out[i]);
		return t;
	}
	if (PATH_IS("file:name")) {
		if (strchr(out, '\t')) {
			*why = "a file name with a tab";
			return SENSOR_IOC_N_TYPES;
		}
		return SENSOR_IOC_FILENAME;
	}
	*why = "no sensor type for this path";
	return SENSOR_IOC_N_TYPES;
#undef PATH_IS
}

struct add_ctx {
	sensor_export *e;
	uint32_t ind;
	int nomem;
	size_t n_values;
};

static enum sensor_warn_kind warn_kind(enum sensor_ioc_type t)
{
	switch (t) {
	case SENSOR_IOC_IPV4: case SENSOR_IOC_IPV6:
	case SENSOR_IOC_NET4: case SENSOR_IOC_NET6:
		return SENSOR_WARN_IP;
	case SENSOR_IOC_DOMAIN:
		return SENSOR_WARN_DOMAIN;
	case SENSOR_IOC_URL:
		return SENSOR_WARN_URL;
	case SENSOR_IOC_EMAIL:
		return SENSOR_WARN_EMAIL;
	case SENSOR_IOC_MD5: case SENSOR_IOC_SHA1: case SENSOR_IOC_SHA256:
		return SENSOR_WARN_HASH;
	default:
		return SENSOR_WARN_NONE;
	}
}

static int add_value(void *vctx, const char *path, size_t plen, const char *v,
		     size_t len)
{
	struct add_ctx *c = vctx;
	sensor_export *e = c->e;
	char norm[SENSOR_EXPORT_VALUE_MAX + 1];
	const char *why, *names[4];
	enum sensor_ioc_type t = classify(path, plen, v, len, norm, sizeof(norm), &why);
	size_t n;

	c->n_values++;
	if (t == SENSOR_IOC_N_TYPES) {
		if (add_skip(e, c->ind, v, len, why, NULL, ~0u) != 0)
			return c->nomem = 1;
		return 0;
	}
	if (e->o.warn && (n = sensor_warn_check(e->o.warn, warn_kind(t), norm,
						strlen(norm), names, 4)) > 0 &&
	    !e->o.include_warned) {
		char reason[SENSOR_WARN_NAME_MAX + 32];
		snprintf(reason, sizeof(reason), "on the warning list \"%s\"", names[0]);
		e->n_warned++;
		if (add_skip(e, c->ind, norm, strlen(norm), NULL, reason, ~0u) != 0)
			return c->nomem = 1;
		return 0;
	}
	if (grow((void **)&e->entries, &e->cap_entries, e->n_entries,
		 sizeof(*e->entries)) != 0)
		return c->nomem = 1;
	struct entry *en = &e->entries[e->n_entries];
	en->type = t;
	en->ind = c->ind;
	if ((en->value = strdup(norm)) == NULL)
		return c->nomem = 1;
	e->n_entries++;
	e->sorted = 0;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

tx_err sensor_export_add(sensor_export *e, const struct sensor_export_ind *in,
			 struct tx_error *err)
{
	struct add_ctx c = { .e = e };
	struct tx_error perr = { 0 };
	pattern *p = NULL;
	struct ind *x;
	tx_err rc;

	if (e->n_inds >= UINT32_MAX - 1)
		return tx_error_set(err, TX_ERR_TOOBIG, "too many indicators");
	if (grow((void **)&e->inds, &e->cap_inds, e->n_inds, sizeof(*e->inds)) != 0)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	x = &e->inds[e->n_inds];
	memset(x, 0, sizeof(*x));
	x->id = strdup(in->id);
	x->name = dup_or_null(in->name);
	x->source = dup_or_null(in->source);
	x->tlp = dup_or_null(in->tlp);
	x->confidence = in->confidence;
	if (x->id == NULL || (in->name && !x->name) || (in->source && !x->source) ||
	    (in->tlp && !x->tlp)) {
		free(x->id);
		free(x->name);
		free(x->source);
		free(x->tlp);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	c.ind = (uint32_t)e->n_inds++;
	rc = pattern_parse(in->pattern, strlen(in->pattern), &p, &perr);
	if (rc == TX_ERR_NOMEM)
		return tx_error_set(err, rc, "out of memory");
	if (rc != TX_OK) {
		char reason[TX_ERROR_MSG_MAX + 16];
		snprintf(reason, sizeof(reason), "pattern: %s", perr.msg);
		return add_skip(e, c.ind, NULL, 0, NULL, reason, ~0u) == 0 ? TX_OK
		       : tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	/* entries only from a pattern that is all equalities: values taken
	 * before a refusal are dropped again */
	size_t first_entry = e->n_entries, first_skip = e->n_skips;
	rc = pattern_equalities(p, add_value, &c, &perr);
	pattern_free(p);
	if (c.nomem)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if (rc != TX_OK) {
		for (size_t i = first_entry; i < e->n_entries; i++)
			free(e->entries[i].value);
		e->n_entries = first_entry;
		for (size_t i = first_skip; i < e->n_skips; i++) {
			free(e->skips[i].value);
			free(e->skips[i].owned_reason);
		}
		e->n_skips = first_skip;
		if (rc == TX_ERR_NOMEM)
			return tx_error_set(err, rc, "out of memory");
		char reason[TX_ERROR_MSG_MAX + 64];
		snprintf(reason, sizeof(reason), "not a single value, IN list or OR of"
			 " them: %s", perr.msg);
		return add_skip(e, c.ind, NULL, 0, NULL, reason, ~0u) == 0 ? TX_OK
		       : tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	return TX_OK;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if ((c = strcmp(x->value, y->value)) != 0)
		return c;
	return x->ind < y->ind ? -1 : x->ind > y->ind;
}

static void sort(sensor_export *e)
{
	if (!e->sorted) {
		tx_sort(e->entries, e->n_entries, sizeof(*e->entries), cmp_entry);
		e->sorted = 1;
	}
}

/* ---- writers ---- */

static tx_err b64(struct tx_buf *b, const char *s, size_t len)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	tx_err rc = TX_OK;

	for (size_t i = 0; i < len && rc == TX_OK; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)s[i + 2];
		q[0] = al[(v >> 18) & 63];
		q[1] = al[(v >> 12) & 63];
		q[2] = i + 1 < len ? al[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? al[v & 63] : '=';
		rc = tx_buf_append(b, q, 4);
	}
	return rc;
}

/* Whether entry i has the same type and value as the one before it. */
static int dup_of_prev(const sensor_export *e, size_t i)
{
	return i > 0 && e->entries[i - 1].type == e->entries[i].type &&
	       strcmp(e->entries[i - 1].value, e->entries[i].value) == 0;
}

/* A URL that a sensor sees whole: http only (of https it sees no path). */
static int http_url(const char *v)
{
	return strncasecmp(v, "http://", 7) == 0;
}

struct suri_set {
	const char *file, *dataset, *dtype;
	int (*takes)(enum sensor_ioc_type t, const char *v);
};

static int takes_ip(enum sensor_ioc_type t, const char *v)
{
	return t == SENSOR_IOC_IPV4 || t == SENSOR_IOC_IPV6;
}

static int takes_domain(enum sensor_ioc_type t, const char *v)
{
	return t == SENSOR_IOC_DOMAIN;
}

static int takes_md5(enum sensor_ioc_type t, const char *v)
{
	return t == SENSOR_IOC_MD5;
}

static int takes_sha256(enum sensor_ioc_type t, const char *v)
{
	return t == SENSOR_IOC_SHA256;
}

static const struct suri_set suri_sets[] = {
	{ "trilex-ip.lst", "trilex-ip", "ip", takes_ip },
	{ "trilex-domains.lst", "trilex-domains", "string", takes_domain },
	{ "trilex-md5.lst", "trilex-md5", "md5", takes_md5 },
	{ "trilex-sha256.lst", "trilex-sha256", "sha256", takes_sha256 },
};

/* The fixed rules: one per dataset and direction (or protocol field). */
static const struct {
	unsigned sid;          /* offset from the sid base */
	const char *proto, *dir, *msg, *buffer;
	size_t set;            /* suri_sets[] */
	int filehash;          /* filemd5/filesha256 over the list file */
} suri_rules[] = {
	{ 1, "ip", "any any -> any any", "source address on a trilex list", "ip.src", 0, 0 },
	{ 2, "ip", "any any -> any any", "destination address on a trilex list", "ip.dst", 0, 0 },
	{ 3, "dns", "any any -> any any", "DNS query for a name on a trilex list", "dns.query", 1, 0 },
	{ 4, "tls", "any any -> any any", "TLS SNI of a name on a trilex list", "tls.sni", 1, 0 },
	{ 5, "http", "any any -> any any", "HTTP host of a name on a trilex list", "http.host", 1, 0 },
	{ 6, "http", "any any -> any any", "file whose MD5 is on a trilex list", "filemd5", 2, 1 },
	{ 7, "http", "any any -> any any", "file whose SHA-256 is on a trilex list", "filesha256", 3, 1 },
};

static tx_err suri_dataset(sensor_export *e, const struct suri_set *s, struct tx_buf *b)
{
	tx_err rc = TX_OK;

	for (size_t i = 0; i < e->n_entries && rc == TX_OK; i++) {
		const struct entry *en = &e->entries[i];
		if (!s->takes(en->type, en->value) || dup_of_prev(e, i))
			continue;
		/* string sets are loaded base64-encoded, one a line */
		if (strcmp(s->dtype, "string") == 0)
			rc = b64(b, en->value, strlen(en->value));
		else
			rc = tx_buf_puts(b, en->value);
		if (rc == TX_OK)
			rc = tx_buf_append(b, "\n", 1);
	}
	return rc;
}

/* core's FNV-1a (the SIDs it picks depend on it: the same hash as ever) */
static uint64_t fnv(const char *s)
{
	return tx_hash64(TX_HASH64_INIT, s, strlen(s));
}

/* A Suricata content string: '"', ';', '\' and bytes outside printable
 * ASCII written |hh|. */
static tx_err content(struct tx_buf *b, const char *s, size_t len)
{
	tx_err rc = TX_OK;

	for (size_t i = 0; i < len && rc == TX_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == ';' || c == '\\' || c == '|' || c < 0x20 || c >= 0x7f)
			rc = tx_buf_printf(b, "|%02x|", c);
		else
			rc = tx_buf_append(b, &s[i], 1);
	}
	return rc;
}

static tx_err suri_rules_file(sensor_export *e, struct tx_buf *b)
{
	uint32_t base = e->o.sid_base;
	tx_err rc = TX_OK;
	size_t counts[4] = { 0 };
	uint8_t *used = NULL;

	for (size_t i = 0; i < e->n_entries; i++)
		for (size_t s = 0; s < 4; s++)
			if (suri_sets[s].takes(e->entries[i].type, e->entries[i].value) &&
			    !dup_of_prev(e, i))
				counts[s]++;
	rc = tx_buf_printf(b, "# trilex: rules over the datasets of this export (sids %u-%u"
			   " fixed; http URL rules from %u, by the URL)\n", base + 1, base + 7,
			   base + SENSOR_EXPORT_URL_SID_OFFSET);
	for (size_t r = 0; r < sizeof(suri_rules) / sizeof(suri_rules[0]) && rc == TX_OK; r++) {
		const struct suri_set *s = &suri_sets[suri_rules[r].set];
		if (counts[suri_rules[r].set] == 0)
			continue; /* an empty dataset does not load */
		if (suri_rules[r].filehash)
			rc = tx_buf_printf(b, "alert %s %s (msg:\"trilex: %s\"; %s:%s; sid:%u;"
					   " rev:1; metadata:trilex_list %s, trilex_entries %zu,"
					   " trilex_map trilex-indicators.tsv;)\n",
					   suri_rules[r].proto, suri_rules[r].dir, suri_rules[r].msg,
					   suri_rules[r].buffer, s->file, base + suri_rules[r].sid,
					   s->dataset, counts[suri_rules[r].set]);
		else
			rc = tx_buf_printf(b, "alert %s %s (msg:\"trilex: %s\"; %s; dataset:isset,"
					   "%s,type %s,load %s; sid:%u; rev:1; metadata:trilex_list"
					   " %s, trilex_entries %zu, trilex_map trilex-indicators.tsv;)\n", suri_rules[r].proto,
					   suri_rules[r].dir, suri_rules[r].msg, suri_rules[r].buffer,
					   s->dataset, s->dtype, s->file, base + suri_rules[r].sid,
					   s->dataset, counts[suri_rules[r].set]);
	}
	/* one rule per http URL: host and path, each matched whole (never a
	 * substring of a longer one) */
	if ((used = calloc(SENSOR_EXPORT_URL_SIDS / 8 + 1, 1)) == NULL)
		return TX_ERR_NOMEM;
	for (size_t i = 0; i < e->n_entries && rc == TX_OK; i++) {
		const struct entry *en = &e->entries[i];
		const char *host, *path, *end;
		if (en->type != SENSOR_IOC_URL || !http_url(en->value) || dup_of_prev(e, i))
			continue;
		host = en->value + 7;
		path = host + strcspn(host, "/?#");
		end = host + strlen(host);
		const char *port = memchr(host, ':', (size_t)(path - host));
		const char *hend = port ? port : path;
		uint64_t slot = fnv(en->value) % SENSOR_EXPORT_URL_SIDS;
		while (used[slot / 8] & (1u << (slot % 8)))
			slot = (slot + 1) % SENSOR_EXPORT_URL_SIDS;
		used[slot / 8] |= (uint8_t)(1u << (slot % 8));
		rc = tx_buf_puts(b, "alert http any any -> any any (msg:\"trilex: HTTP request"
				 " for a URL on a trilex list\"; http.host; content:\"");
		if (rc == TX_OK) {
			/* http.host is the normalised host: lower case */
			char hbuf[256];
			size_t hl = (size_t)(hend - host) < sizeof(hbuf) ? (size_t)(hend - host)
								       : sizeof(hbuf) - 1;
			for (size_t k = 0; k < hl; k++)
				hbuf[k] = (char)tolower((unsigned char)host[k]);
			rc = content(b, hbuf, hl);
		}
		if (rc == TX_OK)
			rc = tx_buf_printf(b, "\"; bsize:%zu; http.uri; content:\"", (size_t)(hend - host));
		if (rc == TX_OK)
			rc = path < end ? content(b, path, (size_t)(end - path)) : tx_buf_puts(b, "/");
		if (rc == TX_OK)
			rc = tx_buf_printf(b, "\"; bsize:%zu; sid:%u; rev:1; metadata:trilex_indicator"
					   " %s;)\n", path < end ? (size_t)(end - path) : 1,
					   base + SENSOR_EXPORT_URL_SID_OFFSET + (uint32_t)slot,
					   e->inds[en->ind].id);
	}
	free(used);
	return rc;
}

/* Which indicators each dataset value came from: "dataset, value,
 * indicator" a line, tab-separated (dataset rules carry no ids). */
static tx_err suri_map(sensor_export *e, struct tx_buf *b)
{
	tx_err rc = tx_buf_puts(b, "#dataset\tvalue\tindicator\n");

	for (size_t i = 0; i < e->n_entries && rc == TX_OK; i++) {
		const struct entry *en = &e->entries[i];
		const char *set = NULL;
		for (size_t s = 0; s < 4; s++)
			if (suri_sets[s].takes(en->type, en->value))
				set = suri_sets[s].dataset;
		if (set == NULL && (en->type == SENSOR_IOC_NET4 || en->type == SENSOR_IOC_NET6))
			set = "iprep";
		if (set == NULL && en->type == SENSOR_IOC_URL && http_url(en->value))
			set = "url-rule";
		if (set != NULL)
			rc = tx_buf_printf(b, "%s\t%s\t%s\n", set, en->value, e->inds[en->ind].id);
	}
	return rc;
}

static tx_err suri_iprep(sensor_export *e, struct tx_buf *b)
{
	tx_err rc = TX_OK;

	for (size_t i = 0; i < e->n_entries && rc == TX_OK; i++) {
		const struct entry *en = &e->entries[i];
		int64_t score = 127;
		if (en->type > SENSOR_IOC_NET6 || dup_of_prev(e, i))
			continue;
		/* the reputation is the indicator's confidence (0-100) on
		 * Suricata's scale of 0-127; unknown: 127 */
		if (e->inds[en->ind].confidence >= 0)
			score = e->inds[en->ind].confidence * 127 / 100;
		rc = tx_buf_printf(b, "%s,1,%lld\n", en->value, (long long)score);
	}
	return rc;
}

/* A Zeek field: '-' when empty, tabs and newlines never (values with
 * control characters were skipped when added). */
static tx_err zeek_field(struct tx_buf *b, const char *s)
{
	if (s == NULL || *s == '\0')
		return tx_buf_puts(b, "-");
	return tx_buf_puts(b, s);
}

static tx_err zeek_file(sensor_export *e, struct tx_buf *b)
{
	tx_err rc = tx_buf_puts(b, "#fields\tindicator\tindicator_type\tmeta.source\t"
				"meta.desc\tmeta.url\n");

	for (size_t i = 0; i < e->n_entries && rc == TX_OK; i++) {
		const struct entry *en = &e->entries[i];
		const struct ind *x = &e->inds[en->ind];
		const char *v = en->value;
		char desc[512];
		if (types[en->type].zeek == NULL || dup_of_prev(e, i))
			continue;
		if (en->type == SENSOR_IOC_URL) {
			if (!http_url(v))
				continue; /* counted as skipped */
			v += 7;   /* Intel::URL is the URL without its scheme */
		}
		snprintf(desc, sizeof(desc), "%s%s%s", x->id, x->name ? " " : "",
			 x->name ? x->name : "");
		for (char *p = desc; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		rc = tx_buf_printf(b, "%s\t%s\ttrilex:%s\t", v, types[en->type].zeek,
				   x->source ? x->source : "local");
		if (rc == TX_OK)
			rc = zeek_field(b, desc);
		if (rc == TX_OK)
			rc = tx_buf_puts(b, "\t-\n");
	}
	return rc;
}

static tx_err csv_field(struct tx_buf *b, const char *s)
{
	tx_err rc;

	if (s == NULL)
		return TX_OK;
	if (strpbrk(s, ",\"\r\n") == NULL)
		return tx_buf_puts(b, s);
	rc = tx_buf_append(b, "\"", 1);
	for (; *s && rc == TX_OK; s++)
		rc = *s == '"' ? tx_buf_append(b, "\"\"", 2) : tx_buf_append(b, s, 1);
	return rc == TX_OK ? tx_buf_append(b, "\"", 1) : rc;
}

static tx_err csv_file(sensor_export *e, struct tx_buf *b)
{
	tx_err rc = tx_buf_puts(b, "type,value,indicator,name,tlp,confidence,source\r\n");

	for (size_t i = 0; i < e->n_entries && rc == TX_OK; i++) {
		const struct entry *en = &e->entries[i];
		const struct ind *x = &e->inds[en->ind];
		const char *f[] = { types[en->type].name, en->value, x->id, x->name, x->tlp };
		for (size_t k = 0; k < 5 && rc == TX_OK; k++) {
			rc = csv_field(b, f[k]);
			if (rc == TX_OK)
				rc = tx_buf_append(b, ",", 1);
		}
		if (rc == TX_OK && x->confidence >= 0)
			rc = tx_buf_printf(b, "%lld", (long long)x->confidence);
		if (rc == TX_OK)
			rc = tx_buf_append(b, ",", 1);
		if (rc == TX_OK)
			rc = csv_field(b, x->source ? x->source : "local");
		if (rc == TX_OK)
			rc = tx_buf_append(b, "\r\n", 2);
	}
	return rc;
}

static tx_err iocs_file(sensor_export *e, struct tx_buf *b)
{
	tx_err rc = TX_OK;
	int last = -1;

	for (size_t i = 0; i < e->n_entries && rc == TX_OK; i++) {
		const struct entry *en = &e->entries[i];
		if (dup_of_prev(e, i))
			continue;
		if ((int)en->type != last) {
			rc = tx_buf_printf(b, "%s# %s\n", last < 0 ? "" : "\n",
					   types[en->type].name);
			last = (int)en->type;
		}
		if (rc == TX_OK)
			rc = tx_buf_printf(b, "%s\n", en->value);
	}
	return rc;
}

static const struct {
	enum sensor_export_format fmt;
	const char *file;
} files[] = {
	{ SENSOR_EXPORT_SURICATA, "trilex.rules" },
	{ SENSOR_EXPORT_SURICATA, "trilex-ip.lst" },
	{ SENSOR_EXPORT_SURICATA, "trilex-domains.lst" },
	{ SENSOR_EXPORT_SURICATA, "trilex-md5.lst" },
	{ SENSOR_EXPORT_SURICATA, "trilex-sha256.lst" },
	{ SENSOR_EXPORT_SURICATA, "iprep/categories.txt" },
	{ SENSOR_EXPORT_SURICATA, "iprep/trilex.list" },
	{ SENSOR_EXPORT_SURICATA, "trilex-indicators.tsv" },
	{ SENSOR_EXPORT_ZEEK, "trilex.intel" },
	{ SENSOR_EXPORT_CSV, "trilex.csv" },
	{ SENSOR_EXPORT_IOCS, "trilex-iocs.txt" },
};

const char *sensor_export_file(enum sensor_export_format fmt, size_t i)
{
	size_t k = 0;

	for (size_t j = 0; j < sizeof(files) / sizeof(files[0]); j++)
		if (files[j].fmt == fmt && k++ == i)
			return files[j].file;
	return NULL;
}

int sensor_export_format_parse(const char *name)
{
	static const char *const names[] = { "suricata", "zeek", "csv", "iocs" };

	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

tx_err sensor_export_write(sensor_export *e, enum sensor_export_format fmt,
			   const char *file, struct tx_buf *out, struct tx_error *err)
{
	tx_err rc;

	sort(e);
	if (fmt == SENSOR_EXPORT_SURICATA && strcmp(file, "trilex.rules") == 0)
		rc = suri_rules_file(e, out);
	else if (fmt == SENSOR_EXPORT_SURICATA && strcmp(file, "iprep/categories.txt") == 0)
		rc = tx_buf_puts(out, "1,trilex,Indicators shared on trilex\n");
	else if (fmt == SENSOR_EXPORT_SURICATA && strcmp(file, "iprep/trilex.list") == 0)
		rc = suri_iprep(e, out);
	else if (fmt == SENSOR_EXPORT_SURICATA && strcmp(file, "trilex-indicators.tsv") == 0)
		rc = suri_map(e, out);
	else if (fmt == SENSOR_EXPORT_ZEEK && strcmp(file, "trilex.intel") == 0)
		rc = zeek_file(e, out);
	else if (fmt == SENSOR_EXPORT_CSV && strcmp(file, "trilex.csv") == 0)
		rc = csv_file(e, out);
	else if (fmt == SENSOR_EXPORT_IOCS && strcmp(file, "trilex-iocs.txt") == 0)
		rc = iocs_file(e, out);
	else {
		rc = TX_ERR_NOTFOUND;
		for (size_t s = 0; s < 4; s++)
			if (fmt == SENSOR_EXPORT_SURICATA && strcmp(file, suri_sets[s].file) == 0)
				rc = suri_dataset(e, &suri_sets[s], out);
		if (rc == TX_ERR_NOTFOUND)
			return tx_error_set(err, rc, "%s: no such file in this export", file);
	}
	if (rc != TX_OK)
		return tx_error_set(err, rc, rc == TX_ERR_TOOBIG ? "%s: larger than the"
				    " export's cap" : "%s: out of memory", file);
	return TX_OK;
}

/* Why a format leaves out an entry of type t (value v), or NULL. */
static const char *format_skip(enum sensor_export_format fmt, enum sensor_ioc_type t,
			       const char *v)
{
	if (fmt == SENSOR_EXPORT_SURICATA) {
		if (t == SENSOR_IOC_URL && !http_url(v))
			return "an https URL: a sensor sees its host, not its path";
		if (t == SENSOR_IOC_NET4 || t == SENSOR_IOC_NET6)
			return NULL; /* in iprep/trilex.list */
		if (!types[t].suricata)
			return "no Suricata dataset for this type";
	}
	if (fmt == SENSOR_EXPORT_ZEEK) {
		if (t == SENSOR_IOC_URL && !http_url(v))
			return "an https URL: a sensor sees its host, not its path";
		if (types[t].zeek == NULL)
			return "no Zeek Intel type for this type";
	}
	return NULL;
}

void sensor_export_skips(sensor_export *e, enum sensor_export_format fmt,
			 sensor_export_skip_fn fn, void *ctx)
{
	sort(e);
	for (size_t i = 0; i < e->n_skips; i++) {
		const struct skip *s = &e->skips[i];
		fn(ctx, e->inds[s->ind].id, s->value, s->owned_reason ? s->owned_reason : s->reason);
	}
	for (size_t i = 0; i < e->n_entries; i++) {
		const struct entry *en = &e->entries[i];
		const char *why = format_skip(fmt, en->type, en->value);
		if (why)
			fn(ctx, e->inds[en->ind].id, en->value, why);
	}
}

void sensor_export_counts(const sensor_export *e, struct sensor_export_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->indicators = e->n_inds;
	c->entries = e->n_entries;
	c->warned = e->n_warned;
	c->skipped = e->n_skips;
}
