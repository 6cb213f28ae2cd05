/*
 * fuzz/fuzz_watch.c: the parsers of watch/ on arbitrary input. The first
 * byte picks what the rest is: a scope string, a watch.json, or a JSON
 * list of {"party", "object"} records (proposals, votes, people,
 * relationships, partner proposals with an optional "refused") run
 * through the checks and the whole consensus rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "watch/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_error err = { 0 };
	char *text;

	if (size < 1 || size > 65536)
		return 0;
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0: {
		struct watch_scope sc;
		char buf[WATCH_KEY_MAX];
		if (watch_scope_parse(text, &sc, &err) == TX_OK)
			watch_scope_format(&sc, buf);
		break;
	}
	case 1: {
		struct watch_settings s;
		watch_settings_parse(text, size - 1, &s, &err);
		break;
	}
	default: {
		json_t *doc = json_loadb(text, size - 1, 0, NULL), *x;
		struct watch_record rec[64];
		watch_state *st = NULL;
		size_t i, n = 0;
		json_array_foreach(doc, i, x) {
			if (n == 64)
				break;
			rec[n].party = json_string_value(json_object_get(x, "party"));
			rec[n].obj = json_object_get(x, "object");
			/* what watch_state_load says of a partner proposal whose
			 * signature or card does not hold */
			rec[n].refused = json_string_value(json_object_get(x,
								"refused"));
			if (rec[n].obj == NULL)
				continue;
			watch_proposal_check(rec[n].obj, &err);
			watch_vote_check(rec[n].obj, &err);
			n++;
		}
		if (watch_state_build(rec, n, 1735689600000000LL, &st, &err) == TX_OK) {
			json_t *j = watch_state_json(st);
			json_t *w = watch_aor_who(st, "defense", "GB", NULL);
			json_t *r = watch_route_object(st, json_object_get(
				json_array_get(doc, 0), "object"), NULL);
			watch_indicator_expired(st, "indicator--0a000000-0000-4000-8000-"
						"000000000005");
			json_decref(j);
			json_decref(w);
			json_decref(r);
			watch_state_free(st);
		}
		json_decref(doc);
		break;
	}
	}
	free(text);
	return 0;
}
