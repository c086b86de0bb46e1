/* The keyword table of the SPEC's "Configuration file" section, and the parsers for plain values:
 * booleans, whole numbers, durations, scores and the small enumerations. Numbers are parsed by
 * hand, digit by digit, so that no locale, exponent, "inf" or overflow can sneak in. */
#include "internal.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#define QBUF (FCR_CFG_QUOTE_MAX * 4 + 8)
#define FIELD(c, k, type) ((type *)(void *)((char *)(c) + (k)->off))

struct name_value {
	const char *name;
	int value;
};

static int expected(struct fcr_cfg_msg *m, const struct fcr_cfg_key *k, const char *v,
                    const char *choices)
{
	char q[QBUF];

	if (!*v)
		return fcr_cfg_fail(m, k, "missing value (expected %s)", choices);
	return fcr_cfg_fail(m, k, "expected %s, not '%s'", choices,
	                    fcr_text_escape(v, FCR_CFG_QUOTE_MAX, q, sizeof(q)));
}

static int lookup(const struct name_value *t, size_t n, const char *v, int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(t[i].name, v) == 0) {
			*out = t[i].value;
			return 0;
		}
	}
	return -1;
}

static int p_bool(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                  struct fcr_cfg_msg *m)
{
	static const struct name_value t[] = { { "yes", 1 }, { "no", 0 }, { "true", 1 },
		                               { "false", 0 }, { "1", 1 },   { "0", 0 } };
	int b;

	if (lookup(t, sizeof(t) / sizeof(t[0]), v, &b) < 0)
		return expected(m, k, v, "yes, no, true, false, 1 or 0");
	*FIELD(c, k, bool) = b;
	return 0;
}

static int p_action(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                    struct fcr_cfg_msg *m)
{
	static const struct name_value t[] = { { "accept", FCR_ACCEPT }, { "tempfail", FCR_TEMPFAIL },
		                               { "reject", FCR_REJECT } };
	int a;

	if (lookup(t, sizeof(t) / sizeof(t[0]), v, &a) < 0)
		return expected(m, k, v, "accept, tempfail or reject");
	*FIELD(c, k, enum fcr_action) = (enum fcr_action)a;
	return 0;
}

static int p_stage(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                   struct fcr_cfg_msg *m)
{
	static const struct name_value t[] = { { "connect", FCR_AT_CONNECT }, { "helo", FCR_AT_HELO },
		                               { "mail", FCR_AT_MAIL },       { "rcpt", FCR_AT_RCPT } };
	int s;

	if (lookup(t, sizeof(t) / sizeof(t[0]), v, &s) < 0)
		return expected(m, k, v, "connect, helo, mail or rcpt");
	*FIELD(c, k, enum fcr_stage) = (enum fcr_stage)s;
	return 0;
}

static int p_facility(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                      struct fcr_cfg_msg *m)
{
	static const struct name_value t[] = {
		{ "mail", LOG_MAIL },     { "daemon", LOG_DAEMON }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};

	if (lookup(t, sizeof(t) / sizeof(t[0]), v, &c->syslog_facility) < 0)
		return expected(m, k, v, "mail, daemon, user or local0 to local7");
	return 0;
}

/* Decimal digits only; false for anything else or a value above 'max'. */
static bool whole(const char *v, unsigned long long max, unsigned long long *out)
{
	unsigned long long x = 0;

	if (!*v)
		return false;
	for (; *v; v++) {
		if (!isdigit((unsigned char)*v))
			return false;
		x = x * 10 + (unsigned long long)(*v - '0');
		if (x > max)
			x = max + 1;  /* saturate: keep going to tell junk from big */
	}
	*out = x;
	return true;
}

static int ranged(const struct fcr_cfg_key *k, const char *v, unsigned long long *out,
                  struct fcr_cfg_msg *m)
{
	if (!*v)
		return fcr_cfg_fail(m, k, "missing value");
	if (!whole(v, (unsigned long long)k->max, out))
		return fcr_cfg_bad(m, k, v, "is not a whole number");
	if (*out < (unsigned long long)k->min || *out > (unsigned long long)k->max)
		return fcr_cfg_bad(m, k, v, "is out of range (%ld-%ld)", k->min, k->max);
	return 0;
}

static int p_unsigned(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                      struct fcr_cfg_msg *m)
{
	unsigned long long x;

	if (ranged(k, v, &x, m) < 0)
		return -1;
	*FIELD(c, k, unsigned) = (unsigned)x;
	return 0;
}

