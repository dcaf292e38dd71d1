/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * monitor.h - kernel device events (libudev netlink monitor, "kernel"
 * source) for the subsystems the agent guards: usb, block, thunderbolt.
 */
#ifndef MNG_AGENT_MONITOR_H
#define MNG_AGENT_MONITOR_H

struct agent;
struct loop;
struct monitor;

/*
 * monitor_new - open the monitor, filter it to usb, block and thunderbolt,
 * and register it with l. Events are handed to the agent core
 * (agent_device_added, ...). Start it before the first enumeration so that
 * nothing plugged in meanwhile is missed. Returns 0 or -errno.
 */
int monitor_new(struct agent *a, struct loop *l, struct monitor **ret);

/* monitor_free - unregister and close; NULL-safe. */
void monitor_free(struct monitor **m);

#endif
