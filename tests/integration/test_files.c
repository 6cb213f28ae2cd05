/*
 * End-to-end tests of the modes of a node's files: `trilex init` into an
 * existing 0755 folder under umask 022 makes the folder 0700 and every
 * file 0600 (the database's -wal and -shm too, once served), and
 * `check-config` and `serve` refuse secrets open to others, naming the
 * file and the chmod to run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "harness.h"

/* A TCP port of 127.0.0.1 free now. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Run `trilex serve --dir dir`, which must exit within 10 s; its exit
 * status (-1 if it kept running and was killed), stderr in err_path. */
static int serve_must_exit(const char *dir, const char *err_path)
{
	const char *a[] = { "serve", "--dir", dir, NULL };
	pid_t pid = spawn_trilex(a, "/dev/null", err_path);
	int status = 0;

	for (int i = 0; i < 500; i++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static unsigned mode_of(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		fail_msg("%s: missing", path);
	return (unsigned)(sb.st_mode & 07777);
}

/* Every entry of folder dir (and of its sub-folders): folders 0700,
 * files 0600. Returns how many files were seen. */
static int check_tree(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		struct stat sb;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, "serve.log") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_int_equal(stat(path, &sb), 0);
		if (S_ISDIR(sb.st_mode)) {
			if ((sb.st_mode & 07777) != 0700)
				fail_msg("%s: mode %04o, not 0700", path,
					 (unsigned)(sb.st_mode & 07777));
			n += check_tree(path);
		} else {
			if ((sb.st_mode & 07777) != 0600)
				fail_msg("%s: mode %04o, not 0600", path,
					 (unsigned)(sb.st_mode & 07777));
			n++;
		}
	}
	closedir(d);
	return n;
}

static void test_init_into_existing_folder(void **state)
{
	char tmpl[] = "/tmp/trilex-node-XXXXXX", dir[PATH_MAX], path[PATH_MAX + 32];
	char listen[32];
	struct node n;
	struct http_resp r;
	json_t *env;
	char *body, *out = NULL, *err = NULL;
	mode_t old = umask(022);

	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s/node", tmpl);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mode_of(dir), 0755);
	memset(&n, 0, sizeof(n));
	snprintf(n.dir, sizeof(n.dir), "%s", dir);
	tx_strfmt(n.cacert, sizeof(n.cacert), "%s/tls/cert.pem", dir);
	snprintf(n.party, sizeof(n.party), "JP");
	assert_true((n.port = free_port()) > 0);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", n.port);
	snprintf(n.base, sizeof(n.base), "https://127.0.0.1:%d", n.port);
	{
		const char *a[] = { "init", "--dir", dir, "--party", "JP", "--name",
				    "modes", "--listen", listen, NULL };
		assert_int_equal(run_trilex(a, NULL, &out, &err), 0);
		free(out);
		free(err);
	}
	assert_int_equal(mode_of(dir), 0700);
	assert_true(check_tree(dir) >= 5);
	{
		const char *a[] = { "user", "add", "--dir", dir, "--name", "admin",
				    "--password-stdin", "--admin", NULL };
		const char *b[] = { "token", "create", "--dir", dir, "--user",
				    "admin", NULL };
		const char *c[] = { "collection", "add", "--dir", dir, "--title",
				    "Main", "--alias", "main", NULL };
		assert_int_equal(run_trilex(a, ADMIN_PASSWORD "\n", &out, &err), 0);
		free(out);
		free(err);
		assert_int_equal(run_trilex(b, NULL, &out, &err), 0);
		snprintf(n.token, sizeof(n.token), "%.*s", (int)strcspn(out, "\n"),
			 out);
		free(out);
		free(err);
		assert_int_equal(run_trilex(c, NULL, &out, &err), 0);
		free(out);
		free(err);
	}
	/* Served, with a write: the WAL and its index exist, private. */
	assert_int_equal(node_start(&n), 0);
	env = json_pack("{s:[o]}", "objects", make_indicator(1, NULL));
	body = json_dumps(env, JSON_COMPACT);
	assert_int_equal(http(&n, "POST", "/api/collections/main/objects/", "token",
			      NULL, NULL, body, strlen(body), &r), 0);
	assert_int_equal(r.status, 202);
	http_free(&r);
	free(body);
	json_decref(env);
	snprintf(path, sizeof(path), "%s/trilex.db-wal", dir);
	assert_int_equal(mode_of(path), 0600);
	snprintf(path, sizeof(path), "%s/trilex.db-shm", dir);
	assert_int_equal(mode_of(path), 0600);
	assert_true(check_tree(dir) >= 7);
	assert_int_equal(node_stop(&n), 0);
	umask(old);
	node_destroy(&n);
}

