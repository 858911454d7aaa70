/*
 * main.c - the command table, the global options, and the set-up every
 * command shares (git's run_builtin): safe descriptors, umask, SIGPIPE,
 * the configuration, the logs.  Only here and in cmd_*.c is an exit code
 * chosen.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hpdf.h>
#include <sqlite3.h>

#include "app.h"
#include "cabundle.h"
#include "exitcode.h"
#include "log.h"
#include "zones.h"

#ifndef SENDREPORTS_VERSION
#define SENDREPORTS_VERSION "unknown"
#endif

/*
 * CMD_CONF_ERROR: the command runs even when the configuration does not
 * load (a -c FILE that does not exist, a syntax error), with the reason in
 * app->conf_error and nothing in app->conf; `status` must say "unhealthy"
 * then, not fail with 78 like the others.
 */
enum command_flags {
	CMD_CONF_ERROR = 1 << 0
};

struct command {
	const char	*name;
	int		(*run)(struct app *, int, char **);
	const char	*summary;
	int		 flags;
};

static const struct command commands[] = {
	{ "send", cmd_send, "spool a message for every due report", 0 },
	{ "flush", cmd_flush, "deliver the queued messages over SMTP", 0 },
	{ "tick", cmd_tick, "send, then flush: the line for cron", 0 },
	{ "daemon", cmd_daemon, "tick every minute as a service", 0 },
	{ "queue", cmd_queue, "show the queued and failed messages", 0 },
	{ "status", cmd_status, "health for monitoring (exit 1: unhealthy)",
	    CMD_CONF_ERROR },
	{ "clock", cmd_clock, "what the clock guard knows; --reset forgets "
	    "its mark", 0 },
	{ "render", cmd_render, "write the fallback PDF of a report", 0 },
	{ "list", cmd_list, "show the reports and their state", 0 },
	{ "schedule", cmd_schedule, "add a report to the local database", 0 },
	{ "initdb", cmd_initdb, "create or migrate the database and spool",
	    0 },
	{ "check", cmd_check, "validate configuration, database, "
	    "directories", 0 },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: sendreports [-c FILE] [-v | -q] COMMAND "
	    "[OPTIONS]\n       sendreports --help | --version\n\n"
	    "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(fp, "\nThe configuration is -c FILE, else $SENDREPORTS_CONFIG, "
	    "else " CONF_DEFAULT_PATH ".\n");
}

/* Makes sure descriptors 0-2 are open, so no file we open becomes one. */
static void
sanitize_stdfds(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	} while (fd >= 0 && fd <= 2);
	if (fd > 2)
		close(fd);
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/*
 * The old Django management command's name, a drop-in for its cron lines:
 *   send_scheduled_reports [-c FILE] [--dry-run] [--now TIME] [DJANGO OPTIONS]
 * does what the command did for its users, the due reports sent and
 * delivered (`tick`), or, with --dry-run, listed (`send --dry-run`).  The
 * options every Django command takes are accepted and ignored: the old
 * lines pass them.  Leaves in *cmd_argv the command's own arguments;
 * returns -1 after printing the usage (*rc says with which exit code).
 */
