// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helpdesk_exempt.c - "mnguard-helpdesk keygen" and "mnguard-helpdesk
 * issue": the help desk's signing keys and phone master secret, and
 * exemption tokens (mnguard-helpdesk(1)); plus the pieces the phone
 * subcommands share: reading secret files, the exemption log, times.
 *
 * MUST: keygen never overwrites a file: every file is created with O_EXCL,
 *       private ones 0600, in a directory made 0700.
 * MUST: a private key or master secret readable by group or others, or
 *       reached through a symlink, is refused; their bytes are wiped after
 *       use.
 * MUST: issue refuses, before signing, a lifetime over the maximum, a USB
 *       rule that does not parse or is not an allow rule, and a "*"
 *       terminal without --allow-any-terminal.
 * MUST: every issued exemption is logged; nothing in the log can run as a
 *       spreadsheet formula.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "exempt.h"
#include "file.h"
#include "helpdesk.h"
#include "mng.h"
#include "phonecode.h"

#define SECRET_FILE_MAX (16 * 1024)
#define LOG_FIELD_MAX 2048
#define DEFAULT_LIFETIME 3600		/* without --not-after or --for */
#define DEFAULT_MAX_LIFETIME (8 * 3600) /* --max-lifetime */
#define PAST_SLACK 300			/* --not-before may lie this far in the past */

static void msg(const char *cmd, const char *fmt, ...) MNG_PRINTF(2, 3);
static void msg(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mnguard-helpdesk %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- shared with helpdesk_phone.c ---- */

int hd_state_path(const char *name, char *buf, size_t size)
{
	const char *home = getenv("HOME");
	int n;

	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(getuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return -ENOENT;
	n = snprintf(buf, size, "%s/.config/mnguard-helpdesk%s%s", home, name ? "/" : "",
		     name ? name : "");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int hd_read_secret(const char *path, char **ret_buf, size_t *ret_len, const char **why)
{
	struct stat st;
	int fd, r;

	*why = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP)
			*why = "is a symlink";
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		*why = "is not a regular file";
		return -EINVAL;
	}
	if (st.st_mode & 077) {
		(void)close(fd);
		*why = "is accessible by group or others (chmod 600 it)";
		return -EPERM;
	}
	r = mng_file_read_fd(fd, SECRET_FILE_MAX, 0, ret_buf, ret_len, why);
	(void)close(fd);
	return r;
}

int hd_read_master(const char *path, uint8_t ret[32], char *why, size_t whylen)
{
	char def[4096], *buf = NULL;
	const char *w = NULL;
	size_t len = 0;
	int r;

	if (!path) {
		r = hd_state_path("phone-master.key", def, sizeof(def));
		if (r < 0) {
			snprintf(why, whylen, "no home directory for the default master file");
			return r;
		}
		path = def;
	}
	r = hd_read_secret(path, &buf, &len, &w);
	if (r < 0) {
		snprintf(why, whylen, "%s: %s", path, w ? w : strerror(-r));
		return r;
	}
	r = mng_phone_key_parse(buf, len, ret);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (r < 0)
		snprintf(why, whylen, "%s: not 64 hex digits", path);
	return r;
}

void hd_format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "@%" PRId64, t);
}

int hd_parse_duration(const char *s, int64_t *ret)
{
	int64_t total = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		int64_t v = 0, unit;
		const char *start = p;

		while (*p >= '0' && *p <= '9') {
			if (v > 100000000)
				return -ERANGE;
			v = v * 10 + (*p++ - '0');
		}
		if (p == start)
			return -EINVAL;
		switch (*p++) {
		case 'd':
			unit = 86400;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'm':
			unit = 60;
			break;
		case 's':
			unit = 1;
			break;
		default:
			return -EINVAL;
		}
		total += v * unit;
		if (total > (int64_t)366 * 86400)
			return -ERANGE;
	}
	*ret = total;
	return 0;
}

