/* Host name syntax: what may be looked up and confirm a client. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "hostname.h"

Test(hostname, valid_names)
{
	const char *good[] = { "mail.example.com.", "mail.example.com", "a.b", "x-1.example.",
	                       "localhost.", "1st.example.com", "xn--bcher-kva.example." };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert(fcr_hostname_valid(good[i]), "rejected %s", good[i]);
}

Test(hostname, invalid_names)
{
	const char *bad[] = { "", ".", "203.0.113.42.", "1.2.3.4", "example.123", "bad_name.example.",
	                      "-lead.example.", "trail-.example.", "a..b.", "sp\\032ace.example.",
	                      "dot\\.inside.example.", "x.example..", NULL };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(fcr_hostname_valid(bad[i]), "accepted %s", bad[i] ? bad[i] : "NULL");
}

Test(hostname, length_limits)
{
	char label[70], name[300];
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.example.", label);
	cr_assert(fcr_hostname_valid(name), "63-octet label is fine");
	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(name, sizeof(name), "%s.example.", label);
	cr_assert_not(fcr_hostname_valid(name), "64-octet label");

	/* 4 labels of 63 + 3 dots = 255 > 253 */
	memset(name, 'a', 255);
	name[63] = name[127] = name[191] = '.';
	name[255] = '\0';
	cr_assert_not(fcr_hostname_valid(name));
	name[253] = '\0'; /* 253 octets: fine */
	cr_assert(fcr_hostname_valid(name));
}
