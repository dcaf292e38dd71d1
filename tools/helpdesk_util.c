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

#define LOG_LINE_MAX 2048

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

/* Append s as one CSV field (quoted, "" for ", a ' before a formula start). */
static size_t put_field(char *line, size_t o, const char *s, bool last)
{
	if (o + 4 >= LOG_LINE_MAX)
		return o;
	line[o++] = '"';
	if (s && (*s == '=' || *s == '+' || *s == '-' || *s == '@'))
		line[o++] = '\'';
	for (; s && *s && o + 4 < LOG_LINE_MAX; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"')
			line[o++] = '"';
		line[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	line[o++] = '"';
	line[o++] = last ? '\n' : ',';
	return o;
}

/* mkdir -p for the default log's directories under home, each 0700. */
static int make_dirs(const char *home, char *path, size_t size)
{
	static const char *const parts[] = {".local", "state", "mnguard-helpdesk"};
	size_t i, o;

	o = (size_t)snprintf(path, size, "%s", home);
	for (i = 0; i < MNG_ARRAY_SIZE(parts); i++) {
		if (o >= size)
			return -ENAMETOOLONG;
		o += (size_t)snprintf(path + o, size - o, "/%s", parts[i]);
		if (o >= size)
			return -ENAMETOOLONG;
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
	}
	if (o + sizeof("/issued.csv") > size)
		return -ENAMETOOLONG;
	strcpy(path + o, "/issued.csv");
	return 0;
}

int hd_log_action(const char *log_path, const char *operator_, const char *action, const char *user,
		  const char *label, const char *aaguid_hex, const char *id_hash_hex)
{
	char path[4096], line[LOG_LINE_MAX], now[32];
	const char *home = getenv("HOME");
	struct stat st;
	size_t o = 0;
	ssize_t w;
	int fd, r;

	if (!log_path) {
		struct passwd *pw;

		if (!home || home[0] != '/') {
			pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home)
			return -ENOENT;
		r = make_dirs(home, path, sizeof(path));
		if (r < 0)
			return r;
		log_path = path;
	}
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		return -EINVAL;
	}
	if (st.st_size == 0) {
		static const char head[] =
		    "time,operator,action,user,label,aaguid,credential_id_sha256\n";

		if (write(fd, head, sizeof(head) - 1) != (ssize_t)sizeof(head) - 1) {
			(void)close(fd);
			return -EIO;
		}
	}
	hd_now_rfc3339(now, sizeof(now));
	o = put_field(line, o, now, false);
	o = put_field(line, o, operator_, false);
	o = put_field(line, o, action, false);
	o = put_field(line, o, user, false);
	o = put_field(line, o, label, false);
	o = put_field(line, o, aaguid_hex, false);
	o = put_field(line, o, id_hash_hex, true);
	w = write(fd, line, o);
	r = w == (ssize_t)o ? 0 : -EIO;
	if (fsync(fd) < 0 && r == 0)
		r = -errno;
	(void)close(fd);
	return r;
}
