// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backend.c - the CUPS backend "mnguard" (mnguardctl print enforce installs
 * it under the names ipp ipps http https socket lpd usb; the originals are
 * kept as NAME.real). See mnguardd(8), PRINT GATE.
 *
 * cupsd runs it as backend(7) says: argv[0] the device URI, then job-id
 * user title copies options [file], DEVICE_URI and PRINTER in the
 * environment. It sends the job and the document (as a descriptor, so the
 * agent reads exactly what will be printed) to mnguardd with print-check,
 * and then:
 *   allow   execs NAME.real with the same argv and environment and the same
 *           document (the file, or the sealed copy of stdin as stdin)
 *   cancel  exits 5 (CUPS_BACKEND_CANCEL) with the reason in the job state
 *   hold    exits 3 (CUPS_BACKEND_HOLD); a released job runs this again
 * Run without arguments (device discovery) it runs NAME.real's discovery.
 *
 * MUST: the agent unreachable, a malformed or missing answer, any error at
 *       all: hold (exit 3), never print.
 * MUST: the document checked is the document printed: a file argument is
 *       opened once and the same open file is passed; stdin is copied into
 *       a memfd that is sealed against any change before it is passed and
 *       then becomes the real backend's stdin.
 * MUST: userinfo (user:password@) of the device URI never leaves this
 *       process.
 * MUST: the gate never runs itself as the real backend (a NAME.real that
 *       leads back to the gate is refused: hold).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "file.h"
#include "ipc.h"

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_HOLD 3
#define EXIT_CANCEL 5
#define DOC_MAX (256u << 20)	     /* bytes of stdin copied (the agent's cap) */
#define CALL_TIMEOUT_MS (120 * 1000) /* the agent may run the extractor for 30 s */
#define SOCKET_ENV "MNGUARD_SOCKET"  /* set by cupsd.conf SetEnv (tests) */

/* A message the user sees in the job state (printer-state-message), and the error log. */
static void tell(const char *level, const char *ja, const char *en)
{
	fprintf(stderr, "%s: %s / %s\n", level, ja, en);
	fflush(stderr);
}

static int hold(const char *why)
{
	char en[512];

	snprintf(en, sizeof(en),
		 "mnguard: the print gate could not check this job (%s); it is held.", why);
	tell("ERROR", "mnguard: 印刷の確認ができないため、印刷を保留しました。", en);
	return EXIT_HOLD;
}

/* The directory and name this program runs as ("/usr/lib/cups/backend", "ipp"). */
static int self_name(char *dir, size_t dsize, char *name, size_t nsize)
{
	char path[PATH_MAX], copy[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n <= 0)
		return -errno;
	path[n] = '\0';
	snprintf(copy, sizeof(copy), "%s", path);
	if ((size_t)snprintf(dir, dsize, "%s", dirname(copy)) >= dsize)
		return -ENAMETOOLONG;
	snprintf(copy, sizeof(copy), "%s", path);
	if ((size_t)snprintf(name, nsize, "%s", basename(copy)) >= nsize)
		return -ENAMETOOLONG;
	return 0;
}

static const char *const gated[] = {"ipp", "ipps", "http", "https", "socket", "lpd", "usb"};

static bool is_gated(const char *n)
{
	size_t i;

	for (i = 0; i < sizeof(gated) / sizeof(gated[0]); i++)
		if (!strcmp(n, gated[i]))
			return true;
	return false;
}

/*
 * exec dir/name.real with argv; returns only on failure. A NAME.real that
 * is a symlink to another gated name (Debian's http -> ipp, diverted to
 * http.real -> ipp, which is the gate again) runs that name's .real; a
 * real backend that turns out to be this very program is refused.
 */
static int exec_real(const char *dir, const char *name, char **argv)
{
	char real[PATH_MAX], target[NAME_MAX + 1];
	struct stat self, st;
	ssize_t n;

	if ((size_t)snprintf(real, sizeof(real), "%s/%s.real", dir, name) >= sizeof(real))
		return -ENAMETOOLONG;
	n = readlink(real, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		if (!strchr(target, '/') && is_gated(target) &&
		    (size_t)snprintf(real, sizeof(real), "%s/%s.real", dir, target) >= sizeof(real))
			return -ENAMETOOLONG;
	}
	if (stat("/proc/self/exe", &self) == 0 && stat(real, &st) == 0 &&
	    self.st_dev == st.st_dev && self.st_ino == st.st_ino)
		return -ELOOP;
	execv(real, argv);
	return -errno;
}

/* stdin into a sealed memfd (offset 0). Returns the fd or -errno (-EFBIG over the cap). */
static int spool_stdin(void)
{
	char *buf = malloc(1u << 16);
	size_t total = 0;
	int fd, r;

	if (!buf)
		return -ENOMEM;
	fd = memfd_create("mnguard-print", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		ssize_t n = read(0, buf, 1u << 16), w, o = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > DOC_MAX) {
			r = -EFBIG;
			goto fail;
		}
		while (o < n) {
			w = write(fd, buf + o, (size_t)(n - o));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				r = -errno;
				goto fail;
			}
			o += w;
		}
	}
	free(buf);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		r = -errno;
		(void)close(fd);
		return r;
	}
	return fd;
