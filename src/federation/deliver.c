/*
 * federation/deliver.c: getting each partner its share, fast and surely.
 *
 * Design: the node's own objects, in (date_added, rowid) order, are the
 * outbox; each partner has a cursor into it that moves only when the
 * partner has acknowledged a batch (TAXII 202 after its commit). So an
 * object committed here is delivered even if this process is killed or
 * the partner is down for days: the worker resumes at the cursor. (This
 * replaces the outbox rows the design first had: the same guarantee with
 * no extra write per object and per partner on the ingest path.)
 *
 * What a partner gets: the rows of the outbox whose collection's sharing
 * policy (store/sharing.c) names it (local collections are left out of
 * the outbox query itself), of those the ones TLP entitles it to
 * and the partner's role in the partnership entitle it to
 * (fed_partner_entitled: a member by TLP, an observer CLEAR and GREEN and
 * what names it, a suspended partner nothing). Push and pull
 * (/trilex/v1/sync) both go through outgoing(), so they cannot disagree.
 *
 * Two lanes (federation/lanes.c decides which, when an object is
 * stored): the priority lane (alerts, votes, approvals, withdrawals) and
 * the bulk lane, each the subsequence of the outbox marked with it, each
 * with its own cursor per partner (store_peer.prio and .push). A worker
 * sends everything the priority lane holds first, one batch in flight so
 * that the partner stores it in our order, then lands one bulk batch (two
 * in flight); a kick while it waits for that batch sends it back to the
 * priority lane without cancelling the batch.
 *
 * One worker thread per partner with a URL, so a slow or absent partner
 * never delays the others. Nothing polls: a worker sleeps until a kick
 * (fed_deliver_kick: a commit by any process, seen through the store's
 * commit watch by the watcher thread, or a POST in this process) or its
 * next timer. Failures back off exponentially (delivery_backoff_min_ms up
 * to delivery_backoff_max_ms) in a timed wait that a kick ends early
 * when the partner was heard from or moved (peer update). At start and
 * every PULL_S the worker also pulls the partner's share for us, as a
 * backstop for pushes the partner could not make (at start: while we
 * were down). Objects are signed when they first leave, and the signed
 * text is kept; TLP:RED is sealed for each recipient.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "federation/internal.h"
#include "stix/stix.h"

#define BATCH 500
#define PULL_S 300   /* the backstop; pushes carry the traffic */
/* How long a partner that pulled a page with more to come holds off our
 * bulk push: time enough to store the page and ask for the next. */
#define PULL_HOLD_MS 30000
#define RESPONSE_MAX ((size_t)256 << 20)

struct worker {
	struct worker *next;
	tx_fed *fed;
	char party[TX_PARTY_MAX];
	char ca_path[PATH_MAX + 32];    /* the partner's certificate, pinned */
	pthread_t thread;
	int stop;
	int done;                      /* the thread has ended (unpinned) */
	int retrying;                  /* in backoff after a failed delivery */
	int alive;                     /* the partner was heard from: retry now */
	/* the lease on this partner's delivery (store/leases.c): whether
	 * this process holds it, and until when (wall clock, us) as last
	 * claimed or renewed by the keeper */
	int holding;
	int64_t lease_until;
	/* the partner is pulling its share (fed_http_sync answered it a
	 * page with more to come): until then (monotonic ms) the bulk lane
	 * is not pushed, so that the backlog is not sent both ways at once */
	int64_t pulled_until;
};

/* ---- what a partner is entitled to ---- */

struct pending {
	int64_t rowid;
	int64_t date_added;
	int64_t collection_pk;
	json_t *obj;
	char *text;             /* the stored text of obj */
	size_t text_len;
};

struct collect {
	struct pending *rows;
	size_t n;
};

static int collect_row(void *ctx, const struct store_row *row)
{
	struct collect *c = ctx;
	json_t *obj = tx_json_load(row->json, row->json_len, 0, NULL);

	/* Stored objects were valid JSON: failing to read one means memory
	 * ran out. Stop, rather than let the cursor pass it unsent. */
	if (obj == NULL)
		return STORE_ROW_FAIL;
	c->rows[c->n].rowid = row->rowid;
	c->rows[c->n].date_added = row->date_added;
	c->rows[c->n].collection_pk = row->collection_pk;
	c->rows[c->n].obj = obj;
	if ((c->rows[c->n].text = malloc(row->json_len + 1)) != NULL) {
		memcpy(c->rows[c->n].text, row->json, row->json_len);
		c->rows[c->n].text[row->json_len] = '\0';
		c->rows[c->n].text_len = row->json_len;
	}
	c->n++;
	return 0;
}

/* The sharing policies of the collections one batch came from: a batch
 * holds few collections, so they are read once each per batch. */
#define SHARE_MEMO 16
struct share_memo {
	int64_t pk[SHARE_MEMO];
	char share[SHARE_MEMO][STORE_SHARE_BUF];
	size_t n;
};

/* Whether the sharing policy of collection pk lets party have its
 * objects (store_query_outgoing has left local collections out). */
static tx_err share_allows(tx_store *st, struct share_memo *m, int64_t pk,
			   const char *party, int *allowed, struct tx_error *err)
{
	char share[STORE_SHARE_BUF];
	tx_err rc;

	for (size_t i = 0; i < m->n; i++)
		if (m->pk[i] == pk) {
			*allowed = store_share_allows(m->share[i], party);
			return TX_OK;
		}
	if ((rc = store_collection_share(st, pk, share)) != TX_OK) {
		/* deleted since: nothing of it is to leave */
		if (rc == TX_ERR_NOTFOUND) {
			*allowed = 0;
			return TX_OK;
		}
		return tx_error_set(err, rc, "cannot read the sharing of"
				    " collection %lld", (long long)pk);
	}
	if (m->n < SHARE_MEMO) {
		m->pk[m->n] = pk;
		snprintf(m->share[m->n++], STORE_SHARE_BUF, "%s", share);
	}
	*allowed = store_share_allows(share, party);
	return TX_OK;
}

/* Our signature of the object at (rowid, date_added) if a worker made it,
 * into p. date_added is part of the key: a rowid may be reused after a
 * delete, a date_added never. */
static int cache_get(const tx_fed *fed, int64_t rowid, int64_t added,
		     struct sig_proof *p)
{
	tx_fed *f = (tx_fed *)fed; /* the cache is the one mutable part */
	struct sig_slot *slot;
	int hit = 0;

	if (f->cache == NULL)
		return 0;
	pthread_mutex_lock(&f->cache_lock);
	slot = &f->cache[rowid % SIG_CACHE_SLOTS];
	if (slot->rowid == rowid && slot->date_added == added &&
	    slot->proof.b64[0]) {
		*p = slot->proof;
		hit = 1;
	}
	pthread_mutex_unlock(&f->cache_lock);
	return hit;
}

static void cache_put(const tx_fed *fed, int64_t rowid, int64_t added,
		      const struct sig_proof *p)
{
	tx_fed *f = (tx_fed *)fed;
	struct sig_slot *slot;

	if (f->cache == NULL)
		return;
	pthread_mutex_lock(&f->cache_lock);
	slot = &f->cache[rowid % SIG_CACHE_SLOTS];
	slot->rowid = rowid;
	slot->date_added = added;
	slot->proof = *p;
	pthread_mutex_unlock(&f->cache_lock);
}

/* A wrapper holding obj sealed for party p (signed by us). */
static json_t *seal_for(const tx_fed *fed, const json_t *obj,
			const struct store_peer *p, struct tx_error *err)
{
	unsigned char xpk[CRYPTO_SEAL_PK_BYTES], *ct = NULL;
	char *text = NULL, *b64 = NULL, id[80], now[TX_TIME_BUF], uuid[TX_UUID_BUF];
	const char *oid = json_string_value(json_object_get(obj, "id"));
	const char *mod = json_string_value(json_object_get(obj, "modified"));
	size_t ct_len = 0;
	json_t *w = NULL;
	char seed[512];

	if (crypto_hex_decode(p->seal_pk, xpk, sizeof(xpk)) != 0) {
		tx_error_set(err, TX_ERR_CRYPTO, "partner %s: bad sealing key",
			     p->party);
		return NULL;
	}
	if ((text = tx_json_dumps(obj, JSON_COMPACT)) == NULL ||
	    crypto_seal(xpk, text, strlen(text), &ct, &ct_len) != TX_OK ||
	    crypto_base64_encode(ct, ct_len, &b64) != TX_OK) {
		tx_error_set(err, TX_ERR_CRYPTO, "cannot seal for %s", p->party);
		goto out;
	}
	/* The same object sealed for the same partner keeps one wrapper id,
	 * so a resend is recognised; only the sealed bytes differ. */
	snprintf(seed, sizeof(seed), "%s|%s|%s", oid ? oid : "", mod ? mod : "",
		 p->party);
	tx_uuid5(tx_uuid_ns_trilex, seed, strlen(seed), uuid);
	snprintf(id, sizeof(id), FED_SEALED_TYPE "--%s", uuid);
	tx_time_format_ms(tx_time_now_us(), now);
	w = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "type",
		      FED_SEALED_TYPE, "spec_version", "2.1", "id", id, "created",
		      now, "modified", now, "recipient", p->party, "sealed_object",
		      b64, "object_marking_refs", fed_tlp_marking(FED_TLP_RED));
	if (w == NULL || fed_sign(fed, w, err) != TX_OK) {
		json_decref(w);
		w = NULL;
	}
