// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * counter.c - FIDO2 signature counters (see counter.h).
 *
 * MUST: the counter file is only replaced while the exclusive lock is
 *       held, read again under that lock (never from an earlier read).
 * MUST: every descriptor is opened O_CLOEXEC; the lock file O_NOFOLLOW.
 * MUST: an update in place rewrites only the digits of one counter, of the
 *       same length, lying inside one 512-byte sector, in the file that was
 *       just read and checked through the same descriptor; anything else is
 *       a full atomic replacement. A device writes a sector whole or not at
 *       all, so after a crash the file holds the old value or the new one,
 *       never a mix of their digits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "counter.h"
#include "file.h"

#define ID_TEXT_MAX 1366 /* base64url of 1024 bytes */
#define SECTOR 512	 /* the smallest unit a block device writes whole */

void mng_counters_clear(struct mng_counters *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free(c->v[i].id);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static bool is_b64url(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > ID_TEXT_MAX || n % 4 == 1)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

/* Decimal 0..UINT32_MAX, no sign, no leading zeros but "0" itself. */
static bool parse_u32(const char *s, size_t n, uint32_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

struct entry {
	const char *id;
	unsigned line;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	return r ? r : (x->line < y->line ? -1 : x->line > y->line);
}

/* Every id once; sorted, so a full file costs n log n. -EINVAL on a repeat. */
static int unique(const struct mng_counters *c, const unsigned *lines, const char *file,
		  struct mng_diags *diags)
{
	struct entry *v;
	size_t i;
	int r = 0;

	if (c->n < 2)
		return 0;
	v = malloc(c->n * sizeof(*v));
	if (!v)
		return -EINVAL; /* cannot show it unique: refuse */
	for (i = 0; i < c->n; i++)
		v[i] = (struct entry){c->v[i].id, lines[i]};
	qsort(v, c->n, sizeof(*v), cmp_entry);
	for (i = 1; i < c->n; i++) {
		if (strcmp(v[i].id, v[i - 1].id))
			continue;
		mng_diags_add(diags, file, v[i].line, 1,
			      "credential id given twice (first on line %u)", v[i - 1].line);
		r = -EINVAL;
	}
	free(v);
	return r;
}

int mng_counters_parse(const char *buf, size_t len, const char *filename, struct mng_counters *ret,
		       struct mng_diags *diags)
{
	struct mng_counters c = {0};
	const char *file = filename ? filename : "(counters)";
	size_t off = 0, cap = 0;
	unsigned lineno = 0, *lines = NULL, *nlines;
	int errors = 0;

	if ((!buf && len) || !ret)
		return -EINVAL;
	if (len > MNG_COUNTER_FILE_MAX) {
		mng_diags_add(diags, file, 0, 0, "file larger than %u bytes", MNG_COUNTER_FILE_MAX);
		return -EFBIG;
	}
	while (off < len) {
		const char *s = buf + off, *nl = memchr(s, '\n', len - off), *tab;
		size_t l = nl ? (size_t)(nl - s) : len - off;
		uint32_t v;

		off += l + (nl ? 1 : 0);
		lineno++;
		if (l == 0 || s[0] == '#')
			continue;
		tab = memchr(s, '\t', l);
		if (!tab || !is_b64url(s, (size_t)(tab - s))) {
			mng_diags_add(diags, file, lineno, 1, "expected a base64url credential id");
			errors++;
			continue;
		}
		if (!parse_u32(tab + 1, l - (size_t)(tab - s) - 1, &v)) {
			mng_diags_add(diags, file, lineno, (unsigned)(tab - s) + 2,
				      "expected a counter 0..4294967295");
			errors++;
			continue;
		}
		if (c.n >= MNG_COUNTER_COUNT_MAX) {
			mng_diags_add(diags, file, lineno, 1, "more than %u entries",
				      MNG_COUNTER_COUNT_MAX);
			errors++;
			break;
		}
		if (c.n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct mng_counter *nv = realloc(c.v, ncap * sizeof(*nv));

			if (!nv)
				goto nomem;
			c.v = nv;
			nlines = realloc(lines, ncap * sizeof(*lines));
			if (!nlines)
				goto nomem;
			lines = nlines;
			cap = ncap;
		}
		lines[c.n] = lineno;
		c.v[c.n].id = strndup(s, (size_t)(tab - s));
		if (!c.v[c.n].id)
			goto nomem;
		c.v[c.n++].value = v;
	}
	if (unique(&c, lines, file, diags) < 0)
		errors++;
	free(lines);
	if (errors) {
		mng_counters_clear(&c);
		return -EINVAL;
	}
	*ret = c;
	return 0;
nomem:
	free(lines);
	mng_counters_clear(&c);
	return -ENOMEM;
}

int mng_counter_judge(const uint32_t *stored, uint32_t value, unsigned flags)
{
	uint32_t prev = stored ? *stored : 0;

	if (value == 0)
		return (flags & MNG_COUNTER_ZERO_OK) && prev == 0 ? 0 : -ESTALE;
	return value > prev ? 0 : -ESTALE;
}

static int take_lock(const char *path, int *ret_fd)
{
	struct timespec start, now, nap = {0, 20 * 1000 * 1000};
	char *lock = NULL;
	int fd, r;

	if (asprintf(&lock, "%s.lock", path) < 0)
		return -ENOMEM;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	free(lock);
	if (fd < 0)
		return -errno;
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		r = -errno;
		if (r != -EWOULDBLOCK && r != -EINTR) {
			(void)close(fd);
			return r;
		}
		(void)clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
		    MNG_COUNTER_LOCK_MS) {
			(void)close(fd);
			return -ETIMEDOUT;
		}
		(void)nanosleep(&nap, NULL);
	}
	*ret_fd = fd;
	return 0;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int store(const char *path, const struct mng_counters *c)
{
	char *tmp = NULL, *dir = NULL, *slash;
	FILE *f = NULL;
	int fd, dfd, r = 0;
	char *text = NULL;
	size_t tlen = 0, i;

	f = open_memstream(&text, &tlen);
	if (!f)
		return -ENOMEM;
	for (i = 0; i < c->n; i++)
		fprintf(f, "%s\t%u\n", c->v[i].id, c->v[i].value);
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		free(text);
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, text, tlen);
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	/* a new file: fdatasync writes its size and blocks, which is all a read needs */
	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		goto out;
	}
	dir = strdup(path);
	if (!dir) {
		r = -ENOMEM;
		goto out;
	}
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		goto out;
	}
	if (fsync(dfd) < 0)
		r = -errno;
	(void)close(dfd);
