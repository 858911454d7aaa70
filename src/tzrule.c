/*
 * tzrule.c - parsing and evaluating POSIX TZ rules (tzrule.h).
 *
 * It exists for the Windows build, whose C library cannot evaluate the
 * rules of the zone table, and so does its own calendar arithmetic: no
 * TZ, mktime, timegm or gmtime, and no locale-dependent <ctype.h>.
 *
 * An instant's offset is that of the last change at or before it.  The
 * changes of the instant's UTC year, the two years before and the year
 * after are enough: a change lies within 167 hours plus the offset of its
 * own year, so none of an earlier year is later than all of year y - 1.
 */
#include <string.h>

#include "tzrule.h"

#define TZRULE_DAY	86400LL
#define TZRULE_T_MAX	(1LL << 55)

static int
tzrule_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static int
tzrule_isalpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
tzrule_isleap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Floor division and its remainder, for instants before 1970. */
static long long
tzrule_floordiv(long long a, long long b)
{
	return a / b - (a % b < 0);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static long long
tzrule_days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = tzrule_floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse: the date of day z, counted from 1970-01-01. */
static void
tzrule_civil_from_days(long long z, long long *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = tzrule_floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Reads a decimal number in min..max; returns the end, or NULL. */
static const char *
tzrule_num(const char *p, int min, int max, int *out)
{
	int v = 0;

	if (!tzrule_isdigit(*p))
		return NULL;
	while (tzrule_isdigit(*p)) {
		v = v * 10 + (*p++ - '0');
		if (v > max)
			return NULL;
	}
	if (v < min)
		return NULL;
	*out = v;
	return p;
}

/* Reads a zone name, "EST" or "<+0530>", of at least three characters. */
static const char *
tzrule_name(const char *p)
{
	const char *s;

	if (*p == '<') {
		for (s = ++p; tzrule_isalpha(*p) || tzrule_isdigit(*p) ||
		    *p == '+' || *p == '-'; p++)
			;
		return *p == '>' && p - s >= 3 ? p + 1 : NULL;
	}
	for (s = p; tzrule_isalpha(*p); p++)
		;
	return p - s >= 3 ? p : NULL;
}

/* Reads [+-]hh[:mm[:ss]] with hh at most maxh into seconds. */
static const char *
tzrule_hms(const char *p, int maxh, long *out)
{
	int sign = 1, h, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if ((p = tzrule_num(p, 0, maxh, &h)) == NULL)
		return NULL;
	if (*p == ':' && (p = tzrule_num(p + 1, 0, 59, &m)) != NULL &&
	    *p == ':')
		p = tzrule_num(p + 1, 0, 59, &s);
	if (p == NULL)
		return NULL;
	*out = sign * (h * 3600L + m * 60L + s);
	return p;
}

/* Reads a date of change and its optional /time. */
static const char *
tzrule_date(const char *p, struct tzrule_date *dt)
{
	memset(dt, 0, sizeof(*dt));
	if (*p == 'J') {
		dt->kind = TZRULE_JULIAN1;
		p = tzrule_num(p + 1, 1, 365, &dt->day);
	} else if (*p == 'M') {
		dt->kind = TZRULE_MONTH;
		if ((p = tzrule_num(p + 1, 1, 12, &dt->mon)) == NULL ||
		    *p != '.' ||
		    (p = tzrule_num(p + 1, 1, 5, &dt->week)) == NULL ||
		    *p != '.')
			return NULL;
		p = tzrule_num(p + 1, 0, 6, &dt->day);
	} else {
		dt->kind = TZRULE_JULIAN0;
		p = tzrule_num(p, 0, 365, &dt->day);
	}
	dt->secs = 7200;
	if (p != NULL && *p == '/')
		p = tzrule_hms(p + 1, 167, &dt->secs);
	return p;
}

int
tzrule_parse(const char *spec, struct tzrule *out)
{
	const char *p = spec;
	long off;

	memset(out, 0, sizeof(*out));
	if (p == NULL || (p = tzrule_name(p)) == NULL ||
	    (p = tzrule_hms(p, 24, &off)) == NULL)
		return -1;
	/* POSIX offsets count west of UTC; ours east. */
	out->std_off = out->dst_off = -off;
	if (*p == '\0')
		return 0;
	if ((p = tzrule_name(p)) == NULL)
		return -1;
	out->has_dst = 1;
	out->dst_off = out->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = tzrule_hms(p, 24, &off)) == NULL)
			return -1;
		out->dst_off = -off;
	}
	if (*p == '\0')
		p = ",M3.2.0,M11.1.0";
	if (*p++ != ',' || (p = tzrule_date(p, &out->start)) == NULL ||
	    *p++ != ',' || (p = tzrule_date(p, &out->end)) == NULL ||
	    *p != '\0')
		return -1;
	return 0;
}

