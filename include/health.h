/*
 * health.h - what `sendreports status` reports: the state of the queue,
 * and every reason the box is not healthy, each with what to do.
 *
 * health_check() looks, in order, at the configuration, the reports
 * database, the spool, the state database, the queue (failed messages, a
 * message stuck past its retries, a pause that a person must end) and the
 * clock guard.  A check that needs what an earlier one could not read is
 * skipped: nothing past a configuration that did not load, no state
 * database in a spool that cannot be read.  It writes nothing.
 *
 * A pause for the network is reported (pause) but is no problem by
 * itself: a box that is offline for hours is doing its job, and a message
 * that waits too long is HEALTH_QUEUE_STUCK.
 */
#ifndef SENDREPORTS_HEALTH_H
#define SENDREPORTS_HEALTH_H

#include <stddef.h>
#include <time.h>

#include "clock.h"
#include "state.h"
#include "timeutil.h"

struct conf;

/* The problems, by code (stable: monitoring may match them). */
#define HEALTH_NO_CONFIG	"no_config"	/* the file does not exist */
#define HEALTH_CONFIG_ERROR	"config_error"	/* it does not load */
#define HEALTH_NO_DATABASE	"no_database"	/* reports database missing */
#define HEALTH_DATABASE_ERROR	"database_error" /* it cannot be read */
#define HEALTH_NO_SPOOL		"no_spool"	/* spool directory missing */
#define HEALTH_SPOOL_UNREADABLE	"spool_unreadable" /* not by this user */
#define HEALTH_SPOOL_UNSAFE	"spool_unsafe"	/* open to others, or not the
						   owner's: commands refuse */
#define HEALTH_STATE_DAMAGED	"state_damaged"	/* state.db cannot be read */
#define HEALTH_FAILED_MESSAGES	"failed_messages" /* a message in failed/ */
#define HEALTH_QUEUE_STUCK	"queue_stuck"	/* waited past its retries */
#define HEALTH_QUEUE_PAUSED	"queue_paused"	/* by TLS, authentication,
						   configuration */
#define HEALTH_CLOCK_UNTRUSTED	"clock_untrusted" /* the guard holds sends */

/* A queued message older than this many backoff_max missed its retries. */
#define HEALTH_STUCK_FACTOR	3

struct health_problem {
	const char	*code;		/* HEALTH_*: static */
	char		*message;	/* what is wrong, one line */
	char		*fix;		/* what to do, one line */
};

struct health {
	const char		*config;	/* the file read, or NULL */
	size_t			 due;		/* reports due, not yet sent */
	size_t			 queued;
	size_t			 failed;
	time_t			 oldest;	/* oldest queued; 0: none */
	char			 last_send[TIME_DB_LEN + 8];	/* "": none */
	char			 last_flush[TIME_DB_LEN + 8];	/* "": none */
	struct state_pause	 pause;		/* until 0: not paused */
	int			 clock_known;	/* clock was judged */
	struct clock_state	 clock;
	struct health_problem	*v;		/* the problems found */
	size_t			 n;
};

/*
 * Fills *h for the time `now`.  conf is the configuration in force, or
 * NULL when it did not load: conf_error then says why and conf_arg is the
 * -c FILE given (NULL: $SENDREPORTS_CONFIG, else the default file).
 * Returns 0, or -1 when memory ran out (h is then incomplete; release it
 * all the same).  The caller releases h with health_release().
 */
int	health_check(struct health *h, const struct conf *conf,
	    const char *conf_arg, const char *conf_error, time_t now);

/* Frees the problems; safe twice. */
void	health_release(struct health *h);

#endif
