/*
 * log.c - diagnostics to stderr and the system's log, syslog or the
 * Event Log (os_log.h; OpenSMTPD's log.c pattern).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "os_log.h"

static enum log_level	log_stderr_level = LOG_LEVEL_WARNING;
static enum log_level	log_syslog_level = LOG_LEVEL_INFO;
static int		log_use_syslog;

void
log_init(enum log_level stderr_level, int use_syslog,
    enum log_level syslog_level)
{
	log_stderr_level = stderr_level;
	log_syslog_level = syslog_level;
	if (use_syslog && !log_use_syslog)
		os_log_open();
	else if (!use_syslog && log_use_syslog)
		os_log_close();
	log_use_syslog = use_syslog;
}

void
log_close(void)
{
	if (log_use_syslog)
		os_log_close();
	log_use_syslog = 0;
}

static void __attribute__((format(printf, 3, 0)))
log_vemit(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	char line[1024];
	int n;

	/* A line longer than this is cut: a log line must not fail. */
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n >= 0 && with_errno)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    ": %s", strerror(saved_errno));
	if (level <= log_stderr_level) {
		fprintf(stderr, "sendreports: %s\n", line);
		fflush(stderr);
	}
	if (log_use_syslog && level <= log_syslog_level)
		os_log_line(level, line);
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, 1, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
}

void
log_at(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(level, 0, fmt, ap);
	va_end(ap);
}

void
log_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_WARNING, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_DEBUG, 0, fmt, ap);
	va_end(ap);
}
