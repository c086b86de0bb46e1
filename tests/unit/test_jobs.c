/* The milter's background checks: a growing worker pool and reference-counted jobs, over the fake
 * resolver. Snapshots are built by hand here (the daemon builds them with the real resolver). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fake_dns.h"
#include "jobs.h"
#include "snapshot.h"

#define NADDR 20

static struct fake_zone zone;

/* 10.1.0.i -> hi.test. -> 10.1.0.i: every check passes. */
static struct fcr_snapshot *snapshot(int delay_ms)
{
	fake_zone_confirming(&zone, "10.1.0", NADDR, 60);
	char err[256];
	struct fcr_snapshot *s = calloc(1, sizeof(*s));
	s->conf = fcr_config_load("/dev/null", NULL, 0, err, sizeof(err));
	cr_assert_not_null(s->conf, "%s", err);
	struct fake_dns f;
	fake_dns_init(&f, zone.table, zone.n);
	f.delay_ms = delay_ms;
	s->svc = fcr_service_new(s->conf, fake_dns_dup(&f), err, sizeof(err));
	cr_assert_not_null(s->svc, "%s", err);
	s->refs = 1;
	return s;
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
	struct fcr_job *j = fcr_job_submit(s, &a);
	struct fcr_check_result r = { 0 };
	bool cached = true;
	/* 300 ms a round trip: not done after 50 ms, done within 5 s */
	cr_assert_not(fcr_job_wait(j, fcr_now_ms() + 50, &r, &cached));
	cr_assert(fcr_job_wait(j, fcr_now_ms() + 5000, &r, &cached));
	cr_assert_eq(r.result, FCR_PASS);
	cr_assert_not(cached);
	fcr_check_result_clear(&r);
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
		struct fcr_job *j = fcr_job_submit(w->snap, &a);
		if (k % 3 == 0) {  /* a client that leaves before the verdict */
			fcr_job_put(j);
			continue;
		}
		struct fcr_check_result r = { 0 };
		bool cached;
		if (!fcr_job_wait(j, fcr_now_ms() + 10000, &r, &cached) || r.result != FCR_PASS ||
		    !fcr_addr_equal(&r.addr, &a))
			w->wrong++;
		fcr_check_result_clear(&r);
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
