/*
 * cli/match.c: `trilex match` — sensor events against the node's active
 * indicators, one JSON line per match, a summary, and optionally STIX
 * sightings recorded in a collection of the node (sensor/sighting.c keys
 * them by indicator, node and window, so the same events count once).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "federation/federation.h"
#include "sensor/sensor.h"
#include "taxii/taxii.h"
#include "watch/watch.h"

#define MAX_REPORTED_MALFORMED 20
#define STIX_FILE_MAX ((size_t)1 << 30)

/* Read all of fp into a NUL-terminated buffer of at most max bytes. */
static char *read_capped(FILE *fp, size_t max, size_t *len)
{
	struct tx_buf b;
	char chunk[65536];
	size_t n;

	tx_buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (tx_buf_append(&b, chunk, n) != TX_OK) {
			tx_buf_free(&b);
			return NULL;
		}
	if (ferror(fp) || b.data == NULL) {
		tx_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return tx_buf_take(&b);
}

struct inds {
	struct pattern_indicator *v;
	size_t n, cap;
	const watch_state *ws;   /* the agreed watch list, or NULL */
	size_t expired;          /* left out: their watch-list entry expired */
	tx_store *st;            /* borrowed: for withdrawals */
	size_t withdrawn;        /* left out: withdrawn by their origin */
	struct tx_error why;     /* what keep_indicator failed on */
};

static int keep_indicator(void *ctx, const struct store_row *row)
{
	struct inds *in = ctx;
	json_t *o = tx_json_load(row->json, row->json_len, 0, NULL);
	const char *pt, *pat, *id, *vf, *vu;
	tx_err wrc = TX_OK;
	int rc = 0;

	if (o == NULL)
		return 0; /* stored objects were validated; skip what is odd */
	pt = json_string_value(json_object_get(o, "pattern_type"));
	pat = json_string_value(json_object_get(o, "pattern"));
	id = json_string_value(json_object_get(o, "id"));
	vf = json_string_value(json_object_get(o, "valid_from"));
	vu = json_string_value(json_object_get(o, "valid_until"));
	if (id && (wrc = store_withdrawal_get(in->st, id, NULL)) == TX_OK) {
		in->withdrawn++; /* taken back by its origin (trilex withdraw) */
		goto out;
	} else if (id && wrc != TX_ERR_NOTFOUND) {
		/* fail closed: an indicator that may be withdrawn is not matched */
		tx_error_set(&in->why, wrc, "%s: cannot tell whether it is"
			     " withdrawn (store error)", id);
		rc = STORE_ROW_FAIL;
		goto out;
	}
	if (id && in->ws && watch_indicator_expired(in->ws, id)) {
		in->expired++; /* not renewed at its yearly review */
		goto out;
	}
	if (pt && strcmp(pt, "stix") == 0 && pat && id && vf) {
		struct pattern_indicator x = { .valid_until = INT64_MAX };
		if (in->n == in->cap) {
			size_t cap = in->cap ? in->cap * 2 : 256;
			struct pattern_indicator *v = realloc(in->v, cap * sizeof(*v));
			if (v == NULL) {
				rc = STORE_ROW_FAIL;
				goto out;
			}
			in->v = v;
			in->cap = cap;
		}
		if (tx_time_parse(vf, &x.valid_from, NULL) != TX_OK ||
		    (vu && tx_time_parse(vu, &x.valid_until, NULL) != TX_OK))
			goto out;
		x.revoked = json_is_true(json_object_get(o, "revoked"));
		x.id = strdup(id);
		x.pattern = strdup(pat);
		if (x.id == NULL || x.pattern == NULL) {
			free((char *)x.id);
			free((char *)x.pattern);
			rc = STORE_ROW_FAIL;
			goto out;
		}
		in->v[in->n++] = x;
	}
out:
	json_decref(o);
	return rc;
}

static void free_inds(struct inds *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free((char *)in->v[i].id);
		free((char *)in->v[i].pattern);
	}
	free(in->v);
}

