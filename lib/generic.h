/* The generic-name attribute: does a PTR name look like an ISP's dynamic pool rather than a mail
 * server? Either it embeds the client's address (decimal or hex, any separator, either order) or it
 * carries pool words (dyn, dhcp, dsl, cable, ppp, ...) — unless a label says static/mail/mx/smtp.
 * Administrators add POSIX extended regular expressions, one a line. A built matcher is read-only:
 * fcr_generic_match may run on any number of threads. */
#ifndef FCR_GENERIC_H
#define FCR_GENERIC_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

typedef struct fcr_generic fcr_generic;

/* Built-in rules, plus the patterns of 'path' when not NULL: one ERE a line, case-insensitive,
 * matched against the lower-case name without trailing dot; blank lines and lines starting with '#'
 * are skipped. NULL with "path:line: reason" in err on an unreadable file or a bad pattern. */
fcr_generic *fcr_generic_new(const char *path, char *err, size_t errlen);

/* True when 'name' (any case, trailing dot optional) looks generic for client address a. */
bool fcr_generic_match(const fcr_generic *g, const char *name, const fcr_addr *a);

/* fcr_generic_free(NULL) is a no-op. */
void fcr_generic_free(fcr_generic *g);

#endif
