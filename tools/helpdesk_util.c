// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helpdesk_util.c - what mnguard-helpdesk's subcommands share: reading a
 * PIN, the writer's lock on the credential file, the help desk's own CSV
 * log, the time.
 *
 * MUST: a PIN is read without echo on a terminal, never held in a stdio
 *       buffer, and the caller's buffer is the only copy (wiped by it).
 * MUST: nothing written to the CSV log can run as a spreadsheet formula.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "helpdesk.h"
#include "mng.h"

int hd_read_pin(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	size_t n = 0;
	bool too_long = false, nul = false;
	int r = 0;

	if (size < HD_PIN_MAX + 1)
		return -EINVAL;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) < 0)
			return -EIO;
	}
	for (;;) {
		char c;
		ssize_t got = read(STDIN_FILENO, &c, 1);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -EIO;
			break;
		}
		if (got == 0 || c == '\n')
			break;
		if (c == '\0')
			nul = true;
		if (n < HD_PIN_MAX)
			buf[n++] = c;
		else
			too_long = true;
		c = 0;
	}
	buf[n] = '\0';
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (r == 0 && (n == 0 || too_long || nul))
		r = -EINVAL;
	if (r < 0) {
		explicit_bzero(buf, size);
		return r;
	}
	return (int)n;
}

int hd_lock(const char *path)
{
	char *lock = NULL;
	int fd, r;

	if (asprintf(&lock, "%s.lock", path) < 0)
		return -ENOMEM;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	free(lock);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		r = -errno;
		(void)close(fd);
		return r;
	}
	return fd;
}

void hd_now_rfc3339(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "1970-01-01T00:00:00Z");
}

/* One CSV field: RFC 4180 quoting, a ' before = + - @, control characters as spaces. */
static void csv_field(FILE *f, const char *s, bool last)
{
	fputc('"', f);
	if (s && (*s == '=' || *s == '+' || *s == '-' || *s == '@'))
		fputc('\'', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"')
			fputc('"', f);
		fputc(c < 0x20 || c == 0x7f ? ' ' : (int)c, f);
	}
	fputc('"', f);
	fputc(last ? '\n' : ',', f);
}

/* ~/.local/state/mnguard-helpdesk/<name>, its directories made 0700. */
static int default_log_path(const char *name, char *path, size_t size)
{
	static const char *const parts[] = {"/.local", "/.local/state",
					    "/.local/state/mnguard-helpdesk"};
	const char *home = getenv("HOME");
	size_t i;

	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(getuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return -ENOENT;
	for (i = 0; i < MNG_ARRAY_SIZE(parts); i++) {
		if (snprintf(path, size, "%s%s", home, parts[i]) >= (int)size)
			return -ENAMETOOLONG;
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
	}
	if (snprintf(path, size, "%s/.local/state/mnguard-helpdesk/%s", home, name) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int hd_csv_append(const char *log_path, const char *name, const char *head,
		  const char *const *fields, size_t n)
{
	char path[4096], now[32], *line = NULL;
	size_t len = 0, i;
	struct stat st;
	FILE *mem;
	int fd, r = 0;

	if (!log_path) {
		r = default_log_path(name, path, sizeof(path));
		if (r < 0)
			return r;
		log_path = path;
	}
	mem = open_memstream(&line, &len);
	if (!mem)
		return -ENOMEM;
	hd_now_rfc3339(now, sizeof(now));
	csv_field(mem, now, n == 0);
	for (i = 0; i < n; i++)
		csv_field(mem, fields[i], i + 1 == n);
	if (fclose(mem) != 0) {
		free(line);
		return -ENOMEM;
	}
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		free(line);
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if (st.st_size == 0 && write(fd, head, strlen(head)) != (ssize_t)strlen(head)) {
		r = -EIO;
		goto out;
	}
	if (write(fd, line, len) != (ssize_t)len) {
		r = -EIO;
		goto out;
	}
	if (fsync(fd) < 0)
		r = -errno;
out:
	(void)close(fd);
	free(line);
	return r;
}

int hd_log_action(const char *log_path, const char *operator_, const char *action, const char *user,
		  const char *label, const char *aaguid_hex, const char *id_hash_hex)
{
	const char *const fields[] = {operator_, action, user, label, aaguid_hex, id_hash_hex};

	return hd_csv_append(log_path, "issued.csv",
			     "time,operator,action,user,label,aaguid,credential_id_sha256\n",
			     fields, MNG_ARRAY_SIZE(fields));
}

bool hd_common_opt(int c, const char *arg, struct hd_common_opts *o)
{
	switch (c) {
	case 'T':
		o->terminal = arg;
		return true;
	case 'u':
		o->user = arg;
		return true;
	case 't':
		o->ticket = arg;
		return true;
	case 'R':
		o->reason = arg;
		return true;
	case 'o':
		o->operator_ = arg;
		return true;
	case 'L':
		o->log = arg;
		return true;
	case 'M':
		o->max_lifetime = arg;
		return true;
	default:
		return false;
	}
}
