/*
 * cli/args.c: the one parser of every command's options.
 *
 * A command is a row (struct cmd): its options are a table (struct
 * cli_opt) saying which take a value, which are required and which may be
 * repeated; the number of operands; whether it works on a node folder
 * (--dir DIR). From the row come the usage line, `--help`, the messages for
 * a missing, unknown or valueless option, and the README's command table.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_opt no_opts[] = { { 0 } };

static const struct cli_opt *opts_of(const struct cmd *c)
{
	return c->opts ? c->opts : no_opts;
}

static int opt_index(const struct cmd *c, const char *name, size_t len)
{
	const struct cli_opt *o = opts_of(c);

	for (int i = 0; o[i].name; i++)
		if (strlen(o[i].name) == len && strncmp(o[i].name, name, len) == 0)
			return i;
	return -1;
}

/* Edit distance of a and b (insert, delete, replace, swap of two
 * neighbours: "lsit" is one from "list"), capped at 9. */
size_t cli_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[40][40];

	if (la >= 40 || lb >= 40)
		return 9;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb] > 9 ? 9 : d[la][lb];
}

/* The nearest option name to s (len bytes), or NULL if none is close. */
static const char *nearest_opt(const struct cmd *c, const char *s, size_t len)
{
	const struct cli_opt *o = opts_of(c);
	const char *best = NULL;
	size_t bestd = 3;
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%.*s", (int)len, s);
	if (c->flags & (CMD_DIR | CMD_DIR_OPT) && cli_distance(tmp, "dir") < bestd) {
		best = "dir";
		bestd = cli_distance(tmp, "dir");
	}
	for (int i = 0; o[i].name; i++) {
		size_t d = cli_distance(tmp, o[i].name);
		if (d < bestd || (strncmp(o[i].name, tmp, strlen(tmp)) == 0 &&
				  strlen(tmp) >= 3 && best == NULL)) {
			best = o[i].name;
			bestd = d;
		}
	}
	return best;
}

/* "--name ARG" or "--flag" into buf. */
static void opt_text(const struct cli_opt *o, char *buf, size_t n)
{
	if (o->arg)
		snprintf(buf, n, "--%s %s", o->name, o->arg);
	else
		snprintf(buf, n, "--%s", o->name);
}

void cli_usage_line(const struct cmd *c, char *buf, size_t n)
{
	const struct cli_opt *o = opts_of(c);
	size_t len = 0;
	char t[160];

#define ADD(...) \
	do { \
		if (len < n) \
			len += (size_t)snprintf(buf + len, n - len, __VA_ARGS__); \
	} while (0)
	buf[0] = '\0';
	if (c->usage) { /* a row that words its own */
		ADD("%s", c->usage);
		return;
	}
	if (c->flags & CMD_DIR)
		ADD("--dir DIR");
	else if (c->flags & CMD_DIR_OPT)
		ADD("[--dir DIR]");
	for (int i = 0; o[i].name; i++) {
		if (!(o[i].flags & CLI_REQ))
			continue;
		opt_text(&o[i], t, sizeof(t));
		ADD("%s%s%s", len ? " " : "", t, o[i].flags & CLI_MANY ? "..." : "");
	}
	if (c->operands)
		ADD("%s%s", len ? " " : "", c->operands);
	for (int i = 0; o[i].name; i++) {
		if (o[i].flags & CLI_REQ)
			continue;
		opt_text(&o[i], t, sizeof(t));
		ADD("%s[%s]%s", len ? " " : "", t, o[i].flags & CLI_MANY ? "..." : "");
	}
#undef ADD
	if (len >= n && n > 4)
		memcpy(buf + n - 4, "...", 4);
}

int cli_usage(const struct cmd *cmd)
{
	char u[2048];

	cli_usage_line(cmd, u, sizeof(u));
	fprintf(stderr, "usage: trilex %s %s\n  %s\n  (trilex %s --help for more)\n",
		cmd->name, u, cmd->summary, cmd->name);
	return EXIT_USAGE;
}

void cli_help(const struct cmd *c, FILE *f)
{
	const struct cli_opt *o = opts_of(c);
	char u[2048], t[160];

	cli_usage_line(c, u, sizeof(u));
	fprintf(f, "usage: trilex %s %s\n\n%s\n", c->name, u, c->summary);
	if (c->flags & (CMD_DIR | CMD_DIR_OPT) || o[0].name)
		fprintf(f, "\noptions:\n");
	if (c->flags & (CMD_DIR | CMD_DIR_OPT))
		fprintf(f, "  %-28s %s\n", "--dir DIR", c->flags & CMD_DIR ?
			"the node's folder (required)" : "the node's folder");
	for (int i = 0; o[i].name; i++) {
		opt_text(&o[i], t, sizeof(t));
		fprintf(f, "  %-28s %s%s%s\n", t, o[i].help ? o[i].help : "",
			o[i].flags & CLI_REQ ? " (required)" : "",
			o[i].flags & CLI_MANY ? " (may be repeated)" : "");
	}
	fprintf(f, "  %-28s %s\n", "-h, --help", "this help");
}

static int fail_usage(const struct cmd *c, const char *fmt, const char *a,
		      const char *b)
{
	fprintf(stderr, "trilex %s: ", c->name);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return cli_usage(c);
}

