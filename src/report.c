/*
 * report.c - reads and marks rows of the reports table.
 *
 * Reads go through temp.reports, the contract's shape of whatever table
 * the file has (table.h).  Writes are built for the table at hand: only
 * the columns it has, "none" as its constraints allow.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "table.h"

/*
 * The report_data of row id into *out (NULL for NULL or '', as
 * temp.reports has it) with SQLite's incremental I/O, in one buffer of
 * its size: a SELECT through temp.reports holds the value three times at
 * its peak (the record's, NULLIF's, CASE's) before the copy kept, some
 * 25 MB for a table of 100,000 rows.  1 when it cannot be read this way
 * (a table without rowids, a value that is neither text nor blob, a
 * file not in UTF-8): the caller selects it.  0, or -1 out of memory.
 */
static int
report_data_blob(struct db *db, long long id, char **out)
{
	sqlite3_stmt *st = NULL;
	sqlite3_blob *blob = NULL;
	struct buf sql;
	sqlite3_int64 rowid = 0;
	int n, rc = 1;

	*out = NULL;
	buf_init(&sql, 512);
	/* The stored bytes are the text in a UTF-8 file only; a library
	 * built without UTF-16 has no such pragma, and reads every file's
	 * text as UTF-8 bytes, as these. */
	if (sqlite3_prepare_v2(db->h, "PRAGMA encoding", -1, &st, NULL) !=
	    SQLITE_OK || (sqlite3_step(st) == SQLITE_ROW && strcmp((const
	    char *)sqlite3_column_text(st, 0), "UTF-8") != 0))
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if (buf_puts(&sql, "SELECT rowid FROM ") == -1 || table_put_name(db,
	    &sql) == -1 || buf_puts(&sql, " WHERE id = ?1") == -1 ||
	    sqlite3_prepare_v2(db->h, sql.data, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	rowid = sqlite3_column_int64(st, 0);
	if (sqlite3_blob_open(db->h, "main", db->table, table_column_name(
	    TABLE_REPORT_DATA), rowid, 0, &blob) != SQLITE_OK)
		goto out;
	if ((n = sqlite3_blob_bytes(blob)) == 0) {
		rc = 0;
		goto out;
	}
	if ((*out = malloc((size_t)n + 1)) == NULL) {
		rc = -1;
		goto out;
	}
	if (sqlite3_blob_read(blob, *out, n, 0) != SQLITE_OK) {
		free(*out);
		*out = NULL;
		goto out;
	}
	(*out)[n] = '\0';
	rc = 0;
out:
	sqlite3_blob_close(blob);
	sqlite3_finalize(st);
	buf_release(&sql);
	/* The pages it went through are of no further use. */
	sqlite3_db_release_memory(db->h);
	return rc;
}

/* The report_data of row id into *out: as above, or selected. */
static enum db_status
report_data_read(struct db *db, long long id, char **out, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;
	int rc;

	if ((rc = report_data_blob(db, id, out)) <= 0) {
		if (rc == 0)
			return DB_OK;
		buf_printf(err, "report %lld: out of memory", id);
		return DB_ERROR;
	}
	if ((s = table_view(db, err)) != DB_OK || (s = db_prepare(db,
	    "SELECT report_data FROM temp.reports WHERE "
	    "id = ?1", &st, err)) != DB_OK)
		return s;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (db_column_dup(st, 0, out) == -1) {
			buf_printf(err, "report %lld: out of memory", id);
			s = DB_ERROR;
		}
	} else if (rc != SQLITE_DONE) {
		buf_printf(err, "report %lld: %s", id, sqlite3_errmsg(db->h));
		s = db_status_of(rc);
	}
	sqlite3_finalize(st);
	return s;
}

void
report_release(struct report *r)
{
	free(r->title);
	free(r->recipients);
	free(r->cc);
	free(r->bcc);
	free(r->subject);
	free(r->body);
	free(r->scheduled_at);
	free(r->occurrence);
	free(r->sent_at);
	free(r->pdf_path);
	free(r->report_data);
	free(r->schedule);
	free(r->timezone);
	free(r->last_error);
	memset(r, 0, sizeof(*r));
}

enum db_status
report_due_sql(struct db *db, struct buf *sql, const char *what,
    const char *cond, struct buf *err)
{
	buf_init(sql, 1024);
	if (buf_printf(sql, "SELECT %s FROM ", what) == -1 ||
	    table_put_name(db, sql) == -1 || buf_printf(sql, " WHERE sent = 0"
	    "%s%s", cond ? " AND " : "", cond ? cond : "") == -1) {
		buf_release(sql);
		buf_printf(err, "table name too long");
		return DB_ERROR;
	}
	return DB_OK;
}

enum db_status
report_due_ids(struct db *db, const char *now, long long **ids, size_t *n,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	long long *v = NULL, *nv;
	size_t len = 0, cap = 0;
	struct buf sql;
	enum db_status s;
	int rc;

	*ids = NULL;
	*n = 0;
	/*
	 * datetime() reads what scheduled_at may hold (Django's text, ISO
	 * 8601 with T, Z or an offset) as the instant it means.  A value it
	 * cannot read is due at once, to be given up with its reason rather
	 * than left pending forever.
	 */
	if ((s = report_due_sql(db, &sql, "id", "coalesce(datetime("
	    "scheduled_at) <= ?1, 1) ORDER BY NULLIF(scheduled_at, ''), id",
	    err)) != DB_OK)
		return s;
	s = db_prepare(db, sql.data, &st, err);
	buf_release(&sql);
	if (s != DB_OK)
		return s;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				buf_printf(err, "out of memory");
				s = DB_ERROR;
				goto fail;
			}
			v = nv;
		}
		v[len++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		buf_printf(err, "reading due reports: %s",
		    sqlite3_errmsg(db->h));
		s = db_status_of(rc);
		goto fail;
	}
	sqlite3_finalize(st);
	*ids = v;
	*n = len;
	return DB_OK;
