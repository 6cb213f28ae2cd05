/*
 * console/incidents.c: incidents and their use-of-force assessment.
 *
 * /console/incidents lists the newest incidents the user may read, each
 * with the decision of its newest stored assessment. /console/incident/ID
 * assesses the incident as it is stored now, under the policy the node
 * uses (policy_registry_select: the version in force, or the latest
 * proposal, unratified, and said so), and shows the decision or the
 * decisions still possible, each factor's score and evidence, the facts
 * not yet known and what would settle them, and the policy's version and
 * ratification. Its form (users whose role may assess, on this node's own
 * incidents in a collection they may write) stores the facts entered as a
 * new version of the incident, marked as its sources are
 * (policy_note_mark), assesses that version and stores the assessment as
 * policy/ makes it (policy_result_note), beside the incident. A partner's
 * incident is assessed but never rewritten: only its author speaks for it.
 * Everything is read through the user's readable collections.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "policy/policy.h"

/* Incidents the list shows. */
#define INCIDENTS_MAX 100
/* Impacts read for one incident (policy/ reads at most as many). */
#define INCIDENT_IMPACTS_MAX 1000
/* Stored assessments listed on an incident's page. */
#define ASSESSMENTS_MAX 20

/* One value of a result (a string, number, boolean), as text. */
static const char *value_text(const json_t *v, char *buf, size_t n)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, n, "%g", json_real_value(v));
	else if (json_is_true(v))
		snprintf(buf, n, "true");
	else if (json_is_false(v))
		snprintf(buf, n, "false");
	else
		snprintf(buf, n, "-");
	return buf;
}

/* A list of strings as <ul>; "-" when empty. */
static void html_strings(struct page *p, const json_t *list)
{
	const json_t *v;
	size_t i;

	if (json_array_size(list) == 0) {
		console_html_put(p, "-");
		return;
	}
	console_html_put(p, "<ul>");
	json_array_foreach(list, i, v)
		if (json_is_string(v))
			console_html_put(p, "<li>%s</li>", json_string_value(v));
	console_html_put(p, "</ul>");
}

/* "a - b" of a two-number range, or a's text when they are equal. */
static void html_range(struct page *p, const json_t *range, const json_t *one)
{
	char a[32], b[32];

	if (json_array_size(range) == 2 &&
	    !json_equal(json_array_get(range, 0), json_array_get(range, 1)))
		console_html_put(p, "%s - %s",
			 value_text(json_array_get(range, 0), a, sizeof(a)),
			 value_text(json_array_get(range, 1), b, sizeof(b)));
	else
		console_html_put(p, "%s", value_text(one, a, sizeof(a)));
}

/* ---- the newest stored assessment of an incident ---- */

struct assessments {
	struct page *p;
	const char *incident;
	size_t n;
	int list;                     /* 1: write rows; 0: keep the first */
	char decision[64];
};

static const json_t *note_assessment(const json_t *note)
{
	return json_object_get(json_object_get(json_object_get(note,
		"extensions"), POLICY_EXT_ASSESSMENT), "assessment");
}

static int assessment_row(void *ctx, const struct store_row *row)
{
	struct assessments *a = ctx;
	const json_t *res;
	char lv[32];
	json_t *o;

	if ((o = console_row_object(row)) == NULL)
		return STORE_ROW_NEXT;
	res = note_assessment(o);
	if (!json_is_object(res) ||
	    strcmp(tx_json_str(res, "incident") ? tx_json_str(res, "incident") :
		   "", a->incident) != 0) {
		json_decref(o);
		return STORE_ROW_NEXT;
	}
	a->n++;
	if (!a->list) {
		snprintf(a->decision, sizeof(a->decision), "%s",
			 tx_json_str(res, "decision") ? tx_json_str(res, "decision") : "");
		json_decref(o);
		return STORE_ROW_STOP;
	}
	console_html_put(a->p, "<tr><td>");
	console_html_time(a->p, row->date_added);
	console_html_put(a->p, "</td><td>");
	console_html_tlp(a->p, fed_tlp_of(o));
	console_html_put(a->p, "</td><td>%s</td><td>%s</td><td>%s%s</td><td>",
		 tx_json_str(res, "decision"),
		 value_text(json_object_get(res, "level"), lv, sizeof(lv)),
		 tx_json_str(res, "policy_version"),
		 json_is_true(json_object_get(res, "ratified")) ? "" : " *");
	console_html_origin(a->p, row);
	console_html_put(a->p, "</td><td><a href=\"/console/object/%u\">%s</a>"
		 "</td></tr>", row->id, row->id);
	json_decref(o);
	return a->n >= ASSESSMENTS_MAX ? STORE_ROW_STOP : STORE_ROW_NEXT;
}

