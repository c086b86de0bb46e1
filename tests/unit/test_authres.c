/* RFC 8601 authserv-id parsing: every form a sender may use to forge our Authentication-Results
 * (token, quoted-string, comments, folding, a version), and values that are not ours. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"

#define ID "mx.example"

/* Values whose authserv-id is mx.example by the grammar of RFC 8601 §2.2 and RFC 5322 §3.2. */
Test(authres, ours_in_every_form)
{
	const char *ours[] = {
		"mx.example; iprev=pass",
		"mx.example;iprev=pass",
		"  mx.example ; iprev=pass",
		"MX.Example; iprev=pass",
		"mx.example 1; iprev=pass",              /* authres-version */
		"mx.example (c) 1 (d); iprev=pass",
		"mx.example(c); iprev=pass",
		"mx.example; none",
		"mx.example",
		"(forged) mx.example; iprev=pass",
		"(a) (b)mx.example; iprev=pass",
		"(a (nested (deep))) mx.example; iprev=pass",
		"(a\\)) mx.example; iprev=pass",        /* escaped ')' inside a comment */
		"(\\() mx.example; iprev=pass",         /* escaped '(' inside a comment */
		"(a\\\\) mx.example; iprev=pass",       /* an escaped backslash, then the real ')' */
		"(\"in a comment) mx.example; iprev=pass",  /* a quote means nothing in a comment */
		"\"mx.example\"; iprev=pass",
		"\"MX.EXAMPLE\" ; iprev=pass",
		"\"mx.e\\xample\"; iprev=pass",         /* quoted-pair inside the quoted-string */
		"(c)\"mx.example\"(d); iprev=pass",
		"\r\n\tmx.example; iprev=pass",          /* folding white space before it */
		" (x\r\n y)\r\n mx.example\r\n ; iprev=pass",
		"\n\tmx.example;\n\tiprev=pass",
	};
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		cr_assert(fcr_authres_is_from(ours[i], ID), "not recognised as ours: [%s]", ours[i]);
}

/* Values that are not ours: another id, a longer one, or no valid authserv-id at all. */
Test(authres, not_ours)
{
	const char *others[] = {
		"other.example; iprev=pass",
		"mx.example.evil; iprev=pass",           /* a prefix is not the id */
		"mx.exampl; iprev=pass",
		"xmx.example; iprev=pass",
		"\"mx.example.evil\"; iprev=pass",
		"\"mx.example \"; iprev=pass",           /* the space is part of the quoted content */
		"\"mx.\r\n example\"; iprev=pass",       /* folding keeps the space */
		"mx.example/x; iprev=pass",              /* a tspecial cannot follow the token */
		"mx.example\"; iprev=pass",
		"(mx.example) other.example; iprev=pass",
		"(unclosed mx.example; iprev=pass",      /* the comment swallows the rest */
		"(a\\) mx.example; iprev=pass",         /* the ')' is escaped: still in the comment */
		"((a) mx.example; iprev=pass",
		"\"mx.example; iprev=pass",              /* unbalanced quote */
		"\"mx.example\\\"; iprev=pass",         /* the closing quote is escaped */
		"(a\\",                                  /* a backslash at the very end */
		"\"a\\",
		"; iprev=pass",
		"",
		"   ",
		"(only a comment)",
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		cr_assert_not(fcr_authres_is_from(others[i], ID), "taken as ours: [%s]", others[i]);
	cr_assert_not(fcr_authres_is_from(NULL, ID));
	cr_assert_not(fcr_authres_is_from(ID "; none", NULL));
}

/* The id itself, decoded, and the status for values without one. */
Test(authres, authserv_id_text)
{
	char buf[64];
	cr_assert_eq(fcr_authres_authserv_id("(x) \"a\\\"b c\" 1; none", buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "a\"b c");
	cr_assert_eq(fcr_authres_authserv_id("\tExample.COM;", buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "Example.COM");
	cr_assert_eq(fcr_authres_authserv_id("(open", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(fcr_authres_authserv_id("\"open", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(fcr_authres_authserv_id("", buf, sizeof(buf)), 0);
}

/* An id longer than the buffer is reported, never cut into something that might match. */
Test(authres, long_ids)
{
	char buf[8], value[600];
	cr_assert_eq(fcr_authres_authserv_id("mx.example; none", buf, sizeof(buf)), -1);
	cr_assert_eq(strlen(buf), sizeof(buf) - 1);
	cr_assert_eq(fcr_authres_authserv_id("\"mx.example\"; none", buf, sizeof(buf)), -1);
	cr_assert_eq(strlen(buf), sizeof(buf) - 1);

	/* ours followed by 400 more token bytes: not ours, although the first 256 match */
	memset(value, 'a', 500);
	memcpy(value, ID, strlen(ID));
	strcpy(value + 500, "; none");
	char id[300];
	memcpy(id, value, 256);
	id[256] = '\0';
	cr_assert_not(fcr_authres_is_from(value, id));
	value[256] = ';';
	value[257] = '\0';
	cr_assert(fcr_authres_is_from(value, id), "a 256-byte id is read whole");
}

/* The parser stops at the NUL: a value that ends inside a construct is read no further. */
Test(authres, stops_at_the_end)
{
	const char *cut[] = { "(", "(\\", "\"", "\"\\", "((a)", "(a)\"mx.example" };
	char buf[64];
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		size_t n = strlen(cut[i]);
		char *v = malloc(n + 1);  /* exact size: ASan reports a read past the end */
		cr_assert_not_null(v);
		memcpy(v, cut[i], n + 1);
		cr_assert_eq(fcr_authres_authserv_id(v, buf, sizeof(buf)), 0, "[%s]", cut[i]);
		free(v);
	}
}
