/*
 * misp/feed.c: a collection's reports as a MISP feed.
 *
 * A report (its last version) is an event; the objects it names that are
 * in the same collection are looked up by id, 500 at a time, and become
 * its attributes (indicators: to_ids true; observed data's SCOs: to_ids
 * false) and its ATT&CK tags (attack patterns with a mitre-attack
 * external id). Only what the collection holds is read: a reader of the
 * collection sees nothing of the others.
 *
 * Withholding: a report marked TLP:RED or AMBER+STRICT, or node-local,
 * is no event at all; such objects named by another report are left
 * out of it. An unmarked object counts as AMBER, the node's default. The
 * event's tlp: tag is the most restrictive TLP of what it holds, so the
 * manifest never says less than the event; each attribute carries its
 * own tag too.
 *
 * Determinism: the event's text depends only on the stored rows, in the
 * order the report names them. Its timestamp is the latest date_added
 * (seconds) among the report and every object it names that the
 * collection holds, withheld ones included: whenever an event's bytes
 * change, its timestamp moves (a withheld object's new version moves it
 * without telling what changed).
 */
#include <dirent.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "federation/federation.h"
#include "misp/misp.h"

#define REF_CHUNK 500
#define REPORT_PAGE 200
#define DEFAULT_MAX_REFS 100000

/* The objects one report names, parsed, by id. */
struct lookup {
	json_t *byid;          /* id -> object */
	int64_t last_added;    /* us */
	struct tx_error *err;
};

static int lookup_row(void *ctx, const struct store_row *row)
{
	struct lookup *l = ctx;
	json_error_t je;
	json_t *o = tx_json_load(row->json, row->json_len, 0, &je);

	if (o == NULL) {
		tx_error_set(l->err, TX_ERR_INTERNAL, "%s: stored text is not JSON",
			     row->id);
		return STORE_ROW_FAIL;
	}
	if (row->date_added > l->last_added)
		l->last_added = row->date_added;
	if (json_object_set_new(l->byid, row->id, o) != 0) {
		tx_error_set(l->err, TX_ERR_NOMEM, "out of memory");
		return STORE_ROW_FAIL;
	}
	return STORE_ROW_NEXT;
}

/* Look up ids[0..n) in the collection into l. */
static tx_err lookup_ids(tx_store *st, int64_t pk, const char **ids, size_t n,
			 struct lookup *l, struct tx_error *err)
{
	for (size_t i = 0; i < n; i += REF_CHUNK) {
		size_t k = n - i < REF_CHUNK ? n - i : REF_CHUNK;
		struct store_query q = { .collection_pk = pk, .ids = &ids[i],
					 .n_ids = k, .limit = (int64_t)k };
		struct store_page page;
		tx_err rc = store_query_objects(st, &q, lookup_row, l, &page, err);
		if (rc != TX_OK)
			return rc;
	}
	return TX_OK;
}

/* Whether obj may enter a feed whose most restrictive TLP is limit (at
 * most AMBER); *tlp its level (unmarked: AMBER). */
static int feedable(const json_t *obj, enum fed_tlp limit, enum fed_tlp *tlp)
{
	enum fed_tlp t = fed_tlp_of(obj);

	if (t == FED_TLP_UNMARKED)
		t = FED_TLP_AMBER;
	*tlp = t;
	return t <= limit && t != FED_TLP_RED && t != FED_TLP_AMBER_STRICT &&
	       !json_is_true(json_object_get(obj, FED_LOCAL));
}

/* The most restrictive TLP o lets into its feed. */
static enum fed_tlp limit_of(const struct misp_feed_opts *o)
{
	int t = o->tlp_max ? fed_tlp_parse(o->tlp_max) : -1;

	return t >= (int)FED_TLP_CLEAR && t <= (int)FED_TLP_AMBER ?
	       (enum fed_tlp)t : FED_TLP_AMBER;
}

/* Whether report rep carries one of o's labels (o without labels: yes). */
static int labelled(const json_t *rep, const struct misp_feed_opts *o)
{
	const json_t *l;
	size_t i;

	if (o->n_labels == 0)
		return 1;
	json_array_foreach(json_object_get(rep, "labels"), i, l)
		for (size_t k = 0; k < o->n_labels; k++)
			if (json_is_string(l) &&
			    strcmp(json_string_value(l), o->labels[k]) == 0)
				return 1;
	return 0;
}

static const char *tlp_tag(enum fed_tlp t)
{
	switch (t) {
	case FED_TLP_CLEAR: return "tlp:clear";
	case FED_TLP_GREEN: return "tlp:green";
	default: return "tlp:amber";
	}
}

static const char *tlp_colour(enum fed_tlp t)
{
	switch (t) {
	case FED_TLP_CLEAR: return "#ffffff";
	case FED_TLP_GREEN: return "#33ff00";
	default: return "#ffc000";
	}
}

static json_t *tag(const char *name, const char *colour)
{
	return json_pack("{s:s, s:s}", "name", name, "colour", colour);
}

