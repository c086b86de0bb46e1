/* One question of the real transport in flight: its UDP attempts (each listening for its own ID
 * until the question is settled), the TCP query after truncation, the replies judged. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fcr_pend_close(struct fcr_pend *p)
{
	for (size_t i = 0; i < p->attempts; i++) {
		if (p->tries[i].fd >= 0)
			close(p->tries[i].fd);
		p->tries[i].fd = -1;
	}
	fcr_tcp_close(&p->tcp);
}

void fcr_pend_finish(struct fcr_pend *p, enum fcr_xfer xfer, const char *detail)
{
	fcr_pend_close(p);
	p->done = true;
	p->out->xfer = xfer;
	snprintf(p->out->detail, sizeof(p->out->detail), "%s", detail);
}

/* No proper answer: an unparsable one beats silence, silence beats a local failure. At the
 * deadline a question still in flight (or never sent for lack of time) has timed out. */
void fcr_pend_give_up(struct fcr_pend *p, bool deadline)
{
	char d[sizeof(p->err)];

	if (p->bad) {
		fcr_pend_finish(p, FCR_XFER_BADREPLY, p->baddetail);
		return;
	}
	if (deadline || p->timed_out || !p->err[0])
		snprintf(d, sizeof(d), "%s after %zu attempt%s", deadline ? "deadline" : "timeout",
		         p->attempts, p->attempts == 1 ? "" : "s");
	else
		snprintf(d, sizeof(d), "%s", p->err);
	fcr_pend_finish(p, deadline || p->sent ? FCR_XFER_TIMEOUT :
	                   p->no_socket ? FCR_XFER_NOSOCKET : FCR_XFER_NETERR, d);
}

static bool listening(const struct fcr_pend *p)
{
	for (size_t i = 0; i < p->attempts; i++)
		if (p->tries[i].fd >= 0)
			return true;
	return p->tcp.fd >= 0;
}

/* Whether the latest attempt can still bring an answer (over UDP or the TCP it led to). */
static bool latest_alive(const struct fcr_pend *p)
{
	size_t last = p->attempts - 1;
	return p->attempts > 0 &&
	       (p->tries[last].fd >= 0 || (p->tcp.fd >= 0 && p->tcp_try == last));
}

static void ns_text(const struct fcr_xchg *x, size_t ns, char *buf, size_t len)
{
	fcr_ns_format(&x->conf->ns[ns], buf, len);
}

