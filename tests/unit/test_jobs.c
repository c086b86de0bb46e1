/* The milter's background checks: a growing worker pool and reference-counted jobs, over the fake
 * resolver. Snapshots are built by hand here (the daemon builds them with the real resolver). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "fake_dns.h"
#include "jobs.h"
#include "snapshot.h"

#define NADDR 20

static struct fake_zone zone;

/* A snapshot over a fake resolver answering from table (n entries; absent names: NXDOMAIN). */
static struct fcr_snapshot *snapshot_over(const struct fake_answer *table, size_t n, int delay_ms)
{
	char err[256];
	struct fcr_snapshot *s = calloc(1, sizeof(*s));
	s->conf = fcr_config_load("/dev/null", NULL, 0, err, sizeof(err));
	cr_assert_not_null(s->conf, "%s", err);
	struct fake_dns f;
	fake_dns_init(&f, table, n);
	f.delay_ms = delay_ms;
	s->svc = fcr_service_new(s->conf, fake_dns_dup(&f), err, sizeof(err));
	cr_assert_not_null(s->svc, "%s", err);
	s->refs = 1;
	return s;
}

/* 10.1.0.i -> hi.test. -> 10.1.0.i: every check passes. */
static struct fcr_snapshot *snapshot(int delay_ms)
{
	fake_zone_confirming(&zone, "10.1.0", NADDR, 60);
	return snapshot_over(zone.table, zone.n, delay_ms);
}

static fcr_addr addr(int i)
{
	char ip[32];
	fcr_addr a;
	snprintf(ip, sizeof(ip), "10.1.0.%d", i % NADDR + 1);
	fcr_addr_parse(ip, &a);
	return a;
}

Test(jobs, result_arrives_and_deadline_is_kept)
{
	cr_assert_eq(fcr_jobs_start(8), 0);
	struct fcr_snapshot *s = snapshot(300);
	fcr_addr a = addr(3);
	struct fcr_job *j = fcr_job_submit(s, &a, 0);
	struct fcr_cache_summary r;
	bool cached = true;
	/* 300 ms a round trip: not done after 50 ms, done within 5 s */
	cr_assert_not(fcr_job_wait(j, fcr_now_ms() + 50, &r, &cached));
	cr_assert(fcr_job_wait(j, fcr_now_ms() + 5000, &r, &cached));
	cr_assert_eq(r.result, FCR_PASS);
	cr_assert_not(cached);
	fcr_job_put(j);
	fcr_snapshot_put(s);
	fcr_jobs_stop();
}

struct arg {
	struct fcr_snapshot *snap;
	int seed, wrong;
};

/* Each thread submits checks and either waits for them or walks away before they finish. */
static void *client(void *p)
{
	struct arg *w = p;
	for (int k = 0; k < 200; k++) {
		fcr_addr a = addr(k * 7 + w->seed);
		struct fcr_job *j = fcr_job_submit(w->snap, &a, 0);
		if (k % 3 == 0) {  /* a client that leaves before the verdict */
			fcr_job_put(j);
			continue;
		}
		struct fcr_cache_summary r;
		bool cached;
		if (!fcr_job_wait(j, fcr_now_ms() + 10000, &r, &cached) || r.result != FCR_PASS ||
		    !fcr_addr_equal(&r.addr, &a))
			w->wrong++;
		fcr_job_put(j);
	}
	return NULL;
}

Test(concurrency, jobs_many_clients_one_pool)
{
	cr_assert_eq(fcr_jobs_start(16), 0);
	struct fcr_snapshot *s = snapshot(1);
	pthread_t tid[8];
	struct arg args[8];
	for (int i = 0; i < 8; i++) {
		args[i] = (struct arg){ s, i, 0 };
		pthread_create(&tid[i], NULL, client, &args[i]);
	}
	int wrong = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(tid[i], NULL);
		wrong += args[i].wrong;
	}
	fcr_jobs_stop();   /* every queued job has run and dropped its snapshot reference */
	cr_assert_eq(wrong, 0);
	cr_assert_eq(__atomic_load_n(&s->refs, __ATOMIC_RELAXED), 1, "jobs leaked snapshot references");
	fcr_snapshot_put(s);
}

/* Installing new snapshots while others take references: each reference stays valid. */
static void *taker(void *p)
{
	int *bad = p;
	for (int k = 0; k < 2000; k++) {
		struct fcr_snapshot *s = fcr_snapshot_get();
		if (!s || !s->conf || !s->svc)
			(*bad)++;
		fcr_snapshot_put(s);
	}
	return NULL;
}

