/*
 * console/pages.c: the console's router, page frame and pages.
 *
 * One table (routes[]) maps method and path (after /console/) to a page;
 * pages that need a session send a browser without one to the sign-in
 * page; every POST but the sign-in's must carry the session's CSRF token
 * (checked here, once, before any page runs). Every page reads through
 * the user's readable collections (console_readable_load, console_may_read) and
 * nothing else, so what it shows (objects and counts) is what a TAXII GET
 * of the same user could see.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "crypto/crypto.h"
#include "sensor/sensor.h"
#include "watch/watch.h"

/* ---- who reads what ---- */

/* The one place the console decides what a user may read: the store's
 * grants, as the TAXII routes check them. */
tx_err console_readable_load(tx_store *st, const struct store_user *u,
			    struct readable *r)
{
	struct store_collection *all = NULL;
	size_t n = 0;
	tx_err rc;

	memset(r, 0, sizeof(*r));
	if ((rc = store_collection_list(st, u, &all, &n)) != TX_OK)
		return rc;
	r->c = all;
	if ((r->pks = calloc(n ? n : 1, sizeof(*r->pks))) == NULL) {
		free(all);
		r->c = NULL;
		return TX_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (all[i].can_read) {
			all[r->n] = all[i];
			r->pks[r->n++] = all[i].pk;
		}
	return TX_OK;
}

void console_readable_free(struct readable *r)
{
	free(r->c);
	free(r->pks);
}

const struct store_collection *console_readable_find(const struct readable *r,
						    int64_t pk)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->pks[i] == pk)
			return &r->c[i];
	return NULL;
}

int console_may_read(tx_store *st, const struct store_user *u,
		     int64_t collection_pk)
{
	struct readable r;
	int ok;

	if (console_readable_load(st, u, &r) != TX_OK)
		return 0;
	ok = console_readable_find(&r, collection_pk) != NULL;
	console_readable_free(&r);
	return ok;
}

tx_err console_readable_pks(tx_store *st, const struct store_user *u,
			    int64_t **pks, size_t *n)
{
	struct readable r;
	tx_err rc;

	*pks = NULL;
	*n = 0;
	if ((rc = console_readable_load(st, u, &r)) != TX_OK)
		return rc;
	*pks = r.pks;
	*n = r.n;
	r.pks = NULL;
	console_readable_free(&r);
	return TX_OK;
}

/* ---- the frame ---- */

static const char *const csp = "default-src 'none'; script-src 'self';"
	" style-src 'self'; img-src 'self'; connect-src 'self';"
	" form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static void security_headers(struct page *p)
{
	taxii_ext_reply_header(p->rp, "Content-Security-Policy", "%s", csp);
	taxii_ext_reply_header(p->rp, "X-Frame-Options", "DENY");
	taxii_ext_reply_header(p->rp, "Referrer-Policy", "no-referrer");
}

void console_page_begin(struct page *p, int title_label, const char *title)
{
	console_html_put(p, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta"
		 " charset=\"utf-8\"><meta name=\"viewport\""
		 " content=\"width=device-width, initial-scale=1\">"
		 "<title>%s%s%L - %L</title>"
		 "<link rel=\"stylesheet\" href=\"/console/static/app.css\">"
		 "<script src=\"/console/static/app.js\" defer></script>"
		 "</head><body><a class=\"skip\" href=\"#main\">%L</a><header>",
		 console_lang_code(p->lang), title ? title : "", title ? " - " : "",
		 title_label, L_TITLE, L_SKIP);
	console_html_put(p, "<span class=\"brand\">%L</span>", L_TITLE);
	if (p->signed_in) {
		console_html_put(p, "<nav aria-label=\"%L\"><ul>"
			 "<li><a href=\"/console/\">%L</a></li>"
			 "<li><a href=\"/console/alerts\">%L</a></li>"
			 "<li><a href=\"/console/search\">%L</a></li>"
			 "<li><a href=\"/console/incidents\">%L</a></li>"
			 "<li><a href=\"/console/watch\">%L</a></li>"
			 "<li><a href=\"/console/supply\">%L</a></li>"
			 "<li><a href=\"/console/partners\">%L</a></li>"
			 "<li><a href=\"/console/feeds\">%L</a></li></ul></nav>",
			 L_MENU, L_HOME, L_ALERTS, L_SEARCH, L_INCIDENTS, L_WATCH_LIST,
			 L_SUPPLY, L_PARTNERS, L_FEEDS);
		console_html_put(p, "<form class=\"inline\" method=\"post\""
			 " action=\"/console/settings\">"
			 "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
			 "<label for=\"lang\">%L</label>"
			 "<select id=\"lang\" name=\"lang\">"
			 "<option value=\"en\"%s>English</option>"
			 "<option value=\"ja\"%s>日本語</option></select>"
			 "<button type=\"submit\">%L</button></form>",
			 p->csrf, L_LANGUAGE,
			 p->lang == CONSOLE_EN ? " selected" : "",
			 p->lang == CONSOLE_JA ? " selected" : "", L_SAVE);
		console_html_put(p, "<form class=\"inline\" method=\"post\""
			 " action=\"/console/signout\">"
			 "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
			 "<span class=\"who\">%L <strong>%s</strong></span> "
			 "<button type=\"submit\">%L</button></form>",
			 p->csrf, L_SIGNED_IN_AS, p->s.user.name, L_SIGN_OUT);
	}
	if (title)
		console_html_put(p, "</header><main id=\"main\"><h1>%s</h1>", title);
	else
		console_html_put(p, "</header><main id=\"main\"><h1>%L</h1>",
			 title_label);
}

void console_page_end(struct page *p)
{
	console_html_put(p, "</main></body></html>\n");
}

void console_page_send(struct page *p, unsigned status)
{
	security_headers(p);
	if (p->rc != TX_OK) {
		tx_buf_free(&p->b);
		p->rp->status = 500;
		snprintf(p->rp->message, sizeof(p->rp->message), "the page could"
			 " not be made (%s)", p->rc == TX_ERR_TOOBIG ?
			 "too big" : "error");
		return;
	}
	p->rp->status = status;
	p->rp->content_type = "text/html; charset=utf-8";
	p->rp->text_len = p->b.len;
	p->rp->text = tx_buf_take(&p->b);
	if (p->rp->text == NULL) {
		p->rp->text = strdup("");
		p->rp->text_len = 0;
	}
}

void console_page_redirect(struct page *p, const char *location)
{
	taxii_ext_reply_header(p->rp, "Location", "%s", location);
	tx_buf_free(&p->b);
	tx_buf_init(&p->b, CONSOLE_PAGE_MAX);
	console_page_send(p, 303);
}

void console_page_read_failed(struct page *p, const char *what,
			      const struct tx_error *err)
{
	tx_log(TX_LOG_WARN, "console %s: %s", what, err && err->msg[0] ?
	       err->msg : "failed");
	if (p->rc == TX_OK)
		p->rc = err && err->code != TX_OK ? err->code : TX_ERR_DB;
	if (p->read_rc == TX_OK)
		p->read_rc = p->rc;
}

void console_page_message(struct page *p, unsigned status, int label)
{
	console_page_failure(p, status, label, NULL);
}

