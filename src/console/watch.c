/*
 * console/watch.c: the watch list, the areas of responsibility and the
 * open proposals, with voting.
 *
 * /console/watch shows the state watch/ computes from every proposal and
 * vote the node holds (watch_state_load, watch_state_json): entries by
 * name with their risk, responsible party, state and review date (past
 * it: overdue, in red), the AOR assignments, and each open proposal with
 * its rationale, tally and comments. The page is for roles that take
 * part in watch-list work and users granted the collection "watch". A vote
 * is this node's party's (watch_vote, as `trilex vote`), so only roles
 * with TX_RIGHT_VOTE (duty officers, admins) may cast it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "watch/watch.h"

/* The comment a vote may carry (watch/ refuses longer ones). */
#define VOTE_COMMENT_MAX 1024

/* Whether the user may see the watch state: a role that takes part in
 * watch-list work (analysts, duty officers, admins: TX_RIGHT_PROPOSE),
 * or a grant on the collection proposals and votes are made in. */
int console_watch_may_read(const struct page *p, const struct readable *r)
{
	if (store_user_may(&p->s.user, TX_RIGHT_PROPOSE))
		return 1;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->c[i].alias, WATCH_COLLECTION) == 0)
			return 1;
	return 0;
}

static void html_parties(struct page *p, const json_t *list)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		console_html_put(p, "%s%s", i ? ", " : "", json_string_value(v));
	if (json_array_size(list) == 0)
		console_html_put(p, "-");
}

/* A review date; past it (or an entry past review) in red. */
static void html_review(struct page *p, const json_t *e)
{
	const char *review = tx_json_str(e, "review");
	const char *state = tx_json_str(e, "state") ? tx_json_str(e, "state") : "";
	int64_t t = 0;

	if (review == NULL) {
		console_html_put(p, "-");
		return;
	}
	if ((tx_time_parse(review, &t, NULL) == TX_OK && t < p->now) ||
	    strcmp(state, "under-review") == 0 || strcmp(state, "expired") == 0) {
		console_html_put(p, "<span class=\"overdue\">");
		console_html_time(p, t);
		console_html_put(p, " (%L)</span>", L_OVERDUE);
		return;
	}
	console_html_time(p, t);
}

static const char *duty_name(const json_t *duty)
{
	return json_is_string(duty) ? json_string_value(duty) :
	       tx_json_str(duty, "name");
}

static void entries_table(struct page *p, const json_t *entries)
{
	const json_t *e;
	size_t i;

	console_html_put(p, "<h2>%L</h2><div class=\"scroll\"><table id=\"watch-entries\">"
		 "<thead><tr><th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th></tr></thead><tbody>", L_WATCH_LIST,
		 L_NAME, L_TYPE, L_RISK, L_RESPONSIBLE, L_ENTRY_STATE, L_REVIEW,
		 L_EXPIRES);
	json_array_foreach(entries, i, e) {
		const char *name = tx_json_str(e, "target_name");
		const json_t *duty = json_object_get(e, "duty");
		int64_t t = 0;
		console_html_put(p, "<tr><td><a href=\"/console/object/%u\">%s</a></td>"
			 "<td>%s</td><td>%s</td><td>%s", tx_json_str(e, "target_ref"),
			 name ? name : tx_json_str(e, "key"),
			 tx_json_str(e, "target_type"), tx_json_str(e, "risk") ?
			 tx_json_str(e, "risk") : "-",
			 tx_json_str(e, "responsible_party") ?
			 tx_json_str(e, "responsible_party") : "-");
		if (duty_name(duty))
			console_html_put(p, " (%L: %s)", L_DUTY, duty_name(duty));
		console_html_put(p, "</td><td>%s</td><td>", tx_json_str(e, "state"));
		html_review(p, e);
		console_html_put(p, "</td><td>");
		if (tx_json_str(e, "expires") &&
		    tx_time_parse(tx_json_str(e, "expires"), &t, NULL) == TX_OK)
			console_html_time(p, t);
		else
			console_html_put(p, "-");
		console_html_put(p, "</td></tr>");
	}
	if (json_array_size(entries) == 0)
		console_html_put(p, "<tr><td colspan=\"7\">%L</td></tr>", L_NONE);
	console_html_put(p, "</tbody></table></div>");
}

