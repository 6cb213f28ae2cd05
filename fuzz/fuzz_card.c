/*
 * fuzz/fuzz_card.c: peer cards (federation/card.c), what a partner hands
 * over out of band and `peer add` / `peer update --card` read.
 *
 * The input is a card (JSON). It is either taken or refused with a
 * message; once taken, the handover check against a pin (the card's own
 * key, then another) must answer without crashing, and the card's own
 * key always hands over to itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_peer *p = calloc(1, sizeof(*p)), *pin = calloc(1, sizeof(*pin));
	struct tx_error err = { 0 };
	json_t *card = tx_json_load((const char *)data, size, 0, NULL);

	if (card == NULL || p == NULL || pin == NULL)
		goto out;
	if (fed_card_parse(card, NULL, p, &err) != TX_OK) {
		if (err.msg[0] == '\0')
			abort(); /* a refusal says why */
		goto out;
	}
	*pin = *p;
	if (fed_card_handover_check(card, pin, &err) != TX_OK)
		abort(); /* its own key hands over to itself */
	memset(pin->sign_pk, 'a', 64);
	if (fed_card_handover_check(card, pin, &err) != TX_OK && err.msg[0] == '\0')
		abort();
out:
	json_decref(card);
	free(p);
	free(pin);
	return 0;
}
