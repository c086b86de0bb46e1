/* A fake transport for unit tests: answers from a table, counts round trips and questions. */
#include "fake_dns.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static uint16_t type_of(const char *s)
{
	if (!strcasecmp(s, "A"))
		return FCR_T_A;
	if (!strcasecmp(s, "AAAA"))
		return FCR_T_AAAA;
	if (!strcasecmp(s, "CNAME"))
		return FCR_T_CNAME;
	return FCR_T_PTR;
}

static void add_records(struct fcr_reply *r, const char *spec)
{
	char *copy = strdup(spec), *save = NULL;
	for (char *e = strtok_r(copy, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
		char owner[300], type[8], data[300];
		unsigned ttl;
		if (sscanf(e, " %299s %7s %u %299s", owner, type, &ttl, data) != 4)
			continue;
		uint16_t t = type_of(type);
		fcr_addr a = { 0 };
		if (t == FCR_T_A || t == FCR_T_AAAA)
			fcr_addr_parse(data, &a);
		fcr_reply_add(r, owner, t, ttl, (t == FCR_T_A || t == FCR_T_AAAA) ? NULL : data, &a);
	}
	free(copy);
}

static void answer(const struct fake_dns *f, const struct fcr_question *q, struct fcr_reply *r)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct fake_answer *a = &f->table[i];
		if (a->type != q->type || !fcr_name_equal(a->name, q->name))
			continue;
		r->xfer = a->xfer;
		r->rcode = a->rcode;
		if (a->records)
			add_records(r, a->records);
		if (a->soa_ttl >= 0) {
			r->has_soa = true;
			r->soa_ttl = (uint32_t)a->soa_ttl;
			r->soa_minimum = (uint32_t)a->soa_min;
		}
		if (a->xfer != FCR_XFER_OK)
			snprintf(r->detail, sizeof(r->detail), "fake failure");
		return;
	}
	r->rcode = FCR_RCODE_NXDOMAIN;
	r->has_soa = true;
	r->soa_ttl = 300;
	r->soa_minimum = 60;
}

static void sleep_until(int64_t deadline_ms, int delay_ms)
{
	int64_t now = fcr_now_ms(), until = now + delay_ms;
	if (until > deadline_ms)
		until = deadline_ms;
	if (until > now) {
		struct timespec ts = { (until - now) / 1000, ((until - now) % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}
}

static void fake_exchange(fcr_transport *self, const struct fcr_question *q, struct fcr_reply *out,
                          size_t n, int64_t deadline_ms)
{
	struct fake_dns *f = (struct fake_dns *)self;
	__atomic_add_fetch(&f->exchanges, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&f->questions, (unsigned)n, __ATOMIC_RELAXED);
	unsigned prev = __atomic_load_n(&f->max_batch, __ATOMIC_RELAXED);
	while (n > prev && !__atomic_compare_exchange_n(&f->max_batch, &prev, (unsigned)n, false,
	                                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (f->delay_ms)
		sleep_until(deadline_ms, f->delay_ms);
	for (size_t i = 0; i < n; i++) {
		if (f->delay_ms && fcr_now_ms() >= deadline_ms) {
			out[i].xfer = FCR_XFER_TIMEOUT;
			continue;
		}
		answer(f, &q[i], &out[i]);
	}
}

static void fake_free_static(fcr_transport *self)
{
	(void)self;
}

static void fake_free_heap(fcr_transport *self)
{
	free(self);
}

void fake_dns_init(struct fake_dns *f, const struct fake_answer *table, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->base.exchange = fake_exchange;
	f->base.free = fake_free_static;
	f->table = table;
	f->n = n;
}

fcr_transport *fake_dns_dup(const struct fake_dns *f)
{
	struct fake_dns *d = malloc(sizeof(*d));
	*d = *f;
	d->base.free = fake_free_heap;
	return &d->base;
}

/* The reverse name of NET.i: octets reversed ("10.0.0", 7 -> "7.0.0.10.in-addr.arpa."). */
static void reverse_of(const char *net, int i, char *buf, size_t len)
{
	unsigned a = 0, b = 0, c = 0;
	sscanf(net, "%u.%u.%u", &a, &b, &c);
	snprintf(buf, len, "%d.%u.%u.%u.in-addr.arpa.", i, c, b, a);
}

void fake_zone_confirming(struct fake_zone *z, const char *net, int n, unsigned ttl)
{
	if (n > FAKE_ZONE_MAX)
		n = FAKE_ZONE_MAX;
	for (int i = 0; i < n; i++) {
		char rev[sizeof(z->names[i][0])], host[sizeof(z->names[i][1])];
		reverse_of(net, i + 1, rev, sizeof(rev));
		snprintf(host, sizeof(host), "h%d.test.", i + 1);
		memcpy(z->names[i][0], rev, sizeof(rev));
		memcpy(z->names[i][1], host, sizeof(host));
		snprintf(z->records[i][0], sizeof(z->records[i][0]), "%s PTR %u %s", rev, ttl, host);
		snprintf(z->records[i][1], sizeof(z->records[i][1]), "%s A %u %s.%d", host, ttl, net, i + 1);
		z->table[2 * i] = (struct fake_answer){ z->names[i][0], FCR_T_PTR, 0, 0, z->records[i][0], -1, 0 };
		z->table[2 * i + 1] = (struct fake_answer){ z->names[i][1], FCR_T_A, 0, 0, z->records[i][1],
		                                            -1, 0 };
	}
	z->n = 2 * (size_t)n;
}
