/* Host name syntax, checked before a PTR name may confirm anything. */
#include "hostname.h"

#include <stddef.h>
#include <string.h>

static bool ldh(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-';
}

/* Checks one label [s, s+len); *numeric tells whether it is digits only. */
static bool label_valid(const char *s, size_t len, bool *numeric)
{
	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	*numeric = true;
	for (size_t i = 0; i < len; i++) {
		if (!ldh(s[i]))
			return false;
		if (s[i] < '0' || s[i] > '9')
			*numeric = false;
	}
	return true;
}

bool fcr_hostname_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	bool numeric = false;

	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (size_t start = 0; start <= len;) {
		const char *dot = memchr(name + start, '.', len - start);
		size_t end = dot ? (size_t)(dot - name) : len;
		if (!label_valid(name + start, end - start, &numeric))
			return false;
		start = end + 1;
	}
	return !numeric;
}
