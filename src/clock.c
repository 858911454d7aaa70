/*
 * clock.c - whether the box's clock can be trusted (clock.h).
 *
 * The guard's memory is two rows of state.meta: "clock_high", the
 * high-water mark as UTC text (the format sorts as time does), and
 * "clock_high_by", the command whose real clock recorded it.  A mark
 * without the second row was recorded by an earlier version, which also
 * learnt from --now.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "os_sys.h"
#include "state.h"
#include "timeutil.h"

/* The Makefile passes the release date; this is the floor otherwise. */
#ifndef SENDREPORTS_CLOCK_EPOCH
#define SENDREPORTS_CLOCK_EPOCH	1793491200	/* 2026-11-01 00:00:00 UTC */
#endif

#define CLOCK_META_KEY	"clock_high"
#define CLOCK_META_BY	"clock_high_by"

time_t
clock_epoch(void)
{
	return (time_t)SENDREPORTS_CLOCK_EPOCH;
}

int
clock_kernel_synced(void)
{
	return os_clock_synced();
}

enum clock_hold
clock_judge(struct clock_state *cs)
{
	if (cs->now < cs->epoch)
		cs->hold = CLOCK_HOLD_EPOCH;
	else if (cs->mark > cs->now + CLOCK_SLACK_S)
		cs->hold = CLOCK_HOLD_MARK;
	else if (cs->require_sync && !cs->synced)
		cs->hold = CLOCK_HOLD_SYNC;
	else
		cs->hold = CLOCK_HOLD_NONE;
	return cs->hold;
}

/* Reads the mark and its author into cs; no mark: 0 and "". */
static enum db_status
clock_recorded(struct db *db, struct clock_state *cs, struct buf *err)
{
	char text[TIME_DB_LEN + 8];
	enum db_status s;

	cs->mark = 0;
	cs->mark_by[0] = '\0';
	if (db == NULL || db->h == NULL)
		return DB_OK;
	s = state_meta_get(db, CLOCK_META_KEY, text, sizeof(text), err);
	if (s == DB_NOTFOUND)
		return DB_OK;
	if (s != DB_OK)
		return s;
	/* A value we cannot read is no evidence either way. */
	if (time_parse_db(text, &cs->mark) == -1)
		cs->mark = 0;
	s = state_meta_get(db, CLOCK_META_BY, cs->mark_by,
	    sizeof(cs->mark_by), err);
	return s == DB_NOTFOUND ? DB_OK : s;
}

enum db_status
clock_inspect(struct db *db, time_t now, int require_sync,
    struct clock_state *cs, struct buf *err)
{
	enum db_status s;

	memset(cs, 0, sizeof(*cs));
	cs->now = now;
	cs->epoch = clock_epoch();
	cs->require_sync = require_sync;
	cs->synced = clock_kernel_synced();
	s = clock_recorded(db, cs, err);
	clock_judge(cs);
	return s;
}

void
clock_explain(const struct clock_state *cs, struct buf *why)
{
	char a[TIME_DB_LEN], b[TIME_DB_LEN];

	time_format_db(cs->now, a);
	switch (cs->hold) {
	case CLOCK_HOLD_NONE:
		break;
	case CLOCK_HOLD_EPOCH:
		time_format_db(cs->epoch, b);
		buf_printf(why, "the clock says %s UTC, before this version "
		    "was released (%s): waiting for the right time (NTP)",
		    a, b);
		break;
	case CLOCK_HOLD_MARK:
		time_format_db(cs->mark, b);
		buf_printf(why, "the clock says %s UTC, behind %s UTC, the "
		    "latest time an earlier run saw: waiting for the right "
		    "time (NTP)", a, b);
		break;
	case CLOCK_HOLD_SYNC:
		buf_printf(why, "the kernel does not report the clock "
		    "synchronised yet, and [clock] require_sync = yes");
		break;
	}
}

void
clock_advise(const struct clock_state *cs, struct buf *fix)
{
	switch (cs->hold) {
	case CLOCK_HOLD_NONE:
		break;
	case CLOCK_HOLD_EPOCH:
		buf_puts(fix, "set the clock (start NTP, or date -s); "
		    "\"sendreports clock\" shows what the guard knows");
		break;
	case CLOCK_HOLD_MARK:
		buf_puts(fix, "\"sendreports clock\" shows where the mark "
		    "came from; if the clock is right now, \"sendreports "
		    "clock --reset\" forgets the mark");
		break;
	case CLOCK_HOLD_SYNC:
		buf_puts(fix, "wait for NTP to synchronise the clock, or set "
		    "[clock] require_sync = no; \"sendreports clock\" shows "
		    "what the guard knows");
		break;
	}
}

