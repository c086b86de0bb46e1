/* The real transport: UDP to the configured recursive resolvers through ldns, TCP on truncation.
 * Every reply must match the query's ID, name, type and class, otherwise it is ignored; queries have
 * RD set and random IDs on fresh sockets (random source ports). Nothing is shared between threads
 * but read-only configuration: each exchange uses its own sockets and ldns packets. */
#ifndef FCR_RESOLVER_H
#define FCR_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "dns.h"

#define FCR_MAX_NS 8
#define FCR_MAX_RETRIES 100

struct fcr_ns {
	fcr_addr addr;
	uint16_t port;        /* 53 unless given */
};

struct fcr_resolver_conf {
	struct fcr_ns ns[FCR_MAX_NS];
	size_t nns;
	unsigned timeout_ms;  /* per attempt (DNSTimeout) */
	unsigned retries;     /* attempts after the first (DNSRetries, at most FCR_MAX_RETRIES); each
	                         goes to the next server while the earlier ones keep listening */
};

/* Parses "IP", "IP:port", "[IPv6]:port" or a bare IPv6 address. Returns 0, or -1 with a reason. */
int fcr_ns_parse(const char *text, struct fcr_ns *out, char *err, size_t errlen);

/* Prints a nameserver as accepted by fcr_ns_parse ("[::1]:5354", "127.0.0.1:53"). */
char *fcr_ns_format(const struct fcr_ns *ns, char *buf, size_t len);

/* Reads the "nameserver" lines of a resolv.conf (ldns's parser), at most max of them.
 * Returns the number read (>= 1), or -1 with a reason (unreadable, no nameserver). */
int fcr_resolv_conf_load(const char *path, struct fcr_ns *ns, size_t max, char *err, size_t errlen);

/* A transport over the given servers (copied). NULL with a reason when conf has no server or
 * memory runs out. Free with fcr_transport_free. Thread-safe as dns.h requires. */
fcr_transport *fcr_resolver_new(const struct fcr_resolver_conf *conf, char *err, size_t errlen);

#endif