out:
	free(text);
	free(ct);
	free(b64);
	return w;
}

/* Sign obj alone into *proof; an object that cannot be (no canonical
 * form) is logged and TX_ERR_INVALID returned. */
static tx_err sign_alone(const tx_fed *fed, json_t *obj, struct sig_proof *proof,
			 struct tx_error *err)
{
	tx_err rc = fed_sig_make_batch(fed, &obj, 1, proof, err);

	if (rc == TX_ERR_INVALID)
		tx_log(TX_LOG_ERROR, "%s cannot be signed and is not shared: %s",
		       json_string_value(json_object_get(obj, "id")), err->msg);
	return rc;
}

/* Append obj (stored as text, which may be NULL) to out, with our
 * signature p when p->b64 is set. The signature goes into the stored text
 * directly when the object has no "extensions" yet: no re-serialisation
 * of what is sent. */
static tx_err append_object(const tx_fed *fed, json_t *obj, const char *text,
			    size_t len, const struct sig_proof *p,
			    struct tx_buf *out, struct tx_error *err)
{
	char *dumped = NULL;
	tx_err rc;

	while (text != NULL && len > 0 && text[len - 1] != '}')
		len--;
	if (text != NULL && len > 2 && !p->b64[0])
		return tx_buf_append(out, text, len) ? tx_error_set(err,
			TX_ERR_NOMEM, "out of memory") : TX_OK;
	if (text != NULL && len > 2 && json_object_get(obj, "extensions") == NULL) {
		if (tx_buf_append(out, text, len - 1) ||
		    tx_buf_puts(out, ",\"extensions\":{\"" FED_SIG_EXT "\":") ||
		    fed_sig_ext_text(fed, p, out) || tx_buf_puts(out, "}}"))
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return TX_OK;
	}
	if (p->b64[0] && (rc = fed_sig_attach(fed, obj, p, err)) != TX_OK)
		return rc;
	if ((dumped = tx_json_dumps(obj, JSON_COMPACT)) == NULL ||
	    tx_buf_puts(out, dumped)) {
		free(dumped);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	free(dumped);
	return TX_OK;
}

/*
 * The rows of one outgoing() call on their way out: read (collect_row),
 * sorted (pick_rows: what is for the partner, and how each is signed),
 * signed (sign_picked) and written (write_picked).
 */
struct outbatch {
	struct collect col;
	struct share_memo *memo;
	struct sig_proof *proofs;    /* proofs[i]: row i's signature, if made */
	json_t **to_sign;            /* to be signed as one batch */
	size_t *at;                  /* to_sign[k] is row at[k] */
	size_t n_sign;
	size_t stop;                 /* the row of the last one taken when
				      * max_objects cut the rows short, or
				      * SIZE_MAX */
};

static void outbatch_free(struct outbatch *ob)
{
	for (size_t i = 0; i < ob->col.n; i++) {
		json_decref(ob->col.rows[i].obj);
		free(ob->col.rows[i].text);
	}
	free(ob->col.rows);
	free(ob->memo);
	free(ob->proofs);
	free(ob->to_sign);
	free(ob->at);
}

/* Row i is not sent (not for the partner, or cannot be signed). */
static void drop_row(struct outbatch *ob, size_t i)
{
	json_decref(ob->col.rows[i].obj);
	ob->col.rows[i].obj = NULL;
}

/* Whether row i of ob goes to p at all: its collection's sharing, its TLP
 * and p's role allow it, and it is not p's own already. */
static tx_err row_for(const tx_fed *fed, tx_store *st, const struct store_peer *p,
		      struct outbatch *ob, size_t i, int *yes, struct tx_error *err)
{
	const json_t *obj = ob->col.rows[i].obj;
	const char *sp = json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "extensions"), FED_SIG_EXT),
		"signer_party"));
	int shared = 0;
	tx_err rc;

	*yes = 0;
	if ((rc = share_allows(st, ob->memo, ob->col.rows[i].collection_pk,
			       p->party, &shared, err)) != TX_OK)
		return rc;
	*yes = shared && fed_partner_entitled(fed, obj, p) &&
	       (sp == NULL || strcmp(sp, p->party) != 0);
	return TX_OK;
}

/* Row i, taken for p: signed already in a way p can check, signed now
 * alone, or queued to be signed with the batch. */
static tx_err sign_row(const tx_fed *fed, const struct store_peer *p,
		       struct outbatch *ob, size_t i, struct tx_error *err)
{
	struct pending *r = &ob->col.rows[i];
	tx_err rc;

	if (fed_sig_signer(r->obj) != NULL ||
	    (cache_get(fed, r->rowid, r->date_added, &ob->proofs[i]) &&
	     (ob->proofs[i].size == 1 || p->batch_sig)))
		return TX_OK;
	/* In a tree go only objects that every partner may have: an audit
	 * path holds the hashes of the tree's other objects, which must say
	 * nothing of a RED object to one who may not read it. RED is signed
	 * alone, and everything is for a partner that does not take batch
	 * signatures. */
	if (p->batch_sig && fed_tlp_of(r->obj) != FED_TLP_RED) {
		ob->at[ob->n_sign] = i;
		ob->to_sign[ob->n_sign++] = r->obj;
		return TX_OK;
	}
	if ((rc = sign_alone(fed, r->obj, &ob->proofs[i], err)) != TX_OK) {
		if (rc != TX_ERR_INVALID)
			return rc;
		drop_row(ob, i); /* logged: cannot leave */
		return TX_OK;
	}
	if (p->batch_sig)
		cache_put(fed, r->rowid, r->date_added, &ob->proofs[i]);
	return TX_OK;
}

/* What of ob's rows goes to p, at most max_objects of them (ob->stop set
 * when that cut them short); of that, what we made and have not signed
 * yet is signed alone or queued for one batch signature (the proofs are
 * kept in memory for the other workers, so each object is signed once,
 * the same way for all partners; after a restart a batch is simply signed
 * anew). */
static tx_err pick_rows(const tx_fed *fed, tx_store *st,
			const struct store_peer *p, struct outbatch *ob,
			size_t max_objects, struct tx_error *err)
{
	size_t n_taken = 0;
	tx_err rc;

	ob->stop = SIZE_MAX;
	for (size_t i = 0; i < ob->col.n; i++) {
		int yes = 0;

		if ((rc = row_for(fed, st, p, ob, i, &yes, err)) != TX_OK)
			return rc;
		if (!yes) {
			drop_row(ob, i);
			continue;
		}
		if (n_taken == max_objects && i > 0) {
			/* enough: this row and those after it wait */
			for (size_t j = i; j < ob->col.n; j++)
				drop_row(ob, j);
			ob->stop = i - 1; /* the row of the last one taken */
			break;
		}
		n_taken++;
		if ((rc = sign_row(fed, p, ob, i, err)) != TX_OK)
			return rc;
	}
	return TX_OK;
}

/* Sign the rows pick_rows queued as one batch. */
static tx_err sign_picked(const tx_fed *fed, struct outbatch *ob,
			  struct tx_error *err)
{
	struct sig_proof *fresh;
	tx_err rc;

