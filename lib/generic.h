/* The generic-name attribute: does a PTR name look like an ISP's dynamic pool rather than a mail
 * server? Either it embeds the client's address (decimal or hex, any separator, either order) or it
 * carries pool words (dyn, dhcp, dsl, cable, ppp, ...) — unless a label says static/mail/mx/smtp.
 * Administrators add PCRE2 patterns (lib/pattern.h), one a line. A built matcher is read-only apart
 * from atomic counters: fcr_generic_match may run on any number of threads. */
#ifndef FCR_GENERIC_H
#define FCR_GENERIC_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "pattern.h"

typedef struct fcr_generic fcr_generic;

/* Built-in rules, plus the patterns of 'path' when not NULL: one PCRE2 pattern a line,
 * case-insensitive, matched against the lower-case name without trailing dot; blank lines and lines
 * starting with '#' are skipped (fcr_patterns_load). NULL with "path: reason" or "path:line: reason"
 * in err on a file that cannot be read or a bad pattern. */
fcr_generic *fcr_generic_new(const char *path, char *err, size_t errlen);

/* True when 'name' (any case, trailing dot optional) looks generic for client address a. An
 * administrator's pattern comes first: when one matches, the name is generic whatever the built-in
 * rules say. */
bool fcr_generic_match(const fcr_generic *g, const char *name, const fcr_addr *a);

/* The same, and *limited (may be NULL) says whether a pattern hit a PCRE2 limit on the name (it
 * then counted as no match). */
bool fcr_generic_judge(const fcr_generic *g, const char *name, const fcr_addr *a, bool *limited);

/* The hook for patterns hitting a limit (see fcr_patterns_set_hook); call before sharing g. */
void fcr_generic_set_hook(fcr_generic *g, fcr_pattern_limit_fn fn, void *arg);

/* Matches of the patterns that hit a limit since g was built. */
uint64_t fcr_generic_limit_hits(const fcr_generic *g);

/* fcr_generic_free(NULL) is a no-op. */
void fcr_generic_free(fcr_generic *g);

#endif
