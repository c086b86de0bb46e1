/* RFC 8601 Authentication-Results parsing: the authserv-id of a header value, read by the grammar
 * (RFC 5322 CFWS, RFC 2045 token or quoted-string), so that a forged copy of ours is recognised in
 * every form a downstream parser would accept. */
#ifndef FCR_AUTHRES_H
#define FCR_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

/* The authserv-id at the start of an Authentication-Results value (without the header name):
 * [CFWS] (token / quoted-string), followed by the end, CFWS or ';'. Comments nest and hold
 * quoted-pairs; a quoted-string is decoded (quoted-pairs unescaped, folding CR/LF dropped).
 * Returns 1 with the id in buf (NUL-terminated), 0 when the value does not have that shape (an
 * unbalanced comment or quote, no id), -1 when the id does not fit in len bytes. Never reads past
 * the terminating NUL. Thread-safe; value is not modified. */
int fcr_authres_authserv_id(const char *value, char *buf, size_t len);

/* True when value's authserv-id (as above) equals id, compared without regard to case. */
bool fcr_authres_is_from(const char *value, const char *id);

#endif
