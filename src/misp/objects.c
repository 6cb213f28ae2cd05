/*
 * misp/objects.c: MISP objects (file, network-connection, email, x509,
 * url) and the STIX they stand for, both ways.
 *
 * One table: per template its name, uuid, meta-category and SCO type,
 * and per object relation the MISP attribute type, the STIX path (as a
 * pattern writes it) and whether the value is an integer. Out, an
 * indicator whose pattern is one bracket of two or more equalities
 * joined by AND, all on paths of one template (and not a pair a
 * composite type holds: map.c comes first), becomes that object; an
 * observed file or x509 certificate with two or more mapped properties
 * too. In, an object of a template becomes one indicator (when any of
 * its attributes is to_ids) whose pattern ANDs its attributes' equalities,
 * else one observed-data of the SCOs they describe. Relations the table
 * lacks are told (misp_obj_build's caller reports them), never guessed.
 * The relations are those of MISP's object templates (misp-objects,
 * definition.json of each), cited in docs/misp.md.
 */
#include <stdlib.h>
#include <string.h>

#include "misp/misp.h"
#include "stix/stix.h"

enum kind { K_STR, K_INT, K_LOWER };

struct rel {
	const char *relation;
	const char *type;          /* MISP attribute type */
	const char *category;
	const char *pattern;       /* STIX path as a pattern writes it */
	const char *plain;         /* the same, segments unquoted */
	enum kind kind;
};

#define REL_MAX 12

struct tmpl {
	const char *name, *uuid, *meta, *version, *description, *sco;
	struct rel rels[REL_MAX];
};

#define PD "Payload delivery"
#define NA "Network activity"

static const struct tmpl tmpls[] = {
	{ "file", "688c46fb-5edb-40a3-8273-1af7923e2215", "file", "25",
	  "File object describing a file with meta-information", "file", {
		{ "filename", "filename", PD, "file:name", "file:name", K_STR },
		{ "md5", "md5", PD, "file:hashes.MD5", "file:hashes.MD5", K_STR },
		{ "sha1", "sha1", PD, "file:hashes.'SHA-1'", "file:hashes.SHA-1", K_STR },
		{ "sha256", "sha256", PD, "file:hashes.'SHA-256'",
		  "file:hashes.SHA-256", K_STR },
		{ "sha512", "sha512", PD, "file:hashes.'SHA-512'",
		  "file:hashes.SHA-512", K_STR },
		{ "ssdeep", "ssdeep", PD, "file:hashes.SSDEEP", "file:hashes.SSDEEP",
		  K_STR },
		{ "size-in-bytes", "size-in-bytes", "Other", "file:size", "file:size",
		  K_INT },
		{ "mimetype", "mime-type", PD, "file:mime_type", "file:mime_type",
		  K_STR },
	} },
	{ "network-connection", "af16764b-f8e5-4603-9de1-de34d272f80b", "network",
	  "2", "A local or remote network connection.", "network-traffic", {
		{ "ip-src", "ip-src", NA, "network-traffic:src_ref.value",
		  "network-traffic:src_ref.value", K_STR },
		{ "ip-dst", "ip-dst", NA, "network-traffic:dst_ref.value",
		  "network-traffic:dst_ref.value", K_STR },
		{ "src-port", "port", NA, "network-traffic:src_port",
		  "network-traffic:src_port", K_INT },
		{ "dst-port", "port", NA, "network-traffic:dst_port",
		  "network-traffic:dst_port", K_INT },
		{ "layer3-protocol", "text", NA, "network-traffic:protocols[*]",
		  "network-traffic:protocols[*]", K_LOWER },
		{ "layer4-protocol", "text", NA, "network-traffic:protocols[*]",
		  "network-traffic:protocols[*]", K_LOWER },
		{ "layer7-protocol", "text", NA, "network-traffic:protocols[*]",
		  "network-traffic:protocols[*]", K_LOWER },
	} },
	{ "email", "a0c666e0-fc65-4be8-b48f-3423d788b552", "network", "3",
	  "Email object describing an email with meta-information",
	  "email-message", {
		{ "from", "email-src", PD, "email-message:from_ref.value",
		  "email-message:from_ref.value", K_STR },
		{ "to", "email-dst", PD, "email-message:to_refs[*].value",
		  "email-message:to_refs[*].value", K_STR },
		{ "cc", "email-dst", PD, "email-message:cc_refs[*].value",
		  "email-message:cc_refs[*].value", K_STR },
		{ "subject", "email-subject", PD, "email-message:subject",
		  "email-message:subject", K_STR },
		{ "message-id", "email-message-id", PD, "email-message:message_id",
		  "email-message:message_id", K_STR },
		{ "x-mailer", "email-x-mailer", PD,
		  "email-message:additional_header_fields.'X-Mailer'",
		  "email-message:additional_header_fields.X-Mailer", K_STR },
		{ "reply-to", "email-reply-to", PD,
		  "email-message:additional_header_fields.'Reply-To'",
		  "email-message:additional_header_fields.Reply-To", K_STR },
	} },
	{ "x509", "d1ab756a-26b5-4349-9f43-765630f0911c", "network", "4",
	  "x509 object describing a X.509 certificate", "x509-certificate", {
		{ "x509-fingerprint-sha1", "sha1", NA,
		  "x509-certificate:hashes.'SHA-1'", "x509-certificate:hashes.SHA-1",
		  K_STR },
		{ "x509-fingerprint-sha256", "sha256", NA,
		  "x509-certificate:hashes.'SHA-256'",
		  "x509-certificate:hashes.SHA-256", K_STR },
		{ "x509-fingerprint-md5", "md5", NA, "x509-certificate:hashes.MD5",
		  "x509-certificate:hashes.MD5", K_STR },
		{ "issuer", "text", NA, "x509-certificate:issuer",
		  "x509-certificate:issuer", K_STR },
		{ "subject", "text", NA, "x509-certificate:subject",
		  "x509-certificate:subject", K_STR },
		{ "serial-number", "text", NA, "x509-certificate:serial_number",
		  "x509-certificate:serial_number", K_STR },
	} },
	{ "url", "60efb77b-40b5-4c46-871b-ed1ed999fce5", "network", "10",
	  "url object describes an url along with its normalized field", "url", {
		{ "url", "url", NA, "url:value", "url:value", K_STR },
	} },
};
#define N_TMPLS (sizeof(tmpls) / sizeof(tmpls[0]))

