/* A minimal stand-in for <criterion/criterion.h>, so that the unit tests' "concurrency" suite runs
 * under ThreadSanitizer: Criterion 2.4's runner cannot start under TSan (its BoxFort arena cannot be
 * mapped next to TSan's shadow memory, Criterion issue #274). Tests run in one process, in order;
 * a failed assertion prints where and aborts. Only what the unit tests use is here. */
#ifndef TSAN_CRITERION_H
#define TSAN_CRITERION_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shim_suite_opts {
	void (*init)(void);
	void (*fini)(void);
	int timeout;
	int disabled;
};

void shim_register(const char *suite, const char *name, void (*fn)(void), struct shim_suite_opts o);
void shim_register_suite(const char *suite, struct shim_suite_opts o);
void shim_fail(const char *file, int line, const char *expr);
void shim_skip(void);

#define Test(suite, name, ...)                                                                    \
	static void suite##_##name(void);                                                          \
	__attribute__((constructor)) static void shim_reg_##suite##_##name(void)                   \
	{                                                                                           \
		shim_register(#suite, #name, suite##_##name, (struct shim_suite_opts){ __VA_ARGS__ }); \
	}                                                                                           \
	static void suite##_##name(void)

#define TestSuite(suite, ...)                                                                     \
	__attribute__((constructor)) static void shim_suite_##suite(void)                          \
	{                                                                                           \
		shim_register_suite(#suite, (struct shim_suite_opts){ __VA_ARGS__ });              \
	}

#define SHIM_CHECK(cond) do { if (!(cond)) shim_fail(__FILE__, __LINE__, #cond); } while (0)
#define cr_assert(cond, ...) SHIM_CHECK(cond)
#define cr_expect(cond, ...) SHIM_CHECK(cond)
#define cr_assert_not(cond, ...) SHIM_CHECK(!(cond))
#define cr_expect_not(cond, ...) SHIM_CHECK(!(cond))
#define cr_assert_null(p, ...) SHIM_CHECK((p) == NULL)
#define cr_expect_null(p, ...) SHIM_CHECK((p) == NULL)
#define cr_assert_not_null(p, ...) SHIM_CHECK((p) != NULL)
#define cr_expect_not_null(p, ...) SHIM_CHECK((p) != NULL)
#define cr_assert_eq(a, b, ...) SHIM_CHECK((a) == (b))
#define cr_expect_eq(a, b, ...) SHIM_CHECK((a) == (b))
#define cr_assert_neq(a, b, ...) SHIM_CHECK((a) != (b))
#define cr_expect_neq(a, b, ...) SHIM_CHECK((a) != (b))
#define cr_assert_lt(a, b, ...) SHIM_CHECK((a) < (b))
#define cr_assert_leq(a, b, ...) SHIM_CHECK((a) <= (b))
#define cr_assert_gt(a, b, ...) SHIM_CHECK((a) > (b))
#define cr_assert_geq(a, b, ...) SHIM_CHECK((a) >= (b))
#define cr_assert_str_eq(a, b, ...) SHIM_CHECK(strcmp((a), (b)) == 0)
#define cr_expect_str_eq(a, b, ...) SHIM_CHECK(strcmp((a), (b)) == 0)
#define cr_assert_float_eq(a, b, eps, ...) SHIM_CHECK(fabs((double)(a) - (double)(b)) <= (eps))
#define cr_expect_float_eq(a, b, eps, ...) SHIM_CHECK(fabs((double)(a) - (double)(b)) <= (eps))
#define cr_skip_test(...) shim_skip()

#endif
