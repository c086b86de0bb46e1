/* fcrdns-milter: command line, configuration, and the choice between -n, -t and running the milter. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "daemon.h"
#include "fdlimit.h"
#include "tcmd.h"
#include "version.h"

#define MAX_OVERRIDES 256

struct options {
	const char *config;
	const char *overrides[MAX_OVERRIDES];
	size_t noverrides;
	const char *socket;
	bool foreground, verbose, check_only, trace, json;
	bool done;                 /* -V or -h: answered, exit 0 */
	char sockopt[4096];        /* "Socket=..." for -p: lives as long as the overrides (reloads) */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: fcrdns-milter [-c FILE] [-o KEY=VALUE]... [-f] [-p SOCKET] [-v]   run the milter\n"
	        "       fcrdns-milter [-c FILE] [-o KEY=VALUE]... -n                      check the configuration\n"
	        "       fcrdns-milter [-c FILE] [-o KEY=VALUE]... -t ADDRESS... [-j]      check addresses, print the trace\n"
	        "       fcrdns-milter -V | -h\n"
	        "\n"
	        "  -c FILE        configuration file (default " FCR_DEFAULT_CONFIG ")\n"
	        "  -o KEY=VALUE   override one configuration keyword (repeatable)\n"
	        "  -f             stay in the foreground, log to stderr\n"
	        "  -p SOCKET      milter socket (same as -o Socket=SOCKET)\n"
	        "  -v             log every connection in detail\n"
	        "  -n             check the configuration and exit (0 good, 78 bad)\n"
	        "  -t ADDRESS...  check addresses now and print every step; '-' reads one a line from\n"
	        "                 standard input; exit 0 pass, 1 fail, 2 permerror, 3 temperror\n"
	        "  -j             with -t: JSON output\n"
	        "  -V             print the version\n"
	        "  -h             this help\n");
}

/* Returns 0 to go on (unless o->done), or an exit status. */
static int add_override(struct options *o, char *kv)
{
	if (o->noverrides == MAX_OVERRIDES) {
		fprintf(stderr, "fcrdns-milter: too many -o options\n");
		return -1;
	}
	o->overrides[o->noverrides++] = kv;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int ch;
	opterr = 0;
	while ((ch = getopt(argc, argv, ":c:o:fp:vntjVh")) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'o':
			if (add_override(o, optarg) != 0)
				return EX_USAGE;
			break;
		case 'f': o->foreground = true; break;
		case 'p': o->socket = optarg; break;
		case 'v': o->verbose = true; break;
		case 'n': o->check_only = true; break;
		case 't': o->trace = true; break;
		case 'j': o->json = true; break;
		case 'V':
			printf("fcrdns-milter %s\n", FCR_VERSION);
			o->done = true;
			return 0;
		case 'h':
			usage(stdout);
			o->done = true;
			return 0;
		case ':':
			fprintf(stderr, "fcrdns-milter: option -%c needs a value\n", optopt);
			return EX_USAGE;
		default:
			fprintf(stderr, "fcrdns-milter: unknown option -%c\n", optopt);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (o->check_only + o->trace > 1 || (o->json && !o->trace) || (!o->trace && optind < argc) ||
	    (o->trace && optind == argc)) {
		usage(stderr);
		return EX_USAGE;
	}
	return 0;
}

static struct fcr_config *load(struct options *o)
{
	char err[1024];
	if (o->socket) {
		snprintf(o->sockopt, sizeof(o->sockopt), "Socket=%s", o->socket);
		if (o->noverrides < MAX_OVERRIDES)
			o->overrides[o->noverrides++] = o->sockopt;
	}
	struct fcr_config *c = fcr_config_load(o->config, o->overrides, o->noverrides, err, sizeof(err));
	if (!c)
		fprintf(stderr, "%s\n", err);
	return c;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int rc = parse_options(argc, argv, &o);
	if (rc || o.done)
		return rc;

	struct fcr_config *conf = load(&o);
	if (!conf)
		return EX_CONFIG;
	if (o.check_only) {
		printf("%s: configuration OK\n", conf->path ? conf->path : "built-in defaults");
		rc = EX_OK;
	} else if (o.trace) {
		uint64_t before, after;  /* many addresses from standard input check in parallel */
		if (fcr_fdlimit_raise(&before, &after) == 0 && o.verbose)
			fprintf(stderr, "fcrdns-milter: open files: limit %llu (was %llu)\n",
			        (unsigned long long)after, (unsigned long long)before);
		rc = fcr_tcmd_run(conf, (const char *const *)argv + optind, (size_t)(argc - optind), o.json);
	} else {
		struct fcr_daemon_opts d = {
			.config = o.config,
			.overrides = o.overrides,
			.noverrides = o.noverrides,
			.foreground = o.foreground,
			.verbose = o.verbose,
		};
		return fcr_daemon_run(conf, &d);  /* takes conf over */
	}
	fcr_config_free(conf);
	return rc;
}
