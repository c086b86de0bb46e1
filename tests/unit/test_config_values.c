/* Unit tests for lib/config: every keyword's good values, range edges, scores and actions, replies,
 * lists and file: items. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "config/internal.h"
#include "config_fixture.h"

Test(config, names)
{
	cr_assert_str_eq(fcr_action_name(FCR_ACCEPT), "accept");
	cr_assert_str_eq(fcr_action_name(FCR_TEMPFAIL), "tempfail");
	cr_assert_str_eq(fcr_action_name(FCR_REJECT), "reject");
	cr_assert_str_eq(fcr_stage_name(FCR_AT_CONNECT), "connect");
	cr_assert_str_eq(fcr_stage_name(FCR_AT_HELO), "helo");
	cr_assert_str_eq(fcr_stage_name(FCR_AT_MAIL), "mail");
	cr_assert_str_eq(fcr_stage_name(FCR_AT_RCPT), "rcpt");
}

Test(config, sockets)
{
	static const char *const cases[][2] = {
		{ "unix:/var/run/f.sock", "unix:/var/run/f.sock" },
		{ "UNIX:/var/run/f.sock", "unix:/var/run/f.sock" },
		{ "local:/var/run/f.sock", "local:/var/run/f.sock" },
		{ "/var/spool/postfix/f.sock", "unix:/var/spool/postfix/f.sock" },
		{ "inet:8891@127.0.0.1", "inet:8891@127.0.0.1" },
		{ "inet:8891@localhost", "inet:8891@localhost" },
		{ "inet:8891@mx1.example.org.", "inet:8891@mx1.example.org." },
		{ "inet:8891@mx1", "inet:8891@mx1" },
		{ "inet:1", "inet:1" },
		{ "inet:65535@[127.0.0.1]", "inet:65535@[127.0.0.1]" },
		{ "inet6:8891@::1", "inet6:8891@::1" },
		{ "Inet6:8891@[::1]", "inet6:8891@[::1]" },
		{ "inet6:8891", "inet6:8891" },
	};
	char text[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "Socket %s\n", cases[i][0]);
		struct fcr_config *c = load_ok(text);
		cr_assert_str_eq(c->socket, cases[i][1]);
		fcr_config_free(c);
	}
}

Test(config, unix_socket_path_length)
{
	char text[300], path[200], err[ERRLEN];

	/* sun_path holds 108 bytes with the NUL: 107 bytes of path is the most */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[107] = '\0';
	snprintf(text, sizeof(text), "Socket unix:%s\n", path);
	struct fcr_config *c = load_ok(text);
	cr_assert_eq(strlen(c->socket), 5 + 107);
	fcr_config_free(c);
	path[107] = 'a';
	path[108] = '\0';
	snprintf(text, sizeof(text), "Socket local:%s\n", path);
	cr_assert_null(load_text(text, NULL, 0, err));
	cr_assert(strstr(err, "has a path longer than 107 bytes"), "%s", err);
}

static const char GENERAL[] = "UserID milter:mail\n"
                              "UMask 0027\n"
                              "PidFile /run/fcrdns-milter/fcrdns-milter.pid\n"
                              "Syslog no\n"
                              "SyslogFacility local5\n"
                              "DNSTimeout 0.05\n"
                              "DNSRetries 0\n"
                              "CheckTimeout 1.25\n"
                              "MaxPTRNames 100\n"
                              "CacheSize 0\n"
                              "CacheMaxTTL 0\n"
                              "NegativeCacheMaxTTL 604800\n"
                              "ErrorCacheTTL 300\n"
                              "AuthservID mx1.example.org\n"
                              "AddHeaders false\n"
                              "ResultHeader X-Iprev\n"
                              "ScoreHeader X-Iprev-Score\n"
                              "StatsFile stats.prom\n"
                              "StatsInterval 86400\n"
                              "DryRun TRUE\n"
                              "ExemptAuthenticated 0\n";

