/*
 * cli/watch.c: the area of responsibility and the watch list.
 *
 *   trilex aor show|who|propose        who watches which scope
 *   trilex watch propose|list|review|proposals
 *   trilex vote PROPOSAL approve|reject
 *   trilex route                       who received alerts go to
 *
 * The state comes from watch/ (recomputed from the proposals and votes
 * the node holds); time from TRILEX_NOW when set.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "watch/watch.h"

#define MAX_SCOPES 32

static void print_json(const json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

static const char *s_(const json_t *o, const char *k)
{
	const char *s = tx_json_str(o, k);

	return s ? s : "-";
}

/* Open the node and compute its state as at now. */
static int load(const char *dir, struct tx_config *cfg, tx_store **st,
		int64_t *now, watch_state **ws)
{
	struct tx_error err = { 0 };

	if (watch_now(now, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	if (cli_open_node(dir, cfg, st) != 0)
		return 1;
	if (ws && watch_state_load(*st, cfg->party, *now, ws, &err) != TX_OK) {
		store_close(*st);
		*st = NULL;
		return cli_fail("%s", err.msg);
	}
	return 0;
}

static const char *duty_name(const json_t *d)
{
	return d && json_is_object(d) ? s_(d, "name") : "-";
}

/* ---- aor show / who ---- */

static const struct cli_opt json_only[] = {
	{ "json", NULL, 0, "print JSON" },
	{ 0 },
};

static const struct cli_opt show_opts[] = {
	{ "all", NULL, 0, "with expired and removed assignments" },
	{ "json", NULL, 0, "print JSON" },
	{ 0 },
};

static int aor_show_run(const struct cli_args *args)
{
	const char *dir = args->dir;
	struct tx_config cfg;
	tx_store *st = NULL;
	watch_state *ws = NULL;
	int64_t now;
	int as_json = cli_flag(args, "json"), all = cli_flag(args, "all");
	json_t *state, *a;
	size_t i;

	if (load(dir, &cfg, &st, &now, &ws) != 0)
		return 1;
	state = watch_state_json(ws);
	json_t *list = json_array();
	json_array_foreach(json_object_get(state, "aor"), i, a) {
		const char *s = s_(a, "state");
		if (all || !strcmp(s, "active") || !strcmp(s, "under-review"))
			json_array_append(list, a);
	}
	if (as_json) {
		print_json(list);
	} else {
		printf("%-52s %-13s %-5s %-6s %-22s %s\n", "SCOPE", "STATE", "RESP",
		       "BACKUP", "DUTY OFFICER", "REVIEW");
		json_array_foreach(list, i, a)
			printf("%-52s %-13s %-5s %-6s %-22.22s %.10s\n", s_(a, "key"),
			       s_(a, "state"), s_(a, "responsible_party"),
			       s_(a, "backup_party"), duty_name(json_object_get(a, "duty")),
			       s_(a, "review"));
	}
	json_decref(list);
	json_decref(state);
	watch_state_free(ws);
	store_close(st);
	return 0;
}

const struct cmd cmd_aor_show = {
	.name = "aor show",
	.summary = "the area of responsibility: who watches which scope",
	.opts = show_opts,
	.flags = CMD_DIR,
	.main = aor_show_run,
};

static const struct cli_opt who_opts[] = {
	{ "sector", "S", 0, "a STIX industry sector" },
	{ "country", "CC", 0, "an ISO 3166-1 alpha-2 code or a STIX region" },
	{ "actor", "ID", 0, "a threat actor or intrusion set" },
	{ "json", NULL, 0, "print JSON" },
	{ 0 },
};

static int aor_who_run(const struct cli_args *a)
{
	const char *dir = a->dir, *sector = cli_opt(a, "sector");
	const char *country = cli_opt(a, "country"), *actor = cli_opt(a, "actor");
	struct tx_config cfg;
	struct tx_error err = { 0 };
	struct watch_scope sc;
	tx_store *st = NULL;
	watch_state *ws = NULL;
	int64_t now;
	int as_json = cli_flag(a, "json"), rc = 0;
	json_t *who;

	if (!sector && !country && !actor)
		return cli_fail("aor who: give --sector S, --country CC or --actor ID");
	if (sector && !watch_is_sector(sector))
		return cli_fail("--sector \"%s\": not in the STIX industry-sector"
				" vocabulary (e.g. defense, aerospace, chemical,"
				" manufacturing, technology)", sector);
	if (country && !watch_is_country(country) && !watch_is_region(country))
		return cli_fail("--country \"%s\": not an ISO 3166-1 alpha-2 code%s"
				" or a STIX region", country,
				strcmp(country, "UK") == 0 ? " (the UK is GB)" : "");
	if (actor) {
		char buf[WATCH_KEY_MAX + 8];
		snprintf(buf, sizeof(buf), "actor:%s", actor);
		if (watch_scope_parse(buf, &sc, &err) != TX_OK)
			return cli_fail("--actor: %s", err.msg);
	}
	if (load(dir, &cfg, &st, &now, &ws) != 0)
		return 1;
	unsigned long jf = tx_json_failures();
	who = tx_json_whole(jf, watch_aor_who(ws, sector, country, actor));
	if (who == NULL && tx_json_failures() != jf) {
		rc = cli_fail("out of memory");
	} else if (who == NULL) {
		rc = cli_fail("no active AOR assignment covers%s%s%s%s%s%s",
			      sector ? " sector " : "", sector ? sector : "",
			      country ? " country " : "", country ? country : "",
			      actor ? " actor " : "", actor ? actor : "");
	} else if (as_json) {
		print_json(who);
	} else {
		const json_t *d = json_object_get(who, "duty");
		const json_t *bd = json_object_get(who, "backup_duty");
		printf("responsible: %s (by %s)\n", s_(who, "responsible"), s_(who, "scope"));
		printf("duty officer: %s%s%s\n", duty_name(d),
		       json_is_object(d) ? ", " : "",
		       json_is_object(d) ? s_(d, "contact") : "");
		printf("backup: %s\n", s_(who, "backup"));
		printf("backup duty officer: %s%s%s\n", duty_name(bd),
		       json_is_object(bd) ? ", " : "",
		       json_is_object(bd) ? s_(bd, "contact") : "");
	}
	json_decref(who);
	watch_state_free(ws);
	store_close(st);
	return rc;
}

const struct cmd cmd_aor_who = {
	.name = "aor who",
	.summary = "who is responsible for a sector, country or actor, and who"
		   " backs them up",
	.opts = who_opts,
	.flags = CMD_DIR,
	.main = aor_who_run,
};

/* ---- proposals ---- */

static int parse_change(const char *s, enum watch_change *out)
{
	static const char *const names[] = { "add", "amend", "remove", "renew" };

	for (int i = 0; s && i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum watch_change)i;
			return 0;
		}
	return -1;
}

static const struct cli_opt propose_opts[] = {
	{ "ref", "ID", 0, "the threat-actor, intrusion-set, identity,"
	  " infrastructure or indicator (watch list)" },
	{ "sector", "S", CLI_MANY, "a STIX industry sector" },
	{ "country", "CC", CLI_MANY, "an ISO 3166-1 alpha-2 code" },
	{ "region", "R", CLI_MANY, "a STIX region" },
	{ "actor", "ID", 0, "a threat actor (AOR scope)" },
	{ "rationale", "T", 0, "why" },
	{ "risk", "low|medium|high|critical", 0, "risk of a watch-list entry" },
	{ "responsible", "PARTY", 0, "the party responsible" },
	{ "backup", "PARTY", 0, "the party backing it up (AOR)" },
	{ "duty", "IDENTITY-ID", 0, "the duty officer (AOR)" },
	{ "quorum", "N", 0, "approvals needed, 0: all parties" },
	{ "review-months", "N", 0, "months to the review" },
	{ 0 },
};

static int propose(const struct cli_args *a, int aor)
{
	const char *dir = a->dir, *sectors[MAX_SCOPES], *countries[MAX_SCOPES];
	char scope[WATCH_KEY_MAX + 16] = "", id[100];
	struct watch_request rq = { .aor = aor, .quorum = -1 };
	struct tx_config cfg;
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	int64_t now, v;
	int rc = 1;
	static const char *const kinds[] = { "sector", "country", "region", "actor" };

	rq.target = cli_opt(a, "ref");
	rq.rationale = cli_opt(a, "rationale");
	rq.risk = cli_opt(a, "risk");
	rq.responsible = cli_opt(a, "responsible");
	rq.backup = cli_opt(a, "backup");
	rq.duty = cli_opt(a, "duty");
	for (int k = 0; k < 4; k++) {
		const char *const *vals = k == 3 ? NULL : cli_opts(a, kinds[k]);
		const char *one = k == 3 ? cli_opt(a, "actor") : NULL;
		const char *const single[] = { one, NULL };
		if (k == 3)
			vals = single;
		for (; *vals; vals++) {
			if (aor) {
				if (scope[0])
					return cli_fail("one scope per proposal");
				snprintf(scope, sizeof(scope), "%s:%s", kinds[k], *vals);
			} else if (k == 0 && rq.n_sectors < MAX_SCOPES) {
				sectors[rq.n_sectors++] = *vals;
			} else if ((k == 1 || k == 2) && rq.n_countries < MAX_SCOPES) {
				countries[rq.n_countries++] = *vals;
			} else if (k == 3) {
				return cli_fail("--actor is an AOR scope; a watch-list"
						" entry names its target with --ref");
			} else {
				return cli_fail("at most %d --%s", MAX_SCOPES, kinds[k]);
			}
		}
	}
	v = 0;
	if (cli_opt(a, "quorum")) {
		if (tx_parse_int64(cli_opt(a, "quorum"), 0, 16, &v) != TX_OK)
			return cli_fail("--quorum \"%s\": must be 0 (all"
					" parties) to 16", cli_opt(a, "quorum"));
		rq.quorum = (int)v;
	}
	if (cli_opt(a, "review-months")) {
		if (tx_parse_int64(cli_opt(a, "review-months"), 1, 60, &v) != TX_OK)
			return cli_fail("--review-months \"%s\": must be"
					" 1-60", cli_opt(a, "review-months"));
		rq.review_months = (int)v;
	}
	if (parse_change(a->argv[0], &rq.change) != 0)
		return cli_fail("\"%s\": the change must be add, amend, remove or"
				" renew", a->argv[0]);
	if (aor && rq.target)
		return cli_fail("--ref is for watch-list proposals; an AOR scope is"
				" --sector, --country, --region or --actor");
	if (!aor && rq.target == NULL)
		return cli_fail("--ref ID (the threat-actor, intrusion-set, identity,"
				" infrastructure or indicator) is required");
	rq.scope = scope[0] ? scope : NULL;
	rq.sectors = sectors;
	rq.countries = countries;
	if (load(dir, &cfg, &st, &now, NULL) != 0)
		return 1;
	if (watch_propose(st, dir, cfg.party, now, &rq, id, &err) != TX_OK) {
		cli_fail("%s", err.msg);
	} else {
		printf("%s\n", id);
		rc = 0;
	}
	store_close(st);
	return rc;
}

static int watch_propose_run(const struct cli_args *a)
{
	return propose(a, 0);
}

static int aor_propose_run(const struct cli_args *a)
{
	return propose(a, 1);
}

const struct cmd cmd_watch_propose = {
	.name = "watch propose",
	.summary = "propose a change to the watch list (the partners vote on it)",
	.opts = propose_opts,
	.operands = "add|amend|remove|renew",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = watch_propose_run,
};

const struct cmd cmd_aor_propose = {
	.name = "aor propose",
	.summary = "propose a change to the area of responsibility (one of"
		   " --sector, --country, --region, --actor)",
	.opts = propose_opts,
	.operands = "add|amend|remove|renew",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = aor_propose_run,
};

static const struct cli_opt vote_opts[] = {
	{ "comment", "C", 0, "a comment for the partners" },
	{ 0 },
};

static int vote_run(const struct cli_args *a)
{
	const char *dir = a->dir, *comment = cli_opt(a, "comment");
	struct tx_config cfg;
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	char id[100];
	int64_t now;
	int approve, rc = 1;

	if (strcmp(a->argv[1], "approve") == 0)
		approve = 1;
	else if (strcmp(a->argv[1], "reject") == 0)
		approve = 0;
	else
		return cli_fail("\"%s\": the decision must be approve or reject",
				a->argv[1]);
	if (load(dir, &cfg, &st, &now, NULL) != 0)
		return 1;
	if (watch_vote(st, cfg.party, now, a->argv[0], approve, comment, id,
		       &err) != TX_OK) {
		cli_fail("%s", err.msg);
	} else {
		printf("%s %s %s by %s\n", id, approve ? "approve" : "reject",
		       a->argv[0], cfg.party);
		/* a vote on a partner proposal may decide it: act on it here */
		rc = cli_partners_apply(st, &cfg, 1);
	}
	store_close(st);
	return rc;
}

const struct cmd cmd_vote = {
	.name = "vote",
	.summary = "vote on a proposal to change the AOR, the watch list or the"
		   " partnership (partner propose-*)",
	.opts = vote_opts,
	.operands = "PROPOSAL approve|reject",
	.min_args = 2,
	.max_args = 2,
	.flags = CMD_DIR,
	.main = vote_run,
};

/* ---- list, review, proposals ---- */

static const struct cli_opt list_opts[] = {
	{ "all", NULL, 0, "with expired and removed entries" },
	{ "json", NULL, 0, "print JSON" },
	{ "expired-indicators", NULL, 0, "only the ids of indicators whose entry"
	  " expired" },
	{ 0 },
};

static int list_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	struct tx_config cfg;
	tx_store *st = NULL;
	watch_state *ws = NULL;
	int64_t now;
	int all = cli_flag(a, "all"), as_json = cli_flag(a, "json");
	int expired = cli_flag(a, "expired-indicators");
	json_t *state, *e, *list = json_array();
	size_t i;

	if (load(dir, &cfg, &st, &now, &ws) != 0) {
		json_decref(list);
		return 1;
	}
	if (expired) {
		json_t *x = watch_expired_indicators(ws);
		json_array_foreach(x, i, e)
			printf("%s\n", json_string_value(e));
		json_decref(x);
		goto done;
	}
	state = watch_state_json(ws);
	json_array_foreach(json_object_get(state, "entries"), i, e) {
		const char *s = s_(e, "state");
		if (all || !strcmp(s, "active") || !strcmp(s, "under-review") ||
		    !strcmp(s, "proposed"))
			json_array_append(list, e);
	}
	if (as_json) {
		print_json(list);
	} else {
		printf("%-52s %-13s %-8s %-5s %-10s %-10s %s\n", "ENTRY", "STATE",
		       "RISK", "RESP", "RATIFIED", "REVIEW", "NAME");
		json_array_foreach(list, i, e)
			printf("%-52s %-13s %-8s %-5s %-10.10s %-10.10s %s\n",
			       s_(e, "key"), s_(e, "state"), s_(e, "risk"),
			       s_(e, "responsible_party"), s_(e, "ratified"),
			       s_(e, "review"), s_(e, "target_name"));
	}
	json_decref(state);
done:
	json_decref(list);
	watch_state_free(ws);
	store_close(st);
	return 0;
}

