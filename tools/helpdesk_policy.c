// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helpdesk_policy.c - mnguard-helpdesk policy sign: check a policy directory
 * and sign it with the policy key into one bundle (lib/bundle.h) that
 * `mnguardctl policy install` puts in force on a terminal.
 *
 * DIR holds rules.d/NAME.rules, optionally mnguard.conf and
 * trust/helpdesk/NAME.pub. Other files in rules.d are ignored, as mnguardd
 * ignores them; a name that a bundle cannot carry is an error.
 *
 * MUST: no bundle is written unless every rules file parsed without a
 *       single diagnostic, mnguard.conf (when present) parsed, and every
 *       help desk key is an Ed25519 public key other than the policy key.
 * MUST: the output file is created with O_EXCL: an existing file is never
 *       overwritten, and a failed write removes what this run made.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bundle.h"
#include "config.h"
#include "diag.h"
#include "exempt.h"
#include "file.h"
#include "helpdesk.h"
#include "mng.h"
#include "rules.h"
#include "rulesload.h"
#include "sha256.h"

struct entry {
	struct mng_bundle_input in;
	char path[MNG_BUNDLE_PATH_MAX + 1];
	char *data;
};

struct set {
	struct entry *v;
	size_t n;
};

static void msg(const char *fmt, ...) MNG_PRINTF(1, 2);
static void msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mnguard-helpdesk policy: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mnguard-helpdesk policy sign DIR --version N [--key FILE] [--out FILE]\n"
		   "         [--created T] [--log FILE] [--operator NAME]\n");
}

static void set_free(struct set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].data);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Add every file of DIR/sub whose name ends in suffix as kind. A missing
 * directory is fine unless required. Names are taken in byte order.
 */
static int add_dir(struct set *s, const char *dir, const char *sub, const char *suffix,
		   enum mng_bundle_kind kind, bool required)
{
	char path[4200], *names[MNG_BUNDLE_FILES_MAX + 1], why_path[200];
	struct dirent *de;
	size_t n = 0, i, sl = strlen(suffix);
	DIR *d;
	int dfd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT && !required)
			return 0;
		msg("%s: %s", path, strerror(errno));
		return -errno;
	}
	d = fdopendir(dfd);
	if (!d) {
		(void)close(dfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);

		if (de->d_name[0] == '.' || nl <= sl || strcmp(de->d_name + nl - sl, suffix))
			continue;
		if (n == MNG_BUNDLE_FILES_MAX) {
			msg("%s: more than %d files", path, MNG_BUNDLE_FILES_MAX);
			r = -E2BIG;
			break;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_name);
	for (i = 0; i < n && r == 0; i++) {
		struct entry *e;
		const char *why = NULL;
		size_t len = 0;
		int k;

		if (s->n >= MNG_BUNDLE_FILES_MAX) {
			msg("more than %d files in all", MNG_BUNDLE_FILES_MAX);
			r = -E2BIG;
			break;
		}
		e = &s->v[s->n];
		memset(e, 0, sizeof(*e));
		k = snprintf(e->path, sizeof(e->path), "%s/%s", sub, names[i]);
		if (k < 0 || (size_t)k >= sizeof(e->path) ||
		    mng_bundle_path_check(kind, e->path, why_path, sizeof(why_path)) < 0) {
			msg("%s/%s: %s", dir, k > 0 && (size_t)k < sizeof(e->path) ? e->path : sub,
			    k > 0 && (size_t)k < sizeof(e->path) ? why_path : "name too long");
			r = -EINVAL;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->path);
		r = mng_file_read(path, MNG_BUNDLE_FILE_MAX, 0, &e->data, &len, &why);
		if (r < 0) {
			msg("%s: %s", path, why ? why : strerror(-r));
			break;
		}
		e->in = (struct mng_bundle_input){kind, 0644, e->path, e->data, len};
		s->n++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	if (r == 0 && required && n == 0) {
		msg("%s/%s: no *%s file", dir, sub, suffix);
		r = -ENOENT;
	}
	return r;
}

/* Parse every rules file as mnguardd would; print every diagnostic. */
static int check_rules(const struct set *s, const char *dir)
{
	struct mng_ruleset *rs = NULL;
	struct mng_diags diags = {0};
	char name[4200];
	size_t i, rules = 0;
	int r;

	r = mng_ruleset_new(&rs);
	if (r < 0)
		return r;
	for (i = 0; i < s->n; i++) {
		if (s->v[i].in.kind != MNG_BUNDLE_KIND_RULES)
			continue;
		snprintf(name, sizeof(name), "%s/%s", dir, s->v[i].path);
		(void)mng_ruleset_parse(rs, s->v[i].data, s->v[i].in.size, name, &diags);
	}
	rules = mng_ruleset_count(rs);
	mng_ruleset_free(&rs);
	if (mng_diags_count(&diags)) {
		mng_diags_print(&diags, stderr);
		msg("%zu problem(s) in the rules: no bundle made", mng_diags_count(&diags));
		mng_diags_clear(&diags);
		return -EINVAL;
	}
	if (rules == 0) {
		msg("the rules files hold no rule: an empty policy would block every device");
		return -EINVAL;
	}
	return (int)rules;
}

static int check_conf(const struct set *s, const char *dir)
{
	struct mng_diags diags = {0};
	struct mng_config cfg;
	char name[4200];
	size_t i;
	int r;

	for (i = 0; i < s->n; i++) {
		if (s->v[i].in.kind != MNG_BUNDLE_KIND_CONF)
			continue;
		snprintf(name, sizeof(name), "%s/%s", dir, s->v[i].path);
		r = mng_config_parse(s->v[i].data, s->v[i].in.size, name, &cfg, &diags);
		if (r < 0) {
			mng_diags_print(&diags, stderr);
			mng_diags_clear(&diags);
			msg("%s does not parse: no bundle made", name);
			return -EINVAL;
		}
	}
	return 0;
}

static int write_out(const char *out, const uint8_t *buf, size_t len)
{
	size_t o = 0;
	int fd, r = 0;

	if (!strcmp(out, "-"))
		fd = STDOUT_FILENO;
	else
		fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (o < len) {
		ssize_t n = write(fd, buf + o, len - o);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		o += (size_t)n;
	}
	if (fd != STDOUT_FILENO) {
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r < 0)
			(void)unlink(out);
	}
	return r;
}

