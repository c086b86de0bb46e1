/* Configuration: the keyword file of the SPEC plus -o KEY=VALUE overrides, validated into one
 * immutable snapshot. A snapshot is read-only after fcr_config_load returns, so any number of
 * threads may read it; the milter keeps a reference count around it for reloads. */
#ifndef FCR_CONFIG_H
#define FCR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "cidr.h"
#include "resolver.h"

#define FCR_DEFAULT_CONFIG "/etc/fcrdns-milter.conf"
/* Where `make install` puts the shipped data files (the Makefile passes its DATADIR). */
#ifndef FCR_DATADIR
#define FCR_DATADIR "/usr/local/share/fcrdns-milter"
#endif
#define FCR_DEFAULT_GENERIC_NAMES FCR_DATADIR "/generic-names"

enum fcr_action { FCR_ACCEPT = 0, FCR_TEMPFAIL, FCR_REJECT };
enum fcr_stage { FCR_AT_CONNECT = 0, FCR_AT_HELO, FCR_AT_MAIL, FCR_AT_RCPT };

/* An SMTP reply: "550 5.7.25 text with %a and %n". */
struct fcr_smtp_reply {
	char code[4];              /* "550" */
	char xcode[16];            /* "5.7.25" */
	char *text;                /* with %a (address) and %n (name) still unexpanded */
};

struct fcr_config {
	char *socket;              /* Socket, libmilter syntax ("unix:/path", "inet:port@host", ...) */
	char *user;                /* UserID, "user[:group]", or NULL */
	unsigned umask;            /* UMask */
	char *pidfile;             /* PidFile, or NULL */
	bool syslog;               /* Syslog */
	int syslog_facility;       /* SyslogFacility as LOG_* */

	struct fcr_ns ns[FCR_MAX_NS];  /* Nameservers; nns == 0: from /etc/resolv.conf */
	size_t nns;
	unsigned dns_timeout_ms;   /* DNSTimeout */
	unsigned dns_retries;      /* DNSRetries */
	unsigned check_timeout_ms; /* CheckTimeout */
	unsigned max_ptr_names;    /* MaxPTRNames */

	size_t cache_size;         /* CacheSize */
	uint32_t cache_max_ttl;    /* CacheMaxTTL */
	uint32_t neg_cache_max_ttl;/* NegativeCacheMaxTTL */
	uint32_t error_cache_ttl;  /* ErrorCacheTTL, 1..300 */

	char *authserv_id;         /* AuthservID (default: this host's name) */
	bool add_headers;          /* AddHeaders */
	char *result_header;       /* ResultHeader */
	char *score_header;        /* ScoreHeader */
	double score[FCR_NRESULTS];/* ScorePass, ScoreFail, ScorePermError, ScoreTempError */
	double score_generic;      /* ScoreGeneric */
	enum fcr_action on[FCR_NRESULTS]; /* OnPass, OnFail, OnPermError, OnTempError */
	enum fcr_action on_generic;/* OnGeneric */
	enum fcr_stage reject_at;  /* RejectAt */
	struct fcr_smtp_reply reject_reply;   /* RejectReply */
	struct fcr_smtp_reply tempfail_reply; /* TempfailReply */
	fcr_cidrs *exempt_hosts;   /* ExemptHosts (never NULL; may be empty) */
	bool exempt_authenticated; /* ExemptAuthenticated */
	bool dry_run;              /* DryRun */
	char *generic_patterns;    /* GenericPatterns file, or NULL */
	char *generic_names;       /* GenericNames file, or NULL for none */
	bool generic_names_default;/* ... not set: the shipped file, which may be missing */
	char *stats_file;          /* StatsFile, or NULL */
	unsigned stats_interval;   /* StatsInterval, seconds */

	char *path;                /* the file read, or NULL when built-in defaults were used */
};

/* Reads 'path' (NULL: FCR_DEFAULT_CONFIG, and a missing default file means built-in defaults;
 * a named file that is missing is an error), then applies the overrides "KEY=VALUE" in order.
 * Returns a new snapshot, or NULL with "file:line: message" (or "-o KEY=VALUE: message") in err.
 * Caller owns the result. */
struct fcr_config *fcr_config_load(const char *path, const char *const *overrides, size_t noverrides,
                                   char *err, size_t errlen);

/* The GenericNames file to load: the one configured, or the shipped default when it exists
 * (NULL: none). */
const char *fcr_config_generic_names(const struct fcr_config *c);

/* fcr_config_free(NULL) is a no-op. */
void fcr_config_free(struct fcr_config *c);

/* "accept", "tempfail", "reject". */
const char *fcr_action_name(enum fcr_action a);
/* "connect", "helo", "mail", "rcpt". */
const char *fcr_stage_name(enum fcr_stage s);

#endif
