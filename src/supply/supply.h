/*
 * supply: supply-chain risk checks.
 *
 * Reads bills of materials (CycloneDX JSON 1.4-1.6) and advisory sources
 * (OSV advisories, a vendor watch list, a counterfeit and suspect parts
 * list, CISA's Known Exploited Vulnerabilities catalogue, the partners'
 * equipment priority list), from files, folders, .tar.gz archives or the
 * STIX objects they travel as, and checks a BOM against them. Never
 * prints, never speaks SQL: the CLI feeds it files and store rows.
 */
#ifndef TRILEX_SUPPLY_SUPPLY_H
#define TRILEX_SUPPLY_SUPPLY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"

/* The id of our STIX extension definition (property extension). */
#define SUPPLY_EXT_ID STORE_SUPPLY_EXT_ID
/* The STIX type of a stored bill of materials. */
#define SUPPLY_SBOM_TYPE STORE_SUPPLY_SBOM_TYPE

/* ---- version ordering (supply/version.c) ---- */

enum supply_eco {
	SUPPLY_ECO_UNKNOWN = 0, /* ordering unknown: findings are unverified */
	SUPPLY_ECO_SEMVER,      /* SemVer 2.0.0 (OSV range type SEMVER) */
	SUPPLY_ECO_NPM,         /* semver */
	SUPPLY_ECO_GO,          /* semver, with or without the leading v */
	SUPPLY_ECO_PYPI,        /* PEP 440 */
	SUPPLY_ECO_MAVEN,       /* Maven ComparableVersion */
	SUPPLY_ECO_DEBIAN,      /* dpkg */
};

/* The ordering of an OSV ecosystem name ("npm", "Go", "PyPI", "Maven",
 * "Debian", "Debian:12", ...); SUPPLY_ECO_UNKNOWN for the others. */
enum supply_eco supply_ecosystem(const char *name);

/*
 * Compare versions a and b under eco's ordering: *res < 0, 0 or > 0.
 * TX_ERR_INVALID when either is not a version of that ecosystem (or the
 * ordering is unknown); *res is then 0.
 */
tx_err supply_version_cmp(enum supply_eco eco, const char *a, const char *b,
			  int *res);

/* ---- bills of materials (supply/cyclonedx.c) ---- */

#define SUPPLY_MAX_HASHES 4

/* One component of a BOM; every pointer is owned by the BOM. */
struct supply_component {
	const char *type;          /* library, device, firmware, ... */
	const char *name;
	const char *group;
	const char *version;       /* or NULL */
	const char *purl;          /* or NULL */
	const char *cpe;           /* or NULL */
	const char *bom_ref;       /* or NULL */
	const char *supplier;      /* supplier.name, or NULL */
	const char *manufacturer;  /* manufacturer.name (1.6) or NULL */
	const char *author;        /* or NULL */
	const char *publisher;     /* or NULL */
	const char *part_number;   /* property trilex:part-number, else name */
	const char *lot;           /* property trilex:lot, or NULL */
	const char *date_code;     /* property trilex:date-code (YYWW) or NULL */
	const char *category;      /* property trilex:category (inherited) */
	const char *path;          /* "a@1 > b@2": nesting in the BOM */
	const char *hashes[SUPPLY_MAX_HASHES]; /* lower-case hex contents */
	size_t n_hashes;
};

typedef struct supply_bom supply_bom;

/*
 * Parse a CycloneDX JSON document (specVersion 1.4 to 1.6; unknown fields
 * are ignored, not rejected). name is used in messages. The subject
 * (metadata.component) and every nested component become components.
 * On bad input: TX_ERR_INVALID with "name:LINE:COL: ..." for JSON syntax
 * or "name: components[3].purl: must be a string" for shapes.
 */
tx_err supply_bom_parse(const char *data, size_t len, const char *name,
			supply_bom **out, struct tx_error *err);
/* The same from a parsed document (borrowed). */
tx_err supply_bom_from_json(const json_t *doc, const char *name,
			    supply_bom **out, struct tx_error *err);
void supply_bom_free(supply_bom *bom);
size_t supply_bom_count(const supply_bom *bom);
const struct supply_component *supply_bom_component(const supply_bom *bom,
						    size_t i);
/* metadata property trilex:category, or NULL. */
const char *supply_bom_category(const supply_bom *bom);
/* The BOM's serialNumber ("urn:uuid:..."), or NULL. */
const char *supply_bom_serial(const supply_bom *bom);
/* The subject's name@version (or the serial number), for messages. */
const char *supply_bom_title(const supply_bom *bom);

