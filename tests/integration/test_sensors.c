/*
 * Sensors end to end (issue 18): warning lists imported, listed and
 * flagging indicators in `get --warn` and `match`; exports for Suricata,
 * Zeek, CSV and plain IOC lists, parsed by their formats' own rules; IOC
 * lists in. Real nodes made with the binary; the real MISP lists of
 * ../shared/data/warninglists where present (skipped, saying so, when not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static struct node N;

/* Run trilex; assert its exit code; return stdout (caller frees). */
static char *cli(int want, const char *const *args, char **err_out)
{
	char *out = NULL, *err = NULL, *text;
	int rc = run_trilex(args, NULL, &out, &err);

	if (rc != want)
		fprintf(stderr, "trilex %s %s: exit %d (wanted %d): %s\n", args[0],
			args[1], rc, want, err ? err : "");
	assert_int_equal(rc, want);
	if (err_out)
		*err_out = err;
	else
		free(err);
	/* A copy: once cli is inlined, a release build's -Wdangling-pointer
	 * takes out (whose address run_trilex had) for a pointer to itself. */
	text = out ? strdup(out) : NULL;
	assert_true(out == NULL || text != NULL);
	free(out);
	return text;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define IND(n) "indicator--5e000000-0000-4000-8000-0000000000" #n

/* An indicator object's JSON text. */
static void indicator(char *out, size_t n, const char *id, const char *pattern,
		      const char *extra)
{
	tx_strfmt(out, n, "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
		 "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
		 "\"pattern\":\"%s\",\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\"%s}",
		 id, pattern, extra ? extra : "");
}

static void push_objects(const struct node *n, const char *coll, const char *const *objs)
{
	char path[PATH_MAX], *text;
	size_t len = 0, cap = 1 << 16;
	const char *args[] = { "push", "--dir", n->dir, "--collection", coll, path, NULL };

	text = malloc(cap);
	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "{\"type\":\"bundle\",\"id\":\"bundle--"
			       "5e000000-0000-4000-8000-000000000000\",\"objects\":[");
	for (size_t i = 0; objs[i]; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s%s", i ? "," : "", objs[i]);
	snprintf(text + len, cap - len, "]}");
	tx_strfmt(path, sizeof(path), "%s/push-%d.json", n->dir, (int)getpid());
	write_file(path, text);
	free(text);
	free(cli(0, args, NULL));
}

static int setup(void **state)
{
	return node_create(&N, NULL);
}

static int teardown(void **state)
{
	node_destroy(&N);
	return 0;
}

/* The lists an object of a --warn bundle is flagged with, "|"-joined. */
static void flags_of(const json_t *bundle, const char *id, char *out, size_t n)
{
	size_t i, k, j;
	const json_t *o, *h, *l;

	out[0] = '\0';
	json_array_foreach(json_object_get(bundle, "objects"), i, o) {
		if (strcmp(json_string_value(json_object_get(o, "id")), id) != 0)
			continue;
		json_array_foreach(json_object_get(o, "x_trilex_warnings"), k, h)
			json_array_foreach(json_object_get(h, "lists"), j, l) {
				size_t len = strlen(out);
				tx_strfmt(out + len, n - len, "%s%s=%s", len ? "|" : "",
					 json_string_value(json_object_get(h, "value")),
					 json_string_value(l));
			}
	}
}

static void test_warninglists(void **state)
{
	char wl[PATH_MAX], p1[PATH_MAX + 16], p2[PATH_MAX + 16], p3[PATH_MAX + 16];
	char i1[512], i2[512], i3[512], i4[512], flags[512], eve[PATH_MAX];
	char *out, *err;
	json_t *j;

	tx_strfmt(wl, sizeof(wl), "%s/wl", N.dir);
	assert_int_equal(mkdir(wl, 0700), 0);
	tx_strfmt(p1, sizeof(p1), "%s/private.json", wl);
	tx_strfmt(p2, sizeof(p2), "%s/short.json", wl);
	tx_strfmt(p3, sizeof(p3), "%s/broken.json", wl);
	write_file(p1, "{\"name\":\"Private nets\",\"type\":\"cidr\",\"version\":3,"
		   "\"list\":[\"10.0.0.0/8\",\"192.168.0.0/16\",\"not-a-net\"],"
		   "\"matching_attributes\":[\"ip-src\",\"ip-dst\"]}");
	write_file(p2, "{\"name\":\"Shorteners\",\"type\":\"hostname\",\"list\":[\"bit.ly\"],"
		   "\"matching_attributes\":[\"domain\",\"hostname\",\"url\"]}");
	write_file(p3, "{\"type\":\"cidr\",\"list\":[]}");
	{
		/* the bad list is named and skipped; the good ones are stored */
		const char *a[] = { "warninglist", "import", "--dir", N.dir, wl, NULL };
		out = cli(3, a, &err);
		assert_non_null(strstr(err, "broken.json: name: missing or not a string"));
		assert_non_null(strstr(err, "private.json: 1 entries left out (list[2]: not an"
					    " IPv4 or IPv6 address or CIDR)"));
		assert_non_null(strstr(out, "2 lists (3 entries): 2 added"));
		free(out);
		free(err);
		/* again: nothing new */
		const char *b[] = { "warninglist", "import", "--dir", N.dir, p1, p2, NULL };
		out = cli(0, b, NULL);
		assert_non_null(strstr(out, "0 added, 2 already present"));
		free(out);
	}
	{
		const char *a[] = { "warninglist", "list", "--dir", N.dir, "--json", NULL };
		out = cli(0, a, NULL);
		assert_non_null(strstr(out, "\"name\":\"Private nets\""));
		assert_non_null(strstr(out, "\"type\":\"cidr\""));
		assert_non_null(strstr(out, "\"entries\":3"));
		assert_non_null(strstr(out, "\"tlp\":\"clear\""));
		assert_non_null(strstr(out, "\"name\":\"Shorteners\""));
		free(out);
	}
	indicator(i1, sizeof(i1), IND(01), "[ipv4-addr:value = '10.1.2.3']", NULL);
	indicator(i2, sizeof(i2), IND(02), "[domain-name:value IN ('evil.example', 'x.bit.ly')]",
		  NULL);
	indicator(i3, sizeof(i3), IND(03), "[ipv4-addr:value = '203.0.113.9']", NULL);
	indicator(i4, sizeof(i4), IND(04), "[url:value = 'http://bit.ly/abc']", NULL);
	const char *objs[] = { i1, i2, i3, i4, NULL };
	push_objects(&N, "main", objs);
	{
		const char *a[] = { "get", "--dir", N.dir, "--collection", "main", "--type",
				    "indicator", "--warn", NULL };
		out = cli(0, a, &err);
		j = json_loads(out, 0, NULL);
		assert_non_null(j);
		flags_of(j, IND(01), flags, sizeof(flags));
		assert_string_equal(flags, "10.1.2.3=Private nets");
		flags_of(j, IND(02), flags, sizeof(flags));
		assert_string_equal(flags, "x.bit.ly=Shorteners");
		flags_of(j, IND(03), flags, sizeof(flags));
		assert_string_equal(flags, "");
		flags_of(j, IND(04), flags, sizeof(flags));
		assert_string_equal(flags, "http://bit.ly/abc=Shorteners");
		assert_non_null(strstr(err, IND(01) ": \"10.1.2.3\" is on the warning list"
						    " \"Private nets\""));
		assert_non_null(strstr(err, "3 indicators flagged by 2 warning lists"));
		json_decref(j);
		free(out);
		free(err);
		/* without --warn the objects are as stored */
		const char *b[] = { "get", "--dir", N.dir, "--collection", "main", "--type",
				    "indicator", NULL };
		out = cli(0, b, NULL);
		assert_null(strstr(out, "x_trilex_warnings"));
		free(out);
	}
	{
		/* match: a flagged indicator's match says so, the other's not */
		tx_strfmt(eve, sizeof(eve), "%s/eve.json", N.dir);
		write_file(eve, "{\"timestamp\":\"2024-05-01T10:00:00.000000+0000\",\"event_type\":"
			   "\"flow\",\"src_ip\":\"10.1.2.3\",\"src_port\":1,\"dest_ip\":"
			   "\"203.0.113.9\",\"dest_port\":80,\"proto\":\"TCP\"}\n");
		const char *a[] = { "match", "--dir", N.dir, eve, NULL };
		out = cli(0, a, NULL);
		char *l1 = strstr(out, IND(01)), *l3 = strstr(out, IND(03));
		assert_non_null(l1);
		assert_non_null(l3);
		char *e1 = strchr(l1, '\n'), *e3 = strchr(l3, '\n');
		assert_non_null(e1);
		assert_non_null(e3);
		*e1 = *e3 = '\0';
		assert_non_null(strstr(l1, "\"warnings\":[{\"value\":\"10.1.2.3\",\"lists\":"
					   "[\"Private nets\"]}]"));
		assert_null(strstr(l3, "warnings"));
		*e1 = *e3 = '\n';
		assert_non_null(strstr(out, "\"warned\":1"));
		free(out);
	}
}

/* The 21 lists MISP ships, imported and listed. */
static void test_real_warninglists(void **state)
{
	char dir[PATH_MAX], i1[512];
	char *out;

	if (shared_path("data/warninglists", dir, sizeof(dir)) == NULL) {
		print_message("../shared/data/warninglists is absent: skipped\n");
		skip();
	}
	const char *a[] = { "warninglist", "import", "--dir", N.dir, dir, NULL };
	out = cli(0, a, NULL);
	assert_non_null(strstr(out, "21 lists"));
	free(out);
	const char *b[] = { "warninglist", "list", "--dir", N.dir, NULL };
	out = cli(0, b, NULL);
	assert_non_null(strstr(out, "21 warning lists"));
	assert_non_null(strstr(out, "List of known IPv4 public DNS resolvers"));
	free(out);
	indicator(i1, sizeof(i1), IND(11), "[ipv4-addr:value = '8.8.8.8']", NULL);
	const char *objs[] = { i1, NULL };
	push_objects(&N, "main", objs);
	const char *c[] = { "get", "--dir", N.dir, "--collection", "main", "--id", IND(11),
			    "--warn", NULL };
	out = cli(0, c, NULL);
	assert_non_null(strstr(out, "List of known IPv4 public DNS resolvers"));
	free(out);
}

/* ---- exports, parsed by their formats' own rules ---- */

/* Values that must never be in an export (warning-listed, TLP:RED). */
static const char *const forbidden[] = {
	"10.1.2.3", "x.bit.ly", "198.51.100.66", "red-secret.example", "red-main.example",
	NULL,
};

static void no_forbidden(const char *what, const char *text)
{
	for (size_t i = 0; forbidden[i]; i++)
		if (strstr(text, forbidden[i]) != NULL)
			fail_msg("%s holds %s, which it must not", what, forbidden[i]);
}

static int b64_value(int c)
{
	const char *al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(al, c) : NULL;
	return p ? (int)(p - al) : -1;
}

/* Strict base64 (RFC 4648, padded) into out; -1 when not. */
static int b64_decode(const char *s, size_t len, char *out, size_t outsz)
{
	size_t o = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++) {
			v[k] = s[i + k] == '=' && i + 4 == len && k >= 2 ? 0 : b64_value(s[i + k]);
			if (v[k] < 0)
				return -1;
		}
		uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		if (o + 3 >= outsz)
			return -1;
		out[o++] = (char)(x >> 16);
		if (s[i + 2] != '=')
			out[o++] = (char)(x >> 8);
		if (s[i + 3] != '=')
			out[o++] = (char)x;
	}
	out[o] = '\0';
	return (int)o;
}

