// SPDX-License-Identifier: GPL-2.0-or-later
/* loop.c - the agent's single-threaded epoll loop (see loop.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_BATCH 32

struct watch {
	int fd;
	bool dead; /* deleted while a batch that may still name it is dispatched */
	loop_cb cb;
	void *data;
	struct watch *next;
};

struct loop {
	int epfd;
	bool quit;
	struct watch *watches; /* small list: a handful of fds plus clients */
	struct watch *graveyard;
};

int loop_new(struct loop **ret)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int r = -errno;

		free(l);
		return r;
	}
	*ret = l;
	return 0;
}

static void free_list(struct watch *w)
{
	while (w) {
		struct watch *n = w->next;

		free(w);
		w = n;
	}
}

void loop_free(struct loop **lp)
{
	struct loop *l;

	if (!lp || !*lp)
		return;
	l = *lp;
	free_list(l->watches);
	free_list(l->graveyard);
	(void)close(l->epfd);
	free(l);
	*lp = NULL;
}

static struct watch *find(struct loop *l, int fd)
{
	struct watch *w;

	for (w = l->watches; w; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_cb cb, void *data)
{
	struct epoll_event ev = {.events = events};
	struct watch *w;

	if (fd < 0 || !cb)
		return -EINVAL;
	if (find(l, fd))
		return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->data = data;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		free(w);
		return r;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

int loop_mod(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events};
	struct watch *w = find(l, fd);

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del(struct loop *l, int fd)
{
	struct watch **pp;

	for (pp = &l->watches; *pp; pp = &(*pp)->next) {
		struct watch *w = *pp;

		if (w->fd != fd)
			continue;
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		*pp = w->next;
		/* The current batch may still hold a pointer to w: free it later. */
		w->dead = true;
		w->next = l->graveyard;
		l->graveyard = w;
		return;
	}
}

void loop_quit(struct loop *l)
{
	l->quit = true;
}

int loop_run(struct loop *l, int timeout_ms, void (*on_idle)(void *data), void *idle_data)
{
	struct epoll_event evs[LOOP_BATCH];

	l->quit = false;
	while (!l->quit) {
		int n = epoll_wait(l->epfd, evs, LOOP_BATCH, timeout_ms), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n && !l->quit; i++) {
			struct watch *w = evs[i].data.ptr;

			if (!w->dead)
				w->cb(w->data, w->fd, evs[i].events);
		}
		free_list(l->graveyard);
		l->graveyard = NULL;
		if (on_idle)
			on_idle(idle_data);
	}
	return 0;
}