const struct cmd cmd_watch_list = {
	.name = "watch list",
	.summary = "the watch list (--all: with expired and removed entries)",
	.opts = list_opts,
	.flags = CMD_DIR,
	.main = list_run,
};

static const struct cli_opt review_opts[] = {
	{ "within", "DAYS", 0, "due within this many days (default 30)" },
	{ "json", NULL, 0, "print JSON" },
	{ 0 },
};

static int review_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	struct tx_config cfg;
	tx_store *st = NULL;
	watch_state *ws = NULL;
	int64_t now, within = 30;
	int as_json = cli_flag(a, "json");
	json_t *state, *e, *list = NULL;
	size_t i;

	if (cli_opt(a, "within") &&
	    tx_parse_int64(cli_opt(a, "within"), 0, 3660, &within) != TX_OK)
		return cli_fail("--within \"%s\": must be 0-3660 days",
				cli_opt(a, "within"));
	if (load(dir, &cfg, &st, &now, &ws) != 0)
		return 1;
	state = watch_state_json(ws);
	list = json_array();
	const char *parts[2] = { "entries", "aor" };
	for (int k = 0; k < 2; k++)
		json_array_foreach(json_object_get(state, parts[k]), i, e) {
			int64_t review = 0;
			const char *s = s_(e, "state");
			if (strcmp(s, "active") && strcmp(s, "under-review"))
				continue;
			if (tx_time_parse(s_(e, "review"), &review, NULL) != TX_OK ||
			    review > now + within * 86400LL * 1000000LL)
				continue;
			json_t *row = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O?, s:s,"
						" s:I}", "kind", k ? "aor" : "watch-list",
						"key", json_object_get(e, "key"),
						"state", json_object_get(e, "state"),
						"review", json_object_get(e, "review"),
						"expires", json_object_get(e, "expires"),
						"responsible", json_object_get(e,
							"responsible_party"),
						"due", review <= now ? "overdue" : "due",
						(const char *)"days",
						(json_int_t)((review - now) / 86400000000LL));
			json_array_append_new(list, row);
		}
	if (as_json) {
		print_json(list);
	} else {
		printf("%-10s %-52s %-13s %-10s %-10s %-5s %s\n", "KIND", "ENTRY",
		       "STATE", "REVIEW", "EXPIRES", "RESP", "DUE");
		json_array_foreach(list, i, e)
			printf("%-10s %-52s %-13s %-10.10s %-10.10s %-5s %s\n",
			       s_(e, "kind"), s_(e, "key"), s_(e, "state"),
			       s_(e, "review"), s_(e, "expires"), s_(e, "responsible"),
			       s_(e, "due"));
		if (json_array_size(list) == 0)
			printf("nothing due within %lld days\n", (long long)within);
	}
	json_decref(list);
	json_decref(state);
	watch_state_free(ws);
	store_close(st);
	return 0;
}

