// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helpdesk_phone.c - "mnguard-helpdesk phone respond" and "mnguard-helpdesk
 * phone terminal-key": answering a terminal's request code read over the
 * phone, and deriving a terminal's own key from the master secret
 * (mnguard-helpdesk(1)).
 *
 * MUST: the master secret and every terminal key are wiped after use.
 * MUST: a response is only printed for a request whose every check digit
 *       is right and whose duration is within the help desk's maximum, and
 *       only after it has been logged.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "exempt.h"
#include "helpdesk.h"
#include "mng.h"
#include "phonecode.h"

#define DEFAULT_MAX_LIFETIME (8 * 3600)

static void msg(const char *fmt, ...) MNG_PRINTF(1, 2);
static void msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mnguard-helpdesk phone: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mnguard-helpdesk phone respond REQUEST-CODE --terminal MACHINE-ID\n"
		   "         --user U --ticket T [--reason TEXT] [--operator NAME]\n"
		   "         [--master FILE] [--log FILE] [--max-lifetime DURATION]\n"
		   "       mnguard-helpdesk phone terminal-key --terminal MACHINE-ID "
		   "[--master FILE]\n");
}

struct phone_opts {
	struct hd_common_opts c;
	const char *master;
};

static int parse(int argc, char **argv, struct phone_opts *o)
{
	static const struct option lopts[] = {
	    HD_COMMON_LONGOPTS,
	    {"master", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (hd_common_opt(c, optarg, &o->c))
			continue;
		switch (c) {
		case 'm':
			o->master = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return HD_EXIT_USAGE;
		}
	}
	return 0;
}

/* Check a value the way a token would: build a throwaway exemption and validate. */
static int check_values(const char *terminal, const char *user, const char *ticket,
			const char *reason, const char *by)
{
	struct mng_exempt e;
	char err[256];

	memset(&e, 0, sizeof(e));
	memset(e.id, 'a', MNG_EXEMPT_ID_LEN);
	e.issued = e.not_before = 1;
	e.not_after = 2;
	e.scope = MNG_EXEMPT_SCOPE_LOGIN;
	e.uses = 1;
	if (strlen(terminal) >= sizeof(e.terminal) || strlen(user) >= sizeof(e.user) ||
	    strlen(ticket) >= sizeof(e.ticket) || strlen(reason) >= sizeof(e.reason) ||
	    strlen(by) >= sizeof(e.by)) {
		msg("a value is too long (user 32, ticket 64, reason 256, operator 64 bytes)");
		return HD_EXIT_USAGE;
	}
	strcpy(e.terminal, terminal);
	strcpy(e.user, user);
	strcpy(e.ticket, ticket);
	strcpy(e.reason, reason);
	strcpy(e.by, by);
	if (!strcmp(terminal, "*")) {
		msg("--terminal must be the terminal's machine-id (its key is per terminal)");
		return HD_EXIT_USAGE;
	}
	if (!strcmp(user, "*")) {
		msg("--user must name the user at the terminal");
		return HD_EXIT_USAGE;
	}
	if (mng_exempt_validate(&e, err, sizeof(err)) < 0) {
		msg("%s", err);
		return HD_EXIT_USAGE;
	}
	return 0;
}

static int respond(int argc, char **argv)
{
	struct phone_opts o;
	struct mng_phone_request rq;
	char err[256], why[4200], resp[MNG_PHONE_RESPONSE_SIZE], code[MNG_PHONE_REQUEST_SIZE];
	char nb[32], na[32], uses[16], subject[32], codetext[MNG_PHONE_TEXT_MAX + 1];
	uint8_t master[32], tkey[32];
	int64_t max_lifetime = DEFAULT_MAX_LIFETIME;
	const char *by, *reason;
	time_t now = time(NULL);
	int r, status = HD_EXIT_FAIL;

	r = parse(argc, argv, &o);
	if (r)
		return r < 0 ? HD_EXIT_OK : r;
	if (optind >= argc) {
		msg("respond needs the REQUEST-CODE");
		usage(stderr);
		return HD_EXIT_USAGE;
	}
	/* The code may come as one argument or as its groups in several. */
	{
		size_t o2 = 0;
		int i;

		for (i = optind; i < argc; i++) {
			size_t n = strlen(argv[i]);

			if (o2 + n + 2 > sizeof(codetext)) {
				msg("request code too long");
				return HD_EXIT_USAGE;
			}
			if (o2)
				codetext[o2++] = ' ';
			memcpy(codetext + o2, argv[i], n);
			o2 += n;
		}
		codetext[o2] = '\0';
	}
	if (!o.c.terminal || !o.c.user || !o.c.ticket) {
		msg("respond needs --terminal, --user and --ticket");
		return HD_EXIT_USAGE;
	}
	if (o.c.max_lifetime &&
	    (hd_parse_duration(o.c.max_lifetime, &max_lifetime) < 0 || max_lifetime <= 0)) {
		msg("--max-lifetime \"%s\": not a duration", o.c.max_lifetime);
		return HD_EXIT_USAGE;
	}
	by = hd_operator(o.c.operator_);
	reason = o.c.reason ? o.c.reason : "";
	r = check_values(o.c.terminal, o.c.user, o.c.ticket, reason, by);
	if (r)
		return r;
	if (mng_phone_request_decode(codetext, &rq, err, sizeof(err)) < 0) {
		msg("request code: %s", err);
		return HD_EXIT_USAGE;
	}
	printf("request: scope %s, %u minutes, %u use%s, subject %04u\n",
	       mng_exempt_scope_name(rq.scope), rq.minutes, rq.uses, rq.uses == 1 ? "" : "s",
	       rq.subject);
	if ((int64_t)rq.minutes * 60 > max_lifetime) {
		msg("refused: %u minutes is over the maximum of %" PRId64 " min (--max-lifetime)",
		    rq.minutes, max_lifetime / 60);
		return HD_EXIT_REFUSED;
	}
	if (hd_read_master(o.master, master, why, sizeof(why)) < 0) {
		msg("phone master secret %s", why);
		return HD_EXIT_FAIL;
	}
	r = mng_phone_terminal_key(master, o.c.terminal, tkey);
	OPENSSL_cleanse(master, sizeof(master));
	if (r == 0)
		r = mng_phone_response(tkey, &rq, o.c.user, o.c.ticket, resp, sizeof(resp));
	OPENSSL_cleanse(tkey, sizeof(tkey));
	if (r < 0) {
		msg("cannot compute the response: %s", strerror(-r));
		goto out;
	}
	(void)mng_phone_request_encode(&rq, code, sizeof(code));
	hd_format_time(now, nb, sizeof(nb));
	hd_format_time((int64_t)now + (int64_t)rq.minutes * 60, na, sizeof(na));
	snprintf(uses, sizeof(uses), "%u", rq.uses);
	snprintf(subject, sizeof(subject), "subject %04u", rq.subject);
	{
		const char *fields[HD_EXLOG_FIELDS] = {
		    code,    "phone", o.c.terminal, o.c.user, mng_exempt_scope_name(rq.scope),
		    subject, nb,      na,	    uses,     o.c.ticket,
		    reason,  by};

		r = hd_log_exemption(o.c.log, fields);
		if (r < 0) {
			msg("cannot write the issue log: %s; no response given", strerror(-r));
			goto out;
		}
	}
	printf("response: %s\n", resp);
	status = HD_EXIT_OK;
out:
	OPENSSL_cleanse(resp, sizeof(resp));
	return status;
}

static int terminal_key(int argc, char **argv)
{
	struct phone_opts o;
	uint8_t master[32], tkey[32];
	char why[4200], hex[MNG_PHONE_KEY_HEX_LEN + 1];
	int r;

	r = parse(argc, argv, &o);
	if (r)
		return r < 0 ? HD_EXIT_OK : r;
	if (optind != argc || !o.c.terminal || o.c.user || o.c.ticket || o.c.reason || o.c.log) {
		msg("terminal-key takes --terminal MACHINE-ID and --master FILE only");
		return HD_EXIT_USAGE;
	}
	if (hd_read_master(o.master, master, why, sizeof(why)) < 0) {
		msg("phone master secret %s", why);
		return HD_EXIT_FAIL;
	}
	r = mng_phone_terminal_key(master, o.c.terminal, tkey);
	OPENSSL_cleanse(master, sizeof(master));
	if (r < 0) {
		msg("--terminal \"%s\": not a machine-id (32 lowercase hex digits)", o.c.terminal);
		return HD_EXIT_USAGE;
	}
	mng_phone_key_format(tkey, hex);
	OPENSSL_cleanse(tkey, sizeof(tkey));
	printf("%s\n", hex);
	fflush(stdout);
	OPENSSL_cleanse(hex, sizeof(hex));
	return HD_EXIT_OK;
}

int hd_phone(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? HD_EXIT_USAGE : HD_EXIT_OK;
	}
	if (!strcmp(argv[1], "respond"))
		return respond(argc - 1, argv + 1);
	if (!strcmp(argv[1], "terminal-key"))
		return terminal_key(argc - 1, argv + 1);
	msg("unknown phone command \"%s\"", argv[1]);
	usage(stderr);
	return HD_EXIT_USAGE;
}
