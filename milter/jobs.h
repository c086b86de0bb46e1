/* Checks in the background: started when a client connects, awaited when the verdict is due, so
 * that DNS time overlaps the SMTP greeting and HELO. A pool of worker threads that grows with the
 * load (up to a limit) and shrinks when idle, and a bounded queue: a check nobody waits for any
 * more (its connections all gone, or its deadline passed) is dropped before it starts, and one
 * that finds the queue full is answered at once. All functions are thread-safe. */
#ifndef FCR_JOBS_H
#define FCR_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "check.h"
#include "snapshot.h"

/* Checks that may wait for a worker, per worker of the maximum: at most this many times
 * max_workers jobs are queued. With every worker busy for a whole CheckTimeout, a longer queue
 * would only hold checks whose deadline passes before they start. */
#define FCR_JOBS_QUEUE_PER_WORKER 2

/* Reasons (temperror) of the checks the pool answers itself. */
#define FCR_JOBS_REASON_FULL "too many checks queued"
#define FCR_JOBS_REASON_EXPIRED "check not started: deadline passed"

struct fcr_job;

/* What the pool did, for the StatsFile. */
struct fcr_jobs_stats {
	uint64_t queued;            /* jobs waiting for a worker now */
	uint64_t running;           /* checks a worker is running now */
	uint64_t workers;           /* worker threads now, idle or not */
	uint64_t abandoned;         /* dropped unstarted: every connection had let go of it */
	uint64_t expired;           /* answered unstarted: its deadline had passed */
	uint64_t queue_full;        /* answered at once: the queue was full */
	uint64_t prefetches;        /* cache refreshes queued (prefetch) */
};

/* Starts the pool. Returns 0, or -1 when no thread could be started. */
int fcr_jobs_start(unsigned max_workers);

/* Stops the pool: queued jobs still run (or are dropped as above); returns when every worker has
 * finished. */
void fcr_jobs_stop(void);

/* Queues a check of a with snapshot s (which the job references); deadline_ms (monotonic, 0: none)
 * is when the connection stops waiting for it. A worker that starts it runs it with the current
 * snapshot's service (fcr_snapshot_get), so a reload that changes the nameservers applies to it;
 * the job keeps s for the caller's policy. The caller gets one reference to the job. NULL when
 * out of memory. */
struct fcr_job *fcr_job_submit(struct fcr_snapshot *s, const fcr_addr *a, int64_t deadline_ms);

/* Waits until the job is done or the monotonic deadline passes. When done, *v receives a copy of
 * the check's summary and *cached whether the cache answered; returns true. Returns false at the
 * deadline. */
bool fcr_job_wait(struct fcr_job *j, int64_t deadline_ms, struct fcr_cache_summary *v, bool *cached);

/* The prefetch hook of the milter's services (fcr_prefetch_fn, arg unused): queues a refresh of
 * the cached entry for a, run by a worker through the newest configuration's service, nobody
 * waiting for it. False, and nothing queued, when the queue is full or the pool stopping: the
 * duty then goes back to the cache. */
bool fcr_jobs_prefetch(void *arg, const fcr_addr *a);

/* Drops the caller's reference. NULL is a no-op. */
void fcr_job_put(struct fcr_job *j);

/* The counters so far (queued, running, workers: now). */
void fcr_jobs_get_stats(struct fcr_jobs_stats *out);

#endif
