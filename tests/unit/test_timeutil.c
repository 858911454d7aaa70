/*
 * test_timeutil.c - command-line and database times.
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

#include "timeutil.h"

struct parse_case {
	const char	*text;
	const char	*zone;
	int		 ok;
	long long	 want;	/* Unix time */
};

static const struct parse_case parse_cases[] = {
	{ "2026-11-23 08:00", "UTC", 1, 1795420800 },
	{ "2026-11-23 08:00:30", NULL, 1, 1795420830 },
	{ "2026-11-23T08:00:00Z", "Europe/Paris", 1, 1795420800 },
	{ "2026-11-23T09:00:00+01:00", NULL, 1, 1795420800 },
	{ "2026-11-23T03:00-0500", NULL, 1, 1795420800 },
	{ "2026-11-23 09:00", "Europe/Paris", 1, 1795420800 },
	{ "2026-07-01 08:00", "Europe/Paris", 1, 1782885600 },
	{ "2026-07-01 08:00", "Asia/Kolkata", 1, 1782873000 },
	{ "2024-02-29 00:00", "UTC", 1, 1709164800 },
	{ "1970-01-01 00:00:00", "UTC", 1, 0 },
	{ "2026-11-23 08:00:00.123456", "UTC", 1, 1795420800 },
	{ "2025-02-29 00:00", "UTC", 0, 0 },
	{ "2026-13-01 00:00", "UTC", 0, 0 },
	{ "2026-11-23 24:00", "UTC", 0, 0 },
	{ "2026-11-23", "UTC", 0, 0 },
	{ "tomorrow", "UTC", 0, 0 },
	{ "2026-11-23 08:00 ", "UTC", 0, 0 },
	{ "2026-11-23 08:00+", "UTC", 0, 0 },
	{ "2026-11-23 08:00", "Mars/Olympus", 0, 0 },
	{ "2026-11-23 08:00", "../../etc/passwd", 0, 0 },
};

static void
test_timeutil_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *tc = &parse_cases[i];
		time_t t = 0;
		int rc = time_parse(tc->text, tc->zone, &t);

		if ((rc == 0) != tc->ok)
			fail_msg("case %zu \"%s\": rc %d", i, tc->text, rc);
		if (tc->ok && (long long)t != tc->want)
			fail_msg("case %zu \"%s\": %lld, want %lld", i,
			    tc->text, (long long)t, tc->want);
	}
}

static void
test_timeutil_db_round_trip(void **state)
{
	char out[TIME_DB_LEN], compact[17];
	time_t t;

	(void)state;
	assert_int_equal(time_parse_db("2026-11-23 08:00:00.5", &t), 0);
	time_format_db(t, out);
	assert_string_equal(out, "2026-11-23 08:00:00");
	time_format_compact(t, compact);
	assert_string_equal(compact, "20261123T080000Z");
	assert_int_equal(time_parse_db("2026-11-23 08:00", &t), -1);
	assert_int_equal(time_parse_db("2026-11-23 08:00:00Z", &t), -1);
}

/*
 * Found by fuzz_time (tests/fuzz/corpus/time/crash-year-999): years
 * before 1000 came out unpadded ("999-01-01 00:00:00"), text that
 * time_parse_db() and SQLite's datetime() do not read back.
 */
static void
test_timeutil_format_pads_years_and_refuses_five_digits(void **state)
{
	static const char *texts[] = { "0999-01-01 00:00:00",
	    "0000-01-01 00:00:00", "0001-12-31 23:59:59",
	    "9999-12-31 23:59:59" };
	char out[TIME_DB_LEN], compact[17];
	size_t i;
	time_t t;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(time_parse_db(texts[i], &t), 0);
		time_format_db(t, out);
		assert_string_equal(out, texts[i]);
	}
	assert_int_equal(time_parse_db("0999-01-02 03:04:05", &t), 0);
	time_format_compact(t, compact);
	assert_string_equal(compact, "09990102T030405Z");
	/* Past year 9999 the text would not fit: empty, as before. */
	assert_int_equal(time_parse_db("9999-12-31 23:59:59", &t), 0);
	time_format_db(t + 1, out);
	assert_string_equal(out, "");
	time_format_compact(t + 1, compact);
	assert_string_equal(compact, "");
	assert_int_equal(time_parse_db("0000-01-01 00:00:00", &t), 0);
	time_format_db(t - 1, out);
	assert_string_equal(out, "");
}

