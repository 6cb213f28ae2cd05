/*
 * console/graph.c: an object's neighbours, readable with hundreds of them.
 *
 * The object page lists the relationships the user may read that have
 * the object at one end, grouped by direction and relationship type: each
 * group says how many there are and names its first NB_GROUP_SHOW
 * neighbours (only objects the user may read), with a link to all of
 * them (/console/neighbours/ID?dir=out&rel=TYPE, paged). The graph
 * (/console/graph/ID, on demand) is a server-rendered SVG of the direct
 * neighbours only, at most GRAPH_MAX of them, each a link; no script, no
 * library. What the store hands back are the relationships that refer to
 * the object (store_search_refs: one index range), newest first; one page
 * reads at most NB_SCAN_MAX of them and says so when there are more.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"

/* Relationships one page reads (the rest: counted as "more than"). */
#define NB_SCAN_MAX 2000
/* Groups (direction, type) kept; past it the rest are one group "...". */
#define NB_GROUPS_MAX 32
/* Neighbours named per group on the object page. */
#define NB_GROUP_SHOW 10
/* Neighbours per page of /console/neighbours/. */
#define NB_PAGE 100
/* Neighbours drawn by the graph. */
#define GRAPH_MAX 40
/* The store's page of relationships. */
#define NB_BATCH 200
/* Longest relationship type kept (longer: cut). */
#define NB_TYPE_MAX 64
#define NB_ID_MAX 300

struct nb_item {
	char other[NB_ID_MAX];        /* the neighbour */
	char rel[NB_ID_MAX];          /* the relationship */
};

struct nb_group {
	int out;                      /* the object is the source */
	char type[NB_TYPE_MAX];
	size_t n;                     /* relationships of the group */
	struct nb_item *items;        /* owned: the first keep of them */
	size_t n_items;
};

struct nb_scan {
	const char *id;
	struct nb_group *g;           /* NB_GROUPS_MAX of them */
	size_t n_groups;
	size_t keep;                  /* neighbours kept per group */
	size_t n_rels;                /* relationships read */
	size_t rows;                  /* rows read (all types of refs) */
	/* the neighbours page: only this group, NB_PAGE items from a cursor */
	int want_out;                 /* -1: every group */
	const char *want_type;
	struct nb_item *page;         /* NB_PAGE of them */
	size_t n_page;
	int64_t last_rowid;           /* of the last row read */
	int64_t page_rowid;           /* of the last row put on the page */
	int page_full;
};

static struct nb_group *group_of(struct nb_scan *s, int out, const char *type)
{
	size_t i;

	for (i = 0; i < s->n_groups; i++)
		if (s->g[i].out == out && strcmp(s->g[i].type, type) == 0)
			return &s->g[i];
	/* the last two places: every further type, one group per direction */
	if (s->n_groups >= NB_GROUPS_MAX - 2) {
		type = "...";
		for (i = 0; i < s->n_groups; i++)
			if (s->g[i].out == out && strcmp(s->g[i].type, type) == 0)
				return &s->g[i];
	}
	s->g[s->n_groups].out = out;
	snprintf(s->g[s->n_groups].type, NB_TYPE_MAX, "%s", type);
	return &s->g[s->n_groups++];
}

