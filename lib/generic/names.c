/* The GenericNames file: "generic" and "sender" rules in one PCRE2 set, with each rule's kind. */
#include "generic_names.h"
#include "textfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fcr_generic_names {
	fcr_patterns *set;
	bool *sender;             /* per rule, in file order */
	size_t n;
};

static int fail(char *err, size_t errlen, const char *path, unsigned line, const char *why)
{
	snprintf(err, errlen, "%s:%u: %s", path, line, why);
	return -1;
}

/* One rule line (fcr_textfile_rule_fn, blanks already trimmed): "generic PATTERN" or
 * "sender PATTERN". */
static int add_rule(void *arg, char *line, const char *path, unsigned no, char *err, size_t errlen)
{
	fcr_generic_names *r = arg;
	size_t word = strcspn(line, " \t");
	bool sender = word == 6 && strncmp(line, "sender", 6) == 0;
	if (!sender && !(word == 7 && strncmp(line, "generic", 7) == 0))
		return fail(err, errlen, path, no, "a rule starts with \"generic\" or \"sender\"");
	char *re = line + word;
	re += strspn(re, " \t");
	if (*re == '\0')
		return fail(err, errlen, path, no, "a rule without a pattern");
	bool *k = realloc(r->sender, (r->n + 1) * sizeof(*k));
	if (!k)
		return fail(err, errlen, path, no, "out of memory");
	r->sender = k;
	if (fcr_patterns_add(r->set, re, path, no, err, errlen) < 0)
		return -1;
	r->sender[r->n++] = sender;
	return 0;
}

fcr_generic_names *fcr_generic_names_load(const char *path, char *err, size_t errlen)
{
	fcr_generic_names *r = calloc(1, sizeof(*r));

	if (!r || !(r->set = fcr_patterns_new(true))) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (fcr_textfile_rules(path, FCR_TEXT_CONFIG_MAX, add_rule, r, err, errlen) < 0) {
		fcr_generic_names_free(r);
		return NULL;
	}
	return r;
}

unsigned fcr_generic_names_find(const fcr_generic_names *r, const char *text, size_t len,
                                bool *sender, bool *limited)
{
	*sender = false;
	if (limited)
		*limited = false;
	if (!r)
		return 0;
	long i = fcr_patterns_find(r->set, text, len, limited);
	if (i < 0)
		return 0;
	*sender = r->sender[i];
	return (unsigned)i + 1;
}

void fcr_generic_names_set_hook(fcr_generic_names *r, fcr_pattern_limit_fn fn, void *arg)
{
	if (r)
		fcr_patterns_set_hook(r->set, fn, arg);
}

uint64_t fcr_generic_names_limit_hits(const fcr_generic_names *r)
{
	return r ? fcr_patterns_limit_hits(r->set) : 0;
}

uint64_t fcr_generic_names_digest(const fcr_generic_names *r)
{
	if (!r)
		return 0;
	uint64_t h = fcr_patterns_digest(r->set);
	for (size_t i = 0; i < r->n; i++)
		h = fcr_digest_add(h, r->sender[i] ? "s" : "g", 1);
	return h;
}

void fcr_generic_names_free(fcr_generic_names *r)
{
	if (!r)
		return;
	fcr_patterns_free(r->set);
	free(r->sender);
	free(r);
}
