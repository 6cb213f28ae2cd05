/*
 * core/config.c: DIR/node.json, as a table of settings.
 *
 * Each setting has a name, a type, bounds and a default; loading checks
 * every setting and names the first bad one. Unknown keys are refused so
 * that a typo never silently falls back to a default.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/core.h"

enum setting_type { SET_STR, SET_INT };

struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;
	size_t size;         /* SET_STR: buffer size */
	int64_t min, max;    /* SET_INT bounds, SET_STR min length */
	const char *def_str;
	int64_t def_int;
	const char *help;
};

#define STR(f, minlen, def, h) \
	{ #f, SET_STR, offsetof(struct tx_config, f), \
	  sizeof(((struct tx_config *)0)->f), minlen, 0, def, 0, h }
#define INT(f, lo, hi, def, h) \
	{ #f, SET_INT, offsetof(struct tx_config, f), 0, lo, hi, NULL, def, h }

static const struct setting settings[] = {
	STR(party, 2, "JP", "party code of the node's government"),
	STR(name, 1, "trilex node", "display name"),
	STR(listen_host, 1, "127.0.0.1", "address or host name to listen on"),
	INT(listen_port, 1, 65535, 8443, "TCP port for HTTPS"),
	STR(public_url, 0, "", "https://HOST[:PORT] the node is reached at, as"
	    " discovery names it; empty: the listen address"),
	STR(api_root, 1, "api", "path segment of the TAXII API root"),
	STR(public_key, 0, "", "Ed25519 public key of the node, hex"),
	INT(max_content_length, 1024, 1024LL * 1024 * 1024, 100LL * 1024 * 1024,
	    "largest accepted request body in bytes"),
	INT(page_max, 1, 100000, 1000, "largest page of objects a GET returns"),
	INT(page_default, 1, 100000, 100, "page size when a GET gives no limit"),
	INT(threads, 1, 256, 4, "HTTP worker threads"),
	INT(ingest_workers, 1, 64, 2, "threads that check and store partners'"
	    " big POSTs, off the HTTP threads"),
	INT(ingest_queue, 1, 4096, 16, "partners' big POSTs waiting for an"
	    " ingest worker (more: 503 with Retry-After)"),
	INT(recheck_s, 1, 86400, 30, "seconds between re-checks of stored BOMs"
	    " when new objects came in"),
	INT(max_envelope_objects, 1, 10000000, 100000,
	    "most objects in one POSTed envelope (more: 413)"),
	INT(max_bodies_in_flight, 1024, 64LL * 1024 * 1024 * 1024,
	    256LL * 1024 * 1024, "bytes of request bodies held at once by all"
	    " requests together (more: 503 with Retry-After)"),
	INT(body_memory_factor, 2, 1000, 16, "a POST of objects may take this"
	    " many times its body's length (+1 MiB) in memory (more: 413)"),
	INT(status_failures_max, 0, 1000000, 1000, "failures listed with their"
	    " reasons in a status resource (all are counted)"),
	INT(status_ttl_s, 1, 10LL * 366 * 86400, 7LL * 86400,
	    "seconds a status resource is kept (then 404)"),
	INT(log_repeat_max, 1, 1000000, 10, "log lines of one kind per"
	    " interval; the rest are counted in one \"suppressed\" line"),
	INT(log_repeat_interval_s, 1, 86400, 60,
	    "seconds of the log_repeat_max interval"),
	INT(max_connections, 64, 65536, 1024, "HTTP connections open at once"),
	INT(max_connections_per_address, 1, 65536, 64,
	    "HTTP connections open at once from one client address"),
	INT(max_pending_connections, 8, 65536, 256, "connections not yet"
	    " through their TLS handshake and request head; when full, the"
	    " oldest is closed to admit a new one"),
	INT(partner_reserved_connections, 0, 65536, 64, "connections that"
	    " only partners' certificates may take"),
	INT(head_timeout_s, 1, 3600, 10, "seconds a connection has for its TLS"
	    " handshake and each request head (and to wait between requests)"),
	INT(min_upload_rate, 0, 1LL << 30, 1024, "bytes per second a request"
	    " body must average after head_timeout_s; 0: no minimum"),
	INT(plain_http_peek_ms, 0, 60000, 2000, "milliseconds a new connection"
	    " has to send its first byte, so that plain HTTP on the HTTPS port"
	    " gets a 400 naming https://; a silent one then goes on as it is"
	    " (0: no look, plain HTTP gets an empty reply)"),
	INT(idle_timeout_s, 1, 86400, 60, "seconds a connection may send and"
	    " receive nothing"),
	INT(stream_window, 4096, 64LL << 20, 256 * 1024, "bytes of events an"
	    " alert stream reads ahead of its client (at least one alert)"),
	INT(auth_backoff_after, 0, 1000000, 5, "failed passwords for one user"
	    " name before each further try waits (0: never)"),
	INT(auth_backoff_s, 1, 3600, 1, "first wait after auth_backoff_after"
	    " failed passwords, seconds; each further failure doubles it"),
	INT(auth_backoff_max_s, 1, 86400, 300, "longest wait after failed"
	    " passwords, seconds"),
	INT(auth_lockout_after, 0, 1000000, 20, "failed passwords before an"
	    " account is locked until `trilex user unlock` (0: never)"),
	INT(auth_addr_backoff_after, 0, 1000000, 20, "failed passwords from one"
	    " address (IPv6: /64) before its tries wait (0: never)"),
	INT(auth_forget_s, 1, 30LL * 86400, 900, "seconds after which a failed"
	    " password no longer counts (lockouts stay)"),
	INT(auth_verify_max, 1, 256, 2, "password checks (Argon2id) at once;"
	    " more are refused with 503"),
	INT(landlock, 0, 1, 1, "serve: limit the process's file access to the"
	    " node's folder and system files with Landlock (0: off)"),
	STR(log_format, 1, "text", "log lines as \"text\", \"logfmt\" or"
	    " \"json\" (JSON lines)"),
	STR(log_output, 1, "stderr", "where serve logs: \"stderr\", \"syslog\""
	    " (/dev/log), \"syslog:/PATH\" (that syslog socket)"
	    " or a file (relative to the node's folder; reopened on SIGHUP)"),
	INT(log_requests, 0, 1, 1, "serve: one log line per request answered"
	    " (0: off)"),
	STR(metrics_allow, 0, "", "addresses and CIDR blocks, comma-separated,"
	    " that may GET /metrics without an account (admins always may)"),
	INT(console_session_s, 60, 30LL * 86400, 12LL * 3600, "seconds a console"
	    " session lasts after sign-in"),
	INT(console_idle_s, 60, 30LL * 86400, 3600, "seconds a console session"
	    " lasts without a request"),
	INT(delivery_backoff_min_ms, 1, 3600LL * 1000, 50, "serve: first wait"
	    " after a failed delivery to a partner, ms; each further failure"
	    " doubles it"),
	INT(delivery_backoff_max_ms, 1, 86400LL * 1000, 30000, "serve: longest"
	    " wait between deliveries to a partner that fails, ms"),
	INT(delivery_lease_ms, 300, 3600LL * 1000, 15000, "serve: how long the"
	    " serve process delivering to a partner keeps that job without"
	    " renewing it (renewed every third of it); when it dies another"
	    " process on the same database takes over within this time, ms"),
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

void tx_config_defaults(struct tx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		char *p = (char *)cfg + s->offset;
		if (s->type == SET_STR)
			snprintf(p, s->size, "%s", s->def_str);
		else if (s->offset == offsetof(struct tx_config, listen_port))
			*(int *)p = (int)s->def_int;
		else
			*(int64_t *)p = s->def_int;
	}
	snprintf(cfg->store_backend, sizeof(cfg->store_backend), "sqlite");
	cfg->store_read_max_lag_ms = 5000;
}

static tx_err set_one(struct tx_config *cfg, const struct setting *s,
		      json_t *v, struct tx_error *err)
{
	char *p = (char *)cfg + s->offset;

	if (s->type == SET_STR) {
		if (!json_is_string(v))
			return tx_error_set(err, TX_ERR_INVALID,
					    "node.json: %s: must be a string", s->name);
		size_t len = json_string_length(v);
		if (len >= s->size || (int64_t)len < s->min)
			return tx_error_set(err, TX_ERR_INVALID,
					    "node.json: %s: length must be %lld to %zu",
					    s->name, (long long)s->min, s->size - 1);
		memcpy(p, json_string_value(v), len + 1);
		return TX_OK;
	}
	if (!json_is_integer(v) || json_integer_value(v) < s->min ||
	    json_integer_value(v) > s->max)
		return tx_error_set(err, TX_ERR_INVALID,
				    "node.json: %s: must be an integer from %lld to %lld",
				    s->name, (long long)s->min, (long long)s->max);
	if (s->offset == offsetof(struct tx_config, listen_port))
		*(int *)p = (int)json_integer_value(v);
	else
		*(int64_t *)p = json_integer_value(v);
	return TX_OK;
}

/* public_url: empty, or https:// and a host (name, IPv4 or [IPv6]) with
 * an optional port; nothing else (no path, query or user). A trailing
 * slash is dropped. */
static tx_err check_public_url(char *url, struct tx_error *err)
{
	size_t n = strlen(url);
	const char *host = url + 8;

	if (n == 0)
		return TX_OK;
	if (url[n - 1] == '/')
		url[--n] = '\0';
	if (strncmp(url, "https://", 8) != 0 || *host == '\0' ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789.-:[]") != strlen(host))
		return tx_error_set(err, TX_ERR_INVALID, "node.json: public_url:"
				    " \"%s\" must be https://HOST or"
				    " https://HOST:PORT", url);
	return TX_OK;
}

/* One entry of an address list: "ADDR" or "ADDR/BITS" into a family,
 * 16 bytes and a prefix length. 0, or -1 when it is neither. */
static int parse_cidr(const char *s, size_t n, int *family,
		      unsigned char addr[16], int *bits)
{
	char buf[64], *slash;
	int64_t b;

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return -1;
	*bits = *family == AF_INET ? 32 : 128;
	if (slash != NULL) {
		if (tx_parse_int64(slash, 0, *bits, &b) != TX_OK)
			return -1;
		*bits = (int)b;
	}
	return 0;
}

/* "store": {"backend": "sqlite" | "postgres", "conninfo": "...",
 * "read_conninfo": "...", "read_max_lag_ms": N}; the conninfos are checked
 * by store_configure and store_configure_replica (libpq's parser, no
 * password). */
static tx_err set_store(struct tx_config *cfg, json_t *v, struct tx_error *err)
{
	const char *key;
	json_t *m;

	if (!json_is_object(v))
		return tx_error_set(err, TX_ERR_INVALID, "node.json: store: must be"
				    " an object {\"backend\": ..., \"conninfo\": ...}");
	json_object_foreach(v, key, m) {
		char *dst;
		size_t size;
		if (strcmp(key, "read_max_lag_ms") == 0) {
			if (!json_is_integer(m) || json_integer_value(m) < 0 ||
			    json_integer_value(m) > 86400000)
				return tx_error_set(err, TX_ERR_INVALID, "node.json:"
						    " store.read_max_lag_ms: must be"
						    " an integer from 0 to 86400000");
			cfg->store_read_max_lag_ms = json_integer_value(m);
			continue;
		}
		if (strcmp(key, "backend") == 0) {
			dst = cfg->store_backend;
			size = sizeof(cfg->store_backend);
		} else if (strcmp(key, "conninfo") == 0) {
			dst = cfg->store_conninfo;
			size = sizeof(cfg->store_conninfo);
		} else if (strcmp(key, "read_conninfo") == 0) {
			dst = cfg->store_read_conninfo;
			size = sizeof(cfg->store_read_conninfo);
		} else {
			return tx_error_set(err, TX_ERR_INVALID, "node.json: store.%s:"
					    " unknown setting", key);
		}
		if (!json_is_string(m) || json_string_length(m) >= size)
			return tx_error_set(err, TX_ERR_INVALID, "node.json: store.%s:"
					    " must be a string shorter than %zu",
					    key, size);
		memcpy(dst, json_string_value(m), json_string_length(m) + 1);
	}
	if (strcmp(cfg->store_backend, "sqlite") != 0 &&
	    strcmp(cfg->store_backend, "postgres") != 0)
		return tx_error_set(err, TX_ERR_INVALID, "node.json: store.backend:"
				    " \"%s\" must be \"sqlite\" or \"postgres\"",
				    cfg->store_backend);
	if (strcmp(cfg->store_backend, "postgres") == 0 && !cfg->store_conninfo[0])
		return tx_error_set(err, TX_ERR_INVALID, "node.json: store.conninfo:"
				    " required with the postgres backend");
	if (strcmp(cfg->store_backend, "postgres") != 0 && cfg->store_read_conninfo[0])
		return tx_error_set(err, TX_ERR_INVALID, "node.json:"
				    " store.read_conninfo: a read replica needs the"
				    " postgres backend");
	return TX_OK;
}

static int prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[whole] ^ b[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int tx_config_addr_allowed(const char *list, const char *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
						  0xff, 0xff };
	unsigned char have[16], want[16];
	int family, fam, bits;
	const char *p = list;

	if (addr == NULL || list == NULL ||
	    strchr(addr, '/') != NULL || /* an address, not a block */
	    parse_cidr(addr, strlen(addr), &family, have, &bits) != 0)
		return 0;
	if (family == AF_INET6 && memcmp(have, mapped, 12) == 0) {
		memmove(have, have + 12, 4);
		memset(have + 4, 0, 12);
		family = AF_INET;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		if (parse_cidr(p, n, &fam, want, &bits) == 0 && fam == family &&
		    prefix_equal(have, want, bits))
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* log_format is one of its three; every entry of metrics_allow parses. */
static tx_err check_ops(const struct tx_config *cfg, struct tx_error *err)
{
	const char *p = cfg->metrics_allow;
	unsigned char a[16];
	int fam, bits;

	if (strcmp(cfg->log_format, "text") != 0 &&
	    strcmp(cfg->log_format, "logfmt") != 0 &&
	    strcmp(cfg->log_format, "json") != 0)
		return tx_error_set(err, TX_ERR_INVALID, "node.json: log_format:"
				    " \"%s\" must be \"text\", \"logfmt\" or"
				    " \"json\"", cfg->log_format);
	while (*p) {
		size_t n;
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, ",");
		if (parse_cidr(p, n, &fam, a, &bits) != 0)
			return tx_error_set(err, TX_ERR_INVALID, "node.json:"
					    " metrics_allow: \"%.*s\" is not an"
					    " address or ADDRESS/BITS", (int)n, p);
		p += n;
		if (*p == ',')
			p++;
	}
	return TX_OK;
}

int tx_party_valid(const char *p)
{
	size_t n = p ? strnlen(p, 8) : 0;

	if (n < 2 || n > 7)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 'A' || p[i] > 'Z')
			return 0;
	return 1;
}

static tx_err check_party(const char *party, struct tx_error *err)
{
	if (tx_party_valid(party))
		return TX_OK;
	return tx_error_set(err, TX_ERR_INVALID,
			    "party: \"%s\" must be 2 to 7 upper-case letters", party);
}

tx_err tx_config_load(const char *dir, struct tx_config *cfg,
		      struct tx_error *err)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *root, *v;
	const char *key;
	tx_err rc = TX_OK;

	tx_config_defaults(cfg);
	if (tx_path_join(path, sizeof(path), dir, "node.json") != TX_OK)
		return tx_error_set(err, TX_ERR_TOOBIG, "%s: path too long", dir);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return tx_error_set(err, TX_ERR_IO, "%s:%d: %s", path, jerr.line,
				    jerr.text);
	if (!json_is_object(root)) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s: not a JSON object", path);
		goto out;
	}
	json_object_foreach(root, key, v) {
		size_t i;
		if (strcmp(key, "store") == 0) {
			if ((rc = set_store(cfg, v, err)) != TX_OK)
				goto out;
			continue;
		}
		for (i = 0; i < N_SETTINGS; i++)
			if (strcmp(settings[i].name, key) == 0)
				break;
		if (i == N_SETTINGS) {
			rc = tx_error_set(err, TX_ERR_INVALID,
					  "%s: %s: unknown setting", path, key);
			goto out;
		}
		if ((rc = set_one(cfg, &settings[i], v, err)) != TX_OK)
			goto out;
	}
	rc = check_party(cfg->party, err);
	if (rc == TX_OK)
		rc = check_public_url(cfg->public_url, err);
	if (rc == TX_OK)
		rc = check_ops(cfg, err);
	if (rc == TX_OK && cfg->page_default > cfg->page_max)
		rc = tx_error_set(err, TX_ERR_INVALID,
				  "node.json: page_default: larger than page_max");
	if (rc == TX_OK && cfg->max_bodies_in_flight < cfg->max_content_length)
		rc = tx_error_set(err, TX_ERR_INVALID, "node.json:"
				  " max_bodies_in_flight: smaller than"
				  " max_content_length (no body that size could"
				  " ever be taken)");
	if (rc == TX_OK && cfg->max_pending_connections +
			   cfg->partner_reserved_connections >= cfg->max_connections)
		rc = tx_error_set(err, TX_ERR_INVALID, "node.json:"
				  " max_pending_connections + partner_reserved_connections:"
				  " must leave room below max_connections");
out:
	json_decref(root);
	return rc;
}

