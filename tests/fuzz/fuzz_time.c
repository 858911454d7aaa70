/*
 * fuzz_time.c - the times of scheduled_at and of the command line
 * (timeutil.c), against SQLite's datetime(), which report.c uses to read
 * scheduled_at and decide what is due.
 *
 * The input is up to two lines: a time, then an optional zone name.
 * Invariants:
 *   - time_parse_db() accepts exactly the database text; what it accepts
 *     formats back to the same text (time_format_db) and SQLite's
 *     datetime() reads as the same instant, so send's occurrence and the
 *     due test agree;
 *   - time_parse() in UTC agrees with time_parse_db() where both accept,
 *     and with datetime() for "Z" and "+HH:MM" times;
 *   - in a zone, the instant is that wall time, the first of two in a
 *     fall-back fold, or the end of the spring-forward gap it fell in.
 */
#include "fuzz.h"

#include <sqlite3.h>

#include "timeutil.h"

static sqlite3 *fuzz_db;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sqlite3_open(":memory:", &fuzz_db) != SQLITE_OK)
		abort();
	return 0;
}

/* SQLite's datetime(text), or "" for NULL, into out[64]. */
static void
fuzz_datetime(const char *text, char out[64])
{
	sqlite3_stmt *st;
	const unsigned char *r;

	out[0] = '\0';
	if (sqlite3_prepare_v2(fuzz_db, "SELECT datetime(?1)", -1, &st,
	    NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (r = sqlite3_column_text(st, 0)) != NULL)
		snprintf(out, 64, "%s", (const char *)r);
	sqlite3_finalize(st);
}

/* The database text: accepted, it formats back and SQLite agrees. */
static void
fuzz_time_db(const char *text)
{
	char fmt[TIME_DB_LEN], compact[17], want[TIME_DB_LEN], sql[64];
	time_t t, t2;

	if (time_parse_db(text, &t) == -1)
		return;
	time_format_db(t, fmt);
	snprintf(want, sizeof(want), "%.19s", text);
	want[10] = ' ';
	FUZZ_CHECK(strcmp(fmt, want) == 0, "\"%s\" formats back as \"%s\"",
	    text, fmt);
	FUZZ_CHECK(time_parse_db(fmt, &t2) == 0 && t2 == t,
	    "\"%s\" does not parse back", fmt);
	time_format_compact(t, compact);
	FUZZ_CHECK(strlen(compact) == 16 && compact[8] == 'T' &&
	    compact[15] == 'Z', "compact \"%s\" of \"%s\"", compact, text);
	/*
	 * SQLite reads the fraction as a double: sixteen nines or more round
	 * up to the next second.  Django writes six digits; what the program
	 * does with scheduled_at always goes through datetime() first.
	 */
	if (strlen(text) > 20 + 9)
		return;
	fuzz_datetime(text, sql);
	FUZZ_CHECK(strcmp(sql, fmt) == 0, "datetime(\"%s\") is \"%s\", "
	    "not \"%s\"", text, sql, fmt);
}

/* Whether the UTC offset changes at t: t is the first instant after it. */
static int
fuzz_is_jump(time_t t)
{
	struct tm a, b;
	time_t p = t - 1;

	localtime_r(&p, &a);
	localtime_r(&t, &b);
	return a.tm_gmtoff != b.tm_gmtoff;
}

static int
fuzz_same_wall(const struct tm *a, const struct tm *b)
{
	return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon &&
	    a->tm_mday == b->tm_mday && a->tm_hour == b->tm_hour &&
	    a->tm_min == b->tm_min;
}

/* A command-line time in zone. */
static void
fuzz_time_cli(const char *text, const char *zone)
{
	static const time_t folds[] = { 900, 1800, 3600, 7200 };
	struct time_zone_scope sc;
	struct tm wall, got, other;
	char sql[64], fmt[TIME_DB_LEN], local[64];
	const char *rest;
	time_t t, tu, tdb, u;
	size_t i;

	if (time_parse(text, zone, &t) == -1)
		return;
	(void)time_format_local(t, zone, local, sizeof(local));
	/* Past "YYYY-MM-DD HH:MM" and its dashes: the suffix, if any. */
	rest = strlen(text) > 16 ? text + 16 + strcspn(text + 16, "Z+-") :
	    text + strlen(text);
	if (*rest != '\0') {
		/* An absolute time: the zone plays no part. */
		FUZZ_CHECK(time_parse(text, NULL, &tu) == 0 && tu == t,
		    "\"%s\" depends on the zone", text);
		/* SQLite reads offsets of at most 14 hours, as real zones
		 * have; --now may be given more (ISO 8601 allows 23:59). */
		if (strcmp(rest, "Z") == 0 || (strlen(rest) == 6 &&
		    rest[3] == ':' && strncmp(rest + 1, "14:00", 5) <= 0)) {
			time_t ts;

			fuzz_datetime(text, sql);
			time_format_db(t, fmt);
			/*
			 * A fraction of a second: SQLite computes in floating
			 * point, and with an offset it may round up to the
			 * next second where we cut it (datetime("0000-02-01
			 * 00:10:00.9999-10:13") is 10:23:01).  A second either
			 * way is the same time for a report.
			 */
			if (strchr(text, '.') != NULL && fmt[0] != '\0' &&
			    time_parse_db(sql, &ts) == 0 &&
			    (ts == t || ts == t + 1))
				return;
			FUZZ_CHECK(fmt[0] == '\0' || strcmp(sql, fmt) == 0,
			    "datetime(\"%s\") is \"%s\", not \"%s\"", text,
			    sql, fmt);
		}
		return;
	}
	if (zone == NULL || strcmp(zone, "UTC") == 0) {
		if (time_parse_db(text, &tdb) == 0)
			FUZZ_CHECK(tdb == t, "\"%s\": %lld, db %lld", text,
			    (long long)t, (long long)tdb);
		return;
	}
	/* The wall time asked for, read back from the text in UTC. */
	FUZZ_CHECK(time_parse(text, NULL, &tu) == 0, "\"%s\" in UTC", text);
	gmtime_r(&tu, &wall);
	FUZZ_CHECK(time_zone_enter(zone, &sc) == 0, "zone %s", zone);
	localtime_r(&t, &got);
	if (fuzz_same_wall(&got, &wall)) {
		/* The first of the instants showing it. */
		for (i = 0; i < sizeof(folds) / sizeof(folds[0]); i++) {
			u = t - folds[i];
			localtime_r(&u, &other);
			FUZZ_CHECK(!fuzz_same_wall(&other, &wall),
			    "\"%s\" in %s: %lld, but %lld shows it too",
			    text, zone, (long long)t, (long long)u);
		}
	} else
		FUZZ_CHECK(fuzz_is_jump(t) && t > tu - 15 * 3600 &&
		    t < tu + 15 * 3600, "\"%s\" in %s is %lld, neither that "
		    "wall time nor a jump", text, zone, (long long)t);
	time_zone_leave(&sc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size), *zone = NULL, *nl;

	if ((nl = strchr(text, '\n')) != NULL) {
		*nl = '\0';
		zone = nl + 1;
		zone[strcspn(zone, "\n")] = '\0';
		if (*zone == '\0')
			zone = NULL;
	}
	fuzz_time_db(text);
	fuzz_time_cli(text, zone);
	free(text);
	return 0;
}
