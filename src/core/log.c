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
 *
 * Form and place (tx_log_setup, from node.json's log_format and
 * log_output): plain text, logfmt or JSON lines; stderr, a file (opened
 * again by tx_log_reopen, on SIGHUP, after rotation) or syslog. A
 * request's line (tx_log_request) has fixed fields: time, client
 * address, account, method, path, status, bytes, duration. It never
 * holds a header, a query string or a body: no password, token or
 * object content reaches the log through it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

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

enum out_kind { OUT_STDERR, OUT_FILE, OUT_SYSLOG };
enum fmt_kind { FMT_TEXT, FMT_LOGFMT, FMT_JSON };
static enum out_kind out_kind = OUT_STDERR;
static enum fmt_kind fmt_kind = FMT_TEXT;
static FILE *out_file;                  /* OUT_FILE: owned */
static char out_path[1024];
/* OUT_SYSLOG: a datagram socket connected to the syslog socket (RFC 3164
 * lines, as the C library's syslog() sends them), -1 until connected. */
static int sys_fd = -1;
static struct sockaddr_un sys_addr;

/* (Re)connect sys_fd to sys_addr; 0 or -1. Called with log_lock held. */
static int sys_connect(void)
{
	if (sys_fd >= 0)
		close(sys_fd);
	if ((sys_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(sys_fd, (const struct sockaddr *)&sys_addr,
		    sizeof(sys_addr)) != 0) {
		close(sys_fd);
		sys_fd = -1;
		return -1;
	}
	return 0;
}

/* One line to syslog: "<PRI>Mmm dd hh:mm:ss trilex[PID]: line", facility
 * daemon; one reconnect when the socket went away (syslogd restarted). */
static void sys_send(int prio, const char *line)
{
	char msg[LOG_LINE_MAX + 64], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(msg, sizeof(msg), "<%d>%s trilex[%ld]: %s",
		     LOG_DAEMON | prio, stamp, (long)getpid(), line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	for (int tries = 0; tries < 2; tries++) {
		if (sys_fd < 0 && sys_connect() != 0)
			continue;
		if (send(sys_fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return; /* syslogd is behind: the line is lost, not the node */
		close(sys_fd);
		sys_fd = -1;
	}
}

/* Write one finished line (no newline) where lines go. Called with
 * log_lock held. */
static void emit(enum tx_log_level level, const char *line)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };

	switch (out_kind) {
	case OUT_SYSLOG:
		sys_send(prio[level], line);
		break;
	case OUT_FILE:
		if (out_file != NULL) {
			fprintf(out_file, "%s\n", line);
			fflush(out_file);
			break;
		}
		/* fall through */
	default:
		fprintf(stderr, "%s\n", line);
	}
}

/* Open path for appending, private. NULL (errno set) on failure. */
static FILE *open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0)
		return NULL;
	if ((f = fdopen(fd, "a")) == NULL)
		close(fd);
	return f;
}

tx_err tx_log_setup(const char *format, const char *output,
		    struct tx_error *err)
{
	enum fmt_kind fk;
	FILE *f = NULL;
	const char *sys_path = NULL;

