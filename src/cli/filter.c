/*
 * cli/filter.c: saved filters over collections, `trilex filter
 * add|list|remove`. A saved filter is published as a MISP feed at the
 * same places as a collection (GET /trilex/v1/misp-feed/NAME/..., and
 * `trilex export misp --filter NAME`), for those who may read every
 * collection it names.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "federation/federation.h"

/* 1 to 63 of a-z, 0-9, - and _ (a folder and URL segment). */
static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= STORE_NAME_MAX)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

static const struct cli_opt add_opts[] = {
	{ "name", "NAME", CLI_REQ, "the filter's name (a-z, 0-9, - and _), served"
	  " as misp-feed/NAME/" },
	{ "collection", "ID", CLI_REQ | CLI_MANY, "a collection (id or alias) it"
	  " covers; repeat for more, the first holding a report speaks for it" },
	{ "label", "L", CLI_MANY, "only reports with this label (repeat: any of"
	  " them); default: every report" },
	{ "tlp", "LEVEL", 0, "clear or green: leave out what is marked more"
	  " restrictive; default amber (RED and AMBER+STRICT never go)" },
	{ 0 },
};

static int add_run(const struct cli_args *a)
{
	const char *name = cli_opt(a, "name"), *tlp = cli_opt(a, "tlp");
	const char *const *colls = cli_opts(a, "collection");
	const char *const *labels = cli_opts(a, "label");
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct store_filter f = { 0 };
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc = 1, t;

	if (!name_ok(name))
		return cli_fail("--name: \"%s\" must be 1 to %d of a-z, 0-9, - and _",
				name, STORE_NAME_MAX - 1);
	if (tlp != NULL && ((t = fed_tlp_parse(tlp)) < 0 || t > FED_TLP_AMBER))
		return cli_fail("--tlp: \"%s\" must be clear, green or amber (RED"
				" and AMBER+STRICT never enter a feed)", tlp);
	snprintf(f.name, sizeof(f.name), "%s", name);
	snprintf(f.tlp, sizeof(f.tlp), "%s", tlp ? tlp : "");
	for (; labels[f.n_labels] != NULL; f.n_labels++) {
		if (f.n_labels == STORE_FILTER_LABELS_MAX)
			return cli_fail("--label: at most %d", STORE_FILTER_LABELS_MAX);
		if (strlen(labels[f.n_labels]) >= STORE_FILTER_LABEL_MAX ||
		    labels[f.n_labels][0] == '\0')
			return cli_fail("--label: \"%s\" must be 1 to %d bytes",
					labels[f.n_labels], STORE_FILTER_LABEL_MAX - 1);
		snprintf(f.labels[f.n_labels], STORE_FILTER_LABEL_MAX, "%s",
			 labels[f.n_labels]);
	}
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	/* the name is a collection's place in the feed's URL: never one that
	 * a collection has (the collection would be served) */
	if (store_collection_get(st, &admin, name, &c) == TX_OK) {
		cli_fail("--name: \"%s\" is a collection's id or alias", name);
		goto out;
	}
	for (size_t i = 0; colls[i] != NULL; i++) {
		if (i == STORE_FILTER_COLLS_MAX) {
			cli_fail("--collection: at most %d", STORE_FILTER_COLLS_MAX);
			goto out;
		}
		if (store_collection_get(st, &admin, colls[i], &c) != TX_OK) {
			cli_fail("--collection: no collection \"%s\" in %s", colls[i],
				 a->dir);
			goto out;
		}
		for (size_t k = 0; k < f.n_colls; k++)
			if (strcmp(f.colls[k], c.id) == 0) {
				cli_fail("--collection: \"%s\" is given twice", colls[i]);
				goto out;
			}
		snprintf(f.colls[f.n_colls++], TX_UUID_BUF, "%s", c.id);
	}
	if (store_filter_add(st, &f, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("saved filter %s: %zu collection%s, %s, TLP up to %s; served at"
	       " /trilex/v1/misp-feed/%s/\n", f.name, f.n_colls,
	       f.n_colls == 1 ? "" : "s", f.n_labels ? "reports with its labels" :
	       "every report", f.tlp[0] ? f.tlp : "amber", f.name);
	rc = cli_audit(st, "filter.add", f.name, "%zu collections", f.n_colls);
out:
	store_close(st);
	return rc;
}

const struct cmd cmd_filter_add = {
	.name = "filter add",
	.summary = "save a filter over collections, published as a MISP feed"
		   " (misp-feed/NAME/) to those who may read all of them",
	.opts = add_opts,
	.flags = CMD_DIR,
	.main = add_run,
};

static const struct cli_opt list_opts[] = {
	{ "json", NULL, 0, "print the filters as JSON" },
	{ 0 },
};

/* The alias (else the id) of collection id, as the admin sees it. */
static const char *coll_name(tx_store *st, const char *id,
			     struct store_collection *c)
{
	struct store_user admin = { .admin = 1 };

	if (store_collection_get(st, &admin, id, c) != TX_OK)
		return "(gone)";
	return c->alias[0] ? c->alias : c->id;
}

static int list_run(const struct cli_args *a)
{
	struct store_filter *list = NULL;
	struct store_collection c;
	struct tx_config cfg;
	tx_store *st = NULL;
	json_t *all = NULL;
	size_t n = 0;
	int rc = 1;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_filter_list(st, &list, &n) != TX_OK) {
		cli_fail("cannot list the saved filters");
		goto out;
	}
	if (cli_flag(a, "json")) {
		if ((all = json_array()) == NULL)
			goto out;
		for (size_t i = 0; i < n; i++) {
			const struct store_filter *f = &list[i];
			json_t *cs = json_array(), *ls = json_array();
			for (size_t k = 0; k < f->n_colls; k++)
				json_array_append_new(cs, json_pack("{s:s, s:s}", "id",
					f->colls[k], "name", coll_name(st, f->colls[k], &c)));
			for (size_t k = 0; k < f->n_labels; k++)
				json_array_append_new(ls, json_string(f->labels[k]));
			json_array_append_new(all, json_pack("{s:s, s:o, s:o, s:s, s:I}",
				"name", f->name, "collections", cs, "labels", ls,
				"tlp", f->tlp[0] ? f->tlp : "amber", "created",
				(json_int_t)f->created));
		}
		json_dumpf(all, stdout, JSON_INDENT(2));
		putchar('\n');
		rc = 0;
		goto out;
	}
	if (n == 0)
		printf("no saved filters (add one with `trilex filter add`)\n");
	for (size_t i = 0; i < n; i++) {
		const struct store_filter *f = &list[i];
		printf("%s: TLP up to %s;", f->name, f->tlp[0] ? f->tlp : "amber");
		for (size_t k = 0; k < f->n_colls; k++)
			printf(" %s", coll_name(st, f->colls[k], &c));
		if (f->n_labels) {
			printf("; labels");
			for (size_t k = 0; k < f->n_labels; k++)
				printf(" %s", f->labels[k]);
		}
		printf("\n");
	}
	rc = 0;
out:
	json_decref(all);
	free(list);
	store_close(st);
	return rc;
}

const struct cmd cmd_filter_list = {
	.name = "filter list",
	.summary = "show the saved filters: collections, labels, TLP",
	.opts = list_opts,
	.flags = CMD_DIR,
	.main = list_run,
};

static int remove_run(const struct cli_args *a)
{
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	rc = store_filter_remove(st, a->argv[0], &err) == TX_OK ? 0 :
		cli_fail("%s", err.msg);
	if (rc == 0) {
		printf("saved filter %s removed (its feed is no longer served)\n",
		       a->argv[0]);
		rc = cli_audit(st, "filter.remove", a->argv[0], NULL);
	}
	store_close(st);
	return rc;
}

const struct cmd cmd_filter_remove = {
	.name = "filter remove",
	.summary = "remove a saved filter (its MISP feed is no longer served)",
	.operands = "NAME",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = remove_run,
};
