/*
 * supply/tar.c: a small reader of .tar.gz archives over zlib's gzread.
 *
 * Reads ustar / GNU tar headers (with GNU long names and pax path
 * records), hands the regular files named *.json or *.csv to a callback
 * and skips the rest. Every member is capped (SUPPLY_MEMBER_MAX) and so is
 * the number of members; a truncated or corrupt archive is a clear error
 * naming the archive and the member.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "supply/internal.h"

#define TAR_BLOCK 512
#define TAR_MAX_MEMBERS 2000000
#define TAR_NAME_MAX 1024

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* An octal field (NUL- or space-terminated); -1 when malformed. */
static long long octal(const unsigned char *f, size_t n)
{
	long long v = 0;
	size_t i = 0;

	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (1LL << 50))
			return -1;
		v = v * 8 + (f[i] - '0');
	}
	if (i < n && f[i] != '\0' && f[i] != ' ')
		return -1;
	return v;
}

static int read_full(gzFile gz, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		int r = gzread(gz, (char *)buf + done, (unsigned)(n - done));
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

static int skip(gzFile gz, unsigned long long n)
{
	char buf[8192];

	while (n > 0) {
		size_t k = n < sizeof(buf) ? (size_t)n : sizeof(buf);
		if (read_full(gz, buf, k) != 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* The "path" record of a pax header, if any, into name. */
static void pax_path(const char *data, size_t len, char *name, size_t n)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i, reclen = 0;

		while (j < len && data[j] >= '0' && data[j] <= '9' && reclen < len)
			reclen = reclen * 10 + (size_t)(data[j++] - '0');
		if (reclen == 0 || i + reclen > len || j >= len || data[j] != ' ')
			return;
		j++;
		if (i + reclen - j > 5 && memcmp(data + j, "path=", 5) == 0) {
			size_t vl = i + reclen - (j + 5) - 1; /* minus '\n' */
			if (vl < n) {
				memcpy(name, data + j + 5, vl);
				name[vl] = '\0';
			}
			return;
		}
		i += reclen;
	}
}

tx_err supply_tar_gz_each(const char *path, tar_member_fn fn, void *ctx,
		   struct tx_error *err)
{
	gzFile gz = gzopen(path, "rb");
	unsigned char hdr[TAR_BLOCK];
	char name[TAR_NAME_MAX], next_name[TAR_NAME_MAX] = "", full[TAR_NAME_MAX * 2];
	char *data = NULL;
	size_t members = 0;
	tx_err rc = TX_OK;

	if (gz == NULL)
		return tx_error_set(err, TX_ERR_IO, "%s: cannot open", path);
	gzbuffer(gz, 1 << 17);
	for (;;) {
		long long size;
		unsigned long long padded;
		char type;
		int zero = 1;

		if (read_full(gz, hdr, TAR_BLOCK) != 0) {
			rc = tx_error_set(err, TX_ERR_INVALID, "%s: truncated archive "
					  "(or not gzip)", path);
			goto out;
		}
		for (size_t i = 0; i < TAR_BLOCK; i++)
			if (hdr[i] != 0) {
				zero = 0;
				break;
			}
		if (zero)
			break; /* end of archive */
		if (memcmp(hdr + 257, "ustar", 5) != 0 && hdr[156] > 'z') {
			rc = tx_error_set(err, TX_ERR_INVALID, "%s: not a tar archive",
					  path);
			goto out;
		}
		if (++members > TAR_MAX_MEMBERS) {
			rc = tx_error_set(err, TX_ERR_TOOBIG, "%s: more than %d "
					  "members", path, TAR_MAX_MEMBERS);
			goto out;
		}
		size = octal(hdr + 124, 12);
		if (size < 0) {
			rc = tx_error_set(err, TX_ERR_INVALID, "%s: member %zu: bad "
					  "size field", path, members);
			goto out;
		}
		type = (char)hdr[156];
		padded = ((unsigned long long)size + TAR_BLOCK - 1) / TAR_BLOCK *
			 TAR_BLOCK;
		if (next_name[0] != '\0') {
			snprintf(name, sizeof(name), "%s", next_name);
			next_name[0] = '\0';
		} else if (memcmp(hdr + 257, "ustar", 5) == 0 && hdr[345] != '\0') {
			snprintf(name, sizeof(name), "%.155s/%.100s",
				 (const char *)hdr + 345, (const char *)hdr);
		} else {
			snprintf(name, sizeof(name), "%.100s", (const char *)hdr);
		}
		if (type == 'L' || type == 'x') {
			/* GNU long name / pax header: read it, then the entry */
			char *meta;

			if (size > 65536) {
				rc = tx_error_set(err, TX_ERR_INVALID, "%s: header "
						  "record too long", path);
				goto out;
			}
			meta = malloc((size_t)padded + 1);
			if (meta == NULL) {
				rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
				goto out;
			}
			if (read_full(gz, meta, (size_t)padded) != 0) {
				free(meta);
				rc = tx_error_set(err, TX_ERR_INVALID, "%s: truncated "
						  "archive", path);
				goto out;
			}
			meta[size] = '\0';
			if (type == 'L')
				snprintf(next_name, sizeof(next_name), "%s", meta);
			else
				pax_path(meta, (size_t)size, next_name,
					 sizeof(next_name));
			free(meta);
			continue;
		}
		if ((type != '0' && type != '\0') ||
		    !(ends_with(name, ".json") || ends_with(name, ".csv"))) {
			if (skip(gz, padded) != 0) {
				rc = tx_error_set(err, TX_ERR_INVALID, "%s: truncated "
						  "archive", path);
				goto out;
			}
			continue;
		}
		snprintf(full, sizeof(full), "%s:%s", path, name);
		if ((unsigned long long)size > SUPPLY_MEMBER_MAX) {
			rc = tx_error_set(err, TX_ERR_TOOBIG, "%s: over %zu bytes",
					  full, SUPPLY_MEMBER_MAX);
			goto out;
		}
		data = malloc((size_t)padded + 1);
		if (data == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (read_full(gz, data, (size_t)padded) != 0) {
			rc = tx_error_set(err, TX_ERR_INVALID, "%s: truncated", full);
			goto out;
		}
		data[size] = '\0';
		if ((rc = fn(ctx, full, data, (size_t)size, err)) != TX_OK)
			goto out;
		free(data);
		data = NULL;
	}
out:
	free(data);
	gzclose(gz);
	return rc;
}
