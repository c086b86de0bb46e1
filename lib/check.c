/* The FCrDNS check: one PTR round trip, then every forward lookup of the PTR names at once. */
#include "check.h"

#include "clock.h"
#include "hostname.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 2, 3)))
static void set_reason(struct fcr_check_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

static void ttl_fold(struct fcr_check_result *r, uint32_t ttl)
{
	if (ttl < r->ttl)
		r->ttl = ttl;
}

/* What a failed lookup met, for the reason: the status, or for want of a socket the transport's
 * words ("no socket: Too many open files"), since that calls for a different remedy. */
static const char *failure(enum fcr_dns_status st, const char *detail)
{
	return st == FCR_DNS_NOSOCKET && detail[0] ? detail : fcr_dns_status_name(st);
}

/* No usable PTR answer: permerror for "no such data", temperror for "no answer". */
static void ptr_failed(struct fcr_check_result *r, const struct fcr_lookup *ptr)
{
	if (fcr_dns_status_temporary(ptr->status)) {
		r->result = FCR_TEMPERROR;
		r->ttl_kind = ptr->status == FCR_DNS_NOSOCKET ? FCR_TTL_NONE : FCR_TTL_ERROR;
		set_reason(r, "PTR lookup failed: %s", failure(ptr->status, ptr->detail));
		return;
	}
	r->result = FCR_PERMERROR;
	if (ptr->status == FCR_DNS_NXDOMAIN || ptr->status == FCR_DNS_NODATA) {
		r->ttl_kind = ptr->has_ttl ? FCR_TTL_NEGATIVE : FCR_TTL_NONE;
		r->ttl = ptr->ttl;
		set_reason(r, "%s", ptr->status == FCR_DNS_NXDOMAIN ?
		           "no PTR record: reverse name does not exist" : "no PTR record");
	} else {
		/* A looping or overlong PTR chain is permanent, but has no TTL of its own. */
		r->ttl_kind = FCR_TTL_ERROR;
		set_reason(r, "PTR %s", fcr_dns_status_name(ptr->status));
	}
}

/* Copies the first max PTR names into the result and marks the valid ones. */
static int take_names(struct fcr_check_result *r, const struct fcr_lookup *ptr, unsigned max)
{
	size_t n = ptr->n < max ? ptr->n : max;
	r->ptr_total = ptr->n;
	r->names = calloc(n ? n : 1, sizeof(*r->names));
	if (!r->names)
		return -1;
	for (size_t i = 0; i < n; i++) {
		r->names[i].name = strdup(ptr->names[i]);
		if (!r->names[i].name)
			return -1;
		r->nnames = i + 1;
		r->names[i].valid = fcr_hostname_valid(ptr->names[i]);
	}
	return 0;
}

static bool addr_listed(const fcr_addr *a, const fcr_addr *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fcr_addr_equal(a, &list[i]))
			return true;
	return false;
}

/* Moves a forward lookup's outcome into the name it belongs to. */
static void take_forward(struct fcr_check_result *r, struct fcr_name *nm, struct fcr_lookup *fl)
{
	nm->status = fl->status;
	nm->ttl = fl->ttl;
	memcpy(nm->detail, fl->detail, sizeof(nm->detail));
	nm->canonical = fl->canonical;
	fl->canonical = NULL;
	nm->addrs = fl->addrs;
	nm->naddrs = fl->addrs ? fl->n : 0;
	fl->addrs = NULL;
	nm->confirms = fl->status == FCR_DNS_OK && addr_listed(&r->addr, nm->addrs, nm->naddrs);
	r->queries += fl->queries;
}

/* Forward lookups of every valid name, all in flight at once. */
static int forward_all(fcr_transport *t, struct fcr_check_result *r, int64_t deadline)
{
	size_t nv = 0;
	for (size_t i = 0; i < r->nnames; i++)
		nv += r->names[i].valid;
	if (nv == 0)
		return 0;
	struct fcr_lookup *fl = calloc(nv, sizeof(*fl));
	size_t *of = calloc(nv, sizeof(*of));
	if (!fl || !of) {
		free(fl);
		free(of);
		return -1;
	}
	for (size_t i = 0, j = 0; i < r->nnames; i++) {
		if (!r->names[i].valid)
			continue;
		fl[j].name = r->names[i].name;
		fl[j].type = r->addr.family == AF_INET ? FCR_T_A : FCR_T_AAAA;
		of[j++] = i;
	}
	fcr_lookup_run(t, fl, nv, deadline);
	for (size_t j = 0; j < nv; j++) {
		take_forward(r, &r->names[of[j]], &fl[j]);
		fcr_lookup_clear(&fl[j]);
	}
	free(fl);
	free(of);
	return 0;
}

/* Lifetime class of a fail: negative data shortens it, a negative answer without SOA forbids it. */
static void fail_ttl(struct fcr_check_result *r)
{
	r->ttl_kind = FCR_TTL_POSITIVE;
	for (size_t i = 0; i < r->nnames; i++) {
		const struct fcr_name *nm = &r->names[i];
		if (!nm->valid)
			continue;
		if (nm->status == FCR_DNS_CNAME_LOOP || nm->status == FCR_DNS_CNAME_LONG) {
			r->ttl_kind = FCR_TTL_ERROR;
			return;
		}
		if (nm->status != FCR_DNS_OK && nm->ttl == 0 && r->ttl_kind != FCR_TTL_NONE) {
			r->ttl_kind = FCR_TTL_NONE;
		} else if (nm->status != FCR_DNS_OK && r->ttl_kind == FCR_TTL_POSITIVE) {
			r->ttl_kind = FCR_TTL_NEGATIVE;
		}
		ttl_fold(r, nm->ttl);
	}
}

