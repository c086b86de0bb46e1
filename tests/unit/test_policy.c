/* Unit tests for lib/policy.c: every result x generic x On<Result> x OnGeneric combination. */
#include <criterion/criterion.h>

#include <string.h>

#include "policy.h"

static const enum fcr_action actions[3] = { FCR_ACCEPT, FCR_TEMPFAIL, FCR_REJECT };

/* harsher[a][b]: reject beats tempfail beats accept, written out by hand. */
static const enum fcr_action harsher[3][3] = {
	/* accept   */ { FCR_ACCEPT, FCR_TEMPFAIL, FCR_REJECT },
	/* tempfail */ { FCR_TEMPFAIL, FCR_TEMPFAIL, FCR_REJECT },
	/* reject   */ { FCR_REJECT, FCR_REJECT, FCR_REJECT },
};

static struct fcr_config base(void)
{
	struct fcr_config c;
	memset(&c, 0, sizeof(c));
	c.score[FCR_PASS] = 0;
	c.score[FCR_FAIL] = 3;
	c.score[FCR_PERMERROR] = 2;
	c.score[FCR_TEMPERROR] = 0.5;
	c.score_generic = 1.25;
	return c;
}

static struct fcr_check_result result(enum fcr_result res, bool generic)
{
	struct fcr_check_result r;
	memset(&r, 0, sizeof(r));
	r.result = res;
	r.generic = generic;
	r.confirmed = -1;
	return r;
}

Test(policy, score_every_result)
{
	struct fcr_config c = base();
	static const double plain[FCR_NRESULTS] = { 0, 3, 2, 0.5 };
	static const double generic[FCR_NRESULTS] = { 1.25, 4.25, 3.25, 1.75 };
	for (int res = 0; res < FCR_NRESULTS; res++) {
		struct fcr_check_result r = result((enum fcr_result)res, false);
		cr_expect_float_eq(fcr_policy_score(&c, &r), plain[res], 1e-12, "result %d", res);
		r.generic = true;
		cr_expect_float_eq(fcr_policy_score(&c, &r), generic[res], 1e-12, "result %d", res);
	}
}

Test(policy, score_negative_generic)
{
	struct fcr_config c = base();
	c.score_generic = -1.5;
	struct fcr_check_result r = result(FCR_FAIL, true);
	cr_expect_float_eq(fcr_policy_score(&c, &r), 1.5, 1e-12);
}

Test(policy, action_every_combination)
{
	for (int res = 0; res < FCR_NRESULTS; res++)
		for (int on = 0; on < 3; on++)
			for (int ong = 0; ong < 3; ong++)
				for (int gen = 0; gen < 2; gen++) {
					struct fcr_config c = base();
					for (int k = 0; k < FCR_NRESULTS; k++)
						c.on[k] = k == res ? actions[on] : actions[(on + 1 + k) % 3];
					c.on_generic = actions[ong];
					struct fcr_check_result r = result((enum fcr_result)res, gen);
					enum fcr_action want = gen ? harsher[on][ong] : actions[on];
					cr_expect_eq(fcr_policy_action(&c, &r), want,
					             "result %d on %d on_generic %d generic %d", res, on, ong, gen);
				}
}

Test(policy, defaults_accept_everything)
{
	struct fcr_config c = base();
	for (int res = 0; res < FCR_NRESULTS; res++) {
		struct fcr_check_result r = result((enum fcr_result)res, true);
		cr_expect_eq(fcr_policy_action(&c, &r), FCR_ACCEPT);
	}
}

Test(policy, unknown_result_is_temperror)
{
	struct fcr_config c = base();
	c.on[FCR_TEMPERROR] = FCR_TEMPFAIL;
	struct fcr_check_result r = result((enum fcr_result)17, false);
	cr_expect_eq(fcr_policy_action(&c, &r), FCR_TEMPFAIL);
	cr_expect_float_eq(fcr_policy_score(&c, &r), 0.5, 1e-12);
}

/* Whether any result, generic or not, earns a refusal: asked of fcr_policy_action itself. */
static bool some_result_refused(const struct fcr_config *c)
{
	for (int res = 0; res < FCR_NRESULTS; res++)
		for (int gen = 0; gen < 2; gen++) {
			struct fcr_check_result r = result((enum fcr_result)res, gen);
			if (fcr_policy_action(c, &r) != FCR_ACCEPT)
				return true;
		}
	return false;
}

/* Every On<Result> x OnGeneric setting, with and without DryRun: "can refuse" is exactly "some
 * result is refused and DryRun does not waive it". */
Test(policy, can_refuse_every_combination)
{
	for (int mask = 0; mask < 3 * 3 * 3 * 3 * 3; mask++) {
		struct fcr_config c = base();
		int m = mask;
		for (int k = 0; k < FCR_NRESULTS; k++, m /= 3)
			c.on[k] = actions[m % 3];
		c.on_generic = actions[m % 3];
		bool want = some_result_refused(&c);
		cr_expect_eq(fcr_policy_can_refuse(&c), want, "settings %d", mask);
		c.dry_run = true;
		cr_expect_not(fcr_policy_can_refuse(&c), "settings %d, DryRun", mask);
	}
}

Test(policy, can_refuse_named_cases)
{
	char err[256];
	struct fcr_config *d = fcr_config_load("/dev/null", NULL, 0, err, sizeof(err));
	cr_assert_not_null(d, "%s", err);
	cr_expect_not(fcr_policy_can_refuse(d), "the built-in defaults only accept");
	fcr_config_free(d);

	struct fcr_config c = base();
	c.on_generic = FCR_TEMPFAIL;
	cr_expect(fcr_policy_can_refuse(&c), "OnGeneric alone can refuse");
	c.on_generic = FCR_ACCEPT;
	c.on[FCR_TEMPERROR] = FCR_REJECT;
	cr_expect(fcr_policy_can_refuse(&c), "OnTempError reject");
}

Test(policy, can_refuse_client_authenticated)
{
	struct fcr_config c = base();
	c.on[FCR_FAIL] = FCR_REJECT;
	c.exempt_authenticated = true;
	cr_expect(fcr_policy_can_refuse_client(&c, false));
	cr_expect_not(fcr_policy_can_refuse_client(&c, true), "authenticated and exempt");
	c.exempt_authenticated = false;
	cr_expect(fcr_policy_can_refuse_client(&c, true), "ExemptAuthenticated no");
	c.dry_run = true;
	cr_expect_not(fcr_policy_can_refuse_client(&c, false), "DryRun");
	c.dry_run = false;
	c.on[FCR_FAIL] = FCR_ACCEPT;
	cr_expect_not(fcr_policy_can_refuse_client(&c, false), "accept only");
}
