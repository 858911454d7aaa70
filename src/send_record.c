/*
 * send_record.c - what send writes in the databases, for send.c: the
 * occurrence recorded and the report marked (step 3 of the crash ordering
 * written at the top of send.c, and its repair, step 1), a report given
 * up or deferred, a recurring report's next occurrence and the ones it
 * missed, and what the run saw (last_send, the clock guard).  The run log
 * is always written before the report is marked: a crash between the two
 * writes the line again on the next run, never not at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "cron.h"
#include "db.h"
#include "log.h"
#include "report.h"
#include "send.h"
#include "send_run.h"
#include "state.h"
#include "timeutil.h"

/*
 * Gives report r up for a reason that retrying cannot fix: recorded in the
 * run log and in last_error, sent = 1.
 */
enum send_step
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
	/* The run log first, then the report (see the top of send.c): a
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
enum send_step
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
    const struct cron *cron, const char *zone, struct buf *err)
{
	char when[TIME_DB_LEN], msg[128];
	enum db_status s;
	time_t t, now = run->opt->now;
	long n = 0, walked = 0;
	int more = 0;

	if (time_parse_db(r->occurrence, &t) == -1)
		return DB_OK;
	while (cron_next(cron, zone, t, &t) == 0 && t <= now) {
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

enum send_step
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
 * Syncs and links the sealed messages of the batch up to pending[upto].
 * One that fails is deferred with every message sealed after it (their
 * files discarded: nothing of them is queued) and they leave the batch;
 * what was linked before it stays, for the commit.  STEP_DONE, or
 * STEP_STOP.
 */
static enum send_step
send_batch_link(struct send_run *run, size_t upto)
{
	struct send_pending *p;
	enum spool_commit c;
	struct buf err;
	size_t i;
	int saved;

	for (; run->nlinked < upto; run->nlinked++) {
		p = &run->pending[run->nlinked];
		buf_init(&err, SEND_ERR_MAX);
		c = spool_link_sealed(&run->spool, p->spool_fd, p->tmpname,
		    p->spool_name, &err);
		saved = errno;
		p->spool_fd = -1;
		if (c != SPOOL_FAILED) {
			p->repaired = c == SPOOL_EXISTS;
			buf_release(&err);
			continue;
		}
		log_warnx("report %lld: %s", p->r.id, err.data);
		send_fail(run, send_status_of_errno(saved));
		for (i = run->nlinked; i < run->npending; i++) {
			p = &run->pending[i];
			spool_sealed_discard(&run->spool, p->spool_fd,
			    p->tmpname);
			run->res->deferred++;
			send_tell(run, &p->r, p->source, "deferred", NULL,
			    err.data);
			report_release(&p->r);
			free(p->message_id);
		}
		run->npending = run->nlinked;
		buf_release(&err);
		return STEP_STOP;
	}
	return STEP_DONE;
}

enum send_step
send_batch_add(struct send_run *run, struct report *r, const char *source,
    const char *message_id, const char *spool_name, int spool_fd,
    const char *tmpname)
{
	struct send_pending *p = &run->pending[run->npending];
	enum send_step step;

	memset(p, 0, sizeof(*p));
	if ((p->message_id = strdup(message_id)) == NULL) {
		/* Nothing is queued: the next run writes it again. */
		spool_sealed_discard(&run->spool, spool_fd, tmpname);
		return send_db_failed(run, r, DB_TEMPFAIL, "out of memory");
	}
	p->r = *r;
	memset(r, 0, sizeof(*r));
	/* Rendered already: the largest field is not needed any more. */
	free(p->r.report_data);
	p->r.report_data = NULL;
	p->source = source;
	snprintf(p->spool_name, sizeof(p->spool_name), "%s", spool_name);
	p->spool_fd = spool_fd;
	snprintf(p->tmpname, sizeof(p->tmpname), "%s", tmpname);
	if ((p->recurring = run->recurring)) {
		p->cron = run->cron;
		p->zone = run->zone;	/* r's string or the configuration's */
		memcpy(p->next, run->next, sizeof(p->next));
	}
	run->npending++;
	if (run->npending - run->nlinked > SEND_SEAL_AHEAD &&
	    (step = send_batch_link(run, run->npending - SEND_SEAL_AHEAD)) !=
	    STEP_DONE)
		return step;
	if (run->npending == SEND_BATCH_MAX)
		return send_batch_commit(run);
	return STEP_DONE;
}

/* Each report of the batch deferred for error (the spool or a database
 * failed, s says how): the next run records what stands in queue/. */
