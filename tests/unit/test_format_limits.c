/* Unit tests for lib/format.c, line limits: with a 255-octet PTR name of non-LDH bytes every header
 * line stays within 998 bytes and every reply line within 512, shortened at whole escapes. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "format.h"

/* A 255-octet name in presentation form: labels of 63, 63, 63 and 48 bytes of 0x80 (escaped
 * \128 as ldns prints it), then test.example. (64 * 3 + 49 + 5 + 8 + 1 = 255 octets). */
static void hostile_name(char *out, size_t len)
{
	static const size_t labels[] = { 63, 63, 63, 48 };
	size_t o = 0;
	for (size_t l = 0; l < 4; l++) {
		for (size_t i = 0; i < labels[l]; i++)
			o += (size_t)snprintf(out + o, len - o, "\\128");
		out[o++] = '.';
	}
	snprintf(out + o, len - o, "test.example.");
}

/* A 253-byte host name of 63-byte LDH labels: valid, so it may stand in a reply's %n. */
static void long_host_name(char *out)
{
	memset(out, 'a', 253);
	out[63] = out[127] = out[191] = '.';
	out[253] = '\0';
}

static struct fcr_check_result result(const char *addr, enum fcr_result res, struct fcr_name *n,
                                      int confirmed)
{
	struct fcr_check_result r;
	memset(&r, 0, sizeof(r));
	cr_assert(fcr_addr_parse(addr, &r.addr));
	r.result = res;
	r.names = n;
	r.nnames = 1;
	r.confirmed = confirmed;
	return r;
}

/* s ends with a whole \xHH escape or a plain character before FCR_SHORTENED, and what comes
 * before the marker is a prefix of the whole formatted name. */
static void assert_shortened(const char *s, size_t n, const char *whole)
{
	size_t mark = strlen(FCR_SHORTENED);
	cr_assert(n > mark && strncmp(s + n - mark, FCR_SHORTENED, mark) == 0, "no marker: %.*s",
	          (int)n, s);
	cr_assert(strncmp(s, whole, n - mark) == 0, "not a prefix of the name");
	for (size_t i = 0; i < n - mark; i++)
		if (s[i] == '\\')
			cr_assert(i + 4 <= n - mark && s[i + 1] == 'x', "escape cut at %zu", i);
}

Test(format_limits, result_header_of_a_255_octet_hostile_name)
{
	char pres[1200], whole[1200], buf[2048], hname[129];
	hostile_name(pres, sizeof(pres));
	fcr_format_name(pres, whole, sizeof(whole));
	cr_assert_gt(strlen("X-FCrDNS: temperror ip=2001:db8::1 ptr= generic=yes") + strlen(whole), 998,
	             "the test name must not fit as it is");
	struct fcr_name n = { .name = pres };
	struct fcr_check_result r = result("2001:db8::1", FCR_TEMPERROR, &n, -1);
	r.generic = true;

	memset(hname, 'X', 128);
	hname[128] = '\0';
	const char *names[] = { "X-FCrDNS", hname };
	for (size_t i = 0; i < 2; i++) {
		struct fcr_config c = { .result_header = (char *)names[i] };
		fcr_format_result_header(&c, &r, buf, sizeof(buf));
		size_t line = strlen(names[i]) + 2 + strlen(buf);
		cr_assert_leq(line, 998, "%s: a line of %zu bytes", names[i], line);
		cr_assert_geq(line, 998 - 3 - 4, "%s: shortened more than needed (%zu)", names[i], line);
		const char *pre = "temperror ip=2001:db8::1 ptr=", *post = " generic=yes";
		size_t len = strlen(buf);
		cr_assert(strncmp(buf, pre, strlen(pre)) == 0, "%s", buf);
		cr_assert(strcmp(buf + len - strlen(post), post) == 0, "generic=yes lost");
		assert_shortened(buf + strlen(pre), len - strlen(pre) - strlen(post), whole);
	}
}

Test(format_limits, authres_comment_stays_within_the_line)
{
	char pres[1200], whole[1200], buf[2048], id[256];
	hostile_name(pres, sizeof(pres));
	fcr_format_name(pres, whole, sizeof(whole));
	memset(id, 'm', 255);
	id[255] = '\0';
	struct fcr_config c = { .authserv_id = id };
	struct fcr_name n = { .name = pres, .valid = true, .confirms = true };
	struct fcr_check_result r = result("2001:db8::1", FCR_PASS, &n, 0);

	fcr_format_authres(&c, &r, buf, sizeof(buf));
	size_t line = strlen("Authentication-Results: ") + strlen(buf);
	cr_assert_leq(line, 998, "a line of %zu bytes", line);
	char *open = strstr(buf, " (");
	cr_assert_not_null(open);
	size_t len = strlen(buf);
	cr_assert_eq(buf[len - 1], ')', "comment not closed");
	assert_shortened(open + 2, (size_t)(buf + len - 1 - (open + 2)), whole);
}

Test(format_limits, reply_with_several_names)
{
	char host[254], buf[1024], line[1200];
	long_host_name(host);
	struct fcr_name n = { .name = host, .valid = true };
	struct fcr_check_result r = result("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", FCR_FAIL, &n, -1);
	struct fcr_smtp_reply rep = { "550", "5.999.999", "Rejected %a: %n, %n and %n (100%%)" };

	fcr_format_reply_text(&rep, &r, buf, sizeof(buf));
	int k = snprintf(line, sizeof(line), "%s %s %s\r\n", rep.code, rep.xcode, buf);
	cr_assert_leq(k, 512, "a reply line of %d bytes", k);
	cr_assert_geq(k, 512 - 3 * 3, "shortened more than needed (%d)", k);
	cr_assert(strncmp(buf, "Rejected 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff: ", 49) == 0, "%s", buf);
	cr_assert(strcmp(buf + strlen(buf) - 7, " (100%)") == 0, "the end of the text lost: %s", buf);
	size_t marks = 0;
	for (const char *p = buf; (p = strstr(p, "a" FCR_SHORTENED)); p++)
		marks++;
	cr_assert_eq(marks, 3, "each %%n shortened: %s", buf);

	/* one name alone fits whole */
	rep.text = "%n";
	cr_assert_str_eq(fcr_format_reply_text(&rep, &r, buf, sizeof(buf)), host);
}

Test(format_limits, reply_names_cut_at_whole_escapes)
{
	char pres[1200], whole[1200], buf[1024];
	hostile_name(pres, sizeof(pres));
	fcr_format_name(pres, whole, sizeof(whole));
	struct fcr_name n = { .name = pres, .valid = true };  /* by hand: only valid names reach %n */
	struct fcr_check_result r = result("192.0.2.1", FCR_FAIL, &n, -1);
	struct fcr_smtp_reply rep = { "550", "5.7.25", "%n / %n" };

	fcr_format_reply_text(&rep, &r, buf, sizeof(buf));
	size_t line = 3 + 1 + 6 + 1 + strlen(buf) + 2;
	cr_assert_leq(line, 512, "a reply line of %zu bytes", line);
	char *sep = strstr(buf, " / ");
	cr_assert_not_null(sep, "%s", buf);
	assert_shortened(buf, (size_t)(sep - buf), whole);
	assert_shortened(sep + 3, strlen(sep + 3), whole);

	/* a smaller buffer still cuts to a prefix of the bounded text */
	char small[100];
	fcr_format_reply_text(&rep, &r, small, sizeof(small));
	cr_assert(strncmp(buf, small, strlen(small)) == 0 && strlen(small) > 90);
}