void console_page_failure(struct page *p, unsigned status, int label,
			  const char *why)
{
	/* "not found" (or any refusal) after a failed read is that failure */
	if (p->read_rc != TX_OK && status < 500) {
		status = tx_err_transient(p->read_rc) ? 503 : 500;
		label = L_FAILED;
		why = NULL;
	}
	tx_buf_free(&p->b);
	tx_buf_init(&p->b, CONSOLE_PAGE_MAX);
	p->rc = TX_OK;
	console_page_begin(p, label == L_NOT_FOUND ? L_NOT_FOUND : L_FAILED, NULL);
	console_html_put(p, "<p class=\"error\" role=\"alert\">%L</p>", label);
	if (why != NULL)
		console_html_put(p, "<p class=\"error\" id=\"why\">%s</p>", why);
	console_page_end(p);
	console_page_send(p, status);
}

/* ---- reading objects ---- */

/* The object of a row, parsed (caller frees), or NULL. */
json_t *console_row_object(const struct store_row *row)
{
	return tx_json_load(row->json, row->json_len, 0, NULL);
}

/* Where a row came from: its verified signer, or this node. */
void console_html_origin(struct page *p, const struct store_row *row)
{
	if (row->origin)
		console_html_put(p, "%s", row->origin);
	else
		console_html_put(p, "%L", L_THIS_NODE);
}

static const char *display_name(const json_t *o)
{
	const char *n = tx_json_str(o, "name");

	if (n == NULL)
		n = tx_json_str(o, "value");
	if (n == NULL)
		n = tx_json_str(o, "pattern");
	if (n == NULL)
		n = tx_json_str(o, "content");
	return n ? n : tx_json_str(o, "id");
}

const char *console_object_name(const json_t *o)
{
	return display_name(o);
}

void console_html_object_link(struct page *p, const json_t *o)
{
	console_html_put(p, "<a href=\"/console/object/%u\">%s</a>", tx_json_str(o, "id"),
		 display_name(o));
}

/* A list of objects as table rows: when, TLP, type, name, collection,
 * origin. */
struct rows_ctx {
	struct page *p;
	const struct readable *r;
	size_t n;
	const char *skip_id;
};

static int table_row(void *ctx, const struct store_row *row)
{
	struct rows_ctx *c = ctx;
	struct page *p = c->p;
	const struct store_collection *coll = console_readable_find(c->r, row->collection_pk);
	json_t *o;

	if (c->skip_id && strcmp(row->id, c->skip_id) == 0)
		return STORE_ROW_NEXT;
	if ((o = console_row_object(row)) == NULL)
		return STORE_ROW_NEXT;
	console_html_put(p, "<tr><td>");
	console_html_time(p, row->date_added);
	console_html_put(p, "</td><td>");
	console_html_tlp(p, fed_tlp_of(o));
	console_html_put(p, "</td><td>%s</td><td>", tx_json_str(o, "type"));
	console_html_object_link(p, o);
	console_html_put(p, "</td><td>%s</td><td>", coll ? coll->title : "");
	console_html_origin(p, row);
	console_html_put(p, "</td></tr>");
	json_decref(o);
	c->n++;
	return STORE_ROW_NEXT;
}

static void table_head(struct page *p)
{
	console_html_put(p, "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">%L"
		 "</th><th scope=\"col\">TLP</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th></tr></thead><tbody>", L_ADDED,
		 L_TYPE, L_NAME, L_COLLECTION, L_ORIGIN);
}

static void table_foot(struct page *p, size_t n)
{
	if (n == 0)
		console_html_put(p, "<tr><td colspan=\"6\">%L</td></tr>", L_NONE);
	console_html_put(p, "</tbody></table></div>");
}

/* ---- alerts ---- */

#define ALERT_NEEDLE "\"" TAXII_ALERT_LABEL "\""
#define ACK_LABEL "trilex-ack"

/* Whether some acknowledgement (a note labelled trilex-ack) of alert id
 * is stored; who made it into by. Looked up in every collection: the
 * caller has shown that the user may read the alert itself. */
struct ack_find {
	char by[STORE_NAME_MAX + TX_PARTY_MAX + 8];
	int found;
};

static int ack_row(void *ctx, const struct store_row *row)
{
	struct ack_find *a = ctx;
	json_t *o;

	if (strstr(row->json, "\"" ACK_LABEL "\"") == NULL ||
	    (o = console_row_object(row)) == NULL)
		return STORE_ROW_NEXT;
	a->found = 1;
	snprintf(a->by, sizeof(a->by), "%s%s%s",
		 tx_json_str(o, "x_trilex_acknowledged_by") ?
		 tx_json_str(o, "x_trilex_acknowledged_by") : "",
		 row->origin ? " / " : "", row->origin ? row->origin : "");
	json_decref(o);
	return STORE_ROW_STOP;
}

static int ack_lookup(tx_store *st, const char *alert_id, struct ack_find *a)
{
	struct store_user admin = { .admin = 1 };
	struct readable all;
	struct store_search q = { .text = alert_id, .type = "note", .limit = 20 };
	struct store_search_page pg;
	struct tx_error err = { 0 };

	memset(a, 0, sizeof(*a));
	if (console_readable_load(st, &admin, &all) != TX_OK)
		return 0;
	q.colls = all.pks;
	q.n_colls = all.n;
	store_search_refs(st, &q, ack_row, a, &pg, &err);
	console_readable_free(&all);
	return a->found;
}

struct alert_rows {
	struct page *p;
	const struct readable *r;
	int only_unacked;
	size_t n;
};

static int alert_row(void *ctx, const struct store_row *row)
{
	struct alert_rows *c = ctx;
	struct page *p = c->p;
	struct ack_find a;
	json_t *o;
	int64_t created = 0;

	if ((o = console_row_object(row)) == NULL)
		return STORE_ROW_NEXT;
	ack_lookup(p->rq->st, row->id, &a);
	if (c->only_unacked && a.found) {
		json_decref(o);
		return STORE_ROW_NEXT;
	}
	tx_time_parse(tx_json_str(o, "created"), &created, NULL);
	console_html_put(p, "<tr><td>");
	console_html_time(p, row->date_added);
	console_html_put(p, "</td><td>");
	console_html_tlp(p, fed_tlp_of(o));
	console_html_put(p, "</td><td><a href=\"/console/alert/%u\">%s</a></td><td>",
		 row->id, tx_json_str(o, "name") ? tx_json_str(o, "name") : row->id);
	console_html_origin(p, row);
	console_html_put(p, "</td><td>%l ms</td><td>%L</td></tr>",
		 (int64_t)(created > 0 ? (row->date_added - created) / 1000 : 0),
		 a.found ? L_ACKED : L_NONE);
	json_decref(o);
	c->n++;
	return STORE_ROW_NEXT;
}

