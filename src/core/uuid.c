/*
 * core/uuid.c: random UUIDs, name-based (version 5) UUIDs, and the UUID
 * shape check. tx_uuid5 is the one function every content-derived id of
 * trilex goes through (docs/ids.md).
 */
#include <sodium.h>
#include <stdio.h>

#include "core/core.h"

void tx_uuid4(char out[TX_UUID_BUF])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, TX_UUID_BUF,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
		 b[11], b[12], b[13], b[14], b[15]);
}

const unsigned char tx_uuid_ns_stix_sco[16] = {
	0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
	0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
};

const unsigned char tx_uuid_ns_trilex[16] = {
	0x6f, 0x1c, 0x2a, 0x3e, 0x7b, 0x4d, 0x4e, 0x8f,
	0x9a, 0x0b, 0x1c, 0x2d, 0x3e, 0x4f, 0x5a, 0x6b,
};

void tx_uuid5(const unsigned char ns[16], const void *name, size_t len,
	      char out[TX_UUID_BUF])
{
	struct tx_sha1 s;

	tx_sha1_init(&s);
	tx_sha1_update(&s, ns, 16);
	tx_sha1_update(&s, name, len);
	tx_uuid5_final(&s, out);
}

void tx_uuid5_final(struct tx_sha1 *s, char out[TX_UUID_BUF])
{
	unsigned char h[20];

	tx_sha1_final(s, h);
	h[6] = (h[6] & 0x0f) | 0x50;
	h[8] = (h[8] & 0x3f) | 0x80;
	/* 8-4-4-4-12 lower-case hex, written by hand: ids are made on the
	 * matching path, where a printf per id showed in profiles */
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[h[i] >> 4];
		*o++ = hex[h[i] & 15];
	}
	*o = '\0';
}

int tx_uuid_valid(const char *s, size_t len)
{
	if (len != 36)
		return 0;
	for (size_t i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return 0;
		}
	}
	return 1;
}
