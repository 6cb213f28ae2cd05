/*
 * misp/import.c: MISP events to STIX 2.1.
 *
 * An event is a report (report--<event uuid>) by the identity of its Orgc
 * (identity--<Orgc uuid>), naming what its attributes became:
 *   to_ids true   an indicator (indicator--<attribute uuid>) with the
 *                 pattern of its type (misp/map.c); stix2-pattern as is
 *   to_ids false  an observed-data (observed-data--<attribute uuid>) of
 *                 the SCO it saw (SCO ids are the STIX 2.1 content ids)
 *   text, comment a note on the report; link an external reference of the
 *                 report; vulnerability a vulnerability
 * A MISP object of a template misp/objects.c knows is one indicator (or
 * one observed-data) of all its attributes; other objects' attributes are
 * mapped one by one as above. ObjectReferences become relationships
 * between the first objects the two ends made.
 * Galaxy clusters (and misp-galaxy tags) with an ATT&CK id become
 * attack-patterns (T), intrusion-sets (G) or courses of action, their id
 * derived from the ATT&CK id and the TLP; other tags become labels.
 *
 * Ids: a MISP uuid in upper case is lowered; one that is no UUID at all
 * ("a" in PyMISP's tests), or missing, gives the UUIDv5 (trilex
 * namespace) of "misp\n<event uuid>\n<where>" (docs/ids.md), so the same
 * file always makes the same objects and a re-import updates them.
 * Times come from the MISP timestamps (seconds), never from the clock.
 *
 * TLP: the tlp: tags of the event (tlp:white is CLEAR; a tlp: tag this
 * code does not know reads as RED), else the caller's default; an
 * attribute's own tlp: tag can only make it stricter, never looser.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "federation/federation.h"
#include "misp/misp.h"
#include "stix/stix.h"

#define DEFAULT_MAX_EVENTS 100000
#define DEFAULT_MAX_ATTRS 1000000
#define DEFAULT_MAX_FILE (256u << 20)
#define FIXED_TIME "2000-01-01T00:00:00.000Z"

struct conv {
	const struct misp_import_opts *o;
	json_t *out;                /* borrowed: where objects go */
	json_t *seen;               /* ids already put in out */
	struct misp_import_stats *s;
	/* the event being converted */
	char ev_uuid[TX_UUID_BUF];
	const char *ev_label;
	enum fed_tlp tlp;
	char marking[80];
	char ident[64];             /* created_by_ref, "" when none */
	char ts[TX_TIME_BUF];       /* the event's time */
	json_t *refs;               /* the report's object_refs */
	json_t *in_refs;            /* the ids in refs */
	json_t *ext_refs;           /* the report's external_references */
	json_t *labels;
	json_t *by_misp;            /* MISP uuid -> first STIX id made */
	char ev_label_buf[64];
};

static void problem(struct conv *c, const char *what, size_t i,
		    const char *type, const char *why)
{
	c->s->unmapped++;
	if (c->o->problem)
		c->o->problem(c->o->ctx, c->ev_label, what, i, type ? type : "?",
			      why);
}

/* A lower-case UUID from s, or the UUIDv5 of "misp\n<event>\n<where>"
 * when s is no UUID. */
static void norm_uuid(const char *s, const char *ev, const char *where,
		      char out[TX_UUID_BUF])
{
	char name[512];

	if (s != NULL && tx_uuid_valid(s, strlen(s)) && strlen(s) == 36) {
		for (int i = 0; i < 36; i++)
			out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
		out[36] = '\0';
		return;
	}
	snprintf(name, sizeof(name), "misp\n%s\n%s%s%s", ev ? ev : "", where,
		 s ? "\n" : "", s ? s : "");
	tx_uuid5(tx_uuid_ns_trilex, name, strlen(name), out);
}

/* A MISP timestamp (seconds as a string or number) as a STIX time, else
 * fallback. */
static void stix_time(const json_t *v, const char *fallback, char out[TX_TIME_BUF])
{
	int64_t secs = -1;

	if (json_is_integer(v))
		secs = json_integer_value(v);
	else if (json_is_string(v) &&
		 tx_parse_int64(json_string_value(v), 0, 253402300799LL, &secs) != TX_OK)
		secs = -1;
	if (secs > 0 && secs <= 253402300799LL)
		tx_time_format_ms(secs * 1000000, out);
	else
		snprintf(out, TX_TIME_BUF, "%s", fallback);
}

static int truthy(const json_t *v)
{
	const char *s = json_string_value(v);

	return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0) ||
	       (s && (strcmp(s, "1") == 0 || strcasecmp(s, "true") == 0));
}

