/* Unit tests for lib/config: the defaults, which files are read (missing, empty, directories, only
 * bounded regular files), socket and keyword names. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "config/internal.h"
#include "config_fixture.h"


Test(config, defaults_without_file)
{
	char err[ERRLEN];
	struct fcr_config *c = fcr_cfg_load("/nonexistent/fcrdns-milter.conf", true, NULL, 0, err,
	                                    sizeof(err));

	cr_assert_not_null(c, "%s", err);
	cr_assert_null(c->path);
	assert_defaults(c);
	fcr_config_free(c);
}

Test(config, default_path_missing_means_defaults)
{
	char err[ERRLEN];

	if (access(FCR_DEFAULT_CONFIG, F_OK) == 0)
		cr_skip_test("%s exists on this machine", FCR_DEFAULT_CONFIG);
	struct fcr_config *c = fcr_config_load(NULL, NULL, 0, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_null(c->path);
	assert_defaults(c);
	fcr_config_free(c);
}

Test(config, empty_file_gives_defaults)
{
	struct fcr_config *c = load_ok("# nothing here\n\n   \n\t\n");

	assert_defaults(c);
	fcr_config_free(c);
	fcr_config_free(NULL);
}

Test(config, missing_named_file)
{
	char err[ERRLEN];

	cr_assert_null(fcr_config_load("/nonexistent/x.conf", NULL, 0, err, sizeof(err)));
	cr_assert_str_eq(err, "/nonexistent/x.conf: No such file or directory");
}

Test(config, directory_is_an_error)
{
	char err[ERRLEN];

	cr_assert_null(fcr_config_load("/tmp", NULL, 0, err, sizeof(err)));
	cr_assert_str_eq(err, "/tmp: Is a directory");
}

/* A scratch directory holding a FIFO "fifo" and a sparse file "big" of the given size. */
static void scratch(char *dir, size_t big)
{
	char path[96];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/big", dir);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	cr_assert(fd >= 0 && ftruncate(fd, (off_t)big) == 0);
	close(fd);
}

static void scratch_drop(const char *dir)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/fifo", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/big", dir);
	unlink(path);
	rmdir(dir);
}

/* A FIFO would block the open (and -n) for ever, /dev/zero would never end: only regular files
 * (and /dev/null) of bounded size are read. The timeout makes a blocked open a failure. */
Test(config, only_bounded_regular_files, .timeout = 20)
{
	char dir[] = "/tmp/fcr-test-files-XXXXXX", path[96], want[160], text[256], err[ERRLEN];

	scratch(dir, FCR_TEXT_CONFIG_MAX + 1);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_expect_null(fcr_config_load(path, NULL, 0, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	cr_expect_str_eq(err, want);
	snprintf(text, sizeof(text), "ExemptHosts file:%s\n", path);
	cr_expect_null(load_text(text, NULL, 0, err));
	snprintf(want, sizeof(want), "F:1: ExemptHosts: file:%s: not a regular file", path);
	cr_expect_str_eq(err, want);
	snprintf(text, sizeof(text), "\nGenericPatterns %s\n", path);
	cr_expect_null(load_text(text, NULL, 0, err));
	snprintf(want, sizeof(want), "F:2: GenericPatterns: %s: not a regular file", path);
	cr_expect_str_eq(err, want);
	cr_expect_null(load_text("GenericPatterns /dev/zero\n", NULL, 0, err));
	cr_expect_str_eq(err, "F:1: GenericPatterns: /dev/zero: not a regular file");
	cr_expect_null(load_text("ExemptHosts file:/tmp\n", NULL, 0, err));
	cr_expect_str_eq(err, "F:1: ExemptHosts: file:/tmp: Is a directory");

	snprintf(path, sizeof(path), "%s/big", dir);
	cr_expect_null(fcr_config_load(path, NULL, 0, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", path);
	cr_expect_str_eq(err, want);
	snprintf(text, sizeof(text), "GenericPatterns %s\n", path);
	cr_expect_null(load_text(text, NULL, 0, err));
	snprintf(want, sizeof(want), "F:1: GenericPatterns: %s: larger than 1048576 bytes", path);
	cr_expect_str_eq(err, want);
	cr_assert_eq(truncate(path, FCR_TEXT_LIST_MAX + 1), 0);
	snprintf(text, sizeof(text), "ExemptHosts file:%s\n", path);
	cr_expect_null(load_text(text, NULL, 0, err));
	snprintf(want, sizeof(want), "F:1: ExemptHosts: file:%s: larger than 16777216 bytes", path);
	cr_expect_str_eq(err, want);
	scratch_drop(dir);
}

/* -c /dev/null is the documented way to say "built-in defaults", and a list or pattern file may be
 * /dev/null too; a file of exactly the bound is still read. */
Test(config, dev_null_and_files_at_the_bound)
{
	char text[256], err[ERRLEN];
	struct fcr_config *c = fcr_config_load("/dev/null", NULL, 0, err, sizeof(err));

	cr_assert_not_null(c, "%s", err);
	assert_defaults(c);
	fcr_config_free(c);
	c = load_ok("ExemptHosts file:/dev/null\nGenericPatterns /dev/null\n");
	cr_expect_eq(fcr_cidrs_count(c->exempt_hosts), 0);
	fcr_config_free(c);
	/* 256 comment lines of 4096 bytes each (newline included): exactly 1 MiB */
	char *big = malloc(FCR_TEXT_CONFIG_MAX);
	cr_assert_not_null(big);
	memset(big, '#', FCR_TEXT_CONFIG_MAX);
	for (size_t i = 4095; i < FCR_TEXT_CONFIG_MAX; i += 4096)
		big[i] = '\n';
	char *file = temp_file(big, FCR_TEXT_CONFIG_MAX);
	c = fcr_config_load(file, NULL, 0, err, sizeof(err));
	cr_expect_not_null(c, "%s", err);
	fcr_config_free(c);
	snprintf(text, sizeof(text), "ExemptHosts file:%s\nGenericPatterns %s\n", file, file);
	fcr_config_free(load_ok(text));
	drop(file);
	free(big);
}

