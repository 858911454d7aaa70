/*
 * main.c - the command table, the global options, and the set-up every
 * command shares (git's run_builtin): safe descriptors, umask, SIGPIPE,
 * the configuration, the logs, and, started as root with [run] user, the
 * drop to that user before the command opens anything.  Only here and in
 * cmd_*.c is an exit code chosen.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "curl_dl.h"
#include "exitcode.h"
#include "help.h"
#include "hpdf_dl.h"
#include "log.h"
#include "os_fs.h"
#include "os_proc.h"
#include "priv.h"
#include "smtp.h"
#include "spool.h"
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
	CMD_CONF_ERROR = 1 << 0,
	CMD_KEEP_ROOT = 1 << 1,	/* never drops to [run] user: it sets up or
				   inspects the files the run user needs */
	CMD_CONF_ALL = 1 << 2,	/* reports the configuration's problems
				   itself (conf_load_all(), app.conf_error) */
	CMD_SPOOL = 1 << 3,	/* writes in the spool: it must be private
				   and this user's (spool_check()) */
	CMD_SPOOL_READ = 1 << 4	/* reads it: private; root may read the
				   spool of another user */
};

struct command {
	const char	*name;
	int		(*run)(struct app *, int, char **);
	int		 flags;
	const char	*summary;
};

static const struct command commands[] = {
	{ "send", cmd_send, CMD_SPOOL, "spool a message for every due "
	    "report" },
	{ "flush", cmd_flush, CMD_SPOOL, "deliver the queued messages over "
	    "SMTP" },
	{ "tick", cmd_tick, CMD_SPOOL, "send, then flush: the line for cron" },
	{ "daemon", cmd_daemon, CMD_SPOOL, "tick every minute as a service" },
	{ "queue", cmd_queue, CMD_SPOOL_READ, "show the queued and failed "
	    "messages" },
	{ "status", cmd_status, CMD_CONF_ERROR, "health for monitoring "
	    "(exit 1: unhealthy)" },
	{ "clock", cmd_clock, CMD_SPOOL_READ, "what the clock guard knows; "
	    "--reset forgets its mark" },
	{ "render", cmd_render, 0, "write the fallback PDF of a report" },
	{ "list", cmd_list, CMD_SPOOL_READ, "show the reports and their "
	    "state" },
	{ "schedule", cmd_schedule, CMD_SPOOL, "add a report to the local "
	    "database" },
	{ "initdb", cmd_initdb, CMD_KEEP_ROOT, "create the directories, the "
	    "database and spool" },
	{ "check", cmd_check, CMD_KEEP_ROOT | CMD_CONF_ALL, "validate "
	    "configuration, database, directories" },
	{ "sendmail", cmd_sendmail, CMD_SPOOL, "queue a message from "
	    "standard input (as sendmail)" },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: sendreports [-c FILE] [-v | -q] COMMAND "
	    "[OPTIONS]\n       sendreports --help | --version | "
	    "help COMMAND\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(fp, "\nThe configuration is -c FILE, else $SENDREPORTS_CONFIG, "
	    "else " CONF_DEFAULT_PATH ".\n"
	    "sendreports COMMAND --help tells a command's options.\n");
}

/* Whether a command's arguments ask for its help: --help or -h among them,
 * before a "--". */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") ==
		    0)
			return 1;
	return 0;
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
 * Invoked as sendmail or mailq (a link): the command is `name`, with the
 * arguments as given but sendmail's -C FILE, which names the
 * configuration (ours).  argv is rewritten in place.
 */
static void
mail_command_args(int *argc, char **argv, struct app *app, const char *name)
{
	int i, n = 1;

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[n++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "-C") == 0 && i + 1 < *argc)
			app->config_arg = argv[++i];
		else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2])
			app->config_arg = argv[i] + 2;
		else
			argv[n++] = argv[i];
	}
	argv[0] = (char *)name;
	argv[n] = NULL;
	*argc = n;
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

/*
 * Started as root with [run] user set, becomes that user for good, before
 * the command opens anything.  Returns EXIT_OK (also when there is nothing
 * to do), or the exit code of the failure, logged.
 */
static int
drop_privileges(const struct conf *c)
{
	struct priv_user u;
	struct buf err;
	int rc = EXIT_OK;

	if (c->run_user == NULL || !os_is_superuser())
		return EXIT_OK;
	buf_init(&err, 1024);
	if (priv_user_lookup(&u, c->run_user, 0, &err) == -1) {
		log_warnx("[run] user: %s", err.data);
		rc = EXIT_CONFIG;
		goto out;
	}
	if (priv_drop(&u, &err) == -1) {
		log_warnx("[run] user: %s", err.data);
		rc = EXIT_OSERR;
	} else
		log_debug("running as %s (uid %lu)", u.name,
		    (unsigned long)u.uid);
	priv_user_release(&u);
out:
	buf_release(&err);
	return rc;
}

