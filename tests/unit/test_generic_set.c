/* The labelled set of real-world PTR name shapes (tests/generic/names.txt) through the project's
 * rules with the shipped GenericNames file: prints the score, fails under 97% right or on any name
 * of an ESP or an ordinary server judged generic. Run from the source tree (make check-unit). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "generic.h"

#define SET "tests/generic/names.txt"
#define NAMES "conf/generic-names"

struct score {
	unsigned right, total, false_server;
};

static void judge_line(const fcr_generic *g, const char *line, struct score *s)
{
	char name[1100], addr[64], want[8], kind[32], why[256];
	fcr_addr a;
	struct fcr_generic_tag t;

	if (line[0] == '#' || sscanf(line, "%1099s %63s %7s %31s", name, addr, want, kind) != 4)
		return;
	cr_assert(fcr_addr_parse(addr, &a), "bad address in " SET ": %s", line);
	cr_assert(strcmp(want, "yes") == 0 || strcmp(want, "no") == 0, "bad label: %s", line);
	bool expect = strcmp(want, "yes") == 0;
	bool got = fcr_generic_explain(g, name, &a, &t, NULL);
	s->total++;
	if (got == expect) {
		s->right++;
		return;
	}
	bool must_not = !expect && (strcmp(kind, "esp") == 0 || strcmp(kind, "server") == 0);
	s->false_server += must_not;
	fprintf(stderr, "generic set: %s %s: expected %s, got %s (%s)%s\n", name, addr, want,
	        got ? "yes" : "no", fcr_generic_why(t, NULL, NAMES, why, sizeof(why)),
	        must_not ? "  <- false positive on an ESP or server name" : "");
}

Test(generic_set, real_world_shapes_score)
{
	char err[512], line[2048];
	fcr_generic *g = fcr_generic_new(NULL, NAMES, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	FILE *f = fopen(SET, "r");
	cr_assert_not_null(f, "cannot open " SET " (run from the source tree)");
	struct score s = { 0, 0, 0 };
	while (fgets(line, sizeof(line), f))
		judge_line(g, line, &s);
	fclose(f);
	fcr_generic_free(g);
	cr_assert_geq(s.total, 300, "the set holds %u cases, fewer than 300", s.total);
	fprintf(stderr, "generic set: %u/%u right (%.1f%%), %u false positive(s) on ESP/server names\n",
	        s.right, s.total, 100.0 * s.right / s.total, s.false_server);
	cr_expect_eq(s.false_server, 0, "%u ESP or server name(s) judged generic", s.false_server);
	cr_expect(s.right * 100 >= s.total * 97, "%u/%u right, under 97%%", s.right, s.total);
}