static int scan_row(void *ctx, const struct store_row *row)
{
	struct nb_scan *s = ctx;
	json_t *o;
	const char *src, *dst, *type;
	int out;

	if (s->page_full)
		return STORE_ROW_STOP;
	s->last_rowid = row->rowid;
	s->rows++;
	if ((o = console_row_object(row)) == NULL)
		return STORE_ROW_NEXT;
	src = tx_json_str(o, "source_ref");
	dst = tx_json_str(o, "target_ref");
	type = tx_json_str(o, "relationship_type");
	if (src == NULL || dst == NULL || type == NULL ||
	    (strcmp(src, s->id) != 0 && strcmp(dst, s->id) != 0)) {
		json_decref(o);
		return STORE_ROW_NEXT;
	}
	out = strcmp(src, s->id) == 0;
	s->n_rels++;
	if (s->want_out >= 0) {
		/* the neighbours page: one group, a page of it */
		if (out == s->want_out && strcmp(type, s->want_type) == 0) {
			struct nb_item *it = &s->page[s->n_page++];
			snprintf(it->other, sizeof(it->other), "%s", out ? dst : src);
			snprintf(it->rel, sizeof(it->rel), "%s", row->id);
			s->page_rowid = row->rowid;
			if (s->n_page == NB_PAGE)
				s->page_full = 1;
		}
	} else {
		struct nb_group *g = group_of(s, out, type);
		g->n++;
		if (g->items == NULL)
			g->items = calloc(s->keep, sizeof(*g->items));
		if (g->items != NULL && g->n_items < s->keep) {
			struct nb_item *it = &g->items[g->n_items++];
			snprintf(it->other, sizeof(it->other), "%s", out ? dst : src);
			snprintf(it->rel, sizeof(it->rel), "%s", row->id);
		}
	}
	json_decref(o);
	return s->page_full ? STORE_ROW_STOP : STORE_ROW_NEXT;
}

/* Read the relationships of s->id the user may read, from cursor before
 * (0: the newest), at most max rows; *more: some were left. */
static void scan(struct page *p, const struct readable *r, struct nb_scan *s,
		 int64_t before, size_t max, int *more)
{
	struct store_search q = { .text = s->id, .colls = r->pks, .n_colls = r->n,
				  .type = "relationship", .limit = NB_BATCH,
				  .before = before };
	struct tx_error err = { 0 };

	*more = 0;
	for (;;) {
		struct store_search_page pg = { 0 };
		if (store_search_refs(p->rq->st, &q, scan_row, s, &pg, &err) != TX_OK) {
			tx_log(TX_LOG_WARN, "console neighbours: %s", err.msg);
			return;
		}
		if (s->page_full) {
			*more = 1;
			return;
		}
		if (!pg.more)
			return;
		if (s->rows >= max) {
			*more = 1;
			return;
		}
		q.before = pg.next;
	}
}

static void scan_free(struct nb_scan *s)
{
	for (size_t i = 0; s->g != NULL && i < s->n_groups; i++)
		free(s->g[i].items);
	free(s->g);
	free(s->page);
}

/* The neighbour of an item, if the user may read it (caller frees). */
static json_t *neighbour(struct page *p, const struct readable *r,
			 const struct nb_item *it)
{
	struct console_object o;

	if (console_object_load(p, r, it->other, 0, &o) != 0)
		return NULL;
	return o.obj;
}

static void html_item(struct page *p, const struct nb_item *it, int out,
		      const char *type, const json_t *o)
{
	console_html_put(p, "<li><a href=\"/console/object/%u\" title=\"%s\">%s</a>"
		 " <em>%s</em> <a href=\"/console/object/%u\">%s</a>"
		 " <span class=\"hint\">%s</span></li>", it->rel, it->rel,
		 out ? "→" : "←", type, it->other, console_object_name(o),
		 tx_json_str(o, "type"));
}

