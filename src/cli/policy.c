/*
 * cli/policy.c: `trilex policy check|propose|sign|status|diff`, the
 * use-of-force policy and its ratification by the partners.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "federation/federation.h"
#include "policy/policy.h"

#define DEFAULT_COLLECTION "policies"

/* Read and fully validate a policy file; print every problem. */
static int read_policy(const char *path, policy **p)
{
	struct tx_error err = { 0 };
	json_t *problems = json_array();
	char *text = NULL;
	size_t len = 0, i;
	json_t *x;
	int rc = 0;

	if (problems == NULL)
		return cli_fail("out of memory");
	if (tx_read_file(path, POLICY_TEXT_MAX, &text, &len, &err) != TX_OK) {
		json_decref(problems);
		return cli_fail("%s", err.msg);
	}
	if (policy_parse(text, len, path, p, problems, &err) != TX_OK) {
		json_array_foreach(problems, i, x)
			fprintf(stderr, "%s: %s\n", path, json_string_value(x));
		if (json_array_size(problems) == 0)
			fprintf(stderr, "%s: %s\n", path, err.msg);
		rc = cli_fail("%s: %zu problem(s); nothing changed", path,
			      json_array_size(problems) ? json_array_size(problems)
							: 1);
	}
	free(text);
	json_decref(problems);
	return rc;
}

/* The collection policy objects go to; made when it is the default one. */
static int policy_collection(tx_store *st, const char *coll, int64_t *pk)
{
	struct store_user local = { .admin = 1 };
	struct store_collection col;
	struct tx_error err = { 0 };

	if (store_collection_get(st, &local, coll, &col) == TX_OK) {
		*pk = col.pk;
		return 0;
	}
	if (strcmp(coll, DEFAULT_COLLECTION) != 0)
		return cli_fail("no collection \"%s\"", coll);
	if (store_collection_ensure(st, "Use-of-force policies",
				    "Policy versions and the partners' approvals",
				    DEFAULT_COLLECTION, &col, &err) != TX_OK)
		return cli_fail("cannot make collection %s: %s",
				DEFAULT_COLLECTION, err.msg);
	*pk = col.pk;
	return 0;
}

static int check_run(const struct cli_args *a)
{
	const char *path = a->argv[0];
	policy *p = NULL;

	if (read_policy(path, &p) != 0)
		return 1;
	printf("%s: policy %s is valid (sha256 %s)\n", path,
	       policy_version(p), policy_digest(p));
	policy_free(p);
	return 0;
}

const struct cmd cmd_policy_check = {
	.name = "policy check",
	.summary = "validate a policy file, listing every problem",
	.operands = "FILE",
	.min_args = 1,
	.max_args = 1,
	.main = check_run,
};

static const struct cli_opt propose_opts[] = {
	{ "collection", "ID", 0, "where policy objects go (default " DEFAULT_COLLECTION ")" },
	{ "parties", "JP,UK,US", 0, "the parties that must approve (default:"
	  " every partner)" },
	{ "quorum", "N", 0, "approvals needed, 1-16" },
	{ 0 },
};

