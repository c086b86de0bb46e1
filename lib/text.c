/* Escaping text from outside before it is echoed (see text.h). */
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
