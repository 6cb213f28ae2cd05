/*
 * fuzz/fuzz_vex.c: the VEX readers (CycloneDX VEX, OpenVEX) and the
 * marking of findings. The input is loaded as an advisory document next
 * to a fixed OSV entry; what was shared loads back; a BOM whose
 * components carry purls, CPEs and bom-refs the input may name is checked,
 * and must keep at least the findings it has without the input (VEX
 * marks findings, it never removes one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supply/supply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char osv[] =
	"{\"id\": \"OSV-1\", \"aliases\": [\"CVE-2024-1\"], \"affected\": "
	"[{\"package\": {\"ecosystem\": \"npm\", \"name\": \"a\"}, \"ranges\": "
	"[{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"}]}]}]}";

static const char bom[] =
	"{\"bomFormat\": \"CycloneDX\", \"serialNumber\": "
	"\"urn:uuid:00000000-0000-4000-8000-000000000001\", \"components\": ["
	"{\"type\": \"library\", \"name\": \"a\", \"bom-ref\": \"a\","
	" \"purl\": \"pkg:npm/a@1.0.0\", \"cpe\": \"cpe:2.3:a:x:a:1.0.0:*:*:*:*:*:*:*\"},"
	"{\"type\": \"library\", \"name\": \"a\", \"version\": \"2.0.0\","
	" \"purl\": \"pkg:npm/a@2.0.0\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_error err = { 0 };
	struct supply_report rep = { 0 };
	supply_db *db = NULL;
	supply_bom *b = NULL;
	json_t *emit = json_array();

	if (supply_db_new((size_t)64 << 20, &db, &err) != TX_OK)
		goto out;
	supply_db_load_buffer(db, "osv.json", osv, sizeof(osv) - 1, &err);
	supply_db_set_emit(db, emit, NULL);
	supply_db_load_buffer(db, "fuzz.json", (const char *)data, size, &err);
	for (size_t i = 0; i < json_array_size(emit); i++)
		supply_db_load_stix(db, json_array_get(emit, i), &err);
	if (supply_bom_parse(bom, sizeof(bom) - 1, "b", &b, &err) == TX_OK) {
		if (supply_check(db, b, NULL, &rep, &err) == TX_OK) {
			json_t *j = supply_report_json(&rep);

			/* the fixed OSV entry alone gives 2 findings */
			if (rep.n < 2) {
				fprintf(stderr, "fuzz_vex: %zu findings\n", rep.n);
				abort();
			}
			json_decref(j);
		}
		supply_report_free(&rep);
		supply_bom_free(b);
	}
out:
	supply_db_free(db);
	json_decref(emit);
	return 0;
}
