/* The generic-name attribute (SPEC "The check", item 6): the order in which the rules decide, the
 * pool and server words, and the matcher's files (GenericPatterns, GenericNames). */
#include "generic.h"
#include "internal.h"
#include "generic_names.h"
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
	fcr_patterns *patterns;      /* NULL without GenericPatterns */
	fcr_generic_names *names;    /* NULL without GenericNames */
};

/* Whole tokens (runs of letters) that ISPs put in pool names. Not "host" (countless servers are
 * called host1.example.com, and BT's "host86-..." form is caught by the embedded address) and not
 * "ip" (same reason). */
static const char *const pool_words[] = {
	"adsl", "bb", "broadband", "cable", "cablemodem", "catv", "cgnat", "client", "clients",
	"cpe", "cust", "customer", "customers", "dclient", "dhcp", "dhcpd", "dial", "dialin",
	"dialip", "dialup", "dip", "dsl", "dyn", "dynamic", "dynamicip", "dyndsl", "dynip", "fios",
	"fttb", "fttc", "ftth", "fttp", "fttx", "gpon", "gprs", "hfc", "home", "hsd", "hsi",
	"kabel", "lte", "mobile", "modemcable", "nat", "pool", "pools", "ppp", "pppoa", "pppoe",
	"res", "residential", "resnet", "sdsl", "subscriber", "umts", "user", "users", "vdsl",
	"wifi", "wimax", "wireless", "wlan", "xdsl",
};

/* Tokens that say "this is a server on purpose": they outweigh pool words and shapes, not the
 * address nor the administrator's patterns. Not "static": it tells a static pool from a dynamic
 * one, not a named host from a generated one. */
static const char *const server_words[] = {
	"mail", "mx", "smtp", "mta", "relay", "out", "outbound", "mailout", "smtpout", "mailer",
	"mailgw", "smtpgw",
};

/* Second-level labels under which registries hand out domains (example.co.uk, isp.ne.jp). */
static const char *const cc_slds[] = {
	"ac", "ad", "co", "com", "ed", "edu", "go", "gov", "gr", "lg", "ne", "net", "or", "org",
};

#define NWORDS(list) (sizeof(list) / sizeof((list)[0]))

