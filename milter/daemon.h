/* The daemon: socket, privileges, pid file, background, signals, reloads, statistics. */
#ifndef FCR_DAEMON_H
#define FCR_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct fcr_daemon_opts {
	const char *config;                /* -c, or NULL for the default file */
	const char *const *overrides;      /* -o, re-applied on every reload */
	size_t noverrides;
	bool foreground;                   /* -f */
	bool verbose;                      /* -v */
};

/* Runs the milter with conf (taken over) until SIGTERM/SIGINT. Returns the exit status. */
int fcr_daemon_run(struct fcr_config *conf, const struct fcr_daemon_opts *o);

#endif
