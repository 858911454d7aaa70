/*
 * state.c - occurrences and run log in the state database (db/state/).
 *
 * The queue's pause is four rows of state.meta: "pause_until" (UTC text),
 * "pause_count", "pause_kind" and "pause_reason"; an earlier version
 * wrote only the first two.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "timeutil.h"

#define STATE_PAUSE_UNTIL	"pause_until"
#define STATE_PAUSE_COUNT	"pause_count"
#define STATE_PAUSE_KIND	"pause_kind"
#define STATE_PAUSE_REASON	"pause_reason"

enum db_status
state_occurrence_find(struct db *db, long long report_id,
    const char *occurrence, char **spooled_at, char **delivery_error,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;
	int rc;

	*spooled_at = NULL;
	if (delivery_error)
		*delivery_error = NULL;
	if (!db->has_state)
		return DB_NOTFOUND;
	s = db_prepare_kept(db, "SELECT spooled_at, delivery_error FROM "
	    "state.occurrences WHERE report_id = ?1 AND scheduled_at = ?2",
	    &st, err);
	if (s != DB_OK)
		return s;
	sqlite3_bind_int64(st, 1, report_id);
	sqlite3_bind_text(st, 2, occurrence, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s = db_column_dup(st, 0, spooled_at) == 0 &&
		    (delivery_error == NULL ||
		    db_column_dup(st, 1, delivery_error) == 0) ? DB_OK :
		    DB_ERROR;
	} else if (rc == SQLITE_DONE)
		s = DB_NOTFOUND;
	else {
		buf_printf(err, "state database: %s", sqlite3_errmsg(db->h));
		s = db_status_at(db->h, rc);
	}
	db_done(db, st);
	return s;
}

enum db_status
state_log(struct db *db, long long report_id, const char *occurrence,
    const char *now, const char *outcome, const char *message_id,
    const char *error, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;
	int rc;

	s = db_prepare_kept(db, "INSERT INTO state.runlog (report_id, scheduled_at,"
	    " handled_at, outcome, message_id, error) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st, err);
	if (s != DB_OK)
		return s;
	sqlite3_bind_int64(st, 1, report_id);
	db_bind_text(st, 2, occurrence ? occurrence : "");
	db_bind_text(st, 3, now);
	db_bind_text(st, 4, outcome);
	db_bind_text(st, 5, message_id);
	db_bind_text(st, 6, error);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		buf_printf(err, "state database: run log: %s",
		    sqlite3_errmsg(db->h));
		s = db_status_at(db->h, rc);
	}
	db_done(db, st);
	return s;
}

enum db_status
state_log_queued_missing(struct db *db, long long report_id,
    const char *occurrence, int *added, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;
	int rc;

	*added = 0;
	s = db_prepare(db, "INSERT INTO state.runlog (report_id, scheduled_at,"
	    " handled_at, outcome, message_id, error) "
	    "SELECT report_id, scheduled_at, spooled_at, '" STATE_QUEUED "', "
	    "message_id, NULL FROM state.occurrences "
	    "WHERE report_id = ?1 AND scheduled_at = ?2 AND NOT EXISTS "
	    "(SELECT 1 FROM state.runlog WHERE report_id = ?1 AND "
	    "scheduled_at = ?2 AND outcome = '" STATE_QUEUED "')", &st, err);
	if (s != DB_OK)
		return s;
	sqlite3_bind_int64(st, 1, report_id);
	db_bind_text(st, 2, occurrence);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		buf_printf(err, "state database: run log: %s",
		    sqlite3_errmsg(db->h));
		s = db_status_of(rc);
	} else
		*added = sqlite3_changes(db->h) > 0;
	sqlite3_finalize(st);
	return s;
}

enum db_status
state_record_queued(struct db *db, long long report_id,
    const char *occurrence, const char *message_id, const char *spool_name,
    const char *now, const char *title, const char *recipients,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;
	int rc;

	s = db_prepare_kept(db, "INSERT INTO state.occurrences (report_id, "
	    "scheduled_at, message_id, spool_name, spooled_at, title, "
	    "recipients) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st, err);
	if (s != DB_OK)
		return s;
	sqlite3_bind_int64(st, 1, report_id);
	db_bind_text(st, 2, occurrence);
	db_bind_text(st, 3, message_id);
	db_bind_text(st, 4, spool_name);
	db_bind_text(st, 5, now);
	db_bind_text(st, 6, title);
	db_bind_text(st, 7, recipients);
	rc = sqlite3_step(st);
	db_done(db, st);
	if (rc != SQLITE_DONE) {
		buf_printf(err, "state database: %s", sqlite3_errmsg(db->h));
		return db_status_at(db->h, rc);
	}
	return state_log(db, report_id, occurrence, now, STATE_QUEUED,
	    message_id, NULL, err);
}

enum db_status
state_meta_set(struct db *db, const char *key, const char *value,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;

	s = db_prepare(db, "INSERT INTO state.meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value", &st,
	    err);
	if (s != DB_OK)
		return s;
	db_bind_text(st, 1, key);
	db_bind_text(st, 2, value);
	return db_step_once(db, st, "state database", err);
}

enum db_status
state_meta_get(struct db *db, const char *key, char *out, size_t size,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	enum db_status s;
	int rc;

	if (size)
		out[0] = '\0';
	if (!db->has_state)
		return DB_NOTFOUND;
	if ((s = db_prepare(db, "SELECT value FROM state.meta WHERE key = ?1",
	    &st, err)) != DB_OK)
		return s;
	db_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if ((v = sqlite3_column_text(st, 0)) != NULL && size)
			snprintf(out, size, "%s", (const char *)v);
		s = DB_OK;
	} else if (rc == SQLITE_DONE)
		s = DB_NOTFOUND;
	else {
		buf_printf(err, "state database: %s", sqlite3_errmsg(db->h));
		s = db_status_at(db->h, rc);
	}
	sqlite3_finalize(st);
	return s;
}

enum db_status
state_pause_get(struct db *db, struct state_pause *p, struct buf *err)
{
	char until[TIME_DB_LEN + 8], count[32];
	enum db_status s;

	memset(p, 0, sizeof(*p));
	s = state_meta_get(db, STATE_PAUSE_UNTIL, until, sizeof(until), err);
	if (s == DB_NOTFOUND)
		return DB_OK;
	if (s != DB_OK)
		return s;
	if (time_parse_db(until, &p->until) == -1)
		p->until = 0;
	if ((s = state_meta_get(db, STATE_PAUSE_COUNT, count, sizeof(count),
	    err)) == DB_OK)
		p->count = strtoll(count, NULL, 10);
	if (s == DB_OK || s == DB_NOTFOUND)
		s = state_meta_get(db, STATE_PAUSE_KIND, p->kind,
		    sizeof(p->kind), err);
	if (s == DB_OK || s == DB_NOTFOUND)
		s = state_meta_get(db, STATE_PAUSE_REASON, p->reason,
		    sizeof(p->reason), err);
	return s == DB_NOTFOUND ? DB_OK : s;
}

enum db_status
state_pause_set(struct db *db, const struct state_pause *p, struct buf *err)
{
	char until[TIME_DB_LEN], count[32];
	enum db_status s;

	time_format_db(p->until, until);
	snprintf(count, sizeof(count), "%lld", p->count);
	if ((s = state_meta_set(db, STATE_PAUSE_UNTIL, until, err)) == DB_OK &&
	    (s = state_meta_set(db, STATE_PAUSE_COUNT, count, err)) == DB_OK &&
	    (s = state_meta_set(db, STATE_PAUSE_KIND, p->kind, err)) == DB_OK)
		s = state_meta_set(db, STATE_PAUSE_REASON, p->reason, err);
	return s;
}

enum db_status
state_pause_clear(struct db *db, struct buf *err)
{
	return db_exec(db, "DELETE FROM state.meta WHERE key IN ('"
	    STATE_PAUSE_UNTIL "', '" STATE_PAUSE_COUNT "', '"
	    STATE_PAUSE_KIND "', '" STATE_PAUSE_REASON "')", err);
}

enum db_status
state_check(struct db *db, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	enum db_status s;
	int rc;

	if ((s = db_prepare(db, "PRAGMA state.quick_check(1)", &st, err)) !=
	    DB_OK)
		return s;
	rc = sqlite3_step(st);
	v = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (rc != SQLITE_ROW) {
		buf_printf(err, "state database: %s", sqlite3_errmsg(db->h));
		s = db_status_at(db->h, rc);
		if (s == DB_OK)
			s = DB_ERROR;
	} else if (v == NULL || strcmp((const char *)v, "ok") != 0) {
		buf_printf(err, "state database: %s", v ? (const char *)v :
		    "quick_check gave nothing");
		s = DB_ERROR;
	}
	sqlite3_finalize(st);
	return s;
}
