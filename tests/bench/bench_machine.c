/* What this machine charges for the two things an uncached check cannot do without: waking another
 * thread (the hand-off to a check worker and back), and a UDP exchange over loopback with another
 * process's socket (each DNS question to a local resolver). On bare metal both cost a few
 * microseconds; under some hypervisors every wake-up costs tens, and the Postfix figures of a cold
 * check follow them. No fcrdns-milter code runs here: these are the machine's own figures. */
#include "bench_core.h"
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- two threads handing a token back and forth through a mutex and condition variable ---- */

struct pingpong {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long turn, rounds;    /* even: the main thread's move, odd: the other's */
};

static void *pong(void *arg)
{
	struct pingpong *p = arg;
	pthread_mutex_lock(&p->lock);
	while (p->turn < 2 * p->rounds) {
		while (p->turn % 2 == 0)
			pthread_cond_wait(&p->cond, &p->lock);
		p->turn++;
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void wake_rtt(unsigned long rounds)
{
	struct pingpong p = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, rounds };
	pthread_t t;
	if (pthread_create(&t, NULL, pong, &p) != 0)
		bench_fail("machine: cannot start a thread");
	int64_t t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	pthread_mutex_lock(&p.lock);
	while (p.turn < 2 * rounds) {
		p.turn++;
		pthread_cond_signal(&p.cond);
		while (p.turn % 2 == 1)
			pthread_cond_wait(&p.cond, &p.lock);
	}
	pthread_mutex_unlock(&p.lock);
	pthread_join(t, NULL);
	double wall = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1000.0 / (double)rounds;
	double cpu = (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1000.0 / (double)rounds;
	printf("%-44s %8.1f us %8.1f us CPU  (two wake-ups a round trip)\n", "thread wake-up round trip", wall,
	       cpu);
	bench_key("machine_wake_rtt_us", wall);
	bench_key("machine_wake_rtt_cpu_us", cpu);
}

/* ---- a DNS-sized UDP exchange with an echo thread, made as the resolver makes one ---- */

struct echo {
	int fd;
	struct sockaddr_in addr;
};

static void *echo_loop(void *arg)
{
	struct echo *e = arg;
	char buf[512];
	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(e->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n == 1 && buf[0] == 'q')
			return NULL;
		if (n > 0)
			sendto(e->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
}

/* socket, connect, send, poll, recv, close: what lib/resolver/query.c does for each question. */
static bool exchange(const struct sockaddr_in *to, const char *q, size_t qlen)
{
	char buf[512];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && connect(fd, (const struct sockaddr *)to, sizeof(*to)) == 0 &&
	          send(fd, q, qlen, 0) == (ssize_t)qlen;
	struct pollfd pfd = { fd, POLLIN, 0 };
	ok = ok && poll(&pfd, 1, 2000) == 1 && recv(fd, buf, sizeof(buf), 0) == (ssize_t)qlen;
	if (fd >= 0)
		close(fd);
	return ok;
}

static int echo_start(struct echo *e, pthread_t *t)
{
	e->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	e->addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(e->addr);
	if (e->fd < 0 || bind(e->fd, (struct sockaddr *)&e->addr, sizeof(e->addr)) != 0 ||
	    getsockname(e->fd, (struct sockaddr *)&e->addr, &len) != 0)
		return -1;
	return pthread_create(t, NULL, echo_loop, e) == 0 ? 0 : -1;
}

static void udp_exchange(unsigned long rounds)
{
	struct echo e;
	pthread_t t;
	if (echo_start(&e, &t) != 0) {
		printf("%-44s skipped (no loopback UDP here)\n", "UDP exchange over loopback");
		return;
	}
	static const char q[40] = "a question the size of a PTR query ...";
	int64_t t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (unsigned long i = 0; i < rounds; i++)
		if (!exchange(&e.addr, q, sizeof(q)))
			bench_fail("machine: a UDP exchange over loopback failed");
	double wall = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1000.0 / (double)rounds;
	double cpu = (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1000.0 / (double)rounds;
	sendto(e.fd, "q", 1, 0, (struct sockaddr *)&e.addr, sizeof(e.addr));
	pthread_join(t, NULL);
	close(e.fd);
	printf("%-44s %8.1f us %8.1f us CPU  (both ends)\n", "UDP exchange over loopback", wall, cpu);
	bench_key("machine_udp_exchange_us", wall);
	bench_key("machine_udp_exchange_cpu_us", cpu);
}

void bench_machine(const struct opts *o)
{
	bench_note("the machine: what a wake-up and a loopback UDP exchange cost here");
	wake_rtt(100000 / o->scale_div);
	udp_exchange(20000 / o->scale_div);
}
