/*
 * cli/audit.c: `trilex audit list|verify|head|heads`, the node's audit
 * trail (store/audit.c).
 *
 * A head is the chain's last entry (number and hash) in a STIX note
 * (label "trilex-audit-head", TLP:GREEN) stored in the "audit"
 * collection: the delivery workers of `trilex serve` sign it with the
 * node's key and take it to every partner, which keeps it in its inbox
 * for this node. `audit heads` on a partner prints the heads it holds;
 * `audit verify --heads` here checks the chain against them, so a node
 * that rewrote or cut its past is seen by its partners' copies.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "federation/federation.h"
#include "taxii/taxii.h"

#define HEAD_LABEL "trilex-audit-head"
#define HEAD_PROP "x_trilex_audit_head"

/* ---- audit list ---- */

static const struct cli_opt list_opts[] = {
	{ "since", "WHEN", 0, "only entries from then on: an RFC 3339 time or a"
	  " duration back from now (90d, 12h, 30m)" },
	{ "actor", "WHO", 0, "only this actor's (user:NAME, partner:PARTY,"
	  " cli:LOGIN, token:unknown)" },
	{ "action", "A", 0, "only this action (signin, signin.failed, read,"
	  " export, user.add, ...)" },
	{ "limit", "N", 0, "at most N entries" },
	{ "json", NULL, 0, "one JSON object per line" },
	{ 0 },
};

struct list_ctx {
	int json;
	int64_t n;
};

static int list_row(void *ctx, const struct store_audit_entry *e)
{
	struct list_ctx *l = ctx;
	char when[TX_TIME_BUF];

	tx_time_format(e->at, when);
	l->n++;
	if (l->json) {
		json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
				      "seq", (json_int_t)e->seq, "at", when,
				      "actor", e->actor, "address", e->address,
				      "action", e->action, "what", e->what,
				      "detail", e->detail, "hash", e->hash);
		char *text = o ? tx_json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		json_decref(o);
		if (text == NULL)
			return 1;
		printf("%s\n", text);
		free(text);
	} else {
		/* Fields come from outside (user names, addresses): escaped. */
		char actor[4 * sizeof(e->actor)], what[4 * sizeof(e->what)],
		     detail[4 * sizeof(e->detail)];
		tx_log_escape(e->actor, strlen(e->actor), actor, sizeof(actor));
		tx_log_escape(e->what, strlen(e->what), what, sizeof(what));
		tx_log_escape(e->detail, strlen(e->detail), detail, sizeof(detail));
		printf("%6lld %s %-20s %-15s %-14s %s%s%s\n", (long long)e->seq, when,
		       actor, e->address[0] ? e->address : "-", e->action, what,
		       detail[0] ? "  " : "", detail);
	}
	return 0;
}

static int list_run(const struct cli_args *a)
{
	const char *since = cli_opt(a, "since");
	struct store_audit_query q = { .actor = cli_opt(a, "actor"),
				       .action = cli_opt(a, "action") };
	struct list_ctx l = { .json = cli_flag(a, "json") };
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc = 0;

	if (cli_opt_int(a, "limit", 1, INT64_MAX, &q.limit) != 0)
		return EXIT_USAGE;
	if (since != NULL && tx_time_parse(since, &q.since, NULL) != TX_OK) {
		int64_t until;
		/* a duration back from now: the expiry parser, mirrored */
		if (cli_parse_expiry("since", since, &until) != 0)
			return EXIT_USAGE;
		q.since = 2 * tx_time_now_us() - until;
	}
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_audit_list(st, &q, list_row, &l, &err) != TX_OK)
		rc = cli_fail("%s", err.msg);
	store_close(st);
	return rc;
}

const struct cmd cmd_audit_list = {
	.name = "audit list",
	.summary = "print the audit trail: number, time, actor, address, action,"
		   " what, detail",
	.opts = list_opts,
	.flags = CMD_DIR,
	.main = list_run,
};

/* ---- audit verify ---- */