out:
	free(dir);
	free(tmp);
	free(text);
	return r;
}

/*
 * Where the decimal counter of id starts in the checked file text, and its
 * length; false when id has no line. buf parsed without error before.
 */
static bool find_digits(const char *buf, size_t len, const char *id, size_t *ret_off, size_t *ret_n)
{
	size_t idlen = strlen(id), off = 0;

	while (off < len) {
		const char *s = buf + off, *nl = memchr(s, '\n', len - off);
		size_t l = nl ? (size_t)(nl - s) : len - off;

		if (l > idlen && s[idlen] == '\t' && !memcmp(s, id, idlen)) {
			*ret_off = off + idlen + 1;
			*ret_n = l - idlen - 1;
			return true;
		}
		off += l + (nl ? 1 : 0);
	}
	return false;
}

/*
 * Rewrite the digits of one counter in place when that cannot tear (see
 * the MUST at the top): same number of digits, all in one sector. Returns
 * 1 when done, 0 when the caller must replace the file, -errno on a write
 * error (the sector then holds the old or the new value: both are safe).
 */
static int update_in_place(int fd, const char *buf, size_t len, const char *id, uint32_t value)
{
	char digits[16];
	size_t off = 0, n = 0;
	ssize_t w;
	int dn;

	if (fd < 0 || !find_digits(buf, len, id, &off, &n))
		return 0;
	dn = snprintf(digits, sizeof(digits), "%u", value);
	if (dn <= 0 || (size_t)dn != n || off / SECTOR != (off + n - 1) / SECTOR)
		return 0;
	do
		w = pwrite(fd, digits, n, (off_t)off);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	if ((size_t)w != n)
		return -EIO;
	/* an overwrite of existing blocks: the data alone needs to reach the disk */
	if (fdatasync(fd) < 0)
		return -errno;
	return 1;
}

int mng_counter_advance(const char *path, const char *id, uint32_t value, unsigned flags,
			uint32_t *stored, bool *had, struct mng_diags *diags)
{
	struct mng_counters c = {0};
	const char *why = NULL;
	char *buf = NULL;
	size_t len = 0, i;
	int lock = -1, fd = -1, r;
	uint32_t *slot = NULL;

	if (!path || !id || !is_b64url(id, strlen(id)))
		return -EINVAL;
	if (!(flags & MNG_COUNTER_READ_ONLY)) {
		r = take_lock(path, &lock);
		if (r < 0) {
			mng_diags_add(diags, path, 0, 0, "cannot lock the counter file (%s)",
				      strerror(-r));
			return r;
		}
	}
	if (flags & MNG_COUNTER_READ_ONLY) {
		r = mng_file_read(path, MNG_COUNTER_FILE_MAX, MNG_FILE_TRUSTED, &buf, &len, &why);
	} else {
		/* read and checked through the descriptor an update in place writes to */
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			r = -errno;
			why = r == -ELOOP ? "is a symbolic link" : "cannot open";
		} else {
			r = mng_file_read_fd(fd, MNG_COUNTER_FILE_MAX, MNG_FILE_TRUSTED, &buf, &len,
					     &why);
		}
	}
	if (r == -ENOENT) {
		r = 0;
	} else if (r < 0) {
		mng_diags_add(diags, path, 0, 0, "%s (%s)", why ? why : "cannot read",
			      strerror(-r));
		goto out;
	} else {
		r = mng_counters_parse(buf, len, path, &c, diags);
		if (r < 0)
			goto out;
	}
	for (i = 0; i < c.n; i++)
		if (!strcmp(c.v[i].id, id))
			slot = &c.v[i].value;
	if (stored)
		*stored = slot ? *slot : 0;
	if (had)
		*had = slot != NULL;
	r = mng_counter_judge(slot, value, flags);
	if (r < 0 || (flags & MNG_COUNTER_READ_ONLY) || (slot && *slot == value))
		goto out;
	if (!slot) {
		struct mng_counter *nv;

		if (c.n >= MNG_COUNTER_COUNT_MAX) {
			r = -E2BIG;
			goto out;
		}
		nv = realloc(c.v, (c.n + 1) * sizeof(*nv));
		if (!nv) {
			r = -ENOMEM;
			goto out;
		}
		c.v = nv;
		c.v[c.n].id = strdup(id);
		if (!c.v[c.n].id) {
			r = -ENOMEM;
			goto out;
		}
		slot = &c.v[c.n++].value;
	}
	*slot = value;
	r = update_in_place(fd, buf, len, id, value);
	if (r == 0)
		r = store(path, &c);
	else if (r > 0)
		r = 0;
out:
	mng_counters_clear(&c);
	free(buf);
	if (fd >= 0)
		(void)close(fd);
	if (lock >= 0)
		(void)close(lock);
	return r;
}