static void
log_spool_problem(void *ctx, const char *problem, const char *fix)
{
	(void)ctx;
	log_warnx("spool: %s: %s", problem, fix);
}

/*
 * The spool holds the reports and the delivery state: a command refuses
 * one that others may read or write, and one that writes refuses a spool
 * of another user, whose files it would leave behind as its own (root
 * running `send` in the run user's spool, say).  Root may read any.
 * EXIT_OK, or EXIT_CONFIG with each problem and its fix logged.
 */
static int
refuse_spool(const struct conf *c, int cmd_flags)
{
	int check;

	if (!(cmd_flags & (CMD_SPOOL | CMD_SPOOL_READ)))
		return EXIT_OK;
	check = (cmd_flags & CMD_SPOOL) || !os_is_superuser() ?
	    SPOOL_CHECK_OWNER : 0;
	return spool_check(c->spool_dir, os_euid(), check, log_spool_problem,
	    NULL) > 0 ? EXIT_CONFIG : EXIT_OK;
}

/* The version, and what it was built with: what an operator asks first. */
static void
print_version(void)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	const char *hv = HPDF_GetVersion();
	char why[256];

	printf("sendreports %s\n", SENDREPORTS_VERSION);
	if (cv)
		printf("libcurl %s (%s), ", cv->version, cv->ssl_version ?
		    cv->ssl_version : "no TLS");
	else if (curl_dl_load(why, sizeof(why)) == -1)
		printf("libcurl not loaded (%s), ", why);
	printf("SQLite %s, ", sqlite3_libversion());
	if (hv)
		printf("libharu %s, ", hv);
	else if (hpdf_dl_load(why, sizeof(why)) == -1)
		printf("libharu not loaded (%s), ", why);
	printf("zone rules %s, ", zones_version[0] ? zones_version : "none");
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

	os_proc_init();
	memset(&app, 0, sizeof(app));
	buf_init(&err, 4096);

	base = os_path_last_sep(argv[0]);
	base = base ? base + 1 : argv[0];
	if (strcmp(base, "sendmail") == 0 || strcmp(base, "mailq") == 0) {
		mail_command_args(&argc, argv, &app, strcmp(base, "mailq") ==
		    0 ? "queue" : "sendmail");
		cmd = find_command(argv[0]);
		goto run;
	}
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
	/* Help, before any configuration is read: it needs none. */
	if (strcmp(argv[0], "help") == 0) {
		if (argc == 1)
			usage(stdout);
		else if (argc > 2 || help_print(stdout, argv[1]) == -1) {
			fprintf(stderr, "sendreports: no help for \"%s\"\n\n",
			    argv[1]);
			usage(stderr);
			return EXIT_USAGE;
		}
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_IOERR;
	}
	if (wants_help(argc, argv) && help_print(stdout, argv[0]) == 0)
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_IOERR;
	if ((cmd = find_command(argv[0])) == NULL) {
		fprintf(stderr, "sendreports: unknown command \"%s\"\n\n",
		    argv[0]);
		usage(stderr);
		return EXIT_USAGE;
	}
run:
	/* Nothing is opened or written before the configuration loads. */
	if ((cmd->flags & CMD_CONF_ALL ? conf_load_all : conf_load)(&app.conf,
	    app.config_arg, &err) == -1) {
		if (!(cmd->flags & (CMD_CONF_ALL | CMD_CONF_ERROR))) {
			log_warnx("configuration: %s", err.data);
			buf_release(&err);
			return EXIT_CONFIG;
		}
		if (cmd->flags & CMD_CONF_ALL)
			log_warnx("configuration: %s", err.data);
		/* `check` says it too; `status` tells it as a problem. */
		app.conf_error = err.data;	/* released below */
	}
	log_init(app.verbosity < 0 ? LOG_LEVEL_ERROR : app.verbosity == 0 ?
	    LOG_LEVEL_WARNING : app.verbosity == 1 ? LOG_LEVEL_INFO :
	    LOG_LEVEL_DEBUG, app.conf_error == NULL && app.conf.syslog,
	    app.conf.log_level);
	if ((!(cmd->flags & CMD_KEEP_ROOT) &&
	    (rc = drop_privileges(&app.conf)) != EXIT_OK) ||
	    (app.conf_error == NULL &&
	    (rc = refuse_spool(&app.conf, cmd->run == cmd_queue &&
	    cmd_queue_writes(argc, argv) ? CMD_SPOOL : cmd->flags)) !=
	    EXIT_OK)) {
		buf_release(&err);
		conf_release(&app.conf);
		log_close();
		return rc;
	}

	optind = 1;
	rc = cmd->run(&app, argc, argv);
	/* libcurl (and its TLS library) started only if a message went. */
	smtp_global_cleanup();

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
