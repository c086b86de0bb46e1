/* Configuration text: the line reader that stops junk at the door (overlong lines, NUL bytes,
 * control characters, invalid UTF-8), and the helpers that keep error messages printable. */
#include "config_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

int fcr_cfg_reader_open(struct fcr_cfg_reader *r, const char *path)
{
	struct stat st;

	r->path = path;
	r->line = 0;
	r->f = fopen(path, "r");
	if (!r->f)
		return errno ? errno : EIO;
	/* fopen happily opens a directory; say so now rather than as a read error later. */
	if (fstat(fileno(r->f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(r->f);
		r->f = NULL;
		return EISDIR;
	}
	return 0;
}

void fcr_cfg_reader_close(struct fcr_cfg_reader *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
}

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 when it is not valid UTF-8:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

const char *fcr_cfg_check_text(const char *s, size_t n, char *why, size_t whylen)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		if (u[i] == '\0') {
			snprintf(why, whylen, "NUL byte in column %zu", i + 1);
			return why;
		}
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f) {
			snprintf(why, whylen, "control character \\x%02x in column %zu", u[i], i + 1);
			return why;
		}
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		size_t len = utf8_len(u + i, n - i);
		if (!len) {
			snprintf(why, whylen, "invalid UTF-8 (byte \\x%02x in column %zu)", u[i], i + 1);
			return why;
		}
		i += len;
	}
	return NULL;
}

static int reader_fail(struct fcr_cfg_reader *r, char *err, size_t errlen, const char *why)
{
	char p[FCR_CFG_QUOTE_MAX * 4 + 8];

	snprintf(err, errlen, "%s:%u: %s", fcr_cfg_escape(r->path, FCR_CFG_QUOTE_MAX, p, sizeof(p)),
	         r->line, why);
	return -1;
}

/* Reads one raw line into r->buf; returns its length, -2 at the end, or -1 on error. */
static long read_raw(struct fcr_cfg_reader *r, char *err, size_t errlen)
{
	size_t n = 0;
	int ch;

	while ((ch = getc(r->f)) != EOF && ch != '\n') {
		if (n >= FCR_CFG_LINE_MAX) {
			char why[64];
			snprintf(why, sizeof(why), "line longer than %d bytes", FCR_CFG_LINE_MAX);
			r->line++;
			return reader_fail(r, err, errlen, why);
		}
		r->buf[n++] = (char)ch;
	}
	if (ch == EOF && ferror(r->f)) {
		char p[FCR_CFG_QUOTE_MAX * 4 + 8];
		snprintf(err, errlen, "%s: %s", fcr_cfg_escape(r->path, FCR_CFG_QUOTE_MAX, p, sizeof(p)),
		         strerror(errno ? errno : EIO));
		return -1;
	}
	if (ch == EOF && n == 0)
		return -2;
	r->line++;
	if (n && r->buf[n - 1] == '\r')  /* a file written on Windows */
		n--;
	r->buf[n] = '\0';
	return (long)n;
}

int fcr_cfg_reader_next(struct fcr_cfg_reader *r, char **line, char *err, size_t errlen)
{
	char why[96];
	long n = read_raw(r, err, errlen);

	if (n == -2)
		return 0;
	if (n < 0)
		return -1;
	if (fcr_cfg_check_text(r->buf, (size_t)n, why, sizeof(why)))
		return reader_fail(r, err, errlen, why);
	/* '#' starts a comment anywhere on a line, so values (reply texts too) cannot hold one. */
	char *hash = strchr(r->buf, '#');
	if (hash)
		*hash = '\0';
	*line = fcr_cfg_trim(r->buf);
	return 1;
}

char *fcr_cfg_escape(const char *s, size_t max, char *out, size_t len)
{
	size_t o = 0, i = 0;

	if (!len)
		return out;
	for (; s[i] && i < max && o + 5 < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch);
	}
	if (s[i] && o + 4 <= len)
		o += (size_t)snprintf(out + o, len - o, "...");
	out[o] = '\0';
	return out;
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
	                 fcr_cfg_escape(val, FCR_CFG_QUOTE_MAX, q, sizeof(q)));

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
