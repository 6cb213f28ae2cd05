/* main.c: `trilex <command> [options]` — dispatch only. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "crypto/crypto.h"

static const struct cmd *const commands[] = {
	&cmd_init, &cmd_info, &cmd_check_config, &cmd_user_add, &cmd_user_unlock, &cmd_token_create, &cmd_collection_add,
	&cmd_collection_list, &cmd_grant, &cmd_serve, &cmd_push, &cmd_get,
	&cmd_peer_export, &cmd_peer_add, &cmd_peer_list, &cmd_peer_remove,
	&cmd_peer_status, &cmd_alert, &cmd_alerts, &cmd_poc_add, &cmd_poc_list,
	&cmd_poc_remove,
	&cmd_pattern_check, &cmd_pattern_match, &cmd_match,
	&cmd_sbom_check, &cmd_sbom_add, &cmd_sbom_recheck, &cmd_advisory_import,
	&cmd_assess, &cmd_policy_check, &cmd_policy_propose, &cmd_policy_sign,
	&cmd_policy_status, &cmd_policy_diff,
	&cmd_aor_show, &cmd_aor_who, &cmd_aor_propose, &cmd_watch_propose, &cmd_watch_list, &cmd_watch_review, &cmd_watch_proposals, &cmd_vote, &cmd_route,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void help(FILE *f)
{
	fprintf(f, "usage: trilex <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-18s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n`trilex <command> --help` shows a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("trilex %s\n", TRILEX_VERSION);
		return 0;
	}
	if (crypto_init() != TX_OK)
		return cli_fail("cannot initialise libsodium/GnuTLS");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct cmd *c = commands[i];
		size_t n = strlen(c->name);
		const char *sp = strchr(c->name, ' ');
		/* One-word commands match argv[1]; two-word ones argv[1..2]. */
		if (sp == NULL && strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
		if (sp != NULL && argc >= 3 &&
		    strncmp(argv[1], c->name, (size_t)(sp - c->name)) == 0 &&
		    argv[1][sp - c->name] == '\0' && strcmp(argv[2], sp + 1) == 0 &&
		    n > 0)
			return c->run(argc - 2, argv + 2);
	}
	fprintf(stderr, "trilex: unknown command \"%s\"\n\n", argv[1]);
	help(stderr);
	return EXIT_USAGE;
}
