/* cli/pattern.c: `trilex pattern check` and `trilex pattern match`. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pattern/pattern.h"

#define MATCH_FILE_MAX ((size_t)256 << 20)

static int check_run(const struct cli_args *a)
{
	struct tx_error err = { 0 };
	struct tx_buf b;
	pattern *p = NULL;

	if (pattern_parse(a->argv[0], strlen(a->argv[0]), &p, &err) != TX_OK) {
		cli_fail("invalid pattern: %s", err.msg);
		return 2;
	}
	tx_buf_init(&b, 0);
	if (pattern_dump(p, &b) != TX_OK) {
		tx_buf_free(&b);
		pattern_free(p);
		cli_fail("out of memory");
		return 2;
	}
	fputs(b.data, stdout);
	tx_buf_free(&b);
	pattern_free(p);
	return 0;
}

const struct cmd cmd_pattern_check = {
	.name = "pattern check",
	.summary = "validate a STIX 2.1 pattern and print its parse tree (exit 0 valid, 2 invalid)",
	.operands = "'PATTERN'",
	.min_args = 1,
	.max_args = 1,
	.main = check_run,
};

static const struct cli_opt pattern_match_opts[] = {
	{ "max-steps", "N", 0, "refuse (exit 2) once the search has tried N observations"
	  " (default 20000000)" },
	{ 0 },
};

static int match_run(const struct cli_args *a)
{
	int64_t max_steps = PATTERN_EVAL_STEPS;
	struct tx_error err = { 0 };
	struct pattern_obsset set = { 0 };
	struct pattern_result res;
	json_error_t jerr;
	json_t *root = NULL;
	pattern *p = NULL;
	char *data = NULL;
	size_t len = 0;
	int rc = 2;
	const char *text = a->argv[0], *file = a->argv[1];
	if (cli_opt_int(a, "max-steps", 1, INT64_MAX, &max_steps) != 0)
		return 2;
	if (pattern_parse(text, strlen(text), &p, &err) != TX_OK) {
		cli_fail("invalid pattern: %s", err.msg);
		goto out;
	}
	if (strcmp(file, "-") == 0) {
		struct tx_buf b;
		char chunk[65536];
		size_t n;
		tx_buf_init(&b, MATCH_FILE_MAX);
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			if (tx_buf_append(&b, chunk, n) != TX_OK) {
				tx_buf_free(&b);
				cli_fail("-: more than %zu bytes", MATCH_FILE_MAX);
				goto out;
			}
		len = b.len;
		data = tx_buf_take(&b);
		if (data == NULL) {
			cli_fail("-: empty input");
			goto out;
		}
	} else if (tx_read_file(file, MATCH_FILE_MAX, &data, &len, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	root = tx_json_load(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		cli_fail("%s: line %d, column %d: %s", file, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (pattern_obsset_from_json(root, &set, &err) != TX_OK) {
		cli_fail("%s: %s", file, err.msg);
		goto out;
	}
	if (set.n_observed == 0) {
		cli_fail("%s: no observed-data objects", file);
		goto out;
	}
	if (pattern_eval_limit(p, &set, (size_t)max_steps, &res, &err) != TX_OK) {
		cli_fail("%s: %s", file, err.msg);
		goto out;
	}
	if (!res.matched) {
		printf("no match (%zu observed-data)\n", set.n_observed);
		rc = 1;
		goto out;
	}
	printf("match: %zu observed-data bound\n", res.n_bound);
	for (size_t i = 0; i < res.n_bound; i++) {
		const json_t *od = set.observed[res.bound[i]];
		const char *id = json_string_value(json_object_get(od, "id"));
		printf("  %s (observed-data %zu)\n", id ? id : "(no id)", res.bound[i]);
	}
	rc = 0;
out:
	pattern_obsset_free(&set);
	json_decref(root);
	free(data);
	pattern_free(p);
	return rc;
}

const struct cmd cmd_pattern_match = {
	.name = "pattern match",
	.operands = "'PATTERN' FILE|-",
	.min_args = 2,
	.max_args = 2,
	.opts = pattern_match_opts,
	.main = match_run,
	.summary = "evaluate a pattern against a bundle, a list of bundles or a list of objects with observed-data"
		   " (exit 0 match, 1 no match, 2 error)",
};
