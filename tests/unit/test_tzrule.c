/*
 * test_tzrule.c - POSIX TZ rules evaluated without the C library: the
 * forms of the syntax case by case, then every rule of the zone table
 * against glibc's own evaluation of it (TZ=rule, localtime_r).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tzrule.h"
#include "zones.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

struct parse_case {
	const char	*spec;
	int		 ok;
};

static const struct parse_case parse_cases[] = {
	{ "UTC0", 1 },
	{ "EST5", 1 },
	{ "<+03>-3", 1 },
	{ "<-0930>9:30", 1 },
	{ "IST-5:30", 1 },
	{ "EST+5EDT", 1 },
	{ "EST5EDT", 1 },
	{ "EST5EDT4,M3.2.0/2:00:00,M11.1.0/2", 1 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 1 },
	{ "IST-1GMT0,M10.5.0,M3.5.0/1", 1 },
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1 },
	{ "EET-2EEST,M3.4.4/50,M10.4.4/50", 1 },
	{ "XXX0YYY,M3.1.0/167,M10.1.0/-167", 1 },
	{ "EST5EDT,0/0,J365/25", 1 },
	{ "XXX0YYY,J1,J365", 1 },
	{ "XXX0YYY,0,365", 1 },
	{ "<ABCDEFGHIJKLMNOP>0", 1 },
	{ ":Europe/Paris", 0 },
	{ ":", 0 },
	{ "", 0 },
	{ NULL, 0 },
	{ "Europe/Paris", 0 },
	{ "EST", 0 },
	{ "ES5", 0 },
	{ "<+3>-3", 0 },
	{ "<+03-3", 0 },
	{ "<+0 3>-3", 0 },
	{ "EST25", 0 },
	{ "EST5:60", 0 },
	{ "EST5:00:60", 0 },
	{ "EST5:", 0 },
	{ "EST5 ", 0 },
	{ "EST5ED", 0 },
	{ "EST5EDT,", 0 },
	{ "EST5EDT,M3.2.0", 0 },
	{ "EST5EDT,M3.2.0,", 0 },
	{ "EST5EDT,M3.2.0,M11.1.0,", 0 },
	{ "EST5EDT,M3.2.0,M11.1.0x", 0 },
	{ "EST5EDT,M0.2.0,M11.1.0", 0 },
	{ "EST5EDT,M13.2.0,M11.1.0", 0 },
	{ "EST5EDT,M3.0.0,M11.1.0", 0 },
	{ "EST5EDT,M3.6.0,M11.1.0", 0 },
	{ "EST5EDT,M3.2.7,M11.1.0", 0 },
	{ "EST5EDT,M3.2,M11.1.0", 0 },
	{ "EST5EDT,J0,J365", 0 },
	{ "EST5EDT,J1,J366", 0 },
	{ "EST5EDT,0,366", 0 },
	{ "EST5EDT,M3.2.0/168,M11.1.0", 0 },
	{ "EST5EDT,M3.2.0/-168,M11.1.0", 0 },
	{ "EST5EDT,M3.2.0/,M11.1.0", 0 },
	{ "EST5EDT,M3.2.0/99999999999,M11.1.0", 0 },
	{ "EST5EDT,K3,M11.1.0", 0 },
};

static void
test_tzrule_parse_table(void **state)
{
	struct tzrule r;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(parse_cases); i++) {
		int rc = tzrule_parse(parse_cases[i].spec, &r);

		if ((rc == 0) != parse_cases[i].ok)
			fail_msg("case %zu \"%s\": rc %d", i,
			    parse_cases[i].spec ? parse_cases[i].spec : "NULL",
			    rc);
	}
}

/* What the fields of a parse hold: offsets east, defaults filled in. */
static void
test_tzrule_parse_fields(void **state)
{
	struct tzrule r;

	(void)state;
	assert_int_equal(tzrule_parse("<+0545>-5:45", &r), 0);
	assert_int_equal(r.std_off, 20700);
	assert_int_equal(r.has_dst, 0);

	assert_int_equal(tzrule_parse("EST5EDT", &r), 0);
	assert_int_equal(r.std_off, -18000);
	assert_int_equal(r.dst_off, -14400);
	assert_int_equal(r.has_dst, 1);
	assert_int_equal(r.start.kind, TZRULE_MONTH);
	assert_int_equal(r.start.mon, 3);
	assert_int_equal(r.start.week, 2);
	assert_int_equal(r.start.day, 0);
	assert_int_equal(r.start.secs, 7200);
	assert_int_equal(r.end.mon, 11);
	assert_int_equal(r.end.week, 1);

	assert_int_equal(tzrule_parse("IST-1GMT0,M10.5.0,M3.5.0/1", &r), 0);
	assert_int_equal(r.std_off, 3600);
	assert_int_equal(r.dst_off, 0);

	assert_int_equal(tzrule_parse("X0Y-1:30,J60/-1:30:15,300/167", &r),
	    -1);
	assert_int_equal(tzrule_parse("XXX0YYY-1:30,J60/-1:30:15,300/167",
	    &r), 0);
	assert_int_equal(r.dst_off, 5400);
	assert_int_equal(r.start.kind, TZRULE_JULIAN1);
	assert_int_equal(r.start.day, 60);
	assert_int_equal(r.start.secs, -5415);
	assert_int_equal(r.end.kind, TZRULE_JULIAN0);
	assert_int_equal(r.end.day, 300);
	assert_int_equal(r.end.secs, 167 * 3600);
}

