/*
 * cmd_daemon.c - `sendreports daemon [--interval SECONDS] [--pidfile FILE]
 * [--background]`: see daemon.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "daemon.h"
#include "exitcode.h"
#include "log.h"

#define DAEMON_INTERVAL_MAX	86400

int
cmd_daemon(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "background", no_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon_options opt = { 60, NULL, 0 };
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			opt.interval_s = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' ||
			    opt.interval_s < 1 ||
			    opt.interval_s > DAEMON_INTERVAL_MAX) {
				log_warnx("--interval \"%s\": not a number of "
				    "seconds (1-%d)", optarg,
				    DAEMON_INTERVAL_MAX);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			opt.pidfile = optarg;
			break;
		case 'b':
			opt.background = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	return daemon_run(app, &opt);
usage:
	fprintf(stderr, "usage: sendreports daemon [--interval SECONDS] "
	    "[--pidfile FILE] [--background]\n");
	return EXIT_USAGE;
}
