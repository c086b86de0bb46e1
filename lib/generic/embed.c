/* The structural rule of the generic-name attribute: the client's address embedded in the name, in
 * any order (forward, reversed, swapped pairs, rotated, split across labels) and encoding (decimal,
 * zero-padded, hex, one integer, nibbles, hextets). Whole runs only, so that a longer number that
 * merely contains the digits never counts. */
#include "generic.h"
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* ---- IPv4: decimal runs ---- */

struct run {
	unsigned value;   /* of the whole run when it has at most 10 digits */
	size_t start, len;
};

/* The next whole digit run at or after *i; false at the end. */
static bool next_run(const char *s, size_t n, size_t *i, struct run *r)
{
	while (*i < n && !fcr_g_digit(s[*i]))
		(*i)++;
	if (*i >= n)
		return false;
	r->start = *i;
	uint64_t v = 0;
	while (*i < n && fcr_g_digit(s[*i])) {
		if (*i - r->start < 10)
			v = v * 10 + (unsigned)(s[*i] - '0');
		(*i)++;
	}
	r->len = *i - r->start;
	r->value = v > UINT32_MAX ? UINT32_MAX : (unsigned)v;
	return true;
}

static bool octet_run(const struct run *r)
{
	return r->len <= 3 && r->value <= 255;
}

/* The order of four octet runs w against the address b: FCR_EMBED_* order bits plus
 * FCR_EMBED_DECIMAL, or 0 when w is not the address in any order. */
static uint16_t order_of(const unsigned *w, const uint8_t *b)
{
	static const struct { uint8_t p[4]; uint16_t bit; } orders[] = {
		{ { 0, 1, 2, 3 }, 0 }, { { 3, 2, 1, 0 }, FCR_EMBED_REVERSED },
		{ { 1, 0, 3, 2 }, FCR_EMBED_SWAPPED }, { { 3, 0, 1, 2 }, FCR_EMBED_ROTATED },
		{ { 2, 3, 0, 1 }, FCR_EMBED_ROTATED }, { { 1, 2, 3, 0 }, FCR_EMBED_ROTATED },
	};
	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		int k = 0;
		while (k < 4 && w[k] == b[orders[o].p[k]])
			k++;
		if (k == 4)
			return FCR_EMBED_DECIMAL | orders[o].bit;
	}
	/* Any other permutation: the same four numbers, each used once. */
	bool used[4] = { false, false, false, false };
	for (int k = 0; k < 4; k++) {
		int j = 0;
		while (j < 4 && (used[j] || w[k] != b[j]))
			j++;
		if (j == 4)
			return 0;
		used[j] = true;
	}
	return FCR_EMBED_DECIMAL | FCR_EMBED_REORDERED;
}

/* Zero padding, and the separators between the runs of a window: all single dots, or dots among
 * others (the address spread over labels). */
static uint16_t window_form(const char *s, const struct run *w, size_t count)
{
	uint16_t bits = 0;
	bool all_dots = true, some_dot = false;
	for (size_t k = 0; k < count; k++) {
		if (w[k].len > 1 && s[w[k].start] == '0')
			bits |= FCR_EMBED_PADDED;
		if (k == 0)
			continue;
		size_t from = w[k - 1].start + w[k - 1].len, to = w[k].start;
		bool dot = memchr(s + from, '.', to - from) != NULL;
		some_dot = some_dot || dot;
		all_dots = all_dots && dot && to - from == 1;
	}
	if (all_dots)
		bits |= FCR_EMBED_DOTTED;
	else if (some_dot)
		bits |= FCR_EMBED_SPLIT;
	return bits;
}

/* A run that is the whole address alone: 12 zero-padded digits (either order), or the 32-bit
 * number (8 digits at least: a smaller one is no clue). */