tx_err tx_config_save(const char *dir, const struct tx_config *cfg,
		      struct tx_error *err)
{
	char path[PATH_MAX];
	json_t *root = json_object();
	char *text = NULL;
	tx_err rc;

	if (root == NULL)
		return TX_ERR_NOMEM;
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		const char *p = (const char *)cfg + s->offset;
		json_t *v;
		if (s->type == SET_STR)
			v = json_string(p);
		else if (s->offset == offsetof(struct tx_config, listen_port))
			v = json_integer(*(const int *)p);
		else
			v = json_integer(*(const int64_t *)p);
		if (v == NULL || json_object_set_new(root, s->name, v) != 0) {
			json_decref(root);
			return TX_ERR_NOMEM;
		}
	}
	if (strcmp(cfg->store_backend, "sqlite") != 0) {
		json_t *store = json_pack("{s:s, s:s}", "backend", cfg->store_backend,
					  "conninfo", cfg->store_conninfo);
		if (store != NULL && cfg->store_read_conninfo[0] &&
		    (json_object_set_new(store, "read_conninfo", json_string(
				cfg->store_read_conninfo)) != 0 ||
		     json_object_set_new(store, "read_max_lag_ms", json_integer(
				cfg->store_read_max_lag_ms)) != 0)) {
			json_decref(store);
			store = NULL;
		}
		if (store == NULL || json_object_set_new(root, "store", store) != 0) {
			json_decref(root);
			return TX_ERR_NOMEM;
		}
	}
	text = tx_json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (text == NULL)
		return TX_ERR_NOMEM;
	if (tx_path_join(path, sizeof(path), dir, "node.json") != TX_OK)
		rc = tx_error_set(err, TX_ERR_TOOBIG, "%s: path too long", dir);
	else
		rc = tx_write_file(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

tx_err tx_config_set_listen(struct tx_config *cfg, const char *spec,
			    struct tx_error *err)
{
	const char *colon, *host = NULL;
	size_t host_len = 0;
	int64_t port;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		host = spec + 1;
		host_len = (size_t)(close - host);
		colon = close + 1;
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		if (strchr(spec, ':') != colon)
			goto bad; /* bare IPv6 needs brackets */
		host = spec;
		host_len = (size_t)(colon - spec);
	} else {
		colon = spec - 1;
	}
	if (tx_parse_int64(colon + 1, 1, 65535, &port) != TX_OK)
		goto bad;
	if (host != NULL) {
		if (host_len == 0 || host_len >= sizeof(cfg->listen_host))
			goto bad;
		memcpy(cfg->listen_host, host, host_len);
		cfg->listen_host[host_len] = '\0';
	}
	cfg->listen_port = (int)port;
	return TX_OK;
bad:
	return tx_error_set(err, TX_ERR_INVALID,
			    "--listen: \"%s\" is not HOST:PORT, [IPV6]:PORT or PORT",
			    spec);
}

int tx_node_identity_id(const struct tx_config *cfg, char out[64])
{
	char uuid[TX_UUID_BUF];
	size_t n = strlen(cfg->public_key);

	out[0] = '\0';
	if (n == 0)
		return -1;
	tx_uuid5(tx_uuid_ns_trilex, cfg->public_key, n, uuid);
	snprintf(out, 64, "identity--%s", uuid);
	return 0;
}
