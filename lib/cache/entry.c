/* Summaries of check results and their compact form in the cache: the names stored once in the
 * entry, the reason rebuilt ("<name> confirms") or interned, the rest a few bytes. */
#include "internal.h"

#include <string.h>

static bool name_present(const char *n)
{
	return n && n[0] && strcmp(n, ".") != 0;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The first valid name that is there to print, when it is not names[0] (format.c's first_name). */
static const struct fcr_name *later_valid_name(const struct fcr_check_result *r)
{
	for (size_t i = 0; r->names && i < r->nnames; i++)
		if (r->names[i].valid && name_present(r->names[i].name))
			return i == 0 ? NULL : &r->names[i];
	return NULL;
}

static void summarize_names(const struct fcr_check_result *r, struct fcr_cache_summary *out)
{
	const struct fcr_name *first = NULL;
	bool confirms = r->confirmed >= 0 && (size_t)r->confirmed < r->nnames && r->names;
	if (confirms)
		first = &r->names[r->confirmed];
	else if (r->nnames && r->names)
		first = &r->names[0];
	out->has_name = first && first->name;
	out->name_confirms = out->has_name && confirms;
	out->name_valid = out->has_name && first->valid;
	copy_text(out->name, sizeof(out->name), out->has_name ? first->name : "");
	const struct fcr_name *v = confirms ? NULL : later_valid_name(r);
	out->has_valid_name = v != NULL;
	copy_text(out->valid_name, sizeof(out->valid_name), v ? v->name : "");
}

void fcr_cache_summarize(const struct fcr_check_result *r, struct fcr_cache_summary *out)
{
	out->addr = r->addr;
	out->result = r->result;
	out->ptr_status = r->ptr_status;
	out->ttl_kind = r->ttl_kind;
	out->heard = fcr_check_heard(r);
	out->generic = r->generic;
	out->generic_tag = r->generic_why;
	out->queries = r->queries;
	out->elapsed_ms = r->elapsed_ms;
	copy_text(out->reason, sizeof(out->reason), r->reason);
	summarize_names(r, out);
}

void fcr_cache_summary_unasked(struct fcr_cache_summary *out, const fcr_addr *a, const char *reason)
{
	struct fcr_check_result r;
	fcr_check_result_unasked(&r, a, reason);  /* allocates nothing */
	fcr_cache_summarize(&r, out);
}

void fcr_cache_summary_view(const struct fcr_cache_summary *s, struct fcr_check_result *view,
                            struct fcr_name names[2])
{
	memset(view, 0, sizeof(*view));
	memset(names, 0, 2 * sizeof(*names));
	view->addr = s->addr;
	view->result = s->result;
	view->ptr_status = s->ptr_status;
	view->ttl_kind = s->ttl_kind;
	view->generic = s->generic;
	view->generic_why = s->generic_tag;
	view->queries = s->queries;
	view->elapsed_ms = s->elapsed_ms;
	view->confirmed = -1;
	copy_text(view->reason, sizeof(view->reason), s->reason);
	size_t n = 0;
	if (s->has_name) {
		/* Read-only by contract: the view is never cleared nor written through. */
		names[n] = (struct fcr_name){ .name = (char *)s->name, .valid = s->name_valid,
		                              .confirms = s->name_confirms, .generic = s->generic,
		                              .generic_why = s->generic_tag };
		view->confirmed = s->name_confirms ? 0 : -1;
		n++;
	}
	if (s->has_valid_name)
		names[n++] = (struct fcr_name){ .name = (char *)s->valid_name, .valid = true };
	view->names = n ? names : NULL;
	view->nnames = view->ptr_total = n;
}

/* ---- reasons ---- */

/* A pass's reason as the check writes it: "%.*s confirms", the name without its trailing dot,
 * cut to the reason's size. */
static void confirms_text(const char *name, size_t len, char *out)
{
	if (len && name[len - 1] == '.')
		len--;
	static const char tail[] = " confirms";
	size_t n = len < FCR_CACHE_REASON_MAX - 1 ? len : FCR_CACHE_REASON_MAX - 1;
	memcpy(out, name, n);
	size_t t = sizeof(tail) - 1 < FCR_CACHE_REASON_MAX - 1 - n ? sizeof(tail) - 1
	                                                           : FCR_CACHE_REASON_MAX - 1 - n;
	memcpy(out + n, tail, t);
	out[n + t] = '\0';
}

int reasons_init(struct reasons *rs)
{
	atomic_init(&rs->n, 0);
	return pthread_mutex_init(&rs->lock, NULL) ? -1 : 0;
}

void reasons_destroy(struct reasons *rs)
{
	pthread_mutex_destroy(&rs->lock);
}

static int reason_find(const struct reasons *rs, unsigned n, const char *text)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(rs->text[i], text) == 0)
			return (int)i;
	return -1;
}