/* The TLP of a tag name, or -1 when it is no tlp: tag. */
static int tag_tlp(const char *name)
{
	int t;

	if (name == NULL || strncasecmp(name, "tlp:", 4) != 0)
		return -1;
	t = fed_tlp_parse(name + 4);
	return t < 0 ? FED_TLP_RED : t;   /* unknown (tlp:ex:chr): strictest */
}

/* The strictest tlp: tag of a Tag list, or -1. */
static int tags_tlp(const json_t *tags)
{
	const json_t *t;
	size_t i;
	int best = -1;

	json_array_foreach(tags, i, t) {
		int l = tag_tlp(tx_json_str(t, "name"));
		if (l > best)
			best = l;
	}
	return best;
}

/* Append obj (taken) to the output unless its id is there already. */
static int emit(struct conv *c, json_t *obj)
{
	const char *id = tx_json_str(obj, "id");

	if (obj == NULL || id == NULL)
		return json_decref(obj), -1;
	if (json_object_get(c->seen, id) != NULL) {
		json_decref(obj);
		return 0;
	}
	if (json_object_set_new(c->seen, id, json_true()) != 0) {
		json_decref(obj); /* not taken by the output yet */
		return -1;
	}
	if (json_array_append_new(c->out, obj) != 0)
		return -1;
	return 0;
}

/* type, spec_version, id, created, modified, marking, created_by_ref. */
static json_t *sdo(struct conv *c, const char *type, const char *uuid,
		   const char *time, const char *marking)
{
	char id[96];
	json_t *o;

	snprintf(id, sizeof(id), "%s--%s", type, uuid);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}", "type", type,
		      "spec_version", "2.1", "id", id, "created", time, "modified",
		      time, "object_marking_refs", marking);
	if (o != NULL && c->ident[0])
		json_object_set_new(o, "created_by_ref", json_string(c->ident));
	return o;
}

static void remember(struct conv *c, const char *misp_uuid, const char *id)
{
	if (misp_uuid && json_object_get(c->by_misp, misp_uuid) == NULL)
		json_object_set_new(c->by_misp, misp_uuid, json_string(id));
}

/* Name id in the report, once. */
static void add_ref(struct conv *c, const char *id)
{
	if (id == NULL || json_object_get(c->in_refs, id) != NULL)
		return;
	json_object_set_new(c->in_refs, id, json_true());
	json_array_append_new(c->refs, json_string(id));
}

