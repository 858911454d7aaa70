/*
 * cmd_check.c - `sendreports check`: validates the configuration, the
 * database, the directories and their permissions, and says what it
 * found, one line per check:  ok|FAIL  what  detail
 * Exit 0 when everything is usable, else the exit code of the first
 * failure (78 configuration, 73 spool, 66 database missing...).  With
 * --smtp it also connects to the server as flush would (TLS verified,
 * AUTH when configured) and lists what the server offers; an unreachable
 * server is 75.  Every problem of the configuration is a FAIL line with
 * its fix: one that keeps the file from loading (a syntax error, a
 * directory given as the file) ends the check there; the problems of
 * values that parsed (struct conf_problem) are listed each.  The spool
 * must be private and owned by the user the commands run as ([run] user
 * for root, else this user), as the commands require (spool_check()):
 * each problem is a FAIL line with its fix.  With [run] user it says
 * whether that user exists, can write the database and read the files it
 * needs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "app.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "os_fs.h"
#include "os_proc.h"
#include "priv.h"
#include "setup.h"
#include "smtp.h"
#include "smtpconf.h"
#include "spool.h"
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

static void
check_readable(struct check_state *cs, const char *what, const char *path,
    int want_dir)
{
	char detail[4200];
	struct stat st;

	if (os_stat(path, &st) == -1 || access(path, R_OK) == -1)
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

/* The problem of the configuration filed under `what`, or NULL. */
static const char *
check_conf_problem(const struct conf *c, const char *what)
{
	size_t i;

	for (i = 0; i < c->nproblems; i++)
		if (strcmp(c->problems[i].what, what) == 0)
			return c->problems[i].text;
	return NULL;
}

static void
check_spool_problem(void *ctx, const char *problem, const char *fix)
{
	struct buf detail;

	buf_init(&detail, 16384);
	buf_printf(&detail, "%s: %s", problem, fix);
	check_report(ctx, 0, EXIT_CONFIG, "spool", detail.data);
	buf_release(&detail);
}

/*
 * The spool exists, may be written, and is private to the user the
 * commands run as ([run] user when this is root, else this user), as
 * the commands require (main.c): its mode, its owner, its state.db's.
 */
static void
check_spool(struct check_state *cs, const struct conf *c)
{
	struct priv_user u;
	struct buf err;
	char detail[4200];
	const char *dir = c->spool_dir;
	struct stat st;
	uid_t owner = os_euid();

	buf_init(&err, 1024);
	if (os_is_superuser() && c->run_user != NULL &&
	    check_conf_problem(c, "run user") == NULL &&
	    priv_user_lookup(&u, c->run_user, 0, &err) == 0) {
		owner = u.uid;
		priv_user_release(&u);
	}
	buf_release(&err);
	if (os_stat(dir, &st) == -1) {
		snprintf(detail, sizeof(detail), "%s: %s (run sendreports "
		    "initdb)", dir, strerror(errno));
		check_report(cs, 0, EXIT_CANTCREAT, "spool", detail);
	} else if (!S_ISDIR(st.st_mode)) {
		snprintf(detail, sizeof(detail), "%s: not a directory", dir);
		check_report(cs, 0, EXIT_CANTCREAT, "spool", detail);
	} else if (access(dir, W_OK | X_OK) == -1) {
		snprintf(detail, sizeof(detail), "%s: not writable: %s", dir,
		    strerror(errno));
		check_report(cs, 0, EXIT_CANTCREAT, "spool", detail);
	} else if (spool_check(dir, owner, SPOOL_CHECK_OWNER,
	    check_spool_problem, cs) == 0) {
		snprintf(detail, sizeof(detail), "%s", dir);
		check_report(cs, 1, 0, "spool", detail);
	}
}

