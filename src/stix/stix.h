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