static int hex_of_len(const char *s, size_t want)
{
	if (strlen(s) != want)
		return 0;
	for (size_t i = 0; i < want; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

static int is_ip(const char *s)
{
	unsigned char a[16];
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static int is_net(const char *s)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	if (slash == NULL || (size_t)(slash - s) >= sizeof(buf))
		return is_ip(s);
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	return is_ip(buf) && isdigit((unsigned char)slash[1]);
}

static int is_hostname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      s[i] == '-' || s[i] == '.' || s[i] == '_'))
			return 0;
	return 1;
}

/* The lines of text (modified in place), NUL-terminated each. */
static size_t lines_of(char *text, char **lines, size_t max)
{
	size_t n = 0;
	for (char *p = text, *e; p && *p && n < max; p = e) {
		e = strchr(p, '\n');
		if (e)
			*e++ = '\0';
		lines[n++] = p;
	}
	return n;
}

static char *read_out(const char *dir, const char *name)
{
	char path[PATH_MAX * 2];
	char *t;

	tx_strfmt(path, sizeof(path), "%s/%s", dir, name);
	t = slurp(path, NULL);
	if (t == NULL)
		fail_msg("%s: not written", path);
	no_forbidden(path, t);
	return t;
}

/*
 * A Suricata rule (Suricata's rule format: action, protocol, source,
 * port, direction, destination, port, then options "keyword[:value];"
 * in parentheses; '"' quotes, '\' escapes). Fills the sid and the load
 * files of its datasets; fails on anything else.
 */
