/*
 * bench/bench_sensor.c: the warning-list check of issue 18 (1,000,000
 * indicators against the 21 lists of ../shared/data/warninglists in under
 * 2 s). Usage: bench_sensor warn DIR N. Prints "key value" lines for
 * bench/run-sensor.
 *
 * The indicators are generated: IPv4 addresses (a tenth in the lists'
 * networks), IPv6 addresses, domains of three or four labels (some under
 * listed names), URLs and SHA-256 hashes, each as a STIX pattern. Two
 * figures: the value lookups alone, and the whole path of an indicator
 * (parse its pattern, take its values, look each up).
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pattern/pattern.h"
#include "sensor/sensor.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct ctx {
	const sensor_warn *w;
	size_t hits;
};

static int check(void *vc, const char *path, size_t plen, const char *v, size_t len)
{
	struct ctx *c = vc;
	const char *names[4];

	if (sensor_warn_check(c->w, sensor_warn_kind_of(path, plen), v, len, names, 4))
		c->hits++;
	return 0;
}

static int load_dir(sensor_warn *w, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX * 2], *text = NULL;
		size_t len = 0;
		struct sensor_warn_info info;
		struct tx_error err = { 0 };
		json_t *l;

		if (strstr(e->d_name, ".json") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (tx_read_file(path, 64 << 20, &text, &len, &err) != TX_OK)
			continue;
		l = tx_json_load(text, len, 0, NULL);
		free(text);
		if (l && sensor_warn_add(w, l, &info, &err) == TX_OK)
			n++;
		json_decref(l);
	}
	closedir(d);
	return n;
}

static int bench_warn(const char *dir, size_t n)
{
	static const char *const names[] = { "google.com", "bit.ly", "microsoft.com",
					     "example.org", "evil-c2.example-bad.net" };
	char **pats = malloc(n * sizeof(*pats)), **vals = malloc(n * sizeof(*vals));
	enum sensor_warn_kind *kinds = malloc(n * sizeof(*kinds));
	sensor_warn *w = NULL;
	struct ctx c = { 0 };
	size_t hits = 0;
	double t0, load_s, values_s, full_s;
	int n_lists;

	if (pats == NULL || vals == NULL || kinds == NULL || sensor_warn_new(0, &w) != TX_OK)
		return 1;
	t0 = now_s();
	if ((n_lists = load_dir(w, dir)) <= 0) {
		fprintf(stderr, "bench_sensor: no warning lists in %s\n", dir);
		return 1;
	}
	load_s = now_s() - t0;
	for (size_t i = 0; i < n; i++) {
		char v[256], p[512];
		uint64_t r = next();
		const char *path;
		switch (r % 10) {
		case 0: case 1: case 2: case 3:
			if (r % 100 < 10)
				snprintf(v, sizeof(v), "192.168.%u.%u", (unsigned)(r >> 8) & 255,
					 (unsigned)(r >> 16) & 255);
			else
				snprintf(v, sizeof(v), "%u.%u.%u.%u", (unsigned)(r >> 8) & 255,
					 (unsigned)(r >> 16) & 255, (unsigned)(r >> 24) & 255,
					 (unsigned)(r >> 32) & 255);
			path = "ipv4-addr:value";
			kinds[i] = SENSOR_WARN_IP;
			break;
		case 4:
			snprintf(v, sizeof(v), "2001:db8:%x::%x", (unsigned)(r >> 8) & 0xffff,
				 (unsigned)(r >> 24) & 0xffff);
			path = "ipv6-addr:value";
			kinds[i] = SENSOR_WARN_IP;
			break;
		case 5: case 6: case 7:
			snprintf(v, sizeof(v), "h%x.s%x.%s", (unsigned)(r >> 8) & 0xfff,
				 (unsigned)(r >> 20) & 0xff, names[(r >> 32) % 5]);
			path = "domain-name:value";
			kinds[i] = SENSOR_WARN_DOMAIN;
			break;
		case 8:
			snprintf(v, sizeof(v), "http://w%x.%s/p/%x", (unsigned)(r >> 8) & 0xfff,
				 names[(r >> 32) % 5], (unsigned)(r >> 40));
			path = "url:value";
			kinds[i] = SENSOR_WARN_URL;
			break;
		default:
			snprintf(v, sizeof(v), "%016llx%016llx%016llx%016llx",
				 (unsigned long long)r, (unsigned long long)next(),
				 (unsigned long long)next(), (unsigned long long)next());
			path = "file:hashes.'SHA-256'";
			kinds[i] = SENSOR_WARN_HASH;
			break;
		}
		snprintf(p, sizeof(p), "[%s = '%s']", path, v);
		vals[i] = strdup(v);
		pats[i] = strdup(p);
		if (vals[i] == NULL || pats[i] == NULL)
			return 1;
	}
	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		const char *nm[4];
		if (sensor_warn_check(w, kinds[i], vals[i], strlen(vals[i]), nm, 4))
			hits++;
	}
	values_s = now_s() - t0;
	c.w = w;
	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		struct tx_error err;
		pattern *p = NULL;
		if (pattern_parse(pats[i], strlen(pats[i]), &p, &err) != TX_OK)
			return 1;
		pattern_equalities(p, check, &c, &err);
		pattern_free(p);
	}
	full_s = now_s() - t0;
	printf("lists %d\nentries %zu\nload_s %.3f\nindicators %zu\nflagged %zu\n"
	       "values_s %.3f\nindicators_s %.3f\nflagged_full %zu\n", n_lists,
	       sensor_warn_entries(w), load_s, n, hits, values_s, full_s, c.hits);
	for (size_t i = 0; i < n; i++) {
		free(vals[i]);
		free(pats[i]);
	}
	free(vals);
	free(pats);
	free(kinds);
	sensor_warn_free(w);
	return 0;
}

/* Suricata and Zeek exports of n generated indicators (with the lists
 * of dir, when given, leaving their values out). */
