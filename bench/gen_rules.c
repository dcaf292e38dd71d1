// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gen_rules - write a deterministic, realistic USBGuard rule file for the
 * benchmarks.
 *
 *   gen_rules N OUTFILE
 *
 * The file holds exactly N rules, in the mix that a municipality's policy
 * repository accumulates: mostly lines as "usbguard generate-policy" prints
 * them for the devices of a fleet of terminals (id, serial, name, hash,
 * parent-hash, via-port, with-interface, with-connect-type), some devices
 * blocked by id and serial, and every few hundred lines a hand-written group
 * (interface-class rules with one-of / all-of / none-of / equals sets,
 * block and reject rules, a few time-of-day and fixed conditions), with
 * comment lines between the groups. Only USBGuard syntax is used, so
 * libusbguard and mnguard parse the very same bytes; there are no blank
 * lines because usbguard-rule-parser -f stops reading at the first one.
 *
 * Two promises the benchmark relies on (bench/README.md):
 *  - no rule matches the benchmark's USB stick (bench_device.h: 0781:5567,
 *    one 08:06:50 interface, port 2-1): judging it scans the whole
 *    set and ends in the implicit block;
 *  - the last rule allows the same stick model with serial
 *    BENCH_CONTROL_SERIAL, so a control device that differs only in its
 *    serial must match exactly that last rule, on both sides.
 *
 * The pseudo-random sequence is splitmix64 with a fixed seed: the same N
 * always gives the same file, byte for byte.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mng.h"

#include "bench_device.h"

#define SEED 0x6d6e677561726421ull
#define MAX_RULES 1000000ul

struct model {
	const char *id;	    /* VVVV:PPPP */
	const char *name;   /* already in rule-string form (escapes included) */
	const char *ifaces; /* with-interface value as generate-policy prints it */
	int serial;	    /* 0: "", 1: hex serial, 2: decimal serial */
};

/* Devices an office fleet really has. The stick model 0781:5567 is absent on purpose. */
static const struct model models[] = {
    {"413c:2113", "Dell KB216 Wired Keyboard", "{ 03:01:01 03:00:00 }", 0},
    {"046d:c31c", "USB Keyboard", "{ 03:01:01 03:00:00 }", 0},
    {"04ca:0061", "USB Optical Mouse", "03:01:02", 0},
    {"093a:2510", "USB OPTICAL MOUSE", "03:01:02", 0},
    {"046d:c077", "USB Optical Mouse", "03:01:02", 0},
    {"05e3:0610", "USB2.0 Hub", "09:00:00", 0},
    {"2109:2813", "USB2.0 Hub", "{ 09:00:01 09:00:02 }", 0},
    {"17ef:305a", "Lenovo ThinkPad WS Dock", "09:00:00", 0},
    {"04e6:5116", "SCR3310 v2.0 USB SC Reader", "0b:00:00", 1},
    {"072f:b100", "ACR39U ICC Reader", "0b:00:00", 0},
    {"0bda:0165", "USB2.0-CRW", "ff:ff:ff", 2},
    {"046d:085c", "C922 Pro Stream Webcam",
     "{ 0e:01:00 0e:02:00 0e:02:00 0e:02:00 01:01:00 01:02:00 01:02:00 }", 1},
    {"5986:0706", "Integrated Camera",
     "{ 0e:01:00 0e:02:00 0e:02:00 0e:02:00 0e:02:00 0e:02:00 0e:02:00 }", 0},
    {"04b8:0e28", "EPSON LP-S180", "{ 07:01:02 ff:ff:ff }", 1},
    {"03f0:c511", "HP LaserJet Pro M404", "{ 07:01:02 07:01:04 ff:04:01 }", 1},
    {"1050:0407", "YubiKey OTP+FIDO+CCID", "{ 03:01:01 03:00:00 0b:00:00 }", 0},
    {"05e0:1200", "Symbol Bar Code Scanner", "03:01:01", 1},
    {"0c45:6366", "Sm\\xc3\\xa4rt Signature Pad", "03:00:00", 2},
    {"0d8c:0014", "USB Audio Device", "{ 01:01:00 01:02:00 01:02:00 03:00:00 }", 0},
    {"056a:0357", "Intuos \\\"PTH-660\\\"", "{ 03:01:02 03:00:00 03:00:00 }", 1},
    {"1d6b:0002", "xHCI Host Controller", "09:00:00", 3},
    {"1d6b:0003", "xHCI Host Controller", "09:00:00", 3},
};

/*
 * Hand-written rules as an administrator adds them around the generated
 * ones. None of them may match the benchmark stick (08:06:50 only, vendor
 * 0781, port "2-1", connect type "hotplug"): each either names another
 * vendor or needs an interface the stick lacks.
 */
