/*
 * cmd_list.c - `sendreports list [--json] [--pending | --sent | --failed]`.
 *
 * One line per report, tab-separated:
 *   id  state  scheduled (local time)  title  recipients  last_error
 * The state is "pending" (sent = 0), "sent", or "failed" (given up: sent = 1
 * with last_error).  A pending report with last_error shows why it waits.
 * For a recurring report, the time is its next run.
 *
 * `list --log [--json]` prints the run log instead, kept in the state
 * database so it survives a replaced reports database, oldest first:
 *   handled (UTC)  report  occurrence (UTC)  outcome  message-id  error
 * outcomes: queued, given up, coalesced (send); delivered, deferred,
 * failed, expired (flush).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "table.h"
#include "timeutil.h"

enum list_filter { LIST_ALL, LIST_PENDING, LIST_SENT, LIST_FAILED };

static const char *
cmd_list_state(int sent, const unsigned char *last_error)
{
	if (!sent)
		return "pending";
	return last_error ? "failed" : "sent";
}

/* The scheduled time shown in the report's zone, else the configured one. */
static void
cmd_list_when(const struct app *app, const char *utc, const char *tz,
    char *out, size_t size)
{
	time_t t;

	if (utc == NULL || time_parse_db(utc, &t) == -1 ||
	    time_format_local(t, tz && *tz ? tz : app->conf.timezone, out,
	    size) == -1)
		snprintf(out, size, "%s", utc ? utc : "");
}

static void
cmd_list_usage(void)
{
	fprintf(stderr, "usage: sendreports list [--json] "
	    "[--pending | --sent | --failed | --log]\n");
}

static int
cmd_list_log(struct app *app, int json)
{
	sqlite3_stmt *st = NULL;
	struct buf err, line;
	struct db db;
	enum db_status s;
	int rc = EXIT_OK, n = 0, step, i;

	buf_init(&err, 4096);
	buf_init(&line, 1 << 20);
	s = db_open(&db, &app->conf, DB_STATE_ONLY | DB_READONLY, &err);
	if (s != DB_OK) {
		log_warnx("%s", err.data);
		rc = app_exit_for_db(s);
		goto out;
	}
	if (json)
		printf("[");
	if (!db.has_state)
		goto done;	/* nothing was ever spooled */
	if ((s = db_prepare(&db, "SELECT handled_at, report_id, scheduled_at, "
	    "outcome, message_id, error FROM state.runlog ORDER BY id", &st,
	    &err)) != DB_OK) {
		log_warnx("%s", err.data);
		rc = app_exit_for_db(s);
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v[6];

		for (i = 0; i < 6; i++)
			v[i] = (const char *)sqlite3_column_text(st, i);
		buf_reset(&line);
		if (json) {
			buf_printf(&line, "%s\n  {\"handled_at\": ", n ? "," :
			    "");
			buf_json_str(&line, v[0] ? v[0] : "");
			buf_printf(&line, ", \"report_id\": %lld, "
			    "\"scheduled_at\": ",
			    (long long)sqlite3_column_int64(st, 1));
			buf_json_str(&line, v[2] ? v[2] : "");
			buf_puts(&line, ", \"outcome\": ");
			buf_json_str(&line, v[3] ? v[3] : "");
			buf_puts(&line, ", \"message_id\": ");
			v[4] ? buf_json_str(&line, v[4]) : buf_puts(&line,
			    "null");
			buf_puts(&line, ", \"error\": ");
			v[5] ? buf_json_str(&line, v[5]) : buf_puts(&line,
			    "null");
			buf_puts(&line, "}");
		} else
			buf_printf(&line, "%s\t%lld\t%s\t%s\t%s\t%s\n",
			    v[0] ? v[0] : "",
			    (long long)sqlite3_column_int64(st, 1),
			    v[2] ? v[2] : "", v[3] ? v[3] : "",
			    v[4] ? v[4] : "", v[5] ? v[5] : "");
		fwrite(line.data, 1, line.len, stdout);
		n++;
	}
	if (step != SQLITE_DONE) {
		log_warnx("list: %s", sqlite3_errmsg(db.h));
		rc = app_exit_for_db(db_status_of(step));
	}
done:
	if (json)
		printf("%s]\n", n ? "\n" : "");
out:
	sqlite3_finalize(st);
	db_close(&db);
	buf_release(&err);
	buf_release(&line);
	return rc;
}