static void check_rule(const char *rule, const char *dir, unsigned *sid)
{
	static const char *const known[] = { "msg", "sid", "rev", "metadata", "dataset",
		"content", "bsize", "filemd5", "filesha256", "ip.src", "ip.dst", "dns.query",
		"tls.sni", "http.host", "http.uri", NULL };
	char head[7][64];
	const char *p = rule, *open = strchr(rule, '(');
	size_t len = strlen(rule);

	*sid = 0;
	if (open == NULL || rule[len - 1] != ')')
		fail_msg("not a rule: %s", rule);
	for (int k = 0; k < 7; k++) {
		size_t t = strcspn(p, " ");
		if (t == 0 || t >= sizeof(head[k]) || p + t >= open)
			fail_msg("rule header: %s", rule);
		memcpy(head[k], p, t);
		head[k][t] = '\0';
		p += t + 1;
	}
	assert_string_equal(head[0], "alert");
	assert_true(strcmp(head[4], "->") == 0 || strcmp(head[4], "<>") == 0);
	assert_ptr_equal(p, open);
	p = open + 1;
	while (*p == ' ')
		p++;
	while (*p != ')') {
		char kw[32], val[1024];
		size_t k = 0, v = 0;
		int quoted = 0;
		while (*p && *p != ':' && *p != ';' && k + 1 < sizeof(kw))
			kw[k++] = *p++;
		kw[k] = '\0';
		if (*p == ':') {
			p++;
			while (*p && (quoted || *p != ';') && v + 1 < sizeof(val)) {
				if (*p == '\\' && p[1]) {
					val[v++] = p[1];
					p += 2;
					continue;
				}
				if (*p == '"')
					quoted = !quoted;
				val[v++] = *p++;
			}
		}
		val[v] = '\0';
		if (*p != ';')
			fail_msg("option %s not ended by ';': %s", kw, rule);
		p++;
		while (*p == ' ')
			p++;
		size_t i;
		for (i = 0; known[i] && strcmp(known[i], kw) != 0; i++)
			;
		if (known[i] == NULL)
			fail_msg("unknown keyword \"%s\" in %s", kw, rule);
		if (strcmp(kw, "sid") == 0)
			*sid = (unsigned)strtoul(val, NULL, 10);
		if (strcmp(kw, "msg") == 0 || strcmp(kw, "content") == 0)
			assert_true(val[0] == '"' && val[strlen(val) - 1] == '"' && strlen(val) >= 2);
		if (strcmp(kw, "dataset") == 0 || strcmp(kw, "filemd5") == 0 ||
		    strcmp(kw, "filesha256") == 0) {
			/* dataset:isset,NAME,type T,load FILE: the file must exist */
			const char *load = strcmp(kw, "dataset") == 0 ? strstr(val, "load ") : val;
			char path[PATH_MAX * 2];
			struct stat sb;
			if (strcmp(kw, "dataset") == 0)
				assert_true(strncmp(val, "isset,", 6) == 0 && strstr(val, ",type ") && load);
			tx_strfmt(path, sizeof(path), "%s/%s", dir, load + (load == val ? 0 : 5));
			if (stat(path, &sb) != 0)
				fail_msg("rule loads %s, which is not there", path);
		}
	}
	assert_int_equal(p[1], '\0');
	assert_true(*sid > 0);
}

