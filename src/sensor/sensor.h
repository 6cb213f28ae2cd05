/*
 * sensor: what sensors saw, as STIX observables and index facts.
 *
 * Reads Suricata EVE JSON lines (alert, dns, http, tls, flow, fileinfo,
 * smtp and any other event with addresses) with a validating scanner of
 * its own that keeps only the fields it maps and allocates nothing per
 * line, and STIX bundles of observed-data. Each event becomes index facts
 * (pattern.h) and, on demand, an observed-data with its SCOs for the
 * reference evaluator. The matching loop (sensor/match.c) ties the two to
 * an index of indicators. Never prints.
 */
#ifndef TRILEX_SENSOR_SENSOR_H
#define TRILEX_SENSOR_SENSOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "pattern/pattern.h"
#include "store/store.h"

/* Longest EVE line read (bytes); longer lines are reported malformed. */
#define SENSOR_LINE_MAX (1u << 20)
#define SENSOR_MAX_FACTS 64
#define SENSOR_MAX_LIST 8

/* A string an event holds (borrowed from the line or the reader). */
struct sensor_str {
	const char *s;
	size_t len;
};

/* One EVE event, flattened. Strings borrow from the line and the reader's
 * scratch space until the next sensor_eve_parse. */
struct sensor_event {
	size_t line;                 /* 1-based line number */
	int64_t ts;                  /* us since the epoch */
	struct sensor_str event_type, src_ip, dest_ip, proto;
	int64_t src_port, dest_port; /* -1 when absent */
	struct sensor_str domains[SENSOR_MAX_LIST]; /* dns rrname, http host, tls sni */
	size_t n_domains;
	struct sensor_str http_host, http_url, http_method, http_ua;
	struct sensor_str tls_subject, tls_issuer, tls_serial, tls_sha1;
	struct sensor_str file_name, md5, sha1, sha256;
	int64_t file_size;           /* -1 when absent */
	struct sensor_str mail_from, subject;
	struct sensor_str mail_to[SENSOR_MAX_LIST];
	size_t n_mail_to;
	char url[2048];              /* http://host/url, made from the fields */
	size_t url_len;
	char sha1_hex[64];           /* tls fingerprint without colons */
	size_t sha1_hex_len;
	struct pattern_fact facts[SENSOR_MAX_FACTS];
	size_t n_facts;
};

typedef struct sensor_eve sensor_eve;

tx_err sensor_eve_new(sensor_eve **out);
void sensor_eve_free(sensor_eve *r);

/*
 * Scan one EVE line (without its newline) into ev and fill ev->facts.
 * TX_ERR_INVALID for a malformed line, with "column N: <why>" in err;
 * the reader stays usable. No allocation.
 */
tx_err sensor_eve_parse(sensor_eve *r, const char *line, size_t len,
			struct sensor_event *ev, struct tx_error *err);

/*
 * The event as STIX: a JSON list whose first object is an observed-data
 * (first_observed = last_observed = the event time, number_observed 1)
 * followed by the SCOs it references (ipv4-addr, ipv6-addr, domain-name,
 * url, network-traffic, file, x509-certificate, email-message,
 * email-addr), with deterministic ids. Caller owns the result; NULL when
 * out of memory.
 */
json_t *sensor_event_to_stix(const struct sensor_event *ev);

/* ---- the index reloader of `match --follow` (sensor/reload.c) ---- */

/* A new index of the store's indicators now, with its active count. */
typedef tx_err (*sensor_index_fn)(void *ctx, tx_store *st, pattern_index **ix,
				  size_t *n_active, struct tx_error *err);

typedef struct sensor_reloader sensor_reloader;

#define SENSOR_RELOAD_CHECK_MS 500   /* how often the store's clock is read */
#define SENSOR_RELOAD_MAX_S 300      /* a new index at least this often */

