/*
 * fuzz_sigpath: libFuzzer target for the audit paths of batch signatures
 * (fed_sig_batch_root), which a partner's objects carry in our extension.
 *
 * The input is parsed as a JSON object; its canonical form without our
 * extension is the leaf, and the extension's batch_size, batch_index and
 * batch_path lead to a root. Whatever they hold, the function must answer
 * (0, 1, -1 or -2) without reading or writing out of bounds, and a root
 * it computes must come out the same the second time.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "federation/internal.h"
#include "stix/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *obj = json_loadb((const char *)data, size, 0, NULL);
	const json_t *e;
	unsigned char root[SIG_HASH_BYTES], again[SIG_HASH_BYTES];
	struct tx_error err = { 0 };
	uint64_t n = 0, m = 0;
	char *canon = NULL;
	size_t len = 0;
	int r;

	if (obj == NULL)
		return 0;
	e = json_object_get(json_object_get(obj, "extensions"), FED_SIG_EXT);
	if (json_is_object(obj) &&
	    stix_canonicalize_omit(obj, FED_SIG_EXT, &canon, &len, &err) == TX_OK) {
		r = fed_sig_batch_root(e, canon, len, &n, root);
		if (r < -2 || r > 1)
			abort();
		if (r == 1 && (fed_sig_batch_root(e, canon, len, &m, again) != 1 ||
			       m != n || memcmp(root, again, sizeof(root)) != 0))
			abort();
	}
	free(canon);
	json_decref(obj);
	return 0;
}
