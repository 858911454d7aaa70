/*
 * table.h - the reports table as the file at hand has it.
 *
 * The sync job's file may hold our own table (every column of the
 * contract) or the BI application's own: Django names it
 * reports_scheduledreport, leaves out cc, bcc, schedule and timezone, and
 * keeps '' for "none" in NOT NULL text columns.  Only id, title,
 * recipients, scheduled_at and sent are required.
 *
 * table_open() reads the table's columns (PRAGMA table_info);
 * table_view() creates the view temp.reports on the connection: every
 * column of the contract, NULL where the table has none and where an
 * optional text column holds '', so that every reader sees one shape.
 * The view lives in the connection's temporary database: nothing is
 * written to the file.  It is made by the readers that need it, not by
 * table_open(): making it costs a fifth of an idle tick, whose one query
 * (the due reports, report.h) reads only required columns, from the
 * table itself.
 * Writes name only the columns the table has, with what each column's
 * constraints allow (table_none()).
 */
#ifndef SENDREPORTS_TABLE_H
#define SENDREPORTS_TABLE_H

#include "buf.h"
#include "db.h"

/* The columns of the contract, in its order. */
enum table_column {
	TABLE_ID,
	TABLE_TITLE,
	TABLE_RECIPIENTS,
	TABLE_CC,
	TABLE_BCC,
	TABLE_SUBJECT,
	TABLE_BODY,
	TABLE_SCHEDULED_AT,
	TABLE_SENT,
	TABLE_SENT_AT,
	TABLE_PDF_PATH,
	TABLE_REPORT_DATA,
	TABLE_SCHEDULE,
	TABLE_TIMEZONE,
	TABLE_LAST_ERROR,
	TABLE_NCOLUMNS
};

#define TABLE_DEFAULT_NAME	"scheduled_reports"
#define TABLE_NAME_MAX		DB_TABLE_NAME_MAX

/*
 * Reads the columns of table `name` in the main database of db into
 * db->table.  Returns DB_OK; DB_NOTFOUND when there is no such table;
 * DB_SCHEMA when a required column is missing (err names it: "table T
 * has no column recipients"); DB_TEMPFAIL or DB_ERROR.
 */
enum db_status	table_open(struct db *db, const char *name, struct buf *err);

/*
 * Creates temp.reports over the table table_open() read, once per
 * connection.  DB_OK, DB_TEMPFAIL or DB_ERROR with err set.
 */
enum db_status	table_view(struct db *db, struct buf *err);

/* The name of column c. */
const char	*table_column_name(enum table_column c);

/* 1 when the table has column c. */
int		 table_has(const struct db *db, enum table_column c);

/*
 * The SQL value that means "none" for column c: '' where the column is
 * NOT NULL (Django's convention), else NULL.
 */
const char	*table_none(const struct db *db, enum table_column c);

/*
 * Appends to sql the table's name as an SQL identifier, qualified by
 * main ("main"."name").  -1 when sql is full.
 */
int		 table_put_name(const struct db *db, struct buf *sql);

/* Appends name as an SQL identifier ("name").  -1 when sql is full. */
int		 table_put_ident(struct buf *sql, const char *name);

/*
 * Appends column c as an SQL identifier ("name").  -1 when sql is full.
 */
int		 table_put_column(struct buf *sql, enum table_column c);

/*
 * Appends to sql an SQL string literal holding s ('it''s').  -1 when
 * sql is full.
 */
int		 table_put_literal(struct buf *sql, const char *s);

#endif
