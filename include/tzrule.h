/*
 * tzrule.h - POSIX TZ rules ("CET-1CEST,M3.5.0,M10.5.0/3") evaluated
 * without the C library's TZ handling.
 *
 * The zone table (zones.h) carries a POSIX TZ rule per zone, and on Unix
 * the C library evaluates it through TZ and localtime_r.  The Windows C
 * library (msvcrt, as mingw links it) cannot parse daylight saving rules
 * and its struct tm has no tm_gmtoff, so this module parses a rule and
 * computes offsets and local times itself.  It is platform-neutral C11
 * and uses neither TZ nor the C library's time conversions.
 *
 * The syntax is POSIX.1-2017 section 8.3 (TZ) with the extensions of RFC
 * 8536 section 3.3.1: names may be quoted ("<+03>-3"), and the time of day
 * of a change may be negative and up to 167 hours ("M3.4.4/50").
 *   std offset [dst [offset] [,start[/time],end[/time]]]
 * A date is Jn (1..365, Feb 29 never counted), n (0..365, counted) or
 * Mm.w.d (week w of 5 is the last, day d 0 is Sunday).  Defaults: the DST
 * offset is one hour east of standard time, a change happens at 02:00:00,
 * and a DST name without dates means "M3.2.0,M11.1.0" as in glibc and
 * tzcode.  The start time is read in standard time, the end time in DST;
 * the start may fall after the end in the year (southern hemisphere).  A
 * rule whose DST lasts the whole year ("EST5EDT,0/0,J365/25") is DST at
 * every instant, as in tzcode.
 *
 * Instants are seconds since 1970-01-01 UTC, leap seconds not counted, in
 * the proleptic Gregorian calendar; those beyond +-2^55 s (about a billion
 * years) are taken as the nearest of those bounds.
 */
#ifndef SENDREPORTS_TZRULE_H
#define SENDREPORTS_TZRULE_H

#include <time.h>

enum tzrule_kind {
	TZRULE_JULIAN1,		/* Jn: 1..365, Feb 29 never counted */
	TZRULE_JULIAN0,		/* n: 0..365, Feb 29 counted */
	TZRULE_MONTH		/* Mm.w.d */
};

struct tzrule_date {
	enum tzrule_kind kind;
	int		 mon;		/* Mm.w.d: 1..12 */
	int		 week;		/* Mm.w.d: 1..5, 5 the last */
	int		 day;		/* Mm.w.d: weekday 0..6; else n */
	long		 secs;		/* local time of day, -167h..167h */
};

struct tzrule {
	long			 std_off;	/* seconds east of UTC */
	long			 dst_off;	/* seconds east of UTC */
	int			 has_dst;	/* 0: std_off at all times */
	struct tzrule_date	 start;		/* into DST, read in std time */
	struct tzrule_date	 end;		/* out of DST, read in DST */
};

/*
 * Parses the TZ rule spec into *out.  Returns 0, or -1 (*out unspecified)
 * when spec is not such a rule: ":Europe/Paris" and other file forms, the
 * empty string and NULL are not rules.  Zone names are checked, not kept.
 */
int	tzrule_parse(const char *spec, struct tzrule *out);

/*
 * Returns the offset of r, in seconds east of UTC, in force at the instant
 * t; sets *isdst, unless isdst is NULL, to 1 in DST and 0 otherwise.
 */
long	tzrule_offset(const struct tzrule *r, long long t, int *isdst);

/*
 * Sets *tm to the local time of r at the instant t, as localtime_r would
 * under TZ=rule: every standard field including tm_wday, tm_yday and
 * tm_isdst (other members zeroed); sets *gmtoff, unless gmtoff is NULL, to
 * the offset in seconds east of UTC.
 */
void	tzrule_localtime(const struct tzrule *r, long long t, struct tm *tm,
	    long *gmtoff);

#endif
