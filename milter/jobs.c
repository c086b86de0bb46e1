/* A growing worker pool for background checks with a bounded queue; jobs are reference-counted
 * futures. */
#include "jobs.h"

#include "clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IDLE_EXIT_MS 60000     /* an idle worker beyond the first few leaves after this */
#define MIN_WORKERS 4
#define WORKER_STACK (1024 * 1024)

struct fcr_job {
	struct fcr_job *next;      /* queue link */
	struct fcr_snapshot *snap;
	fcr_addr addr;
	int64_t deadline_ms;       /* when its connection stops waiting (0: never) */
	int refs;                  /* under pool.lock */
	bool done, cached;         /* under pool.lock; v is immutable once done */
	bool refresh;              /* a prefetch: refresh the cached entry, nobody waits */
	pthread_cond_t finished;
	struct fcr_cache_summary v;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work;       /* a job was queued, or stop */
	pthread_cond_t left;       /* a worker left */
	struct fcr_job *head, *tail;
	unsigned workers, idle, max;
	unsigned queued, max_queued;
	unsigned running;          /* checks being run (not the abandoned or expired ones) */
	struct fcr_jobs_stats stats; /* queued, running, workers: filled in when read */
	bool stopping;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER,
           .left = PTHREAD_COND_INITIALIZER };

static void job_free(struct fcr_job *j)
{
	fcr_snapshot_put(j->snap);
	pthread_cond_destroy(&j->finished);
	free(j);
}

/* Drops a reference with pool.lock held; returns the job when it must be freed (outside the lock). */
static struct fcr_job *unref_locked(struct fcr_job *j)
{
	return --j->refs == 0 ? j : NULL;
}

/* With pool.lock held: j has its result; wakes its waiters. */
static void finish_locked(struct fcr_job *j, const struct fcr_cache_summary *v, bool cached)
{
	j->v = *v;
	j->cached = cached;
	__atomic_store_n(&j->done, true, __ATOMIC_RELEASE);  /* fcr_job_wait may look without the lock */
	pthread_cond_broadcast(&j->finished);
}

/* The newest configuration's resolver: a reload reaches checks that had not started. */
static void check_now(struct fcr_job *j, struct fcr_cache_summary *v, bool *cached)
{
	struct fcr_snapshot *cur = fcr_snapshot_get();
	fcr_service_verdict(cur ? cur->svc : j->snap->svc, &j->addr, v, cached);
	fcr_snapshot_put(cur);
}

/* A prefetch: the refresh goes through the newest configuration's service too. Nobody waits. */
static void refresh_now(struct fcr_job *j)
{
	struct fcr_snapshot *cur = fcr_snapshot_get();
	if (cur)
		fcr_service_refresh(cur->svc, &j->addr);
	fcr_snapshot_put(cur);
	job_free(j);
}

/* Runs a job taken from the queue (the queue's reference comes with it), unless nobody waits. */
static void run(struct fcr_job *j)
{
	struct fcr_cache_summary v;
	bool cached = false;
	if (j->refresh) {
		refresh_now(j);
		return;
	}
	pthread_mutex_lock(&pool.lock);
	if (j->refs == 1) {  /* only the queue's: every connection let go of it */
		pool.stats.abandoned++;
		pthread_mutex_unlock(&pool.lock);
		job_free(j);
		return;
	}
	bool expired = j->deadline_ms && fcr_now_ms() >= j->deadline_ms;
	pool.stats.expired += expired;
	pool.running += !expired;
	pthread_mutex_unlock(&pool.lock);
	if (expired)
		fcr_cache_summary_unasked(&v, &j->addr, FCR_JOBS_REASON_EXPIRED);
	else
		check_now(j, &v, &cached);
	pthread_mutex_lock(&pool.lock);
	pool.running -= !expired;
	finish_locked(j, &v, cached);
	struct fcr_job *dead = unref_locked(j);
	pthread_mutex_unlock(&pool.lock);
	if (dead)
		job_free(dead);
}

static struct fcr_job *take_locked(void)
{
	struct fcr_job *j = pool.head;
	pool.head = j->next;
	if (!pool.head)
		pool.tail = NULL;
	pool.queued--;
	return j;
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (!pool.head && !pool.stopping) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += IDLE_EXIT_MS / 1000;
			pool.idle++;
			int rc = pthread_cond_timedwait(&pool.work, &pool.lock, &ts);
			pool.idle--;
			if (rc == ETIMEDOUT && !pool.head && pool.workers > MIN_WORKERS)
				goto leave;
		}
		if (!pool.head)
			goto leave; /* stopping and nothing left */
		struct fcr_job *j = take_locked();
		pthread_mutex_unlock(&pool.lock);
		run(j);
		pthread_mutex_lock(&pool.lock);
	}
leave:
	pool.workers--;
	pthread_cond_broadcast(&pool.left);
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

/* With pool.lock held: one more worker. */
static void spawn_locked(void)
{
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Thousands of workers that mostly wait: a check needs far less than the default 8 MiB. */
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	if (pthread_create(&t, &attr, worker, NULL) == 0)
		pool.workers++;
	pthread_attr_destroy(&attr);
}

