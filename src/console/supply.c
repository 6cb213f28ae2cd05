/*
 * console/supply.c: the supply-chain page (issue 16, item 8).
 *
 * /console/supply shows the bills of materials stored in the collections
 * the user may read, each checked against the advisories stored in those
 * same collections (supply_node_load_in, supply_check: what `trilex sbom
 * check --dir` does, with the user's grants); the findings ranked by the
 * priority list (tier, then severity, then exploitation), each with the
 * advisories behind it (linked where the user may read them), its TLP
 * (the most restrictive of the BOM and those advisories as stored:
 * supply_finding_mark, as the finding's note is marked when it is
 * recorded), and whether it is recorded, and since when: a finding not
 * recorded yet, or recorded since the user's last visit, is new. The
 * advisories loaded are counted by kind, and per ecosystem of each BOM.
 *
 * POST /console/supply/record/BOM records the BOM's findings not yet
 * recorded, as `trilex sbom recheck` does (supply_node_recheck): a note
 * and an alert each, in the BOM's collection (a partner's BOM: this
 * node's "alerts"), shared as that collection is. Roles with
 * TX_RIGHT_ALERT that may write the BOM's collection only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "supply/supply.h"

/* The most BOMs, and findings of one BOM, a page shows. */
#define SUPPLY_PAGE_BOMS 50
#define SUPPLY_PAGE_FINDINGS 200

/* A finding's advisories looked up as stored objects (the ids
 * supply/share.c gives OSV and KEV entries), at most this many. */
#define SUPPLY_PAGE_ADV_LINKS 8

/* One advisory id: a link to its stored object when the user may read
 * one, else the id as text. */
static void html_advisory(struct page *p, const struct readable *r,
			  const char *adv, int look_up)
{
	static const char *const kinds[] = { "osv:", "kev:" };

	for (size_t k = 0; look_up && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct console_object o;
		char key[300], id[128];

		snprintf(key, sizeof(key), "%s%s", kinds[k], adv);
		supply_stix_id("vulnerability", key, id, sizeof(id));
		if (console_object_load(p, r, id, 0, &o) == 0) {
			console_html_put(p, "<a href=\"/console/object/%u\">%s</a>",
					 id, adv);
			json_decref(o.obj);
			return;
		}
	}
	console_html_put(p, "%s", adv);
}

/* The notes of a finding a table row cannot hold in its columns. */
static void html_finding_details(struct page *p, const struct supply_finding *f)
{
	const char *sep = "";

	if (f->reason) {
		console_html_put(p, "%s", f->reason);
		sep = "; ";
	}
	if (f->product) {
		console_html_put(p, "%s%s (%s)", sep, f->product,
				 f->matched_by ? f->matched_by : "?");
		sep = "; ";
	}
	if (f->remediation) {
		console_html_put(p, "%s%s", sep, f->remediation);
		sep = "; ";
	}
	if (f->vex_state) {
		console_html_put(p, "%sVEX %s%s%s (%s)", sep, f->vex_state,
				 f->vex_justification ? ": " : "",
				 f->vex_justification, f->vex_source);
		sep = "; ";
	}
	if (*sep == '\0')
		console_html_put(p, "-");
}

struct bom_view {
	const json_t *obj;
	int64_t pk;
	int in_inbox;
	supply_bom *bom;
	const char *category;
	struct supply_report rep;
	char error[TX_ERROR_MSG_MAX]; /* why it was not checked */
	size_t n_new;                 /* findings new since the last visit */
	size_t n_unrecorded;
};

/* Whether the user may record bv's findings: a role that raises alerts,
 * and a grant to write the BOM's collection (a partner's inbox: the
 * findings go to this node's alerts, as the user's alerts do). */
static int may_record(const struct page *p, const struct readable *r,
		      const struct bom_view *bv)
{
	const struct store_collection *c = console_readable_find(r, bv->pk);

	if (!store_user_may(&p->s.user, TX_RIGHT_ALERT))
		return 0;
	return bv->in_inbox || (c != NULL && c->can_write);
}

/* The findings table of one BOM; counts bv's new and unrecorded ones. */
static void findings_table(struct page *p, const struct readable *r,
			   struct bom_view *bv, const char *bom_id)
{
	struct supply_stix_opts so = { 0 };
	size_t shown = bv->rep.n < SUPPLY_PAGE_FINDINGS ? bv->rep.n :
		       SUPPLY_PAGE_FINDINGS;

