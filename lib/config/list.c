/* List values (Nameservers, ExemptHosts): items split on commas and blanks, "file:/path" items
 * read one a line. A list line replaces the whole earlier list, so items go into a fresh list
 * that takes the old one's place only once every item has parsed. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ITEM_WHY_MAX 256

/* Items of a file: one a line, errors located at that file's line. */
static int list_file(const struct fcr_cfg_key *k, const char *path, fcr_cfg_item_fn add, void *acc,
                     struct fcr_cfg_msg *m)
{
	struct fcr_cfg_reader r;
	char why[ITEM_WHY_MAX], q[FCR_CFG_QUOTE_MAX * 4 + 8];
	char *line;
	int rc;

	if (!*path)
		return fcr_cfg_fail(m, k, "file: needs a path");
	if (fcr_cfg_reader_open(&r, path, FCR_TEXT_LIST_MAX, why, sizeof(why)) != 0)
		return fcr_cfg_fail(m, k, "file:%s: %s", fcr_text_escape(path, FCR_CFG_QUOTE_MAX, q, sizeof(q)),
		                    why);
	while ((rc = fcr_cfg_reader_next(&r, &line, m->buf, m->len)) == 1) {
		if (!*line)
			continue;
		if (strncasecmp(line, "file:", 5) == 0)
			snprintf(why, sizeof(why), "file: items do not nest");
		else if (add(acc, line, why, sizeof(why)) == 0)
			continue;
		snprintf(m->buf, m->len, "%s:%u: %s: %s",
		         fcr_text_escape(path, FCR_CFG_QUOTE_MAX, q, sizeof(q)), r.t.line, k->name, why);
		rc = -1;
		break;
	}
	fcr_cfg_reader_close(&r);
	if (rc < 0)
		m->located = true;
	return rc < 0 ? -1 : 0;
}

int fcr_cfg_list(const struct fcr_cfg_key *k, const char *val, fcr_cfg_item_fn add, void *acc,
                 struct fcr_cfg_msg *m)
{
	char why[ITEM_WHY_MAX];
	char *copy = strdup(val), *save = NULL;
	int rc = 0;

	if (!copy)
		return fcr_cfg_fail(m, k, "out of memory");
	for (char *it = strtok_r(copy, ", \t", &save); it && rc == 0; it = strtok_r(NULL, ", \t", &save)) {
		if (strncasecmp(it, "file:", 5) == 0)
			rc = list_file(k, it + 5, add, acc, m);
		else if (add(acc, it, why, sizeof(why)) < 0)
			rc = fcr_cfg_fail(m, k, "%s", why);
	}
	free(copy);
	return rc;
}

struct ns_list {
	struct fcr_ns ns[FCR_MAX_NS];
	size_t n;
};

static int ns_add(void *acc, const char *item, char *why, size_t whylen)
{
	struct ns_list *l = acc;
	char e[ITEM_WHY_MAX / 2];

	if (l->n == FCR_MAX_NS) {
		snprintf(why, whylen, "more than %d nameservers", FCR_MAX_NS);
		return -1;
	}
	if (fcr_ns_parse(item, &l->ns[l->n], e, sizeof(e)) < 0) {
		/* the resolver's reason quotes the item as it came: make it printable */
		fcr_text_escape(e, sizeof(e), why, whylen);
		return -1;
	}
	l->n++;
	return 0;
}

int fcr_cfg_p_nameservers(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                          struct fcr_cfg_msg *m)
{
	struct ns_list l = { .n = 0 };

	if (!fcr_cfg_is_none(v) && fcr_cfg_list(k, v, ns_add, &l, m) < 0)
		return -1;
	memcpy(c->ns, l.ns, sizeof(l.ns));
	c->nns = l.n;
	return 0;
}

static int cidr_add(void *acc, const char *item, char *why, size_t whylen)
{
	return fcr_cidrs_add(acc, item, why, whylen);
}

int fcr_cfg_p_cidrs(const struct fcr_cfg_key *k, struct fcr_config *c, const char *v,
                    struct fcr_cfg_msg *m)
{
	fcr_cidrs **field = (fcr_cidrs **)(void *)((char *)c + k->off);
	fcr_cidrs *l = fcr_cidrs_new();

	if (!l)
		return fcr_cfg_fail(m, k, "out of memory");
	if (!fcr_cfg_is_none(v) && fcr_cfg_list(k, v, cidr_add, l, m) < 0) {
		fcr_cidrs_free(l);
		return -1;
	}
	fcr_cidrs_free(*field);
	*field = l;
	return 0;
}
