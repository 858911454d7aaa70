/*
 * queue_admin.h - what an administrator does to one message of the
 * spool, after Postfix's postsuper and postqueue: show it, hold it,
 * release it, delete it, requeue a failed one.  A message is named by its
 * spool name (the first column of `sendreports queue`).
 *
 * Each action takes the message's claim (flock on its file, as flush
 * does), so it never acts on a message a flush is delivering, and writes
 * a run log line saying what was done.  Held: a state of the message in
 * state.deliveries, left alone by flush until released.  Deleted: the run
 * log line first, then the file (and its reason, in failed/); the report
 * stays sent, and its occurrence recorded, so `send` never spools it
 * again.  Requeued: a failed message moved back to queue/ (durably, as
 * flush moves one to failed/) with its attempts reset.
 */
#ifndef SENDREPORTS_QUEUE_ADMIN_H
#define SENDREPORTS_QUEUE_ADMIN_H

#include <stdio.h>

#include "buf.h"
#include "db.h"
#include "spool.h"

enum queue_action {
	QUEUE_HOLD,
	QUEUE_RELEASE,
	QUEUE_DELETE,
	QUEUE_REQUEUE
};

/* How an action or a show went. */
enum queue_admin_status {
	QUEUE_ADMIN_OK,
	QUEUE_ADMIN_NOTFOUND,	/* no such message, or not a name */
	QUEUE_ADMIN_REFUSED,	/* not where the action applies */
	QUEUE_ADMIN_BUSY,	/* a flush is delivering it */
	QUEUE_ADMIN_IOERR	/* a file or the database failed */
};

/* The action's name, as on the command line ("hold", ...). */
const char	*queue_action_name(enum queue_action a);

/*
 * Does action a to message `name` of spool s, whose state database db
 * is open for writing; now is the run's UTC time for the run log.  0, or
 * else with err saying why.
 */
enum queue_admin_status queue_act(struct spool *s, struct db *db, enum queue_action a,
	    const char *name, const char *now, struct buf *err);

/*
 * Prints message `name` on fp: where it is (queue, held, failed), its
 * envelope, its delivery state or reason, and the message's headers;
 * times in zone.  db may be NULL (no delivery state).  QUEUE_ADMIN_OK,
 * else with err saying why.
 */
enum queue_admin_status queue_show(FILE *fp, struct spool *s, struct db *db, const char *name,
	    const char *zone, struct buf *err);

#endif
