/*
 * cli/partner.c: `trilex partner propose-admit|propose-suspend|
 * propose-reinstate|propose-remove|list` and `trilex policy endorse`: growing the
 * partnership by vote (watch/partners.c), and the keeper that carries out
 * the partners' decisions in `serve`.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "federation/federation.h"
#include "policy/policy.h"
#include "watch/watch.h"

static const struct cli_opt admit_opts[] = {
	{ "role", "member|observer", 0, "what the party is to receive (default"
	  " member)" },
	{ "rationale", "T", 0, "why, for the partners" },
	{ "quorum", "N", 0, "approvals needed, 0: all members (default: watch.json)" },
	{ 0 },
};
static const struct cli_opt reinstate_opts[] = {
	{ "role", "member|observer", 0, "its role from then on (default: the"
	  " role it had when it was suspended)" },
	{ "rationale", "T", 0, "why, for the partners" },
	{ "quorum", "N", 0, "approvals needed, 0: all members (default: watch.json)" },
	{ 0 },
};
static const struct cli_opt change_opts[] = {
	{ "rationale", "T", 0, "why, for the partners" },
	{ "quorum", "N", 0, "approvals needed, 0: all members (default: watch.json)" },
	{ 0 },
};

/* Log and audit what watch_partners_apply did. */
static void report(tx_store *st, const json_t *actions, int print)
{
	const json_t *x;
	size_t i;

	json_array_foreach(actions, i, x) {
		const char *act = json_string_value(json_object_get(x, "action"));
		const char *party = json_string_value(json_object_get(x, "party"));
		const char *role = json_string_value(json_object_get(x, "role"));
		const char *prop = json_string_value(json_object_get(x, "proposal"));
		const char *why = json_string_value(json_object_get(x, "reason"));
		if (strcmp(act, "failed") == 0) {
			tx_log(TX_LOG_WARN, "partnership: %s could not be applied"
			       " (%s): %s", party, prop ? prop : "", why ? why : "");
			if (print)
				fprintf(stderr, "trilex: partnership: %s: %s\n", party,
					why ? why : "");
			continue;
		}
		tx_log(TX_LOG_INFO, "partnership: %s %s%s%s by vote (%s)", party, act,
		       role ? " as " : "", role ? role : "", prop ? prop : "");
		if (print)
			printf("partnership: %s %s%s%s by the partners' vote (%s)\n",
			       party, act, role ? " as " : "", role ? role : "",
			       prop ? prop : "");
		cli_audit(st, strcmp(act, "removed") == 0 ? "partner.remove" :
			  strcmp(act, "pinned") == 0 ? "partner.add" : "partner.role",
			  party, "by vote, %s%s%s", prop ? prop : "",
			  role ? "; role " : "", role ? role : "");
	}
}

int cli_partners_apply(tx_store *st, const struct tx_config *cfg, int print)
{
	struct tx_error err = { 0 };
	json_t *actions = json_array();
	int64_t now;
	int rc = 0;

	if (actions == NULL)
		return cli_fail("out of memory");
	if (watch_now(&now, &err) != TX_OK ||
	    watch_partners_apply(st, cfg->party, now, actions, &err) != TX_OK) {
		tx_log(TX_LOG_WARN, "partnership: %s", err.msg);
		if (print)
			cli_fail("partnership: %s", err.msg);
		rc = 1;
	}
	report(st, actions, print);
	json_decref(actions);
	return rc;
}

/* A reinstatement is of a suspended partner; its role, unless given, the
 * one it had (held, its buffer) when it was suspended. 0, or 1 said. */
static int reinstate_role(tx_store *st, struct watch_partner_request *rq,
			  char held[16])
{
	struct store_peer *p = calloc(1, sizeof(*p));
	int rc = 1;

	if (p == NULL)
		return cli_fail("out of memory");
	if (store_peer_find(st, rq->party, NULL, NULL, p) != TX_OK ||
	    strcmp(p->party, rq->party) != 0)
		cli_fail("%s is not a pinned partner of this node", rq->party);
	else if (strcmp(p->role, STORE_PARTY_SUSPENDED) != 0)
		cli_fail("%s is not suspended (it is %s)", rq->party, p->role);
	else if (rq->role == NULL && !store_peer_role_valid(p->held_role))
		cli_fail("%s: its role before the suspension is not known here:"
			 " say --role member|observer", rq->party);
	else {
		if (rq->role == NULL) {
			snprintf(held, 16, "%s", p->held_role);
			rq->role = held;
		}
		rc = 0;
	}
	free(p);
	return rc;
}