static const struct tmpl *tmpl_named(const char *name)
{
	for (size_t i = 0; name && i < N_TMPLS; i++)
		if (strcmp(tmpls[i].name, name) == 0)
			return &tmpls[i];
	return NULL;
}

static const struct rel *rel_named(const struct tmpl *t, const char *relation)
{
	for (size_t i = 0; relation && i < REL_MAX && t->rels[i].relation; i++)
		if (strcmp(t->rels[i].relation, relation) == 0)
			return &t->rels[i];
	return NULL;
}

/* ---- out: a pattern as an object ---- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* "path = 'value'" or "path = 123" at *pp into path/value (caller frees
 * *value); 0, or -1 (-2 when memory ran out). */
static int cmp_at(const char **pp, char *path, size_t pn, char **value)
{
	const char *p = skip_ws(*pp);
	size_t n = 0;
	struct tx_buf v;

	while (*p && *p != ' ' && *p != '=' && *p != ']') {
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++) {
				if (n + 1 >= pn)
					return -1;
				path[n++] = *p;
			}
			if (*p++ != '\'')
				return -1;
			continue;
		}
		if (n + 1 >= pn)
			return -1;
		path[n++] = *p++;
	}
	path[n] = '\0';
	p = skip_ws(p);
	if (n == 0 || *p++ != '=')
		return -1;
	p = skip_ws(p);
	tx_buf_init(&v, 0);
	if (*p >= '0' && *p <= '9') {
		const char *d = p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p - d > 19)
			goto fail;
		if (tx_buf_append(&v, d, (size_t)(p - d)) != TX_OK)
			goto nomem;
	} else {
		if (*p++ != '\'')
			return -1;
		for (; *p != '\''; p++) {
			if (*p == '\0')
				goto fail;
			if (*p == '\\' && (*++p != '\\' && *p != '\''))
				goto fail;
			if (tx_buf_append(&v, p, 1) != TX_OK)
				goto nomem;
		}
		p++;
		if (v.data == NULL && tx_buf_append(&v, "", 0) != TX_OK)
			goto nomem;
	}
	*value = tx_buf_take(&v);
	*pp = p;
	return 0;
fail:
	tx_buf_free(&v);
	return -1;
nomem:
	tx_buf_free(&v);
	return -2;
}

