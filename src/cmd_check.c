/*
 * cmd_check.c - `sendreports check`: validates the configuration, the
 * database, the directories and their permissions, and says what it
 * found, one line per check:  ok|FAIL  what  detail
 * Exit 0 when everything is usable, else the exit code of the first
 * failure (78 configuration, 73 spool, 66 database missing...).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "app.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "timeutil.h"

struct check_state {
	int	rc;
};

static void
check_report(struct check_state *cs, int ok, int fail_rc, const char *what,
    const char *detail)
{
	printf("%-4s  %-14s  %s\n", ok ? "ok" : "FAIL", what, detail);
	if (!ok && cs->rc == EXIT_OK)
		cs->rc = fail_rc;
}

/* A directory that exists, is ours to write, and hides its contents. */
static void
check_private_dir(struct check_state *cs, const char *what, const char *dir)
{
	char detail[4200];
	struct stat st;

	if (stat(dir, &st) == -1) {
		snprintf(detail, sizeof(detail), "%s: %s (run sendreports "
		    "initdb)", dir, strerror(errno));
		check_report(cs, 0, EXIT_CANTCREAT, what, detail);
	} else if (!S_ISDIR(st.st_mode)) {
		snprintf(detail, sizeof(detail), "%s: not a directory", dir);
		check_report(cs, 0, EXIT_CANTCREAT, what, detail);
	} else if (access(dir, W_OK | X_OK) == -1) {
		snprintf(detail, sizeof(detail), "%s: not writable: %s", dir,
		    strerror(errno));
		check_report(cs, 0, EXIT_CANTCREAT, what, detail);
	} else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(detail, sizeof(detail), "%s: mode %04o, should be "
		    "0700", dir, (unsigned)(st.st_mode & 07777));
		check_report(cs, 0, EXIT_CONFIG, what, detail);
	} else {
		snprintf(detail, sizeof(detail), "%s", dir);
		check_report(cs, 1, 0, what, detail);
	}
}

static void
check_readable(struct check_state *cs, const char *what, const char *path,
    int want_dir)
{
	char detail[4200];
	struct stat st;

	if (stat(path, &st) == -1 || access(path, R_OK) == -1)
		snprintf(detail, sizeof(detail), "%s: %s", path,
		    strerror(errno));
	else if (want_dir != !!S_ISDIR(st.st_mode))
		snprintf(detail, sizeof(detail), "%s: %s", path, want_dir ?
		    "not a directory" : "is a directory");
	else {
		snprintf(detail, sizeof(detail), "%s", path);
		check_report(cs, 1, 0, what, detail);
		return;
	}
	check_report(cs, 0, EXIT_CONFIG, what, detail);
}

int
cmd_check(struct app *app, int argc, char **argv)
{
	const struct conf *c = &app->conf;
	struct check_state cs = { EXIT_OK };
	struct addr_list from = { NULL, 0 };
	struct buf err, detail;
	struct db db;
	enum db_status s;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: sendreports check\n");
		return EXIT_USAGE;
	}
	buf_init(&err, 4096);
	buf_init(&detail, 8192);

	check_report(&cs, 1, 0, "configuration", c->path ? c->path :
	    "built-in defaults (no file)");

	if (addr_list_parse(&from, c->from, &err) == -1 || from.n != 1) {
		buf_printf(&detail, "[mail] from \"%s\": %s", c->from,
		    err.len ? err.data : "must be exactly one address");
		check_report(&cs, 0, EXIT_CONFIG, "sender", detail.data);
	} else
		check_report(&cs, 1, 0, "sender", from.v[0].mailbox);
	addr_list_release(&from);

	buf_reset(&detail);
	buf_printf(&detail, "%s", c->timezone);
	check_report(&cs, time_zone_check(c->timezone) == 0, EXIT_CONFIG,
	    "timezone", detail.data);

	buf_reset(&err);
	s = db_open(&db, c, DB_STATE, &err);
	if (s == DB_OK) {
		check_report(&cs, 1, 0, "database", c->db_path);
		db_close(&db);
	} else
		check_report(&cs, 0, app_exit_for_db(s), "database", err.data);

	check_private_dir(&cs, "spool", c->spool_dir);
	check_readable(&cs, "pdf directory", c->pdf_dir, 1);
	if (c->font)
		check_readable(&cs, "font", c->font, 0);
	if (c->ca_file)
		check_readable(&cs, "ca_file", c->ca_file, 0);
	if (c->password_file) {
		buf_reset(&err);
		if (conf_check_secret_file(c->password_file, "password file",
		    &err) == -1)
			check_report(&cs, 0, EXIT_CONFIG, "password_file",
			    err.data);
		else
			check_readable(&cs, "password_file", c->password_file,
			    0);
	}
	if (c->username && !c->password && !c->password_file)
		check_report(&cs, 0, EXIT_CONFIG, "smtp auth", "username "
		    "set without password or password_file");

	buf_release(&err);
	buf_release(&detail);
	return cs.rc;
}