Test(config, general_values)
{
	struct fcr_config *c = load_ok(GENERAL);

	cr_assert_str_eq(c->user, "milter:mail");
	cr_assert_eq(c->umask, 027);
	cr_assert_str_eq(c->pidfile, "/run/fcrdns-milter/fcrdns-milter.pid");
	cr_assert_not(c->syslog);
	cr_assert_eq(c->syslog_facility, LOG_LOCAL5);
	cr_assert_eq(c->dns_timeout_ms, 50);
	cr_assert_eq(c->dns_retries, 0);
	cr_assert_eq(c->check_timeout_ms, 1250);
	cr_assert_eq(c->max_ptr_names, 100);
	cr_assert_eq(c->cache_size, 0);
	cr_assert_eq(c->cache_max_ttl, 0);
	cr_assert_eq(c->neg_cache_max_ttl, 604800);
	cr_assert_eq(c->error_cache_ttl, 300);
	cr_assert_str_eq(c->authserv_id, "mx1.example.org");
	cr_assert_not(c->add_headers);
	cr_assert_str_eq(c->result_header, "X-Iprev");
	cr_assert_str_eq(c->score_header, "X-Iprev-Score");
	cr_assert_str_eq(c->stats_file, "stats.prom");
	cr_assert_eq(c->stats_interval, 86400);
	cr_assert(c->dry_run);
	cr_assert_not(c->exempt_authenticated);
	fcr_config_free(c);
}

Test(config, range_edges)
{
	struct fcr_config *c = load_ok("DNSTimeout 60\nCheckTimeout 0.1\nDNSRetries 10\nMaxPTRNames 1\n"
	                               "CacheSize 100000000\nCacheMaxTTL 604800\nErrorCacheTTL 1\n"
	                               "StatsInterval 1\nUMask 777\n");

	cr_assert_eq(c->dns_timeout_ms, 60000);
	cr_assert_eq(c->check_timeout_ms, 100);
	cr_assert_eq(c->dns_retries, 10);
	cr_assert_eq(c->max_ptr_names, 1);
	cr_assert_eq(c->cache_size, 100000000);
	cr_assert_eq(c->cache_max_ttl, 604800);
	cr_assert_eq(c->error_cache_ttl, 1);
	cr_assert_eq(c->stats_interval, 1);
	cr_assert_eq(c->umask, 0777);
	fcr_config_free(c);
	c = load_ok("CheckTimeout 120\nDNSTimeout 2.5\nUMask 0\n");
	cr_assert_eq(c->check_timeout_ms, 120000);
	cr_assert_eq(c->dns_timeout_ms, 2500);
	cr_assert_eq(c->umask, 0);
	fcr_config_free(c);
}

Test(config, facilities)
{
	static const struct { const char *name; int value; } t[] = {
		{ "mail", LOG_MAIL },     { "DAEMON", LOG_DAEMON }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "Local6", LOG_LOCAL6 },
		{ "local7", LOG_LOCAL7 },
	};
	char text[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text), "SyslogFacility %s\n", t[i].name);
		struct fcr_config *c = load_ok(text);
		cr_assert_eq(c->syslog_facility, t[i].value, "%s", t[i].name);
		fcr_config_free(c);
	}
}

