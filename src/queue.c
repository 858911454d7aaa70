/*
 * queue.c - the messages of the spool and their delivery state (queue.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os_fs.h"
#include "queue.h"
#include "timeutil.h"

static int
queue_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct queue_entry *)a)->name,
	    ((const struct queue_entry *)b)->name);
}

int
queue_is_message(const char *name)
{
	size_t len = strlen(name), slen = strlen(QUEUE_REASON_SUFFIX);

	if (len == 0 || name[0] == '.' || len >= SPOOL_NAME_MAX ||
	    strchr(name, '/') != NULL)
		return 0;
	return !(len > slen && strcmp(name + len - slen,
	    QUEUE_REASON_SUFFIX) == 0);
}

int
queue_is_delivered_mark(const char *name)
{
	size_t len = strlen(name), slen = strlen(QUEUE_DELIVERED_SUFFIX);

	return name[0] == '.' && len > slen + 1 && len - slen - 1 <
	    SPOOL_NAME_MAX && strcmp(name + len - slen,
	    QUEUE_DELIVERED_SUFFIX) == 0;
}

int
queue_load_state(struct db *db, struct queue_list *l, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	struct queue_entry *e;
	size_t i;
	int rc;

	if (db == NULL || !db->has_state || l->n == 0)
		return 0;
	if (db_prepare(db, "SELECT attempts, next_try, last_code, last_error, "
	    "state = 'failed', state = 'held' FROM state.deliveries "
	    "WHERE spool_name = ?1", &st, err) != DB_OK)
		return -1;
	for (i = 0; i < l->n; i++) {
		e = &l->v[i];
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			continue;
		if (rc != SQLITE_ROW) {
			buf_printf(err, "state database: %s",
			    sqlite3_errmsg(db->h));
			sqlite3_finalize(st);
			return -1;
		}
		e->attempts = (long)sqlite3_column_int64(st, 0);
		if ((t = sqlite3_column_text(st, 1)) != NULL &&
		    time_parse_db((const char *)t, &e->next_try) == -1)
			e->next_try = 0;
		e->last_code = (long)sqlite3_column_int64(st, 2);
		e->failed = sqlite3_column_int(st, 4);
		e->held = sqlite3_column_int(st, 5);
		if (db_column_dup(st, 3, &e->last_error) == -1) {
			buf_printf(err, "out of memory");
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

int
queue_scan(struct spool *s, enum queue_where where, struct queue_list *l,
    struct buf *err)
{
	struct queue_entry *nv;
	struct dirent *de;
	struct stat st;
	size_t cap = 0;
	DIR *d;
	int dfd;

	l->v = NULL;
	l->n = l->ndelivered = 0;
	dfd = where == QUEUE_QUEUED ? s->queuefd : s->failedfd;
	if ((d = os_dir_list(dfd)) == NULL) {
		buf_printf(err, "spool: cannot read '%s/%s': %s", s->path,
		    where == QUEUE_QUEUED ? "queue" : "failed",
		    strerror(errno));
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!queue_is_message(de->d_name)) {
			if (queue_is_delivered_mark(de->d_name))
				l->ndelivered++;
			continue;
		}
		/* Gone since readdir (delivered meanwhile): not listed. */
		if (os_statat(dfd, de->d_name, &st) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (l->n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(l->v, cap * sizeof(*nv))) == NULL) {
				buf_printf(err, "out of memory");
				goto fail;
			}
			l->v = nv;
		}
		memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
		/* queue_is_message() checked that the name fits. */
		(void)snprintf(l->v[l->n].name, sizeof(l->v[l->n].name),
		    "%.*s", SPOOL_NAME_MAX - 1, de->d_name);
		l->v[l->n].where = where;
		l->v[l->n].size = st.st_size;
		l->v[l->n].mtime = st.st_mtime;
		l->n++;
	}
	if (errno != 0) {
		buf_printf(err, "spool: readdir: %s", strerror(errno));
		goto fail;
	}
	closedir(d);
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), queue_entry_cmp);
	return 0;
fail:
	closedir(d);
	queue_list_release(l);
	return -1;
}

