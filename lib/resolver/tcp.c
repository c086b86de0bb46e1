/* DNS over TCP after a truncated UDP reply: a non-blocking connection stepped by the exchange's
 * poll loop, so that a slow TCP server delays no other question and no deadline. */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tcp_fail(char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "tcp %s: %s", what, e ? strerror(e) : "connection closed");
	return -1;
}

void fcr_tcp_init(struct fcr_tcp *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

void fcr_tcp_close(struct fcr_tcp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	free(t->out);
	free(t->in);
	fcr_tcp_init(t);
}

int fcr_tcp_start(struct fcr_tcp *t, const struct fcr_ns *ns, const uint8_t *wire, size_t len,
                  char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = fcr_ns_sockaddr(ns, &ss);

	fcr_tcp_init(t);
	if (len > 65535) {
		snprintf(err, errlen, "tcp: query too long");
		return -1;
	}
	t->out = malloc(len + 2);
	if (!t->out)
		return tcp_fail(err, errlen, "query", ENOMEM);
	t->out[0] = (uint8_t)(len >> 8);
	t->out[1] = (uint8_t)(len & 0xff);
	memcpy(t->out + 2, wire, len);
	t->outlen = len + 2;
	t->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		int e = errno;
		fcr_tcp_close(t);
		return tcp_fail(err, errlen, "socket", e);
	}
	if (connect(t->fd, (struct sockaddr *)&ss, sslen) == 0)
		t->connected = true;
	else if (errno != EINPROGRESS) {
		int e = errno;
		fcr_tcp_close(t);
		return tcp_fail(err, errlen, "connect", e);
	}
	return 0;
}

short fcr_tcp_events(const struct fcr_tcp *t)
{
	return (short)(!t->connected || t->outoff < t->outlen ? POLLOUT : POLLIN);
}

static int tcp_write(struct fcr_tcp *t, char *err, size_t errlen)
{
	while (t->outoff < t->outlen) {
		ssize_t w = send(t->fd, t->out + t->outoff, t->outlen - t->outoff, MSG_NOSIGNAL);
		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
			               ? 0 : tcp_fail(err, errlen, "send", errno);
		t->outoff += (size_t)w;
	}
	return 0;
}

/* Reads into dst up to want bytes; 1 when complete, 0 to wait, -1 on error or EOF. */
static int tcp_fill(int fd, uint8_t *dst, size_t want, size_t *have, char *err, size_t errlen)
{
	while (*have < want) {
		ssize_t r = recv(fd, dst + *have, want - *have, 0);
		if (r == 0)
			return tcp_fail(err, errlen, "recv", 0);
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
			               ? 0 : tcp_fail(err, errlen, "recv", errno);
		*have += (size_t)r;
	}
	return 1;
}

static int tcp_read(struct fcr_tcp *t, char *err, size_t errlen)
{
	int rc;

	if (!t->in) {
		rc = tcp_fill(t->fd, t->lenbuf, 2, &t->lenoff, err, errlen);
		if (rc <= 0)
			return rc;
		t->inlen = (size_t)t->lenbuf[0] << 8 | t->lenbuf[1];
		t->inoff = 0;
		t->in = malloc(t->inlen ? t->inlen : 1);
		if (!t->in)
			return tcp_fail(err, errlen, "reply", ENOMEM);
	}
	return tcp_fill(t->fd, t->in, t->inlen, &t->inoff, err, errlen);
}

int fcr_tcp_step(struct fcr_tcp *t, short revents, char *err, size_t errlen)
{
	if (!t->connected) {
		int e = 0;
		socklen_t elen = sizeof(e);
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0)
			e = errno;
		if (e)
			return tcp_fail(err, errlen, "connect", e);
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		t->connected = true;
	}
	if (t->outoff < t->outlen) {
		if (tcp_write(t, err, errlen) < 0)
			return -1;
		if (t->outoff < t->outlen)
			return 0;
	}
	return tcp_read(t, err, errlen);
}

void fcr_tcp_next(struct fcr_tcp *t)
{
	free(t->in);
	t->in = NULL;
	t->inlen = t->inoff = t->lenoff = 0;
}