/* The stored assessments (notes) of incident id the user may read:
 * listed as table rows (list) or the newest's decision into a. */
static void assessments_find(struct page *p, const struct readable *r,
			     const char *id, int list, struct assessments *a)
{
	struct store_search q = { .text = id, .colls = r->pks, .n_colls = r->n,
				  .type = "note", .limit = 200 };
	struct store_search_page pg;
	struct tx_error err = { 0 };

	memset(a, 0, sizeof(*a));
	a->p = p;
	a->incident = id;
	a->list = list;
	if (r->n > 0 && store_search_refs(p->rq->st, &q, assessment_row, a, &pg,
					  &err) != TX_OK)
		tx_log(TX_LOG_WARN, "console: assessments of %s: %s", id, err.msg);
}

/* ---- the list ---- */

struct incident_rows {
	struct page *p;
	const struct readable *r;
	size_t n;
};

static int incident_row(void *ctx, const struct store_row *row)
{
	struct incident_rows *c = ctx;
	struct page *p = c->p;
	const struct store_collection *coll = console_readable_find(c->r,
							    row->collection_pk);
	struct assessments a;
	json_t *o;

	if ((o = console_row_object(row)) == NULL)
		return STORE_ROW_NEXT;
	assessments_find(p, c->r, row->id, 0, &a);
	console_html_put(p, "<tr><td>");
	console_html_time(p, row->date_added);
	console_html_put(p, "</td><td>");
	console_html_tlp(p, fed_tlp_of(o));
	console_html_put(p, "</td><td><a href=\"/console/incident/%u\">%s</a></td>"
		 "<td>%s</td><td>", row->id, tx_json_str(o, "name") ?
		 tx_json_str(o, "name") : row->id, coll ? coll->title : "");
	console_html_origin(p, row);
	if (a.n > 0)
		console_html_put(p, "</td><td>%s</td></tr>", a.decision);
	else
		console_html_put(p, "</td><td>%L</td></tr>", L_NONE);
	json_decref(o);
	c->n++;
	return STORE_ROW_NEXT;
}

static void page_incidents(struct page *p, const char *arg,
			   const struct readable *r)
{
	struct incident_rows c = { p, r, 0 };
	struct store_recent q = { .colls = r->pks, .n_colls = r->n,
				  .type = "incident", .limit = INCIDENTS_MAX };
	struct tx_error err = { 0 };

	(void)arg;
	console_page_begin(p, L_INCIDENTS, NULL);
	console_html_put(p, "<div class=\"scroll\"><table id=\"incidents\"><thead><tr>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">TLP</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th></tr></thead>"
		 "<tbody>", L_ADDED, L_INCIDENT, L_COLLECTION, L_ORIGIN,
		 L_DECISION);
	if (r->n > 0 && store_recent(p->rq->st, &q, incident_row, &c, NULL,
				     &err) != TX_OK)
		tx_log(TX_LOG_WARN, "console incidents: %s", err.msg);
	if (c.n == 0)
		console_html_put(p, "<tr><td colspan=\"6\">%L</td></tr>", L_NONE);
	console_html_put(p, "</tbody></table></div>");
	console_page_end(p);
	console_page_send(p, 200);
}

/* ---- one incident ---- */

/* The incident id and the impacts it names, as the user may read them:
 * a list for policy_incident_from_objects (caller frees); inc gets the
 * incident's own row. NULL with *status 404 when the user may not read
 * the incident, 503 when memory ran out (an impact left out would be
 * assessed as missing). */
static json_t *incident_objects(struct page *p, const struct readable *r,
				const char *id, struct console_object *inc,
				unsigned *status)
{
	const json_t *refs, *ref;
	json_t *list;
	size_t i;

	*status = 404;
	if (strncmp(id, "incident--", 10) != 0 ||
	    console_object_load(p, r, id, 0, inc) != 0)
		return NULL;
	*status = 503;
	if ((list = json_array()) == NULL ||
	    json_array_append(list, inc->obj) != 0)
		goto fail;
	refs = json_object_get(json_object_get(json_object_get(inc->obj,
		"extensions"), INCIDENT_CORE_EXT), "impact_refs");
	json_array_foreach(refs, i, ref) {
		struct console_object x;
		if (i >= INCIDENT_IMPACTS_MAX)
			break;
		/* An impact the user may not read stays out: the assessment
		 * then counts it as missing, as it would for its author's
		 * partner without it. */
		if (!json_is_string(ref) ||
		    console_object_load(p, r, json_string_value(ref), 0, &x) != 0)
			continue;
		if (json_array_append_new(list, x.obj) != 0)
			goto fail;
	}
	return list;
fail:
	json_decref(list);
	json_decref(inc->obj);
	inc->obj = NULL;
	return NULL;
}

