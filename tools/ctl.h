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

#include <stdio.h>

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

#endif