struct time_case {
	const char	*spec;
	long long	 t;
	long		 off;
	int		 isdst;
	const char	*local;		/* "YYYY-MM-DD HH:MM:SS" */
	int		 wday;
	int		 yday;
};

/*
 * The values are glibc's (TZ=spec, localtime_r), but for two kinds:
 * before 1970 glibc changes on the dates of 1970 (so never, for instants
 * before them), and where DST lasts all year glibc has standard time for
 * the first hours of each UTC year, tzcode and RFC 8536 DST throughout.
 */
static const struct time_case time_cases[] = {
	/* Mm.w.d, changes in the north, at 02:00 std and 03:00 DST. */
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 1711846799LL, 3600, 0,
	    "2024-03-31 01:59:59", 0, 90 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 1711846800LL, 7200, 1,
	    "2024-03-31 03:00:00", 0, 90 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 1729990799LL, 7200, 1,
	    "2024-10-27 02:59:59", 0, 300 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 1729990800LL, 3600, 0,
	    "2024-10-27 02:00:00", 0, 300 },
	/* A DST name alone: US rules, DST one hour east, changes at 02:00. */
	{ "EST5EDT,M3.2.0,M11.1.0", 1710054000LL, -14400, 1,
	    "2024-03-10 03:00:00", 0, 69 },
	{ "EST5EDT", 1710054000LL, -14400, 1, "2024-03-10 03:00:00", 0, 69 },
	{ "EST5EDT", 1730613599LL, -14400, 1, "2024-11-03 01:59:59", 0, 307 },
	{ "EST5EDT", 1730613600LL, -18000, 0, "2024-11-03 01:00:00", 0, 307 },
	/* The south: DST across the new year. */
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", 1705320000LL, 39600, 1,
	    "2024-01-15 23:00:00", 1, 14 },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", 1721044800LL, 36000, 0,
	    "2024-07-15 22:00:00", 1, 196 },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", 1712419199LL, 39600, 1,
	    "2024-04-07 02:59:59", 0, 97 },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", 1712419200LL, 36000, 0,
	    "2024-04-07 02:00:00", 0, 97 },
	/* Negative DST (Dublin): isdst in winter, an offset lower. */
	{ "IST-1GMT0,M10.5.0,M3.5.0/1", 1705320000LL, 0, 1,
	    "2024-01-15 12:00:00", 1, 14 },
	{ "IST-1GMT0,M10.5.0,M3.5.0/1", 1721044800LL, 3600, 0,
	    "2024-07-15 13:00:00", 1, 196 },
	/* Jn skips Feb 29: J60 is Mar 1; n counts it: 59 is Feb 29. */
	{ "XXX0YYY,J60/0,J300/0", 1709251199LL, 0, 0,
	    "2024-02-29 23:59:59", 4, 59 },
	{ "XXX0YYY,J60/0,J300/0", 1709251200LL, 3600, 1,
	    "2024-03-01 01:00:00", 5, 60 },
	{ "XXX0YYY,J60/0,J300/0", 1677628800LL, 3600, 1,
	    "2023-03-01 01:00:00", 3, 59 },
	{ "XXX0YYY,59/0,300/0", 1709164799LL, 0, 0,
	    "2024-02-28 23:59:59", 3, 58 },
	{ "XXX0YYY,59/0,300/0", 1709164800LL, 3600, 1,
	    "2024-02-29 01:00:00", 4, 59 },
	{ "XXX0YYY,59/0,300/0", 1677628800LL, 3600, 1,
	    "2023-03-01 01:00:00", 3, 59 },
	{ "XXX0YYY,59/0,300/0", 1677628799LL, 0, 0,
	    "2023-02-28 23:59:59", 2, 58 },
	{ "XXX0YYY-3,59/0,300/0", 1677628800LL, 10800, 1,
	    "2023-03-01 03:00:00", 3, 59 },
	/* RFC 8536: negative times and hours past 24 up to 167. */
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1711846799LL, -7200, 0,
	    "2024-03-30 22:59:59", 6, 89 },
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1711846800LL, -3600, 1,
	    "2024-03-31 00:00:00", 0, 90 },
	{ "EET-2EEST,M3.4.4/50,M10.4.4/50", 1711756799LL, 7200, 0,
	    "2024-03-30 01:59:59", 6, 89 },
	{ "EET-2EEST,M3.4.4/50,M10.4.4/50", 1711756800LL, 10800, 1,
	    "2024-03-30 03:00:00", 6, 89 },
	{ "XXX0YYY,M3.1.0/167,M10.1.0/-167", 1710025199LL, 0, 0,
	    "2024-03-09 22:59:59", 6, 68 },
	{ "XXX0YYY,M3.1.0/167,M10.1.0/-167", 1710025200LL, 3600, 1,
	    "2024-03-10 00:00:00", 0, 69 },
	{ "XXX0YYY,M3.1.0/167,M10.1.0/-167", 1727654399LL, 0, 0,
	    "2024-09-29 23:59:59", 0, 272 },
	{ "XXX0YYY,M3.1.0/167,M10.1.0/-167", 1727654400LL, 0, 0,
	    "2024-09-30 00:00:00", 1, 273 },
	/* Far years, and odd offsets. */
	{ "CET-1CEST,M3.5.0,M10.5.0/3", -623890801LL, 3600, 0,
	    "1950-03-26 01:59:59", 0, 84 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", -623890800LL, 7200, 1,
	    "1950-03-26 03:00:00", 0, 84 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", -615513600LL, 7200, 1,
	    "1950-07-01 02:00:00", 6, 181 },
	{ "NZST-12NZDT,M9.5.0,M4.1.0/3", -2208988800LL, 46800, 1,
	    "1900-01-01 13:00:00", 1, 0 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 253402300799LL, 3600, 0,
	    "10000-01-01 00:59:59", 6, 0 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 253386403200LL, 7200, 1,
	    "9999-07-01 02:00:00", 4, 181 },
	{ "<+0545>-5:45", 1717200000LL, 20700, 0,
	    "2024-06-01 05:45:00", 6, 152 },
	{ "<-0930>9:30", -1LL, -34200, 0, "1969-12-31 14:29:59", 3, 364 },
	{ "NST3:30NDT,M3.2.0,M11.1.0", 1717200000LL, -9000, 1,
	    "2024-05-31 21:30:00", 5, 151 },
	/* DST all year: J365/25 ends as the next year begins. */
	{ "EST5EDT,0/0,J365/25", 1704067200LL, -14400, 1,
	    "2023-12-31 20:00:00", 0, 364 },
	{ "EST5EDT,0/0,J365/25", 1735689599LL, -14400, 1,
	    "2024-12-31 19:59:59", 2, 365 },
	{ "EST5EDT,0/0,J365/25", 1688169600LL, -14400, 1,
	    "2023-06-30 20:00:00", 5, 180 },
	/* No DST: the offset everywhere. */
	{ "UTC0", 0LL, 0, 0, "1970-01-01 00:00:00", 4, 0 },
	{ "<+14>-14", -1LL, 50400, 0, "1970-01-01 13:59:59", 4, 0 },
};