const struct cmd cmd_watch_review = {
	.name = "watch review",
	.summary = "entries and AOR assignments due for their yearly review"
		   " (renew them with a proposal)",
	.opts = review_opts,
	.flags = CMD_DIR,
	.main = review_run,
};

static const struct cli_opt proposals_opts[] = {
	{ "open", NULL, 0, "only open proposals" },
	{ "json", NULL, 0, "print JSON" },
	{ 0 },
};

static int proposals_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	struct tx_config cfg;
	tx_store *st = NULL;
	watch_state *ws = NULL;
	int64_t now;
	int as_json = cli_flag(a, "json"), only_open = cli_flag(a, "open");
	json_t *state, *p, *list = json_array();
	size_t i;

	if (load(dir, &cfg, &st, &now, &ws) != 0) {
		json_decref(list);
		return 1;
	}
	state = watch_state_json(ws);
	json_array_foreach(json_object_get(state, "proposals"), i, p)
		if (!only_open || strcmp(s_(p, "state"), "open") == 0)
			json_array_append(list, p);
	if (as_json) {
		print_json(list);
	} else {
		printf("%-61s %-8s %-7s %-6s %-9s %-5s %s\n", "PROPOSAL", "STATE",
		       "CHANGE", "BY", "FOR/OF", "NO", "ENTRY");
		json_array_foreach(list, i, p) {
			char tally[16];
			snprintf(tally, sizeof(tally), "%zu/%lld",
				 json_array_size(json_object_get(p, "approved_by")),
				 (long long)json_integer_value(json_object_get(p, "quorum")));
			printf("%-61s %-8s %-7s %-6s %-9s %-5zu %s%s%s\n", s_(p, "id"),
			       s_(p, "state"), s_(p, "change"), s_(p, "proposer"), tally,
			       json_array_size(json_object_get(p, "rejected_by")),
			       s_(p, "key"), json_is_string(json_object_get(p, "note")) ?
			       "  # " : "", json_is_string(json_object_get(p, "note")) ?
			       s_(p, "note") : "");
		}
	}
	json_decref(list);
	json_decref(state);
	watch_state_free(ws);
	store_close(st);
	return 0;
}

