/*
 * cmd_schedule.c - `sendreports schedule --to ADDRS --at TIME [...]`: adds
 * a report to the local database and prints its id.
 *
 * Everything is checked before anything is written: the addresses parse,
 * the header texts hold no line break, the data is valid JSON, the PDF is
 * a PDF.  The row and the stored copy of --pdf are committed together: the
 * copy is written first, under a name derived from the new id, and the
 * transaction that created the row commits only once the copy is durable.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "app.h"
#include "db.h"
#include "cron.h"
#include "exitcode.h"
#include "log.h"
#include "pdfstore.h"
#include "table.h"
#include "timeutil.h"

#define SCHEDULE_DATA_MAX	((size_t)256 << 20)

struct schedule_args {
	const char	*to, *cc, *bcc, *at, *title, *subject, *body;
	const char	*pdf, *data, *tz, *every;
};

/* Reads a whole file, or stdin for "-", into out. */
static int
schedule_read_data(const char *path, struct buf *out)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char chunk[65536];
	size_t n;
	int rc = 0;

	if (fp == NULL) {
		log_warn("--data '%s'", path);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_append(out, chunk, n) == -1) {
			log_warnx("--data '%s': too large", path);
			rc = -1;
			break;
		}
	if (rc == 0 && ferror(fp)) {
		log_warn("--data '%s'", path);
		rc = -1;
	}
	if (fp != stdin)
		fclose(fp);
	return rc;
}

/*
 * Prepares the INSERT of the new report into the table at hand, its
 * values bound: every column the table has, "none" (table.h) for those
 * not given, and a refusal for an option whose column it lacks.
 */
static enum db_status
schedule_insert(struct db *db, const struct schedule_args *a,
    const char *at_db, const struct buf *data, sqlite3_stmt **st,
    struct buf *err)
{
	const struct {
		enum table_column	 column;
		const char		*option;
		const char		*value;
	} v[] = {
		{ TABLE_TITLE, "--title", a->title ? a->title : a->subject ?
		    a->subject : "Report" },
		{ TABLE_RECIPIENTS, "--to", a->to },
		{ TABLE_CC, "--cc", a->cc },
		{ TABLE_BCC, "--bcc", a->bcc },
		{ TABLE_SUBJECT, "--subject", a->subject },
		{ TABLE_BODY, "--body", a->body },
		{ TABLE_SCHEDULED_AT, "--at", at_db },
		{ TABLE_SENT, NULL, "0" },
		{ TABLE_SENT_AT, NULL, NULL },
		{ TABLE_PDF_PATH, NULL, NULL },
		{ TABLE_REPORT_DATA, "--data", a->data ? "" : NULL },
		{ TABLE_SCHEDULE, "--every", a->every },
		{ TABLE_TIMEZONE, "--tz", a->tz },
		{ TABLE_LAST_ERROR, NULL, NULL },
	};
	struct buf sql, values;
	enum db_status s = DB_ERROR;
	size_t i;
	int n = 0, bad = 0;

	*st = NULL;
	buf_init(&sql, 4096);
	buf_init(&values, 1024);
	bad |= buf_puts(&sql, "INSERT INTO ");
	bad |= table_put_name(db, &sql);
	bad |= buf_puts(&sql, " (");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (!table_has(db, v[i].column)) {
			if (v[i].value && v[i].option) {
				buf_printf(err, "%s: table %s has no column %s",
				    v[i].option, db->table,
				    table_column_name(v[i].column));
				s = DB_SCHEMA;
				goto out;
			}
			continue;
		}
		if (n++ > 0) {
			bad |= buf_puts(&sql, ", ");
			bad |= buf_puts(&values, ", ");
		}
		bad |= table_put_column(&sql, v[i].column);
		if (v[i].value == NULL)
			bad |= buf_puts(&values, table_none(db, v[i].column));
		else
			bad |= buf_printf(&values, "?%zu", i + 1);
	}
	bad |= buf_printf(&sql, ") VALUES (%s)", values.data);
	if (bad) {
		buf_printf(err, "schedule: statement too long");
		goto out;
	}
	if ((s = db_prepare(db, sql.data, st, err)) != DB_OK)
		goto out;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (!table_has(db, v[i].column) || v[i].value == NULL)
			continue;
		if (v[i].column == TABLE_REPORT_DATA)
			sqlite3_bind_text(*st, (int)i + 1, data->data,
			    (int)data->len, SQLITE_STATIC);
		else
			sqlite3_bind_text(*st, (int)i + 1, v[i].value, -1,
			    SQLITE_TRANSIENT);
	}
