/*
 * taxii/accept.c: the server's accept path, in front of libmicrohttpd.
 *
 * Design: MHD opens the listening socket and is then quiesced, so it
 * accepts nothing itself; one thread of ours accepts, and holds each new
 * socket until its first byte arrives (MSG_PEEK: the byte stays for TLS).
 * A TLS handshake (0x16) goes to MHD through MHD_add_connection, which
 * applies every connection limit (total, per address) exactly as for a
 * socket MHD had accepted itself; anything else is a client speaking plain
 * HTTP to an HTTPS port, and gets one plain "HTTP/1.1 400" with a TAXII
 * error body naming the https:// address, then the socket is closed.
 *
 * Nothing here blocks: the held sockets are polled together, each for at
 * most plain_http_peek_ms, and a socket still silent by then goes to MHD
 * as it is (its head_timeout_s and the pending-connection budget then
 * apply). At most max_pending_connections sockets are held (when full,
 * the oldest goes to MHD first), and at most max_connections_per_address
 * of one address (more go to MHD at once): a silent client costs a slot
 * for at most plain_http_peek_ms and never holds the accept path.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "taxii/internal.h"

/* Bytes of a plain request read to find its Host header. */
#define PLAIN_HEAD_MAX 4096
/* Sockets accepted in one pass before the held ones are looked at. */
#define ACCEPT_BURST 64

struct held {
	int fd;
	int64_t deadline_us;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

struct taxii_accept {
	struct MHD_Daemon *daemon;     /* borrowed */
	int listen_fd;                 /* owned (MHD was quiesced) */
	int wake[2];                   /* a byte in wake[1] stops the thread */
	int port;
	int64_t peek_us;
	size_t max_held, max_per_addr;
	struct held *held;             /* oldest first */
	size_t n_held;
	struct pollfd *pfd;            /* 2 + max_held */
	pthread_t thread;
	int running;
	pthread_mutex_t lock;          /* guards stats */
	struct taxii_accept_stats stats;
};

static void count(struct taxii_accept *a, uint64_t *field)
{
	pthread_mutex_lock(&a->lock);
	(*field)++;
	pthread_mutex_unlock(&a->lock);
}

static int same_addr(const struct held *h, const struct sockaddr_storage *s,
		     socklen_t len)
{
	if (h->addrlen != len || h->addr.ss_family != s->ss_family)
		return 0;
	if (s->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)&h->addr)->sin_addr,
			      &((const struct sockaddr_in *)s)->sin_addr,
			      sizeof(struct in_addr)) == 0;
	if (s->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)&h->addr)->sin6_addr,
			      &((const struct sockaddr_in6 *)s)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return 0;
}

/* Give fd to MHD; MHD closes it if it may not take it (its limits). */
static void hand_over(struct taxii_accept *a, int fd,
		      const struct sockaddr_storage *addr, socklen_t len)
{
	if (MHD_add_connection(a->daemon, fd, (const struct sockaddr *)addr,
			       len) != MHD_YES)
		count(a, &a->stats.refused);
	else
		count(a, &a->stats.handed);
}

static void drop_held(struct taxii_accept *a, size_t i)
{
	memmove(&a->held[i], &a->held[i + 1],
		(a->n_held - i - 1) * sizeof(a->held[0]));
	a->n_held--;
}

/* Whether host (from the client's Host header) is a plain host[:port] we
 * may echo: letters, digits, '.', '-', ':' and IPv6 brackets only. */
static int host_ok(const char *host, size_t len)
{
	if (len == 0 || len > 255)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = host[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == ':' || c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

void taxii_accept_https_url(const char *head, int port, char *out, size_t n)
{
	const char *p = head;

	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, "Host:", 5) != 0)
			continue;
		p += 5;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t len = strcspn(p, "\r\n");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (!host_ok(p, len))
			break;
		const char *close = memchr(p, ']', len);
		const char *colon = memchr(close ? close : p, ':',
					   len - (size_t)((close ? close : p) - p));
		if (colon != NULL)
			snprintf(out, n, "https://%.*s/", (int)len, p);
		else
			snprintf(out, n, "https://%.*s:%d/", (int)len, p, port);
		return;
	}
	snprintf(out, n, "https://127.0.0.1:%d/", port);
}

