/* The resolver's circuit breaker (health.h) on a clock the tests drive: when it opens, what resets
 * it, one probe per interval (also among many threads, in the "concurrency" suite), recovery, and
 * the hook heard once per state change. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>

#include "health.h"

struct clock {
	_Atomic int64_t now;
};

static int64_t clock_now(void *arg)
{
	return atomic_load(&((struct clock *)arg)->now);
}

struct calls {
	int n;
	bool down[8];
	unsigned timeouts[8];
	int64_t down_ms[8];
};

static void hook(void *arg, bool down, unsigned timeouts, int64_t down_ms)
{
	struct calls *c = arg;
	if (c->n < 8) {
		c->down[c->n] = down;
		c->timeouts[c->n] = timeouts;
		c->down_ms[c->n] = down_ms;
	}
	c->n++;
}

static fcr_health *breaker(struct clock *clk, struct calls *calls)
{
	fcr_health *h = fcr_health_new(clock_now, clk);
	cr_assert_not_null(h);
	fcr_health_set_hook(h, hook, calls);
	return h;
}

static void report_n(fcr_health *h, enum fcr_heard heard, int n)
{
	for (int i = 0; i < n; i++)
		fcr_health_report(h, heard);
}

Test(health, opens_after_exactly_the_threshold)
{
	struct clock clk = { 1000 };
	struct calls calls = { 0 };
	fcr_health *h = breaker(&clk, &calls);

	cr_assert_eq(FCR_HEALTH_THRESHOLD, 5);
	report_n(h, FCR_HEARD_NOTHING, FCR_HEALTH_THRESHOLD - 1);
	cr_assert_not(fcr_health_down(h));
	cr_assert(fcr_health_admit(h), "up: every check may ask");
	cr_assert_eq(calls.n, 0);
	cr_assert(fcr_health_report(h, FCR_HEARD_NOTHING), "the threshold-th timeout opens it");
	cr_assert(fcr_health_down(h));
	cr_assert_eq(calls.n, 1);
	cr_assert(calls.down[0]);
	cr_assert_eq(calls.timeouts[0], FCR_HEALTH_THRESHOLD);
	report_n(h, FCR_HEARD_NOTHING, 20);
	cr_assert_eq(calls.n, 1, "more timeouts while down are no state change");
	struct fcr_health_stats st;
	fcr_health_stats(h, &st);
	cr_assert(st.down);
	cr_assert_eq(st.changes, 1);
	cr_assert_eq(st.timeouts, FCR_HEALTH_THRESHOLD + 20);
	fcr_health_free(h);
}

Test(health, any_reply_resets_the_count)
{
	struct clock clk = { 0 };
	struct calls calls = { 0 };
	fcr_health *h = breaker(&clk, &calls);
	static const enum fcr_heard resets[] = { FCR_HEARD_REPLIES, FCR_HEARD_PARTLY };

	for (size_t i = 0; i < 2; i++) {
		report_n(h, FCR_HEARD_NOTHING, FCR_HEALTH_THRESHOLD - 1);
		cr_assert_not(fcr_health_report(h, resets[i]));
		report_n(h, FCR_HEARD_NOTHING, FCR_HEALTH_THRESHOLD - 1);
		cr_assert_not(fcr_health_down(h), "a reply in between starts the count again");
		cr_assert_not(fcr_health_report(h, resets[i]));
	}
	cr_assert_eq(calls.n, 0);
	fcr_health_free(h);
}

/* Checks that never reached the resolver neither count nor reset. */
Test(health, no_socket_and_unasked_say_nothing)
{
	struct clock clk = { 0 };
	struct calls calls = { 0 };
	fcr_health *h = breaker(&clk, &calls);

	report_n(h, FCR_HEARD_NO_SOCKET, 50);
	report_n(h, FCR_HEARD_UNASKED, 50);
	cr_assert_not(fcr_health_down(h));
	report_n(h, FCR_HEARD_NOTHING, FCR_HEALTH_THRESHOLD - 1);
	report_n(h, FCR_HEARD_NO_SOCKET, 3);
	report_n(h, FCR_HEARD_UNASKED, 3);
	cr_assert(fcr_health_report(h, FCR_HEARD_NOTHING));
	cr_assert_eq(calls.n, 1);
	fcr_health_free(h);
}

static void open_it(fcr_health *h)
{
	report_n(h, FCR_HEARD_NOTHING, FCR_HEALTH_THRESHOLD);
	cr_assert(fcr_health_down(h));
}

Test(health, one_probe_per_interval)
{
	struct clock clk = { 10000 };
	struct calls calls = { 0 };
	fcr_health *h = breaker(&clk, &calls);

	open_it(h);
	for (int i = 0; i < 10; i++)
		cr_assert_not(fcr_health_admit(h), "no probe in the first interval after opening");
	clk.now = 10000 + FCR_HEALTH_PROBE_MS - 1;
	cr_assert_not(fcr_health_admit(h));
	clk.now = 10000 + FCR_HEALTH_PROBE_MS;
	cr_assert(fcr_health_admit(h), "the first check of the next interval is a probe");
	cr_assert_not(fcr_health_admit(h), "and only the first");
	clk.now += FCR_HEALTH_PROBE_MS / 2;
	cr_assert_not(fcr_health_admit(h));
	/* The probe has not reported yet (still waiting): it does not hold the next one back. */
	clk.now += FCR_HEALTH_PROBE_MS / 2;
	cr_assert(fcr_health_admit(h));
	cr_assert_not(fcr_health_admit(h));
	struct fcr_health_stats st;
	fcr_health_stats(h, &st);
	cr_assert_eq(st.probes, 2);
	cr_assert_eq(st.failed_fast, 10 + 1 + 1 + 1 + 1);
	fcr_health_free(h);
}

