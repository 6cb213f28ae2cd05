/*
 * stix/validate.c: STIX 2.1 validation of objects on ingest.
 *
 * Design
 *   Every STIX 2.1 type is a row of data in stix/types.c: its kind, the
 *   common properties of that kind, its own properties with their shapes
 *   (string, timestamp, reference to given types, closed vocabulary, ...)
 *   and an optional function for rules that span properties. This file is
 *   the engine that walks those tables over one jansson object:
 *
 *     1. type, id and spec_version;
 *     2. every property described by the tables (required ones present,
 *        present ones of the right shape, nested structures by their own
 *        sub-tables);
 *     3. every other property is custom: its name must follow the rules
 *        of 3.1 / 11.1 and must not be reserved (3.8), and *_ref / *_refs
 *        custom properties must hold identifiers;
 *     4. timestamps that must come in order (modified after created, ...);
 *     5. the per-type rules.
 *
 *   Unknown (custom or extension-defined) types get steps 1-4 with every
 *   common property optional.
 *
 * Invariants
 *   The first failure stops validation and is reported as
 *   "<property path>: <reason>". Nothing allocates; recursion follows
 *   only the static sub-tables and is capped at MAX_DEPTH, so no input
 *   can drive it deeper. The object is only read.
 *
 *   Since nothing is acquired, the small checkers return at their first
 *   failure instead of using goto out; that reads more plainly here. The
 *   entry points (stix_validate, check_props) keep the single exit.
 */
#include <stdio.h>
#include <string.h>

#include "stix/internal.h"

#define MAX_DEPTH 4
#define PATH_MAX_LEN 320
#define NAME_SHOW_MAX 64
#define MAX_TABLES 2

/* What every check needs to know about the object being validated. */
struct vctx {
	const char *type;      /* the object's type (borrowed) */
	enum stix_kind kind;
};

static tx_err check_props(const json_t *obj, const struct prop *const *tables,
			  size_t n_tables, const char *prefix,
			  const struct vctx *cx, int depth,
			  struct tx_error *err);

/* Property names reserved by 3.8; custom properties must not use them. */
static const char *const reserved_names[] = {
	"severity", "action", "usernames", "phone_numbers", "addresses",
	"first_seen_precision", "last_seen_precision", "valid_from_precision",
	"valid_until_precision",
};

/* Timestamps that must come in order when both are present. */
static const struct order {
	const char *first;
	const char *second;
	int strict;            /* second must be later, not just not earlier */
	const char *msg;
} orders[] = {
	{ "created", "modified", 0, "before created" },
	{ "first_seen", "last_seen", 0, "before first_seen" },
	{ "valid_from", "valid_until", 1, "not after valid_from" },
	{ "first_observed", "last_observed", 0, "before first_observed" },
	{ "start_time", "stop_time", 1, "not after start_time" },
	{ "start", "end", 0, "before start" },
	{ "validity_not_before", "validity_not_after", 0,
	  "before validity_not_before" },
	{ "analysis_started", "analysis_ended", 0, "before analysis_started" },
};

/* ---- small helpers ---- */

/*
 * The text of a JSON string, borrowed from v, or NULL when v is not a
 * string or holds a NUL byte.
 */
const char *stix_json_str(const json_t *v)
{
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	/* jansson may hold embedded NULs (JSON_ALLOW_NUL); C code would then
	 * see only a prefix of the value, so treat such strings as invalid. */
	if (strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

/* Parse obj[name] as a STIX timestamp into *us; 0 on success, else -1. */
int stix_json_time(const json_t *obj, const char *name, int64_t *us)
{
	const char *s = stix_json_str(json_object_get(obj, name));

	if (s == NULL)
		return -1;
	return tx_time_parse(s, us, NULL) == TX_OK ? 0 : -1;
}

/*
 * True when the len bytes at s are a valid type name: 3-250 characters of
 * a-z, 0-9 and '-', no "--" (so an id's first "--" is its separator), and
 * no '-' at either end.
 */
int stix_type_name_valid(const char *s, size_t len)
{
	if (s == NULL || len < 3 || len > 250)
		return 0;
	if (s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '-') {
			if (s[i + 1] == '-')
				return 0;
		} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			return 0;
		}
	}
	return 1;
}

