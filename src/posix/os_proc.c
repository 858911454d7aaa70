/*
 * os_proc.c (POSIX) - os_proc.h: the start of every command, signals for
 * the daemon (blocked except while it sleeps in pselect or runs a tick,
 * so that a signal sent just before the sleep is not lost; SA_RESTART,
 * so that a signal does not fail the I/O it interrupts), and the double
 * fork that detaches it.
 */
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "os_proc.h"

static struct os_daemon_events	*os_events;
static sigset_t			 os_blocked, os_sleepmask;
static int			 os_report_fd = -1;

void
os_proc_init(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	} while (fd >= 0 && fd <= 2);
	if (fd > 2)
		close(fd);
	umask(077);
#ifdef __linux__
	/*
	 * A password may be read (the configuration, the password file):
	 * from here on no core dump, and no ptrace, /proc/PID/mem or
	 * environ for the other processes of the user.  Dropping root to
	 * [run] user does it too, but a command started as that user
	 * would be dumpable.  Linux only.
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	signal(SIGPIPE, SIG_IGN);
}

uid_t
os_euid(void)
{
	return geteuid();
}

int
os_is_superuser(void)
{
	return geteuid() == 0;
}

int
os_user_exists(const char *name)
{
	return getpwnam(name) != NULL;
}

static void
os_on_signal(int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		os_events->stop = 1;
		break;
	case SIGHUP:
		os_events->reload = 1;
		break;
	case SIGUSR1:
		os_events->flush_now = 1;
		break;
	}
}

int
os_daemon_events_init(struct os_daemon_events *ev)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct sigaction sa;
	sigset_t block;
	size_t i;

	os_events = ev;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = os_on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return -1;
		sigaddset(&block, sigs[i]);
	}
	if (sigprocmask(SIG_BLOCK, &block, &os_sleepmask) == -1)
		return -1;
	return sigprocmask(SIG_BLOCK, NULL, &os_blocked);
}

void
os_daemon_unblock(void)
{
	sigprocmask(SIG_SETMASK, &os_sleepmask, NULL);
}

void
os_daemon_block(void)
{
	sigprocmask(SIG_SETMASK, &os_blocked, NULL);
}

int
os_daemon_sleep(long seconds)
{
	struct timespec ts;

	ts.tv_sec = seconds;
	ts.tv_nsec = 0;
	return pselect(0, NULL, NULL, NULL, &ts, &os_sleepmask) != 0;
}

int
os_daemon_detach(void)
{
	int p[2], status;
	unsigned char code;
	pid_t pid;
	ssize_t n;

	if (pipe(p) == -1) {
		log_warn("daemon: pipe");
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("daemon: fork");
		return -1;
	}
	if (pid > 0) {
		/* The caller: wait for the daemon's word, then go. */
		close(p[1]);
		do
			n = read(p[0], &code, 1);
		while (n == -1 && errno == EINTR);
		waitpid(pid, &status, 0);	/* the intermediate child */
		_exit(n == 1 ? code : EXIT_OSERR);
	}
	close(p[0]);
	if (setsid() == -1)
		_exit(EXIT_OSERR);
	/* Fork again: the daemon is no session leader, so it can never
	 * acquire a controlling terminal. */
	if ((pid = fork()) == -1)
		_exit(EXIT_OSERR);
	if (pid > 0)
		_exit(EXIT_OK);
	if (chdir("/") == -1)
		_exit(EXIT_OSERR);
	os_report_fd = p[1];
	return 0;
}

void
os_daemon_report(int code)
{
	unsigned char c = (unsigned char)code;
	int fd;

	if (os_report_fd < 0)
		return;
	if (code == EXIT_OK) {
		/* From now on stdio is nobody's: syslog has the logs. */
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	while (write(os_report_fd, &c, 1) == -1 && errno == EINTR)
		;
	close(os_report_fd);
	os_report_fd = -1;
}
