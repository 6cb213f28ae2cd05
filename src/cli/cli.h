/*
 * cli: the `trilex` commands, one file per command group. Each command is
 * a row of a table (name, usage, handler); main.c only dispatches. Only
 * this module prints to the terminal.
 */
#ifndef TRILEX_CLI_CLI_H
#define TRILEX_CLI_CLI_H

#include <stdio.h>

#include "core/core.h"
#include "store/store.h"

/* One option of a command's table (--dir and --help are implied). */
struct cli_opt {
	const char *name;     /* long name, without "--" */
	const char *arg;      /* what its value is ("URL"), NULL for a flag */
	unsigned flags;       /* CLI_REQ, CLI_MANY */
	const char *help;
};
#define CLI_REQ 1u        /* must be given */
#define CLI_MANY 2u       /* may be repeated; every value is kept */
#define CLI_MAX_OPTS 32

#define CMD_DIR 1u        /* works on a node folder: --dir DIR, required */
#define CMD_DIR_OPT 2u    /* --dir DIR may be given */

struct cli_args;

/*
 * A command: one row, parsed by cli_parse from its table; the usage line,
 * --help and the README's command table are made from it.
 */
struct cmd {
	const char *name;     /* "init", "user add", ... */
	const char *summary;
	const struct cli_opt *opts;   /* {NULL}-terminated, or NULL */
	const char *operands; /* how the operands read in the usage, or NULL */
	int min_args, max_args;       /* operands; max_args -1: any number */
	unsigned flags;       /* CMD_DIR */
	int (*main)(const struct cli_args *a);
	/* the usage line, when the table cannot say it (alternatives, options
	 * that go together); NULL: made from the table */
	const char *usage;
};

/* What cli_parse found. */
struct cli_args {
	const struct cmd *cmd;
	const char *dir;                   /* --dir, when CMD_DIR */
	const char *val[CLI_MAX_OPTS];     /* last value of each option */
	int n[CLI_MAX_OPTS];               /* times each was given */
	const char **many[CLI_MAX_OPTS];   /* CLI_MANY values, NULL-terminated */
	int argc;                          /* operands */
	char **argv;
	const char **store_;               /* owned */
};

#define CLI_HELP_SHOWN 3
/* Parse argv (after the command's words) by c's table. 0 when a is ready;
 * CLI_HELP_SHOWN after printing --help to stdout; EXIT_USAGE after saying
 * what is wrong (missing, unknown, repeated option; operands). */
int cli_parse(const struct cmd *c, int argc, char **argv, struct cli_args *a);
void cli_args_free(struct cli_args *a);
/* The value of option name (NULL when not given); name must be in the
 * table (a missing name aborts: a bug). */
const char *cli_opt(const struct cli_args *a, const char *name);
/* Times a flag (or option) was given. */
int cli_flag(const struct cli_args *a, const char *name);
/* Every value of a CLI_MANY option, NULL-terminated (never NULL). */
const char *const *cli_opts(const struct cli_args *a, const char *name);
/* An integer option in [min, max] into *out (left alone when not given);
 * 0, or 1 after saying what is wrong. */
int cli_opt_int(const struct cli_args *a, const char *name, int64_t min,
		int64_t max, int64_t *out);
/* The usage line of c (after "trilex NAME "). */
void cli_usage_line(const struct cmd *c, char *buf, size_t n);
/* The full help of c. */
void cli_help(const struct cmd *c, FILE *f);
/* Edit distance of two short strings (capped at 9). */
size_t cli_distance(const char *a, const char *b);

extern const struct cmd cmd_init, cmd_user_add, cmd_token_create,
	cmd_collection_add, cmd_collection_list, cmd_grant, cmd_serve,
	cmd_push, cmd_get, cmd_info, cmd_check_config, cmd_user_unlock;
extern const struct cmd cmd_peer_export, cmd_peer_add, cmd_peer_list,
	cmd_peer_remove, cmd_peer_status;
extern const struct cmd cmd_alert, cmd_alerts;
extern const struct cmd cmd_search;
extern const struct cmd cmd_backup, cmd_restore;
extern const struct cmd cmd_poc_add, cmd_poc_list, cmd_poc_remove;
extern const struct cmd cmd_pattern_check, cmd_pattern_match, cmd_match;
extern const struct cmd cmd_assess, cmd_policy_check, cmd_policy_propose,
	cmd_policy_sign, cmd_policy_status, cmd_policy_diff;

extern const struct cmd cmd_sbom_check, cmd_sbom_add, cmd_sbom_recheck, cmd_advisory_import;
extern const struct cmd cmd_aor_show, cmd_aor_who, cmd_aor_propose, cmd_watch_propose, cmd_watch_list, cmd_watch_review, cmd_watch_proposals, cmd_vote, cmd_route;
/* The commonest passwords, lower case, NULL-terminated (generated from
 * data/common-passwords.txt). */
extern const char *const cli_common_passwords[];
/* Exit codes. */
#define EXIT_USAGE 2

/* Print "trilex: <msg>" to stderr; returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the usage line of cmd to stderr; returns EXIT_USAGE. */
int cli_usage(const struct cmd *cmd);
/* Load DIR/node.json and open DIR/trilex.db. */
int cli_open_node(const char *dir, struct tx_config *cfg, tx_store **st);
/* Read one line (a password) from stdin without its newline. */
int cli_read_secret(char *buf, size_t n);
/*
 * Re-check the node's stored BOMs against every advisory it holds; record
 * (and print) each new finding with an alert on it. 0 on success. Used by
 * `trilex sbom recheck` and by `trilex serve` when partners' objects come in.
 */
int cli_sbom_recheck(tx_store *st, size_t *n_boms, size_t *n_new);

/* This node's identity object id: "identity--" + the name-based UUID of
 * its public key; the same on every node. */
int cli_node_identity_id(const struct tx_config *cfg, char out[64]);

/* Common remote options. */
struct remote_opts {
	const char *url, *user, *token, *cacert;
};

#endif
