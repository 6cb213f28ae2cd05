/*
 * federation/alert.c: building an alert (fed_alert_build).
 *
 * An alert is a STIX report (label TAXII_ALERT_LABEL) that groups the
 * indicators and attack patterns it is about, with this node's identity,
 * under one TLP marking. Its options mean what they say: recipients
 * (FED_RECIPIENTS) restrict delivery whatever the TLP (fed_entitled) and
 * must be pinned partners; AMBER+STRICT, which stays with this node's
 * organisation, takes none; an ATT&CK id must name an attack-pattern in
 * the store, unless the caller allows a stub. The report then carries at
 * least the marking of the stored objects it refers to
 * (fed_derive_stored). Nothing is stored here: the caller ingests.
 */
#include <stdlib.h>
#include <string.h>

#include "federation/internal.h"

struct find_ap {
	const char *ext_id;
	char found[FED_ALERT_ID_BUF];
	int nomem;
};

static int find_ap_row(void *ctx, const struct store_row *row)
{
	struct find_ap *f = ctx;
	json_t *o, *r;
	size_t i;

	if (strstr(row->json, f->ext_id) == NULL)
		return STORE_ROW_NEXT;
	if ((o = tx_json_load(row->json, row->json_len, 0, NULL)) == NULL) {
		f->nomem = 1;
		return STORE_ROW_FAIL;
	}
	json_array_foreach(json_object_get(o, "external_references"), i, r) {
		const char *e = json_string_value(json_object_get(r, "external_id"));
		if (e && strcmp(e, f->ext_id) == 0) {
			snprintf(f->found, sizeof(f->found), "%s", row->id);
			break;
		}
	}
	json_decref(o);
	return f->found[0] ? STORE_ROW_STOP : STORE_ROW_NEXT;
}

/* The id of the attack-pattern with ATT&CK id ext_id in any collection
 * into out ("" when none). */
static tx_err resolve_attack(tx_store *st, const char *ext_id,
			     char out[FED_ALERT_ID_BUF], struct tx_error *err)
{
	struct find_ap f = { .ext_id = ext_id };
	const char *types[] = { "attack-pattern" };
	struct store_query q = { .types = types, .n_types = 1 };
	tx_err rc;

	if ((rc = store_query_every(st, &q, find_ap_row, &f, err)) != TX_OK) {
		if (f.nomem)
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		tx_error_prefix(err, "looking for attack pattern %s", ext_id);
		return rc;
	}
	snprintf(out, FED_ALERT_ID_BUF, "%s", f.found);
	return TX_OK;
}

/* Set the marking (and recipients) every object of the alert carries. */
static int mark(json_t *o, enum fed_tlp tlp, json_t *to, const char *by)
{
	return json_object_set_new(o, "object_marking_refs",
				   json_pack("[s]", fed_tlp_marking(tlp))) ||
	       (to && json_object_set(o, FED_RECIPIENTS, to)) ||
	       json_object_set_new(o, "created_by_ref", json_string(by));
}

static json_t *new_object(const char *type, const char *now)
{
	char id[96], uuid[TX_UUID_BUF];

	tx_uuid4(uuid);
	snprintf(id, sizeof(id), "%s--%s", type, uuid);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", type, "spec_version",
			 "2.1", "id", id, "created", now, "modified", now);
}

/* The recipients "UK,US" as a JSON array, each a pinned partner other
 * than self; NULL with err set when one is not. */
static json_t *recipients(tx_store *st, const char *to, const char *self,
			  struct tx_error *err)
{
	struct store_peer *peer = malloc(sizeof(*peer));
	json_t *list = json_array();

	if (peer == NULL || list == NULL) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (const char *p = to; *p;) {
		size_t n = strcspn(p, ",");
		char party[TX_PARTY_MAX];
		if (n < 2 || n >= TX_PARTY_MAX ||
		    strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") < n) {
			tx_error_set(err, TX_ERR_INVALID, "recipient \"%.*s\" is not"
				     " a party code (2-7 upper-case letters)",
				     (int)(n > 16 ? 16 : n), p);
			goto fail;
		}
		snprintf(party, sizeof(party), "%.*s", (int)n, p);
		if (self != NULL && strcmp(party, self) == 0) {
			tx_error_set(err, TX_ERR_INVALID, "recipient %s is this"
				     " node's own party", party);
			goto fail;
		}
		/* A recipient that is no partner would receive nothing, and
		 * the alert would look sent. */
		if (store_peer_find(st, party, NULL, NULL, peer) != TX_OK) {
			tx_error_set(err, TX_ERR_NOTFOUND, "recipient %s is not a"
				     " pinned partner (peer list)", party);
			goto fail;
		}
		json_t *x = json_string(party);
		if (x == NULL || json_array_append_new(list, x) != 0) {
			tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto fail;
		}
		p += n;
		if (*p == ',' && *++p == '\0') {
			tx_error_set(err, TX_ERR_INVALID, "recipients: a comma ends"
				     " the list");
			goto fail;
		}
	}
	if (json_array_size(list) == 0) {
		tx_error_set(err, TX_ERR_INVALID, "no recipient named");
		goto fail;
	}
	free(peer);
	return list;
fail:
	free(peer);
	json_decref(list);
	return NULL;
}

