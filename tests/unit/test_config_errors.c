/* Unit tests for lib/config: bad values with file:line and keyword, exact messages, the file's
 * syntax, -o overrides, hostile files (binary, NUL, overlong lines), the example file. */
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

struct bad {
	const char *line;
	const char *msg;  /* the start of the message after "F:3: " */
};

static const struct bad bad_values[] = {
	{ "NoSuchKeyword 1", "unknown keyword 'NoSuchKeyword'" },
	{ "Socket=unix:/x", "unknown keyword 'Socket=unix:/x'" },
	{ "Socket", "Socket: missing value" },
	{ "Socket tcp:25", "Socket: 'tcp:25' is not unix:/path, local:/path, inet:PORT@HOST or inet6:PORT@HOST" },
	{ "Socket relative/path", "Socket: 'relative/path' is not unix:" },
	{ "Socket unix:relative", "Socket: 'unix:relative' needs an absolute path" },
	{ "Socket unix:", "Socket: 'unix:' needs an absolute path" },
	{ "Socket inet:0@127.0.0.1", "Socket: 'inet:0@127.0.0.1' needs a port number 1-65535" },
	{ "Socket inet:65536", "Socket: 'inet:65536' needs a port number 1-65535" },
	{ "Socket inet:smtp@127.0.0.1", "Socket: 'inet:smtp@127.0.0.1' needs a port number" },
	{ "Socket inet:", "Socket: 'inet:' needs a port number" },
	{ "Socket inet:25@", "Socket: 'inet:25@' has a bad host" },
	{ "Socket inet:25@::1", "Socket: 'inet:25@::1' has a bad host: expected an IPv4 address" },
	{ "Socket inet6:25@127.0.0.1", "Socket: 'inet6:25@127.0.0.1' has a bad host: expected an IPv6" },
	{ "Socket inet:25@bad_host", "Socket: 'inet:25@bad_host' has a bad host" },
	{ "Socket inet:25@-x.example", "Socket: 'inet:25@-x.example' has a bad host" },
	{ "Socket inet:25@1.2.3", "Socket: 'inet:25@1.2.3' has a bad host" },
	{ "Socket inet:25@a..b", "Socket: 'inet:25@a..b' has a bad host" },
	{ "UserID ro ot", "UserID: 'ro ot' is not user or user:group" },
	{ "UserID root:", "UserID: 'root:' is not user or user:group" },
	{ "UserID :wheel", "UserID: ':wheel' is not user or user:group" },
	{ "UserID -root", "UserID: '-root' is not user or user:group" },
	{ "UserID a:b:c", "UserID: 'a:b:c' is not user or user:group" },
	{ "UserID r$", "UserID: 'r$' is not user or user:group" },
	{ "UMask 8", "UMask: '8' is not an octal mask 000-777" },
	{ "UMask 1000", "UMask: '1000' is not an octal mask 000-777" },
	{ "UMask 0x7", "UMask: '0x7' is not an octal mask" },
	{ "UMask -7", "UMask: '-7' is not an octal mask" },
	{ "Syslog maybe", "Syslog: expected yes, no, true, false, 1 or 0, not 'maybe'" },
	{ "Syslog", "Syslog: missing value" },
	{ "Syslog yes no", "Syslog: expected yes, no, true, false, 1 or 0, not 'yes no'" },
	{ "SyslogFacility local8", "SyslogFacility: expected mail, daemon, user or local0 to local7, not 'local8'" },
	{ "SyslogFacility kern", "SyslogFacility: expected mail" },
	{ "Nameservers 1.2.3", "Nameservers: bad nameserver" },
	{ "Nameservers 127.0.0.1:0", "Nameservers: bad nameserver" },
	{ "Nameservers ns1.example.com", "Nameservers: bad nameserver" },
	{ "Nameservers 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 127.0.0.8 "
	  "127.0.0.9", "Nameservers: more than 8 nameservers" },
	{ "DNSTimeout abc", "DNSTimeout: 'abc' is not a number of seconds" },
	{ "DNSTimeout", "DNSTimeout: missing value" },
	{ "DNSTimeout 0.04", "DNSTimeout: '0.04' is out of range (0.05-60 seconds)" },
	{ "DNSTimeout 0.049", "DNSTimeout: '0.049' is out of range" },
	{ "DNSTimeout 60.001", "DNSTimeout: '60.001' is out of range (0.05-60 seconds)" },
	{ "DNSTimeout 0", "DNSTimeout: '0' is out of range" },
	{ "DNSTimeout -1", "DNSTimeout: '-1' is not a number of seconds" },
	{ "DNSTimeout 1e3", "DNSTimeout: '1e3' is not a number of seconds" },
	{ "DNSTimeout 0.0505", "DNSTimeout: '0.0505' is not a number of seconds (at most three decimals)" },
	{ "DNSTimeout .5", "DNSTimeout: '.5' is not a number of seconds" },
	{ "DNSTimeout 1.", "DNSTimeout: '1.' is not a number of seconds" },
	{ "DNSTimeout 2s", "DNSTimeout: '2s' is not a number of seconds" },
	{ "DNSTimeout 99999999999999999999", "DNSTimeout: '99999999999999999999' is not a number" },
	{ "DNSRetries 11", "DNSRetries: '11' is out of range (0-10)" },
	{ "DNSRetries -1", "DNSRetries: '-1' is not a whole number" },
	{ "DNSRetries 1.5", "DNSRetries: '1.5' is not a whole number" },
	{ "DNSRetries 99999999999999999999999999", "DNSRetries: '99999999999999999999999999' is out of range" },
	{ "CheckTimeout 0.099", "CheckTimeout: '0.099' is out of range (0.1-120 seconds)" },
	{ "CheckTimeout 120.5", "CheckTimeout: '120.5' is out of range (0.1-120 seconds)" },
	{ "MaxPTRNames 0", "MaxPTRNames: '0' is out of range (1-100)" },
	{ "MaxPTRNames 101", "MaxPTRNames: '101' is out of range (1-100)" },
	{ "CacheSize 100000001", "CacheSize: '100000001' is out of range (0-100000000)" },
	{ "CacheSize lots", "CacheSize: 'lots' is not a whole number" },
	{ "CacheMaxTTL 604801", "CacheMaxTTL: '604801' is out of range (0-604800)" },
	{ "NegativeCacheMaxTTL 604801", "NegativeCacheMaxTTL: '604801' is out of range (0-604800)" },
	{ "ErrorCacheTTL 0", "ErrorCacheTTL: '0' is out of range (1-300)" },
	{ "ErrorCacheTTL 301", "ErrorCacheTTL: '301' is out of range (1-300)" },
	{ "AuthservID", "AuthservID: missing value" },
	{ "AuthservID mx;evil", "AuthservID: 'mx;evil' is not a valid authserv-id" },
	{ "AuthservID mx example", "AuthservID: 'mx example' is not a valid authserv-id" },
	{ "AuthservID (x)", "AuthservID: '(x)' is not a valid authserv-id" },
	{ "AuthservID \"x\"", "AuthservID: '\"x\"' is not a valid authserv-id" },
	{ "AuthservID a\\b", "AuthservID: 'a\\x5cb' is not a valid authserv-id" },
	{ "AuthservID caf\xc3\xa9", "AuthservID: 'caf\\xc3\\xa9' is not a valid authserv-id" },
	{ "AddHeaders 2", "AddHeaders: expected yes, no, true, false, 1 or 0, not '2'" },
	{ "ResultHeader X:Y", "ResultHeader: 'X:Y' is not a header field name" },
	{ "ResultHeader X Y", "ResultHeader: 'X Y' is not a header field name" },
	{ "ResultHeader", "ResultHeader: missing value" },
	{ "ScoreHeader X-\xc3\xa9", "ScoreHeader: 'X-\\xc3\\xa9' is not a header field name" },
	{ "ScoreHeader authentication-results", "ScoreHeader: 'authentication-results' is reserved" },
	{ "ScorePass abc", "ScorePass: 'abc' is not a decimal number" },
	{ "ScorePass", "ScorePass: missing value" },
	{ "ScoreFail 1000.01", "ScoreFail: '1000.01' is out of range (-1000 to 1000)" },
	{ "ScorePermError -1000.5", "ScorePermError: '-1000.5' is out of range (-1000 to 1000)" },
	{ "ScoreTempError inf", "ScoreTempError: 'inf' is not a decimal number" },
	{ "ScoreGeneric nan", "ScoreGeneric: 'nan' is not a decimal number" },
	{ "ScoreFail 1e2", "ScoreFail: '1e2' is not a decimal number" },
	{ "ScoreFail 0x10", "ScoreFail: '0x10' is not a decimal number" },
	{ "ScoreFail 1,5", "ScoreFail: '1,5' is not a decimal number" },
	{ "ScoreFail --1", "ScoreFail: '--1' is not a decimal number" },
	{ "OnPass bounce", "OnPass: expected accept, tempfail or reject, not 'bounce'" },
	{ "OnFail discard", "OnFail: expected accept, tempfail or reject" },
	{ "OnPermError", "OnPermError: missing value (expected accept, tempfail or reject)" },
	{ "OnTempError yes", "OnTempError: expected accept, tempfail or reject" },
	{ "OnGeneric 1", "OnGeneric: expected accept, tempfail or reject" },
	{ "RejectAt data", "RejectAt: expected connect, helo, mail or rcpt, not 'data'" },
	{ "RejectReply 450 4.7.25 x", "RejectReply: '450 4.7.25 x' must start with a 5xx reply code" },
	{ "RejectReply 550 4.7.25 x", "RejectReply: '550 4.7.25 x' needs an enhanced status code 5.X.Y after 550" },
	{ "RejectReply 550 5.7.25", "RejectReply: needs a text after the codes" },
	{ "RejectReply 550 text only", "RejectReply: '550 text only' needs an enhanced status code" },
	{ "RejectReply 5500 5.7.25 x", "RejectReply: '5500 5.7.25 x' must start with a 5xx reply code" },
	{ "RejectReply 560 5.7.25 x", "RejectReply: '560 5.7.25 x' must start with a 5xx reply code" },
	{ "RejectReply 55 5.7.25 x", "RejectReply: '55 5.7.25 x' must start with a 5xx reply code" },
	{ "RejectReply 550 5.07.1 x", "RejectReply: '550 5.07.1 x' needs an enhanced status code" },
	{ "RejectReply 550 5.7.1000 x", "RejectReply: '550 5.7.1000 x' needs an enhanced status code" },
	{ "RejectReply 550 5.7 x", "RejectReply: '550 5.7 x' needs an enhanced status code" },
	{ "RejectReply 550 5.7.25x text", "RejectReply: '550 5.7.25x text' needs an enhanced status code" },
	{ "RejectReply 550 5.7.25 50% off", "RejectReply: '% ' in the text is not %a, %n or %%" },
	{ "RejectReply 550 5.7.25 bad %x", "RejectReply: '%x' in the text is not %a, %n or %%" },
	{ "RejectReply 550 5.7.25 100%", "RejectReply: '%' in the text is not %a, %n or %%" },
	{ "RejectReply 550 5.7.25 caf\xc3\xa9", "RejectReply: 'caf\\xc3\\xa9' has a byte outside printable ASCII" },
	{ "RejectReply", "RejectReply: missing value" },
	/* 550 5.7.25 + 12 addresses of up to 45 bytes + CRLF: 553 > 512 */
	{ "RejectReply 550 5.7.25 %a%a%a%a%a%a%a%a%a%a%a%a",
	  "RejectReply: text too long: the reply line could exceed 512 bytes (each %a counts 45, each %n at least 32)" },
	{ "TempfailReply 451 4.7.1 %n%n%n%n%n%n%n%n%n%n%n%n%n%n%n%n", "TempfailReply: text too long" },
	{ "TempfailReply 550 5.7.25 x", "TempfailReply: '550 5.7.25 x' must start with a 4xx reply code" },
	{ "TempfailReply 451 5.7.1 x", "TempfailReply: '451 5.7.1 x' needs an enhanced status code 4.X.Y after 451" },
	{ "ExemptHosts 10.0.0.1/8", "ExemptHosts: 10.0.0.1/8: host bits set" },
	{ "ExemptHosts 10.0.0.0/8 10.0.0.0/33", "ExemptHosts: 10.0.0.0/33: prefix length over 32" },
	{ "ExemptHosts localhost", "ExemptHosts: localhost: not an IPv4 or IPv6 network" },
	{ "ExemptHosts none 10.0.0.0/8", "ExemptHosts: none: not an IPv4 or IPv6 network" },
	{ "ExemptAuthenticated perhaps", "ExemptAuthenticated: expected yes, no" },
	{ "DryRun 2", "DryRun: expected yes, no, true, false, 1 or 0, not '2'" },
	{ "GenericPatterns /nonexistent/patterns", "GenericPatterns: /nonexistent/patterns: No such file or directory" },
	{ "GenericPatterns /tmp", "GenericPatterns: /tmp: Is a directory" },
	{ "GenericNames /nonexistent/names", "GenericNames: /nonexistent/names: No such file or directory" },
	{ "GenericNames /tmp", "GenericNames: /tmp: Is a directory" },
	{ "StatsInterval 0", "StatsInterval: '0' is out of range (1-86400)" },
	{ "StatsInterval 86401", "StatsInterval: '86401' is out of range (1-86400)" },
};

