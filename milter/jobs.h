/* Checks in the background: started when a client connects, awaited when the verdict is due, so
 * that DNS time overlaps the SMTP greeting and HELO. A pool of worker threads that grows with the
 * load (up to a limit) and shrinks when idle. All functions are thread-safe. */
#ifndef FCR_JOBS_H
#define FCR_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "check.h"
#include "snapshot.h"

struct fcr_job;

/* Starts the pool. Returns 0, or -1 when no thread could be started. */
int fcr_jobs_start(unsigned max_workers);

/* Stops the pool: queued jobs still run; returns when every worker has finished. */
void fcr_jobs_stop(void);

/* Queues a check of a with snapshot s (which the job references). The caller gets one reference
 * to the job. NULL when out of memory. */
struct fcr_job *fcr_job_submit(struct fcr_snapshot *s, const fcr_addr *a);

/* Waits until the job is done or the monotonic deadline passes. When done, *r receives a copy
 * (owned by the caller, zeroed by the caller first) and *cached whether the cache answered; returns
 * true. Returns false at the deadline (or out of memory for the copy). */
bool fcr_job_wait(struct fcr_job *j, int64_t deadline_ms, struct fcr_check_result *r, bool *cached);

/* Drops the caller's reference. NULL is a no-op. */
void fcr_job_put(struct fcr_job *j);

#endif
