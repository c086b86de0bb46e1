/* Limits on administrators' regular expressions (GenericPatterns) before regcomp sees them: glibc
 * expands nested and repeated quantifiers into trees that can take gigabytes (a+++++++...), and a
 * configuration line must never be able to take the milter or the host down. Thread-safe. */
#ifndef FCR_PATTERN_H
#define FCR_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define FCR_PATTERN_MAX_LEN 256        /* bytes */
#define FCR_PATTERN_MAX_QUANTIFIERS 16 /* * + ? {m,n} in one expression */
#define FCR_PATTERN_MAX_NESTING 2      /* quantifiers on groups holding quantifiers: (a+)+ */
#define FCR_PATTERN_MAX_REPEAT 64      /* largest bound of {m,n} */

/* True when the POSIX ERE 're' stays within the limits above; otherwise false with the reason in
 * why. Syntax errors are left for regcomp to report. */
bool fcr_pattern_acceptable(const char *re, char *why, size_t len);

#endif
