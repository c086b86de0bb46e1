/* Unit tests for lib/textfile.c: what may be opened (regular files, /dev/null under any name), what
 * is refused at once (FIFO, device, directory, oversize), and the bounded line reader. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textfile.h"

static char dir[] = "/tmp/fcr-test-textfile-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(textfile, .init = setup, .fini = teardown, .timeout = 20);

static const char *put(const char *name, const char *data, size_t n)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	cr_assert(f && fwrite(data, 1, n, f) == n && fclose(f) == 0);
	return path;
}

static int open_why(const char *path, size_t max, char *why)
{
	struct fcr_textfile t;
	int e = fcr_textfile_open(&t, path, max, why, 96);
	fcr_textfile_close(&t);
	fcr_textfile_close(&t);
	return e;
}

Test(textfile, refused_at_open)
{
	char why[96], path[128];

	cr_expect_eq(open_why("/nonexistent/x", 100, why), ENOENT);
	cr_expect_str_eq(why, strerror(ENOENT));
	cr_expect_eq(open_why(dir, 100, why), EISDIR);
	cr_expect_str_eq(why, "Is a directory");
	cr_expect_eq(open_why("/dev/zero", 100, why), EINVAL);
	cr_expect_str_eq(why, "not a regular file");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_expect_eq(open_why(path, 100, why), EINVAL, "a FIFO without a writer");
	cr_expect_str_eq(why, "not a regular file");
	put("eleven", "0123456789\n", 11);
	snprintf(path, sizeof(path), "%s/eleven", dir);
	cr_expect_eq(open_why(path, 10, why), EFBIG);
	cr_expect_str_eq(why, "larger than 10 bytes");
	cr_expect_eq(open_why(path, 11, why), 0);
}

Test(textfile, dev_null_under_any_name_reads_empty)
{
	struct fcr_textfile t;
	char why[96], link[128], *line;
	size_t len;

	snprintf(link, sizeof(link), "%s/null", dir);
	cr_assert_eq(symlink("/dev/null", link), 0);
	cr_assert_eq(fcr_textfile_open(&t, link, 0, why, sizeof(why)), 0, "%s", why);
	cr_expect_eq(fcr_textfile_next(&t, &line, &len, why, sizeof(why)), 0);
	fcr_textfile_close(&t);
}

Test(textfile, lines)
{
	static const char text[] = "one\r\n\ntwo\tx\nlast";
	struct fcr_textfile t;
	char why[96], *line;
	size_t len;

	cr_assert_eq(fcr_textfile_open(&t, put("f", text, sizeof(text) - 1), 100, why, sizeof(why)), 0);
	cr_assert_eq(fcr_textfile_next(&t, &line, &len, why, sizeof(why)), 1);
	cr_expect_str_eq(line, "one");
	cr_expect_eq(len, 3);
	cr_assert_eq(fcr_textfile_next(&t, &line, &len, why, sizeof(why)), 1);
	cr_expect_eq(len, 0);
	cr_assert_eq(fcr_textfile_next(&t, &line, &len, why, sizeof(why)), 1);
	cr_expect_str_eq(line, "two\tx");
	cr_assert_eq(fcr_textfile_next(&t, &line, &len, why, sizeof(why)), 1);
	cr_expect_str_eq(line, "last");
	cr_expect_eq(t.line, 4);
	cr_expect_eq(fcr_textfile_next(&t, &line, &len, why, sizeof(why)), 0);
	fcr_textfile_close(&t);
}

Test(textfile, overlong_line)
{
	struct fcr_textfile t;
	char why[96], *line, *text = malloc(FCR_TEXT_LINE_MAX + 8);
	size_t len;

	memcpy(text, "ok\n", 3);
	memset(text + 3, 'a', FCR_TEXT_LINE_MAX + 1);
	const char *path = put("long", text, FCR_TEXT_LINE_MAX + 4);
	cr_assert_eq(fcr_textfile_open(&t, path, 1 << 20, why, sizeof(why)), 0);
	cr_assert_eq(fcr_textfile_next(&t, &line, &len, why, sizeof(why)), 1);
	cr_expect_eq(fcr_textfile_next(&t, &line, &len, why, sizeof(why)), -1);
	cr_expect_str_eq(why, "line longer than 4096 bytes");
	cr_expect_eq(t.line, 2);
	fcr_textfile_close(&t);
	free(text);
}

/* The size at open is no promise: a file that grows while it is read stops at the bound. */
Test(textfile, growing_file_stops_at_the_bound)
{
	struct fcr_textfile t;
	char why[96], *line;
	size_t len;
	const char *path = put("grow", "a\n", 2);

	cr_assert_eq(fcr_textfile_open(&t, path, 10, why, sizeof(why)), 0);
	FILE *f = fopen(path, "ab");
	cr_assert(f && fputs("b\nccccccccccc\n", f) >= 0 && fclose(f) == 0);
	cr_assert_eq(fcr_textfile_next(&t, &line, &len, why, sizeof(why)), 1);
	cr_assert_eq(fcr_textfile_next(&t, &line, &len, why, sizeof(why)), 1);
	cr_expect_str_eq(line, "b");
	cr_expect_eq(fcr_textfile_next(&t, &line, &len, why, sizeof(why)), -1);
	cr_expect_str_eq(why, "file larger than 10 bytes");
	fcr_textfile_close(&t);
}

