/* The "-t" trace: every step of a check, for an administrator asking "why was this client tagged?",
 * as readable text, as one JSON object, or as a one-line key=value summary (also the log line).
 * Thread-safe: each call writes only to the given stream and reads only its arguments. */
#ifndef FCR_TRACE_H
#define FCR_TRACE_H

#include <stdbool.h>
#include <stdio.h>

#include "check.h"
#include "config.h"

/* What the caller knows beyond the result. */
struct fcr_trace_ctx {
	const struct fcr_config *conf;
	bool cached;                   /* served by the cache without a lookup of its own */
	bool exempt;                   /* the milter would not check this client (ExemptHosts) */
	const char *action;            /* the action taken, when not simply the policy's (NULL) */
};

/* The full, multi-line trace of one check. */
void fcr_trace_text(FILE *out, const struct fcr_trace_ctx *ctx, const struct fcr_check_result *r);

/* The same as one JSON object on one line, newline-terminated. */
void fcr_trace_json(FILE *out, const struct fcr_trace_ctx *ctx, const struct fcr_check_result *r);

/* One line of key=value fields: ip, result, ptr, generic, score, action, cached, ms, and
 * resolver=unavailable when the check failed fast because the resolver was down (no newline).
 * Every value is printable ASCII without spaces. */
char *fcr_trace_summary(const struct fcr_trace_ctx *ctx, const struct fcr_check_result *r,
                        char *buf, size_t len);

#endif
