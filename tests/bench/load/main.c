/* milterload: options, the event loop that keeps N sessions open (or starts them at a fixed rate),
 * and the summary. usage: milterload -s SOCKET [-c N] [-n N | -d SECONDS] [-r PER_S] [-a ADDR]
 * [-A COUNT] [-u USER] [-T SECONDS] [-b SECONDS] [-l LOGFILE] [-i SECONDS] [-j]. Exit 0 when every session ended without an error or a
 * time-out, 1 otherwise, 64 for bad usage. */
#include "load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char usage[] =
	"usage: milterload -s SOCKET [-c CONCURRENCY] [-n SESSIONS | -d SECONDS] [-r PER_SECOND]\n"
	"                  [-a FIRST_ADDRESS] [-A ADDRESSES] [-u AUTH_USER] [-T TIMEOUT] [-b BOUND]\n"
	"                  [-l SESSION_LOG] [-i PROGRESS_SECONDS] [-j]\n";

int load_parse_socket(const char *spec, struct sockaddr_storage *ss, unsigned *len)
{
	memset(ss, 0, sizeof(*ss));
	const char *path = !strncmp(spec, "unix:", 5) ? spec + 5 : !strncmp(spec, "local:", 6) ? spec + 6 : NULL;
	if (path) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		if (strlen(path) >= sizeof(un->sun_path))
			return -1;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		*len = sizeof(*un);
		return 0;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	unsigned port;
	char host[64];
	if (sscanf(spec, "inet:%u@%63s", &port, host) != 2 || port > 65535 ||
	    inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return -1;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	*len = sizeof(*in);
	return 0;
}

static bool parse_addr(struct options *o, const char *s)
{
	if (inet_pton(AF_INET, s, o->base) == 1)
		o->family = AF_INET;
	else if (inet_pton(AF_INET6, s, o->base) == 1)
		o->family = AF_INET6;
	else
		return false;
	return true;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int c;
	*o = (struct options){ .concurrency = 64, .timeout = 60, .naddrs = 1 };
	parse_addr(o, "192.0.2.1");
	while ((c = getopt(argc, argv, "s:c:n:d:r:a:A:u:T:b:l:i:j")) != -1) {
		switch (c) {
		case 's': o->socket = optarg; break;
		case 'c': o->concurrency = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': o->total = strtoul(optarg, NULL, 10); break;
		case 'd': o->duration = strtod(optarg, NULL); break;
		case 'r': o->rate = strtod(optarg, NULL); break;
		case 'a': if (!parse_addr(o, optarg)) return -1; break;
		case 'A': o->naddrs = strtoul(optarg, NULL, 10); break;
		case 'u': o->auth = optarg; break;
		case 'T': o->timeout = strtod(optarg, NULL); break;
		case 'b': o->bound = strtod(optarg, NULL); break;
		case 'l': o->log_path = optarg; break;
		case 'i': o->every = strtod(optarg, NULL); break;
		case 'j': o->json = true; break;
		default: return -1;
		}
	}
	struct sockaddr_storage ss;
	unsigned sl;
	if (optind != argc || !o->socket || load_parse_socket(o->socket, &ss, &sl) < 0 ||
	    o->concurrency == 0 || o->concurrency > 100000 || (!o->total && o->duration <= 0) ||
	    o->timeout <= 0 || o->rate < 0 || o->bound < 0 || o->every < 0)
		return -1;
	return 0;
}

struct run {
	const struct options *o;
	struct session *slot;
	unsigned *free_slots, nfree;
	int ep;
	struct stats st;
	int64_t t0, end, next_start, next_progress;
	unsigned long next_id;
};

static bool no_more(const struct run *r, int64_t now)
{
	return (r->o->total && r->next_id >= r->o->total) || (r->o->duration > 0 && now >= r->end);
}

static void release(struct run *r, unsigned i)
{
	r->slot[i].in_use = false;
	r->free_slots[r->nfree++] = i;
}

/* Starts sessions while slots are free, the rate allows and the run is not over. */
static void start_sessions(struct run *r, int64_t now)
{
	while (r->nfree && !no_more(r, now) && (r->o->rate <= 0 || now >= r->next_start)) {
		unsigned i = r->free_slots[--r->nfree];
		struct session *s = &r->slot[i];
		if (r->o->rate > 0)
			r->next_start += (int64_t)(1e6 / r->o->rate);
		if (session_open(s, r->o, r->next_id++, &r->st) < 0) {
			release(r, i);
			continue;
		}
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = i };
		epoll_ctl(r->ep, EPOLL_CTL_ADD, s->fd, &ev);
	}
}

static void expire(struct run *r, int64_t now)
{
	for (unsigned i = 0; i < r->o->concurrency; i++) {
		struct session *s = &r->slot[i];
		if (s->in_use && now - s->t_start > (int64_t)(r->o->timeout * 1e6)) {
			session_timeout(s, r->o, &r->st);
			release(r, i);
		}
	}
}

const char *const load_outcome_names[NOUTCOMES] = { "accepted", "rejected", "tempfailed",
                                                    "other_reply", "errors", "timeouts" };

