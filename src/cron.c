/*
 * cron.c - cron expressions and their next occurrence (cron.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "timeutil.h"

#define CRON_SEARCH_DAYS	(366 * 8 + 2)	/* Feb 29 comes back */
/* What separates fields: any white space, so that a schedule column
 * ending in a line break ("0 8 * * *\r\n") still reads. */
#define CRON_SPACE		" \t\r\n\v\f"
#define CRON_QUOTE_MAX		40	/* bytes of the text quoted in errors */

struct cron_field {
	const char	*name;
	int		 min, max;
	const char	*const *names;	/* names[i] is value min + i */
};

static const char *const cron_months[] = { "jan", "feb", "mar", "apr",
	"may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const cron_days[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat", NULL };

static const struct cron_field cron_fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, cron_months },
	{ "day of week", 0, 7, cron_days }
};

static const struct {
	const char	*name;
	const char	*expr;
} cron_macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/*
 * Appends the len bytes at s, cut at CRON_QUOTE_MAX, quoted, with control
 * characters escaped: the reason goes to last_error and the log as one
 * line whatever the schedule column held.
 */
static void
cron_quote(struct buf *err, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	buf_putc(err, '"');
	for (i = 0; i < len && i < CRON_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			buf_puts(err, "\\x");
			buf_putc(err, hex[c >> 4]);
			buf_putc(err, hex[c & 15]);
		} else
			buf_putc(err, c);
	}
	if (len > CRON_QUOTE_MAX)
		buf_puts(err, "...");
	buf_putc(err, '"');
}

/* Reads a number or a name of field f at *pp. */
static int
cron_value(const struct cron_field *f, const char **pp, int *out)
{
	const char *p = *pp;
	long v;
	int i;

	if (isdigit((unsigned char)*p)) {
		v = 0;
		while (isdigit((unsigned char)*p) && v < 1000)
			v = v * 10 + (*p++ - '0');
		if (isdigit((unsigned char)*p))
			return -1;
		*out = (int)v;
		*pp = p;
		return 0;
	}
	if (f->names == NULL)
		return -1;
	for (i = 0; f->names[i]; i++)
		if (strncasecmp(p, f->names[i], 3) == 0 &&
		    !isalpha((unsigned char)p[3])) {
			*out = f->min + i;
			*pp = p + 3;
			return 0;
		}
	return -1;
}

