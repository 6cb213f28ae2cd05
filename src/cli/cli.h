/*
 * cli: the `trilex` commands, one file per command group. Each command is
 * a row of a table (name, usage, handler); main.c only dispatches. Only
 * this module prints to the terminal.
 */
#ifndef TRILEX_CLI_CLI_H
#define TRILEX_CLI_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "core/core.h"
#include "store/store.h"

struct cmd {
	const char *name;     /* "init", "user add", ... */
	const char *usage;    /* options, after the name */
	const char *summary;
	int (*run)(int argc, char **argv);
};

extern const struct cmd cmd_init, cmd_user_add, cmd_token_create,
	cmd_collection_add, cmd_collection_list, cmd_grant, cmd_serve,
	cmd_push, cmd_get, cmd_info, cmd_check_config, cmd_user_unlock;
extern const struct cmd cmd_peer_export, cmd_peer_add, cmd_peer_list,
	cmd_peer_remove, cmd_peer_status;
extern const struct cmd cmd_alert, cmd_alerts;
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
/* Print usage of cmd to stderr; returns EXIT_USAGE. */
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
