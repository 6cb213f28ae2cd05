/*
 * cli/warninglist.c: `trilex warninglist import` and `warninglist list`,
 * and the node's warning lists for the commands that flag indicators
 * (get --warn, match, export).
 *
 * A list is stored as one x-trilex-warninglist object (sensor_warn_stix)
 * through taxii_ingest, so that it travels to partners under its TLP like
 * an advisory; every command reads the lists of every collection.
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "federation/federation.h"
#include "pattern/pattern.h"
#include "taxii/taxii.h"

#define WARN_FILE_MAX ((size_t)64 << 20)
#define WARN_MAX_FILES 4096

/* ---- the node's lists (sensor_warn_load) ---- */

static void load_warn(void *ctx, const char *id, const char *msg)
{
	fprintf(stderr, "trilex: warning list %s skipped: %s\n", id, msg);
}

int cli_warn_load(tx_store *st, sensor_warn **out)
{
	struct tx_error err = { 0 };

	if (sensor_warn_load(st, out, load_warn, NULL, NULL, &err) != TX_OK)
		return cli_fail("warning lists: %s", err.msg);
	return 0;
}

int cli_warn_load_own(tx_store *st, sensor_warn **out)
{
	struct tx_error err = { 0 };

	if (sensor_warn_load_own(st, out, load_warn, NULL, &err) != TX_OK)
		return cli_fail("warning lists: %s", err.msg);
	return 0;
}

json_t *cli_warn_pattern(const sensor_warn *w, const char *pat)
{
	return sensor_warn_pattern(w, pat);
}

/* ---- warninglist import ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The .json files of a folder, sorted; or path itself. */
static int collect(const char *path, char ***files, size_t *n)
{
	struct stat sb;
	DIR *d;
	struct dirent *e;
	size_t first = *n;

	if (stat(path, &sb) != 0)
		return cli_fail("%s: no such file or folder", path);
	if (!S_ISDIR(sb.st_mode)) {
		if (*n >= WARN_MAX_FILES)
			return cli_fail("more than %d files", WARN_MAX_FILES);
		if (((*files)[(*n)++] = strdup(path)) == NULL)
			return cli_fail("out of memory");
		return 0;
	}
	if ((d = opendir(path)) == NULL)
		return cli_fail("%s: cannot read the folder", path);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char full[PATH_MAX];
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		if (*n >= WARN_MAX_FILES) {
			closedir(d);
			return cli_fail("more than %d files", WARN_MAX_FILES);
		}
		if (tx_path_join(full, sizeof(full), path, e->d_name) != TX_OK ||
		    ((*files)[(*n)++] = strdup(full)) == NULL) {
			closedir(d);
			return cli_fail("%s: path too long or out of memory", path);
		}
	}
	closedir(d);
	tx_sort(*files + first, *n - first, sizeof(char *), cmp_str);
	return 0;
}

static const struct cli_opt import_opts[] = {
	{ "collection", "ID", 0, "the collection (default: the first)" },
	{ "tlp", "clear|green|amber|red", 0, "the marking (default clear: lists"
	  " are public data)" },
	{ 0 },
};

