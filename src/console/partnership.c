/*
 * console/partnership.c: the partnership on the partners page.
 *
 * Who is in it and in what role, as this node has them pinned (store's
 * peers: members, observers, suspended parties, with the role a
 * suspended party had, its certificate and signing key as pinned from
 * its card), and the open proposals to admit, suspend, reinstate or
 * remove a party (watch/partners.c), each with its tally and, for a
 * user with TX_RIGHT_VOTE, the vote form. The proposals and the form are
 * the watch page's (console_watch_proposal, watch.c): one vote code,
 * POST /console/vote/ID, CSRF-checked by the router; the vote sends the
 * user back here.
 */
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "watch/watch.h"

static int role_label(const char *role)
{
	return strcmp(role, STORE_PARTY_OBSERVER) == 0 ? L_ROLE_OBSERVER :
	       strcmp(role, STORE_PARTY_SUSPENDED) == 0 ? L_ROLE_SUSPENDED :
							  L_ROLE_MEMBER;
}

/* The rows of peers of role (members first, then observers, suspended). */
static void rows_of(struct page *p, const struct store_peer *peers, size_t n,
		    const char *role)
{
	for (size_t i = 0; i < n; i++) {
		const struct store_peer *x = &peers[i];
		if (strcmp(x->role, role) != 0)
			continue;
		console_html_put(p, "<tr id=\"party-%s\"><td>%s</td><td>%s</td>"
			 "<td>%L", x->party, x->party, x->name, role_label(x->role));
		if (strcmp(x->role, STORE_PARTY_SUSPENDED) == 0 &&
		    store_peer_role_valid(x->held_role))
			console_html_put(p, " (%L: %L)", L_ROLE_BEFORE,
				 role_label(x->held_role));
		console_html_put(p, "</td><td><code>sha256:%s</code></td><td><code>"
			 "ed25519:%s</code></td></tr>", x->cert_fp, x->sign_pk);
	}
}

static void members_table(struct page *p, const struct store_peer *peers,
			  size_t n)
{
	static const char *const order[] = { STORE_PARTY_MEMBER,
		STORE_PARTY_OBSERVER, STORE_PARTY_SUSPENDED };

	console_html_put(p, "<h2 id=\"h-partnership\">%L</h2><div class=\"scroll\">"
		 "<table id=\"partnership\"><thead><tr><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th>"
		 "<th scope=\"col\">%L</th><th scope=\"col\">%L</th></tr></thead>"
		 "<tbody><tr id=\"party-%s\"><td>%s</td><td>%L</td><td>%L</td>"
		 "<td>-</td><td>-</td></tr>", L_PARTNERSHIP, L_PARTNER, L_NAME,
		 L_ROLE, L_CERT_FP, L_SIGNING_KEY, p->rq->cfg->party,
		 p->rq->cfg->party, L_THIS_NODE, L_ROLE_MEMBER);
	for (size_t k = 0; k < 3; k++)
		rows_of(p, peers, n, order[k]);
	console_html_put(p, "</tbody></table></div>");
}

void console_html_partnership(struct page *p, const struct readable *r)
{
	struct store_peer *peers = NULL;
	struct tx_error err = { 0 };
	watch_state *ws = NULL;
	json_t *state = NULL;
	const json_t *pr;
	size_t n = 0, i, n_open = 0;
	int64_t now = 0;

	if (store_peer_list(p->rq->st, &peers, &n) != TX_OK) {
		console_page_read_failed(p, "partnership", NULL);
		return;
	}
	members_table(p, peers, n);
	free(peers);
	console_html_put(p, "<h2 id=\"h-partner-proposals\">%L</h2>",
			 L_PARTNER_PROPOSALS);
	if (!console_watch_may_read(p, r)) {
		console_html_put(p, "<p class=\"hint\">%L</p>", L_NO_WATCH_ACCESS);
		return;
	}
	if (watch_now(&now, &err) != TX_OK ||
	    watch_state_load(p->rq->st, p->rq->cfg->party, now, &ws, &err) !=
	    TX_OK || (state = watch_state_json(ws)) == NULL) {
		console_page_read_failed(p, "partners: the watch state", &err);
		watch_state_free(ws);
		return;
	}
	json_array_foreach(json_object_get(state, "proposals"), i, pr)
		if (tx_json_str(pr, "state") && tx_json_str(pr, "subject") &&
		    strcmp(tx_json_str(pr, "state"), "open") == 0 &&
		    strcmp(tx_json_str(pr, "subject"), "partner") == 0) {
			console_watch_proposal(p, pr, "partners");
			n_open++;
		}
	if (n_open == 0)
		console_html_put(p, "<p>%L</p>", L_NONE);
	json_decref(state);
	watch_state_free(ws);
}
