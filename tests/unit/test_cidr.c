/* Unit tests for lib/cidr.c: parsing networks strictly and matching IPv4, IPv6 and mapped addresses. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"

static fcr_addr A(const char *s)
{
	fcr_addr a;

	cr_assert(fcr_addr_parse(s, &a), "test address %s", s);
	return a;
}

static fcr_cidrs *list_of(const char *const *nets, size_t n)
{
	char err[256];
	fcr_cidrs *l = fcr_cidrs_new();

	cr_assert_not_null(l);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(fcr_cidrs_add(l, nets[i], err, sizeof(err)), 0, "%s: %s", nets[i], err);
	return l;
}

static bool matches(const fcr_cidrs *l, const char *addr)
{
	fcr_addr a = A(addr);

	return fcr_cidrs_match(l, &a);
}

Test(cidr, empty_list_matches_nothing)
{
	fcr_cidrs *l = fcr_cidrs_new();

	cr_assert_eq(fcr_cidrs_count(l), 0);
	cr_assert_not(matches(l, "127.0.0.1"));
	cr_assert_not(matches(l, "::1"));
	fcr_cidrs_free(l);
	fcr_cidrs_free(NULL);
}

Test(cidr, ipv4_networks)
{
	const char *nets[] = { "10.0.0.0/8", "192.168.1.0/24", "172.16.0.0/12" };
	fcr_cidrs *l = list_of(nets, 3);

	cr_assert_eq(fcr_cidrs_count(l), 3);
	cr_assert(matches(l, "10.0.0.0"));
	cr_assert(matches(l, "10.255.255.255"));
	cr_assert_not(matches(l, "11.0.0.0"));
	cr_assert_not(matches(l, "9.255.255.255"));
	cr_assert(matches(l, "192.168.1.77"));
	cr_assert_not(matches(l, "192.168.2.1"));
	cr_assert(matches(l, "172.31.255.255"));  /* 172.16/12 ends at 172.31 */
	cr_assert_not(matches(l, "172.32.0.0"));
	cr_assert_not(matches(l, "::ffff:11.0.0.1"));
	fcr_cidrs_free(l);
}