/* A client spoke plain HTTP: read what it sent (what is there, no wait),
 * answer one 400 with a TAXII error body and close. */
static void answer_plain(struct taxii_accept *a, const struct held *h)
{
	char head[PLAIN_HEAD_MAX + 1], url[300], body[700], reply[1024];
	char ip[INET6_ADDRSTRLEN] = "?";
	int fd = h->fd;
	ssize_t got = recv(fd, head, PLAIN_HEAD_MAX, MSG_DONTWAIT);
	int blen, rlen;

	head[got > 0 ? got : 0] = '\0';
	taxii_accept_https_url(head, a->port, url, sizeof(url));
	blen = snprintf(body, sizeof(body),
			"{\"title\":\"this port speaks HTTPS\","
			"\"description\":\"this port speaks HTTPS: use %s\","
			"\"error_code\":\"plain-http\",\"http_status\":\"400\"}\n",
			url);
	rlen = snprintf(reply, sizeof(reply),
			"HTTP/1.1 400 Bad Request\r\n"
			"Content-Type: application/taxii+json;version=2.1\r\n"
			"Content-Length: %d\r\n"
			"Connection: close\r\n\r\n%s", blen, body);
	if (blen > 0 && rlen > 0 && (size_t)rlen < sizeof(reply))
		(void)send(fd, reply, (size_t)rlen, MSG_DONTWAIT | MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	close(fd);
	count(a, &a->stats.plain_http);
	if (h->addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&h->addr)->sin_addr,
			  ip, sizeof(ip));
	else if (h->addr.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&h->addr)->sin6_addr,
			  ip, sizeof(ip));
	tx_log(TX_LOG_INFO, "http: a client speaking plain HTTP to this HTTPS"
	       " port (addr=%s) was answered 400: it must use https://", ip);
}

