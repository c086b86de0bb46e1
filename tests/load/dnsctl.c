/* dnsctl: a DNS server for the load tests whose behaviour is switched while it runs (answer, never
 * answer, answer late, flap), so that a test can kill and revive "the resolver" at a known time.
 *
 * usage: dnsctl -p PORT -m MODEFILE [-t MAX_SECONDS]
 * UDP on 127.0.0.1:PORT only. Every reverse name has an answer that confirms:
 *   PTR d.c.b.a.in-addr.arpa.      -> h-a-b-c-d.load.test.      A of that name    -> a.b.c.d
 *   PTR (32 nibbles).ip6.arpa.     -> h6-(32 hex).load.test.     AAAA of that name -> the address
 * Other names are NXDOMAIN, other types of those names NODATA. TTL 3600.
 * MODEFILE holds one line, read at start and again on SIGHUP:
 *   answer | drop | delay MS | flap SECONDS   (flap: answer SECONDS, drop SECONDS, and so on)
 * Each change is printed as "dnsctl: mode M at WALL_MS" (and "dnsctl: phase answer|drop at WALL_MS"
 * while flapping), so that a test can line session ends up with it. Late replies wait in a queue of
 * at most MAX_PENDING; a switch to drop does not recall the ones already queued. SIGTERM or SIGINT
 * ends it with its counters; it also ends by itself after MAX_SECONDS (default 3600). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#define MAX_PENDING 65536
#define TTL "3600"

enum mode { M_ANSWER, M_DROP, M_DELAY, M_FLAP };

struct pending {
	struct sockaddr_in peer;
	uint8_t *wire;
	size_t len;
	int64_t due_us;
};

struct server {
	int fd;
	const char *mode_file;
	enum mode mode;
	unsigned arg;                 /* ms of delay, or s of a flap phase */
	int64_t mode_since_us;
	int last_phase;               /* flap: 0 answering, 1 dropping; -1 not flapping */
	struct pending *q;            /* ring of late replies, in the order they are due */
	size_t qhead, qlen;
	unsigned long queries, answered, dropped, overflow;
};

static volatile sig_atomic_t reload = 1, stop;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the mode file; a line it cannot read keeps the current mode (and says so). */
static void read_mode(struct server *s)
{
	static const char *const names[] = { "answer", "drop", "delay", "flap" };
	char word[16] = "";
	unsigned arg = 0;
	FILE *f = fopen(s->mode_file, "r");
	int n = f ? fscanf(f, "%15s %u", word, &arg) : 0;
	if (f)
		fclose(f);
	for (int m = M_ANSWER; m <= M_FLAP; m++) {
		if (n >= 1 && !strcmp(word, names[m]) && (m < M_DELAY || (n == 2 && arg > 0 && arg <= 3600000))) {
			s->mode = (enum mode)m;
			s->arg = arg;
			s->mode_since_us = mono_us();
			s->last_phase = -1;
			printf("dnsctl: mode %s%s%.0u at %lld\n", names[m], m >= M_DELAY ? " " : "", m >= M_DELAY ? arg : 0,
			       wall_ms());
			return;
		}
	}
	printf("dnsctl: %s: not a mode, keeping the current one\n", s->mode_file);
}

/* Whether a query arriving now is answered at all (flap: by phase, each change printed). */
static bool answering(struct server *s, int64_t now)
{
	if (s->mode != M_FLAP)
		return s->mode != M_DROP;
	int phase = (int)(((now - s->mode_since_us) / ((int64_t)s->arg * 1000000)) % 2);
	if (phase != s->last_phase) {
		s->last_phase = phase;
		printf("dnsctl: phase %s at %lld\n", phase ? "drop" : "answer", wall_ms());
	}
	return phase == 0;
}

/* "h-a-b-c-d.load.test." for an in-addr.arpa name of four labels, "h6-<hex>.load.test." for an
 * ip6.arpa name of 32 nibbles; false for anything else. */
