/* Unit tests for lib/config*.c: defaults, every keyword's good and bad values with file:line,
 * lists and file: items, -o overrides, hostile files (binary, NUL, overlong lines), the example. */
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

#define ERRLEN 2048

/* Every keyword of the SPEC's table. */
static const char *const names[] = {
	"Socket", "UserID", "UMask", "PidFile", "Syslog", "SyslogFacility", "Nameservers",
	"DNSTimeout", "DNSRetries", "CheckTimeout", "MaxPTRNames", "CacheSize", "CacheMaxTTL",
	"NegativeCacheMaxTTL", "ErrorCacheTTL", "AuthservID", "AddHeaders", "ResultHeader",
	"ScoreHeader", "ScorePass", "ScoreFail", "ScorePermError", "ScoreTempError", "ScoreGeneric",
	"OnPass", "OnFail", "OnPermError", "OnTempError", "OnGeneric", "RejectAt", "RejectReply",
	"TempfailReply", "ExemptHosts", "ExemptAuthenticated", "DryRun", "GenericPatterns",
	"GenericNames", "StatsFile", "StatsInterval",
};
#define NKEYS (sizeof(names) / sizeof(names[0]))

/* A fresh file with the given bytes; the caller frees the returned path and unlinks it. */
static char *temp_file(const char *data, size_t len)
{
	char *path = strdup("/tmp/fcr-test-config-XXXXXX");
	int fd = mkstemp(path);

	cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static char *temp_text(const char *text)
{
	return temp_file(text, strlen(text));
}

static void drop(char *path)
{
	unlink(path);
	free(path);
}

/* Loads text as a file; on failure err holds the message with the file's name replaced by "F". */
static struct fcr_config *load_text(const char *text, const char *const *ovr, size_t novr, char *err)
{
	char *path = temp_text(text);
	char raw[ERRLEN];
	struct fcr_config *c = fcr_config_load(path, ovr, novr, raw, sizeof(raw));
	size_t plen = strlen(path);

	err[0] = '\0';
	if (!c) {
		if (strncmp(raw, path, plen) == 0)
			snprintf(err, ERRLEN, "F%s", raw + plen);
		else
			snprintf(err, ERRLEN, "%s", raw);
	} else {
		cr_assert_str_eq(c->path, path);
	}
	drop(path);
	return c;
}

static struct fcr_config *load_ok(const char *text)
{
	char err[ERRLEN];
	struct fcr_config *c = load_text(text, NULL, 0, err);

	cr_assert_not_null(c, "config rejected: %s\n---\n%s", err, text);
	return c;
}

static void assert_printable(const char *s)
{
	for (const char *p = s; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "raw byte 0x%02x in '%s'",
		          (unsigned char)*p, s);
}

static void assert_defaults(const struct fcr_config *c)
{
	char buf[64];

	cr_assert_str_eq(c->socket, "unix:/run/fcrdns-milter/fcrdns-milter.sock");
	cr_assert_null(c->user);
	cr_assert_eq(c->umask, 7);
	cr_assert_null(c->pidfile);
	cr_assert(c->syslog);
	cr_assert_eq(c->syslog_facility, LOG_MAIL);
	cr_assert_eq(c->nns, 0);
	cr_assert_eq(c->dns_timeout_ms, 2000);
	cr_assert_eq(c->dns_retries, 1);
	cr_assert_eq(c->check_timeout_ms, 5000);
	cr_assert_eq(c->max_ptr_names, 10);
	cr_assert_eq(c->cache_size, 100000);
	cr_assert_eq(c->cache_max_ttl, 86400);
	cr_assert_eq(c->neg_cache_max_ttl, 3600);
	cr_assert_eq(c->error_cache_ttl, 30);
	cr_assert_not_null(c->authserv_id);
	cr_assert(fcr_cfg_valid_token(c->authserv_id));
	cr_assert(c->add_headers);
	cr_assert_str_eq(c->result_header, "X-FCrDNS");
	cr_assert_str_eq(c->score_header, "X-FCrDNS-Score");
	cr_assert_float_eq(c->score[FCR_PASS], 0.0, 1e-9);
	cr_assert_float_eq(c->score[FCR_FAIL], 3.0, 1e-9);
	cr_assert_float_eq(c->score[FCR_PERMERROR], 2.0, 1e-9);
	cr_assert_float_eq(c->score[FCR_TEMPERROR], 0.0, 1e-9);
	cr_assert_float_eq(c->score_generic, 1.0, 1e-9);
	for (int r = 0; r < FCR_NRESULTS; r++)
		cr_assert_eq(c->on[r], FCR_ACCEPT);
	cr_assert_eq(c->on_generic, FCR_ACCEPT);
	cr_assert_eq(c->reject_at, FCR_AT_MAIL);
	cr_assert_str_eq(c->reject_reply.code, "550");
	cr_assert_str_eq(c->reject_reply.xcode, "5.7.25");
	cr_assert(strstr(c->reject_reply.text, "%a"));
	cr_assert_str_eq(c->tempfail_reply.code, "450");
	cr_assert_str_eq(c->tempfail_reply.xcode, "4.7.25");
	cr_assert(strstr(c->tempfail_reply.text, "%a"));
	cr_assert_eq(fcr_cidrs_count(c->exempt_hosts), 2);
	cr_assert_str_eq(fcr_cidrs_format(c->exempt_hosts, 0, buf, sizeof(buf)), "127.0.0.0/8");
	cr_assert_str_eq(fcr_cidrs_format(c->exempt_hosts, 1, buf, sizeof(buf)), "::1/128");
	cr_assert(c->exempt_authenticated);
	cr_assert_not(c->dry_run);
	cr_assert_null(c->generic_patterns);
	cr_assert_null(c->stats_file);
	cr_assert_eq(c->stats_interval, 60);
}

Test(config, defaults_without_file)
{
	char err[ERRLEN];
	struct fcr_config *c = fcr_cfg_load("/nonexistent/fcrdns-milter.conf", true, NULL, 0, err,
	                                    sizeof(err));

	cr_assert_not_null(c, "%s", err);
	cr_assert_null(c->path);
	assert_defaults(c);
	fcr_config_free(c);
}

Test(config, default_path_missing_means_defaults)
{
	char err[ERRLEN];

	if (access(FCR_DEFAULT_CONFIG, F_OK) == 0)
		cr_skip_test("%s exists on this machine", FCR_DEFAULT_CONFIG);
	struct fcr_config *c = fcr_config_load(NULL, NULL, 0, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_null(c->path);
	assert_defaults(c);
	fcr_config_free(c);
}

Test(config, empty_file_gives_defaults)
{
	struct fcr_config *c = load_ok("# nothing here\n\n   \n\t\n");

	assert_defaults(c);
	fcr_config_free(c);
	fcr_config_free(NULL);
}

Test(config, missing_named_file)
{
	char err[ERRLEN];

	cr_assert_null(fcr_config_load("/nonexistent/x.conf", NULL, 0, err, sizeof(err)));
	cr_assert_str_eq(err, "/nonexistent/x.conf: No such file or directory");
}

Test(config, directory_is_an_error)
{
	char err[ERRLEN];

	cr_assert_null(fcr_config_load("/tmp", NULL, 0, err, sizeof(err)));
	cr_assert_str_eq(err, "/tmp: Is a directory");
}

/* A scratch directory holding a FIFO "fifo" and a sparse file "big" of the given size. */
static void scratch(char *dir, size_t big)
{
	char path[96];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/big", dir);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	cr_assert(fd >= 0 && ftruncate(fd, (off_t)big) == 0);
	close(fd);
}

static void scratch_drop(const char *dir)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/fifo", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/big", dir);
	unlink(path);
	rmdir(dir);
}

