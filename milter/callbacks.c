/* libmilter glue: start the check at connect, apply the verdict at RejectAt, add the result
 * headers at end of message. Every decision is made by lib/; this file only talks to the MTA.
 * A step waits for the check only when its answer depends on it, and never beyond the connection's
 * deadline (CheckTimeout + 1 s from the moment libmilter first handed us the connection). */
#include <stdbool.h>
#include <libmilter/mfapi.h>

#include "callbacks.h"

#include "authres.h"
#include "clock.h"
#include "conn.h"
#include "format.h"
#include "log.h"
#include "policy.h"
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTHRES "Authentication-Results"
#define LATE_SLACK_MS 1000   /* queueing allowance beyond CheckTimeout before giving up */
#define WAIT_SLICE_MS 100    /* how often a waiting step looks whether the resolver went down */

struct fcr_stats fcr_milter_stats;

static struct fcr_conn *conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* The reply for a step: nothing at all when the MTA was told not to wait for one. */
static sfsistat reply(const struct fcr_conn *c, unsigned long nr_flag, sfsistat st)
{
	return (c->nr & nr_flag) && st == SMFIS_CONTINUE ? SMFIS_NOREPLY : st;
}

static struct fcr_conn *conn_new(void)
{
	struct fcr_conn *c = calloc(1, sizeof(*c));
	if (c) {
		c->snap = fcr_snapshot_get();
		/* libmilter calls negotiate first: the earliest moment we see the connection. The MTA's
		 * time limits run per step, so the deadline must count from here, not from connect. */
		c->start_ms = fcr_now_ms();
		c->applied = "accept";
		c->can_add = c->can_change = true;
	}
	return c;
}

static void conn_free(struct fcr_conn *c)
{
	fcr_job_put(c->job);
	free(c->forged_authres);
	fcr_snapshot_put(c->snap);
	free(c);
}

/* ---- negotiation: only the steps this configuration uses ---- */

/* A configuration that can only accept needs no verdict at RejectAt: that step is then skipped,
 * or seen without a reply (MAIL still brings the queue id and starts a message for the headers). */
static unsigned long steps_wanted(const struct fcr_config *conf, unsigned long *nr)
{
	unsigned long skip = SMFIP_NOBODY | SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA;
	bool verdict = fcr_policy_can_refuse(conf);
	enum fcr_stage at = conf->reject_at;

	*nr = 0;
	if (!verdict || at != FCR_AT_HELO)
		skip |= SMFIP_NOHELO;
	if (!verdict || at != FCR_AT_RCPT)
		skip |= SMFIP_NORCPT;
	if (!conf->add_headers)
		skip |= SMFIP_NOHDRS;
	else
		*nr |= SMFIP_NR_HDR;
	/* MAIL brings {auth_authen} (for a verdict at MAIL or RCPT) and the queue id, and starts a
	 * message. */
	if (!conf->add_headers && !(verdict && (at == FCR_AT_MAIL || at == FCR_AT_RCPT)))
		skip |= SMFIP_NOMAIL;
	else if (!verdict || at != FCR_AT_MAIL)
		*nr |= SMFIP_NR_MAIL;
	if (!verdict || at != FCR_AT_CONNECT)
		*nr |= SMFIP_NR_CONN;
	return skip;
}

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	struct fcr_conn *c = conn_new();
	if (!c)
		return SMFIS_ALL_OPTS;
	smfi_setpriv(ctx, c);
	const struct fcr_config *conf = c->snap->conf;
	unsigned long nr, skip = steps_wanted(conf, &nr);
	unsigned long actions = conf->add_headers ? SMFIF_ADDHDRS | SMFIF_CHGHDRS : 0;

	c->can_add = (f0 & SMFIF_ADDHDRS) != 0;
	c->can_change = (f0 & SMFIF_CHGHDRS) != 0;
	c->nr = nr & f1;
	*pf0 = actions & f0;
	*pf1 = (skip | nr) & f1;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

/* ---- the check and the verdict ---- */

/* A stand-in result when the check could not be had in time. */
static void late_result(struct fcr_conn *c, const char *why)
{
	fcr_cache_summary_unasked(&c->v, &c->addr, why);
	c->v.elapsed_ms = fcr_now_ms() - c->start_ms;
}

/* Waits for the connection's check until its deadline, in slices: once the resolver counts as
 * down, a check still running is a probe or one of the wave that found the outage, and waiting it
 * out would hold this libmilter thread (and the sessions queued behind it) for nothing. Returns
 * true with the result, or false with why in *why. */
