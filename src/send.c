/*
 * send.c - the pipeline of `send` (send.h).
 *
 * Crash ordering, which makes one message per report occurrence whatever
 * happens (kill -9, two runs, a fresh copy of the reports database):
 *   1. an occurrence already in the state database is never spooled again;
 *      the report is only marked sent (repair after a crash or a new copy);
 *   2. the message is written under tmp/ and committed by link() into
 *      queue/ under a name derived from the occurrence, which cannot
 *      succeed twice;
 *   3. then the occurrence is recorded in the state database with its
 *      run log line, in one transaction (synced), and only after that
 *      the report is marked sent = 1.
 * A crash between 2 and 3 leaves a queued message and no record: the next
 * run finds the name taken (SPOOL_EXISTS) and does step 3 only; or a flush
 * comes first and records the occurrence before it delivers the message
 * (flush.h), and step 1 marks the report, writing the run log line that
 * flush could not.  A crash within 3 leaves the occurrence recorded and
 * the report unsent: step 1.
 * Not one transaction over both databases: SQLite commits each file of
 * it on its own when one is in WAL mode, the reports file first, so a
 * crash could keep the report marked and lose the record and its run log
 * line.  A report given up is likewise logged first, then marked.  The
 * send lock keeps two runs from interleaving at all; the steps above make
 * even that unnecessary for correctness.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "cron.h"
#include "db.h"
#include "feedback.h"
#include "log.h"
#include "mime.h"
#include "pdfstore.h"
#include "render.h"
#include "report.h"
#include "send.h"
#include "spool.h"
#include "state.h"
#include "timeutil.h"

#define SEND_LOCK	"send.lock"
#define SEND_ERR_MAX	4096

/* The state of one run, shared by the per-report steps. */
struct send_run {
	const struct conf		*conf;
	const struct send_options	*opt;
	send_event_fn			*event;
	void				*ctx;
	struct send_result		*res;
	struct db			 db;
	struct spool			 spool;
	struct addr_list		 from;
	const char			*from_domain;
	char				 now[TIME_DB_LEN];

	/* The report in hand, when it recurs: its schedule, its zone and
	 * the occurrence it moves on to once this one is handled. */
	int				 recurring;
	struct cron			 cron;
	const char			*zone;
	char				 next[TIME_DB_LEN];
};

/* How one report ended, for the run. */
enum send_step {
	STEP_DONE,	/* queued, given up or repaired: go on */
	STEP_SKIP,	/* left for a later run: go on */
	STEP_STOP,	/* the box cannot go on: stop the run */
	STEP_GO		/* within a report: the next step may go on */
};

static void
send_tell(struct send_run *run, const struct report *r, const char *source,
    const char *outcome, const char *message_id, const char *error)
{
	struct send_event ev;

	if (run->event == NULL)
		return;
	ev.report_id = r->id;
	ev.scheduled_at = r->scheduled_at;
	ev.recipients = r->recipients;
	ev.source = source;
	ev.outcome = outcome;
	ev.message_id = message_id;
	ev.error = error;
	run->event(run->ctx, &ev);
}

/* Maps a failed write's errno to the run's status. */
static enum send_status
send_status_of_errno(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
	case ENOMEM:
	case EAGAIN:	/* the stored PDF changed while read (mime_enc.h) */
		return SEND_TEMPFAIL;
	case EACCES:
	case EPERM:
	case EROFS:
	case ENOENT:
		return SEND_CANTCREAT;
	default:
		return SEND_IOERR;
	}
}

static void
send_fail(struct send_run *run, enum send_status s)
{
	/* The first failure names the run's status. */
	if (run->res->status == SEND_OK || run->res->status == SEND_DATAERR)
		run->res->status = s;
}

static enum send_step
send_db_failed(struct send_run *run, const struct report *r,
    enum db_status s, const char *error)
{
	log_warnx("report %lld: %s", r->id, error);
	run->res->deferred++;
	send_tell(run, r, NULL, "deferred", NULL, error);
	send_fail(run, s == DB_TEMPFAIL ? SEND_TEMPFAIL : SEND_IOERR);
	return STEP_STOP;
}

/*
 * Gives report r up for a reason that retrying cannot fix: recorded in the
 * run log and in last_error, sent = 1.
 */
