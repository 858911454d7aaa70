/*
 * timeutil.h - the times of the command line and of the database.
 *
 * The database holds UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]", as Django
 * writes it into SQLite.  The command line takes "YYYY-MM-DD HH:MM[:SS]" in
 * a named IANA zone, or ISO 8601 with "Z" or an offset.  Nothing here reads
 * the clock: callers pass the time they mean.
 */
#ifndef SENDREPORTS_TIMEUTIL_H
#define SENDREPORTS_TIMEUTIL_H

#include <stddef.h>
#include <time.h>

#include "os_time.h"

#define TIME_DB_LEN	20	/* "YYYY-MM-DD HH:MM:SS" and its NUL */

/*
 * Parses a command-line time; a time without "Z" or an offset is read in
 * `zone` (an IANA name; NULL or "" for UTC).  Returns 0 and sets *out, or -1
 * when the text is not such a time or the zone is unknown.
 */
int	time_parse(const char *text, const char *zone, time_t *out);

/* Parses the database's UTC text (fractions of seconds ignored).  0 or -1. */
int	time_parse_db(const char *text, time_t *out);

/* Writes t as the database's UTC text into out[TIME_DB_LEN]. */
void	time_format_db(time_t t, char out[TIME_DB_LEN]);

/* Writes t as "20261123T080000Z", for names and ids, into out[17]. */
void	time_format_compact(time_t t, char out[17]);

/*
 * Writes t as local time in `zone` ("2026-11-23 09:00 CET") into out.
 * Returns 0, or -1 when the zone is unknown or out is too small.
 */
int	time_format_local(time_t t, const char *zone, char *out, size_t size);

/*
 * Returns 0 when `zone` names a time zone known to this box (its zoneinfo
 * directory, $TZDIR or /usr/share/zoneinfo) or to this binary (the rules
 * of every zone of tzdata are compiled in, for boxes without zoneinfo),
 * else -1.  The box's file is used when its tzdata is not older than the
 * build's; the compiled-in rule otherwise (current rules, no history).
 */
int	time_zone_check(const char *zone);

/*
 * The box's own zone, for a configuration that names none: $TZ when it
 * names a zone time_zone_check() knows ("Europe/Paris" or ":Europe/Paris";
 * a POSIX rule such as "CET-1CEST,M3.5.0,M10.5.0/3" is not a name and is
 * passed over), else the zone the symbolic link /etc/localtime points to
 * (".../zoneinfo/Europe/Paris"), else "UTC".  Writes the name into out
 * (at least TIME_ZONE_NAME_MAX bytes) and returns where it came from, a
 * static string: "TZ", "/etc/localtime" or "default".  Never fails.
 */
#define TIME_ZONE_NAME_MAX	256
const char	*time_zone_default(char *out, size_t size);

/* The same, with the value of TZ (NULL: unset) and the path of the
 * localtime link given: what time_zone_default() does, for tests. */
const char	*time_zone_default_from(const char *tz, const char *localtime,
		    char *out, size_t size);

/* While in a scope, the C library's local time is zone's (TZ is set). */
struct time_zone_scope {
	struct os_zone_saved	saved;
};

/* Enters zone ("UTC" or NULL: UTC).  0, or -1 for an unknown zone. */
int	time_zone_enter(const char *zone, struct time_zone_scope *s);
void	time_zone_leave(struct time_zone_scope *s);

/*
 * Within a scope: the instant of the local wall time in wall (year to
 * minute; seconds ignored).  A time skipped by a forward jump (02:30 on
 * the spring-forward day) gives the instant of the jump, the first one
 * after it; a time that happens twice (fall-back) gives the first.
 */
time_t	time_local_instant(const struct tm *wall);

/* Milliseconds of the monotonic clock: durations within a run (a batch's
 * age), which a step of the wall clock must not stretch. */
long long	time_monotonic_ms(void);

#endif