/* The relation of a protocols[*] value: its layer. */
static const char *protocol_relation(const char *v)
{
	static const char *const l3[] = { "ip", "ipv4", "ipv6", "icmp", "icmpv6",
					  "arp", NULL };
	static const char *const l4[] = { "tcp", "udp", "sctp", NULL };

	for (size_t i = 0; l3[i]; i++)
		if (strcasecmp(v, l3[i]) == 0)
			return "layer3-protocol";
	for (size_t i = 0; l4[i]; i++)
		if (strcasecmp(v, l4[i]) == 0)
			return "layer4-protocol";
	return "layer7-protocol";
}

/* An attribute of an object: relation, type, category, value. */
static json_t *obj_attr(const struct rel *r, const char *relation,
			const char *value)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "object_relation", relation,
			 "type", r->type, "category", r->category, "value", value);
}

/* A new object of template t with its attributes attrs (taken). */
static json_t *obj_new(const struct tmpl *t, json_t *attrs)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:[]}",
			 "name", t->name, "meta-category", t->meta, "description",
			 t->description, "template_uuid", t->uuid,
			 "template_version", t->version, "distribution", "5",
			 "sharing_group_id", "0", "deleted", 0, "Attribute", attrs,
			 "ObjectReference");
}

#define CMPS_MAX 32

json_t *misp_object_of_pattern(const char *pattern, int *nomem)
{
	const char *p = skip_ws(pattern);
	const struct tmpl *t = NULL;
	const struct rel *rs[CMPS_MAX];
	char *vals[CMPS_MAX], path[160];
	size_t n = 0;
	json_t *attrs = NULL, *obj = NULL;
	int rc = 0;

	*nomem = 0;
	if (*p++ != '[')
		return NULL;
	for (;;) {
		const struct rel *r = NULL;
		if (n == CMPS_MAX || (rc = cmp_at(&p, path, sizeof(path), &vals[n])) != 0) {
			*nomem = rc == -2;
			goto out;
		}
		/* the first comparison names the template; the rest must be of
		 * the same */
		for (size_t i = 0; i < N_TMPLS && r == NULL; i++) {
			if (t != NULL && &tmpls[i] != t)
				continue;
			for (size_t k = 0; k < REL_MAX && tmpls[i].rels[k].relation; k++)
				if (strcmp(tmpls[i].rels[k].plain, path) == 0) {
					r = &tmpls[i].rels[k];
					t = &tmpls[i];
					break;
				}
		}
		rs[n++] = r;
		if (r == NULL)
			goto out;
		p = skip_ws(p);
		if (*p == ']')
			break;
		if (strncmp(p, "AND ", 4) != 0)
			goto out;
		p += 4;
	}
	if (*skip_ws(p + 1) != '\0' || n < 2)
		goto out;
	*nomem = 1; /* until the object is made */
	if ((attrs = json_array()) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *relation = rs[i]->relation;
		if (rs[i]->kind == K_LOWER)
			relation = protocol_relation(vals[i]);
		if (json_array_append_new(attrs, obj_attr(rs[i], relation,
							  vals[i])) != 0)
			goto out;
	}
	obj = obj_new(t, attrs);
	attrs = NULL;
	*nomem = obj == NULL;
out:
	for (size_t i = 0; i < n; i++)
		free(vals[i]);
	json_decref(attrs);
	return obj;
}

/* Append the attribute of r with value v (a string or integer) to attrs;
 * for protocols, the relation of its layer. 0, or -1. */
static int sco_attr_add(json_t *attrs, const struct rel *r, const json_t *v)
{
	char buf[32];
	const char *val = json_string_value(v);

	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		val = buf;
	}
	if (val == NULL)
		return 0;
	return json_array_append_new(attrs, obj_attr(r, r->kind == K_LOWER ?
				     protocol_relation(val) : r->relation, val));
}

