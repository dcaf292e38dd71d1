/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_report.h - "mnguardctl audit report" and "mnguardctl audit prune"
 * (ctl_report.c), reached through "mnguardctl audit" (ctl_audit.c). Both
 * take argv starting at the subcommand name and return the exit status of
 * ctl.h.
 */
#ifndef MNG_CTL_REPORT_H
#define MNG_CTL_REPORT_H

int ctl_audit_report(int argc, char **argv); /* audit report [--from D] [--to D] ... FILE|DIR... */
int ctl_audit_prune(int argc,
		    char **argv); /* audit prune [--config F] [--retention P] [--dry-run] */

#endif