/* Whether s has an upper-case letter among its hex digits. */
static int has_upper_hex(const char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'F')
			return 1;
	return 0;
}

/*
 * True when id is "<type>--<UUID>". The type part must be a valid type
 * name and, when type is not NULL, equal to it. The UUID is checked for
 * its 8-4-4-4-12 hex shape, in lower case: STIX identifiers are compared
 * byte for byte (a TLP marking id in upper case would otherwise name no
 * marking at all), and 2.9 gives them in lower case.
 */
int stix_id_valid(const char *id, const char *type)
{
	const char *sep;
	size_t tlen;

	if (id == NULL)
		return 0;
	/* Type names never contain "--", so the first one is the separator. */
	sep = strstr(id, "--");
	if (sep == NULL)
		return 0;
	tlen = (size_t)(sep - id);
	if (!stix_type_name_valid(id, tlen))
		return 0;
	if (type != NULL && (strlen(type) != tlen || memcmp(type, id, tlen) != 0))
		return 0;
	return tx_uuid_valid(sep + 2, strlen(sep + 2)) && !has_upper_hex(sep + 2);
}

/* An identifier that would be valid but for upper-case hex digits. */
static int id_upper(const char *id)
{
	const char *sep = id ? strstr(id, "--") : NULL;

	return sep != NULL && has_upper_hex(sep + 2) &&
	       stix_type_name_valid(id, (size_t)(sep - id)) &&
	       tx_uuid_valid(sep + 2, strlen(sep + 2));
}

/* The error for s, which stix_id_valid refused, at path. */
static tx_err bad_id(struct tx_error *err, const char *path, const char *s,
		     const char *what)
{
	if (id_upper(s))
		return tx_error_set(err, TX_ERR_INVALID, "%s: upper-case letters in"
				    " the UUID: STIX identifiers are lower case"
				    " (STIX 2.1 section 2.9)", path);
	return tx_error_set(err, TX_ERR_INVALID, "%s: %s", path, what);
}