static void verdict_fail(struct fcr_check_result *r)
{
	size_t valid = 0, mismatched = 0;
	const struct fcr_name *first_valid = NULL;
	for (size_t i = 0; i < r->nnames; i++) {
		if (!r->names[i].valid)
			continue;
		valid++;
		first_valid = first_valid ? first_valid : &r->names[i];
		mismatched += r->names[i].status == FCR_DNS_OK;
	}
	r->result = FCR_FAIL;
	fail_ttl(r);
	if (valid == 0)
		set_reason(r, "no PTR name is a valid host name");
	else if (mismatched)
		set_reason(r, "PTR name%s not resolve to the address", valid > 1 ? "s do" : " does");
	else
		set_reason(r, "PTR name%s: %s", valid > 1 ? "s have no address" : " has no address",
		           fcr_dns_status_name(first_valid->status));
}

/* pass beats everything; otherwise any unanswered forward lookup makes it temporary. */
static void verdict(struct fcr_check_result *r)
{
	const struct fcr_name *tmp = NULL;
	r->confirmed = -1;
	for (size_t i = 0; i < r->nnames; i++) {
		if (r->names[i].confirms && r->confirmed < 0)
			r->confirmed = (int)i;
		if (r->names[i].valid && !tmp && fcr_dns_status_temporary(r->names[i].status))
			tmp = &r->names[i];
	}
	if (r->confirmed >= 0) {
		const struct fcr_name *c = &r->names[r->confirmed];
		r->result = FCR_PASS;
		r->ttl_kind = FCR_TTL_POSITIVE;
		ttl_fold(r, c->ttl);
		size_t len = strlen(c->name);
		set_reason(r, "%.*s confirms", (int)(len && c->name[len - 1] == '.' ? len - 1 : len),
		           c->name);
	} else if (tmp) {
		r->result = FCR_TEMPERROR;
		r->ttl_kind = tmp->status == FCR_DNS_NOSOCKET ? FCR_TTL_NONE : FCR_TTL_ERROR;
		set_reason(r, "forward lookup failed: %s", failure(tmp->status, tmp->detail));
	} else {
		verdict_fail(r);
	}
}

/* The name whose look decides the generic attribute: the confirmed one, else the first valid one. */
static void mark_generic(struct fcr_check_result *r, const fcr_generic *g)
{
	int pick = r->confirmed;
	for (size_t i = 0; i < r->nnames; i++) {
		struct fcr_name *nm = &r->names[i];
		nm->generic = g && fcr_generic_explain(g, nm->name, &r->addr, &nm->generic_why,
		                                       &nm->pattern_limit);
		if (pick < 0 && r->names[i].valid)
			pick = (int)i;
	}
	if (pick < 0 && r->nnames > 0)
		pick = 0;
	r->generic = pick >= 0 && r->names[pick].generic;
	if (pick >= 0)
		r->generic_why = r->names[pick].generic_why;
}

static void out_of_memory(struct fcr_check_result *r)
{
	r->result = FCR_TEMPERROR;
	r->ttl_kind = FCR_TTL_NONE;
	r->confirmed = -1;
	set_reason(r, "out of memory");
}

static int run_ptr(fcr_transport *t, const struct fcr_check_params *p, struct fcr_check_result *r,
                   int64_t deadline)
{
	struct fcr_lookup ptr = { .name = r->reverse_name, .type = FCR_T_PTR };
	int rc = 0;

	fcr_lookup_run(t, &ptr, 1, deadline);
	r->queries += ptr.queries;
	r->ptr_status = ptr.status;
	r->ptr_ttl = ptr.ttl;
	memcpy(r->detail, ptr.detail, sizeof(r->detail));
	r->ptr_canonical = ptr.canonical;
	ptr.canonical = NULL;
	if (ptr.status != FCR_DNS_OK) {
		ptr_failed(r, &ptr);
		rc = 1;
	} else {
		r->ttl = ptr.ttl;
		rc = take_names(r, &ptr, p->max_ptr_names ? p->max_ptr_names : 1);
	}
	fcr_lookup_clear(&ptr);
	return rc;
}

int fcr_check_run(fcr_transport *t, const struct fcr_check_params *p, const fcr_addr *a,
                  struct fcr_check_result *out)
{
	int64_t start = fcr_now_ms();
	int64_t deadline = start + p->timeout_ms;
	int rc = 0;

	out->addr = *a;
	out->confirmed = -1;
	fcr_addr_reverse_name(a, out->reverse_name, sizeof(out->reverse_name));
	int ptr = run_ptr(t, p, out, deadline);
	if (ptr < 0 || (ptr == 0 && forward_all(t, out, deadline) < 0)) {
		out_of_memory(out);
		rc = -1;
	} else if (ptr == 0) {
		verdict(out);
		mark_generic(out, p->generic);
	}
	out->elapsed_ms = fcr_now_ms() - start;
	return rc;
}