void console_html_neighbours(struct page *p, const struct readable *r,
			     const char *id)
{
	struct nb_scan s = { .id = id, .want_out = -1, .keep = NB_GROUP_SHOW };
	int more = 0;

	if ((s.g = calloc(NB_GROUPS_MAX, sizeof(*s.g))) == NULL) {
		p->rc = TX_ERR_NOMEM;
		return;
	}
	scan(p, r, &s, 0, NB_SCAN_MAX, &more);
	console_html_put(p, "<p id=\"neighbours\">%L: %l%s", L_RELATIONSHIPS,
			 (int64_t)s.n_rels, more ? "+" : "");
	if (s.n_rels > 0)
		console_html_put(p, " · <a href=\"/console/graph/%u\">%L</a>", id,
				 L_GRAPH);
	console_html_put(p, "</p>");
	for (int out = 1; out >= 0; out--) {
		size_t shown = 0;

		console_html_put(p, "<h2>%L</h2><div id=\"rel-%s\">",
				 out ? L_REL_OUT : L_REL_IN, out ? "out" : "in");
		for (size_t i = 0; i < s.n_groups; i++) {
			const struct nb_group *g = &s.g[i];
			size_t hidden = 0;

			if (g->out != out)
				continue;
			shown++;
			console_html_put(p, "<h3 class=\"rel-type\"><em>%s</em> (%l)</h3>"
				 "<ul class=\"refs\">", g->type, (int64_t)g->n);
			for (size_t k = 0; k < g->n_items; k++) {
				json_t *o = neighbour(p, r, &g->items[k]);
				if (o == NULL) {
					hidden++;
					continue;
				}
				html_item(p, &g->items[k], out, g->type, o);
				json_decref(o);
			}
			if (hidden > 0)
				console_html_put(p, "<li class=\"hint\">%l %L</li>",
						 (int64_t)hidden, L_NOT_READABLE);
			console_html_put(p, "</ul>");
			if (g->n > g->n_items && strcmp(g->type, "...") != 0)
				console_html_put(p, "<p><a class=\"more\" href=\"/console/"
					 "neighbours/%u?dir=%s&amp;rel=%u\">%L (%l)</a></p>",
					 id, out ? "out" : "in", g->type, L_ALL_OF,
					 (int64_t)g->n);
		}
		if (shown == 0)
			console_html_put(p, "<p>%L</p>", L_NONE);
		console_html_put(p, "</div>");
	}
	if (more)
		console_html_put(p, "<p class=\"hint\">%L %l</p>", L_SCAN_CAPPED,
				 (int64_t)NB_SCAN_MAX);
	scan_free(&s);
}

/* GET /console/neighbours/ID?dir=out|in&rel=TYPE&next=ROWID */
static void page_neighbours(struct page *p, const char *id, const struct readable *r)
{
	const char *dir = taxii_ext_arg(p->rq, "dir");
	const char *rel = taxii_ext_arg(p->rq, "rel");
	const char *next = taxii_ext_arg(p->rq, "next");
	struct nb_scan s = { .id = id };
	struct console_object self;
	int64_t before = 0;
	size_t hidden = 0;
	int more = 0;

	if (dir == NULL || rel == NULL || *rel == '\0' || strlen(rel) >= NB_TYPE_MAX ||
	    (strcmp(dir, "out") != 0 && strcmp(dir, "in") != 0) ||
	    (next != NULL && tx_parse_int64(next, 1, INT64_MAX, &before) != TX_OK)) {
		console_page_message(p, 400, L_FAILED);
		return;
	}
	if (console_object_load(p, r, id, 0, &self) != 0) {
		console_page_message(p, 404, L_NOT_FOUND);
		return;
	}
	if ((s.page = calloc(NB_PAGE, sizeof(*s.page))) == NULL) {
		scan_free(&s);
		json_decref(self.obj);
		console_page_message(p, 500, L_FAILED);
		return;
	}
	s.want_out = strcmp(dir, "out") == 0;
	s.want_type = rel;
	/* a page: NB_PAGE of the group, reading at most 10 x NB_SCAN_MAX */
	scan(p, r, &s, before, 10 * NB_SCAN_MAX, &more);
	console_page_begin(p, L_NEIGHBOURS, console_object_name(self.obj));
	console_html_put(p, "<p><a href=\"/console/object/%u\">%s</a> <em>%s</em>"
		 " (%L)</p><ul class=\"refs\" id=\"neighbour-list\">", id,
		 console_object_name(self.obj), rel, s.want_out ? L_REL_OUT : L_REL_IN);
	for (size_t i = 0; i < s.n_page; i++) {
		json_t *o = neighbour(p, r, &s.page[i]);
		if (o == NULL) {
			hidden++;
			continue;
		}
		html_item(p, &s.page[i], s.want_out, rel, o);
		json_decref(o);
	}
	if (s.n_page == 0)
		console_html_put(p, "<li>%L</li>", L_NONE);
	if (hidden > 0)
		console_html_put(p, "<li class=\"hint\">%l %L</li>", (int64_t)hidden,
				 L_NOT_READABLE);
	console_html_put(p, "</ul>");
	if (more) {
		char cur[32];
		snprintf(cur, sizeof(cur), "%lld", (long long)(s.page_full ?
			 s.page_rowid : s.last_rowid));
		console_html_put(p, "<p><a class=\"more\" rel=\"next\" href=\"/console/"
			 "neighbours/%u?dir=%s&amp;rel=%u&amp;next=%u\">%L</a></p>", id,
			 dir, rel, cur, L_NEXT_PAGE);
	}
	scan_free(&s);
	json_decref(self.obj);
	console_page_end(p);
	console_page_send(p, 200);
}