static bool wait_result(struct fcr_conn *c, const char **why)
{
	for (;;) {
		int64_t until = fcr_now_ms() + WAIT_SLICE_MS;
		if (until > c->deadline_ms)
			until = c->deadline_ms;
		if (fcr_job_wait(c->job, until, &c->v, &c->cached))
			return true;
		if (until >= c->deadline_ms) {
			*why = "check did not finish in time";
			return false;
		}
		if (fcr_service_resolver_down(c->snap->svc)) {
			*why = "resolver unavailable: stopped waiting for the check";
			return false;
		}
	}
}

static void take_result(struct fcr_conn *c)
{
	const char *why = "check could not be started";
	if (c->have_result)
		return;
	if (!c->job) {
		late_result(c, why);
	} else if (wait_result(c, &why)) {
		fcr_stats_check(&fcr_milter_stats, &c->v, c->cached);
	} else {
		c->late = true;
		fcr_stats_add(&fcr_milter_stats.late, 1);
		fcr_stats_add(&fcr_milter_stats.results[FCR_TEMPERROR], 1);
		late_result(c, why);
		fcr_stats_observe(&fcr_milter_stats, c->v.elapsed_ms);
	}
	fcr_job_put(c->job);
	c->job = NULL;
	c->have_result = true;
}

/* smfi_setreply drops a text with a lone '%': double every one that expansion left. */
static void reply_text(const struct fcr_smtp_reply *rep, const struct fcr_check_result *r,
                       char *out, size_t len)
{
	char text[512];
	size_t o = 0;
	fcr_format_reply_text(rep, r, text, sizeof(text));
	for (const char *p = text; *p && o + 2 < len; p++) {
		out[o++] = *p;
		if (*p == '%')
			out[o++] = '%';
	}
	out[o] = '\0';
}

/* The policy's action, less what authentication and DryRun waive. */
static enum fcr_action verdict(struct fcr_conn *c)
{
	const struct fcr_config *conf = c->snap->conf;
	struct view w;
	enum fcr_action a = fcr_policy_action(conf, view_of(c, &w));
	c->applied = fcr_action_name(a);
	if (a == FCR_ACCEPT)
		return a;
	if (c->authenticated && conf->exempt_authenticated) {
		fcr_stats_add(&fcr_milter_stats.authenticated, 1);
		c->waived = "authenticated";
	} else if (conf->dry_run) {
		fcr_stats_add(&fcr_milter_stats.dry_run, 1);
		c->waived = "dry-run";
	} else {
		return a;
	}
	c->would = fcr_action_name(a);
	c->applied = fcr_action_name(FCR_ACCEPT);
	return FCR_ACCEPT;
}

/* An accept given before the result was looked at gets its would=/waived= once the result is in
 * (by then {auth_authen} is known too). */
static void settle(struct fcr_conn *c)
{
	if (c->deferred && c->have_result) {
		c->deferred = false;
		verdict(c);
	}
}

static sfsistat decide(SMFICTX *ctx, struct fcr_conn *c)
{
	if (c->decided)
		return c->verdict;
	c->decided = true;
	c->verdict = SMFIS_CONTINUE;
	if (!fcr_policy_can_refuse_client(c->snap->conf, c->authenticated)) {
		/* Accepted whatever the check finds: do not hold the step up for it. */
		fcr_stats_add(&fcr_milter_stats.actions[FCR_ACCEPT], 1);
		c->deferred = true;
		return c->verdict;
	}
	take_result(c);
	enum fcr_action a = verdict(c);
	fcr_stats_add(&fcr_milter_stats.actions[a], 1);
	if (a != FCR_ACCEPT) {
		const struct fcr_config *conf = c->snap->conf;
		const struct fcr_smtp_reply *rep = a == FCR_REJECT ? &conf->reject_reply
		                                                  : &conf->tempfail_reply;
		char text[1024];
		struct view w;
		reply_text(rep, view_of(c, &w), text, sizeof(text));
		smfi_setreply(ctx, (char *)rep->code, (char *)rep->xcode, text);
		c->verdict = a == FCR_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	}
	return c->verdict;
}

