/* Policy: what a result is worth (score) and what to do with the client (action).
 * Pure functions of a configuration snapshot and a result; thread-safe. */
#ifndef FCR_POLICY_H
#define FCR_POLICY_H

#include <stdbool.h>

#include "check.h"
#include "config.h"

/* The result's configured score, plus ScoreGeneric when the result is generic. */
double fcr_policy_score(const struct fcr_config *c, const struct fcr_check_result *r);

/* The harsher of On<Result> and, when generic, OnGeneric (reject > tempfail > accept).
 * Exemptions and DryRun are the milter's business, not this. */
enum fcr_action fcr_policy_action(const struct fcr_config *c, const struct fcr_check_result *r);

/* True when some result can earn reject or tempfail under c and DryRun does not waive it: only then
 * is a verdict worth waiting for at RejectAt. False means every client is accepted whatever the
 * check finds, so the result is needed for the headers and the log only. */
bool fcr_policy_can_refuse(const struct fcr_config *c);

/* The same for one connection: false too when the client authenticated (authenticated: its
 * {auth_authen} was set) and ExemptAuthenticated waives every refusal for it. */
bool fcr_policy_can_refuse_client(const struct fcr_config *c, bool authenticated);

#endif