fail:
	free(buf);
	(void)close(fd);
	return r;
}

/* DEVICE_URI without "user:password@" */
static void strip_userinfo(const char *uri, char *out, size_t size)
{
	const char *s = strstr(uri, "://"), *at, *slash;

	if (!s) {
		snprintf(out, size, "%s", uri);
		return;
	}
	s += 3;
	slash = strchr(s, '/');
	at = memchr(s, '@', slash ? (size_t)(slash - s) : strlen(s));
	if (!at) {
		snprintf(out, size, "%s", uri);
		return;
	}
	snprintf(out, size, "%.*s%s", (int)(s - uri), uri, at + 1);
}

static const char *socket_path(char *buf, size_t size)
{
	const char *env = getenv(SOCKET_ENV);
	struct mng_config cfg;

	if (env && *env)
		return env;
	if (mng_config_load(MNG_CONFIG_PATH, MNG_FILE_TRUSTED, &cfg, NULL) == 0) {
		snprintf(buf, size, "%s", cfg.socket);
		return buf;
	}
	return MNG_IPC_SOCKET_DEFAULT;
}

static const char *get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

int main(int argc, char **argv)
{
	struct mng_ipc_request req = {.id = 1, .op = MNG_IPC_OP_PRINT_CHECK};
	struct json_object *res = NULL;
	struct mng_ipc_error err;
	char dir[PATH_MAX], name[NAME_MAX + 1], sockbuf[256], uri[MNG_IPC_URI_MAX + 1];
	const char *printer = getenv("PRINTER"), *devuri = getenv("DEVICE_URI"), *verdict;
	char *end;
	unsigned long job;
	int doc = -1, sock = -1, r;

	if (self_name(dir, sizeof(dir), name, sizeof(name)) < 0) {
		if (argc == 1)
			return EXIT_OK;
		return hold("own path unknown");
	}
	if (argc == 1) {
		/* device discovery: the real backend lists its devices; none when it is gone */
		(void)exec_real(dir, name, argv);
		return EXIT_OK;
	}
	if (argc != 6 && argc != 7) {
		fprintf(stderr, "Usage: %s job-id user title copies options [file]\n", argv[0]);
		return EXIT_FAILED;
	}
	errno = 0;
	job = strtoul(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || job > UINT32_MAX)
		return hold("bad job id");
	if (!printer || !*printer || strlen(printer) > MNG_IPC_PRINTER_MAX ||
	    !mng_ipc_text_ok(printer, MNG_IPC_CS_TTY))
		return hold("bad printer name");
	if (strlen(argv[2]) > MNG_IPC_USER_MAX || !mng_ipc_user_name_ok(argv[2]))
		return hold("the job's user is not a local user name");
	strip_userinfo(devuri ? devuri : "", uri, sizeof(uri));
	if (devuri && strlen(devuri) > MNG_IPC_URI_MAX)
		return hold("device URI too long");
	if (!mng_ipc_text_ok(uri, MNG_IPC_CS_TTY))
		uri[0] = '\0';
	snprintf(req.printer, sizeof(req.printer), "%s", printer);
	snprintf(req.user, sizeof(req.user), "%s", argv[2]);
	(void)mng_ipc_text_clean(argv[3], req.title, MNG_IPC_TITLE_MAX, true);
	snprintf(req.uri, sizeof(req.uri), "%s", uri);
	req.job = (uint32_t)job;

	if (argc == 7) {
		doc = open(argv[6], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (doc < 0)
			return hold("the document cannot be opened");
	} else {
		doc = spool_stdin();
		if (doc == -EFBIG)
			return hold("document larger than 256 MiB");
		if (doc < 0)
			return hold("the document cannot be read");
	}

	r = mng_ipc_connect(socket_path(sockbuf, sizeof(sockbuf)), &sock);
	if (r < 0) {
		char why[128];

		snprintf(why, sizeof(why), "mnguardd is not reachable: %s", strerror(-r));
		return hold(why);
	}
	r = mng_ipc_call_fd(sock, &req, doc, CALL_TIMEOUT_MS, &res, &err);
	(void)close(sock);
	if (r < 0)
		return hold(err.message[0] ? err.message : "no answer from mnguardd");
	verdict = get(res, "verdict");
	if (!strcmp(verdict, "cancel")) {
		tell("ERROR", get(res, "reason_ja"), get(res, "reason"));
		json_object_put(res);
		return EXIT_CANCEL;
	}
	if (strcmp(verdict, "allow")) {
		const char *ja = get(res, "reason_ja"), *en = get(res, "reason");

		if (!*en)
			return hold("unknown answer from mnguardd");
		tell("ERROR", ja, en);
		json_object_put(res);
		return EXIT_HOLD;
	}
	fprintf(stderr, "INFO: mnguard: %s\n", get(res, "reason"));
	json_object_put(res);
	if (argc == 6) {
		/* the sealed copy is what the real backend reads */
		if (dup2(doc, 0) < 0)
			return hold("cannot hand the document on");
	}
	r = exec_real(dir, name, argv);
	fprintf(stderr, "ERROR: mnguard: cannot run %s/%s.real: %s\n", dir, name, strerror(-r));
	return EXIT_HOLD;
}
