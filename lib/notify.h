/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notify.h - the service manager's notification protocol, without
 * libsystemd: state datagrams ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET and
 * the watchdog settings systemd passes in WATCHDOG_USEC and WATCHDOG_PID.
 */
#ifndef MNG_NOTIFY_H
#define MNG_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "mng.h"

#define MNG_NOTIFY_STATE_MAX 4096 /* bytes in one state message */

/*
 * mng_notify_send_to - send state (newline-separated VAR=value lines) as one
 * datagram to address: an absolute socket path, or an abstract socket name
 * written with a leading '@'.
 * Returns 1 when sent. Errors: -EINVAL an address that is neither, an empty
 * state or one over MNG_NOTIFY_STATE_MAX bytes; -errno from the system
 * (-ENOENT, -ECONNREFUSED when nothing listens).
 */
int mng_notify_send_to(const char *address, const char *state);

/*
 * mng_notify_send - mng_notify_send_to the address in $NOTIFY_SOCKET.
 * Returns 0 when $NOTIFY_SOCKET is unset or empty (not run by a service
 * manager that listens), 1 when sent, -errno as mng_notify_send_to.
 * The environment is left as it is.
 */
int mng_notify_send(const char *state);

/* mng_notify_sendf - mng_notify_send of a formatted state (truncated to the cap: -E2BIG). */
int mng_notify_sendf(const char *fmt, ...) MNG_PRINTF(1, 2);

/*
 * mng_watchdog_enabled - whether the service manager expects WATCHDOG=1
 * keep-alives from this process: $WATCHDOG_USEC holds a positive decimal
 * number of microseconds and $WATCHDOG_PID, when set, equals getpid().
 * Returns 1 and sets *ret_usec when it does; 0 when WATCHDOG_USEC is unset
 * or WATCHDOG_PID names another process; -EINVAL when either variable is
 * malformed or the period is 0. When unset_env is true both variables are
 * removed from the environment on every return (children do not inherit
 * them).
 */
int mng_watchdog_enabled(bool unset_env, uint64_t *ret_usec);

#endif
