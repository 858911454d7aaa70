/*
 * cron.h - recurring schedules: 5-field cron expressions evaluated in an
 * IANA zone, with daylight saving handled the way people expect.
 *
 * Fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or
 * jan-dec), day of week (0-7 or sun-sat; 0 and 7 are Sunday).  Each field
 * is "*", a number, a range a-b, any of those followed by a step "/n"
 * (every n-th value), or a list of those separated by commas.  @hourly @daily (@midnight) @weekly @monthly
 * @yearly (@annually) stand for their usual expressions.  When both day
 * of month and day of week are restricted (neither begins with "*"), a
 * day matching either is a match, as in cron.
 *
 * Daylight saving: a local time skipped by the spring-forward jump runs at
 * the jump (the first instant after it); a local time that happens twice
 * on the fall-back day runs once, the first time.  So a daily report goes
 * out exactly once a day.
 */
#ifndef SENDREPORTS_CRON_H
#define SENDREPORTS_CRON_H

#include <stdint.h>
#include <time.h>

#include "buf.h"

struct cron {
	uint64_t	minute;		/* bit n: minute n */
	uint32_t	hour;
	uint32_t	dom;		/* bit n: day n, 1-31 */
	uint16_t	month;		/* bit n: month n, 1-12 */
	uint8_t		dow;		/* bit n: weekday n, 0 = Sunday */
	int		dom_star;	/* the field began with "*" */
	int		dow_star;
};

/*
 * Parses expr into c.  Returns 0, or -1 with err naming the field and
 * what is wrong with it ("hour \"25\": out of range 0-23").
 */
int	cron_parse(struct cron *c, const char *expr, struct buf *err);

/*
 * The first occurrence strictly after `after`, in zone (an IANA name; NULL
 * or "UTC": UTC), into *next.  Returns 0, or -1 when the zone is unknown
 * or the expression never matches within eight years (Feb 30).
 */
int	cron_next(const struct cron *c, const char *zone, time_t after,
	    time_t *next);

#endif
