/* fastdns: a synthetic DNS server for the memory benchmark, cheap enough that a million checks cost
 * the milter, not the server. UDP on 127.0.0.1:PORT, answers built straight in wire format:
 *   PTR d.c.b.a.in-addr.arpa.           -> h-a-b-c-d.fast.bench.example.   (TTL 86400)
 *   A   h-a-b-c-d.fast.bench.example.   -> a.b.c.d                          (TTL 86400)
 * so that every IPv4 address passes with one PTR name. Anything else: NXDOMAIN; a packet that is not
 * one plain query: dropped. SIGTERM or SIGINT end it, printing how many queries it answered.
 *   usage: fastdns -p PORT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define SUFFIX "fast.bench.example"
#define TTL 86400u
#define BATCH 64
#define MAXPKT 512

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The question name as dotted text (no trailing dot, lower case) and where the question ends;
 * false for compression, a name too long, or a packet cut short. */
static bool read_qname(const uint8_t *p, size_t n, char *name, size_t len, size_t *end)
{
	size_t i = 12, o = 0;
	while (i < n && p[i] != 0) {
		size_t l = p[i];
		if (l > 63 || i + 1 + l > n || o + l + 2 > len)
			return false;
		if (o)
			name[o++] = '.';
		for (size_t k = 0; k < l; k++)
			name[o++] = (char)((p[i + 1 + k] >= 'A' && p[i + 1 + k] <= 'Z') ? p[i + 1 + k] + 32 : p[i + 1 + k]);
		i += 1 + l;
	}
	name[o] = '\0';
	*end = i + 5;  /* the root label, type and class */
	return i < n && *end <= n;
}

/* Appends a domain name in wire format; returns the new length. */
static size_t put_name(uint8_t *out, size_t o, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		out[o++] = (uint8_t)l;
		memcpy(out + o, name, l);
		o += l;
		name += l + (dot != NULL);
	}
	out[o++] = 0;
	return o;
}

/* One answer record for the question (name pointer to offset 12), its data already in rdata. */
static size_t put_rr(uint8_t *out, size_t o, uint16_t type, const uint8_t *rdata, size_t rdlen)
{
	const uint8_t head[] = { 0xc0, 12, (uint8_t)(type >> 8), (uint8_t)type, 0, 1,
	                         (uint8_t)(TTL >> 24), (uint8_t)(TTL >> 16), (uint8_t)(TTL >> 8), (uint8_t)TTL,
	                         (uint8_t)(rdlen >> 8), (uint8_t)rdlen };
	memcpy(out + o, head, sizeof(head));
	memcpy(out + o + sizeof(head), rdata, rdlen);
	return o + sizeof(head) + rdlen;
}

/* The answer data for name/type: 0 when there is none (NXDOMAIN), else its length in rdata. */
static size_t lookup(const char *name, uint16_t type, uint8_t *rdata, uint16_t *rtype)
{
	unsigned a, b, c, d;
	char tail[64], host[96];
	if (sscanf(name, "%u.%u.%u.%u.%63s", &d, &c, &b, &a, tail) == 5 && !strcmp(tail, "in-addr.arpa") &&
	    (a | b | c | d) < 256 && type == 12) {
		snprintf(host, sizeof(host), "h-%u-%u-%u-%u." SUFFIX, a, b, c, d);
		*rtype = 12;
		return put_name(rdata, 0, host);
	}
	if (sscanf(name, "h-%u-%u-%u-%u.%63s", &a, &b, &c, &d, tail) == 5 && !strcmp(tail, SUFFIX) &&
	    (a | b | c | d) < 256 && type == 1) {
		const uint8_t v4[4] = { (uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d };
		memcpy(rdata, v4, 4);
		*rtype = 1;
		return 4;
	}
	return 0;
}

/* Builds the reply to query q (n bytes) in out; its length, or 0 to drop the packet. */
static size_t reply(const uint8_t *q, size_t n, uint8_t *out)
{
	char name[256];
	size_t end;
	if (n < 12 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1 || !read_qname(q, n, name, sizeof(name), &end))
		return 0;
	uint16_t type = (uint16_t)(q[end - 4] << 8 | q[end - 3]), rtype = 0;
	uint8_t rdata[128];
	size_t rdlen = lookup(name, type, rdata, &rtype);
	memcpy(out, q, end);
	out[2] = (uint8_t)(0x84 | (q[2] & 0x01));  /* QR, AA, RD copied */
	out[3] = rdlen ? 0x80 : 0x83;                 /* RA; NOERROR or NXDOMAIN */
	memset(out + 6, 0, 6);
	if (!rdlen)
		return end;
	out[7] = 1;
	return put_rr(out, end, rtype, rdata, rdlen);
}

static int serve(int fd)
{
	static uint8_t in[BATCH][MAXPKT], out[BATCH][MAXPKT];
	struct sockaddr_in peer[BATCH];
	struct iovec iin[BATCH], iout[BATCH];
	struct mmsghdr min[BATCH], mout[BATCH];
	unsigned long answered = 0;
	while (!stop) {
		for (int i = 0; i < BATCH; i++) {
			iin[i] = (struct iovec){ in[i], MAXPKT };
			min[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &peer[i], .msg_namelen = sizeof(peer[i]),
			                                        .msg_iov = &iin[i], .msg_iovlen = 1 } };
		}
		int got = recvmmsg(fd, min, BATCH, MSG_WAITFORONE, NULL);
		int k = 0;
		for (int i = 0; i < got; i++) {
			size_t len = reply(in[i], min[i].msg_len, out[k]);
			if (!len)
				continue;
			iout[k] = (struct iovec){ out[k], len };
			mout[k] = (struct mmsghdr){ .msg_hdr = { .msg_name = &peer[i], .msg_namelen = min[i].msg_hdr.msg_namelen,
			                                         .msg_iov = &iout[k], .msg_iovlen = 1 } };
			k++;
		}
		if (k > 0 && sendmmsg(fd, mout, (unsigned)k, 0) > 0)
			answered += (unsigned long)k;
	}
	printf("fastdns: answered %lu\n", answered);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (argc != 3 || strcmp(argv[1], "-p") != 0 || atoi(argv[2]) <= 0 || atoi(argv[2]) > 65535) {
		fputs("usage: fastdns -p PORT\n", stderr);
		return 64;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("fastdns: 127.0.0.1");
		return 71;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("fastdns: listening on 127.0.0.1:%s\n", argv[2]);
	fflush(stdout);
	return serve(fd);
}