int hd_parse_time(const char *s, time_t now, int64_t *ret)
{
	struct tm tm;
	const char *end;
	int64_t t;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "now")) {
		*ret = now;
		return 0;
	}
	if (s[0] == '@' || s[0] == '+') {
		char *e = NULL;
		long long v;

		if (s[0] == '+') {
			int64_t d;
			int r = hd_parse_duration(s + 1, &d);

			if (r < 0)
				return r;
			*ret = (int64_t)now + d;
			return 0;
		}
		errno = 0;
		v = strtoll(s + 1, &e, 10);
		if (errno || e == s + 1 || *e || v < 0)
			return -EINVAL;
		*ret = v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!end)
		end = strptime(s, "%Y-%m-%d %H:%M", &tm);
	if (!end)
		return -EINVAL;
	if (*end == ':') {
		const char *e2 = strptime(end + 1, "%S", &tm);

		if (!e2)
			return -EINVAL;
		end = e2;
	}
	if (*end == 'Z' && !end[1]) {
		t = (int64_t)timegm(&tm);
	} else if ((*end == '+' || *end == '-') && strlen(end) == 6 && end[3] == ':') {
		int hh, mm, sign = *end == '-' ? -1 : 1;

		if (sscanf(end + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 14 || mm > 59)
			return -EINVAL;
		t = (int64_t)timegm(&tm) - sign * (hh * 3600 + mm * 60);
	} else if (!*end) {
		tm.tm_isdst = -1;
		t = (int64_t)mktime(&tm);
	} else {
		return -EINVAL;
	}
	if (t < 0)
		return -EINVAL;
	*ret = t;
	return 0;
}

int hd_log_exemption(const char *log_path, const char *const fields[HD_EXLOG_FIELDS])
{
	return hd_csv_append(
	    log_path, "exemptions.csv",
	    "time,id,kind,terminal,user,scope,object,not_before,not_after,uses,ticket,"
	    "reason,operator\n",
	    fields, HD_EXLOG_FIELDS);
}

const char *hd_operator(const char *given)
{
	struct passwd *pw;

	if (given)
		return given;
	pw = getpwuid(getuid());
	return pw && pw->pw_name ? pw->pw_name : "unknown";
}

/* ---- keygen ---- */

static int write_new(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		r = -errno;
	else if (write(fd, data, len) != (ssize_t)len)
		r = -EIO;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		(void)unlink(path);
	return r;
}

