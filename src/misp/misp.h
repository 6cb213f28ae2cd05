/*
 * misp: MISP events both ways (the MISP core format,
 * draft-dulaunoy-misp-core-format).
 *
 * Out: a collection's STIX reports as a MISP feed: manifest.json (one
 * entry per event: Orgc, Tag, info, date, analysis, threat_level_id,
 * timestamp), one {uuid}.json per event ({"Event": {..., "Attribute",
 * "Object", "Tag"}}) and hashes.csv (md5 of each attribute value, the
 * event's uuid). Each indicator with one simple comparison becomes an
 * attribute of its MISP type, other patterns a stix2-pattern attribute;
 * TLP becomes tlp: tags, ATT&CK attack patterns misp-galaxy tags, the
 * verified origin (never created_by_ref) the Orgc. TLP:RED, AMBER+STRICT
 * and node-local objects never enter a feed. An event's text is a pure
 * function of what is stored, so an unchanged event keeps its timestamp
 * and bytes: a consumer polling again fetches only events that moved.
 *
 * In: MISP JSON (one event, a list, {"response": [...]}, or a feed
 * folder with its manifest) to STIX 2.1 objects with ids derived from the
 * MISP uuids, so a re-import updates rather than duplicates. What cannot
 * be mapped is told to a callback with event, index and type; the rest is
 * kept. The module never prints and never stores: the CLI does.
 */
#ifndef TRILEX_MISP_MISP_H
#define TRILEX_MISP_MISP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"
#include "taxii/taxii.h"

/* ---- feed out (misp/feed.c) ---- */

#define MISP_FEED_COLLS_MAX 32

/* What a feed publishes, and who made what this node made: the Orgc of
 * its own events. */
struct misp_feed_opts {
	int64_t collection_pk;        /* one collection; or, when n_colls: */
	const int64_t *colls;         /* these (a saved filter's), in order: */
	size_t n_colls;               /* the first holding a report speaks for
	                                 it; at most MISP_FEED_COLLS_MAX */
	const char *const *labels;    /* only reports with one of them */
	size_t n_labels;              /* 0: every report */
	const char *tlp_max;          /* "clear", "green": objects (and reports)
	                                 marked above it left out; NULL: amber */
	const char *self_name;        /* the node's name (node.json "name") */
	const char *self_uuid;        /* the node's identity UUID */
	size_t max_refs;              /* objects one report may name; 0: 100000 */
};

/* One event of a feed; every pointer is borrowed for the callback. */
struct misp_feed_event {
	const char *uuid;
	int64_t timestamp;            /* seconds */
	const char *json;             /* {"Event": ...} */
	size_t json_len;
	const json_t *manifest;       /* its manifest.json entry */
	const char *hashes;           /* its hashes.csv lines */
	size_t hashes_len;
	size_t n_attributes;
	size_t n_withheld;            /* objects left out (TLP, local) */
};

/* What a walk came to. */
struct misp_feed_stats {
	size_t events;
	size_t attributes;
	size_t withheld_events;       /* reports left out by their marking */
	size_t withheld_objects;      /* objects of events left out */
	size_t filtered_events;       /* reports not of a saved filter (labels,
	                                 or an earlier collection's) */
};

typedef int (*misp_event_fn)(void *ctx, const struct misp_feed_event *ev);

/*
 * Hand every event of collection o->collection_pk (each report's last
 * version) to fn in date_added order; fn returns 0 to go on, anything
 * else to stop with TX_ERR_INTERNAL. stats may be NULL.
 */
tx_err misp_feed_walk(tx_store *st, const struct misp_feed_opts *o,
		      misp_event_fn fn, void *ctx, struct misp_feed_stats *stats,
		      struct tx_error *err);
/*
 * One event by its uuid as {"Event": ...} text (*json caller-freed).
 * TX_ERR_NOTFOUND when the collection has no such report or its marking
 * keeps it out of feeds (the same answer: nothing is told of it).
 */