/* Every indicator (last versions) of every collection of the node. */
static int load_indicators(tx_store *st, struct inds *in)
{
	static const char *const types[] = { "indicator" };
	struct store_query q = { .types = types, .n_types = 1 };
	struct tx_error err = { 0 };

	in->st = st;
	if (store_query_every(st, &q, keep_indicator, in, &err) != TX_OK)
		return cli_fail("indicators: %s", in->why.msg[0] ? in->why.msg : err.msg);
	return 0;
}

/*
 * The index of the node's active indicators now: every indicator of every
 * collection, less those whose watch-list entry expired (counted in
 * *expired). Off the hot path.
 */
static tx_err build_index(tx_store *st, const struct tx_config *cfg,
			  pattern_index **ix, struct pattern_index_stats *ist,
			  size_t *expired, struct tx_error *err)
{
	struct inds in = { 0 };
	watch_state *ws = NULL;
	int64_t now = 0;
	tx_err rc;

	/* without the watch list, expired entries would be matched */
	if (watch_now(&now, NULL) == TX_OK &&
	    (rc = watch_state_load(st, cfg->party, now, &ws, err)) != TX_OK)
		return rc;
	in.ws = ws;
	if (load_indicators(st, &in) != 0) {
		rc = tx_error_set(err, TX_ERR_DB, "cannot read the indicators");
	} else {
		*expired = in.expired;
		rc = pattern_index_build(in.v, in.n, tx_time_now_us(), ix, ist, err);
	}
	watch_state_free(ws);
	free_inds(&in);
	return rc;
}

/* ---- --follow: reading on as events come, the index kept current by
 * sensor_reloader (sensor/reload.c) ---- */

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* sensor_index_fn: the node's index, watch-list expiries left out. */
static tx_err reload_build(void *ctx, tx_store *st, pattern_index **ix, size_t *n_active,
			   struct tx_error *err)
{
	const struct tx_config *cfg = ctx;
	struct pattern_index_stats ist;
	size_t expired = 0;
	tx_err rc = build_index(st, cfg, ix, &ist, &expired, err);

	if (rc == TX_OK)
		*n_active = ist.n_active;
	return rc;
}

/* ---- sightings: sensor/sighting.c keys and folds them ---- */

struct run {
	int format_stix;
	sensor_sightings *sightings;  /* NULL without --sightings */
	int nomem;
	const sensor_warn *warn;   /* the node's warning lists */
	pattern_index *ix;         /* the index of the event being matched */
	json_t *warned;            /* indicator id -> [{value, lists}] or null */
	size_t n_warned;           /* matches of flagged indicators */
};

/* The warning-list hits of a matched indicator, worked out once each. */
static json_t *warnings_of(struct run *r, const struct sensor_match *m)
{
	json_t *hits = json_object_get(r->warned, m->indicator_id);
	const char *text;
	size_t len = 0;
	char *pat;

	if (hits != NULL)
		return json_is_array(hits) ? hits : NULL;
	if (r->ix == NULL || (text = pattern_index_text(r->ix, m->ind, &len)) == NULL ||
	    (pat = strndup(text, len)) == NULL)
		return NULL;
	hits = cli_warn_pattern(r->warn, pat);
	free(pat);
	json_object_set_new(r->warned, m->indicator_id, hits ? hits : json_null());
	return hits;
}

static void on_match(void *ctx, const struct sensor_match *m)
{
	struct run *r = ctx;
	char f[TX_TIME_BUF], l[TX_TIME_BUF];
	struct tx_error err = { 0 };
	json_t *line;

	tx_time_format_ms(m->first, f);
	tx_time_format_ms(m->last, l);
	line = json_pack("{s:s,s:s,s:I,s:s,s:s,s:O}", "indicator", m->indicator_id,
			 "source", r->format_stix ? "observed-data" : "line",
			 "position", (json_int_t)m->line, "first_seen", f, "last_seen", l,
			 "values", m->values);
	if (line && r->format_stix && m->observed_id)
		json_object_set_new(line, "observed_data", json_string(m->observed_id));
	json_t *hits = r->warned ? warnings_of(r, m) : NULL;
	if (line && hits) {
		/* a value of the indicator is a known false positive */
		json_object_set(line, "warnings", hits);
		r->n_warned++;
	}
	if (line) {
		char *s = tx_json_dumps(line, JSON_COMPACT);
		if (s)
			puts(s);
		free(s);
		json_decref(line);
	}
	if (r->sightings != NULL &&
	    sensor_sightings_add(r->sightings, m, &err) != TX_OK)
		r->nomem = 1;
}

