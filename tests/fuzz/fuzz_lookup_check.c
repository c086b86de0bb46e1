/* Fuzz target: a whole FCrDNS check (fcr_check_run) over a fake transport whose every reply is
 * decoded from the fuzzer's bytes, then every text that leaves the process made from its result.
 * Input: flags, the client address, then one reply per question asked, in the order asked. */
#include "fuzz.h"

#include "check.h"
#include "config.h"
#include "format.h"
#include "generic.h"
#include "trace.h"

#include <netinet/in.h>

/* The check asks at most 9 rounds of PTR questions and 9 of forward ones (CNAME_LINKS + 1 each). */
#define MAX_EXCHANGES (2 * (FCR_MAX_CNAME_LINKS + 1))
#define POOL 32

struct fuzz_dns {
	fcr_transport base;
	struct fuzz_in in;
	fcr_addr client;
	char *pool[POOL];          /* names seen (questions, targets) to reuse as owners and targets */
	size_t npool;
	unsigned exchanges, questions;
};

static struct fcr_config *conf;
static fcr_generic *generic;

static char long_escaped[1010], long_valid[256], too_long[1500];

/* Names the decoder can pick: valid, generic-looking, case, escapes, limits, junk. */
static const char *dictionary[] = {
	"host.example.", "mail.example.com.", "HOST.Example.", "host.example", ".", "",
	"dyn-1-2-3-4.pool.example.net.", "static.mx.example.", "4.3.2.1.in-addr.arpa.",
	"a\\.b.example.", "\\000\\255.example.", "x\\(y\\)\\;z\"q.example.", "1.2.3.4.",
	"under_score.example.", "-bad-.example.", "a..b.example.", "%n%a%%.example.",
	"0123456789012345678901234567890123456789012345678901234567890123.example.",
	"\\", long_escaped, long_valid, too_long,
};
#define NDICT (sizeof(dictionary) / sizeof(dictionary[0]))

