/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_device.h - the device both benchmark sides judge, and the numbers
 * they share. Included by gen_rules.c, bench_rules.c and bench_usbguard.cpp,
 * so the generator's promise ("no rule matches the stick, the last rule
 * matches the control device") and the judges' checks name the same bytes.
 *
 * The stick is a SanDisk Cruzer Blade: 0781:5567, one mass-storage
 * interface 08:06:50 (SCSI transparent, bulk-only), plugged into port 2-1.
 * The control device is the same model with another serial.
 */
#ifndef MNG_BENCH_DEVICE_H
#define MNG_BENCH_DEVICE_H

#define BENCH_STICK_VENDOR 0x0781
#define BENCH_STICK_PRODUCT 0x5567
#define BENCH_STICK_SERIAL "4C530001230512117593"
#define BENCH_CONTROL_SERIAL "4C530001250608116421"
#define BENCH_STICK_NAME "Cruzer Blade"
#define BENCH_STICK_HASH "Yq3x0T2eRkW4mVb9sJ8hLz1cQpN6uA7oGfDiE5tHwMc="
#define BENCH_STICK_PARENT_HASH "jEP/6WzviqdJ5VSeTUY8PatCNBKeaREvo2OqdplND/o="
#define BENCH_STICK_PORT "2-1"
#define BENCH_STICK_CONNECT "hotplug"

/* The stick as a USBGuard device rule, the form usbguard-daemon judges. */
#define BENCH_STICK_RULE(serial)                                                                   \
	"device id 0781:5567 serial \"" serial "\" name \"" BENCH_STICK_NAME                       \
	"\" hash \"" BENCH_STICK_HASH "\" parent-hash \"" BENCH_STICK_PARENT_HASH                  \
	"\" via-port \"" BENCH_STICK_PORT                                                          \
	"\" with-interface 08:06:50 with-connect-type \"" BENCH_STICK_CONNECT "\""

/* Judge timing: this many batches, each at least BENCH_BATCH_MIN_MS long; the median is kept. */
#define BENCH_JUDGE_BATCHES 15
#define BENCH_BATCH_MIN_MS 5.0

#endif
