/* main.c: `trilex <command> [options]` — dispatch only. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "federation/federation.h"
#include "store/store.h"
#include "taxii/taxii.h"

static const struct cmd *const commands[] = {
	&cmd_init, &cmd_info, &cmd_check_config, &cmd_user_add, &cmd_user_unlock,
	&cmd_user_list, &cmd_user_remove, &cmd_user_passwd, &cmd_user_disable,
	&cmd_user_enable, &cmd_user_role, &cmd_role_list,
	&cmd_token_create, &cmd_token_list, &cmd_token_revoke,
	&cmd_key_create, &cmd_key_list, &cmd_key_revoke,
	&cmd_audit_list, &cmd_audit_verify, &cmd_audit_head, &cmd_audit_heads,
	&cmd_collection_add,
	&cmd_collection_list, &cmd_collection_share, &cmd_grant, &cmd_serve, &cmd_push, &cmd_get,
	&cmd_withdraw,
	&cmd_partner_propose_admit, &cmd_partner_propose_suspend,
	&cmd_partner_propose_remove, &cmd_partner_list,
	&cmd_backup, &cmd_restore, &cmd_migrate, &cmd_cert_renew, &cmd_cert_import,
	&cmd_feed_add, &cmd_feed_list, &cmd_feed_remove, &cmd_feed_run,
	&cmd_peer_export, &cmd_peer_add, &cmd_peer_list, &cmd_peer_remove,
	&cmd_peer_status, &cmd_peer_update,
	/* before "alert", which would take "alert forward" */
	&cmd_alert_forward, &cmd_alert, &cmd_alerts, &cmd_search, &cmd_poc_add, &cmd_poc_list,
	&cmd_poc_remove,
	&cmd_pattern_check, &cmd_pattern_match, &cmd_match,
	&cmd_sbom_check, &cmd_sbom_add, &cmd_sbom_recheck, &cmd_advisory_import,
	&cmd_assess, &cmd_policy_check, &cmd_policy_propose, &cmd_policy_sign,
	&cmd_policy_status, &cmd_policy_diff, &cmd_policy_endorse,
	&cmd_export_misp, &cmd_import_misp,
	&cmd_filter_add, &cmd_filter_list, &cmd_filter_remove,
	&cmd_aor_show, &cmd_aor_who, &cmd_aor_propose, &cmd_watch_propose, &cmd_watch_list, &cmd_watch_review, &cmd_watch_proposals, &cmd_vote, &cmd_route,
	&cmd_warninglist_import, &cmd_warninglist_list,
	&cmd_export_suricata,
	&cmd_export_zeek,
	&cmd_export_csv,
	&cmd_export_iocs,
	&cmd_import_iocs,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void help(FILE *f)
{
	fprintf(f, "usage: trilex <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-18s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n`trilex <command> --help` shows a command's options.\n");
}

/* s with "|" written "\|", for a Markdown table cell. */
static void cell(const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			putchar('\\');
		putchar(*s);
	}
}

/* The README's command table: `trilex help --markdown`. */
static void help_markdown(void)
{
	char u[2048];

	printf("| command | what it does |\n|---|---|\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		cli_usage_line(commands[i], u, sizeof(u));
		printf("| `trilex %s%s", commands[i]->name, u[0] ? " " : "");
		cell(u);
		printf("` | ");
		cell(commands[i]->summary);
		printf(" |\n");
	}
}

/* The README's TAXII endpoint table: `trilex help --endpoints`, from the
 * route rows of taxii/routes.c (the API root as a new node has it). */
static void help_endpoints(void)
{
	static const char *const names[][2] = {
		{ "{status}", "{status-id}" }, { "{collection}", "{id}" },
		{ "{object}", "{object-id}" },
	};
	struct tx_config cfg;
	const char *path, *methods, *doc;
	size_t n = taxii_route_doc(0, &path, &methods, &doc);

	tx_config_defaults(&cfg);
	printf("| endpoint | methods |\n|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		taxii_route_doc(i, &path, &methods, &doc);
		printf("| `/");
		for (const char *p = path; *p;) {
			size_t len = strcspn(p, "/");
			const char *w = NULL;
			if (len == 6 && strncmp(p, "{root}", 6) == 0)
				w = cfg.api_root;
			for (size_t k = 0; w == NULL && k < 3; k++)
				if (strlen(names[k][0]) == len &&
				    strncmp(p, names[k][0], len) == 0)
					w = names[k][1];
			printf("%.*s/", (int)(w ? strlen(w) : len), w ? w : p);
			p += len;
			if (*p == '/')
				p++;
		}
		printf("` | ");
		cell(doc);
		printf(" |\n");
	}
}