/* Copy s into out for a message: printable ASCII only, cut when long. */
static void show(char *out, size_t outsz, const char *s)
{
	size_t n = 0;

	for (; *s && n + 4 < outsz && n < NAME_SHOW_MAX; s++)
		out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static void join(char *out, const char *prefix, const char *name)
{
	char shown[NAME_SHOW_MAX + 8];

	show(shown, sizeof(shown), name);
	if (prefix[0] == '\0')
		snprintf(out, PATH_MAX_LEN, "%s", shown);
	else
		tx_strfmt(out, PATH_MAX_LEN, "%s.%s", prefix, shown);
}

static void join_index(char *out, const char *prefix, size_t i)
{
	tx_strfmt(out, PATH_MAX_LEN, "%s[%zu]", prefix, i);
}

static tx_err fail(struct tx_error *err, const char *path, const char *what)
{
	return tx_error_set(err, TX_ERR_INVALID, "%s: %s", path, what);
}

/* True when s is one of the '|'-separated words of list. */
static int in_list(const char *list, const char *s)
{
	size_t n = strlen(s);

	while (list != NULL && *list) {
		const char *bar = strchr(list, '|');
		size_t len = bar ? (size_t)(bar - list) : strlen(list);

		if (len == n && memcmp(list, s, n) == 0)
			return 1;
		list = bar ? bar + 1 : NULL;
	}
	return 0;
}

/* list with '|' shown as ", " (for messages). */
static void show_list(char *out, size_t outsz, const char *list)
{
	size_t n = 0;

	for (; *list && n + 3 < outsz; list++) {
		if (*list == '|') {
			out[n++] = ',';
			out[n++] = ' ';
		} else {
			out[n++] = *list;
		}
	}
	out[n] = '\0';
}

/* Does an identifier's type satisfy the allowed list of a reference? */
static int ref_type_ok(const char *allowed, const char *id)
{
	char type[251];
	size_t len = (size_t)(strstr(id, "--") - id);
	enum stix_kind kind;

	if (allowed == NULL)
		return 1;
	memcpy(type, id, len); /* len <= 250: stix_id_valid checked it */
	type[len] = '\0';
	if (in_list(allowed, type))
		return 1;
	kind = stix_type_kind(type);
	if (in_list(allowed, "@sdo") &&
	    (kind == STIX_KIND_SDO || kind == STIX_KIND_UNKNOWN))
		return 1;
	if (in_list(allowed, "@sco") &&
	    (kind == STIX_KIND_SCO || kind == STIX_KIND_UNKNOWN))
		return 1;
	return 0;
}

static tx_err check_ref(const struct prop *p, const json_t *v, const char *path,
			struct tx_error *err)
{
	const char *s = stix_json_str(v);
	char allowed[160];

	if (s == NULL)
		return fail(err, path, "must be a string");
	if (!stix_id_valid(s, NULL))
		return bad_id(err, path, s, "not a STIX identifier");
	if (!ref_type_ok(p->arg, s)) {
		show_list(allowed, sizeof(allowed), p->arg);
		return tx_error_set(err, TX_ERR_INVALID, "%s: must reference %s",
				    path, strcmp(p->arg, "@sdo") == 0 ? "an SDO" :
				    strcmp(p->arg, "@sdo|@sco") == 0 ?
				    "an SDO or SCO" :
				    strcmp(p->arg, "@sco") == 0 ? "an SCO" :
				    allowed);
	}
	return TX_OK;
}

static tx_err check_enum(const struct prop *p, const json_t *v, const char *path,
			 struct tx_error *err)
{
	const char *s = stix_json_str(v);
	char values[400];

	if (s == NULL)
		return fail(err, path, "must be a string");
	if (!in_list(p->arg, s)) {
		show_list(values, sizeof(values), p->arg);
		return tx_error_set(err, TX_ERR_INVALID, "%s: must be one of: %s",
				    path, values);
	}
	return TX_OK;
}

static tx_err check_int(const struct prop *p, const json_t *v, const char *path,
			struct tx_error *err)
{
	json_int_t n;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
		if (n >= p->min && n <= p->max)
			return TX_OK;
	}
	if (p->min == INT64_MIN && p->max == INT64_MAX)
		return fail(err, path, "must be an integer");
	if (p->max == INT64_MAX)
		return tx_error_set(err, TX_ERR_INVALID,
				    "%s: must be an integer of at least %lld",
				    path, (long long)p->min);
	return tx_error_set(err, TX_ERR_INVALID,
			    "%s: must be an integer from %lld to %lld", path,
			    (long long)p->min, (long long)p->max);
}

static tx_err check_number(const struct prop *p, const json_t *v,
			   const char *path, struct tx_error *err)
{
	double d;

	if (json_is_number(v)) {
		d = json_number_value(v);
		if (d >= (double)p->min && d <= (double)p->max)
			return TX_OK;
	}
	if (p->min == INT64_MIN && p->max == INT64_MAX)
		return fail(err, path, "must be a number");
	if (p->max == INT64_MAX)
		return tx_error_set(err, TX_ERR_INVALID,
				    "%s: must be a number of at least %lld",
				    path, (long long)p->min);
	return tx_error_set(err, TX_ERR_INVALID,
			    "%s: must be a number from %lld to %lld", path,
			    (long long)p->min, (long long)p->max);
}

static int is_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* RFC 4648 section 4: groups of four, '=' only as final padding. */
static int is_base64(const char *s)
{
	size_t len = strlen(s), pad = 0;

	if (len % 4 != 0)
		return 0;
	if (len >= 1 && s[len - 1] == '=')
		pad++;
	if (len >= 2 && s[len - 2] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
	}
	return 1;
}

