/* Checking outside text and escaping it before it is echoed: lib/text.c */
#include <criterion/criterion.h>
#include <string.h>

#include "text.h"

Test(text, printable_ascii_passes_unchanged)
{
	char out[64];
	cr_assert_str_eq(fcr_text_escape("127.0.0.1 ok", 100, out, sizeof(out)), "127.0.0.1 ok");
}

Test(text, control_bytes_backslash_and_high_bytes_are_escaped)
{
	char out[64];
	cr_assert_str_eq(fcr_text_escape("x\033]0;\a\\\xff", 100, out, sizeof(out)),
	                 "x\\x1b]0;\\x07\\x5c\\xff");
}

Test(text, nul_bytes_inside_counted_text_are_escaped)
{
	char out[64];
	cr_assert_str_eq(fcr_text_escape_n("a\0b", 3, 100, out, sizeof(out)), "a\\x00b");
}

Test(text, input_past_max_is_cut_with_dots)
{
	char out[64];
	cr_assert_str_eq(fcr_text_escape("abcdefgh", 3, out, sizeof(out)), "abc...");
}

Test(text, a_small_buffer_never_holds_half_an_escape)
{
	char out[9];
	fcr_text_escape("a\001\002\003", 100, out, sizeof(out));
	/* "a" + one whole escape fit with room for the NUL; a second escape would not */
	cr_assert_str_eq(out, "a\\x01...");
	cr_assert_lt(strlen(out), sizeof(out));
}

Test(text, zero_length_buffer_is_left_alone)
{
	char out[1] = { 'z' };
	fcr_text_escape("abc", 100, out, 0);
	cr_assert_eq(out[0], 'z');
}

Test(text, check_finds_nul_control_bytes_and_bad_utf8)
{
	static const char good[] = "plain\ttext caf\xc3\xa9";
	char why[96];

	cr_expect_null(fcr_text_check(good, sizeof(good) - 1, why, sizeof(why)));
	cr_expect_str_eq(fcr_text_check("ab\0c", 4, why, sizeof(why)), "NUL byte in column 3");
	cr_expect_str_eq(fcr_text_check("\x1b[2J", 4, why, sizeof(why)),
	                 "control character \\x1b in column 1");
	cr_expect_str_eq(fcr_text_check("x\xff", 2, why, sizeof(why)),
	                 "invalid UTF-8 (byte \\xff in column 2)");
}
