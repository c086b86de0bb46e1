/* Administrators' regular expressions (GenericPatterns) in PCRE2 syntax, the dialect of Postfix pcre:
 * tables, SpamAssassin and rspamd: compiled once (JIT where available), each match bounded by PCRE2's
 * match, depth and heap limits, so that a PTR name chosen by an attacker costs milliseconds at
 * worst. A match that hits a limit counts as no match and is counted per pattern.
 * A built set is read-only apart from its atomic counters: fcr_patterns_match may run on any number
 * of threads at once; building and fcr_patterns_set_hook happen before the set is shared. */
#ifndef FCR_PATTERN_H
#define FCR_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FCR_PATTERNS_MAX 1000          /* patterns in one set (each is tried on every PTR name) */
#define FCR_PATTERN_MAX_LEN 1024       /* bytes of one pattern */
#define FCR_PATTERN_NEST_MAX 32        /* nested parentheses */
#define FCR_PATTERN_MATCH_LIMIT 100000 /* PCRE2 match limit: backtracking steps of one match */
#define FCR_PATTERN_DEPTH_LIMIT 2000   /* PCRE2 depth limit: backtracking depth (interpreter) */
#define FCR_PATTERN_HEAP_LIMIT 512     /* PCRE2 heap limit in KiB (interpreter) */

typedef struct fcr_patterns fcr_patterns;

/* Called on every match that hit a limit, with where the pattern came from, PCRE2's words for the
 * limit ("match limit exceeded", ...) and whether this is the pattern's first such match (so that
 * a log says it once). Runs on the matching thread; must be thread-safe. */
typedef void (*fcr_pattern_limit_fn)(void *arg, const char *file, unsigned line, const char *what,
                                     bool first);

/* An empty set whose patterns run as JIT code where PCRE2 has it (jit false: always the
 * interpreter, as where JIT is missing). NULL when out of memory. */
fcr_patterns *fcr_patterns_new(bool jit);

/* Compiles re (case-insensitive) into the set, remembering file and line for messages. Returns 0,
 * or -1 with "file:line: reason" in err: a syntax error (with its offset), a pattern over the length
 * or nesting bounds, \C, (*UTF), a set already holding FCR_PATTERNS_MAX patterns. */
int fcr_patterns_add(fcr_patterns *p, const char *re, const char *file, unsigned line, char *err,
                     size_t errlen);

/* Reads a pattern file (lib/textfile.h bounds: a regular file of at most 1 MiB, lines of at most
 * 4096 bytes): one pattern a line, blanks around it ignored, blank lines and lines starting with '#'
 * skipped. NULL with "path: reason" or "path:line: reason" in err. */
fcr_patterns *fcr_patterns_load(const char *path, char *err, size_t errlen);

/* The hook for limit hits (fn NULL: none). Call before the set is shared. */
void fcr_patterns_set_hook(fcr_patterns *p, fcr_pattern_limit_fn fn, void *arg);

/* True when one of the patterns matches text[0..len). *limited (may be NULL) is set when a
 * pattern hit a limit on it (that pattern counted as no match). */
bool fcr_patterns_match(const fcr_patterns *p, const char *text, size_t len, bool *limited);

/* The same, giving the index (from 0, in the order added) of the first pattern that matches, or
 * -1 when none does. */
long fcr_patterns_find(const fcr_patterns *p, const char *text, size_t len, bool *limited);

/* Number of patterns, and of matches that hit a limit since the set was built. */
size_t fcr_patterns_count(const fcr_patterns *p);
uint64_t fcr_patterns_limit_hits(const fcr_patterns *p);

/* FNV-1a, 64 bits: h (0 to start) folded with len bytes of data. */
uint64_t fcr_digest_add(uint64_t h, const void *data, size_t len);

/* A digest of the patterns' texts in the order added (FNV-1a, 64 bits): two sets with the same
 * digest match alike, so a cache of their verdicts may be kept. 0 for NULL or an empty set. */
uint64_t fcr_patterns_digest(const fcr_patterns *p);

/* True when every pattern runs as JIT code (false: some or all use the interpreter). */
bool fcr_patterns_jit(const fcr_patterns *p);

/* fcr_patterns_free(NULL) is a no-op. */
void fcr_patterns_free(fcr_patterns *p);

#endif
