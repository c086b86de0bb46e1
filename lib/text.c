/* Checking text from outside, and escaping it before it is echoed (see text.h). */
#include "text.h"

#include <stdio.h>
#include <string.h>

char *fcr_text_escape_n(const char *s, size_t n, size_t max, char *out, size_t len)
{
	size_t o = 0, i = 0;

	if (!len)
		return out;
	/* Room for one escape (4) and the NUL before each byte, so no escape is ever cut. */
	for (; i < n && i < max && o + 5 < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch);
	}
	if (i < n && o + 4 <= len)
		o += (size_t)snprintf(out + o, len - o, "...");
	out[o] = '\0';
	return out;
}

char *fcr_text_escape(const char *s, size_t max, char *out, size_t len)
{
	return fcr_text_escape_n(s, strlen(s), max, out, len);
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

const char *fcr_text_check(const char *s, size_t n, char *why, size_t whylen)
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
