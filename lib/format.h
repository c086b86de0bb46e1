/* Text that leaves the process: header values, log fields, SMTP reply texts, JSON. Nothing that
 * came from DNS is written raw: names are lower-cased and any byte outside printable ASCII is
 * escaped as \xHH (and, in header comments, also ; ( ) " \). All functions are thread-safe and
 * write into caller buffers, always NUL-terminated (truncated when too small). */
#ifndef FCR_FORMAT_H
#define FCR_FORMAT_H

#include <stddef.h>

#include "check.h"
#include "config.h"

/* A DNS name made safe for logs and headers: lower-case, no trailing dot, unsafe bytes escaped. */
char *fcr_format_name(const char *name, char *buf, size_t len);

/* The Authentication-Results value (without the header name):
 * "<authserv-id>; iprev=<result> policy.iprev=<addr> (<comment>)"; an IPv6 address is quoted. */
char *fcr_format_authres(const struct fcr_config *c, const struct fcr_check_result *r,
                         char *buf, size_t len);

/* The result header value: "<result> ip=<addr>[ ptr=<name>][ generic=yes]". */
char *fcr_format_result_header(const struct fcr_check_result *r, char *buf, size_t len);

/* The score header value, e.g. "3" or "1.5". */
char *fcr_format_score(double score, char *buf, size_t len);

/* An SMTP reply text with %a (address) and %n (confirmed or first PTR name, else "unknown")
 * expanded and %% as a single %. Result is safe for an SMTP reply line. */
char *fcr_format_reply_text(const struct fcr_smtp_reply *rep, const struct fcr_check_result *r,
                            char *buf, size_t len);

/* s as a JSON string literal, with quotes. */
char *fcr_format_json_string(const char *s, char *buf, size_t len);

#endif