static bool reverse_target(const char *q, char *out, size_t len)
{
	unsigned a, b, c, d;
	int end = 0;
	if (sscanf(q, "%3u.%3u.%3u.%3u.%n", &d, &c, &b, &a, &end) == 4 && end > 0 &&
	    !strcasecmp(q + end, "in-addr.arpa.") && a < 256 && b < 256 && c < 256 && d < 256) {
		snprintf(out, len, "h-%u-%u-%u-%u.load.test.", a, b, c, d);
		return true;
	}
	char hex[33];
	for (int i = 0; i < 32; i++) {
		char ch = q[2 * i];
		if (!isxdigit((unsigned char)ch) || q[2 * i + 1] != '.')
			return false;
		hex[31 - i] = (char)tolower((unsigned char)ch);
	}
	hex[32] = '\0';
	if (strcasecmp(q + 64, "ip6.arpa."))
		return false;
	snprintf(out, len, "h6-%s.load.test.", hex);
	return true;
}

/* The address a forward name stands for, as text (A or AAAA by *type); false when it is not ours. */
static bool forward_target(const char *q, char *out, size_t len, ldns_rr_type *type)
{
	unsigned a, b, c, d;
	int end = 0;
	if (sscanf(q, "h-%3u-%3u-%3u-%3u.%n", &a, &b, &c, &d, &end) == 4 && end > 0 &&
	    !strcasecmp(q + end, "load.test.") && a < 256 && b < 256 && c < 256 && d < 256) {
		snprintf(out, len, "%u.%u.%u.%u", a, b, c, d);
		*type = LDNS_RR_TYPE_A;
		return true;
	}
	if (strncasecmp(q, "h6-", 3) || strlen(q) != 3 + 32 + 11 || strcasecmp(q + 35, ".load.test."))
		return false;
	size_t o = 0;
	for (int i = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)q[3 + i]) || o + 3 > len)
			return false;
		out[o++] = q[3 + i];
		if (i % 4 == 3 && i < 31)
			out[o++] = ':';
	}
	out[o] = '\0';
	*type = LDNS_RR_TYPE_AAAA;
	return true;
}

/* Fills the reply's answer (or its rcode) for the question qname/qtype. */
static void answer(ldns_pkt *r, const char *qname, ldns_rr_type qtype)
{
	char target[96], rr_text[256];
	ldns_rr_type ftype;
	bool rev = reverse_target(qname, target, sizeof(target));
	bool fwd = !rev && forward_target(qname, target, sizeof(target), &ftype);
	if (!rev && !fwd) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_NXDOMAIN);
		return;
	}
	if ((rev && qtype != LDNS_RR_TYPE_PTR) || (fwd && qtype != ftype))
		return;  /* NODATA */
	snprintf(rr_text, sizeof(rr_text), "%s " TTL " IN %s %s", qname, rev ? "PTR" : ftype == LDNS_RR_TYPE_A ? "A" : "AAAA",
	         target);
	ldns_rr *rr = NULL;
	if (ldns_rr_new_frm_str(&rr, rr_text, 0, NULL, NULL) == LDNS_STATUS_OK)
		ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
	else
		ldns_pkt_set_rcode(r, LDNS_RCODE_SERVFAIL);
}

/* The reply to one query in wire format (caller frees), or NULL when it is not a query we answer. */
static uint8_t *reply_to(const uint8_t *buf, size_t n, size_t *len)
{
	ldns_pkt *q = NULL;
	if (ldns_wire2pkt(&q, buf, n) != LDNS_STATUS_OK)
		return NULL;
	uint8_t *wire = NULL;
	ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	if (!ldns_pkt_qr(q) && ldns_pkt_qdcount(q) == 1 && qrr) {
		ldns_pkt *r = ldns_pkt_new();
		char *qname = ldns_rdf2str(ldns_rr_owner(qrr));
		if (r && qname) {
			ldns_pkt_set_id(r, ldns_pkt_id(q));
			ldns_pkt_set_qr(r, true);
			ldns_pkt_set_aa(r, true);
			ldns_pkt_set_rd(r, ldns_pkt_rd(q));
			ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
			answer(r, qname, ldns_rr_get_type(qrr));
			if (ldns_pkt2wire(&wire, r, len) != LDNS_STATUS_OK)
				wire = NULL;
		}
		free(qname);
		ldns_pkt_free(r);
	}
	ldns_pkt_free(q);
	return wire;
}

