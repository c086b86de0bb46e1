/* Shared by the libFuzzer targets: reading structured values out of the fuzzer's bytes, and the
 * output checks (printable ASCII, well-formed JSON) that abort so that the fuzzer reports them. */
#ifndef FCR_FUZZ_H
#define FCR_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborting with a message: a broken invariant is a finding, exactly like a sanitizer report. */
#define FUZZ_ASSERT(cond)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                         \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);       \
			abort();                                                                           \
		}                                                                                      \
	} while (0)

/* The fuzzer's bytes, consumed front to back; reading past the end gives zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | fuzz_u8(in);
	return v;
}

/* A length-prefixed string (up to 255 bytes; an embedded NUL ends it early, as in C). */
static inline char *fuzz_str(struct fuzz_in *in)
{
	size_t len = fuzz_u8(in);
	if (len > in->n)
		len = in->n;
	char *s = malloc(len + 1);
	if (!s)
		abort();
	memcpy(s, in->p, len);
	s[len] = '\0';
	in->p += len;
	in->n -= len;
	return s;
}

/* Every byte of s[0..n) printable ASCII (0x20-0x7e) or listed in 'allow'. */
static inline void fuzz_check_printable(const char *what, const char *s, size_t n, const char *allow)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 0x20 && c <= 0x7e) || (c && allow && strchr(allow, c)))
			continue;
		fprintf(stderr, "%s: byte 0x%02x at offset %zu is not printable ASCII: \"%.*s\"\n", what,
		        c, i, (int)n, s);
		abort();
	}
}

/* A NUL-terminated result that fits its buffer: at most len - 1 bytes before the NUL. */
static inline size_t fuzz_check_buffer(const char *what, const char *buf, size_t len)
{
	size_t n = len ? strnlen(buf, len) : 0;
	if (len && n == len) {
		fprintf(stderr, "%s: no NUL within the %zu-byte buffer\n", what, len);
		abort();
	}
	fuzz_check_printable(what, buf, n, NULL);
	return n;
}

/* ---- a strict RFC 8259 checker, enough to prove that hostile names cannot break the JSON ---- */

static inline bool fuzz_json_value(const char **s, int depth);

static inline void fuzz_json_ws(const char **s)
{
	while (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r')
		(*s)++;
}

static inline bool fuzz_json_string(const char **s)
{
	if (**s != '"')
		return false;
	for ((*s)++; **s != '"'; (*s)++) {
		unsigned char c = (unsigned char)**s;
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		(*s)++;
		if (**s == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!(*s)[i] || !strchr("0123456789abcdefABCDEF", (*s)[i]))
					return false;
			*s += 4;
		} else if (!**s || !strchr("\"\\/bfnrt", **s)) {
			return false;
		}
	}
	(*s)++;
	return true;
}

static inline bool fuzz_json_number(const char **s)
{
	const char *p = *s;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return false;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		if (*++p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	*s = p;
	return true;
}

/* '{' members '}' or '[' elements ']'. */
static inline bool fuzz_json_container(const char **s, int depth)
{
	char close = **s == '{' ? '}' : ']';
	bool object = close == '}';
	(*s)++;
	fuzz_json_ws(s);
	if (**s == close) {
		(*s)++;
		return true;
	}
	for (;;) {
		fuzz_json_ws(s);
		if (object) {
			if (!fuzz_json_string(s))
				return false;
			fuzz_json_ws(s);
			if (*(*s)++ != ':')
				return false;
		}
		if (!fuzz_json_value(s, depth + 1))
			return false;
		fuzz_json_ws(s);
		if (**s == ',') {
			(*s)++;
			continue;
		}
		if (**s != close)
			return false;
		(*s)++;
		return true;
	}
}

static inline bool fuzz_json_value(const char **s, int depth)
{
	fuzz_json_ws(s);
	if (depth > 32)
		return false;
	switch (**s) {
	case '{':
	case '[':
		return fuzz_json_container(s, depth);
	case '"':
		return fuzz_json_string(s);
	case 't':
		return strncmp(*s, "true", 4) == 0 && (*s += 4);
	case 'f':
		return strncmp(*s, "false", 5) == 0 && (*s += 5);
	case 'n':
		return strncmp(*s, "null", 4) == 0 && (*s += 4);
	default:
		return fuzz_json_number(s);
	}
}

/* Aborts unless text is exactly one JSON value (surrounding white space allowed). */
static inline void fuzz_check_json(const char *what, const char *text)
{
	const char *s = text;
	bool ok = fuzz_json_value(&s, 0);
	if (ok) {
		fuzz_json_ws(&s);
		ok = *s == '\0';
	}
	if (!ok) {
		fprintf(stderr, "%s: not valid JSON at offset %td: %s\n", what, s - text, text);
		abort();
	}
}

#endif
