/* The FCrDNS algorithm over a fake resolver: every result, CNAME handling, limits, TTL classes,
 * and the round-trip count of a cold check. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fake_dns.h"

#define R4(x) x ".0.0.127.in-addr.arpa."
/* A 252-octet name of 'a' labels, as a hostile reverse zone can publish it. */
#define A9 "aaaaaaaaa"
#define A63 A9 A9 A9 A9 A9 A9 A9
#define LONG A63 "." A63 "." A63 "." A9 A9 A9 A9 A9 "aaaaaaaa" ".test."
#define NOSOA -1, 0

static const struct fake_answer zone[] = {
	/* 127.0.0.2: pass */
	{ R4("2"), FCR_T_PTR, 0, 0, R4("2") " PTR 60 good.test.", NOSOA },
	{ "good.test.", FCR_T_A, 0, 0, "good.test. A 30 127.0.0.2", NOSOA },
	/* 127.0.0.3: mismatch */
	{ R4("3"), FCR_T_PTR, 0, 0, R4("3") " PTR 60 mismatch.test.", NOSOA },
	{ "mismatch.test.", FCR_T_A, 0, 0, "mismatch.test. A 60 127.0.0.99", NOSOA },
	/* 127.0.0.4: NXDOMAIN (the default), 127.0.0.44: NODATA */
	{ R4("44"), FCR_T_PTR, 0, 0, NULL, 120, 40 },
	/* 127.0.0.5: two names, the second confirms */
	{ R4("5"), FCR_T_PTR, 0, 0, R4("5") " PTR 60 multi1.test.;" R4("5") " PTR 60 multi2.test.", NOSOA },
	{ "multi1.test.", FCR_T_A, 0, 0, "multi1.test. A 60 127.0.0.50", NOSOA },
	{ "multi2.test.", FCR_T_A, 0, 0, "multi2.test. A 60 127.0.0.5", NOSOA },
	/* 127.0.0.6: name without address (NXDOMAIN, default) ; .7: NODATA */
	{ R4("6"), FCR_T_PTR, 0, 0, R4("6") " PTR 60 gone.test.", NOSOA },
	{ R4("7"), FCR_T_PTR, 0, 0, R4("7") " PTR 60 nodata.test.", NOSOA },
	{ "nodata.test.", FCR_T_A, 0, 0, NULL, 50, 20 },
	/* 127.0.0.9: forward CNAME */
	{ R4("9"), FCR_T_PTR, 0, 0, R4("9") " PTR 60 alias.test.", NOSOA },
	{ "alias.test.", FCR_T_A, 0, 0, "alias.test. CNAME 40 real9.test.;real9.test. A 60 127.0.0.9", NOSOA },
	/* 127.0.0.10: RFC 2317, chain complete in the answer */
	{ R4("10"), FCR_T_PTR, 0, 0, R4("10") " CNAME 60 10.0/26.0.0.127.in-addr.arpa.;"
	  "10.0/26.0.0.127.in-addr.arpa. PTR 60 c10.test.", NOSOA },
	{ "c10.test.", FCR_T_A, 0, 0, "c10.test. A 60 127.0.0.10", NOSOA },
	/* 127.0.0.11: RFC 2317, the server stops at the CNAME: a follow-up question is needed */
	{ R4("11"), FCR_T_PTR, 0, 0, R4("11") " CNAME 60 11.sub.test.", NOSOA },
	{ "11.sub.test.", FCR_T_PTR, 0, 0, "11.sub.test. PTR 60 c11.test.", NOSOA },
	{ "c11.test.", FCR_T_A, 0, 0, "c11.test. A 60 127.0.0.11", NOSOA },
	/* 127.0.0.12: PTR CNAME loop */
	{ R4("12"), FCR_T_PTR, 0, 0, R4("12") " CNAME 60 loop.test.;loop.test. CNAME 60 " R4("12"), NOSOA },
	/* 127.0.0.13: forward CNAME loop */
	{ R4("13"), FCR_T_PTR, 0, 0, R4("13") " PTR 60 fl.test.", NOSOA },
	{ "fl.test.", FCR_T_A, 0, 0, "fl.test. CNAME 60 fl2.test.;fl2.test. CNAME 60 fl.test.", NOSOA },
	/* 127.0.0.14: all-numeric PTR name and an invalid label */
	{ R4("14"), FCR_T_PTR, 0, 0, R4("14") " PTR 60 127.0.0.14.;" R4("14") " PTR 60 bad_name.test.", NOSOA },
	{ "127.0.0.14.", FCR_T_A, 0, 0, "127.0.0.14. A 60 127.0.0.14", NOSOA },
	/* 127.0.0.15: temporary failures */
	{ R4("15"), FCR_T_PTR, 0, FCR_RCODE_SERVFAIL, NULL, NOSOA },
	{ R4("16"), FCR_T_PTR, FCR_XFER_TIMEOUT, 0, NULL, NOSOA },
	{ R4("17"), FCR_T_PTR, FCR_XFER_BADREPLY, 0, NULL, NOSOA },
	{ R4("18"), FCR_T_PTR, 0, FCR_RCODE_REFUSED, NULL, NOSOA },
	/* 127.0.0.19: one forward SERVFAIL, one confirms; .20: one SERVFAIL, one mismatch */
	{ R4("19"), FCR_T_PTR, 0, 0, R4("19") " PTR 60 broken.test.;" R4("19") " PTR 60 ok19.test.", NOSOA },
	{ "broken.test.", FCR_T_A, 0, FCR_RCODE_SERVFAIL, NULL, NOSOA },
	{ "ok19.test.", FCR_T_A, 0, 0, "ok19.test. A 60 127.0.0.19", NOSOA },
	{ R4("20"), FCR_T_PTR, 0, 0, R4("20") " PTR 60 broken.test.;" R4("20") " PTR 60 mismatch.test.", NOSOA },
	/* 127.0.0.21: forward NXDOMAIN without SOA: a fail that must not be cached */
	{ R4("21"), FCR_T_PTR, 0, 0, R4("21") " PTR 60 nosoa.test.", NOSOA },
	{ "nosoa.test.", FCR_T_A, 0, FCR_RCODE_NXDOMAIN, NULL, NOSOA },
	/* 127.0.0.22: nine CNAME links on the reverse side */
	{ R4("22"), FCR_T_PTR, 0, 0, R4("22") " CNAME 60 l1.t.;l1.t. CNAME 60 l2.t.;l2.t. CNAME 60 l3.t.;"
	  "l3.t. CNAME 60 l4.t.;l4.t. CNAME 60 l5.t.;l5.t. CNAME 60 l6.t.;l6.t. CNAME 60 l7.t.;"
	  "l7.t. CNAME 60 l8.t.;l8.t. CNAME 60 l9.t.;l9.t. PTR 60 far.test.", NOSOA },
	/* 127.0.0.23: a long name that confirms */
	{ R4("23"), FCR_T_PTR, 0, 0, R4("23") " PTR 60 " LONG, NOSOA },
	{ LONG, FCR_T_A, 0, 0, LONG " A 60 127.0.0.23", NOSOA },
	/* IPv6 2001:db8::1 pass (the name also has an A that must not be asked) */
	{ "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", FCR_T_PTR, 0, 0,
	  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR 60 v6.test.", NOSOA },
	{ "v6.test.", FCR_T_AAAA, 0, 0, "v6.test. AAAA 60 2001:db8::1", NOSOA },
};

static struct fake_dns fake;
static struct fcr_check_result res;
static struct fcr_check_params params = { .max_ptr_names = 10, .timeout_ms = 5000 };

static void setup(void)
{
	fake_dns_init(&fake, zone, sizeof(zone) / sizeof(zone[0]));
	memset(&res, 0, sizeof(res));
	params.max_ptr_names = 10;
	params.timeout_ms = 5000;
}

static void teardown(void)
{
	fcr_check_result_clear(&res);
}

static enum fcr_result check(const char *ip)
{
	fcr_addr a;
	cr_assert(fcr_addr_parse(ip, &a), "bad test address %s", ip);
	fcr_check_result_clear(&res);
	cr_assert_eq(fcr_check_run(&fake.base, &params, &a, &res), 0);
	return res.result;
}

static const char *confirmed(void)
{
	static char buf[300];
	return fcr_check_confirmed(&res, buf, sizeof(buf));
}

TestSuite(check, .init = setup, .fini = teardown);

Test(check, pass_costs_two_round_trips)
{
	cr_assert_eq(check("127.0.0.2"), FCR_PASS);
	cr_assert_str_eq(confirmed(), "good.test");
	cr_assert_eq(fake.exchanges, 2);
	cr_assert_eq(res.queries, 2);
	cr_assert_eq(res.ttl_kind, FCR_TTL_POSITIVE);
	cr_assert_eq(res.ttl, 30, "smallest TTL on the path, got %u", res.ttl);
}

Test(check, mismatch_fails)
{
	cr_assert_eq(check("127.0.0.3"), FCR_FAIL);
	cr_assert_eq(res.confirmed, -1);
	cr_assert_str_eq(confirmed(), "");
	cr_assert_eq(res.nnames, 1);
	cr_assert_eq(res.names[0].naddrs, 1);
}

Test(check, no_ptr_nxdomain_is_permerror_cached_negative)
{
	cr_assert_eq(check("127.0.0.4"), FCR_PERMERROR);
	cr_assert_eq(res.ptr_status, FCR_DNS_NXDOMAIN);
	cr_assert_eq(res.ttl_kind, FCR_TTL_NEGATIVE);
	cr_assert_eq(res.ttl, 60, "min(SOA TTL 300, MINIMUM 60)");
	cr_assert_eq(fake.exchanges, 1);
}

Test(check, no_ptr_nodata_is_permerror)
{
	cr_assert_eq(check("127.0.0.44"), FCR_PERMERROR);
	cr_assert_eq(res.ptr_status, FCR_DNS_NODATA);
	cr_assert_eq(res.ttl, 40);
}

Test(check, several_names_one_confirms_all_forward_at_once)
{
	cr_assert_eq(check("127.0.0.5"), FCR_PASS);
	cr_assert_str_eq(confirmed(), "multi2.test");
	cr_assert_eq(res.confirmed, 1);
	cr_assert_eq(fake.exchanges, 2);
	cr_assert_eq(fake.max_batch, 2);
}

Test(check, ptr_to_nxdomain_and_nodata_names_fail)
{
	cr_assert_eq(check("127.0.0.6"), FCR_FAIL);
	cr_assert_eq(res.names[0].status, FCR_DNS_NXDOMAIN);
	cr_assert_eq(res.ttl_kind, FCR_TTL_NEGATIVE);
	cr_assert_eq(check("127.0.0.7"), FCR_FAIL);
	cr_assert_eq(res.names[0].status, FCR_DNS_NODATA);
	cr_assert_eq(res.ttl, 20);
}

Test(check, forward_cname_confirms_the_ptr_name)
{
	cr_assert_eq(check("127.0.0.9"), FCR_PASS);
	cr_assert_str_eq(confirmed(), "alias.test");
	cr_assert_str_eq(res.names[0].canonical, "real9.test.");
	cr_assert_eq(res.ttl, 40);
}

Test(check, rfc2317_cname_in_one_answer)
{
	cr_assert_eq(check("127.0.0.10"), FCR_PASS);
	cr_assert_str_eq(res.ptr_canonical, "10.0/26.0.0.127.in-addr.arpa.");
	cr_assert_eq(fake.exchanges, 2);
}

Test(check, rfc2317_cname_followed_by_a_new_question)
{
	cr_assert_eq(check("127.0.0.11"), FCR_PASS);
	cr_assert_str_eq(confirmed(), "c11.test");
	cr_assert_eq(fake.exchanges, 3);
}

Test(check, ptr_cname_loop_is_permerror)
{
	cr_assert_eq(check("127.0.0.12"), FCR_PERMERROR);
	cr_assert_eq(res.ptr_status, FCR_DNS_CNAME_LOOP);
}

Test(check, ptr_cname_chain_longer_than_8_is_permerror)
{
	cr_assert_eq(check("127.0.0.22"), FCR_PERMERROR);
	cr_assert_eq(res.ptr_status, FCR_DNS_CNAME_LONG);
}

Test(check, forward_cname_loop_cannot_confirm)
{
	cr_assert_eq(check("127.0.0.13"), FCR_FAIL);
	cr_assert_eq(res.names[0].status, FCR_DNS_CNAME_LOOP);
}

Test(check, invalid_names_are_not_looked_up)
{
	cr_assert_eq(check("127.0.0.14"), FCR_FAIL);
	cr_assert_eq(res.nnames, 2);
	cr_assert_not(res.names[0].valid);
	cr_assert_not(res.names[1].valid);
	cr_assert_eq(fake.questions, 1, "only the PTR question may be sent");
}

Test(check, temporary_failures_are_temperror)
{
	const char *ips[] = { "127.0.0.15", "127.0.0.16", "127.0.0.17", "127.0.0.18" };
	const enum fcr_dns_status want[] = { FCR_DNS_SERVFAIL, FCR_DNS_TIMEOUT, FCR_DNS_BADREPLY,
	                                     FCR_DNS_REFUSED };
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(check(ips[i]), FCR_TEMPERROR, "%s", ips[i]);
		cr_assert_eq(res.ptr_status, want[i], "%s", ips[i]);
		cr_assert_eq(res.ttl_kind, FCR_TTL_ERROR);
	}
}

