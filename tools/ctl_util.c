// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_util.c - output helpers shared by mnguardctl's commands (see ctl.h):
 * sanitised fields, table headings, and the messages about the agent that
 * a person at the terminal reads, in their language.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl.h"
#include "ipc.h"

/*
 * Print s padded or cut to width columns (0: no limit, no padding), one
 * column per character; C0 and C1 control characters, DEL and invalid UTF-8
 * become '?'. A cut is marked with '~'.
 */
/*
 * Unicode bidirectional controls (U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069) can make a device name display as something else.
 */
static int is_bidi_control(const unsigned char *p)
{
	if (p[0] != 0xe2)
		return 0;
	if (p[1] == 0x80)
		return p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae);
	if (p[1] == 0x81)
		return p[2] >= 0xa6 && p[2] <= 0xa9;
	return 0;
}

void ctl_put_field(FILE *f, const char *s, size_t width)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t cols = 0;

	while (*p) {
		size_t n = 0, k, adv;
		bool shown = true;

		if (*p >= 0x20 && *p < 0x7f)
			n = 1;
		else if (*p >= 0xc2 && *p <= 0xdf)
			n = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 4;
		for (k = 1; k < n; k++)
			if ((p[k] & 0xc0) != 0x80)
				n = 0;
		/* Whole characters that must not reach the terminal become one '?'. */
		if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
			shown = false; /* C1 controls, U+0080..U+009F */
		if (n == 3 && is_bidi_control(p))
			shown = false; /* would reorder what the table shows */
		adv = n ? n : 1;
		if (width && cols + 1 == width && p[adv]) {
			fputc('~', f); /* the last column, and more follows */
			cols++;
			break;
		}
		if (n && shown)
			fwrite(p, 1, n, f);
		else
			fputc('?', f);
		p += adv;
		cols++;
	}
	for (; width && cols < width; cols++)
		fputc(' ', f);
}

/* Display columns of code point c: two for East Asian wide and full-width forms. */
static size_t columns_of(unsigned long c)
{
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf && c != 0x303f) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

void ctl_put_heading(FILE *f, const char *s, size_t width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cols = 0, n, k;
	unsigned long c;

	/* The catalogue is bound to UTF-8 (main()); anything else counts one column a byte. */
	while (*p) {
		n = *p < 0x80		       ? 1
		    : *p >= 0xc2 && *p <= 0xdf ? 2
		    : *p >= 0xe0 && *p <= 0xef ? 3
		    : *p >= 0xf0 && *p <= 0xf4 ? 4
					       : 0;
		c = n == 1 ? *p : n == 2 ? *p & 0x1f : n == 3 ? *p & 0x0f : *p & 0x07;
		for (k = 1; k < n; k++) {
			if ((p[k] & 0xc0) != 0x80) {
				n = 0;
				break;
			}
			c = c << 6 | (p[k] & 0x3f);
		}
		if (!n) {
			cols++;
			p++;
			continue;
		}
		cols += columns_of(c);
		p += n;
	}
	fputs(s, f);
	for (; cols < width; cols++)
		fputc(' ', f);
}

void ctl_put_unreachable(const char *cmd, const char *socket, const char *why)
{
	fprintf(stderr, "mnguardctl %s: ", cmd);
	fprintf(stderr, _("agent at %s not reachable: %s\n"), socket, why);
}

int ctl_connect(const char *cmd, const char *socket, int *ret_fd)
{
	int r = mng_ipc_connect(socket, ret_fd);

	if (r < 0) {
		ctl_put_unreachable(cmd, socket, strerror(-r));
		return CTL_EXIT_UNREACHABLE;
	}
	return CTL_EXIT_OK;
}

bool ctl_ipc_lost(int r, bool remote)
{
	return !remote && (r == -ETIMEDOUT || r == -ECONNRESET || r == -EPIPE);
}

const char *ctl_json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int64_t ctl_json_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/*
 * What the agent says, by the stable beginning of its message (and, where
 * the beginning holds a variable part, a fixed piece further on). The
 * agent's messages are in agent/exempt.c and agent/ipc_server.c, some
 * pieces further on come from lib/exempt.c;
 * tests/integration/test_ctl_i18n.sh checks that every prefix below still
 * occurs there. More specific entries come first: the first match wins.
 * The msgid is only a key: without a translation the agent's own English
 * words are printed instead.
 */