/* Dictionary keys (3.1): 1-250 of a-z A-Z 0-9 '-' '_'. */
static int dict_key_valid(const char *k)
{
	size_t len = strlen(k);

	if (len < 1 || len > 250)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = k[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* Hex lengths of the hashing-algorithm-ov values with a fixed size. */
static const struct {
	const char *name;
	size_t len;
} hash_lens[] = {
	{ "MD5", 32 }, { "SHA-1", 40 }, { "SHA-256", 64 }, { "SHA-512", 128 },
	{ "SHA3-256", 64 }, { "SHA3-512", 128 },
};

static tx_err check_hashes(const json_t *v, const char *path,
			   struct tx_error *err)
{
	char sub[PATH_MAX_LEN];
	const char *key;
	const json_t *h;

	if (!json_is_object(v) || json_object_size(v) == 0)
		return fail(err, path, "must be a non-empty dictionary");
	json_object_foreach((json_t *)v, key, h) {
		const char *s = stix_json_str(h);

		join(sub, path, key);
		if (!dict_key_valid(key))
			return fail(err, sub, "invalid dictionary key");
		if (s == NULL)
			return fail(err, sub, "must be a string");
		for (size_t i = 0; i < sizeof(hash_lens) / sizeof(hash_lens[0]); i++) {
			if (strcmp(key, hash_lens[i].name) != 0)
				continue;
			if (strlen(s) != hash_lens[i].len ||
			    !is_hex(s, hash_lens[i].len))
				return tx_error_set(err, TX_ERR_INVALID,
						    "%s: must be %zu hex digits",
						    sub, hash_lens[i].len);
		}
	}
	return TX_OK;
}

static tx_err check_string_list(const json_t *v, const char *path,
				struct tx_error *err)
{
	char sub[PATH_MAX_LEN];
	size_t i;
	const json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return fail(err, path, "must be a non-empty list of strings");
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			join_index(sub, path, i);
			return fail(err, sub, "must be a string");
		}
	}
	return TX_OK;
}

static int table_has_any(const json_t *obj, const struct prop *t)
{
	for (; t->name; t++)
		if (json_object_get(obj, t->name))
			return 1;
	return 0;
}

static tx_err check_extensions(const json_t *v, const char *path,
			       const struct vctx *cx, int depth,
			       struct tx_error *err)
{
	char sub[PATH_MAX_LEN];
	const char *key;
	const json_t *ext;
	tx_err rc = TX_OK;

	if (!json_is_object(v) || json_object_size(v) == 0)
		return fail(err, path, "must be a non-empty dictionary");
	json_object_foreach((json_t *)v, key, ext) {
		const struct stix_ext *def;

		join(sub, path, key);
		if (!json_is_object(ext))
			return fail(err, sub, "must be an object");
		if (strncmp(key, "extension-definition--", 22) == 0) {
			const json_t *et = json_object_get(ext, "extension_type");
			static const struct prop et_prop = {
				.name = "extension_type", .kind = PK_ENUM,
				.arg = "new-sdo|new-sco|new-sro|"
				       "property-extension|"
				       "toplevel-property-extension",
			};
			char etpath[PATH_MAX_LEN];

			if (!stix_id_valid(key, "extension-definition"))
				return bad_id(err, sub, key, "not an "
					      "extension-definition identifier");
			if (et != NULL) {
				join(etpath, sub, "extension_type");
				if ((rc = check_enum(&et_prop, et, etpath, err)))
					return rc;
			}
			continue;
		}
		def = stix_ext_find(key);
		if (def != NULL) {
			const struct prop *tables[1] = { def->props };

			if (strcmp(def->on_type, cx->type) != 0)
				return tx_error_set(err, TX_ERR_INVALID,
						    "%s: only defined for %s", sub,
						    def->on_type);
			if ((def->flags & T_AT_LEAST_ONE) &&
			    !table_has_any(ext, def->props))
				return fail(err, sub, "at least one property "
					    "required");
			rc = check_props(ext, tables, 1, sub, cx, depth + 1, err);
			if (rc != TX_OK)
				return rc;
			continue;
		}
		/* Lenient: STIX 2.0-style custom object extensions ("x-...-ext"),
		 * deprecated in 2.1 but still met in the wild. */
		if (strncmp(key, "x-", 2) == 0 && strlen(key) > 6 &&
		    strcmp(key + strlen(key) - 4, "-ext") == 0 &&
		    stix_type_name_valid(key, strlen(key)))
			continue;
		/* Lenient: a type STIX 2.1 does not define (custom, or defined
		 * by an extension) may define its own named sub-extensions, as
		 * the Incident Core extension's impact objects do
		 * ("availability", "physical", ...). */
		if (cx->kind == STIX_KIND_UNKNOWN &&
		    stix_type_name_valid(key, strlen(key)))
			continue;
		return fail(err, sub, "unknown extension");
	}
	return TX_OK;
}

