/*
 * os_log.c (POSIX) - os_log.h through syslog(3), facility mail.
 */
#include <syslog.h>

#include "os_log.h"

void
os_log_open(void)
{
	openlog("sendreports", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
os_log_close(void)
{
	closelog();
}

void
os_log_line(enum log_level level, const char *line)
{
	static const int prio[] = {
		[LOG_LEVEL_ERROR] = LOG_ERR,
		[LOG_LEVEL_WARNING] = LOG_WARNING,
		[LOG_LEVEL_INFO] = LOG_INFO,
		[LOG_LEVEL_DEBUG] = LOG_DEBUG,
	};

	syslog(prio[level], "%s", line);
}