static void check_suricata(const char *dir, const char *const *want)
{
	char *lines[4096], *t, buf[512];
	unsigned sids[4096];
	size_t n, n_rules = 0;

	/* the datasets, each by its type's load format */
	t = read_out(dir, "trilex-ip.lst");
	n = lines_of(t, lines, 4096);
	for (size_t i = 0; i < n; i++)
		if (!is_ip(lines[i]))
			fail_msg("trilex-ip.lst: \"%s\" is not an IP address", lines[i]);
	free(t);
	t = read_out(dir, "trilex-domains.lst");
	n = lines_of(t, lines, 4096);
	for (size_t i = 0; i < n; i++) {
		if (b64_decode(lines[i], strlen(lines[i]), buf, sizeof(buf)) < 0)
			fail_msg("trilex-domains.lst: \"%s\" is not base64", lines[i]);
		if (!is_hostname(buf))
			fail_msg("trilex-domains.lst: \"%s\" is no host name", buf);
		no_forbidden("trilex-domains.lst (decoded)", buf);
	}
	free(t);
	t = read_out(dir, "trilex-md5.lst");
	n = lines_of(t, lines, 4096);
	for (size_t i = 0; i < n; i++)
		assert_true(hex_of_len(lines[i], 32));
	free(t);
	t = read_out(dir, "trilex-sha256.lst");
	n = lines_of(t, lines, 4096);
	for (size_t i = 0; i < n; i++)
		assert_true(hex_of_len(lines[i], 64));
	free(t);
	/* iprep: ip-or-cidr,category,score (0-127), categories id,name,desc */
	t = read_out(dir, "iprep/categories.txt");
	assert_string_equal(t, "1,trilex,Indicators shared on trilex\n");
	free(t);
	t = read_out(dir, "iprep/trilex.list");
	n = lines_of(t, lines, 4096);
	for (size_t i = 0; i < n; i++) {
		char ip[64];
		int cat = -1, score = -1, used = 0;
		if (sscanf(lines[i], "%63[^,],%d,%d%n", ip, &cat, &score, &used) != 3 ||
		    lines[i][used] != '\0' || !is_net(ip) || cat != 1 || score < 0 || score > 127)
			fail_msg("iprep/trilex.list: bad line \"%s\"", lines[i]);
	}
	free(t);
	/* the rules: each parses; sids unique */
	t = read_out(dir, "trilex.rules");
	for (size_t i = 0; want[i]; i++)
		if (strstr(t, want[i]) == NULL)
			fail_msg("trilex.rules lacks %s:\n%s", want[i], t);
	n = lines_of(t, lines, 4096);
	for (size_t i = 0; i < n; i++) {
		if (lines[i][0] == '#' || lines[i][0] == '\0')
			continue;
		check_rule(lines[i], dir, &sids[n_rules]);
		for (size_t k = 0; k < n_rules; k++)
			assert_int_not_equal(sids[k], sids[n_rules]);
		n_rules++;
	}
	assert_true(n_rules >= 5);
	free(t);
}

/* Zeek's Intel file: "#fields" then tab-separated lines of as many
 * fields; types of the Intel framework; '-' for an unset field. */
static void check_zeek(const char *text)
{
	static const char *const types[] = { "Intel::ADDR", "Intel::SUBNET", "Intel::URL",
		"Intel::SOFTWARE", "Intel::EMAIL", "Intel::DOMAIN", "Intel::USER_NAME",
		"Intel::CERT_HASH", "Intel::PUBKEY_HASH", "Intel::FILE_HASH",
		"Intel::FILE_NAME", NULL };
	char *copy = strdup(text), *lines[4096], *f[16];
	size_t n = lines_of(copy, lines, 4096), nf = 0;

	no_forbidden("zeek", text);
	assert_true(n >= 2);
	for (char *p = lines[0], *e; p; p = e) {
		e = strchr(p, '\t');
		if (e)
			*e++ = '\0';
		f[nf++] = p;
	}
	assert_string_equal(f[0], "#fields");
	assert_string_equal(f[1], "indicator");
	assert_string_equal(f[2], "indicator_type");
	assert_string_equal(f[3], "meta.source");
	for (size_t i = 1; i < n; i++) {
		char *v[16];
		size_t k = 0;
		if (lines[i][0] == '#')
			continue;
		for (char *p = lines[i], *e; p && k < 16; p = e) {
			e = strchr(p, '\t');
			if (e)
				*e++ = '\0';
			v[k++] = p;
		}
		assert_int_equal(k, nf - 1);
		size_t t;
		for (t = 0; types[t] && strcmp(types[t], v[1]) != 0; t++)
			;
		if (types[t] == NULL)
			fail_msg("zeek: \"%s\" is no Intel type", v[1]);
		assert_true(v[0][0] != '\0' && strcmp(v[0], "-") != 0);
		if (strcmp(v[1], "Intel::ADDR") == 0)
			assert_true(is_ip(v[0]));
		if (strcmp(v[1], "Intel::SUBNET") == 0)
			assert_true(is_net(v[0]) && strchr(v[0], '/'));
		if (strcmp(v[1], "Intel::DOMAIN") == 0)
			assert_true(is_hostname(v[0]));
		if (strcmp(v[1], "Intel::URL") == 0)
			assert_null(strstr(v[0], "://")); /* without the scheme */
		for (size_t j = 0; j < k; j++)
			assert_true(v[j][0] != '\0'); /* unset is '-' */
	}
	free(copy);
}

