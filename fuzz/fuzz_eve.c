/*
 * fuzz/fuzz_eve.c: the Suricata EVE JSON scanner.
 *
 * Any line is either scanned or refused with a "column N" (or timestamp)
 * message. A line the scanner accepts must also be valid JSON to jansson,
 * and the facts it makes must agree with the STIX it writes for the event
 * (what the index looks up is what the evaluator sees). That STIX, made
 * without jansson's UTF-8 checks, must read back under them, and each
 * SCO's id (hashed from the fields) must be the one stix_sco_id gives.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/sensor.h"
#include "stix/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct factv {
	struct pattern_fact v[256];
	size_t n;
};

static int same(const struct pattern_fact *a, const struct pattern_fact *b)
{
	if (a->path != b->path || a->kind != b->kind)
		return 0;
	if (a->kind == PATTERN_FACT_INT)
		return a->num == b->num;
	return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sensor_eve *r;
	struct sensor_event ev = { .line = 1 };
	struct tx_error err = { 0 };
	struct pattern_obsset set;
	static struct factv fv;

	if (r == NULL && sensor_eve_new(&r) != TX_OK)
		abort();
	if (size > 65536)
		return 0;
	if (sensor_eve_parse(r, (const char *)data, size, &ev, &err) != TX_OK)
		return 0;
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	if (j == NULL) {
		fprintf(stderr, "fuzz_eve: scanner accepted what jansson refuses\n");
		abort();
	}
	json_decref(j);
	json_t *objs = sensor_event_to_stix(&ev);
	if (objs == NULL)
		return 0;
	char *text = json_dumps(objs, JSON_COMPACT);
	json_t *back = text ? json_loads(text, 0, NULL) : NULL;
	if (text != NULL && (back == NULL || !json_equal(back, objs))) {
		fprintf(stderr, "fuzz_eve: the STIX of the event does not read back\n");
		abort();
	}
	json_decref(back);
	free(text);
	for (size_t i = 1; i < json_array_size(objs); i++) {
		const json_t *o = json_array_get(objs, i);
		const char *id = json_string_value(json_object_get(o, "id"));
		char want[160];
		if (stix_sco_id(o, want, sizeof(want), &err) != TX_OK)
			continue;    /* out of memory */
		/* random (version 4) both times when nothing contributes */
		if (strcmp(id, want) != 0 && !(want[strlen(want) - 22] == '4' && id[strlen(id) - 22] == '4')) {
			fprintf(stderr, "fuzz_eve: id %s, stix_sco_id %s\n", id, want);
			abort();
		}
	}
	if (pattern_obsset_from_json(objs, &set, &err) != TX_OK)
		abort();
	fv.n = 0;
	fv.n = pattern_facts_collect(&set, 0, fv.v, sizeof(fv.v) / sizeof(fv.v[0]), NULL);
	for (size_t k = 0; k < ev.n_facts && ev.n_facts < SENSOR_MAX_FACTS && fv.n < 256; k++) {
		int found = 0;
		for (size_t i = 0; i < fv.n && !found; i++)
			found = same(&fv.v[i], &ev.facts[k]);
		if (!found) {
			fprintf(stderr, "fuzz_eve: fact %zu not in the STIX of the event\n", k);
			abort();
		}
	}
	pattern_obsset_free(&set);
	json_decref(objs);
	return 0;
}