	so.marking_ref = json_string_value(json_array_get(
		json_object_get(bv->obj, "object_marking_refs"), 0));
	console_html_put(p, "<div class=\"scroll\"><table class=\"findings\">"
		 "<caption>%L</caption><thead><tr>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">TLP</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "</tr></thead><tbody>", L_FINDINGS, L_RANK, L_PRIORITY_TIER,
		 L_SEVERITY, L_KIND, L_COMPONENT, L_ADVISORIES_COL, L_FIXED,
		 L_RECORDED, L_DETAILS);
	for (size_t i = 0; i < bv->rep.n; i++) {
		const struct supply_finding *f = &bv->rep.findings[i];
		struct tx_error err = { 0 };
		struct console_object no;
		json_t *note = supply_finding_to_stix(f, bom_id, &so);
		const char *nid = tx_json_str(note, "id");
		int tlp = FED_TLP_RED, stored = 0, isnew;

		if (note != NULL &&
		    supply_finding_mark(p->rq->st, bv->obj, f, note, &err) == TX_OK)
			tlp = fed_tlp_of(note);
		memset(&no, 0, sizeof(no));
		if (nid != NULL && console_object_load(p, r, nid, 0, &no) == 0)
			stored = 1;
		isnew = stored ? no.row.date_added > p->s.last_visit : 1;
		bv->n_new += isnew;
		bv->n_unrecorded += !stored;
		if (i >= shown) {
			json_decref(no.obj);
			json_decref(note);
			continue;
		}
		console_html_put(p, isnew ? "<tr class=\"new\"><td>%l</td><td>" :
				 "<tr><td>%l</td><td>", (int64_t)f->rank);
		if (f->tier > 0)
			console_html_put(p, "%d%s%s%s", f->tier, f->category ? " (" : "",
					 f->category, f->category ? ")" : "");
		else
			console_html_put(p, "-");
		console_html_put(p, "</td><td>%s</td><td>%s%s</td><td>%s</td><td>",
				 supply_severity_name(f->severity),
				 supply_kind_name(f->kind), f->exploited &&
				 f->kind != SUPPLY_KIND_KNOWN_EXPLOITED ?
				 " (KEV)" : "", f->comp->path);
		for (size_t k = 0; k < f->n_advisories; k++) {
			console_html_put(p, "%s", k ? ", " : "");
			html_advisory(p, r, f->advisories[k], k < SUPPLY_PAGE_ADV_LINKS);
		}
		if (f->n_advisories == 0)
			console_html_put(p, "-");
		console_html_put(p, "</td><td>%s</td><td>", f->fixed ? f->fixed : "-");
		console_html_tlp(p, tlp);
		console_html_put(p, "</td><td>");
		if (stored) {
			console_html_put(p, "<a href=\"/console/object/%u\">", nid);
			console_html_time(p, no.row.date_added);
			console_html_put(p, "</a>");
		} else {
			console_html_put(p, "%L", L_NOT_RECORDED);
		}
		if (isnew)
			console_html_put(p, " <strong class=\"badge\">%L</strong>", L_NEW);
		console_html_put(p, "</td><td>");
		html_finding_details(p, f);
		console_html_put(p, "</td></tr>");
		json_decref(no.obj);
		json_decref(note);
	}
	if (bv->rep.n == 0)
		console_html_put(p, "<tr><td colspan=\"10\">%L</td></tr>", L_NONE);
	console_html_put(p, "</tbody></table></div>");
	if (bv->rep.n > shown)
		console_html_put(p, "<p class=\"hint\">%l / %l %L</p>", (int64_t)shown,
				 (int64_t)bv->rep.n, L_FINDINGS_CAPPED);
}

