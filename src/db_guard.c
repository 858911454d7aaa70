/*
 * db_guard.c - the guard of the reports file against a journal left
 * beside it for another file (db.h: db_open, db_reports_begin).
 *
 * The sync job renames fresh copies over the reports file, and a run
 * killed in the middle of a write leaves the journal of the file it
 * wrote beside the path.  Crash ordering: the identity of the file
 * (fileid.h) is durable in the state database before a write can leave
 * such a journal (db_reports_begin).  Before the file is opened again, a
 * journal found beside it is set aside when the file standing there is
 * not the one recorded, or ignored by opening the file immutable when
 * the run may not write (db_guard_journal).  db.c reads the recorded
 * identity into struct db when it attaches the state database, so that
 * db_reports_begin writes it only when it changed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "db_internal.h"
#include "fileid.h"
#include "log.h"
#include "state.h"

/*
 * Reads the identity of the reports file last written, recorded in the
 * state database at path, on a read-only connection of its own.  0 (out
 * is "" when none was recorded), or -1 when it cannot be read.
 */
static int
db_read_ident(const char *path, char *out, size_t size)
{
	struct db st = { 0 };
	sqlite3_stmt *q = NULL;
	struct buf err;
	int rc = -1;

	*out = '\0';
	buf_init(&err, 1024);
	if (access(path, F_OK) == -1 || db_open_file(&st, path, DB_READONLY,
	    0, "state", 1000, &err) != DB_OK)
		goto out;
	if (sqlite3_prepare_v2(st.h, "SELECT value FROM meta WHERE key = '"
	    DB_META_REPORTS_IDENT "'", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
			snprintf(out, size, "%s", sqlite3_column_text(q, 0));
		rc = 0;
	}
out:
	sqlite3_finalize(q);
	db_close(&st);
	buf_release(&err);
	return rc;
}

/*
 * The sync job renames fresh copies over the reports file, and a run
 * killed in the middle of a write leaves its journal beside the path:
 * SQLite would play that journal into the new file, which then is
 * malformed.  So before the file is read, a journal (or WAL) beside it
 * that was left while another file stood there (its identity differs
 * from the one recorded before the last write, db_reports_begin) is set
 * aside as NAME.stale, or, when this run may not write, ignored by
 * opening the file immutable.  A journal of this very file is left to
 * SQLite, whose recovery it is.
 */
enum db_status
db_guard_journal(const char *path, const char *state_path, int readonly,
    int *immutable, struct buf *err)
{
	static const char *const suffixes[] = { "-journal", "-wal", "-shm" };
	char ident[FILEID_MAX], recorded[FILEID_MAX], from[PATH_MAX],
	    to[PATH_MAX + 8];
	int found = 0;
	size_t i;

	*immutable = 0;
	for (i = 0; i < 2; i++) {
		snprintf(from, sizeof(from), "%s%s", path, suffixes[i]);
		if (access(from, F_OK) == 0)
			found = 1;
	}
	/*
	 * Only then is the state database asked, on a connection of its
	 * own: the reports file must not be open yet, since SQLite reads it
	 * (and plays its journal) as soon as any statement is prepared on a
	 * connection that holds it.
	 */
	if (!found || state_path == NULL || db_read_ident(state_path,
	    recorded, sizeof(recorded)) == -1 || *recorded == '\0')
		return DB_OK;
	fileid_of(path, ident, sizeof(ident));
	if (*ident == '\0' || strcmp(ident, recorded) == 0)
		return DB_OK;
	if (readonly) {
		log_warnx("reports database '%s': a journal beside it belongs "
		    "to the file it replaced: read as it is", path);
		*immutable = 1;
		return DB_OK;
	}
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if ((size_t)snprintf(from, sizeof(from), "%s%s", path,
		    suffixes[i]) >= sizeof(from) ||
		    (size_t)snprintf(to, sizeof(to), "%s.stale", from) >=
		    sizeof(to)) {
			buf_printf(err, "reports database '%s': path too long",
			    path);
			return DB_ERROR;
		}
		if (rename(from, to) == -1 && errno != ENOENT) {
			buf_printf(err, "reports database '%s': cannot set "
			    "aside the journal of the file it replaced: %s",
			    path, strerror(errno));
			return errno == EACCES || errno == EROFS ? DB_ERROR :
			    DB_TEMPFAIL;
		}
	}
	log_warnx("reports database '%s': the journal left by a run killed "
	    "before the sync job replaced the file was set aside as %s-*.stale",
	    path, path);
	return DB_OK;
}

enum db_status
db_reports_begin(struct db *db, struct buf *err)
{
	char ident[FILEID_MAX];
	enum db_status s;
	int moved = 0;

	db_read_end(db);	/* the write below is durable on its own */
	/*
	 * Crash ordering: the identity of the file is durable in the state
	 * database before this write can leave a journal beside the file.
	 */
	fileid_of(db->reports_path, ident, sizeof(ident));
	if (db->has_state && *ident && strcmp(ident, db->reports_ident) != 0) {
		if ((s = state_meta_set(db, DB_META_REPORTS_IDENT, ident,
		    err)) != DB_OK)
			return s;
		snprintf(db->reports_ident, sizeof(db->reports_ident), "%s",
		    ident);
	}
	if ((s = db_begin(db, err)) != DB_OK)
		return s;
	/* Replaced since it was opened: what would be written is lost with
	 * the old file, and its journal would lie beside the new one. */
	if (sqlite3_file_control(db->h, "main", SQLITE_FCNTL_HAS_MOVED,
	    &moved) == SQLITE_OK && moved) {
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		buf_printf(err, "reports database '%s' was replaced during the "
		    "run: the next run reads the new copy", db->reports_path);
		return DB_TEMPFAIL;
	}
	return DB_OK;
}
