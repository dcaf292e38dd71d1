/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - mnguardd's configuration file, /etc/mnguard/mnguard.conf
 * (mnguard.conf(5)).
 *
 * The file holds "key = value" lines, comments and blank lines, nothing
 * else: no sections, no continuation lines, no quoting. Each known key may
 * appear once, except aaguid_allow, whose lines add up. The parser reports every problem as
 * "file:line: message" and a configuration with any problem is not used at all.
 *
 * MUST: an unknown key, a duplicate key, a bad value, a NUL byte, invalid
 *       UTF-8 or an over-long line is an error; nothing is guessed and no
 *       value is silently cut short.
 * MUST: every path value is absolute; the socket path fits sun_path.
 * MUST: the parser is pure (buffer in, struct and diagnostics out) and
 *       bounded: MNG_CONFIG_FILE_MAX bytes, MNG_CONFIG_LINE_MAX bytes a line.
 */
#ifndef MNG_CONFIG_H
#define MNG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define MNG_CONFIG_PATH "/etc/mnguard/mnguard.conf"
#define MNG_CONFIG_FILE_MAX (64u * 1024) /* bytes in a configuration file */
#define MNG_CONFIG_LINE_MAX 196		 /* bytes a line, newline excluded (libinih's buffer) */
#define MNG_CONFIG_VALUE_MAX 192	 /* bytes of one value */
#define MNG_CONFIG_SOCKET_MAX 107	 /* bytes of the socket path (sun_path minus its NUL) */
#define MNG_CONFIG_RPID_MAX 128		 /* bytes of rp_id */
#define MNG_CONFIG_GROUP_MAX 32		 /* bytes of login_group */
#define MNG_CONFIG_AAGUID_MAX 64	 /* AAGUIDs in aaguid_allow, all lines together */
#define MNG_CONFIG_TIMEOUT_MAX 600	 /* seconds, fido_timeout */
#define MNG_CONFIG_LIFETIME_MAX (7 * 24 * 3600) /* seconds, exemption_max_lifetime */
#define MNG_CONFIG_RETENTION_DEFAULT (5 * 366)	/* days, audit_retention (5y) */
#define MNG_CONFIG_RETENTION_MAX (100 * 366)	/* days, audit_retention */

struct mng_config {
	char rules_dir[MNG_CONFIG_VALUE_MAX + 1];	 /* default /etc/mnguard/rules.d */
	char audit_log[MNG_CONFIG_VALUE_MAX + 1];	 /* default /var/log/mnguard/audit.log */
	char socket[MNG_CONFIG_VALUE_MAX + 1];		 /* default /run/mnguard/mnguardd.sock */
	char state_dir[MNG_CONFIG_VALUE_MAX + 1];	 /* default /var/lib/mnguard */
	char helpdesk_contact[MNG_CONFIG_VALUE_MAX + 1]; /* free text, "" when unset */
	/* FIDO2 login, pam_mnguard(8) */
	char rp_id[MNG_CONFIG_RPID_MAX + 1];	    /* "" when unset: the module denies */
	char credentials[MNG_CONFIG_VALUE_MAX + 1]; /* default /etc/mnguard/credentials */
	char counters[MNG_CONFIG_VALUE_MAX + 1];    /* default /var/lib/mnguard/counters */
	unsigned fido_timeout;			    /* seconds for the touch, default 30 */
	unsigned char aaguid_allow[MNG_CONFIG_AAGUID_MAX][16]; /* empty list = any AAGUID */
	size_t n_aaguid_allow;
	char login_group[MNG_CONFIG_GROUP_MAX + 1]; /* default mnguard-users */
	/* mnguard-helpdesk enroll: CA certificates attestations must chain to */
	char attestation_trust_dir[MNG_CONFIG_VALUE_MAX + 1]; /* "" when unset: none */
	/* exemptions (mnguardctl(8) EXEMPTIONS, pam_mnguard(8) temporary access pass) */
	char trust_dir[MNG_CONFIG_VALUE_MAX + 1];	/* default /etc/mnguard/trust */
	char machine_id_file[MNG_CONFIG_VALUE_MAX + 1]; /* default /etc/machine-id */
	long exemption_max_lifetime;			/* seconds, default 8 h */
	bool exemption_any_terminal;			/* terminal "*" accepted, default no */
	bool login_pass;				/* temporary access pass, default yes */
	/* policy bundles (mnguardctl(8) policy install) */
	bool require_signed_policy; /* load only rules from the installed signed bundle, default no */
	/* audit log retention (mnguardctl(8) audit prune) */
	long audit_retention_days; /* days, 0 = forever, default 5y (1830) */
	/* lock the logind session when the key used at its login is removed, default no */
	bool lock_on_key_removal;
	/* the print gate's content extractor (mnguardd(8) PRINT GATE); "" = the built-in path */
	char print_extractor[MNG_CONFIG_VALUE_MAX + 1];
};

/* mng_config_defaults - fill *ret with the built-in defaults. */
void mng_config_defaults(struct mng_config *ret);

/*
 * mng_config_parse - parse a configuration held in buf (len bytes, any
 * bytes, need not be NUL-terminated) on top of the defaults. filename is
 * used in diagnostics only. Every problem is added to diags (may be NULL)
 * as filename:line: message and parsing goes on, so all are reported.
 * Returns 0 and fills *ret, or -EINVAL when there was any problem (*ret is
 * then untouched), -EFBIG when len exceeds MNG_CONFIG_FILE_MAX, -ENOMEM.
 */
int mng_config_parse(const char *buf, size_t len, const char *filename, struct mng_config *ret,
		     struct mng_diags *diags);

/*
 * mng_config_retention_parse - an audit_retention value: a number with d
 * (days), w (weeks) or y (years of 366 days, so that a period in years is
 * never shorter than the calendar years it names), from 1d up to
 * MNG_CONFIG_RETENTION_MAX days, or "forever" (0: nothing is removed).
 * Returns 0 and the days in *ret_days, or -EINVAL.
 */
int mng_config_retention_parse(const char *s, long *ret_days);

/*
 * mng_config_load - read path with file.h's checks (flags: MNG_FILE_TRUSTED
 * for the real configuration: root-owned, not group/other-writable, no
 * symlink) and parse it as mng_config_parse does. A file that cannot be
 * read gives one diagnostic naming the reason. Returns 0 and fills *ret,
 * or a negative errno (-EINVAL for a parse problem).
 */
int mng_config_load(const char *path, unsigned flags, struct mng_config *ret,
		    struct mng_diags *diags);

#endif
