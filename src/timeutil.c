/*
 * timeutil.c - parsing and formatting the times of timeutil.h.
 *
 * Zone conversions go through the C library's TZ handling: the zone is put
 * in TZ for the duration of one conversion and the previous value restored,
 * so the rest of the program keeps seeing UTC.  TZ is ":zone" (the box's
 * zone file) or the POSIX rule compiled in (zones.h), whichever is newer.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os_libc.h"
#include "os_time.h"
#include "timeutil.h"
#include "zones.h"

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

/* The zone directory of this box: TZDIR, else the usual one. */
static const char *
time_zone_dir(void)
{
	const char *dir = getenv("TZDIR");

	return dir && *dir ? dir : "/usr/share/zoneinfo";
}

/* The tzdata version of dir ("2025b"), "" when it does not say. */
static void
time_zone_dir_version(const char *dir, char *out, size_t size)
{
	char path[512], line[64];
	FILE *fp;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/tzdata.zi", dir);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), fp) && strncmp(line, "# version ", 10) ==
	    0) {
		line[strcspn(line, "\r\n")] = '\0';
		snprintf(out, size, "%s", line + 10);
	}
	fclose(fp);
}

static int
time_zone_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct zone_rule *)elem)->name);
}

/* A zone name is a relative path of letters, digits, '/', '_', '-', '+'. */
static int
time_zone_name_ok(const char *zone)
{
	const char *p;

	if (zone == NULL || *zone == '\0' || zone[0] == '/' ||
	    strstr(zone, ".."))
		return 0;
	for (p = zone; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_-+", *p))
			return 0;
	return 1;
}

/*
 * The TZ value for zone: ":zone" for the box's own zone file when it has
 * one and its tzdata is not older than ours (it may know rule changes made
 * after this build, and has the zone's history), else the POSIX rule this
 * binary carries.  -1 when neither knows the zone.
 */
static int
time_zone_spec(const char *zone, char *spec, size_t size)
{
	static char sysver[64];
	static int sysver_read;
	const struct zone_rule *z;
	const char *dir = time_zone_dir();
	char path[512];
	int n;

	if (!time_zone_name_ok(zone))
		return -1;
	z = bsearch(zone, zones, zones_count, sizeof(zones[0]),
	    time_zone_cmp);
	n = snprintf(path, sizeof(path), "%s/%s", dir, zone);
	if (os_zone_files() && n > 0 && (size_t)n < sizeof(path) &&
	    access(path, R_OK) == 0) {
		if (!sysver_read) {
			time_zone_dir_version(dir, sysver, sizeof(sysver));
			sysver_read = 1;
		}
		if (z == NULL || sysver[0] == '\0' ||
		    strcmp(sysver, zones_version) >= 0) {
			n = snprintf(spec, size, ":%s", zone);
			return n > 0 && (size_t)n < size ? 0 : -1;
		}
	}
	if (z == NULL)
		return -1;
	n = snprintf(spec, size, "%s", z->rule);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int
time_zone_enter(const char *zone, struct time_zone_scope *sv)
{
	char spec[256];

	sv->saved.old = NULL;
	sv->saved.had = 0;
	if (zone == NULL || *zone == '\0')
		zone = "UTC";
	if (strcmp(zone, "UTC") == 0)
		snprintf(spec, sizeof(spec), "UTC0");
	else if (time_zone_spec(zone, spec, sizeof(spec)) == -1)
		return -1;
	return os_zone_enter(spec, &sv->saved);
}

void
time_zone_leave(struct time_zone_scope *sv)
{
	os_zone_leave(&sv->saved);
}

int
time_zone_check(const char *zone)
{
	char spec[256];

	if (zone && strcmp(zone, "UTC") == 0)
		return 0;
	return time_zone_spec(zone, spec, sizeof(spec));
}

/* The zone name a localtime link names: what follows its last
 * "zoneinfo/", without the "posix/" or "right/" variants' prefix. */
static const char *
time_zone_from_link(const char *target)
{
	const char *p, *name = NULL;

	for (p = target; (p = strstr(p, "zoneinfo/")) != NULL; p++)
		name = p + strlen("zoneinfo/");
	if (name == NULL)
		return NULL;
	if (strncmp(name, "posix/", 6) == 0)
		name += 6;
	else if (strncmp(name, "right/", 6) == 0)
		name += 6;
	return name;
}

const char *
time_zone_default_from(const char *tz, const char *localtime, char *out,
    size_t size)
{
	char target[PATH_MAX];
	const char *name;
	ssize_t n;

	if (tz != NULL && *tz == ':')
		tz++;
	if (tz != NULL && *tz != '\0' && time_zone_check(tz) == 0 &&
	    (size_t)snprintf(out, size, "%s", tz) < size)
		return "TZ";
	if (localtime != NULL &&
	    (n = readlink(localtime, target, sizeof(target) - 1)) > 0) {
		target[n] = '\0';
		name = time_zone_from_link(target);
		if (name != NULL && time_zone_check(name) == 0 &&
		    (size_t)snprintf(out, size, "%s", name) < size)
			return "/etc/localtime";
	}
	snprintf(out, size, "UTC");
	return "default";
}

const char *
time_zone_default(char *out, size_t size)
{
	return time_zone_default_from(getenv("TZ"), "/etc/localtime", out,
	    size);
}

/* The UTC offset in force at t, in the current zone. */
static long
time_offset_at(time_t t)
{
	struct tm tm;
	long off;

	os_localtime(t, &tm, &off, NULL, 0);
	return off;
}

time_t
time_local_instant(const struct tm *wall)
{
	struct tm w = *wall, got;
	time_t base, t, cand[2], lo, hi, mid;
	long off[2], got_off;
	int i, n = 0;

	w.tm_sec = 0;
	base = time_from_utc_fields(&w);
	/* The offsets a day either side: at most one change between. */
	off[0] = time_offset_at(base - 86400);
	off[1] = time_offset_at(base + 86400);
	for (i = 0; i < 2; i++) {
		if (i == 1 && off[1] == off[0])
			break;
		t = base - off[i];
		os_localtime(t, &got, &got_off, NULL, 0);
		if (got_off == off[i] && got.tm_hour == w.tm_hour &&
		    got.tm_min == w.tm_min && got.tm_mday == w.tm_mday)
			cand[n++] = t;
	}
	if (n == 2)
		return cand[0] < cand[1] ? cand[0] : cand[1];	/* twice */
	if (n == 1)
		return cand[0];
	/* Skipped by a jump: the first instant after it, the instant the
	 * later offset starts, somewhere in [base - off1, base - off0]. */
	lo = base - (off[0] > off[1] ? off[0] : off[1]);
	hi = base - (off[0] < off[1] ? off[0] : off[1]);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (time_offset_at(mid) == off[1])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int
time_parse(const char *text, const char *zone, time_t *out)
{
	struct tm tm;
	const char *p = text;
	struct time_zone_scope sv;
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
	/* The DST rules of schedules apply to typed times too. */
	if (time_zone_enter(zone, &sv) == -1)
		return -1;
	t = time_local_instant(&tm);
	time_zone_leave(&sv);
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

/*
 * The UTC fields of t when its year has the four digits of the database's
 * text (0000-9999), else -1.  Not strftime(): glibc's %Y does not pad,
 * and year 999 would come out as "999-01-01", which nothing reads back.
 */
static int
time_utc_fields(time_t t, struct tm *tm)
{
	if (gmtime_r(&t, tm) == NULL || tm->tm_year < -1900 ||
	    tm->tm_year > 9999 - 1900)
		return -1;
	return 0;
}

void
time_format_db(time_t t, char out[TIME_DB_LEN])
{
	struct tm tm;

	if (time_utc_fields(t, &tm) == -1) {
		out[0] = '\0';
		return;
	}
	/* The fields are in range (gmtime_r, and the year checked above):
	 * the text always fits, and a cut one would be no time at all. */
	if (snprintf(out, TIME_DB_LEN, "%04d-%02d-%02d %02d:%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec) >= TIME_DB_LEN)
		out[0] = '\0';
}

void
time_format_compact(time_t t, char out[17])
{
	struct tm tm;

	if (time_utc_fields(t, &tm) == -1) {
		out[0] = '\0';
		return;
	}
	if (snprintf(out, 17, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) >= 17)
		out[0] = '\0';
}

int
time_format_local(time_t t, const char *zone, char *out, size_t size)
{
	struct time_zone_scope sv;
	char abbr[32];
	struct tm tm;
	int n;

	if (zone == NULL || *zone == '\0')
		zone = "UTC";
	if (time_zone_enter(zone, &sv) == -1)
		return -1;
	os_localtime(t, &tm, NULL, abbr, sizeof(abbr));
	time_zone_leave(&sv);
	n = snprintf(out, size, "%04d-%02d-%02d %02d:%02d %s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, abbr);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

long long
time_monotonic_ms(void)
{
	return os_monotonic_ms();
}
