/*
 * federation/relay.c: passing a partner's alert on to another partner
 * (issue 16, item 3), and what a node takes from a partner that relays
 * another party's objects.
 *
 * Delivery sends only this node's own objects. A duty officer may also
 * forward an alert a partner sent here to a partner that did not receive
 * it (fed_forward: `trilex alert forward`, the console's alert page): the
 * report as it was stored, the origin's signature and all, with the
 * objects it refers to that the same origin signed, POSTed to the
 * partner's inbox for us. Only TLP:CLEAR and TLP:GREEN may be forwarded:
 * AMBER, AMBER+STRICT and RED are the origin's to share, and an unmarked
 * object counts as the node's default, AMBER. A partner the origin named
 * as a recipient got it from the origin; the origin itself and this node
 * are no one to forward to. Each forward is recorded in the audit trail
 * (who, to whom).
 *
 * The receiving side (fed_relay_check, called by fed_receive for every
 * object whose verified origin is not the partner that sent it) takes such
 * an object only at CLEAR or GREEN: a partner cannot launder what another
 * party marked AMBER or RED by passing it on, and cannot speak for it
 * either, since the origin's own signature under the origin's pinned key
 * is checked before (fed_verify). An object whose origin named its
 * recipients (FED_RECIPIENTS: `trilex alert --to`, at any TLP) is not
 * forwarded and not taken when relayed to a party outside that list:
 * the origin said who may have it, and TLP:GREEN's community sharing does
 * not widen that. A GREEN alert the origin sent to one partner only by
 * its collection's sharing (`collection share alerts UK`) names no
 * recipients, and may be passed on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/internal.h"

/* Most objects one forward carries: the report and what it refers to. */
#define RELAY_OBJECTS_MAX (FED_ALERT_ITEMS_MAX * 2 + 8)
/* Most bytes of a partner's answer to a forward that are read. */
#define RELAY_RESPONSE_MAX (256 * 1024)

/* The origin's named recipients of obj, as "UK,US" into out (n bytes):
 * 1 when it names any and self is not among them, else 0. */
static int named_without(const json_t *obj, const char *self, char *out,
			 size_t n)
{
	const json_t *v;
	size_t i, used = 0;
	int named = 0, in = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(obj, FED_RECIPIENTS), i, v) {
		const char *code = json_string_value(v);
		if (code == NULL)
			continue;
		named = 1;
		in |= self != NULL && strcmp(code, self) == 0;
		if (used + strlen(code) + 2 < n)
			used += (size_t)snprintf(out + used, n - used, "%s%s",
						 used ? "," : "", code);
	}
	return named && !in;
}

tx_err fed_relay_check(const json_t *obj, const char *origin, const char *from,
		       const char *self, struct tx_error *err)
{
	enum fed_tlp t = fed_tlp_of(obj);
	char named[128];

	if (json_object_get(obj, FED_LOCAL) != NULL &&
	    !json_is_false(json_object_get(obj, FED_LOCAL)))
		return tx_error_set(err, TX_ERR_DENIED, "relayed by %s but made to"
				    " stay with %s", from, origin);
	if (t != FED_TLP_CLEAR && t != FED_TLP_GREEN)
		return tx_error_set(err, TX_ERR_DENIED, "relayed by %s, made by %s:"
				    " only TLP:CLEAR and TLP:GREEN may be passed"
				    " on (this is TLP:%s, %s's to share)", from,
				    origin, t == FED_TLP_UNMARKED ? "unmarked" :
				    fed_tlp_name(t), origin);
	if (named_without(obj, self, named, sizeof(named)))
		return tx_error_set(err, TX_ERR_DENIED, "relayed by %s, made by %s"
				    " for %s only: the recipients %s named bind"
				    " whoever passes it on", from, origin, named,
				    origin);
	return TX_OK;
}

/* What fed_forward reads of the store: the last version of one object in
 * the collections listed, with its verified origin. */
struct relay_found {
	char *text;
	char origin[TX_PARTY_MAX];
	int nomem;
};

static int found_row(void *ctx, const struct store_row *row)
{
	struct relay_found *f = ctx;

	/* newest first: a partner's copy, and the first one seen */
	if (f->text != NULL || row->origin == NULL)
		return STORE_ROW_NEXT;
	if ((f->text = strndup(row->json, row->json_len)) == NULL) {
		f->nomem = 1;
		return STORE_ROW_FAIL;
	}
	snprintf(f->origin, sizeof(f->origin), "%s", row->origin);
	return STORE_ROW_NEXT;
}

