/*
 * taxii/feed.c: polling an outside TAXII 2.1 collection into a local one.
 *
 * A run pages through the remote collection's objects from where the feed
 * stands. Paging follows the spec and the ways clients get it wrong:
 *   - `next` is followed while `more`; added_after is then not sent (the
 *     token says where the page starts; sending both is what OpenCTI did);
 *   - `more` without `next`: the next request starts from the page's
 *     X-TAXII-Date-Added-Last. added_after is exclusive, so it asks from
 *     one microsecond before it, so as not to lose the rest of objects
 *     that share that date_added; a page that ends no later than the one
 *     before (a page all of one date_added) doubles the page size, up to
 *     TAXII_FEED_LIMIT_MAX, and past that goes on after it (counted);
 *   - an empty page, with or without the headers, ends the run.
 * Each page is stored like any POST (taxii_ingest_from: per-object
 * validation, bad ones refused with their reason, good ones kept) with
 * origin and via "feed:NAME": never this node's own, never a partner's,
 * and not in the outbox; a feed added with --reshare stores them with no
 * via, so that they enter the outbox (origin still "feed:NAME"), and the
 * collection's sharing policy and TLP decide what leaves. The feed's position and counters move page by
 * page, after the page's objects are committed: a run cut short goes on
 * from the last stored page, and what comes twice is "already present".
 */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "taxii/internal.h"

/* The JSON values of one page may take this many times its length (plus
 * 1 MiB), as body_memory_factor's default caps a POST: past it the page
 * is refused as too costly, nothing of it stored. */
#define PAGE_MEMORY_FACTOR 16

/* Text around an envelope's objects parsed whole at most (more, next). */
#define FRAME_MAX (64 * 1024)
/* A reason of a refusal, as counted. */
#define REASON_MAX 64

int taxii_feed_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63)
		return 0;
	for (const char *p = name; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		      *p == '-' || *p == '_'))
			return 0;
	return 1;
}

/* The reason of a status failure message: "objects[3] ID: pattern: ..."
 * counts as "pattern", "objects[3]: not a JSON object" as "not a JSON
 * object". */
static void reason_of(const char *msg, char out[REASON_MAX])
{
	const char *p = msg ? msg : "", *colon;
	size_t n;

	if (strncmp(p, "objects[", 8) == 0 && (colon = strstr(p, ": ")) != NULL)
		p = colon + 2;
	n = strcspn(p, ":");
	if (n == 0) {
		snprintf(out, REASON_MAX, "unknown");
		return;
	}
	snprintf(out, REASON_MAX, "%.*s", (int)(n < REASON_MAX ? n : REASON_MAX - 1),
		 p);
}

/* Count a status resource into t and reasons ({"reason": n}). */
static tx_err count_status(const json_t *status, struct store_feed_tally *t,
			 json_t *reasons)
{
	const json_t *d;
	size_t i;

	json_array_foreach(json_object_get(status, "successes"), i, d) {
		const char *m = json_string_value(json_object_get(d, "message"));
		if (m && strcmp(m, "already present") == 0)
			t->present++;
		else
			t->added++;
	}
	json_array_foreach(json_object_get(status, "failures"), i, d) {
		char r[REASON_MAX];
		reason_of(json_string_value(json_object_get(d, "message")), r);
		if (json_object_set_new(reasons, r, json_integer(
			json_integer_value(json_object_get(reasons, r)) + 1)) != 0)
			return TX_ERR_NOMEM;
		t->rejected++;
	}
	json_int_t unlisted = json_integer_value(json_object_get(status,
					"x_trilex_failures_unlisted"));
	if (unlisted > 0) {
		if (json_object_set_new(reasons, "unlisted", json_integer(
			json_integer_value(json_object_get(reasons, "unlisted")) +
			unlisted)) != 0)
			return TX_ERR_NOMEM;
		t->rejected += unlisted;
	}
	return TX_OK;
}

/* The envelope around the objects at spans: its "more" and "next". NULL
 * when it is not a JSON object (msg says why). */
