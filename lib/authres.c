/* RFC 8601 Authentication-Results parsing (authres.h): only as far as the authserv-id, which is
 * all the milter needs to find a sender's forged copy of its own header. */
#include "authres.h"

#include <string.h>
#include <strings.h>

/* The longest authserv-id worth reading: the configured one is a token of at most 255 bytes. */
#define ID_MAX 256

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 token characters: printable ASCII without SPACE and tspecials. */
static bool is_token_char(char c)
{
	unsigned char u = (unsigned char)c;
	return u > 0x20 && u < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

/* Skips a comment starting at p ('('), nested comments and quoted-pairs included. Returns the
 * byte after its closing ')', or NULL when the value ends first. */
static const char *skip_comment(const char *p)
{
	size_t depth = 0;
	for (; *p; p++) {
		if (*p == '\\') {
			if (!*++p)
				return NULL;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')' && --depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

/* Skips CFWS (folding white space and comments). NULL on an unbalanced comment. */
static const char *skip_cfws(const char *p)
{
	for (;;) {
		while (is_wsp(*p))
			p++;
		if (*p != '(')
			return p;
		if (!(p = skip_comment(p)))
			return NULL;
	}
}

/* The content of a quoted-string starting at p ('"') into buf. Returns the byte after the closing
 * quote, or NULL when the value ends first; *fits is false when buf was too small. */
static const char *read_quoted(const char *p, char *buf, size_t len, bool *fits)
{
	size_t o = 0;
	*fits = true;
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\') {
			if (!*++p)
				return NULL;
		} else if (*p == '\r' || *p == '\n') {
			continue;  /* the line break of FWS is not part of the content */
		}
		if (o + 1 < len)
			buf[o++] = *p;
		else
			*fits = false;
	}
	if (len)
		buf[o] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

static const char *read_token(const char *p, char *buf, size_t len, bool *fits)
{
	size_t n = 0;
	while (is_token_char(p[n]))
		n++;
	*fits = n < len;
	if (len) {
		size_t k = *fits ? n : len - 1;
		memcpy(buf, p, k);
		buf[k] = '\0';
	}
	return n ? p + n : NULL;
}

int fcr_authres_authserv_id(const char *value, char *buf, size_t len)
{
	bool fits;
	const char *p = value ? skip_cfws(value) : NULL;

	if (len)
		buf[0] = '\0';
	if (!p)
		return 0;
	p = *p == '"' ? read_quoted(p, buf, len, &fits) : read_token(p, buf, len, &fits);
	/* What may follow: [CFWS authres-version] then ';' (RFC 8601 §2.2), or nothing at all. */
	if (!p || (*p && !is_wsp(*p) && *p != '(' && *p != ';')) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	return fits ? 1 : -1;
}

bool fcr_authres_is_from(const char *value, const char *id)
{
	char got[ID_MAX + 1];
	return id && fcr_authres_authserv_id(value, got, sizeof(got)) == 1 && strcasecmp(got, id) == 0;
}
