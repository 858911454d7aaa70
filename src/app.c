/*
 * app.c - small helpers the command files share.
 */
#include <time.h>

#include "app.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"
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
	default:
		return EXIT_IOERR;
	}
}
