/* Unit tests for the GenericNames file (lib/generic/names.c), the order in which the generic-name
 * rules decide, and the reasons they give (lib/generic/why.c). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_fixture.h"
#include "generic.h"

/* The verdict and the reason in words for name and address under g. */
static bool why_of(const fcr_generic *g, const char *name, const char *addr, char *why, size_t len)
{
	fcr_addr a;
	struct fcr_generic_tag t;
	cr_assert(fcr_addr_parse(addr, &a), "bad test address %s", addr);
	bool yes = fcr_generic_explain(g, name, &a, &t, NULL);
	cr_assert_eq(yes, fcr_generic_tag_generic(t), "%s: the verdict and its tag disagree", name);
	fcr_generic_why(t, "PATTERNS", "NAMES", why, len);
	return yes;
}

#define EXPECT_WHY(g, name, addr, verdict, text)                                                \
	do {                                                                                    \
		char w_[256];                                                                   \
		cr_expect_eq(why_of(g, name, addr, w_, sizeof(w_)), verdict, "%s: verdict", name); \
		cr_expect_str_eq(w_, text, "%s", name);                                         \
	} while (0)

static const char rules[] = "# test rules\n"
                            "sender \\.outbound\\.example\\.com$\n"
                            "\n"
                            "   # an indented comment is no rule\n"
                            "generic ^li[0-9]+-[0-9]+\\.members\\.example\\.net$\n"
                            "  generic\t^static\\.pool\\.example$  \n"
                            "generic ^mail[0-9]+\\.shape\\.example$\n";