static void alerts_table(struct page *p, const struct readable *r,
			 int only_unacked, int64_t limit)
{
	struct alert_rows c = { p, r, only_unacked, 0 };
	struct store_recent q = { .colls = r->pks, .n_colls = r->n,
				  .type = "report", .contains = ALERT_NEEDLE,
				  .limit = limit };
	struct tx_error err = { 0 };

	/* data-* give the script the TLP marking ids, to colour new rows. */
	console_html_put(p, "<div class=\"scroll\"><table class=\"alerts\"><thead><tr>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">TLP</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th></tr></thead>"
		 "<tbody class=\"live-alerts\" data-empty=\"%L\" data-ack=\"%L\""
		 " data-here=\"%L\" data-tlp-clear=\"%s\" data-tlp-green=\"%s\""
		 " data-tlp-amber=\"%s\" data-tlp-amber-strict=\"%s\""
		 " data-tlp-red=\"%s\">",
		 L_ADDED, L_ALERT, L_ORIGIN, L_LATENCY, L_ACKED, L_NONE, L_NONE,
		 L_THIS_NODE, fed_tlp_marking(FED_TLP_CLEAR),
		 fed_tlp_marking(FED_TLP_GREEN), fed_tlp_marking(FED_TLP_AMBER),
		 fed_tlp_marking(FED_TLP_AMBER_STRICT), fed_tlp_marking(FED_TLP_RED));
	if (store_recent(p->rq->st, &q, alert_row, &c, NULL, &err) != TX_OK)
		console_page_read_failed(p, "alerts", &err);
	if (c.n == 0)
		console_html_put(p, "<tr class=\"empty\"><td colspan=\"6\">%L</td></tr>",
			 L_NONE);
	console_html_put(p, "</tbody></table></div><p class=\"hint\" aria-live=\"polite\">"
		 "%L</p>", L_LIVE);
}

static void page_alerts(struct page *p, const char *arg, const struct readable *r)
{
	console_page_begin(p, L_ALERTS, NULL);
	alerts_table(p, r, 0, 100);
	console_page_end(p);
	console_page_send(p, 200);
}


static int one_row(void *ctx, const struct store_row *row)
{
	struct console_object *o = ctx;

	o->n_versions++;
	if (o->obj != NULL)
		return STORE_ROW_NEXT;
	unsigned long jf = tx_json_failures();
	if ((o->obj = console_row_object(row)) == NULL) {
		o->nomem |= tx_json_failures() != jf;
		return STORE_ROW_NEXT;
	}
	o->row = *row;
	o->row.json = NULL;
	o->row.id = o->row.version = o->row.spec_version = NULL;
	snprintf(o->origin, sizeof(o->origin), "%s", row->origin ? row->origin : "");
	snprintf(o->via, sizeof(o->via), "%s", row->via ? row->via : "");
	o->coll = row->collection_pk;
	o->row.origin = o->origin[0] ? o->origin : NULL;
	o->row.via = o->via[0] ? o->via : NULL;
	return STORE_ROW_NEXT;
}

int console_object_load(struct page *p, const struct readable *r, const char *id,
		       int all_versions, struct console_object *o)
{
	struct tx_error err = { 0 };

	memset(o, 0, sizeof(*o));
	if (id == NULL || *id == '\0' || strlen(id) > 200)
		return -1;
	if (store_object_versions(p->rq->st, r->pks, r->n, id, all_versions,
				  one_row, o, NULL, &err) != TX_OK)
		console_page_read_failed(p, "object", &err);
	else if (o->nomem)
		console_page_read_failed(p, "object", &(struct tx_error){
			.code = TX_ERR_NOMEM, .msg = "out of memory" });
	if (p->read_rc != TX_OK || o->obj == NULL) {
		json_decref(o->obj);
		o->obj = NULL;
		return -1;
	}
	return 0;
}

/* The objects an alert refers to, by kind. */
static void alert_refs(struct page *p, const struct readable *r, const json_t *o)
{
	const json_t *ref;
	size_t i, n_ind = 0, n_ap = 0;

	console_html_put(p, "<h2>%L</h2><ul class=\"refs\" id=\"indicators\">", L_INDICATORS);
	json_array_foreach(json_object_get(o, "object_refs"), i, ref) {
		struct console_object x;
		if (!json_is_string(ref) || strncmp(json_string_value(ref),
						    "indicator--", 11) != 0 ||
		    console_object_load(p, r, json_string_value(ref), 0, &x) != 0)
			continue;
		struct store_search sq = { .text = json_string_value(ref),
					   .colls = r->pks, .n_colls = r->n,
					   .type = "sighting", .limit = 1000 };
		struct store_search_page pg = { 0 };
		struct tx_error err = { 0 };
		store_search_refs(p->rq->st, &sq, NULL, NULL, &pg, &err);
		console_html_put(p, "<li>");
		console_html_object_link(p, x.obj);
		console_html_put(p, " <code>%s</code> <span class=\"sightings\">%L: %l%s"
			 "</span></li>", tx_json_str(x.obj, "pattern"), L_SIGHTINGS,
			 (int64_t)pg.n, pg.more ? "+" : "");
		json_decref(x.obj);
		n_ind++;
	}
	if (n_ind == 0)
		console_html_put(p, "<li>%L</li>", L_NONE);
	console_html_put(p, "</ul><h2>%L</h2><ul class=\"refs\" id=\"techniques\">",
		 L_TECHNIQUES);
	json_array_foreach(json_object_get(o, "object_refs"), i, ref) {
		struct console_object x;
		const json_t *er;
		size_t k;
		if (!json_is_string(ref) || strncmp(json_string_value(ref),
						    "attack-pattern--", 16) != 0 ||
		    console_object_load(p, r, json_string_value(ref), 0, &x) != 0)
			continue;
		console_html_put(p, "<li>");
		json_array_foreach(json_object_get(x.obj, "external_references"),
				   k, er)
			if (tx_json_str(er, "external_id"))
				console_html_put(p, "<strong>%s</strong> ",
					 tx_json_str(er, "external_id"));
		console_html_object_link(p, x.obj);
		console_html_put(p, "</li>");
		json_decref(x.obj);
		n_ap++;
	}
	if (n_ap == 0)
		console_html_put(p, "<li>%L</li>", L_NONE);
	console_html_put(p, "</ul>");
}

