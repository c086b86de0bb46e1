/* Reply records: the one place that allocates them, so that transports and fakes agree. */
#include "dns.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *lower_dup(const char *s)
{
	char *d = strdup(s);
	if (d)
		for (char *p = d; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return d;
}

void fcr_reply_clear(struct fcr_reply *r)
{
	for (size_t i = 0; i < r->nrr; i++) {
		free(r->rr[i].owner);
		free(r->rr[i].target);
	}
	free(r->rr);
	memset(r, 0, sizeof(*r));
}

int fcr_reply_add(struct fcr_reply *r, const char *owner, uint16_t type, uint32_t ttl,
                  const char *target, const fcr_addr *addr)
{
	if (r->nrr == r->cap) {
		/* doubling: a reply of thousands of records costs no quadratic copying */
		size_t cap = r->cap ? 2 * r->cap : 8;
		struct fcr_rr *grown = realloc(r->rr, cap * sizeof(*grown));
		if (!grown)
			return -1;
		r->rr = grown;
		r->cap = cap;
	}
	struct fcr_rr *rr = &r->rr[r->nrr];
	memset(rr, 0, sizeof(*rr));
	rr->type = type;
	rr->ttl = ttl;
	rr->owner = lower_dup(owner);
	if (target)
		rr->target = lower_dup(target);
	if (addr)
		rr->addr = *addr;
	if (!rr->owner || (target && !rr->target)) {
		free(rr->owner);
		free(rr->target);
		return -1;
	}
	r->nrr++;
	return 0;
}

/* Names compare equal when they differ only in case or in a final dot. */
bool fcr_name_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}