/* One attribute (where: "Attribute", "Object[2].Attribute"; i its index). */
static int attribute(struct conv *c, const json_t *a, const char *where,
		     size_t i, const char *object_uuid)
{
	const char *type = tx_json_str(a, "type");
	const char *value = tx_json_str(a, "value");
	const char *comment = tx_json_str(a, "comment");
	const char *raw_uuid = tx_json_str(a, "uuid");
	char uuid[TX_UUID_BUF], loc[96], time[TX_TIME_BUF], marking[80];
	int tlp = tags_tlp(json_object_get(a, "Tag"));
	const char *why = NULL;
	json_t *o = NULL;
	char *pattern = NULL;
	int rc = 0;

	if (truthy(json_object_get(a, "deleted")))
		return 0;
	if (type == NULL || value == NULL || value[0] == '\0') {
		problem(c, where, i, type, type ? "no value" : "no type");
		return 0;
	}
	snprintf(loc, sizeof(loc), "%s[%zu]", where, i);
	norm_uuid(raw_uuid, c->ev_uuid, loc, uuid);
	stix_time(json_object_get(a, "timestamp"), c->ts, time);
	/* an attribute's tag can only make it stricter than its event */
	snprintf(marking, sizeof(marking), "%s", fed_tlp_marking(
		tlp > (int)c->tlp ? (enum fed_tlp)tlp : c->tlp));
	if (strcmp(type, "link") == 0) {
		json_array_append_new(c->ext_refs, json_pack("{s:s, s:s}",
				      "source_name", "misp-link", "url", value));
		c->s->attributes++;
		return 0;
	}
	if (strcmp(type, "text") == 0 || strcmp(type, "comment") == 0) {
		char rid[96];
		snprintf(rid, sizeof(rid), "report--%s", c->ev_uuid);
		o = sdo(c, "note", uuid, time, marking);
		json_object_set_new(o, "content", json_string(value));
		if (comment && comment[0])
			json_object_set_new(o, "abstract", json_string(comment));
		json_object_set_new(o, "object_refs", json_pack("[s]", rid));
		c->s->notes++;
	} else if (strcmp(type, "vulnerability") == 0) {
		o = sdo(c, "vulnerability", uuid, time, marking);
		json_object_set_new(o, "name", json_string(value));
		if (strncasecmp(value, "CVE-", 4) == 0)
			json_object_set_new(o, "external_references", json_pack(
				"[{s:s, s:s}]", "source_name", "cve", "external_id",
				value));
	} else if (strcmp(type, "yara") == 0 || strcmp(type, "sigma") == 0 ||
		   strcmp(type, "snort") == 0) {
		/* a rule: an indicator in its own pattern language */
		o = sdo(c, "indicator", uuid, time, marking);
		{
			char name[64];
			snprintf(name, sizeof(name), "%s rule", type);
			json_object_set_new(o, "name", json_string(name));
		}
		if (comment && comment[0])
			json_object_set_new(o, "description", json_string(comment));
		json_object_set_new(o, "pattern", json_string(value));
		json_object_set_new(o, "pattern_type", json_string(type));
		json_object_set_new(o, "valid_from", json_string(time));
		c->s->indicators++;
	} else if (truthy(json_object_get(a, "to_ids"))) {
		if ((pattern = misp_pattern_of_attr(type, value, &why)) == NULL) {
			if (why == misp_why_nomem)
				return -1; /* not the attribute's fault */
			problem(c, where, i, type, why);
			return 0;
		}
		o = sdo(c, "indicator", uuid, time, marking);
		{
			char name[300];
			snprintf(name, sizeof(name), "%s: %.250s", type, value);
			json_object_set_new(o, "name", json_string(name));
		}
		if (comment && comment[0])
			json_object_set_new(o, "description", json_string(comment));
		json_object_set_new(o, "pattern", json_string(pattern));
		json_object_set_new(o, "pattern_type", json_string("stix"));
		json_object_set_new(o, "valid_from", json_string(time));
		c->s->indicators++;
	} else {
		unsigned long jf = tx_json_failures();
		json_t *sco = misp_sco_of_attr(type, value);
		struct tx_error err = { 0 };
		char sid[128];

		if (sco == NULL) {
			if (tx_json_failures() != jf)
				return -1; /* out of memory, not unmappable */
			problem(c, where, i, type, "no STIX object for what it saw");
			return 0;
		}
		json_object_set_new(sco, "spec_version", json_string("2.1"));
		if (stix_sco_id(sco, sid, sizeof(sid), &err) != TX_OK) {
			json_decref(sco);
			if (err.code == TX_ERR_NOMEM)
				return -1;
			problem(c, where, i, type, err.msg);
			return 0;
		}
		json_object_set_new(sco, "id", json_string(sid));
		json_object_set_new(sco, "object_marking_refs", json_pack("[s]",
				    marking));
		if (emit(c, sco) != 0)
			return -1;
		o = sdo(c, "observed-data", uuid, time, marking);
		json_object_set_new(o, "first_observed", json_string(time));
		json_object_set_new(o, "last_observed", json_string(time));
		json_object_set_new(o, "number_observed", json_integer(1));
		json_object_set_new(o, "object_refs", json_pack("[s]", sid));
		c->s->observed++;
	}
	if (o == NULL) {
		free(pattern);
		return -1;
	}
	add_ref(c, tx_json_str(o, "id"));
	remember(c, raw_uuid, tx_json_str(o, "id"));
	remember(c, object_uuid, tx_json_str(o, "id"));
	rc = emit(c, o);
	c->s->attributes++;
	free(pattern);
	return rc;
}

#define OBJ_ATTRS_MAX 64

/*
 * A MISP object of a template misp/objects.c knows (x, the i-th of its
 * event) as one STIX object: an indicator ANDing its attributes'
 * equalities when any of them is to_ids, else an observed-data of the
 * SCOs they describe; id from the object's uuid. Attributes whose
 * relation has no STIX property are told and left out. 0, or -1.
 */
