// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_exec - time a whole command, end to end, for the CLI-to-CLI rows of
 * "make bench".
 *
 *   bench_exec [-r REPEAT] [-o OUTFILE] -- COMMAND [ARG...]
 *
 * Runs COMMAND once untimed (to warm the page cache and the dynamic loader's
 * caches, the same for every command measured), with its standard output in
 * OUTFILE (or /dev/null) so that the caller can check what it printed, then
 * REPEAT times timed with standard output on /dev/null. Standard error is
 * inherited. The wall-clock time from fork to the end of waitpid is taken
 * with CLOCK_MONOTONIC; the median is printed as "ms=X rc=N", where N is the
 * first non-zero exit status seen (0 when every run succeeded). Exit status:
 * 0 when every run of COMMAND exited 0, 1 otherwise, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPEAT_MAX 1000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Run argv with stdout on outpath; returns its exit status (128+signal when killed) or -errno. */
static int run(char **argv, const char *outpath, double *ret_ms)
{
	double t0 = now_ms();
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*ret_ms = now_ms() - t0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	const char *outfile = "/dev/null";
	double ms[REPEAT_MAX], warm;
	int repeat = 5, opt, i, r, rc = 0;
	char *end;

	while ((opt = getopt(argc, argv, "+r:o:")) != -1) {
		switch (opt) {
		case 'r':
			errno = 0;
			repeat = (int)strtol(optarg, &end, 10);
			if (errno || *end)
				repeat = -1;
			break;
		case 'o':
			outfile = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc || repeat < 1 || repeat > REPEAT_MAX)
		goto usage;

	r = run(argv + optind, outfile, &warm);
	if (r != 0)
		rc = r;
	for (i = 0; i < repeat; i++) {
		r = run(argv + optind, "/dev/null", &ms[i]);
		if (r != 0 && rc == 0)
			rc = r;
	}
	if (rc < 0) {
		fprintf(stderr, "bench_exec: %s: %s\n", argv[optind], strerror(-rc));
		return 1;
	}
	qsort(ms, (size_t)repeat, sizeof(ms[0]), cmp_double);
	printf("ms=%.3f rc=%d\n",
	       repeat % 2 ? ms[repeat / 2] : (ms[repeat / 2 - 1] + ms[repeat / 2]) / 2, rc);
	return rc ? 1 : 0;
usage:
	fprintf(stderr, "usage: bench_exec [-r REPEAT(1..%d)] [-o OUTFILE] -- COMMAND [ARG...]\n",
		REPEAT_MAX);
	return 2;
}
