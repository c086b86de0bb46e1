/* The fake DNS server of the resolver tests (fake_resolver.h). */
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
#include "fake_resolver.h"

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

int bound_socket(int type, uint16_t port, uint16_t *got)
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

struct fake *fake_start_batch(enum fake_mode mode, size_t batch)
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

struct fake *fake_start(enum fake_mode mode)
{
	return fake_start_batch(mode, 1);
}

void fake_stop(struct fake *f)
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

