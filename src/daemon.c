/*
 * daemon.c - the tick loop as a service (daemon.h).
 *
 * Signals (os_proc.h): the handlers only set flags.  They are let in
 * only while the loop sleeps (atomically, so a signal sent just before
 * the sleep is not lost) and while a tick runs (so SIGTERM can end a long
 * send or flush after the item in hand: the flags are checked between
 * reports and between messages).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "daemon.h"
#include "db.h"
#include "exitcode.h"
#include "flush.h"
#include "log.h"
#include "os_fs.h"
#include "os_proc.h"
#include "report.h"
#include "send.h"
#include "timeutil.h"

static struct os_daemon_events daemon_ev;

/*
 * Takes the pidfile: locked for as long as the daemon lives, so a stale
 * file left by a crash never keeps a new daemon from starting, and two
 * daemons can never run on one pidfile.  Returns the descriptor, -2 when
 * another daemon holds it, -1 on error (logged).
 */
static int
daemon_pidfile_lock(const char *path)
{
	char pid[32];
	ssize_t n;
	int fd;

	if ((fd = os_open(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0644)) == -1) {
		log_warn("pidfile %s", path);
		return -1;
	}
	if (os_lock(fd, OS_LOCK_EX | OS_LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = os_pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			log_warnx("another daemon is running (pid %s, "
			    "pidfile %s)", *pid ? pid : "?", path);
			close(fd);
			return -2;
		}
		log_warn("pidfile %s: lock", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes our pid into the locked pidfile. */
static int
daemon_pidfile_write(int fd, const char *path)
{
	char pid[32];
	int n;

	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || os_pwrite(fd, pid, (size_t)n, 0) != n) {
		log_warn("pidfile %s: write", path);
		return -1;
	}
	return 0;
}

/*
 * Rereads the configuration.  A file that does not load is refused and
 * the running configuration kept: a typo must not stop the reports.
 */
static void
daemon_reload_conf(struct app *app, const char *path)
{
	struct conf next;
	struct buf err;

	buf_init(&err, 4096);
	if (conf_load(&next, path, &err) == -1) {
		log_warnx("SIGHUP: configuration refused, keeping the running "
		    "one: %s", err.data);
		buf_release(&err);
		return;
	}
	buf_release(&err);
	/* The process dropped root for the old user, if any: too late. */
	if ((app->conf.run_user == NULL) != (next.run_user == NULL) ||
	    (next.run_user != NULL && strcmp(app->conf.run_user,
	    next.run_user) != 0))
		log_warnx("SIGHUP: [run] user changes only when the daemon "
		    "is restarted");
	conf_release(&app->conf);
	app->conf = next;
	log_init(app->verbosity < 0 ? LOG_LEVEL_ERROR : app->verbosity == 0 ?
	    LOG_LEVEL_WARNING : app->verbosity == 1 ? LOG_LEVEL_INFO :
	    LOG_LEVEL_DEBUG, app->conf.syslog, app->conf.log_level);
	log_info("SIGHUP: configuration %s reloaded", path ? path :
	    "(built-in defaults)");
}

/*
 * The earliest unsent scheduled_at, for waking when a report falls due
 * between ticks; 0 when none (or the database cannot tell: the next tick
 * will say why).  The partial index of unsent rows keeps it to those.
 */
static time_t
daemon_next_due(const struct conf *conf)
{
	struct db db;
	struct buf err, sql;
	sqlite3_stmt *st = NULL;
	const unsigned char *text;
	enum db_status s;
	time_t t = 0;

	buf_init(&err, 1024);
	memset(&db, 0, sizeof(db));
	if (db_open(&db, conf, DB_READONLY, &err) != DB_OK)
		goto out;
	if (report_due_sql(&db, &sql, "min(coalesce(datetime(scheduled_at), "
	    "'0000-00-00 00:00:00'))", NULL, &err) != DB_OK)
		goto out;
	s = db_prepare(&db, sql.data, &st, &err);
	buf_release(&sql);
	if (s != DB_OK)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (text = sqlite3_column_text(st, 0)) != NULL &&
	    time_parse_db((const char *)text, &t) == -1)
		t = 0;
out:
	sqlite3_finalize(st);
	db_close(&db);
	buf_release(&err);
	return t;
}

/* One tick: send, then flush (only a flush after SIGUSR1). */
static void
daemon_tick(const struct conf *conf, int flush_only, int force)
{
	struct send_options so;
	struct send_result sr;
	struct flush_options fo;
	struct flush_result fr;

	if (!flush_only) {
		memset(&so, 0, sizeof(so));
		so.now = time(NULL);
		so.clock_by = "daemon";
		so.stop = &daemon_ev.stop;
		send_run(conf, &so, NULL, NULL, &sr);
		if (sr.queued || sr.given_up)
			log_info("send: %u queued, %u given up, %u deferred",
			    sr.queued, sr.given_up, sr.deferred);
	}
	if (daemon_ev.stop)
		return;
	memset(&fo, 0, sizeof(fo));
	fo.now = time(NULL);
	fo.force = force;
	fo.stop = &daemon_ev.stop;
	flush_run(conf, &fo, NULL, NULL, &fr);
}

/* When the next tick is due: the next multiple of the interval, or
 * sooner for a due report or a retry; never in the past. */
static time_t
daemon_next_wake(const struct conf *conf, long interval, time_t now)
{
	time_t wake, t;

	wake = (now / interval + 1) * interval;
	if ((t = daemon_next_due(conf)) > 0 && t < wake)
		wake = t;
	if ((t = flush_next_try(conf)) > 0 && t < wake)
		wake = t;
	return wake > now ? wake : now + 1;
}

int
daemon_run(struct app *app, const struct daemon_options *opt)
{
	char *conf_path = NULL;
	time_t now, wake;
	long nap;
	int pidfd = -1, rc = EXIT_OK, flush_only;

	/* Reloads after chdir("/") need the configuration's full path. */
	if (app->conf.path && (conf_path = os_realpath(app->conf.path)) ==
	    NULL) {
		log_warn("configuration %s", app->conf.path);
		return EXIT_CONFIG;
	}
	if (opt->background && !app->conf.syslog)
		log_warnx("daemon: running in the background with [log] "
		    "syslog = no: nothing will be logged");
	if (opt->background && os_daemon_detach() == -1) {
		rc = EXIT_OSERR;
		goto out;
	}
	if (os_daemon_events_init(&daemon_ev) == -1) {
		log_warn("daemon: signals");
		rc = EXIT_OSERR;
		goto out;
	}
	if (opt->pidfile) {
		pidfd = daemon_pidfile_lock(opt->pidfile);
		if (pidfd == -2 || pidfd == -1) {
			rc = pidfd == -2 ? EXIT_TEMPFAIL : EXIT_CANTCREAT;
			pidfd = -1;
			goto out;
		}
		if (daemon_pidfile_write(pidfd, opt->pidfile) == -1) {
			rc = EXIT_CANTCREAT;
			goto out;
		}
	}
	os_daemon_report(EXIT_OK);
	log_info("daemon: started (pid %ld, a tick every %ld s)",
	    (long)getpid(), opt->interval_s);

	flush_only = 0;
	while (!daemon_ev.stop) {
		if (daemon_ev.reload) {
			daemon_ev.reload = 0;
			daemon_reload_conf(app, conf_path);
		}
		/* Let signals in while the tick runs: SIGTERM must be able
		 * to end a long run after the item in hand. */
		os_daemon_unblock();
		daemon_tick(&app->conf, flush_only, flush_only);
		os_daemon_block();
		flush_only = 0;
		/* Sleep until the next tick or a signal, whichever first. */
		for (;;) {
			if (daemon_ev.stop || daemon_ev.reload)
				break;
			if (daemon_ev.flush_now) {
				daemon_ev.flush_now = 0;
				flush_only = 1;
				log_info("daemon: SIGUSR1: flushing now");
				break;
			}
			now = time(NULL);
			wake = daemon_next_wake(&app->conf, opt->interval_s,
			    now);
			/* Sleep in pieces no longer than the interval, so a
			 * clock stepped by NTP is noticed within one. */
			nap = (long)(wake - now);
			if (nap > opt->interval_s)
				nap = opt->interval_s;
			if (os_daemon_sleep(nap) == 0 && time(NULL) >= wake)
				break;
		}
	}
	log_info("daemon: stopping (signal)");
out:
	os_daemon_report(rc);
	if (pidfd != -1) {
		/* Unlink while still holding the lock: a new daemon that
		 * took the file meanwhile would hold a different inode. */
		unlink(opt->pidfile);
		close(pidfd);
	}
	free(conf_path);
	return rc;
}