static void page_alert(struct page *p, const char *id, const struct readable *r)
{
	struct console_object a;
	struct ack_find ack;
	struct store_peer peer;
	const json_t *to, *v;
	int64_t created = 0, now = 0;
	watch_state *ws = NULL;
	struct tx_error err = { 0 };
	size_t i;

	if (console_object_load(p, r, id, 0, &a) != 0) {
		console_page_message(p, 404, L_NOT_FOUND);
		return;
	}
	/* Who is responsible comes from the agreed AOR and watch list: a list
	 * that cannot be read fails the page (with a bad TRILEX_NOW the
	 * alert is shown unrouted), it does not show nobody responsible. */
	if (watch_now(&now, NULL) == TX_OK &&
	    watch_state_load(p->rq->st, p->rq->cfg->party, now, &ws, &err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "console alert: %s", err.msg);
		json_decref(a.obj);
		console_page_failure(p, tx_err_transient(err.code) ? 503 : 500,
				     L_WATCH_UNREADABLE, err.msg);
		return;
	}
	console_page_begin(p, L_ALERT, tx_json_str(a.obj, "name"));
	console_html_put(p, "<dl class=\"facts\"><dt>TLP</dt><dd>");
	console_html_tlp(p, fed_tlp_of(a.obj));
	console_html_put(p, "</dd><dt>%L</dt><dd>", L_ORIGIN);
	console_html_origin(p, &a.row);
	console_html_put(p, "</dd><dt>%L</dt><dd>", L_SIGNER);
	if (a.origin[0] && store_peer_find(p->rq->st, a.origin, NULL, NULL,
					   &peer) == TX_OK)
		console_html_put(p, "%s (%s) <code>ed25519:%s</code>", peer.name,
			 peer.party, peer.sign_pk);
	else if (a.origin[0])
		console_html_put(p, "%s", a.origin);
	else
		console_html_put(p, "%L", L_THIS_NODE);
	console_html_put(p, "</dd><dt>%L</dt><dd>", L_RECIPIENTS);
	to = json_object_get(a.obj, FED_RECIPIENTS);
	json_array_foreach(to, i, v)
		console_html_put(p, "%s%s", i ? ", " : "", json_string_value(v));
	if (json_array_size(to) == 0)
		console_html_put(p, "-");
	tx_time_parse(tx_json_str(a.obj, "created"), &created, NULL);
	console_html_put(p, "</dd><dt>%L</dt><dd>%l ms</dd><dt>%L</dt><dd>", L_LATENCY,
		 (int64_t)(created > 0 ? (a.row.date_added - created) / 1000 : 0),
		 L_ADDED);
	console_html_time(p, a.row.date_added);
	console_html_put(p, "</dd>");
	/* Who is responsible under the agreed AOR, and the duty officer. */
	if (ws != NULL) {
		json_t *route = watch_route_object(ws, a.obj, NULL);
		const json_t *duty = json_object_get(route, "duty");
		const char *who = json_is_string(duty) ? json_string_value(duty) :
				  tx_json_str(duty, "name");
		console_html_put(p, "<dt>%L</dt><dd>%s</dd><dt>%L</dt><dd>%s %s</dd>",
			 L_RESPONSIBLE, tx_json_str(route, "responsible") ?
			 tx_json_str(route, "responsible") : "-", L_DUTY, who ? who : "-",
			 tx_json_str(duty, "contact") ? tx_json_str(duty, "contact") : "");
		json_decref(route);
		watch_state_free(ws);
	}
	console_html_put(p, "</dl>");
	if (tx_json_str(a.obj, "description"))
		console_html_put(p, "<h2>%L</h2><p class=\"desc\">%s</p>", L_DESCRIPTION,
			 tx_json_str(a.obj, "description"));
	alert_refs(p, r, a.obj);
	console_html_sightings(p, r, a.obj);
	if (ack_lookup(p->rq->st, id, &ack))
		console_html_put(p, "<p class=\"acked\" id=\"ack-state\">%L (%L %s)</p>",
			 L_ACKED, L_ACKED_BY, ack.by);
	else
		console_html_put(p, "<form method=\"post\" action=\"/console/ack/%u\">"
			 "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
			 "<button type=\"submit\" id=\"ack\">%L</button></form>",
			 id, p->csrf, L_ACK);
	if (store_user_may(&p->s.user, TX_RIGHT_ASSESS))
		console_html_put(p, "<form method=\"post\" action=\"/console/"
			 "incident-from/%u\"><input type=\"hidden\" name=\"csrf\""
			 " value=\"%s\"><button type=\"submit\" id=\"open-incident\">"
			 "%L</button></form>", id, p->csrf, L_OPEN_INCIDENT);
	console_html_forward(p, &a, id);
	console_html_put(p, "<p><a href=\"/console/object/%u\">%L</a></p>", id, L_OBJECT);
	json_decref(a.obj);
	console_page_end(p);
	console_page_send(p, 200);
}

/* POST /console/ack/ID: a note acknowledging the alert, marked as the
 * alert is (fed_derive_stored), stored in "alerts" and so shared with
 * the partners entitled to it. */
static void post_ack(struct page *p, const char *id, const struct readable *r)
{
	const struct taxii_ext_request *rq = p->rq;
	struct console_object a;
	struct store_collection coll;
	struct tx_error err = { 0 };
	char now[TX_TIME_BUF], uuid[TX_UUID_BUF], nid[96], ident[96];
	char sid[TX_UUID_BUF], content[256], loc[300];
	const char *about[1] = { id };
	json_t *note = NULL, *objects = NULL;

	if (console_object_load(p, r, id, 0, &a) != 0 ||
	    strstr(tx_json_str(a.obj, "type") ? tx_json_str(a.obj, "type") : "", "report") == NULL) {
		json_decref(a.obj);
		console_page_message(p, 404, L_NOT_FOUND);
		return;
	}
	tx_time_format_ms(tx_time_now_us(), now);
	tx_uuid4(uuid);
	snprintf(nid, sizeof(nid), "note--%s", uuid);
	tx_node_identity_id(rq->cfg, ident);
	snprintf(content, sizeof(content), "Acknowledged by %s on %s",
		 p->s.user.name, rq->cfg->party);
	note = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s], s:s}",
			 "type", "note", "spec_version", "2.1", "id", nid,
			 "created", now, "modified", now, "content", content,
			 "object_refs", id, "labels", ACK_LABEL,
			 "x_trilex_acknowledged_by", p->s.user.name);
	if (note && ident[0] &&
	    json_object_set_new(note, "created_by_ref", json_string(ident)) != 0) {
		json_decref(note); /* an acknowledgement that says by whom */
		note = NULL;
	}
	if (note == NULL || (objects = json_array()) == NULL ||
	    fed_derive_stored(rq->st, about, 1, NULL, 0, rq->cfg->party, note,
			      NULL, &err) != TX_OK ||
	    json_array_append(objects, note) != 0 ||
	    store_collection_ensure(rq->st, "Alerts", "alerts this node published",
				    "alerts", &coll, &err) != TX_OK ||
	    taxii_ingest(rq->st, coll.pk, &p->s.user, objects, 0, sid,
			 &err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "console: acknowledging %s: %s", id, err.msg);
		json_decref(note);
		json_decref(objects);
		json_decref(a.obj);
		console_page_message(p, 500, L_FAILED);
		return;
	}
	tx_log(TX_LOG_INFO, "console: %s acknowledged %s", p->s.user.name, id);
	json_decref(note);
	json_decref(objects);
	json_decref(a.obj);
	snprintf(loc, sizeof(loc), "/console/alert/%s", id);
	console_page_redirect(p, loc);
}

/* ---- home ---- */

/* Collections the home page shows. */
#define HOME_COLLECTIONS_MAX 20
/* Counts of the home page stop here (shown as "10000 or more"). */
#define HOME_COUNT_CAP 10000

static void html_count(struct page *p, int64_t n)
{
	console_html_put(p, "%l", n);
	if (n >= HOME_COUNT_CAP)
		console_html_put(p, " %L", L_COUNT_CAPPED);
}

