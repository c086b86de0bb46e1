/* CIDR lists (ExemptHosts): IPv4 and IPv6 networks, matched against client addresses.
 * A list is built once (not thread-safe while adding), then read-only: fcr_cidrs_match may be
 * called from any number of threads. */
#ifndef FCR_CIDR_H
#define FCR_CIDR_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

typedef struct fcr_cidrs fcr_cidrs;

/* An empty list, or NULL when out of memory. */
fcr_cidrs *fcr_cidrs_new(void);

/* Adds "a.b.c.d/n", "x::y/n" or a bare address (a host route). An IPv4-mapped IPv6 network
 * (::ffff:0:0/96 and longer) is stored as the IPv4 network. Returns 0, or -1 with a reason in err
 * (bad syntax, prefix length out of range, host bits set, out of memory). */
int fcr_cidrs_add(fcr_cidrs *l, const char *text, char *err, size_t errlen);

/* Removes every entry. */
void fcr_cidrs_clear(fcr_cidrs *l);

size_t fcr_cidrs_count(const fcr_cidrs *l);

/* True when a lies in some network of the list. */
bool fcr_cidrs_match(const fcr_cidrs *l, const fcr_addr *a);

/* Writes entry i as "net/bits" into buf; returns buf. */
char *fcr_cidrs_format(const fcr_cidrs *l, size_t i, char *buf, size_t len);

/* fcr_cidrs_free(NULL) is a no-op. */
void fcr_cidrs_free(fcr_cidrs *l);

#endif
