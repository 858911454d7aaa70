/*
 * state.h - the state database beside the spool: which report occurrences
 * became messages, and the run log.  It survives the sync job replacing
 * the reports database, which is what keeps `send` from spooling a report
 * twice when a fresh copy arrives with sent = 0.
 *
 * Every function works on the "state" schema attached by db_open() with
 * DB_STATE, inside whatever transaction the caller holds.
 */
#ifndef SENDREPORTS_STATE_H
#define SENDREPORTS_STATE_H

#include <time.h>

#include "buf.h"
#include "db.h"

/* Outcomes written to the run log. */
#define STATE_QUEUED	"queued"
#define STATE_GIVEN_UP	"given up"
#define STATE_COALESCED	"coalesced"	/* missed, folded into the next */

/*
 * Looks for the occurrence (report_id, occurrence).  Returns DB_OK and sets
 * *spooled_at (caller frees; may be NULL) when it was spooled before, and
 * *delivery_error (unless delivery_error is NULL; caller frees; NULL when
 * none) to why its message was not delivered (feedback.h); DB_NOTFOUND
 * when not, or DB_TEMPFAIL/DB_ERROR.  Without an attached state database
 * (a dry run before the first send), DB_NOTFOUND.
 */
enum db_status	state_occurrence_find(struct db *db, long long report_id,
		    const char *occurrence, char **spooled_at,
		    char **delivery_error, struct buf *err);

/*
 * Records that the occurrence became the message `message_id`, spooled as
 * queue/<spool_name> at `now`, with the title and recipients it was sent
 * with, and logs it.  DB_OK, DB_TEMPFAIL, DB_ERROR.
 */
enum db_status	state_record_queued(struct db *db, long long report_id,
		    const char *occurrence, const char *message_id,
		    const char *spool_name, const char *now, const char *title,
		    const char *recipients, struct buf *err);

/*
 * Logs the "queued" line of an occurrence recorded without one, at the
 * time it was spooled: flush records an occurrence it finds queued before
 * send did (a crash between the spool and its record).  *added is 1 when
 * the line was missing and is now written, else 0.  DB_OK, DB_TEMPFAIL,
 * DB_ERROR.
 */
enum db_status	state_log_queued_missing(struct db *db, long long report_id,
		    const char *occurrence, int *added, struct buf *err);

/* Appends a line to the run log; message_id and error may be NULL. */
enum db_status	state_log(struct db *db, long long report_id,
		    const char *occurrence, const char *now,
		    const char *outcome, const char *message_id,
		    const char *error, struct buf *err);

/*
 * Sets the small fact `key` (e.g. "last_send", UTC text) in state.meta.
 * DB_OK, DB_TEMPFAIL or DB_ERROR.
 */
enum db_status	state_meta_set(struct db *db, const char *key,
		    const char *value, struct buf *err);

/*
 * Reads the fact `key` into out (cut to size; "" when absent).  DB_OK,
 * DB_NOTFOUND (absent, or no state database attached), DB_TEMPFAIL or
 * DB_ERROR.
 */
enum db_status	state_meta_get(struct db *db, const char *key, char *out,
		    size_t size, struct buf *err);

/*
 * The queue's pause (flush.h): until when, how many in a row, and the
 * failure that caused it, kept in state.meta until a server answers.
 */
struct state_pause {
	time_t		 until;		/* 0: never paused, or answered since */
	long long	 count;		/* pauses in a row */
	char		 kind[24];	/* STATE_PAUSE_*, or "" when an earlier
					   version paused it */
	char		 reason[1024];	/* the failure, in words; may be cut */
};

/* What paused the queue. */
#define STATE_PAUSE_NETWORK	"network"	/* no network, DNS, refused,
						   greeting, EHLO, a 4xx to
						   STARTTLS or AUTH */
#define STATE_PAUSE_TLS		"tls"		/* certificate not verified,
						   STARTTLS missing */
#define STATE_PAUSE_AUTH	"authentication" /* credentials refused, or
						   AUTH demanded */
#define STATE_PAUSE_CONFIG	"configuration"	/* options flush refuses
						   before connecting */

/*
 * Reads the pause into *p (all zero and "" when there is none).  DB_OK, or
 * DB_TEMPFAIL / DB_ERROR.  Without a state database attached, DB_OK and
 * no pause.
 */
enum db_status	state_pause_get(struct db *db, struct state_pause *p,
		    struct buf *err);

/* Records *p as the pause.  DB_OK, DB_TEMPFAIL or DB_ERROR. */
enum db_status	state_pause_set(struct db *db, const struct state_pause *p,
		    struct buf *err);

/* Forgets the pause: a server answered.  DB_OK, DB_TEMPFAIL, DB_ERROR. */
enum db_status	state_pause_clear(struct db *db, struct buf *err);

/*
 * Checks the state database's structure (SQLite's quick_check).  DB_OK,
 * or DB_ERROR with the first fault found in err.
 */
enum db_status	state_check(struct db *db, struct buf *err);

#endif
