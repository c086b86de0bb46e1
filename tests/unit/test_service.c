/* The wired core: configuration + fake resolver + cache + check, used the way the milter and -t use
 * it, from many threads at once; and with the resolver down (health.h). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "fake_dns.h"
#include "service.h"

#define NADDR 50

static struct fake_zone zone;

static struct fcr_config *load(const char *const *ov, size_t n)
{
	char err[256];
	struct fcr_config *c = fcr_config_load("/dev/null", ov, n, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	return c;
}

static fcr_service *service(const struct fcr_config *c, struct fake_dns **fake, int delay_ms)
{
	struct fake_dns f;
	char err[256];
	fake_zone_confirming(&zone, "10.0.0", NADDR, 300);
	fake_dns_init(&f, zone.table, zone.n);
	f.delay_ms = delay_ms;
	fcr_transport *t = fake_dns_dup(&f);
	*fake = (struct fake_dns *)t;
	fcr_service *s = fcr_service_new(c, t, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	return s;
}

Test(service, check_then_cached)
{
	const char *ov[] = { "ExemptHosts=10.0.0.7/32" };
	struct fcr_config *c = load(ov, 1);
	struct fake_dns *fake;
	fcr_service *s = service(c, &fake, 0);
	fcr_addr a;
	struct fcr_check_result r = { 0 };
	bool cached = true;

	cr_assert(fcr_addr_parse("10.0.0.3", &a));
	cr_assert_eq(fcr_service_check(s, &a, &r, &cached), 0);
	cr_assert_eq(r.result, FCR_PASS);
	cr_assert_not(cached);
	fcr_check_result_clear(&r);
	cr_assert_eq(fcr_service_check(s, &a, &r, &cached), 0);
	cr_assert(cached);
	cr_assert_eq(r.result, FCR_PASS);
	cr_assert_eq(fake->questions, 2, "the second check must not ask again");
	fcr_check_result_clear(&r);

	cr_assert_not(fcr_service_exempt(s, &a));
	cr_assert(fcr_addr_parse("10.0.0.7", &a));
	cr_assert(fcr_service_exempt(s, &a));
	fcr_service_free(s);
	fcr_config_free(c);
}

Test(service, cache_off_asks_every_time)
{
	const char *ov[] = { "CacheSize=0" };
	struct fcr_config *c = load(ov, 1);
	struct fake_dns *fake;
	fcr_service *s = service(c, &fake, 0);
	fcr_addr a;
	cr_assert(fcr_addr_parse("10.0.0.3", &a));
	for (int i = 0; i < 3; i++) {
		struct fcr_check_result r = { 0 };
		fcr_service_check(s, &a, &r, NULL);
		cr_assert_eq(r.result, FCR_PASS);
		fcr_check_result_clear(&r);
	}
	cr_assert_eq(fake->questions, 6);
	fcr_service_free(s);
	fcr_config_free(c);
}

struct worker_arg {
	fcr_service *svc;
	int seed;
	int wrong;
};

static void *worker(void *p)
{
	struct worker_arg *w = p;
	for (int k = 0; k < 4 * NADDR; k++) {
		char ip[32];
		fcr_addr a;
		snprintf(ip, sizeof(ip), "10.0.0.%d", (k * 7 + w->seed) % NADDR + 1);
		fcr_addr_parse(ip, &a);
		struct fcr_check_result r = { 0 };
		fcr_service_check(w->svc, &a, &r, NULL);
		char want[32], got[300];
		snprintf(want, sizeof(want), "h%s.test", ip + strlen("10.0.0."));
		fcr_check_confirmed(&r, got, sizeof(got));
		w->wrong += r.result != FCR_PASS || strcmp(want, got) != 0;
		fcr_check_result_clear(&r);
	}
	return NULL;
}

/* 16 threads, each checking every address 4 times in its own order, over a resolver that takes
 * 5 ms an answer: each address costs exactly one PTR and one A question in all. */
