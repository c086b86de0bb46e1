/* Values with a grammar of their own: milter sockets, user names, authserv-id tokens, header
 * field names, SMTP replies and files that must be readable now rather than at the first mail. */
#include "internal.h"
#include "generic.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#define UNIX_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* LDH labels of 1-63 bytes, 253 bytes at most: what libmilter may resolve as a listen host. */
static bool valid_hostname(const char *s)
{
	size_t n = strlen(s), start = 0;

	if (n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	size_t top = n;  /* an all-numeric top label: "1.2.3.4" is no host name */
	while (top > 0 && s[top - 1] != '.')
		top--;
	if (strspn(s + top, "0123456789") == n - top)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			size_t len = i - start;
			if (len == 0 || len > 63 || s[start] == '-' || s[i - 1] == '-')
				return false;
			start = i + 1;
		} else if (!isalnum((unsigned char)s[i]) && s[i] != '-') {
			return false;
		}
	}
	return true;
}

/* HOST of inet:PORT@HOST: an address of the family (bracketed or not) or a host name. */
static bool valid_listen_host(const char *h, int family)
{
	unsigned char bin[16];
	char buf[64];
	size_t n = strlen(h);

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, h + 1, n - 2);
		buf[n - 2] = '\0';
		return inet_pton(family, buf, bin) == 1;
	}
	return inet_pton(family, h, bin) == 1 || valid_hostname(h);
}

