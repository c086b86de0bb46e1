/* The generic-name attribute (SPEC "The check", item 6): the client address embedded in the PTR
 * name, dynamic-pool words, the static/mail exception, and the administrator's extra patterns. */
#include "generic.h"
#include "pattern.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A 255-octet name in ldns presentation form (every octet as \DDD at worst) fits. Longer text is
 * no DNS name and is never judged generic. */
#define NAME_TEXT_MAX 1024
/* Escaped octets become this: neither letter, digit nor label dot, so it only separates. */
#define ESCAPED_OCTET '\x01'

struct fcr_generic {
	fcr_patterns *patterns;   /* NULL without GenericPatterns */
};

/* Whole tokens (runs of letters) that ISPs put in pool names. Not "host" (countless servers are
 * called host1.example.com, and BT's "host86-..." form is caught by the embedded address) and not
 * "ip" (same reason). */
static const char *const pool_words[] = {
	"adsl", "bb", "broadband", "cable", "cablemodem", "catv", "cgnat", "client", "clients",
	"cpe", "cust", "customer", "customers", "dhcp", "dhcpd", "dial", "dialin", "dialip", "dialup",
	"dip", "dsl", "dyn", "dyndsl", "dynamic", "dynip", "fios", "ftth", "fttb", "fttc", "fttp",
	"fttx", "gpon", "gprs", "hfc", "home", "hsd", "hsi", "kabel", "lte", "mobile", "nat", "pool",
	"ppp", "pppoa", "pppoe", "res", "resnet", "residential", "sdsl", "subscriber", "umts", "user",
	"users", "vdsl", "wifi", "wimax", "wireless", "wlan", "xdsl",
};

/* Tokens that say "this is a server on purpose": they override the built-in rules (but not the
 * administrator's own patterns, which are an explicit decision). */
static const char *const server_words[] = {
	"static", "mail", "mx", "smtp", "mta", "relay", "out", "outbound", "mailout", "smtpout",
};

/* Second-level labels under which registries hand out domains (example.co.uk, isp.ne.jp). */
static const char *const cc_slds[] = {
	"ac", "ad", "co", "com", "ed", "edu", "go", "gov", "gr", "lg", "ne", "net", "or", "org",
};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return c >= 'a' && c <= 'z'; }
static bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
static bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

static int hex_value(char c)
{
	return is_digit(c) ? c - '0' : c - 'a' + 10;
}

static bool in_list(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}

