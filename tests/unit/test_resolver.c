/* Unit tests of the real transport (resolver.h) against a fake DNS server that runs in a thread
 * of the test process on 127.0.0.1, and of nameserver parsing and resolv.conf loading. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "check.h"
#include "clock.h"
#include "resolver.h"

/* ---------------------------------------------------------------- the fake server */

enum fake_mode {
	FAKE_ANSWER,              /* records derived from the name, see fake_records */
	FAKE_WRONG_ID_FIRST,      /* a reply with another ID (other address), then the right one */
	FAKE_WRONG_ID_ONLY,
	FAKE_WRONG_QUESTION_FIRST,/* replies for another name and another type, then the right one */
	FAKE_WRONG_QUESTION_ONLY,
	FAKE_GARBAGE,             /* our ID followed by bytes that do not parse */
	FAKE_HOSTILE_FIRST,       /* empty, tiny, huge and unparsable datagrams, then the answer */
	FAKE_TC,                  /* truncated over UDP; over TCP a wrong-ID reply, then the answer */
	FAKE_TC_NO_TCP,           /* truncated over UDP, nobody listens for TCP */
	FAKE_SILENT,
	FAKE_SERVFAIL,
	FAKE_NXDOMAIN,            /* with an SOA (TTL 300, MINIMUM 60) in the authority section */
	FAKE_MANY,                /* 2000 A records */
	FAKE_REVERSE,             /* holds `batch` queries, then answers the last one first */
	FAKE_BIG_TTL,             /* TTLs of 2^31 and more, in the answer and in an SOA */
	FAKE_LONG_A,              /* an A record with 8 octets of RDATA */
	FAKE_LONG_AAAA,           /* an AAAA record with 20 octets of RDATA */
	FAKE_LONG_PTR,            /* a PTR whose RDATA goes on after the name */
	FAKE_LATE,                /* holds the first query; answers it when the retry arrives */
	FAKE_LATE_CROSSED,        /* the same, but sends that answer to the retry's socket */
	FAKE_DELAYED,             /* answers the first query FAKE_DELAY_MS late, later ones never */
};

#define FAKE_DELAY_MS 450

#define FAKE_HOLD 16

struct held {
	uint8_t *msg;
	size_t len;
	struct sockaddr_storage from;
	socklen_t fromlen;
};

struct fake {
	enum fake_mode mode;
	size_t batch;
	int udp, tcp, wake[2];
	uint16_t port;
	pthread_t thread;
	atomic_uint udp_queries, tcp_queries, odd_queries;
	struct held held[FAKE_HOLD];
	size_t nheld;
	int64_t held_at;          /* FAKE_DELAYED: when the first query came */
	uint8_t buf[65536];
};

/* The number in the first label ("h7.test." -> 7, "7.2.0.192.in-addr.arpa." -> 7), else 1. */
static unsigned name_number(const char *name)
{
	unsigned n = 0;
	bool any = false;

	for (const char *p = name; *p && *p != '.'; p++)
		if (*p >= '0' && *p <= '9') {
			n = n * 10 + (unsigned)(*p - '0');
			any = true;
		}
	return any && n < 256 ? n : 1;
}

__attribute__((format(printf, 3, 4)))
static void push_rr(ldns_pkt *pkt, ldns_pkt_section sec, const char *fmt, ...)
{
	char text[512];
	ldns_rr *rr = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cr_assert_eq(ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL), LDNS_STATUS_OK, "%s", text);
	ldns_pkt_push_rr(pkt, sec, rr);
}

/* The answer section for a name: what the tests expect, plus records the transport leaves out. */
static void fake_records(ldns_pkt *reply, const char *owner, uint16_t type, unsigned n)
{
	if (strncmp(owner, "alias.", 6) == 0) {
		push_rr(reply, LDNS_SECTION_ANSWER, "%s 300 IN CNAME h5.test.", owner);
		push_rr(reply, LDNS_SECTION_ANSWER, "h5.test. 600 IN A 192.0.2.5");
		return;
	}
	if (type == LDNS_RR_TYPE_A) {
		push_rr(reply, LDNS_SECTION_ANSWER, "%s 3600 IN A 192.0.2.%u", owner, n);
		push_rr(reply, LDNS_SECTION_ANSWER, "%s 3600 CH A 203.0.113.%u", owner, n);
		push_rr(reply, LDNS_SECTION_ANSWER, "%s 3600 IN MX %u mail.test.", owner, n);
	} else if (type == LDNS_RR_TYPE_AAAA) {
		push_rr(reply, LDNS_SECTION_ANSWER, "%s 3600 IN AAAA 2001:db8::%x", owner, n);
	} else if (type == LDNS_RR_TYPE_PTR) {
		push_rr(reply, LDNS_SECTION_ANSWER, "%s 3600 IN PTR h%u.test.", owner, n);
	}
}

/* ldns_rr_set_owner does not free the old owner. */
static void set_owner(ldns_rr *rr, const char *name)
{
	ldns_rdf_deep_free(ldns_rr_owner(rr));
	ldns_rr_set_owner(rr, ldns_dname_new_frm_str(name));
}

/* A reply to query; the variant changes ID, question, flags or content as modes need. */
enum variant { V_RIGHT, V_OTHER_ID, V_OTHER_NAME, V_OTHER_TYPE, V_TC, V_SERVFAIL, V_NXDOMAIN,
               V_MANY, V_BIG_TTL };

/* The sections after the question, as the variant wants them. */
static void fake_content(ldns_pkt *reply, enum variant v, const char *owner, uint16_t type,
                         unsigned n)
{
	if (v == V_OTHER_ID || v == V_OTHER_NAME || v == V_OTHER_TYPE) {
		/* what a spoofer would like us to believe */
		push_rr(reply, LDNS_SECTION_ANSWER, "%s 3600 IN A 198.51.100.%u", owner, n);
	} else if (v == V_TC) {
		ldns_pkt_set_tc(reply, true);
	} else if (v == V_SERVFAIL) {
		ldns_pkt_set_rcode(reply, LDNS_RCODE_SERVFAIL);
	} else if (v == V_NXDOMAIN) {
		ldns_pkt_set_rcode(reply, LDNS_RCODE_NXDOMAIN);
		push_rr(reply, LDNS_SECTION_AUTHORITY,
		        "test. 300 IN SOA ns.test. admin.test. 1 7200 900 1209600 60");
	} else if (v == V_MANY) {
		for (unsigned i = 0; i < 2000; i++)
			push_rr(reply, LDNS_SECTION_ANSWER, "%s 60 IN A 10.0.%u.%u", owner, i % 250,
			        1 + i / 250);
	} else if (v == V_BIG_TTL) {
		push_rr(reply, LDNS_SECTION_ANSWER, "%s 2147483648 IN A 192.0.2.1", owner);
		push_rr(reply, LDNS_SECTION_ANSWER, "%s 2147483647 IN A 192.0.2.2", owner);
		push_rr(reply, LDNS_SECTION_ANSWER, "%s 4294967295 IN A 192.0.2.3", owner);
		push_rr(reply, LDNS_SECTION_AUTHORITY,
		        "test. 4294967295 IN SOA ns.test. admin.test. 1 7200 900 1209600 2147483648");
	} else {
		fake_records(reply, owner, type, n);
	}
}

