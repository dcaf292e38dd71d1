/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.h - subcommand handlers of mnguardctl(8).
 *
 * Each handler gets argv starting at the subcommand name (argv[0]) and
 * returns the process exit status:
 *   0  success
 *   1  the check failed or the operation failed (message on stderr)
 *   2  usage error
 */
#ifndef MNG_CTL_H
#define MNG_CTL_H

#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

int ctl_rules(int argc, char **argv);		/* rules check FILE... */
int ctl_generate_policy(int argc, char **argv); /* generate-policy [...] */
int ctl_audit(int argc, char **argv);		/* audit verify FILE [--anchor F] */
int ctl_judge(int argc, char **argv);		/* judge [--rules PATH]... */

#endif
