/*
 * feedback.h - what became of a report's message, back to its owner.
 *
 * The old command marked a report sent even when it failed, and the owner
 * read why in last_error in the BI application.  Here delivery happens
 * later, in flush, and may fail there: a 5xx, max_age passed, or some
 * recipients refused.  flush records the server's reply against the
 * occurrence in the state database (feedback_record); the next `send`,
 * which holds the reports database and the spool, writes it to the
 * report's last_error (sent stays 1: no endless retries) and spools a
 * short notice to [mail] notify (feedback_deliver).
 *
 * A write-back lands only on the row that was sent: same id, same title
 * and recipients, and the same occurrence for a report sent once (a
 * recurring one has moved on: its current row).  A notice is a message
 * without an occurrence, sent from the null sender: its own failure is
 * never noticed, and never bounces back to a mailbox.
 */
#ifndef SENDREPORTS_FEEDBACK_H
#define SENDREPORTS_FEEDBACK_H

#include <time.h>

#include "buf.h"
#include "db.h"

struct addr_list;
struct conf;
struct spool;

/*
 * Records, in the state database of db, that the message of the
 * occurrence was not delivered (to all), with error as the owner will
 * read it; a notice is due when `notice` is set.  The same error recorded
 * again (the message delivered again after a crash) changes nothing.
 * DB_OK (also when the occurrence is unknown), DB_TEMPFAIL or DB_ERROR.
 */
enum db_status	feedback_record(struct db *db, long long report_id,
		    const char *occurrence, const char *error, int notice,
		    struct buf *err);

/*
 * Records that the notice spooled as `name` (in queue/) is spooled: its
 * occurrence needs no other.  flush calls it before it tries a notice, as
 * it records a report's occurrence: after a crash between the spool of a
 * notice and its flag cleared (feedback_deliver), a flush that delivers
 * the notice before the next send would otherwise leave send to spool it
 * again.  DB_OK (also for a name that is no notice's), DB_TEMPFAIL or
 * DB_ERROR.
 */
enum db_status	feedback_notice_queued(struct db *db, const char *name,
		    struct buf *err);

/*
 * Does what feedback_record left to do: the reports' last_error (db holds
 * the reports and the state databases), and the notices, spooled in
 * spool from `from` (one address) to conf->notify.  Each is done once and
 * marked done.  Returns DB_OK, or DB_TEMPFAIL when the reports database
 * is busy (the rest waits for the next run), or DB_ERROR; err says why.
 */
enum db_status	feedback_deliver(struct db *db, struct spool *spool,
		    const struct conf *conf, const struct addr_list *from,
		    const char *from_domain, time_t now, struct buf *err);

#endif
