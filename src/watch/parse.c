/*
 * watch/parse.c: scopes and their vocabularies, and the checks of
 * proposals and votes as they come from anywhere (a partner, a file, a
 * TAXII POST). Every check names the property (JSON path) and why.
 */
#include <stdio.h>
#include <string.h>

#include "stix/stix.h"
#include "watch/internal.h"

/* STIX 2.1 industry-sector-ov (section 10.13). */
static const char *const sectors[] = {
	"agriculture", "aerospace", "automotive", "chemical", "commercial",
	"communications", "construction", "defense", "education", "energy",
	"entertainment", "financial-services", "government",
	"government-emergency-services", "government-local",
	"government-national", "government-public-services",
	"government-regional", "healthcare", "hospitality-leisure",
	"infrastructure", "dams", "nuclear", "water", "insurance",
	"manufacturing", "mining", "non-profit", "pharmaceuticals", "retail",
	"technology", "telecommunications", "transportation", "utilities", NULL,
};

/* STIX 2.1 region-ov (section 10.21), the UN M49 regions. */
static const char *const regions[] = {
	"africa", "eastern-africa", "middle-africa", "northern-africa",
	"southern-africa", "western-africa", "americas", "caribbean",
	"central-america", "latin-america-caribbean", "northern-america",
	"south-america", "asia", "central-asia", "eastern-asia", "southern-asia",
	"south-eastern-asia", "western-asia", "europe", "eastern-europe",
	"northern-europe", "southern-europe", "western-europe", "oceania",
	"antarctica", "australia-new-zealand", "melanesia", "micronesia",
	"polynesia", NULL,
};

/* ISO 3166-1 alpha-2, the 249 officially assigned codes. */
static const char countries[] =
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ "
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ "
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ "
	"DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR "
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY "
	"HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP "
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY "
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ "
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM "
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ "
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ "
	"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW ";

static int in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

int watch_is_sector(const char *s)
{
	return s != NULL && in_list(sectors, s);
}

int watch_is_region(const char *s)
{
	return s != NULL && in_list(regions, s);
}

int watch_is_country(const char *s)
{
	char probe[4];

	if (s == NULL || strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' ||
	    s[1] < 'A' || s[1] > 'Z')
		return 0;
	snprintf(probe, sizeof(probe), "%s ", s);
	for (const char *p = countries; *p; p += 3)
		if (strncmp(p, probe, 3) == 0)
			return 1;
	return 0;
}

int watch_actor_id(const char *id)
{
	return id != NULL && (stix_id_valid(id, "threat-actor") ||
			      stix_id_valid(id, "intrusion-set"));
}

int watch_target_id(const char *id)
{
	static const char *const types[] = {
		"threat-actor", "intrusion-set", "identity", "infrastructure",
		"indicator", NULL,
	};

	for (size_t i = 0; id != NULL && types[i]; i++)
		if (stix_id_valid(id, types[i]))
			return 1;
	return 0;
}

/* A shown piece of outside text: at most 64 bytes, for messages. */
#define SHOW(s) 64, (s)