	if (format == NULL || strcmp(format, "text") == 0)
		fk = FMT_TEXT;
	else if (strcmp(format, "logfmt") == 0)
		fk = FMT_LOGFMT;
	else if (strcmp(format, "json") == 0)
		fk = FMT_JSON;
	else
		return tx_error_set(err, TX_ERR_INVALID, "log_format: \"%s\" must be"
				    " \"text\", \"logfmt\" or \"json\"", format);
	if (output != NULL && strcmp(output, "syslog") == 0)
		sys_path = "/dev/log";
	else if (output != NULL && strncmp(output, "syslog:", 7) == 0) {
		sys_path = output + 7;
		if (sys_path[0] != '/' || strlen(sys_path) >= sizeof(sys_addr.sun_path))
			return tx_error_set(err, TX_ERR_INVALID, "log_output: \"%s\":"
					    " syslog:PATH needs an absolute socket path"
					    " of at most %zu bytes", output,
					    sizeof(sys_addr.sun_path) - 1);
	}
	if (output != NULL && strcmp(output, "stderr") != 0 && sys_path == NULL) {
		if (strlen(output) >= sizeof(out_path))
			return tx_error_set(err, TX_ERR_TOOBIG, "log_output: path"
					    " too long");
		if ((f = open_log(output)) == NULL)
			return tx_error_set(err, TX_ERR_IO, "log_output: %s: %s",
					    output, strerror(errno));
	}
	pthread_mutex_lock(&log_lock);
	fmt_kind = fk;
	if (out_file != NULL)
		fclose(out_file);
	out_file = NULL;
	if (f != NULL) {
		out_kind = OUT_FILE;
		out_file = f;
		snprintf(out_path, sizeof(out_path), "%s", output);
	} else if (sys_path != NULL) {
		out_kind = OUT_SYSLOG;
		memset(&sys_addr, 0, sizeof(sys_addr));
		sys_addr.sun_family = AF_UNIX;
		memcpy(sys_addr.sun_path, sys_path, strlen(sys_path) + 1);
		/* now, before the sandbox: later lines reuse the socket */
		sys_connect();
	} else {
		out_kind = OUT_STDERR;
	}
	pthread_mutex_unlock(&log_lock);
	return TX_OK;
}

tx_err tx_log_reopen(struct tx_error *err)
{
	FILE *f;

	pthread_mutex_lock(&log_lock);
	if (out_kind != OUT_FILE) {
		pthread_mutex_unlock(&log_lock);
		return TX_OK;
	}
	if ((f = open_log(out_path)) == NULL) {
		pthread_mutex_unlock(&log_lock);
		return tx_error_set(err, TX_ERR_IO, "log_output: %s: %s", out_path,
				    strerror(errno));
	}
	if (out_file != NULL)
		fclose(out_file);
	out_file = f;
	pthread_mutex_unlock(&log_lock);
	return TX_OK;
}

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

static void escape(const unsigned char *s, size_t len, int quotes, char *out,
		   size_t outsz);

/* Write a line of level with message msg (raw: len bytes, escaped here
 * for the format) at ts. Called with log_lock held. */
static void put_line(enum tx_log_level level, const char *ts, const char *msg,
		     size_t len)
{
	char esc[LOG_LINE_MAX], line[LOG_LINE_MAX + 128];

	switch (fmt_kind) {
	case FMT_LOGFMT:
		escape((const unsigned char *)msg, len, 1, esc, sizeof(esc));
		snprintf(line, sizeof(line), "time=%s level=%s msg=\"%s\"", ts,
			 names[level], esc);
		break;
	case FMT_JSON:
		escape((const unsigned char *)msg, len, 2, esc, sizeof(esc));
		snprintf(line, sizeof(line), "{\"time\":\"%s\",\"level\":\"%s\","
			 "\"msg\":\"%s\"}", ts, names[level], esc);
		break;
	default:
		escape((const unsigned char *)msg, len, 0, esc, sizeof(esc));
		snprintf(line, sizeof(line), "%s %s %s", ts, names[level], esc);
	}
	emit(level, line);
}

/* Tell how many lines of slot r were left out, and free the slot.
 * Called with log_lock held. */
