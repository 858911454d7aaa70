/*
 * flush_outcome.c - what becomes of a message flush tried (flush_run.h):
 * delivered (marked, then recorded and removed with its batch: the group
 * commit), deferred, or given up and moved to failed/; and the log line
 * of each, with the fields log tools parse.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feedback.h"
#include "flush_run.h"
#include "log.h"
#include "os_fs.h"
#include "state.h"

/* The longest list of recipients a log line gives in full. */
#define FLUSH_LOG_TO_MAX	400

/*
 * The log line of a delivery event, with the fields log tools parse,
 * after Postfix's:
 *   NAME: id=<...> report=N from=<...> to=<a>,<b> relay=host[ip]:port
 *   delay=Ns tries=N status=sent|deferred|failed (DETAIL)
 * to is NULL for every recipient of the envelope (env NULL: a file whose
 * envelope could not be read).  Sent at info, deferred at warning,
 * failed at err.
 */
static void
flush_log(struct flush_ctx *f, const char *name,
    const struct spool_envelope *env, const char *to, long tries,
    const char *status, const char *detail)
{
	const char *relay = smtp_session_relay(f->smtp);
	struct buf rcpts;
	time_t created;
	char delay[32];
	size_t i;

	buf_init(&rcpts, FLUSH_LOG_TO_MAX);
	if (to)
		buf_printf(&rcpts, "<%s>", to);
	else if (env) {
		for (i = 0; i < env->nrcpts; i++)
			if (buf_printf(&rcpts, "%s<%s>", i ? "," : "",
			    env->rcpts[i]) == -1) {
				rcpts.max += 32;	/* room for the count */
				buf_printf(&rcpts, ",...(%zu in all)",
				    env->nrcpts);
				break;
			}
	}
	if (env && env->created && time_parse_db(env->created, &created) == 0)
		snprintf(delay, sizeof(delay), "%llds", (long long)
		    (f->opt->now - created));
	else
		snprintf(delay, sizeof(delay), "-");
	log_at(strcmp(status, "sent") == 0 ? LOG_LEVEL_INFO :
	    strcmp(status, "deferred") == 0 ? LOG_LEVEL_WARNING :
	    LOG_LEVEL_ERROR, "%s: id=%s report=%lld from=<%s> to=%s relay=%s "
	    "delay=%s tries=%ld status=%s (%s)", name,
	    env && env->message_id ? env->message_id : "-",
	    env ? env->report_id : 0, env && env->sender ? env->sender : "",
	    rcpts.len ? rcpts.data : "-", relay ? relay : "none", delay, tries,
	    status, detail ? detail : "");
	buf_release(&rcpts);
}

/*
 * Moves queue/<name> to failed/, with failed/<name>.reason saying why,
 * durably: the reason first, so a failed message always has one; then the
 * message moved (spool_move: linked into failed/, synced, then its name
 * in queue/ removed; rename() between two links of one file would do
 * nothing, leaving a move cut short in queue/ for ever).
 */
static int
flush_move_failed(struct flush_ctx *f, const char *name, const char *why,
    struct buf *err)
{
	char rname[SPOOL_NAME_MAX + 16], tname[SPOOL_NAME_MAX + 24];
	FILE *fp;
	int fd;