static void page_home(struct page *p, const char *arg, const struct readable *r)
{
	struct store_peer *peers = NULL;
	size_t n_peers = 0;
	struct tx_error err = { 0 };
	int64_t day = p->now - 86400LL * 1000000;

	console_page_begin(p, L_HOME, NULL);
	console_html_put(p, "<section aria-labelledby=\"h-in\"><h2 id=\"h-in\">%L</h2>",
		 L_WHAT_CAME_IN);
	console_html_put(p, "<div class=\"scroll\"><table id=\"came-in\"><thead><tr>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L (", L_COLLECTION, L_PARTNER, L_SINCE_LAST);
	console_html_time(p, p->s.last_visit);
	console_html_put(p, ")</th><th scope=\"col\">%L</th></tr></thead><tbody>",
		 L_LAST_24H);
	/* Per collection; a partner's objects come to its inbox collection,
	 * so the inbox's counts are the partner's. */
	for (size_t i = 0; i < r->n && i < HOME_COLLECTIONS_MAX; i++) {
		const char *party = store_inbox_party(&r->c[i]);
		int64_t since = 0, in_day = 0;
		if (store_count_added(p->rq->st, r->pks[i], p->s.last_visit,
				      HOME_COUNT_CAP, &since, &err) != TX_OK ||
		    store_count_added(p->rq->st, r->pks[i], day, HOME_COUNT_CAP,
				      &in_day, &err) != TX_OK)
			console_page_read_failed(p, "home", &err);
		console_html_put(p, "<tr><td>%s</td><td>", r->c[i].title);
		if (party)
			console_html_put(p, "%s", party);
		else
			console_html_put(p, "%L", L_THIS_NODE);
		console_html_put(p, "</td><td>");
		html_count(p, since);
		console_html_put(p, "</td><td>");
		html_count(p, in_day);
		console_html_put(p, "</td></tr>");
	}
	if (r->n == 0)
		console_html_put(p, "<tr><td colspan=\"4\">%L</td></tr>", L_NONE);
	console_html_put(p, "</tbody></table></div>");
	/* The newest objects of each collection. */
	for (size_t i = 0; i < r->n && i < HOME_COLLECTIONS_MAX; i++) {
		struct rows_ctx c = { p, r, 0, NULL };
		int64_t one[1] = { r->pks[i] };
		struct store_recent q = { .colls = one, .n_colls = 1, .limit = 5 };
		console_html_put(p, "<h3>%L: %s</h3>", L_NEWEST, r->c[i].title);
		table_head(p);
		if (store_recent(p->rq->st, &q, table_row, &c, NULL, &err) != TX_OK)
			console_page_read_failed(p, "home", &err);
		table_foot(p, c.n);
	}
	console_html_put(p, "</section><section aria-labelledby=\"h-alerts\">"
		 "<h2 id=\"h-alerts\">%L</h2>", L_UNACKED);
	alerts_table(p, r, 1, 50);
	console_html_put(p, "</section><section aria-labelledby=\"h-peers\">"
		 "<h2 id=\"h-peers\">%L</h2>", L_DELIVERY);
	if (store_peer_list(p->rq->st, &peers, &n_peers) != TX_OK)
		console_page_read_failed(p, "home: the partners", NULL);
	console_html_put(p, "<div class=\"scroll\"><table id=\"delivery\"><thead><tr>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th></tr></thead><tbody>", L_PARTNER,
		 L_LAST_CONTACT, L_BACKLOG, L_DELIVERED, L_RECEIVED, L_REJECTED,
		 L_LAST_ERROR);
	for (size_t i = 0; i < n_peers; i++) {
		int64_t backlog = 0;
		if (store_count_after(p->rq->st, &peers[i].push, HOME_COUNT_CAP,
				      &backlog, &err) != TX_OK)
			console_page_read_failed(p, "home: backlog", &err);
		console_html_put(p, "<tr><td>%s (%s)</td><td>", peers[i].name,
			 peers[i].party);
		console_html_time(p, peers[i].last_ok);
		console_html_put(p, "</td><td>%l</td><td>%l</td><td>%l</td><td>%l</td><td>",
			 backlog, peers[i].delivered, peers[i].received,
			 peers[i].rejected);
		if (peers[i].last_error[0]) {
			console_html_put(p, "%s, ", peers[i].last_error);
			console_html_time(p, peers[i].last_error_at);
		}
		console_html_put(p, "</td></tr>");
	}
	if (n_peers == 0)
		console_html_put(p, "<tr><td colspan=\"7\">%L</td></tr>", L_NONE);
	console_html_put(p, "</tbody></table></div></section>");
	free(peers);
	console_page_end(p);
	console_page_send(p, 200);
}

/* ---- search ---- */

#define SEARCH_PAGE 50
#define SEARCH_COUNT_CAP 1000

struct found {
	char *type;                   /* owned */
	char *html;                   /* owned: the row */
};

struct search_ctx {
	struct page *p;
	const struct readable *r;
	struct found rows[SEARCH_PAGE];
	size_t n;
};

static int search_row(void *ctx, const struct store_row *row)
{
	struct search_ctx *c = ctx;
	struct page *p = c->p;
	size_t mark = p->b.len;
	json_t *o;

	if (c->n == SEARCH_PAGE || (o = console_row_object(row)) == NULL)
		return STORE_ROW_NEXT;
	/* Written to the page, then moved aside: rows are grouped by type. */
	struct rows_ctx rc = { p, c->r, 0, NULL };
	table_row(&rc, row);
	if (p->rc == TX_OK) {
		c->rows[c->n].html = strndup(p->b.data + mark, p->b.len - mark);
		c->rows[c->n].type = strdup(tx_json_str(o, "type") ? tx_json_str(o, "type") : "");
		if (c->rows[c->n].html == NULL || c->rows[c->n].type == NULL)
			p->rc = TX_ERR_NOMEM; /* not a page without that row */
		c->n++;
	}
	p->b.len = mark;
	if (p->b.data)
		p->b.data[mark] = '\0';
	json_decref(o);
	return STORE_ROW_NEXT;
}

static int found_cmp(const void *x, const void *y)
{
	const struct found *a = x, *b = y;
	int c = strcmp(a->type ? a->type : "", b->type ? b->type : "");

	return c ? c : (a < b ? -1 : a > b);
}

