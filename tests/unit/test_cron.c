/*
 * test_cron.c - the cron parser and the next-occurrence arithmetic, across
 * the DST changes of 2026 and 2027 in five kinds of zone, with the box's
 * zoneinfo and again with none (the rules compiled into the binary).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cron.h"
#include "timeutil.h"

static time_t
utc(const char *text)
{
	time_t t;

	assert_int_equal(time_parse_db(text, &t), 0);
	return t;
}

static void
test_parse_valid(void **state)
{
	static const char *const ok[] = {
		"0 8 * * 1", "*/15 * * * *", "0 9 1-5 * mon-fri",
		"@daily", "@hourly", "@weekly", "@monthly", "@yearly",
		"0 0 * jan,jul sun", "0 0 1 * 7", "5/20 1-3,22 * * *",
		"  0   8  *  *  *  ", "0 0 1-31/2 * *", "0 12 * DEC Fri",
		/* A column written with its line end (fuzz_cron). */
		"0 8 * * *\r\n", "@daily\n", "0\t8\v*\f*\r*",
	};
	struct cron c;
	struct buf err;
	size_t i;

	(void)state;
	buf_init(&err, 1024);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		buf_reset(&err);
		if (cron_parse(&c, ok[i], &err) != 0)
			fail_msg("\"%s\": %s", ok[i], err.data);
	}
	assert_int_equal(cron_parse(&c, "5/20 * * * *", &err), 0);
	assert_true(c.minute == ((1ULL << 5) | (1ULL << 25) | (1ULL << 45)));
	assert_int_equal(cron_parse(&c, "0 0 * * 7", &err), 0);
	assert_int_equal(c.dow, 1);	/* 7 is Sunday, bit 0 */
	buf_release(&err);
}

static void
test_parse_invalid_names_the_field(void **state)
{
	static const struct {
		const char *expr, *words;
	} bad[] = {
		{ "", "5 fields" },
		{ "0 8 * *", "5 fields" },
		{ "0 8 * * * *", "5 fields" },
		{ "60 * * * *", "minute \"60\": out of range 0-59" },
		{ "* 24 * * *", "hour \"24\": out of range" },
		{ "* * 0 * *", "day of month \"0\"" },
		{ "* * * 13 *", "month \"13\"" },
		{ "* * * * 8", "day of week \"8\"" },
		{ "*/0 * * * *", "minute \"*/0\"" },
		{ "a * * * *", "minute \"a\": not a cron field" },
		{ "5-1 * * * *", "minute \"5-1\"" },
		{ "1- * * * *", "minute \"1-\"" },
		{ "* * * foo *", "month \"foo\"" },
		{ "@sometimes", "unknown @ name" },
		{ "@daily 5", "unknown @ name" },
		/* Found by fuzz_cron: the reason quoted control characters
		 * as they were, a CR among them. */
		{ "59 \r2- 31 12 7", "hour \"2-\": not a cron field" },
		{ "0 \x01 * * *", "hour \"\\x01\": not a cron field" },
		{ "@daily\x1b[2J", "\"@daily\\x1b[2J\": not a cron" },
		{ "* * * *\x7f *", "month \"*\\x7f\"" },
		/* A list item past 63 bytes was cut, and its leading zeros
		 * read as minute 0. */
		{ "00000000000000000000000000000000000000000000000000000000"
		    "000000000005x * * * *", "minute \"0000" },
	};
	struct cron c;
	struct buf err;
	size_t i;

	(void)state;
	buf_init(&err, 1024);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&err);
		if (cron_parse(&c, bad[i].expr, &err) != -1)
			fail_msg("\"%s\" was accepted", bad[i].expr);
		if (strstr(err.data, bad[i].words) == NULL)
			fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].expr,
			    err.data, bad[i].words);
		if (strpbrk(err.data, "\r\n") != NULL)
			fail_msg("\"%s\": \"%s\" is not one line",
			    bad[i].expr, err.data);
	}
	buf_release(&err);
}

