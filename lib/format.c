/* Text that leaves the process (format.h): nothing from DNS is written raw, every buffer ends in a
 * NUL, and truncation drops whole units (a character or a whole escape), never half an escape. */
#include "format.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Specials that must not appear raw in an RFC 5322 comment (backslash is always escaped). */
#define COMMENT_SPECIALS ";()\""

/* An output buffer. 'reserve' bytes are kept back for a closing character (')' or '"') so that a
 * truncated value still parses; once a unit did not fit, nothing more is written. */
struct out {
	char *buf;
	size_t len;
	size_t pos;
	size_t reserve;
	size_t limit;  /* the longest text the line it goes into allows, whatever the buffer */
	bool full;
};

static void out_init(struct out *o, char *buf, size_t len)
{
	o->buf = buf;
	o->len = len;
	o->pos = 0;
	o->reserve = 0;
	o->limit = SIZE_MAX;
	o->full = len == 0;
	if (len)
		buf[0] = '\0';
}

static bool put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->pos + n + o->reserve >= o->len || o->pos + n + o->reserve > o->limit) {
		o->full = true;
		return false;
	}
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
	o->buf[o->pos] = '\0';
	return true;
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Writes a closing string into the room 'reserve' kept for it, even after truncation. */
static void put_closing(struct out *o, const char *s)
{
	size_t n = strlen(s);
	o->reserve = 0;
	if (o->len && o->pos + n < o->len && o->pos + n <= o->limit) {
		memcpy(o->buf + o->pos, s, n);
		o->pos += n;
		o->buf[o->pos] = '\0';
	}
}

static void put_hex(struct out *o, const char *prefix, unsigned char c)
{
	char esc[8];
	int n = snprintf(esc, sizeof(esc), "%s%02x", prefix, c);
	put(o, esc, (size_t)n);
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static unsigned char to_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* A byte that may be written as itself: printable ASCII other than space and backslash, and not
 * one of the caller's specials. */
static bool name_safe(unsigned char c, const char *specials)
{
	return c >= 0x21 && c <= 0x7e && c != '\\' && !strchr(specials, c);
}

/* A DNS name as ldns prints it: its escapes (\DDD, \X) are decoded, and a byte that came escaped is
 * always written \xHH, so "a\.b" (one label) never reads as "a.b" (two). Lower-case, no final dot. */
static void put_name(struct out *o, const char *name, const char *specials)
{
	for (size_t i = 0; name[i] && !o->full;) {
		unsigned char c = (unsigned char)name[i];
		bool escaped = false;
		size_t step = 1;
		if (c == '\\' && name[i + 1]) {
			escaped = true;
			step = 2;
			c = (unsigned char)name[i + 1];
			if (is_digit(name[i + 1]) && is_digit(name[i + 2]) && is_digit(name[i + 3])) {
				int v = (name[i + 1] - '0') * 100 + (name[i + 2] - '0') * 10 + (name[i + 3] - '0');
				if (v <= 255) {
					c = (unsigned char)v;
					step = 4;
				}
			}
		} else if (c == '.' && name[i + 1] == '\0') {
			break;
		}
		c = to_lower(c);
		if (escaped || !name_safe(c, specials))
			put_hex(o, "\\x", c);
		else
			put(o, (const char *)&c, 1);
		i += step;
	}
}

/* Free text (a reason, a reply template): printable ASCII including space stays, the rest and the
 * specials become \xHH. */
static void put_text(struct out *o, const char *s, size_t n, const char *specials)
{
	for (size_t i = 0; i < n && s[i] && !o->full; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c <= 0x7e && !strchr(specials, c))
			put(o, (const char *)&c, 1);
		else
			put_hex(o, "\\x", c);
	}
}

/* A piece of text from outside (a DNS name or a reason) for put_within. */
struct piece {
	const char *s;
	size_t n;                /* text only: at most n bytes of s */
	const char *specials;
	bool is_name;
};

static void put_piece(struct out *o, const struct piece *p)
{
	if (p->is_name)
		put_name(o, p->s, p->specials);
	else
		put_text(o, p->s, p->n, p->specials);
}