static enum send_step
send_give_up(struct send_run *run, const struct report *r,
    const char *source, const char *reason)
{
	struct buf err;
	enum db_status s;

	/* A reason too long for its buffer must still say something. */
	if (reason == NULL || *reason == '\0')
		reason = "bad data (the reason did not fit in its buffer)";
	if (run->opt->dry_run) {
		/* Told on stdout; nothing is given up. */
		log_info("report %lld: would give up: %s", r->id, reason);
		send_tell(run, r, source, "would give up", NULL, reason);
		run->res->given_up++;
		return STEP_DONE;
	}
	log_warnx("report %lld: given up: %s", r->id, reason);
	buf_init(&err, SEND_ERR_MAX);
	/* The run log first, then the report (see the top of this file): a
	 * crash between logs it again on the next run, never not at all. */
	if ((s = state_log(&run->db, r->id, r->occurrence ? r->occurrence :
	    r->scheduled_at, run->now, STATE_GIVEN_UP, NULL, reason,
	    &err)) != DB_OK)
		goto fail;
	/* A recurring report gives up this occurrence, not the series. */
	s = run->recurring ? report_advance(&run->db, r, run->next, NULL,
	    reason, &err) : report_mark_given_up(&run->db, r, reason, &err);
	if (s != DB_OK && s != DB_NOTFOUND)
		goto fail;
	buf_release(&err);
	run->res->given_up++;
	if (run->res->status == SEND_OK)
		run->res->status = SEND_DATAERR;
	send_tell(run, r, source, "given up", NULL, reason);
	return STEP_DONE;
fail:
	{
		enum send_step step = send_db_failed(run, r, s, err.data);

		buf_release(&err);
		return step;
	}
}

/*
 * Leaves report r unsent for a later run, with last_error saying why (the
 * write is skipped when last_error already says so).
 */
static enum send_step
send_defer(struct send_run *run, const struct report *r, const char *reason)
{
	struct buf err;
	enum db_status s = DB_OK;

	log_warnx("report %lld: not sent: %s", r->id, reason);
	run->res->deferred++;
	send_tell(run, r, NULL, "deferred", NULL, reason);
	if (run->opt->dry_run)
		return STEP_SKIP;
	buf_init(&err, SEND_ERR_MAX);
	if (r->last_error && strcmp(r->last_error, reason) == 0)
		goto out;	/* said already: no write every minute */
	s = report_set_error(&run->db, r, reason, &err);
	if (s != DB_OK && s != DB_NOTFOUND)	/* NOTFOUND: the row changed */
		log_warnx("report %lld: %s", r->id, err.data);
out:
	buf_release(&err);
	return STEP_SKIP;
}

/*
 * Logs the occurrences of a recurring report missed between the one being
 * sent and now (the box was off or the clock jumped): they are coalesced
 * into this one message.  The first SEND_COALESCE_LOG are listed one by
 * one; past SEND_COALESCE_WALK the rest is one line, uncounted: a
 * minutely report not run for years must cost no more than one that
 * missed an hour.
 */
#define SEND_COALESCE_LOG	20
#define SEND_COALESCE_WALK	200

static enum db_status
send_log_coalesced(struct send_run *run, const struct report *r,
    struct buf *err)
{
	char when[TIME_DB_LEN], msg[128];
	enum db_status s;
	time_t t, now = run->opt->now;
	long n = 0, walked = 0;
	int more = 0;

	if (time_parse_db(r->occurrence, &t) == -1)
		return DB_OK;
	while (cron_next(&run->cron, run->zone, t, &t) == 0 && t <= now) {
		if (++walked > SEND_COALESCE_WALK) {
			more = 1;
			break;
		}
		if (n == SEND_COALESCE_LOG)
			continue;
		time_format_db(t, when);
		snprintf(msg, sizeof(msg), "coalesced into the message of %s",
		    r->occurrence);
		if ((s = state_log(&run->db, r->id, when, run->now,
		    STATE_COALESCED, NULL, msg, err)) != DB_OK)
			return s;
		n++;
	}
	if (walked > n) {
		snprintf(msg, sizeof(msg), "and %s%ld more occurrences up to "
		    "%s coalesced", more ? "over " : "",
		    walked - n - (more ? 1 : 0), run->now);
		if ((s = state_log(&run->db, r->id, r->occurrence, run->now,
		    STATE_COALESCED, NULL, msg, err)) != DB_OK)
			return s;
	}
	if (walked)
		log_info("report %lld: %s%ld missed occurrence(s) coalesced "
		    "into one message", r->id, more ? "over " : "",
		    walked - (more ? 1 : 0));
	return DB_OK;
}

