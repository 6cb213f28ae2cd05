/*
 * cli/poc.c: points of contact, `trilex poc add|list|remove`.
 *
 * The directory of the partnership: each node publishes its own people as
 * STIX identity objects (the organisation, optionally its department, and
 * the individual), linked by relationships ("part-of", "member-of"),
 * marked TLP:AMBER so that they reach every partner and no one else.
 * Every node so holds the whole directory; `poc list` reads it from the
 * node's own "directory" collection and its partners' inboxes.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "federation/federation.h"
#include "taxii/taxii.h"
#include "watch/watch.h"

static const char *const roles[] = {
	"duty-officer", "analyst", "liaison", "legal-adviser", "head-of-unit",
	"technical-contact", NULL,
};

/* A name-based id for type from the given parts: the same organisation of
 * the same party is one object on every node. */
static void stable_id(const char *type, const char *a, const char *b,
		      const char *c, char out[96])
{
	char seed[1024], uuid[TX_UUID_BUF] = "00000000-0000-5000-8000-000000000000";

	snprintf(seed, sizeof(seed), "%s|%s|%s|%s", type, a, b ? b : "", c ? c : "");
	tx_uuid5(tx_uuid_ns_trilex, seed, strlen(seed), uuid);
	snprintf(out, 96, "%s--%s", type, uuid);
}

static int directory(tx_store *st, struct store_collection *c)
{
	struct tx_error err = { 0 };

	if (store_collection_ensure(st, "Directory", "points of contact of this"
				    " party", "directory", c, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	return 0;
}

static json_t *identity(const char *id, const char *name, const char *cls,
			const struct tx_config *cfg, const char *when)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}",
			 "type", "identity", "spec_version", "2.1", "id", id,
			 "created", when, "modified", when, "name", name,
			 "identity_class", cls, "x_trilex_party", cfg->party,
			 "object_marking_refs", fed_tlp_marking(FED_TLP_AMBER));
}

static json_t *link(const char *type, const char *from, const char *to,
		    const char *when)
{
	char id[96];

	stable_id("relationship", type, from, to, id);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}",
			 "type", "relationship", "spec_version", "2.1", "id", id,
			 "created", when, "modified", when, "relationship_type", type,
			 "source_ref", from, "target_ref", to, "object_marking_refs",
			 fed_tlp_marking(FED_TLP_AMBER));
}

