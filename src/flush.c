/*
 * flush.c - delivers the spool over SMTP (flush.h).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "feedback.h"
#include "flush.h"
#include "log.h"
#include "queue.h"
#include "smtp.h"
#include "smtpconf.h"
#include "spool.h"
#include "state.h"
#include "timeutil.h"

#define FLUSH_ERR_MAX	4096

/*
 * Group commit: a delivered message is at once renamed to its mark in
 * queue/ (queue.h: out of sight, so neither this flush nor another tries
 * it again, even after kill -9), and the marks are recorded and removed
 * together, one state transaction and one fsync of queue/ for
 * FLUSH_BATCH_MAX of them or for those of FLUSH_BATCH_MS.  Each keeps its
 * claim (its open, locked file) until then, so that a flush recovering
 * the marks of a crashed one leaves them alone.
 */
#define FLUSH_BATCH_MAX	100
#define FLUSH_BATCH_MS	1000

/* A delivered message, marked, not yet recorded nor removed. */
struct flush_done {
	int		 fd;		/* the claim */
	char		 name[SPOOL_NAME_MAX];
	char		 mark[SPOOL_NAME_MAX + 16];
	long long	 report_id;
	char		*occurrence;	/* or NULL: not a report's */
	char		*message_id;
	int		 recovered;	/* left by a crashed flush: maybe
					   recorded already */
};

struct flush_ctx {
	const struct conf		*conf;
	const struct flush_options	*opt;
	flush_event_fn			*event;
	void				*ctx;
	struct flush_result		*res;
	struct spool			 spool;
	struct db			 db;
	struct smtp_session		*smtp;
	char				 now[TIME_DB_LEN];
	size_t				 index, total;
	struct flush_done		 done[FLUSH_BATCH_MAX];
	size_t				 ndone;
	long long			 batch_began_ms;
};

/* backoff_min * 2^(n - 1), at most backoff_max, without overflow. */
static long
flush_backoff(const struct conf *c, long n)
{
	long d = c->backoff_min_s > 0 ? c->backoff_min_s : 1;

	while (--n > 0 && d < c->backoff_max_s)
		d *= 2;
	return d < c->backoff_max_s ? d : c->backoff_max_s;
}

