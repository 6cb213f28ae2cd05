/*
 * misp/http.c: the MISP feed over HTTPS, /trilex/v1/misp-feed/{collection}/
 * {manifest.json, hashes.csv, {uuid}.json}, read-only, for the node's
 * users with read access to the collection (the same accounts, tokens and
 * TLS as TAXII). A collection the user may not read is not found, like
 * an event withheld by its marking. Every answer carries an ETag (the
 * MD5 of its bytes); a GET with If-None-Match of that tag gets 304 and no
 * body, so a MISP instance polling the manifest again moves nothing when
 * nothing changed.
 *
 * The manifest and hashes.csv of a collection are kept (CACHE_SLOTS of
 * them, each at most CACHE_TEXT_MAX bytes) with the store's clock
 * (store_last_added) they were made at: while nothing is stored or
 * deleted anywhere on the node, a poll is answered without reading the
 * collection again. Any write moves the clock, and the next poll rebuilds.
 */
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "misp/misp.h"
#include "taxii/taxii.h"

/* The manifest and hashes of a whole walk. */
struct whole {
	json_t *manifest;
	struct tx_buf hashes;
	int want_hashes;
};

static int gather(void *ctx, const struct misp_feed_event *ev)
{
	struct whole *w = ctx;

	if (w->want_hashes)
		return tx_buf_append(&w->hashes, ev->hashes, ev->hashes_len) ==
		       TX_OK ? 0 : -1;
	return json_object_set(w->manifest, ev->uuid, (json_t *)ev->manifest);
}

#define CACHE_SLOTS 8
#define CACHE_TEXT_MAX ((size_t)64 << 20)

/* A slot's key: "c PK" for a collection, "f NAME SPEC" for a saved
 * filter (its criteria too: a filter removed and made again otherwise
 * would find the old one's text). */
#define CACHE_KEY_MAX 8192

static struct slot {
	char *key;
	int hashes;               /* hashes.csv, else manifest.json */
	int64_t clock;            /* store_last_added when made */
	char *text;
	size_t len;
	unsigned long used;
} cache[CACHE_SLOTS];
static unsigned long cache_tick;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* A copy of the cached text for (key, hashes) made at clock, or NULL. */
static char *cache_get(const char *key, int hashes, int64_t clock, size_t *len)
{
	char *copy = NULL;

	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct slot *c = &cache[i];
		if (c->text == NULL || strcmp(c->key, key) != 0 ||
		    c->hashes != hashes || c->clock != clock)
			continue;
		if ((copy = malloc(c->len + 1)) != NULL) {
			memcpy(copy, c->text, c->len + 1);
			*len = c->len;
			c->used = ++cache_tick;
		}
		break;
	}
	pthread_mutex_unlock(&cache_lock);
	return copy;
}

/* Keep a copy of text for (key, hashes) at clock, in the slot used least
 * lately (or the one it replaces). */
static void cache_put(const char *key, int hashes, int64_t clock,
		      const char *text, size_t len)
{
	struct slot *victim = &cache[0];
	char *copy, *kcopy;

	if (len > CACHE_TEXT_MAX || (copy = malloc(len + 1)) == NULL)
		return;
	if ((kcopy = strdup(key)) == NULL) {
		free(copy);
		return;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct slot *c = &cache[i];
		if (c->text != NULL && strcmp(c->key, key) == 0 &&
		    c->hashes == hashes) {
			victim = c;
			break;
		}
		if (c->text == NULL || c->used < victim->used)
			victim = c;
	}
	free(victim->text);
	free(victim->key);
	*victim = (struct slot){ .key = kcopy, .hashes = hashes, .clock = clock,
				 .text = copy, .len = len, .used = ++cache_tick };
	pthread_mutex_unlock(&cache_lock);
}

/* Answer text (taken) as ctype, or 304 when the client holds it. */
static void answer(const struct taxii_ext_request *rq,
		   struct taxii_ext_reply *rp, char *text, size_t len,
		   const char *ctype)
{
	unsigned char d[16];
	char hex[33], tag[40];
	const char *inm = taxii_ext_header(rq, "If-None-Match");

	if (gnutls_hash_fast(GNUTLS_DIG_MD5, text, len, d) < 0) {
		free(text);
		rp->status = 500;
		snprintf(rp->message, sizeof(rp->message), "hashing failed");
		return;
	}
	tx_hex(d, sizeof(d), hex);
	snprintf(tag, sizeof(tag), "\"%s\"", hex);
	taxii_ext_reply_header(rp, "ETag", "%s", tag);
	taxii_ext_reply_header(rp, "Cache-Control", "private, no-cache");
	rp->content_type = ctype;
	if (inm != NULL && strstr(inm, tag) != NULL) {
		free(text);
		rp->status = 304;
		rp->text = strdup("");
		rp->text_len = 0;
		if (rp->text == NULL) {
			rp->status = 500;
			rp->content_type = NULL;
		}
		return;
	}
	rp->status = 200;
	rp->text = text;
	rp->text_len = len;
}

