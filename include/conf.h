/*
 * conf.h - the INI configuration of SPEC.md, with its defaults.
 *
 * conf_load() fills a struct conf from a file, or from the built-in
 * defaults alone when the default file does not exist.  Relative paths in
 * the file are made absolute against the file's directory.  Every string
 * field is owned by the struct and freed by conf_release(); none is NULL
 * except the optional ones marked so.
 *
 * Lines are read whole up to the line buffer of the inih it is built
 * with (INI_MAX_LINE, 4096 in our builds: 4095 characters); a longer line
 * is an error that names it, never a line cut in two.
 */
#ifndef SENDREPORTS_CONF_H
#define SENDREPORTS_CONF_H

#include "buf.h"
#include "log.h"

/*
 * Where a box keeps its files unless the configuration says otherwise:
 * the FHS places, or on Windows one folder under ProgramData (where the
 * README's install puts the program, send_reports.bat and the file).
 */
#ifdef _WIN32
#define CONF_DEFAULT_PATH	"C:/ProgramData/sendreports/sendreports.ini"
#define CONF_DEFAULT_DB		"C:/ProgramData/sendreports/reports.db"
#define CONF_DEFAULT_SPOOL	"C:/ProgramData/sendreports/spool"
#define CONF_DEFAULT_PDF	"C:/ProgramData/sendreports/pdf"
#else
#define CONF_DEFAULT_PATH	"/etc/sendreports.ini"
#define CONF_DEFAULT_DB		"/var/lib/sendreports/reports.db"
#define CONF_DEFAULT_SPOOL	"/var/spool/sendreports"
#define CONF_DEFAULT_PDF	"/var/lib/sendreports/pdf"
#endif

enum conf_tls {
	CONF_TLS_REQUIRED,
	CONF_TLS_OPPORTUNISTIC,
	CONF_TLS_NONE
};

/*
 * Something wrong with a value that parsed (an unknown time zone, AUTH
 * without TLS, an unknown run user): conf_load() fails on the first one,
 * conf_load_all() records each, for `check` to show them all.
 */
struct conf_problem {
	const char	*what;		/* static: "timezone", "smtp auth",
					   "smtp tls", "run user", "retry" */
	char		*text;		/* "FILE: line N: what is wrong" */
};

#define CONF_PROBLEMS_MAX	8

struct conf {
	char		*path;		/* the file read; NULL: defaults only */

	char		*db_path;
	char		*table;		/* the reports table's name */
	long		 busy_timeout_ms;

	char		*spool_dir;

	char		*pdf_dir;
	char		*font;		/* TrueType file, or NULL */
	long		 max_attachment_mb;
	long		 max_pages;

	char		*from;
	char		*timezone;	/* IANA name: [mail] timezone, else
					   the box's (time_zone_default()) */
	const char	*timezone_source; /* static: "[mail] timezone",
					   "TZ", "/etc/localtime", "default" */
	char		*default_body;
	char		*notify;	/* address told of undelivered
					   reports, or NULL */

	char		*smtp_url;
	enum conf_tls	 tls;
	char		*ca_file;	/* or NULL: the system bundle */
	char		*fallback_url;	/* or NULL: the relay tried when url's
					   cannot be reached */
	char		*helo;		/* or NULL: the box's FQDN */
	char		*pin_sha256;	/* or NULL: the relay's public key(s),
					   base64 SHA-256, ";"-separated */
	char		*username;	/* or NULL: no AUTH */
	char		*password;	/* or NULL */
	char		*password_file;	/* or NULL */
	long		 smtp_timeout_s;

	long		 backoff_min_s;
	long		 backoff_max_s;
	long		 max_age_s;
	long		 min_attempts;

	int		 require_sync;

	enum log_level	 log_level;
	int		 syslog;

	char		*run_user;	/* [run] user, or NULL: no drop */

	struct conf_problem problems[CONF_PROBLEMS_MAX]; /* conf_load_all() */
	size_t		 nproblems;
};

/*
 * Reads the configuration at `path`.  When `path` is NULL, reads
 * $SENDREPORTS_CONFIG, else CONF_DEFAULT_PATH, and a missing default file
 * means the built-in defaults.  A file named explicitly (argument or
 * environment) must exist and must not be a directory.
 *
 * Returns 0, or -1 with a one-line reason in err, "FILE: line N: ..."
 * whenever a line is to blame: unreadable file, syntax error, a line
 * longer than the line buffer, unknown section or key, bad value, and the
 * problems of struct conf_problem: an unknown time zone, a username
 * without TLS (SPEC: no password over a connection without TLS; AUTH only
 * with smtps:// or tls = required), smtps:// with tls = none, an unknown
 * [run] user, backoff_max below backoff_min; or a secret readable by group
 * or others.  On -1, *c holds nothing to free.  Nothing is written.
 */
int	conf_load(struct conf *c, const char *path, struct buf *err);

/*
 * As conf_load(), but the problems of struct conf_problem are recorded in
 * c->problems (c->nproblems of them) instead of failing, so that `check`
 * can report every one.  Fails only where conf_load() fails otherwise.
 */
int	conf_load_all(struct conf *c, const char *path, struct buf *err);

/* Frees the strings and the problems; safe twice. */
void	conf_release(struct conf *c);

/*
 * Checks that the file at `path` is not readable or writable by group or
 * others, as a file holding a secret must be.  Returns 0, or -1 with the
 * reason in err (a missing file is a reason too).
 */
int	conf_check_secret_file(const char *path, const char *what,
	    struct buf *err);

#endif