static void
test_tzrule_time_table(void **state)
{
	struct tzrule r;
	struct tm tm;
	char buf[64];
	long off;
	int isdst;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(time_cases); i++) {
		const struct time_case *tc = &time_cases[i];

		if (tzrule_parse(tc->spec, &r) != 0)
			fail_msg("case %zu \"%s\": no parse", i, tc->spec);
		off = tzrule_offset(&r, tc->t, &isdst);
		if (off != tc->off || isdst != tc->isdst)
			fail_msg("case %zu \"%s\" %lld: offset %ld/%d, want "
			    "%ld/%d", i, tc->spec, tc->t, off, isdst, tc->off,
			    tc->isdst);
		assert_int_equal(tzrule_offset(&r, tc->t, NULL), tc->off);
		tzrule_localtime(&r, tc->t, &tm, &off);
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		if (strcmp(buf, tc->local) != 0 || off != tc->off ||
		    tm.tm_isdst != tc->isdst || tm.tm_wday != tc->wday ||
		    tm.tm_yday != tc->yday)
			fail_msg("case %zu \"%s\" %lld: %s %ld isdst %d "
			    "wday %d yday %d, want %s %ld %d %d %d", i,
			    tc->spec, tc->t, buf, off, tm.tm_isdst, tm.tm_wday,
			    tm.tm_yday, tc->local, tc->off, tc->isdst,
			    tc->wday, tc->yday);
		tzrule_localtime(&r, tc->t, &tm, NULL);	/* may be NULL */
		assert_int_equal(tm.tm_isdst, tc->isdst);
	}
}