static bool valid_port(const char *p, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

static int check_inet(const struct fcr_cfg_key *k, const char *v, const char *rest, int family,
                      struct fcr_cfg_msg *m)
{
	const char *at = strchr(rest, '@');
	size_t plen = at ? (size_t)(at - rest) : strlen(rest);

	if (!valid_port(rest, plen))
		return fcr_cfg_bad(m, k, v, "needs a port number 1-65535 (inet:PORT@HOST)");
	if (at && !valid_listen_host(at + 1, family))
		return fcr_cfg_bad(m, k, v, "has a bad host: expected an %s address or a host name",
		                   family == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

static int check_unix(const struct fcr_cfg_key *k, const char *v, const char *path,
                      struct fcr_cfg_msg *m)
{
	if (path[0] != '/')
		return fcr_cfg_bad(m, k, v, "needs an absolute path (unix:/path)");
	if (strlen(path) > UNIX_PATH_MAX)
		return fcr_cfg_bad(m, k, v, "has a path longer than %zu bytes", (size_t)UNIX_PATH_MAX);
	return 0;
}

static int store_socket(const struct fcr_cfg_key *k, struct fcr_config *c, const char *proto,
                        const char *rest, struct fcr_cfg_msg *m)
{
	char *s = malloc(strlen(proto) + strlen(rest) + 2);

	if (!s)
		return fcr_cfg_fail(m, k, "out of memory");
	sprintf(s, "%s:%s", proto, rest);
	free(c->socket);
	c->socket = s;
	return 0;
}

int fcr_cfg_p_socket(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                     struct fcr_cfg_msg *m)
{
	static const char *const protos[] = { "unix", "local", "inet", "inet6" };
	const char *colon = strchr(v, ':');
	size_t plen = colon ? (size_t)(colon - v) : 0;
	size_t i = 0;
	int rc;

	if (!*v)
		return fcr_cfg_fail(m, k, "missing value");
	if (v[0] == '/')  /* a bare path means a unix socket, as libmilter itself assumes */
		return check_unix(k, v, v, m) < 0 ? -1 : store_socket(k, c, "unix", v, m);
	while (colon && i < 4 && (strlen(protos[i]) != plen || strncasecmp(v, protos[i], plen) != 0))
		i++;
	if (!colon || i == 4)
		return fcr_cfg_bad(m, k, v, "is not unix:/path, local:/path, inet:PORT@HOST or "
		                            "inet6:PORT@HOST");
	if (i < 2)
		rc = check_unix(k, v, colon + 1, m);
	else
		rc = check_inet(k, v, colon + 1, i == 2 ? AF_INET : AF_INET6, m);
	return rc < 0 ? -1 : store_socket(k, c, protos[i], colon + 1, m);
}

static bool valid_account(const char *s, size_t n)
{
	if (n == 0 || n > 32 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

int fcr_cfg_p_user(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                   struct fcr_cfg_msg *m)
{
	const char *colon = strchr(v, ':');
	size_t ulen = colon ? (size_t)(colon - v) : strlen(v);

	if (fcr_cfg_is_none(v))
		return fcr_cfg_set_str(&c->user, NULL);
	if (!valid_account(v, ulen) || (colon && !valid_account(colon + 1, strlen(colon + 1))))
		return fcr_cfg_bad(m, k, v, "is not user or user:group (letters, digits, '.', '_', '-')");
	return fcr_cfg_set_str(&c->user, v) < 0 ? fcr_cfg_fail(m, k, "out of memory") : 0;
}

/* RFC 8601 authserv-id is an RFC 2045 token: printable ASCII without blanks or tspecials. */
bool fcr_cfg_valid_token(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127 || strchr("()<>@,;:\\\"/[]?=", s[i]))
			return false;
	return true;
}

int fcr_cfg_p_authserv(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                       struct fcr_cfg_msg *m)
{
	if (!*v)
		return fcr_cfg_fail(m, k, "missing value");
	if (!fcr_cfg_valid_token(v))
		return fcr_cfg_bad(m, k, v, "is not a valid authserv-id (printable ASCII, no blanks, "
		                            "none of ()<>@,;:\\\"/[]?=)");
	return fcr_cfg_set_str(&c->authserv_id, v) < 0 ? fcr_cfg_fail(m, k, "out of memory") : 0;
}

/* RFC 5322 field name: 1*ftext, printable ASCII except ':'. */
int fcr_cfg_p_header(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                     struct fcr_cfg_msg *m)
{
	char **field = (char **)(void *)((char *)c + k->off);
	size_t n = strlen(v);

	if (!*v)
		return fcr_cfg_fail(m, k, "missing value");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 33 || (unsigned char)v[i] > 126 || v[i] == ':')
			return fcr_cfg_bad(m, k, v, "is not a header field name (printable ASCII, no "
			                            "blanks or ':')");
	if (n > 128)
		return fcr_cfg_bad(m, k, v, "is longer than 128 bytes");
	if (strcasecmp(v, "Authentication-Results") == 0)
		return fcr_cfg_bad(m, k, v, "is reserved for the RFC 8601 header");
	return fcr_cfg_set_str(field, v) < 0 ? fcr_cfg_fail(m, k, "out of memory") : 0;
}

/* GenericPatterns: read and compiled now, so that -n and a reload catch a bad pattern or file. */
int fcr_cfg_p_patterns(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                       struct fcr_cfg_msg *m)
{
	char **field = (char **)(void *)((char *)c + k->off);
	char err[512], qerr[4 * sizeof(err)];

	if (fcr_cfg_is_none(v))
		return fcr_cfg_set_str(field, NULL);
	fcr_generic *g = fcr_generic_new(v, NULL, err, sizeof(err));
	if (!g)
		return fcr_cfg_fail(m, k, "%s", fcr_text_escape(err, sizeof(err), qerr, sizeof(qerr)));
	fcr_generic_free(g);
	return fcr_cfg_set_str(field, v) < 0 ? fcr_cfg_fail(m, k, "out of memory") : 0;
}

/* GenericNames: likewise read now; "none" turns the shipped rules off. */
int fcr_cfg_p_names(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                    struct fcr_cfg_msg *m)
{
	char err[512], qerr[4 * sizeof(err)];

	c->generic_names_default = false;
	if (fcr_cfg_is_none(v))
		return fcr_cfg_set_str(&c->generic_names, NULL);
	fcr_generic *g = fcr_generic_new(NULL, v, err, sizeof(err));
	if (!g)
		return fcr_cfg_fail(m, k, "%s", fcr_text_escape(err, sizeof(err), qerr, sizeof(qerr)));
	fcr_generic_free(g);
	return fcr_cfg_set_str(&c->generic_names, v) < 0 ? fcr_cfg_fail(m, k, "out of memory") : 0;
}
