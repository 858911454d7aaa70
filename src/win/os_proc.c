/*
 * os_proc.c (Windows) - os_proc.h: binary standard streams, and Ctrl-C,
 * Ctrl-Break, closing the console, logging off and shutting down as the
 * daemon's stop, told through an event its sleep waits on.  The console
 * handler runs on a thread of its own: it only sets the flag and the
 * event.
 */
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "os_proc.h"
#include "os_win.h"

static struct os_daemon_events	*os_events;
static HANDLE			 os_wake;

void
os_proc_init(void)
{
	/* No "insert a disk" or crash dialogs: nobody is there to click. */
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX |
	    SEM_NOOPENFILEERRORBOX);
	_fmode = _O_BINARY;
	_setmode(_fileno(stdin), _O_BINARY);
	_setmode(_fileno(stdout), _O_BINARY);
	_setmode(_fileno(stderr), _O_BINARY);
}

uid_t
os_euid(void)
{
	return 1;
}

int
os_is_superuser(void)
{
	return 0;
}

int
os_user_exists(const char *name)
{
	(void)name;
	return -1;
}

static BOOL WINAPI
os_on_console(DWORD type)
{
	switch (type) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT:
	case CTRL_CLOSE_EVENT:
	case CTRL_LOGOFF_EVENT:
	case CTRL_SHUTDOWN_EVENT:
		if (os_events != NULL)
			os_events->stop = 1;
		if (os_wake != NULL)
			SetEvent(os_wake);
		return TRUE;
	}
	return FALSE;
}

int
os_daemon_events_init(struct os_daemon_events *ev)
{
	os_events = ev;
	if ((os_wake = CreateEventW(NULL, FALSE, FALSE, NULL)) == NULL ||
	    !SetConsoleCtrlHandler(os_on_console, TRUE))
		return win_errno(GetLastError());
	return 0;
}

void
os_daemon_unblock(void)
{
}

void
os_daemon_block(void)
{
}

int
os_daemon_sleep(long seconds)
{
	return WaitForSingleObject(os_wake, (DWORD)seconds * 1000) ==
	    WAIT_OBJECT_0;
}

int
os_daemon_detach(void)
{
	log_warnx("daemon: --background does not exist on Windows: run it "
	    "in the foreground from Task Scheduler or a service wrapper");
	errno = ENOTSUP;
	return -1;
}

void
os_daemon_report(int code)
{
	(void)code;
}
