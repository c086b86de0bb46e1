/* Text that leaves the process: header values, log fields, SMTP reply texts, JSON. Nothing that
 * came from DNS is written raw: names are lower-cased and any byte outside printable ASCII is
 * escaped as \xHH (and, in header comments, also ; ( ) " \). All functions are thread-safe and
 * write into caller buffers, always NUL-terminated (truncated when too small). */
#ifndef FCR_FORMAT_H
#define FCR_FORMAT_H

#include <stddef.h>

#include "check.h"
#include "config.h"

/* Line limits: a header line without its CRLF (RFC 5322 §2.1.1) and an SMTP reply line with it
 * (RFC 5321 §4.5.3.1.5). Every header value and reply text below keeps its whole line within
 * them: what came from DNS is shortened to whole characters or escapes and marked with
 * FCR_SHORTENED. A buffer smaller than that still cuts the text (to a prefix of the whole). */
#define FCR_HEADER_LINE_MAX 998
#define FCR_REPLY_LINE_MAX 512
#define FCR_SHORTENED "..."
#define FCR_AUTHRES_HEADER "Authentication-Results"
/* What RejectReply/TempfailReply must leave room for: %a as the longest address text, and at
 * least this much of each %n. */
#define FCR_REPLY_ADDR_MAX 45
#define FCR_REPLY_NAME_MIN 32

/* A DNS name made safe for logs and headers: lower-case, no trailing dot, unsafe bytes escaped. */
char *fcr_format_name(const char *name, char *buf, size_t len);

/* The Authentication-Results value (without the header name):
 * "<authserv-id>; iprev=<result> policy.iprev=<addr> (<comment>)"; an IPv6 address is quoted.
 * The comment is shortened so that the header line stays within FCR_HEADER_LINE_MAX. */
char *fcr_format_authres(const struct fcr_config *c, const struct fcr_check_result *r,
                         char *buf, size_t len);

/* The result header value: "<result> ip=<addr>[ ptr=<name>][ generic=yes]", the name shortened
 * so that the line with c's ResultHeader name (X-FCrDNS when c is NULL) stays within
 * FCR_HEADER_LINE_MAX. */
char *fcr_format_result_header(const struct fcr_config *c, const struct fcr_check_result *r,
                               char *buf, size_t len);

/* The score header value, e.g. "3" or "1.5". */
char *fcr_format_score(double score, char *buf, size_t len);

/* An SMTP reply text with %a (address) and %n (confirmed or first PTR name, else "unknown")
 * expanded and %% as a single %. Result is safe for an SMTP reply line: with rep's code and
 * enhanced code in front it stays within FCR_REPLY_LINE_MAX, each %n shortened to an even share
 * of what the rest of the text leaves. */
char *fcr_format_reply_text(const struct fcr_smtp_reply *rep, const struct fcr_check_result *r,
                            char *buf, size_t len);

/* s as a JSON string literal, with quotes. */
char *fcr_format_json_string(const char *s, char *buf, size_t len);

#endif
