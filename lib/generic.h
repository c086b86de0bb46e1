/* The generic-name attribute: does a PTR name look generated for an address (an ISP's pool, a cloud
 * default) rather than chosen for a host? Structural rules in code (the client's address embedded in
 * any order and encoding; pool words; server words), provider-specific shapes as data (GenericNames,
 * lib/generic_names.h) and the administrator's PCRE2 patterns (GenericPatterns, lib/pattern.h). Each
 * verdict carries a compact tag saying which rule decided it. A built matcher is read-only apart from
 * atomic counters: fcr_generic_explain may run on any number of threads. */
#ifndef FCR_GENERIC_H
#define FCR_GENERIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "pattern.h"

typedef struct fcr_generic fcr_generic;

/* Which rule decided. Stored as a uint8_t so that a result keeps its reason in three bytes. */
enum fcr_generic_kind {
	FCR_GENERIC_NONE = 0,     /* not generic: no rule matched */
	FCR_GENERIC_ADDRESS,      /* generic: the client address is in the name; index: FCR_EMBED_* */
	FCR_GENERIC_POOL_WORD,    /* generic: index = the word (fcr_generic_word) */
	FCR_GENERIC_SHAPE,        /* generic: index = rule number (from 1) in the GenericNames file */
	FCR_GENERIC_PATTERN,      /* generic: index = pattern number (from 1) in GenericPatterns */
	FCR_GENERIC_SERVER_WORD,  /* not generic: a server word outweighed the rest; index = the word */
	FCR_GENERIC_SENDER,       /* not generic: a known sender rule of GenericNames; index = rule */
};

/* The reason of one verdict: small enough for a cache entry. */
struct fcr_generic_tag {
	uint8_t kind;             /* enum fcr_generic_kind */
	uint16_t index;
};

/* How the address is embedded (FCR_GENERIC_ADDRESS): the encoding, then the order. */
#define FCR_EMBED_DECIMAL    0x0001u  /* IPv4 as four decimal numbers */
#define FCR_EMBED_PADDED     0x0002u  /* ... some zero-padded ("034") */
#define FCR_EMBED_HEX        0x0004u  /* IPv4 as 8 hex digits */
#define FCR_EMBED_INTEGER    0x0008u  /* IPv4 as one 32-bit decimal number */
#define FCR_EMBED_GLUED      0x0010u  /* IPv4 as 12 zero-padded digits in one run */
#define FCR_EMBED_NIBBLES    0x0020u  /* IPv6 as hex nibbles */
#define FCR_EMBED_HEXTETS    0x0040u  /* IPv6 as eight 16-bit groups */
#define FCR_EMBED_COMPRESSED 0x0080u  /* IPv6 in its compressed text form, '-' for ':' */
#define FCR_EMBED_IID        0x0100u  /* IPv6: the interface identifier (last 64 bits) only */
#define FCR_EMBED_REVERSED   0x0200u  /* last octet (or nibble, hextet) first */
#define FCR_EMBED_SWAPPED    0x0400u  /* octets swapped in pairs (b a d c) */
#define FCR_EMBED_ROTATED    0x0800u  /* in order, but starting elsewhere (d a b c) */
#define FCR_EMBED_REORDERED  0x1000u  /* another order */
#define FCR_EMBED_SPLIT      0x2000u  /* spread over labels with other separators between */
#define FCR_EMBED_DOTTED     0x4000u  /* every separator a dot */

/* Built-in rules, plus the administrator's patterns (one PCRE2 pattern a line, fcr_patterns_load)
 * when 'patterns' is not NULL, plus the rules of a GenericNames file (lib/generic_names.h) when
 * 'names' is not NULL. NULL with "path: reason" or "path:line: reason" in err. */
fcr_generic *fcr_generic_new(const char *patterns, const char *names, char *err, size_t errlen);

/* True when 'name' (any case, trailing dot optional) looks generic for client address a (may be
 * NULL: then only words and shapes can tell). *why (may be NULL) receives the deciding rule, and
 * *limited (may be NULL) whether a pattern hit a PCRE2 limit on the name (it then counted as no
 * match). Precedence: a GenericPatterns pattern (generic), a GenericNames sender rule (not generic),
 * the address (generic), a server word (not generic), a GenericNames shape (generic), a pool word
 * (generic). */
bool fcr_generic_explain(const fcr_generic *g, const char *name, const fcr_addr *a,
                         struct fcr_generic_tag *why, bool *limited);

/* fcr_generic_explain without the tag. */
bool fcr_generic_judge(const fcr_generic *g, const char *name, const fcr_addr *a, bool *limited);
bool fcr_generic_match(const fcr_generic *g, const char *name, const fcr_addr *a);

/* True for the kinds that make a name generic. */
bool fcr_generic_tag_generic(struct fcr_generic_tag t);

/* The word behind a POOL_WORD or SERVER_WORD tag ("dsl", "mail"), or "?" for another index. */
const char *fcr_generic_word(enum fcr_generic_kind kind, unsigned index);

/* The reason in words, e.g. "address embedded: decimal, reversed", "pool word \"dsl\"",
 * "pattern 3 of FILE", "rule 12 of FILE"; the files are those of the configuration (NULL: "?").
 * "" for FCR_GENERIC_NONE. Returns buf. */
char *fcr_generic_why(struct fcr_generic_tag t, const char *patterns, const char *names, char *buf,
                      size_t len);

/* The reason as one short token for log lines: "address", "pool:dsl", "shape:12", "pattern:3",
 * "server:mail", "sender:2", or "-" for none. Returns buf. */
char *fcr_generic_tag_short(struct fcr_generic_tag t, char *buf, size_t len);

/* The hook for patterns hitting a limit (see fcr_patterns_set_hook); call before sharing g. */
void fcr_generic_set_hook(fcr_generic *g, fcr_pattern_limit_fn fn, void *arg);

/* Matches of the patterns (GenericPatterns and GenericNames) that hit a limit since g was built. */
uint64_t fcr_generic_limit_hits(const fcr_generic *g);

/* Whether a and b hold the same rules (GenericPatterns and GenericNames, compared by digest), so
 * that what one decided the other would decide too. Comments and blank lines do not count. */
bool fcr_generic_same_rules(const fcr_generic *a, const fcr_generic *b);

/* fcr_generic_free(NULL) is a no-op. */
void fcr_generic_free(fcr_generic *g);

#endif
