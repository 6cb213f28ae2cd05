/*
 * policy/incident.c: the incident reader and the fact catalog.
 *
 * An incident arrives as a STIX bundle: one incident with the Incident Core
 * extension (determination, investigation_status, criticality,
 * impacted_entity_counts, recoverability, impact_refs), the impact objects
 * it refers to, and optionally the trilex incident facts extension for
 * what the draft has no field for (deaths, injuries, causation, critical
 * infrastructure, state attribution, military nexus, onset). Every
 * property read is checked here; a wrong type is an error naming the
 * object and its JSON path. A property that is absent is not zero: the
 * fact it would set stays undetermined.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/internal.h"
#include "stix/stix.h"

#define MAX_OBJECTS 10000
#define MAX_IMPACTS 1000

static const char *const v_determination[] = { "false-positive", "blocked",
	"failed-attempt", "suspected", "confirmed", NULL };
static const char *const v_investigation[] = { "new", "open", "closed", NULL };
static const char *const v_recover[] = { "not-applicable", "regular",
	"supplemented", "extended", "not-recoverable", NULL };
static const char *const v_causation[] = { "remote", "indirect", "proximate",
	"direct", NULL };
static const char *const v_physical[] = { "none", "damaged-functional",
	"damaged-nonfunctional", "destruction", NULL };
static const char *const v_integrity[] = { "none", "potential-modification",
	"potential-destruction", "partial-modification", "partial-destruction",
	"full-modification", "full-destruction", NULL };
static const char *const v_conf[] = { "none", "contained", "suspected-loss",
	"confirmed-loss", "exploited-loss", NULL };
static const char *const v_military[] = { "none", "dual-use",
	"military-target", "military-operation", NULL };
static const char *const v_effect[] = { "none", "espionage", "disruptive",
	"destructive", NULL };

#define CORE "incident extensions." INCIDENT_CORE_EXT
#define FX "incident extensions." POLICY_EXT_FACTS

const struct fact_def policy_facts[] = {
	{ "determination", FACT_STRING, v_determination, CORE ".determination",
	  "the Incident Core determination" },
	{ "investigation_status", FACT_STRING, v_investigation,
	  CORE ".investigation_status", "the Incident Core investigation_status" },
	{ "criticality", FACT_NUMBER, NULL, CORE ".criticality",
	  "the Incident Core criticality (0-100)" },
	{ "recoverability", FACT_STRING, v_recover,
	  "recoverability of the incident and its impacts (worst)",
	  "recoverability on the incident or its impacts" },
	{ "deaths", FACT_NUMBER, NULL, FX ".deaths",
	  "a count of deaths (trilex facts extension: deaths)" },
	{ "injuries", FACT_NUMBER, NULL, FX ".injuries",
	  "a count of injuries (trilex facts extension: injuries)" },
	{ "causation", FACT_STRING, v_causation, FX ".causation",
	  "how directly the operation caused the harm (trilex facts extension:"
	  " causation direct|proximate|indirect|remote)" },
	{ "critical_infrastructure", FACT_BOOL, NULL, FX ".critical_infrastructure",
	  "whether critical infrastructure was hit (trilex facts extension:"
	  " critical_infrastructure)" },
	{ "national_importance", FACT_BOOL, NULL, FX ".national_importance",
	  "whether that infrastructure is of national importance (trilex facts"
	  " extension: national_importance)" },
	{ "physical_damage", FACT_STRING, v_physical,
	  "physical impacts: impact_type (worst)",
	  "impact_refs with physical impacts, or the list of impacts" },
	{ "assets_nonfunctional", FACT_NUMBER, NULL,
	  "physical impacts damaged-nonfunctional or destruction: impacted_entity_counts",
	  "impact_refs with physical impacts and their impacted_entity_counts" },
	{ "availability", FACT_NUMBER, NULL,
	  "availability impacts: availability_impact (largest)",
	  "impact_refs with availability impacts" },
	{ "outage_hours", FACT_NUMBER, NULL,
	  "availability impacts at or above the policy's out_of_service_availability:"
	  " end_time - start_time (longest)",
	  "start_time and end_time of the availability impacts" },
	{ "integrity", FACT_STRING, v_integrity,
	  "integrity impacts: alteration (worst)",
	  "impact_refs with integrity impacts" },
	{ "confidentiality", FACT_STRING, v_conf,
	  "confidentiality impacts: loss_type (worst)",
	  "impact_refs with confidentiality impacts" },
	{ "classified", FACT_BOOL, NULL,
	  "confidentiality impacts: information_type classified-material lost",
	  "the information_type of the confidentiality impacts" },
	{ "monetary_usd", FACT_NUMBER, NULL,
	  "monetary impacts in usd: max_amount (largest)",
	  "monetary impacts with currency usd and max_amount" },
	{ "external", FACT_SET, NULL, "external impacts: impact_type (all)",
	  "impact_refs with external impacts" },
	{ "state_confidence", FACT_NUMBER, NULL, FX ".state_attribution.confidence",
	  "an attribution to a state with a confidence 0-100 (trilex facts"
	  " extension: state_attribution)" },
	{ "military_nexus", FACT_STRING, v_military, FX ".military_nexus",
	  "the military character of target or operation (trilex facts"
	  " extension: military_nexus)" },
	{ "onset_hours", FACT_NUMBER, NULL, FX ".onset_hours",
	  "hours from the operation to its first effect (trilex facts"
	  " extension: onset_hours)" },
	{ "effect_class", FACT_STRING, v_effect,
	  "derived from casualties and the impacts",
	  "impact_refs, or deaths/injuries" },
	{ "measured_impacts", FACT_NUMBER, NULL,
	  "impacts that carry a measure (counts, durations, amounts, records)",
	  "impact_refs" },
	{ "level", FACT_NUMBER, NULL, "the level the score reaches", "the factors" },
};

const size_t policy_n_facts = sizeof(policy_facts) / sizeof(policy_facts[0]);

const struct fact_def *policy_fact_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < policy_n_facts; i++)
		if (policy_facts[i].name[0] == name[0] &&
		    strcmp(policy_facts[i].name, name) == 0)
			return &policy_facts[i];
	return NULL;
}

int policy_vocab_index(const char *const *values, const char *v)
{
	for (int i = 0; values != NULL && values[i] != NULL; i++)
		if (strcmp(values[i], v) == 0)
			return i;
	return -1;
}

/* The ranges check_incident and check_impact admit. */
static const struct { const char *name; double hi; int integer; } fact_bounds[] = {
	{ "criticality", 100, 1 }, { "deaths", 100000000, 1 },
	{ "injuries", 100000000, 1 }, { "assets_nonfunctional", INFINITY, 1 },
	{ "availability", 100, 1 }, { "outage_hours", INFINITY, 0 },
	{ "monetary_usd", INFINITY, 0 }, { "state_confidence", 100, 1 },
	{ "onset_hours", INFINITY, 0 }, { "measured_impacts", MAX_IMPACTS, 1 },
	{ "level", 5, 1 },
};
#define N_FACT_BOUNDS (sizeof(fact_bounds) / sizeof(fact_bounds[0]))