/* What recording the sightings came to. */
struct recorded {
	size_t stored;      /* sightings stored: new, or a new version */
	size_t unchanged;   /* already stored with every observation */
	size_t failed;
};

static int record_sightings(tx_store *st, const struct tx_config *cfg, const char *coll,
			    struct run *r, struct recorded *rec)
{
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	char ident[64], status[TX_UUID_BUF];
	json_t *objs = json_array(), *st_json = NULL, *x;
	size_t i, n_sightings;
	int rc = 1;

	if (objs == NULL)
		return cli_fail("out of memory");
	if (tx_node_identity_id(cfg, ident) != 0) {
		cli_fail("node.json: public_key: cannot derive the node's identity");
		goto out;
	}
	if (coll == NULL) {
		struct store_collection *colls = NULL;
		size_t n = 0;
		if (store_collection_list(st, &admin, &colls, &n) != TX_OK || n == 0) {
			free(colls);
			cli_fail("--sightings: the node has no collection");
			goto out;
		}
		c = colls[0];
		free(colls);
	} else if (store_collection_get(st, &admin, coll, &c) != TX_OK) {
		cli_fail("--collection %s: no such collection", coll);
		goto out;
	}
	json_array_append_new(objs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "identity",
					      "spec_version", "2.1", "id", ident,
					      "created", "2020-01-01T00:00:00.000Z",
					      "modified", "2020-01-01T00:00:00.000Z",
					      "name", cfg->name, "identity_class", "organization"));
	if (sensor_sightings_build(r->sightings, st, ident, tx_time_now_us(), objs,
				   &rec->unchanged, &err) != TX_OK) {
		cli_fail("--sightings: %s", err.msg);
		goto out;
	}
	/* A sighting tells what its indicator is: it may have no reader the
	 * indicator does not have. */
	json_array_foreach(objs, i, x) {
		const char *src[1] = { json_string_value(json_object_get(x,
							"sighting_of_ref")) };
		if (i == 0)
			continue; /* the identity */
		if (fed_derive_stored(st, src, 1, NULL, 0, cfg->party, x, NULL,
				      &err) != TX_OK) {
			cli_fail("--sightings: %s: %s", src[0], err.msg);
			goto out;
		}
	}
	n_sightings = json_array_size(objs) - 1;
	if (n_sightings == 0) {
		rc = 0; /* nothing new */
		goto out;
	}
	if (taxii_ingest(st, c.pk, &admin, objs, 0, status, &err) != TX_OK) {
		cli_fail("--sightings: %s", err.msg);
		goto out;
	}
	rec->stored = n_sightings;
	if (store_status_get(st, &admin, status, &st_json) == TX_OK) {
		json_t *fails = json_object_get(st_json, "failures");
		json_array_foreach(fails, i, x) {
			const char *fid = json_string_value(json_object_get(x, "id"));
			fprintf(stderr, "trilex: sighting not recorded: %s\n",
				json_string_value(json_object_get(x, "message")));
			if (fid && strncmp(fid, "sighting--", 10) == 0 && rec->stored > 0) {
				rec->stored--;
				rec->failed++;
			}
		}
		/* failures past the listed ones were sightings too */
		size_t total = (size_t)json_integer_value(json_object_get(st_json,
							  "failure_count"));
		if (total > json_array_size(fails)) {
			size_t more = total - json_array_size(fails);
			more = more > rec->stored ? rec->stored : more;
			rec->stored -= more;
			rec->failed += more;
		}
	}
	rc = 0;
