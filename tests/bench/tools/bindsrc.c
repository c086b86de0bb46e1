/* bindsrc.so: an LD_PRELOAD shim that gives each IPv4 TCP connection of a program (smtp-source,
 * which cannot choose its source address) the next of FCR_BINDSRC_COUNT loopback addresses counting
 * up from FCR_BINDSRC_BASE, so that an MTA sees many distinct clients. Without FCR_BINDSRC_BASE, or
 * for any other socket, connect(2) is left alone. The counter wraps: address k is base + k % count. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

static atomic_ulong next_source;

/* The real connect(2), found once (a data pointer from dlsym, converted without a cast that the
 * compiler could warn about). */
static connect_fn real_connect(void)
{
	static _Atomic(connect_fn) fn;
	connect_fn f = atomic_load(&fn);
	if (!f) {
		void *p = dlsym(RTLD_NEXT, "connect");
		memcpy(&f, &p, sizeof(f));
		atomic_store(&fn, f);
	}
	return f;
}

/* Binds fd to the next source address; a failure leaves the kernel's choice (the MTA would then
 * see 127.0.0.1, which the benchmark notices as fewer distinct clients). */
static void bind_next(int fd)
{
	const char *base = getenv("FCR_BINDSRC_BASE"), *count = getenv("FCR_BINDSRC_COUNT");
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned long n = count ? strtoul(count, NULL, 10) : 0;
	if (!base || inet_pton(AF_INET, base, &sin.sin_addr) != 1)
		return;
	unsigned long k = atomic_fetch_add(&next_source, 1);
	if (n)
		k %= n;
	sin.sin_addr.s_addr = htonl(ntohl(sin.sin_addr.s_addr) + (uint32_t)k);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
}

int connect(int fd, const struct sockaddr *sa, socklen_t len);

int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int type = 0;
	socklen_t tl = sizeof(type);
	if (sa && sa->sa_family == AF_INET && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
	    type == SOCK_STREAM)
		bind_next(fd);
	connect_fn f = real_connect();
	return f ? f(fd, sa, len) : -1;
}