fail:
	sqlite3_finalize(st);
	free(v);
	return s;
}

enum db_status
report_load(struct db *db, long long id, int with_data, struct report *r,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((s = table_view(db, err)) != DB_OK)
		return s;
	/* datetime() reads the formats Django and ISO 8601 use, offsets
	 * included, and gives NULL for anything else. */
	s = db_prepare_kept(db, "SELECT id, title, recipients, cc, bcc, subject, "
	    "body, scheduled_at, datetime(scheduled_at), sent, sent_at, "
	    "pdf_path, NULL, schedule, timezone, "
	    "last_error, CASE WHEN ?2 THEN NULL ELSE "
	    "coalesce(length(report_data), 0) > 0 END "
	    "FROM temp.reports WHERE id = ?1", &st, err);
	if (s != DB_OK)
		return s;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, with_data);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		s = DB_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		buf_printf(err, "report %lld: %s", id, sqlite3_errmsg(db->h));
		s = db_status_of(rc);
		goto out;
	}
	r->id = sqlite3_column_int64(st, 0);
	r->sent = sqlite3_column_int(st, 9);
	r->has_data = sqlite3_column_int(st, 16);
	if (db_column_dup(st, 1, &r->title) || db_column_dup(st, 2,
	    &r->recipients) || db_column_dup(st, 3, &r->cc) ||
	    db_column_dup(st, 4, &r->bcc) || db_column_dup(st, 5,
	    &r->subject) || db_column_dup(st, 6, &r->body) ||
	    db_column_dup(st, 7, &r->scheduled_at) || db_column_dup(st, 8,
	    &r->occurrence) || db_column_dup(st, 10, &r->sent_at) ||
	    db_column_dup(st, 11, &r->pdf_path) || db_column_dup(st, 12,
	    &r->report_data) || db_column_dup(st, 13, &r->schedule) ||
	    db_column_dup(st, 14, &r->timezone) || db_column_dup(st, 15,
	    &r->last_error)) {
		buf_printf(err, "report %lld: out of memory", id);
		s = DB_ERROR;
		goto out;
	}
	/* With the data loaded, whether there is any is known without
	 * reading it again (twice 8 MB for a report of 100,000 rows). */
	if (with_data) {
		if ((s = report_data_read(db, id, &r->report_data, err)) !=
		    DB_OK)
			goto out;
		r->has_data = r->report_data != NULL && *r->report_data;
	}
	/* NOT NULL in the schema, but a sync job's file may not say so. */
	if (r->title == NULL && (r->title = strdup("")) == NULL) {
		s = DB_ERROR;
		goto out;
	}
	s = DB_OK;
out:
	db_done(db, st);
	if (s != DB_OK)
		report_release(r);
	return s;
}

/*
 * The guarded UPDATE of report r: sets the columns of `set` that the table
 * has (each value an SQL expression over ?3, ?4, ?5), where the row still
 * holds the occurrence r was read with and is unsent.  DB_OK; DB_NOTFOUND
 * when the row changed meanwhile (or the table has none of the columns);
 * DB_TEMPFAIL or DB_ERROR.
 */
struct report_set {
	enum table_column	 column;
	const char		*value;		/* NULL: the column's none */
};

