// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_mynumber - corpora and timings for the individual-number detector
 * (bench/mynumber.sh, "make bench").
 *
 *   bench_mynumber gen clean|dirty MIB FILE
 *	Write MIB MiB of deterministic UTF-8 text: "clean" is Japanese prose
 *	of a municipal office with few digits; "dirty" is forms full of
 *	numbers (individual and corporate numbers in every accepted spelling,
 *	with right and wrong check digits, inside longer digit runs, beside
 *	phone numbers, dates, amounts with commas and postcodes).
 *   bench_mynumber scan [-r REPEAT] [-o OUTFILE] FILE
 *	Read FILE into memory, run mng_mynumber_scan() over it REPEAT times
 *	(default 7) and print "side=mnguard bytes=N mb_s=X ms=Y individual=I
 *	corporate=C keyword=K invalid_utf8=0|1" with the median time (MB/s is
 *	10^6 bytes per second). With -o, every match goes to OUTFILE as
 *	"OFFSET DIGITS" (byte offset of its first digit, digits in ASCII), the
 *	form bench/mynumber.sh turns grep's output into.
 *   bench_mynumber run [-r REPEAT] [-o OUTFILE] -- COMMAND [ARG...]
 *	Run COMMAND once with its standard output in OUTFILE (or /dev/null),
 *	then REPEAT times with it on /dev/null, and print "ms=X cpu_ms=Y rc=N":
 *	the median wall time and the median CPU time (user + system of the
 *	command and every process it waited for, a pipeline's included).
 *
 * Both sides are timed by CPU time as well as wall time: on a shared
 * machine the wall time of either side depends on its neighbours; the CPU
 * time is what "per core" means.
 *
 * Exit status 0 on success, 1 on failure, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mng.h"
#include "mynumber.h"

#define REPEAT_MAX 1000
#define MIB_MAX 1024

/* ---- deterministic text ---- */

static uint64_t rng_state = 0x6d6e67756172640aull; /* fixed seed: same MIB, same file */

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *s)
{
	size_t l = strlen(s);

	if (o->len + l > o->cap) {
		fprintf(stderr, "bench_mynumber: buffer overflow\n");
		exit(1);
	}
	memcpy(o->buf + o->len, s, l);
	o->len += l;
}

static const char *const phrases[] = {
    "住民票の写しの交付申請は、本人または同一世帯の方が窓口で行ってください",
    "転入届を提出する際には、前住所地で交付された転出証明書が必要です",
    "市民課では、戸籍および住民基本台帳に関する事務を取り扱っています",
    "申請書に記入漏れがある場合は、受付できないことがありますのでご注意ください",
    "代理人が申請するときは、委任状と代理人の本人確認書類をお持ちください",
    "国民健康保険の資格取得の手続きは、転入日から十四日以内に行う必要があります",
    "児童手当の認定請求は、出生日の翌日から十五日以内にお願いします",
    "窓口の混雑が予想されるため、時間に余裕をもってお越しください",
    "郵送で請求する場合は、返信用封筒と定額小為替を同封してください",
    "税務課からのお知らせ：固定資産税の納税通知書を発送しました",
    "個人情報の取扱いについては、市の情報セキュリティポリシーに従います",
    "端末からの情報持ち出しは禁止されており、例外はヘルプデスクの承認が必要です",
    "介護保険の要介護認定の申請を受け付けました",
    "本日の会議資料は、情報政策課の共有フォルダに保存してあります",
    "印鑑登録証明書の交付には、印鑑登録証（カード）が必要です",
    "期日前投票は、市役所本庁舎の一階ロビーで実施しています",
    "障害福祉サービスの利用者負担について、所得の区分を確認しました",
    "年度末に向けて、各課の事務の引継ぎを計画的に進めてください",
    "外国人住民の方の在留カードの情報を、住民票に反映しました",
    "上記のとおり相違ないことを証明します",
    "ご不明な点は、担当までお問い合わせください",
    "なお、手数料は一通につき三百円です",
    "システムの保守作業のため、サービスを一時停止します",
    "Linux端末のログインには、FIDO2セキュリティキーとPINを使用します",
    "申請内容を審査した結果、次のとおり決定しました",
    "様式第三号（第五条関係）",
    "ページ",
    "令和八年度の予算編成方針について",
};