/* A JSON array of n strings, or NULL. */
static json_t *strings(const char *const *v, size_t n)
{
	json_t *l = json_array();

	for (size_t i = 0; l != NULL && i < n; i++)
		if (json_array_append_new(l, json_string(v[i])) != 0) {
			json_decref(l);
			l = NULL;
		}
	return l;
}

void fed_alert_clear(struct fed_alert_built *b)
{
	json_decref(b->objects);
	json_decref(b->stubs);
	memset(b, 0, sizeof(*b));
}

/* The options of a, checked against each other (nothing is looked up). */
static tx_err check_alert(const struct fed_alert *a, struct tx_error *err)
{
	if (a->title == NULL || a->title[0] == '\0')
		return tx_error_set(err, TX_ERR_INVALID, "an alert needs a title");
	if (a->n_indicators > FED_ALERT_ITEMS_MAX ||
	    a->n_techniques > FED_ALERT_ITEMS_MAX ||
	    a->n_sectors > FED_ALERT_ITEMS_MAX ||
	    a->n_countries > FED_ALERT_ITEMS_MAX)
		return tx_error_set(err, TX_ERR_TOOBIG, "at most %d indicators,"
				    " techniques, sectors and countries each",
				    FED_ALERT_ITEMS_MAX);
	if (a->tlp > FED_TLP_RED)
		return tx_error_set(err, TX_ERR_INVALID, "an alert needs a TLP");
	if (a->tlp == FED_TLP_RED && (a->to == NULL || a->to[0] == '\0'))
		return tx_error_set(err, TX_ERR_INVALID, "TLP:RED needs its named"
				    " recipients");
	if (a->tlp == FED_TLP_AMBER_STRICT && a->to != NULL)
		return tx_error_set(err, TX_ERR_INVALID, "TLP:AMBER+STRICT stays"
				    " with this node's organisation: it cannot go"
				    " to named recipients (use amber with them)");
	return TX_OK;
}

/* The node's identity, so created_by_ref resolves everywhere. */
static int add_identity(const struct fed_alert *a, json_t *objects)
{
	json_t *me = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:s}",
		"type", "identity", "spec_version", "2.1", "id", a->identity_id,
		"created", "2020-01-01T00:00:00.000Z", "modified",
		"2020-01-01T00:00:00.000Z", "name", a->self_name,
		"identity_class", "organization", "sectors",
		"government-national", "x_trilex_party", a->self_party);

	return me == NULL || json_array_append_new(objects, me) != 0;
}

/* One indicator per pattern of a, each named in refs. */
static int add_indicators(const struct fed_alert *a, json_t *rcpt,
			  const char *now, json_t *refs, json_t *objects)
{
	char name[96];

	for (size_t i = 0; i < a->n_indicators; i++) {
		json_t *ind = new_object("indicator", now);
		snprintf(name, sizeof(name), "%.60s (indicator %zu)", a->title, i + 1);
		if (ind == NULL ||
		    json_object_set_new(ind, "name", json_string(name)) ||
		    json_object_set_new(ind, "pattern",
					json_string(a->indicators[i])) ||
		    json_object_set_new(ind, "pattern_type", json_string("stix")) ||
		    json_object_set_new(ind, "valid_from", json_string(now)) ||
		    json_object_set_new(ind, "indicator_types",
					json_pack("[s]", "malicious-activity")) ||
		    mark(ind, a->tlp, rcpt, a->identity_id) ||
		    json_array_append(refs, json_object_get(ind, "id"))) {
			json_decref(ind);
			return 1;
		}
		if (json_array_append_new(objects, ind) != 0)
			return 1;
	}
	return 0;
}

/* A stub attack-pattern for ATT&CK id tech, its id into id. */
static int add_stub(const struct fed_alert *a, const char *tech, json_t *rcpt,
		    const char *now, char id[FED_ALERT_ID_BUF],
		    struct fed_alert_built *out)
{
	json_t *ap = new_object("attack-pattern", now);