Test(config, scores_and_actions)
{
	struct fcr_config *c = load_ok("ScorePass -1.5\nScoreFail 1000\nScorePermError -1000\n"
	                               "ScoreTempError 0.25\nScoreGeneric +2\n"
	                               "OnPass accept\nOnFail REJECT\nOnPermError tempfail\n"
	                               "OnTempError Tempfail\nOnGeneric reject\nRejectAt rcpt\n");

	cr_assert_float_eq(c->score[FCR_PASS], -1.5, 1e-12);
	cr_assert_float_eq(c->score[FCR_FAIL], 1000.0, 1e-12);
	cr_assert_float_eq(c->score[FCR_PERMERROR], -1000.0, 1e-12);
	cr_assert_float_eq(c->score[FCR_TEMPERROR], 0.25, 1e-12);
	cr_assert_float_eq(c->score_generic, 2.0, 1e-12);
	cr_assert_eq(c->on[FCR_PASS], FCR_ACCEPT);
	cr_assert_eq(c->on[FCR_FAIL], FCR_REJECT);
	cr_assert_eq(c->on[FCR_PERMERROR], FCR_TEMPFAIL);
	cr_assert_eq(c->on[FCR_TEMPERROR], FCR_TEMPFAIL);
	cr_assert_eq(c->on_generic, FCR_REJECT);
	cr_assert_eq(c->reject_at, FCR_AT_RCPT);
	fcr_config_free(c);

	static const char *const stages[] = { "connect", "HELO", "mail", "rcpt" };
	for (int s = 0; s < 4; s++) {
		char text[64];
		snprintf(text, sizeof(text), "RejectAt %s\n", stages[s]);
		c = load_ok(text);
		cr_assert_eq(c->reject_at, (enum fcr_stage)s);
		fcr_config_free(c);
	}
}

Test(config, replies)
{
	struct fcr_config *c = load_ok("RejectReply 554 5.7.1 Go away %a (%n), 100%% sure\n"
	                               "TempfailReply   421\t4.4.3   Try later\n");

	cr_assert_str_eq(c->reject_reply.code, "554");
	cr_assert_str_eq(c->reject_reply.xcode, "5.7.1");
	cr_assert_str_eq(c->reject_reply.text, "Go away %a (%n), 100%% sure");
	cr_assert_str_eq(c->tempfail_reply.code, "421");
	cr_assert_str_eq(c->tempfail_reply.xcode, "4.4.3");
	cr_assert_str_eq(c->tempfail_reply.text, "Try later");
	fcr_config_free(c);
	c = load_ok("RejectReply 550 5.999.999 x\n");
	cr_assert_str_eq(c->reject_reply.xcode, "5.999.999");
	fcr_config_free(c);
	/* the longest that fit in 512 bytes: 13 + 11 * 45, and 11 + 15 * 32 */
	c = load_ok("RejectReply 550 5.7.25 %a%a%a%a%a%a%a%a%a%a%a\n"
	            "TempfailReply 451 4.7.1 %n%n%n%n%n%n%n%n%n%n%n%n%n%n%n\n");
	fcr_config_free(c);
}

Test(config, nameservers)
{
	char buf[64];
	struct fcr_config *c = load_ok("Nameservers 127.0.0.1, [::1]:5353 127.0.0.2:5354,::1\n");

	cr_assert_eq(c->nns, 4);
	cr_assert_str_eq(fcr_ns_format(&c->ns[0], buf, sizeof(buf)), "127.0.0.1:53");
	cr_assert_str_eq(fcr_ns_format(&c->ns[1], buf, sizeof(buf)), "[::1]:5353");
	cr_assert_str_eq(fcr_ns_format(&c->ns[2], buf, sizeof(buf)), "127.0.0.2:5354");
	cr_assert_str_eq(fcr_ns_format(&c->ns[3], buf, sizeof(buf)), "[::1]:53");
	fcr_config_free(c);

	c = load_ok("Nameservers 127.0.0.1\nNameservers none\n");
	cr_assert_eq(c->nns, 0);
	fcr_config_free(c);
	c = load_ok("Nameservers 127.0.0.1\nNameservers\n");
	cr_assert_eq(c->nns, 0);
	fcr_config_free(c);
	c = load_ok("Nameservers 127.0.0.1 127.0.0.2\nNameservers 127.0.0.3\n");  /* replaces */
	cr_assert_eq(c->nns, 1);
	cr_assert_str_eq(fcr_ns_format(&c->ns[0], buf, sizeof(buf)), "127.0.0.3:53");
	fcr_config_free(c);
	c = load_ok("Nameservers 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 "
	            "127.0.0.7 127.0.0.8\n");
	cr_assert_eq(c->nns, FCR_MAX_NS);
	fcr_config_free(c);
}

