/* Client addresses: parsing with inet_pton, printing with inet_ntop, reverse names. */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* ::ffff:a.b.c.d is an IPv4 client talking to a dual-stack socket: check it as IPv4. */
static void normalise(fcr_addr *a)
{
	if (a->family == AF_INET6 && memcmp(a->bytes, v4mapped_prefix, 12) == 0) {
		memmove(a->bytes, a->bytes + 12, 4);
		memset(a->bytes + 4, 0, 12);
		a->family = AF_INET;
	}
}

bool fcr_addr_parse(const char *s, fcr_addr *out)
{
	char buf[FCR_ADDR_STRLEN + 2];
	size_t len = s ? strlen(s) : 0;

	if (len == 0 || len >= sizeof(buf))
		return false;
	if (s[0] == '[') {
		if (len < 3 || s[len - 1] != ']')
			return false;
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
	} else {
		memcpy(buf, s, len + 1);
	}
	memset(out, 0, sizeof(*out));
	if (s[0] != '[' && inet_pton(AF_INET, buf, out->bytes) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out->bytes) == 1) {
		out->family = AF_INET6;
		normalise(out);
		return true;
	}
	memset(out, 0, sizeof(*out));
	return false;
}

bool fcr_addr_from_sockaddr(const struct sockaddr *sa, fcr_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		out->family = AF_INET;
		memcpy(out->bytes, &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		out->family = AF_INET6;
		memcpy(out->bytes, &in6->sin6_addr, 16);
		normalise(out);
		return true;
	}
	return false;
}

char *fcr_addr_format(const fcr_addr *a, char *buf, size_t len)
{
	if (!len)
		return buf;
	if (!inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->bytes, buf, (socklen_t)len))
		buf[0] = '\0';
	return buf;
}

char *fcr_addr_reverse_name(const fcr_addr *a, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[FCR_REVNAME_LEN];
	size_t o = 0;

	if (a->family == AF_INET) {
		snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u.in-addr.arpa.", a->bytes[3], a->bytes[2],
		         a->bytes[1], a->bytes[0]);
	} else {
		for (int i = 15; i >= 0; i--) {
			tmp[o++] = hex[a->bytes[i] & 0xf];
			tmp[o++] = '.';
			tmp[o++] = hex[a->bytes[i] >> 4];
			tmp[o++] = '.';
		}
		memcpy(tmp + o, "ip6.arpa.", sizeof("ip6.arpa."));
	}
	snprintf(buf, len, "%s", tmp);
	return buf;
}

size_t fcr_addr_len(const fcr_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

bool fcr_addr_equal(const fcr_addr *a, const fcr_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, fcr_addr_len(a)) == 0;
}

bool fcr_addr_in_prefix(const fcr_addr *a, const fcr_addr *net, unsigned bits)
{
	if (a->family != net->family || bits > fcr_addr_len(a) * 8)
		return false;
	size_t whole = bits / 8;
	if (memcmp(a->bytes, net->bytes, whole) != 0)
		return false;
	unsigned rest = bits % 8;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->bytes[whole] & mask) == (net->bytes[whole] & mask);
}