/* The instants at the bounds are taken as the bounds: no overflow. */
static void
test_tzrule_extreme_instants(void **state)
{
	struct tzrule r;
	struct tm tm;
	long off;

	(void)state;
	assert_int_equal(tzrule_parse("CET-1CEST,M3.5.0,M10.5.0/3", &r), 0);
	tzrule_localtime(&r, INT64_MAX, &tm, &off);
	tzrule_localtime(&r, INT64_MIN, &tm, &off);
	assert_int_equal(tzrule_offset(&r, INT64_MAX, NULL),
	    tzrule_offset(&r, 1LL << 55, NULL));
	assert_int_equal(tzrule_offset(&r, INT64_MIN, NULL),
	    tzrule_offset(&r, -(1LL << 55), NULL));
}

/*
 * The comparison with glibc.  Each instant is converted both ways and
 * every field compared; where either side changes offset between two
 * samples, the change is found by bisection and the second before it,
 * the second of it and the second after compared too.
 */
#define CMP_FROM	1577836800LL	/* 2020-01-01 00:00:00 UTC */
#define CMP_TO		2240611200LL	/* 2041-01-01 00:00:00 UTC */
#define CMP_STEP	(3 * 3600LL + 37)	/* every second of the hour */
#define CMP_FAR		400	/* instants spread over 1970..9999 */

struct cmp {
	const char		*spec;
	struct tzrule		 r;
	unsigned long		 instants;
	unsigned long		 bad;		/* instants that differ */
	long long		 state[2];	/* at the last: tzrule, glibc */
	char			 first[512];	/* how the first differs */
};

static void
cmp_instant(struct cmp *c, long long t)
{
	time_t tt = (time_t)t;
	struct tm g, m;
	long off;

	c->instants++;
	tzrule_localtime(&c->r, t, &m, &off);
	if (localtime_r(&tt, &g) == NULL)
		memset(&g, 0, sizeof(g));
	c->state[0] = off * 2LL + m.tm_isdst;
	c->state[1] = g.tm_gmtoff * 2LL + (g.tm_isdst > 0);
	if (g.tm_year != m.tm_year || g.tm_mon != m.tm_mon ||
	    g.tm_mday != m.tm_mday || g.tm_hour != m.tm_hour ||
	    g.tm_min != m.tm_min || g.tm_sec != m.tm_sec ||
	    g.tm_wday != m.tm_wday || g.tm_yday != m.tm_yday ||
	    g.tm_isdst != m.tm_isdst || g.tm_gmtoff != off ||
	    tzrule_offset(&c->r, t, NULL) != off) {
		if (c->bad++ > 0)
			return;
		snprintf(c->first, sizeof(c->first), "\"%s\" %lld: glibc "
		    "%04d-%02d-%02d %02d:%02d:%02d wday %d yday %d isdst %d "
		    "gmtoff %ld; tzrule "
		    "%04d-%02d-%02d %02d:%02d:%02d wday %d yday %d isdst %d "
		    "gmtoff %ld", c->spec, t, g.tm_year + 1900, g.tm_mon + 1,
		    g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec, g.tm_wday,
		    g.tm_yday, g.tm_isdst, g.tm_gmtoff, m.tm_year + 1900,
		    m.tm_mon + 1, m.tm_mday, m.tm_hour, m.tm_min, m.tm_sec,
		    m.tm_wday, m.tm_yday, m.tm_isdst, off);
	}
}

