/*
 * stix/internal.h: private to the stix module.
 *
 * The property tables that describe every STIX 2.1 object type and
 * predefined SCO extension (stix/types.c), and the few helpers the
 * per-type rules share with the validation engine (stix/validate.c).
 */
#ifndef TRILEX_STIX_STIX_INT_H
#define TRILEX_STIX_STIX_INT_H

#include <jansson.h>
#include <stdint.h>

#include "core/core.h"
#include "stix/stix.h"

/* The shape a property value must have. */
enum prop_kind {
	PK_STRING,      /* any string */
	PK_BOOL,        /* true or false */
	PK_INT,         /* JSON integer in [min, max] */
	PK_NUMBER,      /* JSON integer or real in [min, max] */
	PK_TIMESTAMP,   /* RFC 3339 UTC timestamp ("...Z") */
	PK_REF,         /* identifier; arg lists the allowed types */
	PK_REFS,        /* non-empty list of identifiers; arg as PK_REF */
	PK_STRINGS,     /* non-empty list of strings */
	PK_OV,          /* open vocabulary: any string */
	PK_OV_LIST,     /* open vocabulary: non-empty list of strings */
	PK_ENUM,        /* closed vocabulary: arg lists the values */
	PK_ENUM_LIST,   /* non-empty list of PK_ENUM values */
	PK_HASHES,      /* hashes dictionary */
	PK_DICT,        /* dictionary (JSON object), contents not checked */
	PK_HEX,         /* even number of hex digits */
	PK_BINARY,      /* base64 (RFC 4648 section 4) */
	PK_STRUCT,      /* object whose properties are described by sub */
	PK_STRUCT_LIST, /* non-empty list of PK_STRUCT */
	PK_GRANULAR,    /* granular_markings: PK_STRUCT_LIST plus one-of rule */
	PK_EXTENSIONS,  /* extensions dictionary */
};

/* Property flags. */
#define P_REQ 0x1u /* required */

/*
 * One property of an object, extension or nested structure. Tables end
 * with a row whose name is NULL. arg is a '|'-separated list: type names
 * for references ("@sdo" and "@sco" stand for any SDO or SCO type, and
 * custom types count as both; NULL allows any type), values for closed
 * vocabularies.
 */
struct prop {
	const char *name;
	enum prop_kind kind;
	unsigned flags;
	const char *arg;
	int64_t min, max;        /* bounds of PK_INT and PK_NUMBER */
	const struct prop *sub;  /* PK_STRUCT, PK_STRUCT_LIST, PK_GRANULAR */
};

/* Type flags. */
#define T_AT_LEAST_ONE 0x1u /* at least one of its own properties */

/*
 * One STIX 2.1 object type: its kind, the common properties of that kind,
 * its own properties (which override common rows of the same name) and
 * the rules that span several properties (run after the table checks, so
 * they may assume every present property has its declared shape).
 */
struct stix_type {
	const char *name;
	enum stix_kind kind;
	unsigned flags;
	const struct prop *common;
	const struct prop *props;
	tx_err (*check)(const json_t *obj, struct tx_error *err);
};

/* One predefined SCO extension ("archive-ext" on "file", ...). */
struct stix_ext {
	const char *name;
	const char *on_type;
	unsigned flags;
	const struct prop *props;
};

/* Common properties checked on custom and extension-defined types. */
extern const struct prop stix_common_custom[];

/* The table row of a STIX 2.1 type, NULL for others. */
const struct stix_type *stix_type_find(const char *type);
/* The predefined SCO extension called name, NULL for others. */
const struct stix_ext *stix_ext_find(const char *name);
/* True when s (len bytes) is a valid type name: 3-250 of a-z 0-9 '-'. */
int stix_type_name_valid(const char *s, size_t len);
/* The text of a JSON string without embedded NULs, else NULL. Borrowed. */
const char *stix_json_str(const json_t *v);
/* Read obj[name] as a timestamp; 0 when present and valid. */
int stix_json_time(const json_t *obj, const char *name, int64_t *us);
/* How RFC 8785 (JCS) writes byte b of a string: 0 when as it is, else
 * the length of its escape in esc ('"', '\\', the short forms \b \f \n
 * \r \t, or \u00xx in lower-case hex below 0x20); canon.c. */
size_t stix_jcs_escape(unsigned char b, char esc[6]);

#endif
