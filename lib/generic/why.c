/* The generic-name reason in words: rendered from the compact tag (kind + index) only when printed,
 * for the -t trace and the log line. */
#include "generic.h"

#include <stdio.h>
#include <string.h>

static const struct { uint16_t bit; const char *word; } embed_words[] = {
	{ FCR_EMBED_DECIMAL, "decimal" }, { FCR_EMBED_HEX, "hex" },
	{ FCR_EMBED_INTEGER, "one 32-bit number" }, { FCR_EMBED_GLUED, "12 digits" },
	{ FCR_EMBED_NIBBLES, "nibbles" }, { FCR_EMBED_HEXTETS, "hextets" },
	{ FCR_EMBED_COMPRESSED, "compressed" }, { FCR_EMBED_IID, "interface identifier" },
	{ FCR_EMBED_PADDED, "zero-padded" }, { FCR_EMBED_DOTTED, "dotted" },
	{ FCR_EMBED_REVERSED, "reversed" }, { FCR_EMBED_SWAPPED, "pairs swapped" },
	{ FCR_EMBED_ROTATED, "rotated" }, { FCR_EMBED_REORDERED, "reordered" },
	{ FCR_EMBED_SPLIT, "split across labels" },
};

/* "address embedded: decimal, reversed". */
static char *embedding(uint16_t bits, char *buf, size_t len)
{
	int used = snprintf(buf, len, "address embedded");
	const char *sep = ": ";
	for (size_t i = 0; i < sizeof(embed_words) / sizeof(embed_words[0]); i++) {
		if (!(bits & embed_words[i].bit) || used < 0 || (size_t)used >= len)
			continue;
		used += snprintf(buf + used, len - (size_t)used, "%s%s", sep, embed_words[i].word);
		sep = ", ";
	}
	return buf;
}

char *fcr_generic_why(struct fcr_generic_tag t, const char *patterns, const char *names, char *buf,
                      size_t len)
{
	if (len == 0)
		return buf;
	switch (t.kind) {
	case FCR_GENERIC_ADDRESS:
		return embedding(t.index, buf, len);
	case FCR_GENERIC_POOL_WORD:
		snprintf(buf, len, "pool word \"%s\"", fcr_generic_word(t.kind, t.index));
		break;
	case FCR_GENERIC_SERVER_WORD:
		snprintf(buf, len, "server word \"%s\"", fcr_generic_word(t.kind, t.index));
		break;
	case FCR_GENERIC_SHAPE:
		snprintf(buf, len, "rule %u of %s", t.index, names ? names : "?");
		break;
	case FCR_GENERIC_SENDER:
		snprintf(buf, len, "sender rule %u of %s", t.index, names ? names : "?");
		break;
	case FCR_GENERIC_PATTERN:
		snprintf(buf, len, "pattern %u of %s", t.index, patterns ? patterns : "?");
		break;
	default:
		buf[0] = '\0';
	}
	return buf;
}

char *fcr_generic_tag_short(struct fcr_generic_tag t, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	switch (t.kind) {
	case FCR_GENERIC_ADDRESS:
		snprintf(buf, len, "address");
		break;
	case FCR_GENERIC_POOL_WORD:
		snprintf(buf, len, "pool:%s", fcr_generic_word(t.kind, t.index));
		break;
	case FCR_GENERIC_SERVER_WORD:
		snprintf(buf, len, "server:%s", fcr_generic_word(t.kind, t.index));
		break;
	case FCR_GENERIC_SHAPE:
		snprintf(buf, len, "shape:%u", t.index);
		break;
	case FCR_GENERIC_SENDER:
		snprintf(buf, len, "sender:%u", t.index);
		break;
	case FCR_GENERIC_PATTERN:
		snprintf(buf, len, "pattern:%u", t.index);
		break;
	default:
		snprintf(buf, len, "-");
	}
	return buf;
}