Test(cidr, ipv6_networks)
{
	const char *nets[] = { "2001:db8::/32", "fe80::/10", "::1/128" };
	fcr_cidrs *l = list_of(nets, 3);

	cr_assert(matches(l, "2001:db8::1"));
	cr_assert(matches(l, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
	cr_assert_not(matches(l, "2001:db9::"));
	cr_assert(matches(l, "febf::1"));          /* fe80::/10 spans fe80..febf */
	cr_assert_not(matches(l, "fec0::1"));
	cr_assert(matches(l, "::1"));
	cr_assert_not(matches(l, "::2"));
	cr_assert_not(matches(l, "127.0.0.1"));   /* families never mix */
	fcr_cidrs_free(l);
}

Test(cidr, mapped_addresses_match_ipv4_networks)
{
	const char *nets[] = { "127.0.0.0/8" };
	fcr_cidrs *l = list_of(nets, 1);
	fcr_addr raw = { .family = AF_INET6 };

	cr_assert(matches(l, "::ffff:127.0.0.1"));
	/* a caller that did not normalise still gets the IPv4 answer */
	raw.bytes[10] = raw.bytes[11] = 0xff;
	raw.bytes[12] = 127;
	raw.bytes[15] = 9;
	cr_assert(fcr_cidrs_match(l, &raw));
	raw.bytes[12] = 128;
	cr_assert_not(fcr_cidrs_match(l, &raw));
	fcr_cidrs_free(l);
}

Test(cidr, mapped_networks_are_stored_as_ipv4)
{
	char buf[64];
	const char *nets[] = { "::ffff:10.0.0.0/104", "::ffff:192.0.2.1" };
	fcr_cidrs *l = list_of(nets, 2);

	cr_assert_str_eq(fcr_cidrs_format(l, 0, buf, sizeof(buf)), "10.0.0.0/8");
	cr_assert_str_eq(fcr_cidrs_format(l, 1, buf, sizeof(buf)), "192.0.2.1/32");
	cr_assert(matches(l, "10.1.2.3"));
	cr_assert(matches(l, "192.0.2.1"));
	cr_assert_not(matches(l, "192.0.2.2"));
	fcr_cidrs_free(l);
}

Test(cidr, edges)
{
	const char *v4all[] = { "0.0.0.0/0" }, *v6all[] = { "::/0" };
	const char *host4[] = { "198.51.100.7/32" }, *host6[] = { "2001:db8::7/128" };
	const char *bare[] = { "198.51.100.7", "[2001:db8::7]" };
	fcr_cidrs *l;

	l = list_of(v4all, 1);
	cr_assert(matches(l, "0.0.0.0") && matches(l, "255.255.255.255"));
	cr_assert_not(matches(l, "::"));
	fcr_cidrs_free(l);
	l = list_of(v6all, 1);
	cr_assert(matches(l, "::") && matches(l, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	cr_assert_not(matches(l, "1.2.3.4"));
	fcr_cidrs_free(l);
	l = list_of(host4, 1);
	cr_assert(matches(l, "198.51.100.7"));
	cr_assert_not(matches(l, "198.51.100.6") || matches(l, "198.51.100.8"));
	fcr_cidrs_free(l);
	l = list_of(host6, 1);
	cr_assert(matches(l, "2001:db8::7"));
	cr_assert_not(matches(l, "2001:db8::6") || matches(l, "2001:db8::8"));
	fcr_cidrs_free(l);
	l = list_of(bare, 2);
	cr_assert(matches(l, "198.51.100.7") && matches(l, "2001:db8::7"));
	cr_assert_not(matches(l, "198.51.100.8") || matches(l, "2001:db8::8"));
	fcr_cidrs_free(l);
}

Test(cidr, odd_prefix_lengths)
{
	const char *nets[] = { "192.0.2.128/25", "2001:db8:0:8000::/49" };
	fcr_cidrs *l = list_of(nets, 2);

	cr_assert(matches(l, "192.0.2.128") && matches(l, "192.0.2.255"));
	cr_assert_not(matches(l, "192.0.2.127"));
	cr_assert(matches(l, "2001:db8:0:ffff::1"));
	cr_assert_not(matches(l, "2001:db8:0:7fff::1"));
	fcr_cidrs_free(l);
}

Test(cidr, format)
{
	char buf[64];
	const char *nets[] = { "10.0.0.0/8", "2001:DB8:0:0::/32" };
	fcr_cidrs *l = list_of(nets, 2);

	cr_assert_str_eq(fcr_cidrs_format(l, 0, buf, sizeof(buf)), "10.0.0.0/8");
	cr_assert_str_eq(fcr_cidrs_format(l, 1, buf, sizeof(buf)), "2001:db8::/32");
	cr_assert_str_eq(fcr_cidrs_format(l, 2, buf, sizeof(buf)), "");
	fcr_cidrs_free(l);
}

Test(cidr, clear)
{
	const char *nets[] = { "10.0.0.0/8", "::1" };
	fcr_cidrs *l = list_of(nets, 2);

	fcr_cidrs_clear(l);
	cr_assert_eq(fcr_cidrs_count(l), 0);
	cr_assert_not(matches(l, "10.0.0.1"));
	fcr_cidrs_free(l);
}

Test(cidr, many_entries)
{
	char net[32], err[128];
	fcr_cidrs *l = fcr_cidrs_new();

	for (unsigned i = 0; i < 1000; i++) {
		snprintf(net, sizeof(net), "10.%u.%u.0/24", i / 256, i % 256);
		cr_assert_eq(fcr_cidrs_add(l, net, err, sizeof(err)), 0, "%s", err);
	}
	cr_assert_eq(fcr_cidrs_count(l), 1000);
	cr_assert(matches(l, "10.3.231.9"));  /* entry 999 = 3 * 256 + 231 */
	cr_assert_not(matches(l, "10.3.232.9"));
	fcr_cidrs_free(l);
}

static void assert_rejected(const char *text, const char *why)
{
	char err[256];
	fcr_cidrs *l = fcr_cidrs_new();

	cr_assert_eq(fcr_cidrs_add(l, text, err, sizeof(err)), -1, "accepted '%s'", text);
	cr_assert(strstr(err, why), "'%s': got '%s', wanted '%s'", text, err, why);
	for (const char *p = err; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "raw byte in '%s'", err);
	cr_assert_eq(fcr_cidrs_count(l), 0);
	fcr_cidrs_free(l);
}

Test(cidr, host_bits)
{
	char err[128];
	fcr_cidrs *l = fcr_cidrs_new();

	cr_assert_eq(fcr_cidrs_add(l, "10.0.0.1/8", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "10.0.0.1/8: host bits set");
	fcr_cidrs_free(l);
	assert_rejected("192.0.2.129/25", "host bits set");
	assert_rejected("2001:db8::1/64", "host bits set");
	assert_rejected("::ffff:10.0.0.1/104", "host bits set");
	assert_rejected("::ffff:10.0.0.0/80", "host bits set");  /* the ffff lies outside /80 */
	assert_rejected("0.0.0.1/0", "host bits set");
}

Test(cidr, bad_input)
{
	assert_rejected("", "empty");
	assert_rejected("10.0.0.0/33", "prefix length over 32");
	assert_rejected("::/129", "prefix length over 128");
	assert_rejected("::ffff:10.0.0.0/129", "prefix length over 128");
	assert_rejected("10.0.0.0/", "prefix length is not a number");
	assert_rejected("10.0.0.0/-1", "prefix length is not a number");
	assert_rejected("10.0.0.0/+8", "prefix length is not a number");
	assert_rejected("10.0.0.0/8x", "prefix length is not a number");
	assert_rejected("10.0.0.0/8/8", "prefix length is not a number");
	assert_rejected("10.0.0.0/0008", "prefix length is not a number");
	assert_rejected("10.0.0/8", "not an IPv4 or IPv6 network");
	assert_rejected("/8", "not an IPv4 or IPv6 network");
	assert_rejected("example.com/8", "not an IPv4 or IPv6 network");
	assert_rejected("10.0.0.0 /8", "not an IPv4 or IPv6 network");
	assert_rejected("2001:db8::g/32", "not an IPv4 or IPv6 network");
	assert_rejected("\x01\xff/8", "\\x01\\xff/8: not an IPv4 or IPv6 network");
	char longtext[300];
	memset(longtext, '1', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	assert_rejected(longtext, "too long");
}

struct reader_arg {
	const fcr_cidrs *l;
	unsigned hits;
};

static void *reader(void *p)
{
	struct reader_arg *r = p;
	fcr_addr in, out;

	fcr_addr_parse("10.20.30.40", &in);
	fcr_addr_parse("2001:db8:1::1", &out);
	for (int i = 0; i < 20000; i++)
		r->hits += fcr_cidrs_match(r->l, &in) + fcr_cidrs_match(r->l, &out);
	return NULL;
}

/* A built list is read-only: many threads may match against it at once. */
Test(concurrency, cidr_match_many_threads)
{
	const char *nets[] = { "192.0.2.0/24", "10.0.0.0/8", "2001:db8:2::/48" };
	fcr_cidrs *l = list_of(nets, 3);
	pthread_t t[8];
	struct reader_arg args[8];

	for (int i = 0; i < 8; i++) {
		args[i] = (struct reader_arg){ l, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, reader, &args[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(args[i].hits, 20000);  /* the IPv4 address matches, the IPv6 one never */
	}
	fcr_cidrs_free(l);
}