out:
	json_decref(st_json);
	json_decref(objs);
	return rc;
}

static const struct cli_opt match_opts[] = {
	{ "format", "eve|stix", 0, "Suricata EVE JSON lines (default) or STIX"
	  " observed-data" },
	{ "follow", NULL, 0, "keep reading a growing EVE file; the index follows"
	  " new indicators" },
	{ "sightings", NULL, 0, "store a sighting per indicator and window" },
	{ "collection", "ID", 0, "where sightings go" },
	{ "window", "SECONDS", 0, "a sighting's window (default 3600)" },
	{ 0 },
};

/* Everything one `trilex match` holds, phase to phase. */
struct match {
	const char *dir, *coll, *file;
	int follow, regular;
	struct run r;
	struct recorded rec;
	struct tx_config cfg;
	struct tx_error err;
	struct pattern_index_stats ist;
	pattern_matcher *m;         /* --follow: owns the index */
	sensor_reloader *rl;        /* --follow */
	pattern_index *ix;          /* without --follow */
	sensor_engine *eng;
	sensor_eve *eve;
	tx_store *st;
	FILE *fp;
	char *line, *data;
	sensor_warn *warn;
	int64_t seen;               /* store_last_added when the index was built */
};

/* Options, the node, its index and warning lists, the engine, the input. */
static int match_setup(const struct cli_args *a, struct match *x)
{
	const char *format = cli_opt(a, "format");
	int64_t window_us = 3600 * INT64_C(1000000), w = 0;
	size_t expired = 0;

	if (format == NULL)
		format = "eve";
	if (cli_opt(a, "window")) {
		if (tx_parse_int64(cli_opt(a, "window"), 1, 366 * 86400, &w) != TX_OK)
			return cli_fail("--window: seconds from 1 to 31622400");
		window_us = w * 1000000;
	}
	if (cli_flag(a, "sightings") &&
	    sensor_sightings_new(window_us, &x->r.sightings, &x->err) != TX_OK)
		return cli_fail("%s", x->err.msg);
	if (strcmp(format, "eve") != 0 && strcmp(format, "stix") != 0)
		return cli_fail("--format: eve or stix, not \"%s\"", format);
	x->r.format_stix = strcmp(format, "stix") == 0;
	if (x->follow && x->r.format_stix)
		return cli_fail("--follow: for EVE lines only");
	if (cli_open_node(x->dir, &x->cfg, &x->st) != 0)
		return 1;
	x->seen = store_last_added(x->st);
	/* Indicators of watch-list entries that expired leave the index. */
	if (build_index(x->st, &x->cfg, &x->ix, &x->ist, &expired, &x->err) != TX_OK)
		return cli_fail("index: %s", x->err.msg);
	if (expired > 0)
		fprintf(stderr, "trilex: %zu indicators left out: their watch-list"
			" entries expired\n", expired);
	if (cli_warn_load(x->st, &x->warn) != 0)
		return 1;
	if (sensor_warn_count(x->warn) > 0 && (x->r.warned = json_object()) == NULL)
		return cli_fail("out of memory");
	x->r.warn = x->warn;
	x->r.ix = x->ix;
	if (sensor_engine_new(x->ix, &x->eng) != TX_OK || sensor_eve_new(&x->eve) != TX_OK)
		return cli_fail("out of memory");
	x->fp = strcmp(x->file, "-") == 0 ? stdin : fopen(x->file, "r");
	if (x->fp == NULL)
		return cli_fail("%s: cannot open", x->file);
	return 0;
}

/* --follow: the matcher owns the index from here; sensor_reloader builds
 * new ones as indicators change and publishes them. */
