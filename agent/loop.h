/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop.h - the agent's single-threaded event loop (epoll).
 *
 * Every source (udev monitor, signalfd, timerfd, listening socket, client
 * connections) registers one fd with a callback. Callbacks run one at a
 * time, so agent state needs no locks.
 */
#ifndef MNG_AGENT_LOOP_H
#define MNG_AGENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

typedef void (*loop_cb)(void *data, int fd, uint32_t revents);

/* loop_new - create a loop; *ret freed with loop_free. Returns 0 or -errno. */
int loop_new(struct loop **ret);
void loop_free(struct loop **l);

/*
 * loop_add - watch fd for events (EPOLLIN, EPOLLOUT, ...); cb(data, fd,
 * revents) runs when it is ready. One registration per fd. Returns 0 or
 * -errno (-EEXIST when fd is already registered).
 */
int loop_add(struct loop *l, int fd, uint32_t events, loop_cb cb, void *data);

/* loop_mod - change the events watched for fd. Returns 0 or -errno. */
int loop_mod(struct loop *l, int fd, uint32_t events);

/*
 * loop_del - stop watching fd (does not close it). Safe to call from inside
 * any callback, for any fd, including the one being dispatched.
 */
void loop_del(struct loop *l, int fd);

/* loop_quit - make loop_run return after the current callback. */
void loop_quit(struct loop *l);

/*
 * loop_run - dispatch until loop_quit. timeout_ms (-1 = none) bounds each
 * wait; on_idle, when not NULL, runs after each batch of events and after
 * each timeout. Returns 0, or -errno when epoll itself fails.
 */
int loop_run(struct loop *l, int timeout_ms, void (*on_idle)(void *data), void *idle_data);

#endif
