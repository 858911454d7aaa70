/*
 * send_run.h - internal to the send pipeline: the state of one run that
 * its steps share, and the steps each of its files lends the others
 * (send.c: the run and its loop; send_message.c: the message;
 * send_record.c: what is written in the databases).  Only these three
 * files include it: the commands, tick and daemon call send_run() of
 * send.h.
 *
 * A step takes the run and the report in hand, does its part, logs a
 * failure once, tells the caller's callback what became of the report
 * (send_tell) and returns an enum send_step that says whether the run
 * goes on.  The crash ordering the steps keep is written at the top of
 * send.c.
 */
#ifndef SENDREPORTS_SEND_RUN_H
#define SENDREPORTS_SEND_RUN_H

#include "addr.h"
#include "buf.h"
#include "cron.h"
#include "db.h"
#include "pdfstore.h"
#include "report.h"
#include "send.h"
#include "spool.h"
#include "timeutil.h"

struct conf;
struct stat;

#define SEND_ERR_MAX	4096

/*
 * Group commit: the messages linked into queue/ are made durable and
 * recorded together, with one fsync of queue/, one state transaction and
 * one transaction on the reports file, once SEND_BATCH_MAX are waiting
 * and at the end of the run.  No time bound: a batch waiting costs
 * nothing but the lines of its log (a crash leaves its messages in
 * queue/ for the next run to record, and a flush may deliver them
 * meanwhile, recording their occurrences first).
 */
#define SEND_BATCH_MAX	256

/*
 * A message is sealed (spool_seal) when written, and synced and linked
 * into queue/ only once SEND_SEAL_AHEAD more are written after it, or
 * when its batch commits: meanwhile the disk writes it.  Each waits with
 * its descriptor open, so this many at most.
 */
#define SEND_SEAL_AHEAD	32

/* A report whose message is written (sealed, or linked into queue/) but
 * not recorded yet. */
struct send_pending {
	struct report	 r;		/* owned; report_data dropped */
	const char	*source;	/* "stored", "fallback" or NULL */
	char		*message_id;
	char		 spool_name[SPOOL_NAME_MAX];
	int		 spool_fd;	/* sealed: its file; -1 once linked */
	char		 tmpname[SPOOL_NAME_MAX];	/* in tmp/ until then */
	int		 repaired;	/* the name was taken (SPOOL_EXISTS) */
	int		 recurring;	/* and, when it recurs, ... */
	struct cron	 cron;
	const char	*zone;		/* r's or the configuration's */
	char		 next[TIME_DB_LEN];
};

/* The state of one run, shared by the per-report steps. */
struct send_run {
	const struct conf		*conf;
	const struct send_options	*opt;
	send_event_fn			*event;
	void				*ctx;
	struct send_result		*res;
	struct db			 db;
	struct spool			 spool;
	struct pdfstore			 pdfs;	/* the stored PDFs */
	struct addr_list		 from;
	const char			*from_domain;
	char				 now[TIME_DB_LEN];

	/* The report in hand, when it recurs: its schedule, its zone and
	 * the occurrence it moves on to once this one is handled. */
	int				 recurring;
	struct cron			 cron;
	const char			*zone;
	char				 next[TIME_DB_LEN];

	/* The batch waiting for its group commit (send_batch_commit). */
	struct send_pending		 pending[SEND_BATCH_MAX];
	size_t				 npending;
	size_t				 nlinked;	/* pending[0..nlinked) */
};

/* How one report ended, for the run. */
enum send_step {
	STEP_DONE,	/* queued, given up or repaired: go on */
	STEP_SKIP,	/* left for a later run: go on */
	STEP_STOP,	/* the box cannot go on: stop the run */
	STEP_GO		/* within a report: the next step may go on */
};

/* send.c */

/* Tells the caller's callback (run->event, may be NULL) about report r. */
void		send_tell(struct send_run *run, const struct report *r,
		    const char *source, const char *outcome,
		    const char *message_id, const char *error);

/* Maps a failed write's errno to the run's status. */
enum send_status send_status_of_errno(int e);

/* Sets the run's status to s, unless an earlier failure named it. */
void		send_fail(struct send_run *run, enum send_status s);

/*
 * Logs the database failure s of report r (error says what), counts and
 * tells the report deferred and sets the run's status.  Returns
 * STEP_STOP: the next report would fail alike.
 */
