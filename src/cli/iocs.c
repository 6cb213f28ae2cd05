/*
 * cli/iocs.c: `trilex import iocs`: plain IOC lists, CSV or a report's
 * text in, one STIX object per distinct value (an indicator with the
 * value's pattern; a vulnerability for a CVE id, an attack-pattern for an
 * ATT&CK id), stored in a collection like everything else. Values that
 * warning lists hold are imported with a warning (exports leave them
 * out); every line that gave nothing is reported with its number.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "federation/federation.h"
#include "taxii/taxii.h"

#define IOC_BATCH 1000
#define MAX_REPORTED 50

struct imp {
	const char *file;
	size_t line;
	const sensor_warn *warn;
	const char *marking;
	const char *const *labels;
	char now[TX_TIME_BUF];
	json_t *objs;     /* id -> object */
	size_t n_values, n_warned, n_reported;
	size_t n_type[SENSOR_IOC_N_TYPES];
	int nomem;
};

static void derived_id(const char *type, const char *key, char *out, size_t n)
{
	char uuid[TX_UUID_BUF];
	struct tx_sha1 sh;

	tx_sha1_init(&sh);
	tx_sha1_update(&sh, tx_uuid_ns_trilex, 16);
	tx_sha1_update(&sh, type, strlen(type));
	tx_sha1_update(&sh, "\n", 1);
	tx_sha1_update(&sh, key, strlen(key));
	tx_uuid5_final(&sh, uuid);
	snprintf(out, n, "%s--%s", type, uuid);
}

static enum sensor_warn_kind kind_of(enum sensor_ioc_type t)
{
	switch (t) {
	case SENSOR_IOC_IPV4: case SENSOR_IOC_IPV6: case SENSOR_IOC_NET4: case SENSOR_IOC_NET6:
		return SENSOR_WARN_IP;
	case SENSOR_IOC_DOMAIN:
		return SENSOR_WARN_DOMAIN;
	case SENSOR_IOC_URL:
		return SENSOR_WARN_URL;
	case SENSOR_IOC_EMAIL:
		return SENSOR_WARN_EMAIL;
	case SENSOR_IOC_MD5: case SENSOR_IOC_SHA1: case SENSOR_IOC_SHA256:
		return SENSOR_WARN_HASH;
	default:
		return SENSOR_WARN_NONE;
	}
}

