/*
 * db_internal.h - internal to the database module: what its files call
 * of each other (db.c: the connection and db_open; db_stmt.c: its
 * statements and results; db_migrate.c: the migrations; db_guard.c: the
 * guard against the journal of a replaced reports file).  Only they include it; every
 * other file uses db.h.
 */
#ifndef SENDREPORTS_DB_INTERNAL_H
#define SENDREPORTS_DB_INTERNAL_H

#include <stddef.h>

#include "buf.h"
#include "db.h"

struct migration;

/* db.c */

/*
 * Opens path as db->h: read-only (DB_READONLY in flags), read-write, or
 * creating it (DB_CREATE); immutable: read-only and deaf to any journal
 * beside the file.  label names the file in err ("reports", "state").
 * DB_OK, DB_NOTFOUND when the file does not exist, DB_TEMPFAIL, or
 * DB_ERROR; on failure err has the reason and db is closed.
 */
enum db_status	db_open_file(struct db *db, const char *path, int flags,
		    int immutable, const char *label, long busy_ms,
		    struct buf *err);

/* db_stmt.c */

/* Reads the integer of one row (a PRAGMA, a count(*)...) into *out. */
enum db_status	db_query_int(struct db *db, const char *sql, int *out,
		    struct buf *err);

/* Appends the system's error behind SQLite's, when an operator can act
 * on it (a full disk, a read-only file system, a permission, the device). */
void		db_put_syserr(sqlite3 *h, int rc, struct buf *err);
/* Appends "(read-only file system)" when path is on one. */
void		db_put_rofs(const char *path, struct buf *err);
/* err = "what: SQLite's reason (the system's)"; the status of rc. */
enum db_status	db_fail(struct db *db, int rc, const char *what,
		    struct buf *err);
/* Finalizes the kept statements: a connection closes only without. */
void		db_kept_release(struct db *db);

/* db_migrate.c */

/*
 * Runs migrations [from, count) of m on db's main, each in a transaction
 * of its own with the user_version it reaches (unless set_version is 0).
 * label names the database in err and the log.  Stops at the first that
 * fails: its status, err saying why.
 */
enum db_status	db_run_migrations(struct db *db, const char *label,
		    const struct migration *m, size_t from, size_t count,
		    int set_version, struct buf *err);

/*
 * Applies the count migrations of m past main's user_version.  DB_ERROR
 * for a file of a newer version than count.
 */
enum db_status	db_migrate(struct db *db, const char *label,
		    const struct migration *m, size_t count, struct buf *err);

/* db_guard.c */

/*
 * Before the reports file at path is opened: sets aside a journal beside
 * it that was left while another file stood there, as the identity
 * recorded in the state database at state_path (NULL: none) tells; when
 * readonly, sets *immutable instead, and the file is to be opened so.
 * DB_OK (also when nothing can be known), or DB_ERROR or DB_TEMPFAIL
 * when the journal cannot be set aside (err says why).
 */
enum db_status	db_guard_journal(const char *path, const char *state_path,
		    int readonly, int *immutable, struct buf *err);

#endif
