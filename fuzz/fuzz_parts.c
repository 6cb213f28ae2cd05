/*
 * fuzz/fuzz_parts.c: the CSV readers (our parts list, the FCC Covered
 * List), then a check of a small hardware BOM against what was read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supply/supply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static supply_bom *bom;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char text[] =
		"{\"bomFormat\": \"CycloneDX\", \"components\": ["
		"{\"type\": \"device\", \"name\": \"Q1\", \"manufacturer\": {\"name\":"
		" \"Acme Inc.\"}, \"properties\": [{\"name\": \"trilex:lot\", \"value\":"
		" \"L5\"}, {\"name\": \"trilex:date-code\", \"value\": \"2214\"}]},"
		"{\"type\": \"device\", \"name\": \"Q2\", \"supplier\": {\"name\":"
		" \"Huawei Technologies Co., Ltd.\"}, \"hashes\": [{\"alg\": \"SHA-256\","
		" \"content\": \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}]}]}";
	struct tx_error err = { 0 };
	struct supply_report rep;
	supply_db *db = NULL;

	if (bom == NULL &&
	    supply_bom_parse(text, strlen(text), "b", &bom, &err) != TX_OK)
		abort();
	if (supply_db_new((size_t)64 << 20, &db, &err) != TX_OK)
		return 0;
	if (supply_db_load_buffer(db, "fuzz.csv", (const char *)data, size,
				  &err) == TX_OK &&
	    supply_check(db, bom, NULL, &rep, &err) == TX_OK)
		supply_report_free(&rep);
	supply_db_free(db);
	return 0;
}
