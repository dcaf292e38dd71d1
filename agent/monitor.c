// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * monitor.c - turn kernel uevents into agent core calls (see monitor.h).
 *
 * The "kernel" netlink source is used, not udevd's: the agent reads every
 * attribute it needs from sysfs itself, so it does not wait for udev rules
 * to run, and it sees a new block device before udisks (which listens to
 * udevd) can mount it. libudev drops netlink messages not sent by the
 * kernel (sender port 0), so no local process can inject events.
 *
 * MUST: a lost event is never a lost decision: a receive error other than
 *       "nothing more to read" (ENOBUFS: the socket overflowed) or an error
 *       condition on the socket triggers a full rescan and reconcile.
 * MUST: one callback handles a bounded number of events, so the loop
 *       stays responsive under an event storm.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <syslog.h>

#include <libudev.h>

#include "agent_int.h"
#include "loop.h"
#include "monitor.h"

#define EVENTS_PER_WAKEUP 256
#define RCVBUF_BYTES (128 * 1024 * 1024)

struct monitor {
	struct agent *a;
	struct loop *l;
	struct udev *udev;
	struct udev_monitor *mon;
	int fd;
};

static bool streq(const char *x, const char *y)
{
	return x && y && !strcmp(x, y);
}

static void dispatch(struct monitor *m, struct udev_device *d)
{
	const char *action = udev_device_get_action(d);
	const char *subsys = udev_device_get_subsystem(d);
	const char *type = udev_device_get_devtype(d);
	const char *sp = udev_device_get_syspath(d);

	if (!action || !subsys || !sp || strlen(sp) >= sizeof(((struct mng_device *)0)->syspath))
		return;
	if (streq(subsys, "usb") && streq(type, "usb_device")) {
		if (streq(action, "add"))
			agent_device_added(m->a, sp, false);
		else if (streq(action, "change"))
			agent_device_added(m->a, sp, true);
		else if (streq(action, "remove"))
			agent_device_removed(m->a, sp);
		else if (streq(action, "bind"))
			/*
			 * The generic driver bound: it may have set the
			 * configuration again after we authorized the device
			 * (the uevent of "add" comes before that probe), which
			 * recreates the interfaces unauthorized. Judge and
			 * enforce again, now that the interfaces are final.
			 */
			agent_device_added(m->a, sp, false);
		/* unbind, move, online, offline: nothing to decide */
	} else if (streq(subsys, "block") && streq(action, "add")) {
		agent_block_added(m->a, sp);
	} else if (streq(subsys, "thunderbolt") &&
		   (streq(action, "add") || streq(action, "change"))) {
		if (udev_device_get_sysattr_value(d, "authorized"))
			agent_thunderbolt_added(m->a, sp);
	}
}

static void on_event(void *data, int fd, uint32_t revents)
{
	struct monitor *m = data;
	bool rescan = (revents & EPOLLERR) != 0;
	int i;

	(void)fd;
	for (i = 0; i < EVENTS_PER_WAKEUP; i++) {
		struct udev_device *d;

		errno = 0;
		d = udev_monitor_receive_device(m->mon);
		if (!d) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			if (errno == 0)
				continue; /* a message that did not pass the filter */
			rescan = true;
			break;
		}
		dispatch(m, d);
		udev_device_unref(d);
	}
	if (rescan)
		(void)agent_rescan(m->a, "device events were lost (netlink overflow)", false);
}

int monitor_new(struct agent *a, struct loop *l, struct monitor **ret)
{
	struct monitor *m = calloc(1, sizeof(*m));
	int r = -ENOMEM;

	if (!m)
		return -ENOMEM;
	m->a = a;
	m->l = l;
	m->fd = -1;
	m->udev = udev_new();
	if (!m->udev)
		goto fail;
	m->mon = udev_monitor_new_from_netlink(m->udev, "kernel");
	if (!m->mon) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	if (udev_monitor_filter_add_match_subsystem_devtype(m->mon, "usb", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(m->mon, "block", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(m->mon, "thunderbolt", NULL) < 0) {
		r = -EIO;
		goto fail;
	}
	/* Best effort: a large buffer makes overflows (and rescans) rare. */
	(void)udev_monitor_set_receive_buffer_size(m->mon, RCVBUF_BYTES);
	r = udev_monitor_enable_receiving(m->mon);
	if (r < 0)
		goto fail;
	m->fd = udev_monitor_get_fd(m->mon);
	r = loop_add(l, m->fd, EPOLLIN, on_event, m);
	if (r < 0)
		goto fail;
	*ret = m;
	return 0;
fail:
	m->fd = -1;
	monitor_free(&m);
	return r;
}

void monitor_free(struct monitor **mp)
{
	struct monitor *m;

	if (!mp || !*mp)
		return;
	m = *mp;
	if (m->fd >= 0)
		loop_del(m->l, m->fd);
	udev_monitor_unref(m->mon);
	udev_unref(m->udev);
	free(m);
	*mp = NULL;
}
