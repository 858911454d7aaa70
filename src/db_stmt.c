/*
 * db_stmt.c - statements on the connection of db.h: SQLite's result codes
 * mapped to a db_status with an error an operator can act on, exec,
 * prepare and step, the statements kept for a run (db_prepare_kept), and
 * the read transactions (db_read_begin).  Opening and closing the
 * connection is db.c's (db_internal.h: what the files share).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "db_internal.h"
#include "os_fs.h"

enum db_status
db_status_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return DB_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
		return DB_TEMPFAIL;
	case SQLITE_CANTOPEN:
		return DB_NOTFOUND;
	default:
		return DB_ERROR;
	}
}

/*
 * SQLite reports a full disk as SQLITE_FULL only when a write() of the
 * database or its journal says ENOSPC; growing the WAL index (-shm), an
 * fsync, a journal that cannot be created, or EDQUOT come back as
 * SQLITE_IOERR_* or SQLITE_CANTOPEN.  The system error of the connection
 * tells: a full disk is temporary, whatever the code (SPEC: exit 75).
 */
static int
db_disk_full(sqlite3 *h, int rc)
{
	int e;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return 1;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		if (h == NULL)
			return 0;
		e = sqlite3_system_errno(h);
		return e == ENOSPC || e == EDQUOT;
	default:
		return 0;
	}
}

enum db_status
db_status_at(sqlite3 *h, int rc)
{
	return db_disk_full(h, rc) ? DB_TEMPFAIL : db_status_of(rc);
}

/*
 * "disk I/O error", "unable to open database file": the system's error
 * says why, when it is one an operator can act on (a full disk, a
 * read-only file system, a permission, the device).  Not ENOENT: that is
 * SQLite looking for a -wal it may not create, whatever the cause.
 */
void
db_put_syserr(sqlite3 *h, int rc, struct buf *err)
{
	int e;

	if (h == NULL || ((rc & 0xff) != SQLITE_IOERR &&
	    (rc & 0xff) != SQLITE_CANTOPEN))
		return;
	e = sqlite3_system_errno(h);
	if (e == ENOSPC || e == EDQUOT || e == EROFS || e == EACCES ||
	    e == EPERM || e == EIO)
		buf_printf(err, " (%s)", strerror(e));
}

/* SQLite says "unable to open database file" on a read-only mount. */
void
db_put_rofs(const char *path, struct buf *err)
{
	if (os_fs_readonly(path) == 1 &&
	    strstr(err->data, "read-only") == NULL)
		buf_puts(err, " (read-only file system)");
}

enum db_status
db_fail(struct db *db, int rc, const char *what, struct buf *err)
{
	buf_printf(err, "%s: %s", what, db->h ? sqlite3_errmsg(db->h) :
	    sqlite3_errstr(rc));
	db_put_syserr(db->h, rc, err);
	return db_status_at(db->h, rc);
}

enum db_status
db_exec(struct db *db, const char *sql, struct buf *err)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_fail(db, rc, "database", err);
	return DB_OK;
}

enum db_status
db_step_once(struct db *db, sqlite3_stmt *st, const char *what,
    struct buf *err)
{
	enum db_status s = DB_OK;
	int rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		buf_printf(err, "%s: %s", what, sqlite3_errmsg(db->h));
		s = db_status_at(db->h, rc);
	}
	sqlite3_finalize(st);
	return s;
}

void
db_read_begin(struct db *db)
{
	if (db->h == NULL || db->reading || !sqlite3_get_autocommit(db->h))
		return;
	/* Should it fail, each statement reads on its own, as before. */
	db->reading = sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) ==
	    SQLITE_OK;
}

void
db_read_end(struct db *db)
{
	if (db->reading) {
		db->reading = 0;
		/* Nothing was written: COMMIT only lets the locks go. */
		if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) !=
		    SQLITE_OK && !sqlite3_get_autocommit(db->h))
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	}
	/* Before any write, which comes after this (db_prepare_reports). */
	if (db->sync_normal && db->h != NULL &&
	    sqlite3_get_autocommit(db->h) &&
	    sqlite3_exec(db->h, "PRAGMA main.synchronous = NORMAL", NULL,
	    NULL, NULL) == SQLITE_OK)
		db->sync_normal = 0;
}

enum db_status
db_begin(struct db *db, struct buf *err)
{
	db_read_end(db);
	/*
	 * Deferred: each database joins the transaction when it is first
	 * written.  BEGIN IMMEDIATE would take both the reports and the
	 * state database into it, and SQLite would then write a super-journal
	 * beside the reports file, the sync job's, even for a transaction
	 * that changes the state database alone.
	 */
	return db_exec(db, "BEGIN", err);
}

enum db_status
db_prepare(struct db *db, const char *sql, sqlite3_stmt **st,
    struct buf *err)
{
	int rc = sqlite3_prepare_v2(db->h, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return db_fail(db, rc, "database", err);
	}
	return DB_OK;
}

enum db_status
db_prepare_kept(struct db *db, const char *sql, sqlite3_stmt **st,
    struct buf *err)
{
	struct db_kept *k, *slot = NULL;
	enum db_status s;
	size_t i;

	for (i = 0; i < DB_KEPT_MAX; i++) {
		k = &db->kept[i];
		if (k->sql == NULL) {
			if (slot == NULL)
				slot = k;
		} else if (strcmp(k->sql, sql) == 0) {
			if (k->busy)
				return db_prepare(db, sql, st, err);
			k->busy = 1;
			*st = k->st;
			return DB_OK;
		}
	}
	if ((s = db_prepare(db, sql, st, err)) != DB_OK || slot == NULL)
		return s;
	/* Not kept, without the memory to: prepared all the same. */
	if ((slot->sql = strdup(sql)) != NULL) {
		slot->st = *st;
		slot->busy = 1;
	}
	return DB_OK;
}

void
db_done(struct db *db, sqlite3_stmt *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < DB_KEPT_MAX; i++)
		if (db->kept[i].sql != NULL && db->kept[i].st == st) {
			/* Reset: its locks and its transaction let go. */
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			db->kept[i].busy = 0;
			return;
		}
	sqlite3_finalize(st);
}

void
db_kept_release(struct db *db)
{
	size_t i;

	for (i = 0; i < DB_KEPT_MAX; i++) {
		if (db->kept[i].sql == NULL)
			continue;
		sqlite3_finalize(db->kept[i].st);
		free(db->kept[i].sql);
		db->kept[i].sql = NULL;
		db->kept[i].st = NULL;
		db->kept[i].busy = 0;
	}
}

int
db_column_dup(sqlite3_stmt *st, int i, char **out)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	*out = NULL;
	if (s == NULL)
		return sqlite3_errcode(sqlite3_db_handle(st)) == SQLITE_NOMEM ?
		    -1 : 0;
	if ((*out = strdup((const char *)s)) == NULL)
		return -1;
	return 0;
}

int
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Reads one integer: PRAGMA main.user_version, a count(*)... */
enum db_status
db_query_int(struct db *db, const char *sql, int *out, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(db, sql, &st, err) != DB_OK)
		return DB_ERROR;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_fail(db, rc, "database", err);
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return DB_OK;
}

/* Sets the rollback journal; a file already in that mode is not written
 * to.  A state database of an earlier version leaves WAL here. */
