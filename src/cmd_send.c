/*
 * cmd_send.c - `sendreports send [--dry-run] [--now TIME] [--json]`, also
 * run as `send_scheduled_reports [--dry-run]`.
 *
 * --dry-run prints one line per due report, tab-separated:
 *   id  scheduled_at  recipients  what-would-happen
 * where the last field is the PDF source ("stored", "fallback") or what
 * keeps the report from being sent.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "send.h"
#include "timeutil.h"

struct cmd_send_out {
	int		 dry_run;
	int		 json;
	struct buf	 json_items;
	unsigned	 count;
};

static void
cmd_send_event(void *ctx, const struct send_event *ev)
{
	struct cmd_send_out *out = ctx;
	struct buf *j = &out->json_items;

	if (out->json) {
		int rc = 0;

		rc |= buf_printf(j, "%s\n  {\"id\": %lld, \"scheduled_at\": ",
		    out->count ? "," : "", ev->report_id);
		rc |= buf_json_str(j, ev->scheduled_at ? ev->scheduled_at :
		    "");
		rc |= buf_puts(j, ", \"recipients\": ");
		rc |= buf_json_str(j, ev->recipients ? ev->recipients : "");
		rc |= buf_puts(j, ", \"source\": ");
		rc |= ev->source ? buf_json_str(j, ev->source) :
		    buf_puts(j, "null");
		rc |= buf_puts(j, ", \"outcome\": ");
		rc |= buf_json_str(j, ev->outcome);
		rc |= buf_puts(j, ", \"message_id\": ");
		rc |= ev->message_id ? buf_json_str(j, ev->message_id) :
		    buf_puts(j, "null");
		rc |= buf_puts(j, ", \"error\": ");
		rc |= ev->error ? buf_json_str(j, ev->error) :
		    buf_puts(j, "null");
		rc |= buf_puts(j, "}");
		if (rc)
			log_warnx("send: --json output too large");
	} else if (out->dry_run) {
		const char *what = ev->source;

		if (strcmp(ev->outcome, "would queue") != 0)
			what = ev->outcome;
		printf("%lld\t%s\t%s\t%s%s%s\n", ev->report_id,
		    ev->scheduled_at ? ev->scheduled_at : "",
		    ev->recipients ? ev->recipients : "", what,
		    ev->error ? ": " : "", ev->error ? ev->error : "");
	}
	out->count++;
}

static void
cmd_send_usage(void)
{
	fprintf(stderr, "usage: sendreports send [--dry-run] [--now TIME] "
	    "[--json]\n");
}

int
cmd_send(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "now", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct send_options opt = { .now = time(NULL), .clock_by = "send" };
	struct cmd_send_out out;
	struct send_result res;
	char now[TIME_DB_LEN];
	int ch, rc;

	memset(&out, 0, sizeof(out));
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			opt.dry_run = 1;
			break;
		case 't':
			if (app_parse_time(app, optarg, "--now", &opt.now) ==
			    -1)
				return EXIT_USAGE;
			opt.clock_by = NULL;	/* a replay: not the time */
			break;
		case 'j':
			out.json = 1;
			break;
		default:
			cmd_send_usage();
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cmd_send_usage();
		return EXIT_USAGE;
	}
	out.dry_run = opt.dry_run;
	buf_init(&out.json_items, (size_t)64 << 20);

	send_run(&app->conf, &opt, cmd_send_event, &out, &res);

	if (out.json) {
		time_format_db(opt.now, now);
		printf("{\"now\": \"%s\", \"dry_run\": %s, \"due\": %u, "
		    "\"queued\": %u, \"given_up\": %u, \"deferred\": %u, "
		    "\"already_queued\": %u, \"reports\": [%s%s]}\n", now,
		    opt.dry_run ? "true" : "false", res.due, res.queued,
		    res.given_up, res.deferred, res.repaired,
		    out.json_items.data, out.count ? "\n" : "");
	}
	buf_release(&out.json_items);
	if (res.queued || res.given_up)
		log_info("send: %u queued, %u given up, %u deferred",
		    res.queued, res.given_up, res.deferred);

	rc = app_exit_for_send(res.status);
	return rc;
}
