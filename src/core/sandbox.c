/*
 * core/sandbox.c: limit the files this process may open, with Landlock.
 *
 * A ruleset names the kinds of file access it governs ("handled"); each
 * rule grants some of them beneath one folder (or on one file); after
 * landlock_restrict_self every access of a handled kind outside the rules
 * fails with EACCES, for the calling thread and every thread and process
 * it starts afterwards (threads started before keep their freedom, so
 * this runs before any). The raw system calls, as glibc has no wrappers;
 * a kernel without Landlock (ENOSYS, or disabled: EOPNOTSUPP) is reported
 * as such and the caller decides. Network access is not limited here.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/core.h"

/* Rights of ABI versions newer than some system headers. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

#define FS_READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | \
		 LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_FILE_ONLY (LANDLOCK_ACCESS_FS_EXECUTE | \
		      LANDLOCK_ACCESS_FS_WRITE_FILE | \
		      LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)
#define FS_ALL_V1 ((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1)

static int abi_version(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
			 LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? -1 : (int)v;
}

int tx_sandbox_available(void)
{
	return abi_version() >= 1;
}

tx_err tx_sandbox_restrict(const struct tx_sandbox_path *paths, size_t n,
			   struct tx_error *err)
{
	struct landlock_ruleset_attr attr = { 0 };
	int abi = abi_version(), ruleset = -1;
	uint64_t handled = FS_ALL_V1;
	tx_err rc = TX_OK;

	if (abi < 1)
		return tx_error_set(err, TX_ERR_NOTFOUND, "Landlock is not available"
				    " (landlock_create_ruleset: %s)",
				    errno == EOPNOTSUPP ? "disabled at boot" :
				    strerror(errno));
	if (abi >= 2)
		handled |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
	attr.handled_access_fs = handled;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return tx_error_set(err, TX_ERR_IO, "landlock_create_ruleset: %s",
				    strerror(errno));
	for (size_t i = 0; i < n; i++) {
		struct landlock_path_beneath_attr rule = { 0 };
		struct stat sb;
		int fd = open(paths[i].path, O_PATH | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* not on this system: nothing to grant */
			rc = tx_error_set(err, TX_ERR_IO, "%s: %s", paths[i].path,
					  strerror(errno));
			goto out;
		}
		rule.parent_fd = fd;
		rule.allowed_access = paths[i].write ? handled : FS_READ;
		/* On a file only the rights that apply to files may be given. */
		if (fstat(fd, &sb) == 0 && !S_ISDIR(sb.st_mode))
			rule.allowed_access &= FS_FILE_ONLY;
		rule.allowed_access &= handled;
		if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
			    &rule, 0) != 0) {
			rc = tx_error_set(err, TX_ERR_IO, "landlock_add_rule %s: %s",
					  paths[i].path, strerror(errno));
			close(fd);
			goto out;
		}
		close(fd);
	}
	/* Required of a process without CAP_SYS_ADMIN; good for all. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		rc = tx_error_set(err, TX_ERR_IO, "prctl(PR_SET_NO_NEW_PRIVS): %s",
				  strerror(errno));
		goto out;
	}
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		rc = tx_error_set(err, TX_ERR_IO, "landlock_restrict_self: %s",
				  strerror(errno));
out:
	close(ruleset);
	return rc;
}
