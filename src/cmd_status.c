/*
 * cmd_status.c - `sendreports status [--json]`: health for monitoring.
 *
 * Prints, one "key: value" per line: config, due, queued, oldest (UTC),
 * failed, paused_until, paused_reason, last_send, last_flush, clock,
 * clock_mark, health; then, when unhealthy, one line per problem:
 *   problem: CODE: what is wrong -- what to do
 * (health.h lists the codes).  Exit 0 when healthy, 1 when not, also
 * when the configuration does not load (main.c lets status run then).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "buf.h"
#include "clock.h"
#include "exitcode.h"
#include "health.h"
#include "log.h"
#include "timeutil.h"

/* A text field, or null when empty. */
static int
status_json_opt(struct buf *j, const char *key, const char *value)
{
	int rc = buf_printf(j, ", \"%s\": ", key);

	return rc | (value && *value ? buf_json_str(j, value) :
	    buf_puts(j, "null"));
}

static int
status_json(const struct health *h, const char *clock, struct buf *j)
{
	char oldest[TIME_DB_LEN], until[TIME_DB_LEN];
	struct buf summary;
	size_t i;
	int rc = 0;

	time_format_db(h->oldest, oldest);
	time_format_db(h->pause.until, until);
	rc |= buf_printf(j, "{\"queued\": %zu", h->queued);
	rc |= status_json_opt(j, "oldest", h->oldest ? oldest : NULL);
	rc |= buf_printf(j, ", \"failed\": %zu, \"due\": %zu", h->failed,
	    h->due);
	rc |= status_json_opt(j, "paused_until", h->pause.until ? until :
	    NULL);
	rc |= status_json_opt(j, "paused_kind", h->pause.kind);
	rc |= status_json_opt(j, "paused_reason", h->pause.reason);
	rc |= status_json_opt(j, "last_send", h->last_send);
	rc |= status_json_opt(j, "last_flush", h->last_flush);
	rc |= status_json_opt(j, "config", h->config);
	rc |= status_json_opt(j, "clock", clock);
	rc |= buf_puts(j, ", \"clock_guard\": ");
	if (h->clock_known) {
		rc |= buf_puts(j, "{");
		rc |= clock_json_members(&h->clock, j);
		rc |= buf_puts(j, "}");
	} else
		rc |= buf_puts(j, "null");
	/* "problems": the one-line summary of earlier versions. */
	buf_init(&summary, j->max);
	for (i = 0; i < h->n; i++)
		rc |= buf_printf(&summary, "%s%s", i ? "; " : "",
		    h->v[i].message);
	rc |= buf_printf(j, ", \"healthy\": %s, \"problems\": ",
	    h->n ? "false" : "true");
	rc |= buf_json_str(j, summary.data);
	buf_release(&summary);
	rc |= buf_puts(j, ", \"reasons\": [");
	for (i = 0; i < h->n; i++) {
		rc |= buf_printf(j, "%s{\"code\": \"%s\", \"message\": ",
		    i ? ", " : "", h->v[i].code);
		rc |= buf_json_str(j, h->v[i].message);
		rc |= buf_puts(j, ", \"fix\": ");
		rc |= buf_json_str(j, h->v[i].fix);
		rc |= buf_puts(j, "}");
	}
	rc |= buf_puts(j, "]}\n");
	return rc ? -1 : 0;
}

static void
status_text(const struct health *h, const char *clock)
{
	char oldest[TIME_DB_LEN] = "-", until[TIME_DB_LEN] = "-",
	    mark[TIME_DB_LEN] = "none";
	size_t i;

	if (h->oldest)
		time_format_db(h->oldest, oldest);
	if (h->pause.until)
		time_format_db(h->pause.until, until);
	if (h->clock_known && h->clock.mark)
		time_format_db(h->clock.mark, mark);
	printf("config: %s\n", h->config ? h->config :
	    "none (built-in defaults)");
	printf("due: %zu\nqueued: %zu\noldest: %s\nfailed: %zu\n"
	    "paused_until: %s\n", h->due, h->queued, oldest, h->failed,
	    until);
	if (h->pause.until && h->pause.kind[0])
		printf("paused_reason: %s: %s\n", h->pause.kind,
		    h->pause.reason);
	else
		printf("paused_reason: -\n");
	printf("last_send: %s\nlast_flush: %s\nclock: %s\n",
	    h->last_send[0] ? h->last_send : "-",
	    h->last_flush[0] ? h->last_flush : "-", clock);
	if (!h->clock_known)
		printf("clock_mark: unknown\n");
	else if (h->clock.mark)
		printf("clock_mark: %s UTC (%s)\n", mark,
		    h->clock.mark_by[0] ? h->clock.mark_by : "recorded by an "
		    "earlier version");
	else
		printf("clock_mark: none\n");
	printf("health: %s\n", h->n ? "unhealthy" : "ok");
	for (i = 0; i < h->n; i++)
		printf("problem: %s: %s -- %s\n", h->v[i].code,
		    h->v[i].message, h->v[i].fix);
}

int
cmd_status(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct health h;
	struct buf clock, j;
	int ch, json = 0, rc = EXIT_UNHEALTHY;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch != 'j')
			goto usage;
		json = 1;
	}
	if (optind != argc)
		goto usage;
	buf_init(&clock, 4096);
	buf_init(&j, 1024 * 1024);
	if (health_check(&h, app->conf_error ? NULL : &app->conf,
	    app->config_arg, app->conf_error, time(NULL)) == -1) {
		log_warnx("status: out of memory");
		rc = EXIT_OSERR;
		goto out;
	}
	if (!h.clock_known)
		buf_puts(&clock, "unknown");
	else if (h.clock.hold == CLOCK_HOLD_NONE)
		buf_puts(&clock, "ok");
	else
		clock_explain(&h.clock, &clock);
	if (json) {
		if (status_json(&h, clock.data, &j) == -1) {
			log_warnx("status: --json output too large");
			rc = EXIT_SOFTWARE;
			goto out;
		}
		fputs(j.data, stdout);
	} else
		status_text(&h, clock.data);
	rc = h.n ? EXIT_UNHEALTHY : EXIT_OK;
out:
	health_release(&h);
	buf_release(&clock);
	buf_release(&j);
	return rc;
usage:
	fprintf(stderr, "usage: sendreports status [--json]\n");
	return EXIT_USAGE;
}
