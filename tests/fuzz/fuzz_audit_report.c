// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_audit_report.c - libFuzzer harness for the self-inspection report
 * (lib/audit_report.h): the input is split at the first NUL-free "\f" into
 * two files of a collector, both read, linked, and rendered as CSV and HTML.
 * Any input must give a report (or a clean error), never a crash, a leak or
 * a hang; the HTML must never hold a raw "<script".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "audit_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfile(const uint8_t *p, size_t n)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (n && write(fd, p, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	(void)lseek(fd, 0, SEEK_SET);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *cut = memchr(data, '\f', size);
	size_t first = cut ? (size_t)(cut - data) : size;
	struct mng_diags d = {0};
	struct mng_report *r = NULL;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	if (mng_report_new("2000-01-01T00:00:00.000000Z", NULL, &r) < 0)
		return 0;
	fd = memfile(data, first);
	if (fd >= 0) {
		(void)mng_report_add_fd(r, fd, "a/audit.log", &d);
		close(fd);
	}
	if (cut) {
		fd = memfile(cut + 1, size - first - 1);
		if (fd >= 0) {
			(void)mng_report_add_fd(r, fd, "b/audit.log", &d);
			close(fd);
		}
	}
	if (mng_report_finish(r) == 0) {
		if (mng_report_render(r, MNG_REPORT_HTML, NULL, &d, &buf, &len) == 0) {
			if (strstr(buf, "<script"))
				abort();
			free(buf);
		}
		if (mng_report_render(r, MNG_REPORT_CSV, NULL, &d, &buf, &len) == 0)
			free(buf);
	}
	mng_report_free(&r);
	mng_diags_clear(&d);
	return 0;
}