/* The facts extension of an incident (borrowed), or NULL. */
static const json_t *incident_facts(const json_t *inc)
{
	return json_object_get(json_object_get(inc, "extensions"),
			       POLICY_EXT_FACTS);
}

/* The policy the node assesses under, and its ratification. */
struct policy_view {
	policy_registry *reg;
	policy *pol;
	struct policy_standing standing;
	json_t *status;               /* policy_registry_status */
};

static tx_err policy_view_load(struct page *p, struct policy_view *v,
			       struct tx_error *err)
{
	tx_err rc;

	memset(v, 0, sizeof(*v));
	if ((rc = policy_registry_load(p->rq->st, p->rq->cfg->party, &v->reg,
				       err)) != TX_OK ||
	    (rc = policy_registry_select(v->reg, NULL, &v->pol, &v->standing,
					 err)) != TX_OK)
		return rc;
	v->status = policy_registry_status(v->reg);
	return TX_OK;
}

static void policy_view_free(struct policy_view *v)
{
	policy_free(v->pol);
	policy_registry_free(v->reg);
	json_decref(v->status);
}

/* The policy's version, whether it is in force, who approved it. */
static void html_policy(struct page *p, const json_t *res,
			const struct policy_view *v)
{
	const char *version = tx_json_str(res, "policy_version");
	const json_t *ver, *e;
	size_t i;

	console_html_put(p, "<h2 id=\"h-policy\">%L</h2><dl class=\"facts\""
		 " id=\"policy\"><dt>%L</dt><dd>%s %s (%L)</dd>", L_POLICY,
		 L_POLICY, version, tx_json_str(res, "policy_digest") ?
		 tx_json_str(res, "policy_digest") : "",
		 json_is_true(json_object_get(res, "ratified")) ? L_IN_FORCE :
		 L_NOT_IN_FORCE);
	json_array_foreach(json_object_get(v->status, "versions"), i, ver) {
		if (version == NULL || tx_json_str(ver, "version") == NULL ||
		    strcmp(tx_json_str(ver, "version"), version) != 0)
			continue;
		console_html_put(p, "<dt>%L</dt><dd>", L_APPROVED_BY);
		json_array_foreach(json_object_get(ver, "approved_by"), i, e)
			console_html_put(p, "%s%s", i ? ", " : "",
				 json_string_value(e));
		if (json_array_size(json_object_get(ver, "approved_by")) == 0)
			console_html_put(p, "-");
		console_html_put(p, "</dd><dt>%L</dt><dd>", L_APPROVALS_MISSING);
		json_array_foreach(json_object_get(ver, "missing"), i, e)
			console_html_put(p, "%s%s", i ? ", " : "",
				 json_string_value(e));
		if (json_array_size(json_object_get(ver, "missing")) == 0)
			console_html_put(p, "-");
		console_html_put(p, "</dd>");
		break;
	}
	if (tx_json_str(res, "policy_note") && *tx_json_str(res, "policy_note"))
		console_html_put(p, "<dt>%L</dt><dd>%s</dd>", L_NOT_IN_FORCE,
			 tx_json_str(res, "policy_note"));
	console_html_put(p, "</dl>");
}

