/* core/log.c: one line per event on stderr, with a UTC timestamp. */
#include <pthread.h>
#include <stdio.h>

#include "core/core.h"

static enum tx_log_level min_level = TX_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void tx_log_set_level(enum tx_log_level level)
{
	min_level = level;
}

void tx_log(enum tx_log_level level, const char *fmt, ...)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	char ts[TX_TIME_BUF];
	va_list ap;

	if (level < min_level)
		return;
	tx_time_format_ms(tx_time_now_us(), ts);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s %s ", ts, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}
