/* The PCRE2 pattern set behind GenericPatterns: compile contexts with size bounds, a shared read-only
 * match context with the limits, and per-pattern counters of matches that ran into them. */
#include "pattern.h"

#include "textfile.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names are bytes (ldns escapes what is not printable ASCII): no UTF mode, and no \C, which could
 * only matter there. */
#define COMPILE_OPTIONS (PCRE2_CASELESS | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C)

struct slot {
	pcre2_code *code;
	char *file;
	unsigned line;
	uint64_t hits;    /* atomic: matches that hit a limit */
	bool logged;      /* atomic: the hook has been told "first" */
};

struct fcr_patterns {
	struct slot *slot;  /* written through only with atomics once shared */
	size_t n, cap;
	bool want_jit, all_jit;
	pcre2_compile_context *cc;
	pcre2_match_context *mc;   /* read-only once built: PCRE2 allows sharing it between threads */
	fcr_pattern_limit_fn hook;
	void *hook_arg;
	uint64_t digest;           /* fcr_patterns_digest */
};

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME 1099511628211ULL

uint64_t fcr_digest_add(uint64_t h, const void *data, size_t len)
{
	const unsigned char *b = data;
	if (h == 0)
		h = FNV_OFFSET;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

fcr_patterns *fcr_patterns_new(bool jit)
{
	fcr_patterns *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->want_jit = p->all_jit = jit;
	p->cc = pcre2_compile_context_create(NULL);
	p->mc = pcre2_match_context_create(NULL);
	if (!p->cc || !p->mc) {
		fcr_patterns_free(p);
		return NULL;
	}
	pcre2_set_max_pattern_length(p->cc, FCR_PATTERN_MAX_LEN);
	pcre2_set_parens_nest_limit(p->cc, FCR_PATTERN_NEST_MAX);
	pcre2_set_match_limit(p->mc, FCR_PATTERN_MATCH_LIMIT);
	pcre2_set_depth_limit(p->mc, FCR_PATTERN_DEPTH_LIMIT);
	pcre2_set_heap_limit(p->mc, FCR_PATTERN_HEAP_LIMIT);
	return p;
}

void fcr_patterns_free(fcr_patterns *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		pcre2_code_free(p->slot[i].code);
		free(p->slot[i].file);
	}
	free(p->slot);
	pcre2_compile_context_free(p->cc);
	pcre2_match_context_free(p->mc);
	free(p);
}

static int add_fail(char *err, size_t errlen, const char *file, unsigned line, const char *why)
{
	snprintf(err, errlen, "%s:%u: %s", file, line, why);
	return -1;
}

static bool grow(fcr_patterns *p)
{
	if (p->n < p->cap)
		return true;
	size_t cap = p->cap ? p->cap * 2 : 16;
	struct slot *s = realloc(p->slot, cap * sizeof(*s));
	if (!s)
		return false;
	p->slot = s;
	p->cap = cap;
	return true;
}

int fcr_patterns_add(fcr_patterns *p, const char *re, const char *file, unsigned line, char *err,
                     size_t errlen)
{
	char why[160], msg[120];
	size_t len = strlen(re);
	int e;
	PCRE2_SIZE off;

	if (p->n == FCR_PATTERNS_MAX) {
		snprintf(why, sizeof(why), "more than %d patterns", FCR_PATTERNS_MAX);
		return add_fail(err, errlen, file, line, why);
	}
	if (len > FCR_PATTERN_MAX_LEN) {
		snprintf(why, sizeof(why), "pattern longer than %d bytes", FCR_PATTERN_MAX_LEN);
		return add_fail(err, errlen, file, line, why);
	}
	if (!grow(p) || !(p->slot[p->n].file = strdup(file)))
		return add_fail(err, errlen, file, line, "out of memory");
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, len, COMPILE_OPTIONS, &e, &off, p->cc);
	if (!code) {
		free(p->slot[p->n].file);
		pcre2_get_error_message(e, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(why, sizeof(why), "%s (at offset %zu)", msg, (size_t)off);
		return add_fail(err, errlen, file, line, why);
	}
	/* Without JIT (not built for this CPU, or no executable memory) the interpreter does the
	 * same work, only slower, under the same limits. */
	if (!p->want_jit || pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) != 0)
		p->all_jit = false;
	p->slot[p->n] = (struct slot){ .code = code, .file = p->slot[p->n].file, .line = line };
	p->n++;
	/* with its NUL, so that "ab" + "c" differs from "a" + "bc" */
	p->digest = fcr_digest_add(p->digest, re, len + 1);
	return 0;
}