Test(config, exempt_hosts)
{
	fcr_addr a;
	struct fcr_config *c = load_ok("ExemptHosts 192.0.2.0/24,2001:db8::/32 , 10.1.2.3\n");

	cr_assert_eq(fcr_cidrs_count(c->exempt_hosts), 3);
	fcr_addr_parse("192.0.2.200", &a);
	cr_assert(fcr_cidrs_match(c->exempt_hosts, &a));
	fcr_addr_parse("127.0.0.1", &a);  /* the default list was replaced */
	cr_assert_not(fcr_cidrs_match(c->exempt_hosts, &a));
	fcr_config_free(c);

	c = load_ok("ExemptHosts none\n");
	cr_assert_not_null(c->exempt_hosts);
	cr_assert_eq(fcr_cidrs_count(c->exempt_hosts), 0);
	fcr_config_free(c);
	c = load_ok("ExemptHosts NONE\n");
	cr_assert_eq(fcr_cidrs_count(c->exempt_hosts), 0);
	fcr_config_free(c);
	c = load_ok("ExemptHosts\n");
	cr_assert_eq(fcr_cidrs_count(c->exempt_hosts), 0);
	fcr_config_free(c);
	c = load_ok("ExemptHosts 10.0.0.0/8\nExemptHosts 192.0.2.0/24\n");
	cr_assert_eq(fcr_cidrs_count(c->exempt_hosts), 1);
	fcr_config_free(c);
}

Test(config, file_items)
{
	char text[512], err[ERRLEN], expect[512];
	char *list = temp_text("# exempt networks\n192.0.2.0/24   # office\n\n  2001:db8::/32\r\n");
	char *ns = temp_text("127.0.0.1:5353\n[::1]:5353\n");

	snprintf(text, sizeof(text), "ExemptHosts 10.0.0.0/8, file:%s 172.16.0.0/12\nNameservers file:%s\n",
	         list, ns);
	struct fcr_config *c = load_ok(text);
	cr_assert_eq(fcr_cidrs_count(c->exempt_hosts), 4);
	cr_assert_eq(c->nns, 2);
	cr_assert_eq(c->ns[0].port, 5353);
	fcr_config_free(c);
	drop(list);
	drop(ns);

	list = temp_text("192.0.2.0/24\n\n10.0.0.1/8\n");
	snprintf(text, sizeof(text), "\nExemptHosts file:%s\n", list);
	cr_assert_null(load_text(text, NULL, 0, err));
	snprintf(expect, sizeof(expect), "%s:3: ExemptHosts: 10.0.0.1/8: host bits set", list);
	cr_assert_str_eq(err, expect);
	drop(list);

	list = temp_text("file:/etc/hosts\n");
	snprintf(text, sizeof(text), "ExemptHosts file:%s\n", list);
	cr_assert_null(load_text(text, NULL, 0, err));
	snprintf(expect, sizeof(expect), "%s:1: ExemptHosts: file: items do not nest", list);
	cr_assert_str_eq(err, expect);
	drop(list);

	list = temp_file("10.0.0.0/8\n\xff\n", 13);
	snprintf(text, sizeof(text), "ExemptHosts file:%s\n", list);
	cr_assert_null(load_text(text, NULL, 0, err));
	snprintf(expect, sizeof(expect), "%s:2: invalid UTF-8", list);
	cr_assert(strncmp(err, expect, strlen(expect)) == 0, "%s", err);
	drop(list);

	cr_assert_null(load_text("\n\nExemptHosts file:/nonexistent/list\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:3: ExemptHosts: file:/nonexistent/list: No such file or directory");
	cr_assert_null(load_text("Nameservers 127.0.0.1 file:\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:1: Nameservers: file: needs a path");
}