/* The assessment result (docs/policy.md section 6) as the page shows it. */
static void html_result(struct page *p, const json_t *res)
{
	const json_t *f, *u, *v, *range;
	const char *key;
	char buf[64];
	size_t i;

	range = json_object_get(res, "decision_range");
	console_html_put(p, "<h2 id=\"h-result\">%L</h2><dl class=\"facts\""
		 " id=\"result\"><dt>%L</dt><dd><strong id=\"decision\">%s"
		 "</strong></dd>", L_ASSESSMENT, L_DECISION,
		 tx_json_str(res, "decision"));
	if (json_array_size(range) > 1) {
		console_html_put(p, "<dt>%L</dt><dd id=\"decision-range\">",
			 L_DECISION_RANGE);
		json_array_foreach(range, i, v)
			console_html_put(p, "%s%s", i ? ", " : "", json_string_value(v));
		console_html_put(p, "</dd>");
	}
	console_html_put(p, "<dt>%L</dt><dd>", L_LEVEL);
	html_range(p, json_object_get(res, "level_range"),
		   json_object_get(res, "level"));
	console_html_put(p, " (%s)</dd><dt>%L</dt><dd>", tx_json_str(res, "level_name"),
		 L_SCORE);
	html_range(p, json_object_get(res, "score_range"),
		   json_object_get(res, "score"));
	console_html_put(p, "</dd><dt>%L</dt><dd>%s: %s</dd><dt>%L</dt><dd>%s"
		 "<br><span class=\"hint\">%s</span></dd></dl>", L_RULE, tx_json_str(res, "rule"),
		 tx_json_str(res, "explanation"), L_TIER,
		 tx_json_str(res, "tier_title"), tx_json_str(res, "tier_text"));

	console_html_put(p, "<h2>%L</h2><div class=\"scroll\"><table id=\"factors\">"
		 "<thead><tr><th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th></tr></thead><tbody>", L_FACTORS,
		 L_FACTOR, L_SCORE, L_WEIGHT, L_EVIDENCE, L_WOULD_SETTLE);
	json_array_foreach(json_object_get(res, "factors"), i, f) {
		console_html_put(p, "<tr id=\"factor-%s\"><th scope=\"row\">%s</th><td>",
			 tx_json_str(f, "id"), tx_json_str(f, "id"));
		if (json_is_true(json_object_get(f, "undetermined"))) {
			console_html_put(p, "%L: ", L_UNDETERMINED);
			html_range(p, json_object_get(f, "score_range"), NULL);
		} else {
			console_html_put(p, "%s", value_text(json_object_get(f, "score"),
						     buf, sizeof(buf)));
		}
		console_html_put(p, "</td><td>%s</td><td>",
			 value_text(json_object_get(f, "weight"), buf, sizeof(buf)));
		html_strings(p, json_object_get(f, "evidence"));
		console_html_put(p, "</td><td>");
		html_strings(p, json_object_get(f, "would_change"));
		console_html_put(p, "</td></tr>");
	}
	console_html_put(p, "</tbody></table></div>");

	if (json_array_size(json_object_get(res, "undetermined")) > 0) {
		console_html_put(p, "<h2>%L</h2><div class=\"scroll\"><table"
			 " id=\"open-rules\"><thead><tr><th scope=\"col\">%L</th>"
			 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
			 "<th scope=\"col\">%L</th></tr></thead><tbody>",
			 L_OPEN_RULES, L_RULE, L_DECISION, L_WHEN, L_WOULD_SETTLE);
		json_array_foreach(json_object_get(res, "undetermined"), i, u) {
			console_html_put(p, "<tr><td>%s</td><td>%s</td><td>%s</td><td>",
				 tx_json_str(u, "rule"), tx_json_str(u, "decision"),
				 tx_json_str(u, "when"));
			html_strings(p, json_object_get(u, "would_change"));
			console_html_put(p, "</td></tr>");
		}
		console_html_put(p, "</tbody></table></div>");
	}
	if (json_object_size(json_object_get(res, "open_facts")) > 0) {
		console_html_put(p, "<h2>%L</h2><dl class=\"facts\" id=\"open-facts\">",
			 L_OPEN_FACTS);
		json_object_foreach((json_t *)json_object_get(res, "open_facts"), key, v) {
			char a[32], b[32];
			console_html_put(p, "<dt>%s</dt><dd>", key);
			if (json_is_array(v)) {
				const json_t *x;
				size_t k;
				json_array_foreach(v, k, x)
					console_html_put(p, "%s%s", k ? ", " : "",
						 value_text(x, a, sizeof(a)));
			} else {
				console_html_put(p, "%s - %s",
					 value_text(json_object_get(v, "min"), a, sizeof(a)),
					 value_text(json_object_get(v, "max"), b, sizeof(b)));
			}
			console_html_put(p, "</dd>");
		}
		console_html_put(p, "</dl>");
	}
	if (json_array_size(json_object_get(res, "contradictions")) +
	    json_array_size(json_object_get(res, "gaps")) > 0) {
		console_html_put(p, "<h2>%L</h2>", L_PROBLEMS);
		html_strings(p, json_object_get(res, "contradictions"));
		html_strings(p, json_object_get(res, "gaps"));
	}
}

/* ---- the facts form ---- */

static const char *const causations[] = { "direct", "proximate", "indirect",
					   "remote", NULL };
static const char *const nexuses[] = { "none", "dual-use", "military-target",
				       "military-operation", NULL };