Test(health, recovers_on_a_reply_and_hooks_once_each_way)
{
	struct clock clk = { 5000 };
	struct calls calls = { 0 };
	fcr_health *h = breaker(&clk, &calls);

	open_it(h);
	clk.now = 5000 + 3 * FCR_HEALTH_PROBE_MS;
	cr_assert(fcr_health_admit(h));
	cr_assert(fcr_health_report(h, FCR_HEARD_NOTHING), "a probe that times out keeps it down");
	clk.now += 250;
	cr_assert_not(fcr_health_admit(h), "no second probe within the interval");
	clk.now += FCR_HEALTH_PROBE_MS - 250;
	cr_assert(fcr_health_admit(h), "the next interval has come: another probe");
	cr_assert_not(fcr_health_report(h, FCR_HEARD_REPLIES), "a reply brings it back");
	cr_assert_not(fcr_health_down(h));
	cr_assert(fcr_health_admit(h));
	report_n(h, FCR_HEARD_REPLIES, 5);
	cr_assert_eq(calls.n, 2);
	cr_assert_not(calls.down[1]);
	cr_assert_eq(calls.down_ms[1], 4 * FCR_HEALTH_PROBE_MS, "down from the 5th timeout to the reply");
	/* the count starts from zero again: another full run is needed */
	report_n(h, FCR_HEARD_NOTHING, FCR_HEALTH_THRESHOLD - 1);
	cr_assert_not(fcr_health_down(h));
	cr_assert(fcr_health_report(h, FCR_HEARD_NOTHING));
	cr_assert_eq(calls.n, 3);
	struct fcr_health_stats st;
	fcr_health_stats(h, &st);
	cr_assert_eq(st.changes, 3);
	fcr_health_free(h);
}

Test(health, shared_by_reference)
{
	struct clock clk = { 0 };
	struct calls calls = { 0 };
	fcr_health *h = breaker(&clk, &calls);
	fcr_health *again = fcr_health_ref(h);

	cr_assert_eq(again, h);
	open_it(h);
	fcr_health_free(h);
	cr_assert(fcr_health_down(again), "the other holder still has it, state and all");
	fcr_health_free(again);
	fcr_health_free(NULL);
}

/* ---- concurrency ---- */

#define NTHREADS 16

struct racer {
	fcr_health *h;
	pthread_barrier_t *go;
	int admitted;
};

static void *race_admit(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(r->go);
	for (int i = 0; i < 200; i++)
		r->admitted += fcr_health_admit(r->h);
	return NULL;
}

/* Many threads asking at once, at a moment a probe is due: exactly one goes through, the rest
 * fail fast, and every caller is counted once. */
Test(concurrency, health_one_probe_among_threads)
{
	struct clock clk = { 0 };
	struct calls calls = { 0 };
	fcr_health *h = breaker(&clk, &calls);
	pthread_barrier_t go;
	pthread_t tid[NTHREADS];
	struct racer r[NTHREADS];

	open_it(h);
	clk.now = FCR_HEALTH_PROBE_MS;
	pthread_barrier_init(&go, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		r[i] = (struct racer){ h, &go, 0 };
		pthread_create(&tid[i], NULL, race_admit, &r[i]);
	}
	int admitted = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(tid[i], NULL);
		admitted += r[i].admitted;
	}
	pthread_barrier_destroy(&go);
	cr_assert_eq(admitted, 1);
	struct fcr_health_stats st;
	fcr_health_stats(h, &st);
	cr_assert_eq(st.probes, 1);
	cr_assert_eq(st.failed_fast, NTHREADS * 200 - 1);
	fcr_health_free(h);
}

struct flipper {
	fcr_health *h;
	pthread_barrier_t *go;
	int seed;
};

static void *flip(void *arg)
{
	struct flipper *f = arg;
	pthread_barrier_wait(f->go);
	for (int i = 0; i < 2000; i++) {
		bool reply = (i * 7 + f->seed) % 11 == 0;
		fcr_health_report(f->h, reply ? FCR_HEARD_REPLIES : FCR_HEARD_NOTHING);
		fcr_health_admit(f->h);
	}
	return NULL;
}

static void count_hook(void *arg, bool down, unsigned timeouts, int64_t down_ms)
{
	(void)timeouts;
	(void)down_ms;
	int *n = arg;
	/* under the breaker's lock: calls alternate down, up, down, ... */
	cr_assert_eq(down, (*n % 2) == 0);
	(*n)++;
}

/* Reports and admissions from many threads: the hook hears each state change once and in order. */
Test(concurrency, health_hook_once_per_change)
{
	struct clock clk = { 0 };
	fcr_health *h = fcr_health_new(clock_now, &clk);
	int n = 0;
	pthread_barrier_t go;
	pthread_t tid[NTHREADS];
	struct flipper f[NTHREADS];

	fcr_health_set_hook(h, count_hook, &n);
	pthread_barrier_init(&go, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		f[i] = (struct flipper){ h, &go, i };
		pthread_create(&tid[i], NULL, flip, &f[i]);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&go);
	struct fcr_health_stats st;
	fcr_health_stats(h, &st);
	cr_assert_geq(n, 2, "the run must flip it at least once each way");
	cr_assert_eq((uint64_t)n, st.changes);
	cr_assert_eq(st.down, n % 2 == 1);
	fcr_health_free(h);
}
