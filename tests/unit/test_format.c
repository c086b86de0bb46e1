/* Unit tests for lib/format.c: exact header values, hostile names, truncation, JSON strings,
 * scores and reply texts. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

static struct fcr_config config(const char *authserv_id)
{
	struct fcr_config c;
	memset(&c, 0, sizeof(c));
	c.authserv_id = (char *)authserv_id;
	return c;
}

/* A result built by hand; names are borrowed from the test. */
static struct fcr_check_result result(const char *addr, enum fcr_result res, struct fcr_name *names,
                                      size_t n, int confirmed, const char *reason)
{
	struct fcr_check_result r;
	memset(&r, 0, sizeof(r));
	cr_assert(fcr_addr_parse(addr, &r.addr), "bad test address %s", addr);
	r.result = res;
	r.names = names;
	r.nnames = n;
	r.confirmed = confirmed;
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	return r;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Only printable ASCII, and every backslash starts a whole \xHH. */
static void assert_clean(const char *s)
{
	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		cr_assert(c >= 0x20 && c < 0x7f, "raw byte 0x%02x at %zu in %s", c, i, s);
		if (c == '\\')
			cr_assert(s[i + 1] == 'x' && is_hex(s[i + 2]) && is_hex(s[i + 3]),
			          "partial escape at %zu in %s", i, s);
	}
}

/* The comment of an Authentication-Results value: balanced, no raw specials inside. */
static void assert_comment_safe(const char *v)
{
	assert_clean(v);
	const char *open = strstr(v, " (");
	cr_assert_not_null(open, "no comment in %s", v);
	size_t len = strlen(v);
	cr_assert_eq(v[len - 1], ')', "comment not closed in %s", v);
	for (const char *p = open + 2; p < v + len - 1; p++)
		cr_assert(!strchr(";()\"", *p), "raw '%c' in comment of %s", *p, v);
}

Test(format, authres_ipv4_pass)
{
	struct fcr_config c = config("mx.example.org");
	struct fcr_name n[] = { { .name = "Mail.Example.COM.", .valid = true, .confirms = true } };
	struct fcr_check_result r = result("203.0.113.42", FCR_PASS, n, 1, 0, "confirmed");
	char buf[256];
	cr_expect_str_eq(fcr_format_authres(&c, &r, buf, sizeof(buf)),
	                 "mx.example.org; iprev=pass policy.iprev=203.0.113.42 (mail.example.com)");
}

Test(format, authres_ipv6_pass_is_quoted)
{
	struct fcr_config c = config("mx.example.org");
	struct fcr_name n[] = { { .name = "other.example.net.", .valid = true },
		                { .name = "mail6.example.com.", .valid = true, .confirms = true } };
	struct fcr_check_result r = result("2001:db8::1", FCR_PASS, n, 2, 1, "");
	char buf[256];
	cr_expect_str_eq(fcr_format_authres(&c, &r, buf, sizeof(buf)),
	                 "mx.example.org; iprev=pass policy.iprev=\"2001:db8::1\" (mail6.example.com)");
}

Test(format, authres_failures_carry_reason)
{
	struct fcr_config c = config("mx.example.org");
	struct fcr_name n[] = { { .name = "dsl-1.example.net.", .valid = true } };
	char buf[256];

	struct fcr_check_result r = result("203.0.113.42", FCR_FAIL, n, 1, -1, "no PTR name confirms");
	cr_expect_str_eq(fcr_format_authres(&c, &r, buf, sizeof(buf)),
	                 "mx.example.org; iprev=fail policy.iprev=203.0.113.42 (no PTR name confirms)");

	r = result("203.0.113.42", FCR_PERMERROR, NULL, 0, -1, "no PTR record");
	cr_expect_str_eq(fcr_format_authres(&c, &r, buf, sizeof(buf)),
	                 "mx.example.org; iprev=permerror policy.iprev=203.0.113.42 (no PTR record)");

	r = result("2001:db8::25", FCR_TEMPERROR, NULL, 0, -1, "PTR lookup: servfail (upstream)");
	cr_expect_str_eq(fcr_format_authres(&c, &r, buf, sizeof(buf)),
	                 "mx.example.org; iprev=temperror policy.iprev=\"2001:db8::25\" "
	                 "(PTR lookup: servfail \\x28upstream\\x29)");

	/* no reason at all: the result names itself */
	r = result("203.0.113.42", FCR_TEMPERROR, NULL, 0, -1, "");
	cr_expect_str_eq(fcr_format_authres(&c, &r, buf, sizeof(buf)),
	                 "mx.example.org; iprev=temperror policy.iprev=203.0.113.42 (temperror)");

	/* a confirmed index on a non-pass result is ignored: the comment is the reason */
	r = result("203.0.113.42", FCR_FAIL, n, 1, 0, "mismatch");
	cr_expect_str_eq(fcr_format_authres(&c, &r, buf, sizeof(buf)),
	                 "mx.example.org; iprev=fail policy.iprev=203.0.113.42 (mismatch)");
}

