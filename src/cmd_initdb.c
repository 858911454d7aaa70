/*
 * cmd_initdb.c - `sendreports initdb [--create-table]`: creates or
 * migrates the reports database, the spool with its state database, and
 * the PDF directory.  The reports table is created in a new or empty file
 * only; in a file that holds other tables (the BI application's own
 * database), only with --create-table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "spool.h"

int
cmd_initdb(struct app *app, int argc, char **argv)
{
	struct spool spool;
	struct db db;
	struct buf err;
	enum db_status s;
	int rc = EXIT_OK, flags = DB_CREATE | DB_STATE;

	if (argc == 2 && strcmp(argv[1], "--create-table") == 0)
		flags |= DB_CREATE_TABLE;
	else if (argc != 1) {
		fprintf(stderr, "usage: sendreports initdb [--create-table]\n");
		return EXIT_USAGE;
	}
	buf_init(&err, 4096);
	if (spool_open(&spool, app->conf.spool_dir, 1, &err) == -1) {
		log_warnx("%s", err.data);
		buf_release(&err);
		return EXIT_CANTCREAT;
	}
	spool_close(&spool);
	/* Stored PDFs are written by the sync job and by `schedule --pdf`:
	 * readable by the program, not secret. */
	if (mkdir(app->conf.pdf_dir, 0755) == -1 && errno != EEXIST) {
		log_warn("cannot create the PDF directory '%s'",
		    app->conf.pdf_dir);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	s = db_open(&db, &app->conf, flags, &err);
	if (s != DB_OK) {
		log_warnx("%s", err.data);
		rc = s == DB_NOTFOUND ? EXIT_CANTCREAT : app_exit_for_db(s);
		goto out;
	}
	printf("database %s ready (table %s%s)\nspool %s ready\n",
	    app->conf.db_path, db.table, db.ours ? "" : ", in a database "
	    "sendreports did not create", app->conf.spool_dir);
	db_close(&db);
out:
	buf_release(&err);
	return rc;
}
