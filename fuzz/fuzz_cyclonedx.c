/*
 * fuzz/fuzz_cyclonedx.c: the CycloneDX reader, then a check of what it
 * read against a small database (OSV ranges, a vendor, a part), so purl
 * parsing, paths and range evaluation see fuzzed components too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supply/supply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static supply_db *db;

static void init(void)
{
	static const char osv[] =
		"[{\"id\": \"F-1\", \"aliases\": [\"CVE-1\"], \"affected\": [{\"package\":"
		" {\"ecosystem\": \"npm\", \"name\": \"a\"}, \"versions\": [\"1.0.0\"],"
		" \"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"},"
		" {\"fixed\": \"1.2.0\"}, {\"limit\": \"2.0.0\"}]}]}]},"
		"{\"id\": \"F-2\", \"affected\": [{\"package\": {\"ecosystem\": \"Maven\","
		" \"name\": \"g:a\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\":"
		" [{\"introduced\": \"1.0-beta\"}, {\"last_affected\": \"2.0\"}]}]}]}]";
	static const char vend[] = "{\"vendors\": [{\"name\": \"Bad Corp\"}]}";
	static const char parts[] = "manufacturer,part_number,lot_from,lot_to\n"
				    "Acme,Q1,L1,L9\n";
	struct tx_error err;

	supply_db_new(0, &db, &err);
	supply_db_load_buffer(db, "o.json", osv, strlen(osv), &err);
	supply_db_load_buffer(db, "v.json", vend, strlen(vend), &err);
	supply_db_load_buffer(db, "p.csv", parts, strlen(parts), &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_error err = { 0 };
	struct supply_report rep;
	supply_bom *bom = NULL;

	if (db == NULL)
		init();
	if (supply_bom_parse((const char *)data, size, "fuzz", &bom, &err) != TX_OK)
		return 0;
	if (supply_check(db, bom, NULL, &rep, &err) == TX_OK) {
		json_t *j = supply_report_json(&rep);
		json_decref(j);
	}
	supply_report_free(&rep);
	supply_bom_free(bom);
	return 0;
}