static enum send_step
send_batch_failed(struct send_run *run, enum db_status s, const char *error)
{
	size_t i;

	log_warnx("%s: %zu queued message(s) left for the next run to "
	    "record", error, run->npending);
	for (i = 0; i < run->npending; i++) {
		run->res->deferred++;
		send_tell(run, &run->pending[i].r, NULL, "deferred", NULL,
		    error);
	}
	send_fail(run, s == DB_TEMPFAIL ? SEND_TEMPFAIL : SEND_IOERR);
	return STEP_STOP;
}

static void
send_batch_release(struct send_run *run)
{
	size_t i;

	for (i = 0; i < run->npending; i++) {
		if (i >= run->nlinked)	/* not reached by a failed commit */
			spool_sealed_discard(&run->spool,
			    run->pending[i].spool_fd, run->pending[i].tmpname);
		report_release(&run->pending[i].r);
		free(run->pending[i].message_id);
	}
	run->npending = run->nlinked = 0;
}

enum send_step
send_batch_commit(struct send_run *run)
{
	struct send_pending *p;
	struct buf err;
	enum db_status s;
	enum send_step step;
	size_t i;

	/* The messages still sealed first: a link that fails stops the run,
	 * but what was linked before it is recorded all the same. */
	step = send_batch_link(run, run->npending);
	if (run->npending == 0)
		return step;
	buf_init(&err, SEND_ERR_MAX);
	/* The names first: nothing may be recorded of a link a power cut
	 * could undo. */
	if (spool_sync_queue(&run->spool, &err) == -1) {
		step = send_batch_failed(run, send_status_of_errno(errno) ==
		    SEND_TEMPFAIL ? DB_TEMPFAIL : DB_ERROR, err.data);
		goto out;
	}
	if ((s = db_begin(&run->db, &err)) != DB_OK)
		goto fail;
	for (i = 0; i < run->npending; i++) {
		p = &run->pending[i];
		if ((s = state_record_queued(&run->db, p->r.id,
		    p->r.occurrence, p->message_id, p->spool_name, run->now,
		    p->r.title, p->r.recipients, &err)) != DB_OK ||
		    (p->recurring && (s = send_log_coalesced(run, &p->r,
		    &p->cron, p->zone, &err)) != DB_OK))
			goto fail;
	}
	if ((s = db_exec(&run->db, "COMMIT", &err)) != DB_OK)
		goto fail;
	/* Recorded: from here on a crash leaves step 1 to mark them. */
	if ((s = db_reports_begin(&run->db, &err)) != DB_OK)
		goto fail;
	for (i = 0; i < run->npending; i++) {
		p = &run->pending[i];
		s = p->recurring ? report_advance(&run->db, &p->r, p->next,
		    run->now, NULL, &err) : report_mark_sent(&run->db, &p->r,
		    run->now, NULL, &err);
		if (s != DB_OK && s != DB_NOTFOUND)
			goto fail;
	}
	if ((s = db_exec(&run->db, "COMMIT", &err)) != DB_OK)
		goto fail;
	for (i = 0; i < run->npending; i++) {
		p = &run->pending[i];
		if (p->repaired) {
			run->res->repaired++;
			send_tell(run, &p->r, p->source, "already queued",
			    p->message_id, NULL);
			continue;
		}
		run->res->queued++;
		/* As flush's lines (flush_outcome.c): key=value. */
		log_info("%s: id=%s report=%lld occurrence=%.10sT%sZ "
		    "status=queued (%s PDF)", p->spool_name, p->message_id,
		    p->r.id, p->r.occurrence, p->r.occurrence + 11,
		    p->source ? p->source : "no");
		send_tell(run, &p->r, p->source, "queued", p->message_id,
		    NULL);
	}
	goto out;
fail:
	if (!sqlite3_get_autocommit(run->db.h))
		sqlite3_exec(run->db.h, "ROLLBACK", NULL, NULL, NULL);
	step = send_batch_failed(run, s, err.data);
out:
	send_batch_release(run);
	buf_release(&err);
	return step;
}

/*
 * The occurrence was spooled before (the state database says so) but the
 * report is unsent: a crash after the spool, or a fresh copy of the
 * reports database.  Only mark it, with the time it was spooled and why
 * its message was not delivered, if it was not.
 */
enum send_step
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
	    (s = send_log_coalesced(run, r, &run->cron, run->zone, &err)) !=
	    DB_OK) ||
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

void
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
