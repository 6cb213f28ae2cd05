/*
 * cli: the `trilex` commands, one file per command group. Each command is
 * a row of a table (name, usage, handler); main.c only dispatches. Only
 * this module prints to the terminal.
 */
#ifndef TRILEX_CLI_CLI_H
#define TRILEX_CLI_CLI_H

#include <stdio.h>

#include "core/core.h"
#include "sensor/sensor.h"
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
extern const struct cmd cmd_collection_share;
extern const struct cmd cmd_withdraw;
extern const struct cmd cmd_partner_propose_admit, cmd_partner_propose_suspend,
	cmd_partner_propose_remove, cmd_partner_list, cmd_policy_endorse,
	cmd_partner_propose_reinstate;
/* Carry out what the partners decided (watch_partners_apply), log and
 * audit it, and with print say so on stdout; 0, or 1 after saying why
 * not (cli/partner.c). */
int cli_partners_apply(tx_store *st, const struct tx_config *cfg, int print);
/* serve's thread that does it after every new proposal or vote, from any
 * process (NULL when it could not start: said in the log). */
/* It also gives fed (may be NULL) the policy versions in force, and has
 * those that came into force sent to observers (cli_policy_release). */
struct cli_partner_keeper;
struct tx_fed;
struct cli_partner_keeper *cli_partner_keeper_start(const char *dir,
						    const struct tx_config *cfg,
						    struct tx_fed *fed);
/* The policy versions in force to fed (fed_policy_released), and those
 * not yet released to observers released (store_policy_release), logged
 * and audited; serve does it before delivery starts. 0, or 1 (logged). */
int cli_policy_release(tx_store *st, struct tx_fed *fed);
void cli_partner_keeper_stop(struct cli_partner_keeper *k);
extern const struct cmd cmd_user_list, cmd_user_remove, cmd_user_passwd,
	cmd_user_disable, cmd_user_enable, cmd_user_role, cmd_role_list,
	cmd_token_list, cmd_token_revoke;
extern const struct cmd cmd_key_create, cmd_key_list, cmd_key_revoke;
extern const struct cmd cmd_audit_list, cmd_audit_verify, cmd_audit_head,
	cmd_audit_heads;
extern const struct cmd cmd_peer_export, cmd_peer_add, cmd_peer_list,
	cmd_peer_remove, cmd_peer_status, cmd_peer_update;
extern const struct cmd cmd_alert, cmd_alerts, cmd_alert_forward;
extern const struct cmd cmd_search;
extern const struct cmd cmd_backup, cmd_restore;
extern const struct cmd cmd_migrate;
extern const struct cmd cmd_cert_renew, cmd_cert_import;
extern const struct cmd cmd_feed_add, cmd_feed_list, cmd_feed_remove,
	cmd_feed_run;
extern const struct cmd cmd_poc_add, cmd_poc_list, cmd_poc_remove;
extern const struct cmd cmd_pattern_check, cmd_pattern_match, cmd_match;
extern const struct cmd cmd_assess, cmd_policy_check, cmd_policy_propose,
	cmd_policy_sign, cmd_policy_status, cmd_policy_diff;

extern const struct cmd cmd_export_misp, cmd_import_misp;
extern const struct cmd cmd_filter_add, cmd_filter_list, cmd_filter_remove;
extern const struct cmd cmd_sbom_check, cmd_sbom_add, cmd_sbom_recheck, cmd_advisory_import;
extern const struct cmd cmd_aor_show, cmd_aor_who, cmd_aor_propose, cmd_watch_propose, cmd_watch_list, cmd_watch_review, cmd_watch_proposals, cmd_vote, cmd_route;
extern const struct cmd cmd_warninglist_import, cmd_warninglist_list;
extern const struct cmd cmd_export_suricata, cmd_export_zeek, cmd_export_csv, cmd_export_iocs;
extern const struct cmd cmd_import_iocs;
struct taxii_ext_request;
struct taxii_ext_reply;
/* GET /trilex/v1/export/{format}[/{file}] (a row of serve's extensions). */
void cli_http_export(void *ctx, const struct taxii_ext_request *rq,
		     struct taxii_ext_reply *rp);
/* The warning lists of every collection of the node, in one index (the
 * caller frees it). 0, or 1 after saying what is wrong. */
int cli_warn_load(tx_store *st, sensor_warn **out);
/* This node's own lists only: what sensor exports leave out. */
int cli_warn_load_own(tx_store *st, sensor_warn **out);
/* The values of pattern pat that warning lists hold, as [{value, lists}]
 * (caller owns it), or NULL when none (or no lists, or a bad pattern). */
json_t *cli_warn_pattern(const sensor_warn *w, const char *pat);
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
/* An expiry option's value (a duration such as 90d, or an RFC 3339
 * time) as the time it ends, in us; 0, or 1 after saying what is wrong. */
int cli_parse_expiry(const char *opt, const char *v, int64_t *us);
/* Who runs this command, for the audit trail: "cli:LOGIN". */
void cli_actor(char *out, size_t n);
/* Record a change made by this command in the node's audit trail (detail
 * printf-style, may be NULL); 0, or 1 after a warning that it was done
 * but not recorded. */
int cli_audit(tx_store *st, const char *action, const char *what,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Share the audit chain's head with the partners (a STIX note in the
 * "audit" collection, delivered by serve); verbose prints it. 0, or 1
 * after saying why not. serve does it every CLI_AUDIT_HEAD_EVERY_US. */
int cli_audit_head(tx_store *st, const struct tx_config *cfg, int verbose);
#define CLI_AUDIT_HEAD_EVERY_US (86400LL * 1000000)
/* Read one line (a password) from stdin without its newline. */
int cli_read_secret(char *buf, size_t n);

/* This node's identity object id: "identity--" + the name-based UUID of
 * its public key; the same on every node. */

/* Check a sharing policy given on the command line (store_share_parse),
 * its parties pinned partners, into out; 0, or 1 after saying why not. */
int cli_share_resolve(tx_store *st, const char *text,
		      char out[STORE_SHARE_BUF]);

/* Common remote options. */
struct remote_opts {
	const char *url, *user, *token, *cacert;
	const char *api_key;  /* X-API-Key */
};

/*
 * Check the certificate of PEM text what (a name for messages) at now
 * (unix seconds): 0 when it is valid (with a warning printed and *warned
 * set when it ends within 30 days), else 1 after saying it expired or
 * cannot be read.
 */
int cli_cert_expiry_check(const char *pem, size_t len, const char *what,
			  int64_t now, int *warned);

/* ---- serve's health rows (cli/health.c) ---- */

/* The /metrics page of the node in dir (Prometheus text) appended to b. */
tx_err cli_metrics_page(tx_store *st, const char *dir, struct tx_buf *b);
/* TX_OK when the node in dir is ready to serve: its database answers,
 * its identity key loads and matches node.json, its certificate parses. */
tx_err cli_ready(tx_store *st, const char *dir, const struct tx_config *cfg,
		 struct tx_error *err);
/* GET /metrics (admins, or metrics_allow), /healthz, /readyz (anyone). */
struct taxii_ext_request;
struct taxii_ext_reply;
void cli_http_metrics(void *ctx, const struct taxii_ext_request *rq,
		      struct taxii_ext_reply *rp);
void cli_http_healthz(void *ctx, const struct taxii_ext_request *rq,
		      struct taxii_ext_reply *rp);
void cli_http_readyz(void *ctx, const struct taxii_ext_request *rq,
		     struct taxii_ext_reply *rp);

#endif