/* Seconds of a STIX timestamp member, or fallback. */
static int64_t seconds_of(const json_t *o, const char *key, int64_t fallback)
{
	const char *s = tx_json_str(o, key);
	int64_t us;

	if (s == NULL || tx_time_parse(s, &us, NULL) != TX_OK)
		return fallback;
	return us / 1000000;
}

static const char *uuid_part(const char *id)
{
	const char *p = id ? strstr(id, "--") : NULL;

	return p ? p + 2 : id;
}

/* md5 hex of s[0..n) appended with ",uuid\n" to b. */
static tx_err hash_line(struct tx_buf *b, const char *s, size_t n,
			const char *uuid)
{
	unsigned char d[16];
	char hex[33];

	if (gnutls_hash_fast(GNUTLS_DIG_MD5, s, n, d) < 0)
		return TX_ERR_INTERNAL;
	tx_hex(d, sizeof(d), hex);
	return tx_buf_printf(b, "%s,%s\n", hex, uuid);
}

/* Every part of a (maybe composite, "a|b") value hashed into b. */
static tx_err hash_value(struct tx_buf *b, const char *type, const char *v,
			 const char *uuid)
{
	tx_err rc = TX_OK;

	if (strchr(type, '|') == NULL)
		return hash_line(b, v, strlen(v), uuid);
	while (rc == TX_OK) {
		size_t n = strcspn(v, "|");
		rc = hash_line(b, v, n, uuid);
		if (v[n] == '\0')
			break;
		v += n + 1;
	}
	return rc;
}

/* The ATT&CK id of an attack pattern, or NULL. */
static const char *attack_id(const json_t *ap)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(ap, "external_references"), i, r) {
		const char *src = tx_json_str(r, "source_name");
		if (src && strcmp(src, "mitre-attack") == 0 &&
		    tx_json_str(r, "external_id"))
			return tx_json_str(r, "external_id");
	}
	return NULL;
}

/* The event being made. */
struct event {
	json_t *attrs;
	json_t *objects;       /* MISP objects (misp/objects.c) */
	size_t n_obj_attrs;
	json_t *tags;          /* ATT&CK tags */
	struct tx_buf hashes;
	enum fed_tlp tlp;      /* the most restrictive fed */
	size_t n_withheld;
	const char *uuid;
};

static tx_err add_attr(struct event *e, const char *uuid, const char *type,
		       const char *category, const char *value, int to_ids,
		       int64_t ts, const char *comment, enum fed_tlp tlp)
{
	char t[24];
	json_t *a;

	snprintf(t, sizeof(t), "%lld", (long long)ts);
	a = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:[o]}", "uuid", uuid,
		      "type", type, "category", category, "value", value,
		      "to_ids", to_ids, "timestamp", t, "comment",
		      comment ? comment : "", "Tag", tag(tlp_tag(tlp),
							 tlp_colour(tlp)));
	if (a == NULL || json_array_append_new(e->attrs, a) != 0)
		return TX_ERR_NOMEM;
	if (tlp > e->tlp)
		e->tlp = tlp;
	return hash_value(&e->hashes, type, value, e->uuid);
}

/* Object obj (taken; of misp_object_of_pattern or _of_sco) as uuid, its
 * attributes' uuids derived from it, each tagged with tlp. */
static tx_err add_object(struct event *e, json_t *obj, const char *uuid,
			 int to_ids, int64_t ts, const char *comment,
			 enum fed_tlp tlp)
{
	json_t *a;
	size_t i;
	char t[24];
	tx_err rc = TX_OK;

	snprintf(t, sizeof(t), "%lld", (long long)ts);
	if (json_object_set_new(obj, "uuid", json_string(uuid)) != 0 ||
	    json_object_set_new(obj, "timestamp", json_string(t)) != 0 ||
	    json_object_set_new(obj, "comment", json_string(comment ? comment :
							     "")) != 0) {
		json_decref(obj);
		return TX_ERR_NOMEM;
	}
	json_array_foreach(json_object_get(obj, "Attribute"), i, a) {
		char name[256], au[TX_UUID_BUF];
		snprintf(name, sizeof(name), "%s\n%s\n%zu", uuid,
			 tx_json_str(a, "object_relation"), i);
		tx_uuid5(tx_uuid_ns_trilex, name, strlen(name), au);
		if (json_object_set_new(a, "uuid", json_string(au)) != 0 ||
		    json_object_set_new(a, "to_ids", json_boolean(to_ids)) != 0 ||
		    json_object_set_new(a, "timestamp", json_string(t)) != 0 ||
		    json_object_set_new(a, "comment", json_string("")) != 0 ||
		    json_object_set_new(a, "disable_correlation", json_false()) != 0 ||
		    json_object_set_new(a, "Tag", json_pack("[o]", tag(tlp_tag(tlp),
						tlp_colour(tlp)))) != 0) {
			rc = TX_ERR_NOMEM;
			break;
		}
		if ((rc = hash_value(&e->hashes, tx_json_str(a, "type"),
				     tx_json_str(a, "value"), e->uuid)) != TX_OK)
			break;
		e->n_obj_attrs++;
	}
	if (rc == TX_OK && json_array_append_new(e->objects, obj) != 0)
		return TX_ERR_NOMEM;
	if (rc != TX_OK)
		json_decref(obj);
	else if (tlp > e->tlp)
		e->tlp = tlp;
	return rc;
}