/* Parses one field (text of len bytes) into the bits of *bits. */
static int
cron_field_parse(const struct cron_field *f, const char *text, size_t len,
    uint64_t *bits, struct buf *err)
{
	char item[64], *save = NULL, *tok;
	char copy[256];
	const char *p;
	int lo, hi, step, v;

	*bits = 0;
	if (len >= sizeof(copy))
		goto bad;
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (tok = strtok_r(copy, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		/* Cut, "000...0005x" would read as the zeros before x. */
		if (strlen(tok) >= sizeof(item))
			goto bad;
		snprintf(item, sizeof(item), "%s", tok);
		p = item;
		step = 1;
		if (*p == '*') {
			lo = f->min;
			hi = f->max == 7 ? 6 : f->max;
			p++;
		} else {
			if (cron_value(f, &p, &lo) == -1)
				goto bad;
			hi = lo;
			if (*p == '-') {
				p++;
				if (cron_value(f, &p, &hi) == -1)
					goto bad;
			}
		}
		if (*p == '/') {
			p++;
			if (cron_value(&cron_fields[0], &p, &step) == -1 ||
			    step < 1)
				goto bad;
			/* "5/15" means 5-max/15, as in Vixie cron. */
			if (hi == lo && text[0] != '*' && item[0] != '*')
				hi = f->max == 7 ? 6 : f->max;
		}
		if (*p != '\0')
			goto bad;
		if (lo < f->min || hi > f->max || lo > hi) {
			buf_printf(err, "%s ", f->name);
			cron_quote(err, text, len);
			buf_printf(err, ": out of range %d-%d", f->min,
			    f->max);
			return -1;
		}
		for (v = lo; v <= hi; v += step)
			*bits |= (uint64_t)1 << (f->max == 7 && v == 7 ? 0 : v);
	}
	if (*bits == 0)
		goto bad;
	return 0;
bad:
	buf_printf(err, "%s ", f->name);
	cron_quote(err, text, len);
	buf_puts(err, ": not a cron field");
	return -1;
}

int
cron_parse(struct cron *c, const char *expr, struct buf *err)
{
	const char *p, *start;
	uint64_t bits[5];
	size_t i, n = 0;

	memset(c, 0, sizeof(*c));
	while (isspace((unsigned char)*expr))
		expr++;
	if (*expr == '@') {
		size_t len = strcspn(expr, CRON_SPACE);

		for (i = 0; i < sizeof(cron_macros) / sizeof(cron_macros[0]);
		    i++)
			if (strlen(cron_macros[i].name) == len &&
			    strncasecmp(expr, cron_macros[i].name, len) == 0 &&
			    expr[len + strspn(expr + len, CRON_SPACE)] == '\0')
				return cron_parse(c, cron_macros[i].expr, err);
		cron_quote(err, expr, strlen(expr));
		buf_puts(err, ": not a cron expression (an unknown @ name)");
		return -1;
	}
	for (p = expr; *p && n < 6; n++) {
		start = p;
		p += strcspn(p, CRON_SPACE);
		if (n < 5 && cron_field_parse(&cron_fields[n], start,
		    (size_t)(p - start), &bits[n], err) == -1)
			return -1;
		if (n == 2)
			c->dom_star = *start == '*';
		if (n == 4)
			c->dow_star = *start == '*';
		p += strspn(p, CRON_SPACE);
	}
	if (n != 5) {
		cron_quote(err, expr, strlen(expr));
		buf_printf(err, ": a cron expression has 5 fields (minute "
		    "hour day-of-month month day-of-week), not %zu", n);
		return -1;
	}
	c->minute = bits[0];
	c->hour = (uint32_t)bits[1];
	c->dom = (uint32_t)bits[2];
	c->month = (uint16_t)bits[3];
	c->dow = (uint8_t)bits[4];
	return 0;
}

/* Whether the civil day matches, with cron's rule for the two day fields. */
static int
cron_day_matches(const struct cron *c, const struct tm *day)
{
	int dom = (c->dom >> day->tm_mday) & 1;
	int dow = (c->dow >> day->tm_wday) & 1;

	if (!((c->month >> (day->tm_mon + 1)) & 1))
		return 0;
	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

int
cron_next(const struct cron *c, const char *zone, time_t after, time_t *next)
{
	struct time_zone_scope sc;
	struct tm start, day, wall;
	time_t noon, t;
	int d, h, m, first;

	if (time_zone_enter(zone, &sc) == -1)
		return -1;
	localtime_r(&after, &start);
	for (d = 0; d < CRON_SEARCH_DAYS; d++) {
		/* Civil day arithmetic at noon, clear of any DST jump. */
		memset(&day, 0, sizeof(day));
		day.tm_year = start.tm_year;
		day.tm_mon = start.tm_mon;
		day.tm_mday = start.tm_mday + d;
		day.tm_hour = 12;
		day.tm_isdst = -1;
		noon = mktime(&day);
		localtime_r(&noon, &day);
		if (!cron_day_matches(c, &day))
			continue;
		first = d == 0;
		for (h = first ? start.tm_hour : 0; h < 24; h++) {
			if (!((c->hour >> h) & 1))
				continue;
			for (m = first && h == start.tm_hour ? start.tm_min :
			    0; m < 60; m++) {
				if (!((c->minute >> m) & 1))
					continue;
				wall = day;
				wall.tm_hour = h;
				wall.tm_min = m;
				wall.tm_sec = 0;
				t = time_local_instant(&wall);
				/* Strictly after; a time met twice in a
				 * fold already ran the first time. */
				if (t > after) {
					*next = t;
					time_zone_leave(&sc);
					return 0;
				}
			}
		}
	}
	time_zone_leave(&sc);
	return -1;
}
