// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_device.c - "mnguardctl generate-policy": one USBGuard-compatible rule
 * per USB device present, parents first.
 *
 * Reads sysfs directly (not through the agent), so it works on a terminal
 * before the agent is installed and inside umockdev-run. The output is
 * all-or-nothing: if any present device cannot be read, nothing is printed
 * and the exit status is 1, so "generate-policy > file" never leaves a
 * policy that silently lacks a device. A device that disappears between
 * listing and reading is skipped with a note on stderr.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "device.h"
#include "usbdesc.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: mnguardctl generate-policy [--target allow|block] [--no-hash] "
		   "[--no-port]\n"
		   "  --target T   rule target, allow (default) or block\n"
		   "  --no-hash    leave out hash and parent-hash\n"
		   "  --no-port    leave out via-port\n");
}

struct opts {
	const char *target;
	bool no_hash, no_port;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	o->target = "allow";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(a, "--no-hash")) {
			o->no_hash = true;
		} else if (!strcmp(a, "--no-port")) {
			o->no_port = true;
		} else if (!strcmp(a, "--target") || !strncmp(a, "--target=", 9)) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);

			if (!v || (strcmp(v, "allow") && strcmp(v, "block"))) {
				fprintf(stderr,
					"mnguardctl generate-policy: --target needs allow or "
					"block\n");
				usage(stderr);
				return -1;
			}
			o->target = v;
		} else {
			fprintf(stderr, "mnguardctl generate-policy: unexpected argument \"%s\"\n",
				a);
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

int ctl_generate_policy(int argc, char **argv)
{
	struct mng_device *d = NULL;
	struct opts o = {0};
	char **paths = NULL, **rules = NULL;
	size_t n = 0, n_rules = 0, i;
	int r, status = CTL_EXIT_FAIL;
	bool failed = false;

	r = parse_opts(argc, argv, &o);
	if (r)
		return r > 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;

	r = mng_device_enumerate(&paths, &n);
	if (r < 0) {
		fprintf(stderr, "mnguardctl generate-policy: cannot list USB devices: %s\n",
			strerror(-r));
		return CTL_EXIT_FAIL;
	}
	d = malloc(sizeof(*d));
	rules = calloc(n ? n : 1, sizeof(*rules));
	if (!d || !rules) {
		fprintf(stderr, "mnguardctl generate-policy: %s\n", strerror(ENOMEM));
		goto out;
	}

	for (i = 0; i < n; i++) {
		r = mng_device_read_sysfs(paths[i], d);
		if (r == -ENOENT) {
			fprintf(stderr, "mnguardctl generate-policy: %s: device gone, skipped\n",
				paths[i]);
			continue;
		}
		if (r < 0) {
			fprintf(stderr, "mnguardctl generate-policy: %s: cannot read device: %s\n",
				paths[i], strerror(-r));
			failed = true;
			continue;
		}
		if (!d->descriptors_ok) {
			fprintf(
			    stderr,
			    "mnguardctl generate-policy: %s (%04x:%04x): descriptors unreadable "
			    "or malformed, no rule can describe it\n",
			    paths[i], d->vendor, d->product);
			failed = true;
			continue;
		}
		if (o.no_hash) {
			d->hash[0] = '\0';
			d->parent_hash[0] = '\0';
		}
		if (o.no_port)
			d->port[0] = '\0';
		r = mng_device_format_rule(d, o.target, &rules[n_rules]);
		if (r < 0) {
			fprintf(stderr, "mnguardctl generate-policy: %s: %s\n", paths[i],
				strerror(-r));
			failed = true;
			continue;
		}
		n_rules++;
	}
	if (failed) {
		fprintf(stderr, "mnguardctl generate-policy: no policy written\n");
		goto out;
	}
	for (i = 0; i < n_rules; i++)
		printf("%s\n", rules[i]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mnguardctl generate-policy: write error: %s\n", strerror(errno));
		goto out;
	}
	status = CTL_EXIT_OK;
out:
	if (rules)
		for (i = 0; i < n_rules; i++)
			free(rules[i]);
	free(rules);
	free(d);
	mng_device_paths_free(paths, n);
	return status;
}
