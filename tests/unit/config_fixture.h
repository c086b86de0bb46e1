/* Helpers shared by the configuration tests (test_config*.c) and other tests that read files:
 * temporary files, loading a text as a configuration file, the SPEC's keyword list. */
#ifndef FCR_TEST_CONFIG_FIXTURE_H
#define FCR_TEST_CONFIG_FIXTURE_H

#include <stddef.h>

#include "config.h"

#define ERRLEN 2048

/* Every keyword of the SPEC's table. */
extern const char *const config_keyword_names[39];  /* the count: NKEYS */
#define NKEYS (sizeof(config_keyword_names) / sizeof(config_keyword_names[0]))

/* A fresh file with the given bytes; the caller frees the returned path and unlinks it (drop). */
char *temp_file(const char *data, size_t len);
char *temp_text(const char *text);
void drop(char *path);

/* Loads text as a file; on failure err (ERRLEN bytes) holds the message with the file's name
 * replaced by "F". */
struct fcr_config *load_text(const char *text, const char *const *ovr, size_t novr, char *err);

/* Loads text, which must be accepted. */
struct fcr_config *load_ok(const char *text);

/* No byte outside printable ASCII in s. */
void assert_printable(const char *s);

/* c holds every built-in default. */
void assert_defaults(const struct fcr_config *c);

#endif
