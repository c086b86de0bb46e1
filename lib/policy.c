/* Policy (policy.h): the score and the action a result earns under one configuration snapshot. */
#include "policy.h"

#include <stdbool.h>

/* An out-of-range result is treated as the temporary error it most likely stands for. */
static enum fcr_result known(enum fcr_result r)
{
	return (unsigned)r < FCR_NRESULTS ? r : FCR_TEMPERROR;
}

static int harshness(enum fcr_action a)
{
	switch (a) {
	case FCR_REJECT:
		return 2;
	case FCR_TEMPFAIL:
		return 1;
	default:
		return 0;
	}
}

double fcr_policy_score(const struct fcr_config *c, const struct fcr_check_result *r)
{
	return c->score[known(r->result)] + (r->generic ? c->score_generic : 0.0);
}

enum fcr_action fcr_policy_action(const struct fcr_config *c, const struct fcr_check_result *r)
{
	enum fcr_action a = c->on[known(r->result)];
	if (r->generic && harshness(c->on_generic) > harshness(a))
		a = c->on_generic;
	return harshness(a) ? a : FCR_ACCEPT;
}

bool fcr_policy_can_refuse(const struct fcr_config *c)
{
	if (c->dry_run)
		return false;
	for (int r = 0; r < FCR_NRESULTS; r++)
		if (harshness(c->on[r]))
			return true;
	return harshness(c->on_generic) != 0;
}

bool fcr_policy_can_refuse_client(const struct fcr_config *c, bool authenticated)
{
	return fcr_policy_can_refuse(c) && !(authenticated && c->exempt_authenticated);
}