const struct cmd cmd_watch_proposals = {
	.name = "watch proposals",
	.summary = "proposals on the AOR and the watch list, with their votes",
	.opts = proposals_opts,
	.flags = CMD_DIR,
	.main = proposals_run,
};

/* ---- route ---- */

static int route_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	struct tx_config cfg;
	struct tx_error err = { 0 };
	tx_store *st = NULL;
	watch_state *ws = NULL;
	int64_t now;
	int as_json = cli_flag(a, "json"), rc = 0;
	json_t *list = NULL, *r;
	size_t i;

	if (load(dir, &cfg, &st, &now, &ws) != 0)
		return 1;
	if (watch_route_all(st, ws, cfg.party, &list, &err) != TX_OK) {
		rc = cli_fail("%s", err.msg);
	} else if (as_json) {
		json_array_foreach(list, i, r) {
			json_dumpf(r, stdout, JSON_COMPACT);
			fputc('\n', stdout);
		}
	} else {
		printf("%-24s %-8s %-5s %-5s %-22s %-6s %s\n", "RECEIVED", "TYPE",
		       "FROM", "RESP", "DUTY OFFICER", "BACKUP", "NAME / WHY");
		json_array_foreach(list, i, r) {
			const json_t *why = json_array_get(json_object_get(r, "reasons"), 0);
			printf("%-24s %-8s %-5s %-5s %-22.22s %-6s %s", s_(r, "received"),
			       s_(r, "type"), s_(r, "origin"), s_(r, "responsible"),
			       duty_name(json_object_get(r, "duty")), s_(r, "backup"),
			       s_(r, "name"));
			if (why)
				printf(" (%s %s)", s_(why, "kind"),
				       json_object_get(why, "entry") ? s_(why, "entry") :
				       s_(why, "scope"));
			printf("\n");
		}
	}
	json_decref(list);
	watch_state_free(ws);
	store_close(st);
	return rc;
}

const struct cmd cmd_route = {
	.name = "route",
	.summary = "alerts, sightings and incidents with the party and duty"
		   " officer responsible for them (AOR and watch list)",
	.opts = json_only,
	.flags = CMD_DIR,
	.main = route_run,
};
