/* CIDR lists (ExemptHosts): parsing "net/bits" strictly (no host bits, no junk) and matching
 * client addresses by a linear scan, which is plenty for the handful of networks such lists hold. */
#include "cidr.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CIDR_TEXT_MAX 128  /* far above the longest "[ipv6]/128" */

struct cidr {
	fcr_addr net;
	unsigned bits;
};

struct fcr_cidrs {
	struct cidr *v;
	size_t n, cap;
};

fcr_cidrs *fcr_cidrs_new(void)
{
	return calloc(1, sizeof(fcr_cidrs));
}

void fcr_cidrs_free(fcr_cidrs *l)
{
	if (!l)
		return;
	free(l->v);
	free(l);
}

void fcr_cidrs_clear(fcr_cidrs *l)
{
	l->n = 0;
}

size_t fcr_cidrs_count(const fcr_cidrs *l)
{
	return l->n;
}

/* Error messages echo the input, which may be anything: keep them printable. */
static void escape(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 5 < len; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch);
	}
	if (*s && o + 4 <= len)
		o += (size_t)snprintf(out + o, len - o, "...");
	out[o] = '\0';
}

static int fail(char *err, size_t errlen, const char *text, const char *why)
{
	char q[80];

	escape(text, q, sizeof(q));
	snprintf(err, errlen, "%s: %s", q, why);
	return -1;
}

/* Prefix length: 1 to 3 decimal digits, nothing else. */
static bool parse_bits(const char *s, unsigned *bits)
{
	unsigned v = 0;
	size_t n = 0;

	for (; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n >= 3)
			return false;
		v = v * 10 + (unsigned)(s[n] - '0');
	}
	*bits = v;
	return n > 0;
}

static bool host_bits_clear(const fcr_addr *a, unsigned bits)
{
	size_t len = fcr_addr_len(a);

	for (size_t i = 0; i < len; i++) {
		unsigned keep = bits >= (i + 1) * 8 ? 8 : bits > i * 8 ? bits - (unsigned)i * 8 : 0;
		uint8_t host = (uint8_t)(0xffu >> keep);
		if (a->bytes[i] & host)
			return false;
	}
	return true;
}

static int push(fcr_cidrs *l, const fcr_addr *net, unsigned bits, char *err, size_t errlen)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct cidr *v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].net = *net;
	l->v[l->n].bits = bits;
	l->n++;
	return 0;
}

/* An IPv6-mapped network comes back from fcr_addr_parse as IPv4; its length counts from bit 96. */
static int mapped_bits(unsigned bits, bool has_bits, unsigned *out)
{
	if (!has_bits) {
		*out = 32;
		return 0;
	}
	if (bits < 96)
		return -1;
	*out = bits - 96;
	return 0;
}

int fcr_cidrs_add(fcr_cidrs *l, const char *text, char *err, size_t errlen)
{
	char addr[CIDR_TEXT_MAX];
	fcr_addr net;
	unsigned bits = 0;
	size_t len = strlen(text);
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : len;

	if (len == 0)
		return fail(err, errlen, text, "empty network");
	if (len >= sizeof(addr))
		return fail(err, errlen, text, "too long for a network");
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (!fcr_addr_parse(addr, &net))
		return fail(err, errlen, text, "not an IPv4 or IPv6 network");
	if (slash && !parse_bits(slash + 1, &bits))
		return fail(err, errlen, text, "prefix length is not a number");
	bool v6_syntax = strchr(addr, ':') != NULL;
	if (v6_syntax && net.family == AF_INET) {
		if (bits > 128)
			return fail(err, errlen, text, "prefix length over 128");
		if (mapped_bits(bits, slash != NULL, &bits) < 0)
			return fail(err, errlen, text, "host bits set");
	} else if (!slash) {
		bits = (unsigned)fcr_addr_len(&net) * 8;
	} else if (bits > fcr_addr_len(&net) * 8) {
		return fail(err, errlen, text, net.family == AF_INET ? "prefix length over 32"
		                                                      : "prefix length over 128");
	}
	if (!host_bits_clear(&net, bits))
		return fail(err, errlen, text, "host bits set");
	return push(l, &net, bits, err, errlen);
}

/* Callers normally hand in normalised addresses; a raw ::ffff:a.b.c.d must still match IPv4. */
static fcr_addr unmap(const fcr_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	fcr_addr v = *a;

	if (v.family == AF_INET6 && memcmp(v.bytes, prefix, sizeof(prefix)) == 0) {
		memmove(v.bytes, v.bytes + 12, 4);
		memset(v.bytes + 4, 0, 12);
		v.family = AF_INET;
	}
	return v;
}

bool fcr_cidrs_match(const fcr_cidrs *l, const fcr_addr *a)
{
	fcr_addr v = unmap(a);

	for (size_t i = 0; i < l->n; i++)
		if (fcr_addr_in_prefix(&v, &l->v[i].net, l->v[i].bits))
			return true;
	return false;
}

char *fcr_cidrs_format(const fcr_cidrs *l, size_t i, char *buf, size_t len)
{
	char a[FCR_ADDR_STRLEN];

	if (!len)
		return buf;
	if (i >= l->n) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, len, "%s/%u", fcr_addr_format(&l->v[i].net, a, sizeof(a)), l->v[i].bits);
	return buf;
}