/* An indicator's attribute. */
static tx_err add_indicator(struct event *e, const json_t *ind, enum fed_tlp tlp)
{
	const char *pattern = tx_json_str(ind, "pattern");
	const char *ptype = tx_json_str(ind, "pattern_type");
	const char *type, *cat;
	char *value = NULL;
	tx_err rc;

	if (pattern == NULL)
		return TX_OK;
	if (ptype && strcmp(ptype, "stix") != 0) {
		/* rules MISP has types for travel as they are */
		if (strcmp(ptype, "yara") == 0 || strcmp(ptype, "sigma") == 0)
			type = ptype, cat = "Payload installation";
		else if (strcmp(ptype, "snort") == 0 || strcmp(ptype, "suricata") == 0)
			type = "snort", cat = "Network activity";
		else
			return TX_OK;   /* nothing MISP can hold */
		return add_attr(e, uuid_part(tx_json_str(ind, "id")), type, cat,
				pattern, 1, seconds_of(ind, "modified", 0),
				tx_json_str(ind, "name"), tlp);
	}
	cat = misp_attr_of_pattern(pattern, &type, &value);
	if (value == NULL)
		return TX_ERR_NOMEM;
	if (strcmp(type, "stix2-pattern") == 0) {
		/* several facts of one thing: the MISP object for it */
		int nomem;
		json_t *obj = misp_object_of_pattern(pattern, &nomem);
		if (nomem) {
			free(value);
			return TX_ERR_NOMEM;
		}
		if (obj != NULL) {
			free(value);
			return add_object(e, obj, uuid_part(tx_json_str(ind, "id")), 1,
					  seconds_of(ind, "modified", 0),
					  tx_json_str(ind, "name"), tlp);
		}
	}
	rc = add_attr(e, uuid_part(tx_json_str(ind, "id")), type, cat, value, 1,
		      seconds_of(ind, "modified", 0),
		      tx_json_str(ind, "name"), tlp);
	free(value);
	return rc;
}

/* The SCOs whose value is one MISP attribute. */
static const struct { const char *sco, *misp; } plain[] = {
	{ "ipv4-addr", "ip-dst" }, { "ipv6-addr", "ip-dst" },
	{ "domain-name", "domain" }, { "url", "url" },
	{ "email-addr", "email-src" }, { "mac-addr", "mac-address" },
};

/* The attribute type of an SCO we map, its value into *value (caller-
 * freed; NULL with a type: out of memory); NULL for an SCO we do not. */
static const char *sco_attr(const json_t *sco, char **value)
{
	const char *t = tx_json_str(sco, "type");
	const char *v = tx_json_str(sco, "value");
	const json_t *h = json_object_get(sco, "hashes");

	*value = NULL;
	if (t == NULL)
		return NULL;
	if (strcmp(t, "file") == 0) {
		const char *name = tx_json_str(sco, "name");
		const char *md5 = tx_json_str(h, "MD5");
		const char *sha1 = tx_json_str(h, "SHA-1");
		const char *sha256 = tx_json_str(h, "SHA-256");
		const char *hv = md5 ? md5 : sha1 ? sha1 : sha256;
		const char *ht = md5 ? "md5" : sha1 ? "sha1" : "sha256";
		struct tx_buf b;
		tx_buf_init(&b, 0);
		if (name && hv) {
			if (tx_buf_printf(&b, "%s|%s", name, hv) == TX_OK)
				*value = tx_buf_take(&b);
			tx_buf_free(&b);
			return md5 ? "filename|md5" : sha1 ? "filename|sha1" :
			       "filename|sha256";
		}
		if (name || hv) {
			*value = strdup(name ? name : hv);
			return name ? "filename" : ht;
		}
		return NULL;
	}
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (strcmp(t, plain[i].sco) == 0) {
			*value = strdup(v);
			return plain[i].misp;
		}
	return NULL;
}

/* The attributes (to_ids false) of an observed-data's SCOs, found in l. */
static tx_err add_observed(struct event *e, const json_t *od, const json_t *byid,
			   enum fed_tlp tlp)
{
	const json_t *r, *refs = json_object_get(od, "object_refs");
	size_t i, n = json_array_size(refs), made = 0;
	const char *od_uuid = uuid_part(tx_json_str(od, "id"));
	int64_t ts = seconds_of(od, "modified", 0);
	json_t *consumed = json_object(), *whole = json_object();
	tx_err rc = TX_OK;

