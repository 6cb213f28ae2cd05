/* cli/node.c: `trilex init` and `trilex serve`. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "console/console.h"
#include "crypto/crypto.h"
#include "federation/federation.h"
#include "misp/misp.h"
#include "supply/supply.h"
#include "policy/policy.h"
#include "taxii/taxii.h"

/* The database and the files SQLite keeps beside it. */
static const char *const db_files[] = { "trilex.db", "trilex.db-wal",
					"trilex.db-shm" };

/* The files of a node that hold secrets (password hashes, keys, objects
 * partners sealed for this node); whether each must exist. */
static const struct {
	const char *name;
	int may_be_missing;
} secret_files[] = {
	{ "trilex.db", 0 }, { "trilex.db-wal", 1 }, { "trilex.db-shm", 1 },
	{ "identity.key", 0 }, { "tls/key.pem", 0 },
};

/* Print every secret of DIR that its group or others may open; returns
 * how many (0: all private). */
static int check_secrets(const char *dir)
{
	struct tx_error err = { 0 };
	char path[PATH_MAX];
	int bad = 0;

	for (size_t i = 0; i < sizeof(secret_files) / sizeof(secret_files[0]);
	     i++) {
		tx_path_join(path, sizeof(path), dir, secret_files[i].name);
		if (tx_check_private(path, secret_files[i].may_be_missing, &err) !=
		    TX_OK) {
			cli_fail("%s", err.msg);
			bad++;
		}
	}
	return bad;
}

static const struct cli_opt init_opts[] = {
	{ "party", "CODE", CLI_REQ, "the node's party, 2 to 7 upper-case letters" },
	{ "name", "NAME", CLI_REQ, "the node's name" },
	{ "listen", "HOST:PORT", 0, "where it serves (default 127.0.0.1:8443)" },
	{ "san", "NAME", CLI_MANY, "a DNS name or address partners reach it at,"
	  " for its certificate (repeat for more)" },
	{ 0 },
};