int
cmd_list(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pending", no_argument, NULL, 'p' },
		{ "sent", no_argument, NULL, 's' },
		{ "failed", no_argument, NULL, 'f' },
		{ "log", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *where[] = {
		[LIST_ALL] = "1",
		[LIST_PENDING] = "sent = 0",
		[LIST_SENT] = "sent = 1 AND last_error IS NULL",
		[LIST_FAILED] = "sent = 1 AND last_error IS NOT NULL",
	};
	enum list_filter filter = LIST_ALL;
	sqlite3_stmt *st = NULL;
	struct buf err, sql, line;
	struct db db;
	enum db_status s;
	int ch, json = 0, rc = EXIT_OK, n = 0, step, runlog = 0;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'p': filter = LIST_PENDING; break;
		case 's': filter = LIST_SENT; break;
		case 'f': filter = LIST_FAILED; break;
		case 'l': runlog = 1; break;
		default:
			cmd_list_usage();
			return EXIT_USAGE;
		}
	}
	if (optind != argc || (runlog && filter != LIST_ALL)) {
		cmd_list_usage();
		return EXIT_USAGE;
	}
	if (runlog)
		return cmd_list_log(app, json);
	buf_init(&err, 4096);
	buf_init(&sql, 1024);
	buf_init(&line, 1 << 20);
	s = db_open(&db, &app->conf, DB_READONLY, &err);
	if (s != DB_OK) {
		log_warnx("%s", err.data);
		rc = app_exit_for_db(s);
		goto out;
	}
	if ((s = table_view(&db, &err)) != DB_OK) {
		log_warnx("%s", err.data);
		rc = app_exit_for_db(s);
		goto out;
	}
	buf_printf(&sql, "SELECT id, sent, datetime(scheduled_at), "
	    "scheduled_at, title, recipients, last_error, timezone, sent_at "
	    "FROM temp.reports WHERE %s ORDER BY scheduled_at, id",
	    where[filter]);
	if ((s = db_prepare(&db, sql.data, &st, &err)) != DB_OK) {
		log_warnx("%s", err.data);
		rc = app_exit_for_db(s);
		goto out;
	}
	if (json)
		printf("[");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *norm = (const char *)sqlite3_column_text(st, 2);
		const char *raw = (const char *)sqlite3_column_text(st, 3);
		const char *title = (const char *)sqlite3_column_text(st, 4);
		const char *rcpt = (const char *)sqlite3_column_text(st, 5);
		const unsigned char *error = sqlite3_column_text(st, 6);
		const char *tz = (const char *)sqlite3_column_text(st, 7);
		const char *sent_at = (const char *)sqlite3_column_text(st, 8);
		const char *state = cmd_list_state(sqlite3_column_int(st, 1),
		    error);
		char when[64];

		cmd_list_when(app, norm ? norm : raw, tz, when, sizeof(when));
		buf_reset(&line);
		if (json) {
			buf_printf(&line, "%s\n  {\"id\": %lld, \"state\": \"%s\""
			    ", \"scheduled_at\": ", n ? "," : "",
			    (long long)sqlite3_column_int64(st, 0), state);
			buf_json_str(&line, raw ? raw : "");
			buf_puts(&line, ", \"scheduled_local\": ");
			buf_json_str(&line, when);
			buf_puts(&line, ", \"title\": ");
			buf_json_str(&line, title ? title : "");
			buf_puts(&line, ", \"recipients\": ");
			buf_json_str(&line, rcpt ? rcpt : "");
			buf_puts(&line, ", \"sent_at\": ");
			if (sent_at)
				buf_json_str(&line, sent_at);
			else
				buf_puts(&line, "null");
			buf_puts(&line, ", \"last_error\": ");
			if (error)
				buf_json_str(&line, (const char *)error);
			else
				buf_puts(&line, "null");
			buf_puts(&line, "}");
		} else
			buf_printf(&line, "%lld\t%s\t%s\t%s\t%s\t%s\n",
			    (long long)sqlite3_column_int64(st, 0), state, when,
			    title ? title : "", rcpt ? rcpt : "",
			    error ? (const char *)error : "");
		fwrite(line.data, 1, line.len, stdout);
		n++;
	}
	if (step != SQLITE_DONE) {
		log_warnx("list: %s", sqlite3_errmsg(db.h));
		rc = app_exit_for_db(db_status_of(step));
	}
	if (json)
		printf("%s]\n", n ? "\n" : "");
out:
	sqlite3_finalize(st);
	db_close(&db);
	buf_release(&err);
	buf_release(&sql);
	buf_release(&line);
	return rc;
}