static tx_err find_partner_copy(tx_store *st, const int64_t *pks, size_t n,
				const char *id, struct relay_found *f,
				struct tx_error *err)
{
	memset(f, 0, sizeof(*f));
	if (store_object_versions(st, pks, n, id, 0, found_row, f, NULL,
				  err) != TX_OK && !f->nomem)
		return err->code ? err->code : TX_ERR_DB;
	if (f->nomem)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return TX_OK;
}

/* Whether the forward of obj (made by origin) to party may go ahead. */
static tx_err forward_allowed(const tx_fed *fed, tx_store *st, const json_t *obj,
			      const char *origin, const char *to,
			      struct store_peer *peer, struct tx_error *err)
{
	enum fed_tlp t = fed_tlp_of(obj);
	const json_t *v;
	char named[128];
	size_t i;

	if (t != FED_TLP_CLEAR && t != FED_TLP_GREEN)
		return tx_error_set(err, TX_ERR_DENIED, "TLP:%s: only TLP:CLEAR and"
				    " TLP:GREEN alerts may be forwarded; AMBER and"
				    " RED are %s's to share (ask %s to send it to"
				    " %s)", t == FED_TLP_UNMARKED ? "unmarked (AMBER"
				    " by default)" : fed_tlp_name(t), origin,
				    origin, to);
	if (strcmp(to, fed->cfg.party) == 0)
		return tx_error_set(err, TX_ERR_INVALID, "%s is this node", to);
	if (strcmp(to, origin) == 0)
		return tx_error_set(err, TX_ERR_INVALID, "%s made it", to);
	json_array_foreach(json_object_get(obj, FED_RECIPIENTS), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), to) == 0)
			return tx_error_set(err, TX_ERR_EXISTS, "%s received it from"
					    " %s already", to, origin);
	if (named_without(obj, to, named, sizeof(named)))
		return tx_error_set(err, TX_ERR_DENIED, "%s sent it to %s only"
				    " (its named recipients): ask %s to send it to"
				    " %s", origin, named, origin, to);
	if (store_peer_find(st, to, NULL, NULL, peer) != TX_OK)
		return tx_error_set(err, TX_ERR_NOTFOUND, "%s is not a pinned"
				    " partner", to);
	if (strcmp(peer->role, STORE_PARTY_SUSPENDED) == 0)
		return tx_error_set(err, TX_ERR_DENIED, "%s is suspended by the"
				    " partnership", to);
	if (peer->url[0] == '\0')
		return tx_error_set(err, TX_ERR_INVALID, "%s has no address here"
				    " (pinned by key only)", to);
	return TX_OK;
}

/* The envelope: the report and the objects it refers to that the same
 * origin signed and that may be forwarded too, each as stored. */
static tx_err forward_body(tx_store *st, const int64_t *pks, size_t n,
			   const json_t *obj, const char *text,
			   const char *origin, const char *to, struct tx_buf *body,
			   size_t *count, struct tx_error *err)
{
	const json_t *ref;
	size_t i;

	*count = 1;
	if (tx_buf_puts(body, "{\"objects\":[") || tx_buf_puts(body, text))
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	json_array_foreach(json_object_get(obj, "object_refs"), i, ref) {
		struct relay_found f;
		json_t *o;
		int ok;

		if (!json_is_string(ref) || *count >= RELAY_OBJECTS_MAX ||
		    find_partner_copy(st, pks, n, json_string_value(ref), &f,
				      err) != TX_OK)
			continue;
		o = f.text ? tx_json_load(f.text, strlen(f.text), 0, NULL) : NULL;
		ok = o != NULL && strcmp(f.origin, origin) == 0 &&
		     fed_relay_check(o, origin, origin, to, NULL) == TX_OK;
		if (ok && (tx_buf_puts(body, ",") || tx_buf_puts(body, f.text))) {
			json_decref(o);
			free(f.text);
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		}
		*count += ok;
		json_decref(o);
		free(f.text);
	}
	return tx_buf_puts(body, "]}") ?
	       tx_error_set(err, TX_ERR_NOMEM, "out of memory") : TX_OK;
}

