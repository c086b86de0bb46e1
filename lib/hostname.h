/* What a host name is (RFC 952/1123 LDH rules, RFC 3696 §2): only such PTR names are looked up. */
#ifndef FCR_HOSTNAME_H
#define FCR_HOSTNAME_H

#include <stdbool.h>

/* True for a name of letters, digits and hyphens in labels of 1..63 octets that neither start nor
 * end with a hyphen, at most 253 octets without the optional trailing dot, whose last label is not
 * all-numeric (so "203.0.113.42." is not a host name). Escaped text (\DDD) is never valid.
 * Thread-safe. */
bool fcr_hostname_valid(const char *name);

#endif
