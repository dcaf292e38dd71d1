// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_audit.c - "mnguardctl audit verify FILE... [--anchor FILE]".
 *
 * Verifies the hash chain of each audit log FILE. Several files are checked
 * as one chain in the order given (oldest rotated file first): each must
 * start where the one before it ended. The anchor, when given, is checked
 * against the last file. Prints "FILE: OK, N records" for each good file on
 * stdout; the first problem goes to stderr as "FILE: FAILED: reason".
 * Exit status: 0 all good, 1 a check failed or a file could not be read,
 * 2 usage error.
 *
 * "audit report" and "audit prune" live in ctl_report.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "ctl.h"
#include "ctl_report.h"

#define MAX_FILES 4096

static int usage(void)
{
	fprintf(stderr, "usage: mnguardctl audit verify FILE... [--anchor FILE]\n"
			"       mnguardctl audit report [--from DATE] [--to DATE] "
			"[--format csv|html] [--out FILE] FILE|DIR...\n"
			"       mnguardctl audit prune [--config FILE] [--retention PERIOD] "
			"[--dry-run]\n");
	return CTL_EXIT_USAGE;
}

static int verify(int nfiles, char **files, const char *anchor_path)
{
	struct mng_audit_report prev = {0}, rep;
	int i, rc;

	for (i = 0; i < nfiles; i++) {
		const char *anchor = i == nfiles - 1 ? anchor_path : NULL;

		rc = mng_audit_verify(files[i], anchor, &rep);
		if (rc < 0) {
			fprintf(stderr, "mnguardctl: %s: cannot verify: %s%s\n",
				rc == -EBADMSG && anchor ? anchor : files[i], strerror(-rc),
				rc == -EBADMSG && anchor ? " (malformed anchor)" : "");
			return CTL_EXIT_FAIL;
		}
		if (!rep.ok) {
			fprintf(stderr,
				"%s: FAILED: %s (first bad record: seq %" PRIu64 ", line %lu)\n",
				files[i], rep.reason, rep.first_bad_seq, rep.first_bad_line);
			return CTL_EXIT_FAIL;
		}
		if (i > 0 &&
		    (rep.records == 0 || prev.records == 0 || rep.first_seq != prev.last_seq + 1 ||
		     strcmp(rep.start_prev, prev.last_hash))) {
			fprintf(stderr,
				"%s: FAILED: does not continue %s (that ends at seq %" PRIu64
				", this starts at seq %" PRIu64 ")\n",
				files[i], files[i - 1], prev.last_seq, rep.first_seq);
			return CTL_EXIT_FAIL;
		}
		if (rep.records && rep.first_seq > 1 && i == 0)
			printf("%s: OK, %" PRIu64 " records (seq %" PRIu64 "-%" PRIu64
			       ", continues a chain after seq %" PRIu64 ")\n",
			       files[i], rep.records, rep.first_seq, rep.last_seq,
			       rep.first_seq - 1);
		else
			printf("%s: OK, %" PRIu64 " records\n", files[i], rep.records);
		prev = rep;
	}
	return CTL_EXIT_OK;
}

int ctl_audit(int argc, char **argv)
{
	static char *files[MAX_FILES];
	const char *anchor = NULL;
	int i, n = 0;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: mnguardctl audit verify FILE... [--anchor FILE]\n"
		       "       mnguardctl audit report [--from DATE] [--to DATE] "
		       "[--format csv|html] [--out FILE] FILE|DIR...\n"
		       "       mnguardctl audit prune [--config FILE] [--retention PERIOD] "
		       "[--dry-run]\n");
		return CTL_EXIT_OK;
	}
	if (!strcmp(argv[1], "report"))
		return ctl_audit_report(argc - 1, argv + 1);
	if (!strcmp(argv[1], "prune"))
		return ctl_audit_prune(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify")) {
		fprintf(stderr, "mnguardctl: audit: unknown subcommand \"%s\"\n", argv[1]);
		return usage();
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--anchor")) {
			if (i + 1 >= argc || anchor)
				return usage();
			anchor = argv[++i];
		} else if (!strncmp(argv[i], "--anchor=", 9)) {
			if (anchor || !argv[i][9])
				return usage();
			anchor = argv[i] + 9;
		} else if (!strcmp(argv[i], "--")) {
			for (i++; i < argc && n < MAX_FILES; i++)
				files[n++] = argv[i];
			if (i < argc)
				return usage();
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "mnguardctl: audit verify: unknown option \"%s\"\n",
				argv[i]);
			return usage();
		} else {
			if (n >= MAX_FILES)
				return usage();
			files[n++] = argv[i];
		}
	}
	if (n == 0)
		return usage();
	return verify(n, files, anchor);
}