static int import_run(const struct cli_args *a)
{
	const char *coll = cli_opt(a, "collection");
	const char *tlp = cli_opt(a, "tlp") ? cli_opt(a, "tlp") : "clear";
	const char *marking = NULL;
	struct store_user local = { .admin = 1, .name = "local" };
	struct store_collection col;
	struct tx_config cfg;
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	sensor_warn *w = NULL;
	json_t *objs = NULL, *status = NULL, *d;
	char **files = NULL, status_id[TX_UUID_BUF];
	size_t n_files = 0, n_bad_files = 0, added = 0, present = 0, failed = 0, k;
	int rc = 1;

	int t = fed_tlp_parse(tlp);

	if (t < 0)
		return cli_fail("--tlp: clear, green, amber, amber+strict or red, not"
				" \"%s\"", tlp);
	marking = fed_tlp_marking((enum fed_tlp)t);
	if ((files = calloc(WARN_MAX_FILES, sizeof(*files))) == NULL)
		return cli_fail("out of memory");
	for (int i = 0; i < a->argc; i++)
		if (collect(a->argv[i], &files, &n_files) != 0)
			goto out;
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		goto out;
	if (coll != NULL) {
		if (store_collection_get(st, &local, coll, &col) != TX_OK) {
			cli_fail("no collection \"%s\" in %s", coll, a->dir);
			goto out;
		}
	} else {
		struct store_collection *list = NULL;
		size_t n = 0;
		if (store_collection_list(st, &local, &list, &n) != TX_OK || n == 0) {
			free(list);
			cli_fail("%s has no collection: make one with `trilex collection"
				 " add`", a->dir);
			goto out;
		}
		col = list[0];
		free(list);
	}
	if (sensor_warn_new(0, &w) != TX_OK || (objs = json_array()) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_files; i++) {
		struct sensor_warn_info info;
		json_error_t jerr;
		char *text = NULL;
		size_t len = 0;
		json_t *list, *o;
		tx_err erc;

		if (tx_read_file(files[i], WARN_FILE_MAX, &text, &len, &err) != TX_OK) {
			fprintf(stderr, "trilex: %s: %s\n", files[i], err.msg);
			n_bad_files++;
			continue;
		}
		list = tx_json_load(text, len, JSON_REJECT_DUPLICATES, &jerr);
		free(text);
		if (list == NULL) {
			fprintf(stderr, "trilex: %s: line %d, column %d: %s\n", files[i],
				jerr.line, jerr.column, jerr.text);
			n_bad_files++;
			continue;
		}
		erc = sensor_warn_add(w, list, &info, &err);
		if (erc == TX_ERR_NOMEM) {
			json_decref(list);
			cli_fail("out of memory");
			goto out;
		}
		if (erc != TX_OK) {
			fprintf(stderr, "trilex: %s: %s\n", files[i], err.msg);
			json_decref(list);
			n_bad_files++;
			continue;
		}
		if (info.n_bad > 0)
			fprintf(stderr, "trilex: %s: %zu entries left out (%s)\n", files[i],
				info.n_bad, info.first_bad);
		o = sensor_warn_stix(list, marking, &err);
		json_decref(list);
		if (o == NULL) {
			cli_fail("%s: %s", files[i], err.msg);
			goto out;
		}
		json_array_append_new(objs, o);
		printf("%s: \"%s\" (%s, %zu entries)\n", files[i], info.name, info.type,
		       info.n_entries);
	}
	if (json_array_size(objs) > 0) {
		if (taxii_ingest(st, col.pk, &local, objs, 0, status_id, &err) != TX_OK) {
			cli_fail("storing: %s", err.msg);
			goto out;
		}
		if (store_status_get(st, &local, status_id, &status) == TX_OK) {
			json_array_foreach(json_object_get(status, "successes"), k, d) {
				const char *m = json_string_value(json_object_get(d, "message"));
				if (m && strcmp(m, "already present") == 0)
					present++;
				else
					added++;
			}
			json_array_foreach(json_object_get(status, "failures"), k, d) {
				const char *m = json_string_value(json_object_get(d, "message"));
				failed++;
				fprintf(stderr, "trilex: not stored: %s\n", m ? m : "(no reason)");
			}
		}
	}
	printf("%zu lists (%zu entries): %zu added, %zu already present, %zu failed;"
	       " %zu files not used (collection %s, TLP:%s)\n", json_array_size(objs),
	       sensor_warn_entries(w), added, present, failed, n_bad_files,
	       col.alias[0] ? col.alias : col.id, tlp);
	rc = failed || n_bad_files ? 3 : 0;
out:
	json_decref(status);
	json_decref(objs);
	sensor_warn_free(w);
	for (size_t i = 0; i < n_files; i++)
		free(files[i]);
	free(files);
	store_close(st);
	return rc;
}

const struct cmd cmd_warninglist_import = {
	.name = "warninglist import",
	.summary = "store MISP warning lists (files or folders of .json) as STIX, shared"
		   " with partners; bad lists are named and skipped (exit 3)",
	.opts = import_opts,
	.operands = "FILE|DIR...",
	.min_args = 1,
	.max_args = -1,
	.flags = CMD_DIR,
	.main = import_run,
};

/* ---- warninglist list ---- */

struct list_ctx {
	json_t *rows;
};

static int list_row(void *vctx, const struct store_row *row)
{
	struct list_ctx *c = vctx;
	json_t *o = tx_json_load(row->json, row->json_len, 0, NULL);
	json_t *r;

	if (o == NULL)
		return 0;
	r = json_pack("{s:s,s:O,s:O,s:I,s:O,s:s,s:s}", "id", row->id,
		      "name", json_object_get(o, "name"),
		      "type", json_object_get(o, "list_type"),
		      "entries", (json_int_t)json_array_size(json_object_get(o, "list")),
		      "version", json_object_get(o, "list_version"),
		      "tlp", fed_tlp_name(fed_tlp_of(o)),
		      "from", row->origin ? row->origin : "this node");
	json_decref(o);
	if (r == NULL || json_array_append_new(c->rows, r) != 0)
		return STORE_ROW_FAIL;
	return 0;
}

static const struct cli_opt list_opts[] = {
	{ "json", NULL, 0, "one JSON object per list" },
	{ 0 },
};

static int list_run(const struct cli_args *a)
{
	static const char *const types[] = { SENSOR_WARN_STIX_TYPE };
	struct store_query q = { .types = types, .n_types = 1 };
	struct list_ctx c = { 0 };
	struct tx_config cfg;
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	size_t i;
	json_t *r;
	int rc = 1;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if ((c.rows = json_array()) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	if (store_query_every(st, &q, list_row, &c, &err) != TX_OK) {
		cli_fail("warning lists: %s", err.msg);
		goto out;
	}
	json_array_foreach(c.rows, i, r) {
		if (cli_flag(a, "json")) {
			char *s = tx_json_dumps(r, JSON_COMPACT);
			if (s)
				puts(s);
			free(s);
			continue;
		}
		printf("%-40s %-9s %7lld entries  TLP:%-6s %s\n",
		       json_string_value(json_object_get(r, "name")),
		       json_string_value(json_object_get(r, "type")),
		       (long long)json_integer_value(json_object_get(r, "entries")),
		       json_string_value(json_object_get(r, "tlp")),
		       json_string_value(json_object_get(r, "from")));
	}
	if (!cli_flag(a, "json"))
		printf("%zu warning lists\n", json_array_size(c.rows));
	rc = 0;
out:
	json_decref(c.rows);
	store_close(st);
	return rc;
}

const struct cmd cmd_warninglist_list = {
	.name = "warninglist list",
	.summary = "list the node's warning lists (its own and its partners'):"
		   " name, type, entries, TLP, origin",
	.opts = list_opts,
	.flags = CMD_DIR,
	.main = list_run,
};