/* Per catalog row, its fact_bounds row plus one (0: none); made once. */
static unsigned char bounds_of[128];
static pthread_once_t bounds_once = PTHREAD_ONCE_INIT;

static void bounds_init(void)
{
	for (size_t i = 0; i < policy_n_facts && i < sizeof(bounds_of); i++)
		for (size_t j = 0; j < N_FACT_BOUNDS; j++)
			if (strcmp(fact_bounds[j].name, policy_facts[i].name) == 0)
				bounds_of[i] = (unsigned char)(j + 1);
}

void policy_fact_bounds(const struct fact_def *fd, double *lo, double *hi,
		 int *integer)
{
	size_t i;

	*lo = 0;
	*hi = INFINITY;
	*integer = 0;
	if (fd == NULL || fd->kind != FACT_NUMBER)
		return;
	pthread_once(&bounds_once, bounds_init);
	i = (size_t)(fd - policy_facts);
	if (i < policy_n_facts && i < sizeof(bounds_of) && bounds_of[i] != 0) {
		*hi = fact_bounds[bounds_of[i] - 1].hi;
		*integer = fact_bounds[bounds_of[i] - 1].integer;
	}
}

/* ---- reading and checking ---- */

/* Check one member's shape: err names "objects[i] ID: path: reason". */
struct rd {
	size_t index;
	const char *id;
	struct tx_error *err;
};

static tx_err bad(const struct rd *r, const char *path, const char *why)
{
	return tx_error_set(r->err, TX_ERR_INVALID, "objects[%zu] %s: %s: %s",
			    r->index, r->id, path, why);
}

static tx_err check_int(const struct rd *r, const json_t *o, const char *key,
			const char *path, long long min, long long max)
{
	const json_t *x = json_object_get(o, key);
	char p[400], why[64];

	if (x == NULL)
		return TX_OK;
	snprintf(p, sizeof(p), "%s%s", path, key);
	snprintf(why, sizeof(why), "must be an integer %lld-%lld", min, max);
	if (!json_is_integer(x) || json_integer_value(x) < min ||
	    json_integer_value(x) > max)
		return bad(r, p, why);
	return TX_OK;
}

static tx_err check_num(const struct rd *r, const json_t *o, const char *key,
			const char *path)
{
	const json_t *x = json_object_get(o, key);
	char p[400];

	if (x == NULL)
		return TX_OK;
	snprintf(p, sizeof(p), "%s%s", path, key);
	if (!(json_is_integer(x) || json_is_real(x)) || json_number_value(x) < 0 ||
	    !isfinite(json_number_value(x)))
		return bad(r, p, "must be a number 0 or more");
	return TX_OK;
}

static tx_err check_enum(const struct rd *r, const json_t *o, const char *key,
			 const char *path, const char *const *values,
			 int required)
{
	const json_t *x = json_object_get(o, key);
	char p[400], why[400];
	size_t used = 0;

	tx_strfmt(p, sizeof(p), "%s%s", path, key);
	if (x == NULL)
		return required ? bad(r, p, "required property missing") : TX_OK;
	if (json_is_string(x) && (values == NULL ||
				  policy_vocab_index(values, json_string_value(x)) >= 0))
		return TX_OK;
	if (values == NULL)
		return bad(r, p, "must be a string");
	used = (size_t)snprintf(why, sizeof(why), "must be one of");
	for (size_t i = 0; values[i] && used < sizeof(why); i++)
		used += (size_t)snprintf(why + used, sizeof(why) - used, "%s %s",
					 i ? "," : "", values[i]);
	return bad(r, p, why);
}

static tx_err check_bool(const struct rd *r, const json_t *o, const char *key,
			 const char *path)
{
	const json_t *x = json_object_get(o, key);
	char p[400];

	snprintf(p, sizeof(p), "%s%s", path, key);
	if (x != NULL && !json_is_boolean(x))
		return bad(r, p, "must be true or false");
	return TX_OK;
}

static tx_err check_counts(const struct rd *r, const json_t *o,
			   const char *path)
{
	const json_t *c = json_object_get(o, "impacted_entity_counts");
	const char *k;
	json_t *v;
	char p[400];

	if (c == NULL)
		return TX_OK;
	snprintf(p, sizeof(p), "%simpacted_entity_counts", path);
	if (!json_is_object(c))
		return bad(r, p, "must be an object of entity type: count");
	json_object_foreach((json_t *)c, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			snprintf(p, sizeof(p), "%simpacted_entity_counts.%.64s",
				 path, k);
			return bad(r, p, "must be an integer 0 or more");
		}
	}
	return TX_OK;
}

static tx_err check_time(const struct rd *r, const json_t *o, const char *key)
{
	const json_t *x = json_object_get(o, key);
	int64_t us;

	if (x == NULL)
		return TX_OK;
	if (!json_is_string(x) ||
	    tx_time_parse(json_string_value(x), &us, NULL) != TX_OK)
		return bad(r, key, "not an RFC 3339 timestamp");
	return TX_OK;
}