static int sign(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"version", required_argument, NULL, 'v'}, {"key", required_argument, NULL, 'k'},
	    {"out", required_argument, NULL, 'o'},     {"created", required_argument, NULL, 'c'},
	    {"log", required_argument, NULL, 'l'},     {"operator", required_argument, NULL, 'O'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	const char *version_s = NULL, *key_path = NULL, *out = NULL, *created_s = NULL;
	const char *log = NULL, *op = NULL, *dir;
	char why[512], err[512], outdef[64], kid[MNG_EXEMPT_KID_LEN + 1], vs[24], cs[24], ns[16];
	char hex[MNG_SHA256_HEX_LEN + 1];
	uint8_t *buf = NULL, digest[MNG_SHA256_LEN];
	struct mng_bundle_input *in = NULL;
	struct set s = {0};
	EVP_PKEY *key = NULL;
	uint64_t version = 0;
	int64_t created;
	size_t len = 0, i, n_keys = 0, n_rules = 0, n_conf = 0;
	int c, r, status = HD_EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			version_s = optarg;
			break;
		case 'k':
			key_path = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'c':
			created_s = optarg;
			break;
		case 'l':
			log = optarg;
			break;
		case 'O':
			op = optarg;
			break;
		case 'h':
			usage(stdout);
			return HD_EXIT_OK;
		default:
			usage(stderr);
			return HD_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !version_s) {
		usage(stderr);
		return HD_EXIT_USAGE;
	}
	dir = argv[optind];
	{
		char *end = NULL;

		errno = 0;
		if (version_s[0] < '1' || version_s[0] > '9' ||
		    (version = strtoull(version_s, &end, 10), errno) || *end ||
		    version > MNG_BUNDLE_VERSION_MAX) {
			msg("--version must be a whole number from 1 to %llu",
			    (unsigned long long)MNG_BUNDLE_VERSION_MAX);
			return HD_EXIT_USAGE;
		}
	}
	created = (int64_t)time(NULL);
	if (created_s && (hd_parse_time(created_s, time(NULL), &created) < 0 || created < 0 ||
			  created > MNG_BUNDLE_TIME_MAX)) {
		msg("--created: not a time (now, @SECONDS, YYYY-MM-DDTHH:MM[:SS][Z])");
		return HD_EXIT_USAGE;
	}
	s.v = calloc(MNG_BUNDLE_FILES_MAX, sizeof(*s.v));
	if (!s.v) {
		msg("out of memory");
		return HD_EXIT_FAIL;
	}
	if (add_dir(&s, dir, "rules.d", ".rules", MNG_BUNDLE_KIND_RULES, true) < 0 ||
	    add_dir(&s, dir, "trust/helpdesk", ".pub", MNG_BUNDLE_KIND_HELPDESK_KEY, false) < 0)
		goto out;
	{
		char cpath[4200];
		struct stat st;

		snprintf(cpath, sizeof(cpath), "%s/mnguard.conf", dir);
		if (lstat(cpath, &st) == 0) {
			struct entry *e = &s.v[s.n];
			const char *w = NULL;
			size_t clen = 0;

			if (s.n >= MNG_BUNDLE_FILES_MAX) {
				msg("more than %d files in all", MNG_BUNDLE_FILES_MAX);
				goto out;
			}
			r = mng_file_read(cpath, MNG_CONFIG_FILE_MAX, 0, &e->data, &clen, &w);
			if (r < 0) {
				msg("%s: %s", cpath, w ? w : strerror(-r));
				goto out;
			}
			snprintf(e->path, sizeof(e->path), "mnguard.conf");
			e->in = (struct mng_bundle_input){MNG_BUNDLE_KIND_CONF, 0644, e->path,
							  e->data, clen};
			s.n++;
		}
	}
	r = check_rules(&s, dir);
	if (r < 0 || check_conf(&s, dir) < 0)
		goto out;
	r = hd_load_private_key(key_path, "policy.key", &key, why, sizeof(why));
	if (r < 0) {
		msg("%s", why);
		goto out;
	}
	in = calloc(s.n, sizeof(*in));
	if (!in)
		goto out;
	for (i = 0; i < s.n; i++) {
		in[i] = s.v[i].in;
		n_rules += in[i].kind == MNG_BUNDLE_KIND_RULES;
		n_keys += in[i].kind == MNG_BUNDLE_KIND_HELPDESK_KEY;
		n_conf += in[i].kind == MNG_BUNDLE_KIND_CONF;
	}
	r = mng_bundle_sign(version, created, in, s.n, key, &buf, &len, err, sizeof(err));
	if (r < 0) {
		msg("cannot sign: %s", err[0] ? err : strerror(-r));
		goto out;
	}
	if (!out) {
		snprintf(outdef, sizeof(outdef), "mnguard-policy-%" PRIu64 ".bundle", version);
		out = outdef;
	}
	r = write_out(out, buf, len);
	if (r < 0) {
		msg("%s: %s%s", out, strerror(-r),
		    r == -EEXIST ? " (a bundle file is never overwritten)" : "");
		goto out;
	}
	(void)mng_exempt_kid(key, kid);
	(void)mng_sha256(buf, len, digest);
	mng_sha256_hex(digest, hex);
	snprintf(vs, sizeof(vs), "%" PRIu64, version);
	snprintf(cs, sizeof(cs), "%" PRId64, created);
	snprintf(ns, sizeof(ns), "%zu", s.n);
	{
		const char *fields[] = {vs, cs, kid, ns, hex, hd_operator(op)};

		r = hd_csv_append(log, "policies.csv",
				  "time,version,created,kid,files,sha256,operator\n", fields,
				  MNG_ARRAY_SIZE(fields));
		if (r < 0)
			msg("warning: the signing log could not be written (%s)", strerror(-r));
	}
	fprintf(strcmp(out, "-") ? stdout : stderr,
		"policy version %" PRIu64 " signed with policy key %s: %zu rules files, %s, "
		"%zu help desk keys\n%s (%zu bytes, sha256 %s)\n",
		version, kid, n_rules, n_conf ? "mnguard.conf" : "no mnguard.conf", n_keys, out,
		len, hex);
	status = HD_EXIT_OK;
out:
	free(in);
	free(buf);
	EVP_PKEY_free(key);
	set_free(&s);
	return status;
}

int hd_policy(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return HD_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "sign")) {
		usage(stderr);
		return HD_EXIT_USAGE;
	}
	return sign(argc - 1, argv + 1);
}
