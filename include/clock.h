/*
 * clock.h - whether the box's clock can be trusted to send by.
 *
 * A Raspberry Pi has no real-time clock: it boots in 1970, or at the time
 * fake-hwclock saved at shutdown, and stays there until NTP answers.
 * Sending by such a clock would release every recurring report at the
 * wrong time, or none.  So nothing is sent while the clock is
 *   - before CLOCK_EPOCH, the release date of this version (as systemd's
 *     time-epoch: a clock earlier than the software is certainly wrong);
 *   - more than CLOCK_SLACK_S behind the latest time a run has recorded
 *     (the state database keeps it, so it survives reboots);
 *   - with [clock] require_sync = yes, not yet synchronised according to
 *     the kernel (adjtimex).
 * The run's clock is `--now` when given: the checks apply to it too.
 */
#ifndef SENDREPORTS_CLOCK_H
#define SENDREPORTS_CLOCK_H

#include <time.h>

#include "buf.h"
#include "db.h"

/* NTP may step the clock back a little; that is not a wrong clock. */
#define CLOCK_SLACK_S	120

enum clock_verdict {
	CLOCK_OK,
	CLOCK_UNTRUSTED,	/* why says which check failed */
	CLOCK_DBERR		/* the recorded time could not be read */
};

/* The epoch compiled in, as seconds since 1970 UTC. */
time_t	clock_epoch(void);

/*
 * Checks `now` as above, reading the recorded time from the attached
 * state database of db (none attached: that check passes).  On
 * CLOCK_UNTRUSTED, why says what is wrong in words an operator reads in
 * syslog; on CLOCK_DBERR, why holds the database's error.
 */
enum clock_verdict clock_check(struct db *db, time_t now, int require_sync,
	    struct buf *why);

/*
 * Records now as the latest time seen, in the state database (never moves
 * it back).  DB_OK, DB_TEMPFAIL or DB_ERROR.
 */
enum db_status	clock_record(struct db *db, time_t now, struct buf *err);

/* 1 when the kernel says the clock is synchronised, 0 when not. */
int	clock_kernel_synced(void);

#endif