/* RFC 4180: records of fields, "" inside quotes, CRLF between records. */
static size_t check_csv(const char *text, size_t want_fields)
{
	const char *p = text;
	size_t records = 0;

	no_forbidden("csv", text);
	while (*p) {
		size_t fields = 0;
		for (;;) {
			if (*p == '"') {
				p++;
				for (;;) {
					if (*p == '\0')
						fail_msg("csv: unterminated quoted field");
					if (*p == '"' && p[1] == '"') {
						p += 2;
						continue;
					}
					if (*p == '"')
						break;
					p++;
				}
				p++;
			} else {
				while (*p && *p != ',' && *p != '\r' && *p != '\n') {
					if (*p == '"')
						fail_msg("csv: a quote inside an unquoted field");
					p++;
				}
			}
			fields++;
			if (*p == ',') {
				p++;
				continue;
			}
			break;
		}
		if (p[0] != '\r' || p[1] != '\n')
			fail_msg("csv: a record not ended by CRLF");
		p += 2;
		assert_int_equal(fields, want_fields);
		records++;
	}
	return records;
}

/* GET with an If-None-Match (the harness's http() sends no such header). */
static long get_etag(const char *url, const char *cacert, const char *if_none,
		     char *etag_out, size_t etag_n, size_t *body_len)
{
	struct curl_slist *h = NULL;
	char line[256], hdrs[4096] = "";
	long status = 0;
	FILE *sink = fopen("/dev/null", "w");
	CURL *c = curl_easy_init();

	assert_non_null(c);
	if (if_none) {
		tx_strfmt(line, sizeof(line), "If-None-Match: %s", if_none);
		h = curl_slist_append(h, line);
	}
	FILE *hf = fmemopen(hdrs, sizeof(hdrs) - 1, "w");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(c, CURLOPT_USERNAME, "reader");
	curl_easy_setopt(c, CURLOPT_PASSWORD, READER_PASSWORD);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, hf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (body_len) {
		curl_off_t dl = 0;
		curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &dl);
		*body_len = (size_t)dl;
	}
	fclose(hf);
	fclose(sink);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	etag_out[0] = '\0';
	const char *e = strcasestr(hdrs, "\nETag: ");
	if (e) {
		size_t l = strcspn(e + 7, "\r\n");
		tx_strfmt(etag_out, etag_n, "%.*s", (int)l, e + 7);
	}
	return status;
}

/* The indicators of the export tests, and warning lists to leave some out. */
static void export_fixture(void)
{
	char wl[PATH_MAX + 16], i[8][600];
	const char *red = ",\"object_marking_refs\":[\"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1\"]";

	tx_strfmt(wl, sizeof(wl), "%s/wl.json", N.dir);
	write_file(wl, "{\"name\":\"Test list\",\"type\":\"cidr\",\"list\":[\"10.0.0.0/8\"],"
		   "\"matching_attributes\":[\"ip-dst\"]}");
	const char *a[] = { "warninglist", "import", "--dir", N.dir, wl, NULL };
	free(cli(0, a, NULL));
	tx_strfmt(wl, sizeof(wl), "%s/wl2.json", N.dir);
	write_file(wl, "{\"name\":\"Shorteners\",\"type\":\"hostname\",\"list\":[\"bit.ly\"]}");
	const char *a2[] = { "warninglist", "import", "--dir", N.dir, wl, NULL };
	free(cli(0, a2, NULL));
	const char *c[] = { "collection", "add", "--dir", N.dir, "--title", "Secret",
			    "--alias", "secret", NULL };
	free(cli(0, c, NULL));
	indicator(i[0], sizeof(i[0]), IND(21), "[ipv4-addr:value = '198.51.100.7'] OR "
		  "[ipv4-addr:value = '10.1.2.3']", ",\"confidence\":80,\"name\":\"C2, \\\"x\\\"\"");
	indicator(i[1], sizeof(i[1]), IND(22), "[domain-name:value IN ('c2.example.net', "
		  "'x.bit.ly', 'Upper.Example.NET')]", NULL);
	indicator(i[2], sizeof(i[2]), IND(23), "[url:value = 'http://c2.example.net/gate.php?id=1;x'] OR "
		  "[url:value = 'https://secure.example.net/p']", NULL);
	indicator(i[3], sizeof(i[3]), IND(24), "[file:hashes.MD5 = '0123456789ABCDEF0123456789ABCDEF'] "
		  "OR [file:hashes.'SHA-256' = 'aa00000000000000000000000000000000000000000000000000000000000001']",
		  NULL);
	indicator(i[4], sizeof(i[4]), IND(25), "[ipv4-addr:value = '198.51.100.8' AND "
		  "domain-name:value = 'and.example']", NULL);
	indicator(i[5], sizeof(i[5]), IND(26), "[domain-name:value = 'red-main.example']", red);
	indicator(i[6], sizeof(i[6]), IND(27), "[ipv4-addr:value = '203.0.113.0/24'] OR "
		  "[ipv6-addr:value = '2001:DB8:0:0::5']", NULL);
	const char *objs[] = { i[0], i[1], i[2], i[3], i[4], i[5], i[6], NULL };
	push_objects(&N, "main", objs);
	indicator(i[7], sizeof(i[7]), IND(28), "[domain-name:value = 'red-secret.example'] OR "
		  "[ipv4-addr:value = '198.51.100.66']", red);
	const char *objs2[] = { i[7], NULL };
	push_objects(&N, "secret", objs2);
}

