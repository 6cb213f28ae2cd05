/*
 * console/sightings.c: the alert page's sightings (issue 16, item 3).
 *
 * Every sighting stored on this node of one of the alert's indicators,
 * in the collections the user may read (store_search_refs over the
 * user's collections: last versions only, as a TAXII GET of the same user
 * would see), each with its count, first and last seen, and its source
 * (the party whose verified signature it bears, or this node). The
 * section carries the most restrictive TLP of the sightings shown and of
 * the alert: what fed_derive_marking gives an object made from them, so
 * the section is marked as a note written from it would be. At most
 * SIGHTINGS_MAX are shown, newest first; the count says when there are
 * more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"

/* The most sightings the section shows, and indicators it looks at. */
#define SIGHTINGS_MAX 100
#define SIGHTING_INDICATORS_MAX 100

struct sighting {
	json_t *obj;
	char indicator[128];
	char name[160];             /* the indicator's, or its id */
	char origin[TX_PARTY_MAX];
};

struct sightings {
	struct sighting v[SIGHTINGS_MAX];
	size_t n;
	int more;
	const char *indicator;        /* the one being looked up */
	char name[160];               /* what it is called */
};

static int sighting_row(void *ctx, const struct store_row *row)
{
	struct sightings *s = ctx;
	json_t *o;

	if (s->n == SIGHTINGS_MAX) {
		s->more = 1;
		return STORE_ROW_STOP;
	}
	if ((o = console_row_object(row)) == NULL)
		return STORE_ROW_NEXT;
	s->v[s->n].obj = o;
	snprintf(s->v[s->n].indicator, sizeof(s->v[0].indicator), "%s",
		 s->indicator);
	snprintf(s->v[s->n].name, sizeof(s->v[0].name), "%s", s->name);
	snprintf(s->v[s->n].origin, sizeof(s->v[0].origin), "%s",
		 row->origin ? row->origin : "");
	s->n++;
	return STORE_ROW_NEXT;
}

/* A STIX timestamp of o as <time>, or "-". */
static void html_stix_time(struct page *p, const json_t *o, const char *key)
{
	int64_t us = 0;
	const char *t = json_string_value(json_object_get(o, key));

	if (t == NULL || tx_time_parse(t, &us, NULL) != TX_OK)
		us = 0;
	console_html_time(p, us);
}

/* The TLP of the section: the alert and every sighting shown. */
static int section_tlp(const struct page *p, const json_t *alert,
		       const struct sightings *s)
{
	const json_t *src[SIGHTINGS_MAX + 1];
	struct fed_derivation d = { .tlp = FED_TLP_RED };
	struct tx_error err = { 0 };
	json_t *derived = json_object();

	src[0] = alert;
	for (size_t i = 0; i < s->n; i++)
		src[i + 1] = s->v[i].obj;
	if (derived == NULL || fed_derive_marking(src, s->n + 1,
						  p->rq->cfg->party, derived, &d,
						  &err) != TX_OK)
		d.tlp = FED_TLP_RED; /* undecided: the most restrictive */
	json_decref(derived);
	return d.tlp;
}

static void sightings_table(struct page *p, const struct sightings *s)
{
	console_html_put(p, "<div class=\"scroll\"><table id=\"sightings\"><thead><tr>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">TLP</th></tr></thead>"
		 "<tbody>", L_INDICATOR, L_SIGHTING_COUNT, L_FIRST_SEEN,
		 L_LAST_SEEN, L_SOURCE);
	for (size_t i = 0; i < s->n; i++) {
		const struct sighting *g = &s->v[i];
		const json_t *count = json_object_get(g->obj, "count");

		console_html_put(p, "<tr><td><a href=\"/console/object/%u\">%s</a>"
			 "</td><td>", g->indicator, g->name);
		if (json_is_integer(count))
			console_html_put(p, "%l", (int64_t)json_integer_value(count));
		else
			console_html_put(p, "-");
		console_html_put(p, "</td><td>");
		html_stix_time(p, g->obj, "first_seen");
		console_html_put(p, "</td><td>");
		html_stix_time(p, g->obj, "last_seen");
		console_html_put(p, "</td><td><a href=\"/console/object/%u\">",
				 json_string_value(json_object_get(g->obj, "id")));
		if (g->origin[0])
			console_html_put(p, "%s", g->origin);
		else
			console_html_put(p, "%L", L_THIS_NODE);
		console_html_put(p, "</a></td><td>");
		console_html_tlp(p, fed_tlp_of(g->obj));
		console_html_put(p, "</td></tr>");
	}
	if (s->n == 0)
		console_html_put(p, "<tr><td colspan=\"6\">%L</td></tr>", L_NONE);
	console_html_put(p, "</tbody></table></div>");
}

void console_html_sightings(struct page *p, const struct readable *r,
			    const json_t *alert)
{
	struct sightings *s = calloc(1, sizeof(*s));
	const json_t *ref;
	size_t i, looked = 0;

	if (s == NULL) {
		p->rc = TX_ERR_NOMEM;
		return;
	}
	json_array_foreach(json_object_get(alert, "object_refs"), i, ref) {
		const char *id = json_string_value(ref);
		struct store_search q = { .text = id, .colls = r->pks,
					  .n_colls = r->n, .type = "sighting",
					  .limit = SIGHTINGS_MAX + 1 };
		struct store_search_page pg;
		struct tx_error err = { 0 };

		if (id == NULL || strncmp(id, "indicator--", 11) != 0 ||
		    looked++ == SIGHTING_INDICATORS_MAX || s->more)
			continue;
		s->indicator = id;
		/* named as the user may read it; else by its id */
		struct console_object x;
		snprintf(s->name, sizeof(s->name), "%s", id);
		if (console_object_load(p, r, id, 0, &x) == 0) {
			snprintf(s->name, sizeof(s->name), "%s",
				 console_object_name(x.obj));
			json_decref(x.obj);
		}
		if (store_search_refs(p->rq->st, &q, sighting_row, s, &pg,
				      &err) != TX_OK)
			tx_log(TX_LOG_ERROR, "console sightings: %s", err.msg);
		s->more |= pg.more;
	}
	console_html_put(p, "<section id=\"sightings-section\" aria-labelledby="
			 "\"h-sightings\"><h2 id=\"h-sightings\">%L ", L_SIGHTINGS_H);
	console_html_tlp(p, section_tlp(p, alert, s));
	console_html_put(p, "</h2><p class=\"tally\" id=\"sightings-n\">%L: %l%s</p>",
			 L_SIGHTINGS, (int64_t)s->n, s->more ? "+" : "");
	sightings_table(p, s);
	console_html_put(p, "</section>");
	for (i = 0; i < s->n; i++)
		json_decref(s->v[i].obj);
	free(s);
}