static const char *const hand_rules[] = {
    "allow with-interface equals { 09:00:* }",
    "allow with-interface one-of { 03:00:01 03:01:01 03:01:02 }",
    "block with-interface all-of { 08:*:* 03:00:* }",
    "block with-interface all-of { 08:*:* 03:01:* }",
    "reject with-interface one-of { 02:*:* 0a:*:* e0:*:* ef:04:01 }",
    "block with-interface one-of { 06:*:* ff:ff:00 }",
    "reject id 12d1:* with-interface one-of { 08:*:* ff:*:* }",
    "allow id 04e6:5116 with-interface 0b:00:00 if localtime(08:00-19:00)",
    "allow id 1050:0407 with-interface { 03:01:01 03:00:00 0b:00:00 } if true",
    "allow id 04b8:* with-interface one-of { 07:01:02 07:01:03 } "
    "if one-of { localtime(08:30-12:00) localtime(13:00-17:15) }",
    "block via-port one-of { \"1-9\" \"1-10\" \"3-1\" }",
    "allow name \"Lenovo ThinkPad WS Dock\" with-connect-type \"hardwired\"",
    "reject name one-of { \"Rubber Ducky\" \"HID Keyboard Device\" } "
    "with-interface one-of { 03:*:* }",
    "allow id 0bda:8153 with-interface none-of { 02:*:* 0a:*:* } if !false",
    "allow id 046d:c52b with-interface match-all { 03:*:* }",
    "block id 0951:* with-interface 08:*:*",
    "allow id 04ca:* with-interface all-of { 03:01:* } if !rule-applied(1h)",
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* 32 random bytes in base64, as USBGuard prints a SHA-256 based hash. */
static void put_hash(FILE *f)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char raw[33];
	size_t i;

	for (i = 0; i < 32; i++)
		raw[i] = (unsigned char)rnd();
	raw[32] = 0;
	for (i = 0; i < 33; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];

		fputc(b64[v >> 18 & 63], f);
		fputc(b64[v >> 12 & 63], f);
		fputc(i + 1 < 32 ? b64[v >> 6 & 63] : '=', f);
		fputc(i + 2 < 32 ? b64[v & 63] : '=', f);
	}
}

static void put_serial(FILE *f, int kind)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned i, n;

	fputs("serial \"", f);
	switch (kind) {
	case 1:
		n = 12 + rnd_below(13);
		for (i = 0; i < n; i++)
			fputc(hex[rnd_below(16)], f);
		break;
	case 2:
		fprintf(f, "%010" PRIu64, rnd() % UINT64_C(10000000000));
		break;
	case 3:
		fprintf(f, "0000:%02x:%02x.0", rnd_below(4), 0x14 + rnd_below(2));
		break;
	default:
		break;
	}
	fputc('"', f);
}

static void put_port(FILE *f)
{
	fprintf(f, "%u-%u", 1 + rnd_below(4), 1 + rnd_below(12));
	if (rnd_below(3) == 0)
		fprintf(f, ".%u", 1 + rnd_below(4));
	if (rnd_below(8) == 0)
		fprintf(f, ".%u", 1 + rnd_below(4));
}

/* One device line as usbguard generate-policy prints it, with the given target. */
static void put_device_rule(FILE *f, const char *target)
{
	const struct model *m = &models[rnd_below(MNG_ARRAY_SIZE(models))];
	static const char *const ctypes[] = {"", "hotplug", "hardwired", "unknown"};

	fprintf(f, "%s id %s ", target, m->id);
	put_serial(f, m->serial);
	fprintf(f, " name \"%s\" hash \"", m->name);
	put_hash(f);
	fputs("\" parent-hash \"", f);
	put_hash(f);
	fputc('"', f);
	/* generate-policy prints no via-port for a root hub. */
	if (m->serial != 3) {
		fputs(" via-port \"", f);
		put_port(f);
		fputc('"', f);
	}
	fprintf(f, " with-interface %s with-connect-type \"%s\"\n", m->ifaces,
		ctypes[rnd_below(MNG_ARRAY_SIZE(ctypes))]);
}

static int generate(FILE *f, unsigned long n)
{
	unsigned long i, hand = 0;

	rng_state = SEED;
	fprintf(f, "# mnguard benchmark policy, generated with a fixed seed; rule count: %lu\n", n);
	for (i = 0; i + 1 < n; i++) {
		unsigned r = rnd_below(1000);

		if (i % 1000 == 999)
			fprintf(f, "# site %lu: devices approved by the help desk\n", i / 1000 + 1);
		if (r < 880) {
			put_device_rule(f, "allow");
		} else if (r < 940) {
			put_device_rule(f, "block");
		} else {
			fprintf(f, "%s\n", hand_rules[hand++ % MNG_ARRAY_SIZE(hand_rules)]);
		}
	}
	/* The control rule: the stick model, but another stick's serial. */
	fputs("allow id 0781:5567 serial \"" BENCH_CONTROL_SERIAL "\" name \"" BENCH_STICK_NAME
	      "\" with-interface 08:06:50\n",
	      f);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n;
	char *end;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_rules N OUTFILE\n");
		return 2;
	}
	errno = 0;
	n = strtoul(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || n == 0 || n > MAX_RULES) {
		fprintf(stderr, "gen_rules: N must be 1..%lu\n", MAX_RULES);
		return 2;
	}
	f = fopen(argv[2], "we");
	if (!f) {
		fprintf(stderr, "gen_rules: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	generate(f, n);
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "gen_rules: %s: write error\n", argv[2]);
		return 1;
	}
	return 0;
}
