// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_audit.c - arbitrary bytes as an audit log: the verifier (with and
 * without an anchor), the writer's full scan, and the record parser must
 * neither crash nor leak, and must report consistently.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_report(const struct mng_audit_report *rep)
{
	if (!memchr(rep->reason, '\0', sizeof(rep->reason)))
		abort();
	if (rep->ok && (rep->first_bad_seq || rep->first_bad_line || rep->reason[0]))
		abort();
	if (!rep->ok && (!rep->first_bad_line || !rep->reason[0]))
		abort();
	if (rep->records && rep->last_seq != rep->first_seq + rep->records - 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mng_audit_anchor anchor = {.seq = 2};
	struct mng_audit_report rep;
	struct mng_audit_scan scan;
	struct mng_audit_line rec;
	char err[160];
	size_t off = 0;
	int fd;

	fd = memfd_create("fuzz_audit", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) == 0 && mng_audit_verify_fd(fd, NULL, &rep) == 0)
		check_report(&rep);
	memset(anchor.hash, 'a', MNG_AUDIT_HASH_HEX);
	anchor.hash[MNG_AUDIT_HASH_HEX] = '\0';
	if (lseek(fd, 0, SEEK_SET) == 0 && mng_audit_verify_fd(fd, &anchor, &rep) == 0) {
		check_report(&rep);
		if (rep.ok) /* no line can hash to the made-up anchor */
			abort();
	}
	if (lseek(fd, 0, SEEK_SET) == 0 && mng_audit_scan_fd(fd, 2, &scan) == 0) {
		if (scan.last_valid && scan.last_seq > scan.max_seq)
			abort();
	}
	if (mng_audit_line_parse((const char *)data, size, &rec, err, sizeof(err)) == 0) {
		if (rec.seq == 0 || strlen(rec.prev) != MNG_AUDIT_HASH_HEX || !rec.event[0])
			abort();
	}
out:
	close(fd);
	return 0;
}
