/*
 * spool_link.c - a message written under tmp/ becomes a message of
 * queue/ (spool.h): sealed (its Length filled in), fsync'ed, linked into
 * queue/, and queue/ fsync'ed, by the caller once for several links
 * (spool_sync_queue) or here for one (spool_commit).
 *
 * Sealing and linking may be apart (spool_seal, spool_link_sealed): the
 * file is closed but for its descriptor and its data set on its way to
 * the disk, and the fsync, which must still come before the link, comes
 * once the caller has written the next messages: the disk writes one
 * while the processor makes the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os_fs.h"
#include "spool.h"

/*
 * Fills in the length of the file open on fd, written and flushed, when
 * its envelope starts with the zeros spool_write_envelope() put there.
 * Returns 0, or -1 with errno set.
 */
static int
spool_seal_length(int fd)
{
	char head[sizeof(SPOOL_LENGTH_LINE) - 1 + SPOOL_LENGTH_DIGITS];
	char digits[SPOOL_LENGTH_DIGITS + 1];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) == -1)
		return -1;
	n = os_pread(fd, head, sizeof(head), 0);
	if (n == -1)
		return -1;
	if ((size_t)n < sizeof(head) || memcmp(head, SPOOL_LENGTH_LINE,
	    sizeof(SPOOL_LENGTH_LINE) - 1) != 0)
		return 0;	/* not an envelope of ours: left as it is */
	snprintf(digits, sizeof(digits), "%0*lld", SPOOL_LENGTH_DIGITS,
	    (long long)st.st_size);
	n = os_pwrite(fd, digits, SPOOL_LENGTH_DIGITS,
	    (off_t)sizeof(SPOOL_LENGTH_LINE) - 1);
	if (n != SPOOL_LENGTH_DIGITS) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

int
spool_seal(struct spool *s, struct spool_file *f, const char *name,
    int *fd, struct buf *err)
{
	const char *step = NULL;
	int saved;

	*fd = -1;
	/* Checked up to fclose: a full disk may only show up there. */
	if (fflush(f->fp) == EOF || ferror(f->fp))
		step = "write";
	else if (spool_seal_length(fileno(f->fp)) == -1)
		step = "length";
	else if ((*fd = dup(fileno(f->fp))) == -1)
		step = "dup";
	saved = errno;
	if (fclose(f->fp) == EOF && step == NULL) {
		step = "close";
		saved = errno;
	}
	f->fp = NULL;
	spool_file_release(s, f);	/* the buffer, for the next file */
	if (step) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		spool_file_discard(s, f);
		errno = saved;
		buf_printf(err, "spool: %s '%s/queue/%s': %s", step, s->path,
		    name, strerror(saved));
		return -1;
	}
	/* Only a head start: the fsync before the link is the promise. */
	(void)os_writeback_start(*fd);
	return 0;
}

void
spool_sealed_discard(struct spool *s, int fd, const char *tmpname)
{
	if (fd != -1)
		close(fd);
	if (tmpname[0])
		os_unlinkat(s->tmpfd, tmpname);
}

enum spool_commit
spool_link_sealed(struct spool *s, int fd, const char *tmpname,
    const char *name, struct buf *err)
{
	const char *step = NULL;
	int saved = 0;

	if (os_fsync(fd) == -1) {
		step = "fsync";
		saved = errno;
	}
	if (close(fd) == -1 && step == NULL) {
		step = "close";
		saved = errno;
	}
	if (step == NULL &&
	    os_linkat(s->tmpfd, tmpname, s->queuefd, name) == -1) {
		saved = errno;
		if (saved != EEXIST)
			step = "link";
	}
	os_unlinkat(s->tmpfd, tmpname);
	if (step) {
		errno = saved;
		buf_printf(err, "spool: %s '%s/queue/%s': %s", step, s->path,
		    name, strerror(saved));
		return SPOOL_FAILED;
	}
	return saved == EEXIST ? SPOOL_EXISTS : SPOOL_COMMITTED;
}

/* spool_commit() but the fsync of queue/. */
static enum spool_commit
spool_link(struct spool *s, struct spool_file *f, const char *name,
    struct buf *err)
{
	char tmpname[sizeof(f->tmpname)];
	int fd;

	memcpy(tmpname, f->tmpname, sizeof(tmpname));
	if (spool_seal(s, f, name, &fd, err) == -1)
		return SPOOL_FAILED;
	f->tmpname[0] = '\0';
	return spool_link_sealed(s, fd, tmpname, name, err);
}

int
spool_sync_queue(struct spool *s, struct buf *err)
{
	int saved;

	if (os_dir_sync(s->queuefd) == 0)
		return 0;
	saved = errno;
	buf_printf(err, "spool: fsync of '%s/queue/': %s", s->path,
	    strerror(saved));
	errno = saved;
	return -1;
}

enum spool_commit
spool_commit(struct spool *s, struct spool_file *f, const char *name,
    struct buf *err)
{
	enum spool_commit c;
	int saved;

	c = spool_link(s, f, name, err);
	if (c != SPOOL_COMMITTED)
		return c;
	/* From here on the mail is safe, once the directory entry is. */
	if (spool_sync_queue(s, err) == -1) {
		saved = errno;
		/* The link may not survive a power cut: undo it, so the
		 * caller's record and the disk cannot disagree. */
		os_unlinkat(s->queuefd, name);
		errno = saved;
		return SPOOL_FAILED;
	}
	return SPOOL_COMMITTED;
}
