/*
 * The harness's ports: four processes claiming 40 ports each at once get
 * 160 different ports, none in the kernel's ephemeral range (where any
 * outgoing connection may take one), each still bindable. Before, a port
 * was "bind port 0, close, hand it on": an ephemeral port, free for the
 * next caller until serve bound it (a race between parallel tests).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define PROCS 4
#define EACH 40

static void test_ports_distinct_and_outside_ephemeral(void **state)
{
	int fds[2], lo = 32768, hi = 60999, seen[65536] = { 0 };
	pid_t pid[PROCS];
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	if (f != NULL) {
		assert_int_equal(fscanf(f, "%d %d", &lo, &hi), 2);
		fclose(f);
	}
	assert_int_equal(pipe(fds), 0);
	for (int p = 0; p < PROCS; p++) {
		if ((pid[p] = fork()) == 0) {
			close(fds[0]);
			for (int i = 0; i < EACH; i++) {
				int port = harness_port();
				if (write(fds[1], &port, sizeof(port)) != sizeof(port))
					_exit(1);
			}
			/* hold the claims until every process has claimed */
			usleep(300000);
			_exit(0);
		}
		assert_true(pid[p] > 0);
	}
	close(fds[1]);
	int port, n = 0, dup = 0, inrange = 0;
	while (read(fds[0], &port, sizeof(port)) == sizeof(port)) {
		assert_true(port > 0 && port < 65536);
		dup += seen[port]++ > 0;
		inrange += port >= lo && port <= hi;
		n++;
	}
	close(fds[0]);
	for (int p = 0; p < PROCS; p++) {
		int status;
		assert_int_equal(waitpid(pid[p], &status, 0), pid[p]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	printf("# %d ports claimed by %d processes: %d shared, %d in the ephemeral"
	       " range %d-%d\n", n, PROCS, dup, inrange, lo, hi);
	assert_int_equal(n, PROCS * EACH);
	assert_int_equal(dup, 0);
	assert_int_equal(inrange, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports_distinct_and_outside_ephemeral),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
