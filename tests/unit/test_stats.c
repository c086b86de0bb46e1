/* Unit tests for milter/stats.c: the check-duration histogram's bounds and buckets as the StatsFile
 * spells them, the gauges and the build information, and counting from many threads at once. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"
#include "version.h"

static char dir[] = "/tmp/fcr-test-stats-XXXXXX";
static char path[128];
static char text[16384];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/stats.prom", dir);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(stats, .init = setup, .fini = teardown, .timeout = 20);

/* Writes s and reads the file back into text. */
static void write_and_read(const struct fcr_stats *s)
{
	cr_assert_eq(fcr_stats_write(s, path, 0), 0);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
}

/* True when the file has this exact line. */
static bool has_line(const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void expect_bounds(int64_t timeout_ms, const int64_t *want, unsigned n)
{
	struct fcr_stats s = { 0 };
	fcr_stats_init(&s, timeout_ms);
	cr_assert_eq(s.n_bounds, n, "CheckTimeout %lld ms: %u bounds", (long long)timeout_ms, s.n_bounds);
	for (unsigned i = 0; i < n; i++)
		cr_expect_eq(s.bound_ms[i], want[i], "bound %u: %lld", i, (long long)s.bound_ms[i]);
}

Test(stats, bounds_from_1_ms_to_check_timeout)
{
	const int64_t d5[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000 };
	expect_bounds(5000, d5, 12);
	const int64_t d150[] = { 1, 2, 5, 10, 20, 50, 100, 150 };
	expect_bounds(150, d150, 8);
	const int64_t d120[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000,
	                         50000, 100000, 120000 };
	expect_bounds(120000, d120, 17);
}

Test(stats, histogram_buckets_cumulative_in_seconds)
{
	struct fcr_stats s = { 0 };
	fcr_stats_init(&s, 5000);
	const int64_t ms[] = { 0, 1, 2, 3, 5000, 5001 };
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		fcr_stats_observe(&s, ms[i]);
	write_and_read(&s);
	cr_expect(has_line("# TYPE fcrdns_check_duration_seconds histogram"));
	cr_expect(has_line("fcrdns_check_duration_seconds_bucket{le=\"0.001\"} 2"), "%s", text);
	cr_expect(has_line("fcrdns_check_duration_seconds_bucket{le=\"0.002\"} 3"));
	cr_expect(has_line("fcrdns_check_duration_seconds_bucket{le=\"0.005\"} 4"));
	cr_expect(has_line("fcrdns_check_duration_seconds_bucket{le=\"2\"} 4"));
	cr_expect(has_line("fcrdns_check_duration_seconds_bucket{le=\"5\"} 5"));
	cr_expect(has_line("fcrdns_check_duration_seconds_bucket{le=\"+Inf\"} 6"));
	cr_expect(has_line("fcrdns_check_duration_seconds_sum 10.007"));
	cr_expect(has_line("fcrdns_check_duration_seconds_count 6"));
	cr_expect_null(strstr(text, "le=\"10\""), "a bucket beyond CheckTimeout");
}

/* A finished check is counted in the histogram with its own time, the cache's hits included. */
Test(stats, check_counted_with_its_time)
{
	struct fcr_stats s = { 0 };
	fcr_stats_init(&s, 2000);
	struct fcr_cache_summary r = { .result = FCR_PASS, .elapsed_ms = 7 };
	fcr_stats_check(&s, &r, false);
	r.elapsed_ms = 0;
	fcr_stats_check(&s, &r, true);
	write_and_read(&s);
	cr_expect(has_line("fcrdns_check_duration_seconds_bucket{le=\"0.005\"} 1"), "%s", text);
	cr_expect(has_line("fcrdns_check_duration_seconds_bucket{le=\"0.01\"} 2"));
	cr_expect(has_line("fcrdns_check_duration_seconds_sum 0.007"));
	cr_expect(has_line("fcrdns_results_total{result=\"pass\"} 2"));
}

Test(stats, gauges_and_build_info)
{
	struct fcr_stats s = { 0 };
	fcr_stats_init(&s, 5000);
	s.cache_entries = 42;
	write_and_read(&s);
	cr_expect(has_line("# TYPE fcrdns_build_info gauge"));
	cr_expect(has_line("fcrdns_build_info{version=\"" FCR_VERSION "\"} 1"), "%s", text);
	cr_expect(has_line("# TYPE fcrdns_cache_entries gauge"));
	cr_expect(has_line("fcrdns_cache_entries 42"));
	/* no pool started: nothing runs, no thread */
	cr_expect(has_line("# TYPE fcrdns_checks_in_flight gauge"));
	cr_expect(has_line("fcrdns_checks_in_flight 0"));
	cr_expect(has_line("# TYPE fcrdns_worker_threads gauge"));
	cr_expect(has_line("fcrdns_worker_threads 0"));
}

#define THREADS 8
#define PER_THREAD 20000

static struct fcr_stats shared;

static void *observer(void *arg)
{
	int64_t ms = (int64_t)(intptr_t)arg;
	for (int i = 0; i < PER_THREAD; i++)
		fcr_stats_observe(&shared, ms);
	return NULL;
}

/* Every observation counted once whatever the interleaving: no lost update. */
Test(concurrency, stats_histogram_from_many_threads)
{
	pthread_t t[THREADS];
	fcr_stats_init(&shared, 5000);
	for (int i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, observer, (void *)(intptr_t)(i % 2 ? 3 : 40)), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	/* half the threads at 3 ms (bucket le 5 ms), half at 40 ms (bucket le 50 ms) */
	cr_expect_eq(shared.duration[2], (uint64_t)THREADS / 2 * PER_THREAD);
	cr_expect_eq(shared.duration[5], (uint64_t)THREADS / 2 * PER_THREAD);
	cr_expect_eq(shared.duration_sum_ms, (uint64_t)THREADS / 2 * PER_THREAD * (3 + 40));
}