/* Lower-case copy without the trailing dot; 0 when empty or too long for a DNS name. */
static size_t normalise(const char *name, char *out)
{
	size_t n = strnlen(name, NAME_TEXT_MAX + 1);
	if (n > NAME_TEXT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	/* A final dot is the root unless it is escaped (odd number of backslashes before it). */
	if (n && out[n - 1] == '.') {
		size_t bs = 0;
		while (bs + 1 < n && out[n - 2 - bs] == '\\')
			bs++;
		if (bs % 2 == 0)
			n--;
	}
	out[n] = '\0';
	return n;
}

/* The structure the rules look at: ldns escapes (\DDD, \X) collapse into ESCAPED_OCTET, so an
 * escaped dot never splits a label and "\000" is never read as digits. */
static size_t decode(const char *text, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		if (c == '\\') {
			if (i + 3 < n && is_digit(text[i + 1]) && is_digit(text[i + 2]) &&
			    is_digit(text[i + 3]))
				i += 3;
			else if (i + 1 < n)
				i += 1;
			c = ESCAPED_OCTET;
		} else if (!is_alnum(c) && c != '.' && c != '-' && c != '_') {
			c = ESCAPED_OCTET;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

static bool is_cc_sld(const char *label, size_t len)
{
	return in_list(cc_slds, sizeof(cc_slds) / sizeof(cc_slds[0]), label, len);
}

/* Length of the host part: the labels left of the registered domain (the last two labels, three
 * under a ccSLD such as co.uk); 0 for a bare registered domain, or, when 'at_least_one', the first
 * label then, so that "smtp-203-0-113-42.example" still has a host part to judge for addresses. */
static size_t host_part_len(const char *s, size_t n, bool at_least_one)
{
	size_t dots[3];
	size_t ndots = 0;
	for (size_t i = n; i-- > 0 && ndots < 3;)
		if (s[i] == '.')
			dots[ndots++] = i;
	size_t strip = 2;
	if (ndots >= 2) {
		size_t tld_len = n - dots[0] - 1;
		size_t sld_len = dots[0] - dots[1] - 1;
		if (tld_len == 2 && is_alpha(s[n - 1]) && is_alpha(s[n - 2]) &&
		    is_cc_sld(s + dots[1] + 1, sld_len))
			strip = 3;
	}
	if (ndots >= strip)
		return dots[strip - 1];
	if (!at_least_one)
		return 0;
	const char *first_dot = memchr(s, '.', n);
	return first_dot ? (size_t)(first_dot - s) : n;
}

struct tokens {
	bool server;   /* a static/mail token */
	bool pool;     /* a pool word */
};

static struct tokens scan_tokens(const char *s, size_t n)
{
	struct tokens t = { false, false };
	for (size_t i = 0; i < n;) {
		if (!is_alpha(s[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < n && is_alpha(s[i]))
			i++;
		t.server |= in_list(server_words, sizeof(server_words) / sizeof(server_words[0]),
		                    s + start, i - start);
		t.pool |= in_list(pool_words, sizeof(pool_words) / sizeof(pool_words[0]), s + start,
		                  i - start);
	}
	return t;
}

/* ---- the client's IPv4 address in the name ---- */

static bool octets_match(const int *win, const uint8_t *b, bool reverse)
{
	for (int k = 0; k < 4; k++)
		if (win[k] != b[reverse ? 3 - k : k])
			return false;
	return true;
}

/* Four consecutive whole digit runs (any separators, zero padding allowed) in either order, or
 * one run of 12 zero-padded digits in either order. */
static bool ipv4_decimal(const char *s, size_t n, const uint8_t *b)
{
	char fwd12[13], rev12[13];
	snprintf(fwd12, sizeof(fwd12), "%03u%03u%03u%03u", b[0], b[1], b[2], b[3]);
	snprintf(rev12, sizeof(rev12), "%03u%03u%03u%03u", b[3], b[2], b[1], b[0]);
	int win[4];
	size_t count = 0;
	for (size_t i = 0; i < n;) {
		if (!is_digit(s[i])) {
			i++;
			continue;
		}
		size_t start = i;
		int value = 0;
		while (i < n && is_digit(s[i])) {
			if (i - start < 3)
				value = value * 10 + (s[i] - '0');
			i++;
		}
		size_t len = i - start;
		if (len == 12 && (memcmp(s + start, fwd12, 12) == 0 || memcmp(s + start, rev12, 12) == 0))
			return true;
		if (len > 3 || value > 255) {
			count = 0;
			continue;
		}
		if (count == 4)
			memmove(win, win + 1, 3 * sizeof(win[0]));
		else
			count++;
		win[count - 1] = value;
		if (count == 4 && (octets_match(win, b, false) || octets_match(win, b, true)))
			return true;
	}
	return false;
}

/* A whole run of exactly 8 hex digits spelling the address, in either byte order. */
static bool ipv4_hex(const char *s, size_t n, const uint8_t *b)
{
	char fwd[9], rev[9];
	snprintf(fwd, sizeof(fwd), "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
	snprintf(rev, sizeof(rev), "%02x%02x%02x%02x", b[3], b[2], b[1], b[0]);
	for (size_t i = 0; i < n;) {
		if (!is_hex(s[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < n && is_hex(s[i]))
			i++;
		if (i - start == 8 && (memcmp(s + start, fwd, 8) == 0 || memcmp(s + start, rev, 8) == 0))
			return true;
	}
	return false;
}

/* ---- the client's IPv6 address in the name ---- */

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* The address as nibbles in a name with every separator taken out: all 32 in either order, or the
 * 16 of the interface identifier (a zero identifier is too weak a clue). */
static bool ipv6_nibbles(const char *s, size_t n, const uint8_t *b)
{
	char packed[NAME_TEXT_MAX + 1];
	size_t p = 0;
	for (size_t i = 0; i < n; i++)
		if (is_alnum(s[i]))
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
	if (strstr(packed, fwd) || strstr(packed, rev))
		return true;
	if (all_zero(b + 8, 8))
		return false;
	rev[16] = '\0';   /* the interface identifier's nibbles reversed lead the reversed form */
	return strstr(packed, fwd + 16) || strstr(packed, rev);
}

static bool hextets_match(const long *win, const uint16_t *h, size_t n, bool reverse)
{
	for (size_t k = 0; k < n; k++)
		if (win[k] != h[reverse ? n - 1 - k : k])
			return false;
	return true;
}

/* Hextets as separate tokens with zeros suppressed or not ("2001-db8-0-0-0-0-0-1"): all eight in
 * either order, or the last four (the interface identifier) in order. */
static bool ipv6_hextets(const char *s, size_t n, const uint8_t *b)
{
	uint16_t h[8];
	for (int i = 0; i < 8; i++)
		h[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
	bool iid = !all_zero(b + 8, 8);
	long win[8];
	size_t count = 0;
	for (size_t i = 0; i < n;) {
		if (!is_alnum(s[i])) {
			i++;
			continue;
		}
		size_t start = i;
		long value = 0;
		bool hex = true;
		for (; i < n && is_alnum(s[i]); i++) {
			hex = hex && is_hex(s[i]) && i - start < 4;
			if (hex)
				value = value * 16 + hex_value(s[i]);
		}
		if (!hex) {
			count = 0;
			continue;
		}
		if (count == 8)
			memmove(win, win + 1, 7 * sizeof(win[0]));
		else
			count++;
		win[count - 1] = value;
		if (count == 8 && (hextets_match(win, h, 8, false) || hextets_match(win, h, 8, true)))
			return true;
		if (iid && count >= 4 && hextets_match(win + count - 4, h + 4, 4, false))
			return true;
	}
	return false;
}

/* The compressed text form with '-' for ':' ("2001-db8--1"), not glued to other hex digits. */
static bool ipv6_compressed(const char *s, size_t n, const fcr_addr *a)
{
	char text[FCR_ADDR_STRLEN];
	fcr_addr_format(a, text, sizeof(text));
	if (!strstr(text, "::"))
		return false;
	for (char *p = text; *p; p++)
		if (*p == ':')
			*p = '-';
	size_t tl = strlen(text);
	for (size_t i = 0; i + tl <= n; i++) {
		if (memcmp(s + i, text, tl) != 0)
			continue;
		if ((i == 0 || !is_hex(s[i - 1])) && (i + tl == n || !is_hex(s[i + tl])))
			return true;
	}
	return false;
}

static bool embeds_address(const char *s, size_t n, const fcr_addr *a)
{
	if (!a)
		return false;
	if (a->family == AF_INET)
		return ipv4_decimal(s, n, a->bytes) || ipv4_hex(s, n, a->bytes);
	if (a->family == AF_INET6)
		return ipv6_nibbles(s, n, a->bytes) || ipv6_hextets(s, n, a->bytes) ||
		       ipv6_compressed(s, n, a);
	return false;
}

bool fcr_generic_judge(const fcr_generic *g, const char *name, const fcr_addr *a, bool *limited)
{
	if (limited)
		*limited = false;
	if (!g || !name)
		return false;
	char text[NAME_TEXT_MAX + 1], plain[NAME_TEXT_MAX + 1];
	size_t n = normalise(name, text);
	if (n == 0)
		return false;
	if (fcr_patterns_match(g->patterns, text, n, limited))
		return true;
	size_t pn = decode(text, n, plain);
	size_t hn = host_part_len(plain, pn, true);
	struct tokens t = scan_tokens(plain, hn);
	if (t.server)
		return false;
	/* Pool words only count left of the registered domain: "cable.example" itself is no pool. */
	if (t.pool && host_part_len(plain, pn, false) > 0)
		return true;
	return embeds_address(plain, hn, a);
}

bool fcr_generic_match(const fcr_generic *g, const char *name, const fcr_addr *a)
{
	return fcr_generic_judge(g, name, a, NULL);
}

fcr_generic *fcr_generic_new(const char *path, char *err, size_t errlen)
{
	fcr_generic *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (path && !(g->patterns = fcr_patterns_load(path, err, errlen))) {
		free(g);
		return NULL;
	}
	return g;
}

void fcr_generic_set_hook(fcr_generic *g, fcr_pattern_limit_fn fn, void *arg)
{
	if (g && g->patterns)
		fcr_patterns_set_hook(g->patterns, fn, arg);
}

uint64_t fcr_generic_limit_hits(const fcr_generic *g)
{
	return g ? fcr_patterns_limit_hits(g->patterns) : 0;
}

void fcr_generic_free(fcr_generic *g)
{
	if (!g)
		return;
	fcr_patterns_free(g->patterns);
	free(g);
}