out:
	buf_release(&sql);
	buf_release(&values);
	return s;
}

/* Refuses a line break in a text that becomes a header. */
static int
schedule_check_header(const char *what, const char *v)
{
	if (v && strpbrk(v, "\r\n")) {
		log_warnx("%s contains a line break", what);
		return -1;
	}
	return 0;
}

static int
schedule_check_addresses(const char *what, const char *v, int required)
{
	struct addr_list l = { NULL, 0 };
	struct buf err;
	int rc = 0;

	if (v == NULL || *v == '\0') {
		if (required) {
			log_warnx("%s: no address given", what);
			return -1;
		}
		return 0;
	}
	buf_init(&err, 4096);
	if (addr_list_parse(&l, v, &err) == -1) {
		log_warnx("%s: %s", what, err.data);
		rc = -1;
	}
	addr_list_release(&l);
	buf_release(&err);
	return rc;
}

static void
schedule_usage(void)
{
	fprintf(stderr, "usage: sendreports schedule --to ADDRS --at TIME "
	    "[--title T] [--subject S]\n"
	    "           [--body TEXT] [--cc ADDRS] [--bcc ADDRS] "
	    "[--pdf FILE] [--data FILE|-]\n"
	    "           [--every CRON] [--tz ZONE]\n");
}

static int
schedule_parse(int argc, char **argv, struct schedule_args *a)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "cc", required_argument, NULL, 'c' },
		{ "bcc", required_argument, NULL, 'b' },
		{ "at", required_argument, NULL, 'a' },
		{ "title", required_argument, NULL, 'T' },
		{ "subject", required_argument, NULL, 's' },
		{ "body", required_argument, NULL, 'B' },
		{ "pdf", required_argument, NULL, 'p' },
		{ "data", required_argument, NULL, 'd' },
		{ "tz", required_argument, NULL, 'z' },
		{ "every", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 't': a->to = optarg; break;
		case 'c': a->cc = optarg; break;
		case 'b': a->bcc = optarg; break;
		case 'a': a->at = optarg; break;
		case 'T': a->title = optarg; break;
		case 's': a->subject = optarg; break;
		case 'B': a->body = optarg; break;
		case 'p': a->pdf = optarg; break;
		case 'd': a->data = optarg; break;
		case 'z': a->tz = optarg; break;
		case 'e': a->every = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc || a->to == NULL || a->at == NULL)
		return -1;
	return 0;
}

