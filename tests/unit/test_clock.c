/*
 * test_clock.c - the clock guard: its judgement (table-driven), and its
 * mark in a real state database: it never moves back, keeps the command
 * that recorded it, and is forgotten by clock_forget().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "db.h"
#include "timeutil.h"

#define EPOCH	((time_t)1793491200)	/* 2026-11-01 00:00:00 UTC */
#define DAY	((time_t)86400)

static char root[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_clock.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_clock_judge_table(void **state)
{
	static const struct {
		time_t		 now, mark;
		int		 require_sync, synced;
		enum clock_hold	 want;
	} cases[] = {
		{ EPOCH + DAY, 0, 0, 0, CLOCK_HOLD_NONE },
		{ EPOCH - 1, 0, 0, 0, CLOCK_HOLD_EPOCH },
		{ 0, 0, 0, 1, CLOCK_HOLD_EPOCH },	/* a Pi in 1970 */
		/* The epoch comes first, even behind a mark. */
		{ EPOCH - 1, EPOCH + DAY, 0, 0, CLOCK_HOLD_EPOCH },
		{ EPOCH + DAY, EPOCH + 2 * DAY, 0, 0, CLOCK_HOLD_MARK },
		/* NTP's small steps back are no wrong clock. */
		{ EPOCH + DAY, EPOCH + DAY + CLOCK_SLACK_S, 0, 0,
		    CLOCK_HOLD_NONE },
		{ EPOCH + DAY, EPOCH + DAY + CLOCK_SLACK_S + 1, 0, 0,
		    CLOCK_HOLD_MARK },
		{ EPOCH + 2 * DAY, EPOCH + DAY, 0, 0, CLOCK_HOLD_NONE },
		{ EPOCH + DAY, 0, 1, 0, CLOCK_HOLD_SYNC },
		{ EPOCH + DAY, 0, 1, 1, CLOCK_HOLD_NONE },
		{ EPOCH + DAY, EPOCH + 2 * DAY, 1, 0, CLOCK_HOLD_MARK },
	};
	struct clock_state cs;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&cs, 0, sizeof(cs));
		cs.now = cases[i].now;
		cs.epoch = EPOCH;
		cs.mark = cases[i].mark;
		cs.require_sync = cases[i].require_sync;
		cs.synced = cases[i].synced;
		if (clock_judge(&cs) != cases[i].want || cs.hold !=
		    cases[i].want)
			fail_msg("case %zu: hold %d, want %d", i, cs.hold,
			    cases[i].want);
	}
}

/* Each hold says why and names what to do; no hold says nothing. */
static void
test_clock_explain_and_advise_name_the_commands(void **state)
{
	struct clock_state cs;
	struct buf why, fix;

	(void)state;
	buf_init(&why, 4096);
	buf_init(&fix, 4096);
	memset(&cs, 0, sizeof(cs));
	cs.now = EPOCH + DAY;
	cs.epoch = EPOCH;
	cs.mark = EPOCH + 2 * DAY;
	clock_judge(&cs);
	clock_explain(&cs, &why);
	clock_advise(&cs, &fix);
	assert_non_null(strstr(why.data, "behind 2026-11-03 00:00:00 UTC"));
	assert_non_null(strstr(fix.data, "\"sendreports clock\""));
	assert_non_null(strstr(fix.data, "\"sendreports clock --reset\""));

	buf_reset(&why);
	buf_reset(&fix);
	cs.now = EPOCH - 1;
	clock_judge(&cs);
	clock_explain(&cs, &why);
	clock_advise(&cs, &fix);
	assert_non_null(strstr(why.data, "before this version"));
	/* Forgetting the mark cannot help a clock before the release. */
	assert_null(strstr(fix.data, "--reset"));

	buf_reset(&why);
	buf_reset(&fix);
	cs.now = EPOCH + 3 * DAY;
	clock_judge(&cs);
	clock_explain(&cs, &why);
	clock_advise(&cs, &fix);
	assert_int_equal(why.len, 0);
	assert_int_equal(fix.len, 0);
	buf_release(&why);
	buf_release(&fix);
}

