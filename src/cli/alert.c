/*
 * cli/alert.c: `trilex alert` publishes an alert; `trilex alerts` shows
 * the alerts this node made and received.
 *
 * An alert is a STIX report (label "trilex-alert") that groups the
 * indicators and attack patterns it is about, under one TLP marking; a
 * TLP:RED alert names its recipient parties. It is stored in the "alerts"
 * collection, and the delivery workers of `trilex serve` take it to every
 * entitled partner at once.
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
#define MAX_ITEMS 64

struct find_ap {
	const char *ext_id;
	char found[80];
};

static int find_ap_row(void *ctx, const struct store_row *row)
{
	struct find_ap *f = ctx;
	json_t *o, *r;
	size_t i;

	if (f->found[0] || strstr(row->json, f->ext_id) == NULL)
		return 0;
	if ((o = tx_json_load(row->json, row->json_len, 0, NULL)) == NULL)
		return 0;
	json_array_foreach(json_object_get(o, "external_references"), i, r) {
		const char *e = json_string_value(json_object_get(r, "external_id"));
		if (e && strcmp(e, f->ext_id) == 0) {
			snprintf(f->found, sizeof(f->found), "%s", row->id);
			break;
		}
	}
	json_decref(o);
	return 0;
}

/* The id of the attack-pattern with this ATT&CK id in any collection. */
static int resolve_attack(tx_store *st, const char *ext_id, char out[80])
{
	struct find_ap f = { .ext_id = ext_id };
	const char *types[] = { "attack-pattern" };
	struct store_query q = { .types = types, .n_types = 1 };
	struct tx_error err = { 0 };

	if (store_query_every(st, &q, find_ap_row, &f, &err) != TX_OK) {
		cli_fail("looking for attack pattern %s: %s", ext_id, err.msg);
		return 0;
	}
	snprintf(out, 80, "%s", f.found);
	return f.found[0] != 0;
}

/* Set the marking (and recipients) every object of the alert carries. */
static void mark(json_t *o, enum fed_tlp tlp, json_t *to, const char *by)
{
	json_object_set_new(o, "object_marking_refs",
			    json_pack("[s]", fed_tlp_marking(tlp)));
	if (to)
		json_object_set(o, FED_RECIPIENTS, to);
	json_object_set_new(o, "created_by_ref", json_string(by));
}

