/* The -t command: one service, a few worker threads, results printed in input order. */
#include "tcmd.h"

#include "service.h"
#include "trace.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define MAX_WORKERS 32

struct item {
	char *text;                     /* the address as given (trimmed) */
	bool ok;                        /* parsed as an address */
	fcr_addr addr;
	bool done, cached;
	struct fcr_check_result r;
};

struct batch {
	fcr_service *svc;
	struct item *items;
	size_t n, next;                 /* next item a worker takes */
	pthread_mutex_t lock;
	pthread_cond_t changed;
};

static void *worker(void *arg)
{
	struct batch *b = arg;
	for (;;) {
		pthread_mutex_lock(&b->lock);
		size_t i = b->next < b->n ? b->next++ : b->n;
		pthread_mutex_unlock(&b->lock);
		if (i == b->n)
			return NULL;
		struct item *it = &b->items[i];
		struct fcr_check_result r = { 0 };
		bool cached = false;
		if (it->ok)
			fcr_service_check(b->svc, &it->addr, &r, &cached);
		pthread_mutex_lock(&b->lock);
		it->r = r;
		it->cached = cached;
		it->done = true;
		pthread_cond_broadcast(&b->changed);
		pthread_mutex_unlock(&b->lock);
	}
}

static int exit_code(enum fcr_result r)
{
	return (int)r; /* pass 0, fail 1, permerror 2, temperror 3 */
}

/* Prints one finished item as a summary line (or a JSON line); returns its exit code. */
static int print_item(const struct fcr_config *conf, fcr_service *svc, struct item *it, bool json)
{
	if (!it->ok) {
		fprintf(stderr, "fcrdns-milter: skipped, not an IP address: %.100s\n", it->text);
		return 0;
	}
	struct fcr_trace_ctx ctx = { .conf = conf, .cached = it->cached,
	                             .exempt = fcr_service_exempt(svc, &it->addr) };
	if (json) {
		fcr_trace_json(stdout, &ctx, &it->r);
	} else {
		char line[2048];
		printf("%s%s\n", fcr_trace_summary(&ctx, &it->r, line, sizeof(line)),
		       ctx.exempt ? " exempt=yes" : "");
	}
	return exit_code(it->r.result);
}

static int run_batch(const struct fcr_config *conf, struct batch *b, bool json)
{
	size_t nw = b->n < MAX_WORKERS ? b->n : MAX_WORKERS;
	pthread_t tid[MAX_WORKERS];
	size_t started = 0;
	int rc = 0;

	for (; started < nw; started++)
		if (pthread_create(&tid[started], NULL, worker, b) != 0)
			break;
	if (started == 0)
		worker(b); /* no threads to be had: do it all here */
	for (size_t i = 0; i < b->n; i++) {
		pthread_mutex_lock(&b->lock);
		while (!b->items[i].done)
			pthread_cond_wait(&b->changed, &b->lock);
		pthread_mutex_unlock(&b->lock);
		int code = print_item(conf, b->svc, &b->items[i], json);
		fflush(stdout);
		rc = code > rc ? code : rc;
		fcr_check_result_clear(&b->items[i].r);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return rc;
}

/* Trims blanks and a trailing newline in place; returns the start. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == '\n' || s[l - 1] == '\r' || s[l - 1] == ' ' || s[l - 1] == '\t'))
		s[--l] = '\0';
	return s;
}

static int add_item(struct batch *b, size_t *cap, const char *text)
{
	if (b->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct item *g = realloc(b->items, ncap * sizeof(*g));
		if (!g)
			return -1;
		b->items = g;
		*cap = ncap;
	}
	struct item *it = &b->items[b->n];
	memset(it, 0, sizeof(*it));
	if (!(it->text = strdup(text)))
		return -1;
	it->ok = fcr_addr_parse(it->text, &it->addr);
	b->n++;
	return 0;
}

static int collect(struct batch *b, const char *const *args, size_t nargs)
{
	size_t cap = 0;
	for (size_t i = 0; i < nargs; i++) {
		if (strcmp(args[i], "-") != 0) {
			if (add_item(b, &cap, args[i]))
				return -1;
			continue;
		}
		char *line = NULL;
		size_t len = 0;
		while (getline(&line, &len, stdin) != -1) {
			char *t = trim(line);
			if (*t && *t != '#' && add_item(b, &cap, t)) {
				free(line);
				return -1;
			}
		}
		free(line);
	}
	return 0;
}

static int trace_one(const struct fcr_config *conf, fcr_service *svc, const char *text, bool json)
{
	fcr_addr a;
	if (!fcr_addr_parse(text, &a)) {
		fprintf(stderr, "fcrdns-milter: not an IP address: %.100s\n", text);
		return EX_USAGE;
	}
	struct fcr_check_result r = { 0 };
	bool cached = false;
	fcr_service_check(svc, &a, &r, &cached);
	struct fcr_trace_ctx ctx = { .conf = conf, .cached = cached,
	                             .exempt = fcr_service_exempt(svc, &a) };
	if (json)
		fcr_trace_json(stdout, &ctx, &r);
	else
		fcr_trace_text(stdout, &ctx, &r);
	int rc = exit_code(r.result);
	fcr_check_result_clear(&r);
	return rc;
}

int fcr_tcmd_run(const struct fcr_config *conf, const char *const *args, size_t nargs, bool json)
{
	char err[512];
	fcr_service *svc = fcr_service_new(conf, NULL, err, sizeof(err));
	if (!svc) {
		/* What can fail here is the resolver set-up (no nameserver anywhere): configuration. */
		fprintf(stderr, "fcrdns-milter: %s\n", err);
		return EX_CONFIG;
	}
	int rc;
	if (nargs == 1 && strcmp(args[0], "-") != 0) {
		rc = trace_one(conf, svc, args[0], json);
	} else {
		struct batch b = { .svc = svc };
		pthread_mutex_init(&b.lock, NULL);
		pthread_cond_init(&b.changed, NULL);
		if (collect(&b, args, nargs) == 0) {
			rc = run_batch(conf, &b, json);
		} else {
			fprintf(stderr, "fcrdns-milter: out of memory\n");
			rc = EX_OSERR;
		}
		for (size_t i = 0; i < b.n; i++)
			free(b.items[i].text);
		free(b.items);
		pthread_cond_destroy(&b.changed);
		pthread_mutex_destroy(&b.lock);
	}
	fcr_service_free(svc);
	return rc;
}