static int propose_run(const struct cli_args *a)
{
	const char *dir = a->dir, *coll = cli_opt(a, "collection");
	const char *parties[16];
	struct store_user local = { .admin = 1, .name = "local" };
	struct tx_error err = { 0 };
	struct tx_config cfg;
	policy_registry *reg = NULL;
	json_t *obj = NULL;
	policy *p = NULL;
	tx_store *st = NULL;
	char plist[256] = "", shown[256] = "";
	int64_t pk = 0, quorum = 0;
	size_t n_parties = 0;
	int rc = 1;

	if (coll == NULL)
		coll = DEFAULT_COLLECTION;
	if (cli_opt(a, "parties")) {
		snprintf(plist, sizeof(plist), "%s", cli_opt(a, "parties"));
		snprintf(shown, sizeof(shown), "%s", cli_opt(a, "parties"));
	}
	if (cli_opt(a, "quorum") &&
	    tx_parse_int64(cli_opt(a, "quorum"), 1, 16, &quorum) != TX_OK)
		return cli_fail("--quorum: a number 1-16");
	for (char *s = plist, *e; *s && n_parties < 16; s = e) {
		e = s + strcspn(s, ",");
		if (*e)
			*e++ = '\0';
		if (*s)
			parties[n_parties++] = s;
	}
	if (read_policy(a->argv[0], &p) != 0)
		return 1;
	if (cli_open_node(dir, &cfg, &st) != 0)
		goto out;
	if (policy_registry_load(st, cfg.party, &reg, &err) != TX_OK ||
	    policy_registry_propose(reg, p, cfg.party, parties, n_parties,
				    (int)quorum, &obj, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (obj == NULL) {
		printf("version %s is already proposed with this content\n",
		       policy_version(p));
		rc = 0;
		goto out;
	}
	if (policy_collection(st, coll, &pk) != 0)
		goto out;
	if (policy_store_object(st, pk, &local, obj, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("proposed policy %s (sha256 %s) as %s\n", policy_version(p),
	       policy_digest(p), json_string_value(json_object_get(obj, "id")));
	printf("it is in force once approved with `trilex policy sign %s` by %s\n",
	       policy_version(p), n_parties ? shown : "every partner");
	rc = 0;
out:
	json_decref(obj);
	policy_free(p);
	policy_registry_free(reg);
	store_close(st);
	return rc;
}

const struct cmd cmd_policy_propose = {
	.name = "policy propose",
	.summary = "validate a policy file fully and propose it as a new version",
	.opts = propose_opts,
	.operands = "FILE",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = propose_run,
};

static void print_version(const json_t *v, const char *in_force)
{
	const char *ver = json_string_value(json_object_get(v, "version"));
	char ap[200] = "", mi[200] = "";
	size_t i, u = 0, w = 0;
	json_t *x;

	json_array_foreach(json_object_get(v, "approved_by"), i, x)
		u += (size_t)snprintf(ap + u, u < sizeof(ap) ? sizeof(ap) - u : 0,
				      "%s%s", i ? "," : "", json_string_value(x));
	json_array_foreach(json_object_get(v, "missing"), i, x)
		w += (size_t)snprintf(mi + w, w < sizeof(mi) ? sizeof(mi) - w : 0,
				      "%s%s", i ? "," : "", json_string_value(x));
	if (!json_is_true(json_object_get(v, "valid"))) {
		printf("%-12s INVALID  %s\n", ver ? ver : "?",
		       json_string_value(json_object_get(v, "problem")));
		return;
	}
	printf("%-12s %-9s approved by %-12s missing %-12s quorum %lld  proposed"
	       " by %s %s%s\n", ver,
	       json_is_true(json_object_get(v, "in_force")) ? "ratified" :
							      "pending",
	       ap[0] ? ap : "-", mi[0] ? mi : "-",
	       (long long)json_integer_value(json_object_get(v, "quorum")),
	       json_string_value(json_object_get(v, "proposed_by")),
	       json_string_value(json_object_get(v, "proposed")),
	       in_force && strcmp(in_force, ver) == 0 ? "  <- in force" : "");
	/* parties outside the partnership that stand by it: not approvals */
	if (json_array_size(json_object_get(v, "endorsed_by")) > 0) {
		char en[200] = "";
		size_t k = 0;
		json_array_foreach(json_object_get(v, "endorsed_by"), i, x)
			k += (size_t)snprintf(en + k, k < sizeof(en) ? sizeof(en) - k :
					      0, "%s%s", i ? "," : "",
					      json_string_value(x));
		printf("%-12s endorsed by %s (outside the partnership)\n", "", en);
	}
}

static const struct cli_opt json_only[] = {
	{ "json", NULL, 0, "print JSON" },
	{ 0 },
};

static int status_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	policy_registry *reg = NULL;
	tx_store *st = NULL;
	json_t *status = NULL, *x;
	size_t i;
	int as_json = cli_flag(a, "json"), rc = 1;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (policy_registry_load(st, cfg.party, &reg, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if ((status = policy_registry_status(reg)) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	if (as_json) {
		char *s = tx_json_dumps(status, JSON_INDENT(2));
		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		const char *f = json_string_value(json_object_get(status,
								  "in_force"));
		const char *l = json_string_value(json_object_get(status, "latest"));
		if (json_array_size(json_object_get(status, "versions")) == 0)
			printf("no policy proposed on this node\n");
		json_array_foreach(json_object_get(status, "versions"), i, x)
			print_version(x, f);
		if (l != NULL && (f == NULL || strcmp(f, l) != 0))
			printf("assessments use %s%s\n", f ? f : l,
			       f ? " (the last version in force)" :
				   " (not ratified: no version is in force)");
	}
	rc = 0;
out:
	json_decref(status);
	policy_registry_free(reg);
	store_close(st);
	return rc;
}

const struct cmd cmd_policy_status = {
	.name = "policy status",
	.summary = "list policy versions, their approvals and which is in force",
	.opts = json_only,
	.flags = CMD_DIR,
	.main = status_run,
};

static const struct cli_opt sign_opts[] = {
	{ "collection", "ID", 0, "where policy objects go (default " DEFAULT_COLLECTION ")" },
	{ 0 },
};

static int sign_run(const struct cli_args *a)
{
	const char *dir = a->dir, *coll = cli_opt(a, "collection");
	const char *version = a->argv[0];
	struct store_user local = { .admin = 1, .name = "local" };
	struct tx_error err = { 0 };
	struct tx_config cfg;
	policy_registry *reg = NULL;
	json_t *obj = NULL, *status = NULL, *v;
	tx_store *st = NULL;
	int64_t pk = 0;
	size_t i;
	int rc = 1;

	if (coll == NULL)
		coll = DEFAULT_COLLECTION;
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (policy_registry_load(st, cfg.party, &reg, &err) != TX_OK ||
	    policy_registry_approve(reg, version, cfg.party, &obj, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (obj == NULL) {
		printf("%s has already approved policy %s\n", cfg.party, version);
		rc = 0;
		goto out;
	}
	if (policy_collection(st, coll, &pk) != 0)
		goto out;
	/* An approval goes where the version it approves went, no further. */
	const char *approved[1] = { json_string_value(json_object_get(obj,
								      "policy_ref")) };
	if (fed_derive_stored(st, approved, approved[0] ? 1 : 0, NULL, 0,
			      cfg.party, obj, NULL, &err) != TX_OK ||
	    policy_store_object(st, pk, &local, obj, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("%s approved policy %s as %s\n", cfg.party, version,
	       json_string_value(json_object_get(obj, "id")));
	policy_registry_free(reg);
	reg = NULL;
	if (policy_registry_load(st, cfg.party, &reg, &err) == TX_OK &&
	    (status = policy_registry_status(reg)) != NULL)
		json_array_foreach(json_object_get(status, "versions"), i, v)
			if (strcmp(json_string_value(json_object_get(v, "version")),
				   version) == 0 && json_is_true(json_object_get(
							    v, "valid")))
				print_version(v, json_string_value(json_object_get(
							 status, "in_force")));
	rc = 0;
out:
	json_decref(obj);
	json_decref(status);
	policy_registry_free(reg);
	store_close(st);
	return rc;
}

const struct cmd cmd_policy_sign = {
	.name = "policy sign",
	.summary = "record this node's party's approval of a policy version",
	.opts = sign_opts,
	.operands = "VERSION",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = sign_run,
};

/* A version of the registry or a policy file, as a document (owned). */
static json_t *doc_of(const policy_registry *reg, const char *arg)
{
	const json_t *d;
	policy *p = NULL;
	json_t *out;

	if (access(arg, F_OK) == 0) {
		if (read_policy(arg, &p) != 0)
			return NULL;
		out = json_deep_copy(policy_json(p));
		policy_free(p);
		return out;
	}
	if ((d = policy_registry_document(reg, arg)) == NULL) {
		cli_fail("%s: no such file, and no policy version %s on this node",
			 arg, arg);
		return NULL;
	}
	return json_deep_copy(d);
}

static int diff_run(const struct cli_args *args)
{
	const char *dir = args->dir;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	policy_registry *reg = NULL;
	json_t *a = NULL, *b = NULL, *d = NULL, *x;
	tx_store *st = NULL;
	size_t i;
	int rc = 1;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (policy_registry_load(st, cfg.party, &reg, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if ((a = doc_of(reg, args->argv[0])) == NULL ||
	    (b = doc_of(reg, args->argv[1])) == NULL)
		goto out;
	if ((d = policy_diff(a, b)) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	json_array_foreach(d, i, x)
		printf("%s\n", json_string_value(x));
	if (json_array_size(d) == 0)
		printf("no differences\n");
	rc = 0;
out:
	json_decref(a);
	json_decref(b);
	json_decref(d);
	policy_registry_free(reg);
	store_close(st);
	return rc;
}

const struct cmd cmd_policy_diff = {
	.name = "policy diff",
	.summary = "show what changed between two policy versions (each a"
		   " version on the node or a policy file)",
	.operands = "A B",
	.min_args = 2,
	.max_args = 2,
	.flags = CMD_DIR,
	.main = diff_run,
};