tx_err misp_feed_event(tx_store *st, const struct misp_feed_opts *o,
		       const char *uuid, char **json, size_t *len,
		       struct tx_error *err);

/* What misp_feed_write_dir did. */
struct misp_write_stats {
	struct misp_feed_stats feed;
	size_t written;               /* {uuid}.json new or changed */
	size_t unchanged;
	size_t removed;               /* {uuid}.json of events no longer fed */
};

/*
 * Write the feed to folder out (made if missing): every {uuid}.json whose
 * bytes changed, manifest.json and hashes.csv (atomic writes), and remove
 * the {uuid}.json files of events no longer in it. Other files are left.
 */
tx_err misp_feed_write_dir(tx_store *st, const struct misp_feed_opts *o,
			   const char *out, struct misp_write_stats *ws,
			   struct tx_error *err);

/*
 * The opts of saved filter f as user u may read it: its collections'
 * pks into pks[MISP_FEED_COLLS_MAX] (o points at them and at f), its
 * labels and TLP. TX_ERR_NOTFOUND (err says which) when a collection it
 * names is gone or u may not read it: a filter is read whole or not.
 */
tx_err misp_filter_opts(tx_store *st, const struct store_user *u,
			const struct store_filter *f, int64_t *pks,
			const char **labels, struct misp_feed_opts *o,
			struct tx_error *err);

/*
 * The feed over HTTPS (misp/http.c), the row "misp-feed/" of the server's
 * extensions: GET misp-feed/{collection}/manifest.json, hashes.csv or
 * {uuid}.json, for users who may read the collection, or every
 * collection of the saved filter of that name (a collection's id or
 * alias comes first); ETag and
 * If-None-Match (304). The shape of taxii_ext_fn; ctx unused.
 */
void misp_http_feed(void *ctx, const struct taxii_ext_request *rq,
		    struct taxii_ext_reply *rp);

/* What this process served of one feed since it started (misp/http.c):
 * answers, those that were 304, those that failed (4xx, 5xx: an event
 * uuid it does not hold, a POST, a store error), when. Requests for a
 * feed the user may not read are not counted (they are told "no such
 * collection", as for one that does not exist). */
#define MISP_FEED_KEY_MAX 80
struct misp_feed_served {
	int64_t requests, not_modified, errors;
	int64_t last_at, last_error_at;   /* us */
	int64_t events;                   /* in the last manifest built; -1 */
	unsigned last_status;
	char last_error[160];
};
/* The record of feed key ("c:COLLECTION-ID" or "f:FILTER-NAME"): 0, or
 * -1 when it was not asked for since serve started. */
int misp_feed_served_get(const char *key, struct misp_feed_served *out);

/* ---- MISP in (misp/import.c) ---- */

/* An attribute (or reference) that could not be mapped: event is the
 * event's uuid (or "events[N]" without one), what says where ("Attribute",
 * "Object[2].Attribute", "ObjectReference"...), index counts from 0. */
typedef void (*misp_problem_fn)(void *ctx, const char *event, const char *what,
				size_t index, const char *type, const char *why);

struct misp_import_opts {
	const char *default_tlp;      /* events without a tlp: tag; "amber" */
	misp_problem_fn problem;      /* may be NULL */
	void *ctx;
	/* misp_import_path of a folder: called after each event file once
	 * objects holds flush_at or more (0: 10000), to store them and empty
	 * the array, so memory is that of a batch, not of the feed; non-OK
	 * stops the import with that error. May be NULL. */
	tx_err (*flush)(void *ctx, json_t *objects, struct tx_error *err);
	size_t flush_at;
	size_t max_events;            /* 0: 100000 */
	size_t max_attributes;        /* per event; 0: 1000000 */
};

struct misp_import_stats {
	size_t events;
	size_t attributes;            /* mapped */
	size_t unmapped;              /* told to problem */
	size_t indicators, observed, notes, relationships, galaxies;
};