/* Check one head a partner holds against the chain; 0 when it matches. */
static int check_head(tx_store *st, const char *party, const json_t *obj,
		      const char *file, size_t i, int64_t *n_ok)
{
	const json_t *h = json_object_get(obj, HEAD_PROP);
	const char *hp = json_string_value(json_object_get(h, "party"));
	const char *hash = json_string_value(json_object_get(h, "hash"));
	json_int_t seq = json_integer_value(json_object_get(h, "seq"));
	struct store_audit_entry e;

	if (!json_is_object(h))
		return 0; /* not a head: passed over */
	if (hp == NULL || hash == NULL || seq < 1)
		return cli_fail("%s: objects[%zu]." HEAD_PROP ": needs party, seq"
				" and hash", file, i);
	if (strcmp(hp, party) != 0)
		return 0; /* another node's head */
	if (store_audit_get(st, seq, &e) != TX_OK)
		return cli_fail("%s: objects[%zu]: a partner holds the head at entry"
				" %lld, which this chain no longer has: its end was"
				" cut off", file, i, (long long)seq);
	if (strcmp(e.hash, hash) != 0)
		return cli_fail("%s: objects[%zu]: entry %lld here is not the one"
				" whose head a partner holds (hash %.16s... there,"
				" %.16s... here): the past was rewritten", file, i,
				(long long)seq, hash, e.hash);
	(*n_ok)++;
	return 0;
}

static const struct cli_opt verify_opts[] = {
	{ "heads", "FILE", CLI_MANY, "also check the chain against the heads a"
	  " partner holds (its `trilex audit heads --party THIS` output)" },
	{ 0 },
};

static int verify_run(const struct cli_args *a)
{
	const char *const *heads = cli_opts(a, "heads");
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct store_audit_entry last;
	tx_store *st = NULL;
	int64_t n = 0, n_heads = 0;
	int rc = 0;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_audit_verify(st, &n, &err) != TX_OK) {
		rc = cli_fail("%s (after %lld good entries)", err.msg, (long long)n);
		goto out;
	}
	for (size_t f = 0; heads[f] != NULL && rc == 0; f++) {
		json_error_t jerr;
		json_t *doc = json_load_file(heads[f], JSON_REJECT_DUPLICATES, &jerr);
		const json_t *objs = json_object_get(doc, "objects"), *o;
		size_t i;
		if (doc == NULL) {
			rc = cli_fail("%s:%d:%d: %s", heads[f], jerr.line, jerr.column,
				      jerr.text);
			break;
		}
		if (!json_is_array(objs)) {
			json_decref(doc);
			rc = cli_fail("%s: not a STIX bundle (no \"objects\" list)",
				      heads[f]);
			break;
		}
		json_array_foreach(objs, i, o)
			if ((rc = check_head(st, cfg.party, o, heads[f], i, &n_heads)))
				break;
		json_decref(doc);
	}
	if (rc == 0) {
		printf("audit trail intact: %lld entries", (long long)n);
		if (store_audit_get(st, 0, &last) == TX_OK)
			printf(", head %lld %s", (long long)last.seq, last.hash);
		if (heads[0] != NULL)
			printf("; %lld heads held by partners match", (long long)n_heads);
		printf("\n");
	}
out:
	store_close(st);
	return rc;
}

const struct cmd cmd_audit_verify = {
	.name = "audit verify",
	.summary = "check the whole audit chain (and against the heads partners"
		   " hold); exit 1 naming the first broken entry",
	.opts = verify_opts,
	.flags = CMD_DIR,
	.main = verify_run,
};

/* ---- audit head ---- */

/*
 * Store the chain's head as a STIX note for the partners (delivered and
 * signed by `trilex serve`); the note's id is made from the party and the
 * entry number, so the same head twice is one object. 0, or 1 after
 * saying why not. Used by `audit head` and daily by `trilex serve`.
 */
