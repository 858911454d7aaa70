/*
 * timeutil.c - parsing and formatting the times of timeutil.h.
 *
 * Zone conversions go through the C library's TZ handling: the zone is put
 * in TZ for the duration of one conversion and the previous value restored,
 * so the rest of the program keeps seeing UTC.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timeutil.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static long long
time_days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static time_t
time_from_utc_fields(const struct tm *tm)
{
	long long days = time_days_from_civil(tm->tm_year + 1900LL,
	    (unsigned)tm->tm_mon + 1, (unsigned)tm->tm_mday);

	return (time_t)(days * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 +
	    tm->tm_sec);
}

/* Reads exactly n digits. */
static int
time_digits(const char **pp, int n, int *out)
{
	const char *p = *pp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*out = v;
	return 0;
}

static int
time_days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) ||
	    year % 400 == 0))
		return 29;
	return days[month - 1];
}

/*
 * Reads "YYYY-MM-DD[ T]HH:MM[:SS[.fff]]" into tm; *pp is left after it.
 */
static int
time_parse_fields(const char **pp, struct tm *tm, int need_seconds)
{
	const char *p = *pp;
	int y, mo, d, h, mi, s = 0;

	if (time_digits(&p, 4, &y) || *p++ != '-' ||
	    time_digits(&p, 2, &mo) || *p++ != '-' ||
	    time_digits(&p, 2, &d) || (*p != ' ' && *p != 'T'))
		return -1;
	p++;
	if (time_digits(&p, 2, &h) || *p++ != ':' || time_digits(&p, 2, &mi))
		return -1;
	if (*p == ':') {
		p++;
		if (time_digits(&p, 2, &s))
			return -1;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			while (isdigit((unsigned char)*p))
				p++;
		}
	} else if (need_seconds)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > time_days_in_month(y, mo) ||
	    h > 23 || mi > 59 || s > 59)
		return -1;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = s;
	tm->tm_isdst = -1;
	*pp = p;
	return 0;
}

/*
 * Runs mktime or localtime_r with TZ set to zone, then restores TZ.  The
 * ":" prefix makes the C library read the zone file, never parse the name
 * as a POSIX TZ rule.
 */
struct time_tz_saved {
	char	*old;
	int	 had;
};

static int
time_tz_enter(const char *zone, struct time_tz_saved *sv)
{
	char spec[256];
	const char *old = getenv("TZ");
	int n;

	sv->had = old != NULL;
	sv->old = old ? strdup(old) : NULL;
	if (old && !sv->old)
		return -1;
	n = snprintf(spec, sizeof(spec), ":%s", zone);
	if (n < 0 || (size_t)n >= sizeof(spec) || setenv("TZ", spec, 1)) {
		free(sv->old);
		return -1;
	}
	tzset();
	return 0;
}

static void
time_tz_leave(struct time_tz_saved *sv)
{
	if (sv->had)
		setenv("TZ", sv->old, 1);
	else
		unsetenv("TZ");
	free(sv->old);
	sv->old = NULL;
	tzset();
}

int
time_zone_check(const char *zone)
{
	const char *p;
	char path[512];
	const char *dir = getenv("TZDIR");
	int n;

	if (zone == NULL || *zone == '\0')
		return -1;
	if (strcmp(zone, "UTC") == 0)
		return 0;
	/* A zone name is a relative path of letters, '/', '_', '-', '+'. */
	if (zone[0] == '/' || strstr(zone, ".."))
		return -1;
	for (p = zone; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_-+", *p))
			return -1;
	n = snprintf(path, sizeof(path), "%s/%s",
	    dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	return access(path, R_OK) == 0 ? 0 : -1;
}

int
time_parse(const char *text, const char *zone, time_t *out)
{
	struct tm tm;
	const char *p = text;
	struct time_tz_saved sv;
	time_t t;

	if (time_parse_fields(&p, &tm, 0) == -1)
		return -1;
	if (*p == 'Z' && p[1] == '\0') {
		*out = time_from_utc_fields(&tm);
		return 0;
	}
	if ((*p == '+' || *p == '-') && p[1] != '\0') {
		int sign = *p == '-' ? -1 : 1, oh, om = 0;

		p++;
		if (time_digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (*p && time_digits(&p, 2, &om))
			return -1;
		if (*p || oh > 23 || om > 59)
			return -1;
		*out = time_from_utc_fields(&tm) - sign * (oh * 3600 + om * 60);
		return 0;
	}
	if (*p != '\0')
		return -1;
	if (zone == NULL || *zone == '\0' || strcmp(zone, "UTC") == 0) {
		*out = time_from_utc_fields(&tm);
		return 0;
	}
	if (time_zone_check(zone) == -1 || time_tz_enter(zone, &sv) == -1)
		return -1;
	t = mktime(&tm);
	time_tz_leave(&sv);
	if (t == (time_t)-1)
		return -1;
	*out = t;
	return 0;
}

int
time_parse_db(const char *text, time_t *out)
{
	struct tm tm;
	const char *p = text;

	if (time_parse_fields(&p, &tm, 1) == -1 || *p != '\0')
		return -1;
	*out = time_from_utc_fields(&tm);
	return 0;
}

void
time_format_db(time_t t, char out[TIME_DB_LEN])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(out, TIME_DB_LEN, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		out[0] = '\0';
}

void
time_format_compact(time_t t, char out[17])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) == 0)
		out[0] = '\0';
}

int
time_format_local(time_t t, const char *zone, char *out, size_t size)
{
	struct time_tz_saved sv;
	struct tm tm;
	size_t n;

	if (zone == NULL || *zone == '\0')
		zone = "UTC";
	if (time_zone_check(zone) == -1 || time_tz_enter(zone, &sv) == -1)
		return -1;
	localtime_r(&t, &tm);
	n = strftime(out, size, "%Y-%m-%d %H:%M %Z", &tm);
	time_tz_leave(&sv);
	return n == 0 ? -1 : 0;
}
