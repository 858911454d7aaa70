/*
 * db.c - the connection of db.h: opens the reports and state databases
 * ready for use, and closes them.  Statements, and SQLite's results
 * mapped to ours, are db_stmt.c's; the migrations are run by
 * db_migrate.c; the journal left beside the reports file for a file the
 * sync job replaced is guarded against by db_guard.c (db_internal.h:
 * what the four files share).
 *
 * The reports file belongs to the sync job, which may replace it with a
 * fresh copy at any time, and may be the BI application's own database:
 * only a file we created (PRAGMA application_id) is migrated; any other is
 * read, and written only in the contract's columns (table.c).  Both files
 * use a rollback journal (db_ready_state and db_prepare_reports say why).
 * The state file is ours alone, and is written with synchronous=EXTRA,
 * because a lost occurrence record could mean a report sent twice: with
 * a rollback journal, a commit is the unlink of the journal, which only
 * EXTRA makes durable (it syncs the directory after it).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "db_internal.h"
#include "log.h"
#include "migrations.h"
#include "os_fs.h"
#include "table.h"

static enum db_status
db_set_journal(struct db *db, const char *schema, struct buf *err)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA %s.journal_mode = DELETE", schema);
	return db_exec(db, sql, err);
}

/* Writes path as an SQLite URI with the given query. */
static int
db_uri(struct buf *b, const char *path, const char *query)
{
	const unsigned char *p;

	if (buf_puts(b, "file:") == -1)
		return -1;
	for (p = (const unsigned char *)path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p < 0x20) {
			if (buf_printf(b, "%%%02X", *p) == -1)
				return -1;
		} else if (buf_putc(b, *p) == -1)
			return -1;
	}
	return buf_printf(b, "?%s", query);
}

/*
 * SQLite's memory set-up, once, before its first connection.  Each
 * attached file would otherwise take a bulk of 20 pages of cache up
 * front and write into every one to chain them: page faults for nothing
 * in a run that reads a handful of pages (an idle tick: 150 faults, 113
 * without).  Pages now come one at a time, as used.  (A smaller lookaside
 * than the default was tried too: more calls to malloc, and with musl's
 * more mmap and munmap, cost more than its faults.)
 */
