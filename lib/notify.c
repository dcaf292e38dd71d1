// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * notify.c - service manager notification and watchdog settings (see
 * notify.h).
 *
 * MUST: a notification is one datagram, never split and never blocking the
 *       caller (the socket is non-blocking; a full queue is an error).
 * MUST: the watchdog is armed only for the process WATCHDOG_PID names;
 *       anything malformed in the variables is an error, not a guess.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

int mng_notify_send_to(const char *address, const char *state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t alen, slen;
	socklen_t sa_len;
	ssize_t n;
	int fd, r;

	if (!address || !state)
		return -EINVAL;
	alen = strlen(address);
	slen = strlen(state);
	if (alen < 2 || alen >= sizeof(sa.sun_path) || (address[0] != '/' && address[0] != '@'))
		return -EINVAL;
	if (slen == 0 || slen > MNG_NOTIFY_STATE_MAX)
		return -EINVAL;
	memcpy(sa.sun_path, address, alen);
	if (address[0] == '@') {
		/* abstract: a leading NUL and exactly the name's bytes, no terminator */
		sa.sun_path[0] = '\0';
		sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + alen);
	} else {
		sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + alen + 1);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	do {
		n = sendto(fd, state, slen, MSG_NOSIGNAL, (struct sockaddr *)&sa, sa_len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else
		r = (size_t)n == slen ? 1 : -EIO;
	(void)close(fd);
	return r;
}

int mng_notify_send(const char *state)
{
	const char *address = getenv("NOTIFY_SOCKET");

	if (!address || !address[0])
		return 0;
	return mng_notify_send_to(address, state);
}

int mng_notify_sendf(const char *fmt, ...)
{
	char state[MNG_NOTIFY_STATE_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(state, sizeof(state), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(state))
		return -E2BIG;
	return mng_notify_send(state);
}

/* A decimal number without sign, spaces or leading garbage, at most max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (!s || !s[0])
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

int mng_watchdog_enabled(bool unset_env, uint64_t *ret_usec)
{
	const char *s_usec = getenv("WATCHDOG_USEC"), *s_pid;
	uint64_t usec, pid;
	int r;

	if (!s_usec) {
		r = 0;
		goto out;
	}
	if (parse_u64(s_usec, UINT64_MAX - 1, &usec) < 0 || usec == 0) {
		r = -EINVAL;
		goto out;
	}
	s_pid = getenv("WATCHDOG_PID");
	if (s_pid) {
		if (parse_u64(s_pid, INT32_MAX, &pid) < 0 || pid == 0) {
			r = -EINVAL;
			goto out;
		}
		if ((pid_t)pid != getpid()) {
			r = 0;
			goto out;
		}
	}
	*ret_usec = usec;
	r = 1;
out:
	if (unset_env) {
		(void)unsetenv("WATCHDOG_USEC");
		(void)unsetenv("WATCHDOG_PID");
	}
	return r;
}