/*
 * Start a thread that opens the store at db_path (a connection of its
 * own) and publishes to m a new index from build(ctx, ...) whenever
 * store_last_added differs from seen (then from the last build), and at
 * least every max_s seconds; it looks every check_ms (0: the defaults
 * above). Messages go to stderr. The caller keeps m and ctx alive until
 * sensor_reloader_stop.
 */
tx_err sensor_reloader_start(const char *db_path, pattern_matcher *m, int64_t seen,
			     int check_ms, int max_s, sensor_index_fn build, void *ctx,
			     sensor_reloader **out, struct tx_error *err);
/* Bumped before each publish: a reader that sees a new value holds a new
 * index (its address may be an old one's). */
unsigned long sensor_reloader_generation(const sensor_reloader *r);
/* Indexes published so far; *active (may be NULL): the last one's count. */
size_t sensor_reloader_reloads(const sensor_reloader *r, size_t *active);
/* Stop the thread, wait for it, free r (NULL is fine). */
void sensor_reloader_stop(sensor_reloader *r);

/* ---- matching (sensor/match.c) ---- */

/* One match handed to the callback; everything borrowed for the call. */
struct sensor_match {
	const char *indicator_id;
	uint32_t ind;                /* position in the index */
	size_t line;                 /* event line (EVE) or observed-data number */
	int64_t first, last;         /* time span of the matched observations */
	const json_t *observed;      /* the observed-data that matched (first) */
	const char *observed_id;     /* its id when it came from the input */
	const json_t *values;        /* list of matched values (strings) */
};

typedef void (*sensor_match_fn)(void *ctx, const struct sensor_match *m);

struct sensor_stats {
	size_t events, malformed, candidates, evaluated, matches;
};

typedef struct sensor_engine sensor_engine;

/* An engine over ix (borrowed; must outlive the engine). */
tx_err sensor_engine_new(pattern_index *ix, sensor_engine **out);
void sensor_engine_free(sensor_engine *e);
/* Match with ix from the next event on (between events only; the
 * windows of multi-observation patterns start afresh, also when ix is
 * the index already in use). */
void sensor_engine_set_index(sensor_engine *e, pattern_index *ix);

/*
 * Match one EVE event: index lookup (no allocation), then the reference
 * evaluator for each candidate. Patterns of several observations keep the
 * last observations that met one of their parts and are evaluated over
 * them. fn is called per match.
 */
tx_err sensor_engine_eve(sensor_engine *e, struct sensor_event *ev,
			 sensor_match_fn fn, void *ctx, struct tx_error *err);

/*
 * Match every observed-data of a STIX bundle (or list of bundles); line
 * in matches is the observed-data's position in the input.
 */
tx_err sensor_engine_stix(sensor_engine *e, const json_t *root,
			  sensor_match_fn fn, void *ctx, struct tx_error *err);

const struct sensor_stats *sensor_engine_stats(const sensor_engine *e);
/* Count a malformed input line (the CLI reads the lines). */
void sensor_engine_malformed(sensor_engine *e);

/* ---- sightings (sensor/sighting.c) ---- */

/* Observations remembered per sighting (x_trilex_observations). */
#define SENSOR_SIGHTING_KEYS_MAX 1024

/* Matches folded into sightings per (indicator, window). Opaque. */
typedef struct sensor_sightings sensor_sightings;

/* Sightings over windows of window_us (>= 1). */
tx_err sensor_sightings_new(int64_t window_us, sensor_sightings **out,
			    struct tx_error *err);
void sensor_sightings_free(sensor_sightings *s);
/* Fold match m in (m is borrowed for the call). TX_ERR_NOMEM. */
tx_err sensor_sightings_add(sensor_sightings *s, const struct sensor_match *m,
			    struct tx_error *err);
/* How many (indicator, window) sightings the matches make. */
size_t sensor_sightings_count(const sensor_sightings *s);