Test(check, a_confirmed_name_beats_a_forward_failure)
{
	cr_assert_eq(check("127.0.0.19"), FCR_PASS);
	cr_assert_str_eq(confirmed(), "ok19.test");
	cr_assert_eq(check("127.0.0.20"), FCR_TEMPERROR);
}

Test(check, negative_without_soa_is_not_cacheable)
{
	cr_assert_eq(check("127.0.0.21"), FCR_FAIL);
	cr_assert_eq(res.ttl_kind, FCR_TTL_NONE);
}

Test(check, ipv6_asks_aaaa)
{
	cr_assert_eq(check("2001:db8::1"), FCR_PASS);
	cr_assert_str_eq(confirmed(), "v6.test");
	cr_assert_eq(check("::ffff:127.0.0.2"), FCR_PASS, "an IPv4-mapped address is checked as IPv4");
	cr_assert_eq(res.addr.family, AF_INET);
}

Test(check, time_budget_is_a_hard_limit)
{
	fake.delay_ms = 200;
	params.timeout_ms = 300; /* the PTR answer arrives, the forward lookup runs out of time */
	cr_assert_eq(check("127.0.0.2"), FCR_TEMPERROR);
	cr_assert_eq(res.names[0].status, FCR_DNS_TIMEOUT);
	cr_assert_lt(res.elapsed_ms, 2000);
}

