/*
 * fuzz/fuzz_warninglist.c: the warning-list reader and its index.
 *
 * The input is a MISP warning list (JSON). It is either added or refused
 * with a message; once added, lookups of slices of the input as every
 * kind of value must not crash, and its STIX form must read back with as
 * many entries.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/sensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sensor_warn_info info, info2;
	struct tx_error err = { 0 };
	sensor_warn *w = NULL, *w2 = NULL;
	json_t *l = tx_json_load((const char *)data, size, 0, NULL), *o = NULL;
	const char *names[4];

	if (l == NULL)
		return 0;
	if (sensor_warn_new(1u << 16, &w) != TX_OK)
		goto out;
	if (sensor_warn_add(w, l, &info, &err) != TX_OK) {
		if (err.msg[0] == '\0')
			abort(); /* a refusal says why */
		goto out;
	}
	for (int k = SENSOR_WARN_IP; k <= SENSOR_WARN_NONE; k++)
		for (size_t i = 0; i + 1 < size && i < 256; i += 7)
			sensor_warn_check(w, (enum sensor_warn_kind)k, (const char *)data + i,
					  size - i < 64 ? size - i : 64, names, 4);
	if ((o = sensor_warn_stix(l, NULL, &err)) == NULL)
		goto out;
	if (sensor_warn_new(1u << 16, &w2) != TX_OK)
		goto out;
	if (sensor_warn_add(w2, o, &info2, &err) != TX_OK || info2.n_entries != info.n_entries)
		abort(); /* the STIX form is the same list */
out:
	json_decref(o);
	json_decref(l);
	sensor_warn_free(w);
	sensor_warn_free(w2);
	return 0;
}
