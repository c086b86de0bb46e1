/* Per-connection state of the milter, kept with smfi_setpriv (libmilter's worker pool may run one
 * connection's callbacks on different threads, never two at once). */
#ifndef FCR_CONN_H
#define FCR_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "config.h"
#include "jobs.h"
#include "snapshot.h"

struct fcr_conn {
	struct fcr_snapshot *snap;     /* the configuration this connection started with */
	struct fcr_job *job;           /* the background check, until its result is taken */
	unsigned long nr;              /* SMFIP_NR_* steps negotiated: no reply expected */
	bool can_add, can_change;      /* the MTA allows adding / changing headers */

	bool connected;                /* the connect step came (libmilter may close without it) */
	fcr_addr addr;
	bool skip;                     /* no address or exempt: no check, no headers */
	const char *skip_why;          /* "no-address", "exempt" (for the log) */
	int64_t start_ms, deadline_ms; /* negotiate (or connect); when waiting for the check stops */
	bool have_result, cached, late;
	struct fcr_cache_summary v;    /* the check's summary, once have_result */

	bool decided;                  /* the verdict was applied (at RejectAt) */
	bool deferred;                 /* accepted before the result came: would=/waived= still due */
	int verdict;                   /* the sfsistat it gave */
	const char *applied;           /* the action taken: "accept", "reject", "tempfail" */
	const char *would, *waived;    /* a reject/tempfail not applied, and why ("dry-run", ...) */
	bool authenticated;            /* {auth_authen} was set */
	char qid[32];                  /* last queue id seen, printable */
	unsigned messages;

	/* per message: forged headers to remove */
	unsigned n_result, n_score, n_authres;
	unsigned *forged_authres;      /* indices (1-based) of Authentication-Results with our id */
	size_t n_forged_authres, cap_forged_authres;
};

/* The summary as the formatting and policy functions read a result (see fcr_cache_summary_view):
 * valid while c->v is unchanged. Allocates nothing. */
struct view {
	struct fcr_check_result r;
	struct fcr_name names[2];
};

static inline const struct fcr_check_result *view_of(const struct fcr_conn *c, struct view *w)
{
	fcr_cache_summary_view(&c->v, &w->r, w->names);
	return &w->r;
}

#endif