/* 12 PTR names of which only the last confirms. */
static const struct fake_answer many[] = {
	{ R4("30"), FCR_T_PTR, 0, 0,
	  R4("30") " PTR 60 n1.t.;" R4("30") " PTR 60 n2.t.;" R4("30") " PTR 60 n3.t.;"
	  R4("30") " PTR 60 n4.t.;" R4("30") " PTR 60 n5.t.;" R4("30") " PTR 60 n6.t.;"
	  R4("30") " PTR 60 n7.t.;" R4("30") " PTR 60 n8.t.;" R4("30") " PTR 60 n9.t.;"
	  R4("30") " PTR 60 n10.t.;" R4("30") " PTR 60 n11.t.;" R4("30") " PTR 60 n12.t.", NOSOA },
	{ "n12.t.", FCR_T_A, 0, 0, "n12.t. A 60 127.0.0.30", NOSOA },
};

Test(check, max_ptr_names_limits_the_names_looked_up)
{
	fake_dns_init(&fake, many, 2);
	cr_assert_eq(check("127.0.0.30"), FCR_FAIL);
	cr_assert_eq(res.ptr_total, 12);
	cr_assert_eq(res.nnames, 10);
	cr_assert_eq(fake.max_batch, 10);
	params.max_ptr_names = 12;
	cr_assert_eq(check("127.0.0.30"), FCR_PASS);
	cr_assert_str_eq(confirmed(), "n12.t");
}