static uint8_t *fake_reply(const ldns_pkt *query, enum variant v, size_t *len)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	ldns_rr *qcopy = ldns_rr_clone(q);
	ldns_pkt *reply = ldns_pkt_new();
	uint16_t type = (uint16_t)ldns_rr_get_type(q);
	char *owner = ldns_rdf2str(ldns_rr_owner(q));
	unsigned n = name_number(owner);
	uint8_t *wire = NULL;

	cr_assert(qcopy && reply && owner);
	ldns_pkt_set_id(reply, (uint16_t)(ldns_pkt_id(query) ^ (v == V_OTHER_ID ? 0x5a5a : 0)));
	ldns_pkt_set_qr(reply, true);
	ldns_pkt_set_rd(reply, ldns_pkt_rd(query));
	ldns_pkt_set_ra(reply, true);
	ldns_pkt_set_opcode(reply, LDNS_PACKET_QUERY);
	if (strcmp(owner, "upper.test.") == 0) {
		/* DNS names are case-insensitive: a server (or 0x20 mixing) may change case */
		set_owner(qcopy, "UPPER.TeSt.");
		free(owner);
		owner = strdup("UPPER.TEST.");
	}
	if (v == V_OTHER_NAME)
		set_owner(qcopy, "other.test.");
	if (v == V_OTHER_TYPE)
		ldns_rr_set_type(qcopy, type == LDNS_RR_TYPE_A ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A);
	ldns_pkt_push_rr(reply, LDNS_SECTION_QUESTION, qcopy);
	fake_content(reply, v, owner, type, n);
	cr_assert_eq(ldns_pkt2wire(&wire, reply, len), LDNS_STATUS_OK);
	ldns_pkt_free(reply);
	free(owner);
	return wire;
}

static void fake_sendto(struct fake *f, const uint8_t *msg, size_t len,
                        const struct sockaddr_storage *to, socklen_t tolen)
{
	(void)sendto(f->udp, msg, len, 0, (const struct sockaddr *)to, tolen);
}

static void fake_send_reply(struct fake *f, const ldns_pkt *query, enum variant v,
                            const struct sockaddr_storage *to, socklen_t tolen)
{
	size_t len;
	uint8_t *wire = fake_reply(query, v, &len);
	fake_sendto(f, wire, len, to, tolen);
	free(wire);
}

/* Our ID, a header claiming records that are not there, a name pointing at itself. */
static void fake_send_garbage(struct fake *f, const uint8_t *query,
                              const struct sockaddr_storage *to, socklen_t tolen)
{
	uint8_t g[40] = { query[0], query[1], 0x81, 0x80, 0, 1, 0, 5, 0, 0, 0, 0, 0xc0, 0x0c };
	for (size_t i = 14; i < sizeof(g); i++)
		g[i] = (uint8_t)(i * 37);
	fake_sendto(f, g, sizeof(g), to, tolen);
}

/* Our answer with one record whose RDATA is longer than its type allows: ldns reads what the
 * type needs and skips the rest, so only the transport can tell. */