static int misp_object(struct conv *c, const json_t *x, size_t oi,
		       size_t *n_attrs, size_t max_attrs)
{
	const char *name = tx_json_str(x, "name"), *raw = tx_json_str(x, "uuid");
	const char *rels[OBJ_ATTRS_MAX], *vals[OBJ_ATTRS_MAX], *why;
	const json_t *a;
	char where[64], loc[64], uuid[TX_UUID_BUF], time[TX_TIME_BUF];
	char marking[80];
	size_t j, n = 0;
	int to_ids = 0, tlp = (int)c->tlp;
	json_t *o = NULL;

	snprintf(where, sizeof(where), "Object[%zu].Attribute", oi);
	snprintf(loc, sizeof(loc), "Object[%zu]", oi);
	norm_uuid(raw, c->ev_uuid, loc, uuid);
	stix_time(json_object_get(x, "timestamp"), c->ts, time);
	json_array_foreach(json_object_get(x, "Attribute"), j, a) {
		const char *rel = tx_json_str(a, "object_relation");
		const char *val = tx_json_str(a, "value");
		int t = tags_tlp(json_object_get(a, "Tag"));
		if (truthy(json_object_get(a, "deleted")))
			continue;
		if ((*n_attrs)++ >= max_attrs) {
			problem(c, where, j, tx_json_str(a, "type"),
				"more attributes than the limit");
			continue;
		}
		if ((why = misp_obj_check(name, rel, val)) != NULL ||
		    (n == OBJ_ATTRS_MAX && (why = "more attributes than one object"
					   " maps") != NULL)) {
			char msg[160];
			snprintf(msg, sizeof(msg), "object relation %.60s: %s",
				 rel ? rel : "(none)", why);
			problem(c, where, j, tx_json_str(a, "type"), msg);
			continue;
		}
		rels[n] = rel;
		vals[n++] = val;
		to_ids |= truthy(json_object_get(a, "to_ids"));
		if (t > tlp)
			tlp = t;
	}
	if (n == 0)
		return 0;
	snprintf(marking, sizeof(marking), "%s", fed_tlp_marking((enum fed_tlp)tlp));
	if (to_ids) {
		char *pattern = misp_obj_pattern(name, rels, vals, n), label[300];
		if (pattern == NULL)
			return -1;
		o = sdo(c, "indicator", uuid, time, marking);
		snprintf(label, sizeof(label), "%s: %.250s", name, vals[0]);
		json_object_set_new(o, "name", json_string(label));
		if (tx_json_str(x, "comment") && tx_json_str(x, "comment")[0])
			json_object_set_new(o, "description",
					    json_string(tx_json_str(x, "comment")));
		json_object_set_new(o, "pattern", json_string(pattern));
		json_object_set_new(o, "pattern_type", json_string("stix"));
		json_object_set_new(o, "valid_from", json_string(time));
		free(pattern);
		c->s->indicators++;
	} else {
		char seed[160];
		json_t *scos, *sco, *ids;
		snprintf(seed, sizeof(seed), "misp\n%s\n%s\nsco", c->ev_uuid, uuid);
		scos = misp_obj_scos(name, rels, vals, n, seed);
		size_t k;
		if (scos == NULL || (ids = json_array()) == NULL) {
			json_decref(scos);
			return -1;
		}
		json_array_foreach(scos, k, sco) {
			json_array_append(ids, json_object_get(sco, "id"));
			json_object_set_new(sco, "object_marking_refs",
					    json_pack("[s]", marking));
			if (emit(c, json_incref(sco)) != 0) {
				json_decref(scos);
				json_decref(ids);
				return -1;
			}
		}
		json_decref(scos);
		o = sdo(c, "observed-data", uuid, time, marking);
		json_object_set_new(o, "first_observed", json_string(time));
		json_object_set_new(o, "last_observed", json_string(time));
		json_object_set_new(o, "number_observed", json_integer(1));
		json_object_set_new(o, "object_refs", ids);
		c->s->observed++;
	}
	if (o == NULL)
		return -1;
	add_ref(c, tx_json_str(o, "id"));
	/* its attributes and the object itself are ends of references */
	json_array_foreach(json_object_get(x, "Attribute"), j, a)
		remember(c, tx_json_str(a, "uuid"), tx_json_str(o, "id"));
	remember(c, raw, tx_json_str(o, "id"));
	c->s->attributes += n;
	return emit(c, o);
}

/* An ATT&CK id at the end of a cluster value ("Phishing - T1566"). */
static int trailing_id(const char *v, char out[16], const char **name_end)
{
	const char *p = v ? strstr(v, " - ") : NULL, *last = NULL;

	for (; p; p = strstr(p + 1, " - "))
		last = p;
	if (last == NULL) {
		/* the value may be the id itself ("T1566") */
		if (v && (v[0] == 'T' || v[0] == 'G' || v[0] == 'S' || v[0] == 'M') &&
		    strlen(v) >= 5 && strlen(v) < 16 && strspn(v + 1, "0123456789.") ==
		    strlen(v + 1)) {
			snprintf(out, 16, "%s", v);
			*name_end = v;
			return 1;
		}
		return 0;
	}
	last += 3;
	if (strlen(last) < 5 || strlen(last) >= 16 ||
	    strspn(last + 1, "0123456789.") != strlen(last + 1) ||
	    strchr("TGSM", last[0]) == NULL)
		return 0;
	snprintf(out, 16, "%s", last);
	*name_end = last - 3;
	return 1;
}

/* A galaxy cluster (type: the galaxy's; value; ext: its ATT&CK id or
 * NULL) as an SDO; 0 when mapped, 1 when it is no ATT&CK cluster. */
