/* Unit tests for lib/generic/generic.c: real-world-shaped PTR names, the static/mail exception, IPv6,
 * hostile input, and administrator pattern files. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "generic.h"

struct gcase {
	const char *name;
	const char *addr;
	bool generic;
};

static bool match(const fcr_generic *g, const char *name, const char *addr)
{
	fcr_addr a;
	cr_assert(fcr_addr_parse(addr, &a), "bad test address %s", addr);
	return fcr_generic_match(g, name, &a);
}

static void run_table(const struct gcase *cases, size_t n)
{
	char err[256] = "";
	fcr_generic *g = fcr_generic_new(NULL, NULL, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(match(g, cases[i].name, cases[i].addr), cases[i].generic,
		             "%s for %s: expected %s", cases[i].name, cases[i].addr,
		             cases[i].generic ? "generic" : "not generic");
	fcr_generic_free(g);
}

#define RUN(t) run_table((t), sizeof(t) / sizeof((t)[0]))

Test(generic, ipv4_embedded_address)
{
	static const struct gcase t[] = {
		{ "203-0-113-42.example.net.", "203.0.113.42", true },
		{ "42.113.0.203.example.net", "203.0.113.42", true },
		{ "42-113-0-203.example.net", "203.0.113.42", true },
		{ "ip203x0x113x42.example.net", "203.0.113.42", true },
		{ "host-203-000-113-042.example.net", "203.0.113.42", true },
		{ "203000113042.example.net", "203.0.113.42", true },
		{ "042113000203.example.net", "203.0.113.42", true },
		{ "xcb00712a.example.net", "203.0.113.42", true },
		{ "CB00712A.Example.NET.", "203.0.113.42", true },
		{ "h2a7100cb.example.net", "203.0.113.42", true },
		{ "203-0-113-42.example", "203.0.113.42", true },
		{ "c-73-1-2-3.hsd1.ca.comcast.net", "73.1.2.3", true },
		{ "host86-1-2-3.range86-1.btcentralplus.com", "86.1.2.3", true },
		{ "p5b0a1c2d.dip0.t-ipconnect.de", "91.10.28.45", true },
		{ "cpe-203-0-113-42.socal.res.rr.com", "203.0.113.42", true },
		{ "adsl-203-0-113-42.example.co.uk", "203.0.113.42", true },
		{ "ppp-42-113-0-203.example.ne.jp", "203.0.113.42", true },
		{ "1-2-3-4.example", "1.2.3.4", true },
		/* IPv4-mapped IPv6 is checked as IPv4. */
		{ "203-0-113-42.example.net", "::ffff:203.0.113.42", true },
	};
	RUN(t);
}

Test(generic, ipv4_other_address_or_partial_runs)
{
	static const struct gcase t[] = {
		{ "1-2-3-4.example", "203.0.113.42", false },
		{ "11-2-3-45.example.net", "1.2.3.4", false },
		{ "a1-2-3-45.example.net", "1.2.3.4", false },
		{ "2030-0-113-42.example.net", "203.0.113.42", false },
		{ "203-0-113-420.example.net", "203.0.113.42", false },
		{ "203-0-113.example.net", "203.0.113.42", false },
		{ "0203000113042.example.net", "203.0.113.42", false },
		{ "cb00712a0.example.net", "203.0.113.42", false },
		{ "cb00712b.example.net", "203.0.113.42", false },
		{ "server-203-0-113-41.example.net", "203.0.113.42", false },
		{ "host1.example.com", "203.0.113.42", false },
		{ "server1.example.com", "203.0.113.42", false },
	};
	RUN(t);
}

Test(generic, pool_words)
{
	static const struct gcase t[] = {
		{ "pool-198-51-100-8.nycmny.fios.verizon.net", "198.51.100.7", true },
		{ "dsl-1-2-3-4.customer.example", "198.51.100.7", true },
		{ "dhcp-45.example.edu", "198.51.100.7", true },
		{ "dyn-77-12.example.net", "198.51.100.7", true },
		{ "12.34.dynamic.example.net", "198.51.100.7", true },
		{ "ppp1234.example.de", "198.51.100.7", true },
		{ "cable-45-12.example.co.uk", "198.51.100.7", true },
		{ "dialup7.example.net", "198.51.100.7", true },
		{ "x17.cpe.example.net", "198.51.100.7", true },
		{ "broadband-3.Example.Net", "198.51.100.7", true },
		{ "www1.dsl.example.com", "198.51.100.7", true },
	};
	RUN(t);
}