Test(format, authres_authserv_id_is_a_token)
{
	struct fcr_config c = config("mx (bad); id\r\n");
	struct fcr_check_result r = result("203.0.113.42", FCR_PERMERROR, NULL, 0, -1, "no PTR record");
	char buf[256];
	cr_expect_str_eq(fcr_format_authres(&c, &r, buf, sizeof(buf)),
	                 "mxbadid; iprev=permerror policy.iprev=203.0.113.42 (no PTR record)");
}

Test(format, authres_hostile_names_and_reasons)
{
	struct fcr_config c = config("mx.example.org");
	char buf[512];

	/* as ldns prints them: escaped specials and octets */
	struct fcr_name n1[] = { { .name = "a\\(b\\;c\\\"d\\\\e\\200f\\010g\\).Example.", .valid = true } };
	struct fcr_check_result r = result("203.0.113.42", FCR_PASS, n1, 1, 0, "");
	fcr_format_authres(&c, &r, buf, sizeof(buf));
	cr_expect_str_eq(buf, "mx.example.org; iprev=pass policy.iprev=203.0.113.42 "
	                      "(a\\x28b\\x3bc\\x22d\\x5ce\\xc8f\\x0ag\\x29.example)");
	assert_comment_safe(buf);

	/* raw, as a careless caller might pass them (a backslash still starts an escape) */
	struct fcr_name n2[] = { { .name = "x(y);z\"w\\\x01\xff\x7f q.example.", .valid = true } };
	r = result("203.0.113.42", FCR_PASS, n2, 1, 0, "");
	fcr_format_authres(&c, &r, buf, sizeof(buf));
	cr_expect_str_eq(buf, "mx.example.org; iprev=pass policy.iprev=203.0.113.42 "
	                      "(x\\x28y\\x29\\x3bz\\x22w\\x01\\xff\\x7f\\x20q.example)");
	assert_comment_safe(buf);

	r = result("203.0.113.42", FCR_FAIL, NULL, 0, -1, "bad \"name\" (a;b) \\ \r\n\t\x80\xff");
	fcr_format_authres(&c, &r, buf, sizeof(buf));
	cr_expect_str_eq(buf, "mx.example.org; iprev=fail policy.iprev=203.0.113.42 "
	                      "(bad \\x22name\\x22 \\x28a\\x3bb\\x29 \\x5c \\x0d\\x0a\\x09\\x80\\xff)");
	assert_comment_safe(buf);

	/* a reason that fills its array without a terminator is read no further */
	r = result("203.0.113.42", FCR_FAIL, NULL, 0, -1, "");
	memset(r.reason, 'r', sizeof(r.reason));
	fcr_format_authres(&c, &r, buf, sizeof(buf));
	cr_expect_eq(strlen(buf), strlen("mx.example.org; iprev=fail policy.iprev=203.0.113.42 ()") +
	                              sizeof(r.reason));
	assert_comment_safe(buf);
}

Test(format, authres_truncation)
{
	struct fcr_config c = config("mx.example.org");
	struct fcr_name n[] = { { .name = "\\200\\201\\202.example.", .valid = true } };
	struct fcr_check_result r = result("2001:db8::1", FCR_PASS, n, 1, 0, "");
	char full[256];
	fcr_format_authres(&c, &r, full, sizeof(full));
	cr_assert_str_eq(full, "mx.example.org; iprev=pass policy.iprev=\"2001:db8::1\" "
	                       "(\\xc8\\xc9\\xca.example)");
	for (size_t len = 1; len <= strlen(full) + 1; len++) {
		char buf[256];
		memset(buf, 'Z', sizeof(buf));
		fcr_format_authres(&c, &r, buf, len);
		size_t got = strlen(buf);
		cr_assert_lt(got, len, "len %zu: not terminated", len);
		cr_assert_eq(buf[len], 'Z', "len %zu: wrote past the buffer", len);
		assert_clean(buf);
		const char *open = strstr(buf, " (");
		if (open) {
			/* a started comment is always closed, the rest is a prefix of the full value */
			cr_assert_eq(buf[got - 1], ')', "len %zu: %s", len, buf);
			cr_assert(strncmp(buf, full, got - 1) == 0, "len %zu: %s", len, buf);
		} else {
			cr_assert(strncmp(buf, full, got) == 0, "len %zu: %s", len, buf);
		}
	}
	char one = 'Z';
	fcr_format_authres(&c, &r, &one, 0);
	cr_expect_eq(one, 'Z');
}