static json_t *new_object(const char *type, const char *now)
{
	char id[96], uuid[TX_UUID_BUF];

	tx_uuid4(uuid);
	snprintf(id, sizeof(id), "%s--%s", type, uuid);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", type, "spec_version",
			 "2.1", "id", id, "created", now, "modified", now);
}

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
	{ "to", "CODE,...", 0, "the named recipients (required for red)" },
	{ "indicator", "PATTERN", CLI_MANY, "a STIX pattern to look for" },
	{ "attack-pattern", "ATTACK-ID", CLI_MANY, "an ATT&CK technique (T1234)" },
	{ "sector", "S", CLI_MANY, "a targeted STIX industry sector" },
	{ "country", "CC", CLI_MANY, "a targeted country (ISO 3166-1 alpha-2)" },
	{ "description", "D", 0, "what it is about" },
	{ NULL },
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
	const char *dir = a->dir, *title = cli_opt(a, "title");
	const char *tlp_name = cli_opt(a, "tlp"), *to = cli_opt(a, "to");
	const char *sectors[MAX_ITEMS], *countries[MAX_ITEMS];
	size_t n_sectors = 0, n_countries = 0;
	const char *desc = cli_opt(a, "description"), *inds[MAX_ITEMS], *aps[MAX_ITEMS];
	size_t n_inds = 0, n_aps = 0;
	struct tx_config cfg;
	struct store_collection coll;
	struct tx_error err = { 0 };
	char now[TX_TIME_BUF], ident[64], sid[TX_UUID_BUF];
	json_t *objects = NULL, *refs = NULL, *rcpt = NULL;
	json_t *report = NULL, *me = NULL;
	tx_store *st = NULL;
	int tlp, rc = 1;

	if (take_many(a, "indicator", inds, &n_inds, "indicators") ||
	    take_many(a, "sector", sectors, &n_sectors, "sectors") ||
	    take_many(a, "country", countries, &n_countries, "countries") ||
	    take_many(a, "attack-pattern", aps, &n_aps, "attack patterns"))
		return 1;
	if ((tlp = fed_tlp_parse(tlp_name)) < 0)
		return cli_fail("--tlp: \"%s\" is not clear, green, amber,"
				" amber+strict or red", tlp_name);
	if (tlp == FED_TLP_RED && to == NULL)
		return cli_fail("--tlp red needs --to PARTY,... (its named"
				" recipients)");
	if (to != NULL) {
		rcpt = json_array();
		for (const char *p = to; *p;) {
			size_t n = strcspn(p, ",");
			if (n < 2 || n > 7 || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") < n)
				return json_decref(rcpt),
				       cli_fail("--to: \"%.*s\" is not a party code",
						(int)n, p);
			json_array_append_new(rcpt, json_stringn(p, n));
			p += n + (p[n] == ',');
		}
	}
	objects = json_array();
	refs = json_array();
	if (cli_open_node(dir, &cfg, &st) != 0 || alerts_collection(st, &coll))
		goto out;
	tx_time_format_ms(tx_time_now_us(), now);
	if (cli_node_identity_id(&cfg, ident) != 0) {
		cli_fail("node.json: public_key is missing");
		goto out;
	}
	/* The node's identity, so created_by_ref resolves everywhere. */
	me = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:s}", "type",
		       "identity", "spec_version", "2.1", "id", ident, "created",
		       "2020-01-01T00:00:00.000Z", "modified",
		       "2020-01-01T00:00:00.000Z", "name", cfg.name,
		       "identity_class", "organization", "sectors",
		       "government-national", "x_trilex_party", cfg.party);
	json_array_append_new(objects, me);
	for (size_t i = 0; i < n_inds; i++) {
		json_t *ind = new_object("indicator", now);
		char name[96];
		snprintf(name, sizeof(name), "%.60s (indicator %zu)", title, i + 1);
		json_object_set_new(ind, "name", json_string(name));
		json_object_set_new(ind, "pattern", json_string(inds[i]));
		json_object_set_new(ind, "pattern_type", json_string("stix"));
		json_object_set_new(ind, "valid_from", json_string(now));
		json_object_set_new(ind, "indicator_types",
				    json_pack("[s]", "malicious-activity"));
		mark(ind, tlp, rcpt, ident);
		json_array_append(refs, json_object_get(ind, "id"));
		json_array_append_new(objects, ind);
	}
	for (size_t i = 0; i < n_aps; i++) {
		char id[80];
		if (!resolve_attack(st, aps[i], id)) {
			json_t *ap = new_object("attack-pattern", now);
			json_object_set_new(ap, "name", json_string(aps[i]));
			json_object_set_new(ap, "external_references", json_pack(
				"[{s:s, s:s}]", "source_name", "mitre-attack",
				"external_id", aps[i]));
			mark(ap, tlp, rcpt, ident);
			snprintf(id, sizeof(id), "%s",
				 json_string_value(json_object_get(ap, "id")));
			json_array_append_new(objects, ap);
		}
		json_array_append_new(refs, json_string(id));
	}
	if (json_array_size(refs) == 0)
		json_array_append_new(refs, json_string(ident));
	report = new_object("report", now);
	json_object_set_new(report, "name", json_string(title));
	if (desc)
		json_object_set_new(report, "description", json_string(desc));
	json_object_set_new(report, "report_types", json_pack("[s]", "threat-report"));
	json_object_set_new(report, "published", json_string(now));
	json_object_set_new(report, "labels", json_pack("[s]", ALERT_LABEL));
	json_object_set(report, "object_refs", refs);
	/* What it is about, for routing by the agreed area of responsibility:
	 * STIX industry sectors and ISO 3166 country codes. */
	if (n_sectors) {
		json_t *l = json_array();
		for (size_t i = 0; i < n_sectors; i++)
			json_array_append_new(l, json_string(sectors[i]));
		json_object_set_new(report, "x_trilex_sectors", l);
	}
	if (n_countries) {
		json_t *l = json_array();
		for (size_t i = 0; i < n_countries; i++)
			json_array_append_new(l, json_string(countries[i]));
		json_object_set_new(report, "x_trilex_countries", l);
	}
	mark(report, tlp, rcpt, ident);
	/* The report may be about stored objects (attack patterns resolved
	 * above): it carries at least their marking, the --tlp asked for
	 * being a floor. */
	{
		const char *about[MAX_ITEMS * 2 + 1];
		struct fed_derivation d;
		size_t n_about = 0, i;
		json_t *x;

		json_array_foreach(refs, i, x)
			if (n_about < sizeof(about) / sizeof(about[0]) &&
			    strcmp(json_string_value(x), ident) != 0)
				about[n_about++] = json_string_value(x);
		if (fed_derive_stored(st, about, n_about, NULL, 0, cfg.party,
				      report, &d, &err) != TX_OK) {
			cli_fail("%s", err.msg);
			goto out;
		}
		if (d.tlp != (enum fed_tlp)tlp || d.local)
			fprintf(stderr, "trilex: the alert is marked TLP:%s%s, as"
				" what it refers to requires\n", fed_tlp_name(d.tlp),
				d.local ? " and stays on this node" : "");
	}
	json_array_append(objects, report);
	if (taxii_ingest(st, coll.pk, NULL, objects, 0, sid, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	json_t *status = NULL;
	struct store_user admin = { .admin = 1 };
	if (store_status_get(st, &admin, sid, &status) == TX_OK &&
	    json_integer_value(json_object_get(status, "failure_count")) > 0) {
		const json_t *f;
		size_t i;
		json_array_foreach(json_object_get(status, "failures"), i, f)
			fprintf(stderr, "trilex: %s\n",
				json_string_value(json_object_get(f, "message")));
		json_decref(status);
		goto out;
	}
	json_decref(status);
	printf("%s TLP:%s%s%s %s\n", json_string_value(json_object_get(report, "id")),
	       fed_tlp_name(fed_tlp_of(report)), to ? " to " : "", to ? to : "",
	       title);
	rc = 0;
out:
	store_close(st);
	json_decref(report);
	json_decref(objects);
	json_decref(refs);
	json_decref(rcpt);
	return rc;
}

const struct cmd cmd_alert = {
	.name = "alert",
	.summary = "publish an alert (a STIX report of indicators and attack"
		   " patterns) to every entitled partner",
	.opts = alert_opts,
	.flags = CMD_DIR,
	.main = alert_run,
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

/* Show the alerts of every collection added after *after, oldest first. */
static int show_new(tx_store *st, const char *party, int64_t *after,
		    int as_json)
{
	watch_state *ws = NULL;
	int64_t now = 0;
	const char *types[] = { "report" };
	struct store_query q = { .types = types, .n_types = 1,
				 .has_added_after = 1, .added_after = *after };
	struct gather g = { 0 };
	int rc = store_query_every(st, &q, gather_row, &g, NULL) == TX_OK ? 0 : -1;

	qsort(g.rows, g.n, sizeof(*g.rows), by_added);
	/* Routing needs the agreed AOR and watch list; without them (or with
	 * a bad TRILEX_NOW) alerts are shown unrouted. */
	if (g.n > 0 && watch_now(&now, NULL) == TX_OK)
		watch_state_load(st, party, now, &ws, NULL);
	for (size_t i = 0; i < g.n; i++) {
		show(&g.rows[i], as_json, ws);
		if (g.rows[i].added > *after)
			*after = g.rows[i].added;
		free(g.rows[i].json);
	}
	watch_state_free(ws);
	free(g.rows);
	return rc;
}

static const struct cli_opt alerts_opts[] = {
	{ "follow", NULL, 0, "keep showing new alerts as they come" },
	{ "json", NULL, 0, "print JSON lines" },
	{ NULL },
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
		if (show_new(st, cfg.party, &after, as_json) != 0) {
			rc = cli_fail("cannot read the alerts");
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
