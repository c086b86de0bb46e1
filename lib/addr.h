/* Client addresses: parsing, printing, normalisation and reverse (PTR) names.
 * An fcr_addr is a plain value: copy it freely. All functions are thread-safe. */
#ifndef FCR_ADDR_H
#define FCR_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define FCR_ADDR_STRLEN 46   /* INET6_ADDRSTRLEN */
#define FCR_REVNAME_LEN 74   /* 32 nibbles * 2 + "ip6.arpa." + NUL */

typedef struct fcr_addr {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t bytes[16];   /* network order; IPv4 uses the first 4 */
} fcr_addr;

/* Parses an IPv4 or IPv6 literal (optionally in [brackets]). An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) comes out as IPv4. Returns false for anything else. */
bool fcr_addr_parse(const char *s, fcr_addr *out);

/* Same from a socket address (AF_INET, AF_INET6); false for other families or NULL. */
bool fcr_addr_from_sockaddr(const struct sockaddr *sa, fcr_addr *out);

/* Canonical text form (RFC 5952 for IPv6) into buf of at least FCR_ADDR_STRLEN. Returns buf. */
char *fcr_addr_format(const fcr_addr *a, char *buf, size_t len);

/* Reverse name with trailing dot: "4.3.2.1.in-addr.arpa." or the 32-nibble ip6.arpa name.
 * buf holds at least FCR_REVNAME_LEN. Returns buf. */
char *fcr_addr_reverse_name(const fcr_addr *a, char *buf, size_t len);

/* Binary equality (family and bytes). */
bool fcr_addr_equal(const fcr_addr *a, const fcr_addr *b);

/* Length of the address in bytes: 4 or 16. */
size_t fcr_addr_len(const fcr_addr *a);

/* True when the first 'bits' bits of a and net agree and the families match. */
bool fcr_addr_in_prefix(const fcr_addr *a, const fcr_addr *net, unsigned bits);

#endif