static void page_search(struct page *p, const char *arg, const struct readable *r)
{
	const char *q = taxii_ext_arg(p->rq, "q");
	const char *type = taxii_ext_arg(p->rq, "type");
	const char *before = taxii_ext_arg(p->rq, "next");
	struct search_ctx *c = calloc(1, sizeof(*c));
	struct store_search sq = { 0 };
	struct store_search_page pg = { 0 };
	struct store_search_type types[32];
	struct tx_error err = { 0 };
	size_t n_types = 0;
	int64_t bf = 0;

	if (c == NULL) {
		console_page_message(p, 500, L_FAILED);
		return;
	}
	c->p = p;
	c->r = r;
	if (type && *type == '\0')
		type = NULL;
	if (before && tx_parse_int64(before, 1, INT64_MAX, &bf) != TX_OK)
		bf = 0;
	console_page_begin(p, L_SEARCH, NULL);
	console_html_put(p, "<form role=\"search\" method=\"get\" action=\"/console/search\""
		 " class=\"search\"><label for=\"q\">%L</label>"
		 "<input id=\"q\" name=\"q\" type=\"search\" value=\"%s\""
		 " maxlength=\"%d\"><button type=\"submit\">%L</button></form>",
		 L_QUERY, q ? q : "", STORE_SEARCH_TEXT_MAX, L_SEARCH);
	if (q && *q) {
		sq.text = q;
		sq.type = type;
		sq.colls = r->pks;
		sq.n_colls = r->n;
		sq.limit = SEARCH_PAGE;
		sq.before = bf;
		/* the session and grants from the primary; the search from
		 * the read replica when it may serve this user now */
		tx_store *rs = taxii_ext_read_store(p->rq, &p->s.user);
		if (store_search_types(rs, &sq, SEARCH_COUNT_CAP, types,
				       32, &n_types, &err) != TX_OK ||
		    store_search(rs, &sq, search_row, c, &pg, &err) != TX_OK) {
			/* the query's own fault: said on the page; the
			 * store's: the page is refused */
			if (err.code != TX_ERR_INVALID && err.code != TX_ERR_TOOBIG)
				console_page_read_failed(p, "search", &err);
			console_html_put(p, "<p class=\"error\" role=\"alert\">%s</p>", err.msg);
			goto done;
		}
		console_html_put(p, "<h2>%L</h2><ul class=\"types\" id=\"types\">"
			 "<li><a href=\"/console/search?q=%u\">%L</a></li>",
			 L_RESULTS, q, L_ALL_TYPES);
		for (size_t i = 0; i < n_types; i++)
			console_html_put(p, "<li><a href=\"/console/search?q=%u&amp;type=%u\""
				 "%s>%s</a> (%l%s)</li>", q, types[i].type,
				 type && strcmp(type, types[i].type) == 0 ?
				 " aria-current=\"page\"" : "", types[i].type,
				 types[i].count, types[i].count >= SEARCH_COUNT_CAP ?
				 "+" : "");
		console_html_put(p, "</ul>");
		tx_sort(c->rows, c->n, sizeof(c->rows[0]), found_cmp);
		for (size_t i = 0; i < c->n; i++) {
			if (i == 0 || strcmp(c->rows[i].type, c->rows[i - 1].type)) {
				if (i > 0)
					table_foot(p, 1);
				console_html_put(p, "<h3 class=\"group\">%s</h3>",
					 c->rows[i].type);
				table_head(p);
			}
			/* the row was written by console_html_put: escaped already */
			if (p->rc == TX_OK && c->rows[i].html)
				p->rc = tx_buf_puts(&p->b, c->rows[i].html);
		}
		if (c->n > 0)
			table_foot(p, 1);
		else
			console_html_put(p, "<p id=\"no-results\">%L</p>", L_NO_RESULTS);
		if (pg.more)
			console_html_put(p, "<p><a rel=\"next\" href=\"/console/search?q=%u"
				 "&amp;type=%u&amp;next=%l\">%L</a></p>", q,
				 type ? type : "", pg.next, L_NEXT_PAGE);
	}
done:
	for (size_t i = 0; i < c->n; i++) {
		free(c->rows[i].html);
		free(c->rows[i].type);
	}
	free(c);
	console_page_end(p);
	console_page_send(p, 200);
}

/* ---- object pages ---- */

static void object_referrers(struct page *p, const struct readable *r,
			     const char *id, const char *type, int label,
			     const char *html_id)
{
	struct store_search q = { .text = id, .colls = r->pks, .n_colls = r->n,
				  .type = type, .limit = 50 };
	struct store_search_page pg;
	struct tx_error err = { 0 };
	struct rows_ctx c = { p, r, 0, NULL };

	console_html_put(p, "<h2 id=\"%s\">%L</h2>", html_id, label);
	table_head(p);
	if (store_search_refs(p->rq->st, &q, table_row, &c, &pg, &err) != TX_OK)
		console_page_read_failed(p, "object: referrers", &err);
	table_foot(p, c.n);
}

/* Everything else that names one of the object's values (the
 * indicator-centric view): other indicators, observables, and so what
 * reports and partners carry the same value. */
static void object_same_values(struct page *p, const struct readable *r,
			       const json_t *o, const char *id)
{
	char vals[4096];
	struct rows_ctx c = { p, r, 0, id };
	struct tx_error err = { 0 };
	int shown = 0;

	int got = store_object_values(o, vals, sizeof(vals));
	if (got < 0)
		console_page_read_failed(p, "object: its values", NULL);
	if (got <= 0 || vals[0] == '\0')
		return;
	console_html_put(p, "<h2 id=\"same-value\">%L</h2>", L_SAME_VALUE);
	for (char *v = vals, *nl; v && *v && shown < 5; v = nl, shown++) {
		struct store_search q = { .colls = r->pks, .n_colls = r->n,
					  .limit = 25 };
		struct store_search_page pg;
		if ((nl = strchr(v, '\n')) != NULL)
			*nl++ = '\0';
		if (*v == '\0' || strchr(v, ' ') != NULL)
			continue;
		q.text = v;
		console_html_put(p, "<h3><code>%s</code></h3>", v);
		c.n = 0;
		table_head(p);
		if (store_search(p->rq->st, &q, table_row, &c, &pg, &err) != TX_OK)
			console_page_read_failed(p, "object: same values", &err);
		table_foot(p, c.n);
	}
}

struct version_ctx {
	struct page *p;
	const struct readable *r;
};

static int version_row(void *ctx, const struct store_row *row)
{
	struct version_ctx *c = ctx;
	const struct store_collection *coll = console_readable_find(c->r, row->collection_pk);

	console_html_put(c->p, "<li><code>%s</code> (%s, ", row->version,
		 coll ? coll->title : "");
	console_html_time(c->p, row->date_added);
	console_html_put(c->p, ")</li>");
	return STORE_ROW_NEXT;
}

/*
 * The node's warning lists, kept between requests and read again when the
 * stored lists change (sensor_warn_stamp); it is swapped, and read,
 * under warn_lock.
 */
static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER;
static sensor_warn *warn_index;
static int64_t warn_at = -1;

/* The hits of pattern pat on the node's warning lists, or NULL. */
static json_t *warn_hits(struct page *p, const char *pat)
{
	struct tx_error err = { 0 };
	int64_t stamp;
	json_t *hits = NULL;

	/* not read: the page is refused (a warned value shown unwarned) */
	if (sensor_warn_stamp(p->rq->st, &stamp, &err) != TX_OK) {
		console_page_read_failed(p, "object: warning lists", &err);
		return NULL;
	}
	pthread_mutex_lock(&warn_lock);
	if (stamp != warn_at) {
		sensor_warn *w = NULL;
		if (sensor_warn_load(p->rq->st, &w, NULL, NULL, &stamp, &err) == TX_OK) {
			sensor_warn_free(warn_index);
			warn_index = w;
			warn_at = stamp;
		} else {
			console_page_read_failed(p, "object: warning lists", &err);
		}
	}
	hits = sensor_warn_pattern(warn_index, pat);
	pthread_mutex_unlock(&warn_lock);
	return hits;
}

/* An indicator's values that a warning list names, with the lists. */
static void object_warnings(struct page *p, const char *pat)
{
	json_t *hits = warn_hits(p, pat), *h, *l;
	size_t i, k;

	if (hits == NULL)
		return;
	console_html_put(p, "<h2 class=\"warned\">%L</h2><ul id=\"warnings\">",
			 L_WARNED);
	json_array_foreach(hits, i, h) {
		console_html_put(p, "<li><code>%s</code>:", tx_json_str(h, "value"));
		json_array_foreach(json_object_get(h, "lists"), k, l)
			console_html_put(p, "%s %s", k ? "," : "", json_string_value(l));
		console_html_put(p, "</li>");
	}
	console_html_put(p, "</ul>");
	json_decref(hits);
}

