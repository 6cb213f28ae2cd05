/*
 * core/sha1.c: SHA-1 (RFC 3174) for name-based UUIDs (RFC 4122 version 5,
 * which STIX 2.1 section 2.9 uses for SCO ids). Not for security: SHA-1
 * is broken for collisions; here it only has to match what every other
 * implementation of UUIDv5 computes. Streaming, allocation-free.
 */
#include <string.h>

#include "core/core.h"

static inline uint32_t rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

/*
 * One 64-byte block. The rounds are unrolled by the macros below with the
 * message schedule kept in 16 words (w[i & 15]): SCO ids are made for
 * every event a candidate indicator is evaluated on, and the looped form
 * with a branch per round cost about twice as much (callgrind, bench_pattern).
 */
#define W(i) (w[(i) & 15] = rol(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ \
				w[((i) + 2) & 15] ^ w[(i) & 15], 1))
#define F1(b, c, d) (((b) & (c)) | (~(b) & (d)))
#define F2(b, c, d) ((b) ^ (c) ^ (d))
#define F3(b, c, d) (((b) & (c)) | ((b) & (d)) | ((c) & (d)))
#define R(a, b, c, d, e, f, k, x) do { \
		(e) += rol(a, 5) + f(b, c, d) + (k) + (x); \
		(b) = rol(b, 30); \
	} while (0)
#define R5(i, f, k, x) do { \
		R(a, b, c, d, e, f, k, x(i)); \
		R(e, a, b, c, d, f, k, x((i) + 1)); \
		R(d, e, a, b, c, f, k, x((i) + 2)); \
		R(c, d, e, a, b, f, k, x((i) + 3)); \
		R(b, c, d, e, a, f, k, x((i) + 4)); \
	} while (0)
#define X(i) w[i]

static void block(struct tx_sha1 *s, const unsigned char *p)
{
	uint32_t w[16], a, b, c, d, e;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	a = s->h[0];
	b = s->h[1];
	c = s->h[2];
	d = s->h[3];
	e = s->h[4];
	R5(0, F1, 0x5a827999, X);
	R5(5, F1, 0x5a827999, X);
	R5(10, F1, 0x5a827999, X);
	R(a, b, c, d, e, F1, 0x5a827999, X(15));
	R(e, a, b, c, d, F1, 0x5a827999, W(16));
	R(d, e, a, b, c, F1, 0x5a827999, W(17));
	R(c, d, e, a, b, F1, 0x5a827999, W(18));
	R(b, c, d, e, a, F1, 0x5a827999, W(19));
	R5(20, F2, 0x6ed9eba1, W);
	R5(25, F2, 0x6ed9eba1, W);
	R5(30, F2, 0x6ed9eba1, W);
	R5(35, F2, 0x6ed9eba1, W);
	R5(40, F3, 0x8f1bbcdc, W);
	R5(45, F3, 0x8f1bbcdc, W);
	R5(50, F3, 0x8f1bbcdc, W);
	R5(55, F3, 0x8f1bbcdc, W);
	R5(60, F2, 0xca62c1d6, W);
	R5(65, F2, 0xca62c1d6, W);
	R5(70, F2, 0xca62c1d6, W);
	R5(75, F2, 0xca62c1d6, W);
	s->h[0] += a;
	s->h[1] += b;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
}

void tx_sha1_init(struct tx_sha1 *s)
{
	static const uint32_t h0[5] = { 0x67452301, 0xefcdab89, 0x98badcfe,
					0x10325476, 0xc3d2e1f0 };

	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
	s->n = 0;
}

void tx_sha1_update(struct tx_sha1 *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	s->len += len;
	if (s->n > 0) {
		size_t take = 64 - s->n < len ? 64 - s->n : len;
		memcpy(s->buf + s->n, p, take);
		s->n += take;
		p += take;
		len -= take;
		if (s->n < 64)
			return;
		block(s, s->buf);
		s->n = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		block(s, p);
	memcpy(s->buf, p, len);
	s->n = len;
}

void tx_sha1_final(struct tx_sha1 *s, unsigned char out[20])
{
	uint64_t bits = s->len * 8;

	/* 0x80, zeros up to 56 bytes into a block, the length in bits */
	s->buf[s->n++] = 0x80;
	if (s->n > 56) {
		memset(s->buf + s->n, 0, 64 - s->n);
		block(s, s->buf);
		s->n = 0;
	}
	memset(s->buf + s->n, 0, 56 - s->n);
	for (int i = 0; i < 8; i++)
		s->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	block(s, s->buf);
	s->n = 0;
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(s->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)s->h[i];
	}
}