/* A FIFO would block the open (and -n) for ever, /dev/zero would never end: only regular files
 * (and /dev/null) of bounded size are read. The timeout makes a blocked open a failure. */
Test(config, only_bounded_regular_files, .timeout = 20)
{
	char dir[] = "/tmp/fcr-test-files-XXXXXX", path[96], want[160], text[256], err[ERRLEN];

	scratch(dir, FCR_TEXT_CONFIG_MAX + 1);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_expect_null(fcr_config_load(path, NULL, 0, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	cr_expect_str_eq(err, want);
	snprintf(text, sizeof(text), "ExemptHosts file:%s\n", path);
	cr_expect_null(load_text(text, NULL, 0, err));
	snprintf(want, sizeof(want), "F:1: ExemptHosts: file:%s: not a regular file", path);
	cr_expect_str_eq(err, want);
	snprintf(text, sizeof(text), "\nGenericPatterns %s\n", path);
	cr_expect_null(load_text(text, NULL, 0, err));
	snprintf(want, sizeof(want), "F:2: GenericPatterns: %s: not a regular file", path);
	cr_expect_str_eq(err, want);
	cr_expect_null(load_text("GenericPatterns /dev/zero\n", NULL, 0, err));
	cr_expect_str_eq(err, "F:1: GenericPatterns: /dev/zero: not a regular file");
	cr_expect_null(load_text("ExemptHosts file:/tmp\n", NULL, 0, err));
	cr_expect_str_eq(err, "F:1: ExemptHosts: file:/tmp: Is a directory");

	snprintf(path, sizeof(path), "%s/big", dir);
	cr_expect_null(fcr_config_load(path, NULL, 0, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", path);
	cr_expect_str_eq(err, want);
	snprintf(text, sizeof(text), "GenericPatterns %s\n", path);
	cr_expect_null(load_text(text, NULL, 0, err));
	snprintf(want, sizeof(want), "F:1: GenericPatterns: %s: larger than 1048576 bytes", path);
	cr_expect_str_eq(err, want);
	cr_assert_eq(truncate(path, FCR_TEXT_LIST_MAX + 1), 0);
	snprintf(text, sizeof(text), "ExemptHosts file:%s\n", path);
	cr_expect_null(load_text(text, NULL, 0, err));
	snprintf(want, sizeof(want), "F:1: ExemptHosts: file:%s: larger than 16777216 bytes", path);
	cr_expect_str_eq(err, want);
	scratch_drop(dir);
}

/* -c /dev/null is the documented way to say "built-in defaults", and a list or pattern file may be
 * /dev/null too; a file of exactly the bound is still read. */
Test(config, dev_null_and_files_at_the_bound)
{
	char text[256], err[ERRLEN];
	struct fcr_config *c = fcr_config_load("/dev/null", NULL, 0, err, sizeof(err));

	cr_assert_not_null(c, "%s", err);
	assert_defaults(c);
	fcr_config_free(c);
	c = load_ok("ExemptHosts file:/dev/null\nGenericPatterns /dev/null\n");
	cr_expect_eq(fcr_cidrs_count(c->exempt_hosts), 0);
	fcr_config_free(c);
	/* 256 comment lines of 4096 bytes each (newline included): exactly 1 MiB */
	char *big = malloc(FCR_TEXT_CONFIG_MAX);
	cr_assert_not_null(big);
	memset(big, '#', FCR_TEXT_CONFIG_MAX);
	for (size_t i = 4095; i < FCR_TEXT_CONFIG_MAX; i += 4096)
		big[i] = '\n';
	char *file = temp_file(big, FCR_TEXT_CONFIG_MAX);
	c = fcr_config_load(file, NULL, 0, err, sizeof(err));
	cr_expect_not_null(c, "%s", err);
	fcr_config_free(c);
	snprintf(text, sizeof(text), "ExemptHosts file:%s\nGenericPatterns %s\n", file, file);
	fcr_config_free(load_ok(text));
	drop(file);
	free(big);
}

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

Test(config, general_values)
{
	struct fcr_config *c = load_ok("UserID milter:mail\n"
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
	                               "ExemptAuthenticated 0\n");

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
		cr_assert_not_null(fcr_cfg_key_find(names[k], strlen(names[k])), "%s", names[k]);
		for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			snprintf(text, sizeof(text), "%s %s\n", names[k], junk[j]);
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
		snprintf(word, sizeof(word), "\n%s ", names[i]);
		char hashed[80];
		snprintf(hashed, sizeof(hashed), "\n#%s ", names[i]);
		cr_assert(strstr(text, word) || strstr(text, hashed), "%s not in the example", names[i]);
	}
	free(text);
}