static void send_reply(struct server *s, const struct sockaddr_in *peer, const uint8_t *wire, size_t len)
{
	if (sendto(s->fd, wire, len, 0, (const struct sockaddr *)peer, sizeof(*peer)) == (ssize_t)len)
		s->answered++;
}

/* Reads every waiting query: answers it now, queues it for later, or drops it, by mode. */
static void take_queries(struct server *s)
{
	uint8_t buf[4096];
	struct sockaddr_in peer;
	for (;;) {
		socklen_t pl = sizeof(peer);
		ssize_t n = recvfrom(s->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&peer, &pl);
		if (n <= 0)
			return;
		s->queries++;
		int64_t now = mono_us();
		if (!answering(s, now)) {
			s->dropped++;
			continue;
		}
		size_t len;
		uint8_t *wire = reply_to(buf, (size_t)n, &len);
		if (!wire)
			continue;
		if (s->mode != M_DELAY) {
			send_reply(s, &peer, wire, len);
			free(wire);
		} else if (s->qlen == MAX_PENDING) {
			s->overflow++;
			free(wire);
		} else {
			s->q[(s->qhead + s->qlen++) % MAX_PENDING] =
				(struct pending){ peer, wire, len, now + (int64_t)s->arg * 1000 };
		}
	}
}

/* Sends the late replies that are due; returns ms until the next one (at most 100). */
static int send_due(struct server *s)
{
	int64_t now = mono_us();
	while (s->qlen && s->q[s->qhead].due_us <= now) {
		struct pending *p = &s->q[s->qhead];
		send_reply(s, &p->peer, p->wire, p->len);
		free(p->wire);
		s->qhead = (s->qhead + 1) % MAX_PENDING;
		s->qlen--;
	}
	int64_t wait = s->qlen ? (s->q[s->qhead].due_us - now + 999) / 1000 : 100;
	return wait < 100 ? (int)wait : 100;
}

static int open_socket(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int big = 4 << 20;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("dnsctl: 127.0.0.1");
		return -1;
	}
	return fd;
}

static void serve(struct server *s, double max_seconds)
{
	int64_t end = mono_us() + (int64_t)(max_seconds * 1e6);
	while (!stop && mono_us() < end) {
		if (reload) {
			reload = 0;
			read_mode(s);
		}
		answering(s, mono_us());
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		if (poll(&pfd, 1, send_due(s)) > 0)
			take_queries(s);
		send_due(s);
	}
	printf("dnsctl: %s: queries=%lu answered=%lu dropped=%lu overflow=%lu\n",
	       stop ? "stopped" : "time is up", s->queries, s->answered, s->dropped, s->overflow);
}

int main(int argc, char **argv)
{
	struct server s = { .last_phase = -1 };
	unsigned port = 0;
	double max_seconds = 3600;
	int c;
	while ((c = getopt(argc, argv, "p:m:t:")) != -1) {
		switch (c) {
		case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': s.mode_file = optarg; break;
		case 't': max_seconds = strtod(optarg, NULL); break;
		default: port = 0; break;
		}
	}
	if (optind != argc || !port || port > 65535 || !s.mode_file || max_seconds <= 0) {
		fputs("usage: dnsctl -p PORT -m MODEFILE [-t MAX_SECONDS]\n", stderr);
		return 64;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((s.fd = open_socket(port)) < 0 || !(s.q = calloc(MAX_PENDING, sizeof(*s.q))))
		return 71;
	serve(&s, max_seconds);
	for (; s.qlen; s.qlen--, s.qhead = (s.qhead + 1) % MAX_PENDING)
		free(s.q[s.qhead].wire);
	free(s.q);
	close(s.fd);
	return 0;
}
