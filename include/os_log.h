/*
 * os_log.h - the system's log, where a service's lines go: syslog (facility
 * mail, tagged "sendreports" with the PID) on POSIX, the Application
 * Event Log (source "sendreports") on Windows (src/posix/os_log.c,
 * src/win/os_log.c).  log.c decides what goes there; these only carry it.
 */
#ifndef SENDREPORTS_OS_LOG_H
#define SENDREPORTS_OS_LOG_H

#include "log.h"

void	os_log_open(void);
void	os_log_close(void);
/* One line at level; never fails the caller. */
void	os_log_line(enum log_level level, const char *line);

#endif
