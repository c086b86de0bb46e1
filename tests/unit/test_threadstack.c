/* Unit tests for milter/threadstack.c: a thread created without attributes (as libmilter creates
 * its workers) gets the stack size set as the default. */
#include <criterion/criterion.h>
#include <pthread.h>

#include "threadstack.h"

static void *stack_size_of_self(void *arg)
{
	pthread_attr_t attr;
	size_t *size = arg;
	cr_assert_eq(pthread_getattr_np(pthread_self(), &attr), 0);
	cr_assert_eq(pthread_attr_getstacksize(&attr, size), 0);
	pthread_attr_destroy(&attr);
	return NULL;
}

static size_t stack_of_new_thread(void)
{
	pthread_t t;
	size_t size = 0;
	cr_assert_eq(pthread_create(&t, NULL, stack_size_of_self, &size), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	return size;
}

Test(threadstack, threads_without_attributes_get_the_default)
{
	size_t before = stack_of_new_thread();
	cr_assert_neq(before, (size_t)FCR_CALLBACK_STACK, "the test needs another default to start from");
	cr_assert_eq(fcr_threadstack_default(FCR_CALLBACK_STACK), 0);
	cr_assert_eq(stack_of_new_thread(), (size_t)FCR_CALLBACK_STACK);
}

Test(threadstack, a_size_below_the_minimum_is_refused)
{
	size_t before = stack_of_new_thread();
	cr_assert_neq(fcr_threadstack_default(1024), 0);
	cr_assert_eq(stack_of_new_thread(), before, "a refused size changes nothing");
}
