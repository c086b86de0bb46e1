/* One milter session as an MTA runs it: negotiate, then each step the milter asked for, waiting
 * for a reply only where the milter did not waive it, and QUIT after the end of the message. */
#include "load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

/* What an MTA offers: every step may be skipped, every reply waived (Postfix offers the same). */
#define OFFERED_PROT 0x001FFFFFu
#define OFFERED_ACTS 0x000001FFu

/* Per step: the flag that skips it and the one that waives its reply (0: never). */
static const uint32_t skip_flag[NSTEPS] = {
	[ST_CONNECT] = SMFIP_NOCONNECT, [ST_HELO] = SMFIP_NOHELO, [ST_MAIL] = SMFIP_NOMAIL,
	[ST_RCPT] = SMFIP_NORCPT, [ST_DATA] = SMFIP_NODATA, [ST_HEADER] = SMFIP_NOHDRS,
	[ST_EOH] = SMFIP_NOEOH, [ST_BODY] = SMFIP_NOBODY,
};
static const uint32_t noreply_flag[NSTEPS] = {
	[ST_CONNECT] = SMFIP_NR_CONN, [ST_HELO] = SMFIP_NR_HELO, [ST_MAIL] = SMFIP_NR_MAIL,
	[ST_RCPT] = SMFIP_NR_RCPT, [ST_DATA] = SMFIP_NR_DATA, [ST_HEADER] = SMFIP_NR_HDR,
	[ST_EOH] = SMFIP_NR_EOH, [ST_BODY] = SMFIP_NR_BODY, [ST_QUIT] = 0xffffffffu,
};

int64_t load_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void load_addr_text(const struct options *o, unsigned long id, char *buf, size_t len)
{
	uint8_t a[16];
	size_t n = o->family == AF_INET ? 4 : 16;
	unsigned long add = o->naddrs ? id % o->naddrs : 0;
	memcpy(a, o->base, n);
	for (size_t i = n; i-- > 0 && add;) {  /* base + add, carrying across bytes */
		unsigned long sum = a[i] + (add & 0xff);
		a[i] = (uint8_t)sum;
		add = (add >> 8) + (sum >> 8);
	}
	inet_ntop(o->family, a, buf, (socklen_t)len);
}

/* Appends one packet (length, command, data) to the session's output. */
static void put(struct session *s, char cmd, const void *data, size_t n)
{
	uint32_t len = htonl((uint32_t)(n + 1));
	if (s->nout + 5 + n > sizeof(s->out))
		return;  /* the fixed commands below always fit */
	memcpy(s->out + s->nout, &len, 4);
	s->out[s->nout + 4] = (unsigned char)cmd;
	memcpy(s->out + s->nout + 5, data, n);
	s->nout += 5 + n;
}

static void put_connect(struct session *s, const struct options *o)
{
	static const char macros[] = "Cj\0mx.load.test\0{daemon_name}\0load";
	char addr[INET6_ADDRSTRLEN], data[128];
	load_addr_text(o, s->id, addr, sizeof(addr));
	put(s, SMFIC_MACRO, macros, sizeof(macros));
	int n = snprintf(data, sizeof(data), "client.load.test%c%c%c%c%s", 0,
	                 o->family == AF_INET ? '4' : '6', 0x63, 0x2f, addr);  /* port 25391 */
	put(s, SMFIC_CONNECT, data, (size_t)n + 1);
}

static void put_mail(struct session *s, const struct options *o)
{
	char data[256];
	int n = snprintf(data, sizeof(data), "Mi%cL%08lX", 0, s->id & 0xffffffffUL);
	if (o->auth)
		n += snprintf(data + n + 1, sizeof(data) - (size_t)n - 1, "{auth_authen}%c%s", 0, o->auth);
	put(s, SMFIC_MACRO, data, (size_t)n + 1);
	put(s, SMFIC_MAIL, "<sender@load.test>", 19);
}

/* The command(s) of one step. */
static void put_step(struct session *s, const struct options *o, enum step st)
{
	static const char header[] = "From\0sender@load.test";
	uint32_t v[3] = { htonl(SMFI_PROT_VERSION), htonl(OFFERED_ACTS), htonl(OFFERED_PROT) };
	switch (st) {
	case ST_OPTNEG: put(s, SMFIC_OPTNEG, v, sizeof(v)); break;
	case ST_CONNECT: put_connect(s, o); break;
	case ST_HELO: put(s, SMFIC_HELO, "client.load.test", 17); break;
	case ST_MAIL: put_mail(s, o); break;
	case ST_RCPT: put(s, SMFIC_RCPT, "<rcpt@load.test>", 17); break;
	case ST_DATA: put(s, SMFIC_DATA, "", 0); break;
	case ST_HEADER: put(s, SMFIC_HEADER, header, sizeof(header)); break;
	case ST_EOH: put(s, SMFIC_EOH, "", 0); break;
	case ST_BODY: put(s, SMFIC_BODY, "load\r\n", 6); break;
	case ST_EOM: put(s, SMFIC_BODYEOB, "", 0); break;
	default: put(s, SMFIC_QUIT, "", 0); break;
	}
}