enum send_step	send_db_failed(struct send_run *run, const struct report *r,
		    enum db_status s, const char *error);

/* send_message.c */

/*
 * Parses r's To, Cc and Bcc into to, cc and all (every envelope
 * recipient); the caller releases the three lists whatever the result.
 * 0, or -1 with the reason to give the report up for in why.
 */
int		send_addresses(const struct report *r, struct addr_list *to,
		    struct addr_list *cc, struct addr_list *all,
		    struct buf *why);

/*
 * The fallback PDF of r, which has no usable stored one (why says what
 * was wrong with it, or is empty).  Returns STEP_GO with *pdf_fd open on
 * it (the caller closes it; nothing is left on disk), or the report's
 * step, told, with *pdf_fd -1.  A dry run only checks that report_data
 * is JSON: STEP_GO with *pdf_fd -1.
 */
enum send_step	send_fallback(struct send_run *run, const struct report *r,
		    struct buf *why, int *pdf_fd);

/*
 * Writes the spool file of r, with the attachment on pdf_fd (a stored
 * PDF: what it was when opened is pdf_opened; the fallback's: NULL),
 * links it into queue/ (step 2) and hands r to the batch that records it
 * (send_batch_add, step 3: r is moved there once linked).  Returns the
 * report's step, told.
 */
enum send_step	send_spool(struct send_run *run, struct report *r,
		    const char *source, int pdf_fd,
		    const struct stat *pdf_opened, const struct addr_list *to,
		    const struct addr_list *cc, const struct addr_list *all);

/* send_record.c */

/*
 * Gives report r up for a reason that retrying cannot fix (reason may be
 * NULL or empty when it did not fit in its buffer): the run log, then
 * the report.  A dry run only tells it.  STEP_DONE, or STEP_STOP when
 * the database fails.
 */
enum send_step	send_give_up(struct send_run *run, const struct report *r,
		    const char *source, const char *reason);

/* Leaves report r for a later run, last_error saying why.  STEP_SKIP. */
enum send_step	send_defer(struct send_run *run, const struct report *r,
		    const char *reason);

/*
 * Reads the schedule of a recurring report r into run->cron, run->zone
 * and run->next, and sets run->recurring.  STEP_GO, or the step of r
 * given up for a schedule or zone that cannot work.
 */
enum send_step	send_recurrence(struct send_run *run, const struct report *r);

/*
 * Step 3, for a batch: report r, whose message was sealed (spool_fd, the
 * temporary tmpname) to be linked into queue/ as spool_name, with
 * message_id, joins the batch; r is moved into it (released and zeroed
 * here), the file into it too (discarded here when that fails).  Links
 * the messages SEND_SEAL_AHEAD behind it; commits the batch when it is
 * full.  STEP_DONE (told when committed), or STEP_STOP: a link or the
 * commit failed (told, deferred).
 */
enum send_step	send_batch_add(struct send_run *run, struct report *r,
		    const char *source, const char *message_id,
		    const char *spool_name, int spool_fd, const char *tmpname);

/*
 * The group commit of the batch: each message not linked yet synced and
 * linked (one that fails is deferred, with those sealed after it, and
 * the run stops: STEP_STOP), the fsync of queue/, then each
 * occurrence recorded in the state database with its run log line (one
 * transaction), then each report marked sent or moved on (one
 * transaction).  Each report is told.  STEP_DONE, or STEP_STOP when the
 * spool or a database fails (each report of the batch deferred: the next
 * run records what stands in queue/).  Nothing to commit: STEP_DONE.
 */
enum send_step	send_batch_commit(struct send_run *run);

/*
 * Step 1: the occurrence of r was spooled before (at spooled_at; its
 * delivery_error, or NULL): only marks the report.  STEP_DONE, or
 * STEP_STOP when the database fails.
 */
enum send_step	send_record_repair(struct send_run *run,
		    const struct report *r, const char *spooled_at,
		    const char *delivery_error);

/*
 * Records what the run saw: last_send, when it went through every due
 * report, and the clock guard's mark; a run that did nothing (did_work
 * 0) only when they are an hour old.  A failure is logged only.
 */
void		send_record_run(struct send_run *run, int did_work);

#endif
