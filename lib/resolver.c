/* The real transport: all questions of an exchange in flight at once over UDP, one connected
 * socket and a random ID per attempt, retries to the next server, TCP after truncation. */
#include "resolver_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#define RECV_BUF 65536
#define RECV_BURST 64        /* datagrams read per wake-up, so a flood cannot starve the clock */

struct fcr_resolver {
	fcr_transport base;       /* first: the transport interface */
	struct fcr_resolver_conf conf;
};

/* One question on its way. */
struct pend {
	const struct fcr_question *q;
	struct fcr_reply *out;
	ldns_rdf *qname;
	uint8_t *wire;
	size_t wlen;
	uint16_t id;
	unsigned long long attempts;  /* started so far */
	size_t ns;                /* server of the current attempt */
	int udp;                  /* -1 when not waiting on UDP */
	struct fcr_tcp tcp;       /* fd >= 0 when waiting on TCP */
	int64_t until;            /* end of the current attempt */
	bool done, sent, bad, timed_out;
	char err[sizeof(((struct fcr_reply *)0)->detail)];
	char baddetail[sizeof(((struct fcr_reply *)0)->detail)];
};

struct xchg {
	const struct fcr_resolver *r;
	struct pend *p;
	size_t n;
	uint8_t *buf;
};

static void close_io(struct pend *p)
{
	if (p->udp >= 0)
		close(p->udp);
	p->udp = -1;
	fcr_tcp_close(&p->tcp);
}

static void finish(struct pend *p, enum fcr_xfer xfer, const char *detail)
{
	close_io(p);
	p->done = true;
	p->out->xfer = xfer;
	snprintf(p->out->detail, sizeof(p->out->detail), "%s", detail);
}

/* No proper answer: an unparsable one beats silence, silence beats a local failure. At the
 * deadline a question still in flight (or never sent for lack of time) has timed out. */
static void finish_failed(struct pend *p, bool deadline)
{
	char d[sizeof(p->err)];

	if (p->bad) {
		finish(p, FCR_XFER_BADREPLY, p->baddetail);
		return;
	}
	if (deadline || p->timed_out || !p->err[0])
		snprintf(d, sizeof(d), "%s after %llu attempt%s", deadline ? "deadline" : "timeout",
		         p->attempts, p->attempts == 1 ? "" : "s");
	else
		snprintf(d, sizeof(d), "%s", p->err);
	finish(p, deadline || p->sent ? FCR_XFER_TIMEOUT : FCR_XFER_NETERR, d);
}

static void ns_text(const struct xchg *x, const struct pend *p, char *buf, size_t len)
{
	fcr_ns_format(&x->r->conf.ns[p->ns], buf, len);
}

/* A fresh connected UDP socket (random source port; the kernel drops other peers' datagrams)
 * and the query sent on it. Returns false with p->err set on failure. */
static bool udp_send(const struct xchg *x, struct pend *p)
{
	struct sockaddr_storage ss;
	socklen_t sslen = fcr_ns_sockaddr(&x->r->conf.ns[p->ns], &ss);
	char where[FCR_ADDR_STRLEN + 8];
	const char *what = "socket";
	ssize_t sent = -1;
	int e;

	errno = 0;
	p->udp = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->udp >= 0) {
		what = "connect";
		if (connect(p->udp, (struct sockaddr *)&ss, sslen) == 0) {
			what = "send";
			sent = send(p->udp, p->wire, p->wlen, 0);
			if (sent == (ssize_t)p->wlen)
				return true;
		}
	}
	e = errno;
	ns_text(x, p, where, sizeof(where));
	snprintf(p->err, sizeof(p->err), "%s to %s: %s", what, where,
	         sent >= 0 ? "short write" : strerror(e));
	close_io(p);
	return false;
}

/* Starts the next attempt, skipping attempts that fail locally; finishes p when none is left. */
static void attempt_next(const struct xchg *x, struct pend *p, int64_t now)
{
	unsigned long long max = (unsigned long long)x->r->conf.retries + 1;

	close_io(p);
	while (p->attempts < max) {
		p->ns = p->attempts % x->r->conf.nns;
		p->attempts++;
		p->id = (uint16_t)arc4random();
		fcr_wire_set_id(p->wire, p->id);
		if (udp_send(x, p)) {
			p->sent = true;
			p->timed_out = false;
			p->until = now + x->r->conf.timeout_ms;
			return;
		}
		p->timed_out = false;
	}
	finish_failed(p, false);
}