static int propose(const struct cli_args *a, enum watch_change change,
		   int reinstate)
{
	char held[16] = "";
	struct watch_partner_request rq = { .change = change, .quorum = -1 };
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_identity *id = NULL;
	tx_store *st = NULL;
	json_error_t jerr;
	json_t *card = NULL;
	char path[PATH_MAX], pid[100];
	int64_t now, q;
	int rc = 1;

	rq.rationale = cli_opt(a, "rationale");
	if (cli_opt(a, "quorum")) {
		if (tx_parse_int64(cli_opt(a, "quorum"), 0, WATCH_MAX_PARTIES, &q) !=
		    TX_OK)
			return cli_fail("--quorum \"%s\": must be 0 (all members)"
					" to %d", cli_opt(a, "quorum"),
					WATCH_MAX_PARTIES);
		rq.quorum = (int)q;
	}
	if (change == WATCH_ADD) {
		rq.role = cli_opt(a, "role");
		if (rq.role && strcmp(rq.role, STORE_PARTY_MEMBER) != 0 &&
		    strcmp(rq.role, STORE_PARTY_OBSERVER) != 0)
			return cli_fail("--role \"%s\": must be member or observer",
					rq.role);
		if ((card = json_load_file(a->argv[0], JSON_REJECT_DUPLICATES,
					   &jerr)) == NULL)
			return cli_fail("%s:%d:%d: %s", a->argv[0], jerr.line,
					jerr.column, jerr.text);
		rq.card = card;
	} else {
		rq.party = a->argv[0];
		if (change == WATCH_AMEND)
			rq.role = reinstate ? cli_opt(a, "role") : STORE_PARTY_SUSPENDED;
		if (reinstate && rq.role && strcmp(rq.role, STORE_PARTY_MEMBER) != 0 &&
		    strcmp(rq.role, STORE_PARTY_OBSERVER) != 0)
			return cli_fail("--role \"%s\": must be member or observer",
					rq.role);
	}
	if (watch_now(&now, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		goto out;
	if (reinstate && reinstate_role(st, &rq, held) != 0)
		goto out;
	tx_path_join(path, sizeof(path), a->dir, "identity.key");
	if (crypto_identity_load(path, &id, &err) != TX_OK ||
	    watch_partner_propose(st, a->dir, id, cfg.party, now, &rq, pid,
				  &err) != TX_OK) {
		cli_fail("%s%s%s", change == WATCH_ADD ? a->argv[0] : "",
			 change == WATCH_ADD ? ": " : "", err.msg);
		goto out;
	}
	printf("%s\n", pid);
	/* a quorum of one decides at once */
	rc = cli_partners_apply(st, &cfg, 1);
out:
	crypto_identity_free(id);
	store_close(st);
	json_decref(card);
	return rc;
}

static int admit_run(const struct cli_args *a)
{
	return propose(a, WATCH_ADD, 0);
}

static int suspend_run(const struct cli_args *a)
{
	return propose(a, WATCH_AMEND, 0);
}

static int reinstate_run(const struct cli_args *a)
{
	return propose(a, WATCH_AMEND, 1);
}

static int remove_run(const struct cli_args *a)
{
	return propose(a, WATCH_REMOVE, 0);
}

const struct cmd cmd_partner_propose_admit = {
	.name = "partner propose-admit",
	.summary = "propose to admit a party from its peer card (the members"
		   " vote; once approved every member node pins it)",
	.opts = admit_opts,
	.operands = "CARD",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = admit_run,
};

const struct cmd cmd_partner_propose_suspend = {
	.name = "partner propose-suspend",
	.summary = "propose to suspend a partner (nothing sent to it or taken"
		   " from it)",
	.opts = change_opts,
	.operands = "PARTY",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = suspend_run,
};

const struct cmd cmd_partner_propose_reinstate = {
	.name = "partner propose-reinstate",
	.summary = "propose to reinstate a suspended partner (once approved it"
		   " gets what was held back, once)",
	.opts = reinstate_opts,
	.operands = "PARTY",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = reinstate_run,
};

const struct cmd cmd_partner_propose_remove = {
	.name = "partner propose-remove",
	.summary = "propose to remove a partner (once approved every member node"
		   " unpins it)",
	.opts = change_opts,
	.operands = "PARTY",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = remove_run,
};

static const struct cli_opt json_only[] = {
	{ "json", NULL, 0, "print JSON" },
	{ 0 },
};

static int list_run(const struct cli_args *a)
{
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct store_peer *peers = NULL;
	watch_state *ws = NULL;
	tx_store *st = NULL;
	json_t *state = NULL, *out = NULL, *x;
	size_t n = 0, i;
	int64_t now;
	int rc = 1;

	if (watch_now(&now, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (watch_state_load(st, cfg.party, now, &ws, &err) != TX_OK ||
	    store_peer_list(st, &peers, &n) != TX_OK) {
		cli_fail("%s", err.msg[0] ? err.msg : "cannot list the partners");
		goto out;
	}
	state = watch_state_json(ws);
	out = json_pack("{s:s, s:[], s:O, s:[]}", "party", cfg.party, "pinned",
			"decisions", json_object_get(state, "partners"), "proposals");
	for (i = 0; i < n; i++)
		json_array_append_new(json_object_get(out, "pinned"), json_pack(
			"{s:s, s:s, s:s}", "party", peers[i].party, "name",
			peers[i].name, "role", peers[i].role));
	json_array_foreach(json_object_get(state, "proposals"), i, x)
		if (strcmp(json_string_value(json_object_get(x, "subject")),
			   "partner") == 0) {
			json_t *c = json_deep_copy(x);
			json_object_del(c, "card");
			json_array_append_new(json_object_get(out, "proposals"), c);
		}
	if (cli_flag(a, "json")) {
		char *s = tx_json_dumps(out, JSON_INDENT(2));
		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		printf("%-6s %-10s %s\n", "PARTY", "ROLE", "NAME");
		printf("%-6s %-10s %s\n", cfg.party, "(this node)", "");
		for (i = 0; i < n; i++)
			printf("%-6s %-10s %s\n", peers[i].party, peers[i].role,
			       peers[i].name);
		json_array_foreach(json_object_get(out, "proposals"), i, x) {
			const char *ch = json_string_value(json_object_get(x, "change"));
			const char *note = json_string_value(json_object_get(x, "note"));
			printf("%s %s %s %s%s%s by %s: %s (%zu of %lld)%s%s\n",
			       json_string_value(json_object_get(x, "id")),
			       ch == NULL ? "?" : strcmp(ch, "add") == 0 ? "admit" :
			       strcmp(ch, "remove") == 0 ? "remove" : "role",
			       json_string_value(json_object_get(x, "key")) ?
			       json_string_value(json_object_get(x, "key")) : "?",
			       json_object_get(x, "role") ? "as " : "",
			       json_object_get(x, "role") ? json_string_value(
				       json_object_get(x, "role")) : "",
			       json_object_get(x, "role") ? " " : "",
			       json_string_value(json_object_get(x, "proposer")),
			       json_string_value(json_object_get(x, "state")),
			       json_array_size(json_object_get(x, "approved_by")),
			       (long long)json_integer_value(json_object_get(x, "quorum")),
			       note ? "; " : "", note ? note : "");
		}
	}
	rc = 0;
out:
	json_decref(state);
	json_decref(out);
	watch_state_free(ws);
	free(peers);
	store_close(st);
	return rc;
}

const struct cmd cmd_partner_list = {
	.name = "partner list",
	.summary = "list the partnership: pinned parties with their roles, and"
		   " the proposals to admit, suspend or remove one",
	.opts = json_only,
	.flags = CMD_DIR,
	.main = list_run,
};

/* ---- policy endorse ---- */

static int endorse_run(const struct cli_args *a)
{
	struct store_user local = { .admin = 1, .name = "local" };
	struct store_collection c;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	policy_registry *reg = NULL;
	json_t *obj = NULL;
	tx_store *st = NULL;
	int rc = 1;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (policy_registry_load(st, cfg.party, &reg, &err) != TX_OK ||
	    policy_registry_endorse(reg, a->argv[0], cfg.party, &obj, &err) !=
	    TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (obj == NULL) {
		printf("%s has already endorsed policy %s\n", cfg.party, a->argv[0]);
		rc = 0;
		goto out;
	}
	/* It goes where the version it endorses came from, no further. */
	const char *src[1] = { json_string_value(json_object_get(obj, "policy_ref")) };
	if (store_collection_ensure(st, "Policies", "use-of-force policy"
				    " versions and approvals", "policies", &c,
				    &err) != TX_OK ||
	    fed_derive_stored(st, src, 1, NULL, 0, cfg.party, obj, NULL, &err) !=
	    TX_OK ||
	    policy_store_object(st, c.pk, &local, obj, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("%s endorsed policy %s as %s\n", cfg.party, a->argv[0],
	       json_string_value(json_object_get(obj, "id")));
	rc = cli_audit(st, "policy.endorse", a->argv[0], "%s",
		       json_string_value(json_object_get(obj, "id")));
out:
	json_decref(obj);
	policy_registry_free(reg);
	store_close(st);
	return rc;
}

const struct cmd cmd_policy_endorse = {
	.name = "policy endorse",
	.summary = "endorse a ratified policy version as a party outside its"
		   " partnership (an observer)",
	.operands = "VERSION",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = endorse_run,
};

/* ---- serve's keeper ---- */

int cli_policy_release(tx_store *st, tx_fed *fed)
{
	struct tx_error err = { 0 };
	policy_registry *reg = NULL;
	json_t *ratified = NULL, *v;
	const char **digests = NULL;
	size_t i, n = 0;
	int rc = 1, done;

	if (policy_registry_load(st, fed ? fed_party(fed) : "", &reg, &err) !=
	    TX_OK ||
	    (ratified = policy_registry_ratified(reg)) == NULL ||
	    (digests = calloc(json_array_size(ratified) + 1,
			      sizeof(*digests))) == NULL) {
		tx_log(TX_LOG_WARN, "policy release: %s", err.msg[0] ? err.msg :
		       "out of memory");
		goto out;
	}
	json_array_foreach(ratified, i, v)
		digests[n++] = json_string_value(json_object_get(v, "digest"));
	/* first what observers may have, then their cursors back to it */
	if (fed != NULL && fed_policy_released(fed, digests, n) != TX_OK) {
		tx_log(TX_LOG_WARN, "policy release: out of memory");
		goto out;
	}
	json_array_foreach(ratified, i, v) {
		const json_t *ids = json_object_get(v, "ids");
		const char *list[64];
		size_t k, m = 0;
		json_t *x;
		json_array_foreach(ids, k, x)
			if (m < 64)
				list[m++] = json_string_value(x);
		if (store_policy_release(st, digests[i], list, m, &done, &err) !=
		    TX_OK) {
			tx_log(TX_LOG_WARN, "policy release %s: %s", json_string_value(
			       json_object_get(v, "version")), err.msg);
			goto out;
		}
		if (!done)
			continue;
		tx_log(TX_LOG_INFO, "policy %s is in force: released to observers",
		       json_string_value(json_object_get(v, "version")));
		cli_audit(st, "policy.release", json_string_value(json_object_get(v,
			  "version")), "in force; sha256 %s", digests[i]);
	}
	rc = 0;
out:
	free(digests);
	json_decref(ratified);
	policy_registry_free(reg);
	return rc;
}

struct cli_partner_keeper {
	char db[PATH_MAX];
	const struct tx_config *cfg;
	tx_fed *fed;
	store_watch *w;
	pthread_t thread;
	int started;
	volatile int stop;
};

/* After each commit (of any process), carry out what the partners
 * decided; the watch never polls, so an idle node does nothing. */
static void *keep(void *arg)
{
	struct cli_partner_keeper *k = arg;
	tx_store *st = NULL;
	int64_t seen = -1, seen_policy = -1;

	if (store_open(k->db, 0, &st, NULL) != TX_OK)
		return NULL;
	while (!k->stop) {
		int64_t last = store_last_vote_added(st);
		if (last != seen || last < 0) {
			seen = last;
			cli_partners_apply(st, k->cfg, 0);
		}
		/* a policy version or approval: one may have come into force */
		last = store_last_policy_added(st);
		if (last != seen_policy || last < 0) {
			seen_policy = last;
			cli_policy_release(st, k->fed);
		}
		if (store_watch_wait(k->w, -1) < 0)
			break;
	}
	store_close(st);
	return NULL;
}

struct cli_partner_keeper *cli_partner_keeper_start(const char *dir,
						    const struct tx_config *cfg,
						    tx_fed *fed)
{
	struct cli_partner_keeper *k = calloc(1, sizeof(*k));
	struct tx_error err = { 0 };

	if (k == NULL)
		return NULL;
	tx_path_join(k->db, sizeof(k->db), dir, "trilex.db");
	k->cfg = cfg;
	k->fed = fed;
	if (store_watch_open(k->db, &k->w, &err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "partnership: %s: partners' decisions are"
		       " carried out by the CLI only", err.msg);
		free(k);
		return NULL;
	}
	if (pthread_create(&k->thread, NULL, keep, k) != 0) {
		store_watch_close(k->w);
		free(k);
		return NULL;
	}
	return k;
}

void cli_partner_keeper_stop(struct cli_partner_keeper *k)
{
	if (k == NULL)
		return;
	k->stop = 1;
	store_watch_interrupt(k->w);
	pthread_join(k->thread, NULL);
	store_watch_close(k->w);
	free(k);
}
