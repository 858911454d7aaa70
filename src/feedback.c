/*
 * feedback.c - delivery failures back to the report's owner (feedback.h).
 *
 * The pending work lives in state.occurrences (db/state/003_feedback.sql):
 * delivery_error, and the flags writeback and notice, each cleared once
 * its work is durable.  A crash in between repeats it: a write-back is
 * the same UPDATE again, and a notice is linked into the queue under a
 * name derived from its occurrence, which cannot succeed twice while it
 * is there; flush clears the notice flag before it delivers a notice, so
 * that once gone it is not spooled again either.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "feedback.h"
#include "log.h"
#include "mime.h"
#include "spool.h"
#include "table.h"
#include "timeutil.h"

#define FEEDBACK_ERR_MAX	4096

/* One occurrence with work left. */
struct feedback_item {
	long long	 report_id;
	char		*occurrence;
	char		*title;		/* as sent, or NULL: unknown */
	char		*recipients;	/* likewise */
	char		*error;
	char		*message_id;
	char		*spool_name;
	int		 writeback;
	int		 notice;
};

static void
feedback_item_release(struct feedback_item *it)
{
	free(it->occurrence);
	free(it->title);
	free(it->recipients);
	free(it->error);
	free(it->message_id);
	free(it->spool_name);
	memset(it, 0, sizeof(*it));
}

enum db_status
feedback_record(struct db *db, long long report_id, const char *occurrence,
    const char *error, int notice, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;

	if (occurrence == NULL || report_id <= 0 || !db->has_state)
		return DB_OK;	/* a notice, or no report's message */
	/* Once per error: a message delivered again after a crash (flush
	 * records before it removes the file) must not tell it twice. */
	if ((s = db_prepare(db, "UPDATE state.occurrences SET "
	    "delivery_error = ?3, writeback = 1, notice = ?4 "
	    "WHERE report_id = ?1 AND scheduled_at = ?2 "
	    "AND delivery_error IS NOT ?3", &st, err)) != DB_OK)
		return s;
	sqlite3_bind_int64(st, 1, report_id);
	sqlite3_bind_text(st, 2, occurrence, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, notice != 0);
	return db_step_once(db, st, "state database", err);
}

enum db_status
feedback_notice_queued(struct db *db, const char *name, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;

	/* A notice is named n<spool name of its occurrence> (below). */
	if (name[0] != 'n' || !db->has_state)
		return DB_OK;
	if ((s = db_prepare(db, "UPDATE state.occurrences SET notice = 0 "
	    "WHERE spool_name = ?1 AND notice = 1", &st, err)) != DB_OK)
		return s;
	sqlite3_bind_text(st, 1, name + 1, -1, SQLITE_STATIC);
	return db_step_once(db, st, "state database", err);
}

/* Clears the flag of the item, its work done: writeback, or notice. */
static enum db_status
feedback_done(struct db *db, const struct feedback_item *it, int notice,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;

	if ((s = db_prepare(db, notice ? "UPDATE state.occurrences SET "
	    "notice = 0 WHERE report_id = ?1 AND scheduled_at = ?2" :
	    "UPDATE state.occurrences SET writeback = 0 "
	    "WHERE report_id = ?1 AND scheduled_at = ?2", &st, err)) != DB_OK)
		return s;
	sqlite3_bind_int64(st, 1, it->report_id);
	sqlite3_bind_text(st, 2, it->occurrence, -1, SQLITE_STATIC);
	return db_step_once(db, st, "state database", err);
}

/*
 * Writes the item's error to the last_error of the row that was sent.
 * DB_OK when written, or when there is no such row any more (logged: the
 * sync job replaced or removed it); DB_TEMPFAIL, DB_ERROR.
 */
static enum db_status
feedback_writeback(struct db *db, const struct feedback_item *it,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	struct buf sql;
	enum db_status s = DB_ERROR;
	int rc, bad = 0, changed;

	buf_init(&sql, 2048);
	if (!table_has(db, TABLE_LAST_ERROR)) {
		s = DB_OK;	/* the run log keeps it */
		goto out;
	}
	bad |= buf_puts(&sql, "UPDATE ");
	bad |= table_put_name(db, &sql);
	bad |= buf_puts(&sql, " SET \"last_error\" = ?1 WHERE \"id\" = ?2 "
	    "AND (?3 IS NULL OR \"title\" = ?3) "
	    "AND (?4 IS NULL OR \"recipients\" = ?4) "
	    "AND ((\"sent\" = 1 AND datetime(\"scheduled_at\") = ?5)");
	if (table_has(db, TABLE_SCHEDULE))
		bad |= buf_puts(&sql, " OR NULLIF(\"schedule\", '') IS NOT NULL");
	bad |= buf_puts(&sql, ")");
	if (bad) {
		buf_printf(err, "report %lld: statement too long",
		    it->report_id);
		goto out;
	}
	if ((s = db_prepare(db, sql.data, &st, err)) != DB_OK)
		goto out;
	sqlite3_bind_text(st, 1, it->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->report_id);
	db_bind_text(st, 3, it->title);
	db_bind_text(st, 4, it->recipients);
	sqlite3_bind_text(st, 5, it->occurrence, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		buf_printf(err, "report %lld: %s", it->report_id,
		    sqlite3_errmsg(db->h));
		s = db_status_of(rc);
		goto out;
	}
	changed = sqlite3_changes(db->h);
	if (changed)
		log_info("report %lld: last_error: %s", it->report_id,
		    it->error);
	else
		log_info("report %lld: the row sent at %s is gone or changed; "
		    "its delivery error stays in the run log only",
		    it->report_id, it->occurrence);
	s = DB_OK;
out:
	sqlite3_finalize(st);
	buf_release(&sql);
	return s;
}