tx_err watch_scope_parse(const char *s, struct watch_scope *out,
			 struct tx_error *err)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	const char *v;
	size_t klen;

	memset(out, 0, sizeof(*out));
	if (colon == NULL)
		return tx_error_set(err, TX_ERR_INVALID, "scope \"%.*s\": must be"
				    " sector:S, country:CC, region:R or actor:ID",
				    SHOW(s ? s : ""));
	klen = (size_t)(colon - s);
	v = colon + 1;
	if (strlen(v) >= sizeof(out->value))
		return tx_error_set(err, TX_ERR_INVALID, "scope \"%.*s\": value too"
				    " long", SHOW(s));
	if (klen == 6 && strncmp(s, "sector", 6) == 0) {
		if (!watch_is_sector(v))
			return tx_error_set(err, TX_ERR_INVALID, "scope \"%.*s\":"
					    " \"%.*s\" is not in the STIX industry-"
					    "sector vocabulary (e.g. defense,"
					    " aerospace, chemical, manufacturing,"
					    " technology)", SHOW(s), SHOW(v));
		out->kind = WATCH_SCOPE_SECTOR;
	} else if (klen == 7 && strncmp(s, "country", 7) == 0) {
		if (!watch_is_country(v))
			return tx_error_set(err, TX_ERR_INVALID, "scope \"%.*s\":"
					    " \"%.*s\" is not an ISO 3166-1 alpha-2"
					    " country code%s", SHOW(s), SHOW(v),
					    strcmp(v, "UK") == 0 ? " (the United"
					    " Kingdom is GB)" : "");
		out->kind = WATCH_SCOPE_COUNTRY;
	} else if (klen == 6 && strncmp(s, "region", 6) == 0) {
		if (!watch_is_region(v))
			return tx_error_set(err, TX_ERR_INVALID, "scope \"%.*s\":"
					    " \"%.*s\" is not a STIX region (e.g."
					    " eastern-asia, western-europe)",
					    SHOW(s), SHOW(v));
		out->kind = WATCH_SCOPE_REGION;
	} else if (klen == 5 && strncmp(s, "actor", 5) == 0) {
		if (!watch_actor_id(v))
			return tx_error_set(err, TX_ERR_INVALID, "scope \"%.*s\":"
					    " not a threat-actor or intrusion-set"
					    " id", SHOW(s));
		out->kind = WATCH_SCOPE_ACTOR;
	} else {
		return tx_error_set(err, TX_ERR_INVALID, "scope \"%.*s\": unknown"
				    " kind \"%.*s\" (sector, country, region or"
				    " actor)", SHOW(s), (int)(klen > 32 ? 32 : klen),
				    s);
	}
	memcpy(out->value, v, strlen(v) + 1);
	return TX_OK;
}

void watch_scope_format(const struct watch_scope *s, char out[WATCH_KEY_MAX])
{
	static const char *const kinds[] = { "sector", "country", "region", "actor" };

	snprintf(out, WATCH_KEY_MAX, "%s:%s", kinds[s->kind], s->value);
}

static tx_err bad(struct tx_error *err, const char *path, const char *why)
{
	return tx_error_set(err, TX_ERR_INVALID, "%s: %s", path, why);
}

/* An optional string property of at most max bytes. */
static tx_err opt_string(const json_t *o, const char *k, size_t max,
			 int required, struct tx_error *err)
{
	const json_t *v = json_object_get(o, k);

	if (v == NULL)
		return required ? bad(err, k, "required property missing") : TX_OK;
	if (!json_is_string(v))
		return bad(err, k, "must be a string");
	if (json_string_length(v) > max)
		return tx_error_set(err, TX_ERR_INVALID, "%s: longer than %zu bytes",
				    k, max);
	if (required && json_string_length(v) == 0)
		return bad(err, k, "must not be empty");
	return TX_OK;
}

static tx_err opt_int(const json_t *o, const char *k, json_int_t min,
		      json_int_t max, struct tx_error *err)
{
	const json_t *v = json_object_get(o, k);

	if (v == NULL)
		return TX_OK;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return tx_error_set(err, TX_ERR_INVALID, "%s: must be an integer"
				    " %lld-%lld", k, (long long)min, (long long)max);
	return TX_OK;
}

/* The common properties of both object types. */
static tx_err common(const json_t *obj, const char *type, struct tx_error *err)
{
	const char *t, *id;
	int64_t c, m;

	if (!json_is_object(obj))
		return bad(err, "(object)", "not a JSON object");
	t = json_string_value(json_object_get(obj, "type"));
	if (t == NULL || strcmp(t, type) != 0)
		return tx_error_set(err, TX_ERR_INVALID, "type: must be %s", type);
	id = json_string_value(json_object_get(obj, "id"));
	if (!stix_id_valid(id, type))
		return tx_error_set(err, TX_ERR_INVALID, "id: must be %s--UUID", type);
	if (tx_time_parse(json_string_value(json_object_get(obj, "created")), &c,
			  NULL) != TX_OK)
		return bad(err, "created", "not an RFC 3339 timestamp");
	if (tx_time_parse(json_string_value(json_object_get(obj, "modified")), &m,
			  NULL) != TX_OK)
		return bad(err, "modified", "not an RFC 3339 timestamp");
	if (m < c)
		return bad(err, "modified", "before created");
	return TX_OK;
}