static int init_run(const struct cli_args *a)
{
	const char *dir = a->dir, *party = cli_opt(a, "party");
	const char *name = cli_opt(a, "name"), *listen = cli_opt(a, "listen");
	char path[PATH_MAX], key[PATH_MAX], fp[CRYPTO_FP_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;

	tx_config_defaults(&cfg);
	if (strlen(party) >= sizeof(cfg.party) || strlen(name) >= sizeof(cfg.name))
		return cli_fail("--party or --name is too long");
	snprintf(cfg.party, sizeof(cfg.party), "%s", party);
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	if (!tx_party_valid(party))
		return cli_fail("--party: \"%s\" must be 2 to 7 upper-case"
				" letters (JP, UK, US, ...)", party);
	if (listen && tx_config_set_listen(&cfg, listen, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	/* Everything made here is the node's own: files 0600, folders 0700,
	 * whatever the umask, and an existing folder is made 0700 too. The
	 * database's -wal and -shm take its mode (SQLite). */
	umask(077);
	tx_path_join(path, sizeof(path), dir, "node.json");
	if (access(path, F_OK) == 0)
		return cli_fail("%s: a node already exists here; refusing to"
				" overwrite it", dir);
	if (tx_mkdir_private(dir, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	tx_path_join(path, sizeof(path), dir, "identity.key");
	if (crypto_identity_create(path, cfg.public_key, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	tx_path_join(path, sizeof(path), dir, "tls");
	if (tx_mkdir_private(path, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	tx_path_join(path, sizeof(path), dir, "tls/cert.pem");
	tx_path_join(key, sizeof(key), dir, "tls/key.pem");
	const char *const *sans = cli_opts(a, "san");
	const char *hosts[CRYPTO_CERT_NAMES_MAX];
	size_t n_hosts = 0;
	hosts[n_hosts++] = cfg.listen_host;
	for (size_t i = 0; sans[i] != NULL; i++) {
		if (n_hosts == CRYPTO_CERT_NAMES_MAX)
			return cli_fail("--san: at most %d names",
					CRYPTO_CERT_NAMES_MAX - 1);
		hosts[n_hosts++] = sans[i];
	}
	if (crypto_tls_create_for(path, key, hosts, n_hosts, cfg.name, NULL, 0,
				  fp, &err) ||
	    tx_chmod_private(path, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	tx_path_join(path, sizeof(path), dir, "trilex.db");
	if (store_open(path, 1, &st, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	store_close(st);
	for (size_t i = 0; i < sizeof(db_files) / sizeof(db_files[0]); i++) {
		tx_path_join(path, sizeof(path), dir, db_files[i]);
		if (tx_chmod_private(path, &err) != TX_OK)
			return cli_fail("%s", err.msg);
	}
	/* node.json last: its presence marks a complete node. */
	if (tx_config_save(dir, &cfg, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	printf("node %s \"%s\" created in %s\n", cfg.party, cfg.name, dir);
	printf("listen:          https://%s%s%s:%d/\n",
	       strchr(cfg.listen_host, ':') ? "[" : "", cfg.listen_host,
	       strchr(cfg.listen_host, ':') ? "]" : "", cfg.listen_port);
	printf("signing key:     ed25519:%s\n", cfg.public_key);
	printf("tls fingerprint: sha256:%s\n", fp);
	return 0;
}

const struct cmd cmd_init = {
	.name = "init",
	.summary = "make a new node: keys, certificate, database, node.json",
	.opts = init_opts,
	.flags = CMD_DIR,
	.main = init_run,
};

/*
 * Supply-chain watch of `serve`: when objects come in (advisories from
 * partners, or imported here), the stored BOMs are checked again, at most
 * every recheck_s seconds (node.json), so that a new advisory raises alerts on the BOMs it
 * hits without anyone running `trilex sbom recheck`.
 */
struct rechecker {
	const char *dir;
	const struct tx_config *cfg;
	int64_t every_s;
	pthread_mutex_t lock;
	pthread_cond_t stop_cv;
	int stop;
};

static int found_one(void *ctx, const struct store_row *row)
{
	*(int *)ctx = 1;
	return STORE_ROW_STOP; /* one is enough */
}

static int has_boms(tx_store *st)
{
	const char *types[] = { SUPPLY_SBOM_TYPE };
	struct store_query q = { .types = types, .n_types = 1 };
	struct tx_error err = { 0 };
	int found = 0;

	/* A store error is not "no BOMs": say it, and re-check anyway. */
	if (store_query_every(st, &q, found_one, &found, &err) != TX_OK) {
		tx_log(TX_LOG_WARN, "re-check: cannot look for stored BOMs: %s",
		       err.msg);
		return 1;
	}
	return found;
}

static void *recheck_loop(void *arg)
{
	struct rechecker *r = arg;
	char path[PATH_MAX];
	tx_store *st = NULL;
	int64_t seen = -1, head_at = 0;

	tx_path_join(path, sizeof(path), r->dir, "trilex.db");
	if (store_open(path, 0, &st, NULL) != TX_OK)
		return NULL;
	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		struct timespec until;
		int64_t last;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += r->every_s;
		pthread_cond_timedwait(&r->stop_cv, &r->lock, &until);
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->lock);
		last = store_last_added(st);
		if (last != seen && has_boms(st)) {
			size_t n_boms = 0, n_new = 0;
			struct tx_error err = { 0 };
			if (supply_recheck_stored(st, &n_boms, &n_new, &err) != TX_OK)
				tx_log(TX_LOG_WARN, "supply chain: re-check: %s",
				       err.msg);
			else if (n_new > 0)
				tx_log(TX_LOG_INFO, "supply chain: %zu new findings in %zu"
				       " stored BOMs", n_new, n_boms);
		}
		seen = last;
		/* The audit chain's head, for the partners: a day after the
		 * last one shared (or after the chain began), then daily. */
		if (head_at == 0) {
			struct store_audit_entry *e = malloc(sizeof(*e));
			if (e != NULL &&
			    (store_audit_last(st, "audit.head", e) == TX_OK ||
			     store_audit_get(st, 1, e) == TX_OK))
				head_at = e->at;
			free(e);
		}
		if (head_at != 0 &&
		    tx_time_now_us() - head_at >= CLI_AUDIT_HEAD_EVERY_US) {
			head_at = tx_time_now_us();
			if (cli_audit_head(st, r->cfg, 0) != 0)
				tx_log(TX_LOG_ERROR, "audit: the chain's head was"
				       " not shared (see above)");
		}
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	store_close(st);
	return NULL;
}

/*
 * The services served beside TAXII: one row each, added by the module that
 * provides it (path, handler, context, the methods partners may call,
 * TAXII_EXT_* flags; see taxii.h). A path without a leading '/' is under
 * /trilex/v1/; one ending in '/' is a prefix. The last row is the end
 * marker; rows that need serve's own state are added in serve_run.
 */
static const struct taxii_ext serve_exts[] = {
	/* assess can store a note the node then signs: users only */
	{ "assess", policy_http_assess, NULL, NULL, 0 },
	{ "extension-definition", fed_http_extension, NULL, "GET", 0 },
	{ "misp-feed/", misp_http_feed, NULL, NULL, TAXII_EXT_ANY_MEDIA },
	{ "/metrics", cli_http_metrics, NULL, NULL, TAXII_EXT_AUTH_OPTIONAL | TAXII_EXT_ANY_MEDIA },
	{ "/healthz", cli_http_healthz, NULL, NULL, TAXII_EXT_AUTH_OPTIONAL | TAXII_EXT_ANY_MEDIA },
	{ "/readyz", cli_http_readyz, NULL, NULL, TAXII_EXT_AUTH_OPTIONAL | TAXII_EXT_ANY_MEDIA },
	/* sensors fetch their lists with a key: what its user may read */
	{ "export/", cli_http_export, NULL, NULL, TAXII_EXT_ANY_MEDIA },
	/* the console checks its own session cookie (console/session.c) */
	{ "/console/", console_http, NULL, NULL, TAXII_EXT_AUTH_OPTIONAL | TAXII_EXT_ANY_MEDIA },
	{ "search", console_http_search, NULL, NULL, 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};

#define N_SERVE_EXTS (sizeof(serve_exts) / sizeof(serve_exts[0]) - 1)

/*
 * Limit serve's own file access with Landlock: everything beneath the
 * node's folder, and reading (and loading) system libraries and the few
 * system settings name resolution and TLS read; nothing else (no home
 * folders, no other nodes, no /etc/shadow). Before any thread starts.
 * 0 when limited or when the kernel has no Landlock (logged), else 1.
 */
static int restrict_files(const char *dir, const char *log_dir)
{
	const struct tx_sandbox_path paths[] = {
		{ dir, 1 }, { "/dev/null", 1 }, { log_dir ? log_dir : dir, 1 },
		{ "/usr", 0 }, { "/lib", 0 }, { "/lib64", 0 }, { "/lib32", 0 },
		{ "/etc/ld.so.cache", 0 }, { "/etc/ssl", 0 }, { "/etc/gnutls", 0 },
		{ "/etc/ca-certificates", 0 }, { "/etc/crypto-policies", 0 },
		{ "/etc/resolv.conf", 0 }, { "/etc/hosts", 0 },
		{ "/etc/nsswitch.conf", 0 }, { "/etc/host.conf", 0 },
		{ "/etc/gai.conf", 0 }, { "/etc/services", 0 },
		{ "/etc/protocols", 0 }, { "/etc/localtime", 0 },
		{ "/dev/urandom", 0 }, { "/proc/self", 0 },
		/* which boot of this machine holds a delivery lease
		 * (federation/lease.c) */
		{ "/proc/sys/kernel/random/boot_id", 0 },
		{ "/sys/devices/system/cpu", 0 },
	};
	struct tx_error err = { 0 };
	tx_err rc = tx_sandbox_restrict(paths, sizeof(paths) / sizeof(paths[0]),
					&err);

	if (rc == TX_ERR_NOTFOUND) {
		tx_log(TX_LOG_WARN, "landlock: %s; serving without it", err.msg);
		return 0;
	}
	if (rc != TX_OK) {
		cli_fail("landlock: %s (\"landlock\": 0 in node.json serves"
			 " without it)", err.msg);
		return 1;
	}
	tx_log(TX_LOG_INFO, "landlock: file access limited to %s and system"
	       " libraries and settings (read-only)", dir);
	return 0;
}

static const struct cli_opt serve_opts[] = {
	{ "verbose", NULL, 0, "log debug lines too" },
	{ 0 },
};

/*
 * The log as node.json says (log_format, log_output: a file relative to
 * dir unless absolute). log_dir receives the folder of a log file (for
 * Landlock, so that it can be opened again after rotation), else "".
 */
static int setup_log(const char *dir, const struct tx_config *cfg,
		     char log_dir[PATH_MAX])
{
	struct tx_error err = { 0 };
	char path[PATH_MAX];
	const char *out = cfg->log_output;

	log_dir[0] = '\0';
	if (strcmp(out, "stderr") != 0 && strcmp(out, "syslog") != 0 &&
	    strncmp(out, "syslog:", 7) != 0) {
		char *slash;
		if (out[0] == '/')
			snprintf(path, sizeof(path), "%s", out);
		else if (tx_path_join(path, sizeof(path), dir, out) != TX_OK)
			return cli_fail("log_output: path too long");
		snprintf(log_dir, PATH_MAX, "%s", path);
		if ((slash = strrchr(log_dir, '/')) != NULL)
			*(slash == log_dir ? slash + 1 : slash) = '\0';
		out = path;
	}
	if (tx_log_setup(cfg->log_format, out, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	return 0;
}

/* cli_policy_release on a connection of its own. */
static int release_policy(const char *dir, tx_fed *fed)
{
	char db[PATH_MAX];
	tx_store *st = NULL;
	int rc;

	tx_path_join(db, sizeof(db), dir, "trilex.db");
	if (store_open(db, 0, &st, NULL) != TX_OK)
		return 1;
	rc = cli_policy_release(st, fed);
	store_close(st);
	return rc;
}

static int serve_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	struct tx_error err = { 0 };
	struct tx_config cfg;
	struct taxii_ext exts[N_SERVE_EXTS + 1];
	struct taxii_hooks hooks = { 0 };
	tx_server *srv = NULL;
	tx_fed *fed = NULL;
	struct rechecker rck = { .dir = NULL };
	pthread_t rck_thread;
	int rck_started = 0;
	struct cli_partner_keeper *keeper = NULL;
	taxii_feeds *feeds = NULL;
	sigset_t set;
	int sig = 0;
	char log_dir[PATH_MAX];

	if (cli_flag(a, "verbose"))
		tx_log_set_level(TX_LOG_DEBUG);
	/* What the server makes (the -wal and -shm of a new connection,
	 * partners' certificates) is for it alone. */
	umask(077);
	if (cli_open_node(dir, &cfg, NULL) != 0)
		return 1;
	tx_log_set_repeat(cfg.log_repeat_max, cfg.log_repeat_interval_s);
	if (setup_log(dir, &cfg, log_dir) != 0)
		return 1;
	if (check_secrets(dir) != 0)
		return cli_fail("not serving while secrets are open to others");
	if (cfg.landlock && restrict_files(dir, log_dir[0] ? log_dir : NULL) != 0)
		return 1;
	/* Worker threads would each get a malloc arena of their own; two are
	 * plenty for this server and keep its resident memory small. */
	mallopt(M_ARENA_MAX, 2);
	/* Block the stop signals in every thread; this one waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (fed_open(dir, &cfg, &fed, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	/* what observers may have of the policy, before anyone is served
	 * (when it cannot be read, logged: they get none until it can) */
	release_policy(dir, fed);
	/* Federation: partners post through fed_receive, pull from
	 * /trilex/v1/sync, and every POST wakes the delivery workers. */
	memcpy(exts, serve_exts, sizeof(serve_exts[0]) * N_SERVE_EXTS);
	exts[N_SERVE_EXTS] = (struct taxii_ext){ "sync", fed_http_sync, fed,
						       "GET", 0 };
	hooks.peer_ingest = fed_receive;
	hooks.stored = fed_deliver_kick;
	hooks.ctx = fed;
	hooks.session_user = console_session_user;
	hooks.session_ctx = &cfg;
	if (taxii_server_start(dir, &cfg, exts, N_SERVE_EXTS + 1, &hooks, &srv,
			       &err) != TX_OK ||
	    fed_deliver_start(fed, &err) != TX_OK) {
		taxii_server_stop(srv);
		fed_close(fed);
		return cli_fail("%s", err.msg);
	}
	tx_log(TX_LOG_INFO, "node %s serving TAXII 2.1 on https://%s%s%s:%d/taxii2/",
	       cfg.party, strchr(cfg.listen_host, ':') ? "[" : "", cfg.listen_host,
	       strchr(cfg.listen_host, ':') ? "]" : "", cfg.listen_port);
	rck.dir = dir;
	rck.cfg = &cfg;
	rck.every_s = cfg.recheck_s;
	pthread_mutex_init(&rck.lock, NULL);
	pthread_cond_init(&rck.stop_cv, NULL);
	rck_started = pthread_create(&rck_thread, NULL, recheck_loop, &rck) == 0;
	/* the partners' decisions on who is a partner, carried out here */
	keeper = cli_partner_keeper_start(dir, &cfg, fed);
	/* outside TAXII feeds, each on its schedule (`trilex feed add`) */
	if (taxii_feeds_start(dir, 5, &feeds, &err) != TX_OK)
		tx_log(TX_LOG_ERROR, "%s", err.msg);
	/* SIGHUP: open the log file again (it was rotated); else stop. */
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
		if (tx_log_reopen(&err) != TX_OK)
			tx_log(TX_LOG_ERROR, "SIGHUP: %s (logging on to the old"
			       " file)", err.msg);
		else
			tx_log(TX_LOG_INFO, "SIGHUP: log file opened again");
	}
	tx_log(TX_LOG_INFO, "signal %d: finishing requests in flight, stopping", sig);
	if (rck_started) {
		pthread_mutex_lock(&rck.lock);
		rck.stop = 1;
		pthread_cond_signal(&rck.stop_cv);
		pthread_mutex_unlock(&rck.lock);
		pthread_join(rck_thread, NULL);
	}
	cli_partner_keeper_stop(keeper);
	taxii_feeds_stop(feeds);
	fed_deliver_stop(fed);
	taxii_server_stop(srv);
	fed_close(fed);
	tx_log(TX_LOG_INFO, "stopped");
	tx_log_flush();
	return 0;
}

const struct cmd cmd_serve = {
	.name = "serve",
	.summary = "serve TAXII 2.1 over HTTPS until SIGINT or SIGTERM",
	.opts = serve_opts,
	.flags = CMD_DIR,
	.main = serve_run,
};

/* The SHA-256 fingerprint of DIR/tls/cert.pem into fp. */
static tx_err cert_fp(const char *dir, char fp[CRYPTO_FP_BUF],
		      struct tx_error *err)
{
	char path[PATH_MAX], *pem = NULL;
	size_t len = 0;
	tx_err rc;

	tx_path_join(path, sizeof(path), dir, "tls/cert.pem");
	if ((rc = tx_read_file(path, 1 << 20, &pem, &len, err)) == TX_OK)
		rc = crypto_cert_fingerprint(pem, len, fp, err);
	free(pem);
	return rc;
}

static int info_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	char fp[CRYPTO_FP_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	int64_t n = 0;

	if (cli_open_node(dir, &cfg, &st) != 0)
		return 1;
	if (store_count_objects(st, 0, &n) != TX_OK) {
		store_close(st);
		return cli_fail("cannot count the objects (database error)");
	}
	store_close(st);
	if (cert_fp(dir, fp, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	printf("party:           %s\n", cfg.party);
	printf("name:            %s\n", cfg.name);
	printf("listen:          https://%s%s%s:%d/\n",
	       strchr(cfg.listen_host, ':') ? "[" : "", cfg.listen_host,
	       strchr(cfg.listen_host, ':') ? "]" : "", cfg.listen_port);
	printf("api root:        /%s/\n", cfg.api_root);
	printf("signing key:     ed25519:%s\n", cfg.public_key);
	printf("tls fingerprint: sha256:%s\n", fp);
	printf("object versions: %lld\n", (long long)n);
	return 0;
}

const struct cmd cmd_info = {
	.name = "info",
	.summary = "show a node's party, address, keys and certificate fingerprint",
	.flags = CMD_DIR,
	.main = info_run,
};

static int check_run(const struct cli_args *a)
{
	const char *dir = a->dir;
	char path[PATH_MAX], fp[CRYPTO_FP_BUF];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_identity *id = NULL;
	tx_store *st = NULL;
	int bad = 0;

	/* Everything `serve` needs, checked without starting it. */
	if (tx_config_load(dir, &cfg, &err) != TX_OK)
		return cli_fail("%s", err.msg);
	if (store_configure(cfg.store_backend, cfg.store_conninfo, &err) != TX_OK)
		return cli_fail("node.json: %s", err.msg);
	printf("node.json: ok (party %s, listen %s:%d)\n", cfg.party,
	       cfg.listen_host, cfg.listen_port);
	tx_path_join(path, sizeof(path), dir, "identity.key");
	if (crypto_identity_load(path, &id, &err) != TX_OK) {
		bad = cli_fail("%s", err.msg);
	} else {
		unsigned char pk[CRYPTO_SIGN_PK_BYTES];
		char hex[65];
		crypto_identity_public(id, pk);
		tx_hex(pk, sizeof(pk), hex);
		if (strcmp(hex, cfg.public_key) != 0)
			bad = cli_fail("%s: does not match public_key in node.json", path);
		else
			printf("identity.key: ok (ed25519:%.16s...)\n", hex);
		crypto_identity_free(id);
	}
	if (cert_fp(dir, fp, &err) != TX_OK) {
		bad = cli_fail("%s", err.msg);
	} else {
		char *pem = NULL;
		size_t len = 0;
		int warned = 0;
		tx_path_join(path, sizeof(path), dir, "tls/cert.pem");
		if (tx_read_file(path, 1 << 20, &pem, &len, &err) != TX_OK)
			bad = cli_fail("%s", err.msg);
		else if (cli_cert_expiry_check(pem, len, path,
					       tx_time_now_us() / 1000000,
					       &warned) != 0)
			bad = 1;
		else
			printf("tls/cert.pem: ok (sha256:%.16s...)\n", fp);
		free(pem);
	}
	tx_path_join(path, sizeof(path), dir, "tls/key.pem");
	if (access(path, R_OK) != 0)
		bad = cli_fail("%s: %s", path, strerror(errno));
	tx_path_join(path, sizeof(path), dir, "trilex.db");
	if (store_open(path, 0, &st, &err) != TX_OK) {
		bad = cli_fail("%s", err.msg);
	} else {
		printf("trilex.db: ok (schema %d)\n", store_schema_version(st));
		store_close(st);
	}
	if (check_secrets(dir) != 0)
		bad = 1;
	else
		printf("file modes: ok (secrets readable by their owner only)\n");
	return bad ? 1 : 0;
}

const struct cmd cmd_check_config = {
	.name = "check-config",
	.summary = "check node.json, keys, certificate and database without"
		   " serving",
	.flags = CMD_DIR,
	.main = check_run,
};
