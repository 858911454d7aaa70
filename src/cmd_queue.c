/*
 * cmd_queue.c - `sendreports queue [--json]`, like mailq: one line per
 * message of the spool, queued or failed, tab-separated:
 *   name  report  recipients  size  state  attempts  next-try  last-error
 * state is "queued" (never tried), "deferred" (tried, waiting), "held"
 * or "failed" (in failed/); next-try is local time, "now" when due.  A
 * paused queue says so on a last line, "paused until TIME (KIND: WHY)".
 *
 * `queue show NAME` and `queue hold|release|delete|requeue NAME...` act
 * on single messages (queue_admin.h).
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "buf.h"
#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "os_fs.h"
#include "queue.h"
#include "queue_admin.h"
#include "spool.h"
#include "state.h"
#include "timeutil.h"

/* The reason written beside a failed message (its second line). */
static void
queue_reason(struct spool *s, const char *name, struct buf *out)
{
	char path[SPOOL_NAME_MAX + 16], text[4096];
	ssize_t n;
	char *nl;
	int fd;

	snprintf(path, sizeof(path), "%s%s", name, QUEUE_REASON_SUFFIX);
	if ((fd = os_openat(s->failedfd, path, O_RDONLY | O_CLOEXEC, 0)) == -1)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	if ((nl = strchr(text, '\n')) == NULL)
		return;
	nl[strcspn(nl + 1, "\n") + 1] = '\0';
	buf_puts(out, nl + 1);
}

static void
queue_print(struct app *app, struct spool *s, const struct queue_entry *e,
    int json, int first, time_t now)
{
	struct spool_envelope env;
	struct buf rcpts, err, reason;
	char when[64];
	const char *state;
	off_t body;
	size_t i;
	int fd;

	memset(&env, 0, sizeof(env));
	buf_init(&rcpts, 64 * 1024);
	buf_init(&err, 1024);
	buf_init(&reason, 4096);
	fd = os_openat(e->where == QUEUE_QUEUED ? s->queuefd : s->failedfd,
	    e->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
	if (fd != -1 && spool_read_envelope(fd, &env, &body, &err) == 0)
		for (i = 0; i < env.nrcpts; i++)
			buf_printf(&rcpts, "%s%s", i ? ", " : "",
			    env.rcpts[i]);
	if (fd != -1)
		close(fd);
	if (e->last_error)
		buf_puts(&reason, e->last_error);
	else if (e->where == QUEUE_FAILED)
		queue_reason(s, e->name, &reason);
	state = e->where == QUEUE_FAILED ? "failed" : e->held ? "held" :
	    e->attempts ? "deferred" : "queued";
	if (e->where == QUEUE_FAILED || e->held)
		(void)snprintf(when, sizeof(when), "-");
	else if (e->next_try <= now)
		(void)snprintf(when, sizeof(when), "now");
	else if (time_format_local(e->next_try, app->conf.timezone, when,
	    sizeof(when)) == -1)
		time_format_db(e->next_try, when);

	if (json) {
		struct buf j;

		buf_init(&j, 256 * 1024);
		buf_printf(&j, "%s\n  {\"name\": ", first ? "" : ",");
		buf_json_str(&j, e->name);
		buf_printf(&j, ", \"report_id\": %lld, \"message_id\": ",
		    env.report_id);
		if (env.message_id)
			buf_json_str(&j, env.message_id);
		else
			buf_puts(&j, "null");
		buf_puts(&j, ", \"recipients\": ");
		buf_json_str(&j, rcpts.data);
		buf_printf(&j, ", \"size\": %lld, \"state\": \"%s\", "
		    "\"attempts\": %ld, \"next_try\": ", (long long)e->size,
		    state, e->attempts);
		if (e->where == QUEUE_FAILED || e->held)
			buf_puts(&j, "null");
		else
			buf_json_str(&j, when);
		buf_printf(&j, ", \"last_code\": %ld, \"last_error\": ",
		    e->last_code);
		if (reason.len)
			buf_json_str(&j, reason.data);
		else
			buf_puts(&j, "null");
		buf_puts(&j, "}");
		fputs(j.data, stdout);
		buf_release(&j);
	} else {
		/* One line per message: no tab or line break inside. */
		for (i = 0; i < reason.len; i++)
			if (reason.data[i] == '\t' || reason.data[i] == '\n' ||
			    reason.data[i] == '\r')
				reason.data[i] = ' ';
		printf("%s\t%lld\t%s\t%lld\t%s\t%ld\t%s\t%s\n", e->name,
		    env.report_id, err.len ? err.data : rcpts.data,
		    (long long)e->size, state, e->attempts, when,
		    reason.data);
	}
	spool_envelope_release(&env);
	buf_release(&rcpts);
	buf_release(&err);
	buf_release(&reason);
}

/* The actions of `queue ACTION NAME...`, and `show`. */
static const char *const queue_actions[] = { "hold", "release", "delete",
    "requeue" };

static int
queue_action_of(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(queue_actions) / sizeof(queue_actions[0]); i++)
		if (strcmp(word, queue_actions[i]) == 0)
			return (int)i;
	return -1;
}

int
cmd_queue_writes(int argc, char **argv)
{
	return argc > 1 && queue_action_of(argv[1]) != -1;
}