/* Where the zone came from, when the configuration does not name one. */
static void
check_timezone(struct check_state *cs, const struct conf *c)
{
	char detail[512];
	const char *tz = getenv("TZ");

	if (check_conf_problem(c, "timezone") != NULL)
		return;		/* listed with the other problems */
	if (strcmp(c->timezone_source, "[mail] timezone") == 0)
		snprintf(detail, sizeof(detail), "%s", c->timezone);
	else if (strcmp(c->timezone_source, "default") == 0)
		snprintf(detail, sizeof(detail), "%s (no [mail] timezone, and "
		    "neither TZ nor /etc/localtime names a zone)%s%s%s",
		    c->timezone, tz && *tz ? ": TZ \"" : "", tz && *tz ? tz :
		    "", tz && *tz ? "\" is not a zone name" : "");
	else
		snprintf(detail, sizeof(detail), "%s (no [mail] timezone: the "
		    "box's zone, from %s)", c->timezone, c->timezone_source);
	check_report(cs, 1, 0, "timezone", detail);
}

/* A FAIL line when u may not access path for `want` (R_OK, W_OK...). */
static void
check_user_can(struct check_state *cs, const struct priv_user *u,
    const char *what, const char *path, int want, const char *fix)
{
	char detail[4400];
	struct stat st;

	if (path == NULL || os_stat(path, &st) == -1)
		return;		/* missing: said by its own line */
	if (priv_can(u, &st, want))
		return;
	snprintf(detail, sizeof(detail), "%s cannot %s the %s %s (uid %lu, "
	    "gid %lu, mode %04o): %s", u->name, want & W_OK ? "write" :
	    "read", what, path, (unsigned long)st.st_uid,
	    (unsigned long)st.st_gid, (unsigned)(st.st_mode & 07777), fix);
	check_report(cs, 0, EXIT_CONFIG, "run user", detail);
}

/*
 * What the run user needs: the database and its directory writable, the
 * PDF directory and the password file readable (the spool its own:
 * check_spool()).
 */
static void
check_run_user(struct check_state *cs, const struct conf *c)
{
	struct priv_user u;
	struct buf err, detail;
	char *dir = NULL;

	buf_init(&err, 1024);
	buf_init(&detail, 8192);
	if (c->run_user == NULL || check_conf_problem(c, "run user") != NULL)
		goto out;
	if (priv_user_lookup(&u, c->run_user, 0, &err) == -1) {
		check_report(cs, 0, EXIT_CONFIG, "run user", err.data);
		goto out;
	}
	buf_printf(&detail, "%s (uid %lu, gid %lu)%s", u.name,
	    (unsigned long)u.uid, (unsigned long)u.user_gid, os_is_superuser() ?
	    ": every command but initdb and check runs as this user" :
	    ": not root, so nothing is dropped");
	check_report(cs, 1, 0, "run user", detail.data);
	/* Whether it owns the spool: check_spool() says it. */
	dir = setup_dirname(c->db_path);
	check_user_can(cs, &u, "database", c->db_path, R_OK | W_OK,
	    "give it to that user, or to a group of its, group-writable");
	check_user_can(cs, &u, "database directory", dir, W_OK | X_OK,
	    "give it to that user, or to a group of its, group-writable");
	check_user_can(cs, &u, "pdf directory", c->pdf_dir, R_OK | X_OK,
	    "run sendreports initdb --owner with that user");
	check_user_can(cs, &u, "password_file", c->password_file, R_OK,
	    "chown it to that user");
	priv_user_release(&u);
out:
	free(dir);
	buf_release(&err);
	buf_release(&detail);
}

/* Connects as flush would, and says what the server offers. */
/* The probe's certificate source, as the operator reads it. */
static const char *
check_ca_words(const char *source)
{
	if (source == NULL)
		return "nothing";
	if (strcmp(source, "ca_file") == 0)
		return "ca_file";
	if (strcmp(source, "system") == 0)
		return "the system's CA bundle";
	return "the built-in CA bundle";
}

