/* Unit tests for lib/pattern.c: PCRE2 patterns compiled with bounds, matched within limits (JIT
 * and interpreter alike), hostile patterns that hit a limit counted as no match, and the loader. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "pattern.h"

/* From the issue: a stack overflow in glibc's regexec, and seconds of backtracking. */
#define EMPTY_LOOP "(|)(\\1\\1)*"
#define BACKREFS "(.*)\\1(.*)\\2(.*)\\3(.*)\\4(.*)\\5x"

/* A 255-octet name of 'a' labels under test.example, as a hostile reverse zone can publish it;
 * name has room for 256 bytes. */
static const char *long_name(char *name)
{
	size_t n = 0;
	for (int label = 0; label < 4; label++) {
		size_t len = label < 3 ? 63 : 48;
		memset(name + n, 'a', len);
		n += len;
		name[n++] = '.';
	}
	memcpy(name + n, "test.example", 13);
	return name;
}

static fcr_patterns *set_of(bool jit, const char *const *re, size_t n)
{
	char err[256] = "";
	fcr_patterns *p = fcr_patterns_new(jit);
	cr_assert_not_null(p);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(fcr_patterns_add(p, re[i], "F", (unsigned)i + 1, err, sizeof(err)), 0,
		             "%s: %s", re[i], err);
	return p;
}

static bool matches(const fcr_patterns *p, const char *text, bool *limited)
{
	return fcr_patterns_match(p, text, strlen(text), limited);
}

static bool jit_available(void)
{
	uint32_t jit = 0;
	return pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit;
}

/* Ordinary patterns of the POSIX ERE days keep their meaning; matching ignores case. */
static void ordinary(bool jit)
{
	static const char *const re[] = { "^mail-[0-9]+\\.badisp\\.example$", "\\.customers\\.example$",
		                          "(dsl|cable)[0-9]*\\.", "[[:digit:]]{2,3}-x$", "^(a+b)+c$" };
	fcr_patterns *p = set_of(jit, re, 5);
	bool limited = true;
	cr_expect(matches(p, "mail-12.badisp.example", &limited));
	cr_expect_not(limited);
	cr_expect(matches(p, "MAIL-12.BadIsp.Example", NULL));
	cr_expect(matches(p, "www.customers.example", NULL));
	cr_expect(matches(p, "host.cable7.example", NULL));
	cr_expect(matches(p, "12-x", NULL));
	cr_expect(matches(p, "abaabc", NULL));
	cr_expect_not(matches(p, "mail-12.badisp.example.org", NULL));
	cr_expect_not(matches(p, "mail.example.com", &limited));
	cr_expect_not(limited);
	cr_expect_eq(fcr_patterns_count(p), 5);
	cr_expect_eq(fcr_patterns_limit_hits(p), 0);
	cr_expect_eq(fcr_patterns_jit(p), jit && jit_available());
	fcr_patterns_free(p);
}

Test(pattern, ordinary_patterns_jit) { ordinary(true); }
Test(pattern, ordinary_patterns_interpreter) { ordinary(false); }

struct heard {
	unsigned calls, firsts, line;
	char file[64], what[128];
};

static void hook(void *arg, const char *file, unsigned line, const char *what, bool first)
{
	struct heard *h = arg;
	__atomic_add_fetch(&h->calls, 1, __ATOMIC_RELAXED);
	if (!first)
		return;
	__atomic_add_fetch(&h->firsts, 1, __ATOMIC_RELAXED);
	h->line = line;
	snprintf(h->file, sizeof(h->file), "%s", file);
	snprintf(h->what, sizeof(h->what), "%s", what);
}

/* The patterns on the name: no crash, no burn; the backreference one runs into
 * the match limit, which counts as no match, is counted, and is told "first" once. The timeout
 * turns a regression (seconds per match) into a failure rather than a stalled suite. */
