/* The fake DNS server of the resolver tests: a thread of the test process on 127.0.0.1 that answers
 * UDP and TCP queries in one of the modes below, counting what it was asked; and helpers that point
 * the real transport at it. */
#ifndef FCR_TEST_FAKE_RESOLVER_H
#define FCR_TEST_FAKE_RESOLVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns.h"
#include "resolver.h"

enum fake_mode {
	FAKE_ANSWER,              /* records derived from the name, see fake_records */
	FAKE_WRONG_ID_FIRST,      /* a reply with another ID (other address), then the right one */
	FAKE_WRONG_ID_ONLY,
	FAKE_WRONG_QUESTION_FIRST,/* replies for another name and another type, then the right one */
	FAKE_WRONG_QUESTION_ONLY,
	FAKE_GARBAGE,             /* our ID followed by bytes that do not parse */
	FAKE_HOSTILE_FIRST,       /* empty, tiny, huge and unparsable datagrams, then the answer */
	FAKE_TC,                  /* truncated over UDP; over TCP a wrong-ID reply, then the answer */
	FAKE_TC_NO_TCP,           /* truncated over UDP, nobody listens for TCP */
	FAKE_SILENT,
	FAKE_SERVFAIL,
	FAKE_NXDOMAIN,            /* with an SOA (TTL 300, MINIMUM 60) in the authority section */
	FAKE_MANY,                /* 2000 A records */
	FAKE_REVERSE,             /* holds `batch` queries, then answers the last one first */
	FAKE_BIG_TTL,             /* TTLs of 2^31 and more, in the answer and in an SOA */
	FAKE_LONG_A,              /* an A record with 8 octets of RDATA */
	FAKE_LONG_AAAA,           /* an AAAA record with 20 octets of RDATA */
	FAKE_LONG_PTR,            /* a PTR whose RDATA goes on after the name */
	FAKE_LATE,                /* holds the first query; answers it when the retry arrives */
	FAKE_LATE_CROSSED,        /* the same, but sends that answer to the retry's socket */
	FAKE_DELAYED,             /* answers the first query FAKE_DELAY_MS late, later ones never */
};

#define FAKE_DELAY_MS 450

#define FAKE_HOLD 16

struct held {
	uint8_t *msg;
	size_t len;
	struct sockaddr_storage from;
	socklen_t fromlen;
};

struct fake {
	enum fake_mode mode;
	size_t batch;
	int udp, tcp, wake[2];
	uint16_t port;
	pthread_t thread;
	atomic_uint udp_queries, tcp_queries, odd_queries;
	struct held held[FAKE_HOLD];
	size_t nheld;
	int64_t held_at;          /* FAKE_DELAYED: when the first query came */
	uint8_t buf[65536];
};


/* A socket of type bound to 127.0.0.1:port (0: any), its port in *got. */
int bound_socket(int type, uint16_t port, uint16_t *got);

/* batch: how many queries FAKE_REVERSE holds before answering them. */
struct fake *fake_start_batch(enum fake_mode mode, size_t batch);
struct fake *fake_start(enum fake_mode mode);
void fake_stop(struct fake *f);

/* ---- pointing the real transport at fakes ---- */

struct fcr_ns ns_at(uint16_t port);
fcr_transport *transport_for(const struct fake *const *f, size_t nf, unsigned timeout_ms,
                                    unsigned retries);
fcr_transport *transport_one(const struct fake *f, unsigned timeout_ms, unsigned retries);
void ask(fcr_transport *t, const char *name, uint16_t type, struct fcr_reply *out,
                int64_t budget_ms);
void assert_addr(const struct fcr_rr *rr, const char *text);
bool printable(const char *s);

#endif
