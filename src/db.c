/*
 * db.c - opens the reports and state databases and migrates them.
 *
 * Both files are SQLite in WAL mode.  The reports file belongs to the sync
 * job, which may replace it with a fresh copy at any time: its migrations
 * are idempotent (IF NOT EXISTS) and run again whenever user_version says
 * so.  The state file is ours alone and is written with synchronous=FULL,
 * because a lost occurrence record could mean a report sent twice.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "log.h"
#include "migrations.h"

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

static enum db_status
db_fail(struct db *db, int rc, const char *what, struct buf *err)
{
	buf_printf(err, "%s: %s", what, db->h ? sqlite3_errmsg(db->h) :
	    sqlite3_errstr(rc));
	return db_status_of(rc);
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

/* Reads PRAGMA <schema>.user_version. */
static enum db_status
db_user_version(struct db *db, const char *schema, int *out,
    struct buf *err)
{
	sqlite3_stmt *st = NULL;
	char sql[64];
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA %s.user_version", schema);
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

/*
 * Applies migrations past the current user_version, each in its own
 * transaction together with the user_version it reaches, so a crash
 * leaves the schema at a known version.  The SQL of a migration names no
 * schema: it runs against "main", so the state migrations are applied on
 * a connection of their own before the state database is attached.
 */
static enum db_status
db_migrate(struct db *db, const char *label, const struct migration *m,
    size_t count, struct buf *err)
{
	enum db_status s;
	int version = 0;
	size_t i;

	if ((s = db_user_version(db, "main", &version, err)) != DB_OK)
		return s;
	if (version > (int)count) {
		buf_printf(err, "%s database has schema version %d, newer "
		    "than this program knows (%zu)", label, version, count);
		return DB_ERROR;
	}
	for (i = (size_t)version; i < count; i++) {
		char pragma[64];

		if ((s = db_exec(db, "BEGIN IMMEDIATE", err)) != DB_OK)
			return s;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    m[i].version);
		if ((s = db_exec(db, m[i].sql, err)) != DB_OK ||
		    (s = db_exec(db, pragma, err)) != DB_OK ||
		    (s = db_exec(db, "COMMIT", err)) != DB_OK) {
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
			log_warnx("%s database: migration %s failed",
			    label, m[i].name);
			return s;
		}
		log_debug("%s database: applied migration %s", label,
		    m[i].name);
	}
	return DB_OK;
}

/* Sets WAL; a file already in WAL mode is not written to. */
static enum db_status
db_set_wal(struct db *db, const char *schema, struct buf *err)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA %s.journal_mode = WAL", schema);
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

static enum db_status
db_open_file(struct db *db, const char *path, int flags, const char *label,
    long busy_ms, struct buf *err)
{
	struct buf uri;
	int rc, oflags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
	enum db_status s;

	const char *mode;

	buf_init(&uri, PATH_MAX * 3 + 64);
	if (flags & DB_READONLY) {
		oflags |= SQLITE_OPEN_READONLY;
		mode = "mode=ro";
	} else if (flags & DB_CREATE) {
		oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
		mode = "mode=rwc";
	} else {
		oflags |= SQLITE_OPEN_READWRITE;
		mode = "mode=rw";
	}
	if (db_uri(&uri, path, mode) == -1) {
		buf_printf(err, "%s database '%s': path too long", label, path);
		buf_release(&uri);
		return DB_ERROR;
	}
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
			s = db_status_of(rc);
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

/*
 * Creates or migrates the state database on a connection of its own, so
 * that its migrations run against "main" like the reports ones.
 */
static enum db_status
db_prepare_state(const char *path, long busy_ms, struct buf *err)
{
	struct db st = { NULL, 0 };
	enum db_status s;

	s = db_open_file(&st, path, DB_CREATE, "state", busy_ms, err);
	if (s != DB_OK)
		return s;
	if ((s = db_set_wal(&st, "main", err)) == DB_OK)
		s = db_migrate(&st, "state", state_migrations,
		    state_migrations_count, err);
	db_close(&st);
	return s;
}

enum db_status
db_open(struct db *db, const struct conf *conf, int flags, struct buf *err)
{
	struct buf state_path, uri;
	enum db_status s;

	db->h = NULL;
	db->has_state = 0;
	buf_init(&state_path, PATH_MAX);
	buf_init(&uri, PATH_MAX * 3 + 64);
	if (flags & DB_STATE_ONLY) {
		s = db_open_file(db, ":memory:", DB_CREATE, "memory",
		    conf->busy_timeout_ms, err);
		if (s != DB_OK)
			goto out;
		flags |= DB_STATE;
	} else if ((s = db_open_file(db, conf->db_path, flags, "reports",
	    conf->busy_timeout_ms, err)) != DB_OK)
		goto out;
	if (!(flags & (DB_READONLY | DB_STATE_ONLY))) {
		if ((s = db_set_wal(db, "main", err)) != DB_OK ||
		    (s = db_migrate(db, "reports", reports_migrations,
		    reports_migrations_count, err)) != DB_OK)
			goto fail;
		/* Reports can be lost to a power cut only back to the last
		 * checkpoint; the state database repairs them (see send.c). */
		if ((s = db_exec(db, "PRAGMA main.synchronous = NORMAL",
		    err)) != DB_OK)
			goto fail;
	}
	if (!(flags & DB_STATE))
		goto out;
	if (buf_printf(&state_path, "%s/%s", conf->spool_dir,
	    DB_STATE_FILE) == -1) {
		buf_printf(err, "spool directory path too long");
		s = DB_ERROR;
		goto fail;
	}
	if (flags & DB_READONLY) {
		if (access(state_path.data, F_OK) == -1)
			goto out;	/* nothing was ever spooled */
	} else if ((s = db_prepare_state(state_path.data,
	    conf->busy_timeout_ms, err)) != DB_OK)
		goto fail;
	if (db_uri(&uri, state_path.data, (flags & DB_READONLY) ? "mode=ro" :
	    "mode=rw") == -1) {
		buf_printf(err, "spool directory path too long");
		s = DB_ERROR;
		goto fail;
	}
	{
		sqlite3_stmt *st = NULL;

		if ((s = db_prepare(db, "ATTACH DATABASE ? AS state", &st,
		    err)) != DB_OK)
			goto fail;
		sqlite3_bind_text(st, 1, uri.data, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			s = db_fail(db, sqlite3_errcode(db->h), "state database",
			    err);
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_finalize(st);
	}
	db->has_state = 1;
	if (!(flags & DB_READONLY) &&
	    (s = db_exec(db, "PRAGMA state.synchronous = FULL", err)) != DB_OK)
		goto fail;
	goto out;
fail:
	db_close(db);
out:
	buf_release(&state_path);
	buf_release(&uri);
	return s;
}

void
db_close(struct db *db)
{
	if (db->h) {
		/* Statements are finalized where prepared; close must work. */
		if (sqlite3_close(db->h) != SQLITE_OK)
			log_warnx("database: close: %s", sqlite3_errmsg(db->h));
	}
	db->h = NULL;
	db->has_state = 0;
}