static int change_of(const char *s)
{
	static const char *const names[] = { "add", "amend", "remove", "renew" };

	for (int i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *watch_change_name(int c)
{
	static const char *const names[] = { "add", "amend", "remove", "renew" };

	return c >= 0 && c < 4 ? names[c] : "?";
}

int watch_change_parse(const char *s)
{
	return change_of(s);
}

int watch_risk_valid(const char *s)
{
	static const char *const risks[] = { "low", "medium", "high", "critical",
					     NULL };

	return s != NULL && in_list(risks, s);
}

/* sectors and countries: lists of vocabulary terms. */
static tx_err scopes_list(const json_t *obj, const char *k, int countries_,
			  size_t *total, struct tx_error *err)
{
	const json_t *l = json_object_get(obj, k), *e;
	char path[64];
	size_t i;

	if (l == NULL)
		return TX_OK;
	if (!json_is_array(l))
		return bad(err, k, "must be a list");
	json_array_foreach(l, i, e) {
		const char *s = json_string_value(e);
		snprintf(path, sizeof(path), "%s[%zu]", k, i);
		if (++*total > WATCH_MAX_SCOPES)
			return tx_error_set(err, TX_ERR_INVALID, "%s: more than %d"
					    " sectors and countries", path,
					    WATCH_MAX_SCOPES);
		if (!countries_ && !watch_is_sector(s))
			return bad(err, path, "not in the STIX industry-sector"
				   " vocabulary");
		if (countries_ && !watch_is_country(s) && !watch_is_region(s))
			return bad(err, path, "not an ISO 3166-1 alpha-2 code or a"
				   " STIX region");
	}
	return TX_OK;
}

tx_err watch_proposal_check(const json_t *obj, struct tx_error *err)
{
	const char *subject, *change_s;
	const json_t *parties, *e;
	struct watch_scope sc;
	size_t i, n_scopes = 0;
	int change, aor, partner;
	tx_err rc;
	char path[64];

	if ((rc = common(obj, WATCH_PROPOSAL_TYPE, err)) != TX_OK)
		return rc;
	subject = json_string_value(json_object_get(obj, "subject"));
	if (subject == NULL || (strcmp(subject, "watch-list") != 0 &&
				strcmp(subject, "aor") != 0 &&
				strcmp(subject, "partner") != 0))
		return bad(err, "subject", "must be \"watch-list\", \"aor\" or"
			   " \"partner\"");
	aor = strcmp(subject, "aor") == 0;
	partner = strcmp(subject, "partner") == 0;
	change_s = json_string_value(json_object_get(obj, "change"));
	if ((change = change_of(change_s)) < 0)
		return bad(err, "change", "must be add, amend, remove or renew");
	if (strcmp(subject, "partner") == 0) {
		if ((rc = watch_partner_fields_check(obj, change, err)) != TX_OK)
			return rc;
	} else if (json_object_get(obj, "party_code") ||
		   json_object_get(obj, "card") || json_object_get(obj, "role")) {
		return bad(err, "party_code", "only in a partner proposal");
	} else if (aor) {
		const char *scope = json_string_value(json_object_get(obj, "scope"));
		if (scope == NULL)
			return bad(err, "scope", "required property missing");
		if (watch_scope_parse(scope, &sc, err) != TX_OK) {
			tx_error_prefix(err, "scope");
			return TX_ERR_INVALID;
		}
		if (json_object_get(obj, "target_ref"))
			return bad(err, "target_ref", "not allowed in an AOR proposal");
	} else {
		const char *t = json_string_value(json_object_get(obj, "target_ref"));
		if (t == NULL)
			return bad(err, "target_ref", "required property missing");
		if (!watch_target_id(t))
			return bad(err, "target_ref", "must name a threat-actor,"
				   " intrusion-set, identity, infrastructure or"
				   " indicator");
		if (json_object_get(obj, "scope"))
			return bad(err, "scope", "only in an AOR proposal");
	}
	if ((rc = opt_string(obj, "rationale", WATCH_RATIONALE_MAX,
			     change == WATCH_ADD, err)) != TX_OK ||
	    (rc = opt_string(obj, "target_name", WATCH_NAME_MAX, 0, err)) != TX_OK)
		return rc;
	if (json_object_get(obj, "risk") != NULL || (!aor && !partner && change == WATCH_ADD)) {
		const char *r = json_string_value(json_object_get(obj, "risk"));
		if (r == NULL && json_object_get(obj, "risk") == NULL)
			return bad(err, "risk", "required property missing");
		if (!watch_risk_valid(r))
			return bad(err, "risk", "must be low, medium, high or critical");
	}
	const char *resp = NULL, *backup = NULL;
	if (json_object_get(obj, "responsible_party") || (aor && change == WATCH_ADD)) {
		resp = json_string_value(json_object_get(obj, "responsible_party"));
		if (resp == NULL && json_object_get(obj, "responsible_party") == NULL)
			return bad(err, "responsible_party", "required property missing");
		if (!tx_party_valid(resp))
			return bad(err, "responsible_party", "not a party code (2-7"
				   " upper-case letters)");
	}
	if (json_object_get(obj, "backup_party")) {
		backup = json_string_value(json_object_get(obj, "backup_party"));
		if (!tx_party_valid(backup))
			return bad(err, "backup_party", "not a party code");
		if (resp && strcmp(resp, backup) == 0)
			return bad(err, "backup_party", "the same as responsible_party");
	}
	if (json_object_get(obj, "duty_ref") &&
	    !stix_id_valid(json_string_value(json_object_get(obj, "duty_ref")),
			   "identity"))
		return bad(err, "duty_ref", "must be an identity id");
	if ((rc = scopes_list(obj, "sectors", 0, &n_scopes, err)) != TX_OK ||
	    (rc = scopes_list(obj, "countries", 1, &n_scopes, err)) != TX_OK)
		return rc;
	parties = json_object_get(obj, "parties");
	if (!json_is_array(parties) || json_array_size(parties) == 0)
		return bad(err, "parties", "must be a list of party codes");
	if (json_array_size(parties) > WATCH_MAX_PARTIES)
		return tx_error_set(err, TX_ERR_INVALID, "parties: more than %d",
				    WATCH_MAX_PARTIES);
	json_array_foreach(parties, i, e) {
		snprintf(path, sizeof(path), "parties[%zu]", i);
		if (!tx_party_valid(json_string_value(e)))
			return bad(err, path, "not a party code (2-7 upper-case"
				   " letters)");
		for (size_t j = 0; j < i; j++)
			if (json_equal(json_array_get(parties, j), e))
				return bad(err, path, "named twice");
	}
	if ((rc = opt_int(obj, "quorum", 0, (json_int_t)json_array_size(parties),
			  err)) != TX_OK ||
	    (rc = opt_int(obj, "review_months", 1, 60, err)) != TX_OK ||
	    (rc = opt_int(obj, "grace_days", 0, 365, err)) != TX_OK ||
	    (rc = opt_int(obj, "vote_days", 1, 365, err)) != TX_OK)
		return rc;
	return TX_OK;
}

tx_err watch_vote_check(const json_t *obj, struct tx_error *err)
{
	const char *d;
	tx_err rc;

	if ((rc = common(obj, WATCH_VOTE_TYPE, err)) != TX_OK)
		return rc;
	if (!stix_id_valid(json_string_value(json_object_get(obj, "proposal_ref")),
			   WATCH_PROPOSAL_TYPE))
		return bad(err, "proposal_ref", "must be an " WATCH_PROPOSAL_TYPE
			   " id");
	d = json_string_value(json_object_get(obj, "decision"));
	if (d == NULL || (strcmp(d, "approve") != 0 && strcmp(d, "reject") != 0))
		return bad(err, "decision", "must be \"approve\" or \"reject\"");
	return opt_string(obj, "comment", WATCH_COMMENT_MAX, 0, err);
}
