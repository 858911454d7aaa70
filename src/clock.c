/*
 * clock.c - whether the box's clock can be trusted (clock.h).
 */
#include <sys/timex.h>

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "state.h"
#include "timeutil.h"

/* The Makefile passes the release date; this is the floor otherwise. */
#ifndef SENDREPORTS_CLOCK_EPOCH
#define SENDREPORTS_CLOCK_EPOCH	1793491200	/* 2026-11-01 00:00:00 UTC */
#endif

#define CLOCK_META_KEY	"clock_high"

time_t
clock_epoch(void)
{
	return (time_t)SENDREPORTS_CLOCK_EPOCH;
}

int
clock_kernel_synced(void)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));	/* modes = 0: read only */
	state = adjtimex(&tx);
	return state != -1 && state != TIME_ERROR &&
	    !(tx.status & STA_UNSYNC);
}

/* Reads the recorded time into *high; 0 when none was recorded. */
static enum db_status
clock_recorded(struct db *db, time_t *high, struct buf *err)
{
	char text[TIME_DB_LEN + 8];
	enum db_status s;

	*high = 0;
	s = state_meta_get(db, CLOCK_META_KEY, text, sizeof(text), err);
	if (s == DB_NOTFOUND)
		return DB_OK;
	/* A value we cannot read is no evidence either way. */
	if (s == DB_OK && time_parse_db(text, high) == -1)
		*high = 0;
	return s;
}

enum clock_verdict
clock_check(struct db *db, time_t now, int require_sync, struct buf *why)
{
	char a[TIME_DB_LEN], b[TIME_DB_LEN];
	time_t high;

	time_format_db(now, a);
	if (now < clock_epoch()) {
		time_format_db(clock_epoch(), b);
		buf_printf(why, "the clock says %s UTC, before this version "
		    "was released (%s): waiting for the right time (NTP)",
		    a, b);
		return CLOCK_UNTRUSTED;
	}
	if (clock_recorded(db, &high, why) != DB_OK)
		return CLOCK_DBERR;
	if (high > now + CLOCK_SLACK_S) {
		time_format_db(high, b);
		buf_printf(why, "the clock says %s UTC, behind %s UTC, the "
		    "latest time an earlier run saw: waiting for the right "
		    "time (NTP)", a, b);
		return CLOCK_UNTRUSTED;
	}
	if (require_sync && !clock_kernel_synced()) {
		buf_printf(why, "the kernel does not report the clock "
		    "synchronised yet, and [clock] require_sync = yes");
		return CLOCK_UNTRUSTED;
	}
	return CLOCK_OK;
}

enum db_status
clock_record(struct db *db, time_t now, struct buf *err)
{
	char text[TIME_DB_LEN];
	sqlite3_stmt *st;
	enum db_status s;
	int rc;

	if (!db->has_state)
		return DB_OK;
	time_format_db(now, text);
	/* The text format sorts as time does, so max() keeps the latest. */
	if ((s = db_prepare(db, "INSERT INTO state.meta (key, value) "
	    "VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET "
	    "value = max(value, excluded.value)", &st, err)) != DB_OK)
		return s;
	sqlite3_bind_text(st, 1, CLOCK_META_KEY, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		buf_printf(err, "state database: %s", sqlite3_errmsg(db->h));
		return db_status_of(rc);
	}
	return DB_OK;
}