static void hostile(bool jit)
{
	static const char *const re[] = { "^good\\.example$", EMPTY_LOOP, BACKREFS };
	fcr_patterns *p = set_of(jit, re, 1);
	struct heard h = { 0 };
	char err[256], name[256];
	bool limited = false;

	cr_assert_eq(fcr_patterns_add(p, re[2], "F", 3, err, sizeof(err)), 0, "%s", err);
	fcr_patterns_set_hook(p, hook, &h);
	for (int i = 0; i < 3; i++) {
		cr_expect_not(matches(p, long_name(name), &limited));
		cr_expect(limited, "the backreference pattern did not hit a limit");
	}
	cr_expect_eq(fcr_patterns_limit_hits(p), 3);
	cr_expect_eq(h.calls, 3);
	cr_expect_eq(h.firsts, 1);
	cr_expect_str_eq(h.file, "F");
	cr_expect_eq(h.line, 3);
	cr_expect_str_eq(h.what, "match limit exceeded");
	/* the empty loop matches every name, at once */
	cr_assert_eq(fcr_patterns_add(p, re[1], "F", 2, err, sizeof(err)), 0, "%s", err);
	cr_expect(matches(p, long_name(name), &limited));
	cr_expect(matches(p, "", NULL));
	fcr_patterns_free(p);
}

Test(pattern, hostile_patterns_jit, .timeout = 10) { hostile(true); }
Test(pattern, hostile_patterns_interpreter, .timeout = 10) { hostile(false); }

/* A pattern that only the interpreter's depth or heap limit stops (JIT falls back to it when its
 * own stack runs out): still no match, counted. */
Test(pattern, deep_recursion_is_bounded, .timeout = 10)
{
	static const char *const re[] = { "^(a(?1)?)+\\d$" };
	char name[1025];
	bool limited = false;
	for (int jit = 0; jit < 2; jit++) {
		fcr_patterns *p = set_of(jit, re, 1);
		memset(name, 'a', 1024);
		name[1024] = '\0';
		cr_expect_not(matches(p, name, &limited));
		cr_expect(limited, "jit %d: no limit hit", jit);
		cr_expect_eq(fcr_patterns_limit_hits(p), 1);
		fcr_patterns_free(p);
	}
}

static void expect_refused(const char *re, const char *why)
{
	char err[256] = "";
	fcr_patterns *p = fcr_patterns_new(true);
	cr_assert_not_null(p);
	cr_expect_eq(fcr_patterns_add(p, re, "/etc/p", 7, err, sizeof(err)), -1, "accepted: %.40s", re);
	cr_expect_eq(strncmp(err, "/etc/p:7: ", 10), 0, "%.40s: '%s'", re, err);
	cr_expect_neq(strstr(err, why), NULL, "%.40s: '%s' lacks '%s'", re, err, why);
	cr_expect_eq(fcr_patterns_count(p), 0);
	fcr_patterns_free(p);
}

Test(pattern, bad_patterns_say_file_line_and_why)
{
	char nest[80], longre[FCR_PATTERN_MAX_LEN + 2];
	expect_refused("foo(", "missing closing parenthesis (at offset 4)");
	expect_refused("[z-a]", "range out of order");
	expect_refused("a)", "unmatched closing parenthesis");
	expect_refused("\\C", "using \\C is disabled");
	expect_refused("(*UTF)a", "using UTF is disabled");
	expect_refused("x{2,1}", "numbers out of order");
	memset(nest, '(', 40);
	nest[40] = '\0';
	expect_refused(nest, "parentheses are too deeply nested");
	memset(longre, 'a', sizeof(longre) - 1);
	longre[sizeof(longre) - 1] = '\0';
	expect_refused(longre, "pattern longer than 1024 bytes");
	expect_refused("((a|b){100}){100}", "too large");
}

