/* Logging for the daemon: syslog (facility from the configuration) or stderr in the foreground.
 * Thread-safe: syslog(3) and one fprintf per line. */
#ifndef FCR_LOG_H
#define FCR_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* to_stderr: the foreground; otherwise syslog when use_syslog, else nothing. */
void fcr_log_open(bool to_stderr, bool use_syslog, int facility, bool verbose);

/* True when -v asked for detail. */
bool fcr_log_verbose(void);

/* One line at a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). The text must already
 * be printable: everything that came from outside is escaped before it gets here. */
__attribute__((format(printf, 2, 3))) void fcr_log(int prio, const char *fmt, ...);

void fcr_log_close(void);

#endif