Test(generic, pool_words_count_in_the_host_part_only)
{
	static const struct gcase t[] = {
		/* the pool word is the registered domain, not the host */
		{ "www1.cable.example", "198.51.100.7", false },
		{ "web3.dsl.example", "198.51.100.7", false },
		{ "www1.dsl.co.uk", "198.51.100.7", false },
		{ "ns1.pool.ne.jp", "198.51.100.7", false },
		/* a pool word in the host part is enough (SPEC: "carries dynamic-pool words") */
		{ "pool.ntp.org", "198.51.100.7", true },
		{ "www.dsl.example.com", "198.51.100.7", true },
		{ "client.example.com", "198.51.100.7", true },
		{ "dynamic-host.dyn.example.net", "198.51.100.7", true },
		/* ...unless a label says mail; "static" is no server word (issue 10) */
		{ "mail.dsl.example.com", "198.51.100.7", false },
		{ "static.cable.example.net", "198.51.100.7", true },
		{ "cable.example", "198.51.100.7", false },
		/* a pool word counts as a label of its own or in a label with digits, as generated
		 * names have it: "customer-portal" is a name chosen for a host */
		{ "customer-portal.example.com", "198.51.100.7", false },
		{ "mobile-api.example.com", "198.51.100.7", false },
		{ "wifi-login.example.net", "198.51.100.7", false },
		{ "customer-static-190-12-34.example.net", "198.51.100.7", true },
		{ "cust-12.example.net", "198.51.100.7", true },
		/* pool words are whole tokens */
		{ "dynamo7.example.net", "198.51.100.7", false },
		{ "poolside1.example.net", "198.51.100.7", false },
		{ "hosting12.example.net", "198.51.100.7", false },
		{ "host42.example.net", "198.51.100.7", false },
	};
	RUN(t);
}

/* SPEC: server words outweigh pool words, not the address, which says the name was generated for
 * it; "static" outweighs nothing (issue 10). */
Test(generic, server_words_outweigh_pool_words_not_the_address)
{
	static const struct gcase t[] = {
		{ "mail.example.com", "1.2.3.4", false },
		{ "mx1.example.net", "1.2.3.4", false },
		{ "mx-dyn-1.example.net", "203.0.113.42", false },
		{ "relay7.dsl.example.net", "203.0.113.42", false },
		{ "static-1-2-3-4.isp.net", "1.2.3.4", true },
		{ "smtp-203-0-113-42.example", "203.0.113.42", true },
		{ "mailout-203-0-113-42.example.net", "203.0.113.42", true },
		{ "203-0-113-42.static.example.net", "203.0.113.42", true },
		{ "mta-cb00712a.example.net", "203.0.113.42", true },
		{ "static.42.113.0.203.clients.example.de", "203.0.113.42", true },
		/* whole tokens only: "gmail" is not "mail", "mxs" is not "mx" */
		{ "gmail-203-0-113-42.example.net", "203.0.113.42", true },
		{ "mxs-dsl-7.example.net", "203.0.113.42", true },
		/* a mail word in the registered domain does not exempt the hosts in it */
		{ "dsl-1-2-3-4.mail.example", "198.51.100.7", true },
		{ "203-0-113-42.smtp.example", "203.0.113.42", true },
		/* part of the address (an ESP's outbound names) with a server word: not generic */
		{ "mail-203-0-113.example.net", "203.0.113.42", false },
		{ "a113-42.smtp-out.example.com", "203.0.113.42", false },
		{ "mail113-42.example.net", "203.0.113.42", false },
	};
	RUN(t);
}

