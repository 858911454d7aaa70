/*
 * spool.c - the queue directory of spool.h: durable enqueue, locks, and
 * the envelope at the top of each spool file.  Whether the spool is
 * private (its modes and owners) is spool_check.c's.
 *
 * The commit point of a message is one link() into queue/: before it the
 * message does not exist for anyone, after it the whole file is on disk
 * (fsync'ed before the link, and the directory fsync'ed after it, which
 * matters on SD cards that lose power).  link() rather than rename(): it
 * refuses to replace a message already queued under the same name, which
 * is how a report occurrence is spooled at most once.  The directories
 * themselves are made durable in their parents when spool_open makes
 * them, before anything is committed into them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "os_fs.h"
#include "spool.h"

static int
spool_open_subdir(struct spool *s, const char *name, int create, int *made,
    struct buf *err)
{
	int fd;

	if (create && os_mkdirat(s->dirfd, name, 0700) == -1) {
		if (errno != EEXIST) {
			buf_printf(err, "spool: cannot create '%s/%s': %s",
			    s->path, name, strerror(errno));
			return -1;
		}
	} else if (create)
		*made = 1;
	fd = os_dir_openat(s->dirfd, name);
	if (fd == -1)
		buf_printf(err, "spool: cannot open '%s/%s': %s", s->path,
		    name, strerror(errno));
	return fd;
}

/*
 * Makes the entry of a directory just created durable: fsync of the
 * directory holding it.  Without it a power cut may take the new
 * directory away, with every message committed into it meanwhile.
 */
