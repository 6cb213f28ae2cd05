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
	char *out = NULL, *err = NULL;
	int rc = run_trilex(args, NULL, &out, &err);

	if (rc != want)
		fprintf(stderr, "trilex %s %s: exit %d (wanted %d): %s\n", args[0],
			args[1], rc, want, err ? err : "");
	assert_int_equal(rc, want);
	if (err_out)
		*err_out = err;
	else
		free(err);
	return out;
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
	snprintf(out, n, "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
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
	snprintf(path, sizeof(path), "%s/push-%d.json", n->dir, (int)getpid());
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
				snprintf(out + len, n - len, "%s%s=%s", len ? "|" : "",
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

	snprintf(wl, sizeof(wl), "%s/wl", N.dir);
	assert_int_equal(mkdir(wl, 0700), 0);
	snprintf(p1, sizeof(p1), "%s/private.json", wl);
	snprintf(p2, sizeof(p2), "%s/short.json", wl);
	snprintf(p3, sizeof(p3), "%s/broken.json", wl);
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
		snprintf(eve, sizeof(eve), "%s/eve.json", N.dir);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_warninglists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_warninglists, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
