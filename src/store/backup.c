/*
 * store/backup.c: a consistent copy of a live database.
 *
 * SQLite's online backup, in one step: the copy is the database as of one
 * read transaction, whatever writers (this process's or others') do
 * meanwhile; in WAL mode they are not held up. The copy is written to a
 * new file of mode 0600 and checked (integrity_check) before it counts.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/internal.h"

tx_err store_backup(tx_store *st, const char *path, int64_t *objects,
		    struct tx_error *err)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	sqlite3_stmt *s = NULL;
	tx_err rc = TX_OK;
	int fd, r;

	if (st->backend != STORE_BACKEND_SQLITE)
		return tx_error_set(err, TX_ERR_INVALID, "backup: the store is on"
				    " PostgreSQL: back it up with pg_dump or a"
				    " base backup (docs/store-postgres.md)");
	/* Made here, empty and 0600, so the copy is never readable by others
	 * for a moment; an existing file is refused. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return tx_error_set(err, TX_ERR_IO, "%s: cannot create: %m", path);
	close(fd);
	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = tx_error_set(err, TX_ERR_DB, "%s: %s", path,
				  dst ? sqlite3_errmsg(dst) : "cannot open");
		goto out;
	}
	if ((b = sqlite3_backup_init(dst, "main", st->db, "main")) == NULL) {
		rc = tx_error_set(err, TX_ERR_DB, "backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	/* One step of all pages: one read transaction, one snapshot. Busy
	 * (a writer of another process holding a lock SQLite must wait for)
	 * is retried for a while. */
	for (int tries = 0; tries < 200; tries++) {
		r = sqlite3_backup_step(b, -1);
		if (r != SQLITE_BUSY && r != SQLITE_LOCKED)
			break;
		usleep(50000);
	}
	sqlite3_backup_finish(b);
	if (r != SQLITE_DONE) {
		rc = tx_error_set(err, TX_ERR_DB, "backup: %s", sqlite3_errstr(r));
		goto out;
	}
	/* The copy stands alone: no WAL beside it. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(dst, "PRAGMA integrity_check", -1, &s, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW ||
	    sqlite3_stricmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
		rc = tx_error_set(err, TX_ERR_DB, "%s: the copy fails its integrity"
				  " check", path);
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (objects != NULL) {
		*objects = 0;
		if (sqlite3_prepare_v2(dst, "SELECT count(*) FROM objects", -1, &s,
				       NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
			*objects = sqlite3_column_int64(s, 0);
	}
out:
	sqlite3_finalize(s);
	sqlite3_close(dst);
	if (rc != TX_OK)
		unlink(path);
	return rc;
}