static uint16_t single_run(const char *s, const struct run *r, const uint8_t *b)
{
	char fwd[13], rev[13];
	if (r->len == 12) {
		snprintf(fwd, sizeof(fwd), "%03u%03u%03u%03u", b[0], b[1], b[2], b[3]);
		snprintf(rev, sizeof(rev), "%03u%03u%03u%03u", b[3], b[2], b[1], b[0]);
		if (memcmp(s + r->start, fwd, 12) == 0)
			return FCR_EMBED_GLUED;
		if (memcmp(s + r->start, rev, 12) == 0)
			return FCR_EMBED_GLUED | FCR_EMBED_REVERSED;
	}
	uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	if (r->len >= 8 && r->len <= 10 && s[r->start] != '0' && r->value == v)
		return FCR_EMBED_INTEGER;
	return 0;
}

static uint16_t ipv4_decimal(const char *s, size_t n, const uint8_t *b)
{
	struct run w[4], r;
	size_t count = 0, i = 0;
	while (next_run(s, n, &i, &r)) {
		uint16_t one = single_run(s, &r, b);
		if (one)
			return one;
		if (!octet_run(&r)) {
			count = 0;
			continue;
		}
		if (count == 4)
			memmove(w, w + 1, 3 * sizeof(w[0]));
		w[count < 4 ? count++ : 3] = r;
		if (count < 4)
			continue;
		unsigned v[4] = { w[0].value, w[1].value, w[2].value, w[3].value };
		uint16_t order = order_of(v, b);
		if (order)
			return order | window_form(s, w, 4);
	}
	return 0;
}

/* ---- IPv4: hex ---- */

/* 8 hex digits spelling the address (either byte order): a whole hex run, or one led by at most
 * two hex letters that belong to a prefix ("d51a5c4e2" is "d" and 81.165.196.226). */