Test(format, result_header)
{
	char buf[256];
	struct fcr_name n[] = { { .name = "203.0.113.42.", .valid = false },
		                { .name = "DSL-1.Example.NET.", .valid = true, .generic = true },
		                { .name = "mail.example.com.", .valid = true, .confirms = true } };

	struct fcr_check_result r = result("203.0.113.42", FCR_PASS, n, 3, 2, "");
	cr_expect_str_eq(fcr_format_result_header(NULL, &r, buf, sizeof(buf)),
	                 "pass ip=203.0.113.42 ptr=mail.example.com");

	r = result("203.0.113.42", FCR_FAIL, n + 1, 2, -1, "mismatch");
	r.generic = true;
	cr_expect_str_eq(fcr_format_result_header(NULL, &r, buf, sizeof(buf)),
	                 "fail ip=203.0.113.42 ptr=dsl-1.example.net generic=yes");

	/* the first PTR name, valid or not */
	r = result("203.0.113.42", FCR_FAIL, n, 3, -1, "mismatch");
	cr_expect_str_eq(fcr_format_result_header(NULL, &r, buf, sizeof(buf)),
	                 "fail ip=203.0.113.42 ptr=203.0.113.42");

	r = result("203.0.113.42", FCR_PERMERROR, NULL, 0, -1, "no PTR record");
	cr_expect_str_eq(fcr_format_result_header(NULL, &r, buf, sizeof(buf)), "permerror ip=203.0.113.42");

	r = result("2001:db8::1", FCR_TEMPERROR, NULL, 0, -1, "timeout");
	cr_expect_str_eq(fcr_format_result_header(NULL, &r, buf, sizeof(buf)), "temperror ip=2001:db8::1");

	r = result("2001:db8::1", FCR_PASS, n + 2, 1, 0, "");
	r.generic = true;
	cr_expect_str_eq(fcr_format_result_header(NULL, &r, buf, sizeof(buf)),
	                 "pass ip=2001:db8::1 ptr=mail.example.com generic=yes");
}

/* Hostile bytes in a name are escaped; a name that is only the root is no name. */
Test(format, result_header_odd_names)
{
	char buf[256];
	struct fcr_check_result r;
	struct fcr_name h[] = { { .name = "a b\\000\x80\r\n.example.", .valid = false } };
	r = result("203.0.113.42", FCR_FAIL, h, 1, -1, "");
	fcr_format_result_header(NULL, &r, buf, sizeof(buf));
	cr_expect_str_eq(buf, "fail ip=203.0.113.42 ptr=a\\x20b\\x00\\x80\\x0d\\x0a.example");
	assert_clean(buf);

	/* a name that is just the root is no name */
	struct fcr_name root[] = { { .name = ".", .valid = false } };
	r = result("203.0.113.42", FCR_FAIL, root, 1, -1, "");
	cr_expect_str_eq(fcr_format_result_header(NULL, &r, buf, sizeof(buf)), "fail ip=203.0.113.42");
}

Test(format, name)
{
	char buf[128];
	cr_expect_str_eq(fcr_format_name("Mail.EXAMPLE.com.", buf, sizeof(buf)), "mail.example.com");
	cr_expect_str_eq(fcr_format_name("mail.example.com", buf, sizeof(buf)), "mail.example.com");
	cr_expect_str_eq(fcr_format_name(".", buf, sizeof(buf)), "");
	cr_expect_str_eq(fcr_format_name("", buf, sizeof(buf)), "");
	cr_expect_str_eq(fcr_format_name(NULL, buf, sizeof(buf)), "");
	cr_expect_str_eq(fcr_format_name("a b.", buf, sizeof(buf)), "a\\x20b");
	cr_expect_str_eq(fcr_format_name("\\000x.", buf, sizeof(buf)), "\\x00x");
	cr_expect_str_eq(fcr_format_name("a\\.b.", buf, sizeof(buf)), "a\\x2eb");
	cr_expect_str_eq(fcr_format_name("a\\.", buf, sizeof(buf)), "a\\x2e");
	cr_expect_str_eq(fcr_format_name("back\\\\slash.", buf, sizeof(buf)), "back\\x5cslash");
	cr_expect_str_eq(fcr_format_name("x\\", buf, sizeof(buf)), "x\\x5c");
	cr_expect_str_eq(fcr_format_name("\\065B", buf, sizeof(buf)), "\\x61b");
	cr_expect_str_eq(fcr_format_name("a\\999", buf, sizeof(buf)), "a\\x3999");
	cr_expect_str_eq(fcr_format_name("\xc3\xa9t\xc3\xa9.example.", buf, sizeof(buf)),
	                 "\\xc3\\xa9t\\xc3\\xa9.example");
	cr_expect_str_eq(fcr_format_name("del\x7f;(x)\".", buf, sizeof(buf)), "del\\x7f;(x)\"");
}