/* ---- rules files ---- */

struct seen {
	char lines[8][64];
	unsigned nos[8];
	int n;
	int fail_at;               /* the rule number (from 1) the callback refuses, 0: none */
};

static int collect(void *arg, char *line, const char *path, unsigned lineno, char *err, size_t errlen)
{
	struct seen *s = arg;
	if (++s->n == s->fail_at) {
		snprintf(err, errlen, "%s:%u: refused", path, lineno);
		return -1;
	}
	snprintf(s->lines[s->n - 1], sizeof(s->lines[0]), "%s", line);
	s->nos[s->n - 1] = lineno;
	return 0;
}

Test(textfile, rules_skip_blanks_and_comments_and_trim)
{
	static const char text[] = "# a comment\n\n  first rule \t\n\t\n  # indented comment\nsecond\r\n";
	const char *p = put("rules", text, strlen(text));
	struct seen s = { 0 };
	char err[256] = "";
	cr_assert_eq(fcr_textfile_rules(p, 1024, collect, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.lines[0], "first rule");
	cr_assert_eq(s.nos[0], 3);
	cr_assert_str_eq(s.lines[1], "second");
	cr_assert_eq(s.nos[1], 6);
}

Test(textfile, rules_errors_say_where)
{
	char err[256];
	struct seen s = { .fail_at = 2 };
	const char *p = put("rules2", "one\ntwo\nthree\n", strlen("one\ntwo\nthree\n"));
	cr_assert_eq(fcr_textfile_rules(p, 1024, collect, &s, err, sizeof(err)), -1);
	cr_assert_eq(s.n, 2, "nothing read after a refused rule");
	cr_assert(strstr(err, ":2: refused"), "%s", err);

	struct seen t = { 0 };
	p = put("rules3", "ok\nbad\001byte\n", strlen("ok\nbad\001byte\n"));
	cr_assert_eq(fcr_textfile_rules(p, 1024, collect, &t, err, sizeof(err)), -1);
	cr_assert_eq(strncmp(err, p, strlen(p)), 0, "%s", err);
	cr_assert_eq(strncmp(err + strlen(p), ":2: ", 4), 0, "%s", err);
	cr_assert_eq(t.n, 1);

	cr_assert_eq(fcr_textfile_rules("/nonexistent/rules", 1024, collect, &t, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "/nonexistent/rules: No such file or directory");
}
