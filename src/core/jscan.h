/*
 * core/jscan.h: the byte scanners both JSON readers share (core/jparse.c
 * for whole documents, sensor/eve.c for EVE lines at line rate). Inline:
 * they sit in the innermost loops.
 */
#ifndef TRILEX_CORE_JSCAN_H
#define TRILEX_CORE_JSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * Length of the valid UTF-8 sequence at p[0, left) (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 1 for ASCII, or 0.
 */
static inline size_t tx_utf8_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return left >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (left < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (left < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * The position of the first byte at or after i that a string cannot hold
 * as is (quote, backslash, control byte or non-ASCII byte), or n. Sixteen
 * bytes at a time where SSE2 is there, then eight (SWAR), then one; never
 * reads at or past n.
 */
static inline size_t tx_json_plain_run(const unsigned char *s, size_t i, size_t n)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
		      space = _mm_set1_epi8(0x20);
	while (i + 16 <= n) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		/* signed compare: bytes 0x80-0xff are negative, so below 0x20 too */
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
					 _mm_cmplt_epi8(x, space));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);
		if (bits != 0)
			return i + (size_t)__builtin_ctz(bits);
		i += 16;
	}
#endif
	while (i + 8 <= n) {
		uint64_t x;
		memcpy(&x, s + i, 8);
		const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
		uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
		/* exact for the lowest flagged byte: borrows only run upwards */
		uint64_t special = (((q - ones) & ~q) | ((b - ones) & ~b) | (x - ones * 0x20) | x) & highs;
		if (special != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)__builtin_ctzll(special) / 8;
#else
			break;
#endif
		}
		i += 8;
	}
	for (; i < n; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
			break;
	}
	return i;
}

#endif