int cli_parse(const struct cmd *c, int argc, char **argv, struct cli_args *a)
{
	const struct cli_opt *o = opts_of(c);
	int n_opts = 0, only_operands = 0, given_dir = 0;

	memset(a, 0, sizeof(*a));
	a->cmd = c;
	while (o[n_opts].name)
		n_opts++;
	if (n_opts > CLI_MAX_OPTS)
		abort(); /* a row with too many options: a bug, caught by the tests */
	/* One array for the operands and every repeated value (at most argc). */
	if ((a->store_ = calloc((size_t)argc * 2 + (size_t)n_opts + 2,
				sizeof(char *))) == NULL)
		return cli_fail("out of memory"), EXIT_USAGE;
	a->argv = (char **)a->store_;
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		if (only_operands || s[0] != '-' || s[1] == '\0') {
			a->argv[a->argc++] = argv[i];
			continue;
		}
		if (strcmp(s, "--") == 0) {
			only_operands = 1;
			continue;
		}
		if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			cli_help(c, stdout);
			return CLI_HELP_SHOWN;
		}
		if (s[1] != '-') {
			return fail_usage(c, "unknown option %s%s (options are long:"
					  " --name)", s, "");
		}
		const char *name = s + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const char *value = eq ? eq + 1 : NULL;
		int k;
		if (c->flags & (CMD_DIR | CMD_DIR_OPT) && len == 3 && strncmp(name, "dir", 3) == 0) {
			if (value == NULL) {
				if (i + 1 >= argc)
					return fail_usage(c, "--dir needs a value (DIR)%s%s",
							  "", "");
				value = argv[++i];
			}
			a->dir = value;
			given_dir = 1;
			continue;
		}
		if ((k = opt_index(c, name, len)) < 0) {
			const char *near = nearest_opt(c, name, len);
			char what[96];
			snprintf(what, sizeof(what), "--%.*s", (int)(len < 80 ? len : 80),
				 name);
			if (near) {
				char hint[96];
				snprintf(hint, sizeof(hint), " (did you mean --%s?)", near);
				return fail_usage(c, "unknown option %s%s", what, hint);
			}
			return fail_usage(c, "unknown option %s%s", what, "");
		}
		if (o[k].arg == NULL) {
			if (value != NULL)
				return fail_usage(c, "--%s takes no value%s", o[k].name, "");
			a->n[k]++;
			continue;
		}
		if (value == NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "trilex %s: --%s needs a value (%s)\n",
					c->name, o[k].name, o[k].arg);
				return cli_usage(c);
			}
			value = argv[++i];
		}
		a->n[k]++;
		a->val[k] = value;
	}
	/* Repeated values, in the order given, each list NULL-terminated. */
	const char **next = a->store_ + argc + 1;
	for (int k = 0; k < n_opts; k++) {
		if (!(o[k].flags & CLI_MANY))
			continue;
		a->many[k] = next;
		const char *name = o[k].name;
		size_t len = strlen(name);
		int ops = 0;
		for (int i = 0; i < argc; i++) {
			const char *s = argv[i];
			if (ops || strcmp(s, "--") == 0) {
				ops = 1;
				continue;
			}
			if (strncmp(s, "--", 2) != 0)
				continue;
			int idx = -1;
			const char *eq = strchr(s + 2, '=');
			size_t l = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
			if (c->flags & (CMD_DIR | CMD_DIR_OPT) && l == 3 && strncmp(s + 2, "dir", 3) == 0) {
				if (!eq)
					i++;
				continue;
			}
			idx = opt_index(c, s + 2, l);
			if (idx < 0 || o[idx].arg == NULL)
				continue;
			const char *v = eq ? eq + 1 : argv[++i];
			if (idx == k && l == len)
				*next++ = v;
		}
		*next++ = NULL;
	}
	for (int k = 0; k < n_opts; k++) {
		if (!(o[k].flags & CLI_MANY) && a->n[k] > 1)
			return fail_usage(c, "--%s given twice%s", o[k].name, "");
		if (o[k].flags & CLI_REQ && a->n[k] == 0) {
			char t[160];
			opt_text(&o[k], t, sizeof(t));
			return fail_usage(c, "%s is required%s", t, "");
		}
	}
	if (c->flags & CMD_DIR && !given_dir)
		return fail_usage(c, "--dir DIR is required%s%s", "", "");
	if (a->argc < c->min_args || (c->max_args >= 0 && a->argc > c->max_args)) {
		char want[160];
		if (c->max_args == 0)
			snprintf(want, sizeof(want), "no operands");
		else
			snprintf(want, sizeof(want), "%s", c->operands ? c->operands : "");
		if (a->argc > (c->max_args < 0 ? a->argc : c->max_args))
			return fail_usage(c, "unexpected operand \"%s\" (takes %s)",
					  a->argv[c->max_args], want);
		return fail_usage(c, "missing operand: expects %s%s", want, "");
	}
	return 0;
}

void cli_args_free(struct cli_args *a)
{
	free(a->store_);
	a->store_ = NULL;
}

static int must_index(const struct cli_args *a, const char *name)
{
	int k = opt_index(a->cmd, name, strlen(name));

	if (k < 0) {
		fprintf(stderr, "trilex %s: internal error: no option --%s in its"
			" table\n", a->cmd->name, name);
		abort();
	}
	return k;
}

const char *cli_opt(const struct cli_args *a, const char *name)
{
	return a->val[must_index(a, name)];
}

int cli_flag(const struct cli_args *a, const char *name)
{
	return a->n[must_index(a, name)];
}

const char *const *cli_opts(const struct cli_args *a, const char *name)
{
	static const char *const none[] = { NULL };
	int k = must_index(a, name);

	return a->many[k] ? a->many[k] : none;
}

int cli_opt_int(const struct cli_args *a, const char *name, int64_t min,
		int64_t max, int64_t *out)
{
	const char *v = cli_opt(a, name);

	if (v == NULL)
		return 0;
	if (tx_parse_int64(v, min, max, out) != TX_OK)
		return cli_fail("--%s \"%s\": must be a whole number from %lld to"
				" %lld", name, v, (long long)min, (long long)max);
	return 0;
}
