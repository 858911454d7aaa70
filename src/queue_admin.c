/*
 * queue_admin.c - show, hold, release, delete and requeue one message of
 * the spool (queue_admin.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os_fs.h"
#include "queue.h"
#include "queue_admin.h"
#include "state.h"
#include "timeutil.h"

#define QUEUE_ADMIN_BY	"by the administrator"
#define QUEUE_SHOW_HEAD	(64 * 1024)	/* the headers shown, at most */

const char *
queue_action_name(enum queue_action a)
{
	switch (a) {
	case QUEUE_HOLD:
		return "hold";
	case QUEUE_RELEASE:
		return "release";
	case QUEUE_DELETE:
		return "delete";
	case QUEUE_REQUEUE:
		return "requeue";
	}
	return "?";
}

/* Where message `name` is: queue/ or failed/.  0, or -1 with err. */
static int
queue_locate(struct spool *s, const char *name, struct queue_entry *e,
    struct buf *err)
{
	struct stat st;

	memset(e, 0, sizeof(*e));
	if (!queue_is_message(name)) {
		buf_printf(err, "\"%s\" is not the name of a message "
		    "(sendreports queue lists them)", name);
		return -1;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	if (os_statat(s->queuefd, name, &st) == 0 &&
	    S_ISREG(st.st_mode))
		e->where = QUEUE_QUEUED;
	else if (os_statat(s->failedfd, name, &st) == 0 &&
	    S_ISREG(st.st_mode))
		e->where = QUEUE_FAILED;
	else {
		buf_printf(err, "no message %s in queue/ or failed/", name);
		return -1;
	}
	e->size = st.st_size;
	e->mtime = st.st_mtime;
	return 0;
}

static int
queue_dirfd(const struct spool *s, const struct queue_entry *e)
{
	return e->where == QUEUE_QUEUED ? s->queuefd : s->failedfd;
}

/* The message's delivery state, from the state database (may be NULL). */
static int
queue_entry_state(struct db *db, struct queue_entry *e, struct buf *err)
{
	struct queue_list one;

	one.v = e;
	one.n = 1;
	one.ndelivered = 0;
	return db ? queue_load_state(db, &one, err) : 0;
}

/* The claim flush takes: a message being delivered is not touched. */
static int
queue_claim(struct spool *s, const struct queue_entry *e, struct buf *err)
{
	int fd;

	fd = os_openat(queue_dirfd(s, e), e->name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW, 0);
	if (fd == -1) {
		buf_printf(err, "%s: %s", e->name, strerror(errno));
		return -1;
	}
	if (os_lock(fd, OS_LOCK_EX | OS_LOCK_NB) == -1) {
		buf_printf(err, "%s is being delivered by a flush: try again "
		    "in a moment", e->name);
		close(fd);
		return -1;
	}
	return fd;
}

/* The run log line of the action, with the state change, in one
 * transaction. */
static int
queue_record(struct db *db, enum queue_action a, const struct queue_entry *e,
    const struct spool_envelope *env, const char *now, struct buf *err)
{
	static const char *const done[] = { "held", "released", "deleted",
	    "requeued" };
	enum db_status s;

	if ((s = db_begin(db, err)) != DB_OK)
		return -1;
	switch (a) {
	case QUEUE_HOLD:
	case QUEUE_RELEASE:
		s = queue_set_held(db, e->name, a == QUEUE_HOLD, err);
		break;
	case QUEUE_DELETE:
		s = queue_forget(db, e->name, err);
		break;
	case QUEUE_REQUEUE:
		s = queue_reset(db, e->name, err);
		break;
	}
	if (s == DB_OK)
		s = state_log(db, env->report_id, env->occurrence, now, done[a],
		    env->message_id, QUEUE_ADMIN_BY, err);
	if (s == DB_OK)
		s = db_exec(db, "COMMIT", err);
	if (s != DB_OK) {
		if (!sqlite3_get_autocommit(db->h))
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* Removes failed/NAME.reason, if any. */
static int
queue_unlink_reason(struct spool *s, const char *name, struct buf *err)
{
	char rname[SPOOL_NAME_MAX + 16];

	snprintf(rname, sizeof(rname), "%s%s", name, QUEUE_REASON_SUFFIX);
	if (os_unlinkat(s->failedfd, rname) == -1 && errno != ENOENT) {
		buf_printf(err, "spool: failed/%s: %s", rname,
		    strerror(errno));
		return -1;
	}
	return 0;
}

enum queue_admin_status
queue_act(struct spool *s, struct db *db, enum queue_action a,
    const char *name, const char *now, struct buf *err)
{
	struct spool_envelope env;
	struct queue_entry e;
	struct buf why;
	enum queue_admin_status rc = QUEUE_ADMIN_IOERR;
	off_t body;
	int fd = -1, dfd;

	memset(&env, 0, sizeof(env));
	buf_init(&why, 1024);
	if (queue_locate(s, name, &e, err) == -1) {
		rc = QUEUE_ADMIN_NOTFOUND;
		goto out;
	}
	if (queue_entry_state(db, &e, err) == -1)
		goto out;
	rc = QUEUE_ADMIN_REFUSED;
	if ((a == QUEUE_HOLD || a == QUEUE_RELEASE) &&
	    e.where != QUEUE_QUEUED) {
		buf_printf(err, "%s is in failed/: sendreports queue requeue "
		    "%s puts it back", name, name);
		goto out;
	}
	if (a == QUEUE_RELEASE && !e.held) {
		buf_printf(err, "%s is not on hold", name);
		goto out;
	}
	if (a == QUEUE_REQUEUE && e.where != QUEUE_FAILED) {
		buf_printf(err, "%s is in queue/ already", name);
		goto out;
	}
	rc = QUEUE_ADMIN_BUSY;
	if ((fd = queue_claim(s, &e, err)) == -1)
		goto out;
	rc = QUEUE_ADMIN_IOERR;
	/* A damaged file has no envelope to say whose it is: acted on all
	 * the same, its run log line without a report. */
	(void)spool_read_envelope(fd, &env, &body, &why);
	if (queue_record(db, a, &e, &env, now, err) == -1)
		goto out;
	dfd = queue_dirfd(s, &e);
	switch (a) {
	case QUEUE_HOLD:
	case QUEUE_RELEASE:
		break;
	case QUEUE_DELETE:
		if (os_unlinkat(dfd, name) == -1 && errno != ENOENT) {
			buf_printf(err, "spool: %s: %s", name,
			    strerror(errno));
			goto out;
		}
		if ((e.where == QUEUE_FAILED &&
		    queue_unlink_reason(s, name, err) == -1))
			goto out;
		if (os_dir_sync(dfd) == -1) {
			buf_printf(err, "spool: fsync: %s", strerror(errno));
			goto out;
		}
		break;
	case QUEUE_REQUEUE:
		if (spool_move(s, s->failedfd, s->queuefd, name, err) == -1 ||
		    queue_unlink_reason(s, name, err) == -1)
			goto out;
		if (os_dir_sync(s->failedfd) == -1) {
			buf_printf(err, "spool: fsync of failed/: %s",
			    strerror(errno));
			goto out;
		}
		break;
	}
	rc = QUEUE_ADMIN_OK;
out:
	if (fd != -1)
		close(fd);	/* drops the claim */
	free(e.last_error);
	spool_envelope_release(&env);
	buf_release(&why);
	return rc;
}

/* A time of the state database or a file, in zone. */
static void
queue_time(time_t t, const char *zone, char *out, size_t size)
{
	if (time_format_local(t, zone, out, size) == -1) {
		char db[TIME_DB_LEN];

		time_format_db(t, db);
		snprintf(out, size, "%s UTC", db);
	}
}

enum queue_admin_status
queue_show(FILE *fp, struct spool *s, struct db *db, const char *name,
    const char *zone, struct buf *err)
{
	struct spool_envelope env;
	struct queue_entry e;
	struct buf why;
	char when[64], head[QUEUE_SHOW_HEAD + 1], *end;
	off_t body = 0;
	ssize_t n;
	size_t i;
	int fd = -1;
	enum queue_admin_status rc = QUEUE_ADMIN_NOTFOUND;

	memset(&env, 0, sizeof(env));
	buf_init(&why, 4096);
	if (queue_locate(s, name, &e, err) == -1)
		goto out;
	rc = QUEUE_ADMIN_IOERR;
	if (queue_entry_state(db, &e, err) == -1)
		goto out;
	fd = os_openat(queue_dirfd(s, &e), name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW, 0);
	if (fd == -1) {
		buf_printf(err, "%s: %s", name, strerror(errno));
		goto out;
	}
	fprintf(fp, "name:        %s\n", name);
	fprintf(fp, "state:       %s\n", e.where == QUEUE_FAILED ? "failed" :
	    e.held ? "held" : e.attempts ? "deferred" : "queued");
	fprintf(fp, "size:        %lld\n", (long long)e.size);
	if (spool_read_envelope(fd, &env, &body, &why) == -1)
		fprintf(fp, "envelope:    damaged: %s\n", why.data);
	else {
		fprintf(fp, "report:      %lld\n", env.report_id);
		fprintf(fp, "occurrence:  %s\n", env.occurrence ?
		    env.occurrence : "-");
		fprintf(fp, "message-id:  %s\n", env.message_id);
		fprintf(fp, "spooled:     %s\n", env.created ? env.created :
		    "-");
		fprintf(fp, "sender:      <%s>\n", env.sender);
		for (i = 0; i < env.nrcpts; i++)
			fprintf(fp, "recipient:   <%s>\n", env.rcpts[i]);
	}
	fprintf(fp, "attempts:    %ld\n", e.attempts);
	if (e.where == QUEUE_QUEUED && !e.held) {
		if (e.next_try == 0)
			snprintf(when, sizeof(when), "now");
		else
			queue_time(e.next_try, zone, when, sizeof(when));
		fprintf(fp, "next try:    %s\n", when);
	}
	if (e.last_error)
		fprintf(fp, "last reply:  %s\n", e.last_error);
	if (e.where == QUEUE_FAILED) {
		char rname[SPOOL_NAME_MAX + 16], text[4096];
		int rfd;

		snprintf(rname, sizeof(rname), "%s%s", name,
		    QUEUE_REASON_SUFFIX);
		rfd = os_openat(s->failedfd, rname, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW, 0);
		if (rfd != -1 && (n = read(rfd, text, sizeof(text) - 1)) > 0) {
			text[n] = '\0';
			text[strcspn(text, "\n")] = ' ';
			fprintf(fp, "reason:      %s", text);
			if (text[n - 1] != '\n')
				fputc('\n', fp);
		}
		if (rfd != -1)
			close(rfd);
	}
	/* The message's headers: what its reader will see first. */
	fputc('\n', fp);
	n = os_pread(fd, head, QUEUE_SHOW_HEAD, body);
	if (n > 0) {
		head[n] = '\0';
		if ((end = strstr(head, "\r\n\r\n")) != NULL)
			end[2] = '\0';
		for (i = 0; head[i]; i++)
			if (head[i] != '\r')
				fputc(head[i], fp);
	}
	if (ferror(fp))
		buf_printf(err, "write: %s", strerror(errno));
	else
		rc = QUEUE_ADMIN_OK;
out:
	if (fd != -1)
		close(fd);
	free(e.last_error);
	spool_envelope_release(&env);
	buf_release(&why);
	return rc;
}
