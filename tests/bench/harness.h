/* Benchmark plumbing: run a body on N threads that start together, keep the best of a few runs,
 * print one table row per figure, and count functional failures (the only thing that fails a run). */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stdint.h>
#include <stdio.h>

/* One thread's share of a run: tid in 0..nthreads-1, ops operations. */
typedef void (*bench_body)(void *ctx, unsigned tid, unsigned nthreads, unsigned long ops);

/* Wall nanoseconds of the fastest of 'runs' runs of body on nthreads threads, each doing ops;
 * before each run, prepare(ctx, run) is called when not NULL (e.g. to flush a cache). */
int64_t bench_best(unsigned runs, unsigned nthreads, unsigned long ops, bench_body body,
                   void (*prepare)(void *ctx, unsigned run), void *ctx);

/* Monotonic nanoseconds. */
int64_t bench_now_ns(void);

/* xorshift64*: a per-thread generator, never seeded with 0. */
uint64_t bench_rand(uint64_t *state);

/* Table: header, then one row per figure; ops over wall_ns gives ops/s, and wall_ns * threads / ops
 * gives ns/op (how long one call takes as its caller sees it). */
void bench_header(FILE *out);
void bench_row(FILE *out, const char *what, unsigned threads, unsigned long ops, int64_t wall_ns,
               const char *notes);

/* A functional failure: printed on stderr and counted; thread-safe. */
void bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned long bench_failures(void);

/* A figure for the JSON file (key: a string literal), replaced when set again; main thread only. */
void bench_key(const char *key, double value);

/* Writes every figure as one flat JSON object of numbers. Returns 0, or -1 with errno. */
int bench_json_write(const char *path);

/* Progress on stderr. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
