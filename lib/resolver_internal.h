/* Private pieces of the real transport (resolver*.c only): wire format and matching, the TCP
 * fallback, socket addresses. Nothing here keeps state between calls. */
#ifndef FCR_RESOLVER_INTERNAL_H
#define FCR_RESOLVER_INTERNAL_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "resolver.h"

/* Answer records kept per reply: a hostile server may send thousands; the rest are dropped. */
#define FCR_RESOLVER_MAX_RR 512
/* EDNS0 buffer size advertised (the 2020 DNS flag day value): fewer TCP fallbacks, no fragments. */
#define FCR_RESOLVER_EDNS_SIZE 1232

/* What a received message is to the question waiting for it. */
enum fcr_match {
	FCR_MATCH_IGNORE,     /* someone else's: other ID, not a response, other question */
	FCR_MATCH_BAD,        /* our ID, but it cannot be parsed */
	FCR_MATCH_OK,         /* our answer */
};

/* Builds the query for name/type (class IN, RD, EDNS0) with ID 0, to be patched per attempt.
 * *qname (the parsed name, for matching) and *wire are the caller's. Returns 0, or -1 when the
 * name is not a valid domain name or memory runs out (*oom tells which). */
int fcr_wire_query(const char *name, uint16_t type, ldns_rdf **qname, uint8_t **wire, size_t *len,
                   bool *oom);

/* Writes the 16-bit ID into a query built by fcr_wire_query. */
void fcr_wire_set_id(uint8_t *wire, uint16_t id);

/* Checks a received message against our ID and question. On FCR_MATCH_OK *pkt is the parsed
 * reply, which the caller frees; otherwise *pkt is NULL. */
enum fcr_match fcr_wire_match(const uint8_t *buf, size_t len, uint16_t id, const ldns_rdf *qname,
                              uint16_t type, ldns_pkt **pkt);

/* Fills out (rcode, kept answer records, authority SOA) from a matching reply and sets xfer OK.
 * Returns 0, or -1 when memory runs out (out is then cleared). */
int fcr_wire_fill(const ldns_pkt *pkt, struct fcr_reply *out);

/* The socket address of a nameserver; returns its length. */
socklen_t fcr_ns_sockaddr(const struct fcr_ns *ns, struct sockaddr_storage *ss);

/* One DNS-over-TCP exchange (RFC 1035 4.2.2 framing), driven by the caller's poll loop. */
struct fcr_tcp {
	int fd;               /* -1 when idle */
	bool connected;
	uint8_t *out;         /* length-prefixed query */
	size_t outlen, outoff;
	uint8_t lenbuf[2];
	size_t lenoff;
	uint8_t *in;          /* the message being read */
	size_t inlen, inoff;
};

/* Sets t idle; safe to call fcr_tcp_close on it afterwards. */
void fcr_tcp_init(struct fcr_tcp *t);

/* Starts a non-blocking connect to ns and queues the query. Returns 0, or -1 with a reason. */
int fcr_tcp_start(struct fcr_tcp *t, const struct fcr_ns *ns, const uint8_t *wire, size_t len,
                  char *err, size_t errlen);

/* The poll events t waits for. */
short fcr_tcp_events(const struct fcr_tcp *t);

/* Makes progress after poll. Returns 1 when a whole message is in t->in (t->inlen bytes),
 * 0 to keep waiting, -1 on failure or end of stream, with a reason. */
int fcr_tcp_step(struct fcr_tcp *t, short revents, char *err, size_t errlen);

/* Drops the message just read so that the next one on the stream can be read. */
void fcr_tcp_next(struct fcr_tcp *t);

/* Closes the connection and frees the buffers; t is idle afterwards. */
void fcr_tcp_close(struct fcr_tcp *t);

#endif
