/* Unit tests of the real transport (resolver.h) at its edges: malformed RDATA, late replies to
 * earlier attempts, bad query names, descriptors (leaks, none to be had), many threads at once. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "check.h"
#include "clock.h"
#include "resolver.h"
#include "fake_resolver.h"

static void assert_malformed(enum fake_mode mode, uint16_t type)
{
	struct fake *f = fake_start(mode);
	fcr_transport *t = transport_one(f, 200, 0);
	struct fcr_reply r;
	char want[96];

	ask(t, type == FCR_T_PTR ? "1.2.0.192.in-addr.arpa." : "h1.test.", type, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_BADREPLY, "mode %d: xfer %d, %zu records", mode, r.xfer, r.nrr);
	snprintf(want, sizeof(want), "malformed record in reply from 127.0.0.1:%u", (unsigned)f->port);
	cr_assert_str_eq(r.detail, want);
	cr_assert_eq(r.nrr, 0);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

/* Malformed RDATA makes the whole reply unusable: the lookup gets a temporary error. */
Test(resolver, rdata_longer_than_its_type_is_badreply)
{
	assert_malformed(FAKE_LONG_A, FCR_T_A);
	assert_malformed(FAKE_LONG_AAAA, FCR_T_AAAA);
	assert_malformed(FAKE_LONG_PTR, FCR_T_PTR);
}