static void ecosystems_list(struct page *p, const struct supply_report *rep)
{
	console_html_put(p, "<h4>%L</h4><ul class=\"ecosystems\">", L_ECOSYSTEMS);
	for (size_t i = 0; i < rep->n_ecosystems; i++) {
		const struct supply_eco_summary *e = &rep->ecosystems[i];
		char *w = supply_eco_warning(e);

		console_html_put(p, "<li><strong>%s</strong>: %L %l, %L %l",
				 e->name, L_ADVISORIES, (int64_t)e->advisories,
				 L_COMPONENTS_LC, (int64_t)e->components);
		if (e->unchecked > 0)
			console_html_put(p, ", %L %l", L_UNCHECKED,
					 (int64_t)e->unchecked);
		if (w != NULL)
			console_html_put(p, " <span class=\"warn\">%s</span>", w);
		console_html_put(p, "</li>");
		free(w);
	}
	if (rep->n_ecosystems == 0)
		console_html_put(p, "<li>%L</li>", L_NONE);
	console_html_put(p, "</ul>");
}

static void bom_section(struct page *p, const struct readable *r,
			struct bom_view *bv)
{
	const char *id = tx_json_str(bv->obj, "id"), *name = tx_json_str(bv->obj, "name");
	const struct store_collection *c = console_readable_find(r, bv->pk);

	console_html_put(p, "<section class=\"bom\" id=\"bom-%s\" aria-labelledby="
		 "\"h-%s\"><h3 id=\"h-%s\"><a href=\"/console/object/%u\">%s</a>"
		 "</h3><dl class=\"facts\"><dt>%L</dt><dd>", id, id, id, id,
		 name ? name : id, L_MARKINGS);
	console_html_tlp(p, fed_tlp_of(bv->obj));
	console_html_put(p, "</dd><dt>%L</dt><dd>%s</dd><dt>%L</dt><dd>%s</dd>",
		 L_COLLECTION, c ? c->title : "", L_CATEGORY,
		 bv->category ? bv->category : "-");
	if (bv->error[0]) {
		console_html_put(p, "</dl><p class=\"error\">%L %s</p></section>",
				 L_CANNOT_CHECK, bv->error);
		return;
	}
	console_html_put(p, "<dt>%L</dt><dd>%l</dd></dl>", L_COMPONENTS,
			 (int64_t)bv->rep.components);
	ecosystems_list(p, &bv->rep);
	findings_table(p, r, bv, id);
	console_html_put(p, "<p class=\"tally\" id=\"new-%s\">%L: %l</p>", id,
			 L_NEW_SINCE, (int64_t)bv->n_new);
	if (bv->n_unrecorded == 0) {
		/* nothing to record */
	} else if (!may_record(p, r, bv)) {
		console_html_put(p, "<p class=\"hint\">%L</p>", L_NO_RIGHT_RECORD);
	} else {
		console_html_put(p, "<form class=\"inline\" method=\"post\""
			 " action=\"/console/supply/record/%u\"><input type=\"hidden\""
			 " name=\"csrf\" value=\"%s\"><button type=\"submit\">%L (%l)"
			 "</button></form>", id, p->csrf, L_RECORD_SHARE,
			 (int64_t)bv->n_unrecorded);
	}
	console_html_put(p, "</section>");
}