Test(format, name_truncation)
{
	char buf[16];
	memset(buf, 'Z', sizeof(buf));
	cr_expect_str_eq(fcr_format_name("\\000\\000", buf, 6), "\\x00");
	cr_expect_eq(buf[6], 'Z');
	cr_expect_str_eq(fcr_format_name("\\000\\000", buf, 8), "\\x00");
	cr_expect_str_eq(fcr_format_name("\\000\\000", buf, 9), "\\x00\\x00");
	cr_expect_str_eq(fcr_format_name("\\000", buf, 5), "\\x00");
	cr_expect_str_eq(fcr_format_name("\\000", buf, 4), "");
	cr_expect_str_eq(fcr_format_name("ab\\000cd", buf, 5), "ab");
	cr_expect_str_eq(fcr_format_name("abcdef", buf, 4), "abc");
	cr_expect_str_eq(fcr_format_name("abcdef", buf, 1), "");
	buf[0] = 'Z';
	fcr_format_name("abcdef", buf, 0);
	cr_expect_eq(buf[0], 'Z');
}

Test(format, json_string)
{
	char buf[128];
	cr_expect_str_eq(fcr_format_json_string("mail.example.com", buf, sizeof(buf)),
	                 "\"mail.example.com\"");
	cr_expect_str_eq(fcr_format_json_string("", buf, sizeof(buf)), "\"\"");
	cr_expect_str_eq(fcr_format_json_string(NULL, buf, sizeof(buf)), "\"\"");
	cr_expect_str_eq(fcr_format_json_string("a\"b\\c\nd\x01\xc3\xa9\x7f/", buf, sizeof(buf)),
	                 "\"a\\\"b\\\\c\\u000ad\\u0001\\u00c3\\u00a9\\u007f/\"");
}

/* A truncated JSON string is still a whole literal whose content is a prefix of the full one. */
static void check_json_prefix(const char *got, const char *full, size_t len)
{
	size_t n = strlen(got);
	cr_assert_lt(n, len);
	if (len < 3) {
		cr_assert_eq(n, 0, "len %zu: %s", len, got);
		return;
	}
	cr_assert(n >= 2 && got[0] == '"' && got[n - 1] == '"', "len %zu: %s", len, got);
	cr_assert(strncmp(got, full, n - 1) == 0, "len %zu: %s", len, got);
	for (size_t i = 1; i + 1 < n; i++) {
		if (got[i] != '\\')
			continue;
		if (got[i + 1] == 'u') {
			cr_assert(i + 5 < n - 1 && got[i + 2] == '0' && got[i + 3] == '0' &&
			          is_hex(got[i + 4]) && is_hex(got[i + 5]), "len %zu: cut escape in %s", len,
			          got);
			i += 5;
		} else {
			cr_assert(i + 1 < n - 1 && (got[i + 1] == '"' || got[i + 1] == '\\'),
			          "len %zu: cut escape in %s", len, got);
			i += 1;
		}
	}
}

Test(format, json_string_truncation)
{
	const char *s = "x\"\x01y\\\xff";
	char full[64];
	fcr_format_json_string(s, full, sizeof(full));
	cr_assert_str_eq(full, "\"x\\\"\\u0001y\\\\\\u00ff\"");
	for (size_t len = 1; len <= strlen(full) + 1; len++) {
		char buf[64];
		memset(buf, 'Z', sizeof(buf));
		fcr_format_json_string(s, buf, len);
		cr_assert_eq(buf[len], 'Z');
		check_json_prefix(buf, full, len);
	}
}