/* Store objects in the directory; print failures. */
static int store_all(tx_store *st, json_t *objects)
{
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	char sid[TX_UUID_BUF];
	json_t *status = NULL;
	const json_t *f;
	size_t i;
	int rc = 0;

	if (directory(st, &c) != 0)
		return 1;
	if (taxii_ingest(st, c.pk, NULL, objects, 0, sid, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	if (store_status_get(st, &admin, sid, &status) != TX_OK)
		return cli_fail("cannot read the status");
	json_array_foreach(json_object_get(status, "failures"), i, f) {
		cli_fail("%s", json_string_value(json_object_get(f, "message")));
		rc = 1;
	}
	json_decref(status);
	return rc;
}

static const struct cli_opt add_opts[] = {
	{ "org", "ORG", CLI_REQ, "the organisation" },
	{ "dept", "DEPT", 0, "its department" },
	{ "name", "NAME", CLI_REQ, "the person" },
	{ "role", "ROLE", CLI_REQ, "duty-officer, analyst, liaison, legal-adviser,"
	  " head-of-unit or technical-contact" },
	{ "email", "E", 0, "e-mail address" },
	{ "phone", "P", 0, "telephone number" },
	{ 0 },
};

static int add_run(const struct cli_args *a)
{
	const char *dir = a->dir, *org = cli_opt(a, "org");
	const char *dept = cli_opt(a, "dept"), *name = cli_opt(a, "name");
	const char *role = cli_opt(a, "role"), *email = cli_opt(a, "email");
	const char *phone = cli_opt(a, "phone");
	char org_id[96], dept_id[96], person_id[96], now[TX_TIME_BUF];
	char contact[512] = "", dept_name[512];
	struct tx_config cfg;
	tx_store *st = NULL;
	json_t *objs = NULL, *person;
	int ok = 0, rc = 1;

	for (int i = 0; roles[i]; i++)
		ok |= strcmp(roles[i], role) == 0;
	if (!ok)
		return cli_fail("--role: \"%s\" is not duty-officer, analyst, liaison,"
				" legal-adviser, head-of-unit or technical-contact",
				role);
	if (email && (strchr(email, '@') == NULL || strlen(email) > 254))
		return cli_fail("--email: \"%s\" is not an e-mail address", email);
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	tx_time_format_ms(tx_time_now_us(), now);
	stable_id("identity", cfg.party, org, NULL, org_id);
	objs = json_array();
	json_array_append_new(objs, identity(org_id, org, "organization", &cfg,
					     "2020-01-01T00:00:00.000Z"));
	if (dept) {
		stable_id("identity", cfg.party, org, dept, dept_id);
		snprintf(dept_name, sizeof(dept_name), "%s, %s", dept, org);
		json_array_append_new(objs, identity(dept_id, dept_name, "group", &cfg,
						     "2020-01-01T00:00:00.000Z"));
		json_array_append_new(objs, link("part-of", dept_id, org_id,
						 "2020-01-01T00:00:00.000Z"));
	}
	stable_id("identity", cfg.party, org, name, person_id);
	person = identity(person_id, name, "individual", &cfg, now);
	json_object_set_new(person, "roles", json_pack("[s]", role));
	json_object_set_new(person, "x_trilex_org", json_string(org));
	if (dept)
		json_object_set_new(person, "x_trilex_dept", json_string(dept));
	snprintf(contact, sizeof(contact), "%s%s%s%s%s", email ? "email: " : "",
		 email ? email : "", email && phone ? "; " : "",
		 phone ? "phone: " : "", phone ? phone : "");
	if (contact[0])
		json_object_set_new(person, "contact_information", json_string(contact));
	json_array_append_new(objs, person);
	json_array_append_new(objs, link("member-of", person_id,
					 dept ? dept_id : org_id, now));
	if (store_all(st, objs) == 0) {
		printf("%s %s (%s) of %s%s%s\n", person_id, name, role, org,
		       dept ? ", " : "", dept ? dept : "");
		rc = 0;
	}
	json_decref(objs);
	store_close(st);
	return rc;
}

const struct cmd cmd_poc_add = {
	.name = "poc add",
	.summary = "add a point of contact to the partnership's directory",
	.opts = add_opts,
	.flags = CMD_DIR,
	.main = add_run,
};

/* ---- list and remove ---- */

static const struct cli_opt list_opts[] = {
	{ "party", "CODE", 0, "only this party's contacts" },
	{ "json", NULL, 0, "print JSON" },
	{ 0 },
};

static int list_run(const struct cli_args *a)
{
	const char *dir = a->dir, *party = cli_opt(a, "party");
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	json_t *list, *o;
	size_t i;
	int as_json = cli_flag(a, "json");

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (watch_directory_people(st, party, cfg.party, &list, &err) != TX_OK)
		cli_fail("warning: the directory was not read to its end: %s",
			 err.msg);
	store_close(st);
	if (as_json) {
		json_t *out = json_array();
		json_array_foreach(list, i, o)
			json_array_append_new(out, json_pack(
				"{s:O, s:O, s:O, s:O, s:O?, s:O, s:O?}",
				"id", json_object_get(o, "id"),
				"party", json_object_get(o, "x_trilex_party"),
				"name", json_object_get(o, "name"),
				"org", json_object_get(o, "x_trilex_org"),
				"dept", json_object_get(o, "x_trilex_dept"),
				"role", json_array_get(json_object_get(o, "roles"), 0),
				"contact", json_object_get(o, "contact_information")));
		json_dumpf(out, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(out);
	} else {
		printf("%-6s %-24s %-15s %-36s %s\n", "PARTY", "NAME", "ROLE",
		       "ORGANISATION", "CONTACT");
		json_array_foreach(list, i, o) {
			const char *dept = json_string_value(json_object_get(o,
									     "x_trilex_dept"));
			char where[256];
			snprintf(where, sizeof(where), "%s%s%s",
				 json_string_value(json_object_get(o, "x_trilex_org")),
				 dept ? " / " : "", dept ? dept : "");
			printf("%-6s %-24.24s %-15s %-36.36s %s\n",
			       json_string_value(json_object_get(o, "x_trilex_party")),
			       json_string_value(json_object_get(o, "name")),
			       json_string_value(json_array_get(json_object_get(o, "roles"), 0)),
			       where,
			       json_string_value(json_object_get(o, "contact_information")) ?
			       json_string_value(json_object_get(o, "contact_information")) : "");
		}
	}
	json_decref(list);
	return 0;
}

const struct cmd cmd_poc_list = {
	.name = "poc list",
	.summary = "list the partnership's points of contact",
	.opts = list_opts,
	.flags = CMD_DIR,
	.main = list_run,
};

static int remove_run(const struct cli_args *a)
{
	const char *dir = a->dir, *id = a->argv[0];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	json_t *list = NULL, *o, *found = NULL;
	char now[TX_TIME_BUF];
	size_t i;
	int rc = 1;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (watch_directory_people(st, cfg.party, cfg.party, &list, &err) != TX_OK)
		cli_fail("warning: the directory was not read to its end: %s",
			 err.msg);
	json_array_foreach(list, i, o)
		if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
			found = json_deep_copy(o);
	json_decref(list);
	if (found == NULL) {
		store_close(st);
		return cli_fail("no point of contact %s of party %s (a partner's"
				" contacts are removed by that partner)", id, cfg.party);
	}
	/* A revoked new version: it replaces the entry on every node. */
	tx_time_format_ms(tx_time_now_us(), now);
	json_object_set_new(found, "modified", json_string(now));
	json_object_set_new(found, "revoked", json_true());
	json_object_del(found, "extensions");
	json_t *objs = json_pack("[o]", found);
	if (store_all(st, objs) == 0) {
		printf("%s removed\n", id);
		rc = 0;
	}
	json_decref(objs);
	store_close(st);
	return rc;
}

const struct cmd cmd_poc_remove = {
	.name = "poc remove",
	.summary = "remove one of this party's points of contact (everywhere)",
	.operands = "IDENTITY-ID",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = remove_run,
};