/* With pool.lock held: one more worker if every worker is busy and the limit allows. */
static void grow_locked(void)
{
	if (pool.idle == 0 && pool.workers < pool.max)
		spawn_locked();
}

int fcr_jobs_start(unsigned max_workers)
{
	pthread_mutex_lock(&pool.lock);
	pool.max = max_workers > MIN_WORKERS ? max_workers : MIN_WORKERS;
	pool.max_queued = FCR_JOBS_QUEUE_PER_WORKER * pool.max;
	pool.stopping = false;
	for (unsigned i = 0; i < MIN_WORKERS; i++)
		spawn_locked();
	int ok = pool.workers > 0;
	pthread_mutex_unlock(&pool.lock);
	return ok ? 0 : -1;
}

void fcr_jobs_stop(void)
{
	pthread_mutex_lock(&pool.lock);
	pool.stopping = true;
	pthread_cond_broadcast(&pool.work);
	while (pool.workers > 0)
		pthread_cond_wait(&pool.left, &pool.lock);
	pthread_mutex_unlock(&pool.lock);
}

/* With pool.lock held: answers j at once when the queue is full; true then. */
static bool full_locked(struct fcr_job *j)
{
	if (pool.queued < pool.max_queued)
		return false;
	struct fcr_cache_summary v;
	fcr_cache_summary_unasked(&v, &j->addr, FCR_JOBS_REASON_FULL);
	finish_locked(j, &v, false);
	j->refs = 1;  /* the caller's only */
	pool.stats.queue_full++;
	return true;
}

/* With pool.lock held: j at the end of the queue, a worker for it if every one is busy. The caller
 * wakes one (pool.work) once it has let go of the lock, so that the worker does not wake only to
 * wait for it. */
static void enqueue_locked(struct fcr_job *j)
{
	pool.queued++;
	if (pool.tail)
		pool.tail->next = j;
	else
		pool.head = j;
	pool.tail = j;
	grow_locked();
}

struct fcr_job *fcr_job_submit(struct fcr_snapshot *s, const fcr_addr *a, int64_t deadline_ms)
{
	struct fcr_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->snap = s;
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	j->addr = *a;
	j->deadline_ms = deadline_ms;
	j->refs = 2; /* the caller's and the queue's */
	pthread_cond_init(&j->finished, NULL);
	pthread_mutex_lock(&pool.lock);
	bool queued = !full_locked(j);
	if (queued)
		enqueue_locked(j);
	pthread_mutex_unlock(&pool.lock);
	if (queued)
		pthread_cond_signal(&pool.work);
	return j;
}

bool fcr_jobs_prefetch(void *arg, const fcr_addr *a)
{
	(void)arg;
	struct fcr_job *j = calloc(1, sizeof(*j));
	if (!j)
		return false;
	j->addr = *a;
	j->refresh = true;
	j->refs = 1; /* the queue's */
	pthread_cond_init(&j->finished, NULL);
	pthread_mutex_lock(&pool.lock);
	bool room = pool.queued < pool.max_queued && !pool.stopping;
	if (room) {
		enqueue_locked(j);
		pool.stats.prefetches++;
	}
	pthread_mutex_unlock(&pool.lock);
	if (room)
		pthread_cond_signal(&pool.work);
	else
		job_free(j);
	return room;
}

static void deadline_ts(int64_t deadline_ms, struct timespec *ts)
{
	int64_t left = deadline_ms - fcr_now_ms();
	clock_gettime(CLOCK_REALTIME, ts);
	if (left < 0)
		left = 0;
	ts->tv_sec += left / 1000;
	ts->tv_nsec += (left % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

bool fcr_job_wait(struct fcr_job *j, int64_t deadline_ms, struct fcr_cache_summary *v, bool *cached)
{
	struct timespec ts;
	/* Most results are in by the time a step needs them: no lock for those. */
	if (__atomic_load_n(&j->done, __ATOMIC_ACQUIRE)) {
		*v = j->v;
		*cached = j->cached;
		return true;
	}
	deadline_ts(deadline_ms, &ts);
	pthread_mutex_lock(&pool.lock);
	while (!j->done) {
		if (pthread_cond_timedwait(&j->finished, &pool.lock, &ts) == ETIMEDOUT)
			break;
	}
	bool done = j->done;
	pthread_mutex_unlock(&pool.lock);
	/* Our reference keeps j alive, and a finished job's result no longer changes. */
	if (!done)
		return false;
	*v = j->v;
	*cached = j->cached;
	return true;
}

void fcr_job_put(struct fcr_job *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&pool.lock);
	struct fcr_job *dead = unref_locked(j);
	pthread_mutex_unlock(&pool.lock);
	if (dead)
		job_free(dead);
}

void fcr_jobs_get_stats(struct fcr_jobs_stats *out)
{
	pthread_mutex_lock(&pool.lock);
	*out = pool.stats;
	out->queued = pool.queued;
	out->running = pool.running;
	out->workers = pool.workers;
	pthread_mutex_unlock(&pool.lock);
}
