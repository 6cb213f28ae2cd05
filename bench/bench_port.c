/*
 * bench/bench_port.c: print a TCP port on 127.0.0.1 that is free right now
 * (bind to port 0, read the port the kernel chose, close). Another process
 * may take it before the server binds; bench/run retries on failure.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		perror("bench_port");
		return 1;
	}
	printf("%u\n", (unsigned)ntohs(sa.sin_port));
	close(fd);
	return 0;
}