json_t *misp_object_of_sco(const json_t *sco, const json_t *byid,
			   json_t *consumed)
{
	const char *type = tx_json_str(sco, "type");
	const struct tmpl *t = NULL;
	json_t *attrs = json_array(), *obj = NULL, *used = json_array();
	const json_t *x;
	size_t k;

	for (size_t i = 0; type && i < N_TMPLS; i++)
		if (strcmp(tmpls[i].sco, type) == 0 && strcmp(type, "url") != 0)
			t = &tmpls[i];
	if (t == NULL || attrs == NULL || used == NULL)
		goto out;
	for (k = 0; k < REL_MAX && t->rels[k].relation; k++) {
		const struct rel *r = &t->rels[k];
		const char *prop = strchr(r->plain, ':') + 1, *dot = strchr(prop, '.');
		char key[64];
		const json_t *v;
		size_t i;

		snprintf(key, sizeof(key), "%.*s", (int)strcspn(prop, ".["), prop);
		v = json_object_get(sco, key);
		if (r->kind == K_LOWER) {
			/* protocols: every layer's relation takes its own */
			if (strcmp(r->relation, "layer3-protocol") == 0)
				json_array_foreach(v, i, x)
					if (sco_attr_add(attrs, r, x) != 0)
						goto out;
		} else if (strstr(prop, "_refs[*].value")) {
			json_array_foreach(v, i, x) {
				const json_t *to = json_object_get(byid, json_string_value(x));
				if (to && sco_attr_add(attrs, r, json_object_get(to, "value")))
					goto out;
				if (to)
					json_array_append_new(used, json_string(json_string_value(x)));
			}
		} else if (strstr(prop, "_ref.value")) {
			const json_t *to = json_object_get(byid, json_string_value(v));
			if (to && sco_attr_add(attrs, r, json_object_get(to, "value")))
				goto out;
			if (to)
				json_array_append_new(used, json_string(json_string_value(v)));
		} else if (sco_attr_add(attrs, r, dot ? json_object_get(v, dot + 1) :
					v) != 0) {
			goto out;
		}
	}
	/* a name and one hash is a composite attribute (filename|md5...),
	 * as map.c makes of such a pattern; a lone fact is an attribute */
	if (json_array_size(attrs) == 2 &&
	    strcmp(tx_json_str(json_array_get(attrs, 0), "object_relation"),
		   "filename") == 0 &&
	    strstr("md5 sha1 sha256", tx_json_str(json_array_get(attrs, 1),
						  "object_relation")) != NULL)
		goto out;
	if (json_array_size(attrs) >= 2 || (strcmp(type, "x509-certificate") == 0 &&
					     json_array_size(attrs) >= 1)) {
		json_array_foreach(used, k, x)
			json_object_set_new(consumed, json_string_value(x), json_true());
		obj = obj_new(t, attrs);
		attrs = NULL;
	}
out:
	json_decref(attrs);
	json_decref(used);
	return obj;
}

/* ---- in: an object as STIX ---- */

/* Append value to b as a STIX literal of kind k. */
static tx_err literal(struct tx_buf *b, const char *value, enum kind k)
{
	tx_err rc;

	if (k == K_INT)
		return tx_buf_puts(b, value);
	rc = tx_buf_puts(b, "'");
	for (const char *p = value; rc == TX_OK && *p; p++) {
		char ch = k == K_LOWER && *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
		if (ch == '\'' || ch == '\\')
			rc = tx_buf_append(b, "\\", 1);
		if (rc == TX_OK)
			rc = tx_buf_append(b, &ch, 1);
	}
	return rc == TX_OK ? tx_buf_puts(b, "'") : rc;
}

static int digits(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 18 && strspn(s, "0123456789") == n;
}

int misp_obj_known(const char *name)
{
	return tmpl_named(name) != NULL;
}

const char *misp_obj_check(const char *name, const char *relation,
			   const char *value)
{
	const struct tmpl *t = tmpl_named(name);
	const struct rel *r = t ? rel_named(t, relation) : NULL;

	if (r == NULL)
		return "no STIX property for this object relation";
	if (value == NULL || value[0] == '\0')
		return "no value";
	if (r->kind == K_INT && !digits(value))
		return "not a whole number";
	return NULL;
}

char *misp_obj_pattern(const char *name, const char *const *relations,
		       const char *const *values, size_t n)
{
	const struct tmpl *t = tmpl_named(name);
	struct tx_buf b;
	tx_err rc;

	if (t == NULL || n == 0)
		return NULL;
	tx_buf_init(&b, 0);
	rc = tx_buf_puts(&b, "[");
	for (size_t i = 0; rc == TX_OK && i < n; i++) {
		const struct rel *r = rel_named(t, relations[i]);
		if (r == NULL)
			continue;
		if (b.len > 1)
			rc = tx_buf_puts(&b, " AND ");
		if (rc == TX_OK)
			rc = tx_buf_printf(&b, "%s = ", r->pattern);
		if (rc == TX_OK)
			rc = literal(&b, values[i], r->kind);
	}
	if (rc == TX_OK)
		rc = tx_buf_puts(&b, "]");
	if (rc != TX_OK) {
		tx_buf_free(&b);
		return NULL;
	}
	return tx_buf_take(&b);
}