Test(check, copy_is_deep)
{
	struct fcr_check_result c = { 0 };
	cr_assert_eq(check("127.0.0.5"), FCR_PASS);
	cr_assert_eq(fcr_check_result_copy(&c, &res), 0);
	fcr_check_result_clear(&res);
	cr_assert_eq(c.nnames, 2);
	cr_assert_str_eq(c.names[1].name, "multi2.test.");
	cr_assert_eq(c.names[1].naddrs, 1);
	fcr_check_result_clear(&c);
}

/* NXDOMAIN replies that carry the record anyway: the rcode decides, the records are no data. */
static const struct fake_answer nxdata[] = {
	{ R4("40"), FCR_T_PTR, 0, FCR_RCODE_NXDOMAIN, R4("40") " PTR 60 nx40.t.", 300, 30 },
	{ "nx40.t.", FCR_T_A, 0, 0, "nx40.t. A 60 127.0.0.40", NOSOA },
	{ R4("41"), FCR_T_PTR, 0, 0, R4("41") " PTR 60 nx41.t.", NOSOA },
	{ "nx41.t.", FCR_T_A, 0, FCR_RCODE_NXDOMAIN, "nx41.t. A 60 127.0.0.41", 300, 30 },
	{ R4("42"), FCR_T_PTR, 0, 0, R4("42") " PTR 60 nx42.t.", NOSOA },
	{ "nx42.t.", FCR_T_A, 0, FCR_RCODE_NXDOMAIN, "nx42.t. CNAME 60 end42.t.;end42.t. A 60 127.0.0.42",
	  300, 30 },
};

