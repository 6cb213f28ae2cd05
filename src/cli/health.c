/*
 * cli/health.c: GET /metrics, /healthz and /readyz of `trilex serve`.
 *
 * /metrics is the Prometheus text format: the server's request counters
 * (taxii_metrics_text), and what is read from the store at each scrape:
 * object versions by collection, every partner's backlog, lag,
 * delivered, received and refused objects and its last success, the size
 * of the database and of its WAL. Who may read it is decided by one
 * function, metrics_allowed. /healthz answers while the process serves;
 * /readyz when the database answers and the keys load.
 *
 * These rows sit here, above every module, because the page gathers
 * what several modules hold (taxii's counters, the store's partners).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "federation/federation.h"
#include "taxii/taxii.h"

/* The page is never bigger than this (a node with thousands of
 * collections and partners is far below it). */
#define METRICS_MAX (4 << 20)

/* A Prometheus label value: backslash, quote and newline escaped. */
static tx_err put_label(struct tx_buf *b, const char *s)
{
	tx_err rc = TX_OK;

	for (; *s && rc == TX_OK; s++) {
		if (*s == '\\')
			rc = tx_buf_puts(b, "\\\\");
		else if (*s == '"')
			rc = tx_buf_puts(b, "\\\"");
		else if (*s == '\n')
			rc = tx_buf_puts(b, "\\n");
		else
			rc = tx_buf_append(b, s, 1);
	}
	return rc;
}

static int64_t file_size(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat sb;

	if (tx_path_join(path, sizeof(path), dir, name) != TX_OK ||
	    stat(path, &sb) != 0)
		return 0;
	return (int64_t)sb.st_size;
}

static tx_err put_collections(struct tx_buf *b, tx_store *st)
{
	struct store_user admin = { .admin = 1 };
	struct store_collection *cols = NULL;
	size_t n = 0;
	tx_err rc;

	if ((rc = store_collection_list(st, &admin, &cols, &n)) != TX_OK)
		return rc;
	rc = tx_buf_puts(b, "# HELP trilex_objects Object versions stored, by"
			 " collection.\n# TYPE trilex_objects gauge\n");
	for (size_t i = 0; i < n && rc == TX_OK; i++) {
		int64_t count = 0;
		if ((rc = store_count_objects(st, cols[i].pk, &count)) != TX_OK)
			break;
		if ((rc = tx_buf_puts(b, "trilex_objects{collection=\"")) ||
		    (rc = put_label(b, cols[i].alias[0] ? cols[i].alias :
					  cols[i].id)) ||
		    (rc = tx_buf_printf(b, "\"} %lld\n", (long long)count)))
			break;
	}
	free(cols);
	return rc;
}

/* One partner gauge or counter line. */
static tx_err put_peer(struct tx_buf *b, const char *name, const char *party,
		       const char *value)
{
	tx_err rc;

	if ((rc = tx_buf_printf(b, "%s{party=\"", name)) ||
	    (rc = put_label(b, party)))
		return rc;
	return tx_buf_printf(b, "\"} %s\n", value);
}

static tx_err put_partners(struct tx_buf *b, tx_store *st)
{
	static const struct {
		const char *name, *type, *help;
	} series[] = {
		{ "trilex_partner_backlog_objects", "gauge", "This node's objects"
		  " after what the partner acknowledged (before TLP filtering)." },
		{ "trilex_partner_lag_seconds", "gauge", "Age of the oldest"
		  " object of the backlog (0: none)." },
		{ "trilex_partner_delivered_objects_total", "counter", "Objects"
		  " delivered to the partner." },
		{ "trilex_partner_received_objects_total", "counter", "Objects"
		  " received from the partner." },
		{ "trilex_partner_refused_objects_total", "counter", "Objects from"
		  " the partner refused (signature, TLP, validation)." },
		{ "trilex_partner_last_success_timestamp_seconds", "gauge", "When"
		  " the last delivery or pull succeeded (0: never)." },
		{ "trilex_partner_last_error_timestamp_seconds", "gauge", "When"
		  " the last delivery or pull failed (0: never)." },
	};
	struct store_peer *peers = NULL;
	size_t n = 0;
	int64_t now = tx_time_now_us();
	tx_err rc;

	if ((rc = store_peer_list(st, &peers, &n)) != TX_OK)
		return rc;
	for (size_t k = 0; k < sizeof(series) / sizeof(series[0]) && rc == TX_OK;
	     k++) {
		rc = tx_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", series[k].name,
				   series[k].help, series[k].name, series[k].type);
		for (size_t i = 0; i < n && rc == TX_OK; i++) {
			const struct store_peer *p = &peers[i];
			int64_t backlog = 0, first = 0;
			char v[48];
			switch (k) {
			case 0:
			case 1:
				if ((rc = store_peer_backlog(st, p, &backlog,
							       &first)) != TX_OK)
					break;
				if (k == 0)
					snprintf(v, sizeof(v), "%lld", (long long)backlog);
				else
					snprintf(v, sizeof(v), "%.3f", backlog > 0 &&
						 first < now ? (double)(now - first) / 1e6 :
							       0.0);
				break;
			case 2: snprintf(v, sizeof(v), "%lld", (long long)p->delivered); break;
			case 3: snprintf(v, sizeof(v), "%lld", (long long)p->received); break;
			case 4: snprintf(v, sizeof(v), "%lld", (long long)p->rejected); break;
			case 5: snprintf(v, sizeof(v), "%.3f", (double)p->last_ok / 1e6); break;
			default:
				snprintf(v, sizeof(v), "%.3f", (double)p->last_error_at / 1e6);
			}
			if (rc == TX_OK)
				rc = put_peer(b, series[k].name, p->party, v);
		}
	}
	free(peers);
	return rc;
}

