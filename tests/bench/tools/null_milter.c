/* null_milter: the yardstick of `make bench`. It does none of the FCrDNS work but costs the MTA what
 * fcrdns-milter's protocol does, so that the difference between the two is the check and the cache.
 *   usage: null_milter -s SOCKET [-F]
 * Default: the callbacks and negotiation of fcrdns-milter's default (accept-only) configuration:
 * CONNECT, MAIL and each header seen without a reply, HELO, RCPT, DATA, EOH and body skipped, and at
 * end of message the same three header calls with fixed values (one inserted on top, two added).
 * -F ("floor"): CONNECT and end of message only, one fixed header: the least a header-adding milter
 * can cost. Its libmilter threads get the stack size fcrdns-milter gives them (milter/threadstack.h),
 * so that the two differ in their callbacks only. SIGTERM or SIGINT stop it (libmilter's own signal
 * handling). */
#include <stdbool.h>
#include <libmilter/mfapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "threadstack.h"

/* What a connection keeps, as fcrdns-milter keeps a (larger) one: allocated at negotiation. */
struct null_conn {
	char qid[32];
	unsigned headers;
};

static bool floor_mode;

static struct null_conn *conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	unsigned long skip = SMFIP_NOBODY | SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOHELO |
	                     SMFIP_NORCPT;
	unsigned long nr = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR;
	if (floor_mode) {
		skip |= SMFIP_NOMAIL | SMFIP_NOHDRS;
		nr = SMFIP_NR_CONN;
	}
	struct null_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return SMFIS_ALL_OPTS;
	smfi_setpriv(ctx, c);
	*pf0 = (floor_mode ? SMFIF_ADDHDRS : SMFIF_ADDHDRS | SMFIF_CHGHDRS) & f0;
	*pf1 = (skip | nr) & f1;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_NOREPLY;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	(void)argv;
	struct null_conn *c = conn_of(ctx);
	const char *qid = smfi_getsymval(ctx, "i");
	if (c && qid)
		snprintf(c->qid, sizeof(c->qid), "%s", qid);
	return SMFIS_NOREPLY;
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	(void)value;
	struct null_conn *c = conn_of(ctx);
	if (c && strcasecmp(name, "Authentication-Results") == 0)
		c->headers++;
	return SMFIS_NOREPLY;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	if (floor_mode) {
		smfi_addheader(ctx, "X-Null-Milter", "floor");
		return SMFIS_CONTINUE;
	}
	smfi_insheader(ctx, 0, "Authentication-Results", "mx.bench.example; iprev=pass policy.iprev=192.0.2.1 "
	               "(h-192-0-2-1.bench.example)");
	smfi_addheader(ctx, "X-FCrDNS", "pass ip=192.0.2.1 ptr=h-192-0-2-1.bench.example");
	smfi_addheader(ctx, "X-FCrDNS-Score", "0");
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	free(conn_of(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc same_desc = {
	.xxfi_name = "null-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = cb_connect,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_header = cb_header,
	.xxfi_eom = cb_eom,
	.xxfi_close = cb_close,
	.xxfi_negotiate = cb_negotiate,
};

static struct smfiDesc floor_desc = {
	.xxfi_name = "null-milter-floor",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = cb_connect,
	.xxfi_eom = cb_eom,
	.xxfi_close = cb_close,
	.xxfi_negotiate = cb_negotiate,
};

int main(int argc, char **argv)
{
	const char *sock = NULL;
	int ch;
	while ((ch = getopt(argc, argv, "s:F")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'F': floor_mode = true; break;
		default: sock = NULL; optind = argc + 1; break;
		}
	}
	if (!sock || optind != argc) {
		fputs("usage: null_milter -s SOCKET [-F]\n", stderr);
		return 64;
	}
	if (smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_register(floor_mode ? floor_desc : same_desc) != MI_SUCCESS ||
	    smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "null_milter: cannot listen on %s\n", sock);
		return 71;
	}
	int rc = fcr_threadstack_default(FCR_CALLBACK_STACK);
	if (rc != 0) {
		fprintf(stderr, "null_milter: thread stacks: %s\n", strerror(rc));
		return 71;
	}
	printf("null_milter: listening on %s%s\n", sock, floor_mode ? " (floor)" : "");
	fflush(stdout);
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