Test(concurrency, snapshots_swap_under_readers)
{
	fcr_snapshot_install(snapshot(0));
	pthread_t tid[4];
	int bad[4] = { 0 };
	for (int i = 0; i < 4; i++)
		pthread_create(&tid[i], NULL, taker, &bad[i]);
	for (int k = 0; k < 50; k++)
		fcr_snapshot_install(snapshot(0));
	for (int i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		cr_assert_eq(bad[i], 0);
	}
	fcr_snapshot_install(NULL);
}

/* ---- the queue: bounded, and nothing run that nobody waits for ---- */

#define SLOW_MS 400            /* per exchange: a check takes two */
#define POOL 4                 /* workers (the pool's minimum too) */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

struct blockers {
	struct fcr_snapshot *snap;
	struct fcr_job *j[POOL];
};

/* Occupies every worker with a slow check (about 2 * SLOW_MS) before the caller queues more. */
static void block_workers(struct blockers *b)
{
	b->snap = snapshot(SLOW_MS);
	for (int i = 0; i < POOL; i++) {
		fcr_addr a = addr(i);
		b->j[i] = fcr_job_submit(b->snap, &a, 0);
	}
	sleep_ms(200);   /* the workers have taken them */
}

static void unblock(struct blockers *b)
{
	for (int i = 0; i < POOL; i++) {
		struct fcr_cache_summary r;
		bool cached;
		cr_assert(fcr_job_wait(b->j[i], fcr_now_ms() + 10000, &r, &cached));
		fcr_job_put(b->j[i]);
	}
	fcr_snapshot_put(b->snap);
}

/* A job done at once (no wait) with a temperror the pool gave for reason why. */
static bool answered_now(struct fcr_job *j, const char *why)
{
	struct fcr_cache_summary r;
	bool cached = true;
	bool ok = fcr_job_wait(j, fcr_now_ms(), &r, &cached) && r.result == FCR_TEMPERROR &&
	          strcmp(r.reason, why) == 0 && !cached;
	return ok;
}

Test(concurrency, jobs_queue_full_answered_at_once)
{
	struct fcr_jobs_stats before, after;
	cr_assert_eq(fcr_jobs_start(POOL), 0);
	fcr_jobs_get_stats(&before);
	struct blockers b;
	block_workers(&b);
	/* POOL busy workers, room for FCR_JOBS_QUEUE_PER_WORKER * POOL in the queue: the rest of
	 * 3 * POOL more are answered at once */
	struct fcr_job *j[3 * POOL];
	int full = 0;
	for (int i = 0; i < 3 * POOL; i++) {
		fcr_addr a = addr(POOL + i);
		j[i] = fcr_job_submit(b.snap, &a, 0);
		full += answered_now(j[i], FCR_JOBS_REASON_FULL);
	}
	fcr_jobs_get_stats(&after);
	cr_expect_eq(full, 3 * POOL - FCR_JOBS_QUEUE_PER_WORKER * POOL);
	cr_expect_eq(after.queue_full - before.queue_full, (uint64_t)full);
	cr_expect_eq(after.queued, (uint64_t)(FCR_JOBS_QUEUE_PER_WORKER * POOL));
	for (int i = 0; i < 3 * POOL; i++)
		fcr_job_put(j[i]);  /* the queued ones are now abandoned: none runs */
	unblock(&b);
	fcr_jobs_stop();
	fcr_jobs_get_stats(&after);
	cr_expect_eq(after.queued, 0);
	cr_expect_eq(after.abandoned - before.abandoned, (uint64_t)(FCR_JOBS_QUEUE_PER_WORKER * POOL));
}

Test(concurrency, jobs_expired_not_started)
{
	struct fcr_jobs_stats before, after;
	cr_assert_eq(fcr_jobs_start(POOL), 0);
	fcr_jobs_get_stats(&before);
	struct blockers b;
	block_workers(&b);
	fcr_addr a = addr(9);
	struct fcr_job *j = fcr_job_submit(b.snap, &a, fcr_now_ms() + 50);
	struct fcr_cache_summary r;
	bool cached = true;
	/* the workers are busy for longer than 50 ms: when one is free, the deadline has passed */
	cr_assert(fcr_job_wait(j, fcr_now_ms() + 10000, &r, &cached));
	cr_expect_eq(r.result, FCR_TEMPERROR);
	cr_expect_str_eq(r.reason, FCR_JOBS_REASON_EXPIRED);
	cr_expect(fcr_addr_equal(&r.addr, &a));
	fcr_job_put(j);
	unblock(&b);
	fcr_jobs_stop();
	fcr_jobs_get_stats(&after);
	cr_expect_eq(after.expired - before.expired, 1);
}

