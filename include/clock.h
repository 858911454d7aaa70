/*
 * clock.h - whether the box's clock can be trusted to send by.
 *
 * A Raspberry Pi has no real-time clock: it boots in 1970, or at the time
 * fake-hwclock saved at shutdown, and stays there until NTP answers.
 * Sending by such a clock would release every recurring report at the
 * wrong time, or none.  So nothing is sent while the clock is
 *   - before CLOCK_EPOCH, the release date of this version (as systemd's
 *     time-epoch: a clock earlier than the software is certainly wrong);
 *   - more than CLOCK_SLACK_S behind the high-water mark, the latest time
 *     a run on the real clock has recorded (the state database keeps it,
 *     so it survives reboots);
 *   - with [clock] require_sync = yes, not yet synchronised according to
 *     the kernel (adjtimex).
 * The run's clock is `--now` when given: the checks apply to it too, but
 * only the real clock moves the mark (clock_record), so a replay in the
 * future never holds the real runs after it.  The mark remembers the
 * command that recorded it; `sendreports clock --reset` forgets it.
 */
#ifndef SENDREPORTS_CLOCK_H
#define SENDREPORTS_CLOCK_H

#include <time.h>

#include "buf.h"
#include "db.h"

/* NTP may step the clock back a little; that is not a wrong clock. */
#define CLOCK_SLACK_S	120

/* The longest command name kept with the mark ("send", "daemon"). */
#define CLOCK_BY_MAX	32

enum clock_verdict {
	CLOCK_OK,
	CLOCK_UNTRUSTED,	/* why says which check failed */
	CLOCK_DBERR		/* the recorded time could not be read */
};

/* Which check holds the sends, the first that fails in the order above. */
enum clock_hold {
	CLOCK_HOLD_NONE,
	CLOCK_HOLD_EPOCH,	/* before this version's release */
	CLOCK_HOLD_MARK,	/* behind the high-water mark */
	CLOCK_HOLD_SYNC		/* require_sync, and the kernel says not */
};

/* What the guard knows, and its judgement of `now`. */
struct clock_state {
	time_t		 now;		/* the clock judged */
	time_t		 epoch;		/* clock_epoch() */
	time_t		 mark;		/* the high-water mark; 0: none */
	char		 mark_by[CLOCK_BY_MAX]; /* the command that recorded
					   it; "": not known (an earlier
					   version recorded it) */
	int		 require_sync;	/* [clock] require_sync */
	int		 synced;	/* clock_kernel_synced() */
	enum clock_hold	 hold;
};

/* The epoch compiled in, as seconds since 1970 UTC. */
time_t	clock_epoch(void);

/*
 * Decides cs->hold from cs's other fields, and returns it.  Reads nothing:
 * the judgement alone, for the tests.
 */
enum clock_hold	clock_judge(struct clock_state *cs);

/*
 * Fills *cs for `now`: the mark from the attached state database of db
 * (none attached, or db->h NULL: no mark), the kernel's word, and the
 * judgement.  DB_OK, or DB_TEMPFAIL / DB_ERROR with err set when the mark
 * could not be read (cs then holds the judgement without a mark).
 */
enum db_status	clock_inspect(struct db *db, time_t now, int require_sync,
		    struct clock_state *cs, struct buf *err);

/*
 * Appends to why, in words an operator reads in syslog, what holds the
 * sends (nothing for CLOCK_HOLD_NONE).
 */
void	clock_explain(const struct clock_state *cs, struct buf *why);

/*
 * Appends what to do about the hold, naming the commands (nothing for
 * CLOCK_HOLD_NONE).
 */
void	clock_advise(const struct clock_state *cs, struct buf *fix);

/*
 * Appends the members of cs as JSON, without the braces, so that a caller
 * may add its own: "now", "epoch", "mark" (UTC text, or null), "mark_by"
 * (null when not known), "require_sync", "kernel_synced", "held", "hold"
 * ("epoch", "mark", "sync" or null), "why" and "fix" (null when not
 * held).  0, or -1 when out is full.
 */
int	clock_json_members(const struct clock_state *cs, struct buf *out);

/*
 * Checks `now` as above (clock_inspect).  On CLOCK_UNTRUSTED, why says
 * what is wrong and what to do (clock_explain, clock_advise); on
 * CLOCK_DBERR, why holds the database's error.
 */
enum clock_verdict clock_check(struct db *db, time_t now, int require_sync,
	    struct buf *why);

/*
 * Records now, a reading of the real clock, as the latest time seen, with
 * the command `by` that saw it, in the state database (never moves the
 * mark back).  Never call it with a --now clock.  No state database
 * attached: nothing to do.  DB_OK, DB_TEMPFAIL or DB_ERROR.
 */
enum db_status	clock_record(struct db *db, time_t now, const char *by,
		    struct buf *err);

/*
 * Forgets the mark and where it came from.  *had (may be NULL) is set to 1
 * when there was a mark.  DB_OK, DB_TEMPFAIL or DB_ERROR.
 */
enum db_status	clock_forget(struct db *db, int *had, struct buf *err);

/* 1 when the kernel says the clock is synchronised, 0 when not. */
int	clock_kernel_synced(void);

#endif
