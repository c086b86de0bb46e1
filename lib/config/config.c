/* Configuration loading: built-in defaults, then the file, then the -o overrides in order, each
 * value checked as it is read; an error says where ("file:line: ..." or "-o KEY=VALUE: ..."). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#define MSG_MAX 1024

/* Where a keyword got its value: 0 built in, 1 the file (at 'line'), 2 + i override i. */
struct where {
	size_t src;
	unsigned line;
};

struct loader {
	struct fcr_config *c;
	const char *path;
	const char *const *overrides;
	struct where *where;
	char *err;
	size_t errlen;
};

static const char *const action_names[] = { "accept", "tempfail", "reject" };
static const char *const stage_names[] = { "connect", "helo", "mail", "rcpt" };

const char *fcr_action_name(enum fcr_action a)
{
	return (unsigned)a < 3 ? action_names[a] : "accept";
}

const char *fcr_stage_name(enum fcr_stage s)
{
	return (unsigned)s < 4 ? stage_names[s] : "mail";
}

void fcr_config_free(struct fcr_config *c)
{
	if (!c)
		return;
	free(c->socket);
	free(c->user);
	free(c->pidfile);
	free(c->authserv_id);
	free(c->result_header);
	free(c->score_header);
	free(c->reject_reply.text);
	free(c->tempfail_reply.text);
	fcr_cidrs_free(c->exempt_hosts);
	free(c->generic_patterns);
	free(c->generic_names);
	free(c->stats_file);
	free(c->path);
	free(c);
}

static int default_reply(struct fcr_smtp_reply *r, const char *code, const char *xcode,
                         const char *text)
{
	snprintf(r->code, sizeof(r->code), "%s", code);
	snprintf(r->xcode, sizeof(r->xcode), "%s", xcode);
	return (r->text = strdup(text)) ? 0 : -1;
}

/* The host name is the natural authserv-id; one that is not a valid token falls back. */
static int default_authserv(struct fcr_config *c)
{
	char host[256];

	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	return fcr_cfg_set_str(&c->authserv_id, fcr_cfg_valid_token(host) ? host : "localhost");
}

static int default_strings(struct fcr_config *c)
{
	char e[128];

	if (fcr_cfg_set_str(&c->socket, "unix:/run/fcrdns-milter/fcrdns-milter.sock") < 0 ||
	    fcr_cfg_set_str(&c->result_header, "X-FCrDNS") < 0 ||
	    fcr_cfg_set_str(&c->score_header, "X-FCrDNS-Score") < 0 || default_authserv(c) < 0)
		return -1;
	if (default_reply(&c->reject_reply, "550", "5.7.25",
	                  "Client address %a has no valid forward-confirmed reverse DNS") < 0 ||
	    default_reply(&c->tempfail_reply, "450", "4.7.25",
	                  "Client address %a: reverse DNS could not be verified, try again later") < 0)
		return -1;
	if (!(c->exempt_hosts = fcr_cidrs_new()) ||
	    fcr_cidrs_add(c->exempt_hosts, "127.0.0.0/8", e, sizeof(e)) < 0 ||
	    fcr_cidrs_add(c->exempt_hosts, "::1/128", e, sizeof(e)) < 0)
		return -1;
	return 0;
}

int fcr_cfg_defaults(struct fcr_config *c)
{
	static const double scores[FCR_NRESULTS] = { [FCR_PASS] = 0, [FCR_FAIL] = 3,
		                                     [FCR_PERMERROR] = 2, [FCR_TEMPERROR] = 0 };

	c->umask = 007;
	c->syslog = true;
	c->syslog_facility = LOG_MAIL;
	c->nns = 0;
	c->dns_timeout_ms = 2000;
	c->dns_retries = 1;
	c->check_timeout_ms = 5000;
	c->max_ptr_names = 10;
	c->cache_size = 100000;
	c->cache_max_ttl = 86400;
	c->neg_cache_max_ttl = 3600;
	c->error_cache_ttl = 30;
	c->add_headers = true;
	memcpy(c->score, scores, sizeof(scores));
	c->score_generic = 1;
	for (size_t i = 0; i < FCR_NRESULTS; i++)
		c->on[i] = FCR_ACCEPT;
	c->on_generic = FCR_ACCEPT;
	c->reject_at = FCR_AT_MAIL;
	c->exempt_authenticated = true;
	c->dry_run = false;
	c->stats_interval = 60;
	c->generic_names_default = true;
	if (fcr_cfg_set_str(&c->generic_names, FCR_DEFAULT_GENERIC_NAMES) < 0)
		return -1;
	return default_strings(c);
}

/* "path:line: msg" or "-o KEY=VALUE: msg", with anything unprintable escaped. */
static int locate(const struct loader *L, struct where w, const char *msg)
{
	char q[256 * 4 + 8];

	if (w.src == 1)
		snprintf(L->err, L->errlen, "%s:%u: %s", fcr_text_escape(L->path, 256, q, sizeof(q)),
		         w.line, msg);
	else
		snprintf(L->err, L->errlen, "-o %s: %s",
		         fcr_text_escape(L->overrides[w.src - 2], 256, q, sizeof(q)), msg);
	return -1;
}