/*
 * Convert MISP JSON text (len bytes; an event, {"Event": ...}, a list of
 * either, or {"response": [...]}) to STIX 2.1 objects appended to objects
 * (an array). TX_ERR_INVALID with line and column when the text is not
 * JSON, or with the event's place when it is not a MISP event at all
 * (nothing appended then for that event; the other events are kept).
 * TX_ERR_NOMEM when memory ran out, also in an unchecked jansson call: the
 * objects of the event being converted are taken back, so every object
 * appended is whole.
 */
tx_err misp_import_text(const char *text, size_t len,
			const struct misp_import_opts *o, json_t *objects,
			struct misp_import_stats *stats, struct tx_error *err);
/*
 * The same for a file, or a feed folder: its manifest.json names the
 * events, read from {uuid}.json beside it (a name that is not a UUID is
 * refused). Files are read up to max_file bytes (0: 256 MiB).
 */
tx_err misp_import_path(const char *path, size_t max_file,
			const struct misp_import_opts *o, json_t *objects,
			struct misp_import_stats *stats, struct tx_error *err);

/* ---- mapping (misp/map.c) ---- */

/*
 * The MISP attribute of a STIX pattern: type (e.g. "ip-dst") and value
 * (caller-freed) when the pattern is one comparison (or a pair MISP has a
 * composite type for, "filename|md5"), else "stix2-pattern" and the
 * pattern itself. Returns the MISP category. *value NULL: memory ran out
 * (the pattern is not then sent as it is).
 */
const char *misp_attr_of_pattern(const char *pattern, const char **type,
				 char **value);
/*
 * The STIX pattern (caller-freed) of a MISP attribute type and value, or
 * NULL when the type has no pattern; *why says why then (misp_why_nomem
 * when memory ran out: no fault of the attribute's).
 */
extern const char misp_why_nomem[];
char *misp_pattern_of_attr(const char *type, const char *value,
			   const char **why);
/* The SCO (caller decrefs) a MISP attribute observed, or NULL. */
json_t *misp_sco_of_attr(const char *type, const char *value);

/* ---- MISP objects (misp/objects.c) ---- */

/*
 * The MISP object (caller decrefs: name, meta-category, description,
 * template_uuid, template_version, distribution, Attribute with
 * object_relation, type, category and value; no uuid, timestamp or tags)
 * of a pattern that is one bracket of two or more equalities joined by
 * AND on the paths of one template (file, network-connection, email,
 * x509, url), else NULL; *nomem is set when NULL means that memory ran
 * out (0 otherwise).
 */
json_t *misp_object_of_pattern(const char *pattern, int *nomem);
/* The same for an observed SCO: a file with two or more of name, hashes,
 * size, MIME type (a name and one hash stays a composite attribute), an
 * x509 certificate, a network-traffic or email-message with two or more
 * facts (the addresses its refs name looked up in byid, and those ids
 * set in consumed: the object holds them); else NULL. */
json_t *misp_object_of_sco(const json_t *sco, const json_t *byid,
			   json_t *consumed);
/* Whether objects of template name are mapped as one STIX object. */
int misp_obj_known(const char *name);
/* NULL when relation of template name with value maps, else why not. */
const char *misp_obj_check(const char *name, const char *relation,
			   const char *value);
/* The pattern (caller frees) ANDing the n (relation, value) of an object
 * of template name (each checked by misp_obj_check), or NULL. */
char *misp_obj_pattern(const char *name, const char *const *relations,
		       const char *const *values, size_t n);
/* The SCOs (a list, caller decrefs; the object's own first, with the
 * addresses it refers to after it, each with its id) the n (relation,
 * value) of an object of template name describe, or NULL. An SCO that has
 * none of the properties its STIX id is made of gets TYPE--UUIDv5(seed)
 * rather than a random id. */
json_t *misp_obj_scos(const char *name, const char *const *relations,
		      const char *const *values, size_t n, const char *seed);

#endif
