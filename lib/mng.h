/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mng.h - small helpers shared by every part of mnguard.
 *
 * Conventions (STYLE.md): functions return >= 0 on success and -errno on
 * failure; out-parameters named ret_* are written only on success.
 */
#ifndef MNG_H
#define MNG_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MNG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MNG_UNUSED __attribute__((unused))
#define MNG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define MNG_WARN_UNUSED __attribute__((warn_unused_result))

static inline void mng_freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ __attribute__((cleanup(mng_freep)))

#endif