static json_t *envelope_frame(const char *body, size_t len,
			      const struct tx_span *spans, size_t n, char *msg,
			      size_t msgsz)
{
	json_error_t jerr;
	struct tx_buf f;
	json_t *v = NULL;

	tx_buf_init(&f, 0);
	if (n == 0) {
		if (len > FRAME_MAX) {
			snprintf(msg, msgsz, "an answer of %zu bytes without objects",
				 len);
			return NULL;
		}
		v = tx_json_load(body, len, JSON_REJECT_DUPLICATES, &jerr);
	} else {
		size_t tail = spans[n - 1].off + spans[n - 1].len;
		if (spans[0].off + (len - tail) > FRAME_MAX) {
			snprintf(msg, msgsz, "more than %d bytes around the objects",
				 FRAME_MAX);
			return NULL;
		}
		if (tx_buf_append(&f, body, spans[0].off) == TX_OK &&
		    tx_buf_append(&f, body + tail, len - tail) == TX_OK)
			v = tx_json_load(f.data, f.len, JSON_REJECT_DUPLICATES, &jerr);
		else
			snprintf(jerr.text, sizeof(jerr.text), "out of memory");
	}
	tx_buf_free(&f);
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		snprintf(msg, msgsz, "the answer is not a TAXII envelope");
		return NULL;
	}
	if (v == NULL)
		snprintf(msg, msgsz, "the answer is not JSON: %s", jerr.text);
	return v;
}

/* The URL-encoded query of one page request into path. */
static tx_err page_path(struct tx_buf *path, const char *coll, int64_t limit,
			const char *next, const char *added_after)
{
	char *ec = taxii_url_escape(coll), *ev = NULL;
	tx_err rc = TX_ERR_NOMEM;

	if (ec == NULL)
		return rc;
	if (next != NULL)
		ev = taxii_url_escape(next);
	else if (added_after != NULL && added_after[0])
		ev = taxii_url_escape(added_after);
	if ((next != NULL || (added_after && added_after[0])) && ev == NULL)
		goto out;
	path->len = 0;
	/* next and added_after are never sent together */
	rc = tx_buf_printf(path, "collections/%s/objects/?limit=%lld%s%s", ec,
			   (long long)limit, ev ? (next ? "&next=" :
			   "&added_after=") : "", ev ? ev : "");
out:
	free(ec);
	free(ev);
	return rc;
}

/* The status resource sid as an admin reads it. */
static json_t *status_of(tx_store *st, const char *sid)
{
	struct store_user admin = { .admin = 1, .name = "feed" };
	json_t *status = NULL;

	return store_status_get(st, &admin, sid, &status) == TX_OK ? status : NULL;
}

/* Write the feed's CA for libcurl, which reads trust anchors from files
 * (with GnuTLS) beneath the node's folder (the only place serve may
 * read under Landlock). */
static tx_err write_ca(const char *dir, const struct store_feed *f, char *path,
		       size_t n, struct tx_error *err)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "tls/feed-%s.pem", f->name);
	if (tx_path_join(path, n, dir, rel) != TX_OK)
		return tx_error_set(err, TX_ERR_TOOBIG, "%s: path too long", dir);
	return tx_write_file(path, f->cacert, strlen(f->cacert), 0600, err);
}

struct run {
	tx_store *st;
	struct store_feed *f;
	struct taxii_client client;
	struct taxii_feed_result *out;
	char source[STORE_NAME_MAX + 8];
};

/*
 * One page: request, store, count. *more, *next (owned) and *last_us
 * tell where the next page starts. TX_OK, or the run's error.
 */
static tx_err one_page(struct run *r, struct tx_buf *path, int *more,
		       char **next, char *last, size_t last_sz, size_t *n_objects,
		       struct tx_error *err)
{
	struct taxii_response resp = { 0 };
	struct store_feed_tally t = { .pages = 1 };
	struct tx_span *spans = NULL;
	json_t *frame = NULL, *status = NULL, *reasons = json_object();
	char sid[TX_UUID_BUF], msg[TX_ERROR_MSG_MAX] = "", *rtext = NULL;
	size_t n = 0;
	tx_err rc;