Test(generic, ipv6)
{
	static const char *const a = "2001:db8:1:2:a00:27ff:fe4e:1234";
	static const struct gcase t[] = {
		{ "20010db8000100020a0027fffe4e1234.example.net", a, true },
		{ "4.3.2.1.e.4.e.f.f.f.7.2.0.0.a.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.example.net", a,
		  true },
		{ "2001-0db8-0001-0002-0a00-27ff-fe4e-1234.example.net", a, true },
		{ "2001-db8-1-2-a00-27ff-fe4e-1234.example.net", a, true },
		{ "1234-fe4e-27ff-a00-2-1-db8-2001.example.net", a, true },
		{ "host-0a0027fffe4e1234.example.net", a, true },
		{ "a00-27ff-fe4e-1234.v6.example.net", a, true },
		{ "2001-db8--1.example.net", "2001:db8::1", true },
		{ "2001-db8-0-0-0-0-0-1.example.net", "2001:db8::1", true },
		{ "ip6-2001-db8--1.example.net", "2001:db8::1", true },
		{ "dyn6-12.example.net", "2001:db8::1", true },
		{ "static-2001-db8--1.example.net", "2001:db8::1", true },
		/* other addresses, partial matches, a server word, IPv4 forms */
		{ "20010db8000100020a0027fffe4e1235.example.net", a, false },
		{ "a00-27ff-fe4e-1235.example.net", a, false },
		{ "2001-db8--2.example.net", "2001:db8::1", false },
		{ "2001-db8--10.example.net", "2001:db8::1", false },
		{ "2001-db8--1a.example.net", "2001:db8::1", false },
		{ "12001-db8--1.example.net", "2001:db8::1", false },
		{ "a2001-db8--1.example.net", "2001:db8::1", false },
		{ "mail6.example.net", "2001:db8::1", false },
		{ "203-0-113-42.example.net", "2001:db8::cb00:712a", false },
		{ "host-0000000000000000.example.net", "2001:db8::", false },
	};
	RUN(t);
}