/* ---- advisory database (supply/supply.c and readers) ---- */

typedef struct supply_db supply_db;

/* How loaded entries are shared as STIX (see supply_db_set_emit). */
struct supply_stix_opts {
	const char *marking_ref;   /* a marking-definition id, or NULL */
	const char *created_by_ref; /* an identity id, or NULL */
};

struct supply_counts {
	size_t advisories;   /* OSV entries */
	size_t malicious;    /* of which MAL- */
	size_t vendors;
	size_t parts;
	size_t kev;
	size_t categories;
	size_t stix_ignored; /* STIX objects that were not ours */
	size_t csaf;         /* CSAF 2.0 documents */
	size_t csaf_products; /* products named in their product trees */
	size_t vex;          /* VEX statements (CycloneDX VEX, OpenVEX) */
	size_t skipped;      /* bad documents skipped (supply_db_on_problem) */
};

/* A new, empty database using at most mem_cap bytes (0: 4 GiB). The
 * built-in priority list is in place until a list is loaded. */
tx_err supply_db_new(size_t mem_cap, supply_db **out, struct tx_error *err);
void supply_db_free(supply_db *db);

/*
 * From now on, every entry loaded is also appended to arr (borrowed, must
 * outlive the loads) as a STIX 2.1 object, ready for taxii_ingest. Ids
 * are derived from the entry (same entry, same id and version), so
 * importing twice stores nothing new. arr NULL stops it.
 */
void supply_db_set_emit(supply_db *db, json_t *arr,
			const struct supply_stix_opts *opts);

/*
 * Load a file, a folder (its *.json and *.csv files, recursively) or a
 * .tar.gz archive of them. The kind of each document is recognised by its
 * shape: an OSV advisory, a KEV catalogue, the FCC Covered List CSV, a
 * trilex vendor list, parts list (JSON or CSV) or priority list, or a
 * STIX bundle of objects made by this module. Messages name the file
 * (and archive member), the line or JSON path, and the field.
 */
tx_err supply_db_load_path(supply_db *db, const char *path,
			   struct tx_error *err);
/* Load one document held in memory; name tells .csv from JSON. */
tx_err supply_db_load_buffer(supply_db *db, const char *name,
			     const char *data, size_t len,
			     struct tx_error *err);
/*
 * Load one STIX object (borrowed) made by this module, here or at a
 * partner. Objects that are not ours are counted and ignored (TX_OK);
 * ours with bad content are TX_ERR_INVALID.
 */
tx_err supply_db_load_stix(supply_db *db, const json_t *obj,
			   struct tx_error *err);
void supply_db_counts(const supply_db *db, struct supply_counts *c);

/*
 * What to do with a bad document inside a load: by default (fn NULL) the
 * first one stops supply_db_load_path with its error. With fn set, each
 * document of a file, folder or archive that is not valid
 * (TX_ERR_INVALID or TX_ERR_TOOBIG) is handed to fn with its message
 * (file, archive member, JSON path) and skipped; nothing of it is kept,
 * everything valid around it is, and it is counted in counts.skipped.
 */
typedef void (*supply_problem_fn)(void *ctx, const struct tx_error *err);
void supply_db_on_problem(supply_db *db, supply_problem_fn fn, void *ctx);

/* ---- checking (supply/check.c) ---- */

enum supply_kind {
	SUPPLY_KIND_VULNERABLE = 0,
	SUPPLY_KIND_KNOWN_EXPLOITED,   /* vulnerable, alias in KEV */
	SUPPLY_KIND_MALICIOUS,         /* OSV MAL- entry */
	SUPPLY_KIND_UNVERIFIED,        /* named by an advisory, order unknown */
	SUPPLY_KIND_WATCH_SUPPLIER,
	SUPPLY_KIND_WATCH_MANUFACTURER,
	SUPPLY_KIND_COUNTERFEIT,
	SUPPLY_KIND_SUSPECT,
	SUPPLY_KIND_COUNT,
};

enum supply_severity {
	SUPPLY_SEV_UNKNOWN = 0,
	SUPPLY_SEV_LOW,
	SUPPLY_SEV_MEDIUM,
	SUPPLY_SEV_HIGH,
	SUPPLY_SEV_CRITICAL,
	SUPPLY_SEV_COUNT,
};

