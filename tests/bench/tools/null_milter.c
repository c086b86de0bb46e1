/* null_milter: the yardstick of `make bench`. It does none of the FCrDNS work but costs the MTA what
 * fcrdns-milter's protocol does, so that the difference between the two is the check and the cache.
 *   usage: null_milter -s SOCKET [-F] [-D IPv4:PORT]
 * Default: the callbacks and negotiation of fcrdns-milter's default (accept-only) configuration:
 * CONNECT, MAIL and each header seen without a reply, HELO, RCPT, DATA, EOH and body skipped, and at
 * end of message the same three header calls with fixed values (one inserted on top, two added).
 * -F ("floor"): CONNECT and end of message only, one fixed header: the least a header-adding milter
 * can cost. Its libmilter threads get the stack size fcrdns-milter gives them (milter/threadstack.h),
 * so that the two differ in their callbacks only.
 * -D ("DNS floor"): at connect, also the DNS work of one FCrDNS check, done as cheaply as a milter can:
 * on the connection's own thread, PTR of the client's address then A or AAAA of the first name, asked
 * of the resolver at IPv4:PORT through ldns, nothing kept, no cache. What fcrdns-milter does for an
 * uncached client beyond that is its own cost. On exit it prints how many clients were confirmed
 * (the forward answer holds the client's address) and how many were not.
 * SIGTERM or SIGINT stop it (libmilter's own signal handling). */
#include <stdbool.h>
#include <libmilter/mfapi.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
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
static ldns_rdf *dns_server;        /* -D: the resolver the DNS floor asks; NULL: no DNS */
static uint16_t dns_port;
static unsigned long dns_confirmed, dns_unconfirmed;  /* atomics */

/* The client's address as an ldns rdf (A or AAAA); NULL for other families. */
static ldns_rdf *client_rdf(const struct sockaddr *sa)
{
	if (sa && sa->sa_family == AF_INET)
		return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, &((const struct sockaddr_in *)sa)->sin_addr);
	if (sa && sa->sa_family == AF_INET6)
		return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16,
		                             &((const struct sockaddr_in6 *)sa)->sin6_addr);
	return NULL;
}

/* Whether the answer to name's A/AAAA question holds addr. */
static bool forward_holds(ldns_resolver *r, const ldns_rdf *name, const ldns_rdf *addr)
{
	ldns_rr_type t = ldns_rdf_get_type(addr) == LDNS_RDF_TYPE_A ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
	ldns_pkt *p = ldns_resolver_query(r, name, t, LDNS_RR_CLASS_IN, LDNS_RD);
	ldns_rr_list *l = p ? ldns_pkt_rr_list_by_type(p, t, LDNS_SECTION_ANSWER) : NULL;
	bool found = false;
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l) && !found; i++)
		found = ldns_rdf_compare(ldns_rr_rdf(ldns_rr_list_rr(l, i), 0), addr) == 0;
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(p);
	return found;
}

/* PTR, then the forward lookup of the first name: one uncached FCrDNS check's questions. */
static bool dns_check(ldns_resolver *r, const ldns_rdf *addr)
{
	ldns_rdf *rev = ldns_rdf_address_reverse((ldns_rdf *)addr);
	ldns_pkt *p = rev ? ldns_resolver_query(r, rev, LDNS_RR_TYPE_PTR, LDNS_RR_CLASS_IN, LDNS_RD) : NULL;
	ldns_rr_list *ptr = p ? ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_PTR, LDNS_SECTION_ANSWER) : NULL;
	bool ok = ptr && ldns_rr_list_rr_count(ptr) > 0 &&
	          forward_holds(r, ldns_rr_rdf(ldns_rr_list_rr(ptr, 0), 0), addr);
	ldns_rr_list_deep_free(ptr);
	ldns_pkt_free(p);
	ldns_rdf_deep_free(rev);
	return ok;
}

static void dns_floor(const struct sockaddr *sa)
{
	ldns_rdf *addr = client_rdf(sa);
	ldns_resolver *r = addr ? ldns_resolver_new() : NULL;
	bool ok = false;
	if (r && ldns_resolver_push_nameserver(r, dns_server) == LDNS_STATUS_OK) {
		ldns_resolver_set_port(r, dns_port);
		ldns_resolver_set_retry(r, 1);
		ok = dns_check(r, addr);
	}
	__atomic_add_fetch(ok ? &dns_confirmed : &dns_unconfirmed, 1, __ATOMIC_RELAXED);
	if (r)
		ldns_resolver_deep_free(r);
	ldns_rdf_deep_free(addr);
}

/* "-D IPv4:PORT" into dns_server and dns_port; false when it is not one. */
static bool dns_option(const char *arg)
{
	char ip[INET_ADDRSTRLEN];
	unsigned port;
	int end = 0;
	if (sscanf(arg, "%15[0-9.]:%5u%n", ip, &port, &end) != 2 || arg[end] || port == 0 || port > 65535)
		return false;
	dns_server = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, ip);
	dns_port = (uint16_t)port;
	return dns_server != NULL;
}

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
	if (dns_server)
		dns_floor(sa);
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
	while ((ch = getopt(argc, argv, "s:FD:")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'F': floor_mode = true; break;
		case 'D': if (!dns_option(optarg)) sock = NULL; break;
		default: sock = NULL; optind = argc + 1; break;
		}
	}
	if (!sock || optind != argc) {
		fputs("usage: null_milter -s SOCKET [-F] [-D IPv4:PORT]\n", stderr);
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
	printf("null_milter: listening on %s%s%s\n", sock, floor_mode ? " (floor)" : "",
	       dns_server ? " (DNS floor)" : "");
	fflush(stdout);
	rc = smfi_main() == MI_SUCCESS ? 0 : 1;
	if (dns_server)
		printf("null_milter: DNS floor: %lu confirmed, %lu not\n", dns_confirmed, dns_unconfirmed);
	ldns_rdf_deep_free(dns_server);
	return rc;
}
