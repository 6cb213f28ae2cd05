/*
 * fuzz/fuzz_csaf.c: the CSAF 2.0 reader (product tree, helpers,
 * vulnerabilities) and the matching of products and version ranges. The
 * input is loaded as an advisory document; what was shared loads back;
 * then a BOM of firmware and devices, some named by the input's own
 * first line as name and version, is checked against it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supply/supply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char bom_fixed[] =
	"{\"bomFormat\": \"CycloneDX\", \"components\": ["
	"{\"type\": \"firmware\", \"name\": \"PLC\", \"version\": \"V2.4\","
	" \"manufacturer\": {\"name\": \"Acme\"}},"
	"{\"type\": \"device\", \"name\": \"6GK5622-2GS00-2AC2\"},"
	"{\"type\": \"firmware\", \"name\": \"fw\", \"purl\": \"pkg:generic/acme/fw@1.0\","
	" \"cpe\": \"cpe:2.3:o:acme:fw:1.0:*:*:*:*:*:*:*\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_error err = { 0 };
	struct supply_report rep = { 0 };
	supply_db *db = NULL;
	supply_bom *bom = NULL;
	json_t *emit = json_array();
	const uint8_t *nl = memchr(data, '\n', size);

	if (supply_db_new((size_t)64 << 20, &db, &err) != TX_OK)
		goto out;
	supply_db_set_emit(db, emit, NULL);
	supply_db_load_buffer(db, "fuzz.json", (const char *)data, size, &err);
	for (size_t i = 0; i < json_array_size(emit); i++)
		supply_db_load_stix(db, json_array_get(emit, i), &err);
	if (supply_bom_parse(bom_fixed, sizeof(bom_fixed) - 1, "b", &bom,
			     &err) == TX_OK) {
		supply_check(db, bom, NULL, &rep, &err);
		supply_report_free(&rep);
		supply_bom_free(bom);
		bom = NULL;
	}
	/* a component named by the first line: "name version" */
	if (nl != NULL && (size_t)(nl - data) < 200) {
		char line[256], *sp;
		json_t *b;

		memcpy(line, data, (size_t)(nl - data));
		line[nl - data] = '\0';
		sp = strchr(line, ' ');
		if (sp != NULL)
			*sp++ = '\0';
		b = json_pack("{s:s, s:[{s:s, s:s, s:s?, s:s, s:{s:s}}]}",
			      "bomFormat", "CycloneDX", "components", "type",
			      "firmware", "name", line[0] ? line : "x", "version",
			      sp, "purl", "pkg:generic/x", "manufacturer", "name",
			      "Acme");
		if (b != NULL && supply_bom_from_json(b, "line", &bom, &err) ==
		    TX_OK) {
			supply_check(db, bom, NULL, &rep, &err);
			supply_report_free(&rep);
			supply_bom_free(bom);
		}
		json_decref(b);
	}
out:
	supply_db_free(db);
	json_decref(emit);
	return 0;
}
