/* tests/integration/harness.c: see harness.h. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "harness.h"

static const char *bin(void)
{
	const char *b = getenv("TRILEX_BIN");

	return b ? b : "build/trilex";
}

const char *shared_path(const char *rel, char *buf, size_t n)
{
	const char *root = getenv("TRILEX_SHARED");
	struct stat sb;

	snprintf(buf, n, "%s/%s", root ? root : "../shared", rel);
	if (stat(buf, &sb) != 0) {
		fprintf(stderr, "skip: %s is absent (shared/ is not beside this"
			" checkout)\n", buf);
		return NULL;
	}
	return buf;
}

const char *testdata_path(const char *rel, char *buf, size_t n)
{
	const char *root = getenv("TRILEX_TESTDATA");

	snprintf(buf, n, "%s/%s", root ? root : "tests/data", rel);
	return buf;
}

char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long sz;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)sz + 1)) != NULL) {
		if (fread(p, 1, (size_t)sz, f) != (size_t)sz) {
			free(p);
			p = NULL;
		} else {
			p[sz] = '\0';
			if (len)
				*len = (size_t)sz;
		}
	}
	fclose(f);
	return p;
}

/* Read all of fd into a string. */
static char *drain(int fd)
{
	size_t len = 0, cap = 4096;
	char *p = malloc(cap);
	ssize_t r;

	while (p && (r = read(fd, p + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (cap - len < 2048) {
			char *q = realloc(p, cap *= 2);
			if (q == NULL) {
				free(p);
				return NULL;
			}
			p = q;
		}
	}
	if (p)
		p[len] = '\0';
	return p;
}

/* argv (64 slots) for the binary with args (NULL-terminated). */
static void make_argv(const char *const *args, const char **argv)
{
	int n = 0;

	argv[n++] = bin();
	for (; args[n - 1] && n < 63; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
}

int run_trilex(const char *const *args, const char *stdin_text, char **out,
	       char **err)
{
	char ofile[] = "/tmp/trilex-out-XXXXXX", efile[] = "/tmp/trilex-err-XXXXXX";
	int in[2], ofd = mkstemp(ofile), efd = mkstemp(efile), status = -1;
	const char *argv[64];
	pid_t pid;

	make_argv(args, argv);
	if (ofd < 0 || efd < 0 || pipe(in) != 0)
		return -1;
	unlink(ofile);
	unlink(efile);
	if ((pid = fork()) == 0) {
		dup2(in[0], 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		close(in[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	if (stdin_text && write(in[1], stdin_text, strlen(stdin_text)) < 0)
		perror("write");
	close(in[1]);
	waitpid(pid, &status, 0);
	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	if (out)
		*out = drain(ofd);
	if (err)
		*err = drain(efd);
	close(ofd);
	close(efd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

pid_t spawn_trilex(const char *const *args, const char *out_path,
		   const char *err_path)
{
	const char *argv[64];
	pid_t pid;

	make_argv(args, argv);
	if ((pid = fork()) == 0) {
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int z = open("/dev/null", O_RDONLY);
		if (o < 0 || e < 0 || z < 0)
			_exit(126);
		dup2(z, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/*
 * A port for a node, held for this test process's life. Two races made
 * the old "bind port 0, close, let serve bind it later" flaky when tests
 * run in parallel: another test could be given the same port in between,
 * and any outgoing connection could take it as its local port. So: ports
 * come from below the kernel's ephemeral range (no connection is given
 * one), each is claimed with an flock on /tmp/trilex-test-ports/PORT that
 * the process keeps (other test processes skip it; the lock ends with the
 * process, however it ends), and it must be bindable when claimed.
 */
int harness_port(void)
{
	static unsigned seed;
	int lo = 10000, hi = 32768;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	if (f != NULL) {
		int a, b;
		if (fscanf(f, "%d %d", &a, &b) == 2 && a > lo + 1000)
			hi = a;
		fclose(f);
	}
	if (seed == 0)
		seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	mkdir("/tmp/trilex-test-ports", 0777);
	for (int attempt = 0; attempt < 500; attempt++) {
		char lock[64];
		int port = lo + (int)(rand_r(&seed) % (unsigned)(hi - lo)), one = 1;
		snprintf(lock, sizeof(lock), "/tmp/trilex-test-ports/%d", port);
		int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
		if (lfd < 0)
			continue;
		if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
			close(lfd);
			continue;
		}
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons((uint16_t)port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int ok = fd >= 0 &&
			 setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
			 bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (fd >= 0)
			close(fd);
		if (ok)
			return port; /* lfd stays open: the claim lasts */
		close(lfd);
	}
	return -1;
}

static int must(const char *const *args, const char *in, char *out, size_t n)
{
	char *o = NULL, *e = NULL;
	int rc = run_trilex(args, in, &o, &e);

	if (rc != 0)
		fprintf(stderr, "trilex %s %s failed (%d): %s\n", args[0],
			args[1] ? args[1] : "", rc, e ? e : "");
	if (out && o)
		snprintf(out, n, "%.*s", (int)strcspn(o, "\n"), o);
	free(o);
	free(e);
	return rc;
}

/*
 * With TRILEX_TEST_PG (a conninfo of a private server: tests/pg/with-postgres),
 * every node gets a database of its own there, named in its node.json.
 */
static int use_postgres(struct node *n)
{
	static int seq;
	const char *base = getenv("TRILEX_TEST_PG");
	char db[64], sql[128], conninfo[1024], path[PATH_MAX + 16];
	PGconn *c;
	PGresult *res;
	json_t *cfg, *store;
	int ok;

	if (base == NULL || *base == '\0')
		return 0;
	snprintf(db, sizeof(db), "node_%ld_%d", (long)getpid(), ++seq);
	if ((c = PQconnectdb(base)) == NULL || PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "TRILEX_TEST_PG: %s\n", c ? PQerrorMessage(c) : "?");
		PQfinish(c);
		return -1;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	res = PQexec(c, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "TRILEX_TEST_PG: %s", PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(c);
	if (!ok)
		return -1;
	snprintf(conninfo, sizeof(conninfo), "%s dbname=%s", base, db);
	snprintf(path, sizeof(path), "%s/node.json", n->dir);
	cfg = json_load_file(path, 0, NULL);
	store = json_pack("{s:s, s:s}", "backend", "postgres", "conninfo", conninfo);
	ok = cfg != NULL && store != NULL &&
	     json_object_set_new(cfg, "store", store) == 0 &&
	     json_dump_file(cfg, path, JSON_INDENT(2)) == 0;
	json_decref(cfg);
	return ok ? 0 : -1;
}

int node_create(struct node *n, const char *extra)
{
	return node_create_as(n, "JP", extra);
}

int node_create_as(struct node *n, const char *party, const char *extra)
{
	char tmpl[] = "/tmp/trilex-node-XXXXXX", listen[32], path[PATH_MAX + 16];

	memset(n, 0, sizeof(*n));
	snprintf(n->party, sizeof(n->party), "%s", party);
	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(n->dir, sizeof(n->dir), "%s/node", tmpl);
	tx_strfmt(n->cacert, sizeof(n->cacert), "%s/tls/cert.pem", n->dir);
	n->port = harness_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", n->port);
	snprintf(n->base, sizeof(n->base), "https://127.0.0.1:%d", n->port);
	{
		const char *a[] = { "init", "--dir", n->dir, "--party", party,
				    "--name", "test node", "--listen", listen, NULL };
		if (must(a, NULL, NULL, 0) || use_postgres(n))
			return -1;
	}
	{
		const char *a[] = { "user", "add", "--dir", n->dir, "--name", "admin",
				    "--password-stdin", "--admin", NULL };
		const char *b[] = { "user", "add", "--dir", n->dir, "--name", "reader",
				    "--password-stdin", NULL };
		const char *c[] = { "user", "add", "--dir", n->dir, "--name", "nobody",
				    "--password-stdin", NULL };
		if (must(a, ADMIN_PASSWORD "\n", NULL, 0) ||
		    must(b, READER_PASSWORD "\n", NULL, 0) ||
		    must(c, NOBODY_PASSWORD "\n", NULL, 0))
			return -1;
	}
	{
		/* shared with every partner: the federation tests deliver it */
		const char *a[] = { "collection", "add", "--dir", n->dir, "--title",
				    "Main", "--alias", "main", "--share",
				    "partners", NULL };
		if (must(a, NULL, n->coll, sizeof(n->coll)))
			return -1;
		const char *b[] = { "grant", "--dir", n->dir, "--user", "reader",
				    "--collection", n->coll, "--read", NULL };
		const char *c[] = { "token", "create", "--dir", n->dir, "--user",
				    "admin", NULL };
		if (must(b, NULL, NULL, 0) || must(c, NULL, n->token, sizeof(n->token)))
			return -1;
	}
	if (extra != NULL) {
		/* Merge extra members into node.json. */
		json_t *cfg, *add;
		char buf[1024];
		snprintf(path, sizeof(path), "%s/node.json", n->dir);
		snprintf(buf, sizeof(buf), "{%s}", extra);
		cfg = json_load_file(path, 0, NULL);
		add = json_loads(buf, 0, NULL);
		if (cfg == NULL || add == NULL || json_object_update(cfg, add) ||
		    json_dump_file(cfg, path, JSON_INDENT(2)))
			return -1;
		json_decref(cfg);
		json_decref(add);
	}
	return 0;
}

int node_start(struct node *n)
{
	char log[PATH_MAX + 16];
	struct http_resp r;

	snprintf(log, sizeof(log), "%s/serve.log", n->dir);
	pid_t parent = getpid();
	if ((n->pid = fork()) == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		/* A test that fails an assertion jumps past its node_stop; the
		 * node then ends with the test program instead of serving on
		 * (seen after make sanitize: three nodes left behind). */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
			_exit(126);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin(), bin(), "serve", "--dir", n->dir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		struct timespec ts = { 0, 25 * 1000 * 1000 };
		int status;
		if (waitpid(n->pid, &status, WNOHANG) == n->pid) {
			fprintf(stderr, "trilex serve exited early; see %s\n", log);
			n->pid = 0;
			return -1;
		}
		if (http(n, "GET", "/taxii2/", "token", NULL, NULL, NULL, 0, &r) == 0 &&
		    r.status == 200) {
			http_free(&r);
			return 0;
		}
		http_free(&r);
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* Whether the server's log holds a sanitizer report; prints it if so. */
static int log_has_sanitizer_report(const struct node *n)
{
	char log[PATH_MAX + 16];
	char *text;
	int bad;

	snprintf(log, sizeof(log), "%s/serve.log", n->dir);
	if ((text = slurp(log, NULL)) == NULL)
		return 0;
	bad = strstr(text, "Sanitizer") != NULL ||
	      strstr(text, "runtime error:") != NULL;
	if (bad)
		fprintf(stderr, "--- %s ---\n%s\n", log, text);
	free(text);
	return bad;
}

int node_stop(struct node *n)
{
	int status = 0;

	if (n->pid <= 0)
		return -1;
	kill(n->pid, SIGTERM);
	waitpid(n->pid, &status, 0);
	n->pid = 0;
	if (log_has_sanitizer_report(n))
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void node_kill(struct node *n)
{
	if (n->pid <= 0)
		return;
	kill(n->pid, SIGKILL);
	waitpid(n->pid, NULL, 0);
	n->pid = 0;
}

void node_destroy(struct node *n)
{
	char cmd[PATH_MAX + 32];
	char *slash;

	if (n->pid > 0)
		node_kill(n);
	if (n->dir[0] == '\0')
		return;
	slash = strrchr(n->dir, '/');
	if (slash)
		*slash = '\0';
	if (strncmp(n->dir, "/tmp/trilex-node-", 17) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", n->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", n->dir);
	}
	n->dir[0] = '\0';
}

struct sink {
	char *p;
	size_t len;
};

static size_t on_body(char *d, size_t s, size_t m, void *cls)
{
	struct sink *k = cls;
	char *q = realloc(k->p, k->len + s * m + 1);

	if (q == NULL)
		return 0;
	k->p = q;
	memcpy(k->p + k->len, d, s * m);
	k->len += s * m;
	k->p[k->len] = '\0';
	return s * m;
}

static size_t on_header(char *d, size_t s, size_t m, void *cls)
{
	char *h = cls;
	size_t have = strlen(h), n = s * m;

	if (have + n < 4095) {
		memcpy(h + have, d, n);
		h[have + n] = '\0';
	}
	return n;
}

static const char *client_cert_dir;

int http_cert(const struct node *n, const char *cert_dir, const char *method,
	      const char *path, const char *body, struct http_resp *r)
{
	int rc;

	client_cert_dir = cert_dir;
	rc = http(n, method, path, NULL, NULL, NULL, body, body ? strlen(body) : 0,
		  r);
	client_cert_dir = NULL;
	return rc;
}

int http(const struct node *n, const char *method, const char *path,
	 const char *auth, const char *accept, const char *ctype,
	 const char *body, size_t len, struct http_resp *r)
{
	struct curl_slist *h = NULL;
	struct sink k = { 0 };
	char url[4096], line[512];
	CURL *c = curl_easy_init();
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	if (c == NULL)
		return -1;
	snprintf(url, sizeof(url), "%s%s", n->base, path);
	if (!accept)
		accept = "application/taxii+json;version=2.1";
	if (*accept) {
		snprintf(line, sizeof(line), "Accept: %s", accept);
		h = curl_slist_append(h, line);
	} else {
		h = curl_slist_append(h, "Accept:");
	}
	if (body) {
		snprintf(line, sizeof(line), "Content-Type: %s",
			 ctype ? ctype : "application/taxii+json;version=2.1");
		h = curl_slist_append(h, line);
	}
	if (auth && strcmp(auth, "token") == 0) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", n->token);
		h = curl_slist_append(h, line);
	} else if (auth && strchr(auth, ':') != NULL) {
		/* "user:password", any of them */
		curl_easy_setopt(c, CURLOPT_USERPWD, auth);
	} else if (auth) {
		const char *pw = strcmp(auth, "admin") == 0 ? ADMIN_PASSWORD :
				 strcmp(auth, "reader") == 0 ? READER_PASSWORD :
				 strcmp(auth, "nobody") == 0 ? NOBODY_PASSWORD :
							       "wrong password";
		curl_easy_setopt(c, CURLOPT_USERNAME,
				 strcmp(auth, "bad") == 0 ? "admin" : auth);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pw);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, n->cacert);
	if (client_cert_dir) {
		char cert[PATH_MAX + 32], key[PATH_MAX + 32];
		snprintf(cert, sizeof(cert), "%s/tls/cert.pem", client_cert_dir);
		snprintf(key, sizeof(key), "%s/tls/key.pem", client_cert_dir);
		curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	r->body = k.p;
	r->len = k.len;
	if (r->body)
		r->json = json_loadb(r->body, r->len, 0, NULL);
	return cc == CURLE_OK ? 0 : -1;
}

void http_free(struct http_resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

const char *http_header(const struct http_resp *r, const char *name,
			char *buf, size_t n)
{
	size_t nl = strlen(name);

	for (const char *p = r->headers; *p;) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		if (ll > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = (size_t)(p + ll - v);
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
				vl--;
			snprintf(buf, n, "%.*s", (int)vl, v);
			return buf;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return NULL;
}

json_t *make_indicator(int i, const char *modified)
{
	char id[80], pattern[80];

	snprintf(id, sizeof(id), "indicator--00000000-0000-4000-8000-%012d", i);
	snprintf(pattern, sizeof(pattern), "[ipv4-addr:value = '10.%d.%d.%d']",
		 (i >> 16) & 255, (i >> 8) & 255, i & 255);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "type", "indicator", "spec_version", "2.1", "id", id,
			 "created", "2024-01-01T00:00:00.000Z", "modified",
			 modified ? modified : "2024-01-01T00:00:00.000Z",
			 "name", "test indicator", "pattern", pattern,
			 "pattern_type", "stix", "valid_from",
			 "2024-01-01T00:00:00Z");
}

int node_pair(struct node *a, struct node *b)
{
	struct node *ends[2] = { a, b };

	for (int i = 0; i < 2; i++) {
		struct node *from = ends[i], *to = ends[1 - i];
		char card[PATH_MAX + 32], *out = NULL;
		FILE *f;
		const char *exp[] = { "peer", "export", "--dir", from->dir, NULL };
		if (run_trilex(exp, NULL, &out, NULL) != 0 || out == NULL)
			return -1;
		snprintf(card, sizeof(card), "%s/../card-%s.json", to->dir, from->party);
		if ((f = fopen(card, "w")) == NULL)
			return -1;
		fputs(out, f);
		fclose(f);
		free(out);
		const char *add[] = { "peer", "add", "--dir", to->dir, card, NULL };
		if (must(add, NULL, NULL, 0) != 0)
			return -1;
	}
	return 0;
}

int wait_for(int (*fn)(const struct node *, void *), const struct node *n,
	     void *arg, int ms)
{
	int r = 0;

	for (int t = 0; t <= ms; t += 20) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		if ((r = fn(n, arg)) != 0)
			return r;
		nanosleep(&ts, NULL);
	}
	return r;
}

int count_objects(const struct node *n, const char *collection,
		  const char *query)
{
	char path[1024], next[128] = "";
	struct http_resp r;
	int total = 0;

	for (;;) {
		snprintf(path, sizeof(path), "/api/collections/%s/manifest/?limit=1000"
			 "%s%s%s%s", collection, query ? "&" : "", query ? query : "",
			 next[0] ? "&next=" : "", next);
		if (http(n, "GET", path, "token", NULL, NULL, NULL, 0, &r) != 0 ||
		    r.status != 200) {
			http_free(&r);
			return -1;
		}
		total += (int)json_array_size(json_object_get(r.json, "objects"));
		if (!json_is_true(json_object_get(r.json, "more"))) {
			http_free(&r);
			return total;
		}
		snprintf(next, sizeof(next), "%s",
			 json_string_value(json_object_get(r.json, "next")));
		http_free(&r);
	}
}

long node_versions(const char *dir)
{
	const char *info[] = { "info", "--dir", dir, NULL };
	char *out = NULL;
	long v = -1;

	if (run_trilex(info, NULL, &out, NULL) == 0 && out) {
		const char *p = strstr(out, "object versions:");
		if (p)
			v = strtol(p + 16, NULL, 10);
	}
	free(out);
	return v;
}

pid_t push_started(const struct node *n, int first, int total, int batch,
		   long base)
{
	char path[PATH_MAX + 16], outp[PATH_MAX + 16], errp[PATH_MAX + 16];
	char bid[80], nb[16];
	json_t *objs = json_array(), *bundle;
	pid_t pid;

	for (int i = 0; i < total; i++)
		json_array_append_new(objs, make_indicator(first + i, NULL));
	snprintf(bid, sizeof(bid), "bundle--00000000-0000-4000-8000-%012d", first);
	bundle = json_pack("{s:s, s:s, s:o}", "type", "bundle", "id", bid,
			   "objects", objs);
	snprintf(path, sizeof(path), "%s/push-%d.json", n->dir, first);
	snprintf(outp, sizeof(outp), "%s/push.out", n->dir);
	snprintf(errp, sizeof(errp), "%s/push.err", n->dir);
	snprintf(nb, sizeof(nb), "%d", batch);
	if (bundle == NULL || json_dump_file(bundle, path, 0) != 0) {
		json_decref(bundle);
		return -1;
	}
	json_decref(bundle);
	const char *push[] = { "push", "--dir", n->dir, "--collection", "main",
			       "--batch", nb, path, NULL };
	if ((pid = spawn_trilex(push, outp, errp)) <= 0)
		return -1;
	for (int i = 0; i < 400; i++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		if (node_versions(n->dir) > base)
			return pid;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

int node_sql(const struct node *n, const char *sql)
{
	char db[PATH_MAX + 16];
	sqlite3 *h = NULL;
	int rc;

	snprintf(db, sizeof(db), "%s/trilex.db", n->dir);
	if ((rc = sqlite3_open(db, &h)) == SQLITE_OK) {
		sqlite3_busy_timeout(h, 60000);
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s: %s\n", db, sql, sqlite3_errmsg(h));
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}