	if (consumed == NULL || whole == NULL) {
		rc = TX_ERR_NOMEM;
		goto out;
	}
	/* first what MISP holds as objects (a network connection with the
	 * addresses it names): the first takes the observed-data's uuid, so
	 * an import makes the same one back */
	json_array_foreach(refs, i, r) {
		const json_t *sco = json_object_get(byid, json_string_value(r));
		char uuid[TX_UUID_BUF];
		json_t *obj;

		if (sco == NULL || (obj = misp_object_of_sco(sco, byid,
							     consumed)) == NULL)
			continue;
		if (made++ == 0) {
			snprintf(uuid, sizeof(uuid), "%s", od_uuid);
		} else {
			char name[256];
			snprintf(name, sizeof(name), "%s\n%s", od_uuid,
				 json_string_value(r));
			tx_uuid5(tx_uuid_ns_trilex, name, strlen(name), uuid);
		}
		json_object_set_new(whole, json_string_value(r), json_true());
		if ((rc = add_object(e, obj, uuid, 0, ts, NULL, tlp)) != TX_OK)
			goto out;
	}
	json_array_foreach(refs, i, r) {
		const json_t *sco = json_object_get(byid, json_string_value(r));
		char *value = NULL, uuid[TX_UUID_BUF];
		const char *type;

		if (sco == NULL || json_object_get(consumed, json_string_value(r)) ||
		    json_object_get(whole, json_string_value(r)) ||
		    (type = sco_attr(sco, &value)) == NULL)
			continue;
		if (value == NULL) {
			rc = TX_ERR_NOMEM;
			goto out;
		}
		/* one SCO: the attribute is the observed-data (an import
		 * makes the same one back); more: one uuid per SCO */
		if (n == 1) {
			snprintf(uuid, sizeof(uuid), "%s", od_uuid);
		} else {
			char name[256];
			snprintf(name, sizeof(name), "%s\n%s", od_uuid,
				 json_string_value(r));
			tx_uuid5(tx_uuid_ns_trilex, name, strlen(name), uuid);
		}
		rc = add_attr(e, uuid, type, strncmp(type, "ip", 2) == 0 ||
			      strcmp(type, "domain") == 0 || strcmp(type, "url") == 0 ||
			      strcmp(type, "mac-address") == 0 ? "Network activity" :
			      "Payload delivery", value, 0, ts, NULL, tlp);
		free(value);
		if (rc != TX_OK)
			goto out;
	}
out:
	json_decref(consumed);
	json_decref(whole);
	return rc;
}

/* The Orgc of a report made by origin (NULL: this node). */
static json_t *orgc(tx_store *st, const struct misp_feed_opts *o,
		    const char *origin)
{
	struct store_peer p;
	char uuid[TX_UUID_BUF], name[64];

	if (origin == NULL)
		return json_pack("{s:s, s:s}", "name", o->self_name ? o->self_name :
				 "trilex node", "uuid", o->self_uuid ? o->self_uuid :
				 "00000000-0000-0000-0000-000000000000");
	/* a partner: its node identity, the UUIDv5 of its signing key, as
	 * the partner's own objects name it */
	if (store_peer_find(st, origin, NULL, NULL, &p) == TX_OK) {
		tx_uuid5(tx_uuid_ns_trilex, p.sign_pk, strlen(p.sign_pk), uuid);
		return json_pack("{s:s, s:s}", "name", p.name, "uuid", uuid);
	}
	snprintf(name, sizeof(name), "party\n%s", origin);
	tx_uuid5(tx_uuid_ns_trilex, name, strlen(name), uuid);
	return json_pack("{s:s, s:s}", "name", origin, "uuid", uuid);
}

/* What one report row came to. */
struct built {
	char *json;
	size_t len;
	json_t *manifest;
	char *hashes;
	size_t hashes_len;
	size_t n_attributes, n_withheld;
	int64_t timestamp;
	char uuid[TX_UUID_BUF];
	int withheld;          /* the report itself */
	int filtered;          /* not of the filter (labels), or spoken for by
	                          an earlier collection of it */
};

static void built_free(struct built *b)
{
	free(b->json);
	json_decref(b->manifest);
	free(b->hashes);
	memset(b, 0, sizeof(*b));
}

/* The SCOs of the observed data among ids (at most cap of them), looked
 * up into l too. */
static tx_err lookup_scos(tx_store *st, int64_t pk, const char **ids,
			  size_t n_ids, size_t cap, struct lookup *l,
			  struct tx_error *err)
{
	size_t n2 = 0, cap2 = 0;
	const char **ids2 = NULL;
	tx_err rc = TX_OK;

	for (size_t i = 0; i < n_ids; i++) {
		const json_t *od = json_object_get(l->byid, ids[i]), *x;
		size_t k;
		const char *t = tx_json_str(od, "type");
		if (t == NULL || strcmp(t, "observed-data") != 0)
			continue;
		json_array_foreach(json_object_get(od, "object_refs"), k, x) {
			if (!json_is_string(x) || n2 >= cap)
				continue;
			if (n2 == cap2) {
				const char **p;
				cap2 = cap2 ? cap2 * 2 : 64;
				if ((p = realloc(ids2, cap2 * sizeof(*p))) == NULL) {
					free(ids2);
					return tx_error_set(err, TX_ERR_NOMEM,
							    "out of memory");
				}
				ids2 = p;
			}
			ids2[n2++] = json_string_value(x);
		}
	}
	if (n2 > 0)
		rc = lookup_ids(st, pk, ids2, n2, l, err);
	free(ids2);
	return rc;
}