/*
 * feedback_writeback, committed on its own and durable before it returns.
 * One transaction over both databases would not do: SQLite commits each
 * file on its own when one is in WAL mode, and the reports file is ours
 * with synchronous = NORMAL (not synced at commit, db.c) or the sync
 * job's with a rollback journal (whose removal, the commit, is not synced
 * below EXTRA).  A power cut could keep the flag cleared in the state
 * database and lose the row's last_error: the owner never told.
 */
static enum db_status
feedback_writeback_durably(struct db *db, const struct feedback_item *it,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;
	char restore[64];
	int level = -1;

	if (db_prepare(db, "PRAGMA main.synchronous", &st, err) != DB_OK)
		return DB_ERROR;
	if (sqlite3_step(st) == SQLITE_ROW)
		level = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (level < 0) {
		buf_printf(err, "reports database: %s", sqlite3_errmsg(db->h));
		return DB_ERROR;
	}
	if ((s = db_exec(db, "PRAGMA main.synchronous = EXTRA", err)) != DB_OK)
		return s;
	/* Guarded like every write of the file the sync job may replace. */
	if ((s = db_reports_begin(db, err)) == DB_OK) {
		s = feedback_writeback(db, it, err);
		if (s == DB_OK)
			s = db_exec(db, "COMMIT", err);
		if (s != DB_OK)
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	}
	snprintf(restore, sizeof(restore), "PRAGMA main.synchronous = %d",
	    level);
	if (sqlite3_exec(db->h, restore, NULL, NULL, NULL) != SQLITE_OK)
		log_warnx("reports database: %s", sqlite3_errmsg(db->h));
	return s;
}

/*
 * Writes the notice of the item into the queue.  0 when it is queued (or
 * was, before a crash); -1 when writing failed (err says why: the next
 * run tries again); -2 when it cannot be written at all (a bad address).
 */
static int
feedback_notice(struct spool *spool, const struct conf *conf,
    const struct addr_list *from, const char *from_domain, time_t now,
    const struct feedback_item *it, struct buf *err)
{
	struct spool_file f = { NULL, "", NULL };
	struct addr_list to = { NULL, 0 };
	struct spool_envelope env;
	struct mime_message m;
	struct buf subject, body, msgid, name;
	char created[TIME_DB_LEN], *rcpts[1];
	int rc = -1;

	buf_init(&subject, 1024);
	buf_init(&body, 16384);
	buf_init(&msgid, 512);
	buf_init(&name, SPOOL_NAME_MAX);
	if (addr_list_parse(&to, conf->notify, err) == -1 || to.n != 1) {
		if (err->len == 0)
			buf_printf(err, "must be exactly one address");
		rc = -2;
		goto out;
	}
	/* n<report>.<occurrence>: one notice per occurrence, at most. */
	if (buf_printf(&name, "n%s", it->spool_name) == -1 ||
	    name.len >= SPOOL_NAME_MAX ||
	    buf_printf(&msgid, "<%s.sendreports@%s>", name.data,
	    from_domain) == -1 ||
	    buf_printf(&subject, "Report not delivered: %s", it->title ?
	    it->title : "") == -1 ||
	    buf_printf(&body, "The report \"%s\" (id %lld, scheduled %s UTC) "
	    "did not reach all its recipients.\n\n"
	    "Recipients: %s\nMessage-ID: %s\nWhy: %s\n\n"
	    "The report stays marked sent, with this reason in its "
	    "last_error:\nit will not be retried.  The message is kept in "
	    "the spool's failed/\ndirectory of the box "
	    "(sendreports queue) when it was given up.\n",
	    it->title ? it->title : "", it->report_id, it->occurrence,
	    it->recipients ? it->recipients : "?", it->message_id ?
	    it->message_id : "?", it->error) == -1) {
		buf_printf(err, "notice too long");
		goto out;
	}
	/* Newlines of the error must not reach the subject: it has none. */
	memset(&m, 0, sizeof(m));
	m.from = from;
	m.to = &to;
	m.subject = subject.data;
	m.date = now;
	m.message_id = msgid.data;
	m.body = body.data;
	m.text_only = 1;
	m.pdf_fd = -1;

	time_format_db(now, created);
	memset(&env, 0, sizeof(env));
	env.report_id = it->report_id;
	env.occurrence = NULL;		/* a notice: never noticed itself */
	env.message_id = msgid.data;
	env.created = created;
	env.sender = (char *)"";	/* the null sender: no bounce loops */
	rcpts[0] = to.v[0].mailbox;
	env.rcpts = rcpts;
	env.nrcpts = 1;

	if (spool_file_create(spool, &f, err) == -1)
		goto out;
	if (spool_write_envelope(f.fp, &env) == -1) {
		buf_printf(err, "spool: write: %s", strerror(errno));
		spool_file_discard(spool, &f);
		goto out;
	}
	if (mime_write_message(f.fp, &m, err) == -1) {
		if (errno == EINVAL || errno == EMSGSIZE)
			rc = -2;	/* refused content */
		spool_file_discard(spool, &f);
		goto out;
	}
	switch (spool_commit(spool, &f, name.data, err)) {
	case SPOOL_COMMITTED:
		log_info("report %lld: notice %s to %s queued as %s",
		    it->report_id, msgid.data, to.v[0].mailbox, name.data);
		rc = 0;
		break;
	case SPOOL_EXISTS:
		rc = 0;		/* queued before a crash */
		break;
	case SPOOL_FAILED:
		break;
	}
out:
	addr_list_release(&to);
	buf_release(&subject);
	buf_release(&body);
	buf_release(&msgid);
	buf_release(&name);
	return rc;
}

