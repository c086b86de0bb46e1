/* GenericNames: the shipped, documented data file of provider-specific name shapes (cloud defaults,
 * access pools named by line, MAC address or provider code) and of known senders' outbound names
 * that are never generic. One rule a line, "generic PATTERN" or "sender PATTERN" (PCRE2, matched
 * case-insensitively against the lower-case name without trailing dot, under lib/pattern.h's
 * limits); blank lines and lines starting with '#' are skipped. Rules are numbered from 1 in file
 * order; the first that matches decides. A loaded set is read-only apart from atomic counters. */
#ifndef FCR_GENERIC_NAMES_H
#define FCR_GENERIC_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pattern.h"

typedef struct fcr_generic_names fcr_generic_names;

/* Reads path (lib/textfile.h bounds). NULL with "path: reason" or "path:line: reason" in err. */
fcr_generic_names *fcr_generic_names_load(const char *path, char *err, size_t errlen);

/* The number (from 1) of the first rule matching text[0..len), 0 when none; *sender says whether
 * that rule is a sender rule, *limited (may be NULL) whether a rule hit a PCRE2 limit. */
unsigned fcr_generic_names_find(const fcr_generic_names *r, const char *text, size_t len,
                                bool *sender, bool *limited);

void fcr_generic_names_set_hook(fcr_generic_names *r, fcr_pattern_limit_fn fn, void *arg);
uint64_t fcr_generic_names_limit_hits(const fcr_generic_names *r);

/* A digest of the rules (patterns and kinds, in file order); 0 for NULL or no rule. */
uint64_t fcr_generic_names_digest(const fcr_generic_names *r);

/* fcr_generic_names_free(NULL) is a no-op. */
void fcr_generic_names_free(fcr_generic_names *r);

#endif