static void counts_table(struct page *p, const supply_db *db)
{
	static const int labels[] = {
		L_ADV_OSV, L_ADV_MALICIOUS, L_ADV_KEV, L_ADV_CSAF, L_ADV_VEX,
		L_ADV_VENDORS, L_ADV_PARTS, L_ADV_CATEGORIES,
	};
	struct supply_counts c;
	size_t n[sizeof(labels) / sizeof(labels[0])];

	supply_db_counts(db, &c);
	n[0] = c.advisories;
	n[1] = c.malicious;
	n[2] = c.kev;
	n[3] = c.csaf;
	n[4] = c.vex;
	n[5] = c.vendors;
	n[6] = c.parts;
	n[7] = c.categories;
	console_html_put(p, "<h2>%L</h2><div class=\"scroll\"><table id=\"advisories\">"
		 "<thead><tr><th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "</tr></thead><tbody>", L_ADVISORIES_LOADED, L_KIND, L_COUNT_N);
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		console_html_put(p, "<tr><td>%L</td><td>%l</td></tr>", labels[i],
				 (int64_t)n[i]);
	console_html_put(p, "</tbody></table></div>");
}

/* Load the advisories and BOMs of the user's collections. */
static int load_node(struct page *p, const struct readable *r, supply_db **db,
		     supply_node **node)
{
	struct tx_error err = { 0 };

	*db = NULL;
	*node = NULL;
	if (supply_db_new(0, db, &err) != TX_OK ||
	    supply_node_load_in(p->rq->st, r->pks, r->n, *db, NULL, NULL, node,
				&err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "console supply: %s", err.msg);
		supply_db_free(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

static void page_supply(struct page *p, const char *arg, const struct readable *r)
{
	const char *recorded = taxii_ext_arg(p->rq, "recorded");
	supply_db *db = NULL;
	supply_node *node = NULL;
	size_t n_boms;

	(void)arg;
	if (load_node(p, r, &db, &node) != 0) {
		console_page_message(p, 500, L_FAILED);
		return;
	}
	n_boms = supply_node_boms(node);
	console_page_begin(p, L_SUPPLY, NULL);
	if (recorded != NULL) {
		int64_t k = 0;
		if (tx_parse_int64(recorded, 0, INT64_MAX, &k) == TX_OK)
			console_html_put(p, "<p class=\"ok\" role=\"status\" id=\"recorded\">"
					 "%L: %l</p>", L_FINDINGS_RECORDED, k);
	}
	console_html_put(p, "<p>%L: ", L_SINCE_LAST);
	console_html_time(p, p->s.last_visit);
	console_html_put(p, "</p>");
	counts_table(p, db);
	console_html_put(p, "<h2 id=\"h-boms\">%L (%l)</h2>", L_BOMS, (int64_t)n_boms);
	for (size_t i = 0; i < n_boms && i < SUPPLY_PAGE_BOMS; i++) {
		struct bom_view bv;
		struct tx_error err = { 0 };

		memset(&bv, 0, sizeof(bv));
		bv.obj = supply_node_bom(node, i, &bv.pk, &bv.in_inbox);
		if (supply_bom_from_stix(bv.obj, &bv.bom, &bv.category, &err) != TX_OK ||
		    supply_check(db, bv.bom, bv.category, &bv.rep, &err) != TX_OK)
			snprintf(bv.error, sizeof(bv.error), "%s", err.msg[0] ?
				 err.msg : "?");
		bom_section(p, r, &bv);
		supply_report_free(&bv.rep);
		supply_bom_free(bv.bom);
	}
	if (n_boms == 0)
		console_html_put(p, "<p id=\"no-boms\">%L</p>", L_NONE);
	else if (n_boms > SUPPLY_PAGE_BOMS)
		console_html_put(p, "<p class=\"hint\">%l / %l</p>",
				 (int64_t)SUPPLY_PAGE_BOMS, (int64_t)n_boms);
	supply_node_free(node);
	supply_db_free(db);
	console_page_end(p);
	console_page_send(p, 200);
}

/* POST /console/supply/record/BOM: record and share its new findings. */
static void post_record(struct page *p, const char *id, const struct readable *r)
{
	struct tx_error err = { 0 };
	supply_db *db = NULL;
	supply_node *node = NULL;
	struct bom_view bv;
	size_t n_new = 0, i;
	char loc[300];

	memset(&bv, 0, sizeof(bv));
	if (load_node(p, r, &db, &node) != 0) {
		console_page_message(p, 500, L_FAILED);
		return;
	}
	/* only a BOM the user may read */
	for (i = 0; (bv.obj = supply_node_bom(node, i, &bv.pk, &bv.in_inbox)); i++)
		if (tx_json_str(bv.obj, "id") && strcmp(tx_json_str(bv.obj, "id"), id) == 0)
			break;
	if (bv.obj == NULL) {
		console_page_message(p, 404, L_NOT_FOUND);
		goto out;
	}
	if (!may_record(p, r, &bv)) {
		console_page_message(p, 403, L_NO_RIGHT_RECORD);
		goto out;
	}
	if (supply_node_recheck(p->rq->st, db, node, id, NULL, NULL, NULL, &n_new,
				&err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "console supply: %s", err.msg);
		console_page_message(p, 500, L_FAILED);
		goto out;
	}
	tx_log(TX_LOG_INFO, "console: %s recorded %zu findings of %s", p->s.user.name,
	       n_new, id);
	snprintf(loc, sizeof(loc), "/console/supply?recorded=%zu#bom-%s", n_new, id);
	console_page_redirect(p, loc);
out:
	supply_node_free(node);
	supply_db_free(db);
}

const struct console_route console_supply_routes[] = {
	{ "GET", "supply", page_supply, CONSOLE_REPLICA },
	{ "POST", "supply/record/", post_record, 0 },
	{ 0 },
};
