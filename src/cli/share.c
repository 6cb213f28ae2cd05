/* cli/share.c: `trilex collection share`: what of a collection leaves
 * the node (store/sharing.c keeps the policy). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Every pinned partner of st, as "FR, UK" into buf; "" when none. */
static void partner_names(tx_store *st, const char *share, char *buf, size_t n)
{
	struct store_peer *peers = NULL;
	size_t np = 0, len = 0;

	buf[0] = '\0';
	if (store_peer_list(st, &peers, &np) != TX_OK)
		return;
	for (size_t i = 0; i < np && len + 1 < n; i++)
		if (store_share_allows(share, peers[i].party))
			len += (size_t)snprintf(buf + len, n - len, "%s%s",
						len ? ", " : "", peers[i].party);
	free(peers);
}

int cli_share_resolve(tx_store *st, const char *text, char out[STORE_SHARE_BUF])
{
	struct tx_error err = { 0 };
	struct store_peer *p = NULL;
	int rc = 0;

	if (store_share_parse(text, out, &err) != TX_OK)
		return cli_fail("sharing %s: %s", text, err.msg);
	if (strcmp(out, STORE_SHARE_LOCAL) == 0 ||
	    strcmp(out, STORE_SHARE_PARTNERS) == 0)
		return 0;
	if ((p = malloc(sizeof(*p))) == NULL)
		return cli_fail("out of memory");
	/* A party that is not pinned would silently receive nothing. */
	for (const char *s = out; *s != '\0' && rc == 0;) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		char party[TX_PARTY_MAX];
		snprintf(party, sizeof(party), "%.*s", (int)len, s);
		if (store_peer_find(st, party, NULL, NULL, p) != TX_OK)
			rc = cli_fail("sharing %s: %s is not a pinned partner"
				      " (trilex peer list)", text, party);
		s += len + (end ? 1 : 0);
	}
	free(p);
	return rc;
}

static const struct cli_opt share_opts[] = {
	{ "yes", NULL, 0, "do not ask before sharing what the collection holds" },
	{ 0 },
};

static int share_run(const struct cli_args *a)
{
	const char *coll = a->argv[0], *text = a->argv[1];
	struct store_user admin = { .admin = 1 };
	char share[STORE_SHARE_BUF], old[STORE_SHARE_BUF], who[512], line[16];
	struct store_collection c;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int64_t count = 0, requeued = 0;
	int rc = 1;

	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_collection_get(st, &admin, coll, &c) != TX_OK) {
		cli_fail("no collection \"%s\" (trilex collection list)", coll);
		goto out;
	}
	if (store_inbox_party(&c) != NULL) {
		cli_fail("%s is a partner's inbox: what partners send is never"
			 " passed on", coll);
		goto out;
	}
	if (cli_share_resolve(st, text, share) != 0 ||
	    store_collection_share(st, c.pk, old) != TX_OK)
		goto out;
	/* a count that failed is no zero: it would share without asking */
	if (store_count_objects(st, c.pk, &count) != TX_OK) {
		cli_fail("%s: cannot count its objects (database error)", coll);
		goto out;
	}
	partner_names(st, share, who, sizeof(who));
	if (strcmp(share, STORE_SHARE_LOCAL) != 0 && strcmp(old, share) != 0 &&
	    count > 0 && !cli_flag(a, "yes")) {
		fprintf(stderr, "collection %s holds %lld object version%s; sharing"
			" it (%s) sends them, as their TLP allows, to %s. Share?"
			" [y/N] ", coll, (long long)count, count == 1 ? "" : "s",
			share, who[0] ? who : "no partner pinned yet");
		if (cli_read_secret(line, sizeof(line)) != 0 ||
		    (strcmp(line, "y") != 0 && strcmp(line, "yes") != 0)) {
			cli_fail("collection %s stays %s (give --yes to share"
				 " without asking)", coll, old);
			goto out;
		}
	}
	if (store_collection_set_share(st, c.pk, share, &requeued, &err) != TX_OK) {
		cli_fail("%s: %s", coll, err.msg);
		goto out;
	}
	if (strcmp(share, STORE_SHARE_LOCAL) == 0)
		printf("collection %s is local: nothing of it leaves this node from"
		       " now on (what partners already have stays with them: see"
		       " trilex withdraw)\n", coll);
	else
		printf("collection %s is shared (%s): %lld object version%s queued"
		       " for %s\n", coll, share, (long long)requeued,
		       requeued == 1 ? "" : "s",
		       who[0] ? who : "the partners (none pinned yet)");
	rc = 0;
out:
	store_close(st);
	return rc;
}

const struct cmd cmd_collection_share = {
	.name = "collection share",
	.summary = "set what of a collection leaves the node: local, partners or"
		   " party codes (FR,UK); TLP still applies",
	.opts = share_opts,
	.operands = "ID local|partners|CODE,...",
	.min_args = 2,
	.max_args = 2,
	.flags = CMD_DIR,
	.main = share_run,
};
