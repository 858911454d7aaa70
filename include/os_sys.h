/*
 * os_sys.h - what the program asks of the system it runs on, on POSIX and
 * Windows (src/posix/os_sys.c, src/win/os_sys.c): the box's name,
 * whether its clock is kept in time, and waiting on a socket.
 */
#ifndef SENDREPORTS_OS_SYS_H
#define SENDREPORTS_OS_SYS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The box's fully qualified name into out: its host name when it has a
 * dot, else the canonical name the resolver gives it, else the host name
 * with ".localdomain" (as Postfix does: relays refuse a bare name).  On
 * Windows the DNS name the system was given.
 */
void	os_host_fqdn(char *out, size_t size);

/*
 * Whether the system says its clock is synchronised: Linux's adjtimex
 * (the kernel's unsynchronised flag, which NTP daemons clear), macOS's
 * ntp_adjtime; on Windows whether the time service is adjusting the
 * clock (GetSystemTimeAdjustment), which it does only while in sync.
 * 1 or 0.
 */
int	os_clock_synced(void);

/*
 * Waits until the socket sock (an int on POSIX, a SOCKET on Windows, given
 * as an integer wide enough for both) can be written (want_write) or read,
 * or has failed or been closed: all of them are "ready", the next read or
 * write says which.  Returns 1 when ready, 0 after timeout_ms, -1 with
 * errno on an error of the wait itself.  EINTR is retried with the time
 * left.
 */
int	os_sock_wait(intptr_t sock, int want_write, long timeout_ms);

/* Shuts both directions of the socket down (it stays open). */
void	os_sock_shutdown(intptr_t sock);

#endif