/* Per outside feed (store/feeds.c): polls, pages, objects by what became
 * of them, polls that ended in an error, the last good poll. */
static tx_err put_feeds(struct tx_buf *b, tx_store *st)
{
	static const struct {
		const char *name, *type, *help;
	} series[] = {
		{ "trilex_feed_polls_total", "counter", "Polls of an outside feed"
		  " (each run, scheduled or `feed run`)." },
		{ "trilex_feed_errors_total", "counter", "Polls of an outside feed"
		  " that ended with an error." },
		{ "trilex_feed_pages_total", "counter", "Pages read from an"
		  " outside feed." },
		{ "trilex_feed_objects_total", "counter", "Objects an outside feed"
		  " gave, by result: received, added, present (had already),"
		  " rejected." },
		{ "trilex_feed_last_success_timestamp_seconds", "gauge", "When the"
		  " last poll of an outside feed ended well (0: never)." },
	};
	static const char *const results[] = { "received", "added", "present",
					       "rejected" };
	struct store_feed *feeds = NULL;
	size_t n = 0;
	tx_err rc;

	if ((rc = store_feed_list(st, &feeds, &n)) != TX_OK)
		return rc;
	for (size_t k = 0; k < sizeof(series) / sizeof(series[0]) && rc == TX_OK; k++) {
		rc = tx_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", series[k].name,
				   series[k].help, series[k].name, series[k].type);
		for (size_t i = 0; i < n && rc == TX_OK; i++) {
			const struct store_feed *f = &feeds[i];
			int64_t by[4] = { f->received, f->added, f->present, f->rejected };
			if (k == 3) {
				for (size_t j = 0; j < 4 && rc == TX_OK; j++) {
					if ((rc = tx_buf_printf(b, "%s{feed=\"", series[k].name)) ||
					    (rc = put_label(b, f->name)))
						break;
					rc = tx_buf_printf(b, "\",result=\"%s\"} %lld\n",
							   results[j], (long long)by[j]);
				}
				continue;
			}
			char v[32];
			int64_t x = k == 0 ? f->runs : k == 1 ? f->errors : k == 2 ?
				    f->pages : 0;
			if (k == 4)
				snprintf(v, sizeof(v), "%.3f", (double)f->last_ok / 1e6);
			else
				snprintf(v, sizeof(v), "%lld", (long long)x);
			if ((rc = tx_buf_printf(b, "%s{feed=\"", series[k].name)) ||
			    (rc = put_label(b, f->name)))
				break;
			rc = tx_buf_printf(b, "\"} %s\n", v);
		}
	}
	free(feeds);
	return rc;
}

tx_err cli_metrics_page(tx_store *st, const char *dir, struct tx_buf *b)
{
	uint64_t checked, held;
	tx_err rc;

	fed_receive_counts(&checked, &held);
	if ((rc = taxii_metrics_text(b)) || (rc = put_collections(b, st)) ||
	    (rc = put_partners(b, st)) || (rc = put_feeds(b, st)))
		return rc;
	return tx_buf_printf(b,
		"# HELP trilex_db_bytes Size of the database file.\n"
		"# TYPE trilex_db_bytes gauge\ntrilex_db_bytes %lld\n"
		"# HELP trilex_db_wal_bytes Size of the database's write-ahead"
		" log.\n# TYPE trilex_db_wal_bytes gauge\ntrilex_db_wal_bytes %lld\n"
		"# HELP trilex_delivery_wakeups_total Times the delivery"
		" threads woke up (kicks, timers); an idle node's stays still.\n"
		"# TYPE trilex_delivery_wakeups_total counter\n"
		"trilex_delivery_wakeups_total %llu\n"
		"# HELP trilex_federation_checked_total Objects from partners"
		" whose signature was checked.\n"
		"# TYPE trilex_federation_checked_total counter\n"
		"trilex_federation_checked_total %llu\n"
		"# HELP trilex_federation_held_total Objects from partners sent"
		" again exactly as held (not checked nor stored again).\n"
		"# TYPE trilex_federation_held_total counter\n"
		"trilex_federation_held_total %llu\n",
		(long long)file_size(dir, "trilex.db"),
		(long long)file_size(dir, "trilex.db-wal"),
		(unsigned long long)fed_deliver_wakeups(),
		(unsigned long long)checked, (unsigned long long)held);
}