static void page_object(struct page *p, const char *id, const struct readable *r)
{
	struct console_object o;
	struct version_ctx vc = { p, r };
	struct tx_error err = { 0 };
	const json_t *v;
	const char *key;
	char *pretty;
	size_t i;

	if (console_object_load(p, r, id, 0, &o) != 0) {
		console_page_message(p, 404, L_NOT_FOUND);
		return;
	}
	console_page_begin(p, L_OBJECT, display_name(o.obj));
	console_html_put(p, "<dl class=\"facts\"><dt>%L</dt><dd>%s</dd><dt>id</dt>"
		 "<dd><code>%s</code></dd><dt>%L</dt><dd>", L_TYPE,
		 tx_json_str(o.obj, "type"), id, L_MARKINGS);
	console_html_tlp(p, fed_tlp_of(o.obj));
	json_array_foreach(json_object_get(o.obj, "object_marking_refs"), i, v)
		console_html_put(p, " <code>%s</code>", json_string_value(v));
	console_html_put(p, "</dd><dt>%L</dt><dd>", L_ORIGIN);
	console_html_origin(p, &o.row);
	if (o.via[0] && strcmp(o.via, o.origin) != 0)
		console_html_put(p, " (via %s)", o.via);
	console_html_put(p, "</dd><dt>%L</dt><dd>%L</dd></dl>", L_SIGNATURE,
		 json_object_get(json_object_get(o.obj, "extensions"),
				 FED_SIG_EXT) ? L_SIGNED : L_UNSIGNED);
	if (tx_json_str(o.obj, "description"))
		console_html_put(p, "<h2>%L</h2><p class=\"desc\">%s</p>", L_DESCRIPTION,
			 tx_json_str(o.obj, "description"));
	if (tx_json_str(o.obj, "pattern")) {
		console_html_put(p, "<p><code>%s</code></p>", tx_json_str(o.obj, "pattern"));
		object_warnings(p, tx_json_str(o.obj, "pattern"));
	}
	console_html_put(p, "<h2>%L</h2><ul id=\"versions\">", L_VERSIONS);
	if (store_object_versions(p->rq->st, r->pks, r->n, id, 1, version_row, &vc,
				  NULL, &err) != TX_OK)
		console_page_read_failed(p, "object: versions", &err);
	console_html_put(p, "</ul>");
	console_html_neighbours(p, r, id);
	object_referrers(p, r, id, "sighting", L_SIGHTINGS, "sightings");
	object_referrers(p, r, id, "report", L_ALERTS, "reports");
	object_same_values(p, r, o.obj, id);
	console_html_put(p, "<details><summary>%L</summary><pre>", L_JSON);
	if ((pretty = tx_json_dumps(o.obj, JSON_INDENT(2) | JSON_SORT_KEYS)) != NULL)
		console_html_put(p, "%s", pretty);
	free(pretty);
	console_html_put(p, "</pre></details>");
	(void)key;
	json_decref(o.obj);
	console_page_end(p);
	console_page_send(p, 200);
}

/* ---- partners and TAXII settings ---- */

/* The directory's points of contact of party: name, role, organisation
 * and department, contact. */
static void html_people(struct page *p, const json_t *people, const char *party)
{
	const json_t *o;
	size_t i, n = 0;

	json_array_foreach(people, i, o) {
		if (tx_json_str(o, "x_trilex_party") == NULL ||
		    strcmp(tx_json_str(o, "x_trilex_party"), party) != 0)
			continue;
		console_html_put(p, "%s<strong>%s</strong> (%s; %s%s%s) %s",
			 n++ ? "<br>" : "<span class=\"poc\">", tx_json_str(o, "name"),
			 json_string_value(json_array_get(json_object_get(o, "roles"), 0)),
			 tx_json_str(o, "x_trilex_org"),
			 tx_json_str(o, "x_trilex_dept") ? " / " : "",
			 tx_json_str(o, "x_trilex_dept"),
			 tx_json_str(o, "contact_information"));
	}
	console_html_put(p, n ? "</span>" : "-");
}

static void page_partners(struct page *p, const char *arg, const struct readable *r)
{
	const struct tx_config *cfg = p->rq->cfg;
	struct tx_error err = { 0 };
	json_t *people = NULL;
	struct store_peer *peers = NULL;
	size_t n_peers = 0;
	char base[TX_HOST_MAX + 32];

	if (cfg->public_url[0])
		snprintf(base, sizeof(base), "%s", cfg->public_url);
	else
		snprintf(base, sizeof(base), "https://%s%s%s:%d",
			 strchr(cfg->listen_host, ':') ? "[" : "", cfg->listen_host,
			 strchr(cfg->listen_host, ':') ? "]" : "", cfg->listen_port);
	if (watch_directory_people(p->rq->st, NULL, cfg->party, &people, &err) !=
	    TX_OK)
		console_page_read_failed(p, "partners: directory", &err);
	console_page_begin(p, L_PARTNERS, NULL);
	console_html_put(p, "<h2>%L</h2><div class=\"scroll\"><table id=\"partners\">"
		 "<thead><tr><th scope=\"col\">%L</th><th scope=\"col\">URL</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th></tr></thead>"
		 "<tbody>", L_DIRECTORY, L_PARTNER, L_CERT_FP, L_SIGNING_KEY,
		 L_LAST_CONTACT, L_POC);
	if (store_peer_list(p->rq->st, &peers, &n_peers) != TX_OK)
		console_page_read_failed(p, "partners", NULL);
	for (size_t i = 0; i < n_peers; i++) {
		console_html_put(p, "<tr><td>%s (%s)</td><td>%s</td><td><code>sha256:%s"
			 "</code></td><td><code>ed25519:%s</code></td><td>",
			 peers[i].name, peers[i].party, peers[i].url,
			 peers[i].cert_fp, peers[i].sign_pk);
		console_html_time(p, peers[i].last_ok);
		console_html_put(p, "</td><td>");
		html_people(p, people, peers[i].party);
		console_html_put(p, "</td></tr>");
	}
	if (n_peers == 0)
		console_html_put(p, "<tr><td colspan=\"6\">%L</td></tr>", L_NONE);
	free(peers);
	json_decref(people);
	console_html_put(p, "</tbody></table></div>");
	console_html_partnership(p, r);
	console_html_put(p, "<h2>%L</h2><p>%L</p>"
		 "<pre id=\"taxii-settings\">discovery: %s/taxii2/\n"
		 "api root:  %s/%s/\n", L_TAXII_SETTINGS, L_TAXII_AUTH, base,
		 base, cfg->api_root);
	for (size_t i = 0; i < r->n; i++)
		console_html_put(p, "collection: %s  %s%s%s (%s)\n", r->c[i].id,
			 r->c[i].alias[0] ? "alias " : "", r->c[i].alias,
			 r->c[i].alias[0] ? ", " : "", r->c[i].can_write ?
			 "read, write" : "read");
	console_html_put(p, "</pre>");
	console_page_end(p);
	console_page_send(p, 200);
}