static int apply(struct loader *L, const char *name, size_t nlen, const char *val, struct where w)
{
	char msg[MSG_MAX], q[FCR_CFG_QUOTE_MAX * 4 + 8], nm[FCR_CFG_LINE_MAX + 1];
	struct fcr_cfg_msg m = { msg, sizeof(msg), false };
	const struct fcr_cfg_key *k = fcr_cfg_key_find(name, nlen);

	if (!k) {
		memcpy(nm, name, nlen);
		nm[nlen] = '\0';
		snprintf(msg, sizeof(msg), "unknown keyword '%s'",
		         fcr_text_escape(nm, FCR_CFG_QUOTE_MAX, q, sizeof(q)));
		return locate(L, w, msg);
	}
	if (k->parse(k, L->c, val, &m) < 0) {
		if (!m.located)
			return locate(L, w, msg);
		snprintf(L->err, L->errlen, "%s", msg);
		return -1;
	}
	L->where[fcr_cfg_key_index(k)] = w;
	return 0;
}

/* "Keyword value": the keyword runs up to the first blank, the value is the rest. */
static int apply_line(struct loader *L, char *line, unsigned lineno)
{
	size_t nlen = strcspn(line, " \t");
	struct where w = { 1, lineno };

	return apply(L, line, nlen, fcr_cfg_trim(line + nlen), w);
}

static int read_file(struct loader *L, struct fcr_cfg_reader *r)
{
	char *line;
	int rc;

	while ((rc = fcr_cfg_reader_next(r, &line, L->err, L->errlen)) == 1)
		if (*line && apply_line(L, line, r->t.line) < 0)
			return -1;
	return rc;
}

static int apply_override(struct loader *L, size_t i)
{
	const char *o = L->overrides[i];
	struct where w = { 2 + i, 0 };
	char why[96];
	size_t n = strlen(o);

	if (n > FCR_CFG_LINE_MAX) {
		snprintf(why, sizeof(why), "longer than %d bytes", FCR_CFG_LINE_MAX);
		return locate(L, w, why);
	}
	if (fcr_text_check(o, n, why, sizeof(why)))
		return locate(L, w, why);
	char *copy = strdup(o);
	if (!copy)
		return locate(L, w, "out of memory");
	char *eq = strchr(copy, '=');
	int rc;
	if (!eq) {
		rc = locate(L, w, "expected KEY=VALUE");
	} else {
		*eq = '\0';
		char *key = fcr_cfg_trim(copy);
		rc = apply(L, key, strlen(key), fcr_cfg_trim(eq + 1), w);
	}
	free(copy);
	return rc;
}

/* Checks that span keywords, blamed on whichever of them came last. */
static int cross_check(struct loader *L)
{
	const struct fcr_cfg_key *rk = fcr_cfg_key_find("ResultHeader", 12);
	const struct fcr_cfg_key *sk = fcr_cfg_key_find("ScoreHeader", 11);
	struct where wr = L->where[fcr_cfg_key_index(rk)], ws = L->where[fcr_cfg_key_index(sk)];
	bool score_later = ws.src > wr.src || (ws.src == wr.src && ws.line > wr.line);

	if (strcasecmp(L->c->result_header, L->c->score_header) != 0)
		return 0;
	return locate(L, score_later ? ws : wr, "ResultHeader and ScoreHeader must differ");
}

static int load_file(struct loader *L, const char *path, bool missing_ok)
{
	struct fcr_cfg_reader r;
	char q[256 * 4 + 8], why[96];
	int e = fcr_cfg_reader_open(&r, path, FCR_TEXT_CONFIG_MAX, why, sizeof(why));

	if (e == ENOENT && missing_ok)
		return 0;
	if (e) {
		snprintf(L->err, L->errlen, "%s: %s", fcr_text_escape(path, 256, q, sizeof(q)), why);
		return -1;
	}
	if (fcr_cfg_set_str(&L->c->path, path) < 0) {
		fcr_cfg_reader_close(&r);
		snprintf(L->err, L->errlen, "out of memory");
		return -1;
	}
	L->path = path;
	int rc = read_file(L, &r);
	fcr_cfg_reader_close(&r);
	return rc;
}

struct fcr_config *fcr_cfg_load(const char *path, bool missing_ok, const char *const *overrides,
                                size_t noverrides, char *err, size_t errlen)
{
	struct fcr_config *c = calloc(1, sizeof(*c));
	struct where *where = calloc(fcr_cfg_key_count(), sizeof(*where));
	struct loader L = { c, path, overrides, where, err, errlen };
	int rc = -1;

	if (!c || !where || fcr_cfg_defaults(c) < 0)
		snprintf(err, errlen, "out of memory");
	else if (load_file(&L, path, missing_ok) == 0)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < noverrides; i++)
		rc = apply_override(&L, i);
	if (rc == 0)
		rc = cross_check(&L);
	free(where);
	if (rc < 0) {
		fcr_config_free(c);
		return NULL;
	}
	return c;
}

struct fcr_config *fcr_config_load(const char *path, const char *const *overrides, size_t noverrides,
                                   char *err, size_t errlen)
{
	return fcr_cfg_load(path ? path : FCR_DEFAULT_CONFIG, path == NULL, overrides, noverrides, err,
	                    errlen);
}

const char *fcr_config_generic_names(const struct fcr_config *c)
{
	if (!c->generic_names)
		return NULL;
	/* The shipped file is optional, as the default configuration file is: a build run from its
	 * tree, or a package without the data, still works with the rules in code. */
	if (c->generic_names_default && access(c->generic_names, F_OK) != 0 && errno == ENOENT)
		return NULL;
	return c->generic_names;
}
