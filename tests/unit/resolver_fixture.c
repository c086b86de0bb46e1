/* Helpers of the resolver tests that point the real transport at fakes (fake_resolver.h). */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "check.h"
#include "clock.h"
#include "resolver.h"
#include "fake_resolver.h"

/* ---------------------------------------------------------------- helpers */

struct fcr_ns ns_at(uint16_t port)
{
	struct fcr_ns ns = { .port = port };
	cr_assert(fcr_addr_parse("127.0.0.1", &ns.addr));
	return ns;
}

fcr_transport *transport_for(const struct fake *const *f, size_t nf, unsigned timeout_ms,
                                    unsigned retries)
{
	struct fcr_resolver_conf conf = { .nns = nf, .timeout_ms = timeout_ms, .retries = retries };
	char err[128] = "";

	for (size_t i = 0; i < nf; i++)
		conf.ns[i] = ns_at(f[i]->port);
	fcr_transport *t = fcr_resolver_new(&conf, err, sizeof(err));
	cr_assert(t, "fcr_resolver_new: %s", err);
	return t;
}

fcr_transport *transport_one(const struct fake *f, unsigned timeout_ms, unsigned retries)
{
	return transport_for(&f, 1, timeout_ms, retries);
}

void ask(fcr_transport *t, const char *name, uint16_t type, struct fcr_reply *out,
                int64_t budget_ms)
{
	struct fcr_question q = { .name = name, .type = type };
	memset(out, 0, sizeof(*out));
	t->exchange(t, &q, out, 1, fcr_now_ms() + budget_ms);
}

void assert_addr(const struct fcr_rr *rr, const char *text)
{
	fcr_addr want;
	cr_assert(fcr_addr_parse(text, &want));
	cr_assert(fcr_addr_equal(&rr->addr, &want), "address is not %s", text);
}

bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