int
cmd_schedule(struct app *app, int argc, char **argv)
{
	struct schedule_args a;
	struct buf data, err, name, sql;
	sqlite3_stmt *st = NULL;
	struct db db = { 0 };
	enum db_status s;
	char at_db[TIME_DB_LEN];
	long long id;
	time_t at;
	int rc = EXIT_DATAERR, in_tx = 0, stored = 0;

	if (schedule_parse(argc, argv, &a) == -1) {
		schedule_usage();
		return EXIT_USAGE;
	}
	buf_init(&data, SCHEDULE_DATA_MAX);
	buf_init(&err, 4096);
	buf_init(&name, 256);
	buf_init(&sql, 1024);

	if (a.tz && time_zone_check(a.tz) == -1) {
		log_warnx("--tz \"%s\": unknown time zone", a.tz);
		rc = EXIT_USAGE;
		goto out;
	}
	if (time_parse(a.at, a.tz ? a.tz : app->conf.timezone, &at) == -1) {
		log_warnx("--at \"%s\": not a time (YYYY-MM-DD HH:MM[:SS], or "
		    "ISO 8601 with Z or an offset)", a.at);
		rc = EXIT_USAGE;
		goto out;
	}
	if (a.every) {
		/* Recurring: the first occurrence at or after --at. */
		struct cron c;
		const char *zone = a.tz ? a.tz : app->conf.timezone;

		if (cron_parse(&c, a.every, &err) == -1) {
			log_warnx("--every: %s", err.data);
			rc = EXIT_USAGE;
			goto out;
		}
		if (cron_next(&c, zone, at - 1, &at) == -1) {
			log_warnx("--every \"%s\": never happens", a.every);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	time_format_db(at, at_db);
	if (schedule_check_addresses("--to", a.to, 1) == -1 ||
	    schedule_check_addresses("--cc", a.cc, 0) == -1 ||
	    schedule_check_addresses("--bcc", a.bcc, 0) == -1 ||
	    schedule_check_header("--title", a.title) == -1 ||
	    schedule_check_header("--subject", a.subject) == -1)
		goto out;
	if (a.pdf && access(a.pdf, R_OK) == -1) {
		log_warn("--pdf '%s'", a.pdf);
		rc = EXIT_NOINPUT;
		goto out;
	}
	if (a.data && schedule_read_data(a.data, &data) == -1) {
		rc = EXIT_NOINPUT;
		goto out;
	}

	s = db_open(&db, &app->conf, DB_STATE, &err);
	if (s != DB_OK) {
		log_warnx("%s", err.data);
		rc = app_exit_for_db(s);
		goto out;
	}
	if (a.data) {
		/* SQLite's own JSON parser judges the data. */
		sqlite3_stmt *js = NULL;
		int valid = 0;

		if (db_prepare(&db, "SELECT json_valid(?1)", &js, &err) ==
		    DB_OK) {
			sqlite3_bind_text(js, 1, data.data, (int)data.len,
			    SQLITE_STATIC);
			valid = sqlite3_step(js) == SQLITE_ROW &&
			    sqlite3_column_int(js, 0);
			sqlite3_finalize(js);
		}
		if (!valid) {
			log_warnx("--data '%s' is not valid JSON", a.data);
			goto out;
		}
	}
	if ((s = db_reports_begin(&db, &err)) != DB_OK)
		goto db_failed;
	in_tx = 1;
	if ((s = schedule_insert(&db, &a, at_db, &data, &st, &err)) != DB_OK)
		goto db_failed;
	if (sqlite3_step(st) != SQLITE_DONE) {
		s = db_status_at(db.h, sqlite3_errcode(db.h));
		buf_printf(&err, "schedule: %s", sqlite3_errmsg(db.h));
		goto db_failed;
	}
	sqlite3_finalize(st);
	st = NULL;
	id = sqlite3_last_insert_rowid(db.h);
	if (a.pdf) {
		buf_printf(&name, "report-%lld.pdf", id);
		if (pdfstore_put(app->conf.pdf_dir, a.pdf, name.data, &err) ==
		    -1) {
			log_warnx("%s", err.data);
			rc = EXIT_CANTCREAT;
			goto out;
		}
		stored = 1;
		buf_reset(&sql);
		if (buf_puts(&sql, "UPDATE ") == -1 ||
		    table_put_name(&db, &sql) == -1 ||
		    buf_puts(&sql, " SET \"pdf_path\" = ?1 WHERE \"id\" = ?2")
		    == -1) {
			buf_printf(&err, "schedule: statement too long");
			s = DB_ERROR;
			goto db_failed;
		}
		s = db_prepare(&db, sql.data, &st, &err);
		if (s != DB_OK)
			goto db_failed;
		db_bind_text(st, 1, name.data);
		sqlite3_bind_int64(st, 2, id);
		if (sqlite3_step(st) != SQLITE_DONE) {
			s = db_status_at(db.h, sqlite3_errcode(db.h));
			buf_printf(&err, "schedule: %s", sqlite3_errmsg(db.h));
			goto db_failed;
		}
	}
	if ((s = db_exec(&db, "COMMIT", &err)) != DB_OK)
		goto db_failed;
	in_tx = 0;
	stored = 0;
	printf("%lld\n", id);
	if (a.every) {
		char when[64];

		if (time_format_local(at, a.tz ? a.tz : app->conf.timezone,
		    when, sizeof(when)) == 0)
			fprintf(stderr, "report %lld: every \"%s\", next run "
			    "%s\n", id, a.every, when);
	}
	rc = EXIT_OK;
	goto out;
db_failed:
	log_warnx("%s", err.data);
	rc = app_exit_for_db(s);
out:
	sqlite3_finalize(st);
	if (in_tx && db.h)
		sqlite3_exec(db.h, "ROLLBACK", NULL, NULL, NULL);
	if (stored) {
		/* The row was rolled back: its PDF must not stay behind. */
		char path[4096];

		if ((size_t)snprintf(path, sizeof(path), "%s/%s",
		    app->conf.pdf_dir, name.data) < sizeof(path))
			unlink(path);
	}
	db_close(&db);
	buf_release(&data);
	buf_release(&err);
	buf_release(&name);
	buf_release(&sql);
	return rc;
}
