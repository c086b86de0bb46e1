/* Benchmark plumbing: threads released by one barrier, best-of-N timing, table rows, failure count. */
#include "harness.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 256

/* A failure may be reported from any benchmark thread. */
static unsigned long failures;

struct team {
	bench_body body;
	void *ctx;
	unsigned nthreads;
	unsigned long ops;
	pthread_barrier_t go;
};

struct member {
	struct team *team;
	unsigned tid;
};

int64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t bench_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void *member_main(void *arg)
{
	struct member *m = arg;
	pthread_barrier_wait(&m->team->go);
	m->team->body(m->team->ctx, m->tid, m->team->nthreads, m->team->ops);
	return NULL;
}

/* Wall time from the moment all threads are released until the last one is done. */
static int64_t run_once(struct team *t)
{
	pthread_t tid[MAX_THREADS];
	struct member m[MAX_THREADS];
	unsigned started = 0;
	pthread_barrier_init(&t->go, NULL, t->nthreads + 1);
	for (; started < t->nthreads; started++) {
		m[started] = (struct member){ t, started };
		if (pthread_create(&tid[started], NULL, member_main, &m[started]) != 0) {
			fprintf(stderr, "bench: cannot start thread %u\n", started);
			exit(71);
		}
	}
	pthread_barrier_wait(&t->go);
	int64_t t0 = bench_now_ns();
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	int64_t wall = bench_now_ns() - t0;
	pthread_barrier_destroy(&t->go);
	return wall;
}

int64_t bench_best(unsigned runs, unsigned nthreads, unsigned long ops, bench_body body,
                   void (*prepare)(void *ctx, unsigned run), void *ctx)
{
	struct team t = { .body = body, .ctx = ctx, .nthreads = nthreads, .ops = ops };
	int64_t best = INT64_MAX;
	if (nthreads == 0 || nthreads > MAX_THREADS)
		abort();
	for (unsigned r = 0; r < runs; r++) {
		if (prepare)
			prepare(ctx, r);
		int64_t wall = run_once(&t);
		best = wall < best ? wall : best;
	}
	return best;
}

void bench_header(FILE *out)
{
	fprintf(out, "%-40s %7s %12s %11s  %s\n", "benchmark", "threads", "ops/s", "ns/op", "notes");
}

void bench_row(FILE *out, const char *what, unsigned threads, unsigned long ops, int64_t wall_ns,
               const char *notes)
{
	double secs = (double)wall_ns / 1e9;
	double per = ops ? (double)wall_ns * threads / (double)ops : 0;
	fprintf(out, "%-40s %7u %12.0f %11.0f  %s\n", what, threads, secs > 0 ? (double)ops / secs : 0,
	        per, notes ? notes : "");
	fflush(out);
}

void bench_fail(const char *fmt, ...)
{
	va_list ap;
	unsigned long n = __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
	if (n > 10)
		return; /* the count says enough after the first few */
	va_start(ap, fmt);
	fputs("bench: FAILED: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

unsigned long bench_failures(void)
{
	return __atomic_load_n(&failures, __ATOMIC_RELAXED);
}

void bench_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The figures for the JSON file: set from the main thread only. */
#define MAX_KEYS 32
static struct {
	const char *key;
	double value;
} keys[MAX_KEYS];
static size_t nkeys;

void bench_key(const char *key, double value)
{
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(keys[i].key, key) == 0) {
			keys[i].value = value;
			return;
		}
	if (nkeys < MAX_KEYS) {
		keys[nkeys].key = key;
		keys[nkeys++].value = value;
	}
}

int bench_json_write(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputc('{', f);
	for (size_t i = 0; i < nkeys; i++)
		fprintf(f, "%s\"%s\": %.6g", i ? ", " : "", keys[i].key, keys[i].value);
	fputs("}\n", f);
	return fclose(f) == 0 ? 0 : -1;
}
