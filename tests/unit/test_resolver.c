/* Unit tests of the real transport (resolver.h) against the fake DNS server (fake_resolver.h):
 * one exchange's answers, IDs and questions, TCP after truncation, retries, rcodes, deadlines. */
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

/* No cap drops data: whatever fits in a message is read (32 kB of A records here). Nothing here is
 * about time: building and parsing 2,000 records over TCP under ASan on a loaded machine once took
 * longer than 2 s, so the limits are generous. */
Test(resolver, many_records_are_all_kept)
{
	struct fake *f = fake_start(FAKE_MANY);
	fcr_transport *t = transport_one(f, 15000, 0);
	struct fcr_reply r;

	ask(t, "h2.test.", FCR_T_A, &r, 20000);
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

