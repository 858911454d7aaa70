/*
 * app.c - small helpers the command files share.
 */
#include <time.h>

#include "app.h"
#include "db.h"
#include "exitcode.h"
#include "flush.h"
#include "log.h"
#include "send.h"
#include "timeutil.h"

int
app_parse_time(const struct app *app, const char *arg, const char *option,
    time_t *out)
{
	if (time_parse(arg, app->conf.timezone, out) == -1) {
		log_warnx("%s \"%s\": not a time (YYYY-MM-DD HH:MM[:SS] in %s, "
		    "or ISO 8601 with Z or an offset)", option, arg,
		    app->conf.timezone);
		return -1;
	}
	return 0;
}

int
app_exit_for_db(int db_status)
{
	switch (db_status) {
	case DB_OK:
		return EXIT_OK;
	case DB_NOTFOUND:
		return EXIT_NOINPUT;
	case DB_TEMPFAIL:
		return EXIT_TEMPFAIL;
	case DB_SCHEMA:
		return EXIT_CONFIG;
	default:
		return EXIT_IOERR;
	}
}

int
app_exit_for_send(int send_status)
{
	switch (send_status) {
	case SEND_OK:		return EXIT_OK;
	case SEND_DATAERR:	return EXIT_DATAERR;
	case SEND_TEMPFAIL:	return EXIT_TEMPFAIL;
	case SEND_CANTCREAT:	return EXIT_CANTCREAT;
	case SEND_NOINPUT:	return EXIT_NOINPUT;
	case SEND_CONFIG:	return EXIT_CONFIG;
	default:		return EXIT_IOERR;
	}
}

int
app_exit_for_flush(int flush_status)
{
	switch (flush_status) {
	case FLUSH_OK:		return EXIT_OK;
	case FLUSH_DEFERRED:
	case FLUSH_UNAVAILABLE:
	case FLUSH_TEMPFAIL:	return EXIT_TEMPFAIL;
	case FLUSH_CONFIG:	return EXIT_CONFIG;
	case FLUSH_CANTCREAT:	return EXIT_CANTCREAT;
	default:		return EXIT_IOERR;
	}
}
