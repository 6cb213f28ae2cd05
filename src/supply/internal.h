/*
 * supply/internal.h: what the files of supply/ share; private to it.
 */
#ifndef TRILEX_SUPPLY_INTERNAL_H
#define TRILEX_SUPPLY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "supply/supply.h"

/* Caps on outside input. */
#define SUPPLY_FILE_MAX ((size_t)256 << 20)   /* one document */
#define SUPPLY_MEMBER_MAX ((size_t)64 << 20)  /* one archive member */
#define SUPPLY_MAX_DEPTH 32                   /* nested components */
#define SUPPLY_MAX_COMPONENTS 500000
#define SUPPLY_MAX_EVENTS 1024                /* per range */
#define SUPPLY_MAX_LIST 100000                /* aliases, versions, ... */
#define SUPPLY_STR_MAX 4096                   /* one string field */

/* ---- the database ---- */

enum ev_kind { EV_INTRODUCED, EV_FIXED, EV_LAST_AFFECTED, EV_LIMIT };

struct adv_event {
	enum ev_kind kind;
	const char *version;
};

enum range_type { RANGE_SEMVER, RANGE_ECOSYSTEM, RANGE_GIT };

struct adv_range {
	enum range_type type;
	struct adv_event *ev;
	size_t n_ev;
};

struct advisory;

struct adv_affected {
	struct advisory *adv;
	enum supply_eco eco;
	const char *ecosystem;      /* as written */
	const char *name;           /* as written */
	struct adv_range *ranges;
	size_t n_ranges;
	const char **versions;      /* explicit list */
	size_t n_versions;
	enum supply_severity sev;   /* ecosystem_specific / database_specific */
	struct adv_affected *next;  /* same package key */
};

struct advisory {
	const char *id;
	const char **aliases;
	size_t n_aliases;
	enum supply_severity sev;
	int malicious;
};

struct vendor {
	const char *name;
	const char **aliases;
	size_t n_aliases;
	const char **subsidiaries;
	size_t n_subsidiaries;
	const char **countries;
	size_t n_countries;
	const char *reason;
	const char *source;
};

enum part_status { PART_COUNTERFEIT, PART_SUSPECT };

struct part {
	const char *manufacturer;
	const char *mfr_key;        /* normalised */
	const char *part_number;
	const char *pn_key;         /* normalised */
	const char *lot_from, *lot_to;
	const char *date_from, *date_to;
	const char *hash;           /* lower-case hex, or NULL */
	enum part_status status;
	const char *reason;
	const char *source;
	struct part *next;          /* same part number key / hash */
	struct part *next_hash;
};

struct kev_entry {
	const char *cve;
	const char *vendor, *product, *date_added, *ransomware;
};

struct category {
	const char *id;
	const char *name;
	int tier;
};

#define SUPPLY_MAX_CATEGORIES 64

struct supply_db {
	struct tx_arena arena;
	struct tx_htab advisories;    /* id -> struct advisory */
	struct tx_htab packages;      /* eco key + '\n' + name -> adv_affected */
	struct tx_htab vendors;       /* normalised name -> struct vendor */
	struct tx_htab vendor_names;  /* vendor name (exact) -> vendor: dedup */
	struct tx_htab parts_pn;      /* normalised part number -> part */
	struct tx_htab parts_hash;    /* hash hex -> part */
	struct tx_htab parts_seen;    /* dedup key -> part */
	struct tx_htab kev;           /* CVE id -> kev_entry */
	struct tx_htab csaf_docs;     /* CSAF tracking id -> its id (dedup) */
	struct tx_htab csaf_keys;     /* supply_csaf_key -> chain of csaf_ref */
	struct tx_htab vex;           /* vulnerability id / alias -> vex_ref */
	struct tx_htab vex_docs;      /* VEX document id (dedup) */
	struct tx_htab ecos;          /* ecosystem key ("go") -> eco_count */
	struct category cats[SUPPLY_MAX_CATEGORIES];
	size_t n_cats;
	int cats_loaded;           /* a list replaced the built-in one */
	struct supply_counts counts;
	json_t *emit;              /* borrowed: where STIX copies go */
	supply_problem_fn problem_fn; /* bad documents skipped, or NULL */
	void *problem_ctx;
	struct supply_stix_opts emit_opts;
};

/* The key of a package in db->packages ("npm\nlodash"); NULL past cap. */
char *supply_pkg_key(struct tx_arena *a, enum supply_eco eco, const char *ecosystem,
	      const char *name);
