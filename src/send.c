/*
 * send.c - the pipeline of `send` (send.h): the run, its loop over the
 * due reports, and the steps of one report (send_one); what each report
 * came to is told to the caller's callback from here (send_tell).  The
 * message is made and spooled in send_message.c, the databases are
 * written in send_record.c; struct send_run (send_run.h) is what the
 * three files share.
 *
 * Crash ordering, which makes one message per report occurrence whatever
 * happens (kill -9, two runs, a fresh copy of the reports database):
 *   1. an occurrence already in the state database is never spooled again;
 *      the report is only marked sent (repair after a crash or a new copy;
 *      send_one, then send_record_repair);
 *   2. the message is written under tmp/ (send_spool), synced, and linked
 *      into queue/ under a name derived from the occurrence, which cannot
 *      succeed twice; the sync and the link come once SEND_SEAL_AHEAD
 *      more messages are written, or with the batch's commit, the disk
 *      writing it meanwhile (send_batch_link);
 *   3. then, for a batch of such messages (group commit, send_batch_add),
 *      one fsync of queue/ makes their names durable, their occurrences
 *      are recorded in the state database with their run log lines, in
 *      one transaction (synced), and only after that the reports are
 *      marked sent = 1, in one transaction (send_batch_commit).
 * A crash between 2 and 3 leaves queued messages and no record: the next
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
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "db.h"
#include "feedback.h"
#include "log.h"
#include "os_fs.h"
#include "os_time.h"
#include "pdfstore.h"
#include "report.h"
#include "send.h"
#include "send_run.h"
#include "spool.h"
#include "state.h"
#include "timeutil.h"

#define SEND_LOCK	"send.lock"
#define SEND_READ_HOLD_MS	100

void
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
enum send_status
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

void
send_fail(struct send_run *run, enum send_status s)
{
	/* The first failure names the run's status. */
	if (run->res->status == SEND_OK || run->res->status == SEND_DATAERR)
		run->res->status = s;
}

enum send_step
send_db_failed(struct send_run *run, const struct report *r,
    enum db_status s, const char *error)
{
	log_warnx("report %lld: %s", r->id, error);
	run->res->deferred++;
	send_tell(run, r, NULL, "deferred", NULL, error);
	send_fail(run, s == DB_TEMPFAIL ? SEND_TEMPFAIL : SEND_IOERR);
	return STEP_STOP;
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
	struct stat opened, *pdf_opened = NULL;
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
		ps = pdfstore_open(&run->pdfs, r.pdf_path,
		    (off_t)run->conf->max_attachment_mb * 1024 * 1024,
		    &pdf_fd, &opened, &why);
	switch (ps) {
	case PDFSTORE_OK:
		source = "stored";
		pdf_opened = &opened;
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
	step = send_spool(run, &r, source, pdf_fd, pdf_opened, &to, &cc,
	    &all);
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

void
send_run(const struct conf *conf, const struct send_options *opt,
    send_event_fn *event, void *ctx, struct send_result *res)
{
	struct send_run run;
	struct buf err;
	long long *ids = NULL, held = 0;
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
	run.spool = (struct spool)SPOOL_INIT;
	time_format_db(opt->now, run.now);
	pdfstore_init(&run.pdfs, conf->pdf_dir);
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
	/* The checks, the clock and the due list read in one transaction:
	 * an idle run locks each file once and writes nothing. */
	s = db_open(&run.db, conf, DB_STATE | DB_READING |
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
	/* The reports' own reads, too, go in read transactions, each held
	 * for SEND_READ_HOLD_MS at most: they keep writers of either file
	 * (the sync job, a flush) waiting that long, well within their busy
	 * timeout.  Every write of a report ends the one open (db_begin). */
	for (i = 0; i < n; i++) {
		if (opt->stop && *opt->stop)
			break;
		if (!run.db.reading) {
			db_read_begin(&run.db);
			held = os_monotonic_ms();
		}
		if (send_one(&run, ids[i]) == STEP_STOP)
			break;
		if (run.db.reading && os_monotonic_ms() - held >=
		    SEND_READ_HOLD_MS)
			db_read_end(&run.db);
	}
	/* A read transaction still open (an idle run's, from db_open) goes
	 * on through feedback and the run's record: their writes end it. */
	for (i++; i < n; i++)
		res->deferred++;	/* not reached in this run */
	/* Stopped or not, what is linked into queue/ is recorded. */
	send_batch_commit(&run);
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
	pdfstore_release(&run.pdfs);
	buf_release(&err);
}
