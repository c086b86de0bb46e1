/* Private to lib/config*.c: the keyword table, the value parsers, the line reader and the
 * helpers that turn bad input into printable "Keyword: what is wrong" messages. */
#ifndef FCR_CONFIG_INTERNAL_H
#define FCR_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "text.h"
#include "textfile.h"

#define FCR_CFG_LINE_MAX FCR_TEXT_LINE_MAX  /* bytes per line, and per -o override */
#define FCR_CFG_QUOTE_MAX 64   /* bytes of a bad value echoed in a message before "..." */

/* Where a parser says why a value is bad. */
struct fcr_cfg_msg {
	char *buf;
	size_t len;
	bool located;  /* buf already starts with its own "file:line: " (an item of a file: list) */
};

struct fcr_cfg_key;
typedef int (*fcr_cfg_parse_fn)(const struct fcr_cfg_key *k, struct fcr_config *c, const char *val,
                                struct fcr_cfg_msg *m);

struct fcr_cfg_key {
	const char *name;       /* as the documentation spells it; matched case-insensitively */
	fcr_cfg_parse_fn parse; /* returns 0, or -1 with the reason in m */
	size_t off;             /* the field in struct fcr_config */
	long min, max;          /* range of numbers (milliseconds for durations); reply class */
};

/* The keyword called name[0..len), or NULL. */
const struct fcr_cfg_key *fcr_cfg_key_find(const char *name, size_t len);
/* Position of k in the table, below fcr_cfg_key_count(). */
size_t fcr_cfg_key_index(const struct fcr_cfg_key *k);
size_t fcr_cfg_key_count(void);

/* fcr_config_load with the default file's name and its "missing means defaults" rule spelled out
 * (so that tests need not touch /etc). */
struct fcr_config *fcr_cfg_load(const char *path, bool missing_ok, const char *const *overrides,
                                size_t noverrides, char *err, size_t errlen);

/* Built-in defaults into a zeroed c. Returns 0, or -1 when out of memory. */
int fcr_cfg_defaults(struct fcr_config *c);

/* A line-at-a-time reader over a bounded file (lib/textfile.h) that refuses NUL bytes, control
 * characters and invalid UTF-8, so that nothing after it ever sees such bytes. */
struct fcr_cfg_reader {
	struct fcr_textfile t;
	const char *path;
};

/* Returns 0, or an errno value (ENOENT, EACCES, EISDIR, ...) with the reason in why (see
 * fcr_textfile_open; max is the file's bound in bytes). */
int fcr_cfg_reader_open(struct fcr_cfg_reader *r, const char *path, size_t max, char *why,
                        size_t whylen);
/* 1 with the next line in *line (comment cut, trimmed, maybe empty), 0 at the end, or -1 with
 * "path:line: reason" in err. The line's number is r->t.line. */
int fcr_cfg_reader_next(struct fcr_cfg_reader *r, char **line, char *err, size_t errlen);
void fcr_cfg_reader_close(struct fcr_cfg_reader *r);

/* s without leading and trailing blanks (in place). */
char *fcr_cfg_trim(char *s);

/* True for an empty value or "none" (any case): unset an optional value, clear a list. */
bool fcr_cfg_is_none(const char *v);

/* "Keyword: <fmt>" into m. Return -1. */
int fcr_cfg_fail(struct fcr_cfg_msg *m, const struct fcr_cfg_key *k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "Keyword: 'value' <fmt>" into m, the value escaped. Return -1. */
int fcr_cfg_bad(struct fcr_cfg_msg *m, const struct fcr_cfg_key *k, const char *val, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

/* Replaces *dst with a copy of v (NULL for NULL). Returns 0, or -1 when out of memory. */
int fcr_cfg_set_str(char **dst, const char *v);

/* A list value: items split on commas and blanks, "file:/path" items read one a line.
 * 'add' gets each item and writes why it is bad into why. Errors inside a file are located there. */
typedef int (*fcr_cfg_item_fn)(void *acc, const char *item, char *why, size_t whylen);
int fcr_cfg_list(const struct fcr_cfg_key *k, const char *val, fcr_cfg_item_fn add, void *acc,
                 struct fcr_cfg_msg *m);

/* Value parsers used in the keyword table (values.c). */
int fcr_cfg_p_socket(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                     struct fcr_cfg_msg *m);
int fcr_cfg_p_user(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                   struct fcr_cfg_msg *m);
int fcr_cfg_p_authserv(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                       struct fcr_cfg_msg *m);
int fcr_cfg_p_header(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                     struct fcr_cfg_msg *m);
int fcr_cfg_p_reply(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                    struct fcr_cfg_msg *m);
int fcr_cfg_p_nameservers(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                          struct fcr_cfg_msg *m);
int fcr_cfg_p_cidrs(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                    struct fcr_cfg_msg *m);
int fcr_cfg_p_patterns(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                       struct fcr_cfg_msg *m);
int fcr_cfg_p_names(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                    struct fcr_cfg_msg *m);

/* True when s is a valid authserv-id token (default from the host name uses it too). */
bool fcr_cfg_valid_token(const char *s);
/* Parses "CODE X.Y.Z text" for reply class 4 or 5 into r (text freshly allocated). */
int fcr_cfg_reply_parse(const struct fcr_cfg_key *k, int cls, const char *v,
                        struct fcr_smtp_reply *r, struct fcr_cfg_msg *m);

#endif
