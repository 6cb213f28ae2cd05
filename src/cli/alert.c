/*
 * cli/alert.c: `trilex alert` publishes an alert; `trilex alerts` shows
 * the alerts this node made and received.
 *
 * An alert is a STIX report (label "trilex-alert") that groups the
 * indicators and attack patterns it is about, under one TLP marking;
 * fed_alert_build makes it from the options (which this file only
 * parses). It is stored in the "alerts" collection, and the delivery
 * workers of `trilex serve` take it to every entitled partner at once:
 * with --to, to those parties only, whatever its TLP.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "federation/federation.h"
#include "taxii/taxii.h"
#include "watch/watch.h"

#define ALERT_LABEL TAXII_ALERT_LABEL
#define MAX_ITEMS FED_ALERT_ITEMS_MAX

/* The "alerts" collection, made when missing. */
static int alerts_collection(tx_store *st, struct store_collection *c)
{
	struct tx_error err = { 0 };

	if (store_collection_ensure(st, "Alerts", "alerts this node published",
				    "alerts", c, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	return 0;
}

static const struct cli_opt alert_opts[] = {
	{ "title", "T", CLI_REQ, "the alert's title" },
	{ "tlp", "LEVEL", CLI_REQ, "clear, green, amber, amber+strict or red" },
	{ "to", "CODE,...", 0, "its only recipients, pinned partners, at any"
	  " TLP (required for red)" },
	{ "indicator", "PATTERN", CLI_MANY, "a STIX pattern to look for" },
	{ "attack-pattern", "ATTACK-ID", CLI_MANY, "an ATT&CK technique (T1234),"
	  " one the store holds" },
	{ "allow-unknown-technique", NULL, 0, "refer to a stub for a technique"
	  " the store does not hold" },
	{ "sector", "S", CLI_MANY, "a targeted STIX industry sector" },
	{ "country", "CC", CLI_MANY, "a targeted country (ISO 3166-1 alpha-2)" },
	{ "description", "D", 0, "what it is about" },
	{ 0 },
};

/* The values of a repeatable option into out (at most MAX_ITEMS). */
static int take_many(const struct cli_args *a, const char *name,
		     const char **out, size_t *n, const char *what)
{
	for (const char *const *v = cli_opts(a, name); *v; v++) {
		if (*n == MAX_ITEMS)
			return cli_fail("at most %d %s", MAX_ITEMS, what);
		out[(*n)++] = *v;
	}
	return 0;
}

static int alert_run(const struct cli_args *a)
{
	const char *dir = a->dir, *tlp_name = cli_opt(a, "tlp");
	const char *sectors[MAX_ITEMS], *countries[MAX_ITEMS];
	const char *inds[MAX_ITEMS], *aps[MAX_ITEMS];
	struct fed_alert al = {
		.title = cli_opt(a, "title"), .description = cli_opt(a, "description"),
		.to = cli_opt(a, "to"), .indicators = inds, .techniques = aps,
		.sectors = sectors, .countries = countries,
		.allow_unknown_technique = cli_flag(a, "allow-unknown-technique"),
	};
	struct fed_alert_built built = { 0 };
	struct store_user admin = { .admin = 1 };
	struct store_collection coll;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	char ident[64], sid[TX_UUID_BUF];
	json_t *status = NULL, *x;
	tx_store *st = NULL;
	size_t i;
	int tlp, rc = 1;

	if (take_many(a, "indicator", inds, &al.n_indicators, "indicators") ||
	    take_many(a, "sector", sectors, &al.n_sectors, "sectors") ||
	    take_many(a, "country", countries, &al.n_countries, "countries") ||
	    take_many(a, "attack-pattern", aps, &al.n_techniques, "attack patterns"))
		return 1;
	if ((tlp = fed_tlp_parse(tlp_name)) < 0)
		return cli_fail("--tlp: \"%s\" is not clear, green, amber,"
				" amber+strict or red", tlp_name);
	al.tlp = (enum fed_tlp)tlp;
	if (al.tlp == FED_TLP_RED && al.to == NULL)
		return cli_fail("--tlp red needs --to PARTY,... (its named"
				" recipients)");
	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (tx_node_identity_id(&cfg, ident) != 0) {
		cli_fail("node.json: public_key is missing");
		goto out;
	}
	al.identity_id = ident;
	al.self_party = cfg.party;
	al.self_name = cfg.name;
	al.now_us = tx_time_now_us();
	if (fed_alert_build(st, &al, &built, &err) != TX_OK) {
		cli_fail("%s%s%s", err.msg,
			 err.code == TX_ERR_NOTFOUND && strstr(err.msg, "ATT&CK") ?
			 " (--allow-unknown-technique)" : "",
			 strstr(err.msg, "recipient") ? " (--to)" : "");
		goto out;
	}
	json_array_foreach(built.stubs, i, x)
		fprintf(stderr, "trilex: ATT&CK technique %s is not in the store: the"
			" alert refers to a stub attack-pattern for it\n",
			json_string_value(x));
	if (built.derivation.tlp != al.tlp || built.derivation.local)
		fprintf(stderr, "trilex: the alert is marked TLP:%s%s, as what it"
			" refers to requires\n", fed_tlp_name(built.derivation.tlp),
			built.derivation.local ? " and stays on this node" : "");
	if (alerts_collection(st, &coll))
		goto out;
	if (taxii_ingest(st, coll.pk, NULL, built.objects, 0, sid, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (store_status_get(st, &admin, sid, &status) == TX_OK &&
	    json_integer_value(json_object_get(status, "failure_count")) > 0) {
		json_array_foreach(json_object_get(status, "failures"), i, x)
			fprintf(stderr, "trilex: %s\n",
				json_string_value(json_object_get(x, "message")));
		goto out;
	}
	printf("%s TLP:%s%s%s %s\n",
	       json_string_value(json_object_get(built.report, "id")),
	       fed_tlp_name(fed_tlp_of(built.report)), al.to ? " to " : "",
	       al.to ? al.to : "", al.title);
	rc = 0;
out:
	json_decref(status);
	fed_alert_clear(&built);
	store_close(st);
	return rc;
}

const struct cmd cmd_alert = {
	.name = "alert",
	.summary = "publish an alert (a STIX report of indicators and attack"
		   " patterns) to every entitled partner, or only to --to",
	.opts = alert_opts,
	.flags = CMD_DIR,
	.main = alert_run,
};

/* ---- trilex alert forward ---- */

static const struct cli_opt forward_opts[] = {
	{ "to", "CODE", CLI_REQ, "the pinned partner to pass it on to" },
	{ 0 },
};

/* A partner's TLP:CLEAR or GREEN alert, as it came (federation/relay.c). */
static int forward_run(const struct cli_args *a)
{
	struct store_user all = { .admin = 1, .name = "local" };
	struct store_collection *cols = NULL;
	struct fed_forwarded fw;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int64_t *pks = NULL;
	char actor[128];
	size_t n = 0;
	int rc = 1;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_collection_list(st, &all, &cols, &n) != TX_OK ||
	    (pks = calloc(n ? n : 1, sizeof(*pks))) == NULL) {
		cli_fail("cannot list the collections");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		pks[i] = cols[i].pk;
	cli_actor(actor, sizeof(actor));
	if (fed_forward(a->dir, &cfg, st, pks, n, a->argv[0], cli_opt(a, "to"),
			actor, &fw, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("%s forwarded to %s: %zu object%s as %s signed them\n", a->argv[0],
	       cli_opt(a, "to"), fw.objects, fw.objects == 1 ? "" : "s", fw.origin);
	rc = 0;
out:
	free(pks);
	free(cols);
	store_close(st);
	return rc;
}

const struct cmd cmd_alert_forward = {
	.name = "alert forward",
	.summary = "pass a partner's TLP:CLEAR or GREEN alert on to a partner"
		   " that did not receive it, its origin's signature kept",
	.opts = forward_opts,
	.operands = "ID",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = forward_run,
};

/* ---- trilex alerts ---- */

struct seen_row {
	int64_t added;
	char *json;
	char id[96];
	char origin[TX_PARTY_MAX];   /* verified signer, "" when made here */
};

struct gather {
	struct seen_row *rows;
	size_t n, cap;
};

static int gather_row(void *ctx, const struct store_row *row)
{
	struct gather *g = ctx;
	struct seen_row *p;

	if (strstr(row->json, ALERT_LABEL) == NULL)
		return 0;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		if ((p = realloc(g->rows, g->cap * sizeof(*p))) == NULL)
			return -1;
		g->rows = p;
	}
	p = &g->rows[g->n];
	if ((p->json = strndup(row->json, row->json_len)) == NULL)
		return -1;
	p->added = row->date_added;
	snprintf(p->id, sizeof(p->id), "%s", row->id);
	snprintf(p->origin, sizeof(p->origin), "%s", row->origin ? row->origin : "");
	g->n++;
	return 0;
}

static int by_added(const void *a, const void *b)
{
	const struct seen_row *x = a, *y = b;

	return x->added < y->added ? -1 : x->added > y->added;
}

/* Routing by the AOR and watch list: who is responsible for it. */
static void route_text(const json_t *route, char *out, size_t n)
{
	const char *resp = json_string_value(json_object_get(route, "responsible"));
	const json_t *duty = json_object_get(route, "duty");
	const char *who = json_is_string(duty) ? json_string_value(duty) :
			  json_string_value(json_object_get(duty, "name"));

	if (resp == NULL)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%s%s%s%s", resp, who ? " (duty: " : "",
			 who ? who : "", who ? ")" : "");
}

static void show(const struct seen_row *r, int as_json,
		 const watch_state *ws)
{
	json_t *o = tx_json_load(r->json, strlen(r->json), 0, NULL), *out;
	char added[TX_TIME_BUF];
	int64_t created = 0;
	const char *origin, *name;

	if (o == NULL)
		return;
	/* the party whose signature the store verified, never a name inside */
	origin = r->origin[0] ? r->origin : NULL;
	name = json_string_value(json_object_get(o, "name"));
	tx_time_parse(json_string_value(json_object_get(o, "created")), &created,
		      NULL);
	tx_time_format_ms(r->added, added);
	json_t *route = ws ? watch_route_object(ws, o, NULL) : NULL;
	char routed[256];
	route_text(route, routed, sizeof(routed));
	out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:O?, s:O?}", "id",
			r->id, "title", name ? name : "", "origin",
			origin ? origin : "here", "tlp", fed_tlp_name(fed_tlp_of(o)),
			"received", added, "objects",
			(json_int_t)json_array_size(json_object_get(o, "object_refs")),
			"latency_ms", (json_int_t)((r->added - created) / 1000),
			"recipients", json_object_get(o, FED_RECIPIENTS),
			"routing", route);
	if (out && as_json) {
		json_dumpf(out, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	} else if (out) {
		printf("%s  %-5s TLP:%-12s %6lld ms  %-40s -> %s\n", added,
		       origin ? origin : "here", fed_tlp_name(fed_tlp_of(o)),
		       (long long)((r->added - created) / 1000), name ? name : "",
		       routed);
	}
	json_decref(route);
	fflush(stdout);
	json_decref(out);
	json_decref(o);
}

/* Show the alerts of every collection added after *after, oldest first;
 * -1 with err filled when the alerts or the watch list cannot be read. */
static int show_new(tx_store *st, const char *party, int64_t *after,
		    int as_json, struct tx_error *err)
{
	watch_state *ws = NULL;
	int64_t now = 0;
	const char *types[] = { "report" };
	struct store_query q = { .types = types, .n_types = 1,
				 .has_added_after = 1, .added_after = *after };
	struct gather g = { 0 };
	int rc = 0;

	if (store_query_every(st, &q, gather_row, &g, err) != TX_OK) {
		tx_error_prefix(err, "cannot read the alerts");
		rc = -1;
		goto out;
	}
	tx_sort(g.rows, g.n, sizeof(*g.rows), by_added);
	/* Routing needs the agreed AOR and watch list; with a bad TRILEX_NOW
	 * alerts are shown unrouted, but a list that cannot be read is an
	 * error: unrouted, they would read as nobody's. */
	if (g.n > 0 && watch_now(&now, NULL) == TX_OK &&
	    watch_state_load(st, party, now, &ws, err) != TX_OK) {
		tx_error_prefix(err, "cannot read the watch list to route the"
				" alerts");
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < g.n; i++) {
		show(&g.rows[i], as_json, ws);
		if (g.rows[i].added > *after)
			*after = g.rows[i].added;
	}
out:
	for (size_t i = 0; i < g.n; i++)
		free(g.rows[i].json);
	watch_state_free(ws);
	free(g.rows);
	return rc;
}

static const struct cli_opt alerts_opts[] = {
	{ "follow", NULL, 0, "keep showing new alerts as they come" },
	{ "json", NULL, 0, "print JSON lines" },
	{ 0 },
};

static int alerts_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	struct tx_config cfg;
	tx_store *st = NULL;
	int64_t after = 0;
	int follow = cli_flag(a, "follow"), as_json = cli_flag(a, "json"), rc = 0;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (!as_json)
		printf("%-24s  %-5s %-16s %9s  %-40s    %s\n", "RECEIVED", "FROM",
		       "TLP", "LATENCY", "TITLE", "ROUTED TO");
	do {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		struct tx_error err = { 0 };
		if (show_new(st, cfg.party, &after, as_json, &err) != 0) {
			rc = cli_fail("%s", err.msg);
			break;
		}
		if (follow)
			nanosleep(&ts, NULL);
	} while (follow);
	store_close(st);
	return rc;
}

const struct cmd cmd_alerts = {
	.name = "alerts",
	.summary = "show the alerts made here and received from partners",
	.opts = alerts_opts,
	.flags = CMD_DIR,
	.main = alerts_run,
};