static void aor_table(struct page *p, const json_t *aor)
{
	const json_t *e;
	size_t i;

	console_html_put(p, "<h2>%L</h2><div class=\"scroll\"><table id=\"aor\">"
		 "<thead><tr><th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th></tr></thead>"
		 "<tbody>", L_AOR, L_SCOPE, L_RESPONSIBLE, L_BACKUP, L_DUTY,
		 L_ENTRY_STATE, L_REVIEW);
	json_array_foreach(aor, i, e) {
		const char *duty = duty_name(json_object_get(e, "duty"));
		console_html_put(p, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s %s"
			 "</td><td>%s</td><td>", tx_json_str(e, "key"),
			 tx_json_str(e, "responsible_party") ?
			 tx_json_str(e, "responsible_party") : "-",
			 tx_json_str(e, "backup_party") ?
			 tx_json_str(e, "backup_party") : "-", duty ? duty : "-",
			 tx_json_str(json_object_get(e, "duty"), "contact") ?
			 tx_json_str(json_object_get(e, "duty"), "contact") : "",
			 tx_json_str(e, "state"));
		html_review(p, e);
		console_html_put(p, "</td></tr>");
	}
	if (json_array_size(aor) == 0)
		console_html_put(p, "<tr><td colspan=\"6\">%L</td></tr>", L_NONE);
	console_html_put(p, "</tbody></table></div>");
}

static int lists(const json_t *list, const char *party)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), party) == 0)
			return 1;
	return 0;
}

void console_watch_proposal(struct page *p, const json_t *pr, const char *back)
{
	const char *id = tx_json_str(pr, "id"), *self = p->rq->cfg->party;
	const char *name = tx_json_str(pr, "target_name");
	const json_t *c;
	int64_t t = 0;
	size_t i;

	console_html_put(p, "<section class=\"proposal\" id=\"p-%s\" aria-labelledby="
		 "\"h-%s\"><h3 id=\"h-%s\">%s %s: %s</h3><dl class=\"facts\">"
		 "<dt>%L</dt><dd>%s</dd><dt>%L</dt><dd>", id, id, id,
		 tx_json_str(pr, "subject"), tx_json_str(pr, "change"),
		 name ? name : tx_json_str(pr, "key"), L_PROPOSER,
		 tx_json_str(pr, "proposer"), L_ADDED);
	if (tx_json_str(pr, "created") &&
	    tx_time_parse(tx_json_str(pr, "created"), &t, NULL) == TX_OK)
		console_html_time(p, t);
	console_html_put(p, "</dd><dt>%L</dt><dd>%s</dd><dt>%L</dt><dd>%s</dd>"
		 "<dt>%L</dt><dd>%s</dd><dt>%L</dt><dd>",
		 L_RATIONALE, tx_json_str(pr, "rationale") ?
		 tx_json_str(pr, "rationale") : "-", L_RISK,
		 tx_json_str(pr, "risk") ? tx_json_str(pr, "risk") : "-",
		 L_RESPONSIBLE, tx_json_str(pr, "responsible_party") ?
		 tx_json_str(pr, "responsible_party") : "-", L_VOTE_UNTIL);
	if (tx_json_str(pr, "vote_until") &&
	    tx_time_parse(tx_json_str(pr, "vote_until"), &t, NULL) == TX_OK)
		console_html_time(p, t);
	if (tx_json_str(pr, "role")) /* a partner proposal's */
		console_html_put(p, "</dd><dt>%L</dt><dd>%s", L_ROLE,
			 tx_json_str(pr, "role"));
	console_html_put(p, "</dd><dt>%L</dt><dd class=\"tally\">%L: %l / %l %L"
		 " (", L_VOTES, L_APPROVE,
		 (int64_t)json_array_size(json_object_get(pr, "approved_by")),
		 (int64_t)json_integer_value(json_object_get(pr, "quorum")),
		 L_APPROVALS_OF);
	html_parties(p, json_object_get(pr, "approved_by"));
	console_html_put(p, "); %L: %l (",
		 L_REJECT, (int64_t)json_array_size(json_object_get(pr, "rejected_by")));
	html_parties(p, json_object_get(pr, "rejected_by"));
	console_html_put(p, ")</dd></dl>");
	if (json_array_size(json_object_get(pr, "comments")) > 0) {
		console_html_put(p, "<ul class=\"comments\">");
		json_array_foreach(json_object_get(pr, "comments"), i, c)
			console_html_put(p, "<li><strong>%s</strong> (%s): %s</li>",
				 tx_json_str(c, "party"), tx_json_str(c, "decision"),
				 tx_json_str(c, "comment"));
		console_html_put(p, "</ul>");
	}
	if (lists(json_object_get(pr, "approved_by"), self) ||
	    lists(json_object_get(pr, "rejected_by"), self)) {
		console_html_put(p, "<p class=\"hint\">%L</p>", L_VOTED);
	} else if (!store_user_may(&p->s.user, TX_RIGHT_VOTE)) {
		console_html_put(p, "<p class=\"hint\">%L</p>", L_NO_RIGHT_VOTE);
	} else if (lists(json_object_get(pr, "parties"), self)) {
		console_html_put(p, "<form class=\"inline vote\" method=\"post\""
			 " action=\"/console/vote/%u\"><input type=\"hidden\""
			 " name=\"csrf\" value=\"%s\">", id, p->csrf);
		if (back != NULL)
			console_html_put(p, "<input type=\"hidden\" name=\"back\""
				 " value=\"%s\">", back);
		console_html_put(p, "<label for=\"c-%s\">%L</label>"
			 "<input id=\"c-%s\" name=\"comment\" maxlength=\"1024\">"
			 "<button type=\"submit\" name=\"decision\" value=\"approve\">"
			 "%L</button><button type=\"submit\" name=\"decision\""
			 " value=\"reject\">%L</button></form>", id, L_COMMENT, id,
			 L_APPROVE, L_REJECT);
	}
	console_html_put(p, "</section>");
}