/* Write key's private half (PKCS#8 PEM, 0600) and public half (SPKI PEM, 0644). */
static int write_keypair(EVP_PKEY *key, const char *priv, const char *pub)
{
	BIO *sb = BIO_new(BIO_s_secmem()), *pb = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	int r = -EIO;

	if (!sb || !pb)
		goto out;
	if (PEM_write_bio_PrivateKey(sb, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_PUBKEY(pb, key) != 1)
		goto out;
	n = BIO_get_mem_data(sb, &data);
	if (n <= 0)
		goto out;
	r = write_new(priv, data, (size_t)n, 0600);
	if (r < 0)
		goto out;
	n = BIO_get_mem_data(pb, &data);
	r = n > 0 ? write_new(pub, data, (size_t)n, 0644) : -EIO;
	if (r < 0)
		(void)unlink(priv); /* made above with O_EXCL: ours */
out:
	ERR_clear_error();
	BIO_free(sb); /* a secure-memory BIO: wiped when freed */
	BIO_free(pb);
	return r;
}

static void keygen_usage(FILE *f)
{
	fprintf(f, "usage: mnguard-helpdesk keygen [--dir DIR]\n");
}

int hd_keygen(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const names[] = {"helpdesk.key", "helpdesk.pub", "policy.key",
					    "policy.pub", "phone-master.key"};
	char dir[4096], paths[5][4200], kid_h[MNG_EXEMPT_KID_LEN + 1],
	    kid_p[MNG_EXEMPT_KID_LEN + 1];
	char hex[MNG_PHONE_KEY_HEX_LEN + 2];
	uint8_t master[MNG_PHONE_KEY_LEN];
	EVP_PKEY *hk = NULL, *pk = NULL;
	const char *d = NULL;
	struct stat st;
	size_t i, made;
	int c, r, status = HD_EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			d = optarg;
			break;
		case 'h':
			keygen_usage(stdout);
			return HD_EXIT_OK;
		default:
			keygen_usage(stderr);
			return HD_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		keygen_usage(stderr);
		return HD_EXIT_USAGE;
	}
	if (!d) {
		char cfg[4096];

		if (hd_state_path(NULL, dir, sizeof(dir)) < 0 ||
		    snprintf(cfg, sizeof(cfg), "%s", dir) < 0) {
			msg("keygen", "no home directory: give --dir");
			return HD_EXIT_FAIL;
		}
		/* ~/.config first, then ~/.config/mnguard-helpdesk */
		*strrchr(cfg, '/') = '\0';
		if (mkdir(cfg, 0700) < 0 && errno != EEXIST) {
			msg("keygen", "%s: %s", cfg, strerror(errno));
			return HD_EXIT_FAIL;
		}
		d = dir;
	}
	if (mkdir(d, 0700) < 0 && errno != EEXIST) {
		msg("keygen", "%s: %s", d, strerror(errno));
		return HD_EXIT_FAIL;
	}
	for (i = 0; i < MNG_ARRAY_SIZE(names); i++) {
		if (snprintf(paths[i], sizeof(paths[i]), "%s/%s", d, names[i]) >=
		    (int)sizeof(paths[i])) {
			msg("keygen", "directory name too long");
			return HD_EXIT_USAGE;
		}
		if (lstat(paths[i], &st) == 0) {
			msg("keygen", "%s exists: keygen never overwrites a key", paths[i]);
			return HD_EXIT_FAIL;
		}
	}
	hk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!hk || !pk || mng_exempt_kid(hk, kid_h) < 0 || mng_exempt_kid(pk, kid_p) < 0) {
		msg("keygen", "cannot make Ed25519 keys");
		goto out;
	}
	r = getrandom(master, sizeof(master), 0) == (ssize_t)sizeof(master) ? 0 : -EIO;
	if (r < 0) {
		msg("keygen", "no randomness for the master secret");
		goto out;
	}
	mng_phone_key_format(master, hex);
	strcat(hex, "\n");
	/* Each step makes its files with O_EXCL, so on failure the earlier ones are ours to remove.
	 */
	made = 0;
	r = write_keypair(hk, paths[0], paths[1]);
	if (r == 0) {
		made = 2;
		r = write_keypair(pk, paths[2], paths[3]);
	}
	if (r == 0) {
		made = 4;
		r = write_new(paths[4], hex, MNG_PHONE_KEY_HEX_LEN + 1, 0600);
	}
	if (r < 0) {
		for (i = 0; i < made; i++)
			(void)unlink(paths[i]);
		msg("keygen", "writing the keys in %s: %s", d, strerror(-r));
		goto out;
	}
	printf("help desk key:  %s (kid %s)\n"
	       "                copy %s to /etc/mnguard/trust/helpdesk/ on every terminal\n"
	       "policy key:     %s (kid %s)\n"
	       "                copy %s to /etc/mnguard/trust/policy/ on every terminal\n"
	       "phone master:   %s\n"
	       "                terminals get only their own key: "
	       "mnguard-helpdesk phone terminal-key\n"
	       "Keep the .key files offline-backed-up and private; they are never copied to "
	       "terminals.\n",
	       paths[0], kid_h, paths[1], paths[2], kid_p, paths[3], paths[4]);
	status = HD_EXIT_OK;
out:
	OPENSSL_cleanse(master, sizeof(master));
	OPENSSL_cleanse(hex, sizeof(hex));
	EVP_PKEY_free(hk);
	EVP_PKEY_free(pk);
	return status;
}

/* ---- issue ---- */

struct issue_opts {
	struct hd_common_opts c;
	const char *scope, *rule, *printer, *not_before, *not_after, *dur, *uses, *key, *out;
	bool any_terminal;
};