/* zone, expression, after (UTC), the next occurrence (UTC). */
static const struct {
	const char *zone, *expr, *after, *next;
} cases[] = {
	/* Paris, spring forward 2026-03-29 02:00 CET -> 03:00 CEST: 02:30
	 * does not exist and runs at the jump, 01:00 UTC. */
	{ "Europe/Paris", "30 2 * * *", "2026-03-28 12:00:00",
	    "2026-03-29 01:00:00" },
	{ "Europe/Paris", "30 2 * * *", "2026-03-29 01:00:00",
	    "2026-03-30 00:30:00" },
	{ "Europe/Paris", "0 8 * * *", "2026-03-28 12:00:00",
	    "2026-03-29 06:00:00" },
	/* Paris, fall back 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 twice,
	 * run the first time only. */
	{ "Europe/Paris", "30 2 * * *", "2026-10-24 12:00:00",
	    "2026-10-25 00:30:00" },
	{ "Europe/Paris", "30 2 * * *", "2026-10-25 00:30:00",
	    "2026-10-26 01:30:00" },
	{ "Europe/Paris", "30 * * * *", "2026-10-25 00:30:00",
	    "2026-10-25 02:30:00" },
	/* 2027: 2027-03-28 and 2027-10-31. */
	{ "Europe/Paris", "30 2 * * *", "2027-03-27 12:00:00",
	    "2027-03-28 01:00:00" },
	{ "Europe/Paris", "30 2 * * *", "2027-10-30 12:00:00",
	    "2027-10-31 00:30:00" },
	/* New York, 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC), and
	 * 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 twice. */
	{ "America/New_York", "30 2 * * *", "2026-03-07 12:00:00",
	    "2026-03-08 07:00:00" },
	{ "America/New_York", "30 1 * * *", "2026-10-31 12:00:00",
	    "2026-11-01 05:30:00" },
	{ "America/New_York", "30 1 * * *", "2026-11-01 05:30:00",
	    "2026-11-02 06:30:00" },
	{ "America/New_York", "30 2 * * *", "2027-03-13 12:00:00",
	    "2027-03-14 07:00:00" },
	{ "America/New_York", "30 1 * * *", "2027-11-06 12:00:00",
	    "2027-11-07 05:30:00" },
	/* Sydney, southern hemisphere: back 2026-04-05 03:00 AEDT -> 02:00
	 * AEST, forward 2026-10-04 02:00 AEST -> 03:00 AEDT. */
	{ "Australia/Sydney", "30 2 * * *", "2026-04-04 00:00:00",
	    "2026-04-04 15:30:00" },
	{ "Australia/Sydney", "30 2 * * *", "2026-04-04 15:30:00",
	    "2026-04-05 16:30:00" },
	{ "Australia/Sydney", "30 2 * * *", "2026-10-03 00:00:00",
	    "2026-10-03 16:00:00" },
	{ "Australia/Sydney", "30 2 * * *", "2027-04-03 00:00:00",
	    "2027-04-03 15:30:00" },
	{ "Australia/Sydney", "30 2 * * *", "2027-10-02 00:00:00",
	    "2027-10-02 16:00:00" },
	/* Kolkata, +05:30, no DST. */
	{ "Asia/Kolkata", "0 9 * * *", "2026-03-29 00:00:00",
	    "2026-03-29 03:30:00" },
	{ "Asia/Kolkata", "30 2 * * *", "2026-10-24 23:00:00",
	    "2026-10-25 21:00:00" },
	/* Tokyo, no DST: Mondays at 08:00. */
	{ "Asia/Tokyo", "0 8 * * 1", "2026-11-23 00:00:00",
	    "2026-11-29 23:00:00" },
	{ "UTC", "0 0 13 * 5", "2026-11-01 00:00:00",
	    "2026-11-06 00:00:00" },		/* the 13th OR a Friday */
	{ "UTC", "0 0 13 * *", "2026-11-01 00:00:00",
	    "2026-11-13 00:00:00" },
	{ "UTC", "0 0 29 2 *", "2026-03-01 00:00:00",
	    "2028-02-29 00:00:00" },
	{ "UTC", "*/15 * * * *", "2026-11-23 08:07:59",
	    "2026-11-23 08:15:00" },
	{ "UTC", "@monthly", "2026-12-15 00:00:00", "2027-01-01 00:00:00" },
};