/* The instant of the change dt in year y, when the offset before is off. */
static long long
tzrule_change(const struct tzrule_date *dt, long long y, long off)
{
	long long jan1 = tzrule_days_from_civil(y, 1, 1), day;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int n, mday, wday;

	switch (dt->kind) {
	case TZRULE_JULIAN1:
		day = jan1 + dt->day - 1 +
		    (tzrule_isleap(y) && dt->day >= 60);
		break;
	case TZRULE_JULIAN0:
		day = jan1 + dt->day;
		break;
	default:
		day = tzrule_days_from_civil(y, dt->mon, 1);
		/* 1970-01-01 was a Thursday. */
		wday = (int)(day + 4 - tzrule_floordiv(day + 4, 7) * 7);
		mday = 1 + (dt->day - wday + 7) % 7 + (dt->week - 1) * 7;
		n = mdays[dt->mon - 1] + (dt->mon == 2 && tzrule_isleap(y));
		while (mday > n)
			mday -= 7;
		day += mday - 1;
		break;
	}
	return day * TZRULE_DAY + dt->secs - off;
}

long
tzrule_offset(const struct tzrule *r, long long t, int *isdst)
{
	long long y, s, e, best = 0, ylen;
	int m, d, dst = 0, found = 0, i;

	if (r->has_dst) {
		t = t < -TZRULE_T_MAX ? -TZRULE_T_MAX :
		    t > TZRULE_T_MAX ? TZRULE_T_MAX : t;
		tzrule_civil_from_days(tzrule_floordiv(t, TZRULE_DAY), &y, &m,
		    &d);
		ylen = (365 + tzrule_isleap(y)) * TZRULE_DAY;
		s = tzrule_change(&r->start, y, r->std_off);
		e = tzrule_change(&r->end, y, r->dst_off);
		if (s <= e && e - s >= ylen)
			dst = 1;	/* DST all year, as tzcode has it */
		/*
		 * The last change at or before t; at equal instants the
		 * change into DST wins, so that a rule whose DST ends as the
		 * next year's begins never leaves it.
		 */
		for (i = -2; i <= 1 && !dst; i++) {
			s = tzrule_change(&r->start, y + i, r->std_off);
			e = tzrule_change(&r->end, y + i, r->dst_off);
			if (e <= t && (!found || e > best)) {
				best = e;
				found = 1;
			}
			if (s <= t && (!found || s >= best)) {
				best = s;
				found = 2;
			}
		}
		dst = dst || found == 2;
	}
	if (isdst != NULL)
		*isdst = dst;
	return dst ? r->dst_off : r->std_off;
}

void
tzrule_localtime(const struct tzrule *r, long long t, struct tm *tm,
    long *gmtoff)
{
	long long local, days, secs, y;
	long off;
	int isdst, m, d;

	t = t < -TZRULE_T_MAX ? -TZRULE_T_MAX :
	    t > TZRULE_T_MAX ? TZRULE_T_MAX : t;
	off = tzrule_offset(r, t, &isdst);
	local = t + off;
	days = tzrule_floordiv(local, TZRULE_DAY);
	secs = local - days * TZRULE_DAY;
	tzrule_civil_from_days(days, &y, &m, &d);
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = m - 1;
	tm->tm_mday = d;
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = (int)(days + 4 - tzrule_floordiv(days + 4, 7) * 7);
	tm->tm_yday = (int)(days - tzrule_days_from_civil(y, 1, 1));
	tm->tm_isdst = isdst;
	if (gmtoff != NULL)
		*gmtoff = off;
}