static enum send_step
send_recurrence(struct send_run *run, const struct report *r)
{
	struct buf why;
	enum send_step step = STEP_GO;
	time_t next;

	buf_init(&why, SEND_ERR_MAX);
	run->zone = r->timezone && *r->timezone ? r->timezone :
	    run->conf->timezone;
	if (cron_parse(&run->cron, r->schedule, &why) == -1) {
		struct buf msg;

		buf_init(&msg, SEND_ERR_MAX);
		buf_printf(&msg, "schedule: %s", why.data);
		step = send_give_up(run, r, NULL, msg.data);
		buf_release(&msg);
	} else if (time_zone_check(run->zone) == -1) {
		buf_printf(&why, "timezone \"%.100s%s\" is unknown", run->zone,
		    strlen(run->zone) > 100 ? "..." : "");
		step = send_give_up(run, r, NULL, why.data);
	} else if (cron_next(&run->cron, run->zone, run->opt->now, &next) ==
	    -1) {
		buf_printf(&why, "schedule \"%.200s\" never happens",
		    r->schedule);
		step = send_give_up(run, r, NULL, why.data);
	} else {
		time_format_db(next, run->next);
		run->recurring = 1;
	}
	buf_release(&why);
	return step;
}

/*
 * Step 3 of the crash ordering: record the occurrence, then mark the
 * report sent.
 */
static enum send_step
send_record(struct send_run *run, const struct report *r, const char *source,
    const char *message_id, const char *spool_name, int repaired)
{
	struct buf err;
	enum db_status s;

	buf_init(&err, SEND_ERR_MAX);
	if ((s = db_begin(&run->db, &err)) != DB_OK)
		goto fail;
	if ((s = state_record_queued(&run->db, r->id, r->occurrence,
	    message_id, spool_name, run->now, r->title, r->recipients,
	    &err)) != DB_OK)
		goto fail;
	if (run->recurring && (s = send_log_coalesced(run, r, &err)) != DB_OK)
		goto fail;
	if ((s = db_exec(&run->db, "COMMIT", &err)) != DB_OK)
		goto fail;
	/* Recorded: from here on a crash leaves step 1 to mark it. */
	s = run->recurring ? report_advance(&run->db, r, run->next, run->now,
	    NULL, &err) : report_mark_sent(&run->db, r, run->now, NULL, &err);
	if (s != DB_OK && s != DB_NOTFOUND)
		goto fail;
	buf_release(&err);
	if (repaired) {
		run->res->repaired++;
		send_tell(run, r, source, "already queued", message_id, NULL);
	} else {
		run->res->queued++;
		log_info("report %lld: queued %s as %s", r->id, message_id,
		    spool_name);
		send_tell(run, r, source, "queued", message_id, NULL);
	}
	return STEP_DONE;
fail:
	sqlite3_exec(run->db.h, "ROLLBACK", NULL, NULL, NULL);
	{
		/* The message is queued; the next run records it, or,
		 * recorded, marks the report (step 1). */
		enum send_step step = send_db_failed(run, r, s, err.data);

		buf_release(&err);
		return step;
	}
}

/*
 * The occurrence was spooled before (the state database says so) but the
 * report is unsent: a crash after the spool, or a fresh copy of the
 * reports database.  Only mark it, with the time it was spooled and why
 * its message was not delivered, if it was not.
 */
