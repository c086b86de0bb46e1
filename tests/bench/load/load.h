/* milterload: a milter-protocol client that drives many concurrent sessions against a milter the
 * way an MTA does (option negotiation honoured: steps and replies the milter declined are not
 * sent or awaited), and measures how long each session and each awaited reply takes.
 * One thread, epoll, non-blocking sockets. Shared between its three files only. */
#ifndef MILTERLOAD_H
#define MILTERLOAD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LOAD_MAX_PACKET (1u << 20)  /* a reply larger than this is a protocol error */

/* The steps of one session, in order; each may be skipped or have its reply waived. */
enum step { ST_OPTNEG, ST_CONNECT, ST_HELO, ST_MAIL, ST_RCPT, ST_DATA, ST_HEADER, ST_EOH, ST_BODY,
            ST_EOM, ST_QUIT, ST_DONE };
#define NSTEPS ST_DONE

/* What a session ended with. */
enum outcome { OUT_ACCEPTED, OUT_REJECTED, OUT_TEMPFAILED, OUT_OTHER_REPLY, OUT_ERROR, OUT_TIMEOUT,
               NOUTCOMES };

struct options {
	const char *socket;       /* unix:/path, local:/path or inet:PORT@HOST */
	unsigned concurrency;     /* sessions open at once */
	unsigned long total;      /* sessions to run (0: until duration) */
	double duration;          /* seconds (0: until total) */
	double rate;              /* new sessions a second (0: as fast as concurrency allows) */
	double timeout;           /* seconds a session may take before it counts as timed out */
	int family;               /* AF_INET or AF_INET6, of base */
	uint8_t base[16];         /* first client address */
	unsigned long naddrs;     /* addresses used, counting up from base (1: always the same) */
	const char *auth;         /* {auth_authen} to send with MAIL, or NULL */
	bool json;                /* flat JSON summary instead of text */
	double bound;             /* seconds: sessions longer than this are counted as over the bound */
	const char *log_path;     /* one line per finished session goes here, or NULL */
	double every;             /* seconds between progress lines on stderr (0: none) */
};

struct session {
	int fd;
	unsigned long id;          /* which session of the run: picks the client address */
	enum step step;            /* the step whose reply is awaited, or the next to send */
	uint32_t prot;             /* protocol flags the milter asked for (SMFIP_*) */
	int64_t t_start, t_sent;   /* microseconds: session start, last awaited command sent */
	int64_t t_negotiated;      /* microseconds: the negotiation's reply came (0: not yet) */
	uint32_t wait_ms[NSTEPS];  /* how long each awaited reply took (the session log's last column) */
	unsigned char *in;         /* bytes read, not yet a whole packet */
	size_t nin, capin;
	unsigned char out[1024];   /* commands built, not yet written */
	size_t nout, offout;
	unsigned headers_added;    /* header changes seen at end of message */
	char iprev[16];            /* the iprev= result of the Authentication-Results added, or "" */
	enum outcome result;
	bool in_use;
};

/* Figures gathered by the run. */
struct stats {
	unsigned long started, finished, outcomes[NOUTCOMES];
	uint32_t *session_us;      /* duration of each finished session */
	size_t nsess, capsess;
	uint32_t step_max_us[NSTEPS]; /* longest wait for a reply, per step */
	unsigned long headers_added;
	unsigned long over_bound;  /* sessions longer than options.bound */
	unsigned long over_bound_negotiated; /* ... counted from the negotiation's reply: the part the
	                                        milter sees (libmilter queues sessions before it) */
	FILE *log;                 /* options.log_path, open */
	char first_error[160];
};

extern const char *const load_outcome_names[NOUTCOMES];

int64_t load_now_us(void);
/* The wall clock in milliseconds (to line session ends up with events outside this program). */
int64_t load_wall_ms(void);

/* Opens the session's socket (non-blocking) and starts it; 0, or -1 with the reason in st. */
int session_open(struct session *s, const struct options *o, unsigned long id, struct stats *st);
/* Called when the socket is readable or writable; returns true when the session has ended
 * (its outcome set, its socket closed). */
bool session_event(struct session *s, const struct options *o, struct stats *st, bool readable);
/* Ends a session that has run out of time. */
void session_timeout(struct session *s, const struct options *o, struct stats *st);

/* unix:/path, local:/path or inet:PORT@HOST (IPv4) into ss; 0, or -1 when it is none of them. */
struct sockaddr_storage;
int load_parse_socket(const char *spec, struct sockaddr_storage *ss, unsigned *len);

/* The client address of session id, as text. */
void load_addr_text(const struct options *o, unsigned long id, char *buf, size_t len);

#endif
