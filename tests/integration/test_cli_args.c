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
#include <limits.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
	/* a group's --help lists its commands */
	const char *group[] = { "peer", "--help", NULL };
	expect(group, 0, "  peer add ", NULL);
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

/* Count the objects of each type in a bundle printed by get. */
static int count_type(const char *bundle, const char *type)
{
	json_t *b = json_loads(bundle, 0, NULL), *o;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(b, "objects"), i, o)
		n += strcmp(json_string_value(json_object_get(o, "type")), type) == 0;
	json_decref(b);
	return n;
}

/* get --type takes several types (a,b or repeated), locally and remotely. */
static void test_get_several_types(void **state)
{
	struct node n;
	char path[PATH_MAX + 16];

	assert_int_equal(node_create(&n, NULL), 0);
	json_t *objs = json_array();
	json_array_append_new(objs, make_indicator(1, NULL));
	json_array_append_new(objs, make_indicator(2, NULL));
	json_array_append_new(objs, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
		"type", "malware", "spec_version", "2.1", "id",
		"malware--00000000-0000-4000-8000-000000000001", "created",
		"2024-01-01T00:00:00.000Z", "modified", "2024-01-01T00:00:00.000Z",
		"name", "x", "is_family", 0));
	json_array_append_new(objs, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		"type", "attack-pattern", "spec_version", "2.1", "id",
		"attack-pattern--00000000-0000-4000-8000-000000000001", "created",
		"2024-01-01T00:00:00.000Z", "modified", "2024-01-01T00:00:00.000Z",
		"name", "y"));
	json_t *bundle = json_pack("{s:s, s:s, s:o}", "type", "bundle", "id",
				   "bundle--00000000-0000-4000-8000-000000000009",
				   "objects", objs);
	snprintf(path, sizeof(path), "%s/b.json", n.dir);
	assert_int_equal(json_dump_file(bundle, path, 0), 0);
	json_decref(bundle);
	const char *push[] = { "push", "--dir", n.dir, "--collection", "main", path,
			       NULL };
	assert_int_equal(run_trilex(push, NULL, NULL, NULL), 0);

	char *out = NULL;
	const char *both[] = { "get", "--dir", n.dir, "--collection", "main",
			       "--type", "indicator,malware", NULL };
	assert_int_equal(run_trilex(both, NULL, &out, NULL), 0);
	assert_int_equal(count_type(out, "indicator"), 2);
	assert_int_equal(count_type(out, "malware"), 1);
	assert_int_equal(count_type(out, "attack-pattern"), 0);
	free(out);
	const char *rep[] = { "get", "--dir", n.dir, "--collection", "main", "--type",
			      "malware", "--type", "attack-pattern", NULL };
	assert_int_equal(run_trilex(rep, NULL, &out, NULL), 0);
	assert_int_equal(count_type(out, "indicator"), 0);
	assert_int_equal(count_type(out, "malware"), 1);
	assert_int_equal(count_type(out, "attack-pattern"), 1);
	free(out);

	assert_int_equal(node_start(&n), 0);
	char url[128];
	snprintf(url, sizeof(url), "%s/api/", n.base);
	const char *remote[] = { "get", "--url", url, "--token", n.token, "--cacert",
				 n.cacert, "--collection", n.coll, "--type",
				 "indicator,attack-pattern", NULL };
	assert_int_equal(run_trilex(remote, NULL, &out, NULL), 0);
	assert_int_equal(count_type(out, "indicator"), 2);
	assert_int_equal(count_type(out, "attack-pattern"), 1);
	assert_int_equal(count_type(out, "malware"), 0);
	free(out);
	/* the first-hour failures say what to do */
	const char *nocacert[] = { "get", "--url", url, "--token", n.token,
				   "--collection", n.coll, NULL };
	expect(nocacert, 1, NULL, "trusted with --cacert DIR/tls/cert.pem");
	node_stop(&n);
	expect(remote, 1, NULL, "is the node running, on this address and port?");
	node_destroy(&n);
}

/* Ctrl-C during push: the batch in flight is finished, the summary so far
 * printed (exit 130), and a rerun skips exactly what was stored. Bounded:
 * 20,000 objects, 20 s. */
static void test_push_interrupted(void **state)
{
	struct node n;
	char path[PATH_MAX + 16], outp[PATH_MAX + 16], errp[PATH_MAX + 16];
	const int total = 20000;

	assert_int_equal(node_create(&n, NULL), 0);
	long base = node_versions(n.dir);
	pid_t pid = push_started(&n, 100000, total, 100, base);
	assert_true(pid > 0);
	tx_strfmt(path, sizeof(path), "%s/push-100000.json", n.dir);
	snprintf(outp, sizeof(outp), "%s/push.out", n.dir);
	snprintf(errp, sizeof(errp), "%s/push.err", n.dir);
	kill(pid, SIGINT);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	char *out = slurp(outp, NULL), *err = slurp(errp, NULL);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 130)
		fprintf(stderr, "exit %d\nstdout: %s\nstderr: %s\n", WEXITSTATUS(status),
			out, err);
	assert_int_equal(WEXITSTATUS(status), 130);
	size_t done = 0, of = 0, added = 0;
	assert_non_null(strstr(out, "interrupted after"));
	assert_int_equal(sscanf(strstr(out, "interrupted after"),
				"interrupted after %zu of %zu objects: %zu added",
				&done, &of, &added), 3);
	assert_non_null(strstr(err, "skips it"));
	printf("# interrupted after %zu of %zu objects (%zu added)\n", done, of,
	       added);
	assert_int_equal(of, (size_t)total);
	assert_true(done < (size_t)total && done % 100 == 0);
	assert_int_equal(added, done);
	assert_int_equal(node_versions(n.dir) - base, (long)added);
	free(out);
	free(err);

	const char *again[] = { "push", "--dir", n.dir, "--collection", "main",
				"--batch", "1000", path, NULL };
	assert_int_equal(run_trilex(again, NULL, &out, NULL), 0);
	char want[128];
	snprintf(want, sizeof(want), "%d objects: %zu added, %zu already present,"
		 " 0 failed", total, (size_t)total - added, added);
	if (strstr(out, want) == NULL)
		fprintf(stderr, "rerun: %s\nwanted: %s\n", out, want);
	assert_non_null(strstr(out, want));
	free(out);
	assert_int_equal(node_versions(n.dir) - base, total);
	node_destroy(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_everywhere),
		cmocka_unit_test(test_mistakes_are_named),
		cmocka_unit_test(test_missing_node_folder),
		cmocka_unit_test(test_get_several_types),
		cmocka_unit_test(test_push_interrupted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