void
queue_list_release(struct queue_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].last_error);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Runs one write statement binding (name, then the given values). */
static enum db_status
queue_write(struct db *db, const char *sql, const char *name,
    const char *next_try, long code, const char *reason, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;

	if ((s = db_prepare(db, sql, &st, err)) != DB_OK)
		return s;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 4) {
		db_bind_text(st, 2, next_try);
		sqlite3_bind_int64(st, 3, code);
		db_bind_text(st, 4, reason);
	}
	return db_step_once(db, st, "state database", err);
}

enum db_status
queue_record_attempt(struct db *db, const char *name, time_t next_try,
    long code, const char *reason, struct buf *err)
{
	char next[TIME_DB_LEN];

	time_format_db(next_try, next);
	return queue_write(db, "INSERT INTO state.deliveries (spool_name, "
	    "attempts, next_try, last_code, last_error) "
	    "VALUES (?1, 1, ?2, ?3, ?4) ON CONFLICT (spool_name) DO UPDATE "
	    "SET attempts = attempts + 1, next_try = excluded.next_try, "
	    "last_code = excluded.last_code, "
	    "last_error = excluded.last_error", name, next, code, reason, err);
}

enum db_status
queue_record_failed(struct db *db, const char *name, long code,
    const char *reason, struct buf *err)
{
	return queue_write(db, "INSERT INTO state.deliveries (spool_name, "
	    "state, attempts, next_try, last_code, last_error) "
	    "VALUES (?1, 'failed', 1, ?2, ?3, ?4) ON CONFLICT (spool_name) "
	    "DO UPDATE SET state = 'failed', attempts = attempts + 1, "
	    "next_try = NULL, last_code = excluded.last_code, "
	    "last_error = excluded.last_error", name, NULL, code, reason, err);
}

enum db_status
queue_set_held(struct db *db, const char *name, int held, struct buf *err)
{
	if (held)
		return queue_write(db, "INSERT INTO state.deliveries "
		    "(spool_name, state) VALUES (?1, 'held') ON CONFLICT "
		    "(spool_name) DO UPDATE SET state = 'held'", name, NULL, 0,
		    NULL, err);
	/* Released: tried by the next flush, whatever its backoff was. */
	return queue_write(db, "UPDATE state.deliveries SET state = 'queued', "
	    "next_try = NULL WHERE spool_name = ?1 AND state = 'held'", name,
	    NULL, 0, NULL, err);
}

enum db_status
queue_reset(struct db *db, const char *name, struct buf *err)
{
	return queue_write(db, "INSERT INTO state.deliveries (spool_name) "
	    "VALUES (?1) ON CONFLICT (spool_name) DO UPDATE SET state = "
	    "'queued', attempts = 0, next_try = NULL, last_code = NULL, "
	    "last_error = NULL", name, NULL, 0, NULL, err);
}

enum db_status
queue_forget(struct db *db, const char *name, struct buf *err)
{
	return queue_write(db, "DELETE FROM state.deliveries "
	    "WHERE spool_name = ?1", name, NULL, 0, NULL, err);
}

enum db_status
queue_prune(struct db *db, const struct queue_list *l, struct buf *err)
{
	sqlite3_stmt *st = NULL;
	enum db_status s;
	size_t i;
	int rc;

	/* The live names go into a temporary table; the rest goes. */
	if ((s = db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS live "
	    "(name TEXT PRIMARY KEY); DELETE FROM temp.live", err)) != DB_OK)
		return s;
	if ((s = db_prepare(db, "INSERT OR IGNORE INTO temp.live VALUES (?1)",
	    &st, err)) != DB_OK)
		return s;
	for (i = 0; i < l->n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, l->v[i].name, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			buf_printf(err, "state database: %s",
			    sqlite3_errmsg(db->h));
			sqlite3_finalize(st);
			return db_status_at(db->h, rc);
		}
	}
	sqlite3_finalize(st);
	return db_exec(db, "DELETE FROM state.deliveries WHERE state IN "
	    "('queued', 'held') AND spool_name NOT IN (SELECT name FROM "
	    "temp.live)", err);
}
