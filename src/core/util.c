/* core/util.c: checked integer parsing, whole-file I/O, hex, paths. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

tx_err tx_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end = NULL;
	long long v;

	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return TX_ERR_INVALID;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return TX_ERR_INVALID;
	*out = v;
	return TX_OK;
}

tx_err tx_read_file(const char *path, size_t max, char **out, size_t *len,
		    struct tx_error *err)
{
	struct tx_buf b;
	struct stat sb;
	FILE *f;
	size_t n;
	tx_err rc = TX_OK;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL)
		return tx_error_set(err, TX_ERR_IO, "%s: %s", path, strerror(errno));
	tx_buf_init(&b, max);
	/* A file's size is known: one buffer, read into directly. */
	if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    (uintmax_t)sb.st_size <= b.max)
		rc = tx_buf_reserve(&b, (size_t)sb.st_size);
	while (rc == TX_OK) {
		size_t room = b.cap > b.len + 1 ? b.cap - b.len - 1 : 0;
		if (room == 0) {
			/* Grow by up to 64 KB, never past the cap. */
			size_t more = b.max - b.len < 65536 ? b.max - b.len : 65536;
			char probe;
			if (more == 0) {
				/* At the cap: only the end of the file may follow. */
				if (fread(&probe, 1, 1, f) == 1)
					rc = TX_ERR_TOOBIG;
				break;
			}
			if ((rc = tx_buf_reserve(&b, more)) != TX_OK)
				break;
			room = b.cap - b.len - 1;
		}
		if ((n = fread(b.data + b.len, 1, room, f)) == 0)
			break;
		b.len += n;
	}
	if (b.data != NULL)
		b.data[b.len] = '\0';
	if (rc != TX_OK) {
		tx_error_set(err, rc, "%s: %s", path,
			     rc == TX_ERR_TOOBIG ? "file too large" : "out of memory");
		goto out;
	}
	if (ferror(f)) {
		rc = tx_error_set(err, TX_ERR_IO, "%s: read error", path);
		goto out;
	}
	if (len)
		*len = b.len;
	*out = tx_buf_take(&b);
out:
	if (f != stdin)
		fclose(f);
	tx_buf_free(&b);
	return rc;
}

tx_err tx_write_file(const char *path, const void *data, size_t len,
		     unsigned mode, struct tx_error *err)
{
	char tmp[PATH_MAX];
	int fd;
	tx_err rc = TX_OK;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return tx_error_set(err, TX_ERR_TOOBIG, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return tx_error_set(err, TX_ERR_IO, "%s: %s", tmp, strerror(errno));
	fchmod(fd, mode);
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = tx_error_set(err, TX_ERR_IO, "%s: %s", tmp, strerror(errno));
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (rc == TX_OK && fsync(fd) != 0)
		rc = tx_error_set(err, TX_ERR_IO, "%s: %s", tmp, strerror(errno));
	close(fd);
	if (rc == TX_OK && rename(tmp, path) != 0)
		rc = tx_error_set(err, TX_ERR_IO, "%s: %s", path, strerror(errno));
	if (rc != TX_OK)
		unlink(tmp);
	return rc;
}

tx_err tx_mkdir_private(const char *path, struct tx_error *err)
{
	struct stat sb;

	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return tx_error_set(err, TX_ERR_IO, "%s: %s", path, strerror(errno));
	if (stat(path, &sb) != 0)
		return tx_error_set(err, TX_ERR_IO, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return tx_error_set(err, TX_ERR_IO, "%s: not a directory", path);
	if ((sb.st_mode & 07777) != 0700 && chmod(path, 0700) != 0)
		return tx_error_set(err, TX_ERR_IO, "%s: cannot make it mode 0700:"
				    " %s", path, strerror(errno));
	return TX_OK;
}

tx_err tx_chmod_private(const char *path, struct tx_error *err)
{
	if (chmod(path, 0600) != 0 && errno != ENOENT)
		return tx_error_set(err, TX_ERR_IO, "%s: cannot make it mode 0600:"
				    " %s", path, strerror(errno));
	return TX_OK;
}

tx_err tx_check_private(const char *path, int may_be_missing,
			struct tx_error *err)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		if (errno == ENOENT && may_be_missing)
			return TX_OK;
		return tx_error_set(err, TX_ERR_IO, "%s: %s", path, strerror(errno));
	}
	if ((sb.st_mode & 077) != 0)
		return tx_error_set(err, TX_ERR_DENIED, "%s: holds secrets but is"
				    " open to %s (mode %04o); run: chmod 600 %s",
				    path, (sb.st_mode & 070) == 0 ? "others" :
				    (sb.st_mode & 07) ? "its group and others" :
				    "its group",
				    (unsigned)(sb.st_mode & 07777), path);
	return TX_OK;
}

void tx_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

size_t tx_u64_text(uint64_t v, char *out)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n;
}

tx_err tx_path_join(char *out, size_t outsz, const char *dir, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= outsz ? TX_ERR_TOOBIG : TX_OK;
}
