/* Runner for the Criterion stand-in: runs the tests whose "suite/name" contains argv[1]. */
#include <criterion/criterion.h>

#define MAX_TESTS 1024
#define MAX_SUITES 64

struct shim_test {
	const char *suite, *name;
	void (*fn)(void);
	struct shim_suite_opts opts;
};

static struct shim_test tests[MAX_TESTS];
static int ntests;
static struct {
	const char *name;
	struct shim_suite_opts opts;
} suites[MAX_SUITES];
static int nsuites;

void shim_register(const char *suite, const char *name, void (*fn)(void), struct shim_suite_opts o)
{
	if (ntests < MAX_TESTS)
		tests[ntests++] = (struct shim_test){ suite, name, fn, o };
}

void shim_register_suite(const char *suite, struct shim_suite_opts o)
{
	if (nsuites < MAX_SUITES) {
		suites[nsuites].name = suite;
		suites[nsuites++].opts = o;
	}
}

void shim_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
	abort();
}

void shim_skip(void)
{
	fprintf(stderr, "  (skipped)\n");
}

static const struct shim_suite_opts *suite_opts(const char *name)
{
	for (int i = 0; i < nsuites; i++)
		if (strcmp(suites[i].name, name) == 0)
			return &suites[i].opts;
	return NULL;
}

int main(int argc, char **argv)
{
	int ran = 0;
	for (int i = 0; i < ntests; i++) {
		char full[256];
		snprintf(full, sizeof(full), "%s/%s", tests[i].suite, tests[i].name);
		if (argc > 1 && !strstr(full, argv[1]))
			continue;
		const struct shim_suite_opts *s = suite_opts(tests[i].suite);
		void (*init)(void) = tests[i].opts.init ? tests[i].opts.init : s ? s->init : NULL;
		void (*fini)(void) = tests[i].opts.fini ? tests[i].opts.fini : s ? s->fini : NULL;
		fprintf(stderr, "run %s\n", full);
		if (init)
			init();
		tests[i].fn();
		if (fini)
			fini();
		ran++;
	}
	printf("tsan: %d concurrency tests passed\n", ran);
	return ran > 0 ? 0 : 1;
}