/* The SCO an address (ipv4, ipv6, email) value is, with its id. */
static json_t *addr_sco(const char *sco_type, const char *value, char *id,
			size_t n)
{
	const char *type = strcmp(sco_type, "email-message") == 0 ? "email-addr" :
			   strchr(value, ':') ? "ipv6-addr" : "ipv4-addr";
	json_t *a = json_pack("{s:s, s:s, s:s}", "type", type, "spec_version",
			      "2.1", "value", value);

	if (a == NULL || stix_sco_id(a, id, n, NULL) != TX_OK) {
		json_decref(a);
		return NULL;
	}
	json_object_set_new(a, "id", json_string(id));
	return a;
}

json_t *misp_obj_scos(const char *name, const char *const *relations,
		      const char *const *values, size_t n, const char *seed)
{
	const struct tmpl *t = tmpl_named(name);
	json_t *main = NULL, *all = NULL;
	char id[128];

	if (t == NULL || (all = json_array()) == NULL ||
	    (main = json_pack("{s:s, s:s}", "type", t->sco, "spec_version",
			      "2.1")) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const struct rel *r = rel_named(t, relations[i]);
		const char *prop, *dot;
		char key[64];
		if (r == NULL)
			continue;
		prop = strchr(r->plain, ':') + 1;
		dot = strchr(prop, '.');
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(prop, ".["), prop);
		if (r->kind == K_INT) {
			json_object_set_new(main, key, json_integer(strtoll(values[i],
							NULL, 10)));
		} else if (r->kind == K_LOWER) {
			json_t *l = json_object_get(main, key);
			char low[64];
			size_t k = 0;
			for (const char *p = values[i]; *p && k + 1 < sizeof(low); p++)
				low[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			low[k] = '\0';
			if (l == NULL) {
				l = json_array();
				json_object_set_new(main, key, l);
			}
			json_array_append_new(l, json_string(low));
		} else if (strstr(prop, "_ref.value") || strstr(prop, "_refs[*].value")) {
			json_t *a = addr_sco(t->sco, values[i], id, sizeof(id));
			if (a == NULL || json_array_append_new(all, a) != 0)
				goto fail;
			if (strstr(prop, "_refs[*]")) {
				json_t *l = json_object_get(main, key);
				if (l == NULL) {
					l = json_array();
					json_object_set_new(main, key, l);
				}
				json_array_append_new(l, json_string(id));
			} else {
				json_object_set_new(main, key, json_string(id));
			}
		} else if (dot != NULL) {
			json_t *d = json_object_get(main, key);
			if (d == NULL) {
				d = json_object();
				json_object_set_new(main, key, d);
			}
			json_object_set_new(d, dot + 1, json_string(values[i]));
		} else {
			json_object_set_new(main, key, json_string(values[i]));
		}
	}
	/* what STIX requires of these types */
	if (strcmp(t->sco, "network-traffic") == 0 &&
	    json_object_get(main, "protocols") == NULL) {
		const char *ip = NULL;
		for (size_t i = 0; i < n && ip == NULL; i++)
			if (strncmp(relations[i], "ip-", 3) == 0)
				ip = values[i];
		json_object_set_new(main, "protocols", json_pack("[s]", ip &&
				    strchr(ip, ':') ? "ipv6" : "ipv4"));
	}
	if (strcmp(t->sco, "email-message") == 0)
		json_object_set_new(main, "is_multipart", json_false());
	if (stix_sco_id(main, id, sizeof(id), NULL) != TX_OK)
		goto fail;
	{
		/* none of the properties its id is made of (an email known by
		 * its message id): STIX would make a random id; seed's UUIDv5
		 * instead, so that an import is repeatable */
		char again[128];
		if (stix_sco_id(main, again, sizeof(again), NULL) != TX_OK)
			goto fail;
		if (strcmp(id, again) != 0) {
			char u[TX_UUID_BUF];
			tx_uuid5(tx_uuid_ns_trilex, seed, strlen(seed), u);
			snprintf(id, sizeof(id), "%s--%s", t->sco, u);
		}
	}
	json_object_set_new(main, "id", json_string(id));
	if (json_array_insert_new(all, 0, main) != 0) {
		main = NULL;
		goto fail;
	}
	return all;
fail:
	json_decref(main);
	json_decref(all);
	return NULL;
}
