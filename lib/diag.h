/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * diag.h - collected diagnostics for every parser in lib/.
 *
 * A parser never prints. It appends "file:line:col: message" records to a
 * struct mng_diags, keeps going where it can, and its caller decides how to
 * show them. The list is capped (MNG_DIAG_MAX) so that hostile input cannot
 * make us allocate without bound; the count of dropped records is kept.
 */
#ifndef MNG_DIAG_H
#define MNG_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "mng.h"

#define MNG_DIAG_MAX 1000
#define MNG_DIAG_MSG_MAX 256

struct mng_diag {
	char *file;	/* borrowed name copied on add */
	unsigned line;	/* 1-based; 0 when the input has no lines */
	unsigned col;	/* 1-based byte column; 0 when unknown */
	char msg[MNG_DIAG_MSG_MAX];
};

struct mng_diags {
	struct mng_diag *v;
	size_t n, cap;
	size_t dropped; /* records past MNG_DIAG_MAX */
};

/*
 * mng_diags_add - record one diagnostic. Never fails from the caller's point
 * of view: when memory runs out or the cap is reached the record is counted
 * in ->dropped, so "there was an error" is never lost.
 */
void mng_diags_add(struct mng_diags *d, const char *file, unsigned line, unsigned col,
		   const char *fmt, ...) MNG_PRINTF(5, 6);

/* mng_diags_count - number of diagnostics, dropped ones included. */
size_t mng_diags_count(const struct mng_diags *d);

/* mng_diags_print - write each as "file:line:col: message\n" to f. */
void mng_diags_print(const struct mng_diags *d, FILE *f);

/* mng_diags_clear - free every record; the struct may be reused. */
void mng_diags_clear(struct mng_diags *d);

#endif