/* A reload between the queueing and the start of a check: the check uses the new resolver. */
Test(concurrency, jobs_reload_reaches_queued_checks)
{
	cr_assert_eq(fcr_jobs_start(POOL), 0);
	/* built first: snapshot() rewrites the zone the blockers' checks read */
	struct fcr_snapshot *old = snapshot(0), *empty = snapshot_over(NULL, 0, 0);
	struct blockers b;
	block_workers(&b);
	fcr_snapshot_install(old);
	old = fcr_snapshot_get();
	fcr_addr a = addr(5);
	struct fcr_job *j = fcr_job_submit(old, &a, 0);
	fcr_snapshot_install(empty);   /* its resolver knows no PTR: NXDOMAIN, permerror */
	struct fcr_cache_summary r;
	bool cached;
	cr_assert(fcr_job_wait(j, fcr_now_ms() + 10000, &r, &cached));
	cr_expect_eq(r.result, FCR_PERMERROR, "result %d: the check ran with the old resolver", r.result);
	fcr_job_put(j);
	unblock(&b);
	fcr_jobs_stop();
	fcr_snapshot_install(NULL);
	fcr_snapshot_put(old);
}

/* The StatsFile's gauges: checks in flight are the workers' running checks, not the queued ones. */
Test(concurrency, jobs_running_and_workers_counted)
{
	struct fcr_jobs_stats st;
	cr_assert_eq(fcr_jobs_start(POOL), 0);
	struct blockers b;
	block_workers(&b);
	fcr_addr a = addr(POOL + 1);
	struct fcr_job *queued = fcr_job_submit(b.snap, &a, 0);
	fcr_jobs_get_stats(&st);
	cr_expect_eq(st.running, (uint64_t)POOL);
	cr_expect_eq(st.workers, (uint64_t)POOL);
	cr_expect_eq(st.queued, 1);
	unblock(&b);
	struct fcr_cache_summary v;
	bool cached;
	cr_assert(fcr_job_wait(queued, fcr_now_ms() + 10000, &v, &cached));
	fcr_job_put(queued);
	fcr_jobs_get_stats(&st);
	cr_expect_eq(st.running, 0);
	fcr_jobs_stop();
	fcr_jobs_get_stats(&st);
	cr_expect_eq(st.workers, 0);
}

/* ---- prefetch through the pool ---- */

static _Atomic int64_t pf_clock;

static int64_t pf_now(void *arg)
{
	(void)arg;
	return atomic_load(&pf_clock);
}

/* A hit in the last tenth of an entry's life queues its refresh on the pool; the refreshed entry
 * outlives the old one's expiry, and the sender never waits for DNS. */
Test(concurrency, jobs_prefetch_refreshes_entry)
{
	char err[256];
	cr_assert_eq(fcr_jobs_start(4), 0);
	fake_zone_confirming(&zone, "10.1.0", NADDR, 60);
	struct fcr_cache_conf cc = { .capacity = 100, .max_ttl = 3600, .neg_max_ttl = 60,
	                             .error_ttl = 30, .now_ms = pf_now };
	fcr_cache *cache = fcr_cache_new(&cc);
	struct fcr_snapshot *s = calloc(1, sizeof(*s));
	s->conf = fcr_config_load("/dev/null", NULL, 0, err, sizeof(err));
	struct fake_dns f;
	fake_dns_init(&f, zone.table, zone.n);
	struct fake_dns *fake = (struct fake_dns *)fake_dns_dup(&f);
	s->svc = fcr_service_new_shared(s->conf, &fake->base, cache, err, sizeof(err));
	cr_assert_not_null(s->svc, "%s", err);
	s->refs = 1;
	fcr_service_set_prefetch(s->svc, fcr_jobs_prefetch, NULL);
	fcr_snapshot_install(s);

	fcr_addr a = addr(4);
	struct fcr_cache_summary v;
	bool cached = true;
	struct fcr_jobs_stats before, after;
	fcr_jobs_get_stats(&before);
	cr_assert_eq(fcr_service_verdict(s->svc, &a, &v, &cached), 0);
	cr_assert(!cached);
	cr_assert_eq(v.result, FCR_PASS);
	atomic_store(&pf_clock, 54000);              /* the last tenth of 60 s */
	cr_assert_eq(fcr_service_peek(s->svc, &a, &v), 1);
	for (int i = 0; i < 5000 && __atomic_load_n(&fake->questions, __ATOMIC_RELAXED) < 4; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	fcr_jobs_stop();                             /* the refresh is done once the pool is idle */
	cr_assert_eq(__atomic_load_n(&fake->questions, __ATOMIC_RELAXED), 4, "one refresh, in the background");
	atomic_store(&pf_clock, 60001);              /* past the first entry's life */
	cr_assert_eq(fcr_service_peek(s->svc, &a, &v), 1, "the refreshed entry serves on");
	cr_assert_eq(v.result, FCR_PASS);
	fcr_jobs_get_stats(&after);
	cr_assert_eq(after.prefetches - before.prefetches, 1);
	fcr_snapshot_install(NULL);
	fcr_cache_free(cache);
}
