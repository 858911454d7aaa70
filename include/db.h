/*
 * db.h - the SQLite connection: the reports database as "main" and the
 * state database (beside the spool) attached as "state".
 *
 * The reports database is the sync job's.  A file the program created
 * itself (initdb on a new or empty file; PRAGMA application_id says so)
 * gets its migrations; any other file, such as a copy of the BI
 * application's own Django database, is never changed but for the
 * contract's columns of the reports table (table.h): no table, index,
 * journal mode or user_version of ours lands in it.  The state database
 * is ours: it gets its migrations.  Both use a rollback journal (db.c
 * says why).  With DB_READONLY nothing
 * at all is written to either file, which is what `send --dry-run` and
 * `check` promise.
 */
#ifndef SENDREPORTS_DB_H
#define SENDREPORTS_DB_H

#include <sqlite3.h>

#include "buf.h"

struct conf;

/* What a caller must tell apart; the command layer maps them to exits. */
enum db_status {
	DB_OK = 0,
	DB_NOTFOUND,	/* no such row, or no database file */
	DB_TEMPFAIL,	/* busy, locked, disk full: try again next run */
	DB_ERROR,	/* anything else: I/O error, corrupt, bad schema */
	DB_SCHEMA	/* the reports table is missing, or lacks a required
			   column: the configuration names the wrong one */
};

enum db_flags {
	DB_READONLY = 1 << 0,	/* write nothing, migrate nothing */
	DB_CREATE = 1 << 1,	/* create the reports database if missing */
	DB_STATE = 1 << 2,	/* attach the state database */
	DB_STATE_ONLY = 1 << 3,	/* with DB_STATE: main is an empty database
				   in memory, for the commands that need no
				   reports (flush, queue, status) */
	DB_CREATE_TABLE = 1 << 4, /* with DB_CREATE: create the reports
				   table in a file that holds other tables */
	DB_READING = 1 << 5	/* return in the read transaction the checks
				   ran in (db_read_begin), for the caller's
				   reads; writes first end it */
};

#define DB_STATE_FILE	"state.db"	/* in the spool directory */

/* The program's own reports files say so in their header. */
#define DB_APPLICATION_ID	0x53524550	/* "SREP" */
#define DB_TABLE_NAME_MAX	128

/* The statements a run keeps prepared (db_prepare_kept). */
#define DB_KEPT_MAX	8

struct db_kept {
	char		*sql;		/* NULL: a free slot */
	sqlite3_stmt	*st;
	int		 busy;		/* handed out, not given back yet */
};

struct db {
	sqlite3		*h;
	int		 has_state;	/* "state" is attached */
	int		 ours;		/* main is a reports file we created */
	/* The reports table (table.h): its name, and a bit per column of
	 * enum table_column that it has, and that is NOT NULL. */
	char		 table[DB_TABLE_NAME_MAX + 1];
	unsigned	 columns;
	unsigned	 notnull;
	int		 has_view;	/* temp.reports made (table_view()) */
	int		 reading;	/* in db_read_begin's transaction */
	int		 sync_normal;	/* main.synchronous = NORMAL, owed until
					   the read transaction ends */
	/* The reports file's path, and the identity ("dev:ino") of the
	 * file last written, as the state database recorded it. */
	char		 reports_path[4096];
	char		 reports_ident[64];	/* FILEID_MAX */
	struct db_kept	 kept[DB_KEPT_MAX];
};

#define DB_META_REPORTS_IDENT	"reports_ident"

/*
 * Opens conf->db_path and its reports table conf->table (and, with
 * DB_STATE, <spool_dir>/state.db, which is created unless DB_READONLY;
 * read-only, a missing state database is simply not attached).  With
 * DB_CREATE a missing or empty reports file is created as ours, with the
 * table; a file holding other tables gets the table only with
 * DB_CREATE_TABLE.  Returns DB_OK, DB_NOTFOUND when the reports database
 * does not exist and DB_CREATE was not given, DB_SCHEMA when the table is
 * missing or lacks a required column, DB_TEMPFAIL when it is locked, or
 * DB_ERROR; on failure err holds the reason and db is closed.
 */
enum db_status	db_open(struct db *db, const struct conf *conf, int flags,
		    struct buf *err);

/*
 * Begins a write transaction on the reports database (db_begin(),
 * over the state database too).  Before, it records the file's identity
 * in the state database, so that a journal this write may leave behind is
 * known for the old file's once the sync job replaced it (db_open sets
 * such a journal aside).  DB_TEMPFAIL when the file was replaced since it
 * was opened (nothing begun), or busy; DB_ERROR.  End it with COMMIT or
 * ROLLBACK (db_exec).
 */
enum db_status	db_reports_begin(struct db *db, struct buf *err);

/* Closes the connection; safe twice. */
void		db_close(struct db *db);

/* Maps an SQLite result code to a db_status. */
enum db_status	db_status_of(int rc);

/*
 * The same for a failure on connection h (NULL: as db_status_of), where
 * the system error is known: a full disk (ENOSPC, EDQUOT) is DB_TEMPFAIL
 * whatever code SQLite gave it (an I/O error growing the WAL index...).
 * Use it after a failed sqlite3_step() or _exec() on h.
 */
enum db_status	db_status_at(sqlite3 *h, int rc);

/*
 * Runs one statement without results (COMMIT, a PRAGMA...).  On
 * failure err gets the reason.
 */
enum db_status	db_exec(struct db *db, const char *sql, struct buf *err);

/*
 * Begins a transaction that each database joins when first written (the
 * transactions here write one database each: see db.c).  End it with
 * COMMIT or ROLLBACK (db_exec).  DB_OK, DB_TEMPFAIL, DB_ERROR.
 */
enum db_status	db_begin(struct db *db, struct buf *err);

/*
 * A run of reads in one transaction: each database is locked once, when
 * first read, and the statements see one state of it, instead of taking
 * and dropping the lock (and checking for a hot journal) statement by
 * statement.  Writes do not belong in it: db_begin ends it first, and
 * any other write must come after db_read_end.  Both do nothing when
 * there is nothing to do; db_read_begin does nothing inside another
 * transaction.
 */
void		db_read_begin(struct db *db);
void		db_read_end(struct db *db);

/*
 * Steps st once (an INSERT, an UPDATE...) and finalizes it.  DB_OK, or
 * the status of the failure with err = "what: SQLite's reason".
 */
enum db_status	db_step_once(struct db *db, sqlite3_stmt *st,
		    const char *what, struct buf *err);

/* Prepares sql; on failure err gets SQLite's reason and *st is NULL. */
enum db_status	db_prepare(struct db *db, const char *sql, sqlite3_stmt **st,
		    struct buf *err);

/*
 * db_prepare for a statement run once per report: prepared at its first
 * use and kept, until db_close, for the next (parsing it was a tenth of
 * a burst's time).  Given back with db_done, not sqlite3_finalize.  A
 * statement already handed out, or with every slot taken, is prepared
 * afresh, which db_done then finalizes.
 */
enum db_status	db_prepare_kept(struct db *db, const char *sql,
		    sqlite3_stmt **st, struct buf *err);
/* Gives back st (reset, bindings cleared) or finalizes it; NULL: none. */
void		db_done(struct db *db, sqlite3_stmt *st);

/* Copies column i of st (NULL stays NULL).  -1 on ENOMEM. */
int		db_column_dup(sqlite3_stmt *st, int i, char **out);

/* Binds text, or NULL when s is NULL.  Returns an SQLite code. */
int		db_bind_text(sqlite3_stmt *st, int i, const char *s);

#endif
