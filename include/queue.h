/*
 * queue.h - the messages of the spool and their delivery state: what
 * flush tries, and what `queue` and `status` show.
 *
 * A message is its file in queue/ (or failed/); its delivery state
 * (attempts, next try, last error) is a row of state.deliveries, which a
 * message never tried does not have.  The file is the truth: a row
 * without its file is stale and is deleted by flush (queue_prune).
 */
#ifndef SENDREPORTS_QUEUE_H
#define SENDREPORTS_QUEUE_H

#include <sys/types.h>

#include <time.h>

#include "buf.h"
#include "db.h"
#include "spool.h"

enum queue_where {
	QUEUE_QUEUED,		/* queue/: to deliver */
	QUEUE_FAILED		/* failed/: given up, kept with the reason */
};

struct queue_entry {
	char		 name[SPOOL_NAME_MAX];
	enum queue_where where;
	off_t		 size;
	time_t		 mtime;		/* when it was spooled */
	long		 attempts;
	time_t		 next_try;	/* 0: at once */
	long		 last_code;
	char		*last_error;	/* or NULL */
	int		 failed;	/* given up, in the state database:
					   its move to failed/ (queued) or
					   done (failed) */
	int		 held;		/* put on hold (queue hold): flush
					   leaves it until released */
};

struct queue_list {
	struct queue_entry	*v;
	size_t			 n;
	size_t			 ndelivered;	/* marks of delivered
						   messages in queue/ */
};

/*
 * A message delivered but not yet recorded is renamed in queue/ to
 * "." NAME QUEUE_DELIVERED_SUFFIX (flush.c): out of sight as a message,
 * and recorded then removed by the flush that delivered it, or by the
 * next one after a crash.
 */
#define QUEUE_DELIVERED_SUFFIX	".delivered"

/*
 * Whether name can be a message's in queue/ or failed/: a plain name that
 * fits, not a dot file, not a ".reason".
 */
int	queue_is_message(const char *name);

/* Whether name is such a mark, of a message name that fits. */
int	queue_is_delivered_mark(const char *name);

/*
 * Lists the messages of `where` in spool s, sorted by name (so by report
 * and occurrence); the state columns are zero.  Names beginning with '.'
 * and the ".reason" files of failed/ are not messages; the marks of
 * delivered messages are counted in l->ndelivered.  Returns 0, or -1
 * with err set.
 */
int	queue_scan(struct spool *s, enum queue_where where,
	    struct queue_list *l, struct buf *err);

/*
 * Fills the state columns of l from the state database of db (nothing
 * when it is not attached).  Returns 0, or -1 with err set.
 */
int	queue_load_state(struct db *db, struct queue_list *l,
	    struct buf *err);

/* The ".reason" file beside a failed message: why it was given up. */
#define QUEUE_REASON_SUFFIX	".reason"

void	queue_list_release(struct queue_list *l);

/*
 * Records an attempt that failed for a reason that may pass: attempts + 1,
 * next_try, the code and the reason.  DB_OK, DB_TEMPFAIL or DB_ERROR.
 */
enum db_status	queue_record_attempt(struct db *db, const char *name,
		    time_t next_try, long code, const char *reason,
		    struct buf *err);

/* Marks the message failed (it was moved to failed/) with the reason. */
enum db_status	queue_record_failed(struct db *db, const char *name,
		    long code, const char *reason, struct buf *err);

/* Puts the message on hold (held 1), or releases it: due at once. */
enum db_status	queue_set_held(struct db *db, const char *name, int held,
		    struct buf *err);

/* A fresh start for a message requeued from failed/: queued, no attempt. */
enum db_status	queue_reset(struct db *db, const char *name, struct buf *err);

/* Deletes the state of a delivered message. */
enum db_status	queue_forget(struct db *db, const char *name,
		    struct buf *err);

/*
 * Deletes the rows of queued messages whose file is gone (delivered by a
 * run that died before deleting the row).  l lists queue/.
 */
enum db_status	queue_prune(struct db *db, const struct queue_list *l,
		    struct buf *err);

#endif