static void fail(struct taxii_ext_reply *rp, unsigned status, const char *msg)
{
	rp->status = status;
	snprintf(rp->message, sizeof(rp->message), "%s", msg);
}

/* ---- what was served, per feed (this process) ---- */

#define SERVED_SLOTS 64

static struct served_slot {
	char key[MISP_FEED_KEY_MAX];
	struct misp_feed_served v;
} served[SERVED_SLOTS];
static pthread_mutex_t served_lock = PTHREAD_MUTEX_INITIALIZER;

/* Count an answer to feed key; events >= 0: its manifest was built with
 * that many. Only feeds that exist are counted (the slots are bounded:
 * the one served least lately gives way). */
static void served_note(const char *key, unsigned status, const char *msg,
			int64_t events)
{
	struct served_slot *s = NULL, *oldest = &served[0];
	int64_t now = tx_time_now_us();

	pthread_mutex_lock(&served_lock);
	for (int i = 0; i < SERVED_SLOTS && s == NULL; i++) {
		if (strcmp(served[i].key, key) == 0)
			s = &served[i];
		else if (served[i].v.last_at < oldest->v.last_at)
			oldest = &served[i];
	}
	if (s == NULL) {
		s = oldest;
		memset(s, 0, sizeof(*s));
		snprintf(s->key, sizeof(s->key), "%s", key);
		s->v.events = -1;
	}
	s->v.requests++;
	s->v.last_at = now;
	s->v.last_status = status;
	if (status == 304)
		s->v.not_modified++;
	if (status >= 400) {
		s->v.errors++;
		s->v.last_error_at = now;
		snprintf(s->v.last_error, sizeof(s->v.last_error), "%u %.140s",
			 status, msg ? msg : "");
	}
	if (events >= 0)
		s->v.events = events;
	pthread_mutex_unlock(&served_lock);
}

int misp_feed_served_get(const char *key, struct misp_feed_served *out)
{
	int found = -1;

	pthread_mutex_lock(&served_lock);
	for (int i = 0; i < SERVED_SLOTS; i++)
		if (served[i].key[0] && strcmp(served[i].key, key) == 0) {
			*out = served[i].v;
			found = 0;
			break;
		}
	pthread_mutex_unlock(&served_lock);
	return found;
}

/* What feed_request found: the feed's key ("" when none was found) and,
 * when it built a manifest, its events. */
struct outcome {
	int64_t objects;
	int64_t events;
	char key[MISP_FEED_KEY_MAX];
};

static void feed_request(void *ctx, const struct taxii_ext_request *rq,
			 struct taxii_ext_reply *rp, struct outcome *oc);

void misp_http_feed(void *ctx, const struct taxii_ext_request *rq,
		    struct taxii_ext_reply *rp)
{
	struct outcome oc = { .events = -1 };

	feed_request(ctx, rq, rp, &oc);
	taxii_metrics_export("misp-feed", rp->status, oc.objects);
	if (oc.key[0])
		served_note(oc.key, rp->status, rp->message, oc.events);
}

/* misp_http_feed's answer; oc->objects: the events it holds when 200. */
static void feed_request(void *ctx, const struct taxii_ext_request *rq,
			 struct taxii_ext_reply *rp, struct outcome *oc)
{
	struct misp_feed_opts o = { 0 };
	struct store_collection c;
	struct store_filter flt;
	struct tx_error err = { 0 };
	int64_t pks[MISP_FEED_COLLS_MAX];
	const char *labels[STORE_FILTER_LABELS_MAX];
	char coll[128], self_uuid[TX_UUID_BUF], key[CACHE_KEY_MAX];
	const char *slash, *file;
	size_t n;

