/* Shared by the generic-name modules (generic.c, embed.c): the character classes and the
 * address scanner. Not part of the library's interface. */
#ifndef FCR_GENERIC_INTERNAL_H
#define FCR_GENERIC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

static inline bool fcr_g_digit(char c) { return c >= '0' && c <= '9'; }
static inline bool fcr_g_alpha(char c) { return c >= 'a' && c <= 'z'; }
static inline bool fcr_g_alnum(char c) { return fcr_g_digit(c) || fcr_g_alpha(c); }
static inline bool fcr_g_hex(char c) { return fcr_g_digit(c) || (c >= 'a' && c <= 'f'); }

/* How a (decoded, lower-case) name s[0..n) embeds address a in full: FCR_EMBED_* bits, 0 when it
 * does not. The caller passes the name without its top-level label; n is at most 1024. */
uint16_t fcr_generic_embeds(const char *s, size_t n, const fcr_addr *a);

#endif
