// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fallback.c - what the fallback unit did while mnguardd was down, put into
 * the audit log once the agent runs again (mnguardd(8), INSTALLATION).
 *
 * mnguard-fallback (packaging/libexec) authorises hubs, keyboards and mice
 * when the agent cannot start at all, and appends one line per action to
 * <state_dir>/fallback.log. The agent is the only audit writer, so at start
 * it reads that file, records one agent.fallback-ran event naming how many
 * actions there were and what they were (as much as fits), and removes it.
 *
 * MUST: the file is read with the trusted-file checks (root-owned, not
 *       group/other-writable, no symlink, size-capped); one that fails them
 *       is still reported (as unreadable) and removed, never trusted.
 * MUST: the file is removed only after its record was appended, so a failed
 *       append leaves it for the next start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "agent_int.h"
#include "events.h"
#include "file.h"

#define FALLBACK_LOG "fallback.log"
#define FALLBACK_LOG_MAX (64u * 1024) /* bytes the script writes at most */
#define FALLBACK_DETAIL_MAX 1500      /* bytes of the audit detail */

/* Printable ASCII kept, everything else '?': the script writes ASCII, a damaged file may not. */
static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

/* "N action(s): line; line; ..." cut at FALLBACK_DETAIL_MAX with " ..." */
static void summarize(char *buf, size_t len, char *out, size_t size)
{
	size_t lines = 0, o, i;
	char *p, *nl;

	for (i = 0; i < len; i++)
		if (buf[i] == '\n')
			lines++;
	if (len && buf[len - 1] != '\n')
		lines++;
	o = (size_t)snprintf(out, size, "mnguard-fallback ran while mnguardd was down: %zu line%s",
			     lines, lines == 1 ? "" : "s");
	for (p = buf; p < buf + len && o < size; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(buf + len - p));
		if (!nl)
			nl = buf + len;
		*nl = '\0';
		clean(p);
		if (!*p)
			continue;
		if (o + strlen(p) + 3 + 5 > size) {
			snprintf(out + o, size - o, "; ...");
			return;
		}
		o += (size_t)snprintf(out + o, size - o, "; %s", p);
	}
}

void agent_fallback_report(struct agent *a)
{
	char path[sizeof(a->cfg.state_dir) + sizeof(FALLBACK_LOG) + 1];
	char detail[FALLBACK_DETAIL_MAX + 1], *buf = NULL;
	struct event ev = {.type = EV_AGENT_FALLBACK_RAN,
			   .priority = LOG_WARNING,
			   .object = "mnguard-fallback",
			   .decision = "allow",
			   .detail = detail,
			   .rules = -1};
	const char *why = NULL;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "%s/%s", a->cfg.state_dir, FALLBACK_LOG);
	if (access(path, F_OK) < 0)
		return;
	r = mng_file_read(path, FALLBACK_LOG_MAX, MNG_FILE_TRUSTED, &buf, &len, &why);
	if (r < 0)
		snprintf(detail, sizeof(detail),
			 "mnguard-fallback ran while mnguardd was down; its record %s was not read "
			 "(%s) and is removed",
			 path, why ? why : strerror(-r));
	else
		summarize(buf, len, detail, sizeof(detail));
	free(buf);
	events_report(a, &ev);
	if (!a->audit_failed)
		(void)unlink(path);
}
