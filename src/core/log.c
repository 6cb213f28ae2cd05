/*
 * core/log.c: one line per event on stderr, with a UTC timestamp.
 *
 * Lines of one kind (the same format string: "refused from %s: ..." for
 * every object of a bad batch, say) are rate-limited: at most repeat_max
 * of them per repeat_interval, counted from the first; the rest are
 * counted and told in one line "N similar lines suppressed" when that
 * interval is over (at the next line logged, or tx_log_flush). So a flood
 * of bad input costs the log a few lines, not one per item.
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

/* Kinds of line followed at once; a new kind takes the slot of the one
 * seen least recently. */
#define REPEAT_SLOTS 64
#define LOG_LINE_MAX 4096

struct repeat {
	const char *fmt;         /* borrowed: a format string literal */
	enum tx_log_level level;
	int64_t start;           /* us: when its interval began */
	int64_t last;            /* us: when it was last logged or counted */
	int64_t n;               /* lines of the interval, printed or not */
};

static const char *const names[] = { "debug", "info", "warn", "error" };
static enum tx_log_level min_level = TX_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct repeat repeats[REPEAT_SLOTS];
static int64_t repeat_max = 10;
static int64_t repeat_interval_us = 60LL * 1000000;

void tx_log_set_level(enum tx_log_level level)
{
	min_level = level;
}

void tx_log_set_repeat(int64_t max_lines, int64_t interval_s)
{
	pthread_mutex_lock(&log_lock);
	if (max_lines >= 1)
		repeat_max = max_lines;
	if (interval_s >= 1)
		repeat_interval_us = interval_s * 1000000;
	pthread_mutex_unlock(&log_lock);
}

/* Tell how many lines of slot r were left out, and free the slot.
 * Called with log_lock held. */
static void repeat_end(struct repeat *r, int64_t now)
{
	char ts[TX_TIME_BUF];

	if (r->n > repeat_max) {
		tx_time_format_ms(now, ts);
		fprintf(stderr, "%s %s %lld similar lines suppressed (\"%s\")\n",
			ts, names[r->level], (long long)(r->n - repeat_max),
			r->fmt);
	}
	r->fmt = NULL;
	r->n = 0;
}

/* Whether a line of format fmt is to be printed; counts it. Ends the
 * intervals that are over. Called with log_lock held. */
static int repeat_admit(enum tx_log_level level, const char *fmt, int64_t now)
{
	struct repeat *slot = NULL, *victim = NULL;

	for (int i = 0; i < REPEAT_SLOTS; i++) {
		struct repeat *r = &repeats[i];
		if (r->fmt != NULL && now - r->start >= repeat_interval_us)
			repeat_end(r, now);
		if (r->fmt == fmt)
			slot = r;
		/* a free slot, else the one seen least recently */
		if (victim == NULL ||
		    (victim->fmt != NULL &&
		     (r->fmt == NULL || r->last < victim->last)))
			victim = r;
	}
	if (slot == NULL) {
		slot = victim;
		if (slot->fmt != NULL)
			repeat_end(slot, now);
		slot->fmt = fmt;
		slot->level = level;
		slot->start = now;
	}
	slot->last = now;
	return ++slot->n <= repeat_max;
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
	char ts[TX_TIME_BUF], msg[LOG_LINE_MAX], line[LOG_LINE_MAX];
	int64_t now;
	va_list ap;
	int n;

	if (level < min_level)
		return;
	now = tx_time_now_us();
	tx_time_format_ms(now, ts);
	pthread_mutex_lock(&log_lock);
	if (repeat_admit(level, fmt, now)) {
		va_start(ap, fmt);
		n = vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		if (n >= 0) {
			escape((const unsigned char *)msg,
			       (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1,
			       0, line, sizeof(line));
			fprintf(stderr, "%s %s %s\n", ts, names[level], line);
		}
	}
	pthread_mutex_unlock(&log_lock);
}

void tx_log_flush(void)
{
	int64_t now = tx_time_now_us();

	pthread_mutex_lock(&log_lock);
	for (int i = 0; i < REPEAT_SLOTS; i++)
		if (repeats[i].fmt != NULL)
			repeat_end(&repeats[i], now);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}