/*
 * The sightings to store, appended to out (a JSON array): one per
 * (indicator, window), with the id that key names for this sighting node
 * (identity_id), so the same key is the same sighting. One already stored
 * (in any collection of st) is merged with: when the matches add no
 * observation it lacks, it is left out and counted in *n_unchanged;
 * otherwise it comes as a new version (same id and created, a later
 * modified) counting every distinct observation. Unmarked: the caller
 * marks them (fed_derive_stored) before storing.
 */
tx_err sensor_sightings_build(sensor_sightings *s, tx_store *st,
			      const char *identity_id, int64_t now_us,
			      json_t *out, size_t *n_unchanged,
			      struct tx_error *err);
/* ---- warning lists (sensor/warn.c) ---- */

/*
 * False-positive lists in MISP's warning-list format ({name, type: cidr,
 * hostname, string, substring or regex, list, matching_attributes}) and
 * an index over all of them: CIDRs by prefix length, host names by
 * suffix, strings in one hash table. Built once, then read only: lookups
 * take no lock and allocate nothing (except for regex lists).
 */
#define SENSOR_WARN_STIX_TYPE "x-trilex-warninglist"
#define SENSOR_WARN_MAX_LISTS 4096
#define SENSOR_WARN_MAX_ENTRIES (1u << 24)  /* default cap, all lists */
#define SENSOR_WARN_VALUE_MAX 1024          /* longest entry (bytes) */
#define SENSOR_WARN_NAME_MAX 256
#define SENSOR_WARN_REGEX_MATCH_LIMIT 100000 /* PCRE2 match limit, regex lists */
#define SENSOR_WARN_REGEX_DEPTH_LIMIT 10000

/* What a value is, for the lists' matching_attributes. */
enum sensor_warn_kind {
	SENSOR_WARN_IP,       /* ip-src, ip-dst, domain|ip, ip-*|port */
	SENSOR_WARN_DOMAIN,   /* domain, hostname, domain|ip */
	SENSOR_WARN_URL,      /* url, uri, link (and the URL's host) */
	SENSOR_WARN_EMAIL,    /* email-src, email-dst (and the domain) */
	SENSOR_WARN_HASH,     /* md5, sha1, sha256, filename|..., ssdeep */
	SENSOR_WARN_NONE,     /* a value no list is about */
};

typedef struct sensor_warn sensor_warn;

/* What one added list held. name and type borrow from the set. */
struct sensor_warn_info {
	const char *name, *type;
	size_t n_entries;     /* kept */
	size_t n_bad;         /* left out (not a CIDR, empty, ...) */
	char first_bad[128];  /* "list[12]: not an IPv4 or IPv6 address or CIDR" */
};

/* An empty set holding at most max_entries entries over all its lists
 * (0: SENSOR_WARN_MAX_ENTRIES). */
tx_err sensor_warn_new(size_t max_entries, sensor_warn **out);
void sensor_warn_free(sensor_warn *w);

/*
 * Add one list: a MISP warning list or its STIX form (SENSOR_WARN_STIX_TYPE,
 * made by sensor_warn_stix). Bad entries are left out and counted in info
 * (the first one described); the list is refused (TX_ERR_INVALID, the
 * field named in err) when name, type or list is missing or wrong,
 * TX_ERR_EXISTS when a list of that name is already in the set,
 * TX_ERR_TOOBIG past the entry cap.
 */
tx_err sensor_warn_add(sensor_warn *w, const json_t *list,
		       struct sensor_warn_info *info, struct tx_error *err);

/*
 * The lists that hold value v (of kind): their names (borrowed from w,
 * each once) into names, at most max; returns how many lists hit (which
 * may exceed max). A network hits a list network that contains it; a host
 * name hits an entry that is it or one of its parent domains; a URL is
 * checked whole and by its host; an e-mail address whole and by its domain.
 */
size_t sensor_warn_check(const sensor_warn *w, enum sensor_warn_kind kind,
			 const char *v, size_t len, const char **names, size_t max);

