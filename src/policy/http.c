/*
 * policy/http.c: POST /trilex/v1/assess. The body is an incident bundle;
 * the answer is the assessment under the policy this node uses (the one
 * in force, or as `?policy=VERSION` asks), as application/json. With
 * `?collection=ID` the assessment is also stored there as a STIX note,
 * when the caller may write that collection and it is no partner's inbox.
 * Partner accounts never get here (taxii's taxii_routes_permit: 403).
 */
#include <stdio.h>
#include <string.h>

#include "policy/internal.h"

static void fail(struct taxii_ext_reply *rp, unsigned status,
		 const struct tx_error *err)
{
	rp->status = status;
	snprintf(rp->message, sizeof(rp->message), "%s", err->msg);
}

static unsigned http_status(tx_err rc)
{
	switch (rc) {
	case TX_ERR_INVALID: return 400;
	case TX_ERR_TOOBIG: return 413;
	case TX_ERR_NOTFOUND: return 404;
	case TX_ERR_DENIED: return 403;
	case TX_ERR_NOMEM: return 503;
	default: return 500;
	}
}

void policy_http_assess(void *ctx, const struct taxii_ext_request *rq,
			struct taxii_ext_reply *rp)
{
	const char *version = taxii_ext_arg(rq, "policy");
	const char *coll = taxii_ext_arg(rq, "collection");
	struct policy_standing standing;
	struct store_collection col;
	struct tx_error err = { 0 };
	policy_registry *reg = NULL;
	policy_incident *inc = NULL;
	json_t *result = NULL, *note = NULL;
	policy *p = NULL;
	tx_err rc;

	if (strcmp(rq->method, "POST") != 0) {
		rp->status = 405;
		snprintf(rp->message, sizeof(rp->message),
			 "assess takes POST with an incident bundle");
		goto out;
	}
	if (!store_user_may(rq->user, TX_RIGHT_ASSESS)) {
		rp->status = 403;
		snprintf(rp->message, sizeof(rp->message), "the role %s may not"
			 " ask for assessments (trilex role list)",
			 store_role_name(rq->user->role) ? store_role_name(rq->user->role) : "of this account");
		goto out;
	}
	if (rq->body == NULL || rq->body_len == 0) {
		rp->status = 400;
		snprintf(rp->message, sizeof(rp->message),
			 "the body must be a STIX bundle holding the incident");
		goto out;
	}
	if (coll != NULL) {
		if (store_collection_get(rq->st, rq->user, coll, &col) != TX_OK) {
			rp->status = 404;
			snprintf(rp->message, sizeof(rp->message),
				 "collection: no collection %.100s", coll);
			goto out;
		}
		if (!col.can_write) {
			rp->status = 403;
			snprintf(rp->message, sizeof(rp->message),
				 "collection: you may not write %.100s", coll);
			goto out;
		}
		/* The note would be signed and shared as this node's own;
		 * a partner's inbox holds only what the partner signed. */
		if (store_inbox_party(&col) != NULL) {
			rp->status = 403;
			snprintf(rp->message, sizeof(rp->message), "collection:"
				 " %.100s is the inbox of partner %s; store the"
				 " assessment in one of this node's collections",
				 coll, store_inbox_party(&col));
			goto out;
		}
	}
	if ((rc = policy_incident_parse(rq->body, rq->body_len, "body", NULL,
					&inc, &err)) != TX_OK) {
		fail(rp, rc == TX_ERR_NOTFOUND ? 400 : http_status(rc), &err);
		goto out;
	}
	if ((rc = policy_registry_load(rq->st, rq->cfg->party, &reg, &err)) ||
	    (rc = policy_registry_select(reg, version, &p, &standing, &err))) {
		fail(rp, rc == TX_ERR_NOTFOUND ? 409 : http_status(rc), &err);
		goto out;
	}
	if ((rc = policy_assess(p, inc, &standing, &result, &err)) != TX_OK) {
		fail(rp, http_status(rc), &err);
		goto out;
	}
	if (coll != NULL) {
		if ((rc = policy_result_note(result, rq->cfg->party, &note,
					     &err)) != TX_OK ||
		    (rc = policy_note_mark(rq->st, inc, rq->cfg->party, note,
					   &err)) != TX_OK ||
		    (rc = policy_store_object(rq->st, col.pk, rq->user, note,
					      &err)) != TX_OK) {
			fail(rp, http_status(rc), &err);
			goto out;
		}
		if (json_object_set(result, "stored_as",
				    json_object_get(note, "id")) != 0) {
			/* stored: the reply must say where, or fail */
			rp->status = 500;
			snprintf(rp->message, sizeof(rp->message), "stored as %s,"
				 " but out of memory answering",
				 tx_json_str(note, "id"));
			goto out;
		}
	}
	rp->status = 200;
	rp->json = result;
	result = NULL;
out:
	json_decref(result);
	json_decref(note);
	policy_free(p);
	policy_incident_free(inc);
	policy_registry_free(reg);
}