int cli_audit_head(tx_store *st, const struct tx_config *cfg, int verbose)
{
	struct store_audit_entry e;
	struct store_collection coll;
	struct tx_error err = { 0 };
	char ident[64], now[TX_TIME_BUF], at[TX_TIME_BUF], name[128], uuid[TX_UUID_BUF],
	     id[64], content[256], sid[TX_UUID_BUF];
	json_t *note = NULL, *objects = NULL;
	int rc = 1;

	if (store_audit_verify(st, &(int64_t){ 0 }, &err) != TX_OK)
		return cli_fail("the chain is broken, no head is shared: %s", err.msg);
	/* a head of its own making, so there is always one to share */
	if (cli_audit(st, "audit.head", NULL, NULL) != 0 ||
	    store_audit_get(st, 0, &e) != TX_OK)
		return cli_fail("no audit entry to share");
	if (tx_node_identity_id(cfg, ident) != 0)
		return cli_fail("node.json: public_key is missing");
	if (store_collection_ensure(st, "Audit heads", "this node's signed audit"
				    " chain heads, shared with every partner",
				    "audit", &coll, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	snprintf(name, sizeof(name), "%s audit %lld", cfg->party, (long long)e.seq);
	tx_uuid5(tx_uuid_ns_trilex, name, strlen(name), uuid);
	snprintf(id, sizeof(id), "note--%s", uuid);
	tx_time_format_ms(tx_time_now_us(), now);
	tx_time_format(e.at, at);
	snprintf(content, sizeof(content), "audit trail head of %s: entry %lld,"
		 " BLAKE2b-256 %s", cfg->party, (long long)e.seq, e.hash);
	note = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s], s:[s],"
			 " s:{s:s, s:I, s:s, s:s}}",
			 "type", "note", "spec_version", "2.1", "id", id,
			 "created", now, "modified", now, "created_by_ref", ident,
			 "content", content, "object_refs", ident,
			 "labels", HEAD_LABEL, "object_marking_refs",
			 fed_tlp_marking(FED_TLP_GREEN), HEAD_PROP, "party",
			 cfg->party, "seq", (json_int_t)e.seq, "hash", e.hash,
			 "at", at);
	objects = json_array();
	if (note == NULL || objects == NULL || json_array_append(objects, note)) {
		cli_fail("out of memory");
		goto out;
	}
	if (taxii_ingest(st, coll.pk, NULL, objects, 0, sid, &err) != TX_OK) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (verbose)
		printf("head %lld %s stored as %s for the partners\n",
		       (long long)e.seq, e.hash, id);
	rc = 0;
out:
	json_decref(note);
	json_decref(objects);
	return rc;
}

static int head_run(const struct cli_args *a)
{
	struct tx_config cfg;
	tx_store *st = NULL;
	int rc;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	rc = cli_audit_head(st, &cfg, 1);
	store_close(st);
	return rc;
}

const struct cmd cmd_audit_head = {
	.name = "audit head",
	.summary = "share the audit chain's head with every partner (a STIX note"
		   " that serve signs and delivers)",
	.flags = CMD_DIR,
	.main = head_run,
};

/* ---- audit heads ---- */

struct heads_ctx {
	const char *party;
	json_t *objects;
	int failed;
};

static int heads_row(void *ctx, const struct store_row *row)
{
	struct heads_ctx *h = ctx;
	json_t *o;

	/* only what the partner itself signed (its origin checked on receipt) */
	if (row->origin == NULL || strcmp(row->origin, h->party) != 0 ||
	    strstr(row->json, "\"" HEAD_PROP "\"") == NULL)
		return STORE_ROW_NEXT;
	if ((o = tx_json_load(row->json, row->json_len, 0, NULL)) == NULL)
		return STORE_ROW_NEXT;
	if (json_is_object(json_object_get(o, HEAD_PROP)) &&
	    json_array_append_new(h->objects, o) == 0)
		return STORE_ROW_NEXT;
	json_decref(o);
	h->failed = 1;
	return STORE_ROW_FAIL;
}

static const struct cli_opt heads_opts[] = {
	{ "party", "CODE", CLI_REQ, "the partner whose heads to print" },
	{ 0 },
};

static int heads_run(const struct cli_args *a)
{
	const char *types[] = { "note" };
	struct store_query q = { .types = types, .n_types = 1 };
	struct heads_ctx h = { .party = cli_opt(a, "party"), .objects = json_array() };
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	json_t *bundle = NULL;
	char *text = NULL;
	int rc = 1;

	if (h.objects == NULL)
		return cli_fail("out of memory");
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		goto out;
	if (store_query_every(st, &q, heads_row, &h, &err) != TX_OK) {
		cli_fail("%s", h.failed ? "out of memory" : err.msg);
		goto out;
	}
	char uuid[TX_UUID_BUF], bid[64];
	tx_uuid4(uuid);
	snprintf(bid, sizeof(bid), "bundle--%s", uuid);
	bundle = json_pack("{s:s, s:s, s:O}", "type", "bundle", "id", bid,
			   "objects", h.objects);
	if (bundle == NULL || (text = tx_json_dumps(bundle, JSON_INDENT(1))) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	printf("%s\n", text);
	fprintf(stderr, "%zu heads of %s\n", json_array_size(h.objects), h.party);
	rc = 0;
out:
	free(text);
	json_decref(bundle);
	json_decref(h.objects);
	store_close(st);
	return rc;
}

const struct cmd cmd_audit_heads = {
	.name = "audit heads",
	.summary = "print, as a STIX bundle, the audit heads a partner shared with"
		   " this node (for its `audit verify --heads`)",
	.opts = heads_opts,
	.flags = CMD_DIR,
	.main = heads_run,
};
