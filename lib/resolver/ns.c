/* Nameserver addresses: "IP[:port]" / "[IPv6]:port" text, resolv.conf (through ldns's parser),
 * and the socket addresses the transport connects to. */
#include "internal.h"
#include "textfile.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define NS_TEXT_MAX 64

static int ns_fail(char *err, size_t errlen, const char *why, const char *text)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: \"%.*s\"", why, NS_TEXT_MAX, text);
	return -1;
}

/* Digits only, 1..65535: no sign, no spaces, no hex. */
static bool parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return false;
	}
	if (v == 0)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Splits text into an address part (in host) and a port (53 when absent). */
static bool split_host_port(const char *text, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon = strrchr(text, ':');
	const char *portstr = NULL;
	size_t len;

	*port = 53;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close)
			return false;
		len = (size_t)(close - text) + 1;      /* keep the brackets: fcr_addr_parse takes them */
		if (close[1] == ':')
			portstr = close + 2;
		else if (close[1] != '\0')
			return false;
	} else if (colon && strchr(text, ':') == colon) {
		len = (size_t)(colon - text);          /* exactly one colon: IPv4 with a port */
		portstr = colon + 1;
	} else {
		len = strlen(text);                    /* IPv4, or a bare IPv6 address */
	}
	if (len >= hostlen)
		return false;
	memcpy(host, text, len);
	host[len] = '\0';
	return !portstr || parse_port(portstr, port);
}

int fcr_ns_parse(const char *text, struct fcr_ns *out, char *err, size_t errlen)
{
	char host[NS_TEXT_MAX];
	struct fcr_ns ns;

	if (!text || !*text)
		return ns_fail(err, errlen, "empty nameserver", "");
	memset(&ns, 0, sizeof(ns));
	if (strlen(text) >= NS_TEXT_MAX || !split_host_port(text, host, sizeof(host), &ns.port))
		return ns_fail(err, errlen, "bad nameserver (IP, IP:port or [IPv6]:port)", text);
	if (!fcr_addr_parse(host, &ns.addr))
		return ns_fail(err, errlen, "bad nameserver address", text);
	*out = ns;
	return 0;
}

char *fcr_ns_format(const struct fcr_ns *ns, char *buf, size_t len)
{
	char a[FCR_ADDR_STRLEN];

	if (!buf || !len)
		return buf;
	fcr_addr_format(&ns->addr, a, sizeof(a));
	if (ns->addr.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, (unsigned)ns->port);
	else
		snprintf(buf, len, "%s:%u", a, (unsigned)ns->port);
	return buf;
}

static int conf_fail(char *err, size_t errlen, const char *path, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, why);
	return -1;
}

/* ldns gives nameservers as A/AAAA rdfs; its text goes through fcr_addr_parse so that
 * v4-mapped addresses come out as IPv4 like everywhere else. */
static bool ns_from_rdf(const ldns_rdf *rdf, struct fcr_ns *ns)
{
	ldns_rdf_type t = ldns_rdf_get_type(rdf);
	char *text;
	bool ok;

	if (t != LDNS_RDF_TYPE_A && t != LDNS_RDF_TYPE_AAAA)
		return false;
	text = ldns_rdf2str(rdf);
	if (!text)
		return false;
	memset(ns, 0, sizeof(*ns));
	ok = fcr_addr_parse(text, &ns->addr);
	ns->port = 53;
	free(text);
	return ok;
}

int fcr_resolv_conf_load(const char *path, struct fcr_ns *ns, size_t max, char *err,
                         size_t errlen)
{
	struct fcr_textfile t;
	ldns_resolver *res = NULL;
	ldns_status st;
	char why[96];
	size_t n = 0;

	if (!path)
		path = LDNS_RESOLV_CONF;
	/* opened here so that the reason is errno, not "file error", and so that a FIFO or a huge
	 * file never reaches ldns's unbounded reader */
	if (fcr_textfile_open(&t, path, FCR_TEXT_CONFIG_MAX, why, sizeof(why)) != 0)
		return conf_fail(err, errlen, path, why);
	st = ldns_resolver_new_frm_fp(&res, t.f);
	fcr_textfile_close(&t);
	if (st != LDNS_STATUS_OK)
		return conf_fail(err, errlen, path, ldns_get_errorstr_by_id(st));
	ldns_rdf **list = ldns_resolver_nameservers(res);
	for (size_t i = 0; i < ldns_resolver_nameserver_count(res) && n < max; i++)
		if (ns_from_rdf(list[i], &ns[n]))
			n++;
	ldns_resolver_deep_free(res);
	if (n == 0)
		return conf_fail(err, errlen, path, "no nameserver");
	return (int)n;
}

socklen_t fcr_ns_sockaddr(const struct fcr_ns *ns, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ns->addr.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ns->port);
		memcpy(&s6->sin6_addr, ns->addr.bytes, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(ns->port);
	memcpy(&s4->sin_addr, ns->addr.bytes, 4);
	return sizeof(*s4);
}
