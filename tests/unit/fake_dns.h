/* A fake transport for unit tests: answers from a table, counts round trips and questions. */
#ifndef FAKE_DNS_H
#define FAKE_DNS_H

#include <stdint.h>

#include "dns.h"

/* One canned answer. records: "owner TYPE ttl data" entries separated by ';' (TYPE is A, AAAA,
 * CNAME or PTR). soa_ttl < 0: no SOA in the authority section. */
struct fake_answer {
	const char *name;
	uint16_t type;
	enum fcr_xfer xfer;
	uint8_t rcode;
	const char *records;
	int soa_ttl, soa_min;
};

struct fake_dns {
	fcr_transport base;
	const struct fake_answer *table;
	size_t n;
	unsigned exchanges;       /* calls of exchange() = resolver round trips */
	unsigned questions;       /* questions asked in all */
	unsigned max_batch;       /* most questions in one exchange */
	int delay_ms;             /* each exchange sleeps this long (bounded by the deadline) */
};

/* A zone of n addresses "NET.i" (i = 1..n, NET three IPv4 octets like "10.0.0") whose PTR name
 * "hi.test." has an A record back to the address: every check of them passes with two questions. */
#define FAKE_ZONE_MAX 64
struct fake_zone {
	char names[FAKE_ZONE_MAX][2][48];
	char records[FAKE_ZONE_MAX][2][128];
	struct fake_answer table[2 * FAKE_ZONE_MAX];
	size_t n;                 /* entries in table */
};
void fake_zone_confirming(struct fake_zone *z, const char *net, int n, unsigned ttl);

/* Questions absent from the table get NXDOMAIN with SOA 300/60. */
void fake_dns_init(struct fake_dns *f, const struct fake_answer *table, size_t n);

/* A heap copy of f for code that takes ownership (its free() releases only the copy). */
fcr_transport *fake_dns_dup(const struct fake_dns *f);

#endif
