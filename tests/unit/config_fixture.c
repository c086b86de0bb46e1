/* Helpers shared by the configuration tests (config_fixture.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config/internal.h"
#include "config_fixture.h"

/* Every keyword of the SPEC's table. */
const char *const config_keyword_names[] = {
	"Socket", "UserID", "UMask", "PidFile", "Syslog", "SyslogFacility", "Nameservers",
	"DNSTimeout", "DNSRetries", "CheckTimeout", "MaxPTRNames", "CacheSize", "CacheMaxTTL",
	"NegativeCacheMaxTTL", "ErrorCacheTTL", "AuthservID", "AddHeaders", "ResultHeader",
	"ScoreHeader", "ScorePass", "ScoreFail", "ScorePermError", "ScoreTempError", "ScoreGeneric",
	"OnPass", "OnFail", "OnPermError", "OnTempError", "OnGeneric", "RejectAt", "RejectReply",
	"TempfailReply", "ExemptHosts", "ExemptAuthenticated", "DryRun", "GenericPatterns",
	"GenericNames", "StatsFile", "StatsInterval",
};

/* A fresh file with the given bytes; the caller frees the returned path and unlinks it. */
char *temp_file(const char *data, size_t len)
{
	char *path = strdup("/tmp/fcr-test-config-XXXXXX");
	int fd = mkstemp(path);

	cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

char *temp_text(const char *text)
{
	return temp_file(text, strlen(text));
}

void drop(char *path)
{
	unlink(path);
	free(path);
}

/* Loads text as a file; on failure err holds the message with the file's name replaced by "F". */
struct fcr_config *load_text(const char *text, const char *const *ovr, size_t novr, char *err)
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

struct fcr_config *load_ok(const char *text)
{
	char err[ERRLEN];
	struct fcr_config *c = load_text(text, NULL, 0, err);

	cr_assert_not_null(c, "config rejected: %s\n---\n%s", err, text);
	return c;
}

void assert_printable(const char *s)
{
	for (const char *p = s; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "raw byte 0x%02x in '%s'",
		          (unsigned char)*p, s);
}

/* The defaults of the process, DNS and the cache. */
static void assert_default_daemon(const struct fcr_config *c)
{
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
}

/* The defaults of the headers, the policy and the rest. */
static void assert_default_policy(const struct fcr_config *c)
{
	char buf[64];

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

void assert_defaults(const struct fcr_config *c)
{
	assert_default_daemon(c);
	assert_default_policy(c);
}
