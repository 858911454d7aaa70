/*
 * db_migrate.c - runs the migrations of migrations.h on a connection of
 * db.c: @table@ and @due_index@ replaced by the reports table's names,
 * each migration in one transaction with the user_version it reaches, so
 * that a crash leaves the schema at a known version; a file of a newer
 * version than this program knows is refused, never downgraded.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "db_internal.h"
#include "log.h"
#include "migrations.h"
#include "table.h"

/*
 * Writes the SQL of a migration into out with @table@ and @due_index@
 * replaced by the reports table's name and its index's, as identifiers.
 */
static int
db_expand(const struct db *db, const char *sql, struct buf *out)
{
	static const char tok_table[] = "@table@";
	static const char tok_index[] = "@due_index@";
	struct buf index;
	const char *p;
	int rc = -1;

	buf_init(&index, DB_TABLE_NAME_MAX + 8);
	if (buf_printf(&index, "%s_due", db->table) == -1)
		goto out;
	/* CREATE INDEX names its table without a schema: both unqualified,
	 * on a connection where main is the only database. */
	for (p = sql; *p; ) {
		if (strncmp(p, tok_table, sizeof(tok_table) - 1) == 0) {
			if (table_put_ident(out, db->table) == -1)
				goto out;
			p += sizeof(tok_table) - 1;
		} else if (strncmp(p, tok_index, sizeof(tok_index) - 1) == 0) {
			if (table_put_ident(out, index.data) == -1)
				goto out;
			p += sizeof(tok_index) - 1;
		} else if (buf_putc(out, *p++) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_release(&index);
	return rc;
}

/*
 * Runs migrations [from, count) in one transaction each, together with the
 * user_version each reaches (unless set_version is 0), so a crash leaves
 * the schema at a known version.  The SQL of a migration names no schema
 * but through @table@: the state migrations run on a connection of their
 * own, before the state database is attached.
 */
enum db_status
db_run_migrations(struct db *db, const char *label, const struct migration *m,
    size_t from, size_t count, int set_version, struct buf *err)
{
	struct buf sql;
	enum db_status s = DB_OK;
	size_t i;

	buf_init(&sql, 1 << 16);
	for (i = from; i < count; i++) {
		char pragma[64];

		buf_reset(&sql);
		if (db_expand(db, m[i].sql, &sql) == -1) {
			buf_printf(err, "%s database: migration %s too long",
			    label, m[i].name);
			s = DB_ERROR;
			break;
		}
		if ((s = db_begin(db, err)) != DB_OK)
			break;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    m[i].version);
		if ((s = db_exec(db, sql.data, err)) != DB_OK ||
		    (set_version && (s = db_exec(db, pragma, err)) != DB_OK) ||
		    (s = db_exec(db, "COMMIT", err)) != DB_OK) {
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
			log_warnx("%s database: migration %s failed",
			    label, m[i].name);
			break;
		}
		log_debug("%s database: applied migration %s", label,
		    m[i].name);
	}
	buf_release(&sql);
	return s;
}

/* Applies the migrations past the file's user_version. */
enum db_status
db_migrate(struct db *db, const char *label, const struct migration *m,
    size_t count, struct buf *err)
{
	enum db_status s;
	int version = 0;

	if ((s = db_query_int(db, "PRAGMA main.user_version", &version,
	    err)) != DB_OK)
		return s;
	if (version > (int)count) {
		buf_printf(err, "%s database has schema version %d, newer "
		    "than this program knows (%zu)", label, version, count);
		return DB_ERROR;
	}
	return db_run_migrations(db, label, m, (size_t)version, count, 1,
	    err);
}