Test(concurrency, service_shares_lookups_across_threads)
{
	struct fcr_config *c = load(NULL, 0);
	struct fake_dns *fake;
	fcr_service *s = service(c, &fake, 5);
	pthread_t tid[16];
	struct worker_arg args[16];
	for (int i = 0; i < 16; i++) {
		args[i] = (struct worker_arg){ s, i * 3, 0 };
		pthread_create(&tid[i], NULL, worker, &args[i]);
	}
	int wrong = 0;
	for (int i = 0; i < 16; i++) {
		pthread_join(tid[i], NULL);
		wrong += args[i].wrong;
	}
	cr_assert_eq(wrong, 0);
	cr_assert_eq(__atomic_load_n(&fake->questions, __ATOMIC_RELAXED), 2 * NADDR);
	struct fcr_cache_stats st;
	fcr_cache_stats(fcr_service_cache(s), &st);
	cr_assert_eq(st.misses, NADDR);
	cr_assert_eq(st.hits + st.shared + st.misses, 16 * 4 * NADDR);
	fcr_service_free(s);
	fcr_config_free(c);
}

/* ---- the resolver down: fail fast, probe, recover ---- */

#define NSILENT 16

/* The confirming zone 10.0.0.x plus 10.9.0.1..NSILENT, whose PTR lookups time out. */
static struct fake_answer table[2 * FAKE_ZONE_MAX + NSILENT];
static char silent_names[NSILENT][40];