	if (ob->n_sign == 0)
		return TX_OK;
	if ((fresh = calloc(ob->n_sign, sizeof(*fresh))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	rc = fed_sig_make_batch(fed, ob->to_sign, ob->n_sign, fresh, err);
	if (rc == TX_ERR_INVALID) {
		/* One of them has no canonical form (stored before such
		 * objects were refused): sign each alone and leave out what
		 * cannot be, rather than stop all delivery here. */
		rc = TX_OK;
		for (size_t k = 0; k < ob->n_sign && rc == TX_OK; k++) {
			rc = sign_alone(fed, ob->to_sign[k], &fresh[k], err);
			if (rc == TX_ERR_INVALID) {
				rc = TX_OK;
				fresh[k].b64[0] = '\0';
				drop_row(ob, ob->at[k]);
			}
		}
	}
	for (size_t k = 0; k < ob->n_sign && rc == TX_OK; k++) {
		struct pending *r = &ob->col.rows[ob->at[k]];
		if (!fresh[k].b64[0])
			continue;
		ob->proofs[ob->at[k]] = fresh[k];
		cache_put(fed, r->rowid, r->date_added, &fresh[k]);
	}
	free(fresh);
	return rc;
}

/* RED object obj, signed (p_sig), sealed for p, appended to out. */
static tx_err append_sealed(const tx_fed *fed, json_t *obj,
			    const struct sig_proof *p_sig,
			    const struct store_peer *p, struct tx_buf *out,
			    struct tx_error *err)
{
	json_t *sealed;
	char *text;
	tx_err rc;

	if (p_sig->b64[0] && (rc = fed_sig_attach(fed, obj, p_sig, err)) != TX_OK)
		return rc;
	if ((sealed = seal_for(fed, obj, p, err)) == NULL)
		return TX_ERR_CRYPTO;
	text = tx_json_dumps(sealed, JSON_COMPACT);
	json_decref(sealed);
	if (text == NULL || tx_buf_puts(out, text)) {
		free(text);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	free(text);
	return TX_OK;
}

/* The rows of ob still taken, signed, appended to out (comma-separated);
 * *count of them, *last (may be NULL) the position of the last one. */
static tx_err write_picked(const tx_fed *fed, const struct store_peer *p,
			   struct outbatch *ob, struct tx_buf *out, size_t *count,
			   struct store_cursor *last, struct tx_error *err)
{
	tx_err rc;

	for (size_t i = 0; i < ob->col.n; i++) {
		struct pending *r = &ob->col.rows[i];

		if (r->obj == NULL)
			continue;
		if (*count > 0 && tx_buf_append(out, ",", 1))
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		if (fed_tlp_of(r->obj) == FED_TLP_RED)
			rc = append_sealed(fed, r->obj, &ob->proofs[i], p, out, err);
		else
			rc = append_object(fed, r->obj, r->text, r->text_len,
					   &ob->proofs[i], out, err);
		if (rc != TX_OK)
			return rc;
		(*count)++;
		if (last != NULL) {
			last->date_added = r->date_added;
			last->rowid = r->rowid;
		}
	}
	return TX_OK;
}

/*
 * fed_outgoing taking at most max_objects of the rows looked at: when it
 * has them, *c stops at the last one taken (the rows after it are looked
 * at again next time) and *more is set. *last (may be NULL) receives the
 * position of the last object appended, when *count > 0.
 */
static tx_err outgoing(const tx_fed *fed, tx_store *st,
		       const struct store_peer *p, int lane, struct store_cursor *c,
		       int64_t limit, size_t max_objects, struct tx_buf *out,
		       size_t *count, int *more, struct store_cursor *last,
		       struct tx_error *err)
{
	struct outbatch ob = { 0 };
	struct store_page page;
	size_t n;
	tx_err rc;

	*count = 0;
	if ((ob.col.rows = calloc((size_t)limit, sizeof(*ob.col.rows))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = store_query_lane(st, lane, c, limit, collect_row, &ob.col,
				   &page, err)))
		goto out;
	n = ob.col.n ? ob.col.n : 1;
	if ((ob.memo = calloc(1, sizeof(*ob.memo))) == NULL ||
	    (ob.proofs = calloc(n, sizeof(*ob.proofs))) == NULL ||
	    (ob.to_sign = calloc(n, sizeof(*ob.to_sign))) == NULL ||
	    (ob.at = calloc(n, sizeof(*ob.at))) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pick_rows(fed, st, p, &ob, max_objects, err)) != TX_OK ||
	    (rc = sign_picked(fed, &ob, err)) != TX_OK ||
	    (rc = write_picked(fed, p, &ob, out, count, last, err)) != TX_OK)
		goto out;
	if (ob.stop != SIZE_MAX) {
		c->date_added = ob.col.rows[ob.stop].date_added;
		c->rowid = ob.col.rows[ob.stop].rowid;
		*more = 1;
	} else {
		if (page.n > 0)
			*c = page.next;
		*more = page.more;
	}
out:
	outbatch_free(&ob);
	return rc;
}

tx_err fed_outgoing(const tx_fed *fed, tx_store *st, const struct store_peer *p,
		    struct store_cursor *c, int64_t limit, struct tx_buf *out,
		    size_t *count, int *more, struct tx_error *err)
{
	return outgoing(fed, st, p, -1, c, limit, SIZE_MAX, out, count, more,
			NULL, err);
}

/* ---- HTTPS to a partner, mutually authenticated and pinned ---- */

/* The base "https://host:port" of an API root URL. */
static void url_base(const char *url, char *out, size_t n)
{
	const char *host = strstr(url, "://");
	const char *slash = host ? strchr(host + 3, '/') : NULL;
	size_t len = slash ? (size_t)(slash - url) : strlen(url);

	snprintf(out, n, "%.*s", (int)len, url);
}

/* Abort a transfer in flight when serve is stopping. */
static int stopping(void *cls)
{
	const tx_fed *fed = cls;

	return fed->running ? 0 : 1;
}

/* One request to a partner on handle h, with the one HTTPS set-up of
 * taxii/client.c: pinned to the partner's own certificate (ca_path; the
 * name in the URL need not be in it, the key must be), ours presented;
 * cut short when delivery stops (if it runs: relay.c calls it outside). */
tx_err fed_call(CURL *h, const tx_fed *fed, const char *ca_path,
		   const char *method, const char *url, const char *body,
		   long *status, struct tx_buf *resp, struct tx_error *err)
{
	const struct taxii_client c = {
		.cacert = ca_path,
		.pinned = 1,
		.client_cert = fed->cert_path,
		.client_key = fed->key_path,
		.connect_timeout_ms = 3000,
		.timeout_s = 60,
		.accept = TAXII_MEDIA_TYPE ", application/json",
		.cancelled = fed->running ? stopping : NULL,
		.cancel_ctx = (void *)fed,
	};
	struct taxii_call tc;
	CURLcode cc;
	tx_err rc;

	curl_easy_reset(h);
	if ((rc = taxii_client_setup(h, &c, method, url, body,
				     body ? strlen(body) : 0, resp, NULL, &tc,
				     err)) != TX_OK)
		return rc;
	cc = curl_easy_perform(h);
	taxii_call_done(&tc);
	if (cc != CURLE_OK)
		return tx_error_set(err, TX_ERR_IO, "%s: %s", url,
				    curl_easy_strerror(cc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return TX_OK;
}

/* A batch for a partner: the objects after cursor from, up to to. */
struct batch {
	struct store_cursor from, to;
	struct tx_buf body;          /* the TAXII envelope */
	size_t count;
	int more;
};

static void batch_clear(struct batch *b)
{
	tx_buf_free(&b->body);
	memset(b, 0, sizeof(*b));
}

static tx_err batch_prepare(tx_fed *fed, tx_store *st, const struct store_peer *p,
			    int lane, const struct store_cursor *from,
			    struct batch *b, struct tx_error *err)
{
	tx_err rc;

	batch_clear(b);
	tx_buf_init(&b->body, 0);
	b->from = b->to = *from;
	if ((rc = tx_buf_puts(&b->body, "{\"objects\":[")) ||
	    (rc = outgoing(fed, st, p, lane, &b->to, BATCH, SIZE_MAX, &b->body,
			   &b->count, &b->more, NULL, err)) ||
	    (rc = tx_buf_puts(&b->body, "]}"))) {
		if (rc == TX_ERR_NOMEM)
			tx_error_set(err, rc, "out of memory");
		batch_clear(b);
		return rc;
	}
	return TX_OK;
}

/* One POST of a batch, on its own thread. */
struct post {
	CURL *h;
	tx_fed *fed;
	const char *ca;
	struct tx_buf url;
	const char *body;
	long code;
	struct tx_buf resp;
	struct tx_error err;
	tx_err rc;
	int finished;            /* under fed->lock: the POST has ended */
};

static void *post_run(void *arg)
{
	struct post *q = arg;

	q->rc = fed_call(q->h, q->fed, q->ca, "POST", q->url.data, q->body, &q->code,
		     &q->resp, &q->err);
	/* the worker waiting for it may be waiting for a kick as well */
	pthread_mutex_lock(&q->fed->lock);
	q->finished = 1;
	pthread_cond_broadcast(&q->fed->wake);
	pthread_mutex_unlock(&q->fed->lock);
	return NULL;
}

/*
 * The batches on their way to a partner on one lane: up to WINDOW POSTs
 * at once, each on its own connection, so that the partner checks one
 * batch while it reads the next and we sign a third. The lane's cursor
 * still moves in order, batch by batch, only over what was acknowledged;
 * if any batch fails, the ones after it are dropped and sent again (the
 * partner recognises what it already has).
 */
#define WINDOW 2

struct flight {
	struct batch b;
	struct post q;
	pthread_t t;
	int running;             /* a thread is posting it */
};

struct window {
	int lane;                 /* STORE_LANE_* */
	int size;                 /* batches in flight at most, <= WINDOW */
	CURL *h[WINDOW];
	struct flight f[WINDOW];  /* f[(head + k) % WINDOW], k < n */
	int head, n;
	int exhausted;           /* the last batch prepared had no more */
	int hold;                /* prepare no more batches (lands those flying) */
};

/* The lane's cursor in p, as the store last said. */
static struct store_cursor *lane_cursor(struct store_peer *p, int lane)
{
	return lane == STORE_LANE_PRIORITY ? &p->prio : &p->push;
}

static void flight_end(struct flight *f)
{
	if (f->running)
		pthread_join(f->t, NULL);
	f->running = 0;
	tx_buf_free(&f->q.resp);
	tx_buf_free(&f->q.url);
	batch_clear(&f->b);
	memset(&f->q, 0, sizeof(f->q));
}

static void window_drop(struct window *w)
{
	for (int k = 0; k < w->n; k++)
		flight_end(&w->f[(w->head + k) % WINDOW]);
	w->head = w->n = 0;
	w->exhausted = 0;
}

/* Whether a kick came since *seen (NULL: never). */
static int kicked_since(tx_fed *fed, const uint64_t *seen)
{
	int moved;

	if (seen == NULL)
		return 0;
	pthread_mutex_lock(&fed->lock);
	moved = fed->generation != *seen;
	pthread_mutex_unlock(&fed->lock);
	return moved;
}

/* Take off: prepare the batch after the last one in flight and post it.
 * With seen, a kick since *seen stops it once a batch is in flight:
 * preparing a bulk batch takes a while, and an alert stored meanwhile
 * goes first (the caller's wait returns at once, and the worker looks at
 * the priority lane before it prepares the next). */
static tx_err window_fill(struct window *w, tx_fed *fed, const char *ca,
			  tx_store *st, struct store_peer *p, const uint64_t *seen,
			  struct tx_error *err)
{
	struct store_cursor *cur = lane_cursor(p, w->lane);

	while (w->n < w->size && !w->exhausted && !w->hold &&
	       !(w->n > 0 && kicked_since(fed, seen))) {
		const struct store_cursor *from = w->n ?
			&w->f[(w->head + w->n - 1) % WINDOW].b.to : cur;
		int slot = (w->head + w->n) % WINDOW;
		struct flight *f = &w->f[slot];
		tx_err rc = TX_OK;

		if ((rc = batch_prepare(fed, st, p, w->lane, from, &f->b,
					err)) != TX_OK)
			return rc;
		w->exhausted = !f->b.more;
		if (f->b.count == 0 && w->n == 0) {
			/* Nothing for this partner among those rows: move on. */
			if (f->b.to.date_added != cur->date_added ||
			    f->b.to.rowid != cur->rowid)
				rc = store_peer_lane_moved(st, p->party, w->lane,
							   fed->holder, &f->b.from,
							   &f->b.to, 0, 0);
			*cur = f->b.to;
			batch_clear(&f->b);
			if (rc != TX_OK)
				return rc;
			continue;
		}
		w->n++;
		if (f->b.count == 0)
			continue; /* lands when the ones before it do */
		f->q.h = w->h[slot];
		f->q.fed = fed;
		f->q.ca = ca;
		f->q.body = f->b.body.data;
		tx_buf_init(&f->q.url, 0);
		tx_buf_init(&f->q.resp, RESPONSE_MAX);
		if (tx_buf_printf(&f->q.url, "%scollections/inbox-%s/objects/",
				  p->url, fed->cfg.party))
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		if (pthread_create(&f->t, NULL, post_run, &f->q) == 0)
			f->running = 1;
		else
			post_run(&f->q);
	}
	return TX_OK;
}

/*
 * Wait until flight f has landed, or (seen not NULL) until a kick moves
 * fed->generation past *seen: 1 when it landed, 0 when kicked (*seen
 * then takes the new generation) or stopping. A kick that came while the
 * flight landed is left for the worker's next nap: the rows it announces
 * may be past the last batch prepared, and taking it here would send the
 * worker to sleep until the next pull with them unsent.
 */
static int flight_wait(tx_fed *fed, const struct worker *w, struct flight *f,
		       uint64_t *seen)
{
	int landed;

	pthread_mutex_lock(&fed->lock);
	while (!f->q.finished && !w->stop && fed->running &&
	       (seen == NULL || fed->generation == *seen))
		pthread_cond_wait(&fed->wake, &fed->lock);
	landed = f->q.finished;
	if (seen != NULL && !landed)
		*seen = fed->generation;
	pthread_mutex_unlock(&fed->lock);
	return landed;
}

/*
 * Land the oldest batch in flight on w's lane (after starting as many as
 * the window holds); TX_OK when it was acknowledged, *sent = objects it
 * carried. *more: whether anything is left in flight or to send. With
 * seen (not NULL), a kick (something new stored) ends the wait for the
 * batch in flight: TX_OK, *sent 0, *more 1, the batch still flying (so
 * that the worker can look at the priority lane meanwhile).
 */
static tx_err push_once(tx_fed *fed, struct worker *wk, const char *ca,
			tx_store *st, struct store_peer *p, struct window *w,
			uint64_t *seen, int *more, int64_t *sent,
			struct tx_error *err)
{
	struct flight *f;
	json_t *status = NULL;
	tx_err rc;

	*sent = 0;
	*more = 0;
	if (w->n == 0)
		w->exhausted = 0; /* nothing in flight: look afresh */
	if ((rc = window_fill(w, fed, ca, st, p, seen, err)) != TX_OK)
		goto fail;
	if (w->n == 0)
		return TX_OK;
	f = &w->f[w->head];
	if (f->running) {
		if (!flight_wait(fed, wk, f, seen)) {
			*more = 1;
			return TX_OK;
		}
		pthread_join(f->t, NULL);
		f->running = 0;
	}
	if (f->b.count > 0) {
		if ((rc = f->q.rc) != TX_OK) {
			*err = f->q.err;
			goto fail;
		}
		if (f->q.code != 202) {
			rc = tx_error_set(err, TX_ERR_IO, "%s: HTTP %ld: %.200s",
					  f->q.url.data, f->q.code,
					  f->q.resp.data ? f->q.resp.data : "");
			goto fail;
		}
		/* Read the status only for its failures, when it has any (a
		 * trilex partner writes "failure_count":0 when it has none). */
		if (f->q.resp.data == NULL ||
		    strstr(f->q.resp.data, "\"failure_count\":0,") == NULL)
			status = tx_json_load(f->q.resp.data ? f->q.resp.data : "",
					      f->q.resp.len, 0, NULL);
		const json_t *e;
		size_t i;
		json_array_foreach(json_object_get(status, "failures"), i, e)
			tx_log(TX_LOG_WARN, "partner %s refused %s", p->party,
			       json_string_value(json_object_get(e, "message")));
		json_decref(status);
	}
	*sent = (int64_t)f->b.count;
	if ((rc = store_peer_lane_moved(st, p->party, w->lane, fed->holder,
					&f->b.from, &f->b.to, *sent,
					f->b.count > 0)) != TX_OK)
		goto fail;
	*lane_cursor(p, w->lane) = f->b.to;
	flight_end(f);
	w->head = (w->head + 1) % WINDOW;
	w->n--;
	*more = w->n > 0 || !w->exhausted;
	return TX_OK;
fail:
	window_drop(w);
	return rc;
}

/* Pull our share from the partner until it has no more. */
static tx_err pull(CURL *h, tx_fed *fed, const char *ca, tx_store *st,
		   struct store_peer *p, struct tx_error *err)
{
	char base[STORE_URL_MAX], sid[TX_UUID_BUF];
	struct store_user account = { .id = p->user_id };
	struct tx_buf resp, url;
	tx_err rc = TX_OK;
	long code = 0;

	snprintf(account.peer, sizeof(account.peer), "%s", p->party);
	url_base(p->url, base, sizeof(base));
	tx_buf_init(&url, 0);
	for (int rounds = 0; rounds < 1000 && fed->running; rounds++) {
		json_t *env, *objects;
		const char *next;
		tx_buf_init(&resp, RESPONSE_MAX);
		url.len = 0;
		if (tx_buf_printf(&url, "%s/trilex/v1/sync?limit=%d%s%s", base, BATCH,
				  p->pull_token[0] ? "&after=" : "", p->pull_token)) {
			rc = TX_ERR_NOMEM;
			break;
		}
		if ((rc = fed_call(h, fed, ca, "GET", url.data, NULL, &code, &resp, err))) {
			tx_buf_free(&resp);
			break;
		}
		env = tx_json_load(resp.data ? resp.data : "", resp.len, 0, NULL);
		tx_buf_free(&resp);
		objects = json_object_get(env, "objects");
		next = json_string_value(json_object_get(env, "next"));
		if (code != 200 || !json_is_array(objects) || next == NULL ||
		    strlen(next) >= sizeof(p->pull_token)) {
			rc = tx_error_set(err, TX_ERR_IO, "%s: HTTP %ld: not a sync page",
					  url.data, code);
			json_decref(env);
			break;
		}
		if (json_array_size(objects) > 0 &&
		    (rc = fed_receive(fed, st, &account, p->inbox_pk, objects, NULL, NULL, sid,
				      err)) != TX_OK) {
			json_decref(env);
			break;
		}
		snprintf(p->pull_token, sizeof(p->pull_token), "%s", next);
		store_peer_pulled(st, p->party, p->pull_token, 0, 0);
		int more = json_is_true(json_object_get(env, "more"));
		json_decref(env);
		if (!more)
			break;
	}
	tx_buf_free(&url);
	return rc;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Times a delivery thread (worker or supervisor) went round its loop:
 * what an idle node must keep small (trilex_delivery_wakeups_total). */
static uint64_t wakeups;

uint64_t fed_deliver_wakeups(void)
{
	return __atomic_load_n(&wakeups, __ATOMIC_RELAXED);
}

/*
 * Wait for a kick (something stored, by any process), at most ms (< 0: no
 * limit); returns early when stopping. 1 when kicked (or kicked while the
 * caller was busy: fed->generation moved past *seen), 0 otherwise.
 */
static int nap(tx_fed *fed, struct worker *w, uint64_t *seen, int64_t ms)
{
	struct timespec until;
	int kicked;

	clock_gettime(CLOCK_MONOTONIC, &until);
	if (ms >= 0) {
		until.tv_sec += ms / 1000;
		until.tv_nsec += (ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_lock(&fed->lock);
	while (!w->stop && fed->running && fed->generation == *seen &&
	       (ms < 0 ? pthread_cond_wait(&fed->wake, &fed->lock) == 0 :
		pthread_cond_timedwait(&fed->wake, &fed->lock, &until) == 0))
		;
	kicked = fed->generation != *seen;
	*seen = fed->generation;
	pthread_mutex_unlock(&fed->lock);
	return kicked;
}

/*
 * Whether w may deliver now: it holds the lease on its partner, claimed
 * or renewed (by keep_leases) less than two thirds of a lease time ago;
 * else it claims it (taking it from a holder of this machine that has
 * died). 0 with *wait_ms, how long until the holder's lease runs out,
 * when another process holds it.
 */
static int lease_hold(tx_fed *fed, struct worker *w, tx_store *st,
		      int64_t *wait_ms)
{
	int64_t ttl = fed->cfg.delivery_lease_ms * 1000, now = tx_time_now_us();
	int64_t until = 0;
	char cur[STORE_LEASE_HOLDER_MAX];
	struct tx_error err = { 0 };
	int held = 0, was;

	*wait_ms = 0;
	pthread_mutex_lock(&fed->lock);
	was = w->holding;
	held = was && w->lease_until - now > ttl / 3;
	pthread_mutex_unlock(&fed->lock);
	if (held)
		return 1;
	if (store_lease_claim(st, w->party, fed->holder, NULL, now, ttl, &held,
			      cur, &until, &err) != TX_OK) {
		tx_log(TX_LOG_DEBUG, "delivery lease on %s: %s", w->party, err.msg);
		held = 0;
		until = now + 1000000; /* the database is failing: try in 1 s */
	} else if (!held && cur[0] && fed_lease_holder_dead(cur)) {
		tx_log(TX_LOG_INFO, "delivery to %s: its holder %s has ended;"
		       " taking over", w->party, cur);
		if (store_lease_claim(st, w->party, fed->holder, cur, now, ttl, &held,
				      cur, &until, &err) != TX_OK)
			held = 0;
	}
	pthread_mutex_lock(&fed->lock);
	w->holding = held;
	if (held)
		w->lease_until = until;
	pthread_mutex_unlock(&fed->lock);
	if (held && !was)
		tx_log(TX_LOG_INFO, "delivery to %s: this process (%s) holds it",
		       w->party, fed->holder);
	else if (!held && was)
		tx_log(TX_LOG_WARN, "delivery to %s: lease lost to %s", w->party, cur);
	else if (!held)
		tx_log(TX_LOG_DEBUG, "delivery to %s: held by %s", w->party, cur);
	if (!held) {
		*wait_ms = (until - now) / 1000 + 20;
		if (*wait_ms < 20)
			*wait_ms = 20;
		if (*wait_ms > fed->cfg.delivery_lease_ms)
			*wait_ms = fed->cfg.delivery_lease_ms;
	}
	return held;
}

/* Wait ms (kicks do not end it: another process delivers meanwhile);
 * returns early when stopping. */
static void nap_all(tx_fed *fed, struct worker *w, uint64_t *seen, int64_t ms)
{
	int64_t end = now_ms() + ms;

	for (int64_t t = now_ms(); t < end && !w->stop && fed->running; t = now_ms())
		nap(fed, w, seen, end - t);
}

/* A worker's state across the turns of its loop (work). */
struct run {
	struct worker *w;
	tx_fed *fed;
	struct store_peer *p;              /* the partner's row, as last read */
	tx_store *st;
	CURL *h;                           /* for pulls */
	/* The priority lane has one batch in flight: the partner stores
	 * its objects in our order (two on two connections may be stored
	 * either way round), and it is seldom more than one batch. */
	struct window lanes[2];            /* priority, bulk */
	struct tx_error err;
	int64_t backoff, next_try, next_pull, last_rowid;
	char url[STORE_URL_MAX];           /* the address the worker uses */
	char pinned_fp[65];                /* the certificate in ca_path */
	int pending;                       /* the last push said: more */
	int64_t hold_until;                /* bulk held for a pull until (ms) */
	int look;                          /* kicked: the database may have news */
	uint64_t seen;
};

/* Set up r for worker w: 0 when it cannot start (logged). */
static int run_open(struct run *r, struct worker *w)
{
	char path[PATH_MAX + 16];

	memset(r, 0, sizeof(*r));
	r->w = w;
	r->fed = w->fed;
	r->lanes[0] = (struct window){ .lane = STORE_LANE_PRIORITY, .size = 1 };
	r->lanes[1] = (struct window){ .lane = STORE_LANE_BULK, .size = WINDOW };
	r->last_rowid = -1;
	r->look = 1;
	pthread_mutex_lock(&r->fed->lock);
	r->seen = r->fed->generation;
	pthread_mutex_unlock(&r->fed->lock);
	r->p = calloc(1, sizeof(*r->p));
	r->h = curl_easy_init();
	for (int l = 0; l < 2; l++)
		for (int k = 0; k < WINDOW; k++)
			r->lanes[l].h[k] = curl_easy_init();
	snprintf(path, sizeof(path), "%s/trilex.db", r->fed->dir);
	if (r->p == NULL || r->h == NULL || r->lanes[0].h[0] == NULL ||
	    r->lanes[0].h[WINDOW - 1] == NULL || r->lanes[1].h[0] == NULL ||
	    r->lanes[1].h[WINDOW - 1] == NULL ||
	    store_open(path, 0, &r->st, &r->err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "delivery to %s cannot start: %s", w->party,
		       r->err.msg);
		return 0;
	}
	/* The worker writes only its cursors: a cursor lost to a power cut
	 * means a resend, which the partner recognises; so no fsync per
	 * delivery. (Objects received are stored with full durability.) */
	store_relax_durability(r->st);
	return 1;
}

static void run_close(struct run *r)
{
	for (int l = 0; l < 2; l++) {
		window_drop(&r->lanes[l]);
		for (int k = 0; k < WINDOW; k++)
			if (r->lanes[l].h[k])
				curl_easy_cleanup(r->lanes[l].h[k]);
	}
	store_close(r->st);
	if (r->h)
		curl_easy_cleanup(r->h);
	free(r->p);
}

/* Drop what is in flight and start afresh: from the database's cursors,
 * with a pull, and without waiting out a backoff. */
static void run_afresh(struct run *r)
{
	window_drop(&r->lanes[0]);
	window_drop(&r->lanes[1]);
	r->backoff = 0;
	r->next_try = 0;
	r->next_pull = 0;
	r->last_rowid = -1;
}

/* Whether p's cursors are behind was (bulk, priority). */
static int rewound(const struct store_cursor was[2], const struct store_peer *p)
{
	const struct store_cursor *now[2] = { &p->push, &p->prio };

	for (int i = 0; i < 2; i++)
		if (now[i]->date_added < was[i].date_added ||
		    (now[i]->date_added == was[i].date_added &&
		     now[i]->rowid < was[i].rowid))
			return 1;
	return 0;
}

/* Read the partner's row again: 1 when read, 0 when the database failed
 * (the worker has waited a second), -1 when the partner was unpinned. */
static int refresh_peer(struct run *r)
{
	struct store_peer *p = r->p;
	struct store_cursor was[2] = { p->push, p->prio };
	tx_err rc = store_peer_find(r->st, r->w->party, NULL, NULL, p);

	if (rc == TX_ERR_NOTFOUND)
		return -1;
	if (rc != TX_OK) { /* the database, busy or failing */
		nap(r->fed, r->w, &r->seen, 1000);
		return 0;
	}
	/* A cursor went back (a partner reinstated, a policy version
	 * released to observers): look again, though nothing new of ours
	 * was stored; what was in flight left from past it. */
	if (rewound(was, p)) {
		window_drop(&r->lanes[0]);
		window_drop(&r->lanes[1]);
		r->pending = 0;
		r->last_rowid = -1;
	}
	/* The partner moved (peer update), or a new card was pinned (peer
	 * update --card): what was in flight is dropped and the partner is
	 * tried at once, at its new address or with its new certificate
	 * trusted, not after the old one's backoff. */
	int moved = r->url[0] && strcmp(r->url, p->url) != 0;
	int repinned = r->pinned_fp[0] && strcmp(r->pinned_fp, p->cert_fp) != 0;
	if (moved)
		tx_log(TX_LOG_INFO, "partner %s moved to %s", p->party, p->url);
	if (repinned) {
		tx_log(TX_LOG_INFO, "partner %s: new certificate sha256:%.16s..."
		       " pinned", p->party, p->cert_fp);
		r->w->ca_path[0] = '\0';
	}
	if (moved || repinned) {
		run_afresh(r);
		pthread_mutex_lock(&r->fed->lock);
		r->w->retrying = 0;
		pthread_mutex_unlock(&r->fed->lock);
	}
	snprintf(r->url, sizeof(r->url), "%s", p->url);
	snprintf(r->pinned_fp, sizeof(r->pinned_fp), "%s", p->cert_fp);
	return 1;
}

/* libcurl (GnuTLS) takes trust anchors from a file: keep the pinned
 * certificate there, as the store has it. 0 when it cannot be written
 * (logged; the worker has waited a second). */
static int write_ca(struct run *r)
{
	struct worker *w = r->w;

	if (w->ca_path[0] != '\0')
		return 1;
	snprintf(w->ca_path, sizeof(w->ca_path), "%s/tls/partner-%s.pem",
		 r->fed->dir, r->p->party);
	if (tx_write_file(w->ca_path, r->p->cert_pem, strlen(r->p->cert_pem),
			  0644, &r->err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "partner %s: %s", r->p->party, r->err.msg);
		w->ca_path[0] = '\0';
		nap(r->fed, w, &r->seen, 1000);
		return 0;
	}
	return 1;
}

/* A push failed: drop what is in flight and back off. */
static void push_failed(struct run *r)
{
	tx_fed *fed = r->fed;

	window_drop(&r->lanes[0]);
	window_drop(&r->lanes[1]);
	r->backoff = r->backoff ? r->backoff * 2 : fed->cfg.delivery_backoff_min_ms;
	if (r->backoff > fed->cfg.delivery_backoff_max_ms)
		r->backoff = fed->cfg.delivery_backoff_max_ms;
	r->next_try = now_ms() + r->backoff;
	pthread_mutex_lock(&fed->lock);
	r->w->retrying = 1;
	pthread_mutex_unlock(&fed->lock);
	store_peer_failed(r->st, r->p->party, r->err.msg);
	tx_log(TX_LOG_INFO, "delivery to %s failed (retry in %lld ms): %s",
	       r->p->party, (long long)r->backoff, r->err.msg);
	r->pending = 1; /* when the wait is over, whether kicked or not */
}

/* How long the partner's pull still holds off the bulk lane (ms; 0: it
 * does not): fed_http_sync and partner_pulling. */
static int64_t pull_hold_ms(struct run *r)
{
	int64_t left;

	pthread_mutex_lock(&r->fed->lock);
	left = r->w->pulled_until - now_ms();
	pthread_mutex_unlock(&r->fed->lock);
	return left > 0 ? left : 0;
}

/*
 * Push what is new, rowid being the newest of our own objects: the
 * priority lane first, whenever it has anything: all of it, batch after
 * batch; then one batch of the bulk lane, whose wait is cut short by a
 * kick so that an alert stored meanwhile does not wait for it to land.
 */
static void push(struct run *r, int64_t rowid)
{
	struct window *prio = &r->lanes[0], *bulk = &r->lanes[1];
	tx_fed *fed = r->fed;
	int more_p = 0, more_b = 0;
	int64_t sent = 0;
	tx_err rc;
	/* The bulk window's "no more" was learned by an earlier turn, before
	 * rowid was read: rows stored since may be past its last batch, so
	 * it is not trusted once that batch lands (the next turn looks). */
	int stale = bulk->n > 0 && bulk->exhausted;
	/* While the partner pulls its share, the bulk batches flying land
	 * and no more leave (the priority lane goes on): the pull brings the
	 * backlog, and the push goes on from where the pull's pages were
	 * acknowledged (store_peer_delivered) once it stops. */
	int64_t hold = pull_hold_ms(r);

	bulk->hold = hold > 0;
	do
		rc = push_once(fed, r->w, r->w->ca_path, r->st, r->p, prio, NULL,
			       &more_p, &sent, &r->err);
	while (rc == TX_OK && more_p && !r->w->stop && fed->running);
	if (rc == TX_OK && (hold == 0 || bulk->n > 0)) {
		rc = push_once(fed, r->w, r->w->ca_path, r->st, r->p, bulk,
			       &r->seen, &more_b, &sent, &r->err);
		if (rc == TX_OK && more_b && sent == 0)
			r->look = 1; /* kicked while a batch flies */
	}
	if (rc != TX_OK) {
		push_failed(r);
		return;
	}
	if (r->backoff) {
		tx_log(TX_LOG_INFO, "delivery to %s works again", r->p->party);
		pthread_mutex_lock(&fed->lock);
		r->w->retrying = 0;
		pthread_mutex_unlock(&fed->lock);
	}
	r->backoff = 0;
	r->next_try = 0;
	if (sent)
		tx_log(TX_LOG_DEBUG, "delivered %lld objects to %s",
		       (long long)sent, r->p->party);
	r->hold_until = hold > 0 && bulk->n == 0 ? now_ms() + hold : 0;
	r->pending = more_b || stale || r->hold_until != 0;
	if (!r->pending)
		r->last_rowid = rowid;
}

/* One turn of a worker's loop: -1 when its partner was unpinned. */
static int turn(struct run *r)
{
	tx_fed *fed = r->fed;
	struct worker *w = r->w;
	int64_t t = now_ms(), rowid, wait_ms;
	int got;

	__atomic_add_fetch(&wakeups, 1, __ATOMIC_RELAXED);
	/* Several serve processes on one database: one delivers to each
	 * partner (the lease's holder). The others wait for its lease to
	 * run out, then try to take it. */
	if (!lease_hold(fed, w, r->st, &wait_ms)) {
		run_afresh(r);
		r->pending = 0;
		nap_all(fed, w, &r->seen, wait_ms);
		/* the holder may have moved the cursors, and pulled: whoever
		 * takes over starts from the database */
		r->look = 1;
		return 0;
	}
	/* The partner's row (URL, certificate, cursors): read again after a
	 * kick (any commit, in any process: a `peer update` too) or when a
	 * timer is due; never on a schedule. */
	if ((r->look || t >= r->next_pull || (r->next_try && t >= r->next_try)) &&
	    (got = refresh_peer(r)) <= 0)
		return got;
	if (!write_ca(r))
		return 0;
	if (r->next_try) {
		pthread_mutex_lock(&fed->lock);
		if (w->alive)
			r->next_try = 0; /* it is back: no need to wait */
		w->alive = 0;
		w->retrying = r->next_try != 0;
		pthread_mutex_unlock(&fed->lock);
	}
	if (t < r->next_try) {
		/* a timed wait to the end of the backoff; a kick (a new
		 * address, the partner heard from) ends it early */
		r->look = nap(fed, w, &r->seen, r->next_try - t);
		return 0;
	}
	if (t >= r->next_pull) {
		if (pull(r->h, fed, w->ca_path, r->st, r->p, &r->err) != TX_OK) {
			store_peer_failed(r->st, r->p->party, r->err.msg);
			tx_log(TX_LOG_DEBUG, "pull from %s: %s", r->p->party,
			       r->err.msg);
		}
		r->next_pull = now_ms() + PULL_S * 1000;
	}
	/* The bulk lane waits for the partner's pull: until the hold ends,
	 * or a kick (the priority lane may have news), then from the
	 * database's cursors (the pull moved them). */
	if (r->hold_until && !r->look && now_ms() < r->hold_until) {
		nap(fed, w, &r->seen, r->hold_until - now_ms());
		r->look = 1;
		return 0;
	}
	/* Anything new of ours? Only after a kick, and then the newest of
	 * our own objects first: what partners send does not count. Idle,
	 * the worker sleeps until the next pull. */
	if (!r->pending && !r->look) {
		r->look = nap(fed, w, &r->seen, r->next_pull - now_ms() > 0 ?
			      r->next_pull - now_ms() : 0);
		return 0;
	}
	r->look = 0;
	rowid = store_last_own_added(r->st);
	if (r->pending || rowid != r->last_rowid)
		push(r, rowid);
	return 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct run *r = malloc(sizeof(*r));

	if (r != NULL && run_open(r, w))
		while (!w->stop && w->fed->running && turn(r) >= 0)
			;
	if (r != NULL)
		run_close(r);
	free(r);
	pthread_mutex_lock(&w->fed->lock);
	w->done = 1;
	pthread_mutex_unlock(&w->fed->lock);
	return NULL;
}

/* Join and forget the workers whose partner was unpinned, so that a
 * partner pinned again gets a new one. */
static void reap(tx_fed *fed)
{
	struct worker **pp = &fed->workers, *w;

	pthread_mutex_lock(&fed->lock);
	while ((w = *pp) != NULL) {
		if (w->done) {
			*pp = w->next;
			pthread_mutex_unlock(&fed->lock);
			pthread_join(w->thread, NULL);
			free(w);
			pthread_mutex_lock(&fed->lock);
		} else {
			pp = &w->next;
		}
	}
	pthread_mutex_unlock(&fed->lock);
}

/* The supervisor keeps one worker per partner with a URL: it looks at
 * the partners after each kick (a `peer add` in another process is a
 * commit, which kicks), never on a schedule. */
static void *supervise(void *arg)
{
	tx_fed *fed = arg;
	char path[PATH_MAX + 16];
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	uint64_t seen;
	struct worker dummy = { 0 };

	pthread_mutex_lock(&fed->lock);
	seen = fed->generation;
	pthread_mutex_unlock(&fed->lock);
	snprintf(path, sizeof(path), "%s/trilex.db", fed->dir);
	if (store_open(path, 0, &st, &err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "delivery cannot start: %s", err.msg);
		return NULL;
	}
	while (fed->running) {
		struct store_peer *peers = NULL;
		size_t n = 0;
		__atomic_add_fetch(&wakeups, 1, __ATOMIC_RELAXED);
		reap(fed);
		if (store_peer_list(st, &peers, &n) == TX_OK) {
			for (size_t i = 0; i < n; i++) {
				struct worker *w;
				if (peers[i].url[0] == '\0')
					continue;
				for (w = fed->workers; w; w = w->next)
					if (strcmp(w->party, peers[i].party) == 0)
						break;
				if (w != NULL || (w = calloc(1, sizeof(*w))) == NULL)
					continue;
				w->fed = fed;
				snprintf(w->party, sizeof(w->party), "%s", peers[i].party);
				if (pthread_create(&w->thread, NULL, work, w) != 0) {
					free(w);
					continue;
				}
				pthread_mutex_lock(&fed->lock);
				w->next = fed->workers;
				fed->workers = w;
				pthread_mutex_unlock(&fed->lock);
				tx_log(TX_LOG_INFO, "delivering to partner %s at %s",
				       peers[i].party, peers[i].url);
			}
			free(peers);
		}
		/* a worker that ended (unpinned) is reaped at the next kick:
		 * its partner's removal was one */
		nap(fed, &dummy, &seen, -1);
	}
	store_close(st);
	return NULL;
}

/*
 * Renew every lease this process holds, every third of a lease time,
 * whatever its workers are doing (a batch in flight for long included).
 * A lease found lost (this process was paused past its end and another
 * took over) is dropped: the worker stops delivering at its next turn.
 */
static void *keep_leases(void *arg)
{
	tx_fed *fed = arg;
	char path[PATH_MAX + 16], (*parties)[TX_PARTY_MAX] = NULL;
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	size_t cap = 0;

	snprintf(path, sizeof(path), "%s/trilex.db", fed->dir);
	pthread_mutex_lock(&fed->lock);
	while (fed->running) {
		struct timespec until;
		int64_t every = fed->cfg.delivery_lease_ms / 3, ttl;
		size_t n = 0;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += every / 1000;
		until.tv_nsec += (every % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (fed->running &&
		       pthread_cond_timedwait(&fed->wake, &fed->lock, &until) == 0)
			;
		if (!fed->running)
			break;
		for (struct worker *w = fed->workers; w; w = w->next)
			if (w->holding)
				n++;
		if (n > cap) {
			void *p = realloc(parties, n * sizeof(*parties));
			if (p == NULL)
				continue;
			parties = p;
			cap = n;
		}
		n = 0;
		for (struct worker *w = fed->workers; w; w = w->next)
			if (w->holding)
				snprintf(parties[n++], TX_PARTY_MAX, "%s", w->party);
		pthread_mutex_unlock(&fed->lock);
		__atomic_add_fetch(&wakeups, 1, __ATOMIC_RELAXED);
		if (n > 0 && st == NULL && store_open(path, 0, &st, &err) != TX_OK) {
			tx_log(TX_LOG_ERROR, "delivery leases: %s", err.msg);
			st = NULL;
		}
		/* A renewal is news to nobody: its commit must not wake the
		 * node's waiters (every delivery worker, the alert streams),
		 * or an idle node with 10 partners wakes 40 times a second
		 * (bench/run-delivery: 1,249 delivery wake-ups in 30 s). */
		if (st != NULL)
			store_notify_quiet(st);
		ttl = fed->cfg.delivery_lease_ms * 1000;
		/* every lease in one commit; a failure leaves each worker to
		 * claim its own lease in time */
		int64_t now = tx_time_now_us();
		int *held = n ? calloc(n, sizeof(*held)) : NULL;
		if (st != NULL && held != NULL &&
		    store_lease_renew(st, fed->holder, (const char (*)[TX_PARTY_MAX])parties,
				      n, now, ttl, held, &err) == TX_OK) {
			pthread_mutex_lock(&fed->lock);
			for (size_t i = 0; i < n; i++)
				for (struct worker *w = fed->workers; w; w = w->next)
					if (strcmp(w->party, parties[i]) == 0 && w->holding) {
						if (held[i]) {
							w->lease_until = now + ttl;
						} else {
							w->holding = 0;
							fed->generation++;
							pthread_cond_broadcast(&fed->wake);
						}
					}
			pthread_mutex_unlock(&fed->lock);
		}
		free(held);
		pthread_mutex_lock(&fed->lock);
	}
	pthread_mutex_unlock(&fed->lock);
	free(parties);
	store_close(st);
	return NULL;
}

/* Commits by any process (store_watch): each one kicks the workers. */
static void *watch_commits(void *arg)
{
	tx_fed *fed = arg;

	while (fed->running) {
		int r = store_watch_wait(fed->watch, -1);
		if (r < 0 || !fed->running)
			break;
		if (r > 0)
			fed_deliver_kick(fed);
	}
	return NULL;
}

/* Stop the first n of delivery's own threads (watcher, supervisor,
 * lease keeper, in the order they start) and wait for them. */
static void end_threads(tx_fed *fed, int n)
{
	pthread_mutex_lock(&fed->lock);
	fed->running = 0;
	pthread_cond_broadcast(&fed->wake);
	pthread_mutex_unlock(&fed->lock);
	store_watch_interrupt(fed->watch);
	if (n > 0)
		pthread_join(fed->watcher, NULL);
	if (n > 1)
		pthread_join(fed->supervisor, NULL);
	if (n > 2)
		pthread_join(fed->keeper, NULL);
}

/* A thread of delivery did not start: end the n that did. */
static tx_err start_failed(tx_fed *fed, int n, struct tx_error *err)
{
	end_threads(fed, n);
	store_watch_close(fed->watch);
	fed->watch = NULL;
	return tx_error_set(err, TX_ERR_INTERNAL, "cannot start delivery");
}

tx_err fed_deliver_start(tx_fed *fed, struct tx_error *err)
{
	char path[PATH_MAX + 16];
	tx_err rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(path, sizeof(path), "%s/trilex.db", fed->dir);
	if ((rc = store_watch_open(path, &fed->watch, err)) != TX_OK) {
		tx_error_prefix(err, "delivery cannot start");
		return rc;
	}
	if (store_watch_polls(fed->watch))
		tx_log(TX_LOG_WARN, "delivery: no inotify instance left"
		       " (fs.inotify.max_user_instances): looking for commits"
		       " every 50 ms instead");
	fed->running = 1;
	if (pthread_create(&fed->watcher, NULL, watch_commits, fed) != 0)
		return start_failed(fed, 0, err);
	fed_lease_holder_make(fed->holder);
	if (pthread_create(&fed->supervisor, NULL, supervise, fed) != 0)
		return start_failed(fed, 1, err);
	if (pthread_create(&fed->keeper, NULL, keep_leases, fed) != 0)
		return start_failed(fed, 2, err);
	return TX_OK;
}

/* Give up this process's leases as it stops: another process on the
 * database takes the delivery over at once rather than after a lease. */
static void release_leases(tx_fed *fed)
{
	char path[PATH_MAX + 16];
	struct tx_error err = { 0 };
	tx_store *st = NULL;

	snprintf(path, sizeof(path), "%s/trilex.db", fed->dir);
	if (store_open(path, 0, &st, &err) != TX_OK ||
	    store_lease_release(st, NULL, fed->holder, &err) != TX_OK)
		tx_log(TX_LOG_WARN, "delivery leases not released (others wait"
		       " for them to run out): %s", err.msg);
	store_close(st);
}

void fed_deliver_stop(tx_fed *fed)
{
	struct worker *w, *next;

	if (!fed->running)
		return;
	end_threads(fed, 3);
	for (w = fed->workers; w; w = next) {
		next = w->next;
		w->stop = 1;
		pthread_join(w->thread, NULL);
		free(w);
	}
	fed->workers = NULL;
	release_leases(fed);
	store_watch_close(fed->watch);
	fed->watch = NULL;
}

/* Partner party is up (it pulled from us or posted to us): its worker
 * retries at once instead of waiting out its backoff. */
void fed_partner_alive(tx_fed *fed, const char *party)
{
	int wake = 0;

	/* Only a worker waiting out a backoff needs telling: a partner that
	 * posts by the hundred must not wake delivery each time. */
	pthread_mutex_lock(&fed->lock);
	for (struct worker *w = fed->workers; w; w = w->next)
		if (w->retrying && !w->alive && strcmp(w->party, party) == 0)
			wake = w->alive = 1;
	if (wake) {
		fed->generation++;
		pthread_cond_broadcast(&fed->wake);
	}
	pthread_mutex_unlock(&fed->lock);
}

/* Partner party is pulling its share: more (another page to come) holds
 * its worker's bulk lane off for PULL_HOLD_MS; the last page lets it go
 * on at once. */
static void partner_pulling(tx_fed *fed, const char *party, int more)
{
	int wake = 0;

	pthread_mutex_lock(&fed->lock);
	for (struct worker *w = fed->workers; w; w = w->next)
		if (strcmp(w->party, party) == 0) {
			wake = !more && w->pulled_until != 0;
			w->pulled_until = more ? now_ms() + PULL_HOLD_MS : 0;
		}
	if (wake) {
		fed->generation++;
		pthread_cond_broadcast(&fed->wake);
	}
	pthread_mutex_unlock(&fed->lock);
}

void fed_deliver_kick(void *ctx)
{
	tx_fed *fed = ctx;

	pthread_mutex_lock(&fed->lock);
	fed->generation++;
	pthread_cond_broadcast(&fed->wake);
	pthread_mutex_unlock(&fed->lock);
}

/* ---- /trilex/v1/sync: a partner pulls its share ---- */

/*
 * The page and its token speak only of what the partner may have: the
 * token is the position of the last object it was given (or where it
 * started), sealed with the node's key (crypto_position_seal), so that it
 * neither moves over, nor counts, nor dates the rows withheld from it; a
 * page holds `limit` of its objects unless none are left, and "more" says
 * whether another of its objects follows (looked ahead), never whether
 * withheld rows do. The cost of a page is the rows looked at, withheld ones
 * included, at most twice over.
 */
#define SYNC_TOKEN_CONTEXT "sync"

static void sync_token(const tx_fed *fed, const struct store_cursor *c,
		       char out[CRYPTO_POSITION_TOKEN_BUF])
{
	unsigned char pos[CRYPTO_POSITION_BYTES];

	for (int i = 0; i < 8; i++) {
		pos[i] = (unsigned char)((uint64_t)c->date_added >> (56 - 8 * i));
		pos[8 + i] = (unsigned char)((uint64_t)c->rowid >> (56 - 8 * i));
	}
	crypto_position_seal(fed->id, SYNC_TOKEN_CONTEXT, pos, out);
}

static tx_err sync_token_open(const tx_fed *fed, const char *token,
			      struct store_cursor *c)
{
	unsigned char pos[CRYPTO_POSITION_BYTES];
	uint64_t d = 0, r = 0;

	if (crypto_position_open(fed->id, SYNC_TOKEN_CONTEXT, token, pos) != 0)
		return TX_ERR_INVALID;
	for (int i = 0; i < 8; i++) {
		d = d << 8 | pos[i];
		r = r << 8 | pos[8 + i];
	}
	if (d > INT64_MAX || r > INT64_MAX)
		return TX_ERR_INVALID;
	c->date_added = (int64_t)d;
	c->rowid = (int64_t)r;
	return TX_OK;
}

/*
 * Up to limit of p's objects after *pos, appended to body (comma-separated);
 * *pos moves to the last one given; *more: whether another follows.
 */
static tx_err sync_page(const tx_fed *fed, tx_store *st, const struct store_peer *p,
			struct store_cursor *pos, int64_t limit, struct tx_buf *body,
			int *more, struct tx_error *err)
{
	struct store_cursor scan = *pos, last;
	struct tx_buf part;
	size_t got = 0, n = 0;
	int rows_left = 1;
	tx_err rc = TX_OK;

	*more = 0;
	while (got < (size_t)limit && rows_left) {
		tx_buf_init(&part, 0);
		/* rows looked at per query: a few more than still wanted */
		int64_t rows = limit - (int64_t)got + 63;
		rc = outgoing(fed, st, p, -1, &scan, rows < BATCH ? rows : BATCH,
			      (size_t)limit - got, &part, &n, &rows_left, &last,
			      err);
		if (rc == TX_OK && n > 0 &&
		    ((got > 0 && tx_buf_append(body, ",", 1)) ||
		     tx_buf_append(body, part.data, part.len)))
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		tx_buf_free(&part);
		if (rc != TX_OK)
			return rc;
		if (n > 0)
			*pos = last;
		got += n;
	}
	/* A full page: is there another of its objects after it? */
	while (got == (size_t)limit && rows_left && !*more) {
		tx_buf_init(&part, 0);
		rc = outgoing(fed, st, p, -1, &scan, 64, 1, &part, &n, &rows_left,
			      NULL, err);
		tx_buf_free(&part);
		if (rc != TX_OK)
			return rc;
		*more = n > 0;
	}
	return TX_OK;
}

void fed_http_sync(void *ctx, const struct taxii_ext_request *rq,
		   struct taxii_ext_reply *rp)
{
	tx_fed *fed = ctx;
	struct store_peer *p = calloc(1, sizeof(*p));
	struct store_cursor c = { 0, 0 };
	struct tx_error err = { 0 };
	const char *after = taxii_ext_arg(rq, "after");
	const char *lim = taxii_ext_arg(rq, "limit");
	char tok[CRYPTO_POSITION_TOKEN_BUF];
	struct tx_buf body = { 0 };
	int64_t limit = BATCH;
	int more = 0;

	if (p == NULL) {
		rp->status = 500;
		goto out;
	}
	if (strcmp(rq->method, "GET") != 0) {
		rp->status = 405;
		snprintf(rp->message, sizeof(rp->message), "use GET");
		goto out;
	}
	if (rq->user->peer[0] == '\0' ||
	    store_peer_find(rq->st, rq->user->peer, NULL, NULL, p) != TX_OK) {
		rp->status = 403;
		snprintf(rp->message, sizeof(rp->message), "only partner nodes"
			 " (by their pinned certificate) may sync");
		goto out;
	}
	if (strcmp(p->role, STORE_PARTY_SUSPENDED) == 0) {
		rp->status = 403;
		snprintf(rp->message, sizeof(rp->message), "partner %s is"
			 " suspended by the partnership", p->party);
		goto out;
	}
	/* A token from before tokens were sealed is still taken (a partner
	 * keeps its token across upgrades): whatever position it names,
	 * the answer holds only the partner's own share. */
	if ((after && sync_token_open(fed, after, &c) != TX_OK &&
	     store_cursor_decode(after, &c) != TX_OK) ||
	    (lim && tx_parse_int64(lim, 1, 1000, &limit) != TX_OK)) {
		rp->status = 400;
		snprintf(rp->message, sizeof(rp->message), "after must be a token"
			 " from this server and limit 1 to 1000");
		goto out;
	}
	/* A partner asks for what follows a page only once it has stored
	 * that page: its share up to `after` is delivered, and the push
	 * need not send it again (the cursor only moves forward). */
	if (after)
		store_peer_delivered(rq->st, p->party, &c, 0);
	/* before its worker is woken: it is not to push what this pull
	 * brings (both would carry the backlog after an outage) */
	partner_pulling(fed, p->party, 1);
	fed_partner_alive(fed, p->party);
	tx_buf_init(&body, 0);
	if (tx_buf_puts(&body, "{\"objects\":[") ||
	    sync_page(fed, rq->st, p, &c, limit, &body, &more, &err) != TX_OK) {
		rp->status = 500;
		snprintf(rp->message, sizeof(rp->message), "%s", err.msg);
		goto out;
	}
	partner_pulling(fed, p->party, more);
	sync_token(fed, &c, tok);
	if (tx_buf_printf(&body, "],\"more\":%s,\"next\":\"%s\"}",
			  more ? "true" : "false", tok)) {
		rp->status = 500;
		goto out;
	}
	rp->text_len = body.len;
	rp->text = tx_buf_take(&body);
	rp->status = rp->text ? 200 : 500;
out:
	tx_buf_free(&body);
	free(p);
}
