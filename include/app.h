/*
 * app.h - what main() sets up once for every command (git's run_builtin):
 * the configuration and the verbosity.  Commands receive it and open the
 * database and the spool themselves, since they need them in different
 * modes (`send --dry-run` must write nothing at all).
 */
#ifndef SENDREPORTS_APP_H
#define SENDREPORTS_APP_H

#include <time.h>

#include "conf.h"

struct app {
	struct conf	 conf;
	int		 verbosity;	/* -1 with -q, 0, 1 with -v, 2 -vv */
	const char	*config_arg;	/* -c FILE, or NULL */
	const char	*conf_error;	/* why the configuration did not load,
					   for a command flagged so in main.c
					   (then conf holds nothing); else
					   NULL */
};

/* The commands, one file each (cmd_<name>.c).  Each parses its own
 * options (argv[0] is the command name) and returns an exit code. */
int	cmd_send(struct app *app, int argc, char **argv);
int	cmd_list(struct app *app, int argc, char **argv);
int	cmd_schedule(struct app *app, int argc, char **argv);
int	cmd_initdb(struct app *app, int argc, char **argv);
int	cmd_check(struct app *app, int argc, char **argv);
int	cmd_flush(struct app *app, int argc, char **argv);
int	cmd_tick(struct app *app, int argc, char **argv);
int	cmd_daemon(struct app *app, int argc, char **argv);
int	cmd_render(struct app *app, int argc, char **argv);
int	cmd_queue(struct app *app, int argc, char **argv);
int	cmd_sendmail(struct app *app, int argc, char **argv);
/* Whether these arguments of `queue` change the spool (hold, delete...). */
int	cmd_queue_writes(int argc, char **argv);
int	cmd_status(struct app *app, int argc, char **argv);
int	cmd_clock(struct app *app, int argc, char **argv);

/*
 * Reads a TIME argument (SPEC.md: "YYYY-MM-DD HH:MM[:SS]" in the
 * configured zone, or ISO 8601 with Z or an offset).  Logs and returns -1
 * when it is not one.
 */
int	app_parse_time(const struct app *app, const char *arg,
	    const char *option, time_t *out);

/* The exit code for a db_status other than DB_OK. */
int	app_exit_for_db(int db_status);

/* The exit codes for a run's enum send_status and enum flush_status. */
int	app_exit_for_send(int send_status);
int	app_exit_for_flush(int flush_status);

#endif
