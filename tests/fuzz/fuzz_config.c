/* Fuzz target: bytes as a configuration file plus -o overrides through fcr_config_load. An error
 * must be located and printable; an accepted snapshot must keep its promises and make only
 * printable headers and valid JSON. Input: parts separated by a line "%%": the file, the content
 * of a second file, then up to 4 overrides; "%L" anywhere stands for that second file's path (so
 * that "file:" lists and GenericPatterns get exercised). The second file also goes through the
 * GenericPatterns loader on its own, and a pattern set it yields is matched against hostile names:
 * every match must end within PCRE2's limits. */
#include "fuzz.h"

#include "config.h"
#include "format.h"
#include "generic.h"
#include "trace.h"

#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEP "\n%%\n"
#define MAX_OVERRIDES 4

static char dir[] = "/tmp/fcr-fuzz-config.XXXXXX";
static char conf_path[64], list_path[64];

static void cleanup(void)
{
	unlink(conf_path);
	unlink(list_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(conf_path, sizeof(conf_path), "%s/conf", dir);
	snprintf(list_path, sizeof(list_path), "%s/list", dir);
	atexit(cleanup);
	return 0;
}

/* s[0..n) with every "%L" replaced by the list file's path; NUL-terminated, caller frees. */
static char *expand(const uint8_t *s, size_t n, size_t *outlen)
{
	size_t plen = strlen(list_path), cap = n + 1, len = 0;
	for (size_t i = 0; i + 1 < n; i++)
		cap += (s[i] == '%' && s[i + 1] == 'L') ? plen : 0;
	char *out = malloc(cap);
	if (!out)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 1 < n && s[i + 1] == 'L') {
			memcpy(out + len, list_path, plen);
			len += plen;
			i++;
		} else {
			out[len++] = (char)s[i];
		}
	}
	out[len] = '\0';
	*outlen = len;
	return out;
}

static void write_file(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s, 1, n, f) != n || fclose(f) != 0)
		abort();
}

/* Splits the input at SEP; returns the number of parts (at most max). */
static size_t split(const uint8_t *data, size_t size, const uint8_t **part, size_t *plen, size_t max)
{
	size_t n = 0;
	while (n + 1 < max) {
		const uint8_t *sep = memmem(data, size, SEP, strlen(SEP));
		if (!sep)
			break;
		part[n] = data;
		plen[n++] = (size_t)(sep - data);
		size -= (size_t)(sep - data) + strlen(SEP);
		data = sep + strlen(SEP);
	}
	part[n] = data;
	plen[n++] = size;
	return n;
}

/* True when the text before the first ':' of err names the file at path, however the
 * configuration spelled it ("file://tmp/x" names /tmp/x as "//tmp/x"). */
