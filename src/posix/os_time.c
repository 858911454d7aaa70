/*
 * os_time.c (POSIX) - os_time.h through TZ, tzset and localtime_r.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "os_time.h"

int
os_zone_files(void)
{
	return 1;
}

int
os_zone_enter(const char *spec, struct os_zone_saved *sv)
{
	const char *old = getenv("TZ");

	sv->had = old != NULL;
	sv->old = old ? strdup(old) : NULL;
	if (old && !sv->old)
		return -1;
	if (setenv("TZ", spec, 1)) {
		free(sv->old);
		sv->old = NULL;
		return -1;
	}
	tzset();
	return 0;
}

void
os_zone_leave(struct os_zone_saved *sv)
{
	if (sv->had)
		setenv("TZ", sv->old, 1);
	else
		unsetenv("TZ");
	free(sv->old);
	sv->old = NULL;
	tzset();
}

void
os_localtime(time_t t, struct tm *tm, long *gmtoff, char *abbr, size_t size)
{
	localtime_r(&t, tm);
	if (gmtoff)
		*gmtoff = tm->tm_gmtoff;
	if (abbr && size > 0)
		snprintf(abbr, size, "%s", tm->tm_zone ? tm->tm_zone : "");
}

long long
os_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