static int bench_export(const char *dir, size_t n)
{
	sensor_warn *w = NULL;
	sensor_export *e = NULL;
	struct sensor_export_opts o = { 0 };
	double t0, add_s, suri_s, zeek_s;
	size_t suri_bytes = 0, zeek_bytes = 0;
	struct tx_error err;

	if (sensor_warn_new(0, &w) != TX_OK)
		return 1;
	if (dir && load_dir(w, dir) > 0)
		o.warn = w;
	if (sensor_export_new(&o, &e) != TX_OK)
		return 1;
	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		char id[64], p[256];
		uint64_t r = next();
		snprintf(id, sizeof(id), "indicator--%08x-0000-4000-8000-%012llx", (unsigned)(i >> 16),
			 (unsigned long long)i);
		switch (r % 5) {
		case 0: case 1:
			snprintf(p, sizeof(p), "[ipv4-addr:value = '%u.%u.%u.%u']",
				 (unsigned)(r >> 8) & 255, (unsigned)(r >> 16) & 255,
				 (unsigned)(r >> 24) & 255, (unsigned)(r >> 32) & 255);
			break;
		case 2:
			snprintf(p, sizeof(p), "[domain-name:value = 'h%llx.example-c2.net']",
				 (unsigned long long)(r >> 8));
			break;
		case 3:
			snprintf(p, sizeof(p), "[url:value = 'http://h%llx.example-c2.net/p/%u']",
				 (unsigned long long)(r >> 20), (unsigned)(r >> 8) & 0xfff);
			break;
		default:
			snprintf(p, sizeof(p), "[file:hashes.'SHA-256' = '%016llx%016llx%016llx%016llx']",
				 (unsigned long long)r, (unsigned long long)next(),
				 (unsigned long long)next(), (unsigned long long)next());
			break;
		}
		struct sensor_export_ind in = { .id = id, .pattern = p, .tlp = "green",
						.confidence = (int64_t)(r % 101) };
		if (sensor_export_add(e, &in, &err) != TX_OK)
			return 1;
	}
	add_s = now_s() - t0;
	t0 = now_s();
	for (size_t i = 0; sensor_export_file(SENSOR_EXPORT_SURICATA, i); i++) {
		struct tx_buf b;
		tx_buf_init(&b, (size_t)4 << 30);
		if (sensor_export_write(e, SENSOR_EXPORT_SURICATA,
					sensor_export_file(SENSOR_EXPORT_SURICATA, i), &b, &err) != TX_OK)
			return 1;
		suri_bytes += b.len;
		tx_buf_free(&b);
	}
	suri_s = now_s() - t0;
	t0 = now_s();
	{
		struct tx_buf b;
		tx_buf_init(&b, (size_t)4 << 30);
		if (sensor_export_write(e, SENSOR_EXPORT_ZEEK, "trilex.intel", &b, &err) != TX_OK)
			return 1;
		zeek_bytes = b.len;
		tx_buf_free(&b);
	}
	zeek_s = now_s() - t0;
	printf("export_indicators %zu\nexport_add_s %.3f\nsuricata_s %.3f\nsuricata_mb %.1f\n"
	       "zeek_s %.3f\nzeek_mb %.1f\n", n, add_s, suri_s, suri_bytes / 1e6, zeek_s,
	       zeek_bytes / 1e6);
	sensor_export_free(e);
	sensor_warn_free(w);
	return 0;
}

