/* The real transport: all questions of an exchange in flight at once over UDP, one connected
 * socket and a random ID per attempt, retries to the next server, TCP after truncation. The first
 * valid reply to any attempt of a question wins. */
#include "internal.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"

struct fcr_resolver {
	fcr_transport base;       /* first: the transport interface */
	struct fcr_resolver_conf conf;
};

/* One exchange: its questions and what they share. */
struct xchg {
	struct fcr_xchg x;
	struct fcr_pend *p;
	size_t n;
};

/* A socket in one poll round: a try of a question, or (try == TCP_SLOT) its TCP connection. */
#define TCP_SLOT SIZE_MAX
struct slot {
	size_t pend, try;
	unsigned gen;
};

/* Questions whose latest attempt ran out of time move on. Returns the poll timeout in ms. */
static int expire(const struct xchg *x, int64_t now, int64_t deadline)
{
	int64_t next = deadline;

	for (size_t i = 0; i < x->n; i++) {
		struct fcr_pend *p = &x->p[i];
		if (!p->done && now >= p->until)
			fcr_pend_expired(&x->x, p, now);
		if (!p->done && p->until < next)
			next = p->until;
	}
	int64_t wait = next - now;
	return wait < 0 ? 0 : wait > 60000 ? 60000 : (int)wait;
}

/* The sockets of every open question, for poll. Returns how many. */
static size_t gather(const struct xchg *x, struct pollfd *fds, struct slot *who)
{
	size_t nfds = 0;

	for (size_t i = 0; i < x->n; i++) {
		const struct fcr_pend *p = &x->p[i];
		for (size_t k = 0; !p->done && k < p->attempts; k++) {
			if (p->tries[k].fd < 0)
				continue;
			fds[nfds] = (struct pollfd){ .fd = p->tries[k].fd, .events = POLLIN };
			who[nfds++] = (struct slot){ i, k, 0 };
		}
		if (!p->done && p->tcp.fd >= 0) {
			fds[nfds] = (struct pollfd){ .fd = p->tcp.fd, .events = fcr_tcp_events(&p->tcp) };
			who[nfds++] = (struct slot){ i, TCP_SLOT, p->tcp_gen };
		}
	}
	return nfds;
}

/* One poll round over every open socket; returns false when nothing is left to wait for. */
static bool poll_round(const struct xchg *x, struct pollfd *fds, struct slot *who, int64_t deadline)
{
	int64_t now = fcr_now_ms();

	if (now >= deadline)
		return false;
	int wait = expire(x, now, deadline);
	size_t nfds = gather(x, fds, who);
	if (nfds == 0)
		return false;
	if (poll(fds, (nfds_t)nfds, wait) <= 0)
		return true;               /* timeout or EINTR: the next round sorts it out */
	now = fcr_now_ms();
	for (size_t k = 0; k < nfds; k++) {
		struct fcr_pend *p = &x->p[who[k].pend];
		/* what an earlier socket of this round did may have settled p or closed this one */
		if (!fds[k].revents || p->done)
			continue;
		if (who[k].try != TCP_SLOT) {
			if (p->tries[who[k].try].fd == fds[k].fd)
				fcr_pend_udp(&x->x, p, who[k].try, now);
		} else if (p->tcp.fd == fds[k].fd && p->tcp_gen == who[k].gen) {
			fcr_pend_tcp(&x->x, p, fds[k].revents, now);
		}
	}
	return true;
}

static void run(struct xchg *x, int64_t deadline)
{
	/* each question has at most one socket per attempt and one TCP connection open */
	struct pollfd *fds = calloc(x->n * (x->x.max + 1), sizeof(*fds));
	struct slot *who = calloc(x->n * (x->x.max + 1), sizeof(*who));
	int64_t now = fcr_now_ms();

	for (size_t i = 0; i < x->n; i++) {
		if (x->p[i].done)
			continue;
		if (!fds || !who || !x->x.buf)
			fcr_pend_finish(&x->p[i], FCR_XFER_NETERR, "out of memory");
		else if (now < deadline)
			fcr_pend_next(&x->x, &x->p[i], now);
	}
	if (fds && who && x->x.buf)
		while (poll_round(x, fds, who, deadline))
			;
	for (size_t i = 0; i < x->n; i++)
		if (!x->p[i].done)
			fcr_pend_give_up(&x->p[i], true);
	free(fds);
	free(who);
}

static void resolver_exchange(fcr_transport *self, const struct fcr_question *q,
                              struct fcr_reply *out, size_t n, int64_t deadline_ms)
{
	const struct fcr_resolver *r = (const struct fcr_resolver *)self;
	struct xchg x = { .x = { .conf = &r->conf, .max = (size_t)r->conf.retries + 1 }, .n = n };

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
		fcr_pend_init(&x.p[i], &q[i], &out[i], x.x.max);
	x.x.buf = malloc(FCR_RECV_BUF);
	run(&x, deadline_ms);
	for (size_t i = 0; i < n; i++)
		fcr_pend_release(&x.p[i]);
	free(x.x.buf);
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
	else if (conf->retries > FCR_MAX_RETRIES)
		why = "too many retries";
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
