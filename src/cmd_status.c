/*
 * cmd_status.c - `sendreports status [--json]`: health for monitoring.
 *
 * Prints, one "key: value" per line: queued, oldest (UTC), failed,
 * paused_until, last_send, last_flush, clock, health.  Exit 0 when
 * healthy, 1 when not: a message in failed/; a queued message older
 * than STATUS_STUCK_FACTOR * backoff_max (it has missed its retries: the
 * server has been out of reach too long); a clock send would not trust.
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
#include "queue.h"
#include "spool.h"
#include "state.h"
#include "timeutil.h"

/* A message still queued after this many backoff_max has missed its
 * retries: the network or the server has been gone too long. */
#define STATUS_STUCK_FACTOR	3

static void
status_meta(struct db *db, const char *key, char *out, size_t size)
{
	struct buf err;

	buf_init(&err, 256);
	if (state_meta_get(db, key, out, size, &err) != DB_OK)
		snprintf(out, size, "-");
	buf_release(&err);
}

int
cmd_status(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct queue_list q = { NULL, 0 }, failed = { NULL, 0 };
	struct spool s = { -1, -1, -1, -1, NULL };
	struct db db = { 0 };
	struct buf err, why, problems;
	char oldest[TIME_DB_LEN] = "-", last_send[TIME_DB_LEN + 8],
	    last_flush[TIME_DB_LEN + 8], paused[TIME_DB_LEN + 8];
	time_t now = time(NULL), first = 0;
	const char *clock = "ok";
	size_t i;
	int ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch != 'j')
			goto usage;
		json = 1;
	}
	if (optind != argc)
		goto usage;
	buf_init(&err, 4096);
	buf_init(&why, 4096);
	buf_init(&problems, 4096);
	if (spool_open(&s, app->conf.spool_dir, 0, &err) == 0 &&
	    (queue_scan(&s, QUEUE_QUEUED, &q, &err) == -1 ||
	    queue_scan(&s, QUEUE_FAILED, &failed, &err) == -1)) {
		log_warnx("%s", err.data);
		buf_puts(&problems, "the spool cannot be read; ");
	}
	buf_reset(&err);
	if (db_open(&db, &app->conf, DB_STATE_ONLY | DB_READONLY, &err) !=
	    DB_OK)
		log_warnx("%s", err.data);
	for (i = 0; i < q.n; i++)
		if (first == 0 || q.v[i].mtime < first)
			first = q.v[i].mtime;
	if (first)
		time_format_db(first, oldest);
	status_meta(&db, "last_send", last_send, sizeof(last_send));
	status_meta(&db, "last_flush", last_flush, sizeof(last_flush));
	status_meta(&db, "pause_until", paused, sizeof(paused));

	if (failed.n)
		buf_printf(&problems, "%zu failed message(s) in %s/failed; ",
		    failed.n, app->conf.spool_dir);
	if (first && now - first > STATUS_STUCK_FACTOR *
	    app->conf.backoff_max_s)
		buf_printf(&problems, "the oldest message has waited since "
		    "%s UTC; ", oldest);
	if (db.h && clock_check(&db, now, app->conf.require_sync, &why) !=
	    CLOCK_OK) {
		clock = why.data;
		buf_puts(&problems, "the clock is not trusted; ");
	}
	if (problems.len >= 2)
		problems.data[problems.len -= 2] = '\0';

	if (json) {
		struct buf j;

		buf_init(&j, 64 * 1024);
		buf_printf(&j, "{\"queued\": %zu, \"oldest\": ", q.n);
		first ? buf_json_str(&j, oldest) : buf_puts(&j, "null");
		buf_printf(&j, ", \"failed\": %zu, \"paused_until\": ",
		    failed.n);
		strcmp(paused, "-") ? buf_json_str(&j, paused) :
		    buf_puts(&j, "null");
		buf_puts(&j, ", \"last_send\": ");
		strcmp(last_send, "-") ? buf_json_str(&j, last_send) :
		    buf_puts(&j, "null");
		buf_puts(&j, ", \"last_flush\": ");
		strcmp(last_flush, "-") ? buf_json_str(&j, last_flush) :
		    buf_puts(&j, "null");
		buf_puts(&j, ", \"clock\": ");
		buf_json_str(&j, clock);
		buf_printf(&j, ", \"healthy\": %s, \"problems\": ",
		    problems.len ? "false" : "true");
		buf_json_str(&j, problems.data);
		buf_puts(&j, "}\n");
		fputs(j.data, stdout);
		buf_release(&j);
	} else {
		printf("queued: %zu\noldest: %s\nfailed: %zu\n"
		    "paused_until: %s\nlast_send: %s\nlast_flush: %s\n"
		    "clock: %s\nhealth: %s%s\n", q.n, oldest, failed.n, paused,
		    last_send, last_flush, clock, problems.len ?
		    "unhealthy: " : "ok", problems.data);
	}
	rc = problems.len ? EXIT_UNHEALTHY : EXIT_OK;
	queue_list_release(&q);
	queue_list_release(&failed);
	db_close(&db);
	spool_close(&s);
	buf_release(&err);
	buf_release(&why);
	buf_release(&problems);
	return rc;
usage:
	fprintf(stderr, "usage: sendreports status [--json]\n");
	return EXIT_USAGE;
}
