/*
 * fuzz/fuzz_osv.c: the OSV reader (and the other JSON advisory sources
 * it dispatches to), and the version comparers. The input is loaded as
 * an advisory document; its first two lines are also compared as
 * versions under every ecosystem, which must be antisymmetric.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supply/supply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void versions(const uint8_t *data, size_t size)
{
	char a[300], b[300];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t na, nb;

	if (nl == NULL)
		return;
	na = (size_t)(nl - data);
	nb = size - na - 1;
	if (na >= sizeof(a) || nb >= sizeof(b))
		return;
	memcpy(a, data, na);
	a[na] = '\0';
	memcpy(b, nl + 1, nb);
	b[nb] = '\0';
	for (int e = SUPPLY_ECO_UNKNOWN; e <= SUPPLY_ECO_DEBIAN; e++) {
		int r1 = 0, r2 = 0;
		tx_err x = supply_version_cmp(e, a, b, &r1);
		tx_err y = supply_version_cmp(e, b, a, &r2);

		if (x != y || (x == TX_OK && ((r1 > 0) != (r2 < 0) ||
					      (r1 == 0) != (r2 == 0)))) {
			fprintf(stderr, "fuzz_osv: eco %d: \"%s\" vs \"%s\": %d / %d\n",
				e, a, b, r1, r2);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_error err = { 0 };
	supply_db *db = NULL;
	json_t *emit = json_array();

	versions(data, size);
	if (supply_db_new((size_t)64 << 20, &db, &err) != TX_OK)
		return 0;
	supply_db_set_emit(db, emit, NULL);
	supply_db_load_buffer(db, "fuzz.json", (const char *)data, size, &err);
	/* what was shared must load back */
	for (size_t i = 0; i < json_array_size(emit); i++)
		supply_db_load_stix(db, json_array_get(emit, i), &err);
	supply_db_free(db);
	json_decref(emit);
	return 0;
}
