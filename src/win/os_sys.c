/*
 * os_sys.c (Windows) - os_sys.h: the DNS name Windows was given, and the
 * time service's adjustment as the sign of a synchronised clock; sockets
 * waited on with WSAPoll().
 */
#include <winsock2.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "os_sys.h"
#include "os_win.h"

void
os_host_fqdn(char *out, size_t size)
{
	wchar_t name[256];
	DWORD n = sizeof(name) / sizeof(name[0]);
	char *u = NULL;

	if (GetComputerNameExW(ComputerNameDnsFullyQualified, name, &n) &&
	    n > 0)
		u = win_utf8(name);
	if (u == NULL || *u == '\0')
		snprintf(out, size, "localhost.localdomain");
	else if (strchr(u, '.') == NULL)
		snprintf(out, size, "%s.localdomain", u);
	else
		snprintf(out, size, "%s", u);
	free(u);
}

int
os_clock_synced(void)
{
	DWORD adjustment, increment;
	BOOL disabled;

	/* The time service adjusts the clock (disabled is FALSE) only
	 * while it is synchronised with its source. */
	if (!GetSystemTimeAdjustment(&adjustment, &increment, &disabled))
		return 0;
	return !disabled;
}

int
os_sock_wait(intptr_t sock, int want_write, long timeout_ms)
{
	WSAPOLLFD p;
	int r;

	p.fd = (SOCKET)sock;
	p.events = want_write ? POLLWRNORM : POLLRDNORM;
	p.revents = 0;
	r = WSAPoll(&p, 1, timeout_ms > 0 ? (INT)timeout_ms : 0);
	if (r == SOCKET_ERROR) {
		errno = EIO;
		return -1;
	}
	return r > 0;
}

void
os_sock_shutdown(intptr_t sock)
{
	(void)shutdown((SOCKET)sock, SD_BOTH);
}