static int count_ioc(void *ctx, const struct sensor_ioc *ioc)
{
	(*(size_t *)ctx)++;
	return 0;
}

/* IOC extraction over mb MB of generated report text: prose with
 * defanged and plain values, CSV rows and plain lists. */
static int bench_iocs(size_t mb)
{
	size_t cap = mb << 20, len = 0, n_lines = 0, n_values = 0;
	char *text = malloc(cap + 512);
	double t0, s;

	if (text == NULL)
		return 1;
	while (len < cap) {
		uint64_t r = next();
		switch (r % 4) {
		case 0:
			len += (size_t)sprintf(text + len, "The actor used hxxp://c%llx[.]example[.]net/gate.php?id=%u"
					       " and contacted 198.51.%u[.]%u on port 443 before dropping"
					       " a file.\n", (unsigned long long)(r >> 16), (unsigned)(r >> 8) & 0xff,
					       (unsigned)(r >> 24) & 255, (unsigned)(r >> 32) & 255);
			break;
		case 1:
			len += (size_t)sprintf(text + len, "domain,h%llx.bad-example.org,2024-05-01,high\n",
					       (unsigned long long)(r >> 12));
			break;
		case 2:
			len += (size_t)sprintf(text + len, "%016llx%016llx%016llx%016llx\n",
					       (unsigned long long)r, (unsigned long long)next(),
					       (unsigned long long)next(), (unsigned long long)next());
			break;
		default:
			len += (size_t)sprintf(text + len, "Exploitation of CVE-2024-%u (T1190) was followed by"
					       " phishing from user%u[@]mail-bad[.]com; no other findings.\n",
					       (unsigned)(r >> 8) % 90000 + 1000, (unsigned)(r >> 20) & 0xffff);
			break;
		}
	}
	t0 = now_s();
	for (char *p = text, *e; p < text + len; p = e + 1) {
		size_t found = 0;
		e = memchr(p, '\n', (size_t)(text + len - p));
		if (e == NULL)
			e = text + len;
		if (sensor_iocs_scan(p, (size_t)(e - p), count_ioc, &n_values, &found) != TX_OK)
			return 1;
		n_lines++;
	}
	s = now_s() - t0;
	printf("iocs_mb %.1f\niocs_lines %zu\niocs_values %zu\niocs_s %.3f\niocs_mb_per_s %.1f\n",
	       len / 1048576.0, n_lines, n_values, s, len / 1048576.0 / s);
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "iocs") == 0) {
		int64_t mb;
		if (tx_parse_int64(argv[2], 1, 4096, &mb) != TX_OK)
			return 2;
		return bench_iocs((size_t)mb);
	}
	if (argc >= 3 && strcmp(argv[1], "export") == 0) {
		int64_t n;
		if (tx_parse_int64(argv[2], 1, 100000000, &n) != TX_OK)
			return 2;
		return bench_export(argc > 3 ? argv[3] : NULL, (size_t)n);
	}
	if (argc == 4 && strcmp(argv[1], "warn") == 0) {
		int64_t n;
		if (tx_parse_int64(argv[3], 1, 100000000, &n) != TX_OK)
			return 2;
		return bench_warn(argv[2], (size_t)n);
	}
	fprintf(stderr, "usage: bench_sensor warn DIR N | export N [DIR] | iocs MB\n");
	return 2;
}
