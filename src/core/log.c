/*
 * core/log.c: one line per event on stderr, with a UTC timestamp.
 *
 * Log lines carry text from outside (user names, paths, header values,
 * partners' messages). A line is always one line of printable ASCII:
 * tx_log escapes every control byte and every byte past ASCII in the
 * formatted message, so that no sender can start a line of its own or
 * send escape sequences to an operator's terminal. tx_log_escape does the
 * same to one piece of outside text, and also its quotes and backslashes,
 * for a message that quotes it.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

#define LOG_LINE_MAX 4096

static enum tx_log_level min_level = TX_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void tx_log_set_level(enum tx_log_level level)
{
	min_level = level;
}

/* The escape of byte c (quotes: whether " and \ are escaped too) into e;
 * returns its length (1 when c stays as it is). */
static size_t escape_byte(unsigned char c, int quotes, char e[5])
{
	static const char hx[] = "0123456789abcdef";

	switch (c) {
	case '\n': memcpy(e, "\\n", 2); return 2;
	case '\r': memcpy(e, "\\r", 2); return 2;
	case '\t': memcpy(e, "\\t", 2); return 2;
	case '"': case '\\':
		if (!quotes)
			break;
		e[0] = '\\';
		e[1] = (char)c;
		return 2;
	default:
		if (c < 0x20 || c >= 0x7f) {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hx[c >> 4];
			e[3] = hx[c & 15];
			return 4;
		}
	}
	e[0] = (char)c;
	return 1;
}

/* Escape len bytes of s into out (outsz > 3); "..." ends a cut text. */
static void escape(const unsigned char *s, size_t len, int quotes, char *out,
		   size_t outsz)
{
	size_t o = 0, total = 0, room;
	char e[5];

	for (size_t i = 0; i < len && total < outsz; i++)
		total += escape_byte(s[i], quotes, e);
	/* All of it when it fits, else what fits beside "..." and the NUL. */
	room = total < outsz ? outsz - 1 : outsz - 4;
	for (size_t i = 0; i < len; i++) {
		size_t n = escape_byte(s[i], quotes, e);
		if (o + n > room)
			break;
		memcpy(out + o, e, n);
		o += n;
	}
	if (total >= outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

const char *tx_log_escape(const void *s, size_t len, char *out, size_t outsz)
{
	if (outsz < 4) {
		if (outsz > 0)
			out[0] = '\0';
		return out;
	}
	escape(s, len, 1, out, outsz);
	return out;
}

void tx_log(enum tx_log_level level, const char *fmt, ...)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	char ts[TX_TIME_BUF], msg[LOG_LINE_MAX], line[LOG_LINE_MAX];
	va_list ap;
	int n;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	escape((const unsigned char *)msg,
	       (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, 0, line,
	       sizeof(line));
	tx_time_format_ms(tx_time_now_us(), ts);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s %s %s\n", ts, names[level], line);
	pthread_mutex_unlock(&log_lock);
}