/* ---- settings ---- */

static void post_settings(struct page *p, const char *arg, const struct readable *r)
{
	char lang[8];
	struct tx_error err = { 0 };

	if (console_form_field(p->rq->body, p->rq->body_len, "lang", lang, sizeof(lang)) ||
	    console_lang_parse(lang) < 0 ||
	    store_console_set_lang(p->rq->st, p->s.user.id, lang, &err) != TX_OK) {
		console_page_message(p, 400, L_FAILED);
		return;
	}
	console_page_redirect(p, "/console/");
}

/* ---- static files ---- */

static void send_static(struct page *p, const char *type, const char *text)
{
	security_headers(p);
	p->rp->status = 200;
	p->rp->content_type = type;
	p->rp->text = strdup(text);
	p->rp->text_len = p->rp->text ? strlen(text) : 0;
	taxii_ext_reply_header(p->rp, "Cache-Control", "max-age=300");
	if (p->rp->text == NULL)
		p->rp->status = 500;
}

static void static_js(struct page *p, const char *arg, const struct readable *r)
{
	send_static(p, "text/javascript; charset=utf-8", console_app_js);
}

static void static_css(struct page *p, const char *arg, const struct readable *r)
{
	send_static(p, "text/css; charset=utf-8", console_app_css);
}

static void signin_get(struct page *p, const char *arg, const struct readable *r)
{
	console_session_signin_page(p);
}

static void signin_post(struct page *p, const char *arg, const struct readable *r)
{
	console_session_signin_post(p);
}

static void signout_post(struct page *p, const char *arg, const struct readable *r)
{
	console_session_signout_post(p);
}

/* ---- the router ---- */

enum { PUBLIC = CONSOLE_PUBLIC, NO_CSRF = CONSOLE_NO_CSRF, REPLICA = CONSOLE_REPLICA };

static const struct console_route routes[] = {
	{ "GET", "", page_home, REPLICA },
	{ "GET", "signin", signin_get, PUBLIC },
	{ "POST", "signin", signin_post, PUBLIC | NO_CSRF },
	{ "POST", "signout", signout_post, PUBLIC | NO_CSRF },
	{ "GET", "alerts", page_alerts, REPLICA },
	{ "GET", "alert/", page_alert, REPLICA },
	{ "POST", "ack/", post_ack, 0 },
	{ "GET", "search", page_search, REPLICA },
	{ "GET", "object/", page_object, REPLICA },
	{ "POST", "settings", post_settings, 0 },
	{ "GET", "partners", page_partners, 0 },
	{ "GET", "static/app.js", static_js, PUBLIC },
	{ "GET", "static/app.css", static_css, PUBLIC },
	{ 0 },
};

/* Every page file's table: one line each. */
static const struct console_route *const route_tables[] = {
	routes,
	console_incident_routes,
	console_watch_routes,
	console_feeds_routes,
	console_supply_routes,
	console_graph_routes,
	console_forward_routes,
};

#define N_TABLES (sizeof(route_tables) / sizeof(route_tables[0]))

static const struct console_route *route_find(const char *method,
					      const char *rest,
					      const char **arg, int *path_known)
{
	*path_known = 0;
	for (size_t t = 0; t < N_TABLES; t++) {
		for (const struct console_route *r = route_tables[t]; r->method;
		     r++) {
			size_t n = strlen(r->path);
			int prefix = n > 0 && r->path[n - 1] == '/';

			if (prefix ? strncmp(rest, r->path, n) != 0 || rest[n] == '\0' ||
				     strchr(rest + n, '/') != NULL :
				     strcmp(rest, r->path) != 0)
				continue;
			*path_known = 1;
			if (strcmp(method, r->method) != 0)
				continue;
			*arg = prefix ? rest + n : "";
			return r;
		}
	}
	return NULL;
}

/* The language of a page without a session: the browser's first choice
 * among ours. */
static int accept_lang(const struct taxii_ext_request *rq)
{
	const char *al = taxii_ext_header(rq, "Accept-Language");

	return al && strncmp(al, "ja", 2) == 0 ? CONSOLE_JA : CONSOLE_EN;
}

void console_http(void *ctx, const struct taxii_ext_request *rq,
		  struct taxii_ext_reply *rp)
{
	struct page p = { 0 };
	struct readable r = { 0 };
	const struct console_route *route;
	const char *arg = "";
	int known;

	p.rq = rq;
	p.rp = rp;
	p.now = tx_time_now_us();
	p.lang = accept_lang(rq);
	tx_buf_init(&p.b, CONSOLE_PAGE_MAX);
	if (console_session_load(&p) == -2) {
		console_page_message(&p, 503, L_FAILED);
		goto out;
	}
	if (p.signed_in)
		taxii_ext_writer(rq, &p.s.user); /* its writes: read-your-writes */
	route = route_find(rq->method, rq->rest ? rq->rest : "", &arg, &known);
	if (route == NULL) {
		if (known)
			taxii_ext_reply_header(rp, "Allow", "GET, POST");
		console_page_message(&p, known ? 405 : 404, known ? L_FAILED : L_NOT_FOUND);
		goto out;
	}
	if (!(route->flags & PUBLIC) && !p.signed_in) {
		if (strcmp(rq->method, "GET") == 0) {
			console_page_redirect(&p, "/console/signin");
		} else {
			console_page_message(&p, 403, L_NEEDS_SIGNIN);
		}
		goto out;
	}
	/* Every POST of a signed-in page: the session's CSRF token. */
	if (strcmp(rq->method, "POST") == 0 && !(route->flags & NO_CSRF) &&
	    !console_session_csrf_ok(rq->body, rq->body_len,
			     taxii_ext_cookie(rq, CONSOLE_COOKIE))) {
		console_page_message(&p, 403, L_CSRF);
		goto out;
	}
	if (p.signed_in && console_readable_load(rq->st, &p.s.user, &r) != TX_OK) {
		console_page_message(&p, 500, L_FAILED);
		goto out;
	}
	/* a page that may read a little stale data: from the replica when
	 * one serves this reader (after the session and grants, read above
	 * from the primary) */
	struct taxii_ext_request from_replica;
	if ((route->flags & REPLICA) && p.signed_in &&
	    strcmp(rq->method, "GET") == 0) {
		from_replica = *rq;
		from_replica.st = taxii_ext_read_store(rq, &p.s.user);
		p.rq = &from_replica;
	}
	unsigned long jf = tx_json_failures();
	route->fn(&p, arg, &r);
	/* A page built with a JSON value that could not be allocated left
	 * something out (a row, a count, a name): refused, not shown. */
	if (strcmp(rq->method, "GET") == 0 && tx_json_failures() != jf &&
	    rp->status < 300) {
		free(rp->text);
		rp->text = NULL;
		rp->text_len = 0;
		rp->content_type = NULL;
		tx_log(TX_LOG_WARN, "console %s: out of memory", rq->rest);
		console_page_message(&p, 503, L_FAILED);
	}
out:
	console_readable_free(&r);
	tx_buf_free(&p.b);
}