int
clock_json_members(const struct clock_state *cs, struct buf *out)
{
	static const char *const holds[] = { NULL, "epoch", "mark", "sync" };
	char t[TIME_DB_LEN];
	struct buf why, fix;
	int rc = 0;

	buf_init(&why, 1024);
	buf_init(&fix, 1024);
	clock_explain(cs, &why);
	clock_advise(cs, &fix);
	time_format_db(cs->now, t);
	rc |= buf_printf(out, "\"now\": \"%s\", ", t);
	time_format_db(cs->epoch, t);
	rc |= buf_printf(out, "\"epoch\": \"%s\", \"mark\": ", t);
	time_format_db(cs->mark, t);
	rc |= cs->mark ? buf_printf(out, "\"%s\"", t) : buf_puts(out, "null");
	rc |= buf_puts(out, ", \"mark_by\": ");
	rc |= cs->mark && cs->mark_by[0] ? buf_json_str(out, cs->mark_by) :
	    buf_puts(out, "null");
	rc |= buf_printf(out, ", \"require_sync\": %s, \"kernel_synced\": %s"
	    ", \"held\": %s, \"hold\": ", cs->require_sync ? "true" : "false",
	    cs->synced ? "true" : "false", cs->hold != CLOCK_HOLD_NONE ?
	    "true" : "false");
	rc |= holds[cs->hold] ? buf_printf(out, "\"%s\"", holds[cs->hold]) :
	    buf_puts(out, "null");
	rc |= buf_puts(out, ", \"why\": ");
	rc |= why.len ? buf_json_str(out, why.data) : buf_puts(out, "null");
	rc |= buf_puts(out, ", \"fix\": ");
	rc |= fix.len ? buf_json_str(out, fix.data) : buf_puts(out, "null");
	buf_release(&why);
	buf_release(&fix);
	return rc ? -1 : 0;
}

enum clock_verdict
clock_check(struct db *db, time_t now, int require_sync, struct buf *why)
{
	struct clock_state cs;
	struct buf err;
	enum clock_verdict v = CLOCK_OK;

	buf_init(&err, 4096);
	if (clock_inspect(db, now, require_sync, &cs, &err) != DB_OK) {
		buf_puts(why, err.data);
		v = CLOCK_DBERR;
	} else if (cs.hold != CLOCK_HOLD_NONE) {
		clock_explain(&cs, why);
		buf_puts(why, "; ");
		clock_advise(&cs, why);
		v = CLOCK_UNTRUSTED;
	}
	buf_release(&err);
	return v;
}

/* Runs one statement of clock_record with its parameters (one or two). */
static enum db_status
clock_step(struct db *db, const char *sql, const char *p1, const char *p2,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;

	if ((s = db_prepare(db, sql, &st, err)) != DB_OK)
		return s;
	db_bind_text(st, 1, p1);
	if (sqlite3_bind_parameter_count(st) >= 2)
		db_bind_text(st, 2, p2);
	return db_step_once(db, st, "state database", err);
}

enum db_status
clock_record(struct db *db, time_t now, const char *by, struct buf *err)
{
	char text[TIME_DB_LEN];
	enum db_status s;

	if (!db->has_state)
		return DB_OK;
	time_format_db(now, text);
	/*
	 * The author first, and only when this time reaches the mark: a
	 * mark some other run set later keeps its own author.  The text
	 * format sorts as time does, so max() keeps the latest.
	 */
	s = clock_step(db, "INSERT INTO state.meta (key, value) "
	    "SELECT '" CLOCK_META_BY "', ?2 WHERE ?1 >= coalesce((SELECT "
	    "value FROM state.meta WHERE key = '" CLOCK_META_KEY "'), '') "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", text,
	    by, err);
	if (s != DB_OK)
		return s;
	return clock_step(db, "INSERT INTO state.meta (key, value) "
	    "VALUES ('" CLOCK_META_KEY "', ?1) ON CONFLICT (key) DO UPDATE "
	    "SET value = max(value, excluded.value)", text, NULL, err);
}

enum db_status
clock_forget(struct db *db, int *had, struct buf *err)
{
	char text[TIME_DB_LEN + 8];
	enum db_status s;

	if (had)
		*had = 0;
	if (!db->has_state)
		return DB_OK;
	s = state_meta_get(db, CLOCK_META_KEY, text, sizeof(text), err);
	if (s != DB_OK && s != DB_NOTFOUND)
		return s;
	if (had)
		*had = s == DB_OK;
	return db_exec(db, "DELETE FROM state.meta WHERE key IN ('"
	    CLOCK_META_KEY "', '" CLOCK_META_BY "')", err);
}
