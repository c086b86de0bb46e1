/* The -t command: one service, a few worker threads, results printed in input order. Input is
 * taken in chunks, so memory stays bounded however many lines standard input holds. */
#include "tcmd.h"

#include "service.h"
#include "text.h"
#include "trace.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define MAX_WORKERS 32
#define CHUNK 1024        /* items checked and printed before more input is read */
#define LINE_BYTES 256    /* an address with blanks around it fits many times over */
#define ECHO_BYTES 100    /* of a skipped line, echoed (escaped) in its message */

struct item {
	char *text;                     /* the input as given (trimmed, maybe cut), len bytes */
	size_t len;
	unsigned long line;             /* line of standard input, 0 for an argument */
	bool overlong;                  /* a line longer than LINE_BYTES: cut, never an address */
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

/* Where the items come from: the arguments in order, "-" standing for every line of stdin. */
struct source {
	const char *const *args;
	size_t nargs, argi;
	bool in_stdin;
	unsigned long line;
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
		/* Through the shared cache: an address given twice is looked up once. */
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

/* "skipped, …" for an item that is no address, its text escaped: a terminal must not obey it. */
static void print_skipped(const struct item *it)
{
	char where[40] = "", shown[ECHO_BYTES * 4 + 8];
	if (it->line)
		snprintf(where, sizeof(where), " (line %lu)", it->line);
	if (it->overlong) {
		fprintf(stderr, "fcrdns-milter: skipped, longer than %d bytes%s\n", LINE_BYTES, where);
		return;
	}
	fcr_text_escape_n(it->text, it->len, ECHO_BYTES, shown, sizeof(shown));
	fprintf(stderr, "fcrdns-milter: skipped, not an IP address%s: %s\n", where, shown);
}

/* Prints one finished item as a summary line (or a JSON line); returns its exit code. */
static int print_item(const struct fcr_config *conf, fcr_service *svc, struct item *it, bool json)
{
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

/* Checks and prints the items of one chunk; counts the addresses checked in *checked. */
static int run_batch(const struct fcr_config *conf, struct batch *b, bool json, size_t *checked)
{
	size_t nw = b->n < MAX_WORKERS ? b->n : MAX_WORKERS;
	pthread_t tid[MAX_WORKERS];
	size_t started = 0;
	int rc = 0;

	b->next = 0;
	for (; started < nw; started++)
		if (pthread_create(&tid[started], NULL, worker, b) != 0)
			break;
	if (started == 0)
		worker(b); /* no threads to be had: do it all here */
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		pthread_mutex_lock(&b->lock);
		while (!it->done)
			pthread_cond_wait(&b->changed, &b->lock);
		pthread_mutex_unlock(&b->lock);
		if (!it->ok) {
			print_skipped(it);
			continue;
		}
		int code = print_item(conf, b->svc, it, json);
		fflush(stdout);
		rc = code > rc ? code : rc;
		(*checked)++;
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return rc;
}

static void batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->items[i].text);
		fcr_check_result_clear(&b->items[i].r);
	}
	b->n = 0;
}

/* Trims blanks (and a CR) at both ends of s[0..*len); returns the start. */
static char *trim(char *s, size_t *len)
{
	size_t n = *len;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*len = n;
	return s;
}

/* Adds text[0..len) (not NUL-terminated, may hold NUL bytes) as the next item. */
static int add_item(struct batch *b, const char *text, size_t len, unsigned long line, bool overlong)
{
	struct item *it = &b->items[b->n];
	memset(it, 0, sizeof(*it));
	if (!(it->text = malloc(len + 1)))
		return -1;
	memcpy(it->text, text, len);
	it->text[len] = '\0';
	it->len = len;
	it->line = line;
	it->overlong = overlong;
	/* A NUL inside the text would hide the rest from the parser: such text is no address. */
	it->ok = !overlong && !memchr(text, '\0', len) && fcr_addr_parse(it->text, &it->addr);
	b->n++;
	return 0;
}

