/*
 * stix: the STIX 2.1 data model.
 *
 * Validation of objects on ingest (common properties, the required
 * properties and vocabulary shapes of every SDO, SRO, SCO, marking
 * definition, language content and extension definition, custom
 * properties), the kinds of object types, and the id rules.
 * Works on jansson values; never stores, never prints.
 */
#ifndef TRILEX_STIX_STIX_H
#define TRILEX_STIX_STIX_H

#include <jansson.h>
#include <stddef.h>

#include "core/core.h"

enum stix_kind {
	STIX_KIND_UNKNOWN = 0, /* custom or extension-defined type */
	STIX_KIND_SDO,
	STIX_KIND_SRO,         /* relationship, sighting */
	STIX_KIND_SCO,
	STIX_KIND_META,        /* marking-definition, language-content,
	                          extension-definition */
};

/* The kind of a type name defined by STIX 2.1 (UNKNOWN for others). */
enum stix_kind stix_type_kind(const char *type);

/*
 * True when id is "<type>--<UUID>" with the given type (any valid type name
 * when type is NULL), the UUID in lower case (STIX 2.1 section 2.9).
 */
int stix_id_valid(const char *id, const char *type);

/*
 * Validate one STIX 2.1 object. Takes no ownership of obj.
 * On failure returns TX_ERR_INVALID and fills err with a message that
 * starts with the property path, for example
 * "valid_from: not an RFC 3339 timestamp" or
 * "external_references[0].source_name: required property missing".
 * The caller prefixes the object's position and id.
 */
tx_err stix_validate(const json_t *obj, struct tx_error *err);

/*
 * The RFC 8785 canonical form of v: caller frees *out (NUL-terminated,
 * length in *len). TX_ERR_INVALID for values JCS cannot represent
 * (NaN/Inf reals, invalid UTF-8 in strings or keys, nesting deeper than
 * 512 containers); TX_ERR_NOMEM. Takes no ownership of v.
 */
tx_err stix_canonicalize(const json_t *v, char **out, size_t *len,
			 struct tx_error *err);
/*
 * The STIX 2.1 (section 2.9) id of an SCO into out (n bytes; 128 are
 * always enough for the spec's types): TYPE--UUIDv5 in the SCO namespace
 * over the canonical JSON of its ID-contributing properties (one hash of
 * hashes: MD5, SHA-1, SHA-256, SHA-512, else the least name), a random
 * UUID when none is present. TX_ERR_INVALID for a type that is not an SCO
 * or a value JCS cannot represent; TX_ERR_NOMEM.
 */
tx_err stix_sco_id(const json_t *sco, char *out, size_t n, struct tx_error *err);
/*
 * An SCO id without a tree: the caller writes the canonical JSON (RFC
 * 8785) of the ID-contributing properties piece by piece, members in JCS
 * order (for the ASCII names of the spec's properties, byte order), and
 * it is hashed as it goes into the same id stix_sco_id gives (no
 * allocation). raw: structure ({, "name":, ",", }) as given; str: a
 * string value, quoted and escaped as JCS does (the caller has checked
 * that it is UTF-8); num: an integer. stix_idw_id writes TYPE--UUID into
 * out (n bytes) and returns 0, or -1 when out is too small or a value was
 * one the writer does not do (an integer beyond 2^53, which JCS writes as
 * a double: use stix_sco_id on the object then).
 */
struct stix_idw {
	struct tx_sha1 h;
	size_t n;
	int bad;
	char buf[256];
};
void stix_idw_init(struct stix_idw *w);
void stix_idw_raw(struct stix_idw *w, const char *s, size_t n);
void stix_idw_str(struct stix_idw *w, const char *s, size_t n);
void stix_idw_num(struct stix_idw *w, int64_t v);
int stix_idw_id(struct stix_idw *w, const char *type, char *out, size_t n);
/* True for the SCO types of STIX 2.1 section 6. */
int stix_is_sco_type(const char *type);

/*
 * The canonical form of the object v as if its "extensions" had no member
 * ext (and as if it had no "extensions" at all when ext was the only one),
 * without copying v. ext NULL: stix_canonicalize.
 */
tx_err stix_canonicalize_omit(const json_t *v, const char *ext, char **out,
			      size_t *len, struct tx_error *err);

#endif