static void test_export_cli(void **state)
{
	char out[PATH_MAX + 16], *text, *err;

	export_fixture();
	tx_strfmt(out, sizeof(out), "%s/suricata", N.dir);
	const char *a[] = { "export", "suricata", "--dir", N.dir, out, NULL };
	free(cli(0, a, &err));
	/* the skipped, with reasons */
	assert_non_null(strstr(err, IND(25) ": not a single value, IN list or OR of them: an AND"
				    " of comparisons (all in one event)"));
	assert_non_null(strstr(err, IND(21) " (10.1.2.3): on the warning list \"Test list\""));
	assert_non_null(strstr(err, IND(22) " (x.bit.ly): on the warning list \"Shorteners\""));
	assert_non_null(strstr(err, IND(23) " (https://secure.example.net/p): an https URL"));
	free(err);
	const char *want[] = { "ip.src; dataset:isset,trilex-ip,type ip,load trilex-ip.lst; sid:4180001;",
		"ip.dst; dataset:isset,trilex-ip,type ip,load trilex-ip.lst; sid:4180002;",
		"dns.query; dataset:isset,trilex-domains,type string,load trilex-domains.lst; sid:4180003;",
		"tls.sni; dataset:isset,trilex-domains,type string,load trilex-domains.lst; sid:4180004;",
		"filemd5:trilex-md5.lst; sid:4180006;", "filesha256:trilex-sha256.lst; sid:4180007;",
		"http.host; content:\"c2.example.net\"; bsize:14; http.uri; content:\"/gate.php?id=1|3b|x\";"
		" bsize:16;", "metadata:trilex_indicator " IND(23) ";", NULL };
	check_suricata(out, want);
	/* what is in it */
	text = read_out(out, "trilex-ip.lst");
	assert_string_equal(text, "198.51.100.7\n2001:db8::5\n");
	free(text);
	text = read_out(out, "trilex-domains.lst");
	assert_non_null(strstr(text, "YzIuZXhhbXBsZS5uZXQ=\n"));        /* c2.example.net */
	assert_non_null(strstr(text, "dXBwZXIuZXhhbXBsZS5uZXQ=\n"));    /* upper.example.net */
	free(text);
	text = read_out(out, "iprep/trilex.list");
	assert_non_null(strstr(text, "198.51.100.7,1,101\n"));   /* confidence 80 */
	assert_non_null(strstr(text, "203.0.113.0/24,1,127\n")); /* none given */
	free(text);
	text = read_out(out, "trilex-md5.lst");
	assert_string_equal(text, "0123456789abcdef0123456789abcdef\n");
	free(text);
	/* which indicator a dataset value came from */
	text = read_out(out, "trilex-indicators.tsv");
	assert_non_null(strstr(text, "trilex-ip\t198.51.100.7\t" IND(21) "\n"));
	assert_non_null(strstr(text, "trilex-domains\tc2.example.net\t" IND(22) "\n"));
	assert_non_null(strstr(text, "iprep\t203.0.113.0/24\t" IND(27) "\n"));
	free(text);
	/* the same indicators, the same rules (sids stay put) */
	char out2[PATH_MAX + 16];
	tx_strfmt(out2, sizeof(out2), "%s/suricata2", N.dir);
	const char *a2[] = { "export", "suricata", "--dir", N.dir, out2, NULL };
	free(cli(0, a2, NULL));
	char *r1 = read_out(out, "trilex.rules"), *r2 = read_out(out2, "trilex.rules");
	assert_string_equal(r1, r2);
	free(r1);
	free(r2);

	/* Zeek */
	const char *z[] = { "export", "zeek", "--dir", N.dir, "-", NULL };
	text = cli(0, z, NULL);
	check_zeek(text);
	assert_non_null(strstr(text, "198.51.100.7\tIntel::ADDR\ttrilex:local\t" IND(21) " C2, \"x\"\t-\n"));
	assert_non_null(strstr(text, "203.0.113.0/24\tIntel::SUBNET\t"));
	assert_non_null(strstr(text, "c2.example.net/gate.php?id=1;x\tIntel::URL\t"));
	assert_non_null(strstr(text, "0123456789abcdef0123456789abcdef\tIntel::FILE_HASH\t"));
	assert_null(strstr(text, "secure.example.net"));
	free(text);

	/* CSV */
	const char *c[] = { "export", "csv", "--dir", N.dir, "-", NULL };
	text = cli(0, c, NULL);
	assert_int_equal(check_csv(text, 7), 1 + 9); /* the header and 9 values */
	assert_non_null(strstr(text, "ipv4-addr,198.51.100.7," IND(21) ",\"C2, \"\"x\"\"\",amber,80,local\r\n"));
	free(text);

	/* filters: RED only when asked; confidence; collection */
	const char *r[] = { "export", "iocs", "--dir", N.dir, "--tlp", "red", "-", NULL };
	text = cli(0, r, NULL);
	assert_non_null(strstr(text, "red-main.example"));
	assert_non_null(strstr(text, "red-secret.example"));
	free(text);
	const char *m[] = { "export", "iocs", "--dir", N.dir, "--min-confidence", "50", "-", NULL };
	text = cli(0, m, NULL);
	assert_string_equal(text, "# ipv4-addr\n198.51.100.7\n");
	free(text);
	const char *k[] = { "export", "iocs", "--dir", N.dir, "--collection", "secret",
			    "--tlp", "red", "-", NULL };
	text = cli(0, k, NULL);
	assert_string_equal(text, "# ipv4-addr\n198.51.100.66\n\n# domain-name\nred-secret.example\n");
	free(text);
	const char *w[] = { "export", "iocs", "--dir", N.dir, "--include-warned", "-", NULL };
	text = cli(0, w, NULL);
	assert_non_null(strstr(text, "10.1.2.3\n"));
	assert_non_null(strstr(text, "x.bit.ly\n"));
	free(text);
}