static void
flush_tell(struct flush_ctx *f, const char *name,
    const struct spool_envelope *env, const char *outcome, long code,
    const char *reply, size_t nrefused)
{
	struct flush_event ev;

	if (f->event == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.name = name;
	ev.report_id = env ? env->report_id : 0;
	ev.message_id = env ? env->message_id : NULL;
	ev.outcome = outcome;
	ev.code = code;
	ev.reply = reply;
	ev.nrefused = nrefused;
	ev.index = f->index;
	ev.total = f->total;
	f->event(f->ctx, &ev);
}

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

/* The queue's pause as recorded; none when it cannot be read. */
static void
flush_pause_get(struct db *db, struct state_pause *p)
{
	struct buf err;

	buf_init(&err, FLUSH_ERR_MAX);
	if (state_pause_get(db, p, &err) != DB_OK) {
		log_warnx("%s", err.data);
		memset(p, 0, sizeof(*p));
	}
	buf_release(&err);
}

/* The server answered: whatever paused the queue is over. */
static void
flush_unpause(struct flush_ctx *f)
{
	struct buf err;

	buf_init(&err, FLUSH_ERR_MAX);
	if (state_pause_clear(&f->db, &err) != DB_OK)
		log_warnx("%s", err.data);
	buf_release(&err);
}

/*
 * What paused the queue, for `status`.  In a delivery SMTP_CONFIG is
 * either the credentials (RFC 4954's 53x replies: refused, or demanded
 * and not configured) or the TLS layer (a certificate not verified,
 * STARTTLS missing or refused), whose failure the error names.
 */
static const char *
flush_pause_kind(enum smtp_status ss, int code)
{
	if (ss == SMTP_UNAVAILABLE)
		return STATE_PAUSE_NETWORK;
	if (code >= 530 && code <= 539)
		return STATE_PAUSE_AUTH;
	return STATE_PAUSE_TLS;
}

/*
 * The box or its configuration cannot reach the server: pause the queue,
 * growing each time, and keep why for `status`.
 */
static void
flush_pause(struct flush_ctx *f, const char *kind, const char *reason)
{
	struct state_pause p;
	struct buf err;

	flush_pause_get(&f->db, &p);
	p.count++;
	p.until = f->opt->now + flush_backoff(f->conf, (long)p.count);
	f->res->paused_until = p.until;
	snprintf(p.kind, sizeof(p.kind), "%s", kind);
	snprintf(p.reason, sizeof(p.reason), "%s", reason);
	buf_init(&err, FLUSH_ERR_MAX);
	if (state_pause_set(&f->db, &p, &err) != DB_OK)
		log_warnx("%s", err.data);
	buf_release(&err);
}

/*
 * Records the occurrence of the message before it may leave the queue:
 * after a crash between its spooling and that record, `send` would
 * otherwise spool the occurrence again once the file is gone.
 */
static enum db_status
flush_record_occurrence(struct flush_ctx *f, const char *name,
    const struct spool_envelope *env, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;

	if (env->occurrence == NULL || env->report_id <= 0)
		return DB_OK;
	if ((s = db_prepare(&f->db, "INSERT OR IGNORE INTO state.occurrences "
	    "(report_id, scheduled_at, message_id, spool_name, spooled_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)", &st, err)) != DB_OK)
		return s;
	sqlite3_bind_int64(st, 1, env->report_id);
	db_bind_text(st, 2, env->occurrence);
	db_bind_text(st, 3, env->message_id);
	db_bind_text(st, 4, name);
	db_bind_text(st, 5, env->created ? env->created : f->now);
	return db_step_once(&f->db, st, "state database", err);
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
	fd = openat(f->spool.failedfd, tname, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
		buf_printf(err, "spool: failed/%s: %s", tname, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fprintf(fp, "%s\n%s\n", f->now, why);
	if (fflush(fp) == EOF || fsync(fileno(fp)) == -1) {
		buf_printf(err, "spool: failed/%s: %s", tname, strerror(errno));
		fclose(fp);
		unlinkat(f->spool.failedfd, tname, 0);
		return -1;
	}
	fclose(fp);
	if (renameat(f->spool.failedfd, tname, f->spool.failedfd, rname) ==
	    -1) {
		buf_printf(err, "spool: failed/%s: %s", rname, strerror(errno));
		unlinkat(f->spool.failedfd, tname, 0);
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
static void
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
		if (unlinkat(f->spool.queuefd, d->mark, 0) == -1 &&
		    errno != ENOENT)
			log_warn("spool: queue/%s: recorded, but not removed",
			    d->mark);
		else
			removed = 1;
	}
	if (removed && fsync(f->spool.queuefd) == -1)
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
	if (unlinkat(f->spool.queuefd, name, 0) == -1 && errno != ENOENT)
		log_warn("spool: queue/%s: delivered, but not removed", name);
	else if (fsync(f->spool.queuefd) == -1)
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
static void
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
	if (refused.len == 0 && renameat(f->spool.queuefd, name,
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
static void
flush_recover_marks(struct flush_ctx *f)
{
	struct spool_envelope env;
	struct dirent *de;
	struct buf err;
	char name[SPOOL_NAME_MAX];
	off_t body;
	size_t len;
	DIR *d;
	int dfd, fd;

	buf_init(&err, FLUSH_ERR_MAX);
	if ((dfd = dup(f->spool.queuefd)) == -1 ||
	    (d = fdopendir(dfd)) == NULL) {
		log_warn("spool: queue/");
		if (dfd != -1)
			close(dfd);
		buf_release(&err);
		return;
	}
	/* The copy shares its position with queue_scan()'s, at the end. */
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!queue_is_delivered_mark(de->d_name))
			continue;
		len = strlen(de->d_name) - 1 - strlen(QUEUE_DELIVERED_SUFFIX);
		snprintf(name, sizeof(name), "%.*s", (int)len, de->d_name + 1);
		fd = openat(f->spool.queuefd, de->d_name, O_RDONLY |
		    O_CLOEXEC | O_NOFOLLOW);
		if (fd == -1)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
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
static int
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
static int
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
static void
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

/*
 * Tries one message.  Returns 0 to go on, -1 to stop the run (the server
 * cannot be reached, or the box cannot keep state).
 */
static int
flush_one(struct flush_ctx *f, const struct queue_entry *e)
{
	struct spool_envelope env;
	struct smtp_outcome out;
	struct stat st, now_st;
	struct buf err;
	enum smtp_status ss;
	enum db_status ds;
	off_t body;
	int fd, rc = 0;

	memset(&env, 0, sizeof(env));
	smtp_outcome_init(&out);
	buf_init(&err, FLUSH_ERR_MAX);
	fd = openat(f->spool.queuefd, e->name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (fd == -1)
		goto out;	/* delivered by another flush meanwhile */
	/* The claim: another flush holding it is delivering it. */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		f->res->busy++;
		flush_tell(f, e->name, NULL, "busy", 0, NULL, 0);
		goto out;
	}
	/* Claimed, but maybe only after the other flush was done with it:
	 * it must still be this very file in queue/. */
	if (fstat(fd, &st) == -1 || fstatat(f->spool.queuefd, e->name,
	    &now_st, AT_SYMLINK_NOFOLLOW) == -1 || st.st_ino != now_st.st_ino ||
	    st.st_dev != now_st.st_dev)
		goto out;
	if (e->failed) {
		rc = flush_finish_failed(f, e);
		goto out;
	}
	f->res->tried++;
	if (spool_read_envelope(fd, &env, &body, &err) == -1) {
		struct buf why;

		buf_init(&why, FLUSH_ERR_MAX);
		buf_printf(&why, "not a valid spool file: %s", err.data);
		rc = flush_give_up(f, e->name, e->attempts + 1, NULL, "failed", 0,
		    why.data);
		buf_release(&why);
		goto out;
	}
	if ((ds = flush_record_occurrence(f, e->name, &env, &err)) !=
	    DB_OK || (env.occurrence == NULL && (ds = feedback_notice_queued(
	    &f->db, e->name, &err)) != DB_OK)) {
		log_warnx("%s", err.data);
		f->res->status = ds == DB_TEMPFAIL ? FLUSH_TEMPFAIL :
		    FLUSH_IOERR;
		rc = -1;
		goto out;
	}
	ss = smtp_session_deliver(f->smtp, env.sender, env.rcpts, env.nrcpts,
	    fd, body, &out);
	switch (ss) {
	case SMTP_OK:
		flush_unpause(f);
		flush_delivered(f, e->name, fd, e->attempts + 1, &env, &out);
		fd = -1;	/* the claim is the batch's now */
		break;
	case SMTP_TEMPFAIL:
		flush_unpause(f);
		flush_deferred(f, e, &env, &out);
		break;
	case SMTP_PERMFAIL:
		flush_unpause(f);
		rc = flush_give_up(f, e->name, e->attempts + 1, &env, "failed",
		    out.code, out.code ? out.reply.data : out.error.data);
		break;
	case SMTP_UNAVAILABLE:
	case SMTP_CONFIG:
		/* The box's or the configuration's fault: no message is
		 * charged, and trying the others would fail the same way. */
		log_warnx("flush: %s: %s; %u message(s) wait in the queue",
		    ss == SMTP_CONFIG ? "configuration" : "server unavailable",
		    out.error.len ? out.error.data : out.reply.data,
		    f->res->queued - f->res->delivered - f->res->failed -
		    f->res->expired);
		f->res->tried--;
		f->res->status = ss == SMTP_CONFIG ? FLUSH_CONFIG :
		    FLUSH_UNAVAILABLE;
		flush_pause(f, flush_pause_kind(ss, out.code),
		    out.error.len ? out.error.data : out.reply.data);
		rc = -1;
		break;
	}
out:
	if (fd != -1)
		close(fd);	/* drops the claim */
	spool_envelope_release(&env);
	smtp_outcome_release(&out);
	buf_release(&err);
	return rc;
}

/* Whether the run is about message e at all (flush --id: only one). */
static int
flush_wanted(const struct flush_options *opt, const struct queue_entry *e)
{
	return opt->only == NULL || strcmp(opt->only, e->name) == 0;
}

void
flush_run(const struct conf *conf, const struct flush_options *opt,
    flush_event_fn *event, void *ctx, struct flush_result *res)
{
	struct flush_ctx f;
	struct queue_list q = { NULL, 0, 0 };
	struct smtp_options so;
	struct state_pause pause;
	struct buf err;
	char *password = NULL;
	enum db_status s;
	size_t i;
	long tried = 0;

	memset(res, 0, sizeof(*res));
	memset(&f, 0, sizeof(f));
	f.conf = conf;
	f.opt = opt;
	f.event = event;
	f.ctx = ctx;
	f.res = res;
	f.spool.dirfd = f.spool.tmpfd = f.spool.queuefd = f.spool.failedfd =
	    -1;
	time_format_db(opt->now, f.now);
	buf_init(&err, FLUSH_ERR_MAX);

	/* Nothing queued: done in a few system calls, no database. */
	if (spool_open(&f.spool, conf->spool_dir, 0, &err) == -1) {
		if (errno != ENOENT) {
			log_warnx("%s", err.data);
			res->status = FLUSH_CANTCREAT;
		}
		goto out;
	}
	if (queue_scan(&f.spool, QUEUE_QUEUED, &q, &err) == -1) {
		log_warnx("%s", err.data);
		res->status = FLUSH_IOERR;
		goto out;
	}
	res->queued = (unsigned)q.n;
	if (q.n == 0 && q.ndelivered == 0)
		goto out;	/* cron every minute costs nothing */
	/* Busy past busy_timeout_ms, or a full disk: the next run. */
	if ((s = db_open(&f.db, conf, DB_STATE_ONLY, &err)) != DB_OK) {
		log_warnx("%s", err.data);
		res->status = s == DB_TEMPFAIL ? FLUSH_TEMPFAIL : FLUSH_IOERR;
		goto out;
	}
	s = DB_ERROR;
	if (queue_load_state(&f.db, &q, &err) == -1 ||
	    (s = queue_prune(&f.db, &q, &err)) != DB_OK) {
		log_warnx("%s", err.data);
		res->status = s == DB_TEMPFAIL ? FLUSH_TEMPFAIL : FLUSH_IOERR;
		goto out;
	}
	if (q.ndelivered > 0)
		flush_recover_marks(&f);
	if (q.n == 0)
		goto out;
	flush_pause_get(&f.db, &pause);
	if (!opt->force && opt->only == NULL && pause.until > opt->now) {
		char until[TIME_DB_LEN];

		res->paused = 1;
		res->paused_until = pause.until;
		time_format_db(res->paused_until, until);
		log_debug("flush: the queue is paused until %s UTC (%s: %s)",
		    until, pause.kind[0] ? pause.kind : "server unavailable",
		    pause.reason);
		goto out;
	}
	for (i = 0; i < q.n; i++) {
		if (!flush_wanted(opt, &q.v[i]))
			continue;
		if (q.v[i].held)
			res->held++;
		else if (opt->force || opt->only ||
		    q.v[i].next_try <= opt->now)
			f.total++;
	}
	if (opt->only && f.total == 0 && res->held == 0)
		res->not_found = 1;
	if (f.total == 0)
		goto done;	/* every message waits out its backoff */

	/* Options refused before connecting are the configuration's
	 * failure: the queue pauses as for any other (SPEC.md). */
	if (smtpconf_options(conf, &so, &password, &err) == -1) {
		log_warnx("flush: %s", err.data);
		res->status = FLUSH_CONFIG;
		flush_pause(&f, STATE_PAUSE_CONFIG, err.data);
		goto out;
	}
	so.verbose = opt->verbose_smtp;
	f.smtp = smtp_session_new(&so, &err);
	smtpconf_wipe(&password);
	if (f.smtp == NULL) {
		log_warnx("flush: %s", err.data);
		res->status = errno == EINVAL ? FLUSH_CONFIG : FLUSH_IOERR;
		if (res->status == FLUSH_CONFIG)
			flush_pause(&f, STATE_PAUSE_CONFIG, err.data);
		goto out;
	}
	for (i = 0; i < q.n; i++) {
		if (opt->stop && *opt->stop)
			break;
		if (opt->max > 0 && tried >= opt->max)
			break;
		if (!flush_wanted(opt, &q.v[i]) || q.v[i].held)
			continue;
		if (!opt->force && !opt->only && q.v[i].next_try > opt->now)
			continue;
		f.index++;
		tried++;
		if (flush_one(&f, &q.v[i]) == -1)
			break;
	}
	flush_batch_commit(&f);
done:
	/* Every message waiting out its backoff is an idle run: no write. */
	if (res->tried > 0 && (res->status == FLUSH_OK ||
	    res->status == FLUSH_DEFERRED)) {
		if (state_meta_set(&f.db, "last_flush", f.now, &err) != DB_OK)
			log_warnx("%s", err.data);
	}
out:
	smtp_session_free(f.smtp);
	queue_list_release(&q);
	db_close(&f.db);
	spool_close(&f.spool);
	buf_release(&err);
}

time_t
flush_next_try(const struct conf *conf)
{
	struct spool spool = { -1, -1, -1, -1, NULL };
	struct queue_list q = { NULL, 0, 0 };
	struct db db = { 0 };
	struct state_pause pause;
	struct buf err;
	time_t next = 0;
	size_t i;
	int any = 0;

	buf_init(&err, FLUSH_ERR_MAX);
	if (spool_open(&spool, conf->spool_dir, 0, &err) == -1 ||
	    queue_scan(&spool, QUEUE_QUEUED, &q, &err) == -1 || q.n == 0)
		goto out;
	if (db_open(&db, conf, DB_STATE_ONLY | DB_READONLY, &err) != DB_OK ||
	    queue_load_state(&db, &q, &err) == -1)
		goto out;
	for (i = 0; i < q.n; i++) {
		if (q.v[i].held)
			continue;	/* until released */
		if (!any || q.v[i].next_try < next)
			next = q.v[i].next_try;
		any = 1;
	}
	if (!any)
		goto out;
	flush_pause_get(&db, &pause);
	if (pause.until > next)
		next = pause.until;
	if (next == 0)
		next = 1;	/* a message never tried: at once */
out:
	queue_list_release(&q);
	db_close(&db);
	spool_close(&spool);
	buf_release(&err);
	return next;
}