static tx_err check_incident(const struct rd *r, const json_t *inc)
{
	static const char *const fx_members[] = { "extension_type", "deaths",
		"injuries", "causation", "critical_infrastructure",
		"national_importance", "military_nexus", "onset_hours",
		"state_attribution", NULL };
	const json_t *ext = json_object_get(inc, "extensions");
	const json_t *core = json_object_get(ext, INCIDENT_CORE_EXT);
	const json_t *fx = json_object_get(ext, POLICY_EXT_FACTS);
	const char *cp = "extensions." INCIDENT_CORE_EXT ".";
	const char *fp = "extensions." POLICY_EXT_FACTS ".";
	const json_t *refs;
	tx_err rc;

	if (core != NULL) {
		if (!json_is_object(core))
			return bad(r, cp, "must be an object");
		if ((rc = check_enum(r, core, "determination", cp, v_determination,
				     1)) || (rc = check_enum(r, core,
				     "investigation_status", cp, NULL, 1)) ||
		    (rc = check_int(r, core, "criticality", cp, 0, 100)) ||
		    (rc = check_enum(r, core, "recoverability", cp, v_recover, 0)) ||
		    (rc = check_counts(r, core, cp)))
			return rc;
		refs = json_object_get(core, "impact_refs");
		if (refs != NULL) {
			char p[400];
			snprintf(p, sizeof(p), "%simpact_refs", cp);
			if (!json_is_array(refs) || json_array_size(refs) > MAX_IMPACTS)
				return bad(r, p, "must be a list of at most 1000"
						 " impact ids");
			for (size_t i = 0; i < json_array_size(refs); i++) {
				const char *s = json_string_value(
					json_array_get(refs, i));
				if (s == NULL || !stix_id_valid(s, "impact")) {
					snprintf(p, sizeof(p), "%simpact_refs[%zu]",
						 cp, i);
					return bad(r, p, "must be an impact id");
				}
			}
		}
	}
	if (fx != NULL) {
		const json_t *sa = json_object_get(fx, "state_attribution");
		const char *k;
		json_t *v;

		if (!json_is_object(fx))
			return bad(r, fp, "must be an object");
		json_object_foreach((json_t *)fx, k, v) {
			if (policy_vocab_index(fx_members, k) < 0) {
				char p[400];
				snprintf(p, sizeof(p), "%s%.64s", fp, k);
				return bad(r, p, "unknown property of the trilex"
						 " facts extension");
			}
		}
		if ((rc = check_int(r, fx, "deaths", fp, 0, 100000000)) ||
		    (rc = check_int(r, fx, "injuries", fp, 0, 100000000)) ||
		    (rc = check_enum(r, fx, "causation", fp, v_causation, 0)) ||
		    (rc = check_bool(r, fx, "critical_infrastructure", fp)) ||
		    (rc = check_bool(r, fx, "national_importance", fp)) ||
		    (rc = check_enum(r, fx, "military_nexus", fp, v_military, 0)) ||
		    (rc = check_num(r, fx, "onset_hours", fp)))
			return rc;
		if (sa != NULL) {
			char p[400];
			snprintf(p, sizeof(p), "%sstate_attribution.", fp);
			if (!json_is_object(sa))
				return bad(r, p, "must be an object");
			if ((rc = check_int(r, sa, "confidence", p, 0, 100)) ||
			    (rc = check_enum(r, sa, "state", p, NULL, 0)))
				return rc;
			if (json_object_get(sa, "confidence") == NULL)
				return bad(r, p, "confidence: required property"
						 " missing");
		}
	}
	return TX_OK;
}

static tx_err check_impact(const struct rd *r, const json_t *imp)
{
	const json_t *ext = json_object_get(imp, "extensions");
	const char *cat = json_string_value(json_object_get(imp,
							    "impact_category"));
	const json_t *d;
	char p[400];
	tx_err rc;

	if (cat == NULL)
		return bad(r, "impact_category", "required string missing");
	if ((rc = check_int(r, imp, "criticality", "", 0, 100)) ||
	    (rc = check_enum(r, imp, "recoverability", "", v_recover, 0)) ||
	    (rc = check_counts(r, imp, "")) ||
	    (rc = check_time(r, imp, "start_time")) ||
	    (rc = check_time(r, imp, "end_time")))
		return rc;
	d = json_object_get(ext, cat);
	snprintf(p, sizeof(p), "extensions.%.64s.", cat);
	if (strcmp(cat, "availability") == 0 || strcmp(cat, "confidentiality") == 0 ||
	    strcmp(cat, "integrity") == 0 || strcmp(cat, "monetary") == 0 ||
	    strcmp(cat, "physical") == 0 || strcmp(cat, "external") == 0) {
		if (!json_is_object(d)) {
			snprintf(p, sizeof(p), "extensions.%.64s", cat);
			return bad(r, p, "required: an impact carries the extension"
					 " named by its impact_category");
		}
	} else {
		return TX_OK; /* other categories are not read */
	}
	if (strcmp(cat, "availability") == 0) {
		if (json_object_get(d, "availability_impact") == NULL)
			return bad(r, "extensions.availability.availability_impact",
				   "required property missing");
		return check_int(r, d, "availability_impact", p, 0, 100);
	}
	if (strcmp(cat, "confidentiality") == 0)
		return (rc = check_enum(r, d, "loss_type", p, v_conf, 1)) ? rc :
		       (rc = check_enum(r, d, "information_type", p, NULL, 0)) ? rc :
		       check_int(r, d, "record_count", p, 0, INT64_MAX);
	if (strcmp(cat, "integrity") == 0)
		return (rc = check_enum(r, d, "alteration", p, v_integrity, 1)) ? rc :
		       (rc = check_enum(r, d, "information_type", p, NULL, 0)) ? rc :
		       check_int(r, d, "record_count", p, 0, INT64_MAX);
	if (strcmp(cat, "monetary") == 0)
		return (rc = check_enum(r, d, "variety", p, NULL, 1)) ? rc :
		       (rc = check_enum(r, d, "currency", p, NULL, 0)) ? rc :
		       (rc = check_num(r, d, "min_amount", p)) ? rc :
		       check_num(r, d, "max_amount", p);
	if (strcmp(cat, "physical") == 0) {
		static const char *const phys[] = { "none", "damaged-functional",
			"damaged-nonfunctional", "destruction", "unknown", NULL };
		return (rc = check_enum(r, d, "impact_type", p, phys, 1)) ? rc :
		       check_enum(r, d, "asset_type", p, NULL, 0);
	}
	return check_enum(r, d, "impact_type", p, NULL, 1);
}

/*
 * The STIX checks of one object. The Incident Core draft gives every impact
 * a second extension named by its impact_category ("availability", ...),
 * which the STIX 2.1 validator does not know: the impact is checked
 * without it here, and check_impact checks that extension itself.
 */
