// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mnguardd.c - the agent's main: options, configuration, audit log, event
 * loop, signals, systemd notification and watchdog. See mnguardd(8).
 *
 * MUST: no device decision is taken without an audit trail: the audit log
 *       is opened before the policy is loaded, and a log that cannot be
 *       opened stops the start (exit 1).
 * MUST: a broken configuration stops the start (exit 1) with every problem
 *       printed; nothing is guessed.
 * MUST: the device monitor is listening before the first enumeration, and
 *       READY=1 is sent only after every present device has been judged.
 * MUST: stopping (SIGTERM) changes no device: the kernel keeps what the
 *       agent set, and new devices stay unauthorized.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <unistd.h>

#include "agent_int.h"
#include "audit.h"
#include "config.h"
#include "events.h"
#include "exempt.h"
#include "file.h"
#include "ipc_server.h"
#include "loop.h"
#include "monitor.h"
#include "notify.h"

#define MNGUARDD_VERSION "0.1"
#define ANCHOR_NAME "audit.anchor"

struct daemon {
	struct agent *a;
	struct loop *l;
	int sigfd, wdfd;
	char status[512];
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mnguardd [--foreground] [--config FILE]\n"
		   "       mnguardd --help | --version\n"
		   "\n"
		   "  -f, --foreground   run in the foreground (mnguardd never forks; this only\n"
		   "                     silences the notice that says so)\n"
		   "  -c, --config FILE  configuration file (default " MNG_CONFIG_PATH ")\n"
		   "  -h, --help         this text\n"
		   "  -V, --version      print the version\n"
		   "\n"
		   "Signals: SIGHUP reloads the policy, SIGUSR1 rescans every USB device,\n"
		   "SIGTERM stops (devices keep their state). See mnguardd(8).\n");
}

static void notify_status(struct daemon *d)
{
	char line[sizeof(d->status)];

	agent_status_line(d->a, line, sizeof(line));
	if (!strcmp(line, d->status))
		return;
	snprintf(d->status, sizeof(d->status), "%s", line);
	(void)mng_notify_sendf("STATUS=%s", line);
}

static void on_idle(void *data)
{
	notify_status(data);
}

static void on_signal(void *data, int fd, uint32_t revents)
{
	struct daemon *d = data;
	struct signalfd_siginfo si;
	char *err;
	ssize_t n;

	(void)revents;
	n = read(fd, &si, sizeof(si));
	if (n != (ssize_t)sizeof(si))
		return;
	switch (si.ssi_signo) {
	case SIGTERM:
	case SIGINT:
		(void)mng_notify_send("STOPPING=1");
		loop_quit(d->l);
		break;
	case SIGHUP:
		(void)mng_notify_send("RELOADING=1\nSTATUS=reloading the policy");
		err = calloc(1, AGENT_ERROR_MAX);
		(void)agent_policy_reload(d->a, (uid_t)si.ssi_uid, err, err ? AGENT_ERROR_MAX : 0);
		free(err);
		d->status[0] = '\0';
		(void)mng_notify_send("READY=1");
		break;
	case SIGUSR1:
		(void)agent_rescan(d->a, "rescan requested (SIGUSR1)", false);
		break;
	default:
		break;
	}
}