/* An ATT&CK attack pattern as a galaxy tag of e. */
static tx_err add_attack(struct event *e, const json_t *x, enum fed_tlp tlp)
{
	const char *aid = attack_id(x), *name = tx_json_str(x, "name");
	struct tx_buf b;
	tx_err rc;

	tx_buf_init(&b, 0);
	if (name && strcmp(name, aid) != 0)
		rc = tx_buf_printf(&b, "misp-galaxy:mitre-attack-pattern="
				   "\"%s - %s\"", name, aid);
	else
		rc = tx_buf_printf(&b, "misp-galaxy:mitre-attack-pattern="
				   "\"%s\"", aid);
	if (rc == TX_OK && json_array_append_new(e->tags,
			tag(b.data, "#0088cc")) != 0)
		rc = TX_ERR_NOMEM;
	tx_buf_free(&b);
	if (tlp > e->tlp)
		e->tlp = tlp;
	return rc;
}

/* Each object of ids into e: attributes, objects and tags; an object
 * above the limit or withdrawn is counted as withheld. */
static tx_err convert(tx_store *st, struct event *e, const struct lookup *l,
		      const char **ids, size_t n_ids, enum fed_tlp limit,
		      struct tx_error *err)
{
	for (size_t i = 0; i < n_ids; i++) {
		const json_t *x = json_object_get(l->byid, ids[i]);
		const char *t = tx_json_str(x, "type");
		enum fed_tlp tlp;
		tx_err rc = TX_OK;

		if (x == NULL || t == NULL)
			continue;
		if (!feedable(x, limit, &tlp) ||
		    store_withdrawal_get(st, ids[i], NULL) == TX_OK) {
			e->n_withheld++;
			continue;
		}
		if (strcmp(t, "indicator") == 0)
			rc = add_indicator(e, x, tlp);
		else if (strcmp(t, "observed-data") == 0)
			rc = add_observed(e, x, l->byid, tlp);
		else if (strcmp(t, "attack-pattern") == 0 && attack_id(x))
			rc = add_attack(e, x, tlp);
		if (rc != TX_OK)
			return tx_error_set(err, rc, "%s: %s", ids[i], tx_err_str(rc));
	}
	return TX_OK;
}

/* The event of rep from e (its tags: the event's TLP first, then ATT&CK),
 * its manifest entry and its text, into out. */
static tx_err assemble(tx_store *st, const struct misp_feed_opts *o,
		       const char *origin, const json_t *rep,
		       const struct event *e, int64_t last_added,
		       struct built *out, struct tx_error *err)
{
	json_t *ev = NULL, *doc = NULL, *tags, *org = NULL;
	const char *d = tx_json_str(rep, "published");
	char ts[24], pts[24], date[11];
	tx_err rc = TX_OK;

	tags = json_pack("[o]", tag(tlp_tag(e->tlp), tlp_colour(e->tlp)));
	if (tags == NULL || json_array_extend(tags, e->tags) != 0) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	out->timestamp = last_added / 1000000;
	snprintf(ts, sizeof(ts), "%lld", (long long)out->timestamp);
	if (d == NULL)
		d = tx_json_str(rep, "created");
	snprintf(date, sizeof(date), "%.10s", d ? d : "1970-01-01");
	org = orgc(st, o, origin);
	snprintf(pts, sizeof(pts), "%lld",
		 (long long)seconds_of(rep, "published", out->timestamp));
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:O, s:O,"
		       " s:O, s:O}", "uuid", out->uuid, "info",
		       tx_json_str(rep, "name") ? tx_json_str(rep, "name") : "",
		       "date", date, "timestamp", ts, "publish_timestamp", pts,
		       "analysis", "2", "threat_level_id", "4", "published", 1,
		       "Orgc", org, "Tag", tags, "Attribute", e->attrs, "Object",
		       e->objects);
	if (ev == NULL || (doc = json_pack("{s:O}", "Event", ev)) == NULL ||
	    (out->manifest = json_pack("{s:O, s:O, s:O, s:s, s:s, s:s, s:I}",
				       "Orgc", org, "Tag", tags, "info",
				       json_object_get(ev, "info"), "date", date,
				       "analysis", "2", "threat_level_id", "4",
				       "timestamp", (json_int_t)out->timestamp)) == NULL ||
	    (out->json = tx_json_dumps(doc, JSON_COMPACT)) == NULL)
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
out:
	json_decref(ev);
	json_decref(doc);
	json_decref(tags);
	json_decref(org);
	return rc;
}

/* Make the event of report (as stored in collection pk: text,
 * date_added, origin); a report whose uuid seen holds is left as
 * filtered. */