static void issue_usage(FILE *f)
{
	fprintf(f, "usage: mnguard-helpdesk issue --terminal MACHINE-ID|* --user U\n"
		   "         --scope usb|print|clipboard|login [--rule RULE | --printer QUEUE]\n"
		   "         [--not-before T] [--not-after T | --for DURATION] [--uses N]\n"
		   "         --ticket T --reason TEXT [--operator NAME] [--key FILE] [--out FILE]\n"
		   "         [--log FILE] [--max-lifetime DURATION] [--allow-any-terminal]\n");
}

int hd_load_private_key(const char *path, const char *default_name, EVP_PKEY **ret, char *why,
			size_t whylen)
{
	char def[4096], *buf = NULL;
	const char *w = NULL;
	size_t len = 0;
	BIO *bio;
	EVP_PKEY *k = NULL;
	int r;

	if (!path) {
		r = hd_state_path(default_name, def, sizeof(def));
		if (r < 0) {
			snprintf(why, whylen, "no home directory for the default key: give --key");
			return r;
		}
		path = def;
	}
	r = hd_read_secret(path, &buf, &len, &w);
	if (r < 0) {
		snprintf(why, whylen, "%s: %s", path, w ? w : strerror(-r));
		return r;
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);
	free(buf);
	ERR_clear_error();
	if (!k || !EVP_PKEY_is_a(k, "ED25519")) {
		EVP_PKEY_free(k);
		snprintf(why, whylen, "%s: not an Ed25519 private key (PEM)", path);
		return -EINVAL;
	}
	*ret = k;
	return 0;
}