static int p_u32(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                 struct fcr_cfg_msg *m)
{
	unsigned long long x;

	if (ranged(k, v, &x, m) < 0)
		return -1;
	*FIELD(c, k, uint32_t) = (uint32_t)x;
	return 0;
}

static int p_size(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                  struct fcr_cfg_msg *m)
{
	unsigned long long x;

	if (ranged(k, v, &x, m) < 0)
		return -1;
	*FIELD(c, k, size_t) = (size_t)x;
	return 0;
}

static int p_umask(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                   struct fcr_cfg_msg *m)
{
	size_t n = strlen(v);
	unsigned x = 0;

	if (n == 0 || n > 4 || strspn(v, "01234567") != n)
		return fcr_cfg_bad(m, k, v, "is not an octal mask 000-777");
	for (size_t i = 0; i < n; i++)
		x = x * 8 + (unsigned)(v[i] - '0');
	if (x > 0777)
		return fcr_cfg_bad(m, k, v, "is not an octal mask 000-777");
	c->umask = x;
	return 0;
}

/* "2", "0.5", "1.25" seconds into milliseconds, exactly: at most three decimals. */
static bool seconds_ms(const char *v, unsigned long long *ms)
{
	const char *dot = strchr(v, '.');
	size_t ilen = dot ? (size_t)(dot - v) : strlen(v);
	unsigned long long secs = 0, frac = 0;
	size_t flen = 0;

	if (ilen == 0 || ilen > 9)
		return false;
	for (size_t i = 0; i < ilen; i++) {
		if (!isdigit((unsigned char)v[i]))
			return false;
		secs = secs * 10 + (unsigned long long)(v[i] - '0');
	}
	if (dot) {
		for (flen = 0; dot[1 + flen]; flen++) {
			if (!isdigit((unsigned char)dot[1 + flen]) || flen == 3)
				return false;
			frac = frac * 10 + (unsigned long long)(dot[1 + flen] - '0');
		}
		if (flen == 0)
			return false;
	}
	for (; flen < 3; flen++)
		frac *= 10;
	*ms = secs * 1000 + frac;
	return true;
}