	if (strcmp(rq->method, "GET") != 0) {
		taxii_ext_reply_header(rp, "Allow", "GET");
		fail(rp, 405, "a MISP feed is read-only: GET");
		return;
	}
	/* "{collection}/{file}" */
	slash = strchr(rq->rest, '/');
	n = slash ? (size_t)(slash - rq->rest) : strlen(rq->rest);
	if (n == 0 || n >= sizeof(coll)) {
		fail(rp, 404, "misp-feed/{collection}/manifest.json, hashes.csv "
		     "or {uuid}.json");
		return;
	}
	snprintf(coll, sizeof(coll), "%.*s", (int)n, rq->rest);
	file = slash ? slash + 1 : "";
	if (store_collection_get(rq->st, rq->user, coll, &c) == TX_OK) {
		if (!c.can_read) {
			fail(rp, 404, "no such collection");
			return;
		}
		o.collection_pk = c.pk;
		snprintf(key, sizeof(key), "c %lld", (long long)c.pk);
		snprintf(oc->key, sizeof(oc->key), "c:%s", c.id);
	} else {
		/* a saved filter of that name, read whole or not at all: a
		 * collection of it the user may not read makes it not found,
		 * told as an unknown collection is */
		size_t k;
		if (store_filter_get(rq->st, coll, &flt) != TX_OK ||
		    misp_filter_opts(rq->st, rq->user, &flt, pks, labels, &o,
				     &err) != TX_OK) {
			fail(rp, 404, "no such collection");
			return;
		}
		snprintf(oc->key, sizeof(oc->key), "f:%s", flt.name);
		k = (size_t)snprintf(key, sizeof(key), "f %s\n%s", flt.name, flt.tlp);
		for (size_t i = 0; i < flt.n_colls && k < sizeof(key); i++)
			k += (size_t)snprintf(key + k, sizeof(key) - k, "\nc %s",
					      flt.colls[i]);
		for (size_t i = 0; i < flt.n_labels && k < sizeof(key); i++)
			k += (size_t)snprintf(key + k, sizeof(key) - k, "\nl %s",
					      flt.labels[i]);
	}
	tx_uuid5(tx_uuid_ns_trilex, rq->cfg->public_key,
		 strlen(rq->cfg->public_key), self_uuid);
	o.self_name = rq->cfg->name;
	o.self_uuid = self_uuid;
	if (strcmp(file, "manifest.json") == 0 || strcmp(file, "hashes.csv") == 0) {
		struct whole w = { .want_hashes = file[0] == 'h' };
		/* read before the walk: a write during it makes the next poll
		 * rebuild rather than keep a stale text */
		int64_t clock = store_last_added(rq->st);
		char *text = NULL;
		size_t len = 0;

		if ((text = cache_get(key, w.want_hashes, clock, &len)) != NULL) {
			answer(rq, rp, text, len, w.want_hashes ? "text/csv" :
			       "application/json");
			return;
		}
		tx_buf_init(&w.hashes, 0);
		if ((w.manifest = json_object()) == NULL) {
			fail(rp, 500, "out of memory");
			return;
		}
		if (misp_feed_walk(rq->st, &o, gather, &w, NULL, &err) != TX_OK) {
			json_decref(w.manifest);
			tx_buf_free(&w.hashes);
			fail(rp, tx_err_transient(err.code) ? 503 : 500, err.msg);
			return;
		}
		if (w.want_hashes) {
			len = w.hashes.len;
			text = w.hashes.data ? tx_buf_take(&w.hashes) : strdup("");
		} else if ((text = tx_json_dumps(w.manifest, JSON_COMPACT)) != NULL) {
			len = strlen(text);
			oc->events = (int64_t)json_object_size(w.manifest);
		}
		json_decref(w.manifest);
		tx_buf_free(&w.hashes);
		if (text == NULL) {
			fail(rp, 500, "out of memory");
			return;
		}
		cache_put(key, w.want_hashes, clock, text, len);
		answer(rq, rp, text, len, w.want_hashes ? "text/csv" :
		       "application/json");
		return;
	}
	n = strlen(file);
	if (n == 36 + 5 && strcmp(file + 36, ".json") == 0) {
		char uuid[TX_UUID_BUF], *text = NULL;
		size_t len = 0;
		tx_err rc;

		snprintf(uuid, sizeof(uuid), "%.36s", file);
		rc = misp_feed_event(rq->st, &o, uuid, &text, &len, &err);
		if (rc == TX_ERR_NOTFOUND) {
			fail(rp, 404, "no such event");
			return;
		}
		if (rc != TX_OK) {
			fail(rp, tx_err_transient(rc) ? 503 : 500, err.msg);
			return;
		}
		answer(rq, rp, text, len, "application/json");
		oc->objects = 1;
		return;
	}
	fail(rp, 404, "misp-feed/{collection}/manifest.json, hashes.csv or "
	     "{uuid}.json");
}
