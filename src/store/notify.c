/*
 * store/notify.c: telling whoever waits that something was committed.
 *
 * Every connection of every trilex process announces its commits: after
 * each one (SQLite's WAL hook, called once the commit is visible to
 * readers) it touches the file DB-notify beside the database (futimens:
 * one system call, no data). A waiter (store_watch) holds an inotify
 * watch on that file, so a `trilex push` or `peer update` in another
 * process wakes a serving node's delivery at once, and nothing needs to
 * poll the database while the node is idle. The store knows nothing of
 * who waits or why.
 *
 * The WAL hook is also where SQLite's automatic checkpoint lives; setting
 * ours replaces it, so ours checkpoints the same way (passive, once the
 * log holds STORE_WAL_CHECKPOINT_FRAMES frames, SQLite's default).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/internal.h"

#define STORE_WAL_CHECKPOINT_FRAMES 1000
#define NOTIFY_SUFFIX "-notify"

static int on_commit(void *ctx, sqlite3 *db, const char *name, int n_frames)
{
	tx_store *st = ctx;

	if (n_frames >= STORE_WAL_CHECKPOINT_FRAMES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL,
					  NULL);
	if (st->notify_fd >= 0)
		futimens(st->notify_fd, NULL);
	return SQLITE_OK;
}

void store_notify_open(tx_store *st, const char *db_path)
{
	char path[PATH_MAX + 16];

	st->notify_fd = -1;
	if ((size_t)snprintf(path, sizeof(path), "%s" NOTIFY_SUFFIX, db_path) <
	    sizeof(path))
		st->notify_fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
				     O_NOFOLLOW | O_NONBLOCK, 0600);
	/* Without the file (a read-only folder) commits still work; only
	 * waiters in other processes are not woken. */
}

void store_notify_install(tx_store *st, const char *db_path)
{
	store_notify_open(st, db_path);
	sqlite3_wal_hook(st->db, on_commit, st);
}

void store_notify_quiet(tx_store *st)
{
	if (st->notify_fd >= 0)
		close(st->notify_fd);
	st->notify_fd = -1;
}

void store_notify_touch(tx_store *st)
{
	if (st->notify_fd >= 0)
		futimens(st->notify_fd, NULL);
}

/* Without inotify (its per-user limit of instances reached), a watch
 * looks at the file's change time every POLL_MS instead. */
#define POLL_MS 50

struct store_watch {
	char path[PATH_MAX + 16];
	int ifd;                 /* inotify, or -1: polling */
	int efd;                 /* eventfd: store_watch_interrupt */
	int wd;                  /* the watch on path, or -1 */
	struct timespec seen;    /* polling: the file's ctime last seen */
	int listening;           /* counted in store_pg_listen_start */
};

static struct timespec ctime_of(const char *path)
{
	struct stat sb;
	struct timespec none = { 0, 0 };

	return stat(path, &sb) == 0 ? sb.st_ctim : none;
}

/* (Re)create the file and watch it; 0 or -1. */
static int watch_add(store_watch *w)
{
	int fd = open(w->path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		      O_NONBLOCK, 0600);

	if (fd >= 0)
		close(fd);
	w->wd = inotify_add_watch(w->ifd, w->path, IN_ATTRIB | IN_MODIFY |
				  IN_DELETE_SELF | IN_MOVE_SELF);
	return w->wd >= 0 ? 0 : -1;
}

tx_err store_watch_open(const char *db_path, store_watch **out,
			struct tx_error *err)
{
	store_watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	w->ifd = w->efd = w->wd = -1;
	if ((size_t)snprintf(w->path, sizeof(w->path), "%s" NOTIFY_SUFFIX,
			     db_path) >= sizeof(w->path)) {
		free(w);
		return tx_error_set(err, TX_ERR_INVALID, "%s: path too long",
				    db_path);
	}
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		tx_error_set(err, TX_ERR_IO, "cannot watch %s for commits: %s",
			     w->path, strerror(errno));
		store_watch_close(w);
		return TX_ERR_IO;
	}
	if ((w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		/* out of inotify instances: poll the file's change time */
		int fd = open(w->path, O_WRONLY | O_CREAT | O_CLOEXEC |
			      O_NOFOLLOW | O_NONBLOCK, 0600);
		if (fd >= 0)
			close(fd);
		w->seen = ctime_of(w->path);
		store_pg_listen_start(db_path);
		w->listening = 1;
		*out = w;
		return TX_OK;
	}
	if (watch_add(w) != 0) {
		tx_error_set(err, TX_ERR_IO, "cannot watch %s for commits: %s",
			     w->path, strerror(errno));
		store_watch_close(w);
		return TX_ERR_IO;
	}
	/* PostgreSQL: commits of other machines touch the file too */
	store_pg_listen_start(db_path);
	w->listening = 1;
	*out = w;
	return TX_OK;
}

int store_watch_polls(const store_watch *w)
{
	return w != NULL && w->ifd < 0;
}

/* store_watch_wait without inotify. */
static int poll_wait(store_watch *w, int timeout_ms)
{
	struct pollfd fd = { .fd = w->efd, .events = POLLIN };

	for (int waited = 0; timeout_ms < 0 || waited < timeout_ms;
	     waited += POLL_MS) {
		struct timespec now = ctime_of(w->path);
		if (now.tv_sec != w->seen.tv_sec || now.tv_nsec != w->seen.tv_nsec) {
			w->seen = now;
			return 1;
		}
		if (poll(&fd, 1, POLL_MS) > 0) {
			uint64_t v;
			if (read(w->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				return -1;
			return 0;
		}
	}
	return 0;
}

int store_watch_wait(store_watch *w, int timeout_ms)
{
	struct pollfd fds[2] = { { .fd = w->ifd, .events = POLLIN },
				 { .fd = w->efd, .events = POLLIN } };
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int seen = 0, lost = 0;
	ssize_t n;

	if (w->ifd < 0)
		return poll_wait(w, timeout_ms);
	if (poll(fds, 2, timeout_ms) <= 0)
		return 0; /* the time is up (or a signal) */
	if (fds[1].revents & POLLIN) {
		uint64_t v;
		if (read(w->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return -1;
	}
	/* every event queued: one wake-up for however many commits */
	while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const void *)p;
			if (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
				lost = 1;
			seen = 1;
			p += sizeof(*e) + e->len;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	if (lost) {
		/* the file went (a restore): watch the one there is now */
		if (w->wd >= 0)
			inotify_rm_watch(w->ifd, w->wd);
		if (watch_add(w) != 0)
			return -1;
	}
	return seen;
}

void store_watch_interrupt(store_watch *w)
{
	uint64_t one = 1;

	if (w != NULL && write(w->efd, &one, sizeof(one)) < 0) {
		/* the counter is full: a wake-up is pending anyway */
	}
}

void store_watch_close(store_watch *w)
{
	if (w == NULL)
		return;
	if (w->listening)
		store_pg_listen_stop();
	if (w->ifd >= 0)
		close(w->ifd);
	if (w->efd >= 0)
		close(w->efd);
	free(w);
}
