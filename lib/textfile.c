/* Bounded reading of the files a configuration names: the checks at open (kind of file, size) and
 * a line reader that never grows past FCR_TEXT_LINE_MAX or the file's bound. */
#include "textfile.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(int e, char *why, size_t whylen, const char *text)
{
	snprintf(why, whylen, "%s", text ? text : strerror(e));
	return e;
}

/* /dev/null under any name (a symbolic link to it, a bind mount): the same character device. */
static bool is_dev_null(const struct stat *st)
{
	struct stat null;

	return S_ISCHR(st->st_mode) && stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) &&
	       st->st_rdev == null.st_rdev;
}

/* What is wrong with the file behind st for reading as text, or 0. */
static int check_kind(const struct stat *st, size_t max, char *why, size_t whylen)
{
	if (S_ISDIR(st->st_mode))
		return fail(EISDIR, why, whylen, NULL);
	if (is_dev_null(st))
		return 0;
	if (!S_ISREG(st->st_mode))
		return fail(EINVAL, why, whylen, "not a regular file");
	if ((unsigned long long)st->st_size > max) {
		snprintf(why, whylen, "larger than %zu bytes", max);
		return EFBIG;
	}
	return 0;
}

int fcr_textfile_open(struct fcr_textfile *t, const char *path, size_t max, char *why,
                      size_t whylen)
{
	struct stat st;
	int fd, e;

	t->f = NULL;
	t->line = 0;
	t->max = max;
	t->read = 0;
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) < 0)
		return fail(errno ? errno : EIO, why, whylen, NULL);
	if (fstat(fd, &st) != 0)
		e = fail(errno ? errno : EIO, why, whylen, NULL);
	else
		e = check_kind(&st, max, why, whylen);
	if (e == 0 && !(t->f = fdopen(fd, "r")))
		e = fail(errno ? errno : ENOMEM, why, whylen, NULL);
	if (e != 0)
		close(fd);
	return e;
}

void fcr_textfile_close(struct fcr_textfile *t)
{
	if (t->f)
		fclose(t->f);
	t->f = NULL;
}

int fcr_textfile_next(struct fcr_textfile *t, char **line, size_t *len, char *why, size_t whylen)
{
	size_t n = 0;
	int ch;

	if (!t->f)
		return 0;
	while ((ch = getc(t->f)) != EOF) {
		/* The size seen at open is no promise: the file may be growing while it is read. */
		if (++t->read > t->max) {
			t->line++;
			snprintf(why, whylen, "file larger than %zu bytes", t->max);
			return -1;
		}
		if (ch == '\n')
			break;
		if (n >= FCR_TEXT_LINE_MAX) {
			t->line++;
			snprintf(why, whylen, "line longer than %d bytes", FCR_TEXT_LINE_MAX);
			return -1;
		}
		t->buf[n++] = (char)ch;
	}
	if (ch == EOF && ferror(t->f)) {
		snprintf(why, whylen, "%s", strerror(errno ? errno : EIO));
		return -1;
	}
	if (ch == EOF && n == 0)
		return 0;
	t->line++;
	if (n && t->buf[n - 1] == '\r')  /* a file written on Windows */
		n--;
	t->buf[n] = '\0';
	*line = t->buf;
	*len = n;
	return 1;
}

static void trim_blanks(char **s, size_t *n)
{
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*s)[--*n] = '\0';
	while (**s == ' ' || **s == '\t') {
		(*s)++;
		(*n)--;
	}
}

static int each_rule(struct fcr_textfile *t, const char *path, fcr_textfile_rule_fn fn, void *arg,
                     char *err, size_t errlen)
{
	char why[96], *line;
	size_t len;
	int rc;

	while ((rc = fcr_textfile_next(t, &line, &len, why, sizeof(why))) == 1) {
		if (fcr_text_check(line, len, why, sizeof(why)))
			break;
		trim_blanks(&line, &len);
		if (len == 0 || line[0] == '#')
			continue;
		if (fn(arg, line, path, t->line, err, errlen) < 0)
			return -1;
	}
	if (rc == 0)
		return 0;
	snprintf(err, errlen, "%s:%u: %s", path, t->line, why);
	return -1;
}

int fcr_textfile_rules(const char *path, size_t max, fcr_textfile_rule_fn fn, void *arg, char *err,
                       size_t errlen)
{
	struct fcr_textfile t;
	char why[96];
	if (fcr_textfile_open(&t, path, max, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	int rc = each_rule(&t, path, fn, arg, err, errlen);
	fcr_textfile_close(&t);
	return rc;
}
