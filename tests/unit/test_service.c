/* The wired core: configuration + fake resolver + cache + check, used the way the milter and -t use
 * it, from many threads at once. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

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