static void gen_clean(struct out *o, size_t size)
{
	size_t col = 0;

	while (o->len + 512 < size) {
		put(o, phrases[pick(MNG_ARRAY_SIZE(phrases))]);
		col++;
		/* A few small numbers, as prose has them (articles, years, pages). */
		switch (pick(24)) {
		case 0:
			put(o, "（第");
			put(o, (const char *[]){"3", "12", "５", "２１"}[pick(4)]);
			put(o, "条）");
			break;
		case 1:
			put(o, "、令和8年11月26日");
			break;
		case 2:
			put(o, " p.");
			put(o, (const char *[]){"1", "24", "103"}[pick(3)]);
			break;
		default:
			break;
		}
		put(o, pick(3) ? "。" : "、");
		if (col >= 2 + pick(3)) {
			put(o, "\n");
			col = 0;
		}
	}
	while (o->len < size)
		put(o, "\n");
}

/* Digits of a random individual (12) or corporate (13) number, valid or not, into d. */
static void rand_number(char *d, bool corporate, bool valid)
{
	size_t n = corporate ? 13 : 12, i;

	for (;;) {
		for (i = 0; i < n; i++)
			d[i] = (char)('0' + pick(10));
		d[n] = '\0';
		bool ok =
		    corporate ? mng_mynumber_corporate_valid(d) : mng_mynumber_individual_valid(d);
		if (ok == valid)
			return;
	}
}

static const char *const fw_digit[10] = {"０", "１", "２", "３", "４",
					 "５", "６", "７", "８", "９"};
static const char *const seps[] = {" ",	     "-",      ".",	 "\u00a0", "\u2010",
				   "\u2011", "\u2012", "\u2013", "\u2212", "\u3000",
				   "\u30fc", "\uff0d", "\uff0e"};

/* Write n digits of d: ASCII, full-width or mixed; grouped with one separator kind or none. */
static void put_number(struct out *o, const char *d, size_t n)
{
	static const size_t groups[][4] = {{4, 4, 4, 0}, {4, 4, 5, 0}, {1, 4, 4, 4},
					   {6, 6, 0, 0}, {3, 3, 3, 3}, {12, 0, 0, 0}};
	unsigned width = pick(3), form = pick(4), g = 0;
	const char *sep = seps[pick(MNG_ARRAY_SIZE(seps))];
	const size_t *gr = groups[pick(MNG_ARRAY_SIZE(groups))];
	size_t i, in_group = 0;
	char a[2] = {0};

	for (i = 0; i < n; i++) {
		if (form && g < 4 && gr[g] && in_group == gr[g] && i < n) {
			put(o, sep);
			g++;
			in_group = 0;
		}
		a[0] = d[i];
		if (width == 0 || (width == 2 && pick(2)))
			put(o, a);
		else
			put(o, fw_digit[d[i] - '0']);
		in_group++;
	}
}

static void put_rand_digits(struct out *o, size_t n)
{
	char a[2] = {0};

	while (n--) {
		a[0] = (char)('0' + pick(10));
		put(o, a);
	}
}

