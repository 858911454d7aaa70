/*
 * table.c - the reports table as the file at hand has it (table.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "table.h"

/* The contract's columns; optional text ones read '' as NULL. */
static const struct {
	const char	*name;
	int		 required;
	int		 text;		/* optional text: '' means none */
} table_columns[TABLE_NCOLUMNS] = {
	[TABLE_ID] = { "id", 1, 0 },
	[TABLE_TITLE] = { "title", 1, 0 },
	[TABLE_RECIPIENTS] = { "recipients", 1, 0 },
	[TABLE_CC] = { "cc", 0, 1 },
	[TABLE_BCC] = { "bcc", 0, 1 },
	[TABLE_SUBJECT] = { "subject", 0, 1 },
	[TABLE_BODY] = { "body", 0, 1 },
	[TABLE_SCHEDULED_AT] = { "scheduled_at", 1, 0 },
	[TABLE_SENT] = { "sent", 1, 0 },
	[TABLE_SENT_AT] = { "sent_at", 0, 1 },
	[TABLE_PDF_PATH] = { "pdf_path", 0, 1 },
	[TABLE_REPORT_DATA] = { "report_data", 0, 1 },
	[TABLE_SCHEDULE] = { "schedule", 0, 1 },
	[TABLE_TIMEZONE] = { "timezone", 0, 1 },
	[TABLE_LAST_ERROR] = { "last_error", 0, 1 },
};

const char *
table_column_name(enum table_column c)
{
	return table_columns[c].name;
}

int
table_has(const struct db *db, enum table_column c)
{
	return (db->columns >> c) & 1u;
}

const char *
table_none(const struct db *db, enum table_column c)
{
	return (db->notnull >> c) & 1u ? "''" : "NULL";
}

/* Appends s as a quoted SQL token, doubling the quote character. */
static int
table_put_quoted(struct buf *sql, const char *s, char q)
{
	if (buf_putc(sql, q) == -1)
		return -1;
	for (; *s; s++) {
		if (*s == q && buf_putc(sql, q) == -1)
			return -1;
		if (buf_putc(sql, *s) == -1)
			return -1;
	}
	return buf_putc(sql, q);
}

int
table_put_name(const struct db *db, struct buf *sql)
{
	if (buf_puts(sql, "\"main\".") == -1)
		return -1;
	return table_put_quoted(sql, db->table, '"');
}

int
table_put_ident(struct buf *sql, const char *name)
{
	return table_put_quoted(sql, name, '"');
}

int
table_put_column(struct buf *sql, enum table_column c)
{
	return table_put_quoted(sql, table_columns[c].name, '"');
}

int
table_put_literal(struct buf *sql, const char *s)
{
	return table_put_quoted(sql, s, '\'');
}

/* Finds the contract column called name; -1 when it is none of them. */
static int
table_column_of(const char *name)
{
	int c;

	for (c = 0; c < TABLE_NCOLUMNS; c++)
		if (strcasecmp(table_columns[c].name, name) == 0)
			return c;
	return -1;
}

/* Reads PRAGMA table_info into db->columns and db->notnull. */
static enum db_status
table_read_columns(struct db *db, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	struct buf sql;
	enum db_status s;
	int rc, c, any = 0;

	buf_init(&sql, 512);
	db->columns = db->notnull = 0;
	if (buf_puts(&sql, "PRAGMA \"main\".table_info(") == -1 ||
	    table_put_quoted(&sql, db->table, '"') == -1 ||
	    buf_putc(&sql, ')') == -1) {
		buf_printf(err, "table name too long");
		s = DB_ERROR;
		goto out;
	}
	if ((s = db_prepare(db, sql.data, &st, err)) != DB_OK)
		goto out;
	/* cid, name, type, notnull, dflt_value, pk */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);

		any = 1;
		if (name == NULL || (c = table_column_of(name)) < 0)
			continue;
		db->columns |= 1u << c;
		if (sqlite3_column_int(st, 3))
			db->notnull |= 1u << c;
	}
	if (rc != SQLITE_DONE) {
		buf_printf(err, "reading table %s: %s", db->table,
		    sqlite3_errmsg(db->h));
		s = db_status_of(rc);
		goto out;
	}
	s = any ? DB_OK : DB_NOTFOUND;
	if (!any)
		buf_printf(err, "there is no table %s", db->table);
out:
	sqlite3_finalize(st);
	buf_release(&sql);
	return s;
}

/* Creates temp.reports: the contract's columns over the table's. */
static enum db_status
table_create_view(struct db *db, struct buf *err)
{
	struct buf sql;
	enum db_status s = DB_ERROR;
	int c, bad = 0;

	buf_init(&sql, 4096);
	bad |= buf_puts(&sql, "DROP VIEW IF EXISTS temp.reports; "
	    "CREATE TEMP VIEW reports AS SELECT ");
	for (c = 0; c < TABLE_NCOLUMNS; c++) {
		if (c > 0)
			bad |= buf_puts(&sql, ", ");
		if (!table_has(db, (enum table_column)c))
			bad |= buf_puts(&sql, "NULL");
		else if (table_columns[c].text) {
			bad |= buf_puts(&sql, "NULLIF(");
			bad |= table_put_column(&sql, (enum table_column)c);
			bad |= buf_puts(&sql, ", '')");
		} else
			bad |= table_put_column(&sql, (enum table_column)c);
		bad |= buf_printf(&sql, " AS %s", table_columns[c].name);
	}
	bad |= buf_puts(&sql, " FROM ");
	bad |= table_put_name(db, &sql);
	if (bad) {
		buf_printf(err, "table name too long");
		goto out;
	}
	s = db_exec(db, sql.data, err);
out:
	buf_release(&sql);
	return s;
}

enum db_status
table_open(struct db *db, const char *name, struct buf *err)
{
	enum db_status s;
	int c;

	if (strlen(name) > TABLE_NAME_MAX || *name == '\0') {
		buf_printf(err, "[database] table \"%s\": not a table name",
		    name);
		return DB_SCHEMA;
	}
	snprintf(db->table, sizeof(db->table), "%s", name);
	if ((s = table_read_columns(db, err)) != DB_OK)
		return s;
	for (c = 0; c < TABLE_NCOLUMNS; c++) {
		if (table_columns[c].required &&
		    !table_has(db, (enum table_column)c)) {
			buf_printf(err, "table %s has no column %s", db->table,
			    table_columns[c].name);
			return DB_SCHEMA;
		}
	}
	return DB_OK;
}

enum db_status
table_view(struct db *db, struct buf *err)
{
	enum db_status s;

	if (db->has_view)
		return DB_OK;
	if ((s = table_create_view(db, err)) == DB_OK)
		db->has_view = 1;
	return s;
}