static uint16_t ipv4_hex(const char *s, size_t n, const uint8_t *b)
{
	char fwd[9], rev[9];
	snprintf(fwd, sizeof(fwd), "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
	snprintf(rev, sizeof(rev), "%02x%02x%02x%02x", b[3], b[2], b[1], b[0]);
	for (size_t i = 0; i < n;) {
		if (!fcr_g_hex(s[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < n && fcr_g_hex(s[i]))
			i++;
		size_t len = i - start, lead = len - 8;
		if (len < 8 || lead > 2)
			continue;
		for (size_t k = 0; k < lead; k++)
			if (fcr_g_digit(s[start + k]))
				lead = 99;
		if (lead == 99)
			continue;
		if (memcmp(s + i - 8, fwd, 8) == 0)
			return FCR_EMBED_HEX;
		if (memcmp(s + i - 8, rev, 8) == 0)
			return FCR_EMBED_HEX | FCR_EMBED_REVERSED;
	}
	return 0;
}

/* ---- IPv6 ---- */

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* The address as nibbles in a name with every separator taken out: all 32 in either order, or the
 * 16 of the interface identifier (a zero identifier is too weak a clue). */
static uint16_t ipv6_nibbles(const char *s, size_t n, const uint8_t *b)
{
	char packed[1025];
	size_t p = 0;
	for (size_t i = 0; i < n && p < sizeof(packed) - 1; i++)
		if (fcr_g_alnum(s[i]))
			packed[p++] = s[i];
	packed[p] = '\0';
	char fwd[33], rev[33];
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		fwd[2 * i] = hex[b[i] >> 4];
		fwd[2 * i + 1] = hex[b[i] & 15];
	}
	for (int i = 0; i < 32; i++)
		rev[i] = fwd[31 - i];
	fwd[32] = rev[32] = '\0';
	if (strstr(packed, fwd))
		return FCR_EMBED_NIBBLES;
	if (strstr(packed, rev))
		return FCR_EMBED_NIBBLES | FCR_EMBED_REVERSED;
	if (all_zero(b + 8, 8))
		return 0;
	rev[16] = '\0';   /* the interface identifier's nibbles reversed lead the reversed form */
	if (strstr(packed, fwd + 16))
		return FCR_EMBED_NIBBLES | FCR_EMBED_IID;
	return strstr(packed, rev) ? FCR_EMBED_NIBBLES | FCR_EMBED_IID | FCR_EMBED_REVERSED : 0;
}

static bool hextets_match(const long *win, const uint16_t *h, size_t n, bool reverse)
{
	for (size_t k = 0; k < n; k++)
		if (win[k] != h[reverse ? n - 1 - k : k])
			return false;
	return true;
}

/* The next whole alphanumeric run as a hextet value, or -1 when it is not 1-4 hex digits. */
static long next_hextet(const char *s, size_t n, size_t *i)
{
	while (*i < n && !fcr_g_alnum(s[*i]))
		(*i)++;
	size_t start = *i;
	long value = 0;
	bool hex = true;
	for (; *i < n && fcr_g_alnum(s[*i]); (*i)++) {
		hex = hex && fcr_g_hex(s[*i]) && *i - start < 4;
		if (hex)
			value = value * 16 + (fcr_g_digit(s[*i]) ? s[*i] - '0' : s[*i] - 'a' + 10);
	}
	return hex ? value : -1;
}

/* Hextets as separate tokens with zeros suppressed or not ("2001-db8-0-0-0-0-0-1"): all eight in
 * either order, or the last four (the interface identifier) in order. */
static uint16_t ipv6_hextets(const char *s, size_t n, const uint8_t *b)
{
	uint16_t h[8];
	for (int i = 0; i < 8; i++)
		h[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
	bool iid = !all_zero(b + 8, 8);
	long win[8];
	size_t count = 0, i = 0;
	while (i < n) {
		long value = next_hextet(s, n, &i);
		if (value < 0) {
			count = 0;
			continue;
		}
		if (count == 8)
			memmove(win, win + 1, 7 * sizeof(win[0]));
		win[count < 8 ? count++ : 7] = value;
		if (count == 8 && hextets_match(win, h, 8, false))
			return FCR_EMBED_HEXTETS;
		if (count == 8 && hextets_match(win, h, 8, true))
			return FCR_EMBED_HEXTETS | FCR_EMBED_REVERSED;
		if (iid && count >= 4 && hextets_match(win + count - 4, h + 4, 4, false))
			return FCR_EMBED_HEXTETS | FCR_EMBED_IID;
	}
	return 0;
}

/* The compressed text form with '-' for ':' ("2001-db8--1"), not glued to other hex digits. */
static uint16_t ipv6_compressed(const char *s, size_t n, const fcr_addr *a)
{
	char text[FCR_ADDR_STRLEN];
	fcr_addr_format(a, text, sizeof(text));
	if (!strstr(text, "::"))
		return 0;
	for (char *p = text; *p; p++)
		if (*p == ':')
			*p = '-';
	size_t tl = strlen(text);
	for (size_t i = 0; i + tl <= n; i++) {
		if (memcmp(s + i, text, tl) != 0)
			continue;
		if ((i == 0 || !fcr_g_hex(s[i - 1])) && (i + tl == n || !fcr_g_hex(s[i + tl])))
			return FCR_EMBED_COMPRESSED;
	}
	return 0;
}

uint16_t fcr_generic_embeds(const char *s, size_t n, const fcr_addr *a)
{
	uint16_t bits = 0;
	if (!a)
		return 0;
	if (a->family == AF_INET) {
		bits = ipv4_decimal(s, n, a->bytes);
		return bits ? bits : ipv4_hex(s, n, a->bytes);
	}
	if (a->family == AF_INET6) {
		/* Hextets first: "2001-0db8-..." is both, and hextets say how it is written. */
		if (!(bits = ipv6_hextets(s, n, a->bytes)) && !(bits = ipv6_nibbles(s, n, a->bytes)))
			bits = ipv6_compressed(s, n, a);
	}
	return bits;
}