/* The same into a caller buffer; returns 0, or -1 when it won't fit. */
int supply_pkg_key_buf(char *out, size_t n, enum supply_eco eco,
		const char *ecosystem, const char *name);

/* Normalise an organisation name: lower case, punctuation to spaces,
 * legal prefixes and suffixes dropped. out has n bytes. */
void supply_vendor_normalise(const char *in, char *out, size_t n);
/* Normalise a part number: upper-case letters and digits only. */
void supply_part_normalise(const char *in, char *out, size_t n);

/* ---- CSAF 2.0 advisories (csaf.c) ---- */

enum csaf_status {
	CSAF_AFFECTED = 0,      /* known_affected, first_/last_affected */
	CSAF_INVESTIGATING,     /* under_investigation */
	CSAF_FIXED,             /* fixed, first_fixed */
	CSAF_NOT_AFFECTED,      /* known_not_affected */
	CSAF_RECOMMENDED,       /* recommended */
};

/* What one vulnerability of a document says of one product. */
struct csaf_hit {
	const char *doc_id;         /* document.tracking.id */
	const char *cve;            /* or NULL (then the vulnerability's ids) */
	enum csaf_status status;
	enum supply_severity sev;
	const char *remediation;    /* "vendor_fix: details", or NULL */
	struct csaf_hit *next;
};

/* One product of a product tree, with the branch path that named it. */
struct csaf_product {
	const char *doc_id;
	const char *product_id;
	const char *full_name;      /* product.name */
	const char *vendor;         /* vendor branch, or NULL */
	const char *vendor_key;     /* normalised (supply_vendor_normalise) */
	const char *name;           /* product_name / product_family branch */
	const char *version;        /* product_version branch, or NULL */
	const char *range;          /* product_version_range branch, or NULL */
	const char *cpe, *purl;     /* helpers, or NULL */
	const char **models;        /* helper model_numbers */
	size_t n_models;
	const char **serials;       /* helper serial_numbers */
	size_t n_serials;
	struct csaf_hit *hits;
	/* while reading one vulnerability (csaf.c): its score and
	 * remediation for this product, valid when v_stamp is its number */
	size_t v_stamp;
	int v_scored;
	enum supply_severity v_sev;
	const json_t *v_rem;        /* borrowed from the document */
};

/* An index entry: db->csaf_keys chains these by key. */
struct csaf_ref {
	struct csaf_product *p;
	struct csaf_ref *next;
};

tx_err supply_csaf_load(supply_db *db, const json_t *doc, const char *name,
		 struct tx_error *err);
/* A document is CSAF when its document.csaf_version is a string. */
int supply_csaf_is(const json_t *doc);

/* Keys of db->csaf_keys: "m\n" + supply_part_normalise(model), "n\n" +
 * supply_vendor_normalise(product name), "c\n" + cpe vendor:product,
 * "p\n" + purl without version. 0, or -1 when it won't fit. */
int supply_csaf_key(char *out, size_t n, char kind, const char *value);

/* Order of firmware versions as vendors write them ("V2.4", "R2.03.00",
 * "IP8_SR4"): a leading v dropped, runs of digits compared as numbers,
 * runs of letters without case, separators only split. -1 when the two
 * are not comparable (letters against digits at the same place, or not
 * version-like); *res is then 0. */
int supply_csaf_version_cmp(const char *a, const char *b, int *res);

enum csaf_vmatch { CSAF_V_NO, CSAF_V_YES, CSAF_V_UNSURE };
/* Whether version v (NULL: unknown) is in product p's version or range;
 * for CSAF_V_UNSURE *why says why (static text). */
enum csaf_vmatch supply_csaf_version_in(const struct csaf_product *p, const char *v,
				 const char **why);

/* Advisories loaded per ecosystem (the key of supply_pkg_key, before '\n'). */
struct eco_count {
	const char *key;
	const char *name;           /* as first written: "Go", "npm" */
	size_t n;
};

/* ---- VEX statements (vex.c) ---- */

enum vex_by { VEX_BY_PURL, VEX_BY_CPE, VEX_BY_REF };

/* One statement about one product (identifier) and one vulnerability. */
struct vex_stmt {
	const char *vuln;           /* CVE-..., GHSA-..., an advisory id */
	const char **aliases;
	size_t n_aliases;
	enum vex_by match;
	const char *product;        /* supply_csaf_key 'p' / 'c' form, or a bom-ref */
	const char *bom_serial;     /* BOM-Link: the BOM's serialNumber */
	const char *version;        /* exact version named, or NULL */
	const char *range;          /* CycloneDX versions[].range, or NULL */
	const char *state;          /* as written (CycloneDX or OpenVEX) */
	const char *justification;  /* or NULL */
	const char *detail;         /* detail / impact / action, or NULL */
	const char *source;         /* the document: @id, serial/version */
	const char *format;         /* "cyclonedx" or "openvex" */
	struct vex_stmt *next;
};

