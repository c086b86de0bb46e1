/* Text from outside (command-line words, lines of standard input, configuration files): checked for
 * what a text file may hold, and made safe to echo in a message or a log line (no byte that a
 * terminal or a log reader would act on). Thread-safe; writes into caller buffers. */
#ifndef FCR_TEXT_H
#define FCR_TEXT_H

#include <stddef.h>

/* The first n bytes of s (NUL bytes included) with every byte outside printable ASCII, and the
 * backslash, written as \xHH; cut with "..." after 'max' input bytes or when out is full.
 * Always NUL-terminated when len > 0. Returns out. */
char *fcr_text_escape_n(const char *s, size_t n, size_t max, char *out, size_t len);

/* The same for a NUL-terminated s. */
char *fcr_text_escape(const char *s, size_t max, char *out, size_t len);

/* NULL when s (n bytes) is printable ASCII, tab or valid UTF-8; otherwise what is wrong (written to
 * why, which is returned): a NUL byte, a control character, invalid UTF-8, each with its column. */
const char *fcr_text_check(const char *s, size_t n, char *why, size_t whylen);

#endif
