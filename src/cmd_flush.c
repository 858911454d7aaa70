/*
 * cmd_flush.c - `sendreports flush [--now TIME] [--max N] [--force]
 * [--json]`, and `sendreports tick [--now TIME]` (send, then flush).
 *
 * Silent on success.  On a terminal, a flush of many messages shows its
 * progress on stderr.  Exit 0 when every message tried was delivered or
 * moved to failed/, 75 when one was deferred or the server could not be
 * reached, 78 for TLS, authentication and option errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "buf.h"
#include "exitcode.h"
#include "flush.h"
#include "log.h"
#include "queue.h"
#include "send.h"
#include "timeutil.h"

#define FLUSH_PROGRESS_MIN	10	/* messages before progress shows */

struct cmd_flush_out {
	int		 json;
	int		 progress;	/* stderr is a terminal */
	struct buf	 items;
	unsigned	 count;
	time_t		 last_progress;
};

static void
cmd_flush_event(void *ctx, const struct flush_event *ev)
{
	struct cmd_flush_out *out = ctx;
	struct buf *j = &out->items;
	time_t t;
	int rc = 0;

	if (out->progress && ev->total >= FLUSH_PROGRESS_MIN &&
	    ((t = time(NULL)) != out->last_progress ||
	    ev->index == ev->total)) {
		out->last_progress = t;
		fprintf(stderr, "\rflush: %zu/%zu", ev->index, ev->total);
		if (ev->index == ev->total)
			fputc('\n', stderr);
	}
	if (!out->json)
		return;
	rc |= buf_printf(j, "%s\n  {\"name\": ", out->count ? "," : "");
	rc |= buf_json_str(j, ev->name);
	rc |= buf_printf(j, ", \"report_id\": %lld, \"message_id\": ",
	    ev->report_id);
	rc |= ev->message_id ? buf_json_str(j, ev->message_id) :
	    buf_puts(j, "null");
	rc |= buf_puts(j, ", \"outcome\": ");
	rc |= buf_json_str(j, ev->outcome);
	rc |= buf_printf(j, ", \"code\": %ld, \"reply\": ", ev->code);
	rc |= ev->reply ? buf_json_str(j, ev->reply) : buf_puts(j, "null");
	rc |= buf_printf(j, ", \"refused\": %zu}", ev->nrefused);
	if (rc)
		log_warnx("flush: --json output too large");
	out->count++;
}

static void
cmd_flush_json(const struct cmd_flush_out *out, const struct flush_result *r,
    time_t now)
{
	char t[TIME_DB_LEN], until[TIME_DB_LEN];

	time_format_db(now, t);
	time_format_db(r->paused_until, until);
	printf("{\"now\": \"%s\", \"queued\": %u, \"tried\": %u, "
	    "\"delivered\": %u, \"deferred\": %u, \"failed\": %u, "
	    "\"expired\": %u, \"busy\": %u, \"paused_until\": ", t, r->queued,
	    r->tried, r->delivered, r->deferred, r->failed, r->expired,
	    r->busy);
	if (r->paused_until)
		printf("\"%s\"", until);
	else
		printf("null");
	printf(", \"messages\": [%s%s]}\n", out->items.data,
	    out->count ? "\n" : "");
}

static void
cmd_flush_log(const struct flush_result *r)
{
	if (r->tried)
		log_info("flush: %u delivered, %u deferred, %u failed, "
		    "%u expired", r->delivered, r->deferred, r->failed,
		    r->expired);
}

int
cmd_flush(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "now", required_argument, NULL, 't' },
		{ "max", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'f' },
		{ "id", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct flush_options opt = { .now = time(NULL) };
	struct cmd_flush_out out;
	struct flush_result res;
	char *end;
	int ch;

	memset(&out, 0, sizeof(out));
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (app_parse_time(app, optarg, "--now", &opt.now) ==
			    -1)
				return EXIT_USAGE;
			break;
		case 'm':
			opt.max = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || opt.max < 1) {
				log_warnx("--max \"%s\": not a number of "
				    "messages", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			opt.force = 1;
			break;
		case 'i':
			if (!queue_is_message(optarg)) {
				log_warnx("--id \"%s\": not the name of a "
				    "message (sendreports queue lists them)",
				    optarg);
				return EXIT_USAGE;
			}
			opt.only = optarg;
			break;
		case 'j':
			out.json = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	opt.verbose_smtp = app->verbosity >= 2;
	out.progress = isatty(2) && app->verbosity >= 0 && !out.json;
	buf_init(&out.items, (size_t)64 << 20);
	flush_run(&app->conf, &opt, cmd_flush_event, &out, &res);
	if (out.json)
		cmd_flush_json(&out, &res, opt.now);
	cmd_flush_log(&res);
	buf_release(&out.items);
	if (opt.only && res.not_found && res.status == FLUSH_OK) {
		log_warnx("flush: no message %s in the queue", opt.only);
		return EXIT_NOINPUT;
	}
	if (opt.only && res.held && res.status == FLUSH_OK)
		log_warnx("flush: %s is on hold: sendreports queue release %s "
		    "first", opt.only, opt.only);
	return app_exit_for_flush(res.status);
usage:
	fprintf(stderr, "usage: sendreports flush [--now TIME] [--max N] "
	    "[--force] [--id NAME] [--json]\n");
	return EXIT_USAGE;
}

int
cmd_tick(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "now", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct send_options so = { .now = time(NULL), .clock_by = "tick" };
	struct flush_options fo;
	struct send_result sr;
	struct flush_result fr;
	int ch, src, frc;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (app_parse_time(app, optarg, "--now", &so.now) ==
			    -1)
				return EXIT_USAGE;
			so.clock_by = NULL;	/* a replay: not the time */
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	send_run(&app->conf, &so, NULL, NULL, &sr);
	if (sr.queued || sr.given_up)
		log_info("send: %u queued, %u given up, %u deferred",
		    sr.queued, sr.given_up, sr.deferred);
	/* Whatever send met (a clock not trusted, a busy database), what is
	 * already queued can still go. */
	memset(&fo, 0, sizeof(fo));
	fo.now = so.now;
	fo.verbose_smtp = app->verbosity >= 2;
	flush_run(&app->conf, &fo, NULL, NULL, &fr);
	cmd_flush_log(&fr);
	src = app_exit_for_send(sr.status);
	frc = app_exit_for_flush(fr.status);
	/* The more serious of the two: configuration, I/O, spool,
	 * temporary, then bad data. */
	if (src == EXIT_CONFIG || frc == EXIT_CONFIG)
		return EXIT_CONFIG;
	if (src != EXIT_OK && src != EXIT_DATAERR && src != EXIT_TEMPFAIL)
		return src;
	if (frc != EXIT_OK && frc != EXIT_TEMPFAIL)
		return frc;
	if (src == EXIT_TEMPFAIL || frc == EXIT_TEMPFAIL)
		return EXIT_TEMPFAIL;
	return src;
usage:
	fprintf(stderr, "usage: sendreports tick [--now TIME]\n");
	return EXIT_USAGE;
}
