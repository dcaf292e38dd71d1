// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_rules - our side of "make bench": libmnguard parsing the generated
 * rule files and judging one device.
 *
 *   bench_rules [-r REPEAT] FILE...
 *
 * Parse: the file is read into memory first (disk I/O is outside the timing,
 * as on the peer side); each repetition times mng_ruleset_new() plus one
 * mng_ruleset_parse() of the whole buffer, which is what the agent does per
 * file. Freeing the ruleset is outside the timing. The median is printed.
 *
 * Judge: mng_ruleset_judge() of the benchmark stick (bench_device.h), which
 * no rule matches, so every rule is looked at and the verdict is the
 * implicit block. Per-call time is the median over BENCH_JUDGE_BATCHES
 * batches, each long enough to time exactly.
 *
 * Output: one line of key=value pairs per file, read by bench/run.sh, in the
 * same form as bench_usbguard's. The stick must match no rule (stick=none)
 * and the control device, which differs only in its serial, must be allowed
 * by the last rule of the file (control=ok); anything else, or a parse error,
 * is reported and the exit status is 1.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "diag.h"
#include "rules.h"

#include "bench_device.h"

#define FILE_MAX (256u << 20)

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

/* Median of v[0..n-1]; sorts v. */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int read_all(const char *path, char **ret_buf, size_t *ret_len)
{
	FILE *f = fopen(path, "rbe");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int r = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (cap - len < 65536) {
			char *nb;

			if (cap >= FILE_MAX) {
				r = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 1u << 20;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		r = -EIO;
out:
	fclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* Line number of the last rule line: the last line that is neither blank nor a comment. */
static unsigned last_rule_line(const char *buf, size_t len)
{
	unsigned line = 1, last = 0;
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && (buf[j] == ' ' || buf[j] == '\t'))
			j++;
		if (j < len && buf[j] != '\n' && buf[j] != '#')
			last = line;
		while (j < len && buf[j] != '\n')
			j++;
		i = j + 1;
		line++;
	}
	return last;
}

static void make_stick(struct mng_device *d, const char *serial)
{
	memset(d, 0, sizeof(*d));
	d->vendor = BENCH_STICK_VENDOR;
	d->product = BENCH_STICK_PRODUCT;
	snprintf(d->serial, sizeof(d->serial), "%s", serial);
	snprintf(d->name, sizeof(d->name), "%s", BENCH_STICK_NAME);
	snprintf(d->port, sizeof(d->port), "%s", BENCH_STICK_PORT);
	snprintf(d->connect_type, sizeof(d->connect_type), "%s", BENCH_STICK_CONNECT);
	snprintf(d->hash, sizeof(d->hash), "%s", BENCH_STICK_HASH);
	snprintf(d->parent_hash, sizeof(d->parent_hash), "%s", BENCH_STICK_PARENT_HASH);
	d->descriptors_ok = true;
	d->n_ifaces = 1;
	d->ifaces[0] = (struct mng_iface){
	    .cls = 0x08, .subcls = 0x06, .proto = 0x50, .config = 1, .number = 0};
}

/* Per-call judge time in microseconds (median over batches). */
static double time_judge_us(struct mng_ruleset *rs, const struct mng_device *dev,
			    const struct mng_judge_ctx *ctx, struct mng_verdict *v)
{
	double per[BENCH_JUDGE_BATCHES];
	size_t batch = 1, i;
	int b;

	for (;;) {
		double t0 = now_ms();

		for (i = 0; i < batch; i++)
			(void)mng_ruleset_judge(rs, dev, ctx, v);
		if (now_ms() - t0 >= BENCH_BATCH_MIN_MS || batch >= (1u << 24))
			break;
		batch *= 2;
	}
	for (b = 0; b < BENCH_JUDGE_BATCHES; b++) {
		double t0 = now_ms();

		for (i = 0; i < batch; i++)
			(void)mng_ruleset_judge(rs, dev, ctx, v);
		per[b] = (now_ms() - t0) * 1e3 / (double)batch;
	}
	return median(per, BENCH_JUDGE_BATCHES);
}

static int bench_file(const char *path, int repeat)
{
	static struct mng_device stick, control;
	static struct mng_verdict v;
	struct mng_judge_ctx ctx = {.now = 1767225600}; /* 2026-01-01T00:00:00Z, fixed */
	struct mng_diags diags = {0};
	struct mng_ruleset *rs = NULL;
	char stick_txt[32], control_txt[48];
	double *parse_ms = NULL, judge_us;
	bool stick_none, control_ok;
	unsigned last_line;
	size_t len = 0, count;
	char *buf = NULL;
	int r, i, ret = 1;

	r = read_all(path, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "bench_rules: %s: %s\n", path, strerror(-r));
		return 1;
	}
	parse_ms = calloc((size_t)repeat, sizeof(*parse_ms));
	if (!parse_ms)
		goto out;
	for (i = 0; i < repeat; i++) {
		double t0;

		mng_ruleset_free(&rs);
		t0 = now_ms();
		r = mng_ruleset_new(&rs);
		if (r >= 0)
			r = mng_ruleset_parse(rs, buf, len, path, &diags);
		parse_ms[i] = now_ms() - t0;
		if (r < 0) {
			fprintf(stderr, "bench_rules: %s: parse failed: %s\n", path, strerror(-r));
			mng_diags_print(&diags, stderr);
			goto out;
		}
	}
	count = mng_ruleset_count(rs);
	last_line = last_rule_line(buf, len);

	make_stick(&stick, BENCH_STICK_SERIAL);
	make_stick(&control, BENCH_CONTROL_SERIAL);

	r = mng_ruleset_judge(rs, &stick, &ctx, &v);
	stick_none = r >= 0 && v.file == NULL && v.target == MNG_TARGET_BLOCK;
	if (stick_none)
		snprintf(stick_txt, sizeof(stick_txt), "none");
	else
		snprintf(stick_txt, sizeof(stick_txt), "line:%u", v.line);

	r = mng_ruleset_judge(rs, &control, &ctx, &v);
	control_ok = r >= 0 && v.file && v.line == last_line && v.target == MNG_TARGET_ALLOW;
	if (control_ok)
		snprintf(control_txt, sizeof(control_txt), "ok");
	else
		snprintf(control_txt, sizeof(control_txt), "BAD:r=%d,line:%u,target:%d", r, v.line,
			 (int)v.target);

	judge_us = time_judge_us(rs, &stick, &ctx, &v);

	printf("side=mnguard file=%s rules=%zu parse_ms=%.3f judge_us=%.3f stick=%s control=%s "
	       "control_at=line:%u repeat=%d\n",
	       path, count, median(parse_ms, (size_t)repeat), judge_us, stick_txt, control_txt,
	       last_line, repeat);
	fflush(stdout);
	ret = stick_none && control_ok ? 0 : 1;
out:
	mng_ruleset_free(&rs);
	mng_diags_clear(&diags);
	free(parse_ms);
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	int repeat = 5, opt, rc = 0, i;
	char *end;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		switch (opt) {
		case 'r':
			errno = 0;
			repeat = (int)strtol(optarg, &end, 10);
			if (errno || *end)
				repeat = -1;
			break;
		default:
			fprintf(stderr, "usage: bench_rules [-r REPEAT] FILE...\n");
			return 2;
		}
	}
	if (optind >= argc || repeat < 1 || repeat > 1000) {
		fprintf(stderr, "usage: bench_rules [-r REPEAT(1..1000)] FILE...\n");
		return 2;
	}
	for (i = optind; i < argc; i++)
		rc |= bench_file(argv[i], repeat);
	return rc;
}
