/* Fuzz target: arbitrary Authentication-Results values through the authserv-id parser.
 * Input: the value (cut at its first NUL), copied to a buffer of its exact size. */
#include "fuzz.h"

#include "authres.h"

#include <stdlib.h>

/* RFC 2045 token characters, as the parser knows them. */
static bool token_only(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || strchr("()<>@,;:\\\"/[]?=", *s))
			return false;
	return true;
}

/* id as a quoted-string: every '"', '\', CR and LF escaped (a bare CR or LF is folding). */
static char *quoted(const char *id, const char *tail)
{
	size_t n = strlen(id), o = 0;
	char *q = malloc(2 * n + strlen(tail) + 3);
	if (!q)
		abort();
	q[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (strchr("\"\\\r\n", id[i]))
			q[o++] = '\\';
		q[o++] = id[i];
	}
	q[o++] = '"';
	strcpy(q + o, tail);
	return q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size);
	char *v = malloc(n + 1), *c = malloc(n + 6), id[300], again[300];
	if (!v || !c)
		abort();
	memcpy(v, data, n);
	v[n] = '\0';
	int st = fcr_authres_authserv_id(v, id, sizeof(id));
	FUZZ_ASSERT(st >= -1 && st <= 1);
	FUZZ_ASSERT(strnlen(id, sizeof(id)) < sizeof(id));
	FUZZ_ASSERT(st != 0 || id[0] == '\0');
	/* a comment in front changes nothing */
	snprintf(c, n + 6, "(x) %s", v);
	FUZZ_ASSERT(fcr_authres_authserv_id(c, again, sizeof(again)) == st && strcmp(again, id) == 0);
	if (st == 1 && strlen(id) <= 256) {
		FUZZ_ASSERT(fcr_authres_is_from(v, id));
		/* the id written back as a quoted-string (and as a token, when it is one) reads the same */
		char *q = quoted(id, " 1; none");
		FUZZ_ASSERT(fcr_authres_authserv_id(q, again, sizeof(again)) == 1 && strcmp(again, id) == 0);
		free(q);
		if (id[0] && token_only(id))
			FUZZ_ASSERT(fcr_authres_is_from(id, id));
	}
	free(v);
	free(c);
	return 0;
}