/* The first byte of held socket i is in (or it closed): decide. */
static void decide(struct taxii_accept *a, size_t i)
{
	struct held h = a->held[i];
	unsigned char b;
	ssize_t n = recv(h.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	drop_held(a, i);
	if (n <= 0) {
		close(h.fd);
		count(a, &a->stats.closed);
	} else if (b == 0x16) {
		hand_over(a, h.fd, &h.addr, h.addrlen);
	} else {
		answer_plain(a, &h);
	}
}

static void accept_some(struct taxii_accept *a)
{
	for (int k = 0; k < ACCEPT_BURST; k++) {
		struct sockaddr_storage addr;
		socklen_t len = sizeof(addr);
		int fd = accept4(a->listen_fd, (struct sockaddr *)&addr, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		size_t same = 0;

		if (fd < 0)
			return; /* EAGAIN, or EMFILE and the like: poll again */
		count(a, &a->stats.accepted);
		if (a->peek_us == 0) {
			hand_over(a, fd, &addr, len);
			continue;
		}
		for (size_t i = 0; i < a->n_held; i++)
			same += same_addr(&a->held[i], &addr, len);
		if (same >= a->max_per_addr) {
			hand_over(a, fd, &addr, len);
			continue;
		}
		if (a->n_held == a->max_held) {
			struct held old = a->held[0];
			drop_held(a, 0);
			hand_over(a, old.fd, &old.addr, old.addrlen);
		}
		a->held[a->n_held].fd = fd;
		a->held[a->n_held].addr = addr;
		a->held[a->n_held].addrlen = len;
		a->held[a->n_held].deadline_us = tx_time_now_us() + a->peek_us;
		a->n_held++;
	}
}

static void *accept_run(void *arg)
{
	struct taxii_accept *a = arg;

	for (;;) {
		int64_t now = tx_time_now_us();
		int timeout = -1;
		size_t n_polled;

		/* the silent past their peek go to MHD as they are */
		while (a->n_held > 0 && a->held[0].deadline_us <= now) {
			struct held old = a->held[0];
			drop_held(a, 0);
			count(a, &a->stats.silent);
			hand_over(a, old.fd, &old.addr, old.addrlen);
		}
		if (a->n_held > 0)
			timeout = (int)((a->held[0].deadline_us - now + 999) / 1000);
		a->pfd[0] = (struct pollfd){ .fd = a->wake[0], .events = POLLIN };
		a->pfd[1] = (struct pollfd){ .fd = a->listen_fd, .events = POLLIN };
		n_polled = a->n_held;
		for (size_t i = 0; i < n_polled; i++)
			a->pfd[2 + i] = (struct pollfd){ .fd = a->held[i].fd,
							 .events = POLLIN };
		if (poll(a->pfd, 2 + n_polled, timeout) < 0) {
			if (errno == EINTR)
				continue;
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (a->pfd[0].revents)
			break;
		/* from the last, so that drop_held keeps earlier indexes */
		for (size_t i = n_polled; i-- > 0;)
			if (a->pfd[2 + i].revents)
				decide(a, i);
		if (a->pfd[1].revents & POLLIN)
			accept_some(a);
	}
	return NULL;
}

tx_err taxii_accept_start(struct MHD_Daemon *daemon, const struct tx_config *cfg,
			  struct taxii_accept **out, struct tx_error *err)
{
	const union MHD_DaemonInfo *di;
	struct taxii_accept *a;
	int fd;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return TX_ERR_NOMEM;
	a->listen_fd = a->wake[0] = a->wake[1] = -1;
	pthread_mutex_init(&a->lock, NULL);
	a->daemon = daemon;
	a->port = cfg->listen_port;
	if ((di = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT)) != NULL &&
	    di->port != 0)
		a->port = di->port;
	a->peek_us = cfg->plain_http_peek_ms * 1000;
	a->max_held = (size_t)cfg->max_pending_connections;
	a->max_per_addr = (size_t)cfg->max_connections_per_address;
	a->held = calloc(a->max_held, sizeof(*a->held));
	a->pfd = calloc(a->max_held + 2, sizeof(*a->pfd));
	if (a->held == NULL || a->pfd == NULL) {
		taxii_accept_stop(a);
		return TX_ERR_NOMEM;
	}
	if (pipe2(a->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		taxii_accept_stop(a);
		return tx_error_set(err, TX_ERR_IO, "accept: pipe: %s",
				    strerror(errno));
	}
	/* From here on MHD accepts nothing itself: the socket is ours. */
	if ((fd = MHD_quiesce_daemon(daemon)) == MHD_INVALID_SOCKET) {
		taxii_accept_stop(a);
		return tx_error_set(err, TX_ERR_IO, "accept: the HTTP daemon"
				    " gave no listening socket");
	}
	a->listen_fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (pthread_create(&a->thread, NULL, accept_run, a) != 0) {
		taxii_accept_stop(a);
		return tx_error_set(err, TX_ERR_IO, "accept: cannot start a thread");
	}
	a->running = 1;
	*out = a;
	return TX_OK;
}

void taxii_accept_stop(struct taxii_accept *a)
{
	if (a == NULL)
		return;
	if (a->running) {
		char b = 1;
		while (write(a->wake[1], &b, 1) < 0 && errno == EINTR)
			;
		pthread_join(a->thread, NULL);
	}
	for (size_t i = 0; i < a->n_held; i++)
		close(a->held[i].fd);
	if (a->listen_fd >= 0)
		close(a->listen_fd);
	if (a->wake[0] >= 0)
		close(a->wake[0]);
	if (a->wake[1] >= 0)
		close(a->wake[1]);
	free(a->held);
	free(a->pfd);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

void taxii_accept_stats_get(struct taxii_accept *a, struct taxii_accept_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	*out = a->stats;
	pthread_mutex_unlock(&a->lock);
}