/* The kind of the values of a canonical STIX path ("ipv4-addr:value",
 * "file:hashes.'SHA-256'"), SENSOR_WARN_NONE when no list is about it. */
enum sensor_warn_kind sensor_warn_kind_of(const char *path, size_t len);

/* Lists in the set, entries over all of them. */
size_t sensor_warn_count(const sensor_warn *w);
size_t sensor_warn_entries(const sensor_warn *w);

/*
 * The STIX object for a MISP warning list (SENSOR_WARN_STIX_TYPE), with
 * an id from its name and its MISP version as its version; marked with
 * marking_ref when not NULL. Caller owns it; NULL (err filled) when the
 * list has no name, type or list, or out of memory.
 */
/*
 * The node's warning lists: every x-trilex-warninglist object of st (its
 * own and its partners'), in a new index (free with sensor_warn_free).
 * warn (may be NULL) is told of a list that is skipped (the first ten).
 * The stamp (may be NULL) changes when the stored lists do: count and
 * latest date_added, for a caller that keeps the index.
 */
tx_err sensor_warn_load(tx_store *st, sensor_warn **out,
			void (*warn)(void *ctx, const char *id, const char *msg),
			void *ctx, int64_t *stamp, struct tx_error *err);
/*
 * The lists made on this node only (imported here), for what leaves values
 * out of the sensor exports: a partner's list may flag a value on this
 * node, never take it out of what this node's sensors get.
 */
tx_err sensor_warn_load_own(tx_store *st, sensor_warn **out,
			    void (*warn)(void *ctx, const char *id,
					 const char *msg),
			    void *ctx, struct tx_error *err);
/* Only the stamp of the stored lists (cheap: no list is read). */
tx_err sensor_warn_stamp(tx_store *st, int64_t *stamp, struct tx_error *err);
/* The warning-list hits of a pattern's values, [{value, lists: [name]}],
 * or NULL when there is none (or the pattern does not parse). Only the
 * values of equalities are checked (pattern_equalities). */
json_t *sensor_warn_pattern(const sensor_warn *w, const char *pat);

json_t *sensor_warn_stix(const json_t *list, const char *marking_ref,
			 struct tx_error *err);

/* ---- exports for sensors (sensor/export.c) ---- */

/* The types of value an export or an IOC list holds. */
enum sensor_ioc_type {
	SENSOR_IOC_IPV4, SENSOR_IOC_IPV6, SENSOR_IOC_NET4, SENSOR_IOC_NET6,
	SENSOR_IOC_DOMAIN, SENSOR_IOC_URL, SENSOR_IOC_EMAIL,
	SENSOR_IOC_MD5, SENSOR_IOC_SHA1, SENSOR_IOC_SHA256,
	SENSOR_IOC_FILENAME, SENSOR_IOC_CVE, SENSOR_IOC_ATTACK,
	SENSOR_IOC_N_TYPES,
};
/* "ipv4-addr", "domain-name", "md5", ... (the iocs headings). */
const char *sensor_ioc_type_name(enum sensor_ioc_type t);

enum sensor_export_format {
	SENSOR_EXPORT_SURICATA, SENSOR_EXPORT_ZEEK, SENSOR_EXPORT_CSV,
	SENSOR_EXPORT_IOCS,
};
/* "suricata", "zeek", "csv", "iocs" to a format; -1 if none. */
int sensor_export_format_parse(const char *name);

#define SENSOR_EXPORT_SID_BASE 4180000u     /* default: sids base+1.. */
#define SENSOR_EXPORT_URL_SID_OFFSET 1000u  /* http URL rules from here */
#define SENSOR_EXPORT_URL_SIDS 8000000u     /* ... over this many sids */
#define SENSOR_EXPORT_VALUE_MAX 4096        /* longest value exported */

