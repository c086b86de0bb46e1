/* Fuzz target: arbitrary names and addresses through the generic-name matcher (built-in rules, with
 * administrator patterns, with GenericNames rules) and its reasons, the name formatter, the host
 * name rules and the address parser.
 * Input: flags, the client address (4 or 16 bytes), then the name (cut at its first NUL). */
#include "fuzz.h"

#include "addr.h"
#include "dns.h"
#include "format.h"
#include "generic.h"
#include "hostname.h"

#include <netinet/in.h>
#include <unistd.h>

static fcr_generic *builtin, *patterns, *names;

static void write_temp(char *path, const char *text, size_t n)
{
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n)
		abort();
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char text[] = "# administrator patterns\n^(.*\\.)?dyn[0-9-]+\\.\n"
	                           "(^|[.-])[0-9a-f]{8}[.-]\n\n  ^x+y+z+$  \n";
	static const char rules[] = "# GenericNames\nsender \\.out\\.example$\n"
	                            "generic ^li[0-9]+-[0-9]+\\.\ngeneric ^s0106[0-9a-f]{12}\\.\n";
	char path[] = "/tmp/fcr-fuzz-generic.XXXXXX", rpath[] = "/tmp/fcr-fuzz-names.XXXXXX";
	char err[512];
	(void)argc;
	(void)argv;
	write_temp(path, text, sizeof(text) - 1);
	write_temp(rpath, rules, sizeof(rules) - 1);
	builtin = fcr_generic_new(NULL, NULL, err, sizeof(err));
	patterns = fcr_generic_new(path, NULL, err, sizeof(err));
	names = builtin && patterns ? fcr_generic_new(NULL, rpath, err, sizeof(err)) : NULL;
	unlink(path);
	unlink(rpath);
	if (!builtin || !patterns || !names) {
		fprintf(stderr, "fuzz_generic: setup failed: %s\n", err);
		abort();
	}
	return 0;
}

/* Every backslash starts a whole \xHH escape (lower-case hex), and nothing is upper-case or blank. */
static void check_escapes(const char *s)
{
	for (size_t i = 0; s[i]; i++) {
		FUZZ_ASSERT(s[i] != ' ' && (s[i] < 'A' || s[i] > 'Z'));
		if (s[i] != '\\')
			continue;
		FUZZ_ASSERT(s[i + 1] == 'x' && s[i + 2] && s[i + 3]);
		FUZZ_ASSERT(strchr("0123456789abcdef", s[i + 2]) && strchr("0123456789abcdef", s[i + 3]));
		i += 3;
	}
}

/* fcr_format_name in a big buffer and a cut one: printable, whole escapes, cut = prefix. */
static void check_format(const char *name, size_t small)
{
	size_t big = 4 * strlen(name) + 8;
	char *full = malloc(big), *cut = malloc(small);
	if (!full || !cut)
		abort();
	fcr_format_name(name, full, big);
	size_t n = fuzz_check_buffer("fcr_format_name", full, big);
	check_escapes(full);
	fcr_format_name(name, cut, small);
	size_t m = fuzz_check_buffer("fcr_format_name (cut)", cut, small);
	FUZZ_ASSERT(m <= n && strncmp(cut, full, m) == 0);
	check_escapes(cut);

	char *json = malloc(6 * big + 3);
	if (!json)
		abort();
	fcr_format_json_string(full, json, 6 * big + 3);
	fuzz_check_buffer("fcr_format_json_string", json, 6 * big + 3);
	fuzz_check_json("fcr_format_json_string", json);
	free(json);
	free(full);
	free(cut);
}

/* The same text as an address literal: if it parses, its canonical form parses back to it. */
static void check_addr_text(const char *text)
{
	fcr_addr a, b;
	char buf[FCR_ADDR_STRLEN], rev[FCR_REVNAME_LEN];

	if (!fcr_addr_parse(text, &a))
		return;
	FUZZ_ASSERT(a.family == AF_INET || a.family == AF_INET6);
	fcr_addr_format(&a, buf, sizeof(buf));
	fuzz_check_buffer("fcr_addr_format", buf, sizeof(buf));
	FUZZ_ASSERT(fcr_addr_parse(buf, &b) && fcr_addr_equal(&a, &b));
	fcr_addr_reverse_name(&a, rev, sizeof(rev));
	fuzz_check_buffer("fcr_addr_reverse_name", rev, sizeof(rev));
	FUZZ_ASSERT(fcr_hostname_valid(rev));
}

/* The verdict agrees with its tag, and the reason renders printable within any buffer. */
static void check_why(const char *name, const fcr_addr *a, uint8_t flags)
{
	struct fcr_generic_tag t;
	char why[256], tag[48];
	size_t small = 1u + (flags >> 1) % sizeof(why);
	bool yes = fcr_generic_explain(names, name, a, &t, NULL);
	FUZZ_ASSERT(yes == fcr_generic_tag_generic(t));
	FUZZ_ASSERT(yes == (t.kind == FCR_GENERIC_ADDRESS || t.kind == FCR_GENERIC_POOL_WORD ||
	                    t.kind == FCR_GENERIC_SHAPE || t.kind == FCR_GENERIC_PATTERN));
	fcr_generic_why(t, "P", "N", why, small);
	FUZZ_ASSERT(strlen(why) < small);
	fcr_generic_tag_short(t, tag, sizeof(tag));
	for (size_t i = 0; tag[i]; i++)
		FUZZ_ASSERT(tag[i] > ' ' && tag[i] < 0x7f);
	FUZZ_ASSERT(yes || t.kind != FCR_GENERIC_NONE || !fcr_generic_match(builtin, name, a));
}

/* Flags: bit 0 IPv6 client, bits 1-7 size of the cut buffer. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_u8(&in);
	fcr_addr a;
	memset(&a, 0, sizeof(a));
	a.family = flags & 1 ? AF_INET6 : AF_INET;
	for (size_t i = 0; i < (flags & 1 ? 16u : 4u); i++)
		a.bytes[i] = fuzz_u8(&in);

	char *name = malloc(in.n + 1);
	if (!name)
		abort();
	memcpy(name, in.p, in.n);
	name[in.n] = '\0';

	bool g = fcr_generic_match(builtin, name, &a);
	/* The administrator's patterns add to the built-in rules (generic.h). */
	FUZZ_ASSERT(!g || fcr_generic_match(patterns, name, &a));
	check_why(name, &a, flags);
	bool valid = fcr_hostname_valid(name);
	FUZZ_ASSERT(!valid || strlen(name) <= 254);
	FUZZ_ASSERT(fcr_name_equal(name, name));
	check_format(name, 1u + (flags >> 1));
	check_addr_text(name);
	free(name);
	return 0;
}
