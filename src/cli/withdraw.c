/* cli/withdraw.c: `trilex withdraw`: take back what this node shared
 * (federation/withdraw.c makes the revoked versions and notices). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "federation/federation.h"

static const struct cli_opt withdraw_opts[] = {
	{ "reason", "R", 0, "why (sent with the withdrawal, shown by partners)" },
	{ 0 },
};

static int withdraw_run(const struct cli_args *a)
{
	const char *reason = cli_opt(a, "reason");
	struct tx_config cfg;
	tx_store *st = NULL;
	int failed = 0;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	for (int i = 0; i < a->argc; i++) {
		const char *id = a->argv[i];
		struct fed_withdrawn w;
		struct tx_error err = { 0 };

		if (fed_withdraw(st, cfg.party, id, reason, tx_time_now_us(), &w,
				 &err) != TX_OK) {
			cli_fail("%s", err.msg);
			failed = 1;
			continue;
		}
		printf("%s withdrawn:", id);
		if (w.revoked)
			printf(" %d revoked version%s", w.revoked,
			       w.revoked == 1 ? "" : "s");
		if (w.notices)
			printf("%s %d withdrawal notice%s (%s)", w.revoked ? "," : "",
			       w.notices, w.notices == 1 ? "" : "s",
			       w.notice_ids[0]);
		printf("; the partners that received it get it as they got the"
		       " object\n");
		if (w.from[0])
			printf("  (the copy from %s stays: only %s can withdraw it)\n",
			       w.from, w.from);
		cli_audit(st, "object.withdraw", id, "revoked %d, notices %d%s%s",
			  w.revoked, w.notices, reason ? "; reason: " : "",
			  reason ? reason : "");
	}
	store_close(st);
	return failed;
}

const struct cmd cmd_withdraw = {
	.name = "withdraw",
	.summary = "withdraw objects this node shared: a revoked version, or a"
		   " signed notice, to every partner that received them",
	.opts = withdraw_opts,
	.operands = "ID...",
	.min_args = 1,
	.max_args = 1000,
	.flags = CMD_DIR,
	.main = withdraw_run,
};