static int cluster(struct conv *c, const char *gtype, const char *value,
		   const char *ext)
{
	char idbuf[16], name[512], key[128], uuid[TX_UUID_BUF];
	const char *stype = NULL, *name_end = NULL;
	json_t *o;

	if (gtype == NULL || value == NULL)
		return 1;
	if (ext == NULL && trailing_id(value, idbuf, &name_end))
		ext = idbuf;
	if (ext == NULL)
		return 1;
	if (strstr(gtype, "attack-pattern") && ext[0] == 'T')
		stype = "attack-pattern";
	else if (strstr(gtype, "intrusion-set") && ext[0] == 'G')
		stype = "intrusion-set";
	else if (strstr(gtype, "course-of-action"))
		stype = "course-of-action";
	if (stype == NULL)
		return 1;
	if (name_end == NULL)
		trailing_id(value, idbuf, &name_end);
	if (name_end != NULL && name_end > value)
		snprintf(name, sizeof(name), "%.*s", (int)(name_end - value), value);
	else
		snprintf(name, sizeof(name), "%s", value);
	snprintf(key, sizeof(key), "%s\n%s\n%s", stype, ext, fed_tlp_name(c->tlp));
	tx_uuid5(tx_uuid_ns_trilex, key, strlen(key), uuid);
	o = sdo(c, stype, uuid, FIXED_TIME, c->marking);
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "external_references", json_pack("[{s:s, s:s}]",
			    "source_name", "mitre-attack", "external_id", ext));
	if (json_object_get(c->in_refs, tx_json_str(o, "id")) != NULL) {
		json_decref(o);
		return 0;
	}
	add_ref(c, tx_json_str(o, "id"));
	if (emit(c, o) != 0)
		return -1;
	c->s->galaxies++;
	return 0;
}

/* misp-galaxy:TYPE="VALUE" into type and value; 0 when it is one. */
static int galaxy_tag(const char *tag, char *type, size_t tn, char *value,
		      size_t vn)
{
	const char *eq, *q;

	if (tag == NULL || strncmp(tag, "misp-galaxy:", 12) != 0 ||
	    (eq = strchr(tag, '=')) == NULL || eq[1] != '"' ||
	    (q = strrchr(eq + 2, '"')) == NULL)
		return -1;
	snprintf(type, tn, "%.*s", (int)(eq - tag - 12), tag + 12);
	snprintf(value, vn, "%.*s", (int)(q - eq - 2), eq + 2);
	return 0;
}

/* Phase 3 of an event: references between its objects, once every end
 * is known (-1: out of memory). */
static int object_references(struct conv *c, const json_t *ev)
{
	const json_t *x, *y;
	size_t i, j;

	json_array_foreach(json_object_get(ev, "Object"), i, x) {
		char where[64];
		snprintf(where, sizeof(where), "Object[%zu].ObjectReference", i);
		json_array_foreach(json_object_get(x, "ObjectReference"), j, y) {
			const char *from = tx_json_str(y, "object_uuid");
			const char *to = tx_json_str(y, "referenced_uuid");
			const char *rt = tx_json_str(y, "relationship_type");
			const char *src, *dst;
			char ru[TX_UUID_BUF], key[256], type[64];
			size_t k = 0;
			json_t *rel;

			if (from == NULL)
				from = tx_json_str(x, "uuid");
			src = json_string_value(json_object_get(c->by_misp, from ? from : ""));
			dst = json_string_value(json_object_get(c->by_misp, to ? to : ""));
			if (src == NULL || dst == NULL || rt == NULL) {
				problem(c, where, j, rt, "refers to nothing this import made");
				continue;
			}
			/* STIX relationship types: lower case, digits, '-' */
			for (const char *p = rt; *p && k + 1 < sizeof(type); p++) {
				char ch = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
				type[k++] = (ch >= 'a' && ch <= 'z') ||
					    (ch >= '0' && ch <= '9') ? ch : '-';
			}
			type[k] = '\0';
			snprintf(key, sizeof(key), "%s\n%s\n%s", src, type, dst);
			norm_uuid(tx_json_str(y, "uuid"), c->ev_uuid, key, ru);
			rel = sdo(c, "relationship", ru, c->ts, c->marking);
			json_object_set_new(rel, "relationship_type", json_string(type));
			json_object_set_new(rel, "source_ref", json_string(src));
			json_object_set_new(rel, "target_ref", json_string(dst));
			if (rel == NULL)
				return -1;
			add_ref(c, tx_json_str(rel, "id"));
			if (emit(c, rel) != 0)
				return -1;
			c->s->relationships++;
		}
	}
	return 0;
}