static tx_err check_struct(const struct prop *p, const json_t *v,
			   const char *path, const struct vctx *cx, int depth,
			   struct tx_error *err)
{
	const struct prop *tables[1] = { p->sub };

	if (!json_is_object(v))
		return fail(err, path, "must be an object");
	return check_props(v, tables, 1, path, cx, depth + 1, err);
}

static tx_err check_struct_list(const struct prop *p, const json_t *v,
				const char *path, const struct vctx *cx,
				int depth, struct tx_error *err)
{
	char sub[PATH_MAX_LEN];
	size_t i;
	const json_t *e;
	tx_err rc;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return fail(err, path, "must be a non-empty list of objects");
	json_array_foreach(v, i, e) {
		join_index(sub, path, i);
		if ((rc = check_struct(p, e, sub, cx, depth, err)) != TX_OK)
			return rc;
		/* 7.2.3: a granular marking has marking_ref or lang, not both. */
		if (p->kind == PK_GRANULAR) {
			int has_ref = json_object_get(e, "marking_ref") != NULL;
			int has_lang = json_object_get(e, "lang") != NULL;

			if (has_ref == has_lang)
				return fail(err, sub, "exactly one of "
					    "marking_ref or lang required");
		}
	}
	return TX_OK;
}

/* Check one present value against its table row. */
static tx_err check_value(const struct prop *p, const json_t *v,
			  const char *path, const struct vctx *cx, int depth,
			  struct tx_error *err)
{
	char sub[PATH_MAX_LEN];
	const char *s;
	int64_t us;
	size_t i;
	const json_t *e;
	tx_err rc;

	switch (p->kind) {
	case PK_STRING:
	case PK_OV:
		if (!json_is_string(v))
			return fail(err, path, "must be a string");
		return TX_OK;
	case PK_BOOL:
		if (!json_is_boolean(v))
			return fail(err, path, "must be a boolean");
		return TX_OK;
	case PK_INT:
		return check_int(p, v, path, err);
	case PK_NUMBER:
		return check_number(p, v, path, err);
	case PK_TIMESTAMP:
		s = stix_json_str(v);
		if (s == NULL || tx_time_parse(s, &us, NULL) != TX_OK)
			return fail(err, path, "not an RFC 3339 timestamp");
		return TX_OK;
	case PK_REF:
		return check_ref(p, v, path, err);
	case PK_REFS:
		if (!json_is_array(v) || json_array_size(v) == 0)
			return fail(err, path, "must be a non-empty list of "
				    "identifiers");
		json_array_foreach(v, i, e) {
			join_index(sub, path, i);
			if ((rc = check_ref(p, e, sub, err)) != TX_OK)
				return rc;
		}
		return TX_OK;
	case PK_STRINGS:
	case PK_OV_LIST:
		return check_string_list(v, path, err);
	case PK_ENUM:
		return check_enum(p, v, path, err);
	case PK_ENUM_LIST:
		if (!json_is_array(v) || json_array_size(v) == 0)
			return fail(err, path, "must be a non-empty list of "
				    "strings");
		json_array_foreach(v, i, e) {
			join_index(sub, path, i);
			if ((rc = check_enum(p, e, sub, err)) != TX_OK)
				return rc;
		}
		return TX_OK;
	case PK_HASHES:
		return check_hashes(v, path, err);
	case PK_DICT:
		if (!json_is_object(v))
			return fail(err, path, "must be a dictionary");
		return TX_OK;
	case PK_HEX:
		s = stix_json_str(v);
		if (s == NULL || strlen(s) % 2 != 0 || !is_hex(s, strlen(s)))
			return fail(err, path, "must be an even number of hex "
				    "digits");
		return TX_OK;
	case PK_BINARY:
		s = stix_json_str(v);
		if (s == NULL || !is_base64(s))
			return fail(err, path, "must be base64");
		return TX_OK;
	case PK_STRUCT:
		return check_struct(p, v, path, cx, depth, err);
	case PK_STRUCT_LIST:
	case PK_GRANULAR:
		return check_struct_list(p, v, path, cx, depth, err);
	case PK_EXTENSIONS:
		return check_extensions(v, path, cx, depth, err);
	}
	return tx_error_set(err, TX_ERR_INTERNAL, "%s: unknown property kind",
			    path);
}