	*more = 0;
	*next = NULL;
	*n_objects = 0;
	last[0] = '\0';
	if (reasons == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = taxii_client_request(&r->client, "GET", path->data, NULL, 0,
				       (size_t)r->f->max_page_bytes, &resp,
				       err)) != TX_OK) {
		if (rc == TX_ERR_TOOBIG)
			tx_error_prefix(err, "max_page_bytes %lld (feed add"
					" --max-page-bytes)",
					(long long)r->f->max_page_bytes);
		goto out;
	}
	if (resp.status != 200) {
		json_t *e = tx_json_load(resp.body, resp.len < FRAME_MAX ? resp.len :
					 0, 0, NULL);
		const char *d = json_string_value(json_object_get(e, "description"));
		const char *ti = json_string_value(json_object_get(e, "title"));
		rc = tx_error_set(err, resp.status == 401 || resp.status == 403 ?
				  TX_ERR_AUTH : TX_ERR_IO, "%s: HTTP %ld%s%s", path->data,
				  resp.status, d || ti ? ": " : "", d ? d : ti ? ti : "");
		json_decref(e);
		goto out;
	}
	rc = tx_json_array_spans_max(resp.body, resp.len, "objects",
				     (size_t)TAXII_FEED_LIMIT_MAX * 10, &spans, &n);
	if (rc == TX_ERR_TOOBIG) {
		rc = tx_error_set(err, TX_ERR_TOOBIG, "%s: a page of more than %d"
				  " objects", path->data, TAXII_FEED_LIMIT_MAX * 10);
		goto out;
	} else if (rc == TX_ERR_NOMEM) {
		rc = tx_error_set(err, rc, "out of memory");
		goto out;
	} else if (rc != TX_OK) {
		/* no list of objects: the parse of the whole says what it is */
		free(spans);
		spans = NULL;
		n = 0;
		rc = TX_OK;
	}
	if (n > 0) {
		json_error_t jerr;
		if (!tx_json_frame_valid(resp.body, resp.len, spans, n, &jerr)) {
			rc = tx_error_set(err, TX_ERR_INVALID, "%s: malformed JSON at"
					  " line %d, column %d: %s", path->data,
					  jerr.line, jerr.column, jerr.text);
			goto out;
		}
	}
	if ((frame = envelope_frame(resp.body, resp.len, spans, n, msg,
				    sizeof(msg))) == NULL) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s: %s", path->data, msg);
		goto out;
	}
	if (n == 0 && json_object_get(frame, "objects") != NULL &&
	    json_array_size(json_object_get(frame, "objects")) == 0 &&
	    !json_is_array(json_object_get(frame, "objects"))) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s: \"objects\" is not a"
				  " list", path->data);
		goto out;
	}
	if (n > 0) {
		taxii_memcap_install();
		taxii_memcap_begin(PAGE_MEMORY_FACTOR * (int64_t)resp.len + (1 << 20));
		rc = (r->f->reshare ? taxii_ingest_reshared : taxii_ingest_from)(
			r->st, r->f->into_pk, r->source, resp.body, spans, n, sid,
			err);
		if (taxii_memcap_end(NULL) && rc != TX_OK)
			rc = tx_error_set(err, TX_ERR_TOOBIG, "%s: the page's objects"
					  " would take more than %d times its %zu"
					  " bytes of memory; nothing of it stored",
					  path->data, PAGE_MEMORY_FACTOR, resp.len);
		else if (rc != TX_OK)
			tx_error_prefix(err, "%s: nothing of the page stored",
					path->data);
		if (rc != TX_OK)
			goto out;
		if ((status = status_of(r->st, sid)) == NULL) {
			rc = tx_error_set(err, TX_ERR_DB, "stored, but the status %s"
					  " cannot be read", sid);
			goto out;
		}
		rc = count_status(status, &t, reasons);
		if (rc != TX_OK) {
			rc = tx_error_set(err, rc, "stored, but out of memory counting"
					  " the reasons of its rejections");
			goto out;
		}
	}
	t.received = (int64_t)n;
	*n_objects = n;
	*more = json_is_true(json_object_get(frame, "more"));
	const char *nx = json_string_value(json_object_get(frame, "next"));
	if (*more && nx != NULL && nx[0] && (*next = strdup(nx)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (n > 0 && resp.date_added_last[0]) {
		int64_t us;
		if (tx_time_parse(resp.date_added_last, &us, NULL) != TX_OK) {
			rc = tx_error_set(err, TX_ERR_INVALID, "%s: X-TAXII-Date-Added-"
					  "Last \"%.40s\" is not an RFC 3339 timestamp",
					  path->data, resp.date_added_last);
			goto out;
		}
		snprintf(last, last_sz, "%s", resp.date_added_last);
		t.added_after = last;
	}
	if (json_object_size(reasons) > 0 &&
	    (rtext = tx_json_dumps(reasons, JSON_COMPACT)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	t.reasons = rtext;
	rc = store_feed_record(r->st, r->f->name, &t, err);
	r->out->pages += t.pages;
	r->out->received += t.received;
	r->out->added += t.added;
	r->out->present += t.present;
	r->out->rejected += t.rejected;
out:
	if (rc != TX_OK) {
		free(*next);
		*next = NULL;
	}
	free(rtext);
	free(spans);
	json_decref(frame);
	json_decref(status);
	json_decref(reasons);
	taxii_response_free(&resp);
	return rc;
}

tx_err taxii_feed_poll(tx_store *st, const char *dir, const char *name,
		       int (*cancelled)(void *ctx), void *ctx,
		       struct taxii_feed_result *out, struct tx_error *err)
{
	struct run r = { .st = st, .out = out };
	struct store_feed_tally fin = { .runs = 1 };
	struct tx_buf path;
	char ca[PATH_MAX], last[TAXII_HEADER_MAX], after[TAXII_HEADER_MAX + 8];
	char *next = NULL, msg[256];
	int64_t limit, prev_last_us = INT64_MIN;
	int recorded = 0;
	tx_err rc;

	memset(out, 0, sizeof(*out));
	tx_buf_init(&path, 0);
	if ((r.f = malloc(sizeof(*r.f))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = store_feed_get(st, name, r.f)) != TX_OK) {
		free(r.f);
		return rc == TX_ERR_NOTFOUND ?
			tx_error_set(err, rc, "no feed named \"%s\"", name) :
			tx_error_set(err, rc, "feed %s: cannot read it", name);
	}
	snprintf(r.source, sizeof(r.source), "feed:%s", r.f->name);
	r.client.url = r.f->url;
	r.client.timeout_s = 120;
	r.client.connect_timeout_ms = 10000;
	r.client.cancelled = cancelled;
	r.client.cancel_ctx = ctx;
	switch (r.f->auth) {
	case STORE_FEED_AUTH_BASIC:
		r.client.user = r.f->user;
		r.client.password = r.f->secret;
		break;
	case STORE_FEED_AUTH_BEARER:
		r.client.token = r.f->secret;
		break;
	case STORE_FEED_AUTH_API_KEY:
		r.client.api_key = r.f->secret;
		break;
	case STORE_FEED_AUTH_NONE:
		break;
	}
	if (r.f->cacert[0]) {
		if ((rc = write_ca(dir, r.f, ca, sizeof(ca), err)) != TX_OK)
			goto out;
		r.client.cacert = ca;
	}
	if ((rc = taxii_client_open(&r.client, err)) != TX_OK)
		goto out;
	snprintf(after, sizeof(after), "%s", r.f->added_after);
	limit = r.f->page_limit;
	for (int64_t page = 0; page < r.f->max_pages; page++) {
		int more = 0;
		size_t n = 0;
		char *nx = NULL;

		if (cancelled != NULL && cancelled(ctx))
			break;
		if ((rc = page_path(&path, r.f->collection, limit, next, after)) !=
		    TX_OK) {
			rc = tx_error_set(err, rc, "out of memory");
			goto out;
		}
		rc = one_page(&r, &path, &more, &nx, last, sizeof(last), &n, err);
		free(next);
		next = nx;
		if (rc != TX_OK)
			goto out;
		if (!more || n == 0)
			break;
		if (next != NULL)
			continue;
		/* more without next: go on from the page's last date_added */
		int64_t last_us;
		if (last[0] == '\0' || tx_time_parse(last, &last_us, NULL) != TX_OK) {
			rc = tx_error_set(err, TX_ERR_INVALID, "%s: \"more\" without"
					  " \"next\" nor X-TAXII-Date-Added-Last: the"
					  " server gives no way to the next page",
					  path.data);
			goto out;
		}
		if (last_us <= prev_last_us) {
			/* the whole page was of one date_added: ask for more */
			if (limit < TAXII_FEED_LIMIT_MAX) {
				limit = limit * 2 < TAXII_FEED_LIMIT_MAX ? limit * 2 :
					TAXII_FEED_LIMIT_MAX;
				out->limit_raised++;
				continue; /* same added_after, bigger page */
			}
			/* at the cap: go on after it, and say so */
			out->ties_skipped++;
			snprintf(after, sizeof(after), "%s", last);
			prev_last_us = INT64_MIN;
			continue;
		}
		prev_last_us = last_us;
		/* one microsecond before: the rest of last's date_added too */
		tx_time_format(last_us - 1, after);
	}
	fin.ok = 1;
	if (out->ties_skipped > 0) {
		snprintf(msg, sizeof(msg), "the server gave more than %d objects of"
			 " one date_added without next, %lld times: some may have"
			 " been left", TAXII_FEED_LIMIT_MAX,
			 (long long)out->ties_skipped);
		fin.error = msg;
	}
	rc = store_feed_record(st, r.f->name, &fin, err);
	recorded = rc == TX_OK;
out:
	if (rc != TX_OK) {
		struct store_feed_tally failed = { .error = err ? err->msg : "failed",
						   .runs = !recorded };
		store_feed_record(st, r.f->name, &failed, NULL);
	}
	taxii_client_close(&r.client);
	free(next);
	tx_buf_free(&path);
	memset(r.f->secret, 0, sizeof(r.f->secret));
	free(r.f);
	return rc;
}

/* ---- the schedule of serve ---- */

struct taxii_feeds {
	char dir[PATH_MAX];
	int64_t look_s;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int stop;
};

static int feeds_stopping(void *ctx)
{
	taxii_feeds *fs = ctx;
	int stop;

	pthread_mutex_lock(&fs->lock);
	stop = fs->stop;
	pthread_mutex_unlock(&fs->lock);
	return stop;
}

/* Run the feeds that are due; the time (us) the next one is, at most
 * look_s from now. */
static int64_t run_due(taxii_feeds *fs, tx_store *st)
{
	struct store_feed *list = NULL;
	size_t n = 0;
	int64_t now = tx_time_now_us(), wake = now + fs->look_s * 1000000;

	if (store_feed_list(st, &list, &n) != TX_OK) {
		tx_log(TX_LOG_WARN, "feeds: cannot list them");
		return wake;
	}
	for (size_t i = 0; i < n && !feeds_stopping(fs); i++) {
		const struct store_feed *f = &list[i];
		struct taxii_feed_result r;
		struct tx_error err = { 0 };
		int64_t due = f->last_run + f->every_s * 1000000;

		if (f->last_run != 0 && due > now) {
			if (due < wake)
				wake = due;
			continue;
		}
		if (taxii_feed_poll(st, fs->dir, f->name, feeds_stopping, fs, &r,
				    &err) != TX_OK)
			tx_log(TX_LOG_WARN, "feed %s: %s", f->name, err.msg);
		else
			tx_log(TX_LOG_INFO, "feed %s: %lld pages, %lld received,"
			       " %lld added, %lld already present, %lld rejected",
			       f->name, (long long)r.pages, (long long)r.received,
			       (long long)r.added, (long long)r.present,
			       (long long)r.rejected);
		now = tx_time_now_us();
		if (now + f->every_s * 1000000 < wake)
			wake = now + f->every_s * 1000000;
	}
	for (size_t i = 0; i < n; i++)
		memset(list[i].secret, 0, sizeof(list[i].secret));
	free(list);
	return wake;
}

static void *feeds_loop(void *arg)
{
	taxii_feeds *fs = arg;
	struct tx_error err = { 0 };
	char path[PATH_MAX];
	tx_store *st = NULL;

	if (tx_path_join(path, sizeof(path), fs->dir, "trilex.db") != TX_OK ||
	    store_open(path, 0, &st, &err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "feeds: %s", err.msg);
		return NULL;
	}
	while (!feeds_stopping(fs)) {
		int64_t wake = run_due(fs, st);
		struct timespec until = { .tv_sec = (time_t)(wake / 1000000),
					  .tv_nsec = (long)(wake % 1000000) * 1000 };
		pthread_mutex_lock(&fs->lock);
		if (!fs->stop)
			pthread_cond_timedwait(&fs->cv, &fs->lock, &until);
		pthread_mutex_unlock(&fs->lock);
	}
	store_close(st);
	return NULL;
}

tx_err taxii_feeds_start(const char *dir, int64_t look_s, taxii_feeds **out,
			 struct tx_error *err)
{
	taxii_feeds *fs = calloc(1, sizeof(*fs));

	*out = NULL;
	if (fs == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	snprintf(fs->dir, sizeof(fs->dir), "%s", dir);
	fs->look_s = look_s > 0 ? look_s : 5;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->cv, NULL);
	if (pthread_create(&fs->thread, NULL, feeds_loop, fs) != 0) {
		pthread_mutex_destroy(&fs->lock);
		pthread_cond_destroy(&fs->cv);
		free(fs);
		return tx_error_set(err, TX_ERR_NOMEM, "feeds: cannot start a thread");
	}
	*out = fs;
	return TX_OK;
}

void taxii_feeds_stop(taxii_feeds *fs)
{
	if (fs == NULL)
		return;
	pthread_mutex_lock(&fs->lock);
	fs->stop = 1;
	pthread_cond_signal(&fs->cv);
	pthread_mutex_unlock(&fs->lock);
	pthread_join(fs->thread, NULL);
	pthread_mutex_destroy(&fs->lock);
	pthread_cond_destroy(&fs->cv);
	free(fs);
}