static tx_err build(tx_store *st, const struct misp_feed_opts *o, int64_t pk,
		    const json_t *seen, const char *text, size_t len,
		    int64_t added, const char *origin, struct built *out,
		    struct tx_error *err)
{
	struct event e = { 0 };
	struct lookup l = { 0 };
	json_t *rep = NULL;
	const char **ids = NULL;
	const json_t *r;
	size_t i, n_refs, n_ids = 0, cap = o->max_refs ? o->max_refs :
					   DEFAULT_MAX_REFS;
	enum fed_tlp rtlp, limit = limit_of(o);
	unsigned long jf = tx_json_failures();
	tx_err rc = TX_OK;

	memset(out, 0, sizeof(*out));
	tx_buf_init(&e.hashes, 0);
	if ((rep = tx_json_load(text, len, 0, NULL)) == NULL) {
		rc = tx_error_set(err, TX_ERR_INTERNAL, "stored report is not JSON");
		goto out;
	}
	snprintf(out->uuid, sizeof(out->uuid), "%s",
		 uuid_part(tx_json_str(rep, "id")));
	if (json_object_get(seen, out->uuid) != NULL || !labelled(rep, o)) {
		out->filtered = 1;
		goto out;
	}
	if (!feedable(rep, limit, &rtlp) ||
	    store_withdrawal_get(st, tx_json_str(rep, "id"), NULL) == TX_OK) {
		out->withheld = 1;
		goto out;
	}
	e.uuid = out->uuid;
	e.tlp = rtlp;
	l.byid = json_object();
	l.err = err;
	l.last_added = added;
	e.attrs = json_array();
	e.objects = json_array();
	e.tags = json_array();
	n_refs = json_array_size(json_object_get(rep, "object_refs"));
	if (n_refs > cap) {
		rc = tx_error_set(err, TX_ERR_TOOBIG, "%s: object_refs: %zu objects,"
				  " more than %zu", tx_json_str(rep, "id"), n_refs, cap);
		goto out;
	}
	if (l.byid == NULL || e.attrs == NULL || e.tags == NULL || e.objects == NULL ||
	    (ids = calloc(n_refs + 1, sizeof(*ids))) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(json_object_get(rep, "object_refs"), i, r)
		if (json_is_string(r))
			ids[n_ids++] = json_string_value(r);
	if ((rc = lookup_ids(st, pk, ids, n_ids, &l, err)) != TX_OK ||
	    (rc = lookup_scos(st, pk, ids, n_ids, cap, &l, err)) != TX_OK ||
	    (rc = convert(st, &e, &l, ids, n_ids, limit, err)) != TX_OK ||
	    (rc = assemble(st, o, origin, rep, &e, l.last_added, out, err)) != TX_OK)
		goto out;
	/* a JSON value that could not be made left a part out */
	if (tx_json_failures() != jf) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	out->len = strlen(out->json);
	out->n_attributes = json_array_size(e.attrs) + e.n_obj_attrs;
	out->n_withheld = e.n_withheld;
	out->hashes_len = e.hashes.len;
	out->hashes = tx_buf_take(&e.hashes);
out:
	if (rc != TX_OK)
		built_free(out);
	free(ids);
	json_decref(rep);
	json_decref(e.attrs);
	json_decref(e.objects);
	json_decref(e.tags);
	json_decref(l.byid);
	tx_buf_free(&e.hashes);
	return rc;
}

/* The report rows of one page, copied (no query may run inside
 * another's callback on one connection). */
struct report_row {
	char *json;
	size_t len;
	int64_t added;
	char origin[TX_PARTY_MAX];
	int has_origin;
};

struct reports {
	struct report_row *rows;
	size_t n;
};

static int report_row(void *ctx, const struct store_row *row)
{
	struct reports *r = ctx;
	struct report_row *p = &r->rows[r->n];

	if ((p->json = malloc(row->json_len + 1)) == NULL)
		return STORE_ROW_FAIL;
	memcpy(p->json, row->json, row->json_len);
	p->json[row->json_len] = '\0';
	p->len = row->json_len;
	p->added = row->date_added;
	p->has_origin = row->origin != NULL;
	snprintf(p->origin, sizeof(p->origin), "%s", row->origin ? row->origin : "");
	r->n++;
	return STORE_ROW_NEXT;
}

/* The collections o publishes, in order, into pks (at most
 * MISP_FEED_COLLS_MAX); how many. */
static size_t colls_of(const struct misp_feed_opts *o, int64_t *pks)
{
	size_t n = 0;

	if (o->n_colls == 0)
		pks[n++] = o->collection_pk;
	for (size_t i = 0; i < o->n_colls && n < MISP_FEED_COLLS_MAX; i++)
		pks[n++] = o->colls[i];
	return n;
}

/* misp_feed_walk over collection pk; seen: the uuids of the reports
 * earlier collections held (and pk's, added), NULL with one collection. */
static tx_err walk_one(tx_store *st, const struct misp_feed_opts *o, int64_t pk,
		       json_t *seen, misp_event_fn fn, void *ctx,
		       struct misp_feed_stats *s, struct tx_error *err)
{
	const char *types[] = { "report" };
	struct store_query q = { .collection_pk = pk, .types = types,
				 .n_types = 1, .limit = REPORT_PAGE };
	struct report_row rows[REPORT_PAGE];
	struct reports r = { .rows = rows };
	struct store_page page;
	tx_err rc = TX_OK;
	/* what this collection holds is marked seen after it: within one
	 * collection a uuid comes once (last versions) */
	json_t *mine = seen ? json_object() : NULL;