static void form_number(struct page *p, const char *name, int label,
			const json_t *v, const char *step)
{
	char buf[32];

	console_html_put(p, "<label for=\"f-%s\">%L</label><input id=\"f-%s\""
		 " name=\"%s\" type=\"number\" min=\"0\" step=\"%s\" value=\"%s\">",
		 name, label, name, name, step,
		 json_is_number(v) ? value_text(v, buf, sizeof(buf)) : "");
}

static void form_choice(struct page *p, const char *name, int label,
			const json_t *v, const char *const *choices)
{
	const char *cur = json_is_string(v) ? json_string_value(v) :
			  json_is_true(v) ? "true" : json_is_false(v) ? "false" : "";

	console_html_put(p, "<label for=\"f-%s\">%L</label><select id=\"f-%s\""
		 " name=\"%s\"><option value=\"\">%L</option>", name, label, name,
		 name, L_UNKNOWN);
	if (choices == NULL) {
		console_html_put(p, "<option value=\"true\"%s>%L</option>"
			 "<option value=\"false\"%s>%L</option>",
			 strcmp(cur, "true") == 0 ? " selected" : "", L_YES,
			 strcmp(cur, "false") == 0 ? " selected" : "", L_NO);
	} else {
		for (size_t i = 0; choices[i]; i++)
			console_html_put(p, "<option value=\"%s\"%s>%s</option>",
				 choices[i], strcmp(cur, choices[i]) == 0 ?
				 " selected" : "", choices[i]);
	}
	console_html_put(p, "</select>");
}

static void facts_form(struct page *p, const char *id, const json_t *inc)
{
	const json_t *f = incident_facts(inc);
	const json_t *sa = json_object_get(f, "state_attribution");

	console_html_put(p, "<h2 id=\"h-facts\">%L</h2><p class=\"hint\">%L</p>"
		 "<form class=\"facts-form\" method=\"post\""
		 " action=\"/console/incident/%u\">"
		 "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
		 L_FACTS_FORM, L_FACTS_HINT, id, p->csrf);
	form_number(p, "deaths", L_DEATHS, json_object_get(f, "deaths"), "1");
	form_number(p, "injuries", L_INJURIES, json_object_get(f, "injuries"), "1");
	form_choice(p, "causation", L_CAUSATION, json_object_get(f, "causation"),
		    causations);
	form_choice(p, "critical_infrastructure", L_CRIT_INFRA,
		    json_object_get(f, "critical_infrastructure"), NULL);
	form_choice(p, "national_importance", L_NAT_IMPORTANCE,
		    json_object_get(f, "national_importance"), NULL);
	form_choice(p, "military_nexus", L_MILITARY,
		    json_object_get(f, "military_nexus"), nexuses);
	form_number(p, "onset_hours", L_ONSET, json_object_get(f, "onset_hours"),
		    "any");
	console_html_put(p, "<label for=\"f-state\">%L</label><input id=\"f-state\""
		 " name=\"state\" maxlength=\"64\" value=\"%s\">", L_STATE,
		 tx_json_str(sa, "state") ? tx_json_str(sa, "state") : "");
	form_number(p, "confidence", L_CONFIDENCE, json_object_get(sa, "confidence"),
		    "1");
	console_html_put(p, "<button type=\"submit\" id=\"assess\">%L</button></form>",
		 L_ASSESS);
}

/* Why the user may not correct this incident's facts (a label), or -1. */
static int may_correct(struct page *p, const struct readable *r,
		       const struct console_object *inc)
{
	const struct store_collection *c = console_readable_find(r, inc->coll);

	if (!store_user_may(&p->s.user, TX_RIGHT_ASSESS))
		return L_NO_RIGHT_ASSESS;
	if (inc->origin[0] || inc->via[0] || (c && store_inbox_party(c)))
		return L_PARTNER_INCIDENT;
	if (c == NULL || !c->can_write)
		return L_READ_ONLY;
	return -1;
}

