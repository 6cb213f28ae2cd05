/* cli/assess.c: `trilex assess`, an incident under the use-of-force policy. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "policy/policy.h"

/* Read the incident from a file (or - for stdin) or from the store by id. */
static int load_incident(tx_store *st, const char *arg, policy_incident **inc,
			 int64_t *pk, int *from_store)
{
	struct tx_error err = { 0 };
	json_t *objects = NULL;
	char *text = NULL;
	size_t len = 0;
	tx_err rc;

	*from_store = 0;
	if (strcmp(arg, "-") == 0 || access(arg, F_OK) == 0) {
		if (strcmp(arg, "-") == 0) {
			struct tx_buf b;
			char chunk[65536];
			size_t n;
			tx_buf_init(&b, POLICY_INCIDENT_MAX);
			while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
				if (tx_buf_append(&b, chunk, n) != TX_OK) {
					tx_buf_free(&b);
					return cli_fail("-: over %d bytes",
							POLICY_INCIDENT_MAX);
				}
			len = b.len;
			text = tx_buf_take(&b);
			if (text == NULL)
				text = strdup("");
		} else if (tx_read_file(arg, POLICY_INCIDENT_MAX, &text, &len,
					&err) != TX_OK) {
			return cli_fail("%s", err.msg);
		}
		rc = policy_incident_parse(text, len, arg, NULL, inc, &err);
		free(text);
		return rc == TX_OK ? 0 : cli_fail("%s", err.msg);
	}
	if (strncmp(arg, "incident--", 10) != 0)
		return cli_fail("%s: no such file, and not an incident id", arg);
	if (policy_store_find_incident(st, arg, &objects, pk, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	rc = policy_incident_from_objects(objects, arg, inc, &err);
	json_decref(objects);
	if (rc != TX_OK)
		return cli_fail("%s (as stored)", err.msg);
	*from_store = 1;
	return 0;
}

static const struct cli_opt assess_opts[] = {
	{ "policy", "VERSION", 0, "assess under this version (default: the one in"
	  " force)" },
	{ "policy-file", "FILE", 0, "assess under a policy file, not ratified" },
	{ "collection", "ID", 0, "store the assessment note there" },
	{ "no-store", NULL, 0, "do not store the note" },
	{ "json", NULL, 0, "print JSON" },
	{ 0 },
};

static int assess_run(const struct cli_args *a)
{
	const char *dir = a->dir, *version = cli_opt(a, "policy");
	const char *pfile = cli_opt(a, "policy-file"), *coll = cli_opt(a, "collection");
	struct store_user local = { .admin = 1, .name = "local" };
	struct policy_standing standing = { 0 };
	struct store_collection col;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	policy_registry *reg = NULL;
	policy_incident *inc = NULL;
	json_t *result = NULL, *note = NULL;
	policy *p = NULL;
	tx_store *st = NULL;
	int64_t pk = 0;
	int as_json = cli_flag(a, "json"), no_store = cli_flag(a, "no-store");
	int from_store = 0, rc = 1;

	if (version && pfile)
		return cli_fail("assess: --policy or --policy-file, not both");
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (load_incident(st, a->argv[0], &inc, &pk, &from_store) != 0)
		goto out;
	if (pfile != NULL) {
		char *text = NULL;
		size_t len;
		if (tx_read_file(pfile, POLICY_TEXT_MAX, &text, &len, &err) != TX_OK ||
		    policy_parse(text, len, pfile, &p, NULL, &err) != TX_OK) {
			free(text);
			cli_fail("%s", err.msg);
			goto out;
		}
		free(text);
		snprintf(standing.note, sizeof(standing.note), "policy read from"
			 " %s, not a version ratified on this node", pfile);
	} else if (policy_registry_load(st, cfg.party, &reg, &err) != TX_OK ||
		   policy_registry_select(reg, version, &p, &standing, &err) !=
			   TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (policy_assess(p, inc, &standing, &result, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (coll != NULL && !no_store) {
		if (store_collection_get(st, &local, coll, &col) != TX_OK) {
			cli_fail("no collection \"%s\" in %s", coll, dir);
			goto out;
		}
		pk = col.pk;
	}
	if (!no_store && (coll != NULL || from_store)) {
		if (policy_result_note(result, cfg.party, &note, &err) != TX_OK ||
		    policy_note_mark(st, inc, cfg.party, note, &err) != TX_OK ||
		    policy_store_object(st, pk, &local, note, &err) != TX_OK) {
			cli_fail("cannot store the assessment: %s", err.msg);
			goto out;
		}
		json_object_set(result, "stored_as", json_object_get(note, "id"));
	}
	if (as_json) {
		char *s = tx_json_dumps(result, JSON_INDENT(2));
		if (s == NULL) {
			cli_fail("out of memory");
			goto out;
		}
		printf("%s\n", s);
		free(s);
	} else {
		char *s = policy_result_text(result);
		if (s == NULL) {
			cli_fail("out of memory");
			goto out;
		}
		fputs(s, stdout);
		free(s);
		if (note != NULL)
			printf("stored as %s\n", json_string_value(
				       json_object_get(note, "id")));
		else if (!no_store)
			printf("not stored: give --collection to share it\n");
	}
	rc = 0;
out:
	json_decref(result);
	json_decref(note);
	policy_free(p);
	policy_registry_free(reg);
	policy_incident_free(inc);
	store_close(st);
	return rc;
}

const struct cmd cmd_assess = {
	.name = "assess",
	.summary = "assess an incident (a bundle file, - or an incident id in"
		   " the store) under the use-of-force policy",
	.opts = assess_opts,
	.operands = "INCIDENT",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = assess_run,
};
