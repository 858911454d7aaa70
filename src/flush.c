/*
 * flush.c - delivers the spool over SMTP (flush.h): the run, its one
 * connection, the queue's pause, and the loop over the messages; what
 * becomes of each is flush_outcome.c's (flush_run.h).
 */
#include <sys/stat.h>

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
#include "smtpconf.h"
#include "state.h"

/* backoff_min * 2^(n - 1), at most backoff_max, without overflow. */
long
flush_backoff(const struct conf *c, long n)
{
	long d = c->backoff_min_s > 0 ? c->backoff_min_s : 1;

	while (--n > 0 && d < c->backoff_max_s)
		d *= 2;
	return d < c->backoff_max_s ? d : c->backoff_max_s;
}

void
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

/* The server answered: whatever paused the queue is over (said once a
 * run: a write per message would cost its locks each time). */
static void
flush_unpause(struct flush_ctx *f)
{
	struct buf err;

	if (f->unpaused)
		return;
	f->unpaused = 1;
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
	int rc;

	if (env->occurrence == NULL || env->report_id <= 0)
		return DB_OK;
	/* send recorded it when it spooled the message, most often: a read
	 * finds it without the write transaction (and its locks) of an
	 * INSERT that would change nothing.  Any doubt: the INSERT. */
	if (db_prepare_kept(&f->db, "SELECT 1 FROM state.occurrences WHERE "
	    "report_id = ?1 AND scheduled_at = ?2", &st, err) == DB_OK) {
		sqlite3_bind_int64(st, 1, env->report_id);
		db_bind_text(st, 2, env->occurrence);
		rc = sqlite3_step(st);
		db_done(&f->db, st);
		st = NULL;
		if (rc == SQLITE_ROW)
			return DB_OK;
	}
	buf_reset(err);
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
 * The main relay cannot be reached (out says why): the rest of the run
 * goes to [smtp] fallback_url, once.  1 when the message is to be tried
 * there.
 */
static int
flush_to_fallback(struct flush_ctx *f, const struct smtp_outcome *out)
{
	struct smtp_session *s;
	struct smtp_options so;
	struct buf err;

	if (f->conf->fallback_url == NULL || f->on_fallback)
		return 0;
	f->on_fallback = 1;
	log_warning("flush: %s unreachable (%s): trying the fallback relay "
	    "%s", f->so.url, out->error.len ? out->error.data :
	    out->reply.data, f->conf->fallback_url);
	buf_init(&err, FLUSH_ERR_MAX);
	so = f->so;
	so.url = f->conf->fallback_url;
	if ((s = smtp_session_new(&so, &err)) == NULL) {
		log_warnx("flush: fallback relay: %s", err.data);
		buf_release(&err);
		return 0;
	}
	buf_release(&err);
	smtp_session_free(f->smtp);
	f->smtp = s;
	f->so = so;
	return 1;
}

/* A message claimed and read, ready to be tried. */
struct flush_msg {
	const struct queue_entry	*e;
	int				 fd;	/* the claim; -1: none */
	struct spool_envelope		 env;
	struct smtp_mail		 mail;	/* what the session sends */
	size_t				 index;	/* its number, for events */
};

static void
flush_msg_release(struct flush_msg *m)
{
	if (m->fd != -1)
		close(m->fd);	/* drops the claim */
	m->fd = -1;
	spool_envelope_release(&m->env);
}

/*
 * Claims message e, reads its envelope and records its occurrence, into m.
 * Returns 1 when m is ready to be tried; 0 when there is nothing to try
 * (delivered or claimed by another flush, given up, moved to failed/);
 * -1 to stop the run (the box cannot keep state).
 */
static int
flush_prepare(struct flush_ctx *f, const struct queue_entry *e,
    struct flush_msg *m)
{
	struct buf err;
	enum db_status ds;
	off_t body;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	m->e = e;
	m->index = f->index;
	buf_init(&err, FLUSH_ERR_MAX);
	m->fd = os_openat(f->spool.queuefd, e->name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW, 0);
	if (m->fd == -1)
		goto out;	/* delivered by another flush meanwhile */
	/* The claim: another flush holding it is delivering it. */
	if (os_lock(m->fd, OS_LOCK_EX | OS_LOCK_NB) == -1) {
		f->res->busy++;
		flush_tell(f, e->name, NULL, "busy", 0, NULL, 0);
		goto out;
	}
	/* Claimed, but maybe only after the other flush was done with it:
	 * it must still be this very file in queue/. */
	if (os_fd_is(m->fd, f->spool.queuefd, e->name) != 1)
		goto out;
	if (e->failed) {
		rc = flush_finish_failed(f, e);
		goto out;
	}
	f->res->tried++;
	if (spool_read_envelope(m->fd, &m->env, &body, &err) == -1) {
		struct buf why;

		buf_init(&why, FLUSH_ERR_MAX);
		buf_printf(&why, "not a valid spool file: %s", err.data);
		rc = flush_give_up(f, e->name, e->attempts + 1, NULL, "failed", 0,
		    why.data);
		buf_release(&why);
		goto out;
	}
	if ((ds = flush_record_occurrence(f, e->name, &m->env, &err)) !=
	    DB_OK || (m->env.occurrence == NULL && (ds = feedback_notice_queued(
	    &f->db, e->name, &err)) != DB_OK)) {
		log_warnx("%s", err.data);
		f->res->status = ds == DB_TEMPFAIL ? FLUSH_TEMPFAIL :
		    FLUSH_IOERR;
		f->res->tried--;	/* never tried */
		rc = -1;
		goto out;
	}
	m->mail.from = m->env.sender;
	m->mail.rcpts = m->env.rcpts;
	m->mail.nrcpts = m->env.nrcpts;
	m->mail.fd = m->fd;
	m->mail.offset = body;
	buf_release(&err);
	return 1;
out:
	flush_msg_release(m);
	buf_release(&err);
	return rc;
}

/*
 * Tries message m; next (NULL: none) is the message to be tried after it,
 * whose envelope the session may send ahead.  Returns 0 to go on, -1 to
 * stop the run (the server cannot be reached, or the box cannot keep
 * state).  m's claim is the batch's or dropped afterwards.
 */
static int
flush_try(struct flush_ctx *f, struct flush_msg *m,
    const struct flush_msg *next)
{
	const struct queue_entry *e = m->e;
	struct smtp_outcome out;
	enum smtp_status ss;
	size_t index = f->index;
	int rc = 0;

	f->index = m->index;	/* its events carry its number */
	smtp_outcome_init(&out);
	ss = smtp_session_deliver(f->smtp, &m->mail, next ? &next->mail :
	    NULL, &out);
	if (ss == SMTP_UNAVAILABLE && flush_to_fallback(f, &out))
		ss = smtp_session_deliver(f->smtp, &m->mail, next ?
		    &next->mail : NULL, &out);
	switch (ss) {
	case SMTP_OK:
		flush_unpause(f);
		flush_delivered(f, e->name, m->fd, e->attempts + 1, &m->env,
		    &out);
		m->fd = -1;	/* the claim is the batch's now */
		break;
	case SMTP_TEMPFAIL:
		flush_unpause(f);
		flush_deferred(f, e, &m->env, &out);
		break;
	case SMTP_PERMFAIL:
		flush_unpause(f);
		rc = flush_give_up(f, e->name, e->attempts + 1, &m->env,
		    "failed", out.code, out.code ? out.reply.data :
		    out.error.data);
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
	smtp_outcome_release(&out);
	flush_msg_release(m);
	f->index = index;
	return rc;
}

/* Whether the run is about message e at all (flush --id: only one). */
static int
flush_wanted(const struct flush_options *opt, const struct queue_entry *e)
{
	return opt->only == NULL || strcmp(opt->only, e->name) == 0;
}

/*
 * Claims and reads the next message of q to try, from q->v[*i] on, into
 * m.  1: m is ready; 0: none is left, or the run is to stop (signal,
 * --max); -1: stop, the box cannot keep state.
 */
static int
flush_next(struct flush_ctx *f, const struct queue_list *q, size_t *i,
    long *tried, struct flush_msg *m)
{
	const struct flush_options *opt = f->opt;
	const struct queue_entry *e;
	int rc;

	while (*i < q->n) {
		if (opt->stop && *opt->stop)
			return 0;
		if (opt->max > 0 && *tried >= opt->max)
			return 0;
		e = &q->v[(*i)++];
		if (!flush_wanted(opt, e) || e->held)
			continue;
		if (!opt->force && !opt->only && e->next_try > opt->now)
			continue;
		f->index++;
		(*tried)++;
		if ((rc = flush_prepare(f, e, m)) != 0)
			return rc;
	}
	return 0;
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
	struct flush_msg slot[2], *cur = NULL, *next;
	char *password = NULL;	/* kept for the fallback relay */
	enum db_status s;
	size_t i;
	long tried = 0;
	int ready;

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
	f.so = so;
	f.smtp = smtp_session_new(&so, &err);
	if (f.smtp == NULL) {
		log_warnx("flush: %s", err.data);
		res->status = errno == EINVAL ? FLUSH_CONFIG : FLUSH_IOERR;
		if (res->status == FLUSH_CONFIG)
			flush_pause(&f, STATE_PAUSE_CONFIG, err.data);
		goto out;
	}
	/*
	 * Each message is claimed and read before the one ahead of it is
	 * tried, so that the session can send its envelope behind that one's
	 * end of data (smtp.h: one round trip per message).
	 */
	i = 0;
	if ((ready = flush_next(&f, &q, &i, &tried, &slot[0])) == 1)
		cur = &slot[0];
	while (cur != NULL) {
		next = cur == &slot[0] ? &slot[1] : &slot[0];
		ready = flush_next(&f, &q, &i, &tried, next);
		/* A stop asked meanwhile ends the run after cur: next,
		 * claimed, is let go (what went ahead of it goes with the
		 * connection). */
		if (flush_try(&f, cur, ready == 1 ? next : NULL) == -1 ||
		    ready == -1 || (opt->stop && *opt->stop)) {
			if (ready == 1) {
				f.res->tried--;		/* never tried */
				flush_msg_release(next);
			}
			break;
		}
		cur = ready == 1 ? next : NULL;
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
	smtpconf_wipe(&password);
	smtp_session_free(f.smtp);
	queue_list_release(&q);
	db_close(&f.db);
	spool_close(&f.spool);
	buf_release(&err);
}

time_t
flush_next_try(const struct conf *conf)
{
	struct spool spool = SPOOL_INIT;
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