	if (seen != NULL && mine == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	do {
		r.n = 0;
		rc = store_query_objects(st, &q, report_row, &r, &page, err);
		for (size_t i = 0; i < r.n; i++) {
			struct built b;
			if (rc == TX_OK)
				rc = build(st, o, pk, seen, rows[i].json, rows[i].len,
					   rows[i].added, rows[i].has_origin ?
					   rows[i].origin : NULL, &b, err);
			if (rc == TX_OK && mine != NULL &&
			    json_object_get(seen, b.uuid) == NULL &&
			    json_object_set_new(mine, b.uuid, json_true()) != 0)
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			if (rc == TX_OK && b.filtered) {
				s->filtered_events++;
			} else if (rc == TX_OK && b.withheld) {
				s->withheld_events++;
			} else if (rc == TX_OK) {
				struct misp_feed_event ev = {
					.uuid = b.uuid, .timestamp = b.timestamp,
					.json = b.json, .json_len = b.len,
					.manifest = b.manifest, .hashes = b.hashes,
					.hashes_len = b.hashes_len,
					.n_attributes = b.n_attributes,
					.n_withheld = b.n_withheld,
				};
				s->events++;
				s->attributes += b.n_attributes;
				s->withheld_objects += b.n_withheld;
				if (fn != NULL && fn(ctx, &ev) != 0) {
					rc = TX_ERR_INTERNAL;
					if (err->msg[0] == '\0')
						tx_error_set(err, rc, "event %s:"
							     " stopped", b.uuid);
				}
				built_free(&b);
			}
			free(rows[i].json);
		}
		q.has_cursor = 1;
		q.cursor = page.next;
	} while (rc == TX_OK && page.more);
	if (rc == TX_OK && mine != NULL && json_object_update(seen, mine) != 0)
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	json_decref(mine);
	return rc;
}

tx_err misp_feed_walk(tx_store *st, const struct misp_feed_opts *o,
		      misp_event_fn fn, void *ctx, struct misp_feed_stats *stats,
		      struct tx_error *err)
{
	int64_t pks[MISP_FEED_COLLS_MAX];
	size_t n = colls_of(o, pks);
	struct misp_feed_stats s = { 0 };
	json_t *seen = n > 1 ? json_object() : NULL;
	tx_err rc = TX_OK;

	if (n > 1 && seen == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == TX_OK; i++)
		rc = walk_one(st, o, pks[i], seen, fn, ctx, &s, err);
	json_decref(seen);
	if (stats != NULL)
		*stats = s;
	return rc;
}

tx_err misp_feed_event(tx_store *st, const struct misp_feed_opts *o,
		       const char *uuid, char **json, size_t *len,
		       struct tx_error *err)
{
	char id[64];
	const char *ids[1] = { id };
	int64_t pks[MISP_FEED_COLLS_MAX];
	size_t n_pks = colls_of(o, pks);
	struct report_row row;
	struct reports r = { .rows = &row };
	struct store_page page;
	struct built b;
	tx_err rc = TX_OK;

