/*
 * stix/scoid.c: deterministic SCO ids (STIX 2.1 section 2.9).
 *
 * The id of a cyber-observable object is TYPE--UUIDv5 in the namespace
 * 00abedb4-aa42-466c-9c01-fed23315a9b7 over the RFC 8785 canonical JSON
 * of an object holding the type's ID-contributing properties that are
 * present (of hashes, one: MD5, else SHA-1, SHA-256, SHA-512, as the
 * reference implementation, python-stix2, chooses). Every tool that
 * follows the specification gives the same observable the same id, so
 * duplicates merge. A type without contributing properties present, or
 * one the specification lists none for (process), gets a random id.
 */
#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"
#include "stix/internal.h"
#include "stix/stix.h"

/* The ID-contributing properties of each SCO type (section 6). */
static const struct {
	const char *type;
	const char *props[9];
} contributing[] = {
	{ "artifact", { "hashes", "payload_bin", NULL } },
	{ "autonomous-system", { "number", NULL } },
	{ "directory", { "path", NULL } },
	{ "domain-name", { "value", NULL } },
	{ "email-addr", { "value", NULL } },
	{ "email-message", { "from_ref", "subject", "body", NULL } },
	{ "file", { "hashes", "name", "extensions", "parent_directory_ref", NULL } },
	{ "ipv4-addr", { "value", NULL } },
	{ "ipv6-addr", { "value", NULL } },
	{ "mac-addr", { "value", NULL } },
	{ "mutex", { "name", NULL } },
	{ "network-traffic", { "start", "end", "src_ref", "dst_ref", "src_port",
			       "dst_port", "protocols", "extensions", NULL } },
	{ "process", { NULL } },
	{ "software", { "name", "cpe", "swid", "vendor", "version", NULL } },
	{ "url", { "value", NULL } },
	{ "user-account", { "account_type", "user_id", "account_login", NULL } },
	{ "windows-registry-key", { "key", "values", NULL } },
	{ "x509-certificate", { "hashes", "serial_number", NULL } },
};

int stix_is_sco_type(const char *type)
{
	for (size_t i = 0; type && i < sizeof(contributing) / sizeof(contributing[0]); i++)
		if (strcmp(contributing[i].type, type) == 0)
			return 1;
	return 0;
}

/* One hash of a hashes dictionary as a new {"NAME": value}, or NULL. */
static json_t *one_hash(const json_t *hashes)
{
	static const char *const pref[] = { "MD5", "SHA-1", "SHA-256", "SHA-512",
					    NULL };
	const char *k, *best = NULL;
	json_t *v;

	for (size_t i = 0; pref[i] != NULL; i++)
		if ((v = json_object_get(hashes, pref[i])) != NULL)
			return json_pack("{s:O}", pref[i], v);
	/* python-stix2 takes the first in its dictionary's order; a JSON
	 * object has none, so the least name (the same on every node) */
	json_object_foreach((json_t *)hashes, k, v)
		if (best == NULL || strcmp(k, best) < 0)
			best = k;
	return best ? json_pack("{s:O}", best, json_object_get(hashes, best)) : NULL;
}

/* ---- the id writer (stix.h): canonical JSON hashed as it is written ---- */

void stix_idw_init(struct stix_idw *w)
{
	tx_sha1_init(&w->h);
	tx_sha1_update(&w->h, tx_uuid_ns_stix_sco, 16);
	w->n = 0;
	w->bad = 0;
}

static void idw_flush(struct stix_idw *w)
{
	tx_sha1_update(&w->h, w->buf, w->n);
	w->n = 0;
}

void stix_idw_raw(struct stix_idw *w, const char *s, size_t n)
{
	if (w->n + n > sizeof(w->buf)) {
		idw_flush(w);
		if (n > sizeof(w->buf)) {
			tx_sha1_update(&w->h, s, n);
			return;
		}
	}
	memcpy(w->buf + w->n, s, n);
	w->n += n;
}

/* Whether s is UTF-8 (what JCS requires; jansson's checked strings are). */
static int utf8_ok(const char *s, size_t len)
{
	for (size_t i = 0, l; i < len; i += l)
		if ((l = tx_utf8_len((const unsigned char *)s + i, len - i)) == 0)
			return 0;
	return 1;
}

