/*
 * spool.h - the queue directory: one file per message, committed by
 * rename, claimed by flock.
 *
 * Layout of the spool directory (0700):
 *   tmp/      messages being written; only `send`, holding send.lock,
 *             writes here, so anything found here at its start is debris
 *             from a crash and is removed
 *   queue/    committed messages waiting for delivery; named
 *             r<report id>.<occurrence, e.g. 20261123T080000Z>
 *   failed/   messages given up by flush, with their reason
 *   send.lock held with flock by the one `send` running
 *   state.db  the state database (state.h)
 *
 * Format of a spool file (every line ends in CRLF):
 *   SENDREPORTS-SPOOL 1
 *   Length: 00000000000000004242      (the whole file's size in bytes,
 *                                      20 digits, filled in at commit)
 *   Report-Id: 42
 *   Occurrence: 2026-11-23 08:00:00   (absent: a notice, feedback.h)
 *   Message-Id: <r42.20261123T080000Z.sendreports@example.com>
 *   Created: 2026-11-23 08:00:05
 *   Sender: rapports@example.com      (empty: the null sender <>)
 *   Recipient: a@example.com          (one line per envelope recipient,
 *   Recipient: hidden@example.com      Bcc included)
 *   <empty line>
 *   <the RFC 5322 message, CRLF line ends, as it goes over SMTP>
 * Unknown envelope fields are ignored by readers, so later versions may
 * add some.  Files are 0600.  A file without Length (written before it
 * existed) is read as it is.
 */
#ifndef SENDREPORTS_SPOOL_H
#define SENDREPORTS_SPOOL_H

#include <stdio.h>
#include <sys/types.h>

#include "buf.h"
#include "os_proc.h"

#define SPOOL_NAME_MAX	64
#define SPOOL_MAGIC	"SENDREPORTS-SPOOL 1"

/*
 * The second line of the envelope: the length of the whole file, written
 * as zeros with the envelope and filled in when the message is sealed
 * (spool_seal), so that a reader can tell a file cut short (a damaged SD
 * card, a copy that stopped) from a whole message.
 */
#define SPOOL_LENGTH_KEY	"Length"
#define SPOOL_LENGTH_DIGITS	20
#define SPOOL_LENGTH_LINE	SPOOL_MAGIC "\r\n" SPOOL_LENGTH_KEY ": "
/* The longest envelope a reader takes: some 15,000 recipients of the
 * longest addresses.  Writers check spool_envelope_size() against it. */
#define SPOOL_ENVELOPE_MAX	((size_t)4 << 20)

struct spool {
	int	 dirfd;		/* the spool directory */
	int	 tmpfd;		/* tmp/ */
	int	 queuefd;	/* queue/ */
	int	 failedfd;	/* failed/ */
	char	*path;
	/* The buffer of the message being written, kept for the next one
	 * (a fresh 64 KB each time is an mmap, 16 page faults and a munmap
	 * with musl), and the pid in the names of tmp/. */
	char	*iobuf;
	int	 iobuf_lent;
	long	 pid;
};

/* A struct spool not open yet, that spool_close() may be given. */
#define SPOOL_INIT	{ -1, -1, -1, -1, NULL, NULL, 0, 0 }

/* A message being written under tmp/. */
struct spool_file {
	FILE	*fp;
	char	 tmpname[SPOOL_NAME_MAX];
	char	*iobuf;		/* fp's buffer, SPOOL_IOBUF bytes, or NULL */
};

/* A message is written in pieces of this size: musl's stdio would write
 * it a kilobyte at a time, 66 system calls for a 70 KB message. */
#define SPOOL_IOBUF	((size_t)64 << 10)

struct spool_envelope {
	long long	  report_id;
	char		 *occurrence;
	char		 *message_id;
	char		 *created;
	char		 *sender;
	char		**rcpts;
	size_t		  nrcpts;
};

/*
 * Opens the spool at dir.  With `create`, makes it and its subdirectories
 * (0700) when missing.  Returns 0, or -1 with errno set and the reason in
 * err.
 */
int	spool_open(struct spool *s, const char *dir, int create,
	    struct buf *err);

/* Closes the directory descriptors; safe twice. */
void	spool_close(struct spool *s);

/*
 * What spool_check() finds wrong, one call per problem: what is wrong and
 * the fix, each one line naming the paths, both to be copied before the
 * call returns.
 */
typedef void	spool_problem_fn(void *ctx, const char *problem,
		    const char *fix);

#define SPOOL_CHECK_OWNER	(1 << 0) /* each entry must be owner's */
#define SPOOL_CHECK_FIX		(1 << 1) /* make the modes private instead
					    of calling them problems */

/*
 * Checks that the spool at dir is private: the directory, its tmp/,
 * queue/ and failed/ (0700), and the files at its top, state.db with
 * SQLite's -wal and -shm, and send.lock (0600), open to neither group nor
 * others; with SPOOL_CHECK_OWNER, each of them owned by `owner`.  An entry
 * that does not exist, or that this user cannot see, is not judged (send
 * creates the missing ones private; spool_open() says what it cannot
 * open).  With SPOOL_CHECK_FIX the modes are corrected (chmod), and only
 * what cannot be is a problem.  spool_open() does not check: the
 * commands do it once, at their start (main.c), and check and status say
 * it (cmd_check.c, health.c).  Returns the number of problems told to fn.
 */