static void fake_send_long_rdata(struct fake *f, const uint8_t *query, size_t qlen,
                                 const struct sockaddr_storage *to, socklen_t tolen)
{
	static const uint8_t ptr_rdata[] = { 2, 'h', '1', 4, 't', 'e', 's', 't', 0, 0xde, 0xad };
	uint8_t m[512] = { query[0], query[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0 };
	size_t pos = 12, rdlen = 8;
	uint16_t type = FCR_T_A;

	while (pos < qlen && query[pos] != 0)        /* the question: name, type, class */
		pos += 1 + query[pos];
	pos += 5;
	cr_assert(pos <= qlen && pos + 16 + 20 < sizeof(m));
	memcpy(m + 12, query + 12, pos - 12);
	if (f->mode == FAKE_LONG_AAAA) {
		type = FCR_T_AAAA;
		rdlen = 20;
	} else if (f->mode == FAKE_LONG_PTR) {
		type = FCR_T_PTR;
		rdlen = sizeof(ptr_rdata);
	}
	/* owner: pointer to the question name; IN, TTL 60 */
	uint8_t rr[12] = { 0xc0, 12, 0, (uint8_t)type, 0, 1, 0, 0, 0, 60, 0, (uint8_t)rdlen };
	memcpy(m + pos, rr, sizeof(rr));
	pos += sizeof(rr);
	for (size_t i = 0; i < rdlen; i++)           /* 192.0.2.1 first: what a lax reader keeps */
		m[pos + i] = type == FCR_T_PTR ? ptr_rdata[i] : i == 0 ? 192 : i == 2 ? 2 : i == 3;
	fake_sendto(f, m, pos + rdlen, to, tolen);
}

static void fake_send_hostile(struct fake *f, const uint8_t *query,
                              const struct sockaddr_storage *to, socklen_t tolen)
{
	static uint8_t huge[60000];
	uint8_t tiny = query[0];

	fake_sendto(f, &tiny, 0, to, tolen);
	fake_sendto(f, &tiny, 1, to, tolen);
	for (size_t i = 0; i < sizeof(huge); i++)
		huge[i] = (uint8_t)(i * 131 + 7);
	huge[0] = (uint8_t)(query[0] ^ 0x55);          /* another ID */
	huge[1] = query[1];
	fake_sendto(f, huge, sizeof(huge), to, tolen);
	fake_send_garbage(f, query, to, tolen);
}

static void fake_flush_reverse(struct fake *f)
{
	for (size_t i = f->nheld; i-- > 0;) {
		struct held *h = &f->held[i];
		ldns_pkt *q = NULL;
		if (ldns_wire2pkt(&q, h->msg, h->len) == LDNS_STATUS_OK)
			fake_send_reply(f, q, V_RIGHT, &h->from, h->fromlen);
		ldns_pkt_free(q);
		free(h->msg);
	}
	f->nheld = 0;
}

static void fake_hold(struct fake *f, size_t len, const struct sockaddr_storage *from,
                      socklen_t fromlen)
{
	struct held *h = &f->held[f->nheld++];
	h->msg = malloc(len);
	memcpy(h->msg, f->buf, len);
	h->len = len;
	h->from = *from;
	h->fromlen = fromlen;
	if (f->nheld == f->batch || f->nheld == FAKE_HOLD)
		fake_flush_reverse(f);
}

/* Queries must carry RD, one question, class IN, and advertise EDNS0 with 1232 bytes. */
/* Answers the held first query, to the given address; later queries get nothing. */
static void fake_answer_held(struct fake *f, const struct sockaddr_storage *to, socklen_t tolen)
{
	struct held *h = &f->held[0];
	ldns_pkt *q = NULL;

	if (ldns_wire2pkt(&q, h->msg, h->len) == LDNS_STATUS_OK)
		fake_send_reply(f, q, V_RIGHT, to, tolen);
	ldns_pkt_free(q);
	f->nheld = 2;
	free(h->msg);
	h->msg = NULL;
}

/* The first query is held; when the retry comes, the first gets its answer (now late: its
 * attempt has timed out) and the retry none. Crossed: that answer goes to the retry's socket. */
static void fake_late(struct fake *f, size_t len, const struct sockaddr_storage *from,
                      socklen_t fromlen)
{
	if (f->nheld == 0) {
		struct held *h = &f->held[f->nheld++];
		h->msg = malloc(len);
		memcpy(h->msg, f->buf, len);
		h->len = len;
		h->from = *from;
		h->fromlen = fromlen;
		f->held_at = fcr_now_ms();
		return;
	}
	if (f->nheld != 1 || f->mode == FAKE_DELAYED)
		return;
	fake_answer_held(f, f->mode == FAKE_LATE ? &f->held[0].from : from,
	                 f->mode == FAKE_LATE ? f->held[0].fromlen : fromlen);
}

static void fake_check_query(struct fake *f, const ldns_pkt *q)
{
	const ldns_rr_list *qs = ldns_pkt_question(q);
	if (!ldns_pkt_rd(q) || ldns_pkt_qr(q) || ldns_rr_list_rr_count(qs) != 1 ||
	    ldns_pkt_edns_udp_size(q) != 1232 ||
	    ldns_rr_get_class(ldns_rr_list_rr(qs, 0)) != LDNS_RR_CLASS_IN)
		atomic_fetch_add(&f->odd_queries, 1);
}

/* Modes that answer with one reply of some variant. */
static const enum variant one_reply[] = {
	[FAKE_ANSWER] = V_RIGHT,     [FAKE_WRONG_ID_ONLY] = V_OTHER_ID, [FAKE_TC] = V_TC,
	[FAKE_TC_NO_TCP] = V_TC,     [FAKE_SERVFAIL] = V_SERVFAIL,      [FAKE_NXDOMAIN] = V_NXDOMAIN,
	[FAKE_MANY] = V_MANY,        [FAKE_BIG_TTL] = V_BIG_TTL,
};

/* What the mode sends back for query q (f->buf, len octets) from a client. */
static void fake_respond(struct fake *f, const ldns_pkt *q, size_t len,
                         const struct sockaddr_storage *from, socklen_t fromlen)
{
	switch (f->mode) {
	case FAKE_SILENT:
		return;
	case FAKE_WRONG_ID_FIRST:
		fake_send_reply(f, q, V_OTHER_ID, from, fromlen);
		break;
	case FAKE_WRONG_QUESTION_FIRST:
	case FAKE_WRONG_QUESTION_ONLY:
		fake_send_reply(f, q, V_OTHER_NAME, from, fromlen);
		fake_send_reply(f, q, V_OTHER_TYPE, from, fromlen);
		if (f->mode == FAKE_WRONG_QUESTION_ONLY)
			return;
		break;
	case FAKE_GARBAGE:
		fake_send_garbage(f, f->buf, from, fromlen);
		return;
	case FAKE_HOSTILE_FIRST:
		fake_send_hostile(f, f->buf, from, fromlen);
		break;
	case FAKE_REVERSE:
		fake_hold(f, len, from, fromlen);
		return;
	case FAKE_LONG_A:
	case FAKE_LONG_AAAA:
	case FAKE_LONG_PTR:
		fake_send_long_rdata(f, f->buf, len, from, fromlen);
		return;
	case FAKE_LATE:
	case FAKE_LATE_CROSSED:
	case FAKE_DELAYED:
		fake_late(f, len, from, fromlen);
		return;
	default:
		fake_send_reply(f, q, one_reply[f->mode], from, fromlen);
		return;
	}
	fake_send_reply(f, q, V_RIGHT, from, fromlen);  /* after the decoys above */
}

static void fake_udp(struct fake *f)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	ssize_t len = recvfrom(f->udp, f->buf, sizeof(f->buf), 0, (struct sockaddr *)&from, &fromlen);
	ldns_pkt *q = NULL;

	if (len <= 0 || ldns_wire2pkt(&q, f->buf, (size_t)len) != LDNS_STATUS_OK)
		return;
	atomic_fetch_add(&f->udp_queries, 1);
	fake_check_query(f, q);
	fake_respond(f, q, (size_t)len, &from, fromlen);
	ldns_pkt_free(q);
}

static bool read_full(int fd, uint8_t *buf, size_t len)
{
	size_t have = 0;
	while (have < len) {
		ssize_t r = recv(fd, buf + have, len - have, 0);
		if (r <= 0)
			return false;
		have += (size_t)r;
	}
	return true;
}