static void on_watchdog(void *data, int fd, uint32_t revents)
{
	uint64_t ticks;

	(void)data;
	(void)revents;
	if (read(fd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
		(void)mng_notify_send("WATCHDOG=1");
}

static int setup_watchdog(struct daemon *d)
{
	struct itimerspec its = {0};
	uint64_t usec = 0, half;
	int r;

	d->wdfd = -1;
	if (mng_watchdog_enabled(false, &usec) <= 0 || usec == 0)
		return 0;
	half = usec / 2;
	its.it_interval.tv_sec = (time_t)(half / 1000000);
	its.it_interval.tv_nsec = (long)(half % 1000000) * 1000;
	if (!its.it_interval.tv_sec && !its.it_interval.tv_nsec)
		its.it_interval.tv_nsec = 1000;
	its.it_value = its.it_interval;
	d->wdfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->wdfd < 0)
		return -errno;
	if (timerfd_settime(d->wdfd, 0, &its, NULL) < 0)
		return -errno;
	r = loop_add(d->l, d->wdfd, EPOLLIN, on_watchdog, d);
	if (r == 0)
		(void)mng_notify_send("WATCHDOG=1");
	return r;
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	return loop_add(d->l, d->sigfd, EPOLLIN, on_signal, d);
}

/* Create the parent directory of path (one level, mode 0750) when it is missing. */
static void make_parent(const char *path)
{
	char dir[MNG_CONFIG_VALUE_MAX + 1];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	(void)mkdir(dir, 0750);
}

static void fatal(const char *what, int err)
{
	fprintf(stderr, "mnguardd: %s: %s; refusing to start\n", what, strerror(err));
	EVENTS_JOURNAL_MESSAGE(LOG_CRIT, "agent.error", NULL, "mnguardd refuses to start: %s: %s",
			       what, strerror(err));
	(void)mng_notify_sendf("STATUS=refusing to start: %s: %s\nERRNO=%d", what, strerror(err),
			       err);
}

static void report_simple(struct agent *a, enum ev_type t, int prio, const char *decision,
			  const char *detail)
{
	struct event ev = {.type = t,
			   .priority = prio,
			   .object = "mnguardd",
			   .decision = decision,
			   .detail = detail,
			   .rules = -1};

	events_report(a, &ev);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"foreground", no_argument, NULL, 'f'},
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf_path = MNG_CONFIG_PATH;
	struct mng_diags diags = {0};
	struct mng_config cfg;
	struct mng_audit *audit = NULL;
	struct monitor *mon = NULL;
	struct ipc_server *ipc = NULL;
	struct daemon d = {.sigfd = -1, .wdfd = -1};
	char anchor[MNG_CONFIG_VALUE_MAX + 32], detail[400];
	bool foreground = false;
	int c, r, rc = 1;

	while ((c = getopt_long(argc, argv, "fc:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			foreground = true;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mnguardd %s\n", MNGUARDD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!foreground)
		fprintf(stderr, "mnguardd: running in the foreground (mnguardd never forks; "
				"under systemd it is a Type=notify service)\n");
	signal(SIGPIPE, SIG_IGN);

	r = mng_config_load(conf_path, MNG_FILE_TRUSTED, &cfg, &diags);
	if (r < 0) {
		mng_diags_print(&diags, stderr);
		mng_diags_clear(&diags);
		fprintf(stderr, "mnguardd: configuration %s is broken; refusing to start\n",
			conf_path);
		EVENTS_JOURNAL_MESSAGE(LOG_CRIT, "agent.error", NULL,
				       "mnguardd refuses to start: configuration %s is broken",
				       conf_path);
		(void)mng_notify_sendf("STATUS=refusing to start: configuration %s is broken",
				       conf_path);
		return 1;
	}
	mng_diags_clear(&diags);

	make_parent(cfg.audit_log);
	(void)mkdir(cfg.state_dir, 0700);
	snprintf(anchor, sizeof(anchor), "%s/%s", cfg.state_dir, ANCHOR_NAME);
	r = mng_audit_open(cfg.audit_log, anchor, NULL, &audit);
	if (r < 0) {
		fatal(cfg.audit_log, -r);
		return 1;
	}
	if (r == 1)
		EVENTS_JOURNAL_MESSAGE(LOG_CRIT, "audit.tamper", NULL,
				       "audit log %s and its anchor disagreed: recorded as "
				       "audit.tamper",
				       cfg.audit_log);

	r = agent_new(&cfg, audit, &d.a);
	if (r < 0) {
		fatal("setting up the agent", -r);
		goto out;
	}
	if (d.a->fallback)
		fprintf(stderr,
			"mnguardd: POLICY NOT LOADED, running the built-in fallback "
			"policy (hubs, keyboards, mice only):\n%s\n",
			d.a->error);
	snprintf(detail, sizeof(detail), "mnguardd %s pid %ld config %s", MNGUARDD_VERSION,
		 (long)getpid(), conf_path);
	report_simple(d.a, EV_AGENT_START, LOG_INFO, "ok", detail);
	agent_fallback_report(d.a);

	r = loop_new(&d.l);
	if (r < 0) {
		fatal("creating the event loop", -r);
		goto out;
	}
	d.a->loop = d.l;
	r = setup_signals(&d);
	if (r < 0) {
		fatal("setting up signals", -r);
		goto out;
	}
	r = monitor_new(d.a, d.l, &mon);
	if (r < 0) {
		fatal("opening the device event monitor", -r);
		goto out;
	}
	r = ipc_server_new(d.a, d.l, cfg.socket, &ipc);
	if (r < 0) {
		fatal(cfg.socket, -r);
		goto out;
	}
	d.a->ipc = ipc;

	/* exemptions before the first decision: a stick allowed by one stays allowed */
	r = agent_exempt_start(d.a);
	if (r < 0) {
		snprintf(detail, sizeof(detail),
			 "exemption store %s/exemptions unusable (%s): no exemption applies",
			 cfg.state_dir, strerror(-r));
		report_simple(d.a, EV_AGENT_ERROR, LOG_CRIT, "error", detail);
	}
	agent_root_hubs_lock(d.a, true);
	agent_thunderbolt_added(d.a, NULL);
	r = agent_rescan(d.a, "start", false);
	if (r < 0) {
		fatal("enumerating USB devices", -r);
		goto out;
	}
	r = setup_watchdog(&d);
	if (r < 0) {
		fatal("setting up the watchdog timer", -r);
		goto out;
	}
	notify_status(&d);
	(void)mng_notify_send("READY=1");

	r = loop_run(d.l, -1, on_idle, &d);
	if (r < 0) {
		snprintf(detail, sizeof(detail), "event loop failed: %s", strerror(-r));
		report_simple(d.a, EV_AGENT_ERROR, LOG_CRIT, "error", detail);
		goto out;
	}
	rc = 0;
out:
	if (d.a)
		report_simple(d.a, EV_AGENT_STOP, LOG_INFO, rc ? "error" : "ok",
			      rc ? "stopped after an error" : "stopped");
	if (d.a)
		d.a->ipc = NULL;
	ipc_server_free(&ipc);
	monitor_free(&mon);
	if (d.wdfd >= 0)
		(void)close(d.wdfd);
	if (d.sigfd >= 0)
		(void)close(d.sigfd);
	if (d.a)
		d.a->loop = NULL; /* the exemption timer is closed with the agent, after the loop */
	loop_free(&d.l);
	agent_free(&d.a);
	mng_audit_close(&audit);
	return rc;
}