/* The row describing name: the first table that has it wins. */
static const struct prop *find_def(const struct prop *const *tables,
				   size_t n_tables, const char *name)
{
	for (size_t t = 0; t < n_tables; t++)
		for (const struct prop *p = tables[t]; p->name; p++)
			if (p->name[0] == name[0] && strcmp(p->name, name) == 0)
				return p;
	return NULL;
}

/*
 * Check the properties of obj described by tables: required ones
 * present, present ones well formed. Other properties are left alone.
 */
static tx_err check_props(const json_t *obj, const struct prop *const *tables,
			  size_t n_tables, const char *prefix,
			  const struct vctx *cx, int depth,
			  struct tx_error *err)
{
	char path[PATH_MAX_LEN];
	tx_err rc = TX_OK;

	if (depth > MAX_DEPTH) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s: nested too deeply",
				  prefix);
		goto out;
	}
	for (size_t t = 0; t < n_tables; t++) {
		for (const struct prop *p = tables[t]; p->name; p++) {
			const json_t *v;

			/* A type's own row overrides the common one. */
			if (find_def(tables, t, p->name) != NULL)
				continue;
			v = json_object_get(obj, p->name);
			if (v == NULL && !(p->flags & P_REQ))
				continue; /* most of a table: no path to make */
			join(path, prefix, p->name);
			if (v == NULL) {
				rc = fail(err, path, "required property missing");
				goto out;
			}
			rc = check_value(p, v, path, cx, depth, err);
			if (rc != TX_OK)
				goto out;
		}
	}
out:
	return rc;
}

/* Property names (3.1, 11.1): 3-250 of a-z A-Z 0-9 '_'. */
static int prop_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len < 3 || len > 250)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * A custom property *_ref must hold an identifier (3.1). Lenient: an
 * empty string counts as "no reference", as MITRE ATT&CK publishes
 * x_mitre_data_source_ref = "" on some objects.
 */
static tx_err check_custom_ref(const json_t *v, const char *path,
			       struct tx_error *err)
{
	const char *s = stix_json_str(v);

	if (s != NULL && s[0] == '\0')
		return TX_OK;
	if (s == NULL || !stix_id_valid(s, NULL))
		return bad_id(err, path, s, "not a STIX identifier");
	return TX_OK;
}

static tx_err check_custom(const json_t *obj, const struct prop *const *tables,
			   size_t n_tables, struct tx_error *err)
{
	char name[NAME_SHOW_MAX + 8], sub[PATH_MAX_LEN];
	const char *key;
	const json_t *v;
	size_t i;
	const json_t *e;
	tx_err rc = TX_OK;

	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "type") == 0 || strcmp(key, "id") == 0 ||
		    strcmp(key, "spec_version") == 0 ||
		    find_def(tables, n_tables, key) != NULL)
			continue;
		show(name, sizeof(name), key);
		if (!prop_name_valid(key)) {
			rc = fail(err, name, "invalid property name");
			goto out;
		}
		for (size_t r = 0; r < sizeof(reserved_names) /
				       sizeof(reserved_names[0]); r++) {
			if (strcmp(key, reserved_names[r]) == 0) {
				rc = fail(err, name, "reserved property name");
				goto out;
			}
		}
		if (ends_with(key, "_ref")) {
			if ((rc = check_custom_ref(v, name, err)) != TX_OK)
				goto out;
		} else if (ends_with(key, "_refs")) {
			if (!json_is_array(v)) {
				rc = fail(err, name, "must be a list of "
					  "identifiers");
				goto out;
			}
			json_array_foreach(v, i, e) {
				join_index(sub, name, i);
				if ((rc = check_custom_ref(e, sub, err)) != TX_OK)
					goto out;
			}
		}
	}
out:
	return rc;
}