static void gen_dirty(struct out *o, size_t size)
{
	char d[16], tmp[64];

	while (o->len + 512 < size) {
		switch (pick(12)) {
		case 0:
		case 1:
			put(o, pick(2) ? "個人番号：" : "マイナンバー ");
			rand_number(d, false, pick(4) != 0);
			put_number(o, d, 12);
			break;
		case 2:
			put(o, "法人番号 ");
			rand_number(d, true, pick(4) != 0);
			put_number(o, d, 13);
			break;
		case 3: /* invoice registration number: T + corporate number */
			put(o, "登録番号 T");
			rand_number(d, true, true);
			put(o, d);
			break;
		case 4: /* a valid number inside a longer run: no match */
			put(o, "口座 ");
			rand_number(d, false, true);
			put_rand_digits(o, 1 + pick(3));
			put(o, d);
			break;
		case 5:
			snprintf(tmp, sizeof(tmp), "電話 0%u-%04u-%04u", 3 + pick(7), pick(10000),
				 pick(10000));
			put(o, tmp);
			break;
		case 6:
			snprintf(tmp, sizeof(tmp), "携帯 090-%04u-%04u", pick(10000), pick(10000));
			put(o, tmp);
			break;
		case 7:
			snprintf(tmp, sizeof(tmp), "生年月日 %u-%02u-%02u 令和%u年%u月%u日",
				 1930 + pick(90), 1 + pick(12), 1 + pick(28), 1 + pick(8),
				 1 + pick(12), 1 + pick(28));
			put(o, tmp);
			break;
		case 8:
			snprintf(tmp, sizeof(tmp), "金額 %u,%03u,%03u,%03u,%03u円", 1 + pick(9),
				 pick(1000), pick(1000), pick(1000), pick(1000));
			put(o, tmp);
			break;
		case 9:
			snprintf(tmp, sizeof(tmp), "〒%03u-%04u", pick(1000), pick(10000));
			put(o, tmp);
			break;
		case 10:
			put(o, "世帯番号 ");
			put_rand_digits(o, 8 + pick(8));
			break;
		default:
			put(o, "氏名 山田 太郎 住所 東京都千代田区霞が関");
			snprintf(tmp, sizeof(tmp), "%u-%u-%u", 1 + pick(9), 1 + pick(20),
				 1 + pick(30));
			put(o, tmp);
			break;
		}
		put(o, pick(3) ? "\t" : "\n");
	}
	while (o->len < size)
		put(o, "\n");
}

/* ---- timing ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static char *read_all(const char *path, size_t *ret_len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < 0 ||
	    (size_t)st.st_size > MNG_MN_INPUT_MAX) {
		fprintf(stderr, "bench_mynumber: %s: %s\n", path,
			fd < 0 ? strerror(errno) : "too big");
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r <= 0) {
			free(buf);
			close(fd);
			return NULL;
		}
		got += (size_t)r;
	}
	close(fd);
	*ret_len = got;
	return buf;
}

static int scan(const char *path, unsigned repeat, const char *outpath)
{
	struct mng_mn_result r, first;
	struct mng_mn_match *m = NULL;
	double t[REPEAT_MAX], c[REPEAT_MAX], t0, c0, med, cmed;
	size_t len, n, i;
	char d[14];
	char *buf;
	FILE *f;
	unsigned k;

	buf = read_all(path, &len);
	if (!buf)
		return 1;
	/* One untimed run to size the match array and to warm the caches. */
	if (mng_mynumber_scan(buf, len, &first, NULL, 0) < 0)
		return 1;
	n = first.individual + first.corporate;
	m = calloc(n ? n : 1, sizeof(*m));
	if (!m)
		return 1;
	for (k = 0; k < repeat; k++) {
		c0 = cpu_s();
		t0 = now_s();
		if (mng_mynumber_scan(buf, len, &r, m, n) < 0)
			return 1;
		t[k] = now_s() - t0;
		c[k] = cpu_s() - c0;
		if (r.individual != first.individual || r.corporate != first.corporate)
			return 1;
	}
	qsort(t, repeat, sizeof(t[0]), cmp_double);
	qsort(c, repeat, sizeof(c[0]), cmp_double);
	med = t[repeat / 2];
	cmed = c[repeat / 2];
	if (outpath) {
		f = fopen(outpath, "we");
		if (!f)
			return 1;
		for (i = 0; i < n; i++) {
			if (mng_mynumber_digits(buf, len, &m[i], d) < 0)
				return 1;
			fprintf(f, "%zu %s\n", m[i].off, d);
		}
		if (fclose(f))
			return 1;
	}
	printf("side=mnguard bytes=%zu mb_s=%.1f cpu_mb_s=%.1f ms=%.3f cpu_ms=%.3f individual=%zu "
	       "corporate=%zu keyword=%zu invalid_utf8=%d\n",
	       len, med > 0 ? (double)len / 1e6 / med : 0.0,
	       cmed > 0 ? (double)len / 1e6 / cmed : 0.0, med * 1e3, cmed * 1e3, r.individual,
	       r.corporate, r.keyword_near, r.invalid_utf8);
	free(m);
	free(buf);
	return 0;
}