/* Names at and beyond the limits of a DNS name in presentation form, built once. */
static void make_long_names(void)
{
	for (size_t i = 0; i < 250; i++)
		memcpy(long_escaped + 4 * i, "\\255", 4);
	strcpy(long_escaped + 1000, ".example.");
	for (size_t i = 0; i < 252; i++)
		long_valid[i] = i % 64 == 63 ? '.' : 'a';
	strcpy(long_valid + 252, "b.");
	memset(too_long, 'x', sizeof(too_long) - 1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const overrides[] = {
		"AuthservID=mx.fuzz.example", "Nameservers=127.0.0.1", "ExemptHosts=none",
		"RejectReply=550 5.7.25 no FCrDNS for %a (%n) 100%%",
	};
	char err[512];
	(void)argc;
	(void)argv;
	make_long_names();
	conf = fcr_config_load("/dev/null", overrides, sizeof(overrides) / sizeof(overrides[0]), err,
	                       sizeof(err));
	generic = fcr_generic_new(NULL, NULL, err, sizeof(err));
	if (!conf || !generic) {
		fprintf(stderr, "fuzz_lookup_check: setup failed: %s\n", err);
		abort();
	}
	return 0;
}

static void pool_add(struct fuzz_dns *f, const char *s)
{
	if (f->npool == POOL)
		return;
	if (!(f->pool[f->npool] = strdup(s)))
		abort();
	f->npool++;
}

/* A name, chosen by the next byte: the question, one seen before, the dictionary, a literal, a
 * name with the client address in it, or the question in upper case. Caller frees. */
static char *pick_name(struct fuzz_dns *f, const char *question)
{
	uint8_t c = fuzz_u8(&f->in);
	char buf[128];
	const uint8_t *b = f->client.bytes;

	switch (c % 6) {
	case 0:
		return strdup(question);
	case 1:
		return strdup(f->npool ? f->pool[(c / 6) % f->npool] : question);
	case 2:
		return strdup(dictionary[(c / 6) % NDICT]);
	case 3:
		return fuzz_str(&f->in);
	case 4:
		snprintf(buf, sizeof(buf), "%u-%u-%u-%u.%s.example.", b[0], b[1], b[2], b[3],
		         c & 0x80 ? "dsl" : "srv");
		return strdup(buf);
	default: {
		char *s = strdup(question);
		for (char *p = s; p && *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		return s;
	}
	}
}

/* The address of an A/AAAA record: the client's (when the family fits) or bytes from the input. */
static void pick_addr(struct fuzz_dns *f, uint16_t type, fcr_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = type == FCR_T_A ? AF_INET : AF_INET6;
	if ((fuzz_u8(&f->in) & 1) && f->client.family == a->family) {
		*a = f->client;
		return;
	}
	for (size_t i = 0; i < (type == FCR_T_A ? 4u : 16u); i++)
		a->bytes[i] = fuzz_u8(&f->in);
}

/* A record of type A, AAAA, CNAME or PTR as dns.h promises; now and then, beyond the promise,
 * an SOA or any other type (without data), which the lookup must simply pass over. */
static void add_record(struct fuzz_dns *f, const char *question, struct fcr_reply *r)
{
	static const uint16_t types[] = { FCR_T_A,   FCR_T_AAAA, FCR_T_CNAME, FCR_T_PTR,
		                              FCR_T_SOA, 0,          FCR_T_PTR,   FCR_T_A };
	uint16_t type = types[fuzz_u8(&f->in) & 7];
	char *owner = pick_name(f, question), *target = NULL;
	uint32_t ttl = fuzz_u32(&f->in);
	fcr_addr a, *ap = NULL;

	if (type == 0) {
		type = (uint16_t)(fuzz_u8(&f->in) << 8);
		type |= fuzz_u8(&f->in);
	}
	if (type == FCR_T_A || type == FCR_T_AAAA) {
		pick_addr(f, type, &a);
		ap = &a;
	} else if (type == FCR_T_CNAME || type == FCR_T_PTR) {
		target = pick_name(f, question);
		pool_add(f, target);
	}
	if (!owner || fcr_reply_add(r, owner, type, ttl, target, ap) != 0)
		abort();
	free(owner);
	free(target);
}

/* One reply, or NXDOMAIN with an SOA once the input is used up (so that every check ends). */
static void make_reply(struct fuzz_dns *f, const char *question, struct fcr_reply *r)
{
	static const enum fcr_xfer xfers[] = { FCR_XFER_OK, FCR_XFER_OK, FCR_XFER_OK, FCR_XFER_OK,
		                                   FCR_XFER_OK, FCR_XFER_TIMEOUT, FCR_XFER_BADREPLY,
		                                   FCR_XFER_NETERR };
	if (!f->in.n) {
		r->rcode = FCR_RCODE_NXDOMAIN;
		r->has_soa = true;
		r->soa_ttl = 300;
		r->soa_minimum = 60;
		return;
	}
	uint8_t h = fuzz_u8(&f->in);
	r->xfer = xfers[h & 7];
	r->rcode = (uint8_t)(h >> 4);
	r->tcp = h & 8;
	uint8_t g = fuzz_u8(&f->in);
	if (g & 0x80) {
		r->has_soa = true;
		r->soa_ttl = fuzz_u32(&f->in);
		r->soa_minimum = fuzz_u32(&f->in);
	}
	if (g & 0x40) {
		char *d = fuzz_str(&f->in);
		snprintf(r->detail, sizeof(r->detail), "%s", d);
		free(d);
	}
	for (unsigned i = 0, n = g & 0x1f; i < n; i++)
		add_record(f, question, r);
}

static void fuzz_exchange(fcr_transport *self, const struct fcr_question *q, struct fcr_reply *out,
                          size_t n, int64_t deadline_ms)
{
	struct fuzz_dns *f = (struct fuzz_dns *)self;
	(void)deadline_ms;
	FUZZ_ASSERT(n > 0);
	FUZZ_ASSERT(++f->exchanges <= MAX_EXCHANGES);
	f->questions += (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(q[i].name != NULL);
		FUZZ_ASSERT(q[i].type == FCR_T_PTR || q[i].type == FCR_T_A || q[i].type == FCR_T_AAAA);
		FUZZ_ASSERT(out[i].nrr == 0 && out[i].rr == NULL && out[i].xfer == FCR_XFER_OK);
		pool_add(f, q[i].name);
		make_reply(f, q[i].name, &out[i]);
	}
}

static void fuzz_free(fcr_transport *self)
{
	(void)self;
}

static void check_result(const struct fcr_check_result *r, const struct fcr_check_params *p,
                         const struct fuzz_dns *f)
{
	FUZZ_ASSERT((unsigned)r->result < FCR_NRESULTS);
	FUZZ_ASSERT((unsigned)r->ttl_kind <= FCR_TTL_NONE);
	FUZZ_ASSERT(r->nnames <= p->max_ptr_names && r->nnames <= r->ptr_total);
	FUZZ_ASSERT(r->confirmed >= -1 && r->confirmed < (int)r->nnames);
	FUZZ_ASSERT((r->result == FCR_PASS) == (r->confirmed >= 0));
	FUZZ_ASSERT(r->queries == f->questions);
	FUZZ_ASSERT(strnlen(r->reason, sizeof(r->reason)) < sizeof(r->reason));
	fuzz_check_printable("reason", r->reason, strlen(r->reason), NULL);
	/* A PTR lookup that gave no names decides alone: temperror if temporary, else permerror. */
	if (r->ptr_status != FCR_DNS_OK)
		FUZZ_ASSERT(r->nnames == 0 && r->result == (fcr_dns_status_temporary(r->ptr_status) ?
		                                            FCR_TEMPERROR : FCR_PERMERROR));
	else
		FUZZ_ASSERT(r->nnames > 0 && r->result != FCR_PERMERROR);
	for (size_t i = 0; i < r->nnames; i++) {
		const struct fcr_name *nm = &r->names[i];
		FUZZ_ASSERT(nm->name != NULL);
		FUZZ_ASSERT(nm->naddrs == 0 || nm->addrs != NULL);
		if (!nm->confirms)
			continue;
		bool listed = false;
		for (size_t j = 0; j < nm->naddrs; j++)
			listed |= fcr_addr_equal(&nm->addrs[j], &r->addr);
		FUZZ_ASSERT(nm->valid && nm->status == FCR_DNS_OK && listed);
	}
}

/* Header values in buffers of every size: always terminated, printable, and a cut value is a
 * prefix of the whole one. */
static void check_headers(const struct fcr_check_result *r, size_t small)
{
	char full[4096], cut[4096];
	size_t n;

	fcr_format_authres(conf, r, full, sizeof(full));
	n = fuzz_check_buffer("Authentication-Results", full, sizeof(full));
	FUZZ_ASSERT(n > 0 && full[n - 1] == ')');
	fcr_format_authres(conf, r, cut, small);
	fuzz_check_buffer("Authentication-Results (cut)", cut, small);

	fcr_format_result_header(conf, r, full, sizeof(full));
	n = fuzz_check_buffer("X-FCrDNS", full, sizeof(full));
	FUZZ_ASSERT(strncmp(full, fcr_result_name(r->result), strlen(fcr_result_name(r->result))) == 0);
	fcr_format_result_header(conf, r, cut, small);
	n = fuzz_check_buffer("X-FCrDNS (cut)", cut, small);
	FUZZ_ASSERT(strncmp(cut, full, n) == 0);

	fcr_format_reply_text(&conf->reject_reply, r, full, sizeof(full));
	fuzz_check_buffer("reject reply", full, sizeof(full));
	fcr_format_reply_text(&conf->reject_reply, r, cut, small);
	n = fuzz_check_buffer("reject reply (cut)", cut, small);
	FUZZ_ASSERT(strncmp(cut, full, n) == 0);

	fcr_check_confirmed(r, cut, small);
	FUZZ_ASSERT(strnlen(cut, small) < small);
}

/* The log line: eight key=value fields, nine with generic_rule when generic, printable, no blank
 * inside a value. */
static void check_summary(const struct fcr_trace_ctx *ctx, const struct fcr_check_result *r)
{
	char buf[4096];
	size_t spaces = 0, want = r->generic ? 8 : 7;

	fcr_trace_summary(ctx, r, buf, sizeof(buf));
	size_t n = fuzz_check_buffer("summary", buf, sizeof(buf));
	for (size_t i = 0; i < n; i++)
		spaces += buf[i] == ' ';
	if (spaces != want || (strstr(buf, " generic_rule=") != NULL) != r->generic) {
		fprintf(stderr, "summary: %zu blanks, expected %zu: %s\n", spaces, want, buf);
		abort();
	}
}

/* The -t traces: JSON on one printable line ending in a newline, text printable line by line. */
static void check_traces(const struct fcr_trace_ctx *ctx, const struct fcr_check_result *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		abort();
	fcr_trace_json(m, ctx, r);
	fclose(m);
	FUZZ_ASSERT(len > 0 && text[len - 1] == '\n' && strlen(text) == len);
	fuzz_check_printable("JSON trace", text, len - 1, NULL);
	fuzz_check_json("JSON trace", text);
	if (getenv("FCR_FUZZ_VERBOSE"))   /* to see what a reproducer does */
		fputs(text, stderr);
	free(text);

	m = open_memstream(&text, &len);
	if (!m)
		abort();
	fcr_trace_text(m, ctx, r);
	fclose(m);
	FUZZ_ASSERT(strlen(text) == len);
	fuzz_check_printable("text trace", text, len, "\n");
	free(text);
}

/* Flags byte: bit 0 IPv6, bits 1-4 MaxPTRNames - 1, bit 5 no generic matcher, bits 6-7 ctx. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_dns f;
	memset(&f, 0, sizeof(f));
	f.base.exchange = fuzz_exchange;
	f.base.free = fuzz_free;
	f.in = (struct fuzz_in){ data, size };

	uint8_t flags = fuzz_u8(&f.in);
	f.client.family = flags & 1 ? AF_INET6 : AF_INET;
	for (size_t i = 0; i < (flags & 1 ? 16u : 4u); i++)
		f.client.bytes[i] = fuzz_u8(&f.in);
	struct fcr_check_params p = { .max_ptr_names = 1u + ((flags >> 1) & 15u),
		                          .timeout_ms = 60000,
		                          .generic = flags & 0x20 ? NULL : generic };
	size_t small = 1 + fuzz_u8(&f.in);

	struct fcr_check_result r;
	memset(&r, 0, sizeof(r));
	FUZZ_ASSERT(fcr_check_run(&f.base, &p, &f.client, &r) == 0);
	check_result(&r, &p, &f);

	struct fcr_check_result copy;
	FUZZ_ASSERT(fcr_check_result_copy(&copy, &r) == 0);
	fcr_check_result_clear(&r);
	struct fcr_trace_ctx ctx = { .conf = conf, .cached = flags & 0x40,
	                             .exempt = flags & 0x80 };
	check_headers(&copy, small);
	check_summary(&ctx, &copy);
	check_traces(&ctx, &copy);
	fcr_check_result_clear(&copy);
	for (size_t i = 0; i < f.npool; i++)
		free(f.pool[i]);
	return 0;
}
