/*
 * flush.h - delivers the spool over SMTP: one connection for the run, each
 * message claimed with flock, every outcome classified (smtp.h) and kept.
 *
 *   delivered     the file is removed, the run log says so with the reply;
 *                 recipients refused with 5xx are recorded beside it
 *   deferred      4xx, timeout, dropped connection: attempts + 1, next try
 *                 after backoff_min * 2^(attempts - 1), at most backoff_max
 *   failed        5xx for the message: moved to failed/ with a .reason
 *                 file, never retried
 *   expired       deferred again once both max_age (since it was spooled)
 *                 and min_attempts are reached: moved to failed/ likewise
 *   unavailable   no network, DNS, refused connection, greeting, EHLO,
 *                 STARTTLS or AUTH 4xx: the run stops at once, no message
 *                 is charged, and the whole queue pauses (growing like a
 *                 message's backoff) unless forced
 *   config        TLS verification, authentication refused, STARTTLS
 *                 missing with tls = required: stops the run too (exit 78)
 *
 * Crash safety: a message leaves queue/ only after the server's final
 * 2xx (renamed at once to its mark, queue.h, then recorded and removed
 * with its batch: group commit), or by a move into failed/ (linked there
 * and synced before its name in queue/ goes).  What the run log and the
 * report's owner must learn of it (a refusal, refused recipients) is
 * recorded before the file leaves queue/.  A flush killed at any instant
 * leaves every undelivered message in queue/, at worst the one in flight
 * delivered and still there (delivered again, with the same
 * Message-ID), and marks the next flush records; a power cut may also
 * bring back the messages of the batch not yet synced (each delivered
 * again at most once, with the same Message-ID).  A message recorded
 * failed but still in queue/ is moved by the next flush, not tried.
 * Before a message is tried its occurrence is recorded in the state
 * database (for a notice, its occurrence's notice marked done), so that
 * `send` can never spool it again once the file is gone.
 */
#ifndef SENDREPORTS_FLUSH_H
#define SENDREPORTS_FLUSH_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

struct conf;

struct flush_options {
	time_t	now;		/* the run's clock */
	long	max;		/* try at most this many messages; 0: all */
	int	force;		/* ignore backoff and the queue's pause */
	const char *only;	/* NULL, or the one message to try, at once
				   (flush --id): backoff and pause ignored,
				   a held message left held */
	int	verbose_smtp;	/* the SMTP dialogue at debug level */
	/* When set and *stop becomes non-zero, the run ends after the
	 * message in flight. */
	volatile sig_atomic_t *stop;
};

/* What happened to one message. */
struct flush_event {
	const char	*name;		/* the spool file */
	long long	 report_id;
	const char	*message_id;
	const char	*outcome;	/* "delivered", "deferred", "failed",
					   "expired", "busy" (claimed by
					   another flush) */
	long		 code;		/* the reply code, 0 when none */
	const char	*reply;		/* the server's reply, or the error */
	size_t		 nrefused;	/* recipients refused (delivered) */
	size_t		 index;		/* 1.. for progress */
	size_t		 total;		/* messages up for a try */
};

typedef void	flush_event_fn(void *ctx, const struct flush_event *ev);

enum flush_status {
	FLUSH_OK,		/* every message tried was delivered or
				   moved to failed/ (or none was due) */
	FLUSH_DEFERRED,		/* at least one was deferred */
	FLUSH_UNAVAILABLE,	/* stopped: the server could not be reached */
	FLUSH_CONFIG,		/* stopped: TLS, authentication, options */
	FLUSH_CANTCREAT,	/* the spool cannot be written */
	FLUSH_IOERR,		/* the state database or the disk failed */
	FLUSH_TEMPFAIL		/* stopped: the state database is busy, or
				   the disk full; the next run goes on */
};

struct flush_result {
	enum flush_status status;
	unsigned	 queued;	/* messages in queue/ at the start */
	unsigned	 tried;
	unsigned	 delivered;
	unsigned	 deferred;
	unsigned	 failed;	/* 5xx, moved to failed/ */
	unsigned	 expired;	/* max_age, moved to failed/ */
	unsigned	 busy;		/* claimed by another flush */
	int		 paused;	/* nothing tried: the queue is paused */
	time_t		 paused_until;
	unsigned	 held;		/* on hold, not tried */
	int		 not_found;	/* `only` is not in queue/ */
};

/*
 * Runs flush once.  `event` (may be NULL) is called for each message
 * tried.  Always fills *res.  Logs one line per delivery, deferral and
 * failure (message id, report id, the reply); never a password.
 */
void	flush_run(const struct conf *conf, const struct flush_options *opt,
	    flush_event_fn *event, void *ctx, struct flush_result *res);

/*
 * When the next message is up for a try (the earliest next try, or the
 * end of the queue's pause): 0 when the queue is empty or cannot be read.
 * For the daemon, which sleeps until then.
 */
time_t	flush_next_try(const struct conf *conf);

#endif