/* The state of one side at t: offset and isdst in one number. */
static long long
cmp_state(struct cmp *c, int libc, long long t)
{
	time_t tt = (time_t)t;
	struct tm g;
	int isdst;
	long off;

	if (libc) {
		if (localtime_r(&tt, &g) == NULL)
			return -1;	/* no offset is odd */
		return g.tm_gmtoff * 2LL + (g.tm_isdst > 0);
	}
	off = tzrule_offset(&c->r, t, &isdst);
	return off * 2LL + isdst;
}

/* Compares around the change of one side in (lo, hi]. */
static void
cmp_change(struct cmp *c, int libc, long long lo, long long hi)
{
	long long before = cmp_state(c, libc, lo), mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (cmp_state(c, libc, mid) == before)
			lo = mid;
		else
			hi = mid;
	}
	cmp_instant(c, hi - 1);
	cmp_instant(c, hi);
	cmp_instant(c, hi + 1);
}

static void
cmp_rule(struct cmp *c)
{
	unsigned long long seed = 1;
	long long t, span = 253402300800LL, prev[2], cur[2];
	int i;

	setenv("TZ", c->spec, 1);
	tzset();	/* localtime_r need not read TZ again */
	for (t = CMP_FROM; t < CMP_TO; t += CMP_STEP) {
		memcpy(prev, c->state, sizeof(prev));
		cmp_instant(c, t);
		memcpy(cur, c->state, sizeof(cur));
		for (i = 0; i < 2; i++)
			if (t > CMP_FROM && cur[i] != prev[i])
				cmp_change(c, i, t - CMP_STEP, t);
		memcpy(c->state, cur, sizeof(cur));
	}
	for (i = 0; i < CMP_FAR; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		cmp_instant(c, (long long)((seed >> 11) %
		    (unsigned long long)span));
	}
}

/*
 * Before 1970 glibc evaluates every rule on the dates of 1970 (time/
 * tzset.c, compute_change), which is wrong; hence only instants after.
 */
static void
test_tzrule_zones_like_glibc(void **state)
{
	static struct cmp c;
	const char **seen;
	const char *saved = getenv("TZ"), *unparsed = NULL;
	char *tz = saved ? strdup(saved) : NULL, first[512] = "";
	unsigned long i, j, nseen = 0, instants = 0, bad = 0;

	(void)state;
	assert_true(zones_count > 400);
	seen = calloc(zones_count, sizeof(*seen));
	assert_non_null(seen);
	/* The function of a rule is its text: each text once. */
	for (i = 0; i < zones_count; i++) {
		for (j = 0; j < nseen; j++)
			if (strcmp(seen[j], zones[i].rule) == 0)
				break;
		memset(&c, 0, sizeof(c));
		c.spec = zones[i].rule;
		if (tzrule_parse(c.spec, &c.r) != 0) {
			unparsed = zones[i].name;
			break;
		}
		if (j < nseen)
			continue;
		seen[nseen++] = c.spec;
		cmp_rule(&c);
		instants += c.instants;
		if (c.bad > 0 && bad == 0)
			snprintf(first, sizeof(first), "%s", c.first);
		bad += c.bad;
	}
	if (tz != NULL)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(tz);
	free(seen);
	if (unparsed != NULL)
		fail_msg("%s: its rule does not parse", unparsed);
	if (bad > 0)
		fail_msg("%lu of %lu instants differ; first %s", bad,
		    instants, first);
	print_message("tzrule: %lu zones, %lu distinct rules, %lu instants "
	    "as glibc has them\n", zones_count, nseen, instants);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tzrule_parse_table),
		cmocka_unit_test(test_tzrule_parse_fields),
		cmocka_unit_test(test_tzrule_time_table),
		cmocka_unit_test(test_tzrule_extreme_instants),
		cmocka_unit_test(test_tzrule_zones_like_glibc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