/* Reads the occurrences with work left.  *items is malloc'ed. */
static enum db_status
feedback_pending(struct db *db, struct feedback_item **items, size_t *n,
    struct buf *err)
{
	struct feedback_item *v = NULL, *nv, *it;
	sqlite3_stmt *st = NULL;
	enum db_status s;
	size_t len = 0;
	int rc;

	*items = NULL;
	*n = 0;
	if ((s = db_prepare(db, "SELECT report_id, scheduled_at, title, "
	    "recipients, coalesce(delivery_error, ''), message_id, "
	    "spool_name, writeback, notice FROM state.occurrences "
	    "WHERE writeback = 1 OR notice = 1", &st, err)) != DB_OK)
		return s;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = realloc(v, (len + 1) * sizeof(*v))) == NULL)
			goto nomem;
		v = nv;
		it = &v[len++];
		memset(it, 0, sizeof(*it));
		it->report_id = sqlite3_column_int64(st, 0);
		it->writeback = sqlite3_column_int(st, 7);
		it->notice = sqlite3_column_int(st, 8);
		if (db_column_dup(st, 1, &it->occurrence) ||
		    db_column_dup(st, 2, &it->title) ||
		    db_column_dup(st, 3, &it->recipients) ||
		    db_column_dup(st, 4, &it->error) ||
		    db_column_dup(st, 5, &it->message_id) ||
		    db_column_dup(st, 6, &it->spool_name) ||
		    it->occurrence == NULL || it->spool_name == NULL)
			goto nomem;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		buf_printf(err, "state database: %s", sqlite3_errmsg(db->h));
		s = db_status_of(rc);
		goto fail;
	}
	*items = v;
	*n = len;
	return DB_OK;
nomem:
	sqlite3_finalize(st);
	buf_printf(err, "out of memory");
	s = DB_ERROR;
fail:
	while (len > 0)
		feedback_item_release(&v[--len]);
	free(v);
	return s;
}

enum db_status
feedback_deliver(struct db *db, struct spool *spool, const struct conf *conf,
    const struct addr_list *from, const char *from_domain, time_t now,
    struct buf *err)
{
	struct feedback_item *items = NULL;
	struct buf why;
	enum db_status s = DB_OK;
	size_t n = 0, i;

	buf_init(&why, FEEDBACK_ERR_MAX);
	if (!db->has_state)
		goto out;	/* nothing was ever spooled */
	if ((s = feedback_pending(db, &items, &n, err)) != DB_OK)
		goto out;
	/* Each write below is durable before the next step: none may wait
	 * for the end of the caller's reads. */
	if (n > 0)
		db_read_end(db);
	for (i = 0; i < n; i++) {
		struct feedback_item *it = &items[i];

		/* The row first, durably, then the flag: a crash between
		 * repeats the write-back, the same UPDATE. */
		if (it->writeback &&
		    ((s = feedback_writeback_durably(db, it, err)) != DB_OK ||
		    (s = feedback_done(db, it, 0, err)) != DB_OK))
			goto out;
		if (it->notice) {
			int rc = conf->notify == NULL ? 0 : feedback_notice(
			    spool, conf, from, from_domain, now, it, &why);

			if (rc == -1) {
				/* Not lost: it stays pending for the next
				 * run, which may have the disk space. */
				log_warnx("report %lld: notice to %s: %s",
				    it->report_id, conf->notify, why.data);
				buf_reset(&why);
				continue;
			}
			if (rc == -2) {
				log_warnx("report %lld: no notice to %s: %s",
				    it->report_id, conf->notify, why.data);
				buf_reset(&why);
			}
			if ((s = feedback_done(db, it, 1, err)) != DB_OK)
				goto out;
		}
	}
	s = DB_OK;
out:
	for (i = 0; i < n; i++)
		feedback_item_release(&items[i]);
	free(items);
	buf_release(&why);
	return s;
}