/* A colour per object type, for the graph's dots (text stays black). */
static const char *type_colour(const char *type)
{
	static const struct {
		const char *type, *colour;
	} colours[] = {
		{ "indicator", "#c0392b" }, { "malware", "#8e44ad" },
		{ "attack-pattern", "#d35400" }, { "intrusion-set", "#2c3e50" },
		{ "threat-actor", "#2c3e50" }, { "campaign", "#16a085" },
		{ "vulnerability", "#b7950b" }, { "report", "#2471a3" },
		{ "identity", "#566573" }, { "infrastructure", "#1e8449" },
		{ "tool", "#7d3c98" }, { "incident", "#922b21" },
	};

	for (size_t i = 0; type && i < sizeof(colours) / sizeof(colours[0]); i++)
		if (strcmp(type, colours[i].type) == 0)
			return colours[i].colour;
	return "#5d6d7e";
}

/* A label cut to n characters (UTF-8 whole), "…" added when cut. */
static void cut_label(const char *s, char *out, size_t size, size_t n)
{
	size_t i = 0, chars = 0, o = 0;

	while (s[i] && chars < n && o + 4 < size) {
		size_t len = 1;
		while ((s[i + len] & 0xC0) == 0x80)
			len++;
		if (o + len + 4 >= size)
			break;
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
		chars++;
	}
	if (s[i] && o + 3 < size) {
		memcpy(out + o, "\xe2\x80\xa6", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* GET /console/graph/ID: the direct neighbours, drawn. */
static void page_graph(struct page *p, const char *id, const struct readable *r)
{
	struct nb_scan s = { .id = id, .want_out = -1, .keep = GRAPH_MAX };
	struct console_object self;
	struct {
		struct nb_item it;
		json_t *o;
		int out;
		const char *type;
		int x, y, up;
	} *nodes = NULL;
	size_t n = 0, total = 0;
	int more = 0;
	char label[128];

	if (console_object_load(p, r, id, 0, &self) != 0) {
		console_page_message(p, 404, L_NOT_FOUND);
		return;
	}
	if ((s.g = calloc(NB_GROUPS_MAX, sizeof(*s.g))) == NULL ||
	    (nodes = calloc(GRAPH_MAX, sizeof(*nodes))) == NULL) {
		scan_free(&s);
		json_decref(self.obj);
		console_page_message(p, 500, L_FAILED);
		return;
	}
	scan(p, r, &s, 0, NB_SCAN_MAX, &more);
	/* round robin over the groups, so that one big group does not hide
	 * the others; only neighbours the user may read */
	for (size_t k = 0; k < GRAPH_MAX && n < GRAPH_MAX; k++)
		for (size_t i = 0; i < s.n_groups && n < GRAPH_MAX; i++) {
			if (k >= s.g[i].n_items)
				continue;
			json_t *o = neighbour(p, r, &s.g[i].items[k]);
			if (o == NULL)
				continue;
			nodes[n].it = s.g[i].items[k];
			nodes[n].o = o;
			nodes[n].out = s.g[i].out;
			nodes[n].type = s.g[i].type;
			n++;
		}
	for (size_t i = 0; i < s.n_groups; i++)
		total += s.g[i].n;
	console_page_begin(p, L_GRAPH, console_object_name(self.obj));
	console_html_put(p, "<p><a href=\"/console/object/%u\">%L</a> · %L: %l / %l%s"
		 "</p>", id, L_OBJECT, L_SHOWN, (int64_t)n, (int64_t)total,
		 more ? "+" : "");
	cut_label(console_object_name(self.obj), label, sizeof(label), 28);
	console_html_put(p, "<figure class=\"graph\"><svg id=\"graph\" viewBox=\"0 0"
		 " 1000 1000\" role=\"group\" aria-labelledby=\"graph-title\">"
		 "<title id=\"graph-title\">%L: %s</title>", L_GRAPH,
		 console_object_name(self.obj));
	/* two rings, every other neighbour on the outer one, so that labels
	 * of up to GRAPH_MAX neighbours do not run into each other */
	for (size_t i = 0; i < n; i++) {
		double a = 2 * M_PI * (double)i / (double)n - M_PI / 2;
		double ring = i % 2 ? 430 : 290;
		nodes[i].x = 500 + (int)(ring * cos(a));
		nodes[i].y = 500 + (int)(ring * sin(a));
		nodes[i].up = sin(a) < -0.1;
		console_html_put(p, "<line x1=\"500\" y1=\"500\" x2=\"%d\" y2=\"%d\""
			 " stroke=\"#767676\" stroke-width=\"2\"/>", nodes[i].x,
			 nodes[i].y);
	}
	for (size_t i = 0; i < n; i++) {
		int x = nodes[i].x, y = nodes[i].y;
		int ty = y + (nodes[i].up ? -34 : 32);
		char l[128];

		cut_label(console_object_name(nodes[i].o), l, sizeof(l), 16);
		console_html_put(p, "<a href=\"/console/object/%u\"><title>%s %s (%s)"
			 "</title><circle cx=\"%d\" cy=\"%d\" r=\"12\" fill=\"%s\"/>"
			 "<text x=\"%d\" y=\"%d\" font-size=\"18\" fill=\"#111\""
			 " text-anchor=\"middle\">%s</text><text x=\"%d\" y=\"%d\""
			 " font-size=\"15\" fill=\"#4a4a4a\" text-anchor=\"middle\">"
			 "%s%s%s</text></a>", nodes[i].it.other, nodes[i].type,
			 console_object_name(nodes[i].o), tx_json_str(nodes[i].o, "type"), x, y,
			 type_colour(tx_json_str(nodes[i].o, "type")), x, ty, l, x, ty + 17,
			 nodes[i].out ? "" : "← ", nodes[i].type, nodes[i].out ? " →" : "");
	}
	console_html_put(p, "<circle cx=\"500\" cy=\"500\" r=\"20\" fill=\"%s\"/>"
		 "<text x=\"500\" y=\"540\" font-size=\"18\" font-weight=\"700\""
		 " fill=\"#111\" text-anchor=\"middle\">%s</text></svg>"
		 "<figcaption>", type_colour(tx_json_str(self.obj, "type")), label);
	if (total > n)
		console_html_put(p, "%L <a href=\"/console/object/%u#neighbours\">%L</a>",
				 L_GRAPH_CAPPED, id, L_OBJECT);
	console_html_put(p, "</figcaption></figure>");
	/* the same as a list: what a screen reader, or a phone, reads */
	console_html_put(p, "<ul class=\"refs\" id=\"graph-list\">");
	for (size_t i = 0; i < n; i++) {
		html_item(p, &nodes[i].it, nodes[i].out, nodes[i].type, nodes[i].o);
		json_decref(nodes[i].o);
	}
	console_html_put(p, "</ul>");
	free(nodes);
	scan_free(&s);
	json_decref(self.obj);
	console_page_end(p);
	console_page_send(p, 200);
}

const struct console_route console_graph_routes[] = {
	{ "GET", "graph/", page_graph, CONSOLE_REPLICA },
	{ "GET", "neighbours/", page_neighbours, CONSOLE_REPLICA },
	{ 0 },
};
