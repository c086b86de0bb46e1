/* The files a configuration names (-c, "file:" lists, GenericPatterns, resolv.conf), opened and read
 * within bounds: a regular file (or /dev/null) of bounded size, read a bounded line at a time. A FIFO,
 * a device or /dev/zero is refused at once rather than blocking or eating memory. One reader per
 * thread; nothing shared. */
#ifndef FCR_TEXTFILE_H
#define FCR_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define FCR_TEXT_LINE_MAX 4096               /* bytes per line, newline not counted */
#define FCR_TEXT_CONFIG_MAX (1024 * 1024)    /* -c files and GenericPatterns: 1 MiB */
#define FCR_TEXT_LIST_MAX (16 * 1024 * 1024) /* "file:" lists: 16 MiB */

struct fcr_textfile {
	FILE *f;
	unsigned line;        /* number of the line last returned */
	size_t max;           /* bytes the file may hold */
	size_t read;          /* bytes read so far */
	char buf[FCR_TEXT_LINE_MAX + 2];
};

/* Opens path for reading without blocking, refusing what is not a regular file (/dev/null is
 * allowed and reads as empty) and a file larger than max bytes. Returns 0, or an errno value with
 * the reason, without the path, in why: ENOENT, EACCES, ... (strerror), EISDIR, EINVAL ("not a
 * regular file"), EFBIG ("larger than N bytes"). */
int fcr_textfile_open(struct fcr_textfile *t, const char *path, size_t max, char *why,
                      size_t whylen);

/* 1 with the next line in *line (NUL-terminated, without "\n" or "\r\n") and its length in *len,
 * 0 at the end, or -1 with the reason in why: an overlong line, a file grown past its bound, a read
 * error. t->line is the number of the line returned or refused. */
int fcr_textfile_next(struct fcr_textfile *t, char **line, size_t *len, char *why, size_t whylen);

/* fcr_textfile_close on a reader that failed to open (or twice) is a no-op. */
void fcr_textfile_close(struct fcr_textfile *t);

/* One line of a rules file, blanks trimmed at both ends, never empty or a comment. Returns 0, or -1
 * with the whole message ("path:line: ...") written into err. */
typedef int (*fcr_textfile_rule_fn)(void *arg, char *line, const char *path, unsigned lineno,
                                    char *err, size_t errlen);

/* Reads path (at most max bytes) as a rules file, one rule a line: lines checked as configuration
 * text (text.h: no control bytes, valid UTF-8), blank lines and lines starting with '#' skipped,
 * every other line given to fn. Returns 0, or -1 with the message in err: "path: why" when the file
 * cannot be opened, "path:line: why" for a line (or what fn wrote). */
int fcr_textfile_rules(const char *path, size_t max, fcr_textfile_rule_fn fn, void *arg, char *err,
                       size_t errlen);

#endif