/* Over HTTPS with a sensor's key: what that user may read, with an ETag. */
static void test_export_https(void **state)
{
	char url[512], etag[128], etag2[128];
	struct http_resp r;
	size_t len = 0;

	export_fixture();
	assert_int_equal(node_start(&N), 0);
	/* reader: read on main only; never the secret collection's */
	assert_int_equal(http(&N, "GET", "/trilex/v1/export/zeek", "reader", "", NULL, NULL,
			      0, &r), 0);
	assert_int_equal(r.status, 200);
	check_zeek(r.body);
	assert_non_null(strstr(r.body, "198.51.100.7\tIntel::ADDR"));
	http_free(&r);
	assert_int_equal(http(&N, "GET", "/trilex/v1/export/iocs?tlp=red", "reader", "", NULL,
			      NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "red-main.example"));   /* RED it may read */
	assert_null(strstr(r.body, "red-secret.example"));     /* RED it may not */
	assert_null(strstr(r.body, "198.51.100.66"));
	http_free(&r);
	assert_int_equal(http(&N, "GET", "/trilex/v1/export/iocs?collection=secret&tlp=red",
			      "reader", "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 404);
	assert_null(r.body ? strstr(r.body, "red-secret") : NULL);
	http_free(&r);
	assert_int_equal(http(&N, "GET", "/trilex/v1/export/csv", "reader", "", NULL, NULL, 0,
			      &r), 0);
	assert_int_equal(r.status, 200);
	check_csv(r.body, 7);
	http_free(&r);
	assert_int_equal(http(&N, "GET", "/trilex/v1/export/suricata", "reader", "", NULL, NULL,
			      0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(r.json);
	assert_true(json_array_size(json_object_get(r.json, "files")) >= 7);
	http_free(&r);
	assert_int_equal(http(&N, "GET", "/trilex/v1/export/suricata/trilex.rules", "reader",
			      "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "dataset:isset,trilex-ip"));
	no_forbidden("suricata over HTTPS", r.body);
	http_free(&r);
	assert_int_equal(http(&N, "GET", "/trilex/v1/export/pcap", "reader", "", NULL, NULL, 0,
			      &r), 0);
	assert_int_equal(r.status, 404);
	http_free(&r);
	/* without credentials: 401; a partner's account may not */
	assert_int_equal(http(&N, "GET", "/trilex/v1/export/zeek", NULL, "", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 401);
	http_free(&r);

	/* ETag: the same set answers 304 with no body; a change, a new tag */
	tx_strfmt(url, sizeof(url), "%s/trilex/v1/export/zeek", N.base);
	assert_int_equal(get_etag(url, N.cacert, NULL, etag, sizeof(etag), &len), 200);
	assert_true(strlen(etag) > 2 && etag[0] == '"');
	assert_true(len > 0);
	assert_int_equal(get_etag(url, N.cacert, etag, etag2, sizeof(etag2), &len), 304);
	assert_int_equal(len, 0);
	assert_int_equal(get_etag(url, N.cacert, "\"something-else\"", etag2, sizeof(etag2), &len),
			 200);
	assert_string_equal(etag, etag2);
	char i9[600];
	indicator(i9, sizeof(i9), IND(29), "[domain-name:value = 'new.example']", NULL);
	const char *objs[] = { i9, NULL };
	push_objects(&N, "main", objs);
	assert_int_equal(get_etag(url, N.cacert, etag, etag2, sizeof(etag2), &len), 200);
	assert_true(len > 0);
	assert_string_not_equal(etag, etag2);
	node_stop(&N);
}

/* ---- IOC lists in ---- */

static void test_import_iocs(void **state)
{
	char path[PATH_MAX + 16], wl[PATH_MAX + 16], *out, *err;

	tx_strfmt(wl, sizeof(wl), "%s/wl.json", N.dir);
	write_file(wl, "{\"name\":\"Resolvers\",\"type\":\"cidr\",\"list\":[\"8.8.8.8\"]}");
	const char *w[] = { "warninglist", "import", "--dir", N.dir, wl, NULL };
	free(cli(0, w, NULL));
	tx_strfmt(path, sizeof(path), "%s/report.txt", N.dir);
	write_file(path, "# Operation Example\n"
		   "The actor used hxxp://evil-c2[.]example[.]net/gate.php?id=1 and\n"
		   "C2 at 198.51.100[.]23:443 and 2001:db8::dead; phish from a[@]bad-mail[.]example\n"
		   "dropper.exe: D41D8CD98F00B204E9800998ECF8427F\n"
		   "Exploits CVE-2024-3400 with T1566.001, version 1.2.3\n"
		   "nothing to see here\n"
		   "8.8.8.8\n"
		   "198.51.100.23\n");
	const char *a[] = { "import", "iocs", "--dir", N.dir, "--collection", "main", "--tlp",
			    "green", "--label", "op-example", path, NULL };
	out = cli(0, a, &err);
	assert_non_null(strstr(out, "8 lines, 9 values: 8 distinct (2 ipv4-addr, 1 ipv6-addr,"
				    " 1 url, 1 email-addr, 1 md5, 1 cve, 1 attack-pattern);"
				    " 1 warning-listed; 1 lines not used"));
	assert_non_null(strstr(out, "8 objects: 8 added"));
	assert_non_null(strstr(err, "report.txt:7: warning: 8.8.8.8 is on the warning list"
				    " \"Resolvers\""));
	assert_non_null(strstr(err, "report.txt:6: not used: no indicator found in"
				    " \"nothing to see here\""));
	assert_null(strstr(err, "report.txt:1:")); /* a heading is no unused line */
	free(out);
	free(err);
	/* the objects, with their patterns, marking and label */
	const char *g[] = { "get", "--dir", N.dir, "--collection", "main", "--type",
			    "indicator,vulnerability,attack-pattern", NULL };
	out = cli(0, g, NULL);
	json_t *b = json_loads(out, 0, NULL), *o;
	size_t i, n_ind = 0;
	assert_non_null(b);
	json_array_foreach(json_object_get(b, "objects"), i, o) {
		const char *type = json_string_value(json_object_get(o, "type"));
		assert_string_equal(json_string_value(json_array_get(json_object_get(o, "labels"), 0)),
				    "op-example");
		assert_string_equal(json_string_value(json_array_get(json_object_get(o,
				    "object_marking_refs"), 0)),
				    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb");
		if (strcmp(type, "indicator") == 0)
			n_ind++;
		else if (strcmp(type, "vulnerability") == 0)
			assert_string_equal(json_string_value(json_object_get(o, "name")), "CVE-2024-3400");
		else
			assert_string_equal(type, "attack-pattern");
	}
	assert_int_equal(n_ind, 6);
	assert_non_null(strstr(out, "\"pattern\":\"[url:value = 'http://evil-c2.example.net/gate.php?id=1']\""));
	assert_non_null(strstr(out, "\"pattern\":\"[ipv4-addr:value = '198.51.100.23']\""));
	assert_non_null(strstr(out, "\"pattern\":\"[email-addr:value = 'a@bad-mail.example']\""));
	assert_non_null(strstr(out, "\"pattern\":\"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427f']\""));
	assert_non_null(strstr(out, "written defanged"));
	json_decref(b);
	free(out);
}

/* export iocs -> import iocs -> export iocs gives the same list. */
static void test_iocs_round_trip(void **state)
{
	char path[PATH_MAX + 16], *first, *second;

	export_fixture();
	const char *e1[] = { "export", "iocs", "--dir", N.dir, "--collection", "main", "-", NULL };
	first = cli(0, e1, NULL);
	assert_non_null(strstr(first, "# ipv4-addr\n198.51.100.7\n"));
	tx_strfmt(path, sizeof(path), "%s/list.txt", N.dir);
	write_file(path, first);
	const char *c[] = { "collection", "add", "--dir", N.dir, "--title", "Copy", "--alias",
			    "copy", NULL };
	free(cli(0, c, NULL));
	const char *im[] = { "import", "iocs", "--dir", N.dir, "--collection", "copy", path, NULL };
	char *out = cli(0, im, NULL);
	assert_non_null(strstr(out, "; 0 lines not used"));
	free(out);
	const char *e2[] = { "export", "iocs", "--dir", N.dir, "--collection", "copy", "-", NULL };
	second = cli(0, e2, NULL);
	assert_string_equal(first, second);
	free(first);
	free(second);
}

/* ---- a warning list travels to partners like an advisory ---- */

static struct node JP2, UK2;

static int setup_pair(void **state)
{
	if (node_create_as(&JP2, "JP", NULL) || node_create_as(&UK2, "UK", NULL) ||
	    node_pair(&JP2, &UK2) || node_start(&JP2) || node_start(&UK2))
		return -1;
	return 0;
}

static int teardown_pair(void **state)
{
	int rc = node_stop(&JP2) | node_stop(&UK2);

	node_destroy(&JP2);
	node_destroy(&UK2);
	return rc == 0 ? 0 : -1;
}

struct want {
	const char *coll, *query;
	int n;
};

static int reached(const struct node *n, void *arg)
{
	struct want *w = arg;

	return count_objects(n, w->coll, w->query) >= w->n;
}

static void test_warninglist_shared(void **state)
{
	char wl[PATH_MAX + 16], i1[600], *out;

	tx_strfmt(wl, sizeof(wl), "%s/wl.json", JP2.dir);
	write_file(wl, "{\"name\":\"JP resolvers\",\"type\":\"cidr\",\"list\":[\"192.0.2.53\"]}");
	const char *a[] = { "warninglist", "import", "--dir", JP2.dir, wl, NULL };
	free(cli(0, a, NULL));
	struct want w = { "inbox-JP", "match[type]=" "x-trilex-warninglist", 1 };
	assert_true(wait_for(reached, &UK2, &w, 30000));
	const char *l[] = { "warninglist", "list", "--dir", UK2.dir, NULL };
	out = cli(0, l, NULL);
	assert_non_null(strstr(out, "JP resolvers"));
	assert_non_null(strstr(out, "TLP:clear  JP"));
	free(out);
	/* UK's own indicator is flagged by JP's list */
	indicator(i1, sizeof(i1), IND(31), "[ipv4-addr:value = '192.0.2.53']", NULL);
	const char *objs[] = { i1, NULL };
	push_objects(&UK2, "main", objs);
	const char *g[] = { "get", "--dir", UK2.dir, "--collection", "main", "--id", IND(31),
			    "--warn", NULL };
	out = cli(0, g, NULL);
	assert_non_null(strstr(out, "\"lists\":[\"JP resolvers\"]"));
	free(out);
	/* but a partner's list never takes a value out of what UK's own
	 * sensors get: only UK's own lists do (before, JP's list left
	 * 192.0.2.53 out of UK's export) */
	const char *x[] = { "export", "csv", "--dir", UK2.dir, "-", "--collection", "main",
			    NULL };
	out = cli(0, x, NULL);
	assert_non_null(strstr(out, "192.0.2.53"));
	free(out);
	char wl2[PATH_MAX + 16];
	tx_strfmt(wl2, sizeof(wl2), "%s/wl.json", UK2.dir);
	write_file(wl2, "{\"name\":\"UK resolvers\",\"type\":\"cidr\",\"list\":[\"192.0.2.53\"]}");
	const char *b[] = { "warninglist", "import", "--dir", UK2.dir, wl2, NULL };
	free(cli(0, b, NULL));
	out = cli(0, x, NULL);
	assert_null(strstr(out, "192.0.2.53"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_warninglists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_warninglists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_cli, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_https, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_iocs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iocs_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warninglist_shared, setup_pair, teardown_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
