/*
 * conf.h - the INI configuration of SPEC.md, with its defaults.
 *
 * conf_load() fills a struct conf from a file, or from the built-in
 * defaults alone when the default file does not exist.  Relative paths in
 * the file are made absolute against the file's directory.  Every string
 * field is owned by the struct and freed by conf_release(); none is NULL
 * except the optional ones marked so.
 */
#ifndef SENDREPORTS_CONF_H
#define SENDREPORTS_CONF_H

#include "buf.h"
#include "log.h"

#define CONF_DEFAULT_PATH	"/etc/sendreports.ini"

enum conf_tls {
	CONF_TLS_REQUIRED,
	CONF_TLS_OPPORTUNISTIC,
	CONF_TLS_NONE
};

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
	char		*timezone;	/* IANA name */
	char		*default_body;
	char		*notify;	/* address told of undelivered
					   reports, or NULL */

	char		*smtp_url;
	enum conf_tls	 tls;
	char		*ca_file;	/* or NULL: the system bundle */
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
};

/*
 * Reads the configuration at `path`.  When `path` is NULL, reads
 * $SENDREPORTS_CONFIG, else CONF_DEFAULT_PATH, and a missing default file
 * means the built-in defaults.  A file named explicitly (argument or
 * environment) must exist.
 *
 * Returns 0, or -1 with a one-line reason in err: unreadable file, syntax
 * error, unknown section or key (named, with its line), bad value, or a
 * secret readable by group or others.  On -1, *c holds nothing to free.
 */
int	conf_load(struct conf *c, const char *path, struct buf *err);

/* Frees the strings; safe twice. */
void	conf_release(struct conf *c);

/*
 * Checks that the file at `path` is not readable or writable by group or
 * others, as a file holding a secret must be.  Returns 0, or -1 with the
 * reason in err (a missing file is a reason too).
 */
int	conf_check_secret_file(const char *path, const char *what,
	    struct buf *err);

#endif