static enum send_step
send_record_repair(struct send_run *run, const struct report *r,
    const char *spooled_at, const char *delivery_error)
{
	struct buf err;
	enum db_status s;
	int added = 0;

	buf_init(&err, SEND_ERR_MAX);
	/* Recorded by flush, which found the message queued after a crash
	 * before step 3: the run log does not have it yet. */
	if ((s = db_begin(&run->db, &err)) != DB_OK ||
	    (s = state_log_queued_missing(&run->db, r->id, r->occurrence,
	    &added, &err)) != DB_OK || (added && run->recurring &&
	    (s = send_log_coalesced(run, r, &err)) != DB_OK) ||
	    (s = db_exec(&run->db, "COMMIT", &err)) != DB_OK) {
		sqlite3_exec(run->db.h, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	s = run->recurring ? report_advance(&run->db, r, run->next,
	    spooled_at ? spooled_at : run->now, delivery_error, &err) :
	    report_mark_sent(&run->db, r, spooled_at ? spooled_at : run->now,
	    delivery_error, &err);
	if (s != DB_OK && s != DB_NOTFOUND)
		goto fail;
	buf_release(&err);
	log_info("report %lld: occurrence %s was already queued; marked sent",
	    r->id, r->occurrence);
	run->res->repaired++;
	send_tell(run, r, NULL, "already queued", NULL, NULL);
	return STEP_DONE;
fail:
	{
		enum send_step step = send_db_failed(run, r, s, err.data);

		buf_release(&err);
		return step;
	}
}

/* The JSON of report r, loaded only when the fallback needs it. */
static enum db_status
send_report_data(struct send_run *run, const struct report *r,
    struct report *full, struct buf *err)
{
	memset(full, 0, sizeof(*full));
	return report_load(&run->db, r->id, 1, full, err);
}

/*
 * The report has no usable stored PDF (why says what was wrong with it,
 * or is empty when it has none).  Without report_data there is nothing to
 * send; with it, the fallback PDF is rendered into tmp/ (cleaned at the
 * start of every run, so a crash leaves nothing), opened and unlinked.
 * Returns STEP_GO with *pdf_fd open on it, or the report's step.
 */
static enum send_step
send_fallback(struct send_run *run, const struct report *r, struct buf *why,
    int *pdf_fd)
{
	struct render_options ro;
	struct report full;
	struct buf err, path;
	enum render_status rs;
	enum send_step step;
	enum db_status s;

	*pdf_fd = -1;
	if (!r->has_data) {
		if (why->len == 0)
			buf_puts(why, "no stored PDF");
		buf_puts(why, ", and no report_data for a fallback PDF");
		return send_give_up(run, r, NULL, why->data);
	}
	buf_init(&err, SEND_ERR_MAX);
	buf_init(&path, PATH_MAX);
	if ((s = send_report_data(run, r, &full, &err)) != DB_OK) {
		step = s == DB_NOTFOUND ? STEP_SKIP : send_db_failed(run, r, s,
		    err.data);
		goto out;
	}
	if (run->opt->dry_run) {
		/* Decide without drawing: is the JSON usable at all? */
		sqlite3_stmt *st = NULL;
		int valid = 0;

		if (db_prepare(&run->db, "SELECT json_valid(?1)", &st, &err) ==
		    DB_OK) {
			sqlite3_bind_text(st, 1, full.report_data, -1,
			    SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				valid = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
		step = valid ? STEP_GO : send_give_up(run, r, "fallback",
		    "report_data is not valid JSON");
		goto out;
	}
	memset(&ro, 0, sizeof(ro));
	ro.title = r->title;
	ro.timezone = r->timezone && *r->timezone ? r->timezone :
	    run->conf->timezone;
	ro.now = run->opt->now;
	ro.font_path = run->conf->font;
	ro.max_pages = run->conf->max_pages;
	if (buf_printf(&path, "%s/tmp/render.%ld.pdf", run->spool.path,
	    (long)getpid()) == -1) {
		step = send_defer(run, r, "spool path too long");
		goto out;
	}
	rs = render_report(run->db.h, full.report_data, &ro, path.data, &err);
	switch (rs) {
	case RENDER_OK:
		if ((*pdf_fd = open(path.data, O_RDONLY | O_CLOEXEC)) == -1) {
			buf_printf(&err, "fallback PDF: %s", strerror(errno));
			step = send_defer(run, r, err.data);
			send_fail(run, SEND_IOERR);
		} else
			step = STEP_GO;
		unlink(path.data);
		break;
	case RENDER_DATAERR:
		step = send_give_up(run, r, "fallback", err.data);
		break;
	default:
		step = send_defer(run, r, err.data);
		/* The next report may not need a fallback: go on. */
		send_fail(run, rs == RENDER_NOMEM ? SEND_TEMPFAIL :
		    SEND_IOERR);
		break;
	}
out:
	report_release(&full);
	buf_release(&err);
	buf_release(&path);
	return step;
}

/* The attachment's name: the title, made safe for a file name. */
static int
send_attachment_name(const struct report *r, struct buf *out)
{
	const unsigned char *p;

	for (p = (const unsigned char *)r->title; *p && out->len < 120; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' ||
		    *p == '"')
			continue;
		if (buf_putc(out, *p) == -1)
			return -1;
	}
	/* Never end in the middle of a UTF-8 sequence. */
	while (out->len && ((unsigned char)out->data[out->len - 1] & 0xc0) ==
	    0x80)
		out->len--;
	if (out->len && ((unsigned char)out->data[out->len - 1] & 0xc0) ==
	    0xc0)
		out->len--;
	out->data[out->len] = '\0';
	if (out->len == 0)
		return buf_printf(out, "report-%lld.pdf", r->id);
	return buf_puts(out, ".pdf");
}

/* Builds the envelope recipient list: To, Cc and Bcc, each once. */
static int
send_envelope_rcpts(const struct addr_list *all, char ***out, size_t *n)
{
	char **v;
	size_t i, j, len = 0;

	if ((v = calloc(all->n ? all->n : 1, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < all->n; i++) {
		for (j = 0; j < len; j++)
			if (strcmp(v[j], all->v[i].mailbox) == 0)
				break;
		if (j == len)
			v[len++] = all->v[i].mailbox;	/* borrowed */
	}
	*out = v;
	*n = len;
	return 0;
}

/*
 * Writes the spool file of report r, with the attachment on pdf_fd, and
 * commits it.  Returns the step, having told the caller's callback.
 */
static enum send_step
send_spool(struct send_run *run, const struct report *r, const char *source,
    int pdf_fd, const struct addr_list *to, const struct addr_list *cc,
    const struct addr_list *all)
{
	struct spool_file f = { NULL, "" };
	struct spool_envelope env;
	struct mime_message m;
	struct buf err, msgid, fname;
	char compact[17], name[SPOOL_NAME_MAX], **rcpts = NULL;
	enum spool_commit c;
	enum send_step step;
	size_t nrcpts = 0;
	time_t occ_t;
	int saved;

	buf_init(&err, SEND_ERR_MAX);
	buf_init(&msgid, 512);
	buf_init(&fname, 1024);
	if (time_parse_db(r->occurrence, &occ_t) == -1) {
		step = send_give_up(run, r, source, "scheduled_at is not a "
		    "time");
		goto out;
	}
	time_format_compact(occ_t, compact);
	snprintf(name, sizeof(name), "r%lld.%s", r->id, compact);
	if (buf_printf(&msgid, "<%s.sendreports@%s>", name,
	    run->from_domain) == -1 || send_attachment_name(r, &fname) == -1 ||
	    send_envelope_rcpts(all, &rcpts, &nrcpts) == -1) {
		step = send_defer(run, r, "out of memory");
		send_fail(run, SEND_TEMPFAIL);
		step = STEP_STOP;
		goto out;
	}

	memset(&m, 0, sizeof(m));
	m.from = &run->from;
	m.to = to;
	m.cc = cc;
	m.subject = r->subject && *r->subject ? r->subject : r->title;
	m.date = run->opt->now;
	m.message_id = msgid.data;
	m.body = r->body && *r->body ? r->body : run->conf->default_body;
	m.filename = fname.data;
	m.pdf_fd = pdf_fd;
	m.boundary = NULL;

	env.report_id = r->id;
	env.occurrence = r->occurrence;
	env.message_id = msgid.data;
	env.created = run->now;
	env.sender = run->from.v[0].mailbox;
	env.rcpts = rcpts;
	env.nrcpts = nrcpts;

	/* What flush could not read back must not be written. */
	if (spool_envelope_size(&env) > SPOOL_ENVELOPE_MAX) {
		buf_printf(&err, "%zu recipients: more than one message "
		    "can carry", nrcpts);
		step = send_give_up(run, r, source, err.data);
		goto out;
	}
	if (spool_file_create(&run->spool, &f, &err) == -1) {
		saved = errno;
		log_warnx("report %lld: %s", r->id, err.data);
		send_fail(run, send_status_of_errno(saved));
		run->res->deferred++;
		send_tell(run, r, source, "deferred", NULL, err.data);
		step = STEP_STOP;
		goto out;
	}
	if (spool_write_envelope(f.fp, &env) == -1) {
		saved = errno;
		buf_printf(&err, "spool: write: %s", strerror(saved));
		goto write_failed;
	}
	if (mime_write_message(f.fp, &m, &err) == -1) {
		saved = errno;
		if (saved != EINVAL && saved != EMSGSIZE)
			goto write_failed;	/* the disk or the PDF file */
		/* Refused content: a header that cannot be written safely. */
		spool_file_discard(&run->spool, &f);
		step = send_give_up(run, r, source, err.data);
		goto out;
	}
	c = spool_commit(&run->spool, &f, name, &err);
	if (c == SPOOL_FAILED) {
		saved = errno;
		goto commit_failed;
	}
	/* From here on the mail is safe: record it (step 3). */
	step = send_record(run, r, source, msgid.data, name,
	    c == SPOOL_EXISTS);
	goto out;

write_failed:
	spool_file_discard(&run->spool, &f);
commit_failed:
	log_warnx("report %lld: %s", r->id, err.data);
	send_fail(run, send_status_of_errno(saved));
	run->res->deferred++;
	send_tell(run, r, source, "deferred", NULL, err.data);
	step = STEP_STOP;
out:
	free(rcpts);
	buf_release(&err);
	buf_release(&msgid);
	buf_release(&fname);
	return step;
}

/* Parses To, Cc and Bcc; on failure, *why is the reason to give up for. */
static int
send_addresses(const struct report *r, struct addr_list *to,
    struct addr_list *cc, struct addr_list *all, struct buf *why)
{
	struct buf err;
	int rc = -1;

	buf_init(&err, SEND_ERR_MAX);
	if (addr_list_parse(to, r->recipients, &err) == -1) {
		buf_printf(why, "recipients: %s", err.data);
		goto out;
	}
	if (r->cc && *r->cc && addr_list_parse(cc, r->cc, &err) == -1) {
		buf_printf(why, "cc: %s", err.data);
		goto out;
	}
	if (addr_list_parse(all, r->recipients, &err) == -1 ||
	    (r->cc && *r->cc && addr_list_parse(all, r->cc, &err) == -1)) {
		buf_printf(why, "recipients: %s", err.data);
		goto out;
	}
	if (r->bcc && *r->bcc && addr_list_parse(all, r->bcc, &err) == -1) {
		buf_printf(why, "bcc: %s", err.data);
		goto out;
	}
	rc = 0;
out:
	buf_release(&err);
	return rc;
}

/* Handles one due report, start to end. */
static enum send_step
send_one(struct send_run *run, long long id)
{
	struct report r;
	struct addr_list to = { NULL, 0 }, cc = { NULL, 0 }, all = { NULL, 0 };
	struct buf err, why;
	char *spooled_at = NULL, *delivery_error = NULL;
	enum db_status s;
	enum pdfstore_status ps;
	enum send_step step;
	const char *source = NULL;
	off_t size;
	int pdf_fd = -1;

	buf_init(&err, SEND_ERR_MAX);
	buf_init(&why, SEND_ERR_MAX);
	memset(&r, 0, sizeof(r));
	s = report_load(&run->db, id, 0, &r, &err);
	if (s == DB_NOTFOUND) {
		step = STEP_SKIP;	/* deleted by the sync job meanwhile */
		goto out;
	}
	if (s != DB_OK) {
		log_warnx("report %lld: %s", id, err.data);
		run->res->deferred++;
		send_fail(run, s == DB_TEMPFAIL ? SEND_TEMPFAIL : SEND_IOERR);
		step = STEP_STOP;
		goto out;
	}
	run->res->due++;
	if (r.occurrence == NULL) {
		buf_printf(&why, "scheduled_at \"%.100s\" is not a time",
		    r.scheduled_at ? r.scheduled_at : "");
		step = send_give_up(run, &r, NULL, why.data);
		goto out;
	}

	run->recurring = 0;
	if (r.schedule && *r.schedule &&
	    (step = send_recurrence(run, &r)) != STEP_GO)
		goto out;

	/* Step 1: an occurrence already spooled is only marked. */
	s = state_occurrence_find(&run->db, r.id, r.occurrence, &spooled_at,
	    &delivery_error, &err);
	if (s == DB_OK) {
		if (run->opt->dry_run) {
			run->res->repaired++;
			send_tell(run, &r, NULL, "already queued", NULL, NULL);
			step = STEP_DONE;
		} else
			step = send_record_repair(run, &r, spooled_at,
			    delivery_error);
		goto out;
	}
	if (s != DB_NOTFOUND) {
		step = send_db_failed(run, &r, s, err.data);
		goto out;
	}

	if (send_addresses(&r, &to, &cc, &all, &why) == -1) {
		step = send_give_up(run, &r, NULL, why.data);
		goto out;
	}

	ps = PDFSTORE_MISSING;
	if (r.pdf_path && *r.pdf_path)
		ps = pdfstore_open(run->conf->pdf_dir, r.pdf_path,
		    (off_t)run->conf->max_attachment_mb * 1024 * 1024,
		    &pdf_fd, &size, &why);
	switch (ps) {
	case PDFSTORE_OK:
		source = "stored";
		break;
	case PDFSTORE_REFUSED:
		step = send_give_up(run, &r, NULL, why.data);
		goto out;
	case PDFSTORE_IOERR:
		/* Unreadable now (permissions, an I/O error): the next run
		 * tries again, and last_error says why meanwhile. */
		step = send_defer(run, &r, why.data);
		send_fail(run, SEND_TEMPFAIL);
		goto out;
	case PDFSTORE_MISSING:
		step = send_fallback(run, &r, &why, &pdf_fd);
		if (step != STEP_GO)
			goto out;
		source = "fallback";
		break;
	}

	if (run->opt->dry_run) {
		send_tell(run, &r, source, "would queue", NULL, NULL);
		step = STEP_DONE;
		goto out;
	}
	step = send_spool(run, &r, source, pdf_fd, &to, &cc, &all);
out:
	if (pdf_fd != -1)
		close(pdf_fd);
	free(spooled_at);
	free(delivery_error);
	addr_list_release(&to);
	addr_list_release(&cc);
	addr_list_release(&all);
	report_release(&r);
	buf_release(&err);
	buf_release(&why);
	return step;
}

/* Reads [mail] from: exactly one address, whose domain names the ids. */
static int
send_parse_from(struct send_run *run)
{
	struct buf err;
	const char *at;

	buf_init(&err, SEND_ERR_MAX);
	if (addr_list_parse(&run->from, run->conf->from, &err) == -1 ||
	    run->from.n != 1) {
		log_warnx("[mail] from \"%s\": %s", run->conf->from,
		    err.len ? err.data : "must be exactly one address");
		buf_release(&err);
		return -1;
	}
	buf_release(&err);
	at = strrchr(run->from.v[0].mailbox, '@');
	run->from_domain = at ? at + 1 : "localhost";
	return 0;
}

/*
 * Records what the run saw, in one transaction: last_send (`status` tells
 * when send last went through every due report) and the real clock for
 * the clock guard, which a replay (--now) never moves: it is no evidence
 * of the time.  A run that did nothing writes nothing, so that the tick a box runs
 * every minute for years costs its SD card no write and no sync, but for
 * one an hour (SEND_IDLE_RECORD_S) that keeps both facts fresh.
 */
#define SEND_IDLE_RECORD_S	3600

/* Whether t, a time recorded earlier, is recent enough for an idle run. */
static int
send_fresh(time_t t, time_t now)
{
	return t != 0 && t <= now && now - t < SEND_IDLE_RECORD_S;
}

static void
send_record_run(struct send_run *run, int did_work)
{
	const struct send_options *opt = run->opt;
	struct clock_state cs;
	char last[TIME_DB_LEN + 8];
	struct buf err;
	enum db_status s;
	time_t t = 0;
	int ok = run->res->status == SEND_OK ||
	    run->res->status == SEND_DATAERR;

	if (!run->db.has_state || (!ok && opt->clock_by == NULL))
		return;
	buf_init(&err, SEND_ERR_MAX);
	if (!did_work && state_meta_get(&run->db, "last_send", last,
	    sizeof(last), &err) == DB_OK && time_parse_db(last, &t) == 0 &&
	    send_fresh(t, opt->now) && (opt->clock_by == NULL ||
	    (clock_inspect(&run->db, opt->now, 0, &cs, &err) == DB_OK &&
	    send_fresh(cs.mark, opt->now))))
		goto out;	/* idle, and recorded not long ago */
	buf_reset(&err);
	if ((s = db_begin(&run->db, &err)) != DB_OK ||
	    (ok && (s = state_meta_set(&run->db, "last_send", run->now,
	    &err)) != DB_OK) ||
	    (opt->clock_by != NULL && (s = clock_record(&run->db, opt->now,
	    opt->clock_by, &err)) != DB_OK) ||
	    (s = db_exec(&run->db, "COMMIT", &err)) != DB_OK) {
		sqlite3_exec(run->db.h, "ROLLBACK", NULL, NULL, NULL);
		log_warnx("%s", err.data);
	}
out:
	buf_release(&err);
}

void
send_run(const struct conf *conf, const struct send_options *opt,
    send_event_fn *event, void *ctx, struct send_result *res)
{
	struct send_run run;
	struct buf err;
	long long *ids = NULL;
	size_t n = 0, i;
	enum db_status s;
	int lockfd = -1;

	memset(res, 0, sizeof(*res));
	memset(&run, 0, sizeof(run));
	run.conf = conf;
	run.opt = opt;
	run.event = event;
	run.ctx = ctx;
	run.res = res;
	run.spool.dirfd = run.spool.tmpfd = run.spool.queuefd =
	    run.spool.failedfd = -1;
	time_format_db(opt->now, run.now);
	buf_init(&err, SEND_ERR_MAX);

	if (send_parse_from(&run) == -1) {
		res->status = SEND_CONFIG;
		goto out;
	}
	if (!opt->dry_run) {
		if (spool_open(&run.spool, conf->spool_dir, 1, &err) == -1) {
			log_warnx("%s", err.data);
			res->status = send_status_of_errno(errno) ==
			    SEND_TEMPFAIL ? SEND_TEMPFAIL : SEND_CANTCREAT;
			goto out;
		}
		lockfd = spool_lock(&run.spool, SEND_LOCK, &err);
		if (lockfd == -2) {
			log_debug("send: another send is running; leaving "
			    "the due reports to it");
			res->locked_out = 1;
			goto out;
		}
		if (lockfd == -1) {
			log_warnx("%s", err.data);
			res->status = SEND_CANTCREAT;
			goto out;
		}
		/* Holding the lock, tmp/ is ours: what is there is debris. */
		if (spool_clean_tmp(&run.spool, &err) == -1)
			log_warnx("%s", err.data);
	}
	s = db_open(&run.db, conf, DB_STATE |
	    (opt->dry_run ? DB_READONLY : 0), &err);
	if (s != DB_OK) {
		log_warnx("%s", err.data);
		res->status = s == DB_NOTFOUND ? SEND_NOINPUT :
		    s == DB_TEMPFAIL ? SEND_TEMPFAIL : s == DB_SCHEMA ?
		    SEND_CONFIG : SEND_IOERR;
		goto out;
	}
	/* A clock in the past would send by the wrong time: wait for NTP. */
	switch (clock_check(&run.db, opt->now, conf->require_sync, &err)) {
	case CLOCK_OK:
		break;
	case CLOCK_UNTRUSTED:
		log_warnx("send: nothing sent: %s", err.data);
		res->clock_untrusted = 1;
		res->status = SEND_TEMPFAIL;
		goto out;
	case CLOCK_DBERR:
		log_warnx("%s", err.data);
		res->status = SEND_IOERR;
		goto out;
	}
	s = report_due_ids(&run.db, run.now, &ids, &n, &err);
	if (s != DB_OK) {
		log_warnx("%s", err.data);
		res->status = s == DB_TEMPFAIL ? SEND_TEMPFAIL : SEND_IOERR;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (opt->stop && *opt->stop)
			break;
		if (send_one(&run, ids[i]) == STEP_STOP)
			break;
	}
	for (i++; i < n; i++)
		res->deferred++;	/* not reached in this run */
	/* What flush could not deliver, back to the reports' owners; after
	 * the due reports, so a repaired row gets it too. */
	if (!opt->dry_run && (s = feedback_deliver(&run.db, &run.spool, conf,
	    &run.from, run.from_domain, opt->now, &err)) != DB_OK) {
		log_warnx("%s", err.data);
		buf_reset(&err);
		if (s != DB_TEMPFAIL)
			send_fail(&run, SEND_IOERR);
	}
	if (!opt->dry_run)
		send_record_run(&run, res->queued || res->given_up ||
		    res->repaired);
out:
	free(ids);
	db_close(&run.db);
	addr_list_release(&run.from);
	if (lockfd >= 0)
		close(lockfd);
	spool_close(&run.spool);
	buf_release(&err);
}