/* Run argv with stdout on outpath; its exit status (128+signal when killed) or -1. */
static int run_once(char **argv, const char *outpath, double *ret_ms, double *ret_cpu_ms)
{
	struct rusage ru;
	double t0 = now_s();
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	*ret_ms = (now_s() - t0) * 1e3;
	*ret_cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run(char **argv, unsigned repeat, const char *outpath)
{
	double t[REPEAT_MAX], c[REPEAT_MAX];
	int rc, first_rc;
	unsigned k;

	first_rc = run_once(argv, outpath ? outpath : "/dev/null", &t[0], &c[0]);
	for (k = 0; k < repeat; k++) {
		rc = run_once(argv, "/dev/null", &t[k], &c[k]);
		if (rc && !first_rc)
			first_rc = rc;
	}
	qsort(t, repeat, sizeof(t[0]), cmp_double);
	qsort(c, repeat, sizeof(c[0]), cmp_double);
	printf("ms=%.3f cpu_ms=%.3f rc=%d\n", t[repeat / 2], c[repeat / 2], first_rc);
	return first_rc ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_mynumber gen clean|dirty MIB FILE\n"
			"       bench_mynumber scan [-r REPEAT] [-o OUTFILE] FILE\n"
			"       bench_mynumber run [-r REPEAT] [-o OUTFILE] -- COMMAND [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct out o = {0};
	const char *outpath = NULL;
	unsigned long mib, repeat = 7;
	char *end;
	FILE *f;
	int c;

	if (argc >= 2 && !strcmp(argv[1], "gen")) {
		if (argc != 5 || (strcmp(argv[2], "clean") && strcmp(argv[2], "dirty")))
			return usage();
		errno = 0;
		mib = strtoul(argv[3], &end, 10);
		if (errno || *end || mib == 0 || mib > MIB_MAX)
			return usage();
		o.cap = mib << 20;
		o.buf = malloc(o.cap);
		if (!o.buf)
			return 1;
		if (!strcmp(argv[2], "clean"))
			gen_clean(&o, o.cap);
		else
			gen_dirty(&o, o.cap);
		f = fopen(argv[4], "we");
		if (!f || fwrite(o.buf, 1, o.len, f) != o.len || fclose(f)) {
			fprintf(stderr, "bench_mynumber: cannot write %s\n", argv[4]);
			return 1;
		}
		free(o.buf);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "scan") && strcmp(argv[1], "run")))
		return usage();
	optind = 2;
	while ((c = getopt(argc, argv, "r:o:")) != -1) {
		switch (c) {
		case 'r':
			errno = 0;
			repeat = strtoul(optarg, &end, 10);
			if (errno || *end || repeat == 0 || repeat > REPEAT_MAX)
				return usage();
			break;
		case 'o':
			outpath = optarg;
			break;
		default:
			return usage();
		}
	}
	if (!strcmp(argv[1], "run")) {
		if (optind >= argc)
			return usage();
		return run(argv + optind, (unsigned)repeat, outpath);
	}
	if (optind != argc - 1)
		return usage();
	return scan(argv[optind], (unsigned)repeat, outpath);
}