static void
db_configure(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	/* SQLITE_MISUSE when SQLite is already initialised: it then keeps
	 * its default, which is correct, only slower here. */
	(void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

/*
 * Opens path as db->h, read-only, read-write or creating it per flags;
 * immutable: read-only and deaf to any journal beside the file (one that
 * belongs to the file the sync job replaced).
 */
enum db_status
db_open_file(struct db *db, const char *path, int flags, int immutable,
    const char *label, long busy_ms, struct buf *err)
{
	struct buf uri;
	int rc, oflags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
	enum db_status s;
	const char *mode;

	buf_init(&uri, PATH_MAX * 3 + 64);
	if (immutable) {
		oflags |= SQLITE_OPEN_READONLY;
		mode = "mode=ro&immutable=1";
	} else if (flags & DB_READONLY) {
		oflags |= SQLITE_OPEN_READONLY;
		mode = "mode=ro";
	} else {
		/* The URI's mode says whether this file may be created; the
		 * flags allow it, so that the state database can be attached
		 * with mode=rwc. */
		oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
		mode = flags & DB_CREATE ? "mode=rwc" : "mode=rw";
	}
	if (db_uri(&uri, path, mode) == -1) {
		buf_printf(err, "%s database '%s': path too long", label, path);
		buf_release(&uri);
		return DB_ERROR;
	}
	db_configure();
	rc = sqlite3_open_v2(uri.data, &db->h, oflags, NULL);
	buf_release(&uri);
	if (rc != SQLITE_OK) {
		if (access(path, F_OK) == -1 && errno == ENOENT) {
			buf_printf(err, "%s database '%s' does not exist",
			    label, path);
			s = DB_NOTFOUND;
		} else {
			buf_printf(err, "%s database '%s': %s", label, path,
			    db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
			db_put_syserr(db->h, rc, err);
			db_put_rofs(path, err);
			s = db_status_at(db->h, rc);
			if (s == DB_NOTFOUND)
				s = DB_ERROR;
		}
		db_close(db);
		return s;
	}
	sqlite3_busy_timeout(db->h, busy_ms > INT_MAX ? INT_MAX : (int)busy_ms);
	sqlite3_extended_result_codes(db->h, 1);
	return DB_OK;
}

/* Is schema's journal mode "delete" (the rollback journal we use)? */
static int
db_journal_is_delete(struct db *db, const char *schema)
{
	sqlite3_stmt *st = NULL;
	char sql[64];
	int yes = 0;

	snprintf(sql, sizeof(sql), "PRAGMA %s.journal_mode", schema);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		yes = strcmp((const char *)sqlite3_column_text(st, 0),
		    "delete") == 0;
	sqlite3_finalize(st);
	return yes;
}

/*
 * Makes the reports database usable: tells whether the file is ours,
 * creates or migrates it when it is (or, with DB_CREATE, when it is new or
 * empty), adds the table to another file only with DB_CREATE_TABLE, and
 * opens the table (table.h).  Nothing is written with DB_READONLY, nor to
 * a file that is not ours but for DB_CREATE_TABLE.
 */
static enum db_status
db_prepare_reports(struct db *db, const struct conf *conf, int flags,
    struct buf *err)
{
	int app_id = 0, objects = 0, version = 0, has_table = 0;
	enum db_status s;

	snprintf(db->table, sizeof(db->table), "%s", conf->table);
	db_read_begin(db);
	if ((s = db_query_int(db, "PRAGMA main.application_id", &app_id,
	    err)) != DB_OK ||
	    (s = db_query_int(db, "SELECT count(*) FROM main.sqlite_master",
	    &objects, err)) != DB_OK ||
	    (s = db_query_int(db, "PRAGMA main.user_version", &version,
	    err)) != DB_OK)
		goto fail;
	{
		sqlite3_stmt *st = NULL;

		if ((s = db_prepare(db, "SELECT count(*) FROM "
		    "main.sqlite_master WHERE type = 'table' AND name = ?1",
		    &st, err)) != DB_OK)
			goto fail;
		sqlite3_bind_text(st, 1, conf->table, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			has_table = sqlite3_column_int(st, 0) > 0;
		sqlite3_finalize(st);
	}
	/*
	 * Ours: created by this program, which says so in the header, or by
	 * one of its versions before it did (user_version counts our
	 * migrations, and nobody else's file has our table and index).
	 */
	db->ours = app_id == DB_APPLICATION_ID;
	if (!db->ours && app_id == 0 && version > 0 && has_table &&
	    version <= (int)reports_migrations_count) {
		sqlite3_stmt *st = NULL;

		if (db_prepare(db, "SELECT 1 FROM main.sqlite_master WHERE "
		    "type = 'index' AND name = 'scheduled_reports_due'", &st,
		    err) == DB_OK && sqlite3_step(st) == SQLITE_ROW)
			db->ours = 1;
		sqlite3_finalize(st);
	}
	if (flags & DB_READONLY)
		goto table;
	if (objects == 0 && (flags & DB_CREATE)) {
		/* A new or empty file: ours from now on. */
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA main.application_id "
		    "= %d", DB_APPLICATION_ID);
		db_read_end(db);	/* a write, committed at once */
		if ((s = db_exec(db, pragma, err)) != DB_OK)
			goto fail;
		db->ours = 1;
	}
	if (db->ours) {
		/*
		 * A rollback journal, not WAL: the sync job renames copies
		 * over this file, and a WAL is shared by path with whatever
		 * file stands there (db_guard_journal).  Files of earlier
		 * versions leave WAL once no other connection holds them.
		 */
		if (!db_journal_is_delete(db, "main")) {
			/* Out of WAL only outside a transaction. */
			db_read_end(db);
			sqlite3_exec(db->h, "PRAGMA main.journal_mode = DELETE",
			    NULL, NULL, NULL);
		}
		if ((s = db_migrate(db, "reports", reports_migrations,
		    reports_migrations_count, err)) != DB_OK)
			goto fail;
		if (app_id != DB_APPLICATION_ID) {
			char pragma[64];

			snprintf(pragma, sizeof(pragma), "PRAGMA "
			    "main.application_id = %d", DB_APPLICATION_ID);
			db_read_end(db);
			if ((s = db_exec(db, pragma, err)) != DB_OK)
				goto fail;
		}
		/* Reports can be lost to a power cut only back to the last
		 * checkpoint; the state database repairs them (see send.c).
		 * A safety level is set outside a transaction only: in the
		 * read transaction, db_read_end sets it, before any write
		 * (an idle run reads on, in the one transaction). */
		db->sync_normal = 1;
		if (!db->reading)
			db_read_end(db);
	} else if (!has_table && (flags & DB_CREATE_TABLE)) {
		/* Told to: the table and its index, nothing else of ours. */
		if ((s = db_run_migrations(db, "reports", reports_migrations,
		    0, reports_migrations_count, 0, err)) != DB_OK)
			goto fail;
	}
table:
	if ((s = table_open(db, conf->table, err)) == DB_NOTFOUND) {
		buf_reset(err);
		buf_printf(err, "reports database '%s' has no table %s",
		    conf->db_path, conf->table);
		if ((flags & DB_CREATE) && !db->ours)
			buf_printf(err, " (it holds other tables: set "
			    "[database] table, or run initdb --create-table "
			    "to add it)");
		else
			buf_printf(err, " (set [database] table to the "
			    "reports table)");
		s = DB_SCHEMA;
	} else if (s == DB_SCHEMA) {
		struct buf why;

		buf_init(&why, 1024);
		buf_puts(&why, err->data);
		buf_reset(err);
		buf_printf(err, "reports database '%s': %s", conf->db_path,
		    why.data);
		buf_release(&why);
	}
fail:
	return s;
}

/*
 * Creates or migrates the state database on a connection of its own, so
 * that its migrations run against "main" like the reports ones; reads
 * there the identity of the reports file last written (ident, size).
 */
static enum db_status
db_prepare_state(const char *path, long busy_ms, int create, char *ident,
    size_t size, struct buf *err)
{
	struct db st = { 0 };
	sqlite3_stmt *q = NULL;
	enum db_status s;

	*ident = '\0';
	s = db_open_file(&st, path, create ? DB_CREATE : DB_READONLY, 0,
	    "state", busy_ms, err);
	if (s != DB_OK)
		return s;
	if (create && ((s = db_set_journal(&st, "main", err)) != DB_OK ||
	    (s = db_migrate(&st, "state", state_migrations,
	    state_migrations_count, err)) != DB_OK)) {
		/* "database: disk I/O error": which one, where? */
		struct buf why;

		buf_init(&why, 4096);
		buf_puts(&why, strncmp(err->data, "database: ", 10) == 0 ?
		    err->data + 10 : err->data);
		buf_reset(err);
		buf_printf(err, "state database '%s': %s", path, why.data);
		db_put_rofs(path, err);
		buf_release(&why);
		goto out;
	}
	/* Nothing to read is no reason to fail: the guard then does not
	 * act, as before there was one. */
	if (sqlite3_prepare_v2(st.h, "SELECT value FROM meta WHERE key = '"
	    DB_META_REPORTS_IDENT "'", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(ident, size, "%s", sqlite3_column_text(q, 0));
	s = DB_OK;
out:
	sqlite3_finalize(q);
	db_close(&st);
	return s;
}

/* Attaches the state database at path as "state". */
static enum db_status
db_attach_state(struct db *db, const char *path, int readonly,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	struct buf uri;
	enum db_status s;

	buf_init(&uri, PATH_MAX * 3 + 64);
	if (db_uri(&uri, path, readonly ? "mode=ro" : "mode=rwc") == -1) {
		buf_printf(err, "spool directory path too long");
		s = DB_ERROR;
		goto out;
	}
	if ((s = db_prepare(db, "ATTACH DATABASE ? AS state", &st, err)) !=
	    DB_OK)
		goto out;
	sqlite3_bind_text(st, 1, uri.data, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		s = db_fail(db, sqlite3_errcode(db->h), "state database", err);
	else
		db->has_state = 1;
out:
	sqlite3_finalize(st);
	buf_release(&uri);
	return s;
}

/*
 * Attaches the state database, ready: a run that finds it migrated and in
 * its journal mode opens it once, writing nothing; one that does not
 * brings it there first on a connection of its own (db_prepare_state) and
 * attaches it again.  Reads the identity of the reports file last written.
 *
 * A rollback journal, not WAL: a WAL's -wal and -shm files are made and
 * removed by every connection, reader or not, and an idle tick, run every
 * minute for years on an SD card, must write nothing.  The writes come in
 * few transactions (a batch each), where WAL's one sync less hardly
 * counts.
 */
static enum db_status
db_ready_state(struct db *db, const char *path, int flags, long busy_ms,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;
	int version = -1, journal = 0;

	if ((s = db_attach_state(db, path, flags & DB_READONLY, err)) !=
	    DB_OK)
		return s;
	if (!(flags & DB_READONLY)) {
		/* A safety level is set outside a transaction only. */
		if ((s = db_exec(db, "PRAGMA state.synchronous = EXTRA", err)) !=
		    DB_OK)
			return s;
		/* The checks below, and the reports file's, read in one go. */
		db_read_begin(db);
		if (db_query_int(db, "PRAGMA state.user_version", &version,
		    err) != DB_OK)
			version = -1;
		journal = db_journal_is_delete(db, "state");
		if (version != (int)state_migrations_count || !journal) {
			db_read_end(db);
			db_exec(db, "DETACH DATABASE state", err);
			db->has_state = 0;
			buf_reset(err);
			if ((s = db_prepare_state(path, busy_ms, 1,
			    db->reports_ident, sizeof(db->reports_ident),
			    err)) != DB_OK ||
			    (s = db_attach_state(db, path, 0, err)) != DB_OK ||
			    (s = db_exec(db, "PRAGMA state.synchronous = EXTRA",
			    err)) != DB_OK)
				return s;
			db_read_begin(db);
		}
		/* SQLite opens a file it may not write read-only, silently:
		 * say so now, not at the first write. */
		if (sqlite3_db_readonly(db->h, "state") == 1) {
			buf_printf(err, "state database '%s' cannot be written",
			    path);
			db_put_rofs(path, err);
			return DB_ERROR;
		}
	}
	db_read_begin(db);	/* read-only: it starts here */
	/* Nothing to read is no reason to fail: the guard then does not
	 * act, as before there was one. */
	if (sqlite3_prepare_v2(db->h, "SELECT value FROM state.meta WHERE "
	    "key = '" DB_META_REPORTS_IDENT "'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(db->reports_ident, sizeof(db->reports_ident), "%s",
		    sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return DB_OK;
}

enum db_status
db_open(struct db *db, const struct conf *conf, int flags, struct buf *err)
{
	struct buf state_path;
	enum db_status s;
	int state, immutable = 0;

	memset(db, 0, sizeof(*db));
	snprintf(db->reports_path, sizeof(db->reports_path), "%s",
	    conf->db_path);
	buf_init(&state_path, PATH_MAX);
	if (flags & DB_STATE_ONLY)
		flags |= DB_STATE;
	if ((flags & DB_STATE) && buf_printf(&state_path, "%s/%s",
	    conf->spool_dir, DB_STATE_FILE) == -1) {
		buf_printf(err, "spool directory path too long");
		s = DB_ERROR;
		goto out;
	}
	/* Read-only, a missing state database: nothing was ever spooled. */
	state = (flags & DB_STATE) && (!(flags & DB_READONLY) ||
	    access(state_path.data, F_OK) == 0);
	/* A journal beside the reports file that belongs to another file is
	 * set aside before SQLite can read it (db_guard_journal). */
	if (!(flags & DB_STATE_ONLY) && (s = db_guard_journal(conf->db_path,
	    state ? state_path.data : NULL, flags & DB_READONLY, &immutable,
	    err)) != DB_OK)
		goto out;
	if ((s = db_open_file(db, flags & DB_STATE_ONLY ? ":memory:" :
	    conf->db_path, flags & DB_STATE_ONLY ? DB_CREATE : flags,
	    immutable, flags & DB_STATE_ONLY ? "memory" : "reports",
	    conf->busy_timeout_ms, err)) != DB_OK)
		goto out;
	if (state && (s = db_ready_state(db, state_path.data, flags,
	    conf->busy_timeout_ms, err)) != DB_OK)
		goto fail;
	if (flags & DB_STATE_ONLY) {
		if (!(flags & DB_READING))
			db_read_end(db);
		goto out;
	}
	if ((s = db_prepare_reports(db, conf, flags, err)) != DB_OK)
		goto fail;
	if (!(flags & DB_READING))
		db_read_end(db);
	goto out;
fail:
	db_close(db);
out:
	buf_release(&state_path);
	return s;
}

void
db_close(struct db *db)
{
	if (db->h) {
		db_kept_release(db);
		db->sync_normal = 0;	/* nothing more is written */
		db_read_end(db);
		/* Statements are finalized where prepared; close must work. */
		if (sqlite3_close(db->h) != SQLITE_OK)
			log_warnx("database: close: %s", sqlite3_errmsg(db->h));
	}
	db->h = NULL;
	db->has_state = 0;
	db->ours = 0;
	db->reading = 0;
	db->sync_normal = 0;
}