static void page_incident(struct page *p, const char *id, const struct readable *r)
{
	struct console_object inc = { 0 };
	struct policy_view pv = { 0 };
	struct assessments a;
	struct tx_error err = { 0 };
	policy_incident *pi = NULL;
	json_t *objects, *res = NULL;
	unsigned status;
	tx_err rc;
	int why;

	if ((objects = incident_objects(p, r, id, &inc, &status)) == NULL) {
		console_page_message(p, status, status == 404 ? L_NOT_FOUND :
				     L_FAILED);
		return;
	}
	console_page_begin(p, L_INCIDENT, tx_json_str(inc.obj, "name") ?
			   tx_json_str(inc.obj, "name") : id);
	console_html_put(p, "<dl class=\"facts\"><dt>TLP</dt><dd>");
	console_html_tlp(p, fed_tlp_of(inc.obj));
	console_html_put(p, "</dd><dt>%L</dt><dd>", L_ORIGIN);
	console_html_origin(p, &inc.row);
	console_html_put(p, "</dd><dt>%L</dt><dd>", L_ADDED);
	console_html_time(p, inc.row.date_added);
	console_html_put(p, "</dd><dt>%L</dt><dd><a href=\"/console/object/%u\">%s"
		 "</a></dd></dl>", L_OBJECT, id, id);
	if (tx_json_str(inc.obj, "description"))
		console_html_put(p, "<h2>%L</h2><p class=\"desc\">%s</p>",
			 L_DESCRIPTION, tx_json_str(inc.obj, "description"));
	if ((rc = policy_incident_from_objects(objects, id, &pi, &err)) != TX_OK) {
		console_html_put(p, "<p class=\"error\" id=\"assess-error\">%L %s</p>",
			 L_CANNOT_ASSESS, err.msg);
	} else if ((rc = policy_view_load(p, &pv, &err)) != TX_OK) {
		if (rc == TX_ERR_NOTFOUND)
			console_html_put(p, "<p class=\"error\" id=\"no-policy\">%L</p>",
				 L_NO_POLICY);
		else
			console_html_put(p, "<p class=\"error\">%L %s</p>", L_FAILED,
				 err.msg);
	} else if (policy_assess(pv.pol, pi, &pv.standing, &res, &err) != TX_OK) {
		console_html_put(p, "<p class=\"error\">%L %s</p>", L_CANNOT_ASSESS,
			 err.msg);
	} else {
		html_result(p, res);
		html_policy(p, res, &pv);
	}
	console_html_put(p, "<h2>%L</h2><div class=\"scroll\"><table id=\"assessments\">"
		 "<thead><tr><th scope=\"col\">%L</th><th scope=\"col\">TLP</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th></tr></thead><tbody>", L_STORED, L_ADDED,
		 L_DECISION, L_LEVEL, L_POLICY, L_ORIGIN, L_OBJECT);
	assessments_find(p, r, id, 1, &a);
	if (a.n == 0)
		console_html_put(p, "<tr><td colspan=\"7\">%L</td></tr>", L_NONE);
	console_html_put(p, "</tbody></table></div>");
	if ((why = may_correct(p, r, &inc)) >= 0)
		console_html_put(p, "<p class=\"hint\" id=\"no-form\">%L</p>", why);
	else
		facts_form(p, id, inc.obj);
	json_decref(res);
	policy_incident_free(pi);
	policy_view_free(&pv);
	json_decref(objects);
	json_decref(inc.obj);
	console_page_end(p);
	console_page_send(p, 200);
}

/* ---- correcting the facts ---- */

/* Set or remove (an empty field) member name of facts from the form; a
 * value that is not what the fact takes names the field in why. */
static int fact_field(const struct page *p, json_t *facts, const char *name,
		      int kind, char *why, size_t why_n)
{
	char v[128], *end = NULL;

	if (console_form_field(p->rq->body, p->rq->body_len, name, v, sizeof(v)) != 0 ||
	    v[0] == '\0') {
		json_object_del(facts, name);
		return 0;
	}
	switch (kind) {
	case 'i': {
		long long n = strtoll(v, &end, 10);
		if (end == v || *end != '\0' || n < 0 || n > 1000000000LL)
			goto bad;
		json_object_set_new(facts, name, json_integer(n));
		return 0;
	}
	case 'n': {
		double d = strtod(v, &end);
		if (end == v || *end != '\0' || !isfinite(d) || d < 0)
			goto bad;
		json_object_set_new(facts, name, json_real(d));
		return 0;
	}
	case 'b':
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			goto bad;
		json_object_set_new(facts, name, json_boolean(v[0] == 't'));
		return 0;
	default:
		json_object_set_new(facts, name, json_string(v));
		return 0;
	}
bad:
	snprintf(why, why_n, "%s: \"%.60s\" is not a %s", name, v,
		 kind == 'i' ? "whole number 0 or more" : kind == 'n' ?
		 "number 0 or more" : "choice of the list");
	return -1;
}

/* A new version of the incident inc with the form's facts (caller frees),
 * or NULL with why filled. */
