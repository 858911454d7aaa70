/*
 * os_time.h - the current time zone and local time, on POSIX and Windows
 * (src/posix/os_time.c, src/win/os_time.c).
 *
 * POSIX: the C library's TZ handling (setenv, tzset, localtime_r), which
 * reads the box's zone files (":Europe/Paris") and POSIX rules alike.
 * Windows: its C library cannot evaluate a POSIX rule with daylight
 * saving, and has no zone files; the rule this binary carries (zones.h)
 * is evaluated by tzrule.h instead, so no mapping of Windows' zone names
 * is needed and a box's zone is what its configuration says.
 */
#ifndef SENDREPORTS_OS_TIME_H
#define SENDREPORTS_OS_TIME_H

#include <stddef.h>
#include <time.h>

/* The zone in force before os_zone_enter, to go back to. */
struct os_zone_saved {
	char	*old;
	int	 had;
};

/* Whether the C library reads zone files (":zone" values): 1 or 0. */
int	os_zone_files(void);
/* Makes spec (a TZ value) the current zone.  0, or -1 (nothing changed). */
int	os_zone_enter(const char *spec, struct os_zone_saved *sv);
/* Back to the zone before; frees what sv holds. */
void	os_zone_leave(struct os_zone_saved *sv);
/*
 * The local time at t in the current zone (localtime_r), its offset east
 * of UTC in seconds, and its abbreviation ("CEST") into abbr when abbr is
 * not NULL.
 */
void	os_localtime(time_t t, struct tm *tm, long *gmtoff, char *abbr,
	    size_t size);

/* Milliseconds of a clock that never steps (CLOCK_MONOTONIC). */
long long	os_monotonic_ms(void);

#endif
