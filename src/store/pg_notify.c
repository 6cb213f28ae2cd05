/*
 * store/pg_notify.c: commits announced across machines, on PostgreSQL.
 *
 * On one machine a commit touches DIR/trilex.db-notify (store/notify.c)
 * and every waiter there wakes through inotify. Serve processes on other
 * machines share only the database, so on PostgreSQL each COMMIT is sent
 * as "COMMIT; NOTIFY trilex_commit, 'ID'" (one round trip; the NOTIFY
 * runs once the commit is done, so a waiter that wakes sees the data),
 * and a process that waits (store_watch_open) runs one listener thread:
 * its own connection LISTENs on trilex_commit and, for each notification
 * from another notify file, touches this machine's notify file, so the
 * existing waiters wake. ID names the notify file (a hash of the boot id
 * and its path): the commits that touched this file already are not
 * touched again.
 *
 * A wake-up only: the data is read from tables. A lost notification (the
 * listener's connection lost) delays and never loses: once connected
 * again the listener touches the file once, as if a commit had been seen.
 * The listener waits in poll() without a timeout: idle, it costs nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store/internal.h"

#define CHANNEL "trilex_commit"
#define RECONNECT_MS 1000

void store_pg_notify_id(const char *db_path, char out[STORE_PG_NOTIFY_ID_BUF])
{
	char copy[PATH_MAX], dir[PATH_MAX], boot[64] = "";
	uint64_t h = TX_HASH64_INIT; /* core's FNV-1a */
	const char *base;
	FILE *f;

	snprintf(copy, sizeof(copy), "%s", db_path);
	if (realpath(dirname(copy), dir) == NULL)
		snprintf(dir, sizeof(dir), "%s", db_path);
	snprintf(copy, sizeof(copy), "%s", db_path);
	base = basename(copy);
	if ((f = fopen("/proc/sys/kernel/random/boot_id", "r")) != NULL) {
		if (fgets(boot, sizeof(boot), f) == NULL)
			boot[0] = '\0';
		fclose(f);
	}
	for (const char *parts[] = { boot, "\n", dir, "/", base, NULL }, **p = parts;
	     *p; p++)
		h = tx_hash64(h, *p, strlen(*p));
	snprintf(out, STORE_PG_NOTIFY_ID_BUF, "%016llx", (unsigned long long)h);
}

void store_pg_notify_commit_sql(const char *id, char *out, size_t n)
{
	/* id is 16 hex digits of ours (store_pg_notify_id), never input */
	snprintf(out, n, "COMMIT; NOTIFY " CHANNEL ", '%s'", id);
}

/* ---- the listener: one per process ---- */

static struct {
	pthread_mutex_t lock;
	int refs;
	pthread_t thread;
	int efd;                       /* eventfd: stop */
	char id[STORE_PG_NOTIFY_ID_BUF];
	char path[PATH_MAX + 16];      /* the notify file to touch */
	char conninfo[1024];
} listener = { .lock = PTHREAD_MUTEX_INITIALIZER, .efd = -1 };

static void touch(void)
{
	int fd = open(listener.path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		      O_NONBLOCK, 0600);

	if (fd >= 0) {
		futimens(fd, NULL);
		close(fd);
	}
}

/* Wait ms for the stop signal: 1 when it came. */
static int stop_within(int ms)
{
	struct pollfd p = { .fd = listener.efd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

static PGconn *connect_listen(void)
{
	const char *keys[] = { "dbname", "connect_timeout", NULL };
	const char *vals[] = { listener.conninfo, "10", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	PGresult *res;

	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return NULL;
	}
	res = PQexec(c, "LISTEN " CHANNEL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		PQfinish(c);
		return NULL;
	}
	PQclear(res);
	return c;
}

static void *listen_run(void *arg)
{
	PGconn *c = NULL;
	int logged = 0;

	for (;;) {
		struct pollfd fds[2] = { { .fd = listener.efd, .events = POLLIN },
					 { .fd = -1, .events = POLLIN } };
		PGnotify *n;
		int seen = 0;

		if (c == NULL) {
			if ((c = connect_listen()) == NULL) {
				if (!logged++)
					tx_log(TX_LOG_WARN, "postgres: cannot LISTEN for"
					       " commits of other machines (trying again"
					       " every %d ms)", RECONNECT_MS);
				if (stop_within(RECONNECT_MS))
					break;
				continue;
			}
			if (logged)
				tx_log(TX_LOG_INFO, "postgres: listening for commits"
				       " again");
			logged = 0;
			/* what was committed while not listening */
			touch();
		}
		fds[1].fd = PQsocket(c);
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].revents & POLLIN)
			break;
		if (!PQconsumeInput(c)) {
			PQfinish(c);
			c = NULL;
			continue;
		}
		while ((n = PQnotifies(c)) != NULL) {
			if (n->extra == NULL || strcmp(n->extra, listener.id) != 0)
				seen = 1;
			PQfreemem(n);
		}
		if (seen)
			touch();
	}
	PQfinish(c);
	return NULL;
}

void store_pg_listen_start(const char *db_path)
{
	const char *conninfo = store_conninfo();

	if (conninfo == NULL)
		return; /* SQLite: the notify file is all there is */
	pthread_mutex_lock(&listener.lock);
	if (listener.refs++ > 0) {
		pthread_mutex_unlock(&listener.lock);
		return;
	}
	snprintf(listener.conninfo, sizeof(listener.conninfo), "%s", conninfo);
	snprintf(listener.path, sizeof(listener.path), "%s-notify", db_path);
	store_pg_notify_id(db_path, listener.id);
	listener.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (listener.efd < 0 ||
	    pthread_create(&listener.thread, NULL, listen_run, NULL) != 0) {
		tx_log(TX_LOG_WARN, "postgres: no listener for commits of other"
		       " machines: %s", strerror(errno));
		if (listener.efd >= 0)
			close(listener.efd);
		listener.efd = -1;
		listener.refs = 0;
	}
	pthread_mutex_unlock(&listener.lock);
}

void store_pg_listen_stop(void)
{
	uint64_t one = 1;

	pthread_mutex_lock(&listener.lock);
	if (listener.refs == 0 || --listener.refs > 0) {
		pthread_mutex_unlock(&listener.lock);
		return;
	}
	if (write(listener.efd, &one, sizeof(one)) < 0) {
		/* the counter is full: the thread is told already */
	}
	pthread_join(listener.thread, NULL);
	close(listener.efd);
	listener.efd = -1;
	pthread_mutex_unlock(&listener.lock);
}