static void pend_init(struct pend *p, const struct fcr_question *q, struct fcr_reply *out)
{
	bool oom;

	memset(p, 0, sizeof(*p));
	p->q = q;
	p->out = out;
	p->udp = -1;
	fcr_tcp_init(&p->tcp);
	if (fcr_wire_query(q->name, q->type, &p->qname, &p->wire, &p->wlen, &oom) != 0)
		finish(p, FCR_XFER_NETERR, oom ? "out of memory" : "bad query name");
}

/* The TCP helpers do not know the server: name it in their failure. */
static void tcp_failed(const struct xchg *x, struct pend *p, const char *why, int64_t now)
{
	char where[FCR_ADDR_STRLEN + 8];

	ns_text(x, p, where, sizeof(where));
	snprintf(p->err, sizeof(p->err), "%s: %.40s", where, why);
	attempt_next(x, p, now);
}

/* A matching reply: keep it, or go to TCP when it was truncated. */
static void accept_reply(const struct xchg *x, struct pend *p, ldns_pkt *pkt, bool tcp,
                         int64_t now)
{
	bool truncated = !tcp && ldns_pkt_tc(pkt);

	if (truncated) {
		ldns_pkt_free(pkt);
		close_io(p);
		char why[sizeof(p->err)];
		if (fcr_tcp_start(&p->tcp, &x->r->conf.ns[p->ns], p->wire, p->wlen, why,
		                  sizeof(why)) == 0)
			p->until = now + x->r->conf.timeout_ms;
		else
			tcp_failed(x, p, why, now);
		return;
	}
	int rc = fcr_wire_fill(pkt, p->out);
	ldns_pkt_free(pkt);
	if (rc != 0) {
		finish(p, FCR_XFER_NETERR, "out of memory");
		return;
	}
	p->out->tcp = tcp;
	close_io(p);
	p->done = true;
}

/* Returns true when the message settled p one way or another (answer, TCP, next attempt). */
static bool judge(const struct xchg *x, struct pend *p, const uint8_t *msg, size_t len, bool tcp,
                  int64_t now)
{
	ldns_pkt *pkt;
	char where[FCR_ADDR_STRLEN + 8];

	switch (fcr_wire_match(msg, len, p->id, p->qname, p->q->type, &pkt)) {
	case FCR_MATCH_OK:
		accept_reply(x, p, pkt, tcp, now);
		return true;
	case FCR_MATCH_BAD:
		p->bad = true;
		ns_text(x, p, where, sizeof(where));
		snprintf(p->baddetail, sizeof(p->baddetail), "unparsable reply from %s%s", where,
		         tcp ? " over tcp" : "");
		return false;
	case FCR_MATCH_IGNORE:
		break;
	}
	return false;
}

static void udp_readable(const struct xchg *x, struct pend *p, int64_t now)
{
	char where[FCR_ADDR_STRLEN + 8];

	for (int i = 0; i < RECV_BURST && p->udp >= 0; i++) {
		ssize_t len = recv(p->udp, x->buf, RECV_BUF, 0);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/* ICMP unreachable and the like: this server will not answer, try the next */
			ns_text(x, p, where, sizeof(where));
			snprintf(p->err, sizeof(p->err), "%s: %s", where, strerror(errno));
			attempt_next(x, p, now);
			return;
		}
		if (judge(x, p, x->buf, (size_t)len, false, now))
			return;
	}
}

static void tcp_ready(const struct xchg *x, struct pend *p, short revents, int64_t now)
{
	char why[sizeof(p->err)];

	for (int i = 0; i < RECV_BURST; i++) {
		int rc = fcr_tcp_step(&p->tcp, revents, why, sizeof(why));
		if (rc == 0)
			return;
		if (rc < 0) {
			tcp_failed(x, p, why, now);
			return;
		}
		if (judge(x, p, p->tcp.in, p->tcp.inlen, true, now))
			return;
		if (p->bad) {
			/* a stream that carried garbage for our ID is not worth reading on */
			attempt_next(x, p, now);
			return;
		}
		fcr_tcp_next(&p->tcp);
	}
}

