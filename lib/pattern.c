/* A small scan of an ERE's structure: length, quantifier count, quantifiers on quantifiers,
 * repeat bounds, and how deeply quantified groups nest. */
#include "pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUPS 64

struct scan {
	int depth;                       /* open groups */
	int inner[MAX_GROUPS];           /* deepest quantifier nesting inside each open group */
	int last;                        /* nesting of the atom just closed or read (-1: no atom) */
	bool after_quant;                /* the previous token was a quantifier */
	unsigned quants;
};

/* Skips a bracket expression starting at p ('['); returns the position after its ']'. */
static const char *skip_bracket(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']') {
		if (p[0] == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			const char *end = strchr(p + 2, p[1]);
			p = end && end[1] == ']' ? end + 2 : p + 1;
		} else {
			p++;
		}
	}
	return *p ? p + 1 : p;
}

/* Reads "{m}", "{m,}" or "{m,n}" at p; returns the position after it and the largest bound. */
static const char *read_braces(const char *p, long *bound)
{
	char *end;
	long m = strtol(p + 1, &end, 10), n = m;
	if (*end == ',')
		n = end[1] == '}' ? m : strtol(end + 1, &end, 10);
	if (*end == ',')
		end++;
	*bound = n > m ? n : m;
	return *end == '}' ? end + 1 : end;
}

static bool fail(char *why, size_t len, const char *msg)
{
	snprintf(why, len, "%s", msg);
	return false;
}

/* A quantifier applied to the last atom. */
static bool quantify(struct scan *s, char *why, size_t len)
{
	if (s->after_quant)
		return fail(why, len, "a quantifier on a quantifier (e.g. a++) is not allowed");
	if (++s->quants > FCR_PATTERN_MAX_QUANTIFIERS)
		return fail(why, len, "too many quantifiers (at most 16)");
	int nest = s->last < 0 ? 1 : s->last + 1;
	if (nest > FCR_PATTERN_MAX_NESTING)
		return fail(why, len, "quantifiers nested too deeply, as in ((a+)+)+ (at most 2 levels)");
	if (s->depth > 0 && nest > s->inner[s->depth - 1])
		s->inner[s->depth - 1] = nest;
	s->after_quant = true;
	return true;
}

bool fcr_pattern_acceptable(const char *re, char *why, size_t len)
{
	struct scan s = { .last = -1 };
	if (strlen(re) > FCR_PATTERN_MAX_LEN)
		return fail(why, len, "longer than 256 bytes");
	for (const char *p = re; *p;) {
		bool quant = false;
		long bound = 0;
		switch (*p) {
		case '\\': p += p[1] ? 2 : 1; s.last = 0; break;
		case '[': p = skip_bracket(p); s.last = 0; break;
		case '(':
			if (s.depth == MAX_GROUPS)
				return fail(why, len, "too many nested groups");
			s.inner[s.depth++] = 0;
			p++;
			s.last = -1;
			break;
		case ')':
			s.last = s.depth > 0 ? s.inner[--s.depth] : 0;
			if (s.depth > 0 && s.last > s.inner[s.depth - 1])
				s.inner[s.depth - 1] = s.last;  /* ((a+)) nests like (a+) */
			p++;
			break;
		case '*': case '+': case '?': quant = true; p++; break;
		case '{':
			quant = true;
			p = read_braces(p, &bound);
			if (bound > FCR_PATTERN_MAX_REPEAT)
				return fail(why, len, "a repeat bound above 64");
			break;
		default: p++; s.last = 0; break;
		}
		if (quant && !quantify(&s, why, len))
			return false;
		if (!quant)
			s.after_quant = false;
	}
	return true;
}
