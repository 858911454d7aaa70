/*
 * health.c - the checks of `status` (health.h).
 *
 * Each check that finds something wrong adds one problem: a code, what is
 * wrong and what to do, both one line, naming the file or the command.
 * Everything is opened read-only: status is run by monitoring, maybe as
 * another user, and must change nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "health.h"
#include "os_fs.h"
#include "os_proc.h"
#include "queue.h"
#include "report.h"
#include "spool.h"

#define HEALTH_TEXT_MAX	8192

struct health_ctx {
	struct health		*h;
	const struct conf	*conf;
	time_t			 now;
	struct buf		 msg;	/* the problem being written */
	struct buf		 fix;
	struct buf		 err;	/* a module's error */
	int			 nomem;
};

/* Adds the problem in c->msg and c->fix, and empties them. */
static void
health_add(struct health_ctx *c, const char *code)
{
	struct health_problem *nv, *p;

	nv = realloc(c->h->v, (c->h->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		c->nomem = 1;
		goto out;
	}
	c->h->v = nv;
	p = &nv[c->h->n];
	p->code = code;
	p->message = strdup(c->msg.data);
	p->fix = strdup(c->fix.data);
	if (p->message == NULL || p->fix == NULL) {
		free(p->message);
		free(p->fix);
		c->nomem = 1;
		goto out;
	}
	c->h->n++;
out:
	buf_reset(&c->msg);
	buf_reset(&c->fix);
}

/* The file conf_load() reads when not told: conf.h. */
static const char *
health_config_path(const char *conf_arg)
{
	const char *env = getenv("SENDREPORTS_CONFIG");

	if (conf_arg != NULL)
		return conf_arg;
	return env != NULL && *env != '\0' ? env : CONF_DEFAULT_PATH;
}

/* A configuration that did not load: nothing else can be looked at. */
static void
health_config_error(struct health_ctx *c, const char *conf_arg,
    const char *conf_error)
{
	const char *path = health_config_path(conf_arg);

	if (access(path, F_OK) == -1 && errno == ENOENT) {
		buf_printf(&c->msg, "the configuration file %s does not exist",
		    path);
		buf_printf(&c->fix, "create it (etc/sendreports.ini shows "
		    "every key), or name the right one with -c FILE or "
		    "$SENDREPORTS_CONFIG");
		health_add(c, HEALTH_NO_CONFIG);
		return;
	}
	buf_printf(&c->msg, "the configuration does not load: %s",
	    conf_error);
	if (access(path, R_OK) == -1 && errno == EACCES)
		buf_printf(&c->fix, "run status as the user that runs "
		    "sendreports: %s is private to it", path);
	else
		buf_printf(&c->fix, "correct %s (\"sendreports check\" "
		    "validates it)", path);
	health_add(c, HEALTH_CONFIG_ERROR);
}

/* Can send read the due reports?  It is the query it runs. */
static void
health_reports(struct health_ctx *c)
{
	struct db db = { 0 };
	char now[TIME_DB_LEN];
	long long *ids = NULL;
	size_t n = 0;
	enum db_status s;

	time_format_db(c->now, now);
	buf_reset(&c->err);
	s = db_open(&db, c->conf, DB_READONLY, &c->err);
	if (s == DB_OK)
		s = report_due_ids(&db, now, &ids, &n, &c->err);
	if (s == DB_OK) {
		c->h->due = n;
	} else if (s == DB_NOTFOUND) {
		buf_printf(&c->msg, "the reports database %s does not exist",
		    c->conf->db_path);
		buf_printf(&c->fix, "run \"sendreports initdb\" to create it, "
		    "or set [database] path%s%s to the sync job's file",
		    c->conf->path ? " in " : "",
		    c->conf->path ? c->conf->path : "");
		health_add(c, HEALTH_NO_DATABASE);
	} else {
		buf_printf(&c->msg, "the reports database cannot be read: %s",
		    c->err.data);
		buf_printf(&c->fix, "make %s the sync job's SQLite file, "
		    "readable by this user (\"sendreports check\" says more)",
		    c->conf->db_path);
		health_add(c, HEALTH_DATABASE_ERROR);
	}
	free(ids);
	db_close(&db);
}

/* What to do about a spool this user cannot read. */
static void
health_unreadable(struct health_ctx *c, const char *what)
{
	buf_printf(&c->msg, "%s", what);
	buf_printf(&c->fix, "run status as the user that runs sendreports "
	    "(the spool is private to it), or correct the owner of %s",
	    c->conf->spool_dir);
	health_add(c, HEALTH_SPOOL_UNREADABLE);
}

static void
health_spool_problem(void *ctx, const char *problem, const char *fix)
{
	struct health_ctx *c = ctx;

	buf_puts(&c->msg, problem);
	buf_printf(&c->fix, "%s; the commands refuse it until then", fix);
	health_add(c, HEALTH_SPOOL_UNSAFE);
}

/*
 * The spool and its queue.  Returns 0 when it was read, 1 when it does
 * not exist (nor, then, the state database), -1 when it cannot be read.
 */
static int
health_spool(struct health_ctx *c, struct queue_list *q,
    struct queue_list *failed)
{
	struct spool s = SPOOL_INIT;
	size_t i;
	int rc = -1;

	/* What the commands would refuse (main.c); root reads any spool. */
	spool_check(c->conf->spool_dir, os_euid(), !os_is_superuser() ?
	    SPOOL_CHECK_OWNER : 0, health_spool_problem, c);
	buf_reset(&c->err);
	if (spool_open(&s, c->conf->spool_dir, 0, &c->err) == -1) {
		if (errno == ENOENT) {
			if (access(c->conf->spool_dir, F_OK) == -1)
				buf_printf(&c->msg, "the spool directory %s "
				    "does not exist", c->conf->spool_dir);
			else
				buf_printf(&c->msg, "the spool is incomplete: "
				    "%s", c->err.data);
			buf_printf(&c->fix, "run \"sendreports initdb\"");
			health_add(c, HEALTH_NO_SPOOL);
			rc = 1;
		} else
			health_unreadable(c, c->err.data);
		goto out;
	}
	if (queue_scan(&s, QUEUE_QUEUED, q, &c->err) == -1 ||
	    queue_scan(&s, QUEUE_FAILED, failed, &c->err) == -1) {
		health_unreadable(c, c->err.data);
		goto out;
	}
	{
		/* Readable, but nothing can be spooled or delivered. */
		if (os_fs_readonly(c->conf->spool_dir) == 1) {
			buf_printf(&c->msg, "the spool %s is on a read-only "
			    "file system: nothing can be spooled, and flush "
			    "cannot remove what it would deliver",
			    c->conf->spool_dir);
			buf_printf(&c->fix, "remount it read-write");
			health_add(c, HEALTH_SPOOL_UNSAFE);
		}
	}
	c->h->queued = q->n;
	c->h->failed = failed->n;
	for (i = 0; i < q->n; i++)
		if (c->h->oldest == 0 || q->v[i].mtime < c->h->oldest)
			c->h->oldest = q->v[i].mtime;
	rc = 0;
out:
	spool_close(&s);
	return rc;
}

/* A state database that cannot be read: what it costs, what to do. */
static void
health_damaged(struct health_ctx *c, const char *path, enum db_status s)
{
	if (access(path, R_OK) == -1 && errno == EACCES) {
		buf_reset(&c->err);
		buf_printf(&c->err, "%s: %s", path, strerror(EACCES));
		health_unreadable(c, c->err.data);
		return;
	}
	if (os_fs_readonly(c->conf->spool_dir) == 1) {
		/* A WAL database cannot even be read there: not damage. */
		buf_printf(&c->msg, "the state database %s cannot be opened: "
		    "the spool %s is on a read-only file system (%s)", path,
		    c->conf->spool_dir, c->err.data);
		buf_printf(&c->fix, "remount it read-write: no command can "
		    "spool or deliver until then");
		health_add(c, HEALTH_STATE_DAMAGED);
		return;
	}
	if (s == DB_TEMPFAIL) {
		/* Locked for longer than busy_timeout_ms: not damage. */
		buf_printf(&c->msg, "the state database %s is busy: %s",
		    path, c->err.data);
		buf_printf(&c->fix, "run status again; if it stays busy, look "
		    "for a process holding %s", path);
		health_add(c, HEALTH_STATE_DAMAGED);
		return;
	}
	buf_printf(&c->msg, "the state database %s is damaged: %s", path,
	    c->err.data);
	buf_printf(&c->fix, "stop sendreports (cron, daemon), keep a copy, "
	    "and recover it (sqlite3 %s .recover | sqlite3 new.db); moved "
	    "aside it is made anew, but an occurrence it recorded may then "
	    "be sent again", path);
	health_add(c, HEALTH_STATE_DAMAGED);
}

/* A fact of state.meta into out ("" when absent). */
static enum db_status
health_meta(struct db *db, const char *key, char *out, size_t size,
    struct buf *err)
{
	enum db_status s = state_meta_get(db, key, out, size, err);

	return s == DB_NOTFOUND ? DB_OK : s;
}

/*
 * The state database: the last runs, the pause, the clock guard's mark.
 * Returns 0 when it could be read (or does not exist yet).
 */
static int
health_state(struct health_ctx *c, struct db *db)
{
	char path[4200];
	enum db_status s;

	snprintf(path, sizeof(path), "%s/%s", c->conf->spool_dir,
	    DB_STATE_FILE);
	buf_reset(&c->err);
	if ((s = db_open(db, c->conf, DB_STATE_ONLY | DB_READONLY,
	    &c->err)) != DB_OK)
		goto damaged;
	if (!db->has_state)
		return 0;	/* nothing was ever spooled */
	if ((s = state_check(db, &c->err)) != DB_OK ||
	    (s = state_pause_get(db, &c->h->pause, &c->err)) != DB_OK ||
	    (s = health_meta(db, "last_send", c->h->last_send,
	    sizeof(c->h->last_send), &c->err)) != DB_OK ||
	    (s = health_meta(db, "last_flush", c->h->last_flush,
	    sizeof(c->h->last_flush), &c->err)) != DB_OK)
		goto damaged;
	return 0;
damaged:
	health_damaged(c, path, s);
	db_close(db);
	return -1;
}

/* The queue: failed messages, a message stuck, a pause to be ended. */
static void
health_queue(struct health_ctx *c)
{
	const struct state_pause *p = &c->h->pause;
	struct health *h = c->h;
	char t[TIME_DB_LEN];

	if (h->failed) {
		buf_printf(&c->msg, "%zu failed message(s) in %s/failed",
		    h->failed, c->conf->spool_dir);
		buf_printf(&c->fix, "\"sendreports queue\" shows why each "
		    "was refused (its report's last_error too); remove them "
		    "from %s/failed once dealt with", c->conf->spool_dir);
		health_add(c, HEALTH_FAILED_MESSAGES);
	}
	if (h->oldest && c->now - h->oldest > HEALTH_STUCK_FACTOR *
	    c->conf->backoff_max_s) {
		time_format_db(h->oldest, t);
		buf_printf(&c->msg, "the oldest message has waited since %s "
		    "UTC, past its retries", t);
		buf_printf(&c->fix, "\"sendreports queue\" shows the last "
		    "error, \"sendreports check --smtp\" tests the server, "
		    "\"sendreports flush --force\" tries at once");
		health_add(c, HEALTH_QUEUE_STUCK);
	}
	/* A pause counts when a message waits on it and a person must end
	 * it; the network comes back by itself. */
	if (p->until == 0 || h->queued == 0 || p->kind[0] == '\0' ||
	    strcmp(p->kind, STATE_PAUSE_NETWORK) == 0)
		return;
	time_format_db(p->until, t);
	buf_printf(&c->msg, "the last flush stopped on a %s failure: %s; the "
	    "queue is paused until %s UTC", p->kind, p->reason, t);
	if (strcmp(p->kind, STATE_PAUSE_TLS) == 0)
		buf_puts(&c->fix, "check [smtp] url, tls and ca_file against "
		    "the server's certificate");
	else if (strcmp(p->kind, STATE_PAUSE_AUTH) == 0)
		buf_puts(&c->fix, "check [smtp] username and password_file");
	else
		buf_puts(&c->fix, "correct [smtp]");
	buf_printf(&c->fix, "%s%s with \"sendreports check --smtp\", then "
	    "\"sendreports flush --force\"", c->conf->path ? " in " : "",
	    c->conf->path ? c->conf->path : "");
	health_add(c, HEALTH_QUEUE_PAUSED);
}

/* The clock guard, judged as send would judge the real clock. */
static void
health_clock(struct health_ctx *c, struct db *db)
{
	buf_reset(&c->err);
	if (clock_inspect(db, c->now, c->conf->require_sync, &c->h->clock,
	    &c->err) != DB_OK)
		return;		/* health_state() saw the database fail */
	c->h->clock_known = 1;
	if (c->h->clock.hold == CLOCK_HOLD_NONE)
		return;
	buf_puts(&c->msg, "the clock is not trusted: ");
	clock_explain(&c->h->clock, &c->msg);
	clock_advise(&c->h->clock, &c->fix);
	health_add(c, HEALTH_CLOCK_UNTRUSTED);
}

int
health_check(struct health *h, const struct conf *conf, const char *conf_arg,
    const char *conf_error, time_t now)
{
	struct health_ctx c;
	struct queue_list q = { NULL, 0, 0 }, failed = { NULL, 0, 0 };
	struct db db = { 0 };

	memset(h, 0, sizeof(*h));
	memset(&c, 0, sizeof(c));
	c.h = h;
	c.conf = conf;
	c.now = now;
	buf_init(&c.msg, HEALTH_TEXT_MAX);
	buf_init(&c.fix, HEALTH_TEXT_MAX);
	buf_init(&c.err, HEALTH_TEXT_MAX);
	if (conf == NULL) {
		health_config_error(&c, conf_arg, conf_error);
		goto out;
	}
	h->config = conf->path;
	if (conf->path == NULL) {
		buf_printf(&c.msg, "no configuration file: %s does not exist, "
		    "so the built-in defaults are in force", CONF_DEFAULT_PATH);
		buf_printf(&c.fix, "write it (etc/sendreports.ini shows every "
		    "key), or name one with -c FILE or $SENDREPORTS_CONFIG");
		health_add(&c, HEALTH_NO_CONFIG);
	}
	health_reports(&c);
	/* Without a readable state database the clock cannot be judged:
	 * its mark is there. */
	if (health_spool(&c, &q, &failed) != -1 &&
	    health_state(&c, &db) == 0) {
		health_queue(&c);
		health_clock(&c, &db);
	}
out:
	queue_list_release(&q);
	queue_list_release(&failed);
	db_close(&db);
	buf_release(&c.msg);
	buf_release(&c.fix);
	buf_release(&c.err);
	return c.nomem ? -1 : 0;
}

void
health_release(struct health *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].message);
		free(h->v[i].fix);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}