/* How many bytes of a piece fit in 'room' (*whole: all of it did). */
static size_t piece_fits(const struct piece *p, size_t room, bool *whole)
{
	char text[2048];
	struct out t;
	out_init(&t, text, sizeof(text));
	t.limit = room;
	put_piece(&t, p);
	*whole = !t.full;
	return t.pos;
}

/* A piece in at most 'room' bytes. When it does not fit, as many whole units (a character or a
 * whole escape) as fit before FCR_SHORTENED; a DNS name has no empty label, so "..." is never
 * part of one. Written unit by unit, so that a smaller buffer still gets a prefix of it. */
static void put_within(struct out *o, const struct piece *p, size_t room)
{
	static const size_t mark = sizeof(FCR_SHORTENED) - 1;
	bool whole, unused;
	size_t keep = room, start = o->pos, saved = o->limit;

	if (o->full)
		return;
	piece_fits(p, room, &whole);
	if (!whole) {
		if (room < mark)
			return;
		keep = piece_fits(p, room - mark, &unused);
	}
	o->limit = o->pos + o->reserve + keep < saved ? o->pos + o->reserve + keep : saved;
	put_piece(o, p);
	o->limit = saved;
	if (!whole && o->pos - start == keep) {
		o->full = false;  /* stopped by the line, not by the buffer */
		put_str(o, FCR_SHORTENED);
	}
}

/* The room left on a line for a piece, keeping 'after' bytes for what follows it. */
static size_t room_left(const struct out *o, size_t after)
{
	size_t used = o->pos + after + o->reserve;
	return o->limit > used ? o->limit - used : 0;
}

/* The longest value a header called 'name' may have on one line (RFC 5322 §2.1.1). */
static size_t header_value_max(const char *name)
{
	size_t n = strlen(name) + 2;  /* "name: " */
	return n < FCR_HEADER_LINE_MAX ? FCR_HEADER_LINE_MAX - n : 0;
}

static bool name_present(const char *name)
{
	return name && name[0] && strcmp(name, ".") != 0;
}

static const char *confirmed_name(const struct fcr_check_result *r)
{
	if (r->confirmed < 0 || (size_t)r->confirmed >= r->nnames || !r->names)
		return NULL;
	const char *n = r->names[r->confirmed].name;
	return name_present(n) ? n : NULL;
}

static const char *first_name(const struct fcr_check_result *r, bool valid_only)
{
	for (size_t i = 0; r->names && i < r->nnames; i++) {
		if (valid_only && !r->names[i].valid)
			continue;
		if (name_present(r->names[i].name))
			return r->names[i].name;
		if (!valid_only)
			return NULL;
	}
	return NULL;
}

static void put_addr(struct out *o, const fcr_addr *a, bool quote_v6)
{
	char text[FCR_ADDR_STRLEN];
	text[0] = '\0';
	fcr_addr_format(a, text, sizeof(text));
	text[sizeof(text) - 1] = '\0';
	bool quote = quote_v6 && a->family != AF_INET;
	if (quote)
		put_str(o, "\"");
	put_text(o, text, sizeof(text), ";()\"\\ ");
	if (quote)
		put_str(o, "\"");
}

char *fcr_format_name(const char *name, char *buf, size_t len)
{
	struct out o;
	out_init(&o, buf, len);
	if (name)
		put_name(&o, name, "");
	return buf;
}

/* RFC 2045 token characters: the authserv-id is configured, but a stray byte must not break the
 * header, so anything else is dropped. */
static void put_token(struct out *o, const char *s)
{
	for (; *s && !o->full; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x21 && c <= 0x7e && !strchr("()<>@,;:\\\"/[]?=", c))
			put(o, (const char *)&c, 1);
	}
}