/* A progress line on stderr: seconds so far, sessions open, and the counts so far. */
static void progress(struct run *r, int64_t now)
{
	if (r->o->every <= 0 || now < r->next_progress)
		return;
	r->next_progress += (int64_t)(r->o->every * 1e6);
	fprintf(stderr, "milterload: t=%.1f open=%u finished=%lu", (double)(now - r->t0) / 1e6,
	        r->o->concurrency - r->nfree, r->st.finished);
	for (int k = 0; k < NOUTCOMES; k++)
		fprintf(stderr, " %s=%lu", load_outcome_names[k], r->st.outcomes[k]);
	fprintf(stderr, " over_bound=%lu over_bound_negotiated=%lu\n", r->st.over_bound,
	        r->st.over_bound_negotiated);
}

static void loop(struct run *r)
{
	struct epoll_event ev[256];
	int64_t last_expire = r->t0;
	for (;;) {
		int64_t now = load_now_us();
		start_sessions(r, now);
		if (r->nfree == r->o->concurrency && no_more(r, now))
			return;
		int n = epoll_wait(r->ep, ev, 256, 10);
		for (int k = 0; k < n; k++) {
			unsigned i = ev[k].data.u32;
			struct session *s = &r->slot[i];
			if (s->in_use && session_event(s, r->o, &r->st, ev[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				release(r, i);
		}
		if (load_now_us() - last_expire > 100000) {
			last_expire = load_now_us();
			expire(r, last_expire);
		}
		progress(r, load_now_us());
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint32_t quantile(const struct stats *st, double q)
{
	if (!st->nsess)
		return 0;
	size_t i = (size_t)(q * (double)(st->nsess - 1) + 0.5);
	return st->session_us[i];
}

static const char *const step_names[NSTEPS] = { "optneg", "connect", "helo", "mail", "rcpt", "data",
                                                "header", "eoh", "body", "eom", "quit" };

/* One figure: "key=value" (text) or "\"key\": value" (JSON), with the separator before it. */
static void figure(const struct run *r, bool first, const char *key, double v)
{
	if (r->o->json)
		printf("%s\"%s\": %.6g", first ? "{" : ", ", key, v);
	else
		printf("%s%s=%.6g", first ? "" : " ", key, v);
}

static void report(const struct run *r, double secs)
{
	const struct stats *st = &r->st;
	figure(r, true, "sessions", (double)st->finished);
	figure(r, false, "seconds", secs);
	figure(r, false, "sessions_per_s", secs > 0 ? (double)st->finished / secs : 0);
	for (int k = 0; k < NOUTCOMES; k++)
		figure(r, false, load_outcome_names[k], (double)st->outcomes[k]);
	figure(r, false, "headers_added", (double)st->headers_added);
	if (r->o->bound > 0) {
		figure(r, false, "over_bound", (double)st->over_bound);
		figure(r, false, "over_bound_negotiated", (double)st->over_bound_negotiated);
	}
	figure(r, false, "p50_us", (double)quantile(st, 0.5));
	figure(r, false, "p99_us", (double)quantile(st, 0.99));
	figure(r, false, "max_us", (double)quantile(st, 1.0));
	for (int k = 0; k < NSTEPS; k++) {
		char key[40];
		snprintf(key, sizeof(key), "max_wait_%s_us", step_names[k]);
		if (st->step_max_us[k])
			figure(r, false, key, (double)st->step_max_us[k]);
	}
	printf(r->o->json ? "}\n" : "\n");
	if (st->first_error[0])
		fprintf(stderr, "milterload: first error: %s\n", st->first_error);
}

/* As many descriptors as the hard limit allows: a thousand sessions need a thousand sockets. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	if (parse_options(argc, argv, &o) < 0) {
		fputs(usage, stderr);
		return 64;
	}
	raise_nofile();
	struct run r = { .o = &o, .slot = calloc(o.concurrency, sizeof(struct session)),
	                 .free_slots = calloc(o.concurrency, sizeof(unsigned)), .ep = epoll_create1(EPOLL_CLOEXEC) };
	if (!r.slot || !r.free_slots || r.ep < 0) {
		perror("milterload");
		return 71;
	}
	for (unsigned i = o.concurrency; i-- > 0;)
		r.free_slots[r.nfree++] = i;
	if (o.log_path && !(r.st.log = fopen(o.log_path, "w"))) {
		perror(o.log_path);
		return 73;
	}
	r.t0 = r.next_start = r.next_progress = load_now_us();
	r.end = r.t0 + (int64_t)(o.duration * 1e6);
	loop(&r);
	qsort(r.st.session_us, r.st.nsess, sizeof(uint32_t), cmp_u32);
	report(&r, (double)(load_now_us() - r.t0) / 1e6);
	for (unsigned i = 0; i < o.concurrency; i++)
		free(r.slot[i].in);
	free(r.slot);
	free(r.free_slots);
	free(r.st.session_us);
	close(r.ep);
	if (r.st.log && fclose(r.st.log) != 0) {
		perror(o.log_path);
		return 74;
	}
	return r.st.outcomes[OUT_ERROR] || r.st.outcomes[OUT_TIMEOUT] ? 1 : 0;
}