/* Phase 4 of an event: its galaxies' clusters, then misp-galaxy tags that
 * no cluster named (-1: out of memory). */
static int galaxies(struct conv *c, const json_t *ev, json_t *seen_clusters)
{
	const json_t *x, *y;
	size_t i, j;

	json_array_foreach(json_object_get(ev, "Galaxy"), i, x) {
		const char *gtype = tx_json_str(x, "type");
		json_array_foreach(json_object_get(x, "GalaxyCluster"), j, y) {
			const json_t *eid = json_object_get(json_object_get(y, "meta"),
							    "external_id");
			const char *ext = json_string_value(json_array_get(eid, 0));
			const char *tn = tx_json_str(y, "tag_name");
			int r = cluster(c, gtype ? gtype : tx_json_str(y, "type"),
					tx_json_str(y, "value"), ext);
			if (r < 0)
				return -1;
			if (tn)
				json_object_set_new(seen_clusters, tn, json_true());
			if (r > 0 && tn)
				json_array_append_new(c->labels, json_string(tn));
		}
	}
	json_array_foreach(json_object_get(ev, "Tag"), i, x) {
		const char *name = tx_json_str(x, "name");
		char gtype[256], gval[512];
		int r = 1;

		if (name == NULL || tag_tlp(name) >= 0 ||
		    json_object_get(seen_clusters, name) != NULL)
			continue;
		if (galaxy_tag(name, gtype, sizeof(gtype), gval, sizeof(gval)) == 0 &&
		    (r = cluster(c, gtype, gval, NULL)) < 0)
			return -1;
		if (r > 0)
			json_array_append_new(c->labels, json_string(name));
	}
	return 0;
}