static const struct phrase {
	const char *prefix, *also, *msgid;
} phrases[] = {
    /* redeem: the token */
    {"the exemption has expired", NULL,
     N_("The exemption token has expired. Please contact the help desk.")},
    {"the exemption is not valid yet", NULL,
     N_("The exemption is not valid yet. Please try again after its start time.")},
    {"the exemption does not apply: ", "issued for another terminal",
     N_("The exemption was issued for another terminal. Please contact the help desk.")},
    {"the exemption does not apply: ", "issued for another user",
     N_("The exemption was issued for another user. Please contact the help desk.")},
    {"the exemption does not apply: ", "issued for any terminal",
     N_("This terminal does not accept exemptions issued for any terminal. Please contact "
	"the help desk.")},
    {"the exemption does not apply", NULL,
     N_("The exemption does not apply here. Please contact the help desk.")},
    {"the token is damaged or incomplete", NULL,
     N_("This is not a valid exemption token: it is damaged or incomplete. Please paste the "
	"whole token again, or contact the help desk.")},
    {"the token is too large", NULL,
     N_("This is too large to be an exemption token. Please check what you pasted.")},
    {"the token was not signed by a trusted help desk key", NULL,
     N_("The exemption token was not issued by a help desk this terminal trusts. Please "
	"contact the help desk.")},
    {"the token's signature is wrong", NULL,
     N_("The exemption token has been altered or forged and cannot be used. Please contact "
	"the help desk.")},
    {"the help desk keys cannot be read", NULL,
     N_("The help desk keys on this terminal cannot be read, so no token can be checked. "
	"Please contact the administrator.")},
    {"this terminal's machine-id cannot be read", NULL,
     N_("This terminal's identity (machine-id) cannot be read. Please contact the "
	"administrator.")},
    {"the exemption ", " was revoked", N_("This exemption has been revoked and cannot be used.")},
    {"the exemption ", " was already redeemed",
     N_("This exemption token has already been used. A token works only once.")},
    {"a login token is a temporary access pass", NULL,
     N_("This is a login token (temporary access pass). Please paste it at the login "
	"screen.")},
    {"a token for any user", NULL,
     N_("A token for any user can only be used by the user logged in at this terminal.")},
    {"the exemption's USB rule cannot be used", NULL,
     N_("The exemption's USB rule cannot be used. Please contact the help desk.")},
    /* the exemption store */
    {"the exemption store is full", NULL,
     N_("No more exemptions can be stored on this terminal. Please contact the help desk.")},
    {"the exemption store is not available", NULL,
     N_("Exemptions cannot be used on this terminal right now. Please contact the "
	"administrator.")},
    {"the exemption cannot be stored", NULL,
     N_("The exemption could not be saved, so nothing was applied. Please contact the "
	"administrator.")},
    {"your user name cannot be found", NULL,
     N_("Your user name cannot be found. Please contact the administrator.")},
    /* request: phone codes */
    {"this terminal has no phone key", NULL,
     N_("Phone codes cannot be used on this terminal (it has no phone key). Please contact "
	"the administrator.")},
    {"too many phone requests are waiting", NULL,
     N_("Too many phone requests are waiting. Please try again later.")},
    {"the request cannot be made", NULL,
     N_("The request code could not be made. Please contact the help desk.")},
    {"", " minutes is longer than this terminal allows",
     N_("The time asked for is longer than this terminal allows. Please ask for a shorter "
	"time (--minutes).")},
    {"a phone request may ask for 1 to", NULL, N_("The number of uses is out of range (--uses).")},
    {"no device with id", NULL,
     N_("There is no device with that ID. Please check the ID with \"mnguardctl "
	"list-devices\".")},
    {"no blocked USB device is plugged in", NULL,
     N_("No blocked USB device is plugged in. Plug it in, or name it with --device ID.")},
    {"device ", " is allowed already or unreadable",
     N_("That device is already allowed, or it cannot be read.")},
    {"no rule can be written for device", NULL,
     N_("No rule can describe that device. Please contact the help desk.")},
    {"a print request names the printer", NULL,
     N_("A print request must name the printer: --printer QUEUE.")},
    {"a login pass is requested at the login prompt", NULL,
     N_("A temporary access pass is requested at the login screen.")},
    /* enter: the response code */
    {"the response code was misheard or mistyped", NULL,
     N_("The response code was misheard or mistyped. Please ask the help desk to read it "
	"again and enter it once more.")},
    {"you have no phone request waiting", NULL,
     N_("You have no request waiting for a response code. Please make one first with "
	"\"mnguardctl exemption request\".")},
    {"the response code does not answer your request", NULL,
     N_("The response code does not match your request and ticket number. Please check both "
	"with the help desk; after several wrong answers the request is cancelled.")},
    {"the exemption cannot be made", NULL,
     N_("The exemption could not be made. Please contact the help desk.")},
    /* any command */
    {"permission denied: needs root or group", NULL,
     N_("Permission denied: only an administrator (root or group mnguard-admin) may do this.")},
    {"permission denied", NULL, N_("Permission denied.")},
};

static const struct phrase *phrase_of(const char *message)
{
	size_t i, n;

	for (i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++) {
		n = strlen(phrases[i].prefix);
		if (strncmp(message, phrases[i].prefix, n))
			continue;
		if (phrases[i].also && !strstr(message + n, phrases[i].also))
			continue;
		return &phrases[i];
	}
	return NULL;
}

void ctl_put_refusal(const char *cmd, const char *message, bool lead)
{
	static const char refused[] = N_("refused: ");
	const struct phrase *p = phrase_of(message ? message : "");
	const char *said = p ? gettext(p->msgid) : NULL, *r = gettext(refused);

	fprintf(stderr, "mnguardctl %s: ", cmd);
	if (said && said != p->msgid) {
		/* Translated: the sentence, then the agent's own (English) words. */
		fputs(said, stderr);
		fputc('\n', stderr);
		fputs(_("  the agent said: "), stderr);
	} else if (lead || r != refused) {
		fputs(r, stderr);
	}
	ctl_put_field(stderr, message, 0);
	fputc('\n', stderr);
}