/* ---- the steps ---- */

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)host;
	struct fcr_conn *c = conn_of(ctx);
	if (!c) {  /* an MTA that did not negotiate */
		if (!(c = conn_new()))
			return SMFIS_TEMPFAIL;
		smfi_setpriv(ctx, c);
	}
	const struct fcr_config *conf = c->snap->conf;
	fcr_stats_add(&fcr_milter_stats.connections, 1);
	c->connected = true;
	if (!fcr_addr_from_sockaddr(sa, &c->addr)) {
		c->skip = true;
		c->skip_why = "no-address";
		fcr_stats_add(&fcr_milter_stats.no_address, 1);
	} else if (fcr_cidrs_match(conf->exempt_hosts, &c->addr)) {
		c->skip = true;
		c->skip_why = "exempt";
		fcr_stats_add(&fcr_milter_stats.exempt, 1);
	}
	if (c->skip)
		return reply(c, SMFIP_NR_CONN, (c->nr & SMFIP_NR_CONN) ? SMFIS_CONTINUE : SMFIS_ACCEPT);
	c->deadline_ms = c->start_ms + conf->check_timeout_ms + LATE_SLACK_MS;
	/* Most clients are in the cache: answer those here, without a hand-off to a worker. */
	if (fcr_service_peek(c->snap->svc, &c->addr, &c->v) != 0) {
		c->have_result = c->cached = true;
		c->v.elapsed_ms = fcr_now_ms() - c->start_ms;
		fcr_stats_check(&fcr_milter_stats, &c->v, true);
	} else {
		c->job = fcr_job_submit(c->snap, &c->addr, c->deadline_ms);
	}
	/* A policy that can only accept has its verdict now (its RejectAt step may be negotiated away). */
	if (conf->reject_at == FCR_AT_CONNECT || !fcr_policy_can_refuse(conf))
		return reply(c, SMFIP_NR_CONN, decide(ctx, c));
	return reply(c, SMFIP_NR_CONN, SMFIS_CONTINUE);
}

static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
	(void)helo;
	struct fcr_conn *c = conn_of(ctx);
	if (!c || c->skip || c->snap->conf->reject_at != FCR_AT_HELO)
		return SMFIS_CONTINUE;
	return reply(c, SMFIP_NR_HELO, decide(ctx, c));
}

/* A printable copy of a macro value (queue ids are short and plain, but nothing is trusted). */
static void copy_printable(char *dst, size_t len, const char *src)
{
	size_t o = 0;
	for (; src && *src && o + 1 < len; src++)
		dst[o++] = (*src > 0x20 && *src < 0x7f) ? *src : '?';
	dst[o] = '\0';
}

static void message_reset(struct fcr_conn *c)
{
	c->n_result = c->n_score = c->n_authres = 0;
	c->n_forged_authres = 0;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	(void)argv;
	struct fcr_conn *c = conn_of(ctx);
	if (!c)
		return SMFIS_CONTINUE;
	message_reset(c);
	const char *qid = smfi_getsymval(ctx, "i");
	if (qid && *qid)
		copy_printable(c->qid, sizeof(c->qid), qid);
	const char *auth = smfi_getsymval(ctx, "{auth_authen}");
	c->authenticated = auth && *auth;
	if (c->skip)
		return reply(c, SMFIP_NR_MAIL, SMFIS_CONTINUE);
	if (c->snap->conf->reject_at == FCR_AT_MAIL)
		return reply(c, SMFIP_NR_MAIL, decide(ctx, c));
	return reply(c, SMFIP_NR_MAIL, SMFIS_CONTINUE);
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)argv;
	struct fcr_conn *c = conn_of(ctx);
	if (!c || c->skip || c->snap->conf->reject_at != FCR_AT_RCPT)
		return SMFIS_CONTINUE;
	return reply(c, SMFIP_NR_RCPT, decide(ctx, c));
}

static void note_forged_authres(struct fcr_conn *c)
{
	if (c->n_forged_authres == c->cap_forged_authres) {
		size_t cap = c->cap_forged_authres ? 2 * c->cap_forged_authres : 4;
		unsigned *g = realloc(c->forged_authres, cap * sizeof(*g));
		if (!g)
			return;  /* cannot remember it: it stays, ours still goes on top */
		c->forged_authres = g;
		c->cap_forged_authres = cap;
	}
	c->forged_authres[c->n_forged_authres++] = c->n_authres;
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct fcr_conn *c = conn_of(ctx);
	if (!c || c->skip)
		return c ? reply(c, SMFIP_NR_HDR, SMFIS_CONTINUE) : SMFIS_CONTINUE;
	const struct fcr_config *conf = c->snap->conf;
	if (strcasecmp(name, conf->result_header) == 0) {
		c->n_result++;
	} else if (strcasecmp(name, conf->score_header) == 0) {
		c->n_score++;
	} else if (strcasecmp(name, AUTHRES) == 0) {
		c->n_authres++;
		if (fcr_authres_is_from(value, conf->authserv_id))
			note_forged_authres(c);
	}
	return reply(c, SMFIP_NR_HDR, SMFIS_CONTINUE);
}

