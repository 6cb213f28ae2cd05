/*
 * Integration test: collections that trilex makes when missing ("watch",
 * "alerts", "policies", "directory", inboxes) are made atomically. Three
 * `trilex aor propose add` started at once on a fresh node all succeed
 * and share one "watch" collection (before: one in three failed with
 * `alias "watch" is already taken`). Bounded: 6 fresh nodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define ROUNDS 6
#define WRITERS 3

static void test_concurrent_get_or_create(void **state)
{
	static const char *sectors[WRITERS] = { "defense", "energy", "aerospace" };
	int failures = 0;

	for (int round = 0; round < ROUNDS; round++) {
		char tmpl[] = "/tmp/trilex-race-XXXXXX", dir[64], out[WRITERS][96],
		     err[WRITERS][96];
		pid_t pid[WRITERS];

		assert_non_null(mkdtemp(tmpl));
		snprintf(dir, sizeof(dir), "%s/node", tmpl);
		const char *init[] = { "init", "--dir", dir, "--party", "JP", "--name",
				       "race", "--listen", "127.0.0.1:1", NULL };
		assert_int_equal(run_trilex(init, NULL, NULL, NULL), 0);
		for (int w = 0; w < WRITERS; w++) {
			const char *args[] = { "aor", "propose", "add", "--dir", dir,
					       "--sector", sectors[w], "--responsible",
					       "JP", "--rationale", "race", NULL };
			snprintf(out[w], sizeof(out[w]), "%s/out%d", tmpl, w);
			snprintf(err[w], sizeof(err[w]), "%s/err%d", tmpl, w);
			pid[w] = spawn_trilex(args, out[w], err[w]);
			assert_true(pid[w] > 0);
		}
		for (int w = 0; w < WRITERS; w++) {
			int status = 0;
			assert_int_equal(waitpid(pid[w], &status, 0), pid[w]);
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				char *e = slurp(err[w], NULL);
				fprintf(stderr, "round %d writer %d failed: %s", round, w,
					e ? e : "(no stderr)\n");
				free(e);
				failures++;
			}
		}
		/* One "watch" collection, holding all three proposals. */
		const char *ls[] = { "collection", "list", "--dir", dir, NULL };
		char *o = NULL;
		assert_int_equal(run_trilex(ls, NULL, &o, NULL), 0);
		int watch = 0;
		for (char *line = o; line && *line;) {
			char *nl = strchr(line, '\n');
			if (strstr(line, " watch ") != NULL) {
				watch++;
				if (failures == 0 && strstr(line, " 3 ") == NULL)
					fprintf(stderr, "round %d: %.*s\n", round,
						(int)(nl ? nl - line : (long)strlen(line)),
						line);
				if (failures == 0)
					assert_non_null(strstr(line, " 3 "));
			}
			line = nl ? nl + 1 : NULL;
		}
		free(o);
		assert_int_equal(watch, 1);
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
		assert_int_equal(system(cmd), 0);
	}
	printf("# %d rounds of %d concurrent writers: %d failed\n", ROUNDS, WRITERS,
	       failures);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_get_or_create),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
