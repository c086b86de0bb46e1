/* Limits on administrators' regular expressions: what passes, what is refused and why. */
#include <criterion/criterion.h>
#include <regex.h>
#include <string.h>

#include "pattern.h"

Test(pattern, ordinary_patterns_pass)
{
	const char *good[] = { "^mail-[0-9]+\\.badisp\\.example$", "\\.customers\\.example$",
	                       "^[a-z]+-[0-9]+\\.pool\\.example$", "(dsl|cable)[0-9]*\\.", "^(a+b)+c$",
	                       "x{1,64}", "[]a+*]+", "[[:digit:]]{2,3}", "\\++", "((ab)+c)?d" };
	char why[128];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert(fcr_pattern_acceptable(good[i], why, sizeof(why)), "%s: %s", good[i], why);
}

Test(pattern, explosive_patterns_are_refused)
{
	static const struct {
		const char *re, *why;
	} bad[] = {
		{ "a++", "quantifier on a quantifier" },
		{ "a+++++++++++++++++++++++", "quantifier on a quantifier" },
		{ "a*{2}", "quantifier on a quantifier" },
		{ "((a+)+)+", "nested too deeply" },
		{ "(((a)+)+)+", "nested too deeply" },
		{ "((((((((((((((((((((a))))))))))))))))))))+*", "quantifier on a quantifier" },
		{ "(a{1,100}){1,100}", "repeat bound" },
		{ "a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q+", "too many quantifiers" },
	};
	char why[128];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_not(fcr_pattern_acceptable(bad[i].re, why, sizeof(why)), "%s accepted", bad[i].re);
		cr_assert_neq(strstr(why, bad[i].why), NULL, "%s: '%s'", bad[i].re, why);
	}
	char longre[300];
	memset(longre, 'a', 299);
	longre[299] = '\0';
	cr_assert_not(fcr_pattern_acceptable(longre, why, sizeof(why)));
}

/* The worst shapes the limits allow still compile quickly into something small. */
Test(pattern, worst_accepted_shapes_compile)
{
	const char *worst[] = { "((a{1,64}){1,64})", "(a{1,64}b{1,64}c{1,64}d{1,64}){1,64}",
	                        "((a+)+b?c*d{0,64}e{1,64}f+g+h+i+j+k+l+m+n)" };
	char why[128];
	for (size_t i = 0; i < sizeof(worst) / sizeof(worst[0]); i++) {
		regex_t re;
		cr_assert(fcr_pattern_acceptable(worst[i], why, sizeof(why)), "%s: %s", worst[i], why);
		cr_assert_eq(regcomp(&re, worst[i], REG_EXTENDED | REG_ICASE | REG_NOSUB), 0, "%s", worst[i]);
		regfree(&re);
	}
}