/* Expired attempts move on; returns the poll timeout in ms until the next event. */
static int expire(const struct xchg *x, int64_t now, int64_t deadline)
{
	int64_t next = deadline;

	for (size_t i = 0; i < x->n; i++) {
		struct pend *p = &x->p[i];
		if (!p->done && now >= p->until) {
			p->timed_out = true;
			attempt_next(x, p, now);
		}
		if (!p->done && p->until < next)
			next = p->until;
	}
	int64_t wait = next - now;
	return wait < 0 ? 0 : wait > 60000 ? 60000 : (int)wait;
}

/* One poll round over every open socket; returns false when nothing is left to wait for. */
static bool poll_round(const struct xchg *x, struct pollfd *fds, size_t *who, int64_t deadline)
{
	int64_t now = fcr_now_ms();
	size_t nfds = 0;

	if (now >= deadline)
		return false;
	int wait = expire(x, now, deadline);
	for (size_t i = 0; i < x->n; i++) {
		const struct pend *p = &x->p[i];
		if (p->done)
			continue;
		fds[nfds].fd = p->udp >= 0 ? p->udp : p->tcp.fd;
		fds[nfds].events = p->udp >= 0 ? POLLIN : fcr_tcp_events(&p->tcp);
		fds[nfds].revents = 0;
		who[nfds++] = i;
	}
	if (nfds == 0)
		return false;
	if (poll(fds, (nfds_t)nfds, wait) <= 0)
		return true;               /* timeout or EINTR: the next round sorts it out */
	now = fcr_now_ms();
	for (size_t k = 0; k < nfds; k++) {
		struct pend *p = &x->p[who[k]];
		if (!fds[k].revents || p->done)
			continue;
		if (p->udp >= 0)
			udp_readable(x, p, now);
		else
			tcp_ready(x, p, fds[k].revents, now);
	}
	return true;
}

static void run(struct xchg *x, int64_t deadline)
{
	struct pollfd *fds = calloc(x->n, sizeof(*fds));
	size_t *who = calloc(x->n, sizeof(*who));
	int64_t now = fcr_now_ms();

	for (size_t i = 0; i < x->n; i++) {
		if (x->p[i].done)
			continue;
		if (!fds || !who || !x->buf)
			finish(&x->p[i], FCR_XFER_NETERR, "out of memory");
		else if (now < deadline)
			attempt_next(x, &x->p[i], now);
	}
	if (fds && who && x->buf)
		while (poll_round(x, fds, who, deadline))
			;
	for (size_t i = 0; i < x->n; i++)
		if (!x->p[i].done)
			finish_failed(&x->p[i], true);
	free(fds);
	free(who);
}

static void resolver_exchange(fcr_transport *self, const struct fcr_question *q,
                              struct fcr_reply *out, size_t n, int64_t deadline_ms)
{
	struct xchg x = { .r = (const struct fcr_resolver *)self, .n = n };

	if (n == 0)
		return;
	x.p = calloc(n, sizeof(*x.p));
	if (!x.p) {
		for (size_t i = 0; i < n; i++) {
			out[i].xfer = FCR_XFER_NETERR;
			snprintf(out[i].detail, sizeof(out[i].detail), "out of memory");
		}
		return;
	}
	for (size_t i = 0; i < n; i++)
		pend_init(&x.p[i], &q[i], &out[i]);
	x.buf = malloc(RECV_BUF);
	run(&x, deadline_ms);
	for (size_t i = 0; i < n; i++) {
		close_io(&x.p[i]);
		ldns_rdf_deep_free(x.p[i].qname);
		free(x.p[i].wire);
	}
	free(x.buf);
	free(x.p);
}

static void resolver_free(fcr_transport *self)
{
	free(self);
}

fcr_transport *fcr_resolver_new(const struct fcr_resolver_conf *conf, char *err, size_t errlen)
{
	const char *why = NULL;

	if (!conf || conf->nns == 0)
		why = "no nameserver";
	else if (conf->nns > FCR_MAX_NS)
		why = "too many nameservers";
	else if (conf->timeout_ms == 0)
		why = "DNS timeout must be positive";
	if (why) {
		if (err && errlen)
			snprintf(err, errlen, "%s", why);
		return NULL;
	}
	struct fcr_resolver *r = calloc(1, sizeof(*r));
	if (!r) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->conf = *conf;
	r->base.exchange = resolver_exchange;
	r->base.free = resolver_free;
	return &r->base;
}