static bool awaits_reply(const struct session *s, enum step st)
{
	return st == ST_OPTNEG || st == ST_EOM || !(s->prot & noreply_flag[st]);
}

/* Queues the steps from s->step on, up to and including the next one that awaits a reply. */
static void queue_steps(struct session *s, const struct options *o)
{
	for (; s->step < ST_DONE; s->step++) {
		if (s->step != ST_OPTNEG && (s->prot & skip_flag[s->step]))
			continue;
		put_step(s, o, s->step);
		if (s->step != ST_QUIT && awaits_reply(s, s->step))
			return;
	}
}

int64_t load_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The session log line: wall-clock end (ms), duration (us), session, outcome, iprev result, and
 * the wait for each awaited reply in ms, comma-separated in step order (where the time went). */
static void log_session(const struct session *s, const struct stats *st, int64_t us)
{
	if (!st->log)
		return;
	fprintf(st->log, "%lld %lld %lu %s %s ", (long long)load_wall_ms(), (long long)us, s->id,
	        load_outcome_names[s->result], s->iprev[0] ? s->iprev : "-");
	for (int i = 0; i < NSTEPS; i++)
		fprintf(st->log, "%s%lu", i ? "," : "", (unsigned long)s->wait_ms[i]);
	fputc('\n', st->log);
}