/* `queue show NAME` and `queue ACTION NAME...`: each name in turn. */
static int
queue_admin_run(struct app *app, int argc, char **argv)
{
	struct spool s = SPOOL_INIT;
	struct db db = { 0 };
	struct buf err;
	char now[TIME_DB_LEN];
	int i, show = strcmp(argv[1], "show") == 0, act, rc = EXIT_OK;
	enum queue_admin_status qs;
	enum db_status ds;

	if (argc < 3 || (show && argc != 3)) {
		fprintf(stderr, "usage: sendreports queue %s NAME%s\n",
		    argv[1], show ? "" : "...");
		return EXIT_USAGE;
	}
	act = queue_action_of(argv[1]);
	time_format_db(time(NULL), now);
	buf_init(&err, 4096);
	if (spool_open(&s, app->conf.spool_dir, 0, &err) == -1) {
		log_warnx("%s", err.data);
		rc = EXIT_NOINPUT;
		goto out;
	}
	ds = db_open(&db, &app->conf, DB_STATE_ONLY | (show ? DB_READONLY :
	    0), &err);
	if (ds != DB_OK && !show) {
		log_warnx("%s", err.data);
		rc = ds == DB_TEMPFAIL ? EXIT_TEMPFAIL : EXIT_IOERR;
		goto out;
	}
	for (i = 2; i < argc; i++) {
		buf_reset(&err);
		qs = show ? queue_show(stdout, &s, ds == DB_OK ? &db : NULL,
		    argv[i], app->conf.timezone, &err) : queue_act(&s, &db,
		    (enum queue_action)act, argv[i], now, &err);
		if (qs == QUEUE_ADMIN_OK) {
			if (!show)
				log_info("queue: %s: %s done", argv[i],
				    argv[1]);
			continue;
		}
		log_warnx("queue %s: %s", argv[1], err.data);
		/* The first failure names the exit code; the rest go on. */
		if (rc == EXIT_OK)
			rc = qs == QUEUE_ADMIN_NOTFOUND ? EXIT_NOINPUT :
			    qs == QUEUE_ADMIN_REFUSED ? EXIT_DATAERR :
			    qs == QUEUE_ADMIN_BUSY ? EXIT_TEMPFAIL :
			    EXIT_IOERR;
	}
out:
	db_close(&db);
	spool_close(&s);
	buf_release(&err);
	return rc;
}

/* The pause, as a last line: flush will not try before then. */
static void
queue_print_pause(struct db *db, time_t now, const char *zone, int json)
{
	struct state_pause p;
	struct buf err;
	char when[64];

	buf_init(&err, 1024);
	if (json || db->h == NULL || state_pause_get(db, &p, &err) != DB_OK ||
	    p.until <= now) {
		buf_release(&err);
		return;
	}
	if (time_format_local(p.until, zone, when, sizeof(when)) == -1)
		time_format_db(p.until, when);
	printf("paused until %s (%s: %s)\n", when, p.kind[0] ? p.kind :
	    "network", p.reason);
	buf_release(&err);
}

int
cmd_queue(struct app *app, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct queue_list q = { NULL, 0, 0 }, failed = { NULL, 0, 0 };
	struct spool s = SPOOL_INIT;
	struct db db = { 0 };
	struct buf err;
	time_t now = time(NULL);
	size_t i;
	int ch, json = 0, rc = EXIT_OK;

	if (argc > 1 && (strcmp(argv[1], "show") == 0 ||
	    queue_action_of(argv[1]) != -1))
		return queue_admin_run(app, argc, argv);
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch != 'j')
			goto usage;
		json = 1;
	}
	if (optind != argc)
		goto usage;
	buf_init(&err, 4096);
	if (spool_open(&s, app->conf.spool_dir, 0, &err) == -1) {
		/* No spool yet: nothing was ever queued. */
		if (json)
			printf("[]\n");
		goto out;
	}
	if (queue_scan(&s, QUEUE_QUEUED, &q, &err) == -1 ||
	    queue_scan(&s, QUEUE_FAILED, &failed, &err) == -1) {
		log_warnx("%s", err.data);
		rc = EXIT_IOERR;
		goto out;
	}
	if ((q.n || failed.n) &&
	    db_open(&db, &app->conf, DB_STATE_ONLY | DB_READONLY, &err) ==
	    DB_OK && (queue_load_state(&db, &q, &err) == -1 ||
	    queue_load_state(&db, &failed, &err) == -1))
		log_warnx("%s", err.data);
	if (json)
		printf("[");
	for (i = 0; i < q.n; i++)
		queue_print(app, &s, &q.v[i], json, i == 0, now);
	for (i = 0; i < failed.n; i++)
		queue_print(app, &s, &failed.v[i], json, i == 0 && q.n == 0,
		    now);
	if (json)
		printf("%s]\n", q.n || failed.n ? "\n" : "");
	if (q.n)
		queue_print_pause(&db, now, app->conf.timezone, json);
out:
	queue_list_release(&q);
	queue_list_release(&failed);
	db_close(&db);
	spool_close(&s);
	buf_release(&err);
	return rc;
usage:
	fprintf(stderr, "usage: sendreports queue [--json]\n"
	    "       sendreports queue show NAME\n"
	    "       sendreports queue hold | release | delete | requeue "
	    "NAME...\n");
	return EXIT_USAGE;
}