/* POST body to peer's inbox for us; what it refused is an error. */
static tx_err forward_post(const tx_fed *fed, const struct store_peer *peer,
			   const char *body, struct tx_error *err)
{
	char ca[PATH_MAX + 48];
	struct tx_buf url, resp;
	CURL *h = curl_easy_init();
	json_t *status = NULL, *fail;
	long code = 0;
	tx_err rc;

	tx_buf_init(&url, 0);
	tx_buf_init(&resp, RELAY_RESPONSE_MAX);
	snprintf(ca, sizeof(ca), "%s/tls/relay-%s.pem", fed->dir, peer->party);
	if (h == NULL || tx_buf_printf(&url, "%scollections/inbox-%s/objects/",
				       peer->url, fed->cfg.party)) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = tx_write_file(ca, peer->cert_pem, strlen(peer->cert_pem), 0644,
				err)) != TX_OK ||
	    (rc = fed_call(h, fed, ca, "POST", url.data, body, &code, &resp,
			   err)) != TX_OK)
		goto out;
	if (code != 202) {
		rc = tx_error_set(err, TX_ERR_IO, "%s answered HTTP %ld: %.200s",
				  peer->party, code, resp.data ? resp.data : "");
		goto out;
	}
	status = tx_json_load(resp.data ? resp.data : "", resp.len, 0, NULL);
	fail = json_array_get(json_object_get(status, "failures"), 0);
	if (fail != NULL)
		rc = tx_error_set(err, TX_ERR_DENIED, "%s refused it: %s",
				  peer->party, tx_json_str(fail, "message") ?
				  tx_json_str(fail, "message") : "(no reason given)");
out:
	json_decref(status);
	tx_buf_free(&url);
	tx_buf_free(&resp);
	if (h != NULL)
		curl_easy_cleanup(h);
	return rc;
}

tx_err fed_forward(const char *dir, const struct tx_config *cfg, tx_store *st,
		   const int64_t *pks, size_t n_pks, const char *id,
		   const char *to, const char *actor, struct fed_forwarded *out,
		   struct tx_error *err)
{
	struct store_peer *peer = calloc(1, sizeof(*peer));
	struct relay_found f = { 0 };
	char origin[TX_PARTY_MAX] = "", detail[256];
	struct tx_buf body;
	tx_fed *fed = NULL;
	json_t *obj = NULL;
	tx_err rc;

	memset(out, 0, sizeof(*out));
	tx_buf_init(&body, 0);
	if (peer == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = fed_open(dir, cfg, &fed, err)) != TX_OK ||
	    (rc = find_partner_copy(st, pks, n_pks, id, &f, err)) != TX_OK)
		goto out;
	if (f.text == NULL) {
		rc = tx_error_set(err, TX_ERR_NOTFOUND, "%s: no partner's alert of"
				  " that id here (this node's own go to partners"
				  " by delivery)", id);
		goto out;
	}
	obj = tx_json_load(f.text, strlen(f.text), 0, NULL);
	if (obj == NULL || !fed_is_alert(obj)) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s is not an alert", id);
		goto out;
	}
	/* its origin's signature still holds, under the key pinned now */
	if (fed_verify(fed, st, obj, origin, err) != FED_SIGNED_OK ||
	    strcmp(origin, f.origin) != 0) {
		rc = tx_error_set(err, TX_ERR_CRYPTO, "%s: %s's signature on it no"
				  " longer holds: not forwarded", id, f.origin);
		goto out;
	}
	if ((rc = forward_allowed(fed, st, obj, origin, to, peer, err)) != TX_OK ||
	    (rc = forward_body(st, pks, n_pks, obj, f.text, origin, to, &body,
			       &out->objects, err)) != TX_OK ||
	    (rc = forward_post(fed, peer, body.data, err)) != TX_OK)
		goto out;
	snprintf(out->origin, sizeof(out->origin), "%s", origin);
	snprintf(detail, sizeof(detail), "to %s; origin %s, TLP:%s, %zu object%s",
		 to, origin, fed_tlp_name(fed_tlp_of(obj)), out->objects,
		 out->objects == 1 ? "" : "s");
	rc = store_audit(st, actor, "alert.forward", id, detail, err);
out:
	if (rc != TX_OK)
		tx_log(TX_LOG_WARN, "forward of %s to %s by %s refused: %s", id, to,
		       actor, err->msg);
	json_decref(obj);
	free(f.text);
	free(peer);
	tx_buf_free(&body);
	fed_close(fed);
	return rc;
}