/* The comment takes what the line has left, less the closing ')' kept in reserve. */
static void put_authres_comment(struct out *o, const struct fcr_check_result *r)
{
	const char *name = r->result == FCR_PASS ? confirmed_name(r) : NULL;
	size_t rlen = strnlen(r->reason, sizeof(r->reason));
	struct piece p = { .s = name, .specials = COMMENT_SPECIALS, .is_name = true };
	if (!name && rlen)
		p = (struct piece){ .s = r->reason, .n = rlen, .specials = COMMENT_SPECIALS "\\" };
	else if (!name)
		p = (struct piece){ .s = fcr_result_name(r->result), .n = SIZE_MAX, .specials = "" };
	put_within(o, &p, room_left(o, 0));
}

char *fcr_format_authres(const struct fcr_config *c, const struct fcr_check_result *r,
                         char *buf, size_t len)
{
	struct out o;
	out_init(&o, buf, len);
	o.limit = header_value_max(FCR_AUTHRES_HEADER);
	const char *id = c && c->authserv_id && c->authserv_id[0] ? c->authserv_id : "localhost";
	put_token(&o, id);
	put_str(&o, "; iprev=");
	put_str(&o, fcr_result_name(r->result));
	put_str(&o, " policy.iprev=");
	put_addr(&o, &r->addr, true);
	o.reserve = 1;
	if (put(&o, " (", 2)) {
		put_authres_comment(&o, r);
		put_closing(&o, ")");
	}
	return buf;
}

#define GENERIC_YES " generic=yes"

char *fcr_format_result_header(const struct fcr_config *c, const struct fcr_check_result *r,
                               char *buf, size_t len)
{
	struct out o;
	out_init(&o, buf, len);
	o.limit = header_value_max(c && c->result_header ? c->result_header : "X-FCrDNS");
	put_str(&o, fcr_result_name(r->result));
	put_str(&o, " ip=");
	put_addr(&o, &r->addr, false);
	const char *name = r->result == FCR_PASS ? confirmed_name(r) : NULL;
	if (!name)
		name = first_name(r, false);
	if (name) {
		struct piece p = { .s = name, .specials = "", .is_name = true };
		put_str(&o, " ptr=");
		put_within(&o, &p, room_left(&o, r->generic ? strlen(GENERIC_YES) : 0));
	}
	if (r->generic)
		put_str(&o, GENERIC_YES);
	return buf;
}

/* Digits of n with a decimal point p places from the right, trailing zeros dropped. */
static void fixed_text(long long n, int p, char *out, size_t len)
{
	char digits[32];
	unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
	int nd = snprintf(digits, sizeof(digits), "%0*llu", p + 1, u);
	while (p > 0 && digits[nd - 1] == '0') {
		digits[--nd] = '\0';
		p--;
	}
	if (p == 0)
		snprintf(out, len, "%s%s", n < 0 ? "-" : "", digits);
	else
		snprintf(out, len, "%s%.*s.%s", n < 0 ? "-" : "", nd - p, digits, digits + nd - p);
}

#define EXACT_INT_LIMIT 9007199254740992.0 /* 2^53: every integer below is a double */

/* Plain arithmetic instead of libm, which the build does not link. */
static double abs_value(double x)
{
	return x < 0 ? -x : x;
}

static long long round_half_away(double x)
{
	return (long long)(x < 0 ? x - 0.5 : x + 0.5);
}

/* floor(log10(ax)) for 0 < ax < 2^53, near enough for choosing a rounding place. */
static int decimal_exponent(double ax)
{
	int e = 0;
	for (double p = 10; ax >= p; p *= 10)
		e++;
	for (double p = 1; ax < p && e > -400; p /= 10)
		e--;
	return e;
}

/* The fewest decimals that read back as exactly x. Built from integers, so no locale can turn the
 * point into a comma. Values that need more than double precision shows (0.1 + 0.2) are rounded
 * to 15 significant digits, which is what a reader means. NaN and infinities print as 0. */
