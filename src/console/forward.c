/*
 * console/forward.c: forwarding a partner's alert to another partner from
 * its page (issue 16, item 3).
 *
 * The alert page of a partner's alert has a "forward to a partner"
 * section: at TLP:CLEAR and GREEN a form listing the pinned partners that
 * may be sent it (not this node, not the origin, not a recipient the
 * origin named, not a suspended partner, not one pinned by key only),
 * for roles with TX_RIGHT_ALERT; at AMBER and RED a line saying that they
 * are the origin's to share, and for an alert whose origin named its
 * recipients a line saying that only the origin may send it further. POST /console/forward/ID (to=PARTY) runs
 * fed_forward (federation/relay.c), which decides everything again and
 * records the forward in the audit trail as "user:NAME"; a refusal is
 * shown with federation's reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"

/* Whether p may be offered as a partner to forward o (made by origin) to. */
static int offer(const struct store_peer *p, const json_t *o, const char *origin,
		 const char *self)
{
	const json_t *v;
	size_t i;

	if (strcmp(p->party, origin) == 0 || strcmp(p->party, self) == 0 ||
	    strcmp(p->role, STORE_PARTY_SUSPENDED) == 0 || p->url[0] == '\0')
		return 0;
	json_array_foreach(json_object_get(o, FED_RECIPIENTS), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), p->party) == 0)
			return 0;
	return 1;
}

static void forward_form(struct page *p, const struct console_object *a,
			 const char *id)
{
	struct store_peer *peers = NULL;
	size_t n = 0, shown = 0;

	if (store_peer_list(p->rq->st, &peers, &n) != TX_OK)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		if (!offer(&peers[i], a->obj, a->origin, p->rq->cfg->party))
			continue;
		if (shown++ == 0)
			console_html_put(p, "<form method=\"post\" action=\"/console/"
				 "forward/%u\"><input type=\"hidden\" name=\"csrf\""
				 " value=\"%s\"><label for=\"forward-to\">%L</label> "
				 "<select id=\"forward-to\" name=\"to\">", id, p->csrf,
				 L_FORWARD_TO);
		console_html_put(p, "<option value=\"%s\">%s (%s)</option>",
				 peers[i].party, peers[i].name, peers[i].party);
	}
	if (shown > 0)
		console_html_put(p, "</select> <button type=\"submit\" id=\"forward\">"
				 "%L</button></form>", L_FORWARD);
	else
		console_html_put(p, "<p class=\"hint\" id=\"forward-none\">%L</p>",
				 L_FORWARD_NONE);
	free(peers);
}

void console_html_forward(struct page *p, const struct console_object *a,
			  const char *id)
{
	const char *done = taxii_ext_arg(p->rq, "forwarded");
	enum fed_tlp t = fed_tlp_of(a->obj);

	if (a->origin[0] == '\0')
		return; /* this node's own: delivery takes it to partners */
	console_html_put(p, "<section id=\"forward-section\" aria-labelledby="
			 "\"h-forward\"><h2 id=\"h-forward\">%L</h2>", L_FORWARD_H);
	if (done != NULL && tx_party_valid(done))
		console_html_put(p, "<p class=\"ok\" role=\"status\" id=\"forwarded\">"
				 "%L %s</p>", L_FORWARDED, done);
	if (t != FED_TLP_CLEAR && t != FED_TLP_GREEN)
		console_html_put(p, "<p class=\"hint\" id=\"forward-tlp\">%L</p>",
				 L_FORWARD_TLP);
	else if (json_array_size(json_object_get(a->obj, FED_RECIPIENTS)) > 0)
		console_html_put(p, "<p class=\"hint\" id=\"forward-named\">%L</p>",
				 L_FORWARD_NAMED);
	else if (!store_user_may(&p->s.user, TX_RIGHT_ALERT))
		console_html_put(p, "<p class=\"hint\">%L</p>", L_NO_RIGHT_FORWARD);
	else
		forward_form(p, a, id);
	console_html_put(p, "</section>");
}

/* A refused forward: the label, and federation's reason as text. */
static void refused(struct page *p, unsigned status, const char *why)
{
	tx_buf_free(&p->b);
	tx_buf_init(&p->b, CONSOLE_PAGE_MAX);
	p->rc = TX_OK;
	console_page_begin(p, L_FAILED, NULL);
	console_html_put(p, "<p class=\"error\" role=\"alert\">%L</p><p id=\"why\">"
			 "%s</p>", L_FORWARD_REFUSED, why);
	console_page_end(p);
	console_page_send(p, status);
}

/* POST /console/forward/ID: to=PARTY. */
static void post_forward(struct page *p, const char *id, const struct readable *r)
{
	const struct taxii_ext_request *rq = p->rq;
	struct console_object a;
	struct fed_forwarded fw;
	struct tx_error err = { 0 };
	char to[TX_PARTY_MAX], actor[160], loc[400];

	if (console_object_load(p, r, id, 0, &a) != 0) {
		console_page_message(p, 404, L_NOT_FOUND);
		return;
	}
	json_decref(a.obj);
	if (!store_user_may(&p->s.user, TX_RIGHT_ALERT)) {
		console_page_message(p, 403, L_NO_RIGHT_FORWARD);
		return;
	}
	if (console_form_field(rq->body, rq->body_len, "to", to, sizeof(to)) != 0 ||
	    !tx_party_valid(to)) {
		refused(p, 400, "to: a partner's party code is required");
		return;
	}
	snprintf(actor, sizeof(actor), "user:%s", p->s.user.name);
	if (fed_forward(rq->dir, rq->cfg, rq->st, r->pks, r->n, id, to, actor, &fw,
			&err) != TX_OK) {
		refused(p, err.code == TX_ERR_DENIED ? 403 : err.code == TX_ERR_EXISTS ?
			409 : err.code == TX_ERR_IO ? 502 : 400, err.msg);
		return;
	}
	tx_log(TX_LOG_INFO, "console: %s forwarded %s to %s", p->s.user.name, id, to);
	snprintf(loc, sizeof(loc), "/console/alert/%s?forwarded=%s#forward-section",
		 id, to);
	console_page_redirect(p, loc);
}

const struct console_route console_forward_routes[] = {
	{ "POST", "forward/", post_forward, 0 },
	{ 0 },
};