/* The index of s[0..len) in list, or -1. */
static int in_list(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return (int)i;
	return -1;
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
			if (i + 3 < n && fcr_g_digit(text[i + 1]) && fcr_g_digit(text[i + 2]) &&
			    fcr_g_digit(text[i + 3]))
				i += 3;
			else if (i + 1 < n)
				i += 1;
			c = ESCAPED_OCTET;
		} else if (!fcr_g_alnum(c) && c != '.' && c != '-' && c != '_') {
			c = ESCAPED_OCTET;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

static bool is_cc_sld(const char *label, size_t len)
{
	return in_list(cc_slds, NWORDS(cc_slds), label, len) >= 0;
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
		if (tld_len == 2 && fcr_g_alpha(s[n - 1]) && fcr_g_alpha(s[n - 2]) &&
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

/* The first pool word and server word of the host part (-1: none). */
struct tokens {
	int pool, server;
};

/* The words (runs of letters) of one label. A pool word counts when it is the whole label or the
 * label has digits ("dsl", "ppp1234", "cust-12"), as generated names have: "customer-portal" is a
 * name chosen for a host. */
static void label_tokens(const char *s, size_t n, struct tokens *t)
{
	bool digits = false;
	for (size_t i = 0; i < n && !digits; i++)
		digits = fcr_g_digit(s[i]);
	for (size_t i = 0; i < n;) {
		if (!fcr_g_alpha(s[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < n && fcr_g_alpha(s[i]))
			i++;
		if (t->server < 0)
			t->server = in_list(server_words, NWORDS(server_words), s + start, i - start);
		if (t->pool < 0 && (digits || i - start == n))
			t->pool = in_list(pool_words, NWORDS(pool_words), s + start, i - start);
	}
}

static struct tokens scan_tokens(const char *s, size_t n)
{
	struct tokens t = { -1, -1 };
	for (size_t start = 0; start < n;) {
		const char *dot = memchr(s + start, '.', n - start);
		size_t end = dot ? (size_t)(dot - s) : n;
		label_tokens(s + start, end - start, &t);
		start = end + 1;
	}
	return t;
}

const char *fcr_generic_word(enum fcr_generic_kind kind, unsigned index)
{
	if (kind == FCR_GENERIC_POOL_WORD && index < NWORDS(pool_words))
		return pool_words[index];
	if (kind == FCR_GENERIC_SERVER_WORD && index < NWORDS(server_words))
		return server_words[index];
	return "?";
}

bool fcr_generic_tag_generic(struct fcr_generic_tag t)
{
	return t.kind == FCR_GENERIC_ADDRESS || t.kind == FCR_GENERIC_POOL_WORD ||
	       t.kind == FCR_GENERIC_SHAPE || t.kind == FCR_GENERIC_PATTERN;
}

static bool decide(struct fcr_generic_tag *why, enum fcr_generic_kind kind, unsigned index)
{
	why->kind = (uint8_t)kind;
	why->index = (uint16_t)index;
	return fcr_generic_tag_generic(*why);
}

/* The rules in code, after the files' first say (shape: the GenericNames rule that matched, or 0).
 * The address is looked for in the whole name but its top-level label (OVH's "ip56.ip-51-12-34.eu"
 * spreads it over the registered domain); words only left of the registered domain. */
static bool structural(const char *s, size_t n, const fcr_addr *a, unsigned shape,
                       struct fcr_generic_tag *why)
{
	const char *last_dot = memrchr(s, '.', n);
	uint16_t bits = fcr_generic_embeds(s, last_dot ? (size_t)(last_dot - s) : n, a);
	if (bits)
		return decide(why, FCR_GENERIC_ADDRESS, bits);
	struct tokens t = scan_tokens(s, host_part_len(s, n, true));
	if (t.server >= 0)
		return decide(why, FCR_GENERIC_SERVER_WORD, (unsigned)t.server);
	if (shape)
		return decide(why, FCR_GENERIC_SHAPE, shape);
	/* Pool words only count left of the registered domain: "cable.example" itself is no pool. */
	if (t.pool >= 0 && host_part_len(s, n, false) > 0)
		return decide(why, FCR_GENERIC_POOL_WORD, (unsigned)t.pool);
	return decide(why, FCR_GENERIC_NONE, 0);
}

bool fcr_generic_explain(const fcr_generic *g, const char *name, const fcr_addr *a,
                         struct fcr_generic_tag *why, bool *limited)
{
	struct fcr_generic_tag none;
	bool lim = false, lim2 = false, sender = false;
	if (!why)
		why = &none;
	decide(why, FCR_GENERIC_NONE, 0);
	if (limited)
		*limited = false;
	if (!g || !name)
		return false;
	char text[NAME_TEXT_MAX + 1], plain[NAME_TEXT_MAX + 1];
	size_t n = normalise(name, text);
	if (n == 0)
		return false;
	long p = fcr_patterns_find(g->patterns, text, n, &lim);
	unsigned rule = p >= 0 ? 0 : fcr_generic_names_find(g->names, text, n, &sender, &lim2);
	if (limited)
		*limited = lim || lim2;
	if (p >= 0)
		return decide(why, FCR_GENERIC_PATTERN, (unsigned)p + 1);
	if (rule && sender)
		return decide(why, FCR_GENERIC_SENDER, rule);
	size_t pn = decode(text, n, plain);
	return structural(plain, pn, a, rule, why);
}

bool fcr_generic_judge(const fcr_generic *g, const char *name, const fcr_addr *a, bool *limited)
{
	return fcr_generic_explain(g, name, a, NULL, limited);
}

bool fcr_generic_match(const fcr_generic *g, const char *name, const fcr_addr *a)
{
	return fcr_generic_explain(g, name, a, NULL, NULL);
}

fcr_generic *fcr_generic_new(const char *patterns, const char *names, char *err, size_t errlen)
{
	fcr_generic *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((patterns && !(g->patterns = fcr_patterns_load(patterns, err, errlen))) ||
	    (names && !(g->names = fcr_generic_names_load(names, err, errlen)))) {
		fcr_generic_free(g);
		return NULL;
	}
	return g;
}

void fcr_generic_set_hook(fcr_generic *g, fcr_pattern_limit_fn fn, void *arg)
{
	if (g && g->patterns)
		fcr_patterns_set_hook(g->patterns, fn, arg);
	if (g)
		fcr_generic_names_set_hook(g->names, fn, arg);
}

uint64_t fcr_generic_limit_hits(const fcr_generic *g)
{
	return g ? fcr_patterns_limit_hits(g->patterns) + fcr_generic_names_limit_hits(g->names) : 0;
}

bool fcr_generic_same_rules(const fcr_generic *a, const fcr_generic *b)
{
	if (!a || !b)
		return a == b;
	/* "no file" and "a file without a rule" match alike; so do they here */
	return fcr_patterns_digest(a->patterns) == fcr_patterns_digest(b->patterns) &&
	       fcr_generic_names_digest(a->names) == fcr_generic_names_digest(b->names);
}

void fcr_generic_free(fcr_generic *g)
{
	if (!g)
		return;
	fcr_patterns_free(g->patterns);
	fcr_generic_names_free(g->names);
	free(g);
}
