/* Addresses: parsing, normalisation, printing, reverse names, prefixes. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"

Test(addr, parses_ipv4_and_ipv6)
{
	fcr_addr a;
	cr_assert(fcr_addr_parse("192.0.2.1", &a));
	cr_assert_eq(a.family, AF_INET);
	cr_assert_eq(a.bytes[0], 192);
	cr_assert_eq(a.bytes[3], 1);
	cr_assert(fcr_addr_parse("2001:db8::1", &a));
	cr_assert_eq(a.family, AF_INET6);
	cr_assert_eq(a.bytes[0], 0x20);
	cr_assert_eq(a.bytes[15], 1);
	cr_assert(fcr_addr_parse("[2001:db8::1]", &a));
	cr_assert_eq(a.family, AF_INET6);
}

Test(addr, rejects_garbage)
{
	fcr_addr a;
	const char *bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "::g", "[1.2.3.4]", "[::1",
	                      "1.2.3.4 ", "localhost", "2001:db8::1/64",
	                      "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(fcr_addr_parse(bad[i], &a), "accepted '%s'", bad[i]);
	cr_assert_not(fcr_addr_parse(NULL, &a));
}

Test(addr, ipv4_mapped_becomes_ipv4)
{
	fcr_addr a, b;
	char buf[FCR_ADDR_STRLEN];
	cr_assert(fcr_addr_parse("::ffff:192.0.2.7", &a));
	cr_assert_eq(a.family, AF_INET);
	cr_assert_str_eq(fcr_addr_format(&a, buf, sizeof(buf)), "192.0.2.7");
	cr_assert(fcr_addr_parse("192.0.2.7", &b));
	cr_assert(fcr_addr_equal(&a, &b));

	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &sin6.sin6_addr);
	cr_assert(fcr_addr_from_sockaddr((struct sockaddr *)&sin6, &a));
	cr_assert_eq(a.family, AF_INET);
	cr_assert_str_eq(fcr_addr_format(&a, buf, sizeof(buf)), "10.1.2.3");
}

Test(addr, from_sockaddr)
{
	fcr_addr a;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	inet_pton(AF_INET, "198.51.100.9", &sin.sin_addr);
	cr_assert(fcr_addr_from_sockaddr((struct sockaddr *)&sin, &a));
	cr_assert_eq(a.bytes[3], 9);
	struct sockaddr un = { .sa_family = AF_UNIX };
	cr_assert_not(fcr_addr_from_sockaddr(&un, &a));
	cr_assert_not(fcr_addr_from_sockaddr(NULL, &a));
}

Test(addr, formats_canonically)
{
	fcr_addr a;
	char buf[FCR_ADDR_STRLEN];
	cr_assert(fcr_addr_parse("2001:0DB8:0000:0000:0000:0000:0000:0001", &a));
	cr_assert_str_eq(fcr_addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
}

Test(addr, reverse_names)
{
	fcr_addr a;
	char buf[FCR_REVNAME_LEN];
	cr_assert(fcr_addr_parse("203.0.113.42", &a));
	cr_assert_str_eq(fcr_addr_reverse_name(&a, buf, sizeof(buf)), "42.113.0.203.in-addr.arpa.");
	cr_assert(fcr_addr_parse("2001:db8::567:89ab", &a));
	cr_assert_str_eq(fcr_addr_reverse_name(&a, buf, sizeof(buf)),
	                 "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
	cr_assert_eq(strlen(buf), FCR_REVNAME_LEN - 1);
	char small[8];
	fcr_addr_reverse_name(&a, small, sizeof(small));
	cr_assert_eq(strlen(small), 7, "truncated, still terminated");
}

Test(addr, prefixes)
{
	fcr_addr a, net;
	cr_assert(fcr_addr_parse("10.1.2.3", &a));
	cr_assert(fcr_addr_parse("10.0.0.0", &net));
	cr_assert(fcr_addr_in_prefix(&a, &net, 8));
	cr_assert_not(fcr_addr_in_prefix(&a, &net, 16));
	cr_assert(fcr_addr_in_prefix(&a, &net, 0));
	cr_assert(fcr_addr_parse("10.1.2.0", &net));
	cr_assert(fcr_addr_in_prefix(&a, &net, 30));
	cr_assert_not(fcr_addr_in_prefix(&a, &net, 31));
	cr_assert_not(fcr_addr_in_prefix(&a, &net, 33));
	cr_assert(fcr_addr_parse("::1", &net));
	cr_assert_not(fcr_addr_in_prefix(&a, &net, 0), "families differ");
}