/* The first attempt's answer comes after DNSTimeout, while the retry is out: it still counts. */
Test(resolver, late_reply_to_an_earlier_attempt_is_taken)
{
	struct fake *f = fake_start(FAKE_LATE);
	fcr_transport *t = transport_one(f, 300, 1);
	struct fcr_reply r;

	int64_t start = fcr_now_ms();
	ask(t, "h7.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_OK, "%s", r.detail);
	cr_assert_eq(r.nrr, 1);
	assert_addr(&r.rr[0], "192.0.2.7");
	cr_assert_eq(atomic_load(&f->udp_queries), 2);
	cr_assert_lt(fcr_now_ms() - start, 550, "taken when it came, not at the retry's timeout");
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

/* The retry goes to a server that refuses it at once: the first attempt keeps listening for the
 * rest of the retry's time, and its late answer counts. */
Test(resolver, refused_retry_leaves_the_first_attempt_listening)
{
	uint16_t dead;
	int fd = bound_socket(SOCK_DGRAM, 0, &dead);
	close(fd);     /* nothing listens there now: the kernel answers port unreachable */
	struct fake *slow = fake_start(FAKE_DELAYED);
	struct fcr_resolver_conf conf = { .nns = 2, .timeout_ms = 300, .retries = 1 };
	conf.ns[0] = ns_at(slow->port);
	conf.ns[1] = ns_at(dead);
	fcr_transport *t = fcr_resolver_new(&conf, NULL, 0);
	struct fcr_reply r;

	int64_t start = fcr_now_ms();
	ask(t, "h5.test.", FCR_T_A, &r, 5000);
	int64_t took = fcr_now_ms() - start;
	cr_assert_eq(r.xfer, FCR_XFER_OK, "xfer %d: %s", r.xfer, r.detail);
	assert_addr(&r.rr[0], "192.0.2.5");
	cr_assert_geq(took, FAKE_DELAY_MS - 50, "took %lld ms", (long long)took);
	cr_assert_lt(took, 600, "took %lld ms", (long long)took);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(slow);
}

/* Each attempt's socket checks its own ID: the first attempt's answer on the retry's socket
 * carries an ID that socket never sent. */
Test(resolver, each_attempt_checks_its_own_id)
{
	struct fake *f = fake_start(FAKE_LATE_CROSSED);
	fcr_transport *t = transport_one(f, 200, 1);
	struct fcr_reply r;

	ask(t, "h7.test.", FCR_T_A, &r, 5000);
	cr_assert_eq(r.xfer, FCR_XFER_TIMEOUT, "xfer %d: %s", r.xfer, r.detail);
	cr_assert_str_eq(r.detail, "timeout after 2 attempts");
	cr_assert_eq(r.nrr, 0);
	fcr_reply_clear(&r);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, bad_query_names_are_neterr)
{
	struct fake *f = fake_start(FAKE_ANSWER);
	fcr_transport *t = transport_one(f, 1000, 0);
	char longname[300];
	struct fcr_question q[3] = { { "a..b.", FCR_T_A }, { longname, FCR_T_A },
	                             { "h1.test.", FCR_T_A } };
	struct fcr_reply r[3];

	memset(longname, 'a', sizeof(longname) - 2);
	for (size_t i = 50; i < sizeof(longname) - 2; i += 50)
		longname[i] = '.';
	longname[sizeof(longname) - 2] = '.';
	longname[sizeof(longname) - 1] = '\0';
	memset(r, 0, sizeof(r));
	t->exchange(t, q, r, 3, fcr_now_ms() + 5000);
	cr_assert_eq(r[0].xfer, FCR_XFER_NETERR);
	cr_assert_str_eq(r[0].detail, "bad query name");
	cr_assert_eq(r[1].xfer, FCR_XFER_NETERR);
	cr_assert_eq(r[2].xfer, FCR_XFER_OK, "a bad neighbour does not spoil the others");
	cr_assert_eq(atomic_load(&f->udp_queries), 1);
	for (int i = 0; i < 3; i++)
		fcr_reply_clear(&r[i]);
	fcr_transport_free(t);
	fake_stop(f);
}

Test(resolver, new_needs_a_server_and_a_timeout)
{
	struct fcr_resolver_conf conf = { .nns = 0, .timeout_ms = 1000 };
	char err[64] = "";

	cr_assert_null(fcr_resolver_new(&conf, err, sizeof(err)));
	cr_assert_str_eq(err, "no nameserver");
	conf.nns = 1;
	conf.ns[0] = ns_at(53);
	conf.timeout_ms = 0;
	cr_assert_null(fcr_resolver_new(&conf, err, sizeof(err)));
	fcr_transport_free(NULL);
}

static int open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/* Every way an exchange can end leaves no socket behind. */
Test(resolver, no_descriptor_leaks)
{
	static const enum fake_mode modes[] = { FAKE_ANSWER, FAKE_TC, FAKE_TC_NO_TCP, FAKE_GARBAGE,
	                                        FAKE_SILENT, FAKE_WRONG_ID_ONLY, FAKE_LATE,
	                                        FAKE_LONG_A };
	int before = open_fds();

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct fake *f = fake_start(modes[i]);
		fcr_transport *t = transport_one(f, 100, 1);
		struct fcr_question q[2] = { { "h1.test.", FCR_T_A }, { "h2.test.", FCR_T_AAAA } };
		struct fcr_reply r[2];
		memset(r, 0, sizeof(r));
		t->exchange(t, q, r, 2, fcr_now_ms() + 150);      /* some end at the deadline */
		fcr_reply_clear(&r[0]);
		fcr_reply_clear(&r[1]);
		fcr_transport_free(t);
		fake_stop(f);
	}
	cr_assert_eq(open_fds(), before);
}

/* ---------------------------------------------------------------- no socket to be had */

/* In the child: a descriptor table filled up to a low limit, so that socket() fails with EMFILE. */
static void fill_fd_table(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		_exit(90);
	while (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0)
		;
	if (errno != EMFILE)
		_exit(91);
}

#define CHILD_CHECK(cond, code)                                                        \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "no socket child: %s failed\n", #cond);       \
			_exit(code);                                                   \
		}                                                                      \
	} while (0)

/* The exchange ends at once (not after DNSTimeout, not on another server) with its own outcome,
 * and the check says why in its reason, as a temperror the cache does not keep. */
