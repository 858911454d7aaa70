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

/* Returns 0 when `zone` names a time zone this box knows, else -1. */
int	time_zone_check(const char *zone);

#endif
