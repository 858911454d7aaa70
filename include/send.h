/*
 * send.h - the pipeline of `send`: due reports become spooled messages.
 *
 * For each report due at `now`: the stored PDF (or the fallback), the MIME
 * message, the durable enqueue, then sent = 1 in the same transaction as
 * the record of the occurrence in the state database.  `tick` and
 * `daemon` call this too; it never exits and never prints: what happened
 * to each report is told to the caller's callback.
 */
#ifndef SENDREPORTS_SEND_H
#define SENDREPORTS_SEND_H

#include <signal.h>
#include <time.h>

struct conf;

struct send_options {
	time_t	now;		/* the run's clock */
	/* The command whose real clock `now` is ("send", "tick",
	 * "daemon"): the clock guard records it with its high-water mark.
	 * NULL when `now` came from --now: the checks still apply to it,
	 * but the guard learns nothing from a replay (clock.h). */
	const char *clock_by;
	int	dry_run;	/* decide, tell, write nothing */
	/* When set and *stop becomes non-zero (a signal), the run ends
	 * after the report in hand; the others wait for the next run. */
	volatile sig_atomic_t *stop;
};

/* What happened to one due report. */
struct send_event {
	long long	 report_id;
	const char	*scheduled_at;	/* as stored */
	const char	*recipients;	/* as stored */
	const char	*source;	/* "stored", "fallback", or NULL */
	const char	*outcome;	/* "queued", "would queue", "already
					   queued", "given up", "deferred" */
	const char	*message_id;	/* or NULL */
	const char	*error;		/* or NULL */
};

typedef void	send_event_fn(void *ctx, const struct send_event *ev);

enum send_status {
	SEND_OK,		/* every due report was handled */
	SEND_DATAERR,		/* ... and at least one was given up */
	SEND_TEMPFAIL,		/* stopped early: busy database, disk full */
	SEND_CANTCREAT,		/* the spool cannot be written */
	SEND_IOERR,		/* an I/O error */
	SEND_NOINPUT,		/* the reports database does not exist */
	SEND_CONFIG		/* the configuration cannot work ([mail] from) */
};

struct send_result {
	enum send_status status;
	unsigned	 due;		/* due reports seen */
	unsigned	 queued;	/* messages spooled by this run */
	unsigned	 given_up;
	unsigned	 deferred;	/* left for a later run */
	unsigned	 repaired;	/* already spooled; only marked sent */
	int		 locked_out;	/* another send held the lock */
	int		 clock_untrusted; /* nothing done: see clock.h */
};

/*
 * Runs send once.  `event` (may be NULL) is called for each due report.
 * Always fills *res; its status tells the outcome.  The reasons of
 * failures are logged once where they happen.
 */
void	send_run(const struct conf *conf, const struct send_options *opt,
	    send_event_fn *event, void *ctx, struct send_result *res);

#endif
