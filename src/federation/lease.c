/*
 * federation/lease.c: the names under which serve processes hold the
 * delivery to a partner (store/leases.c), and telling a dead holder on
 * this machine from a live one.
 *
 * A holder is "HOST/BOOT/PIDNS/PID/RANDOM": the host name, the first 12
 * characters of the kernel's boot id, the inode of the process's PID
 * namespace, its pid and 8 random hex digits (a pid used again after a
 * restart is another holder). A holder of the same host, boot and PID
 * namespace whose pid is gone is dead at once: a serve restarted after a
 * SIGKILL delivers without waiting out its predecessor's lease. Holders
 * on other machines (or in other containers) are only ever waited out.
 */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "federation/internal.h"

/* "HOST/BOOT/PIDNS/" of this process, without the pid. */
static void machine_prefix(char *out, size_t n)
{
	char host[64] = "", boot[40] = "";
	struct stat sb;
	unsigned long long ns = 0;
	FILE *f;

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++)
		if (*p == '/')
			*p = '_';
	if ((f = fopen("/proc/sys/kernel/random/boot_id", "r")) != NULL) {
		if (fgets(boot, sizeof(boot), f) == NULL)
			boot[0] = '\0';
		fclose(f);
	}
	boot[strcspn(boot, "\n/")] = '\0';
	boot[12 < strlen(boot) ? 12 : strlen(boot)] = '\0';
	if (stat("/proc/self/ns/pid", &sb) == 0)
		ns = (unsigned long long)sb.st_ino;
	snprintf(out, n, "%s/%s/%llu/", host, boot, ns);
}

void fed_lease_holder_make(char out[STORE_LEASE_HOLDER_MAX])
{
	char prefix[STORE_LEASE_HOLDER_MAX - 28];

	machine_prefix(prefix, sizeof(prefix));
	snprintf(out, STORE_LEASE_HOLDER_MAX, "%s%ld/%08x", prefix, (long)getpid(),
		 (unsigned)randombytes_random());
}

int fed_lease_holder_dead(const char *holder)
{
	char prefix[STORE_LEASE_HOLDER_MAX - 28];
	size_t n;
	char *end;
	long pid;

	machine_prefix(prefix, sizeof(prefix));
	n = strlen(prefix);
	/* no boot id or namespace known: nothing can be told */
	if (strstr(prefix, "//") != NULL || strncmp(holder, prefix, n) != 0)
		return 0;
	errno = 0;
	pid = strtol(holder + n, &end, 10);
	if (errno != 0 || end == holder + n || *end != '/' || pid <= 0 ||
	    pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}
