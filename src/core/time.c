/*
 * core/time.c: RFC 3339 timestamps in UTC, as STIX and TAXII use them.
 * Internally a time is int64 microseconds since the Unix epoch.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/core.h"

int64_t tx_time_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

tx_err tx_time_parse(const char *s, int64_t *us, int *ndigits)
{
	int y, mo, d, h, mi, sec, frac = 0, nd = 0;
	size_t len;

	if (s == NULL)
		return TX_ERR_INVALID;
	len = strlen(s);
	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return TX_ERR_INVALID;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &sec))
		return TX_ERR_INVALID;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (nd < 6)
				frac = frac * 10 + (*p - '0');
			nd++;
			p++;
		}
		if (nd == 0 || nd > 9)
			return TX_ERR_INVALID;
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return TX_ERR_INVALID;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return TX_ERR_INVALID;
	if (sec == 60) /* a leap second: count it as the last instant of :59 */
		sec = 59, frac = 999999, nd = nd < 6 ? 6 : nd;
	for (int i = nd; i < 6; i++)
		frac *= 10;
	int64_t days = days_from_civil(y, mo, d);
	*us = ((days * 86400) + h * 3600 + mi * 60 + sec) * (int64_t)1000000 + frac;
	if (ndigits)
		*ndigits = nd;
	return TX_OK;
}

/* y-m-d of a day count from 1970-01-01 (the inverse of days_from_civil). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static char *put_digits(char *p, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/*
 * Years 0-9999 are written digit by digit (an EVE event with candidates
 * formats its time once, and snprintf with gmtime was a tenth of making
 * its STIX); any other year as before, through gmtime_r and snprintf
 * (test_time_format checks both against gmtime_r and snprintf).
 */
static void format(int64_t us, char buf[TX_TIME_BUF], int ms)
{
	char tmp[96];
	int64_t secs = us / 1000000, frac = us % 1000000;
	int64_t days, y;
	int m, d;
	struct tm tm;
	time_t t;

	if (frac < 0)
		frac += 1000000, secs--;
	days = secs / 86400;
	if (secs % 86400 < 0)
		days--;
	civil_from_days(days, &y, &m, &d);
	if (y >= 0 && y <= 9999) {
		int64_t sod = secs - days * 86400;
		char *p = put_digits(buf, y, 4);
		*p++ = '-';
		p = put_digits(p, m, 2);
		*p++ = '-';
		p = put_digits(p, d, 2);
		*p++ = 'T';
		p = put_digits(p, sod / 3600, 2);
		*p++ = ':';
		p = put_digits(p, sod / 60 % 60, 2);
		*p++ = ':';
		p = put_digits(p, sod % 60, 2);
		*p++ = '.';
		p = ms ? put_digits(p, frac / 1000, 3) : put_digits(p, frac, 6);
		*p++ = 'Z';
		*p = '\0';
		return;
	}
	t = (time_t)secs;
	gmtime_r(&t, &tm);
	if (ms)
		snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, (int)(frac / 1000));
	else
		snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, (int)frac);
	snprintf(buf, TX_TIME_BUF, "%.31s", tmp);
}

void tx_time_format(int64_t us, char buf[TX_TIME_BUF])
{
	format(us, buf, 0);
}

void tx_time_format_ms(int64_t us, char buf[TX_TIME_BUF])
{
	format(us, buf, 1);
}