static void tcp_send_msg(int fd, const uint8_t *msg, size_t len)
{
	uint8_t pre[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	(void)send(fd, pre, 2, MSG_NOSIGNAL);
	(void)send(fd, msg, len, MSG_NOSIGNAL);
}

/* One connection: read the query, send a wrong-ID reply (to be skipped) and the answer. */
static void fake_tcp(struct fake *f)
{
	struct timeval tv = { .tv_sec = 2 };
	uint8_t pre[2];
	ldns_pkt *q = NULL;
	int c = accept(f->tcp, NULL, NULL);

	if (c < 0)
		return;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	size_t len;
	if (read_full(c, pre, 2) && (len = (size_t)pre[0] << 8 | pre[1]) > 0 &&
	    read_full(c, f->buf, len) && ldns_wire2pkt(&q, f->buf, len) == LDNS_STATUS_OK) {
		atomic_fetch_add(&f->tcp_queries, 1);
		fake_check_query(f, q);
		size_t rlen;
		uint8_t *wire = fake_reply(q, V_OTHER_ID, &rlen);
		tcp_send_msg(c, wire, rlen);
		free(wire);
		wire = fake_reply(q, V_RIGHT, &rlen);
		tcp_send_msg(c, wire, rlen);
		free(wire);
	}
	ldns_pkt_free(q);
	close(c);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	for (;;) {
		struct pollfd pf[3] = { { .fd = f->wake[0], .events = POLLIN },
		                        { .fd = f->udp, .events = POLLIN },
		                        { .fd = f->tcp, .events = POLLIN } };
		int wait = -1;
		if (f->mode == FAKE_DELAYED && f->nheld == 1) {
			int64_t left = f->held_at + FAKE_DELAY_MS - fcr_now_ms();
			wait = left > 0 ? (int)left : 0;
		}
		int n = poll(pf, f->tcp >= 0 ? 3 : 2, wait);
		if (n == 0 && wait >= 0)
			fake_answer_held(f, &f->held[0].from, f->held[0].fromlen);
		if (n <= 0)
			continue;
		if (pf[0].revents)
			break;
		if (pf[1].revents & POLLIN)
			fake_udp(f);
		if (f->tcp >= 0 && (pf[2].revents & POLLIN))
			fake_tcp(f);
	}
	return NULL;
}

static int bound_socket(int type, uint16_t port, uint16_t *got)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*got = ntohs(sin.sin_port);
	return fd;
}

/* batch: how many queries FAKE_REVERSE holds before answering them. */
static struct fake *fake_start_batch(enum fake_mode mode, size_t batch)
{
	struct fake *f = calloc(1, sizeof(*f));

	cr_assert(f);
	f->mode = mode;
	f->batch = batch;
	f->udp = bound_socket(SOCK_DGRAM, 0, &f->port);
	f->tcp = -1;
	if (mode == FAKE_TC) {
		uint16_t same;
		f->tcp = bound_socket(SOCK_STREAM, f->port, &same);
		cr_assert_eq(listen(f->tcp, 16), 0);
	}
	cr_assert_eq(pipe(f->wake), 0);
	cr_assert_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
	return f;
}

static struct fake *fake_start(enum fake_mode mode)
{
	return fake_start_batch(mode, 1);
}

static void fake_stop(struct fake *f)
{
	cr_assert_eq(write(f->wake[1], "x", 1), 1);
	pthread_join(f->thread, NULL);
	for (size_t i = 0; i < f->nheld; i++)
		free(f->held[i].msg);
	close(f->wake[0]);
	close(f->wake[1]);
	close(f->udp);
	if (f->tcp >= 0)
		close(f->tcp);
	free(f);
}

/* ---------------------------------------------------------------- helpers */

static struct fcr_ns ns_at(uint16_t port)
{
	struct fcr_ns ns = { .port = port };
	cr_assert(fcr_addr_parse("127.0.0.1", &ns.addr));
	return ns;
}

static fcr_transport *transport_for(const struct fake *const *f, size_t nf, unsigned timeout_ms,
                                    unsigned retries)
{
	struct fcr_resolver_conf conf = { .nns = nf, .timeout_ms = timeout_ms, .retries = retries };
	char err[128] = "";

	for (size_t i = 0; i < nf; i++)
		conf.ns[i] = ns_at(f[i]->port);
	fcr_transport *t = fcr_resolver_new(&conf, err, sizeof(err));
	cr_assert(t, "fcr_resolver_new: %s", err);
	return t;
}

static fcr_transport *transport_one(const struct fake *f, unsigned timeout_ms, unsigned retries)
{
	return transport_for(&f, 1, timeout_ms, retries);
}

static void ask(fcr_transport *t, const char *name, uint16_t type, struct fcr_reply *out,
                int64_t budget_ms)
{
	struct fcr_question q = { .name = name, .type = type };
	memset(out, 0, sizeof(*out));
	t->exchange(t, &q, out, 1, fcr_now_ms() + budget_ms);
}

