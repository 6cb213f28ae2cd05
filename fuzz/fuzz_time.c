/*
 * fuzz/fuzz_time.c: RFC 3339 timestamps and decimal integers.
 *
 * Whatever tx_time_parse accepts must format in at most 31 characters and
 * parse back to the same instant (formatting keeps microseconds, which is
 * all the parser keeps). The millisecond form must fit too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *in, const char *buf,
		 int64_t a, int64_t b)
{
	fprintf(stderr, "fuzz_time: %s: input \"%s\" formatted \"%s\":"
		" %lld != %lld\n", what, in, buf, (long long)a, (long long)b);
	abort();
}

/* The formatted text is at most 31 chars: its NUL is inside the buffer. */
static void check_buf(const char *in, const char buf[TX_TIME_BUF])
{
	if (memchr(buf, '\0', TX_TIME_BUF) == NULL)
		fail("format has no NUL within TX_TIME_BUF", in, "", 0, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char buf[TX_TIME_BUF + 8], buf_ms[TX_TIME_BUF + 8];
	int64_t us, us2, n;
	int nd = -1;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (tx_time_parse(s, &us, &nd) == TX_OK) {
		if (nd < 0 || nd > 9)
			fail("digits out of range", s, "", nd, 0);
		/* Canaries past the documented buffer catch overruns. */
		memset(buf, 'X', sizeof(buf));
		memset(buf_ms, 'X', sizeof(buf_ms));
		tx_time_format(us, buf);
		tx_time_format_ms(us, buf_ms);
		for (size_t i = TX_TIME_BUF; i < sizeof(buf); i++)
			if (buf[i] != 'X' || buf_ms[i] != 'X')
				fail("format writes past TX_TIME_BUF", s, buf, 0, 0);
		check_buf(s, buf);
		check_buf(s, buf_ms);
		if (tx_time_parse(buf, &us2, NULL) != TX_OK)
			fail("formatted time does not parse", s, buf, us, 0);
		if (us2 != us)
			fail("round trip changed the time", s, buf, us, us2);
		if (tx_time_parse(buf_ms, &us2, NULL) != TX_OK)
			fail("millisecond form does not parse", s, buf_ms, us, 0);
		if (us2 != us - (us % 1000 + 1000) % 1000)
			fail("millisecond round trip", s, buf_ms, us, us2);
	}
	if (tx_parse_int64(s, INT64_MIN, INT64_MAX, &n) == TX_OK) {
		char back[32];
		int64_t n2;

		/* What it accepted prints as a number it accepts again. */
		snprintf(back, sizeof(back), "%lld", (long long)n);
		if (tx_parse_int64(back, INT64_MIN, INT64_MAX, &n2) != TX_OK ||
		    n2 != n)
			fail("integer round trip", s, back, n, n2);
	}
	(void)tx_parse_int64(s, 1, 1000, &n);
	free(s);
	return 0;
}
