/*
 * console/feeds.c: the feeds of the node on one page, /console/feeds.
 *
 * Outside TAXII feeds (store_feed_list: where each polls from, the local
 * collection it fills, its last run, last success, runs and runs that
 * ended in an error, pages, objects received, added, already present and
 * refused, its last error) and the MISP feeds it publishes: every
 * collection the user may read and every saved filter whose collections
 * the user may all read, each with its URL and what this serve process
 * answered of it (misp_feed_served_get: answers, 304s, errors, the
 * events of the last manifest built, the last error). A user sees only
 * feeds into or over collections it may read: a feed's URL and errors
 * tell of what it brings. Secrets (a feed's password, token or key)
 * never leave the store's row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "console/internal.h"
#include "misp/misp.h"

/* The readable collection with this id, or NULL. */
static const struct store_collection *readable_id(const struct readable *r,
						  const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->c[i].id, id) == 0 && r->c[i].can_read)
			return &r->c[i];
	return NULL;
}

static void outside_table(struct page *p, const struct readable *r)
{
	struct store_feed *list = NULL;
	size_t n = 0, shown = 0;

	console_html_put(p, "<h2 id=\"h-outside\">%L</h2><div class=\"scroll\">"
		 "<table id=\"outside-feeds\"><thead><tr>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">URL</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "</tr></thead><tbody>", L_OUTSIDE_FEEDS, L_NAME, L_INTO,
		 L_LAST_RUN, L_LAST_SUCCESS, L_RUNS, L_ERRORS, L_PAGES, L_RECEIVED,
		 L_ADDED_N, L_ALREADY_PRESENT, L_REJECTED);
	if (store_feed_list(p->rq->st, &list, &n) != TX_OK)
		tx_log(TX_LOG_WARN, "console feeds: cannot list the feeds");
	for (size_t i = 0; i < n; i++) {
		const struct store_feed *f = &list[i];
		if (console_readable_find(r, f->into_pk) == NULL)
			continue;
		shown++;
		console_html_put(p, "<tr id=\"feed-%s\"><td>%s</td><td>%s"
			 " (%s)</td><td>%s</td><td>", f->name, f->name, f->url,
			 f->collection, f->into);
		console_html_time(p, f->last_run);
		console_html_put(p, "</td><td>");
		console_html_time(p, f->last_ok);
		console_html_put(p, "</td><td>%l</td><td class=\"%s\">%l</td>"
			 "<td>%l</td><td>%l</td><td>%l</td><td>%l</td><td>%l",
			 f->runs, f->errors ? "error" : "", f->errors, f->pages,
			 f->received, f->added, f->present, f->rejected);
		if (f->rejected > 0)
			console_html_put(p, " <code>%s</code>", f->reasons);
		console_html_put(p, "</td></tr>");
		if (f->last_error[0]) {
			console_html_put(p, "<tr class=\"error\"><td></td><td colspan="
				 "\"11\">%L (", L_LAST_ERROR);
			console_html_time(p, f->last_error_at);
			console_html_put(p, "): %s</td></tr>", f->last_error);
		}
	}
	if (shown == 0)
		console_html_put(p, "<tr><td colspan=\"12\">%L</td></tr>", L_NONE);
	console_html_put(p, "</tbody></table></div>");
	for (size_t i = 0; i < n; i++)
		sodium_memzero(list[i].secret, sizeof(list[i].secret));
	free(list);
}

/* One MISP feed's row: its name, what it covers, URL, what was served. */
static void misp_row(struct page *p, const char *key, const char *name,
		     const char *covers, const char *path)
{
	struct misp_feed_served s;

	console_html_put(p, "<tr><td>%s</td><td>%s</td><td><code>/trilex/v1/"
		 "misp-feed/%s/manifest.json</code></td>", name, covers, path);
	if (misp_feed_served_get(key, &s) != 0) {
		console_html_put(p, "<td>0</td><td>-</td><td>-</td><td>0</td></tr>");
		return;
	}
	console_html_put(p, "<td>%l (304: %l)</td><td>", s.requests,
		 s.not_modified);
	if (s.events >= 0)
		console_html_put(p, "%l", s.events);
	else
		console_html_put(p, "-");
	console_html_put(p, "</td><td>");
	console_html_time(p, s.last_at);
	console_html_put(p, "</td><td class=\"%s\">%l", s.errors ? "error" : "",
		 s.errors);
	if (s.last_error[0]) {
		console_html_put(p, " (");
		console_html_time(p, s.last_error_at);
		console_html_put(p, ": %s)", s.last_error);
	}
	console_html_put(p, "</td></tr>");
}

static void misp_table(struct page *p, const struct readable *r)
{
	struct store_filter *list = NULL;
	size_t n = 0, shown = 0;
	char key[MISP_FEED_KEY_MAX];

	console_html_put(p, "<h2 id=\"h-misp\">%L</h2><p>%L</p><div class=\"scroll\">"
		 "<table id=\"misp-feeds\"><thead><tr>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">URL</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th></tr></thead><tbody>", L_MISP_FEEDS,
		 L_SERVED_SINCE, L_NAME, L_COLLECTION, L_REQUESTS, L_EVENTS,
		 L_LAST_SERVED, L_ERRORS);
	for (size_t i = 0; i < r->n; i++) {
		const struct store_collection *c = &r->c[i];
		if (!c->can_read)
			continue;
		snprintf(key, sizeof(key), "c:%s", c->id);
		misp_row(p, key, c->alias[0] ? c->alias : c->id, c->id,
			 c->alias[0] ? c->alias : c->id);
		shown++;
	}
	if (store_filter_list(p->rq->st, &list, &n) != TX_OK)
		tx_log(TX_LOG_WARN, "console feeds: cannot list the saved filters");
	for (size_t i = 0; i < n; i++) {
		const struct store_filter *f = &list[i];
		struct tx_buf covers;
		size_t k;

		/* a filter is shown whole or not at all, as it is served */
		for (k = 0; k < f->n_colls && readable_id(r, f->colls[k]); k++)
			;
		if (k < f->n_colls || f->n_colls == 0)
			continue;
		tx_buf_init(&covers, 0);
		for (k = 0; k < f->n_colls; k++) {
			const struct store_collection *c = readable_id(r, f->colls[k]);
			tx_buf_printf(&covers, "%s%s", k ? ", " : "", c->alias[0] ?
				      c->alias : c->id);
		}
		if (f->n_labels)
			tx_buf_printf(&covers, "; labels %s%s", f->labels[0],
				      f->n_labels > 1 ? ", ..." : "");
		tx_buf_printf(&covers, "; TLP %s", f->tlp[0] ? f->tlp : "amber");
		snprintf(key, sizeof(key), "f:%s", f->name);
		misp_row(p, key, f->name, covers.data ? covers.data : "", f->name);
		tx_buf_free(&covers);
		shown++;
	}
	if (shown == 0)
		console_html_put(p, "<tr><td colspan=\"7\">%L</td></tr>", L_NONE);
	console_html_put(p, "</tbody></table></div>");
	free(list);
}

/* GET /console/feeds */
static void page_feeds(struct page *p, const char *arg, const struct readable *r)
{
	console_page_begin(p, L_FEEDS, NULL);
	outside_table(p, r);
	misp_table(p, r);
	console_page_end(p);
	console_page_send(p, 200);
}

const struct console_route console_feeds_routes[] = {
	{ "GET", "feeds", page_feeds, 0 },
	{ 0 },
};
