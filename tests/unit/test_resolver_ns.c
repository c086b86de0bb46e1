/* Unit tests of nameserver text ("IP[:port]", "[IPv6]:port") and resolv.conf loading. */
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