Test(check, records_of_an_nxdomain_reply_do_not_count)
{
	fake_dns_init(&fake, nxdata, sizeof(nxdata) / sizeof(nxdata[0]));
	cr_assert_eq(check("127.0.0.40"), FCR_PERMERROR, "reverse NXDOMAIN with a PTR: %s", res.reason);
	cr_assert_eq(res.ptr_status, FCR_DNS_NXDOMAIN);
	cr_assert_eq(res.nnames, 0);
	cr_assert_eq(check("127.0.0.41"), FCR_FAIL, "forward NXDOMAIN with the A: %s", res.reason);
	cr_assert_eq(res.names[0].status, FCR_DNS_NXDOMAIN);
	cr_assert_eq(res.names[0].naddrs, 0);
	cr_assert_eq(check("127.0.0.42"), FCR_FAIL, "NXDOMAIN at the end of a CNAME chain: %s",
	             res.reason);
	cr_assert_str_eq(res.names[0].canonical, "end42.t.");
}

/* A GenericPatterns pattern that backtracks without end on the long name: the check is not held
 * up, the pattern counts as no match there, and the name says so (for the trace). */
Test(check, pattern_limit_marks_the_name, .timeout = 20)
{
	char path[] = "/tmp/fcr-check-patterns-XXXXXX", err[256] = "";
	static const char text[] = "(.*)\\1(.*)\\2(.*)\\3(.*)\\4(.*)\\5\\d\n^good\\.test$\n";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	fcr_generic *g = fcr_generic_new(path, NULL, err, sizeof(err));
	unlink(path);
	cr_assert_not_null(g, "%s", err);
	params.generic = g;
	cr_expect_eq(check("127.0.0.23"), FCR_PASS);
	cr_expect_eq(res.nnames, 1);
	cr_expect(res.names[0].pattern_limit);
	cr_expect_not(res.names[0].generic);
	cr_expect_not(res.generic);
	cr_expect_eq(fcr_generic_limit_hits(g), 1);
	cr_expect_eq(check("127.0.0.2"), FCR_PASS);
	cr_expect_not(res.names[0].pattern_limit);
	cr_expect(res.generic, "^good\\.test$ matches");
	params.generic = NULL;
	fcr_generic_free(g);
}

/* What a check heard, from its lookup statuses: the one reading behind the StatsFile's timeout and
 * no-socket counts and the resolver's health. */
Test(check, heard_from_the_statuses)
{
	struct fcr_name n3[3] = { { .valid = true }, { .valid = true }, { .valid = false } };
	struct fcr_check_result r = { .names = n3, .nnames = 3 };
	static const struct {
		enum fcr_dns_status ptr, a, b, invalid;
		enum fcr_heard want;
	} cases[] = {
		{ FCR_DNS_TIMEOUT, 0, 0, 0, FCR_HEARD_NOTHING },
		{ FCR_DNS_SERVFAIL, 0, 0, 0, FCR_HEARD_REPLIES },
		{ FCR_DNS_NXDOMAIN, 0, 0, 0, FCR_HEARD_REPLIES },
		{ FCR_DNS_NOSOCKET, 0, 0, 0, FCR_HEARD_NO_SOCKET },
		{ FCR_DNS_LOCAL, 0, 0, 0, FCR_HEARD_UNASKED },
		{ FCR_DNS_UNAVAILABLE, 0, 0, 0, FCR_HEARD_UNASKED },
		{ FCR_DNS_OK, FCR_DNS_OK, FCR_DNS_NXDOMAIN, FCR_DNS_TIMEOUT, FCR_HEARD_REPLIES },
		{ FCR_DNS_OK, FCR_DNS_TIMEOUT, FCR_DNS_SERVFAIL, 0, FCR_HEARD_PARTLY },
		{ FCR_DNS_OK, FCR_DNS_TIMEOUT, FCR_DNS_TIMEOUT, 0, FCR_HEARD_NOTHING },
		{ FCR_DNS_OK, FCR_DNS_TIMEOUT, FCR_DNS_NOSOCKET, 0, FCR_HEARD_NOTHING },
		{ FCR_DNS_OK, FCR_DNS_OK, FCR_DNS_NOSOCKET, 0, FCR_HEARD_NO_SOCKET },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.ptr_status = cases[i].ptr;
		r.nnames = cases[i].ptr == FCR_DNS_OK ? 3 : 0;
		n3[0].status = cases[i].a;
		n3[1].status = cases[i].b;
		n3[2].status = cases[i].invalid;
		cr_expect_eq(fcr_check_heard(&r), cases[i].want, "case %zu", i);
	}
}
