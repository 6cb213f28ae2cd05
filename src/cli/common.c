/* cli/common.c: what several commands share. */
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/crypto.h"

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("trilex: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_open_node(const char *dir, struct tx_config *cfg, tx_store **st)
{
	struct tx_error err = { 0 };
	char path[PATH_MAX];

	if (dir == NULL)
		return cli_fail("--dir DIR is required");
	if (tx_path_join(path, sizeof(path), dir, "node.json") != TX_OK)
		return cli_fail("%s: path too long", dir);
	if (access(dir, F_OK) != 0)
		return cli_fail("%s: no such folder: make a node there with `trilex"
				" init --dir %s --party CODE --name NAME`", dir, dir);
	if (access(path, F_OK) != 0)
		return cli_fail("%s: not a node (no node.json): make one with `trilex"
				" init --dir %s --party CODE --name NAME`", dir, dir);
	if (tx_config_load(dir, cfg, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	if (store_configure(cfg->store_backend, cfg->store_conninfo, &err) != TX_OK ||
	    store_configure_replica(cfg->store_read_conninfo,
				    cfg->store_read_max_lag_ms, &err) != TX_OK)
		return cli_fail("%s/node.json: %s", dir, err.msg);
	if (st == NULL)
		return 0;
	if (tx_path_join(path, sizeof(path), dir, "trilex.db") != TX_OK)
		return cli_fail("%s: path too long", dir);
	if (store_open(path, 0, st, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	/* statuses written here (push) keep the node's policy too */
	store_set_status_policy(*st, cfg->status_failures_max, cfg->status_ttl_s);
	return 0;
}

int cli_read_secret(char *buf, size_t n)
{
	size_t len;

	if (fgets(buf, (int)n, stdin) == NULL)
		return -1;
	len = strcspn(buf, "\r\n");
	if (buf[len] == '\0' && len == n - 1)
		return -1; /* longer than the buffer */
	buf[len] = '\0';
	return 0;
}

void cli_actor(char *out, size_t n)
{
	const struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(out, n, "cli:%s", pw->pw_name);
	else
		snprintf(out, n, "cli:uid %lu", (unsigned long)geteuid());
}

int cli_audit(tx_store *st, const char *action, const char *what,
	      const char *fmt, ...)
{
	char actor[128], detail[1024] = "";
	struct tx_error err = { 0 };
	va_list ap;

	cli_actor(actor, sizeof(actor));
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	if (store_audit(st, actor, action, what, detail, &err) != TX_OK)
		return cli_fail("warning: done, but the audit trail did not record"
				" it: %s", err.msg);
	return 0;
}
