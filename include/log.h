/*
 * log.h - diagnostics, to stderr in the foreground and to syslog.
 *
 * The function that sees a failure logs it once, naming the object (report
 * id, message id, file) and, for log_warn, errno.  Callers pass the failure
 * up without logging again.  stdout is never used: it is for data.  These
 * functions save and restore errno.  No secret may be passed to them.
 */
#ifndef SENDREPORTS_LOG_H
#define SENDREPORTS_LOG_H

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/*
 * Sets where lines go.  Lines at or above `stderr_level` in importance go to
 * stderr; when use_syslog is set, lines at or above `syslog_level` also go to
 * syslog under ident "sendreports".  Before any call, errors and warnings go
 * to stderr only.
 */
void	log_init(enum log_level stderr_level, int use_syslog,
	    enum log_level syslog_level);

/* Closes the syslog connection, if any. */
void	log_close(void);

/* An error or warning followed by ": strerror(errno)". */
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error or warning without errno. */
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A passing trouble (a message deferred): warning, without errno. */
void	log_warning(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* At the level given, without errno. */
void	log_at(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Something an operator wants in syslog: a message queued or delivered. */
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Details for -v -v. */
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