Test(config, bad_values_name_file_line_and_keyword)
{
	char text[512], err[ERRLEN], expect[512];

	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		const struct bad *b = &bad_values[i];
		/* line 3, after a comment line and a good line */
		snprintf(text, sizeof(text), "# test\nDryRun no\n%s\nDryRun yes\n", b->line);
		struct fcr_config *c = load_text(text, NULL, 0, err);
		cr_assert_null(c, "accepted: %s", b->line);
		snprintf(expect, sizeof(expect), "F:3: %s", b->msg);
		cr_assert(strncmp(err, expect, strlen(expect)) == 0, "%s\n  got:    %s\n  wanted: %s...",
		          b->line, err, expect);
		assert_printable(err);
	}
}

Test(config, exact_messages)
{
	char err[ERRLEN];

	cr_assert_null(load_text("DNSTimeout abc\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:1: DNSTimeout: 'abc' is not a number of seconds (at most three decimals)");
	cr_assert_null(load_text("\n\nOnFail bounce\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:3: OnFail: expected accept, tempfail or reject, not 'bounce'");
}

Test(config, keywords_are_case_insensitive)
{
	struct fcr_config *c = load_ok("dnstimeout 1\nDNSRETRIES 3\nsOcKeT inet:9999@127.0.0.1\n"
	                               "exempthosts none\nonfail Reject\n");

	cr_assert_eq(c->dns_timeout_ms, 1000);
	cr_assert_eq(c->dns_retries, 3);
	cr_assert_str_eq(c->socket, "inet:9999@127.0.0.1");
	cr_assert_eq(fcr_cidrs_count(c->exempt_hosts), 0);
	cr_assert_eq(c->on[FCR_FAIL], FCR_REJECT);
	fcr_config_free(c);
}

Test(config, comments_blanks_and_whitespace)
{
	struct fcr_config *c = load_ok("# a comment\n"
	                               "   # an indented comment\n"
	                               "\n"
	                               "\t\n"
	                               "DryRun yes # trailing comment\n"
	                               "  MaxPTRNames\t 7  \n"
	                               "RejectReply 550 5.7.1 No entry#not part of the text\n"
	                               "AuthservID mx.example.org\r\n"
	                               "# caf\xc3\xa9: UTF-8 in a comment is fine\n"
	                               "DNSRetries 2");  /* no final newline */

	cr_assert(c->dry_run);
	cr_assert_eq(c->max_ptr_names, 7);
	cr_assert_str_eq(c->reject_reply.text, "No entry");
	cr_assert_str_eq(c->authserv_id, "mx.example.org");
	cr_assert_eq(c->dns_retries, 2);
	fcr_config_free(c);
}

Test(config, later_lines_replace_earlier)
{
	struct fcr_config *c = load_ok("DNSRetries 3\nDNSRetries 5\nUserID a\nUserID none\n"
	                               "PidFile /run/x.pid\nPidFile none\n");

	cr_assert_eq(c->dns_retries, 5);
	cr_assert_null(c->user);
	cr_assert_null(c->pidfile);
	fcr_config_free(c);
}

Test(config, generic_patterns_must_be_readable)
{
	char text[256];
	char *pat = temp_text("^mail-[0-9]+\\.\n");

	snprintf(text, sizeof(text), "GenericPatterns %s\n", pat);
	struct fcr_config *c = load_ok(text);
	cr_assert_str_eq(c->generic_patterns, pat);
	fcr_config_free(c);
	snprintf(text, sizeof(text), "GenericPatterns %s\nGenericPatterns none\n", pat);
	c = load_ok(text);
	cr_assert_null(c->generic_patterns);
	fcr_config_free(c);
	drop(pat);
}

Test(config, generic_patterns_must_compile)
{
	char text[256], err[ERRLEN], want[ERRLEN];
	char *pat = temp_text("# comment\n^ok-[0-9]+$\n(unclosed\n");

	snprintf(text, sizeof(text), "# x\nGenericPatterns %s\n", pat);
	cr_assert_null(load_text(text, NULL, 0, err));
	snprintf(want, sizeof(want), "F:2: GenericPatterns: %s:3: ", pat);
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "got '%s', want '%s...'", err, want);
	drop(pat);
}

Test(config, header_names_must_differ)
{
	char err[ERRLEN];
	const char *ovr[] = { "ResultHeader=x-fcrdns-score" };

	cr_assert_null(load_text("ScoreHeader X-A\nResultHeader x-a\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:2: ResultHeader and ScoreHeader must differ");
	cr_assert_null(load_text("ResultHeader X-A\n\nScoreHeader x-a\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:3: ResultHeader and ScoreHeader must differ");
	cr_assert_null(load_text("", ovr, 1, err));
	cr_assert_str_eq(err, "-o ResultHeader=x-fcrdns-score: ResultHeader and ScoreHeader must differ");
}

Test(config, overrides_win_over_the_file)
{
	char err[ERRLEN];
	const char *ovr[] = { "DNSTimeout=0.5", "ExemptHosts=", " onfail = tempfail ",
		              "Socket=unix:/tmp/x.sock", "DNSTimeout=0.75", "RejectReply=550 5.7.1 #1 %a" };
	struct fcr_config *c = load_text("DNSTimeout 3\nExemptHosts 10.0.0.0/8\nOnFail reject\n", ovr, 6,
	                                 err);

	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(c->dns_timeout_ms, 750);
	cr_assert_eq(fcr_cidrs_count(c->exempt_hosts), 0);
	cr_assert_eq(c->on[FCR_FAIL], FCR_TEMPFAIL);
	cr_assert_str_eq(c->socket, "unix:/tmp/x.sock");
	cr_assert_str_eq(c->reject_reply.text, "#1 %a");  /* no comments in -o values */
	fcr_config_free(c);

	const char *only[] = { "CacheSize=0" };
	c = fcr_cfg_load("/nonexistent/x.conf", true, only, 1, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(c->cache_size, 0);
	cr_assert_null(c->path);
	fcr_config_free(c);
}

Test(config, override_errors_point_at_the_override)
{
	char err[ERRLEN];
	const char *bad[] = { "DNSRetries=2", "DNSTimeout=abc" };
	const char *noeq[] = { "DryRun" };
	const char *unknown[] = { "Bogus=1" };
	const char *ctl[] = { "AuthservID=a\x01z" };
	const char *utf[] = { "Fo\xc3\xb6=1" };

	cr_assert_null(load_text("DNSRetries 1\n", bad, 2, err));
	cr_assert_str_eq(err, "-o DNSTimeout=abc: DNSTimeout: 'abc' is not a number of seconds "
	                      "(at most three decimals)");
	cr_assert_null(load_text("", noeq, 1, err));
	cr_assert_str_eq(err, "-o DryRun: expected KEY=VALUE");
	cr_assert_null(load_text("", unknown, 1, err));
	cr_assert_str_eq(err, "-o Bogus=1: unknown keyword 'Bogus'");
	cr_assert_null(load_text("", ctl, 1, err));
	cr_assert_str_eq(err, "-o AuthservID=a\\x01z: control character \\x01 in column 13");
	cr_assert_null(load_text("", utf, 1, err));
	cr_assert_str_eq(err, "-o Fo\\xc3\\xb6=1: unknown keyword 'Fo\\xc3\\xb6'");
	/* a bad file is reported before any override is looked at */
	cr_assert_null(load_text("Bogus 1\n", noeq, 1, err));
	cr_assert_str_eq(err, "F:1: unknown keyword 'Bogus'");
}

Test(config, long_lines)
{
	char err[ERRLEN];
	size_t n = 5000;
	char *text = malloc(n + 32);

	/* exactly 4096 bytes before the newline is fine */
	memset(text, 'x', 4096);
	text[0] = '#';
	memcpy(text + 4096, "\nDryRun yes\n", 13);
	struct fcr_config *c = load_ok(text);
	cr_assert(c->dry_run);
	fcr_config_free(c);

	memcpy(text, "DryRun yes\n", 11);
	memset(text + 11, 'a', n);
	memcpy(text + 11 + n, "\n", 2);
	cr_assert_null(load_text(text, NULL, 0, err));
	cr_assert_str_eq(err, "F:2: line longer than 4096 bytes");

	char *big = malloc(FCR_CFG_LINE_MAX + 32);
	snprintf(big, FCR_CFG_LINE_MAX + 32, "AuthservID=");
	memset(big + 11, 'a', FCR_CFG_LINE_MAX);
	big[11 + FCR_CFG_LINE_MAX] = '\0';
	const char *ovr[] = { big };
	cr_assert_null(load_text("", ovr, 1, err));
	cr_assert(strstr(err, ": longer than 4096 bytes"), "%s", err);
	cr_assert_lt(strlen(err), 2000);
	free(big);
	free(text);
}

Test(config, nul_and_control_bytes)
{
	char err[ERRLEN];
	char *path;
	char expect[512];

	static const char nul[] = "DryRun yes\nDryRun n\0o\n";
	path = temp_file(nul, sizeof(nul) - 1);
	cr_assert_null(fcr_config_load(path, NULL, 0, err, sizeof(err)));
	snprintf(expect, sizeof(expect), "%s:2: NUL byte in column 9", path);
	cr_assert_str_eq(err, expect);
	drop(path);

	cr_assert_null(load_text("DryRun yes\x1b[31m\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:1: control character \\x1b in column 11");
	cr_assert_null(load_text("\n\nDryRun \xff\xfe\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:3: invalid UTF-8 (byte \\xff in column 8)");
	cr_assert_null(load_text("# overlong slash \xc0\xaf\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:1: invalid UTF-8 (byte \\xc0 in column 18)");
	cr_assert_null(load_text("# surrogate \xed\xa0\x80\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:1: invalid UTF-8 (byte \\xed in column 13)");
	cr_assert_null(load_text("# truncated \xe2\x82\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:1: invalid UTF-8 (byte \\xe2 in column 13)");
	cr_assert_null(load_text("DryRun\vyes\n", NULL, 0, err));
	cr_assert_str_eq(err, "F:1: control character \\x0b in column 7");
}

Test(config, random_garbage_never_crashes)
{
	char err[ERRLEN];
	unsigned seed = 12345;
	unsigned char data[600];

	for (int round = 0; round < 300; round++) {
		size_t len = 1 + (size_t)(rand_r(&seed) % sizeof(data));
		for (size_t i = 0; i < len; i++)
			data[i] = (unsigned char)rand_r(&seed);
		char *path = temp_file((const char *)data, len);
		struct fcr_config *c = fcr_config_load(path, NULL, 0, err, sizeof(err));
		/* random bytes almost never form a valid file; if they do, it must be a real config */
		if (c) {
			cr_assert_not_null(c->socket);
			fcr_config_free(c);
		} else {
			cr_assert_gt(strlen(err), strlen(path));
			assert_printable(err);
		}
		drop(path);
	}
}

Test(config, garbage_values_on_every_keyword)
{
	static const char *const junk[] = { "", "none", "-1", "1e999", "\xc3\xa9\xc3\xa9", "a b c", "%%%",
		                             "file:", "0", "99999999999999999999999999999", "[", "]:" };
	char text[512], err[ERRLEN];

	cr_assert_eq(NKEYS, fcr_cfg_key_count());
	for (size_t k = 0; k < NKEYS; k++) {
		cr_assert_not_null(fcr_cfg_key_find(config_keyword_names[k], strlen(config_keyword_names[k])), "%s", config_keyword_names[k]);
		for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			snprintf(text, sizeof(text), "%s %s\n", config_keyword_names[k], junk[j]);
			struct fcr_config *c = load_text(text, NULL, 0, err);
			if (c)
				fcr_config_free(c);
			else
				assert_printable(err);
		}
	}
}

Test(config, example_file_loads_with_defaults)
{
	char err[ERRLEN];
	struct fcr_config *c = fcr_config_load("conf/fcrdns-milter.conf", NULL, 0, err, sizeof(err));

	cr_assert_not_null(c, "%s", err);
	cr_assert_str_eq(c->path, "conf/fcrdns-milter.conf");
	assert_defaults(c);
	fcr_config_free(c);
}

/* Every keyword of the table is documented in the example. */
Test(config, example_file_mentions_every_keyword)
{
	FILE *f = fopen("conf/fcrdns-milter.conf", "r");
	char *text = calloc(1, 65536);
	char word[64];

	cr_assert_not_null(f);
	size_t n = fread(text, 1, 65535, f);
	fclose(f);
	cr_assert_gt(n, 0);
	for (size_t i = 0; i < NKEYS; i++) {
		snprintf(word, sizeof(word), "\n%s ", config_keyword_names[i]);
		char hashed[80];
		snprintf(hashed, sizeof(hashed), "\n#%s ", config_keyword_names[i]);
		cr_assert(strstr(text, word) || strstr(text, hashed), "%s not in the example", config_keyword_names[i]);
	}
	free(text);
}