static int on_ioc(void *vctx, const struct sensor_ioc *ioc)
{
	struct imp *c = vctx;
	char id[128], value[SENSOR_IOC_VALUE_MAX + 1], desc[512], url[128];
	const char *names[4];
	struct tx_buf pat;
	json_t *o = NULL;
	size_t n;

	memcpy(value, ioc->value, ioc->len);
	value[ioc->len] = '\0';
	c->n_values++;
	if (c->warn && (n = sensor_warn_check(c->warn, kind_of(ioc->type), value, ioc->len,
					      names, 4)) > 0) {
		c->n_warned++;
		fprintf(stderr, "trilex: %s:%zu: warning: %s is on the warning list \"%s\""
			" (imported; exports leave it out)\n", c->file, c->line, value, names[0]);
	}
	snprintf(desc, sizeof(desc), "from an IOC list (%s, line %zu)%s", c->file, c->line,
		 ioc->defanged ? ", written defanged" : "");
	if (ioc->type == SENSOR_IOC_CVE) {
		derived_id("vulnerability", value, id, sizeof(id));
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}]}", "type", "vulnerability",
			      "spec_version", "2.1", "id", id, "created", c->now, "modified", c->now,
			      "name", value, "description", desc, "external_references",
			      "source_name", "cve", "external_id", value);
	} else if (ioc->type == SENSOR_IOC_ATTACK) {
		derived_id("attack-pattern", value, id, sizeof(id));
		snprintf(url, sizeof(url), "https://attack.mitre.org/techniques/%.5s%s%.3s", value,
			 ioc->len > 5 ? "/" : "", ioc->len > 5 ? value + 6 : "");
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s}]}", "type",
			      "attack-pattern", "spec_version", "2.1", "id", id, "created", c->now,
			      "modified", c->now, "name", value, "description", desc,
			      "external_references", "source_name", "mitre-attack", "external_id",
			      value, "url", url);
	} else {
		tx_buf_init(&pat, PATTERN_MAX_LEN);
		if (sensor_ioc_pattern(ioc, &pat) != TX_OK) {
			tx_buf_free(&pat);
			return c->nomem = 1;
		}
		derived_id("indicator", pat.data, id, sizeof(id));
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type", "indicator",
			      "spec_version", "2.1", "id", id, "created", c->now, "modified", c->now,
			      "name", value, "description", desc, "pattern", pat.data,
			      "pattern_type", "stix", "valid_from", c->now, "indicator_types",
			      "malicious-activity");
		tx_buf_free(&pat);
	}
	if (o == NULL)
		return c->nomem = 1;
	if (json_object_get(c->objs, id) != NULL) {
		json_decref(o); /* one object per value: the first line's */
		return 0;
	}
	c->n_type[ioc->type]++;
	if (c->labels[0]) {
		json_t *l = json_array();
		for (const char *const *p = c->labels; l && *p; p++)
			json_array_append_new(l, json_string(*p));
		json_object_set_new(o, "labels", l);
	}
	json_object_set_new(o, "object_marking_refs", json_pack("[s]", c->marking));
	if (json_object_set_new(c->objs, id, o) != 0)
		return c->nomem = 1;
	return 0;
}

static const struct cli_opt import_opts[] = {
	{ "collection", "ID", CLI_REQ, "where the indicators go (id or alias)" },
	{ "tlp", "LEVEL", 0, "their marking (default amber)" },
	{ "label", "L", CLI_MANY, "a label for every object made" },
	{ 0 },
};

