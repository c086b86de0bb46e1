/* The -t trace in three shapes: text for people, JSON for scripts, key=value for logs. */
#include "trace.h"

#include "format.h"
#include "policy.h"

#include <stdint.h>
#include <string.h>

#define NAMEBUF 1024    /* a 255-octet name escaped as \xHH at worst */

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* Free text such as a reason: spaces kept, any other unprintable byte shown as '?'. */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t i = 0;
	for (; s[i] && i + 1 < len; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* "yes (address embedded: decimal, reversed)", "no (server word \"mail\")", "no". */
static const char *generic_text(const struct fcr_config *c, bool generic, struct fcr_generic_tag t,
                                char *buf, size_t len)
{
	char why[NAMEBUF];
	fcr_generic_why(t, c->generic_patterns, fcr_config_generic_names(c), why, sizeof(why));
	snprintf(buf, len, why[0] ? "%s (%s)" : "%s", yes_no(generic), why);
	return buf;
}

static const char *record_type(const struct fcr_check_result *r)
{
	return r->addr.family == AF_INET ? "A" : "AAAA";
}

struct headers {
	char authres[2048];
	char result[1536];
	char score[32];
};

static void make_headers(const struct fcr_trace_ctx *ctx, const struct fcr_check_result *r,
                         struct headers *h)
{
	fcr_format_authres(ctx->conf, r, h->authres, sizeof(h->authres));
	fcr_format_result_header(ctx->conf, r, h->result, sizeof(h->result));
	fcr_format_score(fcr_policy_score(ctx->conf, r), h->score, sizeof(h->score));
}

static void text_addrs(FILE *out, const struct fcr_name *nm)
{
	char a[FCR_ADDR_STRLEN];
	for (size_t i = 0; i < nm->naddrs; i++)
		fprintf(out, "%s%s", i ? ", " : "", fcr_addr_format(&nm->addrs[i], a, sizeof(a)));
}

static void text_name(FILE *out, const struct fcr_config *conf, const struct fcr_check_result *r,
                      const struct fcr_name *nm)
{
	char n[NAMEBUF], c[NAMEBUF];
	fprintf(out, "    %s\n", fcr_format_name(nm->name, n, sizeof(n)));
	if (nm->pattern_limit)
		fprintf(out, "      GenericPatterns: a pattern hit a PCRE2 limit here, counted as no match\n");
	if (!nm->valid) {
		fprintf(out, "      not a valid host name: not looked up, cannot confirm\n");
		return;
	}
	if (nm->canonical)
		fprintf(out, "      CNAME -> %s\n", fcr_format_name(nm->canonical, c, sizeof(c)));
	fprintf(out, "      %s -> ", record_type(r));
	if (nm->status == FCR_DNS_OK)
		text_addrs(out, nm);
	else
		fprintf(out, "%s", fcr_dns_status_name(nm->status));
	if (fcr_dns_status_temporary(nm->status) && nm->detail[0])
		fprintf(out, " (%s)", printable(nm->detail, c, sizeof(c)));
	if (nm->status == FCR_DNS_OK || nm->ttl)
		fprintf(out, " (ttl %u)", nm->ttl);
	fprintf(out, "%s", nm->confirms ? "  confirms" : "");
	if (nm->generic)
		fprintf(out, "  generic: %s",
		        fcr_generic_why(nm->generic_why, conf->generic_patterns,
		                        fcr_config_generic_names(conf), n, sizeof(n)));
	fputc('\n', out);
}

static void text_ptr(FILE *out, const struct fcr_config *conf, const struct fcr_check_result *r)
{
	char c[NAMEBUF];
	fprintf(out, "reverse name:   %s\n", r->reverse_name);
	if (r->ptr_canonical)
		fprintf(out, "  CNAME -> %s\n", fcr_format_name(r->ptr_canonical, c, sizeof(c)));
	fprintf(out, "PTR:            %s", fcr_dns_status_name(r->ptr_status));
	if (r->detail[0] && r->ptr_status != FCR_DNS_OK)
		fprintf(out, " (%s)", printable(r->detail, c, sizeof(c)));
	if (r->ptr_status == FCR_DNS_OK)
		fprintf(out, ", %zu name%s (ttl %u)", r->ptr_total, r->ptr_total == 1 ? "" : "s",
		        r->ptr_ttl);
	if (r->ptr_total > r->nnames)
		fprintf(out, ", only the first %zu checked (MaxPTRNames)", r->nnames);
	fputc('\n', out);
	for (size_t i = 0; i < r->nnames; i++)
		text_name(out, conf, r, &r->names[i]);
}

static void text_resolvers(FILE *out, const struct fcr_config *c)
{
	char ns[64];
	fprintf(out, "resolvers:      ");
	for (size_t i = 0; i < c->nns; i++)
		fprintf(out, "%s%s", i ? ", " : "", fcr_ns_format(&c->ns[i], ns, sizeof(ns)));
	fprintf(out, "%s (timeout %u ms, %u retr%s)\n", c->nns ? "" : "from /etc/resolv.conf",
	        c->dns_timeout_ms, c->dns_retries, c->dns_retries == 1 ? "y" : "ies");
}

void fcr_trace_text(FILE *out, const struct fcr_trace_ctx *ctx, const struct fcr_check_result *r)
{
	char ip[FCR_ADDR_STRLEN], reason[512], confirmed[NAMEBUF];
	struct headers h;
	const struct fcr_config *c = ctx->conf;

	make_headers(ctx, r, &h);
	fcr_addr_format(&r->addr, ip, sizeof(ip));
	fprintf(out, "address:        %s\n", ip);
	text_resolvers(out, c);
	if (ctx->exempt)
		fprintf(out, "exempt:         yes: in ExemptHosts, the milter would not check it\n");
	text_ptr(out, c, r);
	fprintf(out, "result:         %s (%s)\n", fcr_result_name(r->result),
	        printable(r->reason, reason, sizeof(reason)));
	fcr_check_confirmed(r, confirmed, sizeof(confirmed));
	if (confirmed[0])
		fprintf(out, "confirmed name: %s\n", fcr_format_name(confirmed, reason, sizeof(reason)));
	fprintf(out, "generic:        %s\n",
	        generic_text(c, r->generic, r->generic_why, reason, sizeof(reason)));
	fprintf(out, "score:          %s\n", h.score);
	fprintf(out, "action:         %s%s\n", fcr_action_name(fcr_policy_action(c, r)),
	        c->dry_run ? " (DryRun: logged only)" : "");
	if (c->add_headers) {
		fprintf(out, "headers:\n  Authentication-Results: %s\n", h.authres);
		fprintf(out, "  %s: %s\n  %s: %s\n", c->result_header, h.result, c->score_header, h.score);
	}
	fprintf(out, "time:           %lld ms, %u DNS quer%s, cache %s\n", (long long)r->elapsed_ms,
	        r->queries, r->queries == 1 ? "y" : "ies", ctx->cached ? "hit" : "miss");
}

/* ---- JSON ---- */

static void json_str(FILE *out, const char *key, const char *val)
{
	char buf[2 * NAMEBUF];
	fprintf(out, "%s:", fcr_format_json_string(key, buf, sizeof(buf)));
	if (val)
		fputs(fcr_format_json_string(val, buf, sizeof(buf)), out);
	else
		fputs("null", out);
}

/* A DNS name as JSON: lower-case, no trailing dot, escaped. */
static void json_name(FILE *out, const char *key, const char *name)
{
	char n[NAMEBUF];
	json_str(out, key, name ? fcr_format_name(name, n, sizeof(n)) : NULL);
}

static void json_addrs(FILE *out, const struct fcr_name *nm)
{
	char a[FCR_ADDR_STRLEN];
	fputs("\"addresses\":[", out);
	for (size_t i = 0; i < nm->naddrs; i++)
		fprintf(out, "%s\"%s\"", i ? "," : "", fcr_addr_format(&nm->addrs[i], a, sizeof(a)));
	fputc(']', out);
}

/* ,"generic_rule":"<why>" (null when no rule spoke) */
static void json_why(FILE *out, const struct fcr_config *c, struct fcr_generic_tag t)
{
	char why[NAMEBUF];
	fcr_generic_why(t, c->generic_patterns, fcr_config_generic_names(c), why, sizeof(why));
	fputc(',', out);
	json_str(out, "generic_rule", why[0] ? why : NULL);
}

static void json_names(FILE *out, const struct fcr_config *c, const struct fcr_check_result *r)
{
	fputs(",\"ptr_names\":[", out);
	for (size_t i = 0; i < r->nnames; i++) {
		char n[NAMEBUF], q[2 * NAMEBUF];
		fcr_format_name(r->names[i].name, n, sizeof(n));
		fprintf(out, "%s%s", i ? "," : "", fcr_format_json_string(n, q, sizeof(q)));
	}
	fputs("],\"names\":[", out);
	for (size_t i = 0; i < r->nnames; i++) {
		const struct fcr_name *nm = &r->names[i];
		fputs(i ? ",{" : "{", out);
		json_name(out, "name", nm->name);
		fprintf(out, ",\"valid\":%s,", nm->valid ? "true" : "false");
		json_str(out, "status", nm->valid ? fcr_dns_status_name(nm->status) : "not looked up");
		fputc(',', out);
		json_name(out, "canonical", nm->canonical);
		fprintf(out, ",\"ttl\":%u,", nm->ttl);
		json_addrs(out, nm);
		fprintf(out, ",\"confirms\":%s,\"generic\":%s", nm->confirms ? "true" : "false",
		        nm->generic ? "true" : "false");
		json_why(out, c, nm->generic_why);
		fprintf(out, ",\"pattern_limit\":%s}", nm->pattern_limit ? "true" : "false");
	}
	fputc(']', out);
}

static void json_headers(FILE *out, const struct fcr_trace_ctx *ctx, const struct headers *h)
{
	char v[4096];
	fputs(",\"headers\":{", out);
	if (ctx->conf->add_headers) {
		fprintf(out, "\"Authentication-Results\":%s,",
		        fcr_format_json_string(h->authres, v, sizeof(v)));
		json_str(out, ctx->conf->result_header, h->result);
		fputc(',', out);
		json_str(out, ctx->conf->score_header, h->score);
	}
	fputc('}', out);
}

void fcr_trace_json(FILE *out, const struct fcr_trace_ctx *ctx, const struct fcr_check_result *r)
{
	char ip[FCR_ADDR_STRLEN], confirmed[NAMEBUF];
	struct headers h;

	make_headers(ctx, r, &h);
	fputc('{', out);
	json_str(out, "ip", fcr_addr_format(&r->addr, ip, sizeof(ip)));
	fputc(',', out);
	json_str(out, "result", fcr_result_name(r->result));
	fputc(',', out);
	json_str(out, "reason", r->reason);
	fprintf(out, ",\"exempt\":%s,", ctx->exempt ? "true" : "false");
	json_name(out, "reverse_name", r->reverse_name);
	fputc(',', out);
	json_name(out, "ptr_cname", r->ptr_canonical);
	fputc(',', out);
	json_str(out, "ptr_status", fcr_dns_status_name(r->ptr_status));
	fprintf(out, ",\"ptr_ttl\":%u,\"ptr_total\":%zu", r->ptr_ttl, r->ptr_total);
	json_names(out, ctx->conf, r);
	fputc(',', out);
	fcr_check_confirmed(r, confirmed, sizeof(confirmed));
	json_name(out, "confirmed_name", confirmed[0] ? confirmed : NULL);
	fprintf(out, ",\"generic\":%s", r->generic ? "true" : "false");
	json_why(out, ctx->conf, r->generic_why);
	fprintf(out, ",\"score\":%s,", h.score);
	json_str(out, "action", fcr_action_name(fcr_policy_action(ctx->conf, r)));
	fprintf(out, ",\"dry_run\":%s", ctx->conf->dry_run ? "true" : "false");
	json_headers(out, ctx, &h);
	fprintf(out, ",\"elapsed_ms\":%lld,\"queries\":%u,\"cached\":%s}\n", (long long)r->elapsed_ms,
	        r->queries, ctx->cached ? "true" : "false");
}

char *fcr_trace_summary(const struct fcr_trace_ctx *ctx, const struct fcr_check_result *r,
                        char *buf, size_t len)
{
	char ip[FCR_ADDR_STRLEN], name[NAMEBUF], score[32], tag[48], rule[64] = "";
	const char *ptr = NULL;

	if (r->confirmed >= 0)
		ptr = r->names[r->confirmed].name;
	else if (r->nnames)
		ptr = r->names[0].name;
	fcr_format_score(fcr_policy_score(ctx->conf, r), score, sizeof(score));
	if (r->generic)
		snprintf(rule, sizeof(rule), " generic_rule=%s",
		         fcr_generic_tag_short(r->generic_why, tag, sizeof(tag)));
	snprintf(buf, len, "ip=%s result=%s ptr=%s generic=%s%s score=%s action=%s cached=%s ms=%lld",
	         fcr_addr_format(&r->addr, ip, sizeof(ip)), fcr_result_name(r->result),
	         ptr ? fcr_format_name(ptr, name, sizeof(name)) : "-", yes_no(r->generic), rule, score,
	         ctx->action ? ctx->action : fcr_action_name(fcr_policy_action(ctx->conf, r)),
	         yes_no(ctx->cached),
	         (long long)r->elapsed_ms);
	size_t used = strlen(buf);
	if (r->ptr_status == FCR_DNS_UNAVAILABLE && used < len)
		snprintf(buf + used, len - used, " resolver=unavailable");
	return buf;
}
