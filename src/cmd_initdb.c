/*
 * cmd_initdb.c - `sendreports initdb [--owner USER[:GROUP]]
 * [--create-table]`: makes the box ready.  Creates the directories the
 * configuration names, with their parents (the database's directory, the
 * spool 0700, the PDF directory), then creates or migrates the reports
 * database and the spool's state database.  The reports table is created
 * in a new or empty file only; in a file that holds other tables (the BI
 * application's own database), only with --create-table.  With --owner
 * (or, run as root without it, [run] user) it gives the spool and
 * everything in it, the PDF directory, and the directories and database
 * files it created to USER; with a GROUP (the sync job's), the PDF
 * directory, and the database and its directory when it created them, are
 * that group's and group-writable.  A directory or database that already
 * existed (the sync job's) keeps its owner, except the spool and the PDF
 * directory, which are sendreports' own.  Run as root without an owner,
 * on a spool a user owns, it gives what it makes in the spool to that
 * user.  It makes the spool private (0700, its files 0600): the commands
 * refuse one that is not (main.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "os_fs.h"
#include "os_proc.h"
#include "priv.h"
#include "setup.h"
#include "spool.h"

/* Gives the database file and SQLite's companions, when they exist. */
static int
initdb_give_db(const char *db_path, const struct priv_user *u, mode_t mode,
    struct buf *err)
{
	static const char *const suffixes[] = { "", "-wal", "-shm",
	    "-journal" };
	struct buf path;
	size_t i;
	int rv = -1;

	buf_init(&path, 8192);
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		buf_reset(&path);
		if (buf_printf(&path, "%s%s", db_path, suffixes[i]) == -1) {
			buf_printf(err, "path too long: '%s'", db_path);
			goto out;
		}
		if (setup_give(path.data, u->uid, u->gid, mode, i > 0,
		    err) == -1)
			goto out;
	}
	rv = 0;
out:
	buf_release(&path);
	return rv;
}

/* Gives what initdb is to give (see the top of this file). */
static int
initdb_give(const struct conf *c, const struct priv_user *u,
    const char *db_dir, int db_dir_created, int db_created, struct buf *err)
{
	struct stat st;

	/* The spool is the run user's alone, whatever the group. */
	if (setup_give_tree(c->spool_dir, u->uid, u->user_gid, err) == -1)
		return -1;
	if (os_stat(c->pdf_dir, &st) == -1) {
		buf_printf(err, "'%s': %s", c->pdf_dir, strerror(errno));
		return -1;
	}
	if (setup_give(c->pdf_dir, u->uid, u->gid, u->group_given ?
	    (st.st_mode & 07777) | 0070 : SETUP_KEEP_MODE, 0, err) == -1)
		return -1;
	if (db_dir_created && setup_give(db_dir, u->uid, u->gid,
	    u->group_given ? 0775 : 0755, 0, err) == -1)
		return -1;
	if (db_created && initdb_give_db(c->db_path, u, u->group_given ?
	    0660 : 0600, err) == -1)
		return -1;
	return 0;
}

static void
initdb_spool_problem(void *ctx, const char *problem, const char *fix)
{
	(void)ctx;
	log_warnx("spool: %s: %s", problem, fix);
}

static int
initdb_usage(void)
{
	fprintf(stderr, "usage: sendreports initdb [--owner USER[:GROUP]] "
	    "[--create-table]\n");
	return EXIT_USAGE;
}