static int
spool_sync_parent(const char *dir, struct buf *err)
{
	char parent[PATH_MAX];
	size_t len = strlen(dir);
	int fd, rc = 0;

	/* The parent of "a/b/" is "a", of "b" ".", of "/b" "/". */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	while (len > 0 && dir[len - 1] != '/')
		len--;
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len >= sizeof(parent)) {
		errno = ENAMETOOLONG;
		buf_printf(err, "spool: '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (len == 0)
		snprintf(parent, sizeof(parent), ".");
	else
		snprintf(parent, sizeof(parent), "%.*s", (int)len, dir);
	if ((fd = os_dir_open(parent)) == -1 || os_dir_sync(fd) == -1) {
		buf_printf(err, "spool: fsync of '%s': %s", parent,
		    strerror(errno));
		rc = -1;
	}
	os_dir_close(fd);
	return rc;
}

int
spool_open(struct spool *s, const char *dir, int create, struct buf *err)
{
	int saved, made = 0;

	s->dirfd = s->tmpfd = s->queuefd = s->failedfd = -1;
	s->iobuf = NULL;
	s->iobuf_lent = 0;
	s->pid = (long)getpid();
	if ((s->path = strdup(dir)) == NULL) {
		buf_printf(err, "spool: out of memory");
		return -1;
	}
	if (create && os_mkdir(dir, 0700) == -1) {
		if (errno != EEXIST) {
			buf_printf(err, "spool: cannot create '%s': %s", dir,
			    strerror(errno));
			goto fail;
		}
	} else if (create && spool_sync_parent(dir, err) == -1)
		goto fail;
	s->dirfd = os_dir_open(dir);
	if (s->dirfd == -1) {
		buf_printf(err, "spool: cannot open '%s': %s", dir,
		    strerror(errno));
		goto fail;
	}
	if ((s->tmpfd = spool_open_subdir(s, "tmp", create, &made,
	    err)) == -1 ||
	    (s->queuefd = spool_open_subdir(s, "queue", create, &made,
	    err)) == -1 ||
	    (s->failedfd = spool_open_subdir(s, "failed", create, &made,
	    err)) == -1)
		goto fail;
	/* The subdirectories made, durable before a message goes in. */
	if (made && os_dir_sync(s->dirfd) == -1) {
		buf_printf(err, "spool: fsync of '%s': %s", dir,
		    strerror(errno));
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	spool_close(s);
	errno = saved;
	return -1;
}

void
spool_close(struct spool *s)
{
	int *fds[] = { &s->dirfd, &s->tmpfd, &s->queuefd, &s->failedfd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		os_dir_close(*fds[i]);
		*fds[i] = -1;
	}
	free(s->path);
	s->path = NULL;
	free(s->iobuf);
	s->iobuf = NULL;
	s->iobuf_lent = 0;
}

int
spool_lock(struct spool *s, const char *name, struct buf *err)
{
	int fd;

	fd = os_openat(s->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		buf_printf(err, "spool: cannot open '%s/%s': %s", s->path,
		    name, strerror(errno));
		return -1;
	}
	if (os_lock(fd, OS_LOCK_EX | OS_LOCK_NB) == -1) {
		int saved = errno;

		close(fd);
		if (saved == EWOULDBLOCK)
			return -2;
		errno = saved;
		buf_printf(err, "spool: cannot lock '%s/%s': %s", s->path,
		    name, strerror(errno));
		return -1;
	}
	return fd;
}

int
spool_clean_tmp(struct spool *s, struct buf *err)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	if ((d = os_dir_list(s->tmpfd)) == NULL) {
		buf_printf(err, "spool: cannot read '%s/tmp': %s", s->path,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (os_unlinkat(s->tmpfd, de->d_name) == 0) {
			log_debug("spool: removed '%s/tmp/%s' left by a "
			    "crashed run", s->path, de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

/* Gives f's buffer back to the spool, or frees it when it was f's own. */
static void
spool_file_iobuf_release(struct spool *s, struct spool_file *f)
{
	if (f->iobuf != NULL && f->iobuf == s->iobuf)
		s->iobuf_lent = 0;
	else
		free(f->iobuf);
	f->iobuf = NULL;
}

int
spool_file_create(struct spool *s, struct spool_file *f, struct buf *err)
{
	static unsigned counter;
	int fd = -1, tries;

	f->fp = NULL;
	f->iobuf = NULL;
	for (tries = 0; tries < 100; tries++) {
		snprintf(f->tmpname, sizeof(f->tmpname), "%ld.%u",
		    s->pid, counter++);
		/* Read and written: spool_commit() reads the envelope's
		 * first line back before it fills in the length. */
		fd = os_openat(s->tmpfd, f->tmpname,
		    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		buf_printf(err, "spool: cannot create a file in '%s/tmp': %s",
		    s->path, strerror(errno));
		f->tmpname[0] = '\0';
		return -1;
	}
	if ((f->fp = fdopen(fd, "w")) == NULL) {
		int saved = errno;

		close(fd);
		os_unlinkat(s->tmpfd, f->tmpname);
		f->tmpname[0] = '\0';
		errno = saved;
		buf_printf(err, "spool: fdopen: %s", strerror(errno));
		return -1;
	}
	/* The spool's buffer, or one of the file's own when it is lent out;
	 * without either, stdio's own buffer: slower, as right. */
	if (s->iobuf == NULL)
		s->iobuf = malloc(SPOOL_IOBUF);
	if (s->iobuf != NULL && !s->iobuf_lent) {
		f->iobuf = s->iobuf;
		s->iobuf_lent = 1;
	} else
		f->iobuf = malloc(SPOOL_IOBUF);
	if (f->iobuf != NULL &&
	    setvbuf(f->fp, f->iobuf, _IOFBF, SPOOL_IOBUF) != 0)
		spool_file_iobuf_release(s, f);
	return 0;
}

void
spool_file_release(struct spool *s, struct spool_file *f)
{
	if (f->fp)
		fclose(f->fp);
	f->fp = NULL;
	spool_file_iobuf_release(s, f);	/* after fclose, which may use it */
}

void
spool_file_discard(struct spool *s, struct spool_file *f)
{
	spool_file_release(s, f);
	if (f->tmpname[0])
		os_unlinkat(s->tmpfd, f->tmpname);
	f->tmpname[0] = '\0';
}

size_t
spool_envelope_size(const struct spool_envelope *e)
{
	size_t n, i;

	/* As spool_write_envelope() writes it, with room for the numbers. */
	n = sizeof(SPOOL_MAGIC) + 64 + 64;
	if (e->occurrence)
		n += strlen(e->occurrence) + 16;
	n += strlen(e->message_id) + strlen(e->created) + strlen(e->sender) +
	    48;
	for (i = 0; i < e->nrcpts; i++)
		n += strlen(e->rcpts[i]) + 13;
	return n;
}

int
spool_write_envelope(FILE *fp, const struct spool_envelope *e)
{
	size_t i;

	/* A message that is no report's occurrence (a notice) has none. */
	if (fprintf(fp, SPOOL_LENGTH_LINE "%0*d\r\nReport-Id: %lld\r\n",
	    SPOOL_LENGTH_DIGITS, 0, e->report_id) < 0 ||
	    (e->occurrence && fprintf(fp,
	    "Occurrence: %s\r\n", e->occurrence) < 0) ||
	    fprintf(fp, "Message-Id: %s\r\nCreated: %s\r\nSender: %s\r\n",
	    e->message_id, e->created, e->sender) < 0)
		return -1;
	for (i = 0; i < e->nrcpts; i++)
		if (fprintf(fp, "Recipient: %s\r\n", e->rcpts[i]) < 0)
			return -1;
	return fputs("\r\n", fp) < 0 ? -1 : 0;
}

/* The name of the spool directory open on fd, for messages. */
static const char *
spool_dir_name(const struct spool *s, int fd)
{
	return fd == s->queuefd ? "queue" : fd == s->failedfd ? "failed" :
	    fd == s->tmpfd ? "tmp" : "?";
}

int
spool_move(struct spool *s, int fromfd, int tofd, const char *name,
    struct buf *err)
{
	if (os_linkat(fromfd, name, tofd, name) == -1 && (errno != EEXIST ||
	    os_same_file(fromfd, name, tofd, name) != 1)) {
		buf_printf(err, "spool: moving %s from %s/ to %s/: %s", name,
		    spool_dir_name(s, fromfd), spool_dir_name(s, tofd),
		    strerror(errno));
		return -1;
	}
	/* In its new place for good before it leaves the old one. */
	if (os_dir_sync(tofd) == -1) {
		buf_printf(err, "spool: fsync of %s/: %s",
		    spool_dir_name(s, tofd), strerror(errno));
		return -1;
	}
	if (os_unlinkat(fromfd, name) == -1 && errno != ENOENT) {
		buf_printf(err, "spool: %s/%s: %s", spool_dir_name(s, fromfd),
		    name, strerror(errno));
		return -1;
	}
	if (os_dir_sync(fromfd) == -1) {
		buf_printf(err, "spool: fsync of %s/: %s",
		    spool_dir_name(s, fromfd), strerror(errno));
		return -1;
	}
	return 0;
}

void
spool_envelope_release(struct spool_envelope *e)
{
	size_t i;

	free(e->occurrence);
	free(e->message_id);
	free(e->created);
	free(e->sender);
	for (i = 0; i < e->nrcpts; i++)
		free(e->rcpts[i]);
	free(e->rcpts);
	memset(e, 0, sizeof(*e));
}

static int
spool_envelope_field(struct spool_envelope *e, const char *line,
    long long *length, struct buf *err)
{
	const char *colon = strchr(line, ':');
	char **slot = NULL, *v, **nr, *end;
	size_t klen;

	if (colon == NULL || colon[1] != ' ') {
		buf_printf(err, "bad envelope line \"%.40s\"", line);
		return -1;
	}
	klen = (size_t)(colon - line);
	v = (char *)colon + 2;
	if (klen == 9 && strncmp(line, "Report-Id", 9) == 0) {
		errno = 0;
		e->report_id = strtoll(v, &end, 10);
		if (end == v || *end || errno) {
			buf_printf(err, "bad Report-Id \"%.40s\"", v);
			return -1;
		}
		return 0;
	}
	if (klen == sizeof(SPOOL_LENGTH_KEY) - 1 &&
	    strncmp(line, SPOOL_LENGTH_KEY, klen) == 0) {
		errno = 0;
		*length = strtoll(v, &end, 10);
		if (end == v || *end || errno || *v < '0' || *v > '9' ||
		    *length <= 0) {
			buf_printf(err, "bad Length \"%.40s\"", v);
			return -1;
		}
		return 0;
	}
	if (klen == 10 && strncmp(line, "Occurrence", 10) == 0)
		slot = &e->occurrence;
	else if (klen == 10 && strncmp(line, "Message-Id", 10) == 0)
		slot = &e->message_id;
	else if (klen == 7 && strncmp(line, "Created", 7) == 0)
		slot = &e->created;
	else if (klen == 6 && strncmp(line, "Sender", 6) == 0)
		slot = &e->sender;
	else if (klen == 9 && strncmp(line, "Recipient", 9) == 0) {
		nr = realloc(e->rcpts, (e->nrcpts + 1) * sizeof(*nr));
		if (nr == NULL)
			goto nomem;
		e->rcpts = nr;
		if ((e->rcpts[e->nrcpts] = strdup(v)) == NULL)
			goto nomem;
		e->nrcpts++;
		return 0;
	} else
		return 0;	/* a field of a later version */
	free(*slot);
	if ((*slot = strdup(v)) == NULL)
		goto nomem;
	return 0;
nomem:
	buf_printf(err, "out of memory");
	return -1;
}

/* The offset just past the "\r\n\r\n" that ends the envelope in the
 * len bytes at p, looking from `from` on; 0 when it is not there. */
static size_t
spool_envelope_end(const char *p, size_t len, size_t from)
{
	size_t i;

	for (i = from; i + 4 <= len; i++)
		if (memcmp(p + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	return 0;
}

/*
 * A damaged file must be refused here, with a reason, rather than sent
 * as it is: flush moves what this refuses to failed/.  So the envelope is
 * text without control characters (nothing in it can reach an SMTP
 * command or a log line but what was written), a message follows it, and
 * when the envelope states the file's length (every file this version
 * writes), the file has all of it: a message cut short is never sent.
 */
int
spool_read_envelope(int fd, struct spool_envelope *e, off_t *body_offset,
    struct buf *err)
{
	struct buf head;
	struct stat st;
	char chunk[4096], *line, *eol;
	size_t pos, end = 0, i;
	long long length = -1;
	ssize_t n;
	int first = 1;

	memset(e, 0, sizeof(*e));
	buf_init(&head, SPOOL_ENVELOPE_MAX);
	if (lseek(fd, 0, SEEK_SET) == -1)
		goto syserr;
	/* Read until the empty line; the envelope is small.  The message
	 * after it may hold any byte: only the envelope is checked. */
	while (end == 0) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			goto syserr;
		}
		if (n == 0) {
			buf_printf(err, "truncated envelope");
			goto fail;
		}
		pos = head.len > 3 ? head.len - 3 : 0;
		if (buf_append(&head, chunk, (size_t)n) == -1) {
			buf_printf(err, "envelope too large");
			goto fail;
		}
		end = spool_envelope_end(head.data, head.len, pos);
	}
	for (i = 0; i + 4 < end; i++) {
		unsigned char c = (unsigned char)head.data[i];

		if (c == '\0') {
			buf_printf(err, "NUL byte in envelope");
			goto fail;
		}
		if ((c < 0x20 || c == 0x7f) && !(c == '\r' &&
		    head.data[i + 1] == '\n') && !(c == '\n' && i > 0 &&
		    head.data[i - 1] == '\r')) {
			buf_printf(err, "control character 0x%02x in envelope",
			    c);
			goto fail;
		}
	}
	head.data[end - 2] = '\0';	/* the lines, each ending in CRLF */
	pos = 0;
	for (;;) {
		line = head.data + pos;
		if ((eol = strstr(line, "\r\n")) == NULL)
			break;
		*eol = '\0';
		pos = (size_t)(eol - head.data) + 2;
		if (first) {
			if (strcmp(line, SPOOL_MAGIC) != 0) {
				buf_printf(err, "not a spool file");
				goto fail;
			}
			first = 0;
		} else if (spool_envelope_field(e, line, &length, err) == -1)
			goto fail;
	}
	if (first || e->sender == NULL || e->nrcpts == 0 ||
	    e->message_id == NULL) {
		buf_printf(err, "incomplete envelope");
		goto fail;
	}
	if (fstat(fd, &st) == -1)
		goto syserr;
	if (length >= 0 && length != (long long)st.st_size) {
		buf_printf(err, "%s: the file has %lld bytes, its envelope "
		    "says %lld", length > (long long)st.st_size ?
		    "truncated message" : "file longer than its envelope "
		    "says", (long long)st.st_size, length);
		goto fail;
	}
	if ((long long)st.st_size <= (long long)end) {
		buf_printf(err, "no message after the envelope");
		goto fail;
	}
	*body_offset = (off_t)end;
	buf_release(&head);
	return 0;
syserr:
	buf_printf(err, "%s", strerror(errno));
fail:
	buf_release(&head);
	spool_envelope_release(e);
	return -1;
}