static void repeat_end(struct repeat *r, int64_t now)
{
	char ts[TX_TIME_BUF], msg[LOG_LINE_MAX];
	int n;

	if (r->n > repeat_max) {
		tx_time_format_ms(now, ts);
		n = snprintf(msg, sizeof(msg), "%lld similar lines suppressed"
			     " (\"%s\")", (long long)(r->n - repeat_max), r->fmt);
		if (n > 0)
			put_line(r->level, ts, msg, (size_t)n < sizeof(msg) ?
				 (size_t)n : sizeof(msg) - 1);
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

/* The escape of byte c (quotes: whether " and \ are escaped too; 2: as
 * in a JSON string, \u00XX) into e; returns its length (1 when c stays
 * as it is). */
static size_t escape_byte(unsigned char c, int quotes, char e[7])
{
	static const char hx[] = "0123456789abcdef";

	if (quotes == 2 && (c < 0x20 || c >= 0x7f) && c != '\n' && c != '\r' &&
	    c != '\t') {
		memcpy(e, "\\u00", 4);
		e[4] = hx[c >> 4];
		e[5] = hx[c & 15];
		return 6;
	}
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
	char e[7];

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
	char ts[TX_TIME_BUF], msg[LOG_LINE_MAX];
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
		if (n >= 0)
			put_line(level, ts, msg, (size_t)n < sizeof(msg) ?
				 (size_t)n : sizeof(msg) - 1);
	}
	pthread_mutex_unlock(&log_lock);
}

/* A logfmt value: as it is when it needs no quotes, else quoted with
 * quotes, backslashes and control bytes escaped. */
static void logfmt_value(const char *v, char *out, size_t outsz)
{
	char esc[1024];
	const char *q;
	size_t n;

	if (v == NULL || *v == '\0') {
		snprintf(out, outsz, "-");
		return;
	}
	n = strlen(v);
	escape((const unsigned char *)v, n, 1, esc, sizeof(esc));
	q = strcmp(esc, v) == 0 && strcspn(v, " =\"") == n ? "" : "\"";
	/* A longer value is cut at outsz, as every field of the line is
	 * capped (the length is looked at only to say that the cut is meant:
	 * a release build's -Wformat-truncation asks). */
	if (snprintf(out, outsz, "%s%s%s", q, esc, q) >= (int)outsz)
		return;
}

void tx_log_request(const struct tx_log_request *r)
{
	char ts[TX_TIME_BUF], line[LOG_LINE_MAX + 128];
	char addr[128], user[160], method[64], path[1100];
	const char *m = r->method ? r->method : "-";
	const char *u = r->user && r->user[0] ? r->user : "-";
	double ms = (double)r->duration_us / 1000.0;

	if (TX_LOG_INFO < min_level)
		return;
	tx_time_format_ms(tx_time_now_us(), ts);
	if (fmt_kind == FMT_JSON) {
		escape((const unsigned char *)(r->addr ? r->addr : "-"),
		       strlen(r->addr ? r->addr : "-"), 2, addr, sizeof(addr));
		escape((const unsigned char *)u, strlen(u), 2, user, sizeof(user));
		escape((const unsigned char *)m, strlen(m), 2, method, sizeof(method));
		escape((const unsigned char *)(r->path ? r->path : "-"),
		       strlen(r->path ? r->path : "-"), 2, path, sizeof(path));
		snprintf(line, sizeof(line), "{\"time\":\"%s\",\"level\":\"info\","
			 "\"msg\":\"request\",\"addr\":\"%s\",\"user\":\"%s\","
			 "\"method\":\"%s\",\"path\":\"%s\",\"status\":%u,"
			 "\"bytes\":%lld,\"duration_ms\":%.3f}", ts, addr, user,
			 method, path, r->status, (long long)r->bytes, ms);
	} else {
		logfmt_value(r->addr, addr, sizeof(addr));
		logfmt_value(u, user, sizeof(user));
		logfmt_value(m, method, sizeof(method));
		logfmt_value(r->path, path, sizeof(path));
		snprintf(line, sizeof(line), "%s%s%s%s%s addr=%s user=%s method=%s"
			 " path=%s status=%u bytes=%lld duration_ms=%.3f",
			 fmt_kind == FMT_LOGFMT ? "time=" : "", ts,
			 fmt_kind == FMT_LOGFMT ? " level=" : " ", names[TX_LOG_INFO],
			 fmt_kind == FMT_LOGFMT ? " msg=request" : " request", addr,
			 user, method, path, r->status, (long long)r->bytes, ms);
	}
	pthread_mutex_lock(&log_lock);
	emit(TX_LOG_INFO, line);
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
	if (out_file != NULL)
		fflush(out_file);
	pthread_mutex_unlock(&log_lock);
}
