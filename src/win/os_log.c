/*
 * os_log.c (Windows) - os_log.h through the Application Event Log, source
 * "sendreports".  No message file is registered: Event Viewer shows each
 * line as the event's only string (with a note that the description is
 * missing), and `wevtutil qe Application /q:"*[System/Provider/@Name=
 * 'sendreports']"` prints them.  Errors, warnings and the rest map to the
 * log's three types; debug lines are information.
 */
#include <stdlib.h>

#include "os_log.h"
#include "os_win.h"

static HANDLE	os_log_source;

void
os_log_open(void)
{
	if (os_log_source == NULL)
		os_log_source = RegisterEventSourceW(NULL, L"sendreports");
}

void
os_log_close(void)
{
	if (os_log_source != NULL)
		DeregisterEventSource(os_log_source);
	os_log_source = NULL;
}

void
os_log_line(enum log_level level, const char *line)
{
	WORD type = level == LOG_LEVEL_ERROR ? EVENTLOG_ERROR_TYPE :
	    level == LOG_LEVEL_WARNING ? EVENTLOG_WARNING_TYPE :
	    EVENTLOG_INFORMATION_TYPE;
	const wchar_t *strings[1];
	wchar_t *w;

	if (os_log_source == NULL || (w = win_wide(line)) == NULL)
		return;
	strings[0] = w;
	ReportEventW(os_log_source, type, 0, 0, NULL, 1, 0, strings, NULL);
	free(w);
}
