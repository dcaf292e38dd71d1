// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pam_mnguard.c - the PAM entry points of pam_mnguard.so (pam_mnguard(8))
 * and the one place where an -errno becomes a PAM code. The work is in
 * auth.c and fido.c.
 *
 * MUST: no error maps to PAM_SUCCESS or PAM_IGNORE, except -ENOENT (the
 *       user has no credential at all) with the explicit nouserok option.
 * MUST: only the pam_sm_* functions are exported (pam_mnguard.map).
 */
#include <errno.h>

#include <security/pam_modules.h>

#include "module.h"

static int to_pam(int r, const struct mng_pam_args *args)
{
	switch (r) {
	case 0:
		return PAM_SUCCESS;
	case -ENOENT:
		return args && args->nouserok ? PAM_IGNORE : PAM_AUTH_ERR;
	case -EACCES:
	case -ECANCELED:
		return PAM_AUTH_ERR;
	case -EPERM:
		return PAM_PERM_DENIED;
	case -ENODEV:
	case -ETIMEDOUT:
	case -EBADR:
		return PAM_AUTHINFO_UNAVAIL;
	case -EINVAL:
		return PAM_SERVICE_ERR;
	default:
		return PAM_SYSTEM_ERR;
	}
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct mng_pam_args args;
	int r = mng_pam_parse_args(pamh, argc, argv, &args);

	if (r < 0)
		return PAM_SERVICE_ERR;
	args.silent = (flags & PAM_SILENT) != 0;
	return to_pam(mng_pam_authenticate(pamh, &args), &args);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS; /* no credentials to establish */
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct mng_pam_args args;
	int r = mng_pam_parse_args(pamh, argc, argv, &args);

	if (r < 0)
		return PAM_SERVICE_ERR;
	r = mng_pam_account(pamh, &args);
	/* nouserok is for authentication only */
	return r == -ENOENT ? PAM_PERM_DENIED : to_pam(r, NULL);
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct mng_pam_args args;

	if (mng_pam_parse_args(pamh, argc, argv, &args) < 0)
		return PAM_SERVICE_ERR;
	(void)mng_pam_session(pamh, &args, true);
	return PAM_SUCCESS; /* the report to the agent is best effort */
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct mng_pam_args args;

	if (mng_pam_parse_args(pamh, argc, argv, &args) < 0)
		return PAM_SERVICE_ERR;
	(void)mng_pam_session(pamh, &args, false);
	return PAM_SUCCESS;
}