static void
test_timeutil_local_format_and_restores_tz(void **state)
{
	char out[64];

	(void)state;
	setenv("TZ", "UTC", 1);
	assert_int_equal(time_format_local(1795420800, "Europe/Paris", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "2026-11-23 09:00 CET");
	assert_string_equal(getenv("TZ"), "UTC");
	assert_int_equal(time_format_local(1795420800, "Nowhere/City", out,
	    sizeof(out)), -1);
}

struct default_case {
	const char	*tz;		/* TZ's value, NULL: unset */
	const char	*link;		/* where localtime points, NULL: no
					   link (a plain file) */
	const char	*want;
	const char	*source;
};

static const struct default_case default_cases[] = {
	{ "Asia/Tokyo", NULL, "Asia/Tokyo", "TZ" },
	{ ":America/New_York", "/usr/share/zoneinfo/Europe/Paris",
	    "America/New_York", "TZ" },
	{ "UTC", NULL, "UTC", "TZ" },
	{ NULL, "/usr/share/zoneinfo/Europe/Paris", "Europe/Paris",
	    "/etc/localtime" },
	{ "", "../usr/share/zoneinfo/Asia/Kolkata", "Asia/Kolkata",
	    "/etc/localtime" },
	{ NULL, "/usr/share/zoneinfo/posix/Europe/Berlin", "Europe/Berlin",
	    "/etc/localtime" },
	/* A POSIX rule is no zone name: the link decides. */
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "/usr/share/zoneinfo/Europe/Rome",
	    "Europe/Rome", "/etc/localtime" },
	{ "Mars/Olympus", "/usr/share/zoneinfo/Mars/Olympus", "UTC",
	    "default" },
	{ NULL, "/somewhere/else", "UTC", "default" },
	{ NULL, NULL, "UTC", "default" },
	{ "../../etc/passwd", NULL, "UTC", "default" },
};

static void
test_timeutil_default_zone_is_the_boxs(void **state)
{
	char dir[] = "/tmp/test_timeutil.XXXXXX", link[64], zone[256];
	const char *src;
	size_t i;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/localtime", dir);
	for (i = 0; i < sizeof(default_cases) / sizeof(default_cases[0]);
	    i++) {
		const struct default_case *tc = &default_cases[i];

		unlink(link);
		if (tc->link != NULL)
			assert_int_equal(symlink(tc->link, link), 0);
		else {
			/* A copied zone file: its name is not known. */
			assert_non_null(fp = fopen(link, "w"));
			fputs("TZif2", fp);
			assert_int_equal(fclose(fp), 0);
		}
		src = time_zone_default_from(tc->tz, link, zone,
		    sizeof(zone));
		if (strcmp(zone, tc->want) != 0 || strcmp(src, tc->source) != 0)
			fail_msg("case %zu: %s from %s, want %s from %s", i,
			    zone, src, tc->want, tc->source);
	}
	/* No localtime at all. */
	unlink(link);
	src = time_zone_default_from(NULL, link, zone, sizeof(zone));
	assert_string_equal(zone, "UTC");
	assert_string_equal(src, "default");
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeutil_parse_table),
		cmocka_unit_test(test_timeutil_db_round_trip),
		cmocka_unit_test(
		    test_timeutil_format_pads_years_and_refuses_five_digits),
		cmocka_unit_test(test_timeutil_local_format_and_restores_tz),
		cmocka_unit_test(test_timeutil_default_zone_is_the_boxs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
