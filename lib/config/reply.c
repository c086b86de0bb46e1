/* RejectReply and TempfailReply: "CODE X.Y.Z text" with an RFC 5321 reply code of the right
 * class, a matching RFC 3463 enhanced code, and a printable text whose only escapes are
 * %a, %n and %% (libmilter itself treats a stray '%' as a format and drops the text), short
 * enough that the expanded reply line keeps within RFC 5321's 512 bytes. */
#include "internal.h"
#include "format.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_TEXT_MAX 256

/* "0" or 1-3 digits without a leading zero (RFC 3463 subject and detail). */
static size_t status_number(const char *s)
{
	size_t n = 0;

	while (n < 4 && isdigit((unsigned char)s[n]))
		n++;
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return 0;
	return n;
}

/* Length of "C.SSS.DDD" at s with class cls, or 0. */
static size_t enhanced_code(const char *s, int cls)
{
	size_t a, b;

	if (s[0] != '0' + cls || s[1] != '.')
		return 0;
	if (!(a = status_number(s + 2)) || s[2 + a] != '.')
		return 0;
	if (!(b = status_number(s + 3 + a)))
		return 0;
	return 3 + a + b;
}

static int check_text(const struct fcr_cfg_key *k, const char *text, struct fcr_cfg_msg *m)
{
	size_t n = strlen(text);

	if (n == 0)
		return fcr_cfg_fail(m, k, "needs a text after the codes");
	if (n > REPLY_TEXT_MAX)
		return fcr_cfg_fail(m, k, "text longer than %d bytes", REPLY_TEXT_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch < 32 || ch > 126)
			return fcr_cfg_bad(m, k, text, "has a byte outside printable ASCII");
		if (ch != '%')
			continue;
		if (text[i + 1] != 'a' && text[i + 1] != 'n' && text[i + 1] != '%') {
			char esc[3] = { '%', text[i + 1], '\0' };
			return fcr_cfg_bad(m, k, esc, "in the text is not %%a, %%n or %%%%");
		}
		i++;
	}
	return 0;
}

/* The longest reply line the text can make: every %a the longest address, every %n the least a
 * name keeps (a longer one is shortened to fit, see format.h), CRLF included. */
static size_t worst_line(const struct fcr_smtp_reply *r, const char *text)
{
	size_t n = strlen(r->code) + 1 + strlen(r->xcode) + 1 + 2;
	for (const char *p = text; *p; p++) {
		if (*p != '%') {
			n++;
			continue;
		}
		p++;  /* check_text made sure a '%' is followed by 'a', 'n' or '%' */
		n += *p == 'a' ? FCR_REPLY_ADDR_MAX : *p == 'n' ? FCR_REPLY_NAME_MIN : 1;
	}
	return n;
}

int fcr_cfg_reply_parse(const struct fcr_cfg_key *k, int cls, const char *v,
                        struct fcr_smtp_reply *r, struct fcr_cfg_msg *m)
{
	const char *p = v;
	size_t xlen;

	if (!*v)
		return fcr_cfg_fail(m, k, "missing value");
	if (p[0] != '0' + cls || p[1] < '0' || p[1] > '5' || !isdigit((unsigned char)p[2]) ||
	    (p[3] != ' ' && p[3] != '\t'))
		return fcr_cfg_bad(m, k, v, "must start with a %dxx reply code and a blank", cls);
	memcpy(r->code, p, 3);
	r->code[3] = '\0';
	p += 3;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!(xlen = enhanced_code(p, cls)) || (p[xlen] != ' ' && p[xlen] != '\t' && p[xlen]))
		return fcr_cfg_bad(m, k, v, "needs an enhanced status code %d.X.Y after %s", cls, r->code);
	memcpy(r->xcode, p, xlen);
	r->xcode[xlen] = '\0';
	p += xlen;
	while (*p == ' ' || *p == '\t')
		p++;
	if (check_text(k, p, m) < 0)
		return -1;
	if (worst_line(r, p) > FCR_REPLY_LINE_MAX)
		return fcr_cfg_fail(m, k, "text too long: the reply line could exceed %d bytes (each %%a "
		                    "counts %d, each %%n at least %d)", FCR_REPLY_LINE_MAX,
		                    FCR_REPLY_ADDR_MAX, FCR_REPLY_NAME_MIN);
	return (r->text = strdup(p)) ? 0 : fcr_cfg_fail(m, k, "out of memory");
}

int fcr_cfg_p_reply(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                    struct fcr_cfg_msg *m)
{
	struct fcr_smtp_reply *field = (struct fcr_smtp_reply *)(void *)((char *)c + k->off);
	struct fcr_smtp_reply r = { .text = NULL };

	if (fcr_cfg_reply_parse(k, (int)k->min, v, &r, m) < 0)
		return -1;
	free(field->text);
	*field = r;
	return 0;
}