static void page_watch(struct page *p, const char *arg, const struct readable *r)
{
	struct tx_error err = { 0 };
	watch_state *ws = NULL;
	json_t *state = NULL;
	const json_t *pr;
	int64_t now = 0;
	size_t i, n_open = 0;

	(void)arg;
	if (!console_watch_may_read(p, r)) {
		console_page_message(p, 403, L_NO_WATCH_ACCESS);
		return;
	}
	if (watch_now(&now, &err) != TX_OK ||
	    watch_state_load(p->rq->st, p->rq->cfg->party, now, &ws, &err) != TX_OK ||
	    (state = watch_state_json(ws)) == NULL) {
		tx_log(TX_LOG_ERROR, "console watch: %s", err.msg);
		watch_state_free(ws);
		console_page_message(p, 500, L_FAILED);
		return;
	}
	console_page_begin(p, L_WATCH, NULL);
	entries_table(p, json_object_get(state, "entries"));
	aor_table(p, json_object_get(state, "aor"));
	console_html_put(p, "<h2 id=\"h-proposals\">%L</h2>", L_OPEN_PROPOSALS);
	json_array_foreach(json_object_get(state, "proposals"), i, pr)
		if (tx_json_str(pr, "state") &&
		    strcmp(tx_json_str(pr, "state"), "open") == 0) {
			console_watch_proposal(p, pr, NULL);
			n_open++;
		}
	if (n_open == 0)
		console_html_put(p, "<p>%L</p>", L_NONE);
	json_decref(state);
	watch_state_free(ws);
	console_page_end(p);
	console_page_send(p, 200);
}

/* POST /console/vote/PROPOSAL: decision=approve|reject, comment. */
static void post_vote(struct page *p, const char *id, const struct readable *r)
{
	const struct taxii_ext_request *rq = p->rq;
	char decision[16], comment[VOTE_COMMENT_MAX + 1], vid[100], loc[300];
	char back[16];
	struct tx_error err = { 0 };
	int64_t now = 0;

	if (!console_watch_may_read(p, r)) {
		console_page_message(p, 403, L_NO_WATCH_ACCESS);
		return;
	}
	if (!store_user_may(&p->s.user, TX_RIGHT_VOTE)) {
		console_page_message(p, 403, L_NO_RIGHT_VOTE);
		return;
	}
	if (console_form_field(rq->body, rq->body_len, "decision", decision,
			       sizeof(decision)) != 0 ||
	    (strcmp(decision, "approve") != 0 && strcmp(decision, "reject") != 0)) {
		console_page_message(p, 400, L_FAILED);
		return;
	}
	if (console_form_field(rq->body, rq->body_len, "comment", comment,
			       sizeof(comment)) != 0)
		comment[0] = '\0';
	if (watch_now(&now, &err) != TX_OK ||
	    watch_vote(rq->st, rq->cfg->party, now, id, decision[0] == 'a',
		       comment[0] ? comment : NULL, vid, &err) != TX_OK) {
		tx_buf_free(&p->b);
		tx_buf_init(&p->b, CONSOLE_PAGE_MAX);
		console_page_begin(p, L_FAILED, NULL);
		console_html_put(p, "<p class=\"error\" role=\"alert\" id=\"vote-error\">"
			 "%L %s</p><p><a href=\"/console/watch\">%L</a></p>",
			 L_VOTE_FAILED, err.msg, L_WATCH);
		console_page_end(p);
		console_page_send(p, 409);
		return;
	}
	tx_log(TX_LOG_INFO, "console: %s voted %s on %s for %s (%s)", p->s.user.name,
	       decision, id, rq->cfg->party, vid);
	/* back to the page the vote was cast from */
	if (console_form_field(rq->body, rq->body_len, "back", back,
			       sizeof(back)) != 0 || strcmp(back, "partners") != 0)
		snprintf(back, sizeof(back), "watch");
	snprintf(loc, sizeof(loc), "/console/%s#p-%s", back, id);
	console_page_redirect(p, loc);
}

const struct console_route console_watch_routes[] = {
	{ "GET", "watch", page_watch, CONSOLE_REPLICA },
	{ "POST", "vote/", post_vote, 0 },
	{ 0 },
};
