/* The -t command: check addresses now and print what happened. */
#ifndef FCR_TCMD_H
#define FCR_TCMD_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Checks the addresses (or, for "-", the lines of standard input) through one shared service:
 * a single address gets the full trace, several get one summary line each, in input order.
 * Words and lines that are not addresses (or lines over 256 bytes) are reported, escaped, and
 * skipped. Returns the exit status: 0 when all pass, else the highest of 1 fail, 2 permerror,
 * 3 temperror; 64 when no address at all was checked, 78 when the resolver cannot be set up. */
int fcr_tcmd_run(const struct fcr_config *conf, const char *const *args, size_t nargs, bool json);

#endif