uint16_t reason_code(struct reasons *rs, const struct fcr_cache_summary *sm)
{
	if (sm->name_confirms) {
		char derived[FCR_CACHE_REASON_MAX];
		confirms_text(sm->name, strlen(sm->name), derived);
		if (strcmp(derived, sm->reason) == 0)
			return REASON_CONFIRMS;
	}
	if (!sm->reason[0])
		return REASON_INLINE;
	int i = reason_find(rs, atomic_load_explicit(&rs->n, memory_order_acquire), sm->reason);
	if (i >= 0)
		return (uint16_t)i;
	pthread_mutex_lock(&rs->lock);
	unsigned n = atomic_load_explicit(&rs->n, memory_order_relaxed);
	i = reason_find(rs, n, sm->reason);
	if (i < 0 && n < REASONS_MAX) {
		copy_text(rs->text[n], sizeof(rs->text[n]), sm->reason);
		atomic_store_explicit(&rs->n, n + 1, memory_order_release);
		i = (int)n;
	}
	pthread_mutex_unlock(&rs->lock);
	return i >= 0 ? (uint16_t)i : REASON_INLINE;
}

/* ---- entries ---- */

size_t entry_size(const struct fcr_cache_summary *sm, uint16_t reason)
{
	size_t n = sizeof(struct entry) + strlen(sm->name) + strlen(sm->valid_name);
	return n + (reason == REASON_INLINE ? strlen(sm->reason) : 0);
}

size_t entry_used(const struct entry *e)
{
	size_t inline_reason = e->sum.reason == REASON_INLINE ? e->sum.reason_len : 0;
	return (size_t)e->sum.name_len + e->sum.valid_len + inline_reason;
}

static uint8_t sum_flags(const struct fcr_cache_summary *sm)
{
	return (uint8_t)((sm->generic ? SF_GENERIC : 0) | (sm->has_name ? SF_NAME : 0) |
	                 (sm->name_confirms ? SF_CONFIRMS : 0) | (sm->name_valid ? SF_NAME_VALID : 0) |
	                 (sm->has_valid_name ? SF_VALID_NAME : 0));
}

void entry_fill(struct entry *e, const struct fcr_cache_summary *sm, uint16_t reason)
{
	size_t nl = strlen(sm->name), vl = strlen(sm->valid_name);
	size_t rl = reason == REASON_INLINE ? strlen(sm->reason) : 0;
	e->sum = (struct entry_sum){
		.flags = sum_flags(sm), .result = (uint8_t)sm->result,
		.ptr_status = (uint8_t)sm->ptr_status, .ttl_kind = (uint8_t)sm->ttl_kind,
		.reason_len = (uint8_t)rl, .gen_kind = sm->generic_tag.kind,
		.gen_index = sm->generic_tag.index, .reason = reason,
		.name_len = (uint16_t)nl, .valid_len = (uint16_t)vl,
	};
	memcpy(e->text, sm->name, nl);
	memcpy(e->text + nl, sm->valid_name, vl);
	memcpy(e->text + nl + vl, sm->reason, rl);
}

void entry_copy(struct entry *dst, const struct entry *src)
{
	dst->sum = src->sum;
	memcpy(dst->text, src->text, entry_used(src));
}

static void put_text(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void entry_decode(const struct entry *e, const struct reasons *rs, struct fcr_cache_summary *out)
{
	entry_decode_text(e, e->text, rs, out);
}

void entry_decode_text(const struct entry *e, const char *text, const struct reasons *rs,
                       struct fcr_cache_summary *out)
{
	const struct entry_sum *s = &e->sum;
	out->addr = e->key;
	out->result = (enum fcr_result)s->result;
	out->ptr_status = (enum fcr_dns_status)s->ptr_status;
	out->ttl_kind = (enum fcr_ttl_kind)s->ttl_kind;
	out->heard = FCR_HEARD_REPLIES;
	out->generic = s->flags & SF_GENERIC;
	out->generic_tag = (struct fcr_generic_tag){ s->gen_kind, s->gen_index };
	out->has_name = s->flags & SF_NAME;
	out->name_confirms = s->flags & SF_CONFIRMS;
	out->name_valid = s->flags & SF_NAME_VALID;
	out->has_valid_name = s->flags & SF_VALID_NAME;
	out->queries = 0;
	out->elapsed_ms = 0;
	put_text(out->name, text, s->name_len);
	put_text(out->valid_name, text + s->name_len, s->valid_len);
	if (s->reason == REASON_CONFIRMS)
		confirms_text(text, s->name_len, out->reason);
	else if (s->reason == REASON_INLINE)
		put_text(out->reason, text + s->name_len + s->valid_len, s->reason_len);
	else
		memcpy(out->reason, rs->text[s->reason], sizeof(out->reason));
}