void stix_idw_str(struct stix_idw *w, const char *s, size_t len)
{
	size_t run = 0;

	stix_idw_raw(w, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		/* to the next quote, backslash, control or non-ASCII byte */
		i = tx_json_plain_run((const unsigned char *)s, i, len);
		if (i >= len)
			break;
		char esc[6];
		size_t n = stix_jcs_escape((unsigned char)s[i], esc);

		if (n == 0)
			continue;     /* non-ASCII: as is */
		stix_idw_raw(w, s + run, i - run);
		stix_idw_raw(w, esc, n);
		run = i + 1;
	}
	stix_idw_raw(w, s + run, len - run);
	stix_idw_raw(w, "\"", 1);
}

void stix_idw_num(struct stix_idw *w, int64_t v)
{
	char d[24];
	size_t n = sizeof(d);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	/* beyond 2^53 JCS writes the nearest double (stix/canon.c) */
	if (u > 9007199254740992ULL) {
		w->bad = 1;
		return;
	}
	do
		d[--n] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		d[--n] = '-';
	stix_idw_raw(w, d + n, sizeof(d) - n);
}

int stix_idw_id(struct stix_idw *w, const char *type, char *out, size_t n)
{
	size_t tl = strlen(type);

	if (w->bad || tl + 2 + TX_UUID_BUF > n)
		return -1;
	idw_flush(w);
	memcpy(out, type, tl);
	out[tl] = out[tl + 1] = '-';
	tx_uuid5_final(&w->h, out + tl + 2);
	return 0;
}

/*
 * The common case without a tree: an SCO whose one contributing property
 * is "value", a string. Its canonical JSON (RFC 8785) is {"value":"..."}
 * with the string escaped as JCS does, so it goes through the id writer.
 * 0 when it does not apply (the general way then).
 */
static int value_only_id(const json_t *sco, const char *type, const char *const *props,
			 char *out, size_t n)
{
	const json_t *v = json_object_get(sco, "value");
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	struct stix_idw w;

	if (props[0] == NULL || strcmp(props[0], "value") != 0 || props[1] != NULL ||
	    s == NULL || !utf8_ok(s, len))
		return 0;
	stix_idw_init(&w);
	stix_idw_raw(&w, "{\"value\":", 9);
	stix_idw_str(&w, s, len);
	stix_idw_raw(&w, "}", 1);
	return stix_idw_id(&w, type, out, n) == 0;
}

tx_err stix_sco_id(const json_t *sco, char *out, size_t n, struct tx_error *err)
{
	const char *type = json_string_value(json_object_get(sco, "type"));
	const char *const *props = NULL;
	char uuid[TX_UUID_BUF], *canon = NULL;
	json_t *streamlined = NULL;
	size_t len = 0;
	tx_err rc;

	for (size_t i = 0; type && i < sizeof(contributing) / sizeof(contributing[0]); i++)
		if (strcmp(contributing[i].type, type) == 0)
			props = contributing[i].props;
	if (props == NULL)
		return tx_error_set(err, TX_ERR_INVALID, "%s: not an SCO type",
				    type ? type : "(no type)");
	if (value_only_id(sco, type, props, out, n))
		return TX_OK;
	if ((streamlined = json_object()) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	for (size_t i = 0; props[i] != NULL; i++) {
		json_t *v = json_object_get(sco, props[i]);
		if (v == NULL)
			continue;
		if (strcmp(props[i], "hashes") == 0) {
			json_t *h = one_hash(v);
			int empty = !json_is_object(v) || json_object_size(v) == 0;
			if (h == NULL && !empty)
				goto nomem; /* hashes there: only memory lacked */
			if (h != NULL && json_object_set_new(streamlined, "hashes", h) != 0)
				goto nomem;
		} else if (json_object_set(streamlined, props[i], v) != 0) {
			/* without it the id would be another (or random) */
			goto nomem;
		}
	}
	if (json_object_size(streamlined) == 0) {
		tx_uuid4(uuid);
	} else {
		if ((rc = stix_canonicalize(streamlined, &canon, &len, err)) != TX_OK) {
			json_decref(streamlined);
			return rc;
		}
		tx_uuid5(tx_uuid_ns_stix_sco, canon, len, uuid);
		free(canon);
	}
	json_decref(streamlined);
	if ((size_t)snprintf(out, n, "%s--%s", type, uuid) >= n)
		return tx_error_set(err, TX_ERR_TOOBIG, "id buffer too small");
	return TX_OK;
nomem:
	json_decref(streamlined);
	return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
}
