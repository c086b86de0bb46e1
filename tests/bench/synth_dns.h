/* A synthetic transport for benchmarks: answers computed from the question in O(1), so that working
 * sets of any size cost nothing to set up. Every address has one PTR name that confirms it. */
#ifndef SYNTH_DNS_H
#define SYNTH_DNS_H

#include "dns.h"

struct synth_dns {
	fcr_transport base;
	int delay_ms;             /* each exchange sleeps this long (bounded by the deadline) */
	unsigned exchanges;       /* calls of exchange(), counted atomically */
	unsigned questions;
};

/* A transport on the heap that the caller (or a service) owns; free() releases it. */
struct synth_dns *synth_dns_new(int delay_ms);

/* The PTR name the transport gives address a (absolute, trailing dot) into buf of >= 64 bytes. */
char *synth_dns_name(const fcr_addr *a, char *buf, size_t len);

#endif