Test(format, score)
{
	static const struct {
		double v;
		const char *text;
	} t[] = {
		{ 3, "3" },         { -1.5, "-1.5" },    { 0.25, "0.25" },   { 0, "0" },
		{ -0.0, "0" },      { 1, "1" },          { 100, "100" },     { -7, "-7" },
		{ 0.1, "0.1" },     { 1.1, "1.1" },      { 2.675, "2.675" }, { -0.001, "-0.001" },
		{ 1234567.125, "1234567.125" },          { 0.1 + 0.2, "0.3" },
		{ 2.5 + 1, "3.5" }, { 1e15, "1000000000000000" },
		{ 9007199254740992.0, "9007199254740992" },
	};
	char buf[64];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_str_eq(fcr_format_score(t[i].v, buf, sizeof(buf)), t[i].text, "score #%zu", i);
	cr_expect_str_eq(fcr_format_score(NAN, buf, sizeof(buf)), "0");
	cr_expect_str_eq(fcr_format_score(INFINITY, buf, sizeof(buf)), "0");
	cr_expect_str_eq(fcr_format_score(-INFINITY, buf, sizeof(buf)), "0");
	/* a number that does not fit is left out, not cut into another number */
	cr_expect_str_eq(fcr_format_score(-1.5, buf, 5), "-1.5");
	cr_expect_str_eq(fcr_format_score(-1.5, buf, 4), "");
	cr_expect_str_eq(fcr_format_score(12, buf, 2), "");
	buf[0] = 'Z';
	fcr_format_score(1, buf, 0);
	cr_expect_eq(buf[0], 'Z');
	/* a tiny value never prints as garbage */
	fcr_format_score(1e-30, buf, sizeof(buf));
	cr_expect_str_eq(buf, "0");
	char big[512];
	fcr_format_score(-1e300, big, sizeof(big));
	cr_expect_eq(big[0], '-');
	cr_expect_eq(strlen(big), 302);
	cr_expect_eq(strspn(big + 1, "0123456789"), strlen(big) - 1);
}

Test(format, reply_text)
{
	char buf[256];
	struct fcr_smtp_reply rep = { "550", "5.7.25", "Client %a has no valid reverse DNS (%n), 100%% sure" };
	struct fcr_name n[] = { { .name = "bad_name..", .valid = false },
		                { .name = "Dsl-1.Example.NET.", .valid = true },
		                { .name = "mail.example.com.", .valid = true, .confirms = true } };

	struct fcr_check_result r = result("203.0.113.42", FCR_FAIL, n, 2, -1, "");
	cr_expect_str_eq(fcr_format_reply_text(&rep, &r, buf, sizeof(buf)),
	                 "Client 203.0.113.42 has no valid reverse DNS (dsl-1.example.net), 100% sure");

	r = result("2001:db8::1", FCR_PASS, n, 3, 2, "");
	cr_expect_str_eq(fcr_format_reply_text(&rep, &r, buf, sizeof(buf)),
	                 "Client 2001:db8::1 has no valid reverse DNS (mail.example.com), 100% sure");

	r = result("203.0.113.42", FCR_PERMERROR, NULL, 0, -1, "");
	cr_expect_str_eq(fcr_format_reply_text(&rep, &r, buf, sizeof(buf)),
	                 "Client 203.0.113.42 has no valid reverse DNS (unknown), 100% sure");

	/* only invalid names: unknown */
	r = result("203.0.113.42", FCR_FAIL, n, 1, -1, "");
	cr_expect_str_eq(fcr_format_reply_text(&rep, &r, buf, sizeof(buf)),
	                 "Client 203.0.113.42 has no valid reverse DNS (unknown), 100% sure");
}

Test(format, reply_text_hostile)
{
	char buf[256];
	struct fcr_smtp_reply rep = { "450", "4.7.25", "try %n later\r\n%x %" };
	struct fcr_name n[] = { { .name = "a%s\\013\\010.Example.", .valid = true } };
	struct fcr_check_result r = result("203.0.113.42", FCR_FAIL, n, 1, -1, "");
	fcr_format_reply_text(&rep, &r, buf, sizeof(buf));
	cr_expect_str_eq(buf, "try a\\x25s\\x0d\\x0a.example later\\x0d\\x0a%x %");
	cr_expect_null(strchr(buf, '\r'));
	cr_expect_null(strchr(buf, '\n'));
	assert_clean(buf);

	struct fcr_smtp_reply none = { "550", "5.7.25", NULL };
	cr_expect_str_eq(fcr_format_reply_text(&none, &r, buf, sizeof(buf)), "");

	/* truncation keeps escapes whole */
	rep.text = "%n";
	cr_expect_str_eq(fcr_format_reply_text(&rep, &r, buf, 7), "a\\x25s");
	cr_expect_str_eq(fcr_format_reply_text(&rep, &r, buf, 6), "a\\x25");
	cr_expect_str_eq(fcr_format_reply_text(&rep, &r, buf, 5), "a");
}