static void assert_addr(const struct fcr_rr *rr, const char *text)
{
	fcr_addr want;
	cr_assert(fcr_addr_parse(text, &want));
	cr_assert(fcr_addr_equal(&rr->addr, &want), "address is not %s", text);
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/* ---------------------------------------------------------------- exchanges */

Test(resolver, answer_keeps_in_class_a_only)
{
	struct fake *f = fake_start(FAKE_ANSWER);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;

	ask(t, "h7.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert_eq(r.rcode, FCR_RCODE_NOERROR);
	cr_assert_not(r.tcp);
	cr_assert_eq(r.nrr, 1, "the CH-class A and the MX are left out");
	cr_assert_str_eq(r.rr[0].owner, "h7.test.");
	cr_assert_eq(r.rr[0].type, FCR_T_A);
	cr_assert_eq(r.rr[0].ttl, 3600);
	cr_assert_null(r.rr[0].target);
	assert_addr(&r.rr[0], "192.0.2.7");
	cr_assert_not(r.has_soa);
	cr_assert_eq(atomic_load(&f->udp_queries), 1);
	cr_assert_eq(atomic_load(&f->odd_queries), 0, "queries carry RD, one question, class IN");
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, cname_aaaa_ptr_in_one_exchange)
{
	struct fake *f = fake_start(FAKE_ANSWER);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_question q[3] = { { "alias.test.", FCR_T_A },
	                             { "h3.test.", FCR_T_AAAA },
	                             { "9.2.0.192.in-addr.arpa.", FCR_T_PTR } };
	struct fcr_reply r[3];

	memset(r, 0, sizeof(r));
	t->exchange(t, q, r, 3, fcr_now_ms() + 5000);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(r[i].xfer, FCR_XFER_OK, "question %d: %s", i, r[i].detail);
	cr_assert_eq(r[0].nrr, 2);
	cr_assert_eq(r[0].rr[0].type, FCR_T_CNAME);
	cr_assert_str_eq(r[0].rr[0].owner, "alias.test.");
	cr_assert_str_eq(r[0].rr[0].target, "h5.test.");
	cr_assert_eq(r[0].rr[0].ttl, 300);
	cr_assert_eq(r[0].rr[1].type, FCR_T_A);
	cr_assert_str_eq(r[0].rr[1].owner, "h5.test.");
	cr_assert_eq(r[0].rr[1].ttl, 600);
	assert_addr(&r[0].rr[1], "192.0.2.5");
	cr_assert_eq(r[1].nrr, 1);
	cr_assert_eq(r[1].rr[0].type, FCR_T_AAAA);
	assert_addr(&r[1].rr[0], "2001:db8::3");
	cr_assert_eq(r[2].nrr, 1);
	cr_assert_eq(r[2].rr[0].type, FCR_T_PTR);
	cr_assert_str_eq(r[2].rr[0].owner, "9.2.0.192.in-addr.arpa.");
	cr_assert_str_eq(r[2].rr[0].target, "h9.test.");
	for (int i = 0; i < 3; i++)
		fcr_reply_clear(&r[i]);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, question_case_may_differ)
{
	struct fake *f = fake_start(FAKE_ANSWER);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;

	ask(t, "upper.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert_eq(r.nrr, 1);
	cr_assert_str_eq(r.rr[0].owner, "upper.test.");
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, odd_bytes_come_out_escaped)
{
	struct fake *f = fake_start(FAKE_ANSWER);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;

	ask(t, "a\\001b\\032c.test.", FCR_T_PTR, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert_eq(r.nrr, 1);
	cr_assert_str_eq(r.rr[0].owner, "a\\001b\\032c.test.");
	cr_assert(printable(r.rr[0].owner));
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, wrong_id_is_ignored)
{
	struct fake *f = fake_start(FAKE_WRONG_ID_FIRST);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;

	ask(t, "h8.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert_eq(r.nrr, 1);
	assert_addr(&r.rr[0], "192.0.2.8");
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, only_wrong_id_times_out)
{
	struct fake *f = fake_start(FAKE_WRONG_ID_ONLY);
	fcr_transport *t = transport_one(f, 200, 0);
	struct fcr_reply r;

	ask(t, "h8.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_TIMEOUT);
	cr_assert_eq(r.nrr, 0);
	cr_assert_str_eq(r.detail, "timeout after 1 attempt");
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, wrong_question_is_ignored)
{
	struct fake *f = fake_start(FAKE_WRONG_QUESTION_FIRST);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;

	ask(t, "h4.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert_eq(r.nrr, 1);
	assert_addr(&r.rr[0], "192.0.2.4");
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, only_wrong_question_times_out)
{
	struct fake *f = fake_start(FAKE_WRONG_QUESTION_ONLY);
	fcr_transport *t = transport_one(f, 200, 0);
	struct fcr_reply r;

	ask(t, "h4.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_TIMEOUT);
	cr_assert_eq(r.nrr, 0);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, garbage_with_our_id_is_badreply)
{
	struct fake *f = fake_start(FAKE_GARBAGE);
	fcr_transport *t = transport_one(f, 200, 0);
	struct fcr_reply r;
	char want[64];

	ask(t, "h4.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_BADREPLY, "%d %s", r.xfer, r.detail);
	snprintf(want, sizeof(want), "unparsable reply from 127.0.0.1:%u", (unsigned)f->port);
	cr_assert_str_eq(r.detail, want);
	cr_assert_eq(r.nrr, 0);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, hostile_datagrams_then_answer)
{
	struct fake *f = fake_start(FAKE_HOSTILE_FIRST);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;

	ask(t, "h6.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "a proper answer after junk wins: %s", r.detail);
	cr_assert_eq(r.nrr, 1);
	assert_addr(&r.rr[0], "192.0.2.6");
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, truncated_goes_to_tcp)
{
	struct fake *f = fake_start(FAKE_TC);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;

	ask(t, "h9.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert(r.tcp);
	cr_assert_eq(r.nrr, 1, "the wrong-ID message on the stream is skipped");
	assert_addr(&r.rr[0], "192.0.2.9");
	cr_assert_eq(atomic_load(&f->udp_queries), 1);
	cr_assert_eq(atomic_load(&f->tcp_queries), 1);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, truncated_without_tcp_server)
{
	struct fake *f = fake_start(FAKE_TC_NO_TCP);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;
	char want[96];

	ask(t, "h9.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_TIMEOUT, "%d %s", r.xfer, r.detail);
	snprintf(want, sizeof(want), "127.0.0.1:%u: tcp connect: Connection refused",
	         (unsigned)f->port);
	cr_assert_str_eq(r.detail, want);
	cr_assert_eq(r.nrr, 0);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, retry_goes_to_next_server)
{
	struct fake *f[2] = { fake_start(FAKE_SILENT), fake_start(FAKE_ANSWER) };
	fcr_transport *t = transport_for((const struct fake *const *)f, 2, 200, 1);
	struct fcr_reply r;

	ask(t, "h2.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	assert_addr(&r.rr[0], "192.0.2.2");
	cr_assert_eq(atomic_load(&f[0]->udp_queries), 1);
	cr_assert_eq(atomic_load(&f[1]->udp_queries), 1);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f[0]);
	fake_stop(f[1]);
}

Test(resolver, retries_then_timeout)
{
	struct fake *f = fake_start(FAKE_SILENT);
	fcr_transport *t = transport_one(f, 100, 2);
	struct fcr_reply r;

	ask(t, "h2.test.", FCR_T_A, &r, 10000);
	cr_assert_eq(r.xfer, FCR_XFER_TIMEOUT);
	cr_assert_str_eq(r.detail, "timeout after 3 attempts");
	cr_assert_eq(atomic_load(&f->udp_queries), 3);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, refused_port_moves_on_at_once)
{
	uint16_t dead;
	int fd = bound_socket(SOCK_DGRAM, 0, &dead);
	close(fd);     /* nothing listens there now: the kernel answers port unreachable */
	struct fake *live = fake_start(FAKE_ANSWER);
	struct fcr_resolver_conf conf = { .nns = 2, .timeout_ms = 10000, .retries = 1 };
	conf.ns[0] = ns_at(dead);
	conf.ns[1] = ns_at(live->port);
	fcr_transport *t = fcr_resolver_new(&conf, NULL, 0);
	struct fcr_reply r;

	int64_t start = fcr_now_ms();
	ask(t, "h3.test.", FCR_T_A, &r, 20000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert_lt(fcr_now_ms() - start, 8000, "did not wait out the first server's timeout");
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(live);
}

Test(resolver, servfail_rcode)
{
	struct fake *f = fake_start(FAKE_SERVFAIL);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;

	ask(t, "h2.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "a SERVFAIL is an answer; the lookup judges it");
	cr_assert_eq(r.rcode, FCR_RCODE_SERVFAIL);
	cr_assert_eq(r.nrr, 0);
	cr_assert_not(r.has_soa);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, nxdomain_with_soa)
{
	struct fake *f = fake_start(FAKE_NXDOMAIN);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;

	ask(t, "nope.test.", FCR_T_PTR, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert_eq(r.rcode, FCR_RCODE_NXDOMAIN);
	cr_assert_eq(r.nrr, 0);
	cr_assert(r.has_soa);
	cr_assert_eq(r.soa_ttl, 300);
	cr_assert_eq(r.soa_minimum, 60);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, answers_in_reverse_order_match_their_questions)
{
	struct fake *f = fake_start_batch(FAKE_REVERSE, 4);
	fcr_transport *t = transport_one(f, 3000, 0);
	struct fcr_question q[4] = { { "h11.test.", FCR_T_A }, { "h12.test.", FCR_T_A },
	                             { "h13.test.", FCR_T_A }, { "h14.test.", FCR_T_A } };
	struct fcr_reply r[4];
	char want[32];

	memset(r, 0, sizeof(r));
	t->exchange(t, q, r, 4, fcr_now_ms() + 6000);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(r[i].xfer, FCR_XFER_OK, "question %d: %s", i, r[i].detail);
		cr_assert_eq(r[i].nrr, 1);
		cr_assert_str_eq(r[i].rr[0].owner, q[i].name);
		snprintf(want, sizeof(want), "192.0.2.%d", 11 + i);
		assert_addr(&r[i].rr[0], want);
		fcr_reply_clear(&r[i]);
	}
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, deadline_cuts_attempts_short)
{
	struct fake *f = fake_start(FAKE_SILENT);
	fcr_transport *t = transport_one(f, 5000, 2);   /* 15 s if the deadline were ignored */
	struct fcr_reply r;

	int64_t start = fcr_now_ms();
	ask(t, "h2.test.", FCR_T_A, &r, 300);
	cr_assert_eq(r.xfer, FCR_XFER_TIMEOUT);
	cr_assert_lt(fcr_now_ms() - start, 4000);
	cr_assert_str_eq(r.detail, "deadline after 1 attempt");
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, past_deadline_sends_nothing)
{
	struct fake *f = fake_start(FAKE_ANSWER);
	fcr_transport *t = transport_one(f, 1000, 0);
	struct fcr_reply r;

	ask(t, "h2.test.", FCR_T_A, &r, -1);
	cr_assert_eq(r.xfer, FCR_XFER_TIMEOUT);
	cr_assert_eq(atomic_load(&f->udp_queries), 0);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

/* No cap drops data: whatever fits in a message is read (32 kB of A records here). */
Test(resolver, many_records_are_all_kept)
{
	struct fake *f = fake_start(FAKE_MANY);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;

	ask(t, "h2.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert_eq(r.nrr, 2000);
	assert_addr(&r.rr[512], "10.0.12.3");       /* record 512: 512 % 250, 1 + 512 / 250 */
	assert_addr(&r.rr[1999], "10.0.249.8");
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

/* RFC 2181 §8: a TTL with the top bit set counts as 0, in records and in the SOA alike. */
Test(resolver, ttl_of_2_to_the_31_or_more_is_zero)
{
	struct fake *f = fake_start(FAKE_BIG_TTL);
	fcr_transport *t = transport_one(f, 2000, 0);
	struct fcr_reply r;

	ask(t, "h2.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert_eq(r.nrr, 3);
	cr_assert_eq(r.rr[0].ttl, 0, "2^31: %u", r.rr[0].ttl);
	cr_assert_eq(r.rr[1].ttl, 2147483647, "2^31 - 1 is a TTL like any other");
	cr_assert_eq(r.rr[2].ttl, 0, "2^32 - 1: %u", r.rr[2].ttl);
	cr_assert(r.has_soa);
	cr_assert_eq(r.soa_ttl, 0, "SOA TTL %u", r.soa_ttl);
	cr_assert_eq(r.soa_minimum, 0, "SOA MINIMUM %u", r.soa_minimum);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

static void assert_malformed(enum fake_mode mode, uint16_t type)
{
	struct fake *f = fake_start(mode);
	fcr_transport *t = transport_one(f, 200, 0);
	struct fcr_reply r;
	char want[96];

	ask(t, type == FCR_T_PTR ? "1.2.0.192.in-addr.arpa." : "h1.test.", type, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_BADREPLY, "mode %d: xfer %d, %zu records", mode, r.xfer, r.nrr);
	snprintf(want, sizeof(want), "malformed record in reply from 127.0.0.1:%u", (unsigned)f->port);
	cr_assert_str_eq(r.detail, want);
	cr_assert_eq(r.nrr, 0);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

/* Malformed RDATA makes the whole reply unusable: the lookup gets a temporary error. */
Test(resolver, rdata_longer_than_its_type_is_badreply)
{
	assert_malformed(FAKE_LONG_A, FCR_T_A);
	assert_malformed(FAKE_LONG_AAAA, FCR_T_AAAA);
	assert_malformed(FAKE_LONG_PTR, FCR_T_PTR);
}

/* The first attempt's answer comes after DNSTimeout, while the retry is out: it still counts. */
Test(resolver, late_reply_to_an_earlier_attempt_is_taken)
{
	struct fake *f = fake_start(FAKE_LATE);
	fcr_transport *t = transport_one(f, 300, 1);
	struct fcr_reply r;

	int64_t start = fcr_now_ms();
	ask(t, "h7.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert_eq(r.nrr, 1);
	assert_addr(&r.rr[0], "192.0.2.7");
	cr_assert_eq(atomic_load(&f->udp_queries), 2);
	cr_assert_lt(fcr_now_ms() - start, 550, "taken when it came, not at the retry's timeout");
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

/* The retry goes to a server that refuses it at once: the first attempt keeps listening for the
 * rest of the retry's time, and its late answer counts. */
Test(resolver, refused_retry_leaves_the_first_attempt_listening)
{
	uint16_t dead;
	int fd = bound_socket(SOCK_DGRAM, 0, &dead);
	close(fd);     /* nothing listens there now: the kernel answers port unreachable */
	struct fake *slow = fake_start(FAKE_DELAYED);
	struct fcr_resolver_conf conf = { .nns = 2, .timeout_ms = 300, .retries = 1 };
	conf.ns[0] = ns_at(slow->port);
	conf.ns[1] = ns_at(dead);
	fcr_transport *t = fcr_resolver_new(&conf, NULL, 0);
	struct fcr_reply r;

	int64_t start = fcr_now_ms();
	ask(t, "h5.test.", FCR_T_A, &r, 5000);
	int64_t took = fcr_now_ms() - start;
	cr_assert_eq(r.xfer, FCR_XFER_OK, "xfer %d: %s", r.xfer, r.detail);
	assert_addr(&r.rr[0], "192.0.2.5");
	cr_assert_geq(took, FAKE_DELAY_MS - 50, "took %lld ms", (long long)took);
	cr_assert_lt(took, 600, "took %lld ms", (long long)took);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(slow);
}

/* Each attempt's socket checks its own ID: the first attempt's answer on the retry's socket
 * carries an ID that socket never sent. */
Test(resolver, each_attempt_checks_its_own_id)
{
	struct fake *f = fake_start(FAKE_LATE_CROSSED);
	fcr_transport *t = transport_one(f, 200, 1);
	struct fcr_reply r;

	ask(t, "h7.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_TIMEOUT, "xfer %d: %s", r.xfer, r.detail);
	cr_assert_str_eq(r.detail, "timeout after 2 attempts");
	cr_assert_eq(r.nrr, 0);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, bad_query_names_are_neterr)
{
	struct fake *f = fake_start(FAKE_ANSWER);
	fcr_transport *t = transport_one(f, 1000, 0);
	char longname[300];
	struct fcr_question q[3] = { { "a..b.", FCR_T_A }, { longname, FCR_T_A },
	                             { "h1.test.", FCR_T_A } };
	struct fcr_reply r[3];

	memset(longname, 'a', sizeof(longname) - 2);
	for (size_t i = 50; i < sizeof(longname) - 2; i += 50)
		longname[i] = '.';
	longname[sizeof(longname) - 2] = '.';
	longname[sizeof(longname) - 1] = '\0';
	memset(r, 0, sizeof(r));
	t->exchange(t, q, r, 3, fcr_now_ms() + 5000);
	cr_assert_eq(r[0].xfer, FCR_XFER_NETERR);
	cr_assert_str_eq(r[0].detail, "bad query name");
	cr_assert_eq(r[1].xfer, FCR_XFER_NETERR);
	cr_assert_eq(r[2].xfer, FCR_XFER_OK, "a bad neighbour does not spoil the others");
	cr_assert_eq(atomic_load(&f->udp_queries), 1);
	for (int i = 0; i < 3; i++)
		fcr_reply_clear(&r[i]);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, new_needs_a_server_and_a_timeout)
{
	struct fcr_resolver_conf conf = { .nns = 0, .timeout_ms = 1000 };
	char err[64] = "";

	cr_assert_null(fcr_resolver_new(&conf, err, sizeof(err)));
	cr_assert_str_eq(err, "no nameserver");
	conf.nns = 1;
	conf.ns[0] = ns_at(53);
	conf.timeout_ms = 0;
	cr_assert_null(fcr_resolver_new(&conf, err, sizeof(err)));
	fcr_transport_free(NULL);
}

static int open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/* Every way an exchange can end leaves no socket behind. */
Test(resolver, no_descriptor_leaks)
{
	static const enum fake_mode modes[] = { FAKE_ANSWER, FAKE_TC, FAKE_TC_NO_TCP, FAKE_GARBAGE,
	                                        FAKE_SILENT, FAKE_WRONG_ID_ONLY, FAKE_LATE,
	                                        FAKE_LONG_A };
	int before = open_fds();

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct fake *f = fake_start(modes[i]);
		fcr_transport *t = transport_one(f, 100, 1);
		struct fcr_question q[2] = { { "h1.test.", FCR_T_A }, { "h2.test.", FCR_T_AAAA } };
		struct fcr_reply r[2];
		memset(r, 0, sizeof(r));
		t->exchange(t, q, r, 2, fcr_now_ms() + 150);      /* some end at the deadline */
		fcr_reply_clear(&r[0]);
		fcr_reply_clear(&r[1]);
		fcr_transport_free(t);
		fake_stop(f);
	}
	cr_assert_eq(open_fds(), before);
}

/* ---------------------------------------------------------------- no socket to be had */

/* In the child: a descriptor table filled up to a low limit, so that socket() fails with EMFILE. */
static void fill_fd_table(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		_exit(90);
	while (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0)
		;
	if (errno != EMFILE)
		_exit(91);
}

#define CHILD_CHECK(cond, code)                                                        \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "no socket child: %s failed\n", #cond);       \
			_exit(code);                                                   \
		}                                                                      \
	} while (0)

/* The exchange ends at once (not after DNSTimeout, not on another server) with its own outcome,
 * and the check says why in its reason, as a temperror the cache does not keep. */
static void no_socket_child(void)
{
	struct fcr_resolver_conf conf = { .nns = 2, .timeout_ms = 2000, .retries = 3 };
	conf.ns[0] = ns_at(53);
	conf.ns[1] = ns_at(5353);
	fcr_transport *t = fcr_resolver_new(&conf, NULL, 0);
	CHILD_CHECK(t != NULL, 92);
	fill_fd_table();
	struct fcr_reply r;
	int64_t start = fcr_now_ms();
	ask(t, "h1.test.", FCR_T_A, &r, 5000);
	CHILD_CHECK(fcr_now_ms() - start < 500, 93);
	CHILD_CHECK(r.xfer == FCR_XFER_NOSOCKET, 94);
	CHILD_CHECK(strcmp(r.detail, "no socket: Too many open files") == 0, 95);
	fcr_reply_clear(&r);

	struct fcr_check_params p = { .max_ptr_names = 10, .timeout_ms = 5000 };
	struct fcr_check_result res = { 0 };
	fcr_addr a;
	CHILD_CHECK(fcr_addr_parse("192.0.2.7", &a), 96);
	fcr_check_run(t, &p, &a, &res);
	CHILD_CHECK(res.result == FCR_TEMPERROR && res.ptr_status == FCR_DNS_NOSOCKET, 97);
	CHILD_CHECK(strcmp(res.reason, "PTR lookup failed: no socket: Too many open files") == 0, 98);
	CHILD_CHECK(fcr_check_heard(&res) == FCR_HEARD_NO_SOCKET, 99);
	struct fcr_cache_conf cc = { .capacity = 10, .max_ttl = 3600, .neg_max_ttl = 900,
	                             .error_ttl = 30 };
	CHILD_CHECK(fcr_cache_lifetime(&cc, &res) == 0, 100);
	fcr_check_result_clear(&res);
	fcr_transport_free(t);
	_exit(0);
}

Test(resolver, no_socket_is_its_own_outcome)
{
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		no_socket_child();
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "the child died (status %d)", st);
	cr_assert_eq(WEXITSTATUS(st), 0, "child check %d failed (see stderr)", WEXITSTATUS(st));
}

/* ---------------------------------------------------------------- nameserver text */

static void assert_ns(const char *text, const char *addr, uint16_t port)
{
	struct fcr_ns ns;
	fcr_addr want;
	char err[128] = "";

	cr_assert_eq(fcr_ns_parse(text, &ns, err, sizeof(err)), 0, "%s: %s", text, err);
	cr_assert(fcr_addr_parse(addr, &want));
	cr_assert(fcr_addr_equal(&ns.addr, &want), "%s", text);
	cr_assert_eq(ns.port, port, "%s", text);
}

Test(resolver_ns, parse_accepts)
{
	assert_ns("127.0.0.1", "127.0.0.1", 53);
	assert_ns("127.0.0.1:5354", "127.0.0.1", 5354);
	assert_ns("::1", "::1", 53);
	assert_ns("[::1]:5354", "::1", 5354);
	assert_ns("[::1]", "::1", 53);
	assert_ns("2001:db8::1", "2001:db8::1", 53);
	assert_ns("192.0.2.1:65535", "192.0.2.1", 65535);
	assert_ns("[::ffff:192.0.2.1]:1", "192.0.2.1", 1);
}

Test(resolver_ns, parse_rejects)
{
	const char *bad[] = { "", "localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
	                      "127.0.0.1:99999999999999999999", "127.0.0.1:-1", "127.0.0.1:+53",
	                      "127.0.0.1: 53", " 127.0.0.1", "[::1]:", "[::1]x", "[::1",
	                      "::1]:53", "1.2.3.4.5", "300.1.1.1", "[]:53", ":53",
	                      "127.0.0.1:53:53", "[::1]:0x35" };
	struct fcr_ns ns;
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(fcr_ns_parse(bad[i], &ns, err, sizeof(err)), -1, "accepted \"%s\"", bad[i]);
		cr_assert_neq(err[0], '\0', "no reason for \"%s\"", bad[i]);
	}
	cr_assert_eq(fcr_ns_parse(NULL, &ns, err, sizeof(err)), -1);
}

Test(resolver_ns, format_round_trips)
{
	const char *cases[][2] = { { "127.0.0.1", "127.0.0.1:53" },
	                           { "127.0.0.1:5354", "127.0.0.1:5354" },
	                           { "::1", "[::1]:53" },
	                           { "[::1]:5354", "[::1]:5354" },
	                           { "2001:DB8:0:0::1", "[2001:db8::1]:53" } };
	char buf[64];
	struct fcr_ns ns;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(fcr_ns_parse(cases[i][0], &ns, NULL, 0), 0);
		cr_assert_str_eq(fcr_ns_format(&ns, buf, sizeof(buf)), cases[i][1]);
	}
}

static char *write_temp(const char *content)
{
	static const char tmpl[] = "/tmp/fcr-resolv-XXXXXX";
	char *path = strdup(tmpl);
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

Test(resolver_ns, resolv_conf_reads_nameservers)
{
	char *path = write_temp("# comment\n"
	                        "search example.org example.net\n"
	                        "options ndots:2 timeout:1\n"
	                        "nameserver 192.0.2.53\n"
	                        "nameserver ::1\n"
	                        "nameserver ::ffff:198.51.100.7\n");
	struct fcr_ns ns[4];
	char err[256] = "";
	char buf[64];

	int n = fcr_resolv_conf_load(path, ns, 4, err, sizeof(err));
	cr_assert_eq(n, 3, "%s", err);
	cr_assert_str_eq(fcr_ns_format(&ns[0], buf, sizeof(buf)), "192.0.2.53:53");
	cr_assert_str_eq(fcr_ns_format(&ns[1], buf, sizeof(buf)), "[::1]:53");
	cr_assert_str_eq(fcr_ns_format(&ns[2], buf, sizeof(buf)), "198.51.100.7:53");
	cr_assert_eq(fcr_resolv_conf_load(path, ns, 1, err, sizeof(err)), 1, "at most max");
	unlink(path);
	free(path);
}

Test(resolver_ns, resolv_conf_errors)
{
	char *empty = write_temp("search example.org\n# nameserver 192.0.2.1\n");
	char *garbage = write_temp("nameserver not-an-address\n");
	struct fcr_ns ns[2];
	char err[256] = "";

	cr_assert_eq(fcr_resolv_conf_load(empty, ns, 2, err, sizeof(err)), -1);
	cr_assert(strstr(err, "no nameserver"), "%s", err);
	cr_assert(strstr(err, empty), "the path is named: %s", err);
	cr_assert_eq(fcr_resolv_conf_load(garbage, ns, 2, err, sizeof(err)), -1);
	cr_assert(strstr(err, garbage), "%s", err);
	cr_assert_eq(fcr_resolv_conf_load("/nonexistent/resolv.conf", ns, 2, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "/nonexistent/resolv.conf: No such file or directory");
	unlink(empty);
	unlink(garbage);
	free(empty);
	free(garbage);
}

/* ---------------------------------------------------------------- many threads */

#define THREADS 8
#define ROUNDS 50

struct worker {
	fcr_transport *t;
	unsigned seed;
	int failures;
	char why[128];
};

/* Each round asks two names whose answers differ, so that a mix-up between threads shows. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < ROUNDS; i++) {
		unsigned a = 1 + (w->seed * 31 + i) % 200, b = 1 + (a + 17) % 200;
		char na[32], nb[32], want[2][32];
		snprintf(na, sizeof(na), "h%u.test.", a);
		snprintf(nb, sizeof(nb), "h%u.test.", b);
		snprintf(want[0], sizeof(want[0]), "192.0.2.%u", a);
		snprintf(want[1], sizeof(want[1]), "192.0.2.%u", b);
		struct fcr_question q[2] = { { na, FCR_T_A }, { nb, FCR_T_A } };
		struct fcr_reply r[2];
		memset(r, 0, sizeof(r));
		w->t->exchange(w->t, q, r, 2, fcr_now_ms() + 10000);
		for (int k = 0; k < 2; k++) {
			fcr_addr addr;
			fcr_addr_parse(want[k], &addr);
			if (r[k].xfer != FCR_XFER_OK || r[k].nrr != 1 ||
			    !fcr_addr_equal(&r[k].rr[0].addr, &addr)) {
				w->failures++;
				snprintf(w->why, sizeof(w->why), "round %u q%d: xfer %d nrr %zu %s", i, k,
				         r[k].xfer, r[k].nrr, r[k].detail);
			}
			fcr_reply_clear(&r[k]);
		}
	}
	return NULL;
}

Test(concurrency, resolver_parallel_exchanges)
{
	struct fake *f = fake_start(FAKE_ANSWER);
	fcr_transport *t = transport_one(f, 2000, 2);
	struct worker w[THREADS];
	pthread_t th[THREADS];

	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .t = t, .seed = i };
		cr_assert_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (unsigned i = 0; i < THREADS; i++)
		cr_assert_eq(w[i].failures, 0, "thread %u: %d failures, last %s", i, w[i].failures,
		             w[i].why);
	cr_assert_geq(atomic_load(&f->udp_queries), THREADS * ROUNDS * 2);
	fcr_transport_free(t);
	fake_stop(f);
}
