/* The resolver's circuit breaker: a small mutex for the state, an atomic copy of "down" so that the
 * common case (resolver up) costs every check one load and no lock. */
#include "health.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "clock.h"

struct fcr_health {
	pthread_mutex_t lock;
	atomic_bool down;            /* written under lock, read without */
	atomic_int refs;
	int64_t (*now_ms)(void *arg);
	void *now_arg;
	fcr_health_hook_fn hook;
	void *hook_arg;
	/* under lock */
	unsigned timeouts;           /* consecutive checks that heard nothing */
	int64_t down_since;
	int64_t next_probe;          /* while down: when the next probe may go */
	uint64_t failed_fast, changes, probes;
};

static int64_t now_of(const fcr_health *h)
{
	return h->now_ms ? h->now_ms(h->now_arg) : fcr_now_ms();
}

fcr_health *fcr_health_new(int64_t (*now_ms)(void *arg), void *now_arg)
{
	fcr_health *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		free(h);
		return NULL;
	}
	atomic_init(&h->down, false);
	atomic_init(&h->refs, 1);
	h->now_ms = now_ms;
	h->now_arg = now_arg;
	return h;
}

fcr_health *fcr_health_ref(fcr_health *h)
{
	atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
	return h;
}

void fcr_health_free(fcr_health *h)
{
	if (!h || atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) != 1)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void fcr_health_set_hook(fcr_health *h, fcr_health_hook_fn fn, void *arg)
{
	pthread_mutex_lock(&h->lock);
	h->hook = fn;
	h->hook_arg = arg;
	pthread_mutex_unlock(&h->lock);
}

bool fcr_health_down(const fcr_health *h)
{
	return atomic_load_explicit(&h->down, memory_order_acquire);
}

bool fcr_health_admit(fcr_health *h)
{
	if (!fcr_health_down(h))
		return true;
	pthread_mutex_lock(&h->lock);
	bool go = !atomic_load_explicit(&h->down, memory_order_relaxed);
	if (!go) {
		int64_t now = now_of(h);
		go = now >= h->next_probe;
		if (go) {
			h->next_probe = now + FCR_HEALTH_PROBE_MS;
			h->probes++;
		} else {
			h->failed_fast++;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return go;
}

/* Under lock: the state flips and the hook hears of it. */
static void change(fcr_health *h, bool down)
{
	int64_t now = now_of(h);
	int64_t was = down ? 0 : now - h->down_since;
	if (down) {
		h->down_since = now;
		h->next_probe = now + FCR_HEALTH_PROBE_MS;
	}
	atomic_store_explicit(&h->down, down, memory_order_release);
	h->changes++;
	if (h->hook)
		h->hook(h->hook_arg, down, h->timeouts, was);
}

bool fcr_health_report(fcr_health *h, enum fcr_heard heard)
{
	pthread_mutex_lock(&h->lock);
	bool down = atomic_load_explicit(&h->down, memory_order_relaxed);
	switch (heard) {
	case FCR_HEARD_NOTHING:
		h->timeouts++;
		if (!down && h->timeouts >= FCR_HEALTH_THRESHOLD)
			change(h, down = true);
		break;
	case FCR_HEARD_REPLIES:
	case FCR_HEARD_PARTLY:
		h->timeouts = 0;
		if (down)
			change(h, down = false);
		break;
	case FCR_HEARD_NO_SOCKET:
	case FCR_HEARD_UNASKED:
	default:
		break;
	}
	pthread_mutex_unlock(&h->lock);
	return down;
}

void fcr_health_stats(fcr_health *h, struct fcr_health_stats *st)
{
	pthread_mutex_lock(&h->lock);
	st->down = atomic_load_explicit(&h->down, memory_order_relaxed);
	st->timeouts = h->timeouts;
	st->failed_fast = h->failed_fast;
	st->changes = h->changes;
	st->probes = h->probes;
	pthread_mutex_unlock(&h->lock);
}
