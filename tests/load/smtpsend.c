/* smtpsend: sends N messages to an SMTP server on loopback over C connections at once, one message a
 * connection, and records each message's final reply (smtp-source stops at the first 4xx, so it cannot
 * count what a server temp-failed). Each message carries "X-Test-Id: PREFIX-ID" so that a test can
 * find every accepted one in the mailbox.
 *
 * usage: smtpsend -s PORT -n MESSAGES -l LOGFILE [-c CONNECTIONS] [-p PREFIX] [-r RCPT] [-T SECONDS]
 *                 [-d SECONDS]
 * The log has one line a message: "ID CODE" (CODE: the 3-digit final reply, or "---" when the
 * connection failed or timed out). Summary on stdout: sent, accepted (250 after the data), tempfailed
 * (4xx at any step), rejected (5xx), errors. -T bounds each reply (default 30 s), -d the whole run
 * (default 600 s: no message starts after it). Exit 0 when no message ended in an error. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct run {
	unsigned port, conns;
	unsigned long total;
	const char *prefix, *rcpt;
	double timeout, duration;
	struct timespec t0;
	pthread_mutex_t lock;        /* next, counts, log */
	unsigned long next, accepted, tempfailed, rejected, errors;
	FILE *log;
};

struct conn {
	int fd;
	char buf[4096];
	size_t n;
};

static double since(const struct timespec *t0)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)(ts.tv_sec - t0->tv_sec) + (double)(ts.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Reads one whole reply (the last line of a multi-line one decides); its code, or -1. */
static int reply(struct conn *c)
{
	for (;;) {
		char *nl;
		while ((nl = memchr(c->buf, '\n', c->n)) != NULL) {
			size_t len = (size_t)(nl - c->buf) + 1;
			int last = len >= 4 && c->buf[3] != '-';
			int code = len >= 4 ? atoi(c->buf) : -1;
			memmove(c->buf, nl + 1, c->n - len);
			c->n -= len;
			if (last)
				return code >= 200 && code < 600 ? code : -1;
		}
		if (c->n == sizeof(c->buf))
			return -1;
		ssize_t r = recv(c->fd, c->buf + c->n, sizeof(c->buf) - c->n, 0);
		if (r <= 0)
			return -1;
		c->n += (size_t)r;
	}
}

static int command(struct conn *c, const char *text)
{
	size_t len = strlen(text);
	if (send(c->fd, text, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	return reply(c);
}

static int dial(const struct run *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)r->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = { .tv_sec = (time_t)r->timeout, .tv_usec = 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One message on its own connection; its final reply code, or -1. */
static int send_one(const struct run *r, unsigned long id)
{
	struct conn c = { .fd = dial(r) };
	if (c.fd < 0)
		return -1;
	char data[512], rcpt[300];
	snprintf(rcpt, sizeof(rcpt), "RCPT TO:<%s>\r\n", r->rcpt);
	snprintf(data, sizeof(data),
	         "From: <sender@sender.example>\r\nTo: <%s>\r\nSubject: soak %s-%lu\r\n"
	         "Message-Id: <%s-%lu@sender.example>\r\nX-Test-Id: %s-%lu\r\n\r\nsoak message %lu\r\n.\r\n",
	         r->rcpt, r->prefix, id, r->prefix, id, r->prefix, id, id);
	const char *steps[] = { NULL, "EHLO client.sender.example\r\n", "MAIL FROM:<sender@sender.example>\r\n",
	                        rcpt, "DATA\r\n", data };
	const int want[] = { 220, 250, 250, 250, 354, 250 };
	int code = -1;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		code = steps[i] ? command(&c, steps[i]) : reply(&c);
		if (code != want[i])
			break;
	}
	if (code > 0)
		command(&c, "QUIT\r\n");
	close(c.fd);
	return code;
}

static void record(struct run *r, unsigned long id, int code)
{
	pthread_mutex_lock(&r->lock);
	if (code == 250)
		r->accepted++;
	else if (code >= 400 && code < 500)
		r->tempfailed++;
	else if (code >= 500)
		r->rejected++;
	else
		r->errors++;
	if (code > 0)
		fprintf(r->log, "%s-%lu %d\n", r->prefix, id, code);
	else
		fprintf(r->log, "%s-%lu ---\n", r->prefix, id);
	pthread_mutex_unlock(&r->lock);
}

static void *worker(void *arg)
{
	struct run *r = arg;
	for (;;) {
		pthread_mutex_lock(&r->lock);
		unsigned long id = r->next < r->total && since(&r->t0) < r->duration ? r->next++ : 0;
		pthread_mutex_unlock(&r->lock);
		if (!id)
			return NULL;
		record(r, id, send_one(r, id));
	}
}

static int options(int argc, char **argv, struct run *r, const char **log)
{
	int c;
	while ((c = getopt(argc, argv, "s:n:l:c:p:r:T:d:")) != -1) {
		switch (c) {
		case 's': r->port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': r->total = strtoul(optarg, NULL, 10); break;
		case 'l': *log = optarg; break;
		case 'c': r->conns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'p': r->prefix = optarg; break;
		case 'r': r->rcpt = optarg; break;
		case 'T': r->timeout = strtod(optarg, NULL); break;
		case 'd': r->duration = strtod(optarg, NULL); break;
		default: return -1;
		}
	}
	return optind == argc && r->port && r->port < 65536 && r->total && r->total < 10000000 && *log &&
	       r->conns && r->conns <= 1000 && r->timeout >= 1 && r->duration > 0 && strlen(r->rcpt) < 256 &&
	       strlen(r->prefix) < 64 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct run r = { .conns = 10, .prefix = "m", .rcpt = "box@test.example", .timeout = 30,
	                 .duration = 600, .next = 1, .lock = PTHREAD_MUTEX_INITIALIZER };
	const char *log = NULL;
	if (options(argc, argv, &r, &log) < 0) {
		fputs("usage: smtpsend -s PORT -n MESSAGES -l LOGFILE [-c CONNECTIONS] [-p PREFIX] [-r RCPT]\n"
		      "                [-T SECONDS] [-d SECONDS]\n", stderr);
		return 64;
	}
	r.total++;  /* ids run from 1 to MESSAGES */
	if (!(r.log = fopen(log, "w"))) {
		perror(log);
		return 73;
	}
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	pthread_t *t = calloc(r.conns, sizeof(*t));
	unsigned started = 0;
	while (t && started < r.conns && pthread_create(&t[started], NULL, worker, &r) == 0)
		started++;
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
	int bad = fclose(r.log) != 0 || !started;
	printf("sent=%lu accepted=%lu tempfailed=%lu rejected=%lu errors=%lu seconds=%.1f\n", r.next - 1,
	       r.accepted, r.tempfailed, r.rejected, r.errors, since(&r.t0));
	return bad || r.errors ? 1 : 0;
}