static int import_run(const struct cli_args *a)
{
	const char *file = a->argv[0], *coll = cli_opt(a, "collection");
	const char *tlp = cli_opt(a, "tlp") ? cli_opt(a, "tlp") : "amber";
	struct store_user local = { .admin = 1, .name = "local" };
	struct imp c = { .file = file, .labels = cli_opts(a, "label") };
	struct store_collection col;
	struct tx_config cfg;
	struct tx_error err = { 0 };
	sensor_warn *w = NULL;
	tx_store *st = NULL;
	FILE *fp = NULL;
	char *line = NULL;
	size_t bufsz = (size_t)SENSOR_LINE_MAX + 2, n_unused = 0, n_lines = 0;
	size_t added = 0, present = 0, failed = 0;
	int t = fed_tlp_parse(tlp), rc = 1;

	if (t < 0)
		return cli_fail("--tlp: clear, green, amber, amber+strict or red, not \"%s\"", tlp);
	c.marking = fed_tlp_marking((enum fed_tlp)t);
	for (const char *const *l = c.labels; *l; l++)
		if (**l == '\0' || strlen(*l) > 256)
			return cli_fail("--label: 1 to 256 characters");
	if (cli_open_node(a->dir, &cfg, &st) != 0)
		return 1;
	if (store_collection_get(st, &local, coll, &col) != TX_OK) {
		cli_fail("no collection \"%s\" in %s", coll, a->dir);
		goto out;
	}
	if (cli_warn_load(st, &w) != 0)
		goto out;
	c.warn = w;
	tx_time_format_ms(tx_time_now_us(), c.now);
	if ((c.objs = json_object()) == NULL || (line = malloc(bufsz)) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	if ((fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "r")) == NULL) {
		cli_fail("%s: cannot open", file);
		goto out;
	}
	while (fgets(line, (int)bufsz, fp) != NULL) {
		size_t len = strlen(line), found = 0;
		c.line = ++n_lines;
		if (len == bufsz - 1 && line[len - 1] != '\n') {
			int ch;
			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			n_unused++;
			if (c.n_reported++ < MAX_REPORTED)
				fprintf(stderr, "trilex: %s:%zu: not used: longer than %u bytes\n",
					file, c.line, SENSOR_LINE_MAX);
			continue;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		size_t lead = strspn(line, " \t");
		if (line[lead] == '\0' || line[lead] == '#')
			continue; /* blank, or a heading such as export iocs writes */
		if (sensor_iocs_scan(line, len, on_ioc, &c, &found) != TX_OK || c.nomem) {
			cli_fail("out of memory");
			goto out;
		}
		if (found == 0) {
			n_unused++;
			if (c.n_reported++ < MAX_REPORTED)
				fprintf(stderr, "trilex: %s:%zu: not used: no indicator found in"
					" \"%.60s%s\"\n", file, c.line, line + lead,
					strlen(line + lead) > 60 ? "..." : "");
		}
	}
	if (ferror(fp)) {
		cli_fail("%s: read error", file);
		goto out;
	}
	/* store in batches, each a transaction */
	{
		void *it = json_object_iter(c.objs);
		while (it != NULL) {
			json_t *batch = json_array(), *status = NULL, *d;
			char sid[TX_UUID_BUF];
			size_t k;
			if (batch == NULL) {
				cli_fail("out of memory");
				goto out;
			}
			for (k = 0; it != NULL && k < IOC_BATCH; k++, it = json_object_iter_next(c.objs, it))
				json_array_append(batch, json_object_iter_value(it));
			if (taxii_ingest(st, col.pk, &local, batch, 0, sid, &err) != TX_OK) {
				json_decref(batch);
				cli_fail("storing: %s", err.msg);
				goto out;
			}
			json_decref(batch);
			if (store_status_get(st, &local, sid, &status) == TX_OK) {
				json_array_foreach(json_object_get(status, "successes"), k, d) {
					const char *m = json_string_value(json_object_get(d, "message"));
					if (m && strcmp(m, "already present") == 0)
						present++;
					else
						added++;
				}
				json_array_foreach(json_object_get(status, "failures"), k, d) {
					const char *m = json_string_value(json_object_get(d, "message"));
					failed++;
					fprintf(stderr, "trilex: not stored: %s\n", m ? m : "(no reason)");
				}
			}
			json_decref(status);
		}
	}
	if (c.n_reported > MAX_REPORTED)
		fprintf(stderr, "trilex: %zu lines not used (the first %d shown)\n", n_unused,
			MAX_REPORTED);
	printf("%zu lines, %zu values: %zu distinct (", n_lines, c.n_values,
	       json_object_size(c.objs));
	for (int k = 0, first = 1; k < SENSOR_IOC_N_TYPES; k++)
		if (c.n_type[k]) {
			printf("%s%zu %s", first ? "" : ", ", c.n_type[k],
			       sensor_ioc_type_name((enum sensor_ioc_type)k));
			first = 0;
		}
	printf("); %zu warning-listed; %zu lines not used\n", c.n_warned, n_unused);
	printf("%zu objects: %zu added, %zu already present, %zu failed (collection %s,"
	       " TLP:%s)\n", json_object_size(c.objs), added, present, failed,
	       col.alias[0] ? col.alias : col.id, tlp);
	rc = failed ? 3 : 0;
out:
	if (fp != NULL && fp != stdin)
		fclose(fp);
	free(line);
	json_decref(c.objs);
	sensor_warn_free(w);
	store_close(st);
	return rc;
}

const struct cmd cmd_import_iocs = {
	.name = "import iocs",
	.summary = "make one indicator per value of a plain IOC list, CSV or report text"
		   " (defanged forms too); warn on warning-listed values, report lines"
		   " not used",
	.opts = import_opts,
	.operands = "FILE|-",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = import_run,
};
