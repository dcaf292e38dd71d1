// SPDX-License-Identifier: GPL-2.0-or-later
/* diag.c - collected file:line:col diagnostics (see diag.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void mng_diags_add(struct mng_diags *d, const char *file, unsigned line, unsigned col,
		   const char *fmt, ...)
{
	struct mng_diag *e;
	va_list ap;

	if (!d)
		return;
	if (d->n >= MNG_DIAG_MAX) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		struct mng_diag *nv = realloc(d->v, ncap * sizeof(*nv));

		if (!nv) {
			d->dropped++;
			return;
		}
		d->v = nv;
		d->cap = ncap;
	}
	e = &d->v[d->n];
	e->file = strdup(file ? file : "-");
	if (!e->file) {
		d->dropped++;
		return;
	}
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	d->n++;
}

size_t mng_diags_count(const struct mng_diags *d)
{
	return d ? d->n + d->dropped : 0;
}

void mng_diags_print(const struct mng_diags *d, FILE *f)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		const struct mng_diag *e = &d->v[i];

		if (e->line && e->col)
			fprintf(f, "%s:%u:%u: %s\n", e->file, e->line, e->col, e->msg);
		else if (e->line)
			fprintf(f, "%s:%u: %s\n", e->file, e->line, e->msg);
		else
			fprintf(f, "%s: %s\n", e->file, e->msg);
	}
	if (d->dropped)
		fprintf(f, "(%zu more diagnostics not shown)\n", d->dropped);
}

void mng_diags_clear(struct mng_diags *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		free(d->v[i].file);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = d->dropped = 0;
}