struct vex_ref {
	struct vex_stmt *s;
	struct vex_ref *next;
};

int supply_vex_is_openvex(const json_t *doc);
int supply_vex_is_cyclonedx(const json_t *doc);
tx_err supply_vex_load(supply_db *db, const json_t *doc, const char *name,
		struct tx_error *err);
tx_err supply_share_vex(supply_db *db, const json_t *doc, const char *source,
		 size_t n, struct tx_error *err);

/* Readers (one document each; name for messages). */
tx_err supply_osv_load(supply_db *db, const json_t *doc, const char *name,
		struct tx_error *err);
tx_err supply_kev_load(supply_db *db, const json_t *doc, const char *name,
		struct tx_error *err);
tx_err supply_vendors_load_json(supply_db *db, const json_t *doc, const char *name,
			 struct tx_error *err);
tx_err supply_vendors_load_fcc_csv(supply_db *db, const char *data, size_t len,
			    const char *name, struct tx_error *err);
tx_err supply_parts_load_json(supply_db *db, const json_t *doc, const char *name,
		       struct tx_error *err);
tx_err supply_parts_load_csv(supply_db *db, const char *data, size_t len,
		      const char *name, struct tx_error *err);
tx_err supply_priority_load(supply_db *db, const json_t *doc, const char *name,
		     struct tx_error *err);

/* Add one vendor / part (copies into the arena; shares if emitting). */
tx_err supply_vendor_add(supply_db *db, const struct vendor *v, struct tx_error *err);
tx_err supply_part_add(supply_db *db, const struct part *p, struct tx_error *err);
tx_err supply_kev_add(supply_db *db, const struct kev_entry *k, struct tx_error *err);

/* Vendor lookup of a free-text organisation name; NULL when none. */
const struct vendor *supply_vendor_match(const supply_db *db, const char *org);
/* Category of the priority list by id; NULL when unknown. */
const struct category *supply_category_find(const supply_db *db, const char *id);

/* Severity from an OSV document's severity / database_specific. */
enum supply_severity supply_osv_severity(const json_t *doc);
/* CVSS v3.x base score x10 of a vector, or -1 when not one. */
int supply_cvss3_score10(const char *vector);

/* STIX copies of loaded entries (share.c); no-ops when not emitting. */
tx_err supply_share_osv(supply_db *db, const json_t *doc, const struct advisory *a,
		 struct tx_error *err);
tx_err supply_share_kev(supply_db *db, const struct kev_entry *k,
		 struct tx_error *err);
tx_err supply_share_vendor(supply_db *db, const struct vendor *v,
		    struct tx_error *err);
tx_err supply_share_part(supply_db *db, const struct part *p, struct tx_error *err);
tx_err supply_share_priority(supply_db *db, struct tx_error *err);
tx_err supply_share_csaf(supply_db *db, const json_t *doc, const char *doc_id,
		  struct tx_error *err);
/* For readers in other files: a new object of ours (type, id key,
 * created/modified as outside timestamps or NULL, marking, kind), its
 * extension returned borrowed in *ext; NULL on ENOMEM. supply_share_emit adds it
 * to what is shared when it is whole, that is when no JSON allocation failed
 * since mark = tx_json_failures() was taken before building it (NULL or a
 * partial obj: TX_ERR_NOMEM, nothing shared). */
json_t *supply_share_object(const char *type, const char *key, const char *created,
		     const char *modified, const struct supply_stix_opts *o,
		     const char *kind, json_t **ext);
tx_err supply_share_emit(supply_db *db, unsigned long mark, json_t *obj,
			 struct tx_error *err);

/* Read every member of a .tar.gz, handing *.json and *.csv to fn. */
typedef tx_err (*tar_member_fn)(void *ctx, const char *name, const char *data,
				size_t len, struct tx_error *err);
tx_err supply_tar_gz_each(const char *path, tar_member_fn fn, void *ctx,
		   struct tx_error *err);

/* JSON helpers: a string member (NULL when absent); -1 on wrong type. */
int supply_jstr(const json_t *obj, const char *key, const char **out);

#endif
