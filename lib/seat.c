// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seat.c - the active user of a seat from logind's seat file (see seat.h).
 *
 * MUST: a uid is taken only from a whole, valid ACTIVE_UID= value; anything
 *       else is "no answer", so the caller falls back to its other source
 *       instead of acting on a guess.
 * MUST: the file is read bounded (MNG_SEAT_FILE_MAX) and, in production,
 *       as a trusted file (root-owned, not group/other-writable, no symlink).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "seat.h"

#define KEY_ACTIVE_UID "ACTIVE_UID"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Trim spaces on both ends of [*s, *e). */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

/* A uid written as plain decimal digits; (uid_t)-1 and 65535 are not uids. */
static bool parse_uid(const char *s, const char *e, uid_t *ret)
{
	uint64_t v = 0;

	if (s == e || e - s > 10)
		return false;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v >= UINT32_MAX || v == 65535)
		return false;
	*ret = (uid_t)v;
	return true;
}

int mng_seat_parse(const char *file, const char *text, size_t len, struct mng_diags *diags,
		   uid_t *ret_uid)
{
	const char *p = text, *end = text + len, *nul;
	unsigned line = 0;
	bool have = false, bad = false;
	uid_t uid = 0;

	if (!file)
		file = "seat";
	if (len > MNG_SEAT_FILE_MAX) {
		if (diags)
			mng_diags_add(diags, file, 0, 0, "file larger than %u bytes",
				      (unsigned)MNG_SEAT_FILE_MAX);
		return -EFBIG;
	}
	if (len && !text)
		return -EINVAL;
	nul = len ? memchr(text, '\0', len) : NULL;
	if (nul) {
		if (diags)
			mng_diags_add(diags, file, 0, 0, "NUL byte at offset %zu",
				      (size_t)(nul - text));
		return -EBADMSG;
	}
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *ls = p, *ks = p, *ke, *vs, *ve, *eq;

		if (!eol)
			eol = end;
		line++;
		p = eol < end ? eol + 1 : end;
		eq = memchr(ks, '=', (size_t)(eol - ks));
		trim(&ks, &eol);
		if (ks == eol || *ks == '#' || !eq)
			continue;
		ke = eq;
		vs = eq + 1;
		ve = eol;
		trim(&ks, &ke);
		trim(&vs, &ve);
		if ((size_t)(ke - ks) != strlen(KEY_ACTIVE_UID) ||
		    memcmp(ks, KEY_ACTIVE_UID, (size_t)(ke - ks)))
			continue;
		if (ve - vs >= 2 && (*vs == '"' || *vs == '\'') && ve[-1] == *vs) {
			vs++;
			ve--;
		}
		if (vs == ve) { /* nobody active (the last assignment wins) */
			have = false;
			bad = false;
			continue;
		}
		if (parse_uid(vs, ve, &uid)) {
			have = true;
			bad = false;
			continue;
		}
		have = false;
		bad = true;
		if (diags)
			mng_diags_add(diags, file, line, (unsigned)(vs - ls) + 1,
				      "ACTIVE_UID is not a valid uid");
	}
	if (bad)
		return -EBADMSG;
	if (!have)
		return -ENODATA;
	*ret_uid = uid;
	return 0;
}

static bool seat_name_ok(const char *seat)
{
	size_t len = seat ? strlen(seat) : 0;

	return len > 0 && len <= MNG_SEAT_NAME_MAX && seat[0] != '.' && !strchr(seat, '/');
}

int mng_seat_active_uid(const char *dir, const char *seat, unsigned flags, struct mng_diags *diags,
			uid_t *ret_uid)
{
	char path[4096 + MNG_SEAT_NAME_MAX + 2];
	char *text = NULL;
	size_t len = 0;
	int n, r;

	if (!dir || !seat_name_ok(seat))
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/%s", dir, seat);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	r = mng_file_read(path, MNG_SEAT_FILE_MAX, flags, &text, &len, NULL);
	if (r < 0)
		return r;
	r = mng_seat_parse(path, text, len, diags, ret_uid);
	free(text);
	return r;
}