/* Reads one line of standard input: at most LINE_BYTES are kept, the rest of a longer line is
 * read and dropped. Returns the length kept, or -1 at the end of the input. */
static long read_line(char *buf, bool *overlong)
{
	size_t n = 0;
	int ch;
	*overlong = false;
	while ((ch = getchar()) != EOF && ch != '\n') {
		if (n < LINE_BYTES)
			buf[n++] = (char)ch;
		else
			*overlong = true;
	}
	return ch == EOF && n == 0 && !*overlong ? -1 : (long)n;
}

/* Adds the next line of standard input that is not blank or a comment; 0 at its end, 1 when an
 * item was added, -1 when out of memory. */
static int next_line(struct batch *b, struct source *s)
{
	char buf[LINE_BYTES];
	bool overlong;
	long got;
	while ((got = read_line(buf, &overlong)) >= 0) {
		s->line++;
		size_t len = (size_t)got;
		char *t = trim(buf, &len);
		if (overlong || (len && *t != '#'))
			return add_item(b, t, len, s->line, overlong) == 0 ? 1 : -1;
	}
	return 0;
}

/* Fills the batch with up to CHUNK items from the source; -1 when out of memory. */
static int fill(struct batch *b, struct source *s)
{
	while (b->n < CHUNK) {
		if (s->in_stdin) {
			int got = next_line(b, s);
			if (got < 0)
				return -1;
			if (got == 0)
				s->in_stdin = false;
			continue;
		}
		if (s->argi == s->nargs)
			break;
		const char *a = s->args[s->argi++];
		if (strcmp(a, "-") == 0)
			s->in_stdin = true;
		else if (add_item(b, a, strlen(a), 0, false) < 0)
			return -1;
	}
	return 0;
}

static int run_all(const struct fcr_config *conf, struct batch *b, struct source *s, bool json)
{
	size_t checked = 0;
	int rc = 0;
	for (;;) {
		if (fill(b, s) < 0) {
			fprintf(stderr, "fcrdns-milter: out of memory\n");
			return EX_OSERR;
		}
		if (b->n == 0)
			break;
		int code = run_batch(conf, b, json, &checked);
		rc = code > rc ? code : rc;
		batch_clear(b);
	}
	if (checked == 0) {
		fprintf(stderr, "fcrdns-milter: no address to check\n");
		return EX_USAGE;
	}
	return rc;
}

static int trace_one(const struct fcr_config *conf, fcr_service *svc, const char *text, bool json)
{
	fcr_addr a;
	if (!fcr_addr_parse(text, &a)) {
		char shown[ECHO_BYTES * 4 + 8];
		fprintf(stderr, "fcrdns-milter: not an IP address: %s\n",
		        fcr_text_escape(text, ECHO_BYTES, shown, sizeof(shown)));
		return EX_USAGE;
	}
	struct fcr_check_result r = { 0 };
	bool cached = false;  /* the full trace is always a fresh check */
	fcr_service_trace(svc, &a, &r);
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

static int run_many(const struct fcr_config *conf, fcr_service *svc, const char *const *args,
                    size_t nargs, bool json)
{
	struct batch b = { .svc = svc, .items = calloc(CHUNK, sizeof(struct item)) };
	struct source s = { .args = args, .nargs = nargs };
	if (!b.items) {
		fprintf(stderr, "fcrdns-milter: out of memory\n");
		return EX_OSERR;
	}
	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.changed, NULL);
	int rc = run_all(conf, &b, &s, json);
	batch_clear(&b);
	free(b.items);
	pthread_cond_destroy(&b.changed);
	pthread_mutex_destroy(&b.lock);
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
	if (nargs == 1 && strcmp(args[0], "-") != 0)
		rc = trace_one(conf, svc, args[0], json);
	else
		rc = run_many(conf, svc, args, nargs, json);
	fcr_service_free(svc);
	return rc;
}