static json_t *corrected(const struct page *p, const json_t *inc, char *why,
			 size_t why_n)
{
	static const struct { const char *name; int kind; } fields[] = {
		{ "deaths", 'i' }, { "injuries", 'i' }, { "causation", 's' },
		{ "critical_infrastructure", 'b' }, { "national_importance", 'b' },
		{ "military_nexus", 's' }, { "onset_hours", 'n' },
	};
	unsigned long jf = tx_json_failures();
	char now[TX_TIME_BUF];
	json_t *o = json_deep_copy(inc), *exts, *facts, *sa;

	if (o == NULL) {
		snprintf(why, why_n, "out of memory");
		return NULL;
	}
	if (!json_is_object(exts = json_object_get(o, "extensions"))) {
		exts = json_object();
		json_object_set_new(o, "extensions", exts);
	}
	if (!json_is_object(facts = json_object_get(exts, POLICY_EXT_FACTS))) {
		facts = json_pack("{s:s}", "extension_type", "property-extension");
		json_object_set_new(exts, POLICY_EXT_FACTS, facts);
	}
	if (!json_is_object(facts)) {
		snprintf(why, why_n, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fact_field(p, facts, fields[i].name, fields[i].kind, why,
			       why_n) != 0)
			goto fail;
	if (!json_is_object(sa = json_object_get(facts, "state_attribution"))) {
		sa = json_object();
		json_object_set_new(facts, "state_attribution", sa);
	}
	if (fact_field(p, sa, "state", 's', why, why_n) != 0 ||
	    fact_field(p, sa, "confidence", 'i', why, why_n) != 0)
		goto fail;
	if (json_object_size(sa) == 0)
		json_object_del(facts, "state_attribution");
	tx_time_format_ms(tx_time_now_us(), now);
	if (tx_json_str(inc, "modified") &&
	    strcmp(now, tx_json_str(inc, "modified")) <= 0) {
		snprintf(why, why_n, "modified: the stored version (%s) is not"
			 " older than now", tx_json_str(inc, "modified"));
		goto fail;
	}
	json_object_set_new(o, "modified", json_string(now));
	/* a fact the form gave but memory lost would be stored as not given */
	if ((o = tx_json_whole(jf, o)) == NULL)
		snprintf(why, why_n, "out of memory");
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* POST /console/incident/ID: the form's facts as a new version of the
 * incident, marked as its sources are, then its assessment stored beside
 * it; nothing is stored when a fact is not valid. */
static void post_incident(struct page *p, const char *id, const struct readable *r)
{
	const struct taxii_ext_request *rq = p->rq;
	struct console_object inc = { 0 };
	struct policy_view pv = { 0 };
	struct tx_error err = { 0 };
	policy_incident *pi = NULL;
	json_t *objects = NULL, *fixed = NULL, *res = NULL, *note = NULL;
	unsigned status;
	char why[TX_ERROR_MSG_MAX] = "", loc[300];
	int deny;

	if ((objects = incident_objects(p, r, id, &inc, &status)) == NULL) {
		console_page_message(p, status, status == 404 ? L_NOT_FOUND :
				     L_FAILED);
		return;
	}
	if ((deny = may_correct(p, r, &inc)) >= 0) {
		console_page_message(p, 403, deny);
		goto out;
	}
	if ((fixed = corrected(p, inc.obj, why, sizeof(why))) == NULL)
		goto bad;
	/* else the stored version would be assessed as the corrected one */
	if (json_array_set(objects, 0, fixed) != 0) {
		snprintf(why, sizeof(why), "out of memory");
		goto bad;
	}
	if (policy_incident_from_objects(objects, id, &pi, &err) != TX_OK) {
		snprintf(why, sizeof(why), "%s", err.msg);
		goto bad;
	}
	if (policy_view_load(p, &pv, &err) != TX_OK ||
	    policy_assess(pv.pol, pi, &pv.standing, &res, &err) != TX_OK ||
	    /* marked as its sources: every stored version of the incident
	     * and of its impacts, and the new one */
	    policy_note_mark(rq->st, pi, rq->cfg->party, fixed, &err) != TX_OK ||
	    policy_store_object(rq->st, inc.coll, &p->s.user, fixed, &err) != TX_OK ||
	    policy_result_note(res, rq->cfg->party, &note, &err) != TX_OK ||
	    policy_note_mark(rq->st, pi, rq->cfg->party, note, &err) != TX_OK ||
	    policy_store_object(rq->st, inc.coll, &p->s.user, note, &err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "console: assessing %s: %s", id, err.msg);
		snprintf(why, sizeof(why), "%s", err.msg);
		goto bad;
	}
	tx_log(TX_LOG_INFO, "console: %s corrected the facts of %s and stored"
	       " assessment %s", p->s.user.name, id, tx_json_str(note, "id"));
	snprintf(loc, sizeof(loc), "/console/incident/%s", id);
	console_page_redirect(p, loc);
	goto out;
bad:
	tx_buf_free(&p->b);
	tx_buf_init(&p->b, CONSOLE_PAGE_MAX);
	console_page_begin(p, L_FAILED, NULL);
	console_html_put(p, "<p class=\"error\" role=\"alert\" id=\"fact-error\">"
		 "%L %s</p><p><a href=\"/console/incident/%u\">%L</a></p>",
		 L_BAD_FACT, why, id, L_INCIDENT);
	console_page_end(p);
	console_page_send(p, 400);
out:
	json_decref(note);
	json_decref(res);
	json_decref(fixed);
	json_decref(objects);
	json_decref(inc.obj);
	policy_incident_free(pi);
	policy_view_free(&pv);
}

/* ---- an incident from an alert ---- */

#define INCIDENTS_ALIAS "incidents"

/* POST /console/incident-from/ALERT: a new incident of this node about
 * the alert (its name and description, every fact unknown), marked as
 * the alert is (fed_derive_stored: RED stays with its recipients),
 * stored in "incidents" (shared as TLP allows, like "alerts"); then its
 * page, where the facts are entered. */
static void post_from_alert(struct page *p, const char *id, const struct readable *r)
{
	const struct taxii_ext_request *rq = p->rq;
	const char *about[1] = { id };
	const struct store_collection *c;
	struct store_collection coll;
	struct console_object a = { 0 };
	struct readable now_r = { 0 };
	struct tx_error err = { 0 };
	char now[TX_TIME_BUF], uuid[TX_UUID_BUF], iid[96], name[600], loc[300];
	json_t *inc = NULL;

	if (console_object_load(p, r, id, 0, &a) != 0 ||
	    strcmp(tx_json_str(a.obj, "type") ? tx_json_str(a.obj, "type") : "",
		   "report") != 0) {
		console_page_message(p, 404, L_NOT_FOUND);
		goto out;
	}
	if (!store_user_may(&p->s.user, TX_RIGHT_ASSESS)) {
		console_page_message(p, 403, L_NO_RIGHT_ASSESS);
		goto out;
	}
	if (store_collection_ensure(rq->st, "Incidents", "incidents this node"
				    " opened", INCIDENTS_ALIAS, &coll, &err) != TX_OK ||
	    console_readable_load(rq->st, &p->s.user, &now_r) != TX_OK) {
		tx_log(TX_LOG_ERROR, "console: incidents collection: %s", err.msg);
		console_page_message(p, 500, L_FAILED);
		goto out;
	}
	if ((c = console_readable_find(&now_r, coll.pk)) == NULL || !c->can_write) {
		console_page_message(p, 403, L_NO_INCIDENTS_WRITE);
		goto out;
	}
	tx_time_format_ms(tx_time_now_us(), now);
	tx_uuid4(uuid);
	snprintf(iid, sizeof(iid), "incident--%s", uuid);
	tx_strfmt(name, sizeof(name), "%s", tx_json_str(a.obj, "name") ?
		  tx_json_str(a.obj, "name") : id);
	inc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s*, s:s, s:{s:{s:s, s:s,"
			" s:s, s:[]}, s:{s:s}}}",
			"type", "incident", "spec_version", "2.1", "id", iid,
			"created", now, "modified", now, "name", name,
			"description", tx_json_str(a.obj, "description"),
			"x_trilex_alert_ref", id, "extensions", INCIDENT_CORE_EXT,
			"extension_type", "property-extension", "determination",
			"suspected", "investigation_status", "new", "impact_refs",
			POLICY_EXT_FACTS, "extension_type", "property-extension");
	if (inc == NULL ||
	    fed_derive_stored(rq->st, about, 1, NULL, 0, rq->cfg->party, inc,
			      NULL, &err) != TX_OK ||
	    policy_store_object(rq->st, coll.pk, &p->s.user, inc, &err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "console: incident from %s: %s", id, err.msg);
		console_page_message(p, 500, L_FAILED);
		goto out;
	}
	tx_log(TX_LOG_INFO, "console: %s opened %s from alert %s", p->s.user.name,
	       iid, id);
	snprintf(loc, sizeof(loc), "/console/incident/%s", iid);
	console_page_redirect(p, loc);
out:
	json_decref(inc);
	json_decref(a.obj);
	console_readable_free(&now_r);
}

const struct console_route console_incident_routes[] = {
	{ "GET", "incidents", page_incidents, CONSOLE_REPLICA },
	{ "GET", "incident/", page_incident, CONSOLE_REPLICA },
	{ "POST", "incident/", post_incident, 0 },
	{ "POST", "incident-from/", post_from_alert, 0 },
	{ 0 },
};
