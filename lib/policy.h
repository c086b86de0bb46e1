/* Policy: what a result is worth (score) and what to do with the client (action).
 * Pure functions of a configuration snapshot and a result; thread-safe. */
#ifndef FCR_POLICY_H
#define FCR_POLICY_H

#include "check.h"
#include "config.h"

/* The result's configured score, plus ScoreGeneric when the result is generic. */
double fcr_policy_score(const struct fcr_config *c, const struct fcr_check_result *r);

/* The harsher of On<Result> and, when generic, OnGeneric (reject > tempfail > accept).
 * Exemptions and DryRun are the milter's business, not this. */
enum fcr_action fcr_policy_action(const struct fcr_config *c, const struct fcr_check_result *r);

#endif
