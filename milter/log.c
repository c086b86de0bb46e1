/* Daemon logging: one sink chosen at start-up, syslog or stderr. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

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

/* One write(2) a line, not stdio: stderr's lock was a point where every connection's thread met
 * every other's, and one write keeps lines whole when several threads log at once. */
static void to_stderr(int prio, const char *line)
{
	/* localtime_r takes glibc's time zone lock: once a second per thread is enough */
	static __thread time_t ts_sec = -1;
	static __thread char ts[32];
	char out[2048 + 96];
	time_t now = time(NULL);
	if (now != ts_sec) {
		struct tm tm;
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
		ts_sec = now;
	}
	int n = snprintf(out, sizeof(out), "%s fcrdns-milter %s: %s\n", ts, prio_name(prio), line);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1;
	if (len > 0)
		out[len - 1] = '\n';
	for (size_t off = 0; off < len;) {
		ssize_t w = write(STDERR_FILENO, out + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
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
		to_stderr(prio, line);
	} else if (sink.use_syslog) {
		syslog(prio, "%s", line);
	}
}

void fcr_log_close(void)
{
	if (sink.use_syslog)
		closelog();
}
