/*
 * os_proc.h - the process, on POSIX and Windows (src/posix/os_proc.c,
 * src/win/os_proc.c): how every command starts, who it runs as, and what
 * the daemon needs of signals and detaching.
 *
 * Windows has no fork, no setsid and no signals but Ctrl-C: there the
 * daemon runs in the foreground only (Task Scheduler, or a service
 * wrapper, keeps it running), Ctrl-C, Ctrl-Break, closing the console
 * and logging off stop it, and it has no reload and no flush-now event.
 */
#ifndef SENDREPORTS_OS_PROC_H
#define SENDREPORTS_OS_PROC_H

#include <signal.h>
#include <sys/types.h>

#ifdef _WIN32
typedef unsigned int	uid_t;
typedef unsigned int	gid_t;
#endif

/*
 * What every command does first: descriptors 0-2 open (so no file we
 * open becomes one), umask 077, no core dumps (Linux: a password may be
 * read), SIGPIPE ignored.  On Windows: standard streams in binary mode
 * (a PDF on stdout is bytes) and every file opened by the C library too,
 * and no error dialog boxes for a task nobody watches.
 */
void	os_proc_init(void);

/* The effective user (geteuid); on Windows 1, never the superuser. */
uid_t	os_euid(void);
/* Whether the process may change users (root); never on Windows. */
int	os_is_superuser(void);

/* Whether the box has a user of that name: 1 or 0; -1 where users are
 * not switched to by name (Windows). */
int	os_user_exists(const char *name);

/* What the daemon is told, set from a signal handler (or Windows'
 * console handler thread). */
struct os_daemon_events {
	volatile sig_atomic_t	stop;		/* SIGTERM, SIGINT; Ctrl-C */
	volatile sig_atomic_t	reload;		/* SIGHUP */
	volatile sig_atomic_t	flush_now;	/* SIGUSR1 */
};

/* Installs the handlers for ev (one set per process) and holds the
 * signals back outside os_daemon_sleep and os_daemon_unblock.  -1 with
 * errno. */
int	os_daemon_events_init(struct os_daemon_events *ev);
/* Lets the signals in (while a tick runs) or holds them back again. */
void	os_daemon_unblock(void);
void	os_daemon_block(void);
/* Sleeps up to seconds, or until an event arrives: 1 when one did (or
 * may have), 0 when the time ran out. */
int	os_daemon_sleep(long seconds);

/*
 * Detaches from the terminal: the caller's process waits until the
 * daemon calls os_daemon_report, and exits with its code.  Returns 0 in
 * the daemon; -1 (logged) when it cannot, or on Windows, which has no
 * background mode.
 */
int	os_daemon_detach(void);
/* Tells the waiting caller how the start went (EXIT_OK detaches stdio). */
void	os_daemon_report(int code);

#endif