static tx_err check_order(const json_t *obj, const struct prop *const *tables,
			  size_t n_tables, struct tx_error *err)
{
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		const struct order *o = &orders[i];
		const struct prop *a = find_def(tables, n_tables, o->first);
		const struct prop *b = find_def(tables, n_tables, o->second);
		int64_t t1, t2;

		if (a == NULL || b == NULL || a->kind != PK_TIMESTAMP ||
		    b->kind != PK_TIMESTAMP)
			continue;
		if (stix_json_time(obj, o->first, &t1) != 0 ||
		    stix_json_time(obj, o->second, &t2) != 0)
			continue;
		if (t2 < t1 || (o->strict && t2 == t1))
			return fail(err, o->second, o->msg);
	}
	return TX_OK;
}

/*
 * Validate one STIX 2.1 object (see stix.h). Takes no ownership of obj and
 * never changes it. Returns TX_OK, or TX_ERR_INVALID with err holding
 * "<property path>: <reason>" for the first problem found.
 */
tx_err stix_validate(const json_t *obj, struct tx_error *err)
{
	const struct stix_type *td;
	const struct prop *tables[MAX_TABLES];
	size_t n_tables = 0;
	const json_t *jtype, *jid, *jver;
	const char *type, *id;
	struct vctx cx;
	tx_err rc = TX_OK;

	if (!json_is_object(obj)) {
		rc = fail(err, "object", "not a JSON object");
		goto out;
	}
	jtype = json_object_get(obj, "type");
	if (jtype == NULL) {
		rc = fail(err, "type", "required property missing");
		goto out;
	}
	type = stix_json_str(jtype);
	if (type == NULL) {
		rc = fail(err, "type", "must be a string");
		goto out;
	}
	if (!stix_type_name_valid(type, strlen(type))) {
		rc = fail(err, "type", "invalid type name (3-250 of a-z, 0-9 "
			  "and single hyphens)");
		goto out;
	}
	if (strcmp(type, "bundle") == 0) {
		rc = fail(err, "type", "a bundle is not a STIX object");
		goto out;
	}

	jid = json_object_get(obj, "id");
	if (jid == NULL) {
		rc = fail(err, "id", "required property missing");
		goto out;
	}
	id = stix_json_str(jid);
	if (id == NULL || !stix_id_valid(id, NULL)) {
		rc = bad_id(err, "id", id, "not a STIX identifier (<type>--<UUID>)");
		goto out;
	}
	if (!stix_id_valid(id, type)) {
		rc = fail(err, "id", "type part does not match type");
		goto out;
	}

	td = stix_type_find(type);
	cx.type = type;
	cx.kind = td ? td->kind : STIX_KIND_UNKNOWN;

	/* 3.2 / 6.1: required on SDOs, SROs and meta objects, optional on
	 * SCOs and (since we cannot tell which they are) on custom types. */
	jver = json_object_get(obj, "spec_version");
	if (jver == NULL) {
		if (cx.kind != STIX_KIND_SCO && cx.kind != STIX_KIND_UNKNOWN) {
			rc = fail(err, "spec_version", "required property missing");
			goto out;
		}
	} else if (!json_is_string(jver) ||
		   strcmp(json_string_value(jver), "2.1") != 0 ||
		   json_string_length(jver) != 3) {
		rc = fail(err, "spec_version", "must be \"2.1\"");
		goto out;
	}

	if (td != NULL) {
		tables[n_tables++] = td->props;
		tables[n_tables++] = td->common;
	} else {
		tables[n_tables++] = stix_common_custom;
	}
	if ((rc = check_props(obj, tables, n_tables, "", &cx, 0, err)))
		goto out;
	if ((rc = check_custom(obj, tables, n_tables, err)) != TX_OK)
		goto out;
	if ((rc = check_order(obj, tables, n_tables, err)) != TX_OK)
		goto out;
	if (td != NULL && (td->flags & T_AT_LEAST_ONE) &&
	    !table_has_any(obj, td->props) &&
	    json_object_get(obj, "extensions") == NULL) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s: at least one %s "
				  "property required", type, type);
		goto out;
	}
	if (td != NULL && td->check != NULL)
		rc = td->check(obj, err);
out:
	return rc;
}