/* The number of words of argv (from 1) that name command c, or 0. */
static int matches(const struct cmd *c, int argc, char **argv)
{
	const char *sp = strchr(c->name, ' ');

	if (sp == NULL)
		return strcmp(argv[1], c->name) == 0 ? 1 : 0;
	if (argc >= 3 && strncmp(argv[1], c->name, (size_t)(sp - c->name)) == 0 &&
	    argv[1][sp - c->name] == '\0' && strcmp(argv[2], sp + 1) == 0)
		return 2;
	return 0;
}

/* Whether word is the first word of a two-word command. */
static int is_group(const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strncmp(commands[i]->name, word, n) == 0 &&
		    commands[i]->name[n] == ' ')
			return 1;
	return 0;
}

/* Say what is unknown, suggest the nearest command, list the group's. */
static int unknown(int argc, char **argv)
{
	char typed[256], best_buf[64];
	const char *best = NULL;
	size_t bestd = 3;
	int group = is_group(argv[1]);

	if (group && argc >= 3 && (strcmp(argv[2], "--help") == 0 ||
				   strcmp(argv[2], "-h") == 0)) {
		size_t n = strlen(argv[1]);
		printf("\"%s\" commands:\n", argv[1]);
		for (size_t i = 0; i < N_COMMANDS; i++)
			if (strncmp(commands[i]->name, argv[1], n) == 0 &&
			    commands[i]->name[n] == ' ')
				printf("  %-18s %s\n", commands[i]->name,
				       commands[i]->summary);
		printf("\n`trilex %s COMMAND --help` shows a command's options.\n",
		       argv[1]);
		return 0;
	}
	if (group && argc >= 3)
		snprintf(typed, sizeof(typed), "%s %s", argv[1], argv[2]);
	else
		snprintf(typed, sizeof(typed), "%s", argv[1]);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		char first[64];
		const char *name = commands[i]->name;
		size_t d = cli_distance(typed, name);
		/* a one-word typo of a group: compare with its first word */
		if (!group && strchr(name, ' ')) {
			snprintf(first, sizeof(first), "%.*s",
				 (int)(strchr(name, ' ') - name), name);
			size_t d1 = cli_distance(typed, first);
			if (d1 < d)
				d = d1, name = first;
		}
		if (d < bestd) {
			bestd = d;
			snprintf(best_buf, sizeof(best_buf), "%s", name);
			best = best_buf;
		}
	}
	if (group && argc < 3)
		fprintf(stderr, "trilex: \"%s\" needs a subcommand\n", argv[1]);
	else if (best)
		fprintf(stderr, "trilex: unknown command \"%s\"; did you mean \"%s\"?\n",
			typed, best);
	else
		fprintf(stderr, "trilex: unknown command \"%s\"\n", typed);
	if (group) {
		size_t n = strlen(argv[1]);
		fprintf(stderr, "\n\"%s\" commands:\n", argv[1]);
		for (size_t i = 0; i < N_COMMANDS; i++)
			if (strncmp(commands[i]->name, argv[1], n) == 0 &&
			    commands[i]->name[n] == ' ')
				fprintf(stderr, "  %-18s %s\n", commands[i]->name,
					commands[i]->summary);
	}
	fprintf(stderr, "\n`trilex help` lists every command.\n");
	return EXIT_USAGE;
}

static int run(const struct cmd *c, int argc, char **argv)
{
	struct cli_args a;
	int rc;

	rc = cli_parse(c, argc - 1, argv + 1, &a);
	if (rc == 0)
		rc = c->main(&a);
	else if (rc == CLI_HELP_SHOWN)
		rc = 0;
	cli_args_free(&a);
	return rc;
}

int main(int argc, char **argv)
{
	tx_json_guard_install(); /* allocation failures of JSON values counted */
	/* alerts, votes, approvals and withdrawals on the priority lane */
	store_set_lane_classifier(fed_store_lanes);
	if (argc < 2 || strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc >= 3 && strcmp(argv[1], "help") == 0 &&
		    strcmp(argv[2], "--markdown") == 0) {
			help_markdown();
			return 0;
		}
		if (argc >= 3 && strcmp(argv[1], "help") == 0 &&
		    strcmp(argv[2], "--endpoints") == 0) {
			help_endpoints();
			return 0;
		}
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
		int words = matches(commands[i], argc, argv);
		if (words)
			return run(commands[i], argc - words, argv + words);
	}
	return unknown(argc, argv);
}
