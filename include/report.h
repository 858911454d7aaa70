/*
 * report.h - rows of scheduled_reports, the table the sync job writes.
 *
 * sendreports reads every column and writes only sent, sent_at,
 * last_error (and, for recurring reports, scheduled_at), each only where
 * the table has it (table.h).  Every write is
 * guarded by the row's scheduled_at, so a row that the sync job changed
 * under us is never marked for an occurrence it no longer has.
 */
#ifndef SENDREPORTS_REPORT_H
#define SENDREPORTS_REPORT_H

#include <stddef.h>

#include "buf.h"
#include "db.h"

struct report {
	long long	 id;
	char		*title;
	char		*recipients;
	char		*cc;		/* or NULL */
	char		*bcc;		/* or NULL */
	char		*subject;	/* or NULL: the title */
	char		*body;		/* or NULL: [mail] default_body */
	char		*scheduled_at;	/* as stored */
	char		*occurrence;	/* scheduled_at normalised to UTC
					   "YYYY-MM-DD HH:MM:SS", or NULL
					   when it is not a time */
	int		 sent;
	char		*sent_at;	/* or NULL */
	char		*pdf_path;	/* or NULL */
	char		*report_data;	/* or NULL; see report_load() */
	int		 has_data;	/* report_data is set and not empty */
	char		*schedule;	/* or NULL: once */
	char		*timezone;	/* or NULL */
	char		*last_error;	/* or NULL */
};

/* Frees the strings of r; safe twice. */
void		report_release(struct report *r);

/*
 * Collects the ids of the reports due at `now` (database UTC text):
 * sent = 0 and scheduled_at <= now, oldest first, through the partial
 * index.  *ids is malloc'ed (caller frees), *n its length.
 */
enum db_status	report_due_ids(struct db *db, const char *now,
		    long long **ids, size_t *n, struct buf *err);

/*
 * "SELECT what FROM <the table> WHERE sent = 0 AND cond" into *sql,
 * initialised here (cond NULL: none; the caller releases sql on DB_OK).
 * Straight from the table, not through temp.reports: the due reports are
 * the query of every tick, on required columns only, and making the view
 * costs a fifth of an idle tick (table.h).  What the view makes of
 * scheduled_at ('' as NULL) changes nothing in datetime(); an ORDER BY
 * says NULLIF(scheduled_at, '') itself.  DB_OK, or DB_ERROR.
 */
enum db_status	report_due_sql(struct db *db, struct buf *sql,
		    const char *what, const char *cond, struct buf *err);

/*
 * Loads report `id`.  report_data is loaded only when with_data is set:
 * it may be large and most callers do not need it.  Returns DB_OK,
 * DB_NOTFOUND (the row is gone), DB_TEMPFAIL or DB_ERROR.
 */
enum db_status	report_load(struct db *db, long long id, int with_data,
		    struct report *r, struct buf *err);

/*
 * Marks the occurrence r->scheduled_at of report r spooled: sent = 1,
 * sent_at, last_error = error, or none when error is NULL (a repair
 * keeps why the message was not delivered).  One statement: in the
 * caller's transaction, if any.
 */
enum db_status	report_mark_sent(struct db *db, const struct report *r,
		    const char *sent_at, const char *error, struct buf *err);

/*
 * Gives report r up: sent = 1 and last_error = error, so it is not retried
 * forever, as the old send_scheduled_reports did.
 */
enum db_status	report_mark_given_up(struct db *db, const struct report *r,
		    const char *error, struct buf *err);

/*
 * Moves recurring report r on to its next occurrence: scheduled_at = next
 * (UTC text), sent stays 0, sent_at when not NULL (the occurrence was
 * spooled), last_error = error (NULL after a success).  Guarded like the
 * others: DB_NOTFOUND when the row changed meanwhile.
 */
enum db_status	report_advance(struct db *db, const struct report *r,
		    const char *next, const char *sent_at, const char *error,
		    struct buf *err);

/* Sets last_error and leaves the report unsent, for the next run. */
enum db_status	report_set_error(struct db *db, const struct report *r,
		    const char *error, struct buf *err);

#endif