static void score_text(double x, char *out, size_t len)
{
	static const double pow10[18] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
	                                  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17 };
	if (!isfinite(x) || x == 0) {
		snprintf(out, len, "0");
		return;
	}
	if (abs_value(x) >= EXACT_INT_LIMIT) {
		snprintf(out, len, "%.0f", x);
		return;
	}
	for (int p = 0; p < 18 && abs_value(x * pow10[p]) < EXACT_INT_LIMIT; p++) {
		long long n0 = round_half_away(x * pow10[p]);
		const long long cand[3] = { n0, n0 - 1, n0 + 1 };
		for (int k = 0; k < 3; k++)
			if ((double)cand[k] / pow10[p] == x) {
				fixed_text(cand[k], p, out, len);
				return;
			}
	}
	int p = 14 - decimal_exponent(abs_value(x));
	p = p < 0 ? 0 : p > 17 ? 17 : p;
	long long n = round_half_away(x * pow10[p]);
	if (n == 0)
		snprintf(out, len, "0");
	else
		fixed_text(n, p, out, len);
}

char *fcr_format_score(double score, char *buf, size_t len)
{
	char text[400];
	score_text(score, text, sizeof(text));
	struct out o;
	out_init(&o, buf, len);
	put_str(&o, text);   /* all or nothing: a cut number would be another number */
	return buf;
}

/* The longest text after "CODE X.Y.Z " on a reply line of FCR_REPLY_LINE_MAX with its CRLF: how
 * smfi_setreply joins them, and how Postfix and Sendmail send them on. */
static size_t reply_text_max(const struct fcr_smtp_reply *rep)
{
	size_t fixed = 2 + (rep ? strlen(rep->code) + 1 + strlen(rep->xcode) + 1 : 0);
	return fixed < FCR_REPLY_LINE_MAX ? FCR_REPLY_LINE_MAX - fixed : 0;
}

/* The template t expanded; each %n in at most 'share' bytes, or (names false) left out and
 * counted in *nnames. */
static void expand_reply(struct out *o, const char *t, const struct fcr_check_result *r,
                         size_t share, bool names, size_t *nnames)
{
	for (; *t && !o->full; t++) {
		if (t[0] != '%' || (t[1] != 'a' && t[1] != 'n' && t[1] != '%')) {
			put_text(o, t, 1, "");
			continue;
		}
		t++;
		if (*t == '%') {
			put_str(o, "%");
		} else if (*t == 'a') {
			put_addr(o, &r->addr, false);
		} else if (!names) {
			(*nnames)++;
		} else {
			const char *name = confirmed_name(r);
			if (!name)
				name = first_name(r, true);
			/* '%' from DNS is escaped: libmilter reads a lone '%' in a reply as a format. */
			struct piece p = { .s = name, .specials = "%", .is_name = true };
			if (!name)
				p = (struct piece){ .s = "unknown", .n = 7, .specials = "" };
			put_within(o, &p, share);
		}
	}
}

char *fcr_format_reply_text(const struct fcr_smtp_reply *rep, const struct fcr_check_result *r,
                            char *buf, size_t len)
{
	const char *t = rep && rep->text ? rep->text : "";
	char fixed[2048];
	size_t nnames = 0, share = 0;
	struct out o;

	/* What the text holds besides names; the names share the rest of the line evenly. */
	out_init(&o, fixed, sizeof(fixed));
	expand_reply(&o, t, r, 0, false, &nnames);
	size_t max = reply_text_max(rep);
	if (nnames && !o.full && o.pos < max)
		share = (max - o.pos) / nnames;
	out_init(&o, buf, len);
	o.limit = max;
	expand_reply(&o, t, r, share, true, NULL);
	return buf;
}

char *fcr_format_json_string(const char *s, char *buf, size_t len)
{
	struct out o;
	out_init(&o, buf, len);
	o.reserve = 1;
	if (!put(&o, "\"", 1))
		return buf;
	for (; s && *s && !o.full; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"')
			put(&o, "\\\"", 2);
		else if (c == '\\')
			put(&o, "\\\\", 2);
		else if (c < 0x20 || c >= 0x7f)
			put_hex(&o, "\\u00", c);
		else
			put(&o, (const char *)&c, 1);
	}
	put_closing(&o, "\"");
	return buf;
}
