/*
 * core/log.c: one line per event on stderr, with a UTC timestamp.
 *
 * Lines of one kind (the same format string: "refused from %s: ..." for
 * every object of a bad batch, say) are rate-limited: at most repeat_max
 * of them per repeat_interval, counted from the first; the rest are
 * counted and told in one line "N similar lines suppressed" when that
 * interval is over (at the next line logged, or tx_log_flush). So a flood
 * of bad input costs the log a few lines, not one per item.
 */
#include <pthread.h>
#include <stdio.h>

#include "core/core.h"

/* Kinds of line followed at once; a new kind takes the slot of the one
 * seen least recently. */
#define REPEAT_SLOTS 64

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

void tx_log(enum tx_log_level level, const char *fmt, ...)
{
	char ts[TX_TIME_BUF];
	int64_t now;
	va_list ap;

	if (level < min_level)
		return;
	now = tx_time_now_us();
	tx_time_format_ms(now, ts);
	pthread_mutex_lock(&log_lock);
	if (repeat_admit(level, fmt, now)) {
		fprintf(stderr, "%s %s ", ts, names[level]);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
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