	snprintf(rname, sizeof(rname), "%s%s", name, QUEUE_REASON_SUFFIX);
	snprintf(tname, sizeof(tname), ".%s.tmp", rname);
	fd = os_openat(f->spool.failedfd, tname, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
		buf_printf(err, "spool: failed/%s: %s", tname, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fprintf(fp, "%s\n%s\n", f->now, why);
	if (fflush(fp) == EOF || os_fsync(fileno(fp)) == -1) {
		buf_printf(err, "spool: failed/%s: %s", tname, strerror(errno));
		fclose(fp);
		os_unlinkat(f->spool.failedfd, tname);
		return -1;
	}
	fclose(fp);
	if (os_renameat(f->spool.failedfd, tname, f->spool.failedfd, rname) ==
	    -1) {
		buf_printf(err, "spool: failed/%s: %s", rname, strerror(errno));
		os_unlinkat(f->spool.failedfd, tname);
		return -1;
	}
	return spool_move(&f->spool, f->spool.queuefd, f->spool.failedfd,
	    name, err);
}

/* Whether the run log has the delivery of message_id already. */
static int
flush_logged(struct flush_ctx *f, const struct flush_done *d)
{
	sqlite3_stmt *st = NULL;
	struct buf err;
	int found = 0;

	buf_init(&err, FLUSH_ERR_MAX);
	if (d->message_id && db_prepare(&f->db, "SELECT 1 FROM state.runlog "
	    "WHERE report_id = ?1 AND message_id = ?2 AND outcome = "
	    "'delivered'", &st, &err) == DB_OK) {
		sqlite3_bind_int64(st, 1, d->report_id);
		db_bind_text(st, 2, d->message_id);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	buf_release(&err);
	return found;
}

/*
 * The group commit of the delivered messages: their run log lines and
 * the end of their delivery state in one transaction, then their marks
 * removed, one fsync of queue/, and the claims dropped.  The transaction
 * failing, the marks stay for the next flush to record.  A power cut
 * before the fsync may bring a message back under its name: delivered
 * again, with the same Message-ID (SPEC.md's one repeat).
 */
void
flush_batch_commit(struct flush_ctx *f)
{
	struct flush_done *d;
	struct buf err;
	size_t i;
	int removed = 0, recorded = 0;

	if (f->ndone == 0)
		return;
	buf_init(&err, FLUSH_ERR_MAX);
	if (db_begin(&f->db, &err) != DB_OK)
		goto failed;
	for (i = 0; i < f->ndone; i++) {
		d = &f->done[i];
		if (!(d->recovered && flush_logged(f, d)) && state_log(&f->db,
		    d->report_id, d->occurrence, f->now, "delivered",
		    d->message_id, NULL, &err) != DB_OK)
			goto failed;
		if (queue_forget(&f->db, d->name, &err) != DB_OK)
			goto failed;
	}
	if (db_exec(&f->db, "COMMIT", &err) == DB_OK)
		recorded = 1;
failed:
	if (!recorded) {
		if (!sqlite3_get_autocommit(f->db.h))
			sqlite3_exec(f->db.h, "ROLLBACK", NULL, NULL, NULL);
		log_warnx("%s: %zu delivered message(s) left marked in "
		    "queue/ for the next flush to record", err.data,
		    f->ndone);
	}
	for (i = 0; recorded && i < f->ndone; i++) {
		d = &f->done[i];
		if (os_unlinkat(f->spool.queuefd, d->mark) == -1 &&
		    errno != ENOENT)
			log_warn("spool: queue/%s: recorded, but not removed",
			    d->mark);
		else
			removed = 1;
	}
	if (removed && os_dir_sync(f->spool.queuefd) == -1)
		log_warn("spool: fsync queue/");
	for (i = 0; i < f->ndone; i++) {
		d = &f->done[i];
		close(d->fd);	/* drops the claim */
		free(d->occurrence);
		free(d->message_id);
	}
	f->ndone = 0;
	buf_release(&err);
}

/* Adds a marked message to the batch (fd, its claim, is the batch's) and
 * commits the batch when it is full or old enough. */
static void
flush_batch_add(struct flush_ctx *f, int fd, const char *name,
    const char *mark, const struct spool_envelope *env, int recovered)
{
	struct flush_done *d = &f->done[f->ndone];

	memset(d, 0, sizeof(*d));
	d->fd = fd;
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->mark, sizeof(d->mark), "%s", mark);
	d->report_id = env->report_id;
	/* Out of memory, the line says less; the removal is the same. */
	if (env->occurrence)
		d->occurrence = strdup(env->occurrence);
	if (env->message_id)
		d->message_id = strdup(env->message_id);
	d->recovered = recovered;
	if (f->ndone++ == 0)
		f->batch_began_ms = time_monotonic_ms();
	if (f->ndone == FLUSH_BATCH_MAX ||
	    time_monotonic_ms() - f->batch_began_ms >= FLUSH_BATCH_MS)
		flush_batch_commit(f);
}

/*
 * Records and removes a delivered message at once, the way without a
 * mark: what the run log and the report's owner must learn of it
 * (recipients refused, feedback.h) is recorded first, in one
 * transaction: once the file is gone nothing would say it again.  A
 * crash between the record and the removal delivers the message again,
 * with the same Message-ID, and records the same again.  Then the file,
 * then its delivery state (a stale row is pruned by the next flush).
 */
static void
flush_delivered_now(struct flush_ctx *f, const char *name,
    const struct spool_envelope *env, const char *refused)
{
	struct buf err;

	buf_init(&err, FLUSH_ERR_MAX);
	if (db_begin(&f->db, &err) != DB_OK ||
	    state_log(&f->db, env->report_id, env->occurrence, f->now,
	    "delivered", env->message_id, refused, &err) != DB_OK ||
	    (refused && feedback_record(&f->db, env->report_id,
	    env->occurrence, refused, f->conf->notify != NULL, &err) !=
	    DB_OK) || db_exec(&f->db, "COMMIT", &err) != DB_OK) {
		sqlite3_exec(f->db.h, "ROLLBACK", NULL, NULL, NULL);
		log_warnx("%s", err.data);
		buf_reset(&err);
	}
	if (os_unlinkat(f->spool.queuefd, name) == -1 && errno != ENOENT)
		log_warn("spool: queue/%s: delivered, but not removed", name);
	else if (os_dir_sync(f->spool.queuefd) == -1)
		log_warn("spool: fsync queue/");
	if (queue_forget(&f->db, name, &err) != DB_OK)
		log_warnx("%s", err.data);
	buf_release(&err);
}

/*
 * A delivered message (fd: its claim, taken over here): marked and left
 * to the group commit, or, with recipients refused (their feedback must
 * be recorded before the file goes) or when the mark cannot be made,
 * recorded and removed at once.
 */
void
flush_delivered(struct flush_ctx *f, const char *name, int fd, long tries,
    const struct spool_envelope *env, const struct smtp_outcome *out)
{
	char mark[SPOOL_NAME_MAX + 16];
	struct buf refused;
	size_t i;

	buf_init(&refused, FLUSH_ERR_MAX);
	/* The reply's text begins with its code ("550 5.1.1 ..."). */
	for (i = 0; i < out->nrefused; i++) {
		buf_printf(&refused, "%s%s refused: %s", i ? "; " : "",
		    out->refused[i].rcpt, out->refused[i].text);
		flush_log(f, name, env, out->refused[i].rcpt, tries, "failed",
		    out->refused[i].text);
	}
	flush_log(f, name, env, NULL, tries, "sent", out->reply.data);
	f->res->delivered++;
	snprintf(mark, sizeof(mark), ".%s%s", name, QUEUE_DELIVERED_SUFFIX);
	if (refused.len == 0 && os_renameat(f->spool.queuefd, name,
	    f->spool.queuefd, mark) == 0)
		flush_batch_add(f, fd, name, mark, env, 0);
	else {
		flush_delivered_now(f, name, env, refused.len ? refused.data :
		    NULL);
		close(fd);	/* drops the claim */
	}
	flush_tell(f, name, env, "delivered", out->code, out->reply.data,
	    out->nrefused);
	buf_release(&refused);
}

/*
 * The marks a crashed flush left in queue/: messages delivered whose
 * record was not committed.  Recorded (once: the run log may have them)
 * and removed; a mark still claimed belongs to a flush at work.
 */
void
flush_recover_marks(struct flush_ctx *f)
{
	struct spool_envelope env;
	struct dirent *de;
	struct buf err;
	char name[SPOOL_NAME_MAX];
	off_t body;
	size_t len;
	DIR *d;
	int fd;

	buf_init(&err, FLUSH_ERR_MAX);
	if ((d = os_dir_list(f->spool.queuefd)) == NULL) {
		log_warn("spool: queue/");
		buf_release(&err);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!queue_is_delivered_mark(de->d_name))
			continue;
		len = strlen(de->d_name) - 1 - strlen(QUEUE_DELIVERED_SUFFIX);
		snprintf(name, sizeof(name), "%.*s", (int)len, de->d_name + 1);
		fd = os_openat(f->spool.queuefd, de->d_name, O_RDONLY |
		    O_CLOEXEC | O_NOFOLLOW, 0);
		if (fd == -1)
			continue;
		if (os_lock(fd, OS_LOCK_EX | OS_LOCK_NB) == -1) {
			close(fd);
			continue;
		}
		memset(&env, 0, sizeof(env));
		buf_reset(&err);
		if (spool_read_envelope(fd, &env, &body, &err) == -1)
			log_warnx("spool: queue/%s: %s (delivered: removed "
			    "unrecorded)", de->d_name, err.data);
		flush_log(f, name, &env, NULL, 0, "sent", "delivered before a "
		    "crash, recorded now");
		flush_batch_add(f, fd, name, de->d_name, &env, 1);
		spool_envelope_release(&env);
	}
	closedir(d);
	flush_batch_commit(f);
	buf_release(&err);
}

/*
 * A message given up: 5xx, expired, or not a spool file.  The decision is
 * recorded first, in one transaction with the run log and what the
 * report's owner is told (feedback.h), and the file moves to failed/
 * after: recorded after the move, a crash between the two left the owner
 * never told.  A crash after the record leaves the message in queue/
 * marked failed, and the next flush finishes the move without trying it
 * again (flush_finish_failed).
 */
int
flush_give_up(struct flush_ctx *f, const char *name, long tries,
    const struct spool_envelope *env, const char *outcome, long code,
    const char *why)
{
	struct buf err;
	enum db_status s;
	int rc = 0;

	buf_init(&err, FLUSH_ERR_MAX);
	if ((s = db_begin(&f->db, &err)) != DB_OK ||
	    (s = queue_record_failed(&f->db, name, code, why, &err)) !=
	    DB_OK || (s = state_log(&f->db, env ? env->report_id : 0, env ?
	    env->occurrence : NULL, f->now, outcome, env ? env->message_id :
	    NULL, why, &err)) != DB_OK || (env && (s = feedback_record(&f->db,
	    env->report_id, env->occurrence, why, f->conf->notify != NULL,
	    &err)) != DB_OK) || (s = db_exec(&f->db, "COMMIT", &err)) !=
	    DB_OK) {
		sqlite3_exec(f->db.h, "ROLLBACK", NULL, NULL, NULL);
		/* Neither recorded nor moved: tried again, nothing lost. */
		log_warnx("message %s (report %lld): %s", env ?
		    env->message_id : name, env ? env->report_id : 0,
		    err.data);
		/* Busy, or a full disk: the next run. */
		f->res->status = s == DB_TEMPFAIL ? FLUSH_TEMPFAIL :
		    FLUSH_IOERR;
		rc = -1;
		goto out;
	}
	if (flush_move_failed(f, name, why, &err) == -1) {
		int full = errno == ENOSPC || errno == EDQUOT;

		/* Still in queue/, marked failed: the next flush moves it. */
		log_warnx("message %s (report %lld): %s", env ?
		    env->message_id : name, env ? env->report_id : 0,
		    err.data);
		f->res->status = full ? FLUSH_TEMPFAIL : FLUSH_CANTCREAT;
		rc = -1;
		goto out;
	}
	{
		struct buf detail;

		buf_init(&detail, FLUSH_ERR_MAX);
		buf_printf(&detail, "%s%s, moved to failed/", why,
		    strcmp(outcome, "expired") == 0 ? "; expired" : "");
		flush_log(f, name, env, NULL, tries, "failed", detail.data);
		buf_release(&detail);
	}
	if (strcmp(outcome, "expired") == 0)
		f->res->expired++;
	else
		f->res->failed++;
	flush_tell(f, name, env, outcome, code, why, 0);
out:
	buf_release(&err);
	return rc;
}

/*
 * A message in queue/ that the state database says was given up: a flush
 * recorded it and died before moving it (flush_give_up).  It is moved,
 * never tried again.
 */
int
flush_finish_failed(struct flush_ctx *f, const struct queue_entry *e)
{
	struct buf err;
	const char *why = e->last_error ? e->last_error : "given up";
	int rc = 0;

	buf_init(&err, FLUSH_ERR_MAX);
	if (flush_move_failed(f, e->name, why, &err) == -1) {
		log_warnx("message %s: %s", e->name, err.data);
		f->res->status = FLUSH_CANTCREAT;
		rc = -1;
	} else {
		struct buf detail;

		buf_init(&detail, FLUSH_ERR_MAX);
		buf_printf(&detail, "%s; given up by an earlier flush, moved "
		    "to failed/", why);
		flush_log(f, e->name, NULL, NULL, e->attempts, "failed",
		    detail.data);
		buf_release(&detail);
		f->res->failed++;
		flush_tell(f, e->name, NULL, "failed", e->last_code, why, 0);
	}
	buf_release(&err);
	return rc;
}

/* 4xx, timeout, dropped connection: try again later, or expire. */
void
flush_deferred(struct flush_ctx *f, const struct queue_entry *e,
    const struct spool_envelope *env, const struct smtp_outcome *out)
{
	struct buf err, why;
	time_t created, next;
	long attempts = e->attempts + 1;

	buf_init(&err, FLUSH_ERR_MAX);
	buf_init(&why, FLUSH_ERR_MAX);
	if (out->code)
		buf_printf(&why, "%s", out->reply.data);
	else
		buf_printf(&why, "%s", out->error.data);
	if (out->in_doubt)
		buf_puts(&why, " (the server may have it: a retry may "
		    "repeat it, with the same Message-ID)");
	if (env->created == NULL || time_parse_db(env->created, &created) ==
	    -1)
		created = e->mtime;
	/* Both: the clock of a box without a real-time clock jumps. */
	if (f->opt->now - created >= f->conf->max_age_s &&
	    attempts >= f->conf->min_attempts) {
		buf_puts(&why, "; max_age reached after ");
		buf_printf(&why, "%ld attempts", attempts);
		flush_give_up(f, e->name, attempts, env, "expired", out->code,
		    why.data);
		goto out;
	}
	next = f->opt->now + flush_backoff(f->conf, attempts);
	if (queue_record_attempt(&f->db, e->name, next, out->code, why.data,
	    &err) != DB_OK ||
	    state_log(&f->db, env->report_id, env->occurrence, f->now,
	    "deferred", env->message_id, why.data, &err) != DB_OK)
		log_warnx("%s", err.data);
	{
		char when[TIME_DB_LEN];
		struct buf detail;

		time_format_db(next, when);
		buf_init(&detail, FLUSH_ERR_MAX);
		buf_printf(&detail, "%s; next try %s UTC", why.data, when);
		flush_log(f, e->name, env, NULL, attempts, "deferred",
		    detail.data);
		buf_release(&detail);
	}
	f->res->deferred++;
	if (f->res->status == FLUSH_OK)
		f->res->status = FLUSH_DEFERRED;
	flush_tell(f, e->name, env, "deferred", out->code, why.data, 0);
out:
	buf_release(&err);
	buf_release(&why);
}