int	spool_check(const char *dir, uid_t owner, int flags,
	    spool_problem_fn *fn, void *ctx);

/*
 * Takes the exclusive lock file `name` in the spool directory without
 * waiting.  Returns the descriptor holding the lock (close it to release;
 * the kernel releases it when the process dies), -2 when another process
 * holds it, or -1 with errno and err set.
 */
int	spool_lock(struct spool *s, const char *name, struct buf *err);

/* Removes every file left in tmp/ by a crashed run.  Call under the send
 * lock only.  Returns the number removed, or -1. */
int	spool_clean_tmp(struct spool *s, struct buf *err);

/* Creates a new 0600 file in tmp/.  0, or -1 with errno and err set. */
int	spool_file_create(struct spool *s, struct spool_file *f,
	    struct buf *err);

/* The bytes spool_write_envelope() writes for e, at most. */
size_t	spool_envelope_size(const struct spool_envelope *e);

/* Writes the envelope header and the empty line.  0, or -1 (errno). */
int	spool_write_envelope(FILE *fp, const struct spool_envelope *e);

enum spool_commit {
	SPOOL_COMMITTED,	/* the message is in queue/ */
	SPOOL_EXISTS,		/* queue/<name> was already there */
	SPOOL_FAILED		/* errno and err say why; nothing changed */
};

/*
 * Makes f durable and visible as queue/<name>: fflush, the Length of an
 * envelope spool_write_envelope() wrote filled in, fsync, fclose,
 * link into queue/ (which refuses to replace an existing message), fsync
 * of queue/, unlink of the temporary.  Whatever the result, f is closed
 * and its temporary removed.
 */
enum spool_commit spool_commit(struct spool *s, struct spool_file *f,
	    const char *name, struct buf *err);

/*
 * spool_commit() in parts, for a caller that commits several messages:
 * their names made durable by one spool_sync_queue(), and each written
 * while the disk writes the one before.  spool_seal: f flushed, the
 * Length of its envelope filled in, its data on its way to the disk
 * (os_writeback_start), f closed but for *fd, and f->tmpname kept for
 * spool_link_sealed.  0, or -1 with errno and err set and f discarded.
 */
int	spool_seal(struct spool *s, struct spool_file *f, const char *name,
	    int *fd, struct buf *err);

/*
 * Then, for each sealed file: fsync of fd, close, link into queue/ as
 * name (refused when the name is taken: SPOOL_EXISTS), the temporary
 * removed, whatever the result.  The file is durable, its name in queue/
 * not yet: the caller says nothing of it (records nothing) before
 * spool_sync_queue().
 */
enum spool_commit spool_link_sealed(struct spool *s, int fd,
	    const char *tmpname, const char *name, struct buf *err);

/* A sealed file that is not to be linked: fd closed, temporary removed. */
void	spool_sealed_discard(struct spool *s, int fd, const char *tmpname);

/*
 * The fsync of queue/ that makes the names spool_link_sealed() gave
 * durable.
 * 0, or -1 with errno and err set: the names may not survive a power cut.
 */
int	spool_sync_queue(struct spool *s, struct buf *err);

/*
 * Moves message `name` from the spool directory fromfd to tofd (queue/
 * and failed/: s->queuefd, s->failedfd), durably: linked into tofd and
 * that directory synced before its name in fromfd goes, then fromfd
 * synced.  Not rename(): its two halves need not reach the disk together,
 * and a power cut could keep the removal and lose the new name.  A move
 * cut short after its link is finished by the next one (the link is
 * there already: EEXIST, the same file).  0, or -1 with err set.
 */
int	spool_move(struct spool *s, int fromfd, int tofd, const char *name,
	    struct buf *err);

/* Closes f and removes its temporary; safe on a closed f. */
void	spool_file_discard(struct spool *s, struct spool_file *f);
/* Closes f (its buffer given back to s) and leaves its temporary. */
void	spool_file_release(struct spool *s, struct spool_file *f);

/*
 * Reads the envelope at the start of the spool file open on fd.  Fills e
 * (release with spool_envelope_release) and *body_offset, the offset of
 * the message.  Returns 0, or -1 with a one-line reason in err when the
 * file is not a complete spool file: no magic line, an envelope that is
 * truncated, larger than 256 KiB or holds a NUL or other control
 * character, a field missing (Message-Id, Sender, a Recipient) or bad,
 * no message after the envelope, or a file whose size is not its Length.
 */
int	spool_read_envelope(int fd, struct spool_envelope *e,
	    off_t *body_offset, struct buf *err);

/* Frees what spool_read_envelope allocated; safe twice. */
void	spool_envelope_release(struct spool_envelope *e);

#endif
