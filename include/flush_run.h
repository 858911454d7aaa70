/*
 * flush_run.h - internal to flush: the state of one run that its files
 * share, and the steps each lends the other (flush.c: the run, its
 * connection, the pause and the loop over the queue; flush_outcome.c:
 * what becomes of a message tried, delivered, deferred or given up, its
 * log line, and the group commit of the delivered ones).  Only these two
 * files include it; the commands call flush_run() of flush.h.
 */
#ifndef SENDREPORTS_FLUSH_RUN_H
#define SENDREPORTS_FLUSH_RUN_H

#include <stddef.h>

#include "conf.h"
#include "db.h"
#include "flush.h"
#include "queue.h"
#include "smtp.h"
#include "spool.h"
#include "timeutil.h"

#define FLUSH_ERR_MAX	4096

/*
 * Group commit: a delivered message is at once renamed to its mark in
 * queue/ (queue.h: out of sight, so neither this flush nor another tries
 * it again, even after kill -9), and the marks are recorded and removed
 * together, one state transaction and one fsync of queue/ for
 * FLUSH_BATCH_MAX of them or for those of FLUSH_BATCH_MS.  Each keeps its
 * claim (its open, locked file) until then, so that a flush recovering
 * the marks of a crashed one leaves them alone.
 */
#define FLUSH_BATCH_MAX	100
#define FLUSH_BATCH_MS	1000

/* A delivered message, marked, not yet recorded nor removed. */
struct flush_done {
	int		 fd;		/* the claim */
	char		 name[SPOOL_NAME_MAX];
	char		 mark[SPOOL_NAME_MAX + 16];
	long long	 report_id;
	char		*occurrence;	/* or NULL: not a report's */
	char		*message_id;
	int		 recovered;	/* left by a crashed flush: maybe
					   recorded already */
};

struct flush_ctx {
	const struct conf		*conf;
	const struct flush_options	*opt;
	flush_event_fn			*event;
	void				*ctx;
	struct flush_result		*res;
	struct spool			 spool;
	struct db			 db;
	struct smtp_session		*smtp;
	struct smtp_options		 so;		/* smtp's options */
	int				 on_fallback;	/* smtp is [smtp]
							   fallback_url's */
	int				 unpaused;	/* the pause is
							   cleared */
	char				 now[TIME_DB_LEN];
	size_t				 index, total;
	struct flush_done		 done[FLUSH_BATCH_MAX];
	size_t				 ndone;
	long long			 batch_began_ms;
};

/* flush.c */

/* backoff_min * 2^(n - 1), at most backoff_max, without overflow. */
long	flush_backoff(const struct conf *c, long n);

/* Tells the caller's callback (f->event, may be NULL) about a message. */
void	flush_tell(struct flush_ctx *f, const char *name,
	    const struct spool_envelope *env, const char *outcome, long code,
	    const char *reply, size_t nrefused);

/* flush_outcome.c */

/*
 * A delivered message (fd: its claim, taken over): marked and left to the
 * group commit, or recorded and removed at once (recipients refused).
 */
void	flush_delivered(struct flush_ctx *f, const char *name, int fd,
	    long tries, const struct spool_envelope *env,
	    const struct smtp_outcome *out);

/* Records and removes the delivered messages of the batch, if any. */
void	flush_batch_commit(struct flush_ctx *f);

/* Records and removes the marks a crashed flush left in queue/. */
void	flush_recover_marks(struct flush_ctx *f);

/*
 * Gives a message up (5xx, expired, not a spool file; env NULL for one
 * whose envelope cannot be read): recorded, then moved to failed/.  0, or
 * -1 to stop the run (the state database or the spool failed).
 */
int	flush_give_up(struct flush_ctx *f, const char *name, long tries,
	    const struct spool_envelope *env, const char *outcome, long code,
	    const char *why);

/* Moves a message an earlier flush gave up to failed/.  0, or -1. */
int	flush_finish_failed(struct flush_ctx *f, const struct queue_entry *e);

/* 4xx, a timeout, a dropped connection: tried again later, or expired. */
void	flush_deferred(struct flush_ctx *f, const struct queue_entry *e,
	    const struct spool_envelope *env, const struct smtp_outcome *out);

#endif