/* A secret open to others: check-config and serve refuse, naming it. */
static void test_open_secrets_refused(void **state)
{
	static const char *const secrets[] = { "trilex.db", "identity.key",
					       "tls/key.pem" };
	static const unsigned modes[] = { 0644, 0604, 0640 };
	char path[PATH_MAX + 32], want[PATH_MAX + 64], log[PATH_MAX + 32];
	char *out = NULL, *err = NULL;
	struct node n;
	int rc;

	assert_int_equal(node_create(&n, NULL), 0);
	{
		const char *a[] = { "check-config", "--dir", n.dir, NULL };
		assert_int_equal(run_trilex(a, NULL, &out, &err), 0);
		assert_non_null(strstr(out, "file modes: ok"));
		free(out);
		free(err);
	}
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		const char *a[] = { "check-config", "--dir", n.dir, NULL };
		snprintf(path, sizeof(path), "%s/%s", n.dir, secrets[i]);
		assert_int_equal(chmod(path, modes[i]), 0);
		snprintf(want, sizeof(want), "run: chmod 600 %s", path);
		assert_int_not_equal(run_trilex(a, NULL, &out, &err), 0);
		if (strstr(err, want) == NULL || strstr(err, path) == NULL)
			fail_msg("check-config with %s %04o: \"%s\"", secrets[i],
				 modes[i], err);
		free(out);
		free(err);
		snprintf(log, sizeof(log), "%s/../serve-err.txt", n.dir);
		rc = serve_must_exit(n.dir, log);
		err = slurp(log, NULL);
		if (rc <= 0 || err == NULL || strstr(err, want) == NULL)
			fail_msg("serve with %s %04o: exit %d, \"%s\"", secrets[i],
				 modes[i], rc, err ? err : "");
		free(err);
		assert_int_equal(chmod(path, 0600), 0);
	}
	node_destroy(&n);
}

/* The NoNewPrivs line of /proc/PID/status: 1, 0, or -1 if none. */
static int no_new_privs(pid_t pid)
{
	char path[64], line[256];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "NoNewPrivs: %d", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* serve limits its own file access with Landlock (when the kernel has it)
 * and sets no_new_privs; "landlock": 0 turns both off. Everything else a
 * served node does under Landlock is the rest of the suite. */
static void test_serve_landlock(void **state)
{
	char path[PATH_MAX + 32], *log;
	struct node n;

	if (!tx_sandbox_available()) {
		print_message("Landlock is not available in this kernel: skipped\n");
		skip();
	}
	for (int on = 1; on >= 0; on--) {
		assert_int_equal(node_create(&n, on ? NULL : "\"landlock\": 0"), 0);
		assert_int_equal(node_start(&n), 0);
		assert_int_equal(no_new_privs(n.pid), on);
		assert_int_equal(node_stop(&n), 0);
		snprintf(path, sizeof(path), "%s/serve.log", n.dir);
		assert_non_null(log = slurp(path, NULL));
		if ((strstr(log, "landlock: file access limited to") != NULL) != on)
			fail_msg("landlock %d: log \"%s\"", on, log);
		free(log);
		node_destroy(&n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_into_existing_folder),
		cmocka_unit_test(test_open_secrets_refused),
		cmocka_unit_test(test_serve_landlock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