static enum db_status
report_update(struct db *db, const struct report *r,
    const struct report_set *set, size_t nset, const char *t3,
    const char *t4, const char *t5, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	struct buf sql;
	enum db_status s;
	size_t i, n = 0;
	int rc, bad = 0, own_tx = 0;

	buf_init(&sql, 4096);
	bad |= buf_puts(&sql, "UPDATE ");
	bad |= table_put_name(db, &sql);
	bad |= buf_puts(&sql, " SET ");
	for (i = 0; i < nset; i++) {
		if (!table_has(db, set[i].column))
			continue;
		if (n++ > 0)
			bad |= buf_puts(&sql, ", ");
		bad |= table_put_column(&sql, set[i].column);
		bad |= buf_printf(&sql, " = %s", set[i].value ? set[i].value :
		    table_none(db, set[i].column));
	}
	bad |= buf_puts(&sql, " WHERE \"id\" = ?1 AND \"scheduled_at\" = ?2 "
	    "AND \"sent\" = 0");
	if (n == 0) {
		s = DB_NOTFOUND;
		goto out;
	}
	if (bad) {
		buf_printf(err, "report %lld: statement too long", r->id);
		s = DB_ERROR;
		goto out;
	}
	/* A write of its own is guarded like every write of the file that
	 * the sync job may replace (db_reports_begin). */
	own_tx = sqlite3_get_autocommit(db->h) || db->reading;
	if (own_tx && (s = db_reports_begin(db, err)) != DB_OK) {
		own_tx = 0;
		goto out;
	}
	if ((s = db_prepare_kept(db, sql.data, &st, err)) != DB_OK)
		goto out;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, r->scheduled_at, -1, SQLITE_STATIC);
	/* A parameter the statement does not use is simply not bound. */
	if (sqlite3_bind_parameter_index(st, "?3"))
		db_bind_text(st, 3, t3);
	if (sqlite3_bind_parameter_index(st, "?4"))
		db_bind_text(st, 4, t4);
	if (sqlite3_bind_parameter_index(st, "?5"))
		db_bind_text(st, 5, t5);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		buf_printf(err, "report %lld: %s", r->id,
		    sqlite3_errmsg(db->h));
		s = db_status_of(rc);
	} else
		s = sqlite3_changes(db->h) == 1 ? DB_OK : DB_NOTFOUND;
out:
	db_done(db, st);
	if (own_tx) {
		if ((s == DB_OK || s == DB_NOTFOUND) &&
		    (rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL)) !=
		    SQLITE_OK) {
			buf_printf(err, "report %lld: %s", r->id,
			    sqlite3_errmsg(db->h));
			s = db_status_of(rc);
		}
		if (!sqlite3_get_autocommit(db->h))
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	}
	buf_release(&sql);
	return s;
}

#define NSET(a)	(sizeof(a) / sizeof((a)[0]))

enum db_status
report_mark_sent(struct db *db, const struct report *r, const char *sent_at,
    const char *error, struct buf *err)
{
	static const struct report_set set[] = {
		{ TABLE_SENT, "1" },
		{ TABLE_SENT_AT, "?3" },
		{ TABLE_LAST_ERROR, NULL },
	};
	static const struct report_set set_error[] = {
		{ TABLE_SENT, "1" },
		{ TABLE_SENT_AT, "?3" },
		{ TABLE_LAST_ERROR, "?4" },
	};

	if (error)
		return report_update(db, r, set_error, NSET(set_error),
		    sent_at, error, NULL, err);
	return report_update(db, r, set, NSET(set), sent_at, NULL, NULL,
	    err);
}

enum db_status
report_mark_given_up(struct db *db, const struct report *r,
    const char *error, struct buf *err)
{
	static const struct report_set set[] = {
		{ TABLE_SENT, "1" },
		{ TABLE_LAST_ERROR, "?3" },
	};

	return report_update(db, r, set, NSET(set), error, NULL, NULL, err);
}

enum db_status
report_set_error(struct db *db, const struct report *r, const char *error,
    struct buf *err)
{
	static const struct report_set set[] = {
		{ TABLE_LAST_ERROR, "?3" },
	};

	/* Without the column, the run log alone keeps the reason. */
	if (!table_has(db, TABLE_LAST_ERROR))
		return DB_OK;
	return report_update(db, r, set, NSET(set), error, NULL, NULL, err);
}

enum db_status
report_advance(struct db *db, const struct report *r, const char *next,
    const char *sent_at, const char *error, struct buf *err)
{
	static const struct report_set set[] = {
		{ TABLE_SCHEDULED_AT, "?3" },
		{ TABLE_SENT_AT, "coalesce(?4, \"sent_at\")" },
		{ TABLE_LAST_ERROR, NULL },
	};
	static const struct report_set set_error[] = {
		{ TABLE_SCHEDULED_AT, "?3" },
		{ TABLE_SENT_AT, "coalesce(?4, \"sent_at\")" },
		{ TABLE_LAST_ERROR, "?5" },
	};

	if (error)
		return report_update(db, r, set_error, NSET(set_error), next,
		    sent_at, error, err);
	return report_update(db, r, set, NSET(set), next, sent_at, NULL,
	    err);
}