static int parse_issue(int argc, char **argv, struct issue_opts *o)
{
	static const struct option lopts[] = {
	    HD_COMMON_LONGOPTS,
	    {"scope", required_argument, NULL, 's'},
	    {"rule", required_argument, NULL, 'r'},
	    {"printer", required_argument, NULL, 'p'},
	    {"not-before", required_argument, NULL, 'b'},
	    {"not-after", required_argument, NULL, 'a'},
	    {"for", required_argument, NULL, 'f'},
	    {"uses", required_argument, NULL, 'n'},
	    {"key", required_argument, NULL, 'k'},
	    {"out", required_argument, NULL, 'O'},
	    {"allow-any-terminal", no_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (hd_common_opt(c, optarg, &o->c))
			continue;
		switch (c) {
		case 's':
			o->scope = optarg;
			break;
		case 'r':
			o->rule = optarg;
			break;
		case 'p':
			o->printer = optarg;
			break;
		case 'b':
			o->not_before = optarg;
			break;
		case 'a':
			o->not_after = optarg;
			break;
		case 'f':
			o->dur = optarg;
			break;
		case 'n':
			o->uses = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'O':
			o->out = optarg;
			break;
		case 'A':
			o->any_terminal = true;
			break;
		case 'h':
			issue_usage(stdout);
			return -1;
		default:
			issue_usage(stderr);
			return HD_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		msg("issue", "unexpected argument \"%s\"", argv[optind]);
		return HD_EXIT_USAGE;
	}
	if (!o->c.terminal || !o->c.user || !o->scope || !o->c.ticket || !o->c.reason) {
		msg("issue", "--terminal, --user, --scope, --ticket and --reason are required");
		issue_usage(stderr);
		return HD_EXIT_USAGE;
	}
	if (o->not_after && o->dur) {
		msg("issue", "give --not-after or --for, not both");
		return HD_EXIT_USAGE;
	}
	return 0;
}

/* Copy s into a fixed field; false when it does not fit. */
static bool set_field(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		return false;
	memcpy(dst, s, n + 1);
	return true;
}

/* Fill e from the options; exit status on error (message printed). */
static int build_exemption(const struct issue_opts *o, time_t now, int64_t max_lifetime,
			   struct mng_exempt *e)
{
	char err[512];
	int64_t nbf, exp, dur = DEFAULT_LIFETIME;
	unsigned long uses = 1;
	int r;

	memset(e, 0, sizeof(*e));
	if (mng_exempt_scope_parse(o->scope, &e->scope) < 0) {
		msg("issue", "--scope must be usb, print, clipboard or login");
		return HD_EXIT_USAGE;
	}
	if (e->scope == MNG_EXEMPT_SCOPE_USB && (!o->rule || o->printer)) {
		msg("issue", "scope usb needs --rule (and no --printer)");
		return HD_EXIT_USAGE;
	}
	if (e->scope == MNG_EXEMPT_SCOPE_PRINT && (!o->printer || o->rule)) {
		msg("issue", "scope print needs --printer (and no --rule)");
		return HD_EXIT_USAGE;
	}
	if ((e->scope == MNG_EXEMPT_SCOPE_CLIPBOARD || e->scope == MNG_EXEMPT_SCOPE_LOGIN) &&
	    (o->rule || o->printer)) {
		msg("issue", "scope %s takes neither --rule nor --printer", o->scope);
		return HD_EXIT_USAGE;
	}
	if (!strcmp(o->c.terminal, "*") && !o->any_terminal) {
		msg("issue", "refused: --terminal '*' is valid on every terminal; give "
			     "--allow-any-terminal if that is really meant (terminals accept it "
			     "only with exemption_any_terminal = yes)");
		return HD_EXIT_REFUSED;
	}
	if (o->uses) {
		char *end = NULL;

		errno = 0;
		uses = strtoul(o->uses, &end, 10);
		if (errno || !end || *end || o->uses[0] == '-' || uses < 1 ||
		    uses > MNG_EXEMPT_USES_MAX) {
			msg("issue", "--uses must be 1-%d", MNG_EXEMPT_USES_MAX);
			return HD_EXIT_USAGE;
		}
	}
	nbf = now;
	if (o->not_before && hd_parse_time(o->not_before, now, &nbf) < 0) {
		msg("issue",
		    "--not-before \"%s\": not a time (now, @SECONDS, +DURATION, "
		    "YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM])",
		    o->not_before);
		return HD_EXIT_USAGE;
	}
	if (nbf < (int64_t)now - PAST_SLACK) {
		msg("issue", "--not-before lies in the past");
		return HD_EXIT_USAGE;
	}
	if (o->dur && (hd_parse_duration(o->dur, &dur) < 0 || dur <= 0)) {
		msg("issue", "--for \"%s\": not a duration (e.g. 90m, 2h, 1h30m)", o->dur);
		return HD_EXIT_USAGE;
	}
	exp = nbf + dur;
	if (o->not_after && hd_parse_time(o->not_after, now, &exp) < 0) {
		msg("issue", "--not-after \"%s\": not a time", o->not_after);
		return HD_EXIT_USAGE;
	}
	if (exp <= nbf) {
		msg("issue", "--not-after must be later than --not-before");
		return HD_EXIT_USAGE;
	}
	if (exp - nbf > max_lifetime) {
		msg("issue",
		    "refused: lifetime %" PRId64 " min is over the maximum of %" PRId64
		    " min (--max-lifetime)",
		    (exp - nbf) / 60, max_lifetime / 60);
		return HD_EXIT_REFUSED;
	}
	r = mng_exempt_id_new(e->id);
	if (r < 0) {
		msg("issue", "no randomness: %s", strerror(-r));
		return HD_EXIT_FAIL;
	}
	e->issued = nbf < (int64_t)now ? nbf : (int64_t)now;
	e->not_before = nbf;
	e->not_after = exp;
	e->uses = (uint32_t)uses;
	if (!set_field(e->terminal, sizeof(e->terminal), o->c.terminal) ||
	    !set_field(e->user, sizeof(e->user), o->c.user) ||
	    !set_field(e->object, sizeof(e->object),
		       o->rule	    ? o->rule
		       : o->printer ? o->printer
				    : "") ||
	    !set_field(e->ticket, sizeof(e->ticket), o->c.ticket) ||
	    !set_field(e->reason, sizeof(e->reason), o->c.reason) ||
	    !set_field(e->by, sizeof(e->by), hd_operator(o->c.operator_))) {
		msg("issue", "a value is too long (terminal 32, user 32, rule 1024, ticket 64, "
			     "reason 256, operator 64 bytes)");
		return HD_EXIT_USAGE;
	}
	r = mng_exempt_validate(e, err, sizeof(err));
	if (r < 0) {
		/* A USB rule that parses but does not allow is a refusal, not a typo. */
		bool refusal = strstr(err, "must be an allow rule") != NULL;

		msg("issue", "%s%s", refusal ? "refused: " : "", err);
		return refusal ? HD_EXIT_REFUSED : HD_EXIT_USAGE;
	}
	return HD_EXIT_OK;
}

int hd_issue(int argc, char **argv)
{
	struct issue_opts o;
	struct mng_exempt e;
	char why[4200], outpath[4096], nb[32], na[32], uses[16], *token = NULL, *line = NULL;
	int64_t max_lifetime = DEFAULT_MAX_LIFETIME;
	EVP_PKEY *key = NULL;
	time_t now = time(NULL);
	int r, status;

	status = parse_issue(argc, argv, &o);
	if (status != 0)
		return status < 0 ? HD_EXIT_OK : status;
	if (o.c.max_lifetime &&
	    (hd_parse_duration(o.c.max_lifetime, &max_lifetime) < 0 || max_lifetime <= 0)) {
		msg("issue", "--max-lifetime \"%s\": not a duration", o.c.max_lifetime);
		return HD_EXIT_USAGE;
	}
	status = build_exemption(&o, now, max_lifetime, &e);
	if (status != HD_EXIT_OK)
		return status;
	status = HD_EXIT_FAIL;
	r = hd_load_private_key(o.key, "helpdesk.key", &key, why, sizeof(why));
	if (r < 0) {
		msg("issue", "help desk key %s", why);
		goto out;
	}
	r = mng_exempt_sign(&e, key, &token);
	if (r < 0) {
		msg("issue", "cannot sign: %s",
		    r == -E2BIG ? "the token would be too long" : strerror(-r));
		goto out;
	}
	if (!o.out) {
		snprintf(outpath, sizeof(outpath), "%s.mngx", e.id);
		o.out = outpath;
	}
	if (asprintf(&line, "%s\n", token) < 0) {
		line = NULL;
		goto out;
	}
	if (strcmp(o.out, "-")) {
		int fd = open(o.out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
		    fsync(fd) < 0) {
			msg("issue", "%s: %s", o.out, strerror(errno ? errno : EIO));
			if (fd >= 0) {
				(void)close(fd);
				(void)unlink(o.out);
			}
			goto out;
		}
		(void)close(fd);
	}
	hd_format_time(e.not_before, nb, sizeof(nb));
	hd_format_time(e.not_after, na, sizeof(na));
	snprintf(uses, sizeof(uses), "%u", e.uses);
	{
		const char *fields[HD_EXLOG_FIELDS] = {
		    e.id,     "token", e.terminal, e.user, mng_exempt_scope_name(e.scope),
		    e.object, nb,      na,	   uses,   e.ticket,
		    e.reason, e.by};

		r = hd_log_exemption(o.c.log, fields);
		if (r < 0) {
			/* Not logged means not issued: remove the file, print nothing. */
			msg("issue", "cannot write the issue log: %s; nothing issued",
			    strerror(-r));
			if (strcmp(o.out, "-"))
				(void)unlink(o.out);
			goto out;
		}
	}
	fprintf(stderr,
		"exemption %s: scope %s%s%s%s, user %s, terminal %s\n"
		"  valid %s to %s, %u use%s, ticket %s, by %s\n",
		e.id, mng_exempt_scope_name(e.scope), e.object[0] ? " \"" : "", e.object,
		e.object[0] ? "\"" : "", e.user, e.terminal, nb, na, e.uses, e.uses == 1 ? "" : "s",
		e.ticket, e.by);
	if (strcmp(o.out, "-"))
		fprintf(stderr, "  written to %s (%zu bytes)\n", o.out, strlen(token));
	fputs(line, stdout);
	status = HD_EXIT_OK;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	free(token);
	free(line);
	return status;
}
