/*
 * report.c - reads and marks rows of scheduled_reports.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

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
report_due_ids(struct db *db, const char *now, long long **ids, size_t *n,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	long long *v = NULL, *nv;
	size_t len = 0, cap = 0;
	enum db_status s;
	int rc;

	*ids = NULL;
	*n = 0;
	s = db_prepare(db, "SELECT id FROM scheduled_reports "
	    "WHERE sent = 0 AND scheduled_at <= ?1 "
	    "ORDER BY scheduled_at, id", &st, err);
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
	/* datetime() reads the formats Django and ISO 8601 use, offsets
	 * included, and gives NULL for anything else. */
	s = db_prepare(db, "SELECT id, title, recipients, cc, bcc, subject, "
	    "body, scheduled_at, datetime(scheduled_at), sent, sent_at, "
	    "pdf_path, CASE WHEN ?2 THEN report_data END, schedule, timezone, "
	    "last_error, coalesce(length(report_data), 0) > 0 "
	    "FROM scheduled_reports WHERE id = ?1", &st, err);
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
	/* NOT NULL in the schema, but a sync job's file may not say so. */
	if (r->title == NULL && (r->title = strdup("")) == NULL) {
		s = DB_ERROR;
		goto out;
	}
	s = DB_OK;
out:
	sqlite3_finalize(st);
	if (s != DB_OK)
		report_release(r);
	return s;
}

/* Runs one guarded UPDATE on report r; DB_NOTFOUND if the row changed. */
static enum db_status
report_update(struct db *db, const struct report *r, const char *sql,
    const char *text, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;
	int rc;

	if ((s = db_prepare(db, sql, &st, err)) != DB_OK)
		return s;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, r->scheduled_at, -1, SQLITE_STATIC);
	db_bind_text(st, 3, text);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		buf_printf(err, "report %lld: %s", r->id,
		    sqlite3_errmsg(db->h));
		s = db_status_of(rc);
	} else
		s = sqlite3_changes(db->h) == 1 ? DB_OK : DB_NOTFOUND;
	sqlite3_finalize(st);
	return s;
}

enum db_status
report_mark_sent(struct db *db, const struct report *r, const char *sent_at,
    struct buf *err)
{
	return report_update(db, r, "UPDATE scheduled_reports SET sent = 1, "
	    "sent_at = ?3, last_error = NULL "
	    "WHERE id = ?1 AND scheduled_at = ?2 AND sent = 0", sent_at, err);
}

enum db_status
report_mark_given_up(struct db *db, const struct report *r,
    const char *error, struct buf *err)
{
	return report_update(db, r, "UPDATE scheduled_reports SET sent = 1, "
	    "last_error = ?3 WHERE id = ?1 AND scheduled_at = ?2 AND sent = 0",
	    error, err);
}

enum db_status
report_set_error(struct db *db, const struct report *r, const char *error,
    struct buf *err)
{
	return report_update(db, r, "UPDATE scheduled_reports "
	    "SET last_error = ?3 WHERE id = ?1 AND scheduled_at = ?2 "
	    "AND sent = 0 AND last_error IS NOT ?3", error, err);
}

enum db_status
report_advance(struct db *db, const struct report *r, const char *next,
    const char *sent_at, const char *error, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;
	int rc;

	if ((s = db_prepare(db, "UPDATE scheduled_reports SET scheduled_at = "
	    "?3, sent_at = coalesce(?4, sent_at), last_error = ?5 "
	    "WHERE id = ?1 AND scheduled_at = ?2 AND sent = 0", &st, err)) !=
	    DB_OK)
		return s;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, r->scheduled_at, -1, SQLITE_STATIC);
	db_bind_text(st, 3, next);
	db_bind_text(st, 4, sent_at);
	db_bind_text(st, 5, error);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		buf_printf(err, "report %lld: %s", r->id,
		    sqlite3_errmsg(db->h));
		s = db_status_of(rc);
	} else
		s = sqlite3_changes(db->h) == 1 ? DB_OK : DB_NOTFOUND;
	sqlite3_finalize(st);
	return s;
}
