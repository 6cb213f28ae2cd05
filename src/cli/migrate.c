/*
 * cli/migrate.c: `trilex migrate`: a node's store copied from SQLite into
 * PostgreSQL or back (store/migrate.c), checked, and node.json pointed at
 * the copy.
 */
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"

static const struct cli_opt migrate_opts[] = {
	{ "to", "sqlite|postgres", CLI_REQ, "the backend to copy the store into" },
	{ "conninfo", "CONNINFO", 0, "the PostgreSQL database (libpq connection"
	  " string, no password: PGPASSFILE or a service file); --to sqlite"
	  " reads node.json's when not given" },
	{ "check", NULL, 0, "only compare the two stores (rows, digests, object"
	  " hashes by collection); exit 1 when they differ" },
	{ 0 },
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void print_rows(const char *what, const struct store_migrate_row *rows,
		       size_t n, int copied)
{
	printf("%-24s %12s %12s", what, "source", "destination");
	if (copied)
		printf(" %12s", "copied now");
	printf("  %-16s %s\n", "digest", "");
	for (size_t i = 0; i < n; i++) {
		const struct store_migrate_row *m = &rows[i];
		int same = m->src == m->dst && strcmp(m->src_hash, m->dst_hash) == 0;
		printf("%-24s %12lld %12lld", m->name, (long long)m->src,
		       (long long)m->dst);
		if (copied)
			printf(" %12lld", (long long)m->copied);
		if (same)
			printf("  %-16s\n", m->src_hash);
		else
			printf("  %s <> %s DIFFERS\n", m->src_hash, m->dst_hash);
	}
}

/* Point node.json's store at the destination, or say what to set. */
static int save_store(const char *dir, struct tx_config *cfg, const char *to,
		      const char *conninfo)
{
	struct tx_error err = { 0 };

	snprintf(cfg->store_backend, sizeof(cfg->store_backend), "%s", to);
	snprintf(cfg->store_conninfo, sizeof(cfg->store_conninfo), "%s",
		 strcmp(to, "postgres") == 0 ? conninfo : "");
	if (tx_config_save(dir, cfg, &err) != TX_OK) {
		cli_fail("%s/node.json: %s", dir, err.msg);
		if (strcmp(to, "postgres") == 0)
			fprintf(stderr, "set in it: \"store\": {\"backend\": \"postgres\","
				" \"conninfo\": \"%s\"}\n", conninfo);
		else
			fprintf(stderr, "remove its \"store\" member\n");
		return 1;
	}
	if (strcmp(to, "postgres") == 0)
		printf("%s/node.json: store is postgres (conninfo \"%s\"); %s/trilex.db"
		       " is no longer used and stays as it was\n", dir, conninfo, dir);
	else
		printf("%s/node.json: store is sqlite (%s/trilex.db)\n", dir, dir);
	printf("start serve again: it serves from the copy\n");
	return 0;
}

/* Copy (unless check), verify, print the figures; 0 when they match. */
static int copy_and_check(tx_store *src, tx_store *dst, int check,
			  const char *dst_name)
{
	struct store_migrate_report r = { 0 };
	struct tx_error err = { 0 };
	struct timespec t0;
	int64_t objects = 0;
	double s = 0;
	int rc = 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!check && (rc = store_migrate_copy(src, dst, &r, &err)) != TX_OK) {
		if (rc == TX_ERR_EXISTS)
			cli_fail("%s: %s (move it away first)", dst_name, err.msg);
		else
			cli_fail("migrate: %s; what was copied stays: run the same"
				 " command again to go on", err.msg);
		rc = 1;
		goto out;
	}
	rc = 1;
	if (!check) {
		s = seconds_since(&t0);
		for (size_t i = 0; i < r.n_tables; i++)
			if (strcmp(r.tables[i].name, "objects") == 0)
				objects = r.tables[i].copied;
		printf("copied%s: %lld object versions in %.1f s (%.0f objects/s)\n",
		       r.resumed ? " (went on from an interrupted copy)" : "",
		       (long long)objects, s, s > 0 ? (double)objects / s : 0.0);
	}
	if (store_migrate_check(src, dst, &r, &err) != TX_OK) {
		cli_fail("check: %s", err.msg);
		goto out;
	}
	print_rows("table", r.tables, r.n_tables, !check);
	print_rows("collection (versions)", r.colls, r.n_colls, 0);
	if (r.differ) {
		cli_fail("%zu of %zu tables and collections differ%s", r.differ,
			 r.n_tables + r.n_colls, check ? "" : ": the source changed"
			 " during the copy (is serve running? stop it), or the"
			 " destination was written; empty it and migrate again");
		goto out;
	}
	printf("verified: %zu tables and %zu collections match\n", r.n_tables,
	       r.n_colls);
	rc = 0;
out:
	store_migrate_report_free(&r);
	return rc;
}

static int migrate_run(const struct cli_args *a)
{
	const char *to = cli_opt(a, "to"), *conninfo = cli_opt(a, "conninfo");
	int check = cli_flag(a, "check");
	struct tx_error err = { 0 };
	struct tx_config cfg;
	char path[PATH_MAX];
	tx_store *src = NULL, *dst = NULL;
	struct stat sb;
	int rc = 1;

	if (strcmp(to, "postgres") != 0 && strcmp(to, "sqlite") != 0)
		return cli_fail("--to: \"%s\": sqlite or postgres", to);
	/* a new trilex.db (and its -wal, -shm) holds secrets: 0600, as
	 * init makes it (serve refuses one open to others) */
	umask(077);
	if (cli_open_node(a->dir, &cfg, NULL))
		return 1;
	if (conninfo == NULL && strcmp(to, "sqlite") == 0 &&
	    strcmp(cfg.store_backend, "postgres") == 0)
		conninfo = cfg.store_conninfo;
	if (conninfo == NULL)
		return cli_fail("--conninfo CONNINFO: the PostgreSQL database to copy"
				" %s", strcmp(to, "postgres") == 0 ? "into" : "from");
	if (tx_path_join(path, sizeof(path), a->dir, "trilex.db") != TX_OK)
		return cli_fail("%s: path too long", a->dir);
	if (strcmp(to, "postgres") == 0) {
		if (store_open_as("sqlite", NULL, path, 0, &src, &err) != TX_OK ||
		    store_open_as("postgres", conninfo, path, 0, &dst, &err) != TX_OK)
			goto fail;
	} else if (store_open_as("postgres", conninfo, path, 0, &src, &err) != TX_OK ||
		   store_open_as("sqlite", NULL, path, stat(path, &sb) != 0, &dst,
				 &err) != TX_OK) {
		goto fail;
	}
	if ((rc = copy_and_check(src, dst, check, strcmp(to, "postgres") == 0 ?
				 conninfo : path)) == 0 && !check) {
		if (store_migrate_finish(dst, &err) != TX_OK)
			rc = cli_fail("%s", err.msg);
		else
			rc = save_store(a->dir, &cfg, to, conninfo);
	}
	goto out;
fail:
	rc = cli_fail("%s", err.msg);
out:
	store_close(src);
	store_close(dst);
	return rc;
}

const struct cmd cmd_migrate = {
	.name = "migrate",
	.summary = "copy the node's store into PostgreSQL or back into SQLite,"
		   " check the copy, point node.json at it (stop serve first)",
	.opts = migrate_opts,
	.flags = CMD_DIR,
	.main = migrate_run,
};