	if (ap == NULL ||
	    json_object_set_new(ap, "name", json_string(tech)) ||
	    json_object_set_new(ap, "external_references", json_pack(
		    "[{s:s, s:s}]", "source_name", "mitre-attack",
		    "external_id", tech)) ||
	    mark(ap, a->tlp, rcpt, a->identity_id) ||
	    json_array_append_new(out->stubs, json_string(tech))) {
		json_decref(ap);
		return 1;
	}
	snprintf(id, FED_ALERT_ID_BUF, "%s", tx_json_str(ap, "id"));
	return json_array_append_new(out->objects, ap) != 0;
}

/* Each ATT&CK technique of a as the stored attack-pattern that names it,
 * or a stub when a allows one, named in refs. */
static tx_err add_techniques(tx_store *st, const struct fed_alert *a,
			     json_t *rcpt, const char *now, json_t *refs,
			     struct fed_alert_built *out, struct tx_error *err)
{
	char id[FED_ALERT_ID_BUF];
	tx_err rc;

	for (size_t i = 0; i < a->n_techniques; i++) {
		if ((rc = resolve_attack(st, a->techniques[i], id, err)) != TX_OK)
			return rc;
		if (id[0] == '\0' && !a->allow_unknown_technique)
			return tx_error_set(err, TX_ERR_NOTFOUND, "ATT&CK technique %s"
					    " is not in the store (no attack-pattern"
					    " object names it); allow unknown"
					    " techniques to make a stub",
					    a->techniques[i]);
		if ((id[0] == '\0' &&
		     add_stub(a, a->techniques[i], rcpt, now, id, out)) ||
		    json_array_append_new(refs, json_string(id)) != 0)
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	return TX_OK;
}

/* The report about refs (or about the identity when refs is empty),
 * with what it is about for routing by the agreed area of
 * responsibility: STIX industry sectors and ISO 3166 country codes. */
static json_t *new_report(const struct fed_alert *a, json_t *rcpt,
			  const char *now, json_t *refs)
{
	json_t *report, *l;

	if (json_array_size(refs) == 0 &&
	    json_array_append_new(refs, json_string(a->identity_id)) != 0)
		return NULL;
	if ((report = new_object("report", now)) == NULL ||
	    json_object_set_new(report, "name", json_string(a->title)) ||
	    (a->description && json_object_set_new(report, "description",
						   json_string(a->description))) ||
	    json_object_set_new(report, "report_types",
				json_pack("[s]", "threat-report")) ||
	    json_object_set_new(report, "published", json_string(now)) ||
	    json_object_set_new(report, "labels", json_pack("[s]", TAXII_ALERT_LABEL)) ||
	    json_object_set(report, "object_refs", refs) ||
	    (a->n_sectors &&
	     ((l = strings(a->sectors, a->n_sectors)) == NULL ||
	      json_object_set_new(report, "x_trilex_sectors", l))) ||
	    (a->n_countries &&
	     ((l = strings(a->countries, a->n_countries)) == NULL ||
	      json_object_set_new(report, "x_trilex_countries", l))) ||
	    mark(report, a->tlp, rcpt, a->identity_id)) {
		json_decref(report);
		return NULL;
	}
	return report;
}

tx_err fed_alert_build(tx_store *st, const struct fed_alert *a,
		       struct fed_alert_built *out, struct tx_error *err)
{
	char now[TX_TIME_BUF];
	json_t *rcpt = NULL, *refs = NULL, *report = NULL;
	const char *about[FED_ALERT_ITEMS_MAX * 2 + 1];
	size_t n_about = 0, i;
	json_t *x;
	tx_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_alert(a, err)) != TX_OK)
		return rc;
	if (a->to != NULL && (rcpt = recipients(st, a->to, a->self_party, err)) == NULL)
		return err->code;
	tx_time_format_ms(a->now_us, now);
	if ((out->objects = json_array()) == NULL ||
	    (out->stubs = json_array()) == NULL || (refs = json_array()) == NULL ||
	    add_identity(a, out->objects) ||
	    add_indicators(a, rcpt, now, refs, out->objects)) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = add_techniques(st, a, rcpt, now, refs, out, err)) != TX_OK)
		goto out;
	if ((report = new_report(a, rcpt, now, refs)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* The report may be about stored objects (attack patterns resolved
	 * above): it carries at least their marking, the TLP asked for being
	 * a floor. */
	json_array_foreach(refs, i, x)
		if (n_about < sizeof(about) / sizeof(about[0]) &&
		    strcmp(json_string_value(x), a->identity_id) != 0)
			about[n_about++] = json_string_value(x);
	if ((rc = fed_derive_stored(st, about, n_about, NULL, 0, a->self_party,
				    report, &out->derivation, err)) != TX_OK)
		goto out;
	if (json_array_append(out->objects, report) != 0) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	out->report = report;
out:
	json_decref(report);
	json_decref(refs);
	json_decref(rcpt);
	if (rc != TX_OK)
		fed_alert_clear(out);
	return rc;
}
