/*
 * os_sys.h - what the program asks of the system it runs on, on POSIX and
 * Windows (src/posix/os_sys.c, src/win/os_sys.c): the box's name and
 * whether its clock is kept in time.
 */
#ifndef SENDREPORTS_OS_SYS_H
#define SENDREPORTS_OS_SYS_H

#include <stddef.h>

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

#endif