/* Removes the sender's copies of our headers, last first so that indices stay valid. */
static void remove_forged(SMFICTX *ctx, struct fcr_conn *c)
{
	const struct fcr_config *conf = c->snap->conf;
	unsigned removed = 0;
	for (unsigned i = c->n_result; i > 0; i--)
		removed += smfi_chgheader(ctx, conf->result_header, (int)i, NULL) == MI_SUCCESS;
	for (unsigned i = c->n_score; i > 0; i--)
		removed += smfi_chgheader(ctx, conf->score_header, (int)i, NULL) == MI_SUCCESS;
	for (size_t i = c->n_forged_authres; i > 0; i--)
		removed += smfi_chgheader(ctx, AUTHRES, (int)c->forged_authres[i - 1], NULL) == MI_SUCCESS;
	if (removed) {
		fcr_stats_add(&fcr_milter_stats.forged_removed, removed);
		fcr_log(LOG_INFO, "qid=%s removed %u forged header%s", c->qid[0] ? c->qid : "-",
		        removed, removed == 1 ? "" : "s");
	}
}

static void add_headers(SMFICTX *ctx, struct fcr_conn *c)
{
	const struct fcr_config *conf = c->snap->conf;
	char authres[2048], result[1536], score[32];
	struct view w;
	const struct fcr_check_result *r = view_of(c, &w);

	fcr_format_authres(conf, r, authres, sizeof(authres));
	fcr_format_result_header(conf, r, result, sizeof(result));
	fcr_format_score(fcr_policy_score(conf, r), score, sizeof(score));
	if (smfi_insheader(ctx, 0, AUTHRES, authres) != MI_SUCCESS ||
	    smfi_addheader(ctx, conf->result_header, result) != MI_SUCCESS ||
	    smfi_addheader(ctx, conf->score_header, score) != MI_SUCCESS)
		fcr_log(LOG_WARNING, "qid=%s adding headers failed", c->qid[0] ? c->qid : "-");
	else
		fcr_stats_add(&fcr_milter_stats.messages, 1);
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	struct fcr_conn *c = conn_of(ctx);
	if (!c || c->skip || !c->snap->conf->add_headers)
		return SMFIS_CONTINUE;
	const char *qid = smfi_getsymval(ctx, "i");
	if (qid && *qid)
		copy_printable(c->qid, sizeof(c->qid), qid);
	take_result(c);
	settle(c);
	c->messages++;
	if (c->can_change)
		remove_forged(ctx, c);
	if (c->can_add)
		add_headers(ctx, c);
	message_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	struct fcr_conn *c = conn_of(ctx);
	if (c)
		message_reset(c);
	return SMFIS_CONTINUE;
}

/* One log line per connection, with what was found and what was done. */
static void log_connection(struct fcr_conn *c)
{
	char ip[FCR_ADDR_STRLEN], line[2048];
	if (!c->connected) {
		/* libmilter gave up on the MTA's connect step (an address it could not read, say):
		 * there was no client address, no check and no time to report. */
		fcr_log(LOG_INFO, "ip=- result=none action=none reason=closed-before-connect");
		return;
	}
	if (c->skip) {
		fcr_log(LOG_INFO, "ip=%s result=none action=accept reason=%s",
		        c->addr.family ? fcr_addr_format(&c->addr, ip, sizeof(ip)) : "-", c->skip_why);
		return;
	}
	if (!c->have_result && c->job) {
		/* Close never waits: log what is known. */
		bool cached = false;
		if (!fcr_job_wait(c->job, fcr_now_ms(), &c->v, &cached)) {
			fcr_stats_add(&fcr_milter_stats.pending_at_close, 1);
			fcr_log(LOG_INFO, "ip=%s result=pending action=%s ms=%lld qid=%s msgs=%u",
			        fcr_addr_format(&c->addr, ip, sizeof(ip)), c->decided ? c->applied : "none",
			        (long long)(fcr_now_ms() - c->start_ms), c->qid[0] ? c->qid : "-", c->messages);
			return;
		}
		c->cached = cached;
		c->have_result = true;
		fcr_stats_check(&fcr_milter_stats, &c->v, cached);
	} else if (!c->have_result) {
		take_result(c);
	}
	settle(c);
	struct fcr_trace_ctx t = { .conf = c->snap->conf, .cached = c->cached, .action = c->applied };
	struct view w;
	fcr_trace_summary(&t, view_of(c, &w), line, sizeof(line));
	fcr_log(LOG_INFO, "%s qid=%s msgs=%u%s%s%s%s%s", line, c->qid[0] ? c->qid : "-", c->messages,
	        c->late ? " late=yes" : "", c->would ? " would=" : "", c->would ? c->would : "",
	        c->waived ? " waived=" : "", c->waived ? c->waived : "");
}

static sfsistat cb_close(SMFICTX *ctx)
{
	struct fcr_conn *c = conn_of(ctx);
	if (!c)
		return SMFIS_CONTINUE;
	smfi_setpriv(ctx, NULL);
	log_connection(c);
	conn_free(c);
	return SMFIS_CONTINUE;
}

struct smfiDesc fcr_milter_desc = {
	.xxfi_name = "fcrdns-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_negotiate = cb_negotiate,
};