const char *supply_kind_name(enum supply_kind k);
const char *supply_severity_name(enum supply_severity s);
/* "low", "medium", "high", "critical" (or "any"); -1 when unknown. */
int supply_severity_parse(const char *s);
/* The severity used for ordering and --fail-on: unknown counts as high
 * (as Dependency-Track weighs unassigned like high). */
enum supply_severity supply_severity_effective(enum supply_severity s);

#define SUPPLY_MAX_ADV_IDS 16

/* One finding; pointers are borrowed from the BOM and the database. */
struct supply_finding {
	const struct supply_component *comp;
	enum supply_kind kind;
	const char *advisories[SUPPLY_MAX_ADV_IDS]; /* ids (and aliases) */
	size_t n_advisories;
	enum supply_severity severity;
	const char *fixed;        /* first fixed version above, or NULL */
	int exploited;            /* an alias is in the KEV catalogue */
	const char *category;     /* priority category id, or NULL */
	int tier;                 /* 1 = protect first; 0 = uncategorised */
	size_t rank;              /* 1 = most urgent */
	const char *reason;       /* watch list / parts list reason, or why
				   * an unverified finding is uncertain */
	const char *product;      /* CSAF: the product's full name, or NULL */
	const char *matched_by;   /* CSAF: "purl", "cpe", "model number",
				   * "product name"; NULL otherwise */
	const char *remediation;  /* CSAF: "vendor_fix: ...", or NULL */
	/* A VEX statement that covers this finding, or all NULL: */
	const char *vex_state;    /* not_affected, false_positive, ... */
	const char *vex_justification;
	const char *vex_detail;
	const char *vex_source;   /* the VEX document */
	int vex_cleared;          /* the statement says it does not apply:
				   * left out of --fail-on, still listed */
};

#define SUPPLY_MAX_ECOSYSTEMS 32

/* What a check had to go on, per ecosystem of the BOM's components. */
struct supply_eco_summary {
	char name[32];        /* "npm", "Go", ...; "hardware/firmware" for
			       * devices and firmware without a purl (CSAF);
			       * "no purl" for other components without one */
	size_t components;    /* of the BOM */
	size_t advisories;    /* loaded for it (CSAF documents for hardware) */
	size_t unchecked;     /* components no loaded advisory could name:
			       * none for the ecosystem, and no CSAF product
			       * with the component's purl or CPE */
};

struct supply_report {
	struct supply_finding *findings; /* owned, ranked */
	size_t n;
	size_t by_kind[SUPPLY_KIND_COUNT];
	size_t by_severity[SUPPLY_SEV_COUNT];
	size_t components;
	struct supply_eco_summary ecosystems[SUPPLY_MAX_ECOSYSTEMS];
	size_t n_ecosystems;  /* the BOM's; the last may gather the rest */
	size_t eco_unchecked; /* components of ecosystems without advisories */
	size_t vex_marked;    /* findings a VEX statement covers */
	size_t vex_cleared;   /* of which it says they do not apply */
};

/*
 * Check every component of bom against db. category (NULL: the BOM's
 * metadata property) places the BOM in a category of the priority list;
 * a component's own trilex:category property overrides it. An unknown
 * category is TX_ERR_INVALID. Findings are ranked by tier, then
 * severity, then exploitation. rep is filled; free it with
 * supply_report_free (also after a failure).
 */
tx_err supply_check(const supply_db *db, const supply_bom *bom,
		    const char *category, struct supply_report *rep,
		    struct tx_error *err);
void supply_report_free(struct supply_report *rep);
/* The warning for an ecosystem of the BOM without advisories ("12 npm
 * components but no npm advisories loaded: ..."), malloc'd; NULL when
 * there is none to give (or on ENOMEM). */
char *supply_eco_warning(const struct supply_eco_summary *e);
/* The report as the `--json` object (findings, summary); NULL on ENOMEM. */
json_t *supply_report_json(const struct supply_report *rep);

/* ---- STIX objects (supply/share.c) ---- */

/*
 * A STIX object keeping the CycloneDX document doc (borrowed, copied in)
 * under a BOM name and category. Its id is derived from the document's
 * serial number (or its content), so adding the same BOM twice gives the
 * same object. NULL on ENOMEM or a bad id.
 */
json_t *supply_bom_to_stix(const json_t *doc, const char *name,
			   const char *category,
			   const struct supply_stix_opts *opts);
/* The BOM kept in such an object (borrowed). TX_ERR_INVALID otherwise. */
tx_err supply_bom_from_stix(const json_t *obj, supply_bom **out,
			    const char **category, struct tx_error *err);