static void
test_next_occurrences(void **state)
{
	struct cron c;
	struct buf err;
	char got[TIME_DB_LEN];
	time_t next;
	size_t i;

	(void)state;
	buf_init(&err, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cron_parse(&c, cases[i].expr, &err), 0);
		if (cron_next(&c, cases[i].zone, utc(cases[i].after), &next))
			fail_msg("%s \"%s\": no next", cases[i].zone,
			    cases[i].expr);
		time_format_db(next, got);
		if (strcmp(got, cases[i].next) != 0)
			fail_msg("%s \"%s\" after %s: %s, expected %s",
			    cases[i].zone, cases[i].expr, cases[i].after, got,
			    cases[i].next);
	}
	assert_int_equal(cron_parse(&c, "0 0 30 2 *", &err), 0);
	assert_int_equal(cron_next(&c, "UTC", utc("2026-01-01 00:00:00"),
	    &next), -1);
	assert_int_equal(cron_next(&c, "Mars/Olympus_Mons", 0, &next), -1);
	buf_release(&err);
}

/* A daily report goes out exactly once a local day, DST or not. */
static void
test_daily_runs_once_a_day_through_two_years(void **state)
{
	static const char *const zones[] = { "Europe/Paris",
	    "America/New_York", "Australia/Sydney", "Asia/Kolkata",
	    "Asia/Tokyo" };
	static const char *const exprs[] = { "30 2 * * *", "30 1 * * *",
	    "0 3 * * *", "0 0 * * *" };
	struct time_zone_scope sc;
	struct cron c;
	struct buf err;
	struct tm tm;
	time_t t, end = utc("2028-01-01 00:00:00");
	size_t z, e;
	int count, last_yday, last_year;

	(void)state;
	buf_init(&err, 1024);
	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++)
		for (e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
			assert_int_equal(cron_parse(&c, exprs[e], &err), 0);
			t = utc("2026-01-01 00:00:00");
			count = 0;
			last_yday = last_year = -1;
			while (cron_next(&c, zones[z], t, &t) == 0 &&
			    t < end) {
				assert_int_equal(time_zone_enter(zones[z],
				    &sc), 0);
				localtime_r(&t, &tm);
				time_zone_leave(&sc);
				if (tm.tm_yday == last_yday &&
				    tm.tm_year == last_year)
					fail_msg("%s \"%s\": twice on day %d",
					    zones[z], exprs[e], tm.tm_yday);
				last_yday = tm.tm_yday;
				last_year = tm.tm_year;
				count++;
			}
			/* 2026 and 2027: 730 days, a few hours either
			 * side in UTC. */
			if (count < 729 || count > 731)
				fail_msg("%s \"%s\": %d runs in two years",
				    zones[z], exprs[e], count);
		}
	buf_release(&err);
}

/* Without any zoneinfo, the rules compiled in give the same answers. */
static int
without_zoneinfo(void **state)
{
	static char dir[] = "/tmp/test_cron_zoneinfo.XXXXXX";

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	setenv("TZDIR", dir, 1);
	return 0;
}

static int
without_zoneinfo_done(void **state)
{
	const char *dir = getenv("TZDIR");

	(void)state;
	if (dir)
		rmdir(dir);
	unsetenv("TZDIR");
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid_names_the_field),
		cmocka_unit_test(test_next_occurrences),
		cmocka_unit_test(test_daily_runs_once_a_day_through_two_years),
	};
	const struct CMUnitTest bare[] = {
		cmocka_unit_test(test_next_occurrences),
		cmocka_unit_test(test_daily_runs_once_a_day_through_two_years),
	};
	int failed;

	unsetenv("TZ");
	failed = cmocka_run_group_tests_name("with zoneinfo", tests, NULL,
	    NULL);
	failed += cmocka_run_group_tests_name("without zoneinfo", bare,
	    without_zoneinfo, without_zoneinfo_done);
	return failed;
}