static fcr_service *outage_service(const struct fcr_config *c, struct fake_dns **fake)
{
	struct fake_dns f;
	char err[256];
	fake_zone_confirming(&zone, "10.0.0", NADDR, 300);
	memcpy(table, zone.table, zone.n * sizeof(table[0]));
	for (int i = 0; i < NSILENT; i++) {
		snprintf(silent_names[i], sizeof(silent_names[i]), "%d.0.9.10.in-addr.arpa.", i + 1);
		table[zone.n + (size_t)i] = (struct fake_answer){ silent_names[i], FCR_T_PTR,
		                                                  FCR_XFER_TIMEOUT, 0, NULL, -1, 0 };
	}
	fake_dns_init(&f, table, zone.n + NSILENT);
	fcr_transport *t = fake_dns_dup(&f);
	*fake = (struct fake_dns *)t;
	fcr_service *s = fcr_service_new(c, t, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	return s;
}

static struct fcr_check_result check(fcr_service *s, const char *ip, bool *cached)
{
	fcr_addr a;
	struct fcr_check_result r = { 0 };
	cr_assert(fcr_addr_parse(ip, &a), "%s", ip);
	cr_assert_eq(fcr_service_check(s, &a, &r, cached), 0);
	return r;
}

static bool stored(fcr_service *s, const char *ip)
{
	fcr_addr a;
	struct fcr_cache_summary r;
	cr_assert(fcr_addr_parse(ip, &a));
	return fcr_service_peek(s, &a, &r) == 1;
}

static unsigned asked(struct fake_dns *f)
{
	return __atomic_load_n(&f->questions, __ATOMIC_RELAXED);
}

static void assert_failed_fast(fcr_service *s, struct fake_dns *fake, const char *ip)
{
	unsigned before = asked(fake);
	bool cached = true;
	struct fcr_check_result r = check(s, ip, &cached);
	cr_assert_eq(r.result, FCR_TEMPERROR, "%s", ip);
	cr_assert_eq(r.ptr_status, FCR_DNS_UNAVAILABLE, "%s", ip);
	cr_assert_str_eq(r.reason, "resolver unavailable: failing fast after 5 timeouts");
	cr_assert_not(cached);
	cr_assert_lt(r.elapsed_ms, 100);
	cr_assert_eq(asked(fake), before, "%s: no DNS asked", ip);
	cr_assert_not(stored(s, ip), "%s: a fast failure is not cached", ip);
	fcr_check_result_clear(&r);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static void count_changes(void *arg, bool down, unsigned timeouts, int64_t down_ms)
{
	(void)down;
	(void)timeouts;
	(void)down_ms;
	(*(int *)arg)++;
}

/* Five silent checks in a row open the breaker; then checks fail fast and are not cached, fresh
 * cached results still serve, one probe a second asks DNS, and a probe that gets a reply ends it. */
/* One pass, then five timeouts: the fifth opens the breaker; later checks fail fast, a cached pass
 * still serves. */
static void open_the_breaker(fcr_service *s, struct fake_dns *fake, const int *changes)
{
	char ip[32];
	struct fcr_check_result r = check(s, "10.0.0.3", NULL);
	cr_assert_eq(r.result, FCR_PASS);
	fcr_check_result_clear(&r);
	for (int i = 1; i <= 5; i++) {
		snprintf(ip, sizeof(ip), "10.9.0.%d", i);
		r = check(s, ip, NULL);
		cr_assert_eq(r.ptr_status, FCR_DNS_TIMEOUT, "%s asked DNS", ip);
		fcr_check_result_clear(&r);
	}
	cr_assert_eq(*changes, 1);
	cr_assert(stored(s, "10.9.0.4"), "timeouts before the breaker opened keep ErrorCacheTTL");
	cr_assert_not(stored(s, "10.9.0.5"), "the one that opened it heard nothing while down");
	assert_failed_fast(s, fake, "10.9.0.6");
	assert_failed_fast(s, fake, "10.0.0.4");
	bool cached = false;
	r = check(s, "10.0.0.3", &cached);
	cr_assert(cached && r.result == FCR_PASS, "a fresh cached pass still serves");
	fcr_check_result_clear(&r);
}

/* A probe a second: one that hears nothing keeps the breaker open; one that gets an answer closes it. */
static void probe_until_back(fcr_service *s, struct fake_dns *fake, const int *changes)
{
	sleep_ms(FCR_HEALTH_PROBE_MS + 50);
	unsigned before = asked(fake);
	struct fcr_check_result r = check(s, "10.9.0.7", NULL);
	cr_assert_eq(r.ptr_status, FCR_DNS_TIMEOUT, "the probe asks DNS");
	cr_assert_eq(asked(fake), before + 1);
	cr_assert_not(stored(s, "10.9.0.7"), "a probe that heard nothing is not cached");
	fcr_check_result_clear(&r);
	assert_failed_fast(s, fake, "10.0.0.4");

	sleep_ms(FCR_HEALTH_PROBE_MS + 50);
	r = check(s, "10.0.0.4", NULL);
	cr_assert_eq(r.result, FCR_PASS, "the probe gets an answer: the resolver is back");
	fcr_check_result_clear(&r);
	cr_assert_eq(*changes, 2);
	before = asked(fake);
	r = check(s, "10.9.0.6", NULL);
	cr_assert_eq(r.ptr_status, FCR_DNS_TIMEOUT, "up again: DNS is asked");
	cr_assert_eq(asked(fake), before + 1);
	fcr_check_result_clear(&r);
}

Test(service, fails_fast_while_the_resolver_is_down)
{
	struct fcr_config *c = load(NULL, 0);
	struct fake_dns *fake;
	fcr_service *s = outage_service(c, &fake);
	int changes = 0;
	fcr_service_set_health_hook(s, count_changes, &changes);
	open_the_breaker(s, fake, &changes);
	probe_until_back(s, fake, &changes);

	struct fcr_health_stats st;
	fcr_service_health(s, &st);
	cr_assert_not(st.down);
	cr_assert_eq(st.changes, 2);
	cr_assert_eq(st.probes, 2);
	cr_assert_eq(st.failed_fast, 3);
	fcr_service_free(s);
	fcr_config_free(c);
}

struct probe_arg {
	fcr_service *svc;
	struct fcr_check_result r;
};

static void *probe_thread(void *p)
{
	struct probe_arg *a = p;
	a->r = check(a->svc, "10.9.0.8", NULL);
	return NULL;
}

/* While the probe of an address waits on a slow resolver, others checking that very address fail
 * fast instead of sharing its wait (the cache's single flight is not entered). */
Test(service, nobody_waits_behind_the_probe)
{
	const char *ov[] = { "CheckTimeout=0.6" };
	struct fcr_config *c = load(ov, 1);
	struct fake_dns *fake;
	fcr_service *s = outage_service(c, &fake);
	char ip[32];

	for (int i = 1; i <= 5; i++) {
		snprintf(ip, sizeof(ip), "10.9.0.%d", i);
		struct fcr_check_result r = check(s, ip, NULL);
		fcr_check_result_clear(&r);
	}
	fake->delay_ms = 400;
	sleep_ms(FCR_HEALTH_PROBE_MS + 50);
	struct probe_arg pa = { .svc = s };
	pthread_t tid;
	pthread_create(&tid, NULL, probe_thread, &pa);
	sleep_ms(100);
	int64_t start = fcr_now_ms();
	assert_failed_fast(s, fake, "10.9.0.8");
	cr_assert_lt(fcr_now_ms() - start, 100);
	pthread_join(tid, NULL);
	cr_assert_eq(pa.r.ptr_status, FCR_DNS_TIMEOUT, "the probe itself asked and waited");
	cr_assert_geq(pa.r.elapsed_ms, 350);
	fcr_check_result_clear(&pa.r);
	fcr_service_free(s);
	fcr_config_free(c);
}

/* A reload that keeps the nameservers keeps the breaker; other nameservers start fresh. */
Test(service, reload_keeps_the_breaker_for_the_same_servers)
{
	const char *ov1[] = { "Nameservers=127.0.0.1" }, *ov2[] = { "Nameservers=127.0.0.2" };
	struct fcr_config *c1 = load(ov1, 1), *c2 = load(ov1, 1), *c3 = load(ov2, 1);
	struct fake_dns *f1, *f2, *f3;
	fcr_service *s1 = outage_service(c1, &f1), *s2 = outage_service(c2, &f2);
	fcr_service *s3 = outage_service(c3, &f3);
	char ip[32];

	for (int i = 1; i <= 5; i++) {
		snprintf(ip, sizeof(ip), "10.9.0.%d", i);
		struct fcr_check_result r = check(s1, ip, NULL);
		fcr_check_result_clear(&r);
	}
	cr_assert(fcr_service_share_health(s2, s1));
	cr_assert_not(fcr_service_share_health(s3, s1));
	fcr_service_free(s1);  /* the old service goes first, as after a reload */
	assert_failed_fast(s2, f2, "10.9.0.9");
	struct fcr_check_result r = check(s3, "10.9.0.9", NULL);
	cr_assert_eq(r.ptr_status, FCR_DNS_TIMEOUT, "other servers: asked");
	fcr_check_result_clear(&r);
	fcr_service_free(s2);
	fcr_service_free(s3);
	fcr_config_free(c1);
	fcr_config_free(c2);
	fcr_config_free(c3);
}

struct outage_worker {
	fcr_service *svc;
	int seed;
	int wrong;
};

static void *outage_work(void *p)
{
	struct outage_worker *w = p;
	for (int k = 0; k < 300; k++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.9.0.%d", (k + w->seed) % NSILENT + 1);
		struct fcr_check_result r = check(w->svc, ip, NULL);
		w->wrong += r.result != FCR_TEMPERROR;
		fcr_check_result_clear(&r);
	}
	return NULL;
}

/* Many threads against a dead resolver: only the probes ask DNS, everyone else fails fast. */
Test(concurrency, service_outage_only_probes_ask)
{
	struct fcr_config *c = load(NULL, 0);
	struct fake_dns *fake;
	fcr_service *s = outage_service(c, &fake);
	char ip[32];
	for (int i = 1; i <= 5; i++) {
		snprintf(ip, sizeof(ip), "10.9.0.%d", i);
		struct fcr_check_result r = check(s, ip, NULL);
		fcr_check_result_clear(&r);
	}
	unsigned before = asked(fake);
	pthread_t tid[16];
	struct outage_worker w[16];
	for (int i = 0; i < 16; i++) {
		w[i] = (struct outage_worker){ s, i, 0 };
		pthread_create(&tid[i], NULL, outage_work, &w[i]);
	}
	int wrong = 0;
	for (int i = 0; i < 16; i++) {
		pthread_join(tid[i], NULL);
		wrong += w[i].wrong;
	}
	struct fcr_health_stats st;
	fcr_service_health(s, &st);
	cr_assert_eq(wrong, 0);
	cr_assert(st.down);
	cr_assert_eq(asked(fake) - before, st.probes, "one PTR question per probe, none else");
	struct fcr_cache_stats cs;
	fcr_cache_stats(fcr_service_cache(s), &cs);
	cr_assert_eq(st.failed_fast + st.probes + cs.hits, 16 * 300,
	             "each check failed fast, probed, or hit one of the timeouts cached before");
	fcr_service_free(s);
	fcr_config_free(c);
}

/* ---- prefetch ---- */

static int64_t pf_ms;

static int64_t pf_now(void *arg)
{
	(void)arg;
	return __atomic_load_n(&pf_ms, __ATOMIC_RELAXED);
}

struct pf_hook {
	int calls;
	bool accept;
};

static bool pf_hook_fn(void *arg, const fcr_addr *a)
{
	struct pf_hook *h = arg;
	(void)a;
	h->calls++;
	return h->accept;
}

/* A hit in the last tenth of its entry's life offers the refresh to the hook; one it could not take
 * is offered again at the next hit, one it took is not; the refresh keeps the entry alive. */
Test(service, prefetch_offered_until_taken)
{
	char err[256];
	const char *ov[] = { "CacheMaxTTL=100" };
	struct fcr_config *c = load(ov, 1);
	struct fcr_cache_conf cc = fcr_service_cache_conf(c);
	cc.now_ms = pf_now;
	fcr_cache *cache = fcr_cache_new(&cc);
	struct fake_dns f;
	fake_zone_confirming(&zone, "10.0.0", NADDR, 300);
	fake_dns_init(&f, zone.table, zone.n);
	struct fake_dns *fake = (struct fake_dns *)fake_dns_dup(&f);
	fcr_service *s = fcr_service_new_shared(c, &fake->base, cache, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	struct pf_hook h = { 0, false };
	fcr_service_set_prefetch(s, pf_hook_fn, &h);
	fcr_addr a;
	cr_assert(fcr_addr_parse("10.0.0.5", &a));
	__atomic_store_n(&pf_ms, 0, __ATOMIC_RELAXED);
	cr_assert_not(stored(s, "10.0.0.5"));
	struct fcr_cache_summary v;
	cr_assert_eq(fcr_service_verdict(s, &a, &v, NULL), 0);
	__atomic_store_n(&pf_ms, 90000, __ATOMIC_RELAXED);   /* 100 s, clamped: its last tenth */
	cr_assert(stored(s, "10.0.0.5"));
	cr_assert(stored(s, "10.0.0.5"));
	cr_assert_eq(h.calls, 2, "refused, then offered again");
	h.accept = true;
	bool cached = false;
	cr_assert_eq(fcr_service_verdict(s, &a, &v, &cached), 0);
	cr_assert(cached);
	cr_assert(stored(s, "10.0.0.5"));
	cr_assert_eq(h.calls, 3, "taken once, not offered again");
	fcr_service_refresh(s, &a);
	cr_assert_eq(fake->questions, 4);
	__atomic_store_n(&pf_ms, 100000, __ATOMIC_RELAXED);  /* the first entry's end */
	cr_assert(stored(s, "10.0.0.5"), "the refreshed entry lives on");
	fcr_service_free(s);
	fcr_cache_free(cache);
	fcr_config_free(c);
}