static void
open_state(struct db *db, struct conf *c)
{
	struct buf err;

	memset(c, 0, sizeof(*c));
	c->spool_dir = root;
	c->busy_timeout_ms = 1000;
	buf_init(&err, 4096);
	if (db_open(db, c, DB_STATE | DB_STATE_ONLY, &err) != DB_OK)
		fail_msg("%s", err.data);
	buf_release(&err);
}

static void
test_clock_record_keeps_the_latest_and_its_command(void **state)
{
	struct clock_state cs;
	struct conf c;
	struct db db;
	struct buf err;
	time_t base = clock_epoch();	/* the build's, maybe not EPOCH */
	int had;

	(void)state;
	buf_init(&err, 4096);
	open_state(&db, &c);
	assert_int_equal(clock_inspect(&db, base + DAY, 0, &cs, &err),
	    DB_OK);
	assert_int_equal(cs.mark, 0);

	assert_int_equal(clock_record(&db, base + 2 * DAY, "daemon", &err),
	    DB_OK);
	/* An earlier time moves nothing, not even the author. */
	assert_int_equal(clock_record(&db, base + DAY, "send", &err),
	    DB_OK);
	assert_int_equal(clock_inspect(&db, base + DAY, 0, &cs, &err),
	    DB_OK);
	assert_int_equal(cs.mark, base + 2 * DAY);
	assert_string_equal(cs.mark_by, "daemon");
	assert_int_equal(cs.hold, CLOCK_HOLD_MARK);

	assert_int_equal(clock_record(&db, base + 3 * DAY, "tick", &err),
	    DB_OK);
	assert_int_equal(clock_inspect(&db, base + 3 * DAY, 0, &cs, &err),
	    DB_OK);
	assert_int_equal(cs.mark, base + 3 * DAY);
	assert_string_equal(cs.mark_by, "tick");
	assert_int_equal(cs.hold, CLOCK_HOLD_NONE);

	assert_int_equal(clock_forget(&db, &had, &err), DB_OK);
	assert_int_equal(had, 1);
	assert_int_equal(clock_inspect(&db, base + DAY, 0, &cs, &err),
	    DB_OK);
	assert_int_equal(cs.mark, 0);
	assert_string_equal(cs.mark_by, "");
	assert_int_equal(cs.hold, CLOCK_HOLD_NONE);
	assert_int_equal(clock_forget(&db, &had, &err), DB_OK);
	assert_int_equal(had, 0);
	db_close(&db);
	buf_release(&err);
}

/* A mark an earlier version wrote has no author: it reads as unknown. */
static void
test_clock_mark_of_an_earlier_version_has_no_author(void **state)
{
	struct clock_state cs;
	struct conf c;
	struct db db;
	struct buf err;
	time_t base = clock_epoch();

	(void)state;
	buf_init(&err, 4096);
	open_state(&db, &c);
	assert_int_equal(db_exec(&db, "INSERT INTO state.meta VALUES "
	    "('clock_high', '2031-01-01 00:00:00')", &err), DB_OK);
	assert_int_equal(clock_inspect(&db, base + DAY, 0, &cs, &err),
	    DB_OK);
	assert_int_equal(cs.hold, CLOCK_HOLD_MARK);
	assert_string_equal(cs.mark_by, "");
	/* A later real run below it does not claim it. */
	assert_int_equal(clock_record(&db, base + DAY, "send", &err),
	    DB_OK);
	assert_int_equal(clock_inspect(&db, base + DAY, 0, &cs, &err),
	    DB_OK);
	assert_string_equal(cs.mark_by, "");
	db_close(&db);
	buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_judge_table),
		cmocka_unit_test(
		    test_clock_explain_and_advise_name_the_commands),
		cmocka_unit_test_setup_teardown(
		    test_clock_record_keeps_the_latest_and_its_command,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_clock_mark_of_an_earlier_version_has_no_author,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