int
cmd_initdb(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "create-table", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	const struct conf *c = &app->conf;
	struct priv_user owner;
	struct spool spool;
	struct stat st;
	struct db db;
	struct buf err;
	enum db_status s;
	const char *owner_arg = NULL;
	char *db_dir = NULL;
	int rc = EXIT_OK, have_owner = 0, ch, created, db_dir_created = 0,
	    db_created, flags = DB_CREATE | DB_STATE, keep_spool_owner = 0;
	uid_t spool_uid = 0;
	gid_t spool_gid = 0;

	memset(&owner, 0, sizeof(owner));
	buf_init(&err, 4096);
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			owner_arg = optarg;
			break;
		case 'T':
			flags |= DB_CREATE_TABLE;
			break;
		default:
			rc = initdb_usage();
			goto out;
		}
	}
	if (optind != argc) {
		rc = initdb_usage();
		goto out;
	}

	/* Nothing is created before the owner is known to exist. */
	if (owner_arg != NULL) {
		if (priv_user_lookup(&owner, owner_arg, 1, &err) == -1) {
			log_warnx("initdb --owner %s: %s", owner_arg, err.data);
			rc = EXIT_USAGE;
			goto out;
		}
		if (!os_is_superuser() && owner.uid != os_euid()) {
			log_warnx("initdb --owner %s: only root can give files "
			    "to another user", owner_arg);
			rc = EXIT_USAGE;
			goto out;
		}
		have_owner = 1;
	} else if (c->run_user != NULL && os_is_superuser()) {
		/* The files must be the user the commands will run as. */
		if (priv_user_lookup(&owner, c->run_user, 0, &err) == -1) {
			log_warnx("[run] user: %s", err.data);
			rc = EXIT_CONFIG;
			goto out;
		}
		have_owner = 1;
	}

	if ((db_dir = setup_dirname(c->db_path)) == NULL) {
		log_warnx("out of memory");
		rc = EXIT_OSERR;
		goto out;
	}
	if (setup_mkdirs(db_dir, have_owner && owner.group_given ? 0775 :
	    0755, &db_dir_created, &err) == -1 ||
	    setup_mkdirs(c->spool_dir, 0700, &created, &err) == -1 ||
	    setup_mkdirs(c->pdf_dir, have_owner && owner.group_given ? 0775 :
	    0755, &created, &err) == -1) {
		log_warnx("%s", err.data);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	/*
	 * Root without an owner, on a spool a user owns (make install gave
	 * it to the service's user): the spool stays that user's, and so
	 * does what initdb makes in it.
	 */
	if (!have_owner && os_is_superuser() && os_stat(c->spool_dir, &st) == 0 &&
	    st.st_uid != 0) {
		spool_uid = st.st_uid;
		spool_gid = st.st_gid;
		keep_spool_owner = 1;
	}
	/*
	 * SPEC: spool directories are 0700, an existing spool too, and its
	 * files (state.db) 0600.  Given to nobody, it must be this user's:
	 * root would leave its files in a spool the commands refuse.
	 */
	if (spool_check(c->spool_dir, os_euid(), SPOOL_CHECK_FIX |
	    (have_owner || keep_spool_owner ? 0 : SPOOL_CHECK_OWNER),
	    initdb_spool_problem, NULL) > 0) {
		rc = EXIT_CONFIG;
		goto out;
	}
	if (spool_open(&spool, c->spool_dir, 1, &err) == -1) {
		log_warnx("%s", err.data);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	spool_close(&spool);
	db_created = os_stat(c->db_path, &st) == -1 && errno == ENOENT;
	s = db_open(&db, c, flags, &err);
	if (s != DB_OK) {
		log_warnx("%s", err.data);
		rc = s == DB_NOTFOUND ? EXIT_CANTCREAT : app_exit_for_db(s);
		goto out;
	}
	printf("database %s ready (table %s%s)\nspool %s ready\n",
	    app->conf.db_path, db.table, db.ours ? "" : ", in a database "
	    "sendreports did not create", app->conf.spool_dir);
	db_close(&db);
	if (keep_spool_owner && setup_give_tree(c->spool_dir, spool_uid,
	    spool_gid, &err) == -1) {
		log_warnx("initdb: %s", err.data);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	if (have_owner && initdb_give(c, &owner, db_dir, db_dir_created,
	    db_created, &err) == -1) {
		log_warnx("initdb: %s", err.data);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	printf("pdf directory %s ready\n", c->pdf_dir);
	if (have_owner)
		printf("owner %s:%s\n", owner.name, owner.group);
out:
	free(db_dir);
	priv_user_release(&owner);
	buf_release(&err);
	return rc;
}