static void no_socket_child(void)
{
	struct fcr_resolver_conf conf = { .nns = 2, .timeout_ms = 2000, .retries = 3 };
	conf.ns[0] = ns_at(53);
	conf.ns[1] = ns_at(5353);
	fcr_transport *t = fcr_resolver_new(&conf, NULL, 0);
	CHILD_CHECK(t != NULL, 92);
	fill_fd_table();
	struct fcr_reply r;
	int64_t start = fcr_now_ms();
	ask(t, "h1.test.", FCR_T_A, &r, 5000);
	CHILD_CHECK(fcr_now_ms() - start < 500, 93);
	CHILD_CHECK(r.xfer == FCR_XFER_NOSOCKET, 94);
	CHILD_CHECK(strcmp(r.detail, "no socket: Too many open files") == 0, 95);
	fcr_reply_clear(&r);

	struct fcr_check_params p = { .max_ptr_names = 10, .timeout_ms = 5000 };
	struct fcr_check_result res = { 0 };
	fcr_addr a;
	CHILD_CHECK(fcr_addr_parse("192.0.2.7", &a), 96);
	fcr_check_run(t, &p, &a, &res);
	CHILD_CHECK(res.result == FCR_TEMPERROR && res.ptr_status == FCR_DNS_NOSOCKET, 97);
	CHILD_CHECK(strcmp(res.reason, "PTR lookup failed: no socket: Too many open files") == 0, 98);
	CHILD_CHECK(fcr_check_heard(&res) == FCR_HEARD_NO_SOCKET, 99);
	struct fcr_cache_conf cc = { .capacity = 10, .max_ttl = 3600, .neg_max_ttl = 900,
	                             .error_ttl = 30 };
	CHILD_CHECK(fcr_cache_lifetime(&cc, &res) == 0, 100);
	fcr_check_result_clear(&res);
	fcr_transport_free(t);
	_exit(0);
}

Test(resolver, no_socket_is_its_own_outcome)
{
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		no_socket_child();
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "the child died (status %d)", st);
	cr_assert_eq(WEXITSTATUS(st), 0, "child check %d failed (see stderr)", WEXITSTATUS(st));
}


/* ---------------------------------------------------------------- many threads */

#define THREADS 8
#define ROUNDS 50

struct worker {
	fcr_transport *t;
	unsigned seed;
	int failures;
	char why[128];
};

/* Each round asks two names whose answers differ, so that a mix-up between threads shows. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < ROUNDS; i++) {
		unsigned a = 1 + (w->seed * 31 + i) % 200, b = 1 + (a + 17) % 200;
		char na[32], nb[32], want[2][32];
		snprintf(na, sizeof(na), "h%u.test.", a);
		snprintf(nb, sizeof(nb), "h%u.test.", b);
		snprintf(want[0], sizeof(want[0]), "192.0.2.%u", a);
		snprintf(want[1], sizeof(want[1]), "192.0.2.%u", b);
		struct fcr_question q[2] = { { na, FCR_T_A }, { nb, FCR_T_A } };
		struct fcr_reply r[2];
		memset(r, 0, sizeof(r));
		w->t->exchange(w->t, q, r, 2, fcr_now_ms() + 10000);
		for (int k = 0; k < 2; k++) {
			fcr_addr addr;
			fcr_addr_parse(want[k], &addr);
			if (r[k].xfer != FCR_XFER_OK || r[k].nrr != 1 ||
			    !fcr_addr_equal(&r[k].rr[0].addr, &addr)) {
				w->failures++;
				snprintf(w->why, sizeof(w->why), "round %u q%d: xfer %d nrr %zu %s", i, k,
				         r[k].xfer, r[k].nrr, r[k].detail);
			}
			fcr_reply_clear(&r[k]);
		}
	}
	return NULL;
}

Test(concurrency, resolver_parallel_exchanges)
{
	struct fake *f = fake_start(FAKE_ANSWER);
	fcr_transport *t = transport_one(f, 2000, 2);
	struct worker w[THREADS];
	pthread_t th[THREADS];

	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .t = t, .seed = i };
		cr_assert_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (unsigned i = 0; i < THREADS; i++)
		cr_assert_eq(w[i].failures, 0, "thread %u: %d failures, last %s", i, w[i].failures,
		             w[i].why);
	cr_assert_geq(atomic_load(&f->udp_queries), THREADS * ROUNDS * 2);
	fcr_transport_free(t);
	fake_stop(f);
}