Test(pattern, count_is_bounded)
{
	char err[256] = "";
	fcr_patterns *p = fcr_patterns_new(false);
	for (unsigned i = 0; i < FCR_PATTERNS_MAX; i++)
		cr_assert_eq(fcr_patterns_add(p, "^x$", "F", i + 1, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(fcr_patterns_add(p, "^x$", "F", 1001, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "F:1001: more than 1000 patterns");
	fcr_patterns_free(p);
	fcr_patterns_free(NULL);
	cr_expect_not(fcr_patterns_match(NULL, "x", 1, NULL));
}

static char *write_file(const char *text, size_t n)
{
	char *path = strdup("/tmp/fcr-pattern-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

static void expect_load_error(const char *text, size_t n, const char *where, const char *why)
{
	char *path = write_file(text, n), err[512] = "", want[256];
	cr_expect_null(fcr_patterns_load(path, err, sizeof(err)), "accepted: %s", why);
	snprintf(want, sizeof(want), "%s%s %s", path, where, why);
	cr_expect_eq(strncmp(err, want, strlen(want)), 0, "got '%s', want '%s...'", err, want);
	unlink(path);
	free(path);
}

Test(pattern, load_file)
{
	static const char text[] = "# site patterns\n\n  # indented\n ^a$ \r\n\t^b-[0-9]+$\nc#d\n";
	char *path = write_file(text, sizeof(text) - 1), err[512] = "";
	fcr_patterns *p = fcr_patterns_load(path, err, sizeof(err));
	cr_assert_not_null(p, "%s", err);
	cr_expect_eq(fcr_patterns_count(p), 3);
	cr_expect(matches(p, "a", NULL));
	cr_expect(matches(p, "b-7", NULL));
	cr_expect(matches(p, "xc#dx", NULL), "'#' inside a pattern is part of it");
	cr_expect_not(matches(p, " a", NULL));
	fcr_patterns_free(p);
	unlink(path);
	free(path);

	expect_load_error("^a$\n\n(x\n", 7, ":3:", "missing closing parenthesis");
	expect_load_error("^a$\nb\0c\n", 8, ":2:", "NUL byte in column 2");
	expect_load_error("\x01\n", 2, ":1:", "control character");
	char *big = malloc(5000);
	memset(big, 'a', 5000);
	expect_load_error(big, 5000, ":1:", "line longer than 4096 bytes");
	free(big);
}

Test(pattern, load_refuses_what_is_not_a_bounded_regular_file, .timeout = 10)
{
	char err[512] = "";
	cr_expect_null(fcr_patterns_load("/dev/zero", err, sizeof(err)));
	cr_expect_str_eq(err, "/dev/zero: not a regular file");
	cr_expect_null(fcr_patterns_load("/tmp", err, sizeof(err)));
	cr_expect_str_eq(err, "/tmp: Is a directory");
	char fifo[] = "/tmp/fcr-pattern-fifo-XXXXXX";
	cr_assert_not_null(mkdtemp(fifo));
	char path[64];
	snprintf(path, sizeof(path), "%s/p", fifo);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_expect_null(fcr_patterns_load(path, err, sizeof(err)));
	cr_expect_neq(strstr(err, ": not a regular file"), NULL, "%s", err);
	unlink(path);
	rmdir(fifo);
	fcr_patterns *p = fcr_patterns_load("/dev/null", err, sizeof(err));
	cr_assert_not_null(p, "%s", err);
	cr_expect_eq(fcr_patterns_count(p), 0);
	fcr_patterns_free(p);
}

struct worker {
	const fcr_patterns *p;
	int bad;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char name[256];
	bool limited;
	for (int i = 0; i < 20; i++) {
		w->bad += matches(w->p, long_name(name), &limited) || !limited;
		w->bad += !matches(w->p, "good.example", NULL);
	}
	return NULL;
}

/* Shared by threads: counts add up, and "first" is told exactly once. */
Test(concurrency, pattern_limit_counted_once_per_pattern, .timeout = 60)
{
	static const char *const re[] = { BACKREFS, "^good\\.example$" };
	fcr_patterns *p = set_of(true, re, 2);
	struct heard h = { 0 };
	fcr_patterns_set_hook(p, hook, &h);
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ p, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(w[i].bad, 0);
	}
	cr_expect_eq(fcr_patterns_limit_hits(p), 4 * 20, "hits %llu",
	             (unsigned long long)fcr_patterns_limit_hits(p));
	cr_expect_eq(h.calls, 4 * 20);
	cr_expect_eq(h.firsts, 1);
	fcr_patterns_free(p);
}