static void finish(struct session *s, struct stats *st, const struct options *o, enum outcome out)
{
	int64_t us = load_now_us() - s->t_start;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->result = out;
	st->finished++;
	st->outcomes[out]++;
	st->headers_added += s->headers_added;
	if (o->bound > 0 && us > (int64_t)(o->bound * 1e6))
		st->over_bound++;
	if (o->bound > 0 && s->t_negotiated && load_now_us() - s->t_negotiated > (int64_t)(o->bound * 1e6))
		st->over_bound_negotiated++;
	log_session(s, st, us);
	if (st->nsess == st->capsess) {
		size_t cap = st->capsess ? 2 * st->capsess : 4096;
		uint32_t *g = realloc(st->session_us, cap * sizeof(*g));
		if (!g)
			return;
		st->session_us = g;
		st->capsess = cap;
	}
	st->session_us[st->nsess++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static bool fail(struct session *s, const struct options *o, struct stats *st, const char *what, int err)
{
	if (!st->first_error[0])
		snprintf(st->first_error, sizeof(st->first_error), "session %lu, step %d: %s%s%s", s->id,
		         (int)s->step, what, err ? ": " : "", err ? strerror(err) : "");
	finish(s, st, o, OUT_ERROR);
	return true;
}

void session_timeout(struct session *s, const struct options *o, struct stats *st)
{
	finish(s, st, o, OUT_TIMEOUT);
}

/* Writes what is queued; true when all of it is out. */
static bool flush(struct session *s, const struct options *o, struct stats *st, bool *failed)
{
	while (s->offout < s->nout) {
		ssize_t n = send(s->fd, s->out + s->offout, s->nout - s->offout, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return false;
		if (n <= 0) {
			*failed = fail(s, o, st, "write", errno);
			return false;
		}
		s->offout += (size_t)n;
	}
	s->nout = s->offout = 0;
	return true;
}

/* Queues and writes the next steps; ends the session after QUIT. */
static bool advance(struct session *s, const struct options *o, struct stats *st)
{
	bool failed = false;
	queue_steps(s, o);
	s->t_sent = load_now_us();
	if (!flush(s, o, st, &failed) && failed)
		return true;
	if (s->step == ST_DONE && s->nout == 0) {
		finish(s, st, o, s->result);
		return true;
	}
	return false;
}

/* A final reply ends the message: QUIT next, with this outcome. */
static void end_with(struct session *s, enum outcome out)
{
	s->result = out;
	s->step = ST_QUIT;
}

static enum outcome reply_code_outcome(const unsigned char *data, size_t n)
{
	if (n > 0 && data[0] == '5')
		return OUT_REJECTED;
	if (n > 0 && data[0] == '4')
		return OUT_TEMPFAILED;
	return OUT_OTHER_REPLY;
}

/* Notes the iprev= result of an added or changed header (name NUL value NUL; INSHEADER and
 * CHGHEADER put a 4-byte index first), so that a session log tells pass from temperror. */
static void note_iprev(struct session *s, unsigned char cmd, const unsigned char *data, size_t n)
{
	size_t skip = cmd == SMFIR_ADDHEADER ? 0 : 4;
	if (n <= skip)
		return;
	const char *name = (const char *)data + skip, *end = (const char *)data + n;
	const char *value = memchr(name, 0, (size_t)(end - name));
	if (!value || strcasecmp(name, "Authentication-Results") != 0)
		return;
	value++;
	size_t vlen = strnlen(value, (size_t)(end - value));
	for (size_t i = 0; i + 6 <= vlen; i++) {
		if (memcmp(value + i, "iprev=", 6) != 0)
			continue;
		size_t k = 0;
		for (i += 6; i < vlen && k + 1 < sizeof(s->iprev) && value[i] >= 'a' && value[i] <= 'z'; i++)
			s->iprev[k++] = value[i];
		s->iprev[k] = '\0';
		return;
	}
}

/* One reply packet for the awaited step; returns 1 when the step is over, 0 to keep waiting,
 * -1 on a protocol error. */
static int on_reply(struct session *s, unsigned char cmd, const unsigned char *data, size_t n)
{
	if (s->step == ST_OPTNEG) {
		uint32_t v[3];
		if (cmd != SMFIC_OPTNEG || n < sizeof(v))
			return -1;
		memcpy(v, data, sizeof(v));
		s->prot = ntohl(v[2]);
		s->step++;
		return 1;
	}
	switch (cmd) {
	case SMFIR_PROGRESS: return 0;
	case SMFIR_ADDHEADER: case SMFIR_INSHEADER: case SMFIR_CHGHEADER:
		s->headers_added++;
		note_iprev(s, cmd, data, n);
		return s->step == ST_EOM ? 0 : -1;
	case SMFIR_CONTINUE: case SMFIR_SKIP: s->step = s->step == ST_EOM ? ST_QUIT : s->step + 1; return 1;
	case SMFIR_ACCEPT: end_with(s, OUT_ACCEPTED); return 1;
	case SMFIR_REJECT: end_with(s, OUT_REJECTED); return 1;
	case SMFIR_TEMPFAIL: end_with(s, OUT_TEMPFAILED); return 1;
	case SMFIR_REPLYCODE: end_with(s, reply_code_outcome(data, n)); return 1;
	default:
		if (s->step == ST_EOM && strchr("+-2bef", cmd))  /* other end-of-message changes */
			return 0;
		end_with(s, OUT_OTHER_REPLY);
		return 1;
	}
}

/* Takes whole packets from the input buffer; true when the session ended. */
static bool take_packets(struct session *s, const struct options *o, struct stats *st)
{
	while (s->nin >= 5) {
		uint32_t len;
		memcpy(&len, s->in, 4);
		len = ntohl(len);
		if (len == 0 || len > LOAD_MAX_PACKET)
			return fail(s, o, st, "reply length out of range", 0);
		if (s->nin < 4 + (size_t)len)
			return false;
		enum step was = s->step;
		int rc = on_reply(s, s->in[4], s->in + 5, len - 1);
		memmove(s->in, s->in + 4 + len, s->nin - 4 - len);
		s->nin -= 4 + len;
		if (rc < 0)
			return fail(s, o, st, "unexpected reply", 0);
		if (rc == 0)
			continue;
		int64_t now = load_now_us();
		uint32_t waited = (uint32_t)(now - s->t_sent);
		if (was == ST_OPTNEG)
			s->t_negotiated = now;
		if (waited > st->step_max_us[was])
			st->step_max_us[was] = waited;
		s->wait_ms[was] = waited / 1000;
		if (advance(s, o, st))
			return true;
	}
	return false;
}

static bool read_some(struct session *s, const struct options *o, struct stats *st)
{
	for (;;) {
		if (s->capin - s->nin < 4096) {
			size_t cap = s->capin ? 2 * s->capin : 8192;
			if (cap > LOAD_MAX_PACKET + 8192)
				return fail(s, o, st, "reply too large", 0);
			unsigned char *g = realloc(s->in, cap);
			if (!g)
				return fail(s, o, st, "out of memory", ENOMEM);
			s->in = g;
			s->capin = cap;
		}
		ssize_t n = recv(s->fd, s->in + s->nin, s->capin - s->nin, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return false;
		if (n <= 0)
			return fail(s, o, st, n == 0 ? "the milter closed the connection" : "read", n ? errno : 0);
		s->nin += (size_t)n;
		if (take_packets(s, o, st))
			return true;
	}
}

bool session_event(struct session *s, const struct options *o, struct stats *st, bool readable)
{
	bool failed = false;
	if (s->nout && !flush(s, o, st, &failed))
		return failed;
	if (s->step == ST_DONE) {
		finish(s, st, o, s->result);
		return true;
	}
	return readable && read_some(s, o, st);
}

/* A socket connected to o->socket (blocking connect, bounded by the timeout), then non-blocking. */
static int dial(const struct options *o)
{
	struct sockaddr_storage ss;
	unsigned sl;
	if (load_parse_socket(o->socket, &ss, &sl) < 0)
		return -EINVAL;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct timeval tv = { .tv_sec = (time_t)o->timeout, .tv_usec = 0 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int session_open(struct session *s, const struct options *o, unsigned long id, struct stats *st)
{
	unsigned char *in = s->in;
	size_t capin = s->capin;
	memset(s, 0, sizeof(*s));
	s->in = in;
	s->capin = capin;
	s->id = id;
	s->in_use = true;
	s->t_start = load_now_us();
	st->started++;
	s->fd = dial(o);
	if (s->fd < 0) {
		int e = -s->fd;
		s->fd = -1;
		fail(s, o, st, "connect", e);
		return -1;
	}
	return advance(s, o, st) ? -1 : 0;
}