struct sensor_export_opts {
	const sensor_warn *warn;   /* borrowed; NULL: no lists */
	int include_warned;        /* keep values the lists hold */
	uint32_t sid_base;         /* 0: SENSOR_EXPORT_SID_BASE */
};

/* One indicator handed to sensor_export_add (everything borrowed). */
struct sensor_export_ind {
	const char *id, *pattern;
	const char *name;          /* or NULL */
	const char *source;        /* the party it came from; NULL: this node */
	const char *tlp;           /* "clear", ..., or NULL */
	int64_t confidence;        /* 0-100, -1 when not given */
};

typedef struct sensor_export sensor_export;

tx_err sensor_export_new(const struct sensor_export_opts *o, sensor_export **out);
void sensor_export_free(sensor_export *e);

/*
 * Take one indicator (copied). When its pattern is an OR of '=' and IN
 * comparisons, each value a sensor can use becomes an entry; otherwise
 * the indicator is recorded as skipped with the reason, as is each value
 * no sensor type takes or a warning list holds (unless include_warned).
 * Fails only for memory (TX_ERR_NOMEM).
 */
tx_err sensor_export_add(sensor_export *e, const struct sensor_export_ind *in,
			 struct tx_error *err);

/* The files of a format, i = 0, 1, ... until NULL ("trilex.rules",
 * "trilex-ip.lst", "iprep/trilex.list", "trilex.intel", "trilex.csv",
 * "trilex-iocs.txt"). */
const char *sensor_export_file(enum sensor_export_format fmt, size_t i);

/*
 * Append file (of sensor_export_file) of format fmt to out, whose cap
 * bounds it (TX_ERR_TOOBIG past it). The same entries give the same
 * bytes. TX_ERR_NOTFOUND for a file the format has not.
 */
tx_err sensor_export_write(sensor_export *e, enum sensor_export_format fmt,
			   const char *file, struct tx_buf *out, struct tx_error *err);

/* Every indicator or value that fmt leaves out, with the reason (value
 * NULL: the whole indicator). Arguments borrowed for the call. */
typedef void (*sensor_export_skip_fn)(void *ctx, const char *indicator,
				      const char *value, const char *reason);
void sensor_export_skips(sensor_export *e, enum sensor_export_format fmt,
			 sensor_export_skip_fn fn, void *ctx);

struct sensor_export_counts {
	size_t indicators, entries, warned, skipped;
};
void sensor_export_counts(const sensor_export *e, struct sensor_export_counts *c);

/* ---- IOC lists in (sensor/iocs.c) ---- */

#define SENSOR_IOC_VALUE_MAX 4096

/* One value found in a line; value borrows from the scanner for the call. */
struct sensor_ioc {
	enum sensor_ioc_type type;
	const char *value;    /* refanged and normalised (lower case where
	                         case does not matter); not NUL-terminated */
	size_t len;
	int defanged;         /* its line was written defanged */
};

/* Called per value found; return non-zero to stop (out of memory). */
typedef int (*sensor_ioc_fn)(void *ctx, const struct sensor_ioc *ioc);

/*
 * Find the IOCs of one line of text (plain values, CSV or prose): IPv4
 * and IPv6 addresses and CIDRs, domains, URLs, e-mail addresses, MD5,
 * SHA-1 and SHA-256 hashes, CVE ids and ATT&CK technique ids, also in
 * their defanged forms (hxxp://, example[.]com, 1.2.3[.]4, [@]). fn is
 * called per value, *n_found says how many. TX_ERR_NOMEM only.
 */
tx_err sensor_iocs_scan(const char *line, size_t len, sensor_ioc_fn fn, void *ctx,
			size_t *n_found);

/* The STIX pattern of an observable IOC ("[ipv4-addr:value = '...']",
 * quotes and backslashes escaped) appended to out; TX_ERR_INVALID for a
 * CVE or ATT&CK id, which are no observables. */
tx_err sensor_ioc_pattern(const struct sensor_ioc *ioc, struct tx_buf *out);

#endif
