/*
 * fuzz_cron.c - cron expressions (cron.c): the parser, and the next
 * occurrence in a zone, daylight saving included.
 *
 * The input is up to three lines:
 *	expression
 *	zone		(optional; empty: UTC)
 *	after		(optional; a time as --now takes it, in UTC)
 * "after" is kept between 1970 and 2100 (bounded time: the search must
 * end quickly, and the C library's calendar is exact there).
 *
 * Invariants: a refused expression has a one-line reason; an accepted
 * one sets only bits inside each field's range and none empty.  The next
 * occurrence is strictly after "after", within eight years, and is the
 * one a plain reference finds when it is near (within 40 days): every
 * local day in order, every matching minute of it, its first instant
 * (time_local_instant: a skipped minute runs at the jump, a repeated one
 * the first time).  The occurrence after that one is later again.
 */
#include "fuzz.h"

#include "cron.h"
#include "timeutil.h"

#define FUZZ_AFTER_DEFAULT	1795420800	/* 2026-11-23 08:00:00 */
#define FUZZ_AFTER_MAX		4102444800LL	/* 2100-01-01 */
#define FUZZ_REF_DAYS		40

/* cron.h's rule for the two day fields, written again. */
static int
fuzz_cron_day(const struct cron *c, const struct tm *d)
{
	int dom = (c->dom >> d->tm_mday) & 1, dow = (c->dow >> d->tm_wday) & 1;

	if (!((c->month >> (d->tm_mon + 1)) & 1))
		return 0;
	return c->dom_star || c->dow_star ? dom && dow : dom || dow;
}

/*
 * The first occurrence after `after` within FUZZ_REF_DAYS local days, in
 * the zone scope the caller entered; 0 when there is none that near.
 */
static time_t
fuzz_cron_reference(const struct cron *c, time_t after)
{
	struct tm start, day, wall;
	time_t t, noon;
	int d, h, m;

	localtime_r(&after, &start);
	for (d = 0; d < FUZZ_REF_DAYS; d++) {
		/* The calendar of day d, from the UTC calendar (no zone). */
		memset(&day, 0, sizeof(day));
		day.tm_year = start.tm_year;
		day.tm_mon = start.tm_mon;
		day.tm_mday = start.tm_mday + d;
		day.tm_hour = 12;
		noon = timegm(&day);
		gmtime_r(&noon, &day);
		if (!fuzz_cron_day(c, &day))
			continue;
		for (h = 0; h < 24; h++) {
			if (!((c->hour >> h) & 1))
				continue;
			for (m = 0; m < 60; m++) {
				if (!((c->minute >> m) & 1))
					continue;
				wall = day;
				wall.tm_hour = h;
				wall.tm_min = m;
				wall.tm_sec = 0;
				wall.tm_isdst = -1;
				if ((t = time_local_instant(&wall)) > after)
					return t;
			}
		}
	}
	return 0;
}

static void
fuzz_cron_parsed(const struct cron *c)
{
	FUZZ_CHECK(c->minute && !(c->minute >> 60), "minute %llx",
	    (unsigned long long)c->minute);
	FUZZ_CHECK(c->hour && !(c->hour >> 24), "hour %x", c->hour);
	FUZZ_CHECK(c->dom && !(c->dom & 1), "day of month %x", c->dom);
	FUZZ_CHECK(c->month && !(c->month & 1) && !(c->month >> 13),
	    "month %x", c->month);
	FUZZ_CHECK(c->dow && !(c->dow >> 7), "day of week %x", c->dow);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size), *zone = NULL, *when = NULL;
	char *nl;
	struct time_zone_scope sc;
	struct cron c;
	struct buf err;
	time_t after = FUZZ_AFTER_DEFAULT, next, next2, ref;

	if ((nl = strchr(text, '\n')) != NULL) {
		*nl = '\0';
		zone = nl + 1;
		if ((nl = strchr(zone, '\n')) != NULL) {
			*nl = '\0';
			when = nl + 1;
			when[strcspn(when, "\n")] = '\0';
		}
	}
	if (when && time_parse(when, NULL, &after) == -1)
		after = FUZZ_AFTER_DEFAULT;
	if (after < 0 || (long long)after > FUZZ_AFTER_MAX)
		after = FUZZ_AFTER_DEFAULT;
	if (zone && *zone == '\0')
		zone = NULL;

	buf_init(&err, 4096);
	if (cron_parse(&c, text, &err) == -1) {
		FUZZ_CHECK(err.len > 0 && strpbrk(err.data, "\r\n") == NULL,
		    "reason \"%s\"", err.data);
		goto out;
	}
	fuzz_cron_parsed(&c);
	if (cron_next(&c, zone, after, &next) == -1)
		goto out;	/* unknown zone, or never (Feb 30) */
	FUZZ_CHECK(next > after, "next %lld <= after %lld", (long long)next,
	    (long long)after);
	FUZZ_CHECK(next - after <= (366 * 8 + 3) * 86400LL,
	    "next %lld too far after %lld", (long long)next,
	    (long long)after);
	FUZZ_CHECK(time_zone_enter(zone, &sc) == 0, "zone entered once");
	ref = fuzz_cron_reference(&c, after);
	time_zone_leave(&sc);
	FUZZ_CHECK(ref == 0 ? next - after > (FUZZ_REF_DAYS - 2) * 86400LL :
	    ref == next, "\"%s\" in %s after %lld: next %lld, reference %lld",
	    text, zone ? zone : "UTC", (long long)after, (long long)next,
	    (long long)ref);
	FUZZ_CHECK(cron_next(&c, zone, next, &next2) == -1 || next2 > next,
	    "the occurrence after %lld is %lld", (long long)next,
	    (long long)next2);
out:
	buf_release(&err);
	free(text);
	return 0;
}