	*json = NULL;
	*len = 0;
	if (!tx_uuid_valid(uuid, strlen(uuid)))
		return tx_error_set(err, TX_ERR_NOTFOUND, "no such event");
	snprintf(id, sizeof(id), "report--%s", uuid);
	/* the first collection holding the report speaks for it */
	for (size_t i = 0; i < n_pks && r.n == 0; i++) {
		struct store_query q = { .collection_pk = pks[i], .ids = ids,
					 .n_ids = 1, .limit = 1 };
		if ((rc = store_query_objects(st, &q, report_row, &r, &page,
					      err)) != TX_OK)
			return rc;
		if (r.n == 1)
			rc = build(st, o, pks[i], NULL, row.json, row.len, row.added,
				   row.has_origin ? row.origin : NULL, &b, err);
	}
	if (r.n == 0)
		return tx_error_set(err, TX_ERR_NOTFOUND, "no such event");
	free(row.json);
	if (rc != TX_OK)
		return rc;
	if (b.withheld || b.filtered) {
		built_free(&b);
		return tx_error_set(err, TX_ERR_NOTFOUND, "no such event");
	}
	*json = b.json;
	*len = b.len;
	b.json = NULL;
	built_free(&b);
	return TX_OK;
}

/* ---- to a folder ---- */

struct writer {
	const char *out;
	json_t *manifest;
	json_t *names;         /* {uuid}.json written or kept */
	struct tx_buf hashes;
	struct misp_write_stats *ws;
	struct tx_error *err;
};

/* Whether file path holds exactly data. */
static int same_file(const char *path, const char *data, size_t len)
{
	struct tx_error e = { 0 };
	char *old = NULL;
	size_t n = 0;
	int same;

	if (tx_read_file(path, len + 1, &old, &n, &e) != TX_OK)
		return 0;
	same = n == len && memcmp(old, data, len) == 0;
	free(old);
	return same;
}

static int write_event(void *ctx, const struct misp_feed_event *ev)
{
	struct writer *w = ctx;
	char name[64], path[4096];

	snprintf(name, sizeof(name), "%s.json", ev->uuid);
	if (tx_path_join(path, sizeof(path), w->out, name) != TX_OK) {
		tx_error_set(w->err, TX_ERR_TOOBIG, "%s: path too long", w->out);
		return -1;
	}
	if (json_object_set(w->manifest, ev->uuid, (json_t *)ev->manifest) != 0 ||
	    json_object_set_new(w->names, name, json_true()) != 0 ||
	    tx_buf_append(&w->hashes, ev->hashes, ev->hashes_len) != TX_OK) {
		tx_error_set(w->err, TX_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (same_file(path, ev->json, ev->json_len)) {
		w->ws->unchanged++;
		return 0;
	}
	if (tx_write_file(path, ev->json, ev->json_len, 0644, w->err) != TX_OK)
		return -1;
	w->ws->written++;
	return 0;
}

/* Remove the {uuid}.json files of out that names does not hold. */
static tx_err prune(const char *out, const json_t *names, size_t *removed,
		    struct tx_error *err)
{
	DIR *d = opendir(out);
	struct dirent *de;
	char path[4096];

	if (d == NULL)
		return tx_error_set(err, TX_ERR_IO, "%s: %s", out, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n != 36 + 5 || strcmp(de->d_name + 36, ".json") != 0 ||
		    !tx_uuid_valid(de->d_name, 36) ||
		    json_object_get(names, de->d_name) != NULL)
			continue;
		if (tx_path_join(path, sizeof(path), out, de->d_name) == TX_OK &&
		    unlink(path) == 0)
			(*removed)++;
	}
	closedir(d);
	return TX_OK;
}

tx_err misp_feed_write_dir(tx_store *st, const struct misp_feed_opts *o,
			   const char *out, struct misp_write_stats *ws,
			   struct tx_error *err)
{
	struct writer w = { .out = out, .ws = ws, .err = err };
	char path[4096];
	char *text = NULL;
	tx_err rc;

	memset(ws, 0, sizeof(*ws));
	struct stat sb;

	if (mkdir(out, 0755) != 0 && errno != EEXIST)
		return tx_error_set(err, TX_ERR_IO, "%s: %s", out, strerror(errno));
	if (stat(out, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return tx_error_set(err, TX_ERR_IO, "%s: not a folder", out);
	tx_buf_init(&w.hashes, 0);
	w.manifest = json_object();
	w.names = json_object();
	if (w.manifest == NULL || w.names == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = misp_feed_walk(st, o, write_event, &w, &ws->feed, err)) != TX_OK)
		goto out;
	if ((text = tx_json_dumps(w.manifest, JSON_COMPACT)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = tx_path_join(path, sizeof(path), out, "manifest.json")) != TX_OK ||
	    (rc = tx_write_file(path, text, strlen(text), 0644, err)) != TX_OK ||
	    (rc = tx_path_join(path, sizeof(path), out, "hashes.csv")) != TX_OK ||
	    (rc = tx_write_file(path, w.hashes.data ? w.hashes.data : "",
				w.hashes.len, 0644, err)) != TX_OK)
		goto out;
	rc = prune(out, w.names, &ws->removed, err);
out:
	if (rc == TX_ERR_TOOBIG && err->msg[0] == '\0')
		tx_error_set(err, rc, "%s: path too long", out);
	free(text);
	json_decref(w.manifest);
	json_decref(w.names);
	tx_buf_free(&w.hashes);
	return rc;
}

/* ---- saved filters ---- */

tx_err misp_filter_opts(tx_store *st, const struct store_user *u,
			const struct store_filter *f, int64_t *pks,
			const char **labels, struct misp_feed_opts *o,
			struct tx_error *err)
{
	struct store_collection c;

	if (f->n_colls == 0 || f->n_colls > MISP_FEED_COLLS_MAX)
		return tx_error_set(err, TX_ERR_NOTFOUND, "saved filter %s: no"
				    " collections", f->name);
	for (size_t i = 0; i < f->n_colls; i++) {
		if (store_collection_get(st, u, f->colls[i], &c) != TX_OK ||
		    !c.can_read)
			return tx_error_set(err, TX_ERR_NOTFOUND, "saved filter %s:"
					    " collection %s is gone or not"
					    " readable", f->name, f->colls[i]);
		pks[i] = c.pk;
	}
	for (size_t i = 0; i < f->n_labels; i++)
		labels[i] = f->labels[i];
	o->collection_pk = pks[0];
	o->colls = pks;
	o->n_colls = f->n_colls;
	o->labels = labels;
	o->n_labels = f->n_labels;
	o->tlp_max = f->tlp[0] ? f->tlp : NULL;
	return TX_OK;
}