static int
old_command_args(int argc, char **argv, struct app *app, char **cmd_argv,
    int *cmd_argc, int *rc)
{
	/* Django's options with a value, and those without. */
	static const char *const with_value[] = { "--settings",
	    "--pythonpath", "--verbosity", "-v" };
	static const char *const flags[] = { "--traceback", "--no-color",
	    "--force-color", "--skip-checks" };
	static char tick[] = "tick", send[] = "send", dry[] = "--dry-run",
	    now_opt[] = "--now";
	char *now = NULL;
	int i, n = 0, dry_run = 0;
	size_t k;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int known = 0;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf("usage: send_scheduled_reports [-c FILE] "
			    "[--dry-run] [--now TIME]\n\n"
			    "The old management command's name: sends and "
			    "delivers the due reports\n(sendreports tick), or "
			    "with --dry-run lists them and changes nothing.\n"
			    "Django's options (--settings, --pythonpath, -v, "
			    "--verbosity, --traceback,\n--no-color, "
			    "--force-color, --skip-checks) are accepted and "
			    "ignored.\nThe configuration is -c FILE, else "
			    "$SENDREPORTS_CONFIG, else "
			    CONF_DEFAULT_PATH ".\n");
			*rc = EXIT_OK;
			return -1;
		}
		if (strcmp(a, "--dry-run") == 0) {
			dry_run = 1;
			continue;
		}
		if (strcmp(a, "-c") == 0 && i + 1 < argc) {
			app->config_arg = argv[++i];
			continue;
		}
		if (strcmp(a, "--now") == 0 && i + 1 < argc) {
			now = argv[++i];	/* replays and tests, as tick */
			continue;
		}
		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (strcmp(a, flags[k]) == 0)
				known = 1;
		for (k = 0; !known && k < sizeof(with_value) /
		    sizeof(with_value[0]); k++) {
			size_t len = strlen(with_value[k]);

			if (strcmp(a, with_value[k]) == 0 && i + 1 < argc) {
				i++;		/* --settings X */
				known = 1;
			} else if (strncmp(a, with_value[k], len) == 0 &&
			    (a[len] == '=' || (len == 2 && a[len] != '\0')))
				known = 1;	/* --settings=X, -v2 */
		}
		if (!known) {
			fprintf(stderr, "send_scheduled_reports: unknown "
			    "option \"%s\" (--help lists them)\n", a);
			*rc = EXIT_USAGE;
			return -1;
		}
	}
	cmd_argv[n++] = dry_run ? send : tick;
	if (dry_run)
		cmd_argv[n++] = dry;
	if (now) {
		cmd_argv[n++] = now_opt;
		cmd_argv[n++] = now;
	}
	cmd_argv[n] = NULL;
	*cmd_argc = n;
	return 0;
}

/* The version, and what it was built with: what an operator asks first. */
static void
print_version(void)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	printf("sendreports %s\n", SENDREPORTS_VERSION);
	printf("libcurl %s (%s), SQLite %s, libharu %s, zone rules %s, ",
	    cv->version, cv->ssl_version ? cv->ssl_version : "no TLS",
	    sqlite3_libversion(), HPDF_GetVersion(),
	    zones_version[0] ? zones_version : "none");
	if (cabundle_count > 0)
		printf("%u CA certificates built in\n", cabundle_count);
	else
		printf("no CA bundle built in\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char *old_argv[5];
	struct app app;
	struct buf err;
	const struct command *cmd;
	const char *base;
	int ch, rc;

	sanitize_stdfds();
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	memset(&app, 0, sizeof(app));
	buf_init(&err, 4096);

	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (strcmp(base, "send_scheduled_reports") == 0) {
		if (old_command_args(argc, argv, &app, old_argv, &argc,
		    &rc) == -1)
			return rc;
		argv = old_argv;
		cmd = find_command(argv[0]);
		goto run;
	}

	/* '+': stop at the command, as musl's and BusyBox's getopt do. */
	while ((ch = getopt_long(argc, argv, "+c:vqhV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			app.config_arg = optarg;
			break;
		case 'v':
			app.verbosity = app.verbosity < 0 ? 1 :
			    app.verbosity + 1;
			break;
		case 'q':
			app.verbosity = -1;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 ? EXIT_OK : EXIT_IOERR;
		case 'V':
			print_version();
			return fflush(stdout) == 0 ? EXIT_OK : EXIT_IOERR;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((cmd = find_command(argv[0])) == NULL) {
		fprintf(stderr, "sendreports: unknown command \"%s\"\n\n",
		    argv[0]);
		usage(stderr);
		return EXIT_USAGE;
	}
run:
	if (conf_load(&app.conf, app.config_arg, &err) == -1) {
		if (!(cmd->flags & CMD_CONF_ERROR)) {
			log_warnx("configuration: %s", err.data);
			buf_release(&err);
			return EXIT_CONFIG;
		}
		app.conf_error = err.data;	/* released below */
	}
	log_init(app.verbosity < 0 ? LOG_LEVEL_ERROR : app.verbosity == 0 ?
	    LOG_LEVEL_WARNING : app.verbosity == 1 ? LOG_LEVEL_INFO :
	    LOG_LEVEL_DEBUG, app.conf.syslog, app.conf.log_level);

	/* Once, before any thread or handle: libcurl's rule. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("cannot initialise libcurl");
		conf_release(&app.conf);
		buf_release(&err);
		return EXIT_SOFTWARE;
	}
	optind = 1;
	rc = cmd->run(&app, argc, argv);
	curl_global_cleanup();

	/* Data that did not reach stdout is a failure (a full disk). */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("cannot write the output");
		if (rc == EXIT_OK)
			rc = EXIT_IOERR;
	}
	conf_release(&app.conf);
	buf_release(&err);
	log_close();
	return rc;
}