/*
 * A STIX note recording finding f of the BOM object sbom_id. Its id is
 * derived from (sbom_id, component path, kind, advisory ids), so the same
 * finding found again has the same id: new findings are the notes not yet
 * stored. NULL on ENOMEM.
 */
json_t *supply_finding_to_stix(const struct supply_finding *f,
			       const char *sbom_id,
			       const struct supply_stix_opts *opts);
/* A derived STIX id "<type>--<uuid>": UUIDv5 in trilex's namespace over
 * "<type>\n<key>" (tx_uuid5). */
void supply_stix_id(const char *type, const char *key, char *out,
		    size_t outsz);

/* ---- the BOMs and advisories a node stores (supply/stored.c) ---- */

typedef struct supply_node supply_node;
/* Told of an object that did not load or store (id may be NULL). */
typedef void (*supply_warn_fn)(void *ctx, const char *id, const char *msg);
/* Told of each new finding f on bom. */
typedef void (*supply_found_fn)(void *ctx, const supply_bom *bom,
				const struct supply_finding *f);

/*
 * Read every advisory object, finding note and stored BOM of every
 * collection of st: the advisories into db (which may hold more, from
 * files), the BOMs and the ids of recorded findings into *out (free with
 * supply_node_free). warn (may be NULL) is told of objects that did not
 * load (the first ten, then a count).
 */
tx_err supply_node_load(tx_store *st, supply_db *db, supply_warn_fn warn,
			void *ctx, supply_node **out, struct tx_error *err);
void supply_node_free(supply_node *n);
/* supply_node_load reading only the collections pks (n_pks of them;
 * pks NULL: every collection): what a user of the console may read. */
tx_err supply_node_load_in(tx_store *st, const int64_t *pks, size_t n_pks,
			   supply_db *db, supply_warn_fn warn, void *ctx,
			   supply_node **out, struct tx_error *err);
/* The number of stored BOMs loaded. */
size_t supply_node_boms(const supply_node *n);
/* The i-th stored BOM object loaded (borrowed), with its collection and
 * whether that is a partner's inbox (both may be NULL); NULL past the end. */
const json_t *supply_node_bom(const supply_node *n, size_t i,
			      int64_t *collection_pk, int *in_inbox);
/* Whether the finding note note_id (supply_finding_to_stix's id) was
 * among the stored objects loaded. */
int supply_node_recorded(const supply_node *n, const char *note_id);
/*
 * Mark derived (a finding's note, or any object made from finding f of
 * the BOM object bom_obj) as supply_node_recheck marks what it records:
 * the most restrictive marking of the BOM and the advisories f names, as
 * stored (fed_derive_stored).
 */
tx_err supply_finding_mark(tx_store *st, const json_t *bom_obj,
			   const struct supply_finding *f, json_t *derived,
			   struct tx_error *err);
/* Re-check only bom_obj (copied), stored in collection_pk, from now on. */
tx_err supply_node_only(supply_node *n, int64_t collection_pk,
			const json_t *bom_obj, int in_inbox);
/*
 * Check the loaded BOMs (all, or only the one with id only_id) against db;
 * record each finding not recorded before as a note and an alert, marked
 * from the BOM and its advisories, in the BOM's collection (a partner's
 * BOM: in this node's "alerts" collection); found (may be NULL) is told of
 * each, *n_new counts them. A BOM that cannot be checked is passed to warn
 * and skipped; a store error stops and is returned.
 */
tx_err supply_node_recheck(tx_store *st, const supply_db *db, supply_node *n,
			   const char *only_id, supply_found_fn found,
			   supply_warn_fn warn, void *ctx, size_t *n_new,
			   struct tx_error *err);
/* Load and re-check everything a node stores (what serve does when
 * partners' advisories arrive). */
tx_err supply_recheck_stored(tx_store *st, size_t *n_boms, size_t *n_new,
			     struct tx_error *err);

/* What supply_store_objects did. */
struct supply_store_counts {
	size_t added, present, failed;
};
/* Store objs (STIX objects made here) in collection pk as this node's own,
 * through taxii_ingest in batches; failed (may be NULL) is told of each
 * object refused. */
tx_err supply_store_objects(tx_store *st, int64_t pk, const json_t *objs,
			    struct supply_store_counts *n, supply_warn_fn failed,
			    void *ctx, struct tx_error *err);

#endif
