/* A synthetic transport for benchmarks: PTR "mx<nibbles>.bench.example." for every address, whose
 * A or AAAA is that address again. Nibbles are spelt as letters a-p so that the generic-name rules
 * see an ordinary host name, not an embedded address. */
#include "synth_dns.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TTL 3600
#define SUFFIX ".bench.example."

char *synth_dns_name(const fcr_addr *a, char *buf, size_t len)
{
	char label[2 + 32 + 1] = "mx";
	size_t n = fcr_addr_len(a), o = 2;
	for (size_t i = 0; i < n; i++) {
		label[o++] = (char)('a' + (a->bytes[i] >> 4));
		label[o++] = (char)('a' + (a->bytes[i] & 0xf));
	}
	label[o] = '\0';
	snprintf(buf, len, "%s" SUFFIX, label);
	return buf;
}

/* The address a synthetic name stands for; false for any other name. */
static bool name_addr(const char *name, fcr_addr *a)
{
	size_t l = strlen(name), sl = strlen(SUFFIX);
	if (l < 2 + sl || strncmp(name, "mx", 2) != 0 || strcmp(name + l - sl, SUFFIX) != 0)
		return false;
	size_t nib = l - sl - 2;
	if (nib != 8 && nib != 32)
		return false;
	memset(a, 0, sizeof(*a));
	a->family = nib == 8 ? AF_INET : AF_INET6;
	for (size_t i = 0; i < nib; i++) {
		int v = name[2 + i] - 'a';
		if (v < 0 || v > 15)
			return false;
		a->bytes[i / 2] |= (uint8_t)(i % 2 ? v : v << 4);
	}
	return true;
}

static bool rev4(const char *name, fcr_addr *a)
{
	unsigned o[4];
	int end = 0;
	if (sscanf(name, "%3u.%3u.%3u.%3u.in-addr.arpa.%n", &o[3], &o[2], &o[1], &o[0], &end) != 4 ||
	    name[end] != '\0')
		return false;
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	for (int i = 0; i < 4; i++) {
		if (o[i] > 255)
			return false;
		a->bytes[i] = (uint8_t)o[i];
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool rev6(const char *name, fcr_addr *a)
{
	if (strlen(name) != 64 + strlen("ip6.arpa.") || strcmp(name + 64, "ip6.arpa.") != 0)
		return false;
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	for (int i = 0; i < 32; i++) {
		int v = hexval(name[2 * i]);
		if (v < 0 || name[2 * i + 1] != '.')
			return false;
		/* the first label is the last nibble */
		int nib = 31 - i;
		a->bytes[nib / 2] |= (uint8_t)(nib % 2 ? v : v << 4);
	}
	return true;
}

static void negative(struct fcr_reply *r, uint8_t rcode)
{
	r->rcode = rcode;
	r->has_soa = true;
	r->soa_ttl = 300;
	r->soa_minimum = 60;
}

static void answer(const struct fcr_question *q, struct fcr_reply *r)
{
	fcr_addr a;
	char name[80];
	if (q->type == FCR_T_PTR) {
		if (rev4(q->name, &a) || rev6(q->name, &a))
			fcr_reply_add(r, q->name, FCR_T_PTR, TTL, synth_dns_name(&a, name, sizeof(name)), NULL);
		else
			negative(r, FCR_RCODE_NXDOMAIN);
	} else if (!name_addr(q->name, &a)) {
		negative(r, FCR_RCODE_NXDOMAIN);
	} else if ((q->type == FCR_T_A) != (a.family == AF_INET)) {
		negative(r, FCR_RCODE_NOERROR);
	} else {
		fcr_reply_add(r, q->name, q->type, TTL, NULL, &a);
	}
}

static void pause_until(int64_t deadline_ms, int delay_ms)
{
	int64_t now = fcr_now_ms(), until = now + delay_ms;
	if (until > deadline_ms)
		until = deadline_ms;
	if (until > now) {
		struct timespec ts = { (time_t)((until - now) / 1000), (long)((until - now) % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}
}

static void synth_exchange(fcr_transport *self, const struct fcr_question *q, struct fcr_reply *out,
                           size_t n, int64_t deadline_ms)
{
	struct synth_dns *s = (struct synth_dns *)self;
	__atomic_add_fetch(&s->exchanges, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->questions, (unsigned)n, __ATOMIC_RELAXED);
	if (s->delay_ms)
		pause_until(deadline_ms, s->delay_ms);
	for (size_t i = 0; i < n; i++) {
		if (s->delay_ms && fcr_now_ms() >= deadline_ms)
			out[i].xfer = FCR_XFER_TIMEOUT;
		else
			answer(&q[i], &out[i]);
	}
}

static void synth_free(fcr_transport *self)
{
	free(self);
}

struct synth_dns *synth_dns_new(int delay_ms)
{
	struct synth_dns *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->base.exchange = synth_exchange;
	s->base.free = synth_free;
	s->delay_ms = delay_ms;
	return s;
}
