/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rulesload.h - load rule files and rules.d directories into a ruleset.
 *
 * MUST: with MNG_FILE_TRUSTED, a directory is opened O_NOFOLLOW and must be
 *       root-owned and not group/other-writable; every file in it is opened
 *       relative to that directory fd with the same checks (file.h).
 * MUST: any error in any file makes the whole load fail; the caller then
 *       discards the ruleset and keeps the policy it had (all-or-nothing).
 */
#ifndef MNG_RULESLOAD_H
#define MNG_RULESLOAD_H

#include <stddef.h>

#include "diag.h"
#include "rules.h"

#define MNG_RULES_FILE_MAX (64u << 20) /* bytes per rules file */
#define MNG_RULES_DIR_MAX 1024	       /* *.rules files per directory */

/*
 * mng_rules_load - append the rules of path to rs. path is a file, or a
 * directory whose "*.rules" files (no dot files) are read in byte order of
 * their names, so "10-base.rules" comes before "50-local.rules".
 * flags are file.h flags (MNG_FILE_TRUSTED). Every problem, I/O ones
 * included, is put into diags naming the file. Returns the number of files
 * read, or -EINVAL when there was any error (rs must then be discarded),
 * or another -errno when path itself could not be opened.
 */
int mng_rules_load(struct mng_ruleset *rs, const char *path, unsigned flags,
		   struct mng_diags *diags);

#endif
