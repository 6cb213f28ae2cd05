/*
 * trilex backup / restore: a backup taken while a push writes holds every
 * object version acknowledged before it began, restores into a node that
 * checks and serves them, with the keys when asked (encrypted to a
 * passphrase: a wrong one is refused); a changed file of a backup is found;
 * restore never overwrites a node. Bounded: 20,000 objects, loopback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define PASS "backup passphrase of the test\n"

static void test_backup_under_load_and_restore(void **state)
{
	struct node n, r;
	char path[PATH_MAX + 16];
	char bk[PATH_MAX + 16], rdir[PATH_MAX + 16];
	const int total = 20000;

	assert_int_equal(node_create(&n, NULL), 0);
	assert_int_equal(node_start(&n), 0);
	long base = node_versions(n.dir);
	pid_t pid = push_started(&n, 200000, total, 100, base);
	assert_true(pid > 0);
	long acked = node_versions(n.dir);
	assert_true(acked > base);

	/* the backup, while the push goes on */
	snprintf(bk, sizeof(bk), "%s.backup", n.dir);
	const char *backup[] = { "backup", "--dir", n.dir, "--with-keys", bk, NULL };
	char *out = NULL, *err = NULL;
	assert_int_equal(run_trilex(backup, PASS, &out, &err), 0);
	free(out);
	free(err);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	long final = node_versions(n.dir);
	assert_int_equal(final - base, total);

	tx_strfmt(path, sizeof(path), "%s/backup.json", bk);
	json_t *m = json_load_file(path, 0, NULL);
	assert_non_null(m);
	long in_backup = (long)json_integer_value(json_object_get(m, "objects"));
	json_decref(m);
	printf("# %ld versions acknowledged when the backup began, %ld in it, %ld"
	       " when the push ended\n", acked, in_backup, final);
	assert_true(in_backup >= acked);
	assert_true(in_backup <= final);
	struct stat sb;
	assert_int_equal(stat(bk, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	tx_strfmt(path, sizeof(path), "%s/trilex.db", bk);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* a wrong passphrase, then the right one */
	snprintf(rdir, sizeof(rdir), "%s.restored", n.dir);
	const char *restore[] = { "restore", "--dir", rdir, bk, NULL };
	err = NULL;
	assert_int_equal(run_trilex(restore, "not the passphrase!!\n", NULL, &err), 1);
	if (strstr(err, "wrong passphrase") == NULL)
		fprintf(stderr, "restore said: %s\n", err);
	assert_non_null(strstr(err, "wrong passphrase"));
	free(err);
	assert_int_equal(run_trilex(restore, PASS, &out, NULL), 0);
	free(out);
	assert_int_equal(node_versions(rdir), in_backup);
	const char *check[] = { "check-config", "--dir", rdir, NULL };
	assert_int_equal(run_trilex(check, NULL, NULL, NULL), 0);
	/* restore never overwrites */
	err = NULL;
	assert_int_equal(run_trilex(restore, PASS, NULL, &err), 1);
	assert_non_null(strstr(err, "a node is there already"));
	free(err);

	/* the restored node serves what it holds, with the same identity */
	node_stop(&n);
	r = n;
	tx_strfmt(r.dir, sizeof(r.dir), "%s", rdir);
	tx_strfmt(r.cacert, sizeof(r.cacert), "%s/tls/cert.pem", rdir);
	assert_int_equal(node_start(&r), 0);
	struct http_resp resp;
	char get[256];
	snprintf(get, sizeof(get), "/api/collections/%s/objects/"
		 "indicator--00000000-0000-4000-8000-%012d/", n.coll, 200000);
	assert_int_equal(http(&r, "GET", get, "token", NULL, NULL, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 200);
	http_free(&resp);
	assert_int_equal(count_objects(&r, "main", NULL), (int)(in_backup - base));
	node_stop(&r);

	/* a file changed after the backup is found */
	tx_strfmt(path, sizeof(path), "%s/node.json", bk);
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(" ", f);
	fclose(f);
	snprintf(rdir, sizeof(rdir), "%s.again", n.dir);
	const char *again[] = { "restore", "--dir", rdir, bk, NULL };
	err = NULL;
	assert_int_equal(run_trilex(again, PASS, NULL, &err), 1);
	assert_non_null(strstr(err, "changed since the backup was taken"));
	free(err);
	char cmd[PATH_MAX * 3 + 64];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.restored' '%s.again'", bk, n.dir,
		 n.dir);
	assert_int_equal(system(cmd), 0);
	node_destroy(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backup_under_load_and_restore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
