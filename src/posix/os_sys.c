/*
 * os_sys.c (POSIX) - os_sys.h: the host name through the resolver, the
 * clock's state through adjtimex (ntp_adjtime on macOS, which has no
 * adjtimex), sockets waited on with poll().
 */
#include <sys/socket.h>
#include <sys/types.h>
#ifdef __APPLE__
#include <sys/timex.h>
#define adjtimex	ntp_adjtime
#else
#include <sys/timex.h>
#endif

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os_sys.h"
#include "os_time.h"

void
os_host_fqdn(char *out, size_t size)
{
	struct addrinfo hints, *ai = NULL;
	char host[256];

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (strchr(host, '.') != NULL) {
		snprintf(out, size, "%s", host);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(host, NULL, &hints, &ai) == 0 && ai &&
	    ai->ai_canonname && strchr(ai->ai_canonname, '.') != NULL)
		snprintf(out, size, "%s", ai->ai_canonname);
	else
		snprintf(out, size, "%s.localdomain", host);
	if (ai)
		freeaddrinfo(ai);
}

int
os_clock_synced(void)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));	/* modes = 0: read only */
	state = adjtimex(&tx);
	return state != -1 && state != TIME_ERROR &&
	    !(tx.status & STA_UNSYNC);
}

int
os_sock_wait(intptr_t sock, int want_write, long timeout_ms)
{
	struct pollfd p;
	long long deadline = os_monotonic_ms() + timeout_ms, left;
	int r;

	for (;;) {
		left = deadline - os_monotonic_ms();
		p.fd = (int)sock;
		p.events = want_write ? POLLOUT : POLLIN;
		p.revents = 0;
		r = poll(&p, 1, left > 0 ? (int)left : 0);
		if (r >= 0)
			return r > 0;
		if (errno != EINTR)
			return -1;
	}
}

void
os_sock_shutdown(intptr_t sock)
{
	(void)shutdown((int)sock, SHUT_RDWR);
}
