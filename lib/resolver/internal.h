/* Private pieces of the real transport (resolver*.c only): wire format and matching, the TCP
 * fallback, socket addresses, one question in flight. Nothing here keeps state between calls. */
#ifndef FCR_RESOLVER_INTERNAL_H
#define FCR_RESOLVER_INTERNAL_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "resolver.h"

/* Receive buffer: the largest DNS message. */
#define FCR_RECV_BUF 65536
/* Datagrams read per wake-up, so that a flood cannot starve the clock. */
#define FCR_RECV_BURST 64
/* EDNS0 buffer size advertised (the 2020 DNS flag day value): fewer TCP fallbacks, no fragments. */
#define FCR_RESOLVER_EDNS_SIZE 1232

/* What a received message is to the question waiting for it. */
enum fcr_match {
	FCR_MATCH_IGNORE,     /* someone else's: other ID, not a response, other question */
	FCR_MATCH_BAD,        /* our ID, but it cannot be parsed (fcr_wire_parse) */
	FCR_MATCH_MALFORMED,  /* our answer, but a record's RDATA has the wrong length for its type */
	FCR_MATCH_OK,         /* our answer */
};

/* Builds the query for name/type (class IN, RD, EDNS0) with ID 0, to be patched per attempt.
 * *qname (the parsed name, for matching) and *wire are the caller's. Returns 0, or -1 when the
 * name is not a valid domain name or memory runs out (*oom tells which). */
int fcr_wire_query(const char *name, uint16_t type, ldns_rdf **qname, uint8_t **wire, size_t *len,
                   bool *oom);

/* Writes the 16-bit ID into a query built by fcr_wire_query. */
void fcr_wire_set_id(uint8_t *wire, uint16_t id);

/* Parses a received message with ldns; NULL when it does not parse, or when its OPT and TSIG
 * records have a shape RFC 6891 and RFC 8945 forbid (one such shape makes ldns 1.8 leak). The
 * packet is the caller's. */
ldns_pkt *fcr_wire_parse(const uint8_t *buf, size_t len);

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

/* ---- one question in flight (query.c), driven by the exchange's poll loop ---- */

/* What the questions of one exchange share. */
struct fcr_xchg {
	const struct fcr_resolver_conf *conf;
	size_t max;               /* attempts per question: retries + 1 */
	uint8_t *buf;             /* FCR_RECV_BUF octets to receive into */
};

/* One UDP attempt. Its socket keeps listening for its own ID until the question is settled, so
 * that a reply arriving after DNSTimeout still counts while later attempts are under way. */
struct fcr_try {
	int fd;                   /* -1 once closed */
	uint16_t id;
	size_t ns;                /* index of the server asked */
};

struct fcr_pend {
	const struct fcr_question *q;
	struct fcr_reply *out;
	ldns_rdf *qname;
	uint8_t *wire;
	size_t wlen;
	struct fcr_try *tries;    /* the attempts started: tries[0 .. attempts-1] of max */
	size_t attempts;
	struct fcr_tcp tcp;       /* fd >= 0 when waiting on TCP */
	size_t tcp_try;           /* the attempt whose truncated reply the TCP query repeats */
	unsigned tcp_gen;         /* counts TCP starts: tells a poll result of an older connection */
	int64_t until;            /* end of the latest attempt */
	bool done;                /* out is filled in; every socket is closed */
	bool sent, bad, timed_out;
	bool no_socket;           /* the latest attempt found no socket: later ones would not either */
	char err[sizeof(((struct fcr_reply *)0)->detail)];
	char baddetail[sizeof(((struct fcr_reply *)0)->detail)];
};

/* Sets p up for q (max attempts at most); p is done at once when that fails (no memory, bad
 * name). */
void fcr_pend_init(struct fcr_pend *p, const struct fcr_question *q, struct fcr_reply *out,
                   size_t max);

/* Closes p's sockets and frees what p holds (not out). */
void fcr_pend_release(struct fcr_pend *p);

/* Closes every socket of p. */
void fcr_pend_close(struct fcr_pend *p);

/* Ends p with this outcome. */
void fcr_pend_finish(struct fcr_pend *p, enum fcr_xfer xfer, const char *detail);

/* Ends p without an answer: timed out (at the deadline when deadline is true), unusable reply,
 * no socket (nothing sent) or local failure, whichever the attempts met. */
void fcr_pend_give_up(struct fcr_pend *p, bool deadline);

/* Starts p's next attempt (the first one, too); p ends when none is left and nothing listens. */
void fcr_pend_next(const struct fcr_xchg *x, struct fcr_pend *p, int64_t now);

/* p's latest attempt ran out of time (now >= p->until): the next one, or the end. */
void fcr_pend_expired(const struct fcr_xchg *x, struct fcr_pend *p, int64_t now);

/* The socket of attempt k is readable. */
void fcr_pend_udp(const struct fcr_xchg *x, struct fcr_pend *p, size_t k, int64_t now);

/* p's TCP connection has poll events revents. */
void fcr_pend_tcp(const struct fcr_xchg *x, struct fcr_pend *p, short revents, int64_t now);

#endif