static void close_try(struct fcr_try *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* The process or the system is out of sockets (or of memory for one): asking again at once, or
 * another server, cannot help, and this is no news about the resolver. */
static bool out_of_sockets(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

/* A fresh connected UDP socket (random source port; the kernel drops other peers' datagrams)
 * and the query sent on it. Returns false with p->err set on failure. */
static bool udp_send(const struct fcr_xchg *x, struct fcr_pend *p, struct fcr_try *t)
{
	struct sockaddr_storage ss;
	socklen_t sslen = fcr_ns_sockaddr(&x->conf->ns[t->ns], &ss);
	char where[FCR_ADDR_STRLEN + 8];
	const char *what = "socket";
	ssize_t sent = -1;
	int e;

	errno = 0;
	t->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd >= 0) {
		what = "connect";
		if (connect(t->fd, (struct sockaddr *)&ss, sslen) == 0) {
			what = "send";
			sent = send(t->fd, p->wire, p->wlen, 0);
			if (sent == (ssize_t)p->wlen)
				return true;
		}
	}
	e = errno;
	close_try(t);
	/* send() failing with ENOBUFS is a full queue, not a missing socket */
	p->no_socket = sent < 0 && strcmp(what, "send") != 0 && out_of_sockets(e);
	if (p->no_socket) {
		snprintf(p->err, sizeof(p->err), "no socket: %s", strerror(e));
		return false;
	}
	ns_text(x, t->ns, where, sizeof(where));
	snprintf(p->err, sizeof(p->err), "%s to %s: %s", what, where,
	         sent >= 0 ? "short write" : strerror(e));
	return false;
}

/* Starts the next attempt, skipping attempts that fail locally; earlier attempts keep listening.
 * Each attempt, sent or not, gives replies DNSTimeout more. With none left, or no socket to be had,
 * p ends unless an earlier attempt still listens. */
void fcr_pend_next(const struct fcr_xchg *x, struct fcr_pend *p, int64_t now)
{
	while (p->attempts < x->max) {
		struct fcr_try *t = &p->tries[p->attempts];
		t->ns = p->attempts % x->conf->nns;
		p->attempts++;
		t->id = (uint16_t)arc4random();
		fcr_wire_set_id(p->wire, t->id);
		p->until = now + x->conf->timeout_ms;
		p->timed_out = false;
		if (udp_send(x, p, t)) {
			p->sent = true;
			return;
		}
		if (p->no_socket)
			break;
	}
	if (!listening(p))
		fcr_pend_give_up(p, false);
}

/* A socket of p failed: when it was the latest attempt's, the next one starts now. */
static void lost(const struct fcr_xchg *x, struct fcr_pend *p, int64_t now)
{
	if (!latest_alive(p))
		fcr_pend_next(x, p, now);
}

void fcr_pend_init(struct fcr_pend *p, const struct fcr_question *q, struct fcr_reply *out,
                   size_t max)
{
	bool oom;

	memset(p, 0, sizeof(*p));
	p->q = q;
	p->out = out;
	fcr_tcp_init(&p->tcp);
	p->tries = calloc(max, sizeof(*p->tries));
	if (!p->tries)
		fcr_pend_finish(p, FCR_XFER_NETERR, "out of memory");
	else if (fcr_wire_query(q->name, q->type, &p->qname, &p->wire, &p->wlen, &oom) != 0)
		fcr_pend_finish(p, FCR_XFER_NETERR, oom ? "out of memory" : "bad query name");
}

/* The TCP helpers do not know the server: name it in their failure. */
static void tcp_failed(const struct fcr_xchg *x, struct fcr_pend *p, const char *why,
                       int64_t now)
{
	char where[FCR_ADDR_STRLEN + 8];

	ns_text(x, p->tries[p->tcp_try].ns, where, sizeof(where));
	snprintf(p->err, sizeof(p->err), "%s: %.40s", where, why);
	fcr_tcp_close(&p->tcp);
	lost(x, p, now);
}

/* Attempt k was truncated: ask its server again over TCP, with its ID (one connection at a time;
 * a newer truncation replaces an older one). */
static void go_tcp(const struct fcr_xchg *x, struct fcr_pend *p, size_t k, int64_t now)
{
	char why[sizeof(p->err)];

	close_try(&p->tries[k]);
	fcr_tcp_close(&p->tcp);
	p->tcp_try = k;
	p->tcp_gen++;
	fcr_wire_set_id(p->wire, p->tries[k].id);
	if (fcr_tcp_start(&p->tcp, &x->conf->ns[p->tries[k].ns], p->wire, p->wlen, why,
	                  sizeof(why)) != 0) {
		tcp_failed(x, p, why, now);
		return;
	}
	if (p->until < now + x->conf->timeout_ms)
		p->until = now + x->conf->timeout_ms;
}

/* A matching reply to attempt k: keep it, or go to TCP when it was truncated. */
static void accept_reply(const struct fcr_xchg *x, struct fcr_pend *p, size_t k, ldns_pkt *pkt,
                         bool tcp, int64_t now)
{
	if (!tcp && ldns_pkt_tc(pkt)) {
		ldns_pkt_free(pkt);
		go_tcp(x, p, k, now);
		return;
	}
	int rc = fcr_wire_fill(pkt, p->out);
	ldns_pkt_free(pkt);
	if (rc != 0) {
		fcr_pend_finish(p, FCR_XFER_NETERR, "out of memory");
		return;
	}
	p->out->tcp = tcp;
	fcr_pend_close(p);
	p->done = true;
}

/* What the message was to attempt k; an answer settles p (or sends it to TCP). */
static enum fcr_match judge(const struct fcr_xchg *x, struct fcr_pend *p, size_t k, const uint8_t *msg,
                  size_t len, bool tcp, int64_t now)
{
	ldns_pkt *pkt;
	char where[FCR_ADDR_STRLEN + 8];
	enum fcr_match m = fcr_wire_match(msg, len, p->tries[k].id, p->qname, p->q->type, &pkt);

	switch (m) {
	case FCR_MATCH_OK:
		accept_reply(x, p, k, pkt, tcp, now);
		break;
	case FCR_MATCH_BAD:
	case FCR_MATCH_MALFORMED:
		p->bad = true;
		ns_text(x, p->tries[k].ns, where, sizeof(where));
		snprintf(p->baddetail, sizeof(p->baddetail), "%s reply from %s%s",
		         m == FCR_MATCH_BAD ? "unparsable" : "malformed record in", where,
		         tcp ? " over tcp" : "");
		break;
	case FCR_MATCH_IGNORE:
		break;
	}
	return m;
}

void fcr_pend_udp(const struct fcr_xchg *x, struct fcr_pend *p, size_t k, int64_t now)
{
	char where[FCR_ADDR_STRLEN + 8];
	struct fcr_try *t = &p->tries[k];

	for (int i = 0; i < FCR_RECV_BURST && t->fd >= 0 && !p->done; i++) {
		ssize_t len = recv(t->fd, x->buf, FCR_RECV_BUF, 0);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/* ICMP unreachable and the like: this server will not answer */
			ns_text(x, t->ns, where, sizeof(where));
			snprintf(p->err, sizeof(p->err), "%s: %s", where, strerror(errno));
			close_try(t);
			lost(x, p, now);
			return;
		}
		if (judge(x, p, k, x->buf, (size_t)len, false, now) == FCR_MATCH_OK)
			return;
	}
}

void fcr_pend_tcp(const struct fcr_xchg *x, struct fcr_pend *p, short revents, int64_t now)
{
	char why[sizeof(p->err)];

	for (int i = 0; i < FCR_RECV_BURST; i++) {
		int rc = fcr_tcp_step(&p->tcp, revents, why, sizeof(why));
		if (rc == 0)
			return;
		if (rc < 0) {
			tcp_failed(x, p, why, now);
			return;
		}
		enum fcr_match m = judge(x, p, p->tcp_try, p->tcp.in, p->tcp.inlen, true, now);
		if (m == FCR_MATCH_OK)
			return;
		if (m != FCR_MATCH_IGNORE) {
			/* a stream that carried garbage for our ID is not worth reading on */
			fcr_tcp_close(&p->tcp);
			lost(x, p, now);
			return;
		}
		fcr_tcp_next(&p->tcp);
	}
}

void fcr_pend_expired(const struct fcr_xchg *x, struct fcr_pend *p, int64_t now)
{
	p->timed_out = true;
	if (p->attempts < x->max)
		fcr_pend_next(x, p, now);
	else
		fcr_pend_give_up(p, false);
}

void fcr_pend_release(struct fcr_pend *p)
{
	fcr_pend_close(p);
	free(p->tries);
	p->tries = NULL;
	ldns_rdf_deep_free(p->qname);
	p->qname = NULL;
	free(p->wire);
	p->wire = NULL;
}