static tx_err validate(const json_t *o, struct tx_error *verr)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *cat = json_string_value(json_object_get(o, "impact_category"));
	json_t *copy, *ext;
	tx_err rc;

	if (type == NULL || strcmp(type, "impact") != 0 || cat == NULL ||
	    !json_is_object(json_object_get(json_object_get(o, "extensions"), cat)))
		return stix_validate(o, verr);
	if ((copy = json_deep_copy(o)) == NULL)
		return tx_error_set(verr, TX_ERR_NOMEM, "out of memory");
	ext = json_object_get(copy, "extensions");
	json_object_del(ext, cat);
	if (json_object_size(ext) == 0)
		json_object_del(copy, "extensions");
	rc = stix_validate(copy, verr);
	json_decref(copy);
	return rc;
}

tx_err policy_incident_from_objects(const json_t *objects,
				    const char *incident_id,
				    policy_incident **out, struct tx_error *err)
{
	policy_incident *inc = NULL;
	const json_t *found = NULL;
	size_t n_incidents = 0, i;
	json_t *o;
	tx_err rc = TX_OK;

	*out = NULL;
	if (!json_is_array(objects))
		return tx_error_set(err, TX_ERR_INVALID, "objects: must be a list");
	if (json_array_size(objects) > MAX_OBJECTS)
		return tx_error_set(err, TX_ERR_TOOBIG, "objects: more than %d",
				    MAX_OBJECTS);
	json_array_foreach(objects, i, o) {
		struct tx_error verr;
		struct rd r = { i, "", err };
		const char *type, *id;

		if (!json_is_object(o))
			return tx_error_set(err, TX_ERR_INVALID,
					    "objects[%zu]: not a JSON object", i);
		id = json_string_value(json_object_get(o, "id"));
		if (validate(o, &verr) != TX_OK)
			return tx_error_set(err, TX_ERR_INVALID,
					    "objects[%zu] %s: %s", i,
					    id ? id : "(no id)", verr.msg);
		r.id = id;
		type = json_string_value(json_object_get(o, "type"));
		if (strcmp(type, "incident") == 0) {
			if ((rc = check_incident(&r, o)) != TX_OK)
				return rc;
			if (incident_id == NULL || strcmp(incident_id, id) == 0) {
				n_incidents++;
				if (found == NULL)
					found = o;
			}
		} else if (strcmp(type, "impact") == 0) {
			if ((rc = check_impact(&r, o)) != TX_OK)
				return rc;
		}
	}
	if (found == NULL)
		return tx_error_set(err, TX_ERR_NOTFOUND, incident_id ?
				    "no incident %s among the objects" :
				    "no incident among the objects%s",
				    incident_id ? incident_id : "");
	if (n_incidents > 1 && incident_id == NULL)
		return tx_error_set(err, TX_ERR_INVALID,
				    "%zu incidents among the objects: name the"
				    " one to assess", n_incidents);
	if ((inc = calloc(1, sizeof(*inc))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	inc->objects = json_incref((json_t *)objects);
	inc->incident = found;
	snprintf(inc->id, sizeof(inc->id), "%s",
		 json_string_value(json_object_get(found, "id")));
	*out = inc;
	return TX_OK;
}

tx_err policy_incident_parse(const char *text, size_t len, const char *name,
			     const char *incident_id, policy_incident **out,
			     struct tx_error *err)
{
	json_error_t jerr;
	json_t *root, *objects;
	tx_err rc;

	*out = NULL;
	if (len > POLICY_INCIDENT_MAX)
		return tx_error_set(err, TX_ERR_TOOBIG, "%s: over %d bytes", name,
				    POLICY_INCIDENT_MAX);
	root = tx_json_load(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return tx_error_set(err, TX_ERR_INVALID, "%s:%d:%d: %s", name,
				    jerr.line, jerr.column, jerr.text);
	if (json_is_array(root)) {
		objects = root;
	} else if (json_is_object(root) &&
		   json_is_array(json_object_get(root, "objects"))) {
		objects = json_object_get(root, "objects");
	} else if (json_is_object(root) &&
		   json_is_string(json_object_get(root, "type")) &&
		   strcmp(json_string_value(json_object_get(root, "type")),
			  "incident") == 0) {
		objects = json_pack("[O]", root);
		json_decref(root);
		root = objects;
	} else {
		json_decref(root);
		return tx_error_set(err, TX_ERR_INVALID, "%s: not a bundle, a list"
				    " of objects or an incident", name);
	}
	if (objects == NULL) {
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	rc = policy_incident_from_objects(objects, incident_id, out, err);
	if (rc != TX_OK)
		tx_error_prefix(err, "%s", name);
	json_decref(root);
	return rc;
}

void policy_incident_free(policy_incident *inc)
{
	if (inc == NULL)
		return;
	json_decref(inc->objects);
	free(inc);
}

const char *policy_incident_id(const policy_incident *inc)
{
	return inc->id;
}

/* ---- deriving the facts ---- */

static void setf(struct facts *f, const char *name, json_t *value,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add_source(struct facts *f, const char *name, const char *text)
{
	json_t *list = json_object_get(f->sources, name);

	if (list == NULL) {
		list = json_array();
		json_object_set_new(f->sources, name, list);
	}
	if (list != NULL && json_array_size(list) < 16)
		json_array_append_new(list, json_string(text));
}

/* Set fact name to value (stolen) with one line of evidence. */
static void setf(struct facts *f, const char *name, json_t *value,
		 const char *fmt, ...)
{
	char line[TX_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_object_set_new(f->facts, name, value);
	add_source(f, name, line);
}

static void setp(struct facts *f, const char *name, json_t *possible,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Leave fact name undetermined but narrowed to possible (stolen; see
 * struct facts), with one line of evidence.
 */
static void setp(struct facts *f, const char *name, json_t *possible,
		 const char *fmt, ...)
{
	char line[TX_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_object_del(f->facts, name);
	json_object_set_new(f->possible, name, possible);
	add_source(f, name, line);
}

/* At least lo: {"min": lo}. */
static json_t *at_least(double lo)
{
	return json_pack("{s:f}", "min", lo);
}

/* The values of a vocabulary from position i on (worse ones last). */
static json_t *from_on(const char *const *values, int i)
{
	json_t *a = json_array();

	for (int j = i < 0 ? 0 : i; a != NULL && values[j] != NULL; j++)
		json_array_append_new(a, json_string(values[j]));
	return a;
}

static void note(json_t *list, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(json_t *list, const char *fmt, ...)
{
	char line[TX_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (json_array_size(list) < 64)
		json_array_append_new(list, json_string(line));
}

static const json_t *find_object(const json_t *objects, const char *id)
{
	size_t i;
	json_t *o;

	json_array_foreach(objects, i, o) {
		const char *oid = json_string_value(json_object_get(o, "id"));
		if (oid != NULL && strcmp(oid, id) == 0)
			return o;
	}
	return NULL;
}

/* Sum of an impacted_entity_counts object, or -1 when absent. */
static long long count_sum(const json_t *o)
{
	const json_t *c = json_object_get(o, "impacted_entity_counts");
	long long sum = 0;
	const char *k;
	json_t *v;

	if (c == NULL)
		return -1;
	json_object_foreach((json_t *)c, k, v)
		if (sum < 1000000000000LL)
			sum += json_integer_value(v);
	return sum;
}

/* Hours between two timestamps of o, or NAN. */
static double hours_between(const char *a, const char *b)
{
	int64_t ua, ub;

	if (a == NULL || b == NULL || tx_time_parse(a, &ua, NULL) != TX_OK ||
	    tx_time_parse(b, &ub, NULL) != TX_OK)
		return NAN;
	return (double)(ub - ua) / 3.6e9;
}

/* The worst (highest index) of two vocabulary positions. */
static void worst(int *w, const char *const *values, const char *v)
{
	int i = v ? policy_vocab_index(values, v) : -1;
	if (i > *w)
		*w = i;
}

/* State gathered from the impacts. */
struct impacts {
	int known;          /* impact_refs present */
	int missing;        /* referenced impacts not provided */
	int n_phys, n_avail, n_integ, n_conf, n_money, n_ext;
	int phys, integ, conf, recover; /* worst vocabulary positions */
	int phys_unknown;
	long long nonfunctional;
	long long avail;
	double outage;      /* longest, hours; NAN none known */
	int outage_unknown;
	int ongoing;        /* outages without end_time: lower bounds */
	int classified;
	double usd;
	int money_other;
	int measured;
	json_t *ext;        /* external impact types */
};

static void read_impact(struct facts *f, struct impacts *s, const json_t *imp,
			double oos)
{
	const char *id = json_string_value(json_object_get(imp, "id"));
	const char *cat = json_string_value(json_object_get(imp,
							    "impact_category"));
	const json_t *d = json_object_get(json_object_get(imp, "extensions"), cat);
	const char *st = json_string_value(json_object_get(imp, "start_time"));
	const char *en = json_string_value(json_object_get(imp, "end_time"));
	const char *rec = json_string_value(json_object_get(imp, "recoverability"));
	long long cnt = count_sum(imp);
	int measured = cnt >= 0;

	if (rec != NULL) {
		worst(&s->recover, v_recover, rec);
		add_source(f, "recoverability", id);
	}
	if (strcmp(cat, "physical") == 0) {
		const char *t = json_string_value(json_object_get(d, "impact_type"));
		const char *asset = json_string_value(json_object_get(d, "asset_type"));
		s->n_phys++;
		if (strcmp(t, "unknown") == 0) {
			s->phys_unknown++;
			note(f->gaps, "%s: physical impact_type unknown (could"
				      " raise physical_damage)", id);
			return;
		}
		worst(&s->phys, v_physical, t);
		add_source(f, "physical_damage", id);
		if (strcmp(t, "damaged-nonfunctional") == 0 ||
		    strcmp(t, "destruction") == 0) {
			char line[300];
			s->nonfunctional += cnt >= 0 ? cnt : 1;
			snprintf(line, sizeof(line), "%s: %s %s, %lld asset(s)%s", id,
				 t, asset ? asset : "(asset_type not given)",
				 cnt >= 0 ? cnt : 1,
				 cnt >= 0 ? "" : " (no impacted_entity_counts: counted as 1)");
			add_source(f, "assets_nonfunctional", line);
		}
	} else if (strcmp(cat, "availability") == 0) {
		long long a = json_integer_value(json_object_get(d,
						 "availability_impact"));
		s->n_avail++;
		if (a > s->avail)
			s->avail = a;
		add_source(f, "availability", id);
		if (st != NULL && en != NULL)
			measured = 1;
		if (a >= oos) {
			const char *end = en;
			double h;
			if (end == NULL)  /* ongoing: lasted at least until modified */
				end = json_string_value(json_object_get(imp,
									"modified"));
			h = hours_between(st, end);
			if (isnan(h)) {
				s->outage_unknown++;
				note(f->gaps, "%s: availability %lld without"
					      " start_time: outage duration unknown",
				     id, a);
			} else if (h < 0) {
				s->outage_unknown++;
				note(f->contradictions, "%s: end_time before"
					      " start_time: outage duration ignored",
				     id);
			} else {
				char line[300];
				if (isnan(s->outage) || h > s->outage)
					s->outage = h;
				s->ongoing += en == NULL;
				snprintf(line, sizeof(line), "%s: availability %lld"
					 " for %.1f h%s", id, a, h, en ? "" :
					 " (ongoing: until its modified time)");
				add_source(f, "outage_hours", line);
			}
		}
	} else if (strcmp(cat, "integrity") == 0) {
		s->n_integ++;
		worst(&s->integ, v_integrity, json_string_value(
			      json_object_get(d, "alteration")));
		add_source(f, "integrity", id);
		measured |= json_object_get(d, "record_count") != NULL;
	} else if (strcmp(cat, "confidentiality") == 0) {
		const char *lt = json_string_value(json_object_get(d, "loss_type"));
		const char *it = json_string_value(json_object_get(d,
								   "information_type"));
		s->n_conf++;
		worst(&s->conf, v_conf, lt);
		add_source(f, "confidentiality", id);
		measured |= json_object_get(d, "record_count") != NULL;
		if (it != NULL && strcmp(it, "classified-material") == 0 &&
		    policy_vocab_index(v_conf, lt) >= 2) {
			s->classified = 1;
			add_source(f, "classified", id);
		}
	} else if (strcmp(cat, "monetary") == 0) {
		const char *cur = json_string_value(json_object_get(d, "currency"));
		const json_t *mx = json_object_get(d, "max_amount");
		s->n_money++;
		if (mx != NULL)
			measured = 1;
		if (mx != NULL && cur != NULL && strcasecmp(cur, "usd") == 0) {
			char line[300];
			if (isnan(s->usd) || json_number_value(mx) > s->usd)
				s->usd = json_number_value(mx);
			snprintf(line, sizeof(line), "%s: %.0f usd", id,
				 json_number_value(mx));
			add_source(f, "monetary_usd", line);
		} else {
			s->money_other++;
			note(f->gaps, "%s: monetary impact without a usd max_amount:"
				      " not counted", id);
		}
	} else if (strcmp(cat, "external") == 0) {
		const char *t = json_string_value(json_object_get(d, "impact_type"));
		s->n_ext++;
		size_t i;
		json_t *x;
		int dup = 0;

		json_array_foreach(s->ext, i, x)
			dup |= strcmp(json_string_value(x), t) == 0;
		if (!dup && json_array_size(s->ext) < 32)
			json_array_append_new(s->ext, json_string(t));
		add_source(f, "external", id);
	}
	if (measured)
		s->measured++;
}

static void derive_impacts(struct facts *f, const policy_incident *inc,
			   const json_t *core, struct impacts *s, double oos)
{
	const json_t *refs = json_object_get(core, "impact_refs");
	size_t i;
	json_t *o;

	json_array_foreach(inc->objects, i, o) {
		const char *type = json_string_value(json_object_get(o, "type"));
		const char *id = json_string_value(json_object_get(o, "id"));
		size_t j;
		int listed = 0;
		if (strcmp(type, "impact") != 0)
			continue;
		for (j = 0; j < json_array_size(refs); j++)
			listed |= strcmp(json_string_value(json_array_get(refs, j)),
					 id) == 0;
		if (!listed)
			note(f->gaps, "%s is among the objects but not in"
				      " impact_refs: not read", id);
	}
	if (refs == NULL)
		return;
	s->known = 1;
	for (i = 0; i < json_array_size(refs); i++) {
		const char *id = json_string_value(json_array_get(refs, i));
		const json_t *imp = find_object(inc->objects, id);
		const char *sup;

		if (imp == NULL) {
			s->missing++;
			note(f->gaps, "%s is in impact_refs but was not provided",
			     id);
			continue;
		}
		sup = json_string_value(json_object_get(imp, "superseded_by_ref"));
		if (sup != NULL && find_object(inc->objects, sup) != NULL) {
			note(f->gaps, "%s is superseded by %s: not read", id, sup);
			continue;
		}
		read_impact(f, s, imp, oos);
	}
}

/* Set the fact of one impact category: known when present or complete. */
static int category_known(const struct impacts *s, int n)
{
	return s->known && (n > 0 || s->missing == 0);
}

/*
 * Set the facts of the impact categories. A category is known when impacts
 * of it were read or every referenced impact was provided. When some
 * referenced impacts are missing (or an outage is still ongoing, or an
 * amount is in another currency), what was read is only a lower bound:
 * the fact stays undetermined, narrowed to "at least" that (possible).
 */
static void derive_from_impacts(struct facts *f, struct impacts *s)
{
	const char *what = s->missing ? "among the impacts provided" :
			   "among the impacts";
	int partial = s->missing > 0;

	if (category_known(s, s->n_phys) && s->n_phys > s->phys_unknown) {
		int open = partial || s->phys_unknown > 0;
		const char *why = partial ? "some impacts not provided" :
				  "physical impacts of unknown degree";
		if (open && s->phys < 3)
			setp(f, "physical_damage", from_on(v_physical, s->phys),
			     "at least %s %s (%s)", v_physical[s->phys], what, why);
		else
			json_object_set_new(f->facts, "physical_damage",
					    json_string(v_physical[s->phys]));
		if (open)
			setp(f, "assets_nonfunctional",
			     at_least((double)s->nonfunctional),
			     "at least %lld %s (%s)", s->nonfunctional, what, why);
		else
			json_object_set_new(f->facts, "assets_nonfunctional",
					    json_integer(s->nonfunctional));
	} else if (category_known(s, s->n_phys) && s->n_phys == 0) {
		setf(f, "physical_damage", json_string("none"),
		     "no physical impact %s", what);
		setf(f, "assets_nonfunctional", json_integer(0),
		     "no physical impact %s", what);
	}
	if (category_known(s, s->n_avail)) {
		if (s->n_avail == 0)
			setf(f, "availability", json_integer(0),
			     "no availability impact %s", what);
		else if (partial && s->avail < 100)
			setp(f, "availability", at_least((double)s->avail),
			     "at least %lld %s", s->avail, what);
		else
			json_object_set_new(f->facts, "availability",
					    json_integer(s->avail));
		if (!isnan(s->outage)) {
			double h = (double)(long long)(s->outage * 10 + 0.5) / 10;
			if (partial || s->outage_unknown || s->ongoing)
				setp(f, "outage_hours", at_least(h),
				     "at least %.1f h: %s", h, s->ongoing ?
				     "an outage is ongoing" : partial ?
				     "some impacts not provided" :
				     "an outage without start_time");
			else
				json_object_set_new(f->facts, "outage_hours",
						    json_real(h));
		} else if (s->outage_unknown == 0 && !partial) {
			setf(f, "outage_hours", json_integer(0),
			     "no availability impact at or above the out-of-service"
			     " level %s", what);
		}
	}
	if (category_known(s, s->n_integ)) {
		if (s->n_integ == 0)
			setf(f, "integrity", json_string("none"),
			     "no integrity impact %s", what);
		else if (partial && v_integrity[s->integ + 1] != NULL)
			setp(f, "integrity", from_on(v_integrity, s->integ),
			     "at least %s %s", v_integrity[s->integ], what);
		else
			json_object_set_new(f->facts, "integrity",
					    json_string(v_integrity[s->integ]));
	}
	if (category_known(s, s->n_conf)) {
		if (s->n_conf == 0)
			setf(f, "confidentiality", json_string("none"),
			     "no confidentiality impact %s", what);
		else if (partial && v_conf[s->conf + 1] != NULL)
			setp(f, "confidentiality", from_on(v_conf, s->conf),
			     "at least %s %s", v_conf[s->conf], what);
		else
			json_object_set_new(f->facts, "confidentiality",
					    json_string(v_conf[s->conf]));
		if (s->classified)
			json_object_set_new(f->facts, "classified", json_true());
		else if (!partial)
			setf(f, "classified", json_false(), "no classified-material"
			     " lost %s", what);
	}
	if (category_known(s, s->n_money)) {
		if (!isnan(s->usd) && (partial || s->money_other))
			setp(f, "monetary_usd", at_least(s->usd),
			     "at least %.0f usd %s (%s)", s->usd, what, partial ?
			     "some impacts not provided" :
			     "amounts in other currencies not converted");
		else if (!isnan(s->usd))
			json_object_set_new(f->facts, "monetary_usd",
					    json_real(s->usd));
		else if (s->n_money == 0)
			setf(f, "monetary_usd", json_integer(0),
			     "no monetary impact %s", what);
	}
	if (category_known(s, s->n_ext) && !partial) {
		json_object_set(f->facts, "external", s->ext);
		if (s->n_ext == 0)
			add_source(f, "external", "no external impact among the"
						  " impacts");
	}
	if (s->known && partial) {
		setp(f, "measured_impacts", json_pack("{s:i, s:i}", "min",
			s->measured, "max", s->measured + s->missing),
		     "%d impact(s) with a measure among those provided, %d not"
		     " provided", s->measured, s->missing);
	} else if (s->known) {
		setf(f, "measured_impacts", json_integer(s->measured),
		     "%d impact(s) with a measure", s->measured);
	}
}

/*
 * The positions of a vocabulary fact that are still possible, as a bit
 * mask (bit i: values[i]); every position when nothing is known.
 */
static unsigned may_be(const struct facts *f, const char *k,
		       const char *const *values)
{
	const char *s = json_string_value(json_object_get(f->facts, k));
	const json_t *p = json_object_get(f->possible, k);
	unsigned m = 0;
	size_t i;
	json_t *v;

	if (s != NULL)
		return 1u << policy_vocab_index(values, s);
	if (json_is_array(p)) {
		json_array_foreach(p, i, v)
			m |= 1u << policy_vocab_index(values, json_string_value(v));
		return m;
	}
	for (i = 0; values[i] != NULL; i++)
		m |= 1u << i;
	return m;
}

/* Whether a number fact may be 0 (bit 0) and may be above 0 (bit 1). */
static unsigned may_be_positive(const struct facts *f, const char *k)
{
	const json_t *x = json_object_get(f->facts, k);
	const json_t *p = json_object_get(f->possible, k);
	const json_t *lo = json_object_get(p, "min"), *hi = json_object_get(p, "max");

	if (x != NULL)
		return json_number_value(x) > 0 ? 2u : 1u;
	if (lo != NULL && json_number_value(lo) > 0)
		return 2u;
	if (hi != NULL && json_number_value(hi) <= 0)
		return 1u;
	return 3u;
}

/*
 * effect_class from casualties and the impacts, over every combination the
 * facts still allow: determined when all give the same class, else
 * narrowed to the classes still possible (a missing death count can make
 * an incident destructive; a missing impact can make it disruptive).
 */
const char *const policy_effect_inputs[] = { "deaths", "injuries",
	"physical_damage", "availability", "integrity", "confidentiality", NULL };

void policy_facts_derive_effect_class(struct facts *f)
{
	unsigned cas = 0, phys = 0, avail, integ = 0, conf = 0, classes = 0;
	unsigned d = may_be_positive(f, "deaths"), in = may_be_positive(f, "injuries");
	unsigned pm = may_be(f, "physical_damage", v_physical);
	unsigned im = may_be(f, "integrity", v_integrity);
	unsigned cm = may_be(f, "confidentiality", v_conf);
	char line[TX_ERROR_MSG_MAX];
	size_t used = 0;
	json_t *list;

	cas = ((d & 2) || (in & 2) ? 2u : 0) | ((d & 1) && (in & 1) ? 1u : 0);
	phys = (pm & 1u ? 1u : 0) | (pm & 2u ? 2u : 0) | (pm & 12u ? 4u : 0);
	avail = may_be_positive(f, "availability");
	integ = (im & 1u ? 1u : 0) | (im & ~1u ? 2u : 0);
	conf = (cm & 3u ? 1u : 0) | (cm & ~3u ? 2u : 0);
	for (int c = 0; c < 2; c++)
	for (int p = 0; p < 3; p++)
	for (int a = 0; a < 2; a++)
	for (int i = 0; i < 2; i++)
	for (int k = 0; k < 2; k++) {
		if (!(cas >> c & 1) || !(phys >> p & 1) || !(avail >> a & 1) ||
		    !(integ >> i & 1) || !(conf >> k & 1))
			continue;
		classes |= 1u << (c || p == 2 ? 3 : p == 1 || a || i ? 2 : k ? 1 : 0);
	}
	if (classes == 8u) {
		setf(f, "effect_class", json_string("destructive"), "%s",
		     phys == 4u ? "physical damage that leaves assets non-functional"
				: "deaths or injuries");
		return;
	}
	if (classes == 4u) {
		setf(f, "effect_class", json_string("disruptive"),
		     "availability, integrity or repairable physical effects");
		return;
	}
	if (classes == 2u) {
		setf(f, "effect_class", json_string("espionage"),
		     "confidentiality loss (%s or worse) without integrity,"
		     " availability or physical effects", v_conf[2]);
		return;
	}
	if (classes == 1u) {
		setf(f, "effect_class", json_string("none"),
		     "no effect among the impacts");
		return;
	}
	list = json_array();
	for (int c = 0; c < 4; c++)
		if (classes >> c & 1)
			json_array_append_new(list, json_string(v_effect[c]));
	used = (size_t)snprintf(line, sizeof(line), "could still be any of these"
				" until known:");
	const char *names[] = { "deaths", "injuries", "physical_damage",
				"availability", "integrity", "confidentiality" };
	unsigned open[] = { d == 3u, in == 3u, (phys & (phys - 1)) != 0,
			    avail == 3u, integ == 3u, conf == 3u };
	for (size_t j = 0; j < 6 && used < sizeof(line); j++)
		if (open[j])
			used += (size_t)snprintf(line + used, sizeof(line) - used,
						 " %s", names[j]);
	setp(f, "effect_class", list, "%s", line);
}

static void check_contradictions(struct facts *f)
{
	const json_t *x = f->facts;
	const char *det = json_string_value(json_object_get(x, "determination"));
	const char *rec = json_string_value(json_object_get(x, "recoverability"));
	const char *eff = json_string_value(json_object_get(x, "effect_class"));
	int ci = json_is_false(json_object_get(x, "critical_infrastructure"));
	int nat = json_is_true(json_object_get(x, "national_importance"));

	if (det != NULL && eff != NULL && policy_vocab_index(v_determination, det) <= 2 &&
	    (strcmp(eff, "destructive") == 0 || strcmp(eff, "disruptive") == 0))
		note(f->contradictions, "determination is %s but %s effects are"
			      " reported", det, eff);
	if (rec != NULL && eff != NULL && strcmp(rec, "not-applicable") == 0 &&
	    (strcmp(eff, "destructive") == 0 || strcmp(eff, "disruptive") == 0))
		note(f->contradictions, "recoverability is not-applicable but %s"
			      " effects are reported", eff);
	if (ci && nat)
		note(f->contradictions, "national_importance is true but"
			      " critical_infrastructure is false");
}

void policy_facts_free(struct facts *f)
{
	json_decref(f->facts);
	json_decref(f->possible);
	json_decref(f->sources);
	json_decref(f->contradictions);
	json_decref(f->gaps);
	memset(f, 0, sizeof(*f));
}

tx_err policy_incident_facts(const policy_incident *inc, double oos, struct facts *f,
		      struct tx_error *err)
{
	const json_t *ext = json_object_get(inc->incident, "extensions");
	const json_t *core = json_object_get(ext, INCIDENT_CORE_EXT);
	const json_t *fx = json_object_get(ext, POLICY_EXT_FACTS);
	struct impacts s = { .phys = -1, .integ = 0, .conf = 0, .recover = -1,
			     .outage = NAN, .usd = NAN };
	const json_t *x;
	const char *str;

	memset(f, 0, sizeof(*f));
	f->facts = json_object();
	f->possible = json_object();
	f->sources = json_object();
	f->contradictions = json_array();
	f->gaps = json_array();
	s.ext = json_array();
	if (!f->facts || !f->possible || !f->sources || !f->contradictions || !f->gaps || !s.ext) {
		json_decref(s.ext);
		policy_facts_free(f);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	if (core == NULL)
		note(f->gaps, "the incident has no Incident Core extension (%s)",
		     INCIDENT_CORE_EXT);
	if ((str = json_string_value(json_object_get(core, "determination"))))
		setf(f, "determination", json_string(str), "determination = %s",
		     str);
	if ((str = json_string_value(json_object_get(core, "investigation_status")))) {
		if (policy_vocab_index(v_investigation, str) >= 0)
			setf(f, "investigation_status", json_string(str),
			     "investigation_status = %s", str);
		else
			note(f->gaps, "investigation_status \"%.64s\" is not new,"
				      " open or closed: not read", str);
	}
	if ((x = json_object_get(core, "criticality")))
		setf(f, "criticality", json_integer(json_integer_value(x)),
		     "criticality = %lld", (long long)json_integer_value(x));
	if ((str = json_string_value(json_object_get(core, "recoverability")))) {
		worst(&s.recover, v_recover, str);
		add_source(f, "recoverability", "the incident");
	}
	if (fx == NULL)
		note(f->gaps, "the incident has no trilex facts extension (%s):"
			      " casualties, causation, critical infrastructure,"
			      " attribution, military nexus and onset undetermined",
		     POLICY_EXT_FACTS);
	if ((x = json_object_get(fx, "deaths")))
		setf(f, "deaths", json_integer(json_integer_value(x)),
		     "deaths = %lld", (long long)json_integer_value(x));
	if ((x = json_object_get(fx, "injuries")))
		setf(f, "injuries", json_integer(json_integer_value(x)),
		     "injuries = %lld", (long long)json_integer_value(x));
	if ((str = json_string_value(json_object_get(fx, "causation"))))
		setf(f, "causation", json_string(str), "causation = %s", str);
	if ((x = json_object_get(fx, "critical_infrastructure")))
		setf(f, "critical_infrastructure", json_boolean(json_is_true(x)),
		     "critical_infrastructure = %s", json_is_true(x) ? "true" : "false");
	if ((x = json_object_get(fx, "national_importance")))
		setf(f, "national_importance", json_boolean(json_is_true(x)),
		     "national_importance = %s", json_is_true(x) ? "true" : "false");
	if ((str = json_string_value(json_object_get(fx, "military_nexus"))))
		setf(f, "military_nexus", json_string(str), "military_nexus = %s",
		     str);
	if ((x = json_object_get(fx, "onset_hours")))
		setf(f, "onset_hours", json_real(json_number_value(x)),
		     "onset_hours = %g", json_number_value(x));
	if ((x = json_object_get(fx, "state_attribution"))) {
		const char *state = json_string_value(json_object_get(x, "state"));
		long long c = json_integer_value(json_object_get(x, "confidence"));
		setf(f, "state_confidence", json_integer(c),
		     "state_attribution: %s, confidence %lld",
		     state ? state : "(no state named)", c);
		if (c > 0 && state == NULL)
			note(f->contradictions, "state_attribution has confidence"
				      " %lld but names no state", c);
		if (c == 0 && state != NULL)
			note(f->contradictions, "state_attribution names %.64s with"
				      " confidence 0", state);
	}
	derive_impacts(f, inc, core, &s, oos);
	/* The incident's own recoverability speaks for the whole incident;
	 * without it, impacts not provided may be worse than those read. */
	if (s.recover >= 0 && s.missing > 0 && v_recover[s.recover + 1] != NULL &&
	    json_object_get(core, "recoverability") == NULL)
		setp(f, "recoverability", from_on(v_recover, s.recover),
		     "at least %s among the impacts provided", v_recover[s.recover]);
	else if (s.recover >= 0)
		json_object_set_new(f->facts, "recoverability",
				    json_string(v_recover[s.recover]));
	derive_from_impacts(f, &s);
	if (s.phys_unknown > 0 && json_object_get(f->possible, "physical_damage"))
		note(f->gaps, "physical_damage is a lower bound: %d physical"
			      " impact(s) of unknown degree", s.phys_unknown);
	policy_facts_derive_effect_class(f);
	check_contradictions(f);
	json_decref(s.ext);
	return TX_OK;
}