static int add_line(void *arg, char *line, const char *path, unsigned lineno, char *err,
                    size_t errlen)
{
	return fcr_patterns_add(arg, line, path, lineno, err, errlen);
}

fcr_patterns *fcr_patterns_load(const char *path, char *err, size_t errlen)
{
	fcr_patterns *p = fcr_patterns_new(true);

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (fcr_textfile_rules(path, FCR_TEXT_CONFIG_MAX, add_line, p, err, errlen) < 0) {
		fcr_patterns_free(p);
		return NULL;
	}
	return p;
}

uint64_t fcr_patterns_digest(const fcr_patterns *p)
{
	return p ? p->digest : 0;
}

void fcr_patterns_set_hook(fcr_patterns *p, fcr_pattern_limit_fn fn, void *arg)
{
	p->hook = fn;
	p->hook_arg = arg;
}

static void limit_hit(const fcr_patterns *p, struct slot *s, int rc)
{
	char what[120];

	__atomic_add_fetch(&s->hits, 1, __ATOMIC_RELAXED);
	bool first = !__atomic_exchange_n(&s->logged, true, __ATOMIC_RELAXED);
	if (!p->hook)
		return;
	if (pcre2_get_error_message(rc, (PCRE2_UCHAR *)what, sizeof(what)) < 0)
		snprintf(what, sizeof(what), "PCRE2 error %d", rc);
	p->hook(p->hook_arg, s->file, s->line, what, first);
}

static int run(const fcr_patterns *p, const struct slot *s, const char *text, size_t len,
               pcre2_match_data *md)
{
	int rc = pcre2_match(s->code, (PCRE2_SPTR)text, len, 0, 0, md, p->mc);
	/* JIT code has a small stack of its own; the interpreter, bounded by the heap and depth
	 * limits instead, may still finish the match. */
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(s->code, (PCRE2_SPTR)text, len, 0, PCRE2_NO_JIT, md, p->mc);
	return rc;
}

long fcr_patterns_find(const fcr_patterns *p, const char *text, size_t len, bool *limited)
{
	long found = -1;

	if (limited)
		*limited = false;
	if (!p || p->n == 0)
		return -1;
	/* One ovector pair is enough to learn "matched"; per call, so that threads share nothing. */
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (!md)
		return -1;
	for (size_t i = 0; i < p->n && found < 0; i++) {
		int rc = run(p, &p->slot[i], text, len, md);
		if (rc >= 0) {
			found = (long)i;
		} else if (rc != PCRE2_ERROR_NOMATCH) {
			limit_hit(p, &p->slot[i], rc);
			if (limited)
				*limited = true;
		}
	}
	pcre2_match_data_free(md);
	return found;
}

bool fcr_patterns_match(const fcr_patterns *p, const char *text, size_t len, bool *limited)
{
	return fcr_patterns_find(p, text, len, limited) >= 0;
}

size_t fcr_patterns_count(const fcr_patterns *p)
{
	return p ? p->n : 0;
}

uint64_t fcr_patterns_limit_hits(const fcr_patterns *p)
{
	uint64_t sum = 0;

	for (size_t i = 0; p && i < p->n; i++)
		sum += __atomic_load_n(&p->slot[i].hits, __ATOMIC_RELAXED);
	return sum;
}

bool fcr_patterns_jit(const fcr_patterns *p)
{
	return p && p->all_jit;
}