Test(generic_names, rules_numbered_in_file_order_and_their_place_in_the_order)
{
	char *path = temp_text(rules), err[256] = "";
	fcr_generic *g = fcr_generic_new(NULL, path, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	/* a sender rule outweighs even the whole address */
	EXPECT_WHY(g, "mail-203000113042.outbound.example.com", "203.0.113.42", false,
	           "sender rule 1 of NAMES");
	EXPECT_WHY(g, "li1234-56.members.example.net", "203.0.113.42", true, "rule 2 of NAMES");
	EXPECT_WHY(g, "LI1234-56.Members.Example.NET.", "203.0.113.42", true, "rule 2 of NAMES");
	/* a shape outweighs "static", a server word outweighs a shape */
	EXPECT_WHY(g, "static.pool.example", "203.0.113.42", true, "rule 3 of NAMES");
	EXPECT_WHY(g, "mail7.shape.example", "203.0.113.42", false, "server word \"mail\"");
	/* the whole address comes before the shapes */
	EXPECT_WHY(g, "li203-0-113-42.members.example.net", "203.0.113.42", true,
	           "address embedded: decimal");
	EXPECT_WHY(g, "li1234-56.members.example.net.evil", "203.0.113.42", false, "");
	fcr_generic_free(g);
	drop(path);
}

Test(generic_names, administrator_patterns_come_first)
{
	char *names = temp_text(rules), *pats = temp_text("# site\n^never$\n\\.outbound\\.example\\.com$\n");
	char err[256] = "";
	fcr_generic *g = fcr_generic_new(pats, names, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	EXPECT_WHY(g, "mail-1.outbound.example.com", "203.0.113.42", true, "pattern 2 of PATTERNS");
	fcr_generic_free(g);
	drop(names);
	drop(pats);
}

static void expect_load_error(const char *text, const char *line, const char *why)
{
	char *path = temp_text(text), err[512] = "", want[128];
	cr_expect_null(fcr_generic_new(NULL, path, err, sizeof(err)), "accepted: %s", text);
	snprintf(want, sizeof(want), "%s:%s: ", path, line);
	cr_expect(strncmp(err, want, strlen(want)) == 0, "err: %s (want %s...)", err, want);
	if (why)
		cr_expect(strstr(err, why) != NULL, "err: %s (want %s)", err, why);
	drop(path);
}

Test(generic_names, bad_files)
{
	expect_load_error("generic ^ok$\nshape ^x$\n", "2", "\"generic\" or \"sender\"");
	expect_load_error("generics ^x$\n", "1", "\"generic\" or \"sender\"");
	expect_load_error("# c\ngeneric   \n", "2", "without a pattern");
	expect_load_error("sender\n", "1", "without a pattern");
	expect_load_error("generic ^ok$\n\ngeneric foo(\n", "3", NULL);
	expect_load_error("generic \x01x\n", "1", NULL);
	char err[256] = "";
	cr_expect_null(fcr_generic_new(NULL, "/nonexistent/generic-names", err, sizeof(err)));
	cr_expect(strncmp(err, "/nonexistent/generic-names: ", 28) == 0, "err: %s", err);
}

/* The shipped file loads, and every rule of it is used by some name of the labelled set or
 * documented above it (a syntax slip would fail here rather than at a site's start). */
Test(generic_names, shipped_file_loads)
{
	char err[512] = "";
	fcr_generic *g = fcr_generic_new(NULL, "conf/generic-names", err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	EXPECT_WHY(g, "mail-oln040092011058.outbound.protection.outlook.com", "40.92.11.58", false,
	           "sender rule 1 of NAMES");
	fcr_generic_free(g);
}

Test(generic_why, address_forms)
{
	char err[256] = "";
	fcr_generic *g = fcr_generic_new(NULL, NULL, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	EXPECT_WHY(g, "c-73-162-34-56.hsd1.ca.example.net", "73.162.34.56", true,
	           "address embedded: decimal");
	EXPECT_WHY(g, "static.56.34.12.95.clients.example.de", "95.12.34.56", true,
	           "address embedded: decimal, dotted, reversed");
	EXPECT_WHY(g, "d53-64-35-171.nap.example.com", "64.53.171.35", true,
	           "address embedded: decimal, pairs swapped");
	EXPECT_WHY(g, "ip56.ip-51-12-34.eu", "51.12.34.56", true,
	           "address embedded: decimal, rotated, split across labels");
	EXPECT_WHY(g, "34.12.ip-80-236.rev.example.fr", "80.236.12.34", true,
	           "address embedded: decimal, reordered, split across labels");
	EXPECT_WHY(g, "syn-024-012-034-056.res.example.com", "24.12.34.56", true,
	           "address embedded: decimal, zero-padded");
	EXPECT_WHY(g, "modemcable056.34-12-24.mc.example.ca", "24.12.34.56", true,
	           "address embedded: decimal, zero-padded, reversed, split across labels");
	EXPECT_WHY(g, "d51a5c4e2.access.example.be", "81.165.196.226", true, "address embedded: hex");
	EXPECT_WHY(g, "h2a7100cb.example.net", "203.0.113.42", true,
	           "address embedded: hex, reversed");
	EXPECT_WHY(g, "softbank126012034056.example.net", "126.12.34.56", true,
	           "address embedded: 12 digits");
	EXPECT_WHY(g, "bas1-toronto63-1177712345.dsl.example.ca", "70.50.118.217", true,
	           "address embedded: one 32-bit number");
	EXPECT_WHY(g, "p200300d5af1234005d8e1234abcd5678.dip0.example.de",
	           "2003:d5:af12:3400:5d8e:1234:abcd:5678", true, "address embedded: nibbles");
	EXPECT_WHY(g, "2a02-8108-1240-1234-1c2d-3e4f-5a6b-7c8d.dyn.example.de",
	           "2a02:8108:1240:1234:1c2d:3e4f:5a6b:7c8d", true, "address embedded: hextets");
	EXPECT_WHY(g, "host-1c2d3e4f5a6b7c8d.v6.example.net", "2001:db8:1:2:1c2d:3e4f:5a6b:7c8d",
	           true, "address embedded: nibbles, interface identifier");
	EXPECT_WHY(g, "2001-db8-12--34.example.net", "2001:db8:12::34", true,
	           "address embedded: compressed");
	fcr_generic_free(g);
}

Test(generic_why, words_and_none)
{
	char err[256] = "";
	fcr_generic *g = fcr_generic_new(NULL, NULL, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	EXPECT_WHY(g, "dsl-1.example.net", "198.51.100.7", true, "pool word \"dsl\"");
	EXPECT_WHY(g, "mx.dsl.example.net", "198.51.100.7", false, "server word \"mx\"");
	/* "static" tells a static pool from a dynamic one: it is no server word */
	EXPECT_WHY(g, "static.cable.example.net", "198.51.100.7", true, "pool word \"cable\"");
	EXPECT_WHY(g, "www.example.org", "198.51.100.7", false, "");
	/* part of the address is no address (an ESP's outbound name) */
	EXPECT_WHY(g, "mail-203-0-113.example.net", "203.0.113.42", false, "server word \"mail\"");
	EXPECT_WHY(g, "a113-42.smtp-out.example.com", "203.0.113.42", false, "server word \"smtp\"");
	EXPECT_WHY(g, "m113-42.example.com", "203.0.113.42", false, "");
	fcr_generic_free(g);
}

Test(generic_why, short_tags_and_size)
{
	char buf[48];
	struct fcr_generic_tag t = { FCR_GENERIC_ADDRESS, FCR_EMBED_DECIMAL | FCR_EMBED_REVERSED };
	cr_expect_str_eq(fcr_generic_tag_short(t, buf, sizeof(buf)), "address");
	t = (struct fcr_generic_tag){ FCR_GENERIC_POOL_WORD, 0 };
	cr_expect_str_eq(fcr_generic_tag_short(t, buf, sizeof(buf)), "pool:adsl");
	t = (struct fcr_generic_tag){ FCR_GENERIC_SHAPE, 12 };
	cr_expect_str_eq(fcr_generic_tag_short(t, buf, sizeof(buf)), "shape:12");
	t = (struct fcr_generic_tag){ FCR_GENERIC_PATTERN, 3 };
	cr_expect_str_eq(fcr_generic_tag_short(t, buf, sizeof(buf)), "pattern:3");
	cr_expect_str_eq(fcr_generic_why(t, "/etc/p", NULL, buf, sizeof(buf)), "pattern 3 of /etc/p");
	t = (struct fcr_generic_tag){ FCR_GENERIC_SENDER, 2 };
	cr_expect_str_eq(fcr_generic_tag_short(t, buf, sizeof(buf)), "sender:2");
	t = (struct fcr_generic_tag){ FCR_GENERIC_SERVER_WORD, 0 };
	cr_expect_str_eq(fcr_generic_tag_short(t, buf, sizeof(buf)), "server:mail");
	t = (struct fcr_generic_tag){ FCR_GENERIC_POOL_WORD, 60000 };
	cr_expect_str_eq(fcr_generic_why(t, NULL, NULL, buf, sizeof(buf)), "pool word \"?\"");
	t = (struct fcr_generic_tag){ 200, 1 };
	cr_expect_str_eq(fcr_generic_tag_short(t, buf, sizeof(buf)), "-");
	cr_expect_str_eq(fcr_generic_why(t, NULL, NULL, buf, sizeof(buf)), "");
	/* a cut buffer is still terminated */
	char tiny[6];
	t = (struct fcr_generic_tag){ FCR_GENERIC_ADDRESS, 0x7fff };
	fcr_generic_why(t, NULL, NULL, tiny, sizeof(tiny));
	cr_expect_eq(strlen(tiny), 5);
	/* a reason a cache can keep in four bytes */
	cr_expect(sizeof(struct fcr_generic_tag) <= 4);
}

/* GenericNames: the shipped file by default, used only where it is installed (as the default
 * configuration file); a named file must load; "none" turns the rules off. */
Test(generic_names, config_keyword)
{
	char err[512] = "";
	struct fcr_config *c = fcr_config_load("/dev/null", NULL, 0, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_expect_str_eq(c->generic_names, FCR_DEFAULT_GENERIC_NAMES);
	free(c->generic_names);
	c->generic_names = strdup("/nonexistent/generic-names");
	cr_expect_null(fcr_config_generic_names(c), "a missing default file is no error");
	c->generic_names_default = false;
	cr_expect_str_eq(fcr_config_generic_names(c), "/nonexistent/generic-names");
	fcr_config_free(c);

	const char *set[] = { "GenericNames=conf/generic-names" };
	c = fcr_config_load("/dev/null", set, 1, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_expect_str_eq(fcr_config_generic_names(c), "conf/generic-names");
	fcr_config_free(c);
	const char *none[] = { "GenericNames=conf/generic-names", "GenericNames=none" };
	c = fcr_config_load("/dev/null", none, 2, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_expect_null(fcr_config_generic_names(c));
	fcr_config_free(c);
	const char *bad[] = { "GenericNames=/nonexistent/generic-names" };
	cr_expect_null(fcr_config_load("/dev/null", bad, 1, err, sizeof(err)));
	cr_expect(strstr(err, "GenericNames: /nonexistent/generic-names: No such file") != NULL,
	          "err: %s", err);
}
