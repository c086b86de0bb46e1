/* Configuration text: the line reader that stops junk at the door (overlong lines, NUL bytes,
 * control characters, invalid UTF-8; lib/textfile.c bounds the files), and the helpers that keep
 * error messages printable. */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int fcr_cfg_reader_open(struct fcr_cfg_reader *r, const char *path, size_t max, char *why,
                        size_t whylen)
{
	r->path = path;
	return fcr_textfile_open(&r->t, path, max, why, whylen);
}

void fcr_cfg_reader_close(struct fcr_cfg_reader *r)
{
	fcr_textfile_close(&r->t);
}

static int reader_fail(struct fcr_cfg_reader *r, char *err, size_t errlen, const char *why)
{
	char p[FCR_CFG_QUOTE_MAX * 4 + 8];

	snprintf(err, errlen, "%s:%u: %s", fcr_text_escape(r->path, FCR_CFG_QUOTE_MAX, p, sizeof(p)),
	         r->t.line, why);
	return -1;
}

int fcr_cfg_reader_next(struct fcr_cfg_reader *r, char **line, char *err, size_t errlen)
{
	char why[96], *text;
	size_t n;
	int rc = fcr_textfile_next(&r->t, &text, &n, why, sizeof(why));

	if (rc <= 0)
		return rc < 0 ? reader_fail(r, err, errlen, why) : 0;
	if (fcr_text_check(text, n, why, sizeof(why)))
		return reader_fail(r, err, errlen, why);
	/* '#' starts a comment anywhere on a line, so values (reply texts too) cannot hold one. */
	char *hash = strchr(text, '#');
	if (hash)
		*hash = '\0';
	*line = fcr_cfg_trim(text);
	return 1;
}

char *fcr_cfg_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

bool fcr_cfg_is_none(const char *v)
{
	return !*v || strcasecmp(v, "none") == 0;
}

__attribute__((format(printf, 3, 0)))
static void vappend(struct fcr_cfg_msg *m, size_t at, const char *fmt, va_list ap)
{
	if (at < m->len)
		vsnprintf(m->buf + at, m->len - at, fmt, ap);
}

int fcr_cfg_fail(struct fcr_cfg_msg *m, const struct fcr_cfg_key *k, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(m->buf, m->len, "%s: ", k->name);

	va_start(ap, fmt);
	vappend(m, n > 0 ? (size_t)n : 0, fmt, ap);
	va_end(ap);
	m->located = false;
	return -1;
}

int fcr_cfg_bad(struct fcr_cfg_msg *m, const struct fcr_cfg_key *k, const char *val, const char *fmt,
                ...)
{
	char q[FCR_CFG_QUOTE_MAX * 4 + 8];
	va_list ap;
	int n = snprintf(m->buf, m->len, "%s: '%s' ", k->name,
	                 fcr_text_escape(val, FCR_CFG_QUOTE_MAX, q, sizeof(q)));

	va_start(ap, fmt);
	vappend(m, n > 0 ? (size_t)n : 0, fmt, ap);
	va_end(ap);
	m->located = false;
	return -1;
}

int fcr_cfg_set_str(char **dst, const char *v)
{
	char *copy = NULL;

	if (v && !(copy = strdup(v)))
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}