Test(generic, hostile_names)
{
	char err[256] = "";
	fcr_generic *g = fcr_generic_new(NULL, NULL, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	fcr_addr a;
	cr_assert(fcr_addr_parse("203.0.113.42", &a));

	cr_expect(!fcr_generic_match(g, "", &a));
	cr_expect(!fcr_generic_match(g, ".", &a));
	cr_expect(!fcr_generic_match(g, "..", &a));
	cr_expect(!fcr_generic_match(g, NULL, &a));
	cr_expect(!fcr_generic_match(NULL, "dsl-1.example.net", &a));
	/* without an address only the words can tell */
	cr_expect(fcr_generic_match(g, "dsl-1.example.net", NULL));
	cr_expect(!fcr_generic_match(g, "203-0-113-42.example.net", NULL));

	/* escaped octets are never read as digits or label dots */
	cr_expect(!fcr_generic_match(g, "\\203\\000\\113\\042.example.net.", &a));
	cr_expect(!fcr_generic_match(g, "x\\000\\000\\000\\000.example.net.", &a));
	cr_expect(fcr_generic_match(g, "203\\0000\\000113\\00042.example.net.", &a));
	/* an escaped dot joins, it does not split: the host part is "www1" alone */
	cr_expect(!fcr_generic_match(g, "www1.dsl\\.example.com", &a));
	cr_expect(!fcr_generic_match(g, "\\\\\\", &a));
	cr_expect(!fcr_generic_match(g, "\\", &a));
	cr_expect(!fcr_generic_match(g, "a\\1", &a));
	cr_expect(!fcr_generic_match(g, "\xff\xfe\x80.\x01\x7f.example", &a));
	fcr_generic_free(g);
}

/* Names at and beyond the length limits: never generic, never a crash. */
Test(generic, overlong_names)
{
	char err[256] = "";
	fcr_generic *g = fcr_generic_new(NULL, NULL, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	fcr_addr a;
	cr_assert(fcr_addr_parse("203.0.113.42", &a));
	char digits[256];
	memset(digits, '1', 255);
	digits[255] = '\0';
	cr_expect(!fcr_generic_match(g, digits, &a));
	char dotted[300];
	snprintf(dotted, sizeof(dotted), "%s.example.net.", digits);
	cr_expect(!fcr_generic_match(g, dotted, &a));

	/* the longest escaped name (255 octets as \DDD) and anything longer */
	char big[4 * 255 + 1];
	for (size_t i = 0; i < 255; i++)
		memcpy(big + 4 * i, "\\255", 4);
	big[4 * 255] = '\0';
	cr_expect(!fcr_generic_match(g, big, &a));
	char huge[5000];
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	memcpy(huge, "dsl-1.", 6);
	cr_expect(!fcr_generic_match(g, huge, &a));
	/* many tiny labels */
	char labels[1001];
	for (size_t i = 0; i < 1000; i += 2)
		memcpy(labels + i, "1.", 2);
	labels[1000] = '\0';
	cr_expect(!fcr_generic_match(g, labels, &a));
	fcr_generic_free(g);
}

static char *write_file(const char *text)
{
	char *path = strdup("/tmp/fcr-generic-XXXXXX");
	cr_assert_not_null(path);
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	size_t n = strlen(text);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

Test(generic, pattern_file_good)
{
	char *path = write_file("# site patterns\n"
	                        "\n"
	                        "   # indented comment\n"
	                        "^mail[0-9]+\\.badisp\\.example$\n"
	                        "  \\.customers\\.example$  \r\n"
	                        "^[a-z]+-[0-9]+\\.pool\\.example$\n");
	char err[256] = "";
	fcr_generic *g = fcr_generic_new(path, NULL, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	/* an explicit pattern beats the mail exception */
	cr_expect(match(g, "mail7.badisp.example", "198.51.100.7"));
	cr_expect(match(g, "MAIL7.BadISP.Example.", "198.51.100.7"));
	cr_expect(match(g, "www.customers.example", "198.51.100.7"));
	cr_expect(match(g, "smtp-12.pool.example", "198.51.100.7"));
	cr_expect(!match(g, "mail7.goodisp.example", "198.51.100.7"));
	cr_expect(!match(g, "mail7.badisp.example.org", "198.51.100.7"));
	cr_expect(!match(g, "www.shop.example.org", "198.51.100.7"));
	/* built-in rules still apply */
	cr_expect(match(g, "dsl-5.example.net", "198.51.100.7"));
	fcr_generic_free(g);
	unlink(path);
	free(path);
}

Test(generic, pattern_file_bad_regex)
{
	char *path = write_file("# ok\n^ok\\.example$\nfoo(\n[z-a]\n");
	char err[256] = "";
	cr_assert_null(fcr_generic_new(path, NULL, err, sizeof(err)));
	char want[128];
	snprintf(want, sizeof(want), "%s:3: ", path);
	cr_expect(strncmp(err, want, strlen(want)) == 0, "err: %s", err);
	cr_expect(strlen(err) > strlen(want), "no reason in: %s", err);
	unlink(path);
	free(path);

	/* "a{1" was an error for POSIX regcomp; PCRE2 reads it as literal text, as Perl does */
	path = write_file("a{1\nx{2,1}\n");
	cr_assert_null(fcr_generic_new(path, NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2: ", path);
	cr_expect(strncmp(err, want, strlen(want)) == 0, "err: %s", err);
	unlink(path);
	free(path);

	/* a tiny error buffer is still terminated */
	path = write_file("(\n");
	char small[8];
	memset(small, 'x', sizeof(small));
	cr_assert_null(fcr_generic_new(path, NULL, small, sizeof(small)));
	cr_expect(memchr(small, '\0', sizeof(small)) != NULL);
	unlink(path);
	free(path);
}

Test(generic, pattern_file_missing_or_empty)
{
	char err[256] = "";
	cr_assert_null(fcr_generic_new("/nonexistent/fcr-patterns", NULL, err, sizeof(err)));
	cr_expect(strncmp(err, "/nonexistent/fcr-patterns: ", 27) == 0, "err: %s", err);

	char *path = write_file("");
	fcr_generic *g = fcr_generic_new(path, NULL, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	cr_expect(!match(g, "mail.example.com", "198.51.100.7"));
	fcr_generic_free(g);
	fcr_generic_free(NULL);
	unlink(path);
	free(path);
}

/* The patterns of the issue: (|)(\1\1)* overflowed glibc's regexec stack on every name, and
 * (.*)\1(.*)\2(.*)\3(.*)\4(.*)\5x took tens of seconds on a 255-octet name of 'a' labels. Now the
 * first matches every name at once and the second stops at the match limit: no match, and the
 * built-in rules decide. The timeout turns a regression into a failure, not a stalled suite. */
Test(generic, hostile_patterns_are_bounded, .timeout = 20)
{
	char name[256];
	size_t n = 0;
	for (int label = 0; label < 4; label++) {
		size_t len = label < 3 ? 63 : 48;
		memset(name + n, 'a', len);
		n += len;
		name[n++] = '.';
	}
	memcpy(name + n, "test.example.", 14);
	char err[256] = "";
	char *path = write_file("(.*)\\1(.*)\\2(.*)\\3(.*)\\4(.*)\\5x\n");
	fcr_generic *g = fcr_generic_new(path, NULL, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	fcr_addr a;
	fcr_addr_parse("192.0.2.1", &a);
	bool limited = false;
	cr_expect_not(fcr_generic_judge(g, name, &a, &limited));
	cr_expect(limited);
	cr_expect(fcr_generic_judge(g, "dsl-1.isp.net", &a, &limited), "built-in rules still apply");
	cr_expect_not(limited);
	cr_expect_eq(fcr_generic_limit_hits(g), 1);
	fcr_generic_free(g);
	unlink(path);
	free(path);

	path = write_file("(|)(\\1\\1)*\n");
	g = fcr_generic_new(path, NULL, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	cr_expect(fcr_generic_judge(g, name, &a, &limited));
	cr_expect_not(limited);
	cr_expect(fcr_generic_match(g, "mail.example.com", &a));
	cr_expect_eq(fcr_generic_limit_hits(g), 0);
	fcr_generic_free(g);
	unlink(path);
	free(path);
}

struct worker {
	const fcr_generic *g;
	int bad;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	fcr_addr a, b;
	fcr_addr_parse("203.0.113.42", &a);
	fcr_addr_parse("2001:db8::1", &b);
	for (int i = 0; i < 2000; i++) {
		w->bad += !fcr_generic_match(w->g, "203-0-113-42.example.net", &a);
		w->bad += !fcr_generic_match(w->g, "mail7.badisp.example", &a);
		w->bad += fcr_generic_match(w->g, "mail.example.com", &a);
		w->bad += !fcr_generic_match(w->g, "2001-db8--1.example.net", &b);
	}
	return NULL;
}

Test(concurrency, generic_match_shared_matcher)
{
	char *path = write_file("^mail[0-9]+\\.badisp\\.example$\n");
	char err[256] = "";
	fcr_generic *g = fcr_generic_new(path, NULL, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	pthread_t t[8];
	struct worker w[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ g, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(w[i].bad, 0);
	}
	fcr_generic_free(g);
	unlink(path);
	free(path);
}

/* A generic-name set from rule texts (NULL: no such file); the files are gone afterwards. */
static fcr_generic *from_texts(const char *patterns, const char *names)
{
	char *pp = patterns ? write_file(patterns) : NULL;
	char *np = names ? write_file(names) : NULL;
	char err[256] = "";
	fcr_generic *g = fcr_generic_new(pp, np, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	if (pp)
		unlink(pp);
	if (np)
		unlink(np);
	free(pp);
	free(np);
	return g;
}

/* A reload keeps the cache only while the rules that decided its entries stay the same. */
Test(generic, same_rules_follow_the_rules_not_the_comments)
{
	const char *ab = "^a\\.example$\n^b\\.example$\n";
	fcr_generic *base = from_texts(ab, "generic ^x\\.example$\n");
	struct { const char *patterns, *names; bool same; const char *what; } cases[] = {
		{ ab, "generic ^x\\.example$\n", true, "the same files" },
		{ "# site\n\n  ^a\\.example$  \n^b\\.example$\n", "# names\ngeneric   ^x\\.example$\n", true,
		  "comments, blank lines and blanks added" },
		{ "^b\\.example$\n^a\\.example$\n", "generic ^x\\.example$\n", false, "patterns reordered" },
		{ "^a\\.example$\n", "generic ^x\\.example$\n", false, "a pattern removed" },
		{ "^a\\.example$\n^b\\.exampl$\n", "generic ^x\\.example$\n", false, "a pattern changed" },
		{ ab, "sender ^x\\.example$\n", false, "a rule's kind changed" },
		{ ab, NULL, false, "no GenericNames file" },
		{ NULL, "generic ^x\\.example$\n", false, "no GenericPatterns file" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fcr_generic *g = from_texts(cases[i].patterns, cases[i].names);
		cr_expect_eq(fcr_generic_same_rules(base, g), cases[i].same, "%s", cases[i].what);
		cr_expect_eq(fcr_generic_same_rules(g, base), cases[i].same, "%s (reversed)", cases[i].what);
		fcr_generic_free(g);
	}
	fcr_generic *none = from_texts(NULL, NULL);
	fcr_generic *empty = from_texts("# nothing yet\n", NULL);
	cr_expect(fcr_generic_same_rules(none, empty), "no file and a file without a rule match alike");
	fcr_generic_free(none);
	fcr_generic_free(empty);
	fcr_generic_free(base);
}
