/*
 * The one option parser of every command (src/cli/args.c), through the real
 * binary: --help and -h on standard output with exit 0 for every command
 * `trilex help` lists; a missing required option, an unknown option (with
 * the nearest one), a valueless option, a repeated one, wrong operands and
 * a mistyped command are each named; a missing node folder says `init`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Run trilex; expect exit want, and (when given) a text in stdout/stderr. */
static void expect(const char *const *args, int want, const char *in_out,
		   const char *in_err)
{
	char *out = NULL, *err = NULL;
	int rc = run_trilex(args, NULL, &out, &err);

	if (rc != want || (in_out && !strstr(out, in_out)) ||
	    (in_err && !strstr(err, in_err))) {
		fprintf(stderr, "trilex");
		for (int i = 0; args[i]; i++)
			fprintf(stderr, " %s", args[i]);
		fprintf(stderr, "\n  exit %d (want %d)\n  stdout: %s\n  stderr: %s\n"
			"  wanted in stdout: %s\n  wanted in stderr: %s\n", rc, want,
			out, err, in_out ? in_out : "-", in_err ? in_err : "-");
	}
	assert_int_equal(rc, want);
	if (in_out)
		assert_non_null(strstr(out, in_out));
	if (in_err)
		assert_non_null(strstr(err, in_err));
	free(out);
	free(err);
}

/* Every command of `trilex help` answers --help and -h on stdout, exit 0. */
static void test_help_everywhere(void **state)
{
	const char *help[] = { "help", NULL };
	char *out = NULL, *line, *save = NULL;
	int n = 0;

	assert_int_equal(run_trilex(help, NULL, &out, NULL), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64] = "", w1[32], w2[32], usage[96];
		if (strncmp(line, "  ", 2) != 0)
			continue;
		/* "  peer add           pin a partner..." : one or two words */
		if (sscanf(line, " %31s %31s", w1, w2) != 2)
			continue;
		int two = line[2 + strlen(w1)] == ' ' && line[3 + strlen(w1)] != ' ';
		snprintf(name, sizeof(name), "%s%s%s", w1, two ? " " : "", two ? w2 : "");
		snprintf(usage, sizeof(usage), "usage: trilex %s", name);
		for (int h = 0; h < 2; h++) {
			const char *args[5];
			int k = 0;
			args[k++] = w1;
			if (two)
				args[k++] = w2;
			args[k++] = h ? "-h" : "--help";
			args[k] = NULL;
			char *o = NULL, *e = NULL;
			int rc = run_trilex(args, NULL, &o, &e);
			if (rc != 0 || strncmp(o, usage, strlen(usage)) != 0 || e[0])
				fprintf(stderr, "%s %s: exit %d, stdout %.80s, stderr %.80s\n",
					name, args[k - 1], rc, o, e);
			assert_int_equal(rc, 0);
			assert_memory_equal(o, usage, strlen(usage));
			assert_string_equal(e, "");
			free(o);
			free(e);
		}
		n++;
	}
	free(out);
	printf("# %d commands answer --help and -h on stdout\n", n);
	assert_true(n >= 40);
}

static void test_mistakes_are_named(void **state)
{
	const char *typo[] = { "peer", "lst", NULL };
	expect(typo, 2, NULL, "unknown command \"peer lst\"; did you mean \"peer list\"?");
	const char *typo2[] = { "wach", "list", NULL };
	expect(typo2, 2, NULL, "did you mean \"watch\"?");
	const char *group[] = { "peer", NULL };
	expect(group, 2, NULL, "\"peer\" needs a subcommand");
	const char *missing[] = { "poc", "add", "--dir", "/nonexistent", "--org", "X",
				  "--name", "Y", NULL };
	expect(missing, 2, NULL, "--role ROLE is required");
	const char *unknown[] = { "peer", "add", "--dir", "/nonexistent", "--ulr", "x",
				  "card.json", NULL };
	expect(unknown, 2, NULL, "unknown option --ulr (did you mean --url?)");
	const char *novalue[] = { "poc", "list", "--dir", NULL };
	expect(novalue, 2, NULL, "--dir needs a value");
	const char *twice[] = { "poc", "add", "--dir", "/nonexistent", "--org", "a",
				"--org", "b", "--name", "n", "--role", "analyst", NULL };
	expect(twice, 2, NULL, "--org given twice");
	const char *flagval[] = { "peer", "list", "--dir", "/nonexistent",
				  "--json=yes", NULL };
	expect(flagval, 2, NULL, "--json takes no value");
	const char *operands[] = { "vote", "--dir", "/nonexistent", "P1", NULL };
	expect(operands, 2, NULL, "missing operand: expects PROPOSAL approve|reject");
	const char *extra[] = { "peer", "list", "--dir", "/nonexistent", "x", NULL };
	expect(extra, 2, NULL, "unexpected operand \"x\"");
	const char *nodir[] = { "peer", "list", NULL };
	expect(nodir, 2, NULL, "--dir DIR is required");
}

static void test_missing_node_folder(void **state)
{
	const char *none[] = { "peer", "list", "--dir", "/nonexistent/node", NULL };
	expect(none, 1, NULL, "/nonexistent/node: no such folder: make a node there"
			      " with `trilex init");
	const char *notnode[] = { "poc", "list", "--dir", "/tmp", NULL };
	expect(notnode, 1, NULL, "/tmp: not a node (no node.json)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_everywhere),
		cmocka_unit_test(test_mistakes_are_named),
		cmocka_unit_test(test_missing_node_folder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