/* One MISP event (ev: the inside of {"Event": ...}); index in the input. */
static int event(struct conv *c, const json_t *ev, size_t index)
{
	const json_t *org = json_object_get(ev, "Orgc"), *x, *y;
	const char *info = tx_json_str(ev, "info");
	const char *raw = tx_json_str(ev, "uuid");
	char rid[96], pub[TX_TIME_BUF], oname[512];
	size_t i, j, n_attrs = 0;
	size_t max_attrs = c->o->max_attributes ? c->o->max_attributes :
			   DEFAULT_MAX_ATTRS;
	int tlp, rc = 0;
	json_t *rep = NULL, *seen_clusters = json_object();

	if (org == NULL)
		org = json_object_get(ev, "Org");
	if (raw != NULL) {
		snprintf(c->ev_label_buf, sizeof(c->ev_label_buf), "%.60s", raw);
	} else {
		snprintf(c->ev_label_buf, sizeof(c->ev_label_buf), "events[%zu]", index);
	}
	c->ev_label = c->ev_label_buf;
	/* no uuid: one from what the event says of itself */
	if (raw == NULL) {
		char name[1024];
		snprintf(name, sizeof(name), "misp-event\n%.400s\n%.20s\n%.200s",
			 info ? info : "", tx_json_str(ev, "date") ?
			 tx_json_str(ev, "date") : "", tx_json_str(org, "name") ?
			 tx_json_str(org, "name") : "");
		tx_uuid5(tx_uuid_ns_trilex, name, strlen(name), c->ev_uuid);
	} else {
		norm_uuid(raw, "", "Event", c->ev_uuid);
	}
	{
		char d[TX_TIME_BUF];
		const char *date = tx_json_str(ev, "date");
		int64_t us;
		snprintf(d, sizeof(d), "%.10sT00:00:00Z", date ? date : "");
		if (date && strlen(date) == 10 && tx_time_parse(d, &us, NULL) == TX_OK)
			tx_time_format_ms(us, d);
		else
			snprintf(d, sizeof(d), "%s", FIXED_TIME);
		stix_time(json_object_get(ev, "timestamp"), d, c->ts);
		stix_time(json_object_get(ev, "publish_timestamp"), c->ts, pub);
	}
	tlp = tags_tlp(json_object_get(ev, "Tag"));
	if (tlp < 0) {
		tlp = fed_tlp_parse(c->o->default_tlp ? c->o->default_tlp : "amber");
		if (tlp < 0)
			tlp = FED_TLP_AMBER;
	}
	c->tlp = (enum fed_tlp)tlp;
	snprintf(c->marking, sizeof(c->marking), "%s", fed_tlp_marking(c->tlp));
	c->ident[0] = '\0';
	c->refs = json_array();
	c->ext_refs = json_array();
	c->labels = json_array();
	c->by_misp = json_object();
	c->in_refs = json_object();
	if (c->refs == NULL || c->in_refs == NULL || c->ext_refs == NULL || c->labels == NULL ||
	    c->by_misp == NULL || seen_clusters == NULL)
		goto nomem;
	/* the Orgc's identity */
	if (tx_json_str(org, "name") != NULL) {
		char ou[TX_UUID_BUF];
		json_t *id;
		snprintf(oname, sizeof(oname), "%s", tx_json_str(org, "name"));
		norm_uuid(tx_json_str(org, "uuid"), "", oname, ou);
		snprintf(c->ident, sizeof(c->ident), "identity--%s", ou);
		id = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type",
			       "identity", "spec_version", "2.1", "id", c->ident,
			       "created", FIXED_TIME, "modified", FIXED_TIME,
			       "name", oname, "identity_class", "organization");
		if (emit(c, id) != 0)
			goto nomem;
	}
	json_array_foreach(json_object_get(ev, "Attribute"), i, x) {
		if (n_attrs++ >= max_attrs) {
			problem(c, "Attribute", i, tx_json_str(x, "type"),
				"more attributes than the limit");
			continue;
		}
		if (attribute(c, x, "Attribute", i, NULL) != 0)
			goto nomem;
	}
	json_array_foreach(json_object_get(ev, "Object"), i, x) {
		char where[64], ou[TX_UUID_BUF];
		const char *obj_uuid = tx_json_str(x, "uuid");

		snprintf(where, sizeof(where), "Object[%zu].Attribute", i);
		norm_uuid(obj_uuid, c->ev_uuid, where, ou);
		if (misp_obj_known(tx_json_str(x, "name"))) {
			if (misp_object(c, x, i, &n_attrs, max_attrs) != 0)
				goto nomem;
			continue;
		}
		json_array_foreach(json_object_get(x, "Attribute"), j, y) {
			if (n_attrs++ >= max_attrs) {
				problem(c, where, j, tx_json_str(y, "type"),
					"more attributes than the limit");
				continue;
			}
			if (attribute(c, y, where, j, obj_uuid) != 0)
				goto nomem;
		}
	}
	/* references between objects, then galaxies */
	if (object_references(c, ev) != 0 || galaxies(c, ev, seen_clusters) != 0)
		goto nomem;
	/* the report */
	snprintf(rid, sizeof(rid), "report--%s", c->ev_uuid);
	if (json_array_size(c->refs) == 0 && c->ident[0])
		add_ref(c, c->ident);
	if (json_array_size(c->refs) == 0) {
		problem(c, "Event", index, "event", "nothing to report: no attribute"
			" could be mapped and there is no Orgc");
		goto done;
	}
	rep = sdo(c, "report", c->ev_uuid, c->ts, c->marking);
	json_object_set_new(rep, "name", json_string(info && info[0] ? info :
						     "MISP event"));
	json_object_set_new(rep, "published", json_string(pub));
	json_object_set_new(rep, "report_types", json_pack("[s]", "threat-report"));
	json_object_set(rep, "object_refs", c->refs);
	if (json_array_size(c->labels))
		json_object_set(rep, "labels", c->labels);
	if (json_array_size(c->ext_refs))
		json_object_set(rep, "external_references", c->ext_refs);
	if (rep == NULL || emit(c, rep) != 0)
		goto nomem;
	c->s->events++;
done:
	json_decref(c->refs);
	json_decref(c->in_refs);
	json_decref(c->ext_refs);
	json_decref(c->labels);
	json_decref(c->by_misp);
	json_decref(seen_clusters);
	return rc;
nomem:
	rc = -1;
	goto done;
}

/* Whether o looks like a MISP event at all. */
static int is_event(const json_t *o)
{
	return json_is_object(o) && (json_object_get(o, "info") ||
				     json_object_get(o, "Attribute") ||
				     json_object_get(o, "Object"));
}

tx_err misp_import_text(const char *text, size_t len,
			const struct misp_import_opts *o, json_t *objects,
			struct misp_import_stats *stats, struct tx_error *err)
{
	struct misp_import_stats s0 = { 0 };
	struct conv c = { .o = o, .out = objects, .s = stats ? stats : &s0 };
	size_t max_events = o->max_events ? o->max_events : DEFAULT_MAX_EVENTS;
	json_error_t je;
	json_t *doc = tx_json_load(text, len, JSON_REJECT_DUPLICATES, &je);
	const json_t *list = NULL, *e;
	size_t i, bad = 0, n = 0;
	tx_err rc = TX_OK;