/* Milliseconds as the shortest decimal number of seconds: 50 -> "0.05", 60000 -> "60". */
static const char *secs_text(long ms, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%ld.%03ld", ms / 1000, ms % 1000);

	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

static int p_ms(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                struct fcr_cfg_msg *m)
{
	char lo[32], hi[32];
	unsigned long long ms;

	if (!*v)
		return fcr_cfg_fail(m, k, "missing value");
	if (!seconds_ms(v, &ms))
		return fcr_cfg_bad(m, k, v, "is not a number of seconds (at most three decimals)");
	if (ms < (unsigned long long)k->min || ms > (unsigned long long)k->max)
		return fcr_cfg_bad(m, k, v, "is out of range (%s-%s seconds)",
		                   secs_text(k->min, lo, sizeof(lo)), secs_text(k->max, hi, sizeof(hi)));
	*FIELD(c, k, unsigned) = (unsigned)ms;
	return 0;
}

/* [+-]digits[.digits] (or [+-].digits), at most 15 significant digits: exact to a double. */
static bool decimal(const char *v, double *out)
{
	long long mant = 0, scale = 1;
	int digits = 0;
	bool neg = *v == '-', dot = false;

	if (*v == '-' || *v == '+')
		v++;
	for (; *v; v++) {
		if (*v == '.' && !dot) {
			dot = true;
			continue;
		}
		if (!isdigit((unsigned char)*v) || ++digits > 15)
			return false;
		mant = mant * 10 + (*v - '0');
		if (dot)
			scale *= 10;
	}
	if (!digits)
		return false;
	*out = (neg ? -(double)mant : (double)mant) / (double)scale;
	return true;
}

static int p_score(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                   struct fcr_cfg_msg *m)
{
	double x;

	if (!*v)
		return fcr_cfg_fail(m, k, "missing value");
	if (!decimal(v, &x))
		return fcr_cfg_bad(m, k, v, "is not a decimal number");
	if (x < -1000 || x > 1000)
		return fcr_cfg_bad(m, k, v, "is out of range (-1000 to 1000)");
	*FIELD(c, k, double) = x;
	return 0;
}

static int p_path(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                  struct fcr_cfg_msg *m)
{
	if (fcr_cfg_set_str(FIELD(c, k, char *), fcr_cfg_is_none(v) ? NULL : v) < 0)
		return fcr_cfg_fail(m, k, "out of memory");
	return 0;
}

#define OFF(f) offsetof(struct fcr_config, f)
#define SCORE(r) (OFF(score) + (r) * sizeof(double))
#define ON(r) (OFF(on) + (r) * sizeof(enum fcr_action))

static const struct fcr_cfg_key keys[] = {
	{ "Socket", fcr_cfg_p_socket, OFF(socket), 0, 0 },
	{ "UserID", fcr_cfg_p_user, OFF(user), 0, 0 },
	{ "UMask", p_umask, OFF(umask), 0, 0777 },
	{ "PidFile", p_path, OFF(pidfile), 0, 0 },
	{ "Syslog", p_bool, OFF(syslog), 0, 0 },
	{ "SyslogFacility", p_facility, OFF(syslog_facility), 0, 0 },
	{ "Nameservers", fcr_cfg_p_nameservers, OFF(ns), 0, 0 },
	{ "DNSTimeout", p_ms, OFF(dns_timeout_ms), 50, 60000 },
	{ "DNSRetries", p_unsigned, OFF(dns_retries), 0, 10 },
	{ "CheckTimeout", p_ms, OFF(check_timeout_ms), 100, 120000 },
	{ "MaxPTRNames", p_unsigned, OFF(max_ptr_names), 1, 100 },
	{ "CacheSize", p_size, OFF(cache_size), 0, 100000000 },
	{ "CacheMaxTTL", p_u32, OFF(cache_max_ttl), 0, 604800 },
	{ "NegativeCacheMaxTTL", p_u32, OFF(neg_cache_max_ttl), 0, 604800 },
	{ "ErrorCacheTTL", p_u32, OFF(error_cache_ttl), 1, 300 },
	{ "AuthservID", fcr_cfg_p_authserv, OFF(authserv_id), 0, 0 },
	{ "AddHeaders", p_bool, OFF(add_headers), 0, 0 },
	{ "ResultHeader", fcr_cfg_p_header, OFF(result_header), 0, 0 },
	{ "ScoreHeader", fcr_cfg_p_header, OFF(score_header), 0, 0 },
	{ "ScorePass", p_score, SCORE(FCR_PASS), 0, 0 },
	{ "ScoreFail", p_score, SCORE(FCR_FAIL), 0, 0 },
	{ "ScorePermError", p_score, SCORE(FCR_PERMERROR), 0, 0 },
	{ "ScoreTempError", p_score, SCORE(FCR_TEMPERROR), 0, 0 },
	{ "ScoreGeneric", p_score, OFF(score_generic), 0, 0 },
	{ "OnPass", p_action, ON(FCR_PASS), 0, 0 },
	{ "OnFail", p_action, ON(FCR_FAIL), 0, 0 },
	{ "OnPermError", p_action, ON(FCR_PERMERROR), 0, 0 },
	{ "OnTempError", p_action, ON(FCR_TEMPERROR), 0, 0 },
	{ "OnGeneric", p_action, OFF(on_generic), 0, 0 },
	{ "RejectAt", p_stage, OFF(reject_at), 0, 0 },
	{ "RejectReply", fcr_cfg_p_reply, OFF(reject_reply), 5, 0 },
	{ "TempfailReply", fcr_cfg_p_reply, OFF(tempfail_reply), 4, 0 },
	{ "ExemptHosts", fcr_cfg_p_cidrs, OFF(exempt_hosts), 0, 0 },
	{ "ExemptAuthenticated", p_bool, OFF(exempt_authenticated), 0, 0 },
	{ "DryRun", p_bool, OFF(dry_run), 0, 0 },
	{ "GenericPatterns", fcr_cfg_p_patterns, OFF(generic_patterns), 0, 0 },
	{ "GenericNames", fcr_cfg_p_names, OFF(generic_names), 0, 0 },
	{ "StatsFile", p_path, OFF(stats_file), 0, 0 },
	{ "StatsInterval", p_unsigned, OFF(stats_interval), 1, 86400 },
};

const struct fcr_cfg_key *fcr_cfg_key_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].name) == len && strncasecmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

size_t fcr_cfg_key_index(const struct fcr_cfg_key *k)
{
	return (size_t)(k - keys);
}

size_t fcr_cfg_key_count(void)
{
	return sizeof(keys) / sizeof(keys[0]);
}
