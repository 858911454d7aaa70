/*
 * cmd_clock.c - `sendreports clock [--reset] [--json]`: what the clock
 * guard knows (clock.h), and the way to make it forget.
 *
 * Prints, one "key: value" per line: now, epoch, mark (the latest real
 * time a run saw, UTC, or "none"), mark_by (the command of that run),
 * require_sync, kernel_synced, sends ("allowed", or "held: " and why) and,
 * when held, fix.  --reset first forgets the mark, logs it, and prints
 * "forgot: " and what it forgot.  The guard judges the real clock here.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "buf.h"
#include "clock.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "timeutil.h"

static void
cmd_clock_text(const struct clock_state *cs)
{
	char t[TIME_DB_LEN];
	struct buf why;

	buf_init(&why, 4096);
	time_format_db(cs->now, t);
	printf("now: %s UTC\n", t);
	time_format_db(cs->epoch, t);
	printf("epoch: %s UTC\n", t);
	time_format_db(cs->mark, t);
	if (cs->mark)
		printf("mark: %s UTC\nmark_by: %s\n", t, cs->mark_by[0] ?
		    cs->mark_by : "unknown (an earlier version recorded it, "
		    "maybe from a --now run)");
	else
		printf("mark: none\nmark_by: -\n");
	printf("require_sync: %s\nkernel_synced: %s\n", cs->require_sync ?
	    "yes" : "no", cs->synced ? "yes" : "no");
	if (cs->hold == CLOCK_HOLD_NONE) {
		printf("sends: allowed\n");
	} else {
		clock_explain(cs, &why);
		printf("sends: held: %s\n", why.data);
		buf_reset(&why);
		clock_advise(cs, &why);
		printf("fix: %s\n", why.data);
	}
	buf_release(&why);
}

/* Forgets the mark: the state database opened for writing, only then. */
static enum db_status
cmd_clock_reset(struct app *app, const struct clock_state *cs,
    struct buf *err)
{
	struct db db = { 0 };
	char t[TIME_DB_LEN];
	enum db_status s;

	if ((s = db_open(&db, &app->conf, DB_STATE_ONLY, err)) == DB_OK)
		s = clock_forget(&db, NULL, err);
	db_close(&db);
	if (s != DB_OK)
		return s;
	time_format_db(cs->mark, t);
	log_info("clock: the high-water mark %s UTC (recorded by %s) is "
	    "forgotten (clock --reset)", t, cs->mark_by[0] ? cs->mark_by :
	    "an earlier version");
	return DB_OK;
}

int
cmd_clock(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reset", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct db db = { 0 };
	struct clock_state cs, forgot;
	struct buf err, j;
	char t[TIME_DB_LEN];
	enum db_status s;
	int ch, json = 0, reset = 0, rc = EXIT_OK;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			reset = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	buf_init(&err, 4096);
	buf_init(&j, 64 * 1024);
	memset(&forgot, 0, sizeof(forgot));
	/* Read-only first: no state database is made just to look. */
	s = db_open(&db, &app->conf, DB_STATE_ONLY | DB_READONLY, &err);
	if (s == DB_OK)
		s = clock_inspect(&db, time(NULL), app->conf.require_sync, &cs,
		    &err);
	db_close(&db);
	if (s == DB_OK && reset && cs.mark) {
		forgot = cs;
		if ((s = cmd_clock_reset(app, &forgot, &err)) == DB_OK)
			clock_inspect(NULL, cs.now, app->conf.require_sync,
			    &cs, &err);
	}
	if (s != DB_OK) {
		log_warnx("clock: %s", err.data);
		rc = app_exit_for_db(s);
		goto out;
	}
	time_format_db(forgot.mark, t);
	if (json) {
		int jr = buf_puts(&j, "{");

		jr |= clock_json_members(&cs, &j);
		if (reset)
			jr |= forgot.mark ? buf_printf(&j, ", \"forgot\": "
			    "\"%s\"", t) : buf_puts(&j, ", \"forgot\": null");
		jr |= buf_puts(&j, "}\n");
		if (jr) {
			log_warnx("clock: --json output too large");
			rc = EXIT_SOFTWARE;
			goto out;
		}
		fputs(j.data, stdout);
	} else {
		if (reset && forgot.mark)
			printf("forgot: %s UTC (recorded by %s)\n", t,
			    forgot.mark_by[0] ? forgot.mark_by :
			    "an earlier version");
		else if (reset)
			printf("forgot: nothing (no mark)\n");
		cmd_clock_text(&cs);
	}
out:
	buf_release(&err);
	buf_release(&j);
	return rc;
usage:
	fprintf(stderr, "usage: sendreports clock [--reset] [--json]\n");
	return EXIT_USAGE;
}
