/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.h - subcommand handlers of mnguardctl(8).
 *
 * Each handler gets argv starting at the subcommand name (argv[0]) and
 * returns the process exit status:
 *   0  success
 *   1  the check failed or the operation failed (message on stderr)
 *   2  usage error
 *   3  the agent cannot be reached (commands that talk to mnguardd)
 */
#ifndef MNG_CTL_H
#define MNG_CTL_H

#include <libintl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Messages a person at the terminal reads go through _() (gettext domain
 * "mnguard", bound in main() to the compile-time LOCALEDIR): Japanese when
 * the locale asks for it, the English msgid otherwise. N_() marks a string
 * that is translated later, where it is printed. Machine output (--json,
 * CSV, rule text, audit lines) is never translated.
 */
#define _(s) gettext(s)
#define N_(s) (s)

#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2
#define CTL_EXIT_UNREACHABLE 3

int ctl_rules(int argc, char **argv);		/* rules check FILE... */
int ctl_generate_policy(int argc, char **argv); /* generate-policy [...] */
int ctl_audit(int argc, char **argv);		/* audit verify FILE [--anchor F] */
int ctl_judge(int argc, char **argv);		/* judge [--rules PATH]... */

/* The FIDO2 credential file (ctl_key.c): key list [--json], key revoke USER [LABEL|--id ID]. */
int ctl_key(int argc, char **argv);
void ctl_key_set_socket(const char *path); /* where revoke reports to the agent */

/* Commands that talk to the agent over its socket (ctl_agent.c). */
void ctl_set_socket(const char *path);	      /* --socket PATH before the command */
int ctl_status(int argc, char **argv);	      /* status [--json] */
int ctl_list_devices(int argc, char **argv);  /* list-devices [--json] */
int ctl_list_rules(int argc, char **argv);    /* list-rules [--json] */
int ctl_allow_device(int argc, char **argv);  /* allow-device ID [--permanent] */
int ctl_block_device(int argc, char **argv);  /* block-device ID [--permanent] */
int ctl_reject_device(int argc, char **argv); /* reject-device ID [--permanent] */
int ctl_policy(int argc, char **argv);	      /* policy reload */
int ctl_watch(int argc, char **argv);	      /* watch [--json] */

/* Exemptions (ctl_exempt.c): exemption redeem|request|enter|list|revoke. */
int ctl_exemption(int argc, char **argv);
void ctl_exempt_set_socket(const char *path);

/* The print gate's CUPS backends (ctl_print.c): print enforce|unenforce|status. */
int ctl_print(int argc, char **argv);

/*
 * ctl_put_field - print s (a string from a device, a file or the agent)
 * padded or cut to width columns (0: no limit, no padding); control
 * characters, bidirectional controls and invalid UTF-8 become '?', so nothing a device reports can
 * reach the terminal as an escape sequence. A cut is marked with '~'.
 */
void ctl_put_field(FILE *f, const char *s, size_t width);

/*
 * ctl_put_heading - print a table heading (a translated word) padded to
 * width display columns: a CJK character takes two. Never cut; a heading
 * wider than its column pushes the rest of the line right.
 */
void ctl_put_heading(FILE *f, const char *s, size_t width);

/*
 * ctl_put_unreachable - "mnguardctl CMD: agent at SOCKET not reachable:
 * WHY" on stderr, in the user's language. WHY is strerror() text or the IPC
 * library's message.
 */
void ctl_put_unreachable(const char *cmd, const char *socket, const char *why);

/*
 * ctl_put_refusal - print on stderr why the agent refused CMD. The agent
 * writes English; a message whose stable beginning is known is shown as
 * its translated sentence followed by the agent's own words, any other
 * message (or any message with no translation in force) as it came, after
 * the translated lead "refused: " when lead is true or a translation is in
 * force. Device- and user-supplied text is sanitised as ctl_put_field does.
 */
void ctl_put_refusal(const char *cmd, const char *message, bool lead);

struct json_object;

/*
 * ctl_connect - connect to the agent's socket for command cmd. Returns
 * CTL_EXIT_OK with *ret_fd set (the caller closes it), or, after printing
 * why with ctl_put_unreachable, CTL_EXIT_UNREACHABLE.
 */
int ctl_connect(const char *cmd, const char *socket, int *ret_fd);

/*
 * ctl_ipc_lost - a call that failed with r (remote: the agent itself
 * refused, as struct mng_ipc_error says) lost the agent on the way: a local
 * time-out, connection reset or broken pipe.
 */
bool ctl_ipc_lost(int r, bool remote);

/* ctl_json_str - member key of o when it is a string (borrowed), else NULL (also for o NULL). */
const char *ctl_json_str(struct json_object *o, const char *key);

/* ctl_json_int - member key of o when it is an integer, else -1. */
int64_t ctl_json_int(struct json_object *o, const char *key);

#endif