static void
check_smtp(struct check_state *cs, const struct conf *c)
{
	struct smtp_options o;
	struct smtp_probe p;
	struct buf err, detail;
	enum smtp_status st;
	char *password = NULL, *line, *nl;

	buf_init(&err, 4096);
	buf_init(&detail, 8192);
	smtp_probe_init(&p);
	if (smtpconf_options(c, &o, &password, &err) == -1) {
		check_report(cs, 0, EXIT_CONFIG, "smtp", err.data);
		goto out;
	}
	st = smtp_probe(&o, &p);
	smtpconf_wipe(&password);
	if (st != SMTP_OK) {
		buf_printf(&detail, "%s: %s", c->smtp_url,
		    p.outcome.error.len ? p.outcome.error.data :
		    p.outcome.reply.data);
		if (p.ca_source != NULL)
			buf_printf(&detail, " (certificates: %s)",
			    check_ca_words(p.ca_source));
		check_report(cs, 0, st == SMTP_CONFIG ? EXIT_CONFIG :
		    EXIT_TEMPFAIL, "smtp", detail.data);
		goto out;
	}
	buf_printf(&detail, "%s: %s", c->smtp_url, p.greeting.data);
	check_report(cs, 1, 0, "smtp", detail.data);
	buf_reset(&detail);
	if (p.tls)
		buf_printf(&detail, "yes, certificate verified against %s",
		    check_ca_words(p.ca_source));
	else
		buf_printf(&detail, "no%s", p.starttls_offered ?
		    " (STARTTLS offered, not used: tls = none)" : "");
	check_report(cs, 1, 0, "smtp tls", detail.data);
	if (c->username && *c->username)
		check_report(cs, p.authenticated, EXIT_CONFIG, "smtp auth",
		    p.authenticated ? c->username : "not authenticated");
	/* One line per EHLO keyword, as the server listed them. */
	for (line = p.capabilities.data; line && *line; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		check_report(cs, 1, 0, "smtp offers", line);
	}
out:
	smtp_probe_release(&p);
	buf_release(&err);
	buf_release(&detail);
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
	size_t i;
	int with_smtp = 0;

	if (argc == 2 && strcmp(argv[1], "--smtp") == 0)
		with_smtp = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: sendreports check [--smtp]\n");
		return EXIT_USAGE;
	}
	if (app->conf_error != NULL) {
		/* The file did not load: nothing else can be checked. */
		check_report(&cs, 0, EXIT_CONFIG, "configuration",
		    app->conf_error);
		return cs.rc;
	}
	buf_init(&err, 4096);
	buf_init(&detail, 8192);

	if (c->nproblems > 0) {
		buf_printf(&detail, "%s: %zu problem(s), each below",
		    c->path ? c->path : "built-in defaults", c->nproblems);
		check_report(&cs, 0, EXIT_CONFIG, "configuration",
		    detail.data);
		buf_reset(&detail);
	} else
		check_report(&cs, 1, 0, "configuration", c->path ? c->path :
		    "built-in defaults (no file)");
	for (i = 0; i < c->nproblems; i++)
		check_report(&cs, 0, EXIT_CONFIG, c->problems[i].what,
		    c->problems[i].text);

	if (addr_list_parse(&from, c->from, &err) == -1 || from.n != 1) {
		buf_printf(&detail, "[mail] from \"%s\": %s", c->from,
		    err.len ? err.data : "must be exactly one address");
		check_report(&cs, 0, EXIT_CONFIG, "sender", detail.data);
	} else
		check_report(&cs, 1, 0, "sender", from.v[0].mailbox);
	addr_list_release(&from);

	check_timezone(&cs, c);

	/* Read-only: check changes nothing, least of all a database that
	 * is the sync job's. */
	buf_reset(&err);
	s = db_open(&db, c, DB_STATE | DB_READONLY, &err);
	if (s == DB_OK) {
		buf_reset(&detail);
		buf_printf(&detail, "%s, table %s%s", c->db_path, db.table,
		    db.ours ? "" : " (not created by sendreports: read, and "
		    "written only in its columns)");
		check_report(&cs, 1, 0, "database", detail.data);
		db_close(&db);
	} else
		check_report(&cs, 0, app_exit_for_db(s), "database", err.data);

	check_spool(&cs, c);
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
	check_run_user(&cs, c);

	if (with_smtp)
		check_smtp(&cs, c);
	buf_release(&err);
	buf_release(&detail);
	return cs.rc;
}
