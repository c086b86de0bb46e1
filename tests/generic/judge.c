/* The project's generic-name rules over a labelled set (tests/generic/names.txt on stdin): one line
 * out per case, "NAME ADDRESS EXPECTED KIND VERDICT REASON" (tab-separated), for compare.sh.
 *   usage: generic-judge [-n GENERICNAMES] [-p GENERICPATTERNS] <SET */
#include "generic.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *names = NULL, *patterns = NULL;
	char err[512], line[2048], why[512];
	int opt;

	while ((opt = getopt(argc, argv, "n:p:")) != -1) {
		if (opt == 'n')
			names = optarg;
		else if (opt == 'p')
			patterns = optarg;
		else
			return 64;
	}
	fcr_generic *g = fcr_generic_new(patterns, names, err, sizeof(err));
	if (!g) {
		fprintf(stderr, "generic-judge: %s\n", err);
		return 78;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char name[1100], addr[64], want[8], kind[32];
		fcr_addr a;
		struct fcr_generic_tag t;
		if (line[0] == '#' || sscanf(line, "%1099s %63s %7s %31s", name, addr, want, kind) != 4)
			continue;
		if (!fcr_addr_parse(addr, &a)) {
			fprintf(stderr, "generic-judge: bad address: %s", line);
			fcr_generic_free(g);
			return 65;
		}
		bool yes = fcr_generic_explain(g, name, &a, &t, NULL);
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", name, addr, want, kind, yes ? "yes" : "no",
		       fcr_generic_why(t, patterns, names, why, sizeof(why)));
	}
	fcr_generic_free(g);
	return 0;
}
