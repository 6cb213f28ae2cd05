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

#endif
