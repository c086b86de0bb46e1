/* Ownership of check results: deep copy and release, used by every holder of a whole result. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const result_names[FCR_NRESULTS] = { "pass", "fail", "permerror", "temperror" };

const char *fcr_result_name(enum fcr_result r)
{
	return (unsigned)r < FCR_NRESULTS ? result_names[r] : "temperror";
}

/* Forward lookups of valid names: a timeout is silence, a missing socket or a local failure means
 * the question never went out, anything else is a reply. */
static enum fcr_heard forward_heard(const struct fcr_check_result *r)
{
	size_t sent = 0, timeouts = 0, nosock = 0;
	for (size_t i = 0; i < r->nnames; i++) {
		const struct fcr_name *nm = &r->names[i];
		if (!nm->valid)
			continue;
		nosock += nm->status == FCR_DNS_NOSOCKET;
		if (nm->status == FCR_DNS_NOSOCKET || nm->status == FCR_DNS_LOCAL)
			continue;
		sent++;
		timeouts += nm->status == FCR_DNS_TIMEOUT;
	}
	if (timeouts)
		return timeouts == sent ? FCR_HEARD_NOTHING : FCR_HEARD_PARTLY;
	return nosock ? FCR_HEARD_NO_SOCKET : FCR_HEARD_REPLIES;
}

enum fcr_heard fcr_check_heard(const struct fcr_check_result *r)
{
	switch (r->ptr_status) {
	case FCR_DNS_TIMEOUT:
		return FCR_HEARD_NOTHING;
	case FCR_DNS_NOSOCKET:
		return FCR_HEARD_NO_SOCKET;
	case FCR_DNS_LOCAL:
	case FCR_DNS_UNAVAILABLE:
		return FCR_HEARD_UNASKED;
	default:
		return forward_heard(r);
	}
}

static void name_clear(struct fcr_name *n)
{
	free(n->name);
	free(n->canonical);
	free(n->addrs);
}

void fcr_check_result_clear(struct fcr_check_result *r)
{
	for (size_t i = 0; i < r->nnames; i++)
		name_clear(&r->names[i]);
	free(r->names);
	free(r->ptr_canonical);
	memset(r, 0, sizeof(*r));
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

static int name_copy(struct fcr_name *dst, const struct fcr_name *src)
{
	*dst = *src;
	dst->name = NULL;
	dst->canonical = NULL;
	dst->addrs = NULL;
	if (dup_str(&dst->name, src->name) || dup_str(&dst->canonical, src->canonical))
		return -1;
	if (src->naddrs) {
		dst->addrs = malloc(src->naddrs * sizeof(*dst->addrs));
		if (!dst->addrs)
			return -1;
		memcpy(dst->addrs, src->addrs, src->naddrs * sizeof(*dst->addrs));
	}
	return 0;
}

int fcr_check_result_copy(struct fcr_check_result *dst, const struct fcr_check_result *src)
{
	*dst = *src;
	dst->names = NULL;
	dst->nnames = 0;
	dst->ptr_canonical = NULL;
	if (dup_str(&dst->ptr_canonical, src->ptr_canonical))
		goto fail;
	if (src->nnames) {
		dst->names = calloc(src->nnames, sizeof(*dst->names));
		if (!dst->names)
			goto fail;
		for (size_t i = 0; i < src->nnames; i++) {
			dst->nnames = i + 1;
			if (name_copy(&dst->names[i], &src->names[i]))
				goto fail;
		}
	}
	return 0;
fail:
	fcr_check_result_clear(dst);
	return -1;
}

char *fcr_check_confirmed(const struct fcr_check_result *r, char *buf, size_t len)
{
	if (!len)
		return buf;
	buf[0] = '\0';
	if (r->confirmed < 0 || (size_t)r->confirmed >= r->nnames || !r->names[r->confirmed].name)
		return buf;
	const char *n = r->names[r->confirmed].name;
	size_t l = strlen(n);
	if (l && n[l - 1] == '.')
		l--;
	if (l >= len)
		l = len - 1;
	memcpy(buf, n, l);
	buf[l] = '\0';
	return buf;
}

void fcr_check_result_unasked(struct fcr_check_result *r, const fcr_addr *a, const char *reason)
{
	memset(r, 0, sizeof(*r));
	r->addr = *a;
	r->result = FCR_TEMPERROR;
	r->confirmed = -1;
	r->ttl_kind = FCR_TTL_NONE;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	fcr_addr_reverse_name(a, r->reverse_name, sizeof(r->reverse_name));
}
