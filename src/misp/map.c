/*
 * misp/map.c: MISP attribute types and STIX patterns, both ways.
 *
 * One table row per (STIX object path, MISP type). Out, a pattern that is
 * one equality "[type:path = 'value']" (or two joined by AND that a MISP
 * composite type holds, "filename|md5") becomes that type; any other
 * pattern travels whole as "stix2-pattern". In, a type becomes the
 * pattern of its first row. Paths are compared without the quotes STIX
 * allows around a segment (hashes.'SHA-256' is hashes.SHA-256).
 */
#include <stdlib.h>
#include <string.h>

#include "misp/misp.h"

struct row {
	const char *path;       /* STIX object path, segments unquoted */
	const char *misp;       /* MISP type */
	const char *category;
	const char *pattern;    /* the path as a pattern writes it, in */
	int in;                 /* the row a MISP type maps back with */
};

static const struct row rows[] = {
	{ "ipv4-addr:value", "ip-dst", "Network activity", "ipv4-addr:value", 1 },
	{ "ipv6-addr:value", "ip-dst", "Network activity", "ipv6-addr:value", 0 },
	{ "network-traffic:dst_ref.value", "ip-dst", "Network activity",
	  "network-traffic:dst_ref.value", 0 },
	{ "network-traffic:src_ref.value", "ip-src", "Network activity",
	  "network-traffic:src_ref.value", 1 },
	{ "domain-name:value", "domain", "Network activity", "domain-name:value", 1 },
	{ "domain-name:value", "hostname", "Network activity", "domain-name:value", 1 },
	{ "url:value", "url", "Network activity", "url:value", 1 },
	{ "url:value", "uri", "Network activity", "url:value", 1 },
	{ "file:hashes.MD5", "md5", "Payload delivery", "file:hashes.MD5", 1 },
	{ "file:hashes.SHA-1", "sha1", "Payload delivery", "file:hashes.'SHA-1'", 1 },
	{ "file:hashes.SHA1", "sha1", "Payload delivery", "file:hashes.'SHA-1'", 0 },
	{ "file:hashes.SHA-256", "sha256", "Payload delivery",
	  "file:hashes.'SHA-256'", 1 },
	{ "file:hashes.SHA256", "sha256", "Payload delivery",
	  "file:hashes.'SHA-256'", 0 },
	{ "file:hashes.SHA-512", "sha512", "Payload delivery",
	  "file:hashes.'SHA-512'", 1 },
	{ "file:name", "filename", "Payload delivery", "file:name", 1 },
	{ "email-addr:value", "email-src", "Payload delivery", "email-addr:value", 1 },
	{ "email-message:from_ref.value", "email-src", "Payload delivery",
	  "email-addr:value", 0 },
	{ "email-addr:value", "email-dst", "Payload delivery", "email-addr:value", 1 },
	{ "email-addr:value", "email", "Payload delivery", "email-addr:value", 1 },
	{ "email-message:to_refs[*].value", "email-dst", "Payload delivery",
	  "email-addr:value", 0 },
	{ "mac-addr:value", "mac-address", "Network activity", "mac-addr:value", 1 },
	{ "mutex:name", "mutex", "Artifacts dropped", "mutex:name", 1 },
	{ "windows-registry-key:key", "regkey", "Persistence mechanism",
	  "windows-registry-key:key", 1 },
	{ "x509-certificate:hashes.SHA-1", "x509-fingerprint-sha1",
	  "Network activity", "x509-certificate:hashes.'SHA-1'", 1 },
	{ "network-traffic:extensions.http-request-ext.request_header.User-Agent",
	  "user-agent", "Network activity",
	  "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
	  1 },
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

/* Composite MISP types: two paths in one pattern, the value "a|b". */
static const struct comp {
	const char *misp, *a, *b, *category;
} comps[] = {
	{ "filename|md5", "file:name", "file:hashes.MD5", "Payload delivery" },
	{ "filename|sha1", "file:name", "file:hashes.SHA-1", "Payload delivery" },
	{ "filename|sha256", "file:name", "file:hashes.SHA-256", "Payload delivery" },
	{ "domain|ip", "domain-name:value", "domain-name:resolves_to_refs[*].value",
	  "Network activity" },
	{ "regkey|value", "windows-registry-key:key",
	  "windows-registry-key:values[*].data", "Persistence mechanism" },
};
#define N_COMPS (sizeof(comps) / sizeof(comps[0]))

#define PATH_MAX_LEN 160

/* One "path = 'value'" of a pattern. */
struct cmp {
	char path[PATH_MAX_LEN];
	char *value;
};

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Parse "path = 'value'" at *pp; 0 and *pp past it, or -1. */
static int parse_cmp(const char **pp, struct cmp *c)
{
	const char *p = skip_ws(*pp);
	size_t n = 0;
	struct tx_buf v;

	/* the path: its quoted segments lose their quotes */
	while (*p && *p != ' ' && *p != '=' && *p != ']') {
		if (*p == '\'') {
			p++;
			while (*p && *p != '\'') {
				if (n + 1 >= sizeof(c->path))
					return -1;
				c->path[n++] = *p++;
			}
			if (*p++ != '\'')
				return -1;
			continue;
		}
		if (n + 1 >= sizeof(c->path))
			return -1;
		c->path[n++] = *p++;
	}
	c->path[n] = '\0';
	if (n == 0 || strchr(c->path, ':') == NULL)
		return -1;
	p = skip_ws(p);
	if (*p++ != '=')
		return -1;
	p = skip_ws(p);
	if (*p++ != '\'')
		return -1;
	tx_buf_init(&v, 0);
	for (;; p++) {
		if (*p == '\0') {
			tx_buf_free(&v);
			return -1;
		}
		if (*p == '\'')
			break;
		if (*p == '\\') {
			p++;
			if (*p != '\\' && *p != '\'') {
				tx_buf_free(&v);
				return -1;
			}
		}
		if (tx_buf_append(&v, p, 1) != TX_OK) {
			tx_buf_free(&v);
			return -2;
		}
	}
	if (v.data == NULL && tx_buf_append(&v, "", 0) != TX_OK)
		return -2;
	c->value = tx_buf_take(&v);
	*pp = p + 1;
	return 0;
}

/* A pattern of one bracket with one or two comparisons joined by AND:
 * how many were parsed (1 or 2), else 0; -1 when memory ran out. */
static int parse_simple(const char *pattern, struct cmp c[2])
{
	const char *p = skip_ws(pattern);
	int n = 0, r = 0;

	if (*p++ != '[')
		return 0;
	for (;;) {
		if (n == 2 || (r = parse_cmp(&p, &c[n])) != 0)
			goto fail;
		n++;
		p = skip_ws(p);
		if (*p == ']')
			break;
		if (strncmp(p, "AND ", 4) != 0)
			goto fail;
		p += 4;
	}
	p = skip_ws(p + 1);
	if (*p != '\0')
		goto fail;
	return n;
fail:
	for (int i = 0; i < n; i++)
		free(c[i].value);
	return r == -2 ? -1 : 0;
}

const char *misp_attr_of_pattern(const char *pattern, const char **type,
				 char **value)
{
	struct cmp c[2];
	int n = parse_simple(pattern, c), nomem = n < 0;
	const char *cat = NULL;

	*type = NULL;
	*value = NULL;
	if (n == 1) {
		for (size_t i = 0; i < N_ROWS; i++)
			if (strcmp(rows[i].path, c[0].path) == 0) {
				*type = rows[i].misp;
				*value = c[0].value;
				return rows[i].category;
			}
	} else if (n == 2) {
		for (size_t i = 0; i < N_COMPS; i++) {
			int ab = strcmp(comps[i].a, c[0].path) == 0 &&
				 strcmp(comps[i].b, c[1].path) == 0;
			int ba = strcmp(comps[i].a, c[1].path) == 0 &&
				 strcmp(comps[i].b, c[0].path) == 0;
			if (!ab && !ba)
				continue;
			struct tx_buf v;
			tx_buf_init(&v, 0);
			if (tx_buf_printf(&v, "%s|%s", c[ab ? 0 : 1].value,
					  c[ab ? 1 : 0].value) == TX_OK) {
				*type = comps[i].misp;
				*value = tx_buf_take(&v);
				cat = comps[i].category;
			} else {
				nomem = 1;
			}
			tx_buf_free(&v);
			break;
		}
	}
	for (int i = 0; i < n; i++)
		free(c[i].value);
	if (*type != NULL)
		return cat;
	*type = "stix2-pattern";
	/* out of memory is no reason to send the pattern as it is */
	*value = nomem ? NULL : strdup(pattern);
	return "Payload installation";
}

/* Append value to b as the inside of a STIX string literal. */
static tx_err put_literal(struct tx_buf *b, const char *value, size_t len)
{
	tx_err rc = tx_buf_puts(b, "'");

	for (size_t i = 0; rc == TX_OK && i < len; i++) {
		if (value[i] == '\'' || value[i] == '\\')
			rc = tx_buf_append(b, "\\", 1);
		if (rc == TX_OK)
			rc = tx_buf_append(b, &value[i], 1);
	}
	return rc == TX_OK ? tx_buf_puts(b, "'") : rc;
}

/* The pattern path of a MISP type (its "in" row), or NULL. */
static const char *path_of(const char *type, const char *value)
{
	if (strcmp(type, "ip-dst") == 0 && strchr(value, ':') != NULL)
		return "ipv6-addr:value";
	for (size_t i = 0; i < N_ROWS; i++)
		if (rows[i].in && strcmp(rows[i].misp, type) == 0)
			return rows[i].pattern;
	return NULL;
}

/* The path of a composite's part as a pattern writes it. */
static const char *quoted(const char *path)
{
	for (size_t i = 0; i < N_ROWS; i++)
		if (strcmp(rows[i].path, path) == 0)
			return rows[i].pattern;
	return path;
}

const char misp_why_nomem[] = "out of memory";

char *misp_pattern_of_attr(const char *type, const char *value,
			   const char **why)
{
	struct tx_buf b;
	const char *path;
	tx_err rc = TX_OK;

	*why = NULL;
	tx_buf_init(&b, 0);
	if (value == NULL || value[0] == '\0') {
		*why = "no value";
		return NULL;
	}
	if (strcmp(type, "stix2-pattern") == 0)
		return strdup(value);
	for (size_t i = 0; i < N_COMPS; i++) {
		const char *bar;
		if (strcmp(type, comps[i].misp) != 0)
			continue;
		if ((bar = strchr(value, '|')) == NULL || bar == value ||
		    bar[1] == '\0') {
			*why = "a composite value needs \"a|b\"";
			return NULL;
		}
		if ((rc = tx_buf_printf(&b, "[%s = ", quoted(comps[i].a))) == TX_OK &&
		    (rc = put_literal(&b, value, (size_t)(bar - value))) == TX_OK &&
		    (rc = tx_buf_printf(&b, " AND %s = ", quoted(comps[i].b))) == TX_OK &&
		    (rc = put_literal(&b, bar + 1, strlen(bar + 1))) == TX_OK)
			rc = tx_buf_puts(&b, "]");
		goto out;
	}
	if ((path = path_of(type, value)) == NULL) {
		*why = "no STIX pattern for this type";
		return NULL;
	}
	if ((rc = tx_buf_printf(&b, "[%s = ", path)) == TX_OK &&
	    (rc = put_literal(&b, value, strlen(value))) == TX_OK)
		rc = tx_buf_puts(&b, "]");
out:
	if (rc != TX_OK) {
		tx_buf_free(&b);
		*why = misp_why_nomem;
		return NULL;
	}
	return tx_buf_take(&b);
}

json_t *misp_sco_of_attr(const char *type, const char *value)
{
	const char *path;
	char sco_type[64];
	const char *colon;

	if (value == NULL || value[0] == '\0')
		return NULL;
	/* what was seen is the address, whichever way it went */
	if (strcmp(type, "ip-src") == 0)
		type = "ip-dst";
	if (strncmp(type, "filename|", 9) == 0) {
		const char *bar = strchr(value, '|');
		const char *alg = strcmp(type + 9, "md5") == 0 ? "MD5" :
				  strcmp(type + 9, "sha1") == 0 ? "SHA-1" :
				  strcmp(type + 9, "sha256") == 0 ? "SHA-256" : NULL;
		if (bar == NULL || alg == NULL || bar == value || bar[1] == '\0')
			return NULL;
		return json_pack("{s:s, s:s%, s:{s:s}}", "type", "file", "name",
				 value, (size_t)(bar - value), "hashes", alg, bar + 1);
	}
	if ((path = path_of(type, value)) == NULL)
		return NULL;
	if ((colon = strchr(path, ':')) == NULL ||
	    (size_t)(colon - path) >= sizeof(sco_type))
		return NULL;
	snprintf(sco_type, sizeof(sco_type), "%.*s", (int)(colon - path), path);
	if (strncmp(colon + 1, "hashes.", 7) == 0) {
		char alg[16];
		const char *a = colon + 8;
		size_t n = 0;
		for (; *a && n + 1 < sizeof(alg); a++)
			if (*a != '\'')
				alg[n++] = *a;
		alg[n] = '\0';
		return json_pack("{s:s, s:{s:s}}", "type", sco_type, "hashes", alg,
				 value);
	}
	if (strchr(colon + 1, '.') != NULL)
		return NULL;    /* a reference path: no one SCO holds it */
	return json_pack("{s:s, s:s}", "type", sco_type, colon + 1, value);
}