static bool names_file(const char *err, const char *path)
{
	char prefix[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	const char *colon = strchr(err, ':');
	if (!colon || (size_t)(colon - err) >= sizeof(prefix))
		return false;
	memcpy(prefix, err, (size_t)(colon - err));
	prefix[colon - err] = '\0';
	return realpath(prefix, a) && realpath(path, b) && strcmp(a, b) == 0;
}

static void check_error(const char *err, size_t errlen)
{
	size_t n = fuzz_check_buffer("config error", err, errlen);
	FUZZ_ASSERT(n > 0);
	if (!names_file(err, conf_path) && !names_file(err, list_path) && strncmp(err, "-o ", 3) != 0) {
		fprintf(stderr, "config error without a location: %s\n", err);
		abort();
	}
}

/* A result with a name and a reason, as a check would make it. */
static void sample_result(struct fcr_check_result *r, struct fcr_name *nm, enum fcr_result res)
{
	static fcr_addr addr = { AF_INET6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	memset(r, 0, sizeof(*r));
	memset(nm, 0, sizeof(*nm));
	nm->name = (char *)"mail.example.";
	nm->valid = true;
	nm->addrs = &addr;
	nm->naddrs = 1;
	nm->confirms = res == FCR_PASS;
	r->addr = addr;
	r->result = res;
	r->names = nm;
	r->nnames = 1;
	r->ptr_total = 1;
	r->confirmed = res == FCR_PASS ? 0 : -1;
	snprintf(r->reason, sizeof(r->reason), "fuzz");
}

/* What an accepted configuration makes: printable headers, replies and log line, valid JSON. */
static void check_outputs(const struct fcr_config *c, enum fcr_result res)
{
	struct fcr_check_result r;
	struct fcr_name nm;
	struct fcr_trace_ctx ctx = { .conf = c };
	char buf[4096];

	sample_result(&r, &nm, res);
	fuzz_check_buffer("Authentication-Results", fcr_format_authres(c, &r, buf, sizeof(buf)),
	                  sizeof(buf));
	fuzz_check_buffer("reject reply", fcr_format_reply_text(&c->reject_reply, &r, buf, sizeof(buf)),
	                  sizeof(buf));
	fuzz_check_buffer("tempfail reply",
	                  fcr_format_reply_text(&c->tempfail_reply, &r, buf, sizeof(buf)), sizeof(buf));
	fuzz_check_buffer("summary", fcr_trace_summary(&ctx, &r, buf, sizeof(buf)), sizeof(buf));

	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		abort();
	fcr_trace_json(m, &ctx, &r);
	fclose(m);
	FUZZ_ASSERT(len > 0 && text[len - 1] == '\n' && strlen(text) == len);
	fuzz_check_printable("JSON trace", text, len - 1, NULL);
	fuzz_check_json("JSON trace", text);
	free(text);
}

static void check_config(const struct fcr_config *c)
{
	FUZZ_ASSERT(c->nns <= FCR_MAX_NS);
	FUZZ_ASSERT(c->max_ptr_names >= 1);
	FUZZ_ASSERT(c->error_cache_ttl >= 1 && c->error_cache_ttl <= 300);
	FUZZ_ASSERT(c->exempt_hosts != NULL);
	FUZZ_ASSERT(c->authserv_id && c->result_header && c->score_header);
	FUZZ_ASSERT(c->reject_reply.text && c->tempfail_reply.text);
	for (size_t i = 0; i < FCR_NRESULTS; i++)
		FUZZ_ASSERT(isfinite(c->score[i]) && (unsigned)c->on[i] <= FCR_REJECT);
	FUZZ_ASSERT(isfinite(c->score_generic));
	check_outputs(c, FCR_PASS);
	check_outputs(c, FCR_TEMPERROR);
}

/* Names a pattern may backtrack on without end: long runs of one letter, dots, digits, escapes. */
static void hostile_names(const fcr_generic *g, const uint8_t *seed, size_t n)
{
	char name[600];
	fcr_addr a = { AF_INET, { 192, 0, 2, 1 } };
	bool limited;

	for (int k = 0; k < 4; k++) {
		size_t len = 0;
		char c = "a0x-"[k];
		while (len < 253) {
			size_t run = len + 63 < 253 ? 63 : 253 - len;
			memset(name + len, c, run);
			len += run;
			if (len < 253)
				name[len++] = '.';
		}
		name[len] = '\0';
		fcr_generic_judge(g, name, &a, &limited);
	}
	/* the first bytes of the pattern file itself, as a name: patterns meet text made for them */
	size_t len = n < 255 ? n : 255;
	for (size_t i = 0; i < len; i++)
		name[i] = seed[i] ? (char)seed[i] : 'a';
	name[len] = '\0';
	fcr_generic_judge(g, name, &a, &limited);
	fcr_generic_match(g, "\\000\\255.\\046x.example", &a);
}

/* The second file as a GenericPatterns file, then as a GenericNames file: an error says "path:"
 * or "path:line:" and is printable apart from the path; a set that loads matches hostile names
 * within its limits. */
static void check_patterns(const uint8_t *text, size_t n)
{
	for (int as_names = 0; as_names < 2; as_names++) {
		char err[512];
		memset(err, 'X', sizeof(err));
		fcr_generic *g = fcr_generic_new(as_names ? NULL : list_path, as_names ? list_path : NULL,
		                                 err, sizeof(err));
		if (!g) {
			size_t len = fuzz_check_buffer("pattern error", err, sizeof(err));
			size_t plen = strlen(list_path);
			FUZZ_ASSERT(len > plen + 1 && strncmp(err, list_path, plen) == 0 &&
			            err[plen] == ':');
			fuzz_check_printable("pattern error", err, len, NULL);
			continue;
		}
		hostile_names(g, text, n);
		fcr_generic_free(g);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[2 + MAX_OVERRIDES];
	size_t plen[2 + MAX_OVERRIDES], len;
	size_t nparts = split(data, size, part, plen, 2 + MAX_OVERRIDES);

	char *conf_text = expand(part[0], plen[0], &len);
	write_file(conf_path, conf_text, len);
	free(conf_text);
	if (nparts > 1) {
		write_file(list_path, (const char *)part[1], plen[1]);
		check_patterns(part[1], plen[1]);
	} else {
		unlink(list_path);
	}

	char *ov[MAX_OVERRIDES];
	size_t nov = nparts > 2 ? nparts - 2 : 0;
	for (size_t i = 0; i < nov; i++)
		ov[i] = expand(part[2 + i], plen[2 + i], &len);

	char err[1024];
	memset(err, 'X', sizeof(err));
	struct fcr_config *c = fcr_config_load(conf_path, (const char *const *)ov, nov, err,
	                                       sizeof(err));
	if (getenv("FCR_FUZZ_VERBOSE"))   /* to see what a reproducer does */
		fprintf(stderr, "fcr_config_load: %s\n", c ? "accepted" : err);
	if (c)
		check_config(c);
	else
		check_error(err, sizeof(err));
	fcr_config_free(c);
	for (size_t i = 0; i < nov; i++)
		free(ov[i]);
	return 0;
}