static int match_follow_start(struct match *x)
{
	struct sigaction sa = { .sa_handler = on_stop };
	char path[PATH_MAX + 16];
	sigset_t stops, old;
	struct stat sb;

	if (pattern_matcher_new(&x->m) != TX_OK)
		return cli_fail("out of memory");
	pattern_matcher_publish(x->m, x->ix);
	x->ix = NULL;
	/* The stop signals are for this thread, whose reads they interrupt:
	 * the reloader starts with them blocked. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stops, &old);
	tx_strfmt(path, sizeof(path), "%s/trilex.db", x->dir);
	if (sensor_reloader_start(path, x->m, x->seen, 0, 0, reload_build, &x->cfg, &x->rl,
				  &x->err) != TX_OK) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return cli_fail("--follow: %s", x->err.msg);
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: reads return */
	sigaction(SIGTERM, &sa, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	x->regular = fstat(fileno(x->fp), &sb) == 0 && S_ISREG(sb.st_mode);
	return 0;
}

/* --format stix: one document, every observed-data of it. */
static int match_stix(struct match *x)
{
	json_error_t jerr;
	size_t dlen = 0;
	json_t *root;
	tx_err erc;

	if ((x->data = read_capped(x->fp, STIX_FILE_MAX, &dlen)) == NULL)
		return cli_fail("%s: cannot read (or larger than %zu bytes)", x->file, STIX_FILE_MAX);
	root = tx_json_load(x->data, dlen, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return cli_fail("%s: line %d, column %d: %s", x->file, jerr.line, jerr.column,
				jerr.text);
	erc = sensor_engine_stix(x->eng, root, on_match, &x->r, &x->err);
	json_decref(root);
	if (erc != TX_OK)
		return cli_fail("%s: %s", x->file, x->err.msg);
	return 0;
}

/* One EVE line (without its end) matched under the current index. */
static int match_line(struct match *x, char *line, size_t len, size_t lineno,
		      unsigned long *gen_seen, pattern_index **ix_seen)
{
	struct sensor_event ev;
	tx_err erc;

	ev.line = lineno;
	if (sensor_eve_parse(x->eve, line, len, &ev, &x->err) != TX_OK) {
		sensor_engine_malformed(x->eng);
		if (sensor_engine_stats(x->eng)->malformed <= MAX_REPORTED_MALFORMED)
			fprintf(stderr, "trilex: %s:%zu: malformed event: %s\n", x->file, lineno,
				x->err.msg);
		return 0;
	}
	if (x->m != NULL) { /* the current index, held for this event */
		unsigned long g = sensor_reloader_generation(x->rl);
		pattern_index *cur = pattern_matcher_enter(x->m, 0);
		if (g != *gen_seen || cur != *ix_seen)
			sensor_engine_set_index(x->eng, cur);
		x->r.ix = cur;
		*gen_seen = g;
		*ix_seen = cur;
	}
	erc = sensor_engine_eve(x->eng, &ev, on_match, &x->r, &x->err);
	if (x->m != NULL)
		pattern_matcher_leave(x->m, 0);
	if (erc != TX_OK)
		return cli_fail("%s:%zu: %s", x->file, lineno, x->err.msg);
	if (x->follow)
		fflush(stdout); /* each match as it happens */
	return 0;
}

/* EVE lines, read into a buffer of fixed size: a longer line is reported
 * and skipped, never grown into; with --follow, on as the file grows. */
static int match_eve(struct match *x)
{
	size_t lineno = 0, bufsz = (size_t)SENSOR_LINE_MAX + 2;
	unsigned long gen_seen = 0;
	pattern_index *ix_seen = NULL;
	FILE *fp = x->fp;
	char *line;

	if ((line = x->line = malloc(bufsz)) == NULL)
		return cli_fail("out of memory");
	for (;;) {
		if (x->follow && stopping)
			break;
		if (fgets(line, (int)bufsz, fp) == NULL) {
			if (!x->follow || stopping || (ferror(fp) && errno != EINTR) ||
			    (!x->regular && feof(fp)))
				break;
			/* at the end of a file that grows: wait for more */
			clearerr(fp);
			struct timespec ts = { 0, 100 * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		size_t len = strlen(line);
		int whole = len > 0 && line[len - 1] == '\n';
		if (x->follow && x->regular && !whole && len < bufsz - 1 && feof(fp)) {
			/* a line still being written: read it again whole */
			fseek(fp, -(long)len, SEEK_CUR);
			clearerr(fp);
			struct timespec ts = { 0, 50 * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		lineno++;
		if (!whole && len == bufsz - 1) {
			int ch;
			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			sensor_engine_malformed(x->eng);
			if (sensor_engine_stats(x->eng)->malformed <= MAX_REPORTED_MALFORMED)
				fprintf(stderr, "trilex: %s:%zu: malformed event: longer than %u bytes\n",
					x->file, lineno, SENSOR_LINE_MAX);
			continue;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len > 0 && match_line(x, line, len, lineno, &gen_seen, &ix_seen) != 0)
			return 1;
	}
	if (ferror(fp) && !(x->follow && stopping))
		return cli_fail("%s: read error", x->file);
	return 0;
}

/* Sightings recorded, the summary line. 0, 1 when a sighting failed. */
static int match_finish(struct match *x)
{
	const struct sensor_stats *ss = sensor_engine_stats(x->eng);
	size_t active = x->ist.n_active, reloads = 0;
	json_t *sum;
	char *s;

	if (x->r.nomem)
		return cli_fail("out of memory aggregating sightings");
	if (x->r.sightings && sensor_sightings_count(x->r.sightings) > 0 &&
	    record_sightings(x->st, &x->cfg, x->coll, &x->r, &x->rec) != 0)
		return 1;
	if (x->rl != NULL && (reloads = sensor_reloader_reloads(x->rl, &active)) == 0)
		active = x->ist.n_active;
	sum = json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "summary",
			"indicators", (json_int_t)active,
			"index_reloads", (json_int_t)reloads,
			"events", (json_int_t)ss->events,
			"malformed", (json_int_t)ss->malformed,
			"candidates", (json_int_t)ss->candidates,
			"evaluated", (json_int_t)ss->evaluated,
			"matches", (json_int_t)ss->matches,
			"sightings", (json_int_t)x->rec.stored,
			"sightings_unchanged", (json_int_t)x->rec.unchanged,
			"sightings_failed", (json_int_t)x->rec.failed,
			"warned", (json_int_t)x->r.n_warned);
	s = sum ? tx_json_dumps(sum, JSON_COMPACT) : NULL;
	json_decref(sum);
	if (s == NULL)
		return cli_fail("out of memory");
	puts(s);
	free(s);
	if (ss->malformed > MAX_REPORTED_MALFORMED)
		fprintf(stderr, "trilex: %zu malformed events (the first %d shown)\n", ss->malformed,
			MAX_REPORTED_MALFORMED);
	return x->rec.failed ? 1 : 0;
}

static void match_free(struct match *x)
{
	sensor_reloader_stop(x->rl);
	pattern_matcher_free(x->m);
	if (x->fp != NULL && x->fp != stdin)
		fclose(x->fp);
	free(x->line);
	free(x->data);
	sensor_sightings_free(x->r.sightings);
	json_decref(x->r.warned);
	sensor_warn_free(x->warn);
	sensor_eve_free(x->eve);
	sensor_engine_free(x->eng);
	pattern_index_free(x->ix);
	store_close(x->st);
}

static int match_run(const struct cli_args *a)
{
	struct match x = { .dir = a->dir, .coll = cli_opt(a, "collection"), .file = a->argv[0],
			   .follow = cli_flag(a, "follow") };
	int rc;

	if ((rc = match_setup(a, &x)) == 0 && (!x.follow || (rc = match_follow_start(&x)) == 0) &&
	    (rc = x.r.format_stix ? match_stix(&x) : match_eve(&x)) == 0)
		rc = match_finish(&x);
	match_free(&x);
	return rc;
}

const struct cmd cmd_match = {
	.name = "match",
	.usage = "--dir DIR [--format eve|stix] [--follow] [--sightings [--collection ID] [--window SECONDS]]"
		 " FILE|-",
	.summary = "match sensor events (Suricata EVE JSON or STIX observed-data) against the node's"
		   " active indicators",
	.opts = match_opts,
	.operands = "FILE|-",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = match_run,
};
