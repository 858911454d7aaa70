/*
 * daemon.h - `sendreports daemon`: the tick loop as a service, for BusyBox
 * init and systemd.
 *
 * A tick (send, then flush) runs at each multiple of the interval (60 s:
 * at every minute's :00), sooner when a report falls due or a queued
 * message is up for a retry before that.  Signals only set flags, which
 * the loop reads between steps:
 *   SIGUSR1          flush at once, ignoring backoff (the network is up)
 *   SIGHUP           reread the configuration; a broken one is refused,
 *                    logged, and the running one kept
 *   SIGTERM, SIGINT  finish the report or message in hand, then exit 0
 */
#ifndef SENDREPORTS_DAEMON_H
#define SENDREPORTS_DAEMON_H

#include "app.h"

struct daemon_options {
	long		 interval_s;	/* 1..86400 */
	const char	*pidfile;	/* or NULL */
	int		 background;	/* detach; the parent exits 0 only
					   once the daemon is running */
};

/*
 * Runs the loop until SIGTERM or SIGINT.  Returns an exit code: 0 after a
 * signal, EXIT_TEMPFAIL when the pidfile is held by a running daemon,
 * EXIT_CANTCREAT when it cannot be written, EXIT_OSERR when detaching
 * fails.  app->conf is replaced on SIGHUP.
 */
int	daemon_run(struct app *app, const struct daemon_options *opt);

#endif