	if (doc == NULL)
		return tx_error_set(err, TX_ERR_INVALID, "line %d column %d: %s",
				    je.line, je.column, je.text);
	if ((c.seen = json_object()) == NULL) {
		json_decref(doc);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	/* a list, {"response": [...]}, {"Event": ...} or a bare event */
	if (json_is_array(doc))
		list = doc;
	else if (json_is_array(json_object_get(doc, "response")))
		list = json_object_get(doc, "response");
	json_t *one = list ? NULL : json_pack("[O]", doc);
	if (list == NULL && (list = one) == NULL)
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	json_array_foreach(list, i, e) {
		const json_t *ev = json_object_get(e, "Event") ?
				   json_object_get(e, "Event") : e;
		if (n >= max_events) {
			rc = tx_error_set(err, TX_ERR_TOOBIG, "more than %zu events",
					  max_events);
			break;
		}
		if (!is_event(ev)) {
			char label[32];
			snprintf(label, sizeof(label), "events[%zu]", i);
			c.ev_label = label;
			problem(&c, "Event", i, json_is_object(ev) ? "object" :
				"not an object", "not a MISP event: no Event, info,"
				" Attribute or Object");
			bad++;
			continue;
		}
		n++;
		/* an event's objects are whole or none of them stays: a
		 * jansson call that failed unseen counts as out of memory */
		unsigned long jf = tx_json_failures();
		size_t before = json_array_size(objects);
		if (event(&c, ev, i) != 0 || tx_json_failures() != jf) {
			while (json_array_size(objects) > before)
				json_array_remove(objects, json_array_size(objects) - 1);
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			break;
		}
	}
	if (rc == TX_OK && n == 0 && bad > 0)
		rc = tx_error_set(err, TX_ERR_INVALID, "not a MISP event: no Event,"
				  " info, Attribute or Object");
	json_decref(one);
	json_decref(c.seen);
	json_decref(doc);
	return rc;
}

tx_err misp_import_path(const char *path, size_t max_file,
			const struct misp_import_opts *o, json_t *objects,
			struct misp_import_stats *stats, struct tx_error *err)
{
	struct stat sb;
	char *text = NULL, file[4096];
	size_t len = 0;
	json_t *man = NULL;
	const char *key;
	json_t *v;
	tx_err rc;

	if (max_file == 0)
		max_file = DEFAULT_MAX_FILE;
	if (stat(path, &sb) != 0)
		return tx_error_set(err, TX_ERR_IO, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(sb.st_mode)) {
		if ((rc = tx_read_file(path, max_file, &text, &len, err)) != TX_OK)
			return rc;
		rc = misp_import_text(text, len, o, objects, stats, err);
		if (rc != TX_OK)
			tx_error_prefix(err, "%s", path);
		free(text);
		return rc;
	}
	/* a feed folder: its manifest names the events */
	if ((rc = tx_path_join(file, sizeof(file), path, "manifest.json")) != TX_OK ||
	    (rc = tx_read_file(file, max_file, &text, &len, err)) != TX_OK)
		return rc == TX_ERR_TOOBIG ? tx_error_set(err, rc, "%s: path too"
							  " long", path) : rc;
	{
		json_error_t je;
		man = tx_json_load(text, len, JSON_REJECT_DUPLICATES, &je);
		free(text);
		text = NULL;
		if (!json_is_object(man)) {
			json_decref(man);
			return man ? tx_error_set(err, TX_ERR_INVALID, "%s: not an object"
						  " of events", file) :
				     tx_error_set(err, TX_ERR_INVALID, "%s: line %d "
						  "column %d: %s", file, je.line,
						  je.column, je.text);
		}
	}
	rc = TX_OK;
	json_object_foreach(man, key, v) {
		char name[64];
		struct tx_error e = { 0 };

		if (strlen(key) != 36 || !tx_uuid_valid(key, 36)) {
			if (o->problem)
				o->problem(o->ctx, key, "manifest.json", 0, "event",
					   "not a uuid: no file read");
			if (stats)
				stats->unmapped++;
			continue;
		}
		snprintf(name, sizeof(name), "%s.json", key);
		if (tx_path_join(file, sizeof(file), path, name) != TX_OK ||
		    tx_read_file(file, max_file, &text, &len, &e) != TX_OK ||
		    misp_import_text(text, len, o, objects, stats, &e) != TX_OK) {
			if (tx_err_transient(e.code) && e.code != TX_ERR_IO) {
				rc = tx_error_set(err, e.code, "%s: %s", name, e.msg);
				free(text);
				break;
			}
			if (o->problem)
				o->problem(o->ctx, key, name, 0, "event", e.msg[0] ?
					   e.msg : "cannot be read");
			if (stats)
				stats->unmapped++;
		}
		free(text);
		text = NULL;
		if (o->flush != NULL && json_array_size(objects) >=
		    (o->flush_at ? o->flush_at : 10000) &&
		    (rc = o->flush(o->ctx, objects, err)) != TX_OK)
			break;
	}
	json_decref(man);
	return rc;
}