tx_err cli_ready(tx_store *st, const char *dir, const struct tx_config *cfg,
		 struct tx_error *err)
{
	char path[PATH_MAX], hex[65], fp[CRYPTO_FP_BUF], *pem = NULL;
	unsigned char pk[CRYPTO_SIGN_PK_BYTES];
	tx_identity *id = NULL;
	size_t len = 0;
	tx_err rc;

	if (st == NULL || store_schema_version(st) <= 0)
		return tx_error_set(err, TX_ERR_DB, "the database does not answer");
	tx_path_join(path, sizeof(path), dir, "identity.key");
	if ((rc = crypto_identity_load(path, &id, err)) != TX_OK)
		return rc;
	crypto_identity_public(id, pk);
	crypto_identity_free(id);
	tx_hex(pk, sizeof(pk), hex);
	if (strcmp(hex, cfg->public_key) != 0)
		return tx_error_set(err, TX_ERR_CRYPTO, "identity.key does not match"
				    " public_key in node.json");
	tx_path_join(path, sizeof(path), dir, "tls/cert.pem");
	if ((rc = tx_read_file(path, 1 << 20, &pem, &len, err)) == TX_OK)
		rc = crypto_cert_fingerprint(pem, len, fp, err);
	free(pem);
	return rc;
}

/*
 * Who may read /metrics: an admin account, or a client from an address
 * of metrics_allow (no account needed). This one function decides, so
 * that a "metrics" right of the accounts can replace the admin test.
 */
static int metrics_allowed(const struct taxii_ext_request *rq)
{
	if (rq->user != NULL && rq->user->id != 0 && rq->user->admin)
		return 1;
	return tx_config_addr_allowed(rq->cfg->metrics_allow, rq->client_addr);
}

/* A reply of a plain text body (owned by the reply). */
static void reply_text(struct taxii_ext_reply *rp, unsigned status,
		       const char *ctype, char *text)
{
	rp->status = status;
	rp->content_type = ctype;
	rp->text = text;
	rp->text_len = text ? strlen(text) : 0;
	if (text == NULL) {
		rp->status = 500;
		rp->content_type = NULL;
		snprintf(rp->message, sizeof(rp->message), "out of memory");
	}
}

void cli_http_metrics(void *ctx, const struct taxii_ext_request *rq,
		      struct taxii_ext_reply *rp)
{
	struct tx_buf b;

	if (strcmp(rq->method, "GET") != 0) {
		rp->status = 405;
		taxii_ext_reply_header(rp, "Allow", "GET");
		snprintf(rp->message, sizeof(rp->message), "use GET");
		return;
	}
	if (!metrics_allowed(rq)) {
		if (rq->user == NULL || rq->user->id == 0) {
			rp->status = 401;
			taxii_ext_reply_header(rp, "WWW-Authenticate",
					       "Basic realm=\"trilex\", charset=\"UTF-8\"");
			snprintf(rp->message, sizeof(rp->message), "/metrics is for"
				 " an admin account, or for the addresses of"
				 " metrics_allow in node.json");
		} else {
			rp->status = 403;
			snprintf(rp->message, sizeof(rp->message), "/metrics is for"
				 " admin accounts (or the addresses of metrics_allow)");
		}
		return;
	}
	tx_buf_init(&b, METRICS_MAX);
	if (cli_metrics_page(rq->st, rq->dir, &b) != TX_OK) {
		tx_buf_free(&b);
		rp->status = 500;
		snprintf(rp->message, sizeof(rp->message), "the metrics could not"
			 " be read from the store");
		return;
	}
	reply_text(rp, 200, "text/plain; version=0.0.4; charset=utf-8",
		   tx_buf_take(&b));
}

void cli_http_healthz(void *ctx, const struct taxii_ext_request *rq,
		      struct taxii_ext_reply *rp)
{
	reply_text(rp, 200, "text/plain; charset=utf-8", strdup("ok\n"));
}

void cli_http_readyz(void *ctx, const struct taxii_ext_request *rq,
		     struct taxii_ext_reply *rp)
{
	struct tx_error err = { 0 };
	char *text;

	if (cli_ready(rq->st, rq->dir, rq->cfg, &err) == TX_OK) {
		reply_text(rp, 200, "text/plain; charset=utf-8", strdup("ready\n"));
		return;
	}
	tx_log(TX_LOG_WARN, "readyz: not ready: %s", err.msg);
	/* The reason is for the operator's log; a probe learns "not ready". */
	text = strdup("not ready: see the node's log\n");
	reply_text(rp, 503, "text/plain; charset=utf-8", text);
	taxii_ext_reply_header(rp, "Retry-After", "5");
}
