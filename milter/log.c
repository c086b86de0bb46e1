/* Daemon logging: one sink chosen at start-up, syslog or stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* Set once before any thread starts, read-only afterwards. */
static struct {
	bool to_stderr, use_syslog, verbose;
} sink;

void fcr_log_open(bool to_stderr, bool use_syslog, int facility, bool verbose)
{
	sink.to_stderr = to_stderr;
	sink.use_syslog = use_syslog && !to_stderr;
	sink.verbose = verbose;
	if (sink.use_syslog)
		openlog("fcrdns-milter", LOG_PID | LOG_NDELAY, facility);
}

bool fcr_log_verbose(void)
{
	return sink.verbose;
}

static const char *prio_name(int prio)
{
	switch (prio) {
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_DEBUG: return "debug";
	default: return "info";
	}
}

void fcr_log(int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (prio == LOG_DEBUG && !sink.verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (sink.to_stderr) {
		char ts[32];
		struct tm tm;
		time_t now = time(NULL);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
		fprintf(stderr, "%s fcrdns-milter %s: %s\n", ts, prio_name(prio), line);
	} else if (sink.use_syslog) {
		syslog(prio, "%s", line);
	}
}

void fcr_log_close(void)
{
	if (sink.use_syslog)
		closelog();
}
